/* QEMU mps2-an386 glue for the portable firmware (board_port.h): UART0 as the console, CMSDK
 * APB timer 0 (0x40000000, 25 MHz, counting down from 0xFFFFFFFF) as the uptime clock. The flash
 * port is flash_psram.c's board_flash_port. */
#include "board.h"
#include "board_port.h"
#include "uart_cmsdk.h"

void board_console(fw_console_t *con, int rx)
{
    static uart_cmsdk_t uart0; /* the board's instance */
    uart_cmsdk_init(&uart0, BOARD_UART0_BASE, BOARD_SYSCLK_HZ, BOARD_UART_BAUD, rx);
    uart_cmsdk_console(&uart0, con, rx);
}

#define TIMER0_CTRL (*(volatile uint32_t *)(BOARD_TIMER0_BASE + 0x0u))
#define TIMER0_VALUE (*(volatile uint32_t *)(BOARD_TIMER0_BASE + 0x4u))
#define TIMER0_RELOAD (*(volatile uint32_t *)(BOARD_TIMER0_BASE + 0x8u))

uint32_t board_uptime_ms(void)
{
    if ((TIMER0_CTRL & 1u) == 0u) {
        TIMER0_RELOAD = 0xFFFFFFFFu;
        TIMER0_VALUE = 0xFFFFFFFFu;
        TIMER0_CTRL = 1u; /* enable, PCLK, no interrupt */
    }
    return (0xFFFFFFFFu - TIMER0_VALUE) / (BOARD_SYSCLK_HZ / 1000u);
}
