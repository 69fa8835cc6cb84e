/* App descriptor (TLV 0x00A5, "KEY=VALUE,...") of the image the simulated device runs. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dfu_sim.h"
#include "dfukit/dfu_err.h"
#include "dfukit/dfu_image.h"

void dfu_sim_app_default(dfu_sim_app_t *app)
{
    memset(app, 0, sizeof(*app));
    snprintf(app->name, sizeof(app->name), "dfukit-sim");
    app->security = 1;
    app->confirm = DFU_SIM_CONFIRM_NEVER;
    app->healthy = true;
    app->buf_size = 2475;
    app->buf_count = 4;
    app->cccd_security = 1;
    app->bond_storage = true;
}

/* Parses a decimal number of at most 10 digits; -1 if not all digits or out of [lo, hi]. */
static long long num(const char *v, size_t n, long long lo, long long hi)
{
    if (n == 0 || n > 10) {
        return -1;
    }
    long long x = 0;
    for (size_t i = 0; i < n; i++) {
        if (v[i] < '0' || v[i] > '9') {
            return -1;
        }
        x = x * 10 + (v[i] - '0');
    }
    return (x < lo || x > hi) ? -1 : x;
}

static bool is(const char *v, size_t n, const char *lit)
{
    return strlen(lit) == n && memcmp(v, lit, n) == 0;
}

/* Applies one KEY=VALUE pair. Returns 0, or -1 for a bad value of a known key. */
static int apply(dfu_sim_app_t *app, const char *k, size_t kl, const char *v, size_t vl)
{
    long long x;
    if (is(k, kl, "name")) {
        if (vl == 0 || vl >= sizeof(app->name)) {
            return -1;
        }
        memcpy(app->name, v, vl);
        app->name[vl] = '\0';
        return 0;
    }
    if (is(k, kl, "security")) {
        x = num(v, vl, 1, 4);
        app->security = x > 0 ? (uint8_t)x : app->security;
        return x > 0 ? 0 : -1;
    }
    if (is(k, kl, "passkey")) {
        x = vl == 6 ? num(v, vl, 0, 999999) : -1;
        if (x < 0) {
            return -1;
        }
        app->has_passkey = true;
        app->passkey = (uint32_t)x;
        return 0;
    }
    if (is(k, kl, "policy")) {
        if (!is(v, vl, "open") && !is(v, vl, "secure")) {
            return -1;
        }
        app->secure_policy = is(v, vl, "secure");
        return 0;
    }
    if (is(k, kl, "confirm")) {
        if (is(v, vl, "never")) {
            app->confirm = DFU_SIM_CONFIRM_NEVER;
        } else if (is(v, vl, "boot")) {
            app->confirm = DFU_SIM_CONFIRM_BOOT;
        } else if (is(v, vl, "healthy")) {
            app->confirm = DFU_SIM_CONFIRM_HEALTHY;
        } else if (vl > 6 && memcmp(v, "after:", 6) == 0 &&
                   (x = num(v + 6, vl - 6, 1, 0xffffffffLL)) > 0) {
            app->confirm = DFU_SIM_CONFIRM_AFTER;
            app->confirm_after_s = (uint32_t)x;
        } else {
            return -1;
        }
        return 0;
    }
    if (is(k, kl, "healthy")) {
        if (!is(v, vl, "yes") && !is(v, vl, "no")) {
            return -1;
        }
        app->healthy = is(v, vl, "yes");
        return 0;
    }
    if (is(k, kl, "buf_size")) {
        x = num(v, vl, 1, 65535 + 8);
        if (x < 0) {
            return -1;
        }
        app->buf_size = x < 384 ? 384u : (uint32_t)x; /* the SMP server's minimum */
        return 0;
    }
    if (is(k, kl, "cccd_security")) {
        x = num(v, vl, 1, 4);
        app->cccd_security = x > 0 ? (uint8_t)x : app->cccd_security;
        return x > 0 ? 0 : -1;
    }
    if (is(k, kl, "bonds")) {
        if (!is(v, vl, "yes") && !is(v, vl, "no")) {
            return -1;
        }
        app->bond_storage = is(v, vl, "yes");
        return 0;
    }
    if (is(k, kl, "buf_count")) {
        x = num(v, vl, 1, 65535);
        app->buf_count = x > 0 ? (uint16_t)x : app->buf_count;
        return x > 0 ? 0 : -1;
    }
    return 0; /* unknown keys: ignored */
}

int dfu_sim_app_parse(dfu_sim_app_t *app, const char *desc, size_t len, char *err, size_t cap)
{
    dfu_sim_app_default(app);
    app->has_desc = true;
    return dfu_sim_app_apply(app, desc, len, err, cap);
}

int dfu_sim_app_apply(dfu_sim_app_t *app, const char *desc, size_t len, char *err, size_t cap)
{
    int rc = 0;
    size_t p = 0;
    while (p < len) {
        size_t e = p;
        while (e < len && desc[e] != ',') {
            e++;
        }
        const char *eq = memchr(desc + p, '=', e - p);
        if (eq == NULL) {
            if (rc == 0 && err != NULL) {
                snprintf(err, cap, "descriptor entry '%.*s' is not KEY=VALUE", (int)(e - p),
                         desc + p);
            }
            rc = DFU_ERR_INVAL;
        } else {
            size_t kl = (size_t)(eq - (desc + p));
            if (apply(app, desc + p, kl, eq + 1, e - p - kl - 1) < 0) {
                if (rc == 0 && err != NULL) {
                    snprintf(err, cap, "descriptor value '%.*s' is invalid", (int)(e - p),
                             desc + p);
                }
                rc = DFU_ERR_INVAL;
            }
        }
        p = e + 1;
    }
    return rc;
}

static int slot_read(void *ctx, uint32_t off, void *buf, size_t len)
{
    return dfu_flash_read((const dfu_flash_area_t *)ctx, off, buf, len);
}

int dfu_sim_app_read(const dfu_flash_area_t *slot, dfu_sim_app_t *app, char *err, size_t cap)
{
    dfu_sim_app_default(app);
    dfu_image_reader_t rd = {slot_read, (void *)(uintptr_t)slot, slot->size, NULL};
    dfu_image_header_t hdr;
    int rc = dfu_image_header_read(&rd, &hdr);
    if (rc < 0) {
        return rc;
    }
    dfu_image_tlv_t tlv;
    rc = dfu_image_tlv_find(&rd, &hdr, DFU_SIM_APP_TLV, 1, &tlv);
    if (rc < 0) {
        return rc;
    }
    char text[256];
    rc = dfu_image_tlv_read(&rd, &tlv, (uint8_t *)text, sizeof(text));
    if (rc < 0) {
        return rc;
    }
    return dfu_sim_app_parse(app, text, tlv.len, err, cap);
}
