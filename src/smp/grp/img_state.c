/*
 * Image group: slot state (smp-protocol.md §5). The MCUboot swap type read from the trailers
 * decides the next-boot slot and the flags shown; state writes follow the rules of current
 * Zephyr (img_mgmt_set_next_boot_slot), checked in the documented order.
 */
#include <string.h>

#include "dfukit/dfu_err.h"
#include "grp_version.h"
#include "img_priv.h"

/* ==== Slot access ============================================================================ */

/* Swap-using-offset stores an upload one sector into slot 1, but a swap leaves the former
 * primary image (the one a REVERT goes back to) at offset 0 of slot 1. Zephyr's
 * boot_get_image_start_offset() therefore answers 0 while the swap type is REVERT; so do we.
 * For the other strategies img_off is 0 anyway. */
const dfu_flash_area_t *dfu_smp_img_area(const dfu_smp_img_t *img, unsigned slot, int swap_type,
                                         uint32_t *img_off)
{
    *img_off = slot == 0 || swap_type == DFU_BOOT_SWAP_REVERT ? 0u : img->img_off;
    return slot == 0 ? &img->cfg.primary : &img->cfg.secondary;
}

typedef struct slot_reader {
    const dfu_flash_area_t *fa;
    uint32_t base;
} slot_reader_t;

static int slot_read(void *ctx, uint32_t off, void *buf, size_t len)
{
    const slot_reader_t *s = ctx;
    return dfu_flash_read(s->fa, s->base + off, buf, len);
}

int dfu_smp_img_slot_info(const dfu_smp_img_t *img, unsigned slot, int swap_type,
                          img_slot_info_t *out)
{
    slot_reader_t s;
    s.fa = dfu_smp_img_area(img, slot, swap_type, &s.base);
    dfu_image_reader_t rd = {.read = slot_read, .ctx = &s, .size = s.fa->size - s.base};
    int rc = dfu_image_header_read(&rd, &out->hdr);
    if (rc != 0) {
        return rc;
    }
    dfu_image_tlv_t tlv;
    rc = dfu_image_tlv_find(&rd, &out->hdr, DFU_IMAGE_TLV_SHA256, 0, &tlv);
    if (rc != 0) {
        return rc;
    }
    if (tlv.len != 32u) {
        return DFU_ERR_BAD_TLV;
    }
    return dfu_image_tlv_read(&rd, &tlv, out->hash, sizeof(out->hash));
}

/* ==== Next-boot state (§5.3) and slot-in-use (§4.5) ========================================== */

int dfu_smp_img_get_state(const dfu_smp_img_t *img, dfu_smp_img_state_t *st)
{
    int t = dfu_boot_swap_type(&img->cfg.primary, &img->cfg.secondary, &img->cfg.trailer);
    if (t < 0) {
        return t;
    }
    memset(st, 0, sizeof(*st));
    st->swap_type = t;
    st->active = 0;
    st->nbs =
        (t == DFU_BOOT_SWAP_TEST || t == DFU_BOOT_SWAP_PERM || t == DFU_BOOT_SWAP_REVERT) ? 1u : 0u;
    bool allow = !img->cfg.no_erase_pending;
    for (unsigned slot = 0; slot < 2u; slot++) {
        bool use = slot == st->active;
        if (slot == st->nbs && t == DFU_BOOT_SWAP_REVERT) {
            use = true; /* holds the image MCUboot reverts to */
        } else if (((slot == st->nbs && t == DFU_BOOT_SWAP_TEST) ||
                    (st->nbs != st->active && t == DFU_BOOT_SWAP_PERM)) &&
                   !allow) {
            use = true; /* a scheduled swap may not be cancelled by erasing */
        }
        st->in_use[slot] = use;
    }
    return 0;
}

const char *dfu_smp_img_in_use_rsn(const dfu_smp_img_state_t *st)
{
    if (!st->in_use[1]) {
        return NULL;
    }
    if (st->swap_type == DFU_BOOT_SWAP_REVERT) {
        return "slot 1 holds the revert image of the running test image: confirm the running "
               "image first (or reset to revert)";
    }
    return "slot 1 is scheduled for the next boot: reset to apply it first";
}

/* ==== State list ============================================================================= */

static bool put_flag(dfu_cbor_writer_t *w, bool frugal, const char *key, bool v)
{
    if (frugal && !v) {
        return true;
    }
    return dfu_cbor_put_str(w, key) && dfu_cbor_put_bool(w, v);
}

static bool write_entry(dfu_cbor_writer_t *w, const dfu_smp_img_t *img,
                        const dfu_smp_img_state_t *st, unsigned slot, const img_slot_info_t *in)
{
    char ver[28];
    (void)dfu_smp_version_str(in->hdr.ver.major, in->hdr.ver.minor, in->hdr.ver.revision,
                              in->hdr.ver.build, ver, sizeof(ver));
    int t = st->swap_type;
    bool active = slot == st->active;
    bool pending = slot == 1u && (t == DFU_BOOT_SWAP_TEST || t == DFU_BOOT_SWAP_PERM);
    bool permanent = slot == 1u && t == DFU_BOOT_SWAP_PERM;
    bool confirmed = active ? t != DFU_BOOT_SWAP_REVERT : t == DFU_BOOT_SWAP_REVERT;
    bool fr = img->cfg.frugal_list;
    return dfu_cbor_put_map_indef(w) && dfu_cbor_put_str(w, "slot") && dfu_cbor_put_uint(w, slot) &&
           dfu_cbor_put_str(w, "version") && dfu_cbor_put_str(w, ver) &&
           dfu_cbor_put_str(w, "hash") && dfu_cbor_put_bstr(w, in->hash, sizeof(in->hash)) &&
           put_flag(w, fr, "bootable", (in->hdr.flags & DFU_IMAGE_F_NON_BOOTABLE) == 0) &&
           put_flag(w, fr, "pending", pending) && put_flag(w, fr, "confirmed", confirmed) &&
           put_flag(w, fr, "active", active) && put_flag(w, fr, "permanent", permanent) &&
           dfu_cbor_put_break(w);
}

int dfu_smp_img_write_state(dfu_smp_req_t *req, dfu_smp_img_t *img)
{
    dfu_smp_img_state_t st;
    int rc = dfu_smp_img_get_state(img, &st);
    if (rc != 0) {
        return rc;
    }
    dfu_cbor_writer_t *w = req->w;
    bool ok = dfu_cbor_put_str(w, "images") && dfu_cbor_put_array_indef(w);
    for (unsigned slot = 0; ok && slot < 2u; slot++) {
        img_slot_info_t in;
        if (dfu_smp_img_slot_info(img, slot, st.swap_type, &in) == 0) {
            ok = write_entry(w, img, &st, slot, &in);
        }
    }
    ok = ok && dfu_cbor_put_break(w);
    if (!img->cfg.frugal_list) {
        ok = ok && dfu_cbor_put_str(w, "splitStatus") && dfu_cbor_put_uint(w, 0);
    }
    return ok ? 0 : DFU_ERR_NOMEM;
}

int dfu_smp_img_state_read(dfu_smp_req_t *req)
{
    /* The request map carries nothing; malformed CBOR is still refused like Zephyr. */
    int rc = dfu_smp_req_decode(req, NULL, 0, NULL);
    if (rc != 0) {
        return rc;
    }
    return dfu_smp_img_write_state(req, req->gctx);
}

/* ==== State write (§5.2, §5.4) =================================================================
 */

/* Finds the slot whose image hash equals `hash`. */
static int find_slot(const dfu_smp_img_t *img, int swap_type, const uint8_t *hash, unsigned *slot)
{
    for (unsigned s = 0; s < 2u; s++) {
        img_slot_info_t in;
        if (dfu_smp_img_slot_info(img, s, swap_type, &in) == 0 && memcmp(in.hash, hash, 32) == 0) {
            *slot = s;
            return 0;
        }
    }
    return DFU_ERR_NOT_FOUND;
}

/* Applies §5.4 rules 2-5. Returns 1 when the request is a successful no-op, 0 when the trailer
 * must be written, or an error (with req->rsn set). */
static int check_rules(dfu_smp_req_t *req, const dfu_smp_img_state_t *st, unsigned slot,
                       bool confirm)
{
    const dfu_smp_img_t *img = req->gctx;
    const char *scheduled =
        img->cfg.no_erase_pending
            ? "a swap is already scheduled for the next boot: reset to apply it first"
            : "a swap is already scheduled for the next boot: reset to apply it (or erase slot 1 "
              "to cancel it)";
    static const char testing[] = "running an unconfirmed test image: confirm the running image "
                                  "(or reset to revert) first";
    if (!confirm && slot == st->active) {
        dfu_smp_req_set_rsn(req, "the running image cannot be tested; confirm it instead");
        return DFU_ERR_SMP_TEST_ACTIVE;
    }
    switch (st->swap_type) {
    case DFU_BOOT_SWAP_TEST:
        if (!confirm && slot == st->nbs) {
            return 1;
        }
        dfu_smp_req_set_rsn(req, scheduled);
        return DFU_ERR_EXIST;
    case DFU_BOOT_SWAP_REVERT:
        if (confirm && slot == st->nbs) {
            return 1;
        }
        if (!confirm) {
            dfu_smp_req_set_rsn(req, testing);
            return DFU_ERR_EXIST;
        }
        return 0; /* confirm of the running test image */
    default:      /* NORMAL: nothing scheduled, or a permanent swap scheduled */
        if (confirm && slot == st->nbs) {
            return 1;
        }
        if (st->nbs != st->active) {
            dfu_smp_req_set_rsn(req, scheduled);
            return DFU_ERR_EXIST;
        }
        return 0;
    }
}

/* Trailer writes and their errors, translated as Zephyr does for MCUboot's return codes
 * (img_mgmt_state.c: BOOT_EBADIMAGE -> 23, BOOT_EBADVECT -> 29, BOOT_EFLASH -> 12). */
static int set_pending(dfu_smp_req_t *req, dfu_smp_img_t *img, bool permanent)
{
    int rc = dfu_boot_set_pending(&img->cfg.secondary, permanent ? 1 : 0, &img->cfg.trailer);
    if (rc == DFU_ERR_BAD_TRAILER) {
        /* MCUboot's boot_set_pending: the secondary is erased and BOOT_EBADIMAGE returned. */
        img->up.active = false;
        dfu_smp_req_set_rsn(req, "slot 1 trailer was corrupt: slot erased, upload the image again");
        return DFU_ERR_BAD_MAGIC;
    }
    if (rc != 0) {
        dfu_smp_req_set_rsn(req, "writing the slot trailer failed");
        return DFU_ERR_IO;
    }
    return 0;
}

static int set_confirmed(dfu_smp_req_t *req, dfu_smp_img_t *img)
{
    int rc = dfu_boot_set_confirmed(&img->cfg.primary, &img->cfg.trailer);
    if (rc == DFU_ERR_BAD_TRAILER) {
        dfu_smp_req_set_rsn(req, "slot 0 trailer is corrupt");
        return rc;
    }
    if (rc != 0) {
        dfu_smp_req_set_rsn(req, "writing the slot trailer failed");
        return DFU_ERR_IO;
    }
    return 0;
}

int dfu_smp_img_state_write(dfu_smp_req_t *req)
{
    dfu_smp_img_t *img = req->gctx;
    dfu_cbor_str_t hash = {NULL, 0};
    bool confirm = false;
    uint32_t found = 0;
    const dfu_cbor_key_t keys[] = {
        {"hash", DFU_CBOR_WANT_BSTR, DFU_CBOR_NULLABLE, &hash},
        {"confirm", DFU_CBOR_WANT_BOOL, 0, &confirm},
    };
    int rc = dfu_smp_req_decode(req, keys, 2, &found);
    if (rc != 0) {
        return rc;
    }
    dfu_smp_img_state_t st;
    rc = dfu_smp_img_get_state(img, &st);
    if (rc != 0) {
        return rc;
    }
    unsigned slot = st.active;
    /* A zero-length (or null) hash counts as absent, as in Zephyr. */
    if ((found & 1u) != 0 && hash.len != 0u) {
        if (hash.len != 32u) {
            dfu_smp_req_set_rsn(req, "hash must be the 32-byte SHA-256 image hash");
            return DFU_ERR_SMP_BAD_HASH;
        }
        if (find_slot(img, st.swap_type, hash.ptr, &slot) != 0) {
            dfu_smp_req_set_rsn(req, "no slot holds an image with this hash");
            return DFU_ERR_NOT_FOUND;
        }
    } else if (!confirm) {
        dfu_smp_req_set_rsn(req, "test needs the hash of the image to test");
        return DFU_ERR_SMP_BAD_HASH;
    }
    rc = check_rules(req, &st, slot, confirm);
    if (rc < 0) {
        return rc;
    }
    if (rc == 0) {
        rc = slot == st.active ? set_confirmed(req, img) : set_pending(req, img, confirm);
        if (rc != 0) {
            return rc;
        }
    }
    return dfu_smp_img_write_state(req, img);
}
