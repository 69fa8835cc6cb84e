/* BlueZ link internals shared by bluez_*.c (host only). */
#ifndef DFU_BLUEZ_PRIV_H
#define DFU_BLUEZ_PRIV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <systemd/sd-bus.h>

#include "dfukit/dfu_framing.h"
#include "dfukit/dfu_host_bluez.h"

#define BZ_SERVICE "org.bluez"
#define BZ_AGENT_PATH "/org/dfukit/agent"
#define BZ_MSGQ 8

/* Messages completed from PropertiesChanged(Value) signals (fallback data path). */
typedef struct bz_msgq {
    uint8_t *buf[BZ_MSGQ];
    size_t len[BZ_MSGQ];
    int head, n;
} bz_msgq_t;

typedef struct bz {
    dfu_bluez_cfg_t cfg;
    char target[64]; /* as given */
    char adapter_want[16];
    char why[256];
    sd_bus *bus;
    sd_bus_slot *agent_vt, *m_dev, *m_sig, *m_chr, *m_added, *m_removed;
    bool agent_registered;
    char adapter_path[64], adapter_name[16];
    char dev_path[128], chr_path[192];
    char address[18]; /* pinned once found: reconnects look for this address */
    char name[64];
    bool paired, bonded, trusted, connected, resolved;
    bool we_connected;   /* we called Connect: Disconnect at close */
    bool agent_asked;    /* our agent got RequestPasskey for the device */
    bool agent_answered; /* ... and answered it with the passkey */
    bool paired_now, repaired;
    bool auth_disconnect; /* Disconnected with org.bluez.Reason.Authentication */
    bool gone;            /* the device object was removed */
    bool acquired, notifying;
    int wfd, nfd;
    uint16_t mtu;
    dfu_reasm_t re;
    bz_msgq_t q;
    uint64_t calls;
    char found_path[128]; /* discovery result */
} bz_t;

/* Objects of interest from ObjectManager.GetManagedObjects. */
typedef struct bz_adapter_rec {
    char path[64];
    char address[18];
    bool powered;
} bz_adapter_rec_t;

typedef struct bz_dev_rec {
    char path[128];
    char adapter[64];
    char address[18];
    char name[64];
    char alias[64];
    bool paired, bonded, trusted, connected, resolved, smp, has_rssi;
    int16_t rssi;
} bz_dev_rec_t;

typedef struct bz_chr_rec {
    char path[192];
    char uuid[40];
    bool has_mtu;
    uint16_t mtu;
} bz_chr_rec_t;

typedef struct bz_tree {
    bz_adapter_rec_t ad[8];
    int nad;
    bz_dev_rec_t dev[64];
    int ndev;
    bz_chr_rec_t chr[64];
    int nchr;
} bz_tree_t;

/* Copies src into dst[cap], truncating. */
static inline void bz_strcpy(char *dst, size_t cap, const char *src)
{
    size_t n = strlen(src);
    n = n >= cap ? cap - 1 : n;
    memcpy(dst, src, n);
    dst[n] = '\0';
}

/* ---- bluez_bus.c ---- */
void bz_log(bz_t *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Sets the one-line failure description and returns rc. */
int bz_fail(bz_t *b, int rc, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* Connects to the system bus. DFU_OK or DFU_ERR_NO_BLUEZ. */
int bz_bus_open(bz_t *b);
/* A method call to org.bluez (counted). */
int bz_new_call(bz_t *b, sd_bus_message **m, const char *path, const char *iface,
                const char *member);
/* Sends m and processes the bus (agent requests, signals) until its reply or timeout_ms.
 * Returns 0 (reply may be NULL if not wanted), or < 0 with err set for a D-Bus error reply. */
int bz_call(bz_t *b, sd_bus_message *m, int timeout_ms, sd_bus_message **reply, sd_bus_error *err);
/* Call without arguments and without a result. */
int bz_call0(bz_t *b, const char *path, const char *iface, const char *member, int timeout_ms,
             sd_bus_error *err);
/* Maps a failed call that no step-specific rule covered: no BlueZ, policy, timeout, other. */
int bz_call_error(bz_t *b, int r, const sd_bus_error *err, const char *what);
/* Processes the bus until done(b) or the deadline. 0, or DFU_ERR_TIMEOUT / DFU_ERR_IO. */
int bz_wait(bz_t *b, uint64_t deadline_us, bool (*done)(const bz_t *b));
/* GetManagedObjects into *t (caller frees). DFU_OK or an error (why set). */
int bz_tree_load(bz_t *b, bz_tree_t **t);
bool bz_is_address(const char *s);

/* ---- bluez_agent.c ---- */
/* Exports the Agent1 object, registers it (KeyboardOnly) and asks to be the default agent. */
int bz_agent_register(bz_t *b);
void bz_agent_unregister(bz_t *b);

/* ---- bluez_find.c ---- */
/* Picks the adapter (b->adapter_want or the first) from the tree; must be powered. */
int bz_pick_adapter(bz_t *b, const bz_tree_t *t);
/* The device matching b->address (when pinned) or b->target under the adapter, or NULL. */
const bz_dev_rec_t *bz_find_dev(const bz_t *b, const bz_tree_t *t);
/* Discovers until the target appears (b->found_path) or ms pass. DFU_OK or DFU_ERR_NODEV. */
int bz_discover(bz_t *b, int ms);
/* Adds/replaces the signal matches for b->dev_path (PropertiesChanged, Disconnected). */
int bz_watch_device(bz_t *b);
/* ---- bluez_bus.c (property dictionaries) ---- */
/* Reads an a{sv} of Device1 properties into rec (absent keys keep their values). */
int bz_parse_dev(sd_bus_message *m, bz_dev_rec_t *rec);
/* Reads a Device1 a{sv} into b's flags (Connected, ServicesResolved, Paired, Bonded, Trusted). */
int bz_read_dev_props(bz_t *b, sd_bus_message *m);

#endif
