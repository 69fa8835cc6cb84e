/*
 * imgtool compatibility against the real-imgtool vectors in ../shared/vectors/imgtool:
 *  1. every `imgtool sign` command recorded in MANIFEST.md is replayed with `dfukit image sign`;
 *     deterministic outputs (unsigned, Ed25519, no encryption) must be byte-identical, randomized
 *     ones (ECDSA, RSA-PSS, encryption) must have the same layout and verify with dfukit
 *     (encrypted ones with --enc-key, i.e. decrypted by the device image library);
 *  2. `dfukit image info --json` on every vector image matches imgtool's *.dumpinfo.json
 *     (header, TLV lists, trailer) and its "hash" is the hash TLV (compared with python3);
 *  3. `dfukit image verify` verdicts equal imgtool's on every *.verify*.txt, same digest line;
 *  4. getpub/getpubhash on every vector key and getpriv on the encryption keys are
 *     byte-identical to imgtool's outputs;
 *  5. the Intel HEX writer re-emits imgtool's HEX files byte for byte (records, ELA, sparse
 *     trailer).
 * Without ../shared all of this is skipped with one line (the test still passes).
 */
#include <dirent.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dfu_imgtool.h"
#include "dfu_test.h"
#include "dfukit/dfu_image.h"
#include "run_util.h"

#define VEC DFU_SHARED_DIR "/vectors/imgtool"

static char tmp[256];

/* ---- 1. replay of the MANIFEST sign commands ------------------------------------------------ */

typedef struct {
    char name[128];
    char args[1024]; /* imgtool sign arguments without the output path */
} sign_cmd_t;

static size_t load_manifest(sign_cmd_t *cmds, size_t max)
{
    size_t len = 0, n = 0;
    char *text = (char *)read_file(VEC "/MANIFEST.md", &len);
    if (!text) {
        return 0;
    }
    char *line = text;
    while (line && *line && n < max) {
        char *nl = strchr(line, '\n');
        if (nl) {
            *nl = '\0';
        }
        char *img = strncmp(line, "| `images/", 10) == 0 ? line + 10 : NULL;
        char *cmd = img ? strstr(line, "`imgtool sign ") : NULL;
        char *name_end = img ? strchr(img, '`') : NULL;
        char *cmd_end = cmd ? strchr(cmd + 1, '`') : NULL;
        if (img && cmd && name_end && cmd_end) {
            *name_end = '\0';
            *cmd_end = '\0';
            char *last = strrchr(cmd, ' '); /* drop the output path */
            if (last) {
                *last = '\0';
            }
            snprintf(cmds[n].name, sizeof(cmds[n].name), "%s", img);
            snprintf(cmds[n].args, sizeof(cmds[n].args), "%s", cmd + 14);
            n++;
        }
        line = nl ? nl + 1 : NULL;
    }
    free(text);
    return n;
}

/* Value of option `opt` in an argument string ("" if absent). */
static void arg_value(const char *args, const char *opt, char *out, size_t n)
{
    char pat[32];
    snprintf(pat, sizeof(pat), "%s ", opt);
    const char *p = strstr(args, pat);
    out[0] = '\0';
    if (p) {
        p += strlen(pat);
        size_t k = strcspn(p, " ");
        snprintf(out, n, "%.*s", (int)(k < n ? k : n - 1), p);
    }
}

typedef struct {
    dfu_imgtool_buf_t data;
    uint32_t base;
    dfu_image_header_t hdr;
    dfu_image_tlv_t tlv[64];
    size_t n;
    uint32_t end;
} parsed_t;

static int parse_image(const char *path, parsed_t *p)
{
    memset(p, 0, sizeof(*p));
    dfu_imgtool_diag_t d;
    if (dfu_imgtool_image_read(path, "image", &p->data, &p->base, &d)) {
        return -1;
    }
    dfu_image_reader_t rd;
    dfu_image_tlv_iter_t it;
    dfu_image_reader_mem(&rd, p->data.data, (uint32_t)p->data.len);
    if (dfu_image_header_parse(p->data.data, p->data.len, &p->hdr) ||
        dfu_image_tlv_begin(&it, &rd, &p->hdr, DFU_IMAGE_TLV_ANY, 0)) {
        return -1;
    }
    while (p->n < 64 && dfu_image_tlv_next(&it, &p->tlv[p->n]) == 1) {
        p->n++;
    }
    p->end = dfu_image_tlv_end(&it);
    return 0;
}

static bool random_tlv(uint16_t t)
{
    return t == 0x20 || t == 0x22 || t == 0x23 || (t >= 0x30 && t <= 0x34) || t == 0x72;
}

/* Same layout: header and header area, payload (unless encrypted), TLV types/lengths (ECDSA
 * signature length may differ), data of every non-random TLV, HEX base, trailer bytes. */
static void compare_layout(const char *name, parsed_t *a, parsed_t *b, bool encrypted)
{
    int fails = dfu_test_fail_count;
    /* a DECOMP_SIGNATURE holds an ECDSA signature of random length: protect_tlv_size follows */
    long sig_delta = 0;
    bool random_prot = false; /* then the image hash covers random bytes too */
    for (size_t i = 0; i < a->n && i < b->n; i++) {
        if (a->tlv[i].type == 0x72 && b->tlv[i].type == 0x72) {
            sig_delta = (long)a->tlv[i].len - (long)b->tlv[i].len;
            random_prot = random_prot || !strstr(name, "ed25519");
        }
    }
    CHECK_MEM(a->data.data, b->data.data, 10);
    CHECK_EQ_INT((long)a->hdr.protect_tlv_size - sig_delta, b->hdr.protect_tlv_size);
    CHECK_MEM(a->data.data + 12, b->data.data + 12, b->hdr.hdr_size - 12u);
    CHECK_EQ_INT(a->base, b->base);
    if (!encrypted) {
        CHECK_MEM(a->data.data + b->hdr.hdr_size, b->data.data + b->hdr.hdr_size, b->hdr.img_size);
    }
    CHECK_EQ_INT(a->n, b->n);
    for (size_t i = 0; i < a->n && i < b->n; i++) {
        CHECK_EQ_INT(a->tlv[i].type, b->tlv[i].type);
        if (a->tlv[i].type != 0x22 && a->tlv[i].type != 0x72) {
            CHECK_EQ_INT(a->tlv[i].len, b->tlv[i].len);
        }
        bool hash = a->tlv[i].type >= 0x10 && a->tlv[i].type <= 0x12;
        if (!random_tlv(a->tlv[i].type) && !(hash && random_prot) &&
            a->tlv[i].len == b->tlv[i].len) {
            CHECK_MEM(a->data.data + a->tlv[i].off, b->data.data + b->tlv[i].off, a->tlv[i].len);
        }
    }
    if (b->data.len > b->end) { /* padded: same size and identical trailer region */
        CHECK_EQ_INT(a->data.len, b->data.len);
        size_t from = a->end > b->end ? a->end : b->end;
        if (a->data.len == b->data.len && from < a->data.len) {
            CHECK_MEM(a->data.data + from, b->data.data + from, a->data.len - from);
        }
    } else {
        CHECK_EQ_INT((long)a->data.len - (long)a->end, 0);
    }
    if (dfu_test_fail_count != fails) {
        fprintf(stderr, "  (layout mismatch in %s)\n", name);
    }
}

static void replay_one(const sign_cmd_t *c, int *identical, int *layout)
{
    run_result_t *r = calloc(1, sizeof(*r));
    char out[512], key[128], enc[128], enc_priv[160] = "";
    snprintf(out, sizeof(out), "%s/%s", tmp, c->name);
    arg_value(c->args, "-k", key, sizeof(key));
    arg_value(c->args, "-E", enc, sizeof(enc));
    int rc = run_dfukitf(r, VEC, "image sign %s %s", c->args, out);
    CHECK_EQ_INT(rc, 0);
    if (rc != 0) {
        fprintf(stderr, "  sign %s failed: %s", c->name, r->err);
        free(r);
        return;
    }
    bool deterministic = !enc[0] && (!key[0] || strstr(key, "ed25519"));
    char ref[512];
    snprintf(ref, sizeof(ref), VEC "/images/%s", c->name);
    if (deterministic) {
        size_t la = 0, lb = 0;
        uint8_t *a = read_file(out, &la), *b = read_file(ref, &lb);
        CHECK(a && b && la == lb && memcmp(a, b, la) == 0);
        if (!(a && b && la == lb && memcmp(a, b, la) == 0)) {
            fprintf(stderr, "  %s is not byte-identical to imgtool's\n", c->name);
        }
        free(a);
        free(b);
        (*identical)++;
    } else {
        parsed_t *pa = calloc(1, sizeof(*pa)), *pb = calloc(1, sizeof(*pb));
        CHECK(parse_image(out, pa) == 0 && parse_image(ref, pb) == 0);
        compare_layout(c->name, pa, pb, enc[0] && !strstr(c->args, "--clear"));
        dfu_imgtool_buf_free(&pa->data);
        dfu_imgtool_buf_free(&pb->data);
        free(pa);
        free(pb);
        (*layout)++;
    }
    if (enc[0] && !strstr(c->args, "--clear")) {
        /* "keys/enc-x25519.pub.pem" -> private "keys/enc-x25519.pem" */
        snprintf(enc_priv, sizeof(enc_priv), "--enc-key %.*s.pem", (int)(strlen(enc) - 8), enc);
    }
    rc = run_dfukitf(r, VEC, "image verify %s%s %s %s", key[0] ? "-k " : "", key, enc_priv, out);
    CHECK_EQ_INT(rc, 0);
    if (rc != 0) {
        fprintf(stderr, "  verify of our %s failed: %s", c->name, r->err);
    }
    free(r);
}

static void test_sign_replay(void)
{
    static sign_cmd_t cmds[128];
    size_t n = load_manifest(cmds, 128);
    CHECK(n >= 40);
    int identical = 0, layout = 0;
    for (size_t i = 0; i < n; i++) {
        replay_one(&cmds[i], &identical, &layout);
    }
    printf("sign replay: %zu commands, %d byte-identical, %d same layout + verified\n", n,
           identical, layout);
    CHECK(identical >= 14);
}

/* ---- 2. info --json against dumpinfo.json ------------------------------------------------------
 */

static void test_info_json(void)
{
    DIR *d = opendir(VEC "/images");
    struct dirent *e;
    int n = 0;
    run_result_t *r = calloc(1, sizeof(*r));
    while (d && (e = readdir(d)) != NULL) {
        char *suffix = strstr(e->d_name, ".dumpinfo.json");
        if (!suffix || suffix[14] != '\0') {
            continue;
        }
        char base[256], img[700], mine[700], cmd[2400];
        snprintf(base, sizeof(base), "%.*s", (int)(suffix - e->d_name), e->d_name);
        snprintf(img, sizeof(img), VEC "/images/%s.bin", base);
        FILE *f = fopen(img, "rb");
        if (f) {
            fclose(f);
        } else {
            snprintf(img, sizeof(img), VEC "/images/%s.hex", base);
        }
        snprintf(mine, sizeof(mine), "%s/%s.json", tmp, base);
        int rc = run_dfukitf(r, NULL, "image info --json -o %s %s", mine, img);
        CHECK_EQ_INT(rc, 0);
        snprintf(cmd, sizeof(cmd), "python3 %s/tests/imgtool/cmp_dumpinfo.py %s %s/images/%s",
                 DFU_SOURCE_DIR, mine, VEC, e->d_name);
        int prc = system(cmd);
        CHECK_EQ_INT(prc, 0);
        n++;
    }
    if (d) {
        closedir(d);
    }
    free(r);
    printf("info --json: %d images compared with imgtool dumpinfo\n", n);
    CHECK(n >= 49);
}

/* ---- 3. verify verdicts
 * -------------------------------------------------------------------------- */

static const char *key_for(const char *name)
{
    if (strstr(name, "unsigned")) {
        return NULL;
    }
    if (strstr(name, "ecdsa_p384")) {
        return "keys/sign-ecdsa-p384.pem";
    }
    if (strstr(name, "ecdsa_p256")) {
        return "keys/sign-ecdsa-p256.pem";
    }
    if (strstr(name, "ed25519")) {
        return "keys/sign-ed25519.pem";
    }
    return strstr(name, "rsa2048") ? "keys/sign-rsa-2048.pem" : NULL;
}

static void verify_one(const char *fname, run_result_t *r, int *n)
{
    bool nokey = strstr(fname, ".verify-nokey.txt") != NULL;
    char base[256], img[300], key[300] = "", exp[1024] = "";
    snprintf(base, sizeof(base), "%.*s", (int)(strstr(fname, ".verify") - fname), fname);
    const char *wk = strstr(base, "_wrongkey_");
    if (wk) { /* neg_<image>_wrongkey_<key>: an existing image checked with another key */
        snprintf(img, sizeof(img), "images/%.*s.bin", (int)(wk - base - 4), base + 4);
        snprintf(key, sizeof(key), "-k keys/%s.pem", wk + 10);
    } else {
        char full[600];
        snprintf(img, sizeof(img), "images/%s.bin", base);
        snprintf(full, sizeof(full), VEC "/%s", img);
        FILE *bin = fopen(full, "rb");
        if (bin) {
            fclose(bin);
        } else {
            snprintf(img, sizeof(img), "images/%s.hex", base);
        }
        const char *k = key_for(base);
        if (k && !nokey) {
            snprintf(key, sizeof(key), "-k %s", k);
        }
    }
    char path[600];
    snprintf(path, sizeof(path), VEC "/images/%s", fname);
    FILE *f = fopen(path, "r");
    size_t got = f ? fread(exp, 1, sizeof(exp) - 1, f) : 0;
    exp[got] = '\0';
    if (f) {
        fclose(f);
    }
    bool ok = strncmp(exp, "Image was correctly validated", 29) == 0;
    int rc = run_dfukitf(r, VEC, "image verify %s %s", key, img);
    CHECK_EQ_INT(rc, ok ? 0 : 1);
    if (rc != (ok ? 0 : 1)) {
        fprintf(stderr, "  verdict differs for %s (%s %s): %s", fname, key, img, r->err);
    }
    if (!ok) {
        CHECK_EQ_INT(count_lines(r->err), 1); /* exactly one line saying what is wrong */
        CHECK(r->out[0] == '\0');
    } else {
        CHECK(strcmp(r->out, exp) == 0); /* same three lines: version, digest or signature */
        if (strcmp(r->out, exp) != 0) {
            fprintf(stderr, "  %s: got\n%swant\n%s", fname, r->out, exp);
        }
    }
    (*n)++;
}

static void test_verify_verdicts(void)
{
    DIR *d = opendir(VEC "/images");
    struct dirent *e;
    int n = 0;
    run_result_t *r = calloc(1, sizeof(*r));
    while (d && (e = readdir(d)) != NULL) {
        if (strstr(e->d_name, ".verify.txt") || strstr(e->d_name, ".verify-nokey.txt")) {
            verify_one(e->d_name, r, &n);
        }
    }
    if (d) {
        closedir(d);
    }
    free(r);
    printf("verify: %d imgtool verdicts compared\n", n);
    CHECK(n >= 90);
}

/* ---- 4. getpub / getpubhash on the vector keys
 * --------------------------------------------------- */

static void same_file(const char *a, const char *b)
{
    size_t la = 0, lb = 0;
    uint8_t *x = read_file(a, &la), *y = read_file(b, &lb);
    bool same = x && y && la == lb && memcmp(x, y, la) == 0;
    CHECK(same);
    if (!same) {
        fprintf(stderr, "  %s differs from %s\n", a, b);
    }
    free(x);
    free(y);
}

static void test_getpub(void)
{
    static const char *const keys[] = {"sign-ecdsa-p256", "sign-ecdsa-p384", "sign-ed25519",
                                       "sign-rsa-2048",   "enc-x25519",      "enc-ec256",
                                       "enc-rsa-2048",    "other-ecdsa-p256"};
    static const struct {
        const char *verb, *enc, *suffix;
    } outs[] = {{"getpub", "raw", "pub.der"},
                {"getpub", "pem", "pub.pem"},
                {"getpub", "lang-c", "pub.c.txt"},
                {"getpubhash", "raw", "pubhash.bin"},
                {"getpubhash", "lang-c", "pubhash.c.txt"}};
    run_result_t *r = calloc(1, sizeof(*r));
    for (size_t k = 0; k < sizeof(keys) / sizeof(keys[0]); k++) {
        for (size_t o = 0; o < sizeof(outs) / sizeof(outs[0]); o++) {
            char mine[512], ref[512];
            snprintf(mine, sizeof(mine), "%s/%s.%s", tmp, keys[k], outs[o].suffix);
            snprintf(ref, sizeof(ref), VEC "/keys/%s.%s", keys[k], outs[o].suffix);
            CHECK_EQ_INT(run_dfukitf(r, VEC, "image %s -k keys/%s.pem -e %s -o %s", outs[o].verb,
                                     keys[k], outs[o].enc, mine),
                         0);
            same_file(mine, ref);
        }
    }
    /* getpriv: the PKCS#8 DER a bootloader embeds to decrypt, as a C array */
    static const struct {
        const char *key, *opt, *ref;
    } priv[] = {{"enc-x25519", "", "enc-x25519.priv.c.txt"},
                {"enc-ec256", "", "enc-ec256.priv.c.txt"},
                {"enc-ec256", "--minimal", "enc-ec256.priv-minimal.c.txt"}};
    for (size_t i = 0; i < sizeof(priv) / sizeof(priv[0]); i++) {
        char mine[512], ref[512];
        snprintf(mine, sizeof(mine), "%s/%s", tmp, priv[i].ref);
        snprintf(ref, sizeof(ref), VEC "/keys/%s", priv[i].ref);
        CHECK_EQ_INT(run_dfukitf(r, VEC, "image getpriv -k keys/%s.pem %s -o %s", priv[i].key,
                                 priv[i].opt, mine),
                     0);
        same_file(mine, ref);
    }
    free(r);
}

/* ---- 5. Intel HEX writer: re-emitting imgtool's HEX files gives the same text -----------------
 */

static void test_hex_format(void)
{
    static const char *const files[] = {"a_ecdsa_p256_hex.hex",
                                        "a_ecdsa_p256_confirm_align4_hex.hex"};
    for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
        char path[512];
        size_t n = 0;
        snprintf(path, sizeof(path), VEC "/images/%s", files[i]);
        uint8_t *text = read_file(path, &n);
        dfu_imgtool_hex_t h = {0};
        dfu_imgtool_buf_t out = {0};
        dfu_imgtool_diag_t d;
        CHECK(text != NULL);
        CHECK_EQ_INT(text ? dfu_imgtool_hex_parse(text, n, files[i], &h, &d) : -1, 0);
        CHECK_EQ_INT(dfu_imgtool_hex_format(&h, &out), 0);
        bool same = text && out.len == n && memcmp(out.data, text, n) == 0;
        CHECK(same);
        if (!same) {
            fprintf(stderr, "  re-emitted %s differs from imgtool's\n", files[i]);
        }
        free(text);
        dfu_imgtool_hex_free(&h);
        dfu_imgtool_buf_free(&out);
    }
}

int main(void)
{
    if (!dfu_test_have_shared("imgtool vector")) {
        CHECK(1);
        return dfu_test_finish("test_imgtool_vectors");
    }
    if (!make_temp_dir(tmp, sizeof(tmp))) {
        perror("mkdtemp");
        return 1;
    }
    test_getpub();
    test_hex_format();
    test_sign_replay();
    test_verify_verdicts();
    if (system("python3 -c 'import json' 2>/dev/null") == 0) {
        test_info_json();
    } else {
        printf("note: python3 not found; info --json comparison with dumpinfo.json not run\n");
    }
    remove_tree(tmp);
    return dfu_test_finish("test_imgtool_vectors");
}
