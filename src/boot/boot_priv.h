/*
 * Internals shared by the boot core files (not a public header).
 */
#ifndef DFU_BOOT_PRIV_H
#define DFU_BOOT_PRIV_H

#include "dfukit/dfu_boot.h"
#include "dfukit/dfu_err.h"

/* Where the swap status of an operation in progress lives (MCUboot's status sources). */
enum { DFU_BOOT_SRC_NONE = 0, DFU_BOOT_SRC_PRIMARY = 1, DFU_BOOT_SRC_SCRATCH = 2 };

/* Progress of a swap: `rec` = index of the next status record to write (= number of records
 * written, records are written strictly in order). */
typedef struct dfu_boot_status {
    uint8_t source;
    uint8_t swap_type;
    uint32_t rec;
    uint32_t swap_size;
} dfu_boot_status_t;

/* Strategy geometry: what layout checks and size limits need. Kept apart from the swap steps so
 * code that only asks "how large an image fits" (the SMP upload limit) links no swap code. */
typedef struct dfu_swap_geom {
    const char *name;
    uint8_t records_per_sector;
    /* Strategy-specific layout checks (after the common ones). */
    int (*check_layout)(const dfu_boot_t *b);
    uint32_t (*max_image_size)(const dfu_boot_t *b);
} dfu_swap_geom_t;

/* Strategy ops table: one const instance per strategy file. */
typedef struct dfu_swap_ops {
    const dfu_swap_geom_t *geom;
    /* Finds the status source from the slot states; fills bs (source, swap_type, rec). */
    int (*read_status)(dfu_boot_t *b, const dfu_boot_slot_state_t *p,
                       const dfu_boot_slot_state_t *s, dfu_boot_status_t *bs);
    /* Runs the operation b->swap_type / b->swap_size from progress bs to completion. */
    int (*run)(dfu_boot_t *b, dfu_boot_status_t *bs);
    /* Where the header of the image being installed is after `rec` records (resume with
     * decryption): sets *fa (primary, secondary or scratch) and *off. */
    void (*new_hdr_loc)(const dfu_boot_t *b, uint32_t rec, const dfu_flash_area_t **fa,
                        uint32_t *off);
} dfu_swap_ops_t;

extern const dfu_swap_geom_t dfu_swap_move_geom;
extern const dfu_swap_geom_t dfu_swap_overwrite_geom;
extern const dfu_swap_geom_t dfu_swap_scratch_geom;
extern const dfu_swap_geom_t dfu_swap_offset_geom;
extern const dfu_swap_ops_t dfu_swap_move_ops;
extern const dfu_swap_ops_t dfu_swap_overwrite_ops;
extern const dfu_swap_ops_t dfu_swap_scratch_ops;
extern const dfu_swap_ops_t dfu_swap_offset_ops;

/* ---- little-endian byte access (trailer fields, image headers, records) ---- */
static inline uint32_t dfu_boot_get_le16(const uint8_t *p)
{
    return (uint32_t)p[0] | ((uint32_t)p[1] << 8);
}

static inline uint32_t dfu_boot_get_le32(const uint8_t *p)
{
    return dfu_boot_get_le16(p) | (dfu_boot_get_le16(p + 2) << 16);
}

static inline void dfu_boot_put_le16(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
}

static inline void dfu_boot_put_le32(uint8_t *p, uint32_t v)
{
    dfu_boot_put_le16(p, v);
    dfu_boot_put_le16(p + 2, v >> 16);
}

/* ---- boot records (boot_record.c) ---- */
/* Tag, version and CRC of a record, without decoding it: 0 and *boot_count (may be NULL), or
 * DFU_ERR_CORRUPT. */
int dfu_boot_record_check(const uint8_t *in, uint32_t *boot_count);

/* ---- trailer helpers (boot_trailer.c) ---- */
const dfu_boot_trailer_cfg_t *dfu_boot_tcfg(const dfu_boot_trailer_cfg_t *tcfg,
                                            dfu_boot_trailer_cfg_t *tmp);
int dfu_boot_magic_bytes(uint32_t max_align, uint8_t out[16]);
int dfu_boot_read_state_l(const dfu_flash_area_t *fa, const dfu_boot_trailer_layout_t *l,
                          uint32_t max_align, dfu_boot_slot_state_t *out);
/* Writes `len` (<= 8) bytes at `off` padded to the write size with the erased value. */
int dfu_boot_write_field(const dfu_flash_area_t *fa, uint32_t off, const uint8_t *data, size_t len);
int dfu_boot_write_flag(const dfu_flash_area_t *fa, uint32_t off);
int dfu_boot_write_magic(const dfu_flash_area_t *fa, const dfu_boot_trailer_layout_t *l,
                         uint32_t max_align);
int dfu_boot_write_swap_info(const dfu_flash_area_t *fa, const dfu_boot_trailer_layout_t *l,
                             uint8_t swap_type);
int dfu_boot_write_swap_size(const dfu_flash_area_t *fa, const dfu_boot_trailer_layout_t *l,
                             uint32_t swap_size);
/* Status records. */
int dfu_boot_write_record(const dfu_flash_area_t *fa, const dfu_boot_trailer_layout_t *l,
                          uint32_t idx, uint8_t value);
/* Index of the first erased record after the last written one (0 if none written); sets
 * *holes = 1 if an erased record precedes a written one (outside [skip_lo, skip_hi)). */
int dfu_boot_scan_records(const dfu_flash_area_t *fa, const dfu_boot_trailer_layout_t *l,
                          uint32_t skip_lo, uint32_t skip_hi, uint32_t *next, int *holes);

/* ---- core helpers (boot_core.c / boot_copy.c) ---- */
/* Erases every sector of `fa` touching [off, size) (the trailer sectors from `off`). */
int dfu_boot_erase_from(const dfu_flash_area_t *fa, uint32_t off);
/* Erases the sector range only if it is not already erased (saves wear on resume). */
int dfu_boot_erase_if_needed(const dfu_flash_area_t *fa, uint32_t off, uint32_t len);
/* Copies `len` bytes src[soff..] -> dst[doff..] through the boot copy buffer. */
int dfu_boot_copy(dfu_boot_t *b, const dfu_flash_area_t *src, uint32_t soff,
                  const dfu_flash_area_t *dst, uint32_t doff, uint32_t len);
/* Writes swap_info, image_ok (if S's is SET), swap_size and finally magic into `fa`'s trailer
 * (MCUboot swap_status_init). */
int dfu_boot_status_init(dfu_boot_t *b, const dfu_flash_area_t *fa,
                         const dfu_boot_trailer_layout_t *l);
/* First byte offset of the trailer sectors (ALIGN_DOWN(status_off, sector)). */
uint32_t dfu_boot_trailer_sector_off(const dfu_boot_t *b, const dfu_boot_trailer_layout_t *l);

#endif
