/* CMSDK APB UART, polled transmit and receive. */
#include "uart_cmsdk.h"

#define UART_DATA 0x00u
#define UART_STATE 0x04u
#define UART_CTRL 0x08u
#define UART_BAUDDIV 0x10u
#define STATE_TX_FULL 0x1u
#define STATE_RX_FULL 0x2u
#define CTRL_TX_EN 0x1u
#define CTRL_RX_EN 0x2u

static volatile uint32_t *reg(const uart_cmsdk_t *u, uint32_t off)
{
    return (volatile uint32_t *)(u->base + off);
}

void uart_cmsdk_init(uart_cmsdk_t *u, uintptr_t base, uint32_t clk_hz, uint32_t baud, int rx)
{
    u->base = base;
    *reg(u, UART_BAUDDIV) = clk_hz / baud;
    *reg(u, UART_CTRL) = CTRL_TX_EN | (rx ? CTRL_RX_EN : 0u);
}

static void uart_write(void *ctx, const uint8_t *p, size_t len)
{
    const uart_cmsdk_t *u = ctx;
    for (size_t i = 0; i < len; i++) {
        while ((*reg(u, UART_STATE) & STATE_TX_FULL) != 0u) {
        }
        *reg(u, UART_DATA) = p[i];
    }
}

static int uart_getc(void *ctx)
{
    const uart_cmsdk_t *u = ctx;
    if ((*reg(u, UART_STATE) & STATE_RX_FULL) == 0u) {
        return -1;
    }
    return (int)(*reg(u, UART_DATA) & 0xffu);
}

static void uart_drain(void *ctx)
{
    const uart_cmsdk_t *u = ctx;
    while ((*reg(u, UART_STATE) & STATE_TX_FULL) != 0u) {
    }
}

void uart_cmsdk_console(uart_cmsdk_t *u, fw_console_t *con, int rx)
{
    con->ctx = u;
    con->write = uart_write;
    con->getc = rx ? uart_getc : NULL;
    con->drain = uart_drain;
}
