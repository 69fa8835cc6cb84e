/*
 * Swap using scratch (MCUBOOT_SWAP_USING_SCRATCH).
 *
 * Regions are runs of R = scratch_size / sector sectors, processed from the highest address
 * down; region idx 1 is the highest. Records: 3 per region, index 3(idx-1) + st, in P's trailer.
 *   st 0: erase scratch; [idx 1: temporary trailer in scratch (swap_info, image_ok from S,
 *         swap_size, magic), scramble + initialise P's trailer, erase scratch again];
 *         copy S[region] -> scratch
 *   st 1: erase S[region], copy P[region] -> S[region]; [idx 1: scramble S's trailer]
 *   st 2: erase P[region], copy scratch -> P[region]
 * Status source (MCUboot's boot_status_tables, in order): P GOOD + copy_done SET + scratch not
 * GOOD -> none; P GOOD + copy_done UNSET + scratch not GOOD -> primary; scratch GOOD -> scratch;
 * P UNSET + copy_done UNSET -> primary; else none.
 * Scratch is always erased last-sector-first so a cut mid-erase never leaves a readable magic.
 * Restriction: images must end before P's first trailer sector, so the region holding the
 * trailer is never swapped and MCUboot's "use_scratch" status-in-scratch path never arises
 * (such a state written by MCUboot is reported as DFU_ERR_BAD_STATUS, not resumed).
 */
#include "boot_priv.h"

static uint32_t sc_max(const dfu_boot_t *b)
{
    uint32_t a = dfu_boot_trailer_sector_off(b, &b->lp);
    uint32_t c = dfu_boot_trailer_sector_off(b, &b->ls);
    return a < c ? a : c;
}

static int sc_check(const dfu_boot_t *b)
{
    const dfu_boot_cfg_t *c = b->cfg;
    if (c->scratch.size < b->sector_size || c->primary.size != c->secondary.size) {
        return DFU_ERR_INVAL;
    }
    return sc_max(b) > 0u ? DFU_OK : DFU_ERR_INVAL;
}

static int sc_read_status(dfu_boot_t *b, const dfu_boot_slot_state_t *p,
                          const dfu_boot_slot_state_t *s, dfu_boot_status_t *bs)
{
    dfu_boot_slot_state_t x;
    int rc = dfu_boot_read_state_l(&b->cfg->scratch, &b->lx, b->tcfg.max_align, &x);
    if (rc < 0) {
        return rc;
    }
    const dfu_flash_area_t *fa = &b->cfg->primary;
    const dfu_boot_trailer_layout_t *l = &b->lp;
    const dfu_boot_slot_state_t *src = p;
    if (p->magic == DFU_BOOT_MAGIC_GOOD && x.magic != DFU_BOOT_MAGIC_GOOD) {
        bs->source = p->copy_done == DFU_BOOT_FLAG_SET     ? DFU_BOOT_SRC_NONE
                     : p->copy_done == DFU_BOOT_FLAG_UNSET ? DFU_BOOT_SRC_PRIMARY
                                                           : DFU_BOOT_SRC_NONE;
    } else if (x.magic == DFU_BOOT_MAGIC_GOOD) {
        bs->source = DFU_BOOT_SRC_SCRATCH;
        fa = &b->cfg->scratch;
        l = &b->lx;
        src = &x;
    } else if (p->magic == DFU_BOOT_MAGIC_UNSET && p->copy_done == DFU_BOOT_FLAG_UNSET) {
        bs->source = DFU_BOOT_SRC_PRIMARY;
    } else {
        bs->source = DFU_BOOT_SRC_NONE;
    }
    if (bs->source == DFU_BOOT_SRC_NONE) {
        return DFU_OK;
    }
    bs->swap_type = src->swap_type;
    bs->swap_size = src->swap_size;
    int holes = 0;
    rc = dfu_boot_scan_records(fa, l, 0, 0, &bs->rec, &holes);
    if (rc < 0) {
        return rc;
    }
    if (bs->rec > 0u && (holes || bs->source == DFU_BOOT_SRC_SCRATCH || src->swap_size == 0u ||
                         src->swap_size > sc_max(b))) {
        return DFU_ERR_BAD_STATUS;
    }
    return DFU_OK;
}

static int erase_scratch(dfu_boot_t *b)
{
    return dfu_boot_erase_from(&b->cfg->scratch, 0);
}

static int record(dfu_boot_t *b, uint32_t rec)
{
    return dfu_boot_write_record(&b->cfg->primary, &b->lp, rec, (uint8_t)(rec % 3u + 1u));
}

/* Region idx 1, state 0 prologue: park the swap type in scratch while P's trailer is redone. */
static int init_trailers(dfu_boot_t *b)
{
    const dfu_flash_area_t *p = &b->cfg->primary;
    int rc = dfu_boot_status_init(b, &b->cfg->scratch, &b->lx);
    if (rc == 0) {
        rc = dfu_boot_erase_from(p, dfu_boot_trailer_sector_off(b, &b->lp));
    }
    if (rc == 0) {
        rc = dfu_boot_status_init(b, p, &b->lp);
    }
    if (rc == 0) {
        rc = erase_scratch(b);
    }
    return rc;
}

static int region_step(dfu_boot_t *b, uint32_t idx, uint32_t st, uint32_t off, uint32_t len)
{
    const dfu_flash_area_t *p = &b->cfg->primary;
    const dfu_flash_area_t *s = &b->cfg->secondary;
    const dfu_flash_area_t *x = &b->cfg->scratch;
    int rc;
    switch (st) {
    case 0:
        rc = erase_scratch(b);
        if (rc == 0 && idx == 1u) {
            rc = init_trailers(b);
        }
        if (rc == 0) {
            rc = dfu_boot_copy(b, s, off, x, 0, len);
        }
        break;
    case 1:
        rc = dfu_flash_erase(s, off, len);
        if (rc == 0) {
            rc = dfu_boot_copy(b, p, off, s, off, len);
        }
        if (rc == 0 && idx == 1u) {
            rc = dfu_boot_erase_from(s, dfu_boot_trailer_sector_off(b, &b->ls));
        }
        break;
    default:
        rc = dfu_flash_erase(p, off, len);
        if (rc == 0) {
            rc = dfu_boot_copy(b, x, 0, p, off, len);
        }
        break;
    }
    return rc == 0 ? record(b, (idx - 1u) * 3u + st) : rc;
}

static int sc_run(dfu_boot_t *b, dfu_boot_status_t *bs)
{
    uint32_t ss = b->sector_size;
    uint32_t n = (b->swap_size + ss - 1u) / ss;
    uint32_t r = b->cfg->scratch.size / ss;
    if (n == 0u || b->swap_size > sc_max(b)) {
        return DFU_ERR_BAD_STATUS;
    }
    uint32_t regions = (n + r - 1u) / r;
    int rc = DFU_OK;
    for (uint32_t rec = bs->rec; rc == 0 && rec < regions * 3u; rec++) {
        uint32_t idx = rec / 3u + 1u;
        uint32_t last = n - 1u - (idx - 1u) * r; /* inclusive sector index */
        uint32_t first = last + 1u >= r ? last + 1u - r : 0u;
        rc = region_step(b, idx, rec % 3u, first * ss, (last - first + 1u) * ss);
    }
    return rc;
}

/* Sector 0 is in the last region R: whole in S until R's state 0 is recorded (a copy is then in
 * scratch, and S[0] is erased by state 1), in scratch until state 2 is recorded, then in P. */
static void sc_hdr_loc(const dfu_boot_t *b, uint32_t rec, const dfu_flash_area_t **fa,
                       uint32_t *off)
{
    uint32_t ss = b->sector_size;
    uint32_t n = (b->swap_size + ss - 1u) / ss;
    uint32_t r = b->cfg->scratch.size / ss;
    uint32_t regions = (n + r - 1u) / r;
    uint32_t st0_done = (regions - 1u) * 3u + 1u; /* records written once R's state 0 is done */
    *off = 0;
    *fa = rec < st0_done       ? &b->cfg->secondary
          : rec < regions * 3u ? &b->cfg->scratch
                               : &b->cfg->primary;
}

const dfu_swap_geom_t dfu_swap_scratch_geom = {
    .name = "scratch",
    .records_per_sector = 3,
    .check_layout = sc_check,
    .max_image_size = sc_max,
};

const dfu_swap_ops_t dfu_swap_scratch_ops = {
    .geom = &dfu_swap_scratch_geom,
    .read_status = sc_read_status,
    .run = sc_run,
    .new_hdr_loc = sc_hdr_loc,
};
