/*
 * `dfukit update`: a resumable, safe end-to-end update (smp-protocol.md §5.5, §7 "robust client").
 *
 * Every run starts by reading the device (params, bootloader mode, image state, slot sizes) and
 * then skips what is already done, so an interrupted run simply continues:
 *   new image running + confirmed      -> done
 *   new image running, not confirmed   -> confirm (test-only: done)
 *   new image in slot 1, pending       -> reset
 *   new image in slot 1, not marked    -> mark
 *   otherwise                          -> checks, upload (the device resumes a partial session
 *                                         when the same file SHA restarts at offset 0), mark,
 *                                         reset, wait, verify, confirm.
 * A blocked slot 1 (running unconfirmed test image, or a scheduled swap the device will not
 * cancel) is reported with its cause; `--clear` resolves it (reset to revert/apply, or erase).
 * The verdict says what the device does next only from a state read after the last change (an
 * upload, erase or reset makes the earlier read stale): otherwise "device not reached" or
 * "state not read since ...". SIGINT (the client's cancel flag) stops at the next wait and says
 * where (bytes acknowledged during the upload); running the same command again resumes.
 */
#include <math.h>
#include <stdarg.h>
#include <string.h>
#include <unistd.h>

#include "dfu_client.h"
#include "dfukit/dfu_boot_record.h"
#include "dfukit/dfu_smp.h"
#include "dfukit/dfu_smp_os.h"

#define EXIT_OK 0
#define EXIT_FAIL 1
#define EXIT_CONN 4
#define EXIT_INTERRUPTED 130

typedef struct {
    dfu_client_t *c;
    const dfu_client_update_cfg_t *cfg;
    FILE *out;
    dfu_client_file_t f;
    dfu_client_params_t p;
    dfu_client_boot_t b;
    dfu_client_state_t st;
    dfu_client_slotinfo_t si;
    char hash_hex[65];
    double last_progress;
    bool st_fresh;           /* u->st was read after the last change the client made */
    const char *stale;       /* what made it stale ("the reset", "the upload", ...) */
    bool resumed_said;       /* the resume offset was reported */
    int pair_before;         /* link security before the reset when paired (0 = the link was not) */
    const char *path;        /* FILE as given */
    char pfx[300];           /* "[device] " before plain lines ("" for one device) */
    char upfx[340];          /* progress line prefix */
    char old_version[40];    /* slot 0 at the first state read ("" = not read) */
    const char *outcome;     /* set where a step knows better than the exit code (reverted ...) */
    const char *fix;         /* the error table's fix of a failed request */
    char fixbuf[300];        /* a diagnosed fix */
    int lb_rc;               /* verify read the boot record: DFU_OK, DFU_ERR_NOTSUP (the device
                              * does not report it), another error; 1 = not read */
    dfu_client_bootrec_t lb; /* that record (lb_rc == DFU_OK) */
} upd_t;

/* Text and NDJSON go to u->out unless an observer shows them (quiet). */
static bool printing(const upd_t *u)
{
    return !u->cfg->quiet;
}

static void notify(const upd_t *u, const dfu_client_update_ev_t *ev)
{
    if (u->cfg->on_event != NULL) {
        u->cfg->on_event(u->cfg->ev_ctx, ev);
    }
}

/* Starts an NDJSON event object {"event":NAME[,"device":...] on u->out (locked by the caller). */
static void json_head(const upd_t *u, dfu_json_t *j, const char *name)
{
    dfu_json_init(j, u->out);
    dfu_json_obj(j);
    dfu_json_key(j, "event");
    dfu_json_str(j, name);
    if (u->cfg->device != NULL) {
        dfu_json_key(j, "device");
        dfu_json_str(j, u->cfg->device);
    }
}

/* The device state is no longer known after `what` (an action that changes it). */
static void stale(upd_t *u, const char *what)
{
    u->st_fresh = false;
    u->stale = what;
}

/* What the verdict may say about the device: what it does at the next reset, only from a state
 * read after the last change; otherwise why it is not known. */
static const char *device_now(const upd_t *u, char *buf, size_t cap)
{
    const dfu_client_err_t *e = &u->c->err;
    if (u->st_fresh) {
        snprintf(buf, cap, "device now: %s", dfu_client_next_reset(&u->st));
    } else if (!u->c->answered && (e->code == DFU_ERR_ACCESS || e->code == DFU_ERR_PAIRING)) {
        snprintf(buf, cap,
                 "device state not read: the device refuses this link's requests "
                 "until it is paired");
    } else if (!u->c->answered) {
        snprintf(buf, cap, "device not reached (nothing was read from it)");
    } else {
        snprintf(buf, cap, "device state not read since %s",
                 u->stale ? u->stale : "the connection opened");
    }
    return buf;
}

static const char *mode_name(dfu_client_mode_t m)
{
    switch (m) {
    case DFU_MODE_CONFIRM_ONLY:
        return "confirm-only";
    case DFU_MODE_TEST_ONLY:
        return "test-only";
    case DFU_MODE_UPLOAD_ONLY:
        return "upload-only";
    default:
        return "test-confirm";
    }
}

/* One progress line (text) or NDJSON event. */
static void event(upd_t *u, const char *step, const char *status, const char *fmt, ...)
{
    char msg[768];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    dfu_client_update_ev_t ev = {
        .kind = DFU_UPD_EV_STEP, .step = step, .status = status, .message = msg};
    notify(u, &ev);
    if (!printing(u)) {
        return;
    }
    flockfile(u->out);
    if (u->cfg->json) {
        dfu_json_t j;
        json_head(u, &j, "step");
        dfu_json_key(&j, "step");
        dfu_json_str(&j, step);
        dfu_json_key(&j, "status");
        dfu_json_str(&j, status);
        dfu_json_key(&j, "message");
        dfu_json_str(&j, msg);
        dfu_json_obj_end(&j);
        dfu_json_end(&j);
    } else {
        fprintf(u->out, "%supdate: %-8s %-5s %s\n", u->pfx, step, status, msg);
        fflush(u->out);
    }
    funlockfile(u->out);
}

static bool same_hash(const dfu_client_slot_t *s, const uint8_t *h)
{
    return s->present && s->hash_len == 32 && memcmp(s->hash, h, 32) == 0;
}

/* The verdict in one word (dfu_client_update_ev_t.outcome). */
static const char *outcome(const upd_t *u, int code)
{
    if (code == EXIT_OK) {
        return u->outcome != NULL ? u->outcome : "updated"; /* "up-to-date": nothing to do */
    }
    if (code == EXIT_INTERRUPTED) {
        return "interrupted";
    }
    if (u->outcome != NULL) {
        return u->outcome;
    }
    if (code == EXIT_CONN) {
        return u->c->answered ? "link-failed" : "unreachable";
    }
    return "failed";
}

/* Final verdict: one line / one event with the device state and the next step. */
static int verdict(upd_t *u, int code, const char *step, const char *summary, const char *next)
{
    bool ok = code == EXIT_OK;
    dfu_client_update_ev_t ev = {
        .kind = DFU_UPD_EV_VERDICT,
        .step = step,
        .status = ok ? "ok" : "fail",
        .message = summary,
        .exit_code = code,
        .outcome = outcome(u, code),
        .fix = ok       ? ""
               : u->fix ? u->fix
               : next   ? next
                        : "",
        .old_version = u->old_version,
        .version_now = u->st_fresh && u->st.slots[0].present ? u->st.slots[0].version : "",
        .target = u->f.version};
    notify(u, &ev);
    if (!printing(u)) {
        return code;
    }
    flockfile(u->out);
    if (u->cfg->json) {
        dfu_json_t j;
        json_head(u, &j, "verdict");
        dfu_json_key(&j, "ok");
        dfu_json_bool(&j, ok);
        dfu_json_key(&j, "step");
        dfu_json_str(&j, step);
        dfu_json_key(&j, "mode");
        dfu_json_str(&j, mode_name(u->cfg->mode));
        dfu_json_key(&j, "hash");
        dfu_json_str(&j, u->hash_hex);
        dfu_json_key(&j, "version");
        dfu_json_str(&j, u->f.version);
        dfu_json_key(&j, "summary");
        dfu_json_str(&j, summary);
        dfu_json_key(&j, "next");
        dfu_json_str(&j, next ? next : "");
        dfu_json_key(&j, "outcome");
        dfu_json_str(&j, outcome(u, code));
        if (u->lb_rc != 1) { /* verify read the boot record: the bootloader's own reason */
            dfu_json_key(&j, "last_boot");
            if (u->lb_rc == DFU_OK) {
                dfu_json_bootrec(&j, &u->lb, 0u);
            } else {
                dfu_json_null(&j);
            }
        }
        dfu_json_key(&j, "device_reached");
        dfu_json_bool(&j, u->c->answered);
        dfu_json_key(&j, "images"); /* null: not read since the last change */
        if (u->st_fresh) {
            dfu_json_arr(&j);
            for (int s = 0; s < 2; s++) {
                if (u->st.slots[s].present) {
                    dfu_json_slot(&j, &u->st, s);
                }
            }
            dfu_json_arr_end(&j);
        } else {
            dfu_json_null(&j);
        }
        dfu_json_key(&j, "next_reset");
        if (u->st_fresh) {
            dfu_json_str(&j, dfu_client_next_reset(&u->st));
        } else {
            dfu_json_null(&j);
        }
        char now[200];
        dfu_json_key(&j, "device_now");
        dfu_json_str(&j, device_now(u, now, sizeof(now)));
        if (!ok && u->c->err.code != 0) {
            dfu_json_err(&j, &u->c->err);
        }
        dfu_json_key(&j, "exit");
        dfu_json_int(&j, code);
        dfu_json_obj_end(&j);
        dfu_json_end(&j);
    } else {
        fprintf(u->out, "%supdate: VERDICT: %s: %s\n", u->pfx, ok ? "OK" : "FAILED", summary);
        if (!ok) {
            char now[200];
            fprintf(u->out, "%supdate: failed at step '%s'; %s\n", u->pfx, step,
                    device_now(u, now, sizeof(now)));
        }
        if (next && next[0]) {
            fprintf(u->out, "%supdate: next: %s\n", u->pfx, next);
        }
        fflush(u->out);
    }
    funlockfile(u->out);
    return code;
}

/* SIGINT: says where the update stopped; the next run continues from the device's state. */
static int interrupted(upd_t *u, const char *step, const char *where)
{
    char msg[300];
    snprintf(msg, sizeof(msg), "interrupted %s; run the same command again to resume", where);
    event(u, step, "fail", "%s", msg);
    return verdict(u, EXIT_INTERRUPTED, step, msg, "run the same 'dfukit update' again");
}

/* Reports a failed request with the error table text and returns the verdict. */
static int fail_req(upd_t *u, const char *step, int rc, const char *next)
{
    if (rc == DFU_ERR_CANCELLED) {
        char where[96];
        snprintf(where, sizeof(where), "at step '%s'", step);
        return interrupted(u, step, where);
    }
    char msg[1024];
    if (u->c->err.code == 0) {
        (void)dfu_client_link_err(u->c, rc, step);
    }
    dfu_client_err_format(&u->c->err, msg, sizeof(msg));
    event(u, step, "fail", "%s", msg);
    dfu_client_diag_t dg;
    if (dfu_client_err_is_state(&u->c->err) && dfu_client_diagnose(u->c, &dg) == 1) {
        event(u, step, "info", "device state: %s", dg.cause);
        snprintf(u->fixbuf, sizeof(u->fixbuf), "%s (or run 'dfukit update FILE --clear')", dg.fix);
        next = u->fixbuf;
    }
    u->fix = next ? next : dfu_client_err_explain(&u->c->err)->fix;
    bool conn = rc == DFU_ERR_TIMEOUT || rc == DFU_ERR_NOTCONN || rc == DFU_ERR_IO ||
                rc == DFU_ERR_NODEV || rc == DFU_ERR_NO_BLUEZ || rc == DFU_ERR_BUS_DENIED ||
                rc == DFU_ERR_REFUSED;
    return verdict(u, conn ? EXIT_CONN : EXIT_FAIL, step, msg,
                   next ? next : "fix the cause above and run the same 'dfukit update' again");
}

static void progress_cb(void *ctx, const dfu_client_progress_t *p)
{
    upd_t *u = ctx;
    bool last = p->done >= p->total;
    dfu_client_update_ev_t ev = {
        .kind = DFU_UPD_EV_PROGRESS, .step = "upload", .status = "...", .progress = p};
    notify(u, &ev);
    if (p->resumed_from != 0 && !u->resumed_said) {
        u->resumed_said = true;
        if (u->cfg->tty && !u->cfg->json && printing(u)) {
            fputc('\n', u->out);
        }
        event(u, "upload", "info",
              "resuming at %llu/%llu bytes: the device kept them from an earlier upload of "
              "this file",
              (unsigned long long)p->resumed_from, (unsigned long long)p->total);
    }
    if (u->cfg->json) {
        if (p->elapsed_s - u->last_progress < 0.5 && !last) {
            return;
        }
        u->last_progress = p->elapsed_s;
        if (!printing(u)) {
            return;
        }
        flockfile(u->out);
        dfu_json_t j;
        json_head(u, &j, "progress");
        dfu_json_key(&j, "bytes");
        dfu_json_int(&j, (long long)p->done);
        dfu_json_key(&j, "total");
        dfu_json_int(&j, (long long)p->total);
        dfu_json_key(&j, "kBps");
        dfu_json_num(&j, p->kBps);
        dfu_json_key(&j, "eta_s");
        dfu_json_num(&j, p->eta_s);
        dfu_json_key(&j, "window");
        dfu_json_int(&j, p->window);
        dfu_json_obj_end(&j);
        dfu_json_end(&j);
        funlockfile(u->out);
        return;
    }
    if (!printing(u)) {
        return;
    }
    if (u->cfg->tty) {
        dfu_client_progress_print(u->out, true, u->upfx, p);
        return;
    }
    if (p->elapsed_s - u->last_progress < 1.0 && !last) {
        return;
    }
    u->last_progress = p->elapsed_s;
    flockfile(u->out);
    dfu_client_progress_print(u->out, false, u->upfx, p);
    funlockfile(u->out);
}

/* Seconds MCUboot needs to swap `len` bytes (nRF52-like flash: 85 ms per 4 KiB page erase,
 * 41 us per word written; swap-move touches each page about three times). */
static double swap_s(const upd_t *u, size_t len)
{
    double pages = ceil((double)len / 4096.0);
    double per_page = 0.085 + 1024 * 41e-6;
    double passes = (u->b.mode == DFU_SMP_MODE_OVERWRITE) ? 1.0 : 3.0;
    return pages * per_page * passes + 1.0;
}

/* Size of the image in `slot`: known when it is FILE, else bounded by the usable slot size
 * (*bound set). */
static size_t slot_bytes(const upd_t *u, int slot, bool *bound)
{
    const dfu_client_slot_t *s = &u->st.slots[slot];
    *bound = false;
    if (!s->present) {
        return 0;
    }
    if (same_hash(s, u->f.hash)) {
        return u->f.len;
    }
    *bound = true;
    uint32_t usable = dfu_client_usable_size(&u->si);
    return usable ? usable : (size_t)256 * 1024;
}

/* A swap exchanges the images of both slots, so it lasts as long as the larger one needs:
 * FILE's size where FILE is one of them, the usable slot size (an upper bound) for an image
 * whose size the device does not report. Writes the explanation into why. */
static double swap_estimate_s(const upd_t *u, char *why, size_t cap)
{
    bool bound0 = false, bound1 = false;
    size_t a = slot_bytes(u, 0, &bound0), b = slot_bytes(u, 1, &bound1);
    size_t n = a > b ? a : b;
    n = n ? n : u->f.len;
    double est = swap_s(u, n);
    if (bound0 || bound1) {
        snprintf(why, cap,
                 "at most %.1f s: the device does not report the size of %s, so the usable slot "
                 "size (%zu bytes) bounds it",
                 est,
                 bound0 && bound1 ? "the images in slots 0 and 1"
                 : bound0         ? "the running image"
                                  : "the slot 1 image",
                 n);
    } else {
        snprintf(why, cap, "%.1f s for %zu bytes", est, n);
    }
    return est;
}

/* Reconnect failures that waiting does not cure (pairing needs the user, BlueZ is missing). */
static bool reconnect_fatal(int rc)
{
    return rc == DFU_ERR_PASSKEY_NEEDED || rc == DFU_ERR_STALE_BOND || rc == DFU_ERR_PAIRING ||
           rc == DFU_ERR_NO_BLUEZ || rc == DFU_ERR_BUS_DENIED || rc == DFU_ERR_INVAL;
}

int dfu_client_wait_back(dfu_client_t *c, double max_s)
{
    uint64_t end = dfu_link_now_us() + (uint64_t)(max_s * 1e6);
    unsigned delay_ms = 100;
    int saved_retries = c->retries, saved_tmo = c->timeout_ms;
    c->retries = 0;
    c->timeout_ms = 700;
    /* A BLE link or a pty is re-created by the device's reset: reopen it on every attempt. UDP
     * and TCP keep theirs (a TCP connection to an emulator's UART outlives the guest's reset)
     * and reopen only once it dropped (e.g. the emulator was restarted). Over such a TCP link
     * the first bytes after a boot arrive about 1 s late: the echoes sent meanwhile are answered
     * then, the stale answers are dropped by sequence number, and the back-off keeps asking. */
    bool keep = c->kind == DFU_LINK_UDP || c->kind == DFU_LINK_TCP;
    bool reopen = !keep || !c->open || c->link.down;
    int rc = DFU_ERR_TIMEOUT;
    while (dfu_link_now_us() < end) {
        if (reopen) {
            /* the device end may have been re-created by the reset (BLE reconnect, new pty) */
            int r = dfu_client_reconnect(c);
            if (reconnect_fatal(r)) {
                rc = dfu_client_link_err(c, r, "reconnect after the reset");
                break;
            }
            if (r != DFU_OK) {
                if (dfu_client_cancelled(c)) {
                    break;
                }
                usleep(delay_ms * 1000u);
                delay_ms = delay_ms * 2 > 1000 ? 1000 : delay_ms * 2;
                continue;
            }
            reopen = false;
        }
        char r[16];
        rc = dfu_client_echo(c, "back?", r, sizeof(r));
        if (rc == DFU_OK || rc == DFU_ERR_DEVICE) {
            rc = DFU_OK; /* any answer means the device is up */
            break;
        }
        if (rc == DFU_ERR_ACCESS || rc == DFU_ERR_PAIRING || rc == DFU_ERR_CANCELLED) {
            break; /* up, but it refuses this link (pairing), or the user stopped us */
        }
        if (!keep || rc == DFU_ERR_NOTCONN || rc == DFU_ERR_REFUSED) {
            reopen = true;
        }
        for (unsigned t = 0; t < delay_ms && !dfu_client_cancelled(c); t += 50) {
            usleep(50000);
        }
        delay_ms = delay_ms * 2 > 1000 ? 1000 : delay_ms * 2;
    }
    c->retries = saved_retries;
    c->timeout_ms = saved_tmo;
    if (dfu_client_cancelled(c)) {
        return DFU_ERR_CANCELLED;
    }
    return (rc == DFU_OK || rc == DFU_ERR_ACCESS || rc == DFU_ERR_PAIRING || reconnect_fatal(rc))
               ? rc
               : DFU_ERR_TIMEOUT;
}

/* Reads params, bootloader and state. */
static int read_device(upd_t *u)
{
    int rc = dfu_client_params(u->c, &u->p);
    if (rc != DFU_OK) {
        return fail_req(u, "params", rc, NULL);
    }
    event(u, "params", "ok", "buf_size %u, buf_count %u%s", u->p.buf_size, u->p.buf_count,
          u->p.supported ? "" : " (params not supported: fallback)");
    rc = dfu_client_bootloader(u->c, &u->b);
    if (rc != DFU_OK) {
        return fail_req(u, "bootloader", rc, NULL);
    }
    event(u, "bootloader", "ok", "%s, mode %d%s", u->b.name[0] ? u->b.name : "unknown", u->b.mode,
          u->b.no_downgrade ? ", downgrades refused" : "");
    rc = dfu_client_slot_info(u->c, &u->si);
    if (rc != DFU_OK && rc != DFU_ERR_DEVICE) {
        return fail_req(u, "slots", rc, NULL);
    }
    rc = dfu_client_state_read(u->c, &u->st);
    if (rc != DFU_OK) {
        return fail_req(u, "state", rc, NULL);
    }
    u->st_fresh = true;
    snprintf(u->old_version, sizeof(u->old_version), "%s",
             u->st.slots[0].present ? u->st.slots[0].version : "");
    event(u, "state", "ok", "slot 0: %s%s, slot 1: %s%s; next reset: %s",
          u->st.slots[0].present ? u->st.slots[0].version : "empty",
          u->st.slots[0].present && !u->st.slots[0].confirmed ? " (unconfirmed)" : "",
          u->st.slots[1].present ? u->st.slots[1].version : "empty",
          u->st.slots[1].pending ? " (pending)" : "", dfu_client_next_reset(&u->st));
    return -1;
}

/* Re-reads the state after a failure, keeping the failure's error for the report. */
static void reread(upd_t *u)
{
    dfu_client_err_t err = u->c->err;
    u->st_fresh = dfu_client_state_read(u->c, &u->st) == DFU_OK;
    u->c->err = err;
}

static int refresh(upd_t *u, const char *step)
{
    int rc = dfu_client_state_read(u->c, &u->st);
    u->st_fresh = rc == DFU_OK;
    return rc == DFU_OK ? -1 : fail_req(u, step, rc, NULL);
}

/* Nothing answered within max_s seconds after a reset. */
static int no_answer(upd_t *u, const char *step, double max_s)
{
    char msg[300], peer[220];
    dfu_client_peer(u->c, peer, sizeof(peer));
    u->c->err.code = 0; /* the verdict says what happened; no request error to add */
    snprintf(msg, sizeof(msg), "no answer from %s within %.0f s after the reset", peer, max_s);
    event(u, step, "fail", "%s", msg);
    return verdict(u, EXIT_CONN, step, msg,
                   "the device did not come back: check it, then run 'dfukit update' again (it "
                   "continues where it stopped)");
}

/* The device answered after the reset, but refuses every request on this link. The firmware
 * before the reset accepted this unpaired link (upload, mark, reset), so the firmware refusing it
 * now is the new image, booted for a test (unconfirmed) unless it was marked permanent. */
static int back_but_refuses(upd_t *u, const char *step, int rc)
{
    char obs[400], msg[600], next[700];
    dfu_client_err_observed(&u->c->err, obs, sizeof(obs));
    bool wrong = rc == DFU_ERR_PAIRING && u->c->err.has_passkey &&
                 u->c->err.pair_reason == DFU_BLE_PAIR_ERR_CONFIRM;
    event(u, step, "fail",
          "the device answered after the reset but refuses this link: %s (the firmware before "
          "the reset accepted it, so the new image is running)",
          obs);
    char pair[200];
    if (wrong) {
        snprintf(pair, sizeof(pair), "pairing failed: wrong passkey (the device rejected %06u)",
                 (unsigned)u->c->err.passkey);
    } else {
        snprintf(pair, sizeof(pair), "this firmware requires pairing: re-run with ,passkey=NNNNNN");
    }
    if (u->cfg->mode == DFU_MODE_CONFIRM_ONLY) {
        snprintf(msg, sizeof(msg),
                 "the device is back, running the new image (swapped in "
                 "permanently); %s",
                 pair);
    } else {
        snprintf(msg, sizeof(msg),
                 "the device is back, running the new image unconfirmed; it reverts at the next "
                 "reset unless confirmed; %s",
                 pair);
    }
    char conn[256];
    snprintf(conn, sizeof(conn), "%s", u->c->conn);
    char *pk = strstr(conn, ",passkey=");
    if (pk != NULL) {
        *pk = '\0';
    }
    snprintf(next, sizeof(next),
             "re-run with the device's passkey: dfukit update %s --conn %s,passkey=NNNNNN (it "
             "continues at the confirm step)",
             u->path, conn);
    return verdict(u, EXIT_FAIL, step, msg, next);
}

/* ---- Steps ------------------------------------------------------------------------------------
 */

/* Why slot 1 cannot take an upload now, or NULL. */
static const char *blocked_reason(const upd_t *u)
{
    const dfu_client_slot_t *s0 = &u->st.slots[0], *s1 = &u->st.slots[1];
    if (s0->present && s0->active && !s0->confirmed) {
        return "the running image is a test image that is not confirmed; slot 1 holds the image "
               "MCUboot reverts to, so the device refuses uploads to slot 1 (err 9 NO_FREE_SLOT)";
    }
    if (s1->present && s1->pending) {
        return "slot 1 holds another image already marked for the next reset; devices that do "
               "not allow erasing a pending slot refuse the upload (err 9 NO_FREE_SLOT)";
    }
    return NULL;
}

/* Resolves a blocked slot 1 (--clear): erase a pending slot 1, or reset to let MCUboot apply /
 * revert, re-reading the state after each action. Returns -1 to continue or an exit code. */
static int clear_slot(upd_t *u)
{
    for (int round = 0; round < 4 && blocked_reason(u); round++) {
        const dfu_client_slot_t *s0 = &u->st.slots[0];
        bool test_running = s0->present && s0->active && !s0->confirmed;
        int rc = DFU_ERR_BUSY;
        if (!test_running) {
            const dfu_client_slot_t *s1 = &u->st.slots[1];
            char what[120];
            snprintf(what, sizeof(what), "the scheduled %s of %s",
                     s1->permanent ? "permanent swap" : "test", s1->version);
            rc = dfu_client_erase(u->c, 1);
            stale(u, "erasing slot 1");
            if (rc == DFU_OK) {
                event(u, "clear", "ok", "erased slot 1: %s was cancelled", what);
            } else {
                event(u, "clear", "info",
                      "the device refused to erase slot 1 (%s); resetting to let MCUboot act "
                      "first",
                      what);
            }
        }
        if (rc == DFU_ERR_CANCELLED) {
            return fail_req(u, "clear", rc, NULL);
        }
        if (rc != DFU_OK) {
            char why[300];
            double est = swap_estimate_s(u, why, sizeof(why));
            if (test_running) {
                event(u, "clear", "info",
                      "resetting: MCUboot reverts the unconfirmed test image %s (swap estimated "
                      "%s)",
                      s0->version, why);
            }
            rc = dfu_client_reset(u->c, false, -1);
            stale(u, "the reset");
            if (rc != DFU_OK && rc != DFU_ERR_NOTCONN && rc != DFU_ERR_TIMEOUT &&
                rc != DFU_ERR_REFUSED) {
                return fail_req(u, "clear", rc, NULL);
            }
            rc = dfu_client_wait_back(u->c, est * 3 + 10);
            if (rc == DFU_ERR_TIMEOUT) {
                return no_answer(u, "clear", est * 3 + 10);
            }
            if (rc != DFU_OK) {
                return fail_req(u, "clear", rc, NULL);
            }
        }
        int r = refresh(u, "clear");
        if (r >= 0) {
            return r;
        }
    }
    if (blocked_reason(u)) {
        return verdict(u, EXIT_FAIL, "clear", "slot 1 is still blocked after clearing",
                       "run 'dfukit doctor'");
    }
    event(u, "clear", "ok", "slot 1 is free");
    return -1;
}

/* File checks against the device: size, downgrade policy. */
static int check_file(upd_t *u)
{
    uint32_t cap = dfu_client_usable_size(&u->si);
    if (cap && u->f.len > cap) {
        char msg[500], why[400];
        dfu_client_usable_explain(&u->si, u->b.mode, why, sizeof(why));
        snprintf(msg, sizeof(msg), "the image (%zu bytes) does not fit: %s", u->f.len, why);
        event(u, "check", "fail", "%s", msg);
        return verdict(u, EXIT_FAIL, "check", msg, "build a smaller image");
    }
    const dfu_client_slot_t *s0 = &u->st.slots[0];
    if (u->b.no_downgrade && s0->present && dfu_client_version_cmp(s0->version, &u->f) > 0) {
        char msg[200];
        snprintf(msg, sizeof(msg),
                 "the device refuses downgrades and runs %s; the image is %s (older)", s0->version,
                 u->f.version);
        event(u, "check", "fail", "%s", msg);
        return verdict(u, EXIT_FAIL, "check", msg,
                       "sign the image with a higher version: dfukit image sign --version ...");
    }
    event(u, "check", "ok", "image %s (%zu bytes, hash %.16s...) fits slot 1%s", u->f.version,
          u->f.len, u->hash_hex, u->b.no_downgrade ? " and is not a downgrade" : "");
    return -1;
}

static int do_upload(upd_t *u)
{
    dfu_client_upload_cfg_t uc;
    memset(&uc, 0, sizeof(uc));
    uc.image = u->cfg->image;
    uc.window = u->cfg->window;
    uc.progress = progress_cb;
    uc.progress_ctx = u;
    dfu_client_upload_stats_t us;
    event(u, "upload", "start", "%zu bytes", u->f.len);
    stale(u, "the upload");
    int rc = dfu_client_upload(u->c, u->f.data, u->f.len, &uc, &us);
    if (rc == DFU_ERR_CANCELLED) {
        if (u->cfg->tty && !u->cfg->json && printing(u)) {
            fputc('\n', u->out); /* after the progress bar */
        }
        char where[96];
        snprintf(where, sizeof(where), "at %llu/%zu bytes", (unsigned long long)us.acked, u->f.len);
        return interrupted(u, "upload", where);
    }
    if (rc == DFU_ERR_HASH_MISMATCH) {
        event(u, "upload", "fail",
              "the device reports the uploaded data does not match (match "
              "false)");
        return verdict(u, EXIT_FAIL, "upload", "uploaded data corrupted on the way",
                       "run the same 'dfukit update' again");
    }
    if (rc != DFU_OK) {
        reread(u);
        const char *next = NULL;
        if (rc == DFU_ERR_UPLOAD_TAKEN_OVER) {
            next = "another client is uploading to this device: let it finish (or stop it), "
                   "then run the same 'dfukit update' again";
        } else if (u->c->err.group_rc == 9 || (u->c->err.rc == 6 && u->c->err.group_rc == 0)) {
            next = "slot 1 is blocked: run 'dfukit update FILE --clear' (or 'dfukit image "
                   "confirm' to keep the running image, 'dfukit reset' to go back)";
        }
        return fail_req(u, "upload", rc, next);
    }
    event(u, "upload", "ok", "%zu bytes in %.2f s (%.1f kB/s, chunk %zu, window up to %u%s%s)",
          u->f.len, us.seconds, us.kBps, us.chunk, us.window_max,
          us.resumed_from ? ", resumed" : "", us.match_reported ? ", match ok" : "");
    return refresh(u, "upload");
}

static int do_mark(upd_t *u)
{
    bool confirm = u->cfg->mode == DFU_MODE_CONFIRM_ONLY;
    int rc = dfu_client_state_write(u->c, u->f.hash, confirm, &u->st);
    if (rc != DFU_OK) {
        reread(u);
        return fail_req(u, "mark", rc, NULL);
    }
    u->st_fresh = true; /* the answer carries the new state */
    if (!u->st.slots[1].pending || !same_hash(&u->st.slots[1], u->f.hash)) {
        return verdict(u, EXIT_FAIL, "mark",
                       "the device accepted the mark but slot 1 is not "
                       "pending",
                       "run 'dfukit doctor'");
    }
    event(u, "mark", "ok", "slot 1 marked for %s", confirm ? "a permanent swap" : "a test boot");
    return -1;
}

static int do_reset_wait(upd_t *u)
{
    int sec = dfu_client_link_security(u->c);
    u->pair_before = sec >= 2 ? sec : 0; /* encrypted or paired before the reset */
    int rc = dfu_client_reset(u->c, false, -1);
    if (rc == DFU_ERR_DEVICE && u->c->err.rc == DFU_SMP_RC_EBUSY) {
        event(u, "reset", "info", "the application refused the reset (busy); forcing it");
        rc = dfu_client_reset(u->c, true, -1);
    }
    if (rc != DFU_OK && rc != DFU_ERR_NOTCONN && rc != DFU_ERR_TIMEOUT && rc != DFU_ERR_REFUSED) {
        return fail_req(u, "reset", rc, "reset the device by hand, then run 'dfukit update' again");
    }
    char why[300];
    double est = swap_estimate_s(u, why, sizeof(why));
    double max_s = u->cfg->wait_s > 0 ? u->cfg->wait_s : est * 3 + 15;
    stale(u, "the reset");
    event(u, "reset", "ok",
          "reset sent; waiting for the device (MCUboot swap estimated %s; giving up after "
          "%.0f s)",
          why, max_s);
    uint64_t t0 = dfu_link_now_us(), pending_since = 0;
    for (;;) {
        double left = max_s - (double)(dfu_link_now_us() - t0) / 1e6;
        rc = left > 0 ? dfu_client_wait_back(u->c, left) : DFU_ERR_TIMEOUT;
        if ((rc == DFU_ERR_ACCESS || rc == DFU_ERR_PAIRING || rc == DFU_ERR_PASSKEY_NEEDED) &&
            u->pair_before == 0) {
            return back_but_refuses(u, "wait", rc);
        }
        if (rc == DFU_ERR_CANCELLED) {
            return interrupted(u, "wait",
                               "while waiting for the device after the reset (MCUboot may be "
                               "swapping)");
        }
        if (rc != DFU_OK && rc != DFU_ERR_TIMEOUT) {
            return fail_req(u, "wait", rc, NULL);
        }
        if (rc != DFU_OK) {
            return no_answer(u, "wait", max_s);
        }
        int r = refresh(u, "wait");
        if (r >= 0) {
            return r;
        }
        if (!(u->st.slots[1].pending && same_hash(&u->st.slots[1], u->f.hash))) {
            break;
        }
        /* Still pending: the device answered before it actually reset. Wait a little; if it
         * keeps answering without resetting, it did not act on the reset request. */
        uint64_t now = dfu_link_now_us();
        pending_since = pending_since ? pending_since : now;
        if (now - pending_since > 5000000u) {
            event(u, "wait", "fail", "the device keeps running the old image: it did not reset");
            return verdict(u, EXIT_FAIL, "wait",
                           "the device answers but did not reset, so the new image is still "
                           "pending in slot 1",
                           "reset the device ('dfukit reset --force' or power cycle it), then run "
                           "the same 'dfukit update' again (it continues at the reset step)");
        }
        usleep(200000);
    }
    event(u, "wait", "ok", "device back after %.1f s", (double)(dfu_link_now_us() - t0) / 1e6);
    return -1;
}

/* The fix for a new image the bootloader did not keep, from its boot record. */
static const char *bootrec_next(const dfu_client_bootrec_t *r)
{
    switch (r->reason_code) {
    case DFU_BOOT_REASON_BAD_SIGNATURE:
        return "sign the image with the key the bootloader expects (dfukit image sign -k KEY), "
               "then run 'dfukit update' again";
    case DFU_BOOT_REASON_DOWNGRADE:
        return "sign the image with a version higher than the running one (dfukit image sign "
               "--version ...), then run 'dfukit update' again";
    case DFU_BOOT_REASON_REVERT:
        return "the new image must confirm itself at start-up (or stay up until 'dfukit image "
               "confirm'); it was reset before that: check that it starts without crashing";
    case DFU_BOOT_REASON_BAD_HASH:
        return "run the same 'dfukit update' again (the image is uploaded again)";
    default:
        return "run 'dfukit bootloader --log' and 'dfukit doctor' for the device's view";
    }
}

static int do_verify_confirm(upd_t *u)
{
    const dfu_client_slot_t *s0 = &u->st.slots[0], *s1 = &u->st.slots[1];
    if (!(same_hash(s0, u->f.hash) && s0->active)) {
        /* The slot state tells a revert from a refusal; the bootloader's own record (on devices
         * that keep one) says why. */
        const dfu_client_bootrec_t *lb = &u->lb; /* kept for the --json verdict */
        int lrc = dfu_client_last_boot(u->c, &u->lb);
        u->lb_rc = lrc;
        bool reverted = same_hash(s1, u->f.hash); /* swapped in, then back out to slot 1 */
        char why[600], msg[1400];
        const char *next;
        if (lrc == DFU_OK) {
            dfu_client_bootrec_explain(lb, why, sizeof(why));
            next = bootrec_next(lb);
        } else if (reverted) {
            snprintf(why, sizeof(why),
                     "it was reverted: slot 1 holds %s, so MCUboot swapped it in and back out: "
                     "it did not confirm itself before the next reset (it crashed at boot, or was "
                     "reset)%s",
                     u->f.version,
                     lrc == DFU_ERR_NOTSUP ? "; the device does not report boot outcomes, so "
                                             "which of those is not known"
                                           : "");
            next = "make the new firmware boot and run (check its log or console); MCUboot "
                   "checked its signature already. Then run the same 'dfukit update' again";
        } else {
            snprintf(why, sizeof(why),
                     "MCUboot refused it: slot 1 %s (MCUboot erases an image that fails "
                     "validation)%s",
                     s1->present ? "holds another image" : "is empty",
                     lrc == DFU_ERR_NOTSUP ? "; the device does not report boot outcomes, so "
                                             "why is not known"
                                           : "");
            next = "check that the image is signed with the key the bootloader expects "
                   "('dfukit image verify -k KEY FILE') and is not a refused downgrade";
        }
        const char *slot1 = !reverted       ? "" /* the record or the text above says it */
                            : lrc == DFU_OK ? "; slot 1 holds it again (swapped back out)"
                                            : "";
        if (lrc == DFU_OK && !reverted) {
            slot1 = s1->present ? "; slot 1 holds another image" : "; slot 1 is empty";
        }
        u->outcome = reverted ? "reverted" : "refused";
        snprintf(msg, sizeof(msg),
                 "after the reset the device runs %s, not the new image %s: %.600s%s",
                 s0->present ? s0->version : "nothing", u->f.version, why, slot1);
        event(u, "verify", "fail", "%s", msg);
        return verdict(u, EXIT_FAIL, "verify", msg, next);
    }
    event(u, "verify", "ok", "slot 0 runs the new image %s", u->f.version);
    if (u->cfg->mode == DFU_MODE_TEST_ONLY) {
        return -1;
    }
    if (!s0->confirmed) {
        int rc = dfu_client_state_write(u->c, u->f.hash, true, &u->st);
        if (rc != DFU_OK) {
            reread(u);
            return fail_req(u, "confirm", rc, NULL);
        }
        if (!u->st.slots[0].confirmed) {
            return verdict(u, EXIT_FAIL, "confirm",
                           "the device accepted the confirm but slot 0 "
                           "is not confirmed",
                           "run 'dfukit doctor'");
        }
        event(u, "confirm", "ok", "slot 0 confirmed");
    } else {
        event(u, "confirm", "skip", "already confirmed");
    }
    return -1;
}

static int final_ok(upd_t *u)
{
    char msg[300];
    if (u->cfg->mode == DFU_MODE_UPLOAD_ONLY) {
        snprintf(msg, sizeof(msg), "image %s is in slot 1, not marked (upload-only)", u->f.version);
        char next[160];
        snprintf(next, sizeof(next), "dfukit image test %s, then dfukit reset", u->hash_hex);
        return verdict(u, EXIT_OK, "done", msg, next);
    }
    if (u->cfg->mode == DFU_MODE_TEST_ONLY && !u->st.slots[0].confirmed) {
        snprintf(msg, sizeof(msg),
                 "device runs %s as a test image; it reverts at the next reset "
                 "unless confirmed",
                 u->f.version);
        return verdict(u, EXIT_OK, "done", msg, "dfukit image confirm (to keep it)");
    }
    snprintf(msg, sizeof(msg), "device runs %s (hash %.16s...), confirmed", u->f.version,
             u->hash_hex);
    return verdict(u, EXIT_OK, "done", msg, "");
}

/* Where to start, from the state read (the resume logic). */
typedef enum { AT_UPLOAD, AT_MARK, AT_RESET, AT_CONFIRM, AT_DONE } start_t;

static start_t where(const upd_t *u)
{
    const dfu_client_slot_t *s0 = &u->st.slots[0], *s1 = &u->st.slots[1];
    if (same_hash(s0, u->f.hash) && s0->active) {
        return (s0->confirmed || u->cfg->mode == DFU_MODE_TEST_ONLY) ? AT_DONE : AT_CONFIRM;
    }
    if (same_hash(s1, u->f.hash)) {
        if (u->cfg->mode == DFU_MODE_UPLOAD_ONLY) {
            return AT_DONE;
        }
        if (s0->present && s0->active && !s0->confirmed) {
            return AT_RESET; /* slot 1 is the revert image: a reset brings it back */
        }
        if (!s1->pending) {
            return AT_MARK;
        }
        /* pending (test or permanent): re-marking would be refused with err 28, and either
         * kind ends with the new image running; test-confirm/confirm-only confirm it after. */
        return AT_RESET;
    }
    return AT_UPLOAD;
}

static int run_update(upd_t *u)
{
    int r = read_device(u);
    if (r >= 0) {
        return r;
    }
    start_t at = where(u);
    static const char *const names[] = {"upload", "mark", "reset", "confirm", "done"};
    event(u, "plan", "ok", "mode %s; starting at '%s'%s", mode_name(u->cfg->mode), names[at],
          at != AT_UPLOAD ? " (earlier steps already done)" : "");
    if (at == AT_DONE) {
        u->outcome = "up-to-date"; /* the device already was where the mode ends: no change */
    }
    if (at == AT_UPLOAD) {
        const char *why = blocked_reason(u);
        if (why && !u->cfg->clear) {
            event(u, "check", "fail", "slot 1 is blocked: %s", why);
            return verdict(u, EXIT_FAIL, "check", why,
                           "run again with --clear to reset/erase first (reverts an unconfirmed "
                           "test image / cancels the scheduled swap), or 'dfukit image confirm' "
                           "to keep the running image");
        }
        if (why && (r = clear_slot(u)) >= 0) {
            return r;
        }
        if ((r = check_file(u)) >= 0 || (r = do_upload(u)) >= 0) {
            return r;
        }
        if (u->cfg->mode == DFU_MODE_UPLOAD_ONLY) {
            return final_ok(u);
        }
        at = AT_MARK;
    }
    if (at == AT_MARK && (r = do_mark(u)) >= 0) {
        return r;
    }
    if ((at == AT_MARK || at == AT_RESET) && (r = do_reset_wait(u)) >= 0) {
        return r;
    }
    if (at != AT_DONE && (r = do_verify_confirm(u)) >= 0) {
        return r;
    }
    return final_ok(u);
}

int dfu_client_update(dfu_client_t *c, const char *path, const dfu_client_update_cfg_t *cfg)
{
    upd_t u;
    memset(&u, 0, sizeof(u));
    u.c = c;
    u.cfg = cfg;
    u.lb_rc = 1; /* the boot record is read only when verify finds another image running */
    u.out = cfg->out ? cfg->out : stdout;
    u.last_progress = -10;
    u.path = path;
    if (cfg->device != NULL) {
        snprintf(u.pfx, sizeof(u.pfx), "[%.280s] ", cfg->device);
    }
    snprintf(u.upfx, sizeof(u.upfx), "%supdate: upload   ...  ", u.pfx);
    char why[256];
    if (dfu_client_file_load(&u.f, path, why, sizeof(why)) != DFU_OK) {
        event(&u, "file", "fail", "%s: %s", path, why);
        int code =
            verdict(&u, EXIT_FAIL, "file", why,
                    "give a signed MCUboot image (.bin or .hex, as 'dfukit image sign' writes it)");
        dfu_client_file_free(&u.f);
        return code;
    }
    dfu_client_hex(u.f.hash, 32, u.hash_hex);
    event(&u, "file", "ok", "%s: version %s, %zu bytes, hash %s", path, u.f.version, u.f.len,
          u.hash_hex);
    int code = run_update(&u);
    dfu_client_file_free(&u.f);
    return code;
}
