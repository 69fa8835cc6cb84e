/*
 * libFuzzer harness: trailer reader + swap decision + a full boot run on arbitrary trailer bytes.
 * Input layout: byte 0 selects strategy (low 2 bits) and max-align (bits 2-3: 8/16/32); the rest
 * is written over the last sectors of the primary and secondary slots (alternating), on top of a
 * valid primary image. Invariants: no crash / out-of-bounds; the trailer decode yields only the
 * documented values; a boot either returns a flash-independent error or boots an image that
 * validates.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dfukit/dfu_boot.h"
#include "dfukit/dfu_boot_simflash.h"
#include "dfukit/dfu_err.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Hash-free validator: accepts any image whose header magic is right (the fuzz target is the
 * trailer/status logic, not the image parser, which has its own harness). */
static int accept_magic(void *ctx, const dfu_flash_area_t *fa, uint32_t off, uint32_t max,
                        dfu_boot_image_info_t *info)
{
    uint8_t h[4];
    (void)ctx;
    (void)max;
    int rc = dfu_flash_read(fa, off, h, 4);
    if (rc < 0) {
        return rc;
    }
    memset(info, 0, sizeof(*info));
    return (h[0] == 0x3d && h[1] == 0xb8 && h[2] == 0xf3 && h[3] == 0x96) ? 0 : DFU_ERR_BAD_MAGIC;
}

static void put_image(uint8_t *p)
{
    static const uint8_t hdr[32] = {0x3d, 0xb8, 0xf3, 0x96, 0, 0, 0, 0, 0x20, 0, 0, 0, 0x00, 0x10};
    memcpy(p, hdr, sizeof(hdr));
    /* unprotected TLV info right after 0x20 + 0x1000 bytes: magic 0x6907, tot 4 */
    p[0x1020] = 0x07;
    p[0x1021] = 0x69;
    p[0x1022] = 4;
    p[0x1023] = 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1) {
        return 0;
    }
    static const uint32_t mas[4] = {8, 16, 32, 8};
    dfu_simflash_t sf;
    if (dfu_simflash_init(&sf, 0x20000, 0x1000, 4, 0xff) < 0) {
        return 0;
    }
    dfu_flash_t fl;
    dfu_flash_init(&fl, &sf.port);
    dfu_boot_cfg_t cfg;
    memset(&cfg, 0, sizeof(cfg));
    cfg.primary = (dfu_flash_area_t){&fl, 0x0, 0x8000, 1};
    cfg.secondary = (dfu_flash_area_t){&fl, 0x8000, 0x8000, 2};
    cfg.scratch = (dfu_flash_area_t){&fl, 0x10000, 0x2000, 3};
    cfg.trailer.strategy = (uint8_t)(data[0] & 3u);
    cfg.trailer.max_align = mas[(data[0] >> 2) & 3u];
    cfg.trailer.max_sectors = 8;
    static uint8_t buf[256];
    cfg.buf = buf;
    cfg.buf_len = sizeof(buf);
    cfg.validator.validate = accept_magic;
    put_image(sf.mem);
    /* fuzz bytes over the top 2 sectors of P and S, alternating 1 KiB chunks */
    data++;
    size--;
    for (size_t i = 0; i < size && i < 0x4000; i++) {
        size_t chunk = i / 1024u;
        uint32_t base = (chunk & 1u) ? 0x8000u : 0x0u;
        uint32_t off = base + 0x8000u - 0x2000u + (uint32_t)((chunk / 2u) * 1024u + i % 1024u);
        sf.mem[off] = data[i];
    }
    dfu_boot_slot_state_t p, s;
    if (dfu_boot_read_slot_state(&cfg.primary, &cfg.trailer, &p) == 0 &&
        dfu_boot_read_slot_state(&cfg.secondary, &cfg.trailer, &s) == 0) {
        if (p.magic < 1 || p.magic > 3 || s.image_ok < 1 || s.image_ok > 3) {
            abort();
        }
        int t = dfu_boot_decide(&p, &s, cfg.trailer.strategy == DFU_BOOT_STRATEGY_OFFSET);
        if (t < DFU_BOOT_SWAP_NONE || t > DFU_BOOT_SWAP_REVERT) {
            abort();
        }
    }
    dfu_boot_t b;
    if (dfu_boot_init(&b, &cfg) == 0) {
        dfu_boot_result_t r;
        /* Boot twice: the second must not crash either (and may resume). */
        int rc = dfu_boot_go(&b, &r);
        if (rc == DFU_ERR_FLASH_RULE) {
            abort(); /* the core must never violate NOR rules, whatever the trailer says */
        }
        rc = dfu_boot_go(&b, &r);
        if (rc == DFU_ERR_FLASH_RULE) {
            abort();
        }
    }
    dfu_simflash_free(&sf);
    return 0;
}
