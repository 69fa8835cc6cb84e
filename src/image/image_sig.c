/* Key selection and signature verification for dfu_image_validate() (section 2.4 / 6.2 of
 * mcuboot-format.md). A KEYHASH (hash of the key DER with the image hash algorithm, prefix
 * compare) or PUBKEY (exact DER) selects a configured key; the next signature TLV is verified
 * with it and the selection is cleared. One verified signature suffices. */
#include <string.h>

#include "dfukit/dfu_err.h"
#include "validate_priv.h"

typedef struct sig_walk {
    int selected;      /* key index chosen by the last KEYHASH/PUBKEY, -1 if none */
    uint8_t saw_keyid; /* a KEYHASH/PUBKEY was present */
    uint8_t saw_sig;   /* a signature TLV was present */
    uint8_t bad_sig;   /* a selected key's signature did not verify */
    uint8_t matched;   /* some KEYHASH/PUBKEY selected a configured key */
    uint32_t bad_off;
    uint32_t keyid_off;
} sig_walk_t;

static int is_sig_type(uint16_t t)
{
    return t == DFU_IMAGE_TLV_RSA2048_PSS || t == DFU_IMAGE_TLV_ECDSA_SIG ||
           t == DFU_IMAGE_TLV_RSA3072_PSS || t == DFU_IMAGE_TLV_ED25519;
}

/* ---- Key selection ------------------------------------------------------------------------ */

static int select_by_keyhash(dfu_vstate_t *s, const dfu_image_tlv_t *t, sig_walk_t *w)
{
    const dfu_crypto_port_t *c = s->cfg->crypto;
    uint8_t want[DFU_HASH_MAX_LEN], got[DFU_HASH_MAX_LEN];
    dfu_hash_ctx_t h;
    if (t->len == 0 || t->len > s->out->hash_len) {
        return dfu_image_vfail(s, DFU_ERR_BAD_TLV, "KEYHASH length wrong", t->off - 4u);
    }
    int rc = dfu_image_tlv_read(s->rd, t, want, sizeof(want));
    if (rc < 0) {
        return dfu_image_vfail(s, rc, "read of KEYHASH failed", t->off);
    }
    for (size_t i = 0; i < s->cfg->key_count; i++) {
        const dfu_image_key_t *k = &s->cfg->keys[i];
        rc = c->hash_init(c->ctx, &h, s->out->hash_alg);
        if (rc == 0) {
            rc = c->hash_update(c->ctx, &h, k->der, k->len);
        }
        if (rc == 0) {
            rc = c->hash_finish(c->ctx, &h, got);
        }
        if (rc < 0) {
            return dfu_image_vfail(s, DFU_ERR_CRYPTO, "hashing a public key failed", t->off);
        }
        if (memcmp(got, want, t->len) == 0) {
            w->selected = (int)i;
            w->matched = 1;
            return 0;
        }
    }
    return 0;
}

static int select_by_pubkey(dfu_vstate_t *s, const dfu_image_tlv_t *t, sig_walk_t *w)
{
    if (t->len > s->cfg->scratch_len) {
        return 0; /* longer than any key we could hold: cannot match */
    }
    int rc = dfu_image_tlv_read(s->rd, t, s->cfg->scratch, s->cfg->scratch_len);
    if (rc < 0) {
        return dfu_image_vfail(s, rc, "read of PUBKEY failed", t->off);
    }
    for (size_t i = 0; i < s->cfg->key_count; i++) {
        const dfu_image_key_t *k = &s->cfg->keys[i];
        if (k->len == t->len && memcmp(k->der, s->cfg->scratch, k->len) == 0) {
            w->selected = (int)i;
            w->matched = 1;
            return 0;
        }
    }
    return 0;
}

/* ---- Verification ------------------------------------------------------------------------- */

/* Expected signature length per type (0 = variable). */
static int sig_len_ok(uint16_t type, uint16_t len)
{
    switch (type) {
    case DFU_IMAGE_TLV_RSA2048_PSS:
        return len == 256;
    case DFU_IMAGE_TLV_RSA3072_PSS:
        return len == 384;
    case DFU_IMAGE_TLV_ED25519:
        return len == 64;
    default:
        return len >= 8 && len <= 128; /* ECDSA DER, optionally zero padded */
    }
}

/* Ed25519 message: the digest, or in pure mode the signed region itself. */
static int verify_ed25519(dfu_vstate_t *s, const uint8_t *raw, const uint8_t *sig)
{
    const dfu_crypto_port_t *c = s->cfg->crypto;
    if (!s->pure) {
        return c->ed25519_verify(c->ctx, raw, s->digest, s->out->hash_len, sig);
    }
    if (s->rd->mem != NULL) {
        return c->ed25519_verify(c->ctx, raw, s->rd->mem, s->hashed, sig);
    }
    if (s->hashed > s->cfg->scratch_len) {
        return DFU_ERR_NOMEM;
    }
    int rc = s->rd->read(s->rd->ctx, 0, s->cfg->scratch, s->hashed);
    if (rc < 0) {
        return rc;
    }
    return c->ed25519_verify(c->ctx, raw, s->cfg->scratch, s->hashed, sig);
}

/* ECDSA: strip imgtool's optional zero padding after the DER SEQUENCE. */
static int verify_ecdsa(dfu_vstate_t *s, const dfu_image_key_t *k, dfu_key_kind_t kind,
                        const uint8_t *sig, size_t len)
{
    const dfu_crypto_port_t *c = s->cfg->crypto;
    size_t der_len = dfu_der_elem_len(sig, len);
    if (der_len == 0 || sig[0] != DFU_DER_SEQUENCE) {
        return DFU_ERR_BAD_SIGNATURE;
    }
    for (size_t i = der_len; i < len; i++) {
        if (sig[i] != 0) {
            return DFU_ERR_BAD_SIGNATURE;
        }
    }
    dfu_ec_curve_t curve = kind == DFU_KEY_EC_P256 ? DFU_EC_P256 : DFU_EC_P384;
    return c->ecdsa_verify(c->ctx, curve, k->der, k->len, s->digest, s->out->hash_len, sig,
                           der_len);
}

/* Verifies the signature TLV `t` with key `k`. 0, DFU_ERR_BAD_SIGNATURE or another error. */
static int verify_one(dfu_vstate_t *s, const dfu_image_tlv_t *t, const dfu_image_key_t *k)
{
    const dfu_crypto_port_t *c = s->cfg->crypto;
    const uint8_t *raw = NULL;
    dfu_key_kind_t kind = dfu_key_classify(k->der, k->len, &raw);
    uint8_t *sig = s->cfg->scratch;
    int rc = dfu_image_tlv_read(s->rd, t, sig, s->cfg->scratch_len);
    if (rc < 0) {
        return rc;
    }
    switch (t->type) {
    case DFU_IMAGE_TLV_ECDSA_SIG:
        if ((kind != DFU_KEY_EC_P256 && kind != DFU_KEY_EC_P384) || c->ecdsa_verify == NULL) {
            return kind == DFU_KEY_EC_P256 || kind == DFU_KEY_EC_P384 ? DFU_ERR_NOTSUP
                                                                      : DFU_ERR_BAD_SIGNATURE;
        }
        return verify_ecdsa(s, k, kind, sig, t->len);
    case DFU_IMAGE_TLV_RSA2048_PSS:
    case DFU_IMAGE_TLV_RSA3072_PSS:
        if (kind != DFU_KEY_RSA) {
            return DFU_ERR_BAD_SIGNATURE;
        }
        if (c->rsa_pss_verify == NULL || s->out->hash_len != 32) {
            return DFU_ERR_NOTSUP;
        }
        return c->rsa_pss_verify(c->ctx, k->der, k->len, s->digest, 32, sig, t->len);
    default: /* ED25519 */
        if (kind != DFU_KEY_ED25519) {
            return DFU_ERR_BAD_SIGNATURE;
        }
        if (c->ed25519_verify == NULL) {
            return DFU_ERR_NOTSUP;
        }
        uint8_t sig64[64];
        memcpy(sig64, sig, sizeof(sig64));
        return verify_ed25519(s, raw, sig64);
    }
}

static int handle_sig(dfu_vstate_t *s, const dfu_image_tlv_t *t, sig_walk_t *w)
{
    w->saw_sig = 1;
    int sel = w->selected;
    w->selected = -1;
    if (sel < 0) {
        return 0; /* signature by a key we do not have */
    }
    if (!sig_len_ok(t->type, t->len)) {
        return dfu_image_vfail(s, DFU_ERR_BAD_TLV, "signature TLV length wrong for its type",
                               t->off - 4u);
    }
    int rc = verify_one(s, t, &s->cfg->keys[sel]);
    if (rc == 0) {
        s->out->key_index = sel;
        s->out->sig_type = t->type;
        s->out->flags |= DFU_IMAGE_RF_SIGNED;
        return 1;
    }
    if (rc == DFU_ERR_BAD_SIGNATURE || rc == DFU_ERR_INVAL) {
        if (!w->bad_sig) {
            w->bad_sig = 1;
            w->bad_off = t->off;
        }
        return 0;
    }
    if (rc == DFU_ERR_NOMEM) {
        return dfu_image_vfail(s, rc, "scratch too small for a pure signature (no mapped image)",
                               0);
    }
    if (rc == DFU_ERR_NOTSUP) {
        return dfu_image_vfail(s, rc, "signature algorithm not supported by the crypto port",
                               t->off - 4u);
    }
    return dfu_image_vfail(s, rc, "signature verification failed to run", t->off);
}

static int walk_entry(dfu_vstate_t *s, const dfu_image_tlv_t *t, sig_walk_t *w)
{
    if (t->type == DFU_IMAGE_TLV_KEYHASH || t->type == DFU_IMAGE_TLV_PUBKEY) {
        if (!w->saw_keyid) {
            w->keyid_off = t->off;
        }
        w->saw_keyid = 1;
        w->selected = -1;
        return t->type == DFU_IMAGE_TLV_KEYHASH ? select_by_keyhash(s, t, w)
                                                : select_by_pubkey(s, t, w);
    }
    if (is_sig_type(t->type)) {
        return handle_sig(s, t, w);
    }
    return 0;
}

int dfu_image_check_sigs(dfu_vstate_t *s)
{
    dfu_image_tlv_iter_t it;
    dfu_image_tlv_t t;
    sig_walk_t w = {.selected = -1};
    int rc = dfu_image_tlv_begin(&it, s->rd, &s->out->hdr, DFU_IMAGE_TLV_ANY, 0);
    if (rc < 0) {
        return dfu_image_vfail(s, rc, "TLV area changed while validating", 0);
    }
    while ((rc = dfu_image_tlv_next(&it, &t)) == 1) {
        rc = walk_entry(s, &t, &w);
        if (rc != 0) {
            break;
        }
    }
    if (rc == 1) {
        return 0; /* verified */
    }
    if (rc < 0) {
        return s->out->err ? rc : dfu_image_vfail(s, rc, "TLV walk failed", it.pos);
    }
    if (w.bad_sig) {
        return dfu_image_vfail(s, DFU_ERR_BAD_SIGNATURE, "signature does not verify", w.bad_off);
    }
    if (w.matched) {
        return dfu_image_vfail(s, DFU_ERR_NO_SIGNATURE,
                               "no signature TLV follows the matching key id", w.keyid_off);
    }
    if (w.saw_keyid || w.saw_sig) {
        return dfu_image_vfail(s, DFU_ERR_KEY_MISMATCH,
                               "image is signed by a key that is not configured", w.keyid_off);
    }
    return dfu_image_vfail(s, DFU_ERR_NO_SIGNATURE, "image carries no signature", s->out->tlv_end);
}
