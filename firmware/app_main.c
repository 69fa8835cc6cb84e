/*
 * The SMP application program of every board (compiled with the board's board.h and
 * board_port.h): the console with SMP console framing, the SMP server on the board's flash
 * port, SHA-256 for `match` through mbedTLS, the bootloader's outcome record served by
 * bootloader info (last_boot, boot_log), reset through SYSRESETREQ. Built twice:
 * FW_APP_CONFIRM=1 (app.bin, confirms itself at start) and 0 (app-noconfirm.bin, never does: the
 * next reset reverts it).
 */
#include <stdint.h>

#include "board.h"
#include "board_port.h"
#include "crypto_backend.h"
#include "fw_app.h"
#include "fw_cortexm.h"

/* The bootloader's downgrade prevention (see boot_main.c): reported by bootloader info. */
#ifndef FW_DOWNGRADE
#define FW_DOWNGRADE 0
#endif
#ifndef FW_APP_CONFIRM
#define FW_APP_CONFIRM 1
#endif

extern uint32_t _sstack, _estack, _sshared;
int main(void);

/* Static instances: the program's business (the dfukit libraries keep none). */
static fw_app_t app;
static fw_console_t con;
static fw_app_cfg_t cfg;

static const dfu_crypto_port_t app_crypto = {
    .hash_init = dfu_mbed_hash_init,
    .hash_update = dfu_mbed_hash_update,
    .hash_finish = dfu_mbed_hash_finish,
};

int main(void)
{
    board_console(&con, 1);
    cfg.board = BOARD_NAME;
    cfg.con = &con;
    cfg.flash_port = &board_flash_port;
    cfg.crypto = &app_crypto;
    cfg.layout = FW_LAYOUT_MOVE(BOARD_FLASH_ADDR, BOARD_SLOT0_OFF, BOARD_SLOT1_OFF, BOARD_SLOT_SIZE,
                                BOARD_BOOTLOG_OFF, BOARD_BOOTLOG_SIZE);
    cfg.handoff = &_sshared;
    cfg.handoff_size = BOARD_SHARED_SIZE;
    cfg.confirm = FW_APP_CONFIRM != 0;
    cfg.no_downgrade = FW_DOWNGRADE != 0;
    cfg.reset = fw_cm_sysreset;
    cfg.stack_bottom = &_sstack;
    cfg.stack_top = &_estack;
    return fw_app_run(&app, &cfg);
}
