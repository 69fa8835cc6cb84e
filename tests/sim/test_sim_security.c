/*
 * Acceptance 2 (BLE model): a firmware requiring L3 refuses every SMP write from an unpaired
 * client with ATT 0x05 and changes nothing; a wrong passkey fails pairing and changes nothing; the
 * same client pairing with the right passkey completes the update; its bond lives in the storage
 * partition (0x7A000) and survives a restart of the device; policy=secure answers writes on an
 * L1 link with rc 11 while reads still work.
 */
#include <string.h>
#include <unistd.h>

#include "dfu_test.h"
#include "dfukit/dfu_err.h"
#include "dfukit/dfu_host_ble.h"
#include "dfukit/dfu_smp.h"
#include "sim_harness.h"

#define TMO 3000
#define SLOT1_OFF 0x3E000u
#define SLOT_SIZE 0x32000u
#define STORAGE_OFF 0x7A000u

static char dir[128], flash[300], sock[300];

/* Copy of the secondary slot bytes of the flash file (to prove nothing changed). */
static uint8_t *secondary_now(void)
{
    size_t len = 0;
    uint8_t *f = h_read_file(flash, &len);
    if (f == NULL || len < SLOT1_OFF + SLOT_SIZE) {
        free(f);
        return NULL;
    }
    uint8_t *s = malloc(SLOT_SIZE);
    memcpy(s, f + SLOT1_OFF, SLOT_SIZE);
    free(f);
    return s;
}

static int reconnect(dfu_link_t *l)
{
    for (int i = 0; i < 300; i++) {
        if (dfu_link_reconnect(l) == DFU_OK) {
            return 0;
        }
        usleep(10000);
    }
    return -1;
}

static uint8_t *load(const char *name, size_t *len)
{
    char p[400];
    snprintf(p, sizeof(p), "%s/%s", dir, name);
    return h_read_file(p, len);
}

int main(void)
{
    CHECK_EQ_INT(h_tmpdir(dir, sizeof(dir), "sec"), 0);
    snprintf(flash, sizeof(flash), "%s/flash.bin", dir);
    snprintf(sock, sizeof(sock), "%s/ble.sock", dir);
    char p1[300], p2[300], p3[300];
    snprintf(p1, sizeof(p1), "%s/lock1.img", dir);
    snprintf(p2, sizeof(p2), "%s/lock2.img", dir);
    snprintf(p3, sizeof(p3), "%s/pol.img", dir);
    CHECK_EQ_INT(h_make_image(p1, "1.0.0", "name=lock1,security=3,passkey=123456,confirm=boot",
                              20 * 1024, 11),
                 0);
    CHECK_EQ_INT(h_make_image(p2, "2.0.0", "name=lock2,security=3,passkey=123456,confirm=boot",
                              20 * 1024, 12),
                 0);
    CHECK_EQ_INT(h_make_image(p3, "3.0.0",
                              "name=pol,security=1,policy=secure,passkey=123456,confirm=boot",
                              20 * 1024, 13),
                 0);
    const char *args[] = {"--install", p1, "--ble", sock, NULL};
    simproc_t p;
    CHECK_EQ_INT(h_spawn(&p, dir, "sim", flash, 1, args), 0);
    CHECK_EQ_INT(h_wait_log(&p, "boot #1: swap=none slot=0 version=1.0.0", 1, 5000), 0);

    /* Unpaired client: connects (L1) but every SMP write is refused with ATT 0x05. */
    dfu_ble_client_cfg_t cc = {.mtu = 247, .addr = {0xC0, 0xDF, 0, 0, 0, 0x21}};
    dfu_link_t l;
    CHECK_EQ_INT(dfu_link_ble_client_open(&l, sock, &cc), DFU_OK);
    CHECK_EQ_INT(dfu_link_security(&l), 1);
    CHECK(strcmp(dfu_link_ble_peer_name(&l), "lock1") == 0);
    uint8_t *before = secondary_now();
    CHECK(before != NULL);
    size_t len2 = 0, next = 0;
    uint8_t *img2 = load("lock2.img", &len2);
    CHECK(img2 != NULL);
    CHECK_EQ_INT(smp_upload(&l, img2, len2, 0, 1024, TMO, &next), DFU_ERR_ACCESS);
    CHECK_EQ_INT(dfu_link_ble_last_att_error(&l), DFU_BLE_ATT_ERR_INSUFF_AUTHEN);
    CHECK_EQ_INT(smp_echo(&l, "x", TMO), DFU_ERR_ACCESS);
    CHECK_EQ_INT(smp_reset(&l, TMO), DFU_ERR_ACCESS);
    uint8_t *after = secondary_now();
    CHECK(after != NULL && before != NULL && memcmp(before, after, SLOT_SIZE) == 0);
    free(after);

    /* Wrong passkey: pairing fails, level unchanged, still refused, nothing written. */
    CHECK_EQ_INT(dfu_link_ble_pair(&l, true, 654321, true), DFU_ERR_PAIRING);
    CHECK_EQ_INT(dfu_link_security(&l), 1);
    CHECK_EQ_INT(smp_upload(&l, img2, len2, 0, 1024, TMO, &next), DFU_ERR_ACCESS);
    after = secondary_now();
    CHECK(after != NULL && before != NULL && memcmp(before, after, SLOT_SIZE) == 0);
    free(after);
    free(before);
    CHECK_EQ_INT(h_log_count(&p, "boot #2"), 0);

    /* Right passkey: L3, the update goes through. */
    CHECK_EQ_INT(dfu_link_ble_pair(&l, true, 123456, true), 3);
    CHECK_EQ_INT(dfu_link_security(&l), 3);
    CHECK_EQ_INT(smp_upload(&l, img2, len2, 0, 1024, TMO, &next), 0);
    smpstate_t st;
    CHECK_EQ_INT(smp_state(&l, &st, TMO), 2);
    CHECK_EQ_INT(smp_test(&l, st.hash[1], TMO), 0);
    CHECK_EQ_INT(smp_reset(&l, TMO), 0);
    CHECK_EQ_INT(h_wait_log(&p, "boot #2: swap=test slot=0 version=2.0.0", 1, 5000), 0);
    /* Reconnect reuses the bond: L3 again without a passkey. */
    CHECK_EQ_INT(reconnect(&l), 0);
    CHECK_EQ_INT(dfu_link_security(&l), 3);
    CHECK(strcmp(dfu_link_ble_peer_name(&l), "lock2") == 0);
    CHECK_EQ_INT(smp_state(&l, &st, TMO), 2);
    CHECK(strcmp(st.version[0], "2.0.0") == 0);

    /* The bond is in the storage partition and survives a device restart. */
    size_t flen = 0;
    uint8_t *f = h_read_file(flash, &flen);
    CHECK(f != NULL && flen > STORAGE_OFF + 4 && memcmp(f + STORAGE_OFF, "BND1", 4) == 0);
    free(f);
    dfu_ble_bond_t bond;
    CHECK_EQ_INT(dfu_link_ble_get_bond(&l, &bond), DFU_OK);
    dfu_link_close(&l);
    CHECK_EQ_INT(h_stop(&p), 0);
    const char *args2[] = {"--ble", sock, NULL};
    CHECK_EQ_INT(h_spawn(&p, dir, "sim2", flash, 1, args2), 0);
    dfu_ble_client_cfg_t cb = cc;
    cb.security = 3;
    cb.known_bond = bond;
    CHECK_EQ_INT(dfu_link_ble_client_open(&l, sock, &cb), DFU_OK);
    CHECK_EQ_INT(dfu_link_security(&l), 3);
    CHECK_EQ_INT(smp_echo(&l, "bonded", TMO), 0);

    /* Move to a policy=secure app with security=1. */
    size_t len3 = 0;
    uint8_t *img3 = load("pol.img", &len3);
    CHECK(img3 != NULL);
    CHECK_EQ_INT(smp_upload(&l, img3, len3, 0, 1024, TMO, &next), 0);
    CHECK_EQ_INT(smp_state(&l, &st, TMO), 2);
    CHECK_EQ_INT(smp_test(&l, st.hash[1], TMO), 0);
    CHECK_EQ_INT(smp_reset(&l, TMO), 0);
    CHECK_EQ_INT(h_wait_log(&p, "boot #2: swap=test slot=0 version=3.0.0", 1, 5000), 0);
    dfu_link_close(&l);

    /* Another, unpaired central: reads work at L1, writes get rc 11, nothing changes. */
    dfu_ble_client_cfg_t c2 = {.mtu = 247, .addr = {0xC0, 0xDF, 0, 0, 0, 0x42}};
    int rc = DFU_ERR_NOTCONN;
    for (int i = 0; i < 300 && rc != DFU_OK; i++) {
        rc = dfu_link_ble_client_open(&l, sock, &c2);
        if (rc != DFU_OK) {
            usleep(10000);
        }
    }
    CHECK_EQ_INT(rc, DFU_OK);
    CHECK_EQ_INT(dfu_link_security(&l), 1);
    CHECK_EQ_INT(smp_state(&l, &st, TMO), 2);
    CHECK(strcmp(st.version[0], "3.0.0") == 0);
    before = secondary_now();
    CHECK_EQ_INT(smp_upload(&l, img2, len2, 0, 1024, TMO, &next), DFU_SMP_RC_EACCESSDENIED);
    CHECK_EQ_INT(smp_reset(&l, TMO), DFU_SMP_RC_EACCESSDENIED);
    after = secondary_now();
    CHECK(after != NULL && before != NULL && memcmp(before, after, SLOT_SIZE) == 0);
    free(after);
    free(before);
    CHECK_EQ_INT(h_log_count(&p, "boot #3"), 0);
    dfu_link_close(&l);
    CHECK_EQ_INT(h_stop(&p), 0);
    free(img2);
    free(img3);
    h_cleanup(dfu_test_fail_count);
    return dfu_test_finish("test_sim_security");
}
