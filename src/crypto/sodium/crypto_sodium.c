/* libsodium part of the default backend: Ed25519 verify, X25519, HMAC-SHA256/512. */
#include <sodium/crypto_auth_hmacsha256.h>
#include <sodium/crypto_auth_hmacsha512.h>
#include <sodium/crypto_scalarmult_curve25519.h>
#include <sodium/crypto_sign_ed25519.h>

#include "crypto_backend.h"
#include "dfukit/dfu_err.h"

int dfu_sodium_ed25519_verify(void *ctx, const uint8_t pub[32], const uint8_t *msg, size_t msg_len,
                              const uint8_t sig[64])
{
    (void)ctx;
    if (pub == NULL || sig == NULL || (msg == NULL && msg_len != 0)) {
        return DFU_ERR_INVAL;
    }
    if (crypto_sign_ed25519_verify_detached(sig, msg, msg_len, pub) != 0) {
        return DFU_ERR_BAD_SIGNATURE;
    }
    return 0;
}

int dfu_sodium_x25519(void *ctx, const uint8_t priv[32], const uint8_t pub[32], uint8_t shared[32])
{
    (void)ctx;
    if (priv == NULL || pub == NULL || shared == NULL) {
        return DFU_ERR_INVAL;
    }
    /* libsodium returns -1 for an all-zero (low-order point) result. */
    return crypto_scalarmult_curve25519(shared, priv, pub) == 0 ? 0 : DFU_ERR_INVAL;
}

int dfu_sodium_hmac(void *ctx, dfu_hash_alg_t alg, const uint8_t *key, size_t key_len,
                    const uint8_t *data, size_t len, uint8_t *out)
{
    (void)ctx;
    if (key == NULL || out == NULL || (data == NULL && len != 0)) {
        return DFU_ERR_INVAL;
    }
    if (alg == DFU_HASH_SHA256) {
        crypto_auth_hmacsha256_state st;
        crypto_auth_hmacsha256_init(&st, key, key_len);
        crypto_auth_hmacsha256_update(&st, data, len);
        crypto_auth_hmacsha256_final(&st, out);
        return 0;
    }
    if (alg == DFU_HASH_SHA512) {
        crypto_auth_hmacsha512_state st;
        crypto_auth_hmacsha512_init(&st, key, key_len);
        crypto_auth_hmacsha512_update(&st, data, len);
        crypto_auth_hmacsha512_final(&st, out);
        return 0;
    }
    return DFU_ERR_NOTSUP;
}
