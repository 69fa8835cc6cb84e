/* Read-only decode of the slot trailer fields (magic, image_ok, copy_done, swap_info,
 * swap_size) for the swap-scratch/move/overwrite layout and the swap-using-offset one. Layout:
 * mcuboot-format.md section 3. Every field sits in its own max_align unit,
 * counted back from the end of the slot. */
#include <string.h>

#include "dfukit/dfu_err.h"
#include "image_priv.h"

static const uint8_t magic_tail[14] = {0x2d, 0xe1, 0x5d, 0x29, 0x41, 0x0b, 0x8d,
                                       0x77, 0x67, 0x9c, 0x11, 0x0f, 0x1f, 0x8a};
static const uint8_t magic_v8[16] = {0x77, 0xc2, 0x95, 0xf3, 0x60, 0xd2, 0xef, 0x7f,
                                     0x35, 0x52, 0x50, 0x0f, 0x2c, 0xb6, 0x79, 0x80};

int dfu_image_trailer_magic(uint32_t max_align, uint8_t out[16])
{
    if (max_align == 8) {
        memcpy(out, magic_v8, sizeof(magic_v8));
        return 0;
    }
    if (max_align == 16 || max_align == 32) {
        out[0] = (uint8_t)max_align;
        out[1] = 0;
        memcpy(out + 2, magic_tail, sizeof(magic_tail));
        return 0;
    }
    return DFU_ERR_INVAL;
}

static uint8_t decode_flag(uint8_t v, uint8_t erased_val)
{
    if (v == erased_val) {
        return DFU_IMAGE_FLAG_UNSET;
    }
    return v == 0x01 ? DFU_IMAGE_FLAG_SET : DFU_IMAGE_FLAG_BAD;
}

static int read_byte(const dfu_image_reader_t *rd, uint32_t off, uint8_t *v)
{
    return rd->read(rd->ctx, off, v, 1);
}

int dfu_image_trailer_decode(const dfu_image_reader_t *rd, uint32_t slot_size, uint32_t max_align,
                             uint8_t erased_val, dfu_image_trailer_t *out)
{
    return dfu_image_trailer_decode_mode(rd, slot_size, max_align, erased_val,
                                         DFU_IMAGE_TRAILER_MODE_SWAP, out);
}

int dfu_image_trailer_decode_mode(const dfu_image_reader_t *rd, uint32_t slot_size,
                                  uint32_t max_align, uint8_t erased_val, int mode,
                                  dfu_image_trailer_t *out)
{
    uint8_t want[16], got[16], raw[4], v;
    if (rd == NULL || rd->read == NULL || out == NULL ||
        dfu_image_trailer_magic(max_align, want) != 0 ||
        (mode != DFU_IMAGE_TRAILER_MODE_SWAP && mode != DFU_IMAGE_TRAILER_MODE_OFFSET)) {
        return DFU_ERR_INVAL;
    }
    /* magic unit (ALIGN_UP(16, MA)) + image_ok, copy_done, swap_info, swap_size units, and in
     * swap-using-offset builds the "unprotected TLV sizes" unit between swap_info and
     * swap_size (so swap_size moves down one MA: E-56 instead of E-48 at MA 8). */
    uint32_t magic_unit = max_align > 16 ? max_align : 16;
    uint32_t units = mode == DFU_IMAGE_TRAILER_MODE_OFFSET ? 5u : 4u;
    if (slot_size > rd->size || slot_size < magic_unit + units * max_align) {
        return DFU_ERR_RANGE;
    }
    memset(out, 0, sizeof(*out));
    out->magic_off = slot_size - 16u;
    out->image_ok_off = slot_size - magic_unit - max_align;
    out->copy_done_off = out->image_ok_off - max_align;
    out->swap_info_off = out->copy_done_off - max_align;
    out->swap_size_off = out->swap_info_off - (units - 3u) * max_align;

    int rc = rd->read(rd->ctx, out->magic_off, got, sizeof(got));
    if (rc < 0) {
        return rc;
    }
    uint8_t erased[16];
    memset(erased, erased_val, sizeof(erased));
    out->magic = memcmp(got, want, 16) == 0     ? DFU_IMAGE_TRAILER_MAGIC_GOOD
                 : memcmp(got, erased, 16) == 0 ? DFU_IMAGE_TRAILER_MAGIC_UNSET
                                                : DFU_IMAGE_TRAILER_MAGIC_BAD;
    if ((rc = read_byte(rd, out->image_ok_off, &v)) < 0) {
        return rc;
    }
    out->image_ok = decode_flag(v, erased_val);
    if ((rc = read_byte(rd, out->copy_done_off, &v)) < 0) {
        return rc;
    }
    out->copy_done = decode_flag(v, erased_val);
    if ((rc = read_byte(rd, out->swap_info_off, &out->swap_info)) < 0) {
        return rc;
    }
    if ((rc = rd->read(rd->ctx, out->swap_size_off, raw, sizeof(raw))) < 0) {
        return rc;
    }
    out->swap_size = dfu_ld_le32(raw);
    return 0;
}
