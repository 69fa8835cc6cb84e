/* Small POSIX I/O helpers shared by the link implementations. */
#include <errno.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "dfukit/dfu_err.h"
#include "link_priv.h"

int dfu_link_poll_in(int fd, int timeout_ms)
{
    struct pollfd p = {.fd = fd, .events = POLLIN};
    for (;;) {
        int rc = poll(&p, 1, timeout_ms);
        if (rc < 0 && errno == EINTR) {
            continue;
        }
        if (rc < 0) {
            return DFU_ERR_IO;
        }
        return rc > 0 ? 1 : 0;
    }
}

/* Writes through write() or, for sockets, send(MSG_NOSIGNAL). */
static int out_all(int fd, const uint8_t *p, size_t len, bool sock)
{
    while (len > 0) {
        ssize_t n = sock ? send(fd, p, len, MSG_NOSIGNAL) : write(fd, p, len);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            /* Nobody drains the other end (e.g. no client on a pty): give up after 2 s. */
            struct pollfd pf = {.fd = fd, .events = POLLOUT};
            if (poll(&pf, 1, 2000) == 0) {
                return DFU_ERR_TIMEOUT;
            }
            continue;
        }
        if (n < 0) {
            return (errno == EPIPE || errno == ECONNRESET || errno == EIO) ? DFU_ERR_NOTCONN
                                                                           : DFU_ERR_IO;
        }
        p += n;
        len -= (size_t)n;
    }
    return DFU_OK;
}

int dfu_link_write_all(int fd, const uint8_t *p, size_t len)
{
    return out_all(fd, p, len, false);
}

int dfu_link_send_all(int fd, const uint8_t *p, size_t len)
{
    return out_all(fd, p, len, true);
}

uint64_t dfu_link_deadline(int timeout_ms)
{
    return dfu_link_now_us() + (timeout_ms > 0 ? (uint64_t)timeout_ms * 1000u : 0u);
}

int dfu_link_ms_left(uint64_t deadline_us, int timeout_ms)
{
    if (timeout_ms < 0) {
        return -1;
    }
    uint64_t now = dfu_link_now_us();
    return now >= deadline_us ? 0 : (int)((deadline_us - now + 999u) / 1000u);
}
