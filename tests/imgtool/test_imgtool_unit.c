/*
 * Unit tests of the imgtool library's parsers and formatters: version strings, numbers,
 * custom TLV values, dependency specs, the --sim-app descriptor, Intel HEX writer and parser.
 */
#include <stdio.h>
#include <string.h>

#include "dfu_imgtool.h"
#include "dfu_test.h"

static void test_version(void)
{
    dfu_imgtool_version_t v;
    dfu_imgtool_diag_t d;
    CHECK_EQ_INT(dfu_imgtool_version_parse("1.2.3+4", &v, &d), 0);
    CHECK(v.major == 1 && v.minor == 2 && v.revision == 3 && v.build == 4);
    CHECK_EQ_INT(dfu_imgtool_version_parse("7", &v, &d), 0);
    CHECK(v.major == 7 && v.minor == 0 && v.revision == 0 && v.build == 0);
    CHECK_EQ_INT(dfu_imgtool_version_parse("255.255.65535+4294967295", &v, &d), 0);
    CHECK(v.revision == 65535 && v.build == 4294967295u);
    const char *bad[] = {"",       "1.",        "1.2.3.4",          "a.b",  "256.0.0",
                         "1.256",  "1.0.65536", "1.2.3+4294967296", "01.2", "1.2+3",
                         "1.2.3+", "-1",        "1.2.3+4x"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        d.msg[0] = '\0';
        CHECK_EQ_INT(dfu_imgtool_version_parse(bad[i], &v, &d), DFU_ERR_INVAL);
        CHECK(strstr(d.msg, "version") != NULL);
    }
}

static void test_numbers(void)
{
    uint32_t v = 0;
    dfu_imgtool_diag_t d;
    CHECK_EQ_INT(dfu_imgtool_parse_u32("0x32000", 0xffffffffu, "-S", &v, &d), 0);
    CHECK_EQ_INT(v, 0x32000);
    CHECK_EQ_INT(dfu_imgtool_parse_u32("512", 0xffffffffu, "-H", &v, &d), 0);
    CHECK_EQ_INT(v, 512);
    CHECK_EQ_INT(dfu_imgtool_parse_u32("010", 0xffffffffu, "-x", &v, &d), 0);
    CHECK_EQ_INT(v, 8);
    CHECK_EQ_INT(dfu_imgtool_parse_u32("0x100000000", 0xffffffffu, "-S", &v, &d), DFU_ERR_INVAL);
    CHECK(strstr(d.msg, "too large") != NULL);
    CHECK_EQ_INT(dfu_imgtool_parse_u32("12k", 0xffffffffu, "-S", &v, &d), DFU_ERR_INVAL);
    CHECK_EQ_INT(dfu_imgtool_parse_u32("-1", 0xffffffffu, "-S", &v, &d), DFU_ERR_INVAL);
    CHECK_EQ_INT(dfu_imgtool_parse_u32("", 0xffffffffu, "-S", &v, &d), DFU_ERR_INVAL);
}

static void test_custom_and_deps(void)
{
    dfu_imgtool_sign_opts_t o;
    dfu_imgtool_diag_t d;
    memset(&o, 0, sizeof(o));
    CHECK_EQ_INT(dfu_imgtool_opts_add_custom(&o, "0xa0", "0x0102030405", &d), 0);
    CHECK_EQ_INT(dfu_imgtool_opts_add_custom(&o, "0x01a5", "hello-mcuboot", &d), 0);
    CHECK_EQ_INT(o.custom_count, 2);
    CHECK(o.custom[0].tag == 0xa0 && o.custom[0].len == 5 && o.custom[0].value[4] == 5);
    CHECK(o.custom[1].tag == 0x1a5 && o.custom[1].len == 13 &&
          memcmp(o.custom[1].value, "hello-mcuboot", 13) == 0);
    CHECK_EQ_INT(dfu_imgtool_opts_add_custom(&o, "0xa0", "x", &d), DFU_ERR_INVAL); /* dup */
    CHECK_EQ_INT(dfu_imgtool_opts_add_custom(&o, "0x50", "x", &d), DFU_ERR_INVAL);
    CHECK_EQ_INT(dfu_imgtool_opts_add_custom(&o, "0x0150", "x", &d), DFU_ERR_INVAL);
    CHECK_EQ_INT(dfu_imgtool_opts_add_custom(&o, "0xffff", "x", &d), DFU_ERR_INVAL);
    CHECK_EQ_INT(dfu_imgtool_opts_add_custom(&o, "0xb0", "0x12g4", &d), DFU_ERR_INVAL);
    CHECK_EQ_INT(dfu_imgtool_opts_add_custom(&o, "0xb0", "0x123", &d), DFU_ERR_INVAL);
    CHECK_EQ_INT(o.custom_count, 2);
    dfu_imgtool_sign_opts_free(&o);
    CHECK_EQ_INT(o.custom_count, 0);

    CHECK_EQ_INT(dfu_imgtool_opts_add_deps(&o, "(1,2.0.0+0)", &d), 0);
    CHECK_EQ_INT(dfu_imgtool_opts_add_deps(&o, "(0, 1.2.3), (2,3.4.5+6)", &d), 0);
    CHECK_EQ_INT(o.dep_count, 3);
    CHECK(o.deps[0].image_id == 1 && o.deps[0].version.major == 2);
    CHECK(o.deps[2].image_id == 2 && o.deps[2].version.build == 6);
    CHECK_EQ_INT(dfu_imgtool_opts_add_deps(&o, "1,2.0.0", &d), DFU_ERR_INVAL);
    CHECK_EQ_INT(dfu_imgtool_opts_add_deps(&o, "(1,2.x)", &d), DFU_ERR_INVAL);
    CHECK_EQ_INT(dfu_imgtool_opts_add_deps(&o, "(300,1.0.0)", &d), DFU_ERR_INVAL);
}

static void test_sim_app(void)
{
    dfu_imgtool_diag_t d;
    const char *good[] = {"name=demo",
                          "security=4,passkey=000123,policy=open",
                          "confirm=never",
                          "confirm=boot",
                          "confirm=healthy",
                          "confirm=after:5,healthy=no",
                          "buf_size=2048,buf_count=4",
                          "name=My Sensor v2,security=1"};
    for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
        CHECK_EQ_INT(dfu_imgtool_sim_app_check(good[i], &d), 0);
    }
    const char *bad[] = {"",
                         "name=",
                         "security=0",
                         "security=12",
                         "passkey=1234567",
                         "passkey=12a456",
                         "policy=OPEN",
                         "confirm=after:",
                         "confirm=after:x",
                         "confirm=later",
                         "healthy=maybe",
                         "buf_size=0",
                         "buf_count=-1",
                         "buf_size=99999999999",
                         "colour=red",
                         "name=a,name=b",
                         "name=a,",
                         "name=a=b",
                         "NAME=a"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        d.msg[0] = '\0';
        int rc = dfu_imgtool_sim_app_check(bad[i], &d);
        CHECK_EQ_INT(rc, DFU_ERR_INVAL);
        CHECK(strstr(d.msg, "--sim-app") != NULL);
        if (rc == 0) {
            fprintf(stderr, "  accepted bad descriptor '%s'\n", bad[i]);
        }
    }
}

static void test_hex(void)
{
    dfu_imgtool_hex_t h = {0}, back = {0};
    dfu_imgtool_buf_t text = {0}, flat = {0};
    dfu_imgtool_diag_t d;
    uint8_t a[40], b[8];
    for (size_t i = 0; i < sizeof(a); i++) {
        a[i] = (uint8_t)i;
    }
    memset(b, 0xee, sizeof(b));
    /* crosses the 64 KiB boundary: record split + extended linear address records */
    CHECK_EQ_INT(dfu_imgtool_hex_put(&h, 0xfff8, a, sizeof(a)), 0);
    CHECK_EQ_INT(dfu_imgtool_hex_put(&h, 0x10100, b, sizeof(b)), 0);
    CHECK_EQ_INT(dfu_imgtool_hex_put(&h, 0x10000, "\x55", 1), 0); /* overwrite wins */
    CHECK_EQ_INT(h.count, 2);
    CHECK_EQ_INT(dfu_imgtool_hex_format(&h, &text), 0);
    const char *want = ":020000040000FA\n"
                       ":08FFF8000001020304050607E5\n"
                       ":020000040001F9\n"
                       ":1000000055090A0B0C0D0E0F1011121314151617AB\n"
                       ":1000100018191A1B1C1D1E1F2021222324252627E8\n"
                       ":08010000EEEEEEEEEEEEEEEE87\n"
                       ":00000001FF\n";
    CHECK(text.len == strlen(want) && memcmp(text.data, want, text.len) == 0);
    if (!(text.len == strlen(want) && memcmp(text.data, want, text.len) == 0)) {
        fprintf(stderr, "  hex output:\n%s", (const char *)text.data);
    }
    CHECK_EQ_INT(dfu_imgtool_hex_parse(text.data, text.len, "t.hex", &back, &d), 0);
    uint32_t base = 0;
    CHECK_EQ_INT(dfu_imgtool_hex_flatten(&back, &flat, &base), 0);
    CHECK_EQ_INT(base, 0xfff8);
    CHECK_EQ_INT(flat.len, 0x10108 - 0xfff8);
    CHECK(flat.data[8] == 0x55 && flat.data[9] == 9 && flat.data[40] == 0xff &&
          flat.data[0x108] == 0xee);
    /* small images need no extended address record */
    dfu_imgtool_hex_t s = {0};
    dfu_imgtool_buf_t st = {0};
    CHECK_EQ_INT(dfu_imgtool_hex_put(&s, 0x100, "\x01\x02", 2), 0);
    CHECK_EQ_INT(dfu_imgtool_hex_format(&s, &st), 0);
    CHECK(strcmp((const char *)st.data, ":020100000102FA\n:00000001FF\n") == 0);
    /* corrupt input is refused with the line number */
    const char *badsum = ":020100000102FB\n";
    dfu_imgtool_hex_t x = {0};
    CHECK_EQ_INT(dfu_imgtool_hex_parse((const uint8_t *)badsum, strlen(badsum), "bad.hex", &x, &d),
                 DFU_ERR_CORRUPT);
    CHECK(strstr(d.msg, "bad.hex line 1") != NULL);
    dfu_imgtool_hex_free(&x);
    dfu_imgtool_hex_free(&s);
    dfu_imgtool_buf_free(&st);
    dfu_imgtool_hex_free(&h);
    dfu_imgtool_hex_free(&back);
    dfu_imgtool_buf_free(&text);
    dfu_imgtool_buf_free(&flat);
}

static void test_key_types(void)
{
    CHECK_EQ_INT(dfu_imgtool_key_type_parse("ecdsa-p256"), DFU_IMGTOOL_KEY_ECDSA_P256);
    CHECK_EQ_INT(dfu_imgtool_key_type_parse("x25519"), DFU_IMGTOOL_KEY_X25519);
    CHECK_EQ_INT(dfu_imgtool_key_type_parse("rsa-4096"), 0);
    CHECK(strcmp(dfu_imgtool_key_type_name(DFU_IMGTOOL_KEY_RSA_3072), "rsa-3072") == 0);
}

/* A tiny hand-built image: 32-byte header, 4-byte payload, one SHA256 TLV (unchecked by info). */
static void test_info_json_escaping(void)
{
    uint8_t img[32 + 4 + 4 + 36] = {0};
    img[0] = 0x3d, img[1] = 0xb8, img[2] = 0xf3, img[3] = 0x96; /* magic */
    img[8] = 32;                                                /* hdr_size */
    img[12] = 4;                                                /* img_size */
    img[20] = 1, img[21] = 2, img[22] = 3;                      /* version 1.2.3 */
    img[36] = 0x07, img[37] = 0x69, img[38] = 40;               /* TLV info 0x6907, tot 40 */
    img[40] = 0x10, img[42] = 32;                               /* SHA256, len 32 */
    memset(img + 44, 0xab, 32);
    dfu_imgtool_buf_t out = {0};
    dfu_imgtool_diag_t d;
    CHECK_EQ_INT(dfu_imgtool_info(img, sizeof(img), "we\"ird\\name.bin", true, &out, &d), 0);
    CHECK(out.data && strstr((char *)out.data, "\"filename\": \"we\\\"ird\\\\name.bin\"") != NULL);
    CHECK(out.data && strstr((char *)out.data, "\"version\": \"1.2.3+0\"") != NULL);
    CHECK(out.data && strstr((char *)out.data, "\"hash\": \"abababab") != NULL);
    dfu_imgtool_buf_free(&out);
    /* truncated TLV area: one clear error, no output */
    CHECK(dfu_imgtool_info(img, sizeof(img) - 1, "t.bin", true, &out, &d) < 0);
    CHECK(strstr(d.msg, "TLV") != NULL);
    dfu_imgtool_buf_free(&out);
}

int main(void)
{
    test_version();
    test_numbers();
    test_custom_and_deps();
    test_sim_app();
    test_hex();
    test_key_types();
    test_info_json_escaping();
    return dfu_test_finish("test_imgtool_unit");
}
