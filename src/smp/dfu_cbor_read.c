/*
 * CBOR reader of dfu_cbor.h (RFC 8949): item heads from a caller buffer, whole-item skipping with
 * an explicit stack (no recursion, depth bounded by DFU_CBOR_MAX_DEPTH) and request maps decoded
 * through key tables. Never reads outside [buf, buf+len). No heap, no globals.
 *
 * Accepted heads are those of libcbor 0.8's streaming decoder (the test oracle), except tag
 * numbers 6-20 in their one-byte form, which libcbor refuses as "unassigned" but RFC 8949 makes
 * well-formed like any tag. Refused although well-formed (no SMP use; libcbor 0.8 refuses them
 * too, and dfu_cbor_type_t has no slot for them): simple values 0-19 (E0-F3) and the two-byte
 * simple values (F8 xx).
 */
#include "dfukit/dfu_cbor.h"

#include "dfukit/dfu_err.h"

/* ==== Reader: one item head ================================================================= */

void dfu_cbor_reader_init(dfu_cbor_reader_t *r, const uint8_t *buf, size_t len)
{
    r->buf = buf;
    r->len = len;
    r->pos = 0;
}

/* Major type 7 (RFC 8949 §3.3): the item type by additional info, or -1 for refused values. */
static int simple_type(unsigned ai)
{
    switch (ai) {
    case 20: /* F4 false */
    case 21: /* F5 true */
        return DFU_CBOR_BOOL;
    case 22:
        return DFU_CBOR_NULL;
    case 23:
        return DFU_CBOR_UNDEF;
    case 25: /* half */
    case 26: /* single */
    case 27: /* double */
        return DFU_CBOR_FLOAT;
    case 31:
        return DFU_CBOR_BREAK;
    default: /* 0-19 unassigned simple values, 24 two-byte simple value */
        return -1;
    }
}

int dfu_cbor_next(dfu_cbor_reader_t *r, dfu_cbor_item_t *it)
{
    if (r->pos >= r->len) {
        return DFU_ERR_BAD_CBOR;
    }
    const uint8_t *p = r->buf + r->pos;
    size_t room = r->len - r->pos;
    unsigned major = (unsigned)p[0] >> 5;
    unsigned ai = p[0] & 0x1fu;
    uint64_t arg = ai;
    size_t used = 1;
    if (ai >= 24u && ai <= 27u) {
        used += (size_t)1 << (ai - 24u); /* 1, 2, 4 or 8 argument bytes, big-endian */
        if (room < used) {
            return DFU_ERR_BAD_CBOR; /* truncated head */
        }
        arg = 0;
        for (size_t i = 1; i < used; i++) {
            arg = (arg << 8) | p[i];
        }
    } else if (ai >= 28u && ai <= 30u) {
        return DFU_ERR_BAD_CBOR; /* reserved */
    }
    bool indef = ai == 31u;
    /* Checks first, so that *it is only written for a good head. */
    if (indef ? major <= 1u || major == 6u : (major == 2u || major == 3u) && arg > room - used) {
        return DFU_ERR_BAD_CBOR; /* indefinite integer or tag; truncated string */
    }
    int simple = major == 7u ? simple_type(ai) : 0;
    if (simple < 0) {
        return DFU_ERR_BAD_CBOR;
    }
    it->indef = indef && major != 7u;
    it->u = arg;
    it->ptr = NULL;
    it->len = 0;
    switch (major) {
    case 0:
        it->type = DFU_CBOR_UINT;
        break;
    case 1:
        it->type = DFU_CBOR_NINT;
        break;
    case 2:
    case 3:
        it->type = major == 2u ? DFU_CBOR_BSTR : DFU_CBOR_TSTR;
        it->u = 0;
        if (!indef) {
            it->ptr = p + used;
            it->len = (size_t)arg;
            used += (size_t)arg;
        }
        break;
    case 4:
    case 5:
        it->type = major == 4u ? DFU_CBOR_ARRAY : DFU_CBOR_MAP;
        it->u = indef ? 0u : arg;
        break;
    case 6:
        it->type = DFU_CBOR_TAG;
        break;
    default: /* 7 */
        it->type = (dfu_cbor_type_t)simple;
        it->u = ai == 20u || ai == 21u ? ai - 20u : 0u;
        break;
    }
    r->pos += used;
    return 0;
}

/* ==== Reader: skipping with an explicit stack ============================================== */

/* One open container. Definite: items still to come (never more than the bytes left, so a
 * size_t holds it); indefinite: items seen so far (only the parity matters, for maps), ends at
 * BREAK. An indefinite string only accepts definite chunks of its own major type. */
typedef struct skip_level {
    size_t left;
    uint8_t type; /* dfu_cbor_type_t: ARRAY, MAP, TAG, or BSTR/TSTR (indefinite string) */
    bool indef;
} skip_level_t;

/* Pushes the container opened by `it`, if it is one; returns 1 if pushed, 0 if scalar, <0 err. */
static int skip_push(skip_level_t *st, unsigned *top, const dfu_cbor_item_t *it, size_t remain)
{
    bool str = (it->type == DFU_CBOR_BSTR || it->type == DFU_CBOR_TSTR) && it->indef;
    bool cont = it->type == DFU_CBOR_ARRAY || it->type == DFU_CBOR_MAP || it->type == DFU_CBOR_TAG;
    if (!str && !cont) {
        return 0;
    }
    if (*top >= DFU_CBOR_MAX_DEPTH) {
        return DFU_ERR_BAD_CBOR;
    }
    skip_level_t *l = &st[*top];
    l->type = (uint8_t)it->type;
    l->indef = it->indef;
    l->left = 0;
    if (!it->indef) {
        /* a tag wraps exactly one item; a map holds 2 items per pair */
        uint64_t items = it->type == DFU_CBOR_TAG ? 1u : it->u;
        /* Every item is at least one byte: a count beyond the input is malformed. */
        if (items > remain || (it->type == DFU_CBOR_MAP && items > remain / 2u)) {
            return DFU_ERR_BAD_CBOR;
        }
        l->left = it->type == DFU_CBOR_MAP ? (size_t)items * 2u : (size_t)items;
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
            if (l->type == DFU_CBOR_MAP && (l->left & 1u) != 0) {
                return DFU_ERR_BAD_CBOR;
            }
            top--;
            continue;
        }
        bool in_string = l->type == DFU_CBOR_BSTR || l->type == DFU_CBOR_TSTR;
        if (in_string && (sub.type != (dfu_cbor_type_t)l->type || sub.indef)) {
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
    /* no strlen: stops at the first differing byte, or at s's NUL */
    for (size_t i = 0; i < a->len; i++) {
        if (s[i] == '\0' || (uint8_t)s[i] != a->ptr[i]) {
            return false;
        }
    }
    return s[a->len] == '\0';
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

/* Handles one key/value pair whose key head `k` was read; updates *found, and *nulls for
 * nullable keys that came as null (absent, but a second occurrence is still a duplicate). */
static int decode_pair(dfu_cbor_reader_t *r, const dfu_cbor_item_t *k, const dfu_cbor_key_t *keys,
                       size_t nkeys, uint32_t *found, uint32_t *nulls)
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
    if (((*found | *nulls) & bit) != 0) {
        return DFU_ERR_BAD_CBOR; /* duplicate key */
    }
    rc = store_value(&keys[idx], &v);
    if (rc < 0) {
        return rc;
    }
    if (rc == 0) {
        *nulls |= bit; /* null accepted as absent */
        return 0;
    }
    *found |= bit;
    return 0;
}

int dfu_cbor_decode_map(const uint8_t *buf, size_t len, const dfu_cbor_key_t *keys, size_t nkeys,
                        uint32_t *found)
{
    uint32_t seen = 0, nulls = 0;
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
        rc = decode_pair(&r, &k, keys, nkeys, &seen, &nulls);
        if (rc != 0) {
            return rc;
        }
    }
    if (found != NULL) {
        *found = seen;
    }
    return 0;
}
