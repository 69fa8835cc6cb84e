/*
 * Modelled BLE link over a Unix socket in a temp dir: MTU exchange, fragmentation of a 2 KiB
 * message at MTU 23 and 247, pairing with right/wrong passkey, ATT 0x05 on a weak link, bonds
 * persisted through the device callbacks and reused at reconnect, disconnect on device reset.
 * The device end runs in a second thread (the link itself is single-threaded per instance).
 */
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "dfu_test.h"
#include "dfukit/dfu_err.h"
#include "dfukit/dfu_host_ble.h"
#include "dfukit/dfu_link.h"

#define PASSKEY 123456u
#define RESET_GROUP 0xFFFFu /* test device: a message to this group resets (drops the link) */

/* ---- the test device ------------------------------------------------------------------------ */

typedef struct device {
    char path[108];
    dfu_ble_server_cfg_t cfg;
    dfu_ble_bond_t bonds[4];
    int nbonds;
    atomic_int stores, lookups;
    atomic_int required; /* level needed for any write */
    atomic_int stop;
    atomic_int ready;
    atomic_int resets;
    pthread_t thread;
} device_t;

static int bond_lookup(void *ctx, const uint8_t peer[6], dfu_ble_bond_t *out)
{
    device_t *d = ctx;
    d->lookups++;
    for (int i = 0; i < d->nbonds; i++) {
        if (memcmp(d->bonds[i].peer, peer, 6) == 0) {
            *out = d->bonds[i];
            return DFU_OK;
        }
    }
    return DFU_ERR_NOT_FOUND;
}

static int bond_store(void *ctx, const dfu_ble_bond_t *b)
{
    device_t *d = ctx;
    int i = 0;
    while (i < d->nbonds && memcmp(d->bonds[i].peer, b->peer, 6) != 0) {
        i++;
    }
    if (i == 4) {
        return DFU_ERR_NOSPC;
    }
    d->bonds[i] = *b;
    d->nbonds = i == d->nbonds ? i + 1 : d->nbonds;
    d->stores++;
    return DFU_OK;
}

static void *device_main(void *arg)
{
    device_t *d = arg;
    dfu_link_t l;
    static uint8_t buf[4096];
    if (dfu_link_ble_server_open(&l, d->path, &d->cfg) != DFU_OK) {
        d->ready = -1;
        return NULL;
    }
    d->ready = 1;
    while (!d->stop) {
        int n = dfu_link_recv(&l, buf, sizeof(buf), 20);
        if (n < 8) {
            continue;
        }
        uint16_t group = (uint16_t)((buf[4] << 8) | buf[5]);
        if (group == RESET_GROUP) {
            d->resets++;
            dfu_link_drop(&l, DFU_BLE_REASON_TIMEOUT);
            continue;
        }
        if (dfu_link_security(&l) < d->required) {
            dfu_link_ble_att_error(&l, DFU_BLE_ATT_ERR_INSUFF_AUTHEN);
            continue;
        }
        buf[0] = (uint8_t)(buf[0] | 1u); /* response op */
        dfu_link_send(&l, buf, (size_t)n);
    }
    dfu_link_close(&l);
    return NULL;
}

static void device_start(device_t *d, const char *dir, const char *file, uint8_t cccd_level)
{
    snprintf(d->path, sizeof(d->path), "%s/%s", dir, file);
    d->cfg.cccd_level = cccd_level;
    d->cfg.name = "dfukit-sim";
    d->cfg.has_passkey = true;
    d->cfg.passkey = PASSKEY;
    d->cfg.pair_level = 3;
    d->cfg.bonds.lookup = bond_lookup;
    d->cfg.bonds.store = bond_store;
    d->cfg.bonds.ctx = d;
    pthread_create(&d->thread, NULL, device_main, d);
    while (d->ready == 0) {
        usleep(1000);
    }
}

static void device_stop(device_t *d)
{
    d->stop = 1;
    pthread_join(d->thread, NULL);
}

/* An SMP-shaped message: 8-byte header with the payload length, then a pattern. */
static size_t make_msg(uint8_t *m, size_t total, uint16_t group, uint8_t seq)
{
    size_t plen = total - 8;
    m[0] = 0x0A;
    m[1] = 0;
    m[2] = (uint8_t)(plen >> 8);
    m[3] = (uint8_t)plen;
    m[4] = (uint8_t)(group >> 8);
    m[5] = (uint8_t)group;
    m[6] = seq;
    m[7] = 0;
    for (size_t i = 8; i < total; i++) {
        m[i] = (uint8_t)(i * 13 + seq);
    }
    return total;
}

static int echo(dfu_link_t *l, size_t len, uint8_t seq)
{
    static uint8_t m[4096], got[4096];
    make_msg(m, len, 1, seq);
    int rc = dfu_link_send(l, m, len);
    if (rc != DFU_OK) {
        return rc;
    }
    rc = dfu_link_recv(l, got, sizeof(got), 3000);
    if (rc < 0) {
        return rc;
    }
    m[0] |= 1u;
    return (rc == (int)len && memcmp(got, m, len) == 0) ? DFU_OK : DFU_ERR_CORRUPT;
}

/* ---- raw wire protocol (docs/LINKS.md), to see the fragments -----------------------------------
 */

static int raw_connect(const char *path)
{
    struct sockaddr_un a = {.sun_family = AF_UNIX};
    strcpy(a.sun_path, path);
    int fd = socket(AF_UNIX, SOCK_STREAM, 0);
    if (connect(fd, (struct sockaddr *)&a, sizeof(a)) != 0) {
        close(fd);
        return -1;
    }
    return fd;
}

static void raw_send(int fd, uint8_t type, const uint8_t *p, size_t n)
{
    uint8_t h[3] = {type, (uint8_t)(n >> 8), (uint8_t)n};
    CHECK(write(fd, h, 3) == 3);
    CHECK(n == 0 || write(fd, p, n) == (ssize_t)n);
}

static int read_full(int fd, uint8_t *p, size_t n)
{
    while (n > 0) {
        ssize_t r = read(fd, p, n);
        if (r <= 0) {
            return -1;
        }
        p += r;
        n -= (size_t)r;
    }
    return 0;
}

/* Returns the packet type, payload in p (len in *n), or -1. */
static int raw_recv(int fd, uint8_t *p, size_t *n)
{
    uint8_t h[3];
    if (read_full(fd, h, 3) != 0) {
        return -1;
    }
    *n = ((size_t)h[1] << 8) | h[2];
    return read_full(fd, p, *n) == 0 ? h[0] : -1;
}

static void test_fragmentation(const char *path, uint16_t mtu)
{
    uint8_t p[700], msg[2048], back[2048];
    size_t n = 0;
    int fd = raw_connect(path);
    CHECK(fd >= 0);
    CHECK_EQ_INT(raw_recv(fd, p, &n), 0x01); /* ADV: flags, name */
    CHECK_EQ_INT(p[0], 0x01);                /* passkey display */
    CHECK(n == 1 + strlen("dfukit-sim") && memcmp(p + 1, "dfukit-sim", n - 1) == 0);
    uint8_t addr[6] = {1, 2, 3, 4, 5, 6};
    raw_send(fd, 0x0C, addr, 6);
    uint8_t req[2] = {(uint8_t)(mtu >> 8), (uint8_t)mtu};
    raw_send(fd, 0x02, req, 2);
    CHECK_EQ_INT(raw_recv(fd, p, &n), 0x03);
    CHECK_EQ_INT(n, 2);
    CHECK_EQ_INT((p[0] << 8) | p[1], 247); /* the device's own MTU */
    size_t frag = (size_t)mtu - 3u;
    /* Notifications not enabled yet: the device's response is dropped. */
    make_msg(msg, 12, 1, 6);
    raw_send(fd, 0x08, msg, 12);
    struct pollfd pf = {.fd = fd, .events = POLLIN};
    CHECK_EQ_INT(poll(&pf, 1, 100), 0);
    uint8_t cccd[2] = {0x00, 0x01};
    raw_send(fd, 0x0D, cccd, 2);
    CHECK_EQ_INT(raw_recv(fd, p, &n), 0x0E); /* write response */
    CHECK_EQ_INT(n, 0);
    make_msg(msg, sizeof(msg), 1, 7);
    /* A fragment longer than MTU-3 is dropped by the device (and resets reassembly). */
    raw_send(fd, 0x08, msg, frag + 1);
    for (size_t off = 0; off < sizeof(msg); off += frag) {
        raw_send(fd, 0x08, msg + off, sizeof(msg) - off < frag ? sizeof(msg) - off : frag);
    }
    size_t got = 0, frags = 0;
    while (got < sizeof(back)) {
        int t = raw_recv(fd, p, &n);
        CHECK_EQ_INT(t, 0x09);
        if (t != 0x09 || n > frag || got + n > sizeof(back)) {
            break;
        }
        memcpy(back + got, p, n);
        got += n;
        frags++;
    }
    CHECK_EQ_INT(got, sizeof(msg));
    msg[0] |= 1u;
    CHECK_MEM(back, msg, sizeof(msg));
    CHECK_EQ_INT(frags, (sizeof(msg) + frag - 1) / frag); /* 103 at MTU 23, 9 at MTU 247 */
    printf("ble: 2048-byte message at MTU %u -> %zu notifications of <= %zu bytes\n", mtu, frags,
           frag);
    close(fd);
}

/* Garbage on the socket: the device drops that connection and serves the next central. */
static void test_garbage(device_t *d)
{
    uint8_t junk[700];
    uint32_t x = 12345;
    for (int round = 0; round < 20; round++) {
        int fd = raw_connect(d->path);
        CHECK(fd >= 0);
        size_t n = 1 + (size_t)(round * 37) % sizeof(junk);
        for (size_t i = 0; i < n; i++) {
            x = x * 1103515245u + 12345u;
            junk[i] = (uint8_t)(x >> 16);
        }
        if (round % 4 == 0) {
            junk[0] = 0x08; /* a WRITE with an impossible length */
            junk[1] = 0xFF;
        }
        (void)!write(fd, junk, n);
        close(fd);
    }
    dfu_link_t l;
    CHECK_EQ_INT(dfu_link_ble_client_open(&l, d->path, NULL), DFU_OK);
    CHECK_EQ_INT(echo(&l, 500, 1), DFU_OK);
    dfu_link_close(&l);
}

/* ---- client API ---------------------------------------------------------------------------- */

static void test_connect_mtu(device_t *d)
{
    dfu_link_t l;
    dfu_ble_client_cfg_t c = {.mtu = 23};
    CHECK_EQ_INT(dfu_link_ble_client_open(&l, d->path, &c), DFU_OK);
    CHECK(strcmp(dfu_link_ble_peer_name(&l), "dfukit-sim") == 0);
    CHECK_EQ_INT(l.att_mtu, 23);
    CHECK_EQ_INT(dfu_link_security(&l), 1);
    CHECK_EQ_INT(echo(&l, 2048, 1), DFU_OK);
    CHECK_EQ_INT(echo(&l, 8, 2), DFU_OK);
    /* A second central is refused while one is connected (the device stops advertising). */
    dfu_link_t l2;
    CHECK_EQ_INT(dfu_link_ble_client_open(&l2, d->path, NULL), DFU_ERR_NOTCONN);
    dfu_link_close(&l);

    c.mtu = 517; /* device offers 247 */
    CHECK_EQ_INT(dfu_link_ble_client_open(&l, d->path, &c), DFU_OK);
    CHECK_EQ_INT(l.att_mtu, 247);
    CHECK_EQ_INT(echo(&l, 2048, 3), DFU_OK);
    /* Larger than the client's reassembly limit / the link MTU: refused before sending. */
    uint8_t big[8];
    CHECK_EQ_INT(dfu_link_send(&l, big, dfu_link_mtu(&l) + 1), DFU_ERR_MSGSIZE);
    dfu_link_close(&l);

    c.mtu = 10;
    CHECK_EQ_INT(dfu_link_ble_client_open(&l, d->path, &c), DFU_ERR_INVAL);
    char nowhere[200];
    snprintf(nowhere, sizeof(nowhere), "%s.none", d->path);
    CHECK_EQ_INT(dfu_link_ble_client_open(&l, nowhere, NULL), DFU_ERR_NOTCONN);
}

static void test_pairing_and_security(device_t *d)
{
    dfu_link_t l;
    dfu_ble_client_cfg_t c = {.security = 3, .has_passkey = true, .passkey = 654321};
    /* Wrong passkey: pairing fails, the link is not opened. */
    CHECK_EQ_INT(dfu_link_ble_client_open(&l, d->path, &c), DFU_ERR_PAIRING);
    CHECK_EQ_INT(d->stores, 0);
    /* Right passkey, no bonding: L3 (the device's pair_level), nothing stored. */
    c.passkey = PASSKEY;
    CHECK_EQ_INT(dfu_link_ble_client_open(&l, d->path, &c), DFU_OK);
    CHECK_EQ_INT(dfu_link_security(&l), 3);
    dfu_ble_bond_t b;
    CHECK_EQ_INT(dfu_link_ble_get_bond(&l, &b), DFU_ERR_NOT_FOUND);
    dfu_link_close(&l);

    /* The device demands L3 for writes: an unpaired link gets ATT 0x05, pairing fixes it. */
    d->required = 3;
    dfu_ble_client_cfg_t open_cfg = {.mtu = 247};
    CHECK_EQ_INT(dfu_link_ble_client_open(&l, d->path, &open_cfg), DFU_OK);
    CHECK_EQ_INT(echo(&l, 100, 1), DFU_ERR_ACCESS);
    CHECK_EQ_INT(dfu_link_ble_last_att_error(&l), 0x05);
    /* Just Works reaches only L2: still refused. */
    CHECK_EQ_INT(dfu_link_ble_pair(&l, false, 0, false), 2);
    CHECK_EQ_INT(echo(&l, 100, 2), DFU_ERR_ACCESS);
    CHECK_EQ_INT(dfu_link_ble_pair(&l, true, 111111, true), DFU_ERR_PAIRING);
    CHECK_EQ_INT(dfu_link_security(&l), 2);
    CHECK_EQ_INT(dfu_link_ble_pair(&l, true, PASSKEY, true), 3);
    CHECK_EQ_INT(echo(&l, 100, 3), DFU_OK);
    CHECK_EQ_INT(d->stores, 1); /* bond persisted through the device callback */
    CHECK_EQ_INT(dfu_link_ble_get_bond(&l, &b), DFU_OK);
    CHECK_EQ_INT(b.level, 3);

    /* Device reset: the client sees the disconnect, then reconnects using the bond (no passkey). */
    uint8_t m[16];
    make_msg(m, sizeof(m), RESET_GROUP, 9);
    CHECK_EQ_INT(dfu_link_send(&l, m, sizeof(m)), DFU_OK);
    CHECK_EQ_INT(dfu_link_recv(&l, m, sizeof(m), 3000), DFU_ERR_NOTCONN);
    CHECK_EQ_INT(d->resets, 1);
    CHECK_EQ_INT(dfu_link_send(&l, m, sizeof(m)), DFU_ERR_NOTCONN);
    CHECK_EQ_INT(dfu_link_security(&l), 1);
    int lookups = d->lookups;
    CHECK_EQ_INT(dfu_link_reconnect(&l), DFU_OK);
    CHECK_EQ_INT(dfu_link_security(&l), 3);
    CHECK(d->lookups > lookups);
    CHECK_EQ_INT(echo(&l, 300, 4), DFU_OK);
    dfu_link_close(&l);

    /* A later session with the persisted bond reaches L3 without a passkey. */
    dfu_ble_client_cfg_t again = {.security = 3, .known_bond = b};
    CHECK_EQ_INT(dfu_link_ble_client_open(&l, d->path, &again), DFU_OK);
    CHECK_EQ_INT(dfu_link_security(&l), 3);
    CHECK_EQ_INT(echo(&l, 2048, 5), DFU_OK);
    dfu_link_close(&l);
    /* A forged bond fails encryption; without a passkey only L2 is possible -> refused. */
    again.known_bond.ltk[0] ^= 0x55;
    CHECK_EQ_INT(dfu_link_ble_client_open(&l, d->path, &again), DFU_ERR_PAIRING);
    /* A different central address has no bond on the device. */
    dfu_ble_client_cfg_t other = {.addr = {9, 9, 9, 9, 9, 9}, .security = 3, .known_bond = b};
    CHECK_EQ_INT(dfu_link_ble_client_open(&l, d->path, &other), DFU_ERR_PAIRING);
    d->required = 0;
}

static void test_faults_and_model(device_t *d)
{
    dfu_link_t l;
    dfu_ble_client_cfg_t c = {.mtu = 23};
    CHECK_EQ_INT(dfu_link_ble_client_open(&l, d->path, &c), DFU_OK);
    /* The link drops after 3 messages: echo, then the 3rd message goes and the link is down. */
    dfu_link_faults_t f = {.drop_link_after = 3};
    dfu_link_set_faults(&l, &f);
    CHECK_EQ_INT(echo(&l, 50, 1), DFU_OK);
    uint8_t m[64];
    make_msg(m, 50, 1, 2);
    CHECK_EQ_INT(dfu_link_send(&l, m, 50), DFU_OK);
    CHECK_EQ_INT(dfu_link_recv(&l, m, sizeof(m), 500), DFU_ERR_NOTCONN);
    CHECK_EQ_INT(dfu_link_reconnect_wait(&l, 2000), DFU_OK);
    dfu_link_set_faults(&l, NULL);
    CHECK_EQ_INT(echo(&l, 50, 3), DFU_OK);

    /* Timing model on this end: a 2 KiB echo at 1M/no DLE/CI 7.5 ms/MTU 23. */
    dfu_linkmodel_t mdl;
    CHECK_EQ_INT(dfu_linkmodel_parse(&mdl, "ble,phy=1m,dle=27,ci=7.5"), DFU_OK);
    CHECK_EQ_INT(dfu_link_set_model(&l, &mdl), DFU_OK);
    uint64_t want = dfu_linkmodel_oneway_us(&mdl, 2048, 23) * 2;
    uint64_t t0 = dfu_link_now_us();
    CHECK_EQ_INT(echo(&l, 2048, 4), DFU_OK);
    uint64_t took = dfu_link_now_us() - t0;
    printf("ble model 1M/27/7.5ms/MTU23: 2 KiB echo took %llu us (model >= %llu)\n",
           (unsigned long long)took, (unsigned long long)want);
    CHECK(took >= want);
    CHECK(took < want + 1000000);
    dfu_link_close(&l);
}

/* A device whose SMP characteristic needs L3 (Zephyr RW_AUTHEN): enabling notifications fails
 * with 0x05 until the central pairs with the passkey, and with 0x0F for a bonded but not yet
 * encrypted central. */
static void test_cccd_permission(const char *dir)
{
    static device_t d2;
    device_start(&d2, dir, "authen.sock", 3);
    dfu_link_t l;
    dfu_ble_client_cfg_t c = {.mtu = 247};
    CHECK_EQ_INT(dfu_link_ble_client_open(&l, d2.path, &c), DFU_ERR_ACCESS);
    /* Just Works (L2) is not enough either. */
    c.security = 2;
    CHECK_EQ_INT(dfu_link_ble_client_open(&l, d2.path, &c), DFU_ERR_ACCESS);
    /* With the passkey the client pairs on 0x05 by itself, as phones do, and bonds. */
    c.security = 0;
    c.has_passkey = true;
    c.passkey = PASSKEY;
    c.bond = true;
    CHECK_EQ_INT(dfu_link_ble_client_open(&l, d2.path, &c), DFU_OK);
    CHECK_EQ_INT(dfu_link_security(&l), 3);
    CHECK_EQ_INT(dfu_link_ble_last_att_error(&l), 0x05);
    CHECK_EQ_INT(echo(&l, 1500, 1), DFU_OK);
    dfu_ble_bond_t b;
    CHECK_EQ_INT(dfu_link_ble_get_bond(&l, &b), DFU_OK);
    dfu_link_close(&l);

    /* Raw central with the bonded address but no encryption: 0x0F; unknown address: 0x05. */
    const uint8_t addrs[2][6] = {{0xC0, 0xDF, 0, 0, 0, 1}, {7, 7, 7, 7, 7, 7}};
    const uint8_t want[2] = {0x0F, 0x05};
    for (int i = 0; i < 2; i++) {
        uint8_t p[700];
        size_t n = 0;
        int fd = raw_connect(d2.path);
        CHECK_EQ_INT(raw_recv(fd, p, &n), 0x01);
        raw_send(fd, 0x0C, addrs[i], 6);
        uint8_t cccd[2] = {0x00, 0x01};
        raw_send(fd, 0x0D, cccd, 2);
        CHECK_EQ_INT(raw_recv(fd, p, &n), 0x0A);
        CHECK_EQ_INT(n, 4);
        CHECK_EQ_INT(p[0], 0x12); /* Write Request (the CCCD write) */
        CHECK_EQ_INT((p[1] << 8) | p[2], 0x0013);
        CHECK_EQ_INT(p[3], want[i]);
        close(fd);
        usleep(20000); /* let the device see the disconnect */
    }

    /* Next session: the saved bond encrypts the link first, so no passkey is needed. */
    dfu_ble_client_cfg_t again = {.known_bond = b};
    CHECK_EQ_INT(dfu_link_ble_client_open(&l, d2.path, &again), DFU_OK);
    CHECK_EQ_INT(dfu_link_security(&l), 3);
    CHECK_EQ_INT(echo(&l, 100, 2), DFU_OK);
    dfu_link_close(&l);
    device_stop(&d2);
}

int main(void)
{
    char dir[] = "/tmp/dfu-hostlink-XXXXXX";
    if (mkdtemp(dir) == NULL) {
        perror("mkdtemp");
        return 1;
    }
    static device_t dev;
    dfu_link_t l0;
    device_start(&dev, dir, "dev.sock", 0);
    CHECK_EQ_INT(dev.ready, 1);
    test_fragmentation(dev.path, 23);
    test_fragmentation(dev.path, 247);
    test_connect_mtu(&dev);
    test_garbage(&dev);
    test_pairing_and_security(&dev);
    test_faults_and_model(&dev);
    test_cccd_permission(dir);
    /* Connection string: pair at connect with the passkey, reach L3. */
    char spec[300];
    snprintf(spec, sizeof(spec), "ble-sim:%s,mtu=100,sec=3,passkey=123456", dev.path);
    CHECK_EQ_INT(dfu_link_open(&l0, spec, false), DFU_OK);
    CHECK_EQ_INT(dfu_link_security(&l0), 3);
    CHECK_EQ_INT(l0.att_mtu, 100);
    CHECK_EQ_INT(echo(&l0, 1000, 1), DFU_OK);
    dfu_link_close(&l0);
    snprintf(spec, sizeof(spec), "ble-sim:%s,sec=3,passkey=12345", dev.path); /* 5 digits */
    CHECK_EQ_INT(dfu_link_open(&l0, spec, false), DFU_ERR_INVAL);
    /* The device end is gone: reconnecting keeps failing until the deadline. */
    snprintf(spec, sizeof(spec), "ble-sim:%s", dev.path);
    CHECK_EQ_INT(dfu_link_open(&l0, spec, false), DFU_OK);
    device_stop(&dev);
    CHECK_EQ_INT(dfu_link_recv(&l0, (uint8_t *)spec, 16, 1000), DFU_ERR_NOTCONN); /* closed */
    uint64_t t0 = dfu_link_now_us();
    CHECK_EQ_INT(dfu_link_reconnect_wait(&l0, 300), DFU_ERR_NOTCONN);
    CHECK(dfu_link_now_us() - t0 >= 250000);
    dfu_link_close(&l0);
    snprintf(spec, sizeof(spec), "ble-sim:%s,name=spec-dev,passkey=000042,level=4,perm=3",
             dev.path);
    CHECK_EQ_INT(dfu_link_open(&l0, spec, true), DFU_OK);
    dfu_link_close(&l0);
    snprintf(spec, sizeof(spec), "ble-sim:%s,perm=5", dev.path);
    CHECK_EQ_INT(dfu_link_open(&l0, spec, true), DFU_ERR_INVAL);
    /* "ble:" is BlueZ: central only, options passkey and adapter. */
    CHECK_EQ_INT(dfu_link_open(&l0, "ble:C0:FF:EE:00:00:01,passkey=123456", true), DFU_ERR_INVAL);
    CHECK_EQ_INT(dfu_link_open(&l0, "ble:C0:FF:EE:00:00:01,mtu=100", false), DFU_ERR_INVAL);
    CHECK_EQ_INT(dfu_link_open(&l0, "ble-sim:/x,adapter=hci0", false), DFU_ERR_INVAL);
    /* The socket file is removed on close; the config is validated. */
    CHECK(access(dev.path, F_OK) != 0);
    dfu_link_t l;
    dfu_ble_server_cfg_t bad = {.name = "a-name-that-is-longer-than-29-bytes"};
    CHECK_EQ_INT(dfu_link_ble_server_open(&l, dev.path, &bad), DFU_ERR_INVAL);
    dfu_ble_server_cfg_t bad2 = {.has_passkey = true, .passkey = 1000000};
    CHECK_EQ_INT(dfu_link_ble_server_open(&l, dev.path, &bad2), DFU_ERR_INVAL);
    rmdir(dir);
    return dfu_test_finish("test_hostlink_ble");
}
