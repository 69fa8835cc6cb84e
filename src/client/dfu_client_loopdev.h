/*
 * In-process simulated device for the client tests and the goodput bench (host only): simulated
 * nRF52832 flash, the dfukit boot core (swap-using-move), the dfukit SMP server with the OS and
 * image groups, served on a UDP, pty serial or modelled BLE link from a background thread.
 * Used until/besides `dfukit sim`; it is the same device code the simulator runs, without boot
 * records (no log, no hand-off block): it answers bootloader info "last_boot" as Zephyr does.
 */
#ifndef DFU_CLIENT_LOOPDEV_H
#define DFU_CLIENT_LOOPDEV_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "dfukit/dfu_boot.h"
#include "dfukit/dfu_boot_simflash.h"
#include "dfukit/dfu_boot_validate.h"
#include "dfukit/dfu_host_ble.h"
#include "dfukit/dfu_link.h"
#include "dfukit/dfu_smp.h"
#include "dfukit/dfu_smp_img.h"
#include "dfukit/dfu_smp_os.h"

/* Per-firmware behaviour, chosen by the test from the booted image's version. */
typedef struct dfu_loopdev_fw {
    bool secure; /* L3 required for writes (dfu_smp_policy_secure) + passkey pairing */
    uint32_t passkey;
    bool self_confirm; /* the application confirms itself at boot */
    bool crash;        /* the application crashes at start (resets before serving anything) */
} dfu_loopdev_fw_t;

typedef struct dfu_loopdev {
    dfu_simflash_t sf;
    dfu_flash_t flash;
    dfu_flash_area_t primary, secondary;
    dfu_boot_cfg_t bcfg;
    dfu_boot_t boot;
    dfu_boot_imgval_t iv;
    uint8_t bbuf[1024];
    uint8_t vscratch[1024];
    dfu_smp_server_t srv;
    uint8_t rsp[2475];
    dfu_smp_os_t os;
    dfu_smp_img_t img;
    dfu_smp_os_port_t osport;
    dfu_link_t link;
    int kind;                 /* DFU_LINK_UDP / SERIAL / BLE */
    char path[200];           /* pty symlink / BLE socket */
    uint16_t port;            /* UDP port chosen */
    dfu_linkmodel_t model;    /* applied to the device end (kind OFF = none) */
    dfu_link_faults_t faults; /* applied to the device end (zero = none) */
    uint32_t buf_size;
    uint16_t buf_count;
    bool no_downgrade;
    bool no_erase_pending;
    volatile bool ignore_reset; /* accept reset requests but never reset (a stuck app) */
    /* firmware profile hook: fills *fw for the image version booted (NULL = open, no confirm) */
    void (*profile)(const dfu_boot_image_info_t *img, dfu_loopdev_fw_t *fw);
    dfu_loopdev_fw_t fw;
    dfu_ble_bond_t bonds[4];
    int nbonds;
    pthread_t th;
    pthread_mutex_t mu;
    volatile int stop;
    volatile int reset_req;
    volatile uint64_t cut_after; /* arm a power cut after N flash ops (0 = none) */
    volatile int resets, power_cuts;
    volatile int down_ms; /* the device is silent this long after a reset (boot time) */
} dfu_loopdev_t;

/* Creates the flash (erased), installs `image` (file bytes, may be NULL) confirmed in slot 0. */
int dfu_loopdev_init(dfu_loopdev_t *d, const uint8_t *image, size_t len);
/* Starts serving on `kind` (UDP: 127.0.0.1, free port; SERIAL/BLE: path). */
int dfu_loopdev_start(dfu_loopdev_t *d, int kind, const char *path);
void dfu_loopdev_stop(dfu_loopdev_t *d);
void dfu_loopdev_free(dfu_loopdev_t *d);
/* Connection string for the client. */
void dfu_loopdev_conn(const dfu_loopdev_t *d, char *out, size_t cap);

#endif
