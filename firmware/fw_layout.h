/*
 * Where a board's slots are, for the bootloader and the application alike: the flash device's
 * CPU address (images run in place from it) and the two slot partitions. Device code.
 */
#ifndef DFU_FW_LAYOUT_H
#define DFU_FW_LAYOUT_H

#include <stdint.h>

#include "dfukit/dfu_boot.h"
#include "dfukit/dfu_flash.h"

typedef struct fw_layout {
    uintptr_t flash_addr; /* CPU address of flash offset 0 (memory-mapped, execute in place) */
    uint32_t slot0_off;   /* primary slot: the image runs from here + its header size */
    uint32_t slot1_off;   /* secondary slot: uploads */
    uint32_t slot_size;
    dfu_boot_trailer_cfg_t trailer; /* identical in bootloader, application and image tool */
    uint32_t log_off;               /* boot outcome record log (dfu_boot_record.h): two sectors */
    uint32_t log_size;              /* 0 = no log */
} fw_layout_t;

/* A swap-using-move layout with MCUboot's default trailer (max_align 8, 128 sectors) and the boot
 * record log. */
#define FW_LAYOUT_MOVE(flash_addr, slot0_off, slot1_off, slot_size, log_off, log_size)             \
    ((fw_layout_t){(flash_addr),                                                                   \
                   (slot0_off),                                                                    \
                   (slot1_off),                                                                    \
                   (slot_size),                                                                    \
                   {0u, 0u, (uint8_t)DFU_BOOT_STRATEGY_MOVE, 0u},                                  \
                   (log_off),                                                                      \
                   (log_size)})

/* The two slot areas of `flash` as the layout says (ids 1 and 2, as MCUboot numbers them) and
 * the record log (id 5, as dfukit sim numbers it; size 0 when the layout has none). */
static inline void fw_layout_areas(const fw_layout_t *l, dfu_flash_t *flash, dfu_flash_area_t *p,
                                   dfu_flash_area_t *s, dfu_flash_area_t *log)
{
    *p = (dfu_flash_area_t){flash, l->slot0_off, l->slot_size, 1u};
    *s = (dfu_flash_area_t){flash, l->slot1_off, l->slot_size, 2u};
    *log = (dfu_flash_area_t){flash, l->log_off, l->log_size, 5u};
}

#endif
