/* In-process loopback link pair (the mcumgr "smp_dummy" idea), for single-threaded tests. */
#include <stdlib.h>
#include <string.h>

#include "dfukit/dfu_err.h"
#include "link_priv.h"

typedef struct lb_msg {
    struct lb_msg *next;
    size_t len;
    uint8_t data[];
} lb_msg_t;

typedef struct lb_queue {
    lb_msg_t *head, *tail;
    size_t count;
} lb_queue_t;

typedef struct lb_shared {
    lb_queue_t q[2]; /* q[i]: messages waiting for end i */
    bool open[2];
} lb_shared_t;

typedef struct lb_end {
    lb_shared_t *sh;
    int me;
    int (*pump)(void *ctx);
    void *pump_ctx;
} lb_end_t;

#define LB_QUEUE_MAX 256u

static void q_clear(lb_queue_t *q)
{
    while (q->head != NULL) {
        lb_msg_t *m = q->head;
        q->head = m->next;
        free(m);
    }
    q->tail = NULL;
    q->count = 0;
}

static int lb_send(dfu_link_t *l, const uint8_t *msg, size_t len)
{
    lb_end_t *e = l->ctx;
    int peer = 1 - e->me;
    lb_queue_t *q = &e->sh->q[peer];
    if (!e->sh->open[peer]) {
        return DFU_ERR_NOTCONN;
    }
    if (q->count >= LB_QUEUE_MAX) {
        return DFU_ERR_BUSY;
    }
    lb_msg_t *m = malloc(sizeof(*m) + len);
    if (m == NULL) {
        return DFU_ERR_NOMEM;
    }
    m->next = NULL;
    m->len = len;
    memcpy(m->data, msg, len);
    if (q->tail != NULL) {
        q->tail->next = m;
    } else {
        q->head = m;
    }
    q->tail = m;
    q->count++;
    return DFU_OK;
}

static int lb_recv(dfu_link_t *l, uint8_t *buf, size_t cap, int timeout_ms)
{
    lb_end_t *e = l->ctx;
    lb_queue_t *q = &e->sh->q[e->me];
    (void)timeout_ms; /* single-threaded: nothing can arrive unless the pump makes it */
    while (q->head == NULL) {
        if (e->pump == NULL || e->pump(e->pump_ctx) <= 0) {
            return e->sh->open[1 - e->me] ? DFU_ERR_TIMEOUT : DFU_ERR_NOTCONN;
        }
    }
    lb_msg_t *m = q->head;
    q->head = m->next;
    if (q->head == NULL) {
        q->tail = NULL;
    }
    q->count--;
    int rc = m->len > cap ? DFU_ERR_MSGSIZE : (int)m->len;
    if (rc > 0) {
        memcpy(buf, m->data, m->len);
    }
    free(m);
    return rc;
}

static bool lb_pending(const dfu_link_t *l)
{
    const lb_end_t *e = l->ctx;
    return e->sh->q[e->me].head != NULL;
}

static void lb_close(dfu_link_t *l)
{
    lb_end_t *e = l->ctx;
    lb_shared_t *sh = e->sh;
    sh->open[e->me] = false;
    q_clear(&sh->q[e->me]);
    if (!sh->open[1 - e->me]) {
        q_clear(&sh->q[1 - e->me]);
        free(sh);
    }
    free(e);
}

static const dfu_link_ops_t lb_ops = {
    .send = lb_send,
    .recv = lb_recv,
    .pending = lb_pending,
    .close = lb_close,
};

static void lb_attach(dfu_link_t *l, lb_end_t *e, size_t mtu, bool server)
{
    memset(l, 0, sizeof(*l));
    l->ops = &lb_ops;
    l->ctx = e;
    l->kind = DFU_LINK_LOOPBACK;
    l->server = server;
    l->mtu = mtu;
    l->security = 1;
}

int dfu_link_loopback_open(dfu_link_t *device, dfu_link_t *client, size_t mtu)
{
    if (device == NULL || client == NULL || device == client) {
        return DFU_ERR_INVAL;
    }
    lb_shared_t *sh = calloc(1, sizeof(*sh));
    lb_end_t *d = calloc(1, sizeof(*d));
    lb_end_t *c = calloc(1, sizeof(*c));
    if (sh == NULL || d == NULL || c == NULL) {
        free(sh);
        free(d);
        free(c);
        return DFU_ERR_NOMEM;
    }
    sh->open[0] = sh->open[1] = true;
    d->sh = c->sh = sh;
    d->me = 0;
    c->me = 1;
    size_t m = mtu ? mtu : DFU_LINK_SERIAL_MTU;
    lb_attach(device, d, m, true);
    lb_attach(client, c, m, false);
    return DFU_OK;
}

int dfu_link_loopback_set_pump(dfu_link_t *l, int (*pump)(void *ctx), void *ctx)
{
    if (l == NULL || l->ops != &lb_ops) {
        return DFU_ERR_INVAL;
    }
    lb_end_t *e = l->ctx;
    e->pump = pump;
    e->pump_ctx = ctx;
    return DFU_OK;
}
