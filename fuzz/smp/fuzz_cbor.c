/* libFuzzer harness: the CBOR key-table decoder and item skipper on arbitrary bytes. */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dfukit/dfu_cbor.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    uint64_t u = 0;
    int64_t i = 0;
    bool b = false;
    dfu_cbor_str_t t = {0}, s = {0};
    const dfu_cbor_key_t keys[] = {
        {"off", DFU_CBOR_WANT_UINT, 0, &u},
        {"i", DFU_CBOR_WANT_INT, 0, &i},
        {"confirm", DFU_CBOR_WANT_BOOL, 0, &b},
        {"d", DFU_CBOR_WANT_TSTR, 0, &t},
        {"hash", DFU_CBOR_WANT_BSTR, DFU_CBOR_NULLABLE, &s},
    };
    uint32_t found = 0;
    if (dfu_cbor_decode_map(data, size, keys, 5, &found) == 0) {
        /* decoded strings must lie inside the input */
        if ((found & 8u) && (t.ptr < data || t.ptr + t.len > data + size)) {
            __builtin_trap();
        }
        if ((found & 16u) && (s.ptr < data || s.ptr + s.len > data + size)) {
            __builtin_trap();
        }
    }
    /* walk the input item by item with skipping */
    dfu_cbor_reader_t r;
    dfu_cbor_reader_init(&r, data, size);
    for (int n = 0; n < 64 && r.pos < r.len; n++) {
        dfu_cbor_item_t it;
        if (dfu_cbor_next(&r, &it) != 0 || dfu_cbor_skip_rest(&r, &it, 1) != 0) {
            break;
        }
    }
    return 0;
}
