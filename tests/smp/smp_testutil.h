/*
 * Test support for the SMP tests (host only): RAM flash port, hex helpers, a CBOR "canonical
 * text" form for decode-equal comparisons, a synthetic MCUboot image builder, and a device
 * fixture (server + OS + image groups on a RAM flash, with a boot core for "resets").
 */
#ifndef SMP_TESTUTIL_H
#define SMP_TESTUTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dfukit/dfu_boot.h"
#include "dfukit/dfu_boot_validate.h"
#include "dfukit/dfu_flash.h"
#include "dfukit/dfu_smp.h"
#include "dfukit/dfu_smp_img.h"
#include "dfukit/dfu_smp_os.h"

/* ---- RAM flash (write-once after erase, alignment enforced, optional write failure) -------- */
typedef struct tu_flash {
    uint8_t *mem;
    dfu_flash_port_t port;
    dfu_flash_t flash;
    int fail_writes; /* >0: every write fails with DFU_ERR_IO */
    int fail_erases; /* >0: every erase fails with DFU_ERR_IO */
} tu_flash_t;

void tu_flash_init(tu_flash_t *f, uint32_t size, uint32_t sector, uint32_t align);
void tu_flash_free(tu_flash_t *f);

/* ---- Hex and CBOR -------------------------------------------------------------------------- */
/* Decodes hex (spaces ignored) into out; returns the byte count. */
size_t tu_unhex(const char *hex, uint8_t *out, size_t cap);
/* Canonical text of one CBOR item (maps sorted by key): malloc'd, NULL if malformed. */
char *tu_canon(const uint8_t *p, size_t n);

/* ---- Images ---------------------------------------------------------------------------------- */
/* Builds an MCUboot image: 32-byte header (hdr_size 32), `body` payload bytes (pattern from
 * `seed`), TLV info + SHA-256 TLV. Returns the total size; hash = the TLV value. */
size_t tu_make_image(uint8_t *out, size_t cap, uint32_t body, uint8_t major, uint8_t minor,
                     uint16_t rev, uint32_t build, uint8_t seed, uint8_t hash[32]);
/* SHA-256 of a buffer. */
void tu_sha256(const uint8_t *p, size_t n, uint8_t out[32]);
/* Reads a whole file (malloc'd), NULL if absent. */
uint8_t *tu_read_file(const char *path, size_t *len);

/* ---- Device fixture ------------------------------------------------------------------------ */
#define TU_SECTOR 4096u
#define TU_PRIMARY_SIZE (17u * TU_SECTOR) /* swap-move: one spare sector */
#define TU_SECONDARY_SIZE (16u * TU_SECTOR)
/* Slot areas of a fixture device (the strategy decides which slot has the spare sector). */
#define TU_P_SIZE(d) ((d)->img.cfg.primary.size)
#define TU_S_OFF(d) ((d)->img.cfg.secondary.off)
#define TU_MAX_RSP 16

typedef struct tu_dev {
    tu_flash_t fl;
    dfu_smp_server_t srv;
    dfu_smp_os_t os;
    dfu_smp_img_t img;
    dfu_smp_os_port_t os_port;
    uint8_t rspbuf[2048];
    /* captured responses */
    uint8_t rsp[TU_MAX_RSP][2048];
    size_t rsp_len[TU_MAX_RSP];
    int nrsp;
    int resets; /* OS reset callbacks run */
    uint8_t reset_mode;
    int refuse_reset; /* reset_check refuses with DFU_ERR_BUSY */
    bool clock_set;
    dfu_smp_datetime_t clock;
    /* boot core for "reset" */
    dfu_boot_cfg_t bcfg;
    dfu_boot_imgval_t iv;
    uint8_t vscratch[1024];
    uint8_t bbuf[1024];
} tu_dev_t;

typedef struct tu_opts {
    size_t buf_size; /* 0 = 384 */
    const dfu_smp_policy_t *policy;
    bool no_erase_pending;
    bool no_rsn;
    uint32_t align;     /* flash write alignment, 0 = 8 */
    uint16_t buf_count; /* reported by OS params, 0 = 4 */
    uint8_t strategy;   /* dfu_boot_strategy_t: MOVE (0, default) or OFFSET (slot sizes swapped:
                         * primary 16 sectors, secondary 17) */
} tu_opts_t;

/* Heap-allocates and sets up a device; slot 0 gets `slot0` (len bytes) if non-NULL, with its
 * trailer left erased (a confirmed, running image). */
tu_dev_t *tu_dev_new(const tu_opts_t *o, const uint8_t *slot0, size_t len);
void tu_dev_free(tu_dev_t *d);

/* Sends one request (whole buffer) on a link at `level`; returns the number of responses. The
 * last response is d->rsp[d->nrsp-1]. */
int tu_dev_req(tu_dev_t *d, const uint8_t *req, size_t len, uint8_t level);
/* Canonical text of the payload of the last response (malloc'd). */
char *tu_last_canon(tu_dev_t *d);
/* Builds a request frame: returns its length. */
size_t tu_frame(uint8_t *out, uint8_t op, uint8_t ver, uint16_t group, uint8_t seq, uint8_t id,
                const uint8_t *cbor, size_t cbor_len);
/* Runs the boot core once (a device reset). Returns dfu_boot_go's result. */
int tu_dev_reboot(tu_dev_t *d, dfu_boot_result_t *res);

/* Uploads a whole image with chunks of `chunk` bytes through SMP (v2); returns 0 on success
 * (last response has off == len), or the canonical text of the failing response is printed. */
int tu_upload(tu_dev_t *d, const uint8_t *img, size_t len, size_t chunk, uint8_t level);

/* Sends a state write {hash?, confirm} (v2 or v1). Returns canonical text of the response. */
char *tu_state_write(tu_dev_t *d, const uint8_t *hash, bool confirm, uint8_t ver, uint8_t level);

#endif
