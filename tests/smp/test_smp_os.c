/* OS group: every command in SMP v1 and v2, including each error path. */
#include "dfu_test.h"
#include "dfukit/dfu_cbor.h"
#include "dfukit/dfu_err.h"
#include "smp_testutil.h"

/* Sends {payload} to group 0 cmd `id`; returns the canonical response text (malloc'd). */
static char *os_req(tu_dev_t *d, uint8_t op, uint8_t ver, uint8_t id, const char *cbor_hex)
{
    uint8_t cb[1024], fr[1100];
    size_t n = tu_unhex(cbor_hex, cb, sizeof(cb));
    size_t fl = tu_frame(fr, op, ver, 0, 7, id, cb, n);
    CHECK_EQ_INT(tu_dev_req(d, fr, fl, 1), 1);
    CHECK_EQ_INT(d->rsp[0][0] & 7, op == DFU_SMP_OP_READ ? 1 : 3);
    CHECK_EQ_INT((d->rsp[0][0] >> 3) & 3, ver > 1 ? 1 : ver);
    return tu_last_canon(d);
}

static void expect(char *got, const char *want)
{
    CHECK(strcmp(got, want) == 0);
    if (strcmp(got, want) != 0) {
        fprintf(stderr, "  want %s\n  got  %s\n", want, got);
    }
    free(got);
}

#define R DFU_SMP_OP_READ
#define W DFU_SMP_OP_WRITE

static void test_echo(tu_dev_t *d)
{
    expect(os_req(d, W, 1, 0, "a1 61 64 62 6869"), "{\"r\":\"hi\"}");
    expect(os_req(d, R, 0, 0, "a1 61 64 62 6869"), "{\"r\":\"hi\"}");
    expect(os_req(d, W, 0, 0, "bf 61 64 62 6869 63 78797a 01 ff"), "{\"r\":\"hi\"}");
    expect(os_req(d, W, 1, 0, "a0"), "{\"r\":\"\"}");
    expect(os_req(d, W, 1, 0, ""), "{\"r\":\"\"}");
    expect(os_req(d, W, 1, 0, "a1 61 64 05"), "{\"rc\":3}"); /* d: int */
    expect(os_req(d, W, 0, 0, "a2 61 64"), "{\"rc\":3}");    /* truncated CBOR */
    expect(os_req(d, W, 1, 0, "82 01 02"), "{\"rc\":3}");    /* array payload */
    /* a string that does not fit the 384-byte response buffer: rc 7 (EMSGSIZE) */
    char big[1200] = "a1 61 64 79 0190 ";
    for (int i = 0; i < 400; i++) {
        strcat(big, "41");
    }
    expect(os_req(d, W, 1, 0, big), "{\"rc\":7}");
}

static void test_datetime(tu_dev_t *d)
{
    /* Clock not set: OS err 4 (v2), rc 5 (v1). */
    expect(os_req(d, R, 1, 4, "a0"), "{\"err\":{\"group\":0,\"rc\":4}}");
    expect(os_req(d, R, 0, 4, "a0"), "{\"rc\":5}");
    /* Set, then get. */
    expect(os_req(d, W, 1, 4, "a1 68 6461746574696d65 73 323032342d30332d30355430363a30373a3038"),
           "{}");
    CHECK(d->clock_set);
    CHECK_EQ_INT(d->clock.year, 2024);
    CHECK_EQ_INT(d->clock.second, 8);
    expect(os_req(d, R, 1, 4, "a0"), "{\"datetime\":\"2024-03-05T06:07:08\"}");
    /* Zone suffix ignored; other single delimiters accepted. */
    expect(
        os_req(d, W, 1, 4,
               "a1 68 6461746574696d65 78 19 323032352d31322d33315432333a35393a35392b30313a3030"),
        "{}");
    CHECK_EQ_INT(d->clock.month, 12);
    /* Bad strings: rc 3 in both versions. */
    expect(os_req(d, W, 1, 4, "a1 68 6461746574696d65 73 323032342d31332d30355430363a30373a3038"),
           "{\"rc\":3}");                                                           /* month 13 */
    expect(os_req(d, W, 0, 4, "a1 68 6461746574696d65 64 32303234"), "{\"rc\":3}"); /* short */
    expect(os_req(d, W, 1, 4, "a0"), "{\"rc\":3}");
    expect(os_req(d, W, 1, 4, "a1 68 6461746574696d65 01"), "{\"rc\":3}");
    dfu_smp_datetime_t dt;
    CHECK_EQ_INT(dfu_smp_os_parse_datetime("2024-01-02T03:04:05.123", 23, true, &dt), 0);
    CHECK_EQ_INT(dt.ms, 123);
    CHECK_EQ_INT(dfu_smp_os_parse_datetime("1899-01-02T03:04:05", 19, false, &dt), DFU_ERR_INVAL);
    CHECK_EQ_INT(dfu_smp_os_parse_datetime("2024-01-02T24:04:05", 19, false, &dt), DFU_ERR_INVAL);
    CHECK_EQ_INT(dfu_smp_os_parse_datetime("2024-01-02T03:04:5x", 19, false, &dt), 0);
    CHECK_EQ_INT(dfu_smp_os_parse_datetime("2024-01-0203:04:05x", 19, false, &dt), DFU_ERR_INVAL);
    char s[32];
    dt.ms = 7;
    CHECK_EQ_INT(dfu_smp_os_format_datetime(&dt, true, s, sizeof s), 21);
    CHECK(strcmp(s, "2024-01-02T03:04:05.7") == 0);
}

static void test_reset(tu_dev_t *d)
{
    int r0 = d->resets;
    expect(os_req(d, W, 1, 5, "a0"), "{}");
    CHECK_EQ_INT(d->resets, r0 + 1);
    CHECK_EQ_INT(d->reset_mode, 0);
    expect(os_req(d, W, 1, 5, "a1 69 626f6f745f6d6f6465 01"), "{}");
    CHECK_EQ_INT(d->reset_mode, 1);
    /* refused by the application: rc 10 in both versions, no reset */
    d->refuse_reset = 1;
    expect(os_req(d, W, 1, 5, "a0"), "{\"rc\":10}");
    expect(os_req(d, W, 0, 5, "a1 65 666f726365 f4"), "{\"rc\":10}");
    CHECK_EQ_INT(d->resets, r0 + 2);
    /* force (bool, or int as the rst documents) overrides */
    expect(os_req(d, W, 1, 5, "a1 65 666f726365 f5"), "{}");
    expect(os_req(d, W, 0, 5, "a1 65 666f726365 01"), "{}");
    CHECK_EQ_INT(d->resets, r0 + 4);
    d->refuse_reset = 0;
    /* malformed map: the reset still happens */
    expect(os_req(d, W, 1, 5, "a2 65 666f726365"), "{}");
    CHECK_EQ_INT(d->resets, r0 + 5);
    expect(os_req(d, W, 1, 5, "a1 69 626f6f745f6d6f6465 19 0100"), "{\"rc\":3}");
    /* reset as a read: not supported */
    expect(os_req(d, R, 1, 5, "a0"), "{\"rc\":8}");
    CHECK_EQ_INT(d->resets, r0 + 5);
}

static void test_info(tu_dev_t *d)
{
    expect(os_req(d, R, 1, 6, "a0"), "{\"buf_count\":4,\"buf_size\":384}");
    expect(os_req(d, R, 1, 7, "a0"), "{\"output\":\"dfukit\"}");
    expect(os_req(d, R, 1, 7, "a1 66 666f726d6174 62 7673"), "{\"output\":\"dfukit 0.1.0\"}");
    expect(os_req(d, R, 1, 7, "a1 66 666f726d6174 61 61"),
           "{\"output\":\"dfukit dfukit-device 0.1.0 0.1.0 arm cortex-m4 generic dfukit\"}");
    expect(os_req(d, R, 1, 7, "a1 66 666f726d6174 61 62"), "{\"err\":{\"group\":0,\"rc\":2}}");
    expect(os_req(d, R, 0, 7, "a1 66 666f726d6174 61 78"), "{\"rc\":3}");
    expect(os_req(d, R, 1, 8, "a0"), "{\"bootloader\":\"MCUboot\"}");
    expect(os_req(d, R, 1, 8, "a1 65 7175657279 64 6d6f6465"), "{\"mode\":3}");
    expect(os_req(d, R, 1, 8, "a1 65 7175657279 63 666f6f"), "{\"rc\":3}");
    expect(os_req(d, R, 0, 8, "a1 65 7175657279 63 666f6f"), "{\"rc\":3}");
    /* task stats / memory pool: not provided */
    expect(os_req(d, R, 1, 2, "a0"), "{\"rc\":8}");
    expect(os_req(d, R, 1, 3, "a0"), "{\"rc\":8}");
    expect(os_req(d, R, 1, 99, "a0"), "{\"rc\":8}");
    expect(os_req(d, W, 1, 6, "a0"), "{\"rc\":8}");

    /* Custom configuration: names, build time, no-downgrade, overwrite mode, buf_count. */
    uint8_t buf[512];
    dfu_smp_server_t srv;
    dfu_smp_server_cfg_t sc = {.buf = buf, .buf_size = sizeof(buf), .no_rsn = true};
    CHECK_EQ_INT(dfu_smp_server_init(&srv, &sc), 0);
    dfu_smp_os_t os;
    dfu_smp_os_cfg_t oc = {.kernel_name = "Zephyr",
                           .build_time = "2026-11-24T09:00:00",
                           .mcuboot_mode = DFU_SMP_MODE_OVERWRITE,
                           .no_downgrade = true,
                           .buf_count = 2};
    CHECK_EQ_INT(dfu_smp_os_register(&srv, &os, &oc), 0);
    CHECK_EQ_INT(dfu_smp_os_register(&srv, &os, &oc), DFU_ERR_EXIST);
    const char *reqs[][2] = {
        {"08 00 00 0c 00 00 01 08 a1 65 7175657279 64 6d6f6465",
         "{\"mode\":2,\"no-downgrade\":true}"},
        {"08 00 00 0a 00 00 01 07 a1 66 666f726d6174 61 62",
         "{\"output\":\"2026-11-24T09:00:00\"}"},
        {"08 00 00 01 00 00 01 06 a0", "{\"buf_count\":2,\"buf_size\":512}"},
        {"08 00 00 01 00 00 01 07 a0", "{\"output\":\"Zephyr\"}"},
        {"08 00 00 01 00 00 01 04 a0", "{\"rc\":8}"}, /* no clock port */
        {"0a 00 00 01 00 00 01 05 a0", "{\"rc\":8}"}, /* no reset port */
    };
    for (size_t i = 0; i < sizeof(reqs) / sizeof(reqs[0]); i++) {
        uint8_t in[64];
        size_t n = tu_unhex(reqs[i][0], in, sizeof in);
        size_t rl;
        bool stop;
        CHECK_EQ_INT(dfu_smp_server_handle(&srv, in, n, 1, &rl, &stop), (int)n);
        expect(tu_canon(buf + 8, rl - 8), reqs[i][1]);
    }
}

static void test_rsn(void)
{
    tu_dev_t *d = tu_dev_new(NULL, NULL, 0);
    char *c = os_req(d, R, 1, 99, "a0");
    CHECK(strstr(c, "\"rc\":8") && strstr(c, "\"rsn\":\"unknown command\""));
    free(c);
    c = os_req(d, R, 1, 7, "a1 66 666f726d6174 61 62");
    CHECK(strstr(c, "\"err\":{\"group\":0,\"rc\":2}") && strstr(c, "rsn"));
    free(c);
    tu_dev_free(d);
}

int main(void)
{
    tu_opts_t o = {.no_rsn = true};
    tu_dev_t *d = tu_dev_new(&o, NULL, 0);
    test_echo(d);
    test_datetime(d);
    test_reset(d);
    test_info(d);
    tu_dev_free(d);
    test_rsn();
    return dfu_test_finish("test_smp_os");
}
