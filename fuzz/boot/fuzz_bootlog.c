/* libFuzzer harness: the boot record log over arbitrary flash contents. Input: byte 0 = number
 * of records appended to a fresh log (0..255), then a mask XORed over the two log sectors
 * (corruption: torn writes, garbage, stale sectors). Checks: the walk returns strictly
 * decreasing sequence numbers, `total` of them, at most two sectors' worth; an append never
 * programs a non-erased byte (NOR rules of the simulated flash) and yields newest + 1, which the
 * walk then returns first. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "dfukit/dfu_boot_record.h"
#include "dfukit/dfu_boot_simflash.h"
#include "dfukit/dfu_err.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define SECTOR 1024u
#define LOG_SIZE (2u * SECTOR)

/* Walks the log; returns the newest sequence number (0 if empty), traps on a broken rule. */
static uint32_t walk(const dfu_flash_area_t *log, uint32_t *count)
{
    dfu_boot_log_iter_t it;
    if (dfu_boot_log_iter_init(&it, log) != 0) {
        __builtin_trap();
    }
    dfu_boot_result_t r;
    uint32_t n = 0, newest = 0, prev = UINT32_MAX;
    while (dfu_boot_log_iter_next(&it, &r) == 0) {
        if (r.boot_count == 0 || r.boot_count >= prev) {
            __builtin_trap();
        }
        newest = n == 0 ? r.boot_count : newest;
        prev = r.boot_count;
        n++;
    }
    if (n != it.total || n > 2u * (SECTOR / DFU_BOOT_RECORD_SIZE)) {
        __builtin_trap();
    }
    *count = n;
    return newest;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1) {
        return 0;
    }
    dfu_simflash_t sf;
    if (dfu_simflash_init(&sf, LOG_SIZE, SECTOR, 8, 0xff) != 0) {
        return 0;
    }
    dfu_flash_t fl;
    dfu_flash_init(&fl, &sf.port);
    const dfu_flash_area_t log = {&fl, 0, LOG_SIZE, 5};
    dfu_boot_result_t r;
    memset(&r, 0, sizeof(r));
    for (unsigned i = 0; i < data[0]; i++) {
        r.image.ver_build = i;
        if (dfu_boot_log_append(&log, &r) != 0) {
            __builtin_trap();
        }
    }
    for (size_t i = 1; i < size && i - 1 < LOG_SIZE; i++) {
        sf.mem[i - 1] ^= data[i];
    }
    uint32_t n = 0;
    uint32_t newest = walk(&log, &n);
    if (dfu_boot_log_append(&log, &r) != 0 || r.boot_count != newest + 1u) {
        __builtin_trap(); /* includes DFU_ERR_FLASH_RULE: a non-erased byte programmed */
    }
    uint32_t n2 = 0;
    if (walk(&log, &n2) != newest + 1u || n2 == 0) {
        __builtin_trap();
    }
    dfu_simflash_free(&sf);
    return 0;
}
