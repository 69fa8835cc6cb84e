/* Default backend entry points (mbedtls/ and sodium/), collected into the port by
 * crypto_default.c. Contracts: see the matching fields of dfu_crypto_port_t. */
#ifndef DFU_CRYPTO_BACKEND_H
#define DFU_CRYPTO_BACKEND_H

#include "dfukit/dfu_crypto.h"

int dfu_mbed_hash_init(void *ctx, dfu_hash_ctx_t *h, dfu_hash_alg_t alg);
int dfu_mbed_hash_update(void *ctx, dfu_hash_ctx_t *h, const void *data, size_t len);
int dfu_mbed_hash_finish(void *ctx, dfu_hash_ctx_t *h, uint8_t *out);
int dfu_mbed_ecdsa_verify(void *ctx, dfu_ec_curve_t curve, const uint8_t *key, size_t key_len,
                          const uint8_t *digest, size_t digest_len, const uint8_t *sig,
                          size_t sig_len);
int dfu_mbed_rsa_pss_verify(void *ctx, const uint8_t *key, size_t key_len, const uint8_t *digest,
                            size_t digest_len, const uint8_t *sig, size_t sig_len);
int dfu_mbed_aes_ctr(void *ctx, const uint8_t *key, size_t key_len, const uint8_t counter[16],
                     size_t skip, const uint8_t *in, uint8_t *out, size_t len);
int dfu_mbed_hkdf(void *ctx, dfu_hash_alg_t alg, const uint8_t *salt, size_t salt_len,
                  const uint8_t *ikm, size_t ikm_len, const uint8_t *info, size_t info_len,
                  uint8_t *okm, size_t okm_len);
int dfu_mbed_ecdh_p256(void *ctx, const uint8_t priv[32], const uint8_t pub[65],
                       uint8_t shared[32]);
int dfu_mbed_rsa_oaep_decrypt(void *ctx, const uint8_t *key, size_t key_len, const uint8_t *in,
                              size_t in_len, uint8_t *out, size_t out_cap, size_t *out_len);

int dfu_sodium_ed25519_verify(void *ctx, const uint8_t pub[32], const uint8_t *msg, size_t msg_len,
                              const uint8_t sig[64]);
int dfu_sodium_x25519(void *ctx, const uint8_t priv[32], const uint8_t pub[32], uint8_t shared[32]);
int dfu_sodium_hmac(void *ctx, dfu_hash_alg_t alg, const uint8_t *key, size_t key_len,
                    const uint8_t *data, size_t len, uint8_t *out);

#endif
