/* The default crypto port: mbedTLS 2.28 for SHA-2, ECDSA, RSA, AES, HKDF, ECDH P-256;
 * libsodium for Ed25519, X25519 and HMAC (libsodium's HMAC needs no allocator). */
#include "crypto_backend.h"

static const dfu_crypto_port_t default_port = {
    .ctx = NULL,
    .hash_init = dfu_mbed_hash_init,
    .hash_update = dfu_mbed_hash_update,
    .hash_finish = dfu_mbed_hash_finish,
    .ecdsa_verify = dfu_mbed_ecdsa_verify,
    .rsa_pss_verify = dfu_mbed_rsa_pss_verify,
    .ed25519_verify = dfu_sodium_ed25519_verify,
    .aes_ctr = dfu_mbed_aes_ctr,
    .hmac = dfu_sodium_hmac,
    .hkdf = dfu_mbed_hkdf,
    .ecdh_p256 = dfu_mbed_ecdh_p256,
    .x25519 = dfu_sodium_x25519,
    .rsa_oaep_decrypt = dfu_mbed_rsa_oaep_decrypt,
};

const dfu_crypto_port_t *dfu_crypto_default(void)
{
    return &default_port;
}

size_t dfu_hash_len(dfu_hash_alg_t alg)
{
    switch (alg) {
    case DFU_HASH_SHA256:
        return 32;
    case DFU_HASH_SHA384:
        return 48;
    case DFU_HASH_SHA512:
        return 64;
    default:
        return 0;
    }
}
