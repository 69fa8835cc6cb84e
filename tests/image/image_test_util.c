/* Host helpers for the image tests. */
#include "image_test_util.h"

#include "dfukit/dfu_err.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

uint8_t *tu_read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        return NULL;
    }
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    uint8_t *buf = malloc(n > 0 ? (size_t)n : 1);
    if (buf && fread(buf, 1, (size_t)n, f) != (size_t)n) {
        free(buf);
        buf = NULL;
    }
    fclose(f);
    *len = (size_t)n;
    return buf;
}

static int b64val(int c)
{
    if (c >= 'A' && c <= 'Z')
        return c - 'A';
    if (c >= 'a' && c <= 'z')
        return c - 'a' + 26;
    if (c >= '0' && c <= '9')
        return c - '0' + 52;
    if (c == '+')
        return 62;
    if (c == '/')
        return 63;
    return -1;
}

uint8_t *tu_read_pem(const char *path, size_t *len)
{
    size_t n;
    char *txt = (char *)tu_read_file(path, &n);
    if (!txt) {
        return NULL;
    }
    uint8_t *out = malloc(n);
    size_t o = 0;
    unsigned acc = 0;
    int bits = 0;
    char *p = strstr(txt, "-----\n");
    char *end = p ? strstr(p + 6, "-----END") : NULL;
    for (p = p ? p + 6 : txt; p && p < end; p++) {
        int v = b64val(*p);
        if (v < 0) {
            continue;
        }
        acc = (acc << 6) | (unsigned)v;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out[o++] = (uint8_t)(acc >> bits);
        }
    }
    free(txt);
    *len = o;
    return out;
}

int tu_hex2bin(const char *hex, uint8_t *out, size_t cap)
{
    size_t n = strlen(hex);
    if (n % 2 || n / 2 > cap) {
        return -1;
    }
    for (size_t i = 0; i < n / 2; i++) {
        unsigned v;
        if (sscanf(hex + 2 * i, "%2x", &v) != 1) {
            return -1;
        }
        out[i] = (uint8_t)v;
    }
    return (int)(n / 2);
}

uint8_t *tu_read_ihex(const char *path, size_t *len)
{
    FILE *f = fopen(path, "r");
    char line[600];
    uint32_t upper = 0, lo = UINT32_MAX, hi = 0;
    uint8_t *img = NULL;
    if (!f) {
        return NULL;
    }
    /* Two passes: extent, then data. */
    for (int pass = 0; pass < 2; pass++) {
        rewind(f);
        upper = 0;
        while (fgets(line, sizeof(line), f)) {
            uint8_t rec[300];
            line[strcspn(line, "\r\n")] = 0;
            if (line[0] != ':' || tu_hex2bin(line + 1, rec, sizeof(rec)) < 5) {
                continue;
            }
            uint32_t addr = upper + (uint32_t)((rec[1] << 8) | rec[2]);
            if (rec[3] == 4) {
                upper = (uint32_t)((rec[4] << 8) | rec[5]) << 16;
            } else if (rec[3] == 0 && pass == 0) {
                lo = addr < lo ? addr : lo;
                hi = addr + rec[0] > hi ? addr + rec[0] : hi;
            } else if (rec[3] == 0) {
                memcpy(img + (addr - lo), rec + 4, rec[0]);
            }
        }
        if (pass == 0) {
            if (lo >= hi) {
                fclose(f);
                return NULL;
            }
            img = malloc(hi - lo);
            memset(img, 0xff, hi - lo);
        }
    }
    fclose(f);
    *len = hi - lo;
    return img;
}

char *tu_run(const char *fmt, ...)
{
    char cmd[2048];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(cmd, sizeof(cmd), fmt, ap);
    va_end(ap);
    FILE *p = popen(cmd, "r");
    if (!p) {
        return NULL;
    }
    size_t cap = 4096, n = 0;
    char *out = malloc(cap);
    size_t r;
    while ((r = fread(out + n, 1, cap - n - 1, p)) > 0) {
        n += r;
        if (cap - n < 2) {
            cap *= 2;
            out = realloc(out, cap);
        }
    }
    pclose(p);
    while (n > 0 && out[n - 1] == '\n') {
        n--;
    }
    out[n] = 0;
    return out;
}

static int tu_read(void *ctx, uint32_t off, void *buf, size_t len)
{
    tu_reader_t *r = ctx;
    r->reads++;
    if ((uint64_t)off + len > r->len) {
        r->oob = 1;
        return DFU_ERR_RANGE;
    }
    memcpy(buf, r->buf + off, len);
    return 0;
}

void tu_reader_init(tu_reader_t *r, const uint8_t *buf, uint32_t len, int mapped)
{
    memset(r, 0, sizeof(*r));
    r->buf = buf;
    r->len = len;
    r->rd.read = tu_read;
    r->rd.ctx = r;
    r->rd.size = len;
    r->rd.mem = mapped ? buf : NULL;
}
