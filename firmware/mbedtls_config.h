/*
 * mbedTLS 2.28 configuration of the firmware (scripts/firmware.sh, scripts/mbedtls_target.sh):
 * what a swap-using-move bootloader with ECDSA-P256 + SHA-256 images and the SMP application
 * (SHA-256 for the upload `match`) need. Upstream's default feature set, minus everything that
 * needs an OS (threads, files, sockets, time, platform entropy), minus modules neither image
 * uses (SHA-512, RSA, ECDH, other curves: dfukit's backend then answers DFU_ERR_NOTSUP for
 * them), with size options for a small bootloader, and mbedTLS's allocator pointed at its
 * static buffer allocator so nothing links libc's heap. The link uses --gc-sections.
 */
#ifndef DFU_FW_MBEDTLS_CONFIG_H
#define DFU_FW_MBEDTLS_CONFIG_H

/* Upstream defaults (the source package's include/mbedtls/config.h) minus the OS-dependent parts,
 * as dfukit's backend uses them on any Cortex-M target (src/crypto/mbedtls). */
#include "mbedtls/dfu_mbedtls_target.h"

#undef MBEDTLS_ENTROPY_C
#undef MBEDTLS_HAVEGE_C
#undef MBEDTLS_PSA_CRYPTO_C
#undef MBEDTLS_PSA_CRYPTO_STORAGE_C
#undef MBEDTLS_PSA_ITS_FILE_C
#undef MBEDTLS_SSL_TLS_C
#undef MBEDTLS_SSL_CLI_C
#undef MBEDTLS_SSL_SRV_C
#undef MBEDTLS_SSL_COOKIE_C
#undef MBEDTLS_SSL_TICKET_C
#undef MBEDTLS_SSL_CACHE_C
#undef MBEDTLS_SSL_PROTO_TLS1
#undef MBEDTLS_SSL_PROTO_TLS1_1
#undef MBEDTLS_SSL_DTLS_ANTI_REPLAY
#undef MBEDTLS_SSL_DTLS_BADMAC_LIMIT
#undef MBEDTLS_SSL_SERVER_NAME_INDICATION
#undef MBEDTLS_CERTS_C
#undef MBEDTLS_SSL_CBC_RECORD_SPLITTING
#undef MBEDTLS_X509_CRT_PARSE_C
#undef MBEDTLS_X509_CRL_PARSE_C
#undef MBEDTLS_X509_CSR_PARSE_C
#undef MBEDTLS_X509_CREATE_C
#undef MBEDTLS_X509_CRT_WRITE_C
#undef MBEDTLS_X509_CSR_WRITE_C
#undef MBEDTLS_X509_USE_C
#undef MBEDTLS_PKCS12_C
#undef MBEDTLS_PKCS5_C
#undef MBEDTLS_PEM_PARSE_C
#undef MBEDTLS_PEM_WRITE_C
#undef MBEDTLS_SELF_TEST
#undef MBEDTLS_DEBUG_C
#undef MBEDTLS_VERSION_FEATURES
#undef MBEDTLS_ERROR_C
#undef MBEDTLS_GENPRIME
#undef MBEDTLS_PLATFORM_PRINTF_ALT
/* A P-256 bootloader: one curve, no RSA (the backend's RSA entry points are not linked). */
#undef MBEDTLS_ECP_DP_SECP192R1_ENABLED
#undef MBEDTLS_ECP_DP_SECP224R1_ENABLED
#undef MBEDTLS_ECP_DP_SECP384R1_ENABLED
#undef MBEDTLS_ECP_DP_SECP521R1_ENABLED
#undef MBEDTLS_ECP_DP_SECP192K1_ENABLED
#undef MBEDTLS_ECP_DP_SECP224K1_ENABLED
#undef MBEDTLS_ECP_DP_SECP256K1_ENABLED
#undef MBEDTLS_ECP_DP_BP256R1_ENABLED
#undef MBEDTLS_ECP_DP_BP384R1_ENABLED
#undef MBEDTLS_ECP_DP_BP512R1_ENABLED
#undef MBEDTLS_ECP_DP_CURVE25519_ENABLED
#undef MBEDTLS_ECP_DP_CURVE448_ENABLED
#undef MBEDTLS_RSA_C
#undef MBEDTLS_PKCS1_V15
#undef MBEDTLS_PKCS1_V21
#undef MBEDTLS_X509_RSASSA_PSS_SUPPORT
#undef MBEDTLS_KEY_EXCHANGE_RSA_ENABLED
#undef MBEDTLS_KEY_EXCHANGE_DHE_RSA_ENABLED
#undef MBEDTLS_KEY_EXCHANGE_ECDHE_RSA_ENABLED
#undef MBEDTLS_KEY_EXCHANGE_ECDH_RSA_ENABLED
#undef MBEDTLS_KEY_EXCHANGE_RSA_PSK_ENABLED
#undef MBEDTLS_KEY_EXCHANGE_ECDHE_ECDSA_ENABLED
#undef MBEDTLS_KEY_EXCHANGE_ECDH_ECDSA_ENABLED
#undef MBEDTLS_KEY_EXCHANGE_ECDHE_PSK_ENABLED
#undef MBEDTLS_KEY_EXCHANGE_DHE_PSK_ENABLED
#undef MBEDTLS_KEY_EXCHANGE_ECJPAKE_ENABLED
#undef MBEDTLS_ECJPAKE_C
/* Digests a bootloader never uses (the md/pk tables would otherwise link them all). */
#undef MBEDTLS_MD5_C
#undef MBEDTLS_SHA1_C
#undef MBEDTLS_RIPEMD160_C
#undef MBEDTLS_ECDSA_DETERMINISTIC
#undef MBEDTLS_PK_WRITE_C
/* Neither image hashes with SHA-384/512 nor unwraps AES keys (no encrypted images). */
#undef MBEDTLS_SHA512_C
#undef MBEDTLS_ECDH_C
#undef MBEDTLS_HKDF_C
#undef MBEDTLS_PK_PARSE_EC_EXTENDED
/* Size: the compact SHA-256 loop; verification handles public data only, so scalar
 * multiplication needs no blinding RNG (the internal HMAC-DRBG is not linked). */
#define MBEDTLS_SHA256_SMALLER
#define MBEDTLS_ECP_NO_INTERNAL_RNG
/* Bignum division without the 64-by-32 libgcc helper (__udivmoddi4, 700 bytes). */
#define MBEDTLS_NO_UDBL_DIVISION
#define MBEDTLS_NO_PLATFORM_ENTROPY
#define MBEDTLS_PLATFORM_MEMORY
#define MBEDTLS_MEMORY_BUFFER_ALLOC_C
/* Until mbedtls_memory_buffer_alloc_init() runs, allocation fails instead of calling libc. */
#define MBEDTLS_PLATFORM_STD_CALLOC fw_mbedtls_no_calloc
#define MBEDTLS_PLATFORM_STD_FREE fw_mbedtls_no_free
#include <stddef.h>
void *fw_mbedtls_no_calloc(size_t n, size_t size);
void fw_mbedtls_no_free(void *p);

/* config.h already ran the consistency checks on the upstream defaults; run them again on
 * this configuration. */
#undef MBEDTLS_CHECK_CONFIG_H
#include "mbedtls/check_config.h"
#endif
