/*
 * The device's boot outcome (OS bootloader info queries "last_boot" and "boot_log",
 * docs/SPEC-smp.md section 4.1): reading it, paging through the log, and explaining a record in
 * one line with the fix. Devices without it (Zephyr, Mynewt, MCUboot serial recovery) answer as
 * for an unknown query; that is reported as DFU_ERR_NOTSUP and the caller says so in one line.
 */
#include <string.h>

#include "dfu_client.h"
#include "dfukit/dfu_boot_record.h"
#include "dfukit/dfu_cbor.h"
#include "dfukit/dfu_smp.h"

/* The device answered the query as an unknown one: rc 3 (Zephyr's plain code), rc 8 (no
 * bootloader info at all, e.g. Mynewt) or v2 err {group 0, rc 3} (QUERY_YIELDS_NO_ANSWER, what
 * Zephyr's documentation promises). */
static bool unknown_query(const dfu_client_err_t *e)
{
    if (e->group_rc == 0) {
        return e->rc == DFU_SMP_RC_EINVAL || e->rc == DFU_SMP_RC_ENOTSUP;
    }
    return e->group == DFU_SMP_GROUP_OS && e->group_rc == 3;
}

static int query(dfu_client_t *c, const char *what, const char *q, uint64_t count, uint64_t before,
                 dfu_cval_t *rsp)
{
    uint8_t buf[96];
    dfu_cbor_writer_t w;
    dfu_cbor_writer_init(&w, buf, sizeof(buf));
    size_t pairs = 1u + (count != 0u ? 1u : 0u) + (before != 0u ? 1u : 0u);
    (void)(dfu_cbor_put_map(&w, pairs) && dfu_cbor_put_str(&w, "query") && dfu_cbor_put_str(&w, q));
    if (count != 0u) {
        (void)(dfu_cbor_put_str(&w, "count") && dfu_cbor_put_uint(&w, count));
    }
    if (before != 0u) {
        (void)(dfu_cbor_put_str(&w, "before") && dfu_cbor_put_uint(&w, before));
    }
    if (w.err) {
        return DFU_ERR_INVAL;
    }
    dfu_client_err_t saved = c->err;
    int rc = dfu_client_request(c, what, DFU_SMP_OP_READ, DFU_SMP_GROUP_OS, 8, buf, w.len, 0, rsp);
    if (rc == DFU_ERR_DEVICE && unknown_query(&c->err)) {
        c->err = saved; /* not a failure of the command: the device lacks the feature */
        return DFU_ERR_NOTSUP;
    }
    return rc;
}

static uint64_t get_u(const dfu_cval_t *m, const char *k)
{
    uint64_t v = 0;
    return dfu_cmap_uint(m, k, &v) ? v : 0u;
}

static int parse(const dfu_cval_t *m, dfu_client_bootrec_t *r)
{
    memset(r, 0, sizeof(*r));
    uint64_t boot = 0;
    if (!dfu_cval_is_map(m) || !dfu_cmap_uint(m, "boot", &boot) || boot > UINT32_MAX ||
        !dfu_cmap_str(m, "swap", r->swap, sizeof(r->swap)) ||
        !dfu_cmap_str(m, "reason", r->reason, sizeof(r->reason))) {
        return DFU_ERR_PROTO;
    }
    r->boot = (uint32_t)boot;
    dfu_cmap_bool(m, "resumed", &r->resumed);
    dfu_cmap_bool(m, "booted", &r->booted);
    r->slot = (int)get_u(m, "slot");
    dfu_cmap_str(m, "version", r->version, sizeof(r->version));
    dfu_cmap_bytes(m, "hash", r->hash, sizeof(r->hash), &r->hash_len);
    uint64_t code = DFU_BOOT_REASON_COUNT;
    r->reason_code = dfu_cmap_uint(m, "reason_code", &code) && code < 256u ? (int)code : -1;
    r->has_other = dfu_cmap_str(m, "other_version", r->other_version, sizeof(r->other_version));
    dfu_cmap_int(m, "refused_err", &r->refused_err);
    dfu_cmap_int(m, "primary_err", &r->primary_err);
    dfu_cval_t fe;
    r->has_flash = dfu_cmap_get(m, "flash_erases", &fe);
    r->flash_erases = get_u(m, "flash_erases");
    r->flash_writes = get_u(m, "flash_writes");
    r->flash_bytes = get_u(m, "flash_bytes");
    r->time_ms = get_u(m, "time_ms");
    return DFU_OK;
}

int dfu_client_last_boot(dfu_client_t *c, dfu_client_bootrec_t *r)
{
    dfu_cval_t rsp;
    memset(r, 0, sizeof(*r));
    int rc = query(c, "bootloader last_boot", "last_boot", 0, 0, &rsp);
    if (rc != DFU_OK) {
        return rc;
    }
    return parse(&rsp, r);
}

int dfu_client_boot_log(dfu_client_t *c, dfu_client_bootrec_t *out, size_t max, size_t *n,
                        uint32_t *total)
{
    *n = 0;
    *total = 0;
    uint64_t before = 0;
    while (*n < max) {
        dfu_cval_t rsp, arr, e;
        int rc = query(c, "bootloader boot_log", "boot_log", max - *n, before, &rsp);
        if (rc != DFU_OK) {
            return rc;
        }
        uint64_t t = 0;
        if (!dfu_cmap_uint(&rsp, "total", &t) || t > UINT32_MAX ||
            !dfu_cmap_get(&rsp, "boot_log", &arr) || !dfu_cval_is_array(&arr)) {
            return DFU_ERR_PROTO;
        }
        *total = (uint32_t)t;
        size_t got = 0;
        for (size_t i = 0; *n < max && rc == DFU_OK && dfu_carr_get(&arr, i, &e); i++) {
            got++;
            rc = parse(&e, &out[*n]);
            /* boot numbers must go down, or paging would never end */
            if (rc == DFU_OK && before != 0u && out[*n].boot >= before) {
                rc = DFU_ERR_PROTO;
            }
            if (rc == DFU_OK) {
                before = out[*n].boot;
                (*n)++;
            }
        }
        if (rc != DFU_OK) {
            return rc;
        }
        if (got == 0 || before <= 1u) {
            break; /* the oldest record kept has been read */
        }
    }
    return DFU_OK;
}

/* ---- Explanations ------------------------------------------------------------------------- */

static const char *refused_detail(const dfu_client_bootrec_t *r)
{
    return r->refused_err != 0 ? dfu_strerror((int)r->refused_err) : "no detail";
}

void dfu_client_bootrec_explain(const dfu_client_bootrec_t *r, char *buf, size_t cap)
{
    const char *now = r->version[0] ? r->version : "the primary image";
    const char *other = r->has_other ? r->other_version : "the new image";
    const char *lead = "at the last reset the bootloader";
    switch (r->reason_code) {
    case DFU_BOOT_REASON_NONE:
        snprintf(buf, cap, "%s had nothing to install and started %s (slot %d)", lead, now,
                 r->slot);
        break;
    case DFU_BOOT_REASON_TEST:
        snprintf(buf, cap,
                 "%s swapped in %s for a test (replacing %s): it is reverted at the next reset "
                 "unless it is confirmed at start-up or with `dfukit image confirm`",
                 lead, now, r->has_other ? r->other_version : "the previous image");
        break;
    case DFU_BOOT_REASON_PERM:
        snprintf(buf, cap, "%s installed %s permanently (replacing %s)", lead, now,
                 r->has_other ? r->other_version : "the previous image");
        break;
    case DFU_BOOT_REASON_REVERT:
        snprintf(buf, cap,
                 "%s reverted %s -> %s because %s never confirmed itself: confirm it at start-up "
                 "or with `dfukit image confirm`",
                 lead, other, now, other);
        break;
    case DFU_BOOT_REASON_RESUMED:
        snprintf(buf, cap,
                 "%s completed a %s swap to %s that a power cut had interrupted (power cut during "
                 "swap: resumed and completed)%s",
                 lead, r->swap, now,
                 strcmp(r->swap, "test") == 0
                     ? "; it is reverted at the next reset unless it is confirmed"
                     : "");
        break;
    case DFU_BOOT_REASON_BAD_SIGNATURE:
        snprintf(buf, cap,
                 "%s refused %s because its signature is invalid (%s): it kept %s and erased the "
                 "candidate; sign the image with the key the bootloader expects and update again",
                 lead, other, refused_detail(r), now);
        break;
    case DFU_BOOT_REASON_BAD_HASH:
        snprintf(buf, cap,
                 "%s refused %s because its image hash does not match its contents (%s): it "
                 "kept %s and erased the candidate; upload the image again",
                 lead, other, refused_detail(r), now);
        break;
    case DFU_BOOT_REASON_INVALID:
    case DFU_BOOT_REASON_UNSUPPORTED:
        snprintf(buf, cap,
                 "%s refused %s because the image is %s (%s): it kept %s; rebuild and sign the "
                 "image for this bootloader",
                 lead, other,
                 r->reason_code == DFU_BOOT_REASON_INVALID ? "invalid"
                                                           : "of a kind it cannot install",
                 refused_detail(r), now);
        break;
    case DFU_BOOT_REASON_DOWNGRADE:
        snprintf(buf, cap,
                 "%s refused %s as a downgrade: it runs %s and refuses images with an older "
                 "version or security counter, so it erased the candidate; sign the image with a "
                 "higher version (and security counter)",
                 lead, other, now);
        break;
    case DFU_BOOT_REASON_TOO_LARGE:
        snprintf(buf, cap,
                 "%s did not install %s because it is too large for the slot or the swap: it kept "
                 "%s; build a smaller image",
                 lead, other, now);
        break;
    case DFU_BOOT_REASON_NO_IMAGE:
        snprintf(buf, cap,
                 "%s found an update request but no bootable image in slot 1, ignored it and "
                 "started %s; upload the image again",
                 lead, now);
        break;
    default:
        snprintf(buf, cap, "%s started %s: %s (boot #%u)", lead, now, r->reason, r->boot);
        break;
    }
}

void dfu_json_bootrec(dfu_json_t *j, const dfu_client_bootrec_t *r)
{
    char hex[65], why[512];
    dfu_client_hex(r->hash, r->hash_len, hex);
    dfu_client_bootrec_explain(r, why, sizeof(why));
    dfu_json_obj(j);
    dfu_json_key(j, "boot");
    dfu_json_int(j, r->boot);
    dfu_json_key(j, "swap");
    dfu_json_str(j, r->swap);
    dfu_json_key(j, "resumed");
    dfu_json_bool(j, r->resumed);
    dfu_json_key(j, "booted");
    dfu_json_bool(j, r->booted);
    dfu_json_key(j, "slot");
    dfu_json_int(j, r->slot);
    dfu_json_key(j, "version");
    dfu_json_str(j, r->version);
    dfu_json_key(j, "hash");
    dfu_json_str(j, hex);
    dfu_json_key(j, "reason");
    dfu_json_str(j, r->reason);
    dfu_json_key(j, "reason_code");
    dfu_json_int(j, r->reason_code);
    dfu_json_key(j, "other_version");
    if (r->has_other) {
        dfu_json_str(j, r->other_version);
    } else {
        dfu_json_null(j);
    }
    dfu_json_key(j, "refused_err");
    dfu_json_int(j, r->refused_err);
    dfu_json_key(j, "refused_err_text");
    dfu_json_str(j, r->refused_err != 0 ? dfu_strerror((int)r->refused_err) : "");
    dfu_json_key(j, "primary_err");
    dfu_json_int(j, r->primary_err);
    if (r->has_flash) {
        dfu_json_key(j, "flash_erases");
        dfu_json_int(j, (long long)r->flash_erases);
        dfu_json_key(j, "flash_writes");
        dfu_json_int(j, (long long)r->flash_writes);
        dfu_json_key(j, "flash_bytes");
        dfu_json_int(j, (long long)r->flash_bytes);
        dfu_json_key(j, "time_ms");
        dfu_json_int(j, (long long)r->time_ms);
    }
    dfu_json_key(j, "explanation");
    dfu_json_str(j, why);
    dfu_json_obj_end(j);
}
