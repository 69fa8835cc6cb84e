/* `imgtool sign`: builds an MCUboot image byte-identical to MCUboot's imgtool 2.x.
 *
 * Layout: [header + filler][payload][protected TLVs][unprotected TLVs][padding ... trailer].
 * Order of work follows imgtool so that every byte matches:
 *  1. load input (bin or HEX), prepend the header area (erased value) with --pad-header;
 *  2. with encryption, zero-pad the whole buffer (header area included) to a multiple of 16;
 *  3. write the header; append protected TLVs (SEC_CNT, BOOT_RECORD, DEPENDENCY..., UUID_VID,
 *     UUID_CID, custom TLVs in command-line order);
 *  4. hash header+payload+protected block; unprotected: hash, [SIG_PURE], KEYHASH|PUBKEY, sig;
 *  5. encrypt the payload only (not header or TLVs) with AES-CTR, append the ENC TLV;
 *  6. check image + trailer fits the slot; pad (binary) or write sparse trailer fields (HEX). */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "imgtool_priv.h"

typedef struct {
    const dfu_imgtool_sign_opts_t *o;
    dfu_imgtool_key_t *key;
    dfu_imgtool_key_t *enc;
    unsigned hash_bits;
    uint32_t max_align;
    uint8_t erased;
    dfu_imgtool_buf_t img;  /* header + payload (+ TLVs at the end) */
    uint32_t base_addr;     /* HEX input address, UINT32_MAX for binary input */
    dfu_imgtool_buf_t prot; /* protected TLV entries (without info header) */
    dfu_imgtool_buf_t unprot;
    dfu_imgtool_buf_t comp_tlvs; /* DECOMP_* entries of a compressed image (after DEPENDENCY) */
    uint32_t extra_flags;        /* COMPRESSED_* flags */
    uint8_t digest[64];          /* image hash, kept for the DECOMP_SHA of a compressed image */
    size_t digest_len;
    dfu_imgtool_buf_t sig; /* signature, kept for DECOMP_SIGNATURE */
    size_t enctlv_len;     /* length of the ENC TLV value (for --save-enctlv) */
} sign_ctx_t;

static int tlv_add(dfu_imgtool_buf_t *b, unsigned type, const void *v, size_t n)
{
    uint8_t h[4];
    imgtool_put_le16(h, type);
    imgtool_put_le16(h + 2, (uint32_t)n);
    int rc = dfu_imgtool_buf_append(b, h, 4);
    return rc ? rc : dfu_imgtool_buf_append(b, v, n);
}

static uint32_t align_up(uint32_t v, uint32_t a)
{
    return (v + a - 1u) & ~(a - 1u);
}

/* imgtool's trailer size for the fit check (swap status + 4 flags + magic [+ 2 keys]). */
static uint32_t trailer_size(const sign_ctx_t *c)
{
    const dfu_imgtool_sign_opts_t *o = c->o;
    uint32_t magic = align_up(16, c->max_align);
    if (o->overwrite_only) {
        return c->max_align * 2u + magic;
    }
    uint32_t sectors = o->max_sectors ? o->max_sectors : 128u;
    uint32_t align = o->align ? o->align : 1u;
    uint32_t t = sectors * 3u * align;
    if (c->enc) {
        uint32_t key = o->save_enctlv ? (uint32_t)c->enctlv_len : 16u;
        t += align_up(key, c->max_align) * 2u;
    }
    return t + c->max_align * 4u + magic;
}

static void boot_magic(uint32_t max_align, uint8_t out[16])
{
    static const uint8_t std[16] = {0x77, 0xc2, 0x95, 0xf3, 0x60, 0xd2, 0xef, 0x7f,
                                    0x35, 0x52, 0x50, 0x0f, 0x2c, 0xb6, 0x79, 0x80};
    static const uint8_t tail[14] = {0x2d, 0xe1, 0x5d, 0x29, 0x41, 0x0b, 0x8d,
                                     0x77, 0x67, 0x9c, 0x11, 0x0f, 0x1f, 0x8a};
    if (max_align == 8) {
        memcpy(out, std, 16);
        return;
    }
    imgtool_put_le16(out, max_align);
    memcpy(out + 2, tail, 14);
}

/* ---- step 0: options and keys ---------------------------------------------------------------- */

static int check_opts(sign_ctx_t *c, dfu_imgtool_diag_t *diag)
{
    const dfu_imgtool_sign_opts_t *o = c->o;
    uint32_t align = o->align ? o->align : 1u;
    if (o->header_size < IMGTOOL_HDR_SIZE || o->header_size > 0xffffu) {
        return dfu_imgtool_fail(diag, DFU_ERR_INVAL,
                                "-H/--header-size 0x%x is invalid: it must be 0x20..0xffff "
                                "(usually 0x200)",
                                o->header_size);
    }
    if (align & (align - 1u) || align > 32u) {
        return dfu_imgtool_fail(diag, DFU_ERR_INVAL,
                                "--align %u is invalid: use 1, 2, 4, 8, 16 or 32", align);
    }
    c->max_align = o->max_align ? o->max_align : (align > 8u ? align : 8u);
    if (c->max_align != 8 && c->max_align != 16 && c->max_align != 32) {
        return dfu_imgtool_fail(diag, DFU_ERR_INVAL, "--max-align %u is invalid: use 8, 16 or 32",
                                c->max_align);
    }
    if (o->load_addr && o->rom_fixed) {
        return dfu_imgtool_fail(diag, DFU_ERR_INVAL,
                                "-L/--load-addr and -F/--rom-fixed cannot be used together; "
                                "pick RAM loading or a fixed ROM address");
    }
    if (o->boot_record && (strlen(o->boot_record) == 0 || strlen(o->boot_record) > 12)) {
        return dfu_imgtool_fail(diag, DFU_ERR_INVAL,
                                "--boot-record '%s' must be 1..12 characters long", o->boot_record);
    }
    if (o->encrypt_keylen && o->encrypt_keylen != 128 && o->encrypt_keylen != 256) {
        return dfu_imgtool_fail(diag, DFU_ERR_INVAL, "--encrypt-keylen must be 128 or 256");
    }
    if ((o->confirm || o->pad) && o->slot_size == 0) {
        return dfu_imgtool_fail(diag, DFU_ERR_INVAL,
                                "--pad/--confirm need -S/--slot-size to know where the trailer "
                                "goes");
    }
    c->erased = o->erased_val_set ? o->erased_val : 0xffu;
    return DFU_OK;
}

static int load_keys(sign_ctx_t *c, dfu_imgtool_diag_t *diag)
{
    const dfu_imgtool_sign_opts_t *o = c->o;
    int rc;
    if (o->key_path) {
        rc = dfu_imgtool_key_load(o->key_path, &c->key, diag);
        if (rc) {
            return rc;
        }
        if (!c->key->priv || imgtool_key_sig_tlv(c->key) == 0) {
            return dfu_imgtool_fail(diag, DFU_ERR_INVAL,
                                    "-k %s: need a private signing key (ecdsa-p256, ecdsa-p384, "
                                    "ed25519, rsa-2048 or rsa-3072), got a %s %s key",
                                    o->key_path, c->key->priv ? "private" : "public",
                                    dfu_imgtool_key_type_name(c->key->type));
        }
    }
    if (o->enc_key_path) {
        rc = dfu_imgtool_key_load(o->enc_key_path, &c->enc, diag);
        if (rc) {
            return rc;
        }
    }
    if (c->key && c->enc) {
        /* imgtool's pairing rule: ECDSA signing needs P-256 encryption, RSA needs RSA */
        dfu_imgtool_key_type_t s = c->key->type, e = c->enc->type;
        bool ecdsa = s == DFU_IMGTOOL_KEY_ECDSA_P256 || s == DFU_IMGTOOL_KEY_ECDSA_P384;
        bool rsa = s == DFU_IMGTOOL_KEY_RSA_2048 || s == DFU_IMGTOOL_KEY_RSA_3072;
        if ((ecdsa && e != DFU_IMGTOOL_KEY_ECDSA_P256) || (rsa && e != DFU_IMGTOOL_KEY_RSA_2048)) {
            return dfu_imgtool_fail(diag, DFU_ERR_INVAL,
                                    "-E %s: encryption key type %s cannot be used with signing key "
                                    "type %s; use %s for -E",
                                    o->enc_key_path, dfu_imgtool_key_type_name(e),
                                    dfu_imgtool_key_type_name(s),
                                    ecdsa ? "an ecdsa-p256 key" : "an rsa-2048 key");
        }
    }
    if (o->pure && (!c->key || c->key->type != DFU_IMGTOOL_KEY_ED25519)) {
        return dfu_imgtool_fail(diag, DFU_ERR_INVAL, "--pure needs an ed25519 signing key (-k)");
    }
    if (!c->key) {
        c->hash_bits = o->sha ? o->sha : 256u;
        return DFU_OK;
    }
    c->hash_bits = (o->sha && !o->pure) ? o->sha : imgtool_key_default_hash(c->key, o->pure);
    if (!imgtool_key_allows_hash(c->key, c->hash_bits, o->pure)) {
        return dfu_imgtool_fail(diag, DFU_ERR_INVAL,
                                "--sha %u cannot be used with a %s key (allowed: %s)", c->hash_bits,
                                dfu_imgtool_key_type_name(c->key->type),
                                c->key->type == DFU_IMGTOOL_KEY_ECDSA_P384 ? "384"
                                : c->key->type == DFU_IMGTOOL_KEY_ED25519  ? "256, 512"
                                                                           : "256");
    }
    return DFU_OK;
}

/* ---- step 1: input ------------------------------------------------------------------------------
 */

static int load_input(sign_ctx_t *c, const dfu_imgtool_buf_t *raw, const char *in_path,
                      dfu_imgtool_diag_t *diag)
{
    const dfu_imgtool_sign_opts_t *o = c->o;
    int rc = DFU_OK;
    if (o->pad_header) {
        /* imgtool moves the HEX base down by the header, except when it is 0 (kept as is) */
        if (c->base_addr != UINT32_MAX && c->base_addr != 0) {
            c->base_addr -= o->header_size;
        }
        rc = dfu_imgtool_buf_fill(&c->img, c->erased, o->header_size);
    } else {
        for (size_t i = 0; i < raw->len && i < o->header_size; i++) {
            if (raw->data[i] != 0) {
                return dfu_imgtool_fail(diag, DFU_ERR_INVAL,
                                        "input '%s' does not start with 0x%x zero bytes for the "
                                        "header (non-zero byte at offset 0x%zx); add --pad-header",
                                        in_path, o->header_size, i);
            }
        }
    }
    if (!rc) {
        rc = dfu_imgtool_buf_append(&c->img, raw->data, raw->len);
    }
    if (!rc && c->img.len < o->header_size) {
        rc = dfu_imgtool_fail(diag, DFU_ERR_INVAL,
                              "input '%s' is shorter than the 0x%x-byte header area; add "
                              "--pad-header",
                              in_path, o->header_size);
    }
    if (!rc && c->enc && (c->img.len % 16u)) {
        rc = dfu_imgtool_buf_fill(&c->img, 0, 16u - c->img.len % 16u);
    }
    return rc;
}

/* ---- step 3: header and protected TLVs
 * ----------------------------------------------------------- */

static int boot_record(sign_ctx_t *c, const uint8_t *keyhash, size_t khlen, dfu_imgtool_buf_t *out)
{
    const dfu_imgtool_version_t *v = &c->o->version;
    char ver[32];
    int vl = snprintf(ver, sizeof(ver), "%u.%u.%u", v->major, v->minor, v->revision);
    size_t sl = strlen(c->o->boot_record);
    const char *desc = imgtool_hash_name(c->hash_bits);
    uint8_t zeros[64] = {0};
    size_t dlen = c->hash_bits / 8u;
    uint8_t hdr[3];
    int rc = dfu_imgtool_buf_append(out, "\xa5\x01", 2); /* map(5), key 1 = sw type */
    hdr[0] = (uint8_t)(0x60u + sl);
    rc = rc ? rc : dfu_imgtool_buf_append(out, hdr, 1);
    rc = rc ? rc : dfu_imgtool_buf_append(out, c->o->boot_record, sl);
    hdr[0] = 0x04; /* key 4 = sw version */
    hdr[1] = (uint8_t)(0x60u + (unsigned)vl);
    rc = rc ? rc : dfu_imgtool_buf_append(out, hdr, 2);
    rc = rc ? rc : dfu_imgtool_buf_append(out, ver, (size_t)vl);
    hdr[0] = 0x05; /* key 5 = signer id (key hash) */
    hdr[1] = 0x58;
    hdr[2] = (uint8_t)khlen;
    rc = rc ? rc : dfu_imgtool_buf_append(out, hdr, 3);
    rc = rc ? rc : dfu_imgtool_buf_append(out, keyhash, khlen);
    hdr[0] = 0x06; /* key 6 = measurement description */
    hdr[1] = (uint8_t)(0x60u + strlen(desc));
    rc = rc ? rc : dfu_imgtool_buf_append(out, hdr, 2);
    rc = rc ? rc : dfu_imgtool_buf_append(out, desc, strlen(desc));
    hdr[0] = 0x02; /* key 2 = measurement value: placeholder filled by the bootloader */
    hdr[1] = 0x58;
    hdr[2] = (uint8_t)dlen;
    rc = rc ? rc : dfu_imgtool_buf_append(out, hdr, 3);
    return rc ? rc : dfu_imgtool_buf_append(out, zeros, dlen);
}

static int key_hash(sign_ctx_t *c, uint8_t *out, size_t *len, dfu_imgtool_buf_t *der,
                    dfu_imgtool_diag_t *diag)
{
    if (!c->key) {
        memset(out, 0, 32);
        *len = 32;
        return DFU_OK;
    }
    int rc = dfu_imgtool_key_pub_der(c->key, der, diag);
    int n = rc ? rc : imgtool_hash(c->hash_bits, der->data, der->len, out);
    if (n < 0) {
        return n;
    }
    *len = (size_t)n;
    return DFU_OK;
}

static int uuid_tlvs(sign_ctx_t *c, dfu_imgtool_diag_t *diag)
{
    static const uint8_t ns_dns[16] = {0x6b, 0xa7, 0xb8, 0x10, 0x9d, 0xad, 0x11, 0xd1,
                                       0x80, 0xb4, 0x00, 0xc0, 0x4f, 0xd4, 0x30, 0xc8};
    uint8_t vid[16], cid[16];
    int rc = DFU_OK;
    if (c->o->cid && !c->o->vid) {
        return dfu_imgtool_fail(diag, DFU_ERR_INVAL,
                                "--cid needs --vid (the class UUID is "
                                "derived in the vendor's namespace)");
    }
    if (c->o->vid) {
        rc = imgtool_uuid5(ns_dns, c->o->vid, vid);
        rc = rc ? rc : tlv_add(&c->prot, IMGTOOL_TLV_UUID_VID, vid, 16);
    }
    if (!rc && c->o->cid) {
        rc = imgtool_uuid5(vid, c->o->cid, cid);
        rc = rc ? rc : tlv_add(&c->prot, IMGTOOL_TLV_UUID_CID, cid, 16);
    }
    return rc;
}

static int build_protected(sign_ctx_t *c, dfu_imgtool_diag_t *diag)
{
    const dfu_imgtool_sign_opts_t *o = c->o;
    int rc = DFU_OK;
    if (o->has_security_counter || o->security_counter_auto) {
        uint32_t v = o->security_counter;
        if (o->security_counter_auto) {
            v = ((uint32_t)o->version.major << 24) + ((uint32_t)o->version.minor << 16) +
                o->version.revision;
        }
        uint8_t b[4];
        imgtool_put_le32(b, v);
        rc = tlv_add(&c->prot, IMGTOOL_TLV_SEC_CNT, b, 4);
    }
    if (!rc && o->boot_record) {
        uint8_t kh[64];
        size_t khlen = 0;
        dfu_imgtool_buf_t der = {0}, rec = {0};
        rc = key_hash(c, kh, &khlen, &der, diag);
        rc = rc ? rc : boot_record(c, kh, khlen, &rec);
        rc = rc ? rc : tlv_add(&c->prot, IMGTOOL_TLV_BOOT_RECORD, rec.data, rec.len);
        dfu_imgtool_buf_free(&der);
        dfu_imgtool_buf_free(&rec);
    }
    for (size_t i = 0; !rc && i < o->dep_count; i++) {
        uint8_t d[12] = {0};
        d[0] = o->deps[i].image_id;
        d[4] = o->deps[i].version.major;
        d[5] = o->deps[i].version.minor;
        imgtool_put_le16(d + 6, o->deps[i].version.revision);
        imgtool_put_le32(d + 8, o->deps[i].version.build);
        rc = tlv_add(&c->prot, IMGTOOL_TLV_DEPENDENCY, d, sizeof(d));
    }
    if (!rc && c->comp_tlvs.len) {
        rc = dfu_imgtool_buf_append(&c->prot, c->comp_tlvs.data, c->comp_tlvs.len);
    }
    rc = rc ? rc : uuid_tlvs(c, diag);
    for (size_t i = 0; !rc && i < o->custom_count; i++) {
        rc = tlv_add(&c->prot, o->custom[i].tag, o->custom[i].value, o->custom[i].len);
    }
    if (!rc && c->prot.len + 4u > 0xffffu) {
        rc = dfu_imgtool_fail(diag, DFU_ERR_INVAL,
                              "protected TLVs total %zu bytes; the limit is 65535 - shorten "
                              "the custom TLVs",
                              c->prot.len + 4u);
    }
    return rc;
}

static void write_header(sign_ctx_t *c)
{
    const dfu_imgtool_sign_opts_t *o = c->o;
    uint32_t flags = 0;
    if (c->enc) {
        flags |=
            (o->encrypt_keylen == 256) ? IMGTOOL_F_ENCRYPTED_AES256 : IMGTOOL_F_ENCRYPTED_AES128;
    }
    flags |= o->load_addr ? IMGTOOL_F_RAM_LOAD : 0u;
    flags |= o->rom_fixed ? IMGTOOL_F_ROM_FIXED : 0u;
    flags |= o->non_bootable ? IMGTOOL_F_NON_BOOTABLE : 0u;
    flags |= c->extra_flags;
    uint8_t *h = c->img.data;
    memset(h, 0, IMGTOOL_HDR_SIZE);
    imgtool_put_le32(h + 0, IMGTOOL_IMAGE_MAGIC);
    imgtool_put_le32(h + 4, o->rom_fixed ? o->rom_fixed : o->load_addr);
    imgtool_put_le16(h + 8, o->header_size);
    imgtool_put_le16(h + 10, c->prot.len ? (uint32_t)c->prot.len + 4u : 0u);
    imgtool_put_le32(h + 12, (uint32_t)(c->img.len - o->header_size));
    imgtool_put_le32(h + 16, flags);
    h[20] = o->version.major;
    h[21] = o->version.minor;
    imgtool_put_le16(h + 22, o->version.revision);
    imgtool_put_le32(h + 24, o->version.build);
}

/* ---- steps 4-5: hash, signature, encryption
 * ---------------------------------------------------------- */

static int append_block(dfu_imgtool_buf_t *img, unsigned magic, const dfu_imgtool_buf_t *entries)
{
    if (entries->len == 0) {
        return DFU_OK;
    }
    uint8_t h[4];
    imgtool_put_le16(h, magic);
    imgtool_put_le16(h + 2, (uint32_t)entries->len + 4u);
    int rc = dfu_imgtool_buf_append(img, h, 4);
    return rc ? rc : dfu_imgtool_buf_append(img, entries->data, entries->len);
}

static int sign_and_hash(sign_ctx_t *c, dfu_imgtool_diag_t *diag)
{
    size_t body_len = c->img.len;
    int rc = append_block(&c->img, IMGTOOL_TLV_PROT_INFO_MAGIC, &c->prot);
    uint8_t digest[64];
    int dl = rc ? rc : imgtool_hash(c->hash_bits, c->img.data, c->img.len, digest);
    if (dl < 0) {
        return dfu_imgtool_fail(diag, DFU_ERR_CRYPTO, "hashing the image failed");
    }
    memcpy(c->digest, digest, (size_t)dl);
    c->digest_len = (size_t)dl;
    rc = tlv_add(&c->unprot, imgtool_hash_tlv(c->hash_bits), digest, (size_t)dl);
    if (!rc && c->o->pure) {
        rc = tlv_add(&c->unprot, IMGTOOL_TLV_SIG_PURE, "\x01", 1);
    }
    if (!rc && c->key) {
        dfu_imgtool_buf_t der = {0}, sig = {0};
        uint8_t kh[64];
        size_t khlen = 0;
        rc = key_hash(c, kh, &khlen, &der, diag);
        if (!rc) {
            rc = c->o->pubkey_full ? tlv_add(&c->unprot, IMGTOOL_TLV_PUBKEY, der.data, der.len)
                                   : tlv_add(&c->unprot, IMGTOOL_TLV_KEYHASH, kh, khlen);
        }
        const uint8_t *msg = c->o->pure ? c->img.data : digest;
        size_t mlen = c->o->pure ? c->img.len : (size_t)dl;
        rc = rc ? rc
                : imgtool_key_sign(c->key, c->hash_bits, digest, (size_t)dl, msg, mlen,
                                   c->o->pad_sig, &sig, diag);
        rc = rc ? rc : tlv_add(&c->unprot, imgtool_key_sig_tlv(c->key), sig.data, sig.len);
        rc = rc ? rc : dfu_imgtool_buf_append(&c->sig, sig.data, sig.len);
        dfu_imgtool_buf_free(&der);
        dfu_imgtool_buf_free(&sig);
    }
    c->img.len = body_len; /* drop the protected block again; re-added after encryption */
    return rc;
}

static int encrypt(sign_ctx_t *c, dfu_imgtool_diag_t *diag)
{
    if (!c->enc) {
        return DFU_OK;
    }
    size_t keylen = c->o->encrypt_keylen == 256 ? 32u : 16u;
    uint8_t aes[32];
    dfu_imgtool_buf_t tlv = {0};
    unsigned type = 0;
    if (imgtool_random(aes, keylen)) {
        return dfu_imgtool_fail(diag, DFU_ERR_CRYPTO, "no random numbers for the AES key");
    }
    int rc = imgtool_enc_wrap(c->enc, aes, keylen, c->o->hmac_sha ? c->o->hmac_sha : 256u, &tlv,
                              &type, diag);
    c->enctlv_len = tlv.len;
    rc = rc ? rc : tlv_add(&c->unprot, type, tlv.data, tlv.len);
    dfu_imgtool_buf_free(&tlv);
    if (!rc && !c->o->clear) {
        rc = imgtool_aes_ctr(aes, keylen, c->img.data + c->o->header_size,
                             c->img.len - c->o->header_size, diag);
    }
    memset(aes, 0, sizeof(aes));
    return rc;
}

/* ---- step 6: fit check and output
 * ---------------------------------------------------------------- */

static int write_output(sign_ctx_t *c, const char *out_path, bool hex, dfu_imgtool_diag_t *diag)
{
    const dfu_imgtool_sign_opts_t *o = c->o;
    bool pad = o->pad || o->confirm;
    uint32_t slot = o->slot_size;
    uint32_t magic_align = align_up(16, c->max_align);
    uint8_t magic[16];
    boot_magic(c->max_align, magic);
    if (!hex) {
        int rc = DFU_OK;
        if (pad) {
            rc = dfu_imgtool_buf_fill(&c->img, c->erased, slot - 16u - c->img.len);
            rc = rc ? rc : dfu_imgtool_buf_append(&c->img, magic, 16);
            if (!rc && o->confirm && !o->overwrite_only) {
                c->img.data[slot - magic_align - c->max_align] = 0x01;
            }
        }
        return rc ? rc : dfu_imgtool_file_write(out_path, c->img.data, c->img.len, diag);
    }
    if (!o->has_hex_addr && c->base_addr == UINT32_MAX) {
        return dfu_imgtool_fail(diag, DFU_ERR_INVAL,
                                "HEX output '%s' needs an address: the input is binary, so give "
                                "-x/--hex-addr (e.g. -x 0xc000)",
                                out_path);
    }
    uint32_t base = o->has_hex_addr ? o->hex_addr : c->base_addr;
    dfu_imgtool_hex_t h = {0};
    dfu_imgtool_buf_t text = {0};
    int rc = dfu_imgtool_hex_put(&h, base, c->img.data, c->img.len);
    if (!rc && pad && o->confirm && !o->overwrite_only) {
        uint8_t flag[32];
        memset(flag, c->erased, sizeof(flag));
        flag[0] = 0x01;
        rc = dfu_imgtool_hex_put(&h, base + slot - magic_align - c->max_align, flag, c->max_align);
    }
    if (!rc && pad) {
        rc = dfu_imgtool_hex_put(&h, base + slot - 16u, magic, 16);
    }
    rc = rc ? rc : dfu_imgtool_hex_format(&h, &text);
    rc = rc ? rc : dfu_imgtool_file_write(out_path, text.data, text.len, diag);
    dfu_imgtool_hex_free(&h);
    dfu_imgtool_buf_free(&text);
    return rc;
}

static bool path_is_hex(const char *p)
{
    size_t n = strlen(p);
    return n >= 4 && p[n - 4] == '.' && tolower((unsigned char)p[n - 3]) == 'h' &&
           tolower((unsigned char)p[n - 2]) == 'e' && tolower((unsigned char)p[n - 1]) == 'x';
}

/* Builds the image from `raw` into c->img (everything but the output step). */
static int build_image(sign_ctx_t *c, const dfu_imgtool_buf_t *raw, const char *in_path,
                       dfu_imgtool_diag_t *diag)
{
    int rc = load_input(c, raw, in_path, diag);
    rc = rc ? rc : build_protected(c, diag);
    if (rc) {
        return rc;
    }
    write_header(c);
    rc = sign_and_hash(c, diag);
    rc = rc ? rc : encrypt(c, diag);
    rc = rc ? rc : append_block(&c->img, IMGTOOL_TLV_PROT_INFO_MAGIC, &c->prot);
    rc = rc ? rc : append_block(&c->img, IMGTOOL_TLV_INFO_MAGIC, &c->unprot);
    if (rc) {
        return rc == DFU_ERR_NOMEM ? dfu_imgtool_fail(diag, rc, "out of memory") : rc;
    }
    uint32_t tsize = trailer_size(c);
    if (c->o->slot_size && (uint64_t)c->img.len + tsize > c->o->slot_size) {
        return dfu_imgtool_fail(diag, DFU_ERR_NOSPC,
                                "image too big for the slot: image 0x%zx + trailer 0x%x = 0x%llx "
                                "bytes > slot size (-S) 0x%x; use a larger -S or a smaller "
                                "image",
                                c->img.len, tsize, (unsigned long long)c->img.len + tsize,
                                c->o->slot_size);
    }
    return DFU_OK;
}

static void reset_image(sign_ctx_t *c)
{
    dfu_imgtool_buf_free(&c->img);
    dfu_imgtool_buf_free(&c->prot);
    dfu_imgtool_buf_free(&c->unprot);
    dfu_imgtool_buf_free(&c->sig);
}

/* --compression: imgtool first builds the plain image, then compresses the raw input and, if
 * compressed data + DECOMP_* TLV values are smaller than the input, rebuilds the image from
 * [2-byte LZMA2 properties][raw LZMA2 stream] with DECOMP_SIZE, DECOMP_SHA (plain image's hash)
 * and DECOMP_SIGNATURE (plain image's signature) as protected TLVs. */
static int maybe_compress(sign_ctx_t *c, const dfu_imgtool_buf_t *raw, uint32_t base,
                          const char *in_path, dfu_imgtool_diag_t *diag)
{
    dfu_imgtool_buf_t z = {0};
    int rc = imgtool_lzma2_compress(raw->data, raw->len, c->o->compression == 2, &z, diag);
    size_t tlv_values = 4u + c->digest_len + c->sig.len;
    if (rc || z.len - 2u + tlv_values >= raw->len) { /* imgtool ignores the 2-byte header */
        dfu_imgtool_buf_free(&z);
        return rc; /* not smaller: keep the plain image, as imgtool does */
    }
    uint8_t size[4];
    imgtool_put_le32(size, (uint32_t)raw->len);
    rc = tlv_add(&c->comp_tlvs, IMGTOOL_TLV_DECOMP_SIZE, size, 4);
    rc = rc ? rc : tlv_add(&c->comp_tlvs, IMGTOOL_TLV_DECOMP_SHA, c->digest, c->digest_len);
    if (!rc && c->sig.len) {
        rc = tlv_add(&c->comp_tlvs, IMGTOOL_TLV_DECOMP_SIGNATURE, c->sig.data, c->sig.len);
    }
    c->extra_flags =
        IMGTOOL_F_COMPRESSED_LZMA2 | (c->o->compression == 2 ? IMGTOOL_F_COMPRESSED_ARM_THUMB : 0u);
    reset_image(c);
    c->base_addr = base;
    rc = rc ? rc : build_image(c, &z, in_path, diag);
    dfu_imgtool_buf_free(&z);
    return rc;
}

static int sign_steps(sign_ctx_t *c, const char *in_path, const char *out_path,
                      dfu_imgtool_diag_t *diag)
{
    dfu_imgtool_buf_t raw = {0};
    int rc = check_opts(c, diag);
    rc = rc ? rc : load_keys(c, diag);
    rc = rc ? rc : dfu_imgtool_image_read(in_path, "input image", &raw, &c->base_addr, diag);
    uint32_t base = c->base_addr;
    rc = rc ? rc : build_image(c, &raw, in_path, diag);
    if (!rc && c->o->compression) {
        rc = maybe_compress(c, &raw, base, in_path, diag);
    }
    dfu_imgtool_buf_free(&raw);
    return rc ? rc : write_output(c, out_path, path_is_hex(out_path), diag);
}

int dfu_imgtool_sign_file(const dfu_imgtool_sign_opts_t *o, const char *in_path,
                          const char *out_path, dfu_imgtool_diag_t *diag)
{
    sign_ctx_t c;
    memset(&c, 0, sizeof(c));
    c.o = o;
    int rc = sign_steps(&c, in_path, out_path, diag);
    dfu_imgtool_key_free(c.key);
    dfu_imgtool_key_free(c.enc);
    reset_image(&c);
    dfu_imgtool_buf_free(&c.comp_tlvs);
    return rc;
}
