/* Internals shared by the imgtool source files (not part of the library API). */
#ifndef DFU_IMGTOOL_PRIV_H
#define DFU_IMGTOOL_PRIV_H

#include <openssl/evp.h>

#include "dfu_imgtool.h"

struct dfu_imgtool_key {
    EVP_PKEY *pk;
    dfu_imgtool_key_type_t type;
    bool priv; /* false: public key only */
};

/* MCUboot image format constants (see ../shared/docs/mcuboot-format.md). */
#define IMGTOOL_IMAGE_MAGIC 0x96f3b83du
#define IMGTOOL_HDR_SIZE 32u
#define IMGTOOL_TLV_INFO_MAGIC 0x6907u
#define IMGTOOL_TLV_PROT_INFO_MAGIC 0x6908u

#define IMGTOOL_F_ENCRYPTED_AES128 0x00000004u
#define IMGTOOL_F_ENCRYPTED_AES256 0x00000008u
#define IMGTOOL_F_NON_BOOTABLE 0x00000010u
#define IMGTOOL_F_RAM_LOAD 0x00000020u
#define IMGTOOL_F_ROM_FIXED 0x00000100u
#define IMGTOOL_F_COMPRESSED_LZMA2 0x00000400u
#define IMGTOOL_F_COMPRESSED_ARM_THUMB 0x00000800u

#define IMGTOOL_TLV_KEYHASH 0x01u
#define IMGTOOL_TLV_PUBKEY 0x02u
#define IMGTOOL_TLV_SHA256 0x10u
#define IMGTOOL_TLV_SHA384 0x11u
#define IMGTOOL_TLV_SHA512 0x12u
#define IMGTOOL_TLV_RSA2048_PSS 0x20u
#define IMGTOOL_TLV_ECDSA_SIG 0x22u
#define IMGTOOL_TLV_RSA3072_PSS 0x23u
#define IMGTOOL_TLV_ED25519 0x24u
#define IMGTOOL_TLV_SIG_PURE 0x25u
#define IMGTOOL_TLV_ENC_RSA2048 0x30u
#define IMGTOOL_TLV_ENC_EC256 0x32u
#define IMGTOOL_TLV_ENC_X25519 0x33u
#define IMGTOOL_TLV_ENC_X25519_SHA512 0x34u
#define IMGTOOL_TLV_DEPENDENCY 0x40u
#define IMGTOOL_TLV_SEC_CNT 0x50u
#define IMGTOOL_TLV_BOOT_RECORD 0x60u
#define IMGTOOL_TLV_DECOMP_SIZE 0x70u
#define IMGTOOL_TLV_DECOMP_SHA 0x71u
#define IMGTOOL_TLV_DECOMP_SIGNATURE 0x72u
#define IMGTOOL_TLV_UUID_VID 0x74u
#define IMGTOOL_TLV_UUID_CID 0x75u

/* Hash helpers: bits is 256, 384 or 512. Returns digest length or a negative code. */
int imgtool_hash(unsigned bits, const uint8_t *data, size_t n, uint8_t *out);
unsigned imgtool_hash_tlv(unsigned bits);     /* SHA256/384/512 TLV type */
unsigned imgtool_hash_bits(unsigned tlv);     /* inverse; 0 if `tlv` is not a hash TLV */
const char *imgtool_hash_name(unsigned bits); /* "SHA256", ... */

/* Signature TLV type a key produces. */
unsigned imgtool_key_sig_tlv(const dfu_imgtool_key_t *key);
/* Hash sizes allowed with a key (imgtool rules): returns true if `bits` is acceptable. */
bool imgtool_key_allows_hash(const dfu_imgtool_key_t *key, unsigned bits, bool pure);
/* Default hash for a key: 384 for P-384, 512 for pure Ed25519, else 256. */
unsigned imgtool_key_default_hash(const dfu_imgtool_key_t *key, bool pure);

/* Signs: ECDSA/RSA sign `digest` (produced with `bits`); Ed25519 signs `msg`. */
int imgtool_key_sign(const dfu_imgtool_key_t *key, unsigned bits, const uint8_t *digest,
                     size_t dlen, const uint8_t *msg, size_t mlen, bool pad_sig,
                     dfu_imgtool_buf_t *sig, dfu_imgtool_diag_t *diag);
/* Returns 1 if the signature verifies, 0 if not, negative on error. */
int imgtool_key_verify(const dfu_imgtool_key_t *key, unsigned bits, const uint8_t *digest,
                       size_t dlen, const uint8_t *msg, size_t mlen, const uint8_t *sig,
                       size_t slen);

/* Wraps a fresh AES key for `enc` (RSA-OAEP, ECIES-P256 or ECIES-X25519). Appends the TLV
 * value to `tlv` and sets *tlv_type. `hmac_bits` is 256 or 512 (X25519 only). */
int imgtool_enc_wrap(const dfu_imgtool_key_t *enc, const uint8_t *aes_key, size_t keylen,
                     unsigned hmac_bits, dfu_imgtool_buf_t *tlv, unsigned *tlv_type,
                     dfu_imgtool_diag_t *diag);
/* AES-CTR (counter block 0) in place. */
int imgtool_aes_ctr(const uint8_t *key, size_t keylen, uint8_t *data, size_t n,
                    dfu_imgtool_diag_t *diag);
int imgtool_random(uint8_t *out, size_t n);
/* Raw LZMA2 stream as imgtool makes it (preset 9, dict 128 KiB, lc 3, lp 1, pb 2; optional
 * ARM-Thumb BCJ filter first), prefixed with the 2-byte properties header MCUboot expects. */
int imgtool_lzma2_compress(const uint8_t *in, size_t n, bool arm_thumb, dfu_imgtool_buf_t *out,
                           dfu_imgtool_diag_t *diag);
/* RFC 4122 version-5 UUID of `name` in namespace `ns` (16 bytes). */
int imgtool_uuid5(const uint8_t ns[16], const char *name, uint8_t out[16]);

/* Little-endian helpers. */
static inline void imgtool_put_le16(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
}
static inline void imgtool_put_le32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
    p[2] = (uint8_t)(v >> 16);
    p[3] = (uint8_t)(v >> 24);
}
static inline uint32_t imgtool_le16(const uint8_t *p)
{
    return (uint32_t)p[0] | ((uint32_t)p[1] << 8);
}
static inline uint32_t imgtool_le32(const uint8_t *p)
{
    return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) | ((uint32_t)p[3] << 24);
}

#endif
