/* CRC-16/XMODEM, bitwise (no table: 512 bytes of flash matter more than speed at UART rates). */
#include "dfukit/dfu_framing.h"

uint16_t dfu_crc16_xmodem(uint16_t crc, const uint8_t *p, size_t n)
{
    uint32_t c = crc;
    for (size_t i = 0; i < n; i++) {
        c ^= (uint32_t)p[i] << 8;
        for (unsigned b = 0; b < 8; b++) {
            c = (c & 0x8000u) != 0 ? (c << 1) ^ 0x1021u : c << 1;
        }
        c &= 0xffffu;
    }
    return (uint16_t)c;
}
