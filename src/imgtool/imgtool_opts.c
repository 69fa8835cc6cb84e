/* Parsing and validation of sign option values: versions, numbers, custom TLVs, dependencies and
 * the simulator app descriptor. Every error names the option, the offending text and the fix. */
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "dfu_imgtool.h"

/* Reads one decimal field without leading zeros ("0" itself is fine). Returns chars consumed,
 * 0 if no valid field starts at s. */
static size_t parse_dec(const char *s, bool allow_leading_zero, uint64_t max, uint64_t *out)
{
    size_t i = 0;
    uint64_t v = 0;
    while (isdigit((unsigned char)s[i])) {
        v = v * 10u + (uint64_t)(s[i] - '0');
        if (v > max) {
            return 0;
        }
        i++;
    }
    if (i == 0 || (!allow_leading_zero && i > 1 && s[0] == '0')) {
        return 0;
    }
    *out = v;
    return i;
}

int dfu_imgtool_version_parse(const char *s, dfu_imgtool_version_t *v, dfu_imgtool_diag_t *diag)
{
    static const uint64_t max[4] = {255u, 255u, 65535u, 4294967295u};
    uint64_t f[4] = {0, 0, 0, 0};
    const char *p = s;
    for (int i = 0; i < 4; i++) {
        size_t n = parse_dec(p, i == 3, max[i], &f[i]);
        if (n == 0) {
            return dfu_imgtool_fail(diag, DFU_ERR_INVAL,
                                    "invalid version '%s': expected MAJOR[.MINOR[.REVISION"
                                    "[+BUILD]]]] with decimal numbers (no leading zeros), "
                                    "major/minor <= 255, revision <= 65535, build <= 4294967295,"
                                    " e.g. 1.2.3+4",
                                    s);
        }
        p += n;
        if (*p == '\0') {
            break;
        }
        char sep = (i < 2) ? '.' : '+';
        if (i == 3 || *p != sep) {
            return dfu_imgtool_fail(diag, DFU_ERR_INVAL,
                                    "invalid version '%s': unexpected '%c' at position %zu; "
                                    "expected MAJOR[.MINOR[.REVISION[+BUILD]]], e.g. 1.2.3+4",
                                    s, *p, (size_t)(p - s) + 1u);
        }
        p++;
    }
    v->major = (uint8_t)f[0];
    v->minor = (uint8_t)f[1];
    v->revision = (uint16_t)f[2];
    v->build = (uint32_t)f[3];
    return DFU_OK;
}

int dfu_imgtool_parse_u32(const char *s, uint32_t max, const char *what, uint32_t *out,
                          dfu_imgtool_diag_t *diag)
{
    char *end = NULL;
    errno = 0;
    if (!s || !*s || *s == '-' || *s == '+' || isspace((unsigned char)*s)) {
        end = NULL;
    } else {
        unsigned long long v = strtoull(s, &end, 0);
        if (errno == 0 && end && *end == '\0' && v <= max) {
            *out = (uint32_t)v;
            return DFU_OK;
        }
        if (errno == 0 && end && *end == '\0') {
            (void)dfu_imgtool_fail(diag, DFU_ERR_INVAL, "%s value '%s' is too large (max %lu)",
                                   what, s, (unsigned long)max);
            return DFU_ERR_INVAL;
        }
    }
    /* Failures return DFU_ERR_INVAL literally (not dfu_imgtool_fail's result, which is the same
     * value) so callers' analysis sees that *out is written exactly when DFU_OK is returned. */
    (void)dfu_imgtool_fail(diag, DFU_ERR_INVAL,
                           "%s value '%s' is not a number; use decimal, 0x-prefixed hex or "
                           "0-prefixed octal",
                           what, s ? s : "");
    return DFU_ERR_INVAL;
}

/* ---- custom TLVs --------------------------------------------------------------------------- */

static int add_custom_raw(dfu_imgtool_sign_opts_t *o, uint16_t tag, const uint8_t *val, size_t n,
                          const char *opt, dfu_imgtool_diag_t *diag)
{
    for (size_t i = 0; i < o->custom_count; i++) {
        if (o->custom[i].tag == tag) {
            return dfu_imgtool_fail(diag, DFU_ERR_INVAL,
                                    "%s: TLV 0x%04x given twice; each custom TLV tag may appear "
                                    "once",
                                    opt, tag);
        }
    }
    if (o->custom_count >= DFU_IMGTOOL_MAX_CUSTOM) {
        return dfu_imgtool_fail(diag, DFU_ERR_INVAL, "%s: more than %d custom TLVs", opt,
                                DFU_IMGTOOL_MAX_CUSTOM);
    }
    if (n > 0xffffu - 8u) {
        return dfu_imgtool_fail(diag, DFU_ERR_INVAL,
                                "%s: value of TLV 0x%04x is too long (%zu "
                                "bytes; a TLV holds at most 65527)",
                                opt, tag, n);
    }
    uint8_t *copy = malloc(n ? n : 1);
    if (!copy) {
        return dfu_imgtool_fail(diag, DFU_ERR_NOMEM, "out of memory");
    }
    if (n) {
        memcpy(copy, val, n);
    }
    o->custom[o->custom_count].tag = tag;
    o->custom[o->custom_count].value = copy;
    o->custom[o->custom_count].len = n;
    o->custom_count++;
    return DFU_OK;
}

static int hexval(int c)
{
    if (c >= '0' && c <= '9') {
        return c - '0';
    }
    c = tolower(c);
    return (c >= 'a' && c <= 'f') ? c - 'a' + 10 : -1;
}

int dfu_imgtool_opts_add_custom(dfu_imgtool_sign_opts_t *o, const char *tag, const char *value,
                                dfu_imgtool_diag_t *diag)
{
    uint32_t t;
    if (dfu_imgtool_parse_u32(tag, 0xffffffffu, "--custom-tlv tag", &t, diag)) {
        return DFU_ERR_INVAL;
    }
    if (t < 0xa0u || t > 0xfffeu || (t & 0xffu) < 0xa0u) {
        return dfu_imgtool_fail(diag, DFU_ERR_INVAL,
                                "--custom-tlv tag '%s' is outside the vendor range: use "
                                "0x00a0..0xfffe with a low byte of 0xa0..0xff (e.g. 0xa0, "
                                "0x01a5)",
                                tag);
    }
    if (t == DFU_IMGTOOL_TLV_SIM_APP) {
        /* allowed, but --sim-app also writes it; the duplicate check catches the clash */
    }
    if (strncmp(value, "0x", 2) == 0 || strncmp(value, "0X", 2) == 0) {
        const char *h = value + 2;
        size_t hl = strlen(h);
        if (hl % 2) {
            return dfu_imgtool_fail(diag, DFU_ERR_INVAL,
                                    "--custom-tlv %s: hex value '%s' has an odd number of "
                                    "digits; write whole bytes (e.g. 0x0102)",
                                    tag, value);
        }
        uint8_t *bytes = malloc(hl / 2 + 1);
        if (!bytes) {
            return dfu_imgtool_fail(diag, DFU_ERR_NOMEM, "out of memory");
        }
        for (size_t i = 0; i < hl / 2; i++) {
            int hi = hexval(h[2 * i]), lo = hexval(h[2 * i + 1]);
            if (hi < 0 || lo < 0) {
                free(bytes);
                return dfu_imgtool_fail(diag, DFU_ERR_INVAL,
                                        "--custom-tlv %s: '%s' is not valid hex; values "
                                        "starting with 0x must be hex bytes",
                                        tag, value);
            }
            bytes[i] = (uint8_t)(hi * 16 + lo);
        }
        int rc = add_custom_raw(o, (uint16_t)t, bytes, hl / 2, "--custom-tlv", diag);
        free(bytes);
        return rc;
    }
    return add_custom_raw(o, (uint16_t)t, (const uint8_t *)value, strlen(value), "--custom-tlv",
                          diag);
}

void dfu_imgtool_sign_opts_free(dfu_imgtool_sign_opts_t *o)
{
    for (size_t i = 0; i < o->custom_count; i++) {
        free(o->custom[i].value);
        o->custom[i].value = NULL;
    }
    o->custom_count = 0;
}

/* ---- dependencies: "(ID,VERSION)[,(ID,VERSION)...]" ------------------------------------------ */

int dfu_imgtool_opts_add_deps(dfu_imgtool_sign_opts_t *o, const char *spec,
                              dfu_imgtool_diag_t *diag)
{
    const char *p = spec;
    const char *fmt_help = "expected (IMAGE_ID,VERSION) e.g. '(1,2.0.0+0)', several separated by "
                           "commas";
    while (*p) {
        while (isspace((unsigned char)*p) || *p == ',') {
            p++;
        }
        if (!*p) {
            break;
        }
        uint64_t id;
        size_t n;
        if (*p != '(' || (n = parse_dec(p + 1, true, 255, &id)) == 0 || p[1 + n] != ',') {
            return dfu_imgtool_fail(diag, DFU_ERR_INVAL, "-d/--dependencies '%s': %s", spec,
                                    fmt_help);
        }
        p += n + 2;
        while (isspace((unsigned char)*p)) {
            p++;
        }
        const char *close = strchr(p, ')');
        if (!close || close == p || (size_t)(close - p) > 63) {
            return dfu_imgtool_fail(diag, DFU_ERR_INVAL, "-d/--dependencies '%s': %s", spec,
                                    fmt_help);
        }
        char ver[64];
        memcpy(ver, p, (size_t)(close - p));
        ver[close - p] = '\0';
        if (o->dep_count >= DFU_IMGTOOL_MAX_DEPS) {
            return dfu_imgtool_fail(diag, DFU_ERR_INVAL, "-d: more than %d dependencies",
                                    DFU_IMGTOOL_MAX_DEPS);
        }
        dfu_imgtool_dep_t *d = &o->deps[o->dep_count];
        if (dfu_imgtool_version_parse(ver, &d->version, diag)) {
            return DFU_ERR_INVAL;
        }
        d->image_id = (uint8_t)id;
        o->dep_count++;
        p = close + 1;
    }
    if (o->dep_count == 0) {
        return dfu_imgtool_fail(diag, DFU_ERR_INVAL, "-d/--dependencies '%s': %s", spec, fmt_help);
    }
    return DFU_OK;
}

/* ---- simulator app descriptor ------------------------------------------------------------------
 */

static bool all_digits(const char *s, size_t n)
{
    if (n == 0) {
        return false;
    }
    for (size_t i = 0; i < n; i++) {
        if (!isdigit((unsigned char)s[i])) {
            return false;
        }
    }
    return true;
}

static bool positive_u32(const char *s, size_t n)
{
    if (!all_digits(s, n) || n > 10 || s[0] == '0') {
        return false;
    }
    char tmp[16];
    memcpy(tmp, s, n);
    tmp[n] = '\0';
    return strtoull(tmp, NULL, 10) <= 0xffffffffull;
}

static bool val_is(const char *v, size_t n, const char *lit)
{
    return strlen(lit) == n && memcmp(v, lit, n) == 0;
}

/* Returns NULL if `v` is acceptable for key index k, else a description of what is expected. */
static const char *sim_app_value_check(int k, const char *v, size_t n)
{
    switch (k) {
    case 0: /* name */
        for (size_t i = 0; i < n; i++) {
            if (!isprint((unsigned char)v[i])) {
                return "printable text without ',' or '='";
            }
        }
        return (n == 0 || n > 32) ? "1..32 characters of text" : NULL;
    case 1: /* security */
        return (n == 1 && v[0] >= '1' && v[0] <= '4') ? NULL : "a level 1..4";
    case 2: /* passkey */
        return (n == 6 && all_digits(v, n)) ? NULL : "exactly 6 digits (e.g. 123456)";
    case 3: /* policy */
        return (val_is(v, n, "open") || val_is(v, n, "secure")) ? NULL : "open or secure";
    case 4: /* confirm */
        if (val_is(v, n, "never") || val_is(v, n, "boot") || val_is(v, n, "healthy")) {
            return NULL;
        }
        if (n > 6 && memcmp(v, "after:", 6) == 0 && positive_u32(v + 6, n - 6)) {
            return NULL;
        }
        return "never, boot, after:SECONDS (SECONDS >= 1) or healthy";
    case 5: /* healthy */
    case 9: /* bonds */
        return (val_is(v, n, "yes") || val_is(v, n, "no")) ? NULL : "yes or no";
    case 8: /* cccd_security */
        return (n == 1 && v[0] >= '1' && v[0] <= '4') ? NULL : "a level 1..4";
    default: /* buf_size, buf_count */
        return positive_u32(v, n) ? NULL : "a whole number >= 1";
    }
}

int dfu_imgtool_sim_app_check(const char *s, dfu_imgtool_diag_t *diag)
{
    static const char *const keys[] = {"name",          "security", "passkey",  "policy",
                                       "confirm",       "healthy",  "buf_size", "buf_count",
                                       "cccd_security", "bonds"};
    const size_t nkeys = sizeof(keys) / sizeof(keys[0]);
    bool seen[sizeof(keys) / sizeof(keys[0])] = {false};
    if (!*s) {
        return dfu_imgtool_fail(diag, DFU_ERR_INVAL,
                                "--sim-app is empty; give KEY=VALUE pairs separated by commas, "
                                "e.g. name=demo,security=2");
    }
    const char *p = s;
    while (1) {
        const char *end = strchr(p, ',');
        size_t len = end ? (size_t)(end - p) : strlen(p);
        const char *eq = memchr(p, '=', len);
        if (!eq) {
            return dfu_imgtool_fail(diag, DFU_ERR_INVAL,
                                    "--sim-app: '%.*s' is not KEY=VALUE; allowed keys: name, "
                                    "security, passkey, policy, confirm, healthy, buf_size, "
                                    "buf_count, cccd_security, bonds",
                                    (int)len, p);
        }
        size_t kl = (size_t)(eq - p);
        size_t k = 0;
        while (k < nkeys && !(strlen(keys[k]) == kl && memcmp(keys[k], p, kl) == 0)) {
            k++;
        }
        if (k == nkeys) {
            return dfu_imgtool_fail(diag, DFU_ERR_INVAL,
                                    "--sim-app: unknown key '%.*s'; allowed keys: name, security, "
                                    "passkey, policy, confirm, healthy, buf_size, buf_count, "
                                    "cccd_security, bonds",
                                    (int)kl, p);
        }
        if (seen[k]) {
            return dfu_imgtool_fail(diag, DFU_ERR_INVAL, "--sim-app: key '%s' given twice",
                                    keys[k]);
        }
        seen[k] = true;
        const char *v = eq + 1;
        size_t vl = len - kl - 1;
        const char *want =
            memchr(v, '=', vl) ? "a value without '='" : sim_app_value_check((int)k, v, vl);
        if (want) {
            return dfu_imgtool_fail(diag, DFU_ERR_INVAL,
                                    "--sim-app: bad value '%.*s' for %s; expected %s", (int)vl, v,
                                    keys[k], want);
        }
        if (!end) {
            break;
        }
        p = end + 1;
    }
    return DFU_OK;
}
