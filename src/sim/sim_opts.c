/* `dfukit sim` command-line parsing. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "dfu_sim.h"
#include "dfukit/dfu_err.h"
#include "dfukit/dfu_link.h"

void dfu_sim_usage(FILE *f)
{
    fprintf(f,
            "usage: dfukit sim --flash FILE [options] (--udp HOST:PORT | --serial PATH | "
            "--ble PATH)...\n"
            "  --flash FILE        the device's flash (created erased if missing; the only state)\n"
            "  --geometry NAME     nrf52832 (default) or nrf52840\n"
            "  --strategy S        move (default), scratch, offset or overwrite\n"
            "  -k, --key PUBKEY    accepted signing key (PEM or DER), repeatable; none = hash "
            "only\n"
            "  --udp HOST[:PORT]   SMP over UDP (port 1337 by default; 0 picks a free port);\n"
            "                      HOST: IPv4, [IPv6] (e.g. [::1]:0) or a name\n"
            "  --serial PATH       SMP console framing on a pty linked at PATH\n"
            "  --ble PATH          modelled BLE link on a Unix socket at PATH\n"
            "  --install IMAGE     seed an empty primary slot with IMAGE (binary, or Intel "
            "HEX: .hex)\n"
            "  --downgrade version|seccnt  the bootloader refuses older images (MCUboot's "
            "downgrade prevention)\n"
            "  --link SPEC         timing model, e.g. ble,phy=2m,dle=251,ci=7.5,mtu=247, "
            "serial,baud=115200 or net,kbps=1000,lat=10\n"
            "  --power-cut-at N    lose power before flash op N of this run (exit 3); --torn: "
            "op N half done\n"
            "  --drop-after N      drop each link after N packets\n"
            "  --flash-timing      flash ops take their modelled time (nRF52: 85 ms page erase, "
            "41 us per word)\n"
            "  --app-override VERSION:DESC  on this device, the image with version VERSION "
            "(a.b.c or a.b.c+build)\n"
            "                      behaves as its descriptor plus DESC (KEY=VALUE,... as "
            "--sim-app), e.g.\n"
            "                      2.0.0:healthy=no: that firmware crashes at start on this unit "
            "only\n"
            "  --log FILE          log lines to FILE instead of stderr\n"
            "stdout: 'sim: listening ...' per transport; log: 'sim: boot #N: ...' per boot.\n"
            "SIGTERM/SIGINT stop cleanly (exit 0); SIGUSR1 fires the watchdog (reset).\n"
            "exit: 0 stopped, 1 failure/halt, 2 usage, 3 power cut (restart = power on)\n");
}

static int parse_u64(const char *s, uint64_t *out)
{
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno || end == s || *end != '\0' || s[0] == '-') {
        return -1;
    }
    *out = v;
    return 0;
}

/* "HOST[:PORT]" (HOST: IPv4, [IPv6] or a name; may be empty) -> host and port (default 1337). */
static int parse_udp(dfu_sim_opts_t *o, const char *spec)
{
    int port = -1;
    if (dfu_link_split_host_port(spec, o->udp_host, sizeof(o->udp_host), &port) != DFU_OK) {
        return -1;
    }
    o->udp_port = port < 0 ? 1337 : (uint16_t)port;
    return 0;
}

int dfu_sim_parse_args(dfu_sim_opts_t *o, int argc, char **argv, FILE *err)
{
    memset(o, 0, sizeof(*o));
    o->geometry = "nrf52832";
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            dfu_sim_usage(stdout);
            return 1;
        }
        if (strcmp(a, "--torn") == 0) {
            o->torn = true;
            continue;
        }
        if (strcmp(a, "--flash-timing") == 0) {
            o->flash_timing = true;
            continue;
        }
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (v == NULL) {
            fprintf(err, "dfukit sim: option %s needs a value (see --help)\n", a);
            return DFU_SIM_EXIT_USAGE;
        }
        i++;
        uint64_t n = 0;
        int bad = 0;
        if (strcmp(a, "--flash") == 0) {
            o->flash = v;
        } else if (strcmp(a, "--geometry") == 0) {
            o->geometry = v;
            bad = dfu_geometry_find(v) == NULL;
        } else if (strcmp(a, "--strategy") == 0) {
            o->strategy = dfu_boot_strategy_parse(v);
            bad = o->strategy < 0;
        } else if (strcmp(a, "-k") == 0 || strcmp(a, "--key") == 0) {
            bad = o->nkeys >= DFU_SIM_MAX_KEYS;
            if (!bad) {
                o->keys[o->nkeys++] = v;
            }
        } else if (strcmp(a, "--udp") == 0) {
            o->udp = v;
            bad = parse_udp(o, v);
        } else if (strcmp(a, "--serial") == 0) {
            o->serial = v;
        } else if (strcmp(a, "--ble") == 0) {
            o->ble = v;
        } else if (strcmp(a, "--install") == 0) {
            o->install = v;
        } else if (strcmp(a, "--downgrade") == 0) {
            bad = strcmp(v, "version") != 0 && strcmp(v, "seccnt") != 0;
            o->boot_flags |= strcmp(v, "seccnt") == 0 ? DFU_BOOT_F_DOWNGRADE_SECCNT
                                                      : DFU_BOOT_F_DOWNGRADE_VERSION;
        } else if (strcmp(a, "--app-override") == 0) {
            const char *colon = strchr(v, ':');
            size_t vl = colon ? (size_t)(colon - v) : 0;
            dfu_sim_app_t probe;
            dfu_sim_app_default(&probe);
            bad = colon == NULL || vl == 0 || vl >= sizeof(o->override_version) ||
                  strspn(v, "0123456789.+") != vl ||
                  dfu_sim_app_apply(&probe, colon + 1, strlen(colon + 1), NULL, 0) != DFU_OK;
            if (!bad) {
                memcpy(o->override_version, v, vl);
                o->override_version[vl] = '\0';
                o->override_desc = colon + 1;
            }
        } else if (strcmp(a, "--log") == 0) {
            o->log = v;
        } else if (strcmp(a, "--link") == 0) {
            bad = dfu_linkmodel_parse(&o->link, v) != DFU_OK;
        } else if (strcmp(a, "--power-cut-at") == 0) {
            bad = parse_u64(v, &n) || n == 0;
            o->power_cut_at = n;
        } else if (strcmp(a, "--drop-after") == 0) {
            bad = parse_u64(v, &n) || n == 0 || n > 0xffffffffu;
            o->drop_after = (uint32_t)n;
        } else {
            fprintf(err, "dfukit sim: unknown option %s (see --help)\n", a);
            return DFU_SIM_EXIT_USAGE;
        }
        if (bad) {
            fprintf(err, "dfukit sim: bad value for %s: '%s'\n", a, v);
            return DFU_SIM_EXIT_USAGE;
        }
    }
    if (o->flash == NULL) {
        fprintf(err, "dfukit sim: --flash FILE is required\n");
        return DFU_SIM_EXIT_USAGE;
    }
    if (o->udp == NULL && o->serial == NULL && o->ble == NULL) {
        fprintf(err, "dfukit sim: give at least one transport: --udp HOST:PORT, --serial PATH "
                     "or --ble PATH\n");
        return DFU_SIM_EXIT_USAGE;
    }
    return 0;
}
