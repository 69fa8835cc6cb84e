/*
 * Link timing models (host only): how long an SMP message takes on a BLE or serial link.
 *
 * The model is pure arithmetic, shared by every host transport (UDP, pty serial, BLE model) so the
 * simulated device can make a link "as slow as" a real one, and by the bench, which divides the
 * measured goodput by dfu_linkmodel_ceiling_kBps(). Units: sizes in bytes, times in microseconds,
 * rates in kB/s with k = 1000.
 *
 * BLE arithmetic (see docs/LINKS.md for the derivation):
 *   - an SMP message of N bytes is cut into ATT values of at most (mtu - 3) bytes;
 *   - each ATT value travels as an L2CAP SDU of value + 3 (ATT opcode+handle) + 4 (L2CAP header)
 *     bytes, segmented into link-layer PDUs of at most `dle` payload bytes;
 *   - each LL PDU costs its air time + T_IFS (150 us) + an empty PDU from the peer + T_IFS.
 *     Air time = (preamble + 4 access address + 2 header + payload [+ 4 MIC if encrypted] + 3 CRC)
 *     * 8 us/byte on 1M PHY (1-byte preamble) or * 4 us/byte on 2M PHY (2-byte preamble);
 *   - a connection event lasts at most one interval: PDUs go back to back while the next one
 *     still ends (trailing T_IFS included) before the next anchor, and at most `ppe` of them
 *     (0 = no count limit); a message needing more waits for the following events;
 *   - a transfer on an idle link starts at the next connection-event anchor; one that was
 *     already waiting while the link carried the previous transfer continues in the open event
 *     (the MD bit), so a response to a request the central sent alone starts at the anchor after
 *     the request's last event (the peripheral has to process it), while a window of requests
 *     streams back to back (dfu_linkmodel_schedule()).
 * Network arithmetic (UDP over an IP link, kind NET): each message is one datagram of n + 28 bytes
 *   (IPv4 + UDP headers) serialised at `kbps`; a message that finds the link idle also pays the
 *   one-way latency `lat_us`, while messages the sender had already queued travel back to back
 *   (their latency overlaps the transfers before them), as on any pipelined network path.
 * Serial arithmetic: 8N1 = 10 bits per byte on the wire. Console framing (smp-protocol.md 6.2)
 * sends BE16 length + message + CRC16, base64 encoded, in lines of at most 124 base64 characters
 * plus 3 marker/newline bytes; `raw=1` models the raw-UART transport (message bytes only).
 */
#ifndef DFUKIT_DFU_HOST_LINKMODEL_H
#define DFUKIT_DFU_HOST_LINKMODEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef enum dfu_linkmodel_kind {
    DFU_LINKMODEL_OFF = 0, /* no modelling: messages go as fast as the OS delivers them */
    DFU_LINKMODEL_BLE = 1,
    DFU_LINKMODEL_SERIAL = 2,
    DFU_LINKMODEL_NET = 3, /* UDP over an IP link with a given rate and one-way latency */
} dfu_linkmodel_kind_t;

/* BLE link parameters. Ranges are enforced by dfu_linkmodel_validate(). */
typedef struct dfu_linkmodel_ble {
    uint8_t phy_mbps;  /* 1 or 2 (LE 1M / LE 2M PHY); coded PHY is not modelled */
    uint16_t dle;      /* max LL payload, 27..251 (27 = no data length extension) */
    uint32_t ci_us;    /* connection interval, 7500..4000000 us in 1250 us steps */
    uint16_t mtu;      /* ATT MTU, 23..517. On a BLE link the negotiated MTU is used instead;
                        * 0 = the mtu argument of the functions below, else 23 */
    uint16_t ppe;      /* max LL PDUs per connection event, 0 = fill the interval */
    uint8_t encrypted; /* 1 = link encrypted (adds a 4-byte MIC to each data PDU) */
} dfu_linkmodel_ble_t;

typedef struct dfu_linkmodel_serial {
    uint32_t baud; /* bits per second, 8N1 assumed (10 bits per byte) */
    uint8_t raw;   /* 1 = raw UART transport (no base64 console framing) */
} dfu_linkmodel_serial_t;

typedef struct dfu_linkmodel_net {
    uint32_t kbps;   /* link rate in kbit/s (k = 1000), 10..10000000 */
    uint32_t lat_us; /* one-way latency, 0..10 s */
} dfu_linkmodel_net_t;

typedef struct dfu_linkmodel {
    dfu_linkmodel_kind_t kind;
    dfu_linkmodel_ble_t ble;
    dfu_linkmodel_serial_t serial;
    dfu_linkmodel_net_t net;
} dfu_linkmodel_t;

/* Per-datagram IPv4 + UDP header bytes counted by the NET model. */
#define DFU_LINKMODEL_NET_HDR 28u
/* Largest datagram payload the NET ceiling assumes (the UDP link's default MTU). */
#define DFU_LINKMODEL_NET_MSG_MAX 1500u

/* Defaults used for keys absent from a spec string. */
#define DFU_LINKMODEL_BLE_DEFAULT_PHY 1
#define DFU_LINKMODEL_BLE_DEFAULT_DLE 27
#define DFU_LINKMODEL_BLE_DEFAULT_CI_US 30000
#define DFU_LINKMODEL_BLE_DEFAULT_MTU 23
#define DFU_LINKMODEL_SERIAL_DEFAULT_BAUD 115200
#define DFU_LINKMODEL_NET_DEFAULT_KBPS 1000
#define DFU_LINKMODEL_NET_DEFAULT_LAT_US 10000

/*
 * Parses a spec string into *m:
 *   "off" | "none" | ""                                    -> kind OFF
 *   "ble[,phy=1m|2m][,dle=27..251][,ci=MS][,mtu=23..517][,ppe=N][,enc=0|1]"
 *        ci is in milliseconds and may be fractional ("7.5"); it must be a multiple of 1.25 ms
 *   "serial[,baud=N][,raw=0|1]"
 *   "net[,kbps=N][,lat=MS]"                                 lat in milliseconds, may be fractional
 * Returns DFU_OK, or DFU_ERR_INVAL for an unknown kind/key, a malformed number or a value out of
 * range (the whole spec is rejected; *m is left zeroed).
 */
int dfu_linkmodel_parse(dfu_linkmodel_t *m, const char *spec);

/* Checks the parameter ranges listed above. Returns DFU_OK or DFU_ERR_INVAL. */
int dfu_linkmodel_validate(const dfu_linkmodel_t *m);

/* Writes the canonical spec string of *m into buf (NUL-terminated). Returns the length written or
 * DFU_ERR_NOMEM if cap is too small. */
int dfu_linkmodel_format(const dfu_linkmodel_t *m, char *buf, size_t cap);

/* BLE: air time of one data PDU with `payload` LL payload bytes (MIC included when encrypted). */
uint32_t dfu_linkmodel_ble_pdu_air_us(const dfu_linkmodel_t *m, uint32_t payload);

/* BLE: cost of one full-size (dle) data PDU: air + IFS + empty PDU + IFS. */
uint32_t dfu_linkmodel_ble_pdu_slot_us(const dfu_linkmodel_t *m);

/* BLE: LL data PDUs needed to carry an n-byte SMP message at ATT MTU `mtu` (the model's mtu is
 * used when mtu is 0). */
uint32_t dfu_linkmodel_ble_pdus(const dfu_linkmodel_t *m, size_t n, uint16_t mtu);

/* BLE: full-size PDUs sent per connection event (ppe, or as many as fit in the interval; >= 1). */
uint32_t dfu_linkmodel_ble_pdus_per_event(const dfu_linkmodel_t *m);

/* Serial: bytes on the wire for an n-byte SMP message (console framing: the framing code's own
 * dfu_serial_encoded_size(); raw: n). */
uint64_t dfu_linkmodel_serial_wire_bytes(const dfu_linkmodel_t *m, size_t n);

/*
 * Time for one n-byte message in one direction, from the moment the transfer starts (for BLE: at
 * a connection-event anchor) to its last byte being delivered. `mtu` as for
 * dfu_linkmodel_ble_pdus(). Kind OFF gives 0.
 */
uint64_t dfu_linkmodel_oneway_us(const dfu_linkmodel_t *m, size_t n, uint16_t mtu);

/* NET: time the link is busy sending an n-byte message (serialisation only, no latency). */
uint64_t dfu_linkmodel_net_ser_us(const dfu_linkmodel_t *m, size_t n);

/*
 * Request/response exchange time: req_n bytes up, then rsp_n bytes back, including the turnaround
 * (BLE: the response starts at the first anchor after the request completed; serial: none).
 */
uint64_t dfu_linkmodel_exchange_us(const dfu_linkmodel_t *m, size_t req_n, size_t rsp_n,
                                   uint16_t mtu);

/*
 * Timeline of one modelled link, for dfu_linkmodel_schedule(). Zero it to start idle. Times are
 * microseconds on the caller's clock (the link code uses CLOCK_MONOTONIC, so BLE anchors, the
 * multiples of the interval, are the same in every process).
 */
typedef struct dfu_linkmodel_clock {
    uint64_t busy_us;    /* BLE, serial, NET receive direction: the link carries data until then */
    uint64_t busy_tx_us; /* NET only: the send direction (full duplex) is busy until then */
    uint64_t event_us;   /* BLE: anchor of the connection event the last PDU went in */
    uint32_t event_pdus; /* BLE: PDUs already in that event */
} dfu_linkmodel_clock_t;

/*
 * Schedules one n-byte message on the link timeline *c and returns when its last byte is
 * delivered; *start_us (may be NULL) gets when its first PDU / byte went on the link.
 *   ready_us: the earliest time the sender has the message;
 *   queued:   the message was already waiting while the link carried the previous transfer.
 *             BLE: it continues in the open connection event (no new anchor); NET: its one-way
 *             latency overlapped the transfers before it. An unqueued BLE message starts at the
 *             first anchor at or after max(ready_us, busy); serial ignores the flag.
 *   tx:       direction as seen by the modelling end (NET keeps one clock per direction).
 * `mtu` as for dfu_linkmodel_ble_pdus(). Kind OFF returns ready_us.
 */
uint64_t dfu_linkmodel_schedule(const dfu_linkmodel_t *m, dfu_linkmodel_clock_t *c, size_t n,
                                uint16_t mtu, uint64_t ready_us, bool queued, bool tx,
                                uint64_t *start_us);

/*
 * Best possible SMP upload goodput of the link in kB/s (1 kB = 1000 B) counting SMP message bytes
 * (header and CBOR overhead are the client's business): BLE = a saturated pipeline of full
 * (mtu - 3)-byte writes packed into connection events by the rules above; serial = raw rate *
 * console framing efficiency (93 payload bytes per 127-byte line) or the raw rate with raw=1; net =
 * rate * 1500 / (1500 + 28) (full datagrams). Returns 0.0 for kind OFF.
 */
double dfu_linkmodel_ceiling_kBps(const dfu_linkmodel_t *m);

#ifdef __cplusplus
}
#endif
#endif
