/*
 * The `dfukit` command line: one entry point per top-level command. Each returns the process
 * exit code. Exit codes shared by every command:
 *   0 success, 1 the operation failed (device refused, image invalid, ...),
 *   2 usage error (bad option or argument), 3 simulated power cut (dfukit boot --fail-after),
 *   4 connection/transport failure or timeout, 130 interrupted by SIGINT (after saying where).
 */
#ifndef DFU_CLI_H
#define DFU_CLI_H

#include <stdbool.h>

#define DFU_EXIT_OK 0
#define DFU_EXIT_FAIL 1
#define DFU_EXIT_USAGE 2
#define DFU_EXIT_POWER_CUT 3
#define DFU_EXIT_CONN 4
#define DFU_EXIT_INTERRUPTED 130

#include <stddef.h>
#include <stdio.h>

#ifndef DFU_VERSION
#define DFU_VERSION "0.0.0" /* set by CMake from the project version */
#endif

/* `dfukit image ...`: imgtool-compatible image tool + device image commands (cmd_image.c). */
int dfu_cli_image(int argc, char **argv);
/* `dfukit boot ...`: run the boot core once on a flash file (cmd_boot.c). */
int dfu_cli_boot(int argc, char **argv);
/* `dfukit sim ...`: the simulated device (cmd_sim.c). */
int dfu_cli_sim(int argc, char **argv);
/* The device verbs (echo, update, image list, ...) have their own table: cmd_client.h. */

/* An offline command (main.c's table). */
typedef struct dfu_cli_cmd {
    const char *name;
    int (*run)(int argc, char **argv); /* argv[0] = command name */
    const char *synopsis;
    const char *summary;
    const struct cli_opt *opts; /* its option table, if it has one (completion) */
    size_t nopts;
} dfu_cli_cmd_t;

const dfu_cli_cmd_t *dfu_cli_offline_cmds(size_t *n);

/* `dfukit --help` (main.c). */
void dfu_cli_usage(FILE *out);

/* `dfukit --man`: the dfukit(1) man page in roff, made from every command's help text;
 * `dfukit --completion bash`: the bash completion script, made from the option tables
 * (cli_doc.c). Return the exit code. */
int dfu_cli_man(FILE *out);
int dfu_cli_completion(FILE *out);

/* The verbs of `dfukit image` (cmd_image.c): the image tool's and, listed with them, the device
 * image verbs. */
void dfu_cli_image_usage(FILE *out);
/* The image tool's verbs (aliases have no summary). */
const dfu_cli_cmd_t *dfu_cli_image_tools(size_t *n);

/* `dfukit bootloader --last-boot` / `--log` (cmd_bootrec.c) on an open client: prints the
 * device's boot outcome record(s). Returns an exit code, or a negative dfu_err for the caller's
 * failure report. A device without records gets one line saying so (exit 0, "supported": false). */
struct dfu_client;
int dfu_cli_bootrec(struct dfu_client *c, bool last_boot, bool log, bool json);

/* Prints that `what` is not available in this build and returns DFU_EXIT_FAIL. */
int dfu_cli_unavailable(const char *what);

#endif
