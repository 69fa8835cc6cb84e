/* NOR-rule flash port over memory-mapped, file-backed PSRAM (see flash_psram.h). */
#include "flash_psram.h"
#include "board_port.h"

#include <string.h>

#include "board.h"
#include "dfukit/dfu_err.h"

#define ERASED 0xffu

/* SysTick, counting the 25 MHz processor clock (QEMU runs it on the host's clock). */
#define SYST_CSR (*(volatile uint32_t *)0xE000E010u)
#define SYST_RVR (*(volatile uint32_t *)0xE000E014u)
#define SYST_CVR (*(volatile uint32_t *)0xE000E018u)
#define SYST_ENABLE_CPUCLK 5u
#define SYST_MASK 0x00ffffffu

/* Busy-waits `us` microseconds: the time the nRF52832's NVMC takes (flash_psram.h). */
static void nvm_busy(uint32_t us)
{
    if ((SYST_CSR & 1u) == 0u) {
        SYST_RVR = SYST_MASK;
        SYST_CVR = 0u;
        SYST_CSR = SYST_ENABLE_CPUCLK;
    }
    uint32_t left = us * (BOARD_SYSCLK_HZ / 1000000u);
    uint32_t prev = SYST_CVR;
    while (left > 0u) {
        uint32_t now = SYST_CVR;
        uint32_t done = (prev - now) & SYST_MASK; /* counts down, wraps at 24 bits */
        left = done >= left ? 0u : left - done;
        prev = now;
    }
}

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
        nvm_busy(BOARD_FLASH_WORD_US);
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
    for (size_t s = 0; s < len; s += BOARD_FLASH_SECTOR) {
        nvm_busy(BOARD_FLASH_ERASE_US / 2u);
        for (size_t i = 0; i < BOARD_FLASH_SECTOR; i += 4u) {
            *word_at(off + (uint32_t)(s + i)) = 0xffffffffu;
        }
        nvm_busy(BOARD_FLASH_ERASE_US / 2u);
    }
    return 0;
}

const dfu_flash_port_t board_flash_port = {
    .ctx = NULL,
    .read = psram_read,
    .write = psram_write,
    .erase = psram_erase,
    .size = BOARD_FLASH_SIZE,
    .sector_size = BOARD_FLASH_SECTOR,
    .write_align = BOARD_FLASH_ALIGN,
    .erased_val = ERASED,
};
