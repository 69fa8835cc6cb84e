/* smp-protocol.md §8 vectors through the dispatcher: byte-identical where Zephyr's output is
 * given (§8.1, Zephyr-form lines of §8.3/§8.4), decode-equal where only content is given. */
#include "dfu_test.h"
#include "dfukit/dfu_err.h"
#include "smp_testutil.h"

/* Sends hex request; compares the single response byte for byte with hex `want`. */
static void exact(tu_dev_t *d, const char *req_hex, const char *want_hex)
{
    uint8_t req[512], want[512];
    size_t rn = tu_unhex(req_hex, req, sizeof(req));
    size_t wn = tu_unhex(want_hex, want, sizeof(want));
    CHECK_EQ_INT(tu_dev_req(d, req, rn, 1), 1);
    CHECK_EQ_INT(d->rsp_len[0], wn);
    if (d->rsp_len[0] != wn || memcmp(d->rsp[0], want, wn) != 0) {
        fprintf(stderr, "  request %s\n  want    %s\n  got     ", req_hex, want_hex);
        for (size_t i = 0; i < d->rsp_len[0]; i++) {
            fprintf(stderr, "%02x ", d->rsp[0][i]);
        }
        fprintf(stderr, "\n");
        CHECK(0);
    }
}

/* Sends hex request; compares header fields (except length) and decoded content. */
static void equal(tu_dev_t *d, const char *req_hex, const char *want_hex)
{
    uint8_t req[512], want[512];
    size_t rn = tu_unhex(req_hex, req, sizeof(req));
    size_t wn = tu_unhex(want_hex, want, sizeof(want));
    CHECK_EQ_INT(tu_dev_req(d, req, rn, 1), 1);
    CHECK_MEM(d->rsp[0], want, 2);
    CHECK_MEM(d->rsp[0] + 4, want + 4, 4);
    char *a = tu_canon(d->rsp[0] + 8, d->rsp_len[0] - 8);
    char *b = tu_canon(want + 8, wn - 8);
    CHECK(a && b && strcmp(a, b) == 0);
    if (!(a && b && strcmp(a, b) == 0)) {
        fprintf(stderr, "  request %s\n  want %s\n  got  %s\n", req_hex, b, a);
    }
    free(a);
    free(b);
}

static void zephyr_tests(void)
{
    tu_opts_t o = {.no_rsn = true};
    tu_dev_t *d = tu_dev_new(&o, NULL, 0);
    /* §8.1 os_mgmt_echo: v1, 40-char string, indefinite map. */
    char req[256], rsp[256], hex40[128] = "";
    const char *s = "short MCUMGR test application message...";
    for (int i = 0; i < 40; i++) {
        sprintf(hex40 + 2 * i, "%02x", (unsigned char)s[i]);
    }
    snprintf(req, sizeof req, "02 00 00 2e 00 00 01 00 bf 61 64 78 28 %s ff", hex40);
    snprintf(rsp, sizeof rsp, "03 00 00 2e 00 00 01 00 bf 61 72 78 28 %s ff", hex40);
    exact(d, req, rsp);
    /* §8.1 smp_version: OS info with invalid format "8". */
    exact(d, "00 00 00 0a 00 00 01 07 a1 66 666f726d6174 61 38",
          "01 00 00 06 00 00 01 07 bf 62 72 63 03 ff");
    exact(d, "08 00 00 0a 00 00 01 07 a1 66 666f726d6174 61 38",
          "09 00 00 13 00 00 01 07 bf 63 65 72 72 bf 65 67 72 6f 75 70 00 62 72 63 02 ff ff");
    exact(d, "10 00 00 0a 00 00 01 07 a1 66 666f726d6174 61 38",
          "09 00 00 06 00 00 01 07 bf 62 72 63 0d ff");
    exact(d, "18 00 00 0a 00 00 01 07 a1 66 666f726d6174 61 38",
          "09 00 00 06 00 00 01 07 bf 62 72 63 0d ff");
    /* §8.3 old client reset v1 → {} before the reset. */
    int resets = d->resets;
    exact(d, "02 00 00 02 00 00 00 05 bf ff", "03 00 00 02 00 00 00 05 bf ff");
    CHECK_EQ_INT(d->resets, resets + 1);
    /* §8.4 echo v2: Zephyr's indefinite-map form. */
    exact(d, "0a 00 00 09 00 00 42 00 a1 61 64 65 68 65 6c 6c 6f",
          "0b 00 00 0a 00 00 42 00 bf 61 72 65 68 65 6c 6c 6f ff");
    /* §8.4 echo v1. */
    exact(d, "02 00 00 09 00 00 00 00 a1 61 64 65 68 65 6c 6c 6f",
          "03 00 00 0a 00 00 00 00 bf 61 72 65 68 65 6c 6c 6f ff");
    /* §8.3 Android params probe (v1, seq 0xff) answered by a params-capable server. */
    exact(d, "00 00 00 01 00 00 ff 06 a0",
          "01 00 00 19 00 00 ff 06 bf 68 6275665f73697a65 19 0180 69 6275665f636f756e74 04 ff");
    tu_dev_free(d);

    /* §8.1: build without original-protocol support → rc 12 for v1. */
    d = tu_dev_new(&o, NULL, 0);
    d->srv.cfg.no_v1 = true;
    exact(d, "00 00 00 0a 00 00 01 07 a1 66 666f726d6174 61 38",
          "01 00 00 06 00 00 01 07 bf 62 72 63 0c ff");
    tu_dev_free(d);
}

static void content_tests(void)
{
    tu_opts_t o = {.no_rsn = true, .buf_size = 2475};
    tu_dev_t *d = tu_dev_new(&o, NULL, 0);
    /* §8.2 (intercreate/smp records) */
    equal(d, "0a 00 00 10 00 00 8b 00 a1 61 64 6c 48 65 6c 6c 6f 20 77 6f 72 6c 64 21",
          "0b 00 00 10 00 00 8b 00 a1 61 72 6c 48 65 6c 6c 6f 20 77 6f 72 6c 64 21");
    int resets = d->resets;
    equal(d, "0a 00 00 01 00 00 8d 05 a0", "0b 00 00 01 00 00 8d 05 a0");
    CHECK_EQ_INT(d->resets, resets + 1);
    equal(d, "08 00 00 01 00 01 0d 00 a0",
          "09 00 00 0f 00 01 0d 00 a2 66 696d61676573 80 6b 73706c6974537461747573 00");
    /* erase slot 0 (the running slot): NO_FREE_SLOT */
    equal(d, "0a 00 00 07 00 01 0f 05 a1 64 73 6c 6f 74 00",
          "0b 00 00 11 00 01 0f 05 a1 63 65 72 72 a2 65 67 72 6f 75 70 01 62 72 63 09");
    /* basic group (63) and shell (9) are not provided */
    equal(d, "0a 00 00 01 00 3f 48 00 a0", "0b 00 00 05 00 3f 48 00 a1 62 72 63 08");
    equal(d, "0a 00 00 12 00 09 42 00 a1 64 61 72 67 76 82 64 65 63 68 6f 65 48 65 6c 6c 6f",
          "0b 00 00 05 00 09 42 00 a1 62 72 63 08");
    /* §8.4 params with buf_size 2475 */
    equal(d, "08 00 00 01 00 00 09 06 a0",
          "09 00 00 18 00 00 09 06 a2 68 62 75 66 5f 73 69 7a 65 19 09 ab 69 62 75 66 5f 63 6f "
          "75 6e 74 04");
    /* §8.4 bootloader info mode (swap-move = 3) */
    equal(d, "08 00 00 0c 00 00 0a 08 a1 65 71 75 65 72 79 64 6d 6f 64 65",
          "09 00 00 07 00 00 0a 08 a1 64 6d 6f 64 65 03");
    equal(d, "08 00 00 01 00 00 0b 08 a0",
          "09 00 00 00 00 00 0b 08 a1 6a 626f6f746c6f61646572 67 4d4355626f6f74");
    /* §8.4 reset force */
    resets = d->resets;
    equal(d, "0a 00 00 08 00 00 08 05 a1 65 66 6f 72 63 65 f5", "0b 00 00 01 00 00 08 05 a0");
    CHECK_EQ_INT(d->resets, resets + 1);
    /* §8.3 Android v2 list request: answered with version 1 (v2) by a current server */
    equal(d, "08 00 00 01 00 01 01 00 a0",
          "09 00 00 0f 00 01 01 00 a2 66 696d61676573 80 6b 73706c6974537461747573 00");
    /* §8.4 upload response "restart": a chunk at off > 0 with no session → {"off":0} */
    equal(d, "0a 00 00 0e 00 01 14 01 a2 63 6f6666 18 30 64 64617461 41 00",
          "0b 00 00 06 00 01 14 01 a1 63 6f 66 66 00");
    /* §8.4 test-state write for H1 (not in any slot) → HASH_NOT_FOUND (8) */
    equal(d,
          "0a 00 00 31 00 01 02 00 a2 64 68 61 73 68 58 20 "
          "828cb6fc0cf853537b6ad4f368d4e8f3893473185665f066025652a70958c714 67 63 6f 6e 66 69 72 "
          "6d f4",
          "0b 00 00 11 00 01 02 00 a1 63 65 72 72 a2 65 67 72 6f 75 70 01 62 72 63 08");
    /* §8.4 100-byte fake image upload, two chunks */
    uint8_t file[100];
    size_t n = tu_unhex("3d b8 f3 96 00 00 00 00 20 00 00 00 40 00 00 00 00 00 00 00 01 03 00 00 "
                        "00 00 00 00 00 00 00 00",
                        file, 32);
    CHECK_EQ_INT(n, 32);
    for (int i = 0; i < 64; i++) {
        file[32 + i] = (uint8_t)i;
    }
    memcpy(file + 96, "\x07\x69\x04\x00", 4);
    uint8_t sha[32], want_sha[32];
    tu_sha256(file, sizeof(file), sha);
    tu_unhex("f814dc99057423dc3ea87a87d7559316c013c8a1becc069b90aa7e70d31ae274", want_sha, 32);
    CHECK_MEM(sha, want_sha, 32);
    char req[1024], tmp[8];
    strcpy(req, "0a 00 00 79 00 01 05 01 a6 65 69 6d 61 67 65 00 63 6c 65 6e 18 64 63 6f 66 66 00 "
                "63 73 68 61 58 20 ");
    for (int i = 0; i < 32; i++) {
        sprintf(tmp, "%02x", sha[i]);
        strcat(req, tmp);
    }
    strcat(req, " 64 64 61 74 61 58 30 ");
    for (int i = 0; i < 48; i++) {
        sprintf(tmp, "%02x", file[i]);
        strcat(req, tmp);
    }
    strcat(req, " 67 75 70 67 72 61 64 65 f4");
    equal(d, req, "0b 00 00 07 00 01 05 01 a1 63 6f 66 66 18 30");
    strcpy(req, "0a 00 00 42 00 01 06 01 a2 63 6f 66 66 18 30 64 64 61 74 61 58 34 ");
    for (int i = 48; i < 100; i++) {
        sprintf(tmp, "%02x", file[i]);
        strcat(req, tmp);
    }
    equal(d, req, "0b 00 00 0e 00 01 06 01 a2 63 6f 66 66 18 64 65 6d 61 74 63 68 f5");
    CHECK_MEM(d->fl.mem + TU_PRIMARY_SIZE, file, sizeof(file));
    tu_dev_free(d);

    /* §8.4 SMP-level {"rc":8} for params on a server without the OS group. */
    uint8_t buf[384];
    dfu_smp_server_t srv;
    dfu_smp_server_cfg_t sc = {.buf = buf, .buf_size = sizeof(buf), .no_rsn = true};
    CHECK_EQ_INT(dfu_smp_server_init(&srv, &sc), 0);
    uint8_t in[9];
    tu_unhex("08 00 00 01 00 00 ff 06 a0", in, 9);
    size_t rl = 0;
    bool stop = false;
    CHECK_EQ_INT(dfu_smp_server_handle(&srv, in, 9, 1, &rl, &stop), 9);
    char *c = tu_canon(buf + 8, rl - 8);
    CHECK(c && strcmp(c, "{\"rc\":8}") == 0);
    CHECK_MEM(buf, "\x09\x00", 2);
    CHECK_MEM(buf + 4, "\x00\x00\xff\x06", 4);
    free(c);
}

int main(void)
{
    zephyr_tests();
    content_tests();
    return dfu_test_finish("test_smp_vectors");
}
