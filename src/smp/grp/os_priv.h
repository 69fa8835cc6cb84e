/* Internals of the SMP OS group shared by its files (not a public header). */
#ifndef DFU_SMP_OS_PRIV_H
#define DFU_SMP_OS_PRIV_H

#include <stdint.h>

#include "dfukit/dfu_cbor.h"
#include "dfukit/dfu_smp_os.h"

/* Bootloader info queries "last_boot" and "boot_log" (os_boot.c). Returns 0 with the answer
 * written, DFU_ERR_SMP_NO_ANSWER when `q` is not one of them or the device has no such record
 * (the caller then answers as for any unknown query), or another error. `count` limits the
 * entries of "boot_log" (0 = as many as fit) and `before` skips entries whose boot number is not
 * below it (0 = none skipped). */
int dfu_smp_os_boot_query(dfu_smp_req_t *req, const dfu_smp_os_t *os, const dfu_cbor_str_t *q,
                          uint64_t count, uint64_t before);

#endif
