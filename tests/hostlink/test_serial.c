/*
 * Serial link over a pseudo-terminal: the device end opens a pty and a symlink in a temp dir, the
 * client opens the symlink path; SMP console framing both ways, console noise and bad frames
 * ignored, multi-line (2 KiB) messages, raw-byte check of the framing on the wire.
 */
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "dfu_test.h"
#include "dfukit/dfu_err.h"
#include "dfukit/dfu_framing.h"
#include "dfukit/dfu_link.h"

static size_t make_msg(uint8_t *m, size_t total, uint8_t seq)
{
    size_t plen = total - 8;
    memset(m, 0, 8);
    m[0] = 0x0A;
    m[2] = (uint8_t)(plen >> 8);
    m[3] = (uint8_t)plen;
    m[6] = seq;
    for (size_t i = 8; i < total; i++) {
        m[i] = (uint8_t)(i * 31 + seq);
    }
    return total;
}

/* Reads from fd until `want` bytes arrived or 2 s passed. */
static size_t read_some(int fd, uint8_t *p, size_t want)
{
    size_t got = 0;
    while (got < want) {
        struct pollfd pf = {.fd = fd, .events = POLLIN};
        if (poll(&pf, 1, 2000) <= 0) {
            break;
        }
        ssize_t n = read(fd, p + got, want - got);
        if (n <= 0) {
            break;
        }
        got += (size_t)n;
    }
    return got;
}

static void test_round_trip(const char *path)
{
    dfu_link_t dev, cli;
    static uint8_t msg[2048], got[4096];
    CHECK_EQ_INT(dfu_link_pty_server_open(&dev, path, 0), DFU_OK);
    CHECK(dfu_link_pty_name(&dev) != NULL && strncmp(dfu_link_pty_name(&dev), "/dev/", 5) == 0);
    struct stat st;
    CHECK(lstat(path, &st) == 0 && S_ISLNK(st.st_mode));
    CHECK_EQ_INT(dfu_link_mtu(&dev), DFU_LINK_SERIAL_MTU);
    CHECK_EQ_INT(dfu_link_serial_client_open(&cli, path, 115200, 0), DFU_OK);
    CHECK(dfu_link_pty_name(&cli) == NULL);

    /* Client -> device: a small and a 2 KiB (23-line) message. */
    make_msg(msg, 64, 1);
    CHECK_EQ_INT(dfu_link_send(&cli, msg, 64), DFU_OK);
    CHECK_EQ_INT(dfu_link_recv(&dev, got, sizeof(got), 2000), 64);
    CHECK_MEM(got, msg, 64);
    make_msg(msg, sizeof(msg), 2);
    CHECK_EQ_INT(dfu_link_send(&cli, msg, sizeof(msg)), DFU_OK);
    CHECK_EQ_INT(dfu_link_recv(&dev, got, sizeof(got), 2000), (int)sizeof(msg));
    CHECK_MEM(got, msg, sizeof(msg));
    /* Device -> client. */
    make_msg(msg, sizeof(msg), 3);
    CHECK_EQ_INT(dfu_link_send(&dev, msg, sizeof(msg)), DFU_OK);
    CHECK_EQ_INT(dfu_link_recv(&cli, got, sizeof(got), 2000), (int)sizeof(msg));
    CHECK_MEM(got, msg, sizeof(msg));
    CHECK_EQ_INT(dfu_link_recv(&cli, got, sizeof(got), 20), DFU_ERR_TIMEOUT);
    /* Too large for the caller's buffer: reported, not truncated. */
    CHECK_EQ_INT(dfu_link_send(&cli, msg, 100), DFU_OK);
    CHECK_EQ_INT(dfu_link_recv(&dev, got, 50, 2000), DFU_ERR_MSGSIZE);
    CHECK_EQ_INT(dfu_link_send(&cli, msg, DFU_LINK_SERIAL_MTU + 1), DFU_ERR_MSGSIZE);
    dfu_link_close(&cli);

    /* A raw serial client (what mcumgr does): console noise, a bad-CRC frame, then a good one. */
    int fd = open(path, O_RDWR | O_NOCTTY);
    CHECK(fd >= 0);
    static uint8_t frame[4096];
    make_msg(msg, 40, 4);
    int n = dfu_serial_encode(msg, 40, frame, sizeof(frame));
    CHECK(n > 0);
    const char *noise = "uart:~$ kernel uptime\n";
    CHECK(write(fd, noise, strlen(noise)) == (ssize_t)strlen(noise));
    uint8_t bad[4096];
    memcpy(bad, frame, (size_t)n);
    bad[10] = bad[10] == 'A' ? 'B' : 'A'; /* corrupts the message -> CRC mismatch */
    CHECK(write(fd, bad, (size_t)n) == n);
    CHECK(write(fd, frame, (size_t)n) == n);
    CHECK_EQ_INT(dfu_link_recv(&dev, got, sizeof(got), 2000), 40);
    CHECK_MEM(got, msg, 40);
    CHECK_EQ_INT(dfu_link_recv(&dev, got, sizeof(got), 50), DFU_ERR_TIMEOUT);

    /* What the device puts on the wire: 06 09 first line, 04 14 continuations, <= 127-byte
     * lines, exactly dfu_serial_encoded_size() bytes. */
    make_msg(msg, 300, 5);
    CHECK_EQ_INT(dfu_link_send(&dev, msg, 300), DFU_OK);
    size_t want = dfu_serial_encoded_size(300);
    size_t have = read_some(fd, frame, want);
    CHECK_EQ_INT(have, want);
    CHECK(frame[0] == 0x06 && frame[1] == 0x09);
    size_t line_start = 0, lines = 0;
    for (size_t i = 0; i < have; i++) {
        if (frame[i] == '\n') {
            CHECK(i + 1 - line_start <= DFU_SERIAL_LINE_MAX);
            if (line_start > 0) {
                CHECK(frame[line_start] == 0x04 && frame[line_start + 1] == 0x14);
            }
            line_start = i + 1;
            lines++;
        }
    }
    CHECK_EQ_INT(lines, 4); /* 304 bytes -> 408 base64 chars -> 3 full lines of 124 + 1 */
    close(fd);

    /* A new client after the raw one sees a clean line (stale bytes flushed). */
    CHECK_EQ_INT(dfu_link_send(&dev, msg, 300), DFU_OK); /* nobody reads this one */
    CHECK_EQ_INT(dfu_link_serial_client_open(&cli, path, 0, 0), DFU_OK);
    make_msg(msg, 30, 6);
    CHECK_EQ_INT(dfu_link_send(&dev, msg, 30), DFU_OK);
    CHECK_EQ_INT(dfu_link_recv(&cli, got, sizeof(got), 2000), 30);
    CHECK_MEM(got, msg, 30);
    dfu_link_close(&cli);
    dfu_link_close(&dev);
    CHECK(lstat(path, &st) != 0); /* symlink removed */
}

static void test_errors(const char *dir, const char *path)
{
    dfu_link_t l;
    char file[256];
    snprintf(file, sizeof(file), "%s/plain", dir);
    int fd = open(file, O_CREAT | O_WRONLY, 0600);
    close(fd);
    /* Refuses to replace a regular file with the symlink. */
    CHECK_EQ_INT(dfu_link_pty_server_open(&l, file, 0), DFU_ERR_EXIST);
    /* A regular file is not a tty; a missing path is no device; odd bauds are refused. */
    CHECK_EQ_INT(dfu_link_serial_client_open(&l, file, 115200, 0), DFU_ERR_NODEV);
    CHECK_EQ_INT(dfu_link_serial_client_open(&l, path, 115200, 0), DFU_ERR_NODEV);
    CHECK_EQ_INT(dfu_link_serial_client_open(&l, path, 12345, 0), DFU_ERR_INVAL);
    unlink(file);
    /* A stale symlink from a crashed run is replaced. */
    CHECK(symlink("/nonexistent", path) == 0);
    CHECK_EQ_INT(dfu_link_pty_server_open(&l, path, 512), DFU_OK);
    CHECK_EQ_INT(dfu_link_mtu(&l), 512);
    dfu_link_close(&l);
}

static void test_model(const char *path)
{
    dfu_link_t dev, cli;
    static uint8_t msg[1024], got[2048];
    CHECK_EQ_INT(dfu_link_pty_server_open(&dev, path, 0), DFU_OK);
    CHECK_EQ_INT(dfu_link_serial_client_open(&cli, path, 115200, 0), DFU_OK);
    dfu_linkmodel_t m;
    CHECK_EQ_INT(dfu_linkmodel_parse(&m, "serial,baud=115200"), DFU_OK);
    CHECK_EQ_INT(dfu_link_set_model(&dev, &m), DFU_OK);
    make_msg(msg, sizeof(msg), 7);
    uint64_t want = dfu_linkmodel_oneway_us(&m, sizeof(msg), 0);
    uint64_t t0 = dfu_link_now_us();
    CHECK_EQ_INT(dfu_link_send(&dev, msg, sizeof(msg)), DFU_OK);
    CHECK_EQ_INT(dfu_link_recv(&cli, got, sizeof(got), 2000), (int)sizeof(msg));
    uint64_t took = dfu_link_now_us() - t0;
    printf("pty with serial,baud=115200 model: 1 KiB took %llu us (model %llu)\n",
           (unsigned long long)took, (unsigned long long)want);
    CHECK(took >= want && took < want + 1000000);
    dfu_link_close(&cli);
    dfu_link_close(&dev);
}

int main(void)
{
    char dir[] = "/tmp/dfu-hostlink-XXXXXX";
    if (mkdtemp(dir) == NULL) {
        perror("mkdtemp");
        return 1;
    }
    char path[256];
    snprintf(path, sizeof(path), "%s/ttyDFU", dir);
    test_round_trip(path);
    test_errors(dir, path);
    test_model(path);
    /* Connection strings. */
    dfu_link_t dev, cli;
    char spec[300];
    snprintf(spec, sizeof(spec), "serial:%s,mtu=1024", path);
    CHECK_EQ_INT(dfu_link_open(&dev, spec, true), DFU_OK);
    CHECK_EQ_INT(dfu_link_mtu(&dev), 1024);
    snprintf(spec, sizeof(spec), "serial:%s,baud=921600,mtu=1024", path);
    CHECK_EQ_INT(dfu_link_open(&cli, spec, false), DFU_OK);
    uint8_t m[20], g[64];
    make_msg(m, sizeof(m), 8);
    CHECK_EQ_INT(dfu_link_send(&cli, m, sizeof(m)), DFU_OK);
    CHECK_EQ_INT(dfu_link_recv(&dev, g, sizeof(g), 2000), (int)sizeof(m));
    CHECK_MEM(g, m, sizeof(m));
    dfu_link_close(&cli);
    dfu_link_close(&dev);
    unlink(path);
    rmdir(dir);
    return dfu_test_finish("test_hostlink_serial");
}
