/*
 * Image group: upload (smp-protocol.md §4.2), Zephyr's algorithm with progressive erase.
 *
 * Erase order matters for power loss and for cancelling a scheduled swap: the secondary's
 * trailer sectors are erased when a session starts, before any image byte is written, so a
 * reset in the middle of an upload never finds a "pending" magic next to a half-written image.
 * Body sectors are erased just before the first write that reaches them (skipped when blank).
 * Writes are kept aligned to the flash write unit; a partial unit waits in `tail` until more
 * data arrives, and the last one is padded with the erased value.
 */
#include <string.h>

#include "dfukit/dfu_err.h"
#include "img_priv.h"

/* Request fields of one chunk. */
typedef struct chunk {
    uint64_t off;
    uint64_t len;
    uint64_t image;
    dfu_cbor_str_t data;
    dfu_cbor_str_t sha;
    bool upgrade;
    uint32_t found; /* bit per key, in key-table order */
} chunk_t;

#define F_OFF 0x01u
#define F_DATA 0x02u
#define F_LEN 0x04u
#define F_SHA 0x10u

static int decode_chunk(dfu_smp_req_t *req, chunk_t *c)
{
    memset(c, 0, sizeof(*c));
    const dfu_cbor_key_t keys[] = {
        {"off", DFU_CBOR_WANT_UINT, 0, &c->off}, {"data", DFU_CBOR_WANT_BSTR, 0, &c->data},
        {"len", DFU_CBOR_WANT_UINT, 0, &c->len}, {"image", DFU_CBOR_WANT_UINT, 0, &c->image},
        {"sha", DFU_CBOR_WANT_BSTR, 0, &c->sha}, {"upgrade", DFU_CBOR_WANT_BOOL, 0, &c->upgrade},
    };
    return dfu_smp_req_decode(req, keys, sizeof(keys) / sizeof(keys[0]), &c->found);
}

/* ==== Flash side ============================================================================= */

int dfu_smp_img_erase_range(const dfu_smp_img_t *img, uint32_t from, uint32_t to)
{
    const dfu_flash_area_t *fa = &img->cfg.secondary;
    uint32_t sec = dfu_flash_sector_size(fa);
    for (uint32_t s = from - from % sec; s < to; s += sec) {
        int blank = dfu_flash_is_erased(fa, s, sec);
        if (blank < 0) {
            return blank;
        }
        if (blank == 0) {
            int rc = dfu_flash_erase(fa, s, sec);
            if (rc == DFU_ERR_IO) {
                return DFU_ERR_SMP_ERASE_FAILED; /* err 13, not the write failure's 12 */
            }
            if (rc != 0) {
                return rc;
            }
        }
    }
    return 0;
}

/* Makes sure slot bytes up to `end` are erased (trailer sectors were erased at start). */
static int erase_ahead(dfu_smp_img_t *img, uint32_t end)
{
    dfu_smp_img_upload_t *u = &img->up;
    if (end <= u->erased_to) {
        return 0;
    }
    uint32_t sec = dfu_flash_sector_size(&img->cfg.secondary);
    uint32_t to = end + (sec - end % sec) % sec;
    if (to > img->trailer_start) {
        to = img->trailer_start;
    }
    if (to > u->erased_to) {
        int rc = dfu_smp_img_erase_range(img, u->erased_to, to);
        if (rc != 0) {
            return rc;
        }
        u->erased_to = to;
    }
    if (end > u->erased_to && end > img->trailer_start) {
        u->erased_to = end; /* the rest lies in the trailer sectors, erased at start */
    }
    return 0;
}

static int flash_put(dfu_smp_img_t *img, const uint8_t *p, size_t n)
{
    dfu_smp_img_upload_t *u = &img->up;
    int rc = erase_ahead(img, u->wpos + (uint32_t)n);
    if (rc == 0) {
        rc = dfu_flash_write(&img->cfg.secondary, u->wpos, p, n);
    }
    if (rc == 0) {
        u->wpos += (uint32_t)n;
    }
    return rc;
}

/* Writes chunk bytes, keeping flash writes aligned. */
static int write_data(dfu_smp_img_t *img, const uint8_t *p, size_t n)
{
    dfu_smp_img_upload_t *u = &img->up;
    size_t align = dfu_flash_align(&img->cfg.secondary);
    while (n > 0) {
        if (u->tail_len > 0 || n < align) {
            size_t take = align - u->tail_len < n ? align - u->tail_len : n;
            memcpy(u->tail + u->tail_len, p, take);
            u->tail_len = (uint8_t)(u->tail_len + take);
            p += take;
            n -= take;
            if (u->tail_len == align) {
                int rc = flash_put(img, u->tail, align);
                if (rc != 0) {
                    return rc;
                }
                u->tail_len = 0;
            }
            continue;
        }
        size_t whole = n - n % align;
        int rc = flash_put(img, p, whole);
        if (rc != 0) {
            return rc;
        }
        p += whole;
        n -= whole;
    }
    return 0;
}

/* Pads and writes the last partial write unit. */
static int flush_tail(dfu_smp_img_t *img)
{
    dfu_smp_img_upload_t *u = &img->up;
    if (u->tail_len == 0) {
        return 0;
    }
    size_t align = dfu_flash_align(&img->cfg.secondary);
    memset(u->tail + u->tail_len, dfu_flash_erased_val(&img->cfg.secondary), align - u->tail_len);
    u->tail_len = 0;
    return flash_put(img, u->tail, align);
}

/* SHA-256 of the `size` uploaded bytes compared with the session's sha. */
static bool upload_matches(const dfu_smp_img_t *img)
{
    const dfu_crypto_port_t *c = img->cfg.crypto;
    const dfu_smp_img_upload_t *u = &img->up;
    dfu_hash_ctx_t h;
    uint8_t buf[64];
    uint8_t out[32];
    if (c->hash_init(c->ctx, &h, DFU_HASH_SHA256) != 0) {
        return false;
    }
    for (uint32_t o = 0; o < u->size; o += (uint32_t)sizeof(buf)) {
        size_t n = u->size - o < sizeof(buf) ? u->size - o : sizeof(buf);
        if (dfu_flash_read(&img->cfg.secondary, img->img_off + o, buf, n) != 0 ||
            c->hash_update(c->ctx, &h, buf, n) != 0) {
            (void)c->hash_finish(c->ctx, &h, out);
            return false;
        }
    }
    return c->hash_finish(c->ctx, &h, out) == 0 && memcmp(out, u->sha, 32) == 0;
}

/* ==== Protocol side ========================================================================== */

static bool reply_off(dfu_smp_req_t *req, uint32_t off)
{
    const dfu_smp_img_t *img = req->gctx;
    if (img->cfg.legacy_rc && !(dfu_cbor_put_str(req->w, "rc") && dfu_cbor_put_uint(req->w, 0))) {
        return false;
    }
    return dfu_cbor_put_str(req->w, "off") && dfu_cbor_put_uint(req->w, off);
}

/* Checks of a first chunk that need the image header and the running image. */
static int check_first(dfu_smp_req_t *req, dfu_smp_img_t *img, const chunk_t *c)
{
    dfu_image_header_t hdr;
    int rc = dfu_image_header_parse(c->data.ptr, c->data.len, &hdr);
    if (rc == DFU_ERR_BAD_MAGIC || rc == DFU_ERR_CORRUPT) {
        dfu_smp_req_set_rsn(req, "not an MCUboot image (header magic mismatch)");
        return DFU_ERR_BAD_MAGIC;
    }
    if (c->len > img->max_image) {
        dfu_smp_req_set_rsn(req, "image too large for the slot");
        return DFU_ERR_NOSPC;
    }
    if (c->upgrade) {
        img_slot_info_t run;
        if (dfu_smp_img_slot_info(img, 0, DFU_BOOT_SWAP_NONE, &run) == 0 &&
            dfu_image_version_cmp(&run.hdr.ver, &hdr.ver, img->cfg.version_use_build) >= 0) {
            dfu_smp_req_set_rsn(req, "upgrade only: the running image is not older");
            return DFU_ERR_DOWNGRADE;
        }
    }
    return 0;
}

/* off == 0: start, restart or resume a session. Returns 0 when a new session is ready for the
 * chunk's data, 1 when a resume was answered, or an error. */
static int upload_first(dfu_smp_req_t *req, dfu_smp_img_t *img, const chunk_t *c)
{
    dfu_smp_img_upload_t *u = &img->up;
    if (c->data.len < DFU_IMAGE_HEADER_SIZE) {
        dfu_smp_req_set_rsn(req, "first chunk must hold the 32-byte image header");
        return DFU_ERR_BAD_HEADER;
    }
    if ((c->found & F_LEN) == 0) {
        dfu_smp_req_set_rsn(req, "first chunk needs \"len\"");
        return DFU_ERR_SMP_NO_LEN;
    }
    if ((c->data.ptr[0] | (uint32_t)c->data.ptr[1] << 8 | (uint32_t)c->data.ptr[2] << 16 |
         (uint32_t)c->data.ptr[3] << 24) != DFU_IMAGE_MAGIC) {
        dfu_smp_req_set_rsn(req, "not an MCUboot image (header magic mismatch)");
        return DFU_ERR_BAD_MAGIC;
    }
    if (c->sha.len > sizeof(u->sha)) {
        dfu_smp_req_set_rsn(req, "sha longer than 32 bytes");
        return DFU_ERR_SMP_BAD_HASH;
    }
    /* Resume only a session identified by a non-empty sha (Zephyr: sha length > 0). */
    if ((c->found & F_SHA) != 0 && c->sha.len > 0u && u->active && c->sha.len == u->sha_len &&
        memcmp(c->sha.ptr, u->sha, u->sha_len) == 0) {
        return reply_off(req, u->off) ? 1 : DFU_ERR_NOMEM; /* resume: nothing written */
    }
    u->active = false;
    dfu_smp_img_state_t st;
    int rc = dfu_smp_img_get_state(img, &st);
    if (rc != 0) {
        return rc;
    }
    if (st.in_use[1]) {
        dfu_smp_req_set_rsn(req, dfu_smp_img_in_use_rsn(&st));
        return DFU_ERR_BUSY;
    }
    rc = check_first(req, img, c);
    if (rc != 0) {
        return rc;
    }
    if (c->data.len > c->len) {
        dfu_smp_req_set_rsn(req, "chunk runs past \"len\"");
        return DFU_ERR_RANGE;
    }
    memset(u, 0, sizeof(*u));
    u->size = (uint32_t)c->len;
    u->sha_len = (uint8_t)c->sha.len;
    if (c->sha.len > 0) {
        memcpy(u->sha, c->sha.ptr, c->sha.len);
    }
    u->wpos = img->img_off;
    u->erased_to = img->img_off;
    /* Trailer first: cancels a scheduled swap (ALLOW_ERASE_PENDING) before data lands. */
    rc = dfu_smp_img_erase_range(img, img->trailer_start, img->cfg.secondary.size);
    if (rc == 0) {
        u->active = true;
    }
    return rc;
}

static int upload_write(dfu_smp_req_t *req, dfu_smp_img_t *img, const chunk_t *c)
{
    dfu_smp_img_upload_t *u = &img->up;
    int rc = write_data(img, c->data.ptr, c->data.len);
    if (rc != 0) {
        dfu_smp_req_set_rsn(req, "flash write failed");
        return DFU_ERR_IO;
    }
    u->off += (uint32_t)c->data.len;
    if (u->off < u->size) {
        return reply_off(req, u->off) ? 0 : DFU_ERR_NOMEM;
    }
    rc = flush_tail(img);
    u->active = false;
    if (rc != 0) {
        dfu_smp_req_set_rsn(req, "flash write failed");
        return DFU_ERR_IO;
    }
    bool ok = reply_off(req, u->off);
    if (u->sha_len == 32u && img->cfg.crypto != NULL) {
        ok = ok && dfu_cbor_put_str(req->w, "match") &&
             dfu_cbor_put_bool(req->w, upload_matches(img));
    }
    return ok ? 0 : DFU_ERR_NOMEM;
}

int dfu_smp_img_upload(dfu_smp_req_t *req)
{
    dfu_smp_img_t *img = req->gctx;
    dfu_smp_img_upload_t *u = &img->up;
    chunk_t c;
    int rc = decode_chunk(req, &c);
    if (rc != 0) {
        u->active = false;
        return rc;
    }
    if ((c.found & F_OFF) == 0) {
        u->active = false;
        dfu_smp_req_set_rsn(req, "upload chunk needs \"off\"");
        return DFU_ERR_SMP_NO_OFF;
    }
    if (c.off == 0) {
        rc = upload_first(req, img, &c);
        if (rc != 0) {
            if (rc < 0) {
                u->active = false;
            }
            return rc > 0 ? 0 : rc;
        }
    } else if (!u->active || c.off != u->off) {
        return reply_off(req, u->active ? u->off : 0) ? 0 : DFU_ERR_NOMEM;
    } else if (c.data.len > u->size - u->off) {
        u->active = false;
        dfu_smp_req_set_rsn(req, "chunk runs past \"len\"");
        return DFU_ERR_RANGE;
    }
    rc = upload_write(req, img, &c);
    if (rc != 0) {
        u->active = false;
    }
    return rc;
}
