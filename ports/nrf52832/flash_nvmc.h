/*
 * Footprint harness support (Cortex-M4, nRF52832-like): a flash port over the NVMC peripheral and
 * memory-mapped reads, and the nRF52832 partition layout. Only for linking real configurations
 * and measuring them (scripts/footprint.sh); not a board support package.
 */
#ifndef DFU_FP_NRF52_H
#define DFU_FP_NRF52_H

#include "dfukit/dfu_flash.h"

#define FP_SLOT0_OFF 0xC000u
#define FP_SLOT1_OFF 0x3E000u
#define FP_SLOT_SIZE 0x32000u
#define FP_SCRATCH_OFF 0x70000u
#define FP_SCRATCH_SIZE 0xA000u

extern const dfu_flash_port_t fp_nrf52_flash_port;

int fp_nrf52_read(void *ctx, uint32_t off, void *buf, size_t len);
int fp_nrf52_write(void *ctx, uint32_t off, const void *buf, size_t len);
int fp_nrf52_erase(void *ctx, uint32_t off, size_t len);

#endif
