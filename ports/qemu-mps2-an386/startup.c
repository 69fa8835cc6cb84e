/*
 * Start-up of the QEMU mps2-an386 firmware (bootloader and application alike): the vector table
 * (16 system exceptions + AN386's 32 interrupts, none used: the firmware polls), the reset
 * handler (RAM init, stack paint, MPU stack guard, main) and a fault handler that reports on
 * UART0 from a fresh stack and stops.
 */
#include <stdint.h>

#include "board.h"
#include "fw_console.h"
#include "fw_cortexm.h"
#include "uart_cmsdk.h"

extern uint32_t _sidata, _sdata, _edata, _sbss, _ebss, _sstack, _estack;
int main(void);
void board_reset_handler(void);
void board_fault(void);

void board_reset_handler(void)
{
    fw_cm_init_ram(&_sidata, &_sdata, &_edata, &_sbss, &_ebss);
    fw_cm_stack_paint(&_sstack);
    (void)fw_cm_mpu_guard((uintptr_t)&_sstack);
    (void)main();
    for (;;) {
    }
}

/* Reports the fault (CFSR/HFSR/MMFAR/BFAR; a MemManage fault at the stack guard is a stack
 * overflow) and stops. Runs on the stack reset by fault_entry. */
void board_fault(void)
{
    fw_cm_mpu_off();
    fw_cm_fault_t f;
    fw_cm_fault_read(&f);
    uart_cmsdk_t u;
    fw_console_t con;
    uart_cmsdk_init(&u, BOARD_UART0_BASE, BOARD_SYSCLK_HZ, BOARD_UART_BAUD, 0);
    uart_cmsdk_console(&u, &con, 0);
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
__attribute__((naked)) static void fault_entry(void)
{
    __asm volatile("ldr r0, =_estack\n"
                   "mov sp, r0\n"
                   "b board_fault\n");
}

#define IRQS 32

__attribute__((section(".isr_vector"), used)) static const uintptr_t vectors[16 + IRQS] = {
    [0] = (uintptr_t)&_estack,
    [1] = (uintptr_t)board_reset_handler,
    [2 ... 15 + IRQS] = (uintptr_t)fault_entry,
};
