/* Bootloader sequence: boot core over the board's flash, boot line, jump address. */
#include "fw_boot.h"

#include <string.h>

#include "dfukit/dfu_err.h"
#include "fw_cortexm.h"

static void print_outcome(const fw_console_t *c, const dfu_boot_result_t *r, int rc)
{
    fw_puts(c, "boot=");
    fw_putu(c, r->boot_count);
    fw_puts(c, " swap=");
    fw_puts(c, dfu_boot_swap_name(r->swap_type));
    if (r->resumed) {
        fw_puts(c, " resumed=yes");
    }
    if (r->reverted) {
        fw_puts(c, " reverted=yes");
    }
    if (r->secondary_err != 0) {
        fw_puts(c, " secondary_err=");
        fw_puti(c, r->secondary_err);
    }
    if (rc == 0 && r->booted) {
        fw_puts(c, " slot=0 version=");
        fw_putver(c, r->image.ver_major, r->image.ver_minor, r->image.ver_revision,
                  r->image.ver_build);
        fw_puts(c, " hash=");
        fw_puthex(c, r->image.hash, r->image.hash_len < 8u ? r->image.hash_len : 8u);
    } else {
        fw_puts(c, " primary_err=");
        fw_puti(c, r->primary_err != 0 ? r->primary_err : rc);
        fw_puts(c, " no bootable image");
    }
}

static void print_stack(const fw_console_t *c, const fw_boot_cfg_t *cfg)
{
    if (cfg->stack_bottom == NULL) {
        return;
    }
    int intact = 0;
    uint32_t used = fw_cm_stack_used(cfg->stack_bottom, cfg->stack_top, &intact);
    fw_puts(c, " stack=");
    fw_putu(c, used);
    fw_puts(c, "/");
    fw_putu(c, (uint32_t)((uintptr_t)cfg->stack_top - (uintptr_t)cfg->stack_bottom));
    fw_puts(c, intact ? " guard=ok" : " guard=HIT");
}

/* The image's reset vector must be a Thumb address inside the primary slot, after the vector
 * table: an image linked for another address (or header size) is not started. */
static int runs_here(const fw_layout_t *l, uintptr_t vt)
{
    uint32_t entry = ((const volatile uint32_t *)vt)[1];
    uintptr_t end = l->flash_addr + l->slot0_off + l->slot_size;
    return (entry & 1u) != 0u && entry > vt && entry < end;
}

static int boot_setup(fw_boot_t *b, const fw_boot_cfg_t *cfg)
{
    int rc = dfu_flash_init(&b->flash, cfg->flash_port);
    if (rc != 0) {
        return rc;
    }
    memset(&b->iv, 0, sizeof(b->iv));
    b->iv.verify.crypto = cfg->crypto;
    b->iv.verify.keys = cfg->keys;
    b->iv.verify.key_count = cfg->key_count;
    b->iv.verify.scratch = b->scratch;
    b->iv.verify.scratch_len = sizeof(b->scratch);
    b->iv.verify.hash_alg = DFU_HASH_SHA256;
    memset(&b->cfg, 0, sizeof(b->cfg));
    fw_layout_areas(&cfg->layout, &b->flash, &b->cfg.primary, &b->cfg.secondary, &b->cfg.log);
    b->cfg.trailer = cfg->layout.trailer;
    b->cfg.handoff = cfg->handoff;
    b->cfg.handoff_size = cfg->handoff_size;
    b->cfg.clock = cfg->clock;
    b->cfg.buf = b->copy_buf;
    b->cfg.buf_len = sizeof(b->copy_buf);
    b->cfg.flags = cfg->boot_flags;
    dfu_boot_image_validator(&b->cfg.validator, &b->iv);
    return dfu_boot_init(&b->boot, &b->cfg);
}

uintptr_t fw_boot_run(fw_boot_t *b, const fw_boot_cfg_t *cfg)
{
    const fw_console_t *c = cfg->con;
    fw_puts(c, "dfukit-boot: ");
    memset(&b->res, 0, sizeof(b->res));
    int rc = boot_setup(b, cfg);
    if (rc == 0) {
        rc = dfu_boot_go(&b->boot, &b->res);
    }
    print_outcome(c, &b->res, rc);
    print_stack(c, cfg);
    uintptr_t vt = 0;
    if (rc == 0 && b->res.booted) {
        vt = cfg->layout.flash_addr + cfg->layout.slot0_off + b->res.image.hdr_size;
        if (!runs_here(&cfg->layout, vt)) {
            b->res.reason = "image not linked to run from the primary slot";
            vt = 0;
        }
    }
    if (vt != 0) {
        fw_puts(c, " start=");
        fw_putx(c, (uint32_t)vt);
    } else {
        fw_puts(c, " halted");
    }
    fw_puts(c, " reason=\"");
    fw_puts(c, b->res.reason != NULL ? b->res.reason : "set-up failed");
    fw_puts(c, "\"\n");
    if (c->drain != NULL) {
        c->drain(c->ctx);
    }
    return vt;
}
