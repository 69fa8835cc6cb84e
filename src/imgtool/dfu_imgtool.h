/*
 * dfu_imgtool: host-side MCUboot image tool (library behind `dfukit image`).
 *
 * Byte-compatible with MCUboot's imgtool 2.x for everything it produces: key files (PKCS#8 PEM),
 * public key encodings (getpub/getpubhash), signed/padded/encrypted images in binary or Intel HEX.
 * Host only: uses the heap, stdio and OpenSSL (libcrypto 3.x).
 *
 * Conventions for the whole API:
 *  - Functions return 0 (DFU_OK) on success or a negative dfu_err_t code.
 *  - Every function that can fail takes a `dfu_imgtool_diag_t *diag`; on failure it holds one
 *    line (no trailing newline) saying what went wrong, where, and what to do. `diag` may be NULL.
 *  - Byte buffers (dfu_imgtool_buf_t) are owned by the caller and released with
 *    dfu_imgtool_buf_free(); a zero-initialised buffer is empty and valid.
 */
#ifndef DFU_IMGTOOL_H
#define DFU_IMGTOOL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dfukit/dfu_err.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- diagnostics and buffers ------------------------------------------------------------- */

typedef struct {
    char msg[640]; /* one line, NUL-terminated; empty when no error was recorded */
} dfu_imgtool_diag_t;

typedef struct {
    uint8_t *data;
    size_t len;
    size_t cap;
} dfu_imgtool_buf_t;

/* Appends `n` bytes from `data`. Errors: DFU_ERR_NOMEM. */
int dfu_imgtool_buf_append(dfu_imgtool_buf_t *b, const void *data, size_t n);
/* Appends `n` copies of byte `v`. */
int dfu_imgtool_buf_fill(dfu_imgtool_buf_t *b, uint8_t v, size_t n);
/* Appends formatted text (no terminating NUL is counted in len). */
int dfu_imgtool_buf_printf(dfu_imgtool_buf_t *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
void dfu_imgtool_buf_free(dfu_imgtool_buf_t *b);

/* Reads a whole file. Errors: DFU_ERR_NOT_FOUND (missing), DFU_ERR_IO. `what` names the file's
 * role in the message ("key file", "input image"). */
int dfu_imgtool_file_read(const char *path, const char *what, dfu_imgtool_buf_t *out,
                          dfu_imgtool_diag_t *diag);
/* Writes `n` bytes to `path` (truncating); path "-" means stdout. */
int dfu_imgtool_file_write(const char *path, const void *data, size_t n, dfu_imgtool_diag_t *diag);

/* Records a formatted message in diag (if non-NULL) and returns `err`. */
int dfu_imgtool_fail(dfu_imgtool_diag_t *diag, int err, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* ---- keys -------------------------------------------------------------------------------- */

typedef enum {
    DFU_IMGTOOL_KEY_ECDSA_P256 = 1,
    DFU_IMGTOOL_KEY_ECDSA_P384,
    DFU_IMGTOOL_KEY_ED25519,
    DFU_IMGTOOL_KEY_RSA_2048,
    DFU_IMGTOOL_KEY_RSA_3072,
    DFU_IMGTOOL_KEY_X25519,
} dfu_imgtool_key_type_t;

typedef struct dfu_imgtool_key dfu_imgtool_key_t; /* opaque; wraps an OpenSSL EVP_PKEY */

/* Parses "ecdsa-p256", "ecdsa-p384", "ed25519", "rsa-2048", "rsa-3072", "x25519".
 * Returns the type or 0 when unknown. */
dfu_imgtool_key_type_t dfu_imgtool_key_type_parse(const char *name);
const char *dfu_imgtool_key_type_name(dfu_imgtool_key_type_t t);

/* Generates a key pair and writes the private key as unencrypted PKCS#8 PEM to `path`
 * (what `imgtool keygen` writes), replacing an existing file; mode 0600. */
int dfu_imgtool_key_generate(dfu_imgtool_key_type_t type, const char *path,
                             dfu_imgtool_diag_t *diag);

/* Loads a PEM private key or public key (SubjectPublicKeyInfo) from `path`.
 * *out is set only on success; free with dfu_imgtool_key_free(). */
int dfu_imgtool_key_load(const char *path, dfu_imgtool_key_t **out, dfu_imgtool_diag_t *diag);
void dfu_imgtool_key_free(dfu_imgtool_key_t *key);
dfu_imgtool_key_type_t dfu_imgtool_key_type(const dfu_imgtool_key_t *key);
bool dfu_imgtool_key_is_private(const dfu_imgtool_key_t *key);

/* Public key in the exact DER form MCUboot embeds (`imgtool getpub -e raw`): SubjectPublicKeyInfo
 * for EC/Ed25519/X25519, PKCS#1 RSAPublicKey for RSA. Appended to `out`. */
int dfu_imgtool_key_pub_der(const dfu_imgtool_key_t *key, dfu_imgtool_buf_t *out,
                            dfu_imgtool_diag_t *diag);

typedef enum {
    DFU_IMGTOOL_ENC_RAW = 1, /* binary */
    DFU_IMGTOOL_ENC_PEM,     /* PEM SubjectPublicKeyInfo (getpub only) */
    DFU_IMGTOOL_ENC_C,       /* C array, imgtool `lang-c` layout */
} dfu_imgtool_encoding_t;

/* `imgtool getpub -e ENC`: appends the public key in the given encoding to `out`. */
int dfu_imgtool_key_getpub(const dfu_imgtool_key_t *key, dfu_imgtool_encoding_t enc,
                           dfu_imgtool_buf_t *out, dfu_imgtool_diag_t *diag);
/* `imgtool getpubhash -e ENC`: SHA-256 of the DER public key, raw (32 bytes) or as C array. */
int dfu_imgtool_key_getpubhash(const dfu_imgtool_key_t *key, dfu_imgtool_encoding_t enc,
                               dfu_imgtool_buf_t *out, dfu_imgtool_diag_t *diag);

/* ---- versions and option values ---------------------------------------------------------- */

typedef struct {
    uint8_t major;
    uint8_t minor;
    uint16_t revision;
    uint32_t build;
} dfu_imgtool_version_t;

/* Parses "MAJ[.MIN[.REV[+BUILD]]]" (decimal, no leading zeros, each within its field range). */
int dfu_imgtool_version_parse(const char *s, dfu_imgtool_version_t *v, dfu_imgtool_diag_t *diag);

/* Parses an unsigned number (decimal, 0x hex, 0 octal) that must fit in `max`. `what` names the
 * option in the message. */
int dfu_imgtool_parse_u32(const char *s, uint32_t max, const char *what, uint32_t *out,
                          dfu_imgtool_diag_t *diag);

/* Validates a simulator app descriptor "KEY=VALUE,..." (keys: name, security, passkey, policy,
 * confirm, healthy, buf_size, buf_count; see cmd_image.c help). */
int dfu_imgtool_sim_app_check(const char *s, dfu_imgtool_diag_t *diag);

#define DFU_IMGTOOL_TLV_SIM_APP 0x00A5u /* protected TLV carrying the --sim-app text */

/* ---- signing ----------------------------------------------------------------------------- */

#define DFU_IMGTOOL_MAX_CUSTOM 32
#define DFU_IMGTOOL_MAX_DEPS 16

typedef struct {
    uint16_t tag;
    uint8_t *value; /* heap copy owned by the options (freed by dfu_imgtool_sign_opts_free) */
    size_t len;
} dfu_imgtool_custom_tlv_t;

typedef struct {
    uint8_t image_id;
    dfu_imgtool_version_t version;
} dfu_imgtool_dep_t;

/* Options of `imgtool sign`; zero-initialise, then set fields. Meanings follow imgtool. */
typedef struct {
    const char *key_path;     /* -k: signing key (NULL: hash only) */
    const char *enc_key_path; /* -E: encryption key (public or private PEM) */
    uint32_t header_size;     /* -H (>= 32) */
    bool pad_header;          /* --pad-header: prepend header_size erased-value bytes */
    uint32_t slot_size;       /* -S (required) */
    uint32_t align;           /* --align: 1,2,4,8,16,32 (0 = 1) */
    uint32_t max_align;       /* --max-align: 8,16,32 (0 = max(8, align)) */
    dfu_imgtool_version_t version;
    bool has_security_counter;  /* -s N */
    bool security_counter_auto; /* -s auto: (major<<24)|(minor<<16)|revision */
    uint32_t security_counter;
    bool pad;            /* --pad / --test */
    bool confirm;        /* --confirm (implies pad) */
    bool overwrite_only; /* --overwrite-only */
    uint8_t erased_val;  /* -R: 0xff (default) or 0 */
    bool erased_val_set;
    uint32_t encrypt_keylen; /* --encrypt-keylen 128|256 (0 = 128) */
    bool clear;              /* --clear: flags + enc TLV but payload left in plaintext */
    bool save_enctlv;        /* --save-enctlv: trailer fit check reserves the enc TLV size */
    uint32_t hmac_sha;       /* --hmac-sha 256|512 (X25519 only; 0 = 256) */
    dfu_imgtool_custom_tlv_t custom[DFU_IMGTOOL_MAX_CUSTOM]; /* --custom-tlv, --sim-app */
    size_t custom_count;
    const char *boot_record;                      /* --boot-record SW_TYPE (<= 12 chars) */
    bool pubkey_full;                             /* --public-key-format full */
    bool pad_sig;                                 /* --pad-sig (ECDSA) */
    dfu_imgtool_dep_t deps[DFU_IMGTOOL_MAX_DEPS]; /* -d */
    size_t dep_count;
    uint32_t load_addr; /* -L (non-zero sets RAM_LOAD) */
    uint32_t rom_fixed; /* -F (non-zero sets ROM_FIXED) */
    bool non_bootable;  /* --non-bootable */
    bool has_hex_addr;  /* -x/--hex-addr */
    uint32_t hex_addr;
    uint32_t max_sectors; /* -M (0 = 128) */
    uint32_t sha;         /* --sha 256|384|512 (0 = auto from key) */
    bool pure;            /* --pure (Ed25519) */
    const char *vid;      /* --vid: UUID text or name (uuid5 in the DNS namespace) */
    const char *cid;      /* --cid: UUID text or name (uuid5 in the VID namespace) */
    uint32_t compression; /* --compression: 0 disabled, 1 lzma2, 2 lzma2armthumb */
} dfu_imgtool_sign_opts_t;

/* Adds a custom TLV (tag 0x00a0..0xfffe, not a predefined type, not a duplicate). `value` is
 * "0x<hex>" (raw bytes) or any other text (its bytes). */
int dfu_imgtool_opts_add_custom(dfu_imgtool_sign_opts_t *o, const char *tag, const char *value,
                                dfu_imgtool_diag_t *diag);
/* Parses -d "(ID,VERSION)[,(ID,VERSION)...]" and appends the dependencies. */
int dfu_imgtool_opts_add_deps(dfu_imgtool_sign_opts_t *o, const char *spec,
                              dfu_imgtool_diag_t *diag);
void dfu_imgtool_sign_opts_free(dfu_imgtool_sign_opts_t *o);

/* Signs `in_path` (binary, or Intel HEX when it ends in .hex) into `out_path` (Intel HEX when it
 * ends in .hex). Errors: DFU_ERR_NOT_FOUND (missing file), DFU_ERR_INVAL (bad option
 * combination), DFU_ERR_NOSPC (image + trailer larger than the slot), DFU_ERR_CRYPTO. */
int dfu_imgtool_sign_file(const dfu_imgtool_sign_opts_t *o, const char *in_path,
                          const char *out_path, dfu_imgtool_diag_t *diag);

/* ---- Intel HEX --------------------------------------------------------------------------- */

typedef struct {
    uint32_t addr;
    dfu_imgtool_buf_t data;
} dfu_imgtool_seg_t;

typedef struct {
    dfu_imgtool_seg_t *segs; /* sorted by address, non-overlapping, non-adjacent after merge */
    size_t count;
} dfu_imgtool_hex_t;

/* Adds bytes at `addr` (later bytes overwrite earlier ones where they overlap). */
int dfu_imgtool_hex_put(dfu_imgtool_hex_t *h, uint32_t addr, const void *data, size_t n);
/* Serialises as Intel HEX text (16-byte data records, extended linear address records). */
int dfu_imgtool_hex_format(dfu_imgtool_hex_t *h, dfu_imgtool_buf_t *out);
/* Parses Intel HEX text. `name` is used in messages. */
int dfu_imgtool_hex_parse(const uint8_t *text, size_t n, const char *name, dfu_imgtool_hex_t *h,
                          dfu_imgtool_diag_t *diag);
/* Flattens [min, max] into `out` filling gaps with 0xff; *base = lowest address. */
int dfu_imgtool_hex_flatten(const dfu_imgtool_hex_t *h, dfu_imgtool_buf_t *out, uint32_t *base);
void dfu_imgtool_hex_free(dfu_imgtool_hex_t *h);

/* Reads an image file: binary, or Intel HEX (flattened) when the name ends in .hex.
 * *base_addr (may be NULL) receives the HEX start address, or UINT32_MAX for binary. */
int dfu_imgtool_image_read(const char *path, const char *what, dfu_imgtool_buf_t *out,
                           uint32_t *base_addr, dfu_imgtool_diag_t *diag);

/* ---- inspection and verification --------------------------------------------------------- */

/* `dfukit image info`: human-readable dump of header, TLVs and trailer (json=false), or JSON
 * in imgtool's `dumpinfo -f json` layout plus top-level "version", "hash", "hash_type"
 * (json=true). `name` is the file name printed. Appended to `out`. */
int dfu_imgtool_info(const uint8_t *img, size_t len, const char *name, bool json,
                     dfu_imgtool_buf_t *out, dfu_imgtool_diag_t *diag);

/* `dfukit image verify`: checks header, TLV framing, the hash TLV and, when `key` is given, a
 * signature by that key. `enc_key` (may be NULL) is the private decryption key of an encrypted
 * image: the payload is then decrypted while hashing (as the bootloader does); without it an
 * encrypted image fails with a hash mismatch, as with imgtool. On success returns 0 and appends
 * imgtool's three result lines to `out`. On failure returns a negative code and diag holds the
 * one-line reason. */
int dfu_imgtool_verify(const uint8_t *img, size_t len, const dfu_imgtool_key_t *key,
                       const dfu_imgtool_key_t *enc_key, dfu_imgtool_buf_t *out,
                       dfu_imgtool_diag_t *diag);

/* Private key as PKCS#8 DER (what a bootloader embeds to decrypt). With `minimal`, an EC key's
 * optional public key is left out (imgtool getpriv --minimal). DFU_ERR_INVAL for public keys. */
int dfu_imgtool_key_priv_der(const dfu_imgtool_key_t *key, bool minimal, dfu_imgtool_buf_t *out,
                             dfu_imgtool_diag_t *diag);
/* `imgtool getpriv [--minimal]`: the PKCS#8 DER as the C array `enc_priv_key`. */
int dfu_imgtool_key_getpriv(const dfu_imgtool_key_t *key, bool minimal, dfu_imgtool_buf_t *out,
                            dfu_imgtool_diag_t *diag);

#ifdef __cplusplus
}
#endif
#endif
