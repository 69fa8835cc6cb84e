/*
 * The `dfukit` command line: one entry point per top-level command. Each returns the process
 * exit code. Exit codes shared by every command:
 *   0 success, 1 the operation failed (device refused, image invalid, ...),
 *   2 usage error (bad option or argument), 3 simulated power cut (dfukit boot --fail-after),
 *   4 connection/transport failure or timeout.
 */
#ifndef DFU_CLI_H
#define DFU_CLI_H

#include <stdbool.h>

#define DFU_EXIT_OK 0
#define DFU_EXIT_FAIL 1
#define DFU_EXIT_USAGE 2
#define DFU_EXIT_POWER_CUT 3
#define DFU_EXIT_CONN 4

/* `dfukit image ...`: imgtool-compatible image tool + device image commands (cmd_image.c). */
int dfu_cli_image(int argc, char **argv);
/* `dfukit boot ...`: run the boot core once on a flash file (cmd_boot.c). */
int dfu_cli_boot(int argc, char **argv);
/* `dfukit sim ...`: the simulated device (cmd_sim.c). */
int dfu_cli_sim(int argc, char **argv);
/* SMP client verbs: echo, reset, params, info, bootloader, update, doctor (cmd_client.c).
 * argv[0] is the verb. */
int dfu_cli_client(int argc, char **argv);
/* Device image verbs `image list|upload|test|confirm|erase|slots` (cmd_client.c); argv[0] is the
 * image verb. */
int dfu_cli_client_image(int argc, char **argv);

/* `dfukit bootloader --last-boot` / `--log` (cmd_bootrec.c) on an open client: prints the
 * device's boot outcome record(s). Returns an exit code, or a negative dfu_err for the caller's
 * failure report. A device without records gets one line saying so (exit 0, "supported": false). */
struct dfu_client;
int dfu_cli_bootrec(struct dfu_client *c, bool last_boot, bool log, bool json);

/* `dfukit scan`: SMP devices advertising over Bluetooth LE, through BlueZ (cmd_scan.c). */
int dfu_cli_scan(int argc, char **argv);

/* Prints that `what` is not available in this build and returns DFU_EXIT_FAIL. */
int dfu_cli_unavailable(const char *what);

#endif
