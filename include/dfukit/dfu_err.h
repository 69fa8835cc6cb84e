/*
 * dfukit error codes.
 *
 * Every dfukit function that can fail returns int (or a signed size): >= 0 is success or a
 * result, < 0 is one of the codes below. Values reuse errno numbers where the meaning matches
 * (as littlefs does). SMP wire codes (`rc`, `err{group,rc}`) are a separate positive space,
 * translated in exactly one place in the SMP server.
 */
#ifndef DFUKIT_DFU_ERR_H
#define DFUKIT_DFU_ERR_H

#ifdef __cplusplus
extern "C" {
#endif

typedef enum dfu_err {
    DFU_OK = 0,
    DFU_ERR_IO = -5,        /* flash / transport I/O failed */
    DFU_ERR_NOMEM = -12,    /* caller-provided buffer too small */
    DFU_ERR_BUSY = -16,     /* resource in use (slot active, operation pending) */
    DFU_ERR_EXIST = -17,    /* already exists / already pending */
    DFU_ERR_NODEV = -19,    /* no such device / slot / area */
    DFU_ERR_INVAL = -22,    /* invalid argument or configuration */
    DFU_ERR_NOSPC = -28,    /* does not fit (image larger than slot) */
    DFU_ERR_RANGE = -34,    /* offset/length out of range */
    DFU_ERR_NOTSUP = -95,   /* feature/algorithm not supported by this build */
    DFU_ERR_TIMEOUT = -110, /* timed out */
    DFU_ERR_ACCESS = -13,   /* permission / link security too low */
    DFU_ERR_CORRUPT = -84,  /* malformed data (bad magic, truncated, bad length) */
    DFU_ERR_MSGSIZE = -90,  /* message larger than the link MTU / receive buffer */
    DFU_ERR_NOTCONN = -107, /* link not connected (peer disconnected, link dropped) */
    /* dfukit-specific codes, below -1000 */
    DFU_ERR_BAD_MAGIC = -1001,     /* image header magic wrong */
    DFU_ERR_BAD_HEADER = -1002,    /* image header fields inconsistent */
    DFU_ERR_BAD_TLV = -1003,       /* TLV area malformed */
    DFU_ERR_NO_HASH = -1004,       /* hash TLV missing */
    DFU_ERR_HASH_MISMATCH = -1005, /* computed hash differs from the hash TLV */
    DFU_ERR_NO_SIGNATURE = -1006,  /* signature required but missing */
    DFU_ERR_BAD_SIGNATURE = -1007, /* signature does not verify */
    DFU_ERR_KEY_MISMATCH = -1008,  /* no configured key matches KEYHASH/PUBKEY */
    DFU_ERR_DOWNGRADE = -1009,     /* version / security counter lower than running */
    DFU_ERR_CRYPTO = -1010,        /* crypto backend failure */
    DFU_ERR_DECRYPT = -1011,       /* encrypted image cannot be decrypted (key unwrap failed) */
    DFU_ERR_BAD_TRAILER = -1012,   /* slot trailer unreadable / inconsistent */
    DFU_ERR_POWER_CUT = -1013,     /* simulated power loss (host flash only) */
    DFU_ERR_FLASH_RULE = -1014,    /* write to non-erased byte / misaligned op (sim flash) */
    DFU_ERR_PROTO = -1015,         /* protocol / framing error */
    DFU_ERR_BAD_CBOR = -1016,      /* CBOR malformed or of the wrong type */
    DFU_ERR_NOT_FOUND = -1017,     /* key / entry not found */
    DFU_ERR_BAD_STATUS = -1018,    /* swap status area inconsistent */
    /* SMP management codes (-1100..-1119), each with its own wire code in the SMP server. */
    DFU_ERR_SMP_NO_OFF = -1100,       /* upload request lacks "off" */
    DFU_ERR_SMP_NO_LEN = -1101,       /* first upload chunk lacks "len" */
    DFU_ERR_SMP_BAD_HASH = -1102,     /* hash argument missing or not 32 bytes */
    DFU_ERR_SMP_TEST_ACTIVE = -1103,  /* test requested for the running image */
    DFU_ERR_SMP_DENIED = -1104,       /* confirm of a non-running image refused */
    DFU_ERR_SMP_TOO_NEW = -1105,      /* SMP protocol version newer than supported */
    DFU_ERR_SMP_TOO_OLD = -1106,      /* SMP protocol version older than supported */
    DFU_ERR_SMP_BAD_FORMAT = -1107,   /* unknown letter in an OS info format string */
    DFU_ERR_SMP_NO_ANSWER = -1108,    /* query has no answer (unknown bootloader query) */
    DFU_ERR_SMP_ERASE_FAILED = -1109, /* a flash erase of the upload slot failed */
    /* Host link codes (-1200..-1209). */
    DFU_ERR_PAIRING = -1200,        /* BLE pairing failed (wrong passkey, refused) */
    DFU_ERR_PASSKEY_NEEDED = -1201, /* BLE: the device asks for passkey pairing, none given */
    DFU_ERR_STALE_BOND = -1202,     /* BLE: the device no longer has our bond (key missing) */
    DFU_ERR_NO_BLUEZ = -1203,       /* no BlueZ (org.bluez) on the system bus */
    DFU_ERR_BUS_DENIED = -1204,     /* the D-Bus policy refused a call to BlueZ */
    /* Client codes (-1300..-1309). */
    DFU_ERR_SMP_DEVICE = -1300, /* the device refused a request (SMP rc / group err) */
} dfu_err_t;

/* Returns a short, static, human-readable description of `err` (never NULL). */
const char *dfu_strerror(int err);

#ifdef __cplusplus
}
#endif
#endif
