/*
 * `dfukit boot`: runs the boot core once on a flash image file with the simulated flash port,
 * prints a JSON result and writes the flash back (also after a simulated power cut, so a second
 * run resumes the interrupted swap).
 */
#include <errno.h>
#include <mbedtls/base64.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "cli_opts.h"
#include "dfukit/dfu_boot.h"
#include "dfukit/dfu_boot_simflash.h"
#include "dfukit/dfu_boot_validate.h"
#include "dfukit/dfu_crypto.h"
#include "dfukit/dfu_err.h"

#define MAX_KEYS 8

typedef struct boot_opts {
    const char *flash;
    const char *geometry;
    dfu_geometry_t g;
    int have_p, have_s, have_x;
    uint32_t max_align, max_sectors;
    int strategy;
    const char *keys[MAX_KEYS];
    int nkeys;
    const char *enc_key;
    uint32_t enc_key_len;
    unsigned long long fail_after;
    int torn;
    uint32_t flags;
} boot_opts_t;

static void usage(FILE *f)
{
    fprintf(f,
            "usage: dfukit boot --flash FILE [options]\n"
            "  --geometry nrf52832|nrf52840|custom   partition layout (default nrf52832)\n"
            "  --primary OFF:SIZE --secondary OFF:SIZE --scratch OFF:SIZE   override areas\n"
            "  --sector SIZE --align N --erased-val 0xff|0x00   flash geometry (custom)\n"
            "  --max-align 8|16|32 --max-sectors N   trailer geometry (default 8, 128)\n"
            "  --strategy move|scratch|offset|overwrite   (default move)\n"
            "  -k KEY          accepted public key (PEM or raw DER), repeatable; none = hash only\n"
            "  --downgrade version|seccnt   refuse older secondary images\n"
            "  --enc-key KEY   image decryption private key (PKCS#8 PEM/DER); encrypted updates\n"
            "                  are decrypted into the primary slot\n"
            "  --enc-key-len 16|32   trailer key fields (MCUboot ENC build; default 16 with\n"
            "                  --enc-key and a swap strategy)\n"
            "  --fail-after N  cut power before flash op N (exit 3); --torn: op N half-done\n"
            "exit: 0 booted, 1 no bootable image / failure, 2 usage, 3 power cut\n");
}

static int parse_u32(const char *s, uint32_t *out)
{
    char *end;
    errno = 0;
    unsigned long v = strtoul(s, &end, 0);
    if (errno || end == s || *end != '\0' || v > 0xffffffffUL) {
        return -1;
    }
    *out = (uint32_t)v;
    return 0;
}

static int parse_area(const char *s, dfu_geom_area_t *a)
{
    char buf[64];
    const char *c = strchr(s, ':');
    if (c == NULL || (size_t)(c - s) >= sizeof(buf)) {
        return -1;
    }
    memcpy(buf, s, (size_t)(c - s));
    buf[c - s] = '\0';
    return (parse_u32(buf, &a->off) || parse_u32(c + 1, &a->size)) ? -1 : 0;
}

enum {
    B_FLASH = 1,
    B_GEOMETRY,
    B_PRIMARY,
    B_SECONDARY,
    B_SCRATCH,
    B_SECTOR,
    B_ALIGN,
    B_MAXALIGN,
    B_MAXSECT,
    B_ERASED,
    B_STRATEGY,
    B_KEY,
    B_ENCKEY,
    B_ENCKEYLEN,
    B_DOWNGRADE,
    B_FAILAFTER,
    B_TORN,
};

#define BOPT(sh, lo, na, ident)                                                                    \
    {                                                                                              \
        .s = (sh), .l = (lo), .nargs = (na), .id = (ident)                                         \
    }
static const cli_opt_t boot_opts[] = {
    BOPT(NULL, "--flash", 1, B_FLASH),         BOPT(NULL, "--geometry", 1, B_GEOMETRY),
    BOPT(NULL, "--primary", 1, B_PRIMARY),     BOPT(NULL, "--secondary", 1, B_SECONDARY),
    BOPT(NULL, "--scratch", 1, B_SCRATCH),     BOPT(NULL, "--sector", 1, B_SECTOR),
    BOPT(NULL, "--align", 1, B_ALIGN),         BOPT(NULL, "--max-align", 1, B_MAXALIGN),
    BOPT(NULL, "--max-sectors", 1, B_MAXSECT), BOPT(NULL, "--erased-val", 1, B_ERASED),
    BOPT(NULL, "--strategy", 1, B_STRATEGY),   BOPT("-k", "--key", 1, B_KEY),
    BOPT(NULL, "--enc-key", 1, B_ENCKEY),      BOPT(NULL, "--enc-key-len", 1, B_ENCKEYLEN),
    BOPT(NULL, "--downgrade", 1, B_DOWNGRADE), BOPT(NULL, "--fail-after", 1, B_FAILAFTER),
    BOPT(NULL, "--torn", 0, B_TORN),
};

/* Applies one option; returns 0 or -1 when its value is bad. */
static int apply(boot_opts_t *o, dfu_geometry_t *over, const cli_hit_t *h, unsigned *have)
{
    const char *v = h->v[0];
    switch (h->opt->id) {
    case B_FLASH:
        o->flash = v;
        return 0;
    case B_GEOMETRY:
        o->geometry = v;
        return 0;
    case B_PRIMARY:
        o->have_p = 1;
        return parse_area(v, &over->slot0);
    case B_SECONDARY:
        o->have_s = 1;
        return parse_area(v, &over->slot1);
    case B_SCRATCH:
        o->have_x = 1;
        return parse_area(v, &over->scratch);
    case B_SECTOR:
        *have |= 1u;
        return parse_u32(v, &over->sector_size);
    case B_ALIGN:
        *have |= 2u;
        return parse_u32(v, &over->write_align);
    case B_MAXALIGN:
        return parse_u32(v, &o->max_align) ||
                       (o->max_align != 8 && o->max_align != 16 && o->max_align != 32)
                   ? -1
                   : 0;
    case B_MAXSECT:
        return parse_u32(v, &o->max_sectors) || o->max_sectors == 0 ? -1 : 0;
    case B_ERASED: {
        uint32_t ev = 0;
        *have |= 4u;
        int bad = parse_u32(v, &ev) || (ev != 0xff && ev != 0);
        over->erased_val = (uint8_t)ev;
        return bad ? -1 : 0;
    }
    case B_STRATEGY:
        o->strategy = dfu_boot_strategy_parse(v);
        return o->strategy < 0 ? -1 : 0;
    case B_KEY:
        if (o->nkeys >= MAX_KEYS) {
            return -1;
        }
        o->keys[o->nkeys++] = v;
        return 0;
    case B_ENCKEY:
        o->enc_key = v;
        return 0;
    case B_ENCKEYLEN:
        return parse_u32(v, &o->enc_key_len) || (o->enc_key_len != 16 && o->enc_key_len != 32) ? -1
                                                                                               : 0;
    case B_DOWNGRADE:
        o->flags |=
            strcmp(v, "seccnt") == 0 ? DFU_BOOT_F_DOWNGRADE_SECCNT : DFU_BOOT_F_DOWNGRADE_VERSION;
        return strcmp(v, "seccnt") != 0 && strcmp(v, "version") != 0 ? -1 : 0;
    case B_FAILAFTER: {
        char *end;
        o->fail_after = strtoull(v, &end, 0);
        return *end != '\0' || o->fail_after == 0 ? -1 : 0;
    }
    default: /* B_TORN */
        o->torn = 1;
        return 0;
    }
}

/* Returns 0, 1 after printing the help, or -1 (usage error, said why). */
static int parse_args(int argc, char **argv, boot_opts_t *o)
{
    memset(o, 0, sizeof(*o));
    o->geometry = "nrf52832";
    o->max_align = 8;
    o->max_sectors = 128;
    dfu_geometry_t over = {0};
    unsigned have = 0; /* 1 sector, 2 align, 4 erased value */
    static cli_args_t a;
    memset(&a, 0, sizeof(a));
    const cli_optset_t set = {boot_opts, sizeof(boot_opts) / sizeof(boot_opts[0]), NULL};
    if (cli_parse(&a, "dfukit boot", &set, 1, argc - 1, argv + 1, 0) != 0) {
        return -1;
    }
    if (a.help) {
        usage(stdout);
        return 1;
    }
    for (size_t i = 0; i < a.nhit; i++) {
        if (apply(o, &over, &a.hit[i], &have) != 0) {
            fprintf(stderr, "dfukit boot: bad value for %s: '%s'\n", a.hit[i].opt->l,
                    a.hit[i].v[0]);
            return -1;
        }
    }
    int have_sector = (have & 1u) != 0, have_align = (have & 2u) != 0, have_ev = (have & 4u) != 0;
    if (o->flash == NULL) {
        fprintf(stderr, "dfukit boot: --flash FILE is required\n");
        return -1;
    }
    const dfu_geometry_t *g = dfu_geometry_find(o->geometry);
    if (g != NULL) {
        o->g = *g;
    } else if (strcmp(o->geometry, "custom") == 0) {
        o->g = (dfu_geometry_t){"custom", 0,      0x1000, 4,      0xff, {0, 0},
                                {0, 0},   {0, 0}, {0, 0}, {0, 0}, 85.0, 41.0};
        if (!o->have_p || !o->have_s) {
            fprintf(stderr, "dfukit boot: custom geometry needs --primary and --secondary\n");
            return -1;
        }
    } else {
        fprintf(stderr, "dfukit boot: unknown geometry '%s'\n", o->geometry);
        return -1;
    }
    if (o->have_p) {
        o->g.slot0 = over.slot0;
    }
    if (o->have_s) {
        o->g.slot1 = over.slot1;
    }
    if (o->have_x) {
        o->g.scratch = over.scratch;
    }
    if (have_sector) {
        o->g.sector_size = over.sector_size;
    }
    if (have_align) {
        o->g.write_align = over.write_align;
    }
    if (have_ev) {
        o->g.erased_val = over.erased_val;
    }
    return 0;
}

/* Reads a key file: PEM ("-----BEGIN ...-----" base64 body) or raw DER. Caller frees. */
static uint8_t *load_key(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        return NULL;
    }
    static const size_t cap = 16384;
    uint8_t *raw = malloc(cap + 1);
    size_t n = raw ? fread(raw, 1, cap, f) : 0;
    fclose(f);
    if (raw == NULL || n == 0) {
        free(raw);
        return NULL;
    }
    raw[n] = 0;
    const char *begin = strstr((char *)raw, "-----BEGIN");
    if (begin == NULL) {
        *len = n;
        return raw;
    }
    const char *body = strchr(begin + 10, '\n');
    const char *end = body ? strstr(body, "-----END") : NULL;
    if (end == NULL) {
        free(raw);
        return NULL;
    }
    char *b64 = malloc((size_t)(end - body) + 1);
    size_t k = 0;
    for (const char *p = body; p < end; p++) {
        if (*p != '\n' && *p != '\r' && *p != ' ') {
            b64[k++] = *p;
        }
    }
    uint8_t *der = malloc(k > 0u ? k : 1u);
    size_t olen = 0;
    int rc = mbedtls_base64_decode(der, k, &olen, (unsigned char *)b64, k);
    free(b64);
    free(raw);
    if (rc != 0) {
        free(der);
        return NULL;
    }
    *len = olen;
    return der;
}

static int check_area(const char *name, const dfu_geom_area_t *a, uint32_t flash_size,
                      uint32_t sector)
{
    if (a->size == 0 || a->off % sector || a->size % sector || a->off > flash_size ||
        a->size > flash_size - a->off) {
        fprintf(stderr,
                "dfukit boot: %s area 0x%x:0x%x is not sector aligned (sector 0x%x) or not "
                "inside the %u-byte flash\n",
                name, a->off, a->size, sector, flash_size);
        return -1;
    }
    return 0;
}

static void print_json(const boot_opts_t *o, const dfu_boot_result_t *r, int rc,
                       const dfu_simflash_t *sf, const dfu_flash_t *fl, uint32_t max_img)
{
    static const char *modes[] = {"move", "scratch", "offset", "overwrite"};
    printf("{\"mode\":\"%s\",\"geometry\":\"%s\",\"result\":\"%s\",\"swap_type\":\"%s\","
           "\"resumed\":%s,\"reverted\":%s,\"booted_slot\":%s,\"reason\":\"%s\",",
           modes[o->strategy], o->g.name, rc == 0 ? "ok" : dfu_strerror(rc),
           dfu_boot_swap_name(r->swap_type), r->resumed ? "true" : "false",
           r->reverted ? "true" : "false", r->booted ? "0" : "null", r->reason);
    if (r->secondary_err) {
        printf("\"secondary_refused\":\"%s\",", dfu_strerror(r->secondary_err));
    }
    if (r->primary_err) {
        printf("\"primary_error\":\"%s\",", dfu_strerror(r->primary_err));
    }
    printf("\"flash_ops\":{\"reads\":%u,\"writes\":%u,\"erases\":%u,\"bytes_written\":%llu},"
           "\"modelled_seconds\":%.3f,\"max_image_size\":%u",
           fl->stats.reads, fl->stats.writes, fl->stats.erases,
           (unsigned long long)fl->stats.bytes_written, sf->time_us / 1e6, max_img);
    if (r->booted) {
        printf(",\"image\":{\"version\":\"%u.%u.%u+%u\",\"size\":%u,\"hash\":\"",
               r->image.ver_major, r->image.ver_minor, r->image.ver_revision, r->image.ver_build,
               r->image.total_size);
        for (unsigned i = 0; i < r->image.hash_len; i++) {
            printf("%02x", r->image.hash[i]);
        }
        printf("\"}");
    }
    printf("}\n");
}

static int run_boot(boot_opts_t *o, dfu_simflash_t *sf)
{
    const dfu_geometry_t *g = &o->g;
    uint32_t end = g->slot0.off + g->slot0.size;
    end = g->slot1.off + g->slot1.size > end ? g->slot1.off + g->slot1.size : end;
    end = g->scratch.off + g->scratch.size > end ? g->scratch.off + g->scratch.size : end;
    uint32_t fsize = g->flash_size ? g->flash_size : end;
    if (dfu_simflash_init(sf, fsize, g->sector_size, g->write_align, g->erased_val) < 0) {
        fprintf(stderr, "dfukit boot: invalid flash geometry (sector 0x%x, align %u, size 0x%x)\n",
                g->sector_size, g->write_align, fsize);
        return DFU_EXIT_USAGE;
    }
    dfu_simflash_set_timing(sf, g);
    if (check_area("primary", &g->slot0, fsize, g->sector_size) ||
        check_area("secondary", &g->slot1, fsize, g->sector_size) ||
        (o->strategy == DFU_BOOT_STRATEGY_SCRATCH &&
         check_area("scratch", &g->scratch, fsize, g->sector_size))) {
        return DFU_EXIT_USAGE;
    }
    int rc = dfu_simflash_load(sf, o->flash);
    if (rc < 0) {
        fprintf(stderr, "dfukit boot: cannot load %s: %s\n", o->flash, dfu_strerror(rc));
        return DFU_EXIT_FAIL;
    }
    static dfu_flash_t fl;
    static dfu_boot_cfg_t cfg;
    static dfu_boot_imgval_t iv;
    static dfu_boot_t boot;
    static uint8_t buf[1024], scratch[4096];
    static dfu_image_key_t keys[MAX_KEYS];
    memset(&cfg, 0, sizeof(cfg));
    memset(&iv, 0, sizeof(iv));
    memset(keys, 0, sizeof(keys));
    dfu_flash_init(&fl, &sf->port);
    cfg.primary = (dfu_flash_area_t){&fl, g->slot0.off, g->slot0.size, 1};
    cfg.secondary = (dfu_flash_area_t){&fl, g->slot1.off, g->slot1.size, 2};
    if (o->strategy == DFU_BOOT_STRATEGY_SCRATCH) {
        cfg.scratch = (dfu_flash_area_t){&fl, g->scratch.off, g->scratch.size, 3};
    }
    cfg.trailer = (dfu_boot_trailer_cfg_t){
        .max_align = o->max_align, .max_sectors = o->max_sectors, .strategy = (uint8_t)o->strategy};
    if (o->enc_key_len != 0) {
        cfg.trailer.enc_key_len = (uint8_t)o->enc_key_len;
    } else if (o->enc_key != NULL && o->strategy != DFU_BOOT_STRATEGY_OVERWRITE) {
        cfg.trailer.enc_key_len = 16; /* swap strategies keep the AES key in the trailer */
    }
    cfg.buf = buf;
    cfg.buf_len = sizeof(buf);
    cfg.flags = o->flags;
    for (int i = 0; i < o->nkeys; i++) {
        size_t len = 0;
        uint8_t *der = load_key(o->keys[i], &len);
        if (der == NULL) {
            fprintf(stderr, "dfukit boot: cannot read key %s (PEM or DER expected)\n", o->keys[i]);
            return DFU_EXIT_USAGE;
        }
        keys[i] = (dfu_image_key_t){der, len};
    }
    iv.verify = (dfu_image_verify_cfg_t){.crypto = dfu_crypto_default(),
                                         .keys = keys,
                                         .key_count = (size_t)o->nkeys,
                                         .scratch = scratch,
                                         .scratch_len = sizeof(scratch)};
    if (o->enc_key != NULL) {
        size_t len = 0;
        uint8_t *der = load_key(o->enc_key, &len);
        if (der == NULL) {
            fprintf(stderr, "dfukit boot: cannot read decryption key %s\n", o->enc_key);
            return DFU_EXIT_USAGE;
        }
        iv.verify.enc_priv = der;
        iv.verify.enc_priv_len = len;
        iv.primary = &cfg.primary;
    }
    dfu_boot_image_validator(&cfg.validator, &iv);
    rc = dfu_boot_init(&boot, &cfg);
    if (rc < 0) {
        fprintf(stderr,
                "dfukit boot: layout not usable for strategy %d: %s (areas must not overlap, "
                "sector/slot relations of the strategy, max-align >= write align)\n",
                o->strategy, dfu_strerror(rc));
        return DFU_EXIT_USAGE;
    }
    if (o->fail_after) {
        dfu_simflash_cut_after(sf, o->fail_after, o->torn);
    }
    dfu_boot_result_t res;
    rc = dfu_boot_go(&boot, &res);
    if (rc == DFU_ERR_POWER_CUT) {
        dfu_simflash_power_on(sf);
    }
    print_json(o, &res, rc, sf, &fl, dfu_boot_max_image_size(&boot));
    int wrc = dfu_simflash_save(sf, o->flash);
    if (wrc < 0) {
        fprintf(stderr, "dfukit boot: cannot write %s back\n", o->flash);
        return DFU_EXIT_FAIL;
    }
    if (rc == DFU_ERR_POWER_CUT) {
        return DFU_EXIT_POWER_CUT;
    }
    return rc == 0 ? DFU_EXIT_OK : DFU_EXIT_FAIL;
}

int dfu_cli_boot(int argc, char **argv)
{
    boot_opts_t o;
    int prc = parse_args(argc, argv, &o);
    if (prc > 0) {
        return DFU_EXIT_OK;
    }
    if (prc < 0) {
        usage(stderr);
        return DFU_EXIT_USAGE;
    }
    dfu_simflash_t sf;
    int rc = run_boot(&o, &sf);
    dfu_simflash_free(&sf);
    return rc;
}
