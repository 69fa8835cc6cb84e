/* The counted flash interface: bounds, alignment and counters, over a tiny RAM port. */
#include <stdint.h>
#include <string.h>

#include "dfu_test.h"
#include "dfukit/dfu_err.h"
#include "dfukit/dfu_flash.h"

static uint8_t ram[4 * 1024];

static int ram_read(void *ctx, uint32_t off, void *buf, size_t len)
{
    (void)ctx;
    memcpy(buf, ram + off, len);
    return 0;
}
static int ram_write(void *ctx, uint32_t off, const void *buf, size_t len)
{
    (void)ctx;
    memcpy(ram + off, buf, len);
    return 0;
}
static int ram_erase(void *ctx, uint32_t off, size_t len)
{
    (void)ctx;
    memset(ram + off, 0xff, len);
    return 0;
}

int main(void)
{
    dfu_flash_port_t port = {NULL, ram_read, ram_write, ram_erase, sizeof(ram), 1024, 4, 0xff};
    dfu_flash_t flash;
    CHECK_EQ_INT(dfu_flash_init(&flash, &port), DFU_OK);
    dfu_flash_port_t bad = port;
    bad.sector_size = 1000;
    CHECK_EQ_INT(dfu_flash_init(&flash, &bad), DFU_ERR_INVAL);
    CHECK_EQ_INT(dfu_flash_init(&flash, &port), DFU_OK);

    dfu_flash_area_t fa = {&flash, 1024, 2048, 1};
    CHECK_EQ_INT(dfu_flash_area_check(&fa), DFU_OK);
    dfu_flash_area_t fa_bad = {&flash, 3072, 2048, 2};
    CHECK_EQ_INT(dfu_flash_area_check(&fa_bad), DFU_ERR_INVAL);

    CHECK_EQ_INT(dfu_flash_erase(&fa, 0, 2048), DFU_OK);
    CHECK_EQ_INT(dfu_flash_is_erased(&fa, 0, 2048), 1);
    uint8_t data[8] = {1, 2, 3, 4, 5, 6, 7, 8};
    CHECK_EQ_INT(dfu_flash_write(&fa, 2, data, 4), DFU_ERR_INVAL);    /* misaligned */
    CHECK_EQ_INT(dfu_flash_write(&fa, 2044, data, 8), DFU_ERR_RANGE); /* past the end */
    CHECK_EQ_INT(dfu_flash_write(&fa, 8, data, 8), DFU_OK);
    uint8_t back[8];
    CHECK_EQ_INT(dfu_flash_read(&fa, 8, back, 8), DFU_OK);
    CHECK_MEM(back, data, 8);
    CHECK_EQ_INT(ram[1024 + 8], 1);
    CHECK_EQ_INT(dfu_flash_is_erased(&fa, 0, 2048), 0);
    CHECK_EQ_INT(flash.stats.erases, 2);
    CHECK_EQ_INT(flash.stats.writes, 1);
    CHECK_EQ_INT(flash.stats.bytes_written, 8);
    return dfu_test_finish("test_flash_counted");
}
