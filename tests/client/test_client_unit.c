/* Client unit tests (no device): chunk sizing (§4.4), the error table, connection strings,
 * hash hex, next-reset interpretation, JSON writer output. */
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "dfukit/dfu_smp.h"

#include "client_testutil.h"
#include "dfu_client.h"
#include "dfu_test.h"

static void test_chunks(void)
{
    /* later chunk: 8 hdr + A2 + "off" + uint32 (5) + "data" + bstr head (3) = 26 bytes */
    CHECK_EQ_INT(dfu_client_chunk_size(2475, 200000, false, 0, false), 2448);
    /* first chunk: + "len"(4+5) + "sha"(4+2+32), off 0 (1) = 69 bytes -> 2406, word aligned */
    CHECK_EQ_INT(dfu_client_chunk_size(2475, 200000, true, 0, false), 2404);
    /* small buffer: Zephyr default 384 */
    size_t c384 = dfu_client_chunk_size(384, 200000, true, 0, false);
    CHECK(c384 >= 300 && c384 <= 384 - 63);
    /* image and upgrade add bytes to the first chunk only */
    CHECK(dfu_client_chunk_size(2475, 200000, true, 1, true) <
          dfu_client_chunk_size(2475, 200000, true, 0, false));
    /* a buffer that cannot carry the first chunk's overhead yields 0 */
    CHECK_EQ_INT(dfu_client_chunk_size(60, 200000, true, 0, false), 0);
    /* data length head growth at the 24 / 256 boundaries never overshoots */
    for (size_t m = 40; m < 400; m++) {
        size_t c = dfu_client_chunk_size(m, 1000, false, 0, false);
        size_t head = c < 24 ? 1 : c < 256 ? 2 : 3;
        CHECK(c == 0 || 8 + 1 + 4 + 3 + 5 + head + c <= m);
    }
}

static void test_errtab(void)
{
    const dfu_client_explain_t *e = dfu_client_explain(1, 28, 0);
    CHECK(strcmp(e->name, "IMAGE_ALREADY_PENDING") == 0);
    CHECK(strstr(e->fix, "dfukit reset") != NULL);
    e = dfu_client_explain(1, 9, 0);
    CHECK(strcmp(e->name, "NO_FREE_SLOT") == 0);
    CHECK(strstr(e->fix, "confirm") != NULL && strstr(e->fix, "reset") != NULL);
    CHECK(strstr(e->meaning, "not confirmed") != NULL);
    e = dfu_client_explain(1, 0, 6); /* v1 form */
    CHECK(strcmp(e->name, "EBADSTATE") == 0);
    e = dfu_client_explain(-1, 0, 8);
    CHECK(strcmp(e->name, "ENOTSUP") == 0);
    e = dfu_client_explain(5, 77, 0);
    CHECK(strcmp(e->name, "UNKNOWN") == 0);
    e = dfu_client_explain_link(DFU_ERR_ACCESS, 0);
    CHECK(strstr(e->fix, "passkey") != NULL);
    dfu_client_err_t er;
    memset(&er, 0, sizeof(er));
    er.code = DFU_ERR_DEVICE;
    er.group = 1;
    er.group_rc = 28;
    snprintf(er.what, sizeof(er.what), "image confirm");
    char msg[1024];
    dfu_client_err_format(&er, msg, sizeof(msg));
    CHECK(strstr(msg, "image confirm failed: IMAGE_ALREADY_PENDING (group 1 err 28)") != NULL);
    CHECK(strstr(msg, "Fix:") != NULL);
    /* BlueZ link failures: name, the observed detail, and a fix naming ,passkey=NNNNNN */
    static const struct {
        int code;
        const char *name;
    } bz[] = {{DFU_ERR_PASSKEY_NEEDED, "PASSKEY_REQUIRED"},
              {DFU_ERR_STALE_BOND, "STALE_BOND"},
              {DFU_ERR_NO_BLUEZ, "NO_BLUEZ"},
              {DFU_ERR_BUS_DENIED, "BLUEZ_ACCESS_DENIED"},
              {DFU_ERR_PAIRING, "PAIRING_FAILED"}};
    for (size_t i = 0; i < sizeof(bz) / sizeof(bz[0]); i++) {
        CHECK(strcmp(dfu_client_explain_link(bz[i].code, 0)->name, bz[i].name) == 0);
    }
    CHECK(strstr(dfu_client_explain_link(DFU_ERR_PASSKEY_NEEDED, 0)->fix, ",passkey=NNNNNN"));
    CHECK(strstr(dfu_client_explain_link(DFU_ERR_STALE_BOND, 0)->fix, ",passkey=NNNNNN"));
    memset(&er, 0, sizeof(er));
    er.code = DFU_ERR_STALE_BOND;
    snprintf(er.what, sizeof(er.what), "connect");
    snprintf(er.detail, sizeof(er.detail), "key missing on C0:FF:EE:00:00:01");
    dfu_client_err_format(&er, msg, sizeof(msg));
    CHECK(strstr(msg, "connect failed: STALE_BOND") != NULL);
    CHECK(strstr(msg, "observed: key missing on C0:FF:EE:00:00:01. Fix:") != NULL);
    CHECK(strchr(msg, '\n') == NULL); /* one line */
}

static void test_conn(void)
{
    static dfu_client_t c;
    CHECK_EQ_INT(dfu_client_parse_conn(&c, "udp:127.0.0.1:1234"), 0);
    CHECK_EQ_INT(c.kind, DFU_LINK_UDP);
    CHECK_EQ_INT(c.port, 1234);
    CHECK_EQ_INT(dfu_client_parse_conn(&c, "udp:localhost"), 0);
    CHECK_EQ_INT(c.port, 1337);
    CHECK_EQ_INT(dfu_client_parse_conn(&c, "serial:/dev/ttyACM0,baud=1000000"), 0);
    CHECK_EQ_INT(c.baud, 1000000);
    CHECK_EQ_INT(dfu_client_parse_conn(&c, "ble-sim:/tmp/x.sock,passkey=123456"), 0);
    CHECK(c.has_passkey && c.passkey == 123456);
    CHECK_EQ_INT(dfu_client_parse_conn(&c, "ble-sim:/tmp/x.sock,passkey=1234567"), DFU_ERR_INVAL);
    CHECK_EQ_INT(dfu_client_parse_conn(&c, "udp:host:0"), DFU_ERR_INVAL);
    CHECK_EQ_INT(dfu_client_parse_conn(&c, "tcp:host"), DFU_ERR_INVAL); /* the port is required */
    CHECK_EQ_INT(dfu_client_parse_conn(&c, "tcp:127.0.0.1:5555"), 0);
    CHECK_EQ_INT(c.kind, DFU_LINK_TCP);
    CHECK_EQ_INT(c.port, 5555);
    CHECK(strcmp(c.path, "127.0.0.1") == 0);
    CHECK_EQ_INT(dfu_client_parse_conn(&c, "tcp:[::1]:80"), 0);
    CHECK(strcmp(c.path, "::1") == 0 && c.port == 80);
    CHECK_EQ_INT(dfu_client_parse_conn(&c, "tcp::5555"), DFU_ERR_INVAL);
    CHECK_EQ_INT(dfu_client_parse_conn(&c, "tcp:host:0"), DFU_ERR_INVAL);
    CHECK_EQ_INT(dfu_client_parse_conn(&c, "tcp:host:65536"), DFU_ERR_INVAL);
    CHECK_EQ_INT(dfu_client_parse_conn(&c, "tcp:host:12x"), DFU_ERR_INVAL);
    CHECK_EQ_INT(dfu_client_parse_conn(&c, "serial:"), DFU_ERR_INVAL);
    CHECK_EQ_INT(dfu_client_parse_conn(&c, "serial:/dev/x,speed=9"), DFU_ERR_INVAL);
    CHECK_EQ_INT(dfu_client_parse_conn(&c, "udp"), DFU_ERR_INVAL);
    /* ble: is BlueZ: TARGET = address or advertised name, passkey and adapter options */
    CHECK_EQ_INT(dfu_client_parse_conn(&c, "ble:C0:FF:EE:00:00:01,passkey=012345,adapter=hci1"), 0);
    CHECK_EQ_INT(c.kind, DFU_LINK_BLUEZ);
    CHECK(strcmp(c.path, "C0:FF:EE:00:00:01") == 0 && strcmp(c.adapter, "hci1") == 0);
    CHECK(c.has_passkey && c.passkey == 12345);
    /* messages show the connection string with the passkey masked */
    CHECK(strcmp(c.conn, "ble:C0:FF:EE:00:00:01,passkey=******,adapter=hci1") == 0);
    CHECK_EQ_INT(dfu_client_parse_conn(&c, "ble-sim:/tmp/x.sock,passkey=7"), 0);
    CHECK(strcmp(c.conn, "ble-sim:/tmp/x.sock,passkey=*") == 0 && c.passkey == 7);
    CHECK_EQ_INT(dfu_client_parse_conn(&c, "ble:my sensor"), 0);
    CHECK(strcmp(c.path, "my sensor") == 0 && !c.has_passkey && c.adapter[0] == '\0');
    CHECK(dfu_client_is_ble(&c));
    static const char *const bad[] = {
        "ble:",           "ble:x,passkey=12x", "ble:x,passkey=1234567",  "ble:x,mtu=1",
        "ble:x,adapter=", "ble:x,adapter=a/b", "ble-sim:/x,adapter=hci0"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        CHECK_EQ_INT(dfu_client_parse_conn(&c, bad[i]), DFU_ERR_INVAL);
    }
    /* a bad string says what is wrong, never with the passkey's digits */
    static const struct {
        const char *conn, *shown, *detail;
    } why[] = {
        {"ble:x,passkey=12x", "ble:x,passkey=***", "passkey= wants the passkey the device"},
        {"ble:x,passkey=123456,mtu=1", "ble:x,passkey=******,mtu=1",
         "unknown option 'mtu' for ble: (it takes: passkey|adapter)"},
        {"ble:x,pass=123456", "ble:x,pass=123456", "unknown option 'pass' for ble:"},
        {"ble:x,passkey", "ble:x,passkey", "option 'passkey' has no value"},
        {"ble:x,adapter=a/b", "ble:x,adapter=a/b", "adapter= wants an adapter name"},
        {"ble-sim:/x,adapter=hci0", "ble-sim:/x,adapter=hci0",
         "unknown option 'adapter' for ble-sim: (it takes: passkey)"},
        {"serial:/dev/x,baud=0", "serial:/dev/x,baud=0", "baud= wants a rate from 1 to 4000000"},
        {"udp:host:0", "udp:host:0", "'host:0' is not udp:HOST[:PORT]"},
        {"bt:x", "bt:x", "unknown scheme 'bt:'"},
        {"udp", "udp", "no SCHEME: before the address"},
        {"ble:", "ble:", "no address: wants ble:TARGET"},
    };
    for (size_t i = 0; i < sizeof(why) / sizeof(why[0]); i++) {
        CHECK_EQ_INT(dfu_client_parse_conn(&c, why[i].conn), DFU_ERR_INVAL);
        CHECK(strcmp(c.conn, why[i].shown) == 0);
        CHECK(strstr(c.err.detail, why[i].detail) != NULL);
        if (strstr(c.err.detail, why[i].detail) == NULL) {
            fprintf(stderr, "%s: detail '%s'\n", why[i].conn, c.err.detail);
        }
    }
    CHECK_EQ_INT(dfu_client_parse_conn(&c, "ble:x"), 0);
    CHECK(c.err.detail[0] == '\0'); /* cleared by a string that parses */
    /* IPv6 literals in brackets, names */
    CHECK_EQ_INT(dfu_client_parse_conn(&c, "udp:[::1]:1337"), 0);
    CHECK(strcmp(c.path, "::1") == 0 && c.port == 1337);
    CHECK_EQ_INT(dfu_client_parse_conn(&c, "udp:[fe80::1%eth0]"), 0);
    CHECK(strcmp(c.path, "fe80::1%eth0") == 0 && c.port == 1337);
    CHECK_EQ_INT(dfu_client_parse_conn(&c, "udp:::1"), 0); /* no brackets: all host, no port */
    CHECK(strcmp(c.path, "::1") == 0 && c.port == 1337);
    CHECK_EQ_INT(dfu_client_parse_conn(&c, "udp:dev.example:9"), 0);
    CHECK(strcmp(c.path, "dev.example") == 0 && c.port == 9);
    char peer[64];
    CHECK_EQ_INT(dfu_client_parse_conn(&c, "udp:[::1]:40000"), 0);
    dfu_client_peer(&c, peer, sizeof(peer));
    CHECK(strcmp(peer, "[::1]:40000") == 0);
    CHECK_EQ_INT(dfu_client_parse_conn(&c, "udp:[::1"), DFU_ERR_INVAL);
    CHECK_EQ_INT(dfu_client_parse_conn(&c, "udp:[::1]x"), DFU_ERR_INVAL);
    CHECK_EQ_INT(dfu_client_parse_conn(&c, "udp:[::1]:"), DFU_ERR_INVAL);
    CHECK_EQ_INT(dfu_client_parse_conn(&c, "udp:h:65536"), DFU_ERR_INVAL);
    CHECK_EQ_INT(dfu_client_parse_conn(&c, "udp::1337"), DFU_ERR_INVAL); /* no host */
    /* the shared splitter (the sim's --udp uses it too) */
    char host[64];
    int port = 0;
    CHECK_EQ_INT(dfu_link_split_host_port(":0", host, sizeof(host), &port), 0);
    CHECK(host[0] == '\0' && port == 0);
    CHECK_EQ_INT(dfu_link_split_host_port("[::]", host, sizeof(host), &port), 0);
    CHECK(strcmp(host, "::") == 0 && port == -1);
    CHECK_EQ_INT(dfu_link_split_host_port("0123456789", host, 4, &port), DFU_ERR_INVAL);
}

/* Link failures are reported as observed. */
static void test_observed(void)
{
    dfu_client_err_t e;
    char msg[1024];
    memset(&e, 0, sizeof(e));
    snprintf(e.what, sizeof(e.what), "image list");
    snprintf(e.peer, sizeof(e.peer), "127.0.0.1:9");
    e.code = DFU_ERR_REFUSED;
    dfu_client_err_format(&e, msg, sizeof(msg));
    CHECK(strstr(msg, "no SMP server answered at 127.0.0.1:9 (connection refused)") != NULL);
    e.code = DFU_ERR_TIMEOUT;
    e.wait_ms = 3000;
    e.tries = 3;
    dfu_client_err_format(&e, msg, sizeof(msg));
    CHECK(strstr(msg, "no answer within 3 s (sent 3 times) from 127.0.0.1:9") != NULL);
    e.code = DFU_ERR_PAIRING;
    e.has_passkey = true;
    e.passkey = 654321;
    e.pair_reason = DFU_BLE_PAIR_ERR_CONFIRM;
    dfu_client_err_format(&e, msg, sizeof(msg));
    CHECK(strstr(msg, "pairing failed: wrong passkey (the device rejected 654321)") != NULL);
    e.code = DFU_ERR_ACCESS;
    e.has_passkey = false;
    e.pair_reason = 0;
    e.pair_level = 2;
    e.att = DFU_BLE_ATT_ERR_INSUFF_AUTHEN;
    CHECK(strcmp(dfu_client_err_explain(&e)->name, "PAIRING_REQUIRED") == 0);
    /* the same device error explained by the request: erasing slot 0 vs slot 1 */
    memset(&e, 0, sizeof(e));
    e.code = DFU_ERR_DEVICE;
    e.group = 1;
    e.group_rc = 9;
    snprintf(e.what, sizeof(e.what), "image erase slot 0");
    CHECK(strstr(dfu_client_err_explain(&e)->meaning, "slot 0 holds the running image") != NULL);
    CHECK(!dfu_client_err_is_state(&e));
    snprintf(e.what, sizeof(e.what), "image erase slot 1");
    CHECK(strstr(dfu_client_err_explain(&e)->meaning, "slot 1 is in use") != NULL);
    CHECK(dfu_client_err_is_state(&e));
    /* the usable slot size, and why */
    dfu_client_slotinfo_t si = {
        .supported = true, .size = {204800, 204800}, .max_image_size = 196608};
    CHECK_EQ_INT(dfu_client_usable_size(&si), 196608);
    dfu_client_usable_explain(&si, 3, msg, sizeof(msg));
    CHECK(strstr(msg, "slot 1 is 204800 bytes, and MCUboot keeps its last 8192 bytes") != NULL);
    CHECK(strstr(msg, "swap-using-move") != NULL);
}

static void test_hex_state(void)
{
    uint8_t h[32], back[32];
    for (int i = 0; i < 32; i++) {
        h[i] = (uint8_t)(i * 7 + 1);
    }
    char hex[65];
    dfu_client_hex(h, 32, hex);
    CHECK_EQ_INT(strlen(hex), 64);
    CHECK_EQ_INT(dfu_client_unhex(hex, back, sizeof(back)), 32);
    CHECK_MEM(h, back, 32);
    CHECK_EQ_INT(dfu_client_unhex("abc", back, sizeof(back)), DFU_ERR_INVAL);
    CHECK_EQ_INT(dfu_client_unhex("zz", back, sizeof(back)), DFU_ERR_INVAL);

    dfu_client_state_t st;
    memset(&st, 0, sizeof(st));
    st.slots[0] = (dfu_client_slot_t){.present = true, .active = true, .confirmed = true};
    CHECK(strstr(dfu_client_next_reset(&st), "keeps running") != NULL);
    st.slots[1] = (dfu_client_slot_t){.present = true, .pending = true, .slot = 1};
    CHECK(strstr(dfu_client_next_reset(&st), "test boot") != NULL);
    CHECK(strcmp(dfu_client_slot_fate(&st, 1), "boots once for test") == 0);
    st.slots[1].permanent = true;
    CHECK(strstr(dfu_client_next_reset(&st), "permanently") != NULL);
    st.slots[1] = (dfu_client_slot_t){.present = true, .confirmed = true, .slot = 1};
    st.slots[0].confirmed = false;
    CHECK(strstr(dfu_client_next_reset(&st), "reverts") != NULL);
}

static void test_json(void)
{
    const char *dir = tu_tmpdir();
    char path[256];
    snprintf(path, sizeof(path), "%s/j.json", dir);
    FILE *f = fopen(path, "w");
    dfu_json_t j;
    dfu_json_init(&j, f);
    dfu_json_obj(&j);
    dfu_json_key(&j, "s");
    dfu_json_str(&j, "quote \" backslash \\ nl \n");
    dfu_json_key(&j, "a");
    dfu_json_arr(&j);
    dfu_json_int(&j, -3);
    dfu_json_num(&j, 1.5);
    dfu_json_bool(&j, true);
    dfu_json_null(&j);
    dfu_json_obj(&j);
    dfu_json_obj_end(&j);
    dfu_json_arr_end(&j);
    dfu_client_err_t er;
    memset(&er, 0, sizeof(er));
    er.code = DFU_ERR_DEVICE;
    er.group = 1;
    er.group_rc = 9;
    dfu_json_err(&j, &er);
    dfu_json_obj_end(&j);
    dfu_json_end(&j);
    fclose(f);
    int jq = tu_jq(path, ".s and (.a | length == 5) and .error.name == \"NO_FREE_SLOT\"");
    tu_rmtree(dir);
    if (jq < 0) {
        printf("note: jq not installed; JSON syntax checks not run\n");
    } else {
        CHECK_EQ_INT(jq, 1);
    }
}

/* ---- SMP v1 fallback against an "old server" that always answers with header version 0 ---- */

typedef struct {
    dfu_link_t l;
    int versions_seen[4]; /* request header versions, in order */
    int n;
    volatile int stop;
} oldsrv_t;

static void *oldsrv_main(void *arg)
{
    oldsrv_t *o = arg;
    uint8_t in[2048], rsp[64];
    while (!o->stop) {
        int n = dfu_link_recv(&o->l, in, sizeof(in), 20);
        dfu_smp_hdr_t h;
        if (n < 8 || dfu_smp_hdr_decode(in, (size_t)n, &h) != 0) {
            continue;
        }
        if (o->n < 4) {
            o->versions_seen[o->n++] = h.version;
        }
        /* echo -> {"r":"x"}; anything else -> legacy {"rc": 6} */
        static const uint8_t echo_rsp[] = {0xa1, 0x61, 'r', 0x61, 'x'};
        static const uint8_t rc6[] = {0xa1, 0x62, 'r', 'c', 0x06};
        /* params -> a buffer too small for any first upload chunk */
        static const uint8_t params_rsp[] = {0xa2, 0x68, 'b',  'u', 'f',  '_', 's', 'i',
                                             'z',  'e',  0x18, 60,  0x69, 'b', 'u', 'f',
                                             '_',  'c',  'o',  'u', 'n',  't', 0x01};
        bool echo = h.group == 0 && h.id == 0;
        bool params = h.group == 0 && h.id == 6;
        const uint8_t *body = echo ? echo_rsp : params ? params_rsp : rc6;
        h.version = 0;
        h.op = (uint8_t)(h.op + 1);
        h.len = echo ? sizeof(echo_rsp) : params ? sizeof(params_rsp) : sizeof(rc6);
        dfu_smp_hdr_encode(&h, rsp);
        memcpy(rsp + 8, body, h.len);
        dfu_link_send(&o->l, rsp, 8u + h.len);
    }
    return NULL;
}

static void test_v1_fallback(void)
{
    static oldsrv_t o;
    memset(&o, 0, sizeof(o));
    CHECK_EQ_INT(dfu_link_udp_server_open(&o.l, "127.0.0.1", 0, 0), 0);
    pthread_t th;
    pthread_create(&th, NULL, oldsrv_main, &o);
    char conn[64];
    snprintf(conn, sizeof(conn), "udp:127.0.0.1:%u", dfu_link_udp_port(&o.l));
    static dfu_client_t c;
    dfu_client_cfg_t cfg = {.conn = conn, .timeout_ms = 1000};
    CHECK_EQ_INT(dfu_client_open(&c, &cfg), 0);
    char r[16];
    CHECK_EQ_INT(dfu_client_echo(&c, "x", r, sizeof(r)), 0);
    CHECK_EQ_INT(c.version, 0); /* switched to SMP v1 */
    dfu_client_state_t st;
    CHECK_EQ_INT(dfu_client_state_write(&c, NULL, true, &st), DFU_ERR_DEVICE);
    CHECK_EQ_INT(c.err.rc, 6);
    CHECK_EQ_INT(c.err.group_rc, 0);
    CHECK(dfu_client_err_is_state(&c.err));
    CHECK(strcmp(dfu_client_explain(c.err.group, c.err.group_rc, c.err.rc)->name, "EBADSTATE") ==
          0);
    /* doctor: the 60-byte buffer cannot carry a first chunk */
    char path[300];
    const char *tmp = tu_tmpdir();
    snprintf(path, sizeof(path), "%s/doctor.json", tmp);
    FILE *f = fopen(path, "w");
    CHECK_EQ_INT(dfu_client_doctor(&c, true, f), 1);
    fclose(f);
    int jq = tu_jq(path, "[.problems[].id] | index(\"buffer_small\") != null");
    CHECK(jq != 0);
    tu_rmtree(tmp);
    dfu_client_close(&c);
    o.stop = 1;
    pthread_join(th, NULL);
    dfu_link_close(&o.l);
    CHECK(o.n >= 2);
    CHECK_EQ_INT(o.versions_seen[0], 1); /* first request: SMP v2 */
    CHECK_EQ_INT(o.versions_seen[1], 0); /* after the v0 answer: SMP v1 */
}

/* ---- Hostile responses: random payloads behind valid headers never crash the client ---------- */

typedef struct {
    dfu_link_t l;
    volatile int stop;
    unsigned seed;
} randsrv_t;

static void *randsrv_main(void *arg)
{
    randsrv_t *o = arg;
    uint8_t in[2048], rsp[300];
    /* fragments that make the response getters reach deeper: maps with the keys the client reads */
    static const uint8_t frags[][12] = {
        {0xa1, 0x66, 'i', 'm', 'a', 'g', 'e', 's'},
        {0x9f},
        {0xbf},
        {0xff},
        {0x64, 's', 'l', 'o', 't'},
        {0x64, 'h', 'a', 's', 'h'},
        {0x58, 0x20},
        {0x63, 'o', 'f', 'f'},
        {0x1b, 0xff, 0xff},
        {0x68, 'b', 'u', 'f', '_', 's', 'i', 'z', 'e'},
        {0x62, 'r', 'c'},
        {0x63, 'e', 'r', 'r'},
    };
    while (!o->stop) {
        int n = dfu_link_recv(&o->l, in, sizeof(in), 20);
        dfu_smp_hdr_t h;
        if (n < 8 || dfu_smp_hdr_decode(in, (size_t)n, &h) != 0) {
            continue;
        }
        size_t len = 0;
        unsigned r = o->seed = o->seed * 1103515245u + 12345u;
        size_t parts = (r >> 8) % 12;
        for (size_t i = 0; i < parts && len < 250; i++) {
            unsigned x = o->seed = o->seed * 1103515245u + 12345u;
            if ((x >> 16) % 3 == 0) {
                rsp[8 + len++] = (uint8_t)(x >> 8);
            } else {
                const uint8_t *f = frags[(x >> 16) % 12];
                size_t fl = 1;
                while (fl < 12 && f[fl] != 0) {
                    fl++;
                }
                memcpy(rsp + 8 + len, f, fl);
                len += fl;
            }
        }
        h.op = (uint8_t)(h.op | 1u);
        h.len = (uint16_t)len;
        dfu_smp_hdr_encode(&h, rsp);
        dfu_link_send(&o->l, rsp, 8 + len);
    }
    return NULL;
}

static void test_hostile(void)
{
    static randsrv_t o;
    memset(&o, 0, sizeof(o));
    o.seed = 1;
    CHECK_EQ_INT(dfu_link_udp_server_open(&o.l, "127.0.0.1", 0, 0), 0);
    pthread_t th;
    pthread_create(&th, NULL, randsrv_main, &o);
    char conn[64];
    snprintf(conn, sizeof(conn), "udp:127.0.0.1:%u", dfu_link_udp_port(&o.l));
    static dfu_client_t c;
    dfu_client_cfg_t cfg = {.conn = conn,
                            .timeout_ms = 200,
                            .retries = -1,
                            .log = getenv("DFU_TEST_LOG") ? stderr : NULL};
    CHECK_EQ_INT(dfu_client_open(&c, &cfg), 0);
    int bad = 0;
    for (int i = 0; i < 200; i++) {
        dfu_client_state_t st;
        dfu_client_params_t p;
        dfu_client_boot_t b;
        dfu_client_slotinfo_t si;
        char r[32];
        int rc[5] = {dfu_client_state_read(&c, &st), dfu_client_params(&c, &p),
                     dfu_client_bootloader(&c, &b), dfu_client_slot_info(&c, &si),
                     dfu_client_echo(&c, "x", r, sizeof(r))};
        for (int k = 0; k < 5; k++) {
            bad += rc[k] > 0; /* only 0 or a negative dfu_err are allowed */
        }
    }
    CHECK_EQ_INT(bad, 0);
    dfu_client_close(&c);
    o.stop = 1;
    pthread_join(th, NULL);
    dfu_link_close(&o.l);
}

int main(void)
{
    test_hostile();
    test_v1_fallback();
    test_chunks();
    test_errtab();
    test_conn();
    test_observed();
    test_hex_state();
    test_json();
    return dfu_test_finish("test_client_unit");
}
