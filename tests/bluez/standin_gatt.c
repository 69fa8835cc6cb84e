/*
 * BlueZ stand-in: the remote SMP service as org.bluez.GattService1 / GattCharacteristic1 /
 * GattDescriptor1 objects, AcquireWrite / AcquireNotify sockets, WriteValue and StartNotify, and
 * the forwarding of values to and from the BLE model.
 */
#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "dfukit/dfu_err.h"
#include "standin.h"

#define CHR_IFACE "org.bluez.GattCharacteristic1"
#define STEP_MS 2000

static void chr_emit(si_dev_t *d, const char *prop)
{
    (void)sd_bus_emit_properties_changed(d->s->bus, d->chr_path, CHR_IFACE, prop, NULL);
}

static int notifying(const si_dev_t *d)
{
    return d->subscribed && (d->nfd >= 0 || d->n_notify > 0);
}

/* BlueZ's mapping of an ATT error to a D-Bus error (src/gatt-client.c). */
static int att_error(sd_bus_error *e, uint8_t att)
{
    switch (att) {
    case 0x02:
        return sd_bus_error_set(e, "org.bluez.Error.NotPermitted", "Read not permitted");
    case 0x03:
        return sd_bus_error_set(e, "org.bluez.Error.NotPermitted", "Write not permitted");
    case 0x05:
    case 0x0F:
    case 0x0C:
        return sd_bus_error_set(e, "org.bluez.Error.NotPermitted", "Not paired");
    case 0x08:
        return sd_bus_error_set(e, "org.bluez.Error.NotAuthorized", "Operation Not Authorized");
    default:
        return sd_bus_error_setf(e, "org.bluez.Error.Failed",
                                 "Operation failed with ATT error: 0x%02x", att);
    }
}

/* CCCD write on the model. 0, -EACCES (*att), -ENOTCONN, -ETIMEDOUT. */
static int cccd_write(si_dev_t *d, bool on, uint8_t *att)
{
    uint8_t v[2] = {0x00, on ? 0x01 : 0x00};
    if (ble_pkt_send(d->fd, BLE_PKT_SUBSCRIBE, v, 2) != DFU_OK) {
        return -ENOTCONN;
    }
    int rc = si_dev_await(d, BLE_PKT_WRITE_RSP, STEP_MS, att);
    if (rc == 0) {
        d->subscribed = on;
    }
    return rc;
}

static void notify_off_if_unused(si_dev_t *d)
{
    if (d->subscribed && d->nfd < 0 && d->n_notify == 0 && d->fd >= 0) {
        static const uint8_t off[2] = {0, 0};
        (void)ble_pkt_send(d->fd, BLE_PKT_SUBSCRIBE, off, 2); /* WRITE_RSP ignored when it comes */
        d->subscribed = false;
    }
    chr_emit(d, "Notifying");
}

/* ---- acquired sockets ------------------------------------------------------------------------ */

static void release_write(si_dev_t *d)
{
    d->wio = sd_event_source_disable_unref(d->wio);
    if (d->wfd >= 0) {
        close(d->wfd);
        d->wfd = -1;
        if (d->chr_slot != NULL) {
            chr_emit(d, "WriteAcquired");
        }
    }
}

static void release_notify(si_dev_t *d)
{
    d->nio = sd_event_source_disable_unref(d->nio);
    if (d->nfd >= 0) {
        close(d->nfd);
        d->nfd = -1;
        if (d->chr_slot != NULL) {
            chr_emit(d, "NotifyAcquired");
            notify_off_if_unused(d);
        }
    }
}

/* Values the client writes to its AcquireWrite socket: one ATT Write Command each. */
static int write_io(sd_event_source *src, int fd, uint32_t revents, void *u)
{
    si_dev_t *d = u;
    for (;;) {
        uint8_t buf[BLE_PKT_MAX_PAYLOAD + 1];
        ssize_t n = recv(d->wfd, buf, sizeof(buf), 0);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            return 0;
        }
        if (n <= 0) {
            release_write(d); /* the client closed its end: lock released */
            return 0;
        }
        if ((size_t)n > (size_t)d->mtu - 3u || d->fd < 0) {
            d->s->writes_dropped++;
            si_log(d->s, "device %s: %zd-byte write dropped (%s)", d->addr_str, n,
                   d->fd < 0 ? "not connected" : "longer than MTU - 3");
            continue;
        }
        if (ble_pkt_send(d->fd, BLE_PKT_WRITE, buf, (size_t)n) != DFU_OK) {
            si_dev_disconnected(d, 0x13, false);
            return 0;
        }
        d->s->writes_forwarded++;
    }
}

static int notify_io(sd_event_source *src, int fd, uint32_t revents, void *u)
{
    si_dev_t *d = u;
    uint8_t b;
    ssize_t n = recv(d->nfd, &b, 1, MSG_DONTWAIT);
    if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR) || (revents & EPOLLHUP)) {
        release_notify(d); /* the client closed its end */
    }
    return 0;
}

void si_gatt_notify(si_dev_t *d, const uint8_t *v, size_t n)
{
    d->s->notifications++;
    if (d->nfd >= 0) {
        if (send(d->nfd, v, n, MSG_DONTWAIT | MSG_NOSIGNAL) != (ssize_t)n) {
            si_log(d->s, "device %s: notification dropped (client socket: %s)", d->addr_str,
                   strerror(errno));
        }
        return;
    }
    if (d->n_notify > 0) {
        memcpy(d->value, v, n);
        d->value_len = n;
        chr_emit(d, "Value");
    }
}

void si_gatt_release_all(si_dev_t *d)
{
    release_write(d);
    release_notify(d);
    if (d->n_notify > 0) {
        d->n_notify = 0;
        if (d->chr_slot != NULL) {
            chr_emit(d, "Notifying");
        }
    }
    d->subscribed = false;
}

void si_gatt_owner_gone(si_dev_t *d, const char *owner)
{
    for (int i = 0; i < d->n_notify; i++) {
        if (strcmp(d->notify_owner[i], owner) == 0) {
            memmove(d->notify_owner[i], d->notify_owner[i + 1],
                    (size_t)(d->n_notify - i - 1) * SI_OWNER_MAX);
            d->n_notify--;
            notify_off_if_unused(d);
            return;
        }
    }
}

/* Replies (fd, mtu) with a new SOCK_SEQPACKET pair; keeps our end in *ours. */
static int reply_socket(si_dev_t *d, sd_bus_message *m, int *ours, sd_event_source **io,
                        sd_event_io_handler_t h, const char *prop)
{
    int sv[2];
    if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, sv) != 0) {
        return sd_bus_reply_method_errorf(m, "org.bluez.Error.Failed", "%s", strerror(errno));
    }
    int r = sd_bus_reply_method_return(m, "hq", sv[1], d->mtu); /* sd-bus sends a dup */
    close(sv[1]);
    if (r < 0) {
        close(sv[0]);
        return r;
    }
    *ours = sv[0];
    (void)sd_event_add_io(d->s->ev, io, sv[0], EPOLLIN, h, d);
    chr_emit(d, prop);
    return 1;
}

static void add_session(si_dev_t *d, const char *owner)
{
    for (int i = 0; i < d->n_notify; i++) {
        if (strcmp(d->notify_owner[i], owner) == 0) {
            return;
        }
    }
    if (d->n_notify < SI_MAX_NOTIFY) {
        snprintf(d->notify_owner[d->n_notify++], SI_OWNER_MAX, "%s", owner);
    }
}

/* Notifications are on: finish the pending AcquireNotify / StartNotify. */
static int notify_ready(si_dev_t *d, sd_bus_message *m, bool acquire)
{
    if (acquire) {
        int r = reply_socket(d, m, &d->nfd, &d->nio, notify_io, "NotifyAcquired");
        chr_emit(d, "Notifying");
        return r;
    }
    add_session(d, sd_bus_message_get_sender(m));
    chr_emit(d, "Notifying");
    return sd_bus_reply_method_return(m, "");
}

/* Enables notifications; a refusal for security is answered as BlueZ's ATT layer does: raise
 * the security (encrypt with the bond, else pair through the agent) and retry once. */
static int start_notify(si_dev_t *d, sd_bus_message *m, sd_bus_error *e, bool acquire)
{
    if (d->subscribed) {
        return notify_ready(d, m, acquire);
    }
    uint8_t att = 0;
    int rc = cccd_write(d, true, &att);
    if (rc == -EACCES && (att == 0x05 || att == 0x0F)) {
        si_log(d->s, "device %s: CCCD write refused with ATT 0x%02x on L%u: pairing", d->addr_str,
               att, d->level);
        d->op = acquire ? SI_OP_ACQ_NOTIFY : SI_OP_START_NOTIFY;
        d->op_msg = sd_bus_message_ref(m);
        si_dev_pair_start(d, NULL); /* stack-triggered: BlueZ asks the default agent */
        return 1;
    }
    if (rc == -EACCES) {
        return att_error(e, att);
    }
    if (rc < 0) {
        return sd_bus_error_set(e, "org.bluez.Error.Failed", "Not connected");
    }
    return notify_ready(d, m, acquire);
}

void si_gatt_pair_done(si_dev_t *d, si_pair_res_t res)
{
    sd_bus_message *m = d->op_msg;
    bool acquire = d->op == SI_OP_ACQ_NOTIFY;
    d->op_msg = NULL;
    d->op = SI_OP_NONE;
    if (m == NULL) {
        return;
    }
    uint8_t att = 0x05;
    int rc = res == SI_PAIR_OK ? cccd_write(d, true, &att) : -EACCES;
    if (rc == 0) {
        (void)notify_ready(d, m, acquire);
    } else {
        sd_bus_error e = SD_BUS_ERROR_NULL;
        if (rc == -EACCES) {
            (void)att_error(&e, att);
        } else {
            (void)sd_bus_error_set(&e, "org.bluez.Error.Failed", "Not connected");
        }
        (void)sd_bus_reply_method_error(m, &e);
        sd_bus_error_free(&e);
    }
    sd_bus_message_unref(m);
}

/* ---- characteristic methods --------------------------------------------------------------- */

static int check_conn(si_dev_t *d, sd_bus_error *e)
{
    if (!d->connected || d->fd < 0) {
        return sd_bus_error_set(e, "org.bluez.Error.Failed", "Not connected");
    }
    if (d->op != SI_OP_NONE) {
        return sd_bus_error_set(e, "org.bluez.Error.InProgress", "In Progress");
    }
    return 0;
}

/* Skips an a{sv} options argument, returning the "type" (string) and "offset" (q) entries. */
static int read_options(sd_bus_message *m, char *type, size_t cap, uint16_t *offset)
{
    int r = sd_bus_message_enter_container(m, 'a', "{sv}");
    if (r < 0) {
        return r;
    }
    while ((r = sd_bus_message_enter_container(m, 'e', "sv")) > 0) {
        const char *k = NULL;
        if ((r = sd_bus_message_read(m, "s", &k)) < 0) {
            return r;
        }
        if (strcmp(k, "type") == 0) {
            const char *v = NULL;
            if ((r = sd_bus_message_read(m, "v", "s", &v)) < 0) {
                return r;
            }
            snprintf(type, cap, "%s", v);
        } else if (strcmp(k, "offset") == 0) {
            if ((r = sd_bus_message_read(m, "v", "q", offset)) < 0) {
                return r;
            }
        } else if ((r = sd_bus_message_skip(m, "v")) < 0) {
            return r;
        }
        if ((r = sd_bus_message_exit_container(m)) < 0) {
            return r;
        }
    }
    return r < 0 ? r : sd_bus_message_exit_container(m);
}

static int m_write_value(sd_bus_message *m, void *u, sd_bus_error *e)
{
    si_dev_t *d = u;
    const void *v = NULL;
    size_t n = 0;
    char type[16] = "";
    uint16_t offset = 0;
    int r = sd_bus_message_read_array(m, 'y', &v, &n);
    if (r < 0 || read_options(m, type, sizeof(type), &offset) < 0) {
        return sd_bus_error_set(e, "org.bluez.Error.InvalidArguments",
                                "Invalid arguments in method call");
    }
    if ((r = check_conn(d, e)) < 0) {
        return r;
    }
    if (d->wfd >= 0) {
        return sd_bus_error_set(e, "org.bluez.Error.NotPermitted", "Write acquired");
    }
    if ((type[0] && strcmp(type, "command") != 0) || offset != 0) {
        /* the SMP characteristic has write-without-response only (no write, no reliable-write) */
        return sd_bus_error_set(e, "org.bluez.Error.NotSupported", "Operation is not supported");
    }
    if (n > (size_t)d->mtu - 3u) {
        return sd_bus_error_set(e, "org.bluez.Error.Failed", "Failed to initiate write");
    }
    if (ble_pkt_send(d->fd, BLE_PKT_WRITE, v, n) != DFU_OK) {
        si_dev_disconnected(d, 0x13, false);
        return sd_bus_error_set(e, "org.bluez.Error.Failed", "Not connected");
    }
    d->s->writes_forwarded++;
    return sd_bus_reply_method_return(m, "");
}

static int m_read_value(sd_bus_message *m, void *u, sd_bus_error *e)
{
    si_dev_t *d = u;
    int r = check_conn(d, e);
    /* the SMP characteristic has no read permission: the device answers Read Not Permitted */
    return r < 0 ? r : att_error(e, 0x02);
}

static int m_acquire_write(sd_bus_message *m, void *u, sd_bus_error *e)
{
    si_dev_t *d = u;
    int r = check_conn(d, e);
    if (r < 0) {
        return r;
    }
    if (d->wfd >= 0) {
        return sd_bus_error_set(e, "org.bluez.Error.NotPermitted", "Write acquired");
    }
    return reply_socket(d, m, &d->wfd, &d->wio, write_io, "WriteAcquired");
}

static int m_acquire_notify(sd_bus_message *m, void *u, sd_bus_error *e)
{
    si_dev_t *d = u;
    int r = check_conn(d, e);
    if (r < 0) {
        return r;
    }
    if (d->nfd >= 0 || d->n_notify > 0) {
        return sd_bus_error_set(e, "org.bluez.Error.NotPermitted", "Notify acquired");
    }
    return start_notify(d, m, e, true);
}

static int m_start_notify(sd_bus_message *m, void *u, sd_bus_error *e)
{
    si_dev_t *d = u;
    int r = check_conn(d, e);
    if (r < 0) {
        return r;
    }
    if (d->nfd >= 0) {
        return sd_bus_error_set(e, "org.bluez.Error.NotPermitted", "Notify acquired");
    }
    return start_notify(d, m, e, false);
}

static int m_stop_notify(sd_bus_message *m, void *u, sd_bus_error *e)
{
    si_dev_t *d = u;
    const char *sender = sd_bus_message_get_sender(m);
    int before = d->n_notify;
    si_gatt_owner_gone(d, sender);
    if (d->n_notify == before) {
        return sd_bus_error_set(e, "org.bluez.Error.Failed", "No notify session started");
    }
    return sd_bus_reply_method_return(m, "");
}

/* ---- properties ---------------------------------------------------------------------------- */

static int p_chr_uuid(sd_bus *b, const char *p, const char *i, const char *n, sd_bus_message *r,
                      void *u, sd_bus_error *e)
{
    return sd_bus_message_append(r, "s", SI_SMP_CHR_UUID);
}

static int p_chr_service(sd_bus *b, const char *p, const char *i, const char *n, sd_bus_message *r,
                         void *u, sd_bus_error *e)
{
    return sd_bus_message_append(r, "o", ((si_dev_t *)u)->svc_path);
}

static int p_chr_value(sd_bus *b, const char *p, const char *i, const char *n, sd_bus_message *r,
                       void *u, sd_bus_error *e)
{
    si_dev_t *d = u;
    return sd_bus_message_append_array(r, 'y', d->value, d->value_len);
}

static int p_chr_notifying(sd_bus *b, const char *p, const char *i, const char *n,
                           sd_bus_message *r, void *u, sd_bus_error *e)
{
    return sd_bus_message_append(r, "b", notifying(u));
}

static int p_chr_flags(sd_bus *b, const char *p, const char *i, const char *n, sd_bus_message *r,
                       void *u, sd_bus_error *e)
{
    return sd_bus_message_append(r, "as", 2, "write-without-response", "notify");
}

static int p_chr_acquired(sd_bus *b, const char *p, const char *i, const char *n, sd_bus_message *r,
                          void *u, sd_bus_error *e)
{
    si_dev_t *d = u;
    return sd_bus_message_append(r, "b", n[0] == 'W' ? d->wfd >= 0 : d->nfd >= 0);
}

static int p_chr_handle(sd_bus *b, const char *p, const char *i, const char *n, sd_bus_message *r,
                        void *u, sd_bus_error *e)
{
    return sd_bus_message_append(r, "q", (uint16_t)SI_CHR_HANDLE);
}

static int p_chr_mtu(sd_bus *b, const char *p, const char *i, const char *n, sd_bus_message *r,
                     void *u, sd_bus_error *e)
{
    return sd_bus_message_append(r, "q", ((si_dev_t *)u)->mtu);
}

#define CHR_COMMON                                                                                 \
    SD_BUS_METHOD("ReadValue", "a{sv}", "ay", m_read_value, SD_BUS_VTABLE_UNPRIVILEGED),           \
        SD_BUS_METHOD("WriteValue", "aya{sv}", "", m_write_value, SD_BUS_VTABLE_UNPRIVILEGED),     \
        SD_BUS_METHOD("StartNotify", "", "", m_start_notify, SD_BUS_VTABLE_UNPRIVILEGED),          \
        SD_BUS_METHOD("StopNotify", "", "", m_stop_notify, SD_BUS_VTABLE_UNPRIVILEGED),            \
        SD_BUS_PROPERTY("UUID", "s", p_chr_uuid, 0, SD_BUS_VTABLE_PROPERTY_CONST),                 \
        SD_BUS_PROPERTY("Service", "o", p_chr_service, 0, SD_BUS_VTABLE_PROPERTY_CONST),           \
        SD_BUS_PROPERTY("Value", "ay", p_chr_value, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),       \
        SD_BUS_PROPERTY("Notifying", "b", p_chr_notifying, 0,                                      \
                        SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),                                      \
        SD_BUS_PROPERTY("Flags", "as", p_chr_flags, 0, SD_BUS_VTABLE_PROPERTY_CONST),              \
        SD_BUS_PROPERTY("Handle", "q", p_chr_handle, 0, SD_BUS_VTABLE_PROPERTY_CONST),             \
        SD_BUS_PROPERTY("MTU", "q", p_chr_mtu, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE)

/* BlueZ >= 5.46: AcquireWrite / AcquireNotify with the WriteAcquired / NotifyAcquired flags. */
static const sd_bus_vtable chr_vtable[] = {
    SD_BUS_VTABLE_START(0),
    CHR_COMMON,
    SD_BUS_METHOD("AcquireWrite", "a{sv}", "hq", m_acquire_write, SD_BUS_VTABLE_UNPRIVILEGED),
    SD_BUS_METHOD("AcquireNotify", "a{sv}", "hq", m_acquire_notify, SD_BUS_VTABLE_UNPRIVILEGED),
    SD_BUS_PROPERTY("WriteAcquired", "b", p_chr_acquired, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
    SD_BUS_PROPERTY("NotifyAcquired", "b", p_chr_acquired, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
    SD_BUS_VTABLE_END,
};

/* --no-acquire: a BlueZ without the Acquire methods (clients fall back to WriteValue and
 * StartNotify + PropertiesChanged). */
static const sd_bus_vtable chr_vtable_plain[] = {
    SD_BUS_VTABLE_START(0),
    CHR_COMMON,
    SD_BUS_VTABLE_END,
};

/* ---- service and descriptor ----------------------------------------------------------------- */

static int p_svc_uuid(sd_bus *b, const char *p, const char *i, const char *n, sd_bus_message *r,
                      void *u, sd_bus_error *e)
{
    return sd_bus_message_append(r, "s", SI_SMP_SVC_UUID);
}

static int p_svc_device(sd_bus *b, const char *p, const char *i, const char *n, sd_bus_message *r,
                        void *u, sd_bus_error *e)
{
    return sd_bus_message_append(r, "o", ((si_dev_t *)u)->path);
}

static int p_true(sd_bus *b, const char *p, const char *i, const char *n, sd_bus_message *r,
                  void *u, sd_bus_error *e)
{
    return sd_bus_message_append(r, "b", 1);
}

static int p_no_objects(sd_bus *b, const char *p, const char *i, const char *n, sd_bus_message *r,
                        void *u, sd_bus_error *e)
{
    return sd_bus_message_append(r, "ao", 0);
}

static int p_svc_handle(sd_bus *b, const char *p, const char *i, const char *n, sd_bus_message *r,
                        void *u, sd_bus_error *e)
{
    return sd_bus_message_append(r, "q", (uint16_t)SI_SVC_HANDLE);
}

static const sd_bus_vtable svc_vtable[] = {
    SD_BUS_VTABLE_START(0),
    SD_BUS_PROPERTY("UUID", "s", p_svc_uuid, 0, SD_BUS_VTABLE_PROPERTY_CONST),
    SD_BUS_PROPERTY("Primary", "b", p_true, 0, SD_BUS_VTABLE_PROPERTY_CONST),
    SD_BUS_PROPERTY("Device", "o", p_svc_device, 0, SD_BUS_VTABLE_PROPERTY_CONST),
    SD_BUS_PROPERTY("Includes", "ao", p_no_objects, 0, SD_BUS_VTABLE_PROPERTY_CONST),
    SD_BUS_PROPERTY("Handle", "q", p_svc_handle, 0, SD_BUS_VTABLE_PROPERTY_CONST),
    SD_BUS_VTABLE_END,
};

static int p_desc_uuid(sd_bus *b, const char *p, const char *i, const char *n, sd_bus_message *r,
                       void *u, sd_bus_error *e)
{
    return sd_bus_message_append(r, "s", SI_CCCD_UUID);
}

static int p_desc_chr(sd_bus *b, const char *p, const char *i, const char *n, sd_bus_message *r,
                      void *u, sd_bus_error *e)
{
    return sd_bus_message_append(r, "o", ((si_dev_t *)u)->chr_path);
}

static int cccd_value(sd_bus_message *r, const si_dev_t *d)
{
    const uint8_t v[2] = {d->subscribed ? 0x01 : 0x00, 0x00};
    return sd_bus_message_append_array(r, 'y', v, 2);
}

static int p_desc_value(sd_bus *b, const char *p, const char *i, const char *n, sd_bus_message *r,
                        void *u, sd_bus_error *e)
{
    return cccd_value(r, u);
}

static int p_desc_handle(sd_bus *b, const char *p, const char *i, const char *n, sd_bus_message *r,
                         void *u, sd_bus_error *e)
{
    return sd_bus_message_append(r, "q", (uint16_t)SI_DESC_HANDLE);
}

static int m_desc_read(sd_bus_message *m, void *u, sd_bus_error *e)
{
    si_dev_t *d = u;
    int r = check_conn(d, e);
    if (r < 0) {
        return r;
    }
    sd_bus_message *reply = NULL;
    r = sd_bus_message_new_method_return(m, &reply);
    r = r >= 0 ? cccd_value(reply, d) : r;
    r = r >= 0 ? sd_bus_send(NULL, reply, NULL) : r;
    sd_bus_message_unref(reply);
    return r;
}

static int m_desc_write(sd_bus_message *m, void *u, sd_bus_error *e)
{
    /* BlueZ: the CCCD is written through StartNotify / AcquireNotify only */
    return sd_bus_error_set(e, "org.bluez.Error.NotPermitted", "Write not permitted");
}

static const sd_bus_vtable desc_vtable[] = {
    SD_BUS_VTABLE_START(0),
    SD_BUS_METHOD("ReadValue", "a{sv}", "ay", m_desc_read, SD_BUS_VTABLE_UNPRIVILEGED),
    SD_BUS_METHOD("WriteValue", "aya{sv}", "", m_desc_write, SD_BUS_VTABLE_UNPRIVILEGED),
    SD_BUS_PROPERTY("UUID", "s", p_desc_uuid, 0, SD_BUS_VTABLE_PROPERTY_CONST),
    SD_BUS_PROPERTY("Characteristic", "o", p_desc_chr, 0, SD_BUS_VTABLE_PROPERTY_CONST),
    SD_BUS_PROPERTY("Value", "ay", p_desc_value, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
    SD_BUS_PROPERTY("Handle", "q", p_desc_handle, 0, SD_BUS_VTABLE_PROPERTY_CONST),
    SD_BUS_VTABLE_END,
};

int si_gatt_export(si_dev_t *d)
{
    if (d->gatt_exported) {
        chr_emit(d, "MTU");
        return 0;
    }
    sd_bus *bus = d->s->bus;
    int r = sd_bus_add_object_vtable(bus, &d->svc_slot, d->svc_path, "org.bluez.GattService1",
                                     svc_vtable, d);
    r = r >= 0 ? sd_bus_add_object_vtable(bus, &d->chr_slot, d->chr_path, CHR_IFACE,
                                          d->s->no_acquire ? chr_vtable_plain : chr_vtable, d)
               : r;
    r = r >= 0 ? sd_bus_add_object_vtable(bus, &d->desc_slot, d->desc_path,
                                          "org.bluez.GattDescriptor1", desc_vtable, d)
               : r;
    if (r < 0) {
        d->desc_slot = sd_bus_slot_unref(d->desc_slot);
        d->chr_slot = sd_bus_slot_unref(d->chr_slot);
        d->svc_slot = sd_bus_slot_unref(d->svc_slot);
        return r;
    }
    d->gatt_exported = true;
    (void)sd_bus_emit_interfaces_added(bus, d->svc_path, "org.bluez.GattService1", NULL);
    (void)sd_bus_emit_interfaces_added(bus, d->chr_path, CHR_IFACE, NULL);
    (void)sd_bus_emit_interfaces_added(bus, d->desc_path, "org.bluez.GattDescriptor1", NULL);
    return 0;
}

void si_gatt_unexport(si_dev_t *d)
{
    si_gatt_release_all(d);
    if (!d->gatt_exported) {
        return;
    }
    sd_bus *bus = d->s->bus;
    (void)sd_bus_emit_interfaces_removed(bus, d->desc_path, "org.bluez.GattDescriptor1", NULL);
    (void)sd_bus_emit_interfaces_removed(bus, d->chr_path, CHR_IFACE, NULL);
    (void)sd_bus_emit_interfaces_removed(bus, d->svc_path, "org.bluez.GattService1", NULL);
    d->desc_slot = sd_bus_slot_unref(d->desc_slot);
    d->chr_slot = sd_bus_slot_unref(d->chr_slot);
    d->svc_slot = sd_bus_slot_unref(d->svc_slot);
    d->gatt_exported = false;
}
