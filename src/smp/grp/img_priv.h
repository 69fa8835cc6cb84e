/* Image group internals shared by img.c, img_state.c and img_upload.c. */
#ifndef DFU_SMP_IMG_PRIV_H
#define DFU_SMP_IMG_PRIV_H

#include "dfukit/dfu_image.h"
#include "dfukit/dfu_smp_img.h"

/* What the state list needs from one slot. */
typedef struct img_slot_info {
    dfu_image_header_t hdr;
    uint8_t hash[32];
} img_slot_info_t;

/* Flash area of slot 0/1 and the slot offset where its image starts, given the swap type the
 * trailers show (swap-using-offset: slot 1's image is at 0 while the type is REVERT, one sector
 * in otherwise). */
const dfu_flash_area_t *dfu_smp_img_area(const dfu_smp_img_t *img, unsigned slot, int swap_type,
                                         uint32_t *img_off);

/* Reads the header and SHA-256 TLV of `slot` (offset as dfu_smp_img_area). 0, or a negative
 * dfu_err (no valid image). */
int dfu_smp_img_slot_info(const dfu_smp_img_t *img, unsigned slot, int swap_type,
                          img_slot_info_t *out);

/* Writes the {"images":[...], "splitStatus":0} pairs of a state response. */
int dfu_smp_img_write_state(dfu_smp_req_t *req, dfu_smp_img_t *img);

/* Why slot 1 is in use, as a client-facing reason (NULL if not in use). */
const char *dfu_smp_img_in_use_rsn(const dfu_smp_img_state_t *st);

/* Erases [from, to) of the secondary, sector by sector, skipping sectors already blank. */
int dfu_smp_img_erase_range(const dfu_smp_img_t *img, uint32_t from, uint32_t to);

/* Handlers. */
int dfu_smp_img_state_read(dfu_smp_req_t *req);
int dfu_smp_img_state_write(dfu_smp_req_t *req);
int dfu_smp_img_upload(dfu_smp_req_t *req);

#endif
