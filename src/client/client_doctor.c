/*
 * `dfukit doctor`: reads everything the device tells about DFU and explains it: what is in each
 * slot, what MCUboot does at the next reset, and for each stuck state (smp-protocol.md §4.5, §5.4,
 * §7) the cause and the exact fix. Read-only except for one harmless probe: an image state write
 * without a hash, which a device that accepts writes on this link refuses with err 24
 * (INVALID_HASH) and a device that wants a stronger link refuses with an ATT error / rc 11.
 */
#include <stdlib.h>
#include <string.h>

#include "dfu_client.h"
#include "dfukit/dfu_smp.h"
#include "dfukit/dfu_smp_os.h"

#define MAX_PROBLEMS 8

typedef struct {
    const char *id;
    char cause[512];
    char fix[256];
} problem_t;

typedef struct {
    dfu_client_t *c;
    dfu_client_params_t p;
    dfu_client_boot_t b;
    dfu_client_state_t st;
    dfu_client_slotinfo_t si;
    int rc_params, rc_boot, rc_state, rc_slots;
    dfu_client_err_t err_params, err_boot, err_state; /* what each failed read observed */
    dfu_client_bootrec_t lb;                          /* the device's record of the last boot */
    int rc_lb;       /* 0, DFU_ERR_NOTSUP (not reported) or a request error */
    int write_probe; /* 0 allowed, DFU_ERR_ACCESS refused for security, else unknown */
    bool paired;     /* the probe had to pair (with the given passkey) */
    size_t first_chunk;
    size_t msg_max;
    problem_t pr[MAX_PROBLEMS];
    int npr;
} doc_t;

static const char *mode_text(int m)
{
    switch (m) {
    case DFU_SMP_MODE_SINGLE_SLOT:
        return "single slot";
    case DFU_SMP_MODE_SWAP_SCRATCH:
        return "swap using scratch";
    case DFU_SMP_MODE_OVERWRITE:
        return "overwrite only (no revert)";
    case DFU_SMP_MODE_SWAP_MOVE:
        return "swap using move";
    case DFU_SMP_MODE_DIRECT_XIP:
        return "direct-XIP";
    case DFU_SMP_MODE_DIRECT_XIP_REVERT:
        return "direct-XIP with revert";
    case DFU_SMP_MODE_RAM_LOAD:
        return "RAM load";
    case DFU_SMP_MODE_FIRMWARE_LOADER:
        return "firmware loader";
    case DFU_SMP_MODE_SWAP_OFFSET:
        return "swap using offset";
    default:
        return "unknown";
    }
}

static problem_t *add(doc_t *d, const char *id)
{
    if (d->npr >= MAX_PROBLEMS) {
        return &d->pr[MAX_PROBLEMS - 1];
    }
    problem_t *p = &d->pr[d->npr++];
    p->id = id;
    return p;
}

static void probe_write(doc_t *d)
{
    static const uint8_t req[] = {0xa1, 0x67, 'c', 'o', 'n', 'f', 'i', 'r', 'm', 0xf4};
    dfu_cval_t rsp;
    dfu_client_t *c = d->c;
    int saved = c->retries;
    c->retries = 0;
    int before = dfu_client_link_security(c);
    /* with a passkey the client pairs when the device asks for it, as a real update would */
    int rc = dfu_client_request(c, "write probe", DFU_SMP_OP_WRITE, DFU_SMP_GROUP_IMAGE, 0, req,
                                sizeof(req), 0, &rsp);
    d->paired = dfu_client_link_security(c) > before && before > 0;
    c->retries = saved;
    if (rc == DFU_ERR_ACCESS ||
        (rc == DFU_ERR_DEVICE && c->err.rc == DFU_SMP_RC_EACCESSDENIED && c->err.group_rc == 0)) {
        d->write_probe = DFU_ERR_ACCESS;
    } else if (rc == DFU_ERR_DEVICE || rc == DFU_OK) {
        d->write_probe = 0;
    } else {
        d->write_probe = rc;
    }
}

static void gather(doc_t *d)
{
    dfu_client_t *c = d->c;
    d->rc_lb = dfu_client_last_boot(c, &d->lb);
    d->rc_params = dfu_client_params(c, &d->p);
    d->err_params = c->err;
    d->rc_boot = dfu_client_bootloader(c, &d->b);
    d->err_boot = c->err;
    d->rc_state = dfu_client_state_read(c, &d->st);
    d->err_state = c->err;
    d->rc_slots = dfu_client_slot_info(c, &d->si);
    probe_write(d);
    if (d->rc_params == DFU_OK) {
        d->msg_max = dfu_client_msg_max(c, &d->p);
        uint64_t total = d->si.size[1] ? d->si.size[1] : 65536;
        d->first_chunk = dfu_client_chunk_size(d->msg_max, total, true, 0, false);
    }
}

static const char *pair_fix(const dfu_client_t *c)
{
    return c->kind == DFU_LINK_BLUEZ
               ? "pair with the device's passkey: --conn ble:TARGET,passkey=NNNNNN (keep the "
                 "device's security on)"
               : "pair with the device's passkey: --conn ble-sim:PATH,passkey=NNNNNN (keep the "
                 "device's security on)";
}

/* BlueZ link: what BlueZ says about the bond, and what the security level is known to be. */
static void bluez_link_text(const dfu_client_t *c, char *out, size_t cap)
{
    dfu_bluez_info_t bi;
    out[0] = '\0';
    if (c->kind != DFU_LINK_BLUEZ || !c->open || dfu_link_bluez_info(&c->link, &bi) != DFU_OK) {
        return;
    }
    snprintf(
        out, cap, "doctor: bluez: %s (%s) on %s, ATT MTU %u, %s; bond: %s%s%s%s; security: %s\n",
        bi.address, bi.name, bi.adapter, bi.att_mtu,
        bi.acquired ? "AcquireWrite/AcquireNotify sockets" : "WriteValue/StartNotify",
        bi.paired ? "paired" : "not paired", bi.bonded ? ", bonded (stored)" : "",
        bi.trusted ? ", trusted" : "", bi.repaired ? ", stale bond removed and paired again" : "",
        bi.paired_now ? "L3+ (authenticated: paired with the passkey now)"
        : bi.paired   ? "L2+ (encrypted with the stored bond; BlueZ does not report whether "
                        "it was authenticated)"
                      : "L1 (not paired, not encrypted)");
}

static void analyse(doc_t *d)
{
    const dfu_client_slot_t *s0 = &d->st.slots[0], *s1 = &d->st.slots[1];
    problem_t *p;
    if (d->rc_state == DFU_OK && s1->present && s1->pending) {
        p = add(d, s1->permanent ? "pending_permanent" : "pending_test");
        snprintf(p->cause, sizeof(p->cause),
                 "%s of slot 1 is pending (version %s): it is scheduled for the next reset, but "
                 "the device has not been reset (MCUboot only swaps at boot), so a reset applies "
                 "it. Until then confirming the running image or marking another image fails "
                 "with err 28 (IMAGE_ALREADY_PENDING)",
                 s1->permanent ? "a permanent swap" : "a test", s1->version);
        snprintf(p->fix, sizeof(p->fix),
                 "reset to apply it: 'dfukit reset'%s; or cancel it: 'dfukit image erase 1'",
                 s1->permanent ? "" : ", then keep it: 'dfukit image confirm'");
    }
    if (d->rc_state == DFU_OK && s0->present && s0->active && !s0->confirmed) {
        p = add(d, "unconfirmed_test");
        snprintf(p->cause, sizeof(p->cause),
                 "the running image is not confirmed: slot 0 (version %s) is a test image, and "
                 "MCUboot reverts to the slot 1 image (%s) at the next reset. Slot 1 holds that "
                 "revert image, so uploads and erases of slot 1 fail with err 9 (NO_FREE_SLOT) and "
                 "test requests with err 28",
                 s0->version, s1->present ? s1->version : "none");
        snprintf(p->fix, sizeof(p->fix),
                 "confirm it to keep it: 'dfukit image confirm'; or reset to go back: "
                 "'dfukit reset'");
    }
    if (d->rc_state == DFU_OK && !s0->present) {
        p = add(d, "no_image");
        snprintf(p->cause, sizeof(p->cause), "the device lists no image in slot 0");
        snprintf(p->fix, sizeof(p->fix), "upload and test an image: 'dfukit update FILE'");
    }
    bool reads_refused = d->rc_params == DFU_ERR_ACCESS && d->rc_state == DFU_ERR_ACCESS;
    if (reads_refused) {
        p = add(d, "link_security");
        snprintf(p->cause, sizeof(p->cause),
                 "the device refuses every request on this link (security level %d): it requires "
                 "an authenticated (passkey) link for all SMP writes (GATT permission), so "
                 "nothing can be read or updated without pairing",
                 dfu_client_link_security(d->c));
        snprintf(p->fix, sizeof(p->fix), "%s", pair_fix(d->c));
    } else if (d->write_probe == DFU_ERR_ACCESS) {
        p = add(d, "link_security");
        snprintf(p->cause, sizeof(p->cause),
                 "the device refuses writes (upload, test, confirm, reset) on this link "
                 "(security level %d): its policy requires an authenticated (passkey) link",
                 dfu_client_link_security(d->c));
        snprintf(p->fix, sizeof(p->fix), "%s", pair_fix(d->c));
    }
    if (d->rc_params == DFU_OK && d->first_chunk < 32) {
        p = add(d, "buffer_small");
        snprintf(p->cause, sizeof(p->cause),
                 "the device's SMP buffer (buf_size %u, %zu bytes usable per request on this "
                 "link) cannot carry a first upload chunk (request overhead + 32-byte image "
                 "header): every upload fails",
                 d->p.buf_size, d->msg_max);
        snprintf(p->fix, sizeof(p->fix),
                 "raise CONFIG_MCUMGR_TRANSPORT_NETBUF_SIZE to at least 384 on the device");
    }
    int rcs[] = {d->rc_params, d->rc_boot, d->rc_state};
    const dfu_client_err_t *errs[] = {&d->err_params, &d->err_boot, &d->err_state};
    for (int i = 0; i < 3; i++) {
        if (rcs[i] != DFU_OK && rcs[i] != DFU_ERR_DEVICE && rcs[i] != DFU_ERR_ACCESS) {
            p = add(d, "link");
            char obs[400];
            dfu_client_err_observed(errs[i], obs, sizeof(obs));
            snprintf(p->cause, sizeof(p->cause), "%s: %s", errs[i]->what, obs);
            snprintf(p->fix, sizeof(p->fix), "%s", dfu_client_err_explain(errs[i])->fix);
            break;
        }
    }
}

/* How to word the last boot: doctor also read the slots, so a test image that has confirmed
 * itself since is said to stay (not that it would be reverted). */
static unsigned last_boot_flags(const doc_t *d)
{
    return d->rc_state == DFU_OK && dfu_client_bootrec_confirmed(&d->lb, &d->st)
               ? DFU_BOOTREC_CONFIRMED
               : 0u;
}

/* The first line: what the bootloader did at the last reset, and why. */
static void last_boot_line(const doc_t *d, char *buf, size_t cap)
{
    if (d->rc_lb == DFU_OK) {
        dfu_client_bootrec_explain_as(&d->lb, last_boot_flags(d), buf, cap);
    } else if (d->rc_lb == DFU_ERR_NOTSUP) {
        snprintf(buf, cap, "%s", DFU_CLIENT_NO_BOOTREC);
    } else {
        snprintf(buf, cap, "the boot outcome could not be read (%s)", dfu_strerror(d->rc_lb));
    }
}

static void print_text(doc_t *d, FILE *out)
{
    dfu_client_t *c = d->c;
    char lb[600];
    last_boot_line(d, lb, sizeof(lb));
    fprintf(out, "doctor: %s\n", lb);
    int sec = dfu_client_link_security(c);
    const char *level = sec == 0                                ? "n/a"
                        : sec == 1                              ? "L1 (none)"
                        : sec == 2 && c->kind == DFU_LINK_BLUEZ ? "L2+ (encrypted, stored bond)"
                        : sec == 2                              ? "L2 (encrypted)"
                                                                : "L3+ (authenticated)";
    const char *writes =
        d->write_probe == 0
            ? (d->paired ? ", writes allowed after pairing with the passkey" : ", writes allowed")
            : "";
    if (!c->answered) {
        fprintf(out, "doctor: link %s, security %s: the device gave no SMP answer\n", c->conn,
                level);
    } else {
        fprintf(out, "doctor: link %s, SMP v%d, security %s%s\n", c->conn, c->version + 1, level,
                writes);
    }
    char bz[512];
    bluez_link_text(c, bz, sizeof(bz));
    fputs(bz, out);
    if (d->rc_params == DFU_OK) {
        fprintf(out,
                "doctor: params: buf_size %u, buf_count %u; upload requests up to %zu "
                "bytes, first chunk %zu data bytes\n",
                d->p.buf_size, d->p.buf_count, d->msg_max, d->first_chunk);
    }
    if (d->rc_boot == DFU_OK) {
        fprintf(out, "doctor: bootloader: %s, mode %d (%s)%s\n",
                d->b.name[0] ? d->b.name : "unknown", d->b.mode, mode_text(d->b.mode),
                d->b.no_downgrade ? ", downgrades refused" : ", downgrades allowed");
    }
    if (d->rc_slots == DFU_OK) {
        char why[400];
        dfu_client_usable_explain(&d->si, d->b.mode, why, sizeof(why));
        fprintf(out,
                "doctor: slot sizes: slot 0 %u bytes, slot 1 %u bytes; usable for an image: %u "
                "bytes (%s)\n",
                d->si.size[0], d->si.size[1], dfu_client_usable_size(&d->si), why);
    }
    if (d->rc_state == DFU_OK) {
        for (int s = 0; s < 2; s++) {
            const dfu_client_slot_t *sl = &d->st.slots[s];
            if (!sl->present) {
                fprintf(out, "doctor: slot %d: empty (no valid image)\n", s);
                continue;
            }
            char hex[65];
            dfu_client_hex(sl->hash, sl->hash_len, hex);
            fprintf(out,
                    "doctor: slot %d: version %s hash %.16s... %s%s%s%s%s-> at next reset: "
                    "%s\n",
                    s, sl->version, hex, sl->active ? "active " : "",
                    sl->confirmed ? "confirmed " : "", sl->pending ? "pending " : "",
                    sl->permanent ? "permanent " : "", sl->bootable ? "" : "non-bootable ",
                    dfu_client_slot_fate(&d->st, s));
        }
        fprintf(out, "doctor: at the next reset: %s\n", dfu_client_next_reset(&d->st));
    }
    for (int i = 0; i < d->npr; i++) {
        fprintf(out, "doctor: PROBLEM %s: %s.\ndoctor:   fix: %s\n", d->pr[i].id, d->pr[i].cause,
                d->pr[i].fix);
    }
    fprintf(out, "doctor: verdict: %s\n", d->npr ? "problems found (see fixes above)" : "healthy");
}

static void print_json(doc_t *d, FILE *out)
{
    dfu_json_t j;
    dfu_json_init(&j, out);
    dfu_json_obj(&j);
    char lb[600];
    last_boot_line(d, lb, sizeof(lb));
    dfu_json_key(&j, "last_boot_summary");
    dfu_json_str(&j, lb);
    dfu_json_key(&j, "last_boot");
    if (d->rc_lb == DFU_OK) {
        dfu_json_bootrec(&j, &d->lb, last_boot_flags(d));
    } else {
        dfu_json_null(&j);
    }
    dfu_json_key(&j, "link");
    dfu_json_obj(&j);
    dfu_json_key(&j, "conn");
    dfu_json_str(&j, d->c->conn);
    dfu_json_key(&j, "smp_version");
    dfu_json_int(&j, d->c->version + 1);
    dfu_json_key(&j, "security");
    dfu_json_int(&j, dfu_client_link_security(d->c));
    dfu_json_key(&j, "writes_allowed");
    dfu_json_bool(&j, d->write_probe == 0);
    dfu_bluez_info_t bi;
    if (d->c->kind == DFU_LINK_BLUEZ && d->c->open && dfu_link_bluez_info(&d->c->link, &bi) == 0) {
        dfu_json_key(&j, "bluez");
        dfu_json_obj(&j);
        dfu_json_key(&j, "address");
        dfu_json_str(&j, bi.address);
        dfu_json_key(&j, "name");
        dfu_json_str(&j, bi.name);
        dfu_json_key(&j, "adapter");
        dfu_json_str(&j, bi.adapter);
        dfu_json_key(&j, "att_mtu");
        dfu_json_int(&j, bi.att_mtu);
        dfu_json_key(&j, "acquired");
        dfu_json_bool(&j, bi.acquired);
        dfu_json_key(&j, "paired");
        dfu_json_bool(&j, bi.paired);
        dfu_json_key(&j, "bonded");
        dfu_json_bool(&j, bi.bonded);
        dfu_json_key(&j, "trusted");
        dfu_json_bool(&j, bi.trusted);
        dfu_json_key(&j, "paired_now");
        dfu_json_bool(&j, bi.paired_now);
        dfu_json_key(&j, "repaired");
        dfu_json_bool(&j, bi.repaired);
        dfu_json_obj_end(&j);
    }
    dfu_json_obj_end(&j);
    dfu_json_key(&j, "params");
    dfu_json_obj(&j);
    dfu_json_key(&j, "buf_size");
    dfu_json_int(&j, d->p.buf_size);
    dfu_json_key(&j, "buf_count");
    dfu_json_int(&j, d->p.buf_count);
    dfu_json_key(&j, "max_request");
    dfu_json_int(&j, (long long)d->msg_max);
    dfu_json_key(&j, "first_chunk");
    dfu_json_int(&j, (long long)d->first_chunk);
    dfu_json_obj_end(&j);
    dfu_json_key(&j, "bootloader");
    dfu_json_obj(&j);
    dfu_json_key(&j, "name");
    dfu_json_str(&j, d->b.name);
    dfu_json_key(&j, "mode");
    dfu_json_int(&j, d->b.mode);
    dfu_json_key(&j, "mode_name");
    dfu_json_str(&j, mode_text(d->b.mode));
    dfu_json_key(&j, "no_downgrade");
    dfu_json_bool(&j, d->b.no_downgrade);
    dfu_json_obj_end(&j);
    dfu_json_key(&j, "slot_sizes");
    dfu_json_arr(&j);
    dfu_json_int(&j, d->si.size[0]);
    dfu_json_int(&j, d->si.size[1]);
    dfu_json_arr_end(&j);
    char why[400];
    dfu_client_usable_explain(&d->si, d->b.mode, why, sizeof(why));
    dfu_json_key(&j, "usable_image_size"); /* slot 1 minus what MCUboot keeps at its end */
    dfu_json_int(&j, dfu_client_usable_size(&d->si));
    dfu_json_key(&j, "usable_image_size_why");
    dfu_json_str(&j, why);
    dfu_json_key(&j, "images");
    dfu_json_arr(&j);
    for (int s = 0; s < 2; s++) {
        if (d->st.slots[s].present) {
            dfu_json_slot(&j, &d->st, s);
        }
    }
    dfu_json_arr_end(&j);
    dfu_json_key(&j, "next_reset");
    dfu_json_str(&j, dfu_client_next_reset(&d->st));
    dfu_json_key(&j, "problems");
    dfu_json_arr(&j);
    for (int i = 0; i < d->npr; i++) {
        dfu_json_obj(&j);
        dfu_json_key(&j, "id");
        dfu_json_str(&j, d->pr[i].id);
        dfu_json_key(&j, "cause");
        dfu_json_str(&j, d->pr[i].cause);
        dfu_json_key(&j, "fix");
        dfu_json_str(&j, d->pr[i].fix);
        dfu_json_obj_end(&j);
    }
    dfu_json_arr_end(&j);
    dfu_json_key(&j, "healthy");
    dfu_json_bool(&j, d->npr == 0);
    dfu_json_obj_end(&j);
    dfu_json_end(&j);
}

int dfu_client_diagnose(dfu_client_t *c, dfu_client_diag_t *out)
{
    memset(out, 0, sizeof(*out));
    /* One per call, not a static: `dfukit update` over several devices diagnoses them from
     * their own threads at the same time. */
    doc_t *d = calloc(1, sizeof(*d));
    if (d == NULL) {
        return 0; /* no diagnosis: the caller reports the request error as it is */
    }
    dfu_client_err_t saved = c->err;
    d->c = c;
    d->rc_state = dfu_client_state_read(c, &d->st);
    d->rc_params = d->rc_boot = DFU_ERR_DEVICE; /* not gathered: no link/buffer findings */
    d->write_probe = 0;
    analyse(d);
    c->err = saved;
    int found = d->npr > 0;
    if (found) {
        snprintf(out->id, sizeof(out->id), "%s", d->pr[0].id);
        snprintf(out->cause, sizeof(out->cause), "%s", d->pr[0].cause);
        snprintf(out->fix, sizeof(out->fix), "%s", d->pr[0].fix);
    }
    free(d);
    return found;
}

int dfu_client_doctor(dfu_client_t *c, bool json, FILE *out)
{
    doc_t d;
    memset(&d, 0, sizeof(d));
    d.c = c;
    gather(&d);
    analyse(&d);
    if (json) {
        print_json(&d, out);
    } else {
        print_text(&d, out);
    }
    bool no_answer = d.rc_params != DFU_OK && d.rc_state != DFU_OK && d.rc_boot != DFU_OK &&
                     d.rc_params != DFU_ERR_DEVICE && d.rc_params != DFU_ERR_ACCESS;
    return no_answer ? 4 : (d.npr ? 1 : 0);
}
