/*
 * Acceptance 3: power cuts (atomic and torn) at random flash ops during an upload and during the
 * swap, plus kill -9 mid-upload and right after a reset request. After each, a restart (power on)
 * must come up running a valid image (old or new), and the update can be restarted/resumed to
 * completion. Cut points come from a fixed seed and are printed, so a failure replays.
 */
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dfu_test.h"
#include "dfukit/dfu_err.h"
#include "sim_harness.h"

#define TMO 1500
#define ITER 20

static char dir[128], base[300], newimg[300];
static uint8_t *img2;
static size_t len2;

static int udp(dfu_link_t *l, const simproc_t *p)
{
    return dfu_link_udp_client_open(l, "127.0.0.1", p->udp_port, 0);
}

/* Upload + test + reset on a running sim; returns 0 when the reset was answered. */
static int update(dfu_link_t *l, int tmo)
{
    size_t next = 0;
    int rc = smp_upload(l, img2, len2, 0, 1024, tmo, &next);
    if (rc != 0) {
        return rc;
    }
    smpstate_t st;
    if (smp_state(l, &st, tmo) != 2) {
        return -1;
    }
    rc = smp_test(l, st.hash[1], tmo);
    return rc != 0 ? rc : smp_reset(l, tmo);
}

/* Total flash ops of a clean install + update run (from the "ops=" of boot #2). */
static unsigned long calibrate(void)
{
    char flash[300];
    snprintf(flash, sizeof(flash), "%s/cal.bin", dir);
    const char *args[] = {"--install", base, "--udp", "127.0.0.1:0", NULL};
    simproc_t p;
    CHECK_EQ_INT(h_spawn(&p, dir, "cal", flash, 1, args), 0);
    dfu_link_t l;
    CHECK_EQ_INT(udp(&l, &p), 0);
    CHECK_EQ_INT(update(&l, TMO), 0);
    CHECK_EQ_INT(h_wait_log(&p, "boot #2:", 1, 5000), 0);
    char line[512] = "";
    h_log_last(&p, "boot #2:", line, sizeof(line));
    char *o = strstr(line, "ops=");
    unsigned long ops = o != NULL ? strtoul(o + 4, NULL, 10) : 0;
    CHECK(strstr(line, "version=2.0.0") != NULL);
    dfu_link_close(&l);
    CHECK_EQ_INT(h_stop(&p), 0);
    return ops;
}

/* Power on after an interruption: must boot a valid image, then the update must complete. */
static void recover(const char *flash, const char *tag)
{
    const char *args[] = {"--udp", "127.0.0.1:0", NULL};
    simproc_t p;
    CHECK_EQ_INT(h_spawn(&p, dir, tag, flash, 1, args), 0);
    char line[512] = "";
    CHECK_EQ_INT(h_wait_log(&p, "boot #1:", 1, 5000), 0);
    CHECK_EQ_INT(h_log_last(&p, "boot #1:", line, sizeof(line)), 0);
    bool v1 = strstr(line, "version=1.0.0") != NULL, v2 = strstr(line, "version=2.0.0") != NULL;
    if (!v1 && !v2) {
        fprintf(stderr, "%s: no valid image after the cut: %s\n", tag, line);
    }
    CHECK(v1 || v2);
    dfu_link_t l;
    CHECK_EQ_INT(udp(&l, &p), 0);
    smpstate_t st;
    CHECK(smp_state(&l, &st, TMO) >= 1);
    CHECK(st.active[0]);
    if (v1) {
        CHECK_EQ_INT(update(&l, TMO), 0);
        CHECK_EQ_INT(h_wait_log(&p, "boot #2:", 1, 5000), 0);
        CHECK_EQ_INT(h_log_last(&p, "boot #2:", line, sizeof(line)), 0);
        CHECK(strstr(line, "version=2.0.0") != NULL);
    }
    CHECK_EQ_INT(smp_echo(&l, "alive", TMO), 0);
    dfu_link_close(&l);
    CHECK_EQ_INT(h_stop(&p), 0);
}

int main(void)
{
    CHECK_EQ_INT(h_tmpdir(dir, sizeof(dir), "pcut"), 0);
    snprintf(base, sizeof(base), "%s/base.img", dir);
    snprintf(newimg, sizeof(newimg), "%s/new.img", dir);
    CHECK_EQ_INT(h_make_image(base, "1.0.0", "name=base,confirm=boot", 20 * 1024, 21), 0);
    CHECK_EQ_INT(h_make_image(newimg, "2.0.0", "name=new,confirm=boot", 20 * 1024, 22), 0);
    img2 = h_read_file(newimg, &len2);
    CHECK(img2 != NULL);
    unsigned long total = calibrate();
    printf("clean install+update run: %lu flash ops\n", total);
    CHECK(total > 20);
    srand(20261124);
    int cuts = 0;
    for (int i = 0; i < ITER && total > 2; i++) {
        /* half the cuts in the upload phase, half anywhere (swap included) */
        unsigned long n = 2 + (unsigned long)rand() % (total - 1);
        int torn = i % 2;
        char flash[300], tag[32], nbuf[32];
        snprintf(flash, sizeof(flash), "%s/f%d.bin", dir, i);
        snprintf(tag, sizeof(tag), "cut%d", i);
        snprintf(nbuf, sizeof(nbuf), "%lu", n);
        printf("iteration %d: --power-cut-at %lu%s\n", i, n, torn ? " --torn" : "");
        const char *args[] = {"--install",
                              base,
                              "--udp",
                              "127.0.0.1:0",
                              "--power-cut-at",
                              nbuf,
                              torn ? "--torn" : NULL,
                              NULL};
        simproc_t p;
        CHECK_EQ_INT(h_spawn(&p, dir, tag, flash, 1, args), 0);
        dfu_link_t l;
        CHECK_EQ_INT(udp(&l, &p), 0);
        (void)update(&l, 300);
        dfu_link_close(&l);
        int code = h_wait_exit(&p, 5000);
        CHECK_EQ_INT(code, 3);
        if (code < 0) {
            h_kill9(&p);
        }
        cuts += code == 3;
        CHECK_EQ_INT(h_log_count(&p, "power cut at flash op"), 1);
        snprintf(tag, sizeof(tag), "rec%d", i);
        recover(flash, tag);
    }
    CHECK_EQ_INT(cuts, ITER);

    /* kill -9 in the middle of an upload, then right after a reset request. */
    for (int k = 0; k < 2; k++) {
        char flash[300], tag[32];
        snprintf(flash, sizeof(flash), "%s/k%d.bin", dir, k);
        snprintf(tag, sizeof(tag), "kill%d", k);
        const char *args[] = {"--install", base, "--udp", "127.0.0.1:0", NULL};
        simproc_t p;
        CHECK_EQ_INT(h_spawn(&p, dir, tag, flash, 1, args), 0);
        dfu_link_t l;
        CHECK_EQ_INT(udp(&l, &p), 0);
        size_t next = 0;
        if (k == 0) {
            CHECK_EQ_INT(smp_upload(&l, img2, len2 / 2, 0, 1024, TMO, &next), 0);
            h_kill9(&p);
        } else {
            CHECK_EQ_INT(smp_upload(&l, img2, len2, 0, 1024, TMO, &next), 0);
            smpstate_t st;
            CHECK_EQ_INT(smp_state(&l, &st, TMO), 2);
            CHECK_EQ_INT(smp_test(&l, st.hash[1], TMO), 0);
            CHECK_EQ_INT(smp_reset(&l, TMO), 0);
            h_kill9(&p); /* lands before, in or after the swap */
        }
        dfu_link_close(&l);
        snprintf(tag, sizeof(tag), "krec%d", k);
        recover(flash, tag);
    }
    free(img2);
    h_cleanup(dfu_test_fail_count);
    return dfu_test_finish("test_sim_powercut");
}
