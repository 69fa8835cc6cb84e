/* mbedTLS's default allocator hooks for the firmware (mbedtls_config.h): allocation fails until
 * the bootloader points mbedTLS at its static pool (mbedtls_memory_buffer_alloc_init), so
 * nothing ever reaches libc's heap. */
#include <stddef.h>

void *fw_mbedtls_no_calloc(size_t n, size_t size);
void fw_mbedtls_no_free(void *p);

void *fw_mbedtls_no_calloc(size_t n, size_t size)
{
    (void)n;
    (void)size;
    return NULL;
}

void fw_mbedtls_no_free(void *p)
{
    (void)p;
}
