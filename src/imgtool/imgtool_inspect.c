/* `image info` and `image verify`: thin host front-ends over the device image library
 * (dfu_image_header_parse, the TLV iterator, dfu_image_validate, dfu_image_trailer_decode), so
 * the tool and the bootloader share one parser. This file only formats results. */
#include <stdlib.h>
#include <string.h>

#include "dfukit/dfu_crypto.h"
#include "dfukit/dfu_image.h"
#include "imgtool_priv.h"

/* Parsed view of an image for printing. */
typedef struct {
    dfu_image_header_t hdr;
    dfu_image_tlv_t tlvs[128];
    size_t count;
    uint32_t prot_start, prot_end, tlv_end;
    const uint8_t *hash;
    size_t hash_len;
    unsigned hash_bits;
    bool has_trailer;
    uint32_t max_align; /* 0: trailer magic not recognised */
    dfu_image_trailer_t tr;
} info_t;

static const char *tlv_name(uint16_t type)
{
    /* imgtool's dumpinfo names, so the JSON matches `imgtool dumpinfo -f json` */
    switch (type) {
    case 0x01:
        return "KEYHASH";
    case 0x02:
        return "PUBKEY";
    case 0x10:
        return "SHA256";
    case 0x11:
        return "SHA384";
    case 0x12:
        return "SHA512";
    case 0x20:
        return "RSA2048";
    case 0x22:
        return "ECDSASIG";
    case 0x23:
        return "RSA3072";
    case 0x24:
        return "ED25519";
    case 0x25:
        return "SIG_PURE";
    case 0x30:
        return "ENCRSA2048";
    case 0x31:
        return "ENCKW";
    case 0x32:
        return "ENCEC256";
    case 0x33:
        return "ENCX25519";
    case 0x34:
        return "ENCX25519_SHA512";
    case 0x40:
        return "DEPENDENCY";
    case 0x50:
        return "SEC_CNT";
    case 0x60:
        return "BOOT_RECORD";
    case 0x70:
        return "DECOMP_SIZE";
    case 0x71:
        return "DECOMP_SHA";
    case 0x72:
        return "DECOMP_SIGNATURE";
    case 0x73:
        return "COMP_DEC_SIZE";
    case 0x74:
        return "UUID_VID";
    case 0x75:
        return "UUID_CID";
    default:
        return "UNKNOWN";
    }
}

static void detect_trailer(const uint8_t *img, size_t len, const dfu_image_reader_t *rd, info_t *in)
{
    static const uint8_t tail[14] = {0x2d, 0xe1, 0x5d, 0x29, 0x41, 0x0b, 0x8d,
                                     0x77, 0x67, 0x9c, 0x11, 0x0f, 0x1f, 0x8a};
    uint8_t std[16];
    if (len <= in->tlv_end || len < 16) {
        return;
    }
    in->has_trailer = true;
    const uint8_t *m = img + len - 16;
    dfu_image_trailer_magic(8, std);
    if (memcmp(m, std, 16) == 0) {
        in->max_align = 8;
    } else if (memcmp(m + 2, tail, 14) == 0) {
        in->max_align = imgtool_le16(m);
    }
    if (in->max_align &&
        dfu_image_trailer_decode(rd, (uint32_t)len, in->max_align, 0xff, &in->tr) != 0) {
        in->max_align = 0; /* unusual alignment or slot too small: show the magic only */
    }
}

static int info_parse(const uint8_t *img, size_t len, info_t *in, dfu_imgtool_diag_t *diag)
{
    dfu_image_reader_t rd;
    dfu_image_tlv_iter_t it;
    if (len > UINT32_MAX) {
        return dfu_imgtool_fail(diag, DFU_ERR_RANGE, "image larger than 4 GiB");
    }
    dfu_image_reader_mem(&rd, img, (uint32_t)len);
    int rc = dfu_image_header_parse(img, len, &in->hdr);
    if (rc == DFU_ERR_BAD_MAGIC || rc == DFU_ERR_CORRUPT) {
        return dfu_imgtool_fail(diag, rc,
                                "not an MCUboot image: %s at offset 0 (expected 3d b8 f3 96); "
                                "sign it with 'dfukit image sign' first",
                                rc == DFU_ERR_CORRUPT ? "file shorter than the 32-byte header"
                                                      : "bad header magic");
    }
    rc = rc ? rc : dfu_image_tlv_begin(&it, &rd, &in->hdr, DFU_IMAGE_TLV_ANY, 0);
    if (rc) {
        return dfu_imgtool_fail(diag, rc,
                                "TLV area at offset 0x%x is unreadable (%s); the image is "
                                "truncated or corrupt",
                                (unsigned)(in->hdr.hdr_size + in->hdr.img_size), dfu_strerror(rc));
    }
    in->prot_start = it.prot_start;
    in->prot_end = it.prot_end;
    in->tlv_end = dfu_image_tlv_end(&it);
    dfu_image_tlv_t t;
    while ((rc = dfu_image_tlv_next(&it, &t)) == 1) {
        if (in->count == sizeof(in->tlvs) / sizeof(in->tlvs[0])) {
            return dfu_imgtool_fail(diag, DFU_ERR_BAD_TLV, "more than 128 TLV entries");
        }
        in->tlvs[in->count++] = t;
        /* The first unprotected hash TLV. Test hash_bits (set with hash, never 0 once found)
         * rather than the pointer: `img + off` is never NULL, but a NULL test on it makes the
         * analyzer assume img can be. */
        if (!t.prot && !in->hash_bits && imgtool_hash_bits(t.type)) {
            in->hash = img + t.off;
            in->hash_len = t.len;
            in->hash_bits = imgtool_hash_bits(t.type);
        }
    }
    if (rc < 0) {
        return dfu_imgtool_fail(diag, rc,
                                "TLV entry at offset 0x%x runs past the end of its block; the "
                                "image is corrupt",
                                (unsigned)it.pos);
    }
    detect_trailer(img, len, &rd, in);
    return DFU_OK;
}

static int put_hex(dfu_imgtool_buf_t *o, const uint8_t *p, size_t n)
{
    int rc = DFU_OK;
    for (size_t i = 0; i < n && !rc; i++) {
        rc = dfu_imgtool_buf_printf(o, "%02x", p[i]);
    }
    return rc;
}

/* ---- JSON (imgtool `dumpinfo -f json` layout, indent 2) -------------------------------------- */

static int json_tlvs(dfu_imgtool_buf_t *o, const uint8_t *img, const info_t *in, bool prot)
{
    int rc = DFU_OK;
    bool first = true;
    for (size_t i = 0; i < in->count && !rc; i++) {
        const dfu_image_tlv_t *t = &in->tlvs[i];
        if ((t->prot != 0) != prot) {
            continue;
        }
        rc = dfu_imgtool_buf_printf(o,
                                    "%s\n      {\n        \"type\": %u,\n        \"type_name\": "
                                    "\"%s\",\n        \"len\": %u,\n        \"data\": \"",
                                    first ? "" : ",", t->type, tlv_name(t->type), t->len);
        rc = rc ? rc : put_hex(o, img + t->off, t->len);
        rc = rc ? rc : dfu_imgtool_buf_printf(o, "\"\n      }");
        first = false;
    }
    return rc ? rc : dfu_imgtool_buf_printf(o, first ? "]" : "\n    ]");
}

static int json_trailer(dfu_imgtool_buf_t *o, const uint8_t *img, size_t len, const info_t *in)
{
    if (!in->has_trailer) {
        return dfu_imgtool_buf_printf(o, "  \"trailer\": {}\n");
    }
    int rc = dfu_imgtool_buf_printf(o, "  \"trailer\": {\n    \"magic\": \"");
    rc = rc ? rc : put_hex(o, img + len - 16, 16);
    if (!in->max_align) {
        return rc ? rc : dfu_imgtool_buf_printf(o, "\"\n  }\n");
    }
    const dfu_image_trailer_t *t = &in->tr;
    rc = rc ? rc
            : dfu_imgtool_buf_printf(o,
                                     "\",\n    \"image_ok\": %u,\n    \"copy_done\": %u,\n    "
                                     "\"swap_info\": %u,\n    \"swap_size\": %lu",
                                     img[t->image_ok_off], img[t->copy_done_off], t->swap_info,
                                     (unsigned long)t->swap_size);
    if (!rc && (in->hdr.flags & (IMGTOOL_F_ENCRYPTED_AES128 | IMGTOOL_F_ENCRYPTED_AES256))) {
        uint32_t ka = in->max_align > 16 ? in->max_align : 16;
        rc = dfu_imgtool_buf_printf(o, ",\n    \"key_field_len\": %u", ka * 2u);
    }
    return rc ? rc : dfu_imgtool_buf_printf(o, "\n  }\n");
}

static int info_json(const uint8_t *img, size_t len, const char *name, const info_t *in,
                     dfu_imgtool_buf_t *o)
{
    const dfu_image_header_t *h = &in->hdr;
    char ver[48];
    snprintf(ver, sizeof(ver), "%u.%u.%u+%lu", h->ver.major, h->ver.minor, h->ver.revision,
             (unsigned long)h->ver.build);
    int rc = dfu_imgtool_buf_printf(o, "{\n  \"filename\": \"");
    for (const char *p = name; *p && !rc; p++) { /* JSON string escaping */
        unsigned char ch = (unsigned char)*p;
        rc = (ch == '"' || ch == '\\') ? dfu_imgtool_buf_printf(o, "\\%c", ch)
             : ch < 0x20               ? dfu_imgtool_buf_printf(o, "\\u%04x", ch)
                                       : dfu_imgtool_buf_printf(o, "%c", ch);
    }
    rc = rc ? rc
            : dfu_imgtool_buf_printf(o,
                                     "\",\n  \"version\": \"%s\",\n  \"hash_type\": \"%s\",\n"
                                     "  \"hash\": \"",
                                     ver, in->hash ? imgtool_hash_name(in->hash_bits) : "");
    rc = rc ? rc : put_hex(o, in->hash, in->hash ? in->hash_len : 0);
    rc = rc ? rc
            : dfu_imgtool_buf_printf(
                  o,
                  "\",\n  \"header\": {\n    \"magic\": %lu,\n    \"load_addr\": %lu,\n"
                  "    \"hdr_size\": %u,\n    \"protected_tlv_size\": %u,\n    \"img_size\": %lu,\n"
                  "    \"flags\": %lu,\n    \"version\": \"%s\"\n  },\n  \"tlv_area\": {\n",
                  (unsigned long)h->magic, (unsigned long)h->load_addr, h->hdr_size,
                  h->protect_tlv_size, (unsigned long)h->img_size, (unsigned long)h->flags, ver);
    if (!rc && in->prot_end > in->prot_start) {
        rc = dfu_imgtool_buf_printf(o,
                                    "    \"tlv_hdr_prot\": {\n      \"magic\": %lu,\n      "
                                    "\"tlv_tot\": %lu\n    },\n",
                                    (unsigned long)imgtool_le16(img + in->prot_start),
                                    (unsigned long)imgtool_le16(img + in->prot_start + 2));
    } else if (!rc) {
        rc = dfu_imgtool_buf_printf(o, "    \"tlv_hdr_prot\": {},\n");
    }
    rc = rc ? rc : dfu_imgtool_buf_printf(o, "    \"tlvs_prot\": [");
    rc = rc ? rc : json_tlvs(o, img, in, true);
    rc = rc ? rc
            : dfu_imgtool_buf_printf(o,
                                     ",\n    \"tlv_hdr\": {\n      \"magic\": %lu,\n      "
                                     "\"tlv_tot\": %lu\n    },\n    \"tlvs\": [",
                                     (unsigned long)imgtool_le16(img + in->prot_end),
                                     (unsigned long)imgtool_le16(img + in->prot_end + 2));
    rc = rc ? rc : json_tlvs(o, img, in, false);
    rc = rc ? rc : dfu_imgtool_buf_printf(o, "\n  },\n");
    rc = rc ? rc : json_trailer(o, img, len, in);
    return rc ? rc : dfu_imgtool_buf_printf(o, "}\n");
}

/* ---- human-readable -----------------------------------------------------------------------------
 */

static int text_flags(dfu_imgtool_buf_t *o, uint32_t f)
{
    static const struct {
        uint32_t bit;
        const char *name;
    } names[] = {{0x1, "PIC"},
                 {0x4, "ENCRYPTED_AES128"},
                 {0x8, "ENCRYPTED_AES256"},
                 {0x10, "NON_BOOTABLE"},
                 {0x20, "RAM_LOAD"},
                 {0x100, "ROM_FIXED"},
                 {0x200, "COMPRESSED_LZMA1"},
                 {0x400, "COMPRESSED_LZMA2"},
                 {0x800, "COMPRESSED_ARM_THUMB"}};
    int rc = dfu_imgtool_buf_printf(o, "  flags:          0x%08lx", (unsigned long)f);
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]) && !rc; i++) {
        if (f & names[i].bit) {
            rc = dfu_imgtool_buf_printf(o, " %s", names[i].name);
        }
    }
    return rc ? rc : dfu_imgtool_buf_printf(o, "\n");
}

/* A decoded value for the human-readable listing ("" if nothing to add). */
static int text_decoded(dfu_imgtool_buf_t *o, const uint8_t *d, const dfu_image_tlv_t *t)
{
    dfu_image_dependency_t dep;
    if (t->type == IMGTOOL_TLV_SEC_CNT && t->len == 4) {
        return dfu_imgtool_buf_printf(o, "        = security counter %lu\n",
                                      (unsigned long)imgtool_le32(d));
    }
    if (t->type == IMGTOOL_TLV_DEPENDENCY && dfu_image_dependency_parse(d, t->len, &dep) == 0) {
        return dfu_imgtool_buf_printf(o, "        = needs image %u >= %u.%u.%u+%lu\n", dep.image_id,
                                      dep.min_ver.major, dep.min_ver.minor, dep.min_ver.revision,
                                      (unsigned long)dep.min_ver.build);
    }
    if (t->type == DFU_IMGTOOL_TLV_SIM_APP && t->prot) {
        return dfu_imgtool_buf_printf(o, "        = simulator app \"%.*s\"\n", (int)t->len,
                                      (const char *)d);
    }
    return DFU_OK;
}

static const char *text_name(uint16_t type)
{
    if (type == DFU_IMGTOOL_TLV_SIM_APP) {
        return "SIM_APP";
    }
    if (strcmp(tlv_name(type), "UNKNOWN") == 0 && (type & 0xffu) >= 0xa0u) {
        return "VENDOR";
    }
    return tlv_name(type);
}

static int text_tlvs(dfu_imgtool_buf_t *o, const uint8_t *img, const info_t *in, bool prot)
{
    int rc = DFU_OK;
    for (size_t i = 0; i < in->count && !rc; i++) {
        const dfu_image_tlv_t *t = &in->tlvs[i];
        if ((t->prot != 0) != prot) {
            continue;
        }
        rc = dfu_imgtool_buf_printf(o, "    0x%04x %-16s len %-4u @0x%06lx  ", t->type,
                                    text_name(t->type), t->len, (unsigned long)t->off);
        size_t show = t->len > 32 ? 32 : t->len;
        rc = rc ? rc : put_hex(o, img + t->off, show);
        rc = rc ? rc : dfu_imgtool_buf_printf(o, "%s\n", show < t->len ? "..." : "");
        rc = rc ? rc : text_decoded(o, img + t->off, t);
    }
    return rc;
}

static int info_text(const uint8_t *img, size_t len, const char *name, const info_t *in,
                     dfu_imgtool_buf_t *o)
{
    const dfu_image_header_t *h = &in->hdr;
    int rc = dfu_imgtool_buf_printf(
        o,
        "image %s (%zu bytes)\nheader:\n  magic:          0x%08lx\n  load_addr:      0x%lx\n"
        "  hdr_size:       0x%x\n  protected_tlvs: 0x%x\n  img_size:       0x%lx (%lu)\n",
        name, len, (unsigned long)h->magic, (unsigned long)h->load_addr, h->hdr_size,
        h->protect_tlv_size, (unsigned long)h->img_size, (unsigned long)h->img_size);
    rc = rc ? rc : text_flags(o, h->flags);
    rc = rc ? rc
            : dfu_imgtool_buf_printf(o, "  version:        %u.%u.%u+%lu\n", h->ver.major,
                                     h->ver.minor, h->ver.revision, (unsigned long)h->ver.build);
    if (!rc && in->prot_end > in->prot_start) {
        rc = dfu_imgtool_buf_printf(o, "protected TLVs @0x%lx (0x%x bytes):\n",
                                    (unsigned long)in->prot_start, h->protect_tlv_size);
        rc = rc ? rc : text_tlvs(o, img, in, true);
    }
    rc = rc ? rc
            : dfu_imgtool_buf_printf(o, "TLVs @0x%lx (0x%lx bytes):\n", (unsigned long)in->prot_end,
                                     (unsigned long)(in->tlv_end - in->prot_end));
    rc = rc ? rc : text_tlvs(o, img, in, false);
    if (!rc && in->hash) {
        rc = dfu_imgtool_buf_printf(o, "hash (%s): ", imgtool_hash_name(in->hash_bits));
        rc = rc ? rc : put_hex(o, in->hash, in->hash_len);
        rc = rc ? rc : dfu_imgtool_buf_printf(o, "\n");
    }
    if (!rc && in->has_trailer && in->max_align) {
        rc = dfu_imgtool_buf_printf(
            o,
            "trailer (slot size 0x%zx, max-align %lu): magic good, image_ok 0x%02x, copy_done "
            "0x%02x, swap_info 0x%02x, swap_size 0x%08lx\n",
            len, (unsigned long)in->max_align, img[in->tr.image_ok_off], img[in->tr.copy_done_off],
            in->tr.swap_info, (unsigned long)in->tr.swap_size);
    } else if (!rc && in->has_trailer) {
        rc = dfu_imgtool_buf_printf(o,
                                    "trailer: %zu bytes after the TLVs, no trailer magic at "
                                    "the end\n",
                                    len - in->tlv_end);
    } else if (!rc) {
        rc = dfu_imgtool_buf_printf(o, "trailer: none (image not padded to a slot)\n");
    }
    return rc;
}

int dfu_imgtool_info(const uint8_t *img, size_t len, const char *name, bool json,
                     dfu_imgtool_buf_t *out, dfu_imgtool_diag_t *diag)
{
    info_t *in = calloc(1, sizeof(*in));
    if (!in) {
        return dfu_imgtool_fail(diag, DFU_ERR_NOMEM, "out of memory");
    }
    int rc = info_parse(img, len, in, diag);
    if (!rc) {
        rc = json ? info_json(img, len, name, in, out) : info_text(img, len, name, in, out);
    }
    free(in);
    return rc;
}

/* ---- verify ------------------------------------------------------------------------------------
 */

static unsigned alg_bits(dfu_hash_alg_t a)
{
    return a == DFU_HASH_SHA512 ? 512 : a == DFU_HASH_SHA384 ? 384 : 256;
}

static int verify_fail(const dfu_imgtool_key_t *key, const dfu_image_result_t *r,
                       dfu_imgtool_diag_t *diag)
{
    bool enc = (r->hdr.flags & (IMGTOOL_F_ENCRYPTED_AES128 | IMGTOOL_F_ENCRYPTED_AES256)) != 0;
    switch (r->err) {
    case DFU_ERR_BAD_MAGIC:
        return dfu_imgtool_fail(diag, r->err,
                                "invalid image magic 0x%08lx at offset 0: not an MCUboot image "
                                "(sign it with 'dfukit image sign')",
                                (unsigned long)r->hdr.magic);
    case DFU_ERR_HASH_MISMATCH:
        return dfu_imgtool_fail(diag, r->err,
                                enc ? "image hash does not match: the payload is encrypted and "
                                      "the hash covers the plaintext; pass the decryption key "
                                      "with --enc-key to check it"
                                    : "image hash does not match the %s TLV: the image was "
                                      "modified or corrupted after signing; re-sign it",
                                imgtool_hash_name(alg_bits(r->hash_alg)));
    case DFU_ERR_NO_SIGNATURE:
    case DFU_ERR_KEY_MISMATCH:
        if (key && r->hash_alg && !imgtool_key_allows_hash(key, alg_bits(r->hash_alg), false) &&
            !(r->flags & DFU_IMAGE_RF_PURE)) {
            return dfu_imgtool_fail(diag, r->err,
                                    "key type %s does not match the image's %s hash TLV; use "
                                    "the key the image was signed with",
                                    dfu_imgtool_key_type_name(key->type),
                                    imgtool_hash_name(alg_bits(r->hash_alg)));
        }
        return dfu_imgtool_fail(diag, r->err,
                                "no signature found for the given %s key: the image is unsigned "
                                "or signed with another key",
                                key ? dfu_imgtool_key_type_name(key->type) : "");
    case DFU_ERR_BAD_SIGNATURE:
        return dfu_imgtool_fail(diag, r->err,
                                "signature by the given key does not verify (TLV at offset "
                                "0x%lx): the signature or signed region was altered",
                                (unsigned long)r->err_off);
    case DFU_ERR_NOTSUP:
        return dfu_imgtool_fail(diag, r->err,
                                "cannot verify: %s at offset 0x%lx is not supported by dfukit's "
                                "image library",
                                r->reason ? r->reason : "a feature", (unsigned long)r->err_off);
    default:
        return dfu_imgtool_fail(diag, r->err,
                                "invalid image: %s at offset 0x%lx (%s); the file is truncated or "
                                "corrupt - re-create it with 'dfukit image sign'",
                                r->reason ? r->reason : "error", (unsigned long)r->err_off,
                                dfu_strerror(r->err));
    }
}

/* imgtool's success lines; a pure image checked with a key reports its signature instead of the
 * digest, as imgtool does. */
static int verify_report(const dfu_image_reader_t *rd, const dfu_image_result_t *r, bool with_key,
                         dfu_imgtool_buf_t *out)
{
    const dfu_image_version_t *v = &r->hdr.ver;
    dfu_image_tlv_t sig;
    int rc =
        dfu_imgtool_buf_printf(out, "Image was correctly validated\nImage version: %u.%u.%u+%lu\n",
                               v->major, v->minor, v->revision, (unsigned long)v->build);
    if (!rc && with_key && (r->flags & DFU_IMAGE_RF_PURE) && r->sig_type &&
        dfu_image_tlv_find(rd, &r->hdr, r->sig_type, 0, &sig) == 0) {
        rc = dfu_imgtool_buf_printf(out, "Image signature over image: ");
        rc = rc ? rc : put_hex(out, rd->mem + sig.off, sig.len);
    } else if (!rc) {
        rc = dfu_imgtool_buf_printf(out, "Image digest: ");
        rc = rc ? rc : put_hex(out, r->hash, r->hash_len);
    }
    return rc ? rc : dfu_imgtool_buf_printf(out, "\n");
}

int dfu_imgtool_verify(const uint8_t *img, size_t len, const dfu_imgtool_key_t *key,
                       const dfu_imgtool_key_t *enc_key, dfu_imgtool_buf_t *out,
                       dfu_imgtool_diag_t *diag)
{
    if (len > UINT32_MAX) {
        return dfu_imgtool_fail(diag, DFU_ERR_RANGE, "image larger than 4 GiB");
    }
    if (key && !imgtool_key_sig_tlv(key)) {
        return dfu_imgtool_fail(diag, DFU_ERR_INVAL,
                                "-k: a %s key cannot sign images; give the signing key "
                                "(or its public key)",
                                dfu_imgtool_key_type_name(key->type));
    }
    dfu_imgtool_buf_t der = {0}, priv = {0};
    int rc = key ? dfu_imgtool_key_pub_der(key, &der, diag) : DFU_OK;
    rc = (rc || !enc_key) ? rc : dfu_imgtool_key_priv_der(enc_key, false, &priv, diag);
    uint8_t *scratch = malloc(8192);
    dfu_image_result_t *r = calloc(1, sizeof(*r));
    if (rc || !scratch || !r) {
        free(scratch);
        free(r);
        dfu_imgtool_buf_free(&der);
        dfu_imgtool_buf_free(&priv);
        return rc ? rc : dfu_imgtool_fail(diag, DFU_ERR_NOMEM, "out of memory");
    }
    dfu_image_reader_t rd;
    dfu_image_reader_mem(&rd, img, (uint32_t)len);
    dfu_image_key_t k = {der.data, der.len};
    dfu_image_verify_cfg_t cfg;
    memset(&cfg, 0, sizeof(cfg));
    cfg.crypto = dfu_crypto_default();
    cfg.keys = key ? &k : NULL;
    cfg.key_count = key ? 1u : 0u;
    cfg.scratch = scratch;
    cfg.scratch_len = 8192;
    cfg.hash_alg = DFU_HASH_NONE;
    cfg.enc_priv = enc_key ? priv.data : NULL;
    cfg.enc_priv_len = priv.len;
    rc = dfu_image_validate(&rd, &cfg, r);
    if (rc) {
        r->err = rc;
        rc = verify_fail(key, r, diag);
    } else {
        rc = verify_report(&rd, r, key != NULL, out);
    }
    free(scratch);
    free(r);
    dfu_imgtool_buf_free(&der);
    dfu_imgtool_buf_free(&priv);
    return rc;
}
