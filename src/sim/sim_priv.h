/* Internal state of one simulated device (host only). */
#ifndef DFU_SIM_PRIV_H
#define DFU_SIM_PRIV_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "dfu_sim.h"
#include "dfukit/dfu_boot_record.h"
#include "dfukit/dfu_boot_validate.h"
#include "dfukit/dfu_link.h"
#include "dfukit/dfu_smp.h"
#include "dfukit/dfu_smp_img.h"
#include "dfukit/dfu_smp_os.h"

#define SIM_REQ_CAP (65535u + 8u)

typedef struct sim_dev {
    /* large members first, flags last (keeps the struct free of padding holes) */
    uint8_t bbuf[1024];     /* boot copy buffer */
    uint8_t vscratch[4096]; /* image validation scratch */
    dfu_boot_cfg_t bcfg;
    dfu_boot_imgval_t iv;
    dfu_boot_t boot;
    dfu_boot_result_t res;
    dfu_boot_result_t last_boot;            /* the app's copy of the bootloader's hand-off record */
    dfu_boot_clock_t clock;                 /* bootloader clock: modelled flash time */
    uint8_t handoff[DFU_BOOT_HANDOFF_SIZE]; /* RAM that survives the jump to the app */
    dfu_sim_flashfile_t ff;
    dfu_smp_server_t srv;
    dfu_smp_os_t os;
    dfu_smp_os_port_t osport;
    dfu_smp_img_t img;
    dfu_link_t udp, serial, ble;
    dfu_image_key_t keys[DFU_SIM_MAX_KEYS];
    dfu_geometry_t g;
    dfu_flash_t fl;
    dfu_flash_area_t primary, secondary, scratch, storage;
    dfu_flash_area_t bootlog; /* boot record log: storage sectors 1 and 2 */
    dfu_sim_bonds_t bonds;
    dfu_sim_app_t app;
    const dfu_sim_opts_t *o;
    FILE *log;
    uint8_t *rsp;    /* SMP response buffer (app buf_size) */
    uint8_t *req;    /* receive buffer (SIM_REQ_CAP) */
    dfu_link_t *cur; /* link the request being handled came from */
    const char *reset_why;
    uint64_t boot_us;                           /* when the app started */
    int64_t time_offset_ms;                     /* RTC = host clock + offset */
    uint64_t udp_dark_until, serial_dark_until; /* connectionless link "dropped" until then */
    unsigned boots;
    unsigned crash_streak;
    uint32_t dropped_oversize;
    char ver[32];
    bool running;      /* an app is running (a bootable image was found) */
    bool confirm_done; /* the app's confirm action has run */
    bool reset_pending;
    bool time_valid;
    bool has_udp, has_serial, has_ble;
    bool has_last_boot; /* the app found a valid hand-off block */
} sim_dev_t;

/* Log line to the sink ("sim: " prefix added), flushed. */
void sim_log(sim_dev_t *d, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Status line (listening): stdout, plus the log file when --log is given. */
void sim_status(sim_dev_t *d, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Loads a PEM or DER public key file (heap). NULL on failure. */
uint8_t *sim_load_key(const char *path, size_t *len);

/* Seeds an empty primary slot with the image file. Returns 0 (also when the slot is not empty:
 * logged, nothing written) or a negative dfu_err. */
int sim_install(sim_dev_t *d, const char *path);

/* Power-on / reset: runs the boot core (again after a crashing app), reads the app descriptor,
 * applies confirm=boot, sets up the SMP server. Returns 0 (d->running tells whether an app runs),
 * DFU_ERR_POWER_CUT, or DFU_ERR_BUSY when the device halted in a crash loop. */
int sim_boot(sim_dev_t *d);

/* Handles one received message (one or more SMP requests) from `l`. Returns 0 or
 * DFU_ERR_POWER_CUT. */
int sim_handle(sim_dev_t *d, dfu_link_t *l, const uint8_t *msg, size_t len);

/* Periodic app work (confirm=after timer). Returns 0 or DFU_ERR_POWER_CUT. */
int sim_tick(sim_dev_t *d);

/* Releases what sim_boot allocated. */
void sim_app_stop(sim_dev_t *d);

#endif
