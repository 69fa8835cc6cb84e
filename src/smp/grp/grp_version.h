/* Image version text shared by the SMP groups (not a public header). */
#ifndef DFU_SMP_GRP_VERSION_H
#define DFU_SMP_GRP_VERSION_H

#include <stddef.h>
#include <stdint.h>

/* "major.minor.revision", plus ".build" when build != 0 (as Zephyr's image list), into out
 * (cap >= 25 holds every version). Returns the length. */
size_t dfu_smp_version_str(uint8_t major, uint8_t minor, uint16_t revision, uint32_t build,
                           char *out, size_t cap);

#endif
