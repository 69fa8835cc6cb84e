/* Encrypted images: AES key unwrap from the ENC TLVs (ECIES-X25519, ECIES-P256, RSA-OAEP) and
 * AES-CTR at an arbitrary image offset. Layouts: mcuboot-format.md section 6.4. All primitives
 * come from the crypto port; this file only parses and sequences. */
#include <string.h>

#include "dfukit/dfu_err.h"
#include "image_priv.h"

/* ---- Private keys (PKCS#8) ---------------------------------------------------------------- */

static const uint8_t oid_x25519[] = {0x2b, 0x65, 0x6e};
static const uint8_t oid_ec_pubkey[] = {0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01};
static const uint8_t oid_p256[] = {0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07};

/* PrivateKeyInfo ::= SEQUENCE { INTEGER version, SEQUENCE alg, OCTET STRING key, ... }.
 * Returns the AlgorithmIdentifier and the privateKey OCTET STRING contents. */
static int pkcs8_split(const uint8_t *der, size_t len, const uint8_t **alg, size_t *alg_len,
                       const uint8_t **key, size_t *key_len)
{
    const uint8_t *p = der, *end = der + len, *seq, *v;
    size_t seq_len, vl;
    if (dfu_der_get(&p, end, DFU_DER_SEQUENCE, &seq, &seq_len) != 0) {
        return DFU_ERR_INVAL;
    }
    p = seq;
    end = seq + seq_len;
    if (dfu_der_get(&p, end, DFU_DER_INTEGER, &v, &vl) != 0 ||
        dfu_der_get(&p, end, DFU_DER_SEQUENCE, alg, alg_len) != 0 ||
        dfu_der_get(&p, end, DFU_DER_OCTET_STRING, key, key_len) != 0) {
        return DFU_ERR_INVAL;
    }
    return 0;
}

static int alg_is(const uint8_t *alg, size_t alg_len, const uint8_t *oid, size_t oid_len,
                  const uint8_t *param, size_t param_len)
{
    const uint8_t *p = alg, *end = alg + alg_len, *v;
    size_t vl;
    if (dfu_der_get(&p, end, DFU_DER_OID, &v, &vl) != 0 || vl != oid_len ||
        memcmp(v, oid, vl) != 0) {
        return 0;
    }
    if (param == NULL) {
        return p == end;
    }
    return dfu_der_get(&p, end, DFU_DER_OID, &v, &vl) == 0 && vl == param_len &&
           memcmp(v, param, vl) == 0;
}

/* X25519 PKCS#8: privateKey = OCTET STRING (32 bytes). */
static int priv_x25519(const uint8_t *der, size_t len, const uint8_t **scalar)
{
    const uint8_t *alg, *key, *v;
    size_t alg_len, key_len, vl;
    if (pkcs8_split(der, len, &alg, &alg_len, &key, &key_len) != 0 ||
        !alg_is(alg, alg_len, oid_x25519, sizeof(oid_x25519), NULL, 0)) {
        return DFU_ERR_INVAL;
    }
    const uint8_t *p = key;
    if (dfu_der_get(&p, key + key_len, DFU_DER_OCTET_STRING, &v, &vl) != 0 || vl != 32) {
        return DFU_ERR_INVAL;
    }
    *scalar = v;
    return 0;
}

/* ECPrivateKey ::= SEQUENCE { INTEGER 1, OCTET STRING d, [0] params OPT, [1] pub OPT } */
static int ec_private_key(const uint8_t *der, size_t len, const uint8_t **scalar)
{
    const uint8_t *p = der, *end = der + len, *seq, *v;
    size_t seq_len, vl;
    if (dfu_der_get(&p, end, DFU_DER_SEQUENCE, &seq, &seq_len) != 0) {
        return DFU_ERR_INVAL;
    }
    p = seq;
    end = seq + seq_len;
    if (dfu_der_get(&p, end, DFU_DER_INTEGER, &v, &vl) != 0 || vl != 1 || v[0] != 1 ||
        dfu_der_get(&p, end, DFU_DER_OCTET_STRING, &v, &vl) != 0 || vl != 32) {
        return DFU_ERR_INVAL;
    }
    *scalar = v;
    return 0;
}

/* P-256 private key: PKCS#8 (id-ecPublicKey, secp256r1) or a bare RFC 5915 ECPrivateKey. */
static int priv_p256(const uint8_t *der, size_t len, const uint8_t **scalar)
{
    const uint8_t *alg, *key;
    size_t alg_len, key_len;
    if (pkcs8_split(der, len, &alg, &alg_len, &key, &key_len) == 0) {
        if (!alg_is(alg, alg_len, oid_ec_pubkey, sizeof(oid_ec_pubkey), oid_p256,
                    sizeof(oid_p256))) {
            return DFU_ERR_INVAL;
        }
        return ec_private_key(key, key_len, scalar);
    }
    return ec_private_key(der, len, scalar);
}

/* ---- ECIES unwrap ------------------------------------------------------------------------- */

static const uint8_t ecies_info[16] = {'M', 'C', 'U', 'B', 'o', 'o', 't', '_',
                                       'E', 'C', 'I', 'E', 'S', '_', 'v', '1'};

typedef struct ecies_work {
    uint8_t shared[32];
    uint8_t okm[32 + 64];
    uint8_t tag[64];
} ecies_work_t;

static int ecies_shared(const dfu_crypto_port_t *c, uint16_t type, const uint8_t *eph,
                        const uint8_t *priv, size_t priv_len, uint8_t shared[32])
{
    const uint8_t *scalar = NULL;
    if (type == DFU_IMAGE_TLV_ENC_EC256) {
        if (c->ecdh_p256 == NULL) {
            return DFU_ERR_NOTSUP;
        }
        if (priv_p256(priv, priv_len, &scalar) != 0) {
            return DFU_ERR_INVAL;
        }
        return c->ecdh_p256(c->ctx, scalar, eph, shared);
    }
    if (c->x25519 == NULL) {
        return DFU_ERR_NOTSUP;
    }
    if (priv_x25519(priv, priv_len, &scalar) != 0) {
        return DFU_ERR_INVAL;
    }
    return c->x25519(c->ctx, scalar, eph, shared);
}

static int ecies_unwrap(const dfu_crypto_port_t *c, uint16_t type, const uint8_t *tlv,
                        size_t tlv_len, const uint8_t *priv, size_t priv_len, size_t key_len,
                        dfu_image_enc_key_t *out)
{
    static const uint8_t zero_counter[16] = {0};
    static const uint8_t zero_salt[64] = {0};
    size_t eph_len = type == DFU_IMAGE_TLV_ENC_EC256 ? 65u : 32u;
    size_t mac_len = type == DFU_IMAGE_TLV_ENC_X25519_SHA512 ? 64u : 32u;
    dfu_hash_alg_t alg = mac_len == 64u ? DFU_HASH_SHA512 : DFU_HASH_SHA256;
    if (tlv_len != eph_len + mac_len + key_len) {
        return DFU_ERR_BAD_TLV;
    }
    if (c->hkdf == NULL || c->hmac == NULL || c->aes_ctr == NULL) {
        return DFU_ERR_NOTSUP;
    }
    const uint8_t *tag = tlv + eph_len, *cipherkey = tlv + eph_len + mac_len;
    ecies_work_t w;
    int rc = ecies_shared(c, type, tlv, priv, priv_len, w.shared);
    if (rc == 0) {
        rc = c->hkdf(c->ctx, alg, zero_salt, mac_len, w.shared, sizeof(w.shared), ecies_info,
                     sizeof(ecies_info), w.okm, key_len + mac_len);
    }
    if (rc == 0) {
        rc = c->hmac(c->ctx, alg, w.okm + key_len, mac_len, cipherkey, key_len, w.tag);
    }
    if (rc == 0 && dfu_ct_memcmp(w.tag, tag, mac_len) != 0) {
        rc = DFU_ERR_DECRYPT;
    }
    if (rc == 0) {
        rc = c->aes_ctr(c->ctx, w.okm, key_len, zero_counter, 0, cipherkey, out->key, key_len);
        out->len = (uint8_t)key_len;
    }
    dfu_secure_zero(&w, sizeof(w));
    return rc;
}

static int rsa_unwrap(const dfu_crypto_port_t *c, const uint8_t *tlv, size_t tlv_len,
                      const uint8_t *priv, size_t priv_len, size_t key_len,
                      dfu_image_enc_key_t *out)
{
    uint8_t plain[32];
    size_t plain_len = 0;
    if (tlv_len != 256) {
        return DFU_ERR_BAD_TLV;
    }
    if (c->rsa_oaep_decrypt == NULL) {
        return DFU_ERR_NOTSUP;
    }
    int rc =
        c->rsa_oaep_decrypt(c->ctx, priv, priv_len, tlv, tlv_len, plain, sizeof(plain), &plain_len);
    if (rc == 0 && plain_len != key_len) {
        rc = DFU_ERR_DECRYPT;
    }
    if (rc == 0) {
        memcpy(out->key, plain, key_len);
        out->len = (uint8_t)key_len;
    }
    dfu_secure_zero(plain, sizeof(plain));
    return rc;
}

int dfu_image_enc_unwrap_tlv(const dfu_crypto_port_t *c, uint16_t type, const uint8_t *tlv,
                             size_t tlv_len, const uint8_t *priv, size_t priv_len, size_t key_len,
                             dfu_image_enc_key_t *out)
{
    if (c == NULL || tlv == NULL || priv == NULL || out == NULL ||
        (key_len != 16 && key_len != 32)) {
        return DFU_ERR_INVAL;
    }
    memset(out, 0, sizeof(*out));
    switch (type) {
    case DFU_IMAGE_TLV_ENC_X25519:
    case DFU_IMAGE_TLV_ENC_X25519_SHA512:
    case DFU_IMAGE_TLV_ENC_EC256:
        return ecies_unwrap(c, type, tlv, tlv_len, priv, priv_len, key_len, out);
    case DFU_IMAGE_TLV_ENC_RSA2048:
        return rsa_unwrap(c, tlv, tlv_len, priv, priv_len, key_len, out);
    default:
        return DFU_ERR_NOTSUP;
    }
}

static int is_enc_tlv(uint16_t type)
{
    return type == DFU_IMAGE_TLV_ENC_RSA2048 || type == DFU_IMAGE_TLV_ENC_KW ||
           type == DFU_IMAGE_TLV_ENC_EC256 || type == DFU_IMAGE_TLV_ENC_X25519 ||
           type == DFU_IMAGE_TLV_ENC_X25519_SHA512;
}

int dfu_image_enc_unwrap(const dfu_crypto_port_t *c, const dfu_image_reader_t *rd,
                         const dfu_image_header_t *hdr, const uint8_t *priv, size_t priv_len,
                         dfu_image_enc_key_t *out)
{
    uint8_t buf[256];
    dfu_image_tlv_iter_t it;
    dfu_image_tlv_t tlv;
    if (c == NULL || rd == NULL || hdr == NULL || priv == NULL || out == NULL) {
        return DFU_ERR_INVAL;
    }
    size_t key_len = (hdr->flags & DFU_IMAGE_F_ENCRYPTED_AES256)   ? 32u
                     : (hdr->flags & DFU_IMAGE_F_ENCRYPTED_AES128) ? 16u
                                                                   : 0u;
    if (key_len == 0) {
        return DFU_ERR_INVAL;
    }
    int rc = dfu_image_tlv_begin(&it, rd, hdr, DFU_IMAGE_TLV_ANY, 0);
    while (rc >= 0 && (rc = dfu_image_tlv_next(&it, &tlv)) == 1) {
        if (!tlv.prot && is_enc_tlv(tlv.type)) {
            break;
        }
    }
    if (rc < 0) {
        return rc;
    }
    if (rc == 0) {
        return DFU_ERR_NOT_FOUND;
    }
    if (tlv.len > sizeof(buf)) {
        return DFU_ERR_BAD_TLV;
    }
    rc = dfu_image_tlv_read(rd, &tlv, buf, sizeof(buf));
    if (rc < 0) {
        return rc;
    }
    return dfu_image_enc_unwrap_tlv(c, tlv.type, buf, tlv.len, priv, priv_len, key_len, out);
}

/* ---- AES-CTR at an image offset ----------------------------------------------------------- */

int dfu_image_xcrypt(const dfu_crypto_port_t *c, const dfu_image_enc_key_t *key,
                     const dfu_image_header_t *hdr, uint32_t img_off, uint8_t *buf, size_t len)
{
    if (c == NULL || key == NULL || hdr == NULL || (buf == NULL && len != 0)) {
        return DFU_ERR_INVAL;
    }
    if (c->aes_ctr == NULL) {
        return DFU_ERR_NOTSUP;
    }
    if (key->len != 16 && key->len != 32) {
        return DFU_ERR_INVAL;
    }
    /* Intersect [img_off, img_off + len) with the payload [hdr_size, hdr_size + img_size). */
    uint64_t pay_start = hdr->hdr_size, pay_end = pay_start + hdr->img_size;
    uint64_t lo = img_off, hi = (uint64_t)img_off + len;
    if (lo < pay_start) {
        lo = pay_start;
    }
    if (hi > pay_end) {
        hi = pay_end;
    }
    if (lo >= hi) {
        return 0;
    }
    uint32_t o = (uint32_t)(lo - pay_start); /* payload offset of the first byte */
    uint8_t counter[16] = {0};
    uint32_t blk = o / 16u;
    counter[12] = (uint8_t)(blk >> 24);
    counter[13] = (uint8_t)(blk >> 16);
    counter[14] = (uint8_t)(blk >> 8);
    counter[15] = (uint8_t)blk;
    uint8_t *p = buf + (size_t)(lo - img_off);
    return c->aes_ctr(c->ctx, key->key, key->len, counter, o % 16u, p, p, (size_t)(hi - lo));
}
