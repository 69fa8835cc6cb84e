/*
 * Footprint configuration "boot": an MCUboot-compatible bootloader built from dfukit's device
 * code for an nRF52832: swap-using-move, ECDSA-P256 signature + SHA-256 via mbedTLS (allocations
 * from mbedTLS's static buffer allocator), validation of both slots, the boot record (log in
 * storage, RAM hand-off block), then a jump to the image.
 * Entry point for the stack report: fp_boot_main.
 */
#include <mbedtls/memory_buffer_alloc.h>
#include <string.h>

#include "crypto_backend.h"
#include "dfukit/dfu_boot.h"
#include "dfukit/dfu_boot_validate.h"
#include "fp_nrf52.h"

/* Placeholder signing key (SubjectPublicKeyInfo DER of a P-256 key is 91 bytes); a product
 * embeds its own here. Its content does not change the footprint. */
static const uint8_t fp_pubkey[91] = {0x30, 0x59};

static const dfu_image_key_t fp_keys[1] = {{fp_pubkey, sizeof(fp_pubkey)}};

/* The port a bootloader needs: SHA-256 and ECDSA only. */
static const dfu_crypto_port_t fp_crypto = {
    .hash_init = dfu_mbed_hash_init,
    .hash_update = dfu_mbed_hash_update,
    .hash_finish = dfu_mbed_hash_finish,
    .ecdsa_verify = dfu_mbed_ecdsa_verify,
};

/* Bootloader clock for the record's time: nRF52 RTC1 COUNTER (32768 Hz, 24 bits) in ms. */
#define RTC1_COUNTER (*(volatile uint32_t *)0x40011504u)
static uint32_t fp_now_ms(void *ctx)
{
    (void)ctx;
    return (RTC1_COUNTER * 125u) >> 12;
}

static const dfu_boot_clock_t fp_clock = {.now_ms = fp_now_ms};
uint8_t fp_handoff[DFU_BOOT_HANDOFF_SIZE] FP_HANDOFF;

static unsigned char fp_mbed_pool[6144];
static uint8_t fp_copy_buf[1024];
static uint8_t fp_scratch[1024];

int fp_boot_main(void);
int fp_boot_main(void)
{
    mbedtls_memory_buffer_alloc_init(fp_mbed_pool, sizeof(fp_mbed_pool));
    dfu_flash_t flash;
    if (dfu_flash_init(&flash, &fp_nrf52_flash_port) != 0) {
        return -1;
    }
    dfu_boot_imgval_t iv;
    memset(&iv, 0, sizeof(iv));
    iv.verify.crypto = &fp_crypto;
    iv.verify.keys = fp_keys;
    iv.verify.key_count = 1;
    iv.verify.scratch = fp_scratch;
    iv.verify.scratch_len = sizeof(fp_scratch);
    iv.verify.hash_alg = DFU_HASH_SHA256;
    dfu_boot_cfg_t cfg;
    memset(&cfg, 0, sizeof(cfg));
    cfg.primary = (dfu_flash_area_t){&flash, FP_SLOT0_OFF, FP_SLOT_SIZE, 1};
    cfg.secondary = (dfu_flash_area_t){&flash, FP_SLOT1_OFF, FP_SLOT_SIZE, 2};
    cfg.trailer.strategy = DFU_BOOT_STRATEGY_MOVE;
    cfg.buf = fp_copy_buf;
    cfg.buf_len = sizeof(fp_copy_buf);
    cfg.log = (dfu_flash_area_t){&flash, FP_BOOTLOG_OFF, FP_BOOTLOG_SIZE, 5};
    cfg.handoff = fp_handoff;
    cfg.handoff_size = sizeof(fp_handoff);
    cfg.clock = &fp_clock;
    dfu_boot_image_validator(&cfg.validator, &iv);
    dfu_boot_t boot;
    dfu_boot_result_t res;
    if (dfu_boot_init(&boot, &cfg) != 0) {
        return -1;
    }
    if (dfu_boot_go(&boot, &res) != 0 || !res.booted) {
        return -1;
    }
    /* Jump: the image's vector table follows its header in the primary slot. */
    const uint32_t *vt = (const uint32_t *)(uintptr_t)(FP_SLOT0_OFF + res.image.hdr_size);
    void (*reset)(void) = (void (*)(void))(uintptr_t)vt[1];
    __asm volatile("msr msp, %0" : : "r"(vt[0]));
    reset();
    return 0;
}
