/*
 * The client against `dfukit sim` (a child process with a temp flash file), loopback only:
 *  - update in every mode over UDP, one mode over pty serial and the BLE model;
 *  - the field report with app descriptors: A (L3, passkey, secure policy, confirms at boot) ->
 *    B (open, never confirms) -> A with `update` and the passkey, ending confirmed on A;
 *    manual path (a): upload + test, no reset, `image confirm` -> err 28, doctor explains;
 *  - `update` killed at random points on a slow link, then run again: completes;
 *  - a device power cut (--power-cut-at) during the update; power on (restart), run again:
 *    completes.
 * Skipped (one line) when this build has no simulator.
 */
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "client_testutil.h"
#include "dfu_client.h"
#include "dfu_test.h"

typedef tu_sim_t sim_t;

static const char *dir;
static char img_a[256], img_a0[256], img_b[256], img_c[256];
static char hash_a[65], hash_a0[65], hash_b[65], hash_c[65];
static char out[300];

/* Starts `dfukit sim` on UDP, a pty and the BLE model (installing image file `install` if not
 * NULL) and waits for its listening lines. Returns 0 on success. */
static int sim_start(sim_t *s, const char *flash, const char *extra, const char *install)
{
    char args[2048], log[300];
    snprintf(args, sizeof(args),
             "--flash %s --udp 127.0.0.1:0 --serial %s/pty --ble %s/ble.sock %s%s %s", flash, dir,
             dir, install ? "--install " : "", install ? install : "", extra);
    snprintf(log, sizeof(log), "%s/sim.log", dir);
    return tu_sim_start(s, args, log);
}

static int sim_stop(sim_t *s)
{
    return tu_sim_stop(s);
}

static int sh(const char *conn, const char *fmt, const char *arg)
{
    char a[1024], full[4096];
    snprintf(a, sizeof(a), fmt, arg ? arg : "");
    snprintf(full, sizeof(full), "%s/dfukit %s --conn %s >%s 2>&1", DFU_BUILD_DIR, a, conn, out);
    int st = system(full);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static int out_has(const char *needle)
{
    size_t n = 0;
    char *t = (char *)tu_read(out, &n);
    if (t == NULL) {
        return 0;
    }
    char *z = realloc(t, n + 1);
    z[n] = '\0';
    int found = strstr(z, needle) != NULL;
    if (!found) {
        fprintf(stderr, "--- expected '%s' in output:\n%s---\n", needle, z);
    }
    free(z);
    return found;
}

/* Slot 0 runs `hash`, confirmed as wanted. */
static int running(const char *conn, const char *hash, bool confirmed)
{
    char filter[300];
    snprintf(filter, sizeof(filter),
             ".images[0].hash == \"%s\" and .images[0].active and .images[0].confirmed == %s", hash,
             confirmed ? "true" : "false");
    return sh(conn, "image list --json", NULL) == 0 && tu_jq(out, filter) != 0;
}

static void modes(void)
{
    sim_t s;
    char flash[300], conn[300], a[400];
    snprintf(flash, sizeof(flash), "%s/modes.flash", dir);
    CHECK_EQ_INT(sim_start(&s, flash, "", img_a0), 0);
    snprintf(conn, sizeof(conn), "udp:%s", s.udp);
    CHECK(running(conn, hash_a0, true));
    snprintf(a, sizeof(a), "update %s --json", img_b);
    CHECK_EQ_INT(sh(conn, a, NULL), 0);
    CHECK(tu_jq(out, "select(.event == \"verdict\") | .ok") != 0);
    CHECK(running(conn, hash_b, true));
    CHECK_EQ_INT(sh(conn, "update %s --mode confirm-only", img_c), 0);
    CHECK(running(conn, hash_c, true));
    CHECK_EQ_INT(sh(conn, "update %s --mode test-only", img_b), 0);
    CHECK(running(conn, hash_b, false));
    CHECK_EQ_INT(sh(conn, "update %s --mode upload-only", img_a0), 1); /* slot 1 blocked (9) */
    CHECK(out_has("--clear"));
    CHECK_EQ_INT(sh(conn, "update %s --mode upload-only --clear", img_a0), 0);
    CHECK(running(conn, hash_c, true)); /* --clear reverted the unconfirmed test image */
    snprintf(conn, sizeof(conn), "serial:%s", s.serial);
    CHECK_EQ_INT(sh(conn, "update %s", img_a0), 0);
    CHECK(running(conn, hash_a0, true));
    snprintf(conn, sizeof(conn), "ble-sim:%s,passkey=123456", s.ble);
    CHECK_EQ_INT(sh(conn, "update %s", img_b), 0);
    CHECK(running(conn, hash_b, true));
    CHECK_EQ_INT(sh(conn, "doctor --json", NULL), 0);
    CHECK(tu_jq(out, ".healthy and .bootloader.name == \"MCUboot\"") != 0);
    CHECK_EQ_INT(sim_stop(&s), 0);
}

static void field(void)
{
    sim_t s;
    char flash[300], conn[300], pk[340];
    snprintf(flash, sizeof(flash), "%s/field.flash", dir);
    CHECK_EQ_INT(sim_start(&s, flash, "", img_a), 0);
    snprintf(conn, sizeof(conn), "ble-sim:%s", s.ble);
    snprintf(pk, sizeof(pk), "ble-sim:%s,passkey=123456", s.ble);
    CHECK(sh(conn, "update %s --retries 1 --timeout 1", img_b) != 0);
    CHECK(out_has("passkey"));
    CHECK_EQ_INT(sh(conn, "doctor", NULL), 1);
    CHECK(out_has("PROBLEM link_security"));
    CHECK_EQ_INT(sh(pk, "update %s", img_b), 0);
    CHECK(running(pk, hash_b, true));
    CHECK_EQ_INT(sh(pk, "update %s", img_a), 0);
    CHECK(running(pk, hash_a, true));
    /* manual (a) */
    CHECK_EQ_INT(sh(pk, "image upload %s", img_c), 0);
    CHECK_EQ_INT(sh(pk, "image test %s", hash_c), 0);
    CHECK_EQ_INT(sh(pk, "image confirm", NULL), 1);
    CHECK(out_has("IMAGE_ALREADY_PENDING"));
    CHECK(out_has("a test of slot 1 is pending"));
    CHECK_EQ_INT(sh(pk, "doctor", NULL), 1);
    CHECK(out_has("PROBLEM pending_test"));
    CHECK_EQ_INT(sh(pk, "update %s", img_c), 0); /* continues: reset, verify, confirm */
    CHECK(out_has("starting at 'reset'"));
    CHECK(running(pk, hash_c, true));
    /* manual (b): upload + test + reset into B, which never confirms itself */
    CHECK_EQ_INT(sh(pk, "image upload %s", img_b), 0);
    CHECK_EQ_INT(sh(pk, "image test %s", hash_b), 0);
    CHECK_EQ_INT(sh(pk, "reset", NULL), 0);
    int up = 0;
    for (int i = 0; i < 50 && !up; i++) {
        up = running(pk, hash_b, false);
    }
    CHECK(up);
    CHECK_EQ_INT(sh(pk, "image upload %s", img_a), 1);
    CHECK(out_has("NO_FREE_SLOT (group 1 err 9)"));
    CHECK(out_has("running image is not confirmed"));
    CHECK_EQ_INT(sh(pk, "doctor", NULL), 1);
    CHECK(out_has("PROBLEM unconfirmed_test"));
    CHECK_EQ_INT(sh(pk, "image confirm", NULL), 0); /* the advice */
    CHECK_EQ_INT(sh(pk, "update %s", img_a), 0);
    CHECK(running(pk, hash_a, true));
    CHECK_EQ_INT(sim_stop(&s), 0);
}

static void killed_client(void)
{
    sim_t s;
    char flash[300], conn[300], exe[300];
    snprintf(flash, sizeof(flash), "%s/kill.flash", dir);
    CHECK_EQ_INT(sim_start(&s, flash, "--link serial,baud=115200", img_a0), 0);
    snprintf(conn, sizeof(conn), "udp:%s", s.udp);
    snprintf(exe, sizeof(exe), "%s/dfukit", DFU_BUILD_DIR);
    srand(11);
    for (int i = 0; i < 3; i++) {
        pid_t pid = fork();
        if (pid == 0) {
            int fd = open("/dev/null", O_WRONLY);
            dup2(fd, 1);
            execl(exe, exe, "update", img_c, "--conn", conn, (char *)NULL);
            _exit(127);
        }
        usleep((useconds_t)(200000 + rand() % 2500000));
        kill(pid, SIGKILL);
        waitpid(pid, NULL, 0);
    }
    CHECK_EQ_INT(sh(conn, "update %s", img_c), 0);
    CHECK(out_has("VERDICT: OK"));
    CHECK(running(conn, hash_c, true));
    CHECK_EQ_INT(sim_stop(&s), 0);
}

static void power_cut(void)
{
    sim_t s;
    char flash[300], conn[300];
    snprintf(flash, sizeof(flash), "%s/cut.flash", dir);
    CHECK_EQ_INT(sim_start(&s, flash, "--power-cut-at 12", img_a0), 0);
    snprintf(conn, sizeof(conn), "udp:%s", s.udp);
    CHECK(sh(conn, "update %s --timeout 1 --retries 1", img_b) != 0);
    int st = 0;
    pid_t w = 0;
    for (int i = 0; i < 100 && (w = waitpid(s.pid, &st, WNOHANG)) == 0; i++) {
        usleep(100000);
    }
    if (w == 0) {
        sim_stop(&s); /* the cut never came: fail below instead of hanging */
    }
    CHECK(w == s.pid && WIFEXITED(st) && WEXITSTATUS(st) == 3); /* the simulator lost power */
    CHECK_EQ_INT(sim_start(&s, flash, "", NULL), 0);            /* power on */
    snprintf(conn, sizeof(conn), "udp:%s", s.udp);
    CHECK_EQ_INT(sh(conn, "update %s", img_b), 0);
    CHECK(running(conn, hash_b, true));
    CHECK_EQ_INT(sim_stop(&s), 0);
}

int main(void)
{
    signal(SIGPIPE, SIG_IGN);
    char cmd[512];
    snprintf(cmd, sizeof(cmd), "%s/dfukit sim --help 2>/dev/null | grep -q -- --flash",
             DFU_BUILD_DIR);
    if (system(cmd) != 0) {
        printf("note: this build has no 'dfukit sim'; simulator end-to-end checks not run\n");
        return dfu_test_finish("test_client_sim");
    }
    dir = tu_tmpdir();
    snprintf(out, sizeof(out), "%s/out.txt", dir);
    CHECK_EQ_INT(tu_make_image(dir, "a", "1.0.0", 20000, 21,
                               "--sim-app security=3,passkey=123456,policy=secure,confirm=boot",
                               img_a, sizeof(img_a)),
                 0);
    CHECK_EQ_INT(tu_make_image(dir, "b", "2.0.0", 24000, 22, "--sim-app confirm=never", img_b,
                               sizeof(img_b)),
                 0);
    CHECK_EQ_INT(
        tu_make_image(dir, "c", "3.0.0", 60000, 23, "--sim-app confirm=boot", img_c, sizeof(img_c)),
        0);
    CHECK_EQ_INT(tu_make_image(dir, "a0", "1.0.0", 20000, 24, "--sim-app confirm=boot", img_a0,
                               sizeof(img_a0)),
                 0);
    tu_image_hash(img_a, hash_a);
    tu_image_hash(img_a0, hash_a0);
    tu_image_hash(img_b, hash_b);
    tu_image_hash(img_c, hash_c);
    modes();
    field();
    killed_client();
    power_cut();
    if (dfu_test_fail_count == 0) {
        tu_rmtree(dir); /* kept on failure for inspection */
    }
    return dfu_test_finish("test_client_sim");
}
