/*
 * Host transports ("links") for SMP messages: one abstraction used by both the dfukit client and
 * the simulated device, so both ends run the same code paths.
 *
 * A link carries whole SMP messages (8-byte header + CBOR payload). Framing (UDP datagrams,
 * console base64 lines, BLE fragmentation) is the link's business. All links are single-threaded
 * and poll()-based. Host only: uses the OS and the heap; device code must not include this.
 *
 * Lifetime: the caller owns the dfu_link_t (zero it or not; open functions initialise it).
 * An open function either succeeds and the link must later be closed with dfu_link_close(), or
 * fails and leaves nothing to release. dfu_link_close() is idempotent.
 *
 * Timing model: dfu_link_set_model() makes the link as slow as a modelled BLE or serial link
 * (see dfu_host_linkmodel.h). The model delays both directions as seen by this end: each send()
 * is delivered only after the modelled downlink time, each received message is handed to the
 * caller only after the modelled uplink time, on one link timeline (so transfers queue; a
 * message the peer already had waiting continues back to back, see docs/LINKS.md §3).
 * Enable it on ONE end only (normally the simulated device): a third-party client then sees the
 * modelled speed. Off by default. On a BLE link the model uses the negotiated ATT MTU (not the
 * model's mtu), and counts the 4-byte MIC once the link is encrypted (security >= 2).
 *
 * Fault hooks (dfu_link_faults_t): for tests and the simulator; off by default.
 */
#ifndef DFUKIT_DFU_LINK_H
#define DFUKIT_DFU_LINK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dfukit/dfu_host_linkmodel.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct dfu_link dfu_link_t;

typedef enum dfu_link_kind {
    DFU_LINK_NONE = 0,
    DFU_LINK_UDP = 1,      /* one SMP message per datagram */
    DFU_LINK_SERIAL = 2,   /* SMP console framing over a tty / pty */
    DFU_LINK_BLE = 3,      /* modelled BLE link over a Unix socket (docs/LINKS.md) */
    DFU_LINK_LOOPBACK = 4, /* in-process pair, for tests */
    DFU_LINK_BLUEZ = 5,    /* real BLE through BlueZ over D-Bus (dfu_host_bluez.h) */
    DFU_LINK_TCP = 6,      /* SMP console framing over a TCP byte stream (client end) */
} dfu_link_kind_t;

/* Operations of one link implementation. Called only through the dfu_link_* wrappers. */
typedef struct dfu_link_ops {
    /* Sends one whole message (len <= link->mtu, checked by the wrapper). */
    int (*send)(dfu_link_t *l, const uint8_t *msg, size_t len);
    /* Waits up to timeout_ms (<0 forever, 0 poll) for one whole message; returns its length. */
    int (*recv)(dfu_link_t *l, uint8_t *buf, size_t cap, int timeout_ms);
    /* Drops the connection (fault injection / reset); see dfu_link_drop(). May be NULL. */
    void (*drop)(dfu_link_t *l, uint8_t reason);
    /* Re-establishes a dropped client connection. May be NULL (then: just clears the flag). */
    int (*reconnect)(dfu_link_t *l);
    /* True if received data is already waiting (buffered or readable), without consuming it.
     * May be NULL: then the fd is polled. Used by the timing model. */
    bool (*pending)(const dfu_link_t *l);
    /* Pollable descriptor signalled when recv() may make progress, or -1. */
    int (*fd)(const dfu_link_t *l);
    /* Releases everything. */
    void (*close)(dfu_link_t *l);
} dfu_link_ops_t;

/* Fault injection. All counters are 1-based message numbers on this end; 0 disables. */
typedef struct dfu_link_faults {
    uint32_t drop_link_after; /* after this many messages (sent + received) the link drops */
    uint32_t drop_tx_nth;     /* the N-th sent message is silently lost */
    uint32_t garble_tx_nth;   /* the N-th sent message has one byte inverted (middle byte) */
    uint32_t drop_rx_nth;     /* the N-th received message is silently discarded */
    uint32_t garble_rx_nth;   /* the N-th received message has one byte inverted */
    uint16_t loss_permille;   /* random loss of sent messages, 0..1000 */
    uint32_t seed;            /* seed of the loss generator (0 = 1) */
} dfu_link_faults_t;

/* Counters kept by the wrappers. */
typedef struct dfu_link_stats {
    uint64_t tx_bytes, rx_bytes;
    uint32_t tx_msgs, rx_msgs;
    uint32_t tx_dropped, rx_dropped; /* by fault injection */
    uint64_t modelled_delay_us;      /* total time the timing model waited */
    uint64_t model_rx_start_us;      /* timing model: when the last received message's transfer
                                      * started on the modelled link (CLOCK_MONOTONIC us) */
    uint64_t model_done_us;          /* timing model: when the last transfer (either way) was
                                      * delivered on the modelled link */
} dfu_link_stats_t;

struct dfu_link {
    const dfu_link_ops_t *ops;
    void *ctx; /* implementation state (heap) */
    dfu_link_kind_t kind;
    bool server;      /* device end */
    bool down;        /* dropped: send/recv return DFU_ERR_NOTCONN until reconnect */
    size_t mtu;       /* largest SMP message one send() carries */
    uint8_t security; /* BLE security level 1..4; 0 for links without the notion */
    uint16_t att_mtu; /* BLE: negotiated ATT MTU; 0 otherwise */
    dfu_linkmodel_t model;
    dfu_link_faults_t faults;
    dfu_link_stats_t stats;
    dfu_linkmodel_clock_t mclock; /* timing model: the link's timeline */
    uint64_t done_us;             /* timing model: when the last modelled transfer was delivered */
    uint64_t reply_ready_us;      /* timing model, device end: delivery of the request the next
                                   * send answers (0 = none since the last send) */
    bool pending;                 /* timing model: more data was already waiting to be received
                                   * when the last modelled transfer completed */
    uint32_t rng;                 /* loss generator state */
};

/* Default UDP port (Zephyr CONFIG_MCUMGR_TRANSPORT_UDP_PORT). */
#define DFU_LINK_UDP_PORT 1337
/* Default largest SMP message per UDP datagram (Zephyr's UDP MTU option default). */
#define DFU_LINK_UDP_MTU 1500
/* Largest UDP payload over IPv4. */
#define DFU_LINK_UDP_MTU_MAX 65507
/* Default largest SMP message on a serial link (the console frame length field allows more). */
#define DFU_LINK_SERIAL_MTU 4096

/* ---- generic calls ------------------------------------------------------------------------ */

/*
 * Sends one SMP message. Returns DFU_OK, DFU_ERR_MSGSIZE if len > link mtu (nothing sent),
 * DFU_ERR_NOTCONN if the link is down, DFU_ERR_IO on an OS error, or an implementation error
 * (BLE: DFU_ERR_NOTCONN when the peer went away).
 */
int dfu_link_send(dfu_link_t *l, const uint8_t *msg, size_t len);

/*
 * Receives one SMP message into buf (cap bytes). timeout_ms < 0 waits forever, 0 polls.
 * Returns the message length (>0), DFU_ERR_TIMEOUT, DFU_ERR_MSGSIZE (a message larger than cap or
 * the link mtu arrived and was discarded), DFU_ERR_NOTCONN (link dropped / peer disconnected),
 * DFU_ERR_ACCESS (BLE client: the device answered the write with an ATT error; see
 * dfu_host_ble.h), or DFU_ERR_IO.
 */
int dfu_link_recv(dfu_link_t *l, uint8_t *buf, size_t cap, int timeout_ms);

/* Closes the link and releases its resources. Safe on a zeroed or already closed link. */
void dfu_link_close(dfu_link_t *l);

/* Largest SMP message per send (0 if not open). */
size_t dfu_link_mtu(const dfu_link_t *l);

/* Current link security level (BLE 1..4), 0 for transports without one. */
int dfu_link_security(const dfu_link_t *l);

/* Pollable fd (or -1) for callers multiplexing several sources. */
int dfu_link_fd(const dfu_link_t *l);

/*
 * Drops the link now, as the fault hook does: a BLE server disconnects its peer (reason = HCI
 * reason code, e.g. 0x08 supervision timeout) and keeps listening; a client link (and the
 * connectionless UDP/serial servers) is marked down until dfu_link_reconnect().
 */
void dfu_link_drop(dfu_link_t *l, uint8_t reason);

/* Re-establishes a dropped link (BLE client: new connection, bond reused). Returns DFU_OK,
 * DFU_ERR_NOTCONN if the peer is not reachable, or another error. */
int dfu_link_reconnect(dfu_link_t *l);

/*
 * Calls dfu_link_reconnect() until it succeeds or total_ms pass (a device that is resetting, or
 * busy swapping images, may not answer at once), pausing 50 ms between attempts. Only
 * DFU_ERR_NOTCONN and DFU_ERR_TIMEOUT are retried; any other error (e.g. DFU_ERR_PAIRING) is
 * returned at once. Returns DFU_OK or the last error.
 */
int dfu_link_reconnect_wait(dfu_link_t *l, int total_ms);

/* Sets the timing model (kind OFF disables). Returns DFU_ERR_INVAL for an invalid model. */
int dfu_link_set_model(dfu_link_t *l, const dfu_linkmodel_t *m);

/* Sets the fault configuration (counters restart from the next message). */
void dfu_link_set_faults(dfu_link_t *l, const dfu_link_faults_t *f);

/*
 * Parses "drop_after=N,drop_tx=N,garble_tx=N,drop_rx=N,garble_rx=N,loss=PERMILLE,seed=N" (any
 * subset; "" or "none" = no faults). Returns DFU_OK or DFU_ERR_INVAL.
 */
int dfu_link_faults_parse(dfu_link_faults_t *f, const char *spec);

/* Monotonic clock in microseconds (CLOCK_MONOTONIC), shared by all links of all processes on
 * the host so BLE connection-event anchors line up on both ends. */
uint64_t dfu_link_now_us(void);

/* ---- UDP ---------------------------------------------------------------------------------- */

/*
 * Splits "HOST[:PORT]" as command lines write UDP addresses: HOST is an IPv4 address, a name, or
 * an IPv6 address in brackets ("[::1]:1337", "[fe80::1%eth0]"); an IPv6 address without
 * brackets ("::1") is taken whole, without a port; "" and ":PORT" leave HOST empty. The host
 * (brackets removed) goes to host[cap]; *port = the port (0..65535) or -1 when none is given.
 * Returns DFU_OK or DFU_ERR_INVAL (bad port, unclosed bracket, host too long).
 */
int dfu_link_split_host_port(const char *spec, char *host, size_t cap, int *port);

/* Writes "HOST:PORT" ("[HOST]:PORT" for an IPv6 address) into buf. */
void dfu_link_join_host_port(const char *host, unsigned port, char *buf, size_t cap);

/*
 * Device end: binds host:port (host NULL or "" = 0.0.0.0; an IPv6 address such as "::1" or "::"
 * binds IPv6; a name binds its first address; port 0 = any free port, see dfu_link_udp_port();
 * pass DFU_LINK_UDP_PORT for the standard port). Several clients may talk to it at once, as to
 * Zephyr's UDP transport: send() answers the request being handled, i.e. goes to the source
 * address of the datagram recv() returned last (a device handles one request at a time: recv,
 * then its responses). send() before any datagram arrived returns DFU_ERR_NOTCONN. mtu 0 =
 * DFU_LINK_UDP_MTU (max DFU_LINK_UDP_MTU_MAX).
 * Returns DFU_OK, DFU_ERR_INVAL (bad address/mtu), DFU_ERR_NODEV (host name does not resolve),
 * DFU_ERR_BUSY (port in use) or DFU_ERR_IO.
 */
int dfu_link_udp_server_open(dfu_link_t *l, const char *host, uint16_t port, size_t mtu);

/* Bound local port of a UDP server (the chosen one when opened with port 0) or the peer port of a
 * client; 0 if not a UDP link. */
uint16_t dfu_link_udp_port(const dfu_link_t *l);

/* Address ("a.b.c.d:port", "[v6]:port") that the next send() of a UDP link goes to: on the device
 * end the source of the request being answered. Returns the length, DFU_ERR_NOTCONN (device end
 * before any datagram), DFU_ERR_NOMEM (cap too small) or DFU_ERR_INVAL (not a UDP link). */
int dfu_link_udp_peer(const dfu_link_t *l, char *buf, size_t cap);

/* Client end: sends to host:port (IPv4 or IPv6 address, or a name: its first address; port 0 =
 * DFU_LINK_UDP_PORT) and accepts datagrams only from that address. mtu as for the server. When
 * nothing listens there (ICMP port unreachable), send/recv return DFU_ERR_REFUSED. Open returns
 * DFU_ERR_NODEV when the host name does not resolve. */
int dfu_link_udp_client_open(dfu_link_t *l, const char *host, uint16_t port, size_t mtu);

/* ---- serial ------------------------------------------------------------------------------- */

/*
 * Device end: creates a pseudo-terminal (posix_openpt), puts it in raw mode, and creates a
 * symlink at `link_path` to the pty's slave device (an existing symlink there is replaced; any
 * other existing file is refused with DFU_ERR_EXIST). A serial client such as
 * `mcumgr --conntype serial --connstring dev=<link_path>` or dfu_link_serial_client_open() can
 * attach. Messages use SMP console framing. mtu 0 = DFU_LINK_SERIAL_MTU. The symlink is removed
 * by dfu_link_close().
 */
int dfu_link_pty_server_open(dfu_link_t *l, const char *link_path, size_t mtu);

/* Path of the pty slave device of a pty server (e.g. "/dev/pts/5"), or NULL. */
const char *dfu_link_pty_name(const dfu_link_t *l);

/*
 * Client end: opens a tty (or the pty symlink), sets raw mode 8N1 and `baud` (0 = 115200; must be
 * a standard termios rate). Returns DFU_OK, DFU_ERR_NODEV (cannot open), DFU_ERR_INVAL (baud),
 * or DFU_ERR_IO.
 */
int dfu_link_serial_client_open(dfu_link_t *l, const char *tty_path, uint32_t baud, size_t mtu);

/* ---- TCP ---------------------------------------------------------------------------------- */

/*
 * Client end: connects to host:port (name or address, IPv4/IPv6; 3 s connect timeout) with
 * TCP_NODELAY and carries messages with SMP console framing over the byte stream, as a UART on a
 * TCP socket does (QEMU `-chardev socket,server=on -serial chardev:ID`, serial-to-TCP bridges).
 * mtu 0 = DFU_LINK_SERIAL_MTU. Returns DFU_OK, DFU_ERR_INVAL, DFU_ERR_NODEV (host name does not
 * resolve), DFU_ERR_NOTCONN (refused, unreachable, timed out) or DFU_ERR_IO. recv() reports
 * DFU_ERR_NOTCONN once the peer closed the connection (e.g. the emulator exited).
 */
int dfu_link_tcp_client_open(dfu_link_t *l, const char *host, uint16_t port, size_t mtu);

/* ---- loopback (tests) ------------------------------------------------------------------- */

/*
 * Opens an in-process link pair: what one end sends, the other receives, in order (up to 256
 * queued messages per direction, then DFU_ERR_BUSY). mtu 0 = DFU_LINK_SERIAL_MTU. Both start at
 * security 1; tests may set link->security directly to emulate a paired link. Closing one end
 * makes the other's send() return DFU_ERR_NOTCONN; memory is freed when both are closed.
 * Single-threaded: recv() on an empty queue returns DFU_ERR_TIMEOUT at once (the timeout is not
 * slept), unless a pump is set.
 */
int dfu_link_loopback_open(dfu_link_t *device, dfu_link_t *client, size_t mtu);

/*
 * Sets a pump on one end: while that end's queue is empty, recv() calls pump(ctx) (for example
 * "let the simulated device process one request"), until a message is there or pump returns
 * <= 0 (then DFU_ERR_TIMEOUT). This lets a client and a device run in one thread.
 * Returns DFU_OK or DFU_ERR_INVAL (not a loopback link).
 */
int dfu_link_loopback_set_pump(dfu_link_t *l, int (*pump)(void *ctx), void *ctx);

/* ---- by spec string ---------------------------------------------------------------------- */

/*
 * Opens a link from a connection string, for command lines:
 *   "udp:[HOST][:PORT][,mtu=N]"       client: peer (default 127.0.0.1:1337); server: bind address
 *                                     (default 0.0.0.0:1337); HOST as dfu_link_split_host_port()
 *   "serial:PATH[,baud=N][,mtu=N]"    client: tty path; server: pty symlink path (baud ignored)
 *   "tcp:HOST:PORT[,mtu=N]"           client only (server: DFU_ERR_NOTSUP): console framing over
 *                                     TCP
 *   "ble-sim:PATH[,mtu=N][,name=S][,passkey=NNNNNN][,level=3|4][,perm=1..4][,sec=0..4][,bond=0|1]"
 *                                     BLE model socket. Server: name, passkey (6 digits: device
 *                                     displays it), level reached by passkey pairing, perm = level
 *                                     needed to enable notifications (cccd_level). Client:
 *                                     sec = level to reach at connect, passkey to enter, bond.
 *                                     Bonds are not persisted this way (use dfu_host_ble.h).
 *   "ble:TARGET[,passkey=NNNNNN][,adapter=hciN]"
 *                                     client only: real BLE through BlueZ (dfu_host_bluez.h);
 *                                     TARGET is an address or an advertised name.
 * server selects the device end. Returns DFU_OK, DFU_ERR_INVAL (bad string) or the open error.
 */
int dfu_link_open(dfu_link_t *l, const char *spec, bool server);

#ifdef __cplusplus
}
#endif
#endif
