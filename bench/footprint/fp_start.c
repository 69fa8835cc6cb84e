/* Minimal Cortex-M startup for the footprint links: vector table, .data/.bss init, entry call. */
#include <stdint.h>
#include <string.h>

extern uint32_t _sidata, _sdata, _edata, _sbss, _ebss, _estack;
int FP_ENTRY(void);
void fp_reset(void);

void fp_reset(void)
{
    memcpy(&_sdata, &_sidata, (size_t)((uintptr_t)&_edata - (uintptr_t)&_sdata));
    memset(&_sbss, 0, (size_t)((uintptr_t)&_ebss - (uintptr_t)&_sbss));
    (void)FP_ENTRY();
    for (;;) {
    }
}

__attribute__((section(".isr_vector"), used)) static const uintptr_t fp_vectors[2] = {
    (uintptr_t)&_estack,
    (uintptr_t)fp_reset,
};
