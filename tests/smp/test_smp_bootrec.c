/*
 * OS bootloader info (8), dfukit's boot outcome queries:
 *  - a server without the record answers "last_boot" / "boot_log" byte for byte as an unknown
 *    query ({"rc": 3} in v1 and v2, Zephyr's behaviour), with and without rsn;
 *  - "last_boot" with every key (worst-case lengths) fits the smallest response buffer (384 B)
 *    in v1 and v2, and reports exactly the record; readable at L1 under the `secure` policy;
 *  - "boot_log" pages through a 50-record log with "before" at 384 B (newest first, no gaps or
 *    duplicates), honours "count", reports "total"; an empty log answers total 0.
 */
#include "dfu_test.h"
#include "dfukit/dfu_boot_record.h"
#include "dfukit/dfu_cbor.h"
#include "dfukit/dfu_err.h"
#include "smp_testutil.h"

typedef struct {
    uint8_t buf[1024];
    dfu_smp_server_t srv;
    dfu_smp_os_t os;
    size_t len; /* last response length (header included) */
} srv_t;

static void srv_init_cap(srv_t *s, size_t cap, bool no_rsn, const dfu_smp_policy_t *pol,
                         const dfu_boot_result_t *last, const dfu_flash_area_t *log)
{
    memset(s, 0, sizeof(*s));
    dfu_smp_server_cfg_t sc = {.buf = s->buf, .buf_size = cap, .no_rsn = no_rsn, .policy = pol};
    CHECK_EQ_INT(dfu_smp_server_init(&s->srv, &sc), 0);
    dfu_smp_os_cfg_t oc = {
        .mcuboot_mode = DFU_SMP_MODE_SWAP_MOVE, .last_boot = last, .boot_log = log};
    CHECK_EQ_INT(dfu_smp_os_register(&s->srv, &s->os, &oc), 0);
}

static void srv_init(srv_t *s, bool no_rsn, const dfu_smp_policy_t *pol,
                     const dfu_boot_result_t *last, const dfu_flash_area_t *log)
{
    srv_init_cap(s, 384, no_rsn, pol, last, log);
}

/* Sends a bootloader info read with CBOR `cb` (SMP version `ver`); returns the response bytes
 * (header included) in s->buf / s->len. */
static void query(srv_t *s, uint8_t ver, const uint8_t *cb, size_t n, uint8_t level)
{
    uint8_t fr[300];
    size_t fl = tu_frame(fr, DFU_SMP_OP_READ, ver, 0, 9, 8, cb, n);
    bool stop = false;
    s->len = 0;
    CHECK_EQ_INT(dfu_smp_server_handle(&s->srv, fr, fl, level, &s->len, &stop), (int)fl);
}

/* {"query": q} plus optional count / before (0 = absent). */
static size_t qmap(uint8_t *out, size_t cap, const char *q, uint64_t count, uint64_t before)
{
    dfu_cbor_writer_t w;
    dfu_cbor_writer_init(&w, out, cap);
    size_t pairs = 1u + (count != 0u) + (before != 0u);
    (void)(dfu_cbor_put_map(&w, pairs) && dfu_cbor_put_str(&w, "query") && dfu_cbor_put_str(&w, q));
    if (count) {
        (void)(dfu_cbor_put_str(&w, "count") && dfu_cbor_put_uint(&w, count));
    }
    if (before) {
        (void)(dfu_cbor_put_str(&w, "before") && dfu_cbor_put_uint(&w, before));
    }
    CHECK_EQ_INT(w.err, 0);
    return w.len;
}

static void test_without_record(void)
{
    for (int rsn = 0; rsn < 2; rsn++) {
        srv_t *s = calloc(1, sizeof(*s));
        srv_init(s, rsn == 0, NULL, NULL, NULL);
        for (uint8_t ver = 0; ver < 2; ver++) {
            uint8_t cb[64], unknown[300];
            size_t n = qmap(cb, sizeof cb, "no_such_query", 0, 0);
            query(s, ver, cb, n, 1);
            size_t ulen = s->len;
            memcpy(unknown, s->buf, ulen);
            if (rsn == 0) {
                /* Zephyr: {"rc": 3} as a plain SMP code in both versions, v1 header op 1 */
                uint8_t want[14] = {0x01, 0, 0, 6, 0, 0, 9, 8, 0xbf, 0x62, 'r', 'c', 3, 0xff};
                want[0] = (uint8_t)(ver << 3 | 1);
                CHECK_EQ_INT(ulen, sizeof want);
                CHECK_MEM(unknown, want, sizeof want);
            }
            const char *qs[] = {"last_boot", "boot_log"};
            for (int k = 0; k < 2; k++) {
                n = qmap(cb, sizeof cb, qs[k], k ? 3 : 0, 0);
                query(s, ver, cb, n, 1);
                CHECK_EQ_INT(s->len, ulen);
                CHECK_MEM(s->buf, unknown, ulen);
            }
        }
        free(s);
    }
}

static dfu_boot_result_t worst_record(void)
{
    dfu_boot_result_t r;
    memset(&r, 0, sizeof(r));
    r.boot_count = 0xfffffff0u;
    r.swap_type = DFU_BOOT_SWAP_FAIL;
    r.booted = 1;
    r.resumed = 1;
    r.reason_code = DFU_BOOT_REASON_INTERRUPTED; /* the longest text */
    r.secondary_err = DFU_ERR_KEY_MISMATCH;
    r.primary_err = DFU_ERR_BAD_SIGNATURE;
    r.image.ver_major = 255;
    r.image.ver_minor = 255;
    r.image.ver_revision = 65535;
    r.image.ver_build = 0xffffffffu;
    r.image.hash_len = 32;
    memset(r.image.hash, 0xab, 32);
    r.has_other = 1;
    r.other = (dfu_boot_version_t){254, 253, 65534, 0xfffffffeu};
    r.flash_erases = r.flash_writes = r.flash_bytes = r.time_ms = 0xfffffff1u;
    return r;
}

static void test_last_boot(void)
{
    for (int c = 0; c < DFU_BOOT_REASON_COUNT; c++) {
        CHECK(strlen(dfu_boot_reason_text(c)) <=
              strlen(dfu_boot_reason_text(DFU_BOOT_REASON_INTERRUPTED)));
    }
    dfu_boot_result_t r = worst_record();
    srv_t *s = calloc(1, sizeof(*s));
    srv_init(s, false, &dfu_smp_policy_secure, &r, NULL);
    uint8_t cb[64];
    size_t n = qmap(cb, sizeof cb, "last_boot", 0, 0);
    for (uint8_t ver = 0; ver < 2; ver++) {
        query(s, ver, cb, n, 1); /* L1: readable under the secure policy */
        char *t = tu_canon(s->buf + 8, s->len - 8);
        const char *want =
            "{\"boot\":4294967280,\"booted\":true,\"flash_bytes\":4294967281,"
            "\"flash_erases\":4294967281,\"flash_writes\":4294967281,"
            "\"hash\":h'abababababababababababababababababababababababababababababababab',"
            "\"other_version\":\"254.253.65534.4294967294\",\"primary_err\":-1007,"
            "\"reason\":\"interrupted request, secondary no longer valid (fail)\","
            "\"reason_code\":12,\"refused_err\":-1008,\"resumed\":true,\"slot\":0,"
            "\"swap\":\"fail\",\"time_ms\":4294967281,"
            "\"version\":\"255.255.65535.4294967295\"}";
        CHECK(t != NULL && strcmp(t, want) == 0);
        if (t == NULL || strcmp(t, want) != 0) {
            fprintf(stderr, "  got  %s\n  want %s\n", t ? t : "(null)", want);
        }
        free(t);
        printf("last_boot worst case: %zu of 384 bytes\n", s->len);
        CHECK(s->len <= 384);
    }
    /* a revert reports swap "revert"; version without build; no "other_version" when unknown */
    memset(&r, 0, sizeof(r));
    r.boot_count = 3;
    r.swap_type = DFU_BOOT_SWAP_PERM; /* the move revert fix-up: PERM with reverted set */
    r.reverted = 1;
    r.booted = 1;
    r.reason_code = DFU_BOOT_REASON_REVERT;
    r.image.ver_major = 1;
    query(s, 1, cb, n, 1);
    char *t = tu_canon(s->buf + 8, s->len - 8);
    CHECK(t != NULL && strstr(t, "\"swap\":\"revert\"") != NULL &&
          strstr(t, "\"version\":\"1.0.0\"") != NULL && strstr(t, "other_version") == NULL &&
          strstr(t, "refused_err") == NULL &&
          strstr(t, "\"reason\":\"test image not confirmed: reverted\"") != NULL);
    free(t);
    /* unknown queries now name what is supported */
    n = qmap(cb, sizeof cb, "foo", 0, 0);
    query(s, 1, cb, n, 1);
    t = tu_canon(s->buf + 8, s->len - 8);
    CHECK(t != NULL && strstr(t, "\"rc\":3") != NULL && strstr(t, "mode, last_boot\"") != NULL);
    free(t);
    free(s);
}

static void test_boot_log(void)
{
    tu_flash_t fl;
    tu_flash_init(&fl, 0x4000, 0x1000, 8);
    dfu_flash_area_t log = {&fl.flash, 0x1000, 0x2000, 5};
    srv_t *s = calloc(1, sizeof(*s));
    srv_init(s, true, NULL, NULL, &log);
    uint8_t cb[64];
    /* empty log */
    size_t n = qmap(cb, sizeof cb, "boot_log", 0, 0);
    query(s, 1, cb, n, 1);
    char *t = tu_canon(s->buf + 8, s->len - 8);
    CHECK(t != NULL && strcmp(t, "{\"boot_log\":[],\"total\":0}") == 0);
    free(t);
    /* 50 boots: 42 per sector, so the log keeps 42 + 8 = 50 */
    dfu_boot_result_t r;
    for (int i = 1; i <= 50; i++) {
        memset(&r, 0, sizeof(r));
        r.booted = 1;
        r.swap_type = i % 3 == 0 ? DFU_BOOT_SWAP_TEST : DFU_BOOT_SWAP_NONE;
        r.reason_code = i % 3 == 0 ? DFU_BOOT_REASON_TEST : DFU_BOOT_REASON_NONE;
        r.image.ver_major = (uint8_t)i;
        r.has_other = i % 3 == 0;
        r.other.major = (uint8_t)(i - 1);
        CHECK_EQ_INT(dfu_boot_log_append(&log, &r), 0);
    }
    /* page with "before" until empty */
    uint64_t before = 0, expect_next = 50, pages = 0;
    for (;;) {
        n = qmap(cb, sizeof cb, "boot_log", 0, before);
        query(s, 1, cb, n, 1);
        CHECK(s->len <= 384);
        dfu_cbor_reader_t rd;
        dfu_cbor_reader_init(&rd, s->buf + 8, s->len - 8);
        t = tu_canon(s->buf + 8, s->len - 8);
        CHECK(t != NULL && strstr(t, "\"total\":50") != NULL);
        /* count entries and check their boot numbers from the canonical text */
        uint64_t got = 0;
        for (char *p = t ? strstr(t, "{\"boot\":") : NULL; p; p = strstr(p + 1, "{\"boot\":")) {
            unsigned long b = strtoul(p + 8, NULL, 10);
            CHECK_EQ_INT(b, expect_next);
            char want[64];
            snprintf(want, sizeof want, "\"version\":\"%lu.0.0\"", b);
            CHECK(strstr(p, want) != NULL);
            expect_next--;
            got++;
            before = b;
        }
        free(t);
        pages++;
        if (got == 0) {
            break;
        }
        CHECK(got >= 1);
    }
    CHECK_EQ_INT(expect_next, 0);
    printf("boot_log: 50 entries in %llu pages of <= 384 bytes\n", (unsigned long long)pages - 1);
    CHECK(pages - 1 <= 25);
    /* count limits the answer */
    n = qmap(cb, sizeof cb, "boot_log", 1, 0);
    query(s, 0, cb, n, 1);
    t = tu_canon(s->buf + 8, s->len - 8);
    CHECK(t != NULL && strstr(t, "{\"boot\":50,") != NULL && strstr(t, "{\"boot\":49,") == NULL);
    CHECK(t != NULL && strstr(t, "\"other_version\":\"47.0.0\"") == NULL); /* 50 % 3 != 0 */
    free(t);
    /* a wrong type for count: rc 3, as any malformed bootloader info request */
    uint8_t badc[] = {0xa2, 0x65, 'q', 'u', 'e',  'r', 'y', 0x68, 'b', 'o', 'o',  't',
                      '_',  'l',  'o', 'g', 0x65, 'c', 'o', 'u',  'n', 't', 0x61, 'x'};
    query(s, 1, badc, sizeof badc, 1);
    t = tu_canon(s->buf + 8, s->len - 8);
    CHECK(t != NULL && strcmp(t, "{\"rc\":3}") == 0);
    free(t);
    free(s);
    tu_flash_free(&fl);
}

/* Entries are packed exactly: for every buffer size from 384 to 700 bytes, paging never gives an
 * error, and the room a page leaves is smaller than the next entry (measured on its own). */
static void test_boot_log_packing(void)
{
    tu_flash_t fl;
    tu_flash_init(&fl, 0x4000, 0x1000, 8);
    dfu_flash_area_t log = {&fl.flash, 0x1000, 0x2000, 5};
    for (int i = 1; i <= 30; i++) {
        dfu_boot_result_t r;
        memset(&r, 0, sizeof(r));
        r.booted = (uint8_t)(i % 7 != 0);
        r.resumed = (uint8_t)(i % 5 == 0);
        r.swap_type = (uint8_t)(1 + i % 5);
        r.reason_code = (uint8_t)(i % DFU_BOOT_REASON_COUNT);
        r.image.ver_major = (uint8_t)(i * 37);
        r.image.ver_minor = (uint8_t)i;
        r.image.ver_revision = (uint16_t)(i * 2111);
        r.image.ver_build = i % 3 == 0 ? 0u : (uint32_t)i * 123457u;
        r.has_other = (uint8_t)(i % 2);
        r.other = (dfu_boot_version_t){(uint8_t)(250 + i % 5), 0, (uint16_t)(i * 999),
                                       (uint32_t)(i % 4) * 70000u};
        CHECK_EQ_INT(dfu_boot_log_append(&log, &r), 0);
    }
    srv_t *big = calloc(1, sizeof(*big));
    srv_init_cap(big, 1024, true, NULL, NULL, &log);
    uint8_t cb[64];
    /* fixed part: an empty page */
    size_t n = qmap(cb, sizeof cb, "boot_log", 0, 1);
    query(big, 1, cb, n, 1);
    size_t empty = big->len;
    size_t esize[31] = {0};
    for (uint64_t b = 1; b <= 30; b++) {
        n = qmap(cb, sizeof cb, "boot_log", 1, b + 1);
        query(big, 1, cb, n, 1);
        esize[b] = big->len - empty;
    }
    int bad = 0;
    for (size_t cap = 384; cap <= 700; cap++) {
        srv_t *s = calloc(1, sizeof(*s));
        srv_init_cap(s, cap, true, NULL, NULL, &log);
        uint64_t before = 0, next = 30;
        while (next > 0) {
            n = qmap(cb, sizeof cb, "boot_log", 0, before);
            query(s, 1, cb, n, 1);
            char *t = tu_canon(s->buf + 8, s->len - 8);
            uint64_t got = 0;
            for (char *p = t ? strstr(t, "{\"boot\":") : NULL; p; p = strstr(p + 1, "{\"boot\":")) {
                got++;
                next--;
            }
            bool err = t == NULL || strstr(t, "\"rc\"") != NULL;
            free(t);
            /* no error, at least one entry, and the next entry would not have fitted */
            if (err || got == 0 || (next > 0 && cap - s->len >= esize[next])) {
                bad++;
                break;
            }
            before = next + 1;
        }
        free(s);
    }
    CHECK_EQ_INT(bad, 0);
    free(big);
    tu_flash_free(&fl);
}

int main(void)
{
    test_without_record();
    test_last_boot();
    test_boot_log();
    test_boot_log_packing();
    return dfu_test_finish("test_smp_bootrec");
}
