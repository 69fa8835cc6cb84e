/*
 * Stack-guard probe (test program, not shipped): linked like the bootloader, it recurses with a
 * 256-byte frame until the stack runs into the MPU guard region at its bottom. The guard must
 * stop it with a MemManage fault that fw_startup.c reports as
 * "dfukit-fault: ... (stack overflow: store into the stack guard) halted"; if the guard did not
 * work the probe would overwrite .bss and print "guard missed". tests/qemu/test_qemu.py runs it.
 */
#include <stdint.h>

#include "board_port.h"
#include "fw_console.h"

int main(void);
uint32_t probe_depth(volatile uint32_t *prev, uint32_t n);

/* Lowest RAM word the stack must never reach: the guard sits between it and the stack. */
extern uint32_t _ebss;

uint32_t probe_depth(volatile uint32_t *prev, uint32_t n)
{
    volatile uint32_t frame[64];
    for (unsigned i = 0; i < 64u; i++) {
        frame[i] = n + i;
    }
    if ((uintptr_t)frame < (uintptr_t)&_ebss) {
        return 0u; /* below the stack: the guard did not stop us */
    }
    return frame[n % 64u] + probe_depth(frame, n + 1u) + (prev != 0 ? prev[0] : 0u);
}

int main(void)
{
    fw_console_t con;
    board_console(&con, 0);
    fw_puts(&con, "dfukit-stackprobe: recursing into the stack guard\n");
    uint32_t r = probe_depth(0, 0u);
    fw_puts(&con, "dfukit-stackprobe: guard missed (");
    fw_putu(&con, r);
    fw_puts(&con, ")\n");
    for (;;) {
    }
}
