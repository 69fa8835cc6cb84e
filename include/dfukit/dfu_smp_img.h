/*
 * SMP image management group (group 1) for one updatable image with two slots (MCUboot swap or
 * overwrite modes): state read/write (0), upload (1), erase (5), slot info (6).
 * Behaviour follows current Zephyr img_mgmt (smp-protocol.md §3.3, §4, §5):
 *   - state: one entry per slot holding an image with a readable SHA-256 TLV; flags from the
 *     MCUboot swap type (§5.3); writes follow §5.4 (err 28 IMAGE_ALREADY_PENDING, 33, 24, 8);
 *   - upload: first chunk `len`/`sha`/`image`/`upgrade`, header checked on the first 32 bytes,
 *     resume when the same non-empty `sha` restarts at 0, a wrong offset is answered with the
 * expected one, progressive erase (trailer sectors first, so a scheduled swap is cancelled before
 * any data lands), unaligned chunks buffered, `match` (SHA-256 of the written file) at the end;
 *   - slot-in-use rules of §4.5 (err 9 NO_FREE_SLOT) with ALLOW_ERASE_PENDING on by default.
 * The bootloader side is reached only through dfu_boot.h (trailer state, set_pending,
 * set_confirmed) and image parsing through dfu_image.h; flash only through dfu_flash.h.
 * `image` values other than 0 are accepted and ignored on upload (single-image build; the
 * mcumgr-client tool always sends image 1).
 */
#ifndef DFUKIT_DFU_SMP_IMG_H
#define DFUKIT_DFU_SMP_IMG_H

#include <stdbool.h>
#include <stdint.h>

#include "dfukit/dfu_boot.h"
#include "dfukit/dfu_crypto.h"
#include "dfukit/dfu_flash.h"
#include "dfukit/dfu_smp.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Image group error codes (err.rc in SMP v2) used by this server. */
#define DFU_SMP_IMG_ERR_UNKNOWN 1u
#define DFU_SMP_IMG_ERR_HASH_NOT_FOUND 8u
#define DFU_SMP_IMG_ERR_NO_FREE_SLOT 9u
#define DFU_SMP_IMG_ERR_FLASH_WRITE_FAILED 12u
#define DFU_SMP_IMG_ERR_FLASH_ERASE_FAILED 13u
#define DFU_SMP_IMG_ERR_INVALID_SLOT 14u
#define DFU_SMP_IMG_ERR_INVALID_OFFSET 20u
#define DFU_SMP_IMG_ERR_INVALID_LENGTH 21u
#define DFU_SMP_IMG_ERR_INVALID_IMAGE_HEADER 22u
#define DFU_SMP_IMG_ERR_INVALID_IMAGE_HEADER_MAGIC 23u
#define DFU_SMP_IMG_ERR_INVALID_HASH 24u
#define DFU_SMP_IMG_ERR_CURRENT_VERSION_IS_NEWER 27u
#define DFU_SMP_IMG_ERR_IMAGE_ALREADY_PENDING 28u
#define DFU_SMP_IMG_ERR_INVALID_IMAGE_VECTOR_TABLE 29u
#define DFU_SMP_IMG_ERR_INVALID_IMAGE_TOO_LARGE 30u
#define DFU_SMP_IMG_ERR_INVALID_IMAGE_DATA_OVERRUN 31u
#define DFU_SMP_IMG_ERR_IMAGE_CONFIRMATION_DENIED 32u
#define DFU_SMP_IMG_ERR_IMAGE_SETTING_TEST_TO_ACTIVE_DENIED 33u

typedef struct dfu_smp_img_cfg {
    dfu_flash_area_t primary;        /* slot 0: the running image */
    dfu_flash_area_t secondary;      /* slot 1: upload target */
    dfu_flash_area_t scratch;        /* swap-using-scratch: the bootloader's scratch area, for
                                      * the exact upload limit; size 0 = not given (other
                                      * strategies never need it) */
    dfu_boot_trailer_cfg_t trailer;  /* must match the bootloader (NULL-equivalent: zeroed) */
    const dfu_crypto_port_t *crypto; /* SHA-256 for the upload `match`; NULL = no match check */
    bool no_erase_pending;           /* true = CONFIG_MCUMGR_GRP_IMG_ALLOW_ERASE_PENDING=n */
    bool version_use_build;          /* `upgrade` compares the build number too */
    bool frugal_list;                /* omit false flags and splitStatus in state responses */
    bool legacy_rc; /* add "rc": 0 to upload/erase answers (MCUMGR_SMP_LEGACY_RC_BEHAVIOUR) */
} dfu_smp_img_cfg_t;

/* Upload session (Zephyr's img_mgmt_state.upload). */
typedef struct dfu_smp_img_upload {
    bool active;
    uint32_t off;    /* next expected file offset */
    uint32_t size;   /* file length announced by `len` */
    uint8_t sha[32]; /* `sha` of the first chunk */
    uint8_t sha_len;
    uint32_t wpos;      /* slot offset of the next flash write (aligned) */
    uint32_t erased_to; /* slot bytes [img_off, erased_to) erased this session */
    uint8_t tail[32];   /* bytes waiting for a full write unit */
    uint8_t tail_len;
} dfu_smp_img_upload_t;

/* Image group instance (caller-allocated). */
typedef struct dfu_smp_img {
    dfu_smp_img_cfg_t cfg;
    dfu_smp_img_upload_t up;
    uint32_t img_off;       /* slot offset where uploads go in the secondary (swap-offset: one
                             * sector; the revert image of a REVERT state sits at 0 instead) */
    uint32_t trailer_start; /* first sector of the secondary that holds trailer bytes */
    uint32_t max_image;     /* largest upload accepted (bytes): the bootloader's limit for the
                             * strategy (dfu_boot_max_image_size_for), also slot-info's
                             * max_image_size */
} dfu_smp_img_t;

/* The group definition (for custom registration). */
extern const dfu_smp_group_t dfu_smp_img_group;

/* Checks the areas (valid, same write alignment <= 32, trailer layout fits, a layout the
 * bootloader accepts for cfg->trailer.strategy), initialises `img` and registers group 1 on
 * `srv`. The upload limit is the bootloader's (swap-using-scratch without cfg->scratch: the
 * image must end before the first trailer sector of either slot, which is never above it).
 * Returns 0, DFU_ERR_INVAL, or a registration error. */
int dfu_smp_img_register(dfu_smp_server_t *srv, dfu_smp_img_t *img, const dfu_smp_img_cfg_t *cfg);

/* Next-boot view of the slots (Zephyr's img_mgmt state, §5.3), for tests and the CLI. State
 * writes: a zero-length "hash" counts as absent; a BAD secondary trailer magic on a test/confirm
 * request erases slot 1 (MCUboot boot_set_pending) and answers err 23; a BAD primary magic on
 * confirm answers err 29 (Zephyr's translation of BOOT_EBADVECT). */
typedef struct dfu_smp_img_state {
    int swap_type;  /* DFU_BOOT_SWAP_* from the trailers */
    uint8_t active; /* running slot (0) */
    uint8_t nbs;    /* slot booted next */
    bool in_use[2]; /* §4.5 slot-in-use for slot 0 and 1 (blocks upload and erase) */
} dfu_smp_img_state_t;

/* Reads the trailers and computes the state. Returns 0 or a flash error. */
int dfu_smp_img_get_state(const dfu_smp_img_t *img, dfu_smp_img_state_t *st);

#ifdef __cplusplus
}
#endif
#endif
