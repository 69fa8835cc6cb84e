/* Modelled BLE link, device (peripheral) end: one central at a time over a Unix socket. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "ble_wire.h"
#include "dfukit/dfu_err.h"
#include "dfukit/dfu_framing.h"
#include "dfukit/dfu_host_ble.h"
#include "link_priv.h"

typedef struct ble_srv {
    dfu_ble_server_cfg_t cfg;
    char name[DFU_BLE_NAME_MAX + 1];
    char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
    int lfd, cfd;
    uint8_t peer[6];
    bool subscribed;      /* the central enabled notifications (CCCD = 0x0001) */
    uint32_t key_counter; /* mixes into generated keys */
    ble_rx_t rx;
    dfu_reasm_t re;
    ble_pkt_t pkt;
} ble_srv_t;

static const dfu_link_ops_t ble_srv_ops;

/* ---- connection lifecycle ------------------------------------------------------------------ */

static void srv_reset_conn(dfu_link_t *l)
{
    ble_srv_t *s = l->ctx;
    if (s->cfd >= 0) {
        close(s->cfd);
    }
    s->cfd = -1;
    s->rx.have = 0;
    dfu_reasm_reset(&s->re);
    memset(s->peer, 0, sizeof(s->peer));
    s->subscribed = false;
    l->security = 1;
    l->att_mtu = DFU_BLE_ATT_MTU_MIN;
}

/* Accepts a pending connection: becomes the central, or is refused when one is connected. */
static void srv_accept(dfu_link_t *l)
{
    ble_srv_t *s = l->ctx;
    int fd = accept(s->lfd, NULL, NULL);
    if (fd < 0) {
        return;
    }
    if (s->cfd >= 0) {
        uint8_t reason = 0x3E; /* connection failed to be established: we are not advertising */
        (void)ble_pkt_send(fd, BLE_PKT_DISC, &reason, 1);
        close(fd);
        return;
    }
    /* Non-blocking: a central that stops reading must not hang the device (sends time out). */
    (void)fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
    s->cfd = fd;
    uint8_t adv[1 + DFU_BLE_NAME_MAX];
    size_t n = strlen(s->name);
    adv[0] = s->cfg.has_passkey ? BLE_ADV_FLAG_PASSKEY : 0u;
    memcpy(adv + 1, s->name, n);
    if (ble_pkt_send(fd, BLE_PKT_ADV, adv, 1 + n) != DFU_OK) {
        srv_reset_conn(l);
    }
}

static void srv_drop(dfu_link_t *l, uint8_t reason)
{
    ble_srv_t *s = l->ctx;
    if (s->cfd >= 0) {
        (void)ble_pkt_send(s->cfd, BLE_PKT_DISC, &reason, 1);
    }
    srv_reset_conn(l);
}

/* ---- pairing and encryption ---------------------------------------------------------------- */

static void make_key(ble_srv_t *s, uint8_t ltk[16])
{
    int fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);
    ssize_t n = fd >= 0 ? read(fd, ltk, 16) : -1;
    if (fd >= 0) {
        close(fd);
    }
    if (n != 16) {
        uint64_t t = dfu_link_now_us() ^ ((uint64_t)++s->key_counter << 40);
        for (int i = 0; i < 16; i++) {
            t = t * 6364136223846793005ull + 1442695040888963407ull;
            ltk[i] = (uint8_t)(t >> 56);
        }
    }
}

static int srv_pair(dfu_link_t *l, const ble_pkt_t *p)
{
    ble_srv_t *s = l->ctx;
    uint8_t rsp[19] = {0};
    if (p->len != 6) {
        rsp[0] = DFU_BLE_PAIR_ERR_NOTSUP;
        rsp[1] = l->security;
        return ble_pkt_send(s->cfd, BLE_PKT_PAIR_RSP, rsp, sizeof(rsp));
    }
    uint8_t method = p->payload[0];
    uint32_t key = ((uint32_t)p->payload[1] << 24) | ((uint32_t)p->payload[2] << 16) |
                   ((uint32_t)p->payload[3] << 8) | p->payload[4];
    bool bond = p->payload[5] != 0;
    uint8_t level = 2; /* Just Works: encrypted, not authenticated */
    if (method == BLE_PAIR_METHOD_PASSKEY && s->cfg.has_passkey) {
        if (key != s->cfg.passkey) {
            rsp[0] = DFU_BLE_PAIR_ERR_CONFIRM;
            rsp[1] = l->security;
            return ble_pkt_send(s->cfd, BLE_PKT_PAIR_RSP, rsp, sizeof(rsp));
        }
        level = s->cfg.pair_level;
    }
    dfu_ble_bond_t b;
    memcpy(b.peer, s->peer, 6);
    make_key(s, b.ltk);
    b.level = level;
    bool bonded =
        bond && s->cfg.bonds.store != NULL && s->cfg.bonds.store(s->cfg.bonds.ctx, &b) == DFU_OK;
    l->security = level;
    rsp[0] = 0;
    rsp[1] = level;
    rsp[2] = bonded ? 1u : 0u;
    memcpy(rsp + 3, b.ltk, 16);
    return ble_pkt_send(s->cfd, BLE_PKT_PAIR_RSP, rsp, sizeof(rsp));
}

static int srv_encrypt(dfu_link_t *l, const ble_pkt_t *p)
{
    ble_srv_t *s = l->ctx;
    dfu_ble_bond_t b;
    uint8_t rsp[2] = {DFU_BLE_PAIR_ERR_KEY_MISSING, l->security};
    if (p->len == 16 && s->cfg.bonds.lookup != NULL &&
        s->cfg.bonds.lookup(s->cfg.bonds.ctx, s->peer, &b) == DFU_OK &&
        memcmp(b.ltk, p->payload, 16) == 0 && b.level >= 2 && b.level <= 4) {
        l->security = b.level;
        rsp[0] = 0;
        rsp[1] = b.level;
    }
    return ble_pkt_send(s->cfd, BLE_PKT_ENC_RSP, rsp, sizeof(rsp));
}

/* CCCD write: Zephyr's bt_gatt_check_perm() outcome for a link below the permission. */
static int srv_subscribe(dfu_link_t *l, const ble_pkt_t *p)
{
    ble_srv_t *s = l->ctx;
    dfu_ble_bond_t b;
    uint8_t need = s->cfg.cccd_level ? s->cfg.cccd_level : 1u;
    uint8_t err = 0;
    if (p->len != 2) {
        err = 0x0D; /* invalid attribute value length */
    } else if (l->security < need) {
        bool bonded = s->cfg.bonds.lookup != NULL &&
                      s->cfg.bonds.lookup(s->cfg.bonds.ctx, s->peer, &b) == DFU_OK;
        err = (l->security == 1 && bonded) ? DFU_BLE_ATT_ERR_INSUFF_ENC
                                           : DFU_BLE_ATT_ERR_INSUFF_AUTHEN;
    }
    if (err != 0) {
        uint8_t e[4] = {BLE_ATT_OP_WRITE_REQ, (uint8_t)(BLE_SMP_CCCD_HANDLE >> 8),
                        (uint8_t)BLE_SMP_CCCD_HANDLE, err};
        return ble_pkt_send(s->cfd, BLE_PKT_ATT_ERR, e, sizeof(e));
    }
    bool on = (p->payload[1] & 0x01u) != 0;
    if (!on) {
        dfu_reasm_reset(&s->re); /* Zephyr drops a partial message when notifications stop */
    }
    s->subscribed = on;
    return ble_pkt_send(s->cfd, BLE_PKT_WRITE_RSP, NULL, 0);
}

/* ---- packet handling ------------------------------------------------------------------------
 * Returns > 0: a complete SMP message sits in s->re.buf; 0: nothing for the caller; < 0: the
 * connection is gone (already cleaned up). */
static int srv_handle(dfu_link_t *l, const ble_pkt_t *p)
{
    ble_srv_t *s = l->ctx;
    int rc = DFU_OK;
    switch (p->type) {
    case BLE_PKT_CONNECT:
        if (p->len == 6) {
            memcpy(s->peer, p->payload, 6);
        }
        break;
    case BLE_PKT_MTU_REQ: {
        uint16_t want = p->len == 2 ? (uint16_t)((p->payload[0] << 8) | p->payload[1]) : 0;
        uint16_t mine = s->cfg.mtu;
        uint8_t rsp[2] = {(uint8_t)(mine >> 8), (uint8_t)mine};
        l->att_mtu = want < DFU_BLE_ATT_MTU_MIN ? DFU_BLE_ATT_MTU_MIN : (want < mine ? want : mine);
        rc = ble_pkt_send(s->cfd, BLE_PKT_MTU_RSP, rsp, 2);
        break;
    }
    case BLE_PKT_PAIR_REQ:
        rc = srv_pair(l, p);
        break;
    case BLE_PKT_ENC_REQ:
        rc = srv_encrypt(l, p);
        break;
    case BLE_PKT_SUBSCRIBE:
        rc = srv_subscribe(l, p);
        break;
    case BLE_PKT_WRITE:
        if (p->len > (size_t)l->att_mtu - 3u) {
            dfu_reasm_reset(&s->re); /* longer than the ATT MTU allows: dropped, as a stack does */
            break;
        }
        rc = dfu_reasm_feed(&s->re, p->payload, p->len);
        return rc > 0 ? rc : 0; /* malformed or oversized messages are dropped silently */
    case BLE_PKT_DISC:
        srv_reset_conn(l);
        return DFU_ERR_NOTCONN;
    default:
        break; /* unknown packets are ignored, like unknown ATT opcodes for commands */
    }
    if (rc < 0) {
        srv_reset_conn(l);
        return rc;
    }
    return 0;
}

static int srv_recv(dfu_link_t *l, uint8_t *buf, size_t cap, int timeout_ms)
{
    ble_srv_t *s = l->ctx;
    uint64_t deadline = dfu_link_deadline(timeout_ms);
    for (;;) {
        while (s->cfd >= 0) {
            int rc = ble_rx_pop(&s->rx, &s->pkt);
            if (rc < 0) {
                srv_drop(l, DFU_BLE_REASON_REMOTE_USER); /* unparseable stream */
            }
            if (rc <= 0) {
                break;
            }
            rc = srv_handle(l, &s->pkt);
            if (rc > 0) {
                if ((size_t)rc > cap) {
                    return DFU_ERR_MSGSIZE;
                }
                memcpy(buf, s->re.buf, (size_t)rc);
                return rc;
            }
        }
        struct pollfd pf[2] = {{.fd = s->lfd, .events = POLLIN}, {.fd = s->cfd, .events = POLLIN}};
        int n = poll(pf, s->cfd >= 0 ? 2u : 1u, dfu_link_ms_left(deadline, timeout_ms));
        if (n < 0 && errno != EINTR) {
            return DFU_ERR_IO;
        }
        if (n == 0) {
            return DFU_ERR_TIMEOUT;
        }
        /* The current central first: its disconnect may be what frees the device for the next
         * one waiting in the accept queue. */
        if (n > 0 && s->cfd >= 0 && pf[1].revents != 0) {
            if (ble_rx_fill(&s->rx, s->cfd) < 0) {
                srv_reset_conn(l); /* central went away */
            }
        } else if (n > 0 && (pf[0].revents & POLLIN)) {
            srv_accept(l);
        }
    }
}

static int srv_send(dfu_link_t *l, const uint8_t *msg, size_t len)
{
    ble_srv_t *s = l->ctx;
    size_t frag = (size_t)l->att_mtu - 3u;
    if (s->cfd < 0) {
        return DFU_ERR_NOTCONN;
    }
    if (!s->subscribed) {
        return DFU_OK; /* nobody listens: a real stack drops the notification too */
    }
    size_t off = 0;
    do {
        size_t n = len - off < frag ? len - off : frag;
        int rc = ble_pkt_send(s->cfd, BLE_PKT_NOTIFY, msg + off, n);
        if (rc != DFU_OK) {
            srv_reset_conn(l);
            return rc;
        }
        off += n;
    } while (off < len);
    return DFU_OK;
}

static bool srv_pending(const dfu_link_t *l)
{
    const ble_srv_t *s = l->ctx;
    return s->cfd >= 0 && (s->rx.have > 0 || dfu_link_poll_in(s->cfd, 0) > 0);
}

static int srv_fd(const dfu_link_t *l)
{
    const ble_srv_t *s = l->ctx;
    return s->cfd >= 0 ? s->cfd : s->lfd;
}

static void srv_close(dfu_link_t *l)
{
    ble_srv_t *s = l->ctx;
    if (s == NULL) {
        return;
    }
    srv_drop(l, DFU_BLE_REASON_REMOTE_USER);
    close(s->lfd);
    unlink(s->path);
    free(s->re.buf);
    free(s);
}

static const dfu_link_ops_t ble_srv_ops = {
    .send = srv_send,
    .recv = srv_recv,
    .drop = srv_drop,
    .pending = srv_pending,
    .fd = srv_fd,
    .close = srv_close,
};

/* ---- public -------------------------------------------------------------------------------- */

static int srv_check_cfg(const dfu_ble_server_cfg_t *c, const char *path)
{
    if (path == NULL || path[0] == '\0' ||
        strlen(path) >= sizeof(((struct sockaddr_un *)0)->sun_path)) {
        return DFU_ERR_INVAL;
    }
    if (c->name != NULL && strlen(c->name) > DFU_BLE_NAME_MAX) {
        return DFU_ERR_INVAL;
    }
    if (c->mtu != 0 && (c->mtu < DFU_BLE_ATT_MTU_MIN || c->mtu > DFU_BLE_ATT_MTU_MAX)) {
        return DFU_ERR_INVAL;
    }
    if ((c->has_passkey && c->passkey > 999999u) || c->cccd_level > 4 ||
        (c->pair_level != 0 && c->pair_level != 3 && c->pair_level != 4)) {
        return DFU_ERR_INVAL;
    }
    return (c->max_msg != 0 && c->max_msg < 8) ? DFU_ERR_INVAL : DFU_OK;
}

/* Binds the listening socket; a stale socket file (no server behind it) is replaced. */
static int srv_listen(const char *path, int *out)
{
    struct sockaddr_un a;
    memset(&a, 0, sizeof(a));
    a.sun_family = AF_UNIX;
    strcpy(a.sun_path, path);
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        return DFU_ERR_IO;
    }
    struct stat st;
    if (lstat(path, &st) == 0) {
        if (!S_ISSOCK(st.st_mode)) {
            close(fd);
            return DFU_ERR_EXIST;
        }
        if (connect(fd, (struct sockaddr *)&a, sizeof(a)) == 0) {
            close(fd);
            return DFU_ERR_BUSY;
        }
        unlink(path);
    }
    if (bind(fd, (struct sockaddr *)&a, sizeof(a)) != 0 || listen(fd, 4) != 0) {
        int rc = errno == EADDRINUSE ? DFU_ERR_BUSY : DFU_ERR_IO;
        close(fd);
        return rc;
    }
    *out = fd;
    return DFU_OK;
}

int dfu_link_ble_server_open(dfu_link_t *l, const char *path, const dfu_ble_server_cfg_t *cfg)
{
    dfu_ble_server_cfg_t zero;
    memset(&zero, 0, sizeof(zero));
    if (l == NULL) {
        return DFU_ERR_INVAL;
    }
    const dfu_ble_server_cfg_t *c = cfg ? cfg : &zero;
    int rc = srv_check_cfg(c, path);
    if (rc != DFU_OK) {
        return rc;
    }
    memset(l, 0, sizeof(*l));
    ble_srv_t *s = calloc(1, sizeof(*s));
    if (s == NULL) {
        return DFU_ERR_NOMEM;
    }
    s->cfg = *c;
    s->cfg.mtu = c->mtu ? c->mtu : DFU_BLE_ATT_MTU_DEFAULT;
    s->cfg.pair_level = c->pair_level ? c->pair_level : 4;
    size_t cap = c->max_msg ? c->max_msg : DFU_BLE_MSG_DEFAULT;
    uint8_t *rbuf = malloc(cap);
    if (rbuf != NULL) {
        (void)dfu_reasm_init(&s->re, rbuf, cap);
    }
    strcpy(s->name, c->name ? c->name : "dfukit");
    s->cfg.name = s->name;
    strcpy(s->path, path);
    s->cfd = -1;
    rc = rbuf ? srv_listen(path, &s->lfd) : DFU_ERR_NOMEM;
    if (rc != DFU_OK) {
        free(rbuf);
        free(s);
        return rc;
    }
    l->ops = &ble_srv_ops;
    l->ctx = s;
    l->kind = DFU_LINK_BLE;
    l->server = true;
    l->mtu = cap;
    l->security = 1;
    l->att_mtu = DFU_BLE_ATT_MTU_MIN;
    return DFU_OK;
}

int dfu_link_ble_att_error(dfu_link_t *l, uint8_t att_err)
{
    if (l == NULL || l->ops != &ble_srv_ops || att_err == 0) {
        return DFU_ERR_INVAL;
    }
    ble_srv_t *s = l->ctx;
    uint8_t p[4] = {BLE_ATT_OP_WRITE_CMD, (uint8_t)(BLE_SMP_CHR_HANDLE >> 8),
                    (uint8_t)BLE_SMP_CHR_HANDLE, att_err};
    if (s->cfd < 0) {
        return DFU_ERR_NOTCONN;
    }
    int rc = ble_pkt_send(s->cfd, BLE_PKT_ATT_ERR, p, sizeof(p));
    if (rc != DFU_OK) {
        srv_reset_conn(l);
    }
    return rc;
}

bool dfu_link_ble_connected(const dfu_link_t *l, uint8_t peer[6])
{
    if (l == NULL || l->ops != &ble_srv_ops) {
        return false;
    }
    const ble_srv_t *s = l->ctx;
    if (peer != NULL) {
        memcpy(peer, s->peer, 6);
    }
    return s->cfd >= 0;
}
