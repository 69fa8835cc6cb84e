/*
 * TCP link (client end): SMP console framing over a TCP byte stream, as a UART exposed on a TCP
 * socket carries it (QEMU `-chardev socket,...,server=on,nodelay=on -serial chardev:ID`, a
 * ser2net-style bridge). The framed-stream operations are the serial link's; this file only
 * connects. TCP_NODELAY: SMP requests are small and wait for their answers.
 */
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "dfukit/dfu_err.h"
#include "dfukit/dfu_framing.h"
#include "link_priv.h"

/* Waits up to timeout_ms for a non-blocking connect to finish. DFU_OK, DFU_ERR_NOTCONN
 * (refused / unreachable / timed out). */
static int connect_wait(int fd, int timeout_ms)
{
    struct pollfd p = {.fd = fd, .events = POLLOUT};
    int rc;
    do {
        rc = poll(&p, 1, timeout_ms);
    } while (rc < 0 && errno == EINTR);
    if (rc <= 0) {
        return DFU_ERR_NOTCONN;
    }
    int err = 0;
    socklen_t len = sizeof(err);
    if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0 || err != 0) {
        return DFU_ERR_NOTCONN;
    }
    return DFU_OK;
}

/* Connects to one resolved address. Returns the fd or a negative dfu_err. */
static int connect_one(const struct addrinfo *ai)
{
    int fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK, ai->ai_protocol);
    if (fd < 0) {
        return DFU_ERR_IO;
    }
    int rc = DFU_OK;
    if (connect(fd, ai->ai_addr, ai->ai_addrlen) != 0) {
        rc = errno == EINPROGRESS ? connect_wait(fd, 3000) : DFU_ERR_NOTCONN;
    }
    int one = 1;
    if (rc == DFU_OK && setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one)) != 0) {
        rc = DFU_ERR_IO;
    }
    if (rc != DFU_OK) {
        close(fd);
        return rc;
    }
    return fd;
}

int dfu_link_tcp_client_open(dfu_link_t *l, const char *host, uint16_t port, size_t mtu)
{
    if (l == NULL || host == NULL || host[0] == '\0' || port == 0 || mtu > DFU_SERIAL_MSG_MAX) {
        return DFU_ERR_INVAL;
    }
    memset(l, 0, sizeof(*l));
    char service[8];
    snprintf(service, sizeof(service), "%u", (unsigned)port);
    struct addrinfo hints, *res = NULL;
    memset(&hints, 0, sizeof(hints));
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    if (getaddrinfo(host, service, &hints, &res) != 0 || res == NULL) {
        return DFU_ERR_NODEV;
    }
    int fd = DFU_ERR_NOTCONN;
    for (const struct addrinfo *ai = res; ai != NULL && fd < 0; ai = ai->ai_next) {
        fd = connect_one(ai);
    }
    freeaddrinfo(res);
    if (fd < 0) {
        return fd;
    }
    return dfu_link_stream_attach(l, fd, mtu, DFU_LINK_TCP, true);
}
