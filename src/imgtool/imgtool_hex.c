/* Intel HEX: a sparse address map (sorted, merged segments), parser and writer.
 *
 * The writer mirrors python-intelhex (what imgtool uses): 16-byte data records that start at
 * each contiguous run's first address, never cross a 64 KiB boundary, an extended linear
 * address record (type 04) before the first record and whenever the upper 16 address bits
 * change - emitted only when the highest address is above 0xffff - and a final EOF record. */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "imgtool_priv.h"

void dfu_imgtool_hex_free(dfu_imgtool_hex_t *h)
{
    for (size_t i = 0; i < h->count; i++) {
        dfu_imgtool_buf_free(&h->segs[i].data);
    }
    free(h->segs);
    h->segs = NULL;
    h->count = 0;
}

/* Inserts a new segment keeping order by address; overlap is resolved by hex_put. */
static int seg_insert(dfu_imgtool_hex_t *h, size_t at, uint32_t addr, const void *data, size_t n)
{
    dfu_imgtool_seg_t *s = realloc(h->segs, (h->count + 1) * sizeof(*s));
    if (!s) {
        return DFU_ERR_NOMEM;
    }
    h->segs = s;
    memmove(&s[at + 1], &s[at], (h->count - at) * sizeof(*s));
    memset(&s[at], 0, sizeof(*s));
    s[at].addr = addr;
    h->count++;
    return dfu_imgtool_buf_append(&s[at].data, data, n);
}

/* Merges segment i with following segments that touch or overlap it. */
static int seg_merge_forward(dfu_imgtool_hex_t *h, size_t i)
{
    while (i + 1 < h->count) {
        dfu_imgtool_seg_t *a = &h->segs[i], *b = &h->segs[i + 1];
        uint64_t a_end = (uint64_t)a->addr + a->data.len;
        if ((uint64_t)b->addr > a_end) {
            break;
        }
        uint64_t b_end = (uint64_t)b->addr + b->data.len;
        if (b_end > a_end) {
            size_t skip = (size_t)(a_end - b->addr);
            int rc = dfu_imgtool_buf_append(&a->data, b->data.data + skip, b->data.len - skip);
            if (rc) {
                return rc;
            }
        }
        dfu_imgtool_buf_free(&b->data);
        memmove(&h->segs[i + 1], &h->segs[i + 2], (h->count - i - 2) * sizeof(*b));
        h->count--;
    }
    return DFU_OK;
}

int dfu_imgtool_hex_put(dfu_imgtool_hex_t *h, uint32_t addr, const void *data, size_t n)
{
    if (n == 0) {
        return DFU_OK;
    }
    if ((uint64_t)addr + n > 0x100000000ull) {
        return DFU_ERR_RANGE;
    }
    /* New bytes win: first overwrite what existing segments already hold, then insert the run
     * and merge touching segments (merging keeps the earlier copy, which is now identical). */
    uint64_t end = (uint64_t)addr + n;
    size_t at = 0;
    for (size_t i = 0; i < h->count; i++) {
        dfu_imgtool_seg_t *s = &h->segs[i];
        uint64_t s_end = (uint64_t)s->addr + s->data.len;
        uint64_t lo = s->addr > addr ? s->addr : addr;
        uint64_t hi = s_end < end ? s_end : end;
        if (lo < hi) {
            memcpy(s->data.data + (lo - s->addr), (const uint8_t *)data + (lo - addr),
                   (size_t)(hi - lo));
        }
        if (s->addr < addr) {
            at = i + 1;
        }
    }
    int rc = seg_insert(h, at, addr, data, n);
    for (size_t i = 0; i < h->count && !rc; i++) {
        rc = seg_merge_forward(h, i);
    }
    return rc;
}

static int emit_record(dfu_imgtool_buf_t *out, uint8_t type, uint16_t addr, const uint8_t *d,
                       size_t n)
{
    unsigned sum = (unsigned)n + (addr >> 8) + (addr & 0xffu) + type;
    int rc = dfu_imgtool_buf_printf(out, ":%02X%04X%02X", (unsigned)n, (unsigned)addr, type);
    for (size_t i = 0; i < n && !rc; i++) {
        sum += d[i];
        rc = dfu_imgtool_buf_printf(out, "%02X", d[i]);
    }
    return rc ? rc : dfu_imgtool_buf_printf(out, "%02X\n", (0x100u - (sum & 0xffu)) & 0xffu);
}

int dfu_imgtool_hex_format(dfu_imgtool_hex_t *h, dfu_imgtool_buf_t *out)
{
    uint64_t max_addr = 0;
    if (h->count) {
        const dfu_imgtool_seg_t *last = &h->segs[h->count - 1];
        max_addr = (uint64_t)last->addr + last->data.len - 1u;
    }
    bool need_ela = max_addr > 0xffffu;
    int64_t cur_high = -1;
    int rc = DFU_OK;
    for (size_t i = 0; i < h->count && !rc; i++) {
        const dfu_imgtool_seg_t *s = &h->segs[i];
        size_t off = 0;
        while (off < s->data.len && !rc) {
            uint32_t a = s->addr + (uint32_t)off;
            size_t n = s->data.len - off;
            size_t to_64k = 0x10000u - (a & 0xffffu);
            n = n > 16 ? 16 : n;
            n = n > to_64k ? to_64k : n;
            if (need_ela && (int64_t)(a >> 16) != cur_high) {
                uint8_t ela[2] = {(uint8_t)(a >> 24), (uint8_t)(a >> 16)};
                rc = emit_record(out, 4, 0, ela, 2);
                cur_high = a >> 16;
            }
            if (!rc) {
                rc = emit_record(out, 0, (uint16_t)(a & 0xffffu), s->data.data + off, n);
            }
            off += n;
        }
    }
    return rc ? rc : dfu_imgtool_buf_printf(out, ":00000001FF\n");
}

static int hexnib(int c)
{
    if (c >= '0' && c <= '9') {
        return c - '0';
    }
    c = toupper(c);
    return (c >= 'A' && c <= 'F') ? c - 'A' + 10 : -1;
}

/* Decodes one record line (without the ':') into bytes; returns the byte count or -1. */
static int decode_line(const uint8_t *p, size_t n, uint8_t *bytes, size_t cap)
{
    if (n % 2 || n / 2 > cap || n < 10) {
        return -1;
    }
    for (size_t i = 0; i < n / 2; i++) {
        int hi = hexnib(p[2 * i]), lo = hexnib(p[2 * i + 1]);
        if (hi < 0 || lo < 0) {
            return -1;
        }
        bytes[i] = (uint8_t)(hi * 16 + lo);
    }
    return (int)(n / 2);
}

int dfu_imgtool_hex_parse(const uint8_t *text, size_t n, const char *name, dfu_imgtool_hex_t *h,
                          dfu_imgtool_diag_t *diag)
{
    uint32_t upper = 0;
    size_t pos = 0, line = 0;
    while (pos < n) {
        line++;
        size_t end = pos;
        while (end < n && text[end] != '\n') {
            end++;
        }
        size_t len = end - pos;
        while (len > 0 && (text[pos + len - 1] == '\r' || isspace(text[pos + len - 1]))) {
            len--;
        }
        const uint8_t *p = text + pos;
        pos = end + 1;
        if (len == 0) {
            continue;
        }
        uint8_t rec[262];
        int bn = (p[0] == ':') ? decode_line(p + 1, len - 1, rec, sizeof(rec)) : -1;
        unsigned sum = 0;
        for (int i = 0; i < bn; i++) {
            sum += rec[i];
        }
        if (bn < 5 || rec[0] + 5 != bn || (sum & 0xffu) != 0) {
            return dfu_imgtool_fail(diag, DFU_ERR_CORRUPT,
                                    "%s line %zu: not a valid Intel HEX record (bad syntax, "
                                    "length or checksum); regenerate the file",
                                    name, line);
        }
        uint32_t addr = ((uint32_t)rec[1] << 8) | rec[2];
        uint8_t type = rec[3];
        if (type == 0) {
            int rc = dfu_imgtool_hex_put(h, upper + addr, rec + 4, rec[0]);
            if (rc) {
                return dfu_imgtool_fail(diag, rc, "%s line %zu: cannot store data", name, line);
            }
        } else if (type == 1) {
            return DFU_OK;
        } else if (type == 2 && rec[0] == 2) {
            upper = (((uint32_t)rec[4] << 8) | rec[5]) << 4;
        } else if (type == 4 && rec[0] == 2) {
            upper = (((uint32_t)rec[4] << 8) | rec[5]) << 16;
        } else if (type != 3 && type != 5) {
            return dfu_imgtool_fail(diag, DFU_ERR_CORRUPT,
                                    "%s line %zu: unsupported Intel HEX record type %u", name, line,
                                    type);
        }
    }
    return DFU_OK; /* tolerate a missing EOF record, as intelhex does */
}

int dfu_imgtool_hex_flatten(const dfu_imgtool_hex_t *h, dfu_imgtool_buf_t *out, uint32_t *base)
{
    if (h->count == 0) {
        *base = 0;
        return DFU_OK;
    }
    *base = h->segs[0].addr;
    uint64_t pos = *base;
    for (size_t i = 0; i < h->count; i++) {
        const dfu_imgtool_seg_t *s = &h->segs[i];
        int rc = dfu_imgtool_buf_fill(out, 0xff, (size_t)(s->addr - pos));
        if (!rc) {
            rc = dfu_imgtool_buf_append(out, s->data.data, s->data.len);
        }
        if (rc) {
            return rc;
        }
        pos = (uint64_t)s->addr + s->data.len;
    }
    return DFU_OK;
}

static bool ends_with_hex(const char *path)
{
    size_t n = strlen(path);
    return n >= 4 && path[n - 4] == '.' && tolower((unsigned char)path[n - 3]) == 'h' &&
           tolower((unsigned char)path[n - 2]) == 'e' && tolower((unsigned char)path[n - 1]) == 'x';
}

int dfu_imgtool_image_read(const char *path, const char *what, dfu_imgtool_buf_t *out,
                           uint32_t *base_addr, dfu_imgtool_diag_t *diag)
{
    if (base_addr) {
        *base_addr = UINT32_MAX;
    }
    if (!ends_with_hex(path)) {
        return dfu_imgtool_file_read(path, what, out, diag);
    }
    dfu_imgtool_buf_t text = {0};
    dfu_imgtool_hex_t h = {0};
    uint32_t base = 0;
    int rc = dfu_imgtool_file_read(path, what, &text, diag);
    if (!rc) {
        rc = dfu_imgtool_hex_parse(text.data, text.len, path, &h, diag);
    }
    if (!rc) {
        rc = dfu_imgtool_hex_flatten(&h, out, &base);
    }
    if (!rc && base_addr) {
        *base_addr = base;
    }
    dfu_imgtool_hex_free(&h);
    dfu_imgtool_buf_free(&text);
    return rc;
}
