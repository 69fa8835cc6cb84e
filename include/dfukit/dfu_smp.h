/*
 * SMP (MCUmgr Simple Management Protocol): frame header codec, the device-side server core
 * (dispatcher), and the link-security policy.
 *
 * Wire facts: ../shared/docs/smp-protocol.md (header §1.1, version handling §1.2, errors §2).
 *
 * Server model (no heap, no globals):
 *   - the embedding app allocates a dfu_smp_server_t and one response buffer (>= 384 bytes,
 *     Zephyr's default netbuf size) and calls dfu_smp_server_init();
 *   - groups are registered explicitly (dfu_smp_server_register, or the group helpers in
 *     dfu_smp_os.h / dfu_smp_img.h); each group is a const table of {read, write} handlers
 *     indexed by command id, plus a const table mapping dfu_err codes to its group error codes;
 *   - the transport hands every received buffer (one or more whole SMP messages) to
 *     dfu_smp_server_process() together with the link's security level; responses leave through
 *     the `send` callback, one per request, in order.
 * The dispatcher alone builds response headers, opens/closes the response map and builds every
 * error response. dfu_err -> SMP wire code translation happens in exactly one function.
 */
#ifndef DFUKIT_DFU_SMP_H
#define DFUKIT_DFU_SMP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dfukit/dfu_cbor.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- Frame header ------------------------------------------------------------------------- */

#define DFU_SMP_HDR_SIZE 8u

/* Header op (3 bits). 4..7 are invalid. */
#define DFU_SMP_OP_READ 0u
#define DFU_SMP_OP_READ_RSP 1u
#define DFU_SMP_OP_WRITE 2u
#define DFU_SMP_OP_WRITE_RSP 3u

/* Header version (2 bits): 0 = SMP v1 (legacy), 1 = SMP v2; 2 and 3 reserved. */
#define DFU_SMP_VER1 0u
#define DFU_SMP_VER2 1u

/* Group ids. */
#define DFU_SMP_GROUP_OS 0u
#define DFU_SMP_GROUP_IMAGE 1u

typedef struct dfu_smp_hdr {
    uint8_t op;       /* DFU_SMP_OP_* (0..7 as on the wire) */
    uint8_t version;  /* 0..3 */
    uint8_t reserved; /* byte-0 bits 7..5 as received; always encoded as 0 */
    uint8_t flags;    /* as received; responses use 0 */
    uint16_t len;     /* CBOR payload length (header excluded) */
    uint16_t group;
    uint8_t seq;
    uint8_t id; /* command id */
} dfu_smp_hdr_t;

/* Decodes the 8-byte big-endian header from buf (len >= 8). Returns 0 or DFU_ERR_CORRUPT
 * (fewer than 8 bytes). Does not check that the payload is present. */
int dfu_smp_hdr_decode(const uint8_t *buf, size_t len, dfu_smp_hdr_t *hdr);

/* Encodes `hdr` into out[0..8) (reserved bits written as 0). */
void dfu_smp_hdr_encode(const dfu_smp_hdr_t *hdr, uint8_t out[DFU_SMP_HDR_SIZE]);

/* ---- SMP-level return codes (MGMT_ERR_*, the `rc` key) ---------------------------------- */

#define DFU_SMP_RC_OK 0
#define DFU_SMP_RC_EUNKNOWN 1
#define DFU_SMP_RC_ENOMEM 2
#define DFU_SMP_RC_EINVAL 3
#define DFU_SMP_RC_ETIMEOUT 4
#define DFU_SMP_RC_ENOENT 5
#define DFU_SMP_RC_EBADSTATE 6
#define DFU_SMP_RC_EMSGSIZE 7
#define DFU_SMP_RC_ENOTSUP 8
#define DFU_SMP_RC_ECORRUPT 9
#define DFU_SMP_RC_EBUSY 10
#define DFU_SMP_RC_EACCESSDENIED 11
#define DFU_SMP_RC_TOO_OLD 12
#define DFU_SMP_RC_TOO_NEW 13

/* ---- Groups -------------------------------------------------------------------------------- */

typedef struct dfu_smp_server dfu_smp_server_t;
typedef struct dfu_smp_req dfu_smp_req_t;

/* A command handler. It decodes the request with dfu_smp_req_decode(), writes the response map's
 * key/value pairs with req->w (the dispatcher has opened the map and closes it), and returns 0,
 * or a negative dfu_err (the dispatcher then discards what was written and builds the error
 * response; a handler may attach a reason with dfu_smp_req_set_rsn()). */
typedef int (*dfu_smp_handler_fn)(dfu_smp_req_t *req);

/* One command: the handler for READ and for WRITE (NULL = op not supported -> rc 8). */
typedef struct dfu_smp_handler {
    dfu_smp_handler_fn read;
    dfu_smp_handler_fn write;
} dfu_smp_handler_t;

/* One entry of a group's error table: which dfu_err becomes which group error. `legacy_rc` is
 * the SMP v1 `rc` for the same condition (the group's translation function in Zephyr terms). */
typedef struct dfu_smp_errmap {
    int err;           /* negative dfu_err */
    uint16_t group_rc; /* err.rc in SMP v2 */
    uint8_t legacy_rc; /* rc in SMP v1 */
} dfu_smp_errmap_t;

/* A management group: const, usually static at the bottom of its source file. */
typedef struct dfu_smp_group {
    uint16_t id;
    const dfu_smp_handler_t *handlers; /* indexed by command id */
    size_t count;                      /* entries in handlers */
    const dfu_smp_errmap_t *errmap;    /* dfu_err -> group error; NULL = none */
    size_t errmap_count;
} dfu_smp_group_t;

/* ---- Link-security policy ---------------------------------------------------------------- */

/* BLE-style link security levels, as reported by the transport. */
#define DFU_SMP_SEC_NONE 1u    /* L1: no encryption */
#define DFU_SMP_SEC_ENCRYPT 2u /* L2: encrypted, not authenticated (Just Works) */
#define DFU_SMP_SEC_AUTHEN 3u  /* L3: encrypted + MITM authenticated */
#define DFU_SMP_SEC_LESC 4u    /* L4: authenticated LE Secure Connections */

/* Op mask bits for policy rules. */
#define DFU_SMP_POL_READ 0x1u
#define DFU_SMP_POL_WRITE 0x2u
#define DFU_SMP_POL_ANY_CMD 0xffu

/* Minimum level for (group, cmd, op); the first matching rule wins. */
typedef struct dfu_smp_policy_rule {
    uint16_t group;
    uint8_t cmd; /* command id, or DFU_SMP_POL_ANY_CMD */
    uint8_t ops; /* DFU_SMP_POL_READ | DFU_SMP_POL_WRITE */
    uint8_t min_level;
} dfu_smp_policy_rule_t;

typedef struct dfu_smp_policy {
    const char *name;
    const dfu_smp_policy_rule_t *rules;
    size_t count;
    uint8_t default_read;  /* level for reads no rule matches (0 = L1) */
    uint8_t default_write; /* level for writes no rule matches (0 = L1) */
} dfu_smp_policy_t;

/* Presets. `open`: everything at L1. `secure`: echo, MCUmgr params, bootloader info and image
 * state read at L1; other reads at L2; every write (reset, datetime set, image state write,
 * upload, erase, ...) at L3. */
extern const dfu_smp_policy_t dfu_smp_policy_open;
extern const dfu_smp_policy_t dfu_smp_policy_secure;

/* Minimum link level the policy requires for (group, cmd, op). NULL policy = open (1). */
uint8_t dfu_smp_policy_required(const dfu_smp_policy_t *pol, uint16_t group, uint8_t cmd,
                                uint8_t op);

/* For a BLE transport: the ATT error to return for a request on a link at `level` that the
 * policy requires `required` for (a CCCD write or a Write Request): 0 if allowed, else 0x05
 * (Insufficient Authentication, what current Zephyr returns to an unbonded peer; phones start
 * pairing on it). */
uint8_t dfu_smp_policy_att_error(uint8_t level, uint8_t required);

/* ATT error for an SMP `rc` produced by the server: 0x05 for rc 11 (access denied), else 0. */
uint8_t dfu_smp_att_error_for_rc(int rc);

/* ---- Server -------------------------------------------------------------------------------- */

#define DFU_SMP_BUF_MIN 384u /* smallest response buffer accepted (Zephyr's default) */
#define DFU_SMP_MAX_GROUPS 8u

/* Server configuration. Zeroed fields mean the default. */
typedef struct dfu_smp_server_cfg {
    uint8_t *buf;    /* response buffer (header + CBOR), >= DFU_SMP_BUF_MIN; required */
    size_t buf_size; /* its size; reported as `buf_size` by OS cmd 6 */
    /* Sends one response message (header + payload). Required by dfu_smp_server_process(). */
    int (*send)(void *ctx, const uint8_t *msg, size_t len);
    void *send_ctx;
    const dfu_smp_policy_t *policy; /* NULL = dfu_smp_policy_open */
    bool no_v1;  /* true: refuse SMP v1 requests with rc 12 (original protocol not supported) */
    bool no_rsn; /* true: never add "rsn" to error responses (Zephyr default build) */
} dfu_smp_server_cfg_t;

/* Group registration slot (inside the server). */
typedef struct dfu_smp_group_reg {
    const dfu_smp_group_t *group;
    void *ctx; /* group instance, handed to handlers as req->gctx */
} dfu_smp_group_reg_t;

struct dfu_smp_server {
    dfu_smp_server_cfg_t cfg;
    dfu_smp_group_reg_t groups[DFU_SMP_MAX_GROUPS];
    size_t ngroups;
    uint32_t requests;           /* messages handled */
    uint32_t errors;             /* error responses built */
    void (*after_fn)(void *ctx); /* post-send action of the last handled message */
    void *after_ctx;
};

/* Per-request context handed to handlers. */
struct dfu_smp_req {
    dfu_smp_server_t *srv;
    void *gctx;               /* the group's registered instance */
    const dfu_smp_hdr_t *hdr; /* request header */
    const uint8_t *payload;   /* request CBOR (hdr->len bytes, may be 0) */
    size_t payload_len;
    uint8_t link_level;            /* security level of the link the request came on */
    dfu_cbor_writer_t *w;          /* response writer, inside the open response map */
    const char *rsn;               /* reason text for an error response (static string) */
    void (*after_send)(void *ctx); /* run after the response was handed to `send` */
    void *after_ctx;
};

/* Validates cfg (buf non-NULL, buf_size >= DFU_SMP_BUF_MIN and <= 65535 + 8) and resets the
 * server. Returns 0 or DFU_ERR_INVAL. */
int dfu_smp_server_init(dfu_smp_server_t *srv, const dfu_smp_server_cfg_t *cfg);

/* Registers `group` with instance `ctx`. DFU_ERR_EXIST if the id is taken, DFU_ERR_NOSPC if
 * DFU_SMP_MAX_GROUPS are registered, DFU_ERR_INVAL for a bad group. */
int dfu_smp_server_register(dfu_smp_server_t *srv, const dfu_smp_group_t *group, void *ctx);

/* Handles the first SMP message in in[0..in_len) that arrived on a link at `link_level`
 * (1..4; 0 is treated as 1) and builds its response in the configured buffer.
 * Returns the number of input bytes consumed (>0) and sets *rsp_len (0 = no response), or a
 * negative dfu_err: DFU_ERR_CORRUPT when fewer than 8 bytes are present (nothing to answer).
 * A message whose payload is shorter than the header says gets {"rc": 9} and consumes all
 * input. *stop is set when processing of the buffer must end after this message (an error
 * response was built). `after_send` actions are NOT run here; dfu_smp_server_process() runs
 * them, or use dfu_smp_server_finish() after sending yourself. */
int dfu_smp_server_handle(dfu_smp_server_t *srv, const uint8_t *in, size_t in_len,
                          uint8_t link_level, size_t *rsp_len, bool *stop);

/* Runs the post-send action requested by the last handled message (e.g. the OS reset), once. */
void dfu_smp_server_finish(dfu_smp_server_t *srv);

/* Processes every message in the buffer in order, sending one response each through cfg.send,
 * and stops after the first error response (Zephyr's smp_process_request_packet). Returns the
 * number of responses sent, or a negative dfu_err (DFU_ERR_CORRUPT for a trailing fragment of
 * fewer than 8 bytes; send failures pass through). */
int dfu_smp_server_process(dfu_smp_server_t *srv, const uint8_t *in, size_t in_len,
                           uint8_t link_level);

/* Decodes the request payload through a key table (see dfu_cbor_decode_map). A failure is an
 * SMP-level error (DFU_ERR_BAD_CBOR -> rc 3). */
int dfu_smp_req_decode(dfu_smp_req_t *req, const dfu_cbor_key_t *keys, size_t nkeys,
                       uint32_t *found);

/* Attaches a short static reason to the error the handler is about to return. */
void dfu_smp_req_set_rsn(dfu_smp_req_t *req, const char *rsn);

/* Requests `fn(ctx)` to run after this request's response has been sent (success only). */
void dfu_smp_req_after_send(dfu_smp_req_t *req, void (*fn)(void *ctx), void *ctx);

/* The one dfu_err -> wire translation. For error `err` (<0) returned while handling a request
 * for `group` (NULL = SMP level), fills: *group_rc (0 if the error is not group specific),
 * *rc (the SMP-level rc used for v1 / non-group errors). */
void dfu_smp_translate_err(const dfu_smp_group_t *group, int err, uint16_t *group_rc, uint16_t *rc);

/* Short default reason for an SMP-level rc (for "rsn"), never NULL. */
const char *dfu_smp_rc_str(int rc);

#ifdef __cplusplus
}
#endif
#endif
