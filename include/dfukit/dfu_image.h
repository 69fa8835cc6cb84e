/*
 * MCUboot image library (device side): header parse, TLV iteration, validation (hash, key
 * selection, signatures, security counter), encrypted-image key unwrap and AES-CTR, trailer
 * decode. Byte layouts: ../shared/docs/mcuboot-format.md sections 1-3 and 6.
 *
 * Images are never assumed to be in RAM: everything reads through a dfu_image_reader_t, which a
 * bootloader points at a flash slot (via dfu_flash_read), a host tool at a file or buffer. All
 * parsers accept arbitrary bytes: erased or corrupt flash is ordinary input. No heap, no globals;
 * every buffer is caller-provided.
 *
 * Offsets called "image offsets" are relative to the first byte of the image (slot start).
 */
#ifndef DFUKIT_DFU_IMAGE_H
#define DFUKIT_DFU_IMAGE_H

#include <stddef.h>
#include <stdint.h>

#include "dfukit/dfu_crypto.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Build option: 0 leaves image decryption out (as MCUboot without MCUBOOT_ENC_IMAGES): the
 * validator then refuses an encrypted image it is asked to decrypt (enc_priv set) with
 * DFU_ERR_NOTSUP, and dfu_boot_image_validator() installs no unwrap/xcrypt hooks, so the boot
 * core refuses encrypted updates. Default 1. */
#ifndef DFU_IMAGE_ENC
#define DFU_IMAGE_ENC 1
#endif

/* ---- Constants ---------------------------------------------------------------------------- */

#define DFU_IMAGE_MAGIC 0x96f3b83dU
#define DFU_IMAGE_MAGIC_V1 0x96f3b83cU /* old format, rejected */
#define DFU_IMAGE_MAGIC_NONE 0xffffffffU
#define DFU_IMAGE_HEADER_SIZE 32u
#define DFU_IMAGE_TLV_INFO_MAGIC 0x6907u
#define DFU_IMAGE_TLV_PROT_INFO_MAGIC 0x6908u
#define DFU_IMAGE_TLV_INFO_SIZE 4u

/* ih_flags */
#define DFU_IMAGE_F_PIC 0x00000001u
#define DFU_IMAGE_F_ENCRYPTED_AES128 0x00000004u
#define DFU_IMAGE_F_ENCRYPTED_AES256 0x00000008u
#define DFU_IMAGE_F_NON_BOOTABLE 0x00000010u
#define DFU_IMAGE_F_RAM_LOAD 0x00000020u
#define DFU_IMAGE_F_ROM_FIXED 0x00000100u
#define DFU_IMAGE_F_COMPRESSED_LZMA1 0x00000200u
#define DFU_IMAGE_F_COMPRESSED_LZMA2 0x00000400u
#define DFU_IMAGE_F_COMPRESSED_ARM_THUMB 0x00000800u

/* TLV types */
#define DFU_IMAGE_TLV_KEYHASH 0x01u
#define DFU_IMAGE_TLV_PUBKEY 0x02u
#define DFU_IMAGE_TLV_SHA256 0x10u
#define DFU_IMAGE_TLV_SHA384 0x11u
#define DFU_IMAGE_TLV_SHA512 0x12u
#define DFU_IMAGE_TLV_RSA2048_PSS 0x20u
#define DFU_IMAGE_TLV_ECDSA224 0x21u
#define DFU_IMAGE_TLV_ECDSA_SIG 0x22u
#define DFU_IMAGE_TLV_RSA3072_PSS 0x23u
#define DFU_IMAGE_TLV_ED25519 0x24u
#define DFU_IMAGE_TLV_SIG_PURE 0x25u
#define DFU_IMAGE_TLV_ENC_RSA2048 0x30u
#define DFU_IMAGE_TLV_ENC_KW 0x31u
#define DFU_IMAGE_TLV_ENC_EC256 0x32u
#define DFU_IMAGE_TLV_ENC_X25519 0x33u
#define DFU_IMAGE_TLV_ENC_X25519_SHA512 0x34u
#define DFU_IMAGE_TLV_DEPENDENCY 0x40u
#define DFU_IMAGE_TLV_SEC_CNT 0x50u
#define DFU_IMAGE_TLV_BOOT_RECORD 0x60u
#define DFU_IMAGE_TLV_DECOMP_SIZE 0x70u
#define DFU_IMAGE_TLV_DECOMP_SHA 0x71u
#define DFU_IMAGE_TLV_DECOMP_SIGNATURE 0x72u
#define DFU_IMAGE_TLV_COMP_DEC_SIZE 0x73u
#define DFU_IMAGE_TLV_UUID_VID 0x74u
#define DFU_IMAGE_TLV_UUID_CID 0x75u
#define DFU_IMAGE_TLV_ANY 0xffffu /* iterator wildcard, never stored */

/* ---- Reader ------------------------------------------------------------------------------- */

/* Where image bytes come from. `read` copies `len` bytes at image offset `off` into `buf` and
 * returns 0 or a negative dfu_err; it is only called with off + len <= size. `size` = bytes
 * available (slot size or file size). `mem` is optional (NULL = none): a pointer to all `size`
 * bytes when the image is memory mapped (XIP flash or RAM); it is only used for Ed25519 "pure"
 * signatures, whose message is the whole signed region. */
typedef struct dfu_image_reader {
    int (*read)(void *ctx, uint32_t off, void *buf, size_t len);
    void *ctx;
    uint32_t size;
    const uint8_t *mem;
} dfu_image_reader_t;

/* Points `rd` at a RAM buffer (read copies from `buf`, mem = buf). `buf` must outlive `rd`. */
void dfu_image_reader_mem(dfu_image_reader_t *rd, const uint8_t *buf, uint32_t len);

/* ---- Header ------------------------------------------------------------------------------- */

typedef struct dfu_image_version {
    uint8_t major;
    uint8_t minor;
    uint16_t revision;
    uint32_t build;
} dfu_image_version_t;

typedef struct dfu_image_header {
    uint32_t magic;
    uint32_t load_addr;
    uint16_t hdr_size;
    uint16_t protect_tlv_size;
    uint32_t img_size;
    uint32_t flags;
    dfu_image_version_t ver;
    uint32_t pad1;
} dfu_image_header_t;

/* Decodes the 32-byte little-endian header from `raw` (len >= 32). Checks only what the bytes
 * themselves say: magic == DFU_IMAGE_MAGIC (else DFU_ERR_BAD_MAGIC), hdr_size >= 32, both AES
 * flags not set together, hdr_size + img_size + protect_tlv_size does not overflow 32 bits (else
 * DFU_ERR_BAD_HEADER). len < 32 -> DFU_ERR_CORRUPT. `out` is filled even on BAD_MAGIC/BAD_HEADER
 * (when len >= 32) so callers can print the fields. */
int dfu_image_header_parse(const uint8_t *raw, size_t len, dfu_image_header_t *out);

/* Reads and parses the header at image offset 0. rd->size < 32 -> DFU_ERR_CORRUPT. */
int dfu_image_header_read(const dfu_image_reader_t *rd, dfu_image_header_t *out);

/* Size of the hashed region: hdr_size + img_size + protect_tlv_size (no overflow after a
 * successful dfu_image_header_parse). */
uint32_t dfu_image_hashed_size(const dfu_image_header_t *hdr);

/* Compares versions by major, minor, revision and, if `use_build`, build number. Returns <0, 0
 * or >0 like memcmp. */
int dfu_image_version_cmp(const dfu_image_version_t *a, const dfu_image_version_t *b,
                          int use_build);

/* ---- TLV iteration -------------------------------------------------------------------------- */

typedef struct dfu_image_tlv {
    uint16_t type;
    uint16_t len;
    uint32_t off; /* image offset of the first data byte */
    uint8_t prot; /* 1 if the entry is in the protected block */
} dfu_image_tlv_t;

/* Iterator state; treat as opaque (fields documented for debugging). */
typedef struct dfu_image_tlv_iter {
    const dfu_image_reader_t *rd;
    uint32_t prot_start; /* image offset of the 0x6908 info header (== prot_end if none) */
    uint32_t prot_end;   /* end of the protected block == offset of the 0x6907 info header */
    uint32_t end;        /* end of the unprotected block == end of the image's TLV area */
    uint32_t pos;        /* offset of the next entry header */
    uint16_t type;       /* filter: a TLV type or DFU_IMAGE_TLV_ANY */
    uint8_t prot_only;   /* 1: stop at the end of the protected block */
} dfu_image_tlv_iter_t;

/* Starts iterating the TLV area of the image described by `hdr` (already parsed). Checks the info
 * headers: if protect_tlv_size != 0 a 0x6908 header whose tlv_tot equals it must come first
 * (else DFU_ERR_BAD_TLV); then a 0x6907 header (else DFU_ERR_BAD_TLV); both blocks must lie
 * within rd->size (else DFU_ERR_CORRUPT: truncated). `type` filters entries (DFU_IMAGE_TLV_ANY
 * for all); `prot_only` restricts to the protected block. Does not validate the entries. */
int dfu_image_tlv_begin(dfu_image_tlv_iter_t *it, const dfu_image_reader_t *rd,
                        const dfu_image_header_t *hdr, uint16_t type, int prot_only);

/* Next matching entry: returns 1 and fills `tlv`, 0 at the end, or DFU_ERR_BAD_TLV if an entry
 * header or its data would run past the end of its block (I/O errors pass through). After an
 * error the iterator stays at the failing entry (every further call fails the same way). */
int dfu_image_tlv_next(dfu_image_tlv_iter_t *it, dfu_image_tlv_t *tlv);

/* Image offset of the end of the TLV area (= total image length), valid after tlv_begin. */
uint32_t dfu_image_tlv_end(const dfu_image_tlv_iter_t *it);

/* Finds the first entry of `type` (in the protected block only if `prot_only`). Returns 0 and
 * fills `tlv`, DFU_ERR_NOT_FOUND, or an iteration error. */
int dfu_image_tlv_find(const dfu_image_reader_t *rd, const dfu_image_header_t *hdr, uint16_t type,
                       int prot_only, dfu_image_tlv_t *tlv);

/* Copies the data of `tlv` into `buf` (cap bytes). DFU_ERR_NOMEM if tlv->len > cap. */
int dfu_image_tlv_read(const dfu_image_reader_t *rd, const dfu_image_tlv_t *tlv, uint8_t *buf,
                       size_t cap);

/* Reads the protected SEC_CNT TLV (u32 LE). 0 and *out set, DFU_ERR_NOT_FOUND, or
 * DFU_ERR_BAD_TLV if its length is not 4. */
int dfu_image_security_counter(const dfu_image_reader_t *rd, const dfu_image_header_t *hdr,
                               uint32_t *out);

/* A DEPENDENCY TLV (12 bytes, protected) decoded. */
typedef struct dfu_image_dependency {
    uint8_t image_id;
    dfu_image_version_t min_ver;
} dfu_image_dependency_t;

/* Decodes DEPENDENCY TLV data (`len` must be 12, else DFU_ERR_BAD_TLV). */
int dfu_image_dependency_parse(const uint8_t *data, size_t len, dfu_image_dependency_t *out);

/* Short static name of a TLV type ("SHA256", "KEYHASH", "VENDOR" for xxA0-xxFF, "UNKNOWN"). */
const char *dfu_image_tlv_name(uint16_t type);

/* ---- Validation --------------------------------------------------------------------------- */

/* One accepted public key, as MCUboot embeds it (= `imgtool getpub -e raw`): ECDSA and Ed25519
 * keys as SubjectPublicKeyInfo DER, RSA keys as PKCS#1 RSAPublicKey DER. */
typedef struct dfu_image_key {
    const uint8_t *der;
    size_t len;
} dfu_image_key_t;

/* Scratch needed by dfu_image_validate (hash chunks, signature/TLV data). Bigger = fewer reads. */
#define DFU_IMAGE_SCRATCH_MIN 512u

/* cfg->flags */
#define DFU_IMAGE_VF_ALLOW_LIST 0x1u      /* unprotected block may only hold MCUboot's allow list */
#define DFU_IMAGE_VF_REQUIRE_SEC_CNT 0x2u /* a protected SEC_CNT >= min_security_counter needed */
#define DFU_IMAGE_VF_NO_DECRYPT 0x4u /* hash encrypted payloads as stored (primary slot view) */

typedef struct dfu_image_verify_cfg {
    const dfu_crypto_port_t *crypto; /* required */
    /* Accepted signing keys. key_count == 0: hash-only check (signatures are ignored). With keys,
     * a valid signature by one of them is required. */
    const dfu_image_key_t *keys;
    size_t key_count;
    /* Optional private decryption key, PKCS#8 DER (X25519 or P-256; RSA as PKCS#8 or PKCS#1).
     * When set and the image has an ENCRYPTED flag (and not DFU_IMAGE_VF_NO_DECRYPT), the payload
     * is decrypted while hashing. When NULL, encrypted payloads are hashed as stored (so an
     * encrypted image fails with DFU_ERR_HASH_MISMATCH, like imgtool verify, and an imgtool
     * `--clear` image passes). */
    const uint8_t *enc_priv;
    size_t enc_priv_len;
    /* Slot size: header+payload+protected TLVs must be strictly less (else DFU_ERR_NOSPC), and
     * the TLV area must end within it. 0 = no separate limit: rd->size bounds the image (anything
     * past it is reported as truncated, DFU_ERR_CORRUPT). */
    uint32_t max_image_size;
    /* Caller scratch, at least DFU_IMAGE_SCRATCH_MIN bytes. For an Ed25519 pure image on a reader
     * without `mem`, it must also hold the whole signed region (else DFU_ERR_NOMEM). */
    uint8_t *scratch;
    size_t scratch_len;
    /* Required hash TLV algorithm (MCUboot fixes it per build); DFU_HASH_NONE = accept whichever
     * single SHA256/384/512 TLV the image carries. */
    dfu_hash_alg_t hash_alg;
    uint32_t min_security_counter; /* with DFU_IMAGE_VF_REQUIRE_SEC_CNT */
    uint32_t flags;                /* DFU_IMAGE_VF_* */
} dfu_image_verify_cfg_t;

/* dfu_image_result_t.flags */
#define DFU_IMAGE_RF_SIGNED 0x1u    /* a signature by a configured key verified */
#define DFU_IMAGE_RF_ENCRYPTED 0x2u /* header has an ENCRYPTED flag */
#define DFU_IMAGE_RF_DECRYPTED 0x4u /* payload was decrypted for hashing */
#define DFU_IMAGE_RF_PURE 0x8u      /* SIG_PURE image (signature over the image bytes) */
#define DFU_IMAGE_RF_HAS_SEC_CNT 0x10u

typedef struct dfu_image_result {
    dfu_image_header_t hdr;
    dfu_hash_alg_t hash_alg;        /* algorithm of the hash TLV used */
    uint8_t hash[DFU_HASH_MAX_LEN]; /* the image hash TLV bytes (hash_len of them) */
    uint8_t hash_len;
    int key_index;             /* index into cfg->keys of the key that verified, -1 if none */
    uint16_t sig_type;         /* TLV type of the verified signature, 0 if none */
    uint32_t security_counter; /* valid if flags & DFU_IMAGE_RF_HAS_SEC_CNT */
    uint32_t flags;            /* DFU_IMAGE_RF_* */
    uint32_t tlv_end;          /* image offset of the end of the TLV area (total image length) */
    /* On failure: the dfu_err (also the return value), a short static reason ("TLV length runs
     * past end of TLV area"), and the image offset involved. err == 0 / reason "ok" on success. */
    int err;
    const char *reason;
    uint32_t err_off;
} dfu_image_result_t;

/* Full validation of the image read through `rd`: header checks, both TLV blocks walked entry by
 * entry (every entry bounds-checked), exactly one image hash TLV, hash over
 * [0, hdr_size + img_size + protect_tlv_size) (plaintext payload for encrypted images when a
 * decryption key is configured), KEYHASH/PUBKEY key selection and signature verification when
 * keys are configured, SEC_CNT (protected block only) read and optionally enforced.
 * Returns 0 if the image is valid, else a negative dfu_err; `out` (required) is always filled as
 * far as validation got. Main error codes: DFU_ERR_BAD_MAGIC, DFU_ERR_BAD_HEADER,
 * DFU_ERR_NOSPC (too big for the slot), DFU_ERR_CORRUPT (truncated), DFU_ERR_BAD_TLV,
 * DFU_ERR_NO_HASH, DFU_ERR_HASH_MISMATCH, DFU_ERR_NO_SIGNATURE (no signature by a configured
 * key), DFU_ERR_BAD_SIGNATURE (selected key, signature does not verify), DFU_ERR_DOWNGRADE
 * (security counter too low), DFU_ERR_DECRYPT, DFU_ERR_NOTSUP, DFU_ERR_INVAL (bad cfg). */
int dfu_image_validate(const dfu_image_reader_t *rd, const dfu_image_verify_cfg_t *cfg,
                       dfu_image_result_t *out);

/* ---- Encrypted images ------------------------------------------------------------------------ */

typedef struct dfu_image_enc_key {
    uint8_t key[32];
    uint8_t len; /* 16 (AES-128) or 32 (AES-256) */
} dfu_image_enc_key_t;

/* Unwraps the AES key from ENC TLV data (`type` = DFU_IMAGE_TLV_ENC_X25519, ENC_X25519_SHA512,
 * ENC_EC256 or ENC_RSA2048; `tlv`/`tlv_len` = the TLV data) with the private key `priv` (PKCS#8
 * DER; RSA also PKCS#1). `key_len` is 16 or 32 (from the header's AES flag). ECIES tags are
 * checked in constant time. Errors: DFU_ERR_BAD_TLV (wrong TLV length), DFU_ERR_INVAL (key
 * unparsable or of the wrong type), DFU_ERR_DECRYPT (tag mismatch / OAEP failure),
 * DFU_ERR_NOTSUP (ENC_KW or unknown type). */
int dfu_image_enc_unwrap_tlv(const dfu_crypto_port_t *c, uint16_t type, const uint8_t *tlv,
                             size_t tlv_len, const uint8_t *priv, size_t priv_len, size_t key_len,
                             dfu_image_enc_key_t *out);

/* Finds the image's ENC TLV (unprotected block) and unwraps it as above. DFU_ERR_INVAL if the
 * header has no ENCRYPTED flag, DFU_ERR_NOT_FOUND if no ENC TLV is present. */
int dfu_image_enc_unwrap(const dfu_crypto_port_t *c, const dfu_image_reader_t *rd,
                         const dfu_image_header_t *hdr, const uint8_t *priv, size_t priv_len,
                         dfu_image_enc_key_t *out);

/* AES-CTR en/decrypts, in place, `len` bytes of `buf` that sit at image offset `img_off`. Only the
 * bytes inside the payload [hdr_size, hdr_size + img_size) are transformed (header and TLV bytes
 * in the range are left alone), so a bootloader can pass any flash block while copying a slot.
 * Counter for payload offset o: 12 zero bytes || BE32(o / 16). */
int dfu_image_xcrypt(const dfu_crypto_port_t *c, const dfu_image_enc_key_t *key,
                     const dfu_image_header_t *hdr, uint32_t img_off, uint8_t *buf, size_t len);

/* ---- Trailer (read-only decode of the fields imgtool pre-fills) ------------------------------ */

#define DFU_IMAGE_TRAILER_MAGIC_GOOD 1
#define DFU_IMAGE_TRAILER_MAGIC_BAD 2
#define DFU_IMAGE_TRAILER_MAGIC_UNSET 3
#define DFU_IMAGE_FLAG_SET 1
#define DFU_IMAGE_FLAG_BAD 2
#define DFU_IMAGE_FLAG_UNSET 3

typedef struct dfu_image_trailer {
    uint8_t magic;      /* DFU_IMAGE_TRAILER_MAGIC_* */
    uint8_t image_ok;   /* DFU_IMAGE_FLAG_* */
    uint8_t copy_done;  /* DFU_IMAGE_FLAG_* */
    uint8_t swap_info;  /* raw byte */
    uint32_t swap_size; /* raw u32 LE */
    uint32_t magic_off, image_ok_off, copy_done_off, swap_info_off, swap_size_off;
} dfu_image_trailer_t;

/* Writes the 16-byte trailer magic expected for `max_align` (8: the classic magic; 16/32: u16 LE
 * max_align followed by the 14-byte tail). DFU_ERR_INVAL for other max_align values. */
int dfu_image_trailer_magic(uint32_t max_align, uint8_t out[16]);

/* Decodes the trailer at the end of a slot of `slot_size` bytes read through `rd` (rd->size >=
 * slot_size), for BOOT_MAX_ALIGN `max_align` (8, 16 or 32) and erased value `erased_val`.
 * Offsets are image (slot) offsets. Returns 0 or DFU_ERR_INVAL / DFU_ERR_RANGE / read errors. */
int dfu_image_trailer_decode(const dfu_image_reader_t *rd, uint32_t slot_size, uint32_t max_align,
                             uint8_t erased_val, dfu_image_trailer_t *out);

/* Trailer layouts: swap-scratch / swap-move / overwrite-only, and swap-using-offset (one more
 * max_align unit, the unprotected TLV sizes, sits between swap_info and swap_size). */
#define DFU_IMAGE_TRAILER_MODE_SWAP 0
#define DFU_IMAGE_TRAILER_MODE_OFFSET 1

/* As dfu_image_trailer_decode() (which is this with DFU_IMAGE_TRAILER_MODE_SWAP) for the layout
 * `mode`: in offset mode swap_size is read one unit lower (E-56 / E-96 / E-192 for max_align
 * 8 / 16 / 32). DFU_ERR_INVAL for an unknown mode. */
int dfu_image_trailer_decode_mode(const dfu_image_reader_t *rd, uint32_t slot_size,
                                  uint32_t max_align, uint8_t erased_val, int mode,
                                  dfu_image_trailer_t *out);

#ifdef __cplusplus
}
#endif
#endif
