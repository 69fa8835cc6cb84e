/* Connection strings and link lifetime for the SMP client. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "dfu_client.h"

static const dfu_client_conn_kind_t kinds[] = {
    {"udp", DFU_LINK_UDP, "udp:HOST[:PORT]",
     "SMP over UDP (port 1337 by default); HOST: IPv4, [IPv6] or a name", ""},
    {"serial", DFU_LINK_SERIAL, "serial:PATH[,baud=N]",
     "SMP console framing over a tty (115200 baud by default)", "baud"},
    {"tcp", DFU_LINK_TCP, "tcp:HOST:PORT",
     "SMP console framing over TCP (a UART on a TCP socket, e.g. scripts/qemu.sh run FLASH PORT)",
     ""},
    {"ble", DFU_LINK_BLUEZ, "ble:TARGET[,passkey=NNNNNN][,adapter=hciN]",
     "Bluetooth LE through BlueZ; TARGET: address or advertised name ('dfukit scan')",
     "passkey|adapter"},
    {"ble-sim", DFU_LINK_BLE, "ble-sim:PATH[,passkey=N]",
     "the simulator's BLE link; pairs with the passkey when asked", "passkey"},
};

const dfu_client_conn_kind_t *dfu_client_conn_kinds(size_t *n)
{
    *n = sizeof(kinds) / sizeof(kinds[0]);
    return kinds;
}

/* A connection string that does not parse: says what is wrong in c->err.detail (never a
 * passkey's digits) and returns DFU_ERR_INVAL. */
static int bad_conn(dfu_client_t *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int bad_conn(dfu_client_t *c, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(c->err.detail, sizeof(c->err.detail), fmt, ap);
    va_end(ap);
    return DFU_ERR_INVAL;
}

/* `key` is one of the '|'-separated `keys`. */
static bool key_known(const char *keys, const char *key)
{
    size_t n = strlen(key);
    for (const char *p = keys; n > 0 && *p != '\0'; p += strcspn(p, "|"), p += *p == '|') {
        if (strncmp(p, key, n) == 0 && (p[n] == '|' || p[n] == '\0')) {
            return true;
        }
    }
    return false;
}

/* Parses "key=value" options after the address (baud for serial; passkey for BLE; adapter for
 * BlueZ; see the kind's table entry `k`). */
static int parse_opts(dfu_client_t *c, const dfu_client_conn_kind_t *k, char *opts)
{
    char *save = NULL;
    for (char *kv = strtok_r(opts, ",", &save); kv; kv = strtok_r(NULL, ",", &save)) {
        char *eq = strchr(kv, '=');
        if (eq != NULL) {
            *eq++ = '\0';
        }
        if (!key_known(k->keys, kv)) {
            return bad_conn(c, "unknown option '%.40s' for %s: (%s%s)", kv, k->scheme,
                            k->keys[0] ? "it takes: " : "it takes none", k->keys);
        }
        if (eq == NULL) {
            return bad_conn(c, "option '%.40s' has no value (%.40s=VALUE)", kv, kv);
        }
        if (strcmp(kv, "adapter") == 0) {
            if (*eq == '\0' || strlen(eq) >= sizeof(c->adapter) || strchr(eq, '/') != NULL) {
                return bad_conn(c, "adapter= wants an adapter name such as hci0");
            }
            strcpy(c->adapter, eq);
            continue;
        }
        char *end = NULL;
        unsigned long v = strtoul(eq, &end, 10);
        bool num = *eq != '\0' && *end == '\0';
        if (strcmp(kv, "baud") == 0) {
            if (!num || v == 0 || v > 4000000) {
                return bad_conn(c, "baud= wants a rate from 1 to 4000000");
            }
            c->baud = (uint32_t)v;
        } else { /* passkey */
            if (!num || v > 999999 || strlen(eq) > 6) {
                return bad_conn(c, "passkey= wants the passkey the device displays: up to 6 "
                                   "digits, 0-999999");
            }
            c->has_passkey = true;
            c->passkey = (uint32_t)v;
        }
    }
    return DFU_OK;
}

/* "HOST:PORT" of a tcp: connection (HOST: IPv4, [IPv6] or a name; the port is required: there is
 * no standard one). */
static int parse_tcp(dfu_client_t *c, const char *addr)
{
    int port = -1;
    if (dfu_link_split_host_port(addr, c->path, sizeof(c->path), &port) != DFU_OK ||
        c->path[0] == '\0' || port <= 0) {
        return DFU_ERR_INVAL;
    }
    c->port = (uint16_t)port;
    return DFU_OK;
}

static int parse_udp(dfu_client_t *c, const char *addr)
{
    int port = -1;
    if (dfu_link_split_host_port(addr, c->path, sizeof(c->path), &port) != DFU_OK ||
        c->path[0] == '\0' || port == 0) {
        return DFU_ERR_INVAL;
    }
    c->port = port < 0 ? DFU_LINK_UDP_PORT : (uint16_t)port;
    return DFU_OK;
}

/* The connection string as messages show it: a passkey's digits are masked, so error lines,
 * `doctor` and JSON written to logs do not carry the secret that protects the device. */
static void conn_for_display(char *out, const char *conn)
{
    strcpy(out, conn);
    for (char *p = strstr(out, ",passkey="); p != NULL; p = strstr(p + 1, ",passkey=")) {
        for (char *d = p + 9; *d != '\0' && *d != ','; d++) {
            *d = '*';
        }
    }
}

int dfu_client_parse_conn(dfu_client_t *c, const char *conn)
{
    char buf[256];
    c->conn[0] = '\0';
    c->err.detail[0] = '\0';
    if (conn == NULL || strlen(conn) >= sizeof(buf) || strlen(conn) >= sizeof(c->conn)) {
        return bad_conn(c, "longer than %zu characters", sizeof(buf) - 1);
    }
    strcpy(buf, conn);
    conn_for_display(c->conn, conn);
    char *colon = strchr(buf, ':');
    if (colon == NULL) {
        return bad_conn(c, "no SCHEME: before the address");
    }
    *colon = '\0';
    char *addr = colon + 1;
    c->has_passkey = false;
    c->baud = 115200;
    c->adapter[0] = '\0';
    const dfu_client_conn_kind_t *k = NULL;
    for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
        if (strcmp(buf, kinds[i].scheme) == 0) {
            k = &kinds[i];
        }
    }
    if (k == NULL) {
        return bad_conn(c, "unknown scheme '%.20s:'", buf);
    }
    c->kind = k->link;
    if (c->kind == DFU_LINK_UDP || c->kind == DFU_LINK_TCP) {
        int rc = c->kind == DFU_LINK_UDP ? parse_udp(c, addr) : parse_tcp(c, addr);
        return rc == DFU_OK ? rc : bad_conn(c, "'%.60s' is not %s", addr, k->synopsis);
    }
    char *opts = strchr(addr, ',');
    if (opts != NULL) {
        *opts++ = '\0';
        if (parse_opts(c, k, opts) != DFU_OK) {
            return DFU_ERR_INVAL;
        }
    }
    if (addr[0] == '\0' || strlen(addr) >= sizeof(c->path)) {
        return bad_conn(c, "%s wants %s",
                        addr[0] ? "the address is too long:" : "no address:", k->synopsis);
    }
    strcpy(c->path, addr);
    return DFU_OK;
}

static int open_bluez(dfu_client_t *c)
{
    dfu_bluez_cfg_t bc;
    memset(&bc, 0, sizeof(bc));
    bc.target = c->resolved[0] ? c->resolved : c->path; /* the address found first, if any */
    bc.adapter = c->adapter[0] ? c->adapter : NULL;
    bc.has_passkey = c->has_passkey;
    bc.passkey = c->passkey;
    bc.timeout_ms = c->timeout_ms > 10000 ? c->timeout_ms : 10000;
    /* discovery (device not known to BlueZ): 3 x --timeout, within 3..30 s */
    int scan = c->timeout_ms * 3;
    bc.scan_ms = scan < 3000 ? 3000 : (scan > 30000 ? 30000 : scan);
    bc.log = c->log;
    bc.why = c->link_why;
    bc.why_cap = sizeof(c->link_why);
    int rc = dfu_link_bluez_open(&c->link, &bc);
    dfu_bluez_info_t info;
    if (rc == DFU_OK && dfu_link_bluez_info(&c->link, &info) == DFU_OK) {
        snprintf(c->resolved, sizeof(c->resolved), "%s", info.address);
    }
    return rc;
}

static int open_link(dfu_client_t *c)
{
    memset(&c->link, 0, sizeof(c->link));
    c->pair_tried = false;
    c->link_why[0] = '\0';
    switch (c->kind) {
    case DFU_LINK_BLUEZ:
        return open_bluez(c);
    case DFU_LINK_UDP:
        return dfu_link_udp_client_open(&c->link, c->path, c->port, 0);
    case DFU_LINK_SERIAL:
        return dfu_link_serial_client_open(&c->link, c->path, c->baud, 0);
    case DFU_LINK_TCP:
        return dfu_link_tcp_client_open(&c->link, c->path, c->port, 0);
    case DFU_LINK_BLE: {
        dfu_ble_client_cfg_t bc;
        memset(&bc, 0, sizeof(bc));
        bc.mtu = DFU_BLE_ATT_MTU_MAX;
        bc.has_passkey = c->has_passkey;
        bc.passkey = c->passkey;
        bc.security = 0; /* pair on demand: when the device refuses (ATT 0x05) */
        bc.bond = c->has_passkey;
        bc.known_bond = c->bond;
        bc.timeout_ms = c->timeout_ms > 2000 ? c->timeout_ms : 2000;
        int rc = dfu_link_ble_client_open(&c->link, c->path, &bc);
        if (rc == DFU_ERR_PAIRING && bc.security > 1) {
            /* The device cannot reach an authenticated level (e.g. firmware without a passkey):
             * connect without pairing; requests pair on demand when refused (ATT 0x05). */
            memset(&c->link, 0, sizeof(c->link));
            bc.security = 0;
            bc.known_bond.level = 0;
            rc = dfu_link_ble_client_open(&c->link, c->path, &bc);
        }
        if (rc == DFU_OK) {
            dfu_ble_bond_t b;
            if (dfu_link_ble_get_bond(&c->link, &b) == DFU_OK && b.level > 0) {
                c->bond = b;
            }
        }
        return rc;
    }
    default:
        return DFU_ERR_INVAL;
    }
}

int dfu_client_open(dfu_client_t *c, const dfu_client_cfg_t *cfg)
{
    memset(c, 0, sizeof(*c));
    int rc = dfu_client_parse_conn(c, cfg->conn);
    if (rc != DFU_OK) {
        return rc;
    }
    c->timeout_ms = cfg->timeout_ms > 0 ? cfg->timeout_ms : 3000;
    c->retries = cfg->retries < 0 ? 0 : (cfg->retries == 0 ? 2 : cfg->retries);
    c->log = cfg->log;
    c->cancel = cfg->cancel;
    c->version = 1;
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    c->seq = (uint8_t)((unsigned long)ts.tv_nsec ^ (unsigned long)getpid());
    c->err.group = -1;
    rc = open_link(c);
    if (rc != DFU_OK) {
        char what[sizeof(c->err.what)];
        snprintf(what, sizeof(what), "connect to %.80s", c->conn); /* passkey masked */
        (void)dfu_client_link_err(c, rc, what);
        c->err.connecting = true;
        /* the only NODEV of the network links: the name lookup (getaddrinfo) found nothing */
        c->err.unresolved =
            rc == DFU_ERR_NODEV && (c->kind == DFU_LINK_UDP || c->kind == DFU_LINK_TCP);
        return rc;
    }
    c->open = true;
    return DFU_OK;
}

void dfu_client_peer(const dfu_client_t *c, char *buf, size_t cap)
{
    if (c->kind == DFU_LINK_UDP || c->kind == DFU_LINK_TCP) {
        dfu_link_join_host_port(c->path, c->port, buf, cap);
    } else {
        snprintf(buf, cap, "%s", c->path);
    }
}

int dfu_client_reconnect(dfu_client_t *c)
{
    if (c->open) {
        dfu_link_close(&c->link);
        c->open = false;
    }
    int rc = open_link(c);
    if (rc == DFU_OK) {
        c->open = true;
    }
    return rc;
}

void dfu_client_close(dfu_client_t *c)
{
    if (c->open) {
        dfu_link_close(&c->link);
        c->open = false;
    }
}

bool dfu_client_is_ble(const dfu_client_t *c)
{
    return c->kind == DFU_LINK_BLE || c->kind == DFU_LINK_BLUEZ;
}

int dfu_client_link_err(dfu_client_t *c, int code, const char *what)
{
    memset(&c->err, 0, sizeof(c->err));
    c->err.code = code;
    c->err.group = -1;
    if (c->kind == DFU_LINK_BLE && c->open) {
        c->err.att = dfu_link_ble_last_att_error(&c->link);
    }
    if (code == DFU_ERR_ACCESS && c->err.att == 0 && c->kind == DFU_LINK_BLE) {
        c->err.att = DFU_BLE_ATT_ERR_INSUFF_AUTHEN;
    }
    const char *why = c->kind == DFU_LINK_BLUEZ && c->open ? dfu_link_bluez_why(&c->link) : "";
    snprintf(c->err.detail, sizeof(c->err.detail), "%s", why[0] ? why : c->link_why);
    snprintf(c->err.what, sizeof(c->err.what), "%s", what);
    dfu_client_err_context(c);
    c->err.wait_ms = c->timeout_ms;
    return code;
}

size_t dfu_client_link_mtu(const dfu_client_t *c)
{
    return c->open ? dfu_link_mtu(&c->link) : 0;
}

int dfu_client_link_security(const dfu_client_t *c)
{
    return c->open ? dfu_link_security(&c->link) : 0;
}
