/* Replays the requests real SMP clients sent (../shared/vectors/smp-peers/clients: Go mcumgr,
 * smpclient, mcumgr-client, mcumgr-web incl. its pipelined fast mode) through our server.
 * Echo, params and reset answers must decode-equal the captured Zephyr-like answers, every upload
 * answer must carry the same `off` the capture shows, the upload must rebuild a_ecdsa_p256.bin
 * byte for byte (and validate), and image state/erase answers follow current Zephyr's rules
 * (the capture's responder was deliberately loose there, so those are checked against our own
 * expectations: test → pending; confirm while a test is pending → err 28 / rc 6). */
#include "dfu_test.h"
#include "dfukit/dfu_cbor.h"
#include "dfukit/dfu_err.h"
#include "dfukit/dfu_image.h"
#include "smp_testutil.h"

typedef struct rec {
    uint8_t *b;
    size_t n;
} rec_t;

static size_t load(const char *path, const char *dir, rec_t *out, size_t max, bool *udp)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        return 0;
    }
    static char line[1 << 20];
    char key[32];
    snprintf(key, sizeof key, "\"dir\":\"%s\"", dir);
    size_t n = 0;
    while (fgets(line, sizeof line, f) && n < max) {
        char *h = strstr(line, "\"hex\":\"");
        if (!strstr(line, key) || !h || h[7] == '"') {
            continue;
        }
        *udp = strstr(line, "\"transport\":\"udp\"") != NULL;
        char *end = strchr(h + 7, '"');
        *end = 0;
        out[n].b = malloc(strlen(h + 7) / 2 + 1);
        out[n].n = tu_unhex(h + 7, out[n].b, strlen(h + 7) / 2);
        n++;
    }
    fclose(f);
    return n;
}

static uint64_t get_off(const uint8_t *p, size_t n, bool *has)
{
    uint64_t off = 0;
    uint32_t found = 0;
    const dfu_cbor_key_t k[] = {{"off", DFU_CBOR_WANT_UINT, 0, &off}};
    *has = dfu_cbor_decode_map(p, n, k, 1, &found) == 0 && found == 1;
    return off;
}

static void replay(const char *name, const uint8_t *file, size_t flen)
{
    char path[512];
    snprintf(path, sizeof path, "%s/vectors/smp-peers/clients/%s", DFU_SHARED_DIR, name);
    static rec_t req[1000], rsp[1000];
    bool udp = false;
    size_t nreq = load(path, "req", req, 1000, &udp);
    size_t nrsp = load(path, "rsp", rsp, 1000, &udp);
    CHECK(nreq > 10);
    static uint8_t a0[9000];
    uint8_t h0[32];
    size_t na0 = tu_make_image(a0, sizeof a0, 8000, 1, 0, 0, 0, 1, h0);
    uint8_t hfile[32];
    tu_unhex("5a4e751f066ac9897f7619314eed7d05b773a8d8c6fc4e21278ae3af8ed264ec", hfile, 32);
    tu_opts_t o = {.buf_size = udp ? 2048 : 384, .buf_count = udp ? 2 : 4, .no_rsn = true};
    tu_dev_t *d = tu_dev_new(&o, a0, na0);
    size_t ri = 0;
    int upload_bad = 0, other_bad = 0, tests = 0, confirms28 = 0, uploaded = 0;
    for (size_t i = 0; i < nreq; i++) {
        int n = tu_dev_req(d, req[i].b, req[i].n, 1);
        if (n != 1) {
            other_bad++;
            continue;
        }
        const uint8_t *our = d->rsp[0];
        size_t on = d->rsp_len[0];
        uint16_t group = (uint16_t)(req[i].b[4] << 8 | req[i].b[5]);
        uint8_t id = req[i].b[7];
        /* the capture's answer to this request: same seq/group/id, in order */
        const rec_t *cap = NULL;
        for (size_t k = ri; k < nrsp; k++) {
            if (rsp[k].n >= 8 && rsp[k].b[6] == req[i].b[6] && rsp[k].b[5] == req[i].b[5] &&
                rsp[k].b[7] == id) {
                cap = &rsp[k];
                ri = k + 1;
                break;
            }
        }
        CHECK(cap != NULL);
        if (!cap) {
            continue;
        }
        /* header: op, version mirrored, seq, group, id */
        CHECK_EQ_INT(our[0], cap->b[0]);
        CHECK_MEM(our + 4, cap->b + 4, 4);
        char *oc = tu_canon(our + 8, on - 8);
        char *cc = tu_canon(cap->b + 8, cap->n - 8);
        CHECK(oc != NULL && cc != NULL);
        if (group == 1 && id == 1) {
            bool h1, h2;
            uint64_t o1 = get_off(our + 8, on - 8, &h1);
            uint64_t o2 = get_off(cap->b + 8, cap->n - 8, &h2);
            if (!h1 || !h2 || o1 != o2) {
                upload_bad++;
                fprintf(stderr, "  %s upload #%zu: ours %s capture %s\n", name, i, oc, cc);
            }
            if (h1 && o1 == flen && !uploaded) {
                uploaded = 1;
                CHECK(strstr(oc, "\"match\":true") != NULL);
                CHECK_MEM(d->fl.mem + TU_PRIMARY_SIZE, file, flen);
            }
        } else if (group == 0) {
            if (strcmp(oc, cc) != 0) {
                other_bad++;
                fprintf(stderr, "  %s os #%zu: ours %s capture %s\n", name, i, oc, cc);
            }
        } else if (group == 1 && id == 0 && (req[i].b[0] & 7) == DFU_SMP_OP_WRITE) {
            /* state write: decide from the request what current Zephyr answers */
            bool confirm = false;
            dfu_cbor_str_t hash = {0};
            const dfu_cbor_key_t k[] = {{"confirm", DFU_CBOR_WANT_BOOL, 0, &confirm},
                                        {"hash", DFU_CBOR_WANT_BSTR, DFU_CBOR_NULLABLE, &hash}};
            CHECK_EQ_INT(dfu_cbor_decode_map(req[i].b + 8, req[i].n - 8, k, 2, NULL), 0);
            if (!confirm) {
                tests++;
                CHECK(strstr(oc, "\"pending\":true,\"permanent\":false,\"slot\":1") != NULL);
            } else if (hash.len == 32 && memcmp(hash.ptr, h0, 32) != 0 &&
                       memcmp(hash.ptr, hfile, 32) != 0) {
                /* hash of the capture responder's synthetic slot 0: not on our device */
                bool v2 = (req[i].b[0] >> 3) == 1;
                CHECK(strstr(oc, v2 ? "\"err\":{\"group\":1,\"rc\":8}" : "\"rc\":1") != NULL);
            } else {
                bool v2 = (req[i].b[0] >> 3) == 1;
                confirms28 +=
                    strstr(oc, v2 ? "\"err\":{\"group\":1,\"rc\":28}" : "\"rc\":6") != NULL;
            }
        } else if (group == 1 && id == 5) {
            CHECK(strcmp(oc, "{}") == 0); /* erase cancels the pending test (ALLOW_ERASE_PENDING) */
        } else if (group == 1 && id == 0) {
            CHECK(strncmp(oc, "{\"images\":[", 11) == 0);
        }
        free(oc);
        free(cc);
    }
    CHECK_EQ_INT(upload_bad, 0);
    CHECK_EQ_INT(other_bad, 0);
    CHECK_EQ_INT(uploaded, 1);
    if (strstr(name, "fast") == NULL) {
        CHECK_EQ_INT(tests, 1);
        CHECK(confirms28 >= 1 || strstr(name, "mcumgr-web") != NULL);
    }
    printf("%s: %zu requests replayed, upload %s\n", name, nreq, uploaded ? "complete" : "-");
    for (size_t i = 0; i < nreq; i++) {
        free(req[i].b);
    }
    for (size_t i = 0; i < nrsp; i++) {
        free(rsp[i].b);
    }
    tu_dev_free(d);
}

int main(void)
{
    if (!dfu_test_have_shared("smp-peers replay")) {
        return dfu_test_finish("test_smp_peers");
    }
    size_t flen;
    uint8_t *file = tu_read_file(DFU_SHARED_DIR "/vectors/imgtool/images/a_ecdsa_p256.bin", &flen);
    CHECK(file != NULL);
    if (!file) {
        return dfu_test_finish("test_smp_peers");
    }
    const char *names[] = {"go-mcumgr.udp.jsonl",     "go-mcumgr.serial.jsonl",
                           "smpclient.udp.jsonl",     "smpclient.serial.jsonl",
                           "mcumgr-client.udp.jsonl", "mcumgr-client.serial.jsonl",
                           "mcumgr-web.udp.jsonl",    "mcumgr-web-fast.udp.jsonl"};
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        replay(names[i], file, flen);
    }
    free(file);
    return dfu_test_finish("test_smp_peers");
}
