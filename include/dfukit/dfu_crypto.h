/*
 * Crypto port: every cryptographic primitive dfukit needs, behind one const struct of function
 * pointers + ctx (the platform picks the backend: mbedTLS/libsodium by default, a hardware
 * accelerator on a real device). dfukit never implements primitives itself.
 *
 * Conventions for every function pointer below:
 *   - `ctx` is the port's `ctx` field, passed through unchanged.
 *   - Returns 0 on success or a negative dfu_err: DFU_ERR_BAD_SIGNATURE when a signature does not
 *     verify, DFU_ERR_INVAL for malformed keys/arguments, DFU_ERR_NOTSUP when the backend lacks the
 *     algorithm, DFU_ERR_DECRYPT when a decryption fails, DFU_ERR_CRYPTO for other backend errors.
 *   - All buffers are caller-owned; nothing is retained after the call returns.
 *   - A NULL function pointer means "not supported by this port"; dfukit then reports
 *     DFU_ERR_NOTSUP for images that need it.
 */
#ifndef DFUKIT_DFU_CRYPTO_H
#define DFUKIT_DFU_CRYPTO_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Hash algorithms (values are dfukit's own, not TLV types). */
typedef enum dfu_hash_alg {
    DFU_HASH_NONE = 0,
    DFU_HASH_SHA256 = 1,
    DFU_HASH_SHA384 = 2,
    DFU_HASH_SHA512 = 3,
} dfu_hash_alg_t;

#define DFU_HASH_MAX_LEN 64 /* longest digest (SHA-512) */

/* Fixed-size, caller-allocated storage for one streaming hash (or HMAC) computation. A backend
 * keeps its own context inside `u` (it must fit: backends check this with _Static_assert). */
#define DFU_CRYPTO_HASH_CTX_SIZE 256
typedef struct dfu_hash_ctx {
    union {
        uint64_t align;
        uint8_t bytes[DFU_CRYPTO_HASH_CTX_SIZE];
    } u;
    dfu_hash_alg_t alg;
} dfu_hash_ctx_t;

/* Elliptic curves for ECDSA. */
typedef enum dfu_ec_curve {
    DFU_EC_P256 = 1,
    DFU_EC_P384 = 2,
} dfu_ec_curve_t;

typedef struct dfu_crypto_port {
    void *ctx;

    /* ---- Hashes (SHA-256/384/512), streaming ---------------------------------------------
     * hash_init: prepares `h` for `alg`. hash_update: absorbs `len` bytes (len may be 0).
     * hash_finish: writes dfu_hash_len(alg) bytes to `out` and ends the computation. */
    int (*hash_init)(void *ctx, dfu_hash_ctx_t *h, dfu_hash_alg_t alg);
    int (*hash_update)(void *ctx, dfu_hash_ctx_t *h, const void *data, size_t len);
    int (*hash_finish)(void *ctx, dfu_hash_ctx_t *h, uint8_t *out);

    /* ---- Signature verification ----------------------------------------------------------
     * ecdsa_verify: `key` is a DER SubjectPublicKeyInfo (91 bytes for P-256, 120 for P-384, as
     * MCUboot embeds it); `sig` is the ASN.1 DER SEQUENCE{r,s} with no trailing bytes; `digest`
     * is the message digest (32 or 48 bytes). */
    int (*ecdsa_verify)(void *ctx, dfu_ec_curve_t curve, const uint8_t *key, size_t key_len,
                        const uint8_t *digest, size_t digest_len, const uint8_t *sig,
                        size_t sig_len);
    /* rsa_pss_verify: RSASSA-PSS with SHA-256, MGF1-SHA-256, salt length exactly 32. `key` is a
     * PKCS#1 RSAPublicKey DER (2048 or 3072 bit); `digest` is 32 bytes; `sig_len` must equal the
     * modulus length (256 or 384). */
    int (*rsa_pss_verify)(void *ctx, const uint8_t *key, size_t key_len, const uint8_t *digest,
                          size_t digest_len, const uint8_t *sig, size_t sig_len);
    /* ed25519_verify: plain Ed25519 (RFC 8032) over `msg`; `pub` is the raw 32-byte key, `sig`
     * 64 bytes. */
    int (*ed25519_verify)(void *ctx, const uint8_t pub[32], const uint8_t *msg, size_t msg_len,
                          const uint8_t sig[64]);

    /* ---- Symmetric ------------------------------------------------------------------------
     * aes_ctr: AES-CTR with a 16- or 32-byte key. `counter` is the 128-bit big-endian counter
     * block of the first keystream block used; `skip` (0..15) is the number of keystream bytes of
     * that block already consumed. Encrypts/decrypts `len` bytes from `in` to `out` (may alias). */
    int (*aes_ctr)(void *ctx, const uint8_t *key, size_t key_len, const uint8_t counter[16],
                   size_t skip, const uint8_t *in, uint8_t *out, size_t len);
    /* hmac: one-shot HMAC-SHA256 or HMAC-SHA512 (`alg`); writes dfu_hash_len(alg) bytes. */
    int (*hmac)(void *ctx, dfu_hash_alg_t alg, const uint8_t *key, size_t key_len,
                const uint8_t *data, size_t len, uint8_t *out);
    /* hkdf: RFC 5869 extract-and-expand with HMAC-`alg` (SHA256 or SHA512); `okm_len` bytes. */
    int (*hkdf)(void *ctx, dfu_hash_alg_t alg, const uint8_t *salt, size_t salt_len,
                const uint8_t *ikm, size_t ikm_len, const uint8_t *info, size_t info_len,
                uint8_t *okm, size_t okm_len);

    /* ---- Key agreement / key transport ---------------------------------------------------
     * ecdh_p256: `priv` is the 32-byte big-endian scalar, `pub` the 65-byte uncompressed point
     * (04||X||Y); writes the 32-byte X coordinate of the shared point. DFU_ERR_INVAL if the
     * point is not on the curve. */
    int (*ecdh_p256)(void *ctx, const uint8_t priv[32], const uint8_t pub[65], uint8_t shared[32]);
    /* x25519: RFC 7748 X25519(priv, pub); DFU_ERR_INVAL if the result is all zero. */
    int (*x25519)(void *ctx, const uint8_t priv[32], const uint8_t pub[32], uint8_t shared[32]);
    /* rsa_oaep_decrypt: RSAES-OAEP, SHA-256 + MGF1-SHA-256, empty label. `key` is the private key
     * as PKCS#8 or PKCS#1 RSAPrivateKey DER. Writes at most `out_cap` bytes, length in *out_len.
     * DFU_ERR_DECRYPT if the ciphertext does not decrypt. */
    int (*rsa_oaep_decrypt)(void *ctx, const uint8_t *key, size_t key_len, const uint8_t *in,
                            size_t in_len, uint8_t *out, size_t out_cap, size_t *out_len);
} dfu_crypto_port_t;

/* Digest length in bytes of `alg` (32/48/64), 0 for DFU_HASH_NONE or unknown values. */
size_t dfu_hash_len(dfu_hash_alg_t alg);

/* The default backend: mbedTLS 2.28 (SHA-2, ECDSA, RSA, AES, HMAC/HKDF, ECDH P-256) and
 * libsodium (Ed25519, X25519). Always returns the same static const port (ctx NULL). Note: the
 * mbedTLS paths (ECDSA/RSA key parsing, HKDF, bignum) use mbedTLS's own allocator internally;
 * on a device configure MBEDTLS_PLATFORM_MEMORY with a static buffer. */
const dfu_crypto_port_t *dfu_crypto_default(void);

#ifdef __cplusplus
}
#endif
#endif
