/*
 * SMP framing shared by the device server and the host client (pure functions over caller
 * buffers; no heap, no globals, no I/O).
 *
 * 1. SMP serial/console framing (smp-protocol.md §6.2):
 *      packet = BE16(len(msg) + 2) ‖ msg ‖ BE16(CRC-16/XMODEM(msg))
 *    base64-encoded (standard alphabet, '=' padding only at the very end) and cut into lines of
 *    at most 124 base64 characters; the first line starts 0x06 0x09, each continuation line
 *    0x04 0x14, every line ends with '\n' (127 bytes max per line). The decoder is a
 *    byte-at-a-time state machine: it ignores console text that does not start with a marker,
 *    tolerates '\r', restarts on every 06 09 line, drops continuation lines with no frame
 *    started, and silently drops (reports) frames with bad base64, bad CRC or overlength.
 *
 * 2. Packet reassembly for links with small packets (BLE ATT MTU): consecutive link packets are
 *    appended until 8 + header.len bytes are present (the SMP header length says when a message
 *    is whole), as Zephyr's smp_reassembly does.
 */
#ifndef DFUKIT_DFU_FRAMING_H
#define DFUKIT_DFU_FRAMING_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---- CRC-16/XMODEM (poly 0x1021, init 0, no reflection, no xor-out) ------------------------- */

/* Continues `crc` over p[0..n). Start with 0. check("123456789") = 0x31C3. */
uint16_t dfu_crc16_xmodem(uint16_t crc, const uint8_t *p, size_t n);

/* ---- Serial encoder ------------------------------------------------------------------------ */

#define DFU_SERIAL_LINE_MAX 127u         /* bytes per line incl. 2 marker bytes and '\n' */
#define DFU_SERIAL_LINE_B64 124u         /* base64 characters per line (93 raw bytes) */
#define DFU_SERIAL_MSG_MAX (65535u - 2u) /* largest SMP message the length field allows */

/* Bytes dfu_serial_encode() produces for a message of msg_len bytes. */
size_t dfu_serial_encoded_size(size_t msg_len);

/* Frames one SMP message (header + CBOR) into out[0..cap). Returns the number of bytes written
 * (> 0), DFU_ERR_NOMEM if cap is too small, or DFU_ERR_MSGSIZE if msg_len > DFU_SERIAL_MSG_MAX
 * or 0. */
int dfu_serial_encode(const uint8_t *msg, size_t msg_len, uint8_t *out, size_t cap);

/* ---- Serial decoder -------------------------------------------------------------------------- */

/* Decoder counters (for diagnostics and tests). */
typedef struct dfu_serial_stats {
    uint32_t frames;        /* good frames delivered */
    uint32_t bad_crc;       /* dropped: CRC mismatch */
    uint32_t bad_base64;    /* dropped: invalid base64 / misplaced padding / partial group */
    uint32_t overlength;    /* dropped: frame larger than the buffer, line too long, or more
                             * data than the length field */
    uint32_t restarts;      /* incomplete frames abandoned by a new 06 09 line */
    uint32_t orphan_lines;  /* 04 14 lines with no frame started */
    uint32_t console_lines; /* lines without a marker (console text), ignored */
} dfu_serial_stats_t;

typedef struct dfu_serial_decoder {
    uint8_t *buf;      /* caller buffer for the decoded packet (length + message + CRC) */
    size_t cap;        /* its size; messages up to cap - 4 bytes */
    size_t have;       /* decoded bytes of the current frame */
    size_t line_chars; /* base64 characters on the current line */
    size_t max_line;   /* base64 characters allowed per line (0 = DFU_SERIAL_LINE_B64) */
    uint8_t quad[4];   /* pending base64 group */
    uint8_t nquad;
    uint8_t state; /* private */
    bool started;  /* a 06 09 line began the current frame */
    bool padded;   /* '=' seen: only the end of the line may follow */
    dfu_serial_stats_t stats;
} dfu_serial_decoder_t;

/* Binds the decoder to buf[0..cap) (cap >= 12) and resets it. max_line 0 = 124 characters
 * (Zephyr's 127-byte line). Returns 0 or DFU_ERR_INVAL. */
int dfu_serial_decoder_init(dfu_serial_decoder_t *d, uint8_t *buf, size_t cap, size_t max_line);

/* Feeds one received byte. Returns 0 (nothing complete yet), the length (> 0) of a complete,
 * CRC-checked SMP message now at *msg (valid until the next feed), or a negative dfu_err telling
 * that a frame was just dropped (DFU_ERR_CORRUPT bad CRC or length, DFU_ERR_PROTO bad base64,
 * DFU_ERR_MSGSIZE too large); the decoder has already resynchronised and keeps going. */
int dfu_serial_feed(dfu_serial_decoder_t *d, uint8_t byte, const uint8_t **msg);

/* ---- Packet reassembly ------------------------------------------------------------------------
 */

typedef struct dfu_reasm {
    uint8_t *buf; /* caller buffer: one whole SMP message */
    size_t cap;
    size_t have;   /* bytes collected */
    size_t expect; /* 8 + header length, known after the first fragment (0 = idle) */
} dfu_reasm_t;

/* Binds to buf[0..cap) (cap >= 8). Returns 0 or DFU_ERR_INVAL. */
int dfu_reasm_init(dfu_reasm_t *r, uint8_t *buf, size_t cap);

/* Drops any partial message (link lost, notifications disabled, timeout). */
void dfu_reasm_reset(dfu_reasm_t *r);

/* Appends one link packet. Returns 0 (message incomplete), the length (> 0) of a whole message
 * now in r->buf (the next feed starts a new one), or a negative dfu_err after which the partial
 * message is dropped: DFU_ERR_CORRUPT (a first fragment shorter than the 8-byte header, or an
 * empty packet), DFU_ERR_MSGSIZE (8 + length exceeds the buffer), DFU_ERR_RANGE (packet carries
 * more bytes than the message needs). */
int dfu_reasm_feed(dfu_reasm_t *r, const uint8_t *pkt, size_t len);

#ifdef __cplusplus
}
#endif
#endif
