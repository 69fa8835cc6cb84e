/* Vector table of the nRF52832 firmware: 16 system exceptions + 39 interrupts, none used. */
#include "board.h"
#include "fw_startup.h"

FW_VECTORS(BOARD_IRQS);
