/*
 * The device (SMP client) verbs: the verb table, the option tables (global options valid before
 * or after the verb, and each verb's own), parsing, help pages, connecting, and the OS verbs
 * (echo, reset, params, info, bootloader), update and doctor. Image verbs: cmd_client_image.c.
 * Adding a verb = one entry in dfu_cli_verbs; adding an option = one entry in
 * dfu_cli_verb_opts (with the verbs it belongs to) or dfu_cli_global_opts.
 */
#include "cmd_client.h"

#include <errno.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"

/* ---- tables ------------------------------------------------------------------------------ */

const cli_opt_t dfu_cli_global_opts[] = {
    {.s = "-c",
     .l = "--conn",
     .nargs = 1,
     .meta = "CONN",
     .help = "the device to talk to (see connections); default: $DFUKIT_CONN;\n"
             "update takes it several times: every device is updated at once"},
    {.s = "-t",
     .l = "--timeout",
     .nargs = 1,
     .meta = "SEC",
     .kind = CLI_SECONDS,
     .hi = 3600,
     .help = "seconds to wait for each answer (default 3; the first upload\nchunk waits 3x as "
             "long)"},
    {.l = "--retries",
     .nargs = 1,
     .meta = "N",
     .kind = CLI_UINT,
     .hi = 100,
     .help = "resends of a request after a timeout (default 2)"},
    {.l = "--json",
     .help = "machine output on stdout: one JSON document (update: one NDJSON\nevent per line), "
             "also on failure"},
    {.s = "-v",
     .l = "--verbose",
     .help = "log every SMP exchange on stderr, one line each: group, id,\nseq, sizes, rc (and "
             "every timeout and resend)"},
    {.l = "--version", .help = "print dfukit's version and exit"},
};
const size_t dfu_cli_nglobal = CLI_ARRAY_LEN(dfu_cli_global_opts);

/* In dfu_client_mode_t order. */
#define UPDATE_MODES "test-confirm|confirm-only|test-only|upload-only"

const cli_opt_t dfu_cli_verb_opts[] = {
    {.l = "--force", .verbs = "reset", .help = "reset even if the application refuses it (busy)"},
    {.l = "--boot-mode",
     .nargs = 1,
     .meta = "N",
     .verbs = "reset",
     .kind = CLI_UINT,
     .hi = 255,
     .help = "boot mode to ask the bootloader for (0..255; 1 = stay in the\nbootloader, if "
             "supported)"},
    {.l = "--adapter",
     .nargs = 1,
     .meta = "hciN",
     .verbs = "scan",
     .help = "the Bluetooth adapter to scan with (default: BlueZ's first)"},
    {.l = "--last-boot",
     .verbs = "bootloader",
     .help = "what the bootloader did at the last boot and why (the device's\nboot record)"},
    {.l = "--log",
     .verbs = "bootloader",
     .help = "the boot records the device keeps (newest first)"},
    {.l = "--format",
     .nargs = 1,
     .meta = "LETTERS",
     .verbs = "info",
     .help = "what to print: s kernel, n node, r release, v version, b build,\nm machine, "
             "p processor, i platform, o OS, a all (default s)"},
    {.l = "--image",
     .nargs = 1,
     .meta = "N",
     .verbs = "image upload|update",
     .kind = CLI_UINT,
     .hi = 15,
     .help = "image number on multi-image devices (0..15, default 0)"},
    {.l = "--upgrade",
     .verbs = "image upload",
     .help = "ask the device to refuse an image that is not newer"},
    {.l = "--window",
     .nargs = 1,
     .meta = "N",
     .verbs = "image upload|update",
     .kind = CLI_UINT,
     .lo = 1,
     .hi = 32,
     .help = "upload requests in flight (1..32; default: grows up to the\ndevice's buf_count)"},
    {.l = "--mode",
     .nargs = 1,
     .meta = "MODE",
     .verbs = "update",
     .choices = UPDATE_MODES,
     .help = "how far to go (default test-confirm):\n"
             "test-confirm  mark for a test boot, reset, check it runs, confirm:\n"
             "              the image is kept only once it booted and answered\n"
             "confirm-only  mark permanent, reset, check: no revert is possible\n"
             "test-only     mark for a test boot, reset, check, do not confirm:\n"
             "              it reverts at the next reset unless it confirms itself\n"
             "upload-only   upload to slot 1 and stop: nothing happens at reset\n"
             "              until the image is marked ('dfukit image test HASH')"},
    {.l = "--clear",
     .verbs = "update",
     .help = "free a blocked slot 1 first instead of stopping: erase an image\n"
             "scheduled in slot 1 (cancels that swap), or reset a running\n"
             "unconfirmed test image so MCUboot reverts it (slot 1 holds its\n"
             "revert image until then)"},
    {.l = "--wait",
     .nargs = 1,
     .meta = "SEC",
     .verbs = "update",
     .kind = CLI_UINT,
     .hi = 3600,
     .help = "seconds to wait for the device after the reset (default: 3x the\nestimated swap "
             "time + 15 s)"},
    {.l = "--devices",
     .nargs = 1,
     .meta = "FILE",
     .verbs = "update",
     .help = "update every device listed in FILE too: one connection string\n"
             "per line, '#' starts a comment, blank lines are skipped"},
    {.l = "--parallel",
     .nargs = 1,
     .meta = "N",
     .verbs = "update",
     .kind = CLI_UINT,
     .lo = 1,
     .hi = 4096,
     .help = "with several devices: update at most N at once (default: all)"},
};
const size_t dfu_cli_nverb_opts = CLI_ARRAY_LEN(dfu_cli_verb_opts);

static int run_echo(cli_run_t *r);
static int run_reset(cli_run_t *r);
static int run_params(cli_run_t *r);
static int run_info(cli_run_t *r);
static int run_bootloader(cli_run_t *r);
static int run_update(cli_run_t *r);
static int run_doctor(cli_run_t *r);
static int run_update_many(cli_run_t *r, char **conns, size_t n);

#define EXIT_DEVICE                                                                                \
    "0 done\n1 the device refused the request (the message says why and what to do)\n"             \
    "2 usage error\n4 no answer: connection failure or timeout\n130 interrupted (Ctrl-C)"
#define EXIT_READ                                                                                  \
    "0 done\n1 the device refused the request\n2 usage error\n"                                    \
    "4 no answer: connection failure or timeout\n130 interrupted (Ctrl-C)"

const cli_verb_t dfu_cli_verbs[] = {
    {"update", "FILE", 1, 1, run_update, 0, "safe end-to-end firmware update (re-run to resume)",
     "Updates the device to the signed image FILE (as written by 'dfukit image sign': .bin or "
     "Intel .hex), safely and resumably. It reads the device (params, bootloader mode, image "
     "state, slot sizes), checks FILE against it (fits the slot, not a refused downgrade), "
     "uploads it to slot 1, marks it (test or permanent, see --mode), resets the device, waits "
     "for it, checks that the new image runs and confirms it. Each run starts from what the "
     "device reports, so running the same command again after any interruption continues where "
     "the last one stopped (an interrupted upload resumes at the bytes the device kept). The "
     "last line is the verdict: what the device now does, and the next step. Several devices "
     "(--conn more than once, --devices FILE) are updated at once, each independently with the "
     "same flow (at most --parallel N at a time): one live line per device on a terminal, else "
     "each device's lines prefixed with its connection ([CONN]), --json events with a \"device\" "
     "field; then a summary table: device, version before -> after, verdict, time, and why and "
     "the fix for each failure.",
     "0 done: the device runs FILE (confirmed, except test-only / upload-only); several devices: "
     "every one of them\n"
     "1 the update stopped (the verdict says where, what the device now does, what to do); "
     "several devices: at least one stopped so (and none was interrupted)\n"
     "2 usage error\n"
     "4 the device did not answer, or the link failed; several devices: every failure was "
     "that\n"
     "130 interrupted (Ctrl-C): run the same command again to resume"},
    {"doctor", "", 0, 0, run_doctor, 0, "explain the device's DFU state and how to fix it",
     "Reads everything the device tells about DFU (link security, SMP buffers, bootloader "
     "mode, slot sizes and the usable image size, image state) and explains it: what each slot "
     "holds, what MCUboot does at the next reset, and for every stuck state its cause and the "
     "exact fix. Changes nothing: the one write it sends (an image state write without a hash, "
     "which the device refuses) only probes whether this link may write.",
     "0 healthy\n1 problems found (each printed with its fix)\n2 usage error\n"
     "4 the device does not answer\n130 interrupted (Ctrl-C)"},
    {"image list", "", 0, 0, dfu_cli_image_list, 0,
     "slots: version, hash, flags, what happens at the next reset",
     "Reads the image state (image group, command 0) and prints one row per slot: version, "
     "hash, flags (active, confirmed, pending, permanent), what happens to the slot at the next "
     "reset, then the full hashes. Changes nothing.",
     EXIT_READ},
    {"image upload", "FILE", 1, 1, dfu_cli_image_upload, 0, "upload a signed image to slot 1",
     "Writes the signed image FILE (.bin or Intel .hex) into slot 1 (the device erases slot 1 "
     "as the upload goes). An interrupted upload of the same file resumes at the bytes the "
     "device kept. An image that was scheduled in slot 1 is replaced, and its scheduled swap "
     "with it (said so). The uploaded image is not marked: 'dfukit image test HASH' and "
     "'dfukit reset' boot it ('dfukit update' does all of it).",
     EXIT_DEVICE},
    {"image test", "HASH", 1, 1, dfu_cli_image_mark, 0, "mark an image for a test boot",
     "Marks the image with HASH (64 hex digits, see 'dfukit image list'; normally the slot 1 "
     "image) for a test boot: at the next reset MCUboot swaps it in once; unless it is then "
     "confirmed, the reset after that reverts it.",
     EXIT_DEVICE},
    {"image confirm", "[HASH]", 0, 1, dfu_cli_image_mark, 0,
     "keep the running image (or schedule a permanent swap)",
     "Without HASH: confirms the running image, so MCUboot keeps it (no revert at the next "
     "reset). With the HASH of the slot 1 image: schedules a permanent swap at the next reset "
     "(no revert possible).",
     EXIT_DEVICE},
    {"image erase", "[SLOT]", 0, 1, dfu_cli_image_erase, 0, "erase slot 1",
     "Erases SLOT (default: slot 1, the upload slot), cancelling a swap scheduled for its "
     "image. Slot 0 holds the running image: the device never erases it. Slot 1 cannot be "
     "erased while it holds the image MCUboot reverts to (the running image is an unconfirmed "
     "test image).",
     EXIT_DEVICE},
    {"image slots", "", 0, 0, dfu_cli_image_slots, 0, "slot sizes and the largest image accepted",
     "Reads the slot sizes (image group, command 6) and the largest image the device accepts, "
     "which is smaller than slot 1 because MCUboot keeps the end of the slot for its trailer "
     "(and, with swap-using-move, a spare sector). Changes nothing.",
     EXIT_READ},
    {"scan", "", 0, 0, dfu_cli_scan_run, CLI_VERB_OFFLINE,
     "list Bluetooth LE devices advertising the SMP service (BlueZ)",
     "Lists the Bluetooth LE devices that advertise the SMP service (MCUmgr) and that BlueZ sees "
     "within -t/--timeout seconds (default 5 here): address, RSSI, paired, name. Give the "
     "address or the name to --conn ble:TARGET[,passkey=NNNNNN]. Connects to no device.",
     "0 ok (also when nothing was found)\n1 BlueZ refused the scan\n2 usage error\n"
     "4 no BlueZ or no adapter"},
    {"echo", "[TEXT]", 0, 1, run_echo, 0, "round trip TEXT through the device",
     "Sends TEXT (default \"hello\") with the OS echo command and prints the answer. Changes "
     "nothing.",
     EXIT_READ},
    {"reset", "", 0, 0, run_reset, 0, "reset the device",
     "Asks the device to reset (OS group, command 5): it answers, then reboots. MCUboot then "
     "runs and applies a scheduled swap or reverts an unconfirmed test image (see 'dfukit image "
     "list', column 'at next reset').",
     EXIT_DEVICE},
    {"params", "", 0, 0, run_params, 0, "the device's SMP buffer size and count",
     "Reads the SMP buffer parameters (OS group, command 6): the largest request the device "
     "takes and how many it buffers. Without that command the client's fallback values are "
     "shown (and said so). Changes nothing.",
     EXIT_READ},
    {"info", "[LETTERS]", 0, 1, run_info, 0, "OS and application information",
     "Reads OS/application information (OS group, command 7), like uname. Changes nothing.",
     EXIT_READ},
    {"bootloader", "", 0, 0, run_bootloader, 0, "bootloader name, MCUboot mode, downgrade policy",
     "Reads the bootloader information (OS group, command 8): name, MCUboot mode and whether "
     "downgrades are refused. Changes nothing.",
     EXIT_READ},
};
const size_t dfu_cli_nverbs = CLI_ARRAY_LEN(dfu_cli_verbs);

const cli_verb_t *dfu_cli_client_find(const char *w1, const char *w2, int *words)
{
    for (size_t i = 0; i < dfu_cli_nverbs; i++) {
        const char *n = dfu_cli_verbs[i].name;
        size_t l1 = strlen(w1);
        if (strcmp(n, w1) == 0) {
            *words = 1;
            return &dfu_cli_verbs[i];
        }
        if (w2 != NULL && strncmp(n, w1, l1) == 0 && n[l1] == ' ' && strcmp(n + l1 + 1, w2) == 0) {
            *words = 2;
            return &dfu_cli_verbs[i];
        }
    }
    return NULL;
}

/* ---- help ---------------------------------------------------------------------------------- */

/* Prints `text` wrapped at 96 columns, each line indented by `indent`. */
static void wrap(FILE *out, const char *text, int indent)
{
    const int width = 96;
    const char *p = text;
    while (*p) {
        int col = indent, len = 0, last_space = -1;
        while (p[len] && p[len] != '\n' && col < width) {
            if (p[len] == ' ') {
                last_space = len;
            }
            len++;
            col++;
        }
        if (p[len] && p[len] != '\n' && last_space > 0) {
            len = last_space;
        }
        fprintf(out, "%*s%.*s\n", indent, "", len, p);
        p += len;
        while (*p == ' ' || *p == '\n') {
            p++;
        }
    }
}

void dfu_cli_verb_help(FILE *out, const cli_verb_t *v)
{
    fprintf(out, "usage: dfukit %s%s%s", v->name, v->args[0] ? " " : "", v->args);
    bool any = false;
    for (size_t i = 0; i < dfu_cli_nverb_opts; i++) {
        if (cli_opt_applies(&dfu_cli_verb_opts[i], v->name)) {
            any = true;
        }
    }
    fprintf(out, "%s [global options]\n\n%s\n", any ? " [options]" : "", v->summary);
    wrap(out, v->about, 2);
    if (any) {
        fprintf(out, "\noptions:\n");
        cli_opts_help(out, dfu_cli_verb_opts, dfu_cli_nverb_opts, v->name);
    }
    fprintf(out, "\nglobal options (before or after the verb; see 'dfukit --help'):\n  ");
    for (size_t i = 0; i < dfu_cli_nglobal; i++) {
        const cli_opt_t *o = &dfu_cli_global_opts[i];
        fprintf(out, "%s%s%s%s%s%s", i ? ", " : "", o->s ? o->s : "", o->s ? "/" : "", o->l,
                o->meta ? " " : "", o->meta ? o->meta : "");
    }
    fprintf(out, "\n\nexit codes:\n");
    wrap(out, v->exits, 2);
}

void dfu_cli_client_list(FILE *out, const char *prefix)
{
    for (size_t i = 0; i < dfu_cli_nverbs; i++) {
        const cli_verb_t *v = &dfu_cli_verbs[i];
        if (strncmp(v->name, prefix, strlen(prefix)) == 0) {
            char syn[64];
            snprintf(syn, sizeof(syn), "%s%s%s", v->name, v->args[0] ? " " : "", v->args);
            fprintf(out, "  %-24s %s\n", syn, v->summary);
        }
    }
}

void dfu_cli_conn_help(FILE *out)
{
    size_t n = 0;
    const dfu_client_conn_kind_t *k = dfu_client_conn_kinds(&n);
    for (size_t i = 0; i < n; i++) {
        fprintf(out, "  %-26s %s\n", k[i].synopsis, k[i].help);
    }
}

/* ---- output helpers ------------------------------------------------------------------------ */

int dfu_cli_report_fail(dfu_client_t *c, const cli_run_t *r, const char *cmd, int rc)
{
    if (rc == DFU_ERR_CANCELLED && !r->json) {
        fprintf(stderr, "dfukit %s: interrupted; run the same command again\n", cmd);
        return DFU_EXIT_INTERRUPTED;
    }
    if (c->err.code == 0) {
        c->err.code = rc;
        c->err.group = -1;
        snprintf(c->err.what, sizeof(c->err.what), "%s", cmd);
    }
    /* 9 / 28 / rc 6: say what state the device is in and what to do about it */
    dfu_client_diag_t dg;
    bool diag = dfu_client_err_is_state(&c->err) && dfu_client_diagnose(c, &dg) == 1;
    if (r->json) {
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
    return dfu_client_exit_code(rc);
}

void dfu_cli_json_head(dfu_json_t *j, const char *cmd)
{
    dfu_json_init(j, stdout);
    dfu_json_obj(j);
    dfu_json_key(j, "command");
    dfu_json_str(j, cmd);
    dfu_json_key(j, "ok");
    dfu_json_bool(j, true);
}

void dfu_cli_json_tail(dfu_json_t *j)
{
    dfu_json_obj_end(j);
    dfu_json_end(j);
}

/* ---- OS verbs ------------------------------------------------------------------------------ */

static int run_echo(cli_run_t *r)
{
    char out[1024];
    const char *text = r->a->npos ? r->a->pos[0] : "hello";
    int rc = dfu_client_echo(r->c, text, out, sizeof(out));
    if (rc != DFU_OK) {
        return dfu_cli_report_fail(r->c, r, "echo", rc);
    }
    if (r->json) {
        dfu_json_t j;
        dfu_cli_json_head(&j, "echo");
        dfu_json_key(&j, "echo");
        dfu_json_str(&j, out);
        dfu_cli_json_tail(&j);
    } else {
        printf("%s\n", out);
    }
    return DFU_EXIT_OK;
}

static int run_reset(cli_run_t *r)
{
    bool force = cli_flag(r->a, "--force");
    int mode = (int)cli_num(r->a, "--boot-mode", -1);
    int rc = dfu_client_reset(r->c, force, mode);
    if (rc != DFU_OK) {
        return dfu_cli_report_fail(r->c, r, "reset", rc);
    }
    if (r->json) {
        dfu_json_t j;
        dfu_cli_json_head(&j, "reset");
        dfu_json_key(&j, "force");
        dfu_json_bool(&j, force);
        dfu_json_key(&j, "boot_mode");
        dfu_json_int(&j, mode < 0 ? 0 : mode);
        dfu_cli_json_tail(&j);
    } else {
        printf("reset: the device accepted the reset and reboots now\n");
    }
    return DFU_EXIT_OK;
}

static int run_params(cli_run_t *r)
{
    dfu_client_params_t p;
    int rc = dfu_client_params(r->c, &p);
    if (rc != DFU_OK) {
        return dfu_cli_report_fail(r->c, r, "params", rc);
    }
    if (r->json) {
        dfu_json_t j;
        dfu_cli_json_head(&j, "params");
        dfu_json_key(&j, "buf_size");
        dfu_json_int(&j, p.buf_size);
        dfu_json_key(&j, "buf_count");
        dfu_json_int(&j, p.buf_count);
        dfu_json_key(&j, "supported");
        dfu_json_bool(&j, p.supported);
        dfu_cli_json_tail(&j);
    } else {
        printf("buf_size %u\nbuf_count %u%s\n", p.buf_size, p.buf_count,
               p.supported ? ""
                           : "\n(the device has no params command: values are the "
                             "client's fallback)");
    }
    return DFU_EXIT_OK;
}

static int run_info(cli_run_t *r)
{
    char out[512];
    const char *fmt = cli_str(r->a, "--format", r->a->npos ? r->a->pos[0] : NULL);
    int rc = dfu_client_info(r->c, fmt, out, sizeof(out));
    if (rc != DFU_OK) {
        return dfu_cli_report_fail(r->c, r, "info", rc);
    }
    if (r->json) {
        dfu_json_t j;
        dfu_cli_json_head(&j, "info");
        dfu_json_key(&j, "output");
        dfu_json_str(&j, out);
        dfu_cli_json_tail(&j);
    } else {
        printf("%s\n", out);
    }
    return DFU_EXIT_OK;
}

static int run_bootloader(cli_run_t *r)
{
    bool last_boot = cli_flag(r->a, "--last-boot"), boot_log = cli_flag(r->a, "--log");
    if (last_boot || boot_log) {
        int rc = dfu_cli_bootrec(r->c, last_boot, boot_log, r->json);
        return rc < 0 ? dfu_cli_report_fail(r->c, r, "bootloader", rc) : rc;
    }
    dfu_client_boot_t b;
    int rc = dfu_client_bootloader(r->c, &b);
    if (rc != DFU_OK) {
        return dfu_cli_report_fail(r->c, r, "bootloader", rc);
    }
    if (r->json) {
        dfu_json_t j;
        dfu_cli_json_head(&j, "bootloader");
        dfu_json_key(&j, "bootloader");
        dfu_json_str(&j, b.name);
        dfu_json_key(&j, "mode");
        dfu_json_int(&j, b.mode);
        dfu_json_key(&j, "no_downgrade");
        dfu_json_bool(&j, b.no_downgrade);
        dfu_cli_json_tail(&j);
    } else {
        printf("bootloader %s\nmode %d\nno-downgrade %s\n", b.name[0] ? b.name : "unknown", b.mode,
               b.no_downgrade ? "yes" : "no");
    }
    return DFU_EXIT_OK;
}

/* ---- update / doctor ----------------------------------------------------------------------- */

static void update_cfg(const cli_run_t *r, dfu_client_update_cfg_t *uc_out)
{
    dfu_client_update_cfg_t uc;
    memset(&uc, 0, sizeof(uc));
    /* checked by the parser against the option's choices */
    uc.mode =
        (dfu_client_mode_t)cli_list_index(UPDATE_MODES, cli_str(r->a, "--mode", "test-confirm"));
    uc.clear = cli_flag(r->a, "--clear");
    uc.json = r->json;
    uc.tty = !r->json && isatty(STDOUT_FILENO);
    uc.out = stdout;
    uc.window = (unsigned)cli_num(r->a, "--window", 0);
    uc.image = (int)cli_num(r->a, "--image", 0);
    uc.wait_s = (int)cli_num(r->a, "--wait", 0);
    *uc_out = uc;
}

static int run_update(cli_run_t *r)
{
    dfu_client_update_cfg_t uc;
    update_cfg(r, &uc);
    return dfu_client_update(r->c, r->a->pos[0], &uc);
}

static int run_doctor(cli_run_t *r)
{
    return dfu_client_doctor(r->c, r->json, stdout);
}

/* ---- parse, connect, run ------------------------------------------------------------------- */

/* SIGINT: the first one asks the client to stop at its next wait (it then says where it stopped
 * and exits 130); a second one exits at once. */
static atomic_int interrupted;
_Static_assert(ATOMIC_INT_LOCK_FREE == 2,
               "the SIGINT flag must be lock-free to be set in a handler");

static void on_sigint(int sig)
{
    (void)sig;
    if (interrupted) {
        _exit(DFU_EXIT_INTERRUPTED);
    }
    interrupted = 1;
}

static void catch_sigint(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_sigint; /* no SA_RESTART: a blocking wait returns at once */
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
}

/* The connections given: every --conn (in order), then the lines of --devices FILE. Returns -1
 * (list in *list, *n entries, heap) or a usage exit code after saying what is wrong. */
static int conn_list(const cli_args_t *a, const char *who, char ***list, size_t *n)
{
    size_t cap = 8, k = 0;
    char **v = malloc(cap * sizeof(*v));
    int rc = -1;
    for (size_t i = 0; v != NULL && i < a->nhit; i++) {
        if (strcmp(a->hit[i].opt->l, "--conn") == 0) {
            v[k++] = strdup(a->hit[i].v[0]);
            if (k == cap) {
                char **w = realloc(v, (cap *= 2) * sizeof(*v));
                v = w ? w : v;
                k = w ? k : k - 1;
            }
        }
    }
    const char *file = cli_str(a, "--devices", NULL);
    FILE *f = file != NULL ? fopen(file, "r") : NULL;
    if (file != NULL && f == NULL) {
        fprintf(stderr, "%s: cannot read --devices %s: %s (see '%s --help')\n", who, file,
                strerror(errno), who);
        rc = DFU_EXIT_USAGE;
    }
    char line[1024];
    for (int ln = 1; v != NULL && f != NULL && fgets(line, sizeof(line), f) != NULL; ln++) {
        char *p = line + strspn(line, " \t\r\n");
        char *hash = strchr(p, '#');
        if (hash != NULL) {
            *hash = '\0';
        }
        size_t len = strcspn(p, "\r\n");
        while (len > 0 && (p[len - 1] == ' ' || p[len - 1] == '\t' || p[len - 1] == '\r')) {
            len--;
        }
        p[len] = '\0';
        if (len == 0) {
            continue;
        }
        if (strcspn(p, " \t") != len) {
            fprintf(stderr,
                    "%s: %s line %d: '%s' is not one connection string (one per line, no "
                    "spaces)\n",
                    who, file, ln, p);
            rc = DFU_EXIT_USAGE;
            break;
        }
        v[k++] = strdup(p);
        if (k == cap) {
            char **w = realloc(v, (cap *= 2) * sizeof(*v));
            v = w ? w : v;
            k = w ? k : k - 1;
        }
    }
    if (f != NULL) {
        fclose(f);
    }
    if (v == NULL) {
        fprintf(stderr, "%s: out of memory\n", who);
        return DFU_EXIT_FAIL;
    }
    for (size_t i = 0; rc < 0 && i < k; i++) {
        for (size_t j = 0; j < i && rc < 0; j++) {
            if (v[i] != NULL && v[j] != NULL && strcmp(v[i], v[j]) == 0) {
                fprintf(stderr,
                        "%s: the device %s is given twice (--conn / --devices): two updates of "
                        "one device would take over each other's upload\n",
                        who, v[i]);
                rc = DFU_EXIT_USAGE;
            }
        }
    }
    *list = v;
    *n = k;
    return rc;
}

static void conn_list_free(char **v, size_t n)
{
    for (size_t i = 0; v != NULL && i < n; i++) {
        free(v[i]);
    }
    free(v);
}

static void client_cfg(const cli_run_t *r, dfu_client_cfg_t *cfg)
{
    memset(cfg, 0, sizeof(*cfg));
    cfg->timeout_ms = (int)(cli_num(r->a, "--timeout", 0) * 1000);
    int retries = (int)cli_num(r->a, "--retries", 2);
    cfg->retries = retries == 0 ? -1 : retries;
    cfg->log = cli_flag(r->a, "--verbose") ? stderr : NULL;
    cfg->cancel = &interrupted;
}

/* A connection string that does not parse (dfu_client_parse_conn / _open said DFU_ERR_INVAL):
 * "WHO: bad WHAT 'CONN': what is wrong; CONN is one of:" and the kinds. c->conn is the string
 * with a passkey's digits masked (logs keep no secret). Returns the usage exit code. */
static int bad_conn_usage(const char *who, const char *what, const dfu_client_t *c)
{
    fprintf(stderr, "%s: bad %s '%s': %s; CONN is one of:\n", who, what, c->conn,
            c->err.detail[0] ? c->err.detail : "not understood");
    dfu_cli_conn_help(stderr);
    return DFU_EXIT_USAGE;
}

static int connect(dfu_client_t *c, const cli_run_t *r, const char *conn)
{
    const char *cmd = r->verb->name;
    if (conn == NULL) {
        fprintf(stderr,
                "dfukit %s: no connection given: use -c/--conn CONN (before or after the verb) "
                "or set DFUKIT_CONN; CONN is one of:\n",
                cmd);
        dfu_cli_conn_help(stderr);
        return DFU_EXIT_USAGE;
    }
    dfu_client_cfg_t cfg;
    client_cfg(r, &cfg);
    cfg.conn = conn;
    int rc = dfu_client_open(c, &cfg);
    if (rc == DFU_ERR_INVAL) {
        char who[64];
        snprintf(who, sizeof(who), "dfukit %s", cmd);
        return bad_conn_usage(who, "--conn", c);
    }
    if (rc != DFU_OK) {
        return dfu_cli_report_fail(c, r, cmd, rc); /* c->err says what was observed */
    }
    return -1;
}

int dfu_cli_client(const cli_verb_t *v, int npre, char **pre, int argc, char **argv)
{
    static cli_args_t a; /* large: keep it off the stack */
    memset(&a, 0, sizeof(a));
    char who[64];
    snprintf(who, sizeof(who), "dfukit %s", v->name);
    const cli_optset_t sets[] = {{dfu_cli_verb_opts, dfu_cli_nverb_opts, v->name},
                                 {dfu_cli_global_opts, dfu_cli_nglobal, NULL}};
    int rc = cli_parse(&a, who, &sets[1], 1, npre, pre, 0);
    rc = rc ? rc : cli_parse(&a, who, sets, 2, argc, argv, v->max_pos);
    if (rc != 0) {
        return rc;
    }
    if (cli_flag(&a, "--version")) {
        printf("dfukit %s\n", DFU_VERSION);
        return DFU_EXIT_OK;
    }
    if (a.help) {
        dfu_cli_verb_help(stdout, v);
        return DFU_EXIT_OK;
    }
    if (a.npos < v->min_pos) {
        fprintf(stderr, "%s: give %s (see '%s --help')\n", who, v->args, who);
        return DFU_EXIT_USAGE;
    }
    cli_run_t r = {.verb = v, .a = &a, .c = NULL, .json = cli_flag(&a, "--json")};
    if (v->flags & CLI_VERB_OFFLINE) {
        return v->run(&r);
    }
    char **conns = NULL;
    size_t nconn = 0;
    rc = conn_list(&a, who, &conns, &nconn);
    if (rc < 0 && nconn > 1 && v->run != run_update) {
        fprintf(stderr,
                "%s: --conn given %zu times: only 'dfukit update' takes several devices (see "
                "'%s --help')\n",
                who, nconn, who);
        rc = DFU_EXIT_USAGE;
    }
    if (rc < 0 && nconn == 0 && cli_get(&a, "--devices") != NULL) {
        fprintf(stderr, "%s: --devices %s lists no device (see '%s --help')\n", who,
                cli_str(&a, "--devices", ""), who);
        rc = DFU_EXIT_USAGE;
    }
    if (rc < 0 && nconn > 1) {
        rc = run_update_many(&r, conns, nconn);
    }
    const char *one = nconn == 1 ? conns[0] : getenv("DFUKIT_CONN");
    static dfu_client_t c; /* large receive buffer: keep it off the stack */
    r.c = &c;
    catch_sigint();
    rc = rc >= 0 ? rc : connect(&c, &r, one);
    conn_list_free(conns, nconn);
    if (rc >= 0) {
        return rc;
    }
    rc = v->run(&r);
    dfu_client_close(&c);
    return rc;
}

static int run_update_many(cli_run_t *r, char **conns, size_t n)
{
    char who[64];
    snprintf(who, sizeof(who), "dfukit %s", r->verb->name);
    dfu_client_t *probe = calloc(1, sizeof(*probe));
    for (size_t i = 0; probe != NULL && i < n; i++) {
        if (dfu_client_parse_conn(probe, conns[i]) != DFU_OK) {
            int code = bad_conn_usage(who, "connection", probe);
            free(probe);
            return code;
        }
    }
    free(probe);
    dfu_client_many_cfg_t mc;
    memset(&mc, 0, sizeof(mc));
    mc.conns = (const char *const *)conns;
    mc.n = n;
    mc.parallel = (unsigned)cli_num(r->a, "--parallel", 0);
    client_cfg(r, &mc.client);
    update_cfg(r, &mc.update);
    catch_sigint();
    return dfu_client_update_many(r->a->pos[0], &mc);
}
