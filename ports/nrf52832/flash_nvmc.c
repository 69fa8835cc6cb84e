/* NVMC flash port for the footprint builds: reads are memcpy from the memory-mapped flash, writes
 * go word by word with CONFIG = write-enable, erases page by page with ERASEPAGE. */
#include "fp_nrf52.h"

#include <string.h>

#define NVMC_BASE 0x4001E000u
#define NVMC_READY (*(volatile uint32_t *)(NVMC_BASE + 0x400u))
#define NVMC_CONFIG (*(volatile uint32_t *)(NVMC_BASE + 0x504u))
#define NVMC_ERASEPAGE (*(volatile uint32_t *)(NVMC_BASE + 0x508u))
#define NVMC_CONFIG_REN 0u
#define NVMC_CONFIG_WEN 1u
#define NVMC_CONFIG_EEN 2u

static void nvmc_wait(void)
{
    while (NVMC_READY == 0u) {
    }
}

int fp_nrf52_read(void *ctx, uint32_t off, void *buf, size_t len)
{
    (void)ctx;
    memcpy(buf, (const void *)(uintptr_t)off, len);
    return 0;
}

int fp_nrf52_write(void *ctx, uint32_t off, const void *buf, size_t len)
{
    (void)ctx;
    const uint8_t *src = buf;
    NVMC_CONFIG = NVMC_CONFIG_WEN;
    for (size_t i = 0; i < len; i += 4u) {
        uint32_t word;
        memcpy(&word, src + i, sizeof(word));
        *(volatile uint32_t *)(uintptr_t)(off + i) = word;
        nvmc_wait();
    }
    NVMC_CONFIG = NVMC_CONFIG_REN;
    return 0;
}

int fp_nrf52_erase(void *ctx, uint32_t off, size_t len)
{
    (void)ctx;
    NVMC_CONFIG = NVMC_CONFIG_EEN;
    for (size_t p = 0; p < len; p += 4096u) {
        NVMC_ERASEPAGE = off + (uint32_t)p;
        nvmc_wait();
    }
    NVMC_CONFIG = NVMC_CONFIG_REN;
    return 0;
}

const dfu_flash_port_t fp_nrf52_flash_port = {
    .ctx = NULL,
    .read = fp_nrf52_read,
    .write = fp_nrf52_write,
    .erase = fp_nrf52_erase,
    .size = 0x80000u,
    .sector_size = 4096u,
    .write_align = 4u,
    .erased_val = 0xffu,
};

/* mbedTLS's default allocator hooks (fp_mbedtls_config.h): allocation fails until a harness
 * points mbedTLS at its static pool, so nothing ever reaches libc's heap. */
void *dfu_fp_no_calloc(size_t n, size_t size);
void dfu_fp_no_free(void *p);

void *dfu_fp_no_calloc(size_t n, size_t size)
{
    (void)n;
    (void)size;
    return NULL;
}

void dfu_fp_no_free(void *p)
{
    (void)p;
}
