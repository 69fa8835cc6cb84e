/* Link-security policy: with `secure`, every write command on an L1/L2 link is refused with
 * rc 11 (rsn naming the level) and flash does not change; on L3/L4 it works. `open` allows
 * everything at L1. ATT error mapping for the BLE transport. */
#include "dfu_test.h"
#include "dfukit/dfu_cbor.h"
#include "dfukit/dfu_err.h"
#include "smp_testutil.h"

typedef struct cmd {
    uint8_t op;
    uint16_t group;
    uint8_t id;
    const char *cbor_hex;
    uint8_t need; /* level required by `secure` */
} cmd_t;

static char *send(tu_dev_t *d, const cmd_t *c, uint8_t ver, uint8_t level, const uint8_t *cb,
                  size_t n)
{
    uint8_t fr[2048];
    size_t fl = tu_frame(fr, c->op, ver, c->group, 9, c->id, cb, n);
    CHECK_EQ_INT(tu_dev_req(d, fr, fl, level), 1);
    return tu_last_canon(d);
}

int main(void)
{
    static uint8_t a0[9000], b[9000];
    uint8_t ha0[32], hb[32], sha[32];
    size_t na0 = tu_make_image(a0, sizeof a0, 8000, 1, 0, 0, 0, 1, ha0);
    size_t nb = tu_make_image(b, sizeof b, 8100, 2, 0, 0, 0, 2, hb);
    tu_sha256(b, nb, sha);

    /* Request payloads. */
    uint8_t upload[700];
    dfu_cbor_writer_t w;
    dfu_cbor_writer_init(&w, upload, sizeof upload);
    dfu_cbor_put_map(&w, 4);
    dfu_cbor_put_str(&w, "off");
    dfu_cbor_put_uint(&w, 0);
    dfu_cbor_put_str(&w, "len");
    dfu_cbor_put_uint(&w, nb);
    dfu_cbor_put_str(&w, "sha");
    dfu_cbor_put_bstr(&w, sha, 32);
    dfu_cbor_put_str(&w, "data");
    dfu_cbor_put_bstr(&w, b, 512);
    size_t upload_len = w.len;
    uint8_t test[64];
    dfu_cbor_writer_init(&w, test, sizeof test);
    dfu_cbor_put_map(&w, 2);
    dfu_cbor_put_str(&w, "hash");
    dfu_cbor_put_bstr(&w, hb, 32);
    dfu_cbor_put_str(&w, "confirm");
    dfu_cbor_put_bool(&w, false);
    size_t test_len = w.len;

    const cmd_t writes[] = {
        {DFU_SMP_OP_WRITE, 0, 4, "a1 68 6461746574696d65 73 323032342d30332d30355430363a30373a3038",
         3},
        {DFU_SMP_OP_WRITE, 0, 5, "a0", 3},
        {DFU_SMP_OP_WRITE, 1, 5, "a0", 3},
        {DFU_SMP_OP_WRITE, 1, 1, NULL, 3}, /* upload */
        {DFU_SMP_OP_WRITE, 1, 0, NULL, 3}, /* test (needs the upload first) */
    };
    for (int ver = 0; ver <= 1; ver++) {
        tu_opts_t o = {.policy = &dfu_smp_policy_secure};
        tu_dev_t *d = tu_dev_new(&o, a0, na0);
        /* put B in slot 1 over an authenticated link so erase/test have something to act on */
        CHECK_EQ_INT(tu_upload(d, b, nb, 400, 3), 0);
        uint8_t *snap = malloc(TU_PRIMARY_SIZE + TU_SECONDARY_SIZE);
        memcpy(snap, d->fl.mem, TU_PRIMARY_SIZE + TU_SECONDARY_SIZE);
        dfu_flash_stats_t st0 = d->fl.flash.stats;
        for (size_t i = 0; i < sizeof(writes) / sizeof(writes[0]); i++) {
            const cmd_t *c = &writes[i];
            uint8_t cb[700];
            size_t n;
            if (c->group == 1 && c->id == 1) {
                memcpy(cb, upload, upload_len);
                n = upload_len;
            } else if (c->group == 1 && c->id == 0) {
                memcpy(cb, test, test_len);
                n = test_len;
            } else {
                n = tu_unhex(c->cbor_hex, cb, sizeof cb);
            }
            for (uint8_t lvl = 0; lvl <= 2; lvl++) {
                int resets = d->resets;
                char *r = send(d, c, (uint8_t)ver, lvl, cb, n);
                CHECK(strstr(r, "\"rc\":11") != NULL);
                CHECK(strstr(r, "security level 3") != NULL);
                CHECK_EQ_INT(d->resets, resets);
                free(r);
            }
        }
        CHECK(memcmp(snap, d->fl.mem, TU_PRIMARY_SIZE + TU_SECONDARY_SIZE) == 0);
        CHECK_EQ_INT(d->fl.flash.stats.writes, st0.writes);
        CHECK_EQ_INT(d->fl.flash.stats.erases, st0.erases);
        CHECK(!d->clock_set);
        /* Reads allowed at L1: echo (both ops), params, bootloader info, image state. */
        const cmd_t reads[] = {{DFU_SMP_OP_READ, 0, 0, "a1 61 64 61 78", 1},
                               {DFU_SMP_OP_WRITE, 0, 0, "a1 61 64 61 78", 1},
                               {DFU_SMP_OP_READ, 0, 6, "a0", 1},
                               {DFU_SMP_OP_READ, 0, 8, "a0", 1},
                               {DFU_SMP_OP_READ, 1, 0, "a0", 1},
                               {DFU_SMP_OP_READ, 0, 7, "a0", 2},
                               {DFU_SMP_OP_READ, 1, 6, "a0", 2}};
        for (size_t i = 0; i < sizeof(reads) / sizeof(reads[0]); i++) {
            uint8_t cb[64];
            size_t n = tu_unhex(reads[i].cbor_hex, cb, sizeof cb);
            for (uint8_t lvl = 1; lvl <= 4; lvl++) {
                char *r = send(d, &reads[i], (uint8_t)ver, lvl, cb, n);
                bool denied = strstr(r, "\"rc\":11") != NULL;
                CHECK_EQ_INT(denied, lvl < reads[i].need);
                free(r);
            }
        }
        /* On L3 (and L4) the writes work. */
        for (size_t i = 0; i < sizeof(writes) / sizeof(writes[0]); i++) {
            const cmd_t *c = &writes[i];
            if (c->group == 1 && c->id == 5) {
                continue; /* erase would remove what the test below needs */
            }
            uint8_t cb[700];
            size_t n;
            if (c->group == 1 && c->id == 1) {
                continue; /* upload checked by tu_upload at L3 above */
            } else if (c->group == 1 && c->id == 0) {
                memcpy(cb, test, test_len);
                n = test_len;
            } else {
                n = tu_unhex(c->cbor_hex, cb, sizeof cb);
            }
            char *r = send(d, c, (uint8_t)ver, i % 2 ? 3 : 4, cb, n);
            CHECK(strstr(r, "\"rc\"") == NULL && strstr(r, "\"err\"") == NULL);
            free(r);
        }
        CHECK(d->clock_set);
        CHECK(d->resets > 0);
        CHECK_EQ_INT(dfu_boot_swap_type(&d->img.cfg.primary, &d->img.cfg.secondary, NULL),
                     DFU_BOOT_SWAP_TEST);
        const cmd_t er = {DFU_SMP_OP_WRITE, 1, 5, "a0", 3};
        char *r = send(d, &er, (uint8_t)ver, 3, (const uint8_t *)"\xa0", 1);
        CHECK(strcmp(r, "{}") == 0);
        free(r);
        free(snap);
        tu_dev_free(d);
    }
    /* `open`: everything at L1. */
    tu_dev_t *d = tu_dev_new(NULL, a0, na0);
    CHECK_EQ_INT(tu_upload(d, b, nb, 400, 1), 0);
    tu_dev_free(d);
    /* Policy lookups and ATT mapping. */
    CHECK_EQ_INT(dfu_smp_policy_required(&dfu_smp_policy_secure, 1, 1, DFU_SMP_OP_WRITE), 3);
    CHECK_EQ_INT(dfu_smp_policy_required(&dfu_smp_policy_secure, 1, 0, DFU_SMP_OP_READ), 1);
    CHECK_EQ_INT(dfu_smp_policy_required(&dfu_smp_policy_secure, 64, 0, DFU_SMP_OP_READ), 2);
    CHECK_EQ_INT(dfu_smp_policy_required(&dfu_smp_policy_open, 1, 1, DFU_SMP_OP_WRITE), 1);
    CHECK_EQ_INT(dfu_smp_policy_required(NULL, 1, 1, DFU_SMP_OP_WRITE), 1);
    CHECK_EQ_INT(dfu_smp_policy_att_error(1, 3), 0x05);
    CHECK_EQ_INT(dfu_smp_policy_att_error(2, 3), 0x05);
    CHECK_EQ_INT(dfu_smp_policy_att_error(3, 3), 0);
    CHECK_EQ_INT(dfu_smp_policy_att_error(4, 3), 0);
    CHECK_EQ_INT(dfu_smp_att_error_for_rc(11), 0x05);
    CHECK_EQ_INT(dfu_smp_att_error_for_rc(8), 0);
    return dfu_test_finish("test_smp_policy");
}
