/*
 * libFuzzer harness: a series of image-management requests (upload chunks, state reads and
 * writes, erases, resets through the real boot core) against the SMP server on a RAM flash, with
 * a model of what a correct server may have written. After every step:
 *   1. bytes outside the two slots are untouched (the server owns only the slots);
 *   2. between resets, the primary slot changes at most in its image_ok unit (confirm);
 *   3. when the server reports an upload complete (off == len), the secondary holds exactly the
 *      bytes it acknowledged, at the image offset;
 *   4. every response header's length equals its payload.
 * Input: a sequence of 1-byte opcodes, each followed by its operands (see the switch).
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "dfukit/dfu_boot.h"
#include "dfukit/dfu_boot_validate.h"
#include "dfukit/dfu_cbor.h"
#include "dfukit/dfu_crypto.h"
#include "dfukit/dfu_err.h"
#include "dfukit/dfu_smp.h"
#include "dfukit/dfu_smp_img.h"
#include "dfukit/dfu_smp_os.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define SECTOR 1024u
#define GUARD (2u * SECTOR) /* "bootloader" area before the slots */
#define SLOT (16u * SECTOR) /* primary: one sector more for swap-move */
#define P_OFF GUARD
#define P_SIZE (SLOT + SECTOR)
#define S_OFF (P_OFF + P_SIZE)
#define S_SIZE SLOT
#define TAIL (2u * SECTOR) /* "storage" after the slots */
#define FLASH_SIZE (S_OFF + S_SIZE + TAIL)
#define FILE_MAX (8u * SECTOR)

#define REQUIRE(c)                                                                                 \
    do {                                                                                           \
        if (!(c)) {                                                                                \
            __builtin_trap();                                                                      \
        }                                                                                          \
    } while (0)

typedef struct harness {
    uint8_t mem[FLASH_SIZE];
    uint8_t primary_snap[P_SIZE];
    uint8_t model[FILE_MAX]; /* acknowledged upload bytes, by file offset */
    uint32_t model_len;      /* announced file length of the current session */
    uint32_t acked;          /* bytes acknowledged in order */
    uint8_t rsp[1024];
    size_t rsp_len;
    dfu_flash_t flash;
    dfu_smp_server_t srv;
    dfu_smp_os_t os;
    dfu_smp_img_t img;
    bool reset_requested;
} harness_t;

static harness_t h; /* one instance; re-initialised for every input */

static int rf_read(void *ctx, uint32_t off, void *buf, size_t len)
{
    (void)ctx;
    memcpy(buf, h.mem + off, len);
    return 0;
}

static int rf_write(void *ctx, uint32_t off, const void *buf, size_t len)
{
    (void)ctx;
    for (size_t i = 0; i < len; i++) {
        if (h.mem[off + i] != 0xff) {
            return DFU_ERR_FLASH_RULE;
        }
    }
    memcpy(h.mem + off, buf, len);
    return 0;
}

static int rf_erase(void *ctx, uint32_t off, size_t len)
{
    (void)ctx;
    memset(h.mem + off, 0xff, len);
    return 0;
}

static const dfu_flash_port_t port = {.read = rf_read,
                                      .write = rf_write,
                                      .erase = rf_erase,
                                      .size = FLASH_SIZE,
                                      .sector_size = SECTOR,
                                      .write_align = 4,
                                      .erased_val = 0xff};

static int on_send(void *ctx, const uint8_t *msg, size_t len)
{
    (void)ctx;
    REQUIRE(len >= 8 && (size_t)((msg[2] << 8) | msg[3]) == len - 8);
    REQUIRE(len <= sizeof(h.rsp));
    memcpy(h.rsp, msg, len);
    h.rsp_len = len;
    return 0;
}

static void on_reset(void *ctx, uint8_t mode)
{
    (void)ctx;
    (void)mode;
    h.reset_requested = true;
}

static const dfu_smp_os_port_t os_port = {.reset = on_reset};

static void put_le(uint8_t *p, uint32_t v, int n)
{
    for (int i = 0; i < n; i++) {
        p[i] = (uint8_t)(v >> (8 * i));
    }
}

/* A hash-only MCUboot image of `body` payload bytes (fill pattern `seed`) into `out`; returns
 * its length. */
static uint32_t make_image(uint8_t *out, uint32_t body, uint8_t seed, uint8_t ver)
{
    const dfu_crypto_port_t *c = dfu_crypto_default();
    memset(out, 0, 32);
    put_le(out, 0x96f3b83du, 4);
    put_le(out + 8, 32, 2);
    put_le(out + 12, body, 4);
    out[20] = ver;
    for (uint32_t i = 0; i < body; i++) {
        out[32 + i] = (uint8_t)(seed + i * 13u);
    }
    uint8_t *t = out + 32 + body;
    put_le(t, 0x6907, 2);
    put_le(t + 2, 40, 2);
    put_le(t + 4, 0x10, 2);
    put_le(t + 6, 32, 2);
    dfu_hash_ctx_t hc;
    REQUIRE(c->hash_init(c->ctx, &hc, DFU_HASH_SHA256) == 0);
    REQUIRE(c->hash_update(c->ctx, &hc, out, 32 + body) == 0);
    REQUIRE(c->hash_finish(c->ctx, &hc, t + 8) == 0);
    return 32 + body + 40;
}

static void setup(void)
{
    static uint8_t primary_img[4096];
    static uint32_t primary_len;
    if (primary_len == 0) {
        primary_len = make_image(primary_img, 3000, 1, 1);
    }
    memset(h.mem, 0xff, sizeof(h.mem));
    memset(h.mem, 0xa5, GUARD);
    memset(h.mem + S_OFF + S_SIZE, 0x5a, TAIL);
    memcpy(h.mem + P_OFF, primary_img, primary_len);
    memcpy(h.primary_snap, h.mem + P_OFF, P_SIZE);
    h.model_len = 0;
    h.acked = 0;
    h.reset_requested = false;
    REQUIRE(dfu_flash_init(&h.flash, &port) == 0);
    dfu_smp_server_cfg_t scfg = {.buf = h.rsp, .buf_size = 512, .send = on_send};
    static uint8_t rspbuf[512];
    scfg.buf = rspbuf;
    dfu_smp_os_cfg_t ocfg = {.port = &os_port};
    dfu_smp_img_cfg_t icfg;
    memset(&icfg, 0, sizeof(icfg));
    icfg.primary = (dfu_flash_area_t){&h.flash, P_OFF, P_SIZE, 1};
    icfg.secondary = (dfu_flash_area_t){&h.flash, S_OFF, S_SIZE, 2};
    icfg.crypto = dfu_crypto_default();
    REQUIRE(dfu_smp_server_init(&h.srv, &scfg) == 0);
    REQUIRE(dfu_smp_os_register(&h.srv, &h.os, &ocfg) == 0);
    REQUIRE(dfu_smp_img_register(&h.srv, &h.img, &icfg) == 0);
}

/* Sends one request (header + CBOR from `w`) and runs the post-send action. */
static void request(uint8_t op, uint16_t group, uint8_t id, const uint8_t *payload, size_t plen)
{
    uint8_t msg[1200];
    if (plen > sizeof(msg) - 8) {
        return;
    }
    dfu_smp_hdr_t hd = {.op = op, .version = 1, .len = (uint16_t)plen, .group = group, .id = id};
    dfu_smp_hdr_encode(&hd, msg);
    memcpy(msg + 8, payload, plen);
    h.rsp_len = 0;
    (void)dfu_smp_server_process(&h.srv, msg, plen + 8, 1);
}

/* The response's "off" and whether an error was reported. */
static bool response_off(uint64_t *off)
{
    if (h.rsp_len < 8) {
        return false;
    }
    uint64_t rc = 0;
    dfu_cbor_key_t keys[] = {{"off", DFU_CBOR_WANT_UINT, 0, off},
                             {"rc", DFU_CBOR_WANT_UINT, 0, &rc}};
    uint32_t found = 0;
    if (dfu_cbor_decode_map(h.rsp + 8, h.rsp_len - 8, keys, 2, &found) != 0) {
        return false;
    }
    return (found & 1u) && !((found & 2u) && rc != 0);
}

static void op_upload(const uint8_t *p, size_t n, const uint8_t *file, uint32_t flen)
{
    /* operands: off_lo, off_hi, len, first-flag */
    if (n < 4 || flen == 0) {
        return;
    }
    /* flag bit 0: first chunk (carries len); bit 1: continue at the acknowledged offset */
    uint32_t off = ((uint32_t)p[0] | (uint32_t)p[1] << 8) % (flen + 64);
    uint32_t len = p[2] + 1u;
    bool first = p[3] & 1u;
    if (p[3] & 2u) {
        off = first ? 0 : h.acked;
        len = 4u * (p[2] + 1u);
    }
    if (off <= flen && len > flen - off) {
        len = flen - off;
    }
    uint8_t buf[600];
    dfu_cbor_writer_t w;
    dfu_cbor_writer_init(&w, buf, sizeof(buf));
    const uint8_t *chunk = off < flen ? file + off : file;
    bool ok = dfu_cbor_put_map(&w, first ? 3 : 2) && dfu_cbor_put_str(&w, "off") &&
              dfu_cbor_put_uint(&w, off) && dfu_cbor_put_str(&w, "data") &&
              dfu_cbor_put_bstr(&w, chunk, off < flen ? len : 0);
    if (first) {
        ok = ok && dfu_cbor_put_str(&w, "len") && dfu_cbor_put_uint(&w, flen);
    }
    if (!ok) {
        return;
    }
    request(DFU_SMP_OP_WRITE, 1, 1, buf, w.len);
    uint64_t roff = 0;
    if (!response_off(&roff)) {
        return;
    }
    if (first && off == 0) {
        h.model_len = flen;
        h.acked = 0;
    }
    if (h.model_len == flen && off == h.acked && roff == (uint64_t)off + len && off < flen) {
        memcpy(h.model + off, chunk, len);
        h.acked = (uint32_t)roff;
    }
    if (h.model_len != 0 && h.acked == h.model_len && roff == h.model_len) {
        uint32_t io = dfu_boot_secondary_image_off(&h.img.cfg.trailer, &h.img.cfg.secondary);
        REQUIRE(memcmp(h.mem + S_OFF + io, h.model, h.model_len) == 0);
    }
}

static void op_reset(void)
{
    static uint8_t cbuf[SECTOR];
    static uint8_t scratch[1024];
    dfu_boot_imgval_t iv;
    memset(&iv, 0, sizeof(iv));
    iv.verify.crypto = dfu_crypto_default();
    iv.verify.scratch = scratch;
    iv.verify.scratch_len = sizeof(scratch);
    dfu_boot_cfg_t bc;
    memset(&bc, 0, sizeof(bc));
    bc.primary = h.img.cfg.primary;
    bc.secondary = h.img.cfg.secondary;
    bc.buf = cbuf;
    bc.buf_len = sizeof(cbuf);
    dfu_boot_image_validator(&bc.validator, &iv);
    dfu_boot_t b;
    dfu_boot_result_t r;
    REQUIRE(dfu_boot_init(&b, &bc) == 0);
    int rc = dfu_boot_go(&b, &r);
    /* The primary always held a valid image; the bootloader must keep one bootable. */
    REQUIRE(rc == 0 && r.booted);
    memcpy(h.primary_snap, h.mem + P_OFF, P_SIZE);
    h.model_len = 0;
    h.acked = 0;
    h.reset_requested = false;
}

static void check_invariants(void)
{
    for (uint32_t i = 0; i < GUARD; i++) {
        REQUIRE(h.mem[i] == 0xa5);
    }
    for (uint32_t i = 0; i < TAIL; i++) {
        REQUIRE(h.mem[S_OFF + S_SIZE + i] == 0x5a);
    }
    dfu_boot_trailer_layout_t lay;
    REQUIRE(dfu_boot_trailer_layout(&h.img.cfg.trailer, P_SIZE, 4, &lay) == 0);
    for (uint32_t i = 0; i < P_SIZE; i++) {
        if (i >= lay.image_ok_off && i < lay.image_ok_off + 8u) {
            continue;
        }
        REQUIRE(h.mem[P_OFF + i] == h.primary_snap[i]);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static uint8_t file[FILE_MAX];
    setup();
    uint32_t flen = 0;
    size_t i = 0;
    while (i < size) {
        uint8_t op = data[i++] % 8u;
        const uint8_t *p = data + i;
        size_t n = size - i;
        switch (op) {
        case 0: /* new file: body size and pattern */
            if (n >= 2) {
                flen = make_image(file, 200u + (uint32_t)p[0] * 24u, p[1], (uint8_t)(2 + p[1] % 3));
                i += 2;
            }
            break;
        case 1:
            op_upload(p, n, file, flen);
            i += n < 4 ? n : 4;
            break;
        case 2: /* state read */
            request(DFU_SMP_OP_READ, 1, 0, (const uint8_t *)"\xa0", 1);
            break;
        case 3: { /* state write: test (or confirm) the file's hash */
            uint8_t buf[64];
            dfu_cbor_writer_t w;
            dfu_cbor_writer_init(&w, buf, sizeof(buf));
            bool confirm = n > 0 && (p[0] & 1u);
            if (flen > 40 && dfu_cbor_put_map(&w, 2) && dfu_cbor_put_str(&w, "hash") &&
                dfu_cbor_put_bstr(&w, file + flen - 32, 32) && dfu_cbor_put_str(&w, "confirm") &&
                dfu_cbor_put_bool(&w, confirm)) {
                request(DFU_SMP_OP_WRITE, 1, 0, buf, w.len);
            }
            i += n > 0 ? 1 : 0;
            break;
        }
        case 4: /* confirm the running image */
            request(DFU_SMP_OP_WRITE, 1, 0,
                    (const uint8_t *)"\xa1\x67"
                                     "confirm\xf5",
                    10);
            break;
        case 5: { /* erase slot 1 (or 0) */
            uint8_t buf[16];
            dfu_cbor_writer_t w;
            dfu_cbor_writer_init(&w, buf, sizeof(buf));
            uint64_t slot = n > 0 ? (p[0] & 1u) : 1u;
            if (dfu_cbor_put_map(&w, 1) && dfu_cbor_put_str(&w, "slot") &&
                dfu_cbor_put_uint(&w, slot)) {
                request(DFU_SMP_OP_WRITE, 1, 5, buf, w.len);
            }
            i += n > 0 ? 1 : 0;
            break;
        }
        case 6: /* OS reset request, then the "device" reboots */
            request(DFU_SMP_OP_WRITE, 0, 5, (const uint8_t *)"\xa0", 1);
            if (h.reset_requested) {
                op_reset();
            }
            break;
        default: { /* raw request bytes: length byte, then that many bytes */
            size_t len = n > 0 ? p[0] : 0;
            if (len + 1 > n) {
                len = n > 0 ? n - 1 : 0;
            }
            if (len >= 8) {
                h.rsp_len = 0;
                (void)dfu_smp_server_process(&h.srv, p + 1, len, 1);
                if (h.reset_requested) {
                    op_reset();
                }
            }
            i += n > 0 ? 1 + len : 0;
            break;
        }
        }
        check_invariants();
    }
    return 0;
}
