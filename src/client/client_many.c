/*
 * `dfukit update FILE --conn C1 --conn C2 ...`: the update of several devices at once.
 *
 * Each device gets its own thread and its own client (dfu_client_t, opened on its connection) and
 * runs the same dfu_client_update() as a single device: nothing is shared between devices but the
 * file name, the settings, the cancel flag (SIGINT stops every device, each says where) and the
 * output. At most `parallel` devices run at once (worker threads take the next device). One
 * device failing, timing out or needing --clear ends that device only.
 *
 * Output (the devices' events arrive from their threads):
 *   - live terminal view (update.tty): one line per device (connection, step, percent, speed),
 *     redrawn in place with ANSI cursor movement, under one mutex;
 *   - plain lines: dfu_client_update's own lines, each prefixed "[connection] " (stdio locks keep
 *     lines whole);
 *   - NDJSON (update.json): its events with a "device" field.
 * Then the summary: a table (device, old version -> version now, verdict, time, and why + fix for
 * each failure, taken from the verdict the device's run produced) or NDJSON "result" events (one
 * per device) and one "summary" event.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "dfu_client.h"

#define EXIT_OK 0
#define EXIT_FAIL 1
#define EXIT_CONN 4
#define EXIT_INTERRUPTED 130

typedef struct many many_t;

typedef struct {
    many_t *m;
    const char *conn;
    char name[256]; /* masked connection string */
    /* live view (under m->lock) */
    char step[16], status[8], msg[256];
    bool uploading;
    double pct, kBps;
    /* the result (written by the device's thread before it ends) */
    bool finished;
    int code;
    char outcome[16];
    char summary[1400];
    char fix[700];
    char old_v[40], now_v[40];
    double seconds;
} many_dev_t;

struct many {
    const dfu_client_many_cfg_t *cfg;
    const char *path;
    FILE *out;
    many_dev_t *d;
    size_t n;
    pthread_mutex_t lock;
    size_t next;       /* next device a worker takes (under lock) */
    int drawn;         /* lines of the live view on screen */
    uint64_t drawn_us; /* when it was last drawn */
    int width;         /* terminal columns */
};

int dfu_client_many_exit(const int *codes, size_t n)
{
    bool fail = false, conn = false, intr = false;
    for (size_t i = 0; i < n; i++) {
        intr |= codes[i] == EXIT_INTERRUPTED;
        conn |= codes[i] == EXIT_CONN;
        fail |= codes[i] != EXIT_OK && codes[i] != EXIT_CONN && codes[i] != EXIT_INTERRUPTED;
    }
    return intr ? EXIT_INTERRUPTED : fail ? EXIT_FAIL : conn ? EXIT_CONN : EXIT_OK;
}

/* ---- live terminal view ------------------------------------------------------------------ */

/* Redraws every device's line (caller holds m->lock). */
static void draw(many_t *m)
{
    if (m->drawn > 0) {
        fprintf(m->out, "\033[%dA", m->drawn);
    }
    int w = m->width > 40 ? m->width - 1 : 79;
    for (size_t i = 0; i < m->n; i++) {
        const many_dev_t *d = &m->d[i];
        char line[600];
        if (d->finished) {
            snprintf(line, sizeof(line), "%-26.60s %-11s %.1f s  %.300s", d->name, d->outcome,
                     d->seconds, d->code == EXIT_OK ? "" : d->summary);
        } else if (d->uploading) {
            snprintf(line, sizeof(line), "%-26.60s upload   %3.0f%%  %.1f kB/s", d->name, d->pct,
                     d->kBps);
        } else {
            snprintf(line, sizeof(line), "%-26.60s %-8s %-5s %s", d->name,
                     d->step[0] ? d->step : "waiting", d->status, d->msg);
        }
        fprintf(m->out, "\r\033[K%.*s\n", w, line);
    }
    m->drawn = (int)m->n;
    m->drawn_us = dfu_link_now_us();
    fflush(m->out);
}

static void on_event(void *ctx, const dfu_client_update_ev_t *ev)
{
    many_dev_t *d = ctx;
    many_t *m = d->m;
    pthread_mutex_lock(&m->lock);
    bool now = true;
    if (ev->kind == DFU_UPD_EV_PROGRESS) {
        const dfu_client_progress_t *p = ev->progress;
        d->uploading = p->done < p->total;
        d->pct = p->total ? 100.0 * (double)p->done / (double)p->total : 100.0;
        d->kBps = p->kBps;
        now = dfu_link_now_us() - m->drawn_us > 200000u || !d->uploading;
    } else if (ev->kind == DFU_UPD_EV_STEP) {
        d->uploading = false;
        snprintf(d->step, sizeof(d->step), "%s", ev->step);
        snprintf(d->status, sizeof(d->status), "%s", ev->status);
        snprintf(d->msg, sizeof(d->msg), "%s", ev->message);
    } else {
        d->uploading = false;
        d->code = ev->exit_code;
        snprintf(d->outcome, sizeof(d->outcome), "%s", ev->outcome);
        snprintf(d->summary, sizeof(d->summary), "%s", ev->message);
        snprintf(d->fix, sizeof(d->fix), "%s", ev->fix);
        snprintf(d->old_v, sizeof(d->old_v), "%s", ev->old_version);
        snprintf(d->now_v, sizeof(d->now_v), "%s", ev->version_now);
    }
    if (m->cfg->update.tty && now) {
        draw(m);
    }
    pthread_mutex_unlock(&m->lock);
}

/* A device stopped before dfu_client_update ran (the connection, or FILE): its verdict in the
 * output mode's form. device NULL = not one device's; err NULL = no request error. */
static void early_verdict(FILE *out, bool json, const char *device, const char *step,
                          const char *msg, const char *fix, const dfu_client_err_t *err, int code)
{
    flockfile(out);
    if (json) {
        dfu_json_t j;
        dfu_json_init(&j, out);
        dfu_json_obj(&j);
        dfu_json_key(&j, "event");
        dfu_json_str(&j, "verdict");
        if (device != NULL) {
            dfu_json_key(&j, "device");
            dfu_json_str(&j, device);
        }
        dfu_json_key(&j, "ok");
        dfu_json_bool(&j, false);
        dfu_json_key(&j, "step");
        dfu_json_str(&j, step);
        dfu_json_key(&j, "summary");
        dfu_json_str(&j, msg);
        dfu_json_key(&j, "next");
        dfu_json_str(&j, fix);
        dfu_json_key(&j, "device_reached");
        dfu_json_bool(&j, false);
        if (err != NULL) {
            dfu_json_err(&j, err);
        }
        dfu_json_key(&j, "exit");
        dfu_json_int(&j, code);
        dfu_json_obj_end(&j);
        dfu_json_end(&j);
    } else {
        char pfx[300] = "";
        if (device != NULL) {
            snprintf(pfx, sizeof(pfx), "[%.280s] ", device);
        }
        fprintf(out, "%supdate: %-8s fail  %s\n%supdate: VERDICT: FAILED: %s\n%supdate: next: %s\n",
                pfx, step, msg, pfx, msg, pfx, fix);
    }
    fflush(out);
    funlockfile(out);
}

/* ---- one device ---------------------------------------------------------------------------- */

/* The device's run ended before dfu_client_update: its verdict for the live view and summary,
 * and (not the live view) in the output mode's form. */
static void end_early(many_dev_t *d, const char *step, const char *msg, int code,
                      const char *outcome, const char *fix, const dfu_client_err_t *err)
{
    const dfu_client_many_cfg_t *cfg = d->m->cfg;
    dfu_client_update_ev_t ev = {.kind = DFU_UPD_EV_VERDICT,
                                 .step = step,
                                 .status = "fail",
                                 .message = msg,
                                 .exit_code = code,
                                 .outcome = outcome,
                                 .fix = fix,
                                 .old_version = "",
                                 .version_now = "",
                                 .target = ""};
    on_event(d, &ev);
    if (!cfg->update.tty) {
        early_verdict(d->m->out, cfg->update.json, d->name, step, msg, fix, err, code);
    }
}

static void run_device(many_dev_t *d)
{
    const dfu_client_many_cfg_t *cfg = d->m->cfg;
    uint64_t t0 = dfu_link_now_us();
    dfu_client_t *c = calloc(1, sizeof(*c));
    if (c == NULL) {
        end_early(d, "connect", "out of memory", EXIT_FAIL, "failed",
                  "free memory or update fewer devices at once (--parallel)", NULL);
    } else if (cfg->client.cancel != NULL && *cfg->client.cancel) {
        end_early(d, "start", "interrupted before this device was started", EXIT_INTERRUPTED,
                  "interrupted", "run the same 'dfukit update' again", NULL);
    } else {
        dfu_client_cfg_t cc = cfg->client;
        cc.conn = d->conn;
        int rc = dfu_client_open(c, &cc);
        if (rc != DFU_OK) {
            /* the same report as one device's: what was observed, meaning and fix */
            char msg[1024];
            dfu_client_err_format(&c->err, msg, sizeof(msg));
            int code = dfu_client_exit_code(rc);
            end_early(d, "connect", msg, code,
                      code == EXIT_INTERRUPTED ? "interrupted" : "unreachable",
                      dfu_client_err_explain(&c->err)->fix, &c->err);
        } else {
            dfu_client_update_cfg_t uc = cfg->update;
            uc.out = d->m->out;
            uc.device = d->name;
            uc.quiet = cfg->update.tty;
            uc.tty = false; /* no per-device progress bar: the live view shows it */
            uc.on_event = on_event;
            uc.ev_ctx = d;
            (void)dfu_client_update(c, d->m->path, &uc);
            dfu_client_close(c);
        }
    }
    free(c);
    pthread_mutex_lock(&d->m->lock);
    d->seconds = (double)(dfu_link_now_us() - t0) / 1e6;
    d->finished = true;
    if (cfg->update.tty) {
        draw(d->m);
    }
    pthread_mutex_unlock(&d->m->lock);
}

static void *worker(void *arg)
{
    many_t *m = arg;
    for (;;) {
        pthread_mutex_lock(&m->lock);
        size_t i = m->next < m->n ? m->next++ : m->n;
        pthread_mutex_unlock(&m->lock);
        if (i >= m->n) {
            return NULL;
        }
        run_device(&m->d[i]);
    }
}

/* ---- summary ------------------------------------------------------------------------------- */

static void summary_json(const many_t *m, const char *target, int code)
{
    size_t ok = 0;
    for (size_t i = 0; i < m->n; i++) {
        const many_dev_t *d = &m->d[i];
        ok += d->code == EXIT_OK;
        dfu_json_t j;
        dfu_json_init(&j, m->out);
        dfu_json_obj(&j);
        dfu_json_key(&j, "event");
        dfu_json_str(&j, "result");
        dfu_json_key(&j, "device");
        dfu_json_str(&j, d->name);
        dfu_json_key(&j, "ok");
        dfu_json_bool(&j, d->code == EXIT_OK);
        dfu_json_key(&j, "outcome");
        dfu_json_str(&j, d->outcome);
        dfu_json_key(&j, "old_version");
        dfu_json_str(&j, d->old_v);
        dfu_json_key(&j, "version");
        dfu_json_str(&j, d->now_v);
        dfu_json_key(&j, "target");
        dfu_json_str(&j, target);
        dfu_json_key(&j, "seconds");
        dfu_json_num(&j, d->seconds);
        dfu_json_key(&j, "summary");
        dfu_json_str(&j, d->summary);
        dfu_json_key(&j, "fix");
        dfu_json_str(&j, d->fix);
        dfu_json_key(&j, "exit");
        dfu_json_int(&j, d->code);
        dfu_json_obj_end(&j);
        dfu_json_end(&j);
    }
    dfu_json_t j;
    dfu_json_init(&j, m->out);
    dfu_json_obj(&j);
    dfu_json_key(&j, "event");
    dfu_json_str(&j, "summary");
    dfu_json_key(&j, "devices");
    dfu_json_int(&j, (long long)m->n);
    dfu_json_key(&j, "ok");
    dfu_json_int(&j, (long long)ok);
    dfu_json_key(&j, "failed");
    dfu_json_int(&j, (long long)(m->n - ok));
    dfu_json_key(&j, "target");
    dfu_json_str(&j, target);
    dfu_json_key(&j, "exit");
    dfu_json_int(&j, code);
    dfu_json_obj_end(&j);
    dfu_json_end(&j);
}

static void summary_text(const many_t *m, const char *target, int code)
{
    size_t ok = 0;
    for (size_t i = 0; i < m->n; i++) {
        ok += m->d[i].code == EXIT_OK;
    }
    FILE *out = m->out;
    fprintf(out, "update: SUMMARY: %zu of %zu devices on %s%s; exit %d\n", ok, m->n, target,
            ok == m->n ? "" : " (failures below, each with its fix)", code);
    fprintf(out, "  %-30s %-22s %-12s %s\n", "DEVICE", "VERSION (was -> now)", "VERDICT", "TIME");
    for (size_t i = 0; i < m->n; i++) {
        const many_dev_t *d = &m->d[i];
        char ver[90];
        snprintf(ver, sizeof(ver), "%s -> %s", d->old_v[0] ? d->old_v : "?",
                 d->now_v[0] ? d->now_v : "?");
        fprintf(out, "  %-30s %-22s %-12s %.1f s\n", d->name, ver, d->outcome, d->seconds);
        if (d->code != EXIT_OK) {
            fprintf(out, "      why: %s\n      fix: %s\n", d->summary, d->fix);
        }
    }
    fflush(out);
}

/* ---- entry ----------------------------------------------------------------------------------- */

int dfu_client_update_many(const char *path, const dfu_client_many_cfg_t *cfg)
{
    many_t m;
    memset(&m, 0, sizeof(m));
    m.cfg = cfg;
    m.path = path;
    m.out = cfg->update.out ? cfg->update.out : stdout;
    m.n = cfg->n;
    m.width = 100;
    struct winsize ws;
    if (cfg->update.tty && ioctl(fileno(m.out), TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0) {
        m.width = ws.ws_col;
    }
    /* FILE once, before any device: a bad file is one error, not one per device */
    dfu_client_file_t f;
    char why[256];
    if (dfu_client_file_load(&f, path, why, sizeof(why)) != DFU_OK) {
        const char *fix = "give a signed MCUboot image (.bin or .hex, as 'dfukit image sign' "
                          "writes it)";
        char msg[600];
        snprintf(msg, sizeof(msg), "%s: %s", path, why);
        early_verdict(m.out, cfg->update.json, NULL, "file", msg, fix, NULL, EXIT_FAIL);
        return EXIT_FAIL;
    }
    char target[40];
    snprintf(target, sizeof(target), "%s", f.version);
    dfu_client_file_free(&f);

    m.d = calloc(m.n, sizeof(*m.d));
    int *codes = calloc(m.n ? m.n : 1, sizeof(*codes));
    unsigned par = cfg->parallel == 0 || cfg->parallel > m.n ? (unsigned)m.n : cfg->parallel;
    pthread_t *th = calloc(par ? par : 1, sizeof(*th));
    if (m.d == NULL || codes == NULL || th == NULL) {
        free(m.d);
        free(codes);
        free(th);
        fprintf(stderr, "dfukit update: out of memory\n");
        return EXIT_FAIL;
    }
    pthread_mutex_init(&m.lock, NULL);
    dfu_client_t *probe = calloc(1, sizeof(*probe));
    for (size_t i = 0; i < m.n; i++) {
        many_dev_t *d = &m.d[i];
        d->m = &m;
        d->conn = cfg->conns[i];
        snprintf(d->outcome, sizeof(d->outcome), "failed");
        d->code = EXIT_FAIL;
        if (probe != NULL && dfu_client_parse_conn(probe, d->conn) == DFU_OK) {
            snprintf(d->name, sizeof(d->name), "%s", probe->conn); /* passkey masked */
        } else {
            snprintf(d->name, sizeof(d->name), "%s", d->conn);
        }
    }
    free(probe);
    if (cfg->update.tty) {
        pthread_mutex_lock(&m.lock);
        draw(&m);
        pthread_mutex_unlock(&m.lock);
    }
    unsigned started = 0;
    for (; started < par; started++) {
        if (pthread_create(&th[started], NULL, worker, &m) != 0) {
            break;
        }
    }
    if (started == 0) {
        worker(&m); /* no thread could be made: one device after the other */
    }
    for (unsigned i = 0; i < started; i++) {
        pthread_join(th[i], NULL);
    }
    for (size_t i = 0; i < m.n; i++) {
        codes[i] = m.d[i].code;
    }
    int code = dfu_client_many_exit(codes, m.n);
    if (cfg->update.json) {
        summary_json(&m, target, code);
    } else {
        summary_text(&m, target, code);
    }
    pthread_mutex_destroy(&m.lock);
    free(th);
    free(codes);
    free(m.d);
    return code;
}
