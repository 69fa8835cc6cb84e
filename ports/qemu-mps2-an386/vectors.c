/* Vector table of the QEMU mps2-an386 firmware: 16 system exceptions + AN386's 32 interrupts
 * (QEMU's armv7m num-irq for this board), none used: the firmware polls. */
#include "board.h"
#include "fw_startup.h"

FW_VECTORS(BOARD_IRQS);
