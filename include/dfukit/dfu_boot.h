/*
 * dfukit bootloader core: MCUboot-compatible slot trailers, the application API that requests and
 * confirms upgrades, the swap-type decision, and the boot run itself (dfu_boot_go) with runtime
 * selectable upgrade strategies.
 *
 * Byte layouts follow ../shared/docs/mcuboot-format.md sections 3-5 exactly (trailer offsets for
 * BOOT_MAX_ALIGN 8/16/32, magic values, flag encodings, status record indices), so a trailer
 * written here is read correctly by MCUboot and vice versa.
 *
 * Device-side: no heap, no globals, all flash access through dfu_flash_* on dfu_flash_area_t,
 * caller-provided copy buffer. Every function returns 0 / a positive result or a negative dfu_err.
 */
#ifndef DFUKIT_DFU_BOOT_H
#define DFUKIT_DFU_BOOT_H

#include <stddef.h>
#include <stdint.h>

#include "dfukit/dfu_flash.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- Trailer field decodings (MCUboot's values) -------------------------------------------- */

#define DFU_BOOT_MAGIC_GOOD 1  /* all 16 magic bytes equal the expected value */
#define DFU_BOOT_MAGIC_BAD 2   /* neither the magic nor erased */
#define DFU_BOOT_MAGIC_UNSET 3 /* all 16 bytes erased */

#define DFU_BOOT_FLAG_SET 1   /* byte == 0x01 */
#define DFU_BOOT_FLAG_BAD 2   /* any other non-erased byte */
#define DFU_BOOT_FLAG_UNSET 3 /* erased value */

/* Swap types (MCUboot's numbering; also the low nibble of the swap_info byte). */
typedef enum dfu_boot_swap_type {
    DFU_BOOT_SWAP_NONE = 1,
    DFU_BOOT_SWAP_TEST = 2,
    DFU_BOOT_SWAP_PERM = 3,
    DFU_BOOT_SWAP_REVERT = 4,
    DFU_BOOT_SWAP_FAIL = 5,    /* interrupted request whose secondary no longer validates */
    DFU_BOOT_SWAP_PANIC = 0xff /* unrecoverable flash error */
} dfu_boot_swap_type_t;

/* Upgrade strategies (MCUBOOT_SWAP_USING_MOVE / _SCRATCH / _OFFSET, MCUBOOT_OVERWRITE_ONLY). */
typedef enum dfu_boot_strategy {
    DFU_BOOT_STRATEGY_MOVE = 0,
    DFU_BOOT_STRATEGY_SCRATCH = 1,
    DFU_BOOT_STRATEGY_OFFSET = 2,
    DFU_BOOT_STRATEGY_OVERWRITE = 3,
} dfu_boot_strategy_t;

/* Build option: the strategies compiled into the boot core, one bit per strategy
 * (1 << dfu_boot_strategy_t); default all four, chosen at run time by trailer.strategy. A
 * firmware for one strategy (as MCUboot is built for one) defines e.g.
 * -DDFU_BOOT_STRATEGIES=1 (move only): the others are not linked, and dfu_boot_init(),
 * dfu_boot_max_image_size_for() and dfu_boot_strategy_parse() treat them as unknown. The
 * bootloader and the application must agree. */
#ifndef DFU_BOOT_STRATEGIES
#define DFU_BOOT_STRATEGIES 0xFu
#endif

/* Trailer geometry. Must match the bootloader build (BOOT_MAX_ALIGN, BOOT_MAX_IMG_SECTORS and the
 * strategy) for offsets to agree. A zeroed struct means MCUboot's defaults: max_align 8,
 * max_sectors 128, swap-using-move. Pass NULL wherever a `tcfg` is taken for the defaults. */
typedef struct dfu_boot_trailer_cfg {
    uint32_t max_align;   /* BOOT_MAX_ALIGN: 8, 16 or 32 (0 = 8); >= the flash write_align */
    uint32_t max_sectors; /* BOOT_MAX_IMG_SECTORS (0 = 128) */
    uint8_t strategy;     /* dfu_boot_strategy_t: sets records per sector (3 or 2) and whether the
                           * swap-offset "unprotected TLV sizes" field exists */
    uint8_t enc_key_len;  /* MCUBOOT_ENC_IMAGES builds: AES key size 16 or 32 adds the two key
                           * fields (slot 0 key, slot 1 key) below swap_size; 0 = none */
} dfu_boot_trailer_cfg_t;

/* Decoded trailer of one slot. */
typedef struct dfu_boot_slot_state {
    uint8_t magic;      /* DFU_BOOT_MAGIC_* */
    uint8_t image_ok;   /* DFU_BOOT_FLAG_* */
    uint8_t copy_done;  /* DFU_BOOT_FLAG_* */
    uint8_t swap_type;  /* DFU_BOOT_SWAP_*: swap_info low nibble; NONE if erased or > REVERT */
    uint8_t image_num;  /* swap_info high nibble (0 if erased / invalid) */
    uint8_t swap_info;  /* raw byte */
    uint32_t swap_size; /* raw u32 LE (erased pattern if never written) */
} dfu_boot_slot_state_t;

/* Trailer offsets (slot-relative) for a slot of `slot_size` bytes on a flash with status write
 * size `write_align` (W). Computed by dfu_boot_trailer_layout(). */
typedef struct dfu_boot_trailer_layout {
    uint32_t magic_off; /* start of the ALIGN_UP(16, max_align) magic unit */
    uint32_t image_ok_off;
    uint32_t copy_done_off;
    uint32_t swap_info_off;
    uint32_t tlv_sizes_off; /* swap-offset only; == swap_info_off otherwise */
    uint32_t swap_size_off;
    uint32_t enc_key0_off;   /* key of the image in slot 0 (== swap_size_off without keys) */
    uint32_t enc_key1_off;   /* key of the image in slot 1 */
    uint32_t status_off;     /* first status record (slot_size - trailer_size) */
    uint32_t trailer_size;   /* bytes from status_off to the end of the slot */
    uint32_t status_entries; /* max_sectors * records per sector */
    uint32_t write_sz;       /* W: bytes per status record / field write granule */
} dfu_boot_trailer_layout_t;

/* Computes the layout. DFU_ERR_INVAL if max_align is not 8/16/32, write_align is 0, not a power
 * of two or larger than max_align, or the trailer does not fit in the slot. */
int dfu_boot_trailer_layout(const dfu_boot_trailer_cfg_t *tcfg, uint32_t slot_size,
                            uint32_t write_align, dfu_boot_trailer_layout_t *out);

/* Reads and decodes the trailer of `slot`. Never fails on content: garbage reads as BAD/NONE.
 * Returns 0, DFU_ERR_INVAL (bad geometry) or a flash error. */
int dfu_boot_read_slot_state(const dfu_flash_area_t *slot, const dfu_boot_trailer_cfg_t *tcfg,
                             dfu_boot_slot_state_t *out);

/* ---- Application API (what the running firmware / SMP image group calls) ------------------- */

/* Requests an upgrade to the image in the secondary slot (MCUboot boot_set_pending): if the
 * secondary trailer magic is UNSET, writes the magic, image_ok = 0x01 when `permanent`, and
 * swap_info = TEST (2) or PERM (3). Returns 0 (also when the request already exists: magic GOOD,
 * nothing is written), DFU_ERR_BAD_TRAILER if the magic is BAD (the whole secondary slot is
 * then erased, as MCUboot does: upload again), or a flash error. The image must be fully written
 * first; it is validated by the bootloader. */
int dfu_boot_set_pending(const dfu_flash_area_t *secondary, int permanent,
                         const dfu_boot_trailer_cfg_t *tcfg);

/* Confirms the running image (MCUboot boot_set_confirmed): if the primary magic is GOOD and
 * image_ok UNSET, writes image_ok = 0x01. Returns 0 when nothing needed writing (magic UNSET or
 * image_ok already written, SET or BAD), DFU_ERR_BAD_TRAILER if the magic is BAD, or a flash
 * error. */
int dfu_boot_set_confirmed(const dfu_flash_area_t *primary, const dfu_boot_trailer_cfg_t *tcfg);

/* Swap type the next boot will perform if nothing is in progress, per MCUboot's decision table
 * (rows: [offset only] S GOOD+ok UNSET+copy_done SET -> REVERT; S GOOD+ok UNSET -> TEST; S GOOD+ok
 * SET -> PERM; P GOOD+S UNSET+P ok UNSET+P copy_done SET -> REVERT; else NONE). Pure function of
 * the states. The boot may still refuse the candidate (see dfu_boot_go). */
int dfu_boot_decide(const dfu_boot_slot_state_t *primary, const dfu_boot_slot_state_t *secondary,
                    int offset_mode);

/* Reads both trailers and applies dfu_boot_decide(). Returns a DFU_BOOT_SWAP_* (> 0) or an error.
 * Does not validate the image. */
int dfu_boot_swap_type(const dfu_flash_area_t *primary, const dfu_flash_area_t *secondary,
                       const dfu_boot_trailer_cfg_t *tcfg);

/* Slot-relative offset where an upload into the secondary slot must start: one sector for
 * swap-using-offset (MCUboot stores the update at S + one sector), 0 otherwise. */
uint32_t dfu_boot_secondary_image_off(const dfu_boot_trailer_cfg_t *tcfg,
                                      const dfu_flash_area_t *secondary);

/* ---- Boot run ------------------------------------------------------------------------------ */

/* What validation reports about an image. */
typedef struct dfu_boot_image_info {
    uint8_t ver_major;
    uint8_t ver_minor;
    uint16_t ver_revision;
    uint32_t ver_build;
    uint32_t security_counter;
    uint8_t has_security_counter;
    uint8_t hash_len; /* bytes of `hash` valid (image hash TLV) */
    uint8_t hash[64];
    uint32_t hdr_size;
    uint32_t img_size;
    uint32_t total_size; /* header + payload + all TLVs */
    uint32_t flags;      /* ih_flags */
} dfu_boot_image_info_t;

/* Image validation hook: validate the image at slot offset `img_off` of `slot`, which may use at
 * most `max_size` bytes (header+payload+TLVs). Returns 0 and fills `info`, or a negative dfu_err
 * (image invalid or I/O error; DFU_ERR_POWER_CUT must be passed through). The standard hook is
 * dfu_boot_image_validator() (dfu_boot_validate.h) over the image library. */
typedef struct dfu_boot_validator {
    void *ctx;
    int (*validate)(void *ctx, const dfu_flash_area_t *slot, uint32_t img_off, uint32_t max_size,
                    dfu_boot_image_info_t *info);
    /* Optional decryption of encrypted updates (ih_flags AES bits) while they are installed into
     * the primary slot. unwrap(): unwraps the AES key of the image at `img_off` of `slot` into
     * key[0..31]; returns the key length (16 or 32) or a negative dfu_err. xcrypt(): AES-CTR
     * transforms, in place, `len` bytes sitting at image offset `off` of an image with the given
     * header sizes (only payload bytes [hdr_size, hdr_size + img_size) change). Both NULL:
     * encrypted secondary images are refused with DFU_ERR_NOTSUP. Swap strategies also need
     * trailer.enc_key_len (the key is kept in the trailer, as MCUboot does, so an interrupted
     * swap resumes); overwrite-only does not. */
    int (*unwrap)(void *ctx, const dfu_flash_area_t *slot, uint32_t img_off, uint8_t key[32]);
    int (*xcrypt)(void *ctx, const uint8_t *key, size_t key_len, uint32_t hdr_size,
                  uint32_t img_size, uint32_t off, uint8_t *buf, size_t len);
    /* Optional: as validate(), but never decrypting. Used for the revert candidate in the
     * secondary (the former primary image, plaintext even if its header carries the AES flag,
     * since it was decrypted when installed). NULL: validate() is used. */
    int (*validate_plain)(void *ctx, const dfu_flash_area_t *slot, uint32_t img_off,
                          uint32_t max_size, dfu_boot_image_info_t *info);
} dfu_boot_validator_t;

/* cfg->flags */
#define DFU_BOOT_F_DOWNGRADE_VERSION 0x1u /* refuse TEST/PERM when S version < P version */
#define DFU_BOOT_F_DOWNGRADE_SECCNT                                                                \
    0x2u /* refuse when S security counter < P's (or S has none                                    \
          * while P has one) */
#define DFU_BOOT_F_NO_PRIMARY_CHECK                                                                \
    0x4u /* skip full validation of P before booting (MCUboot                                      \
          * without VALIDATE_PRIMARY_SLOT): only its header */

/* Time source of the bootloader (a free-running millisecond counter; wrap-around is fine). */
typedef struct dfu_boot_clock {
    void *ctx;
    uint32_t (*now_ms)(void *ctx);
} dfu_boot_clock_t;

typedef struct dfu_boot_cfg {
    dfu_flash_area_t primary;       /* slot 0 */
    dfu_flash_area_t secondary;     /* slot 1 */
    dfu_flash_area_t scratch;       /* swap-using-scratch only; size 0 = none */
    dfu_boot_trailer_cfg_t trailer; /* strategy + trailer geometry */
    dfu_boot_validator_t validator; /* required */
    uint8_t *buf;   /* copy buffer, caller-owned; length a multiple of the write alignment */
    size_t buf_len; /* >= 64; MCUboot uses 1024 */
    uint32_t flags; /* DFU_BOOT_F_* */
    /* Boot outcome report (optional, dfu_boot_record.h). After each boot that reaches a decision
     * dfu_boot_go appends the outcome to the persistent record log `log` (the first two sectors
     * of the area; size 0 = no log) and writes it into the RAM hand-off area `handoff` /
     * `handoff_size` (>= DFU_BOOT_HANDOFF_SIZE bytes, any alignment; NULL = none), which the
     * application reads with dfu_boot_handoff_read(). `clock` measures the time the boot took
     * (NULL = not measured, time_ms 0). */
    dfu_flash_area_t log;
    void *handoff;
    size_t handoff_size;
    const dfu_boot_clock_t *clock;
} dfu_boot_cfg_t;

/* Image version (MCUboot ih_ver). */
typedef struct dfu_boot_version {
    uint8_t major;
    uint8_t minor;
    uint16_t revision;
    uint32_t build;
} dfu_boot_version_t;

/* Last-boot record: the outcome of one dfu_boot_go(). Handed to the application (RAM hand-off
 * area) and kept in the persistent record log; codec, log, hand-off and reason texts in
 * dfu_boot_record.h. */
typedef struct dfu_boot_result {
    uint8_t swap_type;     /* swap performed or resumed this boot: DFU_BOOT_SWAP_* (NONE if none;
                            * FAIL: the candidate was invalid, scrambled, P confirmed) */
    uint8_t resumed;       /* 1 if an interrupted swap was completed */
    uint8_t reverted;      /* 1 if this boot reverted an unconfirmed test image */
    uint8_t booted;        /* 1 if the primary slot holds a valid image to jump to */
    int32_t secondary_err; /* why a pending secondary was refused (0 = not refused) */
    int32_t primary_err;   /* why the primary failed validation (0 = ok) */
    const char *reason;    /* short static text describing the outcome (= dfu_boot_reason_text) */
    dfu_boot_image_info_t image; /* booted image (when booted) */
    uint8_t reason_code;         /* dfu_boot_reason_t (dfu_boot_record.h) */
    uint8_t has_other;           /* `other` is set */
    dfu_boot_version_t other;    /* the other image of the decision: the one swapped out (TEST,
                                  * PERM), reverted from (REVERT), or refused */
    uint32_t boot_count;         /* sequence number in the record log (1 = first; 0 = no log) */
    uint32_t flash_erases;       /* flash operations of this boot (before the record is stored) */
    uint32_t flash_writes;
    uint32_t flash_bytes; /* bytes programmed */
    uint32_t time_ms;     /* time the boot took (cfg->clock; 0 without one) */
} dfu_boot_result_t;

/* Boot instance; caller-allocated, fields private. */
typedef struct dfu_boot {
    const dfu_boot_cfg_t *cfg;
    const void *ops;              /* strategy ops table (set by dfu_boot_init) */
    const void *geom;             /* strategy geometry (layout checks, size limits) */
    dfu_boot_trailer_cfg_t tcfg;  /* cfg->trailer with defaults applied */
    dfu_boot_trailer_layout_t lp; /* primary trailer layout */
    dfu_boot_trailer_layout_t ls; /* secondary trailer layout */
    dfu_boot_trailer_layout_t lx; /* scratch trailer layout (scratch strategy) */
    uint32_t sector_size;
    uint32_t swap_size;   /* bytes to swap in the current operation */
    uint32_t tlv_sizes;   /* swap-offset trailer field of the current operation */
    uint8_t swap_type;    /* swap type of the current operation */
    uint8_t revert_fixup; /* current PERM request is a revert in disguise (move fix-up) */
    uint8_t decrypting;   /* dfu_boot_copy decrypts new-image data written into the primary */
    uint8_t enc_key_len;
    uint8_t enc_key[32]; /* AES key of the image being installed */
    uint32_t enc_hdr_size, enc_img_size;
} dfu_boot_t;

/* Binds `b` to `cfg` (which must outlive `b`) and checks the layout for the chosen strategy:
 * areas valid and sector aligned, on one flash device, non-overlapping, equal sector sizes,
 * slot size relations of the strategy, scratch present for scratch, buffer usable, max_align >=
 * write_align. Returns 0 or DFU_ERR_INVAL. */
int dfu_boot_init(dfu_boot_t *b, const dfu_boot_cfg_t *cfg);

/* One boot: completes an interrupted swap or decides on a new one (validating the secondary,
 * applying downgrade prevention, refusing/erasing an invalid secondary), performs it, finalises
 * the trailers, then validates the primary. Refusals follow MCUboot: no image in the secondary
 * (erased header or NON_BOOTABLE) -> NONE, nothing erased; invalid (bad hash/signature,
 * compressed, encrypted without decryption support, too large for the slot) -> secondary
 * scrambled, swap_type FAIL, image_ok written into the primary; downgrade -> scrambled, NONE;
 * larger image than the swap can move -> NONE, nothing erased (secondary_err DFU_ERR_NOSPC).
 * Returns 0 when the primary holds a bootable image (result->booted = 1), DFU_ERR_NOT_FOUND when no
 * bootable image exists, or a flash error (DFU_ERR_POWER_CUT from the simulator: just call again
 * after power-on; every step is resumable). `result` is always filled as far as the boot got. */
int dfu_boot_go(dfu_boot_t *b, dfu_boot_result_t *result);

/* Largest image (header + payload + TLVs) the configured strategy accepts as an upgrade from
 * the secondary slot: the smaller of what validation allows in the secondary (MCUboot's
 * bootutil_max_image_size for the mode) and what the swap can move (move: one spare primary
 * sector and the primary trailer sectors; offset: the image starts one sector into the
 * secondary; scratch: the image ends before the first trailer sector; overwrite: the image ends
 * before the swap_info field of either slot). A larger pending image is not installed. */
uint32_t dfu_boot_max_image_size(const dfu_boot_t *b);

/* The same limit without a boot instance, for the running application / SMP server (upload
 * limit, slot-info max_image_size): `tcfg` as for the other calls (NULL = defaults), the slot
 * areas, and the scratch area (swap-using-scratch only; may be NULL otherwise). Returns 0 when
 * the geometry is unusable for the strategy (what dfu_boot_init would refuse). */
uint32_t dfu_boot_max_image_size_for(const dfu_boot_trailer_cfg_t *tcfg,
                                     const dfu_flash_area_t *primary,
                                     const dfu_flash_area_t *secondary,
                                     const dfu_flash_area_t *scratch);

/* Strategy from its name ("move", "scratch", "offset", "overwrite", as the strategy tables name
 * them): a dfu_boot_strategy_t value, or -1 for an unknown name. */
int dfu_boot_strategy_parse(const char *name);

/* Short static name of a swap type ("none", "test", "perm", "revert", "fail", "panic"). */
const char *dfu_boot_swap_name(int swap_type);

#ifdef __cplusplus
}
#endif
#endif
