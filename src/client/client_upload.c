/*
 * Windowed image upload (group 1 cmd 1, smp-protocol.md §4).
 *
 * Sizing (§4.4): every request, header and CBOR included, fits the device's buf_size (serial:
 * buf_size - 4 for the length and CRC) and the link MTU; over BLE the message is rounded down to
 * whole (ATT MTU - 3) writes so no write goes out half empty.
 * Pipelining: offsets are predictable (off_k+1 = off_k + len_k), so up to `window` requests are
 * in flight. The window starts at 1, grows by one per in-order acknowledgement up to the
 * device's buf_count (or the forced value) and halves on a timeout or an offset mismatch.
 * Re-sync: the device's `off` is the truth. Any answer whose `off` is not the end of the chunk
 * it acknowledges makes the client drop everything in flight and continue from that `off`
 * (`off` 0 on a later chunk = the device lost the session: restart with a full first chunk).
 * Late answers to dropped requests are recognised by sequence number and ignored.
 * Integrity: the first chunk carries the SHA-256 of the file, so the device can resume a
 * session and report `match` at the end; match == false fails the upload.
 * Several clients: the device has one upload session, and a first chunk (off 0 with len/sha)
 * from anyone restarts it (Zephyr). Within our session the device's `off` never falls below what
 * it acknowledged to us and never passes what we sent, so an answer outside [acked, sent] (or
 * past our file) is another client's session: stop (DFU_ERR_UPLOAD_TAKEN_OVER) without sending
 * more, as resending from 0 would take the slot back and fight. (`off` 0 on a later chunk is a
 * session the device dropped, e.g. after a reset: restarted as before.) Success needs the
 * device's `match` for our sha, or, from a device that does not report `match`, slot 1 listing
 * our image's hash.
 */
#include <string.h>
#include <unistd.h>

#include <mbedtls/sha256.h>

#include "dfu_client.h"
#include "dfukit/dfu_cbor.h"
#include "dfukit/dfu_smp.h"

#define MAX_WINDOW 32u

typedef struct {
    uint8_t seq;
    uint64_t off;
    size_t len;
} inflight_t;

void dfu_client_progress_print(FILE *out, bool tty, const char *prefix,
                               const dfu_client_progress_t *p)
{
    bool last = p->done >= p->total;
    double eta = p->eta_s < 0 ? 0.0 : p->eta_s;
    if (tty) {
        enum { WIDTH = 30 };
        int fill = p->total ? (int)((double)p->done * WIDTH / (double)p->total) : WIDTH;
        char bar[WIDTH + 1];
        for (int i = 0; i < WIDTH; i++) {
            bar[i] = i < fill ? '#' : '.';
        }
        bar[WIDTH] = '\0';
        fprintf(out, "\r[%s] %3.0f%% %llu/%llu B ", bar,
                p->total ? 100.0 * (double)p->done / (double)p->total : 100.0,
                (unsigned long long)p->done, (unsigned long long)p->total);
        if (p->kBps > 0) {
            fprintf(out, "%.1f kB/s ETA %.0f s ", p->kBps, eta);
        }
        if (last) {
            fputc('\n', out);
        }
    } else if (p->kBps > 0) {
        fprintf(out, "%s %llu/%llu bytes, %.1f kB/s, ETA %.0f s\n", prefix,
                (unsigned long long)p->done, (unsigned long long)p->total, p->kBps, eta);
    } else { /* nothing new was sent: every byte was already on the device */
        fprintf(out, "%s %llu/%llu bytes (already on the device)\n", prefix,
                (unsigned long long)p->done, (unsigned long long)p->total);
    }
    fflush(out);
}

static size_t bstr_head(size_t n)
{
    return n < 24 ? 1 : n < 256 ? 2 : n < 65536 ? 3 : 5;
}

/* Encodes one upload request. data may be NULL when len is 0 (sizing). */
static size_t encode_req(uint8_t *buf, size_t cap, const uint8_t *data, size_t len, uint64_t off,
                         uint64_t total, const uint8_t *sha, int image, bool upgrade)
{
    dfu_cbor_writer_t w;
    dfu_cbor_writer_init(&w, buf, cap);
    bool first = off == 0;
    size_t pairs =
        2 + (first ? 2u : 0u) + (first && image ? 1u : 0u) + (first && upgrade ? 1u : 0u);
    dfu_cbor_put_map(&w, pairs);
    if (first && image) {
        (void)(dfu_cbor_put_str(&w, "image") && dfu_cbor_put_uint(&w, (uint64_t)image));
    }
    if (first) {
        (void)(dfu_cbor_put_str(&w, "len") && dfu_cbor_put_uint(&w, total));
    }
    (void)(dfu_cbor_put_str(&w, "off") && dfu_cbor_put_uint(&w, off));
    if (first) {
        static const uint8_t zero[32];
        (void)(dfu_cbor_put_str(&w, "sha") && dfu_cbor_put_bstr(&w, sha ? sha : zero, 32));
    }
    static const uint8_t none[1];
    (void)(dfu_cbor_put_str(&w, "data") && dfu_cbor_put_bstr(&w, data ? data : none, len));
    if (first && upgrade) {
        (void)(dfu_cbor_put_str(&w, "upgrade") && dfu_cbor_put_bool(&w, true));
    }
    return w.err ? 0 : w.len;
}

size_t dfu_client_chunk_size(size_t msg_max, uint64_t total, bool first, int image, bool upgrade)
{
    uint8_t buf[128];
    /* Worst case for `off`: the largest offset a later chunk can carry. */
    size_t base =
        encode_req(buf, sizeof(buf), NULL, 0, first ? 0 : total, total, NULL, image, upgrade);
    if (base == 0 || msg_max <= DFU_SMP_HDR_SIZE + base) {
        return 0;
    }
    size_t avail = msg_max - DFU_SMP_HDR_SIZE - base; /* bytes for data + its head growth */
    size_t best = 0;
    static const size_t grow[] = {0, 1, 2, 4};
    for (size_t i = 0; i < 4; i++) {
        if (avail < grow[i]) {
            continue;
        }
        size_t n = avail - grow[i];
        if (bstr_head(n) == 1 + grow[i] && n > best) {
            best = n;
        }
    }
    if (best > 64) {
        best &= ~(size_t)3; /* keep chunk boundaries word aligned for the device's flash */
    }
    return best;
}

size_t dfu_client_msg_max(const dfu_client_t *c, const dfu_client_params_t *p)
{
    size_t m = p->buf_size;
    if ((c->kind == DFU_LINK_SERIAL || c->kind == DFU_LINK_TCP) && m > 4) {
        m -= 4; /* length + CRC share the device's buffer (§4.4) */
    }
    size_t mtu = dfu_client_link_mtu(c);
    if (mtu != 0 && mtu < m) {
        m = mtu;
    }
    if (dfu_client_is_ble(c) && c->link.att_mtu > 3) {
        size_t frag = (size_t)c->link.att_mtu - 3u;
        if (m > frag) {
            m -= m % frag;
        }
    }
    return m;
}

typedef struct {
    dfu_client_t *c;
    const uint8_t *file;
    size_t total;
    const dfu_client_upload_cfg_t *cfg;
    dfu_client_upload_stats_t *st;
    uint8_t sha[32];
    size_t msg_max;
    inflight_t q[MAX_WINDOW];
    unsigned nq;
    uint64_t next, acked;
    unsigned window, wmax;
    uint64_t t0;
    bool paired;
    unsigned stale_access;
} up_t;

static int send_chunk(up_t *u)
{
    uint8_t buf[65536];
    bool first = u->next == 0;
    size_t chunk =
        dfu_client_chunk_size(u->msg_max, u->total, first, u->cfg->image, u->cfg->upgrade);
    if (u->cfg->max_chunk && chunk > u->cfg->max_chunk) {
        chunk = u->cfg->max_chunk;
    }
    if (first && chunk < 32 && chunk < u->total) {
        return DFU_ERR_MSGSIZE; /* the device's buffer cannot carry the image header */
    }
    if (chunk == 0) {
        return DFU_ERR_MSGSIZE;
    }
    if (chunk > u->total - u->next) {
        chunk = u->total - u->next;
    }
    size_t n = encode_req(buf, sizeof(buf), u->file + u->next, chunk, u->next, u->total, u->sha,
                          u->cfg->image, u->cfg->upgrade);
    if (n == 0) {
        return DFU_ERR_NOMEM;
    }
    uint8_t seq = 0;
    int rc = dfu_client_send(u->c, DFU_SMP_OP_WRITE, DFU_SMP_GROUP_IMAGE, 1, buf, n, &seq);
    if (rc != DFU_OK) {
        return rc;
    }
    u->q[u->nq].seq = seq;
    u->q[u->nq].off = u->next;
    u->q[u->nq].len = chunk;
    u->nq++;
    u->next += chunk;
    u->st->requests++;
    if (chunk > u->st->chunk) {
        u->st->chunk = chunk;
    }
    return DFU_OK;
}

static void report(up_t *u)
{
    if (u->cfg->progress == NULL) {
        return;
    }
    uint64_t fresh = u->acked - u->st->resumed_from;
    if (fresh == 0 && u->acked < u->total) {
        return; /* a resumed upload: no speed to report until new bytes were acknowledged */
    }
    dfu_client_progress_t p;
    memset(&p, 0, sizeof(p));
    p.done = u->acked;
    p.total = u->total;
    p.resumed_from = u->st->resumed_from;
    p.elapsed_s = (double)(dfu_link_now_us() - u->t0) / 1e6;
    p.kBps = p.elapsed_s > 0 ? (double)fresh / 1000.0 / p.elapsed_s : 0;
    p.eta_s = p.kBps > 0 ? (double)(u->total - u->acked) / 1000.0 / p.kBps : -1;
    p.window = u->window;
    p.chunk = u->st->chunk;
    u->cfg->progress(u->cfg->progress_ctx, &p);
}

/* Handles one answer. Returns 0 to continue, 1 when done, or an error. */
static int on_answer(up_t *u, uint8_t seq, const dfu_cval_t *rsp)
{
    unsigned k = 0;
    while (k < u->nq && u->q[k].seq != seq) {
        k++;
    }
    if (k == u->nq) {
        return 0; /* late answer to a dropped request */
    }
    inflight_t e = u->q[k];
    memmove(&u->q[0], &u->q[k + 1], (u->nq - k - 1) * sizeof(inflight_t));
    u->nq -= k + 1;
    int rc = dfu_client_check_error(u->c, "image upload", DFU_SMP_GROUP_IMAGE, rsp);
    if (rc != DFU_OK) {
        if (u->c->err.rc == DFU_SMP_RC_EBUSY && u->c->err.group_rc == 0) {
            usleep(100000); /* busy: back off, resend from the acknowledged offset */
            u->nq = 0;
            u->next = u->acked;
            u->window = 1;
            return 0;
        }
        return rc;
    }
    uint64_t off = 0;
    if (!dfu_cmap_uint(rsp, "off", &off)) {
        return DFU_ERR_PROTO;
    }
    bool m = false;
    if (dfu_cmap_bool(rsp, "match", &m)) {
        u->st->match_reported = true;
        u->st->match = m;
    }
    if (off == e.off + e.len) {
        u->acked = off;
        if (u->window < u->wmax) {
            u->window++;
        }
        if (u->window > u->st->window_max) {
            u->st->window_max = u->window;
        }
    } else {
        if (e.off == 0 && off > e.len && off <= u->total) {
            u->st->resumed_from = off; /* the device resumed an earlier session */
        } else if (off > u->total || off > u->next || (off != 0 && off < u->acked)) {
            return DFU_ERR_UPLOAD_TAKEN_OVER; /* an offset our session cannot have */
        } else {
            u->st->resyncs++;
            u->window = u->window > 1 ? u->window / 2 : 1;
        }
        u->acked = off;
        u->next = off;
        u->nq = 0;
    }
    report(u);
    return u->acked >= u->total ? 1 : 0;
}

static int run(up_t *u)
{
    int consecutive_timeouts = 0;
    for (;;) {
        while (u->nq < u->window && u->next < u->total) {
            int rc = send_chunk(u);
            if (rc != DFU_OK) {
                return rc;
            }
        }
        /* The first answer can be slow: the device may erase the slot first. */
        int tmo = u->acked == 0 ? u->c->timeout_ms * 3 : u->c->timeout_ms;
        uint8_t seq = 0;
        dfu_cval_t rsp;
        int rc = dfu_client_recv(u->c, tmo, &seq, &rsp);
        if (rc == DFU_ERR_PROTO || rc == DFU_ERR_MSGSIZE) {
            continue;
        }
        if (rc == DFU_ERR_TIMEOUT) {
            u->st->timeouts++;
            bool give_up = ++consecutive_timeouts > u->c->retries;
            if (u->c->log != NULL) {
                fprintf(u->c->log,
                        "smp: image upload: no answer within %.1f s to %u request(s) in flight; "
                        "%s from offset %llu\n",
                        tmo / 1000.0, u->nq, give_up ? "giving up" : "resending",
                        (unsigned long long)u->acked);
            }
            if (give_up) {
                return DFU_ERR_TIMEOUT;
            }
            u->window = u->window > 1 ? u->window / 2 : 1;
            u->nq = 0;
            u->next = u->acked;
            continue;
        }
        if (rc == DFU_ERR_ACCESS && !u->paired && dfu_client_pair(u->c) >= 2) {
            u->paired = true; /* the device wanted a stronger link: resend after pairing */
            u->stale_access = u->nq > 0 ? u->nq - 1 : 0; /* refusals still on their way */
            u->nq = 0;
            u->next = u->acked;
            continue;
        }
        if (rc == DFU_ERR_ACCESS && u->paired && u->stale_access > 0) {
            u->stale_access--; /* refusal of a write sent before the pairing completed */
            continue;
        }
        if (rc != DFU_OK) {
            return rc;
        }
        consecutive_timeouts = 0;
        rc = on_answer(u, seq, &rsp);
        if (rc != 0) {
            return rc < 0 ? rc : DFU_OK;
        }
    }
}

/* A device that does not report `match`: the upload counts only if slot 1 now lists our image
 * (image 0, an MCUboot file). Anything else there means another client's session ended last. */
static int check_slot(dfu_client_t *c, const uint8_t *file, size_t len,
                      const dfu_client_upload_cfg_t *cfg)
{
    uint8_t want[32];
    if (cfg->image != 0 || dfu_client_image_hash(file, len, want) != DFU_OK) {
        return DFU_OK; /* nothing to compare with */
    }
    dfu_client_state_t s;
    int rc = dfu_client_state_read(c, &s);
    if (rc != DFU_OK) {
        return rc;
    }
    const dfu_client_slot_t *s1 = &s.slots[1];
    return s1->present && s1->hash_len == 32 && memcmp(s1->hash, want, 32) == 0
               ? DFU_OK
               : DFU_ERR_UPLOAD_TAKEN_OVER;
}

int dfu_client_upload(dfu_client_t *c, const uint8_t *file, size_t len,
                      const dfu_client_upload_cfg_t *cfg, dfu_client_upload_stats_t *st)
{
    memset(st, 0, sizeof(*st));
    dfu_client_params_t p;
    int rc = dfu_client_params(c, &p);
    if (rc != DFU_OK) {
        return rc;
    }
    up_t u;
    memset(&u, 0, sizeof(u));
    u.c = c;
    u.file = file;
    u.total = len;
    u.cfg = cfg;
    u.st = st;
    u.msg_max = dfu_client_msg_max(c, &p);
    u.wmax = cfg->window ? cfg->window : (p.buf_count ? p.buf_count : 1);
    if (u.wmax > MAX_WINDOW) {
        u.wmax = MAX_WINDOW;
    }
    u.window = cfg->window ? cfg->window : 1;
    if (u.window > u.wmax) {
        u.window = u.wmax;
    }
    st->window_max = u.window;
    mbedtls_sha256_ret(file, len, u.sha, 0);
    st->bytes = len;
    u.t0 = dfu_link_now_us();
    rc = len == 0 ? DFU_ERR_INVAL : run(&u);
    st->acked = u.acked;
    st->seconds = (double)(dfu_link_now_us() - u.t0) / 1e6;
    st->kBps = st->seconds > 0 ? (double)(len - st->resumed_from) / 1000.0 / st->seconds : 0;
    if (rc == DFU_OK && !st->match_reported) {
        rc = check_slot(c, file, len, cfg);
    }
    if (rc == DFU_ERR_TIMEOUT || rc == DFU_ERR_NOTCONN || rc == DFU_ERR_MSGSIZE ||
        rc == DFU_ERR_ACCESS || rc == DFU_ERR_REFUSED || rc == DFU_ERR_CANCELLED ||
        rc == DFU_ERR_UPLOAD_TAKEN_OVER) {
        (void)dfu_client_link_err(c, rc, "image upload");
        c->err.tries = (int)st->timeouts;
    }
    if (rc == DFU_OK && st->match_reported && !st->match) {
        return DFU_ERR_HASH_MISMATCH;
    }
    return rc;
}
