/* Image group (1): erase, slot info, the group table and registration. */
#include <string.h>

#include "dfukit/dfu_err.h"
#include "img_priv.h"

/* ==== Erase (5) ============================================================================== */

static int img_erase(dfu_smp_req_t *req)
{
    dfu_smp_img_t *img = req->gctx;
    uint64_t slot = 1;
    const dfu_cbor_key_t keys[] = {{"slot", DFU_CBOR_WANT_UINT, 0, &slot}};
    int rc = dfu_smp_req_decode(req, keys, 1, NULL);
    if (rc != 0) {
        return rc;
    }
    if (slot > 1u) {
        dfu_smp_req_set_rsn(req, "slot must be 0 or 1");
        return DFU_ERR_NODEV;
    }
    dfu_smp_img_state_t st;
    rc = dfu_smp_img_get_state(img, &st);
    if (rc != 0) {
        return rc;
    }
    img_slot_info_t in;
    if (st.in_use[slot] && dfu_smp_img_slot_info(img, (unsigned)slot, st.swap_type, &in) == 0) {
        dfu_smp_req_set_rsn(req, slot == st.active ? "slot 0 holds the running image"
                                                   : dfu_smp_img_in_use_rsn(&st));
        return DFU_ERR_BUSY;
    }
    if (slot == 0) {
        /* The running image's slot is never erased, whatever it holds. */
        dfu_smp_req_set_rsn(req, "slot 0 holds the running image");
        return DFU_ERR_BUSY;
    }
    img->up.active = false;
    rc = dfu_smp_img_erase_range(img, 0, img->cfg.secondary.size);
    if (rc != 0) {
        dfu_smp_req_set_rsn(req, "flash erase failed");
        return rc == DFU_ERR_SMP_ERASE_FAILED ? rc : DFU_ERR_IO;
    }
    if (img->cfg.legacy_rc) {
        return dfu_cbor_put_str(req->w, "rc") && dfu_cbor_put_uint(req->w, 0) ? 0 : DFU_ERR_NOMEM;
    }
    return 0;
}

/* ==== Slot info (6) ========================================================================== */

static int img_slot_info(dfu_smp_req_t *req)
{
    dfu_smp_img_t *img = req->gctx;
    int rc = dfu_smp_req_decode(req, NULL, 0, NULL);
    if (rc != 0) {
        return rc;
    }
    dfu_cbor_writer_t *w = req->w;
    bool ok = dfu_cbor_put_str(w, "images") && dfu_cbor_put_array_indef(w) &&
              dfu_cbor_put_map_indef(w) && dfu_cbor_put_str(w, "image") &&
              dfu_cbor_put_uint(w, 0) && dfu_cbor_put_str(w, "slots") &&
              dfu_cbor_put_array_indef(w);
    for (unsigned s = 0; ok && s < 2u; s++) {
        const dfu_flash_area_t *fa = s == 0 ? &img->cfg.primary : &img->cfg.secondary;
        ok = dfu_cbor_put_map_indef(w) && dfu_cbor_put_str(w, "slot") && dfu_cbor_put_uint(w, s) &&
             dfu_cbor_put_str(w, "size") && dfu_cbor_put_uint(w, fa->size);
        if (ok && s == 1u) {
            ok = dfu_cbor_put_str(w, "upload_image_id") && dfu_cbor_put_uint(w, 0);
        }
        ok = ok && dfu_cbor_put_break(w);
    }
    ok = ok && dfu_cbor_put_break(w) && dfu_cbor_put_str(w, "max_image_size") &&
         dfu_cbor_put_uint(w, img->max_image) && dfu_cbor_put_break(w) && dfu_cbor_put_break(w);
    return ok ? 0 : DFU_ERR_NOMEM;
}

/* ==== Group table ============================================================================ */

static const dfu_smp_handler_t img_handlers[] = {
    [0] = {.read = dfu_smp_img_state_read, .write = dfu_smp_img_state_write},
    [1] = {.read = NULL, .write = dfu_smp_img_upload},
    [5] = {.read = NULL, .write = img_erase},
    [6] = {.read = img_slot_info, .write = NULL},
};

/* dfu_err -> {group rc, legacy rc} (Zephyr's img_mgmt_translate_error_code for v1). */
static const dfu_smp_errmap_t img_errmap[] = {
    {DFU_ERR_BUSY, DFU_SMP_IMG_ERR_NO_FREE_SLOT, DFU_SMP_RC_EBADSTATE},
    {DFU_ERR_EXIST, DFU_SMP_IMG_ERR_IMAGE_ALREADY_PENDING, DFU_SMP_RC_EBADSTATE},
    {DFU_ERR_DOWNGRADE, DFU_SMP_IMG_ERR_CURRENT_VERSION_IS_NEWER, DFU_SMP_RC_EBADSTATE},
    {DFU_ERR_NOT_FOUND, DFU_SMP_IMG_ERR_HASH_NOT_FOUND, DFU_SMP_RC_EUNKNOWN},
    {DFU_ERR_BAD_MAGIC, DFU_SMP_IMG_ERR_INVALID_IMAGE_HEADER_MAGIC, DFU_SMP_RC_EUNKNOWN},
    {DFU_ERR_BAD_HEADER, DFU_SMP_IMG_ERR_INVALID_IMAGE_HEADER, DFU_SMP_RC_EINVAL},
    {DFU_ERR_NOSPC, DFU_SMP_IMG_ERR_INVALID_IMAGE_TOO_LARGE, DFU_SMP_RC_EUNKNOWN},
    {DFU_ERR_RANGE, DFU_SMP_IMG_ERR_INVALID_IMAGE_DATA_OVERRUN, DFU_SMP_RC_EUNKNOWN},
    {DFU_ERR_IO, DFU_SMP_IMG_ERR_FLASH_WRITE_FAILED, DFU_SMP_RC_EUNKNOWN},
    {DFU_ERR_SMP_ERASE_FAILED, DFU_SMP_IMG_ERR_FLASH_ERASE_FAILED, DFU_SMP_RC_EUNKNOWN},
    {DFU_ERR_NODEV, DFU_SMP_IMG_ERR_INVALID_SLOT, DFU_SMP_RC_EINVAL},
    {DFU_ERR_SMP_NO_OFF, DFU_SMP_IMG_ERR_INVALID_OFFSET, DFU_SMP_RC_EINVAL},
    {DFU_ERR_SMP_NO_LEN, DFU_SMP_IMG_ERR_INVALID_LENGTH, DFU_SMP_RC_EINVAL},
    {DFU_ERR_SMP_BAD_HASH, DFU_SMP_IMG_ERR_INVALID_HASH, DFU_SMP_RC_EINVAL},
    {DFU_ERR_SMP_TEST_ACTIVE, DFU_SMP_IMG_ERR_IMAGE_SETTING_TEST_TO_ACTIVE_DENIED,
     DFU_SMP_RC_EUNKNOWN},
    {DFU_ERR_SMP_DENIED, DFU_SMP_IMG_ERR_IMAGE_CONFIRMATION_DENIED, DFU_SMP_RC_EUNKNOWN},
    /* BAD primary magic on confirm: MCUboot's BOOT_EBADVECT, which Zephyr reports as 29. */
    {DFU_ERR_BAD_TRAILER, DFU_SMP_IMG_ERR_INVALID_IMAGE_VECTOR_TABLE, DFU_SMP_RC_EUNKNOWN},
};

const dfu_smp_group_t dfu_smp_img_group = {
    .id = DFU_SMP_GROUP_IMAGE,
    .handlers = img_handlers,
    .count = sizeof(img_handlers) / sizeof(img_handlers[0]),
    .errmap = img_errmap,
    .errmap_count = sizeof(img_errmap) / sizeof(img_errmap[0]),
};

/* ==== Registration =========================================================================== */

/* The largest image the bootloader installs with this layout and strategy (MCUboot's limit, and
 * what the swap can move), so an upload it would refuse is refused up front with err 30 and
 * slot-info reports the same number. Swap-using-scratch needs the scratch area for that; without
 * one the image must end before the first trailer sector of either slot, a bound no larger than
 * the bootloader's. 0: unusable layout. */
static uint32_t upload_limit(const dfu_smp_img_cfg_t *cfg, const dfu_boot_trailer_layout_t *sl,
                             uint32_t img_off)
{
    const dfu_flash_area_t *scratch = cfg->scratch.size != 0u ? &cfg->scratch : NULL;
    if (cfg->trailer.strategy != DFU_BOOT_STRATEGY_SCRATCH || scratch != NULL) {
        return dfu_boot_max_image_size_for(&cfg->trailer, &cfg->primary, &cfg->secondary, scratch);
    }
    dfu_boot_trailer_layout_t pl;
    if (dfu_boot_trailer_layout(&cfg->trailer, cfg->primary.size, dfu_flash_align(&cfg->primary),
                                &pl) != 0) {
        return 0u;
    }
    uint32_t sector = dfu_flash_sector_size(&cfg->secondary);
    uint32_t p_end = pl.status_off - pl.status_off % sector;
    uint32_t s_end = sl->status_off - sl->status_off % sector;
    uint32_t end = p_end < s_end ? p_end : s_end;
    return end > img_off ? end - img_off : 0u;
}

int dfu_smp_img_register(dfu_smp_server_t *srv, dfu_smp_img_t *img, const dfu_smp_img_cfg_t *cfg)
{
    if (img == NULL || cfg == NULL || dfu_flash_area_check(&cfg->primary) != 0 ||
        dfu_flash_area_check(&cfg->secondary) != 0) {
        return DFU_ERR_INVAL;
    }
    memset(img, 0, sizeof(*img));
    img->cfg = *cfg;
    const dfu_flash_area_t *sec = &img->cfg.secondary;
    uint32_t align = dfu_flash_align(sec);
    uint32_t sector = dfu_flash_sector_size(sec);
    if (align > sizeof(img->up.tail) || dfu_flash_align(&img->cfg.primary) != align) {
        return DFU_ERR_INVAL;
    }
    dfu_boot_trailer_layout_t lay;
    if (dfu_boot_trailer_layout(&img->cfg.trailer, sec->size, align, &lay) != 0) {
        return DFU_ERR_INVAL;
    }
    img->img_off = dfu_boot_secondary_image_off(&img->cfg.trailer, sec);
    img->trailer_start = lay.status_off - lay.status_off % sector;
    if (img->img_off >= lay.status_off) {
        return DFU_ERR_INVAL;
    }
    img->max_image = upload_limit(&img->cfg, &lay, img->img_off);
    if (img->max_image == 0u) {
        return DFU_ERR_INVAL; /* a layout the bootloader would refuse */
    }
    return dfu_smp_server_register(srv, &dfu_smp_img_group, img);
}
