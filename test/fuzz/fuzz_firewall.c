/* libFuzzer target: the firewall-rule compiler on arbitrary rules.
 * Input: "FROM,TO,PROTOCOL,CIDR,CIDR,..." (text). Invariants checked on every
 * accepted rule: no security rule exceeds the API limits, the plan stays within
 * BREV_FIREWALL_MAX_SECURITY_RULES, and compiling twice gives the same id. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "policy/compile.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = malloc(size + 1);
    const char *cidrs[64];
    size_t n = 0;
    brev_firewall_rule rule = {0};
    bn_fw_plan a, b;
    char *save = NULL, *tok;

    if (!text)
        return 0;
    memcpy(text, data, size);
    text[size] = '\0';
    tok = strtok_r(text, ",", &save);
    rule.from_port = tok ? atoi(tok) : 0;
    tok = strtok_r(NULL, ",", &save);
    rule.to_port = tok ? atoi(tok) : 0;
    tok = strtok_r(NULL, ",", &save);
    rule.protocol = tok ? (brev_protocol)(atoi(tok) % 6) : BREV_PROTOCOL_TCP_UDP;
    while (n < 64 && (tok = strtok_r(NULL, ",", &save)) != NULL)
        cidrs[n++] = tok;
    rule.cidrs = cidrs;
    rule.cidr_count = n;

    if (bn_fw_compile(&rule, &a) == 0) {
        if (a.count == 0 || a.count > BREV_FIREWALL_MAX_SECURITY_RULES)
            abort();
        for (size_t i = 0; i < a.count; i++)
            if (a.rules[i].port_count > BN_FW_MAX_PORTS_PER_RULE || a.rules[i].cidr_count > BN_FW_MAX_CIDRS_PER_RULE ||
                a.rules[i].cidr_count == 0)
                abort();
        if (bn_fw_compile(&rule, &b) != 0 || strcmp(a.rule.id, b.rule.id) != 0 || a.count != b.count)
            abort();
        bn_fw_plan_free(&b);
        bn_fw_plan_free(&a);
    }
    free(text);
    return 0;
}
