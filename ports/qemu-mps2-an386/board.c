/* QEMU mps2-an386 glue for the portable firmware (board_port.h): UART0 as the console. The
 * flash port is flash_psram.c's board_flash_port. */
#include "board.h"
#include "board_port.h"
#include "uart_cmsdk.h"

void board_console(fw_console_t *con, int rx)
{
    static uart_cmsdk_t uart0; /* the board's instance */
    uart_cmsdk_init(&uart0, BOARD_UART0_BASE, BOARD_SYSCLK_HZ, BOARD_UART_BAUD, rx);
    uart_cmsdk_console(&uart0, con, rx);
}
