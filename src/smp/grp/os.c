/* SMP OS group (0): echo, datetime, reset, MCUmgr params, OS info, bootloader info. */
#include <string.h>

#include "dfukit/dfu_err.h"
#include "dfukit/dfu_smp_os.h"
#include "os_priv.h"

static dfu_smp_os_t *os_of(dfu_smp_req_t *req)
{
    return req->gctx;
}

/* ==== Echo (0) ============================================================================== */

static int os_echo(dfu_smp_req_t *req)
{
    dfu_cbor_str_t d = {NULL, 0};
    const dfu_cbor_key_t keys[] = {{"d", DFU_CBOR_WANT_TSTR, 0, &d}};
    int rc = dfu_smp_req_decode(req, keys, 1, NULL);
    if (rc != 0) {
        return rc;
    }
    dfu_cbor_writer_t *w = req->w;
    return dfu_cbor_put_str(w, "r") && dfu_cbor_put_tstr(w, (const char *)d.ptr, d.len)
               ? 0
               : DFU_ERR_NOMEM;
}

/* ==== Datetime (4) ========================================================================== */

/* Reads 1..maxd decimal digits at s[*i]. */
static bool parse_num(const char *s, size_t len, size_t *i, unsigned maxd, uint32_t *out)
{
    uint32_t v = 0;
    unsigned n = 0;
    while (*i < len && n < maxd && s[*i] >= '0' && s[*i] <= '9') {
        v = v * 10u + (uint32_t)(s[*i] - '0');
        (*i)++;
        n++;
    }
    *out = v;
    return n > 0;
}

int dfu_smp_os_parse_datetime(const char *s, size_t len, bool with_ms, dfu_smp_datetime_t *out)
{
    static const struct {
        unsigned digits;
        uint32_t lo, hi;
    } f[6] = {{5, 1900, 11899}, {2, 1, 12}, {2, 1, 31}, {2, 0, 23}, {2, 0, 59}, {2, 0, 59}};
    uint32_t v[6];
    size_t i = 0;
    if (len < 19 || len > 25) {
        return DFU_ERR_INVAL;
    }
    for (unsigned k = 0; k < 6; k++) {
        if (k > 0) {
            i++; /* one delimiter character of any kind */
        }
        if (!parse_num(s, len, &i, f[k].digits, &v[k]) || v[k] < f[k].lo || v[k] > f[k].hi) {
            return DFU_ERR_INVAL;
        }
        if (k < 5 && (i >= len || (s[i] >= '0' && s[i] <= '9'))) {
            return DFU_ERR_INVAL;
        }
    }
    uint32_t ms = 0;
    if (with_ms && i < len && s[i] == '.') {
        i++;
        if (!parse_num(s, len, &i, 3, &ms)) {
            return DFU_ERR_INVAL;
        }
    }
    out->year = (uint16_t)v[0];
    out->month = (uint8_t)v[1];
    out->day = (uint8_t)v[2];
    out->hour = (uint8_t)v[3];
    out->minute = (uint8_t)v[4];
    out->second = (uint8_t)v[5];
    out->ms = (uint16_t)ms;
    return 0;
}

/* Writes `v` as decimal, at least `width` digits, at out+*n (bounded by cap). */
static void put_dec(char *out, size_t cap, size_t *n, uint32_t v, unsigned width)
{
    char tmp[10];
    unsigned d = 0;
    do {
        tmp[d++] = (char)('0' + v % 10u);
        v /= 10u;
    } while (v != 0 && d < sizeof(tmp));
    while (d < width && d < sizeof(tmp)) {
        tmp[d++] = '0';
    }
    while (d > 0 && *n + 1 < cap) {
        out[(*n)++] = tmp[--d];
    }
}

static void put_ch(char *out, size_t cap, size_t *n, char c)
{
    if (*n + 1 < cap) {
        out[(*n)++] = c;
    }
}

size_t dfu_smp_os_format_datetime(const dfu_smp_datetime_t *dt, bool with_ms, char *out, size_t cap)
{
    size_t n = 0;
    if (cap == 0) {
        return 0;
    }
    put_dec(out, cap, &n, dt->year, 4);
    put_ch(out, cap, &n, '-');
    put_dec(out, cap, &n, dt->month, 2);
    put_ch(out, cap, &n, '-');
    put_dec(out, cap, &n, dt->day, 2);
    put_ch(out, cap, &n, 'T');
    put_dec(out, cap, &n, dt->hour, 2);
    put_ch(out, cap, &n, ':');
    put_dec(out, cap, &n, dt->minute, 2);
    put_ch(out, cap, &n, ':');
    put_dec(out, cap, &n, dt->second, 2);
    if (with_ms) {
        put_ch(out, cap, &n, '.');
        put_dec(out, cap, &n, dt->ms, 1);
    }
    out[n] = '\0';
    return n;
}

static int os_datetime_get(dfu_smp_req_t *req)
{
    dfu_smp_os_t *os = os_of(req);
    const dfu_smp_os_port_t *p = os->cfg.port;
    if (p == NULL || p->time_get == NULL) {
        return DFU_ERR_NOTSUP;
    }
    dfu_smp_datetime_t dt;
    int rc = p->time_get(p->ctx, &dt);
    if (rc != 0) {
        dfu_smp_req_set_rsn(req, rc == DFU_ERR_NODEV ? "clock not set" : "clock read failed");
        return rc == DFU_ERR_NODEV ? DFU_ERR_NODEV : DFU_ERR_IO;
    }
    char buf[32];
    size_t n = dfu_smp_os_format_datetime(&dt, os->cfg.datetime_ms, buf, sizeof(buf));
    return dfu_cbor_put_str(req->w, "datetime") && dfu_cbor_put_tstr(req->w, buf, n)
               ? 0
               : DFU_ERR_NOMEM;
}

static int os_datetime_set(dfu_smp_req_t *req)
{
    dfu_smp_os_t *os = os_of(req);
    const dfu_smp_os_port_t *p = os->cfg.port;
    if (p == NULL || p->time_set == NULL) {
        return DFU_ERR_NOTSUP;
    }
    dfu_cbor_str_t s = {NULL, 0};
    uint32_t found = 0;
    const dfu_cbor_key_t keys[] = {{"datetime", DFU_CBOR_WANT_TSTR, 0, &s}};
    int rc = dfu_smp_req_decode(req, keys, 1, &found);
    if (rc != 0) {
        return rc;
    }
    dfu_smp_datetime_t dt;
    if (found == 0 ||
        dfu_smp_os_parse_datetime((const char *)s.ptr, s.len, os->cfg.datetime_ms, &dt) != 0) {
        dfu_smp_req_set_rsn(req, "datetime must be YYYY-MM-DDTHH:MM:SS");
        return DFU_ERR_INVAL;
    }
    rc = p->time_set(p->ctx, &dt);
    if (rc != 0) {
        dfu_smp_req_set_rsn(req, "clock write failed");
        return DFU_ERR_IO;
    }
    return 0;
}

/* ==== Reset (5) ============================================================================== */

static void os_do_reset(void *ctx)
{
    dfu_smp_os_t *os = ctx;
    os->cfg.port->reset(os->cfg.port->ctx, os->reset_mode);
}

static int os_reset(dfu_smp_req_t *req)
{
    dfu_smp_os_t *os = os_of(req);
    const dfu_smp_os_port_t *p = os->cfg.port;
    if (p == NULL || p->reset == NULL) {
        return DFU_ERR_NOTSUP;
    }
    bool force = false;
    uint64_t mode = 0;
    const dfu_cbor_key_t keys[] = {
        {"force", DFU_CBOR_WANT_BOOLISH, 0, &force},
        {"boot_mode", DFU_CBOR_WANT_UINT, 0, &mode},
    };
    /* Zephyr ignores a malformed reset map: the reset still happens, with the defaults. */
    if (dfu_smp_req_decode(req, keys, 2, NULL) != 0) {
        force = false;
        mode = 0;
    }
    if (mode > 255u) {
        dfu_smp_req_set_rsn(req, "boot_mode must be 0..255");
        return DFU_ERR_INVAL;
    }
    if (p->reset_check != NULL) {
        int rc = p->reset_check(p->ctx, force, (uint8_t)mode);
        if (rc != 0 && !force) {
            dfu_smp_req_set_rsn(req, "reset refused by the application; retry with force");
            return rc < 0 ? rc : DFU_ERR_BUSY;
        }
    }
    os->reset_mode = (uint8_t)mode;
    dfu_smp_req_after_send(req, os_do_reset, os);
    return 0;
}

/* ==== MCUmgr params (6) ===================================================================== */

static int os_params(dfu_smp_req_t *req)
{
    dfu_smp_os_t *os = os_of(req);
    dfu_cbor_writer_t *w = req->w;
    uint16_t count = os->cfg.buf_count ? os->cfg.buf_count : 4u;
    return dfu_cbor_put_str(w, "buf_size") && dfu_cbor_put_uint(w, req->srv->cfg.buf_size) &&
                   dfu_cbor_put_str(w, "buf_count") && dfu_cbor_put_uint(w, count)
               ? 0
               : DFU_ERR_NOMEM;
}

/* ==== OS/app info (7) ======================================================================== */

#define INFO_FIELDS 9u
static const char info_letters[INFO_FIELDS] = {'s', 'n', 'r', 'v', 'b', 'm', 'p', 'i', 'o'};

static const char *info_field(const dfu_smp_os_cfg_t *c, unsigned k)
{
    static const char *const defaults[INFO_FIELDS] = {
        "dfukit", "dfukit-device", "0.1.0", "0.1.0", NULL, "arm", "cortex-m4", "generic", "dfukit"};
    const char *v[INFO_FIELDS] = {c->kernel_name, c->node_name,  c->release,
                                  c->version,     c->build_time, c->machine,
                                  c->processor,   c->platform,   c->os_name};
    return v[k] != NULL ? v[k] : defaults[k];
}

/* Turns the format string into a bit set of fields (bit k = info_letters[k]). */
static int info_mask(const dfu_smp_os_cfg_t *c, const dfu_cbor_str_t *fmt, unsigned *mask)
{
    *mask = 0;
    for (size_t i = 0; i < fmt->len; i++) {
        char ch = (char)fmt->ptr[i];
        bool ok = false;
        if (ch == 'a') {
            for (unsigned k = 0; k < INFO_FIELDS; k++) {
                *mask |= info_field(c, k) != NULL ? 1u << k : 0u;
            }
            continue;
        }
        for (unsigned k = 0; k < INFO_FIELDS; k++) {
            if (ch == info_letters[k] && info_field(c, k) != NULL) {
                *mask |= 1u << k;
                ok = true;
            }
        }
        if (!ok) {
            return DFU_ERR_SMP_BAD_FORMAT;
        }
    }
    if (*mask == 0) {
        *mask = 1u; /* empty format = "s" */
    }
    return 0;
}

static int os_info(dfu_smp_req_t *req)
{
    dfu_smp_os_t *os = os_of(req);
    dfu_cbor_str_t fmt = {NULL, 0};
    const dfu_cbor_key_t keys[] = {{"format", DFU_CBOR_WANT_TSTR, 0, &fmt}};
    int rc = dfu_smp_req_decode(req, keys, 1, NULL);
    if (rc != 0) {
        return rc;
    }
    unsigned mask;
    rc = info_mask(&os->cfg, &fmt, &mask);
    if (rc != 0) {
        dfu_smp_req_set_rsn(req, "format letters: s n r v b m p i o a");
        return rc;
    }
    size_t total = 0;
    unsigned n = 0;
    for (unsigned k = 0; k < INFO_FIELDS; k++) {
        if ((mask & (1u << k)) != 0) {
            total += strlen(info_field(&os->cfg, k)) + (n++ > 0 ? 1u : 0u);
        }
    }
    dfu_cbor_writer_t *w = req->w;
    bool ok = dfu_cbor_put_str(w, "output") && dfu_cbor_put_tstr_head(w, total);
    n = 0;
    for (unsigned k = 0; ok && k < INFO_FIELDS; k++) {
        if ((mask & (1u << k)) != 0) {
            const char *f = info_field(&os->cfg, k);
            ok = (n++ == 0 || dfu_cbor_put_raw(w, " ", 1)) && dfu_cbor_put_raw(w, f, strlen(f));
        }
    }
    return ok ? 0 : DFU_ERR_NOMEM;
}

/* ==== Bootloader info (8) =================================================================== */

static int os_bootloader(dfu_smp_req_t *req)
{
    dfu_smp_os_t *os = os_of(req);
    dfu_cbor_str_t q = {NULL, 0};
    uint64_t count = 0;
    uint64_t before = 0;
    uint32_t found = 0;
    const dfu_cbor_key_t keys[] = {{"query", DFU_CBOR_WANT_TSTR, 0, &q},
                                   {"count", DFU_CBOR_WANT_UINT, 0, &count},
                                   {"before", DFU_CBOR_WANT_UINT, 0, &before}};
    int rc = dfu_smp_req_decode(req, keys, 3, &found);
    if (rc != 0) {
        return rc;
    }
    dfu_cbor_writer_t *w = req->w;
    bool ok;
    if ((found & 1u) == 0) {
        ok = dfu_cbor_put_str(w, "bootloader") && dfu_cbor_put_str(w, "MCUboot");
    } else if (dfu_cbor_str_eq(&q, "mode")) {
        ok = dfu_cbor_put_str(w, "mode") && dfu_cbor_put_int(w, os->cfg.mcuboot_mode);
        if (ok && os->cfg.no_downgrade) {
            ok = dfu_cbor_put_str(w, "no-downgrade") && dfu_cbor_put_bool(w, true);
        }
    } else {
        rc = dfu_smp_os_boot_query(req, os, &q, count, before);
        if (rc == DFU_ERR_SMP_NO_ANSWER) {
            static const char *const rsn[4] = {
                "unknown query; supported: mode", "unknown query; supported: mode, last_boot",
                "unknown query; supported: mode, boot_log",
                "unknown query; supported: mode, last_boot, boot_log"};
            dfu_smp_req_set_rsn(
                req, rsn[(os->cfg.last_boot != NULL ? 1 : 0) + (os->cfg.boot_log != NULL ? 2 : 0)]);
        }
        return rc;
    }
    return ok ? 0 : DFU_ERR_NOMEM;
}

/* ==== Group table ============================================================================ */

static const dfu_smp_handler_t os_handlers[] = {
    [0] = {.read = os_echo, .write = os_echo},
    [4] = {.read = os_datetime_get, .write = os_datetime_set},
    [5] = {.read = NULL, .write = os_reset},
    [6] = {.read = os_params, .write = NULL},
    [7] = {.read = os_info, .write = NULL},
    [8] = {.read = os_bootloader, .write = NULL},
};

static const dfu_smp_errmap_t os_errmap[] = {
    {DFU_ERR_SMP_BAD_FORMAT, DFU_SMP_OS_ERR_INVALID_FORMAT, DFU_SMP_RC_EINVAL},
    {DFU_ERR_NODEV, DFU_SMP_OS_ERR_RTC_NOT_SET, DFU_SMP_RC_ENOENT},
    {DFU_ERR_IO, DFU_SMP_OS_ERR_RTC_COMMAND_FAILED, DFU_SMP_RC_EUNKNOWN},
};

const dfu_smp_group_t dfu_smp_os_group = {
    .id = DFU_SMP_GROUP_OS,
    .handlers = os_handlers,
    .count = sizeof(os_handlers) / sizeof(os_handlers[0]),
    .errmap = os_errmap,
    .errmap_count = sizeof(os_errmap) / sizeof(os_errmap[0]),
};

int dfu_smp_os_register(dfu_smp_server_t *srv, dfu_smp_os_t *os, const dfu_smp_os_cfg_t *cfg)
{
    memset(os, 0, sizeof(*os));
    if (cfg != NULL) {
        os->cfg = *cfg;
    }
    return dfu_smp_server_register(srv, &dfu_smp_os_group, os);
}
