/*
 * Simulated NOR flash with power-cut injection (see dfu_boot_simflash.h for the rules).
 */
#include "dfukit/dfu_boot_simflash.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dfukit/dfu_err.h"

static uint32_t next_rand(dfu_simflash_t *sf)
{
    /* xorshift32: deterministic so a torn case replays exactly */
    uint32_t x = sf->seed ? sf->seed : 0x9e3779b9u;
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    sf->seed = x;
    return x;
}

/* Counts the op; returns 1 if it runs normally, 0 if it is the cut op (partial), <0 if off. */
static int begin_op(dfu_simflash_t *sf)
{
    if (sf->off) {
        return DFU_ERR_POWER_CUT;
    }
    sf->ops++;
    if (sf->cut_at != 0u && sf->ops == sf->cut_at) {
        sf->off = 1;
        return 0;
    }
    return 1;
}

static int sim_read(void *ctx, uint32_t off, void *buf, size_t len)
{
    dfu_simflash_t *sf = ctx;
    if (sf->off) {
        return DFU_ERR_POWER_CUT;
    }
    if (off > sf->port.size || len > sf->port.size - off) {
        return DFU_ERR_RANGE;
    }
    memcpy(buf, sf->mem + off, len);
    return DFU_OK;
}

static int sim_write(void *ctx, uint32_t off, const void *buf, size_t len)
{
    dfu_simflash_t *sf = ctx;
    uint32_t a = sf->port.write_align ? sf->port.write_align : 1u;
    int run = begin_op(sf);
    if (run < 0) {
        return run;
    }
    if (off > sf->port.size || len > sf->port.size - off || off % a != 0u || len % a != 0u) {
        return run ? DFU_ERR_FLASH_RULE : DFU_ERR_POWER_CUT;
    }
    for (size_t i = 0; i < len; i++) {
        if (sf->mem[off + i] != sf->port.erased_val) {
            return run ? DFU_ERR_FLASH_RULE : DFU_ERR_POWER_CUT;
        }
    }
    size_t n = len;
    if (!run) {
        n = sf->torn && len > 0u ? next_rand(sf) % len : 0u;
    }
    memcpy(sf->mem + off, buf, n);
    sf->writes++;
    sf->bytes_written += n;
    size_t words = (n + 3u) / 4u; /* 32-bit words programmed */
    sf->time_us += (double)words * sf->write_word_us;
    return run ? DFU_OK : DFU_ERR_POWER_CUT;
}

static int sim_erase(void *ctx, uint32_t off, size_t len)
{
    dfu_simflash_t *sf = ctx;
    uint32_t ss = sf->port.sector_size;
    if (off > sf->port.size || len > sf->port.size - off || off % ss != 0u || len % ss != 0u) {
        int run = begin_op(sf);
        return run < 0 ? run : (run ? DFU_ERR_FLASH_RULE : DFU_ERR_POWER_CUT);
    }
    int run = begin_op(sf);
    if (run < 0) {
        return run;
    }
    /* A multi-sector erase is one op; a cut tears the first sector and leaves the rest. */
    for (uint32_t s = off; s < off + len; s += ss) {
        if (!run) {
            if (sf->torn) {
                uint32_t k = next_rand(sf) % ss;
                memset(sf->mem + s, sf->port.erased_val, k);
                for (uint32_t i = k; i < ss; i++) {
                    sf->mem[s + i] ^= (uint8_t)next_rand(sf);
                }
                sf->wear[s / ss]++;
            }
            return DFU_ERR_POWER_CUT;
        }
        memset(sf->mem + s, sf->port.erased_val, ss);
        sf->wear[s / ss]++;
        sf->erases++;
        sf->time_us += sf->erase_us;
    }
    return DFU_OK;
}

int dfu_simflash_init(dfu_simflash_t *sf, uint32_t size, uint32_t sector_size, uint32_t write_align,
                      uint8_t erased_val)
{
    memset(sf, 0, sizeof(*sf));
    if (sector_size == 0u || (sector_size & (sector_size - 1u)) != 0u || size == 0u ||
        size % sector_size != 0u || write_align == 0u || (write_align & (write_align - 1u)) != 0u ||
        write_align > 32u || write_align > sector_size) {
        return DFU_ERR_INVAL;
    }
    sf->mem = malloc(size);
    sf->wear = calloc(size / sector_size, sizeof(uint32_t));
    if (sf->mem == NULL || sf->wear == NULL) {
        dfu_simflash_free(sf);
        return DFU_ERR_NOMEM;
    }
    memset(sf->mem, erased_val, size);
    sf->port.ctx = sf;
    sf->port.read = sim_read;
    sf->port.write = sim_write;
    sf->port.erase = sim_erase;
    sf->port.size = size;
    sf->port.sector_size = sector_size;
    sf->port.write_align = write_align;
    sf->port.erased_val = erased_val;
    sf->erase_us = 85000.0;
    sf->write_word_us = 41.0;
    sf->seed = 0x12345678u;
    return DFU_OK;
}

void dfu_simflash_free(dfu_simflash_t *sf)
{
    free(sf->mem);
    free(sf->wear);
    sf->mem = NULL;
    sf->wear = NULL;
}

int dfu_simflash_load(dfu_simflash_t *sf, const char *path)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        return DFU_ERR_IO;
    }
    size_t n = fread(sf->mem, 1, sf->port.size, f);
    int extra = fgetc(f) != EOF;
    int err = ferror(f);
    fclose(f);
    if (err) {
        return DFU_ERR_IO;
    }
    if (extra) {
        return DFU_ERR_NOSPC;
    }
    memset(sf->mem + n, sf->port.erased_val, sf->port.size - n);
    return DFU_OK;
}

int dfu_simflash_save(const dfu_simflash_t *sf, const char *path)
{
    FILE *f = fopen(path, "wb");
    if (f == NULL) {
        return DFU_ERR_IO;
    }
    size_t n = fwrite(sf->mem, 1, sf->port.size, f);
    int rc = fclose(f);
    return (n == sf->port.size && rc == 0) ? DFU_OK : DFU_ERR_IO;
}

void dfu_simflash_cut_after(dfu_simflash_t *sf, uint64_t n, int torn)
{
    sf->cut_at = n ? sf->ops + n : 0u;
    sf->torn = torn;
}

void dfu_simflash_power_on(dfu_simflash_t *sf)
{
    sf->off = 0;
    sf->cut_at = 0;
}

uint32_t dfu_simflash_max_wear(const dfu_simflash_t *sf, uint32_t off, uint32_t len)
{
    uint32_t ss = sf->port.sector_size;
    uint32_t m = 0;
    for (uint32_t s = off / ss; s < (off + len) / ss && s < sf->port.size / ss; s++) {
        m = sf->wear[s] > m ? sf->wear[s] : m;
    }
    return m;
}

/* ---- geometries ---------------------------------------------------------------------------- */

static const dfu_geometry_t geometries[] = {
    {"nrf52832",
     0x80000u,
     0x1000u,
     4u,
     0xffu,
     {0x0u, 0xC000u},
     {0xC000u, 0x32000u},
     {0x3E000u, 0x32000u},
     {0x70000u, 0xA000u},
     {0x7A000u, 0x6000u},
     85.0,
     41.0},
    {"nrf52840",
     0x100000u,
     0x1000u,
     4u,
     0xffu,
     {0x0u, 0xC000u},
     {0xC000u, 0x76000u},
     {0x82000u, 0x76000u},
     {0x0u, 0x0u},
     {0xF8000u, 0x8000u},
     85.0,
     41.0},
};

const dfu_geometry_t *dfu_geometry_find(const char *name)
{
    for (size_t i = 0; i < sizeof(geometries) / sizeof(geometries[0]); i++) {
        if (name != NULL && strcmp(name, geometries[i].name) == 0) {
            return &geometries[i];
        }
    }
    return NULL;
}

void dfu_simflash_set_timing(dfu_simflash_t *sf, const dfu_geometry_t *g)
{
    sf->erase_us = g->erase_ms * 1000.0;
    sf->write_word_us = g->write_word_us;
}
