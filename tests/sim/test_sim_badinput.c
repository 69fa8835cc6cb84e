/*
 * Acceptance 5: bad input on every transport is dropped or answered with an error, and the sim
 * keeps serving: UDP garbage / short / truncated / bad-op / bad-CBOR / oversized datagrams; serial
 * console text, broken base64, bad CRC, truncated and oversized frames written raw to the pty;
 * BLE garbage on the socket, out-of-order fragments, oversized messages. After each, an echo
 * must work on that transport, and the process must still be running at the end.
 */
#include <fcntl.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "dfu_test.h"
#include "dfukit/dfu_err.h"
#include "dfukit/dfu_framing.h"
#include "dfukit/dfu_host_ble.h"
#include "dfukit/dfu_smp.h"
#include "sim_harness.h"

#define TMO 2000

static simproc_t p;

/* Builds an echo request with `n` text bytes of 'z' into msg; returns its length. */
static size_t echo_msg(uint8_t *msg, size_t n, uint8_t seq)
{
    size_t plen;
    msg[8] = 0xa1;
    msg[9] = 0x61;
    msg[10] = 'd';
    msg[11] = 0x79; /* text, 2-byte length */
    msg[12] = (uint8_t)(n >> 8);
    msg[13] = (uint8_t)n;
    memset(msg + 14, 'z', n);
    plen = 6 + n;
    dfu_smp_hdr_t h = {.op = DFU_SMP_OP_WRITE,
                       .version = DFU_SMP_VER2,
                       .len = (uint16_t)plen,
                       .group = 0,
                       .seq = seq,
                       .id = 0};
    dfu_smp_hdr_encode(&h, msg);
    return 8 + plen;
}

/* Sends raw bytes as one message and drains what comes back: any response must be an error. */
static void send_bad(dfu_link_t *l, const uint8_t *msg, size_t len, const char *what)
{
    int rc = dfu_link_send(l, msg, len);
    CHECK(rc == DFU_OK || rc == DFU_ERR_MSGSIZE);
    static uint8_t in[70000];
    int n = dfu_link_recv(l, in, sizeof(in), 200);
    if (n >= 8) {
        struct cbor_load_result res;
        cbor_item_t *m = cbor_load(in + 8, (size_t)n - 8, &res);
        bool err = m != NULL && (smp_get(m, "rc") != NULL || smp_get(m, "err") != NULL);
        if (!err) {
            fprintf(stderr, "%s: got a non-error response\n", what);
        }
        CHECK(err);
        if (m != NULL) {
            cbor_decref(&m);
        }
    }
    CHECK_EQ_INT(smp_echo(l, what, TMO), 0);
}

static void udp_cases(void)
{
    dfu_link_t l;
    CHECK_EQ_INT(dfu_link_udp_client_open(&l, "127.0.0.1", p.udp_port, DFU_LINK_UDP_MTU_MAX), 0);
    CHECK_EQ_INT(smp_echo(&l, "udp up", TMO), 0);
    static uint8_t b[65507];
    uint32_t x = 7;
    for (size_t i = 0; i < 300; i++) {
        x = x * 1103515245u + 12345u;
        b[i] = (uint8_t)(x >> 16);
    }
    send_bad(&l, b, 300, "udp garbage");
    send_bad(&l, b, 3, "udp short");
    size_t n = echo_msg(b, 40, 200);
    send_bad(&l, b, n - 20, "udp truncated payload");
    n = echo_msg(b, 40, 201);
    b[0] = (uint8_t)(b[0] | 0x07u); /* op 7: invalid */
    send_bad(&l, b, n, "udp bad op");
    n = echo_msg(b, 40, 202);
    memset(b + 8, 0xff, n - 8); /* CBOR breaks everywhere */
    send_bad(&l, b, n, "udp bad cbor");
    n = echo_msg(b, 3000, 203); /* larger than the app's buf_size (2475) */
    send_bad(&l, b, n, "udp over buf_size");
    memset(b, 0x41, sizeof(b));
    send_bad(&l, b, sizeof(b), "udp 64k datagram");
    CHECK(h_log_count(&p, "larger than buf_size") >= 2);
    dfu_link_close(&l);
}

static void serial_cases(const char *path)
{
    int fd = open(path, O_RDWR | O_NOCTTY);
    CHECK(fd >= 0);
    static const char *junk[] = {
        "console text without a marker\n",
        "\x06\x09!!!!not*base64###\n",
        "\x06\x09"
        "AAAA\n", /* too short for a length + CRC */
        "\x04\x14"
        "orphan continuation\n",
        "\x06\x09", /* frame start cut short by the next frame */
    };
    for (size_t i = 0; i < sizeof(junk) / sizeof(junk[0]); i++) {
        CHECK(write(fd, junk[i], strlen(junk[i])) == (ssize_t)strlen(junk[i]));
    }
    static uint8_t msg[8000], fr[16000];
    size_t n = echo_msg(msg, 40, 210);
    int fl = dfu_serial_encode(msg, n, fr, sizeof(fr));
    CHECK(fl > 10);
    fr[5] = fr[5] == 'A' ? 'B' : 'A'; /* still base64, CRC now wrong */
    CHECK(write(fd, fr, (size_t)fl) == fl);
    n = echo_msg(msg, 3000, 211); /* a valid frame larger than buf_size */
    fl = dfu_serial_encode(msg, n, fr, sizeof(fr));
    CHECK(fl > 0 && write(fd, fr, (size_t)fl) == fl);
    n = echo_msg(msg, 6000, 212); /* larger than the link's 4096-byte mtu */
    fl = dfu_serial_encode(msg, n, fr, sizeof(fr));
    CHECK(fl > 0 && write(fd, fr, (size_t)fl) == fl);
    usleep(200000); /* let the device read it all (opening the client flushes the tty) */
    close(fd);
    dfu_link_t l;
    CHECK_EQ_INT(dfu_link_serial_client_open(&l, path, 0, 0), 0);
    CHECK_EQ_INT(smp_echo(&l, "serial still up", TMO), 0);
    uint8_t g[200];
    memset(g, 0x5a, sizeof(g));
    send_bad(&l, g, sizeof(g), "serial garbage message");
    dfu_link_close(&l);
}

static int ble_open(dfu_link_t *l, const char *sock)
{
    dfu_ble_client_cfg_t c = {.mtu = 247};
    return dfu_link_ble_client_open(l, sock, &c);
}

static void ble_cases(const char *sock)
{
    /* Raw garbage on the model's socket (not even the wire protocol). */
    int s = socket(AF_UNIX, SOCK_STREAM, 0);
    struct sockaddr_un a = {.sun_family = AF_UNIX};
    CHECK(strlen(sock) < sizeof(a.sun_path));
    memcpy(a.sun_path, sock, strlen(sock) + 1 < sizeof(a.sun_path) ? strlen(sock) + 1 : 0);
    CHECK(connect(s, (struct sockaddr *)&a, sizeof(a)) == 0);
    uint8_t junk[512];
    for (size_t i = 0; i < sizeof(junk); i++) {
        junk[i] = (uint8_t)(i * 37u + 11u);
    }
    CHECK(write(s, junk, sizeof(junk)) == (ssize_t)sizeof(junk));
    usleep(50000);
    close(s);

    dfu_link_t l;
    int rc = DFU_ERR_NOTCONN;
    for (int i = 0; i < 100 && rc != DFU_OK; i++) {
        rc = ble_open(&l, sock);
        if (rc != DFU_OK) {
            usleep(20000);
        }
    }
    CHECK_EQ_INT(rc, DFU_OK);
    CHECK_EQ_INT(smp_echo(&l, "ble up", TMO), 0);

    /* Oversized message: the header announces more than buf_size; every fragment is dropped. */
    static uint8_t msg[4000], re[4000];
    size_t n = echo_msg(msg, 3000, 220);
    CHECK_EQ_INT(dfu_link_send(&l, msg, n), DFU_OK);
    CHECK_EQ_INT(smp_echo(&l, "after oversized", TMO), 0);

    /* Out-of-order fragments: [middle, first, last]. The device drops what does not parse; a
     * partial message stays pending until the central reconnects (as on a real stack). */
    n = echo_msg(msg, 600, 221);
    size_t frag = (size_t)l.att_mtu - 3u;
    memcpy(re, msg + frag, frag);
    memcpy(re + frag, msg, frag);
    memcpy(re + 2 * frag, msg + 2 * frag, n - 2 * frag);
    CHECK_EQ_INT(dfu_link_send(&l, re, n), DFU_OK);
    dfu_link_drop(&l, DFU_BLE_REASON_REMOTE_USER);
    rc = dfu_link_reconnect(&l);
    CHECK_EQ_INT(rc, DFU_OK);
    CHECK_EQ_INT(smp_echo(&l, "after out of order", TMO), 0);

    /* A message whose header is shorter than 8 bytes in the first fragment. */
    uint8_t tiny[5] = {2, 0, 0, 1, 0};
    CHECK_EQ_INT(dfu_link_send(&l, tiny, sizeof(tiny)), DFU_OK);
    CHECK_EQ_INT(smp_echo(&l, "after tiny", TMO), 0);
    dfu_link_close(&l);
}

int main(void)
{
    char dir[128], flash[300], base[300], pty[300], sock[300];
    CHECK_EQ_INT(h_tmpdir(dir, sizeof(dir), "bad"), 0);
    snprintf(flash, sizeof(flash), "%s/flash.bin", dir);
    snprintf(base, sizeof(base), "%s/base.img", dir);
    snprintf(pty, sizeof(pty), "%s/tty", dir);
    snprintf(sock, sizeof(sock), "%s/ble.sock", dir);
    CHECK_EQ_INT(h_make_image(base, "1.0.0", "name=base,confirm=boot", 20 * 1024, 41), 0);
    const char *args[] = {"--install", base,    "--udp", "127.0.0.1:0", "--serial",
                          pty,         "--ble", sock,    NULL};
    CHECK_EQ_INT(h_spawn(&p, dir, "sim", flash, 3, args), 0);
    udp_cases();
    serial_cases(pty);
    ble_cases(sock);
    CHECK_EQ_INT(h_wait_exit(&p, 0), -1); /* still running */
    CHECK_EQ_INT(h_log_count(&p, "boot #2"), 0);
    CHECK_EQ_INT(h_stop(&p), 0);
    /* --udp with a host name that does not resolve (RFC 6761 .invalid): refused, and said so */
    simproc_t q;
    char flash2[300];
    snprintf(flash2, sizeof(flash2), "%s/flash2.bin", dir);
    const char *bad_host[] = {"--install", base, "--udp", "nosuchhost.invalid:0", NULL};
    CHECK_EQ_INT(h_spawn(&q, dir, "nohost", flash2, 1, bad_host), -1);
    CHECK_EQ_INT(
        h_log_count(&q, "cannot open udp nosuchhost.invalid:0: the host name did not resolve"), 1);
    h_cleanup(dfu_test_fail_count);
    return dfu_test_finish("test_sim_badinput");
}
