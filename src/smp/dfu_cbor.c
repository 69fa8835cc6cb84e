/*
 * Typed CBOR layer over libcbor: buffer encoders for output, the streaming decoder for input.
 * libcbor's item API (cbor_load, cbor_new_*) allocates and is not used here.
 */
#include "dfukit/dfu_cbor.h"

#include <string.h>

#include <cbor/callbacks.h>
#include <cbor/encoding.h>
#include <cbor/streaming.h>

#include "dfukit/dfu_err.h"

/* ==== Writer ================================================================================ */

void dfu_cbor_writer_init(dfu_cbor_writer_t *w, uint8_t *buf, size_t cap)
{
    w->buf = buf;
    w->cap = cap;
    w->len = 0;
    w->err = 0;
}

/* Accounts for `n` bytes just produced by a libcbor encoder (0 = did not fit). */
static bool writer_took(dfu_cbor_writer_t *w, size_t n)
{
    if (n == 0) {
        w->err = DFU_ERR_NOMEM;
        return false;
    }
    w->len += n;
    return true;
}

static unsigned char *wr_at(dfu_cbor_writer_t *w)
{
    return (unsigned char *)w->buf + w->len;
}

static size_t wr_room(const dfu_cbor_writer_t *w)
{
    return w->cap - w->len;
}

bool dfu_cbor_put_map(dfu_cbor_writer_t *w, size_t pairs)
{
    return w->err == 0 && writer_took(w, cbor_encode_map_start(pairs, wr_at(w), wr_room(w)));
}

bool dfu_cbor_put_map_indef(dfu_cbor_writer_t *w)
{
    return w->err == 0 && writer_took(w, cbor_encode_indef_map_start(wr_at(w), wr_room(w)));
}

bool dfu_cbor_put_array(dfu_cbor_writer_t *w, size_t items)
{
    return w->err == 0 && writer_took(w, cbor_encode_array_start(items, wr_at(w), wr_room(w)));
}

bool dfu_cbor_put_array_indef(dfu_cbor_writer_t *w)
{
    return w->err == 0 && writer_took(w, cbor_encode_indef_array_start(wr_at(w), wr_room(w)));
}

bool dfu_cbor_put_break(dfu_cbor_writer_t *w)
{
    return w->err == 0 && writer_took(w, cbor_encode_break(wr_at(w), wr_room(w)));
}

bool dfu_cbor_put_uint(dfu_cbor_writer_t *w, uint64_t v)
{
    return w->err == 0 && writer_took(w, cbor_encode_uint(v, wr_at(w), wr_room(w)));
}

bool dfu_cbor_put_int(dfu_cbor_writer_t *w, int64_t v)
{
    if (v >= 0) {
        return dfu_cbor_put_uint(w, (uint64_t)v);
    }
    /* CBOR negative integers carry -1 - v, computed without overflow for INT64_MIN. */
    uint64_t n = (uint64_t)(-(v + 1));
    return w->err == 0 && writer_took(w, cbor_encode_negint(n, wr_at(w), wr_room(w)));
}

bool dfu_cbor_put_bool(dfu_cbor_writer_t *w, bool v)
{
    return w->err == 0 && writer_took(w, cbor_encode_bool(v, wr_at(w), wr_room(w)));
}

bool dfu_cbor_put_null(dfu_cbor_writer_t *w)
{
    return w->err == 0 && writer_took(w, cbor_encode_null(wr_at(w), wr_room(w)));
}

/* Head from libcbor, then the payload; all-or-nothing. */
static bool put_string(dfu_cbor_writer_t *w, bool text, const void *p, size_t len)
{
    if (w->err != 0) {
        return false;
    }
    size_t h = text ? cbor_encode_string_start(len, wr_at(w), wr_room(w))
                    : cbor_encode_bytestring_start(len, wr_at(w), wr_room(w));
    if (h == 0 || wr_room(w) - h < len) {
        w->err = DFU_ERR_NOMEM;
        return false;
    }
    if (len > 0) {
        memcpy(wr_at(w) + h, p, len);
    }
    w->len += h + len;
    return true;
}

bool dfu_cbor_put_tstr(dfu_cbor_writer_t *w, const char *s, size_t len)
{
    return put_string(w, true, s, len);
}

bool dfu_cbor_put_str(dfu_cbor_writer_t *w, const char *s)
{
    return put_string(w, true, s, strlen(s));
}

bool dfu_cbor_put_bstr(dfu_cbor_writer_t *w, const uint8_t *b, size_t len)
{
    return put_string(w, false, b, len);
}

bool dfu_cbor_put_tstr_head(dfu_cbor_writer_t *w, size_t len)
{
    return w->err == 0 && writer_took(w, cbor_encode_string_start(len, wr_at(w), wr_room(w)));
}

bool dfu_cbor_put_raw(dfu_cbor_writer_t *w, const void *p, size_t len)
{
    if (w->err != 0 || wr_room(w) < len) {
        w->err = DFU_ERR_NOMEM;
        return false;
    }
    if (len > 0) {
        memcpy(wr_at(w), p, len);
    }
    w->len += len;
    return true;
}

/* ==== Reader: one item head through cbor_stream_decode ===================================== */

/* Callback sink: libcbor reports exactly one item head per cbor_stream_decode() call. */
typedef struct head_sink {
    dfu_cbor_item_t *it;
    bool got;
} head_sink_t;

static void set_item(void *ctx, dfu_cbor_type_t type, bool indef, uint64_t u)
{
    head_sink_t *s = ctx;
    s->it->type = type;
    s->it->indef = indef;
    s->it->u = u;
    s->it->ptr = NULL;
    s->it->len = 0;
    s->got = true;
}

static void cb_u8(void *c, uint8_t v)
{
    set_item(c, DFU_CBOR_UINT, false, v);
}
static void cb_u16(void *c, uint16_t v)
{
    set_item(c, DFU_CBOR_UINT, false, v);
}
static void cb_u32(void *c, uint32_t v)
{
    set_item(c, DFU_CBOR_UINT, false, v);
}
static void cb_u64(void *c, uint64_t v)
{
    set_item(c, DFU_CBOR_UINT, false, v);
}
static void cb_n8(void *c, uint8_t v)
{
    set_item(c, DFU_CBOR_NINT, false, v);
}
static void cb_n16(void *c, uint16_t v)
{
    set_item(c, DFU_CBOR_NINT, false, v);
}
static void cb_n32(void *c, uint32_t v)
{
    set_item(c, DFU_CBOR_NINT, false, v);
}
static void cb_n64(void *c, uint64_t v)
{
    set_item(c, DFU_CBOR_NINT, false, v);
}

static void set_str(void *c, dfu_cbor_type_t t, cbor_data p, size_t n)
{
    head_sink_t *s = c;
    set_item(c, t, false, 0);
    s->it->ptr = p;
    s->it->len = n;
}

static void cb_bstr(void *c, cbor_data p, size_t n)
{
    set_str(c, DFU_CBOR_BSTR, p, n);
}
static void cb_tstr(void *c, cbor_data p, size_t n)
{
    set_str(c, DFU_CBOR_TSTR, p, n);
}
static void cb_bstr_indef(void *c)
{
    set_item(c, DFU_CBOR_BSTR, true, 0);
}
static void cb_tstr_indef(void *c)
{
    set_item(c, DFU_CBOR_TSTR, true, 0);
}
static void cb_arr(void *c, size_t n)
{
    set_item(c, DFU_CBOR_ARRAY, false, n);
}
static void cb_arr_indef(void *c)
{
    set_item(c, DFU_CBOR_ARRAY, true, 0);
}
static void cb_map(void *c, size_t n)
{
    set_item(c, DFU_CBOR_MAP, false, n);
}
static void cb_map_indef(void *c)
{
    set_item(c, DFU_CBOR_MAP, true, 0);
}
static void cb_tag(void *c, uint64_t v)
{
    set_item(c, DFU_CBOR_TAG, false, v);
}
static void cb_f(void *c, float v)
{
    (void)v;
    set_item(c, DFU_CBOR_FLOAT, false, 0);
}
static void cb_d(void *c, double v)
{
    (void)v;
    set_item(c, DFU_CBOR_FLOAT, false, 0);
}
static void cb_undef(void *c)
{
    set_item(c, DFU_CBOR_UNDEF, false, 0);
}
static void cb_null(void *c)
{
    set_item(c, DFU_CBOR_NULL, false, 0);
}
static void cb_bool(void *c, bool v)
{
    set_item(c, DFU_CBOR_BOOL, false, v ? 1u : 0u);
}
static void cb_break(void *c)
{
    set_item(c, DFU_CBOR_BREAK, false, 0);
}

static const struct cbor_callbacks head_callbacks = {
    .uint8 = cb_u8,
    .uint16 = cb_u16,
    .uint32 = cb_u32,
    .uint64 = cb_u64,
    .negint8 = cb_n8,
    .negint16 = cb_n16,
    .negint32 = cb_n32,
    .negint64 = cb_n64,
    .byte_string = cb_bstr,
    .byte_string_start = cb_bstr_indef,
    .string = cb_tstr,
    .string_start = cb_tstr_indef,
    .array_start = cb_arr,
    .indef_array_start = cb_arr_indef,
    .map_start = cb_map,
    .indef_map_start = cb_map_indef,
    .tag = cb_tag,
    .float2 = cb_f,
    .float4 = cb_f,
    .float8 = cb_d,
    .undefined = cb_undef,
    .null = cb_null,
    .boolean = cb_bool,
    .indef_break = cb_break,
};

void dfu_cbor_reader_init(dfu_cbor_reader_t *r, const uint8_t *buf, size_t len)
{
    r->buf = buf;
    r->len = len;
    r->pos = 0;
}

int dfu_cbor_next(dfu_cbor_reader_t *r, dfu_cbor_item_t *it)
{
    if (r->pos >= r->len) {
        return DFU_ERR_BAD_CBOR;
    }
    size_t room = r->len - r->pos;
    head_sink_t sink = {.it = it, .got = false};
    struct cbor_decoder_result res =
        cbor_stream_decode(r->buf + r->pos, room, &head_callbacks, &sink);
    if (res.status != CBOR_DECODER_FINISHED || !sink.got || res.read == 0 || res.read > room) {
        return DFU_ERR_BAD_CBOR;
    }
    /* Do not trust the decoder's length arithmetic (32-bit size_t): re-check string bounds. */
    if ((it->type == DFU_CBOR_BSTR || it->type == DFU_CBOR_TSTR) && !it->indef) {
        const uint8_t *end = r->buf + r->len;
        if (it->ptr < r->buf + r->pos || it->ptr > end || it->len > (size_t)(end - it->ptr)) {
            return DFU_ERR_BAD_CBOR;
        }
    }
    r->pos += res.read;
    return 0;
}

/* ==== Reader: skipping with an explicit stack ============================================== */

/* Remaining-item counter of one open container; `indef` ones end at BREAK. A string counter
 * only accepts chunks of its own major type. */
typedef struct skip_level {
    uint64_t left;
    bool indef;
    bool chunks; /* indefinite string: only definite chunks of `chunk_type` allowed */
    dfu_cbor_type_t chunk_type;
} skip_level_t;

/* Pushes the container opened by `it`, if it is one; returns 1 if pushed, 0 if scalar, <0 err. */
static int skip_push(skip_level_t *st, unsigned *top, const dfu_cbor_item_t *it, size_t remain)
{
    bool str = (it->type == DFU_CBOR_BSTR || it->type == DFU_CBOR_TSTR) && it->indef;
    bool cont = it->type == DFU_CBOR_ARRAY || it->type == DFU_CBOR_MAP;
    if (it->type == DFU_CBOR_TAG) {
        cont = true; /* a tag wraps exactly one item */
    }
    if (!str && !cont) {
        return 0;
    }
    if (*top >= DFU_CBOR_MAX_DEPTH) {
        return DFU_ERR_BAD_CBOR;
    }
    skip_level_t *l = &st[*top];
    l->indef = it->indef;
    l->chunks = str;
    l->chunk_type = it->type;
    l->left = it->type == DFU_CBOR_TAG ? 1u : it->u;
    if (!it->indef && it->type == DFU_CBOR_MAP) {
        /* Every item is at least one byte: a count beyond the input is malformed. */
        if (it->u > remain / 2u) {
            return DFU_ERR_BAD_CBOR;
        }
        l->left = it->u * 2u;
    } else if (!it->indef && l->left > remain) {
        return DFU_ERR_BAD_CBOR;
    }
    (*top)++;
    return 1;
}

int dfu_cbor_skip_rest(dfu_cbor_reader_t *r, const dfu_cbor_item_t *it, unsigned depth)
{
    skip_level_t st[DFU_CBOR_MAX_DEPTH];
    unsigned top = 0;
    if (depth == 0 || depth > DFU_CBOR_MAX_DEPTH) {
        return DFU_ERR_BAD_CBOR;
    }
    unsigned base = depth - 1u; /* levels already open above `it` */
    if (it->type == DFU_CBOR_BREAK) {
        return DFU_ERR_BAD_CBOR;
    }
    int rc = skip_push(st, &top, it, r->len - r->pos);
    if (rc <= 0) {
        return rc;
    }
    if (base + top > DFU_CBOR_MAX_DEPTH) {
        return DFU_ERR_BAD_CBOR;
    }
    while (top > 0) {
        skip_level_t *l = &st[top - 1u];
        if (!l->indef && l->left == 0) {
            top--;
            continue;
        }
        dfu_cbor_item_t sub;
        rc = dfu_cbor_next(r, &sub);
        if (rc != 0) {
            return rc;
        }
        if (sub.type == DFU_CBOR_BREAK) {
            if (!l->indef) {
                return DFU_ERR_BAD_CBOR;
            }
            /* A map broken after a key only (odd count) is malformed. */
            if (l->chunk_type == DFU_CBOR_MAP && (l->left & 1u) != 0) {
                return DFU_ERR_BAD_CBOR;
            }
            top--;
            continue;
        }
        if (l->chunks && (sub.type != l->chunk_type || sub.indef)) {
            return DFU_ERR_BAD_CBOR;
        }
        if (l->indef) {
            l->left++; /* counts items, only parity matters for maps */
        } else {
            l->left--;
        }
        rc = skip_push(st, &top, &sub, r->len - r->pos);
        if (rc < 0 || base + top > DFU_CBOR_MAX_DEPTH) {
            return DFU_ERR_BAD_CBOR;
        }
    }
    return 0;
}

/* ==== Reader: key tables ==================================================================== */

bool dfu_cbor_str_eq(const dfu_cbor_str_t *a, const char *s)
{
    size_t n = strlen(s);
    return a->len == n && (n == 0 || memcmp(a->ptr, s, n) == 0);
}

static int find_key(const dfu_cbor_key_t *keys, size_t nkeys, const dfu_cbor_item_t *k)
{
    dfu_cbor_str_t ks = {k->ptr, k->len};
    for (size_t i = 0; i < nkeys; i++) {
        if (dfu_cbor_str_eq(&ks, keys[i].name)) {
            return (int)i;
        }
    }
    return -1;
}

/* Stores value `v` for `key`; returns 1 stored, 0 treated as absent (null), <0 type error. */
static int store_value(const dfu_cbor_key_t *key, const dfu_cbor_item_t *v)
{
    if (v->type == DFU_CBOR_NULL && (key->flags & DFU_CBOR_NULLABLE) != 0) {
        return 0;
    }
    switch (key->want) {
    case DFU_CBOR_WANT_UINT:
        if (v->type != DFU_CBOR_UINT) {
            return DFU_ERR_BAD_CBOR;
        }
        *(uint64_t *)key->dst = v->u;
        return 1;
    case DFU_CBOR_WANT_INT:
        if ((v->type != DFU_CBOR_UINT && v->type != DFU_CBOR_NINT) || v->u > (uint64_t)INT64_MAX) {
            return DFU_ERR_BAD_CBOR;
        }
        *(int64_t *)key->dst = v->type == DFU_CBOR_UINT ? (int64_t)v->u : -1 - (int64_t)v->u;
        return 1;
    case DFU_CBOR_WANT_BOOLISH:
    case DFU_CBOR_WANT_BOOL:
        if (key->want == DFU_CBOR_WANT_BOOLISH &&
            (v->type == DFU_CBOR_UINT || v->type == DFU_CBOR_NINT)) {
            *(bool *)key->dst = v->type == DFU_CBOR_NINT || v->u != 0;
            return 1;
        }
        if (v->type != DFU_CBOR_BOOL) {
            return DFU_ERR_BAD_CBOR;
        }
        *(bool *)key->dst = v->u != 0;
        return 1;
    case DFU_CBOR_WANT_TSTR:
    case DFU_CBOR_WANT_BSTR: {
        dfu_cbor_type_t t = key->want == DFU_CBOR_WANT_TSTR ? DFU_CBOR_TSTR : DFU_CBOR_BSTR;
        if (v->type != t || v->indef) {
            return DFU_ERR_BAD_CBOR;
        }
        dfu_cbor_str_t *s = key->dst;
        s->ptr = v->ptr;
        s->len = v->len;
        return 1;
    }
    }
    return DFU_ERR_BAD_CBOR;
}

/* Handles one key/value pair whose key head `k` was read; updates *found. */
static int decode_pair(dfu_cbor_reader_t *r, const dfu_cbor_item_t *k, const dfu_cbor_key_t *keys,
                       size_t nkeys, uint32_t *found)
{
    int idx = -1;
    if (k->type == DFU_CBOR_TSTR && !k->indef) {
        idx = find_key(keys, nkeys, k);
    } else {
        /* Non-text keys are legal CBOR but never ours: skip the key item itself. */
        int rc = dfu_cbor_skip_rest(r, k, 2);
        if (rc != 0) {
            return rc;
        }
    }
    dfu_cbor_item_t v;
    int rc = dfu_cbor_next(r, &v);
    if (rc != 0 || v.type == DFU_CBOR_BREAK) {
        return DFU_ERR_BAD_CBOR;
    }
    if (idx < 0) {
        return dfu_cbor_skip_rest(r, &v, 2);
    }
    uint32_t bit = 1u << (unsigned)idx;
    if ((*found & bit) != 0) {
        return DFU_ERR_BAD_CBOR; /* duplicate key */
    }
    rc = store_value(&keys[idx], &v);
    if (rc < 0) {
        return rc;
    }
    if (rc == 0) {
        /* null accepted as absent; still mark seen to refuse a later duplicate */
        return dfu_cbor_skip_rest(r, &v, 2);
    }
    *found |= bit;
    return 0;
}

int dfu_cbor_decode_map(const uint8_t *buf, size_t len, const dfu_cbor_key_t *keys, size_t nkeys,
                        uint32_t *found)
{
    uint32_t seen = 0;
    if (found != NULL) {
        *found = 0;
    }
    if (nkeys > 32) {
        return DFU_ERR_INVAL;
    }
    if (len == 0) {
        return 0;
    }
    dfu_cbor_reader_t r;
    dfu_cbor_reader_init(&r, buf, len);
    dfu_cbor_item_t m;
    int rc = dfu_cbor_next(&r, &m);
    if (rc != 0 || m.type != DFU_CBOR_MAP) {
        return DFU_ERR_BAD_CBOR;
    }
    if (!m.indef && m.u > len) {
        return DFU_ERR_BAD_CBOR;
    }
    for (uint64_t i = 0; m.indef || i < m.u; i++) {
        dfu_cbor_item_t k;
        rc = dfu_cbor_next(&r, &k);
        if (rc != 0) {
            return rc;
        }
        if (k.type == DFU_CBOR_BREAK) {
            if (!m.indef) {
                return DFU_ERR_BAD_CBOR;
            }
            break;
        }
        rc = decode_pair(&r, &k, keys, nkeys, &seen);
        if (rc != 0) {
            return rc;
        }
    }
    if (found != NULL) {
        *found = seen;
    }
    return 0;
}
