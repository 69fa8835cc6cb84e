/*
 * SMP client verbs: echo, reset, params, info, bootloader, update, doctor, and the device image
 * verbs `image list|upload|test|confirm|erase|slots` (forwarded from cmd_image.c).
 * Options common to all: --conn, --timeout, --retries, --json, --verbose.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "client/dfu_client.h"

typedef struct {
    const char *conn;
    double timeout_s;
    int retries;
    bool json;
    bool verbose;
    /* command options */
    bool force;
    int boot_mode;
    const char *format;
    const char *mode;
    bool clear;
    unsigned window;
    int image;
    bool upgrade;
    int wait_s;
    const char *pos[4];
    int npos;
    bool last_boot; /* bootloader --last-boot */
    bool boot_log;  /* bootloader --log */
} opts_t;

static void usage(FILE *out, const char *verb)
{
    fprintf(out,
            "usage: dfukit %s [args] --conn CONN [--timeout SEC] [--retries N] [--json]\n"
            "\n"
            "  CONN: udp:HOST[:PORT]          SMP over UDP (default port 1337)\n"
            "        serial:PATH[,baud=N]     SMP console framing over a tty\n"
            "        tcp:HOST:PORT            SMP console framing over TCP (a UART on a TCP\n"
            "                                 socket, e.g. scripts/qemu.sh run FLASH PORT)\n"
            "        ble-sim:PATH[,passkey=N] simulated BLE link; pairs with the passkey when\n"
            "                                 the device asks for an authenticated link\n"
            "        ble:TARGET[,passkey=NNNNNN][,adapter=hciN]\n"
            "                                 Bluetooth LE through BlueZ; TARGET = address or\n"
            "                                 advertised name ('dfukit scan' lists them)\n"
            "  (default: $DFUKIT_CONN)\n"
            "\n"
            "commands:\n"
            "  echo [TEXT]                    round trip a string\n"
            "  reset [--force] [--boot-mode N]\n"
            "  params                         SMP buffer size/count\n"
            "  info [--format LETTERS]        OS/application info\n"
            "  bootloader                     bootloader name, mode, downgrade policy\n"
            "  bootloader --last-boot | --log what the bootloader did at the last boot (and\n"
            "                                 the earlier ones it keeps) and why\n"
            "  image list                     slots: version, hash, flags, next-reset fate\n"
            "  image upload FILE [--image N] [--upgrade] [--window N]\n"
            "  image test HASH | image confirm [HASH] | image erase [SLOT] | image slots\n"
            "  update FILE [--mode test-confirm|confirm-only|test-only|upload-only] [--clear]\n"
            "              [--window N] [--wait SEC]\n"
            "                                 safe end-to-end update; re-run to resume\n"
            "  doctor                         explain the device's DFU state and how to fix it\n"
            "\n"
            "--json prints one JSON document (update: one NDJSON event per line).\n"
            "exit codes: 0 ok, 1 operation failed (device refused, invalid image, ...),\n"
            "            2 usage error, 4 connection failure or timeout\n",
            verb);
}

static int parse_int(const char *s, long lo, long hi, long *out)
{
    char *end = NULL;
    long v = strtol(s, &end, 10);
    if (*s == '\0' || *end != '\0' || v < lo || v > hi) {
        return -1;
    }
    *out = v;
    return 0;
}

/* Returns 0, or DFU_EXIT_USAGE after printing why. */
static int parse(int argc, char **argv, opts_t *o)
{
    memset(o, 0, sizeof(*o));
    o->boot_mode = -1;
    o->retries = 2;
    o->conn = getenv("DFUKIT_CONN");
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        long n = 0;
#define NEED_VALUE                                                                                 \
    do {                                                                                           \
        if (v == NULL) {                                                                           \
            fprintf(stderr, "dfukit %s: %s needs a value\n", argv[0], a);                          \
            return DFU_EXIT_USAGE;                                                                 \
        }                                                                                          \
        i++;                                                                                       \
    } while (0)
        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            usage(stdout, argv[0]);
            return -1;
        } else if (strcmp(a, "--json") == 0) {
            o->json = true;
        } else if (strcmp(a, "--verbose") == 0 || strcmp(a, "-v") == 0) {
            o->verbose = true;
        } else if (strcmp(a, "--force") == 0) {
            o->force = true;
        } else if (strcmp(a, "--clear") == 0) {
            o->clear = true;
        } else if (strcmp(a, "--upgrade") == 0) {
            o->upgrade = true;
        } else if (strcmp(a, "--last-boot") == 0) {
            o->last_boot = true;
        } else if (strcmp(a, "--log") == 0) {
            o->boot_log = true;
        } else if (strcmp(a, "--conn") == 0) {
            NEED_VALUE;
            o->conn = v;
        } else if (strcmp(a, "--format") == 0) {
            NEED_VALUE;
            o->format = v;
        } else if (strcmp(a, "--mode") == 0) {
            NEED_VALUE;
            o->mode = v;
        } else if (strcmp(a, "--timeout") == 0) {
            NEED_VALUE;
            char *end = NULL;
            o->timeout_s = strtod(v, &end);
            if (*end != '\0' || o->timeout_s <= 0 || o->timeout_s > 3600) {
                fprintf(stderr, "dfukit %s: --timeout wants seconds (0 < SEC <= 3600)\n", argv[0]);
                return DFU_EXIT_USAGE;
            }
        } else if (strcmp(a, "--retries") == 0 || strcmp(a, "--boot-mode") == 0 ||
                   strcmp(a, "--window") == 0 || strcmp(a, "--image") == 0 ||
                   strcmp(a, "--wait") == 0) {
            NEED_VALUE;
            long hi = strcmp(a, "--boot-mode") == 0 ? 255
                      : strcmp(a, "--window") == 0  ? 32
                      : strcmp(a, "--wait") == 0    ? 3600
                      : strcmp(a, "--image") == 0   ? 15
                                                    : 100;
            if (parse_int(v, strcmp(a, "--window") == 0 ? 1 : 0, hi, &n) != 0) {
                fprintf(stderr, "dfukit %s: %s wants a whole number 0..%ld\n", argv[0], a, hi);
                return DFU_EXIT_USAGE;
            }
            if (a[2] == 'r') {
                o->retries = n == 0 ? -1 : (int)n;
            } else if (a[2] == 'b') {
                o->boot_mode = (int)n;
            } else if (a[2] == 'w' && a[3] == 'i') {
                o->window = (unsigned)n;
            } else if (a[2] == 'i') {
                o->image = (int)n;
            } else {
                o->wait_s = (int)n;
            }
        } else if (a[0] == '-' && a[1] != '\0') {
            fprintf(stderr, "dfukit %s: unknown option '%s' (see --help)\n", argv[0], a);
            return DFU_EXIT_USAGE;
        } else if (o->npos < 4) {
            o->pos[o->npos++] = a;
        } else {
            fprintf(stderr, "dfukit %s: too many arguments\n", argv[0]);
            return DFU_EXIT_USAGE;
        }
#undef NEED_VALUE
    }
    return 0;
}

static int exit_for(int rc)
{
    switch (rc) {
    case DFU_OK:
        return DFU_EXIT_OK;
    case DFU_ERR_TIMEOUT:
    case DFU_ERR_NOTCONN:
    case DFU_ERR_IO:
    case DFU_ERR_NODEV:
    case DFU_ERR_BUSY:
    case DFU_ERR_NO_BLUEZ:
    case DFU_ERR_BUS_DENIED:
        return DFU_EXIT_CONN;
    default:
        return DFU_EXIT_FAIL;
    }
}

/* Prints a failure (text to stderr, or one JSON document) and returns the exit code. */
static int report_fail(dfu_client_t *c, const opts_t *o, const char *cmd, int rc)
{
    if (c->err.code == 0) {
        c->err.code = rc;
        c->err.group = -1;
        snprintf(c->err.what, sizeof(c->err.what), "%s", cmd);
    }
    /* 9 / 28 / rc 6: say what state the device is in and what to do about it */
    dfu_client_diag_t dg;
    bool diag = dfu_client_err_is_state(&c->err) && dfu_client_diagnose(c, &dg) == 1;
    if (o->json) {
        dfu_json_t j;
        dfu_json_init(&j, stdout);
        dfu_json_obj(&j);
        if (strcmp(cmd, "update") == 0) {
            dfu_json_key(&j, "event"); /* update's NDJSON consumers look for the verdict */
            dfu_json_str(&j, "verdict");
        }
        dfu_json_key(&j, "command");
        dfu_json_str(&j, cmd);
        dfu_json_key(&j, "ok");
        dfu_json_bool(&j, false);
        dfu_json_err(&j, &c->err);
        dfu_json_key(&j, "diagnosis");
        if (diag) {
            dfu_json_obj(&j);
            dfu_json_key(&j, "id");
            dfu_json_str(&j, dg.id);
            dfu_json_key(&j, "cause");
            dfu_json_str(&j, dg.cause);
            dfu_json_key(&j, "fix");
            dfu_json_str(&j, dg.fix);
            dfu_json_obj_end(&j);
        } else {
            dfu_json_null(&j);
        }
        dfu_json_obj_end(&j);
        dfu_json_end(&j);
    } else {
        char msg[1024];
        dfu_client_err_format(&c->err, msg, sizeof(msg));
        fprintf(stderr, "dfukit: %s\n", msg);
        if (diag) {
            fprintf(stderr, "dfukit: device state: %s.\ndfukit: what to do: %s\n", dg.cause,
                    dg.fix);
        }
    }
    return exit_for(rc);
}

static void json_head(dfu_json_t *j, const char *cmd)
{
    dfu_json_init(j, stdout);
    dfu_json_obj(j);
    dfu_json_key(j, "command");
    dfu_json_str(j, cmd);
    dfu_json_key(j, "ok");
    dfu_json_bool(j, true);
}

static void json_tail(dfu_json_t *j)
{
    dfu_json_obj_end(j);
    dfu_json_end(j);
}

static int connect(dfu_client_t *c, const opts_t *o, const char *cmd)
{
    if (o->conn == NULL) {
        fprintf(stderr,
                "dfukit %s: no connection given: use --conn udp:HOST[:PORT] | "
                "serial:PATH | tcp:HOST:PORT | ble:TARGET | ble-sim:PATH (or set DFUKIT_CONN)\n",
                cmd);
        return DFU_EXIT_USAGE;
    }
    dfu_client_cfg_t cfg;
    memset(&cfg, 0, sizeof(cfg));
    cfg.conn = o->conn;
    cfg.timeout_ms = o->timeout_s > 0 ? (int)(o->timeout_s * 1000) : 0;
    cfg.retries = o->retries;
    cfg.log = o->verbose ? stderr : NULL;
    int rc = dfu_client_open(c, &cfg);
    if (rc == DFU_ERR_INVAL) {
        fprintf(stderr,
                "dfukit %s: bad --conn '%s': use udp:HOST[:PORT], serial:PATH[,baud=N], "
                "tcp:HOST:PORT, ble:TARGET[,passkey=NNNNNN][,adapter=hciN] or "
                "ble-sim:PATH[,passkey=N]\n",
                cmd, o->conn);
        return DFU_EXIT_USAGE;
    }
    if (rc != DFU_OK) {
        char what[48];
        snprintf(what, sizeof(what), "connect to %s", o->conn);
        (void)dfu_client_link_err(c, rc, what);
        return report_fail(c, o, cmd, rc);
    }
    return -1;
}

/* ---- OS verbs ----------------------------------------------------------------------------------
 */

static int run_os(dfu_client_t *c, const opts_t *o, const char *verb)
{
    dfu_json_t j;
    int rc;
    if (strcmp(verb, "echo") == 0) {
        char r[1024];
        const char *text = o->npos ? o->pos[0] : "hello";
        if ((rc = dfu_client_echo(c, text, r, sizeof(r))) != DFU_OK) {
            return report_fail(c, o, verb, rc);
        }
        if (o->json) {
            json_head(&j, verb);
            dfu_json_key(&j, "echo");
            dfu_json_str(&j, r);
            json_tail(&j);
        } else {
            printf("%s\n", r);
        }
        return DFU_EXIT_OK;
    }
    if (strcmp(verb, "reset") == 0) {
        if ((rc = dfu_client_reset(c, o->force, o->boot_mode)) != DFU_OK) {
            return report_fail(c, o, verb, rc);
        }
        if (o->json) {
            json_head(&j, verb);
            dfu_json_key(&j, "force");
            dfu_json_bool(&j, o->force);
            dfu_json_key(&j, "boot_mode");
            dfu_json_int(&j, o->boot_mode < 0 ? 0 : o->boot_mode);
            json_tail(&j);
        } else {
            printf("reset: the device accepted the reset and reboots now\n");
        }
        return DFU_EXIT_OK;
    }
    if (strcmp(verb, "params") == 0) {
        dfu_client_params_t p;
        if ((rc = dfu_client_params(c, &p)) != DFU_OK) {
            return report_fail(c, o, verb, rc);
        }
        if (o->json) {
            json_head(&j, verb);
            dfu_json_key(&j, "buf_size");
            dfu_json_int(&j, p.buf_size);
            dfu_json_key(&j, "buf_count");
            dfu_json_int(&j, p.buf_count);
            dfu_json_key(&j, "supported");
            dfu_json_bool(&j, p.supported);
            json_tail(&j);
        } else {
            printf("buf_size %u\nbuf_count %u%s\n", p.buf_size, p.buf_count,
                   p.supported ? ""
                               : "\n(the device has no params command: values are the "
                                 "client's fallback)");
        }
        return DFU_EXIT_OK;
    }
    if (strcmp(verb, "info") == 0) {
        char out[512];
        const char *fmt = o->format ? o->format : (o->npos ? o->pos[0] : NULL);
        if ((rc = dfu_client_info(c, fmt, out, sizeof(out))) != DFU_OK) {
            return report_fail(c, o, verb, rc);
        }
        if (o->json) {
            json_head(&j, verb);
            dfu_json_key(&j, "output");
            dfu_json_str(&j, out);
            json_tail(&j);
        } else {
            printf("%s\n", out);
        }
        return DFU_EXIT_OK;
    }
    /* bootloader */
    if (o->last_boot || o->boot_log) {
        rc = dfu_cli_bootrec(c, o->last_boot, o->boot_log, o->json);
        return rc < 0 ? report_fail(c, o, verb, rc) : rc;
    }
    dfu_client_boot_t b;
    if ((rc = dfu_client_bootloader(c, &b)) != DFU_OK) {
        return report_fail(c, o, verb, rc);
    }
    if (o->json) {
        json_head(&j, verb);
        dfu_json_key(&j, "bootloader");
        dfu_json_str(&j, b.name);
        dfu_json_key(&j, "mode");
        dfu_json_int(&j, b.mode);
        dfu_json_key(&j, "no_downgrade");
        dfu_json_bool(&j, b.no_downgrade);
        json_tail(&j);
    } else {
        printf("bootloader %s\nmode %d\nno-downgrade %s\n", b.name[0] ? b.name : "unknown", b.mode,
               b.no_downgrade ? "yes" : "no");
    }
    return DFU_EXIT_OK;
}

/* ---- image verbs --------------------------------------------------------------------------------
 */

static void print_state(const dfu_client_state_t *st, bool json, const char *cmd)
{
    if (json) {
        dfu_json_t j;
        json_head(&j, cmd);
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
        json_tail(&j);
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

static int image_upload(dfu_client_t *c, const opts_t *o)
{
    if (o->npos < 2) {
        fprintf(stderr, "dfukit image upload: give the image FILE\n");
        return DFU_EXIT_USAGE;
    }
    dfu_client_file_t f;
    char why[256];
    if (dfu_client_file_load(&f, o->pos[1], why, sizeof(why)) != DFU_OK) {
        fprintf(stderr, "dfukit image upload: %s: %s\n", o->pos[1], why);
        if (o->json) {
            printf("{\"command\":\"image upload\",\"ok\":false,\"error\":{\"name\":\"BAD_FILE\","
                   "\"meaning\":\"the file is not a valid MCUboot image\",\"fix\":\"sign it "
                   "with dfukit image sign\"}}\n");
        }
        dfu_client_file_free(&f);
        return DFU_EXIT_FAIL;
    }
    dfu_client_upload_cfg_t uc;
    memset(&uc, 0, sizeof(uc));
    uc.image = o->image;
    uc.upgrade = o->upgrade;
    uc.window = o->window;
    upload_progress_t up = {.tty = isatty(STDERR_FILENO) != 0, .last = -10};
    if (!o->json) {
        uc.progress = upload_progress; /* on stderr: stdout keeps the result */
        uc.progress_ctx = &up;
    }
    dfu_client_upload_stats_t us;
    int rc = dfu_client_upload(c, f.data, f.len, &uc, &us);
    char hex[65];
    dfu_client_hex(f.hash, 32, hex);
    dfu_client_file_free(&f);
    if (rc == DFU_ERR_HASH_MISMATCH) {
        c->err.code = rc;
        snprintf(c->err.what, sizeof(c->err.what), "image upload (match false)");
    }
    if (rc != DFU_OK) {
        return report_fail(c, o, "image upload", rc);
    }
    if (o->json) {
        dfu_json_t j;
        json_head(&j, "image upload");
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
        json_tail(&j);
    } else {
        printf("uploaded %llu bytes in %.2f s (%.1f kB/s)%s; image hash %s\n"
               "next: dfukit image test %s && dfukit reset\n",
               (unsigned long long)us.bytes, us.seconds, us.kBps,
               us.resumed_from ? " (resumed)" : "", hex, hex);
    }
    return DFU_EXIT_OK;
}

static int image_slots(dfu_client_t *c, const opts_t *o)
{
    dfu_client_slotinfo_t si;
    int rc = dfu_client_slot_info(c, &si);
    if (rc != DFU_OK) {
        return report_fail(c, o, "image slots", rc);
    }
    if (o->json) {
        dfu_json_t j;
        json_head(&j, "image slots");
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
        json_tail(&j);
    } else {
        printf("slot 0: %u bytes\nslot 1: %u bytes\n", si.size[0], si.size[1]);
        if (si.max_image_size) {
            printf("max image size: %u bytes\n", si.max_image_size);
        }
    }
    return DFU_EXIT_OK;
}

static int image_verb(dfu_client_t *c, const opts_t *o, const char *verb)
{
    dfu_client_state_t st;
    int rc;
    char cmd[32];
    snprintf(cmd, sizeof(cmd), "image %s", verb);
    if (strcmp(verb, "list") == 0) {
        if ((rc = dfu_client_state_read(c, &st)) != DFU_OK) {
            return report_fail(c, o, cmd, rc);
        }
        print_state(&st, o->json, cmd);
        return DFU_EXIT_OK;
    }
    if (strcmp(verb, "upload") == 0) {
        return image_upload(c, o);
    }
    if (strcmp(verb, "slots") == 0) {
        return image_slots(c, o);
    }
    if (strcmp(verb, "erase") == 0) {
        long slot = -1;
        if (o->npos > 1 && parse_int(o->pos[1], 0, 15, &slot) != 0) {
            fprintf(stderr, "dfukit image erase: SLOT is a number (0..15)\n");
            return DFU_EXIT_USAGE;
        }
        if ((rc = dfu_client_erase(c, (int)slot)) != DFU_OK) {
            return report_fail(c, o, cmd, rc);
        }
        if (o->json) {
            dfu_json_t j;
            json_head(&j, cmd);
            dfu_json_key(&j, "slot");
            dfu_json_int(&j, slot);
            json_tail(&j);
        } else {
            printf("erased slot %s\n", slot < 0 ? "1 (default)" : o->pos[1]);
        }
        return DFU_EXIT_OK;
    }
    /* test / confirm */
    bool confirm = strcmp(verb, "confirm") == 0;
    uint8_t hash[32];
    const uint8_t *h = NULL;
    if (o->npos > 1) {
        if (dfu_client_unhex(o->pos[1], hash, sizeof(hash)) != 32) {
            fprintf(stderr, "dfukit %s: HASH must be 64 hex digits (see 'dfukit image list')\n",
                    cmd);
            return DFU_EXIT_USAGE;
        }
        h = hash;
    } else if (!confirm) {
        fprintf(stderr, "dfukit image test: give the HASH of the image to test\n");
        return DFU_EXIT_USAGE;
    }
    if ((rc = dfu_client_state_write(c, h, confirm, &st)) != DFU_OK) {
        return report_fail(c, o, cmd, rc);
    }
    if (!o->json) {
        printf("%s: done\n", cmd);
    }
    print_state(&st, o->json, cmd);
    return DFU_EXIT_OK;
}

/* ---- entry points
 * -------------------------------------------------------------------------------- */

static dfu_client_mode_t parse_mode(const char *m, bool *ok)
{
    *ok = true;
    if (m == NULL || strcmp(m, "test-confirm") == 0) {
        return DFU_MODE_TEST_CONFIRM;
    }
    if (strcmp(m, "confirm-only") == 0) {
        return DFU_MODE_CONFIRM_ONLY;
    }
    if (strcmp(m, "test-only") == 0) {
        return DFU_MODE_TEST_ONLY;
    }
    if (strcmp(m, "upload-only") == 0) {
        return DFU_MODE_UPLOAD_ONLY;
    }
    *ok = false;
    return DFU_MODE_TEST_CONFIRM;
}

static int run_update(dfu_client_t *c, const opts_t *o)
{
    if (o->npos < 1) {
        fprintf(stderr, "dfukit update: give the image FILE\n");
        return DFU_EXIT_USAGE;
    }
    dfu_client_update_cfg_t uc;
    memset(&uc, 0, sizeof(uc));
    bool ok = false;
    uc.mode = parse_mode(o->mode, &ok);
    if (!ok) {
        fprintf(stderr, "dfukit update: --mode is test-confirm, confirm-only, test-only or "
                        "upload-only\n");
        return DFU_EXIT_USAGE;
    }
    uc.clear = o->clear;
    uc.json = o->json;
    uc.tty = !o->json && isatty(STDOUT_FILENO);
    uc.out = stdout;
    uc.window = o->window;
    uc.image = o->image;
    uc.wait_s = o->wait_s;
    return dfu_client_update(c, o->pos[0], &uc);
}

static int client_main(int argc, char **argv, bool image)
{
    opts_t o;
    int rc = parse(argc, argv, &o);
    if (rc != 0) {
        return rc < 0 ? DFU_EXIT_OK : rc;
    }
    const char *verb = argv[0];
    if (image) {
        static const char *const ok[] = {"list", "upload", "test", "confirm", "erase", "slots"};
        bool found = false;
        for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
            found = found || strcmp(verb, ok[i]) == 0;
        }
        if (!found) {
            fprintf(stderr, "dfukit image: unknown device verb '%s'\n", verb);
            return DFU_EXIT_USAGE;
        }
        /* pos[0] is the verb itself for image commands, keep positions aligned */
        memmove(&o.pos[1], &o.pos[0], sizeof(o.pos[0]) * 3);
        o.pos[0] = verb;
        o.npos = o.npos < 4 ? o.npos + 1 : 4;
    }
    if (!image && strcmp(verb, "update") == 0 && o.npos < 1) {
        fprintf(stderr, "dfukit update: give the image FILE (see --help)\n");
        return DFU_EXIT_USAGE;
    }
    static dfu_client_t c; /* large receive buffer: keep it off the stack */
    int r = connect(&c, &o, verb);
    if (r >= 0) {
        return r;
    }
    if (image) {
        r = image_verb(&c, &o, verb);
    } else if (strcmp(verb, "update") == 0) {
        r = run_update(&c, &o);
    } else if (strcmp(verb, "doctor") == 0) {
        r = dfu_client_doctor(&c, o.json, stdout);
    } else {
        r = run_os(&c, &o, verb);
    }
    dfu_client_close(&c);
    return r;
}

int dfu_cli_client(int argc, char **argv)
{
    return client_main(argc, argv, false);
}

int dfu_cli_client_image(int argc, char **argv)
{
    return client_main(argc, argv, true);
}
