/*
 * CBOR writer of dfu_cbor.h (RFC 8949): item heads in their shortest form (RFC 8949 §4.2.1, the
 * bytes libcbor's cbor_encode_* produce), strings, raw bytes. An item either fits whole or leaves
 * the buffer untouched and sets the sticky DFU_ERR_NOMEM. No heap, no globals.
 */
#include "dfukit/dfu_cbor.h"

#include <string.h>

#include "dfukit/dfu_err.h"

/* Major types (RFC 8949 §3.1) and the one-byte items of major type 7. */
enum {
    MT_UINT = 0,
    MT_NINT = 1,
    MT_BSTR = 2,
    MT_TSTR = 3,
    MT_ARRAY = 4,
    MT_MAP = 5,
    CB_FALSE = 0xf4,
    CB_TRUE = 0xf5,
    CB_NULL = 0xf6,
    CB_ARRAY_INDEF = 0x9f,
    CB_MAP_INDEF = 0xbf,
    CB_BREAK = 0xff,
};

void dfu_cbor_writer_init(dfu_cbor_writer_t *w, uint8_t *buf, size_t cap)
{
    w->buf = buf;
    w->cap = cap;
    w->len = 0;
    w->err = 0;
}

/* Claims head + body bytes (head >= 1); NULL (sticky NOMEM) if they do not fit or an earlier
 * put failed. */
static uint8_t *reserve(dfu_cbor_writer_t *w, size_t head, size_t body)
{
    if (w->err != 0) {
        return NULL;
    }
    size_t room = w->cap - w->len;
    if (room < head || room - head < body) {
        w->err = DFU_ERR_NOMEM;
        return NULL;
    }
    uint8_t *p = w->buf + w->len;
    w->len += head + body;
    return p;
}

/* Size of the shortest head carrying argument v: 1, 2, 3, 5 or 9 bytes. */
static size_t head_size(uint64_t v)
{
    if (v < 24u) {
        return 1;
    }
    if (v <= 0xffu) {
        return 2;
    }
    if (v <= 0xffffu) {
        return 3;
    }
    return v <= 0xffffffffu ? 5 : 9;
}

/* Writes the head (major, v) of `n` = head_size(v) bytes at p. */
static void write_head(uint8_t *p, unsigned major, uint64_t v, size_t n)
{
    /* additional info 24/25/26/27 = 1/2/4/8 argument bytes follow */
    unsigned ai = n == 1 ? (unsigned)v : n == 2 ? 24u : n == 3 ? 25u : n == 5 ? 26u : 27u;
    p[0] = (uint8_t)((major << 5) | ai);
    for (size_t i = n - 1; i > 0; i--) {
        p[i] = (uint8_t)v; /* big-endian argument */
        v >>= 8;
    }
}

static bool put_head(dfu_cbor_writer_t *w, unsigned major, uint64_t v)
{
    size_t n = head_size(v);
    uint8_t *p = reserve(w, n, 0);
    if (p == NULL) {
        return false;
    }
    write_head(p, major, v, n);
    return true;
}

static bool put_byte(dfu_cbor_writer_t *w, uint8_t b)
{
    uint8_t *p = reserve(w, 1, 0);
    if (p == NULL) {
        return false;
    }
    *p = b;
    return true;
}

bool dfu_cbor_put_map(dfu_cbor_writer_t *w, size_t pairs)
{
    return put_head(w, MT_MAP, pairs);
}

bool dfu_cbor_put_map_indef(dfu_cbor_writer_t *w)
{
    return put_byte(w, CB_MAP_INDEF);
}

bool dfu_cbor_put_array(dfu_cbor_writer_t *w, size_t items)
{
    return put_head(w, MT_ARRAY, items);
}

bool dfu_cbor_put_array_indef(dfu_cbor_writer_t *w)
{
    return put_byte(w, CB_ARRAY_INDEF);
}

bool dfu_cbor_put_break(dfu_cbor_writer_t *w)
{
    return put_byte(w, CB_BREAK);
}

bool dfu_cbor_put_uint(dfu_cbor_writer_t *w, uint64_t v)
{
    return put_head(w, MT_UINT, v);
}

bool dfu_cbor_put_int(dfu_cbor_writer_t *w, int64_t v)
{
    if (v >= 0) {
        return put_head(w, MT_UINT, (uint64_t)v);
    }
    /* CBOR negative integers carry -1 - v, computed without overflow for INT64_MIN. */
    return put_head(w, MT_NINT, (uint64_t)(-(v + 1)));
}

bool dfu_cbor_put_bool(dfu_cbor_writer_t *w, bool v)
{
    return put_byte(w, v ? CB_TRUE : CB_FALSE);
}

bool dfu_cbor_put_null(dfu_cbor_writer_t *w)
{
    return put_byte(w, CB_NULL);
}

/* Head and payload, all or nothing. */
static bool put_string(dfu_cbor_writer_t *w, unsigned major, const void *s, size_t len)
{
    size_t n = head_size(len);
    uint8_t *p = reserve(w, n, len);
    if (p == NULL) {
        return false;
    }
    write_head(p, major, len, n);
    if (len > 0) {
        memcpy(p + n, s, len);
    }
    return true;
}

bool dfu_cbor_put_tstr(dfu_cbor_writer_t *w, const char *s, size_t len)
{
    return put_string(w, MT_TSTR, s, len);
}

bool dfu_cbor_put_str(dfu_cbor_writer_t *w, const char *s)
{
    return put_string(w, MT_TSTR, s, strlen(s));
}

bool dfu_cbor_put_bstr(dfu_cbor_writer_t *w, const uint8_t *b, size_t len)
{
    return put_string(w, MT_BSTR, b, len);
}

bool dfu_cbor_put_tstr_head(dfu_cbor_writer_t *w, size_t len)
{
    return put_head(w, MT_TSTR, len);
}

bool dfu_cbor_put_raw(dfu_cbor_writer_t *w, const void *p, size_t len)
{
    if (w->err != 0 || w->cap - w->len < len) {
        w->err = DFU_ERR_NOMEM;
        return false;
    }
    if (len > 0) {
        memcpy(w->buf + w->len, p, len);
    }
    w->len += len;
    return true;
}
