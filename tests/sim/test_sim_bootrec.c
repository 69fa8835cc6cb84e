/*
 * The bootloader's outcome, read over SMP from `dfukit sim` with the dfukit CLI (issue 14):
 * one scenario per outcome, each checked with `dfukit bootloader --last-boot --json` (swap,
 * reason, versions, flash figures) and with the first line of `dfukit doctor`:
 *   - nothing to do, test swap, permanent swap;
 *   - the field report: upload + test + reset into firmware that never confirms, reset again:
 *     doctor's first line says the bootloader reverted and why;
 *   - an image signed with another key (sim -k): refused, signature invalid; `dfukit update`
 *     of such an image says so in its verify step;
 *   - an older image (sim --downgrade version): downgrade refused; with --downgrade seccnt the
 *     client's version check passes and `update`'s verify step names the downgrade;
 *   - a power cut in the middle of the swap (--power-cut-at), then power on: resumed;
 *   - `dfukit update` of an image that crashes at start: verify says it was reverted and why;
 *   - `dfukit bootloader --log --json` lists the records newest first.
 */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "dfu_test.h"
#include "dfukit/dfu_err.h"
#include "sim_harness.h"

static char dir[128], out[300];

/* Runs `dfukit <args> --conn udp:127.0.0.1:PORT`, output (stdout + stderr) in `out`. */
static int cli(const simproc_t *p, const char *fmt, ...)
{
    char a[1024], cmd[1600];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(a, sizeof(a), fmt, ap);
    va_end(ap);
    snprintf(cmd, sizeof(cmd), "'%s/dfukit' %s --conn udp:127.0.0.1:%u >'%s' 2>&1", DFU_BUILD_DIR,
             a, p->udp_port, out);
    int st = system(cmd);
    if (getenv("DFU_TEST_VERBOSE")) {
        printf("$ dfukit %s\n", a);
        snprintf(cmd, sizeof(cmd), "cat '%s'", out);
        (void)!system(cmd);
    }
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static char *out_text(void)
{
    size_t n = 0;
    char *t = (char *)h_read_file(out, &n);
    return t != NULL ? t : calloc(1, 1);
}

static int out_has(const char *needle)
{
    char *t = out_text();
    int found = strstr(t, needle) != NULL;
    if (!found) {
        fprintf(stderr, "--- expected '%s' in output:\n%s---\n", needle, t);
    }
    free(t);
    return found;
}

/* The first line of the output starts with `prefix`. */
static int first_line_is(const char *prefix)
{
    char *t = out_text();
    int ok = strncmp(t, prefix, strlen(prefix)) == 0;
    if (!ok) {
        fprintf(stderr, "--- expected the first line to start with '%s':\n%s---\n", prefix, t);
    }
    free(t);
    return ok;
}

/* jq -e FILTER over the output (1 = true). */
static int jq(const char *filter)
{
    char cmd[1400];
    snprintf(cmd, sizeof(cmd), "jq -e '%s' '%s' >/dev/null 2>&1", filter, out);
    int ok = system(cmd) == 0;
    if (!ok) {
        char *t = out_text();
        fprintf(stderr, "--- jq '%s' failed on:\n%s---\n", filter, t);
        free(t);
    }
    return ok;
}

/* last_boot fields: swap, reason code, running version, other version (NULL = null). */
static void expect_last(const simproc_t *p, const char *swap, int code, const char *ver,
                        const char *other, bool resumed)
{
    CHECK_EQ_INT(cli(p, "bootloader --last-boot --json"), 0);
    char f[600];
    snprintf(f, sizeof(f),
             ".supported and .last_boot.swap == \"%s\" and .last_boot.reason_code == %d and "
             ".last_boot.version == \"%s\" and .last_boot.other_version == %s%s%s and "
             ".last_boot.resumed == %s and .last_boot.booted and .last_boot.slot == 0 and "
             "(.last_boot.hash | length) == 64",
             swap, code, ver, other ? "\"" : "", other ? other : "null", other ? "\"" : "",
             resumed ? "true" : "false");
    CHECK(jq(f));
}

static char *img(const char *name)
{
    static char paths[16][300];
    static int n;
    char *p = paths[n++ % 16];
    snprintf(p, 300, "%s/%s.img", dir, name);
    return p;
}

/* upload + test (+ reset) of `image`; waits for boot #`boot` in the sim log. */
static void upload_test_reset(const simproc_t *p, const char *image, int boot)
{
    CHECK_EQ_INT(cli(p, "image upload %s", image), 0);
    CHECK_EQ_INT(cli(p, "image list --json"), 0);
    char cmd[512];
    snprintf(cmd, sizeof(cmd), "jq -r '.images[] | select(.slot == 1) | .hash' '%s'", out);
    FILE *f = popen(cmd, "r");
    char hash[80] = "";
    if (f != NULL) {
        if (fgets(hash, sizeof(hash), f) == NULL) {
            hash[0] = '\0';
        }
        pclose(f);
    }
    hash[strcspn(hash, "\n")] = '\0';
    CHECK_EQ_INT(strlen(hash), 64);
    CHECK_EQ_INT(cli(p, "image test %s", hash), 0);
    CHECK_EQ_INT(cli(p, "reset"), 0);
    char needle[32];
    snprintf(needle, sizeof(needle), "boot #%d:", boot);
    CHECK_EQ_INT(h_wait_log(p, needle, 1, 10000), 0);
}

static void reset_wait(const simproc_t *p, int boot)
{
    CHECK_EQ_INT(cli(p, "reset"), 0);
    char needle[32];
    snprintf(needle, sizeof(needle), "boot #%d:", boot);
    CHECK_EQ_INT(h_wait_log(p, needle, 1, 10000), 0);
}

static void outcomes(void)
{
    char flash[300];
    snprintf(flash, sizeof(flash), "%s/outcomes.bin", dir);
    const char *args[] = {"--install", img("v1"), "--udp", "127.0.0.1:0", NULL};
    simproc_t p;
    CHECK_EQ_INT(h_spawn(&p, dir, "outcomes", flash, 1, args), 0);
    CHECK_EQ_INT(h_wait_log(&p, "boot #1:", 1, 5000), 0);
    /* 1. nothing to do */
    expect_last(&p, "none", 0, "1.0.0", NULL, false);
    CHECK(jq(".last_boot.boot == 1 and .last_boot.flash_erases == 0 and "
             ".last_boot.reason == \"no update pending: primary image booted\""));
    /* 2. test swap, flash figures and modelled time (85 ms per nRF52 page erase) */
    upload_test_reset(&p, img("v2"), 2);
    expect_last(&p, "test", 1, "2.0.0", "1.0.0", false);
    CHECK(jq(".last_boot.boot == 2 and .last_boot.flash_erases >= 10 and "
             ".last_boot.flash_writes > .last_boot.flash_erases and "
             ".last_boot.flash_bytes >= 2 * 20000 and "
             ".last_boot.time_ms >= 85 * .last_boot.flash_erases"));
    CHECK_EQ_INT(cli(&p, "doctor"), 0);
    CHECK(first_line_is("doctor: at the last reset the bootloader swapped in 2.0.0 for a test "
                        "(replacing 1.0.0)"));
    /* 2.0.0 confirms itself at start-up: doctor read slot 0 confirmed, so it says it stays */
    CHECK(first_line_is("doctor: at the last reset the bootloader swapped in 2.0.0 for a test "
                        "(replacing 1.0.0); it has been confirmed since (slot 0 reads confirmed), "
                        "so it stays\n"));
    /* the record alone (no state read) keeps the conditional */
    CHECK_EQ_INT(cli(&p, "bootloader --last-boot"), 0);
    CHECK(first_line_is("at the last reset the bootloader swapped in 2.0.0 for a test (replacing "
                        "1.0.0): it is reverted at the next reset unless it is confirmed"));
    /* 3. permanent: confirm of slot 1 by hash */
    CHECK_EQ_INT(cli(&p, "image upload %s", img("v3")), 0);
    CHECK_EQ_INT(cli(&p, "image list --json"), 0);
    char hex[65];
    {
        char cmd[512];
        snprintf(cmd, sizeof(cmd), "jq -r '.images[] | select(.slot == 1) | .hash' '%s'", out);
        FILE *f = popen(cmd, "r");
        CHECK(f != NULL && fgets(hex, sizeof(hex), f) != NULL);
        if (f != NULL) {
            pclose(f);
        }
    }
    CHECK_EQ_INT(cli(&p, "image confirm %s", hex), 0);
    reset_wait(&p, 3);
    expect_last(&p, "perm", 2, "3.0.0", "2.0.0", false);
    CHECK_EQ_INT(cli(&p, "doctor"), 0);
    CHECK(first_line_is("doctor: at the last reset the bootloader installed 3.0.0 permanently "
                        "(replacing 2.0.0)"));
    /* 4. the field report: firmware that never confirms itself, reset twice */
    upload_test_reset(&p, img("v4never"), 4);
    expect_last(&p, "test", 1, "4.0.0", "3.0.0", false);
    /* 4.0.0 never confirms: a problem (exit 1), and the revert is announced */
    CHECK_EQ_INT(cli(&p, "doctor"), 1);
    CHECK(first_line_is("doctor: at the last reset the bootloader swapped in 4.0.0 for a test "
                        "(replacing 3.0.0): it is reverted at the next reset unless it is "
                        "confirmed"));
    reset_wait(&p, 5);
    expect_last(&p, "revert", 3, "3.0.0", "4.0.0", false);
    CHECK(jq(".last_boot.reason == \"test image not confirmed: reverted\""));
    CHECK_EQ_INT(cli(&p, "doctor"), 0);
    CHECK(first_line_is("doctor: at the last reset the bootloader reverted 4.0.0 -> 3.0.0 "
                        "because 4.0.0 never confirmed itself: confirm it at start-up or with "
                        "`dfukit image confirm`\n"));
    CHECK_EQ_INT(cli(&p, "doctor --json"), 0);
    CHECK(jq(".last_boot.swap == \"revert\" and (.last_boot_summary | startswith(\"at the last "
             "reset the bootloader reverted 4.0.0 -> 3.0.0\"))"));
    CHECK_EQ_INT(cli(&p, "bootloader --last-boot"), 0);
    CHECK(first_line_is("at the last reset the bootloader reverted 4.0.0 -> 3.0.0"));
    /* 5. the log, newest first */
    CHECK_EQ_INT(cli(&p, "bootloader --log --json"), 0);
    CHECK(jq(".total == 5 and ([.boot_log[].swap] == [\"revert\",\"test\",\"perm\",\"test\","
             "\"none\"]) and ([.boot_log[].boot] == [5,4,3,2,1])"));
    /* log entries are history: "at boot #N", no prediction about the next reset, and the hash
     * the compact entries do not carry is null, not "" */
    CHECK(jq("all(.boot_log[]; . as $e | ($e.explanation | startswith(\"at boot #\" + ($e.boot "
             "| tostring) + \" the bootloader \")) and ($e.explanation | contains(\"next reset\") "
             "| not) and $e.hash == null)"));
    CHECK(jq(".boot_log[1].explanation == \"at boot #4 the bootloader swapped in 4.0.0 for a "
             "test (replacing 3.0.0)\""));
    CHECK_EQ_INT(cli(&p, "bootloader --log"), 0);
    CHECK(out_has("#5      revert  no       3.0.0          4.0.0          test image not "
                  "confirmed: reverted"));
    CHECK(out_has("5 of 5 records"));
    CHECK_EQ_INT(h_stop(&p), 0);
}

static void signature(void)
{
    char flash[300], ka[300], kb[300], pa[300], cmd[1400];
    snprintf(ka, sizeof(ka), "%s/a.pem", dir);
    snprintf(kb, sizeof(kb), "%s/b.pem", dir);
    snprintf(pa, sizeof(pa), "%s/a_pub.pem", dir);
    snprintf(cmd, sizeof(cmd),
             "'%s/dfukit' image keygen -k '%s' -t ecdsa-p256 -e '%s' >/dev/null && "
             "'%s/dfukit' image keygen -k '%s' -t ecdsa-p256 >/dev/null",
             DFU_BUILD_DIR, ka, pa, DFU_BUILD_DIR, kb);
    CHECK_EQ_INT(system(cmd), 0);
    CHECK_EQ_INT(h_make_image_key(img("ka1"), "1.0.0", "name=k1,confirm=boot", 12 * 1024, 81, ka),
                 0);
    CHECK_EQ_INT(h_make_image_key(img("kb2"), "2.0.0", "name=evil,confirm=boot", 12 * 1024, 82, kb),
                 0);
    CHECK_EQ_INT(h_make_image_key(img("kb3"), "3.0.0", "name=evil,confirm=boot", 12 * 1024, 83, kb),
                 0);
    snprintf(flash, sizeof(flash), "%s/sig.bin", dir);
    const char *args[] = {"--install", img("ka1"), "--udp", "127.0.0.1:0", "-k", pa, NULL};
    simproc_t p;
    CHECK_EQ_INT(h_spawn(&p, dir, "sig", flash, 1, args), 0);
    CHECK_EQ_INT(h_wait_log(&p, "boot #1:", 1, 5000), 0);
    upload_test_reset(&p, img("kb2"), 2);
    expect_last(&p, "fail", 5, "1.0.0", "2.0.0", false);
    CHECK(jq(".last_boot.reason == \"secondary signature invalid: refused\" and "
             ".last_boot.refused_err != 0 and (.last_boot.refused_err_text | length) > 0"));
    CHECK_EQ_INT(cli(&p, "doctor"), 0);
    CHECK(first_line_is("doctor: at the last reset the bootloader refused 2.0.0 because its "
                        "signature is invalid"));
    /* update's verify step says why, precisely */
    CHECK_EQ_INT(cli(&p, "update %s", img("kb3")), 1);
    CHECK(out_has("after the reset the device runs 1.0.0, not the new image 3.0.0: at the last "
                  "reset the bootloader refused 3.0.0 because its signature is invalid"));
    CHECK(out_has("update: next: sign the image with the key the bootloader expects"));
    /* --json: the verdict carries the bootloader's record, not only the sentence */
    CHECK_EQ_INT(cli(&p, "update %s --json", img("kb3")), 1);
    CHECK(jq("select(.event == \"verdict\") | .ok == false and .step == \"verify\" and "
             ".outcome == \"refused\" and .last_boot.swap == \"fail\" and "
             ".last_boot.reason_code == 5 and .last_boot.version == \"1.0.0\" and "
             ".last_boot.other_version == \"3.0.0\" and .last_boot.refused_err != 0"));
    CHECK_EQ_INT(h_stop(&p), 0);
}

static void downgrade(void)
{
    char flash[300];
    snprintf(flash, sizeof(flash), "%s/down.bin", dir);
    const char *args[] = {"--install",   img("v2"), "--udp", "127.0.0.1:0",
                          "--downgrade", "version", NULL};
    simproc_t p;
    CHECK_EQ_INT(h_spawn(&p, dir, "down", flash, 1, args), 0);
    CHECK_EQ_INT(h_wait_log(&p, "boot #1:", 1, 5000), 0);
    upload_test_reset(&p, img("v15"), 2);
    expect_last(&p, "none", 9, "2.0.0", "1.5.0", false);
    CHECK(jq(".last_boot.reason == \"downgrade refused\""));
    CHECK_EQ_INT(cli(&p, "doctor"), 0);
    CHECK(first_line_is("doctor: at the last reset the bootloader refused 1.5.0 as a downgrade: "
                        "it runs 2.0.0 and refuses images with an older version"));
    CHECK_EQ_INT(h_stop(&p), 0);
    /* security-counter downgrade: newer version, lower counter; only the bootloader knows */
    snprintf(flash, sizeof(flash), "%s/seccnt.bin", dir);
    const char *args2[] = {"--install",   img("c5"), "--udp", "127.0.0.1:0",
                           "--downgrade", "seccnt",  NULL};
    CHECK_EQ_INT(h_spawn(&p, dir, "seccnt", flash, 1, args2), 0);
    CHECK_EQ_INT(h_wait_log(&p, "boot #1:", 1, 5000), 0);
    CHECK_EQ_INT(cli(&p, "update %s", img("c3")), 1);
    CHECK(out_has("after the reset the device runs 1.0.0, not the new image 2.0.0: at the last "
                  "reset the bootloader refused 2.0.0 as a downgrade"));
    CHECK(out_has("update: next: sign the image with a version higher"));
    CHECK_EQ_INT(h_stop(&p), 0);
}

static void resumed(void)
{
    char flash[300];
    snprintf(flash, sizeof(flash), "%s/cut.bin", dir);
    const char *args[] = {"--install", img("v1"), "--udp", "127.0.0.1:0", NULL};
    simproc_t p;
    CHECK_EQ_INT(h_spawn(&p, dir, "cut1", flash, 1, args), 0);
    CHECK_EQ_INT(h_wait_log(&p, "boot #1:", 1, 5000), 0);
    CHECK_EQ_INT(cli(&p, "image upload %s", img("v2")), 0);
    CHECK_EQ_INT(cli(&p, "image list --json"), 0);
    CHECK(jq(".images[1].slot == 1"));
    char cmd[512], hex[80] = "";
    snprintf(cmd, sizeof(cmd), "jq -r '.images[1].hash' '%s'", out);
    FILE *f = popen(cmd, "r");
    CHECK(f != NULL && fgets(hex, sizeof(hex), f) != NULL);
    if (f != NULL) {
        pclose(f);
    }
    hex[strcspn(hex, "\n")] = '\0';
    CHECK_EQ_INT(cli(&p, "image test %s", hex), 0);
    CHECK_EQ_INT(h_stop(&p), 0);
    /* power on; the swap starts at once and power is lost at flash op 20 of it */
    const char *cut[] = {"--udp", "127.0.0.1:0", "--power-cut-at", "20", NULL};
    CHECK(h_spawn(&p, dir, "cut2", flash, 1, cut) != 0); /* exits 3 before listening */
    CHECK_EQ_INT(h_log_count(&p, "power cut at flash op 20"), 1);
    const char *on[] = {"--udp", "127.0.0.1:0", NULL};
    CHECK_EQ_INT(h_spawn(&p, dir, "cut3", flash, 1, on), 0);
    CHECK_EQ_INT(h_wait_log(&p, "boot #1: swap=test resumed=yes", 1, 5000), 0);
    expect_last(&p, "test", 4, "2.0.0", "1.0.0", true);
    CHECK(jq(".last_boot.reason == \"power cut during swap: resumed and completed\" and "
             ".last_boot.boot == 2"));
    CHECK_EQ_INT(cli(&p, "doctor"), 0);
    CHECK(first_line_is("doctor: at the last reset the bootloader completed a test swap to 2.0.0 "
                        "that a power cut had interrupted"));
    CHECK_EQ_INT(h_stop(&p), 0);
}

static void crash_update(void)
{
    char flash[300];
    snprintf(flash, sizeof(flash), "%s/crash.bin", dir);
    const char *args[] = {"--install", img("v1"), "--udp", "127.0.0.1:0", NULL};
    simproc_t p;
    CHECK_EQ_INT(h_spawn(&p, dir, "crash", flash, 1, args), 0);
    CHECK_EQ_INT(h_wait_log(&p, "boot #1:", 1, 5000), 0);
    CHECK_EQ_INT(cli(&p, "update %s", img("v5crash")), 1);
    CHECK(out_has("after the reset the device runs 1.0.0, not the new image 5.0.0: at the last "
                  "reset the bootloader reverted 5.0.0 -> 1.0.0 because 5.0.0 never confirmed "
                  "itself"));
    CHECK(out_has("update: next: the new image must confirm itself at start-up"));
    /* --json: the record in the verdict (run again: the same revert) */
    CHECK_EQ_INT(cli(&p, "update %s --json", img("v5crash")), 1);
    CHECK(jq("select(.event == \"verdict\") | .ok == false and .step == \"verify\" and "
             ".outcome == \"reverted\" and .last_boot.swap == \"revert\" and "
             ".last_boot.reason_code == 3 and .last_boot.version == \"1.0.0\" and "
             ".last_boot.other_version == \"5.0.0\" and "
             "(.last_boot.explanation | startswith(\"at the last reset the bootloader reverted "
             "5.0.0 -> 1.0.0\"))"));
    CHECK_EQ_INT(h_stop(&p), 0);
}

int main(void)
{
    if (system("jq --version >/dev/null 2>&1") != 0) {
        printf("note: jq not installed; test_sim_bootrec not run\n");
        return dfu_test_finish("test_sim_bootrec");
    }
    CHECK_EQ_INT(h_tmpdir(dir, sizeof(dir), "bootrec"), 0);
    snprintf(out, sizeof(out), "%s/cli.out", dir);
    const size_t sz = 20 * 1024;
    CHECK_EQ_INT(h_make_image(img("v1"), "1.0.0", "name=v1,confirm=boot", sz, 91), 0);
    CHECK_EQ_INT(h_make_image(img("v2"), "2.0.0", "name=v2,confirm=boot", sz, 92), 0);
    CHECK_EQ_INT(h_make_image(img("v3"), "3.0.0", "name=v3,confirm=boot", sz, 93), 0);
    CHECK_EQ_INT(h_make_image(img("v4never"), "4.0.0", "name=v4,confirm=never", sz, 94), 0);
    CHECK_EQ_INT(h_make_image(img("v5crash"), "5.0.0", "name=v5,healthy=no", sz, 95), 0);
    CHECK_EQ_INT(h_make_image(img("v15"), "1.5.0", "name=v15,confirm=boot", sz, 96), 0);
    /* security counters 5 (running) and 3 (newer version, older counter) */
    char cmd[1200];
    snprintf(cmd, sizeof(cmd),
             "head -c 12000 /dev/zero > '%s/c.bin' && "
             "'%s/dfukit' image sign -H 0x200 --pad-header --align 4 -S 0x32000 -v 1.0.0 -s 5 "
             "--sim-app name=c5,confirm=boot '%s/c.bin' '%s' >/dev/null && "
             "'%s/dfukit' image sign -H 0x200 --pad-header --align 4 -S 0x32000 -v 2.0.0 -s 3 "
             "--sim-app name=c3,confirm=boot '%s/c.bin' '%s' >/dev/null",
             dir, DFU_BUILD_DIR, dir, img("c5"), DFU_BUILD_DIR, dir, img("c3"));
    CHECK_EQ_INT(system(cmd), 0);
    outcomes();
    signature();
    downgrade();
    resumed();
    crash_update();
    h_cleanup(dfu_test_fail_count);
    return dfu_test_finish("test_sim_bootrec");
}
