/* SMP serial/console framing: CRC, encoder vectors (smp-protocol.md §6.2, §8.2, §8.4), decoder
 * round trips, resynchronisation after garbage, broken base64/CRC, oversize, and the real
 * captured frames of clients and of Mynewt's server (smp-peers). */
#include "dfu_test.h"
#include "dfukit/dfu_err.h"
#include "dfukit/dfu_framing.h"

static size_t unhex(const char *h, uint8_t *out, size_t cap)
{
    size_t n = 0;
    while (h[0] && h[1] && n < cap) {
        unsigned v;
        if (sscanf(h, "%2x", &v) != 1) {
            break;
        }
        out[n++] = (uint8_t)v;
        h += 2;
    }
    return n;
}

/* Feeds bytes; stores the last complete message; returns the number of messages. */
static int feed_all(dfu_serial_decoder_t *d, const uint8_t *p, size_t n, uint8_t *last,
                    size_t *last_len, int *errors)
{
    int msgs = 0;
    for (size_t i = 0; i < n; i++) {
        const uint8_t *m = NULL;
        int r = dfu_serial_feed(d, p[i], &m);
        if (r > 0) {
            memcpy(last, m, (size_t)r);
            *last_len = (size_t)r;
            msgs++;
        } else if (r < 0 && errors) {
            (*errors)++;
        }
    }
    return msgs;
}

static void test_crc_and_encoder(void)
{
    CHECK_EQ_INT(dfu_crc16_xmodem(0, (const uint8_t *)"123456789", 9), 0x31c3);
    uint8_t out[512];
    int n = dfu_serial_encode((const uint8_t *)"Hello, world!", 13, out, sizeof out);
    const char *want = "\x06\x09"
                       "AA9IZWxsbywgd29ybGQhet4=\n";
    CHECK_EQ_INT(n, (int)strlen(want));
    CHECK_MEM(out, want, strlen(want));
    CHECK_EQ_INT(dfu_serial_encoded_size(13), (size_t)n);

    uint8_t echo[17];
    unhex("0a0000090000420"
          "0a16164656865"
          "6c6c6f",
          echo, sizeof echo);
    n = dfu_serial_encode(echo, 17, out, sizeof out);
    const char *want2 = "\x06\x09"
                        "ABMKAAAJAABCAKFhZGVoZWxsb0YZ\n";
    CHECK_EQ_INT(n, (int)strlen(want2));
    CHECK_MEM(out, want2, strlen(want2));
    CHECK_EQ_INT(dfu_serial_encode(echo, 17, out, 20), DFU_ERR_NOMEM);
    CHECK_EQ_INT(dfu_serial_encode(echo, 0, out, sizeof out), DFU_ERR_MSGSIZE);

    /* {"d": "A"*120}, seq 0x43: 127-byte first line, 63-byte continuation. */
    uint8_t big[133];
    memcpy(big, "\x0a\x00\x00\x7d\x00\x00\x43\x00\xa1\x61\x64\x78\x78", 13);
    memset(big + 13, 'A', 120);
    n = dfu_serial_encode(big, sizeof big, out, sizeof out);
    CHECK_EQ_INT(n, 127 + 63);
    CHECK(out[0] == 0x06 && out[1] == 0x09 && out[126] == '\n');
    CHECK(out[127] == 0x04 && out[128] == 0x14 && out[189] == '\n');
    CHECK(memchr(out, '=', 127) == NULL);
}

static void test_roundtrip(void)
{
    static uint8_t msg[3000], enc[5000], buf[3100], last[3100];
    dfu_serial_decoder_t d;
    CHECK_EQ_INT(dfu_serial_decoder_init(&d, buf, sizeof buf, 0), 0);
    int bad = 0;
    for (size_t len = 1; len <= 2000; len += (len < 300 ? 1 : 97)) {
        for (size_t i = 0; i < len; i++) {
            msg[i] = (uint8_t)(i * 31 + len);
        }
        int n = dfu_serial_encode(msg, len, enc, sizeof enc);
        size_t ll = 0;
        int got = feed_all(&d, enc, (size_t)n, last, &ll, NULL);
        bad += !(got == 1 && ll == len && memcmp(last, msg, len) == 0);
        /* every line at most 127 bytes */
        size_t line = 0;
        for (int i = 0; i < n; i++) {
            line++;
            if (enc[i] == '\n') {
                bad += line > DFU_SERIAL_LINE_MAX;
                line = 0;
            }
        }
    }
    CHECK_EQ_INT(bad, 0);
    CHECK(d.stats.frames > 300);
}

static void test_resync(void)
{
    uint8_t buf[600], last[600], enc[600], stream[4000];
    size_t ll = 0;
    int errors = 0;
    dfu_serial_decoder_t d;
    dfu_serial_decoder_init(&d, buf, sizeof buf, 0);
    uint8_t msg[] = {0x0a, 0, 0, 1, 0, 0, 7, 0, 0xa0};
    int n = dfu_serial_encode(msg, sizeof msg, enc, sizeof enc);
    /* console text, a lone marker byte, CR/LF noise, binary garbage, then the frame */
    size_t s = 0;
    const char *noise =
        "uart:~$ mcumgr\r\n\x06\r\n\x04\x14QUJD\n\x06\x09!!!!\nxx\x06\x09 abc\n\r\n";
    memcpy(stream + s, noise, strlen(noise));
    s += strlen(noise);
    for (int i = 0; i < 200; i++) {
        stream[s++] = (uint8_t)(i * 73 + 5) == '\n' ? 'x' : (uint8_t)(i * 73 + 5);
    }
    stream[s++] = '\n';
    memcpy(stream + s, enc, (size_t)n);
    s += (size_t)n;
    CHECK_EQ_INT(feed_all(&d, stream, s, last, &ll, &errors), 1);
    CHECK_EQ_INT(ll, sizeof msg);
    CHECK_MEM(last, msg, sizeof msg);
    CHECK(d.stats.orphan_lines >= 1);
    CHECK(d.stats.bad_base64 >= 1);
    CHECK(d.stats.console_lines >= 1);

    /* CRLF line ends are tolerated */
    memcpy(stream, enc, (size_t)n);
    stream[n - 1] = '\r';
    stream[n] = '\n';
    CHECK_EQ_INT(feed_all(&d, stream, (size_t)n + 1, last, &ll, NULL), 1);

    /* bad CRC: dropped with DFU_ERR_CORRUPT, next frame fine */
    uint8_t bad[9];
    memcpy(bad, msg, 9);
    int m = dfu_serial_encode(bad, 9, stream, sizeof stream);
    /* flip a payload bit inside the base64 (character 8 encodes message bytes) */
    stream[10] = stream[10] == 'A' ? 'B' : 'A';
    errors = 0;
    CHECK_EQ_INT(feed_all(&d, stream, (size_t)m, last, &ll, &errors), 0);
    CHECK_EQ_INT(errors, 1);
    CHECK_EQ_INT(feed_all(&d, enc, (size_t)n, last, &ll, NULL), 1);

    /* broken base64 (invalid char, '=' in the middle, partial group at line end) */
    const char *broken[] = {"\x06\x09"
                            "AA*IZWxsbywgd29ybGQhet4=\n",
                            "\x06\x09"
                            "AA=IZWxsbywgd29ybGQhet4=\n",
                            "\x06\x09"
                            "AA9IZWxsbywgd29ybGQhet4\n",
                            "\x06\x09"
                            "AA9IZW=sbywgd29ybGQhet4=\n"};
    for (int i = 0; i < 4; i++) {
        errors = 0;
        CHECK_EQ_INT(
            feed_all(&d, (const uint8_t *)broken[i], strlen(broken[i]), last, &ll, &errors), 0);
        CHECK_EQ_INT(errors, 1);
        CHECK_EQ_INT(feed_all(&d, enc, (size_t)n, last, &ll, NULL), 1);
    }
    /* length field 0 or 1: corrupt */
    const char *zero = "\x06\x09"
                       "AAA=\n";
    errors = 0;
    CHECK_EQ_INT(feed_all(&d, (const uint8_t *)zero, strlen(zero), last, &ll, &errors), 0);
    CHECK_EQ_INT(errors, 1);

    /* restart: an incomplete frame abandoned by a new 06 09 line */
    static uint8_t bigmsg[300], bigenc[600];
    memset(bigmsg, 0x5a, sizeof bigmsg);
    int bn = dfu_serial_encode(bigmsg, sizeof bigmsg, bigenc, sizeof bigenc);
    CHECK(bn > 127);
    CHECK_EQ_INT(feed_all(&d, bigenc, 127, last, &ll, NULL), 0);
    uint32_t restarts = d.stats.restarts;
    CHECK_EQ_INT(feed_all(&d, enc, (size_t)n, last, &ll, NULL), 1);
    CHECK_EQ_INT(d.stats.restarts, restarts + 1);
    CHECK_EQ_INT(ll, sizeof msg);
    /* the abandoned frame's continuation lines are now orphans */
    CHECK_EQ_INT(feed_all(&d, bigenc + 127, (size_t)bn - 127, last, &ll, NULL), 0);
    CHECK_EQ_INT(feed_all(&d, bigenc, (size_t)bn, last, &ll, NULL), 1);
    CHECK_EQ_INT(ll, sizeof bigmsg);
}

static void test_oversize(void)
{
    uint8_t small[64], last[64], enc[800];
    size_t ll;
    dfu_serial_decoder_t d;
    CHECK_EQ_INT(dfu_serial_decoder_init(&d, small, 8, 0), DFU_ERR_INVAL);
    dfu_serial_decoder_init(&d, small, sizeof small, 0);
    static uint8_t msg[200];
    memset(msg, 1, sizeof msg);
    int n = dfu_serial_encode(msg, sizeof msg, enc, sizeof enc);
    int errors = 0;
    CHECK_EQ_INT(feed_all(&d, enc, (size_t)n, last, &ll, &errors), 0);
    CHECK(errors >= 1);
    CHECK(d.stats.overlength >= 1);
    /* a message that fits still works afterwards */
    n = dfu_serial_encode(msg, 40, enc, sizeof enc);
    CHECK_EQ_INT(feed_all(&d, enc, (size_t)n, last, &ll, NULL), 1);
    CHECK_EQ_INT(ll, 40);
    /* a line longer than 124 base64 chars is dropped (Zephyr's 127-byte line) */
    static uint8_t bbuf[1024], blast[1024];
    dfu_serial_decoder_init(&d, bbuf, sizeof bbuf, 0);
    memset(enc, 'A', 200);
    enc[0] = 0x06;
    enc[1] = 0x09;
    enc[200] = '\n';
    errors = 0;
    CHECK_EQ_INT(feed_all(&d, enc, 201, blast, &ll, &errors), 0);
    CHECK_EQ_INT(errors, 1);
    /* length field claims more than fits, and more data than the length field */
    const char *claim = "\x06\x09"
                        "//8A\n"; /* length 0xffff */
    errors = 0;
    CHECK_EQ_INT(feed_all(&d, (const uint8_t *)claim, strlen(claim), blast, &ll, &errors), 0);
    CHECK_EQ_INT(errors, 1);
}

static void test_random(void)
{
    uint8_t buf[512], last[512], enc[200];
    size_t ll;
    dfu_serial_decoder_t d;
    dfu_serial_decoder_init(&d, buf, sizeof buf, 0);
    uint32_t x = 99;
    for (int i = 0; i < 300000; i++) {
        x = x * 1103515245u + 12345u;
        uint8_t b = (uint8_t)(x >> 16);
        if ((x >> 8) % 7 == 0) {
            b = "\x06\x09\x04\x14\n=A"[(x >> 4) % 7];
        }
        const uint8_t *m;
        (void)dfu_serial_feed(&d, b, &m);
    }
    uint8_t msg[] = {2, 0, 0, 1, 0, 0, 1, 0, 0xa0};
    int n = dfu_serial_encode(msg, sizeof msg, enc, sizeof enc);
    uint8_t nl = '\n';
    feed_all(&d, &nl, 1, last, &ll, NULL);
    CHECK_EQ_INT(feed_all(&d, enc, (size_t)n, last, &ll, NULL), 1);
}

/* Replays raw serial bytes of a capture file direction by direction; every record whose `hex`
 * is an SMP packet must come out of the decoder exactly. Returns records checked. */
static int replay_file(const char *path, const char *dir, int *mismatch)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        return -1;
    }
    static char line[1 << 20];
    static uint8_t raw[1 << 19], want[1 << 16], buf[8192], last[8192];
    dfu_serial_decoder_t d;
    dfu_serial_decoder_init(&d, buf, sizeof buf, 0);
    int checked = 0;
    char key[32];
    snprintf(key, sizeof key, "\"dir\":\"%s\"", dir);
    while (fgets(line, sizeof line, f)) {
        if (!strstr(line, key)) {
            continue;
        }
        char *r = strstr(line, "\"raw_serial_hex\":\"");
        char *h = strstr(line, "\"hex\":\"");
        if (!r || !h) {
            continue;
        }
        size_t rn = unhex(r + 18, raw, sizeof raw);
        size_t wn = unhex(h + 7, want, sizeof want);
        size_t ll = 0;
        int got = feed_all(&d, raw, rn, last, &ll, NULL);
        if (wn == 0) {
            continue;
        }
        checked++;
        if (got < 1 || ll != wn || memcmp(last, want, wn) != 0) {
            (*mismatch)++;
        }
    }
    fclose(f);
    return checked;
}

static void test_peers(void)
{
    if (!dfu_test_have_shared("smp-peers serial")) {
        return;
    }
    const char *files[][2] = {
        {"clients/go-mcumgr.serial.jsonl", "req"},
        {"clients/go-mcumgr.serial.jsonl", "rsp"},
        {"clients/smpclient.serial.jsonl", "req"},
        {"clients/mcumgr-client.serial.jsonl", "req"},
        {"server-slinky/go-mcumgr.serial.jsonl", "rsp"},
        {"server-slinky/smpclient.serial.jsonl", "rsp"},
        {"server-slinky/go-mcumgr.serial.jsonl", "req"},
        {"server-slinky/mcumgr-client.serial.jsonl", "rsp"},
    };
    for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
        char path[512];
        snprintf(path, sizeof path, "%s/vectors/smp-peers/%s", DFU_SHARED_DIR, files[i][0]);
        int mismatch = 0;
        int n = replay_file(path, files[i][1], &mismatch);
        CHECK(n > 0);
        CHECK_EQ_INT(mismatch, 0);
        if (mismatch) {
            fprintf(stderr, "  %s %s: %d of %d records differ\n", files[i][0], files[i][1],
                    mismatch, n);
        }
    }
    /* handcrafted framing probes: must not crash; most frames decode */
    char path[512];
    snprintf(path, sizeof path, "%s/vectors/smp-peers/server-slinky/handcrafted.serial.jsonl",
             DFU_SHARED_DIR);
    int mismatch = 0;
    CHECK(replay_file(path, "rsp", &mismatch) > 0);
    CHECK_EQ_INT(mismatch, 0);
    snprintf(path, sizeof path,
             "%s/vectors/smp-peers/server-slinky/handcrafted-framing.serial.jsonl", DFU_SHARED_DIR);
    mismatch = 0;
    CHECK(replay_file(path, "req", &mismatch) > 0);
}

int main(void)
{
    test_crc_and_encoder();
    test_roundtrip();
    test_resync();
    test_oversize();
    test_random();
    test_peers();
    return dfu_test_finish("test_transport_serial");
}
