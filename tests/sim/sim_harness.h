/*
 * Test harness for the simulated device: spawns `dfukit sim` as a child process, waits for its
 * output lines, and speaks raw SMP (dfu_smp_hdr codec + libcbor) over dfu_link client links.
 */
#ifndef SIM_HARNESS_H
#define SIM_HARNESS_H

#include <cbor.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "dfukit/dfu_link.h"

typedef struct simproc {
    pid_t pid;
    char dir[256];
    char log[300];
    char out[300];
    uint16_t udp_port;
} simproc_t;

/* Makes a fresh temp directory (mkdtemp) into dir (cap >= 64) and remembers it. */
int h_tmpdir(char *dir, size_t cap, const char *tag);
/* Removes every directory made by h_tmpdir when `failed` is 0 (kept for inspection otherwise). */
void h_cleanup(int failed);

/* Spawns DFU_BUILD_DIR/dfukit sim --flash FLASH --log DIR/<tag>.log ARGS... (NULL-terminated);
 * stdout goes to DIR/<tag>.out. Waits (10 s) for `listeners` "sim: listening" lines; parses the
 * UDP port. Returns 0, or -1 if the child died / timed out (p->pid is then reaped or killed). */
int h_spawn(simproc_t *p, const char *dir, const char *tag, const char *flash, int listeners,
            const char *const *args);

/* Waits until the log holds at least `count` occurrences of `needle`. 0 or -1 on timeout. */
int h_wait_log(const simproc_t *p, const char *needle, int count, int timeout_ms);
/* Count of `needle` in the log now. */
int h_log_count(const simproc_t *p, const char *needle);
/* Copies the last log line containing `needle` into out. 0 or -1. */
int h_log_last(const simproc_t *p, const char *needle, char *out, size_t cap);

/* Waits for the child to exit (timeout_ms); returns its exit code, or -1 (still running). */
int h_wait_exit(simproc_t *p, int timeout_ms);
/* SIGTERM + wait; returns the exit code (SIGKILL after 5 s, then -1). */
int h_stop(simproc_t *p);
/* SIGKILL + reap. */
void h_kill9(simproc_t *p);

/* Signs a `payload_len`-byte pseudo-random payload (seeded by `seed`) as an MCUboot image with
 * dfukit image sign (-H 0x200 --pad-header --align 4 -S 0x32000 -v VERSION [--sim-app DESC]).
 * Returns 0 or -1. */
int h_make_image(const char *out, const char *version, const char *desc, size_t payload_len,
                 unsigned seed);

/* Same, signed with the private key file `key` (NULL = hash only). */
int h_make_image_key(const char *out, const char *version, const char *desc, size_t payload_len,
                     unsigned seed, const char *key);

/* Reads a whole file (malloc). NULL on error. */
uint8_t *h_read_file(const char *path, size_t *len);

/* ---- SMP over a link --------------------------------------------------------------------- */

typedef struct smprsp {
    int status; /* 0 = got a response; <0 = link error (DFU_ERR_TIMEOUT, DFU_ERR_ACCESS ...) */
    int rc;     /* "rc" (0 if absent) */
    int err_rc; /* err.rc (0 if absent) */
    cbor_item_t *map; /* decoded payload (free with smp_free) */
} smprsp_t;

/* Sends op/group/id with payload `req` (a CBOR map, may be NULL = {}) as SMP v2 and waits for the
 * response with the same sequence number. */
smprsp_t smp_call(dfu_link_t *l, uint8_t op, uint16_t group, uint8_t id, cbor_item_t *req,
                  int timeout_ms);
void smp_free(smprsp_t *r);
/* Map lookup by text key (NULL if absent). */
cbor_item_t *smp_get(cbor_item_t *map, const char *key);

/* Builds {k1: v1, ...} from pairs; values are taken (decref'd). */
cbor_item_t *smp_map(int pairs, ...);

/* Echo: 0 if the device echoed the text. */
int smp_echo(dfu_link_t *l, const char *text, int timeout_ms);
/* Uploads `img` from offset `start` in `chunk`-byte pieces. Returns 0, or the failing response's
 * rc/err (positive) or link error (negative). *next gets the device's next offset. */
int smp_upload(dfu_link_t *l, const uint8_t *img, size_t len, size_t start, size_t chunk,
               int timeout_ms, size_t *next);
/* Same, for file bytes [start, end) of a `len`-byte image only (the device must agree on start:
 * otherwise it answers with the offset it expects and the upload continues from there). */
int smp_upload_range(dfu_link_t *l, const uint8_t *img, size_t len, size_t start, size_t end,
                     size_t chunk, int timeout_ms, size_t *next);
/* Reads the image state: hash of slot 0 / slot 1 (32 bytes each, zero if absent), flags. Returns
 * the number of images listed, or <0. */
typedef struct smpstate {
    int n;
    uint8_t hash[2][32];
    char version[2][32];
    bool active[2], confirmed[2], pending[2];
} smpstate_t;
int smp_state(dfu_link_t *l, smpstate_t *st, int timeout_ms);
/* Marks slot 1's image for test. Returns 0 or the rc/err.rc. */
int smp_test(dfu_link_t *l, const uint8_t hash[32], int timeout_ms);
/* Sends a reset; 0 if the device replied. */
int smp_reset(dfu_link_t *l, int timeout_ms);

#endif
