/* Placeholder until the client lands; replaced by its owner. */
#include "cli.h"

int dfu_cli_client(int argc, char **argv)
{
    (void)argc;
    return dfu_cli_unavailable(argv[0]);
}

int dfu_cli_client_image(int argc, char **argv)
{
    (void)argc;
    return dfu_cli_unavailable(argv[0]);
}
