/*
 * Slot trailer: layout, decoding and the field writes (MCUboot-compatible).
 *
 * Layout, counted back from the slot end E (MA = BOOT_MAX_ALIGN, W = flash write size):
 *   [E - ALIGN_UP(16,MA), E)  magic unit (erased filler, then the 16 magic bytes at E-16)
 *   one MA unit each, going down: image_ok, copy_done, swap_info, [swap-offset: TLV sizes],
 *   swap_size; below that the status records (entries * W bytes) starting at E - trailer_size.
 * Every field is programmed once per erase with a W-padded buffer whose filler is the erased
 * value, so a field write never touches its neighbours (each owns a whole MA unit).
 */
#include <string.h>

#include "boot_priv.h"

static const uint8_t magic_ma8[16] = {0x77, 0xc2, 0x95, 0xf3, 0x60, 0xd2, 0xef, 0x7f,
                                      0x35, 0x52, 0x50, 0x0f, 0x2c, 0xb6, 0x79, 0x80};
static const uint8_t magic_tail[14] = {0x2d, 0xe1, 0x5d, 0x29, 0x41, 0x0b, 0x8d,
                                       0x77, 0x67, 0x9c, 0x11, 0x0f, 0x1f, 0x8a};

const dfu_boot_trailer_cfg_t *dfu_boot_tcfg(const dfu_boot_trailer_cfg_t *tcfg,
                                            dfu_boot_trailer_cfg_t *tmp)
{
    if (tcfg != NULL) {
        *tmp = *tcfg;
    } else {
        memset(tmp, 0, sizeof(*tmp));
    }
    if (tmp->max_align == 0u) {
        tmp->max_align = 8u;
    }
    if (tmp->max_sectors == 0u) {
        tmp->max_sectors = 128u;
    }
    return tmp;
}

int dfu_boot_magic_bytes(uint32_t max_align, uint8_t out[16])
{
    if (max_align == 8u) {
        memcpy(out, magic_ma8, 16);
        return DFU_OK;
    }
    if (max_align != 16u && max_align != 32u) {
        return DFU_ERR_INVAL;
    }
    out[0] = (uint8_t)(max_align & 0xffu);
    out[1] = (uint8_t)(max_align >> 8);
    memcpy(out + 2, magic_tail, sizeof(magic_tail));
    return DFU_OK;
}

static uint32_t align_up(uint32_t v, uint32_t a)
{
    return (v + a - 1u) & ~(a - 1u);
}

static uint32_t records_per_sector(uint8_t strategy)
{
    switch (strategy) {
    case DFU_BOOT_STRATEGY_MOVE:
    case DFU_BOOT_STRATEGY_SCRATCH:
        return 3u;
    case DFU_BOOT_STRATEGY_OFFSET:
        return 2u;
    default:
        return 0u; /* overwrite-only keeps no status */
    }
}

int dfu_boot_trailer_layout(const dfu_boot_trailer_cfg_t *tcfg_in, uint32_t slot_size,
                            uint32_t write_align, dfu_boot_trailer_layout_t *out)
{
    dfu_boot_trailer_cfg_t tmp;
    const dfu_boot_trailer_cfg_t *tcfg = dfu_boot_tcfg(tcfg_in, &tmp);
    uint32_t ma = tcfg->max_align;
    uint32_t w = write_align;
    if (out == NULL || (ma != 8u && ma != 16u && ma != 32u) || w == 0u || (w & (w - 1u)) != 0u ||
        w > ma || tcfg->max_sectors > 4096u || tcfg->strategy > DFU_BOOT_STRATEGY_OVERWRITE) {
        return DFU_ERR_INVAL;
    }
    int offset_mode = tcfg->strategy == DFU_BOOT_STRATEGY_OFFSET;
    uint32_t magic_unit = align_up(16u, ma);
    uint32_t entries = tcfg->max_sectors * records_per_sector(tcfg->strategy);
    if (tcfg->enc_key_len != 0u && tcfg->enc_key_len != 16u && tcfg->enc_key_len != 32u) {
        return DFU_ERR_INVAL;
    }
    uint32_t ka = tcfg->enc_key_len ? align_up(tcfg->enc_key_len, ma) : 0u;
    uint32_t info = (4u + (offset_mode ? 1u : 0u)) * ma + magic_unit + 2u * ka;
    uint32_t tsize = entries * w + info;
    if (slot_size < tsize || slot_size % ma != 0u) {
        return DFU_ERR_INVAL;
    }
    out->magic_off = slot_size - magic_unit;
    out->image_ok_off = out->magic_off - ma;
    out->copy_done_off = out->image_ok_off - ma;
    out->swap_info_off = out->copy_done_off - ma;
    out->tlv_sizes_off = offset_mode ? out->swap_info_off - ma : out->swap_info_off;
    out->swap_size_off = (offset_mode ? out->tlv_sizes_off : out->swap_info_off) - ma;
    out->enc_key0_off = out->swap_size_off - ka;
    out->enc_key1_off = out->swap_size_off - 2u * ka;
    out->status_off = slot_size - tsize;
    out->trailer_size = tsize;
    out->status_entries = entries;
    out->write_sz = w;
    return DFU_OK;
}

static int is_erased_buf(const uint8_t *p, size_t n, uint8_t ev)
{
    for (size_t i = 0; i < n; i++) {
        if (p[i] != ev) {
            return 0;
        }
    }
    return 1;
}

static uint8_t decode_flag(uint8_t v, uint8_t ev)
{
    if (v == ev) {
        return DFU_BOOT_FLAG_UNSET;
    }
    return v == 0x01u ? DFU_BOOT_FLAG_SET : DFU_BOOT_FLAG_BAD;
}

/* Decodes a flag from its whole write unit (the flash write size). A flag is written once per
 * erase cycle together with erased-value padding, so a unit whose first byte is erased but whose
 * padding is not was never written by MCUboot or dfukit: it reads as BAD, never UNSET, so no
 * writer ever programs over non-erased bytes (MCUboot looks at the first byte only; the two
 * differ only on corrupted flash). */
static int read_flag_unit(const dfu_flash_area_t *fa, uint32_t off, uint8_t ev, uint8_t *flag)
{
    uint8_t unit[32];
    uint32_t w = dfu_flash_align(fa);
    if (w > sizeof(unit)) {
        return DFU_ERR_INVAL;
    }
    int rc = dfu_flash_read(fa, off, unit, w);
    if (rc < 0) {
        return rc;
    }
    *flag = decode_flag(unit[0], ev);
    if (*flag == DFU_BOOT_FLAG_UNSET && !is_erased_buf(unit, w, ev)) {
        *flag = DFU_BOOT_FLAG_BAD;
    }
    return DFU_OK;
}

int dfu_boot_read_state_l(const dfu_flash_area_t *fa, const dfu_boot_trailer_layout_t *l,
                          uint32_t max_align, dfu_boot_slot_state_t *out)
{
    uint8_t ev = dfu_flash_erased_val(fa);
    uint8_t m[16];
    uint8_t want[16];
    uint8_t b[4];
    int rc = dfu_boot_magic_bytes(max_align, want);
    if (rc < 0) {
        return rc;
    }
    rc = dfu_flash_read(fa, fa->size - 16u, m, sizeof(m));
    if (rc < 0) {
        return rc;
    }
    if (is_erased_buf(m, sizeof(m), ev)) {
        out->magic = DFU_BOOT_MAGIC_UNSET;
    } else {
        out->magic = memcmp(m, want, 16) == 0 ? DFU_BOOT_MAGIC_GOOD : DFU_BOOT_MAGIC_BAD;
    }
    rc = read_flag_unit(fa, l->image_ok_off, ev, &out->image_ok);
    if (rc < 0) {
        return rc;
    }
    rc = read_flag_unit(fa, l->copy_done_off, ev, &out->copy_done);
    if (rc < 0) {
        return rc;
    }
    rc = dfu_flash_read(fa, l->swap_info_off, b, 1);
    if (rc < 0) {
        return rc;
    }
    out->swap_info = b[0];
    uint8_t type = (uint8_t)(b[0] & 0x0fu);
    if (b[0] == ev || type > DFU_BOOT_SWAP_REVERT || type < DFU_BOOT_SWAP_NONE) {
        out->swap_type = DFU_BOOT_SWAP_NONE;
        out->image_num = 0;
    } else {
        out->swap_type = type;
        out->image_num = (uint8_t)(b[0] >> 4);
    }
    rc = dfu_flash_read(fa, l->swap_size_off, b, 4);
    if (rc < 0) {
        return rc;
    }
    out->swap_size =
        (uint32_t)b[0] | ((uint32_t)b[1] << 8) | ((uint32_t)b[2] << 16) | ((uint32_t)b[3] << 24);
    return DFU_OK;
}

int dfu_boot_read_slot_state(const dfu_flash_area_t *slot, const dfu_boot_trailer_cfg_t *tcfg_in,
                             dfu_boot_slot_state_t *out)
{
    dfu_boot_trailer_cfg_t tmp;
    const dfu_boot_trailer_cfg_t *tcfg = dfu_boot_tcfg(tcfg_in, &tmp);
    dfu_boot_trailer_layout_t l;
    if (out == NULL || dfu_flash_area_check(slot) < 0) {
        return DFU_ERR_INVAL;
    }
    int rc = dfu_boot_trailer_layout(tcfg, slot->size, dfu_flash_align(slot), &l);
    if (rc < 0) {
        return rc;
    }
    return dfu_boot_read_state_l(slot, &l, tcfg->max_align, out);
}

/* ---- writes -------------------------------------------------------------------------------- */

int dfu_boot_write_field(const dfu_flash_area_t *fa, uint32_t off, const uint8_t *data, size_t len)
{
    uint8_t buf[32];
    uint32_t w = dfu_flash_align(fa);
    size_t n = align_up((uint32_t)len, w);
    if (n > sizeof(buf)) {
        return DFU_ERR_INVAL;
    }
    /* Never program over non-erased bytes (garbage in a corrupted trailer): refuse instead. */
    int rc = dfu_flash_is_erased(fa, off, n);
    if (rc <= 0) {
        return rc < 0 ? rc : DFU_ERR_BAD_TRAILER;
    }
    memset(buf, dfu_flash_erased_val(fa), n);
    memcpy(buf, data, len);
    return dfu_flash_write(fa, off, buf, n);
}

int dfu_boot_write_flag(const dfu_flash_area_t *fa, uint32_t off)
{
    const uint8_t one = 0x01u;
    return dfu_boot_write_field(fa, off, &one, 1);
}

int dfu_boot_write_magic(const dfu_flash_area_t *fa, const dfu_boot_trailer_layout_t *l,
                         uint32_t max_align)
{
    uint8_t buf[32];
    uint32_t unit = fa->size - l->magic_off;
    if (unit > sizeof(buf) || unit < 16u) {
        return DFU_ERR_INVAL;
    }
    memset(buf, dfu_flash_erased_val(fa), unit);
    int rc = dfu_boot_magic_bytes(max_align, buf + unit - 16u);
    if (rc < 0) {
        return rc;
    }
    return dfu_flash_write(fa, l->magic_off, buf, unit);
}

int dfu_boot_write_swap_info(const dfu_flash_area_t *fa, const dfu_boot_trailer_layout_t *l,
                             uint8_t swap_type)
{
    uint8_t v = (uint8_t)(swap_type & 0x0fu); /* image index 0 in the high nibble */
    return dfu_boot_write_field(fa, l->swap_info_off, &v, 1);
}

int dfu_boot_write_swap_size(const dfu_flash_area_t *fa, const dfu_boot_trailer_layout_t *l,
                             uint32_t swap_size)
{
    uint8_t v[4] = {(uint8_t)swap_size, (uint8_t)(swap_size >> 8), (uint8_t)(swap_size >> 16),
                    (uint8_t)(swap_size >> 24)};
    return dfu_boot_write_field(fa, l->swap_size_off, v, sizeof(v));
}

int dfu_boot_write_record(const dfu_flash_area_t *fa, const dfu_boot_trailer_layout_t *l,
                          uint32_t idx, uint8_t value)
{
    if (idx >= l->status_entries) {
        return DFU_ERR_RANGE;
    }
    return dfu_boot_write_field(fa, l->status_off + idx * l->write_sz, &value, 1);
}

int dfu_boot_scan_records(const dfu_flash_area_t *fa, const dfu_boot_trailer_layout_t *l,
                          uint32_t skip_lo, uint32_t skip_hi, uint32_t *next, int *holes)
{
    uint8_t ev = dfu_flash_erased_val(fa);
    uint8_t chunk[64];
    uint32_t per = (uint32_t)sizeof(chunk) / l->write_sz;
    uint32_t last = 0;
    uint32_t first_hole = UINT32_MAX;
    int found = 0;
    for (uint32_t i = 0; i < l->status_entries; i += per) {
        uint32_t n = l->status_entries - i < per ? l->status_entries - i : per;
        int rc = dfu_flash_read(fa, l->status_off + i * l->write_sz, chunk, n * l->write_sz);
        if (rc < 0) {
            return rc;
        }
        for (uint32_t k = 0; k < n; k++) {
            uint32_t idx = i + k;
            if (chunk[k * l->write_sz] != ev) {
                found = 1;
                last = idx;
            } else if (first_hole == UINT32_MAX && (idx < skip_lo || idx >= skip_hi)) {
                first_hole = idx;
            }
        }
    }
    *next = found ? last + 1u : 0u;
    *holes = found && first_hole < last;
    return DFU_OK;
}

/* ---- application API ----------------------------------------------------------------------- */

int dfu_boot_set_pending(const dfu_flash_area_t *secondary, int permanent,
                         const dfu_boot_trailer_cfg_t *tcfg_in)
{
    dfu_boot_trailer_cfg_t tmp;
    const dfu_boot_trailer_cfg_t *tcfg = dfu_boot_tcfg(tcfg_in, &tmp);
    dfu_boot_trailer_layout_t l;
    dfu_boot_slot_state_t st;
    if (dfu_flash_area_check(secondary) < 0) {
        return DFU_ERR_INVAL;
    }
    int rc = dfu_boot_trailer_layout(tcfg, secondary->size, dfu_flash_align(secondary), &l);
    if (rc < 0) {
        return rc;
    }
    rc = dfu_boot_read_state_l(secondary, &l, tcfg->max_align, &st);
    if (rc < 0) {
        return rc;
    }
    if (st.magic == DFU_BOOT_MAGIC_GOOD) {
        return DFU_OK; /* already pending */
    }
    if (st.magic == DFU_BOOT_MAGIC_BAD) {
        /* As MCUboot: the slot is erased (the upload has to be redone) and the request refused. */
        rc = dfu_boot_erase_from(secondary, 0);
        return rc < 0 ? rc : DFU_ERR_BAD_TRAILER;
    }
    rc = dfu_boot_write_magic(secondary, &l, tcfg->max_align);
    if (rc == 0 && permanent) {
        rc = dfu_boot_write_flag(secondary, l.image_ok_off);
    }
    if (rc == 0) {
        rc = dfu_boot_write_swap_info(secondary, &l,
                                      permanent ? DFU_BOOT_SWAP_PERM : DFU_BOOT_SWAP_TEST);
    }
    return rc;
}

int dfu_boot_set_confirmed(const dfu_flash_area_t *primary, const dfu_boot_trailer_cfg_t *tcfg_in)
{
    dfu_boot_trailer_cfg_t tmp;
    const dfu_boot_trailer_cfg_t *tcfg = dfu_boot_tcfg(tcfg_in, &tmp);
    dfu_boot_trailer_layout_t l;
    dfu_boot_slot_state_t st;
    if (dfu_flash_area_check(primary) < 0) {
        return DFU_ERR_INVAL;
    }
    int rc = dfu_boot_trailer_layout(tcfg, primary->size, dfu_flash_align(primary), &l);
    if (rc < 0) {
        return rc;
    }
    rc = dfu_boot_read_state_l(primary, &l, tcfg->max_align, &st);
    if (rc < 0) {
        return rc;
    }
    if (st.magic == DFU_BOOT_MAGIC_UNSET) {
        return DFU_OK; /* no trailer: nothing to revert */
    }
    if (st.magic == DFU_BOOT_MAGIC_BAD) {
        return DFU_ERR_BAD_TRAILER;
    }
    if (st.image_ok != DFU_BOOT_FLAG_UNSET) {
        return DFU_OK; /* SET, or BAD: MCUboot treats any written image_ok as confirmed */
    }
    return dfu_boot_write_flag(primary, l.image_ok_off);
}

int dfu_boot_decide(const dfu_boot_slot_state_t *p, const dfu_boot_slot_state_t *s, int offset_mode)
{
    if (offset_mode && s->magic == DFU_BOOT_MAGIC_GOOD && s->image_ok == DFU_BOOT_FLAG_UNSET &&
        s->copy_done == DFU_BOOT_FLAG_SET) {
        return DFU_BOOT_SWAP_REVERT;
    }
    if (s->magic == DFU_BOOT_MAGIC_GOOD && s->image_ok == DFU_BOOT_FLAG_UNSET) {
        return DFU_BOOT_SWAP_TEST;
    }
    if (s->magic == DFU_BOOT_MAGIC_GOOD && s->image_ok == DFU_BOOT_FLAG_SET) {
        return DFU_BOOT_SWAP_PERM;
    }
    if (p->magic == DFU_BOOT_MAGIC_GOOD && s->magic == DFU_BOOT_MAGIC_UNSET &&
        p->image_ok == DFU_BOOT_FLAG_UNSET && p->copy_done == DFU_BOOT_FLAG_SET) {
        return DFU_BOOT_SWAP_REVERT;
    }
    return DFU_BOOT_SWAP_NONE;
}

int dfu_boot_swap_type(const dfu_flash_area_t *primary, const dfu_flash_area_t *secondary,
                       const dfu_boot_trailer_cfg_t *tcfg_in)
{
    dfu_boot_trailer_cfg_t tmp;
    const dfu_boot_trailer_cfg_t *tcfg = dfu_boot_tcfg(tcfg_in, &tmp);
    dfu_boot_slot_state_t p;
    dfu_boot_slot_state_t s;
    int rc = dfu_boot_read_slot_state(primary, tcfg, &p);
    if (rc < 0) {
        return rc;
    }
    rc = dfu_boot_read_slot_state(secondary, tcfg, &s);
    if (rc < 0) {
        return rc;
    }
    return dfu_boot_decide(&p, &s, tcfg->strategy == DFU_BOOT_STRATEGY_OFFSET);
}

uint32_t dfu_boot_secondary_image_off(const dfu_boot_trailer_cfg_t *tcfg,
                                      const dfu_flash_area_t *secondary)
{
    if (tcfg != NULL && tcfg->strategy == DFU_BOOT_STRATEGY_OFFSET && secondary != NULL &&
        secondary->flash != NULL && secondary->flash->port != NULL) {
        return dfu_flash_sector_size(secondary);
    }
    return 0u;
}

const char *dfu_boot_swap_name(int swap_type)
{
    switch (swap_type) {
    case DFU_BOOT_SWAP_NONE:
        return "none";
    case DFU_BOOT_SWAP_TEST:
        return "test";
    case DFU_BOOT_SWAP_PERM:
        return "perm";
    case DFU_BOOT_SWAP_REVERT:
        return "revert";
    case DFU_BOOT_SWAP_FAIL:
        return "fail";
    case DFU_BOOT_SWAP_PANIC:
        return "panic";
    default:
        return "unknown";
    }
}
