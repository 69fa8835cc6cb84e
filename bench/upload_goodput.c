/*
 * Upload goodput of the dfukit client as a fraction of the link's ceiling.
 *
 * The device is the in-process loopback device (dfu_client_loopdev.h: boot core + SMP server on
 * simulated flash, flash timing not slept) with the hostlink timing model on its end of the link;
 * the client is the real dfu_client over the matching transport (BLE model socket, pty serial,
 * UDP). Ceiling: dfu_linkmodel_ceiling_kBps() for modelled links (UDP over a 1 Mbit/s, 10 ms
 * network link included); for UDP on bare loopback (no model) the transport's own goodput
 * measured in the same run (same message size and window, a responder that only acknowledges).
 * Goodput counts image bytes only (1 kB = 1000 B).
 *
 * Output, one line per measurement:
 *   upload-goodput link=<name> window=<n|auto> kBps=<x> ceiling_kBps=<y> ratio=<x/y>
 * Usage: upload_goodput [--quick]   (--quick: shorter transfers)
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "client/dfu_client.h"
#include "client/dfu_client_loopdev.h"
#include "dfukit/dfu_host_linkmodel.h"

typedef struct {
    const char *name;
    const char *model; /* hostlink model spec, NULL = none */
    int kind;
} bench_link_t;

static const bench_link_t links[] = {
    {"ble-2m-dle251-ci7.5", "ble,phy=2m,dle=251,ci=7.5,mtu=247", DFU_LINK_BLE},
    {"ble-1m-dle27-ci30", "ble,phy=1m,dle=27,ci=30,mtu=247", DFU_LINK_BLE},
    {"serial-115200", "serial,baud=115200", DFU_LINK_SERIAL},
    {"serial-1000000", "serial,baud=1000000", DFU_LINK_SERIAL},
    /* UDP over an IP link of 1 Mbit/s with 10 ms one-way latency (the sim's `--link net,...`
     * model on the device end), and UDP on bare loopback (no link limit: the "ceiling" is the
     * sockets' own goodput with an acknowledge-only responder, so that line measures the
     * simulated device's per-chunk work, not a link). */
    {"udp-net-1mbps-10ms", "net,kbps=1000,lat=10", DFU_LINK_UDP},
    {"udp-loopback", NULL, DFU_LINK_UDP},
};

static double seconds_per_run = 3.0;

/* A syntactically valid MCUboot image file of `len` bytes (header magic, TLV info at the end):
 * what the device checks during upload. */
static uint8_t *make_image(size_t len)
{
    uint8_t *b = malloc(len);
    if (b == NULL) {
        return NULL;
    }
    srand(42);
    for (size_t i = 0; i < len; i++) {
        b[i] = (uint8_t)rand();
    }
    uint32_t img_size = (uint32_t)(len - 32 - 40);
    memset(b, 0, 32);
    b[0] = 0x3d, b[1] = 0xb8, b[2] = 0xf3, b[3] = 0x96; /* magic, LE */
    b[8] = 32;                                          /* hdr_size */
    b[12] = (uint8_t)img_size, b[13] = (uint8_t)(img_size >> 8);
    b[14] = (uint8_t)(img_size >> 16);
    b[20] = 1; /* version 1.0.0 */
    uint8_t *t = b + 32 + img_size;
    t[0] = 0x07, t[1] = 0x69, t[2] = 40, t[3] = 0; /* TLV info: 4 + SHA256 TLV (4 + 32) */
    t[4] = 0x10, t[5] = 0, t[6] = 32, t[7] = 0;
    return b;
}

static double run_upload(const bench_link_t *bl, const dfu_linkmodel_t *m, unsigned window,
                         size_t bytes, const char *dir, int idx)
{
    dfu_loopdev_t *d = calloc(1, sizeof(*d));
    uint8_t *img = make_image(bytes);
    double kBps = -1;
    char path[256], conn[300];
    snprintf(path, sizeof(path), "%s/dev%d", dir, idx);
    if (d == NULL || img == NULL || dfu_loopdev_init(d, NULL, 0) != 0) {
        goto out;
    }
    if (m) {
        d->model = *m;
    }
    if (dfu_loopdev_start(d, bl->kind, path) != 0) {
        fprintf(stderr, "bench: cannot start device on %s\n", bl->name);
        goto out_free;
    }
    dfu_loopdev_conn(d, conn, sizeof(conn));
    static dfu_client_t c;
    dfu_client_cfg_t cfg = {.conn = conn, .timeout_ms = 5000, .retries = 2};
    if (dfu_client_open(&c, &cfg) == 0) {
        dfu_client_upload_cfg_t uc = {.window = window};
        dfu_client_upload_stats_t st;
        int rc = dfu_client_upload(&c, img, bytes, &uc, &st);
        if (rc == 0) {
            kBps = st.kBps;
        } else {
            char msg[512];
            dfu_client_err_format(&c.err, msg, sizeof(msg));
            fprintf(stderr, "bench: %s upload failed: %s\n", bl->name, msg);
        }
        dfu_client_close(&c);
    }
    dfu_loopdev_stop(d);
out_free:
    dfu_loopdev_free(d);
out:
    free(img);
    free(d);
    return kBps;
}

/* ---- UDP transport ceiling: same message size and window, a responder that only acks -------- */

typedef struct {
    dfu_link_t srv;
    volatile int stop;
} echo_t;

static void *echo_main(void *arg)
{
    echo_t *e = arg;
    static uint8_t buf[65536];
    while (!e->stop) {
        int n = dfu_link_recv(&e->srv, buf, sizeof(buf), 20);
        if (n >= 8) {
            buf[0] = (uint8_t)(buf[0] | 1u); /* response op */
            dfu_link_send(&e->srv, buf, 16);
        }
    }
    return NULL;
}

static double udp_ceiling(size_t msg, size_t chunk, unsigned window, size_t bytes)
{
    echo_t e;
    memset(&e, 0, sizeof(e));
    if (dfu_link_udp_server_open(&e.srv, "127.0.0.1", 0, 0) != 0) {
        return -1;
    }
    pthread_t th;
    pthread_create(&th, NULL, echo_main, &e);
    dfu_link_t cl;
    memset(&cl, 0, sizeof(cl));
    double kBps = -1;
    if (dfu_link_udp_client_open(&cl, "127.0.0.1", dfu_link_udp_port(&e.srv), 0) == 0) {
        static uint8_t m[65536], r[256];
        memset(m, 0x5a, sizeof(m));
        m[0] = 2;
        size_t n = (bytes + chunk - 1) / chunk, sent = 0, got = 0;
        uint64_t t0 = dfu_link_now_us();
        while (got < n) {
            while (sent < n && sent - got < window) {
                dfu_link_send(&cl, m, msg);
                sent++;
            }
            if (dfu_link_recv(&cl, r, sizeof(r), 1000) <= 0) {
                break;
            }
            got++;
        }
        double s = (double)(dfu_link_now_us() - t0) / 1e6;
        kBps = got == n && s > 0 ? (double)bytes / 1000.0 / s : -1;
        dfu_link_close(&cl);
    }
    e.stop = 1;
    pthread_join(th, NULL);
    dfu_link_close(&e.srv);
    return kBps;
}

static size_t bytes_for(double ceiling)
{
    double b = ceiling * 1000.0 * seconds_per_run;
    if (b < 16384) {
        b = 16384;
    }
    if (b > 190000) {
        b = 190000; /* the nRF52832 slot is 200 KiB */
    }
    return (size_t)b;
}

static void print_line(const char *name, unsigned window, double kBps, double ceiling)
{
    char w[16];
    if (window) {
        snprintf(w, sizeof(w), "%u", window);
    } else {
        snprintf(w, sizeof(w), "auto");
    }
    printf("upload-goodput link=%s window=%s kBps=%.2f ceiling_kBps=%.2f ratio=%.3f\n", name, w,
           kBps, ceiling, ceiling > 0 && kBps > 0 ? kBps / ceiling : 0.0);
    fflush(stdout);
}

int main(int argc, char **argv)
{
    if (argc > 1 && strcmp(argv[1], "--quick") == 0) {
        seconds_per_run = 1.0;
    }
    char dir[] = "/tmp/dfubench.XXXXXX";
    if (mkdtemp(dir) == NULL) {
        perror("mkdtemp");
        return 1;
    }
    int idx = 0, fails = 0;
    for (size_t i = 0; i < sizeof(links) / sizeof(links[0]); i++) {
        const bench_link_t *bl = &links[i];
        dfu_linkmodel_t m;
        memset(&m, 0, sizeof(m));
        if (bl->model && dfu_linkmodel_parse(&m, bl->model) != 0) {
            fprintf(stderr, "bench: bad model %s\n", bl->model);
            return 1;
        }
        static const unsigned windows[] = {0, 1};
        for (size_t k = 0; k < 2; k++) {
            double ceiling = bl->model ? dfu_linkmodel_ceiling_kBps(&m) : 0;
            size_t bytes = bytes_for(ceiling > 0 ? ceiling : 1e9);
            if (windows[k] == 1) {
                bytes = bytes / 2 < 16384 ? 16384 : bytes / 2; /* slower: keep runtime modest */
            }
            double kBps = run_upload(bl, bl->model ? &m : NULL, windows[k], bytes, dir, idx++);
            if (!bl->model) {
                /* UDP: the transport's goodput for the same request size (1500-byte datagrams,
                 * 1476 data bytes each) and window (auto = the device's buf_count, 4). */
                ceiling = udp_ceiling(1500, 1476, windows[k] ? windows[k] : 4, bytes);
            }
            fails += kBps <= 0;
            print_line(bl->name, windows[k], kBps, ceiling);
        }
    }
    rmdir(dir);
    return fails ? 1 : 0;
}
