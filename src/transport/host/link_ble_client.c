/* Modelled BLE link, client (central) end. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "ble_wire.h"
#include "dfukit/dfu_err.h"
#include "dfukit/dfu_framing.h"
#include "dfukit/dfu_host_ble.h"
#include "link_priv.h"

#define CLIENT_MAX_MSG (65535u + 8u)
#define CLIENT_TIMEOUT_MS 2000

typedef struct ble_cli {
    dfu_ble_client_cfg_t cfg;
    char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
    char name[DFU_BLE_NAME_MAX + 1];
    int fd;
    dfu_ble_bond_t bond;
    uint8_t last_att;
    uint8_t last_pair_err; /* Security Manager reason of the last failed pairing, 0 = none */
    ble_rx_t rx;
    dfu_reasm_t re;
    uint8_t *pending; /* a message completed while waiting for a setup answer */
    size_t pending_len;
    ble_pkt_t pkt;
} ble_cli_t;

static const dfu_link_ops_t ble_cli_ops;

static void cli_disconnected(dfu_link_t *l)
{
    ble_cli_t *c = l->ctx;
    if (c->fd >= 0) {
        close(c->fd);
    }
    c->fd = -1;
    c->rx.have = 0;
    c->pending_len = 0;
    dfu_reasm_reset(&c->re);
    l->down = true;
    l->security = 1;
    l->att_mtu = DFU_BLE_ATT_MTU_MIN;
}

/* Handles a packet that is not the awaited setup answer. Returns > 0 when an SMP message
 * completed (in c->re.buf), 0 otherwise, DFU_ERR_ACCESS for an ATT error, DFU_ERR_NOTCONN when
 * the device disconnected. */
static int cli_async(dfu_link_t *l, const ble_pkt_t *p)
{
    ble_cli_t *c = l->ctx;
    switch (p->type) {
    case BLE_PKT_NOTIFY: {
        int rc = dfu_reasm_feed(&c->re, p->payload, p->len);
        return rc > 0 ? rc : 0; /* a malformed notification stream is dropped, like a stack */
    }
    case BLE_PKT_ATT_ERR:
        c->last_att = p->len == 4 ? p->payload[3] : 0xFF;
        return DFU_ERR_ACCESS;
    case BLE_PKT_DISC:
        cli_disconnected(l);
        return DFU_ERR_NOTCONN;
    default:
        return 0;
    }
}

/* Waits for a packet of `type`, keeping notifications that arrive meanwhile. */
static int cli_await(dfu_link_t *l, uint8_t type, ble_pkt_t *out)
{
    ble_cli_t *c = l->ctx;
    int tmo = c->cfg.timeout_ms;
    uint64_t deadline = dfu_link_deadline(tmo);
    for (;;) {
        int rc = ble_rx_wait(&c->rx, c->fd, deadline, tmo, out);
        if (rc == DFU_ERR_NOTCONN || rc == DFU_ERR_PROTO) {
            cli_disconnected(l);
            return DFU_ERR_NOTCONN;
        }
        if (rc < 0) {
            return rc;
        }
        if (out->type == type) {
            return DFU_OK;
        }
        if (out->type == BLE_PKT_ATT_ERR && type == BLE_PKT_WRITE_RSP && out->len == 4 &&
            out->payload[0] == BLE_ATT_OP_WRITE_REQ) {
            return DFU_ERR_ACCESS; /* our CCCD write was refused; code in payload[3] */
        }
        rc = cli_async(l, out);
        if (rc == DFU_ERR_NOTCONN) {
            return rc;
        }
        if (rc > 0 && c->pending_len == 0) {
            memcpy(c->pending, c->re.buf, (size_t)rc);
            c->pending_len = (size_t)rc;
        }
    }
}

/* ---- security -------------------------------------------------------------------------------- */

static int cli_encrypt(dfu_link_t *l)
{
    ble_cli_t *c = l->ctx;
    int rc = ble_pkt_send(c->fd, BLE_PKT_ENC_REQ, c->bond.ltk, 16);
    if (rc == DFU_OK) {
        rc = cli_await(l, BLE_PKT_ENC_RSP, &c->pkt);
    }
    if (rc != DFU_OK) {
        return rc;
    }
    if (c->pkt.len != 2 || c->pkt.payload[0] != 0) {
        return DFU_ERR_PAIRING; /* the device forgot us: the bond is useless */
    }
    l->security = c->pkt.payload[1];
    return l->security;
}

int dfu_link_ble_pair(dfu_link_t *l, bool has_passkey, uint32_t passkey, bool bond)
{
    if (l == NULL || l->ops != &ble_cli_ops || (has_passkey && passkey > 999999u)) {
        return DFU_ERR_INVAL;
    }
    if (l->down) {
        return DFU_ERR_NOTCONN;
    }
    ble_cli_t *c = l->ctx;
    uint8_t req[6] = {has_passkey ? BLE_PAIR_METHOD_PASSKEY : BLE_PAIR_METHOD_JUST_WORKS,
                      (uint8_t)(passkey >> 24),
                      (uint8_t)(passkey >> 16),
                      (uint8_t)(passkey >> 8),
                      (uint8_t)passkey,
                      bond ? 1u : 0u};
    int rc = ble_pkt_send(c->fd, BLE_PKT_PAIR_REQ, req, sizeof(req));
    if (rc == DFU_OK) {
        rc = cli_await(l, BLE_PKT_PAIR_RSP, &c->pkt);
    }
    if (rc != DFU_OK) {
        if (rc == DFU_ERR_NOTCONN) {
            cli_disconnected(l);
        }
        return rc;
    }
    const uint8_t *p = c->pkt.payload;
    if (c->pkt.len != 19 || p[0] != 0 || p[1] < 2 || p[1] > 4) {
        c->last_pair_err = c->pkt.len >= 1 && p[0] != 0 ? p[0] : DFU_BLE_PAIR_ERR_NOTSUP;
        return DFU_ERR_PAIRING;
    }
    c->last_pair_err = 0;
    l->security = p[1];
    if (p[2]) {
        memset(c->bond.peer, 0, sizeof(c->bond.peer));
        memcpy(c->bond.ltk, p + 3, 16);
        c->bond.level = p[1];
    }
    return l->security;
}

/* Brings the link to cfg.security: bond first, then pairing. */
static int cli_secure(dfu_link_t *l)
{
    ble_cli_t *c = l->ctx;
    uint8_t want = c->cfg.security;
    if (c->bond.level != 0) {
        int rc = cli_encrypt(l);
        if (rc == DFU_ERR_PAIRING) {
            memset(&c->bond, 0, sizeof(c->bond));
        } else if (rc < 0) {
            return rc;
        }
    }
    if (want >= 2 && l->security < want) {
        int rc = dfu_link_ble_pair(l, c->cfg.has_passkey && want >= 3, c->cfg.passkey, c->cfg.bond);
        if (rc < 0) {
            return rc;
        }
    }
    return l->security >= want ? DFU_OK : DFU_ERR_PAIRING;
}

/* ---- notifications ------------------------------------------------------------------------- */

static int cli_subscribe_once(dfu_link_t *l)
{
    ble_cli_t *c = l->ctx;
    static const uint8_t on[2] = {0x00, 0x01};
    int rc = ble_pkt_send(c->fd, BLE_PKT_SUBSCRIBE, on, sizeof(on));
    if (rc == DFU_OK) {
        rc = cli_await(l, BLE_PKT_WRITE_RSP, &c->pkt);
    }
    if (rc == DFU_ERR_ACCESS) {
        c->last_att = c->pkt.payload[3];
    }
    return rc;
}

/* Enables notifications. A refusal is answered the way phones do: 0x05 -> pair with the
 * passkey (if we have one), 0x0F -> encrypt with the bond (if we have one); then one retry. */
static int cli_subscribe(dfu_link_t *l)
{
    ble_cli_t *c = l->ctx;
    int rc = cli_subscribe_once(l);
    if (rc != DFU_ERR_ACCESS) {
        return rc;
    }
    if (c->last_att == DFU_BLE_ATT_ERR_INSUFF_ENC && c->bond.level != 0) {
        rc = cli_encrypt(l);
    } else if (c->last_att == DFU_BLE_ATT_ERR_INSUFF_AUTHEN && c->cfg.has_passkey) {
        rc = dfu_link_ble_pair(l, true, c->cfg.passkey, c->cfg.bond);
    } else {
        return DFU_ERR_ACCESS;
    }
    if (rc < 0) {
        return rc;
    }
    return cli_subscribe_once(l);
}

/* ---- connect ------------------------------------------------------------------------------ */

static int cli_connect(dfu_link_t *l)
{
    ble_cli_t *c = l->ctx;
    struct sockaddr_un a;
    memset(&a, 0, sizeof(a));
    a.sun_family = AF_UNIX;
    strcpy(a.sun_path, c->path);
    c->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (c->fd < 0) {
        return DFU_ERR_IO;
    }
    l->down = false;
    if (connect(c->fd, (struct sockaddr *)&a, sizeof(a)) != 0) {
        cli_disconnected(l);
        return DFU_ERR_NOTCONN;
    }
    int rc = cli_await(l, BLE_PKT_ADV, &c->pkt);
    if (rc != DFU_OK) {
        return rc;
    }
    size_t n = c->pkt.len > 1 ? c->pkt.len - 1u : 0u;
    n = n > DFU_BLE_NAME_MAX ? DFU_BLE_NAME_MAX : n;
    memcpy(c->name, c->pkt.payload + 1, n);
    c->name[n] = '\0';
    uint8_t mtu[2] = {(uint8_t)(c->cfg.mtu >> 8), (uint8_t)c->cfg.mtu};
    rc = ble_pkt_send(c->fd, BLE_PKT_CONNECT, c->cfg.addr, 6);
    if (rc == DFU_OK) {
        rc = ble_pkt_send(c->fd, BLE_PKT_MTU_REQ, mtu, 2);
    }
    if (rc == DFU_OK) {
        rc = cli_await(l, BLE_PKT_MTU_RSP, &c->pkt);
    }
    if (rc != DFU_OK) {
        return rc;
    }
    uint16_t theirs = c->pkt.len == 2 ? (uint16_t)((c->pkt.payload[0] << 8) | c->pkt.payload[1])
                                      : DFU_BLE_ATT_MTU_MIN;
    uint16_t m = theirs < c->cfg.mtu ? theirs : c->cfg.mtu;
    l->att_mtu = m < DFU_BLE_ATT_MTU_MIN ? DFU_BLE_ATT_MTU_MIN : m;
    rc = cli_secure(l);
    return rc == DFU_OK ? cli_subscribe(l) : rc;
}

static int cli_reconnect(dfu_link_t *l)
{
    ble_cli_t *c = l->ctx;
    if (c->fd >= 0) {
        cli_disconnected(l);
    }
    int rc = cli_connect(l);
    if (rc != DFU_OK) {
        cli_disconnected(l);
    }
    return rc;
}

/* ---- ops ------------------------------------------------------------------------------------ */

static int cli_send(dfu_link_t *l, const uint8_t *msg, size_t len)
{
    ble_cli_t *c = l->ctx;
    size_t frag = (size_t)l->att_mtu - 3u, off = 0;
    do {
        size_t n = len - off < frag ? len - off : frag;
        int rc = ble_pkt_send(c->fd, BLE_PKT_WRITE, msg + off, n);
        if (rc != DFU_OK) {
            cli_disconnected(l);
            return rc;
        }
        off += n;
    } while (off < len);
    return DFU_OK;
}

static int cli_deliver(const uint8_t *msg, size_t n, uint8_t *buf, size_t cap)
{
    if (n > cap) {
        return DFU_ERR_MSGSIZE;
    }
    memcpy(buf, msg, n);
    return (int)n;
}

static int cli_recv(dfu_link_t *l, uint8_t *buf, size_t cap, int timeout_ms)
{
    ble_cli_t *c = l->ctx;
    if (c->pending_len > 0) {
        size_t n = c->pending_len;
        c->pending_len = 0;
        return cli_deliver(c->pending, n, buf, cap);
    }
    uint64_t deadline = dfu_link_deadline(timeout_ms);
    for (;;) {
        int rc = ble_rx_wait(&c->rx, c->fd, deadline, timeout_ms, &c->pkt);
        if (rc == DFU_ERR_NOTCONN || rc == DFU_ERR_PROTO) {
            cli_disconnected(l);
            return DFU_ERR_NOTCONN;
        }
        if (rc < 0) {
            return rc;
        }
        rc = cli_async(l, &c->pkt);
        if (rc > 0) {
            return cli_deliver(c->re.buf, (size_t)rc, buf, cap);
        }
        if (rc < 0) {
            return rc;
        }
    }
}

static void cli_drop(dfu_link_t *l, uint8_t reason)
{
    ble_cli_t *c = l->ctx;
    if (c->fd >= 0) {
        (void)ble_pkt_send(c->fd, BLE_PKT_DISC, &reason, 1);
    }
    cli_disconnected(l);
}

static bool cli_pending(const dfu_link_t *l)
{
    const ble_cli_t *c = l->ctx;
    return c->pending_len > 0 || c->rx.have > 0 || (c->fd >= 0 && dfu_link_poll_in(c->fd, 0) > 0);
}

static int cli_fd(const dfu_link_t *l)
{
    return ((const ble_cli_t *)l->ctx)->fd;
}

static void cli_close(dfu_link_t *l)
{
    ble_cli_t *c = l->ctx;
    if (c == NULL) {
        return;
    }
    cli_drop(l, DFU_BLE_REASON_REMOTE_USER);
    free(c->re.buf);
    free(c->pending);
    free(c);
}

static const dfu_link_ops_t ble_cli_ops = {
    .send = cli_send,
    .recv = cli_recv,
    .drop = cli_drop,
    .reconnect = cli_reconnect,
    .pending = cli_pending,
    .fd = cli_fd,
    .close = cli_close,
};

/* ---- public ---------------------------------------------------------------------------------- */

static int cli_check_cfg(const dfu_ble_client_cfg_t *k, const char *path)
{
    if (path == NULL || path[0] == '\0' ||
        strlen(path) >= sizeof(((struct sockaddr_un *)0)->sun_path)) {
        return DFU_ERR_INVAL;
    }
    if (k->mtu != 0 && (k->mtu < DFU_BLE_ATT_MTU_MIN || k->mtu > DFU_BLE_ATT_MTU_MAX)) {
        return DFU_ERR_INVAL;
    }
    if (k->security > 4 || (k->has_passkey && k->passkey > 999999u) ||
        (k->max_msg != 0 && k->max_msg < 8) || k->known_bond.level > 4) {
        return DFU_ERR_INVAL;
    }
    return DFU_OK;
}

int dfu_link_ble_client_open(dfu_link_t *l, const char *path, const dfu_ble_client_cfg_t *cfg)
{
    static const uint8_t default_addr[6] = {0xC0, 0xDF, 0x00, 0x00, 0x00, 0x01};
    static const uint8_t zero_addr[6] = {0};
    dfu_ble_client_cfg_t zero;
    memset(&zero, 0, sizeof(zero));
    const dfu_ble_client_cfg_t *k = cfg ? cfg : &zero;
    if (l == NULL || cli_check_cfg(k, path) != DFU_OK) {
        return DFU_ERR_INVAL;
    }
    memset(l, 0, sizeof(*l));
    ble_cli_t *c = calloc(1, sizeof(*c));
    if (c == NULL) {
        return DFU_ERR_NOMEM;
    }
    c->cfg = *k;
    c->cfg.mtu = k->mtu ? k->mtu : DFU_BLE_ATT_MTU_DEFAULT;
    c->cfg.timeout_ms = k->timeout_ms > 0 ? k->timeout_ms : CLIENT_TIMEOUT_MS;
    if (memcmp(k->addr, zero_addr, 6) == 0) {
        memcpy(c->cfg.addr, default_addr, 6);
    }
    c->bond = k->known_bond;
    size_t cap = k->max_msg ? k->max_msg : CLIENT_MAX_MSG;
    uint8_t *rbuf = malloc(cap);
    if (rbuf != NULL) {
        (void)dfu_reasm_init(&c->re, rbuf, cap);
    }
    c->pending = malloc(cap);
    strcpy(c->path, path);
    c->fd = -1;
    l->ops = &ble_cli_ops;
    l->ctx = c;
    l->kind = DFU_LINK_BLE;
    l->mtu = cap;
    l->security = 1;
    l->att_mtu = DFU_BLE_ATT_MTU_MIN;
    int rc = (rbuf && c->pending) ? cli_connect(l) : DFU_ERR_NOMEM;
    if (rc != DFU_OK) {
        dfu_link_close(l);
    }
    return rc;
}

const char *dfu_link_ble_peer_name(const dfu_link_t *l)
{
    if (l == NULL || l->ops != &ble_cli_ops) {
        return "";
    }
    return ((const ble_cli_t *)l->ctx)->name;
}

int dfu_link_ble_get_bond(const dfu_link_t *l, dfu_ble_bond_t *out)
{
    if (l == NULL || l->ops != &ble_cli_ops || out == NULL) {
        return DFU_ERR_INVAL;
    }
    *out = ((const ble_cli_t *)l->ctx)->bond;
    return out->level != 0 ? DFU_OK : DFU_ERR_NOT_FOUND;
}

uint8_t dfu_link_ble_last_att_error(const dfu_link_t *l)
{
    if (l == NULL || l->ops != &ble_cli_ops) {
        return 0;
    }
    return ((const ble_cli_t *)l->ctx)->last_att;
}

uint8_t dfu_link_ble_last_pair_error(const dfu_link_t *l)
{
    if (l == NULL || l->ops != &ble_cli_ops || l->ctx == NULL) {
        return 0;
    }
    return ((const ble_cli_t *)l->ctx)->last_pair_err;
}
