/*
 * Modelled BLE link (host only): the SMP GATT transport of a Bluetooth LE peripheral, modelled over
 * a Unix-domain stream socket so the simulated device and the client can exercise what matters
 * for DFU without a radio: ATT MTU exchange, fragmentation to (MTU - 3) and reassembly, link
 * security levels 1..4, passkey pairing, bonds, ATT error 0x05 for writes on a weak link,
 * advertising (the device's name) and disconnects when the device resets.
 *
 * The socket wire protocol is documented in docs/LINKS.md. This is a model: the "keys" exchanged
 * give no security and must never be used as such.
 *
 * Notifications: the central must enable them (CCCD write) before responses can reach it; the
 * device refuses that write with ATT 0x05 (not encrypted and no bond, or encrypted without the
 * needed authentication) or 0x0F (not encrypted but a bond exists) when the link is below
 * cfg.cccd_level, as Zephyr's GATT permission check does. Notifications sent while the central
 * has not enabled them are dropped, as on a real stack.
 *
 * Server (device) end: dfu_link_ble_server_open() listens at PATH; one central at a time. Its
 * dfu_link_recv() handles connects, MTU exchange, pairing and encryption internally and returns
 * only reassembled SMP messages; dfu_link_security() is the level of the current connection at the
 * time the message was returned. dfu_link_send() sends notifications. dfu_link_drop() disconnects
 * the central (use it when the device resets) and keeps listening.
 *
 * Client (central) end: dfu_link_ble_client_open() connects, reads the advertised name, exchanges
 * the MTU and reaches the requested security level (bond first, then pairing). After a drop or a
 * device reset dfu_link_recv()/dfu_link_send() return DFU_ERR_NOTCONN and dfu_link_reconnect()
 * connects again (reusing the bond, so no new passkey is needed).
 */
#ifndef DFUKIT_DFU_HOST_BLE_H
#define DFUKIT_DFU_HOST_BLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dfukit/dfu_link.h"

#ifdef __cplusplus
extern "C" {
#endif

#define DFU_BLE_ATT_MTU_MIN 23
#define DFU_BLE_ATT_MTU_MAX 517
#define DFU_BLE_ATT_MTU_DEFAULT 247
#define DFU_BLE_NAME_MAX 29      /* longest advertised name */
#define DFU_BLE_MSG_DEFAULT 2475 /* default reassembly buffer (NCS smp_svr BT overlay) */

/* ATT error codes a write may be answered with. */
#define DFU_BLE_ATT_ERR_INSUFF_AUTHEN 0x05
#define DFU_BLE_ATT_ERR_INSUFF_ENC 0x0F

/* HCI disconnect reasons used by the model. */
#define DFU_BLE_REASON_TIMEOUT 0x08     /* supervision timeout: what a central sees on reset */
#define DFU_BLE_REASON_REMOTE_USER 0x13 /* remote user terminated */
#define DFU_BLE_REASON_AUTH_FAIL 0x05   /* authentication failure */

/* Pairing failure reasons reported by the device (Security Manager codes). */
#define DFU_BLE_PAIR_ERR_CONFIRM 0x04     /* confirm value failed: wrong passkey */
#define DFU_BLE_PAIR_ERR_NOTSUP 0x05      /* pairing not supported */
#define DFU_BLE_PAIR_ERR_KEY_MISSING 0x06 /* encryption with an unknown bond */

/* One bond: what each side remembers about the other after pairing with bonding. */
typedef struct dfu_ble_bond {
    uint8_t peer[6]; /* device side: the central's identity address; client side: zero */
    uint8_t ltk[16]; /* long-term key (model only: random bytes) */
    uint8_t level;   /* security level the pairing reached (2..4); 0 = no bond */
} dfu_ble_bond_t;

/*
 * Device-side bond persistence, so the simulator can keep bonds in its storage partition.
 * lookup: fill *out for `peer`, return DFU_OK, or DFU_ERR_NOT_FOUND.
 * store: insert or replace the bond for bond->peer; return DFU_OK or an error (pairing then
 * still succeeds, but no bond is reported to the central).
 * Either may be NULL (no bond storage: bonds are never remembered).
 */
typedef struct dfu_ble_bond_store {
    int (*lookup)(void *ctx, const uint8_t peer[6], dfu_ble_bond_t *out);
    int (*store)(void *ctx, const dfu_ble_bond_t *bond);
    void *ctx;
} dfu_ble_bond_store_t;

/* Device configuration. Zeroed fields mean the default. */
typedef struct dfu_ble_server_cfg {
    const char *name;   /* advertised name, <= DFU_BLE_NAME_MAX bytes; NULL = "dfukit" */
    uint16_t mtu;       /* the device's largest ATT MTU, 23..517; 0 = 247 */
    size_t max_msg;     /* reassembly buffer = largest SMP request; 0 = DFU_BLE_MSG_DEFAULT */
    bool has_passkey;   /* device can show a passkey (display): MITM pairing possible */
    uint32_t passkey;   /* the 6-digit passkey, 0..999999 (when has_passkey) */
    uint8_t pair_level; /* level a correct passkey pairing reaches: 3 or 4; 0 = 4 (LESC) */
    uint8_t cccd_level; /* level needed to enable notifications, i.e. the SMP characteristic's
                         * permission (1 RW, 2 RW_ENCRYPT, 3 RW_AUTHEN; 4 = L4); 0 = 1 */
    dfu_ble_bond_store_t bonds;
} dfu_ble_server_cfg_t;

/* Client configuration. Zeroed fields mean the default. */
typedef struct dfu_ble_client_cfg {
    uint8_t addr[6];           /* our identity address; all zero = C0:DF:00:00:00:01 */
    uint16_t mtu;              /* ATT MTU to request, 23..517; 0 = 247 */
    size_t max_msg;            /* largest SMP response accepted; 0 = 65535 + 8 */
    uint8_t security;          /* level to reach at connect: 0/1 none, 2 encryption, 3/4 passkey */
    bool has_passkey;          /* we can enter a passkey */
    uint32_t passkey;          /* the passkey to enter, 0..999999 */
    bool bond;                 /* ask the device to bond */
    dfu_ble_bond_t known_bond; /* a bond from an earlier session (level 0 = none) */
    int timeout_ms;            /* wait for each setup step; 0 = 2000 */
} dfu_ble_client_cfg_t;

/*
 * Device end: listens on a Unix socket at `path` (an existing socket file there is replaced).
 * Returns DFU_OK, DFU_ERR_INVAL (bad config: name too long, mtu out of range, passkey > 999999,
 * pair_level not 3/4, path too long), DFU_ERR_BUSY (path in use by a live server) or DFU_ERR_IO.
 */
int dfu_link_ble_server_open(dfu_link_t *l, const char *path, const dfu_ble_server_cfg_t *cfg);

/*
 * Device end: answer the last write with ATT error `att_err` (e.g. DFU_BLE_ATT_ERR_INSUFF_AUTHEN)
 * instead of a notification. The client's dfu_link_recv() then returns DFU_ERR_ACCESS.
 * Returns DFU_OK, DFU_ERR_NOTCONN (no central) or DFU_ERR_INVAL (att_err 0).
 */
int dfu_link_ble_att_error(dfu_link_t *l, uint8_t att_err);

/* Device end: whether a central is connected, and its identity address (may be NULL). */
bool dfu_link_ble_connected(const dfu_link_t *l, uint8_t peer[6]);

/*
 * Client end: connects to the device at `path` and sets the link up: advertised name, MTU
 * exchange, bond / pairing up to cfg->security, then enables notifications. If the device
 * refuses that with ATT 0x05 and cfg->has_passkey, the client pairs with the passkey and retries
 * (as phones do); with 0x0F and a bond it encrypts and retries.
 * Returns DFU_OK; DFU_ERR_NOTCONN (nothing listening / device busy with another central);
 * DFU_ERR_TIMEOUT (a setup step got no answer); DFU_ERR_PAIRING (wrong passkey, or the level
 * reached is below cfg->security); DFU_ERR_ACCESS (the device requires a higher level to enable
 * notifications and we cannot reach it: pairing with a passkey is needed); DFU_ERR_INVAL.
 */
int dfu_link_ble_client_open(dfu_link_t *l, const char *path, const dfu_ble_client_cfg_t *cfg);

/*
 * Client end: pairs now (e.g. after a write came back with ATT error 0x05). has_passkey false =
 * Just Works (reaches level 2 at most). One response completing meanwhile is kept for the next
 * recv() (further ones are dropped; an ATT error for an earlier write only sets
 * dfu_link_ble_last_att_error()).
 * Returns the level reached (>= 2), DFU_ERR_PAIRING (refused / wrong passkey: the level is
 * unchanged), DFU_ERR_NOTCONN or DFU_ERR_TIMEOUT.
 */
int dfu_link_ble_pair(dfu_link_t *l, bool has_passkey, uint32_t passkey, bool bond);

/* Client end: the device's advertised name ("" before connecting). */
const char *dfu_link_ble_peer_name(const dfu_link_t *l);

/* Client end: the bond with the device (level 0 if none), to persist and pass back as
 * cfg.known_bond in a later session. Returns DFU_OK or DFU_ERR_NOT_FOUND. */
int dfu_link_ble_get_bond(const dfu_link_t *l, dfu_ble_bond_t *out);

/* Client end: the last ATT error received for a write (0 = none). */
uint8_t dfu_link_ble_last_att_error(const dfu_link_t *l);

/* Client end: why the last pairing failed (DFU_BLE_PAIR_ERR_*, e.g. CONFIRM = wrong passkey);
 * 0 if it succeeded or none was tried. */
uint8_t dfu_link_ble_last_pair_error(const dfu_link_t *l);

#ifdef __cplusplus
}
#endif
#endif
