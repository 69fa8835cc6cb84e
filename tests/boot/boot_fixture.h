/* Shared test/bench fixture: a simulated device with the boot core wired up, and hash-only
 * MCUboot images made at test time (SHA-256 TLV via mbedTLS). */
#ifndef BOOT_FIXTURE_H
#define BOOT_FIXTURE_H

#include <stddef.h>
#include <stdint.h>

#include "dfukit/dfu_boot.h"
#include "dfukit/dfu_boot_simflash.h"
#include "dfukit/dfu_boot_validate.h"

typedef struct bf_layout {
    const char *name;
    uint32_t flash_size, sector, align;
    uint8_t ev;
    uint32_t p_off, p_size, s_off, s_size, x_off, x_size;
} bf_layout_t;

typedef struct bf_dev {
    dfu_simflash_t sf;
    dfu_flash_t fl;
    dfu_boot_cfg_t cfg;
    dfu_boot_t boot;
    dfu_boot_imgval_t iv;
    uint8_t buf[1024];
    uint8_t scratch[1024];
} bf_dev_t;

typedef struct bf_image {
    uint8_t *data;
    size_t len;
    uint8_t hash[32];
} bf_image_t;

/* Returns 0 or the dfu_boot_init error. */
int bf_dev_init(bf_dev_t *d, const bf_layout_t *l, uint8_t strategy, uint32_t max_align);
void bf_dev_free(bf_dev_t *d);
/* Re-points the boot instance after the struct was copied/moved. */
int bf_dev_rebind(bf_dev_t *d);

/* Hash-only image: hdr 0x200 (erased filler), `payload` pseudo-random bytes, optional SEC_CNT
 * (sec_cnt >= 0), SHA-256 TLV. */
void bf_make_image(bf_image_t *img, uint32_t payload, uint8_t major, uint8_t minor, uint32_t seed,
                   long sec_cnt, uint8_t ev);
void bf_free_image(bf_image_t *img);

/* Writes raw bytes into the simulated flash (setup; not counted). */
void bf_poke(bf_dev_t *d, const dfu_flash_area_t *fa, uint32_t off, const void *p, size_t n);
/* Compares area bytes with `p`. */
int bf_equal(const bf_dev_t *d, const dfu_flash_area_t *fa, uint32_t off, const void *p, size_t n);
int bf_is_erased(const bf_dev_t *d, const dfu_flash_area_t *fa, uint32_t off, size_t n);

extern const bf_layout_t bf_layout_small;    /* 256 KiB, 4 KiB sectors, 80 KiB slots + scratch */
extern const bf_layout_t bf_layout_nrf52832; /* the nrf52832 geometry */

#endif
