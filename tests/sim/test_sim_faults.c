/*
 * Faults and app behaviours beyond the five acceptance scenarios: --drop-after on BLE (central
 * dropped, reconnects) and UDP (one lost exchange, then back), the --link timing model applied to
 * UDP, SIGUSR1 watchdog reset, confirm=healthy, and the crash-loop halt (exit 1).
 */
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "dfu_test.h"
#include "dfukit/dfu_err.h"
#include "dfukit/dfu_host_ble.h"
#include "sim_harness.h"

#define TMO 2000

static char dir[128], base[300];

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void test_drop_ble(void)
{
    char flash[300], sock[300];
    snprintf(flash, sizeof(flash), "%s/ble.bin", dir);
    snprintf(sock, sizeof(sock), "%s/ble.sock", dir);
    const char *args[] = {"--install", base, "--ble", sock, "--drop-after", "6", NULL};
    simproc_t p;
    CHECK_EQ_INT(h_spawn(&p, dir, "dropble", flash, 1, args), 0);
    dfu_link_t l;
    dfu_ble_client_cfg_t c = {.mtu = 247};
    CHECK_EQ_INT(dfu_link_ble_client_open(&l, sock, &c), DFU_OK);
    int drops = 0, ok = 0;
    for (int i = 0; i < 10; i++) {
        int rc = smp_echo(&l, "ping", 500);
        if (rc == DFU_ERR_NOTCONN) {
            drops++;
            CHECK_EQ_INT(dfu_link_reconnect(&l), DFU_OK);
        } else {
            ok += rc == 0;
        }
    }
    CHECK_EQ_INT(drops, 1); /* one drop per link lifetime */
    CHECK(ok >= 8);
    dfu_link_close(&l);
    CHECK_EQ_INT(h_stop(&p), 0);
}

static void test_udp_drop_model_watchdog(void)
{
    char flash[300];
    snprintf(flash, sizeof(flash), "%s/udp.bin", dir);
    const char *args[] = {
        "--install",          base, "--udp", "127.0.0.1:0", "--drop-after", "4", "--link",
        "serial,baud=115200", NULL};
    simproc_t p;
    CHECK_EQ_INT(h_spawn(&p, dir, "udp", flash, 1, args), 0);
    dfu_link_t l;
    CHECK_EQ_INT(dfu_link_udp_client_open(&l, "127.0.0.1", p.udp_port, 0), 0);
    int ok = 0;
    for (int i = 0; i < 6; i++) {
        ok += smp_echo(&l, "ping", 400) == 0;
    }
    CHECK(ok >= 4 && ok <= 5); /* the dropped link loses one exchange, then comes back */
    /* Timing model on UDP: a 1000-byte echo costs ~2 x 1400 wire bytes at 11.5 kB/s. */
    char text[1001];
    memset(text, 'a', 1000);
    text[1000] = '\0';
    double t0 = now_s();
    CHECK_EQ_INT(smp_echo(&l, text, TMO), 0);
    double dt = now_s() - t0;
    printf("1000-byte echo over UDP with serial,baud=115200 model: %.3f s\n", dt);
    CHECK(dt > 0.15 && dt < 1.5);
    /* Watchdog: SIGUSR1 resets the device; it boots the same image again. */
    kill(p.pid, SIGUSR1);
    CHECK_EQ_INT(h_wait_log(&p, "boot #2: swap=none", 1, 5000), 0);
    CHECK_EQ_INT(h_log_count(&p, "reset (watchdog)"), 1);
    CHECK_EQ_INT(smp_echo(&l, "after watchdog", TMO), 0);
    dfu_link_close(&l);
    CHECK_EQ_INT(h_stop(&p), 0);
}

/* BLE timing model: the upload goodput stays below the model's ceiling. */
static void test_ble_model(void)
{
    char flash[300], sock[300], img[300];
    snprintf(flash, sizeof(flash), "%s/model.bin", dir);
    snprintf(sock, sizeof(sock), "%s/model.sock", dir);
    snprintf(img, sizeof(img), "%s/model.img", dir);
    CHECK_EQ_INT(h_make_image(img, "2.0.0", "name=m", 8 * 1024, 54), 0);
    const char *spec = "ble,phy=2m,dle=251,ci=7.5,mtu=247";
    const char *args[] = {"--install", base, "--ble", sock, "--link", spec, NULL};
    simproc_t p;
    CHECK_EQ_INT(h_spawn(&p, dir, "model", flash, 1, args), 0);
    dfu_link_t l;
    dfu_ble_client_cfg_t c = {.mtu = 247};
    CHECK_EQ_INT(dfu_link_ble_client_open(&l, sock, &c), DFU_OK);
    size_t len = 0, next = 0;
    uint8_t *b = h_read_file(img, &len);
    CHECK(b != NULL);
    double t0 = now_s();
    CHECK_EQ_INT(smp_upload(&l, b, len, 0, 1024, 5000, &next), 0);
    double dt = now_s() - t0;
    free(b);
    dfu_linkmodel_t m;
    CHECK_EQ_INT(dfu_linkmodel_parse(&m, spec), DFU_OK);
    double kbps = (double)len / dt / 1000.0, ceiling = dfu_linkmodel_ceiling_kBps(&m);
    printf("upload over BLE model %s: %zu bytes in %.3f s = %.1f kB/s (ceiling %.1f kB/s, "
           "1 KiB chunks, one request in flight)\n",
           spec, len, dt, kbps, ceiling);
    CHECK(kbps < ceiling * 1.05);
    CHECK(kbps > 1.0);
    dfu_link_close(&l);
    CHECK_EQ_INT(h_stop(&p), 0);
}

/* --flash-timing: the swap takes its modelled nRF52 time (85 ms per page erase). */
static void test_flash_timing(void)
{
    char flash[300], img[300];
    snprintf(flash, sizeof(flash), "%s/timing.bin", dir);
    snprintf(img, sizeof(img), "%s/timing.img", dir);
    CHECK_EQ_INT(h_make_image(img, "2.0.0", "name=t,confirm=boot", 12 * 1024, 55), 0);
    const char *args[] = {"--install", base, "--udp", "127.0.0.1:0", "--flash-timing", NULL};
    simproc_t p;
    CHECK_EQ_INT(h_spawn(&p, dir, "timing", flash, 1, args), 0);
    dfu_link_t l;
    CHECK_EQ_INT(dfu_link_udp_client_open(&l, "127.0.0.1", p.udp_port, 0), 0);
    size_t len = 0, next = 0;
    uint8_t *b = h_read_file(img, &len);
    CHECK(b != NULL);
    CHECK_EQ_INT(smp_upload(&l, b, len, 0, 1024, 5000, &next), 0);
    free(b);
    smpstate_t st;
    CHECK_EQ_INT(smp_state(&l, &st, TMO), 2);
    CHECK_EQ_INT(smp_test(&l, st.hash[1], TMO), 0);
    double t0 = now_s();
    CHECK_EQ_INT(smp_reset(&l, TMO), 0);
    CHECK_EQ_INT(h_wait_log(&p, "boot #2: swap=test slot=0 version=2.0.0", 1, 20000), 0);
    double dt = now_s() - t0;
    char line[512] = "";
    h_log_last(&p, "reset (smp reset) ops=", line, sizeof(line));
    unsigned long ops0 = strtoul(strstr(line, "ops=") ? strstr(line, "ops=") + 4 : "0", NULL, 10);
    h_log_last(&p, "boot #2:", line, sizeof(line));
    unsigned long ops1 = strtoul(strstr(line, "ops=") ? strstr(line, "ops=") + 4 : "0", NULL, 10);
    printf("swap of a %zu-byte image with --flash-timing: %.2f s, %lu flash ops\n", len, dt,
           ops1 - ops0);
    CHECK(dt > 0.4);
    dfu_link_close(&l);
    CHECK_EQ_INT(h_stop(&p), 0);
}

static void test_confirm_healthy(void)
{
    char flash[300], img[300];
    snprintf(flash, sizeof(flash), "%s/healthy.bin", dir);
    snprintf(img, sizeof(img), "%s/healthy.img", dir);
    CHECK_EQ_INT(h_make_image(img, "2.0.0", "name=h,confirm=healthy", 16 * 1024, 52), 0);
    const char *args[] = {"--install", base, "--udp", "127.0.0.1:0", NULL};
    simproc_t p;
    CHECK_EQ_INT(h_spawn(&p, dir, "healthy", flash, 1, args), 0);
    dfu_link_t l;
    CHECK_EQ_INT(dfu_link_udp_client_open(&l, "127.0.0.1", p.udp_port, 0), 0);
    size_t len = 0, next = 0;
    uint8_t *b = h_read_file(img, &len);
    CHECK(b != NULL);
    CHECK_EQ_INT(smp_upload(&l, b, len, 0, 1024, TMO, &next), 0);
    free(b);
    smpstate_t st;
    CHECK_EQ_INT(smp_state(&l, &st, TMO), 2);
    CHECK_EQ_INT(smp_test(&l, st.hash[1], TMO), 0);
    CHECK_EQ_INT(smp_reset(&l, TMO), 0);
    CHECK_EQ_INT(h_wait_log(&p, "boot #2: swap=test slot=0 version=2.0.0", 1, 5000), 0);
    CHECK_EQ_INT(h_log_count(&p, "confirmed (healthy"), 0);
    CHECK_EQ_INT(smp_echo(&l, "first request", TMO), 0);
    CHECK_EQ_INT(h_wait_log(&p, "confirmed (healthy", 1, 2000), 0);
    CHECK_EQ_INT(smp_reset(&l, TMO), 0);
    CHECK_EQ_INT(h_wait_log(&p, "boot #3: swap=none slot=0 version=2.0.0", 1, 5000), 0);
    dfu_link_close(&l);
    CHECK_EQ_INT(h_stop(&p), 0);
}

static void test_crash_loop(void)
{
    char flash[300], img[300];
    snprintf(flash, sizeof(flash), "%s/crash.bin", dir);
    snprintf(img, sizeof(img), "%s/crash.img", dir);
    CHECK_EQ_INT(h_make_image(img, "1.0.0", "name=bad,healthy=no", 16 * 1024, 53), 0);
    const char *args[] = {"--install", img, "--udp", "127.0.0.1:0", NULL};
    simproc_t p;
    CHECK_EQ_INT(h_spawn(&p, dir, "crash", flash, 1, args), -1); /* never listens */
    CHECK_EQ_INT(h_log_count(&p, "crashed at start"), 8);
    CHECK_EQ_INT(h_log_count(&p, "halted: 8 crashing boots"), 1);
}

int main(void)
{
    CHECK_EQ_INT(h_tmpdir(dir, sizeof(dir), "faults"), 0);
    snprintf(base, sizeof(base), "%s/base.img", dir);
    CHECK_EQ_INT(h_make_image(base, "1.0.0", "name=base,confirm=boot", 16 * 1024, 51), 0);
    test_drop_ble();
    test_udp_drop_model_watchdog();
    test_ble_model();
    test_flash_timing();
    test_confirm_healthy();
    test_crash_loop();
    h_cleanup(dfu_test_fail_count);
    return dfu_test_finish("test_sim_faults");
}
