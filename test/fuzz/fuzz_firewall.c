/* libFuzzer target: the firewall-rule compiler on arbitrary rules.
 * Input: "FROM,TO,PROTOCOL,CIDR,CIDR,..." (text). Checked on every input:
 *  - each CIDR is accepted exactly when an independent parser (inet_pton plus
 *    a strict prefix) accepts it with no host bits, and its canonical text
 *    parses back to itself;
 * and on every accepted rule:
 *  - no security rule exceeds the API limits and the plan stays within
 *    BREV_FIREWALL_MAX_SECURITY_RULES;
 *  - the plan opens exactly the rule: every (protocol, port, CIDR) of the
 *    normal form once, nothing else (ICMP and "every port" list no ports);
 *  - the normal form is canonical (sorted, unique) and a fixed point: compiling
 *    it again gives the same id, and compiling the input twice too. */
#include <arpa/inet.h>
#include <ctype.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <brev/errors.h>
#include "policy/compile.h"

#define MAX_INPUT_CIDRS 64

/* 1 when text is a.b.c.d or a.b.c.d/n (n 0..32, no leading zero) without host bits. */
static int reference_cidr_ok(const char *text)
{
    char addr[32];
    const char *slash = strchr(text, '/');
    size_t len = slash ? (size_t)(slash - text) : strlen(text);
    struct in_addr in;
    unsigned prefix = 32;
    uint32_t a;

    if (len >= sizeof addr)
        return 0;
    memcpy(addr, text, len);
    addr[len] = '\0';
    if (inet_pton(AF_INET, addr, &in) != 1)
        return 0;
    if (slash) {
        const char *p = slash + 1;
        size_t n = strlen(p);
        if (n == 0 || n > 2 || (n > 1 && p[0] == '0'))
            return 0;
        prefix = 0;
        for (size_t i = 0; i < n; i++) {
            if (!isdigit((unsigned char)p[i]))
                return 0;
            prefix = prefix * 10 + (unsigned)(p[i] - '0');
        }
        if (prefix > 32)
            return 0;
    }
    a = ntohl(in.s_addr);
    return prefix == 32 || (a & (prefix == 0 ? 0xffffffffu : 0xffffffffu >> prefix)) == 0;
}

static void check_cidr(const char *text)
{
    char canon[BN_FW_CIDR_CAP], again[BN_FW_CIDR_CAP];
    int ok = bn_fw_parse_cidr(text, canon) == BREV_OK;

    if (ok != reference_cidr_ok(text))
        abort();
    if (ok && (bn_fw_parse_cidr(canon, again) != BREV_OK || strcmp(canon, again) != 0))
        abort();
}

static size_t cidr_index(const bn_fw_normal *n, const char *cidr)
{
    for (size_t i = 0; i < n->cidr_count; i++)
        if (strcmp(n->cidrs[i], cidr) == 0)
            return i;
    abort();
}

static void check_plan(const bn_fw_plan *plan)
{
    const bn_fw_normal *n = &plan->rule;
    int every_port = n->from_port == 0;
    size_t ports = every_port ? 1 : (size_t)(n->to_port - n->from_port + 1);
    int protos[2];
    size_t nproto = 1, cells, seen = 0;
    unsigned char *covered;

    if (plan->count == 0 || plan->count > BREV_FIREWALL_MAX_SECURITY_RULES || n->cidr_count == 0)
        abort();
    if (every_port ? n->to_port != 0 : (n->from_port < 1 || n->to_port > 65535 || n->to_port < n->from_port))
        abort();
    if (n->protocol == BREV_PROTOCOL_ICMP && !every_port)
        abort();
    for (size_t i = 1; i < n->cidr_count; i++)
        if (strcmp(n->cidrs[i - 1], n->cidrs[i]) == 0)
            abort();
    switch (n->protocol) {
    case BREV_PROTOCOL_TCP: protos[0] = BN_FW_PROTO_TCP; break;
    case BREV_PROTOCOL_UDP: protos[0] = BN_FW_PROTO_UDP; break;
    case BREV_PROTOCOL_ICMP: protos[0] = BN_FW_PROTO_ICMP; break;
    case BREV_PROTOCOL_ANY: protos[0] = BN_FW_PROTO_ANY; break;
    case BREV_PROTOCOL_TCP_UDP:
        protos[0] = BN_FW_PROTO_TCP;
        protos[1] = BN_FW_PROTO_UDP;
        nproto = 2;
        break;
    default: abort();
    }
    cells = nproto * ports * n->cidr_count;
    covered = calloc(cells, 1);
    if (!covered)
        abort();
    for (size_t r = 0; r < plan->count; r++) {
        const bn_fw_security_rule *sr = &plan->rules[r];
        size_t p;

        if (sr->port_count > BN_FW_MAX_PORTS_PER_RULE || sr->cidr_count > BN_FW_MAX_CIDRS_PER_RULE ||
            sr->cidr_count == 0 || (sr->port_count == 0) != every_port)
            abort();
        if (strncmp(sr->name, n->id, strlen(n->id)) != 0)
            abort();
        for (size_t o = 0; o < r; o++)
            if (strcmp(plan->rules[o].name, sr->name) == 0)
                abort();
        for (p = 0; p < nproto && protos[p] != sr->protocol; p++)
            ;
        if (p == nproto)
            abort();
        for (size_t c = 0; c < sr->cidr_count; c++) {
            size_t ci = cidr_index(n, sr->cidrs[c]);
            for (size_t k = 0; k < (every_port ? 1 : sr->port_count); k++) {
                size_t port = every_port ? 0 : (size_t)(sr->ports[k] - n->from_port);
                if (!every_port && (sr->ports[k] < n->from_port || sr->ports[k] > n->to_port))
                    abort();
                unsigned char *cell = &covered[(p * ports + port) * n->cidr_count + ci];
                if (*cell)
                    abort();
                *cell = 1;
                seen++;
            }
        }
    }
    if (seen != cells)
        abort();
    free(covered);
}

/* Compiling the normal form must give the same id: it is a fixed point. */
static void check_fixed_point(const bn_fw_plan *plan)
{
    const char *cidrs[MAX_INPUT_CIDRS];
    brev_firewall_rule again = {0};
    bn_fw_plan b;

    if (plan->rule.cidr_count > MAX_INPUT_CIDRS)
        abort();
    for (size_t i = 0; i < plan->rule.cidr_count; i++)
        cidrs[i] = plan->rule.cidrs[i];
    again.from_port = plan->rule.from_port;
    again.to_port = plan->rule.to_port;
    again.protocol = plan->rule.protocol;
    again.cidrs = cidrs;
    again.cidr_count = plan->rule.cidr_count;
    if (bn_fw_compile(&again, &b) != BREV_OK || strcmp(b.rule.id, plan->rule.id) != 0 || b.count != plan->count)
        abort();
    bn_fw_plan_free(&b);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = malloc(size + 1);
    const char *cidrs[MAX_INPUT_CIDRS];
    size_t n = 0;
    brev_firewall_rule rule = {0};
    bn_fw_plan a, b;
    char *save = NULL, *tok;
    int rc;

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
    while (n < MAX_INPUT_CIDRS && (tok = strtok_r(NULL, ",", &save)) != NULL)
        cidrs[n++] = tok;
    rule.cidrs = cidrs;
    rule.cidr_count = n;
    for (size_t i = 0; i < n; i++)
        check_cidr(cidrs[i]);

    rc = bn_fw_compile(&rule, &a);
    if (rc == BREV_OK) {
        check_plan(&a);
        check_fixed_point(&a);
        if (bn_fw_compile(&rule, &b) != BREV_OK || strcmp(a.rule.id, b.rule.id) != 0 || a.count != b.count)
            abort();
        bn_fw_plan_free(&b);
        bn_fw_plan_free(&a);
    } else if ((rc != BREV_EINVAL && rc != BREV_EPOLICY && rc != BREV_ENOMEM) || brev_error_message()[0] == '\0') {
        abort();
    }
    free(text);
    return 0;
}
