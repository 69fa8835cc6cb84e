/*
 * Flash-port probe (test program, not shipped): linked like the bootloader, it runs the board's
 * flash port on the target (ARM code, the real memory-mapped flash) against the NOR rules the
 * boot core is tested with on the host: an erase sets whole sectors to the erased value; a write
 * must be aligned in offset and length and may only program erased bytes; a violation is
 * refused with DFU_ERR_FLASH_RULE (DFU_ERR_RANGE outside the device) and changes no byte. It
 * works in the last sector of the scratch area (swap-using-move never uses it), prints one line
 * per check ("dfukit-flashprobe: ok NAME" or "dfukit-flashprobe: FAIL NAME rc=..."), leaves the
 * marker "NORPROBE" at the start of that sector (the test reads it back from the flash file) and
 * ends with "dfukit-flashprobe: done OK/TOTAL". tests/qemu/test_qemu.py runs it.
 */
#include <stdint.h>
#include <string.h>

#include "board.h"
#include "board_port.h"
#include "dfukit/dfu_err.h"
#include "dfukit/dfu_flash.h"
#include "fw_console.h"

int main(void);

#define PROBE_OFF (BOARD_BOOTLOG_OFF - 2u * BOARD_FLASH_SECTOR) /* scratch, not the storage */
#define SPAN 64u

typedef struct {
    fw_console_t con;
    const dfu_flash_port_t *port;
    dfu_flash_area_t fa;
    uint32_t ok, total;
} probe_t;

static void report(probe_t *p, const char *name, int pass, int rc)
{
    p->total++;
    if (pass) {
        p->ok++;
        fw_puts(&p->con, "dfukit-flashprobe: ok ");
        fw_puts(&p->con, name);
    } else {
        fw_puts(&p->con, "dfukit-flashprobe: FAIL ");
        fw_puts(&p->con, name);
        fw_puts(&p->con, " rc=");
        fw_puti(&p->con, rc);
    }
    fw_puts(&p->con, "\n");
}

/* The first SPAN bytes of the probe sector equal `want`. */
static int reads_as(const probe_t *p, const uint8_t want[SPAN])
{
    uint8_t got[SPAN];
    return dfu_flash_read(&p->fa, 0, got, SPAN) == DFU_OK && memcmp(got, want, SPAN) == 0;
}

int main(void)
{
    static dfu_flash_t flash;
    probe_t p;
    memset(&p, 0, sizeof(p));
    board_console(&p.con, 0);
    p.port = &board_flash_port;
    fw_puts(&p.con, "dfukit-flashprobe: NOR rules of the flash port at offset ");
    fw_putx(&p.con, PROBE_OFF);
    fw_puts(&p.con, "\n");
    int rc = dfu_flash_init(&flash, p.port);
    p.fa.flash = &flash;
    p.fa.off = PROBE_OFF;
    p.fa.size = BOARD_FLASH_SECTOR;
    report(&p, "init", rc == DFU_OK && dfu_flash_area_check(&p.fa) == DFU_OK, rc);

    uint8_t img[SPAN];
    memset(img, p.port->erased_val, sizeof(img));
    rc = dfu_flash_erase(&p.fa, 0, BOARD_FLASH_SECTOR);
    report(&p, "erase-sets-erased",
           rc == DFU_OK && dfu_flash_is_erased(&p.fa, 0, BOARD_FLASH_SECTOR) == 1, rc);

    static const uint8_t pattern[8] = {0x12, 0x34, 0x56, 0x78, 0x9a, 0xbc, 0xde, 0xf0};
    rc = dfu_flash_write(&p.fa, 0, pattern, sizeof(pattern));
    memcpy(img, pattern, sizeof(pattern));
    report(&p, "write-aligned", rc == DFU_OK && reads_as(&p, img), rc);

    /* Programmed bytes cannot be programmed again (through the counted interface) */
    static const uint8_t zeros[4] = {0, 0, 0, 0};
    rc = dfu_flash_write(&p.fa, 0, zeros, sizeof(zeros));
    report(&p, "rewrite-refused", rc == DFU_ERR_FLASH_RULE && reads_as(&p, img), rc);
    /* ... nor a range that is half programmed (4 programmed bytes, then 4 erased ones) */
    static const uint8_t zeros8[8] = {0};
    rc = dfu_flash_write(&p.fa, 4, zeros8, sizeof(zeros8));
    report(&p, "partial-rewrite-refused", rc == DFU_ERR_FLASH_RULE && reads_as(&p, img), rc);

    /* Alignment is the driver's own rule: called directly, below the counted interface */
    rc = p.port->write(p.port->ctx, PROBE_OFF + 18u, zeros, sizeof(zeros));
    report(&p, "write-misaligned-offset-refused", rc == DFU_ERR_FLASH_RULE && reads_as(&p, img),
           rc);
    rc = p.port->write(p.port->ctx, PROBE_OFF + 16u, zeros, 3u);
    report(&p, "write-misaligned-length-refused", rc == DFU_ERR_FLASH_RULE && reads_as(&p, img),
           rc);
    rc = p.port->erase(p.port->ctx, PROBE_OFF + 4u, BOARD_FLASH_SECTOR);
    report(&p, "erase-misaligned-offset-refused", rc == DFU_ERR_FLASH_RULE && reads_as(&p, img),
           rc);
    rc = p.port->erase(p.port->ctx, PROBE_OFF, 100u);
    report(&p, "erase-misaligned-length-refused", rc == DFU_ERR_FLASH_RULE && reads_as(&p, img),
           rc);
    rc = p.port->write(p.port->ctx, p.port->size - 4u, zeros, 8u);
    report(&p, "write-out-of-range-refused", rc == DFU_ERR_RANGE, rc);
    rc = p.port->erase(p.port->ctx, p.port->size, BOARD_FLASH_SECTOR);
    report(&p, "erase-out-of-range-refused", rc == DFU_ERR_RANGE, rc);

    /* Erase again, then the marker the test finds in the flash file */
    rc = dfu_flash_erase(&p.fa, 0, BOARD_FLASH_SECTOR);
    memset(img, p.port->erased_val, sizeof(img));
    report(&p, "erase-again", rc == DFU_OK && reads_as(&p, img), rc);
    static const uint8_t marker[8] = {'N', 'O', 'R', 'P', 'R', 'O', 'B', 'E'};
    rc = dfu_flash_write(&p.fa, 0, marker, sizeof(marker));
    memcpy(img, marker, sizeof(marker));
    report(&p, "write-marker", rc == DFU_OK && reads_as(&p, img), rc);
    report(&p, "counted", flash.stats.erases == 2u && flash.stats.writes == 4u, 0);

    fw_puts(&p.con, "dfukit-flashprobe: done ");
    fw_putu(&p.con, p.ok);
    fw_puts(&p.con, "/");
    fw_putu(&p.con, p.total);
    fw_puts(&p.con, "\n");
    if (p.con.drain != NULL) {
        p.con.drain(p.con.ctx);
    }
    for (;;) {
    }
}
