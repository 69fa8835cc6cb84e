/* Growable buffers, diagnostics and whole-file I/O for the host image tool. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dfu_imgtool.h"

int dfu_imgtool_fail(dfu_imgtool_diag_t *diag, int err, const char *fmt, ...)
{
    if (diag) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(diag->msg, sizeof(diag->msg), fmt, ap);
        va_end(ap);
    }
    return err;
}

static int buf_reserve(dfu_imgtool_buf_t *b, size_t extra)
{
    if (b->len + extra < b->len) {
        return DFU_ERR_NOMEM;
    }
    if (b->len + extra <= b->cap) {
        return DFU_OK;
    }
    size_t cap = b->cap ? b->cap : 256;
    while (cap < b->len + extra) {
        cap *= 2;
    }
    uint8_t *p = realloc(b->data, cap);
    if (!p) {
        return DFU_ERR_NOMEM;
    }
    b->data = p;
    b->cap = cap;
    return DFU_OK;
}

int dfu_imgtool_buf_append(dfu_imgtool_buf_t *b, const void *data, size_t n)
{
    int rc = buf_reserve(b, n + 1);
    if (rc) {
        return rc;
    }
    if (n) {
        memcpy(b->data + b->len, data, n);
    }
    b->len += n;
    b->data[b->len] = 0; /* keeps text buffers NUL-terminated */
    return DFU_OK;
}

int dfu_imgtool_buf_fill(dfu_imgtool_buf_t *b, uint8_t v, size_t n)
{
    int rc = buf_reserve(b, n + 1);
    if (rc) {
        return rc;
    }
    memset(b->data + b->len, v, n);
    b->len += n;
    b->data[b->len] = 0;
    return DFU_OK;
}

int dfu_imgtool_buf_printf(dfu_imgtool_buf_t *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0) {
        return DFU_ERR_INVAL;
    }
    int rc = buf_reserve(b, (size_t)n + 1);
    if (rc) {
        return rc;
    }
    va_start(ap, fmt);
    vsnprintf((char *)b->data + b->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
    return DFU_OK;
}

void dfu_imgtool_buf_free(dfu_imgtool_buf_t *b)
{
    free(b->data);
    b->data = NULL;
    b->len = 0;
    b->cap = 0;
}

int dfu_imgtool_file_read(const char *path, const char *what, dfu_imgtool_buf_t *out,
                          dfu_imgtool_diag_t *diag)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        int e = errno;
        return dfu_imgtool_fail(diag, e == ENOENT ? DFU_ERR_NOT_FOUND : DFU_ERR_IO,
                                "cannot open %s '%s': %s; check the path", what, path, strerror(e));
    }
    uint8_t chunk[65536];
    size_t n;
    int rc = DFU_OK;
    while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0) {
        rc = dfu_imgtool_buf_append(out, chunk, n);
        if (rc) {
            break;
        }
    }
    if (!rc && ferror(f)) {
        rc = dfu_imgtool_fail(diag, DFU_ERR_IO, "read error on %s '%s'", what, path);
    }
    fclose(f);
    if (rc == DFU_ERR_NOMEM) {
        return dfu_imgtool_fail(diag, rc, "out of memory reading %s '%s'", what, path);
    }
    return rc;
}

int dfu_imgtool_file_write(const char *path, const void *data, size_t n, dfu_imgtool_diag_t *diag)
{
    if (strcmp(path, "-") == 0) {
        if (fwrite(data, 1, n, stdout) != n || fflush(stdout) != 0) {
            return dfu_imgtool_fail(diag, DFU_ERR_IO, "cannot write to standard output");
        }
        return DFU_OK;
    }
    FILE *f = fopen(path, "wb");
    if (!f) {
        return dfu_imgtool_fail(diag, DFU_ERR_IO,
                                "cannot create output file '%s': %s; check the directory exists "
                                "and is writable",
                                path, strerror(errno));
    }
    size_t w = fwrite(data, 1, n, f);
    int bad = (w != n);
    if (fclose(f) != 0) {
        bad = 1;
    }
    if (bad) {
        return dfu_imgtool_fail(diag, DFU_ERR_IO, "write error on '%s' (disk full?)", path);
    }
    return DFU_OK;
}
