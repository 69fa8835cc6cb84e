/*
 * dfukit SMP client (host only): connection, request/response with SMP v2 -> v1 fallback,
 * device commands, windowed upload, the `update` state machine and the `doctor` diagnosis.
 *
 * Wire facts: ../shared/docs/smp-protocol.md. Links come from dfu_link.h / dfu_host_ble.h.
 * Responses are walked once with the device's bounded CBOR reader (dfu_cbor.h) and then read in
 * place (dfu_cval_t, no allocation); every getter checks types, so a malformed or hostile
 * response gives DFU_ERR_PROTO or "absent", never an out-of-bounds read.
 *
 * Errors: functions return 0 or a negative dfu_err. When the device refused a request
 * (SMP `rc` or v2 `err {group, rc}`) the return is DFU_ERR_DEVICE and c->err holds the codes;
 * dfu_client_explain() maps them to name, meaning and fix (one table, client_errtab.c).
 */
#ifndef DFU_CLIENT_H
#define DFU_CLIENT_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "dfukit/dfu_err.h"
#include "dfukit/dfu_host_ble.h"
#include "dfukit/dfu_host_bluez.h"
#include "dfukit/dfu_link.h"

/* Returned when the device answered with an SMP error (details in dfu_client_t.err). */
#define DFU_ERR_DEVICE DFU_ERR_SMP_DEVICE

/* ---- Error explanations ---------------------------------------------------------------------- */

typedef struct dfu_client_explain {
    const char *name;    /* e.g. "IMAGE_ALREADY_PENDING" */
    const char *meaning; /* what the device means by it */
    const char *fix;     /* what to do next (exact command where possible) */
} dfu_client_explain_t;

/* Details of the last failure. */
typedef struct dfu_client_err {
    int code;         /* dfu_err of the failure (DFU_ERR_DEVICE, DFU_ERR_TIMEOUT, ...) */
    int rc;           /* SMP-level rc (0 = none) */
    int group;        /* group of a v2 `err` (-1 = none) */
    int group_rc;     /* err.rc (0 = none) */
    int att;          /* BLE ATT error the write got (0 = none) */
    char rsn[200];    /* device's `rsn` text, "" if none */
    char what[96];    /* the request that failed, e.g. "image state write" */
    char detail[256]; /* what the link observed (BlueZ: the D-Bus step and its answer), or "" */
    /* what was observed on the link (for link failures) */
    char peer[220];      /* the address ("127.0.0.1:9", "[::1]:1337", a path) */
    bool connecting;     /* the failure happened while opening the link */
    bool unresolved;     /* ... because the host name of udp:/tcp: did not resolve */
    int wait_ms;         /* how long each try waited for an answer */
    int tries;           /* how many times the request was sent */
    bool has_passkey;    /* a passkey was given (ble-sim:...,passkey=N) */
    uint32_t passkey;    /* that passkey */
    uint8_t pair_reason; /* why the last pairing failed (DFU_BLE_PAIR_ERR_*), 0 = not tried/ok */
    int pair_level;      /* security level the last pairing reached (0 = none tried) */
    bool answered;       /* the device answered at least one request on this connection */
} dfu_client_err_t;

/* Explanation for a v2 group error (group >= 0, group_rc > 0) or an SMP-level rc. Never NULL:
 * unknown codes get a generic entry. `group` is the request's group (used for v1 rc hints). */
const dfu_client_explain_t *dfu_client_explain(int group, int group_rc, int rc);

/* Explanation for a transport failure (timeout, disconnect, ATT error, pairing), never NULL. */
const dfu_client_explain_t *dfu_client_explain_link(int code, int att);

/* The explanation for a failure: device errors by code and request (e.g. erasing slot 0), link
 * failures by what was observed (wrong passkey, pairing required, connection refused). */
const dfu_client_explain_t *dfu_client_err_explain(const dfu_client_err_t *e);

/* What was observed, in words, e.g. "no SMP server answered at 127.0.0.1:9 (connection
 * refused)", "no answer within 3 s (sent 3 times) from 127.0.0.1:1337", "pairing failed: wrong
 * passkey (the device rejected 654321)". Device errors: "<name> (<codes>) \"<rsn>\"". */
void dfu_client_err_observed(const dfu_client_err_t *e, char *buf, size_t cap);

/* The process exit code for a failed call's dfu_err: 0 for DFU_OK, 4 for link failures and
 * timeouts, 130 for DFU_ERR_CANCELLED, else 1 (exit codes: src/cli/cli.h). */
int dfu_client_exit_code(int rc);

/* Formats "<what> failed: <observed>: <meaning>. Fix: <fix>" for `e` into buf. */
void dfu_client_err_format(const dfu_client_err_t *e, char *buf, size_t cap);

/* ---- Connection --------------------------------------------------------------------------------
 */

/* The connection kinds: one table entry per kind parses, opens and documents it. */
typedef struct dfu_client_conn_kind {
    const char *scheme;   /* "udp" */
    int link;             /* DFU_LINK_* */
    const char *synopsis; /* "udp:HOST[:PORT]" */
    const char *help;     /* one line */
    const char *keys;     /* options after the address ("baud", "passkey"), '|'-separated */
} dfu_client_conn_kind_t;

/* The table (n entries). */
const dfu_client_conn_kind_t *dfu_client_conn_kinds(size_t *n);

typedef struct dfu_client_cfg {
    const char *conn;         /* "udp:HOST[:PORT]", "serial:PATH[,baud=N]", "tcp:HOST:PORT",
                               * "ble-sim:PATH[,passkey=N]",
                               * "ble:TARGET[,passkey=NNNNNN][,adapter=hciN]" (BlueZ) */
    int timeout_ms;           /* per request; 0 = 3000 */
    int retries;              /* resends after a timeout; <0 = 0, 0 = default 2 */
    FILE *log;                /* verbose protocol log (one line per exchange), NULL = none */
    const atomic_int *cancel; /* set non-zero (e.g. by SIGINT) to stop waiting: the call
                               * returns DFU_ERR_CANCELLED within ~100 ms. An atomic, not a
                               * volatile sig_atomic_t: device threads read it (several-device
                               * update) while a signal handler sets it (lock-free: signal-safe) */
} dfu_client_cfg_t;

/* One request in flight, for the verbose log. */
typedef struct dfu_client_sent {
    uint64_t t_us; /* when it was sent, 0 = free */
    uint16_t group;
    uint8_t id, op;
    uint32_t len;
} dfu_client_sent_t;

typedef struct dfu_client {
    dfu_link_t link;
    bool open;
    char conn[256]; /* as given, a passkey masked (for messages) */
    int kind;       /* DFU_LINK_* */
    char path[200]; /* serial / ble-sim path, UDP / TCP host, or BlueZ target (address or name) */
    uint16_t port;
    uint32_t baud;
    bool has_passkey;
    uint32_t passkey;
    dfu_ble_bond_t bond; /* BLE bond kept across reconnects */
    char adapter[16];    /* BlueZ: adapter=hciN ("" = the first adapter) */
    char resolved[18];   /* BlueZ: the device's address once found (reconnects use it) */
    char link_why[256];  /* what the last link open observed when it failed */
    bool pair_tried;     /* pairing attempted on the current connection */
    int timeout_ms;
    int retries;
    FILE *log;
    const atomic_int *cancel;
    dfu_client_sent_t sent[256]; /* by sequence number (verbose log) */
    bool answered;               /* the device answered a request on this connection */
    uint8_t pair_reason;         /* last pairing: DFU_BLE_PAIR_ERR_* (0 = ok / none) */
    int pair_level;              /* last pairing: level reached (0 = none tried) */
    uint8_t seq;
    uint8_t version; /* SMP header version sent: 1 (v2) until the device answers with 0 */
    dfu_client_err_t err;
    uint8_t rx[65536 + 16];
} dfu_client_t;

/* BLE: pairs now with the configured passkey (Just Works without one) after the device refused a
 * request for link security. Returns the level reached (>= 2) or an error. */
int dfu_client_pair(dfu_client_t *c);

/* The peer's address as text ("127.0.0.1:1337", "[::1]:1337", a path). */
void dfu_client_peer(const dfu_client_t *c, char *buf, size_t cap);

/* True once the cancel flag given in the configuration is set. */
bool dfu_client_cancelled(const dfu_client_t *c);
/* True for both BLE links: the simulator's model (ble-sim:) and BlueZ (ble:). */
bool dfu_client_is_ble(const dfu_client_t *c);

/* Fills c->err for a link failure `code` of request `what` (ATT error and the link's own
 * description of what it observed included). Returns code. */
int dfu_client_link_err(dfu_client_t *c, int code, const char *what);

/* Parses and validates a connection string without opening it. 0 or DFU_ERR_INVAL; then
 * c->err.detail says what is wrong and c->conn is the string with a passkey masked ("" when it
 * is too long to show). */
int dfu_client_parse_conn(dfu_client_t *c, const char *conn);

/* Opens the link. Returns 0, DFU_ERR_INVAL (bad string), or a link error (DFU_ERR_NOTCONN,
 * DFU_ERR_NODEV, DFU_ERR_TIMEOUT, DFU_ERR_PAIRING ...) with c->err filled. c must be zeroed or
 * closed. */
int dfu_client_open(dfu_client_t *c, const dfu_client_cfg_t *cfg);

/* Drops and re-opens the link (after a device reset). 0 or a link error. */
int dfu_client_reconnect(dfu_client_t *c);

void dfu_client_close(dfu_client_t *c);

/* Largest SMP message one request may be (link MTU). */
size_t dfu_client_link_mtu(const dfu_client_t *c);

/* Link security level (BLE 1..4), 0 when the transport has none. */
int dfu_client_link_security(const dfu_client_t *c);

/* One well-formed CBOR item (a response map or a value inside one), read in place. A response
 * points into the client's receive buffer: valid until the next receive on that client. */
typedef struct dfu_cval {
    const uint8_t *p;
    size_t len;
} dfu_cval_t;

/* ---- Requests ---------------------------------------------------------------------------------
 */

/* Sends one request (payload = CBOR map) and waits for the matching response (by seq), resending
 * up to c->retries times on timeout. `timeout_ms` 0 = c->timeout_ms. On success *rsp is the
 * response map (valid until the next receive on c). Returns 0, DFU_ERR_DEVICE (c->err filled),
 * DFU_ERR_TIMEOUT, DFU_ERR_NOTCONN, DFU_ERR_ACCESS (BLE ATT error: link security too low),
 * DFU_ERR_PROTO (malformed response). Handles the v2 -> v1 fallback. */
int dfu_client_request(dfu_client_t *c, const char *what, uint8_t op, uint16_t group, uint8_t id,
                       const uint8_t *payload, size_t plen, int timeout_ms, dfu_cval_t *rsp);

/* Low level, for pipelining: sends without waiting; *seq receives the sequence number used. */
int dfu_client_send(dfu_client_t *c, uint8_t op, uint16_t group, uint8_t id, const uint8_t *payload,
                    size_t plen, uint8_t *seq);

/* Receives the next response. Returns 0 with *seq and *rsp (the map, valid until the next
 * receive on c), or a
 * link error, or DFU_ERR_PROTO for a malformed response (*seq is set when its header was
 * readable). The SMP error (if any) is in *rsp; use dfu_client_check_error(). */
int dfu_client_recv(dfu_client_t *c, int timeout_ms, uint8_t *seq, dfu_cval_t *rsp);

/* Copies what the client knows about the link (peer, passkey, last pairing, whether the device
 * answered) into c->err. */
void dfu_client_err_context(dfu_client_t *c);

/* Verbose log line for the request with sequence `seq` that got no answer within wait_ms;
 * `then` says what happens next ("sending it again"). */
void dfu_client_log_timeout(dfu_client_t *c, uint8_t seq, int wait_ms, const char *then);

/* Checks a response map for `rc`/`err`; returns 0 or DFU_ERR_DEVICE with c->err filled. */
int dfu_client_check_error(dfu_client_t *c, const char *what, uint16_t group,
                           const dfu_cval_t *rsp);

/* ---- Response map getters (type checked) --------------------------------------------------------
 */

/* Each returns false when `map` is not a map, has no definite text key `key` (the first one
 * counts), or its value has another type. */
bool dfu_cmap_get(const dfu_cval_t *map, const char *key, dfu_cval_t *out);
bool dfu_cmap_uint(const dfu_cval_t *map, const char *key, uint64_t *out);
bool dfu_cmap_int(const dfu_cval_t *map, const char *key, int64_t *out);
bool dfu_cmap_bool(const dfu_cval_t *map, const char *key, bool *out);
/* Copies a definite text string (NUL-terminated, truncated to cap-1). */
bool dfu_cmap_str(const dfu_cval_t *map, const char *key, char *out, size_t cap);
/* Copies a definite byte string; *len = its length (fails if longer than cap). */
bool dfu_cmap_bytes(const dfu_cval_t *map, const char *key, uint8_t *out, size_t cap, size_t *len);
/* Element i of an array (false: not an array, or i out of range). */
bool dfu_carr_get(const dfu_cval_t *arr, size_t i, dfu_cval_t *out);
/* True if v is an array / a map. */
bool dfu_cval_is_array(const dfu_cval_t *v);
bool dfu_cval_is_map(const dfu_cval_t *v);

/* ---- Commands
 * ------------------------------------------------------------------------------------ */

typedef struct dfu_client_params {
    uint32_t buf_size;  /* SMP message size the device accepts (header + CBOR) */
    uint32_t buf_count; /* requests the device can buffer */
    bool supported;     /* false: device answered rc 8; fields hold fallbacks */
} dfu_client_params_t;

typedef struct dfu_client_boot {
    char name[32]; /* "MCUboot" or "" */
    int mode;      /* DFU_SMP_MODE_*, -1 unknown */
    bool no_downgrade;
    bool mode_known;
} dfu_client_boot_t;

#define DFU_CLIENT_MAX_SLOTS 4

typedef struct dfu_client_slot {
    bool present;
    int image;
    int slot;
    char version[40];
    uint8_t hash[32];
    size_t hash_len;
    bool bootable, pending, confirmed, active, permanent;
} dfu_client_slot_t;

typedef struct dfu_client_state {
    dfu_client_slot_t slots[DFU_CLIENT_MAX_SLOTS]; /* index = slot number (image 0) */
} dfu_client_state_t;

typedef struct dfu_client_slotinfo {
    bool supported;
    uint32_t size[2];        /* slot sizes (0 = unknown) */
    uint32_t max_image_size; /* 0 = not reported */
} dfu_client_slotinfo_t;

int dfu_client_echo(dfu_client_t *c, const char *text, char *out, size_t cap);
int dfu_client_reset(dfu_client_t *c, bool force, int boot_mode);
int dfu_client_params(dfu_client_t *c, dfu_client_params_t *p);
int dfu_client_info(dfu_client_t *c, const char *format, char *out, size_t cap);
int dfu_client_bootloader(dfu_client_t *c, dfu_client_boot_t *b);
int dfu_client_state_read(dfu_client_t *c, dfu_client_state_t *st);
/* State write: hash NULL = the running image (confirm only). */
int dfu_client_state_write(dfu_client_t *c, const uint8_t *hash, bool confirm,
                           dfu_client_state_t *st);
/* Erase: slot < 0 = the device's default (the non-running slot). */
int dfu_client_erase(dfu_client_t *c, int slot);
int dfu_client_slot_info(dfu_client_t *c, dfu_client_slotinfo_t *si);

/* The largest image the device accepts: max_image_size when reported (smaller than the slot:
 * MCUboot's trailer and swap space), else slot 1's size; 0 = unknown. */
uint32_t dfu_client_usable_size(const dfu_client_slotinfo_t *si);

/* Says the usable size and why it is smaller than slot 1 (what MCUboot keeps at the end of the
 * slot for bootloader mode `mode`, DFU_SMP_MODE_*), e.g. "the largest image is 196608 bytes:
 * slot 1 is 204800 bytes, and MCUboot keeps its last 8192 bytes for ...". */
void dfu_client_usable_explain(const dfu_client_slotinfo_t *si, int mode, char *buf, size_t cap);
/* The device's record of a boot (OS bootloader info "last_boot", entries of "boot_log"; keys:
 * docs/SPEC-smp.md section 4.1). */
typedef struct dfu_client_bootrec {
    uint32_t boot; /* boot number in the device's record log (0 = no log) */
    char swap[12]; /* none, test, perm, revert, fail */
    bool resumed;  /* a swap interrupted by a power cut was completed */
    bool booted;   /* the primary image was started */
    int slot;      /* slot running (0) */
    char version[40];
    uint8_t hash[32];
    size_t hash_len;        /* 0: not reported (log entries) */
    char reason[96];        /* the device's reason text */
    int reason_code;        /* dfu_boot_reason_t, -1 if absent */
    bool has_other;         /* other_version is set */
    char other_version[40]; /* image swapped out / reverted from / refused */
    int64_t refused_err;    /* dfu_err of a refused candidate (0 = none) */
    int64_t primary_err;
    bool has_flash; /* flash figures reported (last_boot) */
    uint64_t flash_erases, flash_writes, flash_bytes, time_ms;
} dfu_client_bootrec_t;

/* Reads the record of the last boot. 0; DFU_ERR_NOTSUP when the device does not report boot
 * outcomes (it answered as for an unknown query: Zephyr, Mynewt; c->err is left as it was);
 * DFU_ERR_PROTO for a malformed answer; or a request error. */
int dfu_client_last_boot(dfu_client_t *c, dfu_client_bootrec_t *r);
/* Reads up to `max` records of the boot log, newest first (pages with "before" as the response
 * buffer allows). *n = records read, *total = records the device keeps. Errors as above. */
int dfu_client_boot_log(dfu_client_t *c, dfu_client_bootrec_t *out, size_t max, size_t *n,
                        uint32_t *total);
/* One line saying what the bootloader did at that boot and why, with the fix when one is needed,
 * e.g. "at the last reset the bootloader reverted 2.0.0 -> 1.0.0 because 2.0.0 never confirmed
 * itself: confirm it at start-up or with `dfukit image confirm`". */
void dfu_client_bootrec_explain(const dfu_client_bootrec_t *r, char *buf, size_t cap);
/* How dfu_client_bootrec_explain_as words a record (flags, or-ed):
 *   DFU_BOOTREC_HISTORY: an older log entry: "at boot #N", no prediction about the next reset
 *     (that was then, not now);
 *   DFU_BOOTREC_CONFIRMED: the caller read the image state: the image this record started runs
 *     now and is confirmed (dfu_client_bootrec_confirmed). */
#define DFU_BOOTREC_HISTORY 1u
#define DFU_BOOTREC_CONFIRMED 2u
void dfu_client_bootrec_explain_as(const dfu_client_bootrec_t *r, unsigned flags, char *buf,
                                   size_t cap);
/* The running slot (from a state read) is the image record `r` started, and it is confirmed. */
bool dfu_client_bootrec_confirmed(const dfu_client_bootrec_t *r, const dfu_client_state_t *st);
/* The line printed when the device does not report boot outcomes. */
#define DFU_CLIENT_NO_BOOTREC                                                                      \
    "the device does not report boot outcomes (no bootloader last_boot record, as Zephyr's and "   \
    "Mynewt's SMP servers); everything else works"

/* What MCUboot will do at the next reset, from the state flags (static text). */
const char *dfu_client_next_reset(const dfu_client_state_t *st);
/* Per-slot "next reset" column text. */
const char *dfu_client_slot_fate(const dfu_client_state_t *st, int slot);
/* Hex of a hash (lowercase, NUL terminated, out >= 2*len+1). */
void dfu_client_hex(const uint8_t *b, size_t len, char *out);
/* Parses a hex hash of 1..32 bytes; returns the byte count or DFU_ERR_INVAL. */
int dfu_client_unhex(const char *s, uint8_t *out, size_t cap);

/* ---- Upload
 * ---------------------------------------------------------------------------------------- */

typedef struct dfu_client_progress {
    uint64_t done, total;  /* bytes acknowledged / file size */
    uint64_t resumed_from; /* bytes the device kept from an earlier upload (0 = fresh) */
    double elapsed_s;
    double kBps; /* goodput so far, 1 kB = 1000 B */
    double eta_s;
    unsigned window;
    size_t chunk;
} dfu_client_progress_t;

typedef struct dfu_client_upload_cfg {
    int image;        /* image number (0 = not sent) */
    bool upgrade;     /* ask the device to refuse non-newer versions */
    unsigned window;  /* max requests in flight; 0 = auto (device buf_count) */
    size_t max_chunk; /* cap on data bytes per request; 0 = none */
    void (*progress)(void *ctx, const dfu_client_progress_t *p); /* may be NULL */
    void *progress_ctx;
} dfu_client_upload_cfg_t;

typedef struct dfu_client_upload_stats {
    uint64_t bytes; /* file size */
    double seconds;
    double kBps;
    uint32_t requests; /* upload requests sent (incl. resends) */
    uint32_t resyncs;  /* offset mismatches followed */
    uint32_t timeouts;
    size_t chunk;          /* data bytes per full request */
    unsigned window_max;   /* largest window used */
    uint64_t resumed_from; /* offset the device resumed at (0 = fresh) */
    uint64_t acked;        /* bytes the device acknowledged when the upload ended */
    bool match_reported, match;
} dfu_client_upload_stats_t;

/* Prints one progress report: a bar with bytes, speed and ETA (tty, redrawn in place) or a plain
 * line (not a tty; the caller rate-limits). `prefix` starts plain lines. */
void dfu_client_progress_print(FILE *out, bool tty, const char *prefix,
                               const dfu_client_progress_t *p);

/* Data bytes per request so that the whole request (header + CBOR with `off`, and for the first
 * chunk `len`, `sha`, `image`, `upgrade`) fits `msg_max` (§4.4). Exposed for tests. */
size_t dfu_client_chunk_size(size_t msg_max, uint64_t total, bool first, int image, bool upgrade);

/* Largest request message given the params and the link (§4.4; BLE rounded to whole ATT
 * writes). */
size_t dfu_client_msg_max(const dfu_client_t *c, const dfu_client_params_t *p);

/* Uploads file[0..len) with the windowed protocol. Several clients may talk to one device; its
 * one upload session belongs to whoever sent the last first chunk (Zephyr's rule). An answer whose
 * `off` our session cannot have (behind what the device already acknowledged to us, beyond what we
 * sent, beyond our file) means another client restarted the session: the upload stops with
 * DFU_ERR_UPLOAD_TAKEN_OVER and nothing more is sent. Success needs the device's `match` for our
 * sha when it reports one; a device that does not report `match` has its image state read and
 * slot 1 must list our image's hash (image 0, MCUboot files) or DFU_ERR_UPLOAD_TAKEN_OVER.
 * Returns 0, DFU_ERR_DEVICE, DFU_ERR_HASH_MISMATCH (device reported match=false),
 * DFU_ERR_UPLOAD_TAKEN_OVER, or a link error. */
int dfu_client_upload(dfu_client_t *c, const uint8_t *file, size_t len,
                      const dfu_client_upload_cfg_t *cfg, dfu_client_upload_stats_t *st);

/* ---- Image files
 * ----------------------------------------------------------------------------------- */

typedef struct dfu_client_file {
    uint8_t *data; /* heap, owned */
    size_t len;
    uint8_t hash[32];     /* SHA256 TLV (what the device lists) */
    uint8_t file_sha[32]; /* SHA-256 of the whole file (upload `sha`) */
    char version[40];
    uint8_t ver_major, ver_minor;
    uint16_t ver_rev;
    uint32_t ver_build;
    uint32_t flags;
    bool hex;          /* the file was Intel HEX */
    uint32_t hex_base; /* its lowest address */
} dfu_client_file_t;

/* Loads and checks an MCUboot image file, binary or Intel HEX (as `dfukit image sign` writes
 * either; HEX is recognised by its content): magic, header, TLV area, SHA256 TLV present, file
 * length = header+body+TLVs. Writes a one-line reason to why on failure. */
int dfu_client_file_load(dfu_client_file_t *f, const char *path, char *why, size_t cap);
void dfu_client_file_free(dfu_client_file_t *f);

/* The SHA256 TLV (the hash the device lists for the image) of an MCUboot image in memory.
 * Returns 0, or an image error when data is not an MCUboot image with that TLV. */
int dfu_client_image_hash(const uint8_t *data, size_t len, uint8_t out[32]);

/* Compares a version string "a.b.c[.d]" with the file's version (<0, 0, >0 like strcmp). */
int dfu_client_version_cmp(const char *dev, const dfu_client_file_t *f);

/* ---- JSON + output
 * ------------------------------------------------------------------------------- */

/* Minimal streaming JSON writer (host). */
typedef struct dfu_json {
    FILE *out;
    int depth;
    bool need_comma[16];
    bool after_key;
} dfu_json_t;

void dfu_json_init(dfu_json_t *j, FILE *out);
void dfu_json_obj(dfu_json_t *j);
void dfu_json_obj_end(dfu_json_t *j);
void dfu_json_arr(dfu_json_t *j);
void dfu_json_arr_end(dfu_json_t *j);
void dfu_json_key(dfu_json_t *j, const char *k);
void dfu_json_str(dfu_json_t *j, const char *s);
void dfu_json_int(dfu_json_t *j, long long v);
void dfu_json_num(dfu_json_t *j, double v);
void dfu_json_bool(dfu_json_t *j, bool v);
void dfu_json_null(dfu_json_t *j);
/* Ends a top-level document with a newline. */
void dfu_json_end(dfu_json_t *j);

/* Writes the error fields {"error":{...}} of `e` (name, meaning, fix, codes) into an open
 * object. */
void dfu_json_err(dfu_json_t *j, const dfu_client_err_t *e);
/* Writes one boot record object (device keys, hash in hex, plus "explanation"). */
void dfu_json_bootrec(dfu_json_t *j, const dfu_client_bootrec_t *r, unsigned flags);
/* Writes one slot entry object. */
void dfu_json_slot(dfu_json_t *j, const dfu_client_state_t *st, int slot);

/* ---- update / doctor ---------------------------------------------------------------------------
 */

typedef enum dfu_client_mode {
    DFU_MODE_TEST_CONFIRM = 0,
    DFU_MODE_CONFIRM_ONLY,
    DFU_MODE_TEST_ONLY,
    DFU_MODE_UPLOAD_ONLY,
} dfu_client_mode_t;

/* What dfu_client_update reports to an observer (dfu_client_update_cfg_t.on_event): every step
 * line, every progress report (not rate-limited) and the verdict. Strings are valid during the
 * call only. */
typedef enum dfu_client_update_ev_kind {
    DFU_UPD_EV_STEP = 0, /* step, status ("ok", "fail", "info", ...), message */
    DFU_UPD_EV_PROGRESS, /* progress */
    DFU_UPD_EV_VERDICT,  /* the end: step (where it ended), message (the verdict's summary) */
} dfu_client_update_ev_kind_t;

typedef struct dfu_client_update_ev {
    dfu_client_update_ev_kind_t kind;
    const char *step, *status, *message;
    const dfu_client_progress_t *progress;
    /* DFU_UPD_EV_VERDICT only: */
    int exit_code;           /* what dfu_client_update returns */
    const char *outcome;     /* one word: "updated", "up-to-date" (the device already was where the
                              * mode ends: nothing changed), "reverted", "refused" (MCUboot refused
                              * the image), "unreachable" (the device never answered), "link-failed"
                              * (it answered, then the link failed or it did not come back),
                              * "interrupted", "failed" (any other stop) */
    const char *fix;         /* what to do: the error table's fix, or the verdict's next step */
    const char *old_version; /* slot 0 when the run started ("" = not read) */
    const char *version_now; /* slot 0 in a state read after the last change ("" = not known) */
    const char *target;      /* FILE's version ("" = FILE not read) */
} dfu_client_update_ev_t;

typedef struct dfu_client_update_cfg {
    dfu_client_mode_t mode;
    bool clear; /* clear a blocked secondary slot (reset / erase) before uploading */
    bool json;  /* NDJSON events on `out` */
    bool tty;   /* progress bar (else plain progress lines) */
    FILE *out;
    unsigned window; /* 0 = auto */
    int image;
    int wait_s; /* max seconds to wait for the device after reset; 0 = estimate */
    /* Several devices (dfu_client_update_many), all zero for one: */
    const char *device; /* the device's name (masked connection): plain lines start with
                         * "[device] ", NDJSON events carry "device" */
    bool quiet;         /* print nothing on `out` (the observer shows it: live terminal view) */
    void (*on_event)(void *ctx, const dfu_client_update_ev_t *ev); /* NULL = none */
    void *ev_ctx;
} dfu_client_update_cfg_t;

/* Runs `dfukit update`. Returns a process exit code (DFU_EXIT_*). Thread-safe: several may run at
 * once on different clients; every write to `out` is one locked stdio sequence (flockfile), so
 * lines and NDJSON events of several devices never mix. */
int dfu_client_update(dfu_client_t *c, const char *path, const dfu_client_update_cfg_t *cfg);

/* ---- several devices (client_many.c) -------------------------------------------------------- */

/* One `dfukit update FILE` over several devices at once: one thread and one client per device,
 * at most `parallel` running, each the same flow as dfu_client_update and independent of the
 * others. */
typedef struct dfu_client_many_cfg {
    const char *const *conns; /* connection strings */
    size_t n;
    unsigned parallel;       /* devices updated at once; 0 = all */
    dfu_client_cfg_t client; /* per-device client settings (conn is ignored; cancel stops all) */
    dfu_client_update_cfg_t update; /* mode, clear, json, window, image, wait_s; `tty` selects the
                                     * live terminal view; out (NULL = stdout) */
} dfu_client_many_cfg_t;

/* The process exit code over several devices: 0 when every one is 0; else 130 when any was
 * interrupted; else 1 when any stopped with 1 (a device state or image problem); else 4 (every
 * failure was a link failure). */
int dfu_client_many_exit(const int *codes, size_t n);

/* Runs the update on every device, prints the summary table (or NDJSON result/summary events),
 * returns dfu_client_many_exit() over the devices' exit codes. */
int dfu_client_update_many(const char *path, const dfu_client_many_cfg_t *cfg);

/* A stuck state found in the image state: id (as in doctor), cause and exact fix. */
typedef struct dfu_client_diag {
    char id[32];
    char cause[512];
    char fix[256];
} dfu_client_diag_t;

/* Reads the image state and explains the first stuck state (pending swap not applied, running
 * unconfirmed test image). Returns 1 and fills *out, or 0 when nothing is stuck / the state
 * cannot be read. c->err is preserved. Used after err 9 / 28 / rc 6 to say what to do. */
int dfu_client_diagnose(dfu_client_t *c, dfu_client_diag_t *out);

/* True if the device error in `e` is one a stuck image state explains (9, 28, v1 rc 6). */
bool dfu_client_err_is_state(const dfu_client_err_t *e);

/* Runs `dfukit doctor`. Returns a process exit code (0 = healthy, 1 = problems found). */
int dfu_client_doctor(dfu_client_t *c, bool json, FILE *out);

/* Waits for the device to answer again after a reset (reconnect + echo with back-off), up to
 * max_s seconds. 0 or DFU_ERR_TIMEOUT. */
int dfu_client_wait_back(dfu_client_t *c, double max_s);

#endif
