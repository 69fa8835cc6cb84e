/*
 * SMP serial/console framing: encoder and byte-at-a-time decoder (smp-protocol.md §6.2).
 *
 * Every line carries whole 4-character base64 groups, so each line decodes on its own (Zephyr
 * decodes line by line); the decoder nevertheless keeps one pending group across bytes, never
 * across lines.
 */
#include "dfukit/dfu_err.h"
#include "dfukit/dfu_framing.h"

#include <string.h>

static const char b64_alphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/* ==== Encoder ================================================================================ */

size_t dfu_serial_encoded_size(size_t msg_len)
{
    size_t raw = msg_len + 4u;
    size_t chars = (raw + 2u) / 3u * 4u;
    size_t lines = (chars + DFU_SERIAL_LINE_B64 - 1u) / DFU_SERIAL_LINE_B64;
    return chars + lines * 3u;
}

/* Byte i of the packet BE16(len + 2) ‖ msg ‖ BE16(crc), without building it in memory. */
static uint8_t packet_byte(const uint8_t *msg, size_t len, uint16_t crc, size_t i)
{
    size_t total = len + 2u;
    if (i == 0) {
        return (uint8_t)(total >> 8);
    }
    if (i == 1) {
        return (uint8_t)(total & 0xffu);
    }
    if (i < 2u + len) {
        return msg[i - 2u];
    }
    return i == 2u + len ? (uint8_t)(crc >> 8) : (uint8_t)(crc & 0xffu);
}

int dfu_serial_encode(const uint8_t *msg, size_t msg_len, uint8_t *out, size_t cap)
{
    if (msg_len == 0 || msg_len > DFU_SERIAL_MSG_MAX) {
        return DFU_ERR_MSGSIZE;
    }
    size_t need = dfu_serial_encoded_size(msg_len);
    if (need > cap || need > 0x7fffffffu) {
        return DFU_ERR_NOMEM;
    }
    uint16_t crc = dfu_crc16_xmodem(0, msg, msg_len);
    size_t raw = msg_len + 4u;
    size_t o = 0;
    size_t line = 0; /* base64 characters on the current line */
    for (size_t i = 0; i < raw; i += 3u) {
        if (line == 0) {
            out[o++] = i == 0 ? 0x06u : 0x04u;
            out[o++] = i == 0 ? 0x09u : 0x14u;
        }
        size_t n = raw - i < 3u ? raw - i : 3u;
        uint32_t v = (uint32_t)packet_byte(msg, msg_len, crc, i) << 16;
        v |= n > 1u ? (uint32_t)packet_byte(msg, msg_len, crc, i + 1u) << 8 : 0u;
        v |= n > 2u ? (uint32_t)packet_byte(msg, msg_len, crc, i + 2u) : 0u;
        out[o++] = (uint8_t)b64_alphabet[(v >> 18) & 0x3fu];
        out[o++] = (uint8_t)b64_alphabet[(v >> 12) & 0x3fu];
        out[o++] = n > 1u ? (uint8_t)b64_alphabet[(v >> 6) & 0x3fu] : (uint8_t)'=';
        out[o++] = n > 2u ? (uint8_t)b64_alphabet[v & 0x3fu] : (uint8_t)'=';
        line += 4u;
        if (line == DFU_SERIAL_LINE_B64 || i + 3u >= raw) {
            out[o++] = '\n';
            line = 0;
        }
    }
    return (int)o;
}

/* ==== Decoder ================================================================================ */

enum {
    ST_LINE_START = 0, /* at the beginning of a line */
    ST_MARK_FIRST,     /* saw 0x06, expecting 0x09 */
    ST_MARK_CONT,      /* saw 0x04, expecting 0x14 */
    ST_DATA,           /* inside a frame line */
    ST_SKIP,           /* ignoring bytes up to the next '\n' */
};

int dfu_serial_decoder_init(dfu_serial_decoder_t *d, uint8_t *buf, size_t cap, size_t max_line)
{
    if (d == NULL || buf == NULL || cap < 12u) {
        return DFU_ERR_INVAL;
    }
    memset(d, 0, sizeof(*d));
    d->buf = buf;
    d->cap = cap;
    d->max_line = max_line ? max_line : DFU_SERIAL_LINE_B64;
    d->state = ST_LINE_START;
    return 0;
}

static int b64_value(uint8_t c)
{
    if (c >= 'A' && c <= 'Z') {
        return c - 'A';
    }
    if (c >= 'a' && c <= 'z') {
        return c - 'a' + 26;
    }
    if (c >= '0' && c <= '9') {
        return c - '0' + 52;
    }
    if (c == '+') {
        return 62;
    }
    if (c == '/') {
        return 63;
    }
    return -1;
}

/* Drops the current frame, counts why, and skips the rest of the line. */
static int drop(dfu_serial_decoder_t *d, int err, uint32_t *counter)
{
    (*counter)++;
    d->started = false;
    d->have = 0;
    d->nquad = 0;
    d->padded = false;
    d->state = ST_SKIP;
    return err;
}

/* Frame length from the first two decoded bytes: message + CRC. */
static size_t frame_total(const dfu_serial_decoder_t *d)
{
    return d->have >= 2u ? (((size_t)d->buf[0] << 8) | d->buf[1]) : 0u;
}

/* Decodes the pending 4-character group into the buffer. */
static int flush_quad(dfu_serial_decoder_t *d)
{
    uint32_t v = 0;
    unsigned pads = 0;
    for (unsigned k = 0; k < 4u; k++) {
        if (d->quad[k] == '=') {
            if (k < 2u) {
                return drop(d, DFU_ERR_PROTO, &d->stats.bad_base64);
            }
            pads++;
            v <<= 6;
            continue;
        }
        if (pads != 0) {
            return drop(d, DFU_ERR_PROTO, &d->stats.bad_base64); /* data after '=' */
        }
        v = (v << 6) | (uint32_t)b64_value(d->quad[k]);
    }
    unsigned n = 3u - pads;
    if (d->cap - d->have < n) {
        return drop(d, DFU_ERR_MSGSIZE, &d->stats.overlength);
    }
    const uint8_t bytes[3] = {(uint8_t)(v >> 16), (uint8_t)(v >> 8), (uint8_t)v};
    memcpy(d->buf + d->have, bytes, n);
    d->have += n;
    d->nquad = 0;
    d->padded = pads != 0;
    size_t total = frame_total(d);
    if (d->have >= 2u && (total < 2u || total + 2u > d->cap)) {
        return drop(d, total < 2u ? DFU_ERR_CORRUPT : DFU_ERR_MSGSIZE,
                    total < 2u ? &d->stats.bad_crc : &d->stats.overlength);
    }
    if (d->have >= 2u && d->have > total + 2u) {
        return drop(d, DFU_ERR_MSGSIZE, &d->stats.overlength);
    }
    return 0;
}

/* End of a frame line: deliver the frame if it is complete and its CRC is right. */
static int end_of_line(dfu_serial_decoder_t *d, const uint8_t **msg)
{
    d->state = ST_LINE_START;
    d->line_chars = 0;
    d->padded = false;
    if (d->nquad != 0) {
        int rc = drop(d, DFU_ERR_PROTO, &d->stats.bad_base64);
        d->state = ST_LINE_START;
        return rc;
    }
    size_t total = frame_total(d);
    if (d->have < 2u || d->have < total + 2u) {
        return 0; /* more lines to come */
    }
    size_t len = total - 2u;
    uint16_t want = (uint16_t)(((unsigned)d->buf[2u + len] << 8) | d->buf[3u + len]);
    d->started = false;
    d->have = 0;
    if (len == 0 || dfu_crc16_xmodem(0, d->buf + 2, len) != want) {
        d->stats.bad_crc++;
        return DFU_ERR_CORRUPT;
    }
    d->stats.frames++;
    *msg = d->buf + 2;
    return (int)len;
}

static int feed_data(dfu_serial_decoder_t *d, uint8_t byte, const uint8_t **msg)
{
    if (byte == '\n') {
        return end_of_line(d, msg);
    }
    if (byte == '\r') {
        return 0;
    }
    if (++d->line_chars > d->max_line) {
        return drop(d, DFU_ERR_MSGSIZE, &d->stats.overlength);
    }
    if (d->padded || (byte != '=' && b64_value(byte) < 0)) {
        return drop(d, DFU_ERR_PROTO, &d->stats.bad_base64);
    }
    d->quad[d->nquad++] = byte;
    return d->nquad == 4u ? flush_quad(d) : 0;
}

int dfu_serial_feed(dfu_serial_decoder_t *d, uint8_t byte, const uint8_t **msg)
{
    switch (d->state) {
    case ST_LINE_START:
        if (byte == 0x06u) {
            d->state = ST_MARK_FIRST;
        } else if (byte == 0x04u) {
            d->state = ST_MARK_CONT;
        } else if (byte != '\n' && byte != '\r') {
            d->stats.console_lines++;
            d->state = ST_SKIP;
        }
        return 0;
    case ST_MARK_FIRST:
        if (byte != 0x09u) {
            d->state = byte == '\n' ? ST_LINE_START : ST_SKIP;
            return 0;
        }
        if (d->started) {
            d->stats.restarts++;
        }
        d->started = true;
        d->have = 0;
        d->nquad = 0;
        d->padded = false;
        d->line_chars = 0;
        d->state = ST_DATA;
        return 0;
    case ST_MARK_CONT:
        if (byte != 0x14u) {
            d->state = byte == '\n' ? ST_LINE_START : ST_SKIP;
            return 0;
        }
        if (!d->started) {
            d->stats.orphan_lines++;
            d->state = ST_SKIP;
            return 0;
        }
        d->line_chars = 0;
        d->state = ST_DATA;
        return 0;
    case ST_DATA:
        return feed_data(d, byte, msg);
    default:
        if (byte == '\n') {
            d->state = ST_LINE_START;
        }
        return 0;
    }
}
