/* Clusters and firewall rules, enforced by Nebius security groups.
 *
 * Every cluster has its own security group: inbound denied by default,
 * outbound allowed to 0.0.0.0/0, members reach each other through a "self"
 * rule, other clusters are isolated. Each firewall rule opens exactly its
 * ports, protocol and CIDRs with explicit ingress rules, and can be revoked. */
#ifndef BREV_FIREWALL_H
#define BREV_FIREWALL_H

#include "client.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum brev_protocol {
    BREV_PROTOCOL_TCP_UDP = 0, /**< default: TCP and UDP, as Brev opens both */
    BREV_PROTOCOL_TCP,
    BREV_PROTOCOL_UDP,
    BREV_PROTOCOL_ICMP,
    BREV_PROTOCOL_ANY
} brev_protocol;

BREV_EXTERN const char *brev_protocol_name(brev_protocol protocol);
BREV_EXTERN int brev_protocol_parse(const char *name, brev_protocol *out);

/** A Brev FirewallRule: a port range, a list of CIDRs, a protocol. */
typedef struct brev_firewall_rule {
    int from_port;              /**< 1..65535; from_port = to_port = 0 means every port */
    int to_port;                /**< >= from_port */
    const char *const *cidrs;   /**< IPv4 CIDRs; none means 0.0.0.0/0 */
    size_t cidr_count;
    brev_protocol protocol;
} brev_firewall_rule;

/** A rule may need at most this many security rules (8 ports x 8 CIDRs per
 * security rule, ranges listed port by port): wider ranges are refused with
 * BREV_EPOLICY unless they cover every port. */
#define BREV_FIREWALL_MAX_SECURITY_RULES 32

/** A firewall rule in effect on a cluster. */
typedef struct brev_firewall_entry {
    char *id;                 /**< stable id derived from the rule ("fw-..."), used to revoke */
    int from_port;
    int to_port;
    brev_protocol protocol;
    size_t cidr_count;
    char **cidrs;
    size_t security_rule_count;
    char **security_rule_ids; /**< the Nebius security rules that implement it */
} brev_firewall_entry;

typedef struct brev_firewall_list {
    size_t count;
    brev_firewall_entry *items;
} brev_firewall_list;

BREV_EXTERN void brev_firewall_list_free(brev_firewall_list *list);

/** Opens the rule on the cluster's security group (created if needed).
 * Adding the same rule twice creates nothing new and returns the same id.
 * *rule_id (may be NULL) gets the id; free it with brev_string_free.
 * A failed or cancelled add takes back the security rules it made.
 * Errors: BREV_EINVAL (client NULL, bad cluster id, bad ports/CIDRs/protocol),
 * BREV_EPOLICY (the rule needs more security rules than
 * BREV_FIREWALL_MAX_SECURITY_RULES), BREV_EPRECONDITION (a security group or
 * security rule holding our name was not made by this library),
 * BREV_ECANCELLED, and the call errors of <brev/instance.h>. */
BREV_EXTERN int brev_firewall_add(brev_client *client, const char *cluster_id, const brev_firewall_rule *rule,
                                  char **rule_id);

/** Removes exactly the security rules of that firewall rule.
 * Errors: BREV_EINVAL, BREV_ENOTFOUND (the cluster has no group, or no such
 * firewall rule), BREV_ECANCELLED, and the call errors. */
BREV_EXTERN int brev_firewall_revoke(brev_client *client, const char *cluster_id, const char *rule_id);

/** The cluster's firewall rules, read back from its security rules. Free
 * with brev_firewall_list_free.
 * Errors: BREV_EINVAL, BREV_ENOTFOUND (the cluster has no group), the call errors. */
BREV_EXTERN int brev_firewall_list_rules(brev_client *client, const char *cluster_id, brev_firewall_list **out);

/** A cluster: its security group and its instances. */
typedef struct brev_cluster {
    char *id;
    char *security_group_id;
    char *network_id;
    size_t instance_count;
} brev_cluster;

typedef struct brev_cluster_list {
    size_t count;
    brev_cluster *items;
} brev_cluster_list;

/** Gets the cluster's security group, creating it with the base rules (self,
 * egress) on first use. Two processes doing this at once end with one group.
 * *out may be NULL; free with brev_cluster_free.
 * Errors: BREV_EINVAL (bad cluster id), BREV_EPRECONDITION (a group of that
 * name exists that this library did not make), BREV_ECANCELLED, the call errors. */
BREV_EXTERN int brev_cluster_ensure(brev_client *client, const char *cluster_id, brev_cluster **out);
BREV_EXTERN void brev_cluster_free(brev_cluster *cluster);

/** The project's clusters with their instance counts. Free with
 * brev_cluster_list_free. Errors: BREV_EINVAL, the call errors. */
BREV_EXTERN int brev_clusters_list(brev_client *client, brev_cluster_list **out);
BREV_EXTERN void brev_cluster_list_free(brev_cluster_list *list);

/** Deletes the cluster's security group and its rules.
 * Errors: BREV_EINVAL, BREV_ENOTFOUND (no such cluster), BREV_EPRECONDITION
 * (instances of the cluster exist, or one joined while deleting: the group is
 * kept), BREV_ECANCELLED, the call errors. */
BREV_EXTERN int brev_cluster_delete(brev_client *client, const char *cluster_id);

#ifdef __cplusplus
}
#endif
#endif
