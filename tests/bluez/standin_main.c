/*
 * bluez-standin: command line, bus set-up, the method-call counters and the event loop.
 *
 *   bluez-standin --device SOCKET[,addr=XX:XX:XX:XX:XX:XX][,rssi=N]... [--address ADDR]
 *                 [--temporary-timeout S] [--no-acquire] [--unpowered] [--log FILE]
 *   bluez-standin --counts [--reset]   (client mode: prints the running stand-in's counters as
 *                                       "calls=N writes=N dropped=N notifications=N", then the
 *                                       per-method counts, one "NAME N" a line)
 *
 * Connects to the system bus (DBUS_SYSTEM_BUS_ADDRESS: tests point it at a private
 * dbus-daemon), exports /org/bluez (AgentManager1), /org/bluez/hci0 (Adapter1) and an
 * ObjectManager at /, takes the name org.bluez and prints "standin: ready ..." on stdout.
 * Every method call it receives on a BlueZ interface is counted; the counts are readable at
 * /org/dfukit/standin, interface org.dfukit.BluezStandin1 (properties MethodCalls,
 * WritesForwarded, WritesDropped, Notifications; methods Counts() -> a{st} and Reset()), whose
 * own calls are not counted.
 */
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "standin.h"

void si_log(si_t *s, const char *fmt, ...)
{
    if (s->log == NULL) {
        return;
    }
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    fprintf(s->log, "standin %ld.%03ld: ", (long)ts.tv_sec, ts.tv_nsec / 1000000L);
    va_list ap;
    va_start(ap, fmt);
    vfprintf(s->log, fmt, ap);
    va_end(ap);
    fputc('\n', s->log);
    fflush(s->log);
}

/* ---- counters ---------------------------------------------------------------------------------
 */

#define COUNTER_IFACE "org.dfukit.BluezStandin1"

static int count_filter(sd_bus_message *m, void *u, sd_bus_error *e)
{
    si_t *s = u;
    const char *path = sd_bus_message_get_path(m);
    if (!sd_bus_message_is_method_call(m, NULL, NULL) ||
        (path != NULL && strcmp(path, "/org/dfukit/standin") == 0)) {
        return 0; /* the counters' own calls are not counted */
    }
    const char *member = sd_bus_message_get_member(m);
    s->calls++;
    for (int i = 0; i < s->ncounters; i++) {
        if (strcmp(s->counters[i].name, member) == 0) {
            s->counters[i].n++;
            return 0;
        }
    }
    if (s->ncounters < SI_MAX_COUNTERS) {
        snprintf(s->counters[s->ncounters].name, sizeof(s->counters[0].name), "%s", member);
        s->counters[s->ncounters++].n = 1;
    }
    return 0; /* not handled: normal dispatch continues */
}

static int m_counts(sd_bus_message *m, void *u, sd_bus_error *e)
{
    si_t *s = u;
    sd_bus_message *r = NULL;
    int rc = sd_bus_message_new_method_return(m, &r);
    rc = rc >= 0 ? sd_bus_message_open_container(r, 'a', "{st}") : rc;
    for (int i = 0; rc >= 0 && i < s->ncounters; i++) {
        rc = sd_bus_message_append(r, "{st}", s->counters[i].name, s->counters[i].n);
    }
    rc = rc >= 0 ? sd_bus_message_close_container(r) : rc;
    rc = rc >= 0 ? sd_bus_send(NULL, r, NULL) : rc;
    sd_bus_message_unref(r);
    return rc;
}

static int m_reset(sd_bus_message *m, void *u, sd_bus_error *e)
{
    si_t *s = u;
    s->calls = 0;
    s->ncounters = 0;
    s->writes_forwarded = s->writes_dropped = s->notifications = 0;
    return sd_bus_reply_method_return(m, "");
}

static const sd_bus_vtable counter_vtable[] = {
    SD_BUS_VTABLE_START(0),
    SD_BUS_METHOD("Counts", "", "a{st}", m_counts, SD_BUS_VTABLE_UNPRIVILEGED),
    SD_BUS_METHOD("Reset", "", "", m_reset, SD_BUS_VTABLE_UNPRIVILEGED),
    SD_BUS_PROPERTY("MethodCalls", "t", NULL, offsetof(si_t, calls), 0),
    SD_BUS_PROPERTY("WritesForwarded", "t", NULL, offsetof(si_t, writes_forwarded), 0),
    SD_BUS_PROPERTY("WritesDropped", "t", NULL, offsetof(si_t, writes_dropped), 0),
    SD_BUS_PROPERTY("Notifications", "t", NULL, offsetof(si_t, notifications), 0),
    SD_BUS_VTABLE_END,
};

/* ---- set-up --------------------------------------------------------------------------------- */

static int parse_addr(const char *s, uint8_t a[6])
{
    unsigned v[6];
    char tail;
    if (strlen(s) != 17 || sscanf(s, "%2x:%2x:%2x:%2x:%2x:%2x%c", &v[0], &v[1], &v[2], &v[3], &v[4],
                                  &v[5], &tail) != 6) {
        return -1;
    }
    for (int i = 0; i < 6; i++) {
        a[i] = (uint8_t)v[i];
    }
    return 0;
}

static void addr_str(const uint8_t a[6], char out[18])
{
    snprintf(out, 18, "%02X:%02X:%02X:%02X:%02X:%02X", a[0], a[1], a[2], a[3], a[4], a[5]);
}

static int add_device(si_t *s, char *spec)
{
    if (s->ndev >= SI_MAX_DEV) {
        return -1;
    }
    si_dev_t *d = &s->dev[s->ndev];
    memset(d, 0, sizeof(*d));
    d->s = s;
    d->fd = d->wfd = d->nfd = -1;
    d->rssi = -55;
    d->level = 1;
    d->mtu = 23;
    static const uint8_t base[6] = {0xC0, 0xFF, 0xEE, 0x00, 0x00, 0x01};
    memcpy(d->addr, base, 6);
    d->addr[5] = (uint8_t)(1 + s->ndev);
    char *opts = strchr(spec, ',');
    if (opts != NULL) {
        *opts++ = '\0';
    }
    if (strlen(spec) >= sizeof(d->model)) {
        return -1;
    }
    memcpy(d->model, spec, strlen(spec) + 1);
    char *save = NULL;
    for (char *kv = opts ? strtok_r(opts, ",", &save) : NULL; kv; kv = strtok_r(NULL, ",", &save)) {
        if (strncmp(kv, "addr=", 5) == 0) {
            if (parse_addr(kv + 5, d->addr) != 0) {
                return -1;
            }
        } else if (strncmp(kv, "rssi=", 5) == 0) {
            d->rssi = (int16_t)atoi(kv + 5);
        } else {
            return -1;
        }
    }
    addr_str(d->addr, d->addr_str);
    char u[18];
    snprintf(u, sizeof(u), "%s", d->addr_str);
    for (char *p = u; *p; p++) {
        *p = *p == ':' ? '_' : *p;
    }
    /* BlueZ's object paths: dev_XX_XX..., serviceXXXX, charYYYY, descZZZZ (handles in hex) */
    snprintf(d->path, sizeof(d->path), "%s/dev_%s", SI_ADAPTER_PATH, u);
    snprintf(d->svc_path, sizeof(d->svc_path), "%s/dev_%s/service%04x", SI_ADAPTER_PATH, u,
             SI_SVC_HANDLE);
    snprintf(d->chr_path, sizeof(d->chr_path), "%s/dev_%s/service%04x/char%04x", SI_ADAPTER_PATH, u,
             SI_SVC_HANDLE, SI_CHR_HANDLE);
    snprintf(d->desc_path, sizeof(d->desc_path), "%s/dev_%s/service%04x/char%04x/desc%04x",
             SI_ADAPTER_PATH, u, SI_SVC_HANDLE, SI_CHR_HANDLE, SI_DESC_HANDLE);
    s->ndev++;
    return 0;
}

static int owner_changed(sd_bus_message *m, void *u, sd_bus_error *e)
{
    const char *name = NULL, *old = NULL, *new_owner = NULL;
    if (sd_bus_message_read(m, "sss", &name, &old, &new_owner) >= 0 && name[0] == ':' &&
        new_owner[0] == '\0') {
        si_owner_gone(u, name);
    }
    return 0;
}

static void usage(void)
{
    fprintf(stderr, "usage: bluez-standin --device SOCKET[,addr=XX:XX:XX:XX:XX:XX][,rssi=N]... "
                    "[--address ADDR] [--temporary-timeout S] [--no-acquire] [--unpowered] "
                    "[--log FILE]\n");
}

static int parse_args(si_t *s, int argc, char **argv)
{
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (strcmp(a, "--device") == 0 && v) {
            char spec[256];
            snprintf(spec, sizeof(spec), "%s", v);
            if (add_device(s, spec) != 0) {
                fprintf(stderr, "bluez-standin: bad --device '%s'\n", v);
                return -1;
            }
            i++;
        } else if (strcmp(a, "--address") == 0 && v) {
            if (parse_addr(v, s->addr) != 0) {
                fprintf(stderr, "bluez-standin: bad --address '%s'\n", v);
                return -1;
            }
            i++;
        } else if (strcmp(a, "--temporary-timeout") == 0 && v) {
            s->temp_timeout_s = atoi(v);
            i++;
        } else if (strcmp(a, "--log") == 0 && v) {
            s->log = fopen(v, "a");
            i++;
        } else if (strcmp(a, "--no-acquire") == 0) {
            s->no_acquire = true;
        } else if (strcmp(a, "--unpowered") == 0) {
            s->powered = 0;
        } else {
            usage();
            return -1;
        }
    }
    return s->ndev > 0 ? 0 : (usage(), -1);
}

/* --counts [--reset]: reads (and optionally resets) the counters of the running stand-in. */
static int print_counts(bool reset)
{
    sd_bus *bus = NULL;
    sd_bus_error err = SD_BUS_ERROR_NULL;
    sd_bus_message *reply = NULL;
    static const char *const props[] = {"MethodCalls", "WritesForwarded", "WritesDropped",
                                        "Notifications"};
    static const char *const labels[] = {"calls", "writes", "dropped", "notifications"};
    int r = sd_bus_open_system(&bus);
    for (int i = 0; r >= 0 && i < 4; i++) {
        uint64_t v = 0;
        r = sd_bus_get_property_trivial(bus, "org.bluez", "/org/dfukit/standin", COUNTER_IFACE,
                                        props[i], &err, 't', &v);
        if (r >= 0) {
            printf("%s%s=%llu", i ? " " : "", labels[i], (unsigned long long)v);
        }
    }
    printf("\n");
    r = r >= 0 ? sd_bus_call_method(bus, "org.bluez", "/org/dfukit/standin", COUNTER_IFACE,
                                    "Counts", &err, &reply, "")
               : r;
    r = r >= 0 ? sd_bus_message_enter_container(reply, 'a', "{st}") : r;
    const char *name = NULL;
    uint64_t n = 0;
    while (r >= 0 && (r = sd_bus_message_read(reply, "{st}", &name, &n)) > 0) {
        printf("%s %llu\n", name, (unsigned long long)n);
    }
    if (r >= 0 && reset) {
        r = sd_bus_call_method(bus, "org.bluez", "/org/dfukit/standin", COUNTER_IFACE, "Reset",
                               &err, NULL, "");
    }
    if (r < 0) {
        fprintf(stderr, "bluez-standin --counts: %s\n", err.message ? err.message : strerror(-r));
    }
    sd_bus_error_free(&err);
    sd_bus_message_unref(reply);
    sd_bus_flush_close_unref(bus);
    return r < 0 ? 1 : 0;
}

int main(int argc, char **argv)
{
    static si_t s; /* large (device buffers): off the stack */
    if (argc >= 2 && strcmp(argv[1], "--counts") == 0) {
        return print_counts(argc >= 3 && strcmp(argv[2], "--reset") == 0);
    }
    static const uint8_t central[6] = {0x00, 0x1A, 0x7D, 0xDA, 0x71, 0x13};
    memcpy(s.addr, central, 6);
    s.powered = 1;
    s.temp_timeout_s = 30; /* BlueZ main.conf TemporaryTimeout default */
    s.default_agent = -1;
    s.log = stderr;
    if (parse_args(&s, argc, argv) != 0) {
        return 2;
    }
    addr_str(s.addr, s.addr_str);
    sigset_t ss;
    sigemptyset(&ss);
    sigaddset(&ss, SIGTERM);
    sigaddset(&ss, SIGINT);
    sigprocmask(SIG_BLOCK, &ss, NULL);
    signal(SIGPIPE, SIG_IGN);
    int r = sd_event_default(&s.ev);
    r = r >= 0 ? sd_event_add_signal(s.ev, NULL, SIGTERM, NULL, NULL) : r;
    r = r >= 0 ? sd_event_add_signal(s.ev, NULL, SIGINT, NULL, NULL) : r;
    r = r >= 0 ? sd_bus_open_system(&s.bus) : r;
    if (r < 0) {
        fprintf(stderr, "bluez-standin: cannot reach the system bus: %s\n", strerror(-r));
        return 1;
    }
    r = sd_bus_attach_event(s.bus, s.ev, 0);
    r = r >= 0 ? sd_bus_add_filter(s.bus, NULL, count_filter, &s) : r;
    r = r >= 0 ? sd_bus_add_object_manager(s.bus, NULL, "/") : r;
    r = r >= 0 ? si_adapter_register(&s) : r;
    r = r >= 0 ? sd_bus_add_object_vtable(s.bus, NULL, "/org/dfukit/standin", COUNTER_IFACE,
                                          counter_vtable, &s)
               : r;
    r = r >= 0 ? sd_bus_match_signal(s.bus, NULL, "org.freedesktop.DBus", "/org/freedesktop/DBus",
                                     "org.freedesktop.DBus", "NameOwnerChanged", owner_changed, &s)
               : r;
    r = r >= 0 ? sd_bus_request_name(s.bus, "org.bluez", 0) : r;
    if (r < 0) {
        fprintf(stderr, "bluez-standin: set-up failed (org.bluez taken?): %s\n", strerror(-r));
        return 1;
    }
    printf("standin: ready adapter=hci0 address=%s devices=%d\n", s.addr_str, s.ndev);
    fflush(stdout);
    r = sd_event_loop(s.ev);
    for (int i = 0; i < s.ndev; i++) {
        si_dev_unexport(&s.dev[i]);
    }
    sd_bus_flush_close_unref(s.bus);
    sd_event_unref(s.ev);
    if (s.log != NULL && s.log != stderr) {
        fclose(s.log);
    }
    return r < 0 ? 1 : 0;
}
