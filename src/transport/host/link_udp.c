/* UDP link: one SMP message per datagram (Zephyr CONFIG_MCUMGR_TRANSPORT_UDP, IPv4). */
#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "dfukit/dfu_err.h"
#include "link_priv.h"

typedef struct udp_ctx {
    int fd;
    struct sockaddr_in peer; /* server: source of the request being answered (the datagram
                              * recv() returned last); client: the server */
    bool have_peer;
    uint16_t port;  /* server: bound port; client: peer port */
    uint8_t *rxbuf; /* mtu + 1 bytes: one more than allowed detects oversize datagrams */
} udp_ctx_t;

static int udp_send(dfu_link_t *l, const uint8_t *msg, size_t len)
{
    udp_ctx_t *c = l->ctx;
    if (!c->have_peer) {
        return DFU_ERR_NOTCONN;
    }
    ssize_t n;
    do {
        n = sendto(c->fd, msg, len, 0, (const struct sockaddr *)&c->peer, sizeof(c->peer));
    } while (n < 0 && errno == EINTR);
    if (n < 0) {
        return errno == ECONNREFUSED ? DFU_ERR_NOTCONN
                                     : (errno == EMSGSIZE ? DFU_ERR_MSGSIZE : DFU_ERR_IO);
    }
    return (size_t)n == len ? DFU_OK : DFU_ERR_IO;
}

static int udp_recv(dfu_link_t *l, uint8_t *buf, size_t cap, int timeout_ms)
{
    udp_ctx_t *c = l->ctx;
    uint64_t deadline = dfu_link_deadline(timeout_ms);
    for (;;) {
        int pr = dfu_link_poll_in(c->fd, dfu_link_ms_left(deadline, timeout_ms));
        if (pr < 0) {
            return pr;
        }
        if (pr == 0) {
            return DFU_ERR_TIMEOUT;
        }
        struct sockaddr_in from;
        memset(&from, 0, sizeof(from));
        socklen_t flen = sizeof(from);
        ssize_t n = recvfrom(c->fd, c->rxbuf, l->mtu + 1, 0, (struct sockaddr *)&from, &flen);
        if (n < 0 && (errno == EINTR || errno == EAGAIN)) {
            continue;
        }
        if (n < 0) {
            return errno == ECONNREFUSED ? DFU_ERR_NOTCONN : DFU_ERR_IO;
        }
        if (!l->server && (from.sin_addr.s_addr != c->peer.sin_addr.s_addr ||
                           from.sin_port != c->peer.sin_port)) {
            continue; /* not from our server */
        }
        if ((size_t)n > l->mtu || (size_t)n > cap) {
            return DFU_ERR_MSGSIZE; /* datagram consumed and discarded */
        }
        if (l->server) {
            c->peer = from;
            c->have_peer = true;
        }
        memcpy(buf, c->rxbuf, (size_t)n);
        return (int)n;
    }
}

static int udp_fd(const dfu_link_t *l)
{
    return ((const udp_ctx_t *)l->ctx)->fd;
}

static void udp_close(dfu_link_t *l)
{
    udp_ctx_t *c = l->ctx;
    if (c != NULL) {
        close(c->fd);
        free(c->rxbuf);
        free(c);
    }
}

static const dfu_link_ops_t udp_ops = {
    .send = udp_send,
    .recv = udp_recv,
    .fd = udp_fd,
    .close = udp_close,
};

static int resolve_v4(const char *host, uint16_t port, struct sockaddr_in *out)
{
    memset(out, 0, sizeof(*out));
    out->sin_family = AF_INET;
    out->sin_port = htons(port);
    if (host == NULL || host[0] == '\0') {
        out->sin_addr.s_addr = htonl(INADDR_ANY);
        return DFU_OK;
    }
    if (inet_pton(AF_INET, host, &out->sin_addr) == 1) {
        return DFU_OK;
    }
    struct addrinfo hints, *res = NULL;
    memset(&hints, 0, sizeof(hints));
    hints.ai_family = AF_INET;
    hints.ai_socktype = SOCK_DGRAM;
    if (getaddrinfo(host, NULL, &hints, &res) != 0 || res == NULL) {
        return DFU_ERR_INVAL;
    }
    out->sin_addr = ((struct sockaddr_in *)res->ai_addr)->sin_addr;
    freeaddrinfo(res);
    return DFU_OK;
}

static int udp_open(dfu_link_t *l, const char *host, uint16_t port, size_t mtu, bool server)
{
    if (l == NULL || mtu > DFU_LINK_UDP_MTU_MAX) {
        return DFU_ERR_INVAL;
    }
    memset(l, 0, sizeof(*l));
    udp_ctx_t *c = calloc(1, sizeof(*c));
    size_t m = mtu ? mtu : DFU_LINK_UDP_MTU;
    if (c == NULL || (c->rxbuf = malloc(m + 1)) == NULL) {
        free(c);
        return DFU_ERR_NOMEM;
    }
    int rc = resolve_v4(host, port, &c->peer);
    c->fd = rc == DFU_OK ? socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0) : -1;
    if (rc == DFU_OK && c->fd < 0) {
        rc = DFU_ERR_IO;
    }
    if (rc == DFU_OK && server && bind(c->fd, (struct sockaddr *)&c->peer, sizeof(c->peer)) != 0) {
        rc = errno == EADDRINUSE ? DFU_ERR_BUSY : DFU_ERR_IO;
    }
    if (rc != DFU_OK) {
        if (c->fd >= 0) {
            close(c->fd);
        }
        free(c->rxbuf);
        free(c);
        return rc;
    }
    c->port = port;
    if (server) {
        struct sockaddr_in me;
        memset(&me, 0, sizeof(me));
        socklen_t len = sizeof(me);
        if (getsockname(c->fd, (struct sockaddr *)&me, &len) == 0) {
            c->port = ntohs(me.sin_port);
        }
        memset(&c->peer, 0, sizeof(c->peer));
    } else {
        /* connect() makes the kernel report ICMP port-unreachable as ECONNREFUSED. */
        (void)connect(c->fd, (struct sockaddr *)&c->peer, sizeof(c->peer));
        c->have_peer = true;
    }
    l->ops = &udp_ops;
    l->ctx = c;
    l->kind = DFU_LINK_UDP;
    l->server = server;
    l->mtu = m;
    return DFU_OK;
}

int dfu_link_udp_server_open(dfu_link_t *l, const char *host, uint16_t port, size_t mtu)
{
    return udp_open(l, host, port, mtu, true);
}

int dfu_link_udp_peer(const dfu_link_t *l, char *buf, size_t cap)
{
    if (l == NULL || l->ops != &udp_ops || buf == NULL || cap == 0) {
        return DFU_ERR_INVAL;
    }
    const udp_ctx_t *c = l->ctx;
    char ip[INET_ADDRSTRLEN];
    if (!c->have_peer || inet_ntop(AF_INET, &c->peer.sin_addr, ip, sizeof(ip)) == NULL) {
        return DFU_ERR_NOTCONN;
    }
    int n = snprintf(buf, cap, "%s:%u", ip, (unsigned)ntohs(c->peer.sin_port));
    return n < 0 || (size_t)n >= cap ? DFU_ERR_NOMEM : n;
}

int dfu_link_udp_client_open(dfu_link_t *l, const char *host, uint16_t port, size_t mtu)
{
    return udp_open(l, host, port ? port : DFU_LINK_UDP_PORT, mtu, false);
}

uint16_t dfu_link_udp_port(const dfu_link_t *l)
{
    if (l == NULL || l->ops != &udp_ops) {
        return 0;
    }
    return ((const udp_ctx_t *)l->ctx)->port;
}
