/* mbedTLS configuration used when cross-compiling the backend for a Cortex-M target
 * (DFU_TARGET_CORTEX_M): the distribution's config minus the OS-dependent parts (pthread
 * mutexes, filesystem, sockets, time). Host builds use the distribution config unchanged, since
 * struct layouts must match the installed library. */
#ifndef DFU_MBEDTLS_TARGET_H
#define DFU_MBEDTLS_TARGET_H

#include "mbedtls/config.h"

#undef MBEDTLS_THREADING_C
#undef MBEDTLS_THREADING_PTHREAD
#undef MBEDTLS_FS_IO
#undef MBEDTLS_NET_C
#undef MBEDTLS_TIMING_C
#undef MBEDTLS_HAVE_TIME
#undef MBEDTLS_HAVE_TIME_DATE

#endif
