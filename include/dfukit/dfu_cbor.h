/*
 * The device's own CBOR codec (RFC 8949), just what SMP needs; used by the SMP server and the
 * host client. Writer: src/smp/dfu_cbor_write.c; reader and key tables: src/smp/dfu_cbor_read.c.
 * Tested differentially against libcbor (host-only, the test oracle):
 * tests/smp/test_smp_cbor_diff.c, fuzz/smp/fuzz_cbor_diff.c.
 *
 * Writer: zcbor-style bool chain with a sticky error. Every put returns false once the buffer is
 * full (or any earlier put failed); build a message as one `&&` chain and check `w.err` once.
 * Integers and lengths always get their shortest head (byte-identical to libcbor's encoders).
 *
 * Reader: a cursor over a caller buffer that yields one item head at a time, can skip whole items
 * (explicit stack, no recursion, depth bounded by DFU_CBOR_MAX_DEPTH), and decodes a request map
 * through a declarative key table (key name -> expected type -> destination). Definite and
 * indefinite maps/arrays are accepted; unknown keys (with any nested value) are skipped; a known
 * key with a wrong type, a duplicate known key, malformed or truncated CBOR, or nesting deeper
 * than the bound give DFU_ERR_BAD_CBOR. Nothing is ever read outside [buf, buf+len).
 * Refused as malformed (RFC 8949): reserved additional info 28-30, indefinite integers and tags,
 * truncated heads and strings, indefinite-string chunks that are not definite strings of the same
 * major type, a break outside an indefinite container, a map broken after a key. Also refused,
 * though well-formed (no SMP use): simple values other than false/true/null/undefined.
 *
 * No heap, no globals, no recursion.
 */
#ifndef DFUKIT_DFU_CBOR_H
#define DFUKIT_DFU_CBOR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Maximum container nesting the reader accepts (the top-level map counts as 1). */
#define DFU_CBOR_MAX_DEPTH 8

/* ---- Writer ------------------------------------------------------------------------------- */

typedef struct dfu_cbor_writer {
    uint8_t *buf; /* caller buffer, not owned */
    size_t cap;   /* its size in bytes */
    size_t len;   /* bytes written so far */
    int err;      /* 0, or DFU_ERR_NOMEM once anything did not fit (sticky) */
} dfu_cbor_writer_t;

/* Starts writing into buf[0..cap). */
void dfu_cbor_writer_init(dfu_cbor_writer_t *w, uint8_t *buf, size_t cap);

/* Each returns true if the item was written completely; on overflow nothing partial is left
 * behind, `err` becomes DFU_ERR_NOMEM and every later put fails too. */
bool dfu_cbor_put_map(dfu_cbor_writer_t *w, size_t pairs); /* definite map head */
bool dfu_cbor_put_map_indef(dfu_cbor_writer_t *w);         /* BF */
bool dfu_cbor_put_array(dfu_cbor_writer_t *w, size_t items);
bool dfu_cbor_put_array_indef(dfu_cbor_writer_t *w); /* 9F */
bool dfu_cbor_put_break(dfu_cbor_writer_t *w);       /* FF, ends an indefinite container */
bool dfu_cbor_put_uint(dfu_cbor_writer_t *w, uint64_t v);
bool dfu_cbor_put_int(dfu_cbor_writer_t *w, int64_t v);
bool dfu_cbor_put_bool(dfu_cbor_writer_t *w, bool v);
bool dfu_cbor_put_null(dfu_cbor_writer_t *w);
/* Text string of `len` bytes (not NUL-terminated, not validated as UTF-8). */
bool dfu_cbor_put_tstr(dfu_cbor_writer_t *w, const char *s, size_t len);
/* Text string from a NUL-terminated C string. */
bool dfu_cbor_put_str(dfu_cbor_writer_t *w, const char *s);
bool dfu_cbor_put_bstr(dfu_cbor_writer_t *w, const uint8_t *b, size_t len);
/* Text-string head for `len` bytes; the caller then supplies exactly `len` bytes with
 * dfu_cbor_put_raw() (lets a string be assembled from pieces without a scratch buffer). */
bool dfu_cbor_put_tstr_head(dfu_cbor_writer_t *w, size_t len);
/* Raw bytes, copied as they are. */
bool dfu_cbor_put_raw(dfu_cbor_writer_t *w, const void *p, size_t len);

/* ---- Reader ------------------------------------------------------------------------------- */

typedef enum dfu_cbor_type {
    DFU_CBOR_UINT,  /* u */
    DFU_CBOR_NINT,  /* value is -1 - u */
    DFU_CBOR_BSTR,  /* definite: ptr/len; indefinite: chunks follow, then BREAK */
    DFU_CBOR_TSTR,  /* same */
    DFU_CBOR_ARRAY, /* count items follow (indef: until BREAK) */
    DFU_CBOR_MAP,   /* count pairs follow (indef: until BREAK) */
    DFU_CBOR_TAG,   /* u = tag number, one item follows */
    DFU_CBOR_BOOL,  /* u = 0/1 */
    DFU_CBOR_NULL,  /* F6 */
    DFU_CBOR_UNDEF, /* F7 */
    DFU_CBOR_FLOAT, /* half/single/double, value not kept */
    DFU_CBOR_BREAK, /* FF */
} dfu_cbor_type_t;

/* One decoded item head. For definite strings `ptr`/`len` point into the reader's buffer. */
typedef struct dfu_cbor_item {
    dfu_cbor_type_t type;
    bool indef;         /* indefinite-length string/array/map */
    uint64_t u;         /* UINT/NINT/TAG/BOOL value; ARRAY/MAP count (definite) */
    const uint8_t *ptr; /* definite BSTR/TSTR payload */
    size_t len;         /* its length */
} dfu_cbor_item_t;

typedef struct dfu_cbor_reader {
    const uint8_t *buf; /* caller buffer, not owned */
    size_t len;
    size_t pos; /* next unread byte */
} dfu_cbor_reader_t;

void dfu_cbor_reader_init(dfu_cbor_reader_t *r, const uint8_t *buf, size_t len);

/* Decodes the next item head at r->pos and advances past it (for definite strings, past their
 * bytes too). Returns 0, or DFU_ERR_BAD_CBOR (malformed, truncated, or reserved encodings) with
 * r->pos unchanged. */
int dfu_cbor_next(dfu_cbor_reader_t *r, dfu_cbor_item_t *it);

/* Skips the rest of the item whose head `it` was just returned by dfu_cbor_next (containers and
 * indefinite strings with everything inside them). `depth` is the nesting level of `it`
 * (1 = top level); anything deeper than DFU_CBOR_MAX_DEPTH gives DFU_ERR_BAD_CBOR. */
int dfu_cbor_skip_rest(dfu_cbor_reader_t *r, const dfu_cbor_item_t *it, unsigned depth);

/* A string view into the decoded buffer (valid while that buffer is). */
typedef struct dfu_cbor_str {
    const uint8_t *ptr;
    size_t len;
} dfu_cbor_str_t;

/* Expected types for key tables and what `dst` must point to. */
typedef enum dfu_cbor_want {
    DFU_CBOR_WANT_UINT,    /* uint64_t: unsigned integer only */
    DFU_CBOR_WANT_INT,     /* int64_t: unsigned or negative integer in int64 range */
    DFU_CBOR_WANT_BOOL,    /* bool: CBOR true/false only (F4/F5) */
    DFU_CBOR_WANT_BOOLISH, /* bool: true/false, or an integer (non-zero = true) */
    DFU_CBOR_WANT_TSTR,    /* dfu_cbor_str_t: definite text string */
    DFU_CBOR_WANT_BSTR,    /* dfu_cbor_str_t: definite byte string */
} dfu_cbor_want_t;

/* Key-table flag: a CBOR null for this key counts as "absent" (Go mcumgr sends "hash": null). */
#define DFU_CBOR_NULLABLE 0x01u

typedef struct dfu_cbor_key {
    const char *name;     /* key text (NUL-terminated) */
    dfu_cbor_want_t want; /* expected value type */
    uint8_t flags;        /* DFU_CBOR_NULLABLE or 0 */
    void *dst;            /* destination of the type given by `want`; written only if found */
} dfu_cbor_key_t;

/* Decodes a whole CBOR map from buf[0..len) through `keys` (at most 32 entries). Sets bit i of
 * *found (if non-NULL) for each keys[i] that was present with a usable value. An empty buffer
 * (len 0) is accepted as an empty map. Bytes after the map are ignored.
 * Returns 0, or DFU_ERR_BAD_CBOR (not a map, malformed, wrong type, duplicate known key, too
 * deep). On error the destinations may have been partly written. */
int dfu_cbor_decode_map(const uint8_t *buf, size_t len, const dfu_cbor_key_t *keys, size_t nkeys,
                        uint32_t *found);

/* Returns true if the string view equals the NUL-terminated `s`. */
bool dfu_cbor_str_eq(const dfu_cbor_str_t *a, const char *s);

#ifdef __cplusplus
}
#endif
#endif
