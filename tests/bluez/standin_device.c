/*
 * BlueZ stand-in: org.bluez.Device1 objects and the central side of the BLE model connection
 * (connect, MTU exchange, encryption with a stored key, pairing through the registered agent,
 * disconnects).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "dfukit/dfu_err.h"
#include "link_priv.h"
#include "standin.h"

#define E_FAILED "org.bluez.Error.Failed"
#define MODEL_STEP_MS 2000

void si_emit(si_dev_t *d, const char *iface, const char *prop)
{
    (void)sd_bus_emit_properties_changed(d->s->bus, d->path, iface, prop, NULL);
}

/* ---- properties ------------------------------------------------------------------------------ */

static int get_str(sd_bus_message *r, const char *v)
{
    return sd_bus_message_append(r, "s", v);
}

static int p_address(sd_bus *b, const char *p, const char *i, const char *n, sd_bus_message *r,
                     void *u, sd_bus_error *e)
{
    return get_str(r, ((si_dev_t *)u)->addr_str);
}

static int p_addrtype(sd_bus *b, const char *p, const char *i, const char *n, sd_bus_message *r,
                      void *u, sd_bus_error *e)
{
    return get_str(r, "public");
}

static int p_name(sd_bus *b, const char *p, const char *i, const char *n, sd_bus_message *r,
                  void *u, sd_bus_error *e)
{
    return get_str(r, ((si_dev_t *)u)->name);
}

static int p_alias(sd_bus *b, const char *p, const char *i, const char *n, sd_bus_message *r,
                   void *u, sd_bus_error *e)
{
    si_dev_t *d = u;
    return get_str(r, d->alias[0] ? d->alias : d->name);
}

static int set_alias(sd_bus *b, const char *p, const char *i, const char *n, sd_bus_message *v,
                     void *u, sd_bus_error *e)
{
    si_dev_t *d = u;
    const char *a = NULL;
    int r = sd_bus_message_read(v, "s", &a);
    if (r < 0) {
        return r;
    }
    snprintf(d->alias, sizeof(d->alias), "%s", a);
    si_emit(d, "org.bluez.Device1", "Alias");
    return 0;
}

static int p_adapter(sd_bus *b, const char *p, const char *i, const char *n, sd_bus_message *r,
                     void *u, sd_bus_error *e)
{
    return sd_bus_message_append(r, "o", SI_ADAPTER_PATH);
}

static int p_uuids(sd_bus *b, const char *p, const char *i, const char *n, sd_bus_message *r,
                   void *u, sd_bus_error *e)
{
    return sd_bus_message_append(r, "as", 1, SI_SMP_SVC_UUID);
}

static int p_advflags(sd_bus *b, const char *p, const char *i, const char *n, sd_bus_message *r,
                      void *u, sd_bus_error *e)
{
    static const uint8_t flags = 0x06; /* LE General Discoverable, BR/EDR not supported */
    return sd_bus_message_append_array(r, 'y', &flags, 1);
}

/* Trusted / Blocked: sd-bus hands the setter the field (object userdata + offset). */
static int set_bool(sd_bus *b, const char *p, const char *i, const char *n, sd_bus_message *v,
                    void *u, sd_bus_error *e)
{
    int x = 0;
    int r = sd_bus_message_read(v, "b", &x);
    if (r < 0) {
        return r;
    }
    *(int *)u = x;
    return sd_bus_emit_properties_changed(b, p, i, n, NULL);
}

/* ---- the model connection ---------------------------------------------------------------- */

static void dev_close_fd(si_dev_t *d)
{
    d->io = sd_event_source_disable_unref(d->io);
    if (d->fd >= 0) {
        close(d->fd);
    }
    d->fd = -1;
    d->rx.have = 0;
    d->subscribed = false;
}

static const char *reason_name(uint8_t hci, bool local, const char **msg)
{
    if (local) {
        *msg = "Connection terminated by local host";
        return "org.bluez.Reason.Local";
    }
    switch (hci) {
    case 0x08:
        *msg = "Connection timed out";
        return "org.bluez.Reason.Timeout";
    case 0x05:
        *msg = "Connection terminated due to authentication failure";
        return "org.bluez.Reason.Authentication";
    case 0x13:
    case 0x14:
    case 0x15:
        *msg = "Connection terminated by remote user";
        return "org.bluez.Reason.Remote";
    default:
        *msg = "Connection terminated for an unknown reason";
        return "org.bluez.Reason.Unknown";
    }
}

static int temp_fire(sd_event_source *src, uint64_t usec, void *u)
{
    si_dev_t *d = u;
    d->temp_timer = sd_event_source_disable_unref(d->temp_timer);
    if (d->exported && !d->connected && !d->bonded && !d->paired && d->op == SI_OP_NONE) {
        si_log(d->s, "device %s: temporary device removed", d->addr_str);
        si_dev_unexport(d);
    }
    return 0;
}

/* A device that is neither bonded nor connected is temporary: removed after TemporaryTimeout. */
static void dev_arm_temporary(si_dev_t *d)
{
    d->temp_timer = sd_event_source_disable_unref(d->temp_timer);
    (void)sd_event_add_time_relative(d->s->ev, &d->temp_timer, CLOCK_MONOTONIC,
                                     (uint64_t)d->s->temp_timeout_s * 1000000u, 0, temp_fire, d);
}

static void op_fail(si_dev_t *d, const char *name, const char *msg)
{
    if (d->op_msg != NULL) {
        (void)sd_bus_reply_method_errorf(d->op_msg, name, "%s", msg);
        d->op_msg = sd_bus_message_unref(d->op_msg);
    }
    d->agent_call = sd_bus_slot_unref(d->agent_call);
    d->op = SI_OP_NONE;
}

void si_dev_disconnected(si_dev_t *d, uint8_t hci, bool local)
{
    if (!d->connected && d->fd < 0) {
        return;
    }
    const char *msg = NULL;
    const char *why = reason_name(hci, local, &msg);
    si_log(d->s, "device %s: disconnected (%s)", d->addr_str, why);
    dev_close_fd(d);
    si_gatt_release_all(d);
    if (d->op != SI_OP_NONE) {
        op_fail(d, E_FAILED, "Not connected");
    }
    if (d->gatt_exported && !d->bonded) {
        si_gatt_unexport(d); /* attributes are cached for bonded devices only */
    }
    d->level = 1;
    if (d->resolved) {
        d->resolved = 0;
        si_emit(d, "org.bluez.Device1", "ServicesResolved");
    }
    if (d->connected) {
        d->connected = 0;
        si_emit(d, "org.bluez.Device1", "Connected");
        (void)sd_bus_emit_signal(d->s->bus, d->path, "org.bluez.Device1", "Disconnected", "ss", why,
                                 msg);
    }
    if (d->paired && !d->bonded) {
        d->paired = 0; /* pairing without bonding lasts for the connection only */
        si_emit(d, "org.bluez.Device1", "Paired");
    }
    if (!d->bonded) {
        dev_arm_temporary(d);
    }
}

/* Handles a packet that is not an awaited answer. */
static void dev_handle(si_dev_t *d, const ble_pkt_t *p)
{
    switch (p->type) {
    case BLE_PKT_NOTIFY:
        si_gatt_notify(d, p->payload, p->len);
        break;
    case BLE_PKT_ATT_ERR:
        /* A Write Command gets no ATT response on a real link: the device drops it. */
        d->s->writes_dropped++;
        si_log(d->s, "device %s: write command dropped by the device (ATT 0x%02x on link L%u)",
               d->addr_str, p->len == 4 ? p->payload[3] : 0, d->level);
        break;
    case BLE_PKT_DISC:
        si_dev_disconnected(d, p->len == 1 ? p->payload[0] : 0x13, false);
        break;
    default:
        break; /* late WRITE_RSP of a CCCD disable, etc. */
    }
}

static int dev_io(sd_event_source *src, int fd, uint32_t revents, void *u)
{
    si_dev_t *d = u;
    int rc = ble_rx_fill(&d->rx, d->fd);
    if (rc < 0) {
        si_dev_disconnected(d, 0x13, false);
        return 0;
    }
    for (;;) {
        rc = ble_rx_pop(&d->rx, &d->pkt);
        if (rc < 0) {
            si_dev_disconnected(d, 0x13, false);
            return 0;
        }
        if (rc == 0) {
            return 0;
        }
        dev_handle(d, &d->pkt);
        if (d->fd < 0) {
            return 0;
        }
    }
}

int si_dev_await(si_dev_t *d, uint8_t type, int ms, uint8_t *att)
{
    uint64_t deadline = dfu_link_deadline(ms);
    while (d->fd >= 0) {
        int rc = ble_rx_wait(&d->rx, d->fd, deadline, ms, &d->pkt);
        if (rc == DFU_ERR_TIMEOUT) {
            return -ETIMEDOUT;
        }
        if (rc < 0) {
            si_dev_disconnected(d, 0x13, false);
            return -ENOTCONN;
        }
        if (d->pkt.type == type) {
            return 0;
        }
        if (d->pkt.type == BLE_PKT_ATT_ERR && d->pkt.len == 4 &&
            d->pkt.payload[0] == BLE_ATT_OP_WRITE_REQ) {
            *att = d->pkt.payload[3];
            return -EACCES;
        }
        dev_handle(d, &d->pkt);
    }
    return -ENOTCONN;
}

static int model_open(si_dev_t *d)
{
    struct sockaddr_un a;
    memset(&a, 0, sizeof(a));
    a.sun_family = AF_UNIX;
    snprintf(a.sun_path, sizeof(a.sun_path), "%s", d->model);
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0) {
        return -1;
    }
    if (connect(fd, (struct sockaddr *)&a, sizeof(a)) != 0) {
        close(fd);
        return -1;
    }
    return fd;
}

/* Reads the ADV of a fresh model connection. 0, or -1 (refused: DISC, or nothing). */
static int model_adv(si_dev_t *d, int fd, ble_rx_t *rx, ble_pkt_t *p, int ms)
{
    int rc = ble_rx_wait(rx, fd, dfu_link_deadline(ms), ms, p);
    if (rc != 1 || p->type != BLE_PKT_ADV || p->len < 1) {
        return -1;
    }
    size_t n = p->len - 1u;
    n = n >= sizeof(d->name) ? sizeof(d->name) - 1 : n;
    char name[sizeof(d->name)];
    memcpy(name, p->payload + 1, n);
    name[n] = '\0';
    d->can_display = (p->payload[0] & BLE_ADV_FLAG_PASSKEY) != 0;
    if (strcmp(name, d->name) != 0) {
        memcpy(d->name, name, n + 1);
        if (d->exported) {
            si_emit(d, "org.bluez.Device1", "Name");
            if (d->alias[0] == '\0') {
                si_emit(d, "org.bluez.Device1", "Alias");
            }
        }
    }
    return 0;
}

int si_dev_probe(si_dev_t *d);
/* Discovery: is the device advertising (a model connection answers with ADV)? 1 yes, 0 no. */
int si_dev_probe(si_dev_t *d)
{
    if (d->fd >= 0) {
        return 0; /* connected peripherals do not advertise */
    }
    int fd = model_open(d);
    if (fd < 0) {
        return 0;
    }
    ble_rx_t rx;
    ble_pkt_t p;
    rx.have = 0;
    int rc = model_adv(d, fd, &rx, &p, 300);
    close(fd);
    return rc == 0;
}

static int dev_encrypt(si_dev_t *d)
{
    uint8_t att = 0;
    int rc = ble_pkt_send(d->fd, BLE_PKT_ENC_REQ, d->ltk, 16) == DFU_OK
                 ? si_dev_await(d, BLE_PKT_ENC_RSP, MODEL_STEP_MS, &att)
                 : -ENOTCONN;
    if (rc < 0) {
        return rc;
    }
    if (d->pkt.len != 2 || d->pkt.payload[0] != 0) {
        return -EBADE; /* PIN or key missing: the device has no bond for us */
    }
    d->level = d->pkt.payload[1];
    return 0;
}

int si_dev_connect(si_dev_t *d, const char **err_name, const char **err_msg)
{
    *err_name = E_FAILED;
    *err_msg = "le-connection-abort-by-local";
    d->fd = model_open(d);
    if (d->fd < 0) {
        return -1; /* not advertising */
    }
    d->rx.have = 0;
    if (model_adv(d, d->fd, &d->rx, &d->pkt, 1000) != 0) {
        *err_msg = "le-connection-abort-by-remote";
        dev_close_fd(d);
        return -1;
    }
    uint8_t mtu[2] = {SI_ATT_MTU_CENTRAL >> 8, SI_ATT_MTU_CENTRAL & 0xFF};
    uint8_t att = 0;
    int rc = ble_pkt_send(d->fd, BLE_PKT_CONNECT, d->s->addr, 6);
    rc = rc == DFU_OK ? ble_pkt_send(d->fd, BLE_PKT_MTU_REQ, mtu, 2) : rc;
    rc = rc == DFU_OK ? si_dev_await(d, BLE_PKT_MTU_RSP, MODEL_STEP_MS, &att) : -ENOTCONN;
    if (rc < 0) {
        dev_close_fd(d);
        return -1;
    }
    uint16_t theirs =
        d->pkt.len == 2 ? (uint16_t)((d->pkt.payload[0] << 8) | d->pkt.payload[1]) : 23u;
    d->mtu = theirs < SI_ATT_MTU_CENTRAL ? theirs : SI_ATT_MTU_CENTRAL;
    d->mtu = d->mtu < 23 ? 23 : d->mtu;
    d->level = 1;
    (void)sd_event_add_io(d->s->ev, &d->io, d->fd, EPOLLIN, dev_io, d);
    d->temp_timer = sd_event_source_disable_unref(d->temp_timer);
    d->connected = 1;
    si_emit(d, "org.bluez.Device1", "Connected");
    if (d->has_ltk) {
        /* A paired device: BlueZ connects at security medium, i.e. encrypts with the LTK. */
        rc = dev_encrypt(d);
        if (rc == -EBADE) {
            si_log(d->s, "device %s: encryption with the stored key failed: key missing",
                   d->addr_str);
            (void)ble_pkt_send(d->fd, BLE_PKT_DISC, (const uint8_t[]){0x05}, 1);
            si_dev_disconnected(d, 0x05, false);
            *err_msg = "le-connection-key-missing";
            return -1;
        }
        if (rc < 0) {
            si_dev_disconnected(d, 0x13, false);
            return -1;
        }
    }
    if (si_gatt_export(d) < 0) {
        *err_msg = "le-connection-gatt-browsing";
        (void)ble_pkt_send(d->fd, BLE_PKT_DISC, (const uint8_t[]){0x13}, 1);
        si_dev_disconnected(d, 0x16, true);
        return -1;
    }
    d->resolved = 1;
    si_emit(d, "org.bluez.Device1", "ServicesResolved");
    si_log(d->s, "device %s (%s): connected, MTU %u, L%u", d->addr_str, d->name, d->mtu, d->level);
    return 0;
}

/* ---- pairing ----------------------------------------------------------------------------------
 */

static si_pair_res_t model_pair(si_dev_t *d, bool passkey_entry, uint32_t passkey)
{
    uint8_t req[6] = {passkey_entry ? BLE_PAIR_METHOD_PASSKEY : BLE_PAIR_METHOD_JUST_WORKS,
                      (uint8_t)(passkey >> 24),
                      (uint8_t)(passkey >> 16),
                      (uint8_t)(passkey >> 8),
                      (uint8_t)passkey,
                      1u /* BlueZ always asks for bonding */};
    uint8_t att = 0;
    int rc = ble_pkt_send(d->fd, BLE_PKT_PAIR_REQ, req, sizeof(req)) == DFU_OK
                 ? si_dev_await(d, BLE_PKT_PAIR_RSP, MODEL_STEP_MS, &att)
                 : -ENOTCONN;
    if (rc < 0) {
        return SI_PAIR_NOTCONN;
    }
    const uint8_t *p = d->pkt.payload;
    if (d->pkt.len != 19 || p[0] != 0) {
        si_log(d->s, "device %s: pairing failed (SMP reason 0x%02x)", d->addr_str,
               d->pkt.len ? p[0] : 0);
        return SI_PAIR_FAILED;
    }
    d->level = p[1];
    d->paired = 1;
    si_emit(d, "org.bluez.Device1", "Paired");
    if (p[2]) {
        memcpy(d->ltk, p + 3, 16);
        d->has_ltk = true;
        d->bonded = 1;
        si_emit(d, "org.bluez.Device1", "Bonded");
    }
    si_log(d->s, "device %s: paired (%s), L%u, %s", d->addr_str,
           passkey_entry ? "passkey entry" : "just works", d->level,
           p[2] ? "bonded" : "not bonded (the device keeps no bond)");
    return SI_PAIR_OK;
}

static void pair_finish(si_dev_t *d, si_pair_res_t res)
{
    d->agent_call = sd_bus_slot_unref(d->agent_call);
    if (d->op == SI_OP_PAIR) {
        static const char *const names[] = {
            NULL,
            "org.bluez.Error.AuthenticationFailed",
            "org.bluez.Error.AuthenticationRejected",
            "org.bluez.Error.AuthenticationCanceled",
            "org.bluez.Error.AuthenticationTimeout",
            "org.bluez.Error.ConnectionAttemptFailed",
        };
        static const char *const msgs[] = {
            NULL,
            "Authentication Failed",
            "Authentication Rejected",
            "Authentication Canceled",
            "Authentication Timeout",
            "Page Timeout",
        };
        if (res == SI_PAIR_OK) {
            (void)sd_bus_reply_method_return(d->op_msg, "");
            d->op_msg = sd_bus_message_unref(d->op_msg);
            d->op = SI_OP_NONE;
        } else {
            op_fail(d, names[res], msgs[res]);
        }
        return;
    }
    si_gatt_pair_done(d, res);
}

static int agent_reply(sd_bus_message *m, void *u, sd_bus_error *e)
{
    si_dev_t *d = u;
    const sd_bus_error *err = sd_bus_message_get_error(m);
    if (err != NULL) {
        si_log(d->s, "device %s: agent answered RequestPasskey with %s", d->addr_str, err->name);
        si_pair_res_t res = SI_PAIR_TIMEOUT;
        if (strcmp(err->name, "org.bluez.Error.Rejected") == 0) {
            res = SI_PAIR_REJECTED;
        } else if (strcmp(err->name, "org.bluez.Error.Canceled") == 0) {
            res = SI_PAIR_CANCELED;
        }
        pair_finish(d, res);
        return 0;
    }
    uint32_t key = 0;
    if (sd_bus_message_read(m, "u", &key) < 0 || key > 999999u) {
        pair_finish(d, SI_PAIR_FAILED);
        return 0;
    }
    pair_finish(d, d->fd >= 0 ? model_pair(d, true, key) : SI_PAIR_NOTCONN);
    return 0;
}

static bool cap_has_keyboard(const char *cap)
{
    return cap[0] == '\0' || strcmp(cap, "KeyboardOnly") == 0 ||
           strcmp(cap, "KeyboardDisplay") == 0;
}

void si_dev_pair_start(si_dev_t *d, const char *sender)
{
    const si_agent_t *a = si_agent_for(d->s, sender);
    if (a != NULL && cap_has_keyboard(a->cap) && d->can_display) {
        /* Passkey entry: the device displays, the user types it on our side. */
        snprintf(d->agent_owner, sizeof(d->agent_owner), "%s", a->owner);
        snprintf(d->agent_path, sizeof(d->agent_path), "%s", a->path);
        sd_bus_message *m = NULL;
        int r = sd_bus_message_new_method_call(d->s->bus, &m, a->owner, a->path, "org.bluez.Agent1",
                                               "RequestPasskey");
        r = r >= 0 ? sd_bus_message_append(m, "o", d->path) : r;
        r = r >= 0 ? sd_bus_call_async(d->s->bus, &d->agent_call, m, agent_reply, d, 30u * 1000000u)
                   : r;
        sd_bus_message_unref(m);
        si_log(d->s, "device %s: passkey entry: RequestPasskey(%s) to agent %s %s", d->addr_str,
               d->path, a->owner, a->path);
        if (r < 0) {
            pair_finish(d, SI_PAIR_TIMEOUT);
        }
        return;
    }
    /* No agent, or IO capabilities that cannot do passkey entry: Just Works. */
    pair_finish(d, model_pair(d, false, 0));
}

/* ---- methods ----------------------------------------------------------------------------------
 */

static int m_connect(sd_bus_message *m, void *u, sd_bus_error *e)
{
    si_dev_t *d = u;
    if (!d->s->powered) {
        return sd_bus_error_set(e, "org.bluez.Error.NotReady", "Resource Not Ready");
    }
    if (d->connected) {
        return sd_bus_error_set(e, "org.bluez.Error.AlreadyConnected", "Already Connected");
    }
    if (d->op != SI_OP_NONE) {
        return sd_bus_error_set(e, "org.bluez.Error.InProgress", "In Progress");
    }
    const char *name = NULL, *msg = NULL;
    if (si_dev_connect(d, &name, &msg) != 0) {
        return sd_bus_error_set(e, name, msg);
    }
    return sd_bus_reply_method_return(m, "");
}

static int m_disconnect(sd_bus_message *m, void *u, sd_bus_error *e)
{
    si_dev_t *d = u;
    if (!d->connected) {
        return sd_bus_error_set(e, "org.bluez.Error.NotConnected", "Not Connected");
    }
    (void)ble_pkt_send(d->fd, BLE_PKT_DISC, (const uint8_t[]){0x13}, 1);
    si_dev_disconnected(d, 0x16, true);
    return sd_bus_reply_method_return(m, "");
}

static int m_pair(sd_bus_message *m, void *u, sd_bus_error *e)
{
    si_dev_t *d = u;
    if (!d->s->powered) {
        return sd_bus_error_set(e, "org.bluez.Error.NotReady", "Resource Not Ready");
    }
    if (d->bonded) {
        return sd_bus_error_set(e, "org.bluez.Error.AlreadyExists", "Already Exists");
    }
    if (d->op != SI_OP_NONE) {
        return sd_bus_error_set(e, "org.bluez.Error.InProgress", "In Progress");
    }
    if (!d->connected) {
        const char *name = NULL, *msg = NULL;
        if (si_dev_connect(d, &name, &msg) != 0) {
            return sd_bus_error_set(e, "org.bluez.Error.ConnectionAttemptFailed", "Page Timeout");
        }
    }
    d->op = SI_OP_PAIR;
    d->op_msg = sd_bus_message_ref(m);
    si_dev_pair_start(d, sd_bus_message_get_sender(m));
    return 1;
}

static int m_cancel_pairing(sd_bus_message *m, void *u, sd_bus_error *e)
{
    si_dev_t *d = u;
    if (d->op != SI_OP_PAIR) {
        return sd_bus_error_set(e, "org.bluez.Error.DoesNotExist", "Does Not Exist");
    }
    if (d->agent_call != NULL && d->agent_owner[0]) {
        (void)sd_bus_call_method_async(d->s->bus, NULL, d->agent_owner, d->agent_path,
                                       "org.bluez.Agent1", "Cancel", NULL, NULL, "");
    }
    op_fail(d, "org.bluez.Error.AuthenticationCanceled", "Authentication Canceled");
    return sd_bus_reply_method_return(m, "");
}

static int m_profile(sd_bus_message *m, void *u, sd_bus_error *e)
{
    return sd_bus_error_set(e, "org.bluez.Error.NotAvailable", "Operation currently not available");
}

static const sd_bus_vtable device_vtable[] = {
    SD_BUS_VTABLE_START(0),
    SD_BUS_METHOD("Connect", "", "", m_connect, SD_BUS_VTABLE_UNPRIVILEGED),
    SD_BUS_METHOD("Disconnect", "", "", m_disconnect, SD_BUS_VTABLE_UNPRIVILEGED),
    SD_BUS_METHOD("ConnectProfile", "s", "", m_profile, SD_BUS_VTABLE_UNPRIVILEGED),
    SD_BUS_METHOD("DisconnectProfile", "s", "", m_profile, SD_BUS_VTABLE_UNPRIVILEGED),
    SD_BUS_METHOD("Pair", "", "", m_pair, SD_BUS_VTABLE_UNPRIVILEGED),
    SD_BUS_METHOD("CancelPairing", "", "", m_cancel_pairing, SD_BUS_VTABLE_UNPRIVILEGED),
    SD_BUS_SIGNAL("Disconnected", "ss", 0),
    SD_BUS_PROPERTY("Address", "s", p_address, 0, SD_BUS_VTABLE_PROPERTY_CONST),
    SD_BUS_PROPERTY("AddressType", "s", p_addrtype, 0, SD_BUS_VTABLE_PROPERTY_CONST),
    SD_BUS_PROPERTY("Name", "s", p_name, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
    SD_BUS_WRITABLE_PROPERTY("Alias", "s", p_alias, set_alias, 0,
                             SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
    SD_BUS_PROPERTY("Paired", "b", NULL, offsetof(si_dev_t, paired),
                    SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
    SD_BUS_PROPERTY("Bonded", "b", NULL, offsetof(si_dev_t, bonded),
                    SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
    SD_BUS_WRITABLE_PROPERTY("Trusted", "b", NULL, set_bool, offsetof(si_dev_t, trusted),
                             SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
    SD_BUS_WRITABLE_PROPERTY("Blocked", "b", NULL, set_bool, offsetof(si_dev_t, blocked),
                             SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
    SD_BUS_PROPERTY("LegacyPairing", "b", NULL, offsetof(si_dev_t, legacy),
                    SD_BUS_VTABLE_PROPERTY_CONST),
    SD_BUS_PROPERTY("Connected", "b", NULL, offsetof(si_dev_t, connected),
                    SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
    SD_BUS_PROPERTY("RSSI", "n", NULL, offsetof(si_dev_t, rssi),
                    SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
    SD_BUS_PROPERTY("UUIDs", "as", p_uuids, 0, SD_BUS_VTABLE_PROPERTY_CONST),
    SD_BUS_PROPERTY("Adapter", "o", p_adapter, 0, SD_BUS_VTABLE_PROPERTY_CONST),
    SD_BUS_PROPERTY("ServicesResolved", "b", NULL, offsetof(si_dev_t, resolved),
                    SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
    SD_BUS_PROPERTY("AdvertisingFlags", "ay", p_advflags, 0, SD_BUS_VTABLE_PROPERTY_CONST),
    SD_BUS_VTABLE_END,
};

int si_dev_export(si_dev_t *d)
{
    if (d->exported) {
        return 0;
    }
    int r = sd_bus_add_object_vtable(d->s->bus, &d->dev_slot, d->path, "org.bluez.Device1",
                                     device_vtable, d);
    if (r < 0) {
        return r;
    }
    d->exported = true;
    (void)sd_bus_emit_interfaces_added(d->s->bus, d->path, "org.bluez.Device1", NULL);
    si_log(d->s, "device %s (%s): found", d->addr_str, d->name);
    return 0;
}

void si_dev_unexport(si_dev_t *d)
{
    if (!d->exported) {
        return;
    }
    if (d->connected || d->fd >= 0) {
        (void)ble_pkt_send(d->fd, BLE_PKT_DISC, (const uint8_t[]){0x13}, 1);
        si_dev_disconnected(d, 0x16, true);
    }
    if (d->op != SI_OP_NONE) {
        op_fail(d, E_FAILED, "Device removed");
    }
    si_gatt_unexport(d);
    (void)sd_bus_emit_interfaces_removed(d->s->bus, d->path, "org.bluez.Device1", NULL);
    d->dev_slot = sd_bus_slot_unref(d->dev_slot);
    d->temp_timer = sd_event_source_disable_unref(d->temp_timer);
    d->exported = false;
    d->paired = d->bonded = d->trusted = d->blocked = 0;
    d->has_ltk = false;
    d->alias[0] = '\0';
    memset(d->ltk, 0, sizeof(d->ltk));
}
