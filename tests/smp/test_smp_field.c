/* The field report's second failure (smp-protocol.md §7) at server level, with
 * ALLOW_ERASE_PENDING on (Zephyr's default) and off:
 *   1. upload + test, no reset: confirm of the running image → err 28 (v1 rc 6); another upload
 *      cancels the scheduled test and proceeds (option off: err 9 / v1 rc 6);
 *   2. after a reset into the unconfirmed test image: upload or erase of slot 1 → err 9
 *      (v1 rc 6), tests → 28; confirming the running image unblocks.
 * Every refusal carries an "rsn" telling what to do. Resets run the real boot core (swap-move)
 * on the RAM flash. */
#include "dfu_test.h"
#include "dfukit/dfu_cbor.h"
#include "dfukit/dfu_err.h"
#include "smp_testutil.h"

static uint8_t a0[9000], b[12000], c[10000];
static size_t na0, nb, nc;
static uint8_t ha0[32], hb[32], hc[32];

/* First upload chunk of `img` (v = SMP version); returns canonical response. */
static char *first_chunk(tu_dev_t *d, const uint8_t *img, size_t len, uint8_t ver)
{
    uint8_t sha[32], cb[600], fr[700];
    tu_sha256(img, len, sha);
    dfu_cbor_writer_t w;
    dfu_cbor_writer_init(&w, cb, sizeof cb);
    dfu_cbor_put_map(&w, 4);
    dfu_cbor_put_str(&w, "len");
    dfu_cbor_put_uint(&w, len);
    dfu_cbor_put_str(&w, "off");
    dfu_cbor_put_uint(&w, 0);
    dfu_cbor_put_str(&w, "sha");
    dfu_cbor_put_bstr(&w, sha, 32);
    dfu_cbor_put_str(&w, "data");
    dfu_cbor_put_bstr(&w, img, 256);
    size_t fl = tu_frame(fr, DFU_SMP_OP_WRITE, ver, 1, 0x30, 1, cb, w.len);
    tu_dev_req(d, fr, fl, 1);
    return tu_last_canon(d);
}

static char *erase1(tu_dev_t *d, uint8_t ver)
{
    uint8_t fr[16];
    size_t fl = tu_frame(fr, DFU_SMP_OP_WRITE, ver, 1, 0x11, 5, (const uint8_t *)"\xa0", 1);
    tu_dev_req(d, fr, fl, 1);
    return tu_last_canon(d);
}

/* Checks `got` holds the error in the v2 form (`grc`) or v1 form (`rc`) and an rsn with `hint`. */
static void check_err(char *got, const char *form, const char *hint)
{
    bool ok =
        strstr(got, form) != NULL && strstr(got, "\"rsn\":\"") != NULL && strstr(got, hint) != NULL;
    CHECK(ok);
    if (!ok) {
        fprintf(stderr, "  want %s with rsn mentioning '%s'\n  got  %s\n", form, hint, got);
    }
    free(got);
}

static void check_ok(char *got, const char *frag)
{
    bool ok = strstr(got, frag) != NULL && strstr(got, "\"rc\"") == NULL &&
              strstr(got, "\"err\"") == NULL;
    CHECK(ok);
    if (!ok) {
        fprintf(stderr, "  want success with %s\n  got  %s\n", frag, got);
    }
    free(got);
}

#define E28 "\"err\":{\"group\":1,\"rc\":28}"
#define E9 "\"err\":{\"group\":1,\"rc\":9}"
#define RC6 "\"rc\":6"

static void scenario_pending(bool allow)
{
    tu_opts_t o = {.no_erase_pending = !allow};
    tu_dev_t *d = tu_dev_new(&o, a0, na0);
    CHECK_EQ_INT(tu_upload(d, b, nb, 400, 1), 0);
    check_ok(tu_state_write(d, hb, false, 1, 1), "\"pending\":true");
    /* no reset. Confirm the running image: 28 / v1 6, "reset". */
    check_err(tu_state_write(d, NULL, true, 1, 1), E28, "reset");
    check_err(tu_state_write(d, NULL, true, 0, 1), RC6, "reset");
    /* Confirm (permanent) the pending image: 28 too. Testing it again: fine. */
    check_err(tu_state_write(d, hb, true, 1, 1), E28, "reset");
    check_ok(tu_state_write(d, hb, false, 1, 1), "\"pending\":true");
    int swap = dfu_boot_swap_type(&d->img.cfg.primary, &d->img.cfg.secondary, NULL);
    CHECK_EQ_INT(swap, DFU_BOOT_SWAP_TEST);
    uint8_t snap[TU_SECONDARY_SIZE];
    memcpy(snap, d->fl.mem + TU_PRIMARY_SIZE, sizeof snap);
    if (allow) {
        /* Another upload cancels the scheduled test and proceeds. */
        check_ok(first_chunk(d, c, nc, 1), "\"off\":256");
        CHECK_EQ_INT(dfu_boot_swap_type(&d->img.cfg.primary, &d->img.cfg.secondary, NULL),
                     DFU_BOOT_SWAP_NONE);
        CHECK_EQ_INT(tu_upload(d, c, nc, 300, 1), 0);
        check_ok(tu_state_write(d, hc, false, 1, 1), "\"pending\":true");
        /* erase also cancels */
        check_ok(erase1(d, 1), "{");
        CHECK_EQ_INT(dfu_boot_swap_type(&d->img.cfg.primary, &d->img.cfg.secondary, NULL),
                     DFU_BOOT_SWAP_NONE);
    } else {
        check_err(first_chunk(d, c, nc, 1), E9, "reset");
        check_err(first_chunk(d, c, nc, 0), RC6, "reset");
        check_err(erase1(d, 1), E9, "reset");
        check_err(erase1(d, 0), RC6, "reset");
        /* flash untouched by the refusals */
        CHECK_MEM(d->fl.mem + TU_PRIMARY_SIZE, snap, sizeof snap);
        /* the reset applies it */
        dfu_boot_result_t res;
        CHECK_EQ_INT(tu_dev_reboot(d, &res), 0);
        CHECK_EQ_INT(res.swap_type, DFU_BOOT_SWAP_TEST);
    }
    tu_dev_free(d);
}

static void scenario_permanent(bool allow)
{
    tu_opts_t o = {.no_erase_pending = !allow};
    tu_dev_t *d = tu_dev_new(&o, a0, na0);
    CHECK_EQ_INT(tu_upload(d, b, nb, 512, 1), 0);
    check_ok(tu_state_write(d, hb, true, 1, 1), "\"permanent\":true");
    check_err(tu_state_write(d, NULL, true, 1, 1), E28, "reset");
    check_err(tu_state_write(d, hb, false, 1, 1), E28, "reset");
    check_ok(tu_state_write(d, hb, true, 1, 1), "\"permanent\":true"); /* same request: no-op */
    if (allow) {
        check_ok(first_chunk(d, c, nc, 1), "\"off\":256");
    } else {
        check_err(first_chunk(d, c, nc, 1), E9, "reset");
    }
    tu_dev_free(d);
}

static void scenario_revert(bool allow)
{
    tu_opts_t o = {.no_erase_pending = !allow};
    tu_dev_t *d = tu_dev_new(&o, a0, na0);
    CHECK_EQ_INT(tu_upload(d, b, nb, 333, 1), 0);
    check_ok(tu_state_write(d, hb, false, 1, 1), "\"pending\":true");
    dfu_boot_result_t res;
    CHECK_EQ_INT(tu_dev_reboot(d, &res), 0);
    CHECK_EQ_INT(res.swap_type, DFU_BOOT_SWAP_TEST);
    CHECK_EQ_INT(dfu_boot_swap_type(&d->img.cfg.primary, &d->img.cfg.secondary, NULL),
                 DFU_BOOT_SWAP_REVERT);
    uint8_t snap[TU_SECONDARY_SIZE];
    memcpy(snap, d->fl.mem + TU_PRIMARY_SIZE, sizeof snap);
    /* Running an unconfirmed test image: upload / erase of slot 1 → 9, "confirm". */
    check_err(first_chunk(d, c, nc, 1), E9, "confirm the running image");
    check_err(first_chunk(d, c, nc, 0), RC6, "confirm the running image");
    check_err(erase1(d, 1), E9, "confirm the running image");
    check_err(erase1(d, 0), RC6, "confirm the running image");
    /* Tests → 28 */
    check_err(tu_state_write(d, ha0, false, 1, 1), E28, "confirm the running image");
    check_err(tu_state_write(d, ha0, false, 0, 1), RC6, "confirm the running image");
    CHECK_MEM(d->fl.mem + TU_PRIMARY_SIZE, snap, sizeof snap);
    /* Confirm of slot 1 (the revert image) is a no-op; confirm of the running image unblocks. */
    check_ok(tu_state_write(d, ha0, true, 1, 1), "\"images\"");
    CHECK_EQ_INT(dfu_boot_swap_type(&d->img.cfg.primary, &d->img.cfg.secondary, NULL),
                 DFU_BOOT_SWAP_REVERT);
    check_ok(tu_state_write(d, NULL, true, 1, 1), "\"confirmed\":true");
    CHECK_EQ_INT(dfu_boot_swap_type(&d->img.cfg.primary, &d->img.cfg.secondary, NULL),
                 DFU_BOOT_SWAP_NONE);
    check_ok(first_chunk(d, c, nc, 1), "\"off\":256");
    CHECK_EQ_INT(tu_upload(d, c, nc, 256, 1), 0);
    tu_dev_free(d);

    /* Without confirming, the next reset reverts: A0 runs again, confirmed; slot 1 free. */
    d = tu_dev_new(&o, a0, na0);
    CHECK_EQ_INT(tu_upload(d, b, nb, 333, 1), 0);
    check_ok(tu_state_write(d, hb, false, 1, 1), "\"pending\":true");
    CHECK_EQ_INT(tu_dev_reboot(d, &res), 0);
    CHECK_EQ_INT(tu_dev_reboot(d, &res), 0);
    CHECK_EQ_INT(res.swap_type, DFU_BOOT_SWAP_REVERT);
    CHECK_MEM(d->fl.mem, a0, na0);
    check_ok(first_chunk(d, c, nc, 1), "\"off\":256");
    tu_dev_free(d);
}

int main(void)
{
    na0 = tu_make_image(a0, sizeof a0, 8500, 1, 0, 0, 0, 1, ha0);
    nb = tu_make_image(b, sizeof b, 11000, 2, 0, 0, 0, 2, hb);
    nc = tu_make_image(c, sizeof c, 9000, 3, 0, 0, 0, 3, hc);
    for (int allow = 1; allow >= 0; allow--) {
        scenario_pending(allow != 0);
        scenario_permanent(allow != 0);
        scenario_revert(allow != 0);
    }
    return dfu_test_finish("test_smp_field");
}
