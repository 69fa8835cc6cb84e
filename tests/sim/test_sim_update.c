/*
 * Acceptance 1: an image uploaded over each transport (UDP, serial pty, BLE model), marked for
 * test and reset is swapped in; a self-confirming image stays after the next reset; one that never
 * confirms is reverted on the next reset; an unhealthy one is reverted at once; confirm=after:S
 * confirms on its timer. Also: the flash file is the only state (a restart keeps the image).
 */
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "dfu_test.h"
#include "dfukit/dfu_err.h"
#include "dfukit/dfu_host_ble.h"
#include "sim_harness.h"

#define TMO 3000

typedef enum { T_UDP, T_SERIAL, T_BLE } transport_t;
static const char *tnames[] = {"udp", "serial", "ble"};

static char imgdir[256];

static int connect_link(dfu_link_t *l, transport_t t, const simproc_t *p, const char *path)
{
    for (int i = 0; i < 300; i++) {
        int rc;
        if (t == T_UDP) {
            rc = dfu_link_udp_client_open(l, "127.0.0.1", p->udp_port, 0);
        } else if (t == T_SERIAL) {
            rc = dfu_link_serial_client_open(l, path, 0, 0);
        } else {
            dfu_ble_client_cfg_t c = {.mtu = 247};
            rc = dfu_link_ble_client_open(l, path, &c);
        }
        if (rc == DFU_OK) {
            return 0;
        }
        usleep(10000);
    }
    return -1;
}

/* After a device reset: BLE must reconnect (the device dropped us and re-advertises). */
static int after_reset(dfu_link_t *l, transport_t t)
{
    if (t != T_BLE) {
        return 0;
    }
    for (int i = 0; i < 300; i++) {
        if (dfu_link_reconnect(l) == DFU_OK) {
            return 0;
        }
        usleep(10000);
    }
    return -1;
}

/* Waits for boot #n and checks its log line contains both substrings. */
static void expect_boot(const simproc_t *p, int n, const char *a, const char *b)
{
    char needle[32], line[512] = "";
    snprintf(needle, sizeof(needle), "boot #%d:", n);
    CHECK_EQ_INT(h_wait_log(p, needle, 1, 10000), 0);
    CHECK_EQ_INT(h_log_last(p, needle, line, sizeof(line)), 0);
    if (strstr(line, a) == NULL || (b != NULL && strstr(line, b) == NULL)) {
        fprintf(stderr, "boot line '%s' lacks '%s' / '%s'\n", line, a, b ? b : "");
        CHECK(0);
    } else {
        CHECK(1);
    }
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Uploads image file `name`, marks it for test and resets. Returns 0 on success. */
static int update(dfu_link_t *l, transport_t t, const char *name)
{
    char path[512];
    snprintf(path, sizeof(path), "%s/%s", imgdir, name);
    size_t len = 0, next = 0;
    uint8_t *img = h_read_file(path, &len);
    CHECK(img != NULL);
    if (img == NULL) {
        return -1;
    }
    double t0 = now_s();
    int rc = smp_upload(l, img, len, 0, 1024, TMO, &next);
    double dt = now_s() - t0;
    printf("upload %s over %s: %zu bytes in %.3f s (%.0f kB/s, 1 KiB chunks, no timing model)\n",
           name, tnames[t], len, dt, dt > 0 ? (double)len / dt / 1000.0 : 0.0);
    free(img);
    CHECK_EQ_INT(rc, 0);
    CHECK_EQ_INT(next, len);
    smpstate_t st;
    CHECK_EQ_INT(smp_state(l, &st, TMO), 2);
    CHECK_EQ_INT(smp_test(l, st.hash[1], TMO), 0);
    CHECK_EQ_INT(smp_reset(l, TMO), 0);
    return rc;
}

static void check_running(dfu_link_t *l, const char *version, bool confirmed)
{
    smpstate_t st;
    CHECK(smp_state(l, &st, TMO) >= 1);
    CHECK(strcmp(st.version[0], version) == 0);
    CHECK(st.active[0]);
    CHECK_EQ_INT(st.confirmed[0], confirmed);
}

static void run_transport(transport_t t)
{
    char dir[128], flash[300], base[300], path[300];
    CHECK_EQ_INT(h_tmpdir(dir, sizeof(dir), tnames[t]), 0);
    snprintf(flash, sizeof(flash), "%s/flash.bin", dir);
    snprintf(base, sizeof(base), "%s/base.img", imgdir);
    snprintf(path, sizeof(path), "%s/dev.%s", dir, tnames[t]);
    const char *args[8] = {"--install", base};
    args[2] = t == T_UDP ? "--udp" : t == T_SERIAL ? "--serial" : "--ble";
    args[3] = t == T_UDP ? "127.0.0.1:0" : path;
    simproc_t p;
    CHECK_EQ_INT(h_spawn(&p, dir, "sim", flash, 1, args), 0);
    expect_boot(&p, 1, "swap=none", "version=1.0.0");
    dfu_link_t l;
    CHECK_EQ_INT(connect_link(&l, t, &p, path), 0);
    CHECK_EQ_INT(smp_echo(&l, "hello", TMO), 0);
    check_running(&l, "1.0.0", true);

    /* v2 confirms itself at boot: swapped in, and stays after another reset. */
    CHECK_EQ_INT(update(&l, t, "v2.img"), 0);
    expect_boot(&p, 2, "swap=test", "version=2.0.0");
    CHECK_EQ_INT(after_reset(&l, t), 0);
    check_running(&l, "2.0.0", true);
    CHECK_EQ_INT(smp_reset(&l, TMO), 0);
    expect_boot(&p, 3, "swap=none", "version=2.0.0");
    CHECK_EQ_INT(after_reset(&l, t), 0);
    CHECK_EQ_INT(smp_echo(&l, "still v2", TMO), 0);

    {
        /* v3 never confirms: it runs once, the next reset reverts to v2. */
        CHECK_EQ_INT(update(&l, t, "v3.img"), 0);
        expect_boot(&p, 4, "swap=test", "version=3.0.0");
        CHECK_EQ_INT(after_reset(&l, t), 0);
        check_running(&l, "3.0.0", false);
        CHECK_EQ_INT(smp_reset(&l, TMO), 0);
        expect_boot(&p, 5, "swap=revert", "version=2.0.0");
        CHECK_EQ_INT(after_reset(&l, t), 0);
        check_running(&l, "2.0.0", true);

        /* v4 is unhealthy: it crashes at start and the bootloader reverts it at once. */
        CHECK_EQ_INT(update(&l, t, "v4.img"), 0);
        expect_boot(&p, 6, "swap=test", "version=4.0.0");
        expect_boot(&p, 7, "swap=revert", "version=2.0.0");
        CHECK_EQ_INT(h_log_count(&p, "crashed at start"), 1);
        CHECK_EQ_INT(after_reset(&l, t), 0);
        check_running(&l, "2.0.0", true);

        /* v5 confirms after 1 s of running. */
        CHECK_EQ_INT(update(&l, t, "v5.img"), 0);
        expect_boot(&p, 8, "swap=test", "version=5.0.0");
        CHECK_EQ_INT(h_wait_log(&p, "confirmed (after timer)", 1, 5000), 0);
        CHECK_EQ_INT(after_reset(&l, t), 0);
        check_running(&l, "5.0.0", true);

        /* The flash file is the only state: a new process boots v5 without swapping. */
        dfu_link_close(&l);
        CHECK_EQ_INT(h_stop(&p), 0);
        CHECK_EQ_INT(h_spawn(&p, dir, "sim2", flash, 1, args + 2), 0);
        expect_boot(&p, 1, "swap=none", "version=5.0.0");
        CHECK_EQ_INT(connect_link(&l, t, &p, path), 0);
        check_running(&l, "5.0.0", true);
    }
    dfu_link_close(&l);
    CHECK_EQ_INT(h_stop(&p), 0);
    printf("transport %s: done\n", tnames[t]);
}

int main(void)
{
    CHECK_EQ_INT(h_tmpdir(imgdir, sizeof(imgdir), "imgs"), 0);
    static const struct {
        const char *name, *ver, *desc;
    } imgs[] = {
        {"base.img", "1.0.0", "name=base,confirm=boot"},
        {"v2.img", "2.0.0", "name=v2,confirm=boot"},
        {"v3.img", "3.0.0", "name=v3,confirm=never"},
        {"v4.img", "4.0.0", "name=v4,healthy=no,confirm=boot"},
        {"v5.img", "5.0.0", "name=v5,confirm=after:1"},
    };
    for (unsigned i = 0; i < sizeof(imgs) / sizeof(imgs[0]); i++) {
        char path[400];
        snprintf(path, sizeof(path), "%s/%s", imgdir, imgs[i].name);
        CHECK_EQ_INT(h_make_image(path, imgs[i].ver, imgs[i].desc, 24 * 1024, i + 1), 0);
    }
    run_transport(T_UDP);
    run_transport(T_SERIAL);
    run_transport(T_BLE);
    h_cleanup(dfu_test_fail_count);
    return dfu_test_finish("test_sim_update");
}
