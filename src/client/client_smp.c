/*
 * SMP request/response for the client: header encode, sequence matching, resend on timeout,
 * SMP v2 -> v1 fallback (§1.2: a device that answers with header version 0 speaks v1 only),
 * error extraction (`rc` and v2 `err {group, rc}`, §2.1) and type-checked response getters.
 */
#include <string.h>

#include "dfu_client.h"
#include "dfukit/dfu_cbor.h"
#include "dfukit/dfu_smp.h"

/* ---- Response getters -------------------------------------------------------------------------
 * A dfu_cval_t is read again with the bounded device reader on every call: responses are small
 * and each getter stays safe on any bytes. Sub-items are skipped with depth 1: a response was
 * checked as a whole against DFU_CBOR_MAX_DEPTH when it arrived. */

static const uint8_t empty_map[] = {0xa0};

static bool cval_head(const dfu_cval_t *v, dfu_cbor_reader_t *r, dfu_cbor_item_t *it)
{
    if (v == NULL || v->p == NULL) {
        return false;
    }
    dfu_cbor_reader_init(r, v->p, v->len);
    return dfu_cbor_next(r, it) == DFU_OK;
}

/* Reads the next whole item of a container at r into *out; false at its end or on bad CBOR. */
static bool cval_next(dfu_cbor_reader_t *r, dfu_cval_t *out)
{
    size_t start = r->pos;
    dfu_cbor_item_t it;
    if (dfu_cbor_next(r, &it) != DFU_OK || it.type == DFU_CBOR_BREAK ||
        dfu_cbor_skip_rest(r, &it, 1) != DFU_OK) {
        return false;
    }
    out->p = r->buf + start;
    out->len = r->pos - start;
    return true;
}

bool dfu_cval_is_array(const dfu_cval_t *v)
{
    dfu_cbor_reader_t r;
    dfu_cbor_item_t it;
    return cval_head(v, &r, &it) && it.type == DFU_CBOR_ARRAY;
}

bool dfu_cval_is_map(const dfu_cval_t *v)
{
    dfu_cbor_reader_t r;
    dfu_cbor_item_t it;
    return cval_head(v, &r, &it) && it.type == DFU_CBOR_MAP;
}

bool dfu_carr_get(const dfu_cval_t *arr, size_t i, dfu_cval_t *out)
{
    dfu_cbor_reader_t r;
    dfu_cbor_item_t a;
    if (!cval_head(arr, &r, &a) || a.type != DFU_CBOR_ARRAY) {
        return false;
    }
    for (uint64_t k = 0; a.indef || k < a.u; k++) {
        if (!cval_next(&r, out)) {
            return false;
        }
        if (k == i) {
            return true;
        }
    }
    return false;
}

bool dfu_cmap_get(const dfu_cval_t *map, const char *key, dfu_cval_t *out)
{
    dfu_cbor_reader_t r;
    dfu_cbor_item_t m;
    if (!cval_head(map, &r, &m) || m.type != DFU_CBOR_MAP) {
        return false;
    }
    for (uint64_t k = 0; m.indef || k < m.u; k++) {
        dfu_cval_t kv, vv;
        if (!cval_next(&r, &kv) || !cval_next(&r, &vv)) {
            return false;
        }
        dfu_cbor_reader_t kr;
        dfu_cbor_item_t ki;
        if (cval_head(&kv, &kr, &ki) && ki.type == DFU_CBOR_TSTR && !ki.indef) {
            dfu_cbor_str_t ks = {ki.ptr, ki.len};
            if (dfu_cbor_str_eq(&ks, key)) {
                *out = vv;
                return true;
            }
        }
    }
    return false;
}

/* Head of the value of `key`. */
static bool cmap_head(const dfu_cval_t *map, const char *key, dfu_cbor_item_t *it)
{
    dfu_cval_t v;
    dfu_cbor_reader_t r;
    return dfu_cmap_get(map, key, &v) && cval_head(&v, &r, it);
}

bool dfu_cmap_uint(const dfu_cval_t *map, const char *key, uint64_t *out)
{
    dfu_cbor_item_t v;
    if (!cmap_head(map, key, &v) || v.type != DFU_CBOR_UINT) {
        return false;
    }
    *out = v.u;
    return true;
}

bool dfu_cmap_int(const dfu_cval_t *map, const char *key, int64_t *out)
{
    dfu_cbor_item_t v;
    if (!cmap_head(map, key, &v) || (v.type != DFU_CBOR_UINT && v.type != DFU_CBOR_NINT) ||
        v.u > INT64_MAX) {
        return false;
    }
    *out = v.type == DFU_CBOR_UINT ? (int64_t)v.u : -1 - (int64_t)v.u;
    return true;
}

bool dfu_cmap_bool(const dfu_cval_t *map, const char *key, bool *out)
{
    dfu_cbor_item_t v;
    if (!cmap_head(map, key, &v) || v.type != DFU_CBOR_BOOL) {
        return false;
    }
    *out = v.u != 0;
    return true;
}

bool dfu_cmap_str(const dfu_cval_t *map, const char *key, char *out, size_t cap)
{
    dfu_cbor_item_t v;
    if (!cmap_head(map, key, &v) || v.type != DFU_CBOR_TSTR || v.indef || cap == 0) {
        return false;
    }
    size_t n = v.len < cap ? v.len : cap - 1;
    if (n > 0) {
        memcpy(out, v.ptr, n);
    }
    out[n] = '\0';
    return true;
}

bool dfu_cmap_bytes(const dfu_cval_t *map, const char *key, uint8_t *out, size_t cap, size_t *len)
{
    dfu_cbor_item_t v;
    if (!cmap_head(map, key, &v) || v.type != DFU_CBOR_BSTR || v.indef || v.len > cap) {
        return false;
    }
    if (v.len > 0) {
        memcpy(out, v.ptr, v.len);
    }
    *len = v.len;
    return true;
}

/* ---- Errors -------------------------------------------------------------------------------------
 */

int dfu_client_check_error(dfu_client_t *c, const char *what, uint16_t group, const dfu_cval_t *rsp)
{
    int64_t rc = 0;
    dfu_cval_t err;
    uint64_t g = 0, grc = 0;
    bool has_grp = dfu_cmap_get(rsp, "err", &err) && dfu_cmap_uint(&err, "group", &g) &&
                   dfu_cmap_uint(&err, "rc", &grc);
    bool has_rc = dfu_cmap_int(rsp, "rc", &rc);
    if ((!has_grp || grc == 0) && (!has_rc || rc == 0)) {
        return DFU_OK;
    }
    memset(&c->err, 0, sizeof(c->err));
    c->err.code = DFU_ERR_DEVICE;
    c->err.group = has_grp && grc != 0 ? (int)g : -1;
    c->err.group_rc = has_grp ? (int)grc : 0;
    c->err.rc = has_rc ? (int)rc : 0;
    if (c->err.group_rc == 0 && c->err.rc != 0) {
        c->err.group = (int)group; /* request group, for v1 hints */
        c->err.group_rc = 0;
    }
    dfu_cmap_str(rsp, "rsn", c->err.rsn, sizeof(c->err.rsn));
    snprintf(c->err.what, sizeof(c->err.what), "%s", what);
    return DFU_ERR_DEVICE;
}

static int link_fail(dfu_client_t *c, const char *what, int code)
{
    return dfu_client_link_err(c, code, what);
}

/* ---- Send / receive
 * ------------------------------------------------------------------------------ */

int dfu_client_send(dfu_client_t *c, uint8_t op, uint16_t group, uint8_t id, const uint8_t *payload,
                    size_t plen, uint8_t *seq)
{
    uint8_t msg[8 + 65536];
    if (!c->open) {
        return DFU_ERR_NOTCONN;
    }
    if (plen > 65535) {
        return DFU_ERR_MSGSIZE;
    }
    dfu_smp_hdr_t h;
    memset(&h, 0, sizeof(h));
    h.op = op;
    h.version = c->version;
    h.len = (uint16_t)plen;
    h.group = group;
    h.seq = c->seq++;
    h.id = id;
    dfu_smp_hdr_encode(&h, msg);
    memcpy(msg + 8, payload, plen);
    if (c->log) {
        fprintf(c->log, "smp -> v%u op %u group %u id %u seq %u len %zu\n", h.version + 1u, op,
                group, id, h.seq, plen);
    }
    *seq = h.seq;
    return dfu_link_send(&c->link, msg, 8 + plen);
}

int dfu_client_recv(dfu_client_t *c, int timeout_ms, uint8_t *seq, dfu_cval_t *rsp)
{
    rsp->p = NULL;
    rsp->len = 0;
    int n = dfu_link_recv(&c->link, c->rx, sizeof(c->rx), timeout_ms);
    if (n < 0) {
        return n;
    }
    dfu_smp_hdr_t h;
    if (dfu_smp_hdr_decode(c->rx, (size_t)n, &h) != DFU_OK) {
        return DFU_ERR_PROTO;
    }
    *seq = h.seq; /* also on the errors below: the caller may be waiting for this answer */
    if ((size_t)n < 8u + h.len || (h.op != DFU_SMP_OP_READ_RSP && h.op != DFU_SMP_OP_WRITE_RSP)) {
        return DFU_ERR_PROTO;
    }
    if (h.version == DFU_SMP_VER1 && c->version != DFU_SMP_VER1) {
        c->version = DFU_SMP_VER1; /* old server: speak v1 from now on (§1.2) */
    }
    dfu_cval_t item = {empty_map, sizeof(empty_map)}; /* no payload = empty map */
    if (h.len > 0) {
        /* One bounded walk of the whole map (well-formed, depth <= DFU_CBOR_MAX_DEPTH, every
         * declared entry present); bytes after it are ignored. The getters then read in place. */
        dfu_cbor_reader_t rd;
        dfu_cbor_item_t it;
        dfu_cbor_reader_init(&rd, c->rx + 8, h.len);
        if (dfu_cbor_next(&rd, &it) != DFU_OK || it.type != DFU_CBOR_MAP ||
            dfu_cbor_skip_rest(&rd, &it, 1) != DFU_OK) {
            return DFU_ERR_PROTO;
        }
        item.p = c->rx + 8;
        item.len = rd.pos;
    }
    if (c->log) {
        fprintf(c->log, "smp <- v%u op %u group %u id %u seq %u len %u\n", h.version + 1u, h.op,
                h.group, h.id, h.seq, h.len);
    }
    *seq = h.seq;
    *rsp = item;
    return DFU_OK;
}

int dfu_client_pair(dfu_client_t *c)
{
    if (!dfu_client_is_ble(c) || !c->open) {
        return DFU_ERR_NOTSUP;
    }
    if (c->pair_tried) {
        return DFU_ERR_PAIRING; /* pairing already done on this connection: it did not help */
    }
    c->pair_tried = true;
    if (c->kind == DFU_LINK_BLUEZ) {
        int level = dfu_link_bluez_pair(&c->link); /* Device1.Pair with our agent's passkey */
        if (c->log) {
            fprintf(c->log, "smp: device asked for link security; BlueZ pairing -> %d\n", level);
        }
        return level;
    }
    int lvl = dfu_link_ble_pair(&c->link, c->has_passkey, c->passkey, true);
    if (c->log) {
        fprintf(c->log, "smp: device asked for link security; pairing%s -> %d\n",
                c->has_passkey ? " with the passkey" : " (no passkey: Just Works)", lvl);
    }
    dfu_ble_bond_t b;
    if (lvl >= 2 && dfu_link_ble_get_bond(&c->link, &b) == DFU_OK && b.level > 0) {
        c->bond = b;
    }
    return lvl;
}

/* Waits for the response with sequence `want` until the deadline; other responses are dropped
 * (late answers to earlier resends). */
static int wait_for(dfu_client_t *c, uint8_t want, int timeout_ms, dfu_cval_t *rsp)
{
    uint64_t end = dfu_link_now_us() + (uint64_t)timeout_ms * 1000u;
    for (;;) {
        uint64_t now = dfu_link_now_us();
        if (now >= end) {
            return DFU_ERR_TIMEOUT;
        }
        uint8_t seq = (uint8_t)(want + 128u); /* not ours unless the header says so */
        int rc = dfu_client_recv(c, (int)((end - now + 999) / 1000), &seq, rsp);
        if (rc == DFU_ERR_PROTO && seq == want) {
            return rc; /* our answer, malformed */
        }
        if (rc == DFU_ERR_PROTO || rc == DFU_ERR_MSGSIZE) {
            continue; /* garbled message: keep waiting for ours */
        }
        if (rc != DFU_OK) {
            return rc;
        }
        if (seq == want) {
            return DFU_OK;
        }
    }
}

int dfu_client_request(dfu_client_t *c, const char *what, uint8_t op, uint16_t group, uint8_t id,
                       const uint8_t *payload, size_t plen, int timeout_ms, dfu_cval_t *rsp)
{
    rsp->p = NULL;
    rsp->len = 0;
    if (timeout_ms <= 0) {
        timeout_ms = c->timeout_ms;
    }
    int rc = DFU_ERR_TIMEOUT;
    bool reconnected = false, paired = false;
    for (int attempt = 0; attempt <= c->retries; attempt++) {
        uint8_t seq = 0;
        uint8_t ver = c->version;
        rc = dfu_client_send(c, op, group, id, payload, plen, &seq);
        if (rc == DFU_OK) {
            rc = wait_for(c, seq, timeout_ms, rsp);
        }
        if (rc == DFU_ERR_ACCESS && !paired && dfu_client_is_ble(c)) {
            /* The device wants a stronger link: pair (passkey if we have one) and resend. */
            paired = true;
            if (dfu_client_pair(c) >= 2) {
                attempt--;
                continue;
            }
        }
        if (rc == DFU_ERR_NOTCONN && !reconnected && dfu_client_is_ble(c)) {
            reconnected = true;
            if (dfu_client_reconnect(c) == DFU_OK) {
                attempt--;
                continue;
            }
        }
        if (rc == DFU_OK) {
            int64_t v = 0;
            /* rc 12: device refuses v1 requests -> retry in v2; rc 13 on v2 -> v1. */
            if (dfu_cmap_int(rsp, "rc", &v) &&
                ((v == 12 && ver == DFU_SMP_VER1) || (v == 13 && ver == DFU_SMP_VER2))) {
                c->version = ver == DFU_SMP_VER1 ? DFU_SMP_VER2 : DFU_SMP_VER1;
                continue;
            }
            rc = dfu_client_check_error(c, what, group, rsp);
            if (rc != DFU_OK) {
                rsp->p = NULL;
                rsp->len = 0;
            }
            if (rc == DFU_ERR_DEVICE && c->err.rc == DFU_SMP_RC_EACCESSDENIED &&
                c->err.group_rc == 0 && !paired && dfu_client_is_ble(c) &&
                dfu_client_pair(c) >= 2) {
                paired = true; /* SMP-level refusal: same remedy as the ATT error */
                attempt--;
                continue;
            }
            return rc;
        }
        if (rc != DFU_ERR_TIMEOUT) {
            break;
        }
    }
    return link_fail(c, what, rc);
}
