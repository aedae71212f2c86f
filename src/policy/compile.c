#include "policy/compile.h"

#include <ctype.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "util/error.h"

/* Protocol names are the CLI's and the labels' spelling. */
static const struct {
    brev_protocol protocol;
    const char *name;
} protocol_names[] = {
    {BREV_PROTOCOL_TCP_UDP, "tcp_udp"},
    {BREV_PROTOCOL_TCP, "tcp"},
    {BREV_PROTOCOL_UDP, "udp"},
    {BREV_PROTOCOL_ICMP, "icmp"},
    {BREV_PROTOCOL_ANY, "any"},
};

const char *brev_protocol_name(brev_protocol protocol)
{
    for (size_t i = 0; i < sizeof protocol_names / sizeof protocol_names[0]; i++)
        if (protocol_names[i].protocol == protocol)
            return protocol_names[i].name;
    return "unknown";
}

int brev_protocol_parse(const char *name, brev_protocol *out)
{
    if (!name || !out)
        return bn_err_set(BREV_EINVAL, "protocol: name and out must not be NULL");
    for (size_t i = 0; i < sizeof protocol_names / sizeof protocol_names[0]; i++) {
        if (strcasecmp(name, protocol_names[i].name) == 0) {
            *out = protocol_names[i].protocol;
            return BREV_OK;
        }
    }
    /* Spellings people type for "both". */
    if (strcasecmp(name, "tcp+udp") == 0 || strcasecmp(name, "tcp-udp") == 0 || strcasecmp(name, "tcp/udp") == 0) {
        *out = BREV_PROTOCOL_TCP_UDP;
        return BREV_OK;
    }
    return bn_err_set(BREV_EINVAL, "unknown protocol \"%s\" (expected tcp_udp, tcp, udp, icmp or any)", name);
}

/* --- CIDRs ------------------------------------------------------------------------------ */

/* A decimal number 0..max without sign, spaces or leading zeros (a leading
 * zero reads as octal to some tools: refuse the ambiguity). */
static int parse_decimal(const char *s, size_t len, unsigned max, unsigned *out)
{
    unsigned value = 0;

    if (len == 0 || len > 3)
        return -1;
    if (len > 1 && s[0] == '0')
        return -1;
    for (size_t i = 0; i < len; i++) {
        if (!isdigit((unsigned char)s[i]))
            return -1;
        value = value * 10 + (unsigned)(s[i] - '0');
    }
    if (value > max)
        return -1;
    *out = value;
    return 0;
}

static int parse_ipv4(const char *s, size_t len, uint32_t *out)
{
    uint32_t addr = 0;
    size_t start = 0;
    int octets = 0;

    for (size_t i = 0; i <= len; i++) {
        if (i == len || s[i] == '.') {
            unsigned octet;
            if (octets == 4 || parse_decimal(s + start, i - start, 255, &octet) != 0)
                return -1;
            addr = (addr << 8) | octet;
            octets++;
            start = i + 1;
        }
    }
    if (octets != 4)
        return -1;
    *out = addr;
    return 0;
}

static void format_cidr(uint32_t addr, unsigned prefix, char out[BN_FW_CIDR_CAP])
{
    snprintf(out, BN_FW_CIDR_CAP, "%u.%u.%u.%u/%u", (addr >> 24) & 255u, (addr >> 16) & 255u, (addr >> 8) & 255u,
             addr & 255u, prefix);
}

static int parse_cidr_value(const char *text, uint32_t *addr_out, unsigned *prefix_out)
{
    const char *slash = strchr(text, '/');
    size_t addr_len = slash ? (size_t)(slash - text) : strlen(text);
    uint32_t addr;
    unsigned prefix = 32;

    if (parse_ipv4(text, addr_len, &addr) != 0)
        return bn_err_set(BREV_EINVAL, "CIDR \"%s\": not an IPv4 address (a.b.c.d/n, IPv6 is not supported)", text);
    if (slash && parse_decimal(slash + 1, strlen(slash + 1), 32, &prefix) != 0)
        return bn_err_set(BREV_EINVAL, "CIDR \"%s\": the prefix length must be 0..32", text);
    if (prefix < 32) {
        uint32_t host_mask = prefix == 0 ? 0xffffffffu : (0xffffffffu >> prefix);
        if (addr & host_mask) {
            char network[BN_FW_CIDR_CAP];
            format_cidr(addr & ~host_mask, prefix, network);
            return bn_err_set(BREV_EINVAL, "CIDR \"%s\" has host bits set; the network is %s", text, network);
        }
    }
    *addr_out = addr;
    *prefix_out = prefix;
    return BREV_OK;
}

int bn_fw_parse_cidr(const char *text, char out[BN_FW_CIDR_CAP])
{
    uint32_t addr;
    unsigned prefix;
    int rc;

    if (!text)
        return bn_err_set(BREV_EINVAL, "CIDR must not be NULL");
    rc = parse_cidr_value(text, &addr, &prefix);
    if (rc != BREV_OK)
        return rc;
    format_cidr(addr, prefix, out);
    return BREV_OK;
}

typedef struct parsed_cidr {
    uint32_t addr;
    unsigned prefix;
} parsed_cidr;

static int compare_cidr(const void *a, const void *b)
{
    const parsed_cidr *x = a, *y = b;
    if (x->addr != y->addr)
        return x->addr < y->addr ? -1 : 1;
    if (x->prefix != y->prefix)
        return x->prefix < y->prefix ? -1 : 1;
    return 0;
}

/* --- ports ------------------------------------------------------------------------------ */

void bn_fw_port_text(int from_port, int to_port, char *out, size_t cap)
{
    if (from_port == 0 && to_port == 0)
        snprintf(out, cap, "all");
    else if (from_port == to_port)
        snprintf(out, cap, "%d", from_port);
    else
        snprintf(out, cap, "%d-%d", from_port, to_port);
}

int bn_fw_port_parse(const char *text, int *from_port, int *to_port)
{
    unsigned from, to;
    const char *dash;

    if (!text)
        return bn_err_set(BREV_EINVAL, "ports must not be NULL");
    if (strcmp(text, "all") == 0) {
        *from_port = *to_port = 0;
        return BREV_OK;
    }
    dash = strchr(text, '-');
    if (!dash) {
        if (strlen(text) > 5 || sscanf(text, "%u", &from) != 1)
            return bn_err_set(BREV_EINVAL, "ports \"%s\": expected N, N-M or all", text);
        to = from;
    } else {
        char first[8];
        size_t n = (size_t)(dash - text);
        if (n == 0 || n >= sizeof first || strlen(dash + 1) > 5)
            return bn_err_set(BREV_EINVAL, "ports \"%s\": expected N, N-M or all", text);
        memcpy(first, text, n);
        first[n] = '\0';
        if (sscanf(first, "%u", &from) != 1 || sscanf(dash + 1, "%u", &to) != 1)
            return bn_err_set(BREV_EINVAL, "ports \"%s\": expected N, N-M or all", text);
    }
    if (from < 1 || to > 65535 || from > to)
        return bn_err_set(BREV_EINVAL, "ports \"%s\": out of 1..65535 or reversed", text);
    *from_port = (int)from;
    *to_port = (int)to;
    return BREV_OK;
}

static int is_every_port(int from_port, int to_port)
{
    return (from_port == 0 && to_port == 0) || (from_port == 1 && to_port == 65535);
}

/* --- normalisation and id --------------------------------------------------------------- */

static int compute_id(bn_fw_normal *n)
{
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int digest_len = 0;
    char head[64];
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    int ok;

    if (!ctx)
        return bn_err_set(BREV_ENOMEM, "out of memory");
    /* Versioned so a later change of the canonical form cannot collide with old ids. */
    snprintf(head, sizeof head, "brev-firewall-v1\n%s\n%d-%d\n", brev_protocol_name(n->protocol), n->from_port,
             n->to_port);
    ok = EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) && EVP_DigestUpdate(ctx, head, strlen(head));
    for (size_t i = 0; ok && i < n->cidr_count; i++)
        ok = EVP_DigestUpdate(ctx, n->cidrs[i], strlen(n->cidrs[i])) && EVP_DigestUpdate(ctx, "\n", 1);
    ok = ok && EVP_DigestFinal_ex(ctx, digest, &digest_len);
    EVP_MD_CTX_free(ctx);
    if (!ok || digest_len < 6)
        return bn_err_set(BREV_ERROR, "computing the firewall rule id: SHA-256 failed");
    snprintf(n->id, sizeof n->id, "fw-%02x%02x%02x%02x%02x%02x", digest[0], digest[1], digest[2], digest[3],
             digest[4], digest[5]);
    return BREV_OK;
}

int bn_fw_normalise(const brev_firewall_rule *rule, bn_fw_normal *out)
{
    parsed_cidr *parsed = NULL;
    size_t unique = 0;
    int rc;

    if (!out)
        return bn_err_set(BREV_EINVAL, "firewall rule: out must not be NULL");
    memset(out, 0, sizeof *out);
    if (!rule)
        return bn_err_set(BREV_EINVAL, "firewall rule must not be NULL");
    if (rule->protocol < BREV_PROTOCOL_TCP_UDP || rule->protocol > BREV_PROTOCOL_ANY)
        return bn_err_set(BREV_EINVAL, "firewall rule: unknown protocol %d", (int)rule->protocol);
    if (!(rule->from_port == 0 && rule->to_port == 0)) {
        if (rule->from_port < 1 || rule->from_port > 65535 || rule->to_port < 1 || rule->to_port > 65535)
            return bn_err_set(BREV_EINVAL, "firewall rule: ports %d-%d out of 1..65535 (0-0 means every port)",
                              rule->from_port, rule->to_port);
        if (rule->from_port > rule->to_port)
            return bn_err_set(BREV_EINVAL, "firewall rule: from_port %d is above to_port %d", rule->from_port,
                              rule->to_port);
    }
    if (rule->cidr_count > 0 && !rule->cidrs)
        return bn_err_set(BREV_EINVAL, "firewall rule: cidr_count is %zu but cidrs is NULL", rule->cidr_count);
    /* Ports filter TCP and UDP only: "any protocol on port N" has no exact
     * security-rule form, so ask for what is meant instead of guessing. */
    if (rule->protocol == BREV_PROTOCOL_ANY && !is_every_port(rule->from_port, rule->to_port))
        return bn_err_set(BREV_EINVAL,
                          "firewall rule: protocol any opens every protocol on every port; for ports %d-%d use "
                          "tcp_udp, tcp or udp",
                          rule->from_port, rule->to_port);

    out->protocol = rule->protocol;
    if (rule->protocol == BREV_PROTOCOL_ICMP || is_every_port(rule->from_port, rule->to_port)) {
        out->from_port = out->to_port = 0;
    } else {
        out->from_port = rule->from_port;
        out->to_port = rule->to_port;
    }

    if (rule->cidr_count == 0) {
        out->cidrs = calloc(1, sizeof *out->cidrs);
        if (!out->cidrs)
            return bn_err_set(BREV_ENOMEM, "out of memory");
        snprintf(out->cidrs[0], BN_FW_CIDR_CAP, "0.0.0.0/0");
        out->cidr_count = 1;
        return compute_id(out);
    }

    parsed = calloc(rule->cidr_count, sizeof *parsed);
    if (!parsed)
        return bn_err_set(BREV_ENOMEM, "out of memory");
    for (size_t i = 0; i < rule->cidr_count; i++) {
        if (!rule->cidrs[i]) {
            free(parsed);
            return bn_err_set(BREV_EINVAL, "firewall rule: CIDR %zu is NULL", i);
        }
        rc = parse_cidr_value(rule->cidrs[i], &parsed[i].addr, &parsed[i].prefix);
        if (rc != BREV_OK) {
            free(parsed);
            return bn_err_prefix("firewall rule");
        }
    }
    qsort(parsed, rule->cidr_count, sizeof *parsed, compare_cidr);
    for (size_t i = 0; i < rule->cidr_count; i++)
        if (unique == 0 || compare_cidr(&parsed[unique - 1], &parsed[i]) != 0)
            parsed[unique++] = parsed[i];

    out->cidrs = calloc(unique, sizeof *out->cidrs);
    if (!out->cidrs) {
        free(parsed);
        return bn_err_set(BREV_ENOMEM, "out of memory");
    }
    for (size_t i = 0; i < unique; i++)
        format_cidr(parsed[i].addr, parsed[i].prefix, out->cidrs[i]);
    out->cidr_count = unique;
    free(parsed);
    rc = compute_id(out);
    if (rc != BREV_OK)
        bn_fw_normal_free(out);
    return rc;
}

void bn_fw_normal_free(bn_fw_normal *normal)
{
    if (!normal)
        return;
    free(normal->cidrs);
    normal->cidrs = NULL;
    normal->cidr_count = 0;
}

/* --- compilation ------------------------------------------------------------------------ */

static size_t chunks(size_t n, size_t per)
{
    return n == 0 ? 1 : (n + per - 1) / per;
}

static size_t protocol_count(brev_protocol protocol)
{
    return protocol == BREV_PROTOCOL_TCP_UDP ? 2 : 1;
}

static size_t port_count(const bn_fw_normal *n)
{
    return n->from_port == 0 ? 0 : (size_t)(n->to_port - n->from_port + 1);
}

size_t bn_fw_rule_count(const bn_fw_normal *normal)
{
    return chunks(port_count(normal), BN_FW_MAX_PORTS_PER_RULE) *
           chunks(normal->cidr_count, BN_FW_MAX_CIDRS_PER_RULE) * protocol_count(normal->protocol);
}

/* TCP_UDP is two rules, never ANY: ANY would also open ICMP (and anything
 * else), which the caller did not ask for. */
static void protocols_of(brev_protocol protocol, int out[2])
{
    switch (protocol) {
    case BREV_PROTOCOL_TCP: out[0] = BN_FW_PROTO_TCP; break;
    case BREV_PROTOCOL_UDP: out[0] = BN_FW_PROTO_UDP; break;
    case BREV_PROTOCOL_ICMP: out[0] = BN_FW_PROTO_ICMP; break;
    case BREV_PROTOCOL_ANY: out[0] = BN_FW_PROTO_ANY; break;
    case BREV_PROTOCOL_TCP_UDP:
    default:
        out[0] = BN_FW_PROTO_TCP;
        out[1] = BN_FW_PROTO_UDP;
        break;
    }
}

int bn_fw_compile(const brev_firewall_rule *rule, bn_fw_plan *out)
{
    size_t ports, port_chunks, cidr_chunks, protos, total, k = 0;
    int proto_list[2] = {0, 0};
    int rc;

    if (!out)
        return bn_err_set(BREV_EINVAL, "firewall rule: out must not be NULL");
    memset(out, 0, sizeof *out);
    rc = bn_fw_normalise(rule, &out->rule);
    if (rc != BREV_OK)
        return rc;

    ports = port_count(&out->rule);
    port_chunks = chunks(ports, BN_FW_MAX_PORTS_PER_RULE);
    cidr_chunks = chunks(out->rule.cidr_count, BN_FW_MAX_CIDRS_PER_RULE);
    protos = protocol_count(out->rule.protocol);
    total = port_chunks * cidr_chunks * protos;
    if (total > BREV_FIREWALL_MAX_SECURITY_RULES) {
        char port_text[16];
        bn_fw_port_text(out->rule.from_port, out->rule.to_port, port_text, sizeof port_text);
        bn_fw_plan_free(out);
        return bn_err_set(BREV_EPOLICY,
                          "firewall rule ports %s/%s from %zu CIDR(s) would need %zu security rules (the API lists "
                          "at most %d ports and %d CIDRs per rule, no ranges); the limit is %d: open every port "
                          "(1-65535), or fewer ports or CIDRs",
                          port_text, brev_protocol_name(rule->protocol), rule->cidr_count ? rule->cidr_count : 1,
                          total, BN_FW_MAX_PORTS_PER_RULE, BN_FW_MAX_CIDRS_PER_RULE, BREV_FIREWALL_MAX_SECURITY_RULES);
    }

    out->rules = calloc(total, sizeof *out->rules);
    if (!out->rules) {
        bn_fw_plan_free(out);
        return bn_err_set(BREV_ENOMEM, "out of memory");
    }
    protocols_of(out->rule.protocol, proto_list);
    for (size_t p = 0; p < protos; p++) {
        for (size_t pc = 0; pc < port_chunks; pc++) {
            for (size_t cc = 0; cc < cidr_chunks; cc++) {
                bn_fw_security_rule *r = &out->rules[k];
                snprintf(r->name, sizeof r->name, "%s-%zu", out->rule.id, k);
                r->protocol = proto_list[p];
                if (ports > 0) {
                    size_t first = pc * BN_FW_MAX_PORTS_PER_RULE;
                    for (size_t i = first; i < ports && i < first + BN_FW_MAX_PORTS_PER_RULE; i++)
                        r->ports[r->port_count++] = (int32_t)(out->rule.from_port + (int)i);
                }
                for (size_t i = cc * BN_FW_MAX_CIDRS_PER_RULE;
                     i < out->rule.cidr_count && r->cidr_count < BN_FW_MAX_CIDRS_PER_RULE; i++)
                    memcpy(r->cidrs[r->cidr_count++], out->rule.cidrs[i], BN_FW_CIDR_CAP);
                k++;
            }
        }
    }
    out->count = k;
    return BREV_OK;
}

void bn_fw_plan_free(bn_fw_plan *plan)
{
    if (!plan)
        return;
    bn_fw_normal_free(&plan->rule);
    free(plan->rules);
    plan->rules = NULL;
    plan->count = 0;
}

int bn_fw_id_valid(const char *id)
{
    if (!id || strlen(id) != 15 || strncmp(id, "fw-", 3) != 0)
        return 0;
    for (size_t i = 3; i < 15; i++)
        if (!isdigit((unsigned char)id[i]) && !(id[i] >= 'a' && id[i] <= 'f'))
            return 0;
    return 1;
}
