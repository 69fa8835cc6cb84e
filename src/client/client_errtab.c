/*
 * The one table mapping device errors (SMP-level rc, v2 group errors) and transport failures to
 * a name, a meaning and a fix. Codes and meanings: smp-protocol.md §2, §4.5, §5.4, §6.1, §7.
 */
#include <stdio.h>
#include <string.h>

#include "dfu_client.h"

typedef struct {
    int group; /* -1 = SMP-level rc */
    int code;
    dfu_client_explain_t e;
} errtab_t;

static const errtab_t table[] = {
    /* ---- SMP-level rc (MGMT_ERR_*) ---- */
    {-1,
     1,
     {"EUNKNOWN", "the device failed for an unspecified reason",
      "re-run with the same arguments; if it persists read the device log"}},
    {-1,
     2,
     {"ENOMEM", "the device ran out of memory or its response buffer is too small",
      "use smaller requests; raise CONFIG_MCUMGR_TRANSPORT_NETBUF_SIZE on the device"}},
    {-1,
     3,
     {"EINVAL", "the device could not decode the request or a value is invalid",
      "check the arguments (hash = 64 hex digits, slot 0/1)"}},
    {-1, 4, {"ETIMEOUT", "the device timed out internally", "retry the command"}},
    {-1,
     5,
     {"ENOENT", "no such entry (old firmware: no free slot)",
      "check the argument; on old firmware run 'dfukit doctor' to see the slots"}},
    {-1,
     6,
     {"EBADSTATE",
      "the current image state forbids this (v1 form of err 9 NO_FREE_SLOT or 28 "
      "IMAGE_ALREADY_PENDING): a swap is scheduled for the next reset, or the running image "
      "is a test image that is not confirmed",
      "run 'dfukit doctor' for the exact state; usually 'dfukit reset' (apply/revert) or "
      "'dfukit image confirm' (keep the running image)"}},
    {-1,
     7,
     {"EMSGSIZE", "the response would be larger than the device's buffer",
      "raise CONFIG_MCUMGR_TRANSPORT_NETBUF_SIZE on the device"}},
    {-1,
     8,
     {"ENOTSUP", "the device does not support this command",
      "enable the command's group in the device firmware (or use another command)"}},
    {-1,
     9,
     {"ECORRUPT", "the device received a corrupt or truncated SMP frame",
      "the request exceeded the device buffer or the link garbled it; retry, and check "
      "'dfukit params'"}},
    {-1,
     10,
     {"EBUSY", "the device is busy (e.g. the application refused a reset)",
      "retry later; for reset use 'dfukit reset --force'"}},
    {-1,
     11,
     {"EACCESSDENIED", "the link's security level is too low for this command",
      "pair first: --conn ble:TARGET,passkey=NNNNNN (ble-sim:PATH,passkey=NNNNNN for the "
      "simulator's model)"}},
    {-1,
     12,
     {"UNSUPPORTED_TOO_OLD", "the device does not accept SMP v1 requests",
      "the client retries with SMP v2 automatically; update the client"}},
    {-1,
     13,
     {"UNSUPPORTED_TOO_NEW", "the device does not accept SMP v2 requests",
      "the client falls back to SMP v1 automatically; re-run the command"}},
    /* ---- OS group (0) ---- */
    {0, 1, {"OS_UNKNOWN", "the OS group failed for an unspecified reason", "retry the command"}},
    {0,
     2,
     {"INVALID_FORMAT", "an unknown letter in the info format string",
      "use letters s n r v b m p i o or a"}},
    {0,
     3,
     {"QUERY_YIELDS_NO_ANSWER", "the bootloader does not answer this query",
      "the device's bootloader information is limited; nothing to fix"}},
    {0, 4, {"RTC_NOT_SET", "the device clock was never set", "set the date first"}},
    {0, 5, {"RTC_COMMAND_FAILED", "the device clock could not be read or set", "retry"}},
    /* ---- Image group (1) ---- */
    {1,
     1,
     {"IMG_UNKNOWN", "the image group failed for an unspecified reason",
      "re-run; if it persists run 'dfukit doctor'"}},
    {1, 3, {"NO_IMAGE", "no image in the slot", "upload an image first"}},
    {1, 4, {"NO_TLVS", "the image has no TLV area", "sign the image with 'dfukit image sign'"}},
    {1,
     8,
     {"HASH_NOT_FOUND", "no slot holds an image with this hash",
      "run 'dfukit image list' and use a hash shown there"}},
    {1,
     9,
     {"NO_FREE_SLOT",
      "slot 1 is in use, so it cannot be uploaded to or erased: the running image is a "
      "test image that is not confirmed (slot 1 holds the image MCUboot reverts to), or a "
      "swap is scheduled and the device does not allow erasing a pending slot",
      "confirm the running image ('dfukit image confirm') to keep it, or reset "
      "('dfukit reset') to go back / apply the scheduled swap; then upload again "
      "('dfukit update --clear' does this for you)"}},
    {1,
     12,
     {"FLASH_WRITE_FAILED", "the device could not write its flash",
      "retry the upload; if it persists the flash may be worn or locked"}},
    {1, 13, {"FLASH_ERASE_FAILED", "the device could not erase its flash", "retry"}},
    {1, 14, {"INVALID_SLOT", "no such slot", "use slot 0 or 1 ('dfukit image slots')"}},
    {1, 20, {"INVALID_OFFSET", "the upload request lacks an offset", "client bug; report it"}},
    {1, 21, {"INVALID_LENGTH", "the first upload chunk lacks the length", "client bug; report it"}},
    {1,
     22,
     {"INVALID_IMAGE_HEADER", "the first chunk is shorter than the 32-byte image header",
      "the device buffer is too small for a first chunk; raise "
      "CONFIG_MCUMGR_TRANSPORT_NETBUF_SIZE"}},
    {1,
     23,
     {"INVALID_IMAGE_HEADER_MAGIC", "the file is not an MCUboot image (bad magic)",
      "sign the binary first: 'dfukit image sign'"}},
    {1,
     24,
     {"INVALID_HASH", "the hash argument is missing or not 32 bytes",
      "give the full 64-hex-digit hash from 'dfukit image list'"}},
    {1,
     27,
     {"CURRENT_VERSION_IS_NEWER",
      "the running image's version is not older than the new one and the device refuses "
      "downgrades",
      "build the new image with a higher version ('dfukit image sign --version')"}},
    {1,
     28,
     {"IMAGE_ALREADY_PENDING",
      "a swap is already scheduled for the next reset (a test of slot 1 is pending), or the "
      "device runs a test image that is not confirmed, and this request would change that "
      "decision",
      "reset the device to apply the scheduled image ('dfukit reset'), then confirm it "
      "('dfukit image confirm'); run 'dfukit doctor' for the exact state"}},
    {1,
     30,
     {"INVALID_IMAGE_TOO_LARGE", "the image does not fit the slot",
      "build a smaller image; 'dfukit image slots' shows the slot size"}},
    {1,
     31,
     {"INVALID_IMAGE_DATA_OVERRUN", "more data than the announced length",
      "restart the upload ('dfukit image upload FILE')"}},
    {1,
     32,
     {"IMAGE_CONFIRMATION_DENIED", "confirming this (non-running) image is not allowed",
      "confirm only the running image, or test the other one and reset"}},
    {1,
     33,
     {"IMAGE_SETTING_TEST_TO_ACTIVE_DENIED", "the running image cannot be marked for test",
      "confirm it instead ('dfukit image confirm')"}},
};

static const dfu_client_explain_t unknown_rc = {
    "UNKNOWN", "the device returned an error code this client does not know",
    "see the device's SMP documentation for the code; run 'dfukit doctor'"};

const dfu_client_explain_t *dfu_client_explain(int group, int group_rc, int rc)
{
    int g = group_rc > 0 ? group : -1;
    int code = group_rc > 0 ? group_rc : rc;
    for (size_t i = 0; i < sizeof(table) / sizeof(table[0]); i++) {
        if (table[i].group == g && table[i].code == code) {
            return &table[i].e;
        }
    }
    return &unknown_rc;
}

/* Device errors whose meaning depends on the request: matched before the code table. */
typedef struct {
    const char *what; /* the request (dfu_client_err_t.what) */
    int group, code;
    dfu_client_explain_t e;
} ctxtab_t;

static const ctxtab_t ctx_table[] = {
    {"image erase slot 0",
     1,
     9,
     {"NO_FREE_SLOT",
      "slot 0 holds the running image: the device never erases it (MCUboot boots it)",
      "to replace the running image, update it: 'dfukit update FILE'; 'dfukit image erase' "
      "(slot 1) frees the upload slot"}},
    {"image erase slot 0",
     -1,
     6,
     {"EBADSTATE", "slot 0 holds the running image: the device never erases it (MCUboot boots it)",
      "to replace the running image, update it: 'dfukit update FILE'; 'dfukit image erase' "
      "(slot 1) frees the upload slot"}},
};

enum {
    L_TIMEOUT,
    L_NOTCONN,
    L_ATT,
    L_PAIR,
    L_NODEV,
    L_LINK,
    L_REFUSED,
    L_NOTHING,
    L_PAIR_WRONG,
    L_NEED_PASSKEY,
    L_CANCEL,
    L_PASSKEY_NEEDED,
    L_STALE_BOND,
    L_NO_BLUEZ,
    L_BUS_DENIED,
    L_BLUEZ_BUSY,
    L_TAKEN_OVER,
    L_NOHOST,
};

static const dfu_client_explain_t link_tab[] = {
    [L_TIMEOUT] = {"TIMEOUT", "the device did not answer in time",
                   "check --conn and that the device is running; over BLE a silent device often "
                   "means the link security is too low (pair with --conn "
                   "ble:TARGET,passkey=NNNNNN, or ble-sim:PATH,passkey=NNNNNN for the "
                   "simulator's model); raise --timeout"},
    [L_NOTCONN] = {"NOT_CONNECTED", "the link dropped (device reset or out of range)",
                   "re-run the command; 'dfukit update' reconnects by itself"},
    [L_ATT] = {"ATT_INSUFFICIENT_AUTHENTICATION",
               "the device refused the write: this command needs an authenticated (passkey) BLE "
               "link",
               "pair with the device's passkey: --conn ble:TARGET,passkey=NNNNNN "
               "(ble-sim:PATH,passkey=NNNNNN for the simulator's model; do not switch the "
               "device's security off)"},
    [L_PAIR] = {"PAIRING_FAILED",
                "pairing failed: the passkey was not accepted, the pairing was "
                "refused, or the link cannot reach the level the device needs",
                "check the passkey the device shows and retry with --conn "
                "ble:TARGET,passkey=NNNNNN"},
    [L_NODEV] = {"NO_DEVICE", "there is nothing to open at that address, path or name",
                 "check --conn (the tty or socket path; for ble: 'dfukit scan' lists the "
                 "advertising SMP devices: is the adapter powered, 'bluetoothctl power on'?)"},
    [L_LINK] = {"LINK_ERROR", "the link failed", "check --conn and retry"},
    [L_NOHOST] = {"NO_SUCH_HOST", "the name lookup (DNS, /etc/hosts) found no address for it",
                  "check the host name in --conn, or give the device's address: "
                  "udp:192.0.2.7, udp:[2001:db8::7], tcp:127.0.0.1:PORT"},
    [L_REFUSED] = {"NO_SERVER", "nothing listens for SMP at that address",
                   "check --conn (address and port) and that the device, or 'dfukit sim', is "
                   "running and listening there"},
    [L_NOTHING] = {"NO_SERVER", "nothing listens at that address",
                   "check --conn and that the device, or 'dfukit sim', is running"},
    [L_PAIR_WRONG] = {"PAIRING_FAILED", "the device rejected the passkey",
                      "re-run with the passkey the device shows: --conn ...,passkey=NNNNNN"},
    [L_NEED_PASSKEY] = {"PAIRING_REQUIRED",
                        "this firmware accepts requests only on an authenticated (passkey) link; "
                        "pairing without a passkey (Just Works) does not reach that level",
                        "re-run with the device's passkey: --conn ...,passkey=NNNNNN (keep the "
                        "device's security on)"},
    [L_CANCEL] = {"INTERRUPTED", "interrupted by the user (Ctrl-C)", "run the same command again"},
    [L_PASSKEY_NEEDED] = {"PASSKEY_REQUIRED",
                          "the device requires an authenticated (passkey) BLE link and asked for "
                          "its passkey; none was given",
                          "add the passkey the device displays: --conn ble:TARGET,passkey=NNNNNN "
                          "(keep the device's security on)"},
    [L_STALE_BOND] = {"STALE_BOND",
                      "the device no longer has the bond this computer keeps for it (its new "
                      "firmware has no bond storage, or its bonds were erased)",
                      "run again with the device's passkey: --conn ble:TARGET,passkey=NNNNNN; "
                      "dfukit then removes the stale bond and pairs again (or remove it "
                      "yourself: 'bluetoothctl remove ADDRESS')"},
    [L_NO_BLUEZ] = {"NO_BLUEZ",
                    "no BlueZ on the system bus (nothing owns org.bluez there, or the bus cannot "
                    "be reached)",
                    "start the Bluetooth daemon: 'sudo systemctl start bluetooth' (Debian package "
                    "bluez); in a container, make the host's system bus reachable "
                    "(/run/dbus/system_bus_socket or DBUS_SYSTEM_BUS_ADDRESS)"},
    [L_BUS_DENIED] = {"BLUEZ_ACCESS_DENIED",
                      "the system bus policy does not let this user call BlueZ",
                      "run as a user the BlueZ D-Bus policy allows "
                      "(/etc/dbus-1/system.d/bluetooth.conf: the default context, root, or group "
                      "'bluetooth' on distributions that restrict it)"},
    [L_BLUEZ_BUSY] = {"BLUEZ_BUSY",
                      "another program holds the SMP characteristic (AcquireWrite/AcquireNotify)",
                      "close the other Bluetooth tool connected to the device and retry"},
    /* not a link failure, but no device error code either: the device answered our chunks with
     * the offsets of an upload session that is not ours */
    [L_TAKEN_OVER] = {"UPLOAD_TAKEN_OVER",
                      "another client restarted the upload at offset 0; the device now holds its "
                      "image",
                      "let the other client finish (or stop it), then run the same command "
                      "again: it starts a new upload session"},
};

const dfu_client_explain_t *dfu_client_explain_link(int code, int att)
{
    if (att != 0 || code == DFU_ERR_ACCESS) {
        return &link_tab[L_ATT];
    }
    switch (code) {
    case DFU_ERR_TIMEOUT:
        return &link_tab[L_TIMEOUT];
    case DFU_ERR_NOTCONN:
        return &link_tab[L_NOTCONN];
    case DFU_ERR_PAIRING:
        return &link_tab[L_PAIR];
    case DFU_ERR_NODEV:
        return &link_tab[L_NODEV];
    case DFU_ERR_REFUSED:
        return &link_tab[L_REFUSED];
    case DFU_ERR_CANCELLED:
        return &link_tab[L_CANCEL];
    case DFU_ERR_PASSKEY_NEEDED:
        return &link_tab[L_PASSKEY_NEEDED];
    case DFU_ERR_STALE_BOND:
        return &link_tab[L_STALE_BOND];
    case DFU_ERR_NO_BLUEZ:
        return &link_tab[L_NO_BLUEZ];
    case DFU_ERR_BUS_DENIED:
        return &link_tab[L_BUS_DENIED];
    case DFU_ERR_BUSY:
        return &link_tab[L_BLUEZ_BUSY];
    case DFU_ERR_UPLOAD_TAKEN_OVER:
        return &link_tab[L_TAKEN_OVER];
    default:
        return &link_tab[L_LINK];
    }
}

const dfu_client_explain_t *dfu_client_err_explain(const dfu_client_err_t *e)
{
    if (e->code == DFU_ERR_DEVICE) {
        int g = e->group_rc > 0 ? e->group : -1;
        int code = e->group_rc > 0 ? e->group_rc : e->rc;
        for (size_t i = 0; i < sizeof(ctx_table) / sizeof(ctx_table[0]); i++) {
            if (strcmp(ctx_table[i].what, e->what) == 0 && ctx_table[i].group == g &&
                ctx_table[i].code == code) {
                return &ctx_table[i].e;
            }
        }
        return dfu_client_explain(e->group, e->group_rc, e->rc);
    }
    bool refused_write = e->code == DFU_ERR_ACCESS || (e->code != DFU_ERR_PAIRING && e->att != 0);
    if (e->code == DFU_ERR_PAIRING && e->has_passkey &&
        e->pair_reason == DFU_BLE_PAIR_ERR_CONFIRM) {
        return &link_tab[L_PAIR_WRONG];
    }
    if (refused_write && !e->has_passkey && e->pair_level > 0) {
        return &link_tab[L_NEED_PASSKEY]; /* Just Works was tried and did not satisfy it */
    }
    if (e->connecting && e->code == DFU_ERR_NOTCONN) {
        return &link_tab[L_NOTHING];
    }
    if (e->connecting && e->unresolved) {
        return &link_tab[L_NOHOST];
    }
    return dfu_client_explain_link(e->code, e->att);
}

void dfu_client_err_observed(const dfu_client_err_t *e, char *buf, size_t cap)
{
    const char *peer = e->peer[0] ? e->peer : "the device";
    const dfu_client_explain_t *x = dfu_client_err_explain(e);
    if (e->code == DFU_ERR_DEVICE) {
        char codes[64];
        if (e->group_rc > 0) {
            snprintf(codes, sizeof(codes), "group %d err %d", e->group, e->group_rc);
        } else {
            snprintf(codes, sizeof(codes), "rc %d", e->rc);
        }
        snprintf(buf, cap, "%s (%s)%s%s%s", x->name, codes, e->rsn[0] ? " \"" : "", e->rsn,
                 e->rsn[0] ? "\"" : "");
        return;
    }
    if (x == &link_tab[L_PAIR_WRONG]) {
        snprintf(buf, cap, "pairing failed: wrong passkey (the device rejected %06u)",
                 (unsigned)e->passkey);
        return;
    }
    if (x == &link_tab[L_NEED_PASSKEY]) {
        snprintf(buf, cap,
                 "%s: the device refused the request (ATT 0x05, insufficient authentication) "
                 "also after pairing without a passkey (level %d)",
                 x->name, e->pair_level);
        return;
    }
    switch (e->code) {
    case DFU_ERR_REFUSED:
        snprintf(buf, cap, "%s: no SMP server answered at %s (connection refused)", x->name, peer);
        return;
    case DFU_ERR_TIMEOUT: {
        char tries[48] = "";
        if (e->tries > 1) {
            snprintf(tries, sizeof(tries), " (sent %d times)", e->tries);
        }
        snprintf(buf, cap, "%s: no answer within %g s%s from %s", x->name, e->wait_ms / 1000.0,
                 tries, peer);
        return;
    }
    case DFU_ERR_NOTCONN:
        snprintf(buf, cap, "%s: %s %s", x->name,
                 e->connecting ? "nothing is listening at" : "the link dropped to", peer);
        return;
    case DFU_ERR_NODEV:
        snprintf(buf, cap,
                 e->unresolved ? "%s: the host name of %s did not resolve" : "%s: cannot open %s",
                 x->name, peer);
        return;
    default:
        snprintf(buf, cap, "%s (%s)", x->name, dfu_strerror(e->code));
        return;
    }
}

int dfu_client_exit_code(int rc)
{
    switch (rc) {
    case DFU_OK:
        return 0;
    case DFU_ERR_TIMEOUT:
    case DFU_ERR_NOTCONN:
    case DFU_ERR_IO:
    case DFU_ERR_NODEV:
    case DFU_ERR_BUSY:
    case DFU_ERR_REFUSED:
    case DFU_ERR_NO_BLUEZ:
    case DFU_ERR_BUS_DENIED:
        return 4;
    case DFU_ERR_CANCELLED:
        return 130;
    default:
        return 1;
    }
}

void dfu_client_err_format(const dfu_client_err_t *e, char *buf, size_t cap)
{
    const dfu_client_explain_t *x = dfu_client_err_explain(e);
    char obs[400];
    dfu_client_err_observed(e, obs, sizeof(obs));
    snprintf(buf, cap, "%s failed: %s: %s%s%s. Fix: %s", e->what[0] ? e->what : "request", obs,
             x->meaning, e->detail[0] ? "; observed: " : "", e->detail, x->fix);
}

bool dfu_client_err_is_state(const dfu_client_err_t *e)
{
    if (e->code != DFU_ERR_DEVICE || strcmp(e->what, "image erase slot 0") == 0) {
        return false; /* slot 0 is refused whatever the state: nothing to diagnose */
    }
    if (e->group_rc > 0) {
        return e->group == 1 && (e->group_rc == 9 || e->group_rc == 28);
    }
    return e->rc == 6 || e->rc == 5;
}
