/*
 * Upload sessions as the simulated device sees them: one log line when a client starts or
 * restarts the slot-1 upload session (who, how big, what it replaced) and one when a session
 * completes, with the time it took on the modelled link and on the wall clock. `make bench`
 * reads the completion line; with several clients the lines say who owned the slot.
 */
#include <string.h>

#include "dfukit/dfu_host_ble.h"
#include "sim_priv.h"

/* "udp 127.0.0.1:40123", "ble C0:DF:00:00:00:01", "serial". */
static void peer_name(dfu_link_t *l, char *buf, size_t cap)
{
    char a[48];
    uint8_t p[6];
    if (l->kind == DFU_LINK_UDP && dfu_link_udp_peer(l, a, sizeof(a)) > 0) {
        snprintf(buf, cap, "udp %s", a);
    } else if (l->kind == DFU_LINK_BLE && dfu_link_ble_connected(l, p)) {
        snprintf(buf, cap, "ble %02X:%02X:%02X:%02X:%02X:%02X", p[0], p[1], p[2], p[3], p[4], p[5]);
    } else {
        snprintf(buf, cap, "%s", l->kind == DFU_LINK_SERIAL ? "serial" : "link");
    }
}

void sim_upload_before(const sim_dev_t *d, sim_upwatch_t *w)
{
    const dfu_smp_img_upload_t *u = &d->img.up;
    w->active = u->active;
    w->off = u->off;
    w->size = u->size;
    memcpy(w->sha, u->sha, sizeof(w->sha));
}

void sim_upload_after(sim_dev_t *d, const sim_upwatch_t *w, dfu_link_t *l, uint64_t rx_wall_us)
{
    const dfu_smp_img_upload_t *u = &d->img.up;
    bool fresh = u->active && (!w->active || u->off < w->off || u->size != w->size ||
                               memcmp(u->sha, w->sha, sizeof(w->sha)) != 0);
    if (fresh) {
        char who[80];
        peer_name(l, who, sizeof(who));
        if (w->active) {
            sim_log(d,
                    "upload: session restarted at offset 0 by %s: %u bytes (the previous "
                    "session, from %s, had %u of %u bytes)",
                    who, u->size, d->up_peer, w->off, w->size);
        } else {
            sim_log(d, "upload: session started by %s: %u bytes", who, u->size);
        }
        snprintf(d->up_peer, sizeof(d->up_peer), "%s", who);
        /* with a model the first chunk went on the link before it was read: count from there */
        d->up_t0_model = l->model.kind != DFU_LINKMODEL_OFF ? l->stats.model_rx_start_us : 0;
        d->up_t0_wall =
            d->up_t0_model != 0 && d->up_t0_model < rx_wall_us ? d->up_t0_model : rx_wall_us;
        return;
    }
    if (!w->active || u->active || u->size == 0 || u->off != u->size) {
        return;
    }
    double wall = (double)(dfu_link_now_us() - d->up_t0_wall) / 1e6;
    if (d->up_t0_model != 0 && l->stats.model_done_us > d->up_t0_model) {
        double m = (double)(l->stats.model_done_us - d->up_t0_model) / 1e6;
        sim_log(d,
                "upload: complete from %s: %u bytes in %.3f s of modelled link time "
                "(%.2f kB/s), %.3f s wall",
                d->up_peer, u->size, m, (double)u->size / 1000.0 / m, wall);
    } else {
        sim_log(d, "upload: complete from %s: %u bytes in %.3f s wall (no link model)", d->up_peer,
                u->size, wall);
    }
}
