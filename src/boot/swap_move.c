/*
 * Swap using move (MCUBOOT_SWAP_USING_MOVE).
 *
 * N = sectors covered by swap_size. Status records live in P's trailer: records 0..MAX-1 are the
 * move records (record i-1 after the i-th move), records MAX + 2(i-1) + st the swap records.
 *   move i (1..N):   t = N-i+1: erase P[t], copy P[t-1] -> P[t]           record i-1
 *   swap i (1..N):   st 0: erase P[i-1], copy S[i-1] -> P[i-1]            record MAX+2(i-1)
 *                    st 1: erase S[i-1], copy P[i]   -> S[i-1]            record MAX+2(i-1)+1
 * Each step only destroys data that already exists elsewhere, so redoing a step whose record is
 * missing is always safe (reset window = between the copy and the record write).
 * Before the first move: [revert fix-up], P trailer scrambled + initialised (magic last) unless P
 * is already the status source, then S trailer scrambled.
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

static int move_check(const dfu_boot_t *b)
{
    uint32_t np = nsec(b, &b->cfg->primary);
    uint32_t ns = nsec(b, &b->cfg->secondary);
    if (np != ns && np != ns + 1u) {
        return DFU_ERR_INVAL;
    }
    return dfu_boot_max_image_size(b) > 0u ? DFU_OK : DFU_ERR_INVAL;
}

static uint32_t move_max(const dfu_boot_t *b)
{
    uint32_t ss = b->sector_size;
    uint32_t np = nsec(b, &b->cfg->primary);
    uint32_t ns = nsec(b, &b->cfg->secondary);
    uint32_t tp = trailer_sectors(b, &b->lp, &b->cfg->primary);
    uint32_t ts = trailer_sectors(b, &b->ls, &b->cfg->secondary);
    uint32_t a = np > tp + 1u ? (np - tp - 1u) * ss : 0u;
    uint32_t c = ns > ts ? (ns - ts) * ss : 0u;
    return a < c ? a : c;
}

static uint32_t n_sectors(const dfu_boot_t *b, uint32_t swap_size)
{
    return (swap_size + b->sector_size - 1u) / b->sector_size;
}

static int move_read_status(dfu_boot_t *b, const dfu_boot_slot_state_t *p,
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
    uint32_t n = n_sectors(b, p->swap_size);
    uint32_t max = b->tcfg.max_sectors;
    int holes = 0;
    int rc = dfu_boot_scan_records(&b->cfg->primary, &b->lp, n, max, &bs->rec, &holes);
    if (rc < 0) {
        return rc;
    }
    if (bs->rec > 0u && (holes || p->swap_size == 0u || p->swap_size > move_max(b))) {
        return DFU_ERR_BAD_STATUS;
    }
    return DFU_OK;
}

/* MCUboot's revert fix-up: give S a PERM-looking trailer so a reset before P's status is
 * initialised still completes the (physically identical) swap. We also store swap_info REVERT
 * there so our decision knows it is a revert (MCUboot ignores swap_info in the table). */
static int fixup_revert(dfu_boot_t *b)
{
    const dfu_flash_area_t *s = &b->cfg->secondary;
    dfu_boot_slot_state_t st;
    int rc = dfu_boot_read_state_l(s, &b->ls, b->tcfg.max_align, &st);
    if (rc < 0 || st.magic != DFU_BOOT_MAGIC_UNSET) {
        return rc;
    }
    rc = dfu_boot_erase_if_needed(s, dfu_boot_trailer_sector_off(b, &b->ls),
                                  s->size - dfu_boot_trailer_sector_off(b, &b->ls));
    if (rc == 0) {
        rc = dfu_boot_write_swap_info(s, &b->ls, DFU_BOOT_SWAP_REVERT);
    }
    if (rc == 0) {
        rc = dfu_boot_write_flag(s, b->ls.image_ok_off);
    }
    if (rc == 0) {
        rc = dfu_boot_write_swap_size(s, &b->ls, b->swap_size);
    }
    if (rc == 0) {
        rc = dfu_boot_write_magic(s, &b->ls, b->tcfg.max_align);
    }
    return rc;
}

static int move_prepare(dfu_boot_t *b, dfu_boot_status_t *bs)
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
    /* S's trailer must end up erased; on resume this also repairs a torn scramble. */
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
        rc = dfu_boot_write_record(&b->cfg->primary, &b->lp, rec, (uint8_t)(rec % 3u + 1u));
    }
    return rc;
}

static int move_run(dfu_boot_t *b, dfu_boot_status_t *bs)
{
    const dfu_flash_area_t *p = &b->cfg->primary;
    const dfu_flash_area_t *s = &b->cfg->secondary;
    uint32_t n = n_sectors(b, b->swap_size);
    uint32_t max = b->tcfg.max_sectors;
    if (n == 0u || b->swap_size > move_max(b)) {
        return DFU_ERR_BAD_STATUS;
    }
    int rc = move_prepare(b, bs);
    for (uint32_t i = bs->rec + 1u; rc == 0 && bs->rec < n && i <= n; i++) {
        uint32_t t = n - i + 1u;
        rc = step(b, p, t, p, t - 1u, i - 1u);
    }
    uint32_t k0 = bs->rec >= max ? bs->rec - max : 0u;
    for (uint32_t k = k0; rc == 0 && k < 2u * n; k++) {
        uint32_t i = k / 2u + 1u;
        if (k % 2u == 0u) {
            rc = step(b, p, i - 1u, s, i - 1u, max + k);
        } else {
            rc = step(b, s, i - 1u, p, i, max + k);
        }
    }
    return rc;
}

/* New image sector 0 reaches P[0] with swap record MAX (i = 1, state 0). */
static void move_hdr_loc(const dfu_boot_t *b, uint32_t rec, const dfu_flash_area_t **fa,
                         uint32_t *off)
{
    *fa = rec > b->tcfg.max_sectors ? &b->cfg->primary : &b->cfg->secondary;
    *off = 0;
}

const dfu_swap_geom_t dfu_swap_move_geom = {
    .name = "move",
    .records_per_sector = 3,
    .check_layout = move_check,
    .max_image_size = move_max,
};

const dfu_swap_ops_t dfu_swap_move_ops = {
    .geom = &dfu_swap_move_geom,
    .read_status = move_read_status,
    .run = move_run,
    .new_hdr_loc = move_hdr_loc,
};
