/*
 * SMP OS group, bootloader info (8): dfukit's boot outcome queries.
 *   {"query": "last_boot"} -> the record of this boot (what the bootloader did and why);
 *   {"query": "boot_log", "count"?, "before"?} -> {"total", "boot_log": [entries, newest first]}
 *     from the bootloader's persistent record log, as many entries as the response buffer holds.
 * Keys: docs/SPEC-smp.md section 4.1. A device without the record answers these queries as an
 * unknown query (the caller's job), so clients that do not know them see Zephyr's behaviour.
 */
#include <string.h>

#include "dfukit/dfu_boot_record.h"
#include "dfukit/dfu_err.h"
#include "grp_version.h"
#include "os_priv.h"

static bool put_kv_uint(dfu_cbor_writer_t *w, const char *k, uint64_t v)
{
    return dfu_cbor_put_str(w, k) && dfu_cbor_put_uint(w, v);
}

static bool put_kv_bool(dfu_cbor_writer_t *w, const char *k, bool v)
{
    return dfu_cbor_put_str(w, k) && dfu_cbor_put_bool(w, v);
}

static bool put_kv_version(dfu_cbor_writer_t *w, const char *k, uint8_t major, uint8_t minor,
                           uint16_t revision, uint32_t build)
{
    char v[28];
    size_t n = dfu_smp_version_str(major, minor, revision, build, v, sizeof(v));
    return dfu_cbor_put_str(w, k) && dfu_cbor_put_tstr(w, v, n);
}

/* The key/value pairs of one record. `full`: last_boot (all keys); otherwise the compact log
 * entry (no slot, hash, error codes, flash figures). */
static bool put_record(dfu_cbor_writer_t *w, const dfu_boot_result_t *r, bool full)
{
    const char *swap = r->reverted ? "revert" : dfu_boot_swap_name(r->swap_type);
    bool ok = put_kv_uint(w, "boot", r->boot_count) && dfu_cbor_put_str(w, "swap") &&
              dfu_cbor_put_str(w, swap) && put_kv_bool(w, "resumed", r->resumed != 0u) &&
              put_kv_bool(w, "booted", r->booted != 0u);
    if (ok && full) {
        ok = put_kv_uint(w, "slot", 0);
    }
    if (ok && r->booted) {
        ok = put_kv_version(w, "version", r->image.ver_major, r->image.ver_minor,
                            r->image.ver_revision, r->image.ver_build);
    }
    if (ok && full && r->booted && r->image.hash_len != 0u) {
        size_t hl = r->image.hash_len <= 32u ? r->image.hash_len : 32u;
        ok = dfu_cbor_put_str(w, "hash") && dfu_cbor_put_bstr(w, r->image.hash, hl);
    }
    ok = ok && dfu_cbor_put_str(w, "reason") &&
         dfu_cbor_put_str(w, dfu_boot_reason_text(r->reason_code)) &&
         put_kv_uint(w, "reason_code", r->reason_code);
    if (ok && r->has_other) {
        ok = put_kv_version(w, "other_version", r->other.major, r->other.minor, r->other.revision,
                            r->other.build);
    }
    if (ok && full && r->secondary_err != 0) {
        ok = dfu_cbor_put_str(w, "refused_err") && dfu_cbor_put_int(w, r->secondary_err);
    }
    if (ok && full && r->primary_err != 0) {
        ok = dfu_cbor_put_str(w, "primary_err") && dfu_cbor_put_int(w, r->primary_err);
    }
    if (ok && full) {
        ok = put_kv_uint(w, "flash_erases", r->flash_erases) &&
             put_kv_uint(w, "flash_writes", r->flash_writes) &&
             put_kv_uint(w, "flash_bytes", r->flash_bytes) && put_kv_uint(w, "time_ms", r->time_ms);
    }
    return ok;
}

/* Encoded size of a CBOR head for `v` (major type bits aside). */
static size_t head_len(uint64_t v)
{
    return v < 24u ? 1u : v <= 0xffu ? 2u : v <= 0xffffu ? 3u : v <= 0xffffffffu ? 5u : 9u;
}

static size_t tstr_len(size_t n)
{
    return head_len(n) + n;
}

/* Exact encoded size of a compact log entry (indefinite map of put_record(.., false)), so it is
 * written straight into the response only when it fits (no scratch copy on the stack). */
static size_t entry_len(const dfu_boot_result_t *r)
{
    const char *swap = r->reverted ? "revert" : dfu_boot_swap_name(r->swap_type);
    char v[28];
    size_t n = 2u; /* BF ... FF */
    n += tstr_len(4) + head_len(r->boot_count);
    n += tstr_len(4) + tstr_len(strlen(swap));
    n += tstr_len(7) + 1u + tstr_len(6) + 1u;
    if (r->booted) {
        n += tstr_len(7) +
             tstr_len(dfu_smp_version_str(r->image.ver_major, r->image.ver_minor,
                                          r->image.ver_revision, r->image.ver_build, v, sizeof(v)));
    }
    n += tstr_len(6) + tstr_len(strlen(dfu_boot_reason_text(r->reason_code)));
    n += tstr_len(11) + head_len(r->reason_code);
    if (r->has_other) {
        n += tstr_len(13) +
             tstr_len(dfu_smp_version_str(r->other.major, r->other.minor, r->other.revision,
                                          r->other.build, v, sizeof(v)));
    }
    return n;
}

static int boot_log(dfu_smp_req_t *req, const dfu_flash_area_t *log, uint64_t count,
                    uint64_t before)
{
    dfu_boot_log_iter_t it;
    if (dfu_boot_log_iter_init(&it, log) < 0) {
        dfu_smp_req_set_rsn(req, "boot record log unreadable");
        return DFU_ERR_CORRUPT;
    }
    dfu_cbor_writer_t *w = req->w;
    if (!(put_kv_uint(w, "total", it.total) && dfu_cbor_put_str(w, "boot_log") &&
          dfu_cbor_put_array_indef(w))) {
        return DFU_ERR_NOMEM;
    }
    uint64_t sent = 0;
    for (;;) {
        dfu_boot_result_t r;
        int rc = dfu_boot_log_iter_next(&it, &r);
        if (rc == DFU_ERR_NOT_FOUND) {
            break;
        }
        if (rc < 0) {
            dfu_smp_req_set_rsn(req, "boot record log unreadable");
            return DFU_ERR_CORRUPT;
        }
        if (before != 0u && r.boot_count >= before) {
            continue;
        }
        if (count != 0u && sent >= count) {
            break;
        }
        /* room for the entry, the array's break and the response map's break */
        if (w->err != 0 || w->cap - w->len < entry_len(&r) + 2u) {
            break; /* the client asks again with "before" = the last boot number it got */
        }
        if (!(dfu_cbor_put_map_indef(w) && put_record(w, &r, false) && dfu_cbor_put_break(w))) {
            return DFU_ERR_NOMEM;
        }
        sent++;
    }
    return dfu_cbor_put_break(w) ? 0 : DFU_ERR_NOMEM;
}

int dfu_smp_os_boot_query(dfu_smp_req_t *req, const dfu_smp_os_t *os, const dfu_cbor_str_t *q,
                          uint64_t count, uint64_t before)
{
    if (dfu_cbor_str_eq(q, "last_boot") && os->cfg.last_boot != NULL) {
        return put_record(req->w, os->cfg.last_boot, true) ? 0 : DFU_ERR_NOMEM;
    }
    if (dfu_cbor_str_eq(q, "boot_log") && os->cfg.boot_log != NULL) {
        return boot_log(req, os->cfg.boot_log, count, before);
    }
    return DFU_ERR_SMP_NO_ANSWER;
}
