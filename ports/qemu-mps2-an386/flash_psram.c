/* NOR-rule flash port over memory-mapped, file-backed PSRAM (see flash_psram.h). */
#include "flash_psram.h"

#include <string.h>

#include "board.h"
#include "dfukit/dfu_err.h"

#define ERASED 0xffu

static volatile uint32_t *word_at(uint32_t off)
{
    return (volatile uint32_t *)(uintptr_t)(BOARD_FLASH_ADDR + off);
}

static int in_range(uint32_t off, size_t len)
{
    return off <= BOARD_FLASH_SIZE && len <= BOARD_FLASH_SIZE - off;
}

static int psram_read(void *ctx, uint32_t off, void *buf, size_t len)
{
    (void)ctx;
    if (!in_range(off, len)) {
        return DFU_ERR_RANGE;
    }
    memcpy(buf, (const void *)(uintptr_t)(BOARD_FLASH_ADDR + off), len);
    return 0;
}

static int psram_write(void *ctx, uint32_t off, const void *buf, size_t len)
{
    (void)ctx;
    if (!in_range(off, len)) {
        return DFU_ERR_RANGE;
    }
    if (off % BOARD_FLASH_ALIGN != 0u || len % BOARD_FLASH_ALIGN != 0u) {
        return DFU_ERR_FLASH_RULE;
    }
    const uint8_t *flash = (const uint8_t *)(uintptr_t)(BOARD_FLASH_ADDR + off);
    for (size_t i = 0; i < len; i++) {
        if (flash[i] != ERASED) {
            return DFU_ERR_FLASH_RULE; /* programmed already: NOR cannot rewrite it */
        }
    }
    const uint8_t *src = buf;
    for (size_t i = 0; i < len; i += 4u) {
        uint32_t w;
        memcpy(&w, src + i, sizeof(w));
        *word_at(off + (uint32_t)i) = w;
    }
    return 0;
}

static int psram_erase(void *ctx, uint32_t off, size_t len)
{
    (void)ctx;
    if (!in_range(off, len)) {
        return DFU_ERR_RANGE;
    }
    if (off % BOARD_FLASH_SECTOR != 0u || len % BOARD_FLASH_SECTOR != 0u) {
        return DFU_ERR_FLASH_RULE;
    }
    for (size_t i = 0; i < len; i += 4u) {
        *word_at(off + (uint32_t)i) = 0xffffffffu;
    }
    return 0;
}

const dfu_flash_port_t flash_psram_port = {
    .ctx = NULL,
    .read = psram_read,
    .write = psram_write,
    .erase = psram_erase,
    .size = BOARD_FLASH_SIZE,
    .sector_size = BOARD_FLASH_SECTOR,
    .write_align = BOARD_FLASH_ALIGN,
    .erased_val = ERASED,
};
