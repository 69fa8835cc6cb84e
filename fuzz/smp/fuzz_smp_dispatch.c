/* libFuzzer harness: the whole SMP server (OS + image groups, `secure` or `open` policy) on a
 * RAM flash. Input: byte 0 = options (link level, policy, ALLOW_ERASE_PENDING, no_v1, no_rsn,
 * 0x80: boot records served: a last_boot record and a log of 25 records), then requests
 * as [BE16 length][bytes] records, each handed to dfu_smp_server_process (a record may hold
 * several messages). Every response must carry a header length equal to its payload size. */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "dfukit/dfu_boot_record.h"
#include "dfukit/dfu_err.h"
#include "dfukit/dfu_smp.h"
#include "dfukit/dfu_smp_img.h"
#include "dfukit/dfu_smp_os.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define SECTOR 4096u
#define P_SIZE (17u * SECTOR)
#define S_SIZE (16u * SECTOR)
#define LOG_SIZE (2u * SECTOR)

static uint8_t mem[P_SIZE + S_SIZE + LOG_SIZE];

static int rf_read(void *ctx, uint32_t off, void *buf, size_t len)
{
    (void)ctx;
    memcpy(buf, mem + off, len);
    return 0;
}

static int rf_write(void *ctx, uint32_t off, const void *buf, size_t len)
{
    (void)ctx;
    for (size_t i = 0; i < len; i++) {
        if (mem[off + i] != 0xff) {
            return DFU_ERR_FLASH_RULE;
        }
    }
    memcpy(mem + off, buf, len);
    return 0;
}

static int rf_erase(void *ctx, uint32_t off, size_t len)
{
    (void)ctx;
    memset(mem + off, 0xff, len);
    return 0;
}

static const dfu_flash_port_t port = {.read = rf_read,
                                      .write = rf_write,
                                      .erase = rf_erase,
                                      .size = P_SIZE + S_SIZE + LOG_SIZE,
                                      .sector_size = SECTOR,
                                      .write_align = 8,
                                      .erased_val = 0xff};

static int on_send(void *ctx, const uint8_t *msg, size_t len)
{
    (void)ctx;
    if (len < 8 || (size_t)((msg[2] << 8) | msg[3]) != len - 8) {
        __builtin_trap();
    }
    return 0;
}

static void on_reset(void *ctx, uint8_t mode)
{
    (void)ctx;
    (void)mode;
}

static int on_time_get(void *ctx, dfu_smp_datetime_t *dt)
{
    (void)ctx;
    memset(dt, 0, sizeof(*dt));
    dt->year = 2026;
    dt->month = 1;
    dt->day = 1;
    return 0;
}

static int on_time_set(void *ctx, const dfu_smp_datetime_t *dt)
{
    (void)ctx;
    (void)dt;
    return 0;
}

/* A tiny valid-looking slot 0 image header with an (unchecked) SHA-256 TLV. */
static void put_slot0(void)
{
    static const uint8_t hdr[32] = {0x3d, 0xb8, 0xf3, 0x96, 0, 0, 0, 0, 32, 0, 0, 0, 16, 0, 0, 0,
                                    0,    0,    0,    0,    1, 2, 3, 0, 0,  0, 0, 0, 0,  0, 0, 0};
    memcpy(mem, hdr, 32);
    memset(mem + 32, 0x5a, 16);
    static const uint8_t tlv[8] = {0x07, 0x69, 40, 0, 0x10, 0, 32, 0};
    memcpy(mem + 48, tlv, 8);
    memset(mem + 56, 0xa5, 32);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1) {
        return 0;
    }
    memset(mem, 0xff, sizeof mem);
    put_slot0();
    dfu_flash_t fl;
    dfu_flash_init(&fl, &port);
    static uint8_t rsp[512];
    dfu_smp_server_t srv;
    dfu_smp_server_cfg_t sc = {.buf = rsp,
                               .buf_size = sizeof rsp,
                               .send = on_send,
                               .policy = (data[0] & 0x08) ? &dfu_smp_policy_secure : NULL,
                               .no_v1 = (data[0] & 0x20) != 0,
                               .no_rsn = (data[0] & 0x40) != 0};
    if (dfu_smp_server_init(&srv, &sc) != 0) {
        __builtin_trap();
    }
    static const dfu_smp_os_port_t osp = {
        .reset = on_reset, .time_get = on_time_get, .time_set = on_time_set};
    dfu_smp_os_t os;
    dfu_smp_os_cfg_t oc = {.port = &osp, .mcuboot_mode = 3};
    static dfu_flash_area_t log;
    static dfu_boot_result_t last;
    if (data[0] & 0x80) {
        log = (dfu_flash_area_t){&fl, P_SIZE + S_SIZE, LOG_SIZE, 5};
        memset(&last, 0, sizeof(last));
        for (unsigned i = 0; i < 25; i++) {
            last.booted = 1;
            last.swap_type = (uint8_t)(1 + i % 5);
            last.reason_code = (uint8_t)(i % DFU_BOOT_REASON_COUNT);
            last.has_other = (uint8_t)(i & 1);
            last.image.ver_build = i * 1000003u;
            last.image.hash_len = 32;
            if (dfu_boot_log_append(&log, &last) != 0) {
                __builtin_trap();
            }
        }
        oc.last_boot = &last;
        oc.boot_log = &log;
    }
    dfu_smp_os_register(&srv, &os, &oc);
    static dfu_smp_img_t img;
    dfu_smp_img_cfg_t ic = {
        .primary = {.flash = &fl, .off = 0, .size = P_SIZE},
        .secondary = {.flash = &fl, .off = P_SIZE, .size = S_SIZE},
        .crypto = NULL,
        .no_erase_pending = (data[0] & 0x10) != 0,
    };
    if (dfu_smp_img_register(&srv, &img, &ic) != 0) {
        __builtin_trap();
    }
    uint8_t level = (uint8_t)(data[0] & 0x07);
    size_t i = 1;
    while (i + 2 <= size) {
        size_t n = ((size_t)data[i] << 8) | data[i + 1];
        i += 2;
        if (n > size - i) {
            n = size - i;
        }
        (void)dfu_smp_server_process(&srv, data + i, n, level);
        i += n;
    }
    return 0;
}
