/*
 * BlueZ link: choosing the adapter, finding the device by address or advertised name (discovery
 * with a filter on the SMP service UUID when BlueZ does not know it), watching its signals, and
 * `dfukit scan` (dfu_bluez_scan).
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "bluez_priv.h"
#include "dfukit/dfu_err.h"
#include "link_priv.h"

int bz_pick_adapter(bz_t *b, const bz_tree_t *t)
{
    const bz_adapter_rec_t *pick = NULL;
    for (int i = 0; i < t->nad; i++) {
        const char *name = strrchr(t->ad[i].path, '/');
        name = name ? name + 1 : t->ad[i].path;
        if (b->adapter_want[0] ? strcmp(name, b->adapter_want) == 0
                               : (pick == NULL || strcmp(t->ad[i].path, pick->path) < 0)) {
            pick = &t->ad[i];
        }
    }
    if (pick == NULL) {
        return b->adapter_want[0]
                   ? bz_fail(b, DFU_ERR_NODEV, "BlueZ has no adapter %s", b->adapter_want)
                   : bz_fail(b, DFU_ERR_NODEV, "BlueZ has no Bluetooth adapter");
    }
    snprintf(b->adapter_path, sizeof(b->adapter_path), "%s", pick->path);
    const char *name = strrchr(pick->path, '/');
    bz_strcpy(b->adapter_name, sizeof(b->adapter_name), name ? name + 1 : pick->path);
    if (!pick->powered) {
        return bz_fail(b, DFU_ERR_NODEV, "adapter %s (%s) is powered off", b->adapter_name,
                       pick->address);
    }
    return DFU_OK;
}

static bool under_adapter(const bz_t *b, const char *adapter)
{
    return strcmp(adapter, b->adapter_path) == 0;
}

static bool matches(const bz_t *b, const bz_dev_rec_t *d)
{
    if (!under_adapter(b, d->adapter)) {
        return false;
    }
    if (b->address[0]) {
        return strcasecmp(d->address, b->address) == 0; /* pinned after the first find */
    }
    if (bz_is_address(b->target)) {
        return strcasecmp(d->address, b->target) == 0;
    }
    return strcmp(d->name, b->target) == 0 || strcmp(d->alias, b->target) == 0;
}

const bz_dev_rec_t *bz_find_dev(const bz_t *b, const bz_tree_t *t)
{
    for (int i = 0; i < t->ndev; i++) {
        if (matches(b, &t->dev[i])) {
            return &t->dev[i];
        }
    }
    return NULL;
}

/* ---- signals of the device --------------------------------------------------------------------
 */

static int on_dev_props(sd_bus_message *m, void *u, sd_bus_error *e)
{
    bz_t *b = u;
    const char *iface = NULL;
    if (sd_bus_message_read(m, "s", &iface) < 0 || strcmp(iface, "org.bluez.Device1") != 0) {
        return 0;
    }
    bool was = b->connected;
    (void)bz_read_dev_props(b, m);
    if (was && !b->connected) {
        bz_log(b, "%s: Connected=false", b->address);
    }
    return 0;
}

static int on_disconnected(sd_bus_message *m, void *u, sd_bus_error *e)
{
    bz_t *b = u;
    const char *reason = NULL, *msg = NULL;
    if (sd_bus_message_read(m, "ss", &reason, &msg) >= 0) {
        bz_log(b, "%s: Disconnected(%s, %s)", b->address, reason, msg);
        b->auth_disconnect =
            b->auth_disconnect || strcmp(reason, "org.bluez.Reason.Authentication") == 0;
    }
    b->connected = false;
    return 0;
}

static int on_removed(sd_bus_message *m, void *u, sd_bus_error *e)
{
    bz_t *b = u;
    const char *path = NULL;
    if (sd_bus_message_read(m, "o", &path) >= 0 && strcmp(path, b->dev_path) == 0) {
        b->gone = true;
        b->connected = false;
    }
    return 0;
}

int bz_watch_device(bz_t *b)
{
    b->m_dev = sd_bus_slot_unref(b->m_dev);
    b->m_sig = sd_bus_slot_unref(b->m_sig);
    b->m_removed = sd_bus_slot_unref(b->m_removed);
    b->gone = false;
    int r = sd_bus_match_signal(b->bus, &b->m_dev, BZ_SERVICE, b->dev_path,
                                "org.freedesktop.DBus.Properties", "PropertiesChanged",
                                on_dev_props, b);
    r = r >= 0 ? sd_bus_match_signal(b->bus, &b->m_sig, BZ_SERVICE, b->dev_path,
                                     "org.bluez.Device1", "Disconnected", on_disconnected, b)
               : r;
    r = r >= 0 ? sd_bus_match_signal(b->bus, &b->m_removed, BZ_SERVICE, "/",
                                     "org.freedesktop.DBus.ObjectManager", "InterfacesRemoved",
                                     on_removed, b)
               : r;
    return r < 0 ? bz_fail(b, DFU_ERR_IO, "cannot watch BlueZ signals: %s", strerror(-r)) : DFU_OK;
}

/* ---- discovery ------------------------------------------------------------------------------ */

/* Reads InterfacesAdded (o, a{sa{sv}}); fills rec when the object is a Device1. 1 / 0. */
static int added_device(sd_bus_message *m, bz_dev_rec_t *rec)
{
    const char *path = NULL;
    int found = 0;
    memset(rec, 0, sizeof(*rec));
    int r = sd_bus_message_read(m, "o", &path);
    if (r >= 0) {
        snprintf(rec->path, sizeof(rec->path), "%s", path);
    }
    r = r >= 0 ? sd_bus_message_enter_container(m, 'a', "{sa{sv}}") : r;
    while (r >= 0 && (r = sd_bus_message_enter_container(m, 'e', "sa{sv}")) > 0) {
        const char *iface = NULL;
        r = sd_bus_message_read(m, "s", &iface);
        if (r >= 0 && strcmp(iface, "org.bluez.Device1") == 0) {
            r = bz_parse_dev(m, rec);
            found = r >= 0;
        } else if (r >= 0) {
            r = sd_bus_message_skip(m, "a{sv}");
        }
        r = r >= 0 ? sd_bus_message_exit_container(m) : r;
    }
    return r >= 0 && found;
}

static int on_added(sd_bus_message *m, void *u, sd_bus_error *e)
{
    bz_t *b = u;
    bz_dev_rec_t d;
    if (added_device(m, &d) == 1 && matches(b, &d)) {
        snprintf(b->found_path, sizeof(b->found_path), "%s", d.path);
    }
    return 0;
}

static bool found(const bz_t *b)
{
    return b->found_path[0] != '\0';
}

/* SetDiscoveryFilter({UUIDs: [SMP], Transport: le}) or, with on = false, no filter. */
static int set_filter(bz_t *b, bool on)
{
    sd_bus_message *m = NULL;
    sd_bus_error err = SD_BUS_ERROR_NULL;
    int r = bz_new_call(b, &m, b->adapter_path, "org.bluez.Adapter1", "SetDiscoveryFilter");
    if (r >= 0 && on) {
        r = sd_bus_message_append(m, "a{sv}", 2, "UUIDs", "as", 1, DFU_BLUEZ_SMP_SERVICE_UUID,
                                  "Transport", "s", "le");
    } else if (r >= 0) {
        r = sd_bus_message_append(m, "a{sv}", 0);
    }
    r = r >= 0 ? bz_call(b, m, b->cfg.timeout_ms, NULL, &err) : r;
    sd_bus_message_unref(m);
    int rc = r < 0 ? bz_call_error(b, r, &err, "Adapter1.SetDiscoveryFilter") : DFU_OK;
    sd_bus_error_free(&err);
    return rc;
}

static int start_discovery(bz_t *b)
{
    sd_bus_error err = SD_BUS_ERROR_NULL;
    int rc = set_filter(b, true);
    if (rc == DFU_OK) {
        int r = bz_call0(b, b->adapter_path, "org.bluez.Adapter1", "StartDiscovery",
                         b->cfg.timeout_ms, &err);
        if (r < 0 && !sd_bus_error_has_name(&err, "org.bluez.Error.InProgress")) {
            rc = bz_call_error(b, r, &err, "Adapter1.StartDiscovery");
        }
    }
    sd_bus_error_free(&err);
    return rc;
}

static void stop_discovery(bz_t *b)
{
    (void)bz_call0(b, b->adapter_path, "org.bluez.Adapter1", "StopDiscovery", b->cfg.timeout_ms,
                   NULL);
    (void)set_filter(b, false);
}

int bz_discover(bz_t *b, int ms)
{
    sd_bus_slot *slot = NULL;
    b->found_path[0] = '\0';
    int r =
        sd_bus_match_signal(b->bus, &slot, BZ_SERVICE, "/", "org.freedesktop.DBus.ObjectManager",
                            "InterfacesAdded", on_added, b);
    if (r < 0) {
        return bz_fail(b, DFU_ERR_IO, "cannot watch BlueZ signals: %s", strerror(-r));
    }
    const char *what = b->address[0] ? b->address : b->target;
    bz_log(b, "discovering %s on %s (filter: SMP service, LE) for up to %d ms", what,
           b->adapter_name, ms);
    int rc = start_discovery(b);
    if (rc == DFU_OK) {
        rc = bz_wait(b, dfu_link_now_us() + (uint64_t)ms * 1000u, found);
        stop_discovery(b);
        if (rc == DFU_ERR_TIMEOUT) {
            rc = bz_fail(b, DFU_ERR_NODEV,
                         "no device '%s' advertising the SMP service found by %s in %.1f s", what,
                         b->adapter_name, ms / 1000.0);
        }
    }
    sd_bus_slot_unref(slot);
    return rc;
}

/* ---- scan ----------------------------------------------------------------------------------- */

typedef struct {
    bz_t *b;
    bz_dev_rec_t dev[64];
    bool seen[64];
    int n;
} scan_t;

static bz_dev_rec_t *scan_slot(scan_t *s, const char *path)
{
    for (int i = 0; i < s->n; i++) {
        if (strcmp(s->dev[i].path, path) == 0) {
            return &s->dev[i];
        }
    }
    if (s->n >= (int)(sizeof(s->dev) / sizeof(s->dev[0]))) {
        return NULL;
    }
    bz_dev_rec_t *d = &s->dev[s->n++];
    memset(d, 0, sizeof(*d));
    snprintf(d->path, sizeof(d->path), "%s", path);
    return d;
}

static int scan_added(sd_bus_message *m, void *u, sd_bus_error *e)
{
    scan_t *s = u;
    bz_dev_rec_t d;
    if (added_device(m, &d) == 1 && under_adapter(s->b, d.adapter)) {
        bz_dev_rec_t *slot = scan_slot(s, d.path);
        if (slot != NULL) {
            *slot = d;
            s->seen[slot - s->dev] = true;
        }
    }
    return 0;
}

static int scan_props(sd_bus_message *m, void *u, sd_bus_error *e)
{
    scan_t *s = u;
    const char *iface = NULL;
    const char *path = sd_bus_message_get_path(m);
    if (path == NULL || sd_bus_message_read(m, "s", &iface) < 0 ||
        strcmp(iface, "org.bluez.Device1") != 0) {
        return 0;
    }
    for (int i = 0; i < s->n; i++) {
        if (strcmp(s->dev[i].path, path) == 0) {
            bool had = s->dev[i].has_rssi;
            s->dev[i].has_rssi = false;
            (void)bz_parse_dev(m, &s->dev[i]);
            s->seen[i] = s->seen[i] || s->dev[i].has_rssi; /* an advertising report */
            s->dev[i].has_rssi = s->dev[i].has_rssi || had;
        }
    }
    return 0;
}

static bool never(const bz_t *b)
{
    return false;
}

static int cmp_rssi(const void *a, const void *b)
{
    return ((const dfu_bluez_seen_t *)b)->rssi - ((const dfu_bluez_seen_t *)a)->rssi;
}

static int scan_run(bz_t *b, scan_t *s, int timeout_ms)
{
    bz_tree_t *t = NULL;
    int rc = bz_tree_load(b, &t);
    rc = rc == DFU_OK ? bz_pick_adapter(b, t) : rc;
    for (int i = 0; rc == DFU_OK && i < t->ndev; i++) {
        if (under_adapter(b, t->dev[i].adapter)) {
            bz_dev_rec_t *d = scan_slot(s, t->dev[i].path);
            if (d != NULL) {
                *d = t->dev[i]; /* known before the scan: listed only if seen advertising */
            }
        }
    }
    free(t);
    if (rc != DFU_OK) {
        return rc;
    }
    sd_bus_slot *s1 = NULL, *s2 = NULL;
    int r = sd_bus_match_signal(b->bus, &s1, BZ_SERVICE, "/", "org.freedesktop.DBus.ObjectManager",
                                "InterfacesAdded", scan_added, s);
    r = r >= 0
            ? sd_bus_match_signal(b->bus, &s2, BZ_SERVICE, NULL, "org.freedesktop.DBus.Properties",
                                  "PropertiesChanged", scan_props, s)
            : r;
    rc = r < 0 ? bz_fail(b, DFU_ERR_IO, "cannot watch BlueZ signals: %s", strerror(-r))
               : start_discovery(b);
    if (rc == DFU_OK) {
        (void)bz_wait(b, dfu_link_now_us() + (uint64_t)timeout_ms * 1000u, never);
        stop_discovery(b);
    }
    sd_bus_slot_unref(s1);
    sd_bus_slot_unref(s2);
    return rc;
}

int dfu_bluez_scan(const char *adapter, int timeout_ms, dfu_bluez_seen_t *out, size_t cap,
                   size_t *n, char *why, size_t why_cap)
{
    bz_t *b = calloc(1, sizeof(*b));
    scan_t *s = calloc(1, sizeof(*s));
    *n = 0;
    if (b == NULL || s == NULL) {
        free(b);
        free(s);
        return DFU_ERR_NOMEM;
    }
    b->cfg.timeout_ms = 10000;
    b->wfd = b->nfd = -1;
    snprintf(b->adapter_want, sizeof(b->adapter_want), "%s", adapter ? adapter : "");
    s->b = b;
    int rc = bz_bus_open(b);
    rc = rc == DFU_OK ? scan_run(b, s, timeout_ms > 0 ? timeout_ms : 5000) : rc;
    for (int i = 0; rc == DFU_OK && i < s->n && *n < cap; i++) {
        const bz_dev_rec_t *d = &s->dev[i];
        if (!s->seen[i] || !d->smp) {
            continue;
        }
        dfu_bluez_seen_t *o = &out[(*n)++];
        memset(o, 0, sizeof(*o));
        snprintf(o->address, sizeof(o->address), "%s", d->address);
        snprintf(o->name, sizeof(o->name), "%s", d->name[0] ? d->name : d->alias);
        o->rssi = d->has_rssi ? d->rssi : -127;
        o->paired = d->paired;
        o->bonded = d->bonded;
        o->connected = d->connected;
    }
    qsort(out, *n, sizeof(out[0]), cmp_rssi);
    if (rc != DFU_OK && why != NULL) {
        snprintf(why, why_cap, "%s", b->why);
    }
    sd_bus_flush_close_unref(b->bus);
    free(s);
    free(b);
    return rc;
}
