/* Image header decode, memory reader, version ordering. */
#include <string.h>

#include "dfukit/dfu_err.h"
#include "image_priv.h"

/* ---- Memory reader ------------------------------------------------------------------------ */

static int mem_read(void *ctx, uint32_t off, void *buf, size_t len)
{
    memcpy(buf, (const uint8_t *)ctx + off, len);
    return 0;
}

void dfu_image_reader_mem(dfu_image_reader_t *rd, const uint8_t *buf, uint32_t len)
{
    rd->read = mem_read;
    rd->ctx = (void *)(uintptr_t)buf;
    rd->size = len;
    rd->mem = buf;
}

/* ---- Header ------------------------------------------------------------------------------- */

int dfu_image_header_parse(const uint8_t *raw, size_t len, dfu_image_header_t *out)
{
    if (raw == NULL || out == NULL) {
        return DFU_ERR_INVAL;
    }
    if (len < DFU_IMAGE_HEADER_SIZE) {
        return DFU_ERR_CORRUPT;
    }
    out->magic = dfu_ld_le32(raw + 0x00);
    out->load_addr = dfu_ld_le32(raw + 0x04);
    out->hdr_size = dfu_ld_le16(raw + 0x08);
    out->protect_tlv_size = dfu_ld_le16(raw + 0x0a);
    out->img_size = dfu_ld_le32(raw + 0x0c);
    out->flags = dfu_ld_le32(raw + 0x10);
    out->ver.major = raw[0x14];
    out->ver.minor = raw[0x15];
    out->ver.revision = dfu_ld_le16(raw + 0x16);
    out->ver.build = dfu_ld_le32(raw + 0x18);
    out->pad1 = dfu_ld_le32(raw + 0x1c);

    if (out->magic != DFU_IMAGE_MAGIC) {
        return DFU_ERR_BAD_MAGIC;
    }
    if (out->hdr_size < DFU_IMAGE_HEADER_SIZE) {
        return DFU_ERR_BAD_HEADER;
    }
    const uint32_t both = DFU_IMAGE_F_ENCRYPTED_AES128 | DFU_IMAGE_F_ENCRYPTED_AES256;
    if ((out->flags & both) == both) {
        return DFU_ERR_BAD_HEADER;
    }
    /* hdr_size and protect_tlv_size are u16, so only img_size can overflow the sum. */
    uint32_t fixed = (uint32_t)out->hdr_size + out->protect_tlv_size;
    if (out->img_size > UINT32_MAX - fixed) {
        return DFU_ERR_BAD_HEADER;
    }
    return 0;
}

int dfu_image_header_read(const dfu_image_reader_t *rd, dfu_image_header_t *out)
{
    uint8_t raw[DFU_IMAGE_HEADER_SIZE];
    if (rd == NULL || rd->read == NULL || out == NULL) {
        return DFU_ERR_INVAL;
    }
    if (rd->size < DFU_IMAGE_HEADER_SIZE) {
        return DFU_ERR_CORRUPT;
    }
    int rc = rd->read(rd->ctx, 0, raw, sizeof(raw));
    if (rc < 0) {
        return rc;
    }
    return dfu_image_header_parse(raw, sizeof(raw), out);
}

uint32_t dfu_image_hashed_size(const dfu_image_header_t *hdr)
{
    return (uint32_t)hdr->hdr_size + hdr->img_size + hdr->protect_tlv_size;
}

int dfu_image_version_cmp(const dfu_image_version_t *a, const dfu_image_version_t *b, int use_build)
{
    if (a->major != b->major) {
        return a->major < b->major ? -1 : 1;
    }
    if (a->minor != b->minor) {
        return a->minor < b->minor ? -1 : 1;
    }
    if (a->revision != b->revision) {
        return a->revision < b->revision ? -1 : 1;
    }
    if (use_build && a->build != b->build) {
        return a->build < b->build ? -1 : 1;
    }
    return 0;
}
