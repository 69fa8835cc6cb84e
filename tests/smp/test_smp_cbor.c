/* CBOR layer: writer byte forms, item reader, key tables (definite/indefinite, unknown nested
 * keys, wrong types, duplicates, depth bound, malformed and truncated input). */
#include <stdbool.h>

#include "dfu_test.h"
#include "dfukit/dfu_cbor.h"
#include "dfukit/dfu_err.h"
#include "smp_testutil.h"

static void test_writer(void)
{
    uint8_t b[64];
    dfu_cbor_writer_t w;
    dfu_cbor_writer_init(&w, b, sizeof(b));
    bool ok = dfu_cbor_put_map_indef(&w) && dfu_cbor_put_str(&w, "rc") &&
              dfu_cbor_put_uint(&w, 3) && dfu_cbor_put_break(&w);
    CHECK(ok);
    const uint8_t want[] = {0xbf, 0x62, 0x72, 0x63, 0x03, 0xff};
    CHECK_EQ_INT(w.len, sizeof(want));
    CHECK_MEM(b, want, sizeof(want));

    dfu_cbor_writer_init(&w, b, sizeof(b));
    ok = dfu_cbor_put_uint(&w, 24) && dfu_cbor_put_uint(&w, 65535) && dfu_cbor_put_int(&w, -1) &&
         dfu_cbor_put_int(&w, -500) && dfu_cbor_put_bool(&w, true) && dfu_cbor_put_null(&w);
    CHECK(ok);
    const uint8_t want2[] = {0x18, 0x18, 0x19, 0xff, 0xff, 0x20, 0x39, 0x01, 0xf3, 0xf5, 0xf6};
    CHECK_EQ_INT(w.len, sizeof(want2));
    CHECK_MEM(b, want2, sizeof(want2));

    /* Overflow: sticky error, nothing partial. */
    dfu_cbor_writer_init(&w, b, 5);
    CHECK(!dfu_cbor_put_str(&w, "hello"));
    CHECK_EQ_INT(w.err, DFU_ERR_NOMEM);
    CHECK_EQ_INT(w.len, 0);
    CHECK(!dfu_cbor_put_uint(&w, 1));
    CHECK_EQ_INT(w.len, 0);

    /* String head + raw pieces. */
    dfu_cbor_writer_init(&w, b, sizeof(b));
    CHECK(dfu_cbor_put_tstr_head(&w, 5) && dfu_cbor_put_raw(&w, "ab", 2) &&
          dfu_cbor_put_raw(&w, "cde", 3));
    CHECK_MEM(b,
              "\x65"
              "abcde",
              6);
}

typedef struct fields {
    uint64_t off;
    int64_t i;
    bool flag;
    dfu_cbor_str_t name;
    dfu_cbor_str_t data;
    uint32_t found;
} fields_t;

static int decode(const char *hex, fields_t *f)
{
    uint8_t b[512];
    size_t n = tu_unhex(hex, b, sizeof(b));
    memset(f, 0, sizeof(*f));
    const dfu_cbor_key_t keys[] = {
        {"off", DFU_CBOR_WANT_UINT, 0, &f->off},
        {"i", DFU_CBOR_WANT_INT, 0, &f->i},
        {"flag", DFU_CBOR_WANT_BOOL, 0, &f->flag},
        {"name", DFU_CBOR_WANT_TSTR, 0, &f->name},
        {"data", DFU_CBOR_WANT_BSTR, DFU_CBOR_NULLABLE, &f->data},
    };
    return dfu_cbor_decode_map(b, n, keys, 5, &f->found);
}

static void test_keytable(void)
{
    fields_t f;
    /* definite map: {"off": 300, "flag": true} */
    CHECK_EQ_INT(decode("a2 63 6f6666 19 012c 64 666c6167 f5", &f), 0);
    CHECK_EQ_INT(f.off, 300);
    CHECK(f.flag);
    CHECK_EQ_INT(f.found, 0x5);
    /* indefinite map with an unknown nested key skipped: {"x": {"y":[1,[2,{}]]}, "i": -7} */
    CHECK_EQ_INT(decode("bf 61 78 bf 61 79 9f 01 82 02 a0 ff ff 61 69 26 ff", &f), 0);
    CHECK_EQ_INT(f.i, -7);
    CHECK_EQ_INT(f.found, 0x2);
    /* unknown key with tagged, float, indefinite-string values */
    CHECK_EQ_INT(decode("a4 61 74 c1 1a 00000001 61 66 fb 3ff0000000000000 61 73 7f 61 61 61 62 ff "
                        "64 6e616d65 62 6869",
                        &f),
                 0);
    CHECK_EQ_INT(f.name.len, 2);
    CHECK_MEM(f.name.ptr, "hi", 2);
    /* null for a nullable key = absent */
    CHECK_EQ_INT(decode("a1 64 64617461 f6", &f), 0);
    CHECK_EQ_INT(f.found, 0);
    /* empty payload = empty map */
    CHECK_EQ_INT(decode("", &f), 0);
    CHECK_EQ_INT(f.found, 0);
    /* wrong types */
    CHECK_EQ_INT(decode("a1 63 6f6666 20", &f), DFU_ERR_BAD_CBOR);        /* off: -1 */
    CHECK_EQ_INT(decode("a1 64 666c6167 01", &f), DFU_ERR_BAD_CBOR);      /* flag: 1 (int) */
    CHECK_EQ_INT(decode("a1 64 6e616d65 42 6869", &f), DFU_ERR_BAD_CBOR); /* name: bstr */
    CHECK_EQ_INT(decode("a1 64 64617461 f5", &f), DFU_ERR_BAD_CBOR);      /* data: bool */
    /* not a map */
    CHECK_EQ_INT(decode("82 01 02", &f), DFU_ERR_BAD_CBOR);
    CHECK_EQ_INT(decode("ff", &f), DFU_ERR_BAD_CBOR);
    /* duplicate known key */
    CHECK_EQ_INT(decode("a2 63 6f6666 01 63 6f6666 02", &f), DFU_ERR_BAD_CBOR);
    /* truncated: map says 2 pairs, has one; string longer than the buffer; cut integer */
    CHECK_EQ_INT(decode("a2 63 6f6666 01", &f), DFU_ERR_BAD_CBOR);
    CHECK_EQ_INT(decode("a1 64 6e616d65 78 ff 6869", &f), DFU_ERR_BAD_CBOR);
    CHECK_EQ_INT(decode("a1 63 6f6666 1a 0000", &f), DFU_ERR_BAD_CBOR);
    CHECK_EQ_INT(decode("a2 61 64", &f), DFU_ERR_BAD_CBOR);
    /* indefinite map broken after a key */
    CHECK_EQ_INT(decode("bf 63 6f6666 ff", &f), DFU_ERR_BAD_CBOR);
    /* huge definite counts */
    CHECK_EQ_INT(decode("bb ffffffffffffffff", &f), DFU_ERR_BAD_CBOR);
    CHECK_EQ_INT(decode("a1 61 78 9b 7fffffffffffffff", &f), DFU_ERR_BAD_CBOR);
    /* reserved additional info */
    CHECK_EQ_INT(decode("a1 61 78 1c", &f), DFU_ERR_BAD_CBOR);
    /* break where a value is expected */
    CHECK_EQ_INT(decode("bf 61 78 ff", &f), DFU_ERR_BAD_CBOR);
    /* indefinite string with a chunk of the wrong type */
    CHECK_EQ_INT(decode("a1 61 78 7f 41 61 ff", &f), DFU_ERR_BAD_CBOR);
}

static void test_depth(void)
{
    /* {"x": [[[...]]]} nested k levels deep */
    for (unsigned k = 1; k <= 12; k++) {
        uint8_t b[64];
        size_t n = 0;
        b[n++] = 0xa1;
        b[n++] = 0x61;
        b[n++] = 'x';
        for (unsigned i = 0; i < k; i++) {
            b[n++] = 0x81;
        }
        b[n++] = 0x00;
        fields_t f;
        const dfu_cbor_key_t keys[] = {{"off", DFU_CBOR_WANT_UINT, 0, &f.off}};
        int rc = dfu_cbor_decode_map(b, n, keys, 1, NULL);
        /* top map = level 1, the value at level 2: k arrays reach level k + 1 */
        if (k + 1 <= DFU_CBOR_MAX_DEPTH) {
            CHECK_EQ_INT(rc, 0);
        } else {
            CHECK_EQ_INT(rc, DFU_ERR_BAD_CBOR);
        }
    }
    /* Deep indefinite nesting (100 levels) must be refused, not overflow anything. */
    uint8_t deep[256];
    size_t n = 0;
    deep[n++] = 0xbf;
    deep[n++] = 0x61;
    deep[n++] = 'x';
    for (int i = 0; i < 100; i++) {
        deep[n++] = 0x9f;
    }
    CHECK_EQ_INT(dfu_cbor_decode_map(deep, n, NULL, 0, NULL), DFU_ERR_BAD_CBOR);
}

static void test_reader_bounds(void)
{
    /* Every prefix of a valid message decodes or fails cleanly (ASan checks the bounds). */
    uint8_t b[128];
    size_t n =
        tu_unhex("bf 63 6f6666 19 012c 64 6e616d65 65 68656c6c6f 61 7a 9f 01 a1 61 61 f4 ff ff", b,
                 sizeof(b));
    for (size_t cut = 0; cut <= n; cut++) {
        uint8_t *copy = malloc(cut ? cut : 1);
        memcpy(copy, b, cut);
        fields_t f;
        const dfu_cbor_key_t keys[] = {{"off", DFU_CBOR_WANT_UINT, 0, &f.off},
                                       {"name", DFU_CBOR_WANT_TSTR, 0, &f.name}};
        int rc = dfu_cbor_decode_map(copy, cut, keys, 2, &f.found);
        if (cut == n || cut == 0) {
            CHECK_EQ_INT(rc, 0);
        } else {
            CHECK_EQ_INT(rc, DFU_ERR_BAD_CBOR);
        }
        free(copy);
    }
}

int main(void)
{
    test_writer();
    test_keytable();
    test_depth();
    test_reader_bounds();
    return dfu_test_finish("test_smp_cbor");
}
