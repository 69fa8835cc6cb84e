/*
 * Start-up of every dfukit firmware image (bootloader and application alike), for a board's
 * vector table (ports/<board>/vectors.c) to name: the reset handler (RAM init, stack paint, MPU
 * stack guard, main) and the fault entry, which reports on the console from a fresh stack and
 * stops. The firmware polls; it enables no interrupt.
 */
#include <stdint.h>

#include "board_port.h"
#include "fw_console.h"
#include "fw_cortexm.h"
#include "fw_startup.h"

extern uint32_t _sidata, _sdata, _edata, _sbss, _ebss, _sstack, _estack;
int main(void);
void fw_fault_report(void);

void fw_reset_handler(void)
{
    fw_cm_init_ram(&_sidata, &_sdata, &_edata, &_sbss, &_ebss);
    fw_cm_stack_paint(&_sstack);
    (void)fw_cm_mpu_guard((uintptr_t)&_sstack);
    (void)main();
    for (;;) {
    }
}

/* Reports the fault (CFSR/HFSR/MMFAR/BFAR; a MemManage fault at the stack guard is a stack
 * overflow) and stops. Runs on the stack fw_fault_entry reset. */
void fw_fault_report(void)
{
    fw_cm_mpu_off();
    fw_cm_fault_t f;
    fw_cm_fault_read(&f);
    fw_console_t con;
    board_console(&con, 0);
    fw_puts(&con, "\ndfukit-fault: cfsr=");
    fw_putx(&con, f.cfsr);
    fw_puts(&con, " hfsr=");
    fw_putx(&con, f.hfsr);
    fw_puts(&con, " mmfar=");
    fw_putx(&con, f.mmfar);
    fw_puts(&con, " bfar=");
    fw_putx(&con, f.bfar);
    uintptr_t guard = (uintptr_t)&_sstack;
    if ((f.cfsr & 0x80u) != 0u && f.mmfar >= guard && f.mmfar < guard + FW_CM_GUARD_SIZE) {
        fw_puts(&con, " (stack overflow: store into the stack guard)");
    }
    fw_puts(&con, " halted\n");
    for (;;) {
    }
}

/* Every fault and unexpected interrupt: a fresh stack first (the faulting one may be the
 * problem), then the report. */
__attribute__((naked)) void fw_fault_entry(void)
{
    __asm volatile("ldr r0, =_estack\n"
                   "mov sp, r0\n"
                   "b fw_fault_report\n");
}
