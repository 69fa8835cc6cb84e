/* LZMA2 compression for `--compression lzma2|lzma2armthumb` (liblzma raw encoder).
 *
 * MCUboot's decompressor expects a 2-byte header before the raw LZMA2 stream: the LZMA2
 * dictionary-size byte (smallest d with dict <= (2 | (d & 1)) << (d / 2 + 11)) and the
 * lc/lp/pb byte (pb * 5 + lp) * 9 + lc. imgtool's parameters: preset 9, dict 128 KiB, lc 3,
 * lp 1, pb 2. */
#include <lzma.h>
#include <stdlib.h>

#include "imgtool_priv.h"

#define LZ_DICT (128u * 1024u)
#define LZ_LC 3u
#define LZ_LP 1u
#define LZ_PB 2u

static uint8_t dict_byte(uint32_t dict)
{
    for (uint8_t d = 0; d < 40; d++) {
        if ((uint64_t)dict <= ((uint64_t)(2u | (d & 1u)) << (d / 2u + 11u))) {
            return d;
        }
    }
    return 40;
}

int imgtool_lzma2_compress(const uint8_t *in, size_t n, bool arm_thumb, dfu_imgtool_buf_t *out,
                           dfu_imgtool_diag_t *diag)
{
    lzma_options_lzma opt;
    if (lzma_lzma_preset(&opt, 9)) {
        return dfu_imgtool_fail(diag, DFU_ERR_CRYPTO, "liblzma: preset 9 unavailable");
    }
    opt.dict_size = LZ_DICT;
    opt.lc = LZ_LC;
    opt.lp = LZ_LP;
    opt.pb = LZ_PB;
    lzma_filter filters[3];
    size_t f = 0;
    if (arm_thumb) {
        filters[f].id = LZMA_FILTER_ARMTHUMB;
        filters[f++].options = NULL;
    }
    filters[f].id = LZMA_FILTER_LZMA2;
    filters[f++].options = &opt;
    filters[f].id = LZMA_VLI_UNKNOWN;
    filters[f].options = NULL;

    size_t cap = lzma_raw_encoder_memusage(filters) == UINT64_MAX ? 0 : n + n / 2 + 4096;
    uint8_t hdr[2] = {dict_byte(LZ_DICT), (uint8_t)((LZ_PB * 5u + LZ_LP) * 9u + LZ_LC)};
    uint8_t *buf = cap ? malloc(cap) : NULL;
    if (!buf) {
        return dfu_imgtool_fail(diag, DFU_ERR_NOMEM, "LZMA2: cannot set up the encoder");
    }
    lzma_stream strm = LZMA_STREAM_INIT;
    lzma_ret ret = lzma_raw_encoder(&strm, filters);
    if (ret == LZMA_OK) {
        strm.next_in = in;
        strm.avail_in = n;
        strm.next_out = buf;
        strm.avail_out = cap;
        ret = lzma_code(&strm, LZMA_FINISH);
    }
    size_t produced = cap - strm.avail_out;
    lzma_end(&strm);
    int rc = DFU_OK;
    if (ret != LZMA_STREAM_END) {
        rc = dfu_imgtool_fail(diag, DFU_ERR_CRYPTO, "LZMA2 compression failed (liblzma error %d)",
                              (int)ret);
    } else {
        rc = dfu_imgtool_buf_append(out, hdr, 2);
        rc = rc ? rc : dfu_imgtool_buf_append(out, buf, produced);
    }
    free(buf);
    return rc;
}
