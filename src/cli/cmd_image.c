/* `dfukit image ...`: the imgtool-compatible image tool (keygen, getpub, getpubhash, sign,
 * verify, info) plus forwarding of the device image verbs to the SMP client.
 * Option names and meanings follow MCUboot's imgtool. Exit codes: 0 ok, 1 failure, 2 usage. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "cli_opts.h"
#include "cmd_client.h"
#include "imgtool/dfu_imgtool.h"

/* ---- options: the command line's table parser (cli_opts.h) ------------------------------- */

typedef cli_opt_t opt_t;

/* short form or NULL, long form, values taken (0..2), id */
#define OPT(sh, lo, na, ident)                                                                     \
    {                                                                                              \
        .s = (sh), .l = (lo), .nargs = (na), .id = (ident)                                         \
    }

typedef struct {
    const char *verb;
    const opt_t *opts;
    size_t nopts;
    const char *usage;
} cmd_t;

/* One parsed option occurrence. */
typedef struct {
    int id;
    const char *v[2];
    const char *name; /* long name, for messages */
} hit_t;

static int usage_error(const cmd_t *c, const char *fmt, const char *a, const char *b)
{
    fprintf(stderr, "dfukit image %s: ", c->verb);
    fprintf(stderr, fmt, a, b);
    fprintf(stderr, " (see 'dfukit image %s --help')\n", c->verb);
    return DFU_EXIT_USAGE;
}

/* Parses argv[1..]; fills hits and positionals. Returns -1 on --help, 0 ok, else exit code. */
static int parse(const cmd_t *c, int argc, char **argv, hit_t *hits, size_t *nhits,
                 const char **pos, size_t *npos, size_t maxpos)
{
    static cli_args_t a; /* large: keep it off the stack */
    memset(&a, 0, sizeof(a));
    char who[48];
    snprintf(who, sizeof(who), "dfukit image %s", c->verb);
    const cli_optset_t set = {c->opts, c->nopts, NULL};
    int rc = cli_parse(&a, who, &set, 1, argc - 1, argv + 1, maxpos);
    if (rc != 0) {
        return rc;
    }
    if (a.help) {
        return -1;
    }
    for (size_t i = 0; i < a.nhit; i++) {
        hits[i].id = a.hit[i].opt->id;
        hits[i].name = a.hit[i].opt->l;
        hits[i].v[0] = a.hit[i].v[0];
        hits[i].v[1] = a.hit[i].v[1];
    }
    *nhits = a.nhit;
    for (size_t i = 0; i < a.npos; i++) {
        pos[i] = a.pos[i];
    }
    *npos = a.npos;
    return 0;
}

/* A verb's --help page: its usage text, then the exit codes every image tool verb shares. */
static int help(const char *usage)
{
    fputs(usage, stdout);
    fputs("exit codes: 0 ok, 1 failed (one line on stderr says what and where), 2 usage error\n",
          stdout);
    return DFU_EXIT_OK;
}

static int fail(const char *verb, const dfu_imgtool_diag_t *d)
{
    fprintf(stderr, "dfukit image %s: %s\n", verb, d->msg[0] ? d->msg : "failed");
    return DFU_EXIT_FAIL;
}

/* Option value problems (bad number, bad version ...) are usage errors. */
static int bad_value(const char *verb, const dfu_imgtool_diag_t *d)
{
    fprintf(stderr, "dfukit image %s: %s\n", verb, d->msg);
    return DFU_EXIT_USAGE;
}

static int write_out(const char *verb, const char *path, const dfu_imgtool_buf_t *b)
{
    dfu_imgtool_diag_t d = {{0}};
    if (dfu_imgtool_file_write(path ? path : "-", b->data, b->len, &d)) {
        return fail(verb, &d);
    }
    return DFU_EXIT_OK;
}

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))
#define MAX_HITS CLI_MAX_HITS

/* ---- keygen / getpub / getpubhash -------------------------------------------------------------
 */

enum { O_KEY = 1, O_TYPE, O_ENC, O_OUT, O_LANG, O_PASS, O_JSON, O_MINIMAL };

/* getpub / getpubhash options */
static const opt_t key_opts[] = {
    OPT("-k", "--key", 1, O_KEY),
    OPT("-e", "--encoding", 1, O_ENC),
    OPT("-o", "--output", 1, O_OUT),
    OPT("-l", "--lang", 1, O_LANG),
};

static const opt_t keygen_opts[] = {OPT("-k", "--key", 1, O_KEY), OPT("-t", "--type", 1, O_TYPE),
                                    OPT("-e", "--export", 1, O_OUT),
                                    OPT("-p", "--password", 0, O_PASS)};

static const opt_t getpriv_opts[] = {OPT("-k", "--key", 1, O_KEY),
                                     OPT(NULL, "--minimal", 0, O_MINIMAL),
                                     OPT("-o", "--output", 1, O_OUT)};

/* Writes the public key of the private key file `key` as PEM to `path` (keygen -e). */
static int export_public(const char *key, const char *path)
{
    dfu_imgtool_diag_t d = {{0}};
    dfu_imgtool_key_t *k = NULL;
    dfu_imgtool_buf_t b = {0};
    int rc = dfu_imgtool_key_load(key, &k, &d);
    rc = rc ? rc : dfu_imgtool_key_getpub(k, DFU_IMGTOOL_ENC_PEM, &b, &d);
    rc = rc ? rc : dfu_imgtool_file_write(path, b.data, b.len, &d);
    dfu_imgtool_key_free(k);
    dfu_imgtool_buf_free(&b);
    return rc ? fail("keygen", &d) : DFU_EXIT_OK;
}

static int cmd_keygen(int argc, char **argv)
{
    const opt_t *opts = keygen_opts;
    const cmd_t c = {"keygen", opts, ARRAY_LEN(keygen_opts),
                     "usage: dfukit image keygen -k FILE -t TYPE [-e PUBFILE]\n"
                     "  -t: ecdsa-p256 | ecdsa-p384 | ed25519 | rsa-2048 | rsa-3072 | x25519\n"
                     "  writes an unencrypted PKCS#8 PEM private key (as imgtool keygen);\n"
                     "  -e also writes the public key as PEM\n"};
    hit_t hits[MAX_HITS];
    size_t nh, np;
    const char *pos[1];
    int rc = parse(&c, argc, argv, hits, &nh, pos, &np, 0);
    if (rc) {
        return rc < 0 ? help(c.usage) : rc;
    }
    const char *key = NULL, *type = NULL, *export = NULL;
    for (size_t i = 0; i < nh; i++) {
        if (hits[i].id == O_PASS) {
            return usage_error(&c, "password-protected keys are not supported%s%s; omit -p", "",
                               "");
        }
        *(hits[i].id == O_KEY ? &key : hits[i].id == O_TYPE ? &type : &export) = hits[i].v[0];
    }
    if (!key || !type) {
        return usage_error(&c, "missing %s%s", !key ? "-k/--key FILE" : "-t/--type TYPE", "");
    }
    dfu_imgtool_key_type_t t = dfu_imgtool_key_type_parse(type);
    if (!t) {
        return usage_error(&c,
                           "unknown key type '%s'%s; use ecdsa-p256, ecdsa-p384, ed25519, "
                           "rsa-2048, rsa-3072 or x25519",
                           type, "");
    }
    dfu_imgtool_diag_t d = {{0}};
    if (dfu_imgtool_key_generate(t, key, &d)) {
        return fail(c.verb, &d);
    }
    return export ? export_public(key, export) : DFU_EXIT_OK;
}

static int cmd_getpub_common(int argc, char **argv, bool hash)
{
    const char *verb = hash ? "getpubhash" : "getpub";
    const cmd_t c = {verb, key_opts, ARRAY_LEN(key_opts),
                     hash ? "usage: dfukit image getpubhash -k KEY [-e raw|c] [-o FILE]\n"
                            "  SHA-256 of the public key DER (default encoding: c)\n"
                          : "usage: dfukit image getpub -k KEY [-e pem|raw|c] [-o FILE]\n"
                            "  public key as MCUboot embeds it (default encoding: c)\n"};
    hit_t hits[MAX_HITS];
    size_t nh, np;
    const char *pos[1];
    int rc = parse(&c, argc, argv, hits, &nh, pos, &np, 0);
    if (rc) {
        return rc < 0 ? help(c.usage) : rc;
    }
    const char *key = NULL, *enc = "c", *out = NULL;
    for (size_t i = 0; i < nh; i++) {
        switch (hits[i].id) {
        case O_KEY:
            key = hits[i].v[0];
            break;
        case O_ENC:
            enc = hits[i].v[0];
            break;
        case O_LANG:
            enc = hits[i].v[0];
            break;
        case O_OUT:
            out = hits[i].v[0];
            break;
        default:
            return usage_error(&c, "option %s is not valid here%s", hits[i].name, "");
        }
    }
    if (!key) {
        return usage_error(&c, "missing -k/--key KEY%s%s", "", "");
    }
    dfu_imgtool_encoding_t e = 0;
    if (strcmp(enc, "raw") == 0) {
        e = DFU_IMGTOOL_ENC_RAW;
    } else if (strcmp(enc, "c") == 0 || strcmp(enc, "lang-c") == 0) {
        e = DFU_IMGTOOL_ENC_C;
    } else if (!hash && strcmp(enc, "pem") == 0) {
        e = DFU_IMGTOOL_ENC_PEM;
    } else {
        return usage_error(&c, "unsupported encoding '%s'; use %s", enc,
                           hash ? "raw or c (lang-c)" : "pem, raw or c (lang-c)");
    }
    dfu_imgtool_diag_t d = {{0}};
    dfu_imgtool_key_t *k = NULL;
    dfu_imgtool_buf_t b = {0};
    rc = dfu_imgtool_key_load(key, &k, &d);
    if (!rc) {
        rc = hash ? dfu_imgtool_key_getpubhash(k, e, &b, &d) : dfu_imgtool_key_getpub(k, e, &b, &d);
    }
    int ex = rc ? fail(verb, &d) : write_out(verb, out, &b);
    dfu_imgtool_key_free(k);
    dfu_imgtool_buf_free(&b);
    return ex;
}

static int cmd_getpub(int argc, char **argv)
{
    return cmd_getpub_common(argc, argv, false);
}

static int cmd_getpubhash(int argc, char **argv)
{
    return cmd_getpub_common(argc, argv, true);
}

static int cmd_getpriv(int argc, char **argv)
{
    const cmd_t c = {"getpriv", getpriv_opts, ARRAY_LEN(getpriv_opts),
                     "usage: dfukit image getpriv -k KEY [--minimal] [-o FILE]\n"
                     "  decryption private key (PKCS#8 DER) as the C array a bootloader embeds;\n"
                     "  --minimal leaves out the optional EC public key\n"};
    hit_t hits[MAX_HITS];
    size_t nh, np;
    const char *pos[1];
    int rc = parse(&c, argc, argv, hits, &nh, pos, &np, 0);
    if (rc) {
        return rc < 0 ? help(c.usage) : rc;
    }
    const char *key = NULL, *out = NULL;
    bool minimal = false;
    for (size_t i = 0; i < nh; i++) {
        if (hits[i].id == O_MINIMAL) {
            minimal = true;
        } else {
            *(hits[i].id == O_KEY ? &key : &out) = hits[i].v[0];
        }
    }
    if (!key) {
        return usage_error(&c, "missing -k/--key KEY%s%s", "", "");
    }
    dfu_imgtool_diag_t d = {{0}};
    dfu_imgtool_key_t *k = NULL;
    dfu_imgtool_buf_t b = {0};
    rc = dfu_imgtool_key_load(key, &k, &d);
    rc = rc ? rc : dfu_imgtool_key_getpriv(k, minimal, &b, &d);
    int ex = rc ? fail("getpriv", &d) : write_out("getpriv", out, &b);
    dfu_imgtool_key_free(k);
    dfu_imgtool_buf_free(&b);
    return ex;
}

/* ---- sign -------------------------------------------------------------------------------------
 */

enum {
    S_KEY = 1,
    S_HDR,
    S_PADHDR,
    S_SLOT,
    S_ALIGN,
    S_MAXALIGN,
    S_VER,
    S_SECCNT,
    S_PAD,
    S_TEST,
    S_CONFIRM,
    S_OVERWRITE,
    S_ERASED,
    S_ENC,
    S_ENCLEN,
    S_CLEAR,
    S_HMAC,
    S_CUSTOM,
    S_BOOTREC,
    S_PKFMT,
    S_PADSIG,
    S_DEPS,
    S_LOAD,
    S_ROMFIXED,
    S_NONBOOT,
    S_HEXADDR,
    S_MAXSECT,
    S_SHA,
    S_PURE,
    S_VID,
    S_CID,
    S_SIMAPP,
    S_ENDIAN,
    S_COMPRESS,
    S_SAVEENC,
};

static const opt_t sign_opts[] = {
    OPT("-k", "--key", 1, S_KEY),
    OPT("-H", "--header-size", 1, S_HDR),
    OPT(NULL, "--pad-header", 0, S_PADHDR),
    OPT("-S", "--slot-size", 1, S_SLOT),
    OPT(NULL, "--align", 1, S_ALIGN),
    OPT(NULL, "--max-align", 1, S_MAXALIGN),
    OPT("-v", "--version", 1, S_VER),
    OPT("-s", "--security-counter", 1, S_SECCNT),
    OPT(NULL, "--pad", 0, S_PAD),
    OPT(NULL, "--test", 0, S_TEST),
    OPT(NULL, "--confirm", 0, S_CONFIRM),
    OPT(NULL, "--overwrite-only", 0, S_OVERWRITE),
    OPT("-R", "--erased-val", 1, S_ERASED),
    OPT("-E", "--encrypt", 1, S_ENC),
    OPT(NULL, "--encrypt-keylen", 1, S_ENCLEN),
    OPT("-c", "--clear", 0, S_CLEAR),
    OPT(NULL, "--save-enctlv", 0, S_SAVEENC),
    OPT(NULL, "--hmac-sha", 1, S_HMAC),
    OPT(NULL, "--custom-tlv", 2, S_CUSTOM),
    OPT(NULL, "--boot-record", 1, S_BOOTREC),
    OPT(NULL, "--public-key-format", 1, S_PKFMT),
    OPT(NULL, "--pad-sig", 0, S_PADSIG),
    OPT("-d", "--dependencies", 1, S_DEPS),
    OPT("-L", "--load-addr", 1, S_LOAD),
    OPT("-F", "--rom-fixed", 1, S_ROMFIXED),
    OPT(NULL, "--non-bootable", 0, S_NONBOOT),
    OPT("-x", "--hex-addr", 1, S_HEXADDR),
    OPT("-M", "--max-sectors", 1, S_MAXSECT),
    OPT(NULL, "--sha", 1, S_SHA),
    OPT(NULL, "--pure", 0, S_PURE),
    OPT(NULL, "--vid", 1, S_VID),
    OPT(NULL, "--cid", 1, S_CID),
    OPT(NULL, "--sim-app", 1, S_SIMAPP),
    OPT("-e", "--endian", 1, S_ENDIAN),
    OPT(NULL, "--compression", 1, S_COMPRESS),
};

static const char sign_usage[] =
    "usage: dfukit image sign [options] INFILE OUTFILE   (alias: create)\n"
    "  INFILE/OUTFILE: binary, or Intel HEX when the name ends in .hex\n"
    "  -k, --key FILE              signing key (none: hash-only image)\n"
    "  -H, --header-size N         header area size, >= 0x20 (required; usually 0x200)\n"
    "      --pad-header            prepend the header area (erased-value bytes) to INFILE\n"
    "  -S, --slot-size N           slot size (required)\n"
    "  -v, --version V             MAJOR.MINOR.REVISION+BUILD (required)\n"
    "  -s, --security-counter N    protected SEC_CNT TLV; 'auto' derives it from the version\n"
    "      --align N               flash write size 1|2|4|8|16|32 (trailer fit check)\n"
    "      --max-align N           BOOT_MAX_ALIGN 8|16|32 (trailer magic/offsets)\n"
    "      --pad / --test          pad to the slot size and write the trailer magic\n"
    "      --confirm               like --pad and mark the image confirmed (image_ok = 1)\n"
    "      --overwrite-only        overwrite-only trailer (never writes image_ok)\n"
    "  -R, --erased-val 0|0xff     erased value of the flash (default 0xff)\n"
    "  -E, --encrypt KEY           encrypt with an x25519, ecdsa-p256 or rsa-2048 public key\n"
    "      --encrypt-keylen 128|256, -c/--clear, --hmac-sha 256|512, --save-enctlv\n"
    "      --custom-tlv TAG VALUE  protected TLV (TAG 0x00a0..0xfffe; VALUE 0xHEX or text)\n"
    "      --sim-app K=V,...       simulator app descriptor as protected TLV 0x00a5; keys:\n"
    "                              name=TEXT security=1..4 passkey=NNNNNN policy=open|secure\n"
    "                              confirm=never|boot|after:SECONDS|healthy healthy=yes|no\n"
    "                              buf_size=N buf_count=N cccd_security=1..4 bonds=yes|no\n"
    "      --boot-record SW_TYPE   measured-boot CBOR record (<= 12 chars)\n"
    "      --public-key-format hash|full   KEYHASH (default) or full PUBKEY TLV\n"
    "      --pad-sig               pad ECDSA signatures to a fixed length (MCUboot < 1.5)\n"
    "  -d, --dependencies SPEC     '(IMAGE_ID,VERSION)[,(ID,VERSION)...]'\n"
    "  -L, --load-addr N           RAM load address (sets RAM_LOAD)\n"
    "  -F, --rom-fixed N           fixed ROM address (sets ROM_FIXED)\n"
    "      --non-bootable          set NON_BOOTABLE\n"
    "  -x, --hex-addr N            address of Intel HEX output\n"
    "  -M, --max-sectors N         sectors in the swap status (fit check, default 128)\n"
    "      --sha 256|384|512|auto, --pure (Ed25519 over the image), --vid, --cid\n"
    "      --compression disabled|lzma2|lzma2armthumb   LZMA2 payload (kept only if smaller)\n";

static int num_opt(const char *verb, const hit_t *h, uint32_t max, uint32_t *out)
{
    dfu_imgtool_diag_t d = {{0}};
    if (dfu_imgtool_parse_u32(h->v[0], max, h->name, out, &d)) {
        return bad_value(verb, &d);
    }
    return 0;
}

/* Boolean sign options: the field a flag sets, or NULL. */
static bool *sign_flag(dfu_imgtool_sign_opts_t *o, int id)
{
    switch (id) {
    case S_PADHDR:
        return &o->pad_header;
    case S_PAD:
    case S_TEST: /* imgtool: --test gives the same bytes as --pad */
        return &o->pad;
    case S_CONFIRM:
        return &o->confirm;
    case S_OVERWRITE:
        return &o->overwrite_only;
    case S_CLEAR:
        return &o->clear;
    case S_SAVEENC:
        return &o->save_enctlv;
    case S_PADSIG:
        return &o->pad_sig;
    case S_NONBOOT:
        return &o->non_bootable;
    case S_PURE:
        return &o->pure;
    default:
        return NULL;
    }
}

/* Numeric sign options: the field and its maximum, or NULL. */
static uint32_t *sign_number(dfu_imgtool_sign_opts_t *o, int id, uint32_t *max)
{
    *max = 0xffffffffu;
    switch (id) {
    case S_HDR:
        return &o->header_size;
    case S_SLOT:
        return &o->slot_size;
    case S_ALIGN:
        return &o->align;
    case S_MAXALIGN:
        return &o->max_align;
    case S_LOAD:
        return &o->load_addr;
    case S_ROMFIXED:
        return &o->rom_fixed;
    case S_HEXADDR:
        o->has_hex_addr = true;
        return &o->hex_addr;
    case S_MAXSECT:
        *max = 0xffffffu;
        return &o->max_sectors;
    case S_ENCLEN:
        *max = 256u;
        return &o->encrypt_keylen;
    case S_HMAC:
        *max = 512u;
        return &o->hmac_sha;
    default:
        return NULL;
    }
}

static int sign_choice_error(const char *opt, const char *v, const char *choices)
{
    fprintf(stderr,
            "dfukit image sign: %s '%s' is invalid; use %s (see 'dfukit image sign --help')\n", opt,
            v, choices);
    return DFU_EXIT_USAGE;
}

/* Options whose value is a choice from a fixed set. */
static int sign_choice(dfu_imgtool_sign_opts_t *o, const hit_t *h)
{
    const char *v = h->v[0];
    switch (h->id) {
    case S_ERASED:
        if (strcmp(v, "0") != 0 && strcmp(v, "0xff") != 0 && strcmp(v, "0xFF") != 0) {
            return sign_choice_error("-R/--erased-val", v, "0 or 0xff");
        }
        o->erased_val_set = true;
        o->erased_val = v[1] ? 0xffu : 0u;
        return 0;
    case S_PKFMT:
        if (strcmp(v, "hash") != 0 && strcmp(v, "full") != 0) {
            return sign_choice_error("--public-key-format", v, "hash or full");
        }
        o->pubkey_full = strcmp(v, "full") == 0;
        return 0;
    case S_SHA:
        if (strcmp(v, "auto") != 0 && strcmp(v, "256") != 0 && strcmp(v, "384") != 0 &&
            strcmp(v, "512") != 0) {
            return sign_choice_error("--sha", v, "256, 384, 512 or auto");
        }
        o->sha = strcmp(v, "auto") == 0 ? 0u : (uint32_t)atoi(v);
        return 0;
    case S_COMPRESS:
        if (strcmp(v, "disabled") != 0 && strcmp(v, "lzma2") != 0 &&
            strcmp(v, "lzma2armthumb") != 0) {
            return sign_choice_error("--compression", v, "disabled, lzma2 or lzma2armthumb");
        }
        o->compression = strcmp(v, "lzma2") == 0 ? 1u : strcmp(v, "disabled") == 0 ? 0u : 2u;
        return 0;
    case S_ENDIAN:
        return strcmp(v, "little") == 0
                   ? 0
                   : sign_choice_error("-e/--endian", v,
                                       "little (MCUboot images are little endian)");
    default:
        return 0;
    }
}

/* Applies one option to the sign options; returns 0 or an exit code. */
static int sign_apply(dfu_imgtool_sign_opts_t *o, const hit_t *h, bool *have_ver)
{
    const char *v = h->v[0];
    dfu_imgtool_diag_t d = {{0}};
    uint32_t max = 0;
    bool *flag = sign_flag(o, h->id);
    uint32_t *num = sign_number(o, h->id, &max);
    if (flag) {
        *flag = true;
        return 0;
    }
    if (num) {
        return num_opt("sign", h, max, num);
    }
    switch (h->id) {
    case S_KEY:
        o->key_path = v;
        return 0;
    case S_ENC:
        o->enc_key_path = v;
        return 0;
    case S_BOOTREC:
        o->boot_record = v;
        return 0;
    case S_VID:
        o->vid = v;
        return 0;
    case S_CID:
        o->cid = v;
        return 0;
    case S_VER:
        *have_ver = true;
        return dfu_imgtool_version_parse(v, &o->version, &d) ? bad_value("sign", &d) : 0;
    case S_SECCNT:
        if (strcmp(v, "auto") == 0 || strcmp(v, "AUTO") == 0) {
            o->security_counter_auto = true;
            return 0;
        }
        o->has_security_counter = true;
        return num_opt("sign", h, 0xffffffffu, &o->security_counter);
    case S_CUSTOM:
        return dfu_imgtool_opts_add_custom(o, h->v[0], h->v[1], &d) ? bad_value("sign", &d) : 0;
    case S_SIMAPP:
        if (dfu_imgtool_sim_app_check(v, &d)) {
            return bad_value("sign", &d);
        }
        return dfu_imgtool_opts_add_custom(o, "0x00a5", v, &d) ? bad_value("sign", &d) : 0;
    case S_DEPS:
        return dfu_imgtool_opts_add_deps(o, v, &d) ? bad_value("sign", &d) : 0;
    default:
        return sign_choice(o, h);
    }
}

static int cmd_sign(int argc, char **argv)
{
    const cmd_t c = {"sign", sign_opts, ARRAY_LEN(sign_opts), sign_usage};
    hit_t *hits = calloc(MAX_HITS, sizeof(*hits));
    size_t nh, np;
    const char *pos[2];
    int rc = hits ? parse(&c, argc, argv, hits, &nh, pos, &np, 2) : DFU_EXIT_FAIL;
    if (rc) {
        free(hits);
        return rc < 0 ? help(sign_usage) : rc;
    }
    dfu_imgtool_sign_opts_t *o = calloc(1, sizeof(*o));
    bool have_ver = false, have_hdr = false, have_slot = false;
    for (size_t i = 0; o && i < nh && !rc; i++) {
        have_hdr |= hits[i].id == S_HDR;
        have_slot |= hits[i].id == S_SLOT;
        rc = sign_apply(o, &hits[i], &have_ver);
    }
    if (!o) {
        rc = DFU_EXIT_FAIL;
    } else if (!rc && (np != 2 || !have_ver || !have_hdr || !have_slot)) {
        rc = usage_error(&c, "missing %s%s",
                         np != 2     ? "INFILE and OUTFILE"
                         : !have_ver ? "-v/--version (e.g. -v 1.2.3+4)"
                         : !have_hdr ? "-H/--header-size (e.g. -H 0x200 --pad-header)"
                                     : "-S/--slot-size (e.g. -S 0x32000)",
                         "");
    }
    if (!rc) {
        dfu_imgtool_diag_t d = {{0}};
        int err = dfu_imgtool_sign_file(o, pos[0], pos[1], &d);
        rc = err ? fail("sign", &d) : DFU_EXIT_OK;
    }
    if (o) {
        dfu_imgtool_sign_opts_free(o);
    }
    free(o);
    free(hits);
    return rc;
}

/* ---- verify / info
 * -------------------------------------------------------------------------------- */

enum { O_ENCKEY = 20 };

static const opt_t inspect_opts[] = {
    OPT("-k", "--key", 1, O_KEY), OPT(NULL, "--enc-key", 1, O_ENCKEY),
    OPT(NULL, "--json", 0, O_JSON), OPT("-o", "--outfile", 1, O_OUT)};

static int cmd_verify(int argc, char **argv)
{
    const cmd_t c = {"verify", inspect_opts, 2,
                     "usage: dfukit image verify [-k KEY] [--enc-key PRIVKEY] IMAGE\n"
                     "  exit 0 only if the header, TLVs, hash and (with -k) a signature by KEY are "
                     "valid;\n  otherwise prints one line saying what is wrong and exits 1.\n"
                     "  --enc-key: decrypt an encrypted image while hashing (as the bootloader)\n"};
    hit_t hits[MAX_HITS];
    size_t nh, np;
    const char *pos[1];
    int rc = parse(&c, argc, argv, hits, &nh, pos, &np, 1);
    if (rc) {
        return rc < 0 ? help(c.usage) : rc;
    }
    if (np != 1) {
        return usage_error(&c, "missing IMAGE%s%s", "", "");
    }
    const char *keypath = NULL, *encpath = NULL;
    for (size_t i = 0; i < nh; i++) {
        *(hits[i].id == O_KEY ? &keypath : &encpath) = hits[i].v[0];
    }
    dfu_imgtool_diag_t d = {{0}};
    dfu_imgtool_key_t *k = NULL, *ek = NULL;
    dfu_imgtool_buf_t img = {0}, out = {0};
    rc = keypath ? dfu_imgtool_key_load(keypath, &k, &d) : DFU_OK;
    rc = (rc || !encpath) ? rc : dfu_imgtool_key_load(encpath, &ek, &d);
    rc = rc ? rc : dfu_imgtool_image_read(pos[0], "image", &img, NULL, &d);
    rc = rc ? rc : dfu_imgtool_verify(img.data, img.len, k, ek, &out, &d);
    int ex = rc ? fail("verify", &d) : write_out("verify", NULL, &out);
    dfu_imgtool_key_free(k);
    dfu_imgtool_key_free(ek);
    dfu_imgtool_buf_free(&img);
    dfu_imgtool_buf_free(&out);
    return ex;
}

static int cmd_info(int argc, char **argv)
{
    const opt_t *opts = inspect_opts + 2;
    const cmd_t c = {
        "info", opts, 2,
        "usage: dfukit image info [--json] [-o FILE] IMAGE   (alias: dumpinfo)\n"
        "  header, TLVs, hash and trailer; --json uses imgtool's dumpinfo layout plus\n"
        "  top-level \"version\", \"hash\" and \"hash_type\"\n"};
    hit_t hits[MAX_HITS];
    size_t nh, np;
    const char *pos[1];
    int rc = parse(&c, argc, argv, hits, &nh, pos, &np, 1);
    if (rc) {
        return rc < 0 ? help(c.usage) : rc;
    }
    if (np != 1) {
        return usage_error(&c, "missing IMAGE%s%s", "", "");
    }
    bool json = false;
    const char *outpath = NULL;
    for (size_t i = 0; i < nh; i++) {
        if (hits[i].id == O_JSON) {
            json = true;
        } else {
            outpath = hits[i].v[0];
        }
    }
    const char *base = strrchr(pos[0], '/');
    base = base ? base + 1 : pos[0];
    dfu_imgtool_diag_t d = {{0}};
    dfu_imgtool_buf_t img = {0}, out = {0};
    rc = dfu_imgtool_image_read(pos[0], "image", &img, NULL, &d);
    rc = rc ? rc : dfu_imgtool_info(img.data, img.len, base, json, &out, &d);
    int ex = rc ? fail("info", &d) : write_out("info", outpath, &out);
    dfu_imgtool_buf_free(&img);
    dfu_imgtool_buf_free(&out);
    return ex;
}

/* ---- dispatch
 * ------------------------------------------------------------------------------------ */

static const dfu_cli_cmd_t tools[] = {
    {"keygen", cmd_keygen, "keygen -k FILE -t TYPE",
     "generate a signing/encryption key (PKCS#8 PEM)", keygen_opts, ARRAY_LEN(keygen_opts)},
    {"getpub", cmd_getpub, "getpub -k KEY", "print a public key (pem, raw DER, C array)", key_opts,
     ARRAY_LEN(key_opts)},
    {"getpubhash", cmd_getpubhash, "getpubhash -k KEY",
     "print the SHA-256 of a public key (raw, C array)", key_opts, ARRAY_LEN(key_opts)},
    {"getpriv", cmd_getpriv, "getpriv -k KEY",
     "print a decryption private key as a C array (PKCS#8)", getpriv_opts, ARRAY_LEN(getpriv_opts)},
    {"sign", cmd_sign, "sign [options] IN OUT", "build a signed image (alias: create)", sign_opts,
     ARRAY_LEN(sign_opts)},
    {"create", cmd_sign, NULL, NULL, sign_opts, ARRAY_LEN(sign_opts)},
    {"verify", cmd_verify, "verify [-k KEY] IMAGE", "check an image's hash and signature",
     inspect_opts, 2},
    {"info", cmd_info, "info [--json] IMAGE", "show header, TLVs and trailer (alias: dumpinfo)",
     inspect_opts + 2, 2},
    {"dumpinfo", cmd_info, NULL, NULL, inspect_opts + 2, 2},
};

const dfu_cli_cmd_t *dfu_cli_image_tools(size_t *n)
{
    *n = ARRAY_LEN(tools);
    return tools;
}

void dfu_cli_image_usage(FILE *f)
{
    fputs("usage: dfukit image VERB [options]\n\nimage tool (MCUboot imgtool compatible, works on "
          "files):\n",
          f);
    for (size_t i = 0; i < ARRAY_LEN(tools); i++) {
        if (tools[i].summary != NULL) {
            fprintf(f, "  %-24s %s\n", tools[i].synopsis, tools[i].summary);
        }
    }
    fputs("\ndevice images (over SMP, need -c/--conn):\n", f);
    dfu_cli_client_list(f, "image ");
    fputs("\n'dfukit image VERB --help' shows a verb's options.\n"
          "exit codes: 0 ok, 1 failure, 2 usage error (device verbs: 4 no answer)\n",
          f);
}

int dfu_cli_image(int argc, char **argv)
{
    if (argc < 2) {
        dfu_cli_image_usage(stderr);
        return DFU_EXIT_USAGE;
    }
    const char *v = argv[1];
    if (strcmp(v, "--help") == 0 || strcmp(v, "-h") == 0 || strcmp(v, "help") == 0) {
        dfu_cli_image_usage(stdout);
        return DFU_EXIT_OK;
    }
    for (size_t i = 0; i < ARRAY_LEN(tools); i++) {
        if (strcmp(v, tools[i].name) == 0) {
            return tools[i].run(argc - 1, argv + 1);
        }
    }
    fprintf(stderr, "dfukit image: unknown verb '%s' (see 'dfukit image --help')\n", v);
    return DFU_EXIT_USAGE;
}
