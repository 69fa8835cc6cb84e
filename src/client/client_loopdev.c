/* In-process simulated device (loopback device) for client tests and the bench; see
 * dfu_client_loopdev.h. */
#include "dfu_client_loopdev.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "dfukit/dfu_crypto.h"
#include "dfukit/dfu_err.h"

static int bond_lookup(void *ctx, const uint8_t peer[6], dfu_ble_bond_t *out)
{
    dfu_loopdev_t *d = ctx;
    for (int i = 0; i < d->nbonds; i++) {
        if (memcmp(d->bonds[i].peer, peer, 6) == 0) {
            *out = d->bonds[i];
            return DFU_OK;
        }
    }
    return DFU_ERR_NOT_FOUND;
}

static int bond_store(void *ctx, const dfu_ble_bond_t *b)
{
    dfu_loopdev_t *d = ctx;
    for (int i = 0; i < d->nbonds; i++) {
        if (memcmp(d->bonds[i].peer, b->peer, 6) == 0) {
            d->bonds[i] = *b;
            return DFU_OK;
        }
    }
    if (d->nbonds >= 4) {
        return DFU_ERR_NOSPC;
    }
    d->bonds[d->nbonds++] = *b;
    return DFU_OK;
}

static int dev_send(void *ctx, const uint8_t *msg, size_t len)
{
    dfu_loopdev_t *d = ctx;
    int rc = dfu_link_send(&d->link, msg, len);
    return rc == DFU_ERR_NOTCONN ? DFU_OK : rc; /* central gone: drop the response */
}

static void dev_reset(void *ctx, uint8_t boot_mode)
{
    (void)boot_mode;
    dfu_loopdev_t *d = ctx;
    d->reset_req = d->ignore_reset ? 0 : 1;
}

static int open_link(dfu_loopdev_t *d)
{
    memset(&d->link, 0, sizeof(d->link));
    int rc;
    if (d->kind == DFU_LINK_UDP) {
        rc = dfu_link_udp_server_open(&d->link, "127.0.0.1", d->port, 0);
        if (rc == DFU_OK) {
            d->port = dfu_link_udp_port(&d->link);
        }
    } else if (d->kind == DFU_LINK_SERIAL) {
        rc = dfu_link_pty_server_open(&d->link, d->path, 0);
    } else {
        dfu_ble_server_cfg_t bc;
        memset(&bc, 0, sizeof(bc));
        bc.name = "dfukit-loopdev";
        bc.max_msg = d->buf_size;
        bc.has_passkey = d->fw.secure;
        bc.passkey = d->fw.passkey;
        bc.pair_level = 3;
        bc.cccd_level = 1;
        bc.bonds.lookup = bond_lookup;
        bc.bonds.store = bond_store;
        bc.bonds.ctx = d;
        rc = dfu_link_ble_server_open(&d->link, d->path, &bc);
    }
    if (rc == DFU_OK && d->model.kind != DFU_LINKMODEL_OFF) {
        rc = dfu_link_set_model(&d->link, &d->model);
    }
    if (rc == DFU_OK) {
        dfu_link_set_faults(&d->link, &d->faults);
    }
    return rc;
}

/* Application start after a boot: fresh SMP server state, firmware profile. */
static int app_start(dfu_loopdev_t *d, const dfu_boot_result_t *res)
{
    memset(&d->fw, 0, sizeof(d->fw));
    if (d->profile && res->booted) {
        d->profile(&res->image, &d->fw);
    }
    if (d->fw.self_confirm) {
        dfu_boot_set_confirmed(&d->primary, &d->bcfg.trailer);
    }
    dfu_smp_server_cfg_t sc;
    memset(&sc, 0, sizeof(sc));
    sc.buf = d->rsp;
    sc.buf_size = d->buf_size;
    sc.send = dev_send;
    sc.send_ctx = d;
    sc.policy = d->fw.secure ? &dfu_smp_policy_secure : &dfu_smp_policy_open;
    int rc = dfu_smp_server_init(&d->srv, &sc);
    memset(&d->osport, 0, sizeof(d->osport));
    d->osport.ctx = d;
    d->osport.reset = dev_reset;
    dfu_smp_os_cfg_t oc;
    memset(&oc, 0, sizeof(oc));
    oc.port = &d->osport;
    oc.buf_count = d->buf_count;
    oc.mcuboot_mode = DFU_SMP_MODE_SWAP_MOVE;
    oc.no_downgrade = d->no_downgrade;
    rc = rc ? rc : dfu_smp_os_register(&d->srv, &d->os, &oc);
    dfu_smp_img_cfg_t ic;
    memset(&ic, 0, sizeof(ic));
    ic.primary = d->primary;
    ic.secondary = d->secondary;
    ic.trailer = d->bcfg.trailer;
    ic.crypto = dfu_crypto_default();
    ic.no_erase_pending = d->no_erase_pending;
    return rc ? rc : dfu_smp_img_register(&d->srv, &d->img, &ic);
}

/* Boots (again after a power cut, or after the application crashed at start: a few times,
 * as a watchdog would; the bootloader reverts an unconfirmed test image on the way). */
static int boot(dfu_loopdev_t *d)
{
    dfu_boot_result_t res;
    int rc, starts = 0;
    do {
        do {
            dfu_simflash_power_on(&d->sf);
            memset(&res, 0, sizeof(res));
            rc = dfu_boot_go(&d->boot, &res);
        } while (rc == DFU_ERR_POWER_CUT);
        rc = app_start(d, &res);
    } while (d->fw.crash && ++starts < 4);
    return rc;
}

static void reboot(dfu_loopdev_t *d)
{
    if (d->kind == DFU_LINK_BLE) {
        dfu_link_close(&d->link); /* disconnect; the new firmware may want other security */
    }
    if (d->down_ms) {
        usleep((useconds_t)d->down_ms * 1000u);
    }
    boot(d);
    if (d->kind == DFU_LINK_BLE) {
        open_link(d);
    } else {
        uint8_t junk[2048];
        while (dfu_link_recv(&d->link, junk, sizeof(junk), 0) > 0) {
            /* requests sent while the device was down are lost */
        }
    }
    d->resets++;
}

static void *serve(void *arg)
{
    dfu_loopdev_t *d = arg;
    static __thread uint8_t buf[65536 + 16];
    while (!d->stop) {
        int n = dfu_link_recv(&d->link, buf, sizeof(buf), 20);
        if (n <= 0) {
            continue;
        }
        uint8_t level = (uint8_t)dfu_link_security(&d->link);
        dfu_smp_hdr_t h;
        if (d->kind == DFU_LINK_BLE && dfu_smp_hdr_decode(buf, (size_t)n, &h) == DFU_OK) {
            uint8_t need = dfu_smp_policy_required(d->srv.cfg.policy, h.group, h.id, h.op);
            if (level < need) {
                dfu_link_ble_att_error(&d->link, DFU_BLE_ATT_ERR_INSUFF_AUTHEN);
                continue;
            }
        }
        if (d->cut_after) {
            dfu_simflash_cut_after(&d->sf, d->cut_after, 0);
            d->cut_after = 0;
        }
        dfu_smp_server_process(&d->srv, buf, (size_t)n, level ? level : 1);
        if (d->sf.off) {
            d->power_cuts++;
            reboot(d);
            continue;
        }
        if (d->reset_req) {
            d->reset_req = 0;
            reboot(d);
        }
    }
    return NULL;
}

int dfu_loopdev_init(dfu_loopdev_t *d, const uint8_t *image, size_t len)
{
    memset(d, 0, sizeof(*d));
    const dfu_geometry_t *g = dfu_geometry_find("nrf52832");
    if (g == NULL) {
        return DFU_ERR_NODEV;
    }
    int rc = dfu_simflash_init(&d->sf, g->flash_size, g->sector_size, g->write_align, 0xff);
    if (rc != DFU_OK) {
        return rc;
    }
    /* no modelled flash delays: tests stay fast (timing is counted, not slept) */
    rc = dfu_flash_init(&d->flash, &d->sf.port);
    if (rc != DFU_OK) {
        return rc;
    }
    d->primary = (dfu_flash_area_t){&d->flash, g->slot0.off, g->slot0.size, 1};
    d->secondary = (dfu_flash_area_t){&d->flash, g->slot1.off, g->slot1.size, 2};
    if (image && len) {
        rc = dfu_flash_write(&d->primary, 0, image, (len + 3) & ~(size_t)3);
        if (rc != DFU_OK) {
            return rc;
        }
    }
    d->buf_size = 2475;
    d->buf_count = 4;
    d->bcfg.primary = d->primary;
    d->bcfg.secondary = d->secondary;
    d->bcfg.trailer.strategy = DFU_BOOT_STRATEGY_MOVE;
    memset(&d->iv, 0, sizeof(d->iv));
    d->iv.verify.crypto = dfu_crypto_default();
    d->iv.verify.scratch = d->vscratch;
    d->iv.verify.scratch_len = sizeof(d->vscratch);
    dfu_boot_image_validator(&d->bcfg.validator, &d->iv);
    d->bcfg.buf = d->bbuf;
    d->bcfg.buf_len = sizeof(d->bbuf);
    rc = dfu_boot_init(&d->boot, &d->bcfg);
    pthread_mutex_init(&d->mu, NULL);
    return rc;
}

int dfu_loopdev_start(dfu_loopdev_t *d, int kind, const char *path)
{
    d->kind = kind;
    if (path) {
        snprintf(d->path, sizeof(d->path), "%s", path);
    }
    int rc = boot(d);
    if (rc != DFU_OK) {
        return rc;
    }
    rc = open_link(d);
    if (rc != DFU_OK) {
        return rc;
    }
    d->stop = 0;
    return pthread_create(&d->th, NULL, serve, d) == 0 ? DFU_OK : DFU_ERR_IO;
}

void dfu_loopdev_stop(dfu_loopdev_t *d)
{
    d->stop = 1;
    pthread_join(d->th, NULL);
    dfu_link_close(&d->link);
}

void dfu_loopdev_free(dfu_loopdev_t *d)
{
    dfu_simflash_free(&d->sf);
}

void dfu_loopdev_conn(const dfu_loopdev_t *d, char *out, size_t cap)
{
    if (d->kind == DFU_LINK_UDP) {
        snprintf(out, cap, "udp:127.0.0.1:%u", d->port);
    } else if (d->kind == DFU_LINK_SERIAL) {
        snprintf(out, cap, "serial:%s", d->path);
    } else {
        snprintf(out, cap, "ble-sim:%s", d->path);
    }
}
