/*
 * dfukit simulated device (host only, target dfu_sim): one MCUboot-style device whose only state
 * is a flash file. Power-on runs the boot core on the flash, then "runs" the booted image: an SMP
 * server (OS + Image groups) reachable over UDP, a pty (SMP console framing) and/or the modelled
 * BLE link, behaving as the image's app descriptor (TLV 0x00A5, "KEY=VALUE,...") says.
 *
 * Flash writes land in the file immediately (pwrite after every write/erase), so killing the
 * process at any moment leaves the file as a real device's flash would be. All device state is
 * one instance allocated by dfu_sim_run() (the only file-scope state is the two signal flags);
 * dfu_sim_run() blocks until stopped, so one process runs one device and several devices are
 * several processes (each with its own flash file, which is locked).
 *
 * Output: "sim: listening udp=HOST:PORT | serial=PATH | ble=PATH" per transport on stdout (and
 * in the --log file when one is given); on the log sink (stderr or --log FILE) one line per boot
 *   sim: boot #N: <swap performed, booted slot, version, hash, flash ops, reason>
 * and the app events (confirmed, crash, reset, power cut, stop).
 *
 * The boot core hands its outcome to the app through a RAM hand-off block (dfu_boot_record.h)
 * and appends it to the boot record log in storage sectors 1-2; the app serves both through
 * OS bootloader info queries "last_boot" and "boot_log".
 */
#ifndef DFU_SIM_H
#define DFU_SIM_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "dfukit/dfu_boot.h"
#include "dfukit/dfu_boot_simflash.h"
#include "dfukit/dfu_flash.h"
#include "dfukit/dfu_host_ble.h"
#include "dfukit/dfu_host_linkmodel.h"

#ifdef __cplusplus
extern "C" {
#endif

#define DFU_SIM_MAX_KEYS 8
#define DFU_SIM_APP_TLV 0x00A5u  /* protected custom TLV holding the app descriptor */
#define DFU_SIM_CRASH_LOOP_MAX 8 /* consecutive crashing boots before the sim halts */

/* Exit codes of dfu_sim_run (match src/cli/cli.h). */
#define DFU_SIM_EXIT_OK 0   /* stopped by SIGTERM/SIGINT or dfu_sim_request_stop */
#define DFU_SIM_EXIT_FAIL 1 /* setup failed, or the device halted (crash loop) */
#define DFU_SIM_EXIT_USAGE 2
#define DFU_SIM_EXIT_POWER_CUT 3 /* --power-cut-at reached: restart the process = power on */

/* ---- App descriptor ------------------------------------------------------------------------ */

typedef enum dfu_sim_confirm {
    DFU_SIM_CONFIRM_NEVER = 0,   /* never confirms: a test image is reverted on the next reset */
    DFU_SIM_CONFIRM_BOOT = 1,    /* confirms as soon as it runs */
    DFU_SIM_CONFIRM_AFTER = 2,   /* confirms after `confirm_after_s` seconds of running */
    DFU_SIM_CONFIRM_HEALTHY = 3, /* confirms after serving its first SMP request successfully */
} dfu_sim_confirm_t;

typedef struct dfu_sim_app {
    bool has_desc;    /* the image carried TLV 0x00A5 */
    char name[33];    /* name=TEXT (default "dfukit-sim") */
    uint8_t security; /* security=1..4: BLE level every SMP write needs (default 1) */
    bool has_passkey; /* passkey=NNNNNN given */
    uint32_t passkey;
    bool secure_policy;       /* policy=secure (default open) */
    uint8_t confirm;          /* dfu_sim_confirm_t (default never) */
    uint32_t confirm_after_s; /* confirm=after:SECONDS */
    bool healthy;             /* healthy=yes|no (default yes) */
    uint32_t buf_size;        /* buf_size=N (default 2475, at least 384) */
    uint16_t buf_count;       /* buf_count=N (default 4) */
    uint8_t cccd_security;    /* cccd_security=1..4: BLE level enabling notifications needs, i.e.
                               * the SMP characteristic's CCC descriptor permission (Zephyr's
                               * MCUMGR_TRANSPORT_BT_PERM_RW_AUTHEN protects it too); default 1 */
    bool bond_storage;        /* bonds=yes|no: no = firmware without bond storage: it neither
                               * finds nor stores bonds (default yes) */
} dfu_sim_app_t;

/* Sets the default app (no descriptor). */
void dfu_sim_app_default(dfu_sim_app_t *app);

/* Parses a descriptor "KEY=VALUE,..." of `len` bytes into `app` (defaults first). Unknown keys are
 * ignored (forward compatible); a bad value for a known key returns DFU_ERR_INVAL and `app` keeps
 * the defaults for that key. Writes a short description of the problem into err (cap bytes). */
int dfu_sim_app_parse(dfu_sim_app_t *app, const char *desc, size_t len, char *err, size_t cap);

/* Applies the pairs of a descriptor on top of what `app` holds (no defaults first): --app-override.
 * Same rules and errors as dfu_sim_app_parse. */
int dfu_sim_app_apply(dfu_sim_app_t *app, const char *desc, size_t len, char *err, size_t cap);

/* Reads the descriptor of the image at the start of `slot` (protected TLV 0x00A5). Returns 0 with
 * app->has_desc set, DFU_ERR_NOT_FOUND (no descriptor: defaults), or an image/flash error. */
int dfu_sim_app_read(const dfu_flash_area_t *slot, dfu_sim_app_t *app, char *err, size_t cap);

/* ---- Write-through flash file ------------------------------------------------------------ */

/* A dfu_simflash_t (NOR rules, power cuts) whose every write/erase is also pwrite()n to a file. */
typedef struct dfu_sim_flashfile {
    dfu_simflash_t sf;
    dfu_flash_port_t port; /* the port to use (ctx == this) */
    int fd;
    int cut;      /* 1 once an op hit the armed power cut */
    int realtime; /* 1: each op sleeps its modelled duration (nRF52 page erase 85 ms ...) */
    uint64_t cut_op;
} dfu_sim_flashfile_t;

/* Opens (creating it erased if missing, extending a shorter file with erased bytes) the flash
 * file for geometry `g` and takes an exclusive lock on it. Returns 0, DFU_ERR_BUSY (another
 * process holds the file), DFU_ERR_NOSPC (file larger than the flash), DFU_ERR_IO, DFU_ERR_INVAL.
 */
int dfu_sim_flashfile_open(dfu_sim_flashfile_t *ff, const char *path, const dfu_geometry_t *g);
void dfu_sim_flashfile_close(dfu_sim_flashfile_t *ff);

/* ---- BLE bonds in the storage partition ---------------------------------------------------- */

/* Bond records (32 bytes) appended to the first sector of `storage`; compacted when full. */
typedef struct dfu_sim_bonds {
    dfu_flash_area_t area; /* storage partition */
} dfu_sim_bonds_t;

#define DFU_SIM_BOND_REC 32u

/* Fills `store` with callbacks over `b` (for dfu_ble_server_cfg_t.bonds). */
void dfu_sim_bonds_port(dfu_sim_bonds_t *b, dfu_ble_bond_store_t *store);
/* Latest valid bond for `peer`: DFU_OK, DFU_ERR_NOT_FOUND, or a flash error. */
int dfu_sim_bonds_lookup(dfu_sim_bonds_t *b, const uint8_t peer[6], dfu_ble_bond_t *out);
/* Appends (compacting the sector first when it is full). DFU_OK or a flash error. */
int dfu_sim_bonds_store(dfu_sim_bonds_t *b, const dfu_ble_bond_t *bond);

/* ---- The device -------------------------------------------------------------------------- */

typedef struct dfu_sim_opts {
    const char *flash;    /* flash file (required) */
    const char *geometry; /* "nrf52832" (default) or "nrf52840" */
    int strategy;         /* dfu_boot_strategy_t (default move) */
    const char *keys[DFU_SIM_MAX_KEYS];
    int nkeys;
    const char *udp;       /* HOST[:PORT] or NULL */
    char udp_host[128];    /* parsed from udp ("" = 0.0.0.0) */
    uint16_t udp_port;     /* parsed from udp (default 1337, 0 = any free port) */
    const char *serial;    /* pty symlink path or NULL */
    const char *ble;       /* BLE model socket path or NULL */
    const char *install;   /* image to seed an empty primary slot with, or NULL */
    const char *log;       /* log file or NULL (stderr) */
    dfu_linkmodel_t link;  /* timing model applied to every transport (default off) */
    uint64_t power_cut_at; /* flash op N of this power cycle (0 = none) */
    bool torn;
    uint32_t drop_after;       /* link drops after N packets (0 = never) */
    bool flash_timing;         /* sleep the modelled flash erase/write time of every op */
    uint32_t boot_flags;       /* dfu_boot_cfg_t.flags: --downgrade version|seccnt */
    char override_version[24]; /* --app-override VERSION:DESC: the image version it applies to */
    const char *override_desc; /* its descriptor pairs (NULL = no override) */
} dfu_sim_opts_t;

/* Parses `dfukit sim` arguments (argv[0] = "sim"). Returns 0, or DFU_SIM_EXIT_USAGE after
 * printing the problem to `err`; 1 if --help was printed to stdout. */
int dfu_sim_parse_args(dfu_sim_opts_t *o, int argc, char **argv, FILE *err);

/* Runs the device until SIGTERM/SIGINT (handlers installed here), a power cut, or a halt.
 * Returns a DFU_SIM_EXIT_* code. */
int dfu_sim_run(const dfu_sim_opts_t *o);

/* Usage text. */
void dfu_sim_usage(FILE *f);

#ifdef __cplusplus
}
#endif
#endif
