/*
 * The device CBOR codec (dfu_cbor.h) against libcbor 0.8 (cbor_oracle.c) on deterministic random
 * input (fixed seeds, well under a second):
 *   (a) writer: random call sequences with boundary-heavy arguments into buffers of random size:
 *       bytes identical to libcbor's cbor_encode_*, same fit decisions, sticky error, nothing
 *       written past the length (buffers are exactly `cap` bytes: ASan sees overruns);
 *   (b) reader: generated items (nested, indefinite, tags, floats, simple values, non-shortest
 *       heads, deep chains), their mutants (truncated, flipped, inserted, deleted, spliced
 *       bytes) and random bytes: the head at EVERY offset as libcbor's cbor_stream_decode reads
 *       it, the whole first item accepted exactly when it is well-formed and within
 *       DFU_CBOR_MAX_DEPTH; each RFC 8949 rule (truncation, reserved heads, break placement,
 *       map parity, chunk types) and the depth bound must be met often;
 *   (c) dfu_cbor_decode_map against a model over cbor_load's tree: fixed cases (unknown keys
 *       with nested values, duplicates, wrong types, nullable, indefinite maps, depth) and
 *       random request-like maps with mutants.
 * The documented differences (depth bound, C6-D4 tags) are asserted by the oracle.
 */
#include <stdbool.h>
#include <stdint.h>

#include "cbor_oracle.h"
#include "dfu_test.h"
#include "dfukit/dfu_cbor.h"
#include "dfukit/dfu_err.h"
#include "smp_testutil.h"

/* ---- Deterministic randomness and mismatch reporting ------------------------------------------
 */

static uint64_t rng_state;

static uint64_t rnd(void)
{
    uint64_t z = (rng_state += 0x9e3779b97f4a7c15ull); /* splitmix64 */
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

static unsigned rndn(unsigned n)
{
    return (unsigned)(rnd() % n);
}

static unsigned mismatches;

static void mismatch(const char *what, const uint8_t *b, size_t len, size_t pos)
{
    if (what == NULL) {
        return;
    }
    if (++mismatches > 10) {
        return;
    }
    fprintf(stderr, "MISMATCH %s at offset %zu of %zu bytes:", what, pos, len);
    for (size_t i = 0; i < len && i < 64; i++) {
        fprintf(stderr, " %02x", b[i]);
    }
    fprintf(stderr, "%s\n", len > 64 ? " ..." : "");
}

/* ---- (a) Writer -------------------------------------------------------------------------------
 */

/* Boundary-heavy argument values: around every head-width switch, then random widths. */
static uint64_t rnd_arg(void)
{
    static const uint64_t edges[] = {0,
                                     1,
                                     23,
                                     24,
                                     25,
                                     255,
                                     256,
                                     65535,
                                     65536,
                                     0xffffffffull,
                                     0x100000000ull,
                                     0x7fffffffffffffffull,
                                     0x8000000000000000ull,
                                     0xffffffffffffffffull};
    if (rndn(3) == 0) {
        return edges[rndn(sizeof(edges) / sizeof(edges[0]))];
    }
    unsigned bits = rndn(65);
    return bits == 0 ? 0 : rnd() >> (64 - bits);
}

static unsigned w_items, w_overflows;

/* One random op sequence (cbor_oracle_writer's format) with boundary-heavy arguments. */
static void writer_sequence(void)
{
    uint8_t ops[24 * 10];
    size_t n = 0;
    for (unsigned k = 1 + rndn(24); k > 0; k--) {
        uint64_t v = rnd_arg();
        unsigned width = 8;
        while (width > 0 && (v >> (8 * (width - 1))) == 0) {
            width--;
        }
        if (rndn(4) == 0) {
            width = 8; /* leading zero bytes */
        }
        ops[n++] = (uint8_t)rndn(14);
        ops[n++] = (uint8_t)width;
        for (unsigned i = width; i-- > 0;) {
            ops[n++] = (uint8_t)(v >> (8 * i));
        }
    }
    size_t cap = rndn(4) == 0 ? rndn(12) : 16 + rndn(300);
    unsigned items = 0;
    bool overflowed = false;
    mismatch(cbor_oracle_writer(ops, n, cap, &items, &overflowed), ops, n, 0);
    w_items += items;
    w_overflows += overflowed ? 1u : 0u;
}

static void test_writer_diff(void)
{
    rng_state = 0x5eed0001u;
    for (int i = 0; i < 50000; i++) {
        writer_sequence();
    }
    printf("writer: %u items in 50000 sequences identical to libcbor, %u overflows\n", w_items,
           w_overflows);
    CHECK_EQ_INT(mismatches, 0);
    CHECK(w_items > 250000);
    CHECK(w_overflows > 10000); /* the small buffers really overflowed */
}

/* ---- (b) Reader -------------------------------------------------------------------------------
 */

static unsigned heads_compared, heads_ok, heads_tagdiff;
static unsigned items_wf, items_malformed, items_too_deep, items_loaded, items_utf8;
static unsigned why_count[CBOR_WHY_N];

/* Every head of b, then the whole first item. */
static void compare_all(const uint8_t *b, size_t len)
{
    for (size_t pos = 0; pos < len; pos++) {
        cbor_oracle_head_kind_t kind;
        mismatch(cbor_oracle_head(b, len, pos, &kind), b, len, pos);
        heads_compared++;
        heads_ok += kind == CBOR_ORACLE_HEAD_DECODED;
        heads_tagdiff += kind == CBOR_ORACLE_HEAD_TAG_6_20;
    }
    cbor_oracle_walk_t w;
    bool loaded = false;
    mismatch(cbor_oracle_item(b, len, &w, &loaded), b, len, 0);
    items_loaded += loaded;
    if (w.wf) {
        items_wf++;
        items_too_deep += w.depth > DFU_CBOR_MAX_DEPTH;
        items_utf8 += w.bad_utf8;
    } else {
        items_malformed++;
        why_count[w.why]++;
    }
}

/* ---- Generator of well-formed items (own head emitter, non-shortest heads too) ---------------
 */

typedef struct gbuf {
    uint8_t b[1100];
    size_t n;
} gbuf_t;

static void g_byte(gbuf_t *g, uint8_t v)
{
    if (g->n < sizeof(g->b)) {
        g->b[g->n++] = v;
    }
}

/* Head (major, v), usually shortest, sometimes wider than needed (still well-formed). */
static void g_head(gbuf_t *g, unsigned major, uint64_t v)
{
    unsigned w = v < 24u ? 0 : v <= 0xffu ? 1 : v <= 0xffffu ? 2 : v <= 0xffffffffu ? 3 : 4;
    if (rndn(8) == 0 && w < 4) {
        w += 1 + rndn(4 - w);
    }
    if (w == 0) {
        g_byte(g, (uint8_t)((major << 5) | (unsigned)v));
        return;
    }
    unsigned nb = 1u << (w - 1);
    g_byte(g, (uint8_t)((major << 5) | (23u + w)));
    for (unsigned i = nb; i-- > 0;) {
        g_byte(g, (uint8_t)(v >> (8 * i)));
    }
}

static void g_bytes(gbuf_t *g, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        g_byte(g, (uint8_t)('a' + rndn(26)));
    }
}

static uint64_t g_val(void)
{
    return rndn(2) ? rndn(30) : rnd_arg();
}

static void g_item(gbuf_t *g, unsigned depth)
{
    unsigned kind = g->n > 900 || depth > 11 ? rndn(8) : rndn(16);
    switch (kind) {
    case 0:
        g_head(g, 0, g_val());
        break;
    case 1:
        g_head(g, 1, g_val());
        break;
    case 2:
    case 3: {
        size_t n = rndn(12);
        g_head(g, kind, n);
        g_bytes(g, n);
        break;
    }
    case 4: /* simple values both decoders accept */
        g_byte(g, (uint8_t)(0xf4 + rndn(4)));
        break;
    case 5: { /* floats: half, single, double */
        unsigned ai = 25 + rndn(3);
        g_byte(g, (uint8_t)(0xe0 | ai));
        g_bytes(g, (size_t)1 << (ai - 24));
        break;
    }
    case 6: /* values libcbor and ours refuse: E0-F3, F8 xx; or a C6-D4 tag */
        if (rndn(3) == 0) {
            g_byte(g, (uint8_t)(0xc6 + rndn(15)));
            g_head(g, 0, rndn(5));
        } else if (rndn(2)) {
            g_byte(g, (uint8_t)(0xe0 + rndn(20)));
        } else {
            g_byte(g, 0xf8);
            g_byte(g, (uint8_t)rnd());
        }
        break;
    case 7:
        g_head(g, 6, rndn(2) ? rndn(6) : 21 + rnd_arg() % 1000000u);
        g_head(g, 0, rndn(100));
        break;
    case 8:
    case 9: { /* indefinite string of chunks */
        unsigned major = kind == 8 ? 2u : 3u;
        g_byte(g, (uint8_t)((major << 5) | 31u));
        for (unsigned i = rndn(4); i > 0; i--) {
            size_t n = rndn(5);
            g_head(g, major, n);
            g_bytes(g, n);
        }
        g_byte(g, 0xff);
        break;
    }
    case 10:
    case 11:
    case 12:
    case 13: { /* array (10, 11) or map (12, 13), definite or indefinite */
        bool map = kind >= 12, indef = (kind & 1u) != 0;
        unsigned n = map ? 2 * rndn(4) : rndn(5);
        if (indef) {
            g_byte(g, map ? 0xbf : 0x9f);
        } else {
            g_head(g, map ? 5 : 4, map ? n / 2 : n);
        }
        for (unsigned i = 0; i < n; i++) {
            g_item(g, depth + 1);
        }
        if (indef) {
            g_byte(g, 0xff);
        }
        break;
    }
    default: /* tag around a nested item */
        g_head(g, 6, rndn(2) ? rndn(6) : 21 + rndn(300));
        g_item(g, depth + 1);
        break;
    }
}

/* A deep chain of single-element containers, to cross the depth bound often. */
static void g_deep(gbuf_t *g)
{
    unsigned levels = 1 + rndn(14);
    for (unsigned i = 0; i < levels; i++) {
        switch (rndn(4)) {
        case 0:
            g_byte(g, 0x81);
            break;
        case 1:
            g_byte(g, 0xa1);
            g_byte(g, 0x00); /* key, the nested value follows */
            break;
        case 2:
            g_byte(g, 0xc1);
            break;
        default:
            g_byte(g, 0x9f); /* closed below; here the single item and a break follow */
            break;
        }
    }
    g_byte(g, 0x00);
    /* close the indefinite arrays from the inside out */
    size_t n = g->n;
    for (size_t i = n; i-- > 0;) {
        if (g->b[i] == 0x9f) {
            g_byte(g, 0xff);
        }
    }
}

static const uint8_t special[] = {0xff, 0x1c, 0x1d, 0x1e, 0x1f, 0x3f, 0x5f, 0x7f, 0x9f, 0xbf,
                                  0xdf, 0xf8, 0xfc, 0xc6, 0xd4, 0x5b, 0x7b, 0x9b, 0xbb, 0xe0};

/* A mutant of in[0..n) into out; returns its length. */
static size_t mutate(const uint8_t *in, size_t n, uint8_t *out, size_t cap)
{
    memmove(out, in, n);
    size_t at = n ? rndn((unsigned)n) : 0;
    switch (rndn(6)) {
    case 0: /* truncate */
        return at;
    case 1: /* flip a byte */
        if (n) {
            out[at] = (uint8_t)rnd();
        }
        return n;
    case 2: /* special byte */
        if (n) {
            out[at] = special[rndn(sizeof(special))];
        }
        return n;
    case 3: /* insert a byte */
        if (n + 1 > cap) {
            return n;
        }
        memmove(out + at + 1, out + at, n - at);
        out[at] = rndn(2) ? special[rndn(sizeof(special))] : (uint8_t)rnd();
        return n + 1;
    case 4: /* delete a byte */
        if (n) {
            memmove(out + at, out + at + 1, n - at - 1);
            return n - 1;
        }
        return n;
    default: { /* duplicate a slice */
        size_t l = n ? 1 + rndn((unsigned)(n - at < 8 ? n - at : 8)) : 0;
        if (n + l > cap) {
            return n;
        }
        memmove(out + at + l, out + at, n - at);
        return n + l;
    }
    }
}

static void test_reader_diff(void)
{
    rng_state = 0x5eed0002u;
    static gbuf_t g;
    static uint8_t m[1200];
    for (int i = 0; i < 30000; i++) {
        g.n = 0;
        if (i % 5 == 4) {
            g_deep(&g);
        } else {
            g_item(&g, 1);
        }
        compare_all(g.b, g.n);
        for (int k = 0; k < 6; k++) {
            size_t n = mutate(g.b, g.n, m, sizeof(m));
            for (int more = rndn(3); more > 0; more--) {
                n = mutate(m, n, m, sizeof(m));
            }
            /* exact-size copy: ASan catches any read past the end */
            uint8_t *exact = malloc(n ? n : 1);
            memcpy(exact, m, n);
            compare_all(exact, n);
            free(exact);
        }
    }
    /* plain random bytes, biased towards short heads and containers */
    for (int i = 0; i < 20000; i++) {
        size_t n = rndn(40);
        uint8_t *b = malloc(n ? n : 1);
        for (size_t k = 0; k < n; k++) {
            b[k] = rndn(3) == 0 ? special[rndn(sizeof(special))] : (uint8_t)rnd();
        }
        compare_all(b, n);
        free(b);
    }
    /* every one-byte head, alone and followed by zero bytes */
    for (unsigned ib = 0; ib < 256; ib++) {
        uint8_t b[10] = {(uint8_t)ib};
        compare_all(b, 1);
        compare_all(b, sizeof(b));
    }
    printf(
        "reader: %u heads compared (%u decoded, %u C6-D4), items: %u well-formed (%u deeper than "
        "%d), %u malformed, %u checked with cbor_load (%u well-formed with non-UTF-8 text)\n",
        heads_compared, heads_ok, heads_tagdiff, items_wf, items_too_deep, DFU_CBOR_MAX_DEPTH,
        items_malformed, items_loaded, items_utf8);
    for (int k = 0; k < CBOR_WHY_N; k++) {
        printf("reader: malformed items refused for \"%s\": %u\n",
               cbor_oracle_why_name((cbor_oracle_why_t)k), why_count[k]);
        CHECK(why_count[k] > 100); /* every RFC 8949 rule was exercised */
    }
    CHECK_EQ_INT(mismatches, 0);
    /* the generator reached every interesting region */
    CHECK(heads_ok > 1000000);
    CHECK(heads_tagdiff > 10000);
    CHECK(items_wf > 50000);
    CHECK(items_too_deep > 2000);
    CHECK(items_malformed > 100000);
    CHECK(items_loaded > 100000);
}

/* ---- (c) Key tables: dfu_cbor_decode_map vs a model over cbor_load's tree ---------------------
 */

static unsigned maps_ok, maps_bad, maps_skipped;

static void compare_map(const uint8_t *b, size_t len)
{
    int outcome = 0;
    mismatch(cbor_oracle_map(b, len, &outcome), b, len, 0);
    maps_ok += outcome == 0;
    maps_bad += outcome == DFU_ERR_BAD_CBOR;
    maps_skipped += outcome == 1;
}

/* Fixed cases: input, expected rc, expected found bits; each also against the model. */
static void test_keytable_cases(void)
{
    static const struct {
        const char *hex;
        int rc;
        uint32_t found;
    } cases[] = {
        /* unknown key with a nested value of every kind, then a known key */
        {"a2 61 78 82 01 a1 61 79 86 41 00 61 73 f9 3e00 f6 f7 c1 02  63 6f6666 05", 0, 1},
        /* non-text keys are skipped: 1, h'6f6666' (bytes "off"), ["off"], then "off" */
        {"a4 01 02 43 6f6666 03 81 63 6f6666 04 63 6f6666 07", 0, 1},
        /* keys that only start like "off": "off\0", "offs", "of" */
        {"a3 64 6f666600 01 64 6f666673 02 62 6f66 03", 0, 0},
        /* indefinite text key "o"+"ff" is not the key "off" */
        {"a1 7f 61 6f 62 6666 ff 05", 0, 0},
        /* duplicates: known key twice; nullable key null then a value; unknown key twice is ok */
        {"a2 63 6f6666 01 63 6f6666 02", DFU_ERR_BAD_CBOR, 0},
        {"a2 64 64617461 f6 64 64617461 41 01", DFU_ERR_BAD_CBOR, 0},
        {"a2 61 78 01 61 78 02", 0, 0},
        /* wrong types */
        {"a1 63 6f6666 20", DFU_ERR_BAD_CBOR, 0},      /* off: -1 */
        {"a1 63 6f6666 61 35", DFU_ERR_BAD_CBOR, 0},   /* off: "5" */
        {"a1 63 6f6666 c0 05", DFU_ERR_BAD_CBOR, 0},   /* off: tag(0, 5) */
        {"a1 64 666c6167 01", DFU_ERR_BAD_CBOR, 0},    /* flag: 1 */
        {"a1 64 6e616d65 f6", DFU_ERR_BAD_CBOR, 0},    /* name: null (not nullable) */
        {"a1 64 6e616d65 7f ff", DFU_ERR_BAD_CBOR, 0}, /* name: indefinite text */
        {"a1 64 64617461 f5", DFU_ERR_BAD_CBOR, 0},    /* data: true */
        /* int range */
        {"a1 61 69 1b 7fffffffffffffff", 0, 2},
        {"a1 61 69 1b 8000000000000000", DFU_ERR_BAD_CBOR, 0},
        {"a1 61 69 3b 7fffffffffffffff", 0, 2},
        {"a1 61 69 3b 8000000000000000", DFU_ERR_BAD_CBOR, 0},
        /* boolish: true, 0, -1 */
        {"a1 61 62 f5", 0, 8},
        {"a1 61 62 00", 0, 8},
        {"a1 61 62 20", 0, 8},
        {"a1 61 62 f6", DFU_ERR_BAD_CBOR, 0},
        /* nullable: null = absent */
        {"a1 64 64617461 f6", 0, 0},
        /* indefinite maps: ok, nested, missing break, broken after a key, break as a value */
        {"bf 63 6f6666 01 64 6e616d65 62 6869 ff", 0, 0x11},
        {"bf 61 78 bf 61 79 9f ff ff 61 69 26 ff", 0, 2},
        {"bf 63 6f6666 01", DFU_ERR_BAD_CBOR, 0},
        {"bf 63 6f6666 ff", DFU_ERR_BAD_CBOR, 0},
        {"bf 61 78 ff ff", DFU_ERR_BAD_CBOR, 0},
        /* empty maps, empty input, trailing bytes after the map */
        {"a0", 0, 0},
        {"bf ff", 0, 0},
        {"", 0, 0},
        {"a1 63 6f6666 01 ff ff 1c", 0, 1},
        /* not a map */
        {"80", DFU_ERR_BAD_CBOR, 0},
        {"f6", DFU_ERR_BAD_CBOR, 0},
        /* depth: map (1) + 7 nested arrays = 8 is the bound; 8 arrays are one too many */
        {"a1 61 78 81 81 81 81 81 81 81 00", 0, 0},
        {"a1 61 78 81 81 81 81 81 81 81 81 00", DFU_ERR_BAD_CBOR, 0},
        /* a deep value under a known key with the wrong type is refused for its type */
        {"a1 63 6f6666 81 81 81 81 81 81 81 81 81 00", DFU_ERR_BAD_CBOR, 0},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        uint8_t b[128];
        size_t n = tu_unhex(cases[i].hex, b, sizeof(b));
        cbor_oracle_fields_t f;
        int rc = cbor_oracle_decode(b, n, &f);
        if (rc != cases[i].rc || (rc == 0 && f.found != cases[i].found)) {
            fprintf(stderr, "case %zu (%s): rc %d found 0x%x\n", i, cases[i].hex, rc, f.found);
        }
        CHECK_EQ_INT(rc, cases[i].rc);
        if (rc == 0) {
            CHECK_EQ_INT(f.found, cases[i].found);
        }
        unsigned before = mismatches;
        compare_map(b, n);
        CHECK_EQ_INT(mismatches, before);
    }
    /* values of the fixed cases */
    uint8_t b[64];
    cbor_oracle_fields_t f;
    size_t n = tu_unhex("a3 61 69 3b 7fffffffffffffff 64 6e616d65 62 6869 63 6f6666 19 012c", b,
                        sizeof(b));
    CHECK_EQ_INT(cbor_oracle_decode(b, n, &f), 0);
    CHECK(f.i == INT64_MIN);
    CHECK_EQ_INT(f.off, 300);
    CHECK(f.name.len == 2 && memcmp(f.name.ptr, "hi", 2) == 0);
}

/* A random request-like map: known and unknown keys, right and wrong value types. */
static void g_map(gbuf_t *g)
{
    static const char *const names[] = {"off", "i",  "flag", "b",    "name", "data",
                                        "x",   "of", "",     "offs", "bb"};
    unsigned n = rndn(7);
    bool indef = rndn(3) == 0;
    if (indef) {
        g_byte(g, 0xbf);
    } else {
        g_head(g, 5, n);
    }
    for (unsigned p = 0; p < n; p++) {
        if (rndn(10) == 0) {
            g_item(g, 2); /* non-text key */
        } else {
            const char *k = names[rndn(sizeof(names) / sizeof(names[0]))];
            g_head(g, 3, strlen(k));
            for (const char *c = k; *c; c++) {
                g_byte(g, (uint8_t)*c);
            }
        }
        switch (rndn(8)) {
        case 0:
            g_head(g, 0, g_val());
            break;
        case 1:
            g_head(g, 1, g_val());
            break;
        case 2:
            g_byte(g, (uint8_t)(0xf4 + rndn(3)));
            break;
        case 3:
        case 4: {
            size_t l = rndn(6);
            g_head(g, 2 + rndn(2), l);
            g_bytes(g, l);
            break;
        }
        default:
            g_item(g, 2);
            break;
        }
    }
    if (indef) {
        g_byte(g, 0xff);
    }
}

static void test_keytable_diff(void)
{
    rng_state = 0x5eed0003u;
    static gbuf_t g;
    static uint8_t m[1200];
    for (int i = 0; i < 30000; i++) {
        g.n = 0;
        g_map(&g);
        compare_map(g.b, g.n);
        for (int k = 0; k < 3; k++) {
            size_t n = mutate(g.b, g.n, m, sizeof(m));
            uint8_t *exact = malloc(n ? n : 1);
            memcpy(exact, m, n);
            compare_map(exact, n);
            free(exact);
        }
    }
    printf("key tables: %u maps decoded alike, %u refused alike, %u not compared (C6-D4, UTF-8)\n",
           maps_ok, maps_bad, maps_skipped);
    CHECK_EQ_INT(mismatches, 0);
    CHECK(maps_ok > 10000);
    CHECK(maps_bad > 10000);
}

int main(void)
{
    test_writer_diff();
    test_reader_diff();
    test_keytable_cases();
    test_keytable_diff();
    return dfu_test_finish("test_smp_cbor_diff");
}
