/* Host helpers for the image tests: files, PEM/hex decoding, a bounds-checking reader, jq. */
#ifndef IMAGE_TEST_UTIL_H
#define IMAGE_TEST_UTIL_H

#include <stddef.h>
#include <stdint.h>

#include "dfukit/dfu_image.h"

#define TU_VEC DFU_SHARED_DIR "/vectors/imgtool"

/* Whole file into a malloc'd buffer (NULL if unreadable). */
uint8_t *tu_read_file(const char *path, size_t *len);
/* PEM file -> DER (base64 between the BEGIN/END lines), malloc'd. */
uint8_t *tu_read_pem(const char *path, size_t *len);
/* Intel HEX -> flat image starting at the lowest address (gaps 0xff), malloc'd. */
uint8_t *tu_read_ihex(const char *path, size_t *len);
/* Hex string -> bytes; returns the byte count or -1. */
int tu_hex2bin(const char *hex, uint8_t *out, size_t cap);
/* Runs a shell command and returns its stdout (malloc'd, trailing newline stripped). */
char *tu_run(const char *fmt, ...);

/* A reader over a RAM buffer that records any out-of-bounds request instead of performing it. */
typedef struct tu_reader {
    dfu_image_reader_t rd;
    const uint8_t *buf;
    uint32_t len;
    int oob; /* set if a read outside [0, len) was requested */
    unsigned reads;
} tu_reader_t;

/* mapped: 1 = set rd.mem (memory-mapped image), 0 = read callback only. */
void tu_reader_init(tu_reader_t *r, const uint8_t *buf, uint32_t len, int mapped);

#endif
