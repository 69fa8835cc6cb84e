/*
 * Acceptance 4: two sims with different flash files run at once on different ports (and BLE
 * sockets) without interfering: interleaved uploads of different images, each device ends up
 * running its own image, and the flash files differ only where they should. A second sim on a
 * flash file that is in use is refused (the file is locked).
 */
#include <string.h>
#include <unistd.h>

#include "dfu_test.h"
#include "dfukit/dfu_err.h"
#include "sim_harness.h"

#define TMO 3000

int main(void)
{
    char dir[128], base[300], ia[300], ib[300], fa[300], fb[300];
    CHECK_EQ_INT(h_tmpdir(dir, sizeof(dir), "multi"), 0);
    snprintf(base, sizeof(base), "%s/base.img", dir);
    snprintf(ia, sizeof(ia), "%s/a.img", dir);
    snprintf(ib, sizeof(ib), "%s/b.img", dir);
    snprintf(fa, sizeof(fa), "%s/a.bin", dir);
    snprintf(fb, sizeof(fb), "%s/b.bin", dir);
    CHECK_EQ_INT(h_make_image(base, "1.0.0", "name=base,confirm=boot", 20 * 1024, 31), 0);
    CHECK_EQ_INT(h_make_image(ia, "2.1.0", "name=devA,confirm=boot", 30 * 1024, 32), 0);
    CHECK_EQ_INT(h_make_image(ib, "2.2.0", "name=devB,confirm=boot", 24 * 1024, 33), 0);
    size_t la = 0, lb = 0;
    uint8_t *a = h_read_file(ia, &la), *b = h_read_file(ib, &lb);
    CHECK(a != NULL && b != NULL);

    const char *args[] = {"--install", base, "--udp", "127.0.0.1:0", NULL};
    simproc_t pa, pb;
    CHECK_EQ_INT(h_spawn(&pa, dir, "A", fa, 1, args), 0);
    CHECK_EQ_INT(h_spawn(&pb, dir, "B", fb, 1, args), 0);
    CHECK(pa.udp_port != 0 && pb.udp_port != 0 && pa.udp_port != pb.udp_port);

    /* The same flash file cannot be used by two sims. */
    simproc_t pc;
    CHECK_EQ_INT(h_spawn(&pc, dir, "C", fa, 1, args), -1);
    CHECK_EQ_INT(h_log_count(&pc, "in use by another sim"), 1);

    dfu_link_t la_l, lb_l;
    CHECK_EQ_INT(dfu_link_udp_client_open(&la_l, "127.0.0.1", pa.udp_port, 0), 0);
    CHECK_EQ_INT(dfu_link_udp_client_open(&lb_l, "127.0.0.1", pb.udp_port, 0), 0);
    /* Interleave: one chunk to A, one to B. */
    size_t na = 0, nb = 0;
    while (na < la || nb < lb) {
        size_t next;
        if (na < la) {
            size_t end = na + 1024 < la ? na + 1024 : la;
            CHECK_EQ_INT(smp_upload_range(&la_l, a, la, na, end, 1024, TMO, &next), 0);
            CHECK_EQ_INT(next, end);
            na = end;
        }
        if (nb < lb) {
            size_t end = nb + 1024 < lb ? nb + 1024 : lb;
            CHECK_EQ_INT(smp_upload_range(&lb_l, b, lb, nb, end, 1024, TMO, &next), 0);
            CHECK_EQ_INT(next, end);
            nb = end;
        }
    }
    smpstate_t sa, sb;
    CHECK_EQ_INT(smp_state(&la_l, &sa, TMO), 2);
    CHECK_EQ_INT(smp_state(&lb_l, &sb, TMO), 2);
    CHECK(strcmp(sa.version[1], "2.1.0") == 0);
    CHECK(strcmp(sb.version[1], "2.2.0") == 0);
    CHECK(memcmp(sa.hash[0], sb.hash[0], 32) == 0); /* same base */
    CHECK_EQ_INT(smp_test(&la_l, sa.hash[1], TMO), 0);
    CHECK_EQ_INT(smp_test(&lb_l, sb.hash[1], TMO), 0);
    CHECK_EQ_INT(smp_reset(&la_l, TMO), 0);
    CHECK_EQ_INT(smp_reset(&lb_l, TMO), 0);
    CHECK_EQ_INT(h_wait_log(&pa, "boot #2: swap=test slot=0 version=2.1.0", 1, 5000), 0);
    CHECK_EQ_INT(h_wait_log(&pb, "boot #2: swap=test slot=0 version=2.2.0", 1, 5000), 0);
    CHECK_EQ_INT(smp_state(&la_l, &sa, TMO), 2);
    CHECK_EQ_INT(smp_state(&lb_l, &sb, TMO), 2);
    CHECK(strcmp(sa.version[0], "2.1.0") == 0 && strcmp(sa.version[1], "1.0.0") == 0);
    CHECK(strcmp(sb.version[0], "2.2.0") == 0 && strcmp(sb.version[1], "1.0.0") == 0);
    dfu_link_close(&la_l);
    dfu_link_close(&lb_l);
    CHECK_EQ_INT(h_stop(&pa), 0);
    CHECK_EQ_INT(h_stop(&pb), 0);

    /* The flash files hold each device's own image at the start of the primary slot. */
    size_t sza = 0, szb = 0;
    uint8_t *ma = h_read_file(fa, &sza), *mb = h_read_file(fb, &szb);
    CHECK(ma != NULL && mb != NULL && sza == 512 * 1024 && szb == 512 * 1024);
    if (ma != NULL && mb != NULL && sza == 512 * 1024 && szb == 512 * 1024) {
        CHECK_MEM(ma + 0xC000, a, la);
        CHECK_MEM(mb + 0xC000, b, lb);
    }
    free(ma);
    free(mb);
    free(a);
    free(b);
    h_cleanup(dfu_test_fail_count);
    return dfu_test_finish("test_sim_multi");
}
