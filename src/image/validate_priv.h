/* State shared by image_validate.c (structure + hash) and image_sig.c (key selection and
 * signatures). */
#ifndef DFU_IMAGE_VALIDATE_PRIV_H
#define DFU_IMAGE_VALIDATE_PRIV_H

#include "image_priv.h"

typedef struct dfu_vstate {
    const dfu_image_reader_t *rd;
    const dfu_image_verify_cfg_t *cfg;
    dfu_image_result_t *out;
    uint32_t hashed; /* size of the hashed (and signed) region */
    dfu_image_tlv_t hash_tlv;
    dfu_image_tlv_t enc_tlv;
    uint8_t have_hash, have_enc, have_sec_cnt, pure, decrypt;
    uint8_t digest[DFU_HASH_MAX_LEN]; /* computed image hash (== out->hash once checked) */
    dfu_image_enc_key_t aes;
} dfu_vstate_t;

/* Records the failure in s->out and returns `err`. `reason` must be a static string. */
int dfu_image_vfail(dfu_vstate_t *s, int err, const char *reason, uint32_t off);

/* Second TLV walk: KEYHASH/PUBKEY selects a configured key, the following signature TLV is
 * verified. Returns 0 when a signature by a configured key verified. */
int dfu_image_check_sigs(dfu_vstate_t *s);

#endif
