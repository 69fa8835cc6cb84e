/* Image version text shared by the SMP groups ("1.2.3", "1.2.3.4"). */
#include "grp_version.h"

size_t dfu_smp_version_str(uint8_t major, uint8_t minor, uint16_t revision, uint32_t build,
                           char *out, size_t cap)
{
    /* "major.minor.revision[.build]": at most 3+1+3+1+5+1+10 = 24 chars. */
    uint32_t parts[4] = {major, minor, revision, build};
    unsigned count = build != 0 ? 4u : 3u;
    size_t n = 0;
    if (cap == 0) {
        return 0;
    }
    for (unsigned i = 0; i < count; i++) {
        char tmp[10];
        unsigned d = 0;
        uint32_t x = parts[i];
        do {
            tmp[d++] = (char)('0' + x % 10u);
            x /= 10u;
        } while (x != 0 && d < sizeof(tmp));
        if (i > 0 && n + 1 < cap) {
            out[n++] = '.';
        }
        while (d > 0 && n + 1 < cap) {
            out[n++] = tmp[--d];
        }
    }
    out[n] = '\0';
    return n;
}
