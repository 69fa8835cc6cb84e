/* `dfukit sim`: the simulated device (src/sim). */
#include <stdio.h>

#include "cli.h"
#include "sim/dfu_sim.h"

int dfu_cli_sim(int argc, char **argv)
{
    dfu_sim_opts_t o;
    int rc = dfu_sim_parse_args(&o, argc, argv, stderr);
    if (rc == 1) {
        return DFU_EXIT_OK;
    }
    if (rc != 0) {
        return DFU_EXIT_USAGE;
    }
    return dfu_sim_run(&o);
}
