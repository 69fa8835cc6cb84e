/*
 * BlueZ link: the open sequence (find, connect, pair, acquire; stale bonds removed and paired
 * again once) and the dfu_link_t operations over the acquired sockets (or the WriteValue /
 * PropertiesChanged fallback). dfu_host_bluez.h describes the behaviour.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include "bluez_priv.h"
#include "dfukit/dfu_err.h"
#include "link_priv.h"

#define BZ_MAX_MSG (65535u + 8u)
#define BZ_STALE 1 /* internal: the device forgot the bond */
#define BZ_GONE 2  /* internal: the device object vanished under us */

static const dfu_link_ops_t bz_ops;

static bool err_is(const sd_bus_error *e, const char *name)
{
    return sd_bus_error_has_name(e, name) != 0;
}

/* ---- releasing ----------------------------------------------------------------------------------
 */

static void msgq_clear(bz_msgq_t *q)
{
    for (int i = 0; i < q->n; i++) {
        free(q->buf[(q->head + i) % BZ_MSGQ]);
    }
    q->head = q->n = 0;
}

static void bz_release(bz_t *b)
{
    if (b->wfd >= 0) {
        close(b->wfd);
    }
    if (b->nfd >= 0) {
        close(b->nfd);
    }
    b->wfd = b->nfd = -1;
    b->acquired = b->notifying = false;
    b->m_chr = sd_bus_slot_unref(b->m_chr);
    dfu_reasm_reset(&b->re);
    msgq_clear(&b->q);
}

static void bz_down(dfu_link_t *l)
{
    bz_release(l->ctx);
    l->down = true;
    l->security = 1;
}

/* ---- notifications through PropertiesChanged (fallback) -------------------------------------- */

static void deliver_value(bz_t *b, const uint8_t *v, size_t n)
{
    int rc = dfu_reasm_feed(&b->re, v, n);
    if (rc <= 0 || b->q.n >= BZ_MSGQ) {
        return; /* partial, malformed (dropped like a stack does), or queue full */
    }
    uint8_t *copy = malloc((size_t)rc);
    if (copy != NULL) {
        memcpy(copy, b->re.buf, (size_t)rc);
        int slot = (b->q.head + b->q.n) % BZ_MSGQ;
        b->q.buf[slot] = copy;
        b->q.len[slot] = (size_t)rc;
        b->q.n++;
    }
}

static int on_chr_props(sd_bus_message *m, void *u, sd_bus_error *e)
{
    bz_t *b = u;
    const char *iface = NULL;
    if (sd_bus_message_read(m, "s", &iface) < 0 ||
        strcmp(iface, "org.bluez.GattCharacteristic1") != 0) {
        return 0;
    }
    int r = sd_bus_message_enter_container(m, 'a', "{sv}");
    while (r >= 0 && (r = sd_bus_message_enter_container(m, 'e', "sv")) > 0) {
        const char *k = NULL;
        r = sd_bus_message_read(m, "s", &k);
        if (r >= 0 && strcmp(k, "Value") == 0) {
            const void *v = NULL;
            size_t n = 0;
            r = sd_bus_message_enter_container(m, 'v', "ay");
            r = r >= 0 ? sd_bus_message_read_array(m, 'y', &v, &n) : r;
            if (r >= 0) {
                deliver_value(b, v, n);
            }
            r = r >= 0 ? sd_bus_message_exit_container(m) : r;
        } else if (r >= 0) {
            r = sd_bus_message_skip(m, "v");
        }
        r = r >= 0 ? sd_bus_message_exit_container(m) : r;
    }
    if (r >= 0) {
        (void)sd_bus_message_exit_container(m);
    }
    return 0;
}

/* ---- the open sequence ------------------------------------------------------------------------
 */

static bool services_settled(const bz_t *b)
{
    return b->resolved || !b->connected || b->gone;
}

static bool connected_or_gone(const bz_t *b)
{
    return b->connected || b->gone;
}

/* Finds the device (discovering it if BlueZ does not know it) and watches its signals. */
static int locate(bz_t *b)
{
    bz_tree_t *t = NULL;
    int rc = bz_tree_load(b, &t);
    rc = rc == DFU_OK ? bz_pick_adapter(b, t) : rc;
    const bz_dev_rec_t *d = rc == DFU_OK ? bz_find_dev(b, t) : NULL;
    if (rc == DFU_OK && d == NULL) {
        free(t);
        t = NULL;
        rc = bz_discover(b, b->cfg.scan_ms);
        rc = rc == DFU_OK ? bz_tree_load(b, &t) : rc;
        d = rc == DFU_OK ? bz_find_dev(b, t) : NULL;
        if (rc == DFU_OK && d == NULL) {
            rc = bz_fail(b, DFU_ERR_NODEV, "the device %s vanished right after discovery",
                         b->found_path);
        }
    }
    if (rc == DFU_OK && d != NULL) {
        snprintf(b->dev_path, sizeof(b->dev_path), "%s", d->path);
        snprintf(b->address, sizeof(b->address), "%s", d->address);
        snprintf(b->name, sizeof(b->name), "%s", d->name[0] ? d->name : d->alias);
        b->paired = d->paired;
        b->bonded = d->bonded;
        b->trusted = d->trusted;
        b->connected = d->connected;
        b->resolved = d->resolved;
        bz_log(b, "device %s (%s) at %s: paired %d bonded %d connected %d", b->address, b->name,
               b->dev_path, b->paired, b->bonded, b->connected);
        rc = bz_watch_device(b);
    }
    free(t);
    return rc;
}

/* BlueZ's ways of saying the device refused our stored key. */
static bool stale_error(const sd_bus_error *e)
{
    return err_is(e, "org.bluez.Error.AuthenticationFailed") ||
           err_is(e, "org.bluez.Error.AuthenticationRejected") ||
           (err_is(e, "org.bluez.Error.Failed") && e->message != NULL &&
            strstr(e->message, "key-missing") != NULL);
}

static int do_connect(bz_t *b)
{
    if (b->connected && b->resolved) {
        return DFU_OK;
    }
    sd_bus_error err = SD_BUS_ERROR_NULL;
    b->auth_disconnect = false;
    int rc = DFU_OK;
    int r = b->connected
                ? 0
                : bz_call0(b, b->dev_path, "org.bluez.Device1", "Connect", b->cfg.timeout_ms, &err);
    if (r < 0 && err_is(&err, "org.bluez.Error.InProgress")) {
        r = bz_wait(b, dfu_link_deadline(b->cfg.timeout_ms), connected_or_gone) == DFU_OK &&
                    b->connected
                ? 0
                : r;
    }
    if (r < 0 && !err_is(&err, "org.bluez.Error.AlreadyConnected")) {
        if (err_is(&err, "org.freedesktop.DBus.Error.UnknownObject") || b->gone) {
            rc = BZ_GONE;
        } else if (b->paired && (stale_error(&err) || b->auth_disconnect)) {
            bz_log(b, "Connect: %s %s: the device refused our bond", err.name, err.message);
            snprintf(b->why, sizeof(b->why), "%s \"%s\"", err.name, err.message ? err.message : "");
            rc = BZ_STALE;
        } else if (err.name != NULL && strncmp(err.name, "org.bluez.Error.", 16) == 0) {
            rc = bz_fail(b, DFU_ERR_NOTCONN, "Device1.Connect to %s: %s \"%s\"", b->address,
                         err.name, err.message ? err.message : "");
        } else {
            rc = bz_call_error(b, r, &err, "Device1.Connect");
        }
        sd_bus_error_free(&err);
        return rc;
    }
    sd_bus_error_free(&err);
    b->connected = true;
    b->we_connected = true;
    if (bz_wait(b, dfu_link_deadline(b->cfg.timeout_ms), services_settled) != DFU_OK) {
        return bz_fail(b, DFU_ERR_TIMEOUT, "%s: services not resolved in time", b->address);
    }
    if (!b->connected) {
        if (b->paired && b->auth_disconnect) {
            snprintf(b->why, sizeof(b->why), "Disconnected (org.bluez.Reason.Authentication)");
            return BZ_STALE;
        }
        return b->gone
                   ? BZ_GONE
                   : bz_fail(b, DFU_ERR_NOTCONN, "%s disconnected while connecting", b->address);
    }
    bz_log(b, "connected to %s, services resolved", b->address);
    return DFU_OK;
}

/* After the device refused a security-protected step: say exactly why. */
static int security_failure(bz_t *b, const char *step, const sd_bus_error *err)
{
    if (b->agent_asked && !b->cfg.has_passkey) {
        return bz_fail(b, DFU_ERR_PASSKEY_NEEDED,
                       "%s (%s) asked for passkey pairing (BlueZ called RequestPasskey) and no "
                       "passkey was given",
                       b->address, b->name);
    }
    if (b->agent_answered) {
        return bz_fail(b, DFU_ERR_PAIRING,
                       "%s (%s) refused pairing with the passkey given (%s: %s): wrong passkey?",
                       b->address, b->name, err->name ? err->name : step,
                       err->message ? err->message : "");
    }
    return bz_fail(b, DFU_ERR_ACCESS, "%s: %s \"%s\": the device requires a paired link", step,
                   err->name ? err->name : "", err->message ? err->message : "");
}

static int do_pair(bz_t *b)
{
    if (!b->cfg.has_passkey || b->paired) {
        return DFU_OK;
    }
    sd_bus_error err = SD_BUS_ERROR_NULL;
    b->agent_asked = b->agent_answered = false;
    bz_log(b, "pairing with %s (passkey entry)", b->address);
    int r = bz_call0(b, b->dev_path, "org.bluez.Device1", "Pair", b->cfg.timeout_ms * 3, &err);
    int rc = DFU_OK;
    if (r < 0 && !err_is(&err, "org.bluez.Error.AlreadyExists")) {
        if (err_is(&err, "org.bluez.Error.AuthenticationFailed") ||
            err_is(&err, "org.bluez.Error.AuthenticationRejected") ||
            err_is(&err, "org.bluez.Error.AuthenticationCanceled") ||
            err_is(&err, "org.bluez.Error.AuthenticationTimeout")) {
            rc = b->agent_answered ? security_failure(b, "Device1.Pair", &err)
                                   : bz_fail(b, DFU_ERR_PAIRING, "Device1.Pair with %s: %s \"%s\"",
                                             b->address, err.name, err.message);
        } else if (err.name != NULL && strncmp(err.name, "org.bluez.Error.", 16) == 0) {
            rc = bz_fail(b, DFU_ERR_NOTCONN, "Device1.Pair with %s: %s \"%s\"", b->address,
                         err.name, err.message ? err.message : "");
        } else {
            rc = bz_call_error(b, r, &err, "Device1.Pair");
        }
    } else {
        b->paired = true;
    }
    sd_bus_error_free(&err);
    return rc;
}

static int find_char(bz_t *b)
{
    bz_tree_t *t = NULL;
    int rc = bz_tree_load(b, &t);
    size_t pl = strlen(b->dev_path);
    b->chr_path[0] = '\0';
    for (int i = 0; rc == DFU_OK && i < t->nchr; i++) {
        const bz_chr_rec_t *c = &t->chr[i];
        if (strncmp(c->path, b->dev_path, pl) == 0 && c->path[pl] == '/' &&
            strcasecmp(c->uuid, DFU_BLUEZ_SMP_CHAR_UUID) == 0) {
            snprintf(b->chr_path, sizeof(b->chr_path), "%s", c->path);
            b->mtu = c->has_mtu ? c->mtu : b->mtu;
        }
    }
    free(t);
    if (rc == DFU_OK && b->chr_path[0] == '\0') {
        rc = bz_fail(b, DFU_ERR_NODEV, "%s (%s) has no SMP characteristic %s", b->address, b->name,
                     DFU_BLUEZ_SMP_CHAR_UUID);
    }
    return rc;
}

/* AcquireWrite / AcquireNotify: 1 acquired, 0 not available (fallback), < 0 error. */
static int acquire_one(bz_t *b, const char *member, int *fd, sd_bus_error *err)
{
    sd_bus_message *m = NULL, *reply = NULL;
    int r = bz_new_call(b, &m, b->chr_path, "org.bluez.GattCharacteristic1", member);
    r = r >= 0 ? sd_bus_message_append(m, "a{sv}", 0) : r;
    r = r >= 0 ? bz_call(b, m, b->cfg.timeout_ms * 3, &reply, err) : r;
    sd_bus_message_unref(m);
    if (r < 0) {
        return (err_is(err, "org.freedesktop.DBus.Error.UnknownMethod") ||
                err_is(err, "org.bluez.Error.NotSupported"))
                   ? 0
                   : r;
    }
    int f = -1;
    uint16_t mtu = 0;
    r = sd_bus_message_read(reply, "hq", &f, &mtu);
    *fd = r >= 0 ? fcntl(f, F_DUPFD_CLOEXEC, 3) : -1; /* the message owns f */
    sd_bus_message_unref(reply);
    if (*fd < 0) {
        return -EIO;
    }
    b->mtu = mtu >= 23 ? mtu : b->mtu;
    return 1;
}

static int start_notify(bz_t *b, sd_bus_error *err)
{
    int r = sd_bus_match_signal(b->bus, &b->m_chr, BZ_SERVICE, b->chr_path,
                                "org.freedesktop.DBus.Properties", "PropertiesChanged",
                                on_chr_props, b);
    r = r >= 0 ? bz_call0(b, b->chr_path, "org.bluez.GattCharacteristic1", "StartNotify",
                          b->cfg.timeout_ms * 3, err)
               : r;
    return r;
}

static int acquire(bz_t *b)
{
    sd_bus_error err = SD_BUS_ERROR_NULL;
    const char *step = "GattCharacteristic1.AcquireNotify";
    int r = acquire_one(b, "AcquireNotify", &b->nfd, &err);
    if (r == 0) {
        step = "GattCharacteristic1.StartNotify";
        sd_bus_error_free(&err);
        r = start_notify(b, &err);
        b->notifying = r >= 0;
    }
    if (r >= 0) {
        sd_bus_error_free(&err);
        step = "GattCharacteristic1.AcquireWrite";
        r = acquire_one(b, "AcquireWrite", &b->wfd, &err);
        r = r == 0 ? 1 : r; /* no AcquireWrite: WriteValue per value */
    }
    int rc = DFU_OK;
    if (r < 0) {
        if (err_is(&err, "org.bluez.Error.NotPermitted") ||
            err_is(&err, "org.bluez.Error.NotAuthorized")) {
            rc = (err.message != NULL && strstr(err.message, "acquired") != NULL)
                     ? bz_fail(b, DFU_ERR_BUSY, "%s: %s (another program holds it)", step,
                               err.message)
                     : security_failure(b, step, &err);
        } else if (err.name != NULL && strncmp(err.name, "org.bluez.Error.", 16) == 0) {
            rc = bz_fail(b, DFU_ERR_NOTCONN, "%s: %s \"%s\"", step, err.name,
                         err.message ? err.message : "");
        } else {
            rc = bz_call_error(b, r, &err, step);
        }
    }
    sd_bus_error_free(&err);
    b->acquired = b->wfd >= 0 && b->nfd >= 0;
    if (rc == DFU_OK) {
        bz_log(b, "data path: %s, %s; ATT MTU %u", b->nfd >= 0 ? "AcquireNotify" : "StartNotify",
               b->wfd >= 0 ? "AcquireWrite" : "WriteValue", b->mtu);
    }
    return rc;
}

static int open_once(bz_t *b)
{
    b->mtu = 23;
    b->agent_asked = b->agent_answered = false;
    int rc = locate(b);
    rc = rc == DFU_OK ? do_connect(b) : rc;
    rc = rc == DFU_OK ? do_pair(b) : rc;
    rc = rc == DFU_OK ? find_char(b) : rc;
    rc = rc == DFU_OK ? acquire(b) : rc;
    if (rc == DFU_OK && b->agent_answered && b->paired) {
        b->paired_now = true;
    }
    return rc;
}

static int remove_device(bz_t *b)
{
    sd_bus_message *m = NULL;
    sd_bus_error err = SD_BUS_ERROR_NULL;
    int r = bz_new_call(b, &m, b->adapter_path, "org.bluez.Adapter1", "RemoveDevice");
    r = r >= 0 ? sd_bus_message_append(m, "o", b->dev_path) : r;
    r = r >= 0 ? bz_call(b, m, b->cfg.timeout_ms, NULL, &err) : r;
    sd_bus_message_unref(m);
    int rc = r < 0 ? bz_call_error(b, r, &err, "Adapter1.RemoveDevice") : DFU_OK;
    sd_bus_error_free(&err);
    return rc;
}

static int bz_connect_all(bz_t *b)
{
    bz_release(b);
    int rc = open_once(b);
    if (rc == BZ_GONE) {
        rc = open_once(b); /* the object went away between the lookup and Connect */
    }
    if (rc == BZ_STALE) {
        char seen[200];
        bz_strcpy(seen, sizeof(seen), b->why);
        if (!b->cfg.has_passkey) {
            return bz_fail(b, DFU_ERR_STALE_BOND,
                           "%s (%s) no longer has the bond BlueZ keeps for it (Device1.Connect: "
                           "%s): its firmware has no bond storage or the bond was erased",
                           b->address, b->name, seen);
        }
        bz_log(b, "stale bond with %s (%s): removing it and pairing again", b->address, seen);
        rc = remove_device(b);
        if (rc == DFU_OK) {
            b->repaired = true;
            b->paired = b->bonded = false;
            rc = open_once(b);
        }
        if (rc == BZ_STALE || rc == BZ_GONE) {
            rc = bz_fail(b, DFU_ERR_STALE_BOND, "%s refused the bond again after re-pairing",
                         b->address);
        }
    }
    if (rc == BZ_GONE) {
        rc = bz_fail(b, DFU_ERR_NOTCONN, "the device object %s disappeared", b->dev_path);
    }
    return rc;
}

static void apply_state(dfu_link_t *l)
{
    bz_t *b = l->ctx;
    l->down = false;
    l->att_mtu = b->mtu;
    l->security = !b->paired ? 1 : (b->paired_now ? 3 : 2);
}

/* ---- ops ---------------------------------------------------------------------------------- */

/* Runs the bus until nothing is pending (signals, agent calls): no method call is made. */
static int pump(bz_t *b)
{
    int r;
    while ((r = sd_bus_process(b->bus, NULL)) > 0) {
    }
    return r;
}

static int write_value_call(bz_t *b, const uint8_t *v, size_t n)
{
    sd_bus_message *m = NULL;
    sd_bus_error err = SD_BUS_ERROR_NULL;
    int r = bz_new_call(b, &m, b->chr_path, "org.bluez.GattCharacteristic1", "WriteValue");
    r = r >= 0 ? sd_bus_message_append_array(m, 'y', v, n) : r;
    r = r >= 0 ? sd_bus_message_append(m, "a{sv}", 1, "type", "s", "command") : r;
    r = r >= 0 ? bz_call(b, m, b->cfg.timeout_ms, NULL, &err) : r;
    sd_bus_message_unref(m);
    if (r < 0) {
        bz_fail(b, DFU_ERR_NOTCONN, "WriteValue: %s \"%s\"", err.name ? err.name : "",
                err.message ? err.message : strerror(-r));
    }
    sd_bus_error_free(&err);
    return r < 0 ? DFU_ERR_NOTCONN : DFU_OK;
}

static int write_sock(int fd, const uint8_t *v, size_t n)
{
    for (;;) {
        ssize_t w = send(fd, v, n, MSG_NOSIGNAL);
        if (w == (ssize_t)n) {
            return DFU_OK;
        }
        if (w < 0 && errno == EINTR) {
            continue;
        }
        if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            /* BlueZ stops reading while the controller's buffers are full: flow control */
            struct pollfd pf = {.fd = fd, .events = POLLOUT};
            if (poll(&pf, 1, 5000) <= 0) {
                return DFU_ERR_TIMEOUT;
            }
            continue;
        }
        return DFU_ERR_NOTCONN;
    }
}

static int bz_send(dfu_link_t *l, const uint8_t *msg, size_t len)
{
    bz_t *b = l->ctx;
    if (pump(b) < 0 || !b->connected) {
        bz_down(l);
        return DFU_ERR_NOTCONN;
    }
    size_t frag = (size_t)b->mtu - 3u, off = 0;
    do {
        size_t n = len - off < frag ? len - off : frag;
        int rc = b->wfd >= 0 ? write_sock(b->wfd, msg + off, n) : write_value_call(b, msg + off, n);
        if (rc != DFU_OK) {
            if (rc == DFU_ERR_NOTCONN) {
                bz_down(l);
            }
            return rc;
        }
        off += n;
    } while (off < len);
    return DFU_OK;
}

static int take_queued(bz_t *b, uint8_t *buf, size_t cap)
{
    uint8_t *m = b->q.buf[b->q.head];
    size_t n = b->q.len[b->q.head];
    b->q.head = (b->q.head + 1) % BZ_MSGQ;
    b->q.n--;
    int rc = n > cap ? DFU_ERR_MSGSIZE : (int)n;
    if (rc > 0) {
        memcpy(buf, m, n);
    }
    free(m);
    return rc;
}

/* Reads notification values from the acquired socket. > 0 message length, 0 nothing more
 * now, < 0 error. */
static int read_notify(dfu_link_t *l, uint8_t *buf, size_t cap)
{
    bz_t *b = l->ctx;
    for (;;) {
        uint8_t v[520];
        ssize_t n = recv(b->nfd, v, sizeof(v), MSG_DONTWAIT);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            return 0;
        }
        if (n <= 0) {
            bz_log(b, "%s: notify socket closed (device disconnected)", b->address);
            bz_down(l); /* BlueZ closes it (HUP) when the device disconnects */
            return DFU_ERR_NOTCONN;
        }
        int rc = dfu_reasm_feed(&b->re, v, (size_t)n);
        if (rc > 0) {
            if ((size_t)rc > cap) {
                return DFU_ERR_MSGSIZE;
            }
            memcpy(buf, b->re.buf, (size_t)rc);
            return rc;
        }
    }
}

static int bz_recv(dfu_link_t *l, uint8_t *buf, size_t cap, int timeout_ms)
{
    bz_t *b = l->ctx;
    uint64_t deadline = dfu_link_deadline(timeout_ms);
    for (;;) {
        if (b->q.n > 0) {
            return take_queued(b, buf, cap);
        }
        if (b->nfd >= 0) {
            int rc = read_notify(l, buf, cap);
            if (rc != 0) {
                return rc;
            }
        }
        if (pump(b) < 0 || !b->connected) {
            bz_down(l);
            return DFU_ERR_NOTCONN;
        }
        if (b->q.n > 0) {
            continue;
        }
        struct pollfd pf[2] = {{.fd = sd_bus_get_fd(b->bus), .events = POLLIN},
                               {.fd = b->nfd, .events = POLLIN}};
        int events = sd_bus_get_events(b->bus);
        pf[0].events = (short)(events > 0 ? events : POLLIN);
        int n = poll(pf, b->nfd >= 0 ? 2u : 1u, dfu_link_ms_left(deadline, timeout_ms));
        if (n < 0 && errno != EINTR) {
            return DFU_ERR_IO;
        }
        if (n == 0) {
            return DFU_ERR_TIMEOUT;
        }
    }
}

static void bz_disconnect_device(bz_t *b)
{
    if (b->we_connected && b->connected && b->dev_path[0]) {
        /* we opened the connection: close it, so the device can advertise for others */
        (void)bz_call0(b, b->dev_path, "org.bluez.Device1", "Disconnect", b->cfg.timeout_ms, NULL);
    }
    b->we_connected = false;
}

static void bz_drop(dfu_link_t *l, uint8_t reason)
{
    bz_t *b = l->ctx;
    bz_release(b);
    bz_disconnect_device(b);
    bz_down(l);
}

static int bz_reconnect(dfu_link_t *l)
{
    bz_t *b = l->ctx;
    b->paired_now = false;
    int rc = bz_connect_all(b);
    if (rc != DFU_OK) {
        bz_down(l);
        return rc;
    }
    apply_state(l);
    return DFU_OK;
}

static int bz_fd(const dfu_link_t *l)
{
    const bz_t *b = l->ctx;
    return b->nfd >= 0 ? b->nfd : sd_bus_get_fd(b->bus);
}

static void bz_close(dfu_link_t *l)
{
    bz_t *b = l->ctx;
    if (b == NULL) {
        return;
    }
    bz_release(b);
    if (b->bus != NULL) {
        bz_disconnect_device(b);
        bz_agent_unregister(b);
        b->m_dev = sd_bus_slot_unref(b->m_dev);
        b->m_sig = sd_bus_slot_unref(b->m_sig);
        b->m_removed = sd_bus_slot_unref(b->m_removed);
        sd_bus_flush_close_unref(b->bus);
    }
    free(b->re.buf);
    free(b);
    l->ctx = NULL;
}

static const dfu_link_ops_t bz_ops = {
    .send = bz_send,
    .recv = bz_recv,
    .drop = bz_drop,
    .reconnect = bz_reconnect,
    .fd = bz_fd,
    .close = bz_close,
};

/* ---- public -------------------------------------------------------------------------------- */

int dfu_link_bluez_open(dfu_link_t *l, const dfu_bluez_cfg_t *cfg)
{
    if (l == NULL || cfg == NULL || cfg->target == NULL || cfg->target[0] == '\0' ||
        strlen(cfg->target) >= sizeof(((bz_t *)0)->target) ||
        (cfg->adapter != NULL && strlen(cfg->adapter) >= sizeof(((bz_t *)0)->adapter_want)) ||
        (cfg->has_passkey && cfg->passkey > 999999u)) {
        if (cfg != NULL && cfg->why != NULL && cfg->why_cap > 0) {
            snprintf(cfg->why, cfg->why_cap, "invalid BlueZ link configuration");
        }
        return DFU_ERR_INVAL;
    }
    memset(l, 0, sizeof(*l));
    bz_t *b = calloc(1, sizeof(*b));
    uint8_t *rbuf = malloc(BZ_MAX_MSG);
    if (b == NULL || rbuf == NULL) {
        free(b);
        free(rbuf);
        return DFU_ERR_NOMEM;
    }
    b->cfg = *cfg;
    b->cfg.timeout_ms = cfg->timeout_ms > 0 ? cfg->timeout_ms : 10000;
    b->cfg.scan_ms = cfg->scan_ms > 0 ? cfg->scan_ms : 10000;
    snprintf(b->target, sizeof(b->target), "%s", cfg->target);
    snprintf(b->adapter_want, sizeof(b->adapter_want), "%s", cfg->adapter ? cfg->adapter : "");
    if (bz_is_address(b->target)) {
        for (char *p = b->target; *p; p++) {
            *p = (char)(*p >= 'a' && *p <= 'f' ? *p - 'a' + 'A' : *p);
        }
    }
    b->wfd = b->nfd = -1;
    (void)dfu_reasm_init(&b->re, rbuf, BZ_MAX_MSG);
    l->ops = &bz_ops;
    l->ctx = b;
    l->kind = DFU_LINK_BLUEZ;
    l->mtu = BZ_MAX_MSG;
    l->security = 1;
    l->att_mtu = 23;
    int rc = bz_bus_open(b);
    rc = rc == DFU_OK ? bz_agent_register(b) : rc;
    rc = rc == DFU_OK ? bz_connect_all(b) : rc;
    if (rc != DFU_OK) {
        if (cfg->why != NULL && cfg->why_cap > 0) {
            snprintf(cfg->why, cfg->why_cap, "%s", b->why);
        }
        dfu_link_close(l);
        return rc;
    }
    apply_state(l);
    return DFU_OK;
}

int dfu_link_bluez_info(const dfu_link_t *l, dfu_bluez_info_t *out)
{
    if (l == NULL || l->ops != &bz_ops || out == NULL) {
        return DFU_ERR_INVAL;
    }
    const bz_t *b = l->ctx;
    memset(out, 0, sizeof(*out));
    snprintf(out->address, sizeof(out->address), "%s", b->address);
    snprintf(out->name, sizeof(out->name), "%s", b->name);
    snprintf(out->adapter, sizeof(out->adapter), "%s", b->adapter_name);
    out->paired = b->paired;
    out->bonded = b->bonded;
    out->trusted = b->trusted;
    out->paired_now = b->paired_now;
    out->repaired = b->repaired;
    out->acquired = b->acquired;
    out->att_mtu = b->mtu;
    out->dbus_calls = b->calls;
    return DFU_OK;
}

int dfu_link_bluez_pair(dfu_link_t *l)
{
    if (l == NULL || l->ops != &bz_ops) {
        return DFU_ERR_INVAL;
    }
    bz_t *b = l->ctx;
    if (l->down) {
        return DFU_ERR_NOTCONN;
    }
    if (!b->cfg.has_passkey) {
        return DFU_ERR_PASSKEY_NEEDED;
    }
    b->paired = false; /* ask BlueZ even if it thinks it is paired: Pair says AlreadyExists */
    int rc = do_pair(b);
    if (rc != DFU_OK) {
        return rc;
    }
    b->paired_now = b->agent_answered;
    apply_state(l);
    return l->security;
}

const char *dfu_link_bluez_why(const dfu_link_t *l)
{
    if (l == NULL || l->ops != &bz_ops) {
        return "";
    }
    return ((const bz_t *)l->ctx)->why;
}
