/*
 * TCP link (client end) against a plain TCP server in the test, as QEMU's socket chardev or a
 * serial-to-TCP bridge is: TCP_NODELAY set, SMP console framing both ways (2 KiB multi-line
 * messages, console text ignored), the peer closing (recv and send report NOTCONN, no SIGPIPE),
 * a refused connection, connection strings.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

#include "dfu_test.h"
#include "dfukit/dfu_err.h"
#include "dfukit/dfu_framing.h"
#include "dfukit/dfu_link.h"

static int listen_any(uint16_t *port)
{
    int s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof(a);
    if (s < 0 || bind(s, (struct sockaddr *)&a, sizeof(a)) != 0 || listen(s, 4) != 0 ||
        getsockname(s, (struct sockaddr *)&a, &len) != 0) {
        return -1;
    }
    *port = ntohs(a.sin_port);
    return s;
}

static size_t make_msg(uint8_t *m, size_t total, uint8_t seq)
{
    memset(m, 0, 8);
    m[0] = 0x0A;
    m[2] = (uint8_t)((total - 8) >> 8);
    m[3] = (uint8_t)(total - 8);
    m[6] = seq;
    for (size_t i = 8; i < total; i++) {
        m[i] = (uint8_t)(i * 13 + seq);
    }
    return total;
}

/* Reads framed bytes from fd and decodes one message (2 s at most). Returns its length or 0. */
static size_t read_frame(int fd, uint8_t *out, size_t cap)
{
    static uint8_t buf[4100];
    dfu_serial_decoder_t dec;
    dfu_serial_decoder_init(&dec, buf, sizeof(buf), 0);
    for (;;) {
        struct pollfd pf = {.fd = fd, .events = POLLIN};
        uint8_t b;
        if (poll(&pf, 1, 2000) <= 0 || read(fd, &b, 1) != 1) {
            return 0;
        }
        const uint8_t *msg = NULL;
        int n = dfu_serial_feed(&dec, b, &msg);
        if (n > 0 && (size_t)n <= cap) {
            memcpy(out, msg, (size_t)n);
            return (size_t)n;
        }
    }
}

static void test_round_trip(void)
{
    uint16_t port = 0;
    int ls = listen_any(&port);
    CHECK(ls >= 0);
    dfu_link_t cli;
    CHECK_EQ_INT(dfu_link_tcp_client_open(&cli, "127.0.0.1", port, 0), DFU_OK);
    CHECK_EQ_INT(cli.kind, DFU_LINK_TCP);
    CHECK_EQ_INT(dfu_link_mtu(&cli), DFU_LINK_SERIAL_MTU);
    int one = 0;
    socklen_t ol = sizeof(one);
    CHECK(getsockopt(dfu_link_fd(&cli), IPPROTO_TCP, TCP_NODELAY, &one, &ol) == 0 && one == 1);
    int srv = accept(ls, NULL, NULL);
    CHECK(srv >= 0);

    static uint8_t msg[2048], got[4096], wire[4096];
    size_t len = make_msg(msg, sizeof(msg), 7);
    CHECK_EQ_INT(dfu_link_send(&cli, msg, len), DFU_OK);
    CHECK_EQ_INT(read_frame(srv, got, sizeof(got)), len);
    CHECK_MEM(got, msg, len);

    /* device -> client: console text first (a boot line), then the frame */
    const char *text = "dfukit-boot: swap=none slot=0 reason=\"ok\"\n";
    CHECK_EQ_INT(write(srv, text, strlen(text)), (int)strlen(text));
    len = make_msg(msg, 300, 9);
    int n = dfu_serial_encode(msg, len, wire, sizeof(wire));
    CHECK(n > 0);
    CHECK_EQ_INT(write(srv, wire, (size_t)n), n);
    CHECK_EQ_INT(dfu_link_recv(&cli, got, sizeof(got), 2000), (int)len);
    CHECK_MEM(got, msg, len);
    CHECK_EQ_INT(dfu_link_recv(&cli, got, sizeof(got), 50), DFU_ERR_TIMEOUT);

    /* the emulator exits: the peer closes */
    close(srv);
    CHECK_EQ_INT(dfu_link_recv(&cli, got, sizeof(got), 2000), DFU_ERR_NOTCONN);
    int rc = DFU_OK;
    for (int i = 0; i < 4 && rc == DFU_OK; i++) { /* the first send may still be accepted */
        rc = dfu_link_send(&cli, msg, len);
    }
    CHECK_EQ_INT(rc, DFU_ERR_NOTCONN);
    dfu_link_close(&cli);
    close(ls);
}

static void test_refused_and_specs(void)
{
    uint16_t port = 0;
    int ls = listen_any(&port);
    CHECK(ls >= 0);
    dfu_link_t l;
    char spec[64];
    snprintf(spec, sizeof(spec), "tcp:127.0.0.1:%u", (unsigned)port);
    CHECK_EQ_INT(dfu_link_open(&l, spec, false), DFU_OK);
    CHECK_EQ_INT(l.kind, DFU_LINK_TCP);
    dfu_link_close(&l);
    CHECK_EQ_INT(dfu_link_open(&l, spec, true), DFU_ERR_NOTSUP);
    CHECK_EQ_INT(dfu_link_open(&l, "tcp:127.0.0.1", false), DFU_ERR_INVAL);
    CHECK_EQ_INT(dfu_link_open(&l, "tcp::1234", false), DFU_ERR_INVAL);
    CHECK_EQ_INT(dfu_link_tcp_client_open(&l, "", port, 0), DFU_ERR_INVAL);
    CHECK_EQ_INT(dfu_link_tcp_client_open(&l, "127.0.0.1", 0, 0), DFU_ERR_INVAL);
    close(ls); /* nothing listens on `port` any more */
    CHECK_EQ_INT(dfu_link_tcp_client_open(&l, "127.0.0.1", port, 0), DFU_ERR_NOTCONN);
}

int main(void)
{
    test_round_trip();
    test_refused_and_specs();
    return dfu_test_finish("test_hostlink_tcp");
}
