/*
 * `dfukit scan [--timeout S] [--adapter hciN] [--json]`: lists the Bluetooth LE devices that
 * advertise the SMP service, through BlueZ (discovery filtered on the SMP service UUID, LE).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "client/dfu_client.h"

#define SCAN_MAX 64

static void scan_usage(FILE *out)
{
    fprintf(out, "usage: dfukit scan [--timeout SEC] [--adapter hciN] [--json]\n"
                 "\n"
                 "Lists Bluetooth LE devices advertising the SMP service (MCUmgr), seen by BlueZ\n"
                 "within SEC seconds (default 5): address, RSSI, paired, name. Use the address or\n"
                 "the name with --conn ble:TARGET[,passkey=NNNNNN].\n"
                 "exit codes: 0 ok (also when nothing was found), 2 usage, 4 no BlueZ / adapter\n");
}

/* Opens the JSON document: {"command": "scan", "ok": ok, ... */
static void scan_json_head(dfu_json_t *j, bool ok)
{
    dfu_json_init(j, stdout);
    dfu_json_obj(j);
    dfu_json_key(j, "command");
    dfu_json_str(j, "scan");
    dfu_json_key(j, "ok");
    dfu_json_bool(j, ok);
}

static int scan_fail(int rc, const char *why, bool json)
{
    dfu_client_err_t e;
    memset(&e, 0, sizeof(e));
    e.code = rc;
    e.group = -1;
    snprintf(e.what, sizeof(e.what), "scan");
    snprintf(e.detail, sizeof(e.detail), "%s", why);
    if (json) {
        dfu_json_t j;
        scan_json_head(&j, false);
        dfu_json_err(&j, &e);
        dfu_json_obj_end(&j);
        dfu_json_end(&j);
    } else {
        char msg[1024];
        dfu_client_err_format(&e, msg, sizeof(msg));
        fprintf(stderr, "dfukit: %s\n", msg);
    }
    return rc == DFU_ERR_PASSKEY_NEEDED || rc == DFU_ERR_INVAL ? DFU_EXIT_FAIL : DFU_EXIT_CONN;
}

static void scan_print(const dfu_bluez_seen_t *d, size_t n, double secs, bool json)
{
    if (json) {
        dfu_json_t j;
        scan_json_head(&j, true);
        dfu_json_key(&j, "seconds");
        dfu_json_num(&j, secs);
        dfu_json_key(&j, "devices");
        dfu_json_arr(&j);
        for (size_t i = 0; i < n; i++) {
            dfu_json_obj(&j);
            dfu_json_key(&j, "address");
            dfu_json_str(&j, d[i].address);
            dfu_json_key(&j, "name");
            dfu_json_str(&j, d[i].name);
            dfu_json_key(&j, "rssi");
            dfu_json_int(&j, d[i].rssi);
            dfu_json_key(&j, "paired");
            dfu_json_bool(&j, d[i].paired);
            dfu_json_key(&j, "bonded");
            dfu_json_bool(&j, d[i].bonded);
            dfu_json_key(&j, "connected");
            dfu_json_bool(&j, d[i].connected);
            dfu_json_obj_end(&j);
        }
        dfu_json_arr_end(&j);
        dfu_json_obj_end(&j);
        dfu_json_end(&j);
        return;
    }
    if (n == 0) {
        printf("scan: no device advertising the SMP service seen in %.1f s\n", secs);
        return;
    }
    printf("%-17s  %5s  %-6s  %s\n", "address", "rssi", "paired", "name");
    for (size_t i = 0; i < n; i++) {
        printf("%-17s  %5d  %-6s  %s\n", d[i].address, d[i].rssi, d[i].paired ? "yes" : "no",
               d[i].name);
    }
}

int dfu_cli_scan(int argc, char **argv)
{
    double secs = 5.0;
    bool json = false;
    const char *adapter = NULL;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            scan_usage(stdout);
            return DFU_EXIT_OK;
        } else if (strcmp(a, "--json") == 0) {
            json = true;
        } else if (strcmp(a, "--timeout") == 0 && v != NULL) {
            char *end = NULL;
            secs = strtod(v, &end);
            if (*end != '\0' || secs <= 0 || secs > 600) {
                fprintf(stderr, "dfukit scan: --timeout wants seconds (0 < SEC <= 600)\n");
                return DFU_EXIT_USAGE;
            }
            i++;
        } else if (strcmp(a, "--adapter") == 0 && v != NULL) {
            adapter = v;
            i++;
        } else {
            fprintf(stderr, "dfukit scan: unknown or incomplete option '%s' (see --help)\n", a);
            return DFU_EXIT_USAGE;
        }
    }
    static dfu_bluez_seen_t seen[SCAN_MAX];
    size_t n = 0;
    char why[256] = "";
    int rc = dfu_bluez_scan(adapter, (int)(secs * 1000), seen, SCAN_MAX, &n, why, sizeof(why));
    if (rc != DFU_OK) {
        return scan_fail(rc, why, json);
    }
    scan_print(seen, n, secs, json);
    return DFU_EXIT_OK;
}
