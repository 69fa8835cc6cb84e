/*
 * Console byte stream of a board (its UART) and the few text helpers the firmware prints its
 * status lines with (no printf: strings, decimal and hex numbers). Device code.
 */
#ifndef DFU_FW_CONSOLE_H
#define DFU_FW_CONSOLE_H

#include <stddef.h>
#include <stdint.h>

typedef struct fw_console {
    void *ctx;
    /* Sends len bytes; returns when the last one is handed to the transmitter. */
    void (*write)(void *ctx, const uint8_t *p, size_t len);
    /* Next received byte (0..255), or -1 when none is waiting. NULL: transmit-only console. */
    int (*getc)(void *ctx);
    /* Waits until every byte written has left the transmitter. */
    void (*drain)(void *ctx);
} fw_console_t;

/* Decimal digits of v into out (no terminator); returns how many (1..10). */
size_t fw_fmt_u32(char out[10], uint32_t v);

void fw_puts(const fw_console_t *c, const char *s);
void fw_putu(const fw_console_t *c, uint32_t v);                   /* decimal */
void fw_puti(const fw_console_t *c, int32_t v);                    /* decimal, signed */
void fw_putx(const fw_console_t *c, uint32_t v);                   /* "0x" + 8 hex digits */
void fw_puthex(const fw_console_t *c, const uint8_t *p, size_t n); /* 2 hex digits per byte */

/* Image version as "MAJOR.MINOR.REVISION+BUILD". */
void fw_putver(const fw_console_t *c, uint8_t major, uint8_t minor, uint16_t revision,
               uint32_t build);

#endif
