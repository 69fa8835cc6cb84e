/*
 * Persistent boot record log: two flash sectors used alternately, one 96-byte record per boot.
 *
 * Append: the record goes into the first slot after the last non-erased slot of the sector that
 * holds the newest record; when that sector is full, the other sector is erased and the record
 * goes to its slot 0. So a power cut never destroys the newest record: a torn write leaves a
 * slot whose CRC fails (skipped, never written again), a torn erase only hits the older sector
 * (erased again at the next rotation). Records in the older sector are all older than those in
 * the newer one, so walking the newer sector downwards, then the older one, yields newest first.
 */
#include <string.h>

#include "boot_priv.h"
#include "dfukit/dfu_boot_record.h"

int dfu_boot_log_check(const dfu_flash_area_t *log)
{
    if (log == NULL || log->size == 0u || dfu_flash_area_check(log) < 0) {
        return DFU_ERR_INVAL;
    }
    uint32_t ss = dfu_flash_sector_size(log);
    if (log->size < 2u * ss || ss < 2u * DFU_BOOT_RECORD_SIZE ||
        DFU_BOOT_RECORD_SIZE % dfu_flash_align(log) != 0u) {
        return DFU_ERR_INVAL;
    }
    return DFU_OK;
}

typedef struct {
    uint32_t newest;   /* largest valid sequence number (0 = none) */
    int32_t last_used; /* highest slot that is not fully erased (-1 = none) */
} sector_scan_t;

/* Reads slot `i` of `sector` into rec: *seq = its sequence number when it holds a valid record
 * (0 otherwise), *erased = 1 when every byte is erased. */
static int read_slot(const dfu_flash_area_t *log, uint32_t sector, uint32_t i,
                     uint8_t rec[DFU_BOOT_RECORD_SIZE], uint32_t *seq, int *erased)
{
    uint32_t off = sector * dfu_flash_sector_size(log) + i * DFU_BOOT_RECORD_SIZE;
    int rc = dfu_flash_read(log, off, rec, DFU_BOOT_RECORD_SIZE);
    if (rc < 0) {
        return rc;
    }
    uint8_t ev = dfu_flash_erased_val(log);
    *erased = 1;
    for (size_t k = 0; k < DFU_BOOT_RECORD_SIZE; k++) {
        *erased &= rec[k] == ev;
    }
    *seq = 0;
    if (!*erased && dfu_boot_record_check(rec, seq) < 0) {
        *seq = 0;
    }
    return DFU_OK;
}

static int scan_sector(const dfu_flash_area_t *log, uint32_t sector, uint32_t per,
                       sector_scan_t *out)
{
    out->newest = 0;
    out->last_used = -1;
    for (uint32_t i = 0; i < per; i++) {
        uint8_t rec[DFU_BOOT_RECORD_SIZE];
        uint32_t seq = 0;
        int erased = 0;
        int rc = read_slot(log, sector, i, rec, &seq, &erased);
        if (rc < 0) {
            return rc;
        }
        if (!erased) {
            out->last_used = (int32_t)i;
        }
        if (seq > out->newest) {
            out->newest = seq;
        }
    }
    return DFU_OK;
}

int dfu_boot_log_append(const dfu_flash_area_t *log, dfu_boot_result_t *r)
{
    int rc = dfu_boot_log_check(log);
    if (rc < 0 || r == NULL) {
        return DFU_ERR_INVAL;
    }
    uint32_t ss = dfu_flash_sector_size(log);
    uint32_t per = ss / DFU_BOOT_RECORD_SIZE;
    sector_scan_t sc[2];
    for (uint32_t s = 0; s < 2u; s++) {
        rc = scan_sector(log, s, per, &sc[s]);
        if (rc < 0) {
            return rc;
        }
    }
    uint32_t active = sc[1].newest > sc[0].newest ? 1u : 0u;
    uint32_t seq = sc[active].newest + 1u;
    uint32_t slot = (uint32_t)(sc[active].last_used + 1);
    if (slot >= per) {
        active ^= 1u;
        slot = 0;
        rc = dfu_flash_erase(log, active * ss, ss);
        if (rc < 0) {
            return rc;
        }
    }
    uint32_t saved = r->boot_count;
    r->boot_count = seq;
    uint8_t rec[DFU_BOOT_RECORD_SIZE];
    dfu_boot_record_encode(r, rec);
    rc = dfu_flash_write(log, active * ss + slot * DFU_BOOT_RECORD_SIZE, rec, sizeof(rec));
    if (rc < 0) {
        r->boot_count = saved;
    }
    return rc;
}

/* Positions `it` at the top of the newer sector. */
static int iter_start(dfu_boot_log_iter_t *it, const dfu_flash_area_t *log)
{
    int rc = dfu_boot_log_check(log);
    if (rc < 0) {
        return rc;
    }
    memset(it, 0, sizeof(*it));
    it->log = log;
    it->per_sector = dfu_flash_sector_size(log) / DFU_BOOT_RECORD_SIZE;
    sector_scan_t sc[2];
    for (uint32_t s = 0; s < 2u; s++) {
        rc = scan_sector(log, s, it->per_sector, &sc[s]);
        if (rc < 0) {
            return rc;
        }
    }
    it->sector = sc[1].newest > sc[0].newest ? 1u : 0u;
    it->slot = it->per_sector;
    it->last_seq = UINT32_MAX;
    return DFU_OK;
}

/* Next older record of the walk, raw: 0 with rec filled, DFU_ERR_NOT_FOUND at the end. */
static int iter_next_raw(dfu_boot_log_iter_t *it, uint8_t rec[DFU_BOOT_RECORD_SIZE])
{
    while (it->pass < 2u) {
        while (it->slot > 0u) {
            it->slot--;
            uint32_t seq = 0;
            int erased = 0;
            int rc = read_slot(it->log, it->sector, it->slot, rec, &seq, &erased);
            if (rc < 0) {
                return rc;
            }
            /* strictly decreasing sequence numbers: anything else is a stale leftover */
            if (seq != 0u && seq < it->last_seq) {
                it->last_seq = seq;
                return DFU_OK;
            }
        }
        it->pass++;
        it->sector ^= 1u;
        it->slot = it->per_sector;
    }
    return DFU_ERR_NOT_FOUND;
}

int dfu_boot_log_iter_next(dfu_boot_log_iter_t *it, dfu_boot_result_t *r)
{
    uint8_t rec[DFU_BOOT_RECORD_SIZE];
    int rc = iter_next_raw(it, rec);
    return rc < 0 ? rc : dfu_boot_record_decode(rec, r);
}

int dfu_boot_log_iter_init(dfu_boot_log_iter_t *it, const dfu_flash_area_t *log)
{
    if (it == NULL) {
        return DFU_ERR_INVAL;
    }
    /* count with a dry walk (the same rules as the real one) */
    int rc = iter_start(it, log);
    uint32_t n = 0;
    uint8_t rec[DFU_BOOT_RECORD_SIZE];
    while (rc == DFU_OK && (rc = iter_next_raw(it, rec)) == DFU_OK) {
        n++;
    }
    if (rc != DFU_ERR_NOT_FOUND) {
        return rc;
    }
    rc = iter_start(it, log);
    it->total = n;
    return rc;
}
