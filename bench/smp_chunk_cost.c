/*
 * SMP server cost per upload chunk, measured in instructions under callgrind by
 * scripts/bench_callgrind.sh.
 *
 *   smp_chunk_cost N          set up a server (OS + Image groups, RAM flash, nrf52832 slots) and
 *                             push N upload requests of CHUNK data bytes each (N = 0: setup only)
 *   smp_chunk_cost flashonly  set up, then erase + write the same bytes straight through the
 *                             counted flash interface (the floor any server must pay)
 *
 * The script reports (instr(N) - instr(0)) / N as the server's cost per chunk and the flash-only
 * cost per chunk as the reference, in the same run.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dfukit/dfu_cbor.h"
#include "dfukit/dfu_crypto.h"
#include "dfukit/dfu_err.h"
#include "dfukit/dfu_flash.h"
#include "dfukit/dfu_smp.h"
#include "dfukit/dfu_smp_img.h"
#include "dfukit/dfu_smp_os.h"

#define FLASH_SIZE 0x80000u
#define SLOT0 0xC000u
#define SLOT1 0x3E000u
#define SLOT_SIZE 0x32000u
#define CHUNK 256u
#define NCHUNKS_MAX 700u

static uint8_t *g_flash; /* bench harness state (host only) */

static int ram_read(void *ctx, uint32_t off, void *buf, size_t len)
{
    (void)ctx;
    memcpy(buf, g_flash + off, len);
    return 0;
}

static int ram_write(void *ctx, uint32_t off, const void *buf, size_t len)
{
    (void)ctx;
    const uint8_t *src = buf;
    for (size_t i = 0; i < len; i++) {
        g_flash[off + i] &= src[i]; /* NOR: program only clears bits */
    }
    return 0;
}

static int ram_erase(void *ctx, uint32_t off, size_t len)
{
    (void)ctx;
    memset(g_flash + off, 0xff, len);
    return 0;
}

static int null_send(void *ctx, const uint8_t *msg, size_t len)
{
    (void)ctx;
    (void)msg;
    (void)len;
    return 0;
}

/* Builds one upload request (group 1, cmd 1, WRITE, SMP v2) into `out`; returns its length. */
static size_t build_upload(uint8_t *out, size_t cap, uint32_t off, uint32_t total,
                           const uint8_t *data, size_t len, uint8_t seq)
{
    dfu_cbor_writer_t w;
    dfu_cbor_writer_init(&w, out + DFU_SMP_HDR_SIZE, cap - DFU_SMP_HDR_SIZE);
    uint8_t sha[32] = {0};
    bool ok = dfu_cbor_put_map(&w, off == 0 ? 5 : 2);
    if (off == 0) {
        ok = ok && dfu_cbor_put_str(&w, "image") && dfu_cbor_put_uint(&w, 0) &&
             dfu_cbor_put_str(&w, "len") && dfu_cbor_put_uint(&w, total) &&
             dfu_cbor_put_str(&w, "sha") && dfu_cbor_put_bstr(&w, sha, sizeof(sha));
    }
    ok = ok && dfu_cbor_put_str(&w, "off") && dfu_cbor_put_uint(&w, off) &&
         dfu_cbor_put_str(&w, "data") && dfu_cbor_put_bstr(&w, data, len);
    if (!ok) {
        return 0;
    }
    size_t plen = w.len;
    dfu_smp_hdr_t h = {.version = 1,
                       .op = DFU_SMP_OP_WRITE,
                       .len = (uint16_t)plen,
                       .group = 1,
                       .seq = seq,
                       .id = 1};
    dfu_smp_hdr_encode(&h, out);
    return DFU_SMP_HDR_SIZE + plen;
}

int main(int argc, char **argv)
{
    const char *mode = argc > 1 ? argv[1] : "0";
    g_flash = malloc(FLASH_SIZE);
    if (g_flash == NULL) {
        return 1;
    }
    memset(g_flash, 0xff, FLASH_SIZE);
    dfu_flash_port_t port = {NULL, ram_read, ram_write, ram_erase, FLASH_SIZE, 4096, 4, 0xff};
    dfu_flash_t flash;
    static dfu_smp_server_t srv;
    static dfu_smp_os_t os;
    static dfu_smp_img_t img;
    static uint8_t rsp[1024];
    dfu_smp_server_cfg_t scfg = {.buf = rsp, .buf_size = sizeof(rsp), .send = null_send};
    dfu_smp_os_cfg_t ocfg = {.buf_count = 4};
    dfu_smp_img_cfg_t icfg;
    memset(&icfg, 0, sizeof(icfg));
    icfg.primary = (dfu_flash_area_t){&flash, SLOT0, SLOT_SIZE, 1};
    icfg.secondary = (dfu_flash_area_t){&flash, SLOT1, SLOT_SIZE, 2};
    icfg.crypto = dfu_crypto_default();
    if (dfu_flash_init(&flash, &port) != 0 || dfu_smp_server_init(&srv, &scfg) != 0 ||
        dfu_smp_os_register(&srv, &os, &ocfg) != 0 ||
        dfu_smp_img_register(&srv, &img, &icfg) != 0) {
        fprintf(stderr, "smp_chunk_cost: setup failed\n");
        return 1;
    }
    uint8_t data[CHUNK];
    for (size_t i = 0; i < CHUNK; i++) {
        data[i] = (uint8_t)(i * 7u + 1u);
    }
    /* A plausible image header in the first chunk so the server's header check passes. */
    memset(data, 0, 32);
    data[0] = 0x3d, data[1] = 0xb8, data[2] = 0xf3, data[3] = 0x96;
    data[8] = 0x00, data[9] = 0x02;                    /* hdr_size 0x200 */
    data[12] = 0x00, data[13] = 0x00, data[14] = 0x02; /* img_size 0x20000 */
    if (strcmp(mode, "flashonly") == 0) {
        const dfu_flash_area_t *s = &icfg.secondary;
        uint32_t n = 200;
        for (uint32_t off = 0; off < n * CHUNK; off += CHUNK) {
            if (off % 4096u == 0 && dfu_flash_erase(s, off, 4096) != 0) {
                return 1;
            }
            if (dfu_flash_write(s, off, data, CHUNK) != 0) {
                return 1;
            }
        }
        printf("flashonly: %u chunks of %u bytes written\n", n, CHUNK);
        return 0;
    }
    unsigned long n = strtoul(mode, NULL, 10);
    if (n > NCHUNKS_MAX) {
        fprintf(stderr, "usage: smp_chunk_cost N(<=%u)|flashonly\n", NCHUNKS_MAX);
        return 2;
    }
    uint32_t total = (uint32_t)(NCHUNKS_MAX * CHUNK);
    uint8_t req[CHUNK + 128];
    for (unsigned long i = 0; i < n; i++) {
        size_t len =
            build_upload(req, sizeof(req), (uint32_t)(i * CHUNK), total, data, CHUNK, (uint8_t)i);
        size_t rsp_len = 0;
        bool stop = false;
        int rc = len ? dfu_smp_server_handle(&srv, req, len, 1, &rsp_len, &stop) : -1;
        if (rc < 0 || stop) {
            fprintf(stderr, "smp_chunk_cost: chunk %lu refused (%d)\n", i, rc);
            return 1;
        }
    }
    printf("upload: %lu chunks of %u bytes accepted, %u flash writes\n", n, CHUNK,
           flash.stats.writes);
    free(g_flash);
    return 0;
}
