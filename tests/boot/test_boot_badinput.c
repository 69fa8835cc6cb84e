/*
 * Bad input for the boot core: garbage / erased / half-written trailers, a header claiming a
 * size beyond the slot, corrupt status areas, unusable layouts. Every case must be reported
 * clearly, never crash, and never brick a device whose primary image is valid.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "boot_fixture.h"
#include "boot_priv.h"
#include "dfu_test.h"
#include "dfukit/dfu_err.h"

static bf_image_t img_a, img_b;

static bf_dev_t *dev(uint8_t strategy)
{
    bf_dev_t *d = calloc(1, sizeof(*d));
    CHECK_EQ_INT(bf_dev_init(d, &bf_layout_small, strategy, 8), 0);
    bf_poke(d, &d->cfg.primary, 0, img_a.data, img_a.len);
    return d;
}

static void done(bf_dev_t *d)
{
    bf_dev_free(d);
    free(d);
}

static void expect_boots_a(bf_dev_t *d, const char *what)
{
    dfu_boot_result_t r;
    int rc = dfu_boot_go(&d->boot, &r);
    if (rc != 0 || !r.booted || memcmp(r.image.hash, img_a.hash, 32) != 0) {
        printf("  %s: rc=%d reason=%s\n", what, rc, r.reason);
    }
    CHECK_EQ_INT(rc, 0);
    CHECK(r.booted && memcmp(r.image.hash, img_a.hash, 32) == 0);
    CHECK(bf_equal(d, &d->cfg.primary, 0, img_a.data, img_a.len));
}

static void test_trailers(void)
{
    uint32_t x = 12345;
    for (uint8_t st = 0; st < 4; st++) {
        /* random garbage over S's trailer sector, many times */
        for (int i = 0; i < 200; i++) {
            bf_dev_t *d = dev(st);
            uint8_t junk[4096];
            for (size_t k = 0; k < sizeof(junk); k++) {
                x = x * 1103515245u + 12345u;
                junk[k] = (uint8_t)(x >> 16);
            }
            int which = i % 3; /* 0: S trailer, 1: P trailer, 2: both */
            if (which != 1) {
                bf_poke(d, &d->cfg.secondary, d->cfg.secondary.size - 4096, junk, 4096);
            }
            if (which != 0) {
                bf_poke(d, &d->cfg.primary, d->cfg.primary.size - 4096, junk, 4096);
            }
            expect_boots_a(d, "garbage trailer");
            /* a second boot is stable */
            uint64_t ops = d->sf.ops;
            expect_boots_a(d, "garbage trailer, second boot");
            CHECK(d->sf.ops == ops);
            done(d);
        }
        /* half-written magic in S (first 8 bytes of 16) */
        bf_dev_t *d = dev(st);
        bf_poke(d, &d->cfg.secondary,
                dfu_boot_secondary_image_off(&d->cfg.trailer, &d->cfg.secondary), img_b.data,
                img_b.len);
        CHECK_EQ_INT(dfu_boot_set_pending(&d->cfg.secondary, 0, &d->cfg.trailer), 0);
        memset(d->sf.mem + d->cfg.secondary.off + d->cfg.secondary.size - 8, 0xff, 8);
        dfu_boot_slot_state_t s;
        dfu_boot_read_slot_state(&d->cfg.secondary, &d->cfg.trailer, &s);
        CHECK_EQ_INT(s.magic, DFU_BOOT_MAGIC_BAD);
        CHECK_EQ_INT(dfu_boot_set_pending(&d->cfg.secondary, 0, &d->cfg.trailer),
                     DFU_ERR_BAD_TRAILER);
        expect_boots_a(d, "half magic");
        dfu_boot_read_slot_state(&d->cfg.secondary, &d->cfg.trailer, &s);
        CHECK_EQ_INT(s.magic, DFU_BOOT_MAGIC_UNSET); /* cleared: the app can retry */
        done(d);
        /* erased flash everywhere: nothing to boot, nothing written */
        d = dev(st);
        memset(d->sf.mem, 0xff, d->sf.port.size);
        dfu_boot_result_t r;
        CHECK_EQ_INT(dfu_boot_go(&d->boot, &r), DFU_ERR_NOT_FOUND);
        CHECK(!r.booted && r.primary_err == DFU_ERR_BAD_MAGIC);
        CHECK_EQ_INT(d->sf.ops, 0);
        done(d);
    }
}

static void test_oversized(void)
{
    for (uint8_t st = 0; st < 4; st++) {
        bf_dev_t *d = dev(st);
        uint32_t soff = dfu_boot_secondary_image_off(&d->cfg.trailer, &d->cfg.secondary);
        uint8_t hdr[32];
        memcpy(hdr, img_b.data, 32);
        uint32_t huge = d->cfg.secondary.size; /* header says: bigger than the slot */
        memcpy(hdr + 12, &huge, 4);
        bf_poke(d, &d->cfg.secondary, soff, img_b.data, img_b.len);
        bf_poke(d, &d->cfg.secondary, soff, hdr, 32);
        CHECK_EQ_INT(dfu_boot_set_pending(&d->cfg.secondary, 1, &d->cfg.trailer), 0);
        dfu_boot_result_t r;
        CHECK_EQ_INT(dfu_boot_go(&d->boot, &r), 0);
        CHECK(r.secondary_err == DFU_ERR_BAD_HEADER || r.secondary_err == DFU_ERR_NOSPC);
        CHECK_EQ_INT(r.swap_type, DFU_BOOT_SWAP_FAIL); /* invalid: scrambled (MCUboot FAIL) */
        CHECK(bf_equal(d, &d->cfg.primary, 0, img_a.data, img_a.len));
        /* an image that is well-formed but 4 bytes larger than the strategy accepts (SHA-256
         * TLV block: 40 bytes). Swap strategies: it validates, but the swap cannot move it:
         * NONE, the secondary is kept. Overwrite: it reaches swap_info, so it is invalid. */
        bf_image_t big;
        uint32_t max = dfu_boot_max_image_size(&d->boot);
        bf_make_image(&big, max - 0x200u - 40u + 4u, 3, 0, 5, -1, 0xff);
        CHECK_EQ_INT(big.len, max + 4u);
        bf_poke(d, &d->cfg.secondary, soff, big.data, big.len);
        CHECK_EQ_INT(dfu_boot_write_magic(&d->cfg.secondary, &d->boot.ls, 8), 0);
        CHECK_EQ_INT(dfu_boot_go(&d->boot, &r), 0);
        CHECK_EQ_INT(r.secondary_err, DFU_ERR_NOSPC);
        int ow = st == DFU_BOOT_STRATEGY_OVERWRITE;
        CHECK_EQ_INT(r.swap_type, ow ? DFU_BOOT_SWAP_FAIL : DFU_BOOT_SWAP_NONE);
        CHECK(bf_equal(d, &d->cfg.primary, 0, img_a.data, img_a.len));
        CHECK(ow || bf_equal(d, &d->cfg.secondary, soff, big.data, big.len));
        bf_free_image(&big);
        done(d);
    }
}

static void test_status_garbage(void)
{
    /* P trailer initialised (mid-swap look) with records that have a hole: not resumed, the
     * valid primary still boots. */
    bf_dev_t *d = dev(DFU_BOOT_STRATEGY_MOVE);
    dfu_boot_t *b = &d->boot;
    const dfu_flash_area_t *p = &d->cfg.primary;
    CHECK_EQ_INT(dfu_boot_write_swap_info(p, &b->lp, DFU_BOOT_SWAP_TEST), 0);
    CHECK_EQ_INT(dfu_boot_write_swap_size(p, &b->lp, (uint32_t)img_a.len), 0);
    CHECK_EQ_INT(dfu_boot_write_magic(p, &b->lp, 8), 0);
    CHECK_EQ_INT(dfu_boot_write_record(p, &b->lp, 0, 1), 0);
    CHECK_EQ_INT(dfu_boot_write_record(p, &b->lp, 5, 1), 0);
    dfu_boot_result_t r;
    CHECK_EQ_INT(dfu_boot_go(&d->boot, &r), 0);
    CHECK(strstr(r.reason, "inconsistent") != NULL);
    CHECK(bf_equal(d, p, 0, img_a.data, img_a.len));
    done(d);
}

static void test_layouts(void)
{
    bf_dev_t *d = dev(DFU_BOOT_STRATEGY_MOVE);
    dfu_boot_t b;
    dfu_boot_cfg_t c = d->cfg;
    CHECK_EQ_INT(dfu_boot_init(&b, &c), 0);
    c.secondary.off = c.primary.off + 0x1000; /* overlapping slots */
    CHECK_EQ_INT(dfu_boot_init(&b, &c), DFU_ERR_INVAL);
    c = d->cfg;
    c.secondary.off += 0x100; /* not sector aligned */
    CHECK_EQ_INT(dfu_boot_init(&b, &c), DFU_ERR_INVAL);
    c = d->cfg;
    c.secondary.size = d->sf.port.size; /* beyond the device */
    CHECK_EQ_INT(dfu_boot_init(&b, &c), DFU_ERR_INVAL);
    c = d->cfg;
    c.primary.size += 0x2000; /* move: P may have at most one sector more than S */
    CHECK_EQ_INT(dfu_boot_init(&b, &c), DFU_ERR_INVAL);
    c = d->cfg;
    c.trailer.strategy = DFU_BOOT_STRATEGY_SCRATCH;
    c.scratch.size = 0; /* scratch strategy without scratch */
    CHECK_EQ_INT(dfu_boot_init(&b, &c), DFU_ERR_INVAL);
    c = d->cfg;
    c.trailer.strategy = DFU_BOOT_STRATEGY_SCRATCH;
    c.scratch.off = c.secondary.off; /* scratch overlapping a slot */
    CHECK_EQ_INT(dfu_boot_init(&b, &c), DFU_ERR_INVAL);
    c = d->cfg;
    c.trailer.max_align = 12;
    CHECK_EQ_INT(dfu_boot_init(&b, &c), DFU_ERR_INVAL);
    c = d->cfg;
    c.buf_len = 102; /* not a multiple of the write size */
    CHECK_EQ_INT(dfu_boot_init(&b, &c), DFU_ERR_INVAL);
    c = d->cfg;
    c.validator.validate = NULL;
    CHECK_EQ_INT(dfu_boot_init(&b, &c), DFU_ERR_INVAL);
    c = d->cfg;
    c.trailer.strategy = 9;
    CHECK_EQ_INT(dfu_boot_init(&b, &c), DFU_ERR_INVAL);
    done(d);
    /* write alignment larger than max-align */
    bf_layout_t l = bf_layout_small;
    l.align = 16;
    bf_dev_t *e = calloc(1, sizeof(*e));
    CHECK_EQ_INT(bf_dev_init(e, &l, DFU_BOOT_STRATEGY_MOVE, 8), DFU_ERR_INVAL);
    CHECK_EQ_INT(bf_dev_init(e, &l, DFU_BOOT_STRATEGY_MOVE, 16), 0);
    done(e);
    /* simulated flash enforces NOR rules */
    dfu_simflash_t sf;
    CHECK_EQ_INT(dfu_simflash_init(&sf, 0x4000, 0x1000, 4, 0xff), 0);
    uint8_t w[4] = {1, 2, 3, 4};
    CHECK_EQ_INT(sf.port.write(sf.port.ctx, 0, w, 4), 0);
    CHECK_EQ_INT(sf.port.write(sf.port.ctx, 0, w, 4), DFU_ERR_FLASH_RULE);
    CHECK_EQ_INT(sf.port.write(sf.port.ctx, 2, w, 4), DFU_ERR_FLASH_RULE);
    CHECK_EQ_INT(sf.port.erase(sf.port.ctx, 0x800, 0x1000), DFU_ERR_FLASH_RULE);
    dfu_simflash_cut_after(&sf, 1, 1);
    CHECK_EQ_INT(sf.port.erase(sf.port.ctx, 0, 0x1000), DFU_ERR_POWER_CUT);
    CHECK_EQ_INT(sf.port.read(sf.port.ctx, 0, w, 4), DFU_ERR_POWER_CUT);
    dfu_simflash_power_on(&sf);
    CHECK_EQ_INT(sf.wear[0], 1);
    CHECK_EQ_INT(sf.port.erase(sf.port.ctx, 0, 0x1000), 0);
    CHECK_EQ_INT(dfu_simflash_max_wear(&sf, 0, 0x4000), 2);
    dfu_simflash_free(&sf);
}

/* A flag unit whose first byte is erased but whose padding holds garbage (found by the
 * fuzz_trailer fuzzer): it must read as BAD, so nothing ever programs over it. Here P looks like
 * an unconfirmed test image (magic GOOD, copy_done SET) and S holds an invalid request: before
 * the fix, the FAIL path wrote image_ok over the garbage (a NOR rule violation). */
static void test_flag_unit_garbage(void)
{
    for (uint8_t st = 0; st < 3; st++) { /* the swap strategies (overwrite writes no image_ok) */
        bf_dev_t *d = dev(st);
        dfu_boot_trailer_layout_t lp;
        CHECK_EQ_INT(dfu_boot_trailer_layout(&d->cfg.trailer, d->cfg.primary.size, 4, &lp), 0);
        CHECK_EQ_INT(dfu_boot_set_pending(&d->cfg.primary, 0, &d->cfg.trailer), 0); /* magic */
        const uint8_t one = 0x01;
        bf_poke(d, &d->cfg.primary, lp.copy_done_off, &one, 1);
        const uint8_t junk = 0x29;
        bf_poke(d, &d->cfg.primary, lp.image_ok_off + 1u, &junk, 1);
        dfu_boot_slot_state_t s;
        CHECK_EQ_INT(dfu_boot_read_slot_state(&d->cfg.primary, &d->cfg.trailer, &s), 0);
        CHECK_EQ_INT(s.image_ok, DFU_BOOT_FLAG_BAD);
        /* an invalid request in S: a header with a wrong hash */
        uint32_t so = dfu_boot_secondary_image_off(&d->cfg.trailer, &d->cfg.secondary);
        bf_poke(d, &d->cfg.secondary, so, img_b.data, img_b.len);
        const uint8_t flip = 0x55;
        bf_poke(d, &d->cfg.secondary, so + 600u, &flip, 1);
        CHECK_EQ_INT(dfu_boot_set_pending(&d->cfg.secondary, 0, &d->cfg.trailer), 0);
        dfu_boot_result_t r;
        int rc = dfu_boot_go(&d->boot, &r);
        CHECK(rc != DFU_ERR_FLASH_RULE);
        CHECK_EQ_INT(rc, 0);
        CHECK_EQ_INT(r.booted, 1);
        done(d);
    }
}

int main(void)
{
    bf_make_image(&img_a, 20000, 1, 0, 1, -1, 0xff);
    bf_make_image(&img_b, 26000, 2, 0, 2, -1, 0xff);
    test_trailers();
    test_oversized();
    test_status_garbage();
    test_layouts();
    test_flag_unit_garbage();
    bf_free_image(&img_a);
    bf_free_image(&img_b);
    return dfu_test_finish("test_boot_badinput");
}
