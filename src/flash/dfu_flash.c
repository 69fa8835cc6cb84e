/*
 * The one counted flash interface. Every device-side flash access passes through here, so the
 * counters in dfu_flash_t are complete and a simulated port can cut power at operation N.
 */
#include "dfukit/dfu_flash.h"

#include <string.h>

#include "dfukit/dfu_err.h"

static int is_pow2(uint32_t v)
{
    return v != 0u && (v & (v - 1u)) == 0u;
}

int dfu_flash_init(dfu_flash_t *flash, const dfu_flash_port_t *port)
{
    if (flash == NULL || port == NULL || port->read == NULL || port->write == NULL ||
        port->erase == NULL) {
        return DFU_ERR_INVAL;
    }
    uint32_t align = port->write_align ? port->write_align : 1u;
    if (!is_pow2(port->sector_size) || !is_pow2(align) || align > 32u ||
        align > port->sector_size || port->size == 0u || port->size % port->sector_size != 0u) {
        return DFU_ERR_INVAL;
    }
    flash->port = port;
    memset(&flash->stats, 0, sizeof(flash->stats));
    return DFU_OK;
}

int dfu_flash_area_check(const dfu_flash_area_t *fa)
{
    if (fa == NULL || fa->flash == NULL || fa->flash->port == NULL) {
        return DFU_ERR_INVAL;
    }
    const dfu_flash_port_t *p = fa->flash->port;
    if (fa->size == 0u || fa->off % p->sector_size != 0u || fa->size % p->sector_size != 0u ||
        fa->off > p->size || fa->size > p->size - fa->off) {
        return DFU_ERR_INVAL;
    }
    return DFU_OK;
}

static int range_ok(const dfu_flash_area_t *fa, uint32_t off, size_t len)
{
    return off <= fa->size && len <= (size_t)(fa->size - off);
}

uint32_t dfu_flash_align(const dfu_flash_area_t *fa)
{
    uint32_t a = fa->flash->port->write_align;
    return a ? a : 1u;
}

uint32_t dfu_flash_sector_size(const dfu_flash_area_t *fa)
{
    return fa->flash->port->sector_size;
}

uint8_t dfu_flash_erased_val(const dfu_flash_area_t *fa)
{
    return fa->flash->port->erased_val;
}

int dfu_flash_read(const dfu_flash_area_t *fa, uint32_t off, void *buf, size_t len)
{
    if (!range_ok(fa, off, len)) {
        return DFU_ERR_RANGE;
    }
    if (len == 0u) {
        return DFU_OK;
    }
    dfu_flash_t *f = fa->flash;
    f->stats.reads++;
    f->stats.bytes_read += len;
    return f->port->read(f->port->ctx, fa->off + off, buf, len);
}

int dfu_flash_write(const dfu_flash_area_t *fa, uint32_t off, const void *buf, size_t len)
{
    if (!range_ok(fa, off, len)) {
        return DFU_ERR_RANGE;
    }
    uint32_t align = dfu_flash_align(fa);
    if (off % align != 0u || len % align != 0u) {
        return DFU_ERR_INVAL;
    }
    if (len == 0u) {
        return DFU_OK;
    }
    dfu_flash_t *f = fa->flash;
    f->stats.writes++;
    f->stats.bytes_written += len;
    return f->port->write(f->port->ctx, fa->off + off, buf, len);
}

int dfu_flash_erase(const dfu_flash_area_t *fa, uint32_t off, size_t len)
{
    if (!range_ok(fa, off, len)) {
        return DFU_ERR_RANGE;
    }
    uint32_t ss = dfu_flash_sector_size(fa);
    if (off % ss != 0u || len % ss != 0u) {
        return DFU_ERR_INVAL;
    }
    if (len == 0u) {
        return DFU_OK;
    }
    dfu_flash_t *f = fa->flash;
    f->stats.erases += (uint32_t)(len / ss);
    f->stats.bytes_erased += len;
    return f->port->erase(f->port->ctx, fa->off + off, len);
}

int dfu_flash_is_erased(const dfu_flash_area_t *fa, uint32_t off, size_t len)
{
    uint8_t buf[64];
    uint8_t ev = dfu_flash_erased_val(fa);
    while (len > 0u) {
        size_t n = len < sizeof(buf) ? len : sizeof(buf);
        int rc = dfu_flash_read(fa, off, buf, n);
        if (rc < 0) {
            return rc;
        }
        for (size_t i = 0; i < n; i++) {
            if (buf[i] != ev) {
                return 0;
            }
        }
        off += (uint32_t)n;
        len -= n;
    }
    return 1;
}
