/* In-process loopback pair: order, MTU, pump-driven single-threaded exchange, close semantics. */
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

int main(void)
{
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
