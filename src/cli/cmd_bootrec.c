/* `dfukit bootloader --last-boot | --log`: what the device's bootloader did at its last boot(s)
 * and why (OS bootloader info "last_boot" / "boot_log"), as text or one JSON document. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "client/dfu_client.h"

#define LOG_MAX 256

static void print_last(const dfu_client_bootrec_t *r)
{
    char why[600], hex[65];
    dfu_client_bootrec_explain(r, why, sizeof(why));
    dfu_client_hex(r->hash, r->hash_len, hex);
    printf("%s\n", why);
    printf("boot #%u: swap %s%s, reason \"%s\"\n", r->boot, r->swap,
           r->resumed ? " (resumed after a power cut)" : "", r->reason);
    if (r->booted) {
        printf("running: slot %d, version %s, hash %s\n", r->slot, r->version, hex[0] ? hex : "-");
    } else {
        printf("running: nothing (no bootable image)\n");
    }
    if (r->has_other) {
        printf("other image: %s\n", r->other_version);
    }
    if (r->refused_err != 0) {
        printf("refused because: %s\n", dfu_strerror((int)r->refused_err));
    }
    if (r->has_flash) {
        printf("flash: %llu erases, %llu writes, %llu bytes programmed; %llu ms in the "
               "bootloader\n",
               (unsigned long long)r->flash_erases, (unsigned long long)r->flash_writes,
               (unsigned long long)r->flash_bytes, (unsigned long long)r->time_ms);
    }
}

static void print_log(const dfu_client_bootrec_t *e, size_t n, uint32_t total)
{
    printf("%-7s %-7s %-8s %-14s %-14s %s\n", "boot", "swap", "resumed", "version", "other",
           "reason");
    for (size_t i = 0; i < n; i++) {
        char b[16];
        snprintf(b, sizeof(b), "#%u", e[i].boot);
        printf("%-7s %-7s %-8s %-14s %-14s %s\n", b, e[i].swap, e[i].resumed ? "yes" : "no",
               e[i].booted ? e[i].version : "-", e[i].has_other ? e[i].other_version : "-",
               e[i].reason);
    }
    printf("%zu of %u records (newest first)\n", n, total);
}

int dfu_cli_bootrec(struct dfu_client *c, bool last_boot, bool log, bool json)
{
    dfu_client_bootrec_t last;
    dfu_client_bootrec_t *entries = NULL;
    size_t n = 0;
    uint32_t total = 0;
    int rc = DFU_OK;
    if (last_boot) {
        rc = dfu_client_last_boot(c, &last);
    }
    if (rc == DFU_OK && log) {
        entries = calloc(LOG_MAX, sizeof(*entries));
        rc = entries != NULL ? dfu_client_boot_log(c, entries, LOG_MAX, &n, &total) : DFU_ERR_NOMEM;
    }
    if (rc != DFU_OK && rc != DFU_ERR_NOTSUP) {
        free(entries);
        return rc;
    }
    bool supported = rc == DFU_OK;
    if (json) {
        dfu_json_t j;
        dfu_json_init(&j, stdout);
        dfu_json_obj(&j);
        dfu_json_key(&j, "command");
        dfu_json_str(&j, "bootloader");
        dfu_json_key(&j, "ok");
        dfu_json_bool(&j, true);
        dfu_json_key(&j, "supported");
        dfu_json_bool(&j, supported);
        if (!supported) {
            dfu_json_key(&j, "message");
            dfu_json_str(&j, DFU_CLIENT_NO_BOOTREC);
        } else {
            if (last_boot) {
                dfu_json_key(&j, "last_boot");
                dfu_json_bootrec(&j, &last);
            }
            if (log) {
                dfu_json_key(&j, "total");
                dfu_json_int(&j, total);
                dfu_json_key(&j, "boot_log");
                dfu_json_arr(&j);
                for (size_t i = 0; i < n; i++) {
                    dfu_json_bootrec(&j, &entries[i]);
                }
                dfu_json_arr_end(&j);
            }
        }
        dfu_json_obj_end(&j);
        dfu_json_end(&j);
    } else if (!supported) {
        printf("bootloader: %s\n", DFU_CLIENT_NO_BOOTREC);
    } else {
        if (last_boot) {
            print_last(&last);
        }
        if (log) {
            print_log(entries, n, total);
        }
    }
    free(entries);
    return DFU_EXIT_OK;
}
