/* SMP packet reassembly (BLE): messages split into ATT-MTU-sized packets, short first packets,
 * oversize, surplus bytes, out-of-order and empty packets. */
#include "dfu_test.h"
#include "dfukit/dfu_err.h"
#include "dfukit/dfu_framing.h"

static uint8_t msg[600];

static size_t make_msg(size_t payload)
{
    msg[0] = 0x0a;
    msg[1] = 0;
    msg[2] = (uint8_t)(payload >> 8);
    msg[3] = (uint8_t)payload;
    msg[4] = 0;
    msg[5] = 1;
    msg[6] = 0x33;
    msg[7] = 1;
    for (size_t i = 0; i < payload; i++) {
        msg[8 + i] = (uint8_t)(i * 13);
    }
    return 8 + payload;
}

/* Feeds `len` bytes in packets of `mtu`; returns the final feed result. */
static int feed_split(dfu_reasm_t *r, size_t len, size_t mtu, int *early)
{
    int rc = 0;
    *early = 0;
    for (size_t off = 0; off < len; off += mtu) {
        size_t n = len - off < mtu ? len - off : mtu;
        rc = dfu_reasm_feed(r, msg + off, n);
        if (off + n < len && rc != 0) {
            (*early)++;
        }
    }
    return rc;
}

int main(void)
{
    uint8_t buf[384];
    dfu_reasm_t r;
    CHECK_EQ_INT(dfu_reasm_init(&r, buf, 4), DFU_ERR_INVAL);
    CHECK_EQ_INT(dfu_reasm_init(&r, buf, sizeof buf), 0);
    int early;
    /* whole message in one packet, and split at MTU-3 sizes 20, 61, 244 */
    const size_t mtus[] = {384, 20, 61, 244, 8, 9};
    for (size_t m = 0; m < sizeof(mtus) / sizeof(mtus[0]); m++) {
        for (size_t payload = 0; payload <= 376; payload += 47) {
            size_t len = make_msg(payload);
            int rc = feed_split(&r, len, mtus[m], &early);
            CHECK_EQ_INT(rc, (int)len);
            CHECK_EQ_INT(early, 0);
            CHECK_MEM(buf, msg, len);
        }
    }
    /* first packet shorter than the header: dropped, then a good message works */
    size_t len = make_msg(30);
    CHECK_EQ_INT(dfu_reasm_feed(&r, msg, 7), DFU_ERR_CORRUPT);
    CHECK_EQ_INT(dfu_reasm_feed(&r, msg, len), (int)len);
    /* empty packet */
    CHECK_EQ_INT(dfu_reasm_feed(&r, msg, 0), DFU_ERR_CORRUPT);
    /* too long for the buffer (8 + 377 > 384) */
    len = make_msg(377);
    CHECK_EQ_INT(dfu_reasm_feed(&r, msg, 20), DFU_ERR_MSGSIZE);
    CHECK_EQ_INT(r.expect, 0);
    /* surplus bytes in one packet or across packets */
    len = make_msg(10);
    CHECK_EQ_INT(dfu_reasm_feed(&r, msg, len + 1 > sizeof msg ? len : len + 1), DFU_ERR_RANGE);
    CHECK_EQ_INT(dfu_reasm_feed(&r, msg, 12), 0);
    CHECK_EQ_INT(dfu_reasm_feed(&r, msg + 12, 10), DFU_ERR_RANGE);
    CHECK_EQ_INT(r.expect, 0);
    CHECK_EQ_INT(dfu_reasm_feed(&r, msg, len), (int)len);
    /* out of order: the second fragment arrives first. It is taken as a header (whatever its
     * bytes say); the transport resets on timeout/disconnect and the next message is intact. */
    len = make_msg(100);
    int rc = dfu_reasm_feed(&r, msg + 20, 20);
    (void)dfu_reasm_feed(&r, msg, 20);
    CHECK(r.have <= r.cap);
    dfu_reasm_reset(&r);
    CHECK_EQ_INT(feed_split(&r, len, 20, &early), (int)len);
    CHECK_MEM(buf, msg, len);
    /* random packet soup never overflows (ASan) and a reset always recovers */
    uint32_t x = 7;
    for (int i = 0; i < 100000; i++) {
        x = x * 1664525u + 1013904223u;
        size_t n = (x >> 8) % 70;
        uint8_t pkt[70];
        for (size_t k = 0; k < n; k++) {
            pkt[k] = (uint8_t)(x >> (k % 24));
        }
        rc = dfu_reasm_feed(&r, pkt, n);
        CHECK(rc >= DFU_ERR_RANGE || rc == DFU_ERR_MSGSIZE || rc == DFU_ERR_CORRUPT);
        CHECK(r.have <= r.cap);
    }
    dfu_reasm_reset(&r);
    len = make_msg(200);
    CHECK_EQ_INT(feed_split(&r, len, 23, &early), (int)len);
    return dfu_test_finish("test_transport_reasm");
}
