/* Unit tests that need no vectors: crypto port known-answer tests (SHA-2, HMAC, HKDF, AES-CTR
 * incl. mid-block resume, X25519, Ed25519), header decode, version order, TLV iteration edge
 * cases, trailer magic, xcrypt payload boundaries. */
#include <stdio.h>
#include <string.h>

#include "dfu_test.h"
#include "dfukit/dfu_err.h"
#include "dfukit/dfu_image.h"
#include "image_test_util.h"

static const dfu_crypto_port_t *C;

static void check_hex(const uint8_t *got, const char *want_hex)
{
    uint8_t want[128];
    int n = tu_hex2bin(want_hex, want, sizeof(want));
    CHECK(n > 0 && memcmp(got, want, (size_t)n) == 0);
}

static void kat_hash(void)
{
    static const struct {
        dfu_hash_alg_t alg;
        const char *abc;
    } t[] = {
        {DFU_HASH_SHA256, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"},
        {DFU_HASH_SHA384, "cb00753f45a35e8bb5a03d699ac65007272c32ab0eded1631a8b605a43ff5bed8086"
                          "072ba1e7cc2358baeca134c825a7"},
        {DFU_HASH_SHA512, "ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a2192"
                          "992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f"},
    };
    for (size_t i = 0; i < 3; i++) {
        dfu_hash_ctx_t h;
        uint8_t out[64];
        CHECK_EQ_INT(C->hash_init(C->ctx, &h, t[i].alg), 0);
        CHECK_EQ_INT(C->hash_update(C->ctx, &h, "a", 1), 0);
        CHECK_EQ_INT(C->hash_update(C->ctx, &h, "", 0), 0);
        CHECK_EQ_INT(C->hash_update(C->ctx, &h, "bc", 2), 0);
        CHECK_EQ_INT(C->hash_finish(C->ctx, &h, out), 0);
        check_hex(out, t[i].abc);
    }
    CHECK_EQ_INT(dfu_hash_len(DFU_HASH_SHA384), 48);
    CHECK_EQ_INT(dfu_hash_len(DFU_HASH_NONE), 0);
    dfu_hash_ctx_t h;
    CHECK_EQ_INT(C->hash_init(C->ctx, &h, (dfu_hash_alg_t)9), DFU_ERR_NOTSUP);
}

static void kat_mac_kdf(void)
{
    uint8_t key[22], out[64], salt[13], info[10];
    memset(key, 0x0b, sizeof(key));
    CHECK_EQ_INT(C->hmac(C->ctx, DFU_HASH_SHA256, key, 20, (const uint8_t *)"Hi There", 8, out), 0);
    check_hex(out, "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7");
    for (int i = 0; i < 13; i++) {
        salt[i] = (uint8_t)i;
    }
    for (int i = 0; i < 10; i++) {
        info[i] = (uint8_t)(0xf0 + i);
    }
    CHECK_EQ_INT(C->hkdf(C->ctx, DFU_HASH_SHA256, salt, 13, key, 22, info, 10, out, 42), 0);
    check_hex(out, "3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b8"
                   "87185865");
}

static void kat_aes_ctr(void)
{
    uint8_t key[16], ctr[16], pt[32], ct[32], part[32];
    tu_hex2bin("2b7e151628aed2a6abf7158809cf4f3c", key, 16);
    tu_hex2bin("f0f1f2f3f4f5f6f7f8f9fafbfcfdfeff", ctr, 16);
    tu_hex2bin("6bc1bee22e409f96e93d7e117393172aae2d8a571e03ac9c9eb76fac45af8e51", pt, 32);
    CHECK_EQ_INT(C->aes_ctr(C->ctx, key, 16, ctr, 0, pt, ct, 32), 0);
    check_hex(ct, "874d6191b620e3261bef6864990db6ce9806f66b7970fdff8617187bb9fffdff");
    /* Resume at byte 5 of the first block, then at byte 0 of the second. */
    memcpy(part, pt, 32);
    CHECK_EQ_INT(C->aes_ctr(C->ctx, key, 16, ctr, 0, part, part, 5), 0);
    CHECK_EQ_INT(C->aes_ctr(C->ctx, key, 16, ctr, 5, part + 5, part + 5, 20), 0);
    uint8_t ctr2[16];
    tu_hex2bin("f0f1f2f3f4f5f6f7f8f9fafbfcfdff00", ctr2, 16); /* ctr + 1, with carry */
    CHECK_EQ_INT(C->aes_ctr(C->ctx, key, 16, ctr2, 9, part + 25, part + 25, 7), 0);
    CHECK_MEM(part, ct, 32);
    CHECK_EQ_INT(C->aes_ctr(C->ctx, key, 24, ctr, 0, pt, ct, 16), DFU_ERR_INVAL);
    CHECK_EQ_INT(C->aes_ctr(C->ctx, key, 16, ctr, 16, pt, ct, 16), DFU_ERR_INVAL);
}

static void kat_25519(void)
{
    uint8_t k[32], u[32], out[32], pk[32], sig[64];
    tu_hex2bin("a546e36bf0527c9d3b16154b82465edd62144c0ac1fc5a18506a2244ba449ac4", k, 32);
    tu_hex2bin("e6db6867583030db3594c1a424b15f7c726624ec26b3353b10a903a6d0ab1c4c", u, 32);
    CHECK_EQ_INT(C->x25519(C->ctx, k, u, out), 0);
    check_hex(out, "c3da55379de9c6908e94ea4df28d084f32eccf03491c71f754b4075577a28552");
    memset(u, 0, sizeof(u));
    CHECK_EQ_INT(C->x25519(C->ctx, k, u, out), DFU_ERR_INVAL); /* low-order point */

    tu_hex2bin("d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a", pk, 32);
    tu_hex2bin("e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33b"
               "acc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b",
               sig, 64);
    CHECK_EQ_INT(C->ed25519_verify(C->ctx, pk, NULL, 0, sig), 0);
    sig[10] ^= 1;
    CHECK_EQ_INT(C->ed25519_verify(C->ctx, pk, NULL, 0, sig), DFU_ERR_BAD_SIGNATURE);
}

static void bad_keys(void)
{
    uint8_t junk[91] = {0x30, 0x59}, d[32] = {0}, sig[8] = {0x30, 0x06};
    CHECK_EQ_INT(C->ecdsa_verify(C->ctx, DFU_EC_P256, junk, sizeof(junk), d, 32, sig, 8),
                 DFU_ERR_INVAL);
    CHECK_EQ_INT(C->rsa_pss_verify(C->ctx, junk, sizeof(junk), d, 32, sig, 8), DFU_ERR_INVAL);
    size_t n = 0;
    uint8_t out[32];
    CHECK_EQ_INT(C->rsa_oaep_decrypt(C->ctx, junk, sizeof(junk), junk, 91, out, 32, &n),
                 DFU_ERR_INVAL);
    uint8_t pub[65] = {0x04};
    d[31] = 1;
    CHECK_EQ_INT(C->ecdh_p256(C->ctx, d, pub, out), DFU_ERR_INVAL); /* (0,0) not on curve */
}

/* ---- Header / version / TLV ---------------------------------------------------------------- */

static void header_and_version(void)
{
    /* The example header of mcuboot-format.md section 1. */
    uint8_t raw[32];
    tu_hex2bin("3db8f396"
               "00000000"
               "0002"
               "0000"
               "409c0000"
               "00000000"
               "01020300"
               "04000000"
               "00000000",
               raw, 32);
    dfu_image_header_t h;
    CHECK_EQ_INT(dfu_image_header_parse(raw, 32, &h), 0);
    CHECK_EQ_INT(h.hdr_size, 0x200);
    CHECK_EQ_INT(h.img_size, 40000);
    CHECK_EQ_INT(h.protect_tlv_size, 0);
    CHECK_EQ_INT(h.ver.major, 1);
    CHECK_EQ_INT(h.ver.minor, 2);
    CHECK_EQ_INT(h.ver.revision, 3);
    CHECK_EQ_INT(h.ver.build, 4);
    CHECK_EQ_INT(dfu_image_hashed_size(&h), 40512);
    CHECK_EQ_INT(dfu_image_header_parse(raw, 31, &h), DFU_ERR_CORRUPT);
    CHECK_EQ_INT(dfu_image_header_parse(NULL, 32, &h), DFU_ERR_INVAL);

    dfu_image_version_t a = {1, 2, 3, 4}, b = {1, 2, 3, 5}, c = {1, 3, 0, 0}, d = {2, 0, 0, 0};
    CHECK_EQ_INT(dfu_image_version_cmp(&a, &b, 0), 0);
    CHECK(dfu_image_version_cmp(&a, &b, 1) < 0);
    CHECK(dfu_image_version_cmp(&c, &a, 0) > 0);
    CHECK(dfu_image_version_cmp(&a, &d, 0) < 0);
    dfu_image_version_t r1 = {1, 2, 300, 0}, r2 = {1, 2, 4, 0};
    CHECK(dfu_image_version_cmp(&r1, &r2, 0) > 0); /* revision is u16 */

    CHECK(strcmp(dfu_image_tlv_name(DFU_IMAGE_TLV_SHA256), "SHA256") == 0);
    CHECK(strcmp(dfu_image_tlv_name(0x01a5), "VENDOR") == 0);
    CHECK(strcmp(dfu_image_tlv_name(0x0099), "UNKNOWN") == 0);
    uint8_t dep[12] = {1, 0, 0, 0, 2, 5, 7, 1, 9, 0, 0, 0};
    dfu_image_dependency_t dp;
    CHECK_EQ_INT(dfu_image_dependency_parse(dep, 12, &dp), 0);
    CHECK_EQ_INT(dp.min_ver.revision, 0x107);
    CHECK_EQ_INT(dfu_image_dependency_parse(dep, 11, &dp), DFU_ERR_BAD_TLV);
}

static void tlv_iter(void)
{
    /* Header (hdr 32, img 4, prot 8) + payload + prot block (one empty vendor TLV) + unprot
     * block with two TLVs, the second of length 0. */
    uint8_t img[32 + 4 + 8 + 4 + 6 + 4] = {0x3d, 0xb8, 0xf3, 0x96, 0, 0, 0, 0, 32, 0, 8, 0, 4};
    uint8_t *t = img + 36;
    memcpy(t, "\x08\x69\x08\x00\xa0\x00\x00\x00", 8);
    memcpy(t + 8, "\x07\x69\x0e\x00\x10\x00\x02\x00\xaa\xbb\xa1\x00\x00\x00", 14);
    dfu_image_reader_t rd;
    dfu_image_reader_mem(&rd, img, sizeof(img));
    dfu_image_header_t h;
    CHECK_EQ_INT(dfu_image_header_read(&rd, &h), 0);
    dfu_image_tlv_iter_t it;
    dfu_image_tlv_t e;
    CHECK_EQ_INT(dfu_image_tlv_begin(&it, &rd, &h, DFU_IMAGE_TLV_ANY, 0), 0);
    CHECK_EQ_INT(dfu_image_tlv_end(&it), sizeof(img));
    CHECK_EQ_INT(dfu_image_tlv_next(&it, &e), 1);
    CHECK(e.type == 0xa0 && e.len == 0 && e.prot == 1 && e.off == 36 + 8);
    CHECK_EQ_INT(dfu_image_tlv_next(&it, &e), 1);
    CHECK(e.type == 0x10 && e.len == 2 && e.prot == 0 && e.off == 36 + 16);
    CHECK_EQ_INT(dfu_image_tlv_next(&it, &e), 1);
    CHECK(e.type == 0xa1 && e.len == 0);
    CHECK_EQ_INT(dfu_image_tlv_next(&it, &e), 0);
    CHECK_EQ_INT(dfu_image_tlv_next(&it, &e), 0);
    CHECK_EQ_INT(dfu_image_tlv_begin(&it, &rd, &h, DFU_IMAGE_TLV_ANY, 1), 0);
    CHECK_EQ_INT(dfu_image_tlv_next(&it, &e), 1);
    CHECK_EQ_INT(dfu_image_tlv_next(&it, &e), 0);
    CHECK_EQ_INT(dfu_image_tlv_find(&rd, &h, 0xa1, 0, &e), 0);
    CHECK_EQ_INT(dfu_image_tlv_find(&rd, &h, 0xa1, 1, &e), DFU_ERR_NOT_FOUND);
    uint8_t small[1];
    CHECK_EQ_INT(dfu_image_tlv_find(&rd, &h, 0x10, 0, &e), 0);
    CHECK_EQ_INT(dfu_image_tlv_read(&rd, &e, small, 1), DFU_ERR_NOMEM);
    /* Entry length running past the end: the iterator stops with BAD_TLV and stays there. */
    img[sizeof(img) - 2] = 1;
    CHECK_EQ_INT(dfu_image_tlv_begin(&it, &rd, &h, 0xa1, 0), 0);
    CHECK_EQ_INT(dfu_image_tlv_next(&it, &e), DFU_ERR_BAD_TLV);
    CHECK_EQ_INT(dfu_image_tlv_next(&it, &e), DFU_ERR_BAD_TLV);
}

static void trailer_and_xcrypt(void)
{
    uint8_t m[16];
    CHECK_EQ_INT(dfu_image_trailer_magic(8, m), 0);
    CHECK(m[0] == 0x77 && m[15] == 0x80);
    CHECK_EQ_INT(dfu_image_trailer_magic(16, m), 0);
    CHECK(m[0] == 0x10 && m[1] == 0 && m[2] == 0x2d && m[15] == 0x8a);
    CHECK_EQ_INT(dfu_image_trailer_magic(4, m), DFU_ERR_INVAL);

    static uint8_t slot[4096];
    memset(slot, 0xff, sizeof(slot));
    dfu_image_trailer_magic(32, slot + sizeof(slot) - 16);
    slot[sizeof(slot) - 64] = 1; /* image_ok */
    slot[sizeof(slot) - 96] = 7; /* copy_done: bad value */
    slot[sizeof(slot) - 128] = 0x12;
    dfu_image_reader_t rd;
    dfu_image_trailer_t tr;
    dfu_image_reader_mem(&rd, slot, sizeof(slot));
    CHECK_EQ_INT(dfu_image_trailer_decode(&rd, sizeof(slot), 32, 0xff, &tr), 0);
    CHECK_EQ_INT(tr.magic, DFU_IMAGE_TRAILER_MAGIC_GOOD);
    CHECK_EQ_INT(tr.image_ok, DFU_IMAGE_FLAG_SET);
    CHECK_EQ_INT(tr.copy_done, DFU_IMAGE_FLAG_BAD);
    CHECK_EQ_INT(tr.swap_info, 0x12);
    CHECK_EQ_INT(tr.swap_size, 0xffffffffu);
    CHECK_EQ_INT(tr.swap_size_off, sizeof(slot) - 160);
    memset(slot + sizeof(slot) - 16, 0xff, 16);
    CHECK_EQ_INT(dfu_image_trailer_decode(&rd, sizeof(slot), 32, 0xff, &tr), 0);
    CHECK_EQ_INT(tr.magic, DFU_IMAGE_TRAILER_MAGIC_UNSET);
    CHECK_EQ_INT(dfu_image_trailer_decode(&rd, sizeof(slot) + 1, 8, 0xff, &tr), DFU_ERR_RANGE);

    /* xcrypt touches only the payload; header/TLV bytes in the same buffer stay. */
    dfu_image_header_t h = {.magic = DFU_IMAGE_MAGIC, .hdr_size = 32, .img_size = 48};
    dfu_image_enc_key_t k = {.len = 16};
    uint8_t buf[100], ref[100];
    for (int i = 0; i < 100; i++) {
        buf[i] = ref[i] = (uint8_t)i;
    }
    CHECK_EQ_INT(dfu_image_xcrypt(C, &k, &h, 0, buf, sizeof(buf)), 0);
    CHECK_MEM(buf, ref, 32);
    CHECK_MEM(buf + 80, ref + 80, 20);
    CHECK(memcmp(buf + 32, ref + 32, 48) != 0);
    /* Decrypting in odd pieces gives the original back. */
    for (uint32_t off = 0; off < 100; off += 13) {
        uint32_t n = 100 - off < 13 ? 100 - off : 13;
        CHECK_EQ_INT(dfu_image_xcrypt(C, &k, &h, off, buf + off, n), 0);
    }
    CHECK_MEM(buf, ref, 100);
    k.len = 20;
    CHECK_EQ_INT(dfu_image_xcrypt(C, &k, &h, 0, buf, 10), DFU_ERR_INVAL);
    /* Unwrap argument checks. */
    dfu_image_enc_key_t out;
    uint8_t tlv[80] = {0};
    CHECK_EQ_INT(dfu_image_enc_unwrap_tlv(C, DFU_IMAGE_TLV_ENC_X25519, tlv, 79, tlv, 10, 16, &out),
                 DFU_ERR_BAD_TLV);
    CHECK_EQ_INT(dfu_image_enc_unwrap_tlv(C, DFU_IMAGE_TLV_ENC_KW, tlv, 24, tlv, 10, 16, &out),
                 DFU_ERR_NOTSUP);
    CHECK_EQ_INT(dfu_image_enc_unwrap_tlv(C, DFU_IMAGE_TLV_ENC_X25519, tlv, 80, tlv, 10, 16, &out),
                 DFU_ERR_INVAL); /* private key is not PKCS#8 X25519 */
}

/* swap_size in the swap-using-offset layout: one max_align unit below the default layout (the
 * unprotected-TLV-sizes field sits in between), as MCUboot (mcuboot-format.md §3.2). */
static void st_le32(uint8_t *p, uint32_t v)
{
    for (int i = 0; i < 4; i++) {
        p[i] = (uint8_t)(v >> (8 * i));
    }
}

static void trailer_offset_mode(void)
{
    static uint8_t slot[4096];
    static const uint32_t mas[] = {8, 16, 32};
    static const uint32_t want_def[] = {48, 80, 160};
    static const uint32_t want_off[] = {56, 96, 192};
    dfu_image_reader_t rd;
    dfu_image_trailer_t tr;
    dfu_image_reader_mem(&rd, slot, sizeof(slot));
    for (unsigned i = 0; i < 3u; i++) {
        uint32_t e = sizeof(slot);
        memset(slot, 0xff, sizeof(slot));
        dfu_image_trailer_magic(mas[i], slot + e - 16);
        st_le32(slot + e - want_off[i], 0x00012345u);              /* swap_size (offset layout) */
        st_le32(slot + e - want_def[i], 0x00000a0bu);              /* tlv sizes field */
        slot[e - (mas[i] > 16 ? mas[i] : 16) - 3 * mas[i]] = 0x02; /* swap_info TEST */
        CHECK_EQ_INT(
            dfu_image_trailer_decode_mode(&rd, e, mas[i], 0xff, DFU_IMAGE_TRAILER_MODE_OFFSET, &tr),
            0);
        CHECK_EQ_INT(tr.magic, DFU_IMAGE_TRAILER_MAGIC_GOOD);
        CHECK_EQ_INT(tr.swap_info, 0x02);
        CHECK_EQ_INT(tr.swap_size_off, e - want_off[i]);
        CHECK_EQ_INT(tr.swap_size, 0x00012345u);
        /* the default layout keeps reading E-48 / E-80 / E-160 */
        CHECK_EQ_INT(dfu_image_trailer_decode(&rd, e, mas[i], 0xff, &tr), 0);
        CHECK_EQ_INT(tr.swap_size_off, e - want_def[i]);
        CHECK_EQ_INT(tr.swap_size, 0x00000a0bu);
        CHECK_EQ_INT(
            dfu_image_trailer_decode_mode(&rd, e, mas[i], 0xff, DFU_IMAGE_TRAILER_MODE_SWAP, &tr),
            0);
        CHECK_EQ_INT(tr.swap_size_off, e - want_def[i]);
    }
    CHECK_EQ_INT(dfu_image_trailer_decode_mode(&rd, sizeof(slot), 8, 0xff, 2, &tr), DFU_ERR_INVAL);
    /* smallest slot: magic unit + 5 units in offset mode, 4 otherwise */
    CHECK_EQ_INT(
        dfu_image_trailer_decode_mode(&rd, 16 + 4 * 8, 8, 0xff, DFU_IMAGE_TRAILER_MODE_OFFSET, &tr),
        DFU_ERR_RANGE);
    CHECK_EQ_INT(
        dfu_image_trailer_decode_mode(&rd, 16 + 5 * 8, 8, 0xff, DFU_IMAGE_TRAILER_MODE_OFFSET, &tr),
        0);
    CHECK_EQ_INT(tr.swap_size_off, 0u);
}

int main(void)
{
    C = dfu_crypto_default();
    kat_hash();
    kat_mac_kdf();
    kat_aes_ctr();
    kat_25519();
    bad_keys();
    header_and_version();
    tlv_iter();
    trailer_and_xcrypt();
    trailer_offset_mode();
    return dfu_test_finish("test_image_unit");
}
