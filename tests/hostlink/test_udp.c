/* UDP link on 127.0.0.1: round trip, answers to each request's source with several clients,
 * oversized datagrams, timing model, faults. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include "dfu_test.h"
#include "dfukit/dfu_err.h"
#include "dfukit/dfu_link.h"

static void fill(uint8_t *p, size_t n, uint8_t seed)
{
    for (size_t i = 0; i < n; i++) {
        p[i] = (uint8_t)(seed + i * 7);
    }
}

static void test_round_trip(void)
{
    dfu_link_t srv, cli, cli2;
    uint8_t msg[600], got[2000];
    CHECK_EQ_INT(dfu_link_udp_server_open(&srv, "127.0.0.1", 0, 0), DFU_OK);
    uint16_t port = dfu_link_udp_port(&srv);
    CHECK(port != 0);
    CHECK_EQ_INT(dfu_link_mtu(&srv), DFU_LINK_UDP_MTU);
    CHECK_EQ_INT(dfu_link_security(&srv), 0);
    /* Nobody has talked to the server yet: nowhere to reply. */
    CHECK_EQ_INT(dfu_link_send(&srv, msg, 10), DFU_ERR_NOTCONN);
    CHECK_EQ_INT(dfu_link_recv(&srv, got, sizeof(got), 0), DFU_ERR_TIMEOUT);

    CHECK_EQ_INT(dfu_link_udp_client_open(&cli, "127.0.0.1", port, 0), DFU_OK);
    CHECK_EQ_INT(dfu_link_udp_client_open(&cli2, "localhost", port, 0), DFU_OK);
    dfu_link_t none;
    /* a name that never resolves (RFC 6761 .invalid): NODEV, as the TCP link, not INVAL */
    CHECK_EQ_INT(dfu_link_udp_client_open(&none, "nosuchhost.invalid", port, 0), DFU_ERR_NODEV);
    fill(msg, sizeof(msg), 1);
    CHECK_EQ_INT(dfu_link_send(&cli, msg, sizeof(msg)), DFU_OK);
    CHECK_EQ_INT(dfu_link_recv(&srv, got, sizeof(got), 2000), (int)sizeof(msg));
    CHECK_MEM(got, msg, sizeof(msg));
    fill(msg, 64, 9);
    CHECK_EQ_INT(dfu_link_send(&srv, msg, 64), DFU_OK);
    CHECK_EQ_INT(dfu_link_recv(&cli, got, sizeof(got), 2000), 64);
    CHECK_MEM(got, msg, 64);
    /* A second client: the server answers the request it handles. */
    CHECK_EQ_INT(dfu_link_send(&cli2, msg, 20), DFU_OK);
    CHECK_EQ_INT(dfu_link_recv(&srv, got, sizeof(got), 2000), 20);
    CHECK_EQ_INT(dfu_link_send(&srv, msg, 30), DFU_OK);
    CHECK_EQ_INT(dfu_link_recv(&cli2, got, sizeof(got), 2000), 30);
    CHECK_EQ_INT(dfu_link_recv(&cli, got, sizeof(got), 50), DFU_ERR_TIMEOUT);
    CHECK_EQ_INT(dfu_link_udp_port(&cli), port);
    dfu_link_close(&cli2);
    dfu_link_close(&cli);
    dfu_link_close(&cli); /* idempotent */
    dfu_link_close(&srv);
}

/* Several clients at once (Zephyr's UDP transport): both send before the device reads anything;
 * each answer goes to the source of the request being handled, not to whoever sent last. */
static void test_clients(void)
{
    dfu_link_t srv, a, b;
    uint8_t got[64], ma[8] = "from-a", mb[8] = "from-b";
    char peer[48], pa[48];
    CHECK_EQ_INT(dfu_link_udp_server_open(&srv, "127.0.0.1", 0, 0), DFU_OK);
    uint16_t port = dfu_link_udp_port(&srv);
    CHECK_EQ_INT(dfu_link_udp_peer(&srv, peer, sizeof(peer)), DFU_ERR_NOTCONN);
    CHECK_EQ_INT(dfu_link_udp_client_open(&a, "127.0.0.1", port, 0), DFU_OK);
    CHECK_EQ_INT(dfu_link_udp_client_open(&b, "127.0.0.1", port, 0), DFU_OK);
    for (int round = 0; round < 3; round++) {
        CHECK_EQ_INT(dfu_link_send(&a, ma, sizeof(ma)), DFU_OK);
        CHECK_EQ_INT(dfu_link_send(&b, mb, sizeof(mb)), DFU_OK); /* b is the last sender */
        usleep(10000);
        CHECK_EQ_INT(dfu_link_recv(&srv, got, sizeof(got), 2000), (int)sizeof(ma));
        CHECK_MEM(got, ma, sizeof(ma));
        CHECK(dfu_link_udp_peer(&srv, pa, sizeof(pa)) > 0);
        CHECK_EQ_INT(dfu_link_send(&srv, (const uint8_t *)"to-a", 4), DFU_OK);
        CHECK_EQ_INT(dfu_link_recv(&srv, got, sizeof(got), 2000), (int)sizeof(mb));
        CHECK_MEM(got, mb, sizeof(mb));
        CHECK(dfu_link_udp_peer(&srv, peer, sizeof(peer)) > 0 && strcmp(peer, pa) != 0);
        CHECK_EQ_INT(dfu_link_send(&srv, (const uint8_t *)"to-b", 4), DFU_OK);
        CHECK_EQ_INT(dfu_link_recv(&a, got, sizeof(got), 2000), 4);
        CHECK_MEM(got, "to-a", 4);
        CHECK_EQ_INT(dfu_link_recv(&b, got, sizeof(got), 2000), 4);
        CHECK_MEM(got, "to-b", 4);
    }
    CHECK(strncmp(pa, "127.0.0.1:", 10) == 0);
    CHECK_EQ_INT(dfu_link_udp_peer(&srv, peer, 4), DFU_ERR_NOMEM);
    CHECK_EQ_INT(dfu_link_udp_peer(&a, peer, sizeof(peer)) > 0, 1); /* client: its server */
    dfu_link_close(&a);
    dfu_link_close(&b);
    dfu_link_close(&srv);
}

static void test_oversize(void)
{
    dfu_link_t srv, cli;
    uint8_t big[3000], got[4000];
    fill(big, sizeof(big), 3);
    CHECK_EQ_INT(dfu_link_udp_server_open(&srv, "127.0.0.1", 0, 1024), DFU_OK);
    CHECK_EQ_INT(dfu_link_mtu(&srv), 1024);
    uint16_t port = dfu_link_udp_port(&srv);
    CHECK_EQ_INT(dfu_link_udp_client_open(&cli, "127.0.0.1", port, 2048), DFU_OK);
    /* Sender side: larger than its own MTU -> refused, nothing sent. */
    CHECK_EQ_INT(dfu_link_send(&cli, big, 2049), DFU_ERR_MSGSIZE);
    CHECK_EQ_INT(dfu_link_recv(&srv, got, sizeof(got), 50), DFU_ERR_TIMEOUT);
    /* Receiver side: a 1025..2048-byte datagram exceeds the server's 1024 -> discarded. */
    CHECK_EQ_INT(dfu_link_send(&cli, big, 1025), DFU_OK);
    CHECK_EQ_INT(dfu_link_recv(&srv, got, sizeof(got), 2000), DFU_ERR_MSGSIZE);
    /* A raw third-party datagram far above the MTU, then a good one: the link carries on. */
    int s = socket(AF_INET, SOCK_DGRAM, 0);
    struct sockaddr_in to = {.sin_family = AF_INET, .sin_port = htons(port)};
    to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    CHECK(sendto(s, big, sizeof(big), 0, (struct sockaddr *)&to, sizeof(to)) ==
          (ssize_t)sizeof(big));
    CHECK_EQ_INT(dfu_link_recv(&srv, got, sizeof(got), 2000), DFU_ERR_MSGSIZE);
    close(s);
    /* Message fits the MTU but not the caller's buffer -> also MSGSIZE, and discarded. */
    CHECK_EQ_INT(dfu_link_send(&cli, big, 100), DFU_OK);
    CHECK_EQ_INT(dfu_link_recv(&srv, got, 50, 2000), DFU_ERR_MSGSIZE);
    CHECK_EQ_INT(dfu_link_send(&cli, big, 1024), DFU_OK);
    CHECK_EQ_INT(dfu_link_recv(&srv, got, sizeof(got), 2000), 1024);
    CHECK_MEM(got, big, 1024);
    dfu_link_t tmp;
    CHECK_EQ_INT(dfu_link_udp_server_open(&tmp, "127.0.0.1", 0, DFU_LINK_UDP_MTU_MAX + 1),
                 DFU_ERR_INVAL);
    dfu_link_close(&cli);
    dfu_link_close(&srv);
    /* Nothing listens any more: the client learns it (ICMP port unreachable). */
    CHECK_EQ_INT(dfu_link_udp_client_open(&cli, "127.0.0.1", port, 0), DFU_OK);
    CHECK_EQ_INT(dfu_link_send(&cli, big, 10), DFU_OK);
    int rc = dfu_link_recv(&cli, got, sizeof(got), 200);
    CHECK(rc == DFU_ERR_REFUSED || rc == DFU_ERR_TIMEOUT);
    dfu_link_close(&cli);
}

static void test_model_and_faults(void)
{
    dfu_link_t srv, cli;
    uint8_t msg[1000], got[2000];
    fill(msg, sizeof(msg), 5);
    CHECK_EQ_INT(dfu_link_udp_server_open(&srv, "127.0.0.1", 0, 0), DFU_OK);
    CHECK_EQ_INT(dfu_link_udp_client_open(&cli, "127.0.0.1", dfu_link_udp_port(&srv), 0), DFU_OK);
    dfu_linkmodel_t m;
    CHECK_EQ_INT(dfu_linkmodel_parse(&m, "serial,baud=115200"), DFU_OK);
    CHECK_EQ_INT(dfu_link_set_model(&srv, &m), DFU_OK);
    /* Request up (modelled on receipt) + response down (modelled before sending). */
    uint64_t want = dfu_linkmodel_exchange_us(&m, 100, 1000, 0);
    uint64_t t0 = dfu_link_now_us();
    CHECK_EQ_INT(dfu_link_send(&cli, msg, 100), DFU_OK);
    CHECK_EQ_INT(dfu_link_recv(&srv, got, sizeof(got), 2000), 100);
    uint64_t up_start = srv.stats.model_rx_start_us;
    CHECK_EQ_INT(dfu_link_send(&srv, msg, 1000), DFU_OK);
    /* on the modelled timeline the reply follows the request it answers, whatever the host did
     * in between (serial: no turnaround) */
    CHECK_EQ_INT(srv.stats.model_done_us - up_start, want);
    CHECK_EQ_INT(dfu_link_recv(&cli, got, sizeof(got), 2000), 1000);
    uint64_t took = dfu_link_now_us() - t0;
    printf("udp with serial,baud=115200 model: 100 B up + 1000 B down took %llu us (model %llu)\n",
           (unsigned long long)took, (unsigned long long)want);
    CHECK(took >= want);
    CHECK(took < want + 1000000);
    CHECK(srv.stats.modelled_delay_us > 0 && srv.stats.modelled_delay_us <= want);
    dfu_linkmodel_t off = {0};
    CHECK_EQ_INT(dfu_link_set_model(&srv, &off), DFU_OK);
    dfu_linkmodel_t badm = {.kind = DFU_LINKMODEL_SERIAL};
    CHECK_EQ_INT(dfu_link_set_model(&srv, &badm), DFU_ERR_INVAL);

    /* Faults on the client: 2nd sent message lost, 3rd garbled, link drops after 4 messages. */
    dfu_link_faults_t f;
    CHECK_EQ_INT(dfu_link_faults_parse(&f, "drop_tx=2,garble_tx=3,drop_after=4"), DFU_OK);
    CHECK_EQ_INT(f.drop_tx_nth, 2);
    CHECK_EQ_INT(f.garble_tx_nth, 3);
    CHECK_EQ_INT(f.drop_link_after, 4);
    CHECK_EQ_INT(dfu_link_faults_parse(&f, "drop_tx=x"), DFU_ERR_INVAL);
    CHECK_EQ_INT(dfu_link_faults_parse(&f, "loss=1001"), DFU_ERR_INVAL);
    CHECK_EQ_INT(dfu_link_faults_parse(&f, "bogus=1"), DFU_ERR_INVAL);
    CHECK_EQ_INT(dfu_link_faults_parse(&f, "drop_tx=2,garble_tx=3,drop_after=4"), DFU_OK);
    dfu_link_set_faults(&cli, &f);
    for (uint8_t i = 1; i <= 4; i++) {
        msg[0] = i;
        CHECK_EQ_INT(dfu_link_send(&cli, msg, 10), DFU_OK);
    }
    CHECK_EQ_INT(dfu_link_recv(&srv, got, sizeof(got), 1000), 10);
    CHECK_EQ_INT(got[0], 1);
    CHECK_EQ_INT(dfu_link_recv(&srv, got, sizeof(got), 1000), 10);
    CHECK_EQ_INT(got[0], 3);
    CHECK_EQ_INT(got[5], (uint8_t)(msg[5] ^ 0xFF));
    CHECK_EQ_INT(dfu_link_recv(&srv, got, sizeof(got), 1000), 10);
    CHECK_EQ_INT(got[0], 4);
    CHECK_EQ_INT(dfu_link_send(&cli, msg, 10), DFU_OK); /* 4th delivered message: now dropped */
    CHECK_EQ_INT(dfu_link_send(&cli, msg, 10), DFU_ERR_NOTCONN);
    CHECK_EQ_INT(dfu_link_recv(&cli, got, sizeof(got), 10), DFU_ERR_NOTCONN);
    CHECK_EQ_INT(cli.stats.tx_dropped, 1);
    CHECK_EQ_INT(dfu_link_reconnect(&cli), DFU_OK);
    dfu_link_set_faults(&cli, NULL);
    CHECK_EQ_INT(dfu_link_send(&cli, msg, 10), DFU_OK);
    (void)dfu_link_recv(&srv, got, sizeof(got), 1000); /* the 4th from before */
    CHECK_EQ_INT(dfu_link_recv(&srv, got, sizeof(got), 1000), 10);

    /* Random loss: 50 % with a fixed seed loses some but not all of 40 messages. */
    CHECK_EQ_INT(dfu_link_faults_parse(&f, "loss=500,seed=7"), DFU_OK);
    dfu_link_set_faults(&cli, &f);
    for (int i = 0; i < 40; i++) {
        CHECK_EQ_INT(dfu_link_send(&cli, msg, 10), DFU_OK);
    }
    int n = 0;
    while (dfu_link_recv(&srv, got, sizeof(got), 100) == 10) {
        n++;
    }
    CHECK(n > 5 && n < 35);
    CHECK_EQ_INT(n + (int)cli.stats.tx_dropped, 40);
    dfu_link_close(&cli);
    dfu_link_close(&srv);
}

/* NET model on UDP: a message that finds the link idle pays the one-way latency; messages the
 * peer had already queued arrive back to back (their latency overlapped). */
static void test_net_model_pipelining(void)
{
    dfu_link_t srv, cli;
    uint8_t msg[200], got[400];
    fill(msg, sizeof(msg), 9);
    CHECK_EQ_INT(dfu_link_udp_server_open(&srv, "127.0.0.1", 0, 0), DFU_OK);
    CHECK_EQ_INT(dfu_link_udp_client_open(&cli, "127.0.0.1", dfu_link_udp_port(&srv), 0), DFU_OK);
    dfu_linkmodel_t m;
    CHECK_EQ_INT(dfu_linkmodel_parse(&m, "net,kbps=100000,lat=100"), DFU_OK);
    CHECK_EQ_INT(dfu_link_set_model(&srv, &m), DFU_OK);
    /* idle link: one message, one latency */
    uint64_t t0 = dfu_link_now_us();
    CHECK_EQ_INT(dfu_link_send(&cli, msg, sizeof(msg)), DFU_OK);
    CHECK_EQ_INT(dfu_link_recv(&srv, got, sizeof(got), 2000), (int)sizeof(msg));
    uint64_t one = dfu_link_now_us() - t0;
    CHECK(one >= 100000);
    /* three queued messages: still about one latency in all, not three */
    t0 = dfu_link_now_us();
    for (int i = 0; i < 3; i++) {
        CHECK_EQ_INT(dfu_link_send(&cli, msg, sizeof(msg)), DFU_OK);
    }
    usleep(20000); /* let them all land in the socket before the device looks */
    for (int i = 0; i < 3; i++) {
        CHECK_EQ_INT(dfu_link_recv(&srv, got, sizeof(got), 2000), (int)sizeof(msg));
    }
    uint64_t three = dfu_link_now_us() - t0;
    printf("net model: idle message %llu us, 3 queued messages %llu us (latency 100 ms)\n",
           (unsigned long long)one, (unsigned long long)three);
    /* one latency (100 ms) plus scheduling, clearly below three latencies (300 ms): the margin
     * leaves a loaded machine 180 ms of stalls */
    CHECK(three < 280000);
    dfu_link_close(&cli);
    dfu_link_close(&srv);
}

static void test_open_spec(void)
{
    dfu_link_t srv, cli;
    uint8_t msg[32] = {1, 2, 3}, got[64];
    CHECK_EQ_INT(dfu_link_open(&srv, "udp:127.0.0.1:0", true), DFU_ERR_INVAL); /* port 0 */
    CHECK_EQ_INT(dfu_link_open(&srv, "udp:127.0.0.1:41337,mtu=300", true), DFU_OK);
    CHECK_EQ_INT(dfu_link_mtu(&srv), 300);
    CHECK_EQ_INT(dfu_link_udp_port(&srv), 41337);
    CHECK_EQ_INT(dfu_link_open(&cli, "udp::41337", false), DFU_OK); /* default host 127.0.0.1 */
    CHECK_EQ_INT(cli.kind, DFU_LINK_UDP);
    CHECK_EQ_INT(dfu_link_send(&cli, msg, sizeof(msg)), DFU_OK);
    CHECK_EQ_INT(dfu_link_recv(&srv, got, sizeof(got), 2000), (int)sizeof(msg));
    dfu_link_close(&cli);
    dfu_link_close(&srv);
    CHECK_EQ_INT(dfu_link_open(&cli, "udp", false), DFU_ERR_INVAL);
    CHECK_EQ_INT(dfu_link_open(&cli, "tcp:1.2.3.4", false), DFU_ERR_INVAL);
    CHECK_EQ_INT(dfu_link_open(&cli, "udp:127.0.0.1:99999", false), DFU_ERR_INVAL);
    CHECK_EQ_INT(dfu_link_open(&cli, "udp:127.0.0.1,mtu=x", false), DFU_ERR_INVAL);
    CHECK_EQ_INT(dfu_link_open(&cli, "udp:127.0.0.1,frob=1", false), DFU_ERR_INVAL);
    CHECK_EQ_INT(dfu_link_open(&cli, "serial:", false), DFU_ERR_INVAL);
}

int main(void)
{
    test_round_trip();
    test_clients();
    test_net_model_pipelining();
    test_open_spec();
    test_oversize();
    test_model_and_faults();
    return dfu_test_finish("test_hostlink_udp");
}
