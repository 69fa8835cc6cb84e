/*
 * BlueZ link: our org.bluez.Agent1 (capability KeyboardOnly). It answers RequestPasskey for the
 * device being opened with the passkey from the connection string; without one it refuses with
 * org.bluez.Error.Rejected and remembers that the device asked (the open then says that a
 * passkey is needed instead of hanging on a prompt). Requests for other devices are refused.
 */
#include <string.h>

#include "bluez_priv.h"
#include "dfukit/dfu_err.h"

#define E_REJECTED "org.bluez.Error.Rejected"

static bool for_us(const bz_t *b, const char *device)
{
    return b->dev_path[0] != '\0' && device != NULL && strcmp(device, b->dev_path) == 0;
}

static int a_request_passkey(sd_bus_message *m, void *u, sd_bus_error *e)
{
    bz_t *b = u;
    const char *dev = NULL;
    if (sd_bus_message_read(m, "o", &dev) < 0 || !for_us(b, dev)) {
        return sd_bus_error_set(e, E_REJECTED, "dfukit: not the device it is connecting to");
    }
    b->agent_asked = true;
    if (!b->cfg.has_passkey) {
        bz_log(b, "agent: RequestPasskey(%s): no passkey given, rejected", dev);
        return sd_bus_error_set(e, E_REJECTED, "dfukit: no passkey given (,passkey=NNNNNN)");
    }
    b->agent_answered = true;
    bz_log(b, "agent: RequestPasskey(%s): answered", dev);
    return sd_bus_reply_method_return(m, "u", b->cfg.passkey);
}

static int a_reject(sd_bus_message *m, void *u, sd_bus_error *e)
{
    bz_t *b = u;
    bz_log(b, "agent: %s refused (dfukit only enters passkeys)", sd_bus_message_get_member(m));
    return sd_bus_error_set(e, E_REJECTED, "dfukit: passkey entry only");
}

static int a_ok(sd_bus_message *m, void *u, sd_bus_error *e)
{
    return sd_bus_reply_method_return(m, "");
}

static const sd_bus_vtable agent_vtable[] = {
    SD_BUS_VTABLE_START(0),
    SD_BUS_METHOD("Release", "", "", a_ok, SD_BUS_VTABLE_UNPRIVILEGED),
    SD_BUS_METHOD("RequestPinCode", "o", "s", a_reject, SD_BUS_VTABLE_UNPRIVILEGED),
    SD_BUS_METHOD("DisplayPinCode", "os", "", a_reject, SD_BUS_VTABLE_UNPRIVILEGED),
    SD_BUS_METHOD("RequestPasskey", "o", "u", a_request_passkey, SD_BUS_VTABLE_UNPRIVILEGED),
    SD_BUS_METHOD("DisplayPasskey", "ouq", "", a_ok, SD_BUS_VTABLE_UNPRIVILEGED),
    SD_BUS_METHOD("RequestConfirmation", "ou", "", a_reject, SD_BUS_VTABLE_UNPRIVILEGED),
    SD_BUS_METHOD("RequestAuthorization", "o", "", a_reject, SD_BUS_VTABLE_UNPRIVILEGED),
    SD_BUS_METHOD("AuthorizeService", "os", "", a_reject, SD_BUS_VTABLE_UNPRIVILEGED),
    SD_BUS_METHOD("Cancel", "", "", a_ok, SD_BUS_VTABLE_UNPRIVILEGED),
    SD_BUS_VTABLE_END,
};

static int agent_call(bz_t *b, const char *member, const char *cap, sd_bus_error *err)
{
    sd_bus_message *m = NULL;
    int r = bz_new_call(b, &m, "/org/bluez", "org.bluez.AgentManager1", member);
    r = r >= 0 ? sd_bus_message_append(m, "o", BZ_AGENT_PATH) : r;
    if (r >= 0 && cap != NULL) {
        r = sd_bus_message_append(m, "s", cap);
    }
    r = r >= 0 ? bz_call(b, m, b->cfg.timeout_ms, NULL, err) : r;
    sd_bus_message_unref(m);
    return r;
}

int bz_agent_register(bz_t *b)
{
    if (b->agent_registered) {
        return DFU_OK;
    }
    sd_bus_error err = SD_BUS_ERROR_NULL;
    int r = sd_bus_add_object_vtable(b->bus, &b->agent_vt, BZ_AGENT_PATH, "org.bluez.Agent1",
                                     agent_vtable, b);
    if (r < 0) {
        return bz_fail(b, DFU_ERR_IO, "cannot export the pairing agent: %s", strerror(-r));
    }
    r = agent_call(b, "RegisterAgent", "KeyboardOnly", &err);
    if (r < 0 && !sd_bus_error_has_name(&err, "org.bluez.Error.AlreadyExists")) {
        int rc = bz_call_error(b, r, &err, "AgentManager1.RegisterAgent");
        sd_bus_error_free(&err);
        return rc;
    }
    sd_bus_error_free(&err);
    b->agent_registered = true;
    /* Pairing that the stack starts by itself (a device answering "insufficient
     * authentication") goes to the default agent: be it while we run, so such a request is
     * answered here instead of waiting on a desktop prompt. */
    r = agent_call(b, "RequestDefaultAgent", NULL, &err);
    if (r < 0) {
        bz_log(b, "RequestDefaultAgent: %s (pairing prompts the stack starts may go elsewhere)",
               err.name ? err.name : strerror(-r));
    }
    sd_bus_error_free(&err);
    bz_log(b, "agent registered at %s (KeyboardOnly)", BZ_AGENT_PATH);
    return DFU_OK;
}

void bz_agent_unregister(bz_t *b)
{
    if (b->agent_registered) {
        sd_bus_error err = SD_BUS_ERROR_NULL;
        (void)agent_call(b, "UnregisterAgent", NULL, &err);
        sd_bus_error_free(&err);
        b->agent_registered = false;
    }
    b->agent_vt = sd_bus_slot_unref(b->agent_vt);
}
