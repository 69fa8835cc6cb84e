/* dfu_image_validate(): the bootloader's image check (mcuboot-format.md section 6.2).
 *
 * Order of work: header + size checks, one structural walk over every TLV (bounds, duplicate
 * hash, SEC_CNT, ENC TLV, SIG_PURE), AES key unwrap if decrypting, the hash over the signed
 * region, then a second walk pairing KEYHASH/PUBKEY with the signature that follows it. Cheap
 * structural errors are reported before the expensive hash; a hash mismatch is reported before
 * any signature verdict. Every failure records (err, static reason, image offset). */
#include <string.h>

#include "dfukit/dfu_err.h"
#include "validate_priv.h"

int dfu_image_vfail(dfu_vstate_t *s, int err, const char *reason, uint32_t off)
{
    s->out->err = err;
    s->out->reason = reason;
    s->out->err_off = off;
    return err;
}

static int is_hash_type(uint16_t t)
{
    return t == DFU_IMAGE_TLV_SHA256 || t == DFU_IMAGE_TLV_SHA384 || t == DFU_IMAGE_TLV_SHA512;
}

static dfu_hash_alg_t hash_alg_of(uint16_t t)
{
    return t == DFU_IMAGE_TLV_SHA256   ? DFU_HASH_SHA256
           : t == DFU_IMAGE_TLV_SHA384 ? DFU_HASH_SHA384
                                       : DFU_HASH_SHA512;
}

static uint16_t hash_type_of(dfu_hash_alg_t a)
{
    return a == DFU_HASH_SHA256   ? DFU_IMAGE_TLV_SHA256
           : a == DFU_HASH_SHA384 ? DFU_IMAGE_TLV_SHA384
           : a == DFU_HASH_SHA512 ? DFU_IMAGE_TLV_SHA512
                                  : 0;
}

static int is_enc_type(uint16_t t)
{
    return t >= DFU_IMAGE_TLV_ENC_RSA2048 && t <= DFU_IMAGE_TLV_ENC_X25519_SHA512;
}

/* MCUboot's unprotected allow list (MCUBOOT_USE_TLV_ALLOW_LIST). */
static int allowed_unprot(uint16_t t)
{
    return t == DFU_IMAGE_TLV_KEYHASH || t == DFU_IMAGE_TLV_PUBKEY || is_hash_type(t) ||
           (t >= DFU_IMAGE_TLV_RSA2048_PSS && t <= DFU_IMAGE_TLV_SIG_PURE) || is_enc_type(t);
}

/* ---- Header and sizes --------------------------------------------------------------------- */

static int check_header(dfu_vstate_t *s)
{
    dfu_image_header_t *h = &s->out->hdr;
    int rc = dfu_image_header_read(s->rd, h);
    if (rc == DFU_ERR_CORRUPT) {
        return dfu_image_vfail(s, rc, "image shorter than the 32-byte header", 0);
    }
    if (rc == DFU_ERR_BAD_MAGIC) {
        return dfu_image_vfail(s, rc,
                               h->magic == DFU_IMAGE_MAGIC_NONE
                                   ? "no image (header magic is erased)"
                                   : "bad header magic",
                               0);
    }
    if (rc == DFU_ERR_BAD_HEADER) {
        if (h->hdr_size < DFU_IMAGE_HEADER_SIZE) {
            return dfu_image_vfail(s, rc, "header size below 32", 0x08);
        }
        if ((h->flags & DFU_IMAGE_F_ENCRYPTED_AES128) &&
            (h->flags & DFU_IMAGE_F_ENCRYPTED_AES256)) {
            return dfu_image_vfail(s, rc, "both AES-128 and AES-256 flags set", 0x10);
        }
        return dfu_image_vfail(s, rc, "header sizes overflow 32 bits", 0x0c);
    }
    if (rc < 0) {
        return dfu_image_vfail(s, rc, "read of the header failed", 0);
    }
    if (h->flags & (DFU_IMAGE_F_ENCRYPTED_AES128 | DFU_IMAGE_F_ENCRYPTED_AES256)) {
        s->out->flags |= DFU_IMAGE_RF_ENCRYPTED;
    }
    s->hashed = dfu_image_hashed_size(h);
    uint32_t max = s->cfg->max_image_size;
    if (max != 0 && s->hashed >= max) {
        return dfu_image_vfail(s, DFU_ERR_NOSPC, "image does not fit the slot (size >= slot size)",
                               0x0c);
    }
    if (s->hashed > s->rd->size) {
        return dfu_image_vfail(s, DFU_ERR_CORRUPT,
                               "image truncated (payload or protected TLVs missing)", s->rd->size);
    }
    return 0;
}

/* Explains a dfu_image_tlv_begin() failure. */
static int begin_failed(dfu_vstate_t *s, int rc, const dfu_image_tlv_iter_t *it)
{
    const dfu_image_header_t *h = &s->out->hdr;
    uint32_t prot_off = (uint32_t)h->hdr_size + h->img_size;
    if (rc == DFU_ERR_CORRUPT) {
        return dfu_image_vfail(s, rc, "TLV area truncated", it->prot_end);
    }
    if (rc == DFU_ERR_BAD_TLV && h->protect_tlv_size != 0 && it->prot_end == it->prot_start) {
        return dfu_image_vfail(s, rc, "protected TLV info header wrong (magic or size != header)",
                               prot_off);
    }
    if (rc == DFU_ERR_BAD_TLV) {
        return dfu_image_vfail(s, rc, "TLV info header wrong (magic 0x6907 or size)", it->prot_end);
    }
    return dfu_image_vfail(s, rc, "read of the TLV area failed", prot_off);
}

/* ---- Walk 1: structure -------------------------------------------------------------------- */

static int scan_entry(dfu_vstate_t *s, const dfu_image_tlv_t *t)
{
    const dfu_image_verify_cfg_t *cfg = s->cfg;
    uint32_t hoff = t->off - 4u;
    if (!t->prot && (cfg->flags & DFU_IMAGE_VF_ALLOW_LIST) && !allowed_unprot(t->type)) {
        return dfu_image_vfail(s, DFU_ERR_BAD_TLV, "TLV type not allowed in the unprotected area",
                               hoff);
    }
    if (is_hash_type(t->type) &&
        (cfg->hash_alg == DFU_HASH_NONE || hash_type_of(cfg->hash_alg) == t->type)) {
        if (s->have_hash) {
            return dfu_image_vfail(s, DFU_ERR_BAD_TLV, "two image hash TLVs", hoff);
        }
        s->hash_tlv = *t;
        s->have_hash = 1;
    } else if (t->type == DFU_IMAGE_TLV_SIG_PURE) {
        s->pure = 1;
    } else if (!t->prot && is_enc_type(t->type) && !s->have_enc) {
        s->enc_tlv = *t;
        s->have_enc = 1;
    } else if (t->prot && t->type == DFU_IMAGE_TLV_SEC_CNT) {
        uint8_t raw[4];
        if (s->have_sec_cnt) {
            return dfu_image_vfail(s, DFU_ERR_BAD_TLV, "two SEC_CNT TLVs", hoff);
        }
        if (t->len != 4) {
            return dfu_image_vfail(s, DFU_ERR_BAD_TLV, "SEC_CNT TLV length is not 4", hoff);
        }
        int rc = dfu_image_tlv_read(s->rd, t, raw, sizeof(raw));
        if (rc < 0) {
            return dfu_image_vfail(s, rc, "read of SEC_CNT failed", t->off);
        }
        s->have_sec_cnt = 1;
        s->out->security_counter = dfu_ld_le32(raw);
        s->out->flags |= DFU_IMAGE_RF_HAS_SEC_CNT;
    }
    return 0;
}

static int scan_tlvs(dfu_vstate_t *s)
{
    dfu_image_tlv_iter_t it;
    dfu_image_tlv_t t;
    int rc = dfu_image_tlv_begin(&it, s->rd, &s->out->hdr, DFU_IMAGE_TLV_ANY, 0);
    if (rc < 0) {
        return begin_failed(s, rc, &it);
    }
    s->out->tlv_end = it.end;
    uint32_t max = s->cfg->max_image_size ? s->cfg->max_image_size : s->rd->size;
    if (it.end > max) {
        return dfu_image_vfail(s, DFU_ERR_NOSPC, "TLV area ends beyond the slot", it.end);
    }
    while ((rc = dfu_image_tlv_next(&it, &t)) == 1) {
        if ((rc = scan_entry(s, &t)) < 0) {
            return rc;
        }
    }
    if (rc == DFU_ERR_BAD_TLV) {
        return dfu_image_vfail(s, rc, "TLV entry runs past the end of its block", it.pos);
    }
    if (rc < 0) {
        return dfu_image_vfail(s, rc, "read of the TLV area failed", it.pos);
    }
    return 0;
}

/* Hash TLV presence/length, SEC_CNT policy. */
static int check_scan_result(dfu_vstate_t *s)
{
    dfu_image_result_t *out = s->out;
    if (!s->have_hash) {
        return dfu_image_vfail(s, DFU_ERR_NO_HASH, "no image hash TLV (SHA256/384/512)",
                               out->tlv_end);
    }
    out->hash_alg = hash_alg_of(s->hash_tlv.type);
    size_t dlen = dfu_hash_len(out->hash_alg);
    if (s->hash_tlv.len != dlen) {
        return dfu_image_vfail(s, DFU_ERR_BAD_TLV, "hash TLV length does not match its algorithm",
                               s->hash_tlv.off - 4u);
    }
    int rc = dfu_image_tlv_read(s->rd, &s->hash_tlv, out->hash, sizeof(out->hash));
    if (rc < 0) {
        return dfu_image_vfail(s, rc, "read of the hash TLV failed", s->hash_tlv.off);
    }
    out->hash_len = (uint8_t)dlen;
    if (s->pure) {
        out->flags |= DFU_IMAGE_RF_PURE;
    }
    if (s->cfg->flags & DFU_IMAGE_VF_REQUIRE_SEC_CNT) {
        if (!s->have_sec_cnt) {
            return dfu_image_vfail(s, DFU_ERR_DOWNGRADE, "security counter TLV missing",
                                   out->tlv_end);
        }
        if (out->security_counter < s->cfg->min_security_counter) {
            return dfu_image_vfail(s, DFU_ERR_DOWNGRADE,
                                   "security counter below the stored minimum", out->tlv_end);
        }
    }
    return 0;
}

/* ---- Decryption key ----------------------------------------------------------------------- */

static int setup_decrypt(dfu_vstate_t *s)
{
    const dfu_image_verify_cfg_t *cfg = s->cfg;
    uint8_t buf[256];
    if (!(s->out->flags & DFU_IMAGE_RF_ENCRYPTED) || cfg->enc_priv == NULL ||
        (cfg->flags & DFU_IMAGE_VF_NO_DECRYPT)) {
        return 0;
    }
    if (!DFU_IMAGE_ENC) {
        return dfu_image_vfail(s, DFU_ERR_NOTSUP, "image decryption not built in (DFU_IMAGE_ENC)",
                               0);
    }
    if (!s->have_enc) {
        return dfu_image_vfail(s, DFU_ERR_DECRYPT, "encrypted image has no ENC TLV",
                               s->out->tlv_end);
    }
    if (s->pure) {
        return dfu_image_vfail(s, DFU_ERR_NOTSUP, "pure signature on an encrypted image", 0);
    }
    uint32_t hoff = s->enc_tlv.off - 4u;
    if (s->enc_tlv.len > sizeof(buf)) {
        return dfu_image_vfail(s, DFU_ERR_BAD_TLV, "ENC TLV too long", hoff);
    }
    int rc = dfu_image_tlv_read(s->rd, &s->enc_tlv, buf, sizeof(buf));
    if (rc < 0) {
        return dfu_image_vfail(s, rc, "read of the ENC TLV failed", s->enc_tlv.off);
    }
    size_t klen = (s->out->hdr.flags & DFU_IMAGE_F_ENCRYPTED_AES256) ? 32u : 16u;
    rc = dfu_image_enc_unwrap_tlv(cfg->crypto, s->enc_tlv.type, buf, s->enc_tlv.len, cfg->enc_priv,
                                  cfg->enc_priv_len, klen, &s->aes);
    dfu_secure_zero(buf, sizeof(buf));
    switch (rc) {
    case 0:
        break;
    case DFU_ERR_BAD_TLV:
        return dfu_image_vfail(s, rc, "ENC TLV length does not match the AES key size", hoff);
    case DFU_ERR_NOTSUP:
        return dfu_image_vfail(s, rc, "key encryption scheme not supported", hoff);
    case DFU_ERR_INVAL:
        return dfu_image_vfail(s, DFU_ERR_DECRYPT, "decryption key does not fit this ENC TLV type",
                               hoff);
    default:
        return dfu_image_vfail(s, DFU_ERR_DECRYPT, "AES key unwrap failed (wrong decryption key?)",
                               hoff);
    }
    s->decrypt = 1;
    s->out->flags |= DFU_IMAGE_RF_DECRYPTED;
    return 0;
}

/* ---- Hash --------------------------------------------------------------------------------- */

static int compute_hash(dfu_vstate_t *s)
{
    const dfu_crypto_port_t *c = s->cfg->crypto;
    dfu_hash_ctx_t h;
    int rc = c->hash_init(c->ctx, &h, s->out->hash_alg);
    for (uint32_t off = 0; rc == 0 && off < s->hashed;) {
        size_t n = s->cfg->scratch_len;
        if (n > s->hashed - off) {
            n = s->hashed - off;
        }
        rc = s->rd->read(s->rd->ctx, off, s->cfg->scratch, n);
        if (rc < 0) {
            return dfu_image_vfail(s, rc, "read of the image failed", off);
        }
        if (DFU_IMAGE_ENC && s->decrypt) {
            rc = dfu_image_xcrypt(c, &s->aes, &s->out->hdr, off, s->cfg->scratch, n);
        }
        if (rc == 0) {
            rc = c->hash_update(c->ctx, &h, s->cfg->scratch, n);
        }
        off += (uint32_t)n;
    }
    if (rc == 0) {
        rc = c->hash_finish(c->ctx, &h, s->digest);
    }
    if (rc < 0) {
        return dfu_image_vfail(s, rc == DFU_ERR_NOTSUP ? rc : DFU_ERR_CRYPTO,
                               "hash computation failed", 0);
    }
    if (dfu_ct_memcmp(s->digest, s->out->hash, s->out->hash_len) != 0) {
        return dfu_image_vfail(s, DFU_ERR_HASH_MISMATCH, "image hash does not match the hash TLV",
                               s->hash_tlv.off);
    }
    return 0;
}

static int check_cfg(const dfu_image_reader_t *rd, const dfu_image_verify_cfg_t *cfg)
{
    if (rd == NULL || rd->read == NULL || cfg == NULL || cfg->crypto == NULL ||
        cfg->crypto->hash_init == NULL || cfg->crypto->hash_update == NULL ||
        cfg->crypto->hash_finish == NULL || cfg->scratch == NULL ||
        cfg->scratch_len < DFU_IMAGE_SCRATCH_MIN || (cfg->keys == NULL && cfg->key_count != 0)) {
        return DFU_ERR_INVAL;
    }
    return 0;
}

int dfu_image_validate(const dfu_image_reader_t *rd, const dfu_image_verify_cfg_t *cfg,
                       dfu_image_result_t *out)
{
    dfu_vstate_t s;
    if (out == NULL) {
        return DFU_ERR_INVAL;
    }
    memset(out, 0, sizeof(*out));
    memset(&s, 0, sizeof(s));
    out->key_index = -1;
    out->reason = "ok";
    s.rd = rd;
    s.cfg = cfg;
    s.out = out;
    if (check_cfg(rd, cfg) != 0) {
        return dfu_image_vfail(&s, DFU_ERR_INVAL, "invalid verify configuration", 0);
    }
    int rc = check_header(&s);
    if (rc == 0) {
        rc = scan_tlvs(&s);
    }
    if (rc == 0) {
        rc = check_scan_result(&s);
    }
    if (rc == 0) {
        rc = setup_decrypt(&s);
    }
    if (rc == 0) {
        rc = compute_hash(&s);
    }
    if (rc == 0 && cfg->key_count > 0) {
        rc = dfu_image_check_sigs(&s);
    }
    dfu_secure_zero(&s.aes, sizeof(s.aes));
    return rc;
}
