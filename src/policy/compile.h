/* The firewall-rule compiler: a Brev FirewallRule in, the fewest Nebius
 * ingress security rules that open exactly it out. Pure (no I/O, no client):
 * every decision about ports, protocols, CIDRs, limits and the rule id lives
 * here so it can be tested exhaustively without a server. */
#ifndef BN_POLICY_COMPILE_H
#define BN_POLICY_COMPILE_H

#include <stddef.h>
#include <stdint.h>

#include <brev/firewall.h>

/* API limits of one Nebius security rule (nebius/vpc/v1 RuleIngress). */
#define BN_FW_MAX_PORTS_PER_RULE 8
#define BN_FW_MAX_CIDRS_PER_RULE 8

/* "255.255.255.255/32" + NUL */
#define BN_FW_CIDR_CAP 19
/* "fw-" + 12 hex digits + NUL */
#define BN_FW_ID_CAP 16
/* "fw-" + 12 hex digits + "-" + a rule index + NUL, with room */
#define BN_FW_NAME_CAP 32

/* The Nebius RuleProtocol numbers (nebius.vpc.v1.RuleProtocol), kept here so
 * the compiler does not depend on gen/. */
enum {
    BN_FW_PROTO_ANY = 1,
    BN_FW_PROTO_TCP = 2,
    BN_FW_PROTO_UDP = 3,
    BN_FW_PROTO_ICMP = 4
};

/* A validated, canonical firewall rule: CIDRs sorted and unique (no CIDR
 * given = 0.0.0.0/0), "every port" always written 0-0 (so 0-0, 1-65535 and
 * any range given with ICMP are one rule), and its stable id. */
typedef struct bn_fw_normal {
    int from_port;
    int to_port;
    brev_protocol protocol;
    size_t cidr_count;
    char (*cidrs)[BN_FW_CIDR_CAP];
    char id[BN_FW_ID_CAP];
} bn_fw_normal;

/* One Nebius ingress ALLOW rule to create. */
typedef struct bn_fw_security_rule {
    char name[BN_FW_NAME_CAP]; /* "<id>-<n>": deterministic, so a concurrent add collides instead of duplicating */
    int protocol;              /* BN_FW_PROTO_* */
    size_t port_count;         /* 0 = every port */
    int32_t ports[BN_FW_MAX_PORTS_PER_RULE];
    size_t cidr_count;
    char cidrs[BN_FW_MAX_CIDRS_PER_RULE][BN_FW_CIDR_CAP];
} bn_fw_security_rule;

typedef struct bn_fw_plan {
    bn_fw_normal rule;
    size_t count;
    bn_fw_security_rule *rules;
} bn_fw_plan;

/* Validates and canonicalises. BREV_EINVAL for a bad port, range, CIDR or
 * protocol (message names the value). Free with bn_fw_normal_free. */
int bn_fw_normalise(const brev_firewall_rule *rule, bn_fw_normal *out);
void bn_fw_normal_free(bn_fw_normal *normal);

/* Normalises and compiles. BREV_EPOLICY when the rule would need more than
 * BREV_FIREWALL_MAX_SECURITY_RULES security rules. Free with bn_fw_plan_free. */
int bn_fw_compile(const brev_firewall_rule *rule, bn_fw_plan *out);
void bn_fw_plan_free(bn_fw_plan *plan);

/* Number of security rules the rule needs (0 on invalid input, error set). */
size_t bn_fw_rule_count(const bn_fw_normal *normal);

/* Parses an IPv4 CIDR (or a bare address = /32) into its canonical text.
 * Host bits set are refused, not masked: "10.0.0.5/24" most likely means a
 * mistake, and silently opening the whole /24 would widen what the caller
 * asked for. */
int bn_fw_parse_cidr(const char *text, char out[BN_FW_CIDR_CAP]);

/* 1 when id has the shape of a firewall rule id ("fw-" + 12 lowercase hex). */
int bn_fw_id_valid(const char *id);

/* Text of ports for labels and messages: "80", "8000-8010" or "all". */
void bn_fw_port_text(int from_port, int to_port, char *out, size_t cap);
/* Parses bn_fw_port_text's output. */
int bn_fw_port_parse(const char *text, int *from_port, int *to_port);

#endif
