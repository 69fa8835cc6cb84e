/* Process helpers for the imgtool tests (see run_util.h). */
#include "run_util.h"

#include <fcntl.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

static void slurp(const char *path, char *buf, size_t cap)
{
    FILE *f = fopen(path, "rb");
    size_t n = f ? fread(buf, 1, cap - 1, f) : 0;
    buf[n] = '\0';
    if (f) {
        fclose(f);
    }
}

int run_dfukit(run_result_t *r, const char *cwd, char *const argv[])
{
    char outp[] = "/tmp/imgtool_test_outXXXXXX", errp[] = "/tmp/imgtool_test_errXXXXXX";
    int ofd = mkstemp(outp), efd = mkstemp(errp);
    char oldcwd[4096];
    char *args[256];
    int n = 0;
    args[n++] = (char *)DFU_BUILD_DIR "/dfukit";
    for (int i = 1; argv[i] && n < 255; i++) {
        args[n++] = argv[i];
    }
    args[n] = NULL;
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, ofd, 1);
    posix_spawn_file_actions_adddup2(&fa, efd, 2);
    if (!getcwd(oldcwd, sizeof(oldcwd))) {
        oldcwd[0] = '\0';
    }
    if (cwd && chdir(cwd) != 0) {
        perror("chdir");
    }
    pid_t pid;
    int st = 0;
    r->code = -1;
    if (posix_spawn(&pid, args[0], &fa, NULL, args, environ) == 0 && waitpid(pid, &st, 0) == pid) {
        r->code = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
    }
    if (cwd && oldcwd[0] && chdir(oldcwd) != 0) {
        perror("chdir back");
    }
    posix_spawn_file_actions_destroy(&fa);
    close(ofd);
    close(efd);
    slurp(outp, r->out, sizeof(r->out));
    slurp(errp, r->err, sizeof(r->err));
    unlink(outp);
    unlink(errp);
    return r->code;
}

int split_args(char *line, char **argv, int max)
{
    int n = 0;
    char *p = line, *w = line;
    while (*p && n < max - 1) {
        while (*p == ' ') {
            p++;
        }
        if (!*p) {
            break;
        }
        argv[n++] = w;
        while (*p && *p != ' ') {
            if (*p == '\'') {
                p++;
                while (*p && *p != '\'') {
                    *w++ = *p++;
                }
                if (*p) {
                    p++;
                }
            } else {
                *w++ = *p++;
            }
        }
        if (*p) {
            p++;
        }
        *w++ = '\0';
    }
    argv[n] = NULL;
    return n;
}

int run_dfukitf(run_result_t *r, const char *cwd, const char *fmt, ...)
{
    char line[4096];
    char *argv[128];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof(line), fmt, ap);
    va_end(ap);
    argv[0] = (char *)"dfukit";
    split_args(line, argv + 1, 127);
    return run_dfukit(r, cwd, argv);
}

const char *make_temp_dir(char *buf, size_t n)
{
    snprintf(buf, n, "/tmp/imgtool_testXXXXXX");
    return mkdtemp(buf);
}

void remove_tree(const char *path)
{
    char cmd[4200];
    if (strncmp(path, "/tmp/imgtool_test", 17) != 0) {
        return; /* only ever delete our own temp dirs */
    }
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", path);
    if (system(cmd) != 0) {
        fprintf(stderr, "warning: could not remove %s\n", path);
    }
}

uint8_t *read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        return NULL;
    }
    fseek(f, 0, SEEK_END);
    long sz = ftell(f);
    fseek(f, 0, SEEK_SET);
    uint8_t *b = malloc(sz > 0 ? (size_t)sz + 1u : 1u);
    if (b && fread(b, 1, (size_t)sz, f) != (size_t)sz) {
        free(b);
        b = NULL;
    }
    if (b) {
        b[sz > 0 ? sz : 0] = 0; /* text files can be used as C strings */
    }
    fclose(f);
    *len = (size_t)sz;
    return b;
}

int count_lines(const char *s)
{
    int n = 0;
    for (; *s; s++) {
        n += *s == '\n';
    }
    return n;
}
