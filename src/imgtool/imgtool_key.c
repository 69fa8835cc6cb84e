/* Key handling with OpenSSL: generation, loading, public-key encodings, sign and verify.
 *
 * Encodings follow what MCUboot embeds: SubjectPublicKeyInfo DER for EC / Ed25519 / X25519 and
 * PKCS#1 RSAPublicKey DER for RSA; PEM output is always SubjectPublicKeyInfo. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/bio.h>
#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#include "imgtool_priv.h"

static const struct {
    dfu_imgtool_key_type_t type;
    const char *name;
    const char *c_prefix; /* imgtool's C array name prefix */
} key_types[] = {
    {DFU_IMGTOOL_KEY_ECDSA_P256, "ecdsa-p256", "ecdsa"},
    {DFU_IMGTOOL_KEY_ECDSA_P384, "ecdsa-p384", "ecdsap384"},
    {DFU_IMGTOOL_KEY_ED25519, "ed25519", "ed25519"},
    {DFU_IMGTOOL_KEY_RSA_2048, "rsa-2048", "rsa"},
    {DFU_IMGTOOL_KEY_RSA_3072, "rsa-3072", "rsa"},
    {DFU_IMGTOOL_KEY_X25519, "x25519", "x25519"},
};
#define KEY_TYPE_COUNT (sizeof(key_types) / sizeof(key_types[0]))

dfu_imgtool_key_type_t dfu_imgtool_key_type_parse(const char *name)
{
    for (size_t i = 0; i < KEY_TYPE_COUNT; i++) {
        if (strcmp(name, key_types[i].name) == 0) {
            return key_types[i].type;
        }
    }
    return (dfu_imgtool_key_type_t)0;
}

const char *dfu_imgtool_key_type_name(dfu_imgtool_key_type_t t)
{
    for (size_t i = 0; i < KEY_TYPE_COUNT; i++) {
        if (key_types[i].type == t) {
            return key_types[i].name;
        }
    }
    return "unknown";
}

static const char *key_c_prefix(dfu_imgtool_key_type_t t)
{
    for (size_t i = 0; i < KEY_TYPE_COUNT; i++) {
        if (key_types[i].type == t) {
            return key_types[i].c_prefix;
        }
    }
    return "key";
}

static const char *ossl_reason(void)
{
    unsigned long e = ERR_get_error();
    const char *r = e ? ERR_reason_error_string(e) : NULL;
    ERR_clear_error();
    return r ? r : "unknown OpenSSL error";
}

/* ---- generation ---------------------------------------------------------------------------- */

static EVP_PKEY *generate(dfu_imgtool_key_type_t type)
{
    switch (type) {
    case DFU_IMGTOOL_KEY_ECDSA_P256:
        return EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
    case DFU_IMGTOOL_KEY_ECDSA_P384:
        return EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-384");
    case DFU_IMGTOOL_KEY_ED25519:
        return EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
    case DFU_IMGTOOL_KEY_X25519:
        return EVP_PKEY_Q_keygen(NULL, NULL, "X25519");
    case DFU_IMGTOOL_KEY_RSA_2048:
        return EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048);
    case DFU_IMGTOOL_KEY_RSA_3072:
        return EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)3072);
    }
    return NULL;
}

/* Writes a private key file created with mode 0600 from the start ("-" = stdout). */
static int write_private(const char *path, const void *data, size_t n, dfu_imgtool_diag_t *diag)
{
    if (strcmp(path, "-") == 0) {
        return dfu_imgtool_file_write(path, data, n, diag);
    }
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    FILE *f = fd >= 0 ? fdopen(fd, "wb") : NULL;
    if (!f) {
        int e = errno;
        if (fd >= 0) {
            close(fd);
        }
        return dfu_imgtool_fail(diag, DFU_ERR_IO,
                                "cannot create key file '%s': %s; check the directory exists and "
                                "is writable",
                                path, strerror(e));
    }
    fchmod(fd, 0600); /* an existing file keeps its mode on O_TRUNC: tighten it */
    bool ok = fwrite(data, 1, n, f) == n;
    ok = (fclose(f) == 0) && ok;
    return ok ? DFU_OK
              : dfu_imgtool_fail(diag, DFU_ERR_IO, "write error on key file '%s' (disk full?)",
                                 path);
}

int dfu_imgtool_key_generate(dfu_imgtool_key_type_t type, const char *path,
                             dfu_imgtool_diag_t *diag)
{
    EVP_PKEY *pk = generate(type);
    if (!pk) {
        return dfu_imgtool_fail(diag, DFU_ERR_CRYPTO, "key generation (%s) failed: %s",
                                dfu_imgtool_key_type_name(type), ossl_reason());
    }
    BIO *mem = BIO_new(BIO_s_mem());
    int ok = mem && PEM_write_bio_PrivateKey(mem, pk, NULL, NULL, 0, NULL, NULL);
    EVP_PKEY_free(pk);
    if (!ok) {
        BIO_free(mem);
        return dfu_imgtool_fail(diag, DFU_ERR_CRYPTO, "cannot encode the new key: %s",
                                ossl_reason());
    }
    char *pem = NULL;
    long n = BIO_get_mem_data(mem, &pem);
    int rc = write_private(path, pem, (size_t)n, diag);
    BIO_free(mem);
    return rc;
}

/* ---- loading ------------------------------------------------------------------------------- */

static dfu_imgtool_key_type_t classify(EVP_PKEY *pk)
{
    switch (EVP_PKEY_get_base_id(pk)) {
    case EVP_PKEY_ED25519:
        return DFU_IMGTOOL_KEY_ED25519;
    case EVP_PKEY_X25519:
        return DFU_IMGTOOL_KEY_X25519;
    case EVP_PKEY_RSA:
        if (EVP_PKEY_get_bits(pk) == 2048) {
            return DFU_IMGTOOL_KEY_RSA_2048;
        }
        return EVP_PKEY_get_bits(pk) == 3072 ? DFU_IMGTOOL_KEY_RSA_3072 : (dfu_imgtool_key_type_t)0;
    case EVP_PKEY_EC: {
        char group[64] = "";
        size_t gl = 0;
        if (!EVP_PKEY_get_group_name(pk, group, sizeof(group), &gl)) {
            return (dfu_imgtool_key_type_t)0;
        }
        if (strcmp(group, "prime256v1") == 0 || strcmp(group, "P-256") == 0) {
            return DFU_IMGTOOL_KEY_ECDSA_P256;
        }
        if (strcmp(group, "secp384r1") == 0 || strcmp(group, "P-384") == 0) {
            return DFU_IMGTOOL_KEY_ECDSA_P384;
        }
        return (dfu_imgtool_key_type_t)0;
    }
    default:
        return (dfu_imgtool_key_type_t)0;
    }
}

int dfu_imgtool_key_load(const char *path, dfu_imgtool_key_t **out, dfu_imgtool_diag_t *diag)
{
    dfu_imgtool_buf_t text = {0};
    int rc = dfu_imgtool_file_read(path, "key file", &text, diag);
    if (rc) {
        return rc;
    }
    BIO *mem = BIO_new_mem_buf(text.data, (int)text.len);
    bool priv = true;
    EVP_PKEY *pk = mem ? PEM_read_bio_PrivateKey(mem, NULL, NULL, (void *)"") : NULL;
    if (!pk && mem) {
        ERR_clear_error();
        BIO_reset(mem);
        pk = PEM_read_bio_PUBKEY(mem, NULL, NULL, NULL);
        priv = false;
    }
    if (!pk && mem && text.len > 0 && text.data[0] == 0x30) {
        /* DER input: SubjectPublicKeyInfo, or a PKCS#8 private key */
        ERR_clear_error();
        const unsigned char *p = text.data;
        pk = d2i_PUBKEY(NULL, &p, (long)text.len);
        if (!pk) {
            p = text.data;
            pk = d2i_AutoPrivateKey(NULL, &p, (long)text.len);
            priv = pk != NULL;
        }
    }
    BIO_free(mem);
    dfu_imgtool_buf_free(&text);
    if (!pk) {
        ERR_clear_error();
        return dfu_imgtool_fail(diag, DFU_ERR_INVAL,
                                "key file '%s' holds no readable key (expected an unencrypted "
                                "PEM private key as written by 'dfukit image keygen', or a PEM "
                                "public key)",
                                path);
    }
    dfu_imgtool_key_type_t t = classify(pk);
    if (!t) {
        EVP_PKEY_free(pk);
        return dfu_imgtool_fail(diag, DFU_ERR_NOTSUP,
                                "key file '%s': unsupported key type; use ecdsa-p256, "
                                "ecdsa-p384, ed25519, rsa-2048, rsa-3072 or x25519",
                                path);
    }
    dfu_imgtool_key_t *k = calloc(1, sizeof(*k));
    if (!k) {
        EVP_PKEY_free(pk);
        return dfu_imgtool_fail(diag, DFU_ERR_NOMEM, "out of memory");
    }
    k->pk = pk;
    k->type = t;
    k->priv = priv;
    *out = k;
    return DFU_OK;
}

void dfu_imgtool_key_free(dfu_imgtool_key_t *key)
{
    if (key) {
        EVP_PKEY_free(key->pk);
        free(key);
    }
}

dfu_imgtool_key_type_t dfu_imgtool_key_type(const dfu_imgtool_key_t *key)
{
    return key->type;
}

bool dfu_imgtool_key_is_private(const dfu_imgtool_key_t *key)
{
    return key->priv;
}

/* ---- public key encodings ------------------------------------------------------------------ */

int dfu_imgtool_key_pub_der(const dfu_imgtool_key_t *key, dfu_imgtool_buf_t *out,
                            dfu_imgtool_diag_t *diag)
{
    unsigned char *der = NULL;
    bool rsa = key->type == DFU_IMGTOOL_KEY_RSA_2048 || key->type == DFU_IMGTOOL_KEY_RSA_3072;
    int n = rsa ? i2d_PublicKey(key->pk, &der) : i2d_PUBKEY(key->pk, &der);
    if (n <= 0) {
        return dfu_imgtool_fail(diag, DFU_ERR_CRYPTO, "cannot encode public key: %s",
                                ossl_reason());
    }
    int rc = dfu_imgtool_buf_append(out, der, (size_t)n);
    OPENSSL_free(der);
    return rc;
}

int dfu_imgtool_key_priv_der(const dfu_imgtool_key_t *key, bool minimal, dfu_imgtool_buf_t *out,
                             dfu_imgtool_diag_t *diag)
{
    if (!key->priv) {
        return dfu_imgtool_fail(diag, DFU_ERR_INVAL,
                                "a private key is needed here, but the key file holds only a "
                                "public key");
    }
    bool ec = key->type == DFU_IMGTOOL_KEY_ECDSA_P256 || key->type == DFU_IMGTOOL_KEY_ECDSA_P384;
    if (ec &&
        !EVP_PKEY_set_int_param(key->pk, OSSL_PKEY_PARAM_EC_INCLUDE_PUBLIC, minimal ? 0 : 1)) {
        return dfu_imgtool_fail(diag, DFU_ERR_CRYPTO, "cannot select the EC key encoding: %s",
                                ossl_reason());
    }
    PKCS8_PRIV_KEY_INFO *p8 = EVP_PKEY2PKCS8(key->pk);
    unsigned char *der = NULL;
    int n = p8 ? i2d_PKCS8_PRIV_KEY_INFO(p8, &der) : -1;
    PKCS8_PRIV_KEY_INFO_free(p8);
    if (n <= 0) {
        return dfu_imgtool_fail(diag, DFU_ERR_CRYPTO, "cannot encode the private key: %s",
                                ossl_reason());
    }
    int rc = dfu_imgtool_buf_append(out, der, (size_t)n);
    OPENSSL_clear_free(der, (size_t)n);
    return rc;
}

static int emit_c_array(const char *name, const uint8_t *p, size_t n, dfu_imgtool_buf_t *out)
{
    int rc = dfu_imgtool_buf_printf(out,
                                    "/* Autogenerated by imgtool.py, do not edit. */\n"
                                    "const unsigned char %s[] = {",
                                    name);
    for (size_t i = 0; i < n && !rc; i++) {
        rc = dfu_imgtool_buf_printf(out, "%s0x%02x,", (i % 8) ? " " : "\n    ", p[i]);
    }
    if (!rc) {
        rc = dfu_imgtool_buf_printf(out, "\n};\nconst unsigned int %s_len = %zu;\n", name, n);
    }
    return rc;
}

int dfu_imgtool_key_getpub(const dfu_imgtool_key_t *key, dfu_imgtool_encoding_t enc,
                           dfu_imgtool_buf_t *out, dfu_imgtool_diag_t *diag)
{
    if (enc == DFU_IMGTOOL_ENC_PEM) {
        BIO *mem = BIO_new(BIO_s_mem());
        if (!mem || !PEM_write_bio_PUBKEY(mem, key->pk)) {
            BIO_free(mem);
            return dfu_imgtool_fail(diag, DFU_ERR_CRYPTO, "cannot encode public key: %s",
                                    ossl_reason());
        }
        char *pem = NULL;
        long n = BIO_get_mem_data(mem, &pem);
        int rc = dfu_imgtool_buf_append(out, pem, (size_t)n);
        BIO_free(mem);
        return rc;
    }
    dfu_imgtool_buf_t der = {0};
    int rc = dfu_imgtool_key_pub_der(key, &der, diag);
    if (!rc && enc == DFU_IMGTOOL_ENC_RAW) {
        rc = dfu_imgtool_buf_append(out, der.data, der.len);
    } else if (!rc) {
        char name[64];
        snprintf(name, sizeof(name), "%s_pub_key", key_c_prefix(key->type));
        rc = emit_c_array(name, der.data, der.len, out);
    }
    dfu_imgtool_buf_free(&der);
    return rc;
}

int dfu_imgtool_key_getpriv(const dfu_imgtool_key_t *key, bool minimal, dfu_imgtool_buf_t *out,
                            dfu_imgtool_diag_t *diag)
{
    dfu_imgtool_buf_t der = {0};
    int rc = dfu_imgtool_key_priv_der(key, minimal, &der, diag);
    rc = rc ? rc : emit_c_array("enc_priv_key", der.data, der.len, out);
    if (der.data) {
        OPENSSL_cleanse(der.data, der.len);
    }
    dfu_imgtool_buf_free(&der);
    return rc;
}

int dfu_imgtool_key_getpubhash(const dfu_imgtool_key_t *key, dfu_imgtool_encoding_t enc,
                               dfu_imgtool_buf_t *out, dfu_imgtool_diag_t *diag)
{
    dfu_imgtool_buf_t der = {0};
    int rc = dfu_imgtool_key_pub_der(key, &der, diag);
    uint8_t h[32];
    if (!rc && imgtool_hash(256, der.data, der.len, h) < 0) {
        rc = dfu_imgtool_fail(diag, DFU_ERR_CRYPTO, "SHA-256 failed");
    }
    dfu_imgtool_buf_free(&der);
    if (rc) {
        return rc;
    }
    if (enc == DFU_IMGTOOL_ENC_RAW) {
        return dfu_imgtool_buf_append(out, h, sizeof(h));
    }
    char name[64];
    snprintf(name, sizeof(name), "%s_pub_key_hash", key_c_prefix(key->type));
    return emit_c_array(name, h, sizeof(h), out);
}

/* ---- hashing ------------------------------------------------------------------------------- */

static const EVP_MD *md_for(unsigned bits)
{
    return bits == 512 ? EVP_sha512() : bits == 384 ? EVP_sha384() : EVP_sha256();
}

int imgtool_hash(unsigned bits, const uint8_t *data, size_t n, uint8_t *out)
{
    unsigned int len = 0;
    if (!EVP_Digest(data, n, out, &len, md_for(bits), NULL)) {
        return DFU_ERR_CRYPTO;
    }
    return (int)len;
}

unsigned imgtool_hash_tlv(unsigned bits)
{
    return bits == 512 ? IMGTOOL_TLV_SHA512 : bits == 384 ? IMGTOOL_TLV_SHA384 : IMGTOOL_TLV_SHA256;
}

unsigned imgtool_hash_bits(unsigned tlv)
{
    switch (tlv) {
    case IMGTOOL_TLV_SHA256:
        return 256;
    case IMGTOOL_TLV_SHA384:
        return 384;
    case IMGTOOL_TLV_SHA512:
        return 512;
    default:
        return 0;
    }
}

const char *imgtool_hash_name(unsigned bits)
{
    return bits == 512 ? "SHA512" : bits == 384 ? "SHA384" : "SHA256";
}

/* ---- signatures ---------------------------------------------------------------------------- */

unsigned imgtool_key_sig_tlv(const dfu_imgtool_key_t *key)
{
    switch (key->type) {
    case DFU_IMGTOOL_KEY_ECDSA_P256:
    case DFU_IMGTOOL_KEY_ECDSA_P384:
        return IMGTOOL_TLV_ECDSA_SIG;
    case DFU_IMGTOOL_KEY_RSA_2048:
        return IMGTOOL_TLV_RSA2048_PSS;
    case DFU_IMGTOOL_KEY_RSA_3072:
        return IMGTOOL_TLV_RSA3072_PSS;
    case DFU_IMGTOOL_KEY_ED25519:
        return IMGTOOL_TLV_ED25519;
    default:
        return 0;
    }
}

bool imgtool_key_allows_hash(const dfu_imgtool_key_t *key, unsigned bits, bool pure)
{
    switch (key->type) {
    case DFU_IMGTOOL_KEY_ECDSA_P384:
        return !pure && bits == 384;
    case DFU_IMGTOOL_KEY_ED25519:
        return pure ? bits == 512 : (bits == 256 || bits == 512);
    case DFU_IMGTOOL_KEY_X25519:
        return !pure && (bits == 256 || bits == 512);
    default:
        return !pure && bits == 256;
    }
}

unsigned imgtool_key_default_hash(const dfu_imgtool_key_t *key, bool pure)
{
    if (key->type == DFU_IMGTOOL_KEY_ECDSA_P384) {
        return 384;
    }
    return (pure && key->type == DFU_IMGTOOL_KEY_ED25519) ? 512 : 256;
}

static bool is_rsa(const dfu_imgtool_key_t *key)
{
    return key->type == DFU_IMGTOOL_KEY_RSA_2048 || key->type == DFU_IMGTOOL_KEY_RSA_3072;
}

/* Prepares a sign/verify context over a precomputed digest (ECDSA, RSA-PSS salt 32). */
static EVP_PKEY_CTX *digest_ctx(const dfu_imgtool_key_t *key, unsigned bits, bool sign)
{
    EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new(key->pk, NULL);
    if (!ctx) {
        return NULL;
    }
    int ok = sign ? EVP_PKEY_sign_init(ctx) : EVP_PKEY_verify_init(ctx);
    ok = ok > 0 && EVP_PKEY_CTX_set_signature_md(ctx, md_for(bits)) > 0;
    if (ok && is_rsa(key)) {
        ok = EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_PKCS1_PSS_PADDING) > 0 &&
             EVP_PKEY_CTX_set_rsa_pss_saltlen(ctx, 32) > 0 &&
             EVP_PKEY_CTX_set_rsa_mgf1_md(ctx, EVP_sha256()) > 0;
    }
    if (!ok) {
        EVP_PKEY_CTX_free(ctx);
        return NULL;
    }
    return ctx;
}

int imgtool_key_sign(const dfu_imgtool_key_t *key, unsigned bits, const uint8_t *digest,
                     size_t dlen, const uint8_t *msg, size_t mlen, bool pad_sig,
                     dfu_imgtool_buf_t *sig, dfu_imgtool_diag_t *diag)
{
    uint8_t out[1024];
    size_t olen = sizeof(out);
    int ok;
    if (key->type == DFU_IMGTOOL_KEY_ED25519) {
        EVP_MD_CTX *mctx = EVP_MD_CTX_new();
        ok = mctx && EVP_DigestSignInit(mctx, NULL, NULL, NULL, key->pk) > 0 &&
             EVP_DigestSign(mctx, out, &olen, msg, mlen) > 0;
        EVP_MD_CTX_free(mctx);
    } else {
        EVP_PKEY_CTX *ctx = digest_ctx(key, bits, true);
        ok = ctx && EVP_PKEY_sign(ctx, out, &olen, digest, dlen) > 0;
        EVP_PKEY_CTX_free(ctx);
    }
    if (!ok) {
        return dfu_imgtool_fail(diag, DFU_ERR_CRYPTO, "signing with the %s key failed: %s",
                                dfu_imgtool_key_type_name(key->type), ossl_reason());
    }
    if (pad_sig && key->type == DFU_IMGTOOL_KEY_ECDSA_P256 && olen < 72) {
        memset(out + olen, 0, 72 - olen); /* MCUboot < 1.5 wanted fixed 72-byte signatures */
        olen = 72;
    } else if (pad_sig && key->type == DFU_IMGTOOL_KEY_ECDSA_P384 && olen < 104) {
        memset(out + olen, 0, 104 - olen);
        olen = 104;
    }
    return dfu_imgtool_buf_append(sig, out, olen);
}

/* Strips --pad-sig zero padding: returns the DER length of an ECDSA signature. */
static size_t ecdsa_der_len(const uint8_t *sig, size_t slen)
{
    if (slen >= 2 && sig[0] == 0x30 && sig[1] < 0x80 && (size_t)sig[1] + 2 <= slen) {
        return (size_t)sig[1] + 2;
    }
    if (slen >= 3 && sig[0] == 0x30 && sig[1] == 0x81 && (size_t)sig[2] + 3 <= slen) {
        return (size_t)sig[2] + 3;
    }
    return slen;
}

int imgtool_key_verify(const dfu_imgtool_key_t *key, unsigned bits, const uint8_t *digest,
                       size_t dlen, const uint8_t *msg, size_t mlen, const uint8_t *sig,
                       size_t slen)
{
    int r;
    if (key->type == DFU_IMGTOOL_KEY_ED25519) {
        EVP_MD_CTX *mctx = EVP_MD_CTX_new();
        r = (mctx && EVP_DigestVerifyInit(mctx, NULL, NULL, NULL, key->pk) > 0)
                ? EVP_DigestVerify(mctx, sig, slen, msg, mlen)
                : -1;
        EVP_MD_CTX_free(mctx);
    } else {
        EVP_PKEY_CTX *ctx = digest_ctx(key, bits, false);
        if (key->type == DFU_IMGTOOL_KEY_ECDSA_P256 || key->type == DFU_IMGTOOL_KEY_ECDSA_P384) {
            slen = ecdsa_der_len(sig, slen);
        }
        r = ctx ? EVP_PKEY_verify(ctx, sig, slen, digest, dlen) : -1;
        EVP_PKEY_CTX_free(ctx);
    }
    ERR_clear_error();
    return r == 1 ? 1 : 0;
}
