/* UDP link: one SMP message per datagram (Zephyr CONFIG_MCUMGR_TRANSPORT_UDP, IPv4 and IPv6),
 * and the HOST[:PORT] syntax command lines use for it. */
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
    struct sockaddr_storage peer; /* server: source of the request being
                                   * answered (the datagram recv() returned
                                   * last); client: the server */
    socklen_t peer_len;
    bool have_peer;
    uint16_t port;  /* server: bound port; client: peer port */
    uint8_t *rxbuf; /* mtu + 1 bytes: one more than allowed detects oversize datagrams */
} udp_ctx_t;

static bool same_addr(const struct sockaddr_storage *a, const struct sockaddr_storage *b)
{
    if (a->ss_family != b->ss_family) {
        return false;
    }
    if (a->ss_family == AF_INET6) {
        const struct sockaddr_in6 *x = (const struct sockaddr_in6 *)a;
        const struct sockaddr_in6 *y = (const struct sockaddr_in6 *)b;
        return x->sin6_port == y->sin6_port &&
               memcmp(&x->sin6_addr, &y->sin6_addr, sizeof(x->sin6_addr)) == 0;
    }
    const struct sockaddr_in *x = (const struct sockaddr_in *)a;
    const struct sockaddr_in *y = (const struct sockaddr_in *)b;
    return x->sin_port == y->sin_port && x->sin_addr.s_addr == y->sin_addr.s_addr;
}

static int udp_send(dfu_link_t *l, const uint8_t *msg, size_t len)
{
    udp_ctx_t *c = l->ctx;
    if (!c->have_peer) {
        return DFU_ERR_NOTCONN;
    }
    ssize_t n;
    do {
        n = sendto(c->fd, msg, len, 0, (const struct sockaddr *)&c->peer, c->peer_len);
    } while (n < 0 && errno == EINTR);
    if (n < 0) {
        return errno == ECONNREFUSED ? DFU_ERR_REFUSED
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
        struct sockaddr_storage from;
        memset(&from, 0, sizeof(from));
        socklen_t flen = sizeof(from);
        ssize_t n = recvfrom(c->fd, c->rxbuf, l->mtu + 1, 0, (struct sockaddr *)&from, &flen);
        if (n < 0 && (errno == EINTR || errno == EAGAIN)) {
            continue;
        }
        if (n < 0) {
            return errno == ECONNREFUSED ? DFU_ERR_REFUSED : DFU_ERR_IO;
        }
        if (!l->server && !same_addr(&from, &c->peer)) {
            continue; /* not from our server */
        }
        if ((size_t)n > l->mtu || (size_t)n > cap) {
            return DFU_ERR_MSGSIZE; /* datagram consumed and discarded */
        }
        if (l->server) {
            c->peer = from;
            c->peer_len = flen;
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

/* host:port -> socket address: IPv4/IPv6 literals, or a name (its first address). A name that
 * does not resolve: DFU_ERR_NODEV (as the TCP link). */
static int resolve(const char *host, uint16_t port, bool server, struct sockaddr_storage *out,
                   socklen_t *len)
{
    memset(out, 0, sizeof(*out));
    if (host == NULL || host[0] == '\0') {
        host = "0.0.0.0";
    }
    struct addrinfo hints, *res = NULL;
    memset(&hints, 0, sizeof(hints));
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_DGRAM;
    hints.ai_flags = server ? AI_PASSIVE : 0;
    char serv[8];
    snprintf(serv, sizeof(serv), "%u", port);
    if (getaddrinfo(host, serv, &hints, &res) != 0 || res == NULL) {
        return DFU_ERR_NODEV;
    }
    if (res->ai_addrlen > sizeof(*out)) {
        freeaddrinfo(res);
        return DFU_ERR_INVAL;
    }
    memcpy(out, res->ai_addr, res->ai_addrlen);
    *len = res->ai_addrlen;
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
    int rc = resolve(host, port, server, &c->peer, &c->peer_len);
    c->fd = rc == DFU_OK ? socket(c->peer.ss_family, SOCK_DGRAM | SOCK_CLOEXEC, 0) : -1;
    if (rc == DFU_OK && c->fd < 0) {
        rc = DFU_ERR_IO;
    }
    if (rc == DFU_OK && server && bind(c->fd, (struct sockaddr *)&c->peer, c->peer_len) != 0) {
        rc = errno == EADDRINUSE ? DFU_ERR_BUSY
                                 : (errno == EADDRNOTAVAIL ? DFU_ERR_INVAL : DFU_ERR_IO);
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
        struct sockaddr_storage me;
        memset(&me, 0, sizeof(me));
        socklen_t len = sizeof(me);
        if (getsockname(c->fd, (struct sockaddr *)&me, &len) == 0) {
            c->port = ntohs(me.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&me)->sin6_port
                                                     : ((struct sockaddr_in *)&me)->sin_port);
        }
        memset(&c->peer, 0, sizeof(c->peer));
    } else {
        /* connect() makes the kernel report ICMP port-unreachable as ECONNREFUSED. */
        (void)connect(c->fd, (struct sockaddr *)&c->peer, c->peer_len);
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
    char ip[NI_MAXHOST];
    char port[NI_MAXSERV];
    if (!c->have_peer || getnameinfo((const struct sockaddr *)&c->peer, c->peer_len, ip, sizeof(ip),
                                     port, sizeof(port), NI_NUMERICHOST | NI_NUMERICSERV) != 0) {
        return DFU_ERR_NOTCONN;
    }
    char tmp[NI_MAXHOST + NI_MAXSERV + 4];
    dfu_link_join_host_port(ip, (unsigned)strtoul(port, NULL, 10), tmp, sizeof(tmp));
    size_t n = strlen(tmp);
    if (n >= cap) {
        return DFU_ERR_NOMEM;
    }
    memcpy(buf, tmp, n + 1);
    return (int)n;
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

int dfu_link_split_host_port(const char *spec, char *host, size_t cap, int *port)
{
    const char *h = spec, *p = NULL;
    size_t hl = 0;
    *port = -1;
    if (spec == NULL || cap == 0) {
        return DFU_ERR_INVAL;
    }
    if (spec[0] == '[') {
        const char *close = strchr(spec, ']');
        if (close == NULL || (close[1] != '\0' && close[1] != ':')) {
            return DFU_ERR_INVAL;
        }
        h = spec + 1;
        hl = (size_t)(close - h);
        p = close[1] == ':' ? close + 2 : NULL;
    } else {
        const char *colon = strchr(spec, ':');
        bool v6 = colon != NULL && strchr(colon + 1, ':') != NULL; /* "::1": no port */
        hl = (colon != NULL && !v6) ? (size_t)(colon - spec) : strlen(spec);
        p = (colon != NULL && !v6) ? colon + 1 : NULL;
    }
    if (hl >= cap) {
        return DFU_ERR_INVAL;
    }
    if (p != NULL) {
        char *end = NULL;
        unsigned long v = strtoul(p, &end, 10);
        if (p[0] < '0' || p[0] > '9' || *end != '\0' || v > 65535) {
            return DFU_ERR_INVAL;
        }
        *port = (int)v;
    }
    memcpy(host, h, hl);
    host[hl] = '\0';
    return DFU_OK;
}

void dfu_link_join_host_port(const char *host, unsigned port, char *buf, size_t cap)
{
    bool v6 = strchr(host, ':') != NULL;
    snprintf(buf, cap, "%s%s%s:%u", v6 ? "[" : "", host, v6 ? "]" : "", port);
}
