/*
 * SMP message reassembly over small link packets (BLE): the first packet must hold the whole
 * 8-byte SMP header; its length field tells how many packets follow. Zephyr drops the partial
 * message on any inconsistency (it cannot answer: a Write Command has no response), so do we.
 */
#include "dfukit/dfu_err.h"
#include "dfukit/dfu_framing.h"

#include <string.h>

int dfu_reasm_init(dfu_reasm_t *r, uint8_t *buf, size_t cap)
{
    if (r == NULL || buf == NULL || cap < 8u) {
        return DFU_ERR_INVAL;
    }
    r->buf = buf;
    r->cap = cap;
    dfu_reasm_reset(r);
    return 0;
}

void dfu_reasm_reset(dfu_reasm_t *r)
{
    r->have = 0;
    r->expect = 0;
}

int dfu_reasm_feed(dfu_reasm_t *r, const uint8_t *pkt, size_t len)
{
    if (len == 0) {
        dfu_reasm_reset(r);
        return DFU_ERR_CORRUPT;
    }
    if (r->expect == 0) {
        if (len < 8u) {
            return DFU_ERR_CORRUPT; /* a first fragment must carry the whole header */
        }
        size_t total = 8u + (((size_t)pkt[2] << 8) | pkt[3]);
        if (total > r->cap) {
            return DFU_ERR_MSGSIZE;
        }
        r->expect = total;
        r->have = 0;
    }
    if (len > r->expect - r->have) {
        dfu_reasm_reset(r);
        return DFU_ERR_RANGE;
    }
    memcpy(r->buf + r->have, pkt, len);
    r->have += len;
    if (r->have < r->expect) {
        return 0;
    }
    size_t done = r->have;
    dfu_reasm_reset(r);
    return (int)done;
}
