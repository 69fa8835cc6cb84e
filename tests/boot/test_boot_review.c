/*
 * Regression tests for the code-review findings on the boot core (review of commit 8257679):
 * each test names its finding and failed before the fix.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "boot_fixture.h"
#include "dfu_test.h"
#include "dfukit/dfu_err.h"

#include <mbedtls/sha256.h>

#include "boot_priv.h"

static bf_image_t img_a, img_b;

static bf_dev_t *dev(uint8_t strategy)
{
    bf_dev_t *d = calloc(1, sizeof(*d));
    CHECK_EQ_INT(bf_dev_init(d, &bf_layout_small, strategy, 8), 0);
    return d;
}

static void done(bf_dev_t *d)
{
    bf_dev_free(d);
    free(d);
}

static uint32_t soff_of(bf_dev_t *d)
{
    return dfu_boot_secondary_image_off(&d->cfg.trailer, &d->cfg.secondary);
}

static dfu_boot_slot_state_t state_of(bf_dev_t *d, const dfu_flash_area_t *fa)
{
    dfu_boot_slot_state_t st;
    memset(&st, 0, sizeof(st));
    CHECK_EQ_INT(dfu_boot_read_slot_state(fa, &d->cfg.trailer, &st), 0);
    return st;
}

/* A in P, B pending (test) in S, one boot: B runs unconfirmed, A is the revert candidate. */
static bf_dev_t *test_state(uint8_t st)
{
    bf_dev_t *d = dev(st);
    dfu_boot_result_t r;
    bf_poke(d, &d->cfg.primary, 0, img_a.data, img_a.len);
    bf_poke(d, &d->cfg.secondary, soff_of(d), img_b.data, img_b.len);
    CHECK_EQ_INT(dfu_boot_set_pending(&d->cfg.secondary, 0, &d->cfg.trailer), 0);
    CHECK_EQ_INT(dfu_boot_go(&d->boot, &r), 0);
    CHECK_EQ_INT(r.swap_type, DFU_BOOT_SWAP_TEST);
    CHECK(bf_equal(d, &d->cfg.primary, 0, img_b.data, img_b.len));
    return d;
}

/* Sets ih_flags of a fixture image and re-computes its SHA-256 TLV (so the image stays valid). */
static void set_flags(bf_image_t *im, uint32_t flags)
{
    uint8_t *h = im->data;
    h[16] = (uint8_t)flags;
    h[17] = (uint8_t)(flags >> 8);
    size_t hashed = im->len - 40u; /* no protected TLVs in these images */
    mbedtls_sha256_ret(im->data, hashed, im->hash, 0);
    memcpy(im->data + im->len - 32u, im->hash, 32);
}

/* I2 (boot side): the upload limit for given areas equals the boot instance's limit. */
static void test_max_image_size_for(void)
{
    for (uint8_t st = 0; st < 4; st++) {
        bf_dev_t *d = calloc(1, sizeof(*d));
        CHECK_EQ_INT(bf_dev_init(d, &bf_layout_small, st, 8), 0);
        uint32_t m =
            dfu_boot_max_image_size_for(&d->cfg.trailer, &d->cfg.primary, &d->cfg.secondary,
                                        st == DFU_BOOT_STRATEGY_SCRATCH ? &d->cfg.scratch : NULL);
        CHECK(m > 0u);
        CHECK_EQ_INT(m, dfu_boot_max_image_size(&d->boot));
        if (st == DFU_BOOT_STRATEGY_MOVE) {
            CHECK_EQ_INT(m, 0x12000); /* 20 sectors - 1 trailer - 1 spare */
        }
        /* scratch strategy without a scratch area: unusable geometry */
        if (st == DFU_BOOT_STRATEGY_SCRATCH) {
            CHECK_EQ_INT(dfu_boot_max_image_size_for(&d->cfg.trailer, &d->cfg.primary,
                                                     &d->cfg.secondary, NULL),
                         0);
        }
        bf_dev_free(d);
        free(d);
    }
    CHECK_EQ_INT(dfu_boot_max_image_size_for(NULL, NULL, NULL, NULL), 0);
}

/* S2: an invalid revert candidate gives FAIL: P confirmed, S scrambled; the next boot decides
 * NONE and writes nothing. Before: NONE + scramble every boot, P never confirmed (REVERT
 * reported forever). */
static void test_s2_invalid_revert(void)
{
    for (uint8_t st = 0; st < DFU_BOOT_STRATEGY_OVERWRITE; st++) {
        bf_dev_t *d = test_state(st);
        d->sf.mem[d->cfg.secondary.off + 0x200 + 100] ^= 0x5a; /* A (at S offset 0) corrupt */
        CHECK_EQ_INT(dfu_boot_swap_type(&d->cfg.primary, &d->cfg.secondary, &d->cfg.trailer),
                     DFU_BOOT_SWAP_REVERT);
        dfu_boot_result_t r;
        CHECK_EQ_INT(dfu_boot_go(&d->boot, &r), 0);
        CHECK_EQ_INT(r.swap_type, DFU_BOOT_SWAP_FAIL);
        CHECK_EQ_INT(r.secondary_err, DFU_ERR_HASH_MISMATCH);
        CHECK(r.booted && memcmp(r.image.hash, img_b.hash, 32) == 0);
        dfu_boot_slot_state_t p = state_of(d, &d->cfg.primary);
        CHECK_EQ_INT(p.image_ok, DFU_BOOT_FLAG_SET);
        CHECK_EQ_INT(dfu_boot_swap_type(&d->cfg.primary, &d->cfg.secondary, &d->cfg.trailer),
                     DFU_BOOT_SWAP_NONE);
        /* S3 (boot side): scrambled where it was validated: S offset 0, also in offset mode */
        CHECK(bf_is_erased(d, &d->cfg.secondary, 0, 0x1000));
        uint64_t ops = d->sf.ops;
        CHECK_EQ_INT(dfu_boot_go(&d->boot, &r), 0);
        CHECK_EQ_INT(r.swap_type, DFU_BOOT_SWAP_NONE);
        CHECK(d->sf.ops == ops);
        done(d);
    }
}

/* S2: a test request whose image is invalid: FAIL, S scrambled, image_ok written into P (even
 * without a P trailer, as MCUboot's swap_set_image_ok). No image at all (erased header) or a
 * NON_BOOTABLE image: NONE, nothing scrambled. */
static void test_s2_refusals(void)
{
    for (uint8_t st = 0; st < 4; st++) {
        int ow = st == DFU_BOOT_STRATEGY_OVERWRITE;
        bf_dev_t *d = dev(st);
        dfu_boot_result_t r;
        bf_poke(d, &d->cfg.primary, 0, img_a.data, img_a.len);
        bf_poke(d, &d->cfg.secondary, soff_of(d), img_b.data, img_b.len);
        d->sf.mem[d->cfg.secondary.off + soff_of(d) + 0x300] ^= 1;
        CHECK_EQ_INT(dfu_boot_set_pending(&d->cfg.secondary, 0, &d->cfg.trailer), 0);
        CHECK_EQ_INT(dfu_boot_go(&d->boot, &r), 0);
        CHECK_EQ_INT(r.swap_type, DFU_BOOT_SWAP_FAIL);
        CHECK(bf_is_erased(d, &d->cfg.secondary, soff_of(d), 0x1000));
        CHECK_EQ_INT(state_of(d, &d->cfg.secondary).magic, DFU_BOOT_MAGIC_UNSET);
        dfu_boot_slot_state_t p = state_of(d, &d->cfg.primary);
        CHECK_EQ_INT(p.image_ok, ow ? DFU_BOOT_FLAG_UNSET : DFU_BOOT_FLAG_SET);
        CHECK_EQ_INT(p.copy_done, DFU_BOOT_FLAG_UNSET); /* M3: only image_ok */
        CHECK(bf_equal(d, &d->cfg.primary, 0, img_a.data, img_a.len));
        done(d);

        /* NON_BOOTABLE: not installed, not erased */
        d = dev(st);
        bf_image_t nb;
        bf_make_image(&nb, 3000, 2, 0, 77, -1, 0xff);
        set_flags(&nb, 0x10u);
        bf_poke(d, &d->cfg.primary, 0, img_a.data, img_a.len);
        bf_poke(d, &d->cfg.secondary, soff_of(d), nb.data, nb.len);
        CHECK_EQ_INT(dfu_boot_set_pending(&d->cfg.secondary, 0, &d->cfg.trailer), 0);
        CHECK_EQ_INT(dfu_boot_go(&d->boot, &r), 0);
        CHECK_EQ_INT(r.swap_type, DFU_BOOT_SWAP_NONE);
        CHECK(bf_equal(d, &d->cfg.secondary, soff_of(d), nb.data, nb.len));
        CHECK(bf_equal(d, &d->cfg.primary, 0, img_a.data, img_a.len));
        bf_free_image(&nb);
        done(d);
    }
}

/* S4: compressed images (LZMA2 flag 0x400, with the ARM-Thumb filter 0xC00, LZMA1 0x200) are
 * refused (FAIL, scrambled); before they were installed raw and booted. */
static void test_s4_compressed(void)
{
    static const uint32_t fl[] = {0x400u, 0xc00u, 0x200u};
    for (uint8_t st = 0; st < 4; st++) {
        for (size_t i = 0; i < sizeof(fl) / sizeof(fl[0]); i++) {
            bf_dev_t *d = dev(st);
            bf_image_t c;
            bf_make_image(&c, 5000, 2, 0, 91, -1, 0xff);
            set_flags(&c, fl[i]);
            bf_poke(d, &d->cfg.primary, 0, img_a.data, img_a.len);
            bf_poke(d, &d->cfg.secondary, soff_of(d), c.data, c.len);
            CHECK_EQ_INT(dfu_boot_set_pending(&d->cfg.secondary, 1, &d->cfg.trailer), 0);
            dfu_boot_result_t r;
            CHECK_EQ_INT(dfu_boot_go(&d->boot, &r), 0);
            CHECK_EQ_INT(r.swap_type, DFU_BOOT_SWAP_FAIL);
            CHECK_EQ_INT(r.secondary_err, DFU_ERR_NOTSUP);
            CHECK(r.booted && memcmp(r.image.hash, img_a.hash, 32) == 0);
            CHECK(bf_is_erased(d, &d->cfg.secondary, soff_of(d), 0x1000));
            /* and a compressed image in P does not boot */
            bf_poke(d, &d->cfg.primary, 0, c.data, c.len);
            CHECK_EQ_INT(dfu_boot_go(&d->boot, &r), DFU_ERR_NOT_FOUND);
            CHECK_EQ_INT(r.primary_err, DFU_ERR_NOTSUP);
            bf_free_image(&c);
            done(d);
        }
    }
}

/* I1: validation limits are MCUboot's per mode. Small layout: 20 sectors of 4 KiB, trailer in
 * one sector (0x13000). A primary image ending inside [swap limit, first trailer sector) boots
 * (move/offset; scratch up to the trailer less padding); overwrite installs an image reaching
 * into the trailer sector (up to swap_info); a swap larger than the strategy can move is
 * refused as NONE with the secondary kept (M8: before, P's tail was dropped from the swap). */
static void test_i1_limits(void)
{
    for (uint8_t st = 0; st < 4; st++) {
        int ow = st == DFU_BOOT_STRATEGY_OVERWRITE;
        if (st == DFU_BOOT_STRATEGY_SCRATCH) {
            continue; /* swaps up to the first trailer sector: below */
        }
        bf_dev_t *d = dev(st);
        dfu_boot_result_t r;
        uint32_t big_total = ow ? 0x14000u - 40u - 8u : 0x13000u - 8u;
        bf_image_t big;
        bf_make_image(&big, big_total - 0x200u - 40u, 3, 0, 13, -1, 0xff);
        CHECK_EQ_INT(big.len, big_total);
        if (!ow) {
            /* factory image in P beyond the swap capacity: boots */
            bf_poke(d, &d->cfg.primary, 0, big.data, big.len);
            CHECK_EQ_INT(dfu_boot_go(&d->boot, &r), 0);
            CHECK(r.booted && memcmp(r.image.hash, big.hash, 32) == 0);
            /* M8: a small update cannot be swapped with it: NONE, both slots intact */
            bf_poke(d, &d->cfg.secondary, soff_of(d), img_b.data, img_b.len);
            CHECK_EQ_INT(dfu_boot_set_pending(&d->cfg.secondary, 0, &d->cfg.trailer), 0);
            CHECK_EQ_INT(dfu_boot_go(&d->boot, &r), 0);
            CHECK_EQ_INT(r.swap_type, DFU_BOOT_SWAP_NONE);
            CHECK_EQ_INT(r.secondary_err, DFU_ERR_NOSPC);
            CHECK(r.booted && memcmp(r.image.hash, big.hash, 32) == 0);
            CHECK(bf_equal(d, &d->cfg.primary, 0, big.data, big.len));
            CHECK(bf_equal(d, &d->cfg.secondary, soff_of(d), img_b.data, img_b.len));
        } else {
            /* overwrite: installed (before: refused and erased) */
            bf_poke(d, &d->cfg.primary, 0, img_a.data, img_a.len);
            bf_poke(d, &d->cfg.secondary, 0, big.data, big.len);
            CHECK_EQ_INT(dfu_boot_set_pending(&d->cfg.secondary, 0, &d->cfg.trailer), 0);
            CHECK_EQ_INT(dfu_boot_go(&d->boot, &r), 0);
            CHECK_EQ_INT(r.swap_type, DFU_BOOT_SWAP_TEST);
            CHECK(r.booted && memcmp(r.image.hash, big.hash, 32) == 0);
            CHECK(bf_equal(d, &d->cfg.primary, 0, big.data, big.len));
            CHECK_EQ_INT(dfu_boot_max_image_size(&d->boot), 0x14000u - 40u);
        }
        bf_free_image(&big);
        done(d);
    }
    /* scratch: P image past the first trailer sector, before the trailer (less padding) */
    bf_dev_t *d = dev(DFU_BOOT_STRATEGY_SCRATCH);
    bf_image_t big;
    uint32_t status_off = d->boot.lp.status_off;
    bf_make_image(&big, status_off - 0x400u - 0x200u - 40u, 3, 0, 17, -1, 0xff);
    CHECK(big.len > 0x13000u);
    bf_poke(d, &d->cfg.primary, 0, big.data, big.len);
    dfu_boot_result_t r;
    CHECK_EQ_INT(dfu_boot_go(&d->boot, &r), 0);
    CHECK(r.booted && memcmp(r.image.hash, big.hash, 32) == 0);
    /* M8: it cannot be swapped out (it reaches the trailer sector): NONE, both slots intact */
    bf_poke(d, &d->cfg.secondary, 0, img_b.data, img_b.len);
    CHECK_EQ_INT(dfu_boot_set_pending(&d->cfg.secondary, 0, &d->cfg.trailer), 0);
    CHECK_EQ_INT(dfu_boot_go(&d->boot, &r), 0);
    CHECK_EQ_INT(r.swap_type, DFU_BOOT_SWAP_NONE);
    CHECK_EQ_INT(r.secondary_err, DFU_ERR_NOSPC);
    CHECK(bf_equal(d, &d->cfg.primary, 0, big.data, big.len));
    CHECK(bf_equal(d, &d->cfg.secondary, 0, img_b.data, img_b.len));
    bf_free_image(&big);
    done(d);
}

/* I3: the revert row needs S magic UNSET. P an unconfirmed test image + garbage S trailer:
 * NONE in the decision and at boot (no revert), the garbage is left alone; with S erased the
 * revert happens. Before: the garbage was erased first and the boot reverted. */
static void test_i3_revert_needs_s_unset(void)
{
    dfu_boot_slot_state_t p = {
        DFU_BOOT_MAGIC_GOOD, DFU_BOOT_FLAG_UNSET, DFU_BOOT_FLAG_SET, 2, 0, 2, 0};
    dfu_boot_slot_state_t s = {
        DFU_BOOT_MAGIC_BAD, DFU_BOOT_FLAG_UNSET, DFU_BOOT_FLAG_UNSET, 1, 0, 0xff, 0};
    CHECK_EQ_INT(dfu_boot_decide(&p, &s, 0), DFU_BOOT_SWAP_NONE);
    s.magic = DFU_BOOT_MAGIC_UNSET;
    CHECK_EQ_INT(dfu_boot_decide(&p, &s, 0), DFU_BOOT_SWAP_REVERT);
    for (uint8_t st = 0; st < DFU_BOOT_STRATEGY_OVERWRITE; st++) {
        bf_dev_t *d = test_state(st);
        uint8_t junk[16];
        memset(junk, 0x42, sizeof(junk));
        bf_poke(d, &d->cfg.secondary, d->cfg.secondary.size - 16u, junk, sizeof(junk));
        CHECK_EQ_INT(dfu_boot_swap_type(&d->cfg.primary, &d->cfg.secondary, &d->cfg.trailer),
                     DFU_BOOT_SWAP_NONE);
        dfu_boot_result_t r;
        CHECK_EQ_INT(dfu_boot_go(&d->boot, &r), 0);
        CHECK_EQ_INT(r.swap_type, DFU_BOOT_SWAP_NONE);
        CHECK(r.booted && memcmp(r.image.hash, img_b.hash, 32) == 0);
        CHECK(bf_equal(d, &d->cfg.secondary, d->cfg.secondary.size - 16u, junk, 16));
        /* M1: set_pending over a BAD magic erases the slot and refuses */
        CHECK_EQ_INT(dfu_boot_set_pending(&d->cfg.secondary, 0, &d->cfg.trailer),
                     DFU_ERR_BAD_TRAILER);
        CHECK(bf_is_erased(d, &d->cfg.secondary, 0, d->cfg.secondary.size));
        done(d);
    }
}

/* M1: image_ok BAD on confirm is "already confirmed" (0), a BAD magic an error. */
static void test_m1_confirm(void)
{
    bf_dev_t *d = test_state(DFU_BOOT_STRATEGY_MOVE);
    uint8_t v[4] = {0x07, 0xff, 0xff, 0xff};
    bf_poke(d, &d->cfg.primary, d->boot.lp.image_ok_off, v, sizeof(v));
    CHECK_EQ_INT(dfu_boot_set_confirmed(&d->cfg.primary, &d->cfg.trailer), 0);
    uint8_t junk[16];
    memset(junk, 0x42, sizeof(junk));
    bf_poke(d, &d->cfg.primary, d->cfg.primary.size - 16u, junk, sizeof(junk));
    CHECK_EQ_INT(dfu_boot_set_confirmed(&d->cfg.primary, &d->cfg.trailer), DFU_ERR_BAD_TRAILER);
    done(d);
}

/* M3 via a status source: P's status initialised (magic GOOD, swap_info TEST, copy_done UNSET),
 * no step recorded, S invalid: FAIL writes image_ok only, S scrambled. */
static void test_m3_fail_from_status(void)
{
    bf_dev_t *d = dev(DFU_BOOT_STRATEGY_MOVE);
    const dfu_flash_area_t *p = &d->cfg.primary;
    bf_poke(d, p, 0, img_a.data, img_a.len);
    bf_poke(d, &d->cfg.secondary, 0, img_b.data, img_b.len);
    d->sf.mem[d->cfg.secondary.off + 0x400] ^= 1;
    CHECK_EQ_INT(dfu_boot_write_swap_info(p, &d->boot.lp, DFU_BOOT_SWAP_TEST), 0);
    CHECK_EQ_INT(dfu_boot_write_swap_size(p, &d->boot.lp, (uint32_t)img_b.len), 0);
    CHECK_EQ_INT(dfu_boot_write_magic(p, &d->boot.lp, 8), 0);
    dfu_boot_result_t r;
    CHECK_EQ_INT(dfu_boot_go(&d->boot, &r), 0);
    CHECK_EQ_INT(r.swap_type, DFU_BOOT_SWAP_FAIL);
    dfu_boot_slot_state_t ps = state_of(d, p);
    CHECK_EQ_INT(ps.image_ok, DFU_BOOT_FLAG_SET);
    CHECK_EQ_INT(ps.copy_done, DFU_BOOT_FLAG_UNSET);
    CHECK(bf_is_erased(d, &d->cfg.secondary, 0, 0x1000));
    CHECK(r.booted && memcmp(r.image.hash, img_a.hash, 32) == 0);
    done(d);
}

/* M2: overwrite-only writes only the magic into P, also for a permanent request. */
static void test_m2_overwrite_magic_only(void)
{
    bf_dev_t *d = dev(DFU_BOOT_STRATEGY_OVERWRITE);
    bf_poke(d, &d->cfg.primary, 0, img_a.data, img_a.len);
    bf_poke(d, &d->cfg.secondary, 0, img_b.data, img_b.len);
    CHECK_EQ_INT(dfu_boot_set_pending(&d->cfg.secondary, 1, &d->cfg.trailer), 0);
    dfu_boot_result_t r;
    CHECK_EQ_INT(dfu_boot_go(&d->boot, &r), 0);
    CHECK_EQ_INT(r.swap_type, DFU_BOOT_SWAP_PERM);
    dfu_boot_slot_state_t ps = state_of(d, &d->cfg.primary);
    CHECK_EQ_INT(ps.magic, DFU_BOOT_MAGIC_GOOD);
    CHECK_EQ_INT(ps.image_ok, DFU_BOOT_FLAG_UNSET);
    CHECK_EQ_INT(ps.copy_done, DFU_BOOT_FLAG_UNSET);
    done(d);
}

/* M7: trailer-area erases go last sector first (a cut after one erase leaves the lower sector,
 * not the magic's). */
static void test_m7_erase_order(void)
{
    bf_dev_t *d = dev(DFU_BOOT_STRATEGY_MOVE);
    const dfu_flash_area_t *s = &d->cfg.secondary;
    uint8_t x[16];
    memset(x, 0x11, sizeof(x));
    bf_poke(d, s, s->size - 0x2000u, x, sizeof(x));
    bf_poke(d, s, s->size - 16u, x, sizeof(x));
    dfu_simflash_cut_after(&d->sf, 2, 0);
    CHECK_EQ_INT(dfu_boot_erase_if_needed(s, s->size - 0x2000u, 0x2000u), DFU_ERR_POWER_CUT);
    dfu_simflash_power_on(&d->sf);
    CHECK(bf_is_erased(d, s, s->size - 0x1000u, 0x1000u));
    CHECK(bf_equal(d, s, s->size - 0x2000u, x, sizeof(x)));
    done(d);
}

int main(void)
{
    bf_make_image(&img_a, 30000, 1, 0, 1, -1, 0xff);
    bf_make_image(&img_b, 45000, 2, 0, 2, -1, 0xff);
    test_max_image_size_for();
    test_s2_invalid_revert();
    test_s2_refusals();
    test_s4_compressed();
    test_i1_limits();
    test_i3_revert_needs_s_unset();
    test_m1_confirm();
    test_m3_fail_from_status();
    test_m2_overwrite_magic_only();
    test_m7_erase_order();
    bf_free_image(&img_a);
    bf_free_image(&img_b);
    return dfu_test_finish("test_boot_review");
}
