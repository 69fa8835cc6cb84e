/* SMP frame header: 8 bytes, multi-byte fields big-endian, byte 0 = res:3 | ver:2 | op:3. */
#include "dfukit/dfu_err.h"
#include "dfukit/dfu_smp.h"

int dfu_smp_hdr_decode(const uint8_t *buf, size_t len, dfu_smp_hdr_t *hdr)
{
    if (len < DFU_SMP_HDR_SIZE) {
        return DFU_ERR_CORRUPT;
    }
    hdr->op = (uint8_t)(buf[0] & 0x07u);
    hdr->version = (uint8_t)((buf[0] >> 3) & 0x03u);
    hdr->reserved = (uint8_t)(buf[0] >> 5);
    hdr->flags = buf[1];
    hdr->len = (uint16_t)(((unsigned)buf[2] << 8) | buf[3]);
    hdr->group = (uint16_t)(((unsigned)buf[4] << 8) | buf[5]);
    hdr->seq = buf[6];
    hdr->id = buf[7];
    return 0;
}

void dfu_smp_hdr_encode(const dfu_smp_hdr_t *hdr, uint8_t out[DFU_SMP_HDR_SIZE])
{
    out[0] = (uint8_t)(((hdr->version & 0x03u) << 3) | (hdr->op & 0x07u));
    out[1] = hdr->flags;
    out[2] = (uint8_t)(hdr->len >> 8);
    out[3] = (uint8_t)(hdr->len & 0xffu);
    out[4] = (uint8_t)(hdr->group >> 8);
    out[5] = (uint8_t)(hdr->group & 0xffu);
    out[6] = hdr->seq;
    out[7] = hdr->id;
}
