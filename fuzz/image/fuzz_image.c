/* libFuzzer harness for the image parsers: header decode, TLV walk (both blocks), trailer
 * decode, and full validation with (a) a hash-only config, (b) one ECDSA P-256 key plus an
 * X25519 decryption key. The keys are the published throw-away test keys of
 * ../shared/vectors/imgtool/keys (sign-ecdsa-p256.pub.der, enc-x25519 PKCS#8), so seeds taken
 * from that folder reach the signature and decryption paths. Any input must be handled without
 * out-of-bounds access (run under ASan+UBSan). */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "dfukit/dfu_err.h"
#include "dfukit/dfu_image.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const uint8_t sign_p256_pub[91] = {
    0x30, 0x59, 0x30, 0x13, 0x06, 0x07, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01, 0x06, 0x08, 0x2a,
    0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07, 0x03, 0x42, 0x00, 0x04, 0xee, 0xd8, 0x81, 0x5c, 0x1b,
    0x78, 0xc6, 0xfa, 0x05, 0xb8, 0xb8, 0x06, 0x90, 0xcb, 0x6e, 0x02, 0x52, 0x36, 0x1f, 0x8a, 0xab,
    0x71, 0xc9, 0x26, 0xc3, 0x3f, 0x08, 0x1e, 0x5f, 0xda, 0x44, 0x5e, 0x86, 0x4b, 0xa2, 0x7e, 0x28,
    0x98, 0x2f, 0x08, 0xaa, 0xed, 0xfc, 0x3e, 0xc4, 0xdb, 0xa8, 0xcc, 0xba, 0x11, 0x0f, 0x60, 0xa4,
    0xa9, 0x48, 0x20, 0x4f, 0x10, 0xe9, 0x1f, 0x0f, 0xd5, 0x94, 0x0a};

static const uint8_t enc_x25519_priv[48] = {
    0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x6e, 0x04, 0x22, 0x04, 0x20,
    0xd0, 0xc6, 0x64, 0xc4, 0x73, 0xd3, 0xee, 0xd1, 0xa6, 0x03, 0xab, 0xa5, 0xb8, 0x40, 0x56, 0x23,
    0x33, 0xd9, 0x33, 0xa5, 0x7b, 0x84, 0x52, 0x44, 0x38, 0xb8, 0x46, 0x58, 0xcc, 0xfa, 0xca, 0x59,
};

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

    dfu_image_key_t key = {sign_p256_pub, sizeof(sign_p256_pub)};
    cfg.keys = &key;
    cfg.key_count = 1;
    cfg.enc_priv = enc_x25519_priv;
    cfg.enc_priv_len = sizeof(enc_x25519_priv);
    cfg.max_image_size = (uint32_t)size;
    cfg.flags = DFU_IMAGE_VF_ALLOW_LIST;
    (void)dfu_image_validate(&rd, &cfg, &res);
    return 0;
}
