/*
 * SMP OS management group (group 0): echo (0), datetime get/set (4), reset (5), MCUmgr params
 * (6), OS/application info (7), bootloader info (8, plus dfukit's boot outcome queries "last_boot"
 * and "boot_log"). Wire details: smp-protocol.md §3.2, docs/SPEC-smp.md section 4.
 * Task stats (2) and memory pool stats (3) are not provided (rc 8).
 *
 * Everything platform specific comes through dfu_smp_os_port_t; a NULL function makes the
 * command that needs it answer rc 8 (not supported).
 */
#ifndef DFUKIT_DFU_SMP_OS_H
#define DFUKIT_DFU_SMP_OS_H

#include <stdbool.h>
#include <stdint.h>

#include "dfukit/dfu_boot.h"
#include "dfukit/dfu_flash.h"
#include "dfukit/dfu_smp.h"

#ifdef __cplusplus
extern "C" {
#endif

/* OS group error codes (err.rc in SMP v2). */
#define DFU_SMP_OS_ERR_UNKNOWN 1u
#define DFU_SMP_OS_ERR_INVALID_FORMAT 2u
#define DFU_SMP_OS_ERR_QUERY_YIELDS_NO_ANSWER 3u
#define DFU_SMP_OS_ERR_RTC_NOT_SET 4u
#define DFU_SMP_OS_ERR_RTC_COMMAND_FAILED 5u

/* MCUboot mode numbers reported by bootloader info {"query":"mode"}. */
#define DFU_SMP_MODE_UNKNOWN (-1)
#define DFU_SMP_MODE_SINGLE_SLOT 0
#define DFU_SMP_MODE_SWAP_SCRATCH 1
#define DFU_SMP_MODE_OVERWRITE 2
#define DFU_SMP_MODE_SWAP_MOVE 3
#define DFU_SMP_MODE_DIRECT_XIP 4
#define DFU_SMP_MODE_DIRECT_XIP_REVERT 5
#define DFU_SMP_MODE_RAM_LOAD 6
#define DFU_SMP_MODE_FIRMWARE_LOADER 7
#define DFU_SMP_MODE_SINGLE_SLOT_RAM_LOAD 8
#define DFU_SMP_MODE_SWAP_OFFSET 9

/* Broken-down UTC time (no calendar arithmetic on the device side). */
typedef struct dfu_smp_datetime {
    uint16_t year;  /* 1900..11899 */
    uint8_t month;  /* 1..12 */
    uint8_t day;    /* 1..31 */
    uint8_t hour;   /* 0..23 */
    uint8_t minute; /* 0..59 */
    uint8_t second; /* 0..59 */
    uint16_t ms;    /* 0..999 */
} dfu_smp_datetime_t;

typedef struct dfu_smp_os_port {
    void *ctx;
    /* Asked before a reset is accepted. Return 0 to allow, or a negative dfu_err to refuse
     * (DFU_ERR_BUSY -> rc 10); refusal is overridden when the request had "force": true.
     * NULL = always allow. */
    int (*reset_check)(void *ctx, bool force, uint8_t boot_mode);
    /* Performs the reset (boot_mode 0 normal, 1 bootloader/serial recovery, others passed on).
     * Called after the response has been handed to the transport's send (the app may delay it,
     * as Zephyr does by 250 ms). NULL = reset not supported (rc 8). */
    void (*reset)(void *ctx, uint8_t boot_mode);
    /* Reads the RTC: 0, DFU_ERR_NODEV if the clock was never set (-> OS err 4), or another
     * error (-> OS err 5). NULL = datetime not supported (rc 8). */
    int (*time_get)(void *ctx, dfu_smp_datetime_t *out);
    /* Sets the RTC (fields already range checked): 0 or a negative dfu_err (-> OS err 5). */
    int (*time_set)(void *ctx, const dfu_smp_datetime_t *dt);
} dfu_smp_os_port_t;

/* OS group configuration. Strings are static, NUL terminated; NULL fields get the defaults
 * noted. */
typedef struct dfu_smp_os_cfg {
    const dfu_smp_os_port_t *port; /* NULL = no reset, no datetime */
    uint16_t buf_count;            /* reported by params; 0 = 4 */
    /* OS/app info fields, format letters s n r v b m p i o ("a" = all). */
    const char *kernel_name; /* s, default "dfukit" */
    const char *node_name;   /* n, default "dfukit-device" */
    const char *release;     /* r, default "0.1.0" */
    const char *version;     /* v, default "0.1.0" */
    const char *build_time;  /* b, NULL = letter not supported (format error) */
    const char *machine;     /* m, default "arm" */
    const char *processor;   /* p, default "cortex-m4" */
    const char *platform;    /* i, default "generic" */
    const char *os_name;     /* o, default "dfukit" */
    /* Bootloader info. */
    int8_t mcuboot_mode; /* DFU_SMP_MODE_*, the configured swap strategy */
    bool no_downgrade;   /* adds "no-downgrade": true to the mode answer */
    bool datetime_ms;    /* datetime with ".ms" (CONFIG_MCUMGR_GRP_OS_DATETIME_MS) */
    /* Boot outcome, served by bootloader info queries "last_boot" and "boot_log"
     * (docs/SPEC-smp.md section 4.1). Without them those queries answer exactly as an unknown
     * query ({"rc": 3}, as Zephyr). */
    const dfu_boot_result_t *last_boot; /* this boot's record, e.g. from dfu_boot_handoff_read()
                                         * (kept by the caller); NULL = none */
    const dfu_flash_area_t *boot_log;   /* the bootloader's record log (dfu_boot_record.h);
                                         * NULL = none */
} dfu_smp_os_cfg_t;

/* OS group instance (caller-allocated). */
typedef struct dfu_smp_os {
    dfu_smp_os_cfg_t cfg;
    uint8_t reset_mode; /* boot mode of the accepted reset, for the post-send action */
} dfu_smp_os_t;

/* The group definition (for custom registration). */
extern const dfu_smp_group_t dfu_smp_os_group;

/* Initialises `os` from `cfg` and registers group 0 on `srv`. Returns 0 or a registration
 * error. */
int dfu_smp_os_register(dfu_smp_server_t *srv, dfu_smp_os_t *os, const dfu_smp_os_cfg_t *cfg);

/* Parses a datetime set string ("YYYY-MM-DDTHH:MM:SS[.mmm][zone]", 19..25 chars, any single
 * delimiter characters, zone suffix ignored; ".ms" only when `with_ms`). Returns 0 or
 * DFU_ERR_INVAL. Exposed for tests and the client. */
int dfu_smp_os_parse_datetime(const char *s, size_t len, bool with_ms, dfu_smp_datetime_t *out);

/* Formats `dt` as "YYYY-MM-DDTHH:MM:SS" (+ ".ms" unpadded when with_ms) into out (cap >= 32).
 * Returns the length. */
size_t dfu_smp_os_format_datetime(const dfu_smp_datetime_t *dt, bool with_ms, char *out,
                                  size_t cap);

#ifdef __cplusplus
}
#endif
#endif
