/*
 * The request window matters on the UDP + BLE model path, by the factor the link model predicts
 * (issue 12). A `dfukit sim` on UDP with --link ble,phy=2m,dle=251,ci=30,mtu=247 and the same
 * image uploaded with `dfukit image upload --window 1` and `--window 4`, as a user types it.
 * Not timed: the figures are the modelled link times the sim logs for each upload session
 * ("upload: complete ... in X s of modelled link time"), compared with a replay of the same
 * message sequence on dfu_linkmodel_schedule(): stop-and-wait (every request and every response
 * waits for a connection-event anchor) against a stream (requests already waiting continue in
 * the open event). The 30 ms interval leaves a stop-and-wait client 29 ms to send its next
 * request before the anchor it is modelled to catch, so a loaded machine does not move it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dfu_test.h"
#include "dfukit/dfu_host_linkmodel.h"
#include "sim_harness.h"

#define MODEL "ble,phy=2m,dle=251,ci=30,mtu=247"
#define MSG 1500u  /* the client's request size over UDP: min(buf_size 2475, UDP MTU 1500) */
#define DATA 1470u /* image bytes per request (the rest is the SMP header and CBOR keys) */
#define RSP 18u    /* {"off": N} answer */

/* Replays an upload of `len` bytes: window 1 = each request waits for the previous answer
 * (nothing is ever waiting when a transfer completes); window > 1 = the next request is always
 * already waiting, until the last one. Returns the modelled time from the first request's start
 * to the last answer's delivery. */
static double replay_s(const dfu_linkmodel_t *m, size_t len, unsigned window)
{
    dfu_linkmodel_clock_t c;
    memset(&c, 0, sizeof(c));
    size_t n = (len + DATA - 1) / DATA;
    uint64_t t = 1000000, start = 0, t0 = 0; /* a time that is not on an anchor */
    for (size_t i = 0; i < n; i++) {
        bool stream = window > 1;
        t = dfu_linkmodel_schedule(m, &c, MSG, 0, t, stream && i > 0, false, &start);
        if (i == 0) {
            t0 = start;
        }
        t = dfu_linkmodel_schedule(m, &c, RSP, 0, t, stream && i + 1 < n, true, NULL);
    }
    return (double)(t - t0) / 1e6;
}

/* Uploads `img` with `--window W` and returns the modelled seconds the sim logged. */
static double upload_s(const simproc_t *p, const char *img, unsigned window)
{
    char cmd[1024], line[512];
    int before = h_log_count(p, "upload: complete");
    snprintf(cmd, sizeof(cmd),
             "%s/dfukit image upload %s --conn udp:127.0.0.1:%u --window %u >%s/up%u.out 2>&1",
             DFU_BUILD_DIR, img, p->udp_port, window, p->dir, window);
    CHECK_EQ_INT(system(cmd), 0);
    if (h_wait_log(p, "upload: complete", before + 1, 5000) != 0 ||
        h_log_last(p, "upload: complete", line, sizeof(line)) != 0) {
        CHECK(!"no upload completion in the sim log");
        return -1;
    }
    double s = -1;
    char *b = strstr(line, " bytes in ");
    CHECK(b != NULL && sscanf(b, " bytes in %lf s of modelled link time", &s) == 1);
    return s;
}

int main(void)
{
    char dir[128], base[300], img[300], flash[300];
    CHECK_EQ_INT(h_tmpdir(dir, sizeof(dir), "window"), 0);
    snprintf(base, sizeof(base), "%s/base.img", dir);
    snprintf(img, sizeof(img), "%s/up.img", dir);
    snprintf(flash, sizeof(flash), "%s/flash.bin", dir);
    CHECK_EQ_INT(h_make_image(base, "1.0.0", "name=base,confirm=boot", 8 * 1024, 3), 0);
    CHECK_EQ_INT(h_make_image(img, "2.0.0", NULL, 60 * 1024, 4), 0);
    size_t len = 0;
    free(h_read_file(img, &len));
    CHECK(len > 60 * 1024);

    dfu_linkmodel_t m;
    CHECK_EQ_INT(dfu_linkmodel_parse(&m, MODEL), 0);
    double p1 = replay_s(&m, len, 1), p4 = replay_s(&m, len, 4);

    const char *args[] = {"--install", base, "--udp", "127.0.0.1:0", "--link", MODEL, NULL};
    simproc_t p;
    CHECK_EQ_INT(h_spawn(&p, dir, "sim", flash, 1, args), 0);
    double t1 = upload_s(&p, img, 1), t4 = upload_s(&p, img, 4);
    CHECK_EQ_INT(h_stop(&p), 0);

    printf("UDP + %s, %zu bytes: window 1 %.3f s (model %.3f), window 4 %.3f s (model %.3f): "
           "x%.2f (model x%.2f)\n",
           MODEL, len, t1, p1, t4, p4, t1 / t4, p1 / p4);
    /* the model's own prediction: a stream beats stop-and-wait severalfold at CI 30 ms */
    CHECK(p1 / p4 > 4.0);
    /* each run as replayed (ms resolution of the log, first/last message sizes approximated;
     * a client process starved for a whole transfer on a loaded machine can only add time) */
    CHECK(t1 > p1 * 0.97 && t1 < p1 * 1.06);
    CHECK(t4 > p4 * 0.97 && t4 < p4 * 1.06);
    CHECK(t1 / t4 > p1 / p4 * 0.94 && t1 / t4 < p1 / p4 * 1.06);
    h_cleanup(dfu_test_fail_count);
    return dfu_test_finish("test_sim_window");
}
