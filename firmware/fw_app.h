/*
 * The SMP application of a board, portable part: SMP console framing on the board's UART, the
 * SMP server with the OS and Image groups on the board's flash, SHA-256 for the upload `match`,
 * the bootloader's outcome record (taken from the RAM hand-off area at start, the record log in
 * flash) served by bootloader info "last_boot" / "boot_log", reset after the response has left
 * the UART, and the image's own confirmation at boot.
 *
 * Console lines it prints besides SMP frames (an SMP client ignores them):
 *   dfukit-app: <board> version=M.m.r+b confirmed=<yes|now|no> last_boot=<n|none>
 *               (at start: "yes" = nothing to
 *               confirm (permanent image), "now" = a test boot it has just confirmed, "no" = a
 *               test boot it leaves unconfirmed: the next reset reverts it)
 *   dfukit-app: reset stack=<used>/<size> guard=<ok|HIT> (before every reset it performs)
 */
#ifndef DFU_FW_APP_H
#define DFU_FW_APP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dfukit/dfu_crypto.h"
#include "dfukit/dfu_framing.h"
#include "dfukit/dfu_smp.h"
#include "dfukit/dfu_smp_img.h"
#include "dfukit/dfu_smp_os.h"
#include "fw_console.h"
#include "fw_layout.h"

/* SMP buffer (reported as buf_size): the largest request and response. */
#define FW_APP_BUF 1024u

typedef struct fw_app_cfg {
    const char *board;       /* node name, e.g. "qemu-mps2-an386" */
    const fw_console_t *con; /* must have getc */
    const dfu_flash_port_t *flash_port;
    const dfu_crypto_port_t *crypto; /* SHA-256 for `match` */
    fw_layout_t layout;
    void *handoff; /* the bootloader's RAM hand-off area (NULL = none) */
    size_t handoff_size;
    bool confirm;        /* confirm the running image at start (if it is not yet) */
    bool no_downgrade;   /* the bootloader refuses downgrades (reported by bootloader info) */
    void (*reset)(void); /* the board's system reset; does not return */
    const uint32_t *stack_bottom, *stack_top; /* painted stack, reported before a reset */
} fw_app_cfg_t;

/* Everything the application needs; caller-allocated (a board's app main keeps it static). */
typedef struct fw_app {
    const fw_app_cfg_t *cfg;
    dfu_flash_t flash;
    dfu_smp_server_t srv;
    dfu_smp_os_t os;
    dfu_smp_img_t img;
    dfu_smp_os_port_t os_port;
    dfu_serial_decoder_t dec;
    dfu_flash_area_t log;        /* the bootloader's record log */
    dfu_boot_result_t last_boot; /* this boot's record, from the hand-off area */
    char version[32];
    uint8_t rsp[FW_APP_BUF];
    uint8_t rx[FW_APP_BUF + 4u];
    uint8_t tx[((FW_APP_BUF + 4u + 2u) / 3u * 4u) + ((FW_APP_BUF + 4u + 92u) / 93u) * 3u];
} fw_app_t;

/* Sets everything up, confirms the image if configured, prints the start line, then serves SMP
 * requests from the console forever. Returns only if set-up fails (negative dfu_err). */
int fw_app_run(fw_app_t *a, const fw_app_cfg_t *cfg);

#endif
