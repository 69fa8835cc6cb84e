/*
 * The client on devices that do not report boot outcomes (issue 14, acceptance 3):
 *  - a tiny fake Mynewt device answers over UDP with the exact SMP bytes the real Mynewt server
 *    (apps/slinky, mynewt-mcumgr 0.5.0) sent in ../shared/vectors/smp-peers/server-slinky
 *    (read at run time, never copied): the reply captured for the same request, or for the
 *    same command, or Mynewt's answer to an unknown command (rc 8: it has no bootloader info),
 *    with only the sequence number / op / id of the header adapted to the request;
 *    `bootloader --last-boot` and `--log` print one line that the device does not report boot
 *    outcomes (exit 0, "supported": false), `doctor` starts with that line and still reads the
 *    slots, `image list` works;
 *  - dfukit's own server without a record (Zephyr's answer, rc 3): the same line; the library
 *    call returns DFU_ERR_NOTSUP and leaves c->err untouched; `update` of an image the
 *    bootloader refuses says so from the slot state (slot 1 empty) and that the device does not
 *    report why; `update` of an image that crashes at start says it was reverted from the slot
 *    state (slot 1 holds it again) and that the device does not report which cause
 *    (issue 15, finding 3, on a device without boot records).
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "client_testutil.h"
#include "dfu_client.h"
#include "dfu_client_loopdev.h"
#include "dfu_test.h"
#include "dfukit/dfu_link.h"
#include "dfukit/dfu_smp.h"

/* ---- fake Mynewt device: replays captured server bytes ------------------------------------ */

typedef struct {
    uint8_t *req, *rsp;
    size_t rql, rsl;
} pair_t;

typedef struct {
    pair_t pairs[600];
    size_t n;
    const pair_t *unknown; /* Mynewt's reply to an unknown command (OS id 99) */
    dfu_link_t link;
    pthread_t th;
    volatile int stop;
    int served, replies_unknown;
} fake_t;

/* Loads req/rsp pairs (matched by seq, group, id) from one capture file. */
static void load(fake_t *f, const char *name)
{
    char path[512];
    snprintf(path, sizeof(path), "%s/vectors/smp-peers/server-slinky/%s", DFU_SHARED_DIR, name);
    FILE *fp = fopen(path, "r");
    CHECK(fp != NULL);
    if (fp == NULL) {
        return;
    }
    static char line[1 << 16];
    static uint8_t reqs[64][2048];
    static size_t reql[64];
    size_t nreq = 0;
    while (fgets(line, sizeof(line), fp) && f->n < 600) {
        char *h = strstr(line, "\"hex\":\"");
        if (h == NULL || h[7] == '"') {
            continue;
        }
        char *end = strchr(h + 7, '"');
        *end = '\0';
        uint8_t b[2048];
        int nb = dfu_client_unhex(h + 7, b, sizeof(b));
        if (nb < 8) {
            continue;
        }
        size_t n = (size_t)nb;
        if (strstr(line, "\"dir\":\"req\"") != NULL) {
            memcpy(reqs[nreq % 64], b, n);
            reql[nreq % 64] = n;
            nreq++;
            continue;
        }
        for (size_t k = nreq; k > 0 && k + 64 > nreq; k--) { /* newest matching request */
            const uint8_t *q = reqs[(k - 1) % 64];
            if (q[4] == b[4] && q[5] == b[5] && q[6] == b[6] && q[7] == b[7]) {
                pair_t *p = &f->pairs[f->n++];
                p->req = malloc(reql[(k - 1) % 64]);
                p->rsp = malloc(n);
                memcpy(p->req, q, reql[(k - 1) % 64]);
                memcpy(p->rsp, b, n);
                p->rql = reql[(k - 1) % 64];
                p->rsl = n;
                if (q[4] == 0 && q[5] == 0 && q[7] == 99 && f->unknown == NULL) {
                    f->unknown = p;
                }
                break;
            }
        }
    }
    fclose(fp);
}

static const pair_t *answer_for(fake_t *f, const uint8_t *m, size_t n)
{
    const pair_t *same_cmd = NULL;
    for (size_t i = 0; i < f->n; i++) {
        const pair_t *p = &f->pairs[i];
        bool cmd = p->req[4] == m[4] && p->req[5] == m[5] && p->req[7] == m[7] &&
                   (p->req[0] & 7) == (m[0] & 7);
        if (cmd && p->rql == n && memcmp(p->req + 8, m + 8, n - 8) == 0) {
            return p; /* the same request was captured */
        }
        if (cmd && same_cmd == NULL) {
            same_cmd = p;
        }
    }
    if (same_cmd == NULL) {
        f->replies_unknown++;
    }
    return same_cmd != NULL ? same_cmd : f->unknown;
}

static void *fake_main(void *arg)
{
    fake_t *f = arg;
    uint8_t in[4096], out[4096];
    while (!f->stop) {
        int n = dfu_link_recv(&f->link, in, sizeof(in), 50);
        if (n < 8) {
            continue;
        }
        const pair_t *p = answer_for(f, in, (size_t)n);
        if (p == NULL || p->rsl > sizeof(out)) {
            continue;
        }
        memcpy(out, p->rsp, p->rsl);
        out[0] = (uint8_t)((out[0] & 0x18u) | (((in[0] & 7u) + 1u) & 7u)); /* v1 kept */
        out[4] = in[4];
        out[5] = in[5];
        out[6] = in[6]; /* seq */
        out[7] = in[7];
        (void)dfu_link_send(&f->link, out, p->rsl);
        f->served++;
    }
    return NULL;
}

static const char *dir;
static char out[300];

static char *read_out(void)
{
    size_t n = 0;
    char *t = (char *)tu_read(out, &n);
    if (t == NULL) {
        return calloc(1, 1);
    }
    t[n] = '\0';
    return t;
}

static int out_is(const char *want)
{
    char *t = read_out();
    int ok = strcmp(t, want) == 0;
    if (!ok) {
        fprintf(stderr, "--- expected exactly:\n%s--- got:\n%s---\n", want, t);
    }
    free(t);
    return ok;
}

static int out_has(const char *needle)
{
    char *t = read_out();
    int ok = strstr(t, needle) != NULL;
    if (!ok) {
        fprintf(stderr, "--- expected '%s' in:\n%s---\n", needle, t);
    }
    free(t);
    return ok;
}

static int out_lacks(const char *needle)
{
    char *t = read_out();
    int ok = strstr(t, needle) == NULL;
    if (!ok) {
        fprintf(stderr, "--- did not expect '%s' in:\n%s---\n", needle, t);
    }
    free(t);
    return ok;
}

static int run(const char *fmt, const char *conn)
{
    char args[1200];
    snprintf(args, sizeof(args), fmt, conn);
    char full[1400];
    snprintf(full, sizeof(full), "%s 2>&1", args); /* stderr lines are part of what users see */
    return tu_dfukit(full, out);
}

#define NO_REC_LINE "the device does not report boot outcomes"

static void mynewt(void)
{
    static fake_t f;
    memset(&f, 0, sizeof(f));
    load(&f, "go-mcumgr.serial.jsonl");
    load(&f, "handcrafted.serial.jsonl");
    load(&f, "smpclient.serial.jsonl");
    CHECK(f.n > 100);
    CHECK(f.unknown != NULL);
    if (f.unknown == NULL) {
        return;
    }
    /* Mynewt answers unknown commands with {"rc": 8} in a v1 header */
    CHECK_EQ_INT(f.unknown->rsl, 14);
    CHECK(memcmp(f.unknown->rsp + 8, "\xbf\x62rc\x08\xff", 6) == 0);
    CHECK_EQ_INT(dfu_link_udp_server_open(&f.link, "127.0.0.1", 0, 0), 0);
    CHECK_EQ_INT(pthread_create(&f.th, NULL, fake_main, &f), 0);
    char conn[64];
    snprintf(conn, sizeof(conn), "udp:127.0.0.1:%u", dfu_link_udp_port(&f.link));
    CHECK_EQ_INT(run("bootloader --last-boot --conn %s", conn), 0);
    CHECK(out_is("bootloader: " DFU_CLIENT_NO_BOOTREC "\n"));
    CHECK_EQ_INT(run("bootloader --log --conn %s", conn), 0);
    CHECK(out_is("bootloader: " DFU_CLIENT_NO_BOOTREC "\n"));
    CHECK_EQ_INT(run("bootloader --last-boot --log --json --conn %s", conn), 0);
    CHECK_EQ_INT(tu_jq(out,
                       ".ok and (.supported == false) and (.message | startswith(\"" NO_REC_LINE
                       "\"))"),
                 1);
    /* doctor: that line first, then everything else as usual */
    int drc = run("doctor --conn %s", conn);
    CHECK(drc == 0 || drc == 1);
    char *t = read_out();
    CHECK(strncmp(t, "doctor: " DFU_CLIENT_NO_BOOTREC "\n", strlen(DFU_CLIENT_NO_BOOTREC) + 9) ==
          0);
    CHECK(strstr(t, "doctor: slot 0: version 1.2.3.4") != NULL);
    CHECK(strstr(t, "doctor: verdict:") != NULL);
    if (strstr(t, "doctor: slot 0: version 1.2.3.4") == NULL || getenv("DFU_TEST_VERBOSE")) {
        fprintf(stderr, "doctor against the Mynewt replay:\n%s", t);
    }
    free(t);
    CHECK_EQ_INT(run("doctor --json --conn %s", conn), drc);
    CHECK_EQ_INT(tu_jq(out,
                       "(.last_boot == null) and (.last_boot_summary | startswith(\"" NO_REC_LINE
                       "\")) and .images[0].version == \"1.2.3.4\""),
                 1);
    CHECK_EQ_INT(run("image list --conn %s", conn), 0);
    CHECK(out_has("1.2.3.4"));
    CHECK(f.replies_unknown > 0); /* last_boot got Mynewt's unknown-command answer */
    printf("mynewt replay: %zu captured pairs, %d requests served\n", f.n, f.served);
    f.stop = 1;
    pthread_join(f.th, NULL);
    dfu_link_close(&f.link);
    for (size_t i = 0; i < f.n; i++) {
        free(f.pairs[i].req);
        free(f.pairs[i].rsp);
    }
}

/* Firmware 3.x crashes at start (before it could confirm itself), every other one runs. */
static void crash_v3(const dfu_boot_image_info_t *img, dfu_loopdev_fw_t *fw)
{
    fw->crash = img->ver_major == 3;
}

static void zephyr_like(void)
{
    char a[300], bad[300], crash[300];
    CHECK_EQ_INT(tu_make_image(dir, "a", "1.0.0", 12000, 5, "", a, sizeof(a)), 0);
    CHECK_EQ_INT(tu_make_image(dir, "bad", "2.0.0", 12000, 6, "", bad, sizeof(bad)), 0);
    CHECK_EQ_INT(tu_make_image(dir, "crash", "3.0.0", 12000, 7, "", crash, sizeof(crash)), 0);
    size_t la = 0, lb = 0;
    uint8_t *da = tu_read(a, &la);
    uint8_t *db = tu_read(bad, &lb);
    CHECK(da != NULL && db != NULL);
    if (da == NULL || db == NULL) {
        free(da);
        free(db);
        return;
    }
    /* flip a payload byte: the hash TLV no longer matches, the bootloader refuses it */
    db[lb / 2] ^= 0x55;
    FILE *fp = fopen(bad, "wb");
    CHECK(fp != NULL && fwrite(db, 1, lb, fp) == lb);
    if (fp != NULL) {
        fclose(fp);
    }
    dfu_loopdev_t *d = calloc(1, sizeof(*d));
    CHECK_EQ_INT(dfu_loopdev_init(d, da, la), 0);
    d->profile = crash_v3;
    CHECK_EQ_INT(dfu_loopdev_start(d, DFU_LINK_UDP, NULL), 0);
    char conn[256];
    dfu_loopdev_conn(d, conn, sizeof(conn));
    /* the library: NOTSUP, the previous error kept */
    static dfu_client_t c;
    dfu_client_cfg_t cfg = {.conn = conn, .timeout_ms = 2000};
    CHECK_EQ_INT(dfu_client_open(&c, &cfg), 0);
    c.err.code = DFU_ERR_TIMEOUT;
    snprintf(c.err.what, sizeof(c.err.what), "earlier");
    dfu_client_bootrec_t r;
    CHECK_EQ_INT(dfu_client_last_boot(&c, &r), DFU_ERR_NOTSUP);
    CHECK_EQ_INT(c.err.code, DFU_ERR_TIMEOUT);
    CHECK(strcmp(c.err.what, "earlier") == 0);
    size_t n = 9;
    uint32_t total = 9;
    dfu_client_bootrec_t log[4];
    CHECK_EQ_INT(dfu_client_boot_log(&c, log, 4, &n, &total), DFU_ERR_NOTSUP);
    CHECK_EQ_INT(n, 0);
    dfu_client_close(&c);
    CHECK_EQ_INT(run("bootloader --last-boot --conn %s", conn), 0);
    CHECK(out_is("bootloader: " DFU_CLIENT_NO_BOOTREC "\n"));
    int drc = run("doctor --conn %s", conn);
    CHECK_EQ_INT(drc, 0);
    CHECK(out_has("doctor: " DFU_CLIENT_NO_BOOTREC "\ndoctor: link "));
    /* update: refused by the bootloader; the verify step says so from the slot state (slot 1
     * erased) and that the reason is not reported */
    char args[700];
    snprintf(args, sizeof(args), "update %s --conn %%s", bad);
    CHECK_EQ_INT(run(args, conn), 1);
    CHECK(out_has("after the reset the device runs 1.0.0, not the new image 2.0.0: MCUboot "
                  "refused it: slot 1 is empty (MCUboot erases an image that fails validation); "
                  "the device does not report boot outcomes, so why is not known"));
    CHECK(out_lacks("reverted"));
    /* update: a firmware that crashes at start is reverted; the slot state says so (slot 1
     * holds it again), not a refusal, and which cause is not known without a record */
    snprintf(args, sizeof(args), "update %s --conn %%s", crash);
    CHECK_EQ_INT(run(args, conn), 1);
    CHECK(out_has("after the reset the device runs 1.0.0, not the new image 3.0.0: it was "
                  "reverted: slot 1 holds 3.0.0, so MCUboot swapped it in and back out: it did "
                  "not confirm itself before the next reset (it crashed at boot, or was reset); "
                  "the device does not report boot outcomes, so which of those is not known"));
    CHECK(out_has("make the new firmware boot and run"));
    CHECK(out_lacks("refused") && out_lacks("signed with the key"));
    CHECK(d->resets >= 1);
    /* --json: the verdict says "reverted" and that there is no record (last_boot null) */
    snprintf(args, sizeof(args), "update %s --json --conn %%s", crash);
    CHECK_EQ_INT(run(args, conn), 1);
    CHECK_EQ_INT(tu_jq(out, "select(.event == \"verdict\") | .outcome == \"reverted\" and "
                            "has(\"last_boot\") and .last_boot == null"),
                 1);
    CHECK_EQ_INT(run("image list --json --conn %s", conn), 0);
    CHECK_EQ_INT(tu_jq(out, ".images[0].version == \"1.0.0\" and .images[0].confirmed and "
                            ".images[1].version == \"3.0.0\""),
                 1);
    dfu_loopdev_stop(d);
    dfu_loopdev_free(d);
    free(d);
    free(da);
    free(db);
}

/* ---- a device answering every request with one fixed payload ------------------------------ */

typedef struct {
    dfu_link_t link;
    pthread_t th;
    volatile int stop;
    const uint8_t *payload;
    size_t len;
} fixed_t;

static void *fixed_main(void *arg)
{
    fixed_t *f = arg;
    uint8_t in[4096], rsp[64];
    while (!f->stop) {
        int n = dfu_link_recv(&f->link, in, sizeof(in), 50);
        if (n < 8 || f->len > sizeof(rsp) - 8) {
            continue;
        }
        memcpy(rsp, in, 8);
        rsp[0] = (uint8_t)((in[0] & 0x18u) | (((in[0] & 7u) + 1u) & 7u)); /* read rsp, same ver */
        rsp[2] = (uint8_t)(f->len >> 8);
        rsp[3] = (uint8_t)f->len;
        memcpy(rsp + 8, f->payload, f->len);
        (void)dfu_link_send(&f->link, rsp, 8 + f->len);
    }
    return NULL;
}

/* dfu_client_last_boot against a device whose every answer is `payload`. */
static int last_boot_with(const char *payload, size_t len, dfu_client_err_t *err)
{
    static fixed_t f;
    memset(&f, 0, sizeof(f));
    f.payload = (const uint8_t *)payload;
    f.len = len;
    CHECK_EQ_INT(dfu_link_udp_server_open(&f.link, "127.0.0.1", 0, 0), 0);
    CHECK_EQ_INT(pthread_create(&f.th, NULL, fixed_main, &f), 0);
    char conn[64];
    snprintf(conn, sizeof(conn), "udp:127.0.0.1:%u", dfu_link_udp_port(&f.link));
    static dfu_client_t c;
    dfu_client_cfg_t cfg = {.conn = conn, .timeout_ms = 1000};
    int rc = dfu_client_open(&c, &cfg);
    CHECK_EQ_INT(rc, 0);
    dfu_client_bootrec_t r;
    rc = rc == 0 ? dfu_client_last_boot(&c, &r) : rc;
    *err = c.err;
    dfu_client_close(&c);
    f.stop = 1;
    pthread_join(f.th, NULL);
    dfu_link_close(&f.link);
    return rc;
}

/* The answers that mean "unknown bootloader query": Zephyr's plain {"rc": 3}; the documented
 * {"err": {"group": 0, "rc": 3}} (OS QUERY_YIELDS_NO_ANSWER) and its SMP v1 translation
 * {"rc": 5} (ENOENT, Zephyr's os_mgmt_translate_error_code); Mynewt's {"rc": 8}. Any other
 * device error stays an error. */
static void unknown_query_answers(void)
{
    dfu_client_err_t e;
    CHECK_EQ_INT(last_boot_with("\xa1\x62rc\x03", 5, &e), DFU_ERR_NOTSUP);
    CHECK_EQ_INT(last_boot_with("\xa1\x62rc\x05", 5, &e), DFU_ERR_NOTSUP);
    CHECK_EQ_INT(last_boot_with("\xa1\x62rc\x08", 5, &e), DFU_ERR_NOTSUP);
    CHECK_EQ_INT(last_boot_with("\xa1\x63"
                                "err\xa2\x65group\x00\x62rc\x03",
                                17, &e),
                 DFU_ERR_NOTSUP);
    CHECK_EQ_INT(last_boot_with("\xa1\x62rc\x06", 5, &e), DFU_ERR_DEVICE); /* EBADSTATE */
    CHECK_EQ_INT(e.rc, 6);
    CHECK_EQ_INT(last_boot_with("\xa1\x63"
                                "err\xa2\x65group\x01\x62rc\x03",
                                17, &e),
                 DFU_ERR_DEVICE); /* image group 3: not the OS group's "no answer" */
}

int main(void)
{
    dir = tu_tmpdir();
    CHECK(dir != NULL);
    snprintf(out, sizeof(out), "%s/out.txt", dir);
    if (tu_jq("/dev/null", ".") < 0) {
        printf("note: jq not installed; test_client_bootrec not run\n");
        return dfu_test_finish("test_client_bootrec");
    }
    if (dfu_test_have_shared("Mynewt server replay")) {
        mynewt();
    }
    zephyr_like();
    unknown_query_answers();
    if (dfu_test_fail_count == 0) {
        tu_rmtree(dir);
    }
    return dfu_test_finish("test_client_bootrec");
}
