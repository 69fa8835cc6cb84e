#include "boot_fixture.h"

#include <mbedtls/sha256.h>
#include <stdlib.h>
#include <string.h>

#include "dfukit/dfu_crypto.h"

const bf_layout_t bf_layout_small = {"small", 0x40000, 0x1000,  4,       0xff,  0x10000,
                                     0x14000, 0x24000, 0x14000, 0x38000, 0x4000};
const bf_layout_t bf_layout_nrf52832 = {"nrf52832", 0x80000, 0x1000,  4,       0xff,  0xC000,
                                        0x32000,    0x3E000, 0x32000, 0x70000, 0xA000};

int bf_dev_rebind(bf_dev_t *d)
{
    d->sf.port.ctx = &d->sf;
    d->fl.port = &d->sf.port;
    d->cfg.primary.flash = &d->fl;
    d->cfg.secondary.flash = &d->fl;
    d->cfg.scratch.flash = &d->fl;
    d->cfg.buf = d->buf;
    d->iv.verify.scratch = d->scratch;
    dfu_boot_image_validator(&d->cfg.validator, &d->iv);
    return dfu_boot_init(&d->boot, &d->cfg);
}

/* On failure the device's simulated flash is released again (nothing to free). */
int bf_dev_init(bf_dev_t *d, const bf_layout_t *l, uint8_t strategy, uint32_t max_align)
{
    memset(d, 0, sizeof(*d));
    int rc = dfu_simflash_init(&d->sf, l->flash_size, l->sector, l->align, l->ev);
    if (rc < 0) {
        return rc;
    }
    rc = dfu_flash_init(&d->fl, &d->sf.port);
    if (rc < 0) {
        dfu_simflash_free(&d->sf);
        return rc;
    }
    d->cfg.primary = (dfu_flash_area_t){&d->fl, l->p_off, l->p_size, 1};
    d->cfg.secondary = (dfu_flash_area_t){&d->fl, l->s_off, l->s_size, 2};
    if (l->x_size) {
        d->cfg.scratch = (dfu_flash_area_t){&d->fl, l->x_off, l->x_size, 3};
    }
    d->cfg.trailer.strategy = strategy;
    d->cfg.trailer.max_align = max_align;
    d->cfg.buf_len = sizeof(d->buf);
    d->iv.verify.crypto = dfu_crypto_default();
    d->iv.verify.scratch_len = sizeof(d->scratch);
    d->iv.verify.hash_alg = DFU_HASH_SHA256;
    rc = bf_dev_rebind(d);
    if (rc < 0) {
        dfu_simflash_free(&d->sf);
    }
    return rc;
}

void bf_dev_free(bf_dev_t *d)
{
    dfu_simflash_free(&d->sf);
}

static void put16(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
}

static void put32(uint8_t *p, uint32_t v)
{
    put16(p, v);
    put16(p + 2, v >> 16);
}

void bf_make_image(bf_image_t *img, uint32_t payload, uint8_t major, uint8_t minor, uint32_t seed,
                   long sec_cnt, uint8_t ev)
{
    uint32_t hdr = 0x200;
    uint32_t prot = sec_cnt >= 0 ? 4u + 8u : 0u;
    size_t len = hdr + payload + prot + 4u + 36u;
    uint8_t *b = malloc(len);
    memset(b, ev, hdr);
    put32(b, 0x96f3b83du);
    put32(b + 4, 0);
    put16(b + 8, hdr);
    put16(b + 10, prot);
    put32(b + 12, payload);
    put32(b + 16, 0);
    b[20] = major;
    b[21] = minor;
    put16(b + 22, 0);
    put32(b + 24, seed);
    put32(b + 28, 0);
    uint32_t x = seed * 2654435761u + 1u;
    for (uint32_t i = 0; i < payload; i++) {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        b[hdr + i] = (uint8_t)x;
    }
    uint8_t *t = b + hdr + payload;
    if (prot) {
        put16(t, 0x6908);
        put16(t + 2, prot);
        put16(t + 4, 0x50);
        put16(t + 6, 4);
        put32(t + 8, (uint32_t)sec_cnt);
        t += prot;
    }
    mbedtls_sha256_ret(b, hdr + payload + prot, img->hash, 0);
    put16(t, 0x6907);
    put16(t + 2, 40);
    put16(t + 4, 0x10);
    put16(t + 6, 32);
    memcpy(t + 8, img->hash, 32);
    img->data = b;
    img->len = len;
}

void bf_free_image(bf_image_t *img)
{
    free(img->data);
    img->data = NULL;
}

void bf_poke(bf_dev_t *d, const dfu_flash_area_t *fa, uint32_t off, const void *p, size_t n)
{
    memcpy(d->sf.mem + fa->off + off, p, n);
}

int bf_equal(const bf_dev_t *d, const dfu_flash_area_t *fa, uint32_t off, const void *p, size_t n)
{
    return memcmp(d->sf.mem + fa->off + off, p, n) == 0;
}

int bf_is_erased(const bf_dev_t *d, const dfu_flash_area_t *fa, uint32_t off, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (d->sf.mem[fa->off + off + i] != d->sf.port.erased_val) {
            return 0;
        }
    }
    return 1;
}
