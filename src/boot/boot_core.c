/*
 * Boot run: resume-or-decide, validate, swap through the strategy ops table, finalise, check the
 * primary. The decision/resume order follows MCUboot's context_boot_go:
 *   1. status source (strategy) -> records written? resume that operation with the swap type
 *      stored in the status trailer, no re-validation (S was validated before it started);
 *   2. status initialised but no record written -> re-validate S, run the stored type, or FAIL;
 *   3. otherwise the decision table; TEST/PERM/REVERT validate S first (TEST/PERM also apply
 *      downgrade prevention); refusals as in start_new() (FAIL for an invalid image, NONE for
 *      no image, a downgrade or a swap larger than the strategy can move).
 * After a swap: image_ok (PERM/REVERT, if unset) then copy_done are written into P, in that
 * order, so a reset in between resumes through the primary status source and finishes the job.
 */
#include <string.h>

#include "boot_priv.h"
#include "dfukit/dfu_boot_record.h"

/* Strategies built in (DFU_BOOT_STRATEGIES, dfu_boot.h): a strategy left out is not referenced,
 * so --gc-sections drops its code; dfu_boot_init() refuses it. */
#define HAS_STRATEGY(s) ((DFU_BOOT_STRATEGIES & (1u << (s))) != 0u)

static const dfu_swap_geom_t *strategy_geom(uint8_t s)
{
    switch (s) {
    case DFU_BOOT_STRATEGY_MOVE:
        return HAS_STRATEGY(DFU_BOOT_STRATEGY_MOVE) ? &dfu_swap_move_geom : NULL;
    case DFU_BOOT_STRATEGY_SCRATCH:
        return HAS_STRATEGY(DFU_BOOT_STRATEGY_SCRATCH) ? &dfu_swap_scratch_geom : NULL;
    case DFU_BOOT_STRATEGY_OFFSET:
        return HAS_STRATEGY(DFU_BOOT_STRATEGY_OFFSET) ? &dfu_swap_offset_geom : NULL;
    case DFU_BOOT_STRATEGY_OVERWRITE:
        return HAS_STRATEGY(DFU_BOOT_STRATEGY_OVERWRITE) ? &dfu_swap_overwrite_geom : NULL;
    default:
        return NULL;
    }
}

int dfu_boot_strategy_parse(const char *name)
{
    for (uint8_t s = 0; name != NULL && s <= DFU_BOOT_STRATEGY_OVERWRITE; s++) {
        const dfu_swap_geom_t *g = strategy_geom(s);
        if (g != NULL && strcmp(name, g->name) == 0) {
            return s;
        }
    }
    return -1;
}

static const dfu_swap_ops_t *strategy_ops(uint8_t s)
{
    switch (s) {
    case DFU_BOOT_STRATEGY_MOVE:
        return HAS_STRATEGY(DFU_BOOT_STRATEGY_MOVE) ? &dfu_swap_move_ops : NULL;
    case DFU_BOOT_STRATEGY_SCRATCH:
        return HAS_STRATEGY(DFU_BOOT_STRATEGY_SCRATCH) ? &dfu_swap_scratch_ops : NULL;
    case DFU_BOOT_STRATEGY_OFFSET:
        return HAS_STRATEGY(DFU_BOOT_STRATEGY_OFFSET) ? &dfu_swap_offset_ops : NULL;
    case DFU_BOOT_STRATEGY_OVERWRITE:
        return HAS_STRATEGY(DFU_BOOT_STRATEGY_OVERWRITE) ? &dfu_swap_overwrite_ops : NULL;
    default:
        return NULL;
    }
}

static int overlaps(const dfu_flash_area_t *a, const dfu_flash_area_t *b)
{
    return a->off < b->off + b->size && b->off < a->off + a->size;
}

/* Binds `b` to the geometry of `cfg` (areas, trailer, strategy) and checks it; the validator and
 * the copy buffer are not looked at. */
static int bind_geometry(dfu_boot_t *b, const dfu_boot_cfg_t *cfg)
{
    memset(b, 0, sizeof(*b));
    const dfu_swap_geom_t *geom = strategy_geom(cfg->trailer.strategy);
    if (geom == NULL || dfu_flash_area_check(&cfg->primary) < 0 ||
        dfu_flash_area_check(&cfg->secondary) < 0 || cfg->primary.flash != cfg->secondary.flash ||
        overlaps(&cfg->primary, &cfg->secondary)) {
        return DFU_ERR_INVAL;
    }
    uint32_t w = dfu_flash_align(&cfg->primary);
    int rc = dfu_boot_trailer_layout(&cfg->trailer, cfg->primary.size, w, &b->lp);
    if (rc == 0) {
        rc = dfu_boot_trailer_layout(&cfg->trailer, cfg->secondary.size, w, &b->ls);
    }
    if (rc < 0) {
        return DFU_ERR_INVAL;
    }
    if (cfg->trailer.strategy == DFU_BOOT_STRATEGY_SCRATCH) {
        dfu_boot_trailer_cfg_t one = cfg->trailer;
        one.max_sectors = 1; /* the scratch trailer holds one region's status */
        if (cfg->scratch.size == 0u || dfu_flash_area_check(&cfg->scratch) < 0 ||
            cfg->scratch.flash != cfg->primary.flash || overlaps(&cfg->scratch, &cfg->primary) ||
            overlaps(&cfg->scratch, &cfg->secondary) ||
            dfu_boot_trailer_layout(&one, cfg->scratch.size, w, &b->lx) < 0) {
            return DFU_ERR_INVAL;
        }
    }
    b->cfg = cfg;
    b->geom = geom;
    dfu_boot_tcfg(&cfg->trailer, &b->tcfg);
    b->sector_size = dfu_flash_sector_size(&cfg->primary);
    rc = geom->check_layout(b);
    if (rc < 0) {
        b->cfg = NULL;
        return rc;
    }
    return DFU_OK;
}

int dfu_boot_init(dfu_boot_t *b, const dfu_boot_cfg_t *cfg)
{
    if (b == NULL || cfg == NULL) {
        return DFU_ERR_INVAL;
    }
    memset(b, 0, sizeof(*b));
    if (cfg->validator.validate == NULL || cfg->buf == NULL || cfg->buf_len < 64u ||
        dfu_flash_area_check(&cfg->primary) < 0 ||
        cfg->buf_len % dfu_flash_align(&cfg->primary) != 0u) {
        return DFU_ERR_INVAL;
    }
    int rc = bind_geometry(b, cfg);
    if (rc < 0) {
        return rc;
    }
    const dfu_flash_area_t *log = &cfg->log;
    if ((log->size != 0u && (dfu_boot_log_check(log) < 0 ||
                             (log->flash == cfg->primary.flash &&
                              (overlaps(log, &cfg->primary) || overlaps(log, &cfg->secondary) ||
                               (cfg->scratch.size != 0u && overlaps(log, &cfg->scratch)))))) ||
        (cfg->handoff != NULL && cfg->handoff_size < DFU_BOOT_HANDOFF_SIZE)) {
        b->cfg = NULL;
        return DFU_ERR_INVAL;
    }
    b->ops = strategy_ops(cfg->trailer.strategy);
    return DFU_OK;
}

uint32_t dfu_boot_max_image_size(const dfu_boot_t *b)
{
    const dfu_swap_geom_t *geom = b->geom;
    return geom->max_image_size(b);
}

uint32_t dfu_boot_max_image_size_for(const dfu_boot_trailer_cfg_t *tcfg,
                                     const dfu_flash_area_t *primary,
                                     const dfu_flash_area_t *secondary,
                                     const dfu_flash_area_t *scratch)
{
    dfu_boot_cfg_t cfg;
    dfu_boot_t b;
    if (primary == NULL || secondary == NULL) {
        return 0u;
    }
    memset(&cfg, 0, sizeof(cfg));
    cfg.primary = *primary;
    cfg.secondary = *secondary;
    if (scratch != NULL) {
        cfg.scratch = *scratch;
    }
    if (tcfg != NULL) {
        cfg.trailer = *tcfg;
    }
    if (bind_geometry(&b, &cfg) < 0) {
        return 0u;
    }
    return dfu_boot_max_image_size(&b);
}

/* ---- shared helpers used by the strategies ------------------------------------------------- */

uint32_t dfu_boot_trailer_sector_off(const dfu_boot_t *b, const dfu_boot_trailer_layout_t *l)
{
    return l->status_off - l->status_off % b->sector_size;
}

int dfu_boot_erase_if_needed(const dfu_flash_area_t *fa, uint32_t off, uint32_t len)
{
    uint32_t ss = dfu_flash_sector_size(fa);
    uint32_t start = off - off % ss;
    /* Last sector first, like dfu_boot_erase_from: in a trailer spanning several sectors the
     * magic disappears before the fields below it, so a cut never leaves a readable trailer
     * with some fields gone. */
    for (uint32_t end = off + len; end > start;) {
        uint32_t s = (end - 1u) - (end - 1u) % ss;
        end = s;
        int e = dfu_flash_is_erased(fa, s, ss);
        if (e < 0) {
            return e;
        }
        if (!e) {
            int rc = dfu_flash_erase(fa, s, ss);
            if (rc < 0) {
                return rc;
            }
        }
    }
    return DFU_OK;
}

int dfu_boot_erase_from(const dfu_flash_area_t *fa, uint32_t off)
{
    uint32_t ss = dfu_flash_sector_size(fa);
    uint32_t start = off - off % ss;
    /* Backwards: the magic (last sector) goes first, so a half-erased trailer never reads as a
     * valid one. */
    for (uint32_t s = fa->size; s > start; s -= ss) {
        int rc = dfu_flash_erase(fa, s - ss, ss);
        if (rc < 0) {
            return rc;
        }
    }
    return DFU_OK;
}

static int chunk_erased(const uint8_t *p, size_t n, uint8_t ev)
{
    for (size_t i = 0; i < n; i++) {
        if (p[i] != ev) {
            return 0;
        }
    }
    return 1;
}

int dfu_boot_copy(dfu_boot_t *b, const dfu_flash_area_t *src, uint32_t soff,
                  const dfu_flash_area_t *dst, uint32_t doff, uint32_t len)
{
    uint8_t ev = dfu_flash_erased_val(dst);
    while (len > 0u) {
        uint32_t n = len < b->cfg->buf_len ? len : (uint32_t)b->cfg->buf_len;
        int rc = dfu_flash_read(src, soff, b->cfg->buf, n);
        if (rc < 0) {
            return rc;
        }
        /* New-image data lands in P at its final image offset: decrypt it on the way in. */
        if (b->decrypting && dst == &b->cfg->primary && src != &b->cfg->primary) {
            const dfu_boot_validator_t *v = &b->cfg->validator;
            rc = v->xcrypt(v->ctx, b->enc_key, b->enc_key_len, b->enc_hdr_size, b->enc_img_size,
                           doff, b->cfg->buf, n);
            if (rc < 0) {
                return rc;
            }
        }
        /* All-erased chunks need no programming: the destination was just erased. */
        if (!chunk_erased(b->cfg->buf, n, ev)) {
            rc = dfu_flash_write(dst, doff, b->cfg->buf, n);
            if (rc < 0) {
                return rc;
            }
        }
        soff += n;
        doff += n;
        len -= n;
    }
    return DFU_OK;
}

int dfu_boot_status_init(dfu_boot_t *b, const dfu_flash_area_t *fa,
                         const dfu_boot_trailer_layout_t *l)
{
    dfu_boot_slot_state_t s;
    int rc = dfu_boot_read_state_l(&b->cfg->secondary, &b->ls, b->tcfg.max_align, &s);
    if (rc == 0) {
        rc = dfu_boot_write_swap_info(fa, l, b->swap_type);
    }
    if (rc == 0 && s.image_ok == DFU_BOOT_FLAG_SET) {
        rc = dfu_boot_write_flag(fa, l->image_ok_off);
    }
    if (rc == 0 && b->decrypting && b->tcfg.enc_key_len != 0u) {
        rc = dfu_boot_write_field(fa, l->enc_key1_off, b->enc_key, b->tcfg.enc_key_len);
    }
    if (rc == 0 && b->tcfg.strategy == DFU_BOOT_STRATEGY_OFFSET) {
        uint8_t v[4] = {(uint8_t)b->tlv_sizes, (uint8_t)(b->tlv_sizes >> 8),
                        (uint8_t)(b->tlv_sizes >> 16), (uint8_t)(b->tlv_sizes >> 24)};
        rc = dfu_boot_write_field(fa, l->tlv_sizes_off, v, sizeof(v));
    }
    if (rc == 0) {
        rc = dfu_boot_write_swap_size(fa, l, b->swap_size);
    }
    if (rc == 0) {
        rc = dfu_boot_write_magic(fa, l, b->tcfg.max_align);
    }
    return rc;
}

/* ---- image size / validation --------------------------------------------------------------- */

#define IMG_MAGIC 0x96f3b83du
#define IMG_F_NON_BOOTABLE 0x10u
#define IMG_F_ENCRYPTED 0x0cu   /* AES-128 | AES-256 */
#define IMG_F_COMPRESSED 0xe00u /* LZMA1 | LZMA2 | ARM-Thumb filter */

/* Total bytes of the image at `off` (header + payload + TLVs) from its header and TLV info
 * headers, bounds-checked against the area. DFU_ERR_BAD_MAGIC if there is no image. */
static int image_sizes(const dfu_flash_area_t *fa, uint32_t off, uint32_t *out, uint32_t *unprot)
{
    uint8_t h[32];
    int rc = dfu_flash_read(fa, off, h, sizeof(h));
    if (rc < 0) {
        return rc;
    }
    if (dfu_boot_get_le32(h) != IMG_MAGIC) {
        return DFU_ERR_BAD_MAGIC;
    }
    uint64_t hdr = (uint32_t)h[8] | ((uint32_t)h[9] << 8);
    uint64_t prot = (uint32_t)h[10] | ((uint32_t)h[11] << 8);
    uint64_t end = off + hdr + dfu_boot_get_le32(h + 12) + prot;
    if (hdr < 32u || end + 4u > fa->size) {
        return DFU_ERR_BAD_HEADER;
    }
    uint8_t t[4];
    rc = dfu_flash_read(fa, (uint32_t)end, t, 4);
    if (rc < 0) {
        return rc;
    }
    uint32_t tot = (uint32_t)t[2] | ((uint32_t)t[3] << 8);
    if (t[0] != 0x07u || t[1] != 0x69u || end + tot > fa->size) {
        return DFU_ERR_BAD_TLV;
    }
    *out = (uint32_t)(end + tot - off);
    if (unprot != NULL) {
        *unprot = tot;
    }
    return DFU_OK;
}

static int image_total_size(const dfu_flash_area_t *fa, uint32_t off, uint32_t *out)
{
    return image_sizes(fa, off, out, NULL);
}

/* Largest image validation accepts in `fa` (the primary or the secondary of `b`), MCUboot's
 * bootutil_max_image_size for the mode: move/offset: up to the first trailer sector; scratch:
 * up to the trailer, less the padding that lets the scratch trailer sit next to the last image
 * bytes; overwrite: up to the swap_info field. Whether a swap can move that much is checked
 * separately (dfu_boot_max_image_size). */
static uint32_t slot_limit(const dfu_boot_t *b, const dfu_flash_area_t *fa)
{
    const dfu_boot_trailer_layout_t *l = fa == &b->cfg->primary ? &b->lp : &b->ls;
    switch (b->tcfg.strategy) {
    case DFU_BOOT_STRATEGY_OVERWRITE:
        return l->swap_info_off;
    case DFU_BOOT_STRATEGY_SCRATCH: {
        uint32_t in_first = dfu_boot_trailer_sector_off(b, l) + b->sector_size - l->status_off;
        uint32_t pad = b->lx.trailer_size > in_first ? b->lx.trailer_size - in_first : 0u;
        return l->status_off > pad ? l->status_off - pad : 0u;
    }
    default:
        return dfu_boot_trailer_sector_off(b, l);
    }
}

/* `plain`: the image is validated as stored, never decrypted (an image that was decrypted when
 * it was installed and has been swapped back into the secondary: the revert candidate). */
static int validate(dfu_boot_t *b, const dfu_flash_area_t *fa, uint32_t off, int plain,
                    dfu_boot_image_info_t *info)
{
    uint32_t max = slot_limit(b, fa);
    uint32_t total = 0;
    memset(info, 0, sizeof(*info));
    int rc = image_total_size(fa, off, &total);
    if (rc < 0) {
        return rc;
    }
    if (total > max) {
        return DFU_ERR_NOSPC;
    }
    const dfu_boot_validator_t *v = &b->cfg->validator;
    if (plain && v->validate_plain != NULL) {
        rc = v->validate_plain(v->ctx, fa, off, max, info);
    } else {
        rc = v->validate(v->ctx, fa, off, max, info);
    }
    if (rc == 0 && (info->flags & IMG_F_COMPRESSED) != 0u) {
        rc = DFU_ERR_NOTSUP; /* LZMA1/LZMA2/ARM-Thumb: no decompressor in this bootloader */
    }
    if (rc == 0 && (info->flags & IMG_F_NON_BOOTABLE) != 0u) {
        rc = DFU_ERR_NOTSUP;
    }
    /* An encrypted image can only be installed by decrypting it on the way into P. */
    if (rc == 0 && !plain && (info->flags & IMG_F_ENCRYPTED) != 0u && fa == &b->cfg->secondary) {
        uint32_t need = (info->flags & 0x08u) ? 32u : 16u;
        if (v->unwrap == NULL || v->xcrypt == NULL ||
            (b->tcfg.strategy != DFU_BOOT_STRATEGY_OVERWRITE && b->tcfg.enc_key_len != need)) {
            rc = DFU_ERR_NOTSUP; /* no key storage for resuming, or no decryption hooks */
        }
    }
    if (rc == 0) {
        info->total_size = total;
    }
    return rc;
}

static int ver_cmp(const dfu_boot_image_info_t *a, const dfu_boot_image_info_t *c)
{
    if (a->ver_major != c->ver_major) {
        return a->ver_major < c->ver_major ? -1 : 1;
    }
    if (a->ver_minor != c->ver_minor) {
        return a->ver_minor < c->ver_minor ? -1 : 1;
    }
    if (a->ver_revision != c->ver_revision) {
        return a->ver_revision < c->ver_revision ? -1 : 1;
    }
    return 0;
}

/* Downgrade prevention for a TEST/PERM candidate `s` against the running image `p`. */
static int downgrade_check(const dfu_boot_t *b, const dfu_boot_image_info_t *s,
                           const dfu_boot_image_info_t *p, int p_valid)
{
    if (!p_valid) {
        return DFU_OK;
    }
    if ((b->cfg->flags & DFU_BOOT_F_DOWNGRADE_VERSION) && ver_cmp(s, p) < 0) {
        return DFU_ERR_DOWNGRADE;
    }
    if ((b->cfg->flags & DFU_BOOT_F_DOWNGRADE_SECCNT) && p->has_security_counter &&
        (!s->has_security_counter || s->security_counter < p->security_counter)) {
        return DFU_ERR_DOWNGRADE;
    }
    return DFU_OK;
}

/* Makes a refused secondary unbootable and removes its request: erase its header sector and its
 * trailer sectors (trailer first, so a reset in between cannot leave a request for an image
 * without a header... which would be refused again anyway). */
static int scramble_secondary(dfu_boot_t *b, uint32_t img_off)
{
    const dfu_flash_area_t *s = &b->cfg->secondary;
    int rc = dfu_boot_erase_from(s, dfu_boot_trailer_sector_off(b, &b->ls));
    if (rc == 0) {
        rc = dfu_boot_erase_if_needed(s, img_off, b->sector_size);
    }
    return rc;
}

/* MCUboot's FAIL: the secondary was invalid (and has been scrambled). P's image_ok is written
 * (if unset) so that neither a revert nor the request is retried; nothing else is written. */
static void set_reason(dfu_boot_result_t *res, uint8_t code)
{
    res->reason_code = code;
    res->reason = dfu_boot_reason_text(code);
}

static int fail(dfu_boot_t *b, dfu_boot_result_t *res, uint8_t reason)
{
    dfu_boot_slot_state_t st;
    res->swap_type = DFU_BOOT_SWAP_FAIL;
    set_reason(res, reason);
    b->swap_type = DFU_BOOT_SWAP_FAIL;
    if (b->tcfg.strategy == DFU_BOOT_STRATEGY_OVERWRITE) {
        return DFU_OK; /* no revert to prevent, as MCUboot's overwrite-only */
    }
    int rc = dfu_boot_read_state_l(&b->cfg->primary, &b->lp, b->tcfg.max_align, &st);
    if (rc == 0 && st.image_ok == DFU_BOOT_FLAG_UNSET) {
        rc = dfu_boot_write_flag(&b->cfg->primary, b->lp.image_ok_off);
    }
    return rc;
}

/* 1 if the header at `off` of `fa` has an AES flag (read errors: 0). */
static int enc_flagged(const dfu_flash_area_t *fa, uint32_t off)
{
    uint8_t h[20];
    return dfu_flash_read(fa, off, h, sizeof(h)) == 0 && dfu_boot_get_le32(h) == IMG_MAGIC &&
           (dfu_boot_get_le32(h + 16) & IMG_F_ENCRYPTED) != 0u;
}

/* MCUboot's "no bootable image" in the secondary: the header magic is erased (*none = 1), or the
 * header has the NON_BOOTABLE flag (*none = 2). Such a slot is not scrambled. */
static int no_image(const dfu_flash_area_t *fa, uint32_t off, int *none)
{
    uint8_t h[20];
    int rc = dfu_flash_read(fa, off, h, sizeof(h));
    if (rc < 0) {
        return rc;
    }
    uint8_t ev = dfu_flash_erased_val(fa);
    *none = 0;
    if (h[0] == ev && h[1] == ev && h[2] == ev && h[3] == ev) {
        *none = 1;
    } else if (dfu_boot_get_le32(h) == IMG_MAGIC &&
               (dfu_boot_get_le32(h + 16) & IMG_F_NON_BOOTABLE) != 0u) {
        *none = 2;
    }
    return DFU_OK;
}

/* Notes the version in the header at `off` of `fa` as the "other" image of this boot (cleared
 * when no header is there). Only a power cut is an error: the note is informational. */
static int note_other(const dfu_flash_area_t *fa, uint32_t off, dfu_boot_result_t *res)
{
    uint8_t h[28];
    int rc = dfu_flash_read(fa, off, h, sizeof(h));
    if (rc == DFU_ERR_POWER_CUT) {
        return rc;
    }
    res->has_other = (uint8_t)(rc == 0 && dfu_boot_get_le32(h) == IMG_MAGIC);
    if (res->has_other) {
        res->other.major = h[20];
        res->other.minor = h[21];
        res->other.revision = (uint16_t)dfu_boot_get_le16(h + 22);
        res->other.build = dfu_boot_get_le32(h + 24);
    }
    return DFU_OK;
}

static int finalize(dfu_boot_t *b)
{
    const dfu_flash_area_t *p = &b->cfg->primary;
    dfu_boot_slot_state_t st;
    if (b->cfg->trailer.strategy == DFU_BOOT_STRATEGY_OVERWRITE) {
        return DFU_OK; /* overwrite-only carries S's trailer over; no flags written */
    }
    int rc = dfu_boot_read_state_l(p, &b->lp, b->tcfg.max_align, &st);
    if (rc < 0) {
        return rc;
    }
    if ((b->swap_type == DFU_BOOT_SWAP_PERM || b->swap_type == DFU_BOOT_SWAP_REVERT) &&
        st.image_ok == DFU_BOOT_FLAG_UNSET) {
        rc = dfu_boot_write_flag(p, b->lp.image_ok_off);
        if (rc < 0) {
            return rc;
        }
    }
    if (st.copy_done == DFU_BOOT_FLAG_UNSET) {
        rc = dfu_boot_write_flag(p, b->lp.copy_done_off);
    }
    return rc;
}

static int swap_size_of(dfu_boot_t *b, uint32_t s_total, uint32_t s_off)
{
    uint32_t p_total = 0;
    uint32_t p_unprot = 0;
    uint32_t s_unprot = 0;
    uint32_t dummy = 0;
    if (image_sizes(&b->cfg->secondary, s_off, &dummy, &s_unprot) == DFU_ERR_POWER_CUT) {
        return DFU_ERR_POWER_CUT;
    }
    int rc = image_sizes(&b->cfg->primary, 0, &p_total, &p_unprot);
    if (rc == DFU_ERR_POWER_CUT) {
        return rc;
    }
    if (rc < 0 || b->tcfg.strategy == DFU_BOOT_STRATEGY_OVERWRITE) {
        p_total = 0; /* only S's sectors matter (no usable P image, or nothing to save) */
        p_unprot = 0;
    }
    /* swap-offset trailer field: unprotected TLV block sizes, P low / S high 16 bits */
    b->tlv_sizes = (p_unprot & 0xffffu) | ((s_unprot & 0xffffu) << 16);
    b->swap_size = p_total > s_total ? p_total : s_total;
    return DFU_OK;
}

/* Starts a new operation of type `type` after validating S; sets res fields on refusal.
 * Refusals (MCUboot's boot_validated_swap_type / boot_validate_slot):
 *   S holds no bootable image (erased header, NON_BOOTABLE): NONE, nothing erased;
 *   S invalid: S scrambled (header sector at the validation offset + trailer), FAIL;
 *   downgrade: S scrambled, NONE;
 *   from a status source (request recorded, no step done): any of these gives FAIL;
 *   the larger image does not fit the swap ("not enough free space"): NONE, nothing erased. */
static int start_new(dfu_boot_t *b, int type, int from_status, dfu_boot_status_t *bs,
                     dfu_boot_result_t *res)
{
    const dfu_flash_area_t *s = &b->cfg->secondary;
    dfu_boot_image_info_t si;
    dfu_boot_image_info_t pi;
    /* A revert candidate is the former primary image: at S offset 0, stored as plaintext. */
    int revert = type == DFU_BOOT_SWAP_REVERT || b->revert_fixup;
    uint32_t s_off = type == DFU_BOOT_SWAP_REVERT ? 0u : dfu_boot_secondary_image_off(&b->tcfg, s);
    int none = 0;
    int rc = no_image(s, s_off, &none);
    if (rc == 0) {
        rc = note_other(s, s_off, res); /* the candidate, until it is accepted */
    }
    if (rc < 0) {
        return rc;
    }
    if (none) {
        res->secondary_err = DFU_ERR_NOT_FOUND;
        if (from_status) {
            return fail(b, res, DFU_BOOT_REASON_INTERRUPTED);
        }
        set_reason(res, DFU_BOOT_REASON_NO_IMAGE);
        /* A request left for an erased header (e.g. overwrite-only cut between its two
         * scrambles) can never be honoured: clear it. No image data is touched. */
        dfu_boot_slot_state_t st;
        rc = dfu_boot_read_state_l(s, &b->ls, b->tcfg.max_align, &st);
        if (rc == 0 && none == 1 && !revert && st.magic == DFU_BOOT_MAGIC_GOOD) {
            rc = dfu_boot_erase_if_needed(s, s_off, b->sector_size); /* a torn header erase */
            if (rc == 0) {
                rc = dfu_boot_erase_from(s, dfu_boot_trailer_sector_off(b, &b->ls));
            }
        }
        return rc;
    }
    rc = validate(b, s, s_off, revert, &si);
    int stored_plain = revert;
    if (rc < 0 && rc != DFU_ERR_POWER_CUT && !revert && b->cfg->validator.validate_plain != NULL &&
        enc_flagged(s, s_off)) {
        /* An AES-flagged image that does not decrypt may be a plaintext copy this bootloader
         * swapped out of P earlier (copies into S are not re-encrypted): accept it if it
         * validates as stored, and install it without decryption. */
        if (validate(b, s, s_off, 1, &si) == 0) {
            rc = DFU_OK;
            stored_plain = 1;
        }
    }
    if (rc == 0 && !revert) {
        int prc = validate(b, &b->cfg->primary, 0, 0, &pi);
        if (prc == DFU_ERR_POWER_CUT) {
            return prc;
        }
        rc = downgrade_check(b, &si, &pi, prc == 0);
    }
    if (rc == DFU_ERR_POWER_CUT) {
        return rc;
    }
    if (rc < 0) {
        res->secondary_err = rc;
        int erc = scramble_secondary(b, s_off);
        if (erc < 0) {
            return erc;
        }
        if (from_status) {
            return fail(b, res, DFU_BOOT_REASON_INTERRUPTED);
        }
        if (rc == DFU_ERR_DOWNGRADE) {
            set_reason(res, DFU_BOOT_REASON_DOWNGRADE);
            return DFU_OK;
        }
        return fail(b, res, dfu_boot_reason_for_refusal(rc));
    }
    int src = swap_size_of(b, si.total_size, s_off);
    if (src < 0) {
        return src;
    }
    if (b->swap_size > dfu_boot_max_image_size(b)) {
        res->secondary_err = DFU_ERR_NOSPC;
        set_reason(res, DFU_BOOT_REASON_TOO_LARGE); /* not enough free space; S kept */
        return DFU_OK;
    }
    b->swap_type = (uint8_t)type;
    b->decrypting = !stored_plain && (si.flags & IMG_F_ENCRYPTED) != 0u;
    if (b->decrypting) {
        const dfu_boot_validator_t *v = &b->cfg->validator;
        rc = v->unwrap(v->ctx, s, s_off, b->enc_key);
        if (rc < 0) {
            return rc;
        }
        b->enc_key_len = (uint8_t)rc;
        b->enc_hdr_size = si.hdr_size;
        b->enc_img_size = si.img_size;
    }
    bs->rec = 0;
    const dfu_swap_ops_t *ops = b->ops;
    res->swap_type = (uint8_t)type;
    res->reverted = (uint8_t)revert;
    rc = note_other(&b->cfg->primary, 0, res); /* the image being replaced / reverted from */
    if (rc == 0) {
        rc = ops->run(b, bs);
    }
    return rc == 0 ? finalize(b) : rc;
}

/* Resuming a swap: the key of the image being installed is in P's trailer (erased = the image
 * is not encrypted); its header is wherever the strategy has moved sector 0 by now. */
static int resume_decrypt(dfu_boot_t *b, const dfu_boot_status_t *bs)
{
    const dfu_swap_ops_t *ops = b->ops;
    uint32_t kl = b->tcfg.enc_key_len;
    b->decrypting = 0;
    if (kl == 0u || b->swap_type == DFU_BOOT_SWAP_REVERT) {
        return DFU_OK;
    }
    int rc = dfu_flash_read(&b->cfg->primary, b->lp.enc_key1_off, b->enc_key, kl);
    if (rc < 0) {
        return rc;
    }
    int erased = 1;
    for (uint32_t i = 0; i < kl; i++) {
        erased &= b->enc_key[i] == dfu_flash_erased_val(&b->cfg->primary);
    }
    if (erased) {
        return DFU_OK;
    }
    const dfu_flash_area_t *fa = NULL;
    uint32_t off = 0;
    uint8_t h[32];
    ops->new_hdr_loc(b, bs->rec, &fa, &off);
    rc = dfu_flash_read(fa, off, h, sizeof(h));
    if (rc < 0) {
        return rc;
    }
    if (dfu_boot_get_le32(h) != IMG_MAGIC) {
        return DFU_ERR_BAD_STATUS;
    }
    b->enc_hdr_size = (uint32_t)h[8] | ((uint32_t)h[9] << 8);
    b->enc_img_size = dfu_boot_get_le32(h + 12);
    b->enc_key_len = (uint8_t)kl;
    b->decrypting = 1;
    return DFU_OK;
}

static int do_upgrade(dfu_boot_t *b, dfu_boot_result_t *res)
{
    const dfu_boot_cfg_t *c = b->cfg;
    const dfu_swap_ops_t *ops = b->ops;
    dfu_boot_slot_state_t p;
    dfu_boot_slot_state_t s;
    dfu_boot_status_t bs;
    memset(&bs, 0, sizeof(bs));
    memset(&p, 0, sizeof(p));
    memset(&s, 0, sizeof(s));
    b->revert_fixup = 0;
    b->decrypting = 0;
    int rc = dfu_boot_read_state_l(&c->primary, &b->lp, b->tcfg.max_align, &p);
    if (rc == 0) {
        rc = dfu_boot_read_state_l(&c->secondary, &b->ls, b->tcfg.max_align, &s);
    }
    if (rc == 0) {
        rc = ops->read_status(b, &p, &s, &bs);
    }
    if (rc == DFU_ERR_BAD_STATUS) {
        set_reason(res, DFU_BOOT_REASON_INCONSISTENT);
        return DFU_OK;
    }
    if (rc < 0) {
        return rc;
    }
    if (bs.source != DFU_BOOT_SRC_NONE && bs.rec > 0u && bs.swap_type != DFU_BOOT_SWAP_NONE) {
        b->swap_type = bs.swap_type;
        b->swap_size = bs.swap_size;
        rc = resume_decrypt(b, &bs);
        if (rc == DFU_ERR_BAD_STATUS) {
            set_reason(res, DFU_BOOT_REASON_INCONSISTENT); /* encrypted image header lost */
            return DFU_OK;
        }
        if (rc < 0) {
            return rc;
        }
        res->resumed = 1;
        res->swap_type = bs.swap_type;
        res->reverted = bs.swap_type == DFU_BOOT_SWAP_REVERT;
        rc = ops->run(b, &bs);
        if (rc == 0) {
            rc = finalize(b);
        }
        /* the image swapped out is in S now: at offset 0, except after an offset revert
         * (S + 1 sector); overwrite-only erased it (no note) */
        uint32_t out_off =
            res->reverted ? dfu_boot_secondary_image_off(&b->tcfg, &c->secondary) : 0u;
        return rc == 0 ? note_other(&c->secondary, out_off, res) : rc;
    }
    if (bs.source != DFU_BOOT_SRC_NONE && bs.swap_type != DFU_BOOT_SWAP_NONE) {
        return start_new(b, bs.swap_type, 1, &bs, res);
    }
    int offset_mode = c->trailer.strategy == DFU_BOOT_STRATEGY_OFFSET;
    int type = dfu_boot_decide(&p, &s, offset_mode);
    if (s.magic == DFU_BOOT_MAGIC_BAD && type == DFU_BOOT_SWAP_NONE) {
        /* A BAD secondary magic (garbage, a torn erase) is no request and, as in MCUboot, also
         * blocks the revert row. It is cleared only when that changes no decision (P is not an
         * unconfirmed test image), so what the application reports stays what happens. */
        dfu_boot_slot_state_t u = s;
        u.magic = DFU_BOOT_MAGIC_UNSET;
        if (dfu_boot_decide(&p, &u, offset_mode) == DFU_BOOT_SWAP_NONE) {
            rc = dfu_boot_erase_from(&c->secondary, dfu_boot_trailer_sector_off(b, &b->ls));
            if (rc < 0) {
                return rc;
            }
            set_reason(res, DFU_BOOT_REASON_CLEARED_TRAILER);
        }
    }
    if (type == DFU_BOOT_SWAP_REVERT && c->trailer.strategy == DFU_BOOT_STRATEGY_OVERWRITE) {
        type = DFU_BOOT_SWAP_NONE; /* overwrite-only cannot revert */
    }
    if (type == DFU_BOOT_SWAP_NONE) {
        return DFU_OK;
    }
    /* A revert turned into a PERM-looking request by the move fix-up (S swap_info REVERT) is
     * still a revert: no downgrade check against the image being reverted. */
    b->revert_fixup = type == DFU_BOOT_SWAP_PERM && s.swap_type == DFU_BOOT_SWAP_REVERT;
    return start_new(b, type, 0, &bs, res);
}

/* Reason of a boot that booted without an earlier cause being set. */
static uint8_t swap_reason(const dfu_boot_result_t *res)
{
    if (res->resumed) {
        return DFU_BOOT_REASON_RESUMED;
    }
    if (res->reverted) {
        return DFU_BOOT_REASON_REVERT;
    }
    if (res->swap_type == DFU_BOOT_SWAP_TEST) {
        return DFU_BOOT_REASON_TEST;
    }
    return res->swap_type == DFU_BOOT_SWAP_PERM ? DFU_BOOT_REASON_PERM : DFU_BOOT_REASON_NONE;
}

static int boot_run(dfu_boot_t *b, dfu_boot_result_t *res)
{
    memset(res, 0, sizeof(*res));
    res->swap_type = DFU_BOOT_SWAP_NONE;
    set_reason(res, DFU_BOOT_REASON_NONE);
    int rc = do_upgrade(b, res);
    if (rc < 0) {
        set_reason(res, rc == DFU_ERR_POWER_CUT ? DFU_BOOT_REASON_POWER_CUT
                                                : DFU_BOOT_REASON_FLASH_ERROR);
        return rc;
    }
    dfu_boot_image_info_t pi;
    if (b->cfg->flags & DFU_BOOT_F_NO_PRIMARY_CHECK) {
        uint32_t total = 0;
        memset(&pi, 0, sizeof(pi));
        rc = image_total_size(&b->cfg->primary, 0, &total);
        pi.total_size = total;
    } else {
        rc = validate(b, &b->cfg->primary, 0, 0, &pi);
    }
    if (rc == DFU_ERR_POWER_CUT) {
        return rc;
    }
    if (rc < 0) {
        res->primary_err = rc;
        if (res->reason_code == DFU_BOOT_REASON_NONE) {
            set_reason(res, DFU_BOOT_REASON_NO_BOOTABLE); /* else keep the cause */
        }
        return DFU_ERR_NOT_FOUND;
    }
    res->booted = 1;
    res->image = pi;
    if (res->reason_code == DFU_BOOT_REASON_NONE) {
        set_reason(res, swap_reason(res));
    }
    return DFU_OK;
}

int dfu_boot_go(dfu_boot_t *b, dfu_boot_result_t *res)
{
    if (b == NULL || b->cfg == NULL || res == NULL) {
        return DFU_ERR_INVAL;
    }
    const dfu_boot_cfg_t *c = b->cfg;
    const dfu_flash_stats_t st0 = c->primary.flash->stats;
    const dfu_boot_clock_t *clk = c->clock != NULL && c->clock->now_ms != NULL ? c->clock : NULL;
    uint32_t t0 = clk != NULL ? clk->now_ms(clk->ctx) : 0u;
    int rc = boot_run(b, res);
    if (rc < 0 && rc != DFU_ERR_NOT_FOUND) {
        return rc; /* nothing decided: a power cut or a flash error (not recorded) */
    }
    const dfu_flash_stats_t *st = &c->primary.flash->stats;
    res->flash_erases = st->erases - st0.erases;
    res->flash_writes = st->writes - st0.writes;
    res->flash_bytes = (uint32_t)(st->bytes_written - st0.bytes_written);
    res->time_ms = clk != NULL ? clk->now_ms(clk->ctx) - t0 : 0u;
    /* The report never stops a boot: a log that cannot be written leaves boot_count 0. */
    if (c->log.size != 0u) {
        int lrc = dfu_boot_log_append(&c->log, res);
        if (lrc == DFU_ERR_POWER_CUT) {
            return lrc;
        }
    }
    if (c->handoff != NULL) {
        (void)dfu_boot_handoff_write(c->handoff, c->handoff_size, res);
    }
    return rc;
}
