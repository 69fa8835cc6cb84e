/*
 * What a board port (ports/<board>/) provides to the portable firmware besides its board.h
 * (memory map, partitions, stack sizes: plain #defines shared with the linker scripts) and its
 * vector table (vectors.c, naming fw_reset_handler and fw_fault_entry):
 *   - board_console(): its console UART as a byte stream (transmit; receive when `rx`);
 *   - board_flash_port: the flash port over the device's flash (dfu_flash.h rules);
 *   - board_uptime_ms(): milliseconds since the first call (the bootloader's clock for the time
 *     a boot took, recorded in its outcome record; wrap-around is fine);
 * The system reset is the architectural SYSRESETREQ (fw_cm_sysreset), the same on every
 * ARMv7-M part.
 */
#ifndef DFU_FW_BOARD_PORT_H
#define DFU_FW_BOARD_PORT_H

#include <stdint.h>

#include "dfukit/dfu_flash.h"
#include "fw_console.h"

/* Initialises the console UART (once per boot; the instance is the board's) and fills `con`.
 * rx = 0: transmit only (the bootloader: input waits for the application). */
void board_console(fw_console_t *con, int rx);

extern const dfu_flash_port_t board_flash_port;

uint32_t board_uptime_ms(void);

#endif
