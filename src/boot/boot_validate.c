/*
 * Adapter: dfu_boot_validator_t -> dfu_image_validate() over a dfu_flash_area_t.
 */
#include "dfukit/dfu_boot_validate.h"

#include <string.h>

#include "dfukit/dfu_err.h"

typedef struct flash_reader_ctx {
    const dfu_flash_area_t *fa;
    uint32_t base;
} flash_reader_ctx_t;

static int flash_reader_read(void *ctx, uint32_t off, void *buf, size_t len)
{
    const flash_reader_ctx_t *r = ctx;
    return dfu_flash_read(r->fa, r->base + off, buf, len);
}

static int imgval_run(void *ctx, const dfu_flash_area_t *slot, uint32_t img_off, uint32_t max_size,
                      int plain, dfu_boot_image_info_t *info)
{
    dfu_boot_imgval_t *iv = ctx;
    flash_reader_ctx_t rc_ctx = {slot, img_off};
    dfu_image_reader_t rd = {flash_reader_read, &rc_ctx, slot->size - img_off, NULL};
    dfu_image_verify_cfg_t cfg = iv->verify;
    cfg.max_image_size = max_size;
    if (plain || (iv->primary != NULL && slot->flash == iv->primary->flash &&
                  slot->off == iv->primary->off)) {
        cfg.flags |= DFU_IMAGE_VF_NO_DECRYPT;
    }
    int rc = dfu_image_validate(&rd, &cfg, &iv->last);
    if (rc < 0) {
        return rc;
    }
    const dfu_image_result_t *r = &iv->last;
    info->ver_major = r->hdr.ver.major;
    info->ver_minor = r->hdr.ver.minor;
    info->ver_revision = r->hdr.ver.revision;
    info->ver_build = r->hdr.ver.build;
    info->has_security_counter = (r->flags & DFU_IMAGE_RF_HAS_SEC_CNT) != 0u;
    info->security_counter = r->security_counter;
    info->hash_len = r->hash_len <= sizeof(info->hash) ? r->hash_len : (uint8_t)sizeof(info->hash);
    memcpy(info->hash, r->hash, info->hash_len);
    info->hdr_size = r->hdr.hdr_size;
    info->img_size = r->hdr.img_size;
    info->total_size = r->tlv_end;
    info->flags = r->hdr.flags;
    return DFU_OK;
}

static int imgval_validate(void *ctx, const dfu_flash_area_t *slot, uint32_t img_off,
                           uint32_t max_size, dfu_boot_image_info_t *info)
{
    return imgval_run(ctx, slot, img_off, max_size, 0, info);
}

static int imgval_validate_plain(void *ctx, const dfu_flash_area_t *slot, uint32_t img_off,
                                 uint32_t max_size, dfu_boot_image_info_t *info)
{
    return imgval_run(ctx, slot, img_off, max_size, 1, info);
}

static int imgval_unwrap(void *ctx, const dfu_flash_area_t *slot, uint32_t img_off, uint8_t key[32])
{
    dfu_boot_imgval_t *iv = ctx;
    flash_reader_ctx_t rc_ctx = {slot, img_off};
    dfu_image_reader_t rd = {flash_reader_read, &rc_ctx, slot->size - img_off, NULL};
    dfu_image_header_t hdr;
    dfu_image_enc_key_t k;
    memset(&k, 0, sizeof(k));
    if (iv->verify.enc_priv == NULL) {
        return DFU_ERR_DECRYPT;
    }
    int rc = dfu_image_header_read(&rd, &hdr);
    if (rc == 0) {
        rc = dfu_image_enc_unwrap(iv->verify.crypto, &rd, &hdr, iv->verify.enc_priv,
                                  iv->verify.enc_priv_len, &k);
    }
    if (rc < 0) {
        return rc;
    }
    uint8_t len = k.len <= sizeof(k.key) ? k.len : (uint8_t)sizeof(k.key);
    memcpy(key, k.key, len);
    memset(&k, 0, sizeof(k));
    return (int)len;
}

static int imgval_xcrypt(void *ctx, const uint8_t *key, size_t key_len, uint32_t hdr_size,
                         uint32_t img_size, uint32_t off, uint8_t *buf, size_t len)
{
    dfu_boot_imgval_t *iv = ctx;
    dfu_image_enc_key_t k;
    dfu_image_header_t hdr;
    if (key_len != 16u && key_len != 32u) {
        return DFU_ERR_INVAL;
    }
    memset(&hdr, 0, sizeof(hdr));
    hdr.hdr_size = (uint16_t)hdr_size;
    hdr.img_size = img_size;
    memcpy(k.key, key, key_len);
    k.len = (uint8_t)key_len;
    int rc = dfu_image_xcrypt(iv->verify.crypto, &k, &hdr, off, buf, len);
    memset(&k, 0, sizeof(k));
    return rc;
}

void dfu_boot_image_validator(dfu_boot_validator_t *v, dfu_boot_imgval_t *iv)
{
    v->ctx = iv;
    v->validate = imgval_validate;
    v->unwrap = DFU_IMAGE_ENC ? imgval_unwrap : NULL;
    v->xcrypt = DFU_IMAGE_ENC ? imgval_xcrypt : NULL;
    v->validate_plain = imgval_validate_plain;
}
