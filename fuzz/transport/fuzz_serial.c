/* libFuzzer harness: the SMP serial decoder fed byte by byte; every delivered message must
 * re-encode to a frame that decodes back to itself. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "dfukit/dfu_framing.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static uint8_t buf[1024], enc[2048], buf2[1024];
    dfu_serial_decoder_t d;
    dfu_serial_decoder_init(&d, buf, sizeof buf, (size > 0 && data[0] & 1) ? 252 : 0);
    for (size_t i = 0; i < size; i++) {
        const uint8_t *m = NULL;
        int n = dfu_serial_feed(&d, data[i], &m);
        if (n > 0) {
            int e = dfu_serial_encode(m, (size_t)n, enc, sizeof enc);
            if (e <= 0) {
                __builtin_trap();
            }
            dfu_serial_decoder_t d2;
            dfu_serial_decoder_init(&d2, buf2, sizeof buf2, 0);
            int got = 0;
            for (int k = 0; k < e; k++) {
                const uint8_t *m2 = NULL;
                int r = dfu_serial_feed(&d2, enc[k], &m2);
                if (r > 0) {
                    if (r != n || memcmp(m2, m, (size_t)n) != 0) {
                        __builtin_trap();
                    }
                    got++;
                }
            }
            if (got != 1) {
                __builtin_trap();
            }
        }
    }
    return 0;
}
