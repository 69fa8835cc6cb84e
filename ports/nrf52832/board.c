/*
 * nRF52832 glue for the portable firmware (board_port.h): UART0 with the legacy UART registers
 * (nRF52832 Product Specification, UART): polled, TXDRDY / RXDRDY events. The flash port is
 * flash_nvmc.c's board_flash_port.
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
