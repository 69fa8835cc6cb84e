/*
 * Swap using offset: layout check only in this revision; dfu_boot_init() refuses the strategy with
 * DFU_ERR_NOTSUP until the step sequence lands.
 */
#include "boot_priv.h"

static int offset_check(const dfu_boot_t *b)
{
    return DFU_ERR_NOTSUP;
}

static uint32_t offset_max(const dfu_boot_t *b)
{
    return 0u;
}

static int offset_read_status(dfu_boot_t *b, const dfu_boot_slot_state_t *p,
                          const dfu_boot_slot_state_t *s, dfu_boot_status_t *bs)
{
    bs->source = DFU_BOOT_SRC_NONE;
    return DFU_OK;
}

static int offset_run(dfu_boot_t *b, dfu_boot_status_t *bs)
{
    return DFU_ERR_NOTSUP;
}

const dfu_swap_ops_t dfu_swap_offset_ops = {
    .name = "offset",
    .records_per_sector = 2,
    .check_layout = offset_check,
    .max_image_size = offset_max,
    .read_status = offset_read_status,
    .run = offset_run,
};
