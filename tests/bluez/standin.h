/*
 * BlueZ stand-in (test tooling, not product code): a process that owns `org.bluez` on a private
 * D-Bus bus and implements the part of BlueZ's documented D-Bus API (doc/org.bluez.*.rst) that a
 * DFU client needs, with BlueZ's interface, method, signature, property and error names. Each
 * "remote device" is a running `dfukit sim --ble PATH`: the stand-in is the central of that
 * BLE model (docs/LINKS.md §2), so the device's security requirements, passkey, bonds, ATT
 * refusals and disconnects at reset come from the simulated device itself.
 *
 * What it models and what it does not: docs/BLUEZ.md ("The BlueZ stand-in").
 */
#ifndef STANDIN_H
#define STANDIN_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <systemd/sd-bus.h>
#include <systemd/sd-event.h>

#include "ble_wire.h"

#define SI_MAX_DEV 4
#define SI_MAX_AGENTS 8
#define SI_MAX_SESS 8
#define SI_MAX_NOTIFY 4
#define SI_OWNER_MAX 64
#define SI_MAX_COUNTERS 48

#define SI_SMP_SVC_UUID "8d53dc1d-1db7-4cd3-868b-8a527460aa84"
#define SI_SMP_CHR_UUID "da2e7828-fbce-4e01-ae9e-261174997c48"
#define SI_CCCD_UUID "00002902-0000-1000-8000-00805f9b34fb"
#define SI_ADAPTER_PATH "/org/bluez/hci0"
#define SI_ATT_MTU_CENTRAL 517 /* what BlueZ asks for in the MTU exchange */

/* GATT handles of the SMP service in the model (value handle 0x0012 as in ble_wire.h). */
#define SI_SVC_HANDLE 0x0010u
#define SI_CHR_HANDLE 0x0011u
#define SI_DESC_HANDLE 0x0013u

typedef struct si si_t;

typedef struct si_agent {
    bool used;
    char owner[SI_OWNER_MAX];
    char path[128];
    char cap[24];
} si_agent_t;

typedef struct si_filter {
    bool set;         /* SetDiscoveryFilter called with a non-empty filter */
    bool uuids_given; /* UUIDs non-empty */
    bool uuid_smp;    /* UUIDs contains the SMP service */
    bool bredr_only;  /* Transport "bredr": LE devices never match */
    bool has_rssi;    /* RSSI threshold */
    int16_t rssi;
    char pattern[64]; /* prefix of address or name; "" = any */
} si_filter_t;

typedef struct si_session {
    bool used;        /* a filter or a discovery session exists for owner */
    bool discovering; /* StartDiscovery called */
    char owner[SI_OWNER_MAX];
    si_filter_t f;
} si_session_t;

/* Operation waiting for pairing to finish (the agent answers asynchronously). */
typedef enum si_op {
    SI_OP_NONE = 0,
    SI_OP_PAIR,         /* Device1.Pair */
    SI_OP_ACQ_NOTIFY,   /* GattCharacteristic1.AcquireNotify: CCCD write refused, pairing */
    SI_OP_START_NOTIFY, /* GattCharacteristic1.StartNotify: same */
} si_op_t;

/* Outcome of a pairing attempt. */
typedef enum si_pair_res {
    SI_PAIR_OK = 0,
    SI_PAIR_FAILED,   /* the device refused (wrong passkey: confirm value failed) */
    SI_PAIR_REJECTED, /* the agent answered org.bluez.Error.Rejected */
    SI_PAIR_CANCELED, /* the agent answered org.bluez.Error.Canceled */
    SI_PAIR_TIMEOUT,  /* the agent did not answer */
    SI_PAIR_NOTCONN,  /* the link dropped */
} si_pair_res_t;

typedef struct si_dev {
    si_t *s;
    char model[108]; /* the BLE model socket of a running `dfukit sim --ble` */
    uint8_t addr[6];
    char addr_str[18];
    char path[64], svc_path[96], chr_path[112], desc_path[128];
    int16_t rssi;
    char name[32];
    char alias[64]; /* "" = the name */
    bool can_display;
    /* D-Bus objects */
    bool exported;
    sd_bus_slot *dev_slot;
    bool gatt_exported;
    sd_bus_slot *svc_slot, *chr_slot, *desc_slot;
    sd_event_source *temp_timer;
    /* state (D-Bus booleans are int for sd-bus) */
    int connected, resolved, paired, bonded, trusted, blocked;
    int legacy; /* LegacyPairing: always false (LE) */
    bool has_ltk;
    uint8_t ltk[16];
    uint8_t level; /* link security level 1..4 */
    /* the model connection */
    int fd;
    sd_event_source *io;
    ble_rx_t rx;
    ble_pkt_t pkt;
    uint16_t mtu;
    bool subscribed;
    /* characteristic: acquired sockets (our ends) and StartNotify sessions */
    int wfd, nfd;
    sd_event_source *wio, *nio;
    char notify_owner[SI_MAX_NOTIFY][SI_OWNER_MAX];
    int n_notify;
    uint8_t value[BLE_PKT_MAX_PAYLOAD];
    size_t value_len;
    /* pending operation */
    si_op_t op;
    sd_bus_message *op_msg;
    sd_bus_slot *agent_call;
    char agent_owner[SI_OWNER_MAX];
    char agent_path[128];
} si_dev_t;

typedef struct si_counter {
    char name[40];
    uint64_t n;
} si_counter_t;

struct si {
    sd_bus *bus;
    sd_event *ev;
    FILE *log;
    uint8_t addr[6];
    char addr_str[18];
    int powered;
    bool no_acquire;
    int temp_timeout_s;
    si_dev_t dev[SI_MAX_DEV];
    int ndev;
    si_agent_t agents[SI_MAX_AGENTS];
    int default_agent; /* index or -1 */
    si_session_t sess[SI_MAX_SESS];
    int discovering;
    sd_event_source *probe_timer;
    /* counters (org.dfukit.BluezStandin1) */
    uint64_t calls;
    si_counter_t counters[SI_MAX_COUNTERS];
    int ncounters;
    uint64_t writes_forwarded, writes_dropped, notifications;
};

/* ---- standin_main.c ---- */
void si_log(si_t *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* ---- standin_adapter.c ---- */
int si_adapter_register(si_t *s);
/* The agent that serves `sender` (its own agent, else the default agent; sender NULL: the
 * default agent), or NULL. */
const si_agent_t *si_agent_for(si_t *s, const char *sender);
/* A bus client went away: drop its agent, discovery session and notify sessions. */
void si_owner_gone(si_t *s, const char *owner);

/* ---- standin_device.c ---- */
int si_dev_export(si_dev_t *d);
void si_dev_unexport(si_dev_t *d);
/* Connects to the model (ADV, MTU exchange, encryption with a stored key). On failure writes
 * the BlueZ error name and message. Returns 0 or -1. */
int si_dev_connect(si_dev_t *d, const char **err_name, const char **err_msg);
/* Drops the connection (hci = HCI reason; local: we initiated it). */
void si_dev_disconnected(si_dev_t *d, uint8_t hci, bool local);
/* Waits for a model packet of `type` (other packets are handled). 0, -ETIMEDOUT, -ENOTCONN,
 * or -EACCES for an ATT error to a Write Request (*att set). */
int si_dev_await(si_dev_t *d, uint8_t type, int ms, uint8_t *att);
/* Starts pairing for the pending op (d->op, d->op_msg set); si_gatt_pair_done / the Pair reply
 * follow when it completes. sender: the Pair() caller, whose own agent is asked (else the
 * default agent); NULL for pairing the stack starts itself (an ATT security error), which
 * BlueZ hands to the default agent. */
void si_dev_pair_start(si_dev_t *d, const char *sender);
void si_emit(si_dev_t *d, const char *iface, const char *prop);

/* ---- standin_gatt.c ---- */
int si_gatt_export(si_dev_t *d);
void si_gatt_unexport(si_dev_t *d);
/* Closes acquired sockets and StartNotify sessions (device gone). */
void si_gatt_release_all(si_dev_t *d);
/* A notification value from the device. */
void si_gatt_notify(si_dev_t *d, const uint8_t *v, size_t n);
/* Pairing for a pending AcquireNotify / StartNotify finished. */
void si_gatt_pair_done(si_dev_t *d, si_pair_res_t res);
/* One bus client's StartNotify sessions end. */
void si_gatt_owner_gone(si_dev_t *d, const char *owner);

#endif
