/*
 * Serial link: SMP console framing (dfu_framing.h) over a byte stream. The device end creates a
 * pseudo-terminal and publishes its slave side through a symlink; the client end opens any tty.
 * The same framed-stream operations carry TCP connections (link_tcp.c, dfu_link_stream_attach).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <termios.h>
#include <unistd.h>

#include "dfukit/dfu_err.h"
#include "dfukit/dfu_framing.h"
#include "link_priv.h"

typedef struct serial_ctx {
    int fd;       /* pty master (server), tty (client) or connected socket */
    bool sock;    /* fd is a socket: send with MSG_NOSIGNAL (a closed peer is an error, not
                   * SIGPIPE) */
    int slave_fd; /* server: kept open so the master never reads EIO between clients */
    char *symlink_path;
    char pty_name[64];
    dfu_serial_decoder_t dec;
    uint8_t *decbuf;
    uint8_t *txbuf;
    size_t txcap;
    uint8_t chunk[512]; /* bytes read but not yet fed to the decoder */
    size_t chunk_len, chunk_pos;
} serial_ctx_t;

static int serial_send(dfu_link_t *l, const uint8_t *msg, size_t len)
{
    serial_ctx_t *c = l->ctx;
    int n = dfu_serial_encode(msg, len, c->txbuf, c->txcap);
    if (n < 0) {
        return n;
    }
    return c->sock ? dfu_link_send_all(c->fd, c->txbuf, (size_t)n)
                   : dfu_link_write_all(c->fd, c->txbuf, (size_t)n);
}

/* Feeds buffered bytes; returns a message length, or 0 when the chunk is used up. */
static int serial_feed_chunk(serial_ctx_t *c, uint8_t *buf, size_t cap)
{
    while (c->chunk_pos < c->chunk_len) {
        const uint8_t *msg = NULL;
        int rc = dfu_serial_feed(&c->dec, c->chunk[c->chunk_pos++], &msg);
        if (rc > 0) {
            if ((size_t)rc > cap) {
                return DFU_ERR_MSGSIZE;
            }
            memcpy(buf, msg, (size_t)rc);
            return rc;
        }
        /* rc < 0: a bad frame was dropped (counted in dec.stats); the decoder resynchronised. */
    }
    return 0;
}

static int serial_recv(dfu_link_t *l, uint8_t *buf, size_t cap, int timeout_ms)
{
    serial_ctx_t *c = l->ctx;
    uint64_t deadline = dfu_link_deadline(timeout_ms);
    for (;;) {
        int rc = serial_feed_chunk(c, buf, cap);
        if (rc != 0) {
            return rc;
        }
        rc = dfu_link_poll_in(c->fd, dfu_link_ms_left(deadline, timeout_ms));
        if (rc < 0) {
            return rc;
        }
        if (rc == 0) {
            return DFU_ERR_TIMEOUT;
        }
        ssize_t n = read(c->fd, c->chunk, sizeof(c->chunk));
        if (n < 0 && (errno == EINTR || errno == EAGAIN)) {
            continue;
        }
        if (n <= 0) {
            return (n == 0 || errno == EIO || errno == ECONNRESET) ? DFU_ERR_NOTCONN : DFU_ERR_IO;
        }
        c->chunk_len = (size_t)n;
        c->chunk_pos = 0;
    }
}

static bool serial_pending(const dfu_link_t *l)
{
    const serial_ctx_t *c = l->ctx;
    return c->chunk_pos < c->chunk_len || dfu_link_poll_in(c->fd, 0) > 0;
}

static int serial_fd(const dfu_link_t *l)
{
    return ((const serial_ctx_t *)l->ctx)->fd;
}

static void serial_free(serial_ctx_t *c)
{
    if (c == NULL) {
        return;
    }
    if (c->fd >= 0) {
        close(c->fd);
    }
    if (c->slave_fd >= 0) {
        close(c->slave_fd);
    }
    if (c->symlink_path != NULL) {
        unlink(c->symlink_path);
        free(c->symlink_path);
    }
    free(c->decbuf);
    free(c->txbuf);
    free(c);
}

static void serial_close(dfu_link_t *l)
{
    serial_free(l->ctx);
}

static const dfu_link_ops_t serial_ops = {
    .send = serial_send,
    .recv = serial_recv,
    .pending = serial_pending,
    .fd = serial_fd,
    .close = serial_close,
};

/* Allocates the context with framing buffers for messages up to mtu bytes. */
static serial_ctx_t *serial_alloc(size_t mtu)
{
    serial_ctx_t *c = calloc(1, sizeof(*c));
    if (c == NULL) {
        return NULL;
    }
    c->fd = c->slave_fd = -1;
    c->txcap = dfu_serial_encoded_size(mtu);
    c->txbuf = malloc(c->txcap);
    c->decbuf = malloc(mtu + 4u);
    if (c->txbuf == NULL || c->decbuf == NULL ||
        dfu_serial_decoder_init(&c->dec, c->decbuf, mtu + 4u, 0) != 0) {
        serial_free(c);
        return NULL;
    }
    return c;
}

static void serial_attach(dfu_link_t *l, serial_ctx_t *c, size_t mtu, bool server)
{
    l->ops = &serial_ops;
    l->ctx = c;
    l->kind = DFU_LINK_SERIAL;
    l->server = server;
    l->mtu = mtu;
}

int dfu_link_stream_attach(dfu_link_t *l, int fd, size_t mtu, dfu_link_kind_t kind, bool sock)
{
    size_t m = mtu ? mtu : DFU_LINK_SERIAL_MTU;
    serial_ctx_t *c = m <= DFU_SERIAL_MSG_MAX ? serial_alloc(m) : NULL;
    if (c == NULL) {
        close(fd);
        return m <= DFU_SERIAL_MSG_MAX ? DFU_ERR_NOMEM : DFU_ERR_INVAL;
    }
    c->fd = fd;
    c->sock = sock;
    serial_attach(l, c, m, false);
    l->kind = kind;
    return DFU_OK;
}

/* Raw 8N1, no flow control, no echo; reads return what is there. */
static int set_raw(int fd, speed_t speed)
{
    struct termios t;
    if (tcgetattr(fd, &t) != 0) {
        return DFU_ERR_IO;
    }
    cfmakeraw(&t);
    t.c_cflag |= CLOCAL | CREAD;
    t.c_cflag &= ~(tcflag_t)(CSTOPB | PARENB | CRTSCTS);
    t.c_cc[VMIN] = 1;
    t.c_cc[VTIME] = 0;
    if (speed != 0 && (cfsetispeed(&t, speed) != 0 || cfsetospeed(&t, speed) != 0)) {
        return DFU_ERR_INVAL;
    }
    return tcsetattr(fd, TCSANOW, &t) == 0 ? DFU_OK : DFU_ERR_IO;
}

/* ---- device end: pty ------------------------------------------------------------------------- */

static int publish_symlink(const char *target, const char *path)
{
    struct stat st;
    if (lstat(path, &st) == 0) {
        if (!S_ISLNK(st.st_mode)) {
            return DFU_ERR_EXIST;
        }
        unlink(path);
    }
    return symlink(target, path) == 0 ? DFU_OK : DFU_ERR_IO;
}

static int pty_setup(serial_ctx_t *c, const char *link_path)
{
    c->fd = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
    if (c->fd < 0 || grantpt(c->fd) != 0 || unlockpt(c->fd) != 0 ||
        ptsname_r(c->fd, c->pty_name, sizeof(c->pty_name)) != 0) {
        return DFU_ERR_IO;
    }
    c->slave_fd = open(c->pty_name, O_RDWR | O_NOCTTY | O_CLOEXEC);
    if (c->slave_fd < 0) {
        return DFU_ERR_IO;
    }
    int rc = set_raw(c->slave_fd, B115200);
    if (rc != DFU_OK) {
        return rc;
    }
    (void)fcntl(c->fd, F_SETFL, fcntl(c->fd, F_GETFL) | O_NONBLOCK);
    rc = publish_symlink(c->pty_name, link_path);
    if (rc != DFU_OK) {
        return rc;
    }
    c->symlink_path = strdup(link_path);
    return c->symlink_path ? DFU_OK : DFU_ERR_NOMEM;
}

int dfu_link_pty_server_open(dfu_link_t *l, const char *link_path, size_t mtu)
{
    if (l == NULL || link_path == NULL || link_path[0] == '\0' || mtu > DFU_SERIAL_MSG_MAX) {
        return DFU_ERR_INVAL;
    }
    memset(l, 0, sizeof(*l));
    size_t m = mtu ? mtu : DFU_LINK_SERIAL_MTU;
    serial_ctx_t *c = serial_alloc(m);
    if (c == NULL) {
        return DFU_ERR_NOMEM;
    }
    int rc = pty_setup(c, link_path);
    if (rc != DFU_OK) {
        serial_free(c);
        return rc;
    }
    serial_attach(l, c, m, true);
    return DFU_OK;
}

const char *dfu_link_pty_name(const dfu_link_t *l)
{
    if (l == NULL || l->ops != &serial_ops || !l->server) {
        return NULL;
    }
    return ((const serial_ctx_t *)l->ctx)->pty_name;
}

/* ---- client end: tty ------------------------------------------------------------------ */

static speed_t baud_to_speed(uint32_t baud)
{
    static const struct {
        uint32_t baud;
        speed_t speed;
    } table[] = {
        {9600, B9600},       {19200, B19200},   {38400, B38400},
        {57600, B57600},     {115200, B115200}, {230400, B230400},
#ifdef B460800
        {460800, B460800},
#endif
#ifdef B921600
        {921600, B921600},
#endif
#ifdef B1000000
        {1000000, B1000000},
#endif
#ifdef B2000000
        {2000000, B2000000},
#endif
    };
    for (size_t i = 0; i < sizeof(table) / sizeof(table[0]); i++) {
        if (table[i].baud == baud) {
            return table[i].speed;
        }
    }
    return 0;
}

int dfu_link_serial_client_open(dfu_link_t *l, const char *tty_path, uint32_t baud, size_t mtu)
{
    speed_t speed = baud_to_speed(baud ? baud : 115200u);
    if (l == NULL || tty_path == NULL || speed == 0 || mtu > DFU_SERIAL_MSG_MAX) {
        return DFU_ERR_INVAL;
    }
    memset(l, 0, sizeof(*l));
    size_t m = mtu ? mtu : DFU_LINK_SERIAL_MTU;
    serial_ctx_t *c = serial_alloc(m);
    if (c == NULL) {
        return DFU_ERR_NOMEM;
    }
    c->fd = open(tty_path, O_RDWR | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
    if (c->fd < 0) {
        serial_free(c);
        return DFU_ERR_NODEV;
    }
    int rc = set_raw(c->fd, speed);
    if (rc != DFU_OK) {
        serial_free(c);
        return rc == DFU_ERR_IO ? DFU_ERR_NODEV : rc; /* not a tty */
    }
    (void)tcflush(c->fd, TCIOFLUSH); /* drop what an earlier session left unread */
    serial_attach(l, c, m, false);
    return DFU_OK;
}
