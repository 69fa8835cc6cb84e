/* Device image verbs: image list, upload, test, confirm, erase, slots (table: cmd_client.c). */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "cmd_client.h"

static void print_state(const dfu_client_state_t *st, bool json, const char *cmd)
{
    if (json) {
        dfu_json_t j;
        dfu_cli_json_head(&j, cmd);
        dfu_json_key(&j, "images");
        dfu_json_arr(&j);
        for (int s = 0; s < DFU_CLIENT_MAX_SLOTS; s++) {
            if (st->slots[s].present) {
                dfu_json_slot(&j, st, s);
            }
        }
        dfu_json_arr_end(&j);
        dfu_json_key(&j, "next_reset");
        dfu_json_str(&j, dfu_client_next_reset(st));
        dfu_cli_json_tail(&j);
        return;
    }
    printf("%-4s %-12s %-18s %-36s %s\n", "slot", "version", "hash", "flags", "at next reset");
    for (int s = 0; s < 2; s++) {
        const dfu_client_slot_t *sl = &st->slots[s];
        if (!sl->present) {
            printf("%-4d %-12s %-18s %-36s %s\n", s, "-", "-", "(empty)", "-");
            continue;
        }
        char hex[65], flags[64];
        dfu_client_hex(sl->hash, sl->hash_len, hex);
        hex[16] = '\0';
        snprintf(flags, sizeof(flags), "%s%s%s%s%s", sl->active ? "active " : "",
                 sl->confirmed ? "confirmed " : "", sl->pending ? "pending " : "",
                 sl->permanent ? "permanent " : "", sl->bootable ? "" : "non-bootable");
        printf("%-4d %-12s %-18s %-36s %s\n", s, sl->version, hex, flags[0] ? flags : "-",
               dfu_client_slot_fate(st, s));
    }
    printf("next reset: %s\n", dfu_client_next_reset(st));
    for (int s = 0; s < 2; s++) {
        if (st->slots[s].present) {
            char hex[65];
            dfu_client_hex(st->slots[s].hash, st->slots[s].hash_len, hex);
            printf("slot %d hash: %s\n", s, hex);
        }
    }
}

int dfu_cli_image_list(cli_run_t *r)
{
    dfu_client_state_t st;
    int rc = dfu_client_state_read(r->c, &st);
    if (rc != DFU_OK) {
        return dfu_cli_report_fail(r->c, r, "image list", rc);
    }
    print_state(&st, r->json, "image list");
    return DFU_EXIT_OK;
}

typedef struct {
    bool tty;
    double last;
} upload_progress_t;

static void upload_progress(void *ctx, const dfu_client_progress_t *p)
{
    upload_progress_t *up = ctx;
    if (!up->tty && p->elapsed_s - up->last < 1.0 && p->done < p->total) {
        return;
    }
    up->last = p->elapsed_s;
    dfu_client_progress_print(stderr, up->tty, "upload:", p);
}

int dfu_cli_image_upload(cli_run_t *r)
{
    const char *path = r->a->pos[0];
    dfu_client_file_t f;
    char why[256];
    if (dfu_client_file_load(&f, path, why, sizeof(why)) != DFU_OK) {
        fprintf(stderr, "dfukit image upload: %s: %s\n", path, why);
        if (r->json) {
            printf("{\"command\":\"image upload\",\"ok\":false,\"error\":{\"name\":\"BAD_FILE\","
                   "\"meaning\":\"the file is not a valid MCUboot image\",\"fix\":\"sign it "
                   "with dfukit image sign\"}}\n");
        }
        dfu_client_file_free(&f);
        return DFU_EXIT_FAIL;
    }
    dfu_client_upload_cfg_t uc;
    memset(&uc, 0, sizeof(uc));
    uc.image = (int)cli_num(r->a, "--image", 0);
    uc.upgrade = cli_flag(r->a, "--upgrade");
    uc.window = (unsigned)cli_num(r->a, "--window", 0);
    upload_progress_t up = {.tty = isatty(STDERR_FILENO) != 0, .last = -10};
    if (!r->json) {
        uc.progress = upload_progress; /* on stderr: stdout keeps the result */
        uc.progress_ctx = &up;
    }
    /* A swap scheduled for another image in slot 1 ends when the upload overwrites it: read the
     * state before and after, and say so when it happened. */
    dfu_client_state_t before, after;
    bool have_before = dfu_client_state_read(r->c, &before) == DFU_OK;
    const dfu_client_slot_t *old = &before.slots[1];
    bool scheduled = have_before && old->present && old->pending &&
                     !(old->hash_len == 32 && memcmp(old->hash, f.hash, 32) == 0);
    dfu_client_upload_stats_t us;
    int rc = dfu_client_upload(r->c, f.data, f.len, &uc, &us);
    char hex[65];
    dfu_client_hex(f.hash, 32, hex);
    size_t total = f.len;
    dfu_client_file_free(&f);
    if (rc == DFU_ERR_CANCELLED && r->json) {
        return dfu_cli_report_fail(r->c, r, "image upload", rc); /* JSON error INTERRUPTED */
    }
    if (rc == DFU_ERR_CANCELLED) {
        if (up.tty) {
            fputc('\n', stderr);
        }
        fprintf(stderr,
                "dfukit image upload: interrupted at %llu/%zu bytes; run the same command again to "
                "resume\n",
                (unsigned long long)us.acked, total);
        return DFU_EXIT_INTERRUPTED;
    }
    bool cancelled = false;
    if (rc == DFU_OK && scheduled && dfu_client_state_read(r->c, &after) == DFU_OK) {
        const dfu_client_slot_t *now = &after.slots[1];
        cancelled = !(now->present && now->pending && now->hash_len == old->hash_len &&
                      memcmp(now->hash, old->hash, old->hash_len) == 0);
    }
    if (rc == DFU_ERR_HASH_MISMATCH) {
        r->c->err.code = rc;
        snprintf(r->c->err.what, sizeof(r->c->err.what), "image upload (match false)");
    }
    if (rc != DFU_OK) {
        return dfu_cli_report_fail(r->c, r, "image upload", rc);
    }
    if (r->json) {
        dfu_json_t j;
        dfu_cli_json_head(&j, "image upload");
        dfu_json_key(&j, "bytes");
        dfu_json_int(&j, (long long)us.bytes);
        dfu_json_key(&j, "seconds");
        dfu_json_num(&j, us.seconds);
        dfu_json_key(&j, "kBps");
        dfu_json_num(&j, us.kBps);
        dfu_json_key(&j, "chunk");
        dfu_json_int(&j, (long long)us.chunk);
        dfu_json_key(&j, "window_max");
        dfu_json_int(&j, us.window_max);
        dfu_json_key(&j, "resumed_from");
        dfu_json_int(&j, (long long)us.resumed_from);
        dfu_json_key(&j, "match");
        if (us.match_reported) {
            dfu_json_bool(&j, us.match);
        } else {
            dfu_json_null(&j);
        }
        dfu_json_key(&j, "hash");
        dfu_json_str(&j, hex);
        dfu_json_key(&j, "cancelled"); /* the scheduled swap the upload replaced, or null */
        if (cancelled) {
            dfu_json_obj(&j);
            dfu_json_key(&j, "kind");
            dfu_json_str(&j, old->permanent ? "permanent" : "test");
            dfu_json_key(&j, "version");
            dfu_json_str(&j, old->version);
            dfu_json_obj_end(&j);
        } else {
            dfu_json_null(&j);
        }
        dfu_cli_json_tail(&j);
    } else {
        printf("uploaded %llu bytes in %.2f s (%.1f kB/s)%s; image hash %s\n",
               (unsigned long long)us.bytes, us.seconds, us.kBps,
               us.resumed_from ? " (resumed)" : "", hex);
        if (cancelled) {
            printf("the scheduled %s of %s (slot 1) was cancelled: the upload replaced that "
                   "image, and the new one is not marked\n",
                   old->permanent ? "permanent swap" : "test", old->version);
        }
        printf("next: dfukit image test %s && dfukit reset\n", hex);
    }
    return DFU_EXIT_OK;
}

int dfu_cli_image_slots(cli_run_t *r)
{
    dfu_client_slotinfo_t si;
    int rc = dfu_client_slot_info(r->c, &si);
    if (rc != DFU_OK) {
        return dfu_cli_report_fail(r->c, r, "image slots", rc);
    }
    if (r->json) {
        dfu_json_t j;
        dfu_cli_json_head(&j, "image slots");
        dfu_json_key(&j, "slots");
        dfu_json_arr(&j);
        for (int s = 0; s < 2; s++) {
            dfu_json_obj(&j);
            dfu_json_key(&j, "slot");
            dfu_json_int(&j, s);
            dfu_json_key(&j, "size");
            dfu_json_int(&j, si.size[s]);
            dfu_json_obj_end(&j);
        }
        dfu_json_arr_end(&j);
        dfu_json_key(&j, "max_image_size");
        dfu_json_int(&j, si.max_image_size);
        dfu_cli_json_tail(&j);
    } else {
        printf("slot 0: %u bytes\nslot 1: %u bytes\n", si.size[0], si.size[1]);
        if (si.max_image_size) {
            dfu_client_boot_t b;
            char why[400];
            int mode = dfu_client_bootloader(r->c, &b) == DFU_OK ? b.mode : -1;
            dfu_client_usable_explain(&si, mode, why, sizeof(why));
            printf("max image size: %u bytes (%s)\n", si.max_image_size, why);
        }
    }
    return DFU_EXIT_OK;
}

int dfu_cli_image_erase(cli_run_t *r)
{
    long slot = -1;
    if (r->a->npos > 0) {
        char *end = NULL;
        slot = strtol(r->a->pos[0], &end, 10);
        if (*end != '\0' || end == r->a->pos[0] || slot < 0 || slot > 15) {
            fprintf(stderr, "dfukit image erase: SLOT is a number (0..15), not '%s'\n",
                    r->a->pos[0]);
            return DFU_EXIT_USAGE;
        }
    }
    int rc = dfu_client_erase(r->c, (int)slot);
    if (rc != DFU_OK) {
        return dfu_cli_report_fail(r->c, r, "image erase", rc);
    }
    if (r->json) {
        dfu_json_t j;
        dfu_cli_json_head(&j, "image erase");
        dfu_json_key(&j, "slot");
        dfu_json_int(&j, slot);
        dfu_cli_json_tail(&j);
    } else {
        printf("erased slot %s\n", slot < 0 ? "1 (default)" : r->a->pos[0]);
    }
    return DFU_EXIT_OK;
}

int dfu_cli_image_mark(cli_run_t *r)
{
    const char *cmd = r->verb->name;
    bool confirm = strcmp(cmd, "image confirm") == 0;
    uint8_t hash[32];
    const uint8_t *h = NULL;
    if (r->a->npos > 0) {
        if (dfu_client_unhex(r->a->pos[0], hash, sizeof(hash)) != 32) {
            fprintf(stderr, "dfukit %s: HASH must be 64 hex digits (see 'dfukit image list')\n",
                    cmd);
            return DFU_EXIT_USAGE;
        }
        h = hash;
    }
    dfu_client_state_t st;
    int rc = dfu_client_state_write(r->c, h, confirm, &st);
    if (rc != DFU_OK) {
        return dfu_cli_report_fail(r->c, r, cmd, rc);
    }
    if (!r->json) {
        printf("%s: done\n", cmd);
    }
    print_state(&st, r->json, cmd);
    return DFU_EXIT_OK;
}
