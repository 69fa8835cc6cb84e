/*
 * Unit checks of the sim's parts: app descriptor parsing, the write-through flash file (new file
 * erased, writes and torn power cuts land in the file at once, exclusive lock), BLE bond records in
 * the storage partition (lookup, latest wins, corrupt records skipped, compaction), and argument
 * parsing of `dfukit sim`.
 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "dfu_test.h"
#include "dfukit/dfu_err.h"
#include "sim/dfu_sim.h"

static void test_app(void)
{
    dfu_sim_app_t a;
    char err[96] = "";
    dfu_sim_app_default(&a);
    CHECK(!a.has_desc && a.security == 1 && !a.secure_policy && a.healthy);
    CHECK_EQ_INT(a.confirm, DFU_SIM_CONFIRM_NEVER);
    CHECK_EQ_INT(a.buf_size, 2475);
    const char *d = "name=demo app,security=3,passkey=012345,policy=secure,confirm=after:5,"
                    "healthy=no,buf_size=1024,buf_count=2,future=1";
    CHECK_EQ_INT(dfu_sim_app_parse(&a, d, strlen(d), err, sizeof(err)), 0);
    CHECK(a.has_desc && strcmp(a.name, "demo app") == 0);
    CHECK_EQ_INT(a.security, 3);
    CHECK(a.has_passkey && a.passkey == 12345);
    CHECK(a.secure_policy && !a.healthy);
    CHECK_EQ_INT(a.confirm, DFU_SIM_CONFIRM_AFTER);
    CHECK_EQ_INT(a.confirm_after_s, 5);
    CHECK_EQ_INT(a.buf_size, 1024);
    CHECK_EQ_INT(a.buf_count, 2);
    CHECK(a.cccd_security == 1 && a.bond_storage); /* defaults */
    d = "cccd_security=3,bonds=no";
    CHECK_EQ_INT(dfu_sim_app_parse(&a, d, strlen(d), err, sizeof(err)), 0);
    CHECK(a.cccd_security == 3 && !a.bond_storage);
    d = "confirm=healthy,buf_size=100";
    CHECK_EQ_INT(dfu_sim_app_parse(&a, d, strlen(d), err, sizeof(err)), 0);
    CHECK_EQ_INT(a.confirm, DFU_SIM_CONFIRM_HEALTHY);
    CHECK_EQ_INT(a.buf_size, 384); /* the SMP server's minimum */
    static const char *bad[] = {
        "security=5", "passkey=12345", "policy=closed",   "confirm=later",   "healthy=maybe",
        "buf_size=x", "nokeyvalue",    "confirm=after:0", "cccd_security=0", "bonds=maybe"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        err[0] = '\0';
        CHECK_EQ_INT(dfu_sim_app_parse(&a, bad[i], strlen(bad[i]), err, sizeof(err)),
                     DFU_ERR_INVAL);
        CHECK(err[0] != '\0');
        CHECK_EQ_INT(a.security, 1); /* defaults kept */
        CHECK_EQ_INT(a.confirm, DFU_SIM_CONFIRM_NEVER);
    }
    d = "name=ok,security=9,confirm=boot";
    CHECK_EQ_INT(dfu_sim_app_parse(&a, d, strlen(d), err, sizeof(err)), DFU_ERR_INVAL);
    CHECK(strcmp(a.name, "ok") == 0 && a.confirm == DFU_SIM_CONFIRM_BOOT && a.security == 1);
}

static int file_equals_mem(const char *path, const dfu_sim_flashfile_t *ff)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        return 0;
    }
    static uint8_t buf[1u << 20];
    size_t n = fread(buf, 1, sizeof(buf), f);
    fclose(f);
    return n == ff->sf.port.size && memcmp(buf, ff->sf.mem, n) == 0;
}

static void test_flashfile_and_bonds(void)
{
    char dir[] = "/tmp/dfusim_unit_XXXXXX";
    CHECK(mkdtemp(dir) != NULL);
    char path[128];
    snprintf(path, sizeof(path), "%s/flash.bin", dir);
    const dfu_geometry_t *g = dfu_geometry_find("nrf52832");
    CHECK(g != NULL);
    static dfu_sim_flashfile_t ff, ff2;
    CHECK_EQ_INT(dfu_sim_flashfile_open(&ff, path, g), 0);
    CHECK(file_equals_mem(path, &ff));
    CHECK_EQ_INT(ff.sf.mem[0], 0xff);
    /* Locked: a second opener is refused. */
    CHECK_EQ_INT(dfu_sim_flashfile_open(&ff2, path, g), DFU_ERR_BUSY);

    dfu_flash_t fl;
    CHECK_EQ_INT(dfu_flash_init(&fl, &ff.port), 0);
    dfu_flash_area_t slot = {&fl, g->slot1.off, g->slot1.size, 2};
    uint8_t data[4096];
    for (size_t i = 0; i < sizeof(data); i++) {
        data[i] = (uint8_t)(i * 7u);
    }
    CHECK_EQ_INT(dfu_flash_write(&slot, 0, data, sizeof(data)), 0);
    CHECK(file_equals_mem(path, &ff));
    CHECK_EQ_INT(dfu_flash_write(&slot, 0, data, 4), DFU_ERR_FLASH_RULE); /* not erased */
    /* Torn power cut: part of the write lands, in the file too. */
    dfu_simflash_cut_after(&ff.sf, 1, 1);
    CHECK_EQ_INT(dfu_flash_write(&slot, 8192, data, sizeof(data)), DFU_ERR_POWER_CUT);
    CHECK_EQ_INT(ff.cut, 1);
    CHECK(file_equals_mem(path, &ff));
    dfu_simflash_power_on(&ff.sf);
    CHECK_EQ_INT(dfu_flash_erase(&slot, 0, 4096), 0);
    CHECK(file_equals_mem(path, &ff));

    /* Bonds in the storage partition. */
    dfu_sim_bonds_t b = {.area = {&fl, g->storage.off, g->storage.size, 4}};
    dfu_ble_bond_t x = {.peer = {1, 2, 3, 4, 5, 6}, .ltk = {9}, .level = 3}, y, out;
    y = x;
    y.peer[5] = 7;
    y.level = 2;
    CHECK_EQ_INT(dfu_sim_bonds_lookup(&b, x.peer, &out), DFU_ERR_NOT_FOUND);
    CHECK_EQ_INT(dfu_sim_bonds_store(&b, &x), 0);
    CHECK_EQ_INT(dfu_sim_bonds_store(&b, &y), 0);
    CHECK_EQ_INT(dfu_sim_bonds_lookup(&b, x.peer, &out), 0);
    CHECK(out.level == 3 && out.ltk[0] == 9);
    CHECK_EQ_INT(dfu_sim_bonds_lookup(&b, y.peer, &out), 0);
    CHECK_EQ_INT(out.level, 2);
    x.level = 4;
    x.ltk[0] = 10;
    CHECK_EQ_INT(dfu_sim_bonds_store(&b, &x), 0);
    CHECK_EQ_INT(dfu_sim_bonds_lookup(&b, x.peer, &out), 0);
    CHECK(out.level == 4 && out.ltk[0] == 10); /* latest wins */
    /* A corrupt record (torn write) is skipped, later ones still count. */
    uint8_t junk[DFU_SIM_BOND_REC];
    memset(junk, 0x11, sizeof(junk));
    memcpy(junk, "BND1", 4);
    CHECK_EQ_INT(dfu_flash_write(&b.area, 3 * DFU_SIM_BOND_REC, junk, sizeof(junk)), 0);
    y.level = 4;
    CHECK_EQ_INT(dfu_sim_bonds_store(&b, &y), 0);
    CHECK_EQ_INT(dfu_sim_bonds_lookup(&b, y.peer, &out), 0);
    CHECK_EQ_INT(out.level, 4);
    /* Fill the sector: compaction keeps the latest bond of each peer. */
    uint64_t erases_before = fl.stats.erases;
    for (int i = 0; i < 140; i++) {
        dfu_ble_bond_t z = x;
        z.peer[0] = (uint8_t)(100 + i % 5);
        z.level = (uint8_t)(2 + i % 3);
        CHECK_EQ_INT(dfu_sim_bonds_store(&b, &z), 0);
    }
    CHECK(fl.stats.erases > erases_before);
    CHECK_EQ_INT(dfu_sim_bonds_lookup(&b, x.peer, &out), 0);
    CHECK(out.level == 4 && out.ltk[0] == 10);
    dfu_ble_bond_t z = x;
    z.peer[0] = 100 + 139 % 5;
    CHECK_EQ_INT(dfu_sim_bonds_lookup(&b, z.peer, &out), 0);
    CHECK_EQ_INT(out.level, 2 + 139 % 3);
    CHECK(file_equals_mem(path, &ff));
    dfu_sim_flashfile_close(&ff);

    /* Reopen: the file is the state. */
    CHECK_EQ_INT(dfu_sim_flashfile_open(&ff, path, g), 0);
    CHECK_EQ_INT(dfu_flash_init(&fl, &ff.port), 0);
    b.area.flash = &fl;
    CHECK_EQ_INT(dfu_sim_bonds_lookup(&b, y.peer, &out), 0);
    CHECK_EQ_INT(out.level, 4);
    dfu_sim_flashfile_close(&ff);
    /* A file larger than the flash is refused. */
    FILE *f = fopen(path, "ab");
    CHECK(f != NULL && fputc(0, f) == 0);
    if (f != NULL) {
        fclose(f);
    }
    CHECK_EQ_INT(dfu_sim_flashfile_open(&ff, path, g), DFU_ERR_NOSPC);
    unlink(path);
    rmdir(dir);
}

static int parse(int argc, const char **argv, dfu_sim_opts_t *o)
{
    FILE *null = fopen("/dev/null", "w");
    int rc = dfu_sim_parse_args(o, argc, (char **)argv, null);
    fclose(null);
    return rc;
}

static void test_args(void)
{
    dfu_sim_opts_t o;
    const char *ok[] = {"sim",
                        "--flash",
                        "f.bin",
                        "--udp",
                        "127.0.0.1:0",
                        "--strategy",
                        "scratch",
                        "--link",
                        "ble,phy=2m,dle=251,ci=7.5,mtu=247",
                        "--power-cut-at",
                        "12",
                        "--torn",
                        "--drop-after",
                        "5",
                        "-k",
                        "a.pem"};
    CHECK_EQ_INT(parse(16, ok, &o), 0);
    CHECK(strcmp(o.flash, "f.bin") == 0 && strcmp(o.udp, "127.0.0.1:0") == 0);
    CHECK_EQ_INT(o.strategy, DFU_BOOT_STRATEGY_SCRATCH);
    CHECK_EQ_INT(o.link.kind, DFU_LINKMODEL_BLE);
    CHECK_EQ_INT(o.power_cut_at, 12);
    CHECK(o.torn);
    CHECK_EQ_INT(o.drop_after, 5);
    CHECK_EQ_INT(o.nkeys, 1);
    CHECK(strcmp(o.udp_host, "127.0.0.1") == 0 && o.udp_port == 0);
    const char *defport[] = {"sim", "--flash", "f", "--udp", "localhost"};
    CHECK_EQ_INT(parse(5, defport, &o), 0);
    CHECK(strcmp(o.udp_host, "localhost") == 0 && o.udp_port == 1337);
    const char *anyhost[] = {"sim", "--flash", "f", "--udp", ":7"};
    CHECK_EQ_INT(parse(5, anyhost, &o), 0);
    CHECK(o.udp_host[0] == '\0' && o.udp_port == 7);
    const char *badport[] = {"sim", "--flash", "f", "--udp", "127.0.0.1:99999"};
    CHECK_EQ_INT(parse(5, badport, &o), DFU_SIM_EXIT_USAGE);
    const char *noport[] = {"sim", "--flash", "f", "--udp", "127.0.0.1:"};
    CHECK_EQ_INT(parse(5, noport, &o), DFU_SIM_EXIT_USAGE);
    const char *noflash[] = {"sim", "--udp", "127.0.0.1:0"};
    CHECK_EQ_INT(parse(3, noflash, &o), DFU_SIM_EXIT_USAGE);
    const char *notransport[] = {"sim", "--flash", "f"};
    CHECK_EQ_INT(parse(3, notransport, &o), DFU_SIM_EXIT_USAGE);
    const char *badstrat[] = {"sim", "--flash", "f", "--udp", ":0", "--strategy", "magic"};
    CHECK_EQ_INT(parse(7, badstrat, &o), DFU_SIM_EXIT_USAGE);
    const char *badgeo[] = {"sim", "--flash", "f", "--udp", ":0", "--geometry", "esp32"};
    CHECK_EQ_INT(parse(7, badgeo, &o), DFU_SIM_EXIT_USAGE);
    const char *badlink[] = {"sim", "--flash", "f", "--udp", ":0", "--link", "ble,phy=3m"};
    CHECK_EQ_INT(parse(7, badlink, &o), DFU_SIM_EXIT_USAGE);
    const char *badcut[] = {"sim", "--flash", "f", "--udp", ":0", "--power-cut-at", "0"};
    CHECK_EQ_INT(parse(7, badcut, &o), DFU_SIM_EXIT_USAGE);
    const char *down[] = {"sim", "--flash", "f", "--udp", ":0", "--downgrade", "seccnt"};
    CHECK_EQ_INT(parse(7, down, &o), 0);
    CHECK_EQ_INT(o.boot_flags, DFU_BOOT_F_DOWNGRADE_SECCNT);
    const char *baddown[] = {"sim", "--flash", "f", "--udp", ":0", "--downgrade", "always"};
    CHECK_EQ_INT(parse(7, baddown, &o), DFU_SIM_EXIT_USAGE);
    const char *novalue[] = {"sim", "--flash"};
    CHECK_EQ_INT(parse(2, novalue, &o), DFU_SIM_EXIT_USAGE);
    const char *unknown[] = {"sim", "--flash", "f", "--udp", ":0", "--frobnicate", "1"};
    CHECK_EQ_INT(parse(7, unknown, &o), DFU_SIM_EXIT_USAGE);
}

int main(void)
{
    test_app();
    test_flashfile_and_bonds();
    test_args();
    return dfu_test_finish("test_sim_unit");
}
