/* In-process loopback pair: order, MTU, pump-driven single-threaded exchange, close semantics,
 * and the timing model's queued rule on the device end (observed waiting data, not guessed). */
#include "dfu_test.h"
#include "dfukit/dfu_err.h"
#include "dfukit/dfu_link.h"

typedef struct echo_dev {
    dfu_link_t *link;
    int served;
} echo_dev_t;

/* One device step: answer one queued request (returns 1), or report idle (0). */
static int device_step(void *ctx)
{
    echo_dev_t *d = ctx;
    uint8_t buf[512];
    int n = dfu_link_recv(d->link, buf, sizeof(buf), 0);
    if (n <= 0) {
        return 0;
    }
    buf[0] |= 1u;
    d->served++;
    return dfu_link_send(d->link, buf, (size_t)n) == DFU_OK ? 1 : -1;
}

/* BLE 2M/251/CI 7.5 ms on the device end. Three 1500-byte requests sent at once (a window): the
 * first starts on an anchor, the next ones follow back to back, as does the reply sent while one
 * is still waiting. Then nothing is waiting: the next reply waits for the anchor after the
 * request's last event (turnaround), and a request sent after it starts on an anchor again. */
static void test_queued_rule(void)
{
    dfu_link_t dev, cli;
    static uint8_t m[1500], got[1600];
    const uint64_t ci = 7500, rsp_slot = 488; /* 18-byte reply: 25-byte PDU, (11+25)*4+344 us */
    CHECK_EQ_INT(dfu_link_loopback_open(&dev, &cli, 1600), DFU_OK);
    dfu_linkmodel_t mdl;
    CHECK_EQ_INT(dfu_linkmodel_parse(&mdl, "ble,phy=2m,dle=251,ci=7.5,mtu=247"), DFU_OK);
    CHECK_EQ_INT(dfu_link_set_model(&dev, &mdl), DFU_OK);
    for (int i = 0; i < 3; i++) {
        CHECK_EQ_INT(dfu_link_send(&cli, m, sizeof(m)), DFU_OK);
    }
    CHECK_EQ_INT(dfu_link_recv(&dev, got, sizeof(got), 0), 1500);
    uint64_t s1 = dev.stats.model_rx_start_us, d1 = dev.stats.model_done_us;
    CHECK_EQ_INT(s1 % ci, 0); /* idle link: an anchor */
    CHECK_EQ_INT(d1 - s1, dfu_linkmodel_oneway_us(&mdl, 1500, 0));
    CHECK_EQ_INT(dfu_link_send(&dev, m, 18), DFU_OK); /* request 2 waits: rides along */
    CHECK_EQ_INT(dev.stats.model_done_us, d1 + rsp_slot);
    CHECK_EQ_INT(dfu_link_recv(&dev, got, sizeof(got), 0), 1500);
    CHECK_EQ_INT(dev.stats.model_rx_start_us, d1 + rsp_slot); /* back to back */
    CHECK_EQ_INT(dfu_link_send(&dev, m, 18), DFU_OK);
    CHECK_EQ_INT(dfu_link_recv(&dev, got, sizeof(got), 0), 1500);
    uint64_t d3 = dev.stats.model_done_us;
    CHECK(d3 % ci != 0);
    CHECK_EQ_INT(dfu_link_send(&dev, m, 18), DFU_OK); /* nothing waits: turnaround */
    uint64_t r3 = dev.stats.model_done_us;
    CHECK_EQ_INT(r3, (d3 + ci - 1) / ci * ci + rsp_slot);
    for (int i = 0; i < 3; i++) {
        CHECK_EQ_INT(dfu_link_recv(&cli, got, sizeof(got), 0), 18);
    }
    CHECK_EQ_INT(dfu_link_send(&cli, m, sizeof(m)), DFU_OK); /* stop-and-wait request */
    CHECK_EQ_INT(dfu_link_recv(&dev, got, sizeof(got), 0), 1500);
    CHECK_EQ_INT(dev.stats.model_rx_start_us % ci, 0);
    CHECK(dev.stats.model_rx_start_us > r3);
    dfu_link_close(&cli);
    dfu_link_close(&dev);
}

int main(void)
{
    test_queued_rule();
    dfu_link_t dev, cli;
    uint8_t m[300], got[300];
    CHECK_EQ_INT(dfu_link_loopback_open(&dev, &cli, 256), DFU_OK);
    CHECK_EQ_INT(dev.kind, DFU_LINK_LOOPBACK);
    CHECK(dev.server && !cli.server);
    CHECK_EQ_INT(dfu_link_mtu(&cli), 256);
    CHECK_EQ_INT(dfu_link_security(&cli), 1);
    CHECK_EQ_INT(dfu_link_recv(&dev, got, sizeof(got), 1000), DFU_ERR_TIMEOUT);
    for (uint8_t i = 0; i < 3; i++) {
        memset(m, i, 10);
        CHECK_EQ_INT(dfu_link_send(&cli, m, 10u + i), DFU_OK);
    }
    for (uint8_t i = 0; i < 3; i++) {
        CHECK_EQ_INT(dfu_link_recv(&dev, got, sizeof(got), 0), 10 + i);
        CHECK_EQ_INT(got[0], i);
    }
    CHECK_EQ_INT(dfu_link_send(&cli, m, 257), DFU_ERR_MSGSIZE);
    CHECK_EQ_INT(dfu_link_send(&cli, m, 100), DFU_OK);
    CHECK_EQ_INT(dfu_link_recv(&dev, got, 50, 0), DFU_ERR_MSGSIZE);

    /* Client and device in one thread: the client's recv pumps the device. */
    echo_dev_t d = {.link = &dev};
    CHECK_EQ_INT(dfu_link_loopback_set_pump(&cli, device_step, &d), DFU_OK);
    m[0] = 0x02;
    CHECK_EQ_INT(dfu_link_send(&cli, m, 40), DFU_OK);
    CHECK_EQ_INT(dfu_link_recv(&cli, got, sizeof(got), 1000), 40);
    CHECK_EQ_INT(got[0], 0x03);
    CHECK_EQ_INT(d.served, 1);
    CHECK_EQ_INT(dfu_link_recv(&cli, got, sizeof(got), 1000), DFU_ERR_TIMEOUT); /* idle pump */
    dfu_link_t udp;
    CHECK_EQ_INT(dfu_link_udp_server_open(&udp, "127.0.0.1", 0, 0), DFU_OK);
    CHECK_EQ_INT(dfu_link_loopback_set_pump(&udp, device_step, &d), DFU_ERR_INVAL);
    dfu_link_close(&udp);
    CHECK_EQ_INT(dfu_link_loopback_open(&dev, &dev, 0), DFU_ERR_INVAL);

    /* Faults work on loopback too (generic layer). */
    dfu_link_faults_t f = {.drop_tx_nth = 1};
    dfu_link_set_faults(&dev, &f);
    CHECK_EQ_INT(dfu_link_send(&cli, m, 40), DFU_OK);
    CHECK_EQ_INT(dfu_link_recv(&cli, got, sizeof(got), 1000), DFU_ERR_TIMEOUT); /* reply lost */
    dfu_link_set_faults(&dev, NULL);

    /* Closing the device end: the client's sends fail, its recv reports the disconnect. */
    CHECK_EQ_INT(dfu_link_send(&dev, m, 5), DFU_OK); /* queued before close: still delivered */
    dfu_link_close(&dev);
    CHECK_EQ_INT(dfu_link_loopback_set_pump(&cli, NULL, NULL), DFU_OK);
    CHECK_EQ_INT(dfu_link_send(&cli, m, 5), DFU_ERR_NOTCONN);
    CHECK_EQ_INT(dfu_link_recv(&cli, got, sizeof(got), 0), 5);
    CHECK_EQ_INT(dfu_link_recv(&cli, got, sizeof(got), 0), DFU_ERR_NOTCONN);
    dfu_link_close(&cli);
    return dfu_test_finish("test_hostlink_loopback");
}
