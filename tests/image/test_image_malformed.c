/* Malformed images: each mutation must fail with its specific dfu_err and reason, and no read may
 * leave the image (the reader records out-of-bounds requests). Synthetic images (built here with
 * the crypto port) cover the structural cases and always run; signature/encryption cases mutate
 * the imgtool vectors in memory and need ../shared. Also: every truncation length and random byte
 * flips over header + TLV area (no crash, no out-of-bounds read). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dfu_test.h"
#include "dfukit/dfu_err.h"
#include "dfukit/dfu_image.h"
#include "image_test_util.h"

static uint8_t scratch[1024];
static int cases;

/* ---- Synthetic image ---------------------------------------------------------------------- */

#define HS 0x40u    /* header size */
#define IS 1000u    /* payload size */
#define P (HS + IS) /* protected block: 6908 hdr + SEC_CNT(4) */
#define PT 12u
#define U (P + PT) /* unprotected block: 6907 hdr + SHA256(32) */
#define UT 40u
#define END (U + UT)

static void put16(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
}

static void put32(uint8_t *p, uint32_t v)
{
    put16(p, v);
    put16(p + 2, v >> 16);
}

/* Recomputes the SHA256 TLV of a synthetic image after a deliberate edit. */
static void rehash_at(uint8_t *img, uint32_t hashed)
{
    const dfu_crypto_port_t *c = dfu_crypto_default();
    dfu_hash_ctx_t h;
    c->hash_init(c->ctx, &h, DFU_HASH_SHA256);
    c->hash_update(c->ctx, &h, img, hashed);
    c->hash_finish(c->ctx, &h, img + hashed + 8);
}

static void rehash(uint8_t *img)
{
    rehash_at(img, P + PT);
}

static void mk_image(uint8_t *img)
{
    memset(img, 0, END);
    put32(img, DFU_IMAGE_MAGIC);
    put16(img + 8, HS);
    put16(img + 10, PT);
    put32(img + 12, IS);
    img[0x14] = 1;
    img[0x15] = 2;
    put16(img + 0x16, 3);
    put32(img + 0x18, 4);
    for (uint32_t i = 0; i < IS; i++) {
        img[HS + i] = (uint8_t)(i * 7u + 1u);
    }
    put16(img + P, DFU_IMAGE_TLV_PROT_INFO_MAGIC);
    put16(img + P + 2, PT);
    put16(img + P + 4, DFU_IMAGE_TLV_SEC_CNT);
    put16(img + P + 6, 4);
    put32(img + P + 8, 9);
    put16(img + U, DFU_IMAGE_TLV_INFO_MAGIC);
    put16(img + U + 2, UT);
    put16(img + U + 4, DFU_IMAGE_TLV_SHA256);
    put16(img + U + 6, 32);
    rehash(img);
}

static void base_cfg(dfu_image_verify_cfg_t *cfg)
{
    memset(cfg, 0, sizeof(*cfg));
    cfg->crypto = dfu_crypto_default();
    cfg->scratch = scratch;
    cfg->scratch_len = sizeof(scratch);
}

static void expect(const char *what, const uint8_t *img, size_t len,
                   const dfu_image_verify_cfg_t *cfg, int want, const char *reason)
{
    tu_reader_t r;
    dfu_image_result_t res;
    tu_reader_init(&r, img, (uint32_t)len, 0);
    int rc = dfu_image_validate(&r.rd, cfg, &res);
    CHECK_EQ_INT(rc, want);
    CHECK_EQ_INT(res.err, rc);
    CHECK(!r.oob);
    CHECK(res.reason != NULL && (reason == NULL || strstr(res.reason, reason) != NULL));
    if (rc != want || (reason && (!res.reason || !strstr(res.reason, reason)))) {
        fprintf(stderr, "  case '%s': rc %d (%s), reason '%s' at 0x%x\n", what, rc,
                dfu_strerror(rc), res.reason, res.err_off);
    }
    if (want != 0) {
        cases++;
    }
}

static void synthetic_cases(void)
{
    uint8_t img[END + 64], m[END + 64];
    dfu_image_verify_cfg_t cfg;
    base_cfg(&cfg);
    mk_image(img);
    expect("synthetic image is valid", img, END, &cfg, 0, "ok");

#define MUT() memcpy(m, img, END)
    MUT();
    m[0] ^= 0xff;
    expect("bad magic", m, END, &cfg, DFU_ERR_BAD_MAGIC, "bad header magic");
    MUT();
    memset(m, 0xff, 32);
    expect("erased header", m, END, &cfg, DFU_ERR_BAD_MAGIC, "erased");
    MUT();
    put32(m, DFU_IMAGE_MAGIC_V1);
    expect("old v1 magic", m, END, &cfg, DFU_ERR_BAD_MAGIC, "magic");
    expect("truncated header", img, 31, &cfg, DFU_ERR_CORRUPT, "shorter than the 32-byte header");
    MUT();
    put16(m + 8, 16);
    expect("header size < 32", m, END, &cfg, DFU_ERR_BAD_HEADER, "below 32");
    MUT();
    put32(m + 0x10, DFU_IMAGE_F_ENCRYPTED_AES128 | DFU_IMAGE_F_ENCRYPTED_AES256);
    expect("both AES flags", m, END, &cfg, DFU_ERR_BAD_HEADER, "both AES");
    MUT();
    put32(m + 12, 0xfffffff0u);
    expect("size overflow", m, END, &cfg, DFU_ERR_BAD_HEADER, "overflow");
    cfg.max_image_size = P + PT;
    expect("image == slot size", img, END, &cfg, DFU_ERR_NOSPC, "does not fit the slot");
    cfg.max_image_size = END - 1;
    expect("TLVs past slot end", img, END, &cfg, DFU_ERR_NOSPC, "beyond the slot");
    cfg.max_image_size = 0;
    MUT();
    put32(m + 12, 0x10000000u);
    expect("payload larger than file", m, END, &cfg, DFU_ERR_CORRUPT, "truncated");
    cfg.max_image_size = 0x32000;
    expect("payload larger than slot", m, END, &cfg, DFU_ERR_NOSPC, "does not fit");
    cfg.max_image_size = 0x20000000u;
    expect("truncated payload", m, END, &cfg, DFU_ERR_CORRUPT, "truncated");
    cfg.max_image_size = 0;
    expect("truncated body", img, HS + 10, &cfg, DFU_ERR_CORRUPT, "truncated");
    expect("truncated TLV area", img, END - 1, &cfg, DFU_ERR_CORRUPT, "TLV area truncated");
    expect("no TLV info header", img, U + 2, &cfg, DFU_ERR_CORRUPT, "TLV area truncated");
    MUT();
    put16(m + U, 0x6906);
    expect("bad TLV info magic", m, END, &cfg, DFU_ERR_BAD_TLV, "0x6907");
    MUT();
    put16(m + U + 2, UT + 100);
    expect("TLV total past end of file", m, END, &cfg, DFU_ERR_CORRUPT, "truncated");
    MUT();
    put16(m + U + 6, 33);
    expect("TLV length past block end", m, END, &cfg, DFU_ERR_BAD_TLV, "runs past the end");
    MUT();
    put16(m + U + 2, UT - 1);
    expect("TLV block total too small", m, END, &cfg, DFU_ERR_BAD_TLV, "runs past the end");
    MUT();
    put16(m + U + 2, 6);
    expect("entry header cut by block end", m, END, &cfg, DFU_ERR_BAD_TLV, "runs past the end");
    MUT();
    put16(m + U + 4, 0x00a0);
    expect("no hash TLV", m, END, &cfg, DFU_ERR_NO_HASH, "no image hash");
    MUT();
    m[HS + 500] ^= 0x10;
    expect("payload bit flip", m, END, &cfg, DFU_ERR_HASH_MISMATCH, "hash does not match");
    MUT();
    m[0x15] ^= 1;
    expect("header version bit flip", m, END, &cfg, DFU_ERR_HASH_MISMATCH, "hash");
    MUT();
    m[HS - 1] ^= 0x80;
    expect("header padding bit flip", m, END, &cfg, DFU_ERR_HASH_MISMATCH, "hash");
    MUT();
    m[P + 8] ^= 1;
    expect("protected TLV bit flip", m, END, &cfg, DFU_ERR_HASH_MISMATCH, "hash");
    MUT();
    m[U + 8] ^= 1;
    expect("hash TLV bit flip", m, END, &cfg, DFU_ERR_HASH_MISMATCH, "hash");
    MUT();
    put16(m + 10, PT + 4);
    expect("protect_tlv_size mismatch", m, END, &cfg, DFU_ERR_BAD_TLV, "protected TLV info");
    MUT();
    put16(m + 10, 0);
    expect("protected block not declared", m, END, &cfg, DFU_ERR_BAD_TLV, "0x6907");
    MUT();
    put16(m + P, 0x6907);
    expect("protected magic wrong", m, END, &cfg, DFU_ERR_BAD_TLV, "protected TLV info");
    MUT();
    put16(m + P + 6, 5);
    expect("protected entry crosses block end", m, END, &cfg, DFU_ERR_BAD_TLV, "runs past");
    /* Second SEC_CNT: grow the protected block by one 8-byte entry. */
    memcpy(m, img, P + PT);
    memcpy(m + P + PT, img + P + 4, 8);
    memcpy(m + P + PT + 8, img + U, UT);
    put16(m + 10, PT + 8);
    put16(m + P + 2, PT + 8);
    rehash_at(m, P + PT + 8);
    expect("two SEC_CNT", m, END + 8, &cfg, DFU_ERR_BAD_TLV, "two SEC_CNT");
    MUT();
    put16(m + P + 6, 0);
    put16(m + P + 8, 0x00a5);
    put16(m + P + 10, 0);
    rehash(m);
    expect("SEC_CNT length 0", m, END, &cfg, DFU_ERR_BAD_TLV, "SEC_CNT TLV length");
    cfg.flags = DFU_IMAGE_VF_REQUIRE_SEC_CNT;
    cfg.min_security_counter = 10;
    expect("security counter too low", img, END, &cfg, DFU_ERR_DOWNGRADE, "below");
    cfg.min_security_counter = 9;
    expect("security counter ok", img, END, &cfg, 0, "ok");
    cfg.flags = 0;

    /* Two hash TLVs / wrong hash length / allow list: grow the unprotected block by 36 bytes. */
    memcpy(m, img, END);
    memcpy(m + END, m + U + 4, 36);
    put16(m + U + 2, UT + 36);
    expect("two hash TLVs", m, END + 36, &cfg, DFU_ERR_BAD_TLV, "two image hash");
    put16(m + END, DFU_IMAGE_TLV_SHA384);
    expect("SHA256 + SHA384 TLVs", m, END + 36, &cfg, DFU_ERR_BAD_TLV, "two image hash");
    put16(m + END, 0x00b0);
    expect("vendor TLV unprotected, no allow list", m, END + 36, &cfg, 0, "ok");
    cfg.flags = DFU_IMAGE_VF_ALLOW_LIST;
    expect("vendor TLV unprotected, allow list", m, END + 36, &cfg, DFU_ERR_BAD_TLV, "allowed");
    cfg.flags = 0;
    MUT();
    put16(m + U + 4, DFU_IMAGE_TLV_SHA384);
    expect("SHA384 TLV with 32 bytes", m, END, &cfg, DFU_ERR_BAD_TLV, "hash TLV length");
    cfg.hash_alg = DFU_HASH_SHA512;
    expect("required SHA512 missing", img, END, &cfg, DFU_ERR_NO_HASH, "no image hash");
    cfg.hash_alg = DFU_HASH_NONE;

    /* Encrypted flag with a decryption key but no ENC TLV. */
    static const uint8_t fake_key[8] = {1};
    MUT();
    put32(m + 0x10, DFU_IMAGE_F_ENCRYPTED_AES128);
    rehash(m);
    cfg.enc_priv = fake_key;
    cfg.enc_priv_len = sizeof(fake_key);
    expect("encrypted without ENC TLV", m, END, &cfg, DFU_ERR_DECRYPT, "no ENC TLV");
    cfg.enc_priv = NULL;
    expect("encrypted flag, decryption off", m, END, &cfg, 0, "ok");

    /* With keys configured, an unsigned image. */
    dfu_image_key_t k = {fake_key, sizeof(fake_key)};
    cfg.keys = &k;
    cfg.key_count = 1;
    expect("unsigned image, keys required", img, END, &cfg, DFU_ERR_NO_SIGNATURE, "no signature");
    cfg.key_count = 0;
    cfg.scratch_len = 100;
    expect("scratch too small", img, END, &cfg, DFU_ERR_INVAL, "configuration");
#undef MUT
}

/* ---- Vector-based cases ------------------------------------------------------------------- */

static uint8_t *vec(const char *file, size_t *len)
{
    char path[512];
    snprintf(path, sizeof(path), "%s/%s", TU_VEC, file);
    uint8_t *b = strstr(file, ".pem") ? tu_read_pem(path, len) : tu_read_file(path, len);
    if (!b) {
        fprintf(stderr, "missing %s\n", path);
        exit(1);
    }
    return b;
}

/* Finds the first unprotected TLV of `type`; returns the entry header offset or 0. */
static uint32_t find_tlv(const uint8_t *img, size_t len, uint16_t type, uint16_t *tlen)
{
    tu_reader_t r;
    dfu_image_header_t h;
    dfu_image_tlv_t t;
    tu_reader_init(&r, img, (uint32_t)len, 0);
    if (dfu_image_header_read(&r.rd, &h) != 0 || dfu_image_tlv_find(&r.rd, &h, type, 0, &t)) {
        return 0;
    }
    *tlen = t.len;
    return t.off - 4u;
}

static void signed_cases(void)
{
    size_t len, klen, elen;
    uint16_t tl;
    dfu_image_verify_cfg_t cfg;
    uint8_t *img = vec("images/a_ecdsa_p256.bin", &len);
    uint8_t *key = vec("keys/sign-ecdsa-p256.pub.der", &klen);
    uint8_t *m = malloc(len + 64);
    dfu_image_key_t k = {key, klen};
    base_cfg(&cfg);
    cfg.keys = &k;
    cfg.key_count = 1;
    expect("a_ecdsa_p256 valid", img, len, &cfg, 0, "ok");

    uint32_t sig = find_tlv(img, len, DFU_IMAGE_TLV_ECDSA_SIG, &tl);
    uint32_t kh = find_tlv(img, len, DFU_IMAGE_TLV_KEYHASH, &tl);
    CHECK(sig != 0 && kh != 0);
    memcpy(m, img, len);
    m[sig + 4 + 20] ^= 0x04;
    expect("ECDSA signature bit flip", m, len, &cfg, DFU_ERR_BAD_SIGNATURE, "does not verify");
    memcpy(m, img, len);
    m[kh + 4] ^= 1;
    expect("KEYHASH bit flip", m, len, &cfg, DFU_ERR_KEY_MISMATCH, "not configured");
    memcpy(m, img, len);
    put16(m + sig, 0x00a1);
    expect("signature TLV removed", m, len, &cfg, DFU_ERR_NO_SIGNATURE, "no signature TLV");
    /* Zero padding after the DER is accepted (imgtool --pad-sig), garbage is not. */
    memcpy(m, img, len);
    uint16_t sl = (uint16_t)(m[sig + 2] | (m[sig + 3] << 8));
    uint32_t info = (uint32_t)(len - (sig + 4 + sl)); /* bytes after the signature */
    CHECK_EQ_INT(info, 0);
    m[len] = 0;
    put16(m + sig + 2, sl + 1u);
    uint32_t tot_off = 0x200 + 40000 + 2;
    put16(m + tot_off, (uint32_t)(m[tot_off] | (m[tot_off + 1] << 8)) + 1u);
    expect("ECDSA signature + zero pad", m, len + 1, &cfg, 0, "ok");
    m[len] = 0x55;
    expect("ECDSA signature + garbage", m, len + 1, &cfg, DFU_ERR_BAD_SIGNATURE, "verify");
    /* Key of another algorithm selected by a forged KEYHASH is not an accepted signature. */
    free(img);
    free(m);
    free(key);

    img = vec("images/a_ed25519.bin", &len);
    key = vec("keys/sign-ed25519.pub.der", &klen);
    k.der = key;
    k.len = klen;
    m = malloc(len);
    sig = find_tlv(img, len, DFU_IMAGE_TLV_ED25519, &tl);
    memcpy(m, img, len);
    m[sig + 4 + 63] ^= 0x01;
    expect("Ed25519 signature bit flip", m, len, &cfg, DFU_ERR_BAD_SIGNATURE, "does not verify");
    memcpy(m, img, len);
    put16(m + sig + 2, 63);
    uint32_t tot_ed = 0x200 + 40000 + 2;
    put16(m + tot_ed, (uint32_t)(m[tot_ed] | (m[tot_ed + 1] << 8)) - 1u);
    expect("Ed25519 signature length 63", m, len - 1, &cfg, DFU_ERR_BAD_TLV, "length wrong");
    free(img);
    free(m);
    free(key);

    /* PUBKEY image with another key configured. */
    img = vec("images/a_ecdsa_p256_pubkey_full.bin", &len);
    key = vec("keys/other-ecdsa-p256.pub.der", &klen);
    k.der = key;
    k.len = klen;
    expect("PUBKEY of an unknown key", img, len, &cfg, DFU_ERR_KEY_MISMATCH, "not configured");
    free(img);
    free(key);

    /* RSA signature bit flip. */
    img = vec("images/a_rsa2048.bin", &len);
    key = vec("keys/sign-rsa-2048.pub.der", &klen);
    k.der = key;
    k.len = klen;
    sig = find_tlv(img, len, DFU_IMAGE_TLV_RSA2048_PSS, &tl);
    img[sig + 4 + 100] ^= 0x01;
    expect("RSA-PSS signature bit flip", img, len, &cfg, DFU_ERR_BAD_SIGNATURE, "verify");
    free(img);
    free(key);

    /* Encrypted: ENC TLV tag flip, ENC TLV removed, AES-256 flag on an AES-128 image. */
    cfg.key_count = 0;
    img = vec("images/a_ed25519_enc_x25519.bin", &len);
    uint8_t *priv = vec("keys/enc-x25519.pem", &elen);
    m = malloc(len);
    cfg.enc_priv = priv;
    cfg.enc_priv_len = elen;
    expect("encrypted image decrypts", img, len, &cfg, 0, "ok");
    uint32_t enc = find_tlv(img, len, DFU_IMAGE_TLV_ENC_X25519, &tl);
    memcpy(m, img, len);
    m[enc + 4 + 40] ^= 1;
    expect("ENC TLV tag bit flip", m, len, &cfg, DFU_ERR_DECRYPT, "unwrap failed");
    memcpy(m, img, len);
    put16(m + enc, 0x00a3);
    expect("ENC TLV removed", m, len, &cfg, DFU_ERR_DECRYPT, "no ENC TLV");
    memcpy(m, img, len);
    put32(m + 0x10, DFU_IMAGE_F_ENCRYPTED_AES256);
    expect("AES-256 flag, AES-128 ENC TLV", m, len, &cfg, DFU_ERR_BAD_TLV, "ENC TLV length");
    memcpy(m, img, len);
    m[0x200 + 77] ^= 0x01;
    expect("ciphertext bit flip", m, len, &cfg, DFU_ERR_HASH_MISMATCH, "hash");
    free(priv);
    free(img);
    free(m);
}

/* Every truncation of a vector's TLV area and random byte flips over header + TLV area: any
 * verdict is allowed except success on a damaged signed area, but never a read out of bounds. */
static void robustness(void)
{
    size_t len, klen;
    uint8_t *img = vec("images/a_ecdsa_p256_prot_all.bin", &len);
    uint8_t *key = vec("keys/sign-ecdsa-p256.pub.der", &klen);
    dfu_image_key_t k = {key, klen};
    dfu_image_verify_cfg_t cfg;
    dfu_image_result_t res;
    tu_reader_t r;
    base_cfg(&cfg);
    cfg.keys = &k;
    cfg.key_count = 1;
    int oob = 0, ok = 0;
    for (size_t cut = 0x200 + 40000; cut < len; cut++) {
        tu_reader_init(&r, img, (uint32_t)cut, 0);
        ok += dfu_image_validate(&r.rd, &cfg, &res) == 0;
        oob |= r.oob;
    }
    CHECK_EQ_INT(ok, 0);
    uint8_t *m = malloc(len);
    uint32_t seed = 12345;
    for (int i = 0; i < 3000; i++) {
        memcpy(m, img, len);
        for (int j = 0; j < 1 + i % 3; j++) {
            seed = seed * 1103515245u + 12345u;
            uint32_t span = (uint32_t)(len - (0x200 + 40000));
            uint32_t off = (seed >> 8) % (span + 32);
            off = off < 32 ? off : 0x200 + 40000 + (off - 32);
            m[off] ^= (uint8_t)(1u << ((seed >> 4) & 7));
        }
        tu_reader_init(&r, m, (uint32_t)len, 0);
        int rc = dfu_image_validate(&r.rd, &cfg, &res);
        oob |= r.oob;
        CHECK(rc <= 0);
    }
    CHECK(!oob);
    free(m);
    free(img);
    free(key);
}

int main(void)
{
    synthetic_cases();
    if (dfu_test_have_shared("imgtool vector mutation")) {
        signed_cases();
        robustness();
    }
    printf("test_image_malformed: %d malformed inputs rejected as expected\n", cases);
    CHECK(cases >= 25);
    return dfu_test_finish("test_image_malformed");
}
