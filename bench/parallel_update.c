/*
 * One `dfukit update` over eight devices vs one device alone, on the path a user runs.
 *
 * Separate processes, as typed by a user: `dfukit sim` processes in the background (nRF52832
 * flash file with v1 installed, SMP over UDP on 127.0.0.1 with the BLE 2M timing model, as
 * `make demo` runs it) and the dfukit binary: `dfukit update v2.img --conn udp:...` for one
 * device (single_s), then `dfukit update v2.img --conn C1 ... --conn C8` over eight fresh devices
 * (wall_s). Both are wall-clock seconds of the whole update (read, upload, mark, reset, wait,
 * verify, confirm) measured in the same run; the image is about 80 kB. Every device must end on
 * v2, confirmed (exit 0), or the bench fails. The target is ratio <= 1.5: the devices' links are
 * independent, so eight at once should cost little more than one.
 *
 * Output: parallel-update devices=8 wall_s=<x> single_s=<y> ratio=<x/y>
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define DFUKIT DFU_BUILD_DIR "/dfukit"
#define LINK "ble,phy=2m,dle=251,ci=7.5,mtu=247"
#define NDEV 8

static char dir[64];

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int sh(const char *cmd)
{
    int st = system(cmd);
    return st != -1 && WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/* Signs `payload` random bytes as image `name` in dir. */
static int sign(const char *name, const char *version, const char *extra, size_t payload)
{
    char raw[128], cmd[1024];
    snprintf(raw, sizeof(raw), "%s/%s.raw", dir, name);
    FILE *f = fopen(raw, "wb");
    if (f == NULL) {
        return -1;
    }
    for (size_t i = 0; i < payload; i++) {
        fputc(rand() & 0xff, f);
    }
    fclose(f);
    snprintf(cmd, sizeof(cmd),
             "%s image sign -H 0x200 --pad-header -S 0x32000 --align 4 -v %s %s %s %s/%s.img "
             ">/dev/null",
             DFUKIT, version, extra, raw, dir, name);
    return sh(cmd);
}

/* Starts `dfukit sim` #idx (fresh flash, v1 installed, UDP on a free port) and reads its
 * listening line into conn. Returns its pid or -1. */
static pid_t sim_start(int idx, char *conn, size_t cap)
{
    int fds[2];
    if (pipe(fds) != 0) {
        return -1;
    }
    char cmd[1024];
    snprintf(cmd, sizeof(cmd),
             "exec %s sim --flash %s/flash%d.bin --install %s/base.img --log %s/sim%d.log "
             "--udp 127.0.0.1:0 --link " LINK,
             DFUKIT, dir, idx, dir, dir, idx);
    fflush(NULL);
    pid_t pid = fork();
    if (pid == 0) {
        dup2(fds[1], 1);
        close(fds[0]);
        execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
        _exit(127);
    }
    close(fds[1]);
    FILE *f = fdopen(fds[0], "r");
    char line[256], addr[200] = "";
    while (f != NULL && addr[0] == '\0' && fgets(line, sizeof(line), f) != NULL) {
        if (sscanf(line, "sim: listening udp=%199s", addr) != 1) {
            addr[0] = '\0';
        }
    }
    if (f != NULL) {
        fclose(f);
    }
    if (addr[0] == '\0') {
        fprintf(stderr, "bench: sim %d did not start (%s/sim%d.log)\n", idx, dir, idx);
        kill(pid, SIGTERM);
        waitpid(pid, NULL, 0);
        return -1;
    }
    snprintf(conn, cap, "udp:%s", addr);
    return pid;
}

static void sim_stop(pid_t pid)
{
    if (pid > 0) {
        kill(pid, SIGTERM);
        waitpid(pid, NULL, 0);
    }
}

/* Starts n devices (numbered from first), runs one `dfukit update` over them; seconds or -1. */
static double run(int first, int n)
{
    pid_t pid[NDEV];
    char conn[NDEV][220], cmd[4096];
    size_t k = (size_t)snprintf(cmd, sizeof(cmd), "%s update %s/v2.img", DFUKIT, dir);
    int ok = 1;
    for (int i = 0; i < n; i++) {
        pid[i] = sim_start(first + i, conn[i], sizeof(conn[i]));
        ok &= pid[i] > 0;
        k += (size_t)snprintf(cmd + k, sizeof(cmd) - k, " --conn %s", conn[i]);
    }
    snprintf(cmd + k, sizeof(cmd) - k, " >%s/update%d.out 2>&1", dir, first);
    double t = -1;
    if (ok) {
        double t0 = now_s();
        int rc = sh(cmd);
        t = now_s() - t0;
        if (rc != 0) {
            fprintf(stderr, "bench: dfukit update over %d device(s) exited %d (%s/update%d.out)\n",
                    n, rc, dir, first);
            t = -1;
        }
    }
    for (int i = 0; i < n; i++) {
        sim_stop(pid[i]);
    }
    return t;
}

int main(void)
{
    snprintf(dir, sizeof(dir), "/tmp/dfubench-par.XXXXXX");
    if (mkdtemp(dir) == NULL) {
        perror("mkdtemp");
        return 1;
    }
    srand(7);
    if (sign("base", "1.0.0", "--sim-app name=base,confirm=boot", 4096) != 0 ||
        sign("v2", "2.0.0", "", 80 * 1024) != 0) {
        fprintf(stderr, "bench: cannot sign the images\n");
        return 1;
    }
    double single = run(0, 1);
    double wall = single > 0 ? run(1, NDEV) : -1;
    if (single <= 0 || wall <= 0) {
        return 1; /* kept: dir has the logs */
    }
    printf("parallel-update devices=%d wall_s=%.2f single_s=%.2f ratio=%.2f\n", NDEV, wall, single,
           wall / single);
    char rm[128];
    snprintf(rm, sizeof(rm), "rm -rf %s", dir);
    return sh(rm) == 0 ? 0 : 1;
}
