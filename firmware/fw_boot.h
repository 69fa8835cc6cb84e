/*
 * The bootloader of a board, portable part: one dfu_boot_go() over the board's flash port
 * (swap-using-move, images validated with the board's crypto port and keys), the boot outcome
 * record (appended to the record log in flash and written into the RAM hand-off area the
 * application reads, dfu_boot_record.h), one boot line on the console, and the address to jump
 * to.
 *
 * Boot line (one per boot; "dfukit-boot: " is written before the boot core runs, the rest when
 * it returns, so a host can time the boot from the console):
 *   dfukit-boot: boot=<n> swap=<none|test|perm|revert|fail> [resumed=yes] [reverted=yes]
 *                [secondary_err=<dfu_err>] slot=0 version=M.m.r+b hash=<16 hex>
 *                stack=<used>/<size> guard=<ok|HIT> start=<vector table> reason="<text>"
 * or, with nothing to boot: ... [primary_err=<dfu_err>] no bootable image ... halted reason=...
 * n is the record's sequence number in the log (0 without a log); the reason is the record's
 * (dfu_boot_reason_text).
 */
#ifndef DFU_FW_BOOT_H
#define DFU_FW_BOOT_H

#include <stddef.h>
#include <stdint.h>

#include "dfukit/dfu_boot.h"
#include "dfukit/dfu_boot_validate.h"
#include "dfukit/dfu_crypto.h"
#include "fw_console.h"
#include "fw_layout.h"

typedef struct fw_boot_cfg {
    const fw_console_t *con;
    const dfu_flash_port_t *flash_port;
    const dfu_crypto_port_t *crypto; /* SHA-256 + ECDSA P-256 are enough */
    const dfu_image_key_t *keys;     /* accepted signing keys (SubjectPublicKeyInfo DER) */
    size_t key_count;
    fw_layout_t layout;
    void *handoff;                 /* RAM hand-off area for the application (NULL = none) */
    size_t handoff_size;           /* >= DFU_BOOT_HANDOFF_SIZE */
    const dfu_boot_clock_t *clock; /* time the boot took, for the record (NULL = none) */
    const uint32_t *stack_bottom, *stack_top; /* painted stack, for the figure in the line */
    uint32_t boot_flags; /* DFU_BOOT_F_DOWNGRADE_* (downgrade prevention), 0 = none */
} fw_boot_cfg_t;

/* Everything one boot needs; caller-allocated (a board's boot main keeps it static). */
typedef struct fw_boot {
    dfu_flash_t flash;
    dfu_boot_imgval_t iv;
    dfu_boot_cfg_t cfg;
    dfu_boot_t boot;
    dfu_boot_result_t res;
    uint8_t copy_buf[1024];
    uint8_t scratch[1024];
} fw_boot_t;

/* Runs one boot. Returns the CPU address of the vector table of the image to start (slot 0 +
 * its header size), or 0 when there is nothing to boot (the line says why). */
uintptr_t fw_boot_run(fw_boot_t *b, const fw_boot_cfg_t *cfg);

#endif
