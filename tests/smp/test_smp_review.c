/* Regression tests for the code-review findings on the SMP image group (Zephyr / MCUboot
 * behaviour the server must match):
 *   S3  swap-using-offset while a test image runs (REVERT): slot 1's image is at offset 0, so
 *       the state list shows it, confirming it by hash is a no-op and erasing it is refused;
 *   I2  upload limit / slot-info max_image_size = the bootloader's limit for the strategy;
 *   M9  ops 4-7 (and response ops) answered with rc 8, before the version check;
 *   M10 a zero-length "hash" counts as absent (confirm of the running image);
 *   M11 an upload session without "sha" is never resumed;
 *   M1  BAD secondary magic on a test request: group err 23 and the slot erased. */
#include "dfu_test.h"
#include "dfukit/dfu_cbor.h"
#include "dfukit/dfu_err.h"
#include "dfukit/dfu_image.h"
#include "smp_testutil.h"

static uint8_t seqno;

static char *send_cbor(tu_dev_t *d, uint8_t op, uint8_t ver, uint8_t id, const uint8_t *cb,
                       size_t n)
{
    static uint8_t fr[8192];
    size_t fl = tu_frame(fr, op, ver, 1, seqno++, id, cb, n);
    CHECK_EQ_INT(tu_dev_req(d, fr, fl, 1), 1);
    return tu_last_canon(d);
}

static void expect(char *got, const char *want)
{
    bool ok = strcmp(got, want) == 0;
    CHECK(ok);
    if (!ok) {
        fprintf(stderr, "  want %s\n  got  %s\n", want, got);
    }
    free(got);
}

static char *state_read(tu_dev_t *d)
{
    return send_cbor(d, DFU_SMP_OP_READ, 1, 0, (const uint8_t *)"\xa0", 1);
}

static char *erase_slot1(tu_dev_t *d)
{
    return send_cbor(d, DFU_SMP_OP_WRITE, 1, 5, (const uint8_t *)"\xa1\x64slot\x01", 7);
}

/* First upload chunk {off 0, len, data[0..n), sha (sha_len bytes, omitted if sha == NULL)}. */
static char *first_chunk(tu_dev_t *d, const uint8_t *img, uint64_t len, size_t n,
                         const uint8_t *sha, size_t sha_len)
{
    static uint8_t cb[8192];
    dfu_cbor_writer_t w;
    dfu_cbor_writer_init(&w, cb, sizeof cb);
    bool ok = dfu_cbor_put_map_indef(&w) && dfu_cbor_put_str(&w, "off") &&
              dfu_cbor_put_uint(&w, 0) && dfu_cbor_put_str(&w, "len") &&
              dfu_cbor_put_uint(&w, len) && dfu_cbor_put_str(&w, "data") &&
              dfu_cbor_put_bstr(&w, img, n);
    if (sha != NULL) {
        ok = ok && dfu_cbor_put_str(&w, "sha") && dfu_cbor_put_bstr(&w, sha, sha_len);
    }
    ok = ok && dfu_cbor_put_break(&w);
    CHECK(ok);
    return send_cbor(d, DFU_SMP_OP_WRITE, 1, 1, cb, w.len);
}

static void hexstr(const uint8_t *h, char out[65])
{
    for (int i = 0; i < 32; i++) {
        snprintf(out + 2 * i, 3, "%02x", h[i]);
    }
}

/* ==== M9 ===================================================================================== */

static void test_invalid_ops(void)
{
    tu_opts_t o = {.no_rsn = true};
    tu_dev_t *d = tu_dev_new(&o, NULL, 0);
    /* v2 and v1 ops 4..7, READ_RSP and WRITE_RSP: rc 8 (ENOTSUP) */
    for (uint8_t ver = 0; ver < 2u; ver++) {
        for (uint8_t op = 1; op < 8u; op++) {
            if (op == DFU_SMP_OP_WRITE) {
                continue;
            }
            expect(send_cbor(d, op, ver, 0, (const uint8_t *)"\xa0", 1), "{\"rc\":8}");
        }
    }
    /* the op is checked before the version: reserved version 2 with op 5 -> 8, not 13 */
    expect(send_cbor(d, 5, 2, 0, (const uint8_t *)"\xa0", 1), "{\"rc\":8}");
    expect(send_cbor(d, DFU_SMP_OP_READ, 2, 0, (const uint8_t *)"\xa0", 1), "{\"rc\":13}");
    tu_dev_free(d);
}

/* ==== M10 ==================================================================================== */

static void test_empty_hash(void)
{
    static uint8_t a[8000];
    uint8_t ha[32];
    size_t na = tu_make_image(a, sizeof a, 6000, 1, 0, 0, 0, 3, ha);
    tu_opts_t o = {.no_rsn = true};
    tu_dev_t *d = tu_dev_new(&o, a, na);
    /* {"hash": h'', "confirm": true}: the running image is confirmed (a no-op here) */
    static const uint8_t cb[] = {0xa2, 0x64, 'h', 'a', 's', 'h', 0x40, 0x67,
                                 'c',  'o',  'n', 'f', 'i', 'r', 'm',  0xf5};
    char *c = send_cbor(d, DFU_SMP_OP_WRITE, 1, 0, cb, sizeof cb);
    char hs[65];
    hexstr(ha, hs);
    CHECK(strstr(c, hs) != NULL);
    CHECK(strstr(c, "\"err\"") == NULL);
    free(c);
    /* {"hash": h'', "confirm": false}: a test request without a hash is still refused (24) */
    static const uint8_t cb2[] = {0xa2, 0x64, 'h', 'a', 's', 'h', 0x40, 0x67,
                                  'c',  'o',  'n', 'f', 'i', 'r', 'm',  0xf4};
    expect(send_cbor(d, DFU_SMP_OP_WRITE, 1, 0, cb2, sizeof cb2),
           "{\"err\":{\"group\":1,\"rc\":24}}");
    /* a 31-byte hash is still malformed (24) */
    uint8_t cb3[64];
    size_t n = 0;
    cb3[n++] = 0xa2;
    memcpy(cb3 + n, "\x64hash\x58\x1f", 7);
    n += 7;
    memcpy(cb3 + n, ha, 31);
    n += 31;
    memcpy(cb3 + n,
           "\x67"
           "confirm\xf5",
           9);
    n += 9;
    expect(send_cbor(d, DFU_SMP_OP_WRITE, 1, 0, cb3, n), "{\"err\":{\"group\":1,\"rc\":24}}");
    tu_dev_free(d);
}

/* ==== M11 ==================================================================================== */

static void test_resume_needs_sha(void)
{
    static uint8_t a[8000], b[12000];
    size_t na = tu_make_image(a, sizeof a, 6000, 1, 0, 0, 0, 3, NULL);
    size_t nb = tu_make_image(b, sizeof b, 11000, 1, 1, 0, 0, 5, NULL);
    tu_opts_t o = {.no_rsn = true};
    tu_dev_t *d = tu_dev_new(&o, NULL, 0);
    /* session with an empty sha, then with no sha at all */
    expect(first_chunk(d, a, na, 512, (const uint8_t *)"", 0), "{\"off\":512}");
    uint32_t writes = d->fl.flash.stats.writes;
    /* a new first chunk with an empty sha starts over (Zephyr: resume needs sha length > 0) */
    expect(first_chunk(d, b, nb, 256, (const uint8_t *)"", 0), "{\"off\":256}");
    CHECK(d->fl.flash.stats.writes > writes);
    CHECK_EQ_INT(d->img.up.size, nb);
    CHECK_MEM(d->fl.mem + TU_S_OFF(d), b, 256);
    expect(first_chunk(d, a, na, 128, NULL, 0), "{\"off\":128}");
    expect(first_chunk(d, b, nb, 64, NULL, 0), "{\"off\":64}");
    CHECK_MEM(d->fl.mem + TU_S_OFF(d), b, 64);
    /* a real sha still resumes */
    uint8_t sha[32];
    tu_sha256(a, na, sha);
    expect(first_chunk(d, a, na, 100, sha, 32), "{\"off\":100}");
    writes = d->fl.flash.stats.writes;
    expect(first_chunk(d, a, na, 300, sha, 32), "{\"off\":100}");
    CHECK_EQ_INT(d->fl.flash.stats.writes, writes);
    tu_dev_free(d);
}

/* ==== M1 ===================================================================================== */

static void test_bad_secondary_magic(void)
{
    static uint8_t a[8000], b[12000];
    uint8_t hb[32];
    size_t na = tu_make_image(a, sizeof a, 6000, 1, 0, 0, 0, 3, NULL);
    size_t nb = tu_make_image(b, sizeof b, 11000, 1, 1, 0, 0, 5, hb);
    for (int ver = 0; ver < 2; ver++) {
        tu_opts_t o = {.no_rsn = true};
        tu_dev_t *d = tu_dev_new(&o, a, na);
        CHECK_EQ_INT(tu_upload(d, b, nb, 1024, 1), 0);
        /* corrupt the secondary trailer magic (neither erased nor the magic) */
        uint8_t *sec = d->fl.mem + TU_S_OFF(d);
        uint32_t ssize = d->img.cfg.secondary.size;
        memset(sec + ssize - 16u, 0x5a, 16);
        char *c = tu_state_write(d, hb, false, (uint8_t)ver, 1);
        /* MCUboot boot_set_pending: BOOT_EBADIMAGE -> Zephyr err 23 (v1: rc 1); slot erased */
        expect(c, ver == 1 ? "{\"err\":{\"group\":1,\"rc\":23}}" : "{\"rc\":1}");
        CHECK_EQ_INT(dfu_flash_is_erased(&d->img.cfg.secondary, 0, ssize), 1);
        /* the slot is free again: a new upload is accepted */
        CHECK_EQ_INT(tu_upload(d, b, nb, 1024, 1), 0);
        tu_dev_free(d);
    }
    /* BAD primary magic on confirm (MCUboot BOOT_EBADVECT): Zephyr answers 29 (v1: rc 1). The
     * state machine only confirms in REVERT (primary magic GOOD), so check the translation. */
    uint16_t grc = 0;
    uint16_t rc = 0;
    dfu_smp_translate_err(&dfu_smp_img_group, DFU_ERR_BAD_TRAILER, &grc, &rc);
    CHECK_EQ_INT(grc, DFU_SMP_IMG_ERR_INVALID_IMAGE_VECTOR_TABLE);
    CHECK_EQ_INT(grc, 29);
    CHECK_EQ_INT(rc, DFU_SMP_RC_EUNKNOWN);
    dfu_smp_translate_err(&dfu_smp_img_group, DFU_ERR_BAD_MAGIC, &grc, &rc);
    CHECK_EQ_INT(grc, 23);
}

/* ==== I2 ===================================================================================== */

/* slot-info max_image_size of the device */
static uint64_t slot_info_max(tu_dev_t *d)
{
    char *c = send_cbor(d, DFU_SMP_OP_READ, 1, 6, (const uint8_t *)"\xa0", 1);
    const char *p = strstr(c, "\"max_image_size\":");
    uint64_t v = p ? strtoull(p + 17, NULL, 10) : 0;
    free(c);
    return v;
}

static void test_limit_for(uint8_t strategy)
{
    static uint8_t a[8000];
    (void)tu_make_image(a, sizeof a, 6000, 1, 0, 0, 0, 3, NULL);
    tu_opts_t o = {.no_rsn = true, .strategy = strategy};
    tu_dev_t *d = tu_dev_new(&o, NULL, 0);
    uint32_t want = dfu_boot_max_image_size_for(&d->img.cfg.trailer, &d->img.cfg.primary,
                                                &d->img.cfg.secondary, NULL);
    CHECK(want > 0u);
    CHECK_EQ_INT(d->img.max_image, want);
    CHECK_EQ_INT(slot_info_max(d), want);
    /* the boot core agrees */
    dfu_boot_t b;
    d->bcfg.trailer = d->img.cfg.trailer;
    CHECK_EQ_INT(dfu_boot_init(&b, &d->bcfg), 0);
    CHECK_EQ_INT(dfu_boot_max_image_size(&b), want);
    expect(first_chunk(d, a, want + 1u, 512, NULL, 0), "{\"err\":{\"group\":1,\"rc\":30}}");
    expect(first_chunk(d, a, want, 512, NULL, 0), "{\"off\":512}");
    tu_dev_free(d);
}

static void test_upload_limit(void)
{
    test_limit_for(DFU_BOOT_STRATEGY_MOVE);
    test_limit_for(DFU_BOOT_STRATEGY_OFFSET);

    /* The fixture layout (move: 17 + 16 sectors of 4 KiB): the old limit was the secondary up
     * to its status area (0xf3d0); the bootloader moves at most 15 sectors (0xf000). */
    tu_opts_t o = {.no_rsn = true};
    tu_dev_t *d = tu_dev_new(&o, NULL, 0);
    CHECK_EQ_INT(d->img.max_image, 15u * TU_SECTOR);
    tu_dev_free(d);

    /* Scratch strategy with the scratch area: the exact limit; without one, registration still
     * works with a limit no larger than the bootloader's. */
    tu_flash_t fl;
    tu_flash_init(&fl, 34u * TU_SECTOR, TU_SECTOR, 8);
    dfu_smp_server_t srv;
    static uint8_t buf[1024];
    dfu_smp_server_cfg_t sc = {.buf = buf, .buf_size = sizeof buf, .send = NULL};
    CHECK_EQ_INT(dfu_smp_server_init(&srv, &sc), 0);
    dfu_smp_img_cfg_t ic = {
        .primary = {.flash = &fl.flash, .off = 0, .size = 16u * TU_SECTOR, .id = 1},
        .secondary = {.flash = &fl.flash, .off = 16u * TU_SECTOR, .size = 16u * TU_SECTOR, .id = 2},
        .scratch = {.flash = &fl.flash, .off = 32u * TU_SECTOR, .size = 2u * TU_SECTOR, .id = 3},
        .trailer = {.strategy = DFU_BOOT_STRATEGY_SCRATCH},
    };
    dfu_smp_img_t img;
    CHECK_EQ_INT(dfu_smp_img_register(&srv, &img, &ic), 0);
    uint32_t want =
        dfu_boot_max_image_size_for(&ic.trailer, &ic.primary, &ic.secondary, &ic.scratch);
    CHECK(want > 0u);
    CHECK_EQ_INT(img.max_image, want);
    dfu_smp_server_t srv2;
    CHECK_EQ_INT(dfu_smp_server_init(&srv2, &sc), 0);
    ic.scratch.size = 0;
    CHECK_EQ_INT(dfu_smp_img_register(&srv2, &img, &ic), 0);
    CHECK(img.max_image > 0u && img.max_image <= want);
    /* a layout the bootloader refuses (move with a secondary 2 sectors smaller) is refused */
    ic.trailer.strategy = DFU_BOOT_STRATEGY_MOVE;
    ic.secondary.size = 14u * TU_SECTOR;
    dfu_smp_server_t srv3;
    CHECK_EQ_INT(dfu_smp_server_init(&srv3, &sc), 0);
    CHECK_EQ_INT(dfu_smp_img_register(&srv3, &img, &ic), DFU_ERR_INVAL);
    tu_flash_free(&fl);
}

/* ==== S3 ===================================================================================== */

static void test_offset_revert(void)
{
    static uint8_t a[24000], b[24000];
    uint8_t ha[32], hb[32];
    size_t na = tu_make_image(a, sizeof a, 20000, 1, 0, 0, 0, 3, ha);
    size_t nb = tu_make_image(b, sizeof b, 21000, 2, 0, 0, 0, 7, hb);
    char has[65], hbs[65];
    hexstr(ha, has);
    hexstr(hb, hbs);
    tu_opts_t o = {.no_rsn = true, .strategy = DFU_BOOT_STRATEGY_OFFSET};
    tu_dev_t *d = tu_dev_new(&o, a, na);
    CHECK_EQ_INT(d->img.img_off, TU_SECTOR);
    CHECK_EQ_INT(tu_upload(d, b, nb, 1024, 1), 0);
    CHECK_MEM(d->fl.mem + TU_S_OFF(d) + TU_SECTOR, b, nb);
    char *c = tu_state_write(d, hb, false, 1, 1);
    CHECK(strstr(c, "\"pending\":true,\"permanent\":false,\"slot\":1") != NULL);
    free(c);
    dfu_boot_result_t res;
    CHECK_EQ_INT(tu_dev_reboot(d, &res), 0);
    CHECK_EQ_INT(res.swap_type, DFU_BOOT_SWAP_TEST);
    CHECK_MEM(d->fl.mem, b, nb);
    /* the revert image A now sits at offset 0 of slot 1 */
    CHECK_MEM(d->fl.mem + TU_S_OFF(d), a, na);

    /* state list: B active unconfirmed, A in slot 1 confirmed (the revert target) */
    c = state_read(d);
    char frag[256];
    snprintf(frag, sizeof frag,
             "{\"active\":false,\"bootable\":true,\"confirmed\":true,\"hash\":h'%s',"
             "\"pending\":false,\"permanent\":false,\"slot\":1",
             has);
    CHECK(strstr(c, frag) != NULL);
    snprintf(frag, sizeof frag, "\"confirmed\":false,\"hash\":h'%s'", hbs);
    CHECK(strstr(c, frag) != NULL);
    if (strstr(c, has) == NULL) {
        fprintf(stderr, "  state list: %s\n", c);
    }
    free(c);
    /* confirm A (slot 1, the next-boot slot) by hash: a no-op success, as Zephyr */
    c = tu_state_write(d, ha, true, 1, 1);
    CHECK(strstr(c, "\"err\"") == NULL);
    CHECK(strstr(c, has) != NULL);
    free(c);
    /* erasing slot 1 would destroy the revert image: refused with err 9 */
    expect(erase_slot1(d), "{\"err\":{\"group\":1,\"rc\":9}}");
    CHECK_MEM(d->fl.mem + TU_S_OFF(d), a, na);
    /* an upload is refused too */
    expect(first_chunk(d, b, nb, 512, NULL, 0), "{\"err\":{\"group\":1,\"rc\":9}}");
    /* no confirm: the next reset reverts to A */
    CHECK_EQ_INT(tu_dev_reboot(d, &res), 0);
    CHECK_EQ_INT(res.swap_type, DFU_BOOT_SWAP_REVERT);
    CHECK_MEM(d->fl.mem, a, na);
    /* after the revert: nothing pending, slot 1 can be erased */
    c = state_read(d);
    snprintf(frag, sizeof frag,
             "\"active\":true,\"bootable\":true,\"confirmed\":true,\"hash\":h'%s'", has);
    CHECK(strstr(c, frag) != NULL);
    free(c);
    expect(erase_slot1(d), "{}");
    tu_dev_free(d);
}

/* Same flow with swap-move: slot 1's offset is 0 throughout (unchanged behaviour). */
static void test_move_revert(void)
{
    static uint8_t a[24000], b[24000];
    uint8_t ha[32], hb[32];
    size_t na = tu_make_image(a, sizeof a, 20000, 1, 0, 0, 0, 3, ha);
    size_t nb = tu_make_image(b, sizeof b, 21000, 2, 0, 0, 0, 7, hb);
    tu_opts_t o = {.no_rsn = true};
    tu_dev_t *d = tu_dev_new(&o, a, na);
    CHECK_EQ_INT(tu_upload(d, b, nb, 1024, 1), 0);
    free(tu_state_write(d, hb, false, 1, 1));
    dfu_boot_result_t res;
    CHECK_EQ_INT(tu_dev_reboot(d, &res), 0);
    CHECK_EQ_INT(res.swap_type, DFU_BOOT_SWAP_TEST);
    char has[65];
    hexstr(ha, has);
    char *c = tu_state_write(d, ha, true, 1, 1);
    CHECK(strstr(c, has) != NULL && strstr(c, "\"err\"") == NULL);
    free(c);
    expect(erase_slot1(d), "{\"err\":{\"group\":1,\"rc\":9}}");
    CHECK_EQ_INT(tu_dev_reboot(d, &res), 0);
    CHECK_EQ_INT(res.swap_type, DFU_BOOT_SWAP_REVERT);
    CHECK_MEM(d->fl.mem, a, na);
    tu_dev_free(d);
}

int main(void)
{
    test_invalid_ops();
    test_empty_hash();
    test_resume_needs_sha();
    test_bad_secondary_magic();
    test_upload_limit();
    test_offset_revert();
    test_move_revert();
    return dfu_test_finish("test_smp_review");
}
