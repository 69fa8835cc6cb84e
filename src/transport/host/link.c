/* Generic link wrappers: MTU checks, timing model delays, fault injection, counters. */
#include "dfukit/dfu_link.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "dfukit/dfu_err.h"
#include "link_priv.h"

uint64_t dfu_link_now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

static void sleep_until_us(uint64_t t)
{
    struct timespec ts = {.tv_sec = (time_t)(t / 1000000u), .tv_nsec = (long)(t % 1000000u) * 1000};
    while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR) {
    }
}

/* ---- timing model ---------------------------------------------------------------------------
 * One clock per link end: a transfer starts when the link is free. On BLE a transfer that finds
 * the link idle waits for the next connection-event anchor (anchors are multiples of the interval
 * on the shared monotonic clock, so both processes agree on them); data that was already queued
 * continues in the open event without re-aligning, as a real connection event does while either
 * side has more data (the MD bit). "Queued" is observed, not guessed: a received message counts
 * as queued when it was already waiting when recv was called, and a reply sent while the peer has
 * queued data rides in the same event. So a client that keeps a window of requests in flight
 * streams back to back, and one that waits for every response pays the turnaround events. */
static void model_delay(dfu_link_t *l, size_t n, bool queued, bool tx)
{
    if (l->model.kind == DFU_LINKMODEL_OFF) {
        return;
    }
    uint64_t now = dfu_link_now_us();
    uint64_t start = now > l->clock_us ? now : l->clock_us;
    if (l->model.kind == DFU_LINKMODEL_NET) {
        /* Full duplex: each direction has its own clock. The link is busy for the serialisation
         * only; the latency is paid by a message that found the link idle (queued ones flew
         * while the previous ones were being sent). */
        uint64_t *clk = tx ? &l->clock_tx_us : &l->clock_us;
        start = now > *clk ? now : *clk;
        uint64_t busy = start + dfu_linkmodel_net_ser_us(&l->model, n);
        uint64_t arrive = busy + (queued ? 0u : l->model.net.lat_us);
        *clk = busy;
        l->done_us = arrive;
        l->stats.modelled_delay_us += arrive - now;
        sleep_until_us(arrive);
        return;
    }
    if (l->model.kind == DFU_LINKMODEL_BLE && now > l->clock_us && !queued) {
        uint64_t ci = l->model.ble.ci_us;
        start = (start + ci - 1) / ci * ci;
    }
    dfu_linkmodel_t m = l->model;
    if (m.kind == DFU_LINKMODEL_BLE && l->security >= 2) {
        m.ble.encrypted = 1; /* an encrypted link adds a MIC to every data PDU */
    }
    uint64_t done = start + dfu_linkmodel_oneway_us(&m, n, l->att_mtu);
    l->clock_us = done;
    l->done_us = done;
    l->stats.modelled_delay_us += done - now;
    sleep_until_us(done);
}

/* A message found waiting within this time after the previous modelled transfer was delivered
 * counts as queued behind it (covers the device's processing between transfers). */
#define LINK_QUEUED_SLACK_US 2000u

/* ---- faults -------------------------------------------------------------------------------- */

static uint32_t next_rand(dfu_link_t *l)
{
    uint32_t x = l->rng ? l->rng : 1u;
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    l->rng = x;
    return x;
}

static void count_and_maybe_drop(dfu_link_t *l)
{
    uint32_t total = l->stats.tx_msgs + l->stats.rx_msgs;
    if (l->faults.drop_link_after != 0 && total == l->faults.drop_link_after) {
        dfu_link_drop(l, 0x08);
    }
}

int dfu_link_send(dfu_link_t *l, const uint8_t *msg, size_t len)
{
    if (l == NULL || l->ops == NULL || (msg == NULL && len > 0)) {
        return DFU_ERR_INVAL;
    }
    if (l->down) {
        return DFU_ERR_NOTCONN;
    }
    if (len > l->mtu) {
        return DFU_ERR_MSGSIZE;
    }
    uint32_t nth = l->stats.tx_msgs + l->stats.tx_dropped + 1;
    bool lose = (l->faults.drop_tx_nth != 0 && nth == l->faults.drop_tx_nth) ||
                (l->faults.loss_permille != 0 && next_rand(l) % 1000u < l->faults.loss_permille);
    model_delay(l, len, l->peer_queued, true);
    if (lose) {
        l->stats.tx_dropped++;
        return DFU_OK;
    }
    int rc;
    if (l->faults.garble_tx_nth != 0 && nth == l->faults.garble_tx_nth && len > 0) {
        uint8_t *copy = malloc(len);
        if (copy == NULL) {
            return DFU_ERR_NOMEM;
        }
        memcpy(copy, msg, len);
        copy[len / 2] ^= 0xFF;
        rc = l->ops->send(l, copy, len);
        free(copy);
    } else {
        rc = l->ops->send(l, msg, len);
    }
    if (rc < 0) {
        return rc;
    }
    l->stats.tx_msgs++;
    l->stats.tx_bytes += len;
    count_and_maybe_drop(l);
    return DFU_OK;
}

int dfu_link_recv(dfu_link_t *l, uint8_t *buf, size_t cap, int timeout_ms)
{
    if (l == NULL || l->ops == NULL || buf == NULL) {
        return DFU_ERR_INVAL;
    }
    uint64_t deadline = dfu_link_deadline(timeout_ms);
    for (;;) {
        if (l->down) {
            return DFU_ERR_NOTCONN;
        }
        /* With a timing model, first look for a message that is already waiting: that one was
         * queued by the peer and continues the open connection event. */
        int n = DFU_ERR_TIMEOUT;
        bool queued = false;
        if (l->model.kind != DFU_LINKMODEL_OFF && timeout_ms != 0) {
            uint64_t probe = dfu_link_now_us();
            n = l->ops->recv(l, buf, cap, 0);
            /* waiting, and the link was busy until just now: the peer queued it behind the
             * previous transfer (a message that waited on an idle link was merely in flight) */
            queued = n >= 0 && l->done_us != 0 && probe <= l->done_us + LINK_QUEUED_SLACK_US;
        }
        if (n == DFU_ERR_TIMEOUT) {
            n = l->ops->recv(l, buf, cap, dfu_link_ms_left(deadline, timeout_ms));
        }
        if (n < 0) {
            return n;
        }
        l->peer_queued = queued;
        uint32_t nth = l->stats.rx_msgs + l->stats.rx_dropped + 1;
        model_delay(l, (size_t)n, l->peer_queued, false);
        if (l->faults.drop_rx_nth != 0 && nth == l->faults.drop_rx_nth) {
            l->stats.rx_dropped++;
            continue;
        }
        if (l->faults.garble_rx_nth != 0 && nth == l->faults.garble_rx_nth && n > 0) {
            buf[n / 2] ^= 0xFF;
        }
        l->stats.rx_msgs++;
        l->stats.rx_bytes += (uint64_t)n;
        count_and_maybe_drop(l);
        return n;
    }
}

void dfu_link_close(dfu_link_t *l)
{
    if (l == NULL || l->ops == NULL) {
        return;
    }
    l->ops->close(l);
    memset(l, 0, sizeof(*l));
}

size_t dfu_link_mtu(const dfu_link_t *l)
{
    return (l != NULL && l->ops != NULL) ? l->mtu : 0;
}

int dfu_link_security(const dfu_link_t *l)
{
    return (l != NULL && l->ops != NULL) ? l->security : 0;
}

int dfu_link_fd(const dfu_link_t *l)
{
    return (l != NULL && l->ops != NULL && l->ops->fd != NULL) ? l->ops->fd(l) : -1;
}

void dfu_link_drop(dfu_link_t *l, uint8_t reason)
{
    if (l == NULL || l->ops == NULL) {
        return;
    }
    if (l->ops->drop != NULL) {
        l->ops->drop(l, reason);
    } else {
        l->down = true;
    }
}

int dfu_link_reconnect(dfu_link_t *l)
{
    if (l == NULL || l->ops == NULL) {
        return DFU_ERR_INVAL;
    }
    if (l->ops->reconnect != NULL) {
        return l->ops->reconnect(l);
    }
    l->down = false;
    return DFU_OK;
}

int dfu_link_reconnect_wait(dfu_link_t *l, int total_ms)
{
    uint64_t deadline = dfu_link_deadline(total_ms);
    for (;;) {
        int rc = dfu_link_reconnect(l);
        if (rc == DFU_OK || (rc != DFU_ERR_NOTCONN && rc != DFU_ERR_TIMEOUT)) {
            return rc;
        }
        if (dfu_link_now_us() + 50000u >= deadline) {
            return rc;
        }
        sleep_until_us(dfu_link_now_us() + 50000u);
    }
}

int dfu_link_set_model(dfu_link_t *l, const dfu_linkmodel_t *m)
{
    if (l == NULL || m == NULL || dfu_linkmodel_validate(m) != DFU_OK) {
        return DFU_ERR_INVAL;
    }
    l->model = *m;
    l->clock_us = 0;
    l->clock_tx_us = 0;
    l->done_us = 0;
    l->peer_queued = false;
    return DFU_OK;
}

void dfu_link_set_faults(dfu_link_t *l, const dfu_link_faults_t *f)
{
    if (l == NULL) {
        return;
    }
    if (f == NULL) {
        memset(&l->faults, 0, sizeof(l->faults));
    } else {
        l->faults = *f;
    }
    l->rng = l->faults.seed ? l->faults.seed : 1u;
    /* Counters restart so "N-th message" counts from now on. */
    l->stats.tx_msgs = l->stats.rx_msgs = 0;
    l->stats.tx_dropped = l->stats.rx_dropped = 0;
}

static int faults_kv(dfu_link_faults_t *f, const char *k, unsigned long v)
{
    if (strcmp(k, "drop_after") == 0) {
        f->drop_link_after = (uint32_t)v;
    } else if (strcmp(k, "drop_tx") == 0) {
        f->drop_tx_nth = (uint32_t)v;
    } else if (strcmp(k, "garble_tx") == 0) {
        f->garble_tx_nth = (uint32_t)v;
    } else if (strcmp(k, "drop_rx") == 0) {
        f->drop_rx_nth = (uint32_t)v;
    } else if (strcmp(k, "garble_rx") == 0) {
        f->garble_rx_nth = (uint32_t)v;
    } else if (strcmp(k, "loss") == 0 && v <= 1000) {
        f->loss_permille = (uint16_t)v;
    } else if (strcmp(k, "seed") == 0) {
        f->seed = (uint32_t)v;
    } else {
        return DFU_ERR_INVAL;
    }
    return DFU_OK;
}

int dfu_link_faults_parse(dfu_link_faults_t *f, const char *spec)
{
    char buf[256];
    if (f == NULL) {
        return DFU_ERR_INVAL;
    }
    memset(f, 0, sizeof(*f));
    if (spec == NULL || spec[0] == '\0' || strcmp(spec, "none") == 0) {
        return DFU_OK;
    }
    if (strlen(spec) >= sizeof(buf)) {
        return DFU_ERR_INVAL;
    }
    strcpy(buf, spec);
    dfu_link_faults_t t;
    memset(&t, 0, sizeof(t));
    char *save = NULL;
    for (char *tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
        char *eq = strchr(tok, '='), *end = NULL;
        if (eq == NULL || eq[1] < '0' || eq[1] > '9') {
            return DFU_ERR_INVAL;
        }
        *eq = '\0';
        errno = 0;
        unsigned long v = strtoul(eq + 1, &end, 10);
        if (errno != 0 || *end != '\0' || v > UINT32_MAX || faults_kv(&t, tok, v) != DFU_OK) {
            return DFU_ERR_INVAL;
        }
    }
    *f = t;
    return DFU_OK;
}
