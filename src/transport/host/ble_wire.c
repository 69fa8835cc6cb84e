/* Modelled BLE link: packet I/O over the Unix stream socket. */
#include "ble_wire.h"

#include <errno.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "dfukit/dfu_err.h"
#include "link_priv.h"

int ble_pkt_send(int fd, uint8_t type, const uint8_t *payload, size_t len)
{
    uint8_t out[BLE_PKT_HDR + BLE_PKT_MAX_PAYLOAD];
    if (len > BLE_PKT_MAX_PAYLOAD || fd < 0) {
        return fd < 0 ? DFU_ERR_NOTCONN : DFU_ERR_INVAL;
    }
    out[0] = type;
    out[1] = (uint8_t)(len >> 8);
    out[2] = (uint8_t)len;
    if (len > 0) {
        memcpy(out + BLE_PKT_HDR, payload, len);
    }
    const uint8_t *p = out;
    size_t left = BLE_PKT_HDR + len;
    while (left > 0) {
        ssize_t n = send(fd, p, left, MSG_NOSIGNAL);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            /* The peer does not read: wait a little, then give up rather than hang the device. */
            struct pollfd pf = {.fd = fd, .events = POLLOUT};
            if (poll(&pf, 1, 2000) <= 0) {
                return DFU_ERR_TIMEOUT;
            }
            continue;
        }
        if (n < 0) {
            return (errno == EPIPE || errno == ECONNRESET || errno == ENOTCONN) ? DFU_ERR_NOTCONN
                                                                                : DFU_ERR_IO;
        }
        p += n;
        left -= (size_t)n;
    }
    return DFU_OK;
}

int ble_rx_pop(ble_rx_t *rx, ble_pkt_t *pkt)
{
    if (rx->have < BLE_PKT_HDR) {
        return 0;
    }
    size_t len = ((size_t)rx->buf[1] << 8) | rx->buf[2];
    if (len > BLE_PKT_MAX_PAYLOAD) {
        return DFU_ERR_PROTO;
    }
    if (rx->have < BLE_PKT_HDR + len) {
        return 0;
    }
    pkt->type = rx->buf[0];
    pkt->len = (uint16_t)len;
    memcpy(pkt->payload, rx->buf + BLE_PKT_HDR, len);
    rx->have -= BLE_PKT_HDR + len;
    memmove(rx->buf, rx->buf + BLE_PKT_HDR + len, rx->have);
    return 1;
}

int ble_rx_fill(ble_rx_t *rx, int fd)
{
    if (rx->have >= sizeof(rx->buf)) {
        return DFU_ERR_PROTO; /* cannot happen: a full packet is always poppable first */
    }
    for (;;) {
        ssize_t n = recv(fd, rx->buf + rx->have, sizeof(rx->buf) - rx->have, 0);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            return 0; /* spurious wake-up */
        }
        if (n == 0 || (n < 0 && (errno == ECONNRESET || errno == EPIPE))) {
            return DFU_ERR_NOTCONN;
        }
        if (n < 0) {
            return DFU_ERR_IO;
        }
        rx->have += (size_t)n;
        return (int)n;
    }
}

int ble_rx_wait(ble_rx_t *rx, int fd, uint64_t deadline, int timeout_ms, ble_pkt_t *pkt)
{
    for (;;) {
        int rc = ble_rx_pop(rx, pkt);
        if (rc != 0) {
            return rc;
        }
        rc = dfu_link_poll_in(fd, dfu_link_ms_left(deadline, timeout_ms));
        if (rc < 0) {
            return rc;
        }
        if (rc == 0) {
            return DFU_ERR_TIMEOUT;
        }
        rc = ble_rx_fill(rx, fd);
        if (rc < 0) {
            return rc;
        }
    }
}
