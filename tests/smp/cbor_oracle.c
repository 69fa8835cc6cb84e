/*
 * libcbor 0.8 as the oracle for the device CBOR codec: head-by-head, whole-item, key-table and
 * writer comparisons (see cbor_oracle.h for what is compared and the documented differences).
 */
#include "cbor_oracle.h"

#include <stdlib.h>
#include <string.h>

#include <cbor.h>

#include "dfukit/dfu_err.h"

/* ---- libcbor's head decoder ------------------------------------------------------------------
 */

typedef struct lc_head {
    dfu_cbor_item_t it;
    size_t read;
    bool got;
    bool nedata; /* libcbor wanted more bytes (truncated), as opposed to an error */
} lc_head_t;

static void lh_set(void *ctx, dfu_cbor_type_t t, bool indef, uint64_t u)
{
    lc_head_t *h = ctx;
    memset(&h->it, 0, sizeof(h->it));
    h->it.type = t;
    h->it.indef = indef;
    h->it.u = u;
    h->got = true;
}

#define LH_INT(name, ctype, t)                                                                     \
    static void name(void *c, ctype v)                                                             \
    {                                                                                              \
        lh_set(c, t, false, v);                                                                    \
    }
LH_INT(lh_u8, uint8_t, DFU_CBOR_UINT)
LH_INT(lh_u16, uint16_t, DFU_CBOR_UINT)
LH_INT(lh_u32, uint32_t, DFU_CBOR_UINT)
LH_INT(lh_u64, uint64_t, DFU_CBOR_UINT)
LH_INT(lh_n8, uint8_t, DFU_CBOR_NINT)
LH_INT(lh_n16, uint16_t, DFU_CBOR_NINT)
LH_INT(lh_n32, uint32_t, DFU_CBOR_NINT)
LH_INT(lh_n64, uint64_t, DFU_CBOR_NINT)
LH_INT(lh_tag, uint64_t, DFU_CBOR_TAG)
LH_INT(lh_arr, size_t, DFU_CBOR_ARRAY)
LH_INT(lh_map, size_t, DFU_CBOR_MAP)

static void lh_str(void *c, dfu_cbor_type_t t, cbor_data p, size_t n)
{
    lc_head_t *h = c;
    lh_set(c, t, false, 0);
    h->it.ptr = p;
    h->it.len = n;
}
static void lh_bstr(void *c, cbor_data p, size_t n)
{
    lh_str(c, DFU_CBOR_BSTR, p, n);
}
static void lh_tstr(void *c, cbor_data p, size_t n)
{
    lh_str(c, DFU_CBOR_TSTR, p, n);
}
#define LH_0(name, t, indef)                                                                       \
    static void name(void *c)                                                                      \
    {                                                                                              \
        lh_set(c, t, indef, 0);                                                                    \
    }
LH_0(lh_bstr_i, DFU_CBOR_BSTR, true)
LH_0(lh_tstr_i, DFU_CBOR_TSTR, true)
LH_0(lh_arr_i, DFU_CBOR_ARRAY, true)
LH_0(lh_map_i, DFU_CBOR_MAP, true)
LH_0(lh_undef, DFU_CBOR_UNDEF, false)
LH_0(lh_null, DFU_CBOR_NULL, false)
LH_0(lh_break, DFU_CBOR_BREAK, false)
static void lh_f(void *c, float v)
{
    (void)v;
    lh_set(c, DFU_CBOR_FLOAT, false, 0);
}
static void lh_d(void *c, double v)
{
    (void)v;
    lh_set(c, DFU_CBOR_FLOAT, false, 0);
}
static void lh_bool(void *c, bool v)
{
    lh_set(c, DFU_CBOR_BOOL, false, v ? 1u : 0u);
}

static const struct cbor_callbacks lh_callbacks = {
    .uint8 = lh_u8,
    .uint16 = lh_u16,
    .uint32 = lh_u32,
    .uint64 = lh_u64,
    .negint8 = lh_n8,
    .negint16 = lh_n16,
    .negint32 = lh_n32,
    .negint64 = lh_n64,
    .byte_string = lh_bstr,
    .byte_string_start = lh_bstr_i,
    .string = lh_tstr,
    .string_start = lh_tstr_i,
    .array_start = lh_arr,
    .indef_array_start = lh_arr_i,
    .map_start = lh_map,
    .indef_map_start = lh_map_i,
    .tag = lh_tag,
    .float2 = lh_f,
    .float4 = lh_f,
    .float8 = lh_d,
    .undefined = lh_undef,
    .null = lh_null,
    .boolean = lh_bool,
    .indef_break = lh_break,
};

/* libcbor's view of the head at b[pos..len): true with *h if it decodes. */
static bool lc_head(const uint8_t *b, size_t len, size_t pos, lc_head_t *h)
{
    memset(h, 0, sizeof(*h));
    struct cbor_decoder_result res = cbor_stream_decode(b + pos, len - pos, &lh_callbacks, h);
    h->read = res.read;
    h->nedata = res.status == CBOR_DECODER_NEDATA;
    return res.status == CBOR_DECODER_FINISHED && h->got;
}

/* Difference (2): one-byte tag heads 6-20. */
static bool is_tag_6_20(uint8_t ib)
{
    return ib >= 0xc6 && ib <= 0xd4;
}

const char *cbor_oracle_head(const uint8_t *b, size_t len, size_t pos,
                             cbor_oracle_head_kind_t *kind)
{
    dfu_cbor_reader_t r;
    dfu_cbor_reader_init(&r, b, len);
    r.pos = pos;
    dfu_cbor_item_t it;
    int rc = dfu_cbor_next(&r, &it);
    lc_head_t h;
    bool ok = lc_head(b, len, pos, &h);
    *kind = CBOR_ORACLE_HEAD_REFUSED;
    if (is_tag_6_20(b[pos])) {
        *kind = CBOR_ORACLE_HEAD_TAG_6_20;
        if (ok || rc != 0 || it.type != DFU_CBOR_TAG || it.u != (uint64_t)(b[pos] - 0xc0u) ||
            r.pos != pos + 1) {
            return "tag 6-20 not decoded as the documented difference";
        }
        return NULL;
    }
    if (ok != (rc == 0)) {
        return ok ? "head refused by ours, decoded by libcbor" : "head decoded by ours only";
    }
    if (rc != 0) {
        return r.pos != pos ? "a refused head moved the reader" : NULL;
    }
    *kind = CBOR_ORACLE_HEAD_DECODED;
    if (it.type != h.it.type || it.indef != h.it.indef || it.u != h.it.u || it.ptr != h.it.ptr ||
        it.len != h.it.len || r.pos - pos != h.read) {
        return "head fields differ";
    }
    return NULL;
}

/* ---- Whole items -------------------------------------------------------------------------------
 */

const char *cbor_oracle_why_name(cbor_oracle_why_t why)
{
    static const char *const names[CBOR_WHY_N] = {"truncated", "reserved/refused head",
                                                  "break outside indefinite",
                                                  "map broken after key", "bad string chunk"};
    return why < CBOR_WHY_N ? names[why] : "?";
}

/* Strict UTF-8 (RFC 3629: no overlong forms, surrogates or code points above 10FFFF). */
static bool utf8_ok(const uint8_t *s, size_t n)
{
    size_t i = 0;
    while (i < n) {
        uint8_t c = s[i];
        size_t k;
        uint32_t cp;
        if (c < 0x80) {
            i++;
            continue;
        }
        if (c >= 0xc2 && c <= 0xdf) {
            k = 1;
            cp = c & 0x1fu;
        } else if (c >= 0xe0 && c <= 0xef) {
            k = 2;
            cp = c & 0x0fu;
        } else if (c >= 0xf0 && c <= 0xf4) {
            k = 3;
            cp = c & 0x07u;
        } else {
            return false;
        }
        if (n - i - 1 < k) {
            return false;
        }
        for (size_t j = 1; j <= k; j++) {
            if ((s[i + j] & 0xc0u) != 0x80u) {
                return false;
            }
            cp = (cp << 6) | (s[i + j] & 0x3fu);
        }
        if ((k == 2 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) ||
            (k == 3 && (cp < 0x10000 || cp > 0x10ffff))) {
            return false;
        }
        i += k + 1;
    }
    return true;
}

/* True if no definite array/map head anywhere in b (read as a flat run of heads, the way
 * cbor_load meets them) declares more entries than there are bytes: cbor_load allocates a
 * declared count before it notices anything else, so such inputs are not given to it. */
static bool counts_bounded(const uint8_t *b, size_t len)
{
    size_t pos = 0;
    lc_head_t h;
    while (pos < len && lc_head(b, len, pos, &h)) {
        if ((h.it.type == DFU_CBOR_ARRAY || h.it.type == DFU_CBOR_MAP) && h.it.u > len) {
            return false;
        }
        pos += h.read;
    }
    return true;
}

typedef struct walk_level {
    uint64_t left; /* definite: items to come; indefinite: items seen */
    dfu_cbor_type_t type;
    bool indef;
} walk_level_t;

cbor_oracle_walk_t cbor_oracle_walk(const uint8_t *b, size_t len)
{
    cbor_oracle_walk_t w = {0};
    walk_level_t *st = malloc((len + 1) * sizeof(*st)); /* one level per byte at most */
    unsigned top = 0;
    size_t pos = 0;
    w.why = CBOR_WHY_TRUNCATED;
    for (;;) {
        lc_head_t h;
        if (pos >= len) {
            break; /* truncated */
        }
        if (is_tag_6_20(b[pos])) {
            w.tagdiff = true;
            memset(&h, 0, sizeof(h));
            h.it.type = DFU_CBOR_TAG;
            h.read = 1;
        } else if (!lc_head(b, len, pos, &h)) {
            w.why = h.nedata ? CBOR_WHY_TRUNCATED : CBOR_WHY_BAD_HEAD;
            break;
        }
        pos += h.read;
        const dfu_cbor_item_t *it = &h.it;
        if (it->type == DFU_CBOR_TSTR && !it->indef && !utf8_ok(it->ptr, it->len)) {
            w.bad_utf8 = true;
        }
        if (it->type == DFU_CBOR_BREAK) {
            if (top == 0 || !st[top - 1].indef) {
                w.why = CBOR_WHY_BREAK_OUTSIDE;
                break;
            }
            if (st[top - 1].type == DFU_CBOR_MAP && (st[top - 1].left & 1u) != 0) {
                w.why = CBOR_WHY_MAP_ODD;
                break;
            }
            top--;
        } else {
            if (top > 0) {
                walk_level_t *l = &st[top - 1];
                bool string = l->type == DFU_CBOR_BSTR || l->type == DFU_CBOR_TSTR;
                if (string && (it->type != l->type || it->indef)) {
                    w.why = CBOR_WHY_CHUNK;
                    break;
                }
                if (l->indef) {
                    l->left++;
                } else {
                    l->left--;
                }
            }
            bool opens = it->type == DFU_CBOR_ARRAY || it->type == DFU_CBOR_MAP ||
                         it->type == DFU_CBOR_TAG ||
                         ((it->type == DFU_CBOR_BSTR || it->type == DFU_CBOR_TSTR) && it->indef);
            if (opens) {
                uint64_t items = it->type == DFU_CBOR_TAG ? 1u : it->u;
                if (!it->indef && items > len - pos) {
                    break; /* more items than bytes: truncated */
                }
                st[top].left = it->indef ? 0u : it->type == DFU_CBOR_MAP ? items * 2u : items;
                st[top].type = it->type;
                st[top].indef = it->indef;
                top++;
                if (top > w.depth) {
                    w.depth = top;
                }
            }
        }
        while (top > 0 && !st[top - 1].indef && st[top - 1].left == 0) {
            top--;
        }
        if (top == 0) {
            w.wf = true;
            w.end = pos;
            break;
        }
    }
    free(st);
    return w;
}

const char *cbor_oracle_item(const uint8_t *b, size_t len, cbor_oracle_walk_t *wp, bool *loaded)
{
    cbor_oracle_walk_t w = cbor_oracle_walk(b, len);
    *wp = w;
    *loaded = false;
    dfu_cbor_reader_t r;
    dfu_cbor_reader_init(&r, b, len);
    dfu_cbor_item_t it;
    int rc = dfu_cbor_next(&r, &it);
    if (rc == 0) {
        rc = dfu_cbor_skip_rest(&r, &it, 1);
    }
    bool want = w.wf && w.depth <= DFU_CBOR_MAX_DEPTH; /* difference (1): the depth bound */
    if ((rc == 0) != want) {
        return want ? "item refused by ours" : "item accepted by ours";
    }
    if (want && r.pos != w.end) {
        return "item length differs";
    }
    /* The walk against libcbor's own item decoder, where that one can judge: not on a C6-D4
     * tag or non-UTF-8 text, not beyond its stack (CBOR_MAX_STACK_SIZE), not on declared
     * counts it would allocate before failing. */
    if (len == 0 || w.tagdiff || (w.wf && w.bad_utf8) || w.depth >= CBOR_MAX_STACK_SIZE ||
        !counts_bounded(b, len)) {
        return NULL;
    }
    *loaded = true;
    struct cbor_load_result res;
    cbor_item_t *item = cbor_load(b, len, &res);
    bool same = (item != NULL) == w.wf && (item == NULL || res.read == w.end);
    if (item != NULL) {
        cbor_decref(&item);
    }
    return same ? NULL : "structural walk disagrees with cbor_load";
}

/* ---- Key tables --------------------------------------------------------------------------------
 */

static const char *const key_names[] = {"off", "i", "flag", "b", "name", "data"};
#define NKEYS 6

int cbor_oracle_decode(const uint8_t *b, size_t len, cbor_oracle_fields_t *f)
{
    memset(f, 0, sizeof(*f));
    const dfu_cbor_key_t keys[NKEYS] = {
        {"off", DFU_CBOR_WANT_UINT, 0, &f->off},
        {"i", DFU_CBOR_WANT_INT, 0, &f->i},
        {"flag", DFU_CBOR_WANT_BOOL, 0, &f->flag},
        {"b", DFU_CBOR_WANT_BOOLISH, 0, &f->b},
        {"name", DFU_CBOR_WANT_TSTR, 0, &f->name},
        {"data", DFU_CBOR_WANT_BSTR, DFU_CBOR_NULLABLE, &f->data},
    };
    return dfu_cbor_decode_map(b, len, keys, NKEYS, &f->found);
}

/* The model's values; strings as views into libcbor's tree (alive until the model is freed). */
typedef struct model {
    cbor_oracle_fields_t f;
    cbor_item_t *tree;
} model_t;

/* cbor_is_bool/cbor_is_null assert on floats: ask cbor_float_ctrl_is_ctrl first. */
static bool is_ctrl(const cbor_item_t *v)
{
    return cbor_isa_float_ctrl(v) && cbor_float_ctrl_is_ctrl(v);
}

/* Stores the value v of key k; false = wrong type. */
static bool model_store(cbor_oracle_fields_t *f, int k, const cbor_item_t *v)
{
    bool isint = cbor_isa_uint(v) || cbor_isa_negint(v);
    switch (k) {
    case 0:
        f->off = cbor_isa_uint(v) ? cbor_get_int(v) : 0;
        return cbor_isa_uint(v);
    case 1:
        if (!isint || cbor_get_int(v) > INT64_MAX) {
            return false;
        }
        f->i = cbor_isa_uint(v) ? (int64_t)cbor_get_int(v) : -1 - (int64_t)cbor_get_int(v);
        return true;
    case 2:
        if (!is_ctrl(v) || !cbor_is_bool(v)) {
            return false;
        }
        f->flag = cbor_get_bool(v);
        return true;
    case 3:
        if (is_ctrl(v) && cbor_is_bool(v)) {
            f->b = cbor_get_bool(v);
            return true;
        }
        f->b = isint && (cbor_isa_negint(v) || cbor_get_int(v) != 0);
        return isint;
    case 4:
        if (!cbor_isa_string(v) || !cbor_string_is_definite(v)) {
            return false;
        }
        f->name.ptr = cbor_string_handle(v);
        f->name.len = cbor_string_length(v);
        return true;
    default:
        if (!cbor_isa_bytestring(v) || !cbor_bytestring_is_definite(v)) {
            return false;
        }
        f->data.ptr = cbor_bytestring_handle(v);
        f->data.len = cbor_bytestring_length(v);
        return true;
    }
}

/* Model of dfu_cbor_decode_map's documented rules: 0, DFU_ERR_BAD_CBOR, or 1 = not comparable. */
static int model_decode(const uint8_t *b, size_t len, model_t *m)
{
    memset(m, 0, sizeof(*m));
    if (len == 0) {
        return 0; /* empty payload = empty map */
    }
    cbor_oracle_walk_t w = cbor_oracle_walk(b, len);
    if (!w.wf || w.depth > DFU_CBOR_MAX_DEPTH) {
        return DFU_ERR_BAD_CBOR;
    }
    if (w.tagdiff || w.bad_utf8) {
        return 1; /* cbor_load would refuse what both of us accept */
    }
    struct cbor_load_result res;
    m->tree = cbor_load(b, len, &res);
    if (m->tree == NULL || !cbor_isa_map(m->tree)) {
        return DFU_ERR_BAD_CBOR;
    }
    uint32_t seen = 0;
    size_t np = cbor_map_size(m->tree);
    struct cbor_pair *pairs = cbor_map_handle(m->tree);
    for (size_t p = 0; p < np; p++) {
        const cbor_item_t *k = pairs[p].key, *v = pairs[p].value;
        int idx = -1;
        for (int j = 0; j < NKEYS && cbor_isa_string(k) && cbor_string_is_definite(k); j++) {
            size_t kl = strlen(key_names[j]);
            if (cbor_string_length(k) == kl &&
                memcmp(cbor_string_handle(k), key_names[j], kl) == 0) {
                idx = j;
                break;
            }
        }
        if (idx < 0) {
            continue; /* unknown key, any value */
        }
        if ((seen & (1u << idx)) != 0) {
            return DFU_ERR_BAD_CBOR; /* duplicate known key (also after a null) */
        }
        seen |= 1u << idx;
        if (idx == 5 && is_ctrl(v) && cbor_is_null(v)) {
            continue; /* nullable: absent */
        }
        if (!model_store(&m->f, idx, v)) {
            return DFU_ERR_BAD_CBOR;
        }
        m->f.found |= 1u << idx;
    }
    return 0;
}

static bool same_str(const dfu_cbor_str_t *a, const dfu_cbor_str_t *e)
{
    return a->len == e->len && (a->len == 0 || memcmp(a->ptr, e->ptr, a->len) == 0);
}

static bool inside(const dfu_cbor_str_t *s, const uint8_t *b, size_t len)
{
    return s->ptr >= b && s->len <= (size_t)(b + len - s->ptr);
}

const char *cbor_oracle_map(const uint8_t *b, size_t len, int *outcome)
{
    model_t m;
    cbor_oracle_fields_t f;
    int want = model_decode(b, len, &m);
    int rc = cbor_oracle_decode(b, len, &f);
    const char *bad = NULL;
    *outcome = want;
    if (want == 1) {
        /* not comparable */
    } else if (rc != want) {
        bad = rc == 0 ? "map accepted by ours only" : "map refused by ours only";
    } else if (rc == 0) {
        const cbor_oracle_fields_t *e = &m.f;
        uint32_t k = f.found;
        if (k != e->found || ((k & 1u) && f.off != e->off) || ((k & 2u) && f.i != e->i) ||
            ((k & 4u) && f.flag != e->flag) || ((k & 8u) && f.b != e->b) ||
            ((k & 16u) && !same_str(&f.name, &e->name)) ||
            ((k & 32u) && !same_str(&f.data, &e->data))) {
            bad = "map values differ";
        } else if (((k & 16u) && !inside(&f.name, b, len)) ||
                   ((k & 32u) && !inside(&f.data, b, len))) {
            bad = "decoded string outside the input";
        }
    }
    if (m.tree != NULL) {
        cbor_decref(&m.tree);
    }
    return bad;
}

/* ---- Writer --------------------------------------------------------------------------------- */

/* libcbor: a string's head + payload, 0 if it does not fit. */
static size_t lc_string(bool text, const uint8_t *s, size_t len, unsigned char *out, size_t room)
{
    size_t h = text ? cbor_encode_string_start(len, out, room)
                    : cbor_encode_bytestring_start(len, out, room);
    if (h == 0 || room - h < len) {
        return 0;
    }
    memcpy(out + h, s, len);
    return h + len;
}

/* One writer call on both sides; returns ours' result, *fits = libcbor's, *got its bytes. */
static bool write_both(dfu_cbor_writer_t *w, unsigned op, uint64_t v, unsigned char *ro,
                       size_t room, bool *fits, size_t *got)
{
    static const char text[41] = "the quick brown fox jumps over a lazy dog";
    size_t slen = (size_t)(v % 41u), sz = (size_t)(v % 70000u);
    bool ok;
    size_t n = 0;
    switch (op) {
    case 0:
        ok = dfu_cbor_put_map(w, sz);
        n = cbor_encode_map_start(sz, ro, room);
        break;
    case 1:
        ok = dfu_cbor_put_map_indef(w);
        n = cbor_encode_indef_map_start(ro, room);
        break;
    case 2:
        ok = dfu_cbor_put_array(w, (size_t)v);
        n = cbor_encode_array_start((size_t)v, ro, room);
        break;
    case 3:
        ok = dfu_cbor_put_array_indef(w);
        n = cbor_encode_indef_array_start(ro, room);
        break;
    case 4:
        ok = dfu_cbor_put_break(w);
        n = cbor_encode_break(ro, room);
        break;
    case 5:
        ok = dfu_cbor_put_uint(w, v);
        n = cbor_encode_uint(v, ro, room);
        break;
    case 6: {
        int64_t sv = (int64_t)v;
        ok = dfu_cbor_put_int(w, sv);
        n = sv >= 0 ? cbor_encode_uint((uint64_t)sv, ro, room)
                    : cbor_encode_negint((uint64_t)(-(sv + 1)), ro, room);
        break;
    }
    case 7:
        ok = dfu_cbor_put_bool(w, (v & 1u) != 0);
        n = cbor_encode_bool((v & 1u) != 0, ro, room);
        break;
    case 8:
        ok = dfu_cbor_put_null(w);
        n = cbor_encode_null(ro, room);
        break;
    case 9:
        ok = dfu_cbor_put_tstr(w, text, slen);
        n = lc_string(true, (const uint8_t *)text, slen, ro, room);
        break;
    case 10: {
        char cs[42];
        memcpy(cs, text, slen);
        cs[slen] = '\0';
        ok = dfu_cbor_put_str(w, cs);
        n = lc_string(true, (const uint8_t *)text, slen, ro, room);
        break;
    }
    case 11:
        ok = dfu_cbor_put_bstr(w, (const uint8_t *)text, slen);
        n = lc_string(false, (const uint8_t *)text, slen, ro, room);
        break;
    case 12:
        ok = dfu_cbor_put_tstr_head(w, sz);
        n = cbor_encode_string_start(sz, ro, room);
        break;
    default: /* raw bytes: libcbor has no call for them; fits = room */
        ok = dfu_cbor_put_raw(w, text, slen);
        *fits = room >= slen;
        *got = *fits ? slen : 0;
        if (*fits && slen > 0) {
            memcpy(ro, text, slen);
        }
        return ok;
    }
    *fits = n > 0;
    *got = n;
    return ok;
}

const char *cbor_oracle_writer(const uint8_t *ops, size_t n, size_t cap, unsigned *items,
                               bool *overflowed)
{
    uint8_t *mine = malloc(cap ? cap : 1), *ref = malloc(cap + 1);
    memset(mine, 0xa5, cap ? cap : 1);
    dfu_cbor_writer_t w;
    dfu_cbor_writer_init(&w, cap ? mine : NULL, cap);
    size_t rlen = 0, i = 0;
    bool failed = false;
    const char *bad = NULL;
    unsigned calls = 0;
    while (i < n && !failed && bad == NULL) {
        unsigned op = ops[i++] % 14u;
        unsigned width = i < n ? ops[i++] % 9u : 0u;
        uint64_t v = 0;
        for (unsigned k = 0; k < width && i < n; k++) {
            v = (v << 8) | ops[i++];
        }
        bool fits = false;
        size_t got = 0;
        bool ok = write_both(&w, op, v, ref + rlen, cap - rlen, &fits, &got);
        calls++;
        if (ok != fits) {
            bad = ok ? "writer: ours wrote an item libcbor could not fit"
                     : "writer: ours refused an item libcbor wrote";
        } else if (!ok) {
            failed = true;
            if (w.err != DFU_ERR_NOMEM) {
                bad = "writer: overflow without DFU_ERR_NOMEM";
            }
        } else {
            rlen += got;
        }
    }
    if (bad == NULL && (w.len != rlen || (rlen > 0 && memcmp(mine, ref, rlen) != 0))) {
        bad = "writer: bytes differ from libcbor's";
    }
    for (size_t k = w.len; bad == NULL && k < cap; k++) {
        if (mine[k] != 0xa5) {
            bad = "writer: wrote past its length";
        }
    }
    /* sticky: after a failure every put fails and writes nothing */
    if (bad == NULL && failed &&
        (dfu_cbor_put_null(&w) || dfu_cbor_put_raw(&w, "", 0) || w.len != rlen)) {
        bad = "writer: error not sticky";
    }
    if (items != NULL) {
        *items = calls;
    }
    if (overflowed != NULL) {
        *overflowed = failed;
    }
    free(mine);
    free(ref);
    return bad;
}
