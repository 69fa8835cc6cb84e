/*
 * dfukit: top-level command dispatch. Global options (-c/--conn, -t/--timeout, --retries, --json,
 * -v/--verbose, --version, -h/--help; table in cmd_client.c) may come before or after the
 * command; the device verbs come from the verb table in cmd_client.c, the offline commands from
 * the table below.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "cmd_client.h"

static const dfu_cli_cmd_t offline[] = {
    {"image", dfu_cli_image, "image VERB ...",
     "MCUboot image tool: keygen, sign, verify, info, ... (files)", NULL, 0},
    {"boot", dfu_cli_boot, "boot --flash FILE ...", "run the bootloader core once on a flash file",
     NULL, 0},
    {"sim", dfu_cli_sim, "sim --flash FILE ...", "run a simulated device (nRF52832 + MCUboot)",
     NULL, 0},
};

const dfu_cli_cmd_t *dfu_cli_offline_cmds(size_t *n)
{
    *n = CLI_ARRAY_LEN(offline);
    return offline;
}

void dfu_cli_usage(FILE *out)
{
    fprintf(out, "usage: dfukit [global options] COMMAND [ARGS] [options]\n\n"
                 "Updates firmware on MCUboot devices over SMP (MCUmgr: UDP, serial, BLE) and "
                 "builds the images.\n\n"
                 "device commands (talk to the device given with -c/--conn):\n");
    dfu_cli_client_list(out, "");
    fprintf(out, "\noffline commands:\n");
    for (size_t i = 0; i < CLI_ARRAY_LEN(offline); i++) {
        fprintf(out, "  %-24s %s\n", offline[i].synopsis, offline[i].summary);
    }
    fprintf(out, "\nglobal options (before or after the command):\n");
    cli_opts_help(out, dfu_cli_global_opts, dfu_cli_nglobal, NULL);
    fprintf(out, "  %-22s  %s\n", "-h, --help",
            "this page; 'dfukit COMMAND --help' shows a command's own page");
    fprintf(out, "\nconnections (CONN):\n");
    dfu_cli_conn_help(out);
    fprintf(out, "\nexit codes: 0 ok, 1 the operation failed, 2 usage error, 3 simulated power cut "
                 "(boot, sim),\n            4 connection failure or timeout, 130 interrupted "
                 "(Ctrl-C)\n"
                 "documentation: man dfukit; 'dfukit --man' prints that page (roff), "
                 "'dfukit --completion bash'\nthe bash completion script.\n");
}

int dfu_cli_unavailable(const char *what)
{
    fprintf(stderr, "dfukit: '%s' is not available in this build yet\n", what);
    return DFU_EXIT_FAIL;
}

/* Index of the first word after the leading global options (argv[1..]). */
static int first_word(int argc, char **argv, const cli_optset_t *glob)
{
    int k = 1;
    while (k < argc && argv[k][0] == '-' && argv[k][1] != '\0') {
        const char *eq = strchr(argv[k], '=');
        size_t len = eq ? (size_t)(eq - argv[k]) : strlen(argv[k]);
        const cli_opt_t *o = cli_find(glob, 1, argv[k], len);
        k += 1 + (o != NULL && eq == NULL ? o->nargs : 0);
    }
    return k;
}

/* Global options given before an offline command: --help / --version are honoured, --json is
 * handed to the command (as if given after it), the others belong to device commands. Returns -1
 * to run the command, else an exit code. */
static int offline_pre(const dfu_cli_cmd_t *cmd, int npre, char **pre, int *help, int *json)
{
    static cli_args_t a;
    memset(&a, 0, sizeof(a));
    const cli_optset_t glob = {dfu_cli_global_opts, dfu_cli_nglobal, NULL};
    int rc = cli_parse(&a, "dfukit", &glob, 1, npre, pre, 0);
    if (rc != 0) {
        return rc;
    }
    if (cli_flag(&a, "--version")) {
        printf("dfukit %s\n", DFU_VERSION);
        return DFU_EXIT_OK;
    }
    for (size_t i = 0; i < a.nhit; i++) {
        if (strcmp(a.hit[i].opt->l, "--json") == 0) {
            *json = 1; /* passed on: the offline command says whether it takes it */
            continue;
        }
        char name[64];
        cli_opt_name(a.hit[i].opt, name, sizeof(name));
        fprintf(stderr,
                "dfukit: %s is an option of the device commands; '%s' does not take it "
                "(see 'dfukit %s --help')\n",
                a.hit[i].opt->l, cmd->name, cmd->name);
        return DFU_EXIT_USAGE;
    }
    *help = a.help;
    return -1;
}

int main(int argc, char **argv)
{
    if (argc == 2 && strcmp(argv[1], "--man") == 0) {
        return dfu_cli_man(stdout);
    }
    if (argc == 3 && strcmp(argv[1], "--completion") == 0 && strcmp(argv[2], "bash") == 0) {
        return dfu_cli_completion(stdout);
    }
    const cli_optset_t glob = {dfu_cli_global_opts, dfu_cli_nglobal, NULL};
    int k = first_word(argc, argv, &glob);
    if (k >= argc) {
        static cli_args_t a;
        int rc = cli_parse(&a, "dfukit", &glob, 1, argc - 1, argv + 1, 0);
        if (rc != 0) {
            return rc;
        }
        if (cli_flag(&a, "--version")) {
            printf("dfukit %s\n", DFU_VERSION);
            return DFU_EXIT_OK;
        }
        if (!a.help) {
            fprintf(stderr, "dfukit: give a command\n\n");
        }
        dfu_cli_usage(a.help ? stdout : stderr);
        return a.help ? DFU_EXIT_OK : DFU_EXIT_USAGE;
    }
    int words = 0;
    const cli_verb_t *v = dfu_cli_client_find(argv[k], k + 1 < argc ? argv[k + 1] : NULL, &words);
    if (v != NULL) {
        return dfu_cli_client(v, k - 1, argv + 1, argc - k - words, argv + k + words);
    }
    for (size_t i = 0; i < CLI_ARRAY_LEN(offline); i++) {
        if (strcmp(argv[k], offline[i].name) != 0) {
            continue;
        }
        int help = 0, json = 0;
        int rc = offline_pre(&offline[i], k - 1, argv + 1, &help, &json);
        if (rc >= 0) {
            return rc;
        }
        if (help || json) { /* 'dfukit --help image sign' = 'dfukit image sign --help' */
            char **hargv = calloc((size_t)(argc - k) + 3, sizeof(char *));
            if (hargv == NULL) {
                fprintf(stderr, "dfukit: out of memory\n");
                return DFU_EXIT_FAIL;
            }
            int n = 0;
            for (int j = k; j < argc; j++) {
                hargv[n++] = argv[j];
            }
            if (json) {
                hargv[n++] = (char *)"--json";
            }
            if (help) {
                hargv[n++] = (char *)"--help";
            }
            rc = offline[i].run(n, hargv);
            free(hargv);
            return rc;
        }
        return offline[i].run(argc - k, argv + k);
    }
    fprintf(stderr, "dfukit: unknown command '%s' (see 'dfukit --help')\n", argv[k]);
    return DFU_EXIT_USAGE;
}
