/*
 * BlueZ stand-in: org.bluez.Adapter1 (discovery with per-client filters, RemoveDevice) and
 * org.bluez.AgentManager1 (agents per client, default agent).
 */
#include <string.h>
#include <strings.h>

#include "standin.h"

#define E_INVAL "org.bluez.Error.InvalidArguments"
#define M_INVAL "Invalid arguments in method call"
#define PROBE_US 200000u

int si_dev_probe(si_dev_t *d);

/* ---- agents -----------------------------------------------------------------------------------
 */

const si_agent_t *si_agent_for(si_t *s, const char *sender)
{
    for (int i = 0; sender != NULL && i < SI_MAX_AGENTS; i++) {
        if (s->agents[i].used && strcmp(s->agents[i].owner, sender) == 0) {
            return &s->agents[i];
        }
    }
    return s->default_agent >= 0 ? &s->agents[s->default_agent] : NULL;
}

static int find_agent(si_t *s, const char *owner, const char *path)
{
    for (int i = 0; i < SI_MAX_AGENTS; i++) {
        if (s->agents[i].used && strcmp(s->agents[i].owner, owner) == 0 &&
            (path == NULL || strcmp(s->agents[i].path, path) == 0)) {
            return i;
        }
    }
    return -1;
}

static void drop_agent(si_t *s, int i)
{
    s->agents[i].used = false;
    if (s->default_agent == i) {
        s->default_agent = -1;
    }
}

static int m_register_agent(sd_bus_message *m, void *u, sd_bus_error *e)
{
    si_t *s = u;
    const char *path = NULL, *cap = NULL;
    static const char *const caps[] = {
        "", "DisplayOnly", "DisplayYesNo", "KeyboardOnly", "NoInputNoOutput", "KeyboardDisplay"};
    if (sd_bus_message_read(m, "os", &path, &cap) < 0) {
        return sd_bus_error_set(e, E_INVAL, M_INVAL);
    }
    bool ok = false;
    for (size_t i = 0; i < sizeof(caps) / sizeof(caps[0]); i++) {
        ok = ok || strcmp(cap, caps[i]) == 0;
    }
    if (!ok) {
        return sd_bus_error_set(e, E_INVAL, M_INVAL);
    }
    const char *owner = sd_bus_message_get_sender(m);
    if (find_agent(s, owner, NULL) >= 0) {
        return sd_bus_error_set(e, "org.bluez.Error.AlreadyExists", "Already Exists");
    }
    for (int i = 0; i < SI_MAX_AGENTS; i++) {
        if (!s->agents[i].used) {
            s->agents[i].used = true;
            snprintf(s->agents[i].owner, sizeof(s->agents[i].owner), "%s", owner);
            snprintf(s->agents[i].path, sizeof(s->agents[i].path), "%s", path);
            snprintf(s->agents[i].cap, sizeof(s->agents[i].cap), "%s", cap);
            si_log(s, "agent registered: %s %s capability '%s'", owner, path, cap);
            return sd_bus_reply_method_return(m, "");
        }
    }
    return sd_bus_error_set(e, "org.bluez.Error.Failed", "Too many agents");
}

/* The caller's agent named by the object-path argument: index, or < 0 with e set. */
static int callers_agent(si_t *s, sd_bus_message *m, sd_bus_error *e)
{
    const char *path = NULL;
    if (sd_bus_message_read(m, "o", &path) < 0) {
        return sd_bus_error_set(e, E_INVAL, M_INVAL);
    }
    int i = find_agent(s, sd_bus_message_get_sender(m), path);
    return i >= 0 ? i : sd_bus_error_set(e, "org.bluez.Error.DoesNotExist", "Does Not Exist");
}

static int m_unregister_agent(sd_bus_message *m, void *u, sd_bus_error *e)
{
    si_t *s = u;
    int i = callers_agent(s, m, e);
    if (i < 0) {
        return i;
    }
    drop_agent(s, i);
    return sd_bus_reply_method_return(m, "");
}

static int m_default_agent(sd_bus_message *m, void *u, sd_bus_error *e)
{
    si_t *s = u;
    int i = callers_agent(s, m, e);
    if (i < 0) {
        return i;
    }
    s->default_agent = i;
    return sd_bus_reply_method_return(m, "");
}

static const sd_bus_vtable agent_manager_vtable[] = {
    SD_BUS_VTABLE_START(0),
    SD_BUS_METHOD("RegisterAgent", "os", "", m_register_agent, SD_BUS_VTABLE_UNPRIVILEGED),
    SD_BUS_METHOD("UnregisterAgent", "o", "", m_unregister_agent, SD_BUS_VTABLE_UNPRIVILEGED),
    SD_BUS_METHOD("RequestDefaultAgent", "o", "", m_default_agent, SD_BUS_VTABLE_UNPRIVILEGED),
    SD_BUS_VTABLE_END,
};

/* ---- discovery --------------------------------------------------------------------------------
 */

static si_session_t *session(si_t *s, const char *owner, bool create)
{
    si_session_t *free_slot = NULL;
    for (int i = 0; i < SI_MAX_SESS; i++) {
        if (s->sess[i].used && strcmp(s->sess[i].owner, owner) == 0) {
            return &s->sess[i];
        }
        if (!s->sess[i].used && free_slot == NULL) {
            free_slot = &s->sess[i];
        }
    }
    if (!create || free_slot == NULL) {
        return NULL;
    }
    memset(free_slot, 0, sizeof(*free_slot));
    free_slot->used = true;
    snprintf(free_slot->owner, sizeof(free_slot->owner), "%s", owner);
    return free_slot;
}

static bool filter_match(const si_filter_t *f, const si_dev_t *d)
{
    if (!f->set) {
        return true;
    }
    if (f->bredr_only || (f->uuids_given && !f->uuid_smp) || (f->has_rssi && d->rssi < f->rssi)) {
        return false;
    }
    size_t pl = strlen(f->pattern);
    return pl == 0 || strncasecmp(d->addr_str, f->pattern, pl) == 0 ||
           strncmp(d->name, f->pattern, pl) == 0;
}

/* Merged filters: a device is reported when any discovering client's filter matches it. */
static bool any_match(si_t *s, const si_dev_t *d, bool *filtered)
{
    bool m = false;
    *filtered = false;
    for (int i = 0; i < SI_MAX_SESS; i++) {
        if (s->sess[i].used && s->sess[i].discovering) {
            *filtered = *filtered || s->sess[i].f.set;
            m = m || filter_match(&s->sess[i].f, d);
        }
    }
    return m;
}

static int probe_fire(sd_event_source *src, uint64_t usec, void *u)
{
    si_t *s = u;
    for (int i = 0; i < s->ndev && s->powered; i++) {
        si_dev_t *d = &s->dev[i];
        bool filtered = false;
        if (!si_dev_probe(d) || !any_match(s, d, &filtered)) {
            continue;
        }
        if (!d->exported) {
            (void)si_dev_export(d);
        } else if (filtered) {
            /* with a filter set, every advertising report updates RSSI (no delta threshold) */
            si_emit(d, "org.bluez.Device1", "RSSI");
        }
        d->temp_timer = sd_event_source_disable_unref(d->temp_timer);
    }
    if (s->discovering > 0) {
        (void)sd_event_source_set_time_relative(src, PROBE_US);
        (void)sd_event_source_set_enabled(src, SD_EVENT_ONESHOT);
    }
    return 0;
}

static void discovering_changed(si_t *s, int delta)
{
    int before = s->discovering;
    s->discovering += delta;
    if ((before == 0) != (s->discovering == 0)) {
        (void)sd_bus_emit_properties_changed(s->bus, SI_ADAPTER_PATH, "org.bluez.Adapter1",
                                             "Discovering", NULL);
    }
    if (before == 0 && s->discovering > 0) {
        if (s->probe_timer == NULL) {
            (void)sd_event_add_time_relative(s->ev, &s->probe_timer, CLOCK_MONOTONIC, 0, 0,
                                             probe_fire, s);
        } else {
            (void)sd_event_source_set_time_relative(s->probe_timer, 0);
            (void)sd_event_source_set_enabled(s->probe_timer, SD_EVENT_ONESHOT);
        }
    }
    if (s->discovering == 0 && s->probe_timer != NULL) {
        (void)sd_event_source_set_enabled(s->probe_timer, SD_EVENT_OFF);
    }
}

static int m_start_discovery(sd_bus_message *m, void *u, sd_bus_error *e)
{
    si_t *s = u;
    if (!s->powered) {
        return sd_bus_error_set(e, "org.bluez.Error.NotReady", "Resource Not Ready");
    }
    si_session_t *ss = session(s, sd_bus_message_get_sender(m), true);
    if (ss == NULL) {
        return sd_bus_error_set(e, "org.bluez.Error.Failed", "Too many clients");
    }
    if (ss->discovering) {
        return sd_bus_error_set(e, "org.bluez.Error.InProgress", "Operation already in progress");
    }
    ss->discovering = true;
    discovering_changed(s, +1);
    return sd_bus_reply_method_return(m, "");
}

static int m_stop_discovery(sd_bus_message *m, void *u, sd_bus_error *e)
{
    si_t *s = u;
    if (!s->powered) {
        return sd_bus_error_set(e, "org.bluez.Error.NotReady", "Resource Not Ready");
    }
    si_session_t *ss = session(s, sd_bus_message_get_sender(m), false);
    if (ss == NULL || !ss->discovering) {
        return sd_bus_error_set(e, "org.bluez.Error.Failed", "No discovery started");
    }
    ss->discovering = false;
    discovering_changed(s, -1);
    return sd_bus_reply_method_return(m, "");
}

static int parse_uuids(sd_bus_message *m, si_filter_t *f)
{
    int r = sd_bus_message_enter_container(m, 'v', "as");
    r = r >= 0 ? sd_bus_message_enter_container(m, 'a', "s") : r;
    const char *uu = NULL;
    while (r >= 0 && (r = sd_bus_message_read(m, "s", &uu)) > 0) {
        f->uuids_given = true;
        f->uuid_smp = f->uuid_smp || strcasecmp(uu, SI_SMP_SVC_UUID) == 0;
    }
    r = r >= 0 ? sd_bus_message_exit_container(m) : r;
    return r >= 0 ? sd_bus_message_exit_container(m) : r;
}

static int parse_filter_entry(sd_bus_message *m, si_filter_t *f, bool *pathloss)
{
    const char *k = NULL;
    int r = sd_bus_message_read(m, "s", &k);
    if (r < 0) {
        return r;
    }
    if (strcmp(k, "UUIDs") == 0) {
        return parse_uuids(m, f);
    }
    if (strcmp(k, "RSSI") == 0) {
        f->has_rssi = true;
        return sd_bus_message_read(m, "v", "n", &f->rssi);
    }
    if (strcmp(k, "Pathloss") == 0) {
        uint16_t pl = 0;
        *pathloss = true;
        return sd_bus_message_read(m, "v", "q", &pl);
    }
    if (strcmp(k, "Transport") == 0) {
        const char *t = NULL;
        r = sd_bus_message_read(m, "v", "s", &t);
        if (r >= 0 && strcmp(t, "auto") != 0 && strcmp(t, "le") != 0 && strcmp(t, "bredr") != 0) {
            return -22;
        }
        f->bredr_only = r >= 0 && strcmp(t, "bredr") == 0;
        return r;
    }
    if (strcmp(k, "Pattern") == 0) {
        const char *p = NULL;
        r = sd_bus_message_read(m, "v", "s", &p);
        if (r >= 0) {
            snprintf(f->pattern, sizeof(f->pattern), "%s", p);
        }
        return r;
    }
    if (strcmp(k, "DuplicateData") == 0 || strcmp(k, "Discoverable") == 0 ||
        strcmp(k, "AutoConnect") == 0) {
        int b = 0;
        return sd_bus_message_read(m, "v", "b", &b);
    }
    return -22; /* unknown key */
}

static int m_set_filter(sd_bus_message *m, void *u, sd_bus_error *e)
{
    si_t *s = u;
    si_filter_t f;
    memset(&f, 0, sizeof(f));
    bool pathloss = false;
    int n = 0;
    int r = sd_bus_message_enter_container(m, 'a', "{sv}");
    while (r >= 0 && (r = sd_bus_message_enter_container(m, 'e', "sv")) > 0) {
        n++;
        r = parse_filter_entry(m, &f, &pathloss);
        r = r >= 0 ? sd_bus_message_exit_container(m) : r;
    }
    r = r >= 0 ? sd_bus_message_exit_container(m) : r;
    if (r < 0 || (f.has_rssi && pathloss)) {
        return sd_bus_error_set(e, E_INVAL, M_INVAL);
    }
    si_session_t *ss = session(s, sd_bus_message_get_sender(m), true);
    if (ss == NULL) {
        return sd_bus_error_set(e, "org.bluez.Error.Failed", "Too many clients");
    }
    f.set = n > 0; /* no entries: the filter is removed */
    ss->f = f;
    si_log(s, "discovery filter from %s: %s%s", sd_bus_message_get_sender(m),
           !f.set       ? "removed"
           : f.uuid_smp ? "UUIDs include the SMP service"
                        : "set",
           f.set && f.bredr_only ? ", BR/EDR only" : "");
    return sd_bus_reply_method_return(m, "");
}

static int m_get_filters(sd_bus_message *m, void *u, sd_bus_error *e)
{
    return sd_bus_reply_method_return(m, "as", 7, "UUIDs", "RSSI", "Pathloss", "Transport",
                                      "DuplicateData", "Discoverable", "Pattern");
}

static int m_remove_device(sd_bus_message *m, void *u, sd_bus_error *e)
{
    si_t *s = u;
    const char *path = NULL;
    if (sd_bus_message_read(m, "o", &path) < 0) {
        return sd_bus_error_set(e, E_INVAL, M_INVAL);
    }
    for (int i = 0; i < s->ndev; i++) {
        if (s->dev[i].exported && strcmp(s->dev[i].path, path) == 0) {
            si_log(s, "device %s: removed (bond deleted)", s->dev[i].addr_str);
            si_dev_unexport(&s->dev[i]);
            return sd_bus_reply_method_return(m, "");
        }
    }
    return sd_bus_error_set(e, E_INVAL, M_INVAL);
}

/* ---- adapter properties ------------------------------------------------------------------- */

static int p_str(sd_bus *b, const char *p, const char *i, const char *n, sd_bus_message *r, void *u,
                 sd_bus_error *e)
{
    si_t *s = u;
    const char *v = strcmp(n, "Address") == 0       ? s->addr_str
                    : strcmp(n, "AddressType") == 0 ? "public"
                    : strcmp(n, "Modalias") == 0    ? "usb:v1D6Bp0246d0542"
                                                    : "dfukit-bluez-standin";
    return sd_bus_message_append(r, "s", v);
}

static int p_u32(sd_bus *b, const char *p, const char *i, const char *n, sd_bus_message *r, void *u,
                 sd_bus_error *e)
{
    return sd_bus_message_append(r, "u", strcmp(n, "DiscoverableTimeout") == 0 ? 180u : 0u);
}

static int p_flag(sd_bus *b, const char *p, const char *i, const char *n, sd_bus_message *r,
                  void *u, sd_bus_error *e)
{
    si_t *s = u;
    int v = strcmp(n, "Powered") == 0       ? s->powered
            : strcmp(n, "Discovering") == 0 ? s->discovering > 0
            : strcmp(n, "Pairable") == 0    ? 1
                                            : 0;
    return sd_bus_message_append(r, "b", v);
}

static int set_powered(sd_bus *b, const char *p, const char *i, const char *n, sd_bus_message *v,
                       void *u, sd_bus_error *e)
{
    si_t *s = u;
    int x = 0;
    int r = sd_bus_message_read(v, "b", &x);
    if (r < 0) {
        return r;
    }
    s->powered = x;
    for (int k = 0; !x && k < s->ndev; k++) {
        if (s->dev[k].connected) {
            (void)ble_pkt_send(s->dev[k].fd, BLE_PKT_DISC, (const uint8_t[]){0x15}, 1);
            si_dev_disconnected(&s->dev[k], 0x16, true);
        }
    }
    return sd_bus_emit_properties_changed(s->bus, SI_ADAPTER_PATH, "org.bluez.Adapter1", "Powered",
                                          NULL);
}

static int p_roles(sd_bus *b, const char *p, const char *i, const char *n, sd_bus_message *r,
                   void *u, sd_bus_error *e)
{
    return sd_bus_message_append(r, "as", 1, "central");
}

static int p_uuids(sd_bus *b, const char *p, const char *i, const char *n, sd_bus_message *r,
                   void *u, sd_bus_error *e)
{
    return sd_bus_message_append(r, "as", 0);
}

static const sd_bus_vtable adapter_vtable[] = {
    SD_BUS_VTABLE_START(0),
    SD_BUS_METHOD("StartDiscovery", "", "", m_start_discovery, SD_BUS_VTABLE_UNPRIVILEGED),
    SD_BUS_METHOD("StopDiscovery", "", "", m_stop_discovery, SD_BUS_VTABLE_UNPRIVILEGED),
    SD_BUS_METHOD("RemoveDevice", "o", "", m_remove_device, SD_BUS_VTABLE_UNPRIVILEGED),
    SD_BUS_METHOD("SetDiscoveryFilter", "a{sv}", "", m_set_filter, SD_BUS_VTABLE_UNPRIVILEGED),
    SD_BUS_METHOD("GetDiscoveryFilters", "", "as", m_get_filters, SD_BUS_VTABLE_UNPRIVILEGED),
    SD_BUS_PROPERTY("Address", "s", p_str, 0, SD_BUS_VTABLE_PROPERTY_CONST),
    SD_BUS_PROPERTY("AddressType", "s", p_str, 0, SD_BUS_VTABLE_PROPERTY_CONST),
    SD_BUS_PROPERTY("Name", "s", p_str, 0, SD_BUS_VTABLE_PROPERTY_CONST),
    SD_BUS_PROPERTY("Alias", "s", p_str, 0, SD_BUS_VTABLE_PROPERTY_CONST),
    SD_BUS_PROPERTY("Class", "u", p_u32, 0, SD_BUS_VTABLE_PROPERTY_CONST),
    SD_BUS_WRITABLE_PROPERTY("Powered", "b", p_flag, set_powered, 0,
                             SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
    SD_BUS_PROPERTY("Discoverable", "b", p_flag, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
    SD_BUS_PROPERTY("Pairable", "b", p_flag, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
    SD_BUS_PROPERTY("PairableTimeout", "u", p_u32, 0, SD_BUS_VTABLE_PROPERTY_CONST),
    SD_BUS_PROPERTY("DiscoverableTimeout", "u", p_u32, 0, SD_BUS_VTABLE_PROPERTY_CONST),
    SD_BUS_PROPERTY("Discovering", "b", p_flag, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
    SD_BUS_PROPERTY("UUIDs", "as", p_uuids, 0, SD_BUS_VTABLE_PROPERTY_CONST),
    SD_BUS_PROPERTY("Modalias", "s", p_str, 0, SD_BUS_VTABLE_PROPERTY_CONST),
    SD_BUS_PROPERTY("Roles", "as", p_roles, 0, SD_BUS_VTABLE_PROPERTY_CONST),
    SD_BUS_VTABLE_END,
};

int si_adapter_register(si_t *s)
{
    int r = sd_bus_add_object_vtable(s->bus, NULL, "/org/bluez", "org.bluez.AgentManager1",
                                     agent_manager_vtable, s);
    r = r >= 0 ? sd_bus_add_object_vtable(s->bus, NULL, SI_ADAPTER_PATH, "org.bluez.Adapter1",
                                          adapter_vtable, s)
               : r;
    return r;
}

void si_owner_gone(si_t *s, const char *owner)
{
    int i;
    while ((i = find_agent(s, owner, NULL)) >= 0) {
        drop_agent(s, i);
    }
    si_session_t *ss = session(s, owner, false);
    if (ss != NULL) {
        if (ss->discovering) {
            discovering_changed(s, -1);
        }
        ss->used = false;
    }
    for (int k = 0; k < s->ndev; k++) {
        si_gatt_owner_gone(&s->dev[k], owner);
    }
}
