/*
 * SMP server core: one dispatcher for every group. It owns the response header, the response
 * map and every error response; handlers only write key/value pairs. Version handling follows
 * Zephyr's smp.c (smp-protocol.md §1.2), and responses use indefinite-length maps like zcbor's
 * non-canonical default, so they are byte-identical to Zephyr's.
 */
#include <string.h>

#include "dfukit/dfu_err.h"
#include "dfukit/dfu_smp.h"

/* ==== dfu_err -> wire codes (the only place) ================================================ */

typedef struct generic_map {
    int err;
    uint8_t rc;
} generic_map_t;

/* SMP-level codes for errors a group table does not claim. */
static const generic_map_t generic_errs[] = {
    {DFU_ERR_NOMEM, DFU_SMP_RC_EMSGSIZE}, /* response did not fit the buffer */
    {DFU_ERR_MSGSIZE, DFU_SMP_RC_EMSGSIZE},
    {DFU_ERR_INVAL, DFU_SMP_RC_EINVAL},
    {DFU_ERR_BAD_CBOR, DFU_SMP_RC_EINVAL},
    {DFU_ERR_SMP_NO_ANSWER, DFU_SMP_RC_EINVAL}, /* Zephyr sends QUERY_YIELDS_NO_ANSWER as rc 3 */
    {DFU_ERR_RANGE, DFU_SMP_RC_EINVAL},
    {DFU_ERR_TIMEOUT, DFU_SMP_RC_ETIMEOUT},
    {DFU_ERR_NOT_FOUND, DFU_SMP_RC_ENOENT},
    {DFU_ERR_NODEV, DFU_SMP_RC_ENOENT},
    {DFU_ERR_EXIST, DFU_SMP_RC_EBADSTATE},
    {DFU_ERR_NOTSUP, DFU_SMP_RC_ENOTSUP},
    {DFU_ERR_CORRUPT, DFU_SMP_RC_ECORRUPT},
    {DFU_ERR_PROTO, DFU_SMP_RC_ECORRUPT},
    {DFU_ERR_BUSY, DFU_SMP_RC_EBUSY},
    {DFU_ERR_ACCESS, DFU_SMP_RC_EACCESSDENIED},
    {DFU_ERR_SMP_TOO_OLD, DFU_SMP_RC_TOO_OLD},
    {DFU_ERR_SMP_TOO_NEW, DFU_SMP_RC_TOO_NEW},
};

void dfu_smp_translate_err(const dfu_smp_group_t *group, int err, uint16_t *group_rc, uint16_t *rc)
{
    *group_rc = 0;
    *rc = DFU_SMP_RC_EUNKNOWN;
    if (group != NULL && group->errmap != NULL) {
        for (size_t i = 0; i < group->errmap_count; i++) {
            if (group->errmap[i].err == err) {
                *group_rc = group->errmap[i].group_rc;
                *rc = group->errmap[i].legacy_rc;
                return;
            }
        }
    }
    for (size_t i = 0; i < sizeof(generic_errs) / sizeof(generic_errs[0]); i++) {
        if (generic_errs[i].err == err) {
            *rc = generic_errs[i].rc;
            return;
        }
    }
}

const char *dfu_smp_rc_str(int rc)
{
    switch (rc) {
    case DFU_SMP_RC_OK:
        return "ok";
    case DFU_SMP_RC_ENOMEM:
        return "no memory";
    case DFU_SMP_RC_EINVAL:
        return "invalid request";
    case DFU_SMP_RC_ETIMEOUT:
        return "timeout";
    case DFU_SMP_RC_ENOENT:
        return "no such entry";
    case DFU_SMP_RC_EBADSTATE:
        return "bad state";
    case DFU_SMP_RC_EMSGSIZE:
        return "response too large";
    case DFU_SMP_RC_ENOTSUP:
        return "command not supported";
    case DFU_SMP_RC_ECORRUPT:
        return "corrupt message";
    case DFU_SMP_RC_EBUSY:
        return "busy, retry";
    case DFU_SMP_RC_EACCESSDENIED:
        return "access denied";
    case DFU_SMP_RC_TOO_OLD:
        return "SMP v1 not supported, use SMP v2";
    case DFU_SMP_RC_TOO_NEW:
        return "SMP version not supported, use SMP v2";
    default:
        return "unknown error";
    }
}

static const char *level_rsn(uint8_t need)
{
    switch (need) {
    case DFU_SMP_SEC_ENCRYPT:
        return "requires security level 2 (encrypted link): pair first";
    case DFU_SMP_SEC_AUTHEN:
        return "requires security level 3 (authenticated pairing with passkey or numeric "
               "comparison)";
    default:
        return "requires security level 4 (LE Secure Connections pairing)";
    }
}

/* ==== Setup ================================================================================== */

int dfu_smp_server_init(dfu_smp_server_t *srv, const dfu_smp_server_cfg_t *cfg)
{
    if (srv == NULL || cfg == NULL || cfg->buf == NULL || cfg->buf_size < DFU_SMP_BUF_MIN ||
        cfg->buf_size > 65535u + DFU_SMP_HDR_SIZE) {
        return DFU_ERR_INVAL;
    }
    memset(srv, 0, sizeof(*srv));
    srv->cfg = *cfg;
    if (srv->cfg.policy == NULL) {
        srv->cfg.policy = &dfu_smp_policy_open;
    }
    return 0;
}

int dfu_smp_server_register(dfu_smp_server_t *srv, const dfu_smp_group_t *group, void *ctx)
{
    if (group == NULL || (group->handlers == NULL && group->count != 0)) {
        return DFU_ERR_INVAL;
    }
    for (size_t i = 0; i < srv->ngroups; i++) {
        if (srv->groups[i].group->id == group->id) {
            return DFU_ERR_EXIST;
        }
    }
    if (srv->ngroups >= DFU_SMP_MAX_GROUPS) {
        return DFU_ERR_NOSPC;
    }
    srv->groups[srv->ngroups].group = group;
    srv->groups[srv->ngroups].ctx = ctx;
    srv->ngroups++;
    return 0;
}

/* ==== Request helpers ======================================================================= */

int dfu_smp_req_decode(dfu_smp_req_t *req, const dfu_cbor_key_t *keys, size_t nkeys,
                       uint32_t *found)
{
    return dfu_cbor_decode_map(req->payload, req->payload_len, keys, nkeys, found);
}

void dfu_smp_req_set_rsn(dfu_smp_req_t *req, const char *rsn)
{
    req->rsn = rsn;
}

void dfu_smp_req_after_send(dfu_smp_req_t *req, void (*fn)(void *ctx), void *ctx)
{
    req->after_send = fn;
    req->after_ctx = ctx;
}

/* ==== Dispatch =============================================================================== */

/* Outcome of routing one request before any handler runs. */
typedef struct route {
    const dfu_smp_group_reg_t *reg;
    dfu_smp_handler_fn fn;
    int err;         /* 0 or the SMP-level error to answer with */
    const char *rsn; /* reason for `err` */
} route_t;

static const dfu_smp_group_reg_t *find_group(const dfu_smp_server_t *srv, uint16_t id)
{
    for (size_t i = 0; i < srv->ngroups; i++) {
        if (srv->groups[i].group->id == id) {
            return &srv->groups[i];
        }
    }
    return NULL;
}

static void route_request(const dfu_smp_server_t *srv, const dfu_smp_hdr_t *h, uint8_t level,
                          route_t *rt)
{
    memset(rt, 0, sizeof(*rt));
    /* As Zephyr's smp_process_request_packet: anything but READ/WRITE (response ops, the
     * invalid ops 4-7) is ENOTSUP, decided before the version is looked at. */
    if (h->op != DFU_SMP_OP_READ && h->op != DFU_SMP_OP_WRITE) {
        rt->err = DFU_ERR_NOTSUP;
        rt->rsn = h->op > DFU_SMP_OP_WRITE_RSP ? "invalid op" : "response op sent to a server";
        return;
    }
    if (h->version >= 2u) {
        rt->err = DFU_ERR_SMP_TOO_NEW;
        return;
    }
    if (h->version == DFU_SMP_VER1 && srv->cfg.no_v1) {
        rt->err = DFU_ERR_SMP_TOO_OLD;
        return;
    }
    rt->reg = find_group(srv, h->group);
    if (rt->reg == NULL || h->id >= rt->reg->group->count) {
        rt->err = DFU_ERR_NOTSUP;
        rt->rsn = rt->reg == NULL ? "unknown group" : "unknown command";
        rt->reg = NULL;
        return;
    }
    const dfu_smp_handler_t *hd = &rt->reg->group->handlers[h->id];
    rt->fn = h->op == DFU_SMP_OP_READ ? hd->read : hd->write;
    if (rt->fn == NULL) {
        rt->err = DFU_ERR_NOTSUP;
        rt->rsn = "command not supported for this op";
        return;
    }
    uint8_t need = dfu_smp_policy_required(srv->cfg.policy, h->group, h->id, h->op);
    if (level < need) {
        rt->err = DFU_ERR_ACCESS;
        rt->rsn = level_rsn(need);
    }
}

/* Builds the error map for `err` into `w` (reset first). Group errors use the v2 `err` form for
 * SMP v2 requests and the group's legacy rc for v1 (Zephyr's translation). */
static void build_error(const dfu_smp_server_t *srv, const dfu_smp_group_t *group,
                        const dfu_smp_hdr_t *req, int err, const char *rsn, dfu_cbor_writer_t *w)
{
    uint16_t grc;
    uint16_t rc;
    dfu_smp_translate_err(group, err, &grc, &rc);
    w->len = 0;
    w->err = 0;
    bool v2_group = group != NULL && grc != 0 && req->version == DFU_SMP_VER2;
    if (rsn == NULL) {
        rsn = grc != 0 ? dfu_strerror(err) : dfu_smp_rc_str(rc);
    }
    bool ok = dfu_cbor_put_map_indef(w);
    if (v2_group) {
        ok = ok && dfu_cbor_put_str(w, "err") && dfu_cbor_put_map_indef(w) &&
             dfu_cbor_put_str(w, "group") && dfu_cbor_put_uint(w, group->id) &&
             dfu_cbor_put_str(w, "rc") && dfu_cbor_put_uint(w, grc) && dfu_cbor_put_break(w);
    } else {
        ok = ok && dfu_cbor_put_str(w, "rc") && dfu_cbor_put_uint(w, rc);
    }
    size_t before_rsn = w->len;
    if (ok && !srv->cfg.no_rsn) {
        /* The reason is optional: if it does not fit, drop it rather than the error. */
        if (!(dfu_cbor_put_str(w, "rsn") && dfu_cbor_put_str(w, rsn))) {
            w->len = before_rsn;
            w->err = 0;
        }
    }
    (void)(ok && dfu_cbor_put_break(w));
}

/* Runs the routed handler; returns 0 or the error to report. */
static int run_handler(const route_t *rt, dfu_smp_req_t *req)
{
    dfu_cbor_writer_t *w = req->w;
    if (!dfu_cbor_put_map_indef(w)) {
        return DFU_ERR_NOMEM;
    }
    int rc = rt->fn(req);
    if (rc == 0 && !dfu_cbor_put_break(w)) {
        rc = DFU_ERR_NOMEM;
    }
    if (rc == 0 && w->err != 0) {
        rc = w->err;
    }
    return rc > 0 ? DFU_ERR_INVAL : rc;
}

int dfu_smp_server_handle(dfu_smp_server_t *srv, const uint8_t *in, size_t in_len,
                          uint8_t link_level, size_t *rsp_len, bool *stop)
{
    dfu_smp_hdr_t h;
    *rsp_len = 0;
    *stop = true;
    srv->after_fn = NULL;
    if (dfu_smp_hdr_decode(in, in_len, &h) != 0) {
        return DFU_ERR_CORRUPT;
    }
    if (link_level == 0) {
        link_level = DFU_SMP_SEC_NONE;
    }
    srv->requests++;
    dfu_cbor_writer_t w;
    dfu_cbor_writer_init(&w, srv->cfg.buf + DFU_SMP_HDR_SIZE, srv->cfg.buf_size - DFU_SMP_HDR_SIZE);
    size_t avail = in_len - DFU_SMP_HDR_SIZE;
    size_t consumed = in_len;
    route_t rt;
    memset(&rt, 0, sizeof(rt));
    dfu_smp_req_t req;
    memset(&req, 0, sizeof(req));
    int err;
    if (avail < h.len) {
        err = DFU_ERR_CORRUPT;
        rt.rsn = "message shorter than its header length";
    } else {
        consumed = DFU_SMP_HDR_SIZE + (size_t)h.len;
        route_request(srv, &h, link_level, &rt);
        err = rt.err;
        if (err == 0) {
            req.srv = srv;
            req.gctx = rt.reg->ctx;
            req.hdr = &h;
            req.payload = in + DFU_SMP_HDR_SIZE;
            req.payload_len = h.len;
            req.link_level = link_level;
            req.w = &w;
            err = run_handler(&rt, &req);
            rt.rsn = req.rsn;
        }
    }
    if (err != 0) {
        build_error(srv, rt.reg != NULL ? rt.reg->group : NULL, &h, err, rt.rsn, &w);
        srv->errors++;
    } else {
        srv->after_fn = req.after_send;
        srv->after_ctx = req.after_ctx;
        *stop = false;
    }
    dfu_smp_hdr_t rh = {
        .op = h.op == DFU_SMP_OP_READ ? DFU_SMP_OP_READ_RSP : DFU_SMP_OP_WRITE_RSP,
        .version = h.version > DFU_SMP_VER2 ? DFU_SMP_VER2 : h.version,
        .flags = 0,
        .len = (uint16_t)w.len,
        .group = h.group,
        .seq = h.seq,
        .id = h.id,
    };
    dfu_smp_hdr_encode(&rh, srv->cfg.buf);
    *rsp_len = DFU_SMP_HDR_SIZE + w.len;
    return (int)consumed;
}

void dfu_smp_server_finish(dfu_smp_server_t *srv)
{
    void (*fn)(void *) = srv->after_fn;
    srv->after_fn = NULL;
    if (fn != NULL) {
        fn(srv->after_ctx);
    }
}

int dfu_smp_server_process(dfu_smp_server_t *srv, const uint8_t *in, size_t in_len,
                           uint8_t link_level)
{
    if (srv->cfg.send == NULL) {
        return DFU_ERR_INVAL;
    }
    size_t off = 0;
    int sent = 0;
    while (off < in_len) {
        size_t rsp_len;
        bool stop;
        int n = dfu_smp_server_handle(srv, in + off, in_len - off, link_level, &rsp_len, &stop);
        if (n < 0) {
            return sent > 0 ? sent : n;
        }
        if (rsp_len > 0) {
            int rc = srv->cfg.send(srv->cfg.send_ctx, srv->cfg.buf, rsp_len);
            if (rc < 0) {
                srv->after_fn = NULL;
                return rc;
            }
            sent++;
            dfu_smp_server_finish(srv);
        }
        if (stop) {
            break;
        }
        off += (size_t)n;
    }
    return sent;
}
