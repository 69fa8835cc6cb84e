/*
 * The bootloader program of every board (compiled with the board's board.h and board_port.h):
 * console transmit-only (input waits in the UART for the application), swap-using-move over the
 * board's flash port, ECDSA-P256 + SHA-256 through mbedTLS with a static allocation pool, the
 * key from the build (fw_key.c, generated from KEY), the boot outcome record (log in the
 * storage partition, hand-off in the shared RAM area), one boot line, then the jump into the
 * primary slot's image.
 */
#include <mbedtls/memory_buffer_alloc.h>
#include <stdint.h>
#include <string.h>

#include "board.h"
#include "board_port.h"
#include "crypto_backend.h"
#include "fw_boot.h"
#include "fw_cortexm.h"
#include "fw_key.h"

extern uint32_t _sstack, _estack, _sshared;
int main(void);

/* mbedTLS heap for one ECDSA-P256 verification (key, signature, comb table); an allocation
 * failure would read as an invalid signature, never as a pass. */
#define BOOT_MBEDTLS_POOL 8192

/* Downgrade prevention, a build option like MCUboot's (scripts/firmware.sh --downgrade, `make
 * firmware DOWNGRADE=`): 0 off (MCUboot's default), 1 refuse an older version, 2 refuse a lower
 * security counter. The application is built with the same value and reports it. */
#ifndef FW_DOWNGRADE
#define FW_DOWNGRADE 0
#endif
#if FW_DOWNGRADE == 1
#define BOOT_FLAGS DFU_BOOT_F_DOWNGRADE_VERSION
#elif FW_DOWNGRADE == 2
#define BOOT_FLAGS DFU_BOOT_F_DOWNGRADE_SECCNT
#elif FW_DOWNGRADE == 0
#define BOOT_FLAGS 0u
#else
#error "FW_DOWNGRADE must be 0 (off), 1 (version) or 2 (security counter)"
#endif

/* Static instances: the program's business (the dfukit libraries keep none). */
static fw_boot_t boot;
static unsigned char mbed_pool[BOOT_MBEDTLS_POOL];

static uint32_t boot_now_ms(void *ctx)
{
    (void)ctx;
    return board_uptime_ms();
}

static const dfu_boot_clock_t boot_clock = {.now_ms = boot_now_ms};

static const dfu_crypto_port_t boot_crypto = {
    .hash_init = dfu_mbed_hash_init,
    .hash_update = dfu_mbed_hash_update,
    .hash_finish = dfu_mbed_hash_finish,
    .ecdsa_verify = dfu_mbed_ecdsa_verify,
};

int main(void)
{
    fw_console_t con;
    board_console(&con, 0);
    (void)board_uptime_ms(); /* starts the clock */
    mbedtls_memory_buffer_alloc_init(mbed_pool, sizeof(mbed_pool));
    const dfu_image_key_t keys[1] = {{fw_key_der, fw_key_der_len}};
    fw_boot_cfg_t cfg;
    memset(&cfg, 0, sizeof(cfg));
    cfg.con = &con;
    cfg.flash_port = &board_flash_port;
    cfg.crypto = &boot_crypto;
    cfg.keys = keys;
    cfg.key_count = 1;
    cfg.layout = FW_LAYOUT_MOVE(BOARD_FLASH_ADDR, BOARD_SLOT0_OFF, BOARD_SLOT1_OFF, BOARD_SLOT_SIZE,
                                BOARD_BOOTLOG_OFF, BOARD_BOOTLOG_SIZE);
    cfg.handoff = &_sshared;
    cfg.handoff_size = BOARD_SHARED_SIZE;
    cfg.clock = &boot_clock;
    cfg.stack_bottom = &_sstack;
    cfg.stack_top = &_estack;
    cfg.boot_flags = BOOT_FLAGS;
    uintptr_t vt = fw_boot_run(&boot, &cfg);
    if (vt != 0u) {
        fw_cm_jump(vt);
    }
    for (;;) {
    }
}
