/*
 * BlueZ link: the system bus connection, method calls that keep serving the bus while they wait
 * (BlueZ calls our agent in the middle of Pair / AcquireNotify), error mapping, and the parse of
 * ObjectManager.GetManagedObjects.
 */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "bluez_priv.h"
#include "dfukit/dfu_err.h"
#include "link_priv.h"

void bz_log(bz_t *b, const char *fmt, ...)
{
    if (b->cfg.log == NULL) {
        return;
    }
    va_list ap;
    va_start(ap, fmt);
    fputs("bluez: ", b->cfg.log);
    vfprintf(b->cfg.log, fmt, ap);
    fputc('\n', b->cfg.log);
    va_end(ap);
}

int bz_fail(bz_t *b, int rc, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(b->why, sizeof(b->why), fmt, ap);
    va_end(ap);
    bz_log(b, "%s", b->why);
    return rc;
}

bool bz_is_address(const char *s)
{
    if (strlen(s) != 17) {
        return false;
    }
    for (int i = 0; i < 17; i++) {
        if ((i % 3 == 2) ? s[i] != ':' : !isxdigit((unsigned char)s[i])) {
            return false;
        }
    }
    return true;
}

int bz_bus_open(bz_t *b)
{
    int r = sd_bus_open_system(&b->bus);
    if (r < 0) {
        const char *a = getenv("DBUS_SYSTEM_BUS_ADDRESS");
        return bz_fail(b, DFU_ERR_NO_BLUEZ, "cannot reach the system bus (%s): %s",
                       a ? a : "unix:path=/run/dbus/system_bus_socket", strerror(-r));
    }
    return DFU_OK;
}

int bz_new_call(bz_t *b, sd_bus_message **m, const char *path, const char *iface,
                const char *member)
{
    return sd_bus_message_new_method_call(b->bus, m, BZ_SERVICE, path, iface, member);
}

typedef struct {
    bool done;
    sd_bus_message *reply;
} call_state_t;

static int on_reply(sd_bus_message *m, void *u, sd_bus_error *e)
{
    call_state_t *st = u;
    st->done = true;
    st->reply = sd_bus_message_ref(m);
    return 1;
}

int bz_call(bz_t *b, sd_bus_message *m, int timeout_ms, sd_bus_message **reply, sd_bus_error *err)
{
    call_state_t st = {false, NULL};
    sd_bus_slot *slot = NULL;
    const char *dest = sd_bus_message_get_destination(m);
    if (dest != NULL && strcmp(dest, BZ_SERVICE) == 0) {
        b->calls++;
    }
    int r = sd_bus_call_async(b->bus, &slot, m, on_reply, &st, (uint64_t)timeout_ms * 1000u);
    while (r >= 0 && !st.done) {
        r = sd_bus_process(b->bus, NULL);
        if (r == 0) {
            r = sd_bus_wait(b->bus, UINT64_MAX); /* the pending call's timeout bounds this */
        }
    }
    sd_bus_slot_unref(slot);
    if (r < 0) {
        sd_bus_message_unref(st.reply);
        return r; /* the bus connection failed */
    }
    const sd_bus_error *e = sd_bus_message_get_error(st.reply);
    if (e != NULL) {
        r = -sd_bus_error_get_errno(e);
        r = r < 0 ? r : -EIO;
        if (err != NULL) {
            (void)sd_bus_error_copy(err, e);
        }
        sd_bus_message_unref(st.reply);
        return r;
    }
    if (reply != NULL) {
        *reply = st.reply;
    } else {
        sd_bus_message_unref(st.reply);
    }
    return 0;
}

int bz_call0(bz_t *b, const char *path, const char *iface, const char *member, int timeout_ms,
             sd_bus_error *err)
{
    sd_bus_message *m = NULL;
    int r = bz_new_call(b, &m, path, iface, member);
    r = r >= 0 ? bz_call(b, m, timeout_ms, NULL, err) : r;
    sd_bus_message_unref(m);
    return r;
}

int bz_call_error(bz_t *b, int r, const sd_bus_error *err, const char *what)
{
    const char *name = err != NULL && err->name ? err->name : "";
    const char *msg = err != NULL && err->message ? err->message : strerror(r < 0 ? -r : EIO);
    if (strcmp(name, "org.freedesktop.DBus.Error.ServiceUnknown") == 0 ||
        strcmp(name, "org.freedesktop.DBus.Error.NameHasNoOwner") == 0) {
        return bz_fail(b, DFU_ERR_NO_BLUEZ,
                       "nothing owns org.bluez on the system bus (bluetoothd not running)");
    }
    if (strcmp(name, "org.freedesktop.DBus.Error.AccessDenied") == 0) {
        return bz_fail(b, DFU_ERR_BUS_DENIED, "%s: the D-Bus policy refused it: %s", what, msg);
    }
    if (strcmp(name, "org.freedesktop.DBus.Error.NoReply") == 0 ||
        strcmp(name, "org.freedesktop.DBus.Error.Timeout") == 0 || r == -ETIMEDOUT) {
        return bz_fail(b, DFU_ERR_TIMEOUT, "%s: BlueZ did not answer in time", what);
    }
    if (name[0] == '\0') {
        return bz_fail(b, DFU_ERR_NO_BLUEZ, "%s: the system bus connection failed: %s", what, msg);
    }
    return bz_fail(b, DFU_ERR_IO, "%s failed: %s: %s", what, name, msg);
}

int bz_wait(bz_t *b, uint64_t deadline_us, bool (*done)(const bz_t *b))
{
    while (!done(b)) {
        int r = sd_bus_process(b->bus, NULL);
        if (r < 0) {
            return DFU_ERR_IO;
        }
        if (r > 0) {
            continue;
        }
        uint64_t now = dfu_link_now_us();
        if (now >= deadline_us) {
            return DFU_ERR_TIMEOUT;
        }
        if (sd_bus_wait(b->bus, deadline_us - now) < 0) {
            return DFU_ERR_IO;
        }
    }
    return DFU_OK;
}

/* ---- GetManagedObjects -------------------------------------------------------------------- */

/* Reads a variant holding `sig` into out (string types: copied into out, cap bytes); a variant
 * of another type is skipped. 1 read, 0 skipped, < 0 error. */
static int read_var(sd_bus_message *m, const char *sig, void *out, size_t cap)
{
    char type = 0;
    const char *contents = NULL;
    int r = sd_bus_message_peek_type(m, &type, &contents);
    if (r < 0) {
        return r;
    }
    if (type != 'v' || contents == NULL || strcmp(contents, sig) != 0) {
        return sd_bus_message_skip(m, "v");
    }
    if (sig[0] == 's' || sig[0] == 'o') {
        const char *s = NULL;
        r = sd_bus_message_read(m, "v", sig, &s);
        if (r >= 0) {
            snprintf(out, cap, "%s", s);
        }
        return r < 0 ? r : 1;
    }
    r = sd_bus_message_read(m, "v", sig, out);
    return r < 0 ? r : 1;
}

static int read_bool(sd_bus_message *m, bool *out)
{
    int v = 0;
    int r = read_var(m, "b", &v, 0);
    if (r == 1) {
        *out = v != 0;
    }
    return r;
}

/* Reads a variant "as" and says whether it holds `want` (case-insensitive). */
static int read_has_uuid(sd_bus_message *m, const char *want, bool *out)
{
    char type = 0;
    const char *contents = NULL;
    int r = sd_bus_message_peek_type(m, &type, &contents);
    if (r < 0 || contents == NULL || strcmp(contents, "as") != 0) {
        return r < 0 ? r : sd_bus_message_skip(m, "v");
    }
    r = sd_bus_message_enter_container(m, 'v', "as");
    r = r >= 0 ? sd_bus_message_enter_container(m, 'a', "s") : r;
    const char *u = NULL;
    while (r >= 0 && (r = sd_bus_message_read(m, "s", &u)) > 0) {
        *out = *out || strcasecmp(u, want) == 0;
    }
    r = r >= 0 ? sd_bus_message_exit_container(m) : r;
    return r >= 0 ? sd_bus_message_exit_container(m) : r;
}

static int dev_prop(sd_bus_message *m, const char *k, bz_dev_rec_t *d)
{
    if (strcmp(k, "Address") == 0) {
        return read_var(m, "s", d->address, sizeof(d->address));
    }
    if (strcmp(k, "Name") == 0) {
        return read_var(m, "s", d->name, sizeof(d->name));
    }
    if (strcmp(k, "Alias") == 0) {
        return read_var(m, "s", d->alias, sizeof(d->alias));
    }
    if (strcmp(k, "Adapter") == 0) {
        return read_var(m, "o", d->adapter, sizeof(d->adapter));
    }
    if (strcmp(k, "RSSI") == 0) {
        int r = read_var(m, "n", &d->rssi, 0);
        d->has_rssi = d->has_rssi || r == 1;
        return r;
    }
    if (strcmp(k, "UUIDs") == 0) {
        return read_has_uuid(m, DFU_BLUEZ_SMP_SERVICE_UUID, &d->smp);
    }
    bool *flag = strcmp(k, "Paired") == 0             ? &d->paired
                 : strcmp(k, "Bonded") == 0           ? &d->bonded
                 : strcmp(k, "Trusted") == 0          ? &d->trusted
                 : strcmp(k, "Connected") == 0        ? &d->connected
                 : strcmp(k, "ServicesResolved") == 0 ? &d->resolved
                                                      : NULL;
    return flag != NULL ? read_bool(m, flag) : sd_bus_message_skip(m, "v");
}

static int chr_prop(sd_bus_message *m, const char *k, bz_chr_rec_t *c)
{
    if (strcmp(k, "UUID") == 0) {
        return read_var(m, "s", c->uuid, sizeof(c->uuid));
    }
    if (strcmp(k, "MTU") == 0) {
        int r = read_var(m, "q", &c->mtu, 0);
        c->has_mtu = c->has_mtu || r == 1;
        return r;
    }
    return sd_bus_message_skip(m, "v");
}

static int adapter_prop(sd_bus_message *m, const char *k, bz_adapter_rec_t *a)
{
    if (strcmp(k, "Address") == 0) {
        return read_var(m, "s", a->address, sizeof(a->address));
    }
    if (strcmp(k, "Powered") == 0) {
        return read_bool(m, &a->powered);
    }
    return sd_bus_message_skip(m, "v");
}

/* One interface's a{sv} of object `path`. */
static int parse_iface(sd_bus_message *m, bz_tree_t *t, const char *path, const char *iface)
{
    void *rec = NULL;
    int kind = 0;
    if (strcmp(iface, "org.bluez.Device1") == 0 &&
        t->ndev < (int)(sizeof(t->dev) / sizeof(t->dev[0]))) {
        bz_dev_rec_t *d = &t->dev[t->ndev++];
        memset(d, 0, sizeof(*d));
        bz_strcpy(d->path, sizeof(d->path), path);
        rec = d;
        kind = 1;
    } else if (strcmp(iface, "org.bluez.GattCharacteristic1") == 0 &&
               t->nchr < (int)(sizeof(t->chr) / sizeof(t->chr[0]))) {
        bz_chr_rec_t *c = &t->chr[t->nchr++];
        memset(c, 0, sizeof(*c));
        snprintf(c->path, sizeof(c->path), "%s", path);
        rec = c;
        kind = 2;
    } else if (strcmp(iface, "org.bluez.Adapter1") == 0 &&
               t->nad < (int)(sizeof(t->ad) / sizeof(t->ad[0]))) {
        bz_adapter_rec_t *a = &t->ad[t->nad++];
        memset(a, 0, sizeof(*a));
        bz_strcpy(a->path, sizeof(a->path), path);
        rec = a;
        kind = 3;
    }
    if (kind == 0) {
        return sd_bus_message_skip(m, "a{sv}");
    }
    int r = sd_bus_message_enter_container(m, 'a', "{sv}");
    while (r >= 0 && (r = sd_bus_message_enter_container(m, 'e', "sv")) > 0) {
        const char *k = NULL;
        r = sd_bus_message_read(m, "s", &k);
        if (r >= 0) {
            r = kind == 1   ? dev_prop(m, k, rec)
                : kind == 2 ? chr_prop(m, k, rec)
                            : adapter_prop(m, k, rec);
        }
        r = r >= 0 ? sd_bus_message_exit_container(m) : r;
    }
    return r >= 0 ? sd_bus_message_exit_container(m) : r;
}

static int parse_tree(sd_bus_message *m, bz_tree_t *t)
{
    int r = sd_bus_message_enter_container(m, 'a', "{oa{sa{sv}}}");
    while (r >= 0 && (r = sd_bus_message_enter_container(m, 'e', "oa{sa{sv}}")) > 0) {
        const char *path = NULL;
        r = sd_bus_message_read(m, "o", &path);
        char p[192];
        snprintf(p, sizeof(p), "%s", path ? path : "");
        r = r >= 0 ? sd_bus_message_enter_container(m, 'a', "{sa{sv}}") : r;
        while (r >= 0 && (r = sd_bus_message_enter_container(m, 'e', "sa{sv}")) > 0) {
            const char *iface = NULL;
            r = sd_bus_message_read(m, "s", &iface);
            r = r >= 0 ? parse_iface(m, t, p, iface) : r;
            r = r >= 0 ? sd_bus_message_exit_container(m) : r;
        }
        r = r >= 0 ? sd_bus_message_exit_container(m) : r;
        r = r >= 0 ? sd_bus_message_exit_container(m) : r;
    }
    return r >= 0 ? sd_bus_message_exit_container(m) : r;
}

int bz_tree_load(bz_t *b, bz_tree_t **out)
{
    sd_bus_message *m = NULL, *reply = NULL;
    sd_bus_error err = SD_BUS_ERROR_NULL;
    *out = NULL;
    int r = bz_new_call(b, &m, "/", "org.freedesktop.DBus.ObjectManager", "GetManagedObjects");
    r = r >= 0 ? bz_call(b, m, b->cfg.timeout_ms, &reply, &err) : r;
    sd_bus_message_unref(m);
    if (r < 0) {
        int rc = bz_call_error(b, r, &err, "ObjectManager.GetManagedObjects");
        sd_bus_error_free(&err);
        return rc;
    }
    bz_tree_t *t = calloc(1, sizeof(*t));
    if (t == NULL) {
        sd_bus_message_unref(reply);
        return DFU_ERR_NOMEM;
    }
    r = parse_tree(reply, t);
    sd_bus_message_unref(reply);
    if (r < 0) {
        free(t);
        return bz_fail(b, DFU_ERR_PROTO, "GetManagedObjects: unexpected reply (%s)", strerror(-r));
    }
    *out = t;
    return DFU_OK;
}

/* Parses the changed properties of a Device1 PropertiesChanged or an a{sv} of InterfacesAdded
 * into rec (fields not present keep their values). */
int bz_parse_dev(sd_bus_message *m, bz_dev_rec_t *rec)
{
    int r = sd_bus_message_enter_container(m, 'a', "{sv}");
    while (r >= 0 && (r = sd_bus_message_enter_container(m, 'e', "sv")) > 0) {
        const char *k = NULL;
        r = sd_bus_message_read(m, "s", &k);
        r = r >= 0 ? dev_prop(m, k, rec) : r;
        r = r >= 0 ? sd_bus_message_exit_container(m) : r;
    }
    return r >= 0 ? sd_bus_message_exit_container(m) : r;
}

int bz_read_dev_props(bz_t *b, sd_bus_message *m)
{
    bz_dev_rec_t d;
    memset(&d, 0, sizeof(d));
    d.paired = b->paired;
    d.bonded = b->bonded;
    d.trusted = b->trusted;
    d.connected = b->connected;
    d.resolved = b->resolved;
    int r = bz_parse_dev(m, &d);
    if (r >= 0) {
        b->paired = d.paired;
        b->bonded = d.bonded;
        b->trusted = d.trusted;
        b->connected = d.connected;
        b->resolved = d.resolved;
    }
    return r;
}
