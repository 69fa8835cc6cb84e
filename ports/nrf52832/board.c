/*
 * nRF52832 glue for the portable firmware (board_port.h): UART0 with the legacy UART registers
 * (nRF52832 Product Specification, UART): polled, TXDRDY / RXDRDY events; the Cortex-M4 DWT
 * cycle counter (64 MHz) as the uptime clock. The flash port is flash_nvmc.c's
 * board_flash_port.
 */
#include <stdint.h>

#include "board.h"
#include "board_port.h"

#define UART_REG(off) (*(volatile uint32_t *)(BOARD_UART0_BASE + (off)))
#define TASKS_STARTRX UART_REG(0x000u)
#define TASKS_STARTTX UART_REG(0x008u)
#define EVENTS_RXDRDY UART_REG(0x108u)
#define EVENTS_TXDRDY UART_REG(0x11Cu)
#define UART_ENABLE UART_REG(0x500u)
#define PSELTXD UART_REG(0x50Cu)
#define PSELRXD UART_REG(0x514u)
#define UART_RXD UART_REG(0x518u)
#define UART_TXD UART_REG(0x51Cu)
#define UART_BAUDRATE UART_REG(0x524u)
#define UART_ENABLE_ON 4u

static void uart_write(void *ctx, const uint8_t *p, size_t len)
{
    (void)ctx;
    for (size_t i = 0; i < len; i++) {
        EVENTS_TXDRDY = 0u;
        UART_TXD = p[i];
        while (EVENTS_TXDRDY == 0u) {
        }
    }
}

static int uart_getc(void *ctx)
{
    (void)ctx;
    if (EVENTS_RXDRDY == 0u) {
        return -1;
    }
    EVENTS_RXDRDY = 0u;
    return (int)(UART_RXD & 0xffu);
}

static void uart_drain(void *ctx)
{
    (void)ctx; /* uart_write returns once TXDRDY said the byte left */
}

void board_console(fw_console_t *con, int rx)
{
    PSELTXD = BOARD_UART_TX_PIN;
    PSELRXD = rx ? BOARD_UART_RX_PIN : 0xFFFFFFFFu;
    UART_BAUDRATE = BOARD_UART_BAUD_115200;
    UART_ENABLE = UART_ENABLE_ON;
    TASKS_STARTTX = 1u;
    if (rx) {
        TASKS_STARTRX = 1u;
    }
    con->ctx = NULL;
    con->write = uart_write;
    con->getc = rx ? uart_getc : NULL;
    con->drain = uart_drain;
}

#define DEMCR (*(volatile uint32_t *)0xE000EDFCu)
#define DWT_CTRL (*(volatile uint32_t *)0xE0001000u)
#define DWT_CYCCNT (*(volatile uint32_t *)0xE0001004u)
#define DEMCR_TRCENA (1u << 24)
#define DWT_CYCCNTENA 1u

uint32_t board_uptime_ms(void)
{
    if ((DWT_CTRL & DWT_CYCCNTENA) == 0u) {
        DEMCR |= DEMCR_TRCENA;
        DWT_CYCCNT = 0u;
        DWT_CTRL |= DWT_CYCCNTENA;
    }
    return DWT_CYCCNT / (BOARD_CPU_HZ / 1000u);
}
