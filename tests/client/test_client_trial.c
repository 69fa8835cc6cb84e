/*
 * A newcomer's trial (issue 15), command by command as typed, against `dfukit sim` child
 * processes: each check runs the dfukit binary ($DFUKIT_BIN when set, e.g. the installed one:
 * test_client_installed) and asserts the message and the exit code.
 *  - global options before or after the verb, per-verb help pages, --version, -v log lines;
 *  - observed connection messages (connection refused vs no answer within N s), "device not
 *    reached" instead of a state that was not read; udp: with [IPv6] and host names;
 *  - the ten findings: (1) new firmware that demands pairing, (2) wrong passkey, (3) reverted vs
 *    refused image, (4) Intel HEX images, (5) erase of slot 0, (6) help pages, (7) Ctrl-C during
 *    update and the resumed run's progress, (8) usable slot size, (9) revert swap estimate,
 *    (10) an upload that cancels a scheduled test; `dfukit sim --install` of an Intel HEX image.
 */
#include <netinet/in.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "client_testutil.h"
#include "dfu_test.h"

static const char *dir;
static char out[300];
static char img_open[256], img_pk[256], img_crash[256], img_big[256], img_small[256], img_mid[256],
    img_toobig[256], hex_v21[300];
static char hash_small[65], hash_big[65];

/* Runs dfukit with the formatted arguments, stdout and stderr into `out`; returns the exit code. */
static int run(const char *fmt, ...)
{
    char args[2048], cmd[4096];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(args, sizeof(args), fmt, ap);
    va_end(ap);
    snprintf(cmd, sizeof(cmd), "%s %s >%s 2>&1 </dev/null", tu_dfukit_bin(), args, out);
    int st = system(cmd);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static char *slurp(const char *path)
{
    size_t n = 0;
    char *t = (char *)tu_read(path, &n);
    char *z = t ? realloc(t, n + 1) : NULL;
    if (z == NULL) {
        free(t);
        return NULL;
    }
    z[n] = '\0';
    return z;
}

static int count(const char *needle)
{
    char *t = slurp(out);
    int n = 0;
    for (const char *p = t; p && (p = strstr(p, needle)) != NULL; p++) {
        n++;
    }
    free(t);
    return n;
}

/* The last command's output contains / lacks `needle` (printed when not). */
static int has(const char *needle)
{
    int n = count(needle);
    if (n == 0) {
        char *t = slurp(out);
        fprintf(stderr, "--- expected '%s' in:\n%s---\n", needle, t ? t : "");
        free(t);
    }
    return n > 0;
}

static int lacks(const char *needle)
{
    int n = count(needle);
    if (n != 0) {
        char *t = slurp(out);
        fprintf(stderr, "--- did not expect '%s' in:\n%s---\n", needle, t ? t : "");
        free(t);
    }
    return n == 0;
}

typedef tu_sim_t sim_t;

/* `dfukit sim` on flash file dir/name.flash with `transports` (and more options). */
static int sim_start(sim_t *s, const char *name, const char *transports, const char *install)
{
    char args[1200], log[300];
    snprintf(args, sizeof(args), "--flash %s/%s.flash %s --install %s", dir, name, transports,
             install);
    snprintf(log, sizeof(log), "%s/%s.log", dir, name);
    return tu_sim_start(s, args, log);
}

static int sim_stop(sim_t *s)
{
    return tu_sim_stop(s);
}

/* ---- options, help, messages ----------------------------------------------------------------- */

static void help_pages(void)
{
    static const char *const verbs[] = {
        "update",        "doctor",      "image list",  "image upload", "image test",
        "image confirm", "image erase", "image slots", "echo",         "reset",
        "params",        "info",        "bootloader"};
    char want[64];
    for (size_t i = 0; i < sizeof(verbs) / sizeof(verbs[0]); i++) {
        snprintf(want, sizeof(want), "usage: dfukit %s", verbs[i]);
        CHECK_EQ_INT(run("%s --help", verbs[i]), 0);
        CHECK(has(want));
        CHECK(has("exit codes:"));
        CHECK(lacks("-c, --conn CONN")); /* the global options' descriptions: dfukit --help */
        CHECK_EQ_INT(run("--help %s", verbs[i]), 0); /* also before the verb */
        CHECK(has(want));
    }
    /* the offline verbs too: their own page, ending with their exit codes */
    static const char *const offline[] = {"image keygen",  "image getpub", "image getpubhash",
                                          "image getpriv", "image sign",   "image verify",
                                          "image info",    "boot",         "sim"};
    for (size_t i = 0; i < sizeof(offline) / sizeof(offline[0]); i++) {
        snprintf(want, sizeof(want), "usage: dfukit %s ", offline[i]);
        CHECK_EQ_INT(run("%s --help", offline[i]), 0);
        CHECK(has(want));
        CHECK(count("exit codes: 0 ok, 1 failed") + count("exit: 0 ") == 1);
        CHECK(has("2 usage"));
    }
    /* finding 6: image list has its own page, not the generic one */
    CHECK_EQ_INT(run("image list --help"), 0);
    CHECK(lacks("usage: dfukit list"));
    CHECK(has("Reads the image state"));
    CHECK(has("Changes nothing."));
    CHECK_EQ_INT(run("update --help"), 0);
    CHECK(has("--mode MODE") && has("test-confirm") && has("confirm-only") && has("test-only"));
    CHECK(has("upload-only") && has("--clear") && has("revert image") && has("130 interrupted"));
    CHECK(has("resets the device"));
    /* dfukit --help lists every global option once */
    CHECK_EQ_INT(run("--help"), 0);
    static const char *const glob[] = {"-c, --conn CONN", "-t, --timeout SEC", "--retries N",
                                       "    --json  ",    "-v, --verbose",     "--version  "};
    for (size_t i = 0; i < sizeof(glob) / sizeof(glob[0]); i++) {
        CHECK_EQ_INT(count(glob[i]), 1);
    }
    CHECK(has("udp:HOST[:PORT]") && has("[IPv6]"));
    CHECK_EQ_INT(run("--version"), 0);
    CHECK(has("dfukit 0.") || has("dfukit 1."));
    CHECK_EQ_INT(run("-v image sign a b"), 2); /* -v before an offline command: not its option */
    CHECK(has("is an option of the device commands"));
    CHECK_EQ_INT(run("--json image info %s", img_small), 0); /* --json before: handed on */
    CHECK(has("\"filename\"") && has("\"hash\""));
    CHECK_EQ_INT(run("--json image keygen -k %s/k.pem -t ed25519", dir), 2);
    CHECK(has("dfukit image keygen: unknown option '--json'"));
    CHECK_EQ_INT(run("image list --bogus -c udp:127.0.0.1:9"), 2);
    CHECK(has("unknown option '--bogus'"));
    CHECK_EQ_INT(run("update x.bin --mode fast -c udp:127.0.0.1:9"), 2);
    CHECK(has("--mode is one of test-confirm, confirm-only, test-only, upload-only"));
    CHECK_EQ_INT(run("--completion bash"), 0);
    CHECK(has("complete -o default") && has("\"image upload\") opts=\"--image --upgrade"));
    CHECK_EQ_INT(run("--man"), 0);
    CHECK(has(".TH DFUKIT 1") && has(".SS dfukit update") && has(".SS dfukit image sign"));
}

static void link_messages(void)
{
    /* nothing listens: ICMP port unreachable */
    CHECK_EQ_INT(run("--conn udp:127.0.0.1:9 image list"), 4);
    CHECK(has("no SMP server answered at 127.0.0.1:9 (connection refused)"));
    CHECK(lacks("dropped"));
    /* a host name that does not resolve (RFC 6761 .invalid): said so, not "bad --conn" */
    CHECK_EQ_INT(run("--conn udp:nosuchhost.invalid:9 image list"), 4);
    CHECK(has("NO_SUCH_HOST: the host name of nosuchhost.invalid:9 did not resolve"));
    CHECK(lacks("bad --conn") && lacks("tty"));
    CHECK_EQ_INT(run("echo -c tcp:nosuchhost.invalid:5"), 4);
    CHECK(has("NO_SUCH_HOST: the host name of nosuchhost.invalid:5 did not resolve"));
    CHECK_EQ_INT(run("--json image list -c udp:nosuchhost.invalid"), 4);
    CHECK(tu_jq(out, ".ok == false and .error.name == \"NO_SUCH_HOST\"") != 0);
    /* something takes the datagrams but never answers */
    int fd = socket(AF_INET, SOCK_DGRAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof(a);
    CHECK(bind(fd, (struct sockaddr *)&a, sizeof(a)) == 0);
    CHECK(getsockname(fd, (struct sockaddr *)&a, &len) == 0);
    CHECK_EQ_INT(run("-t 0.3 --retries 1 echo -c udp:127.0.0.1:%u", ntohs(a.sin_port)), 4);
    char want[128];
    snprintf(want, sizeof(want), "no answer within 0.3 s (sent 2 times) from 127.0.0.1:%u",
             ntohs(a.sin_port));
    CHECK(has(want));
    close(fd);
    /* a truncated file, nothing listening: the verdict does not claim a device state */
    char cut[300];
    snprintf(cut, sizeof(cut), "%s/cut.bin", dir);
    size_t n = 0;
    uint8_t *b = tu_read(img_small, &n);
    FILE *f = fopen(cut, "wb");
    CHECK(b != NULL && f != NULL && fwrite(b, 1, n / 2, f) == n / 2);
    fclose(f);
    free(b);
    CHECK_EQ_INT(run("update %s --conn udp:127.0.0.1:9", cut), 1);
    CHECK(has("device not reached"));
    CHECK(lacks("device now"));
    /* a good file, nothing listening: the link message, exit 4, and still no device state */
    CHECK_EQ_INT(run("update %s --conn udp:127.0.0.1:9", img_small), 4);
    CHECK(has("no SMP server answered at 127.0.0.1:9 (connection refused)"));
    CHECK(has("update: failed at step 'params'; device not reached (nothing was read from it)"));
    CHECK(lacks("device now") && lacks("dropped"));
}

/* udp: with an IPv6 literal (the sim listens on [::1]) and with a host name. */
static void udp_addresses(void)
{
    sim_t s;
    CHECK_EQ_INT(sim_start(&s, "v6", "--udp [::1]:0", img_open), 0);
    CHECK(strncmp(s.udp, "[::1]:", 6) == 0);
    CHECK_EQ_INT(run("echo hello6 -c udp:%s", s.udp), 0);
    CHECK(has("hello6"));
    CHECK_EQ_INT(run("-c udp:%s image list --json", s.udp), 0);
    CHECK(tu_jq(out, ".images[0].version == \"1.0.0\"") != 0);
    CHECK_EQ_INT(sim_stop(&s), 0);
    CHECK_EQ_INT(sim_start(&s, "name", "--udp localhost:0", img_open), 0);
    CHECK(strncmp(s.udp, "localhost:", 10) == 0);
    CHECK_EQ_INT(run("--conn udp:%s echo byname", s.udp), 0);
    CHECK(has("byname"));
    CHECK_EQ_INT(sim_stop(&s), 0);
}

/* finding 4 for `dfukit sim --install`: the Intel HEX image `image sign` writes boots */
static void sim_install_hex(void)
{
    sim_t s;
    CHECK_EQ_INT(sim_start(&s, "hexinst", "--udp 127.0.0.1:0", hex_v21), 0);
    CHECK_EQ_INT(run("image list --json -c udp:%s", s.udp), 0);
    CHECK(tu_jq(out, ".images[0].version == \"2.1.0\" and .images[0].active") != 0);
    CHECK_EQ_INT(sim_stop(&s), 0);
}

/* ---- the findings on one UDP device ------------------------------------------------------------
 */

static void udp_device(void)
{
    sim_t s;
    char c[260];
    CHECK_EQ_INT(sim_start(&s, "udp", "--udp 127.0.0.1:0", img_open), 0);
    snprintf(c, sizeof(c), "udp:%s", s.udp);
    /* global options before the verb, after it, mixed */
    CHECK_EQ_INT(run("--conn %s image list", c), 0);
    CHECK(has("next reset:"));
    CHECK_EQ_INT(run("-c %s -t 2 --retries 1 image list --json", c), 0);
    CHECK(tu_jq(out, ".ok and .images[0].active") != 0);
    CHECK_EQ_INT(run("--json image list -c %s", c), 0);
    CHECK(tu_jq(out, ".command == \"image list\"") != 0);
    CHECK_EQ_INT(run("image list --conn=%s --timeout=2", c), 0);
    CHECK_EQ_INT(run("image list -c %s -t 2 --retries 1", c), 0); /* -t, --retries after */
    CHECK(has("next reset:"));
    CHECK_EQ_INT(run("image list -c %s --version", c), 0); /* --version after the verb */
    CHECK(has("dfukit 0.") || has("dfukit 1."));
    CHECK(lacks("next reset:"));
    CHECK_EQ_INT(run("echo hi -c %s --verbose", c), 0); /* --verbose (long) after the verb */
    CHECK(has("smp: echo (group 0 id 0) seq "));
    /* -v: one line per exchange */
    CHECK_EQ_INT(run("-v -c %s echo hi", c), 0);
    CHECK(has("smp: echo (group 0 id 0) seq ") && has(": request ") && has(" -> response "));
    CHECK(has(", rc 0, SMP v2, "));
    /* finding 5: erasing slot 0 is explained as such */
    CHECK_EQ_INT(run("image erase 0 -c %s", c), 1);
    CHECK(has("slot 0 holds the running image"));
    CHECK(lacks("slot 1 is in use") && lacks("--clear"));
    /* finding 8: the usable size and why it is smaller than the slot */
    CHECK_EQ_INT(run("doctor -c %s", c), 0);
    CHECK(has("slot 1 204800 bytes; usable for an image: 196608 bytes"));
    CHECK(has("MCUboot keeps its last 8192 bytes for the image trailer"));
    CHECK_EQ_INT(run("update %s -c %s", img_toobig, c), 1);
    CHECK(has("does not fit: the largest image is 196608 bytes: slot 1 is 204800 bytes"));
    /* finding 4: the Intel HEX image 'image sign' writes */
    CHECK_EQ_INT(run("image verify %s", hex_v21), 0);
    CHECK_EQ_INT(run("image info %s", hex_v21), 0);
    CHECK(has("0x96f3b83d"));
    CHECK_EQ_INT(run("image upload %s -c %s", hex_v21, c), 0); /* image upload takes it too */
    CHECK(has("uploaded "));
    CHECK_EQ_INT(run("image list --json -c %s", c), 0);
    CHECK(tu_jq(out, ".images[1].version == \"2.1.0\"") != 0);
    CHECK_EQ_INT(run("update %s -c %s", hex_v21, c), 0);
    CHECK_EQ_INT(run("image list --json -c %s", c), 0);
    CHECK(tu_jq(out, ".images[0].version == \"2.1.0\" and .images[0].confirmed") != 0);
    /* finding 10: an upload over a scheduled test says it cancelled it */
    CHECK_EQ_INT(run("image upload %s -c %s", img_small, c), 0);
    CHECK(lacks("cancelled"));
    CHECK_EQ_INT(run("image test %s -c %s", hash_small, c), 0);
    CHECK_EQ_INT(run("image upload %s -c %s", img_mid, c), 0);
    CHECK(has("the scheduled test of 5.0.0 (slot 1) was cancelled"));
    CHECK_EQ_INT(run("image list --json -c %s", c), 0);
    CHECK(tu_jq(out, ".images[1].version == \"6.0.0\" and (.images[1].pending | not)") != 0);
    CHECK_EQ_INT(run("image upload %s --json -c %s", img_small, c), 0);
    CHECK(tu_jq(out, ".cancelled == null") != 0);
    CHECK_EQ_INT(run("image test %s -c %s", hash_small, c), 0);
    CHECK_EQ_INT(run("image upload %s --json -c %s", img_mid, c), 0);
    CHECK(tu_jq(out, ".cancelled.kind == \"test\" and .cancelled.version == \"5.0.0\"") != 0);
    /* finding 3: a firmware that crashes at boot is reverted, and said so */
    CHECK_EQ_INT(run("update %s -c %s", img_crash, c), 1);
    /* (the sim keeps boot records: the bootloader's reason is quoted, the slot state added) */
    CHECK(has("not the new image 3.0.0: ") && has("reverted 3.0.0") && has("never confirmed"));
    CHECK(has("slot 1 holds it again"));
    CHECK(lacks("signature/key rejected"));
    /* finding 9: the revert swap estimate does not use the new file's size */
    CHECK_EQ_INT(run("update %s --mode test-only -c %s", img_big, c), 0);
    CHECK_EQ_INT(run("update %s --clear --json -c %s", img_small, c), 0);
    /* 196608 bytes bound the running 150 kB image: 48 pages x 0.127 s x 3 + 1 = 19.3 s; the
     * small file alone would give 2.9 s */
    CHECK(tu_jq_all(out, "map(select(.step == \"clear\" and (.message | test(\"reverts\"))))[0]"
                         ".message | capture(\"estimated at most (?<s>[0-9.]+) s\").s | "
                         "tonumber > 19") != 0);
    CHECK(tu_jq_all(out, "map(select(.step == \"clear\"))[0].message | "
                         "test(\"usable slot size \\\\(196608 bytes\\\\)\")") != 0);
    CHECK_EQ_INT(sim_stop(&s), 0);
}

/* finding 3, the other case: an image signed by another key is refused, and said so */
static void refused_image(void)
{
    char k1[300], k1pub[300], k2[300], good[256], bad[256];
    snprintf(k1, sizeof(k1), "%s/k1.pem", dir);
    snprintf(k1pub, sizeof(k1pub), "%s/k1.pub", dir);
    snprintf(k2, sizeof(k2), "%s/k2.pem", dir);
    CHECK_EQ_INT(run("image keygen -k %s -t ecdsa-p256 -e %s", k1, k1pub), 0);
    CHECK_EQ_INT(run("image keygen -k %s -t ecdsa-p256", k2), 0);
    char extra[400];
    snprintf(extra, sizeof(extra), "-k %s", k1);
    CHECK_EQ_INT(tu_make_image(dir, "good", "1.0.0", 20000, 31, extra, good, sizeof(good)), 0);
    snprintf(extra, sizeof(extra), "-k %s", k2);
    CHECK_EQ_INT(tu_make_image(dir, "bad", "2.0.0", 20000, 32, extra, bad, sizeof(bad)), 0);
    sim_t s;
    char transports[400], c[260];
    snprintf(transports, sizeof(transports), "--udp 127.0.0.1:0 -k %s", k1pub);
    CHECK_EQ_INT(sim_start(&s, "keyed", transports, good), 0);
    snprintf(c, sizeof(c), "udp:%s", s.udp);
    CHECK_EQ_INT(run("update %s -c %s", bad, c), 1);
    CHECK(has("not the new image 2.0.0: ") && has("refused 2.0.0") && has("slot 1 is empty"));
    CHECK(has("key the bootloader expects"));
    CHECK_EQ_INT(sim_stop(&s), 0);
}

/* findings 1 and 2: the field report's transition on the BLE model */
static void pairing_firmware(void)
{
    sim_t s;
    char transports[300];
    snprintf(transports, sizeof(transports), "--ble %s/dev.sock", dir);
    CHECK_EQ_INT(sim_start(&s, "ble", transports, img_open), 0);
    char c[300];
    snprintf(c, sizeof(c), "ble-sim:%s", s.ble);
    CHECK_EQ_INT(run("update %s --conn %s --wait 100", img_pk, c), 1);
    CHECK(has("the device is back, running the new image unconfirmed; it reverts at the next "
              "reset unless confirmed; this firmware requires pairing: re-run with "
              ",passkey=NNNNNN"));
    CHECK(lacks("did not come back") && lacks("swaps in the slot 1 image"));
    /* re-run without the passkey: no false claim about the state */
    CHECK(run("update %s --conn %s", img_pk, c) != 0);
    CHECK(lacks("nothing: the slot 0 image keeps running"));
    CHECK(has("device state not read: the device refuses this link's requests until it is "
              "paired"));
    CHECK(has("PAIRING_REQUIRED"));
    /* a wrong passkey is named as such */
    CHECK_EQ_INT(run("update %s --conn %s,passkey=654321", img_pk, c), 1);
    CHECK(has("pairing failed: wrong passkey (the device rejected 654321)"));
    CHECK(lacks("pair with the device's passkey: --conn"));
    CHECK_EQ_INT(run("image list --conn %s,passkey=654321", c), 1); /* every verb: exit 1 */
    CHECK(has("pairing failed: wrong passkey (the device rejected 654321)"));
    /* the right one completes it, at the confirm step */
    CHECK_EQ_INT(run("update %s --conn %s,passkey=123456", img_pk, c), 0);
    CHECK(has("starting at 'confirm'") && has("VERDICT: OK"));
    CHECK_EQ_INT(sim_stop(&s), 0);
}

/* finding 7: Ctrl-C during the upload says where; the resumed run reports a real speed */
static void interrupted_update(void)
{
    sim_t s;
    CHECK_EQ_INT(sim_start(&s, "slow", "--udp 127.0.0.1:0 --link serial,baud=115200", img_open), 0);
    char c[260], log1[300];
    snprintf(c, sizeof(c), "udp:%s", s.udp);
    snprintf(log1, sizeof(log1), "%s/interrupted.out", dir);
    pid_t pid = fork();
    if (pid == 0) {
        FILE *o = freopen(log1, "w", stdout);
        (void)o;
        dup2(1, 2);
        execl(tu_dfukit_bin(), tu_dfukit_bin(), "update", img_mid, "--conn", c, (char *)NULL);
        _exit(127);
    }
    /* wait for the second progress line (the upload is under way), then Ctrl-C */
    int lines = 0;
    for (int i = 0; i < 600 && lines < 2; i++) {
        usleep(50000);
        char *t = slurp(log1);
        lines = 0;
        for (const char *p = t; p && (p = strstr(p, " kB/s, ETA ")) != NULL; p++) {
            lines++;
        }
        free(t);
    }
    CHECK(lines >= 2);
    kill(pid, SIGINT);
    int st = 0;
    waitpid(pid, &st, 0);
    CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 130);
    char *t = slurp(log1);
    unsigned long done = 0, total = 0;
    const char *p = t ? strstr(t, "interrupted at ") : NULL;
    CHECK(p != NULL && sscanf(p, "interrupted at %lu/%lu bytes", &done, &total) == 2);
    CHECK(done > 0 && done < total);
    CHECK(p != NULL && strstr(p, "bytes; run the same command again to resume") != NULL);
    free(t);
    /* the resumed run: says where it resumes, and its first progress line has a real speed */
    CHECK_EQ_INT(run("update %s --conn %s", img_mid, c), 0);
    CHECK(has("resuming at "));
    t = slurp(out);
    p = t ? strstr(t, "update: upload   ...  ") : NULL;
    double kbps = 0, eta = -1;
    CHECK(p != NULL && sscanf(strstr(p, "bytes, ") ? strstr(p, "bytes, ") : "",
                              "bytes, %lf kB/s, ETA %lf s", &kbps, &eta) == 2);
    CHECK(kbps > 0.5);
    CHECK(eta >= 1);
    CHECK(lacks("0.0 kB/s, ETA 0 s"));
    free(t);
    CHECK_EQ_INT(sim_stop(&s), 0);
}

int main(void)
{
    signal(SIGPIPE, SIG_IGN);
    dir = tu_tmpdir();
    CHECK(dir != NULL);
    if (dir == NULL) {
        return dfu_test_finish("test_client_trial");
    }
    printf("dfukit under test: %s\n", tu_dfukit_bin());
    fflush(stdout); /* before any fork */
    snprintf(out, sizeof(out), "%s/out.txt", dir);
    int ok = 0;
    ok |= tu_make_image(dir, "open", "1.0.0", 20000, 1, "--sim-app name=open-fw,confirm=boot",
                        img_open, sizeof(img_open));
    ok |= tu_make_image(dir, "pk", "2.0.0", 24000, 2,
                        "--sim-app name=passkey-fw,security=3,passkey=123456,confirm=never", img_pk,
                        sizeof(img_pk));
    ok |= tu_make_image(dir, "crash", "3.0.0", 20000, 3, "--sim-app healthy=no", img_crash,
                        sizeof(img_crash));
    ok |= tu_make_image(dir, "big", "4.0.0", 150000, 4, "", img_big, sizeof(img_big));
    ok |= tu_make_image(dir, "small", "5.0.0", 20000, 5, "", img_small, sizeof(img_small));
    ok |= tu_make_image(dir, "mid", "6.0.0", 40000, 6, "", img_mid, sizeof(img_mid));
    ok |= tu_make_image(dir, "toobig", "7.0.0", 200000, 7, "-S 0x80000", img_toobig,
                        sizeof(img_toobig));
    snprintf(hex_v21, sizeof(hex_v21), "%s/v21.hex", dir);
    ok |= run("image sign -H 0x200 --pad-header -S 0x32000 --align 4 -v 2.1.0 -x 0xc000 "
              "%s/small.raw %s",
              dir, hex_v21);
    CHECK_EQ_INT(ok, 0);
    tu_image_hash(img_small, hash_small);
    tu_image_hash(img_big, hash_big);
    help_pages();
    link_messages();
    udp_addresses();
    sim_install_hex();
    udp_device();
    refused_image();
    pairing_firmware();
    interrupted_update();
    if (dfu_test_fail_count == 0) {
        tu_rmtree(dir); /* kept on failure for inspection */
    }
    return dfu_test_finish("test_client_trial");
}
