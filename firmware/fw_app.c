/* SMP application: console framing, SMP server (OS + Image groups), confirm, reset. */
#include "fw_app.h"

#include <string.h>

#include "dfukit/dfu_boot_record.h"
#include "dfukit/dfu_err.h"
#include "dfukit/dfu_image.h"
#include "fw_cortexm.h"

static int app_send(void *ctx, const uint8_t *msg, size_t len)
{
    fw_app_t *a = ctx;
    int n = dfu_serial_encode(msg, len, a->tx, sizeof(a->tx));
    if (n < 0) {
        return n;
    }
    a->cfg->con->write(a->cfg->con->ctx, a->tx, (size_t)n);
    return 0;
}

/* OS reset: called after the response was handed to app_send, which returns once the bytes are
 * in the transmitter; drain it, report the stack, then reset the system. */
static void app_reset(void *ctx, uint8_t boot_mode)
{
    (void)boot_mode;
    fw_app_t *a = ctx;
    const fw_console_t *c = a->cfg->con;
    int intact = 0;
    uint32_t used = fw_cm_stack_used(a->cfg->stack_bottom, a->cfg->stack_top, &intact);
    fw_puts(c, "dfukit-app: reset stack=");
    fw_putu(c, used);
    fw_puts(c, "/");
    fw_putu(c, (uint32_t)((uintptr_t)a->cfg->stack_top - (uintptr_t)a->cfg->stack_bottom));
    fw_puts(c, intact ? " guard=ok\n" : " guard=HIT\n");
    c->drain(c->ctx);
    a->cfg->reset();
}

/* "M.m.r+b" of the running image, from its own header in the primary slot. */
static int read_version(fw_app_t *a, const dfu_flash_area_t *primary, dfu_image_header_t *h)
{
    uint8_t raw[32];
    int rc = dfu_flash_read(primary, 0, raw, sizeof(raw));
    if (rc == 0) {
        rc = dfu_image_header_parse(raw, sizeof(raw), h);
    }
    if (rc != 0) {
        strcpy(a->version, "unknown");
        return rc;
    }
    char *p = a->version; /* at most 3 + 3 + 5 + 10 digits and 3 separators: fits */
    const uint32_t parts[4] = {h->ver.major, h->ver.minor, h->ver.revision, h->ver.build};
    for (unsigned i = 0; i < 4u; i++) {
        p += fw_fmt_u32(p, parts[i]);
        *p++ = i < 2u ? '.' : (i == 2u ? '+' : '\0');
    }
    return 0;
}

/* Confirms the running image when configured to and the trailer asks for it (magic written,
 * image_ok unset: a test boot). Returns the word for the start line. */
static const char *confirm_self(fw_app_t *a, const dfu_flash_area_t *primary)
{
    dfu_boot_slot_state_t st;
    int rc = dfu_boot_read_slot_state(primary, &a->cfg->layout.trailer, &st);
    if (rc != 0) {
        return "unreadable";
    }
    if (st.magic != DFU_BOOT_MAGIC_GOOD || st.image_ok != DFU_BOOT_FLAG_UNSET) {
        return "yes"; /* permanent: nothing asks for a confirmation */
    }
    if (!a->cfg->confirm) {
        return "no";
    }
    rc = dfu_boot_set_confirmed(primary, &a->cfg->layout.trailer);
    return rc == 0 ? "now" : "failed";
}

static int app_setup(fw_app_t *a, const fw_app_cfg_t *cfg, const char **confirmed)
{
    memset(a, 0, sizeof(*a));
    a->cfg = cfg;
    if (dfu_serial_encoded_size(FW_APP_BUF) > sizeof(a->tx)) {
        return DFU_ERR_NOMEM;
    }
    int rc = dfu_flash_init(&a->flash, cfg->flash_port);
    if (rc != 0) {
        return rc;
    }
    /* The record first: nothing may reuse the hand-off area's RAM before it is taken. */
    bool have_last = cfg->handoff != NULL &&
                     dfu_boot_handoff_read(cfg->handoff, cfg->handoff_size, 1, &a->last_boot) == 0;
    dfu_smp_img_cfg_t icfg;
    memset(&icfg, 0, sizeof(icfg));
    fw_layout_areas(&cfg->layout, &a->flash, &icfg.primary, &icfg.secondary, &a->log);
    icfg.trailer = cfg->layout.trailer;
    icfg.crypto = cfg->crypto;
    dfu_image_header_t hdr;
    (void)read_version(a, &icfg.primary, &hdr);
    *confirmed = confirm_self(a, &icfg.primary);

    a->os_port.ctx = a;
    a->os_port.reset = app_reset;
    dfu_smp_os_cfg_t ocfg;
    memset(&ocfg, 0, sizeof(ocfg));
    ocfg.port = &a->os_port;
    ocfg.node_name = cfg->board;
    ocfg.version = a->version;
    ocfg.release = a->version;
    ocfg.platform = cfg->board;
    ocfg.mcuboot_mode = DFU_SMP_MODE_SWAP_MOVE;
    ocfg.no_downgrade = cfg->no_downgrade;
    ocfg.last_boot = have_last ? &a->last_boot : NULL;
    ocfg.boot_log = a->log.size != 0u ? &a->log : NULL;
    dfu_smp_server_cfg_t scfg;
    memset(&scfg, 0, sizeof(scfg));
    scfg.buf = a->rsp;
    scfg.buf_size = sizeof(a->rsp);
    scfg.send = app_send;
    scfg.send_ctx = a;
    scfg.policy = &dfu_smp_policy_open;
    rc = dfu_smp_server_init(&a->srv, &scfg);
    if (rc == 0) {
        rc = dfu_smp_os_register(&a->srv, &a->os, &ocfg);
    }
    if (rc == 0) {
        rc = dfu_smp_img_register(&a->srv, &a->img, &icfg);
    }
    if (rc == 0) {
        rc = dfu_serial_decoder_init(&a->dec, a->rx, sizeof(a->rx), 0);
    }
    return rc;
}

int fw_app_run(fw_app_t *a, const fw_app_cfg_t *cfg)
{
    const char *confirmed = "no";
    int rc = app_setup(a, cfg, &confirmed);
    const fw_console_t *c = cfg->con;
    fw_puts(c, "dfukit-app: ");
    fw_puts(c, cfg->board);
    fw_puts(c, " version=");
    fw_puts(c, a->version);
    fw_puts(c, " confirmed=");
    fw_puts(c, confirmed);
    fw_puts(c, " last_boot=");
    if (a->last_boot.boot_count != 0u || a->last_boot.booted) {
        fw_putu(c, a->last_boot.boot_count);
    } else {
        fw_puts(c, "none");
    }
    if (rc != 0) {
        fw_puts(c, " setup failed: ");
        fw_puts(c, dfu_strerror(rc));
        fw_puts(c, "\n");
        return rc;
    }
    fw_puts(c, "\n");
    for (;;) {
        int ch = c->getc(c->ctx);
        if (ch < 0) {
            continue;
        }
        const uint8_t *msg = NULL;
        int n = dfu_serial_feed(&a->dec, (uint8_t)ch, &msg);
        if (n > 0) {
            (void)dfu_smp_server_process(&a->srv, msg, (size_t)n, DFU_SMP_SEC_NONE);
        }
    }
}
