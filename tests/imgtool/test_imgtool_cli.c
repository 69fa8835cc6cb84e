/*
 * `dfukit image` end to end, no shared vectors needed:
 *  - keygen -> getpub/getpubhash -> sign -> verify round trips for every key type (keys are
 *    generated at test time in a temp dir); a wrong key and a tampered image are rejected;
 *  - encryption round trips (X25519, P-256, RSA) verified by decrypting with --enc-key;
 *  - Intel HEX output and input;
 *  - --sim-app writes protected TLV 0x00a5 and rejects bad descriptors;
 *  - error paths: missing key file, bad version, image too big for -S, unknown option, ... each
 *    with one specific line on stderr and the documented exit code (1 failure, 2 usage).
 */
#include <openssl/evp.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "dfu_imgtool.h"
#include "dfu_test.h"
#include "run_util.h"

static char tmp[256];
static run_result_t *r;

static void write_payload(const char *path, size_t n)
{
    FILE *f = fopen(path, "wb");
    uint32_t x = 0x12345678u;
    for (size_t i = 0; f && i < n; i++) {
        x = x * 1103515245u + 12345u;
        fputc((int)(x >> 24), f);
    }
    if (f) {
        fclose(f);
    }
}

static size_t file_size(const char *path)
{
    size_t n = 0;
    uint8_t *b = read_file(path, &n);
    free(b);
    return b ? n : 0;
}

/* Runs and checks: exit code, and for failures exactly one stderr line containing `needle`. */
static void expect(int code, const char *needle, const char *fmt, const char *a, const char *b)
{
    char line[2048];
    snprintf(line, sizeof(line), fmt, a, b);
    int rc = run_dfukitf(r, tmp, "%s", line);
    CHECK_EQ_INT(rc, code);
    if (code != 0) {
        CHECK_EQ_INT(count_lines(r->err), 1);
        CHECK(needle == NULL || strstr(r->err, needle) != NULL);
    }
    if (rc != code || (needle && code && !strstr(r->err, needle))) {
        fprintf(stderr, "  '%s' -> %d, stderr: %s", line, rc, r->err);
    }
}

static void test_key_roundtrip(const char *type, size_t der_len, bool signs)
{
    char cmd[1024];
    snprintf(cmd, sizeof(cmd), "image keygen -k k_%s.pem -t %s -e exp_%s.pem", type, type, type);
    CHECK_EQ_INT(run_dfukitf(r, tmp, "%s", cmd), 0);
    struct stat st;
    snprintf(cmd, sizeof(cmd), "%s/k_%s.pem", tmp, type);
    CHECK(stat(cmd, &st) == 0 && (st.st_mode & 077) == 0); /* private key: owner only */
    CHECK_EQ_INT(run_dfukitf(r, tmp, "image getpub -k k_%s.pem -e raw -o %s.der", type, type), 0);
    CHECK_EQ_INT(run_dfukitf(r, tmp, "image getpub -k k_%s.pem -e pem -o %s.pub.pem", type, type),
                 0);
    CHECK_EQ_INT(run_dfukitf(r, tmp, "image getpubhash -k k_%s.pem -e raw -o %s.hash", type, type),
                 0);
    CHECK_EQ_INT(run_dfukitf(r, tmp, "image getpub -k k_%s.pem -e c", type), 0);
    CHECK(strstr(r->out, "_pub_key[] = {") != NULL);
    char p[512];
    size_t dl = 0, hl = 0;
    snprintf(p, sizeof(p), "%s/%s.der", tmp, type);
    uint8_t *der = read_file(p, &dl);
    snprintf(p, sizeof(p), "%s/%s.hash", tmp, type);
    uint8_t *hash = read_file(p, &hl);
    CHECK_EQ_INT(dl, der_len);
    uint8_t want[32];
    unsigned int wl = 0;
    CHECK(der && hash && hl == 32 && EVP_Digest(der, dl, want, &wl, EVP_sha256(), NULL) == 1 &&
          memcmp(want, hash, 32) == 0);
    free(der);
    free(hash);
    /* the public PEM (getpub and keygen -e) re-imports and gives the same DER */
    CHECK_EQ_INT(run_dfukitf(r, tmp, "image getpub -k %s.pub.pem -e raw -o %s.der2", type, type),
                 0);
    CHECK_EQ_INT(run_dfukitf(r, tmp, "image getpub -k exp_%s.pem -e raw -o %s.der3", type, type),
                 0);
    char p2[512], p3[512];
    size_t l2 = 0, l3 = 0;
    snprintf(p2, sizeof(p2), "%s/%s.der2", tmp, type);
    snprintf(p3, sizeof(p3), "%s/%s.der3", tmp, type);
    uint8_t *d2 = read_file(p2, &l2), *d3 = read_file(p3, &l3);
    CHECK(d2 && d3 && l2 == der_len && l3 == der_len && memcmp(d2, d3, l2) == 0);
    free(d2);
    free(d3);
    if (!signs) {
        return;
    }
    CHECK_EQ_INT(run_dfukitf(r, tmp,
                             "image sign -k k_%s.pem -H 0x200 --pad-header -S 0x20000 -v 2.0.1+7 "
                             "app.bin s_%s.bin",
                             type, type),
                 0);
    CHECK_EQ_INT(run_dfukitf(r, tmp, "image verify -k k_%s.pem s_%s.bin", type, type), 0);
    CHECK(strstr(r->out, "Image version: 2.0.1+7") != NULL);
    CHECK_EQ_INT(run_dfukitf(r, tmp, "image verify -k %s.pub.pem s_%s.bin", type, type), 0);
    CHECK_EQ_INT(run_dfukitf(r, tmp, "image verify s_%s.bin", type), 0);
    /* a key of another type is refused with one line */
    const char *other = strcmp(type, "ed25519") == 0 ? "ecdsa-p256" : "ed25519";
    CHECK_EQ_INT(run_dfukitf(r, tmp, "image verify -k k_%s.pem s_%s.bin", other, type), 1);
    CHECK_EQ_INT(count_lines(r->err), 1);
}

static void test_tamper(void)
{
    char p[512];
    size_t n = 0;
    snprintf(p, sizeof(p), "%s/s_ecdsa-p256.bin", tmp);
    uint8_t *b = read_file(p, &n);
    CHECK(b && n > 0x400);
    if (!b || n <= 0x400) {
        free(b);
        return;
    }
    b[0x300] ^= 1;
    snprintf(p, sizeof(p), "%s/tampered.bin", tmp);
    FILE *f = fopen(p, "wb");
    CHECK(f && fwrite(b, 1, n, f) == n);
    if (f) {
        fclose(f);
    }
    free(b);
    expect(1, "hash does not match", "image verify -k k_ecdsa-p256.pem tampered.bin%s%s", "", "");
    expect(1, "hash does not match", "image verify tampered.bin%s%s", "", "");
}

static void test_encryption(const char *sig, const char *enc)
{
    CHECK_EQ_INT(run_dfukitf(r, tmp,
                             "image sign -k k_%s.pem -E %s.pub.pem -H 0x200 --pad-header -S "
                             "0x20000 -v 1.0.0 app.bin e_%s.bin",
                             sig, enc, enc),
                 0);
    CHECK_EQ_INT(
        run_dfukitf(r, tmp, "image verify -k k_%s.pem --enc-key k_%s.pem e_%s.bin", sig, enc, enc),
        0);
    expect(1, "encrypted", "image verify e_%s.bin%s", enc, "");
    CHECK_EQ_INT(run_dfukitf(r, tmp, "image info --json e_%s.bin", enc), 0);
    CHECK(strstr(r->out, "\"flags\": 4,") != NULL);
}

static void test_hex(void)
{
    CHECK_EQ_INT(
        run_dfukitf(r, tmp,
                    "image sign -k k_ed25519.pem -H 0x200 --pad-header -S 0x20000 -v 1.0.0 "
                    "--confirm -x 0x10000 app.bin h.hex"),
        0);
    CHECK_EQ_INT(run_dfukitf(r, tmp, "image verify -k k_ed25519.pem h.hex"), 0);
    char p[512];
    dfu_imgtool_buf_t img = {0};
    uint32_t base = 0;
    dfu_imgtool_diag_t d;
    snprintf(p, sizeof(p), "%s/h.hex", tmp);
    CHECK_EQ_INT(dfu_imgtool_image_read(p, "hex", &img, &base, &d), 0);
    CHECK_EQ_INT(base, 0x10000);
    CHECK_EQ_INT(img.len, 0x20000); /* sparse trailer: magic at slot end */
    dfu_imgtool_buf_free(&img);
    /* HEX input: the header area goes below the HEX start address */
    dfu_imgtool_hex_t h = {0};
    dfu_imgtool_buf_t text = {0};
    uint8_t data[3000];
    for (size_t i = 0; i < sizeof(data); i++) {
        data[i] = (uint8_t)(i * 7u);
    }
    CHECK_EQ_INT(dfu_imgtool_hex_put(&h, 0x20000, data, sizeof(data)), 0);
    CHECK_EQ_INT(dfu_imgtool_hex_format(&h, &text), 0);
    snprintf(p, sizeof(p), "%s/in.hex", tmp);
    CHECK_EQ_INT(dfu_imgtool_file_write(p, text.data, text.len, &d), 0);
    CHECK_EQ_INT(run_dfukitf(r, tmp,
                             "image sign -k k_ed25519.pem -H 0x200 --pad-header -S 0x20000 "
                             "-v 1.0.0 in.hex h2.hex"),
                 0);
    CHECK_EQ_INT(run_dfukitf(r, tmp, "image verify -k k_ed25519.pem h2.hex"), 0);
    snprintf(p, sizeof(p), "%s/h2.hex", tmp);
    CHECK_EQ_INT(dfu_imgtool_image_read(p, "hex", &img, &base, &d), 0);
    CHECK_EQ_INT(base, 0x20000 - 0x200);
    CHECK(img.len > 0x200 + sizeof(data) && memcmp(img.data + 0x200, data, sizeof(data)) == 0);
    dfu_imgtool_buf_free(&img);
    dfu_imgtool_buf_free(&text);
    dfu_imgtool_hex_free(&h);
}

static void test_sim_app(void)
{
    CHECK_EQ_INT(run_dfukitf(r, tmp,
                             "image sign -H 0x200 --pad-header -S 0x20000 -v 1.0.0 --sim-app "
                             "name=demo,security=2,passkey=123456,policy=secure,"
                             "confirm=after:30,healthy=yes,buf_size=2048,buf_count=4 app.bin "
                             "sim.bin"),
                 0);
    CHECK_EQ_INT(run_dfukitf(r, tmp, "image info --json sim.bin"), 0);
    CHECK(strstr(r->out, "\"type\": 165,") != NULL);
    CHECK(strstr(r->out, "6e616d653d64656d6f2c") != NULL); /* "name=demo," */
    CHECK_EQ_INT(run_dfukitf(r, tmp, "image verify sim.bin"), 0);
    CHECK_EQ_INT(run_dfukitf(r, tmp, "image info sim.bin"), 0);
    CHECK(strstr(r->out, "0x00a5 SIM_APP") != NULL);
    CHECK(strstr(r->out, "simulator app \"name=demo,security=2,passkey=123456,") != NULL);
    const char *base = "image sign -H 0x200 --pad-header -S 0x20000 -v 1.0.0 --sim-app %s app.bin "
                       "x.bin%s";
    expect(2, "unknown key 'color'", base, "name=a,color=red", "");
    expect(2, "passkey", base, "passkey=12345", "");
    expect(2, "security", base, "security=5", "");
    expect(2, "confirm", base, "confirm=after:0", "");
    expect(2, "policy", base, "policy=strict", "");
    expect(2, "given twice", base, "healthy=yes,healthy=no", "");
    expect(2, "not KEY=VALUE", base, "name", "");
}

static void test_errors(void)
{
    const char *sign = "image sign -H 0x200 --pad-header -S 0x20000 -v 1.0.0 %s app.bin o.bin%s";
    expect(1, "cannot open key file 'nope.pem'", sign, "-k nope.pem", "");
    expect(2, "invalid version '1.2.x'",
           "image sign -H 0x200 --pad-header -S 0x20000 -v %s app.bin o.bin%s", "1.2.x", "");
    expect(2, "invalid version '256.0.0'",
           "image sign -H 0x200 --pad-header -S 0x20000 -v %s app.bin o.bin%s", "256.0.0", "");
    expect(1, "image too big for the slot",
           "image sign -H 0x200 --pad-header -S %s -v 1.0.0 app.bin o.bin%s", "0x2000", "");
    expect(2, "unknown option '--frobnicate'", sign, "--frobnicate", "");
    expect(2, "-R/--erased-val '5' is invalid", sign, "-R 5", "");
    expect(2, "--compression 'zip' is invalid", sign, "--compression zip", "");
    expect(2, "--sha '128' is invalid", sign, "--sha 128", "");
    expect(1, "cannot be used with signing key type ecdsa-p256", sign,
           "-k k_ecdsa-p256.pem -E x25519.pub.pem", "");
    expect(2, "missing -v/--version",
           "image sign -H 0x200 --pad-header -S 0x20000 app.bin o.bin%s%s", "", "");
    expect(2, "--slot-size value 'big' is not a number",
           "image sign -H 0x200 --pad-header -S %s -v 1.0.0 app.bin o.bin%s", "big", "");
    expect(1, "does not start with 0x200 zero bytes",
           "image sign -H 0x200 -S 0x20000 -v 1.0.0 app.bin o.bin%s%s", "", "");
    expect(1, "needs an address",
           "image sign -H 0x200 --pad-header -S 0x20000 -v 1.0.0 app.bin o.hex%s%s", "", "");
    expect(2, "vendor range", sign, "--custom-tlv 0x10 0x01", "");
    expect(2, "odd number", sign, "--custom-tlv 0xa0 0x123", "");
    expect(1, "need a private signing key", sign, "-k x25519.pub.pem", "");
    expect(1, "cannot open image 'missing.bin'", "image verify missing.bin%s%s", "", "");
    expect(2, "unknown key type 'dsa'", "image keygen -k q.pem -t %s%s", "dsa", "");
    expect(2, "unknown verb 'frob'", "image frob%s%s", "", "");
    /* device verbs are forwarded to the SMP client, never rejected here */
    run_dfukitf(r, tmp, "image slots --help");
    CHECK(strstr(r->err, "unknown verb") == NULL);
    expect(1, "not an MCUboot image", "image info app.bin%s%s", "", "");
    expect(2, "needs a value", "image sign -H 0x200 -S%s%s", "", "");
}

int main(void)
{
    r = calloc(1, sizeof(*r));
    if (!r || !make_temp_dir(tmp, sizeof(tmp))) {
        perror("setup");
        return 1;
    }
    char p[512];
    snprintf(p, sizeof(p), "%s/app.bin", tmp);
    write_payload(p, 30001);
    test_key_roundtrip("ecdsa-p256", 91, true);
    test_key_roundtrip("ecdsa-p384", 120, true);
    test_key_roundtrip("ed25519", 44, true);
    test_key_roundtrip("rsa-2048", 270, true);
    test_key_roundtrip("rsa-3072", 398, true);
    test_key_roundtrip("x25519", 44, false);
    test_tamper();
    test_encryption("ed25519", "x25519");
    test_encryption("ecdsa-p256", "ecdsa-p256");
    test_encryption("rsa-2048", "rsa-2048");
    test_hex();
    test_sim_app();
    test_errors();
    CHECK(file_size(p) == 30001);
    remove_tree(tmp);
    free(r);
    return dfu_test_finish("test_imgtool_cli");
}
