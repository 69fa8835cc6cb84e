/* Public key files for the simulated bootloader: PEM ("-----BEGIN ...") or raw DER. */
#include <mbedtls/base64.h>
#include <stdlib.h>
#include <string.h>

#include "sim_priv.h"

uint8_t *sim_load_key(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        return NULL;
    }
    const size_t cap = 16384;
    uint8_t *raw = malloc(cap + 1);
    size_t n = raw != NULL ? fread(raw, 1, cap, f) : 0;
    fclose(f);
    if (n == 0) {
        free(raw);
        return NULL;
    }
    raw[n] = 0;
    const char *begin = strstr((const char *)raw, "-----BEGIN");
    if (begin == NULL) {
        *len = n;
        return raw;
    }
    const char *body = strchr(begin, '\n');
    const char *end = body != NULL ? strstr(body, "-----END") : NULL;
    if (end == NULL) {
        free(raw);
        return NULL;
    }
    size_t k = 0;
    char *b64 = malloc((size_t)(end - body) + 1);
    uint8_t *der = malloc((size_t)(end - body) + 1);
    if (b64 == NULL || der == NULL) {
        free(b64);
        free(der);
        free(raw);
        return NULL;
    }
    for (const char *p = body; p < end; p++) {
        if (*p != '\n' && *p != '\r' && *p != ' ' && *p != '\t') {
            b64[k++] = *p;
        }
    }
    size_t olen = 0;
    int rc = mbedtls_base64_decode(der, k + 1, &olen, (const unsigned char *)b64, k);
    free(b64);
    free(raw);
    if (rc != 0 || olen == 0) {
        free(der);
        return NULL;
    }
    *len = olen;
    return der;
}
