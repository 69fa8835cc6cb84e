#include "client_testutil.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "dfu_client.h"

const char *tu_tmpdir(void)
{
    static char dir[64];
    snprintf(dir, sizeof(dir), "/tmp/dfuclient.XXXXXX");
    return mkdtemp(dir);
}

void tu_rmtree(const char *dir)
{
    if (dir == NULL || strncmp(dir, "/tmp/dfuclient.", 15) != 0) {
        return;
    }
    char cmd[300];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
    if (system(cmd) != 0) {
        fprintf(stderr, "note: could not remove %s\n", dir);
    }
}

int tu_make_image(const char *dir, const char *name, const char *version, size_t size,
                  unsigned seed, const char *extra, char *path, size_t cap)
{
    char raw[512];
    snprintf(raw, sizeof(raw), "%s/%s.raw", dir, name);
    FILE *f = fopen(raw, "wb");
    if (f == NULL) {
        return -1;
    }
    srand(seed);
    for (size_t i = 0; i < size; i++) {
        fputc(rand() & 0xff, f);
    }
    fclose(f);
    snprintf(path, cap, "%s/%s.bin", dir, name);
    char args[1400];
    snprintf(args, sizeof(args),
             "image sign -H 0x200 --pad-header -S 0x32000 --align 4 -v %s %s %s %s", version, extra,
             raw, path);
    return tu_dfukit(args, NULL) == 0 ? 0 : -1;
}

uint8_t *tu_read(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        return NULL;
    }
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    uint8_t *b = malloc((size_t)n + 1);
    if (b && fread(b, 1, (size_t)n, f) != (size_t)n) {
        free(b);
        b = NULL;
    }
    if (b != NULL) {
        b[n] = 0; /* text files can be searched as strings */
    }
    fclose(f);
    *len = (size_t)n;
    return b;
}

const char *tu_dfukit_bin(void)
{
    const char *env = getenv("DFUKIT_BIN");
    return env != NULL && env[0] != '\0' ? env : DFU_BUILD_DIR "/dfukit";
}

int tu_dfukit(const char *args, const char *out_path)
{
    char cmd[4096];
    snprintf(cmd, sizeof(cmd), "%s %s >%s 2>>%s/client-test-stderr.log", tu_dfukit_bin(), args,
             out_path ? out_path : "/dev/null", DFU_BUILD_DIR);
    int st = system(cmd);
    if (st == -1 || !WIFEXITED(st)) {
        return -1;
    }
    return WEXITSTATUS(st);
}

int tu_jq(const char *path, const char *filter)
{
    if (system("command -v jq >/dev/null 2>&1") != 0) {
        return -1;
    }
    char cmd[1024];
    snprintf(cmd, sizeof(cmd), "jq -e '%s' %s >/dev/null 2>&1", filter, path);
    return system(cmd) == 0 ? 1 : 0;
}

int tu_jq_all(const char *path, const char *filter)
{
    if (system("command -v jq >/dev/null 2>&1") != 0) {
        return -1;
    }
    char cmd[1024];
    snprintf(cmd, sizeof(cmd), "jq -e -s '%s' %s >/dev/null 2>&1", filter, path);
    return system(cmd) == 0 ? 1 : 0;
}

int tu_image_hash(const char *path, char hex[65])
{
    dfu_client_file_t f;
    char why[200];
    if (dfu_client_file_load(&f, path, why, sizeof(why)) != 0) {
        return -1;
    }
    dfu_client_hex(f.hash, 32, hex);
    dfu_client_file_free(&f);
    return 0;
}

int tu_sim_start(tu_sim_t *s, const char *args, const char *log_path)
{
    memset(s, 0, sizeof(*s));
    int want = 0;
    for (const char *p = args; (p = strstr(p, "--")) != NULL; p += 2) {
        want += strncmp(p, "--udp", 5) == 0 || strncmp(p, "--ble", 5) == 0 ||
                strncmp(p, "--serial", 8) == 0;
    }
    int fds[2];
    if (pipe(fds) != 0) {
        return -1;
    }
    char cmd[4096];
    snprintf(cmd, sizeof(cmd), "exec %s sim %s 2>>%s", tu_dfukit_bin(), args, log_path);
    fflush(NULL);
    s->pid = fork();
    if (s->pid == 0) {
        dup2(fds[1], 1);
        close(fds[0]);
        execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
        _exit(127);
    }
    close(fds[1]);
    FILE *f = fdopen(fds[0], "r");
    char line[512];
    int have = 0;
    while (have < want && fgets(line, sizeof(line), f)) {
        have += sscanf(line, "sim: listening udp=%199s", s->udp) == 1 ||
                sscanf(line, "sim: listening serial=%255s", s->serial) == 1 ||
                sscanf(line, "sim: listening ble=%255s", s->ble) == 1;
    }
    fclose(f);
    return have == want && want > 0 ? 0 : -1;
}

int tu_sim_stop(tu_sim_t *s)
{
    int st = 0;
    kill(s->pid, SIGTERM);
    waitpid(s->pid, &st, 0);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}
