/* Test support for the SMP tests; see smp_testutil.h. Host code: heap and stdio allowed. */
#include "smp_testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dfukit/dfu_cbor.h"
#include "dfukit/dfu_crypto.h"
#include "dfukit/dfu_err.h"

/* ==== RAM flash ============================================================================== */

static int rf_read(void *ctx, uint32_t off, void *buf, size_t len)
{
    tu_flash_t *f = ctx;
    memcpy(buf, f->mem + off, len);
    return 0;
}

static int rf_write(void *ctx, uint32_t off, const void *buf, size_t len)
{
    tu_flash_t *f = ctx;
    if (f->fail_writes) {
        return DFU_ERR_IO;
    }
    for (size_t i = 0; i < len; i++) {
        if (f->mem[off + i] != 0xff) {
            return DFU_ERR_FLASH_RULE;
        }
    }
    memcpy(f->mem + off, buf, len);
    return 0;
}

static int rf_erase(void *ctx, uint32_t off, size_t len)
{
    tu_flash_t *f = ctx;
    if (f->fail_erases) {
        return DFU_ERR_IO;
    }
    memset(f->mem + off, 0xff, len);
    return 0;
}

void tu_flash_init(tu_flash_t *f, uint32_t size, uint32_t sector, uint32_t align)
{
    memset(f, 0, sizeof(*f));
    f->mem = malloc(size);
    memset(f->mem, 0xff, size);
    f->port.ctx = f;
    f->port.read = rf_read;
    f->port.write = rf_write;
    f->port.erase = rf_erase;
    f->port.size = size;
    f->port.sector_size = sector;
    f->port.write_align = align;
    f->port.erased_val = 0xff;
    if (dfu_flash_init(&f->flash, &f->port) != 0) {
        fprintf(stderr, "tu_flash_init: bad geometry\n");
        abort();
    }
}

void tu_flash_free(tu_flash_t *f)
{
    free(f->mem);
    f->mem = NULL;
}

/* ==== Hex / CBOR canonical text ============================================================== */

static int hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

size_t tu_unhex(const char *hex, uint8_t *out, size_t cap)
{
    size_t n = 0;
    int hi = -1;
    for (; *hex && n < cap; hex++) {
        int v = hexval(*hex);
        if (v < 0) {
            continue;
        }
        if (hi < 0) {
            hi = v;
        } else {
            out[n++] = (uint8_t)(hi << 4 | v);
            hi = -1;
        }
    }
    return n;
}

typedef struct sbuf {
    char *p;
    size_t len, cap;
} sbuf_t;

static void sb_put(sbuf_t *s, const char *t, size_t n)
{
    if (s->len + n + 1 > s->cap) {
        s->cap = (s->len + n + 1) * 2;
        s->p = realloc(s->p, s->cap);
    }
    memcpy(s->p + s->len, t, n);
    s->len += n;
    s->p[s->len] = 0;
}

static void sb_str(sbuf_t *s, const char *t)
{
    sb_put(s, t, strlen(t));
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Recursive (host test code) canonicaliser. Returns 0 or -1. */
static int canon_item(dfu_cbor_reader_t *r, sbuf_t *out, int depth)
{
    dfu_cbor_item_t it;
    char tmp[64];
    if (depth > 16 || dfu_cbor_next(r, &it) != 0) {
        return -1;
    }
    switch (it.type) {
    case DFU_CBOR_UINT:
        snprintf(tmp, sizeof tmp, "%llu", (unsigned long long)it.u);
        sb_str(out, tmp);
        return 0;
    case DFU_CBOR_NINT:
        snprintf(tmp, sizeof tmp, "-%llu", (unsigned long long)it.u + 1);
        sb_str(out, tmp);
        return 0;
    case DFU_CBOR_BOOL:
        sb_str(out, it.u ? "true" : "false");
        return 0;
    case DFU_CBOR_NULL:
        sb_str(out, "null");
        return 0;
    case DFU_CBOR_TSTR:
        if (it.indef)
            return -1;
        sb_str(out, "\"");
        sb_put(out, (const char *)it.ptr, it.len);
        sb_str(out, "\"");
        return 0;
    case DFU_CBOR_BSTR:
        if (it.indef)
            return -1;
        sb_str(out, "h'");
        for (size_t i = 0; i < it.len; i++) {
            snprintf(tmp, sizeof tmp, "%02x", it.ptr[i]);
            sb_str(out, tmp);
        }
        sb_str(out, "'");
        return 0;
    case DFU_CBOR_ARRAY: {
        sb_str(out, "[");
        for (uint64_t i = 0; it.indef || i < it.u; i++) {
            if (it.indef && r->pos < r->len && r->buf[r->pos] == 0xff) {
                r->pos++;
                break;
            }
            if (i > 0)
                sb_str(out, ",");
            if (canon_item(r, out, depth + 1) != 0)
                return -1;
        }
        sb_str(out, "]");
        return 0;
    }
    case DFU_CBOR_MAP: {
        char **ents = NULL;
        size_t n = 0;
        for (uint64_t i = 0; it.indef || i < it.u; i++) {
            if (it.indef && r->pos < r->len && r->buf[r->pos] == 0xff) {
                r->pos++;
                break;
            }
            sbuf_t e = {0};
            if (canon_item(r, &e, depth + 1) != 0) {
                free(e.p);
                return -1;
            }
            sb_str(&e, ":");
            if (canon_item(r, &e, depth + 1) != 0) {
                free(e.p);
                return -1;
            }
            ents = realloc(ents, (n + 1) * sizeof(*ents));
            ents[n++] = e.p;
        }
        if (n > 0) {
            qsort(ents, n, sizeof(*ents), cmp_str);
        }
        sb_str(out, "{");
        for (size_t i = 0; i < n; i++) {
            if (i > 0)
                sb_str(out, ",");
            sb_str(out, ents[i]);
            free(ents[i]);
        }
        free(ents);
        sb_str(out, "}");
        return 0;
    }
    default:
        return -1;
    }
}

char *tu_canon(const uint8_t *p, size_t n)
{
    dfu_cbor_reader_t r;
    dfu_cbor_reader_init(&r, p, n);
    sbuf_t s = {0};
    sb_str(&s, "");
    if (n == 0) {
        return s.p;
    }
    if (canon_item(&r, &s, 0) != 0) {
        free(s.p);
        return NULL;
    }
    return s.p;
}

/* ==== Images ================================================================================= */

void tu_sha256(const uint8_t *p, size_t n, uint8_t out[32])
{
    const dfu_crypto_port_t *c = dfu_crypto_default();
    dfu_hash_ctx_t h;
    c->hash_init(c->ctx, &h, DFU_HASH_SHA256);
    c->hash_update(c->ctx, &h, p, n);
    c->hash_finish(c->ctx, &h, out);
}

static void le16(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
}
static void le32(uint8_t *p, uint32_t v)
{
    le16(p, v);
    le16(p + 2, v >> 16);
}

size_t tu_make_image(uint8_t *out, size_t cap, uint32_t body, uint8_t major, uint8_t minor,
                     uint16_t rev, uint32_t build, uint8_t seed, uint8_t hash[32])
{
    size_t total = 32u + body + 4u + 4u + 32u;
    if (total > cap) {
        return 0;
    }
    memset(out, 0, 32);
    le32(out, 0x96f3b83du);
    le16(out + 8, 32);
    le32(out + 12, body);
    out[20] = major;
    out[21] = minor;
    le16(out + 22, rev);
    le32(out + 24, build);
    for (uint32_t i = 0; i < body; i++) {
        out[32 + i] = (uint8_t)(seed + i * 7u + (i >> 8));
    }
    uint8_t *t = out + 32 + body;
    le16(t, 0x6907);
    le16(t + 2, 40);
    t[4] = 0x10;
    t[5] = 0;
    le16(t + 6, 32);
    tu_sha256(out, 32u + body, t + 8);
    if (hash) {
        memcpy(hash, t + 8, 32);
    }
    return total;
}

uint8_t *tu_read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        return NULL;
    }
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    uint8_t *p = malloc((size_t)n + 1);
    if (fread(p, 1, (size_t)n, f) != (size_t)n) {
        free(p);
        fclose(f);
        return NULL;
    }
    fclose(f);
    *len = (size_t)n;
    return p;
}

/* ==== Device fixture ========================================================================= */

static int fx_send(void *ctx, const uint8_t *msg, size_t len)
{
    tu_dev_t *d = ctx;
    if (d->nrsp >= TU_MAX_RSP) {
        memmove(d->rsp[0], d->rsp[1], sizeof(d->rsp[0]) * (TU_MAX_RSP - 1));
        memmove(d->rsp_len, d->rsp_len + 1, sizeof(d->rsp_len[0]) * (TU_MAX_RSP - 1));
        d->nrsp--;
    }
    memcpy(d->rsp[d->nrsp], msg, len);
    d->rsp_len[d->nrsp++] = len;
    return 0;
}

static int fx_reset_check(void *ctx, bool force, uint8_t mode)
{
    tu_dev_t *d = ctx;
    (void)force;
    (void)mode;
    return d->refuse_reset ? DFU_ERR_BUSY : 0;
}

static void fx_reset(void *ctx, uint8_t mode)
{
    tu_dev_t *d = ctx;
    d->resets++;
    d->reset_mode = mode;
}

static int fx_time_get(void *ctx, dfu_smp_datetime_t *out)
{
    tu_dev_t *d = ctx;
    if (!d->clock_set) {
        return DFU_ERR_NODEV;
    }
    *out = d->clock;
    return 0;
}

static int fx_time_set(void *ctx, const dfu_smp_datetime_t *dt)
{
    tu_dev_t *d = ctx;
    d->clock = *dt;
    d->clock_set = true;
    return 0;
}

tu_dev_t *tu_dev_new(const tu_opts_t *o, const uint8_t *slot0, size_t len)
{
    tu_opts_t def = {0};
    if (o == NULL) {
        o = &def;
    }
    tu_dev_t *d = calloc(1, sizeof(*d));
    tu_flash_init(&d->fl, TU_PRIMARY_SIZE + TU_SECONDARY_SIZE, TU_SECTOR, o->align ? o->align : 8);
    if (slot0 != NULL) {
        memcpy(d->fl.mem, slot0, len);
    }
    dfu_smp_server_cfg_t sc = {
        .buf = d->rspbuf,
        .buf_size = o->buf_size ? o->buf_size : 384,
        .send = fx_send,
        .send_ctx = d,
        .policy = o->policy,
        .no_rsn = o->no_rsn,
    };
    if (dfu_smp_server_init(&d->srv, &sc) != 0) {
        abort();
    }
    d->os_port = (dfu_smp_os_port_t){.ctx = d,
                                     .reset_check = fx_reset_check,
                                     .reset = fx_reset,
                                     .time_get = fx_time_get,
                                     .time_set = fx_time_set};
    dfu_smp_os_cfg_t oc = {
        .port = &d->os_port, .mcuboot_mode = DFU_SMP_MODE_SWAP_MOVE, .buf_count = o->buf_count};
    if (dfu_smp_os_register(&d->srv, &d->os, &oc) != 0) {
        abort();
    }
    /* swap-move: the primary has the spare sector; swap-offset: the secondary has it. */
    uint32_t psize = o->strategy == DFU_BOOT_STRATEGY_OFFSET ? TU_SECONDARY_SIZE : TU_PRIMARY_SIZE;
    uint32_t ssize = TU_PRIMARY_SIZE + TU_SECONDARY_SIZE - psize;
    dfu_smp_img_cfg_t ic = {
        .primary = {.flash = &d->fl.flash, .off = 0, .size = psize, .id = 1},
        .secondary = {.flash = &d->fl.flash, .off = psize, .size = ssize, .id = 2},
        .crypto = dfu_crypto_default(),
        .no_erase_pending = o->no_erase_pending,
        .trailer = {.max_align = o->align > 8 ? o->align : 8, .strategy = o->strategy},
    };
    int rc = dfu_smp_img_register(&d->srv, &d->img, &ic);
    if (rc != 0) {
        fprintf(stderr, "img register failed: %s\n", dfu_strerror(rc));
        abort();
    }
    d->bcfg.primary = ic.primary;
    d->bcfg.secondary = ic.secondary;
    d->bcfg.trailer = ic.trailer;
    d->iv.verify.crypto = dfu_crypto_default();
    d->iv.verify.scratch = d->vscratch;
    d->iv.verify.scratch_len = sizeof(d->vscratch);
    dfu_boot_image_validator(&d->bcfg.validator, &d->iv);
    d->bcfg.buf = d->bbuf;
    d->bcfg.buf_len = sizeof(d->bbuf);
    return d;
}

void tu_dev_free(tu_dev_t *d)
{
    tu_flash_free(&d->fl);
    free(d);
}

int tu_dev_req(tu_dev_t *d, const uint8_t *req, size_t len, uint8_t level)
{
    d->nrsp = 0;
    int rc = dfu_smp_server_process(&d->srv, req, len, level);
    return rc < 0 ? rc : d->nrsp;
}

char *tu_last_canon(tu_dev_t *d)
{
    if (d->nrsp == 0) {
        char *s = malloc(8);
        strcpy(s, "<none>");
        return s;
    }
    const uint8_t *r = d->rsp[d->nrsp - 1];
    size_t n = d->rsp_len[d->nrsp - 1];
    char *c = tu_canon(r + 8, n - 8);
    if (c == NULL) {
        c = malloc(16);
        strcpy(c, "<bad cbor>");
    }
    return c;
}

size_t tu_frame(uint8_t *out, uint8_t op, uint8_t ver, uint16_t group, uint8_t seq, uint8_t id,
                const uint8_t *cbor, size_t cbor_len)
{
    dfu_smp_hdr_t h = {
        .op = op, .version = ver, .len = (uint16_t)cbor_len, .group = group, .seq = seq, .id = id};
    dfu_smp_hdr_encode(&h, out);
    if (cbor_len) {
        memcpy(out + 8, cbor, cbor_len);
    }
    return 8 + cbor_len;
}

int tu_dev_reboot(tu_dev_t *d, dfu_boot_result_t *res)
{
    dfu_boot_t b;
    int rc = dfu_boot_init(&b, &d->bcfg);
    if (rc != 0) {
        fprintf(stderr, "dfu_boot_init: %s\n", dfu_strerror(rc));
        return rc;
    }
    rc = dfu_boot_go(&b, res);
    d->img.up.active = false; /* RAM session state does not survive a reset */
    return rc;
}

int tu_upload(tu_dev_t *d, const uint8_t *img, size_t len, size_t chunk, uint8_t level)
{
    uint8_t sha[32];
    uint8_t cb[4096], fr[4200];
    tu_sha256(img, len, sha);
    uint64_t off = 0;
    uint8_t seq = 0;
    for (int guard = 0; guard < 100000; guard++) {
        dfu_cbor_writer_t w;
        dfu_cbor_writer_init(&w, cb, sizeof(cb));
        size_t n = len - off < chunk ? len - off : chunk;
        bool ok;
        if (off == 0) {
            ok = dfu_cbor_put_map(&w, 5) && dfu_cbor_put_str(&w, "image") &&
                 dfu_cbor_put_uint(&w, 0) && dfu_cbor_put_str(&w, "len") &&
                 dfu_cbor_put_uint(&w, len) && dfu_cbor_put_str(&w, "off") &&
                 dfu_cbor_put_uint(&w, 0) && dfu_cbor_put_str(&w, "sha") &&
                 dfu_cbor_put_bstr(&w, sha, 32) && dfu_cbor_put_str(&w, "data") &&
                 dfu_cbor_put_bstr(&w, img, n);
        } else {
            ok = dfu_cbor_put_map(&w, 2) && dfu_cbor_put_str(&w, "off") &&
                 dfu_cbor_put_uint(&w, off) && dfu_cbor_put_str(&w, "data") &&
                 dfu_cbor_put_bstr(&w, img + off, n);
        }
        if (!ok) {
            return -1;
        }
        size_t fl = tu_frame(fr, DFU_SMP_OP_WRITE, 1, 1, seq++, 1, cb, w.len);
        if (tu_dev_req(d, fr, fl, level) != 1) {
            return -2;
        }
        uint64_t roff = 0;
        uint64_t rc = 0;
        uint32_t found = 0;
        const dfu_cbor_key_t keys[] = {{"off", DFU_CBOR_WANT_UINT, 0, &roff},
                                       {"rc", DFU_CBOR_WANT_UINT, 0, &rc}};
        const uint8_t *r = d->rsp[0];
        if (dfu_cbor_decode_map(r + 8, d->rsp_len[0] - 8, keys, 2, &found) != 0 ||
            (found & 1u) == 0) {
            char *c = tu_last_canon(d);
            fprintf(stderr, "upload failed at off %llu: %s\n", (unsigned long long)off, c);
            free(c);
            return -3;
        }
        off = roff;
        if (off == len) {
            return 0;
        }
    }
    return -4;
}

char *tu_state_write(tu_dev_t *d, const uint8_t *hash, bool confirm, uint8_t ver, uint8_t level)
{
    uint8_t cb[128], fr[160];
    dfu_cbor_writer_t w;
    dfu_cbor_writer_init(&w, cb, sizeof(cb));
    bool ok = dfu_cbor_put_map(&w, hash ? 2 : 1);
    if (hash) {
        ok = ok && dfu_cbor_put_str(&w, "hash") && dfu_cbor_put_bstr(&w, hash, 32);
    }
    ok = ok && dfu_cbor_put_str(&w, "confirm") && dfu_cbor_put_bool(&w, confirm);
    (void)ok;
    size_t fl = tu_frame(fr, DFU_SMP_OP_WRITE, ver, 1, 0x20, 0, cb, w.len);
    tu_dev_req(d, fr, fl, level);
    return tu_last_canon(d);
}
