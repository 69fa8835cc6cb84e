/*
 * Swap using offset (MCUBOOT_SWAP_USING_OFFSET). The update sits at S + one sector, so S has the
 * spare sector and no up-shift pass is needed. Records (2 per sector, in P's trailer) are
 * indexed by loop position k = 0..N-1: record 2k + st.
 *   upgrade, sector i = k:      st 0: erase S[i],   copy P[i]   -> S[i]
 *                               st 1: erase P[i],   copy S[i+1] -> P[i]
 *   revert,  sector i = N-1-k:  st 0: erase S[i+1], copy P[i]   -> S[i+1]
 *                               st 1: erase P[i],   copy S[i]   -> P[i]
 *   after a revert: scramble S[0] and S's trailer (the reverted-from image stays at S+1 sector).
 * Upgrade result: new image in P, old image at S offset 0. Each step destroys only data already
 * copied elsewhere, so a step without its record is simply redone.
 * Revert fix-up (MCUboot fixup_revert): before re-initialising P's status, S gets copy_done +
 * an initialised trailer (magic GOOD, image_ok UNSET), which decision row I reads as REVERT.
 */
#include "boot_priv.h"

static uint32_t nsec(const dfu_boot_t *b, const dfu_flash_area_t *fa)
{
    return fa->size / b->sector_size;
}

static uint32_t trailer_sectors(const dfu_boot_t *b, const dfu_boot_trailer_layout_t *l,
                                const dfu_flash_area_t *fa)
{
    return (fa->size - dfu_boot_trailer_sector_off(b, l)) / b->sector_size;
}

static uint32_t off_max(const dfu_boot_t *b)
{
    uint32_t ss = b->sector_size;
    uint32_t np = nsec(b, &b->cfg->primary);
    uint32_t ns = nsec(b, &b->cfg->secondary);
    uint32_t tp = trailer_sectors(b, &b->lp, &b->cfg->primary);
    uint32_t ts = trailer_sectors(b, &b->ls, &b->cfg->secondary);
    uint32_t a = np > tp ? (np - tp) * ss : 0u;
    uint32_t c = ns > ts + 1u ? (ns - ts - 1u) * ss : 0u;
    return a < c ? a : c;
}

static int off_check(const dfu_boot_t *b)
{
    uint32_t np = nsec(b, &b->cfg->primary);
    uint32_t ns = nsec(b, &b->cfg->secondary);
    if (np != ns && np + 1u != ns) {
        return DFU_ERR_INVAL;
    }
    return off_max(b) > 0u ? DFU_OK : DFU_ERR_INVAL;
}

static uint32_t n_sectors(const dfu_boot_t *b, uint32_t swap_size)
{
    return (swap_size + b->sector_size - 1u) / b->sector_size;
}

static int off_read_status(dfu_boot_t *b, const dfu_boot_slot_state_t *p,
                           const dfu_boot_slot_state_t *s, dfu_boot_status_t *bs)
{
    if (!(p->magic == DFU_BOOT_MAGIC_GOOD && p->copy_done == DFU_BOOT_FLAG_UNSET &&
          s->magic != DFU_BOOT_MAGIC_GOOD)) {
        bs->source = DFU_BOOT_SRC_NONE;
        return DFU_OK;
    }
    bs->source = DFU_BOOT_SRC_PRIMARY;
    bs->swap_type = p->swap_type;
    bs->swap_size = p->swap_size;
    int holes = 0;
    int rc = dfu_boot_scan_records(&b->cfg->primary, &b->lp, 0, 0, &bs->rec, &holes);
    if (rc < 0) {
        return rc;
    }
    if (bs->rec > 0u && (holes || p->swap_size == 0u || p->swap_size > off_max(b))) {
        return DFU_ERR_BAD_STATUS;
    }
    return DFU_OK;
}

static int fixup_revert(dfu_boot_t *b)
{
    const dfu_flash_area_t *s = &b->cfg->secondary;
    dfu_boot_slot_state_t st;
    int rc = dfu_boot_read_state_l(s, &b->ls, b->tcfg.max_align, &st);
    if (rc < 0 || st.magic != DFU_BOOT_MAGIC_UNSET) {
        return rc;
    }
    uint32_t t = dfu_boot_trailer_sector_off(b, &b->ls);
    rc = dfu_boot_erase_if_needed(s, t, s->size - t);
    if (rc == 0) {
        rc = dfu_boot_write_flag(s, b->ls.copy_done_off);
    }
    if (rc == 0) {
        rc = dfu_boot_status_init(b, s, &b->ls);
    }
    return rc;
}

static int off_prepare(dfu_boot_t *b, dfu_boot_status_t *bs)
{
    const dfu_flash_area_t *p = &b->cfg->primary;
    const dfu_flash_area_t *s = &b->cfg->secondary;
    int rc = DFU_OK;
    if (bs->rec == 0u && b->swap_type == DFU_BOOT_SWAP_REVERT) {
        rc = fixup_revert(b);
    }
    if (rc == 0 && bs->rec == 0u && bs->source != DFU_BOOT_SRC_PRIMARY) {
        rc = dfu_boot_erase_from(p, dfu_boot_trailer_sector_off(b, &b->lp));
        if (rc == 0) {
            rc = dfu_boot_status_init(b, p, &b->lp);
        }
        bs->source = DFU_BOOT_SRC_PRIMARY;
    }
    if (rc == 0) {
        uint32_t t = dfu_boot_trailer_sector_off(b, &b->ls);
        rc = dfu_boot_erase_if_needed(s, t, s->size - t);
    }
    return rc;
}

static int step(dfu_boot_t *b, const dfu_flash_area_t *dst, uint32_t di,
                const dfu_flash_area_t *src, uint32_t si, uint32_t rec)
{
    uint32_t ss = b->sector_size;
    int rc = dfu_flash_erase(dst, di * ss, ss);
    if (rc == 0) {
        rc = dfu_boot_copy(b, src, si * ss, dst, di * ss, ss);
    }
    if (rc == 0) {
        rc = dfu_boot_write_record(&b->cfg->primary, &b->lp, rec, (uint8_t)(rec % 2u + 1u));
    }
    return rc;
}

static int off_run(dfu_boot_t *b, dfu_boot_status_t *bs)
{
    const dfu_flash_area_t *p = &b->cfg->primary;
    const dfu_flash_area_t *s = &b->cfg->secondary;
    uint32_t n = n_sectors(b, b->swap_size);
    int revert = b->swap_type == DFU_BOOT_SWAP_REVERT;
    if (n == 0u || b->swap_size > off_max(b)) {
        return DFU_ERR_BAD_STATUS;
    }
    int rc = off_prepare(b, bs);
    for (uint32_t r = bs->rec; rc == 0 && r < 2u * n; r++) {
        uint32_t k = r / 2u;
        if (!revert) {
            rc = (r % 2u == 0u) ? step(b, s, k, p, k, r) : step(b, p, k, s, k + 1u, r);
        } else {
            uint32_t i = n - 1u - k;
            rc = (r % 2u == 0u) ? step(b, s, i + 1u, p, i, r) : step(b, p, i, s, i, r);
        }
    }
    if (rc == 0 && revert) {
        uint32_t t = dfu_boot_trailer_sector_off(b, &b->ls);
        rc = dfu_boot_erase_if_needed(s, 0, b->sector_size);
        if (rc == 0) {
            rc = dfu_boot_erase_if_needed(s, t, s->size - t);
        }
    }
    return rc;
}

/* Upgrade: new image sector 0 (S[1]) reaches P[0] with record 1. */
static void off_hdr_loc(const dfu_boot_t *b, uint32_t rec, const dfu_flash_area_t **fa,
                        uint32_t *off)
{
    *fa = rec >= 2u ? &b->cfg->primary : &b->cfg->secondary;
    *off = rec >= 2u ? 0u : b->sector_size;
}

const dfu_swap_geom_t dfu_swap_offset_geom = {
    .name = "offset",
    .records_per_sector = 2,
    .check_layout = off_check,
    .max_image_size = off_max,
};

const dfu_swap_ops_t dfu_swap_offset_ops = {
    .geom = &dfu_swap_offset_geom,
    .read_status = off_read_status,
    .run = off_run,
    .new_hdr_loc = off_hdr_loc,
};
