/* Link timing models checked against hand-computed values and peers.md's bounds. */
#include <math.h>

#include "dfu_test.h"
#include "dfukit/dfu_err.h"
#include "dfukit/dfu_host_linkmodel.h"

#define NEAR(a, b, tol) CHECK(fabs((double)(a) - (double)(b)) <= (tol))

static void test_parse(void)
{
    dfu_linkmodel_t m;
    char buf[128];
    CHECK_EQ_INT(dfu_linkmodel_parse(&m, "ble,phy=2m,dle=251,ci=7.5,mtu=247"), DFU_OK);
    CHECK_EQ_INT(m.kind, DFU_LINKMODEL_BLE);
    CHECK_EQ_INT(m.ble.phy_mbps, 2);
    CHECK_EQ_INT(m.ble.dle, 251);
    CHECK_EQ_INT(m.ble.ci_us, 7500);
    CHECK_EQ_INT(m.ble.mtu, 247);
    CHECK_EQ_INT(m.ble.ppe, 0);
    CHECK(dfu_linkmodel_format(&m, buf, sizeof(buf)) > 0);
    CHECK(strcmp(buf, "ble,phy=2m,dle=251,ci=7.5,mtu=247,ppe=0,enc=0") == 0);
    dfu_linkmodel_t again;
    CHECK_EQ_INT(dfu_linkmodel_parse(&again, buf), DFU_OK);
    CHECK_MEM(&again.ble, &m.ble, sizeof(m.ble));
    CHECK_EQ_INT(dfu_linkmodel_format(&m, buf, 10), DFU_ERR_NOMEM);

    CHECK_EQ_INT(dfu_linkmodel_parse(&m, "ble,ci=11.25,enc=1,ppe=4"), DFU_OK);
    CHECK_EQ_INT(m.ble.ci_us, 11250);
    CHECK_EQ_INT(m.ble.phy_mbps, 1);
    CHECK_EQ_INT(m.ble.dle, 27);
    CHECK_EQ_INT(m.ble.encrypted, 1);
    CHECK_EQ_INT(m.ble.ppe, 4);
    CHECK(dfu_linkmodel_format(&m, buf, sizeof(buf)) > 0);
    CHECK(strstr(buf, "ci=11.25,") != NULL);

    CHECK_EQ_INT(dfu_linkmodel_parse(&m, "serial,baud=115200"), DFU_OK);
    CHECK_EQ_INT(m.kind, DFU_LINKMODEL_SERIAL);
    CHECK_EQ_INT(m.serial.baud, 115200);
    CHECK_EQ_INT(dfu_linkmodel_parse(&m, "serial"), DFU_OK);
    CHECK_EQ_INT(m.serial.baud, 115200);
    CHECK_EQ_INT(dfu_linkmodel_parse(&m, "off"), DFU_OK);
    CHECK_EQ_INT(m.kind, DFU_LINKMODEL_OFF);
    CHECK_EQ_INT(dfu_linkmodel_parse(&m, ""), DFU_OK);
    CHECK_EQ_INT(m.kind, DFU_LINKMODEL_OFF);

    const char *bad[] = {"ble,ci=7.4",   "ble,ci=5",     "ble,dle=300",   "ble,dle=26",
                         "ble,phy=3m",   "ble,mtu=22",   "ble,mtu=518",   "ble,mtu",
                         "ble,foo=1",    "wifi",         "serial,baud=x", "serial,baud=-5",
                         "serial,raw=2", "ble,ci=7.5.1", "ble,ci=",       "ble,enc=2",
                         "serial,dle=27"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        int rc = dfu_linkmodel_parse(&m, bad[i]);
        if (rc != DFU_ERR_INVAL) {
            fprintf(stderr, "accepted bad spec '%s'\n", bad[i]);
        }
        CHECK_EQ_INT(rc, DFU_ERR_INVAL);
        CHECK_EQ_INT(m.kind, DFU_LINKMODEL_OFF);
    }
}

static void test_serial(void)
{
    dfu_linkmodel_t m;
    CHECK_EQ_INT(dfu_linkmodel_parse(&m, "serial,baud=115200,raw=1"), DFU_OK);
    NEAR(dfu_linkmodel_ceiling_kBps(&m), 11.52, 1e-9); /* 115200 / 10 bits per byte */
    CHECK_EQ_INT(dfu_linkmodel_oneway_us(&m, 1152, 0), 100000);

    CHECK_EQ_INT(dfu_linkmodel_parse(&m, "serial,baud=115200"), DFU_OK);
    /* 93 payload bytes per 127-byte console line: 11.52 * 93 / 127 = 8.4359 (peers.md: ~8.4). */
    NEAR(dfu_linkmodel_ceiling_kBps(&m), 11.52 * 93.0 / 127.0, 1e-9);
    CHECK(dfu_linkmodel_ceiling_kBps(&m) > 8.3 && dfu_linkmodel_ceiling_kBps(&m) < 8.5);
    /* 100-byte message: 104 framed bytes -> 140 base64 chars -> 2 lines -> 146 wire bytes. */
    CHECK_EQ_INT(dfu_linkmodel_serial_wire_bytes(&m, 100), 146);
    CHECK_EQ_INT(dfu_linkmodel_oneway_us(&m, 100, 0), 12674); /* ceil(1460 bits / 115200 Hz) */
    /* 89-byte message: 93 framed bytes -> exactly 124 base64 chars -> 1 line -> 127 bytes. */
    CHECK_EQ_INT(dfu_linkmodel_serial_wire_bytes(&m, 89), 127);
    CHECK_EQ_INT(dfu_linkmodel_exchange_us(&m, 100, 89, 0), 12674 + 11025);

    CHECK_EQ_INT(dfu_linkmodel_parse(&m, "serial,baud=1000000"), DFU_OK);
    NEAR(dfu_linkmodel_ceiling_kBps(&m), 73.228, 0.001); /* peers.md: ~73 kB/s at 1 Mbaud */
}

static void test_ble_air(void)
{
    dfu_linkmodel_t m;
    /* peers.md b2 per-packet costs. */
    CHECK_EQ_INT(dfu_linkmodel_parse(&m, "ble,phy=1m,dle=27,mtu=23"), DFU_OK);
    CHECK_EQ_INT(dfu_linkmodel_ble_pdu_air_us(&m, 27), 296);
    CHECK_EQ_INT(dfu_linkmodel_ble_pdu_air_us(&m, 0), 80);
    CHECK_EQ_INT(dfu_linkmodel_ble_pdu_slot_us(&m), 676);
    CHECK_EQ_INT(dfu_linkmodel_parse(&m, "ble,phy=1m,dle=251,mtu=247"), DFU_OK);
    CHECK_EQ_INT(dfu_linkmodel_ble_pdu_slot_us(&m), 2468);
    CHECK_EQ_INT(dfu_linkmodel_parse(&m, "ble,phy=2m,dle=251,mtu=247"), DFU_OK);
    CHECK_EQ_INT(dfu_linkmodel_ble_pdu_air_us(&m, 251), 1048);
    CHECK_EQ_INT(dfu_linkmodel_ble_pdu_air_us(&m, 0), 44);
    CHECK_EQ_INT(dfu_linkmodel_ble_pdu_slot_us(&m), 1392);
    m.ble.encrypted = 1;
    CHECK_EQ_INT(dfu_linkmodel_ble_pdu_air_us(&m, 251), 1064); /* + 4-byte MIC */
    CHECK_EQ_INT(dfu_linkmodel_ble_pdu_air_us(&m, 0), 44);     /* empty PDUs carry no MIC */

    /* PDU counts for a 2 KiB message: MTU 23 -> 102 full 20-byte values + 8 -> 103 PDUs at
     * DLE 27; MTU 247 -> 8 full 244-byte values + 96 -> 9 PDUs at DLE 251. */
    CHECK_EQ_INT(dfu_linkmodel_parse(&m, "ble,dle=27,mtu=23"), DFU_OK);
    CHECK_EQ_INT(dfu_linkmodel_ble_pdus(&m, 2048, 0), 103);
    CHECK_EQ_INT(dfu_linkmodel_parse(&m, "ble,dle=251,mtu=247"), DFU_OK);
    CHECK_EQ_INT(dfu_linkmodel_ble_pdus(&m, 2048, 0), 9);
    /* MTU 247 over DLE 27: a 251-byte L2CAP SDU needs 10 PDUs. */
    CHECK_EQ_INT(dfu_linkmodel_parse(&m, "ble,dle=27,mtu=247"), DFU_OK);
    CHECK_EQ_INT(dfu_linkmodel_ble_pdus(&m, 244, 0), 10);
    /* The link's negotiated MTU overrides when the model has none. */
    CHECK_EQ_INT(dfu_linkmodel_parse(&m, "ble,dle=251"), DFU_OK);
    CHECK_EQ_INT(dfu_linkmodel_ble_pdus(&m, 2048, 247), 9);
}

static void test_ble_timing(void)
{
    dfu_linkmodel_t m;
    CHECK_EQ_INT(dfu_linkmodel_parse(&m, "ble,phy=2m,dle=251,ci=7.5,mtu=247"), DFU_OK);
    CHECK_EQ_INT(dfu_linkmodel_ble_pdus_per_event(&m), 5); /* 7500 / 1392 */
    /* 2 KiB: 9 PDUs, 5 per event -> 2 events: 7500 + 3 * 1392 + last PDU (103 B: 456 + 344). */
    CHECK_EQ_INT(dfu_linkmodel_oneway_us(&m, 2048, 0), 7500 + 3 * 1392 + 800);
    /* Exchange: response starts at the anchor after the request's 2 events; 30-byte response is
     * one 37-byte PDU: (11 + 37) * 4 + 344 = 536 us. */
    CHECK_EQ_INT(dfu_linkmodel_exchange_us(&m, 2048, 30, 0), 2 * 7500 + 536);
    /* Ceiling at CI 7.5 ms: 5 * 244 B per 7.5 ms = 162.67 kB/s, under peers.md's 175 kB/s. */
    NEAR(dfu_linkmodel_ceiling_kBps(&m), 5.0 * 244.0 / 7.5, 1e-6);
    CHECK(dfu_linkmodel_ceiling_kBps(&m) <= 175.3);
    /* Long intervals approach the back-to-back bound 244 B / 1392 us = 175.3 kB/s. */
    m.ble.ci_us = 4000000;
    NEAR(dfu_linkmodel_ceiling_kBps(&m), 175.0, 0.5);
    m.ble.encrypted = 1;
    NEAR(dfu_linkmodel_ceiling_kBps(&m), 173.0, 0.5); /* peers.md: encrypted ~173 kB/s */

    CHECK_EQ_INT(dfu_linkmodel_parse(&m, "ble,phy=1m,dle=251,ci=4000,mtu=247"), DFU_OK);
    NEAR(dfu_linkmodel_ceiling_kBps(&m), 98.9, 0.2); /* peers.md: ~98.9 kB/s */
    m.ble.encrypted = 1;
    NEAR(dfu_linkmodel_ceiling_kBps(&m), 97.6, 0.2);
    CHECK_EQ_INT(dfu_linkmodel_parse(&m, "ble,phy=1m,dle=27,ci=4000,mtu=23"), DFU_OK);
    NEAR(dfu_linkmodel_ceiling_kBps(&m), 29.6, 0.1); /* peers.md: ~29.6 kB/s */

    /* Packets per event limit: ppe=1 at CI 30 ms with MTU 23 -> 20 B / 30 ms. */
    CHECK_EQ_INT(dfu_linkmodel_parse(&m, "ble,ci=30,ppe=1,mtu=23"), DFU_OK);
    NEAR(dfu_linkmodel_ceiling_kBps(&m), 20.0 / 30.0, 1e-9);

    /* Stop-and-wait: a 244-byte request and small response at CI 7.5 ms take one interval plus
     * the response PDU, so 218-byte chunks are bounded near 218 / 7.5 ms = 29 kB/s (peers.md). */
    CHECK_EQ_INT(dfu_linkmodel_parse(&m, "ble,phy=2m,dle=251,ci=7.5,mtu=247"), DFU_OK);
    uint64_t ex = dfu_linkmodel_exchange_us(&m, 244, 20, 0);
    CHECK(ex > 7500 && ex < 8500);
    CHECK(218.0 / ((double)ex / 1e6) / 1000.0 <= 29.1);

    CHECK_EQ_INT(dfu_linkmodel_parse(&m, "off"), DFU_OK);
    CHECK_EQ_INT(dfu_linkmodel_oneway_us(&m, 1000, 0), 0);
    CHECK(dfu_linkmodel_ceiling_kBps(&m) == 0.0);
}

/* NET (UDP over an IP link): parse/format round trip, serialisation, latency, ceiling, and the
 * link clock: queued messages pay no latency, a message on an idle link pays it once. */
static void test_net(void)
{
    dfu_linkmodel_t m;
    CHECK_EQ_INT(dfu_linkmodel_parse(&m, "net"), DFU_OK);
    CHECK_EQ_INT(m.kind, DFU_LINKMODEL_NET);
    CHECK_EQ_INT(m.net.kbps, 1000);
    CHECK_EQ_INT(m.net.lat_us, 10000);
    CHECK_EQ_INT(dfu_linkmodel_parse(&m, "net,kbps=250,lat=2.5"), DFU_OK);
    CHECK_EQ_INT(m.net.kbps, 250);
    CHECK_EQ_INT(m.net.lat_us, 2500);
    char buf[64];
    CHECK(dfu_linkmodel_format(&m, buf, sizeof(buf)) > 0);
    CHECK(strcmp(buf, "net,kbps=250,lat=2.500") == 0);
    dfu_linkmodel_t back;
    CHECK_EQ_INT(dfu_linkmodel_parse(&back, buf), DFU_OK);
    CHECK_EQ_INT(back.net.kbps, 250);
    CHECK_EQ_INT(back.net.lat_us, 2500);
    CHECK_EQ_INT(dfu_linkmodel_parse(&m, "net,kbps=5"), DFU_ERR_INVAL);
    CHECK_EQ_INT(dfu_linkmodel_parse(&m, "net,baud=9600"), DFU_ERR_INVAL);
    CHECK_EQ_INT(dfu_linkmodel_parse(&m, "net,kbps=1000,lat=10"), DFU_OK);
    /* 1472 + 28 bytes at 1 Mbit/s = 12000 us; one-way adds the 10 ms latency */
    CHECK_EQ_INT(dfu_linkmodel_net_ser_us(&m, 1472), 12000);
    CHECK_EQ_INT(dfu_linkmodel_oneway_us(&m, 1472, 0), 22000);
    CHECK_EQ_INT(dfu_linkmodel_exchange_us(&m, 1472, 22, 0), 22000 + 10000 + 400);
    /* ceiling: 125 kB/s * 1500 / 1528 */
    double c = dfu_linkmodel_ceiling_kBps(&m);
    CHECK(c > 122.70 && c < 122.72);
}

/* The link timeline (dfu_linkmodel_schedule): event packing by air time with the trailing T_IFS,
 * idle transfers on anchors, queued ones back to back, ppe, NET latency, and the ceiling equal
 * to the rate of a saturated stream through the scheduler. */
static void test_schedule(void)
{
    dfu_linkmodel_t m;
    dfu_linkmodel_clock_t c;
    uint64_t start = 0;
    CHECK_EQ_INT(dfu_linkmodel_parse(&m, "ble,phy=2m,dle=251,ci=7.5,mtu=247"), DFU_OK);
    memset(&c, 0, sizeof(c));
    /* 1500 B = 6 full writes (one 251-byte PDU each, 1392 us) + 36 B (43-byte PDU, 560 us).
     * Five full PDUs fill the first event (6960 us; a 560 us PDU would end 20 us too late), the
     * rest goes in the next one. */
    uint64_t d = dfu_linkmodel_schedule(&m, &c, 1500, 0, 1000, false, false, &start);
    CHECK_EQ_INT(start, 7500);
    CHECK_EQ_INT(d, 15000 + 1392 + 560);
    dfu_linkmodel_clock_t q = c;
    CHECK_EQ_INT(dfu_linkmodel_schedule(&m, &q, 18, 0, 0, true, true, &start), d + 488);
    CHECK_EQ_INT(start, d); /* queued: same event */
    CHECK_EQ_INT(dfu_linkmodel_schedule(&m, &c, 18, 0, d, false, true, &start), 22500 + 488);
    CHECK_EQ_INT(start, 22500); /* not queued: the anchor after the request's last event */
    /* ppe=2: two PDUs per event whatever their size */
    CHECK_EQ_INT(dfu_linkmodel_parse(&m, "ble,phy=2m,dle=251,ci=7.5,mtu=247,ppe=2"), DFU_OK);
    memset(&c, 0, sizeof(c));
    CHECK_EQ_INT(dfu_linkmodel_schedule(&m, &c, 1500, 0, 0, false, false, NULL), 22500 + 560);
    /* The ceiling is the rate of a saturated stream of full writes through the scheduler; with
     * DLE 27 and MTU 247 each write is 9 full PDUs + an 8-byte one, cheaper than a full one. */
    const char *specs[] = {"ble,phy=1m,dle=27,ci=30,mtu=247", "ble,phy=2m,dle=251,ci=7.5,mtu=247",
                           "ble,phy=1m,dle=27,ci=7.5,mtu=185,ppe=4"};
    for (size_t i = 0; i < 3; i++) {
        CHECK_EQ_INT(dfu_linkmodel_parse(&m, specs[i]), DFU_OK);
        memset(&c, 0, sizeof(c));
        size_t val = (size_t)m.ble.mtu - 3u, n = 20000;
        uint64_t t0 = 0, t = dfu_linkmodel_schedule(&m, &c, val, 0, 0, false, false, &t0);
        for (size_t k = 1; k < n; k++) {
            t = dfu_linkmodel_schedule(&m, &c, val, 0, 0, true, false, NULL);
        }
        double stream = (double)(n * val) / 1000.0 / ((double)(t - t0) / 1e6);
        double ceil = dfu_linkmodel_ceiling_kBps(&m);
        NEAR(stream / ceil, 1.0, 0.002);
    }
    CHECK_EQ_INT(dfu_linkmodel_parse(&m, "ble,phy=1m,dle=27,ci=30,mtu=247"), DFU_OK);
    CHECK(dfu_linkmodel_ceiling_kBps(&m) > 36.5 && dfu_linkmodel_ceiling_kBps(&m) < 36.7);
    /* NET: a queued message pays no latency, one on an idle link does */
    CHECK_EQ_INT(dfu_linkmodel_parse(&m, "net,kbps=1000,lat=10"), DFU_OK);
    memset(&c, 0, sizeof(c));
    CHECK_EQ_INT(dfu_linkmodel_schedule(&m, &c, 1472, 0, 0, false, false, NULL), 22000);
    CHECK_EQ_INT(dfu_linkmodel_schedule(&m, &c, 1472, 0, 0, true, false, NULL), 24000);
    CHECK_EQ_INT(dfu_linkmodel_schedule(&m, &c, 72, 0, 0, false, true, NULL), 800 + 10000);
    /* OFF: nothing to wait for */
    CHECK_EQ_INT(dfu_linkmodel_parse(&m, "off"), DFU_OK);
    CHECK_EQ_INT(dfu_linkmodel_schedule(&m, &c, 100, 0, 1234, false, false, &start), 1234);
}

int main(void)
{
    test_schedule();
    test_net();
    test_parse();
    test_serial();
    test_ble_air();
    test_ble_timing();
    return dfu_test_finish("test_hostlink_model");
}
