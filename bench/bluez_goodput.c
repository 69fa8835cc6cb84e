/*
 * `--conn ble:` through BlueZ, measured on the path a user runs, in separate processes: a
 * private dbus-daemon, `dfukit sim` (the field report's passkey firmware, BLE model socket and
 * UDP at once), the BlueZ stand-in (build/bluez-standin) and `dfukit image upload` as the client.
 * No link timing model anywhere: the figures show the client's (and the stand-in's) own cost.
 *
 *   ble-dbus-calls-per-chunk=<x>
 *       method calls the stand-in received per upload chunk, from two uploads over the same
 *       bonded connection path (4 KB and 150 KB): (calls_large - calls_small) /
 *       (chunks_large - chunks_small). With AcquireWrite/AcquireNotify sockets the target is 0.
 *   upload-goodput link=ble-bluez window=auto kBps=<x> ceiling_kBps=<y> ratio=<x/y>
 *       kBps: image bytes per second `dfukit image upload --conn ble:` reports for a 150 KB
 *       image (median of 5, a new image each time); ceiling: the same uploads to the same
 *       simulated device over bare UDP on loopback (`--conn udp:`, median of 5, alternating
 *       with the BLE ones), measured in the same run. The ratio is what the
 *       D-Bus/BlueZ path (fragmentation to MTU - 3, the stand-in, the BLE model socket) costs
 *       against the plainest transport to the same device.
 * Prints one line on stderr and exits 0 when something it needs is missing (dbus-daemon, the
 * stand-in); exits 1 when a measurement fails.
 */
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#ifndef DFU_BUILD_DIR
#define DFU_BUILD_DIR "build"
#endif

#define RUNS 5 /* measured uploads per transport (median) */

static char dir[64];
static pid_t pids[4];
static int npids;

static void stop_all(void)
{
    for (int i = npids - 1; i >= 0; i--) {
        kill(pids[i], SIGTERM);
        waitpid(pids[i], NULL, 0);
    }
    npids = 0;
}

/* Runs a shell command, its stdout into out (cap bytes). Returns the exit status or -1. */
static int sh(char *out, size_t cap, const char *fmt, ...)
{
    char cmd[2048];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(cmd, sizeof(cmd), fmt, ap);
    va_end(ap);
    FILE *p = popen(cmd, "r");
    if (p == NULL) {
        return -1;
    }
    size_t n = out != NULL ? fread(out, 1, cap - 1, p) : 0;
    if (out != NULL) {
        out[n] = '\0';
    } else {
        char sink[4096];
        while (fread(sink, 1, sizeof(sink), p) > 0) {
        }
    }
    int st = pclose(p);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/* Starts `cmd` in the background (its stdout into file `out`); waits until `out` holds
 * `ready`. Returns 0 or -1. */
static int spawn(const char *cmd, const char *out, const char *ready)
{
    pid_t pid = fork();
    if (pid < 0) {
        return -1;
    }
    if (pid == 0) {
        if (freopen(out, "w", stdout) == NULL) {
            _exit(127);
        }
        execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
        _exit(127);
    }
    pids[npids++] = pid;
    for (int i = 0; i < 200; i++) {
        char buf[4096] = "";
        FILE *f = fopen(out, "r");
        size_t n = f ? fread(buf, 1, sizeof(buf) - 1, f) : 0;
        if (f) {
            fclose(f);
        }
        buf[n] = '\0';
        if (strstr(buf, ready) != NULL) {
            return 0;
        }
        usleep(50000);
    }
    fprintf(stderr, "bluez_goodput: '%s' did not say '%s'\n", cmd, ready);
    return -1;
}

static double json_num(const char *js, const char *key)
{
    char k[64];
    snprintf(k, sizeof(k), "\"%s\":", key);
    const char *p = strstr(js, k);
    return p ? strtod(p + strlen(k), NULL) : -1.0;
}

/* One `dfukit image upload`: kBps and chunk count, or -1. */
static double upload(const char *conn, const char *img, double *chunks)
{
    char out[4096];
    int rc =
        sh(out, sizeof(out), "exec '%s/dfukit' image upload '%s' --conn '%s' --json 2>/dev/null",
           DFU_BUILD_DIR, img, conn);
    double bytes = json_num(out, "bytes"), chunk = json_num(out, "chunk");
    if (rc != 0 || bytes <= 0 || chunk <= 0 || strstr(out, "\"ok\":true") == NULL) {
        fprintf(stderr, "bluez_goodput: upload over %s failed: %s\n", conn, out);
        return -1.0;
    }
    if (chunks != NULL) {
        *chunks = (double)(long)((bytes + chunk - 1) / chunk);
    }
    return json_num(out, "kBps");
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static double median(double *v, int n)
{
    qsort(v, (size_t)n, sizeof(v[0]), cmp_double);
    return v[n / 2];
}

static long standin_calls(int reset)
{
    char out[4096];
    if (sh(out, sizeof(out), "'%s/bluez-standin' --counts%s", DFU_BUILD_DIR,
           reset ? " --reset" : "") != 0) {
        return -1;
    }
    const char *p = strstr(out, "calls=");
    return p ? strtol(p + 6, NULL, 10) : -1;
}

static int setup(char *udp, size_t cap)
{
    char cmd[1024], path[256];
    snprintf(path, sizeof(path), "%s/bus.conf", dir);
    FILE *f = fopen(path, "w");
    if (f == NULL) {
        return -1;
    }
    fprintf(f,
            "<!DOCTYPE busconfig PUBLIC \"-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN\"\n"
            " \"http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd\">\n"
            "<busconfig><type>system</type><listen>unix:path=%s/bus</listen>"
            "<auth>EXTERNAL</auth><policy context=\"default\"><allow user=\"*\"/>"
            "<allow own=\"*\"/><allow send_type=\"method_call\"/><allow send_type=\"signal\"/>"
            "<allow send_type=\"method_return\"/><allow send_type=\"error\"/>"
            "<allow receive_type=\"method_call\"/><allow receive_type=\"signal\"/>"
            "<allow receive_type=\"method_return\"/><allow receive_type=\"error\"/>"
            "</policy></busconfig>\n",
            dir);
    fclose(f);
    snprintf(cmd, sizeof(cmd),
             "exec dbus-daemon --config-file=%s --nofork --nopidfile "
             "--print-address 2>/dev/null",
             path);
    snprintf(path, sizeof(path), "%s/bus.out", dir);
    if (spawn(cmd, path, "unix:") != 0) {
        return -1;
    }
    snprintf(cmd, sizeof(cmd), "unix:path=%s/bus", dir);
    setenv("DBUS_SYSTEM_BUS_ADDRESS", cmd, 1);
    /* the field report's firmware: authenticated link for writes and notifications */
    /* a.img runs; s.img is the small upload; l0..l9 are different 150 KB images (a new SHA
     * each time, so the device never resumes an earlier upload) */
    for (int i = -2; i < 2 * RUNS; i++) {
        char name[8];
        snprintf(name, sizeof(name), "%s%d", i < 0 ? (i == -2 ? "a" : "s") : "l", i < 0 ? 0 : i);
        if (sh(NULL, 0,
               "head -c %d /dev/urandom >'%s/%s.bin' && '%s/dfukit' image sign -H 0x200 "
               "--pad-header --align 4 -S 0x32000 -v 1.0.%d --sim-app "
               "name=bench-fw,security=3,cccd_security=3,passkey=123456,confirm=boot '%s/%s.bin' "
               "'%s/%s.img' >/dev/null",
               i == -2 ? 20000 : (i == -1 ? 4000 : 150000), dir, name, DFU_BUILD_DIR, i + 2, dir,
               name, dir, name) != 0) {
            return -1;
        }
    }
    snprintf(cmd, sizeof(cmd),
             "exec '%s/dfukit' sim --flash %s/flash.bin --install %s/a0.img --ble %s/dev.sock "
             "--udp 127.0.0.1:0 --log %s/sim.log",
             DFU_BUILD_DIR, dir, dir, dir, dir);
    snprintf(path, sizeof(path), "%s/sim.out", dir);
    if (spawn(cmd, path, "listening ble=") != 0) {
        return -1;
    }
    char simout[1024];
    if (sh(simout, sizeof(simout), "cat %s", path) != 0) {
        return -1;
    }
    const char *u = strstr(simout, "udp=");
    if (u == NULL) {
        return -1;
    }
    snprintf(udp, cap, "udp:%.*s", (int)strcspn(u + 4, "\n"), u + 4);
    snprintf(cmd, sizeof(cmd),
             "exec '%s/bluez-standin' --device %s/dev.sock,addr=C0:FF:EE:00:00:01 "
             "--log %s/standin.log",
             DFU_BUILD_DIR, dir, dir);
    snprintf(path, sizeof(path), "%s/standin.out", dir);
    return spawn(cmd, path, "standin: ready");
}

int main(void)
{
    char path[512];
    snprintf(path, sizeof(path), "%s/bluez-standin", DFU_BUILD_DIR);
    if (access(path, X_OK) != 0 || sh(NULL, 0, "command -v dbus-daemon >/dev/null") != 0) {
        fprintf(stderr, "bluez_goodput: needs %s and dbus-daemon; not measured\n", path);
        return 0;
    }
    snprintf(dir, sizeof(dir), "/tmp/dfukit-bzbench.XXXXXX");
    if (mkdtemp(dir) == NULL) {
        return 1;
    }
    char udp[128], img[300];
    int rc = 1;
    if (setup(udp, sizeof(udp)) == 0 &&
        /* pair once (bond kept): every measured upload then takes the same connection path */
        sh(NULL, 0, "'%s/dfukit' echo x --conn ble:C0:FF:EE:00:00:01,passkey=123456",
           DFU_BUILD_DIR) == 0) {
        const char *ble = "ble:C0:FF:EE:00:00:01";
        double cs = 0, cl = 0, kb[RUNS], ku[RUNS];
        bool ok = standin_calls(1) >= 0;
        snprintf(img, sizeof(img), "%s/s0.img", dir);
        ok = ok && upload(ble, img, &cs) > 0;
        long c_small = standin_calls(1);
        for (int i = 0; ok && i < RUNS; i++) {
            snprintf(img, sizeof(img), "%s/l%d.img", dir, 2 * i);
            kb[i] = upload(ble, img, &cl);
            snprintf(img, sizeof(img), "%s/l%d.img", dir, 2 * i + 1);
            ku[i] = upload(udp, img, NULL);
            ok = kb[i] > 0 && ku[i] > 0;
            if (i == 0) {
                long c_large = standin_calls(0);
                ok = ok && c_small >= 0 && c_large >= 0 && cl > cs;
                if (ok) {
                    printf("ble-dbus-calls-per-chunk=%.2f\n",
                           (double)(c_large - c_small) / (cl - cs));
                }
            }
        }
        if (ok) {
            double kbps = median(kb, RUNS), ceil_kbps = median(ku, RUNS);
            printf("upload-goodput link=ble-bluez window=auto kBps=%.1f ceiling_kBps=%.1f "
                   "ratio=%.2f\n",
                   kbps, ceil_kbps, kbps / ceil_kbps);
            rc = 0;
        }
    }
    stop_all();
    if (rc == 0) {
        (void)sh(NULL, 0, "rm -rf '%s'", dir);
    } else {
        fprintf(stderr, "bluez_goodput: failed; files kept in %s\n", dir);
    }
    return rc;
}
