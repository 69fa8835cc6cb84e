/*
 * Flash port over the QEMU board's file-backed PSRAM (BOARD_FLASH_ADDR): a memory-mapped NOR
 * flash whose rules the driver enforces, as dfukit's simulated flash does: an erase sets whole
 * 4 KiB sectors to 0xFF; a write must be 4-byte aligned in offset and length and may only
 * program erased bytes (so it can only clear bits); anything else is refused with
 * DFU_ERR_FLASH_RULE before a byte changes. Writes and erases store 32-bit words in order, so a
 * power cut (kill -9 of QEMU) leaves a prefix done, like a torn NOR operation.
 * Timing: as the nRF52832 whose geometry the board copies (NVMC: 85 ms per page erase, 41 us
 * per word written, the figures `dfukit sim` models), busy-waited on SysTick: a swap takes as
 * long as on the part, so a power cut can land anywhere inside it, and `dfukit update`'s swap
 * estimate holds.
 */
#ifndef DFU_FLASH_PSRAM_H
#define DFU_FLASH_PSRAM_H

#include "dfukit/dfu_flash.h"

/* The port is board_port.h's board_flash_port. */

#endif
