/*
 * Simulated NOR flash (host only, target dfu_flash_host) and named device geometries.
 *
 * A dfu_simflash_t implements dfu_flash_port_t over RAM (optionally loaded from / saved to a
 * file) with real NOR rules:
 *   - erase works per sector and sets every byte to the erased value (0xFF, or 0x00);
 *   - a write must be write_align aligned (offset and length) and may only program bytes that
 *     are currently erased; violations return DFU_ERR_FLASH_RULE and change nothing;
 *   - every write and erase is one "op" (reads are free, as in MCUboot's simulator); a power cut
 *     can be armed before op N: op N then does not happen (atomic mode) or happens partially
 *     (torn mode: a write lands only a prefix of its bytes; an erase leaves its sector partly
 *     erased, the rest garbage), and from then on every op and read fails with
 *     DFU_ERR_POWER_CUT until dfu_simflash_power_on();
 *   - per-sector erase (wear) counters and a timing model (ms per sector erase, us per 32-bit
 *     word written) giving modelled seconds.
 * Not thread-safe; one instance per simulated device, any number of instances per process.
 */
#ifndef DFUKIT_DFU_BOOT_SIMFLASH_H
#define DFUKIT_DFU_BOOT_SIMFLASH_H

#include <stddef.h>
#include <stdint.h>

#include "dfukit/dfu_flash.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct dfu_simflash {
    dfu_flash_port_t port; /* ready to pass to dfu_flash_init(); port.ctx == this */
    uint8_t *mem;          /* size bytes (heap, owned) */
    uint32_t *wear;        /* erase count per sector (heap, owned) */
    uint64_t ops;          /* writes + erases attempted since init / dfu_simflash_reset_ops */
    uint64_t cut_at;       /* op number (1-based, in `ops` numbering) that loses power; 0 = none */
    int torn;              /* 1: the cut op is partially executed */
    uint32_t seed;         /* drives torn lengths and garbage (deterministic) */
    int off;               /* 1 after a cut until power_on */
    uint64_t erases, writes, bytes_written;
    double time_us;       /* modelled time of the ops performed */
    double erase_us;      /* per sector erase */
    double write_word_us; /* per 32-bit word programmed */
} dfu_simflash_t;

/* Allocates an erased device. DFU_ERR_INVAL on bad geometry (sizes powers of two as in
 * dfu_flash_init, size a multiple of the sector), DFU_ERR_NOMEM. Timing defaults to nRF52 values
 * (85 ms page erase, 41 us word write). */
int dfu_simflash_init(dfu_simflash_t *sf, uint32_t size, uint32_t sector_size, uint32_t write_align,
                      uint8_t erased_val);
void dfu_simflash_free(dfu_simflash_t *sf);

/* Loads `path` (must be <= size bytes; the rest stays erased) / writes all size bytes to it.
 * Return 0, DFU_ERR_IO, DFU_ERR_NOSPC (file larger than the device). */
int dfu_simflash_load(dfu_simflash_t *sf, const char *path);
int dfu_simflash_save(const dfu_simflash_t *sf, const char *path);

/* Arms a power cut before the `n`-th op from now (n >= 1; 0 disarms). torn: see above. */
void dfu_simflash_cut_after(dfu_simflash_t *sf, uint64_t n, int torn);
/* Restores power (clears the cut state and disarms). */
void dfu_simflash_power_on(dfu_simflash_t *sf);
/* Largest per-sector erase count in [off, off+len). */
uint32_t dfu_simflash_max_wear(const dfu_simflash_t *sf, uint32_t off, uint32_t len);

/* ---- Named geometries ---------------------------------------------------------------------- */

typedef struct dfu_geom_area {
    uint32_t off;
    uint32_t size; /* 0 = absent */
} dfu_geom_area_t;

typedef struct dfu_geometry {
    const char *name;
    uint32_t flash_size;
    uint32_t sector_size;
    uint32_t write_align;
    uint8_t erased_val;
    dfu_geom_area_t boot, slot0, slot1, scratch, storage;
    double erase_ms;      /* page erase time */
    double write_word_us; /* 32-bit word write time */
} dfu_geometry_t;

/* "nrf52832": 512 KiB, 4 KiB pages, align 4; mcuboot 0x0/0xC000, slot0 0xC000/0x32000, slot1
 * 0x3E000/0x32000, scratch 0x70000/0xA000, storage 0x7A000/0x6000 (classic Zephyr layout).
 * "nrf52840": 1 MiB, 4 KiB, align 4; Zephyr nrf52840_partition.dtsi: mcuboot 0x0/0xC000, slot0
 * 0xC000/0x76000, slot1 0x82000/0x76000, storage 0xF8000/0x8000, no scratch.
 * Both: 85 ms page erase, 41 us word write (nRF52832/nRF52840 product specs, tERASEPAGE/tWRITE).
 * Returns NULL for unknown names ("custom" is built by the caller). */
const dfu_geometry_t *dfu_geometry_find(const char *name);

/* Applies the geometry's timing to `sf`. */
void dfu_simflash_set_timing(dfu_simflash_t *sf, const dfu_geometry_t *g);

#ifdef __cplusplus
}
#endif
#endif
