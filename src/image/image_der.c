/* Minimal DER walking for key blobs (public keys, PKCS#8 private keys). Lengths are bounded by
 * the caller's buffer end before any byte is read; no recursion. */
#include <string.h>

#include "dfukit/dfu_err.h"
#include "image_priv.h"

/* Decodes tag + length at p[0..avail); returns header size and stores the value length, or 0. */
static size_t der_header(const uint8_t *p, size_t avail, size_t *vlen)
{
    if (avail < 2) {
        return 0;
    }
    uint8_t l0 = p[1];
    if (l0 < 0x80u) {
        *vlen = l0;
        return 2;
    }
    if (l0 == 0x81u && avail >= 3) {
        *vlen = p[2];
        return 3;
    }
    if (l0 == 0x82u && avail >= 4) {
        *vlen = ((size_t)p[2] << 8) | p[3];
        return 4;
    }
    return 0;
}

size_t dfu_der_elem_len(const uint8_t *p, size_t avail)
{
    size_t vlen = 0;
    size_t h = der_header(p, avail, &vlen);
    if (h == 0 || vlen > avail - h) {
        return 0;
    }
    return h + vlen;
}

int dfu_der_get(const uint8_t **p, const uint8_t *end, uint8_t tag, const uint8_t **val,
                size_t *len)
{
    if (*p >= end || **p != tag) {
        return DFU_ERR_INVAL;
    }
    size_t avail = (size_t)(end - *p);
    size_t vlen = 0;
    size_t h = der_header(*p, avail, &vlen);
    if (h == 0 || vlen > avail - h) {
        return DFU_ERR_INVAL;
    }
    *val = *p + h;
    *len = vlen;
    *p += h + vlen;
    return 0;
}

/* ---- Public key classification ------------------------------------------------------------ */

static const uint8_t oid_ec_pubkey[] = {0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01};
static const uint8_t oid_p256[] = {0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07};
static const uint8_t oid_p384[] = {0x2b, 0x81, 0x04, 0x00, 0x22};
static const uint8_t oid_ed25519[] = {0x2b, 0x65, 0x70};

static int oid_is(const uint8_t *v, size_t len, const uint8_t *oid, size_t oid_len)
{
    return len == oid_len && memcmp(v, oid, len) == 0;
}

/* SubjectPublicKeyInfo ::= SEQUENCE { SEQUENCE { OID alg, [params] }, BIT STRING key } */
static dfu_key_kind_t classify_spki(const uint8_t *der, size_t len, const uint8_t **raw)
{
    const uint8_t *p = der, *end = der + len, *seq, *alg, *oid, *bits;
    size_t seq_len, alg_len, oid_len, bits_len;
    if (dfu_der_get(&p, end, DFU_DER_SEQUENCE, &seq, &seq_len) != 0 || p != end) {
        return DFU_KEY_UNKNOWN;
    }
    p = seq;
    end = seq + seq_len;
    if (dfu_der_get(&p, end, DFU_DER_SEQUENCE, &alg, &alg_len) != 0 ||
        dfu_der_get(&p, end, DFU_DER_BIT_STRING, &bits, &bits_len) != 0 || p != end) {
        return DFU_KEY_UNKNOWN;
    }
    const uint8_t *q = alg, *qend = alg + alg_len;
    if (dfu_der_get(&q, qend, DFU_DER_OID, &oid, &oid_len) != 0) {
        return DFU_KEY_UNKNOWN;
    }
    if (oid_is(oid, oid_len, oid_ed25519, sizeof(oid_ed25519))) {
        if (q != qend || bits_len != 33 || bits[0] != 0) {
            return DFU_KEY_UNKNOWN;
        }
        if (raw) {
            *raw = bits + 1;
        }
        return DFU_KEY_ED25519;
    }
    if (!oid_is(oid, oid_len, oid_ec_pubkey, sizeof(oid_ec_pubkey)) ||
        dfu_der_get(&q, qend, DFU_DER_OID, &oid, &oid_len) != 0 || q != qend) {
        return DFU_KEY_UNKNOWN;
    }
    if (oid_is(oid, oid_len, oid_p256, sizeof(oid_p256)) && bits_len == 66) {
        return DFU_KEY_EC_P256;
    }
    if (oid_is(oid, oid_len, oid_p384, sizeof(oid_p384)) && bits_len == 98) {
        return DFU_KEY_EC_P384;
    }
    return DFU_KEY_UNKNOWN;
}

/* RSAPublicKey ::= SEQUENCE { INTEGER n, INTEGER e } */
static int is_rsa_pkcs1(const uint8_t *der, size_t len)
{
    const uint8_t *p = der, *end = der + len, *seq, *v;
    size_t seq_len, vl;
    if (dfu_der_get(&p, end, DFU_DER_SEQUENCE, &seq, &seq_len) != 0 || p != end) {
        return 0;
    }
    p = seq;
    end = seq + seq_len;
    return dfu_der_get(&p, end, DFU_DER_INTEGER, &v, &vl) == 0 &&
           dfu_der_get(&p, end, DFU_DER_INTEGER, &v, &vl) == 0 && p == end;
}

dfu_key_kind_t dfu_key_classify(const uint8_t *der, size_t len, const uint8_t **raw)
{
    if (der == NULL || len == 0) {
        return DFU_KEY_UNKNOWN;
    }
    dfu_key_kind_t k = classify_spki(der, len, raw);
    if (k != DFU_KEY_UNKNOWN) {
        return k;
    }
    return is_rsa_pkcs1(der, len) ? DFU_KEY_RSA : DFU_KEY_UNKNOWN;
}

/* ---- Small helpers ------------------------------------------------------------------------ */

int dfu_ct_memcmp(const uint8_t *a, const uint8_t *b, size_t len)
{
    uint8_t acc = 0;
    for (size_t i = 0; i < len; i++) {
        acc = (uint8_t)(acc | (a[i] ^ b[i]));
    }
    return acc;
}

void dfu_secure_zero(void *p, size_t len)
{
    volatile uint8_t *v = (volatile uint8_t *)p;
    while (len--) {
        *v++ = 0;
    }
}
