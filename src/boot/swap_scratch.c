/*
 * Swap using scratch: layout check only in this revision; dfu_boot_init() refuses the strategy with
 * DFU_ERR_NOTSUP until the step sequence lands.
 */
#include "boot_priv.h"

static int scratch_check(const dfu_boot_t *b)
{
    return DFU_ERR_NOTSUP;
}

static uint32_t scratch_max(const dfu_boot_t *b)
{
    return 0u;
}

static int scratch_read_status(dfu_boot_t *b, const dfu_boot_slot_state_t *p,
                          const dfu_boot_slot_state_t *s, dfu_boot_status_t *bs)
{
    bs->source = DFU_BOOT_SRC_NONE;
    return DFU_OK;
}

static int scratch_run(dfu_boot_t *b, dfu_boot_status_t *bs)
{
    return DFU_ERR_NOTSUP;
}

const dfu_swap_ops_t dfu_swap_scratch_ops = {
    .name = "scratch",
    .records_per_sector = 3,
    .check_layout = scratch_check,
    .max_image_size = scratch_max,
    .read_status = scratch_read_status,
    .run = scratch_run,
};
