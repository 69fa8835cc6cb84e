/*
 * The field report (../shared/docs/user-story.md, smp-protocol.md §7) end to end over the
 * modelled BLE link, with the dfukit CLI as a child process:
 *   firmware A (1.x): L3 required for writes, passkey 123456, confirms itself at boot;
 *   firmware B (2.x): no link security, never confirms itself.
 * 1. without the passkey, update fails and says to pair; doctor says the same;
 * 2. `update B` with the passkey ends confirmed on B, `update A` ends confirmed on A;
 * 3. manual (a): upload + test, no reset -> `image confirm` fails with err 28; the message and
 *    doctor say a test of slot 1 is scheduled and a reset applies it; following that advice
 *    (reset, confirm) completes the update;
 * 4. manual (b): upload + test + reset into B -> the next upload fails with err 9; the message
 *    and doctor say the running image is not confirmed: confirm it, or reset to go back;
 *    following either advice lets the next upload succeed.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "client_testutil.h"
#include "dfu_client.h"
#include "dfu_client_loopdev.h"
#include "dfu_test.h"

static const char *dir;
static char img_a[256], img_b[256], img_c[256], hash_a[65], hash_b[65];
static uint8_t *data_a;
static size_t len_a;
static char out[300];

static void profile(const dfu_boot_image_info_t *img, dfu_loopdev_fw_t *fw)
{
    if (img->ver_major == 1) {
        fw->secure = true;
        fw->passkey = 123456;
        fw->self_confirm = true;
    }
}

static int sh(const char *conn, const char *fmt, const char *arg)
{
    char a[1024], args[1400];
    snprintf(a, sizeof(a), fmt, arg ? arg : "");
    snprintf(args, sizeof(args), "%s --conn %s", a, conn);
    char full[4096]; /* stderr too: messages are checked */
    snprintf(full, sizeof(full), "%s/dfukit %s >%s 2>&1", DFU_BUILD_DIR, args, out);
    int st = system(full);
    if (getenv("DFU_TEST_VERBOSE")) { /* show each command and its output */
        printf("$ dfukit %s\n", args);
        fflush(stdout);
        snprintf(full, sizeof(full), "cat %s", out);
        if (system(full) != 0) {
            printf("(no output)\n");
        }
        printf("[exit %d]\n", WIFEXITED(st) ? WEXITSTATUS(st) : -1);
    }
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static int out_has(const char *needle)
{
    size_t n = 0;
    char *t = (char *)tu_read(out, &n);
    if (t == NULL) {
        return 0;
    }
    t = realloc(t, n + 1);
    t[n] = '\0';
    int found = strstr(t, needle) != NULL;
    if (!found) {
        fprintf(stderr, "--- expected '%s' in output:\n%s---\n", needle, t);
    }
    free(t);
    return found;
}

static dfu_loopdev_t *start(char *conn, size_t cap, const char *sock)
{
    dfu_loopdev_t *d = calloc(1, sizeof(*d));
    CHECK_EQ_INT(dfu_loopdev_init(d, data_a, len_a), 0);
    d->profile = profile;
    char path[300];
    snprintf(path, sizeof(path), "%s/%s", dir, sock);
    CHECK_EQ_INT(dfu_loopdev_start(d, DFU_LINK_BLE, path), 0);
    dfu_loopdev_conn(d, conn, cap);
    return d;
}

static void stop(dfu_loopdev_t *d)
{
    dfu_loopdev_stop(d);
    dfu_loopdev_free(d);
    free(d);
}

static void scenario_update(void)
{
    char conn[300], pk[340];
    dfu_loopdev_t *d = start(conn, sizeof(conn), "f1.sock");
    snprintf(pk, sizeof(pk), "%s,passkey=123456", conn);
    /* 1. no passkey: refused, with the reason and the fix */
    CHECK_EQ_INT(sh(conn, "update %s --timeout 1 --retries 1", img_b) != 0, 1);
    CHECK(out_has("passkey"));
    CHECK_EQ_INT(sh(conn, "doctor", NULL), 1);
    CHECK(out_has("PROBLEM link_security"));
    CHECK(out_has("passkey="));
    /* 2. with the passkey: to B and back to A */
    CHECK_EQ_INT(sh(pk, "update %s", img_b), 0);
    CHECK(out_has("VERDICT: OK"));
    CHECK(out_has("device runs 2.0.0"));
    CHECK_EQ_INT(sh(pk, "update %s", img_a), 0);
    CHECK(out_has("VERDICT: OK"));
    CHECK_EQ_INT(sh(pk, "image list --json", NULL), 0);
    char filter[300];
    snprintf(filter, sizeof(filter),
             ".images[0].hash == \"%s\" and .images[0].active and .images[0].confirmed", hash_a);
    CHECK(tu_jq(out, filter) != 0);
    CHECK_EQ_INT(sh(pk, "doctor", NULL), 0);
    CHECK(out_has("verdict: healthy"));
    stop(d);
}

static void manual_a(void)
{
    char conn[300], pk[340];
    dfu_loopdev_t *d = start(conn, sizeof(conn), "f2.sock");
    snprintf(pk, sizeof(pk), "%s,passkey=123456", conn);
    CHECK_EQ_INT(sh(pk, "image upload %s", img_b), 0);
    CHECK_EQ_INT(sh(pk, "image test %s", hash_b), 0);
    /* no reset: confirming the running image is refused with err 28 */
    CHECK_EQ_INT(sh(pk, "image confirm", NULL), 1);
    CHECK(out_has("IMAGE_ALREADY_PENDING (group 1 err 28)"));
    CHECK(out_has("a test of slot 1 is pending"));
    CHECK(out_has("a reset applies it"));
    CHECK(out_has("dfukit reset"));
    CHECK_EQ_INT(sh(pk, "doctor", NULL), 1);
    CHECK(out_has("PROBLEM pending_test"));
    CHECK(out_has("a test of slot 1 is pending (version 2.0.0)"));
    CHECK(out_has("a reset applies it"));
    CHECK(out_has("reset to apply it: 'dfukit reset'"));
    CHECK_EQ_INT(sh(pk, "doctor --json", NULL), 1);
    CHECK(tu_jq(out, ".problems[0].id == \"pending_test\" and .healthy == false") != 0);
    /* follow the advice: reset, then confirm */
    CHECK_EQ_INT(sh(pk, "reset", NULL), 0);
    char dummy[65];
    (void)dummy;
    int ok = 0;
    for (int i = 0; i < 50 && !ok; i++) {
        ok = sh(conn, "echo up --timeout 0.5 --retries 0", NULL) == 0;
    }
    CHECK(ok);
    CHECK_EQ_INT(sh(pk, "image confirm", NULL), 0);
    CHECK_EQ_INT(sh(pk, "image list --json", NULL), 0);
    char filter[300];
    snprintf(filter, sizeof(filter),
             ".images[0].hash == \"%s\" and .images[0].active and .images[0].confirmed", hash_b);
    CHECK(tu_jq(out, filter) != 0);
    stop(d);
}

/* Upload + test + reset into B (never confirms itself); returns the device. */
static dfu_loopdev_t *into_unconfirmed_b(char *conn, size_t cap, char *pk, size_t pkcap,
                                         const char *sock)
{
    dfu_loopdev_t *d = start(conn, cap, sock);
    snprintf(pk, pkcap, "%s,passkey=123456", conn);
    /* the manual way: upload, test, reset */
    CHECK_EQ_INT(sh(pk, "image upload %s", img_b), 0);
    CHECK_EQ_INT(sh(pk, "image test %s", hash_b), 0);
    CHECK_EQ_INT(sh(pk, "reset", NULL), 0);
    int up = 0;
    for (int i = 0; i < 50 && !up; i++) {
        up = sh(conn, "image list --json --timeout 0.5 --retries 0", NULL) == 0 &&
             tu_jq(out, ".images[0].version == \"2.0.0\"") == 1;
    }
    CHECK(up);
    CHECK_EQ_INT(sh(pk, "image list", NULL), 0);
    CHECK(out_has("reverts to the slot 1 image: the running test image is not confirmed"));
    /* the next upload fails with err 9 and says why and what to do */
    CHECK_EQ_INT(sh(pk, "image upload %s", img_c), 1);
    CHECK(out_has("NO_FREE_SLOT (group 1 err 9)"));
    CHECK(out_has("running image is not confirmed"));
    CHECK(out_has("dfukit image confirm"));
    CHECK(out_has("dfukit reset"));
    CHECK_EQ_INT(sh(pk, "doctor", NULL), 1);
    CHECK(out_has("PROBLEM unconfirmed_test"));
    CHECK(out_has("fail with err 9 (NO_FREE_SLOT)"));
    CHECK(out_has("confirm it to keep it: 'dfukit image confirm'; or reset to go back: "
                  "'dfukit reset'"));
    /* update without --clear refuses and offers it */
    CHECK_EQ_INT(sh(pk, "update %s", img_c), 1);
    CHECK(out_has("--clear"));
    return d;
}

static void manual_b(void)
{
    char conn[300], pk[340];
    /* advice 1: confirm it */
    dfu_loopdev_t *d = into_unconfirmed_b(conn, sizeof(conn), pk, sizeof(pk), "f3.sock");
    CHECK_EQ_INT(sh(pk, "image confirm", NULL), 0);
    CHECK_EQ_INT(sh(pk, "image upload %s", img_c), 0);
    CHECK_EQ_INT(sh(pk, "update %s", img_c), 0);
    CHECK(out_has("VERDICT: OK"));
    stop(d);
    /* advice 2: reset to go back to A, then the upload works */
    d = into_unconfirmed_b(conn, sizeof(conn), pk, sizeof(pk), "f4.sock");
    CHECK_EQ_INT(sh(pk, "reset", NULL), 0);
    int ok = 0;
    for (int i = 0; i < 50 && !ok; i++) {
        ok = sh(pk, "image list --json --timeout 0.5 --retries 0", NULL) == 0;
    }
    char filter[300];
    snprintf(filter, sizeof(filter), ".images[0].hash == \"%s\" and .images[0].confirmed", hash_a);
    CHECK(tu_jq(out, filter) != 0);
    CHECK_EQ_INT(sh(pk, "image upload %s", img_c), 0);
    CHECK_EQ_INT(sh(pk, "update %s", img_c), 0);
    CHECK(out_has("VERDICT: OK"));
    stop(d);
    /* --clear does it in one go */
    d = into_unconfirmed_b(conn, sizeof(conn), pk, sizeof(pk), "f5.sock");
    CHECK_EQ_INT(sh(pk, "update %s --clear", img_c), 0);
    CHECK(out_has("VERDICT: OK"));
    stop(d);
}

int main(void)
{
    signal(SIGPIPE, SIG_IGN);
    dir = tu_tmpdir();
    snprintf(out, sizeof(out), "%s/out.txt", dir);
    CHECK_EQ_INT(tu_make_image(dir, "a", "1.0.0", 20000, 11, "", img_a, sizeof(img_a)), 0);
    CHECK_EQ_INT(tu_make_image(dir, "b", "2.0.0", 24000, 12, "", img_b, sizeof(img_b)), 0);
    CHECK_EQ_INT(tu_make_image(dir, "c", "3.0.0", 22000, 13, "", img_c, sizeof(img_c)), 0);
    tu_image_hash(img_a, hash_a);
    tu_image_hash(img_b, hash_b);
    data_a = tu_read(img_a, &len_a);
    if (data_a == NULL) {
        CHECK(0);
        return dfu_test_finish("test_client_field");
    }
    scenario_update();
    manual_a();
    manual_b();
    free(data_a);
    if (dfu_test_fail_count == 0) {
        tu_rmtree(dir); /* kept on failure for inspection */
    }
    return dfu_test_finish("test_client_field");
}
