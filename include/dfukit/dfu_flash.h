/*
 * Flash port and the one counted flash interface.
 *
 * A platform provides one `dfu_flash_port_t` (function pointers + ctx + geometry). All flash
 * access by device-side code (image, boot, smp) goes through dfu_flash_read/write/erase on a
 * `dfu_flash_area_t`, which bounds-checks against the area, enforces alignment, and counts every
 * operation in the owning `dfu_flash_t` (so tests can cut power at operation N through the
 * simulated port, and benches can report erases/bytes written).
 *
 * Geometry: uniform erase sectors of `sector_size` bytes (nRF52 pages); writes must start and
 * end on `write_align` boundaries; erased bytes read as `erased_val` (0xFF or 0x00).
 */
#ifndef DFUKIT_DFU_FLASH_H
#define DFUKIT_DFU_FLASH_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct dfu_flash_port {
    void *ctx;
    /* Read `len` bytes at absolute device offset `off`. Returns 0 or a negative dfu_err. */
    int (*read)(void *ctx, uint32_t off, void *buf, size_t len);
    /* Program `len` bytes at `off` (both multiples of write_align). Only erased bytes may be
     * programmed. Returns 0 or a negative dfu_err (DFU_ERR_POWER_CUT from simulated flash). */
    int (*write)(void *ctx, uint32_t off, const void *buf, size_t len);
    /* Erase `len` bytes at `off` (both multiples of sector_size). */
    int (*erase)(void *ctx, uint32_t off, size_t len);
    uint32_t size;        /* total device bytes */
    uint32_t sector_size; /* erase unit, power of two */
    uint32_t write_align; /* program unit: 1, 2, 4, 8, 16 or 32; 0 means 1 */
    uint8_t erased_val;   /* 0xFF (NOR) or 0x00 */
} dfu_flash_port_t;

/* Operation counters of one flash device. */
typedef struct dfu_flash_stats {
    uint32_t reads;
    uint32_t writes;
    uint32_t erases;
    uint64_t bytes_read;
    uint64_t bytes_written;
    uint64_t bytes_erased;
} dfu_flash_stats_t;

/* One flash device: the port plus counters. Caller-allocated; init with dfu_flash_init(). */
typedef struct dfu_flash {
    const dfu_flash_port_t *port;
    dfu_flash_stats_t stats;
} dfu_flash_t;

/* A partition (slot, scratch, storage) of a flash device. `off`/`size` are sector aligned. */
typedef struct dfu_flash_area {
    dfu_flash_t *flash;
    uint32_t off;
    uint32_t size;
    uint8_t id; /* MCUboot-style flash area id, informational */
} dfu_flash_area_t;

/* Validates the port (non-NULL ops, power-of-two geometry, size multiple of sector) and zeroes
 * counters. Returns 0 or DFU_ERR_INVAL. */
int dfu_flash_init(dfu_flash_t *flash, const dfu_flash_port_t *port);

/* Checks that `fa` lies inside its device and is sector aligned. Returns 0 or DFU_ERR_INVAL. */
int dfu_flash_area_check(const dfu_flash_area_t *fa);

/* Counted operations, offsets relative to the start of the area. Out-of-area ranges return
 * DFU_ERR_RANGE; misaligned writes/erases return DFU_ERR_INVAL, without touching flash. */
int dfu_flash_read(const dfu_flash_area_t *fa, uint32_t off, void *buf, size_t len);
int dfu_flash_write(const dfu_flash_area_t *fa, uint32_t off, const void *buf, size_t len);
int dfu_flash_erase(const dfu_flash_area_t *fa, uint32_t off, size_t len);

/* Geometry helpers. */
uint32_t dfu_flash_align(const dfu_flash_area_t *fa);       /* write_align, >= 1 */
uint32_t dfu_flash_sector_size(const dfu_flash_area_t *fa); /* erase unit */
uint8_t dfu_flash_erased_val(const dfu_flash_area_t *fa);

/* Returns 1 if [off, off+len) of the area reads entirely as the erased value, 0 if not, <0 on
 * error. Uses a small stack buffer. */
int dfu_flash_is_erased(const dfu_flash_area_t *fa, uint32_t off, size_t len);

#ifdef __cplusplus
}
#endif
#endif
