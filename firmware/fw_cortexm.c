/* Cortex-M helpers: RAM init, stack paint/high-water mark, MPU stack guard, jump, reset. */
#include "fw_cortexm.h"

#include <string.h>

#define SCB_VTOR (*(volatile uint32_t *)0xE000ED08u)
#define SCB_AIRCR (*(volatile uint32_t *)0xE000ED0Cu)
#define SCB_SHCSR (*(volatile uint32_t *)0xE000ED24u)
#define SCB_CFSR (*(volatile uint32_t *)0xE000ED28u)
#define SCB_HFSR (*(volatile uint32_t *)0xE000ED2Cu)
#define SCB_MMFAR (*(volatile uint32_t *)0xE000ED34u)
#define SCB_BFAR (*(volatile uint32_t *)0xE000ED38u)
#define MPU_TYPE (*(volatile uint32_t *)0xE000ED90u)
#define MPU_CTRL (*(volatile uint32_t *)0xE000ED94u)
#define MPU_RNR (*(volatile uint32_t *)0xE000ED98u)
#define MPU_RBAR (*(volatile uint32_t *)0xE000ED9Cu)
#define MPU_RASR (*(volatile uint32_t *)0xE000EDA0u)
#define SYST_CSR (*(volatile uint32_t *)0xE000E010u)

#define AIRCR_VECTKEY 0x05FA0000u
#define AIRCR_PRIGROUP_MASK 0x00000700u
#define AIRCR_SYSRESETREQ 0x00000004u
#define SHCSR_MEMFAULTENA (1u << 16)
#define MPU_CTRL_ENABLE 1u
#define MPU_CTRL_PRIVDEFENA 4u
#define RASR_XN (1u << 28)
#define RASR_AP_NONE (0u << 24)
#define RASR_SIZE_32 (4u << 1) /* 2^(4+1) bytes */
#define RASR_ENABLE 1u

static inline void barrier(void)
{
    __asm volatile("dsb 0xF\n isb 0xF" ::: "memory");
}

void fw_cm_init_ram(uint32_t *data_lma, uint32_t *data, const uint32_t *data_end, uint32_t *bss,
                    const uint32_t *bss_end)
{
    memcpy(data, data_lma, (size_t)((uintptr_t)data_end - (uintptr_t)data));
    memset(bss, 0, (size_t)((uintptr_t)bss_end - (uintptr_t)bss));
}

void fw_cm_stack_paint(uint32_t *bottom)
{
    uintptr_t sp;
    __asm volatile("mov %0, sp" : "=r"(sp));
    for (volatile uint32_t *p = bottom; (uintptr_t)p + 64u < sp; p++) {
        *p = FW_CM_STACK_PAINT;
    }
}

uint32_t fw_cm_stack_used(const uint32_t *bottom, const uint32_t *top, int *intact)
{
    const volatile uint32_t *p = bottom + FW_CM_GUARD_SIZE / 4u;
    *intact = p < top && *p == FW_CM_STACK_PAINT;
    while (p < top && *p == FW_CM_STACK_PAINT) {
        p++;
    }
    return (uint32_t)((uintptr_t)top - (uintptr_t)p);
}

int fw_cm_mpu_guard(uintptr_t base)
{
    if (((MPU_TYPE >> 8) & 0xffu) == 0u || (base & (FW_CM_GUARD_SIZE - 1u)) != 0u) {
        return -1;
    }
    MPU_CTRL = 0u;
    MPU_RNR = 0u;
    MPU_RBAR = (uint32_t)base;
    MPU_RASR = RASR_XN | RASR_AP_NONE | RASR_SIZE_32 | RASR_ENABLE;
    MPU_CTRL = MPU_CTRL_ENABLE | MPU_CTRL_PRIVDEFENA;
    SCB_SHCSR |= SHCSR_MEMFAULTENA;
    barrier();
    return 0;
}

void fw_cm_mpu_off(void)
{
    MPU_CTRL = 0u;
    SCB_SHCSR &= ~SHCSR_MEMFAULTENA;
    barrier();
}

void fw_cm_jump(uintptr_t vt)
{
    const volatile uint32_t *v = (const volatile uint32_t *)vt;
    uint32_t msp = v[0];
    uint32_t entry = v[1];
    __asm volatile("cpsid i" ::: "memory");
    SYST_CSR = 0u;
    fw_cm_mpu_off();
    SCB_VTOR = (uint32_t)vt;
    barrier();
    __asm volatile("msr msp, %0\n"
                   "bx %1\n"
                   :
                   : "r"(msp), "r"(entry)
                   : "memory");
    __builtin_unreachable();
}

void fw_cm_sysreset(void)
{
    barrier();
    SCB_AIRCR = AIRCR_VECTKEY | (SCB_AIRCR & AIRCR_PRIGROUP_MASK) | AIRCR_SYSRESETREQ;
    barrier();
    for (;;) {
        __asm volatile("nop");
    }
}

void fw_cm_fault_read(fw_cm_fault_t *f)
{
    f->cfsr = SCB_CFSR;
    f->hfsr = SCB_HFSR;
    f->mmfar = SCB_MMFAR;
    f->bfar = SCB_BFAR;
}
