/* dfu_strerror(): always built, device and host. */
#include "dfukit/dfu_err.h"

const char *dfu_strerror(int err)
{
    switch (err) {
    case DFU_OK:
        return "ok";
    case DFU_ERR_IO:
        return "I/O error";
    case DFU_ERR_NOMEM:
        return "buffer too small";
    case DFU_ERR_BUSY:
        return "resource busy";
    case DFU_ERR_EXIST:
        return "already exists or already pending";
    case DFU_ERR_NODEV:
        return "no such device, slot or area";
    case DFU_ERR_INVAL:
        return "invalid argument or configuration";
    case DFU_ERR_NOSPC:
        return "does not fit";
    case DFU_ERR_RANGE:
        return "offset or length out of range";
    case DFU_ERR_NOTSUP:
        return "not supported by this build";
    case DFU_ERR_TIMEOUT:
        return "timed out";
    case DFU_ERR_ACCESS:
        return "access denied (link security too low)";
    case DFU_ERR_CORRUPT:
        return "malformed data";
    case DFU_ERR_MSGSIZE:
        return "message larger than the link MTU or buffer";
    case DFU_ERR_NOTCONN:
        return "link not connected (peer gone or link dropped)";
    case DFU_ERR_BAD_MAGIC:
        return "bad image magic";
    case DFU_ERR_BAD_HEADER:
        return "bad image header";
    case DFU_ERR_BAD_TLV:
        return "malformed TLV area";
    case DFU_ERR_NO_HASH:
        return "hash TLV missing";
    case DFU_ERR_HASH_MISMATCH:
        return "image hash mismatch";
    case DFU_ERR_NO_SIGNATURE:
        return "signature missing";
    case DFU_ERR_BAD_SIGNATURE:
        return "signature invalid";
    case DFU_ERR_KEY_MISMATCH:
        return "no matching public key";
    case DFU_ERR_DOWNGRADE:
        return "downgrade refused";
    case DFU_ERR_CRYPTO:
        return "crypto backend failure";
    case DFU_ERR_DECRYPT:
        return "cannot decrypt image";
    case DFU_ERR_BAD_TRAILER:
        return "bad slot trailer";
    case DFU_ERR_POWER_CUT:
        return "power cut (simulated)";
    case DFU_ERR_FLASH_RULE:
        return "flash rule violated (write to non-erased or misaligned)";
    case DFU_ERR_PROTO:
        return "protocol or framing error";
    case DFU_ERR_BAD_CBOR:
        return "malformed CBOR";
    case DFU_ERR_NOT_FOUND:
        return "not found";
    case DFU_ERR_BAD_STATUS:
        return "swap status inconsistent";
    case DFU_ERR_SMP_NO_OFF:
        return "upload request lacks \"off\"";
    case DFU_ERR_SMP_NO_LEN:
        return "first upload chunk lacks \"len\"";
    case DFU_ERR_SMP_BAD_HASH:
        return "hash missing or not 32 bytes";
    case DFU_ERR_SMP_TEST_ACTIVE:
        return "cannot test the running image";
    case DFU_ERR_SMP_DENIED:
        return "confirm of a non-running image denied";
    case DFU_ERR_SMP_TOO_NEW:
        return "SMP version too new";
    case DFU_ERR_SMP_TOO_OLD:
        return "SMP version too old";
    case DFU_ERR_SMP_BAD_FORMAT:
        return "bad info format letter";
    case DFU_ERR_SMP_NO_ANSWER:
        return "query yields no answer";
    case DFU_ERR_SMP_ERASE_FAILED:
        return "flash erase failed";
    case DFU_ERR_PAIRING:
        return "pairing failed (wrong passkey or refused)";
    case DFU_ERR_PASSKEY_NEEDED:
        return "the device requires passkey pairing";
    case DFU_ERR_STALE_BOND:
        return "the device no longer has the bond (key missing)";
    case DFU_ERR_NO_BLUEZ:
        return "no BlueZ on the system bus";
    case DFU_ERR_BUS_DENIED:
        return "the D-Bus policy denied the call to BlueZ";
    case DFU_ERR_SMP_DEVICE:
        return "the device refused the request";
    default:
        return "unknown error";
    }
}
