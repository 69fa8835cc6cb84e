/*
 * Boot validation cost, measured in instructions under callgrind by scripts/bench_callgrind.sh.
 *
 *   validate_cost noop      build a 200 KiB hash-only MCUboot image in RAM, nothing else
 *   validate_cost sha256    same + raw mbedTLS SHA-256 over the hashed region (the reference)
 *   validate_cost validate  same + dfu_image_validate() through a reader with
 * DFU_IMAGE_SCRATCH_MIN-byte reads (as a bootloader reading flash)
 *
 * The script subtracts the noop run and divides by the hashed bytes, giving instructions per
 * byte for dfukit's validation and for the bare hash in the same run (ratio = overhead).
 */
#include <mbedtls/sha256.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dfukit/dfu_crypto.h"
#include "dfukit/dfu_image.h"

#define PAYLOAD (200u * 1024u)
#define HDR 0x200u

static void put_le16(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
}

static void put_le32(uint8_t *p, uint32_t v)
{
    put_le16(p, v);
    put_le16(p + 2, v >> 16);
}

/* Header + payload + unprotected TLV block with the SHA-256 TLV. Returns the total size. */
static uint32_t build_image(uint8_t *img)
{
    memset(img, 0, HDR);
    put_le32(img, DFU_IMAGE_MAGIC);
    put_le16(img + 8, HDR);
    put_le32(img + 12, PAYLOAD);
    img[20] = 1;
    for (uint32_t i = 0; i < PAYLOAD; i++) {
        img[HDR + i] = (uint8_t)(i * 2654435761u >> 24);
    }
    uint8_t *t = img + HDR + PAYLOAD;
    put_le16(t, DFU_IMAGE_TLV_INFO_MAGIC);
    put_le16(t + 2, 4 + 4 + 32);
    put_le16(t + 4, DFU_IMAGE_TLV_SHA256);
    put_le16(t + 6, 32);
    mbedtls_sha256_ret(img, HDR + PAYLOAD, t + 8, 0);
    return HDR + PAYLOAD + 40;
}

typedef struct {
    const uint8_t *img;
} flash_like_t;

/* A reader that copies like a flash read (no memory mapping), at most 256 bytes at a time. */
static int read_flash_like(void *ctx, uint32_t off, void *buf, size_t len)
{
    const flash_like_t *f = ctx;
    memcpy(buf, f->img + off, len);
    return 0;
}

int main(int argc, char **argv)
{
    const char *mode = argc > 1 ? argv[1] : "all";
    uint8_t *img = malloc(HDR + PAYLOAD + 64);
    if (img == NULL) {
        return 1;
    }
    uint32_t total = build_image(img);
    int rc = 0;
    if (strcmp(mode, "sha256") == 0) {
        uint8_t out[32];
        rc = mbedtls_sha256_ret(img, HDR + PAYLOAD, out, 0);
        printf("sha256 %02x%02x.. over %u bytes\n", out[0], out[1], HDR + PAYLOAD);
    } else if (strcmp(mode, "validate") == 0 || strcmp(mode, "all") == 0) {
        flash_like_t f = {img};
        dfu_image_reader_t rd = {read_flash_like, &f, total, NULL};
        uint8_t scratch[DFU_IMAGE_SCRATCH_MIN];
        dfu_image_verify_cfg_t cfg;
        memset(&cfg, 0, sizeof(cfg));
        cfg.crypto = dfu_crypto_default();
        cfg.scratch = scratch;
        cfg.scratch_len = sizeof(scratch);
        cfg.hash_alg = DFU_HASH_SHA256;
        dfu_image_result_t res;
        rc = dfu_image_validate(&rd, &cfg, &res);
        printf("validate: %s over %u bytes (%s)\n", rc == 0 ? "ok" : "FAILED", total,
               res.reason ? res.reason : "");
    } else if (strcmp(mode, "noop") == 0) {
        printf("noop: image of %u bytes built\n", total);
    } else {
        fprintf(stderr, "usage: validate_cost noop|sha256|validate\n");
        rc = 2;
    }
    free(img);
    return rc == 0 ? 0 : 1;
}
