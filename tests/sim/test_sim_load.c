/*
 * Several clients at one device (issue 13): K = 8 clients talk at once to one `dfukit sim` over
 * UDP (BLE 2M timing model on the device end, so uploads overlap): 4 uploads of different images,
 * 2 image-state readers and 2 echo clients, each its own UDP socket, for a bounded time.
 *  - every answer reaches the client that asked: the state and echo clients check each answer's
 *    sequence number, group, command and (echo) text against their own request; none may be
 *    missing or foreign;
 *  - exactly one upload owns slot 1 at a time: uploader k+1 starts when uploader k has 20 kB
 *    acknowledged, so each new first chunk restarts the session (Zephyr's rule); uploaders 0..2
 *    stop with UPLOAD_TAKEN_OVER and its message, uploader 3 succeeds with match;
 *  - slot 1 then holds exactly the winner's image: its hash in the image state, and the SHA-256
 *    of the flash file's slot 1 bytes equals the winner file's;
 *  - the device still answers, and stops cleanly (no crash; also under ASan).
 * Plus the CLI contract: `dfukit image upload` and `dfukit update` taken over by another client's
 * first chunk exit 1 with "another client restarted the upload at offset 0; the device now holds
 * its image" (update: a FAILED verdict, nothing marked, no reset).
 */
#include <cbor.h>
#include <mbedtls/sha256.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "client/dfu_client.h"
#include "dfu_test.h"
#include "dfukit/dfu_err.h"
#include "dfukit/dfu_smp.h"
#include "sim_harness.h"

#define MODEL "ble,phy=2m,dle=251,ci=7.5,mtu=247"
#define UPLOADERS 4
#define READERS 4 /* 2 state + 2 echo */
#define HANDOVER 20000u
#define DEADLINE_S 45
#define SLOT1_OFF 0x3E000u /* nrf52832 secondary slot */
#define TAKEN_LINE "another client restarted the upload at offset 0; the device now holds its image"

static char dir[128];
static uint16_t port;
static atomic_int stop_readers;

typedef struct {
    int idx;
    char path[300];
    uint8_t *img;
    size_t len;
    atomic_ullong acked;
    atomic_int started, finished;
    int rc;
    bool match;
    char msg[512];
} uploader_t;

static uploader_t ups[UPLOADERS];

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void on_progress(void *ctx, const dfu_client_progress_t *p)
{
    uploader_t *u = ctx;
    atomic_store(&u->acked, p->done);
}

static void *upload_main(void *arg)
{
    uploader_t *u = arg;
    /* the previous uploader must be well into its session: our first chunk restarts it */
    while (u->idx > 0 && atomic_load(&ups[u->idx - 1].acked) < HANDOVER &&
           !atomic_load(&ups[u->idx - 1].finished)) {
        usleep(2000);
    }
    atomic_store(&u->started, 1);
    dfu_client_t *c = calloc(1, sizeof(*c));
    char conn[64];
    snprintf(conn, sizeof(conn), "udp:127.0.0.1:%u", port);
    dfu_client_cfg_t cfg = {.conn = conn, .timeout_ms = 5000, .retries = 2};
    u->rc = c != NULL ? dfu_client_open(c, &cfg) : DFU_ERR_NOMEM;
    if (u->rc == DFU_OK) {
        dfu_client_upload_cfg_t uc = {.progress = on_progress, .progress_ctx = u};
        dfu_client_upload_stats_t st;
        u->rc = dfu_client_upload(c, u->img, u->len, &uc, &st);
        u->match = st.match_reported && st.match;
        if (u->rc != DFU_OK) {
            dfu_client_err_format(&c->err, u->msg, sizeof(u->msg));
        }
        dfu_client_close(c);
    }
    free(c);
    atomic_store(&u->finished, 1);
    return NULL;
}

/* ---- strict request/answer clients ----------------------------------------------------------- */

typedef struct {
    int id;
    bool echo; /* else image state read */
    unsigned sent, ok, foreign, timeouts;
} reader_t;

/* Sends one request and takes the next message on this client's socket: it must be the answer to
 * exactly this request (sequence, group, command, and for echo the text). */
static void one_request(reader_t *r, dfu_link_t *l, uint8_t seq)
{
    char text[48];
    snprintf(text, sizeof(text), "client %d request %u", r->id, r->sent);
    uint8_t msg[128];
    size_t plen = 1;
    msg[8] = 0xa0; /* {} */
    if (r->echo) {
        cbor_item_t *m = cbor_new_definite_map(1);
        (void)cbor_map_add(m, (struct cbor_pair){.key = cbor_move(cbor_build_string("d")),
                                                 .value = cbor_move(cbor_build_string(text))});
        plen = cbor_serialize(m, msg + 8, sizeof(msg) - 8);
        cbor_decref(&m);
    }
    dfu_smp_hdr_t h = {.op = r->echo ? DFU_SMP_OP_WRITE : DFU_SMP_OP_READ,
                       .version = DFU_SMP_VER2,
                       .len = (uint16_t)plen,
                       .group = r->echo ? DFU_SMP_GROUP_OS : DFU_SMP_GROUP_IMAGE,
                       .seq = seq,
                       .id = 0};
    dfu_smp_hdr_encode(&h, msg);
    r->sent++;
    if (dfu_link_send(l, msg, 8 + plen) != DFU_OK) {
        r->timeouts++;
        return;
    }
    static _Thread_local uint8_t in[4096];
    int n = dfu_link_recv(l, in, sizeof(in), 5000);
    if (n < 0) {
        r->timeouts++;
        return;
    }
    dfu_smp_hdr_t rh;
    struct cbor_load_result res;
    cbor_item_t *map = NULL;
    bool good = n >= 8 && dfu_smp_hdr_decode(in, (size_t)n, &rh) == DFU_OK && rh.seq == seq &&
                rh.group == h.group && rh.id == 0 && rh.op == h.op + 1u &&
                (map = cbor_load(in + 8, (size_t)n - 8, &res)) != NULL;
    if (good && r->echo) {
        cbor_item_t *v = smp_get(map, "r");
        good = v != NULL && cbor_isa_string(v) && cbor_string_length(v) == strlen(text) &&
               memcmp(cbor_string_handle(v), text, strlen(text)) == 0;
    } else if (good) {
        cbor_item_t *v = smp_get(map, "images");
        good = v != NULL && cbor_isa_array(v);
    }
    if (map != NULL) {
        cbor_decref(&map);
    }
    if (good) {
        r->ok++;
    } else {
        r->foreign++;
    }
}

static void *reader_main(void *arg)
{
    reader_t *r = arg;
    dfu_link_t l;
    if (dfu_link_udp_client_open(&l, "127.0.0.1", port, 0) != DFU_OK) {
        r->timeouts++;
        return NULL;
    }
    uint8_t seq = (uint8_t)(r->id * 37);
    while (!atomic_load(&stop_readers)) {
        one_request(r, &l, seq++);
        usleep(5000);
    }
    dfu_link_close(&l);
    return NULL;
}

/* ---- K = 8 clients -----------------------------------------------------------------------------
 */

static void load_test(const char *base)
{
    char flash[300];
    snprintf(flash, sizeof(flash), "%s/load.bin", dir);
    const char *args[] = {"--install", base, "--udp", "127.0.0.1:0", "--link", MODEL, NULL};
    simproc_t p;
    CHECK_EQ_INT(h_spawn(&p, dir, "load", flash, 1, args), 0);
    port = p.udp_port;
    for (int i = 0; i < UPLOADERS; i++) {
        uploader_t *u = &ups[i];
        u->idx = i;
        snprintf(u->path, sizeof(u->path), "%s/up%d.img", dir, i);
        char ver[16];
        snprintf(ver, sizeof(ver), "3.0.%d", i);
        CHECK_EQ_INT(h_make_image(u->path, ver, NULL, 100 * 1024 + (size_t)i * 3000, 50u + i), 0);
        u->img = h_read_file(u->path, &u->len);
        CHECK(u->img != NULL);
    }
    reader_t rd[READERS];
    pthread_t rt[READERS], ut[UPLOADERS];
    double t0 = now_s();
    for (int i = 0; i < READERS; i++) {
        rd[i] = (reader_t){.id = i + 1, .echo = i % 2 == 1};
        pthread_create(&rt[i], NULL, reader_main, &rd[i]);
    }
    for (int i = 0; i < UPLOADERS; i++) {
        pthread_create(&ut[i], NULL, upload_main, &ups[i]);
    }
    for (int i = 0; i < UPLOADERS; i++) {
        pthread_join(ut[i], NULL);
    }
    atomic_store(&stop_readers, 1);
    for (int i = 0; i < READERS; i++) {
        pthread_join(rt[i], NULL);
    }
    double took = now_s() - t0;
    printf("load: 8 clients for %.1f s\n", took);
    CHECK(took < DEADLINE_S);

    int wins = 0;
    for (int i = 0; i < UPLOADERS; i++) {
        printf("uploader %d (%zu bytes): %s%s\n", i, ups[i].len,
               ups[i].rc == 0 ? "ok" : dfu_strerror(ups[i].rc), ups[i].rc == 0 ? "" : "");
        if (ups[i].rc != 0) {
            printf("  %s\n", ups[i].msg);
        }
        wins += ups[i].rc == DFU_OK;
        if (i < UPLOADERS - 1) {
            CHECK_EQ_INT(ups[i].rc, DFU_ERR_UPLOAD_TAKEN_OVER);
            CHECK(strstr(ups[i].msg, TAKEN_LINE) != NULL);
        }
    }
    const uploader_t *w = &ups[UPLOADERS - 1];
    CHECK_EQ_INT(wins, 1);
    CHECK_EQ_INT(w->rc, DFU_OK);
    CHECK(w->match);
    for (int i = 0; i < READERS; i++) {
        printf("%s client %d: %u requests, %u answered correctly, %u foreign, %u missing\n",
               rd[i].echo ? "echo" : "state", rd[i].id, rd[i].sent, rd[i].ok, rd[i].foreign,
               rd[i].timeouts);
        CHECK(rd[i].sent >= 5);
        CHECK_EQ_INT(rd[i].foreign, 0);
        CHECK_EQ_INT(rd[i].timeouts, 0);
        CHECK_EQ_INT(rd[i].ok, rd[i].sent);
    }

    /* still responsive, and slot 1 lists the winner's image */
    dfu_link_t l;
    CHECK_EQ_INT(dfu_link_udp_client_open(&l, "127.0.0.1", port, 0), DFU_OK);
    CHECK_EQ_INT(smp_echo(&l, "still there", 3000), 0);
    smpstate_t st;
    uint8_t want[32];
    CHECK_EQ_INT(dfu_client_image_hash(w->img, w->len, want), DFU_OK);
    CHECK(smp_state(&l, &st, 3000) >= 2 && memcmp(st.hash[1], want, 32) == 0);
    dfu_link_close(&l);
    CHECK_EQ_INT(h_log_count(&p, "upload: session restarted at offset 0"), UPLOADERS - 1);
    CHECK_EQ_INT(h_log_count(&p, "upload: complete"), 1);
    CHECK_EQ_INT(h_stop(&p), 0);

    /* the flash itself: slot 1 holds exactly the winner's file */
    size_t flen = 0;
    uint8_t *f = h_read_file(flash, &flen);
    uint8_t got[32], file_sha[32];
    CHECK(f != NULL && flen >= SLOT1_OFF + w->len);
    if (f != NULL && flen >= SLOT1_OFF + w->len) {
        mbedtls_sha256_ret(f + SLOT1_OFF, w->len, got, 0);
        mbedtls_sha256_ret(w->img, w->len, file_sha, 0);
        CHECK_MEM(got, file_sha, 32);
    }
    free(f);
    for (int i = 0; i < UPLOADERS; i++) {
        free(ups[i].img);
    }
}

/* ---- the CLI contract
 * ---------------------------------------------------------------------------- */

/* `dfukit VERB A` (verb "image upload" or "update") taken over mid-upload by another client
 * uploading B: exit 1 with the takeover line, no success claimed; slot 1 holds B, not marked, and
 * the running image is unchanged (update neither marks nor resets). */
static void cli_takeover(const char *base, const char *verb, const char *tag)
{
    char flash[300], a[300], b[300], cmd[1024], out[300];
    snprintf(flash, sizeof(flash), "%s/cli-%s.bin", dir, tag);
    snprintf(a, sizeof(a), "%s/cli-a.img", dir);
    snprintf(b, sizeof(b), "%s/cli-b.img", dir);
    snprintf(out, sizeof(out), "%s/cli-a-%s.out", dir, tag);
    CHECK_EQ_INT(h_make_image(a, "4.0.0", NULL, 150 * 1024, 61), 0);
    CHECK_EQ_INT(h_make_image(b, "4.0.1", NULL, 12 * 1024, 62), 0);
    /* a slow link (about 4 s for A) so the takeover lands mid-upload */
    const char *args[] = {"--install",   base,     "--udp",
                          "127.0.0.1:0", "--link", "ble,phy=1m,dle=27,ci=30,mtu=247",
                          NULL};
    simproc_t p;
    CHECK_EQ_INT(h_spawn(&p, dir, tag, flash, 1, args), 0);
    snprintf(cmd, sizeof(cmd), "%s/dfukit %s %s --conn udp:127.0.0.1:%u >%s 2>&1", DFU_BUILD_DIR,
             verb, a, p.udp_port, out);
    pid_t pid = fork();
    if (pid == 0) {
        int rc = system(cmd);
        _exit(rc != -1 && WIFEXITED(rc) ? WEXITSTATUS(rc) : 127);
    }
    CHECK_EQ_INT(h_wait_log(&p, "upload: session started", 1, 10000), 0);
    usleep(500000); /* A is some 15 kB in */
    size_t lb = 0, next = 0;
    uint8_t *img_b = h_read_file(b, &lb);
    dfu_link_t l;
    CHECK_EQ_INT(dfu_link_udp_client_open(&l, "127.0.0.1", p.udp_port, 0), DFU_OK);
    CHECK_EQ_INT(smp_upload(&l, img_b, lb, 0, 1024, 5000, &next), 0); /* B's session, to the end */
    CHECK_EQ_INT(next, lb);
    int st = 0;
    waitpid(pid, &st, 0);
    CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 1);
    size_t olen = 0;
    char *o = (char *)h_read_file(out, &olen);
    CHECK(o != NULL && strstr(o, TAKEN_LINE) != NULL && strstr(o, "uploaded ") == NULL);
    if (strcmp(verb, "update") == 0) {
        CHECK(o != NULL && strstr(o, "update: VERDICT: FAILED: ") != NULL);
        CHECK(o != NULL &&
              strstr(o, "update: next: another client is uploading to this device") != NULL);
        CHECK(o != NULL && strstr(o, "update: mark") == NULL && strstr(o, "VERDICT: OK") == NULL);
    }
    if (o != NULL) {
        printf("taken-over client said: %s", strstr(o, "dfukit:") ? strstr(o, "dfukit:") : o);
    }
    free(o);
    smpstate_t s;
    uint8_t want[32];
    CHECK_EQ_INT(dfu_client_image_hash(img_b, lb, want), DFU_OK);
    CHECK(smp_state(&l, &s, 3000) >= 2 && memcmp(s.hash[1], want, 32) == 0);
    CHECK(!s.pending[1] && strcmp(s.version[0], "1.0.0") == 0 && s.active[0]);
    dfu_link_close(&l);
    free(img_b);
    CHECK_EQ_INT(h_stop(&p), 0);
}

int main(void)
{
    char base[300];
    CHECK_EQ_INT(h_tmpdir(dir, sizeof(dir), "load"), 0);
    snprintf(base, sizeof(base), "%s/base.img", dir);
    CHECK_EQ_INT(h_make_image(base, "1.0.0", "name=base,confirm=boot", 8 * 1024, 49), 0);
    load_test(base);
    cli_takeover(base, "image upload", "cli");
    cli_takeover(base, "update", "cliupd");
    h_cleanup(dfu_test_fail_count);
    return dfu_test_finish("test_sim_load");
}
