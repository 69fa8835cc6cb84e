/* dfukit: top-level command dispatch. */
#include <stdio.h>
#include <string.h>

#include "cli.h"

typedef struct {
    const char *name;
    int (*run)(int argc, char **argv); /* argv[0] = command name */
    const char *summary;
} dfu_cli_cmd_t;

static const dfu_cli_cmd_t commands[] = {
    {"image", dfu_cli_image, "MCUboot image tool (keygen, sign, verify, info) and device images"},
    {"boot", dfu_cli_boot, "run the bootloader core once on a flash file"},
    {"sim", dfu_cli_sim, "run a simulated device"},
    {"update", dfu_cli_client, "safe end-to-end firmware update"},
    {"doctor", dfu_cli_client, "explain the device's DFU state and how to fix it"},
    {"echo", dfu_cli_client, "SMP echo"},
    {"reset", dfu_cli_client, "reset the device"},
    {"params", dfu_cli_client, "read the device's SMP buffer parameters"},
    {"info", dfu_cli_client, "read OS/application info"},
    {"bootloader", dfu_cli_client, "read bootloader info"},
    {"scan", dfu_cli_scan, "list Bluetooth LE devices advertising the SMP service (BlueZ)"},
};

static void usage(FILE *out)
{
    fprintf(out, "usage: dfukit <command> [options]\n\ncommands:\n");
    for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) {
        fprintf(out, "  %-11s %s\n", commands[i].name, commands[i].summary);
    }
    fprintf(out, "\nexit codes: 0 ok, 1 operation failed, 2 usage error, 3 simulated power cut,\n"
                 "            4 connection failure or timeout\n"
                 "Run 'dfukit <command> --help' for a command's options.\n");
}

int dfu_cli_unavailable(const char *what)
{
    fprintf(stderr, "dfukit: '%s' is not available in this build yet\n", what);
    return DFU_EXIT_FAIL;
}

int main(int argc, char **argv)
{
    if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
        usage(argc < 2 ? stderr : stdout);
        return argc < 2 ? DFU_EXIT_USAGE : DFU_EXIT_OK;
    }
    for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) {
        if (strcmp(argv[1], commands[i].name) == 0) {
            return commands[i].run(argc - 1, argv + 1);
        }
    }
    fprintf(stderr, "dfukit: unknown command '%s' (see 'dfukit --help')\n", argv[1]);
    return DFU_EXIT_USAGE;
}
