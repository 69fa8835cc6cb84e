/* Bad input through the whole server: truncated headers, lengths beyond the buffer, malformed /
 * too deep / wrongly typed CBOR, unknown groups and commands, reserved versions and ops,
 * several messages per buffer, and random + mutated buffers. Nothing crashes (run under
 * ASan/UBSan too) and flash never changes. */
#include "dfu_test.h"
#include "dfukit/dfu_cbor.h"
#include "dfukit/dfu_err.h"
#include "smp_testutil.h"

static uint8_t *snap;
static size_t flash_size = TU_PRIMARY_SIZE + TU_SECONDARY_SIZE;

static void snapshot(tu_dev_t *d)
{
    memcpy(snap, d->fl.mem, flash_size);
}

static bool unchanged(tu_dev_t *d)
{
    return memcmp(snap, d->fl.mem, flash_size) == 0;
}

static char *run(tu_dev_t *d, const char *hex, int *nrsp)
{
    uint8_t in[1024];
    size_t n = tu_unhex(hex, in, sizeof in);
    *nrsp = tu_dev_req(d, in, n, 1);
    return tu_last_canon(d);
}

static void one(tu_dev_t *d, const char *hex, const char *want)
{
    int n;
    char *c = run(d, hex, &n);
    CHECK_EQ_INT(n, 1);
    bool ok = strcmp(c, want) == 0;
    CHECK(ok);
    if (!ok) {
        fprintf(stderr, "  %s\n  want %s got %s\n", hex, want, c);
    }
    free(c);
}

static void fixed_cases(tu_dev_t *d)
{
    int n;
    /* fewer than 8 bytes: nothing to answer */
    uint8_t shortb[7] = {0x0a, 0, 0, 1, 0, 0, 1};
    for (size_t k = 0; k <= 7; k++) {
        CHECK_EQ_INT(tu_dev_req(d, shortb, k, 1), k == 0 ? 0 : DFU_ERR_CORRUPT);
        CHECK_EQ_INT(d->nrsp, 0);
    }
    /* header length larger than the bytes present: rc 9 */
    one(d, "02 00 00 14 00 00 10 00 a1 61 64 62 6869", "{\"rc\":9}");
    one(d, "0a 00 ff ff 00 01 10 01 a0", "{\"rc\":9}");
    /* header length smaller: the rest is a second (here: too short) message → one response */
    char *c = run(d, "02 00 00 04 00 00 10 00 a1 61 64 62 6869", &n);
    CHECK_EQ_INT(n, 1);
    CHECK(strcmp(c, "{\"rc\":3}") == 0); /* "a1 61 64 62" is truncated CBOR */
    free(c);
    /* two messages in one buffer: two responses in order */
    c = run(d, "0a 00 00 05 00 00 01 00 a1 61 64 61 31 0a 00 00 05 00 00 02 00 a1 61 64 61 32", &n);
    CHECK_EQ_INT(n, 2);
    CHECK(strcmp(c, "{\"r\":\"2\"}") == 0);
    CHECK_EQ_INT(d->rsp[0][6], 1);
    CHECK_EQ_INT(d->rsp[1][6], 2);
    free(c);
    /* processing stops after the first error response */
    c = run(d, "0a 00 00 01 00 07 01 00 a0 0a 00 00 05 00 00 02 00 a1 61 64 61 32", &n);
    CHECK_EQ_INT(n, 1);
    CHECK(strcmp(c, "{\"rc\":8}") == 0);
    free(c);
    /* a complete message followed by a 3-byte fragment: one response */
    c = run(d, "0a 00 00 05 00 00 01 00 a1 61 64 61 31 0a 00 00", &n);
    CHECK_EQ_INT(n, 1);
    free(c);
    /* malformed / deep / wrong types */
    one(d, "0a 00 00 01 00 00 10 00 ff", "{\"rc\":3}");
    one(d, "0a 00 00 03 00 00 10 00 82 01 02", "{\"rc\":3}");
    one(d, "0a 00 00 0e 00 00 10 00 a1 61 78 81 81 81 81 81 81 81 81 81 81 00", "{\"rc\":3}");
    one(d, "0a 00 00 04 00 01 10 01 a1 61 78 1c", "{\"rc\":3}");
    one(d, "0a 00 00 07 00 01 10 00 a1 64 68617368 f5", "{\"rc\":3}");
    one(d, "0a 00 00 09 00 01 10 05 a1 64 736c6f74 62 3031", "{\"rc\":3}");
    one(d, "0a 00 00 09 00 01 10 01 a2 63 6f6666 20 64 6461", "{\"rc\":3}");
    /* unknown groups / commands */
    one(d, "0a 00 00 01 00 02 10 00 a0", "{\"rc\":8}");
    one(d, "0a 00 00 01 ff ff 10 00 a0", "{\"rc\":8}");
    one(d, "0a 00 00 01 00 01 10 ff a0", "{\"rc\":8}");
    one(d, "0a 00 00 01 00 01 10 02 a0", "{\"rc\":8}");
    one(d, "02 00 00 01 00 00 10 01 a0", "{\"rc\":8}");
    /* reserved versions 2 and 3: rc 13, answered as version 1 */
    one(d, "12 00 00 01 00 00 10 00 a0", "{\"rc\":13}");
    CHECK_EQ_INT(d->rsp[0][0], 0x0b);
    one(d, "1a 00 00 01 00 01 10 05 a0", "{\"rc\":13}");
    /* response ops sent to a server, invalid ops 4..7 */
    one(d, "0b 00 00 01 00 00 10 00 a0", "{\"rc\":8}");
    one(d, "09 00 00 01 00 00 10 00 a0", "{\"rc\":8}");
    one(d, "0c 00 00 01 00 00 10 00 a0", "{\"rc\":8}");
    one(d, "07 00 00 01 00 00 10 00 a0", "{\"rc\":8}");
    /* the op is checked before the version (Zephyr): reserved version with op 5 -> 8 */
    one(d, "15 00 00 01 00 00 10 00 a0", "{\"rc\":8}");
    /* flags and reserved bits are ignored; the response clears them */
    one(d, "e2 81 00 05 00 00 10 00 a1 61 64 61 31", "{\"r\":\"1\"}");
    CHECK_EQ_INT(d->rsp[0][0], 0x03);
    CHECK_EQ_INT(d->rsp[0][1], 0x00);
}

/* Deterministic xorshift PRNG. */
static uint32_t rng = 0x12345678u;
static uint32_t rnd(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 17;
    rng ^= rng << 5;
    return rng;
}

static void random_cases(tu_dev_t *d)
{
    uint8_t buf[600];
    for (int i = 0; i < 20000; i++) {
        size_t n = rnd() % sizeof buf;
        for (size_t k = 0; k < n; k++) {
            buf[k] = (uint8_t)rnd();
        }
        if (n >= 8 && (rnd() & 1u)) {
            /* plausible header: right length, known group, write op */
            buf[0] = (uint8_t)(rnd() % 2 ? 0x0a : 0x02);
            buf[2] = (uint8_t)((n - 8) >> 8);
            buf[3] = (uint8_t)(n - 8);
            buf[4] = 0;
            buf[5] = (uint8_t)(rnd() % 2);
            buf[7] = (uint8_t)(rnd() % 8);
            if (n > 8 && (rnd() & 1u)) {
                buf[8] = (uint8_t)(rnd() % 2 ? 0xbf : 0xa0 + rnd() % 8);
            }
        }
        int rc = tu_dev_req(d, buf, n, (uint8_t)(rnd() % 5));
        CHECK(rc >= -2000);
    }
    CHECK(unchanged(d));
}

static void mutated_cases(tu_dev_t *d)
{
    /* Mutations of real requests; flash may change here (a mutation can stay valid), the
     * check is that nothing crashes and every answer is well-formed CBOR. */
    static const char *seeds[] = {
        "0a 00 00 0a 00 01 03 00 a1 67 636f6e6669726d f5",
        "0a 00 00 07 00 01 0f 05 a1 64 736c6f74 00",
        "0a 00 00 0c 00 00 0a 08 a1 65 7175657279 64 6d6f6465",
        "08 00 00 0a 00 00 01 07 a1 66 666f726d6174 61 61",
        /* one seed split over two lines (parenthesised: not a missing comma) */
        ("0a 00 00 2a 00 01 05 01 a3 63 6f6666 00 63 6c656e 18 64 64 64617461 58 20 "
         "3db8f39600000000200000004000000000000000010300000000000000000000"),
    };
    uint8_t buf[256];
    int bad = 0;
    for (int i = 0; i < 20000; i++) {
        size_t n = tu_unhex(seeds[i % 5], buf, sizeof buf);
        int flips = 1 + (int)(rnd() % 4);
        for (int f = 0; f < flips; f++) {
            buf[rnd() % n] ^= (uint8_t)(1u << (rnd() % 8));
        }
        if (rnd() % 4 == 0) {
            n = rnd() % n;
        }
        int r = tu_dev_req(d, buf, n, 1);
        for (int k = 0; r > 0 && k < d->nrsp; k++) {
            char *c = tu_canon(d->rsp[k] + 8, d->rsp_len[k] - 8);
            bad += c == NULL;
            free(c);
        }
    }
    CHECK_EQ_INT(bad, 0);
}

int main(void)
{
    static uint8_t a0[9000];
    uint8_t h[32];
    size_t na0 = tu_make_image(a0, sizeof a0, 8000, 1, 0, 0, 0, 1, h);
    snap = malloc(flash_size);
    tu_opts_t o = {.no_rsn = true};
    tu_dev_t *d = tu_dev_new(&o, a0, na0);
    snapshot(d);
    fixed_cases(d);
    CHECK(unchanged(d));
    random_cases(d);
    mutated_cases(d);
    tu_dev_free(d);
    free(snap);
    return dfu_test_finish("test_smp_badinput");
}
