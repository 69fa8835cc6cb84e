/*
 * Cortex-M (ARMv7-M) helpers shared by the firmware of every board: RAM set-up, stack painting
 * and high-water mark, an MPU no-access guard region under the stack, the jump into an image
 * (VTOR, MSP, reset handler) and a system reset through SYSRESETREQ. Device code: no heap, no
 * globals, registers only through the architectural System Control Space addresses.
 */
#ifndef DFU_FW_CORTEXM_H
#define DFU_FW_CORTEXM_H

#include <stddef.h>
#include <stdint.h>

/* Word painted over the unused stack at reset; the first changed word from the bottom is the
 * high-water mark. */
#define FW_CM_STACK_PAINT 0xDF57AC4Bu

/* Size of the MPU guard region at the bottom of each stack (the smallest ARMv7-M region). */
#define FW_CM_GUARD_SIZE 32u

/* Copies .data from its load address and zeroes .bss (linker-script symbols). */
void fw_cm_init_ram(uint32_t *data_lma, uint32_t *data, const uint32_t *data_end, uint32_t *bss,
                    const uint32_t *bss_end);

/* Paints [bottom, current SP - 64) with FW_CM_STACK_PAINT. Call from the reset handler, before
 * anything deep runs. */
void fw_cm_stack_paint(uint32_t *bottom);

/* Bytes of the stack [bottom, top) ever used, from the paint: top minus the lowest changed word,
 * the guard region excluded. *intact = 1 when the words right above the guard still hold the
 * paint (no overflow reached the bottom), 0 otherwise. */
uint32_t fw_cm_stack_used(const uint32_t *bottom, const uint32_t *top, int *intact);

/* MPU region 0 = no access, execute never, over [base, base + FW_CM_GUARD_SIZE) (base aligned
 * to 32); default memory map for everything else (PRIVDEFENA); MemManage fault enabled. An
 * overflowing stack faults on its first store into the guard. Returns 0, or -1 when the core has
 * no MPU (MPU_TYPE.DREGION = 0). */
int fw_cm_mpu_guard(uintptr_t base);

/* Disables the MPU (before jumping into an image, which sets up its own). */
void fw_cm_mpu_off(void);

/* Starts the image whose vector table is at `vt`: interrupts off, MPU off, VTOR = vt,
 * MSP = vt[0], branch to vt[1]. Does not return. */
__attribute__((noreturn)) void fw_cm_jump(uintptr_t vt);

/* Requests a system reset (AIRCR.SYSRESETREQ) and waits for it. Does not return. */
__attribute__((noreturn)) void fw_cm_sysreset(void);

/* Fault status for a fault report: CFSR, HFSR, MMFAR, BFAR. */
typedef struct fw_cm_fault {
    uint32_t cfsr, hfsr, mmfar, bfar;
} fw_cm_fault_t;
void fw_cm_fault_read(fw_cm_fault_t *f);

#endif
