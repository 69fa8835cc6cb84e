/*
 * `dfukit boot` (cmd_boot.c, compiled into this test): exit codes 0/1/2/3, power cut + resume
 * through the flash file, JSON on stdout, usage errors for bad layouts.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "boot_fixture.h"
#include "cli.h"
#include "dfu_test.h"

static char flash_path[256];

static int run(const char *a1, const char *a2, const char *a3, const char *a4)
{
    char *argv[12];
    int argc = 0;
    argv[argc++] = (char *)"boot";
    argv[argc++] = (char *)"--flash";
    argv[argc++] = flash_path;
    const char *extra[4] = {a1, a2, a3, a4};
    for (int i = 0; i < 4; i++) {
        if (extra[i] != NULL) {
            argv[argc++] = (char *)extra[i];
        }
    }
    argv[argc] = NULL;
    fflush(stdout);
    return dfu_cli_boot(argc, argv);
}

static void write_flash(const bf_image_t *a, const bf_image_t *b, int pending)
{
    bf_dev_t *d = calloc(1, sizeof(*d));
    bf_dev_init(d, &bf_layout_nrf52832, DFU_BOOT_STRATEGY_MOVE, 8);
    if (a) {
        bf_poke(d, &d->cfg.primary, 0, a->data, a->len);
    }
    if (b) {
        bf_poke(d, &d->cfg.secondary, 0, b->data, b->len);
    }
    if (pending) {
        dfu_boot_set_pending(&d->cfg.secondary, 0, &d->cfg.trailer);
    }
    dfu_simflash_save(&d->sf, flash_path);
    bf_dev_free(d);
    free(d);
}

int main(void)
{
    snprintf(flash_path, sizeof(flash_path), "%s/test_boot_cli_%d.bin", DFU_BUILD_DIR,
             (int)getpid());
    bf_image_t a, b;
    bf_make_image(&a, 30000, 1, 0, 1, -1, 0xff);
    bf_make_image(&b, 36000, 2, 0, 2, -1, 0xff);

    write_flash(&a, &b, 1);
    CHECK_EQ_INT(run("--fail-after", "20", NULL, NULL), DFU_EXIT_POWER_CUT);
    CHECK_EQ_INT(run("--fail-after", "7", "--torn", NULL), DFU_EXIT_POWER_CUT);
    CHECK_EQ_INT(run(NULL, NULL, NULL, NULL), DFU_EXIT_OK); /* resumes, boots B */
    bf_dev_t *d = calloc(1, sizeof(*d));
    bf_dev_init(d, &bf_layout_nrf52832, DFU_BOOT_STRATEGY_MOVE, 8);
    CHECK_EQ_INT(dfu_simflash_load(&d->sf, flash_path), 0);
    CHECK(bf_equal(d, &d->cfg.primary, 0, b.data, b.len));
    CHECK_EQ_INT(run(NULL, NULL, NULL, NULL), DFU_EXIT_OK); /* reverts to A */
    CHECK_EQ_INT(dfu_simflash_load(&d->sf, flash_path), 0);
    CHECK(bf_equal(d, &d->cfg.primary, 0, a.data, a.len));

    for (int st = 0; st < 4; st++) {
        static const char *names[] = {"move", "scratch", "offset", "overwrite"};
        write_flash(&a, NULL, 0);
        CHECK_EQ_INT(run("--strategy", names[st], NULL, NULL), DFU_EXIT_OK);
    }

    write_flash(NULL, NULL, 0); /* erased: nothing bootable */
    CHECK_EQ_INT(run(NULL, NULL, NULL, NULL), DFU_EXIT_FAIL);
    CHECK_EQ_INT(run("--geometry", "nope", NULL, NULL), DFU_EXIT_USAGE);
    CHECK_EQ_INT(run("--primary", "0xC100:0x32000", NULL, NULL), DFU_EXIT_USAGE);
    CHECK_EQ_INT(run("--secondary", "0xC000:0x32000", NULL, NULL), DFU_EXIT_USAGE); /* overlap */
    CHECK_EQ_INT(run("--max-align", "12", NULL, NULL), DFU_EXIT_USAGE);
    CHECK_EQ_INT(run("--align", "16", NULL, NULL), DFU_EXIT_USAGE); /* > max-align 8 */
    CHECK_EQ_INT(run("--geometry", "nrf52840", "--strategy", "scratch"), DFU_EXIT_USAGE);
    CHECK_EQ_INT(run("-k", "/nonexistent.pem", NULL, NULL), DFU_EXIT_USAGE);
    CHECK_EQ_INT(run("--bogus", "1", NULL, NULL), DFU_EXIT_USAGE);
    unlink(flash_path);
    bf_dev_free(d);
    free(d);
    bf_free_image(&a);
    bf_free_image(&b);
    return dfu_test_finish("test_boot_cli");
}
