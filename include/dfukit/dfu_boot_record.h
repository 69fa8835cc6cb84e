/*
 * Boot outcome records: what the bootloader decided at a boot, carried to the application and
 * kept across resets.
 *
 *   - reason codes with stable texts (dfu_boot_reason_t, dfu_boot_reason_text);
 *   - a fixed 96-byte little-endian record with a CRC-32 (dfu_boot_record_encode/decode);
 *   - the persistent record log: two flash sectors used alternately, appended once per boot,
 *     power-fail safe and bounded (dfu_boot_log_append / dfu_boot_log_iter_*);
 *   - the RAM hand-off area: a small versioned block (magic, version, length, record, CRC-32) at
 *     an address the board reserves in RAM that survives the jump from the bootloader to the
 *     application (like MCUboot's shared-data area), so the application can tell a record from
 *     RAM garbage (dfu_boot_handoff_write / _read).
 *
 * dfu_boot_go() does the bootloader side when dfu_boot_cfg_t.log / .handoff are set. Byte layouts:
 * docs/SPEC-trailer.md section 9. Device-side: no heap, no globals, flash only through
 * dfu_flash_*.
 */
#ifndef DFUKIT_DFU_BOOT_RECORD_H
#define DFUKIT_DFU_BOOT_RECORD_H

#include <stddef.h>
#include <stdint.h>

#include "dfukit/dfu_boot.h"
#include "dfukit/dfu_flash.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Why a boot ended as it did (stable numbers: they are stored and sent over SMP). */
typedef enum dfu_boot_reason {
    DFU_BOOT_REASON_NONE = 0,             /* nothing requested: the primary image boots */
    DFU_BOOT_REASON_TEST = 1,             /* test swap done */
    DFU_BOOT_REASON_PERM = 2,             /* permanent swap done */
    DFU_BOOT_REASON_REVERT = 3,           /* unconfirmed test image reverted */
    DFU_BOOT_REASON_RESUMED = 4,          /* swap interrupted by a power cut, completed now */
    DFU_BOOT_REASON_BAD_SIGNATURE = 5,    /* candidate refused: signature / key */
    DFU_BOOT_REASON_BAD_HASH = 6,         /* candidate refused: hash TLV missing or wrong */
    DFU_BOOT_REASON_INVALID = 7,          /* candidate refused: malformed / not decryptable */
    DFU_BOOT_REASON_UNSUPPORTED = 8,      /* candidate refused: compressed, encrypted w/o key */
    DFU_BOOT_REASON_DOWNGRADE = 9,        /* candidate refused: older than the running image */
    DFU_BOOT_REASON_TOO_LARGE = 10,       /* candidate too large for the slot or the swap */
    DFU_BOOT_REASON_NO_IMAGE = 11,        /* request without a bootable image in the secondary */
    DFU_BOOT_REASON_INTERRUPTED = 12,     /* recorded request whose image no longer validates */
    DFU_BOOT_REASON_INCONSISTENT = 13,    /* swap status inconsistent: not resumed */
    DFU_BOOT_REASON_CLEARED_TRAILER = 14, /* corrupt secondary trailer erased */
    DFU_BOOT_REASON_NO_BOOTABLE = 15,     /* no valid image in the primary slot */
    DFU_BOOT_REASON_POWER_CUT = 16,       /* boot interrupted (never stored) */
    DFU_BOOT_REASON_FLASH_ERROR = 17,     /* flash error (never stored) */
    DFU_BOOT_REASON_COUNT
} dfu_boot_reason_t;

/* Short static text of a reason ("test image not confirmed: reverted", ...); unknown codes give
 * "unknown reason". Texts are at most DFU_BOOT_REASON_TEXT_MAX characters. */
#define DFU_BOOT_REASON_TEXT_MAX 56u
const char *dfu_boot_reason_text(int code);

/* Reason for a refused candidate from its validation error (signature, hash, downgrade, ...). */
uint8_t dfu_boot_reason_for_refusal(int err);

/* ---- Record codec -------------------------------------------------------------------------- */

#define DFU_BOOT_RECORD_SIZE 96u
#define DFU_BOOT_RECORD_VERSION 2u

/* Encodes `r` (reason text omitted: the code is stored; hash: first 32 bytes). */
void dfu_boot_record_encode(const dfu_boot_result_t *r, uint8_t out[DFU_BOOT_RECORD_SIZE]);
/* Decodes a record; reason = dfu_boot_reason_text(code). DFU_ERR_CORRUPT on a wrong tag,
 * version or CRC (`r` untouched then). */
int dfu_boot_record_decode(const uint8_t in[DFU_BOOT_RECORD_SIZE], dfu_boot_result_t *r);

/* ---- Persistent record log ------------------------------------------------------------------ */

/* Checks that `log` can hold the log: a valid area of at least two sectors, sectors of at least
 * two records, write alignment dividing the record size. 0 or DFU_ERR_INVAL. */
int dfu_boot_log_check(const dfu_flash_area_t *log);

/* Appends `r` after the newest record and sets r->boot_count to its sequence number (newest + 1,
 * 1 for an empty log). When the sector holding the newest record is full, the other sector is
 * erased first and the record goes to its start, so the previous sector's records stay readable
 * until the next rotation (the log keeps between one and two sectors of history). A slot is only
 * programmed while fully erased; a torn append leaves a slot that fails its CRC and is skipped.
 * Returns 0, DFU_ERR_INVAL or a flash error (r->boot_count unchanged then). */
int dfu_boot_log_append(const dfu_flash_area_t *log, dfu_boot_result_t *r);

/* Walks the log from the newest record to the oldest. */
typedef struct dfu_boot_log_iter {
    const dfu_flash_area_t *log;
    uint32_t per_sector; /* record slots per sector */
    uint32_t total;      /* valid records in the log */
    uint8_t sector;      /* sector being walked (0/1) */
    uint8_t pass;        /* 0: newer sector, 1: older sector, 2: done */
    uint32_t slot;       /* next slot to look at + 1 (walks downwards) */
    uint32_t last_seq;   /* sequence of the record returned last (skips stale duplicates) */
} dfu_boot_log_iter_t;

/* Starts a walk; it->total = number of valid records. 0, DFU_ERR_INVAL or a flash error. */
int dfu_boot_log_iter_init(dfu_boot_log_iter_t *it, const dfu_flash_area_t *log);
/* Next older record: 0 and *r, DFU_ERR_NOT_FOUND at the end, or a flash error. */
int dfu_boot_log_iter_next(dfu_boot_log_iter_t *it, dfu_boot_result_t *r);

/* ---- RAM hand-off area (bootloader -> application) ------------------------------------------ */

/* magic "DFBH" | version 1 | 0 | u16 LE record length | record | CRC-32 of the bytes before */
#define DFU_BOOT_HANDOFF_SIZE (8u + DFU_BOOT_RECORD_SIZE + 4u)

/* Writes `r` into the area (byte accesses only: any alignment). DFU_ERR_INVAL if the area is
 * NULL or smaller than DFU_BOOT_HANDOFF_SIZE. */
int dfu_boot_handoff_write(void *area, size_t size, const dfu_boot_result_t *r);

/* Reads the record the bootloader left. Returns 0, DFU_ERR_NOT_FOUND when the area holds no
 * valid block (power-on RAM contents, an older bootloader that does not write it, a block
 * already taken), or DFU_ERR_INVAL (area too small). When `take` is non-zero the block is
 * invalidated after reading, so a later warm reset through a bootloader that does not write it
 * cannot hand over a stale record. */
int dfu_boot_handoff_read(void *area, size_t size, int take, dfu_boot_result_t *r);

#ifdef __cplusplus
}
#endif
#endif
