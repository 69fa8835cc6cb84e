/*
 * libcbor 0.8 (host only) as the oracle for the device CBOR codec (dfu_cbor.h). Shared by the
 * differential test (tests/smp/test_smp_cbor_diff.c, deterministic random input) and the
 * differential fuzzer (fuzz/smp/fuzz_cbor_diff.c). Each compare function returns NULL when ours
 * and libcbor agree, or differ only in the documented ways, and otherwise a description of the
 * disagreement.
 *
 * Documented differences: (1) ours bounds nesting at DFU_CBOR_MAX_DEPTH (libcbor has no bound);
 * (2) tag numbers 6-20 in their one-byte head (C6-D4) are tags for ours (RFC 8949 §3.4: any tag
 * number is well-formed) and an error for libcbor 0.8 ("unassigned"). Both refuse the simple
 * values other than F4-F7 (E0-F3, F8 xx). cbor_load also refuses text that is not UTF-8 (a
 * validity rule); ours does not look, so such items are not compared with cbor_load.
 */
#ifndef CBOR_ORACLE_H
#define CBOR_ORACLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dfukit/dfu_cbor.h"

/* ---- Heads ---- */

typedef enum cbor_oracle_head_kind {
    CBOR_ORACLE_HEAD_REFUSED, /* both refuse the head (reserved, truncated, refused simple) */
    CBOR_ORACLE_HEAD_DECODED, /* both decode it, to the same fields */
    CBOR_ORACLE_HEAD_TAG_6_20 /* difference (2) */
} cbor_oracle_head_kind_t;

/* Our dfu_cbor_next at b[pos] against libcbor's cbor_stream_decode. */
const char *cbor_oracle_head(const uint8_t *b, size_t len, size_t pos,
                             cbor_oracle_head_kind_t *kind);

/* ---- Whole items ---- */

typedef enum cbor_oracle_why {
    CBOR_WHY_TRUNCATED,     /* input ends inside the item (or a count exceeds the bytes left) */
    CBOR_WHY_BAD_HEAD,      /* reserved additional info, indefinite int/tag, refused simple */
    CBOR_WHY_BREAK_OUTSIDE, /* FF where no indefinite container is open */
    CBOR_WHY_MAP_ODD,       /* indefinite map broken after a key */
    CBOR_WHY_CHUNK,         /* indefinite-string chunk of another type, or itself indefinite */
    CBOR_WHY_N
} cbor_oracle_why_t;

const char *cbor_oracle_why_name(cbor_oracle_why_t why);

/* RFC 8949 structural walk of the first item of b over libcbor's heads (C6-D4 taken as tags).
 * Depth counts arrays, maps, tags and indefinite strings, the outer item being level 1, as
 * DFU_CBOR_MAX_DEPTH does. */
typedef struct cbor_oracle_walk {
    bool wf;               /* one complete, well-formed item */
    size_t end;            /* its length when wf */
    unsigned depth;        /* deepest container level reached */
    bool tagdiff;          /* met a C6-D4 head */
    bool bad_utf8;         /* met a definite text string (or chunk) that is not UTF-8 */
    cbor_oracle_why_t why; /* when not wf: the rule broken */
} cbor_oracle_walk_t;

cbor_oracle_walk_t cbor_oracle_walk(const uint8_t *b, size_t len);

/* dfu_cbor_next + dfu_cbor_skip_rest on the first item against the walk (accepted exactly when
 * it is well-formed and no deeper than DFU_CBOR_MAX_DEPTH, with the same length), and the walk
 * against cbor_load where cbor_load can judge (*loaded says whether it did). *w = the walk. */
const char *cbor_oracle_item(const uint8_t *b, size_t len, cbor_oracle_walk_t *w, bool *loaded);

/* ---- Key tables ---- */

/* The key table both sides decode: off (UINT), i (INT), flag (BOOL), b (BOOLISH), name (TSTR),
 * data (BSTR, nullable); found bit k = key k. */
typedef struct cbor_oracle_fields {
    uint64_t off;
    int64_t i;
    bool flag, b;
    dfu_cbor_str_t name, data;
    uint32_t found;
} cbor_oracle_fields_t;

/* dfu_cbor_decode_map with that table. */
int cbor_oracle_decode(const uint8_t *b, size_t len, cbor_oracle_fields_t *f);

/* dfu_cbor_decode_map against a model of its documented rules over cbor_load's item tree.
 * *outcome = 0 or DFU_ERR_BAD_CBOR (both agree), or 1 when not comparable (a C6-D4 tag or a
 * non-UTF-8 text in a well-formed map: cbor_load refuses those). */
const char *cbor_oracle_map(const uint8_t *b, size_t len, int *outcome);

/* ---- Writer ---- */

/* Interprets ops[0..n) as a sequence of writer calls, each made on ours (buffer of exactly `cap`
 * bytes) and on libcbor's cbor_encode_*, until one does not fit; compares the fit decisions, the
 * bytes, the sticky error and that nothing was written after w.len. One op = a code byte (mod 14:
 * map, map_indef, array, array_indef, break, uint, int, bool, null, tstr, str, bstr, tstr_head,
 * raw), a width byte W, then W % 9 big-endian bytes of the argument v; strings take v % 41 bytes
 * of a fixed text, map/array/tstr_head counts v (map, tstr_head: v % 70000). *items and
 * *overflows (may be NULL) count the calls made and whether the last one did not fit. */
const char *cbor_oracle_writer(const uint8_t *ops, size_t n, size_t cap, unsigned *items,
                               bool *overflowed);

#endif
