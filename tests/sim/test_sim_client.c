/*
 * The sim driven by the project's own client (`dfukit update`, helper "client"), when that verb
 * is available in this build: an update over UDP; over the BLE model an L3 device refuses the
 * client without a passkey (nothing changes) and accepts it with the passkey; a power cut in the
 * middle of an update, then power on and the same `dfukit update` again completes it.
 * If `dfukit update` is not available, says so and checks nothing else.
 */
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "dfu_test.h"
#include "sim_harness.h"

static char dir[128];

static int run(const char *fmt, const char *a, const char *b)
{
    char inner[1000];
    char cmd[sizeof(DFU_BUILD_DIR) + sizeof(inner) + sizeof(dir) + 64]; /* fits any build dir */
    snprintf(inner, sizeof(inner), fmt, a, b);
    snprintf(cmd, sizeof(cmd), "timeout 60 '%s/dfukit' %s >>'%s/client.out' 2>&1", DFU_BUILD_DIR,
             inner, dir);
    int st = system(cmd);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

int main(void)
{
    CHECK_EQ_INT(h_tmpdir(dir, sizeof(dir), "client"), 0);
    if (run("update --help%s%s", "", "") != 0) {
        printf("note: 'dfukit update' is not available in this build; client interop not run\n");
        h_cleanup(dfu_test_fail_count);
        return dfu_test_finish("test_sim_client");
    }
    char base[300], v2[300], l1[300], l2[300], flash[300], conn[400], sock[300];
    snprintf(base, sizeof(base), "%s/base.img", dir);
    snprintf(v2, sizeof(v2), "%s/v2.img", dir);
    snprintf(l1, sizeof(l1), "%s/l1.img", dir);
    snprintf(l2, sizeof(l2), "%s/l2.img", dir);
    CHECK_EQ_INT(h_make_image(base, "1.0.0", "name=base,confirm=boot", 20 * 1024, 81), 0);
    CHECK_EQ_INT(h_make_image(v2, "2.0.0", "name=v2,confirm=healthy", 30 * 1024, 82), 0);
    const char *lock = "name=lock,security=3,passkey=123456,policy=secure,confirm=boot";
    CHECK_EQ_INT(h_make_image(l1, "1.0.0", lock, 20 * 1024, 83), 0);
    CHECK_EQ_INT(h_make_image(l2, "2.0.0", lock, 20 * 1024, 84), 0);

    /* UDP. */
    snprintf(flash, sizeof(flash), "%s/udp.bin", dir);
    const char *ua[] = {"--install", base, "--udp", "127.0.0.1:0", NULL};
    simproc_t p;
    CHECK_EQ_INT(h_spawn(&p, dir, "udp", flash, 1, ua), 0);
    snprintf(conn, sizeof(conn), "udp:127.0.0.1:%u", p.udp_port);
    CHECK_EQ_INT(run("update '%s' --conn %s", v2, conn), 0);
    CHECK_EQ_INT(h_wait_log(&p, "boot #2: swap=test slot=0 version=2.0.0", 1, 5000), 0);
    CHECK_EQ_INT(h_wait_log(&p, "confirmed (healthy", 1, 5000), 0);
    CHECK_EQ_INT(h_stop(&p), 0);

    /* BLE, L3 device. */
    snprintf(flash, sizeof(flash), "%s/ble.bin", dir);
    snprintf(sock, sizeof(sock), "%s/ble.sock", dir);
    const char *ba[] = {"--install", l1, "--ble", sock, NULL};
    CHECK_EQ_INT(h_spawn(&p, dir, "ble", flash, 1, ba), 0);
    snprintf(conn, sizeof(conn), "ble-sim:%s", sock);
    CHECK(run("update '%s' --conn %s", l2, conn) != 0);
    CHECK_EQ_INT(h_log_count(&p, "boot #2"), 0);
    snprintf(conn, sizeof(conn), "ble-sim:%s,passkey=123456", sock);
    CHECK_EQ_INT(run("update '%s' --conn %s", l2, conn), 0);
    CHECK_EQ_INT(h_wait_log(&p, "boot #2: swap=test slot=0 version=2.0.0", 1, 5000), 0);
    CHECK_EQ_INT(h_stop(&p), 0);

    /* Power cut during the update, power on, same command again. */
    snprintf(flash, sizeof(flash), "%s/cut.bin", dir);
    const char *ca[] = {"--install",      base, "--udp",  "127.0.0.1:0",
                        "--power-cut-at", "15", "--torn", NULL};
    CHECK_EQ_INT(h_spawn(&p, dir, "cut", flash, 1, ca), 0);
    snprintf(conn, sizeof(conn), "udp:127.0.0.1:%u --timeout 1 --retries 1", p.udp_port);
    CHECK(run("update '%s' --conn %s", v2, conn) != 0);
    CHECK_EQ_INT(h_wait_exit(&p, 5000), 3);
    CHECK_EQ_INT(h_log_count(&p, "power cut at flash op 15 (torn)"), 1);
    CHECK_EQ_INT(h_spawn(&p, dir, "cut2", flash, 1, ua + 2), 0);
    CHECK_EQ_INT(h_wait_log(&p, "boot #1: swap=none slot=0 version=1.0.0", 1, 5000), 0);
    snprintf(conn, sizeof(conn), "udp:127.0.0.1:%u", p.udp_port);
    CHECK_EQ_INT(run("update '%s' --conn %s", v2, conn), 0);
    CHECK_EQ_INT(h_wait_log(&p, "boot #2: swap=test slot=0 version=2.0.0", 1, 5000), 0);
    CHECK_EQ_INT(h_stop(&p), 0);
    h_cleanup(dfu_test_fail_count);
    return dfu_test_finish("test_sim_client");
}
