/* Entry points a board's vector table names (firmware/fw_startup.c). */
#ifndef DFU_FW_STARTUP_H
#define DFU_FW_STARTUP_H

#include <stdint.h>

/* Reset: RAM init, stack paint, MPU stack guard, main(). */
void fw_reset_handler(void);
/* Every fault and unexpected interrupt: report on the console, stop. */
void fw_fault_entry(void);

/* Initial main stack pointer (linker script). */
extern uint32_t _estack;

/* A board's vector table: 16 system exceptions + `irqs` interrupts, all but the reset vector
 * pointing at fw_fault_entry. Place it with FW_VECTORS(irqs) in the board's vectors.c. */
#define FW_VECTORS(irqs)                                                                           \
    __attribute__((section(".isr_vector"),                                                         \
                   used)) static const uintptr_t fw_vectors[16 + (irqs)] = {                       \
        [0] = (uintptr_t)&_estack,                                                                 \
        [1] = (uintptr_t)fw_reset_handler,                                                         \
        [2 ... 15 + (irqs)] = (uintptr_t)fw_fault_entry}

#endif
