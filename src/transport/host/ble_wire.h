/* Modelled BLE link: socket packet format (docs/LINKS.md) and stream reader, shared by both ends.
 */
#ifndef DFU_BLE_WIRE_H
#define DFU_BLE_WIRE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Packet: type (1) | payload length (BE16) | payload. */
#define BLE_PKT_HDR 3u
#define BLE_PKT_MAX_PAYLOAD 600u

enum ble_pkt_type {
    BLE_PKT_ADV = 0x01,       /* S->C: flags (1) | name (0..29) */
    BLE_PKT_MTU_REQ = 0x02,   /* C->S: client rx MTU (BE16) */
    BLE_PKT_MTU_RSP = 0x03,   /* S->C: server rx MTU (BE16) */
    BLE_PKT_PAIR_REQ = 0x04,  /* C->S: method (1) | passkey (BE32) | bond (1) */
    BLE_PKT_PAIR_RSP = 0x05,  /* S->C: status (1) | level (1) | bonded (1) | ltk (16) */
    BLE_PKT_ENC_REQ = 0x06,   /* C->S: ltk (16) */
    BLE_PKT_ENC_RSP = 0x07,   /* S->C: status (1) | level (1) */
    BLE_PKT_WRITE = 0x08,     /* C->S: ATT Write Command value (<= MTU - 3) */
    BLE_PKT_NOTIFY = 0x09,    /* S->C: ATT notification value (<= MTU - 3) */
    BLE_PKT_ATT_ERR = 0x0A,   /* S->C: request opcode (1) | handle (BE16) | error (1) */
    BLE_PKT_DISC = 0x0B,      /* either: HCI reason (1) */
    BLE_PKT_CONNECT = 0x0C,   /* C->S: central identity address (6) */
    BLE_PKT_SUBSCRIBE = 0x0D, /* C->S: CCCD value (BE16): 0x0001 notifications on, 0 off */
    BLE_PKT_WRITE_RSP = 0x0E, /* S->C: the CCCD write succeeded (empty) */
};

#define BLE_ADV_FLAG_PASSKEY 0x01u /* device can display a passkey */
#define BLE_PAIR_METHOD_JUST_WORKS 0u
#define BLE_PAIR_METHOD_PASSKEY 1u
#define BLE_ATT_OP_WRITE_CMD 0x52u
#define BLE_ATT_OP_WRITE_REQ 0x12u
#define BLE_SMP_CHR_HANDLE 0x0012u  /* value handle of the SMP characteristic in the model */
#define BLE_SMP_CCCD_HANDLE 0x0013u /* its client characteristic configuration descriptor */

typedef struct ble_pkt {
    uint8_t type;
    uint16_t len;
    uint8_t payload[BLE_PKT_MAX_PAYLOAD];
} ble_pkt_t;

/* Buffered reader over a stream socket. */
typedef struct ble_rx {
    uint8_t buf[4096];
    size_t have;
} ble_rx_t;

/* Sends one packet (MSG_NOSIGNAL; on a non-blocking fd waits up to 2 s for room). Returns DFU_OK,
 * DFU_ERR_NOTCONN, DFU_ERR_TIMEOUT (peer not reading) or DFU_ERR_IO. */
int ble_pkt_send(int fd, uint8_t type, const uint8_t *payload, size_t len);

/* Takes one complete packet out of rx. Returns 1, 0 (incomplete) or DFU_ERR_PROTO (declared
 * length above BLE_PKT_MAX_PAYLOAD: the stream cannot be resynchronised). */
int ble_rx_pop(ble_rx_t *rx, ble_pkt_t *pkt);

/* Reads what is available on fd into rx. Returns bytes read (> 0), 0 if nothing was there
 * (non-blocking fd), DFU_ERR_NOTCONN on EOF or reset, DFU_ERR_IO. */
int ble_rx_fill(ble_rx_t *rx, int fd);

/* Waits for the next packet until deadline. Returns 1, DFU_ERR_TIMEOUT, DFU_ERR_NOTCONN,
 * DFU_ERR_PROTO or DFU_ERR_IO. */
int ble_rx_wait(ble_rx_t *rx, int fd, uint64_t deadline, int timeout_ms, ble_pkt_t *pkt);

#endif
