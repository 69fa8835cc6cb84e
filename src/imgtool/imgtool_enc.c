/* Image encryption pieces (OpenSSL): AES key wrapping for the ENC TLVs, AES-CTR, UUIDv5.
 *
 * ENC_EC256 / ENC_X25519 (ECIES): ephemeral key pair, ECDH with the device's public key,
 * HKDF(salt = none, info = "MCUBoot_ECIES_v1", L = keylen + mac_len) -> kek || mac_key,
 * AES-CTR(kek, counter 0) over the AES key, HMAC over the wrapped key.
 * TLV value = ephemeral public key || HMAC tag || wrapped key.
 * ENC_RSA2048: RSA-OAEP, SHA-256 + MGF1-SHA-256, empty label. */
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/kdf.h>
#include <openssl/rand.h>
#include <openssl/rsa.h>

#include "imgtool_priv.h"

int imgtool_random(uint8_t *out, size_t n)
{
    return RAND_bytes(out, (int)n) == 1 ? DFU_OK : DFU_ERR_CRYPTO;
}

int imgtool_aes_ctr(const uint8_t *key, size_t keylen, uint8_t *data, size_t n,
                    dfu_imgtool_diag_t *diag)
{
    static const uint8_t iv[16] = {0};
    EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
    const EVP_CIPHER *alg = keylen == 32 ? EVP_aes_256_ctr() : EVP_aes_128_ctr();
    int outl = 0, fin = 0;
    int ok = c && EVP_EncryptInit_ex(c, alg, NULL, key, iv) == 1;
    size_t off = 0;
    while (ok && off < n) {
        int chunk = (n - off) > (1u << 30) ? (1 << 30) : (int)(n - off);
        ok = EVP_EncryptUpdate(c, data + off, &outl, data + off, chunk) == 1;
        off += (size_t)chunk;
    }
    ok = ok && EVP_EncryptFinal_ex(c, data + n, &fin) == 1;
    EVP_CIPHER_CTX_free(c);
    return ok ? DFU_OK : dfu_imgtool_fail(diag, DFU_ERR_CRYPTO, "AES-CTR encryption failed");
}

static int hkdf(const EVP_MD *md, const uint8_t *ikm, size_t ikm_len, uint8_t *out, size_t n)
{
    static const char info[] = "MCUBoot_ECIES_v1";
    EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_id(EVP_PKEY_HKDF, NULL);
    size_t olen = n;
    int ok = ctx && EVP_PKEY_derive_init(ctx) > 0 && EVP_PKEY_CTX_set_hkdf_md(ctx, md) > 0 &&
             EVP_PKEY_CTX_set1_hkdf_key(ctx, ikm, (int)ikm_len) > 0 &&
             EVP_PKEY_CTX_add1_hkdf_info(ctx, (const unsigned char *)info,
                                         (int)(sizeof(info) - 1)) > 0 &&
             EVP_PKEY_derive(ctx, out, &olen) > 0 && olen == n;
    EVP_PKEY_CTX_free(ctx);
    return ok ? DFU_OK : DFU_ERR_CRYPTO;
}

/* ECDH between a fresh ephemeral key and `peer`; returns the ephemeral public key bytes
 * (uncompressed point for P-256, raw 32 bytes for X25519) and the shared secret. */
static int ecdh_ephemeral(EVP_PKEY *peer, bool x25519, uint8_t *pub, size_t *pub_len,
                          uint8_t *shared, size_t *shared_len)
{
    EVP_PKEY *eph = x25519 ? EVP_PKEY_Q_keygen(NULL, NULL, "X25519")
                           : EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
    if (!eph) {
        return DFU_ERR_CRYPTO;
    }
    EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new(eph, NULL);
    int ok = ctx && EVP_PKEY_derive_init(ctx) > 0 && EVP_PKEY_derive_set_peer(ctx, peer) > 0 &&
             EVP_PKEY_derive(ctx, shared, shared_len) > 0;
    if (ok && x25519) {
        ok = EVP_PKEY_get_raw_public_key(eph, pub, pub_len) > 0;
    } else if (ok) {
        ok = EVP_PKEY_get_octet_string_param(eph, OSSL_PKEY_PARAM_ENCODED_PUBLIC_KEY, pub, *pub_len,
                                             pub_len) > 0;
    }
    EVP_PKEY_CTX_free(ctx);
    EVP_PKEY_free(eph);
    return ok ? DFU_OK : DFU_ERR_CRYPTO;
}

static int ecies_wrap(const dfu_imgtool_key_t *enc, const uint8_t *aes_key, size_t keylen,
                      unsigned hmac_bits, dfu_imgtool_buf_t *tlv)
{
    bool x = enc->type == DFU_IMGTOOL_KEY_X25519;
    const EVP_MD *md = hmac_bits == 512 ? EVP_sha512() : EVP_sha256();
    size_t mac_len = hmac_bits == 512 ? 64u : 32u;
    uint8_t pub[133], shared[66], okm[32 + 64], wrapped[32], tag[64];
    size_t pub_len = sizeof(pub), shared_len = sizeof(shared);
    unsigned int tag_len = 0;
    int rc = ecdh_ephemeral(enc->pk, x, pub, &pub_len, shared, &shared_len);
    if (!rc) {
        rc = hkdf(md, shared, shared_len, okm, keylen + mac_len);
    }
    if (!rc) {
        memcpy(wrapped, aes_key, keylen);
        rc = imgtool_aes_ctr(okm, keylen, wrapped, keylen, NULL);
    }
    if (!rc && !HMAC(md, okm + keylen, (int)mac_len, wrapped, keylen, tag, &tag_len)) {
        rc = DFU_ERR_CRYPTO;
    }
    if (!rc) {
        rc = dfu_imgtool_buf_append(tlv, pub, pub_len);
    }
    if (!rc) {
        rc = dfu_imgtool_buf_append(tlv, tag, tag_len);
    }
    if (!rc) {
        rc = dfu_imgtool_buf_append(tlv, wrapped, keylen);
    }
    return rc;
}

static int rsa_oaep_wrap(const dfu_imgtool_key_t *enc, const uint8_t *aes_key, size_t keylen,
                         dfu_imgtool_buf_t *tlv)
{
    uint8_t out[512];
    size_t olen = sizeof(out);
    EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new(enc->pk, NULL);
    int ok = ctx && EVP_PKEY_encrypt_init(ctx) > 0 &&
             EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_PKCS1_OAEP_PADDING) > 0 &&
             EVP_PKEY_CTX_set_rsa_oaep_md(ctx, EVP_sha256()) > 0 &&
             EVP_PKEY_CTX_set_rsa_mgf1_md(ctx, EVP_sha256()) > 0 &&
             EVP_PKEY_encrypt(ctx, out, &olen, aes_key, keylen) > 0;
    EVP_PKEY_CTX_free(ctx);
    return ok ? dfu_imgtool_buf_append(tlv, out, olen) : DFU_ERR_CRYPTO;
}

int imgtool_enc_wrap(const dfu_imgtool_key_t *enc, const uint8_t *aes_key, size_t keylen,
                     unsigned hmac_bits, dfu_imgtool_buf_t *tlv, unsigned *tlv_type,
                     dfu_imgtool_diag_t *diag)
{
    int rc;
    switch (enc->type) {
    case DFU_IMGTOOL_KEY_RSA_2048:
        *tlv_type = IMGTOOL_TLV_ENC_RSA2048;
        rc = rsa_oaep_wrap(enc, aes_key, keylen, tlv);
        break;
    case DFU_IMGTOOL_KEY_ECDSA_P256:
        *tlv_type = IMGTOOL_TLV_ENC_EC256;
        rc = ecies_wrap(enc, aes_key, keylen, 256, tlv);
        break;
    case DFU_IMGTOOL_KEY_X25519:
        *tlv_type = hmac_bits == 512 ? IMGTOOL_TLV_ENC_X25519_SHA512 : IMGTOOL_TLV_ENC_X25519;
        rc = ecies_wrap(enc, aes_key, keylen, hmac_bits, tlv);
        break;
    default:
        return dfu_imgtool_fail(diag, DFU_ERR_INVAL,
                                "-E/--encrypt: a %s key cannot encrypt images; use an "
                                "x25519, ecdsa-p256 or rsa-2048 key",
                                dfu_imgtool_key_type_name(enc->type));
    }
    ERR_clear_error();
    return rc ? dfu_imgtool_fail(diag, rc, "wrapping the image encryption key failed") : DFU_OK;
}

int imgtool_uuid5(const uint8_t ns[16], const char *name, uint8_t out[16])
{
    uint8_t h[20];
    unsigned int hl = 0;
    EVP_MD_CTX *c = EVP_MD_CTX_new();
    int ok = c && EVP_DigestInit_ex(c, EVP_sha1(), NULL) == 1 && EVP_DigestUpdate(c, ns, 16) == 1 &&
             EVP_DigestUpdate(c, name, strlen(name)) == 1 && EVP_DigestFinal_ex(c, h, &hl) == 1;
    EVP_MD_CTX_free(c);
    if (!ok) {
        return DFU_ERR_CRYPTO;
    }
    memcpy(out, h, 16);
    out[6] = (uint8_t)((out[6] & 0x0f) | 0x50); /* version 5 */
    out[8] = (uint8_t)((out[8] & 0x3f) | 0x80); /* RFC 4122 variant */
    return DFU_OK;
}
