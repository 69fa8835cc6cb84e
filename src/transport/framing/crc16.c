/* CRC-16/XMODEM, bitwise (no table: 2 bytes of RAM matter more than speed at UART rates). */
#include "dfukit/dfu_framing.h"

uint16_t dfu_crc16_xmodem(uint16_t crc, const uint8_t *p, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        crc = (uint16_t)(crc ^ (uint16_t)((unsigned)p[i] << 8));
        for (unsigned b = 0; b < 8; b++) {
            crc = (crc & 0x8000u) ? (uint16_t)((crc << 1) ^ 0x1021u) : (uint16_t)(crc << 1);
        }
    }
    return crc;
}
