/*
 * Bluetooth LE through BlueZ (host only, Linux): a dfu_link_t that reaches a device's SMP GATT
 * characteristic through bluetoothd's documented D-Bus API (org.bluez on the system bus), with
 * sd-bus from libsystemd. docs/BLUEZ.md has the whole story; in short:
 *
 *   open:  GetManagedObjects -> adapter (cfg.adapter or the first one, must be powered) ->
 *          the device by address or advertised name (discovery with a filter on the SMP service
 *          UUID, LE transport, when BlueZ does not know it) -> Device1.Connect ->
 *          ServicesResolved -> Device1.Pair when a passkey is given and the device is not
 *          paired (our org.bluez.Agent1, capability KeyboardOnly, answers RequestPasskey) ->
 *          the SMP characteristic by UUID -> AcquireNotify + AcquireWrite (fd, MTU); without
 *          them StartNotify + PropertiesChanged(Value) and WriteValue(type "command").
 *   data:  an SMP message is written as ATT values of MTU - 3 bytes (the MTU BlueZ reports)
 *          to the acquired socket, one value per write(); notifications are read from the
 *          acquired socket and reassembled with dfu_reasm_feed. With acquired sockets no D-Bus
 *          method call is made per message.
 *   bonds: a bond the device has forgotten (BlueZ: org.bluez.Error.Failed
 *          "le-connection-key-missing", AuthenticationFailed/Rejected on connect, or a
 *          Disconnected signal with org.bluez.Reason.Authentication) is removed with
 *          Adapter1.RemoveDevice and the device paired again once, when a passkey is given.
 *
 * Errors of dfu_link_bluez_open (cfg.why receives one line saying what was observed):
 *   DFU_ERR_NO_BLUEZ        no org.bluez on the system bus (or no system bus)
 *   DFU_ERR_BUS_DENIED      the D-Bus policy refused a call (AccessDenied)
 *   DFU_ERR_NODEV           no (powered) adapter, device not found, no SMP characteristic
 *   DFU_ERR_NOTCONN         the device did not accept the connection / dropped it
 *   DFU_ERR_PASSKEY_NEEDED  the device asked for passkey pairing and no passkey was given
 *   DFU_ERR_PAIRING         pairing failed (wrong passkey, rejected, timed out)
 *   DFU_ERR_STALE_BOND      the device forgot the bond and no passkey was given to pair again
 *   DFU_ERR_ACCESS          the device refuses notifications on this link (security)
 *   DFU_ERR_TIMEOUT, DFU_ERR_INVAL, DFU_ERR_NOMEM, DFU_ERR_IO
 */
#ifndef DFUKIT_DFU_HOST_BLUEZ_H
#define DFUKIT_DFU_HOST_BLUEZ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "dfukit/dfu_link.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Zephyr's SMP service and characteristic (MCUmgr BLE transport). */
#define DFU_BLUEZ_SMP_SERVICE_UUID "8d53dc1d-1db7-4cd3-868b-8a527460aa84"
#define DFU_BLUEZ_SMP_CHAR_UUID "da2e7828-fbce-4e01-ae9e-261174997c48"

typedef struct dfu_bluez_cfg {
    const char *target;  /* "C0:FF:EE:00:00:01" (address) or an advertised name */
    const char *adapter; /* "hci0"; NULL or "" = the first adapter BlueZ lists */
    bool has_passkey;
    uint32_t passkey; /* 0..999999 */
    int timeout_ms;   /* per D-Bus step (connect, pair, acquire); 0 = 10000 */
    int scan_ms;      /* discovery when BlueZ does not know the device; 0 = 10000 */
    FILE *log;        /* one line per D-Bus step; NULL = quiet */
    char *why;        /* receives one line on failure (may be NULL) */
    size_t why_cap;
} dfu_bluez_cfg_t;

typedef struct dfu_bluez_info {
    char address[18];
    char name[64];
    char adapter[16];
    bool paired, bonded, trusted; /* Device1 properties after the open */
    bool paired_now;              /* this open paired with the passkey (RequestPasskey answered) */
    bool repaired;                /* a stale bond was removed and the device paired again */
    bool acquired;                /* data through AcquireWrite / AcquireNotify sockets */
    uint16_t att_mtu;             /* the MTU BlueZ reported */
    uint64_t dbus_calls;          /* method calls this link made to org.bluez so far */
} dfu_bluez_info_t;

/*
 * Opens a BLE link through BlueZ. The link's security (dfu_link_security) is an estimate, as
 * BlueZ does not report the level: 1 not paired; 2 paired with a bond made earlier (encrypted,
 * authentication unknown); 3 paired now with the passkey (authenticated).
 * dfu_link_reconnect() runs the same sequence again (the address found first is kept, so a
 * device that changes its name after a firmware update is still found).
 */
int dfu_link_bluez_open(dfu_link_t *l, const dfu_bluez_cfg_t *cfg);

/* Details of an open BlueZ link. DFU_OK or DFU_ERR_INVAL (not a BlueZ link). */
int dfu_link_bluez_info(const dfu_link_t *l, dfu_bluez_info_t *out);

/* Pairs now (Device1.Pair with the configured passkey), e.g. after the device refused a
 * request for link security (SMP rc 11). Returns the estimated level (>= 2) or an error. */
int dfu_link_bluez_pair(dfu_link_t *l);

/* One line about the last failure of this link ("" if none). */
const char *dfu_link_bluez_why(const dfu_link_t *l);

/* One advertising SMP device seen by dfu_bluez_scan. */
typedef struct dfu_bluez_seen {
    char address[18];
    char name[64];
    int16_t rssi;
    bool paired, bonded, connected;
} dfu_bluez_seen_t;

/*
 * Discovers devices that advertise the SMP service for timeout_ms (filter: SMP service UUID, LE).
 * Fills up to cap entries (strongest RSSI first) and *n. Returns DFU_OK or an open error above
 * (why receives one line).
 */
int dfu_bluez_scan(const char *adapter, int timeout_ms, dfu_bluez_seen_t *out, size_t cap,
                   size_t *n, char *why, size_t why_cap);

#ifdef __cplusplus
}
#endif
#endif
