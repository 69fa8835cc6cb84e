/*
 * swap_cost: flash cost of one permanent upgrade per strategy on the nrf52832 geometry
 * (4 KiB pages, 85 ms page erase, 41 us word write), both images the same size. Prints, per
 * strategy: erases, bytes written, modelled seconds, erases of the most-worn sector, and the
 * minimum possible for that image size (erase each needed primary page once and program the
 * image once) with the ratio actual/minimum.
 *
 * A 200 KiB image does not fit a 0x32000 (200 KiB) slot together with an MCUboot trailer, so the
 * bench uses the largest round size every strategy accepts: 188 KiB (override: argv[1] in KiB).
 */
#include <mbedtls/sha256.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dfukit/dfu_boot.h"
#include "dfukit/dfu_boot_simflash.h"
#include "dfukit/dfu_boot_validate.h"
#include "dfukit/dfu_err.h"

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

/* Hash-only MCUboot image of exactly `total` bytes (header 0x200 + payload + SHA-256 TLV). */
static uint8_t *make_image(uint32_t total, uint8_t major, uint32_t seed)
{
    uint32_t hdr = 0x200, payload = total - hdr - 40u;
    uint8_t *b = malloc(total);
    memset(b, 0xff, hdr);
    put32(b, 0x96f3b83du);
    put32(b + 4, 0);
    put16(b + 8, hdr);
    put16(b + 10, 0);
    put32(b + 12, payload);
    put32(b + 16, 0);
    b[20] = major;
    b[21] = 0;
    put16(b + 22, 0);
    put32(b + 24, 0);
    put32(b + 28, 0);
    uint32_t x = seed;
    for (uint32_t i = 0; i < payload; i++) {
        x = x * 1103515245u + 12345u;
        b[hdr + i] = (uint8_t)(x >> 16);
    }
    uint8_t *t = b + hdr + payload;
    put16(t, 0x6907);
    put16(t + 2, 40);
    put16(t + 4, 0x10);
    put16(t + 6, 32);
    mbedtls_sha256_ret(b, hdr + payload, t + 8, 0);
    return b;
}

int main(int argc, char **argv)
{
    static const char *names[] = {"move", "scratch", "offset", "overwrite"};
    uint32_t kib = argc > 1 ? (uint32_t)strtoul(argv[1], NULL, 0) : 188u;
    uint32_t total = kib * 1024u;
    const dfu_geometry_t *g = dfu_geometry_find("nrf52832");
    uint8_t *a = make_image(total, 1, 1);
    uint8_t *b = make_image(total, 2, 2);
    uint32_t pages = (total + g->sector_size - 1u) / g->sector_size;
    double min_s = (pages * g->erase_ms * 1000.0 + (total / 4.0) * g->write_word_us) / 1e6;
    printf("swap_cost: %u KiB image (%u pages) on %s, permanent upgrade; minimum = %u erases, "
           "%u bytes, %.2f s\n",
           kib, pages, g->name, pages, total, min_s);
    for (int st = 0; st < 4; st++) {
        dfu_simflash_t sf;
        dfu_flash_t fl;
        dfu_boot_cfg_t cfg;
        dfu_boot_t boot;
        dfu_boot_imgval_t iv;
        static uint8_t buf[1024], scratch[1024];
        memset(&cfg, 0, sizeof(cfg));
        memset(&iv, 0, sizeof(iv));
        dfu_simflash_init(&sf, g->flash_size, g->sector_size, g->write_align, g->erased_val);
        dfu_simflash_set_timing(&sf, g);
        dfu_flash_init(&fl, &sf.port);
        cfg.primary = (dfu_flash_area_t){&fl, g->slot0.off, g->slot0.size, 1};
        cfg.secondary = (dfu_flash_area_t){&fl, g->slot1.off, g->slot1.size, 2};
        cfg.scratch = (dfu_flash_area_t){&fl, g->scratch.off, g->scratch.size, 3};
        cfg.trailer.strategy = (uint8_t)st;
        cfg.buf = buf;
        cfg.buf_len = sizeof(buf);
        iv.verify.crypto = dfu_crypto_default();
        iv.verify.scratch = scratch;
        iv.verify.scratch_len = sizeof(scratch);
        dfu_boot_image_validator(&cfg.validator, &iv);
        int rc = dfu_boot_init(&boot, &cfg);
        if (rc < 0 || dfu_boot_max_image_size(&boot) < total) {
            printf("%-9s  not measured: %s\n", names[st],
                   rc < 0 ? dfu_strerror(rc) : "image larger than the strategy's maximum");
            dfu_simflash_free(&sf);
            continue;
        }
        uint32_t soff = dfu_boot_secondary_image_off(&cfg.trailer, &cfg.secondary);
        memcpy(sf.mem + cfg.primary.off, a, total);
        memcpy(sf.mem + cfg.secondary.off + soff, b, total);
        dfu_boot_set_pending(&cfg.secondary, 1, &cfg.trailer);
        memset(&fl.stats, 0, sizeof(fl.stats));
        memset(sf.wear, 0, sizeof(uint32_t) * (g->flash_size / g->sector_size));
        sf.time_us = 0;
        dfu_boot_result_t res;
        rc = dfu_boot_go(&boot, &res);
        int ok = rc == 0 && memcmp(sf.mem + cfg.primary.off, b, total) == 0;
        double secs = sf.time_us / 1e6;
        uint32_t worn = dfu_simflash_max_wear(&sf, 0, g->flash_size);
        printf("%-9s  erases %4u (x%.2f)  bytes_written %7llu (x%.2f)  modelled %6.2f s (x%.2f)  "
               "max_sector_erases %u  %s\n",
               names[st], fl.stats.erases, (double)fl.stats.erases / pages,
               (unsigned long long)fl.stats.bytes_written, (double)fl.stats.bytes_written / total,
               secs, secs / min_s, worn, ok ? "ok" : res.reason);
        dfu_simflash_free(&sf);
    }
    free(a);
    free(b);
    return 0;
}
