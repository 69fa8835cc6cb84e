/* Internals shared by the src/image files: byte loads, a tiny DER reader, key classification. */
#ifndef DFU_IMAGE_PRIV_H
#define DFU_IMAGE_PRIV_H

#include <stddef.h>
#include <stdint.h>

#include "dfukit/dfu_image.h"

static inline uint16_t dfu_ld_le16(const uint8_t *p)
{
    return (uint16_t)(p[0] | (p[1] << 8));
}

static inline uint32_t dfu_ld_le32(const uint8_t *p)
{
    return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) | ((uint32_t)p[3] << 24);
}

/* DER tags used here. */
#define DFU_DER_INTEGER 0x02u
#define DFU_DER_BIT_STRING 0x03u
#define DFU_DER_OCTET_STRING 0x04u
#define DFU_DER_OID 0x06u
#define DFU_DER_SEQUENCE 0x30u

/* Reads one DER element with tag `tag` at *p (< end): on success stores its value span in
 * val/len, advances p past the element and returns 0; DFU_ERR_INVAL otherwise (wrong tag,
 * indefinite or > 2-byte length, value past `end`). */
int dfu_der_get(const uint8_t **p, const uint8_t *end, uint8_t tag, const uint8_t **val,
                size_t *len);

/* Total encoded length of the DER element at p[0..avail) (tag + length + value), or 0 if the
 * bytes are not a well-formed element header whose value fits `avail`. */
size_t dfu_der_elem_len(const uint8_t *p, size_t avail);

/* Kind of a public key blob as MCUboot embeds it. */
typedef enum dfu_key_kind {
    DFU_KEY_UNKNOWN = 0,
    DFU_KEY_EC_P256,
    DFU_KEY_EC_P384,
    DFU_KEY_ED25519,
    DFU_KEY_RSA,
} dfu_key_kind_t;

/* Classifies `der` (SubjectPublicKeyInfo for EC/Ed25519, PKCS#1 RSAPublicKey for RSA). For
 * Ed25519 also returns a pointer to the raw 32-byte key in *raw (may be NULL). */
dfu_key_kind_t dfu_key_classify(const uint8_t *der, size_t len, const uint8_t **raw);

/* Constant-time comparison: 0 if equal. */
int dfu_ct_memcmp(const uint8_t *a, const uint8_t *b, size_t len);

/* Zeroes `len` bytes in a way the compiler keeps. */
void dfu_secure_zero(void *p, size_t len);

#endif
