/* TLV area iteration (both blocks), lookup helpers, typed TLV decoders, TLV names.
 * Every entry header and data span is checked against the end of its own block before use, as
 * MCUboot's tlv.c does; offsets come from flash and are never trusted. */
#include <string.h>

#include "dfukit/dfu_err.h"
#include "image_priv.h"

/* Reads a 4-byte info header or entry header at `off` as two LE u16. */
static int read_pair(const dfu_image_reader_t *rd, uint32_t off, uint16_t *a, uint16_t *b)
{
    uint8_t raw[4];
    int rc = rd->read(rd->ctx, off, raw, sizeof(raw));
    if (rc < 0) {
        return rc;
    }
    *a = dfu_ld_le16(raw);
    *b = dfu_ld_le16(raw + 2);
    return 0;
}

/* Locates and checks the protected info header; sets prot_start/prot_end. */
static int begin_prot(dfu_image_tlv_iter_t *it, const dfu_image_header_t *hdr, uint64_t off)
{
    uint16_t magic, tot;
    it->prot_start = (uint32_t)off;
    it->prot_end = (uint32_t)off;
    if (hdr->protect_tlv_size == 0) {
        return 0;
    }
    if (off + DFU_IMAGE_TLV_INFO_SIZE > it->rd->size) {
        return DFU_ERR_CORRUPT;
    }
    int rc = read_pair(it->rd, (uint32_t)off, &magic, &tot);
    if (rc < 0) {
        return rc;
    }
    if (magic != DFU_IMAGE_TLV_PROT_INFO_MAGIC || tot != hdr->protect_tlv_size ||
        tot < DFU_IMAGE_TLV_INFO_SIZE) {
        return DFU_ERR_BAD_TLV;
    }
    if (off + tot > it->rd->size) {
        return DFU_ERR_CORRUPT;
    }
    it->prot_end = (uint32_t)(off + tot);
    return 0;
}

int dfu_image_tlv_begin(dfu_image_tlv_iter_t *it, const dfu_image_reader_t *rd,
                        const dfu_image_header_t *hdr, uint16_t type, int prot_only)
{
    uint16_t magic, tot;
    if (it == NULL || rd == NULL || rd->read == NULL || hdr == NULL) {
        return DFU_ERR_INVAL;
    }
    memset(it, 0, sizeof(*it));
    it->rd = rd;
    it->type = type;
    it->prot_only = prot_only ? 1u : 0u;
    uint64_t off = (uint64_t)hdr->hdr_size + hdr->img_size;
    if (off > rd->size) {
        return DFU_ERR_CORRUPT;
    }
    int rc = begin_prot(it, hdr, off);
    if (rc < 0) {
        return rc;
    }
    if ((uint64_t)it->prot_end + DFU_IMAGE_TLV_INFO_SIZE > rd->size) {
        return DFU_ERR_CORRUPT;
    }
    rc = read_pair(rd, it->prot_end, &magic, &tot);
    if (rc < 0) {
        return rc;
    }
    if (magic != DFU_IMAGE_TLV_INFO_MAGIC || tot < DFU_IMAGE_TLV_INFO_SIZE) {
        return DFU_ERR_BAD_TLV;
    }
    if ((uint64_t)it->prot_end + tot > rd->size) {
        return DFU_ERR_CORRUPT;
    }
    it->end = it->prot_end + tot;
    it->pos = it->prot_start + DFU_IMAGE_TLV_INFO_SIZE;
    return 0;
}

int dfu_image_tlv_next(dfu_image_tlv_iter_t *it, dfu_image_tlv_t *tlv)
{
    uint16_t type, len;
    if (it == NULL || it->rd == NULL || tlv == NULL) {
        return DFU_ERR_INVAL;
    }
    for (;;) {
        if (it->pos == it->prot_end && it->prot_start != it->prot_end) {
            if (it->prot_only) {
                return 0;
            }
            it->pos = it->prot_end + DFU_IMAGE_TLV_INFO_SIZE; /* skip the 0x6907 header */
        }
        int in_prot = it->pos < it->prot_end;
        if (it->pos >= it->end || (it->prot_only && !in_prot)) {
            return 0;
        }
        uint32_t blk_end = in_prot ? it->prot_end : it->end;
        if ((uint64_t)it->pos + 4u > blk_end) {
            return DFU_ERR_BAD_TLV;
        }
        int rc = read_pair(it->rd, it->pos, &type, &len);
        if (rc < 0) {
            return rc;
        }
        if ((uint64_t)it->pos + 4u + len > blk_end) {
            return DFU_ERR_BAD_TLV;
        }
        tlv->type = type;
        tlv->len = len;
        tlv->off = it->pos + 4u;
        tlv->prot = in_prot ? 1u : 0u;
        it->pos += 4u + len;
        if (it->type == DFU_IMAGE_TLV_ANY || it->type == type) {
            return 1;
        }
    }
}

uint32_t dfu_image_tlv_end(const dfu_image_tlv_iter_t *it)
{
    return it->end;
}

int dfu_image_tlv_find(const dfu_image_reader_t *rd, const dfu_image_header_t *hdr, uint16_t type,
                       int prot_only, dfu_image_tlv_t *tlv)
{
    dfu_image_tlv_iter_t it;
    int rc = dfu_image_tlv_begin(&it, rd, hdr, type, prot_only);
    if (rc < 0) {
        return rc;
    }
    rc = dfu_image_tlv_next(&it, tlv);
    if (rc < 0) {
        return rc;
    }
    return rc == 1 ? 0 : DFU_ERR_NOT_FOUND;
}

int dfu_image_tlv_read(const dfu_image_reader_t *rd, const dfu_image_tlv_t *tlv, uint8_t *buf,
                       size_t cap)
{
    if (rd == NULL || tlv == NULL || (buf == NULL && tlv->len != 0)) {
        return DFU_ERR_INVAL;
    }
    if (tlv->len > cap) {
        return DFU_ERR_NOMEM;
    }
    if ((uint64_t)tlv->off + tlv->len > rd->size) {
        return DFU_ERR_RANGE;
    }
    if (tlv->len == 0) {
        return 0;
    }
    return rd->read(rd->ctx, tlv->off, buf, tlv->len);
}

int dfu_image_security_counter(const dfu_image_reader_t *rd, const dfu_image_header_t *hdr,
                               uint32_t *out)
{
    dfu_image_tlv_t tlv;
    uint8_t raw[4];
    int rc = dfu_image_tlv_find(rd, hdr, DFU_IMAGE_TLV_SEC_CNT, 1, &tlv);
    if (rc < 0) {
        return rc;
    }
    if (tlv.len != sizeof(raw)) {
        return DFU_ERR_BAD_TLV;
    }
    rc = dfu_image_tlv_read(rd, &tlv, raw, sizeof(raw));
    if (rc < 0) {
        return rc;
    }
    *out = dfu_ld_le32(raw);
    return 0;
}

int dfu_image_dependency_parse(const uint8_t *data, size_t len, dfu_image_dependency_t *out)
{
    if (data == NULL || out == NULL) {
        return DFU_ERR_INVAL;
    }
    if (len != 12) {
        return DFU_ERR_BAD_TLV;
    }
    out->image_id = data[0];
    out->min_ver.major = data[4];
    out->min_ver.minor = data[5];
    out->min_ver.revision = dfu_ld_le16(data + 6);
    out->min_ver.build = dfu_ld_le32(data + 8);
    return 0;
}

/* ---- Names -------------------------------------------------------------------------------- */

typedef struct tlv_name {
    uint16_t type;
    const char *name;
} tlv_name_t;

static const tlv_name_t tlv_names[] = {
    {DFU_IMAGE_TLV_KEYHASH, "KEYHASH"},
    {DFU_IMAGE_TLV_PUBKEY, "PUBKEY"},
    {DFU_IMAGE_TLV_SHA256, "SHA256"},
    {DFU_IMAGE_TLV_SHA384, "SHA384"},
    {DFU_IMAGE_TLV_SHA512, "SHA512"},
    {DFU_IMAGE_TLV_RSA2048_PSS, "RSA2048_PSS"},
    {DFU_IMAGE_TLV_ECDSA224, "ECDSA224"},
    {DFU_IMAGE_TLV_ECDSA_SIG, "ECDSA_SIG"},
    {DFU_IMAGE_TLV_RSA3072_PSS, "RSA3072_PSS"},
    {DFU_IMAGE_TLV_ED25519, "ED25519"},
    {DFU_IMAGE_TLV_SIG_PURE, "SIG_PURE"},
    {DFU_IMAGE_TLV_ENC_RSA2048, "ENC_RSA2048"},
    {DFU_IMAGE_TLV_ENC_KW, "ENC_KW"},
    {DFU_IMAGE_TLV_ENC_EC256, "ENC_EC256"},
    {DFU_IMAGE_TLV_ENC_X25519, "ENC_X25519"},
    {DFU_IMAGE_TLV_ENC_X25519_SHA512, "ENC_X25519_SHA512"},
    {DFU_IMAGE_TLV_DEPENDENCY, "DEPENDENCY"},
    {DFU_IMAGE_TLV_SEC_CNT, "SEC_CNT"},
    {DFU_IMAGE_TLV_BOOT_RECORD, "BOOT_RECORD"},
    {DFU_IMAGE_TLV_DECOMP_SIZE, "DECOMP_SIZE"},
    {DFU_IMAGE_TLV_DECOMP_SHA, "DECOMP_SHA"},
    {DFU_IMAGE_TLV_DECOMP_SIGNATURE, "DECOMP_SIGNATURE"},
    {DFU_IMAGE_TLV_COMP_DEC_SIZE, "COMP_DEC_SIZE"},
    {DFU_IMAGE_TLV_UUID_VID, "UUID_VID"},
    {DFU_IMAGE_TLV_UUID_CID, "UUID_CID"},
};

const char *dfu_image_tlv_name(uint16_t type)
{
    for (size_t i = 0; i < sizeof(tlv_names) / sizeof(tlv_names[0]); i++) {
        if (tlv_names[i].type == type) {
            return tlv_names[i].name;
        }
    }
    if ((type & 0xffu) >= 0xa0u && type != DFU_IMAGE_TLV_ANY) {
        return "VENDOR";
    }
    return "UNKNOWN";
}
