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
 * One timeline per link end (dfu_linkmodel_schedule): a transfer goes on the link when it is
 * ready and the link is free, and the end sleeps until the modelled delivery. Whether a message
 * was "queued" (BLE: continues the open connection event; NET: its latency overlapped) is
 * observed, never guessed: right after each modelled transfer completes, the end looks whether
 * more data is already waiting to be received (dfu_link_ops_t.pending, without consuming it).
 * If so, the peer sent it without waiting for that transfer, so the next transfer (the reply,
 * or that message) follows back to back. A client that keeps a window of requests in flight
 * therefore streams; one that waits for each response cannot have sent its next request before
 * the response went out, so it pays the turnaround events. The check comes after the sleep and
 * before the reply is handed to the socket, so a loaded machine can only delay it, never fake
 * it. The rule is the same for every peer (dfukit's client or any other).
 * Ready times: a received message that was queued is ready when the link freed up; otherwise
 * when it was read. A device end's reply is ready when the request it answers was delivered:
 * the device's own processing is not part of the link model (flash timing is a separate,
 * slept model), so a slow host delays the wall clock but not the modelled timeline. Any other
 * send (a client's, a device's unsolicited one) is ready when it is made. */
static bool link_pending(const dfu_link_t *l)
{
    if (l->ops->pending != NULL) {
        return l->ops->pending(l);
    }
    int fd = l->ops->fd != NULL ? l->ops->fd(l) : -1;
    return fd >= 0 && dfu_link_poll_in(fd, 0) > 0;
}

static void model_delay(dfu_link_t *l, size_t n, bool tx)
{
    if (l->model.kind == DFU_LINKMODEL_OFF) {
        return;
    }
    uint64_t now = dfu_link_now_us();
    bool queued = l->pending;
    uint64_t ready = queued ? 0u : (tx && l->reply_ready_us != 0 ? l->reply_ready_us : now);
    dfu_linkmodel_t m = l->model;
    if (m.kind == DFU_LINKMODEL_BLE && l->security >= 2) {
        m.ble.encrypted = 1; /* an encrypted link adds a MIC to every data PDU */
    }
    uint64_t start = 0;
    uint64_t done =
        dfu_linkmodel_schedule(&m, &l->mclock, n, l->att_mtu, ready, queued, tx, &start);
    l->done_us = done;
    /* a device end's next send answers this message (cleared once sent) */
    l->reply_ready_us = !tx && l->server ? done : 0u;
    if (!tx) {
        l->stats.model_rx_start_us = start;
    }
    l->stats.model_done_us = done;
    if (done > now) {
        l->stats.modelled_delay_us += done - now;
        sleep_until_us(done);
    }
    l->pending = link_pending(l);
}

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
    model_delay(l, len, true);
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
        int n = l->ops->recv(l, buf, cap, dfu_link_ms_left(deadline, timeout_ms));
        if (n < 0) {
            if (n == DFU_ERR_TIMEOUT) {
                l->pending = false; /* nothing was waiting */
            }
            return n;
        }
        uint32_t nth = l->stats.rx_msgs + l->stats.rx_dropped + 1;
        model_delay(l, (size_t)n, false);
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
    memset(&l->mclock, 0, sizeof(l->mclock));
    l->done_us = 0;
    l->reply_ready_us = 0;
    l->pending = false;
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
