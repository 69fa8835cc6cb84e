/* OS group (echo, reset, params, info, bootloader) and image group (state, erase, slot info)
 * commands. Request/response shapes: smp-protocol.md §3.2, §3.3, §5. */
#include <ctype.h>
#include <string.h>

#include "dfu_client.h"
#include "dfukit/dfu_cbor.h"
#include "dfukit/dfu_smp.h"

#define GRP_OS DFU_SMP_GROUP_OS
#define GRP_IMG DFU_SMP_GROUP_IMAGE

static const uint8_t empty_map[] = {0xa0};

int dfu_client_echo(dfu_client_t *c, const char *text, char *out, size_t cap)
{
    uint8_t buf[1024];
    dfu_cbor_writer_t w;
    dfu_cbor_writer_init(&w, buf, sizeof(buf));
    if (!(dfu_cbor_put_map(&w, 1) && dfu_cbor_put_str(&w, "d") && dfu_cbor_put_str(&w, text))) {
        return DFU_ERR_NOMEM;
    }
    dfu_cval_t rsp;
    int rc = dfu_client_request(c, "echo", DFU_SMP_OP_WRITE, GRP_OS, 0, buf, w.len, 0, &rsp);
    if (rc != DFU_OK) {
        return rc;
    }
    if (!dfu_cmap_str(&rsp, "r", out, cap)) {
        rc = DFU_ERR_PROTO;
    }
    return rc;
}

int dfu_client_reset(dfu_client_t *c, bool force, int boot_mode)
{
    uint8_t buf[64];
    dfu_cbor_writer_t w;
    dfu_cbor_writer_init(&w, buf, sizeof(buf));
    size_t n = (force ? 1u : 0u) + (boot_mode >= 0 ? 1u : 0u);
    dfu_cbor_put_map(&w, n);
    if (force) {
        dfu_cbor_put_str(&w, "force");
        dfu_cbor_put_bool(&w, true);
    }
    if (boot_mode >= 0) {
        dfu_cbor_put_str(&w, "boot_mode");
        dfu_cbor_put_uint(&w, (uint64_t)boot_mode);
    }
    dfu_cval_t rsp;
    int rc = dfu_client_request(c, "reset", DFU_SMP_OP_WRITE, GRP_OS, 5, buf, w.len, 0, &rsp);
    return rc;
}

int dfu_client_params(dfu_client_t *c, dfu_client_params_t *p)
{
    dfu_cval_t rsp;
    memset(p, 0, sizeof(*p));
    int rc = dfu_client_request(c, "params", DFU_SMP_OP_READ, GRP_OS, 6, empty_map, 1, 0, &rsp);
    if (rc == DFU_ERR_DEVICE && c->err.rc == DFU_SMP_RC_ENOTSUP) {
        /* No params command: fall back to what one link packet carries (Android does this). */
        size_t mtu = dfu_client_link_mtu(c);
        p->buf_size = (uint32_t)(mtu > 384 || mtu == 0 ? 384 : mtu);
        p->buf_count = 1;
        return DFU_OK;
    }
    if (rc != DFU_OK) {
        return rc;
    }
    uint64_t bs = 0, bc = 0;
    if (!dfu_cmap_uint(&rsp, "buf_size", &bs) || !dfu_cmap_uint(&rsp, "buf_count", &bc) ||
        bs > 65535 + 8 || bc > 1024) {
        return DFU_ERR_PROTO;
    }
    p->buf_size = (uint32_t)bs;
    p->buf_count = (uint32_t)(bc == 0 ? 1 : bc);
    p->supported = true;
    return DFU_OK;
}

int dfu_client_info(dfu_client_t *c, const char *format, char *out, size_t cap)
{
    uint8_t buf[128];
    dfu_cbor_writer_t w;
    dfu_cbor_writer_init(&w, buf, sizeof(buf));
    if (format) {
        (void)(dfu_cbor_put_map(&w, 1) && dfu_cbor_put_str(&w, "format") &&
               dfu_cbor_put_str(&w, format));
    } else {
        dfu_cbor_put_map(&w, 0);
    }
    if (w.err) {
        return DFU_ERR_INVAL;
    }
    dfu_cval_t rsp;
    int rc = dfu_client_request(c, "info", DFU_SMP_OP_READ, GRP_OS, 7, buf, w.len, 0, &rsp);
    if (rc != DFU_OK) {
        return rc;
    }
    if (!dfu_cmap_str(&rsp, "output", out, cap)) {
        rc = DFU_ERR_PROTO;
    }
    return rc;
}

int dfu_client_bootloader(dfu_client_t *c, dfu_client_boot_t *b)
{
    memset(b, 0, sizeof(*b));
    b->mode = -1;
    dfu_cval_t rsp;
    int rc =
        dfu_client_request(c, "bootloader info", DFU_SMP_OP_READ, GRP_OS, 8, empty_map, 1, 0, &rsp);
    if (rc != DFU_OK) {
        return rc;
    }
    dfu_cmap_str(&rsp, "bootloader", b->name, sizeof(b->name));
    static const uint8_t q[] = {0xa1, 0x65, 'q', 'u', 'e', 'r', 'y', 0x64, 'm', 'o', 'd', 'e'};
    rc =
        dfu_client_request(c, "bootloader mode", DFU_SMP_OP_READ, GRP_OS, 8, q, sizeof(q), 0, &rsp);
    if (rc == DFU_ERR_DEVICE) {
        return DFU_OK; /* mode query unsupported: mode stays unknown */
    }
    if (rc != DFU_OK) {
        return rc;
    }
    int64_t m = -1;
    if (dfu_cmap_int(&rsp, "mode", &m) && m >= -1 && m <= 255) {
        b->mode = (int)m;
        b->mode_known = true;
    }
    dfu_cmap_bool(&rsp, "no-downgrade", &b->no_downgrade);
    return DFU_OK;
}

/* ---- Image state ------------------------------------------------------------------------------
 */

static int parse_state(const dfu_cval_t *rsp, dfu_client_state_t *st)
{
    memset(st, 0, sizeof(*st));
    dfu_cval_t imgs, e;
    if (!dfu_cmap_get(rsp, "images", &imgs) || !dfu_cval_is_array(&imgs)) {
        return DFU_ERR_PROTO;
    }
    for (size_t i = 0; dfu_carr_get(&imgs, i, &e); i++) {
        uint64_t slot = 0, image = 0;
        if (!dfu_cval_is_map(&e) || !dfu_cmap_uint(&e, "slot", &slot)) {
            return DFU_ERR_PROTO;
        }
        dfu_cmap_uint(&e, "image", &image);
        if (image == 0 && slot < DFU_CLIENT_MAX_SLOTS) {
            dfu_client_slot_t *s = &st->slots[slot];
            s->present = true;
            s->slot = (int)slot;
            dfu_cmap_str(&e, "version", s->version, sizeof(s->version));
            dfu_cmap_bytes(&e, "hash", s->hash, sizeof(s->hash), &s->hash_len);
            dfu_cmap_bool(&e, "bootable", &s->bootable);
            dfu_cmap_bool(&e, "pending", &s->pending);
            dfu_cmap_bool(&e, "confirmed", &s->confirmed);
            dfu_cmap_bool(&e, "active", &s->active);
            dfu_cmap_bool(&e, "permanent", &s->permanent);
        }
    }
    return DFU_OK;
}

int dfu_client_state_read(dfu_client_t *c, dfu_client_state_t *st)
{
    dfu_cval_t rsp;
    int rc =
        dfu_client_request(c, "image list", DFU_SMP_OP_READ, GRP_IMG, 0, empty_map, 1, 0, &rsp);
    if (rc != DFU_OK) {
        return rc;
    }
    rc = parse_state(&rsp, st);
    return rc;
}

int dfu_client_state_write(dfu_client_t *c, const uint8_t *hash, bool confirm,
                           dfu_client_state_t *st)
{
    uint8_t buf[96];
    dfu_cbor_writer_t w;
    dfu_cbor_writer_init(&w, buf, sizeof(buf));
    dfu_cbor_put_map(&w, hash ? 2 : 1);
    if (hash) {
        (void)(dfu_cbor_put_str(&w, "hash") && dfu_cbor_put_bstr(&w, hash, 32));
    }
    (void)(dfu_cbor_put_str(&w, "confirm") && dfu_cbor_put_bool(&w, confirm));
    dfu_cval_t rsp;
    const char *what = confirm ? "image confirm" : "image test";
    int rc = dfu_client_request(c, what, DFU_SMP_OP_WRITE, GRP_IMG, 0, buf, w.len, 0, &rsp);
    if (rc != DFU_OK) {
        return rc;
    }
    dfu_client_state_t tmp;
    rc = parse_state(&rsp, st ? st : &tmp);
    return rc;
}

int dfu_client_erase(dfu_client_t *c, int slot)
{
    uint8_t buf[32];
    dfu_cbor_writer_t w;
    dfu_cbor_writer_init(&w, buf, sizeof(buf));
    if (slot >= 0) {
        (void)(dfu_cbor_put_map(&w, 1) && dfu_cbor_put_str(&w, "slot") &&
               dfu_cbor_put_uint(&w, (uint64_t)slot));
    } else {
        dfu_cbor_put_map(&w, 0);
    }
    dfu_cval_t rsp;
    /* Erasing a whole slot takes seconds on real flash (iOS waits 75 s). */
    int rc = dfu_client_request(c, "image erase", DFU_SMP_OP_WRITE, GRP_IMG, 5, buf, w.len,
                                c->timeout_ms * 5, &rsp);
    return rc;
}

int dfu_client_slot_info(dfu_client_t *c, dfu_client_slotinfo_t *si)
{
    memset(si, 0, sizeof(*si));
    dfu_cval_t rsp;
    int rc =
        dfu_client_request(c, "image slots", DFU_SMP_OP_READ, GRP_IMG, 6, empty_map, 1, 0, &rsp);
    if (rc != DFU_OK) {
        return rc;
    }
    dfu_cval_t imgs, e, slots, sl;
    if (!dfu_cmap_get(&rsp, "images", &imgs) || !dfu_cval_is_array(&imgs)) {
        return DFU_ERR_PROTO;
    }
    for (size_t i = 0; dfu_carr_get(&imgs, i, &e); i++) {
        uint64_t image = 0, mis = 0;
        dfu_cmap_uint(&e, "image", &image);
        if (image == 0 && dfu_cmap_get(&e, "slots", &slots) && dfu_cval_is_array(&slots)) {
            for (size_t k = 0; dfu_carr_get(&slots, k, &sl); k++) {
                uint64_t sn = 0, size = 0;
                if (dfu_cmap_uint(&sl, "slot", &sn) && dfu_cmap_uint(&sl, "size", &size) &&
                    sn < 2 && size <= UINT32_MAX) {
                    si->size[sn] = (uint32_t)size;
                }
            }
            if (dfu_cmap_uint(&e, "max_image_size", &mis) && mis <= UINT32_MAX) {
                si->max_image_size = (uint32_t)mis;
            }
        }
    }
    si->supported = true;
    return DFU_OK;
}

/* ---- State interpretation ------------------------------------------------------------------- */

const char *dfu_client_next_reset(const dfu_client_state_t *st)
{
    const dfu_client_slot_t *s0 = &st->slots[0], *s1 = &st->slots[1];
    if (s1->present && s1->pending && s1->permanent) {
        return "MCUboot swaps in the slot 1 image permanently";
    }
    if (s1->present && s1->pending) {
        return "MCUboot swaps in the slot 1 image for a test boot (it reverts at the following "
               "reset unless it is confirmed)";
    }
    if (s0->present && s0->active && !s0->confirmed) {
        return "MCUboot reverts to the slot 1 image: the running test image is not confirmed";
    }
    if (s0->present && s0->pending) {
        return "MCUboot keeps slot 0 (pending)";
    }
    return "nothing: the slot 0 image keeps running";
}

const char *dfu_client_slot_fate(const dfu_client_state_t *st, int slot)
{
    const dfu_client_slot_t *s0 = &st->slots[0], *s1 = &st->slots[1];
    bool revert = s0->present && s0->active && !s0->confirmed;
    bool swap = s1->present && s1->pending;
    if (slot == 0) {
        if (swap) {
            return s1->permanent ? "moves to slot 1 (replaced)"
                                 : "moves to slot 1 (kept for revert)";
        }
        return revert ? "moves back to slot 1 (reverted)" : "keeps running";
    }
    if (!s1->present) {
        return "-";
    }
    if (swap) {
        return s1->permanent ? "boots, permanently" : "boots once for test";
    }
    if (revert) {
        return "boots again (revert)";
    }
    return "nothing (not marked)";
}

void dfu_client_hex(const uint8_t *b, size_t len, char *out)
{
    static const char hx[] = "0123456789abcdef";
    for (size_t i = 0; i < len; i++) {
        out[2 * i] = hx[b[i] >> 4];
        out[2 * i + 1] = hx[b[i] & 15];
    }
    out[2 * len] = '\0';
}

int dfu_client_unhex(const char *s, uint8_t *out, size_t cap)
{
    size_t n = strlen(s);
    if (n == 0 || n % 2 != 0 || n / 2 > cap) {
        return DFU_ERR_INVAL;
    }
    for (size_t i = 0; i < n / 2; i++) {
        int v = 0;
        for (int k = 0; k < 2; k++) {
            int ch = tolower((unsigned char)s[2 * i + (size_t)k]);
            int d = isdigit(ch) ? ch - '0' : (ch >= 'a' && ch <= 'f') ? ch - 'a' + 10 : -1;
            if (d < 0) {
                return DFU_ERR_INVAL;
            }
            v = v * 16 + d;
        }
        out[i] = (uint8_t)v;
    }
    return (int)(n / 2);
}
