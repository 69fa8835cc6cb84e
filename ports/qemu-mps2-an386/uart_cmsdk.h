/*
 * CMSDK APB UART driver (Arm DDI0479C; QEMU hw/char/cmsdk-apb-uart.c), polled: DATA 0x00,
 * STATE 0x04 (bit 0 TX full, bit 1 RX full), CTRL 0x08 (bit 0 TX enable, bit 1 RX enable),
 * BAUDDIV 0x10 (>= 16). One byte of buffering each way; nothing is lost while the receiver is
 * not read, QEMU holds further input back until DATA is read.
 */
#ifndef DFU_UART_CMSDK_H
#define DFU_UART_CMSDK_H

#include <stddef.h>
#include <stdint.h>

#include "fw_console.h"

typedef struct uart_cmsdk {
    uintptr_t base;
} uart_cmsdk_t;

/* Programs BAUDDIV = clk_hz / baud and enables the transmitter, and the receiver if `rx`. */
void uart_cmsdk_init(uart_cmsdk_t *u, uintptr_t base, uint32_t clk_hz, uint32_t baud, int rx);

/* A console over the UART (getc NULL when the receiver is off). */
void uart_cmsdk_console(uart_cmsdk_t *u, fw_console_t *con, int rx);

#endif
