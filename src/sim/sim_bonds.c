/*
 * BLE bonds of the simulated device, kept in the first sector of its storage partition so they
 * survive resets, power cuts and restarts like a Zephyr settings entry would.
 *
 * Record (32 bytes, appended at the first erased record): "BND1", peer[6], level, 0, ltk[16],
 * 0, 0, Fletcher-16 of bytes 0..29 (LE). A torn or garbage record fails the check and is skipped;
 * the latest valid record for a peer wins. When the sector is full it is rewritten with the
 * latest bond of each peer (at most BONDS_KEEP) before appending.
 */
#include <string.h>

#include "dfu_sim.h"
#include "dfukit/dfu_err.h"

#define BONDS_KEEP 16u

static uint16_t fletcher16(const uint8_t *p, size_t n)
{
    uint32_t a = 0, b = 0;
    for (size_t i = 0; i < n; i++) {
        a = (a + p[i]) % 255u;
        b = (b + a) % 255u;
    }
    return (uint16_t)((b << 8) | a);
}

static void rec_encode(const dfu_ble_bond_t *bond, uint8_t r[DFU_SIM_BOND_REC])
{
    memset(r, 0, DFU_SIM_BOND_REC);
    memcpy(r, "BND1", 4);
    memcpy(r + 4, bond->peer, 6);
    r[10] = bond->level;
    memcpy(r + 12, bond->ltk, 16);
    uint16_t c = fletcher16(r, 30);
    r[30] = (uint8_t)c;
    r[31] = (uint8_t)(c >> 8);
}

/* 1 = valid record decoded, 0 = invalid. */
static int rec_decode(const uint8_t r[DFU_SIM_BOND_REC], dfu_ble_bond_t *bond)
{
    uint16_t c = (uint16_t)(r[30] | (r[31] << 8));
    if (memcmp(r, "BND1", 4) != 0 || c != fletcher16(r, 30) || r[10] < 2 || r[10] > 4) {
        return 0;
    }
    memcpy(bond->peer, r + 4, 6);
    bond->level = r[10];
    memcpy(bond->ltk, r + 12, 16);
    return 1;
}

static uint32_t rec_slots(const dfu_sim_bonds_t *b)
{
    uint32_t sec = dfu_flash_sector_size(&b->area);
    return (sec < b->area.size ? sec : b->area.size) / DFU_SIM_BOND_REC;
}

/* Scans the records: the latest valid bond for `peer` (if peer != NULL) and the index of the
 * first erased record (*free_idx = slots when full). */
static int scan(const dfu_sim_bonds_t *b, const uint8_t *peer, dfu_ble_bond_t *found,
                uint32_t *free_idx)
{
    uint32_t n = rec_slots(b);
    int have = 0;
    *free_idx = n;
    for (uint32_t i = 0; i < n; i++) {
        uint8_t r[DFU_SIM_BOND_REC];
        int rc = dfu_flash_read(&b->area, i * DFU_SIM_BOND_REC, r, sizeof(r));
        if (rc < 0) {
            return rc;
        }
        rc = dfu_flash_is_erased(&b->area, i * DFU_SIM_BOND_REC, DFU_SIM_BOND_REC);
        if (rc < 0) {
            return rc;
        }
        if (rc == 1) {
            *free_idx = i;
            break;
        }
        dfu_ble_bond_t bond;
        if (peer != NULL && rec_decode(r, &bond) && memcmp(bond.peer, peer, 6) == 0) {
            *found = bond;
            have = 1;
        }
    }
    return have;
}

int dfu_sim_bonds_lookup(dfu_sim_bonds_t *b, const uint8_t peer[6], dfu_ble_bond_t *out)
{
    uint32_t free_idx;
    int rc = scan(b, peer, out, &free_idx);
    return rc < 0 ? rc : rc == 1 ? DFU_OK : DFU_ERR_NOT_FOUND;
}

/* Rewrites the sector with the latest bond of each peer (the newest BONDS_KEEP peers). */
static int compact(dfu_sim_bonds_t *b, uint32_t *next)
{
    dfu_ble_bond_t keep[BONDS_KEEP];
    uint32_t nk = 0, n = rec_slots(b);
    for (uint32_t i = n; i-- > 0;) { /* newest first */
        uint8_t r[DFU_SIM_BOND_REC];
        dfu_ble_bond_t bond;
        int rc = dfu_flash_read(&b->area, i * DFU_SIM_BOND_REC, r, sizeof(r));
        if (rc < 0) {
            return rc;
        }
        if (!rec_decode(r, &bond)) {
            continue;
        }
        uint32_t k = 0;
        while (k < nk && memcmp(keep[k].peer, bond.peer, 6) != 0) {
            k++;
        }
        if (k == nk && nk < BONDS_KEEP) {
            keep[nk++] = bond;
        }
    }
    int rc = dfu_flash_erase(&b->area, 0, dfu_flash_sector_size(&b->area));
    for (uint32_t k = 0; rc == 0 && k < nk; k++) {
        uint8_t r[DFU_SIM_BOND_REC];
        rec_encode(&keep[nk - 1 - k], r); /* oldest first, so the newest stays the latest */
        rc = dfu_flash_write(&b->area, k * DFU_SIM_BOND_REC, r, sizeof(r));
    }
    *next = nk;
    return rc;
}

int dfu_sim_bonds_store(dfu_sim_bonds_t *b, const dfu_ble_bond_t *bond)
{
    uint32_t idx;
    dfu_ble_bond_t unused;
    int rc = scan(b, NULL, &unused, &idx);
    if (rc < 0) {
        return rc;
    }
    if (idx >= rec_slots(b)) {
        rc = compact(b, &idx);
        if (rc < 0) {
            return rc;
        }
    }
    uint8_t r[DFU_SIM_BOND_REC];
    rec_encode(bond, r);
    return dfu_flash_write(&b->area, idx * DFU_SIM_BOND_REC, r, sizeof(r));
}

static int cb_lookup(void *ctx, const uint8_t peer[6], dfu_ble_bond_t *out)
{
    return dfu_sim_bonds_lookup(ctx, peer, out);
}

static int cb_store(void *ctx, const dfu_ble_bond_t *bond)
{
    return dfu_sim_bonds_store(ctx, bond);
}

void dfu_sim_bonds_port(dfu_sim_bonds_t *b, dfu_ble_bond_store_t *store)
{
    store->lookup = cb_lookup;
    store->store = cb_store;
    store->ctx = b;
}
