/* RSA-3072 PSS: no imgtool vector exists, so an image is generated at test time with
 * python3-cryptography (gen_rsa3072.py, fresh key each run). Skipped with a note when python3 or
 * the module is missing. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dfu_test.h"
#include "dfukit/dfu_err.h"
#include "dfukit/dfu_image.h"
#include "image_test_util.h"

int main(void)
{
    char *rc = tu_run("mkdir -p %s/test_image_rsa3072 && python3 %s/tests/image/gen_rsa3072.py "
                      "%s/test_image_rsa3072 >/dev/null 2>&1; echo $?",
                      DFU_BUILD_DIR, DFU_SOURCE_DIR, DFU_BUILD_DIR);
    if (!rc || strcmp(rc, "0") != 0) {
        printf("note: python3-cryptography unavailable; RSA-3072 checks not run\n");
        free(rc);
        return dfu_test_finish("test_image_rsa3072");
    }
    free(rc);
    size_t len, klen;
    uint8_t *img = tu_read_file(DFU_BUILD_DIR "/test_image_rsa3072/rsa3072.bin", &len);
    uint8_t *key = tu_read_file(DFU_BUILD_DIR "/test_image_rsa3072/rsa3072.pub.der", &klen);
    CHECK(img && key);
    if (!img || !key) {
        return dfu_test_finish("test_image_rsa3072");
    }
    static uint8_t scratch[512];
    dfu_image_key_t k = {key, klen};
    dfu_image_verify_cfg_t cfg = {.crypto = dfu_crypto_default(),
                                  .keys = &k,
                                  .key_count = 1,
                                  .scratch = scratch,
                                  .scratch_len = sizeof(scratch)};
    dfu_image_result_t res;
    tu_reader_t r;
    tu_reader_init(&r, img, (uint32_t)len, 0);
    CHECK_EQ_INT(dfu_image_validate(&r.rd, &cfg, &res), 0);
    CHECK_EQ_INT(res.sig_type, DFU_IMAGE_TLV_RSA3072_PSS);
    CHECK_EQ_INT(res.key_index, 0);
    CHECK_EQ_INT(res.hdr.ver.build, 9);
    img[len - 1] ^= 1;
    CHECK_EQ_INT(dfu_image_validate(&r.rd, &cfg, &res), DFU_ERR_BAD_SIGNATURE);
    img[len - 1] ^= 1;
    img[40] ^= 1;
    CHECK_EQ_INT(dfu_image_validate(&r.rd, &cfg, &res), DFU_ERR_HASH_MISMATCH);
    CHECK(!r.oob);
    free(img);
    free(key);
    return dfu_test_finish("test_image_rsa3072");
}
