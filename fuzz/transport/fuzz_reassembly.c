/* libFuzzer harness: the packet reassembler. The input is a sequence of packets, each
 * prefixed by one length byte; a complete message must always be 8 + its header length. */
#include <stddef.h>
#include <stdint.h>

#include "dfukit/dfu_framing.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static uint8_t buf[384];
    dfu_reasm_t r;
    dfu_reasm_init(&r, buf, sizeof buf);
    size_t i = 0;
    while (i < size) {
        size_t n = data[i++];
        if (n > size - i) {
            n = size - i;
        }
        int rc = dfu_reasm_feed(&r, data + i, n);
        if (rc > 0 && (size_t)rc != 8u + (((size_t)buf[2] << 8) | buf[3])) {
            __builtin_trap();
        }
        if (r.have > r.cap) {
            __builtin_trap();
        }
        i += n;
    }
    return 0;
}
