/* libFuzzer harness for the image parsers: header decode, TLV walk (both blocks), trailer
 * decode, and full validation with (a) a hash-only config, (b) one ECDSA P-256 key plus an
 * X25519 decryption key: the published throw-away test keys of ../shared/vectors/imgtool/keys
 * (sign-ecdsa-p256.pub.der, enc-x25519.pem), read at start-up, so seeds taken from that folder
 * reach the signature and decryption paths. Any input must be handled without
 * out-of-bounds access (run under ASan+UBSan). */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "dfukit/dfu_err.h"
#include "dfukit/dfu_image.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The keys are read once from ../shared (never copied into the repository); without it the
 * keyed configuration runs with no key and no decryption key, which still walks every path up
 * to key selection. */
static uint8_t sign_p256_pub[160];
static size_t sign_p256_pub_len;
static uint8_t enc_x25519_priv[128];
static size_t enc_x25519_priv_len;

static size_t read_file(const char *path, uint8_t *buf, size_t cap)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        return 0;
    }
    size_t n = fread(buf, 1, cap, f);
    fclose(f);
    return n;
}

static int b64_val(int c)
{
    if (c >= 'A' && c <= 'Z') {
        return c - 'A';
    }
    if (c >= 'a' && c <= 'z') {
        return c - 'a' + 26;
    }
    if (c >= '0' && c <= '9') {
        return c - '0' + 52;
    }
    return c == '+' ? 62 : c == '/' ? 63 : -1;
}

/* Body of a PEM file (between the BEGIN/END lines) decoded into out; returns the length. */
static size_t pem_decode(const char *path, uint8_t *out, size_t cap)
{
    char text[1024];
    size_t n = read_file(path, (uint8_t *)text, sizeof(text) - 1);
    text[n] = '\0';
    const char *p = strstr(text, "-----\n");
    const char *e = p ? strstr(p + 6, "-----END") : NULL;
    if (p == NULL || e == NULL) {
        return 0;
    }
    size_t len = 0;
    unsigned acc = 0;
    int bits = 0;
    for (p += 6; p < e; p++) {
        int v = b64_val((unsigned char)*p);
        if (v < 0) {
            continue;
        }
        acc = (acc << 6) | (unsigned)v;
        bits += 6;
        if (bits >= 8 && len < cap) {
            bits -= 8;
            out[len++] = (uint8_t)(acc >> bits);
        }
    }
    return len;
}

static void load_keys(void)
{
    static int loaded;
    if (loaded) {
        return;
    }
    loaded = 1;
    sign_p256_pub_len = read_file(DFU_SHARED_DIR "/vectors/imgtool/keys/sign-ecdsa-p256.pub.der",
                                  sign_p256_pub, sizeof(sign_p256_pub));
    enc_x25519_priv_len = pem_decode(DFU_SHARED_DIR "/vectors/imgtool/keys/enc-x25519.pem",
                                     enc_x25519_priv, sizeof(enc_x25519_priv));
}

static void walk_tlvs(const dfu_image_reader_t *rd, const dfu_image_header_t *hdr, int prot_only)
{
    dfu_image_tlv_iter_t it;
    dfu_image_tlv_t t;
    uint8_t buf[128];
    if (dfu_image_tlv_begin(&it, rd, hdr, DFU_IMAGE_TLV_ANY, prot_only) != 0) {
        return;
    }
    for (int n = 0; n < 100000 && dfu_image_tlv_next(&it, &t) == 1; n++) {
        if (t.len <= sizeof(buf)) {
            (void)dfu_image_tlv_read(rd, &t, buf, sizeof(buf));
        }
        (void)dfu_image_tlv_name(t.type);
        if (t.type == DFU_IMAGE_TLV_DEPENDENCY && t.len == 12) {
            dfu_image_dependency_t dep;
            (void)dfu_image_dependency_parse(buf, t.len, &dep);
        }
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static uint8_t scratch[2048];
    load_keys();
    if (size > 0x100000) {
        return 0;
    }
    dfu_image_reader_t rd;
    dfu_image_header_t hdr;
    dfu_image_reader_mem(&rd, data, (uint32_t)size);

    (void)dfu_image_header_parse(data, size, &hdr);
    if (dfu_image_header_read(&rd, &hdr) == 0) {
        walk_tlvs(&rd, &hdr, 0);
        walk_tlvs(&rd, &hdr, 1);
        uint32_t sc;
        (void)dfu_image_security_counter(&rd, &hdr, &sc);
    }
    dfu_image_trailer_t tr;
    (void)dfu_image_trailer_decode(&rd, (uint32_t)size, 8, 0xff, &tr);
    (void)dfu_image_trailer_decode(&rd, (uint32_t)size, 32, 0x00, &tr);

    dfu_image_verify_cfg_t cfg;
    dfu_image_result_t res;
    memset(&cfg, 0, sizeof(cfg));
    cfg.crypto = dfu_crypto_default();
    cfg.scratch = scratch;
    cfg.scratch_len = sizeof(scratch);
    (void)dfu_image_validate(&rd, &cfg, &res);

    dfu_image_key_t key = {sign_p256_pub, sign_p256_pub_len};
    cfg.keys = &key;
    cfg.key_count = sign_p256_pub_len ? 1 : 0;
    cfg.enc_priv = enc_x25519_priv_len ? enc_x25519_priv : NULL;
    cfg.enc_priv_len = enc_x25519_priv_len;
    cfg.max_image_size = (uint32_t)size;
    cfg.flags = DFU_IMAGE_VF_ALLOW_LIST;
    (void)dfu_image_validate(&rd, &cfg, &res);
    return 0;
}
