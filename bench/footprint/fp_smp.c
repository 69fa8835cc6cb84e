/*
 * Footprint configuration "smp": the application-side SMP service of an nRF52832 firmware:
 * SMP server (OS + Image groups, `secure` policy) behind SMP console framing on a UART, flash
 * through the NVMC port, trailer writes through the boot application API, SHA-256 for the
 * upload `match` via mbedTLS, the bootloader's outcome (RAM hand-off + record log) served by
 * bootloader info. Entry point for the stack report: fp_smp_main (one poll loop).
 */
#include <stdbool.h>
#include <string.h>

#include "crypto_backend.h"
#include "dfukit/dfu_framing.h"
#include "dfukit/dfu_smp.h"
#include "dfukit/dfu_smp_img.h"
#include "dfukit/dfu_smp_os.h"
#include "fp_nrf52.h"

#define UARTE0 0x40002000u
#define UART_RXD_READY (*(volatile uint32_t *)(UARTE0 + 0x108u))
#define UART_RXD (*(volatile uint32_t *)(UARTE0 + 0x518u))
#define UART_TXD (*(volatile uint32_t *)(UARTE0 + 0x51Cu))
#define UART_TXD_READY (*(volatile uint32_t *)(UARTE0 + 0x11Cu))
#define AIRCR (*(volatile uint32_t *)0xE000ED0Cu)

static const dfu_crypto_port_t fp_crypto = {
    .hash_init = dfu_mbed_hash_init,
    .hash_update = dfu_mbed_hash_update,
    .hash_finish = dfu_mbed_hash_finish,
};

static void uart_put(uint8_t c)
{
    UART_TXD = c;
    while (UART_TXD_READY == 0u) {
    }
    UART_TXD_READY = 0u;
}

static uint8_t fp_tx[DFU_SMP_BUF_MIN * 2u];

static int fp_send(void *ctx, const uint8_t *msg, size_t len)
{
    (void)ctx;
    int n = dfu_serial_encode(msg, len, fp_tx, sizeof(fp_tx));
    if (n < 0) {
        return n;
    }
    for (int i = 0; i < n; i++) {
        uart_put(fp_tx[i]);
    }
    return 0;
}

static void fp_reset(void *ctx, uint8_t boot_mode)
{
    (void)ctx;
    (void)boot_mode;
    AIRCR = 0x05FA0004u; /* SYSRESETREQ */
}

static const dfu_smp_os_port_t fp_os_port = {.reset = fp_reset};

static uint8_t fp_rsp[DFU_SMP_BUF_MIN];
uint8_t fp_handoff[DFU_BOOT_HANDOFF_SIZE] FP_HANDOFF; /* left by the bootloader */
static uint8_t fp_rx[DFU_SMP_BUF_MIN + 8u];

int fp_smp_main(void);
int fp_smp_main(void)
{
    static dfu_flash_t flash;
    static dfu_smp_server_t srv;
    static dfu_smp_os_t os;
    static dfu_smp_img_t img;
    static dfu_serial_decoder_t dec;
    static dfu_boot_result_t last_boot;
    static dfu_flash_area_t boot_log;
    if (dfu_flash_init(&flash, &fp_nrf52_flash_port) != 0) {
        return -1;
    }
    dfu_smp_server_cfg_t scfg = {.buf = fp_rsp,
                                 .buf_size = sizeof(fp_rsp),
                                 .send = fp_send,
                                 .policy = &dfu_smp_policy_secure};
    boot_log = (dfu_flash_area_t){&flash, FP_BOOTLOG_OFF, FP_BOOTLOG_SIZE, 5};
    bool have_last = dfu_boot_handoff_read(fp_handoff, sizeof(fp_handoff), 1, &last_boot) == 0;
    dfu_smp_os_cfg_t ocfg = {.port = &fp_os_port,
                             .buf_count = 4,
                             .last_boot = have_last ? &last_boot : NULL,
                             .boot_log = &boot_log};
    dfu_smp_img_cfg_t icfg;
    memset(&icfg, 0, sizeof(icfg));
    icfg.primary = (dfu_flash_area_t){&flash, FP_SLOT0_OFF, FP_SLOT_SIZE, 1};
    icfg.secondary = (dfu_flash_area_t){&flash, FP_SLOT1_OFF, FP_SLOT_SIZE, 2};
    icfg.crypto = &fp_crypto;
    if (dfu_smp_server_init(&srv, &scfg) != 0 || dfu_smp_os_register(&srv, &os, &ocfg) != 0 ||
        dfu_smp_img_register(&srv, &img, &icfg) != 0 ||
        dfu_serial_decoder_init(&dec, fp_rx, sizeof(fp_rx), 0) != 0) {
        return -1;
    }
    for (;;) {
        if (UART_RXD_READY == 0u) {
            continue;
        }
        UART_RXD_READY = 0u;
        const uint8_t *msg;
        int n = dfu_serial_feed(&dec, (uint8_t)UART_RXD, &msg);
        if (n > 0) {
            (void)dfu_smp_server_process(&srv, msg, (size_t)n, 1);
        }
    }
}
