/* mbedTLS 2.28 part of the default backend. Hash contexts live in the caller's dfu_hash_ctx_t;
 * key parsing and bignum arithmetic use mbedTLS's own allocator (MBEDTLS_PLATFORM_MEMORY with a
 * static pool on a device). Every mbedTLS object is freed before returning.
 * Each function follows the mbedTLS configuration it is built with: a module the configuration
 * leaves out (SHA-512, RSA, AES, HKDF, ECDH; firmware/mbedtls_config.h for a bootloader) makes
 * the functions that need it answer DFU_ERR_NOTSUP, so nothing of it is linked. */
#include <string.h>

#if defined(DFU_TARGET_CORTEX_M)
#define MBEDTLS_CONFIG_FILE "mbedtls/dfu_mbedtls_target.h"
#endif
#include <mbedtls/aes.h>
#include <mbedtls/asn1.h>
#include <mbedtls/ecdh.h>
#include <mbedtls/ecdsa.h>
#include <mbedtls/ecp.h>
#include <mbedtls/hkdf.h>
#include <mbedtls/md.h>
#include <mbedtls/oid.h>
#include <mbedtls/pk.h>
#include <mbedtls/rsa.h>
#include <mbedtls/sha256.h>
#include <mbedtls/sha512.h>

#include "crypto_backend.h"
#include "dfukit/dfu_err.h"

_Static_assert(sizeof(mbedtls_sha256_context) <= DFU_CRYPTO_HASH_CTX_SIZE, "sha256 ctx size");
#if defined(MBEDTLS_SHA512_C)
_Static_assert(sizeof(mbedtls_sha512_context) <= DFU_CRYPTO_HASH_CTX_SIZE, "sha512 ctx size");
#endif

/* ---- SHA-2 -------------------------------------------------------------------------------- */

int dfu_mbed_hash_init(void *ctx, dfu_hash_ctx_t *h, dfu_hash_alg_t alg)
{
    (void)ctx;
    if (h == NULL) {
        return DFU_ERR_INVAL;
    }
    h->alg = alg;
    if (alg == DFU_HASH_SHA256) {
        mbedtls_sha256_context *s = (mbedtls_sha256_context *)(void *)h->u.bytes;
        mbedtls_sha256_init(s);
        return mbedtls_sha256_starts_ret(s, 0) == 0 ? 0 : DFU_ERR_CRYPTO;
    }
#if defined(MBEDTLS_SHA512_C)
    if (alg == DFU_HASH_SHA384 || alg == DFU_HASH_SHA512) {
        mbedtls_sha512_context *s = (mbedtls_sha512_context *)(void *)h->u.bytes;
        mbedtls_sha512_init(s);
        return mbedtls_sha512_starts_ret(s, alg == DFU_HASH_SHA384) == 0 ? 0 : DFU_ERR_CRYPTO;
    }
#endif
    return DFU_ERR_NOTSUP;
}

int dfu_mbed_hash_update(void *ctx, dfu_hash_ctx_t *h, const void *data, size_t len)
{
    (void)ctx;
    if (h == NULL || (data == NULL && len != 0)) {
        return DFU_ERR_INVAL;
    }
    int rc;
    if (h->alg == DFU_HASH_SHA256) {
        rc = mbedtls_sha256_update_ret((mbedtls_sha256_context *)(void *)h->u.bytes, data, len);
#if defined(MBEDTLS_SHA512_C)
    } else if (h->alg == DFU_HASH_SHA384 || h->alg == DFU_HASH_SHA512) {
        rc = mbedtls_sha512_update_ret((mbedtls_sha512_context *)(void *)h->u.bytes, data, len);
#endif
    } else {
        return DFU_ERR_INVAL;
    }
    return rc == 0 ? 0 : DFU_ERR_CRYPTO;
}

int dfu_mbed_hash_finish(void *ctx, dfu_hash_ctx_t *h, uint8_t *out)
{
    (void)ctx;
    if (h == NULL || out == NULL) {
        return DFU_ERR_INVAL;
    }
    int rc;
    if (h->alg == DFU_HASH_SHA256) {
        mbedtls_sha256_context *s = (mbedtls_sha256_context *)(void *)h->u.bytes;
        rc = mbedtls_sha256_finish_ret(s, out);
        mbedtls_sha256_free(s);
#if defined(MBEDTLS_SHA512_C)
    } else if (h->alg == DFU_HASH_SHA384 || h->alg == DFU_HASH_SHA512) {
        mbedtls_sha512_context *s = (mbedtls_sha512_context *)(void *)h->u.bytes;
        uint8_t full[64];
        rc = mbedtls_sha512_finish_ret(s, full);
        mbedtls_sha512_free(s);
        memcpy(out, full, h->alg == DFU_HASH_SHA384 ? 48u : 64u);
#endif
    } else {
        return DFU_ERR_INVAL;
    }
    h->alg = DFU_HASH_NONE;
    return rc == 0 ? 0 : DFU_ERR_CRYPTO;
}

/* ---- ECDSA -------------------------------------------------------------------------------- */

/* Loads an EC public key from its SubjectPublicKeyInfo DER (RFC 5480: id-ecPublicKey with a
 * named curve, uncompressed point), as mbedtls_pk_parse_public_key() does for such keys, and
 * checks the point is on the curve. Without the pk layer: its key-type tables would link ECDSA
 * signing and every other key type into a bootloader. */
static int ec_spki_load(mbedtls_ecdsa_context *ec, mbedtls_ecp_group_id want, const uint8_t *key,
                        size_t key_len)
{
    unsigned char *p = (unsigned char *)(uintptr_t)key;
    const unsigned char *end = key + key_len;
    size_t len;
    mbedtls_asn1_buf alg, params;
    if (mbedtls_asn1_get_tag(&p, end, &len, MBEDTLS_ASN1_CONSTRUCTED | MBEDTLS_ASN1_SEQUENCE) !=
            0 ||
        p + len != end || mbedtls_asn1_get_alg(&p, end, &alg, &params) != 0 ||
        MBEDTLS_OID_CMP(MBEDTLS_OID_EC_ALG_UNRESTRICTED, &alg) != 0 ||
        params.tag != MBEDTLS_ASN1_OID) {
        return DFU_ERR_INVAL;
    }
    int named = want == MBEDTLS_ECP_DP_SECP256R1
                    ? MBEDTLS_OID_CMP(MBEDTLS_OID_EC_GRP_SECP256R1, &params) == 0
                    : MBEDTLS_OID_CMP(MBEDTLS_OID_EC_GRP_SECP384R1, &params) == 0;
    if (!named || mbedtls_asn1_get_bitstring_null(&p, end, &len) != 0 || p + len != end ||
        mbedtls_ecp_group_load(&ec->grp, want) != 0 ||
        mbedtls_ecp_point_read_binary(&ec->grp, &ec->Q, p, len) != 0 ||
        mbedtls_ecp_check_pubkey(&ec->grp, &ec->Q) != 0) {
        return DFU_ERR_INVAL;
    }
    return 0;
}

int dfu_mbed_ecdsa_verify(void *ctx, dfu_ec_curve_t curve, const uint8_t *key, size_t key_len,
                          const uint8_t *digest, size_t digest_len, const uint8_t *sig,
                          size_t sig_len)
{
    (void)ctx;
    if (key == NULL || digest == NULL || sig == NULL || digest_len == 0) {
        return DFU_ERR_INVAL;
    }
    mbedtls_ecp_group_id want = curve == DFU_EC_P256   ? MBEDTLS_ECP_DP_SECP256R1
                                : curve == DFU_EC_P384 ? MBEDTLS_ECP_DP_SECP384R1
                                                       : MBEDTLS_ECP_DP_NONE;
    if (want == MBEDTLS_ECP_DP_NONE || mbedtls_ecp_curve_info_from_grp_id(want) == NULL) {
        return DFU_ERR_NOTSUP;
    }
    mbedtls_ecdsa_context ec;
    mbedtls_ecdsa_init(&ec);
    int rc = ec_spki_load(&ec, want, key, key_len);
    if (rc == 0) {
        rc = mbedtls_ecdsa_read_signature(&ec, digest, digest_len, sig, sig_len) == 0
                 ? 0
                 : DFU_ERR_BAD_SIGNATURE;
    }
    mbedtls_ecdsa_free(&ec);
    return rc;
}

/* ---- RSA ---------------------------------------------------------------------------------- */

#if defined(MBEDTLS_RSA_C) && defined(MBEDTLS_PKCS1_V21) && defined(MBEDTLS_PK_PARSE_C)
/* Imports a PKCS#1 RSAPublicKey DER (SEQUENCE { INTEGER n, INTEGER e }) into `rsa`. */
static int rsa_import_pkcs1_pub(mbedtls_rsa_context *rsa, const uint8_t *key, size_t key_len)
{
    unsigned char *p = (unsigned char *)(uintptr_t)key;
    const unsigned char *end = key + key_len;
    size_t len;
    mbedtls_mpi n, e;
    mbedtls_mpi_init(&n);
    mbedtls_mpi_init(&e);
    int rc = DFU_ERR_INVAL;
    if (mbedtls_asn1_get_tag(&p, end, &len, MBEDTLS_ASN1_CONSTRUCTED | MBEDTLS_ASN1_SEQUENCE) !=
            0 ||
        p + len != end || mbedtls_asn1_get_mpi(&p, end, &n) != 0 ||
        mbedtls_asn1_get_mpi(&p, end, &e) != 0 || p != end) {
        goto out;
    }
    if (mbedtls_rsa_import(rsa, &n, NULL, NULL, NULL, &e) != 0 || mbedtls_rsa_complete(rsa) != 0 ||
        mbedtls_rsa_check_pubkey(rsa) != 0) {
        goto out;
    }
    rc = 0;
out:
    mbedtls_mpi_free(&n);
    mbedtls_mpi_free(&e);
    return rc;
}

int dfu_mbed_rsa_pss_verify(void *ctx, const uint8_t *key, size_t key_len, const uint8_t *digest,
                            size_t digest_len, const uint8_t *sig, size_t sig_len)
{
    (void)ctx;
    if (key == NULL || digest == NULL || sig == NULL) {
        return DFU_ERR_INVAL;
    }
    if (digest_len != 32) {
        return DFU_ERR_NOTSUP;
    }
    mbedtls_rsa_context rsa;
    mbedtls_rsa_init(&rsa, MBEDTLS_RSA_PKCS_V21, MBEDTLS_MD_SHA256);
    int rc = rsa_import_pkcs1_pub(&rsa, key, key_len);
    if (rc == 0 && mbedtls_rsa_get_len(&rsa) != sig_len) {
        rc = DFU_ERR_BAD_SIGNATURE;
    }
    if (rc == 0) {
        rc = mbedtls_rsa_rsassa_pss_verify_ext(&rsa, NULL, NULL, MBEDTLS_RSA_PUBLIC,
                                               MBEDTLS_MD_SHA256, 32, digest, MBEDTLS_MD_SHA256, 32,
                                               sig) == 0
                 ? 0
                 : DFU_ERR_BAD_SIGNATURE;
    }
    mbedtls_rsa_free(&rsa);
    return rc;
}

int dfu_mbed_rsa_oaep_decrypt(void *ctx, const uint8_t *key, size_t key_len, const uint8_t *in,
                              size_t in_len, uint8_t *out, size_t out_cap, size_t *out_len)
{
    (void)ctx;
    if (key == NULL || in == NULL || out == NULL || out_len == NULL) {
        return DFU_ERR_INVAL;
    }
    mbedtls_pk_context pk;
    mbedtls_pk_init(&pk);
    int rc = DFU_ERR_INVAL;
    if (mbedtls_pk_parse_key(&pk, key, key_len, NULL, 0) != 0 ||
        mbedtls_pk_get_type(&pk) != MBEDTLS_PK_RSA) {
        goto out;
    }
    mbedtls_rsa_context *rsa = mbedtls_pk_rsa(pk);
    mbedtls_rsa_set_padding(rsa, MBEDTLS_RSA_PKCS_V21, MBEDTLS_MD_SHA256);
    if (mbedtls_rsa_get_len(rsa) != in_len) {
        rc = DFU_ERR_DECRYPT;
        goto out;
    }
    /* No RNG in the port: the private operation runs without blinding (see report/docs). */
    rc = mbedtls_rsa_rsaes_oaep_decrypt(rsa, NULL, NULL, MBEDTLS_RSA_PRIVATE, NULL, 0, out_len, in,
                                        out, out_cap) == 0
             ? 0
             : DFU_ERR_DECRYPT;
out:
    mbedtls_pk_free(&pk);
    return rc;
}
#else
int dfu_mbed_rsa_pss_verify(void *ctx, const uint8_t *key, size_t key_len, const uint8_t *digest,
                            size_t digest_len, const uint8_t *sig, size_t sig_len)
{
    (void)ctx, (void)key, (void)key_len, (void)digest, (void)digest_len, (void)sig, (void)sig_len;
    return DFU_ERR_NOTSUP;
}

int dfu_mbed_rsa_oaep_decrypt(void *ctx, const uint8_t *key, size_t key_len, const uint8_t *in,
                              size_t in_len, uint8_t *out, size_t out_cap, size_t *out_len)
{
    (void)ctx, (void)key, (void)key_len, (void)in, (void)in_len, (void)out, (void)out_cap;
    (void)out_len;
    return DFU_ERR_NOTSUP;
}
#endif

/* ---- AES-CTR, HKDF, ECDH ------------------------------------------------------------------ */

#if defined(MBEDTLS_AES_C) && defined(MBEDTLS_CIPHER_MODE_CTR)
/* Big-endian 128-bit increment. */
static void ctr_inc(uint8_t c[16])
{
    for (int i = 15; i >= 0; i--) {
        if (++c[i] != 0) {
            break;
        }
    }
}

int dfu_mbed_aes_ctr(void *ctx, const uint8_t *key, size_t key_len, const uint8_t counter[16],
                     size_t skip, const uint8_t *in, uint8_t *out, size_t len)
{
    (void)ctx;
    if (key == NULL || counter == NULL || skip > 15 || ((in == NULL || out == NULL) && len)) {
        return DFU_ERR_INVAL;
    }
    if (key_len != 16 && key_len != 32) {
        return DFU_ERR_INVAL;
    }
    mbedtls_aes_context aes;
    uint8_t nc[16], stream[16];
    size_t nc_off = 0;
    int rc = DFU_ERR_CRYPTO;
    mbedtls_aes_init(&aes);
    memcpy(nc, counter, sizeof(nc));
    if (mbedtls_aes_setkey_enc(&aes, key, (unsigned int)(key_len * 8u)) != 0) {
        goto out;
    }
    if (skip != 0) {
        /* Resume inside a block: produce its keystream, then continue at byte `skip`. */
        if (mbedtls_aes_crypt_ecb(&aes, MBEDTLS_AES_ENCRYPT, nc, stream) != 0) {
            goto out;
        }
        ctr_inc(nc);
        nc_off = skip;
    }
    if (len == 0 || mbedtls_aes_crypt_ctr(&aes, len, &nc_off, nc, stream, in, out) == 0) {
        rc = 0;
    }
out:
    mbedtls_aes_free(&aes);
    memset(stream, 0, sizeof(stream));
    return rc;
}
#else
int dfu_mbed_aes_ctr(void *ctx, const uint8_t *key, size_t key_len, const uint8_t counter[16],
                     size_t skip, const uint8_t *in, uint8_t *out, size_t len)
{
    (void)ctx, (void)key, (void)key_len, (void)counter, (void)skip, (void)in, (void)out, (void)len;
    return DFU_ERR_NOTSUP;
}
#endif

#if defined(MBEDTLS_HKDF_C)
int dfu_mbed_hkdf(void *ctx, dfu_hash_alg_t alg, const uint8_t *salt, size_t salt_len,
                  const uint8_t *ikm, size_t ikm_len, const uint8_t *info, size_t info_len,
                  uint8_t *okm, size_t okm_len)
{
    (void)ctx;
    mbedtls_md_type_t t = alg == DFU_HASH_SHA256   ? MBEDTLS_MD_SHA256
                          : alg == DFU_HASH_SHA512 ? MBEDTLS_MD_SHA512
                                                   : MBEDTLS_MD_NONE;
    const mbedtls_md_info_t *md = mbedtls_md_info_from_type(t);
    if (md == NULL) {
        return DFU_ERR_NOTSUP;
    }
    if (ikm == NULL || okm == NULL) {
        return DFU_ERR_INVAL;
    }
    return mbedtls_hkdf(md, salt, salt_len, ikm, ikm_len, info, info_len, okm, okm_len) == 0
               ? 0
               : DFU_ERR_CRYPTO;
}
#else
int dfu_mbed_hkdf(void *ctx, dfu_hash_alg_t alg, const uint8_t *salt, size_t salt_len,
                  const uint8_t *ikm, size_t ikm_len, const uint8_t *info, size_t info_len,
                  uint8_t *okm, size_t okm_len)
{
    (void)ctx, (void)alg, (void)salt, (void)salt_len, (void)ikm, (void)ikm_len, (void)info;
    (void)info_len, (void)okm, (void)okm_len;
    return DFU_ERR_NOTSUP;
}
#endif

#if defined(MBEDTLS_ECDH_C)
int dfu_mbed_ecdh_p256(void *ctx, const uint8_t priv[32], const uint8_t pub[65], uint8_t shared[32])
{
    (void)ctx;
    if (priv == NULL || pub == NULL || shared == NULL) {
        return DFU_ERR_INVAL;
    }
    mbedtls_ecp_group grp;
    mbedtls_ecp_point q;
    mbedtls_mpi d, z;
    mbedtls_ecp_group_init(&grp);
    mbedtls_ecp_point_init(&q);
    mbedtls_mpi_init(&d);
    mbedtls_mpi_init(&z);
    int rc = DFU_ERR_INVAL;
    if (mbedtls_ecp_group_load(&grp, MBEDTLS_ECP_DP_SECP256R1) != 0 ||
        mbedtls_mpi_read_binary(&d, priv, 32) != 0 || mbedtls_ecp_check_privkey(&grp, &d) != 0 ||
        mbedtls_ecp_point_read_binary(&grp, &q, pub, 65) != 0 ||
        mbedtls_ecp_check_pubkey(&grp, &q) != 0) {
        goto out;
    }
    /* f_rng NULL: mbedTLS 2.28 then blinds with its internal DRBG seeded from the secret. */
    rc = DFU_ERR_CRYPTO;
    if (mbedtls_ecdh_compute_shared(&grp, &z, &q, &d, NULL, NULL) == 0 &&
        mbedtls_mpi_write_binary(&z, shared, 32) == 0) {
        rc = 0;
    }
out:
    mbedtls_ecp_group_free(&grp);
    mbedtls_ecp_point_free(&q);
    mbedtls_mpi_free(&d);
    mbedtls_mpi_free(&z);
    return rc;
}
#else
int dfu_mbed_ecdh_p256(void *ctx, const uint8_t priv[32], const uint8_t pub[65], uint8_t shared[32])
{
    (void)ctx, (void)priv, (void)pub, (void)shared;
    return DFU_ERR_NOTSUP;
}
#endif
