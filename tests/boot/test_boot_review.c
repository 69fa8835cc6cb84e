/*
 * Regression tests for the code-review findings on the boot core (review of commit 8257679):
 * each test names its finding and failed before the fix.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "boot_fixture.h"
#include "dfu_test.h"
#include "dfukit/dfu_err.h"

/* I2 (boot side): the upload limit for given areas equals the boot instance's limit. */
static void test_max_image_size_for(void)
{
    for (uint8_t st = 0; st < 4; st++) {
        bf_dev_t *d = calloc(1, sizeof(*d));
        CHECK_EQ_INT(bf_dev_init(d, &bf_layout_small, st, 8), 0);
        uint32_t m = dfu_boot_max_image_size_for(&d->cfg.trailer, &d->cfg.primary,
                                                 &d->cfg.secondary,
                                                 st == DFU_BOOT_STRATEGY_SCRATCH ? &d->cfg.scratch
                                                                                 : NULL);
        CHECK(m > 0u);
        CHECK_EQ_INT(m, dfu_boot_max_image_size(&d->boot));
        if (st == DFU_BOOT_STRATEGY_MOVE) {
            CHECK_EQ_INT(m, 0x12000); /* 20 sectors - 1 trailer - 1 spare */
        }
        /* scratch strategy without a scratch area: unusable geometry */
        if (st == DFU_BOOT_STRATEGY_SCRATCH) {
            CHECK_EQ_INT(dfu_boot_max_image_size_for(&d->cfg.trailer, &d->cfg.primary,
                                                     &d->cfg.secondary, NULL),
                         0);
        }
        bf_dev_free(d);
        free(d);
    }
    CHECK_EQ_INT(dfu_boot_max_image_size_for(NULL, NULL, NULL, NULL), 0);
}

int main(void)
{
    test_max_image_size_for();
    return dfu_test_finish("test_boot_review");
}
