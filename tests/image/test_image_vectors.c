/* Every imgtool vector validated with the verdict imgtool recorded; header/TLV list/hash compared
 * with imgtool dumpinfo; encrypted images decrypted with the vector keys and compared with the
 * payloads; trailer fields compared with crosscheck.json. Needs ../shared (skips otherwise). */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dfu_test.h"
#include "dfukit/dfu_err.h"
#include "dfukit/dfu_image.h"
#include "image_test_util.h"

#define SLOT 0x32000u

static uint8_t scratch[4096];
static uint8_t big_scratch[65536];
static int images_checked;

typedef struct vec_info {
    char key[64];     /* signing key name ("" = unsigned) */
    char enc_tlv[32]; /* "-" if not encrypted */
    int was_clear;
    char aes_key[80];
    unsigned max_align;
    char image_ok[16];
    char erased[16];
    char image_ok_off[16];
} vec_info_t;

/* Splits a TSV line in place (empty fields kept). */
static int split_tsv(char *s, char **f, int max)
{
    int n = 0;
    while (n < max) {
        f[n++] = s;
        char *t = strchr(s, '\t');
        if (!t) {
            break;
        }
        *t = 0;
        s = t + 1;
    }
    return n;
}

static int load_info(const char *name, vec_info_t *vi)
{
    char *out = tu_run("jq -r '.images[] | select(.name==\"%s\") | [(.key_identified // \"\"), "
                       "(.encryption.tlv // \"-\"), (.encryption.payload_was_clear // false), "
                       "(.encryption.aes_key // \"-\"), (.trailer.max_align // 0), "
                       "(.trailer.image_ok // \"-\"), (.trailer.erased_value // \"-\"), "
                       "(.trailer.image_ok_off // \"-\")] | @tsv' %s/crosscheck.json",
                       name, TU_VEC);
    char *f[8];
    int n = out ? split_tsv(out, f, 8) : 0;
    if (n != 8) {
        free(out);
        return -1;
    }
    snprintf(vi->key, sizeof(vi->key), "%s", f[0]);
    snprintf(vi->enc_tlv, sizeof(vi->enc_tlv), "%s", f[1]);
    vi->was_clear = strcmp(f[2], "true") == 0;
    snprintf(vi->aes_key, sizeof(vi->aes_key), "%s", f[3]);
    vi->max_align = (unsigned)strtoul(f[4], NULL, 0);
    snprintf(vi->image_ok, sizeof(vi->image_ok), "%s", f[5]);
    snprintf(vi->erased, sizeof(vi->erased), "%s", f[6]);
    snprintf(vi->image_ok_off, sizeof(vi->image_ok_off), "%s", f[7]);
    free(out);
    return 0;
}

/* imgtool's verdict (first line of the verify file) as a dfu_err. */
static int expected_rc(const char *name, const char *suffix)
{
    char path[512];
    size_t n;
    snprintf(path, sizeof(path), "%s/images/%s.%s", TU_VEC, name, suffix);
    char *txt = (char *)tu_read_file(path, &n);
    if (!txt) {
        return 1; /* no such file */
    }
    int rc = strncmp(txt, "Image was correctly validated", 29) == 0 ? 0
             : strncmp(txt, "Image has an invalid hash", 25) == 0   ? DFU_ERR_HASH_MISMATCH
             : strncmp(txt, "No signature found", 18) == 0          ? DFU_ERR_KEY_MISMATCH
             : strncmp(txt, "Invalid image magic", 19) == 0         ? DFU_ERR_BAD_MAGIC
                                                                    : 2;
    free(txt);
    return rc;
}

static void base_cfg(dfu_image_verify_cfg_t *cfg)
{
    memset(cfg, 0, sizeof(*cfg));
    cfg->crypto = dfu_crypto_default();
    cfg->scratch = scratch;
    cfg->scratch_len = sizeof(scratch);
    cfg->max_image_size = SLOT;
}

static uint8_t *load_key(const char *name, const char *ext, size_t *len)
{
    char path[512];
    snprintf(path, sizeof(path), "%s/keys/%s.%s", TU_VEC, name, ext);
    return strcmp(ext, "pem") == 0 ? tu_read_pem(path, len) : tu_read_file(path, len);
}

static void hex(const uint8_t *b, size_t n, char *out)
{
    for (size_t i = 0; i < n; i++) {
        sprintf(out + 2 * i, "%02x", b[i]);
    }
    out[2 * n] = 0;
}

/* ---- dumpinfo comparison ------------------------------------------------------------------ */

static void check_dumpinfo(const char *name, const dfu_image_reader_t *rd)
{
    dfu_image_header_t h;
    CHECK_EQ_INT(dfu_image_header_read(rd, &h), 0);
    char *want = tu_run("jq -r '.header | [.magic, .load_addr, .hdr_size, .protected_tlv_size, "
                        ".img_size, .flags, .version] | @tsv' %s/images/%s.dumpinfo.json",
                        TU_VEC, name);
    char got[256];
    snprintf(got, sizeof(got), "%u\t%u\t%u\t%u\t%u\t%u\t%u.%u.%u+%u", h.magic, h.load_addr,
             h.hdr_size, h.protect_tlv_size, h.img_size, h.flags, h.ver.major, h.ver.minor,
             h.ver.revision, h.ver.build);
    CHECK(want && strcmp(want, got) == 0);
    if (want && strcmp(want, got) != 0) {
        fprintf(stderr, "%s header: want [%s] got [%s]\n", name, want, got);
    }
    free(want);

    want = tu_run("jq -r '(.tlv_area.tlvs_prot // [])[], .tlv_area.tlvs[] | "
                  "\"\\(.type) \\(.len) \\(.data)\"' %s/images/%s.dumpinfo.json",
                  TU_VEC, name);
    size_t cap = 1 << 16, n = 0;
    char *list = calloc(1, cap);
    dfu_image_tlv_iter_t it;
    dfu_image_tlv_t t;
    uint8_t data[1024];
    char dhex[2100];
    CHECK_EQ_INT(dfu_image_tlv_begin(&it, rd, &h, DFU_IMAGE_TLV_ANY, 0), 0);
    int rc;
    while ((rc = dfu_image_tlv_next(&it, &t)) == 1) {
        CHECK_EQ_INT(dfu_image_tlv_read(rd, &t, data, sizeof(data)), 0);
        hex(data, t.len, dhex);
        n += (size_t)snprintf(list + n, cap - n, "%s%u %u %s", n ? "\n" : "", t.type, t.len, dhex);
    }
    CHECK_EQ_INT(rc, 0);
    CHECK(want && strcmp(want, list) == 0);
    if (want && strcmp(want, list) != 0) {
        fprintf(stderr, "%s TLVs:\nwant\n%s\ngot\n%s\n", name, want, list);
    }
    free(want);
    free(list);
}

/* ---- Encrypted images --------------------------------------------------------------------- */

static const char *enc_key_name(const char *tlv)
{
    if (strncmp(tlv, "ENC_X25519", 10) == 0) {
        return "enc-x25519";
    }
    return strcmp(tlv, "ENC_EC256") == 0 ? "enc-ec256" : "enc-rsa-2048";
}

/* Decrypts the payload block by block at odd offsets and compares with the payload file. */
static void check_decrypt(const char *name, const vec_info_t *vi, const uint8_t *img,
                          const dfu_image_reader_t *rd, const uint8_t *priv, size_t priv_len)
{
    dfu_image_header_t h;
    dfu_image_enc_key_t k;
    uint8_t want_key[32];
    CHECK_EQ_INT(dfu_image_header_read(rd, &h), 0);
    CHECK_EQ_INT(dfu_image_enc_unwrap(dfu_crypto_default(), rd, &h, priv, priv_len, &k), 0);
    int kl = tu_hex2bin(vi->aes_key, want_key, sizeof(want_key));
    CHECK(kl == k.len && memcmp(want_key, k.key, k.len) == 0);

    char path[512];
    size_t plen;
    snprintf(path, sizeof(path), "%s/payloads/%s", TU_VEC,
             name[0] == 'a' ? "app_a_40000.bin" : "app_b_123457.bin");
    uint8_t *pay = tu_read_file(path, &plen);
    CHECK(pay != NULL && h.img_size >= plen && h.img_size - plen < 16);
    if (!pay || h.img_size < plen) {
        free(pay);
        return;
    }
    /* Whole image through xcrypt in 1000-byte chunks starting at odd offset 7: header and TLV
     * bytes must come out unchanged, payload decrypted. */
    uint32_t total = dfu_image_hashed_size(&h);
    uint8_t *plain = malloc(total);
    memcpy(plain, img, total);
    CHECK_EQ_INT(dfu_image_xcrypt(dfu_crypto_default(), &k, &h, 0, plain, 7), 0);
    for (uint32_t off = 7; off < total; off += 1000) {
        size_t n = total - off < 1000 ? total - off : 1000;
        CHECK_EQ_INT(dfu_image_xcrypt(dfu_crypto_default(), &k, &h, off, plain + off, n), 0);
    }
    CHECK_MEM(plain, img, h.hdr_size);
    CHECK_MEM(plain + h.hdr_size, pay, plen);
    int zero = 1;
    for (uint32_t i = h.hdr_size + (uint32_t)plen; i < h.hdr_size + h.img_size; i++) {
        zero &= plain[i] == 0;
    }
    CHECK(zero);
    CHECK_MEM(plain + h.hdr_size + h.img_size, img + h.hdr_size + h.img_size, h.protect_tlv_size);
    free(plain);
    free(pay);
}

/* ---- One vector --------------------------------------------------------------------------- */

static void check_signed(const char *name, const vec_info_t *vi, const dfu_image_reader_t *rd,
                         const uint8_t *img)
{
    dfu_image_verify_cfg_t cfg;
    dfu_image_result_t res;
    size_t klen, olen;
    uint8_t *key = load_key(vi->key, "pub.der", &klen);
    uint8_t *other = load_key("other-ecdsa-p256", "pub.der", &olen);
    dfu_image_key_t keys[2] = {{other, olen}, {key, klen}};
    int encrypted = strcmp(vi->enc_tlv, "-") != 0;
    base_cfg(&cfg);
    cfg.keys = keys;
    cfg.key_count = 2;

    /* With the key, no decryption key: imgtool's verdict. */
    int want = expected_rc(name, "verify.txt");
    int rc = dfu_image_validate(rd, &cfg, &res);
    CHECK_EQ_INT(rc, want);
    if (rc == 0) {
        CHECK_EQ_INT(res.key_index, 1);
        CHECK(res.flags & DFU_IMAGE_RF_SIGNED);
    }
    /* Only the unrelated key: no configured key matches. */
    cfg.keys = keys;
    cfg.key_count = 1;
    rc = dfu_image_validate(rd, &cfg, &res);
    CHECK_EQ_INT(rc, encrypted && !vi->was_clear ? DFU_ERR_HASH_MISMATCH : DFU_ERR_KEY_MISMATCH);

    if (encrypted) {
        size_t plen;
        uint8_t *priv = load_key(enc_key_name(vi->enc_tlv), "pem", &plen);
        CHECK(priv != NULL);
        cfg.key_count = 2;
        cfg.enc_priv = priv;
        cfg.enc_priv_len = plen;
        rc = dfu_image_validate(rd, &cfg, &res);
        if (vi->was_clear) {
            CHECK_EQ_INT(rc, DFU_ERR_HASH_MISMATCH); /* decrypting a clear payload */
            cfg.flags = DFU_IMAGE_VF_NO_DECRYPT;
            CHECK_EQ_INT(dfu_image_validate(rd, &cfg, &res), 0);
        } else {
            CHECK_EQ_INT(rc, 0);
            CHECK(res.flags & DFU_IMAGE_RF_DECRYPTED);
            CHECK_EQ_INT(res.key_index, 1);
            check_decrypt(name, vi, img, rd, priv, plen);
        }
        free(priv);
    }
    free(key);
    free(other);
}

static void check_trailer(const char *name, const vec_info_t *vi, const dfu_image_reader_t *rd)
{
    dfu_image_trailer_t tr;
    uint8_t erased = (uint8_t)strtoul(vi->erased, NULL, 0);
    CHECK_EQ_INT(dfu_image_trailer_decode(rd, SLOT, vi->max_align, erased, &tr), 0);
    CHECK_EQ_INT(tr.magic, DFU_IMAGE_TRAILER_MAGIC_GOOD);
    CHECK_EQ_INT(tr.image_ok_off, strtoul(vi->image_ok_off, NULL, 0));
    CHECK_EQ_INT(tr.image_ok,
                 strcmp(vi->image_ok, "0x1") == 0 ? DFU_IMAGE_FLAG_SET : DFU_IMAGE_FLAG_UNSET);
    CHECK_EQ_INT(tr.copy_done, DFU_IMAGE_FLAG_UNSET);
    /* A different max_align reads the magic as bad. */
    CHECK_EQ_INT(dfu_image_trailer_decode(rd, SLOT, vi->max_align == 8 ? 16 : 8, erased, &tr), 0);
    CHECK_EQ_INT(tr.magic, DFU_IMAGE_TRAILER_MAGIC_BAD);
    (void)name;
}

static void check_vector(const char *file)
{
    char name[256], path[512];
    snprintf(name, sizeof(name), "%s", file);
    int is_hex = strstr(name, ".hex") != NULL;
    *strrchr(name, '.') = 0;
    vec_info_t vi;
    if (load_info(name, &vi) != 0) {
        CHECK(!"vector missing from crosscheck.json");
        fprintf(stderr, "  (%s)\n", name);
        return;
    }
    size_t len;
    snprintf(path, sizeof(path), "%s/images/%s", TU_VEC, file);
    uint8_t *img = is_hex ? tu_read_ihex(path, &len) : tu_read_file(path, &len);
    CHECK(img != NULL);
    if (!img) {
        return;
    }
    tu_reader_t r;
    /* Pure Ed25519 needs the signed region as one message: present that image memory mapped. */
    tu_reader_init(&r, img, (uint32_t)len, strstr(name, "pure") != NULL);

    /* Hash-only check: imgtool verify without key. */
    dfu_image_verify_cfg_t cfg;
    dfu_image_result_t res;
    base_cfg(&cfg);
    int want = expected_rc(name, vi.key[0] ? "verify-nokey.txt" : "verify.txt");
    int rc = dfu_image_validate(&r.rd, &cfg, &res);
    CHECK_EQ_INT(rc, want);
    if (rc != want) {
        fprintf(stderr, "  %s: rc %d (%s) reason '%s' at 0x%x\n", name, rc, dfu_strerror(rc),
                res.reason, res.err_off);
    }
    check_dumpinfo(name, &r.rd);
    if (vi.key[0]) {
        check_signed(name, &vi, &r.rd, img);
    } else {
        dfu_image_key_t k = {scratch, 1};
        cfg.keys = &k;
        cfg.key_count = 1;
        CHECK_EQ_INT(dfu_image_validate(&r.rd, &cfg, &res), DFU_ERR_NO_SIGNATURE);
    }
    if (vi.max_align) {
        check_trailer(name, &vi, &r.rd);
    }
    CHECK(!r.oob);
    images_checked++;
    free(img);
}

/* ---- Specific vectors --------------------------------------------------------------------- */

static uint8_t *load_image(const char *name, size_t *len)
{
    char path[512];
    snprintf(path, sizeof(path), "%s/images/%s", TU_VEC, name);
    return tu_read_file(path, len);
}

static void check_specials(void)
{
    size_t len, klen, olen;
    dfu_image_verify_cfg_t cfg;
    dfu_image_result_t res;
    tu_reader_t r;
    base_cfg(&cfg);

    /* Security counters and dependencies. */
    uint8_t *img = load_image("a_ecdsa_p256_seccnt7.bin", &len);
    tu_reader_init(&r, img, (uint32_t)len, 0);
    cfg.flags = DFU_IMAGE_VF_REQUIRE_SEC_CNT;
    cfg.min_security_counter = 7;
    CHECK_EQ_INT(dfu_image_validate(&r.rd, &cfg, &res), 0);
    CHECK_EQ_INT(res.security_counter, 7);
    cfg.min_security_counter = 8;
    CHECK_EQ_INT(dfu_image_validate(&r.rd, &cfg, &res), DFU_ERR_DOWNGRADE);
    free(img);
    img = load_image("a_ecdsa_p256_seccnt_auto.bin", &len);
    tu_reader_init(&r, img, (uint32_t)len, 0);
    uint32_t sc = 0;
    CHECK_EQ_INT(dfu_image_security_counter(&r.rd, &res.hdr, &sc), 0);
    CHECK_EQ_INT(sc, 0x01020003);
    free(img);
    img = load_image("a_ecdsa_p256.bin", &len);
    tu_reader_init(&r, img, (uint32_t)len, 0);
    cfg.min_security_counter = 0;
    CHECK_EQ_INT(dfu_image_validate(&r.rd, &cfg, &res), DFU_ERR_DOWNGRADE); /* no SEC_CNT */
    CHECK_EQ_INT(dfu_image_security_counter(&r.rd, &res.hdr, &sc), DFU_ERR_NOT_FOUND);
    free(img);
    cfg.flags = 0;

    img = load_image("a_ecdsa_p256_deps.bin", &len);
    tu_reader_init(&r, img, (uint32_t)len, 0);
    dfu_image_tlv_t t;
    dfu_image_dependency_t dep;
    uint8_t buf[16];
    CHECK_EQ_INT(dfu_image_header_read(&r.rd, &res.hdr), 0);
    CHECK_EQ_INT(dfu_image_tlv_find(&r.rd, &res.hdr, DFU_IMAGE_TLV_DEPENDENCY, 1, &t), 0);
    CHECK_EQ_INT(dfu_image_tlv_read(&r.rd, &t, buf, sizeof(buf)), 0);
    CHECK_EQ_INT(dfu_image_dependency_parse(buf, t.len, &dep), 0);
    CHECK_EQ_INT(dep.image_id, 1);
    CHECK_EQ_INT(dep.min_ver.major, 2);
    CHECK_EQ_INT(dep.min_ver.minor + dep.min_ver.revision + dep.min_ver.build, 0);
    CHECK_EQ_INT(dfu_image_tlv_find(&r.rd, &res.hdr, DFU_IMAGE_TLV_SHA256, 1, &t),
                 DFU_ERR_NOT_FOUND);
    free(img);

    /* Ed25519 pure: memory-mapped, read into a big scratch, and scratch too small. */
    uint8_t *key = load_key("sign-ed25519", "pub.der", &klen);
    dfu_image_key_t k = {key, klen};
    img = load_image("a_ed25519_pure.bin", &len);
    cfg.keys = &k;
    cfg.key_count = 1;
    tu_reader_init(&r, img, (uint32_t)len, 1);
    CHECK_EQ_INT(dfu_image_validate(&r.rd, &cfg, &res), 0);
    CHECK(res.flags & DFU_IMAGE_RF_PURE);
    CHECK_EQ_INT(res.hash_alg, DFU_HASH_SHA512);
    CHECK_EQ_INT(res.sig_type, DFU_IMAGE_TLV_ED25519);
    tu_reader_init(&r, img, (uint32_t)len, 0);
    CHECK_EQ_INT(dfu_image_validate(&r.rd, &cfg, &res), DFU_ERR_NOMEM);
    cfg.scratch = big_scratch;
    cfg.scratch_len = sizeof(big_scratch);
    CHECK_EQ_INT(dfu_image_validate(&r.rd, &cfg, &res), 0);
    /* Flip one payload byte: the SHA-512 TLV catches it before the signature. */
    img[0x300] ^= 1;
    CHECK_EQ_INT(dfu_image_validate(&r.rd, &cfg, &res), DFU_ERR_HASH_MISMATCH);
    free(img);
    base_cfg(&cfg);

    /* Required hash algorithm: a SHA-384 image against a SHA-256-only build. */
    img = load_image("a_ecdsa_p384.bin", &len);
    tu_reader_init(&r, img, (uint32_t)len, 0);
    cfg.hash_alg = DFU_HASH_SHA256;
    CHECK_EQ_INT(dfu_image_validate(&r.rd, &cfg, &res), DFU_ERR_NO_HASH);
    cfg.hash_alg = DFU_HASH_SHA384;
    CHECK_EQ_INT(dfu_image_validate(&r.rd, &cfg, &res), 0);
    CHECK_EQ_INT(res.hash_len, 48);
    free(img);
    cfg.hash_alg = DFU_HASH_NONE;

    /* Allow list: every vector's unprotected area complies. */
    img = load_image("a_ecdsa_p256_prot_all.bin", &len);
    tu_reader_init(&r, img, (uint32_t)len, 0);
    cfg.flags = DFU_IMAGE_VF_ALLOW_LIST;
    CHECK_EQ_INT(dfu_image_validate(&r.rd, &cfg, &res), 0);
    cfg.flags = 0;
    free(img);

    /* Wrong decryption key type: X25519 image with the P-256 key. */
    img = load_image("a_ed25519_enc_x25519.bin", &len);
    tu_reader_init(&r, img, (uint32_t)len, 0);
    uint8_t *ec = load_key("enc-ec256", "pem", &olen);
    cfg.enc_priv = ec;
    cfg.enc_priv_len = olen;
    CHECK_EQ_INT(dfu_image_validate(&r.rd, &cfg, &res), DFU_ERR_DECRYPT);
    free(img);
    /* EC256 image with the wrong P-256 key (the signing key, wrapped as PKCS#8): tag mismatch. */
    img = load_image("a_ecdsa_p256_enc_ec256.bin", &len);
    tu_reader_init(&r, img, (uint32_t)len, 0);
    size_t slen;
    uint8_t *sk = load_key("sign-ecdsa-p256", "pem", &slen);
    cfg.enc_priv = sk;
    cfg.enc_priv_len = slen;
    CHECK_EQ_INT(dfu_image_validate(&r.rd, &cfg, &res), DFU_ERR_DECRYPT);
    CHECK(strstr(res.reason, "unwrap") != NULL);
    cfg.enc_priv = ec;
    CHECK_EQ_INT(dfu_image_validate(&r.rd, &cfg, &res), 0);
    free(sk);
    free(ec);
    free(img);
    free(key);
}

/* imgtool's negative vectors. */
static void check_negatives(void)
{
    static const struct {
        const char *image, *key;
        int want;
    } neg[] = {
        {"neg_a_ecdsa_p256_bad_magic.bin", "sign-ecdsa-p256", DFU_ERR_BAD_MAGIC},
        {"neg_a_ecdsa_p256_body_bitflip.bin", "sign-ecdsa-p256", DFU_ERR_HASH_MISMATCH},
        {"neg_a_ecdsa_p256_sig_bitflip.bin", "sign-ecdsa-p256", DFU_ERR_BAD_SIGNATURE},
        {"a_ecdsa_p256.bin", "other-ecdsa-p256", DFU_ERR_KEY_MISMATCH},
        {"a_ecdsa_p256.bin", "sign-ed25519", DFU_ERR_KEY_MISMATCH},
        {"a_ed25519.bin", "sign-ecdsa-p256", DFU_ERR_KEY_MISMATCH},
    };
    for (size_t i = 0; i < sizeof(neg) / sizeof(neg[0]); i++) {
        size_t len, klen;
        uint8_t *img = load_image(neg[i].image, &len);
        uint8_t *key = load_key(neg[i].key, "pub.der", &klen);
        CHECK(img && key);
        if (!img || !key) {
            continue;
        }
        dfu_image_key_t k = {key, klen};
        dfu_image_verify_cfg_t cfg;
        dfu_image_result_t res;
        tu_reader_t r;
        base_cfg(&cfg);
        cfg.keys = &k;
        cfg.key_count = 1;
        tu_reader_init(&r, img, (uint32_t)len, 0);
        CHECK_EQ_INT(dfu_image_validate(&r.rd, &cfg, &res), neg[i].want);
        CHECK(res.reason != NULL && strcmp(res.reason, "ok") != 0);
        CHECK(!r.oob);
        free(img);
        free(key);
    }
}

int main(void)
{
    if (!dfu_test_have_shared("imgtool image vector")) {
        return dfu_test_finish("test_image_vectors");
    }
    DIR *d = opendir(TU_VEC "/images");
    struct dirent *e;
    char *names[256];
    int n = 0;
    while (d && (e = readdir(d)) && n < 256) {
        size_t l = strlen(e->d_name);
        int bin = l > 4 && strcmp(e->d_name + l - 4, ".bin") == 0;
        int hx = l > 4 && strcmp(e->d_name + l - 4, ".hex") == 0;
        if ((bin || hx) && strncmp(e->d_name, "neg_", 4) != 0) {
            names[n++] = strdup(e->d_name);
        }
    }
    if (d) {
        closedir(d);
    }
    for (int i = 0; i < n; i++) {
        check_vector(names[i]);
        free(names[i]);
    }
    printf("test_image_vectors: %d vector images checked\n", images_checked);
    CHECK(images_checked >= 49);
    check_negatives();
    check_specials();
    return dfu_test_finish("test_image_vectors");
}
