/* Test harness for `dfukit sim` (see sim_harness.h). */
#include "sim_harness.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "dfukit/dfu_err.h"
#include "dfukit/dfu_smp.h"

static void sleep_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

static char h_dirs[16][256];
static int h_ndirs;

int h_tmpdir(char *dir, size_t cap, const char *tag)
{
    snprintf(dir, cap, "/tmp/dfusim_%s_XXXXXX", tag);
    if (mkdtemp(dir) == NULL) {
        return -1;
    }
    if (h_ndirs < 16) {
        snprintf(h_dirs[h_ndirs++], sizeof(h_dirs[0]), "%s", dir);
    }
    return 0;
}

void h_cleanup(int failed)
{
    for (int i = 0; i < h_ndirs; i++) {
        char cmd[sizeof(h_dirs[0]) + 16];
        snprintf(cmd, sizeof(cmd), "rm -rf '%.*s'", (int)sizeof(h_dirs[0]), h_dirs[i]);
        if (!failed && strncmp(h_dirs[i], "/tmp/dfusim_", 12) == 0 && system(cmd) != 0) {
            fprintf(stderr, "could not remove %s\n", h_dirs[i]);
        }
    }
    if (failed && h_ndirs > 0) {
        fprintf(stderr, "test files kept in /tmp/dfusim_* for inspection\n");
    }
    h_ndirs = 0;
}

uint8_t *h_read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        return NULL;
    }
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    uint8_t *b = malloc((size_t)n + 1);
    if (b != NULL && fread(b, 1, (size_t)n, f) != (size_t)n) {
        free(b);
        b = NULL;
    }
    fclose(f);
    if (b != NULL) {
        b[n] = 0;
        *len = (size_t)n;
    }
    return b;
}

static int count_in(const char *path, const char *needle)
{
    size_t n = 0;
    char *t = (char *)h_read_file(path, &n);
    if (t == NULL) {
        return 0;
    }
    int c = 0;
    for (char *p = strstr(t, needle); p != NULL; p = strstr(p + 1, needle)) {
        c++;
    }
    free(t);
    return c;
}

int h_log_count(const simproc_t *p, const char *needle)
{
    return count_in(p->log, needle);
}

int h_log_last(const simproc_t *p, const char *needle, char *out, size_t cap)
{
    size_t n = 0;
    char *t = (char *)h_read_file(p->log, &n);
    if (t == NULL) {
        return -1;
    }
    char *last = NULL;
    for (char *q = strstr(t, needle); q != NULL; q = strstr(q + 1, needle)) {
        last = q;
    }
    int rc = -1;
    if (last != NULL) {
        while (last > t && last[-1] != '\n') {
            last--;
        }
        size_t k = strcspn(last, "\n");
        snprintf(out, cap, "%.*s", (int)k, last);
        rc = 0;
    }
    free(t);
    return rc;
}

int h_wait_log(const simproc_t *p, const char *needle, int count, int timeout_ms)
{
    for (int t = 0; t <= timeout_ms; t += 10) {
        if (count_in(p->log, needle) >= count) {
            return 0;
        }
        sleep_ms(10);
    }
    fprintf(stderr, "timeout waiting for %d x '%s' in %s\n", count, needle, p->log);
    return -1;
}

int h_wait_exit(simproc_t *p, int timeout_ms)
{
    if (p->pid <= 0) {
        return -1;
    }
    for (int t = 0; t <= timeout_ms; t += 5) {
        int st;
        pid_t r = waitpid(p->pid, &st, WNOHANG);
        if (r == p->pid) {
            p->pid = 0;
            return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
        }
        sleep_ms(5);
    }
    return -1;
}

int h_stop(simproc_t *p)
{
    if (p->pid <= 0) {
        return -1;
    }
    kill(p->pid, SIGTERM);
    int rc = h_wait_exit(p, 5000);
    if (rc < 0) {
        h_kill9(p);
    }
    return rc;
}

void h_kill9(simproc_t *p)
{
    if (p->pid > 0) {
        kill(p->pid, SIGKILL);
        waitpid(p->pid, NULL, 0);
        p->pid = 0;
    }
}

int h_spawn(simproc_t *p, const char *dir, const char *tag, const char *flash, int listeners,
            const char *const *args)
{
    memset(p, 0, sizeof(*p));
    snprintf(p->dir, sizeof(p->dir), "%s", dir);
    snprintf(p->log, sizeof(p->log), "%s/%s.log", dir, tag);
    snprintf(p->out, sizeof(p->out), "%s/%s.out", dir, tag);
    unlink(p->log);
    const char *argv[64];
    int n = 0;
    argv[n++] = DFU_BUILD_DIR "/dfukit";
    argv[n++] = "sim";
    argv[n++] = "--flash";
    argv[n++] = flash;
    argv[n++] = "--log";
    argv[n++] = p->log;
    for (int i = 0; args != NULL && args[i] != NULL && n < 62; i++) {
        argv[n++] = args[i];
    }
    argv[n] = NULL;
    pid_t pid = fork();
    if (pid < 0) {
        return -1;
    }
    if (pid == 0) {
        int fd = open(p->out, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        if (fd >= 0) {
            dup2(fd, 1);
            close(fd);
        }
        execv(argv[0], (char *const *)argv);
        _exit(127);
    }
    p->pid = pid;
    for (int t = 0; t < 10000; t += 10) {
        if (count_in(p->out, "sim: listening") >= listeners) {
            size_t len = 0;
            char *o = (char *)h_read_file(p->out, &len);
            char *u = o != NULL ? strstr(o, "listening udp=") : NULL;
            if (u != NULL) {
                char *nl = strchr(u, '\n');
                if (nl != NULL) {
                    *nl = '\0';
                }
                char *c = strrchr(u, ':');
                p->udp_port = c != NULL ? (uint16_t)atoi(c + 1) : 0;
            }
            free(o);
            return 0;
        }
        int st;
        if (waitpid(pid, &st, WNOHANG) == pid) {
            p->pid = 0;
            fprintf(stderr, "sim exited early (status %d), log %s\n", st, p->log);
            return -1;
        }
        sleep_ms(10);
    }
    h_kill9(p);
    return -1;
}

int h_make_image(const char *out, const char *version, const char *desc, size_t payload_len,
                 unsigned seed)
{
    return h_make_image_key(out, version, desc, payload_len, seed, NULL);
}

int h_make_image_key(const char *out, const char *version, const char *desc, size_t payload_len,
                     unsigned seed, const char *key)
{
    char bin[300];
    snprintf(bin, sizeof(bin), "%s.bin", out);
    FILE *f = fopen(bin, "wb");
    if (f == NULL) {
        return -1;
    }
    uint32_t x = seed * 2654435761u + 1u;
    for (size_t i = 0; i < payload_len; i++) {
        x = x * 1103515245u + 12345u;
        fputc((int)(x >> 16) & 0xff, f);
    }
    fclose(f);
    char cmd[1200];
    snprintf(cmd, sizeof(cmd),
             "'%s/dfukit' image sign -H 0x200 --pad-header --align 4 -S 0x32000 -v %s %s%s%s "
             "%s%s%s '%s' '%s' >/dev/null",
             DFU_BUILD_DIR, version, desc != NULL ? "--sim-app '" : "", desc != NULL ? desc : "",
             desc != NULL ? "'" : "", key != NULL ? "-k '" : "", key != NULL ? key : "",
             key != NULL ? "'" : "", bin, out);
    return system(cmd) == 0 ? 0 : -1;
}

/* ---- SMP ------------------------------------------------------------------------------------ */

static uint8_t smp_seq;

cbor_item_t *smp_get(cbor_item_t *map, const char *key)
{
    if (map == NULL || !cbor_isa_map(map)) {
        return NULL;
    }
    struct cbor_pair *pr = cbor_map_handle(map);
    size_t klen = strlen(key);
    for (size_t i = 0; i < cbor_map_size(map); i++) {
        if (cbor_isa_string(pr[i].key) && cbor_string_is_definite(pr[i].key) &&
            cbor_string_length(pr[i].key) == klen &&
            memcmp(cbor_string_handle(pr[i].key), key, klen) == 0) {
            return pr[i].value;
        }
    }
    return NULL;
}

static int as_int(cbor_item_t *it)
{
    if (it == NULL) {
        return 0;
    }
    if (cbor_isa_uint(it)) {
        return (int)cbor_get_int(it);
    }
    if (cbor_isa_negint(it)) {
        return -1 - (int)cbor_get_int(it);
    }
    return 0;
}

cbor_item_t *smp_map(int pairs, ...)
{
    cbor_item_t *m = cbor_new_definite_map((size_t)pairs);
    va_list ap;
    va_start(ap, pairs);
    for (int i = 0; i < pairs; i++) {
        const char *k = va_arg(ap, const char *);
        cbor_item_t *v = va_arg(ap, cbor_item_t *);
        cbor_item_t *kk = cbor_build_string(k);
        (void)cbor_map_add(m, (struct cbor_pair){.key = kk, .value = v});
        cbor_decref(&kk);
        cbor_decref(&v);
    }
    va_end(ap);
    return m;
}

smprsp_t smp_call(dfu_link_t *l, uint8_t op, uint16_t group, uint8_t id, cbor_item_t *req,
                  int timeout_ms)
{
    smprsp_t r = {0};
    uint8_t msg[4096];
    size_t plen = 0;
    if (req != NULL) {
        plen = cbor_serialize(req, msg + 8, sizeof(msg) - 8);
    } else {
        msg[8] = 0xa0;
        plen = 1;
    }
    uint8_t seq = smp_seq++;
    dfu_smp_hdr_t h = {.op = op,
                       .version = DFU_SMP_VER2,
                       .len = (uint16_t)plen,
                       .group = group,
                       .seq = seq,
                       .id = id};
    dfu_smp_hdr_encode(&h, msg);
    int rc = dfu_link_send(l, msg, 8 + plen);
    if (rc < 0) {
        r.status = rc;
        return r;
    }
    static uint8_t in[70000];
    for (;;) {
        int n = dfu_link_recv(l, in, sizeof(in), timeout_ms);
        if (n < 0) {
            r.status = n;
            return r;
        }
        dfu_smp_hdr_t rh;
        if (n < 8 || dfu_smp_hdr_decode(in, (size_t)n, &rh) < 0 || rh.seq != seq ||
            rh.group != group || rh.id != id) {
            continue; /* stale response of an earlier, timed-out request */
        }
        struct cbor_load_result res;
        r.map = cbor_load(in + 8, (size_t)n - 8, &res);
        if (r.map == NULL) {
            r.status = DFU_ERR_BAD_CBOR;
            return r;
        }
        r.rc = as_int(smp_get(r.map, "rc"));
        cbor_item_t *e = smp_get(r.map, "err");
        if (e != NULL) {
            r.err_rc = as_int(smp_get(e, "rc"));
        }
        return r;
    }
}

void smp_free(smprsp_t *r)
{
    if (r->map != NULL) {
        cbor_decref(&r->map);
    }
}

int smp_echo(dfu_link_t *l, const char *text, int timeout_ms)
{
    cbor_item_t *m = smp_map(1, "d", cbor_build_string(text));
    smprsp_t r = smp_call(l, DFU_SMP_OP_WRITE, 0, 0, m, timeout_ms);
    cbor_decref(&m);
    int rc = r.status;
    if (rc == 0) {
        cbor_item_t *v = smp_get(r.map, "r");
        rc = (v != NULL && cbor_isa_string(v) && cbor_string_length(v) == strlen(text) &&
              memcmp(cbor_string_handle(v), text, strlen(text)) == 0)
                 ? 0
                 : (r.rc ? r.rc : 1000 + r.err_rc);
    }
    smp_free(&r);
    return rc;
}

int smp_upload(dfu_link_t *l, const uint8_t *img, size_t len, size_t start, size_t chunk,
               int timeout_ms, size_t *next)
{
    return smp_upload_range(l, img, len, start, len, chunk, timeout_ms, next);
}

int smp_upload_range(dfu_link_t *l, const uint8_t *img, size_t len, size_t start, size_t end,
                     size_t chunk, int timeout_ms, size_t *next)
{
    size_t off = start;
    int retries = 0;
    *next = off;
    while (off < end) {
        size_t n = end - off < chunk ? end - off : chunk;
        cbor_item_t *m;
        if (off == 0) {
            m = smp_map(4, "image", cbor_build_uint8(0), "len", cbor_build_uint32((uint32_t)len),
                        "off", cbor_build_uint32(0), "data", cbor_build_bytestring(img, n));
        } else {
            m = smp_map(2, "off", cbor_build_uint32((uint32_t)off), "data",
                        cbor_build_bytestring(img + off, n));
        }
        smprsp_t r = smp_call(l, DFU_SMP_OP_WRITE, 1, 1, m, timeout_ms);
        cbor_decref(&m);
        if (r.status == DFU_ERR_TIMEOUT && retries < 3) {
            retries++;
            continue;
        }
        if (r.status < 0 || r.rc != 0 || r.err_rc != 0) {
            int rc = r.status < 0 ? r.status : r.rc ? r.rc : 1000 + r.err_rc;
            smp_free(&r);
            return rc;
        }
        retries = 0;
        cbor_item_t *o = smp_get(r.map, "off");
        off = o != NULL ? (size_t)as_int(o) : off + n;
        *next = off;
        smp_free(&r);
    }
    return 0;
}

static bool as_bool(cbor_item_t *it)
{
    return it != NULL && cbor_isa_float_ctrl(it) && cbor_get_bool(it);
}

int smp_state(dfu_link_t *l, smpstate_t *st, int timeout_ms)
{
    memset(st, 0, sizeof(*st));
    smprsp_t r = smp_call(l, DFU_SMP_OP_READ, 1, 0, NULL, timeout_ms);
    if (r.status < 0) {
        return r.status;
    }
    cbor_item_t *imgs = smp_get(r.map, "images");
    if (imgs == NULL || !cbor_isa_array(imgs)) {
        smp_free(&r);
        return -1;
    }
    for (size_t i = 0; i < cbor_array_size(imgs); i++) {
        cbor_item_t *e = cbor_array_handle(imgs)[i];
        int slot = as_int(smp_get(e, "slot"));
        if (slot < 0 || slot > 1) {
            continue;
        }
        cbor_item_t *h = smp_get(e, "hash");
        if (h != NULL && cbor_isa_bytestring(h) && cbor_bytestring_length(h) == 32) {
            memcpy(st->hash[slot], cbor_bytestring_handle(h), 32);
        }
        cbor_item_t *v = smp_get(e, "version");
        if (v != NULL && cbor_isa_string(v) && cbor_string_length(v) < 32) {
            memcpy(st->version[slot], cbor_string_handle(v), cbor_string_length(v));
        }
        st->active[slot] = as_bool(smp_get(e, "active"));
        st->confirmed[slot] = as_bool(smp_get(e, "confirmed"));
        st->pending[slot] = as_bool(smp_get(e, "pending"));
        st->n++;
    }
    smp_free(&r);
    return st->n;
}

int smp_test(dfu_link_t *l, const uint8_t hash[32], int timeout_ms)
{
    cbor_item_t *m =
        smp_map(2, "hash", cbor_build_bytestring(hash, 32), "confirm", cbor_build_bool(false));
    smprsp_t r = smp_call(l, DFU_SMP_OP_WRITE, 1, 0, m, timeout_ms);
    cbor_decref(&m);
    int rc = r.status < 0 ? r.status : r.rc ? r.rc : r.err_rc ? 1000 + r.err_rc : 0;
    smp_free(&r);
    return rc;
}

int smp_reset(dfu_link_t *l, int timeout_ms)
{
    smprsp_t r = smp_call(l, DFU_SMP_OP_WRITE, 0, 5, NULL, timeout_ms);
    int rc = r.status < 0 ? r.status : r.rc ? r.rc : r.err_rc ? 1000 + r.err_rc : 0;
    smp_free(&r);
    return rc;
}
