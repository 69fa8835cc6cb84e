/*
 * Overwrite only (MCUBOOT_OVERWRITE_ONLY with the _FAST behaviour): no status, no revert.
 * TEST/PERM: erase the P sectors the image needs plus P's trailer sectors, copy the image from S
 * (rounded up to the write size), write P's magic (only the magic, as MCUboot's _FAST), then
 * scramble S's
 * header sector and S's trailer sectors. A reset anywhere before S's header is scrambled repeats
 * the whole copy (S still valid and pending); a reset between the two scrambles leaves a request
 * without an image, which the next boot refuses and clears.
 */
#include "boot_priv.h"

static int ow_check(const dfu_boot_t *b)
{
    return dfu_boot_max_image_size(b) > 0u ? DFU_OK : DFU_ERR_INVAL;
}

static uint32_t ow_max(const dfu_boot_t *b)
{
    /* MCUboot's limit (boot_swap_info_off): the image may share a sector with the trailer as long
     * as it ends before the swap_info field, in both slots. */
    uint32_t a = b->lp.swap_info_off;
    uint32_t c = b->ls.swap_info_off;
    return a < c ? a : c;
}

static int ow_read_status(dfu_boot_t *b, const dfu_boot_slot_state_t *p,
                          const dfu_boot_slot_state_t *s, dfu_boot_status_t *bs)
{
    bs->source = DFU_BOOT_SRC_NONE;
    return DFU_OK;
}

static int ow_run(dfu_boot_t *b, dfu_boot_status_t *bs)
{
    const dfu_flash_area_t *p = &b->cfg->primary;
    const dfu_flash_area_t *s = &b->cfg->secondary;
    uint32_t ss = b->sector_size;
    uint32_t w = dfu_flash_align(p);
    uint32_t len = (b->swap_size + w - 1u) / w * w;
    uint32_t used = (len + ss - 1u) / ss * ss;
    uint32_t pt = dfu_boot_trailer_sector_off(b, &b->lp);
    int rc = dfu_boot_erase_if_needed(p, 0, used);
    if (rc == 0) {
        rc = dfu_boot_erase_if_needed(p, pt, p->size - pt);
    }
    if (rc == 0) {
        rc = dfu_boot_copy(b, s, 0, p, 0, len);
    }
    if (rc == 0) {
        rc = dfu_boot_write_magic(p, &b->lp, b->tcfg.max_align);
    }
    if (rc == 0) {
        rc = dfu_flash_erase(s, 0, ss);
    }
    if (rc == 0) {
        rc = dfu_boot_erase_from(s, dfu_boot_trailer_sector_off(b, &b->ls));
    }
    return rc;
}

/* Overwrite never resumes: the image is always whole in S. */
static void ow_hdr_loc(const dfu_boot_t *b, uint32_t rec, const dfu_flash_area_t **fa,
                       uint32_t *off)
{
    *fa = &b->cfg->secondary;
    *off = 0;
}

const dfu_swap_geom_t dfu_swap_overwrite_geom = {
    .name = "overwrite",
    .records_per_sector = 0,
    .check_layout = ow_check,
    .max_image_size = ow_max,
};

const dfu_swap_ops_t dfu_swap_overwrite_ops = {
    .geom = &dfu_swap_overwrite_geom,
    .read_status = ow_read_status,
    .run = ow_run,
    .new_hdr_loc = ow_hdr_loc,
};
