/*
 * `dfukit sim` main loop: opens the flash file and the transports, powers the device on, and
 * serves SMP requests until stopped. Resets (SMP reset, watchdog) re-run the boot; the BLE link is
 * dropped and re-opened with the new app's name/passkey/security; UDP and the pty stay up (a UART
 * and an IP stack reappear under the same address after a reset).
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dfukit/dfu_err.h"
#include "dfukit/dfu_host_ble.h"
#include "sim_priv.h"

/* Signal flags: the only file-scope state, as a signal handler can reach nothing else. */
static volatile sig_atomic_t sim_sig_stop;
static volatile sig_atomic_t sim_sig_watchdog;

static void on_stop(int sig)
{
    (void)sig;
    sim_sig_stop = 1;
}

static void on_watchdog(int sig)
{
    (void)sig;
    sim_sig_watchdog = 1;
}

static void install_signals(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_stop;
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    sa.sa_handler = on_watchdog;
    sigaction(SIGUSR1, &sa, NULL);
    sa.sa_handler = SIG_IGN;
    sigaction(SIGPIPE, &sa, NULL);
}

static void link_setup(sim_dev_t *d, dfu_link_t *l)
{
    if (d->o->link.kind != DFU_LINKMODEL_OFF) {
        (void)dfu_link_set_model(l, &d->o->link);
    }
    if (d->o->drop_after != 0) {
        dfu_link_faults_t f = {.drop_link_after = d->o->drop_after};
        dfu_link_set_faults(l, &f);
    }
}

static int open_udp(sim_dev_t *d)
{
    const char *host = d->o->udp_host[0] != '\0' ? d->o->udp_host : "0.0.0.0";
    int rc = dfu_link_udp_server_open(&d->udp, host, d->o->udp_port, DFU_LINK_UDP_MTU_MAX);
    if (rc < 0) {
        sim_log(d, "cannot open udp %s: %s", d->o->udp,
                rc == DFU_ERR_NODEV ? "the host name did not resolve" : dfu_strerror(rc));
        return rc;
    }
    d->has_udp = true;
    link_setup(d, &d->udp);
    char addr[300];
    dfu_link_join_host_port(host, dfu_link_udp_port(&d->udp), addr, sizeof(addr));
    sim_status(d, "listening udp=%s", addr); /* "[::1]:40123" for IPv6: a client's udp: form */
    return DFU_OK;
}

static void announce(sim_dev_t *d, const char *what, const char *path)
{
    sim_status(d, "listening %s=%s", what, path);
}

static int open_serial(sim_dev_t *d)
{
    int rc = dfu_link_pty_server_open(&d->serial, d->o->serial, 0);
    if (rc < 0) {
        sim_log(d, "cannot open serial pty at %s: %s", d->o->serial, dfu_strerror(rc));
        return rc;
    }
    d->has_serial = true;
    link_setup(d, &d->serial);
    announce(d, "serial", d->o->serial);
    return DFU_OK;
}

/* (Re)opens the BLE model with the running app's identity. */
static int open_ble(sim_dev_t *d, bool first)
{
    dfu_ble_server_cfg_t cfg = {0};
    char name[DFU_BLE_NAME_MAX + 1];
    snprintf(name, sizeof(name), "%.*s", DFU_BLE_NAME_MAX, d->app.name);
    cfg.name = name;
    cfg.max_msg = d->app.buf_size;
    cfg.has_passkey = d->app.has_passkey;
    cfg.passkey = d->app.passkey;
    cfg.pair_level = d->app.security == 4 ? 4 : 3;
    cfg.cccd_level = d->app.cccd_security;
    if (d->app.bond_storage) {
        dfu_sim_bonds_port(&d->bonds, &cfg.bonds); /* otherwise: no bonds found or kept */
    }
    int rc = dfu_link_ble_server_open(&d->ble, d->o->ble, &cfg);
    if (rc < 0) {
        sim_log(d, "cannot open BLE model at %s: %s", d->o->ble, dfu_strerror(rc));
        return rc;
    }
    d->has_ble = true;
    link_setup(d, &d->ble);
    if (first) {
        announce(d, "ble", d->o->ble);
    }
    return DFU_OK;
}

static void close_links(sim_dev_t *d)
{
    if (d->has_udp) {
        dfu_link_close(&d->udp);
    }
    if (d->has_serial) {
        dfu_link_close(&d->serial);
    }
    if (d->has_ble) {
        dfu_link_close(&d->ble);
    }
    d->has_udp = d->has_serial = d->has_ble = false;
}

/* How long a dropped UDP / serial link stays dark (everything received meanwhile is lost). */
#define SIM_DARK_US 500000u

/* Drains one link. Returns 0 or DFU_ERR_POWER_CUT. */
static int serve_link(sim_dev_t *d, dfu_link_t *l)
{
    uint64_t *dark = l == &d->udp ? &d->udp_dark_until : &d->serial_dark_until;
    for (int i = 0; i < 256 && !d->reset_pending; i++) {
        int n = dfu_link_recv(l, d->req, SIM_REQ_CAP, 0);
        if (n == DFU_ERR_TIMEOUT) {
            return DFU_OK;
        }
        if (n == DFU_ERR_NOTCONN) {
            if (l->kind != DFU_LINK_BLE) {
                /* drop fault on a connectionless link: dark for a while, then back up */
                (void)dfu_link_reconnect(l);
                *dark = dfu_link_now_us() + SIM_DARK_US;
                sim_log(d, "link %s dropped (fault): dark for %u ms",
                        l->kind == DFU_LINK_UDP ? "udp" : "serial", SIM_DARK_US / 1000u);
            }
            return DFU_OK;
        }
        if (n > 0 && l->kind != DFU_LINK_BLE && dfu_link_now_us() < *dark) {
            continue; /* lost while the link is down */
        }
        if (n == DFU_ERR_IO) {
            return DFU_OK;
        }
        if (n < 0) {
            continue; /* oversized or malformed input: already discarded by the link */
        }
        int rc = sim_handle(d, l, d->req, (size_t)n);
        if (rc < 0) {
            return rc;
        }
    }
    return DFU_OK;
}

/* Reset: drop the BLE central, reboot, bring BLE back with the new app. */
static int do_reset(sim_dev_t *d)
{
    sim_log(d, "reset (%s) ops=%llu", d->reset_why != NULL ? d->reset_why : "reset",
            (unsigned long long)d->ff.sf.ops);
    if (d->has_ble) {
        sim_log(d, "ble: central disconnected (device reset)");
        dfu_link_drop(&d->ble, DFU_BLE_REASON_TIMEOUT);
        dfu_link_close(&d->ble);
        d->has_ble = false;
    }
    int rc = sim_boot(d);
    if (rc < 0) {
        return rc;
    }
    return d->o->ble != NULL ? open_ble(d, false) : DFU_OK;
}

static int serve(sim_dev_t *d)
{
    while (!sim_sig_stop) {
        if (sim_sig_watchdog) {
            sim_sig_watchdog = 0;
            d->reset_pending = true;
            d->reset_why = "watchdog";
        }
        if (d->reset_pending) {
            int rc = do_reset(d);
            if (rc < 0) {
                return rc;
            }
            continue;
        }
        int rc = sim_tick(d);
        if (rc < 0) {
            return rc;
        }
        struct pollfd pf[3];
        nfds_t n = 0;
        dfu_link_t *ls[3] = {d->has_udp ? &d->udp : NULL, d->has_serial ? &d->serial : NULL,
                             d->has_ble ? &d->ble : NULL};
        for (int i = 0; i < 3; i++) {
            int fd = ls[i] != NULL ? dfu_link_fd(ls[i]) : -1;
            if (fd >= 0) {
                pf[n++] = (struct pollfd){.fd = fd, .events = POLLIN};
            }
        }
        (void)poll(pf, n, 20);
        for (int i = 0; i < 3 && !d->reset_pending; i++) {
            if (ls[i] != NULL) {
                rc = serve_link(d, ls[i]);
                if (rc < 0) {
                    return rc;
                }
            }
        }
    }
    return DFU_OK;
}

/* The bootloader's clock: modelled flash time (deterministic, whatever the host's load). */
static uint32_t sim_model_ms(void *ctx)
{
    const dfu_simflash_t *sf = ctx;
    return (uint32_t)(sf->time_us / 1000.0);
}

/* Power-on RAM: whatever the cells hold (pseudo-random, seeded by the process). */
static void ram_power_on(uint8_t *p, size_t n)
{
    uint32_t x = (uint32_t)getpid() * 2654435761u + 1u;
    for (size_t i = 0; i < n; i++) {
        x = x * 1103515245u + 12345u;
        p[i] = (uint8_t)(x >> 16);
    }
}

static int setup_flash(sim_dev_t *d)
{
    const dfu_sim_opts_t *o = d->o;
    int rc = dfu_sim_flashfile_open(&d->ff, o->flash, &d->g);
    if (rc < 0) {
        sim_log(d, "cannot open flash file %s: %s", o->flash,
                rc == DFU_ERR_BUSY ? "in use by another sim" : dfu_strerror(rc));
        return rc;
    }
    d->ff.realtime = o->flash_timing ? 1 : 0;
    rc = dfu_flash_init(&d->fl, &d->ff.port);
    if (rc < 0) {
        return rc;
    }
    const dfu_geometry_t *g = &d->g;
    d->primary = (dfu_flash_area_t){&d->fl, g->slot0.off, g->slot0.size, 1};
    d->secondary = (dfu_flash_area_t){&d->fl, g->slot1.off, g->slot1.size, 2};
    d->storage = (dfu_flash_area_t){&d->fl, g->storage.off, g->storage.size, 4};
    d->bonds.area = d->storage;
    /* the boot record log follows the bond sector */
    d->bootlog =
        (dfu_flash_area_t){&d->fl, g->storage.off + g->sector_size, 2u * g->sector_size, 5};
    d->bcfg.primary = d->primary;
    d->bcfg.secondary = d->secondary;
    if (o->strategy == DFU_BOOT_STRATEGY_SCRATCH) {
        if (g->scratch.size == 0) {
            sim_log(d, "geometry %s has no scratch area: use another --strategy", g->name);
            return DFU_ERR_INVAL;
        }
        d->bcfg.scratch = (dfu_flash_area_t){&d->fl, g->scratch.off, g->scratch.size, 3};
    }
    d->bcfg.trailer = (dfu_boot_trailer_cfg_t){
        .max_align = 8, .max_sectors = 128, .strategy = (uint8_t)o->strategy};
    d->bcfg.buf = d->bbuf;
    d->bcfg.buf_len = sizeof(d->bbuf);
    d->bcfg.flags = o->boot_flags;
    d->bcfg.log = d->bootlog;
    d->bcfg.handoff = d->handoff;
    d->bcfg.handoff_size = sizeof(d->handoff);
    d->clock = (dfu_boot_clock_t){&d->ff.sf, sim_model_ms};
    d->bcfg.clock = &d->clock;
    for (int i = 0; i < o->nkeys; i++) {
        size_t len = 0;
        uint8_t *der = sim_load_key(o->keys[i], &len);
        if (der == NULL) {
            sim_log(d, "cannot read key %s (PEM or DER public key expected)", o->keys[i]);
            return DFU_ERR_INVAL;
        }
        d->keys[i] = (dfu_image_key_t){der, len};
    }
    d->iv.verify = (dfu_image_verify_cfg_t){.crypto = dfu_crypto_default(),
                                            .keys = d->keys,
                                            .key_count = (size_t)o->nkeys,
                                            .scratch = d->vscratch,
                                            .scratch_len = sizeof(d->vscratch)};
    dfu_boot_image_validator(&d->bcfg.validator, &d->iv);
    return DFU_OK;
}

static int run(sim_dev_t *d)
{
    int rc = setup_flash(d);
    if (rc < 0) {
        return rc == DFU_ERR_INVAL ? DFU_SIM_EXIT_USAGE : DFU_SIM_EXIT_FAIL;
    }
    ram_power_on(d->handoff, sizeof(d->handoff));
    if (d->o->power_cut_at != 0) { /* op numbers count from power-on, --install included */
        dfu_simflash_cut_after(&d->ff.sf, d->o->power_cut_at, d->o->torn);
    }
    if (d->o->install != NULL && sim_install(d, d->o->install) < 0 && !d->ff.cut) {
        return DFU_SIM_EXIT_FAIL;
    }
    rc = d->ff.cut ? DFU_ERR_POWER_CUT : sim_boot(d);
    if (rc == DFU_OK && d->o->udp != NULL) {
        rc = open_udp(d);
    }
    if (rc == DFU_OK && d->o->serial != NULL) {
        rc = open_serial(d);
    }
    if (rc == DFU_OK && d->o->ble != NULL) {
        rc = open_ble(d, true);
    }
    if (rc == DFU_OK) {
        rc = serve(d);
    }
    if (rc == DFU_ERR_POWER_CUT) {
        sim_log(d, "power cut at flash op %llu%s: exit 3 (restart = power on)",
                (unsigned long long)d->ff.cut_op, d->o->torn ? " (torn)" : "");
        return DFU_SIM_EXIT_POWER_CUT;
    }
    if (rc < 0) {
        return DFU_SIM_EXIT_FAIL;
    }
    sim_log(d, "stopped after %u boots, %llu flash ops", d->boots,
            (unsigned long long)d->ff.sf.ops);
    return DFU_SIM_EXIT_OK;
}

int dfu_sim_run(const dfu_sim_opts_t *o)
{
    sim_dev_t *d = calloc(1, sizeof(*d));
    if (d == NULL) {
        return DFU_SIM_EXIT_FAIL;
    }
    d->o = o;
    d->ff.fd = -1;
    d->log = stderr;
    if (o->log != NULL) {
        d->log = fopen(o->log, "a");
        if (d->log == NULL) {
            fprintf(stderr, "dfukit sim: cannot open log file %s\n", o->log);
            free(d);
            return DFU_SIM_EXIT_USAGE;
        }
    }
    const dfu_geometry_t *g = dfu_geometry_find(o->geometry != NULL ? o->geometry : "nrf52832");
    int code = DFU_SIM_EXIT_USAGE;
    d->req = malloc(SIM_REQ_CAP);
    if (g != NULL && d->req != NULL) {
        d->g = *g;
        dfu_sim_app_default(&d->app);
        install_signals();
        code = run(d);
    }
    close_links(d);
    sim_app_stop(d);
    if (d->ff.fd >= 0) {
        dfu_sim_flashfile_close(&d->ff);
    }
    for (int i = 0; i < DFU_SIM_MAX_KEYS; i++) {
        free((void *)d->keys[i].der);
    }
    if (d->log != stderr) {
        fclose(d->log);
    }
    free(d->req);
    free(d);
    return code;
}
