/* dfu_link_open(): a link from a command-line connection string. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "dfukit/dfu_err.h"
#include "dfukit/dfu_host_ble.h"
#include "dfukit/dfu_host_bluez.h"
#include "link_priv.h"

#define SPEC_MAX 512

typedef struct link_opts {
    unsigned long mtu, baud, passkey, sec, level, perm;
    bool has_passkey, bond;
    const char *name;
    const char *adapter;
} link_opts_t;

static int opt_num(const char *v, unsigned long max, unsigned long *out)
{
    char *end = NULL;
    if (v[0] < '0' || v[0] > '9') {
        return DFU_ERR_INVAL;
    }
    errno = 0;
    unsigned long x = strtoul(v, &end, 10);
    if (errno != 0 || *end != '\0' || x > max) {
        return DFU_ERR_INVAL;
    }
    *out = x;
    return DFU_OK;
}

static int parse_opt(link_opts_t *o, char *kv)
{
    char *eq = strchr(kv, '=');
    if (eq == NULL) {
        return DFU_ERR_INVAL;
    }
    *eq = '\0';
    const char *v = eq + 1;
    if (strcmp(kv, "mtu") == 0) {
        return opt_num(v, DFU_LINK_UDP_MTU_MAX, &o->mtu);
    }
    if (strcmp(kv, "baud") == 0) {
        return opt_num(v, 100000000ul, &o->baud);
    }
    if (strcmp(kv, "passkey") == 0) {
        o->has_passkey = true;
        return strlen(v) == 6 ? opt_num(v, 999999ul, &o->passkey) : DFU_ERR_INVAL;
    }
    if (strcmp(kv, "sec") == 0) {
        return opt_num(v, 4, &o->sec);
    }
    if (strcmp(kv, "level") == 0) {
        int rc = opt_num(v, 4, &o->level);
        return (rc == DFU_OK && o->level < 3) ? DFU_ERR_INVAL : rc;
    }
    if (strcmp(kv, "perm") == 0) {
        return opt_num(v, 4, &o->perm);
    }
    if (strcmp(kv, "bond") == 0) {
        unsigned long b = 0;
        int rc = opt_num(v, 1, &b);
        o->bond = b != 0;
        return rc;
    }
    if (strcmp(kv, "adapter") == 0) {
        o->adapter = v;
        return v[0] != '\0' && strlen(v) < 16 ? DFU_OK : DFU_ERR_INVAL;
    }
    if (strcmp(kv, "name") == 0) {
        o->name = v;
        return strlen(v) <= DFU_BLE_NAME_MAX ? DFU_OK : DFU_ERR_INVAL;
    }
    return DFU_ERR_INVAL;
}

static int open_udp(dfu_link_t *l, const char *addr, const link_opts_t *o, bool server)
{
    char host[256];
    int port = -1;
    if (dfu_link_split_host_port(addr, host, sizeof(host), &port) != DFU_OK || port == 0) {
        return DFU_ERR_INVAL;
    }
    uint16_t p = port < 0 ? DFU_LINK_UDP_PORT : (uint16_t)port;
    if (server) {
        return dfu_link_udp_server_open(l, host, p, o->mtu);
    }
    return dfu_link_udp_client_open(l, host[0] ? host : "127.0.0.1", p, o->mtu);
}

static int open_ble(dfu_link_t *l, const char *path, const link_opts_t *o, bool server)
{
    if (o->mtu > DFU_BLE_ATT_MTU_MAX || (o->mtu != 0 && o->mtu < DFU_BLE_ATT_MTU_MIN)) {
        return DFU_ERR_INVAL;
    }
    if (server) {
        dfu_ble_server_cfg_t c = {
            .name = o->name,
            .mtu = (uint16_t)o->mtu,
            .has_passkey = o->has_passkey,
            .passkey = (uint32_t)o->passkey,
            .pair_level = (uint8_t)o->level,
            .cccd_level = (uint8_t)o->perm,
        };
        return dfu_link_ble_server_open(l, path, &c);
    }
    dfu_ble_client_cfg_t c = {
        .mtu = (uint16_t)o->mtu,
        .security = (uint8_t)o->sec,
        .has_passkey = o->has_passkey,
        .passkey = (uint32_t)o->passkey,
        .bond = o->bond,
    };
    return dfu_link_ble_client_open(l, path, &c);
}

int dfu_link_open(dfu_link_t *l, const char *spec, bool server)
{
    char buf[SPEC_MAX];
    link_opts_t o;
    memset(&o, 0, sizeof(o));
    if (l == NULL || spec == NULL || strlen(spec) >= sizeof(buf)) {
        return DFU_ERR_INVAL;
    }
    strcpy(buf, spec);
    char *colon = strchr(buf, ':');
    if (colon == NULL) {
        return DFU_ERR_INVAL;
    }
    *colon = '\0';
    char *addr = colon + 1;
    char *opts = strchr(addr, ',');
    if (opts != NULL) {
        *opts++ = '\0';
        char *save = NULL;
        for (char *kv = strtok_r(opts, ",", &save); kv; kv = strtok_r(NULL, ",", &save)) {
            if (parse_opt(&o, kv) != DFU_OK) {
                return DFU_ERR_INVAL;
            }
        }
    }
    if (strcmp(buf, "udp") == 0) {
        return open_udp(l, addr, &o, server);
    }
    if (strcmp(buf, "tcp") == 0) {
        char host[SPEC_MAX];
        int port = -1;
        if (dfu_link_split_host_port(addr, host, sizeof(host), &port) != DFU_OK ||
            host[0] == '\0' || port <= 0) {
            return DFU_ERR_INVAL;
        }
        return server ? DFU_ERR_NOTSUP : dfu_link_tcp_client_open(l, host, (uint16_t)port, o.mtu);
    }
    if (addr[0] == '\0') {
        return DFU_ERR_INVAL;
    }
    if (strcmp(buf, "serial") == 0) {
        return server ? dfu_link_pty_server_open(l, addr, o.mtu)
                      : dfu_link_serial_client_open(l, addr, (uint32_t)o.baud, o.mtu);
    }
    if (strcmp(buf, "ble-sim") == 0) {
        return o.adapter != NULL ? DFU_ERR_INVAL : open_ble(l, addr, &o, server);
    }
    if (strcmp(buf, "ble") == 0) {
        if (server || o.mtu || o.baud || o.sec || o.level || o.perm || o.name || o.bond) {
            return DFU_ERR_INVAL; /* BlueZ: central only; passkey and adapter are the options */
        }
        dfu_bluez_cfg_t c = {.target = addr,
                             .adapter = o.adapter,
                             .has_passkey = o.has_passkey,
                             .passkey = (uint32_t)o.passkey};
        return dfu_link_bluez_open(l, &c);
    }
    return DFU_ERR_INVAL;
}
