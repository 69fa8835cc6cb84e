/*
 * Link-security policy: which BLE security level each (group, command, op) needs.
 * The `secure` preset follows the field report (smp-protocol.md §6.1, §7): the commands a phone
 * needs to discover the device and its state stay open, everything that changes the device
 * needs an authenticated (MITM) link.
 */
#include "dfukit/dfu_smp.h"

const dfu_smp_policy_t dfu_smp_policy_open = {
    .name = "open",
    .rules = NULL,
    .count = 0,
    .default_read = DFU_SMP_SEC_NONE,
    .default_write = DFU_SMP_SEC_NONE,
};

static const dfu_smp_policy_rule_t secure_rules[] = {
    /* OS echo (both ops), MCUmgr params, bootloader info. */
    {DFU_SMP_GROUP_OS, 0, DFU_SMP_POL_READ | DFU_SMP_POL_WRITE, DFU_SMP_SEC_NONE},
    {DFU_SMP_GROUP_OS, 6, DFU_SMP_POL_READ, DFU_SMP_SEC_NONE},
    {DFU_SMP_GROUP_OS, 8, DFU_SMP_POL_READ, DFU_SMP_SEC_NONE},
    /* Image state read. */
    {DFU_SMP_GROUP_IMAGE, 0, DFU_SMP_POL_READ, DFU_SMP_SEC_NONE},
};

const dfu_smp_policy_t dfu_smp_policy_secure = {
    .name = "secure",
    .rules = secure_rules,
    .count = sizeof(secure_rules) / sizeof(secure_rules[0]),
    .default_read = DFU_SMP_SEC_ENCRYPT,
    .default_write = DFU_SMP_SEC_AUTHEN,
};

uint8_t dfu_smp_policy_required(const dfu_smp_policy_t *pol, uint16_t group, uint8_t cmd,
                                uint8_t op)
{
    if (pol == NULL) {
        return DFU_SMP_SEC_NONE;
    }
    uint8_t bit = op == DFU_SMP_OP_READ ? DFU_SMP_POL_READ : DFU_SMP_POL_WRITE;
    for (size_t i = 0; i < pol->count; i++) {
        const dfu_smp_policy_rule_t *r = &pol->rules[i];
        if (r->group == group && (r->cmd == DFU_SMP_POL_ANY_CMD || r->cmd == cmd) &&
            (r->ops & bit) != 0) {
            return r->min_level ? r->min_level : DFU_SMP_SEC_NONE;
        }
    }
    uint8_t d = bit == DFU_SMP_POL_READ ? pol->default_read : pol->default_write;
    return d ? d : DFU_SMP_SEC_NONE;
}

uint8_t dfu_smp_policy_att_error(uint8_t level, uint8_t required)
{
    if (level == 0) {
        level = DFU_SMP_SEC_NONE;
    }
    return level >= required ? 0u : 0x05u;
}

uint8_t dfu_smp_att_error_for_rc(int rc)
{
    return rc == DFU_SMP_RC_EACCESSDENIED ? 0x05u : 0u;
}
