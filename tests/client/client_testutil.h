/* Helpers for the client tests: temp dirs, signed test images, running the dfukit CLI. */
#ifndef CLIENT_TESTUTIL_H
#define CLIENT_TESTUTIL_H

#include <stddef.h>
#include <stdint.h>

/* Creates a fresh temp directory; returns its path (static storage). */
const char *tu_tmpdir(void);
/* Removes a directory made by tu_tmpdir() with everything in it. */
void tu_rmtree(const char *dir);
/* Signs a random payload of `size` bytes (seeded) as an MCUboot image with `version` into
 * dir/name; extra = more `dfukit image sign` options or "". Returns 0 on success. */
int tu_make_image(const char *dir, const char *name, const char *version, size_t size,
                  unsigned seed, const char *extra, char *path, size_t cap);
/* Reads a whole file (heap, NUL-terminated after *len bytes); returns NULL on failure. */
uint8_t *tu_read(const char *path, size_t *len);
/* The dfukit binary the tests run: $DFUKIT_BIN (e.g. an installed one), else the build's. */
const char *tu_dfukit_bin(void);
/* Runs the dfukit binary with `args` (shell words); stdout goes to `out_path` if non-NULL.
 * Returns the exit code (or -1). */
int tu_dfukit(const char *args, const char *out_path);
/* Runs `jq -e <filter>` over a file; returns 1 if jq succeeded (and jq exists), 0 otherwise;
 * -1 when jq is not installed. */
int tu_jq(const char *path, const char *filter);
/* Like tu_jq but over all documents of an NDJSON file at once (jq -s: the input is an array). */
int tu_jq_all(const char *path, const char *filter);
/* A `dfukit sim` child process and the addresses from its listening lines. */
typedef struct tu_sim {
    int pid;
    char udp[200], serial[256], ble[256];
} tu_sim_t;

/* Starts `<dfukit> sim ARGS` (stderr appended to log_path) and waits for one listening line per
 * --udp/--serial/--ble in ARGS. Returns 0 when all came. */
int tu_sim_start(tu_sim_t *s, const char *args, const char *log_path);

/* Stops it (SIGTERM); returns its exit code. */
int tu_sim_stop(tu_sim_t *s);

/* Reads the image hash (SHA256 TLV) of an image file as hex. */
int tu_image_hash(const char *path, char hex[65]);

#endif
