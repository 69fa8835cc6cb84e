/*
 * The sim with every boot strategy (move, scratch, offset, overwrite) and with signing keys:
 * install, upload over UDP, test, reset -> the new image runs (overwrite: permanently; the
 * swap strategies: reverted at the next reset when the image never confirms). With -k, an image
 * signed by another key is refused by the bootloader and the old image keeps running.
 */
#include <stdlib.h>
#include <string.h>

#include "dfu_test.h"
#include "dfukit/dfu_err.h"
#include "sim_harness.h"

#define TMO 3000

static char dir[128];

static int update(dfu_link_t *l, const char *img)
{
    size_t len = 0, next = 0;
    uint8_t *b = h_read_file(img, &len);
    if (b == NULL) {
        return -1;
    }
    int rc = smp_upload(l, b, len, 0, 1024, TMO, &next);
    free(b);
    smpstate_t st;
    if (rc == 0) {
        rc = smp_state(l, &st, TMO) == 2 ? 0 : -1;
    }
    if (rc == 0) {
        rc = smp_test(l, st.hash[1], TMO);
    }
    return rc == 0 ? smp_reset(l, TMO) : rc;
}

static void run_strategy(const char *strategy, const char *base, const char *v2)
{
    char flash[300], tag[64];
    snprintf(flash, sizeof(flash), "%s/%s.bin", dir, strategy);
    snprintf(tag, sizeof(tag), "s_%s", strategy);
    const char *args[] = {"--install", base, "--udp", "127.0.0.1:0", "--strategy", strategy, NULL};
    simproc_t p;
    CHECK_EQ_INT(h_spawn(&p, dir, tag, flash, 1, args), 0);
    CHECK_EQ_INT(h_wait_log(&p, "boot #1: swap=none slot=0 version=1.0.0", 1, 5000), 0);
    dfu_link_t l;
    CHECK_EQ_INT(dfu_link_udp_client_open(&l, "127.0.0.1", p.udp_port, 0), 0);
    CHECK_EQ_INT(update(&l, v2), 0);
    bool overwrite = strcmp(strategy, "overwrite") == 0;
    CHECK_EQ_INT(h_wait_log(&p, "boot #2:", 1, 5000), 0);
    CHECK_EQ_INT(h_log_count(&p, "slot=0 version=2.0.0"), 1);
    CHECK_EQ_INT(smp_echo(&l, strategy, TMO), 0);
    CHECK_EQ_INT(smp_reset(&l, TMO), 0);
    CHECK_EQ_INT(h_wait_log(&p, "boot #3:", 1, 5000), 0);
    char line[512] = "";
    CHECK_EQ_INT(h_log_last(&p, "boot #3:", line, sizeof(line)), 0);
    /* v2 never confirms: swap strategies revert, overwrite-only cannot. */
    const char *want = overwrite ? "version=2.0.0" : "version=1.0.0";
    if (strstr(line, want) == NULL) {
        fprintf(stderr, "%s: boot #3 '%s' lacks %s\n", strategy, line, want);
    }
    CHECK(strstr(line, want) != NULL);
    dfu_link_close(&l);
    CHECK_EQ_INT(h_stop(&p), 0);
    printf("strategy %s: ok\n", strategy);
}

static void run_keys(void)
{
    char ka[300], kb[300], pa[300], base[300], good[300], bad[300], flash[300];
    char cmd[2 * sizeof(DFU_BUILD_DIR) + 3 * sizeof(ka) + 128]; /* fits any build dir */
    snprintf(ka, sizeof(ka), "%s/a.pem", dir);
    snprintf(kb, sizeof(kb), "%s/b.pem", dir);
    snprintf(pa, sizeof(pa), "%s/a_pub.pem", dir);
    snprintf(cmd, sizeof(cmd),
             "'%s/dfukit' image keygen -k '%s' -t ecdsa-p256 -e '%s' >/dev/null && "
             "'%s/dfukit' image keygen -k '%s' -t ecdsa-p256 >/dev/null",
             DFU_BUILD_DIR, ka, pa, DFU_BUILD_DIR, kb);
    CHECK_EQ_INT(system(cmd), 0);
    snprintf(base, sizeof(base), "%s/kbase.img", dir);
    snprintf(good, sizeof(good), "%s/kgood.img", dir);
    snprintf(bad, sizeof(bad), "%s/kbad.img", dir);
    snprintf(flash, sizeof(flash), "%s/keys.bin", dir);
    CHECK_EQ_INT(h_make_image_key(base, "1.0.0", "name=k1,confirm=boot", 12 * 1024, 71, ka), 0);
    CHECK_EQ_INT(h_make_image_key(bad, "3.0.0", "name=evil,confirm=boot", 12 * 1024, 72, kb), 0);
    CHECK_EQ_INT(h_make_image_key(good, "2.0.0", "name=k2,confirm=boot", 12 * 1024, 73, ka), 0);
    const char *args[] = {"--install", base, "--udp", "127.0.0.1:0", "-k", pa, NULL};
    simproc_t p;
    CHECK_EQ_INT(h_spawn(&p, dir, "keys", flash, 1, args), 0);
    CHECK_EQ_INT(h_wait_log(&p, "boot #1: swap=none slot=0 version=1.0.0", 1, 5000), 0);
    dfu_link_t l;
    CHECK_EQ_INT(dfu_link_udp_client_open(&l, "127.0.0.1", p.udp_port, 0), 0);
    CHECK_EQ_INT(update(&l, bad), 0);
    CHECK_EQ_INT(h_wait_log(&p, "boot #2:", 1, 5000), 0);
    char line[512] = "";
    CHECK_EQ_INT(h_log_last(&p, "boot #2:", line, sizeof(line)), 0);
    CHECK(strstr(line, "secondary_refused=") != NULL);
    CHECK(strstr(line, "version=1.0.0") != NULL);
    CHECK_EQ_INT(update(&l, good), 0);
    CHECK_EQ_INT(h_wait_log(&p, "boot #3: swap=test slot=0 version=2.0.0", 1, 5000), 0);
    dfu_link_close(&l);
    CHECK_EQ_INT(h_stop(&p), 0);
}

int main(void)
{
    CHECK_EQ_INT(h_tmpdir(dir, sizeof(dir), "strat"), 0);
    char base[300], v2[300];
    snprintf(base, sizeof(base), "%s/base.img", dir);
    snprintf(v2, sizeof(v2), "%s/v2.img", dir);
    CHECK_EQ_INT(h_make_image(base, "1.0.0", "name=base,confirm=boot", 20 * 1024, 61), 0);
    CHECK_EQ_INT(h_make_image(v2, "2.0.0", "name=v2,confirm=never", 20 * 1024, 62), 0);
    static const char *strategies[] = {"move", "scratch", "offset", "overwrite"};
    for (int i = 0; i < 4; i++) {
        run_strategy(strategies[i], base, v2);
    }
    run_keys();
    h_cleanup(dfu_test_fail_count);
    return dfu_test_finish("test_sim_strategy");
}
