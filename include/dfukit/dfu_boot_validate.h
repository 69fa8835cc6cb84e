/*
 * Standard image validation hook for the boot core: validates a slot image with the image
 * library (dfu_image_validate) reading straight from flash through dfu_flash_read.
 *
 * Usage:
 *   dfu_boot_imgval_t iv = {.verify = {.crypto = dfu_crypto_default(), .keys = keys,
 *                                      .key_count = n, .scratch = buf, .scratch_len = 1024}};
 *   dfu_boot_image_validator(&cfg.validator, &iv);
 * verify.max_image_size is set per call by the boot core (the strategy's limit); everything
 * else (keys, hash algorithm, flags such as DFU_IMAGE_VF_REQUIRE_SEC_CNT) is the caller's.
 * key_count == 0 means hash-only validation. For encrypted updates set verify.enc_priv (PKCS#8
 * DER) and `primary`; encrypted updates are then decrypted while installed into the primary
 * (swap strategies also need cfg.trailer.enc_key_len = 16 or 32 to keep the key in the trailer).
 * The image moved back into the secondary by a swap is not re-encrypted; the revert candidate is
 * validated as stored (validate_plain).
 */
#ifndef DFUKIT_DFU_BOOT_VALIDATE_H
#define DFUKIT_DFU_BOOT_VALIDATE_H

#include "dfukit/dfu_boot.h"
#include "dfukit/dfu_image.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct dfu_boot_imgval {
    dfu_image_verify_cfg_t verify;
    /* With verify.enc_priv set: the primary slot, whose images are validated as stored (they
     * were decrypted when installed). Images elsewhere are decrypted while hashing. */
    const dfu_flash_area_t *primary;
    dfu_image_result_t last; /* result of the most recent validation (reason on failure) */
} dfu_boot_imgval_t;

/* Points `v` at the image-library validator using `iv` (which must outlive the boot run). */
void dfu_boot_image_validator(dfu_boot_validator_t *v, dfu_boot_imgval_t *iv);

#ifdef __cplusplus
}
#endif
#endif
