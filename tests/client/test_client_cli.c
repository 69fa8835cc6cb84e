/*
 * End-to-end: the dfukit CLI (child process) against the in-process simulated device.
 *  - every command with --json gives valid JSON with stable keys (jq -e), failures exit non-zero;
 *  - `update` in every mode over UDP, pty serial and the modelled BLE link;
 *  - an `update` killed at random points and run again completes;
 *  - an `update` interrupted by a device power cut completes when run again.
 */
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "client_testutil.h"
#include "dfu_client.h"
#include "dfu_client_loopdev.h"
#include "dfu_test.h"

static const char *dir;
static char img_a[256], img_b[256], img_c[256], hash_a[65], hash_b[65];
static uint8_t *data_a;
static size_t len_a;

/* Reads the device state through the client library. */
static int read_state(const char *conn, dfu_client_state_t *st)
{
    static dfu_client_t c;
    dfu_client_cfg_t cfg = {.conn = conn, .timeout_ms = 2000, .retries = 2};
    int rc = dfu_client_open(&c, &cfg);
    if (rc == 0) {
        rc = dfu_client_state_read(&c, st);
    }
    dfu_client_close(&c);
    return rc;
}

static int slot_is(const dfu_client_state_t *st, int s, const char *hex, bool confirmed)
{
    char h[65];
    if (!st->slots[s].present) {
        return 0;
    }
    dfu_client_hex(st->slots[s].hash, st->slots[s].hash_len, h);
    return strcmp(h, hex) == 0 && st->slots[s].active && st->slots[s].confirmed == confirmed;
}

static int run(const char *fmt, const char *conn, const char *out)
{
    char args[2048];
    snprintf(args, sizeof(args), fmt, conn);
    return tu_dfukit(args, out);
}

static void check_json_commands(dfu_loopdev_t *d)
{
    char conn[256], out[300];
    dfu_loopdev_conn(d, conn, sizeof(conn));
    snprintf(out, sizeof(out), "%s/out.json", dir);
    static const struct {
        const char *args;
        const char *filter;
    } cmds[] = {
        {"echo hi --json --conn %s", ".ok and .echo == \"hi\""},
        {"params --json --conn %s", ".buf_size == 2475 and .buf_count == 4"},
        {"info --json --conn %s", ".output | length > 0"},
        {"bootloader --json --conn %s", ".bootloader == \"MCUboot\" and .mode == 3"},
        {"image list --json --conn %s", ".images[0].slot == 0 and .images[0].active and "
                                        "(.images[0].hash | length == 64) and .next_reset"},
        {"image slots --json --conn %s", ".slots[1].size == 204800"},
        {"doctor --json --conn %s", ".healthy and .params.buf_size == 2475 and "
                                    ".link.writes_allowed and (.problems | length == 0)"},
    };
    for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++) {
        int rc = run(cmds[i].args, conn, out);
        CHECK_EQ_INT(rc, 0);
        int jq = tu_jq(out, cmds[i].filter);
        if (jq >= 0 && jq != 1) {
            fprintf(stderr, "json check failed: %s\n", cmds[i].args);
        }
        CHECK(jq != 0);
    }
    /* failures: non-zero exit, JSON error with name/meaning/fix */
    CHECK_EQ_INT(run("image test 00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff "
                     "--json --conn %s",
                     conn, out),
                 1);
    CHECK(tu_jq(out, ".ok == false and .error.name == \"HASH_NOT_FOUND\" and "
                     "(.error.fix | length > 0)") != 0);
    CHECK_EQ_INT(run("image erase 0 --json --conn %s", conn, out), 1);
    CHECK(tu_jq(out, ".ok == false and (.error.meaning | length > 0)") != 0);
    CHECK_EQ_INT(run("echo --json --timeout 0.3 --retries 0 --conn udp:127.0.0.1:9%s", "", out), 4);
    CHECK(tu_jq(out, ".ok == false and .error.code < 0") != 0);
    CHECK_EQ_INT(run("image test nothex --conn %s", conn, NULL), 2);
    CHECK_EQ_INT(run("update --conn %s", conn, NULL), 2);
    CHECK_EQ_INT(run("echo --bogus --conn %s", conn, NULL), 2);
    CHECK_EQ_INT(run("update /nonexistent.bin --json --conn %s", conn, out), 1);
    CHECK(tu_jq(out, "select(.event == \"verdict\") | .ok == false") != 0);
}

/* One update run in `mode`, then checks the slot-0 outcome. */
static void update_mode(dfu_loopdev_t *d, const char *mode, const char *img, const char *hash,
                        bool confirmed_after)
{
    char conn[256], out[300], args[600];
    dfu_loopdev_conn(d, conn, sizeof(conn));
    snprintf(out, sizeof(out), "%s/update.ndjson", dir);
    snprintf(args, sizeof(args), "update %s --mode %s --json --conn %%s", img, mode);
    int rc = run(args, conn, out);
    CHECK_EQ_INT(rc, 0);
    CHECK(tu_jq(out, "select(.event == \"verdict\") | .ok") != 0);
    dfu_client_state_t st;
    CHECK_EQ_INT(read_state(conn, &st), 0);
    if (strcmp(mode, "upload-only") == 0) {
        char h[65];
        dfu_client_hex(st.slots[1].hash, st.slots[1].hash_len, h);
        CHECK(st.slots[1].present && strcmp(h, hash) == 0 && !st.slots[1].pending);
    } else {
        CHECK(slot_is(&st, 0, hash, confirmed_after));
    }
    if (rc != 0) {
        fprintf(stderr, "update %s failed on %s\n", mode, conn);
    }
}

static void all_modes(int kind, const char *path)
{
    dfu_loopdev_t *d = calloc(1, sizeof(*d));
    CHECK_EQ_INT(dfu_loopdev_init(d, data_a, len_a), 0);
    CHECK_EQ_INT(dfu_loopdev_start(d, kind, path), 0);
    if (kind == DFU_LINK_UDP) {
        check_json_commands(d);
    }
    update_mode(d, "test-confirm", img_b, hash_b, true);
    update_mode(d, "confirm-only", img_a, hash_a, true);
    update_mode(d, "test-only", img_b, hash_b, false);
    /* running B unconfirmed: confirm it by running test-confirm again (resume path) */
    update_mode(d, "test-confirm", img_b, hash_b, true);
    update_mode(d, "upload-only", img_a, hash_a, true);
    dfu_loopdev_stop(d);
    dfu_loopdev_free(d);
    free(d);
}

/* Kills `dfukit update` at random points; re-runs until done. */
static void killed_client(void)
{
    dfu_loopdev_t *d = calloc(1, sizeof(*d));
    CHECK_EQ_INT(dfu_loopdev_init(d, data_a, len_a), 0);
    d->model.kind = DFU_LINKMODEL_SERIAL; /* slow link: the upload lasts long enough to kill */
    d->model.serial.baud = 115200;        /* ~8 kB/s: a 60 kB upload lasts ~7 s */
    CHECK_EQ_INT(dfu_loopdev_start(d, DFU_LINK_UDP, NULL), 0);
    char conn[256], cmd[1024];
    dfu_loopdev_conn(d, conn, sizeof(conn));
    srand(7);
    int kills = 0;
    for (int i = 0; i < 3; i++) {
        pid_t pid = fork();
        if (pid == 0) {
            snprintf(cmd, sizeof(cmd), "%s/dfukit", DFU_BUILD_DIR);
            int fd = open("/dev/null", 1);
            dup2(fd, 1);
            execl(cmd, cmd, "update", img_c, "--conn", conn, (char *)NULL);
            _exit(127);
        }
        usleep((useconds_t)(200000 + rand() % 2500000));
        if (kill(pid, SIGKILL) == 0) {
            kills++;
        }
        waitpid(pid, NULL, 0);
    }
    char hash_c[65];
    tu_image_hash(img_c, hash_c);
    char args[600], out[300];
    snprintf(out, sizeof(out), "%s/resume.ndjson", dir);
    snprintf(args, sizeof(args), "update %s --json --conn %%s", img_c);
    CHECK_EQ_INT(run(args, conn, out), 0);
    /* the final run continued: the device resumed the upload or later steps were skipped */
    CHECK(tu_jq(out, "select(.event == \"verdict\") | .ok") != 0);
    dfu_client_state_t st;
    CHECK_EQ_INT(read_state(conn, &st), 0);
    CHECK(slot_is(&st, 0, hash_c, true));
    printf("killed-client: %d kills, then completed\n", kills);
    dfu_loopdev_stop(d);
    dfu_loopdev_free(d);
    free(d);
}

/* A device power cut in the middle of the upload; running update again completes. */
static void power_cut(void)
{
    dfu_loopdev_t *d = calloc(1, sizeof(*d));
    CHECK_EQ_INT(dfu_loopdev_init(d, data_a, len_a), 0);
    CHECK_EQ_INT(dfu_loopdev_start(d, DFU_LINK_UDP, NULL), 0);
    char conn[256], args[600], out[300];
    dfu_loopdev_conn(d, conn, sizeof(conn));
    snprintf(out, sizeof(out), "%s/cut.ndjson", dir);
    d->cut_after = 9; /* 9 flash ops into the upload */
    snprintf(args, sizeof(args), "update %s --json --timeout 1 --conn %%s", img_b);
    int rc1 = run(args, conn, out);
    CHECK(d->power_cuts == 1);
    int rc2 = run(args, conn, out);
    CHECK_EQ_INT(rc2, 0);
    dfu_client_state_t st;
    CHECK_EQ_INT(read_state(conn, &st), 0);
    CHECK(slot_is(&st, 0, hash_b, true));
    printf("power-cut: first run exit %d, second run exit %d\n", rc1, rc2);
    dfu_loopdev_stop(d);
    dfu_loopdev_free(d);
    free(d);
}

/* Pre-flight checks of `update`: not an image, too large for the slot, downgrade refused by the
 * device, already running. */
static void preflight(void)
{
    dfu_loopdev_t *d = calloc(1, sizeof(*d));
    CHECK_EQ_INT(dfu_loopdev_init(d, NULL, 0), 0);
    size_t lb = 0;
    uint8_t *b = tu_read(img_b, &lb);
    CHECK_EQ_INT(dfu_flash_write(&d->primary, 0, b, (lb + 3) & ~(size_t)3), 0); /* runs 2.0.0 */
    free(b);
    d->no_downgrade = true;
    CHECK_EQ_INT(dfu_loopdev_start(d, DFU_LINK_UDP, NULL), 0);
    char conn[256], out[300], big[256], junk[300], args[700];
    dfu_loopdev_conn(d, conn, sizeof(conn));
    snprintf(out, sizeof(out), "%s/pre.ndjson", dir);
    CHECK_EQ_INT(tu_make_image(dir, "big", "9.0.0", 210000, 9, "-S 0x80000", big, sizeof(big)), 0);
    snprintf(junk, sizeof(junk), "%s/junk.bin", dir);
    FILE *f = fopen(junk, "wb");
    fputs("this is not an MCUboot image, just text long enough for a header", f);
    fclose(f);
    const struct {
        const char *file;
        const char *filter;
    } cases[] = {
        {junk, "select(.event == \"verdict\") | .ok == false and .step == \"file\" and "
               "(.summary | test(\"not an MCUboot image\"))"},
        {big, "select(.event == \"verdict\") | .ok == false and .step == \"check\" and "
              "(.summary | test(\"does not fit\"))"},
        {img_a, "select(.event == \"verdict\") | .ok == false and .step == \"check\" and "
                "(.summary | test(\"refuses downgrades\"))"},
        {img_b, "select(.event == \"verdict\") | .ok and .step == \"done\""},
    };
    for (int i = 0; i < 4; i++) {
        snprintf(args, sizeof(args), "update %s --json --conn %%s", cases[i].file);
        CHECK_EQ_INT(run(args, conn, out), i < 3 ? 1 : 0);
        CHECK(tu_jq(out, cases[i].filter) != 0);
    }
    /* a device that accepts the reset but never resets: clear verdict, then resumable */
    d->ignore_reset = true;
    snprintf(args, sizeof(args), "update %s --json --conn %%s", img_c);
    CHECK_EQ_INT(run(args, conn, out), 1);
    CHECK(tu_jq(out, "select(.event == \"verdict\") | .ok == false and .step == \"wait\" and "
                     "(.summary | test(\"did not reset\"))") != 0);
    d->ignore_reset = false;
    CHECK_EQ_INT(run(args, conn, out), 0);
    CHECK(tu_jq_all(out, "map(select(.step == \"plan\"))[0].message | "
                         "test(\"starting at .reset.\")") != 0);
    dfu_loopdev_stop(d);
    dfu_loopdev_free(d);
    free(d);
}

/* Upload over a lossy link (device drops 3% of its answers, garbles one): re-sync from the
 * device's offset and timeouts still deliver a matching image. */
static void lossy_upload(void)
{
    dfu_loopdev_t *d = calloc(1, sizeof(*d));
    CHECK_EQ_INT(dfu_loopdev_init(d, data_a, len_a), 0);
    d->faults.loss_permille = 30;
    d->faults.seed = 5;
    d->faults.drop_rx_nth = 4;   /* a request lost: the next ones get a mismatching offset */
    d->faults.garble_tx_nth = 6; /* a garbled answer */
    CHECK_EQ_INT(dfu_loopdev_start(d, DFU_LINK_UDP, NULL), 0);
    char conn[256];
    dfu_loopdev_conn(d, conn, sizeof(conn));
    static dfu_client_t c;
    dfu_client_cfg_t cfg = {.conn = conn, .timeout_ms = 300, .retries = 5};
    CHECK_EQ_INT(dfu_client_open(&c, &cfg), 0);
    size_t len = 0;
    uint8_t *img = tu_read(img_c, &len);
    dfu_client_upload_cfg_t uc = {.window = 4};
    dfu_client_upload_stats_t st;
    int rc = dfu_client_upload(&c, img, len, &uc, &st);
    CHECK_EQ_INT(rc, 0);
    CHECK(st.match_reported && st.match);
    CHECK(st.resyncs + st.timeouts > 0);
    printf("lossy upload: %u requests, %u resyncs, %u timeouts\n", st.requests, st.resyncs,
           st.timeouts);
    dfu_client_state_t s;
    CHECK_EQ_INT(dfu_client_state_read(&c, &s), 0);
    char h[65], want[65];
    dfu_client_hex(s.slots[1].hash, s.slots[1].hash_len, h);
    tu_image_hash(img_c, want);
    CHECK(s.slots[1].present && strcmp(h, want) == 0);
    dfu_client_close(&c);
    free(img);
    dfu_loopdev_stop(d);
    dfu_loopdev_free(d);
    free(d);
}

int main(void)
{
    signal(SIGPIPE, SIG_IGN);
    dir = tu_tmpdir();
    CHECK(dir != NULL);
    CHECK_EQ_INT(tu_make_image(dir, "a", "1.0.0", 20000, 1, "", img_a, sizeof(img_a)), 0);
    CHECK_EQ_INT(tu_make_image(dir, "b", "2.0.0", 24000, 2, "", img_b, sizeof(img_b)), 0);
    CHECK_EQ_INT(tu_make_image(dir, "c", "3.0.0", 60000, 3, "", img_c, sizeof(img_c)), 0);
    tu_image_hash(img_a, hash_a);
    tu_image_hash(img_b, hash_b);
    data_a = tu_read(img_a, &len_a);
    CHECK(data_a != NULL);
    if (data_a == NULL) {
        return dfu_test_finish("test_client_cli");
    }
    char path[300];
    all_modes(DFU_LINK_UDP, NULL);
    snprintf(path, sizeof(path), "%s/pty", dir);
    all_modes(DFU_LINK_SERIAL, path);
    snprintf(path, sizeof(path), "%s/ble.sock", dir);
    all_modes(DFU_LINK_BLE, path);
    preflight();
    lossy_upload();
    killed_client();
    power_cut();
    free(data_a);
    if (dfu_test_fail_count == 0) {
        tu_rmtree(dir); /* kept on failure for inspection */
    }
    return dfu_test_finish("test_client_cli");
}
