/*
 * Boot outcome records: the 96-byte codec (CRC, version), the RAM hand-off block (garbage, take,
 * any alignment), the two-sector persistent log (rotation, bounded history, erases per boot) and
 * its power-fail safety (a cut before every flash op of many appends, atomic and torn: the
 * newest record survives, sequence numbers stay contiguous, history is not lost beyond the one
 * sector a rotation drops), and dfu_boot_go's report for each outcome (test, revert, perm,
 * refused hash, downgrade, resumed after a power cut mid-swap): reason, other version, flash
 * ops, modelled time, boot count, in both the hand-off and the log.
 */
#include <stdlib.h>
#include <string.h>

#include "boot_fixture.h"
#include "dfu_test.h"
#include "dfukit/dfu_boot_record.h"
#include "dfukit/dfu_err.h"

#define LOG_OFF 0x3C000u

static void test_codec(void)
{
    dfu_boot_result_t r, q;
    memset(&r, 0, sizeof(r));
    uint8_t rec[DFU_BOOT_RECORD_SIZE];
    r.swap_type = DFU_BOOT_SWAP_REVERT;
    r.reverted = 1;
    r.booted = 1;
    r.secondary_err = DFU_ERR_HASH_MISMATCH;
    r.primary_err = DFU_ERR_BAD_TLV;
    r.reason_code = DFU_BOOT_REASON_REVERT;
    r.image.ver_major = 3;
    r.image.ver_revision = 513;
    r.image.ver_build = 77;
    r.image.security_counter = 9;
    r.image.hash_len = 48; /* SHA-384 image: the record keeps 32 bytes */
    for (int i = 0; i < 48; i++) {
        r.image.hash[i] = (uint8_t)(i * 7);
    }
    r.has_other = 1;
    r.other = (dfu_boot_version_t){2, 1, 300, 4};
    r.boot_count = 123456;
    r.flash_erases = 70;
    r.flash_writes = 4000;
    r.flash_bytes = 300000;
    r.time_ms = 9876;
    dfu_boot_record_encode(&r, rec);
    CHECK_MEM(rec, "DFBR", 4);
    CHECK_EQ_INT(rec[4], 2);
    CHECK_EQ_INT(dfu_boot_record_decode(rec, &q), 0);
    CHECK_EQ_INT(q.swap_type, DFU_BOOT_SWAP_REVERT);
    CHECK_EQ_INT(q.reverted, 1);
    CHECK_EQ_INT(q.resumed, 0);
    CHECK_EQ_INT(q.booted, 1);
    CHECK_EQ_INT(q.secondary_err, DFU_ERR_HASH_MISMATCH);
    CHECK_EQ_INT(q.primary_err, DFU_ERR_BAD_TLV);
    CHECK_EQ_INT(q.image.ver_revision, 513);
    CHECK_EQ_INT(q.image.ver_build, 77);
    CHECK_EQ_INT(q.image.security_counter, 9);
    CHECK_EQ_INT(q.image.hash_len, 32);
    CHECK_MEM(q.image.hash, r.image.hash, 32);
    CHECK_EQ_INT(q.has_other, 1);
    CHECK_EQ_INT(q.other.minor, 1);
    CHECK_EQ_INT(q.other.revision, 300);
    CHECK_EQ_INT(q.other.build, 4);
    CHECK_EQ_INT(q.boot_count, 123456);
    CHECK_EQ_INT(q.flash_erases, 70);
    CHECK_EQ_INT(q.flash_writes, 4000);
    CHECK_EQ_INT(q.flash_bytes, 300000);
    CHECK_EQ_INT(q.time_ms, 9876);
    CHECK(strcmp(q.reason, "test image not confirmed: reverted") == 0);
    /* every single-bit flip is caught (tag, version or CRC) */
    int caught = 0;
    for (unsigned bit = 0; bit < DFU_BOOT_RECORD_SIZE * 8u; bit++) {
        rec[bit / 8] ^= (uint8_t)(1u << (bit % 8));
        caught += dfu_boot_record_decode(rec, &q) == DFU_ERR_CORRUPT;
        rec[bit / 8] ^= (uint8_t)(1u << (bit % 8));
    }
    CHECK_EQ_INT(caught, DFU_BOOT_RECORD_SIZE * 8);
    CHECK(strcmp(dfu_boot_reason_text(DFU_BOOT_REASON_RESUMED),
                 "power cut during swap: resumed and completed") == 0);
    CHECK(strcmp(dfu_boot_reason_text(DFU_BOOT_REASON_BAD_SIGNATURE),
                 "secondary signature invalid: refused") == 0);
    CHECK(strcmp(dfu_boot_reason_text(DFU_BOOT_REASON_DOWNGRADE), "downgrade refused") == 0);
    CHECK(strcmp(dfu_boot_reason_text(200), "unknown reason") == 0);
    for (int c = 0; c < DFU_BOOT_REASON_COUNT; c++) {
        CHECK(strlen(dfu_boot_reason_text(c)) <= DFU_BOOT_REASON_TEXT_MAX);
    }
    CHECK_EQ_INT(dfu_boot_reason_for_refusal(DFU_ERR_KEY_MISMATCH), DFU_BOOT_REASON_BAD_SIGNATURE);
    CHECK_EQ_INT(dfu_boot_reason_for_refusal(DFU_ERR_HASH_MISMATCH), DFU_BOOT_REASON_BAD_HASH);
    CHECK_EQ_INT(dfu_boot_reason_for_refusal(DFU_ERR_BAD_TLV), DFU_BOOT_REASON_INVALID);
}

static void test_handoff(void)
{
    uint8_t ram[DFU_BOOT_HANDOFF_SIZE + 3];
    dfu_boot_result_t r, q;
    memset(&r, 0, sizeof(r));
    r.swap_type = DFU_BOOT_SWAP_TEST;
    r.reason_code = DFU_BOOT_REASON_TEST;
    r.boot_count = 5;
    /* power-on RAM: garbage is no record */
    uint32_t x = 12345;
    for (size_t i = 0; i < sizeof(ram); i++) {
        x = x * 1103515245u + 12345u;
        ram[i] = (uint8_t)(x >> 16);
    }
    CHECK_EQ_INT(dfu_boot_handoff_read(ram + 3, DFU_BOOT_HANDOFF_SIZE, 0, &q), DFU_ERR_NOT_FOUND);
    /* odd address (any alignment) */
    CHECK_EQ_INT(dfu_boot_handoff_write(ram + 3, DFU_BOOT_HANDOFF_SIZE, &r), 0);
    CHECK_EQ_INT(dfu_boot_handoff_read(ram + 3, DFU_BOOT_HANDOFF_SIZE, 0, &q), 0);
    CHECK_EQ_INT(q.boot_count, 5);
    CHECK_EQ_INT(q.swap_type, DFU_BOOT_SWAP_TEST);
    /* a flipped byte in the record or in the block header is caught */
    ram[3 + 20] ^= 0x40;
    CHECK_EQ_INT(dfu_boot_handoff_read(ram + 3, DFU_BOOT_HANDOFF_SIZE, 0, &q), DFU_ERR_NOT_FOUND);
    ram[3 + 20] ^= 0x40;
    ram[3 + 6] ^= 0x01; /* length */
    CHECK_EQ_INT(dfu_boot_handoff_read(ram + 3, DFU_BOOT_HANDOFF_SIZE, 0, &q), DFU_ERR_NOT_FOUND);
    ram[3 + 6] ^= 0x01;
    /* take: read once, then gone */
    CHECK_EQ_INT(dfu_boot_handoff_read(ram + 3, DFU_BOOT_HANDOFF_SIZE, 1, &q), 0);
    CHECK_EQ_INT(dfu_boot_handoff_read(ram + 3, DFU_BOOT_HANDOFF_SIZE, 1, &q), DFU_ERR_NOT_FOUND);
    CHECK_EQ_INT(dfu_boot_handoff_write(ram, DFU_BOOT_HANDOFF_SIZE - 1, &r), DFU_ERR_INVAL);
    CHECK_EQ_INT(dfu_boot_handoff_read(ram, DFU_BOOT_HANDOFF_SIZE - 1, 0, &q), DFU_ERR_INVAL);
    CHECK_EQ_INT(dfu_boot_handoff_write(NULL, DFU_BOOT_HANDOFF_SIZE, &r), DFU_ERR_INVAL);
}

/* Walks the whole log: returns the count, checks strictly contiguous decreasing sequence
 * numbers starting at *newest (set from the first record; 0 when empty). */
static uint32_t walk(const dfu_flash_area_t *log, uint32_t *newest)
{
    dfu_boot_log_iter_t it;
    dfu_boot_result_t r;
    CHECK_EQ_INT(dfu_boot_log_iter_init(&it, log), 0);
    uint32_t n = 0, prev = 0;
    *newest = 0;
    int rc;
    while ((rc = dfu_boot_log_iter_next(&it, &r)) == 0) {
        if (n == 0) {
            *newest = r.boot_count;
        } else if (r.boot_count + 1u != prev) {
            fprintf(stderr, "log gap: %u after %u\n", r.boot_count, prev);
            CHECK(0);
        }
        CHECK_EQ_INT(r.image.ver_build, r.boot_count); /* payload belongs to that record */
        prev = r.boot_count;
        n++;
    }
    CHECK_EQ_INT(rc, DFU_ERR_NOT_FOUND);
    CHECK_EQ_INT(n, it.total);
    return n;
}

static void test_log(void)
{
    bf_dev_t *d = calloc(1, sizeof(*d));
    CHECK_EQ_INT(bf_dev_init(d, &bf_layout_small, DFU_BOOT_STRATEGY_MOVE, 8), 0);
    dfu_flash_area_t log = {&d->fl, LOG_OFF, 0x2000, 5};
    const uint32_t per = 4096u / DFU_BOOT_RECORD_SIZE; /* 42 */
    uint32_t newest = 0;
    CHECK_EQ_INT(walk(&log, &newest), 0);
    CHECK_EQ_INT(newest, 0);
    dfu_boot_result_t r;
    memset(&r, 0, sizeof(r));
    uint64_t erases0 = d->sf.erases;
    for (uint32_t i = 1; i <= 300; i++) {
        r.image.ver_build = i;
        r.boot_count = 999; /* overwritten by append */
        CHECK_EQ_INT(dfu_boot_log_append(&log, &r), 0);
        CHECK_EQ_INT(r.boot_count, i);
    }
    uint32_t n = walk(&log, &newest);
    CHECK_EQ_INT(newest, 300);
    CHECK(n > per && n <= 2 * per);             /* between one and two sectors of history */
    CHECK_EQ_INT(n, per + (300 - 1) % per + 1); /* a full older sector + 6 */
    /* one erase per sector's worth of boots (the first rotation happens at record per + 1) */
    CHECK_EQ_INT(d->sf.erases - erases0, (300 - 1) / per);
    /* bad areas */
    dfu_flash_area_t one = {&d->fl, LOG_OFF, 0x1000, 5};
    CHECK_EQ_INT(dfu_boot_log_append(&one, &r), DFU_ERR_INVAL);
    dfu_flash_area_t odd = {&d->fl, LOG_OFF + 0x100, 0x2000, 5};
    CHECK_EQ_INT(dfu_boot_log_append(&odd, &r), DFU_ERR_INVAL);
    dfu_boot_log_iter_t it;
    CHECK_EQ_INT(dfu_boot_log_iter_init(&it, &one), DFU_ERR_INVAL);
    /* garbage in both sectors (never a log): nothing valid, append rotates into a clean sector */
    memset(d->sf.mem + LOG_OFF, 0x5a, 0x2000);
    CHECK_EQ_INT(walk(&log, &newest), 0);
    r.image.ver_build = 1;
    CHECK_EQ_INT(dfu_boot_log_append(&log, &r), 0);
    CHECK_EQ_INT(r.boot_count, 1);
    CHECK_EQ_INT(walk(&log, &newest), 1);
    bf_dev_free(d);
    free(d);
}

/* A power cut before every flash op of 100 appends (crossing two rotations), atomic and torn:
 * after power-on the newest record is the last completed one or the interrupted one, the
 * sequence is contiguous, and no more than the older sector's records are ever dropped. */
static void test_log_powerfail(void)
{
    const uint32_t per = 4096u / DFU_BOOT_RECORD_SIZE;
    unsigned cuts = 0, bad = 0;
    for (int torn = 0; torn < 2; torn++) {
        for (uint64_t cut = 1;; cut++) {
            bf_dev_t *d = calloc(1, sizeof(*d));
            bf_dev_init(d, &bf_layout_small, DFU_BOOT_STRATEGY_MOVE, 8);
            dfu_flash_area_t log = {&d->fl, LOG_OFF, 0x2000, 5};
            dfu_simflash_cut_after(&d->sf, cut, torn);
            dfu_boot_result_t r;
            memset(&r, 0, sizeof(r));
            uint32_t done = 0, before_total = 0;
            int rc = 0;
            for (uint32_t i = 1; i <= 100 && rc == 0; i++) {
                r.image.ver_build = done + 1u;
                rc = dfu_boot_log_append(&log, &r);
                if (rc == 0) {
                    done = r.boot_count;
                    before_total = done <= per ? done : (done - 1u) % per + 1u + per;
                }
            }
            if (rc == 0) { /* the cut lies beyond the 100 appends: all positions covered */
                bf_dev_free(d);
                free(d);
                break;
            }
            CHECK_EQ_INT(rc, DFU_ERR_POWER_CUT);
            cuts++;
            dfu_simflash_power_on(&d->sf);
            uint32_t newest = 0;
            uint32_t n = walk(&log, &newest);
            int ok = (newest == done || newest == done + 1u) &&
                     n + 0u >= (before_total < per ? before_total : per);
            /* the log keeps working: the next append continues the sequence */
            r.image.ver_build = newest + 1u;
            ok = ok && dfu_boot_log_append(&log, &r) == 0 && r.boot_count == newest + 1u;
            uint32_t after = 0;
            walk(&log, &after);
            ok = ok && after == newest + 1u;
            if (!ok) {
                bad++;
                fprintf(stderr, "log cut %llu torn %d: done %u newest %u n %u\n",
                        (unsigned long long)cut, torn, done, newest, n);
            }
            bf_dev_free(d);
            free(d);
        }
    }
    printf("log power-fail: %u cuts, %u failures\n", cuts, bad);
    CHECK(cuts > 100);
    CHECK_EQ_INT(bad, 0);
}

/* ---- dfu_boot_go reports ------------------------------------------------------------------ */

static uint32_t model_ms(void *ctx)
{
    const dfu_simflash_t *sf = ctx;
    return (uint32_t)(sf->time_us / 1000.0);
}

typedef struct {
    bf_dev_t *d;
    uint8_t ram[DFU_BOOT_HANDOFF_SIZE];
    dfu_boot_clock_t clock;
} rdev_t;

static rdev_t *rdev_new(uint32_t flags)
{
    rdev_t *x = calloc(1, sizeof(*x));
    x->d = calloc(1, sizeof(*x->d));
    CHECK_EQ_INT(bf_dev_init(x->d, &bf_layout_small, DFU_BOOT_STRATEGY_MOVE, 8), 0);
    x->clock = (dfu_boot_clock_t){&x->d->sf, model_ms};
    x->d->cfg.flags = flags;
    x->d->cfg.log = (dfu_flash_area_t){&x->d->fl, LOG_OFF, 0x2000, 5};
    x->d->cfg.handoff = x->ram;
    x->d->cfg.handoff_size = sizeof(x->ram);
    x->d->cfg.clock = &x->clock;
    CHECK_EQ_INT(dfu_boot_init(&x->d->boot, &x->d->cfg), 0);
    return x;
}

static void rdev_free(rdev_t *x)
{
    bf_dev_free(x->d);
    free(x->d);
    free(x);
}

/* One boot; checks the hand-off and the newest log record both say what dfu_boot_go returned. */
static dfu_boot_result_t boot(rdev_t *x)
{
    dfu_boot_result_t r, h, l;
    memset(x->ram, 0xa5, sizeof(x->ram)); /* whatever the RAM held */
    int rc = dfu_boot_go(&x->d->boot, &r);
    CHECK(rc == 0 || rc == DFU_ERR_NOT_FOUND);
    CHECK_EQ_INT(dfu_boot_handoff_read(x->ram, sizeof(x->ram), 1, &h), 0);
    dfu_boot_log_iter_t it;
    CHECK_EQ_INT(dfu_boot_log_iter_init(&it, &x->d->cfg.log), 0);
    CHECK_EQ_INT(dfu_boot_log_iter_next(&it, &l), 0);
    CHECK_EQ_INT(h.boot_count, r.boot_count);
    CHECK_EQ_INT(l.boot_count, r.boot_count);
    CHECK_EQ_INT(h.reason_code, r.reason_code);
    CHECK_EQ_INT(l.reason_code, r.reason_code);
    CHECK_EQ_INT(h.swap_type, r.swap_type);
    CHECK_EQ_INT(h.flash_writes, r.flash_writes);
    CHECK_EQ_INT(h.time_ms, r.time_ms);
    CHECK_MEM(h.image.hash, r.image.hash, 32);
    return r;
}

static void test_boot_reports(void)
{
    bf_image_t v1, v2, v3, bad;
    bf_make_image(&v1, 9000, 1, 0, 21, -1, 0xff);
    bf_make_image(&v2, 14000, 2, 0, 22, -1, 0xff);
    bf_make_image(&v3, 9000, 3, 0, 23, -1, 0xff);
    bf_make_image(&bad, 9000, 4, 0, 24, -1, 0xff);
    bad.data[0x200 + 100] ^= 0xff; /* payload no longer matches the hash TLV */
    rdev_t *x = rdev_new(DFU_BOOT_F_DOWNGRADE_VERSION);
    bf_dev_t *d = x->d;
    bf_poke(d, &d->cfg.primary, 0, v1.data, v1.len);
    dfu_boot_result_t r = boot(x);
    CHECK_EQ_INT(r.boot_count, 1);
    CHECK_EQ_INT(r.reason_code, DFU_BOOT_REASON_NONE);
    CHECK_EQ_INT(r.flash_erases + r.flash_writes, 0);
    CHECK_EQ_INT(r.has_other, 0);
    CHECK_EQ_INT(r.image.ver_major, 1);
    /* test swap to v2: other = v1 (swapped out), flash ops and modelled time counted */
    bf_poke(d, &d->cfg.secondary, 0, v2.data, v2.len);
    CHECK_EQ_INT(dfu_boot_set_pending(&d->cfg.secondary, 0, &d->cfg.trailer), 0);
    uint64_t ops0 = d->sf.ops;
    r = boot(x);
    CHECK_EQ_INT(r.boot_count, 2);
    CHECK_EQ_INT(r.swap_type, DFU_BOOT_SWAP_TEST);
    CHECK_EQ_INT(r.reason_code, DFU_BOOT_REASON_TEST);
    CHECK_EQ_INT(r.image.ver_major, 2);
    CHECK_EQ_INT(r.has_other, 1);
    CHECK_EQ_INT(r.other.major, 1);
    /* the swap's ops, not the log append that follows */
    CHECK_EQ_INT(r.flash_erases + r.flash_writes, d->sf.ops - ops0 - 1u);
    CHECK(r.flash_erases >= 8 && r.flash_bytes >= 2 * 14000);
    CHECK(r.time_ms >= r.flash_erases * 85u);
    CHECK_MEM(r.image.hash, v2.hash, 32);
    /* not confirmed: revert 2 -> 1 */
    r = boot(x);
    CHECK_EQ_INT(r.swap_type, DFU_BOOT_SWAP_REVERT);
    CHECK_EQ_INT(r.reason_code, DFU_BOOT_REASON_REVERT);
    CHECK(strcmp(r.reason, "test image not confirmed: reverted") == 0);
    CHECK_EQ_INT(r.image.ver_major, 1);
    CHECK_EQ_INT(r.other.major, 2);
    /* refused: hash mismatch (FAIL), other = the refused v4 */
    bf_poke(d, &d->cfg.secondary, 0, bad.data, bad.len);
    CHECK_EQ_INT(dfu_boot_set_pending(&d->cfg.secondary, 0, &d->cfg.trailer), 0);
    r = boot(x);
    CHECK_EQ_INT(r.swap_type, DFU_BOOT_SWAP_FAIL);
    CHECK_EQ_INT(r.reason_code, DFU_BOOT_REASON_BAD_HASH);
    CHECK_EQ_INT(r.secondary_err, DFU_ERR_HASH_MISMATCH);
    CHECK_EQ_INT(r.other.major, 4);
    CHECK_EQ_INT(r.image.ver_major, 1);
    /* permanent v3 */
    dfu_flash_erase(&d->cfg.secondary, 0, d->cfg.secondary.size);
    bf_poke(d, &d->cfg.secondary, 0, v3.data, v3.len);
    CHECK_EQ_INT(dfu_boot_set_pending(&d->cfg.secondary, 1, &d->cfg.trailer), 0);
    r = boot(x);
    CHECK_EQ_INT(r.reason_code, DFU_BOOT_REASON_PERM);
    CHECK_EQ_INT(r.image.ver_major, 3);
    CHECK_EQ_INT(r.other.major, 1);
    /* downgrade to v2 refused */
    dfu_flash_erase(&d->cfg.secondary, 0, d->cfg.secondary.size);
    bf_poke(d, &d->cfg.secondary, 0, v2.data, v2.len);
    CHECK_EQ_INT(dfu_boot_set_pending(&d->cfg.secondary, 0, &d->cfg.trailer), 0);
    r = boot(x);
    CHECK_EQ_INT(r.swap_type, DFU_BOOT_SWAP_NONE);
    CHECK_EQ_INT(r.reason_code, DFU_BOOT_REASON_DOWNGRADE);
    CHECK(strcmp(r.reason, "downgrade refused") == 0);
    CHECK_EQ_INT(r.other.major, 2);
    CHECK_EQ_INT(r.image.ver_major, 3);
    /* power cut in the middle of a test swap to v4 (valid copy): resumed at the next boot */
    bf_image_t v4;
    bf_make_image(&v4, 14000, 4, 0, 25, -1, 0xff);
    dfu_flash_erase(&d->cfg.secondary, 0, d->cfg.secondary.size);
    bf_poke(d, &d->cfg.secondary, 0, v4.data, v4.len);
    CHECK_EQ_INT(dfu_boot_set_pending(&d->cfg.secondary, 0, &d->cfg.trailer), 0);
    dfu_simflash_cut_after(&d->sf, 30, 1);
    dfu_boot_result_t cutres;
    CHECK_EQ_INT(dfu_boot_go(&d->boot, &cutres), DFU_ERR_POWER_CUT);
    dfu_simflash_power_on(&d->sf);
    r = boot(x);
    CHECK_EQ_INT(r.resumed, 1);
    CHECK_EQ_INT(r.swap_type, DFU_BOOT_SWAP_TEST);
    CHECK_EQ_INT(r.reason_code, DFU_BOOT_REASON_RESUMED);
    CHECK(strcmp(r.reason, "power cut during swap: resumed and completed") == 0);
    CHECK_EQ_INT(r.image.ver_major, 4);
    CHECK_EQ_INT(r.other.major, 3); /* the swapped-out image, read back from S */
    CHECK_EQ_INT(r.boot_count, 7);  /* the cut boot stored nothing */
    /* the log lists them newest first */
    dfu_boot_log_iter_t it;
    CHECK_EQ_INT(dfu_boot_log_iter_init(&it, &d->cfg.log), 0);
    CHECK_EQ_INT(it.total, 7);
    static const uint8_t want[7] = {DFU_BOOT_REASON_RESUMED, DFU_BOOT_REASON_DOWNGRADE,
                                    DFU_BOOT_REASON_PERM,    DFU_BOOT_REASON_BAD_HASH,
                                    DFU_BOOT_REASON_REVERT,  DFU_BOOT_REASON_TEST,
                                    DFU_BOOT_REASON_NONE};
    for (int i = 0; i < 7; i++) {
        dfu_boot_result_t e;
        CHECK_EQ_INT(dfu_boot_log_iter_next(&it, &e), 0);
        CHECK_EQ_INT(e.reason_code, want[i]);
        CHECK_EQ_INT(e.boot_count, 7 - i);
    }
    /* an overlapping or too small report area is refused by dfu_boot_init */
    dfu_boot_cfg_t bad_cfg = d->cfg;
    bad_cfg.log = d->cfg.secondary;
    dfu_boot_t b2;
    CHECK_EQ_INT(dfu_boot_init(&b2, &bad_cfg), DFU_ERR_INVAL);
    bad_cfg = d->cfg;
    bad_cfg.handoff_size = DFU_BOOT_HANDOFF_SIZE - 1;
    CHECK_EQ_INT(dfu_boot_init(&b2, &bad_cfg), DFU_ERR_INVAL);
    rdev_free(x);
    bf_free_image(&v1);
    bf_free_image(&v2);
    bf_free_image(&v3);
    bf_free_image(&v4);
    bf_free_image(&bad);
}

int main(void)
{
    test_codec();
    test_handoff();
    test_log();
    test_log_powerfail();
    test_boot_reports();
    return dfu_test_finish("test_boot_record");
}
