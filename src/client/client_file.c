/* Image files for upload: load (binary, or Intel HEX as 'dfukit image sign' writes it), check
 * (header, TLV area, SHA256 TLV, length), file SHA-256. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <mbedtls/sha256.h>

#include "dfu_client.h"
#include "dfukit/dfu_image.h"
#include "imgtool/dfu_imgtool.h"

static int fail(char *why, size_t cap, int rc, const char *msg)
{
    snprintf(why, cap, "%s", msg);
    return rc;
}

static int read_all(const char *path, uint8_t **out, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        return DFU_ERR_NODEV;
    }
    size_t cap = 1 << 16, n = 0;
    uint8_t *buf = malloc(cap);
    while (buf != NULL) {
        size_t got = fread(buf + n, 1, cap - n, f);
        n += got;
        if (n < cap) {
            break;
        }
        if (cap >= (64u << 20)) { /* larger than any MCU slot */
            free(buf);
            fclose(f);
            return DFU_ERR_NOSPC;
        }
        uint8_t *nb = realloc(buf, cap * 2);
        if (nb == NULL) {
            free(buf);
            buf = NULL;
            break;
        }
        buf = nb;
        cap *= 2;
    }
    int err = ferror(f);
    fclose(f);
    if (buf == NULL) {
        return DFU_ERR_NOMEM;
    }
    if (err) {
        free(buf);
        return DFU_ERR_IO;
    }
    *out = buf;
    *len = n;
    return DFU_OK;
}

/* The 32-byte SHA256 TLV of a parsed image. */
static int sha256_tlv(dfu_image_reader_t *rd, const dfu_image_header_t *hdr, uint8_t out[32])
{
    dfu_image_tlv_t tlv;
    int rc = dfu_image_tlv_find(rd, hdr, DFU_IMAGE_TLV_SHA256, 0, &tlv);
    if (rc != DFU_OK || tlv.len != 32 || dfu_image_tlv_read(rd, &tlv, out, 32) != DFU_OK) {
        return DFU_ERR_NO_HASH;
    }
    return DFU_OK;
}

int dfu_client_image_hash(const uint8_t *data, size_t len, uint8_t out[32])
{
    dfu_image_reader_t rd;
    dfu_image_header_t hdr;
    if (data == NULL || len > UINT32_MAX) {
        return DFU_ERR_INVAL;
    }
    dfu_image_reader_mem(&rd, data, (uint32_t)len);
    int rc = dfu_image_header_read(&rd, &hdr);
    return rc != DFU_OK ? rc : sha256_tlv(&rd, &hdr, out);
}

/* Intel HEX text (a record starts with ':'; an MCUboot image starts with its magic) -> the image
 * bytes from the lowest address, gaps filled with 0xff, as `dfukit image sign` flattens it. */
static int from_hex(dfu_client_file_t *f, const char *path, char *why, size_t cap)
{
    dfu_imgtool_hex_t h = {0};
    dfu_imgtool_buf_t bin = {0};
    dfu_imgtool_diag_t d = {{0}};
    uint32_t base = 0;
    int rc = dfu_imgtool_hex_parse(f->data, f->len, path, &h, &d);
    rc = rc ? rc : dfu_imgtool_hex_flatten(&h, &bin, &base);
    dfu_imgtool_hex_free(&h);
    if (rc != DFU_OK) {
        dfu_imgtool_buf_free(&bin);
        snprintf(why, cap, "not a valid Intel HEX file: %s", d.msg[0] ? d.msg : dfu_strerror(rc));
        return rc;
    }
    free(f->data);
    f->data = bin.data; /* heap, owned: freed by dfu_client_file_free() */
    f->len = bin.len;
    f->hex = true;
    f->hex_base = base;
    return DFU_OK;
}

int dfu_client_file_load(dfu_client_file_t *f, const char *path, char *why, size_t cap)
{
    memset(f, 0, sizeof(*f));
    int rc = read_all(path, &f->data, &f->len);
    if (rc == DFU_ERR_NODEV) {
        return fail(why, cap, rc, "cannot open the file");
    }
    if (rc != DFU_OK) {
        return fail(why, cap, rc, "cannot read the file");
    }
    if (f->len > 0 && f->data[0] == ':' && (rc = from_hex(f, path, why, cap)) != DFU_OK) {
        return rc;
    }
    dfu_image_reader_t rd;
    dfu_image_header_t hdr;
    dfu_image_reader_mem(&rd, f->data, (uint32_t)f->len);
    rc = dfu_image_header_read(&rd, &hdr);
    if (rc == DFU_ERR_CORRUPT) {
        return fail(why, cap, rc, "file shorter than an MCUboot header (32 bytes)");
    }
    if (rc == DFU_ERR_BAD_MAGIC) {
        return fail(why, cap, rc,
                    "not an MCUboot image (bad magic); sign it first with 'dfukit image sign'");
    }
    if (rc != DFU_OK) {
        return fail(why, cap, rc, "MCUboot image header is inconsistent");
    }
    dfu_image_tlv_iter_t it;
    rc = dfu_image_tlv_begin(&it, &rd, &hdr, DFU_IMAGE_TLV_ANY, 0);
    if (rc != DFU_OK) {
        return fail(why, cap, rc, "image TLV area missing or truncated (unsigned or cut file)");
    }
    if (dfu_image_tlv_end(&it) != f->len) {
        snprintf(why, cap,
                 "file length %zu differs from the image length %u (trailing bytes or "
                 "a padded/confirmed image; upload the plain signed .bin)",
                 f->len, (unsigned)dfu_image_tlv_end(&it));
        return DFU_ERR_BAD_HEADER;
    }
    if (sha256_tlv(&rd, &hdr, f->hash) != DFU_OK) {
        return fail(why, cap, DFU_ERR_NO_HASH, "image has no SHA256 TLV");
    }
    f->ver_major = hdr.ver.major;
    f->ver_minor = hdr.ver.minor;
    f->ver_rev = hdr.ver.revision;
    f->ver_build = hdr.ver.build;
    f->flags = hdr.flags;
    if (hdr.ver.build) {
        snprintf(f->version, sizeof(f->version), "%u.%u.%u.%u", hdr.ver.major, hdr.ver.minor,
                 hdr.ver.revision, (unsigned)hdr.ver.build);
    } else {
        snprintf(f->version, sizeof(f->version), "%u.%u.%u", hdr.ver.major, hdr.ver.minor,
                 hdr.ver.revision);
    }
    mbedtls_sha256_ret(f->data, f->len, f->file_sha, 0);
    return DFU_OK;
}

void dfu_client_file_free(dfu_client_file_t *f)
{
    free(f->data);
    memset(f, 0, sizeof(*f));
}

int dfu_client_version_cmp(const char *dev, const dfu_client_file_t *f)
{
    unsigned long v[4] = {0, 0, 0, 0};
    const char *p = dev;
    for (int i = 0; i < 4 && *p; i++) {
        char *end = NULL;
        v[i] = strtoul(p, &end, 10);
        p = (*end == '.') ? end + 1 : end;
        if (*end != '.') {
            break;
        }
    }
    unsigned long w[3] = {f->ver_major, f->ver_minor, f->ver_rev};
    for (int i = 0; i < 3; i++) {
        if (v[i] != w[i]) {
            return v[i] < w[i] ? -1 : 1;
        }
    }
    return 0;
}
