/*
 * The device (SMP client) verbs of the dfukit command line: one table of verbs and one table of
 * their options (cmd_client.c), plus the global options every device verb takes. A verb or an
 * option is added by one entry in these tables; help pages, the man page and the bash
 * completion are generated from them.
 */
#ifndef DFU_CMD_CLIENT_H
#define DFU_CMD_CLIENT_H

#include <stdbool.h>
#include <stdio.h>

#include "cli_opts.h"
#include "client/dfu_client.h"

/* What a verb's run function gets. */
typedef struct cli_run {
    const struct cli_verb *verb;
    const cli_args_t *a; /* global + verb options, positional arguments */
    dfu_client_t *c;     /* open (NULL for CLI_VERB_OFFLINE verbs) */
    bool json;
} cli_run_t;

#define CLI_VERB_OFFLINE 1u /* needs no --conn (runs without a device connection) */

typedef struct cli_verb {
    const char *name;        /* "update", "image list" */
    const char *args;        /* positional synopsis ("FILE", "[SLOT]"), "" if none */
    size_t min_pos, max_pos; /* positional argument count */
    int (*run)(cli_run_t *r);
    unsigned flags;      /* CLI_VERB_* */
    const char *summary; /* one line for 'dfukit --help' */
    const char *about;   /* what it does, to the device in particular (help paragraph) */
    const char *exits;   /* exit codes, one per line */
} cli_verb_t;

/* The verb tables. */
extern const cli_verb_t dfu_cli_verbs[];
extern const size_t dfu_cli_nverbs;
extern const cli_opt_t dfu_cli_global_opts[];
extern const size_t dfu_cli_nglobal;
extern const cli_opt_t dfu_cli_verb_opts[];
extern const size_t dfu_cli_nverb_opts;

/* The verb named by `w1` or `w1 w2` ("image list"), with *words = 1 or 2; NULL if none. */
const cli_verb_t *dfu_cli_client_find(const char *w1, const char *w2, int *words);

/* Runs a device verb: `pre` = options given before the verb (global ones only), argv = what
 * follows the verb. Returns the exit code. */
int dfu_cli_client(const cli_verb_t *v, int npre, char **pre, int argc, char **argv);

/* The help page of a device verb. */
void dfu_cli_verb_help(FILE *out, const cli_verb_t *v);

/* "  image list    summary" lines for the verbs whose name starts with `prefix`. */
void dfu_cli_client_list(FILE *out, const char *prefix);

/* Connection forms ("udp:HOST[:PORT] ..."), from the client's connection table. */
void dfu_cli_conn_help(FILE *out);

/* Shared output helpers (cmd_client.c). */
int dfu_cli_report_fail(dfu_client_t *c, const cli_run_t *r, const char *cmd, int rc);
void dfu_cli_json_head(dfu_json_t *j, const char *cmd);
void dfu_cli_json_tail(dfu_json_t *j);

/* `dfukit scan`: SMP devices advertising over Bluetooth LE, through BlueZ (cmd_scan.c). */
int dfu_cli_scan_run(cli_run_t *r);

/* Image verbs (cmd_client_image.c). */
int dfu_cli_image_list(cli_run_t *r);
int dfu_cli_image_upload(cli_run_t *r);
int dfu_cli_image_mark(cli_run_t *r); /* test / confirm */
int dfu_cli_image_erase(cli_run_t *r);
int dfu_cli_image_slots(cli_run_t *r);

#endif
