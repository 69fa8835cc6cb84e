/*
 * Flash port over the nRF52832 NVMC: reads are memcpy from the memory-mapped flash, writes go
 * word by word with CONFIG = write-enable (the NVMC itself can only clear bits), erases page by
 * page with ERASEPAGE; each operation waits for READY. Offsets are checked against the device.
 */
#include <string.h>

#include "board.h"
#include "board_port.h"
#include "dfukit/dfu_err.h"

#define NVMC_READY (*(volatile uint32_t *)(BOARD_NVMC_BASE + 0x400u))
#define NVMC_CONFIG (*(volatile uint32_t *)(BOARD_NVMC_BASE + 0x504u))
#define NVMC_ERASEPAGE (*(volatile uint32_t *)(BOARD_NVMC_BASE + 0x508u))
#define NVMC_CONFIG_REN 0u
#define NVMC_CONFIG_WEN 1u
#define NVMC_CONFIG_EEN 2u

static void nvmc_wait(void)
{
    while (NVMC_READY == 0u) {
    }
}

static int in_range(uint32_t off, size_t len)
{
    return off <= BOARD_FLASH_SIZE && len <= BOARD_FLASH_SIZE - off;
}

static int nvmc_read(void *ctx, uint32_t off, void *buf, size_t len)
{
    (void)ctx;
    if (!in_range(off, len)) {
        return DFU_ERR_RANGE;
    }
    memcpy(buf, (const void *)(uintptr_t)(BOARD_FLASH_ADDR + off), len);
    return 0;
}

static int nvmc_write(void *ctx, uint32_t off, const void *buf, size_t len)
{
    (void)ctx;
    if (!in_range(off, len) || off % 4u != 0u || len % 4u != 0u) {
        return DFU_ERR_FLASH_RULE;
    }
    const uint8_t *src = buf;
    NVMC_CONFIG = NVMC_CONFIG_WEN;
    nvmc_wait();
    for (size_t i = 0; i < len; i += 4u) {
        uint32_t word;
        memcpy(&word, src + i, sizeof(word));
        *(volatile uint32_t *)(uintptr_t)(BOARD_FLASH_ADDR + off + i) = word;
        nvmc_wait();
    }
    NVMC_CONFIG = NVMC_CONFIG_REN;
    nvmc_wait();
    return 0;
}

static int nvmc_erase(void *ctx, uint32_t off, size_t len)
{
    (void)ctx;
    if (!in_range(off, len) || off % BOARD_FLASH_SECTOR != 0u || len % BOARD_FLASH_SECTOR != 0u) {
        return DFU_ERR_FLASH_RULE;
    }
    NVMC_CONFIG = NVMC_CONFIG_EEN;
    nvmc_wait();
    for (size_t p = 0; p < len; p += BOARD_FLASH_SECTOR) {
        NVMC_ERASEPAGE = BOARD_FLASH_ADDR + off + (uint32_t)p;
        nvmc_wait();
    }
    NVMC_CONFIG = NVMC_CONFIG_REN;
    nvmc_wait();
    return 0;
}

const dfu_flash_port_t board_flash_port = {
    .ctx = NULL,
    .read = nvmc_read,
    .write = nvmc_write,
    .erase = nvmc_erase,
    .size = BOARD_FLASH_SIZE,
    .sector_size = BOARD_FLASH_SECTOR,
    .write_align = BOARD_FLASH_ALIGN,
    .erased_val = 0xffu,
};
