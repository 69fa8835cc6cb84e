/* Link timing models: BLE LL air-time arithmetic and serial 8N1 + console framing. */
#include "dfukit/dfu_host_linkmodel.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dfukit/dfu_err.h"
#include "dfukit/dfu_framing.h"

#define BLE_T_IFS_US 150u
#define BLE_L2CAP_HDR 4u
#define BLE_ATT_WRITE_HDR 3u
#define BLE_MIC 4u
#define BLE_PDU_FIXED 9u /* access address 4 + header 2 + CRC 3; preamble added per PHY */

/* ---- parsing ---------------------------------------------------------------------------- */

static int parse_uint(const char *v, unsigned long min, unsigned long max, unsigned long *out)
{
    char *end = NULL;
    if (*v == '\0' || *v == '-' || *v == '+') {
        return DFU_ERR_INVAL;
    }
    errno = 0;
    unsigned long x = strtoul(v, &end, 10);
    if (errno != 0 || *end != '\0' || x < min || x > max) {
        return DFU_ERR_INVAL;
    }
    *out = x;
    return DFU_OK;
}

/* "7.5" (milliseconds) -> 7500 us; at most 3 decimals. */
static int parse_ms_to_us(const char *v, uint32_t *out)
{
    unsigned long whole = 0, frac = 0, scale = 100;
    const char *p = v;
    if (*p < '0' || *p > '9') {
        return DFU_ERR_INVAL;
    }
    while (*p >= '0' && *p <= '9') {
        whole = whole * 10 + (unsigned long)(*p++ - '0');
        if (whole > 4000) {
            return DFU_ERR_INVAL;
        }
    }
    if (*p == '.') {
        p++;
        if (*p < '0' || *p > '9') {
            return DFU_ERR_INVAL;
        }
        while (*p >= '0' && *p <= '9') {
            if (scale == 0) {
                return DFU_ERR_INVAL;
            }
            frac += (unsigned long)(*p++ - '0') * scale;
            scale /= 10;
        }
    }
    if (*p != '\0') {
        return DFU_ERR_INVAL;
    }
    *out = (uint32_t)(whole * 1000 + frac);
    return DFU_OK;
}

static int parse_ble_kv(dfu_linkmodel_t *m, const char *k, const char *v)
{
    unsigned long x = 0;
    int rc = DFU_ERR_INVAL;
    if (strcmp(k, "phy") == 0) {
        if (strcmp(v, "1m") == 0 || strcmp(v, "1M") == 0) {
            m->ble.phy_mbps = 1;
            rc = DFU_OK;
        } else if (strcmp(v, "2m") == 0 || strcmp(v, "2M") == 0) {
            m->ble.phy_mbps = 2;
            rc = DFU_OK;
        }
    } else if (strcmp(k, "dle") == 0 && (rc = parse_uint(v, 27, 251, &x)) == DFU_OK) {
        m->ble.dle = (uint16_t)x;
    } else if (strcmp(k, "ci") == 0) {
        rc = parse_ms_to_us(v, &m->ble.ci_us);
    } else if (strcmp(k, "mtu") == 0 && (rc = parse_uint(v, 23, 517, &x)) == DFU_OK) {
        m->ble.mtu = (uint16_t)x;
    } else if (strcmp(k, "ppe") == 0 && (rc = parse_uint(v, 0, 1000, &x)) == DFU_OK) {
        m->ble.ppe = (uint16_t)x;
    } else if (strcmp(k, "enc") == 0 && (rc = parse_uint(v, 0, 1, &x)) == DFU_OK) {
        m->ble.encrypted = (uint8_t)x;
    }
    return rc;
}

static int parse_serial_kv(dfu_linkmodel_t *m, const char *k, const char *v)
{
    unsigned long x = 0;
    int rc = DFU_ERR_INVAL;
    if (strcmp(k, "baud") == 0 && (rc = parse_uint(v, 300, 100000000ul, &x)) == DFU_OK) {
        m->serial.baud = (uint32_t)x;
    } else if (strcmp(k, "raw") == 0 && (rc = parse_uint(v, 0, 1, &x)) == DFU_OK) {
        m->serial.raw = (uint8_t)x;
    }
    return rc;
}

static int parse_net_kv(dfu_linkmodel_t *m, const char *k, const char *v)
{
    unsigned long x = 0;
    int rc = DFU_ERR_INVAL;
    if (strcmp(k, "kbps") == 0 && (rc = parse_uint(v, 10, 10000000ul, &x)) == DFU_OK) {
        m->net.kbps = (uint32_t)x;
    } else if (strcmp(k, "lat") == 0) {
        rc = parse_ms_to_us(v, &m->net.lat_us);
    }
    return rc;
}

int dfu_linkmodel_parse(dfu_linkmodel_t *m, const char *spec)
{
    char buf[256];
    if (m == NULL) {
        return DFU_ERR_INVAL;
    }
    memset(m, 0, sizeof(*m));
    if (spec == NULL || spec[0] == '\0' || strcmp(spec, "off") == 0 || strcmp(spec, "none") == 0) {
        return DFU_OK;
    }
    if (strlen(spec) >= sizeof(buf)) {
        return DFU_ERR_INVAL;
    }
    strcpy(buf, spec);
    char *save = NULL;
    char *tok = strtok_r(buf, ",", &save);
    dfu_linkmodel_t t;
    memset(&t, 0, sizeof(t));
    if (tok != NULL && strcmp(tok, "ble") == 0) {
        t.kind = DFU_LINKMODEL_BLE;
        t.ble.phy_mbps = DFU_LINKMODEL_BLE_DEFAULT_PHY;
        t.ble.dle = DFU_LINKMODEL_BLE_DEFAULT_DLE;
        t.ble.ci_us = DFU_LINKMODEL_BLE_DEFAULT_CI_US;
    } else if (tok != NULL && strcmp(tok, "serial") == 0) {
        t.kind = DFU_LINKMODEL_SERIAL;
        t.serial.baud = DFU_LINKMODEL_SERIAL_DEFAULT_BAUD;
    } else if (tok != NULL && strcmp(tok, "net") == 0) {
        t.kind = DFU_LINKMODEL_NET;
        t.net.kbps = DFU_LINKMODEL_NET_DEFAULT_KBPS;
        t.net.lat_us = DFU_LINKMODEL_NET_DEFAULT_LAT_US;
    } else {
        return DFU_ERR_INVAL;
    }
    while ((tok = strtok_r(NULL, ",", &save)) != NULL) {
        char *eq = strchr(tok, '=');
        if (eq == NULL) {
            return DFU_ERR_INVAL;
        }
        *eq = '\0';
        int rc = t.kind == DFU_LINKMODEL_BLE      ? parse_ble_kv(&t, tok, eq + 1)
                 : t.kind == DFU_LINKMODEL_SERIAL ? parse_serial_kv(&t, tok, eq + 1)
                                                  : parse_net_kv(&t, tok, eq + 1);
        if (rc != DFU_OK) {
            return rc;
        }
    }
    if (dfu_linkmodel_validate(&t) != DFU_OK) {
        return DFU_ERR_INVAL;
    }
    *m = t;
    return DFU_OK;
}

int dfu_linkmodel_validate(const dfu_linkmodel_t *m)
{
    if (m == NULL) {
        return DFU_ERR_INVAL;
    }
    switch (m->kind) {
    case DFU_LINKMODEL_OFF:
        return DFU_OK;
    case DFU_LINKMODEL_BLE:
        if ((m->ble.phy_mbps != 1 && m->ble.phy_mbps != 2) || m->ble.dle < 27 || m->ble.dle > 251 ||
            m->ble.ci_us < 7500 || m->ble.ci_us > 4000000 || m->ble.ci_us % 1250 != 0 ||
            (m->ble.mtu != 0 && (m->ble.mtu < 23 || m->ble.mtu > 517))) {
            return DFU_ERR_INVAL;
        }
        return DFU_OK;
    case DFU_LINKMODEL_SERIAL:
        return m->serial.baud >= 300 ? DFU_OK : DFU_ERR_INVAL;
    case DFU_LINKMODEL_NET:
        return m->net.kbps >= 10 && m->net.kbps <= 10000000u && m->net.lat_us <= 10000000u
                   ? DFU_OK
                   : DFU_ERR_INVAL;
    default:
        return DFU_ERR_INVAL;
    }
}

int dfu_linkmodel_format(const dfu_linkmodel_t *m, char *buf, size_t cap)
{
    int n;
    if (m == NULL || buf == NULL) {
        return DFU_ERR_INVAL;
    }
    switch (m->kind) {
    case DFU_LINKMODEL_BLE: {
        char ci[24];
        unsigned frac = (unsigned)(m->ble.ci_us % 1000);
        if (frac == 0) {
            snprintf(ci, sizeof(ci), "%u", (unsigned)(m->ble.ci_us / 1000));
        } else if (frac % 10 == 0) {
            snprintf(ci, sizeof(ci), "%u.%02u", (unsigned)(m->ble.ci_us / 1000), frac / 10);
        } else {
            snprintf(ci, sizeof(ci), "%u.%03u", (unsigned)(m->ble.ci_us / 1000), frac);
        }
        if (ci[strlen(ci) - 1] == '0' && strchr(ci, '.') != NULL) {
            ci[strlen(ci) - 1] = '\0';
        }
        n = snprintf(buf, cap, "ble,phy=%um,dle=%u,ci=%s,mtu=%u,ppe=%u,enc=%u",
                     (unsigned)m->ble.phy_mbps, (unsigned)m->ble.dle, ci, (unsigned)m->ble.mtu,
                     (unsigned)m->ble.ppe, (unsigned)m->ble.encrypted);
        break;
    }
    case DFU_LINKMODEL_SERIAL:
        n = snprintf(buf, cap, "serial,baud=%u,raw=%u", (unsigned)m->serial.baud,
                     (unsigned)m->serial.raw);
        break;
    case DFU_LINKMODEL_NET:
        n = snprintf(buf, cap, "net,kbps=%u,lat=%u.%03u", (unsigned)m->net.kbps,
                     (unsigned)(m->net.lat_us / 1000u), (unsigned)(m->net.lat_us % 1000u));
        break;
    default:
        n = snprintf(buf, cap, "off");
        break;
    }
    if (n < 0 || (size_t)n >= cap) {
        return DFU_ERR_NOMEM;
    }
    return n;
}

/* ---- BLE arithmetic ------------------------------------------------------------------------ */

static uint16_t eff_mtu(const dfu_linkmodel_t *m, uint16_t mtu)
{
    if (mtu == 0) {
        mtu = m->ble.mtu ? m->ble.mtu : DFU_LINKMODEL_BLE_DEFAULT_MTU;
    }
    return mtu < 23 ? 23 : (mtu > 517 ? 517 : mtu);
}

uint32_t dfu_linkmodel_ble_pdu_air_us(const dfu_linkmodel_t *m, uint32_t payload)
{
    uint32_t preamble = m->ble.phy_mbps == 2 ? 2u : 1u;
    uint32_t us_per_byte = m->ble.phy_mbps == 2 ? 4u : 8u;
    uint32_t mic = (m->ble.encrypted && payload > 0) ? BLE_MIC : 0u;
    return (preamble + BLE_PDU_FIXED + payload + mic) * us_per_byte;
}

static uint32_t pdu_slot_us(const dfu_linkmodel_t *m, uint32_t payload)
{
    return dfu_linkmodel_ble_pdu_air_us(m, payload) + BLE_T_IFS_US +
           dfu_linkmodel_ble_pdu_air_us(m, 0) + BLE_T_IFS_US;
}

uint32_t dfu_linkmodel_ble_pdu_slot_us(const dfu_linkmodel_t *m)
{
    return pdu_slot_us(m, m->ble.dle);
}

static uint32_t pdus_for_value(const dfu_linkmodel_t *m, size_t value_len)
{
    size_t sdu = value_len + BLE_ATT_WRITE_HDR + BLE_L2CAP_HDR;
    return (uint32_t)((sdu + m->ble.dle - 1) / m->ble.dle);
}

uint32_t dfu_linkmodel_ble_pdus(const dfu_linkmodel_t *m, size_t n, uint16_t mtu)
{
    size_t val = (size_t)eff_mtu(m, mtu) - BLE_ATT_WRITE_HDR;
    size_t full = n / val, rem = n % val;
    uint32_t p = (uint32_t)full * pdus_for_value(m, val);
    return rem ? p + pdus_for_value(m, rem) : p;
}

uint32_t dfu_linkmodel_ble_pdus_per_event(const dfu_linkmodel_t *m)
{
    uint32_t fit = m->ble.ci_us / dfu_linkmodel_ble_pdu_slot_us(m);
    if (fit == 0) {
        fit = 1;
    }
    if (m->ble.ppe != 0 && m->ble.ppe < fit) {
        fit = m->ble.ppe;
    }
    return fit;
}

/* Walks the LL PDUs of an n-byte message: each (mtu - 3)-byte ATT value is an L2CAP SDU of
 * value + 7 bytes cut into PDUs of at most dle bytes. */
typedef struct pdu_walk {
    size_t left; /* message bytes not yet cut into values */
    size_t val;  /* ATT value size (mtu - 3) */
    size_t sdu;  /* bytes of the current SDU not yet in a PDU */
} pdu_walk_t;

static bool pdu_next(const dfu_linkmodel_t *m, pdu_walk_t *w, uint32_t *payload)
{
    if (w->sdu == 0) {
        if (w->left == 0) {
            return false;
        }
        size_t v = w->left < w->val ? w->left : w->val;
        w->left -= v;
        w->sdu = v + BLE_ATT_WRITE_HDR + BLE_L2CAP_HDR;
    }
    *payload = (uint32_t)(w->sdu > m->ble.dle ? m->ble.dle : w->sdu);
    w->sdu -= *payload;
    return true;
}

/* Puts one PDU of `slot` us into the event at *ev (t = where the event has got to): it goes
 * there if it ends, trailing T_IFS included, by the next anchor and the event is below ppe;
 * otherwise it opens the following event. */
static void pdu_place(const dfu_linkmodel_t *m, uint64_t *ev, uint64_t *t, uint32_t *cnt,
                      uint32_t slot)
{
    uint64_t ci = m->ble.ci_us;
    if (*t + slot > *ev + ci || (m->ble.ppe != 0 && *cnt >= m->ble.ppe)) {
        *ev += ci;
        *t = *ev;
        *cnt = 0;
    }
    *t += slot;
    (*cnt)++;
}

static uint64_t ble_schedule(const dfu_linkmodel_t *m, dfu_linkmodel_clock_t *c, size_t n,
                             uint16_t mtu, uint64_t ready, bool queued, uint64_t *start)
{
    uint64_t ci = m->ble.ci_us;
    uint64_t t = ready > c->busy_us ? ready : c->busy_us;
    if (!queued || ready > c->busy_us || c->event_pdus == 0) {
        c->event_us = (t + ci - 1) / ci * ci; /* idle link: the next anchor */
        c->event_pdus = 0;
        t = c->event_us;
    }
    pdu_walk_t w = {n, (size_t)eff_mtu(m, mtu) - BLE_ATT_WRITE_HDR, 0};
    uint32_t p = 0;
    bool first = true;
    while (pdu_next(m, &w, &p)) {
        pdu_place(m, &c->event_us, &t, &c->event_pdus, pdu_slot_us(m, p));
        if (first && start != NULL) {
            *start = t - pdu_slot_us(m, p);
        }
        first = false;
    }
    if (first && start != NULL) {
        *start = t;
    }
    c->busy_us = t;
    return t;
}

static uint64_t ble_oneway_us(const dfu_linkmodel_t *m, size_t n, uint16_t mtu)
{
    dfu_linkmodel_clock_t c;
    memset(&c, 0, sizeof(c));
    return ble_schedule(m, &c, n, mtu, 0, false, NULL);
}

/* ---- serial arithmetic --------------------------------------------------------------------- */

uint64_t dfu_linkmodel_serial_wire_bytes(const dfu_linkmodel_t *m, size_t n)
{
    if (m->serial.raw) {
        return n;
    }
    return dfu_serial_encoded_size(n);
}

static uint64_t serial_oneway_us(const dfu_linkmodel_t *m, size_t n)
{
    uint64_t bits = dfu_linkmodel_serial_wire_bytes(m, n) * 10u;
    return (bits * 1000000u + m->serial.baud - 1) / m->serial.baud;
}

uint64_t dfu_linkmodel_net_ser_us(const dfu_linkmodel_t *m, size_t n)
{
    if (m == NULL || m->kind != DFU_LINKMODEL_NET || m->net.kbps == 0) {
        return 0;
    }
    uint64_t bits = ((uint64_t)n + DFU_LINKMODEL_NET_HDR) * 8u;
    return (bits * 1000u + m->net.kbps - 1u) / m->net.kbps;
}

/* ---- public timing ------------------------------------------------------------------------- */

uint64_t dfu_linkmodel_oneway_us(const dfu_linkmodel_t *m, size_t n, uint16_t mtu)
{
    if (m == NULL || dfu_linkmodel_validate(m) != DFU_OK) {
        return 0;
    }
    switch (m->kind) {
    case DFU_LINKMODEL_BLE:
        return ble_oneway_us(m, n, mtu);
    case DFU_LINKMODEL_SERIAL:
        return serial_oneway_us(m, n);
    case DFU_LINKMODEL_NET:
        return m->net.lat_us + dfu_linkmodel_net_ser_us(m, n);
    default:
        return 0;
    }
}

uint64_t dfu_linkmodel_schedule(const dfu_linkmodel_t *m, dfu_linkmodel_clock_t *c, size_t n,
                                uint16_t mtu, uint64_t ready_us, bool queued, bool tx,
                                uint64_t *start_us)
{
    if (m == NULL || c == NULL || dfu_linkmodel_validate(m) != DFU_OK ||
        m->kind == DFU_LINKMODEL_OFF) {
        if (start_us != NULL) {
            *start_us = ready_us;
        }
        return ready_us;
    }
    if (m->kind == DFU_LINKMODEL_BLE) {
        return ble_schedule(m, c, n, mtu, ready_us, queued, start_us);
    }
    /* Serial is half duplex on one clock; NET has one clock per direction and pays the latency
     * unless the message was queued behind the previous one. */
    uint64_t *clk = m->kind == DFU_LINKMODEL_NET && tx ? &c->busy_tx_us : &c->busy_us;
    uint64_t start = ready_us > *clk ? ready_us : *clk;
    if (start_us != NULL) {
        *start_us = start;
    }
    if (m->kind == DFU_LINKMODEL_SERIAL) {
        *clk = start + serial_oneway_us(m, n);
        return *clk;
    }
    *clk = start + dfu_linkmodel_net_ser_us(m, n);
    return *clk + (queued ? 0u : m->net.lat_us);
}

uint64_t dfu_linkmodel_exchange_us(const dfu_linkmodel_t *m, size_t req_n, size_t rsp_n,
                                   uint16_t mtu)
{
    if (m == NULL || dfu_linkmodel_validate(m) != DFU_OK) {
        return 0;
    }
    if (m->kind == DFU_LINKMODEL_BLE) {
        /* From an anchor; the response was not queued, so it starts at the first anchor after
         * the request's last event. */
        dfu_linkmodel_clock_t c;
        memset(&c, 0, sizeof(c));
        uint64_t req_done = ble_schedule(m, &c, req_n, mtu, 0, false, NULL);
        return ble_schedule(m, &c, rsp_n, mtu, req_done, false, NULL);
    }
    return dfu_linkmodel_oneway_us(m, req_n, mtu) + dfu_linkmodel_oneway_us(m, rsp_n, mtu);
}

/* BLE ceiling: a saturated stream of full (mtu - 3)-byte values. Every event starts at an anchor
 * with the stream at some PDU of the per-value pattern; the packing of one event depends only on
 * that position, so the positions cycle. Goodput = values completed in the cycle per its
 * duration. */
static double ble_ceiling_kBps(const dfu_linkmodel_t *m)
{
    enum { MAX_PAT = 32 }; /* PDUs per value: at most ceil((517 - 3 + 7) / 27) = 20 */
    size_t val = (size_t)eff_mtu(m, 0) - BLE_ATT_WRITE_HDR;
    uint32_t pat[MAX_PAT];
    uint32_t k = 0, p = 0;
    pdu_walk_t w = {val, val, 0};
    while (k < MAX_PAT && pdu_next(m, &w, &p)) {
        pat[k++] = pdu_slot_us(m, p);
    }
    int32_t seen[MAX_PAT];
    uint32_t done_at[MAX_PAT];
    for (uint32_t i = 0; i < MAX_PAT; i++) {
        seen[i] = -1;
    }
    uint32_t pos = 0, values = 0;
    for (int32_t ev = 0;; ev++) {
        if (seen[pos] >= 0) {
            uint32_t events = (uint32_t)(ev - seen[pos]);
            double per_s = (double)(values - done_at[pos]) * 1e6 / ((double)events * m->ble.ci_us);
            return per_s * (double)val / 1000.0;
        }
        seen[pos] = ev;
        done_at[pos] = values;
        uint64_t evt = 0, t = 0;
        uint32_t cnt = 0;
        for (;;) {
            pdu_place(m, &evt, &t, &cnt, pat[pos]);
            if (evt != 0) {
                break; /* that PDU opened the next event: it is not in this one */
            }
            pos = (pos + 1) % k;
            values += pos == 0 ? 1u : 0u;
        }
    }
}

double dfu_linkmodel_ceiling_kBps(const dfu_linkmodel_t *m)
{
    if (m == NULL || dfu_linkmodel_validate(m) != DFU_OK) {
        return 0.0;
    }
    if (m->kind == DFU_LINKMODEL_SERIAL) {
        double raw_Bps = (double)m->serial.baud / 10.0;
        if (m->serial.raw) {
            return raw_Bps / 1000.0;
        }
        /* A full line: 124 base64 chars = 93 bytes, plus 3 framing bytes = 127 on the wire. */
        const unsigned line_payload = DFU_SERIAL_LINE_B64 / 4u * 3u; /* whole base64 groups */
        double eff = (double)line_payload / (double)DFU_SERIAL_LINE_MAX;
        return raw_Bps * eff / 1000.0;
    }
    if (m->kind == DFU_LINKMODEL_NET) {
        double full = DFU_LINKMODEL_NET_MSG_MAX;
        return (double)m->net.kbps / 8.0 * full / (full + DFU_LINKMODEL_NET_HDR);
    }
    if (m->kind != DFU_LINKMODEL_BLE) {
        return 0.0;
    }
    return ble_ceiling_kBps(m);
}
