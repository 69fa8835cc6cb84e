/*
 * Upload goodput on the path a user runs, as a fraction of the link's ceiling.
 *
 * Every measurement uses separate processes, as typed by a user: `dfukit sim` started in the
 * background (nRF52832 flash file with a bootable image installed, one transport, `--link SPEC`)
 * and `dfukit image upload FILE --conn CONN [--window 1]`. The image is a signed MCUboot image of
 * about 3 s worth of the link's ceiling (at most what fits the nRF52832 slot).
 *
 * Which clock: where a link model drives the clock, the figure is image bytes over the modelled
 * link time of the upload session (first chunk on the link to the last answer delivered), as the
 * simulator logs it ("upload: complete ... in X s of modelled link time"): the link is what is
 * measured, and a loaded machine that runs late does not change it. The client's own wall-clock
 * figure follows on an `upload-goodput-wall` line. UDP on bare loopback has no model: its figure
 * is the client's wall time (best of 3 runs), and its "ceiling" (best of 3) is the sockets' own
 * goodput measured in the same run (same message size and window, a responder that only
 * acknowledges): that row measures the simulated device's per-chunk work, not a link, and has no
 * ratio target. Ceilings of modelled links: dfu_linkmodel_ceiling_kBps(). 1 kB = 1000 B.
 *
 * Output, one line per measurement (then the wall-clock line):
 *   upload-goodput link=<name> window=<n|auto> kBps=<x> ceiling_kBps=<y> ratio=<x/y>
 *   upload-goodput-wall link=<name> window=<n|auto> kBps=<client's figure>
 * and for UDP on the BLE model the best any client can reach with 1500-byte frames:
 *   upload-goodput-bound link=<name> frame=1500 bound_kBps=<b> ceiling_kBps=<y> ratio=<b/y>
 * Usage: upload_goodput [--quick]   (--quick: about 1 s per transfer)
 */
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "dfukit/dfu_host_linkmodel.h"
#include "dfukit/dfu_link.h"

#define DFUKIT DFU_BUILD_DIR "/dfukit"

typedef struct {
    const char *name;
    const char *model;     /* --link SPEC of the sim, NULL = none */
    const char *transport; /* "udp", "serial" or "ble" */
} bench_link_t;

static const bench_link_t links[] = {
    {"ble-2m-dle251-ci7.5", "ble,phy=2m,dle=251,ci=7.5,mtu=247", "ble"},
    {"ble-1m-dle27-ci30", "ble,phy=1m,dle=27,ci=30,mtu=247", "ble"},
    {"serial-115200", "serial,baud=115200", "serial"},
    {"serial-1000000", "serial,baud=1000000", "serial"},
    /* UDP with the BLE model on the device end (what `make demo` runs) */
    {"udp-ble-2m-dle251-ci7.5", "ble,phy=2m,dle=251,ci=7.5,mtu=247", "udp"},
    /* UDP over an IP link of 1 Mbit/s with 10 ms one-way latency */
    {"udp-net-1mbps-10ms", "net,kbps=1000,lat=10", "udp"},
    {"udp-loopback", NULL, "udp"},
};

static double seconds_per_run = 3.0;
static char dir[64];

/* ---- processes ------------------------------------------------------------------------------ */

static int sh(const char *cmd)
{
    int st = system(cmd);
    return st != -1 && WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/* Signs `payload` random bytes (seeded) as an MCUboot image at `out`. */
static int make_image(const char *out, const char *version, const char *desc, size_t payload,
                      unsigned seed)
{
    char bin[128], cmd[1024];
    snprintf(bin, sizeof(bin), "%s/payload.bin", dir);
    FILE *f = fopen(bin, "wb");
    if (f == NULL) {
        return -1;
    }
    srand(seed);
    for (size_t i = 0; i < payload; i++) {
        fputc(rand() & 0xff, f);
    }
    fclose(f);
    snprintf(cmd, sizeof(cmd),
             "%s image sign -H 0x200 --pad-header -S 0x32000 --align 4 -v %s %s%s %s %s "
             ">/dev/null",
             DFUKIT, version, desc ? "--sim-app " : "", desc ? desc : "", bin, out);
    return sh(cmd);
}

typedef struct {
    pid_t pid;
    char out[128], log[128], conn[160];
} sim_t;

/* Starts `dfukit sim` in the background and waits for its listening line. */
static int sim_start(sim_t *s, const bench_link_t *bl, const char *flash, const char *base)
{
    memset(s, 0, sizeof(*s));
    snprintf(s->out, sizeof(s->out), "%s/sim.out", dir);
    snprintf(s->log, sizeof(s->log), "%s/sim.log", dir);
    unlink(s->out); /* fresh files: the lines of an earlier run must not be read */
    unlink(s->log);
    char where[128], cmd[1024];
    if (strcmp(bl->transport, "udp") == 0) {
        snprintf(where, sizeof(where), "--udp 127.0.0.1:0");
    } else {
        snprintf(where, sizeof(where), "--%s %s/%s", bl->transport, dir,
                 strcmp(bl->transport, "ble") == 0 ? "ble.sock" : "tty");
    }
    snprintf(cmd, sizeof(cmd), "exec %s sim --flash %s --install %s --log %s %s%s%s >%s", DFUKIT,
             flash, base, s->log, where, bl->model ? " --link " : "", bl->model ? bl->model : "",
             s->out);
    s->pid = fork();
    if (s->pid == 0) {
        execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
        _exit(127);
    }
    for (int i = 0; i < 200 && s->pid > 0; i++) {
        char line[256];
        FILE *f = fopen(s->out, "r");
        while (f != NULL && fgets(line, sizeof(line), f) != NULL) {
            char *p = strstr(line, "sim: listening ");
            if (p == NULL) {
                continue;
            }
            p += strlen("sim: listening ");
            p[strcspn(p, "\r\n")] = '\0';
            char *eq = strchr(p, '=');
            if (eq == NULL) {
                continue;
            }
            *eq = '\0';
            snprintf(s->conn, sizeof(s->conn), "%s:%s", strcmp(p, "ble") == 0 ? "ble-sim" : p,
                     eq + 1);
        }
        if (f != NULL) {
            fclose(f);
        }
        if (s->conn[0] != '\0') {
            return 0;
        }
        usleep(50000);
    }
    fprintf(stderr, "bench: the simulator did not start (%s)\n", s->log);
    return -1;
}

static void sim_stop(sim_t *s)
{
    if (s->pid > 0) {
        kill(s->pid, SIGTERM);
        waitpid(s->pid, NULL, 0);
        s->pid = 0;
    }
}

/* Last line of `path` containing `needle`, into out. */
static int last_line(const char *path, const char *needle, char *out, size_t cap)
{
    FILE *f = fopen(path, "r");
    char line[1024];
    int found = -1;
    while (f != NULL && fgets(line, sizeof(line), f) != NULL) {
        if (strstr(line, needle) != NULL) {
            snprintf(out, cap, "%s", line);
            found = 0;
        }
    }
    if (f != NULL) {
        fclose(f);
    }
    return found;
}

/* One upload as a user types it. *model_kBps from the sim's log (-1 without a model), *wall_kBps
 * from the client's own line. Returns 0 or -1. */
static int run_upload(const bench_link_t *bl, unsigned window, const char *img, int idx,
                      double *model_kBps, double *wall_kBps)
{
    char flash[128], base[128], cmd[1024], out[128], line[1024];
    snprintf(flash, sizeof(flash), "%s/flash%d.bin", dir, idx);
    snprintf(base, sizeof(base), "%s/base.img", dir);
    snprintf(out, sizeof(out), "%s/upload.out", dir);
    *model_kBps = *wall_kBps = -1;
    sim_t s;
    if (sim_start(&s, bl, flash, base) != 0) {
        sim_stop(&s);
        return -1;
    }
    char w[32] = "";
    if (window != 0) {
        snprintf(w, sizeof(w), " --window %u", window);
    }
    snprintf(cmd, sizeof(cmd), "%s image upload %s --conn %s%s >%s 2>%s.err", DFUKIT, img, s.conn,
             w, out, out);
    int rc = sh(cmd);
    usleep(200000); /* the sim logs the completion right after its last answer went out */
    sim_stop(&s);
    unsigned long long bytes = 0;
    double secs = 0;
    if (rc != 0 || last_line(out, "uploaded ", line, sizeof(line)) != 0 ||
        sscanf(line, "uploaded %llu bytes in %lf s (%lf kB/s)", &bytes, &secs, wall_kBps) != 3) {
        fprintf(stderr, "bench: %s upload failed (exit %d), see %s.err\n", bl->name, rc, out);
        return -1;
    }
    if (bl->model != NULL) {
        char *p;
        if (last_line(s.log, "upload: complete", line, sizeof(line)) != 0 ||
            (p = strstr(line, " bytes in ")) == NULL ||
            sscanf(p, " bytes in %lf s of modelled link time", &secs) != 1 || secs <= 0) {
            fprintf(stderr, "bench: %s: no modelled time in %s\n", bl->name, s.log);
            return -1;
        }
        *model_kBps = (double)bytes / 1000.0 / secs;
    }
    unlink(flash);
    return 0;
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

/* Best goodput of a client whose requests are capped at `msg` bytes (`data` image bytes each),
 * every request already waiting (a full window), 18-byte answers: the link model's own stream
 * rate for that framing. UDP caps SMP frames at 1500 bytes (Zephyr's UDP MTU); on the BLE model
 * that is 6 full writes and a 36-byte one, which costs a PDU slot of its own. */
static double framed_bound_kBps(const dfu_linkmodel_t *m, size_t msg, size_t data)
{
    dfu_linkmodel_clock_t c;
    memset(&c, 0, sizeof(c));
    uint64_t t0 = 0, t = 0;
    const int n = 2000;
    for (int i = 0; i < n; i++) {
        t = dfu_linkmodel_schedule(m, &c, msg, 0, 0, i > 0, false, i == 0 ? &t0 : NULL);
        t = dfu_linkmodel_schedule(m, &c, 18, 0, 0, true, true, NULL);
    }
    return (double)data * n / 1000.0 / ((double)(t - t0) / 1e6);
}

static size_t bytes_for(double ceiling)
{
    double b = ceiling * 1000.0 * seconds_per_run;
    if (b < 16384) {
        b = 16384;
    }
    if (b > 180000) {
        b = 180000; /* the nRF52832 slot is 200 KiB, header and TLVs included */
    }
    return (size_t)b;
}

static void print_line(const char *name, unsigned window, double kBps, double ceiling, double wall)
{
    char w[16];
    if (window) {
        snprintf(w, sizeof(w), "%u", window);
    } else {
        snprintf(w, sizeof(w), "auto");
    }
    printf("upload-goodput link=%s window=%s kBps=%.2f ceiling_kBps=%.2f ratio=%.3f\n", name, w,
           kBps, ceiling, ceiling > 0 && kBps > 0 ? kBps / ceiling : 0.0);
    printf("upload-goodput-wall link=%s window=%s kBps=%.2f\n", name, w, wall);
    fflush(stdout);
}

int main(int argc, char **argv)
{
    if (argc > 1 && strcmp(argv[1], "--quick") == 0) {
        seconds_per_run = 1.0;
    }
    snprintf(dir, sizeof(dir), "/tmp/dfubench.XXXXXX");
    if (mkdtemp(dir) == NULL) {
        perror("mkdtemp");
        return 1;
    }
    char base[128], img[128], cmd[256];
    snprintf(base, sizeof(base), "%s/base.img", dir);
    snprintf(img, sizeof(img), "%s/up.img", dir);
    if (make_image(base, "1.0.0", "name=bench,confirm=boot", 16384, 1) != 0) {
        fprintf(stderr, "bench: cannot sign an image with %s\n", DFUKIT);
        return 1;
    }
    printf("# separate processes: dfukit sim (background) + dfukit image upload; kBps = image "
           "bytes / modelled link time (sim log) where a link model drives the clock, the "
           "client's wall time (best of 3) for udp-loopback; upload-goodput-wall = the client's "
           "wall-clock "
           "figure\n");
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
            /* payload = file size minus the 0x200 header and ~0x50 bytes of TLVs */
            double model_kBps = -1, wall_kBps = -1;
            int rc = make_image(img, "2.0.0", NULL, bytes - 0x260, (unsigned)(idx + 7));
            rc = rc == 0 ? run_upload(bl, windows[k], img, idx++, &model_kBps, &wall_kBps) : rc;
            for (int rep = 0; !bl->model && rep < 3; rep++) {
                /* Wall time on loopback (milliseconds per run) is at the mercy of the scheduler:
                 * best of 3 for the upload and for the reference. The reference: the transport's
                 * goodput for the same request size (1500-byte datagrams, 1470 data bytes each)
                 * and window (auto = the device's buf_count, 4). */
                double again = -1, unused = -1;
                if (rep > 0 && rc == 0 &&
                    run_upload(bl, windows[k], img, idx++, &unused, &again) == 0 &&
                    again > wall_kBps) {
                    wall_kBps = again;
                }
                double c = udp_ceiling(1500, 1470, windows[k] ? windows[k] : 4, bytes);
                ceiling = c > ceiling ? c : ceiling;
            }
            double kBps = bl->model ? model_kBps : wall_kBps;
            fails += rc != 0 || kBps <= 0;
            print_line(bl->name, windows[k], kBps, ceiling, wall_kBps);
        }
        if (m.kind == DFU_LINKMODEL_BLE && strcmp(bl->transport, "udp") == 0) {
            double bound = framed_bound_kBps(&m, 1500, 1470);
            printf("upload-goodput-bound link=%s frame=1500 bound_kBps=%.2f ceiling_kBps=%.2f "
                   "ratio=%.3f\n",
                   bl->name, bound, dfu_linkmodel_ceiling_kBps(&m),
                   bound / dfu_linkmodel_ceiling_kBps(&m));
        }
    }
    snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
    (void)sh(cmd);
    return fails ? 1 : 0;
}
