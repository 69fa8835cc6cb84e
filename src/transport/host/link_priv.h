/* Internals shared by the host link implementations. */
#ifndef DFU_LINK_PRIV_H
#define DFU_LINK_PRIV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dfukit/dfu_link.h"

/* Waits until fd is readable. Returns 1 readable, 0 timeout (timeout_ms < 0: forever),
 * DFU_ERR_IO on a poll error. POLLHUP/POLLERR count as readable (the read reports them). */
int dfu_link_poll_in(int fd, int timeout_ms);

/* Writes all len bytes to a blocking or non-blocking fd (waits with poll on EAGAIN).
 * Returns DFU_OK, DFU_ERR_NOTCONN (EPIPE/ECONNRESET/EIO), DFU_ERR_TIMEOUT (no progress for 2 s)
 * or DFU_ERR_IO. */
int dfu_link_write_all(int fd, const uint8_t *p, size_t len);

/* As dfu_link_write_all() for a socket: send() with MSG_NOSIGNAL, so a peer that went away is
 * DFU_ERR_NOTCONN instead of a SIGPIPE. */
int dfu_link_send_all(int fd, const uint8_t *p, size_t len);

/* Makes `l` a client link carrying SMP console framing over the byte stream `fd` (a tty or a
 * connected socket, `sock`), of kind `kind`, messages up to mtu bytes (0 = DFU_LINK_SERIAL_MTU).
 * Takes ownership of fd (closed on failure too). DFU_OK, DFU_ERR_NOMEM or DFU_ERR_INVAL. */
int dfu_link_stream_attach(dfu_link_t *l, int fd, size_t mtu, dfu_link_kind_t kind, bool sock);

/* Time left until deadline_us in ms for poll(), given the caller's original timeout (<0 = -1). */
int dfu_link_ms_left(uint64_t deadline_us, int timeout_ms);

/* Deadline for a timeout in ms (ignored when timeout_ms < 0). */
uint64_t dfu_link_deadline(int timeout_ms);

#endif
