/* Status-line text helpers over a board console (no printf, no heap). */
#include "fw_console.h"

#include <string.h>

static const char hexdig[] = "0123456789abcdef";

void fw_puts(const fw_console_t *c, const char *s)
{
    c->write(c->ctx, (const uint8_t *)s, strlen(s));
}

size_t fw_fmt_u32(char out[10], uint32_t v)
{
    char rev[10];
    size_t n = 0;
    do {
        rev[n++] = (char)('0' + v % 10u);
        v /= 10u;
    } while (v != 0u);
    for (size_t i = 0; i < n; i++) {
        out[i] = rev[n - 1u - i];
    }
    return n;
}

void fw_putu(const fw_console_t *c, uint32_t v)
{
    char buf[10];
    c->write(c->ctx, (const uint8_t *)buf, fw_fmt_u32(buf, v));
}

void fw_puti(const fw_console_t *c, int32_t v)
{
    if (v < 0) {
        fw_puts(c, "-");
        fw_putu(c, (uint32_t)0 - (uint32_t)v);
    } else {
        fw_putu(c, (uint32_t)v);
    }
}

void fw_putx(const fw_console_t *c, uint32_t v)
{
    uint8_t buf[10] = {'0', 'x'};
    for (unsigned i = 0; i < 8u; i++) {
        buf[2u + i] = (uint8_t)hexdig[(v >> (28u - 4u * i)) & 0xfu];
    }
    c->write(c->ctx, buf, sizeof(buf));
}

void fw_puthex(const fw_console_t *c, const uint8_t *p, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        uint8_t two[2] = {(uint8_t)hexdig[p[i] >> 4], (uint8_t)hexdig[p[i] & 0xfu]};
        c->write(c->ctx, two, sizeof(two));
    }
}

void fw_putver(const fw_console_t *c, uint8_t major, uint8_t minor, uint16_t revision,
               uint32_t build)
{
    fw_putu(c, major);
    fw_puts(c, ".");
    fw_putu(c, minor);
    fw_puts(c, ".");
    fw_putu(c, revision);
    fw_puts(c, "+");
    fw_putu(c, build);
}
