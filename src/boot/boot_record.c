/*
 * Boot outcome record: reason texts, the 96-byte record codec (CRC-32) and the RAM hand-off
 * block the bootloader leaves for the application. Layouts: docs/SPEC-trailer.md section 9.
 */
#include <string.h>

#include "boot_priv.h"
#include "dfukit/dfu_boot_record.h"

static const char *const reason_texts[DFU_BOOT_REASON_COUNT] = {
    [DFU_BOOT_REASON_NONE] = "no update pending: primary image booted",
    [DFU_BOOT_REASON_TEST] = "test swap: new image booted for a test",
    [DFU_BOOT_REASON_PERM] = "permanent swap: new image installed",
    [DFU_BOOT_REASON_REVERT] = "test image not confirmed: reverted",
    [DFU_BOOT_REASON_RESUMED] = "power cut during swap: resumed and completed",
    [DFU_BOOT_REASON_BAD_SIGNATURE] = "secondary signature invalid: refused",
    [DFU_BOOT_REASON_BAD_HASH] = "secondary image hash invalid: refused",
    [DFU_BOOT_REASON_INVALID] = "secondary image invalid: refused",
    [DFU_BOOT_REASON_UNSUPPORTED] = "secondary image not supported (encrypted/compressed)",
    [DFU_BOOT_REASON_DOWNGRADE] = "downgrade refused",
    [DFU_BOOT_REASON_TOO_LARGE] = "secondary image too large: not installed",
    [DFU_BOOT_REASON_NO_IMAGE] = "request without a bootable secondary image: ignored",
    [DFU_BOOT_REASON_INTERRUPTED] = "interrupted request, secondary no longer valid (fail)",
    [DFU_BOOT_REASON_INCONSISTENT] = "swap status inconsistent; not resumed",
    [DFU_BOOT_REASON_CLEARED_TRAILER] = "cleared a corrupt secondary trailer",
    [DFU_BOOT_REASON_NO_BOOTABLE] = "no bootable image in the primary slot",
    [DFU_BOOT_REASON_POWER_CUT] = "power cut during upgrade",
    [DFU_BOOT_REASON_FLASH_ERROR] = "flash error",
};

const char *dfu_boot_reason_text(int code)
{
    if (code < 0 || code >= (int)DFU_BOOT_REASON_COUNT) {
        return "unknown reason";
    }
    return reason_texts[code];
}

uint8_t dfu_boot_reason_for_refusal(int err)
{
    switch (err) {
    case DFU_ERR_BAD_SIGNATURE:
    case DFU_ERR_NO_SIGNATURE:
    case DFU_ERR_KEY_MISMATCH:
        return DFU_BOOT_REASON_BAD_SIGNATURE;
    case DFU_ERR_HASH_MISMATCH:
    case DFU_ERR_NO_HASH:
        return DFU_BOOT_REASON_BAD_HASH;
    case DFU_ERR_NOTSUP:
        return DFU_BOOT_REASON_UNSUPPORTED;
    case DFU_ERR_DOWNGRADE:
        return DFU_BOOT_REASON_DOWNGRADE;
    case DFU_ERR_NOSPC:
        return DFU_BOOT_REASON_TOO_LARGE;
    case DFU_ERR_NOT_FOUND:
        return DFU_BOOT_REASON_NO_IMAGE;
    default:
        return DFU_BOOT_REASON_INVALID;
    }
}

/* CRC-32 (IEEE 802.3: reflected polynomial 0xEDB88320, init and final xor 0xFFFFFFFF), bitwise:
 * a few records per boot do not need a table. */
static uint32_t crc32(const uint8_t *p, size_t n)
{
    uint32_t c = 0xFFFFFFFFu;
    for (size_t i = 0; i < n; i++) {
        c ^= p[i];
        for (int k = 0; k < 8; k++) {
            c = (c >> 1) ^ (0xEDB88320u & (0u - (c & 1u)));
        }
    }
    return ~c;
}

#define F_RESUMED 0x01u
#define F_REVERTED 0x02u
#define F_BOOTED 0x04u
#define F_OTHER 0x08u

void dfu_boot_record_encode(const dfu_boot_result_t *r, uint8_t out[DFU_BOOT_RECORD_SIZE])
{
    memset(out, 0, DFU_BOOT_RECORD_SIZE);
    memcpy(out, "DFBR", 4);
    out[4] = DFU_BOOT_RECORD_VERSION;
    out[5] = r->swap_type;
    out[6] = (uint8_t)((r->resumed ? F_RESUMED : 0u) | (r->reverted ? F_REVERTED : 0u) |
                       (r->booted ? F_BOOTED : 0u) | (r->has_other ? F_OTHER : 0u));
    out[7] = r->reason_code;
    dfu_boot_put_le32(out + 8, r->boot_count);
    dfu_boot_put_le32(out + 12, (uint32_t)r->secondary_err);
    dfu_boot_put_le32(out + 16, (uint32_t)r->primary_err);
    out[20] = r->image.ver_major;
    out[21] = r->image.ver_minor;
    dfu_boot_put_le16(out + 22, r->image.ver_revision);
    dfu_boot_put_le32(out + 24, r->image.ver_build);
    dfu_boot_put_le32(out + 28, r->image.security_counter);
    out[32] = r->other.major;
    out[33] = r->other.minor;
    dfu_boot_put_le16(out + 34, r->other.revision);
    dfu_boot_put_le32(out + 36, r->other.build);
    dfu_boot_put_le32(out + 40, r->flash_erases);
    dfu_boot_put_le32(out + 44, r->flash_writes);
    dfu_boot_put_le32(out + 48, r->flash_bytes);
    dfu_boot_put_le32(out + 52, r->time_ms);
    uint8_t hl = r->image.hash_len <= 32u ? r->image.hash_len : 32u;
    out[56] = hl;
    out[57] = 0; /* booted slot: always the primary */
    memcpy(out + 60, r->image.hash, hl);
    dfu_boot_put_le32(out + 92, crc32(out, 92));
}

int dfu_boot_record_check(const uint8_t *in, uint32_t *boot_count)
{
    if (memcmp(in, "DFBR", 4) != 0 || in[4] != DFU_BOOT_RECORD_VERSION || in[56] > 32u ||
        dfu_boot_get_le32(in + 92) != crc32(in, 92)) {
        return DFU_ERR_CORRUPT;
    }
    if (boot_count != NULL) {
        *boot_count = dfu_boot_get_le32(in + 8);
    }
    return DFU_OK;
}

int dfu_boot_record_decode(const uint8_t in[DFU_BOOT_RECORD_SIZE], dfu_boot_result_t *r)
{
    if (dfu_boot_record_check(in, NULL) < 0) {
        return DFU_ERR_CORRUPT;
    }
    memset(r, 0, sizeof(*r));
    r->swap_type = in[5];
    r->resumed = (in[6] & F_RESUMED) != 0u;
    r->reverted = (in[6] & F_REVERTED) != 0u;
    r->booted = (in[6] & F_BOOTED) != 0u;
    r->has_other = (in[6] & F_OTHER) != 0u;
    r->reason_code = in[7];
    r->reason = dfu_boot_reason_text(in[7]);
    r->boot_count = dfu_boot_get_le32(in + 8);
    r->secondary_err = (int32_t)dfu_boot_get_le32(in + 12);
    r->primary_err = (int32_t)dfu_boot_get_le32(in + 16);
    r->image.ver_major = in[20];
    r->image.ver_minor = in[21];
    r->image.ver_revision = (uint16_t)dfu_boot_get_le16(in + 22);
    r->image.ver_build = dfu_boot_get_le32(in + 24);
    r->image.security_counter = dfu_boot_get_le32(in + 28);
    r->other.major = in[32];
    r->other.minor = in[33];
    r->other.revision = (uint16_t)dfu_boot_get_le16(in + 34);
    r->other.build = dfu_boot_get_le32(in + 36);
    r->flash_erases = dfu_boot_get_le32(in + 40);
    r->flash_writes = dfu_boot_get_le32(in + 44);
    r->flash_bytes = dfu_boot_get_le32(in + 48);
    r->time_ms = dfu_boot_get_le32(in + 52);
    r->image.hash_len = in[56];
    memcpy(r->image.hash, in + 60, in[56]);
    return DFU_OK;
}

/* ---- RAM hand-off ------------------------------------------------------------------------ */

#define HO_CRC_OFF (8u + DFU_BOOT_RECORD_SIZE)

int dfu_boot_handoff_write(void *area, size_t size, const dfu_boot_result_t *r)
{
    uint8_t blk[DFU_BOOT_HANDOFF_SIZE];
    if (area == NULL || size < DFU_BOOT_HANDOFF_SIZE || r == NULL) {
        return DFU_ERR_INVAL;
    }
    memcpy(blk, "DFBH", 4);
    blk[4] = 1; /* hand-off block version */
    blk[5] = 0;
    dfu_boot_put_le16(blk + 6, DFU_BOOT_RECORD_SIZE);
    dfu_boot_record_encode(r, blk + 8);
    dfu_boot_put_le32(blk + HO_CRC_OFF, crc32(blk, HO_CRC_OFF));
    memcpy(area, blk, sizeof(blk));
    return DFU_OK;
}

int dfu_boot_handoff_read(void *area, size_t size, int take, dfu_boot_result_t *r)
{
    uint8_t blk[DFU_BOOT_HANDOFF_SIZE];
    if (area == NULL || size < DFU_BOOT_HANDOFF_SIZE || r == NULL) {
        return DFU_ERR_INVAL;
    }
    memcpy(blk, area, sizeof(blk));
    if (take) {
        memset(area, 0, 4); /* the magic: the block is not handed over twice */
    }
    if (memcmp(blk, "DFBH", 4) != 0 || blk[4] != 1u ||
        dfu_boot_get_le16(blk + 6) != DFU_BOOT_RECORD_SIZE ||
        dfu_boot_get_le32(blk + HO_CRC_OFF) != crc32(blk, HO_CRC_OFF)) {
        return DFU_ERR_NOT_FOUND;
    }
    return dfu_boot_record_decode(blk + 8, r) == DFU_OK ? DFU_OK : DFU_ERR_NOT_FOUND;
}
