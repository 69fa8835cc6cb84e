/* Image group: upload driven chunk by chunk (wrong offsets, repeats, resume with the same sha,
 * restart with another sha) ending in a slot that validates; state read/write; erase; slot
 * info; every error path in v1 and v2 form. */
#include "dfu_test.h"
#include "dfukit/dfu_cbor.h"
#include "dfukit/dfu_err.h"
#include "dfukit/dfu_image.h"
#include "smp_testutil.h"

static uint8_t seqno;

/* Sends an image-group request built from a CBOR writer; returns canonical text. */
static char *img_req(tu_dev_t *d, uint8_t op, uint8_t ver, uint8_t id, const dfu_cbor_writer_t *w)
{
    static uint8_t fr[70000];
    size_t fl = tu_frame(fr, op, ver, 1, seqno++, id, w->buf, w->len);
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

/* Upload chunk: off, data (n bytes at img+off); first-chunk fields when `first`. */
static char *chunk(tu_dev_t *d, uint8_t ver, const uint8_t *img, size_t len, size_t off, size_t n,
                   const uint8_t *sha, bool first)
{
    static uint8_t cb[70000];
    dfu_cbor_writer_t w;
    dfu_cbor_writer_init(&w, cb, sizeof(cb));
    dfu_cbor_put_map_indef(&w);
    dfu_cbor_put_str(&w, "off");
    dfu_cbor_put_uint(&w, off);
    dfu_cbor_put_str(&w, "data");
    dfu_cbor_put_bstr(&w, img + off, n);
    if (first) {
        dfu_cbor_put_str(&w, "len");
        dfu_cbor_put_uint(&w, len);
        if (sha) {
            dfu_cbor_put_str(&w, "sha");
            dfu_cbor_put_bstr(&w, sha, 32);
        }
    }
    dfu_cbor_put_break(&w);
    return img_req(d, DFU_SMP_OP_WRITE, ver, 1, &w);
}

static char *offstr(size_t off)
{
    static char s[64];
    snprintf(s, sizeof s, "{\"off\":%zu}", off);
    return s;
}

static int validate_slot1(tu_dev_t *d, size_t len, const uint8_t *hash)
{
    dfu_image_reader_t rd;
    dfu_image_reader_mem(&rd, d->fl.mem + TU_PRIMARY_SIZE, TU_SECONDARY_SIZE);
    uint8_t scratch[1024];
    dfu_image_verify_cfg_t cfg = {
        .crypto = dfu_crypto_default(), .scratch = scratch, .scratch_len = sizeof scratch};
    dfu_image_result_t res;
    int rc = dfu_image_validate(&rd, &cfg, &res);
    if (rc == 0) {
        CHECK_EQ_INT(res.tlv_end, len);
        CHECK_MEM(res.hash, hash, 32);
    }
    return rc;
}

static void test_upload_sequence(void)
{
    static uint8_t a[20000], b[20000], slot0[8000];
    uint8_t ha[32], hb[32], h0[32], sha_a[32], sha_b[32];
    size_t n0 = tu_make_image(slot0, sizeof slot0, 6000, 1, 0, 0, 0, 3, h0);
    size_t na = tu_make_image(a, sizeof a, 15001, 1, 1, 0, 0, 11, ha);
    size_t nb = tu_make_image(b, sizeof b, 17003, 1, 2, 0, 7, 29, hb);
    tu_sha256(a, na, sha_a);
    tu_sha256(b, nb, sha_b);
    tu_opts_t o = {.no_rsn = true};
    tu_dev_t *d = tu_dev_new(&o, slot0, n0);

    /* Chunk at off > 0 with no session: {"off":0}. */
    expect(chunk(d, 1, a, na, 100, 50, NULL, false), "{\"off\":0}");
    /* First chunk of A (odd size: exercises the unaligned tail buffer). */
    expect(chunk(d, 1, a, na, 0, 301, sha_a, true), offstr(301));
    expect(chunk(d, 1, a, na, 301, 333, NULL, false), offstr(634));
    /* Repeat of the same chunk (wrong offset): answered with the expected offset, no write. */
    uint32_t writes = d->fl.flash.stats.writes;
    expect(chunk(d, 1, a, na, 301, 333, NULL, false), offstr(634));
    /* Gap and overlap: same. */
    expect(chunk(d, 0, a, na, 5000, 100, NULL, false), offstr(634));
    expect(chunk(d, 1, a, na, 1, 100, NULL, false), offstr(634));
    CHECK_EQ_INT(d->fl.flash.stats.writes, writes);
    /* Empty data at the right offset: accepted, offset unchanged. */
    expect(chunk(d, 1, a, na, 634, 0, NULL, false), offstr(634));
    /* Restart at 0 with the same sha: resume, nothing written. */
    expect(chunk(d, 1, a, na, 0, 301, sha_a, true), offstr(634));
    CHECK_EQ_INT(d->fl.flash.stats.writes, writes);
    /* Continue A a bit further. */
    size_t off = 634;
    for (int i = 0; i < 10; i++) {
        expect(chunk(d, 1, a, na, off, 257, NULL, false), offstr(off + 257));
        off += 257;
    }
    /* Restart at 0 with another sha (image B): a new session; A's data is replaced. */
    expect(chunk(d, 1, b, nb, 0, 200, sha_b, true), offstr(200));
    off = 200;
    /* Old offset of A is now wrong. */
    expect(chunk(d, 1, b, nb, 634, 10, NULL, false), offstr(200));
    while (off < nb) {
        size_t n = nb - off < 999 ? nb - off : 999;
        char *c = chunk(d, (off / 999) % 2 ? 0 : 1, b, nb, off, n, NULL, false);
        off += n;
        if (off < nb) {
            expect(c, offstr(off));
        } else {
            char want[64];
            snprintf(want, sizeof want, "{\"match\":true,\"off\":%zu}", nb);
            expect(c, want);
        }
    }
    CHECK_MEM(d->fl.mem + TU_PRIMARY_SIZE, b, nb);
    CHECK_EQ_INT(validate_slot1(d, nb, hb), 0);
    /* After the end the session is closed: off > 0 → {"off":0}. */
    expect(chunk(d, 1, b, nb, 1000, 10, NULL, false), "{\"off\":0}");

    /* State read shows both images; slot 1 not pending. */
    char want[1024];
    char h0s[65], hbs[65];
    for (int i = 0; i < 32; i++) {
        sprintf(h0s + 2 * i, "%02x", h0[i]);
        sprintf(hbs + 2 * i, "%02x", hb[i]);
    }
    snprintf(want, sizeof want,
             "{\"images\":[{\"active\":true,\"bootable\":true,\"confirmed\":true,\"hash\":h'%s',"
             "\"pending\":false,\"permanent\":false,\"slot\":0,\"version\":\"1.0.0\"},"
             "{\"active\":false,\"bootable\":true,\"confirmed\":false,\"hash\":h'%s',"
             "\"pending\":false,\"permanent\":false,\"slot\":1,\"version\":\"1.2.0.7\"}],"
             "\"splitStatus\":0}",
             h0s, hbs);
    dfu_cbor_writer_t w;
    uint8_t cb[128];
    dfu_cbor_writer_init(&w, cb, sizeof cb);
    dfu_cbor_put_map(&w, 0);
    expect(img_req(d, DFU_SMP_OP_READ, 1, 0, &w), want);

    /* Test slot 1: pending. Testing it again: no-op success. */
    char *c = tu_state_write(d, hb, false, 1, 1);
    CHECK(strstr(c, "\"pending\":true,\"permanent\":false,\"slot\":1") != NULL);
    free(c);
    c = tu_state_write(d, hb, false, 1, 1);
    CHECK(strstr(c, "\"pending\":true,\"permanent\":false,\"slot\":1") != NULL);
    free(c);
    /* Reset: the boot core swaps; B runs unconfirmed. */
    dfu_boot_result_t res;
    CHECK_EQ_INT(tu_dev_reboot(d, &res), 0);
    CHECK_EQ_INT(res.swap_type, DFU_BOOT_SWAP_TEST);
    c = tu_last_canon(d);
    free(c);
    dfu_cbor_writer_init(&w, cb, sizeof cb);
    dfu_cbor_put_map(&w, 0);
    c = img_req(d, DFU_SMP_OP_READ, 1, 0, &w);
    /* slot 0: B active, not confirmed; slot 1: A0 confirmed */
    char frag[256];
    snprintf(frag, sizeof frag,
             "{\"active\":true,\"bootable\":true,\"confirmed\":false,\"hash\":h'%s'", hbs);
    CHECK(strstr(c, frag) != NULL);
    snprintf(frag, sizeof frag,
             "{\"active\":false,\"bootable\":true,\"confirmed\":true,\"hash\":h'%s'", h0s);
    CHECK(strstr(c, frag) != NULL);
    free(c);
    /* Confirm the running image (no hash): confirmed, nothing pending. */
    c = tu_state_write(d, NULL, true, 1, 1);
    snprintf(frag, sizeof frag,
             "{\"active\":true,\"bootable\":true,\"confirmed\":true,\"hash\":h'%s'", hbs);
    CHECK(strstr(c, frag) != NULL);
    CHECK(strstr(c, "\"pending\":true") == NULL);
    free(c);
    CHECK_EQ_INT(tu_dev_reboot(d, &res), 0);
    CHECK_EQ_INT(res.swap_type, DFU_BOOT_SWAP_NONE);
    CHECK_MEM(d->fl.mem, b, nb);

    /* Confirm slot 1 by hash (permanent), then reset: slot 1 image runs permanently. */
    c = tu_state_write(d, h0, true, 0, 1);
    CHECK(strstr(c, "\"pending\":true,\"permanent\":true,\"slot\":1") != NULL);
    free(c);
    CHECK_EQ_INT(tu_dev_reboot(d, &res), 0);
    CHECK_EQ_INT(res.swap_type, DFU_BOOT_SWAP_PERM);
    CHECK_MEM(d->fl.mem, slot0, n0);
    tu_dev_free(d);
}

static void test_errors(void)
{
    static uint8_t a[9000], slot0[8000];
    uint8_t ha[32], h0[32], sha[32];
    size_t n0 = tu_make_image(slot0, sizeof slot0, 6000, 2, 0, 0, 0, 3, h0);
    size_t na = tu_make_image(a, sizeof a, 8000, 1, 9, 0, 0, 5, ha);
    tu_sha256(a, na, sha);
    tu_opts_t o = {.no_rsn = true};
    tu_dev_t *d = tu_dev_new(&o, slot0, n0);
    uint8_t cb[512];
    dfu_cbor_writer_t w;
#define MAP(...)                                                                                   \
    do {                                                                                           \
        dfu_cbor_writer_init(&w, cb, sizeof cb);                                                   \
        __VA_ARGS__;                                                                               \
    } while (0)
    /* off missing: err 20 / rc 3 */
    MAP(dfu_cbor_put_map(&w, 1); dfu_cbor_put_str(&w, "data"); dfu_cbor_put_bstr(&w, a, 40));
    expect(img_req(d, DFU_SMP_OP_WRITE, 1, 1, &w), "{\"err\":{\"group\":1,\"rc\":20}}");
    expect(img_req(d, DFU_SMP_OP_WRITE, 0, 1, &w), "{\"rc\":3}");
    /* len missing on the first chunk: 21 / 3 */
    MAP(dfu_cbor_put_map(&w, 2); dfu_cbor_put_str(&w, "off"); dfu_cbor_put_uint(&w, 0);
        dfu_cbor_put_str(&w, "data"); dfu_cbor_put_bstr(&w, a, 40));
    expect(img_req(d, DFU_SMP_OP_WRITE, 1, 1, &w), "{\"err\":{\"group\":1,\"rc\":21}}");
    expect(img_req(d, DFU_SMP_OP_WRITE, 0, 1, &w), "{\"rc\":3}");
    /* first chunk shorter than 32 bytes: 22 / 3 */
    expect(chunk(d, 1, a, na, 0, 31, sha, true), "{\"err\":{\"group\":1,\"rc\":22}}");
    expect(chunk(d, 0, a, na, 0, 31, sha, true), "{\"rc\":3}");
    /* bad magic: 23 / 1 */
    static uint8_t bad[9000];
    memcpy(bad, a, na);
    bad[0] ^= 1;
    expect(chunk(d, 1, bad, na, 0, 64, sha, true), "{\"err\":{\"group\":1,\"rc\":23}}");
    expect(chunk(d, 0, bad, na, 0, 64, sha, true), "{\"rc\":1}");
    /* sha of 33 bytes: 24 / 3 */
    MAP(dfu_cbor_put_map(&w, 4); dfu_cbor_put_str(&w, "off"); dfu_cbor_put_uint(&w, 0);
        dfu_cbor_put_str(&w, "len"); dfu_cbor_put_uint(&w, na); dfu_cbor_put_str(&w, "sha");
        dfu_cbor_put_bstr(&w, a, 33); dfu_cbor_put_str(&w, "data"); dfu_cbor_put_bstr(&w, a, 64));
    expect(img_req(d, DFU_SMP_OP_WRITE, 1, 1, &w), "{\"err\":{\"group\":1,\"rc\":24}}");
    /* len larger than the slot: 30 / 1 */
    MAP(dfu_cbor_put_map(&w, 3); dfu_cbor_put_str(&w, "off"); dfu_cbor_put_uint(&w, 0);
        dfu_cbor_put_str(&w, "len"); dfu_cbor_put_uint(&w, 0x100000); dfu_cbor_put_str(&w, "data");
        dfu_cbor_put_bstr(&w, a, 64));
    expect(img_req(d, DFU_SMP_OP_WRITE, 1, 1, &w), "{\"err\":{\"group\":1,\"rc\":30}}");
    expect(img_req(d, DFU_SMP_OP_WRITE, 0, 1, &w), "{\"rc\":1}");
    /* upgrade=true with an older version than the running 2.0.0: 27 / 6 */
    MAP(dfu_cbor_put_map(&w, 4); dfu_cbor_put_str(&w, "off"); dfu_cbor_put_uint(&w, 0);
        dfu_cbor_put_str(&w, "len"); dfu_cbor_put_uint(&w, na); dfu_cbor_put_str(&w, "upgrade");
        dfu_cbor_put_bool(&w, true); dfu_cbor_put_str(&w, "data"); dfu_cbor_put_bstr(&w, a, 64));
    expect(img_req(d, DFU_SMP_OP_WRITE, 1, 1, &w), "{\"err\":{\"group\":1,\"rc\":27}}");
    expect(img_req(d, DFU_SMP_OP_WRITE, 0, 1, &w), "{\"rc\":6}");
    /* upgrade=1 (int instead of bool): decode failure, rc 3 */
    MAP(dfu_cbor_put_map(&w, 4); dfu_cbor_put_str(&w, "off"); dfu_cbor_put_uint(&w, 0);
        dfu_cbor_put_str(&w, "len"); dfu_cbor_put_uint(&w, na); dfu_cbor_put_str(&w, "upgrade");
        dfu_cbor_put_uint(&w, 1); dfu_cbor_put_str(&w, "data"); dfu_cbor_put_bstr(&w, a, 64));
    expect(img_req(d, DFU_SMP_OP_WRITE, 1, 1, &w), "{\"rc\":3}");
    /* data overrun: len 100 with 128 bytes in the first chunk, then past the end: 31 / 1 */
    MAP(dfu_cbor_put_map(&w, 3); dfu_cbor_put_str(&w, "off"); dfu_cbor_put_uint(&w, 0);
        dfu_cbor_put_str(&w, "len"); dfu_cbor_put_uint(&w, 100); dfu_cbor_put_str(&w, "data");
        dfu_cbor_put_bstr(&w, a, 128));
    expect(img_req(d, DFU_SMP_OP_WRITE, 1, 1, &w), "{\"err\":{\"group\":1,\"rc\":31}}");
    MAP(dfu_cbor_put_map(&w, 3); dfu_cbor_put_str(&w, "off"); dfu_cbor_put_uint(&w, 0);
        dfu_cbor_put_str(&w, "len"); dfu_cbor_put_uint(&w, 100); dfu_cbor_put_str(&w, "data");
        dfu_cbor_put_bstr(&w, a, 64));
    expect(img_req(d, DFU_SMP_OP_WRITE, 1, 1, &w), "{\"off\":64}");
    expect(chunk(d, 0, a, 100, 64, 64, NULL, false), "{\"rc\":1}");
    /* session reset by the error */
    expect(chunk(d, 1, a, 100, 64, 10, NULL, false), "{\"off\":0}");
    /* flash write failure: 12 / 1 */
    d->fl.fail_writes = 1;
    expect(chunk(d, 1, a, na, 0, 64, sha, true), "{\"err\":{\"group\":1,\"rc\":12}}");
    expect(chunk(d, 0, a, na, 0, 64, sha, true), "{\"rc\":1}");
    d->fl.fail_writes = 0;
    /* flash erase failure of a slot 1 that holds data: 13 / 1 */
    memset(d->fl.mem + d->img.cfg.secondary.off + 100, 0x42, 8);
    d->fl.fail_erases = 1;
    MAP(dfu_cbor_put_map(&w, 0));
    expect(img_req(d, DFU_SMP_OP_WRITE, 1, 5, &w), "{\"err\":{\"group\":1,\"rc\":13}}");
    expect(img_req(d, DFU_SMP_OP_WRITE, 0, 5, &w), "{\"rc\":1}");
    d->fl.fail_erases = 0;
    expect(img_req(d, DFU_SMP_OP_WRITE, 1, 5, &w), "{}");
    /* upload with a wrong type for off (text): rc 3 */
    MAP(dfu_cbor_put_map(&w, 1); dfu_cbor_put_str(&w, "off"); dfu_cbor_put_str(&w, "0"));
    expect(img_req(d, DFU_SMP_OP_WRITE, 1, 1, &w), "{\"rc\":3}");
    /* upload as a READ: not supported */
    expect(img_req(d, DFU_SMP_OP_READ, 1, 1, &w), "{\"rc\":8}");

    /* state write errors */
    MAP(dfu_cbor_put_map(&w, 1); dfu_cbor_put_str(&w, "confirm"); dfu_cbor_put_bool(&w, false));
    expect(img_req(d, DFU_SMP_OP_WRITE, 1, 0, &w), "{\"err\":{\"group\":1,\"rc\":24}}");
    expect(img_req(d, DFU_SMP_OP_WRITE, 0, 0, &w), "{\"rc\":3}");
    MAP(dfu_cbor_put_map(&w, 0));
    expect(img_req(d, DFU_SMP_OP_WRITE, 1, 0, &w), "{\"err\":{\"group\":1,\"rc\":24}}");
    MAP(dfu_cbor_put_map(&w, 1); dfu_cbor_put_str(&w, "hash"); dfu_cbor_put_bstr(&w, ha, 4));
    expect(img_req(d, DFU_SMP_OP_WRITE, 1, 0, &w), "{\"err\":{\"group\":1,\"rc\":24}}");
    MAP(dfu_cbor_put_map(&w, 1); dfu_cbor_put_str(&w, "hash"); dfu_cbor_put_bstr(&w, ha, 32));
    expect(img_req(d, DFU_SMP_OP_WRITE, 1, 0, &w), "{\"err\":{\"group\":1,\"rc\":8}}");
    expect(img_req(d, DFU_SMP_OP_WRITE, 0, 0, &w), "{\"rc\":1}");
    /* test of the running image: 33 / 1 */
    MAP(dfu_cbor_put_map(&w, 2); dfu_cbor_put_str(&w, "hash"); dfu_cbor_put_bstr(&w, h0, 32);
        dfu_cbor_put_str(&w, "confirm"); dfu_cbor_put_bool(&w, false));
    expect(img_req(d, DFU_SMP_OP_WRITE, 1, 0, &w), "{\"err\":{\"group\":1,\"rc\":33}}");
    expect(img_req(d, DFU_SMP_OP_WRITE, 0, 0, &w), "{\"rc\":1}");
    /* confirm with "hash": null (Go mcumgr) = confirm the running image: success */
    MAP(dfu_cbor_put_map(&w, 2); dfu_cbor_put_str(&w, "hash"); dfu_cbor_put_null(&w);
        dfu_cbor_put_str(&w, "confirm"); dfu_cbor_put_bool(&w, true));
    char *c = img_req(d, DFU_SMP_OP_WRITE, 1, 0, &w);
    CHECK(strncmp(c, "{\"images\":[", 11) == 0);
    free(c);

    /* erase: invalid slot 14 / 3; slot 0 refused 9 / 6; slot 1 ok and blank after */
    MAP(dfu_cbor_put_map(&w, 1); dfu_cbor_put_str(&w, "slot"); dfu_cbor_put_uint(&w, 2));
    expect(img_req(d, DFU_SMP_OP_WRITE, 1, 5, &w), "{\"err\":{\"group\":1,\"rc\":14}}");
    expect(img_req(d, DFU_SMP_OP_WRITE, 0, 5, &w), "{\"rc\":3}");
    MAP(dfu_cbor_put_map(&w, 1); dfu_cbor_put_str(&w, "slot"); dfu_cbor_put_uint(&w, 0));
    expect(img_req(d, DFU_SMP_OP_WRITE, 1, 5, &w), "{\"err\":{\"group\":1,\"rc\":9}}");
    expect(img_req(d, DFU_SMP_OP_WRITE, 0, 5, &w), "{\"rc\":6}");
    CHECK_MEM(d->fl.mem, slot0, n0);
    CHECK_EQ_INT(tu_upload(d, a, na, 500, 1), 0);
    MAP(dfu_cbor_put_map(&w, 0));
    expect(img_req(d, DFU_SMP_OP_WRITE, 1, 5, &w), "{}");
    CHECK_EQ_INT(dfu_flash_is_erased(&d->img.cfg.secondary, 0, TU_SECONDARY_SIZE), 1);
    uint32_t erases = d->fl.flash.stats.erases;
    expect(img_req(d, DFU_SMP_OP_WRITE, 0, 5, &w), "{}"); /* already blank: no erase */
    CHECK_EQ_INT(d->fl.flash.stats.erases, erases);

    /* slot info */
    MAP(dfu_cbor_put_map(&w, 0));
    char want[256];
    snprintf(want, sizeof want,
             "{\"images\":[{\"image\":0,\"max_image_size\":%u,\"slots\":[{\"size\":%u,\"slot\":0},"
             "{\"size\":%u,\"slot\":1,\"upload_image_id\":0}]}]}",
             d->img.max_image, TU_PRIMARY_SIZE, TU_SECONDARY_SIZE);
    expect(img_req(d, DFU_SMP_OP_READ, 1, 6, &w), want);
    CHECK(d->img.max_image > 50000 && d->img.max_image < TU_SECONDARY_SIZE);
    tu_dev_free(d);
}

static void test_alignment(void)
{
    /* Write alignment 1, 4, 16, 32: uploads of odd sizes land byte-exact and validate. */
    static uint8_t a[12000];
    uint8_t ha[32];
    size_t na = tu_make_image(a, sizeof a, 11111, 3, 0, 0, 0, 77, ha);
    const uint32_t aligns[] = {1, 4, 16, 32};
    for (size_t i = 0; i < 4; i++) {
        tu_opts_t o = {.align = aligns[i]};
        tu_dev_t *d = tu_dev_new(&o, NULL, 0);
        CHECK_EQ_INT(tu_upload(d, a, na, 37 + 64 * i, 1), 0);
        CHECK_MEM(d->fl.mem + TU_PRIMARY_SIZE, a, na);
        CHECK_EQ_INT(validate_slot1(d, na, ha), 0);
        tu_dev_free(d);
    }
}

static void test_real_image(void)
{
    if (!dfu_test_have_shared("imgtool image upload")) {
        return;
    }
    size_t n0, na;
    uint8_t *s0 = tu_read_file(DFU_SHARED_DIR "/vectors/imgtool/images/b_unsigned.bin", &n0);
    uint8_t *a = tu_read_file(DFU_SHARED_DIR "/vectors/imgtool/images/a_ecdsa_p256.bin", &na);
    CHECK(s0 != NULL && a != NULL);
    if (!s0 || !a) {
        return;
    }
    /* b_unsigned is 124009 bytes, larger than the fixture's slot: use the small one as slot 1
     * content only. */
    tu_dev_t *d = tu_dev_new(NULL, NULL, 0);
    CHECK_EQ_INT(tu_upload(d, a, na, 297, 1), 0);
    CHECK_MEM(d->fl.mem + TU_PRIMARY_SIZE, a, na);
    uint8_t h[32];
    tu_unhex("5a4e751f066ac9897f7619314eed7d05b773a8d8c6fc4e21278ae3af8ed264ec", h, 32);
    CHECK_EQ_INT(validate_slot1(d, na, h), 0);
    char *c = tu_state_write(d, h, false, 1, 1);
    CHECK(strstr(c, "\"version\":\"1.2.3.4\"") != NULL);
    CHECK(strstr(c, "\"pending\":true") != NULL);
    free(c);
    tu_dev_free(d);
    free(s0);
    free(a);
}

static void test_legacy_rc(void)
{
    /* Slinky-style answers: {"rc":0,"off":N} on upload, {"rc":0} on erase. */
    static uint8_t a[3000];
    uint8_t ha[32], sha[32];
    size_t na = tu_make_image(a, sizeof a, 2500, 1, 0, 0, 0, 9, ha);
    tu_sha256(a, na, sha);
    tu_dev_t *d = tu_dev_new(NULL, NULL, 0);
    d->img.cfg.legacy_rc = true;
    expect(chunk(d, 0, a, na, 0, 297, sha, true), "{\"off\":297,\"rc\":0}");
    expect(chunk(d, 0, a, na, 500, 10, NULL, false), "{\"off\":297,\"rc\":0}");
    uint8_t cb[8];
    dfu_cbor_writer_t w;
    dfu_cbor_writer_init(&w, cb, sizeof cb);
    dfu_cbor_put_map(&w, 0);
    expect(img_req(d, DFU_SMP_OP_WRITE, 0, 5, &w), "{\"rc\":0}");
    tu_dev_free(d);
}

int main(void)
{
    test_legacy_rc();
    test_upload_sequence();
    test_errors();
    test_alignment();
    test_real_image();
    return dfu_test_finish("test_smp_img");
}
