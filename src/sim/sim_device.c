/*
 * The simulated device's life: boot (dfu_boot_go on the flash), the app the booted image
 * describes (crash, confirm policy), and its SMP server with the OS and Image groups.
 */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "dfu_imgtool.h"
#include "dfukit/dfu_crypto.h"
#include "dfukit/dfu_err.h"
#include "dfukit/dfu_host_ble.h"
#include "sim_priv.h"

/* Writes one "sim: ..." line to the log sink, or for `status` (listening lines) to stdout and,
 * when a log file is given, to the file too (never twice on a terminal). */
static void emit(sim_dev_t *d, bool status, const char *fmt, va_list ap)
{
    char line[768];
    int n = vsnprintf(line, sizeof(line), fmt, ap);
    if (n < 0) {
        return;
    }
    if (status) {
        printf("sim: %s\n", line);
        fflush(stdout);
    }
    if (!status || d->o->log != NULL) {
        fprintf(d->log, "sim: %s\n", line);
        fflush(d->log);
    }
}

void sim_log(sim_dev_t *d, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    emit(d, false, fmt, ap);
    va_end(ap);
}

void sim_status(sim_dev_t *d, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    emit(d, true, fmt, ap);
    va_end(ap);
}

int sim_install(sim_dev_t *d, const char *path)
{
    int rc = dfu_flash_is_erased(&d->primary, 0, 32);
    if (rc < 0) {
        return rc;
    }
    if (rc == 0) {
        sim_log(d, "install: primary slot not empty, %s not installed", path);
        return DFU_OK;
    }
    /* what `dfukit image sign` writes: binary, or Intel HEX (flattened) for a .hex name */
    dfu_imgtool_buf_t file = {0};
    dfu_imgtool_diag_t diag = {{0}};
    rc = dfu_imgtool_image_read(path, "image", &file, NULL, &diag);
    if (rc != DFU_OK) {
        sim_log(d, "install: %s", diag.msg[0] ? diag.msg : dfu_strerror(rc));
        dfu_imgtool_buf_free(&file);
        return rc;
    }
    size_t n = file.len;
    if (n == 0 || n > d->primary.size) {
        sim_log(d, "install: %s is empty or larger than the primary slot (%u bytes)", path,
                d->primary.size);
        dfu_imgtool_buf_free(&file);
        return DFU_ERR_NOSPC;
    }
    uint32_t align = dfu_flash_align(&d->primary);
    size_t padded = (n + align - 1u) / align * align;
    uint8_t *img = malloc(padded);
    if (img == NULL) {
        dfu_imgtool_buf_free(&file);
        return DFU_ERR_NOMEM;
    }
    memcpy(img, file.data, n);
    memset(img + n, dfu_flash_erased_val(&d->primary), padded - n);
    dfu_imgtool_buf_free(&file);
    rc = dfu_flash_write(&d->primary, 0, img, padded);
    free(img);
    if (rc == DFU_OK) {
        sim_log(d, "install: %s written to the primary slot (%zu bytes)", path, n);
    }
    return rc;
}

/* ---- OS group port ------------------------------------------------------------------------ */

static void os_reset(void *ctx, uint8_t boot_mode)
{
    sim_dev_t *d = ctx;
    (void)boot_mode;
    d->reset_pending = true;
    d->reset_why = "smp reset";
}

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int os_time_get(void *ctx, dfu_smp_datetime_t *out)
{
    sim_dev_t *d = ctx;
    if (!d->time_valid) {
        return DFU_ERR_NODEV;
    }
    int64_t ms = now_ms() + d->time_offset_ms;
    time_t t = (time_t)(ms / 1000);
    struct tm tm;
    if (gmtime_r(&t, &tm) == NULL || tm.tm_year + 1900 < 1900) {
        return DFU_ERR_IO;
    }
    out->year = (uint16_t)(tm.tm_year + 1900);
    out->month = (uint8_t)(tm.tm_mon + 1);
    out->day = (uint8_t)tm.tm_mday;
    out->hour = (uint8_t)tm.tm_hour;
    out->minute = (uint8_t)tm.tm_min;
    out->second = (uint8_t)tm.tm_sec;
    out->ms = (uint16_t)(ms % 1000);
    return DFU_OK;
}

static int os_time_set(void *ctx, const dfu_smp_datetime_t *dt)
{
    sim_dev_t *d = ctx;
    struct tm tm = {0};
    tm.tm_year = dt->year - 1900;
    tm.tm_mon = dt->month - 1;
    tm.tm_mday = dt->day;
    tm.tm_hour = dt->hour;
    tm.tm_min = dt->minute;
    tm.tm_sec = dt->second;
    time_t t = timegm(&tm);
    d->time_offset_ms = (int64_t)t * 1000 + dt->ms - now_ms();
    d->time_valid = true;
    return DFU_OK;
}

static int smp_send(void *ctx, const uint8_t *msg, size_t len)
{
    sim_dev_t *d = ctx;
    return d->cur != NULL ? dfu_link_send(d->cur, msg, len) : DFU_ERR_NOTCONN;
}

static int8_t mcuboot_mode(int strategy)
{
    switch (strategy) {
    case DFU_BOOT_STRATEGY_SCRATCH:
        return DFU_SMP_MODE_SWAP_SCRATCH;
    case DFU_BOOT_STRATEGY_OFFSET:
        return DFU_SMP_MODE_SWAP_OFFSET;
    case DFU_BOOT_STRATEGY_OVERWRITE:
        return DFU_SMP_MODE_OVERWRITE;
    default:
        return DFU_SMP_MODE_SWAP_MOVE;
    }
}

static int smp_setup(sim_dev_t *d)
{
    d->rsp = malloc(d->app.buf_size);
    if (d->rsp == NULL) {
        return DFU_ERR_NOMEM;
    }
    dfu_smp_server_cfg_t scfg = {
        .buf = d->rsp,
        .buf_size = d->app.buf_size,
        .send = smp_send,
        .send_ctx = d,
        .policy = d->app.secure_policy ? &dfu_smp_policy_secure : &dfu_smp_policy_open,
    };
    int rc = dfu_smp_server_init(&d->srv, &scfg);
    if (rc < 0) {
        return rc;
    }
    d->osport = (dfu_smp_os_port_t){
        .ctx = d, .reset = os_reset, .time_get = os_time_get, .time_set = os_time_set};
    snprintf(d->ver, sizeof(d->ver), "%u.%u.%u", d->res.image.ver_major, d->res.image.ver_minor,
             d->res.image.ver_revision);
    dfu_smp_os_cfg_t ocfg = {
        .port = &d->osport,
        .buf_count = d->app.buf_count,
        .kernel_name = "dfukit-sim",
        .node_name = d->app.name,
        .release = d->ver,
        .version = d->ver,
        .machine = "arm",
        .processor = "cortex-m4",
        .platform = d->g.name,
        .os_name = "dfukit-sim",
        .mcuboot_mode = mcuboot_mode(d->o->strategy),
        .no_downgrade = d->o->boot_flags != 0u,
        .last_boot = d->has_last_boot ? &d->last_boot : NULL,
        .boot_log = &d->bootlog,
    };
    rc = dfu_smp_os_register(&d->srv, &d->os, &ocfg);
    if (rc < 0) {
        return rc;
    }
    dfu_smp_img_cfg_t icfg = {
        .primary = d->primary,
        .secondary = d->secondary,
        .scratch = d->scratch,
        .trailer = d->bcfg.trailer,
        .crypto = dfu_crypto_default(),
    };
    return dfu_smp_img_register(&d->srv, &d->img, &icfg);
}

void sim_app_stop(sim_dev_t *d)
{
    free(d->rsp);
    d->rsp = NULL;
    d->running = false;
}

/* ---- boot ---------------------------------------------------------------------------------- */

static void log_boot(sim_dev_t *d, int rc)
{
    const dfu_boot_result_t *r = &d->res;
    char hash[20] = "";
    for (unsigned i = 0; i < 8 && i < r->image.hash_len; i++) {
        snprintf(hash + 2 * i, 3, "%02x", r->image.hash[i]);
    }
    char extra[160] = "";
    size_t x = 0;
    if (r->resumed) {
        x += (size_t)snprintf(extra + x, sizeof(extra) - x, " resumed=yes");
    }
    if (r->reverted) {
        x += (size_t)snprintf(extra + x, sizeof(extra) - x,
                              " reverted=yes revert_reason=\"test image not confirmed\"");
    }
    if (r->secondary_err != 0 && x < sizeof(extra)) {
        (void)snprintf(extra + x, sizeof(extra) - x, " secondary_refused=\"%s\"",
                       dfu_strerror(r->secondary_err));
    }
    if (rc == 0 && r->booted) {
        sim_log(d,
                "boot #%u: swap=%s%s slot=0 version=%u.%u.%u+%u hash=%s ops=%llu reason=\"%s\" "
                "record=%u",
                d->boots, dfu_boot_swap_name(r->swap_type), extra, r->image.ver_major,
                r->image.ver_minor, r->image.ver_revision, r->image.ver_build, hash,
                (unsigned long long)d->ff.sf.ops, r->reason != NULL ? r->reason : "",
                r->boot_count);
    } else {
        sim_log(d, "boot #%u: swap=%s%s no bootable image (%s) ops=%llu reason=\"%s\" record=%u",
                d->boots, dfu_boot_swap_name(r->swap_type), extra,
                dfu_strerror(r->primary_err != 0 ? r->primary_err : rc),
                (unsigned long long)d->ff.sf.ops, r->reason != NULL ? r->reason : "",
                r->boot_count);
    }
}

static uint64_t mono_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

static int app_confirm(sim_dev_t *d, const char *why)
{
    d->confirm_done = true;
    int rc = dfu_boot_set_confirmed(&d->primary, &d->bcfg.trailer);
    if (d->ff.cut) {
        return DFU_ERR_POWER_CUT;
    }
    if (rc < 0) {
        sim_log(d, "app '%s': confirm (%s) failed: %s", d->app.name, why, dfu_strerror(rc));
    } else {
        sim_log(d, "app '%s': image confirmed (%s)", d->app.name, why);
    }
    return DFU_OK;
}

/* --app-override VERSION:DESC: applied when the booted image has that version. */
static void app_override(sim_dev_t *d)
{
    const dfu_boot_image_info_t *v = &d->res.image;
    char full[48], short_v[40];
    snprintf(short_v, sizeof(short_v), "%u.%u.%u", v->ver_major, v->ver_minor, v->ver_revision);
    snprintf(full, sizeof(full), "%s+%u", short_v, v->ver_build);
    const char *want = d->o->override_version;
    if (d->o->override_desc == NULL || (strcmp(want, short_v) != 0 && strcmp(want, full) != 0)) {
        return;
    }
    (void)dfu_sim_app_apply(&d->app, d->o->override_desc, strlen(d->o->override_desc), NULL, 0);
    sim_log(d, "app '%s' %s: --app-override %s applied on this device", d->app.name, short_v,
            d->o->override_desc);
}

int sim_boot(sim_dev_t *d)
{
    sim_app_stop(d);
    for (;;) {
        d->boots++;
        d->reset_pending = false;
        d->confirm_done = false;
        memset(&d->res, 0, sizeof(d->res));
        int rc = dfu_boot_init(&d->boot, &d->bcfg);
        if (rc < 0) {
            sim_log(d, "boot #%u: layout not usable: %s", d->boots, dfu_strerror(rc));
            return rc;
        }
        rc = dfu_boot_go(&d->boot, &d->res);
        if (d->ff.cut) {
            return DFU_ERR_POWER_CUT;
        }
        log_boot(d, rc);
        /* the app starts: it takes the record the bootloader left in RAM */
        d->has_last_boot =
            dfu_boot_handoff_read(d->handoff, sizeof(d->handoff), 1, &d->last_boot) == DFU_OK;
        if (rc < 0 || !d->res.booted) {
            sim_log(d, "no app running: the device stays in the bootloader (seed an empty "
                       "primary slot with --install IMAGE)");
            return DFU_OK;
        }
        char err[96] = "";
        rc = dfu_sim_app_read(&d->primary, &d->app, err, sizeof(err));
        if (rc == DFU_ERR_INVAL) {
            sim_log(d, "app descriptor: %s (defaults used for it)", err);
        } else if (rc < 0 && rc != DFU_ERR_NOT_FOUND) {
            sim_log(d, "app descriptor unreadable (%s): default app", dfu_strerror(rc));
        }
        app_override(d);
        if (!d->app.healthy) {
            d->crash_streak++;
            sim_log(d, "app '%s' crashed at start (healthy=no): reset", d->app.name);
            if (d->crash_streak >= DFU_SIM_CRASH_LOOP_MAX) {
                sim_log(d, "halted: %u crashing boots in a row", d->crash_streak);
                return DFU_ERR_BUSY;
            }
            continue;
        }
        d->crash_streak = 0;
        if (d->app.security >= DFU_SMP_SEC_AUTHEN && !d->app.has_passkey) {
            sim_log(d,
                    "app '%s' needs BLE L%u but has no passkey: no central can reach that "
                    "level (Just Works pairing gives L2)",
                    d->app.name, d->app.security);
        }
        break;
    }
    d->boot_us = mono_us();
    int rc = smp_setup(d);
    if (rc < 0) {
        sim_log(d, "SMP server setup failed: %s", dfu_strerror(rc));
        sim_app_stop(d);
        return rc;
    }
    d->running = true;
    if (d->app.confirm == DFU_SIM_CONFIRM_BOOT) {
        return app_confirm(d, "at boot");
    }
    return DFU_OK;
}

int sim_tick(sim_dev_t *d)
{
    if (d->running && !d->confirm_done && d->app.confirm == DFU_SIM_CONFIRM_AFTER &&
        mono_us() - d->boot_us >= (uint64_t)d->app.confirm_after_s * 1000000u) {
        return app_confirm(d, "after timer");
    }
    return DFU_OK;
}

/* ---- requests ------------------------------------------------------------------------------ */

int sim_handle(sim_dev_t *d, dfu_link_t *l, const uint8_t *msg, size_t len)
{
    if (!d->running) {
        return DFU_OK; /* no app: nobody answers */
    }
    if (len > d->app.buf_size) {
        d->dropped_oversize++;
        sim_log(d, "dropped a %zu-byte message larger than buf_size %u", len, d->app.buf_size);
        return DFU_OK;
    }
    uint8_t level = DFU_SMP_SEC_NONE;
    if (l->kind == DFU_LINK_BLE) {
        int s = dfu_link_security(l);
        level = s >= 1 && s <= 4 ? (uint8_t)s : DFU_SMP_SEC_NONE;
        if (level < d->app.security) {
            /* GATT write permission: the stack refuses before SMP sees the request. */
            (void)dfu_link_ble_att_error(l, DFU_BLE_ATT_ERR_INSUFF_AUTHEN);
            return DFU_OK;
        }
    }
    size_t off = 0;
    uint64_t rx_wall = dfu_link_now_us();
    while (off < len) {
        size_t rsp_len = 0;
        bool stop = false;
        uint32_t errs = d->srv.errors;
        sim_upwatch_t w;
        sim_upload_before(d, &w);
        int rc = dfu_smp_server_handle(&d->srv, msg + off, len - off, level, &rsp_len, &stop);
        if (d->ff.cut) {
            return DFU_ERR_POWER_CUT; /* power is gone: no response leaves */
        }
        if (rc <= 0) {
            break; /* a trailing fragment shorter than a header: dropped */
        }
        d->cur = l;
        if (rsp_len > 0) {
            (void)dfu_link_send(l, d->rsp, rsp_len);
        }
        sim_upload_after(d, &w, l, rx_wall);
        dfu_smp_server_finish(&d->srv); /* the reset action runs after the reply went out */
        d->cur = NULL;
        if (d->app.confirm == DFU_SIM_CONFIRM_HEALTHY && !d->confirm_done &&
            d->srv.errors == errs) {
            rc = app_confirm(d, "healthy after its first request");
            if (rc < 0) {
                return rc;
            }
        }
        if (stop || d->reset_pending) {
            break;
        }
        off += (size_t)rc;
    }
    return DFU_OK;
}
