/* Placeholder until the component lands; replaced by its owner. */
#include "cli.h"

int dfu_cli_sim(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    return dfu_cli_unavailable("sim");
}
