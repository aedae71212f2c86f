/* What src/policy shares inside itself and with src/cloud: the per-cluster
 * security group, its rules, and the release hook the instance code calls
 * after a terminate. */
#ifndef BN_POLICY_POLICY_H
#define BN_POLICY_POLICY_H

#include <brev/firewall.h>
#include <brev/policy.h>

#include "cloud/client_internal.h"
#include "compute/resource.h"
#include "nebius/vpc/v1/security_group.pb-c.h"
#include "nebius/vpc/v1/security_rule.pb-c.h"

/* Labels on the groups and rules this library creates. */
#define BN_POLICY_LABEL_MANAGED "brev-managed"        /* "true" */
#define BN_POLICY_LABEL_CLUSTER "brev-cluster-id"     /* the cluster id (groups and instances) */
#define BN_POLICY_LABEL_RULE "brev-rule"              /* "self", "egress" or "firewall" */
#define BN_POLICY_LABEL_FIREWALL_ID "brev-firewall-id" /* "fw-..." */
#define BN_POLICY_LABEL_PORTS "brev-firewall-ports"   /* "80", "8000-8010", "all" */
#define BN_POLICY_LABEL_PROTOCOL "brev-firewall-protocol" /* brev_protocol_name() */
#define BN_POLICY_LABEL_ADD_ID "brev-add-id"          /* the brev_firewall_add call that made the rule */

/* Deterministic rule names: a second creator collides (ALREADY_EXISTS)
 * instead of adding a duplicate. */
#define BN_POLICY_SELF_RULE_NAME "self"
#define BN_POLICY_EGRESS_RULE_NAME "egress-all"
#define BN_POLICY_GROUP_PREFIX "brev-cluster-"
#define BN_POLICY_EVERYWHERE "0.0.0.0/0"

/* Deadline of one VPC create/delete and its operation. */
#define BN_POLICY_OP_TIMEOUT_MS 300000u

extern const bn_kind bn_kind_security_rule;

/* 1..63 characters of [a-z0-9-]; BREV_EINVAL naming the problem otherwise. */
int bn_policy_cluster_id_check(const char *cluster_id);

/* The cluster's group by name; BREV_ENOTFOUND when it has none. */
int bn_policy_group_get(brev_client *client, const char *project, const char *cluster_id,
                        Nebius__Vpc__V1__SecurityGroup **out);

/* BREV_EPRECONDITION unless the group carries our cluster label (a
 * same-named group made by someone else is never opened up or deleted). */
int bn_policy_group_check_owned(const Nebius__Vpc__V1__SecurityGroup *group, const char *cluster_id);

/* Every rule of the group (all pages); items are Nebius__Vpc__V1__SecurityRule. */
int bn_policy_rules_list(brev_client *client, const char *group_id, bn_msg_list *out);

/* Deletes each rule and waits; rules already gone count as deleted. */
int bn_policy_rules_delete(brev_client *client, const char *const *rule_ids, size_t count);

/* Creates one rule. ALREADY_EXISTS (a concurrent creator, deterministic name)
 * counts as success. labels: key/value pairs, NULL-terminated. *created_id
 * (may be NULL) gets the new rule's id, or NULL when it already existed. */
int bn_policy_rule_create(brev_client *client, const char *group_id, const char *name,
                          const Nebius__Vpc__V1__SecurityRuleSpec *spec, const char *const *labels,
                          char **created_id);

/* Instances of the project (all pages); items are Nebius__Compute__V1__Instance. */
int bn_policy_instances_list(brev_client *client, const char *project, bn_msg_list *out);

/* 1 when the instance belongs to the cluster: labelled with it, or (when
 * group_id is not NULL) with an interface on the group. */
int bn_policy_instance_in_cluster(const ProtobufCMessage *instance, const char *cluster_id, const char *group_id);

/* brev_cluster_ensure without the instance count (no instance listing):
 * *group_id (malloc'd) is the cluster's group, created if needed. What the
 * instance create path needs. */
int bn_policy_cluster_group(brev_client *client, const char *cluster_id, char **group_id);

/* brev_cluster_ensure that also tells whether this call created the group
 * (*created may be NULL): a failed instance create releases only a group it
 * made, never a cluster the caller prepared with its firewall rules. */
int bn_policy_cluster_ensure(brev_client *client, const char *cluster_id, brev_cluster **out, int *created);

/* Deletes the cluster's group and its rules, never leaving an instance that
 * joined since the caller counted on a group stripped of its rules: the
 * group goes first (the API refuses a group in use and takes the rules with
 * it). BREV_EPRECONDITION: the group is in use and kept (message says how). */
int bn_policy_group_delete(brev_client *client, const char *project, const char *cluster_id, const char *group_id);

/* Creates whichever base rule (self, egress-all) the group lacks, by name. */
int bn_policy_group_restore_base_rules(brev_client *client, const char *group_id);

/* After an instance of the cluster was terminated: deletes the cluster's
 * group and rules when no instance of it remains, unless the client keeps
 * empty clusters. A cluster without a group is already released (BREV_OK). */
int bn_policy_cluster_release(brev_client *client, const char *cluster_id);

/* The spec a rule must have to be the self / egress rule of group_id,
 * STATEFUL (or type unset, which the API takes as STATEFUL) included. */
int bn_policy_is_self_rule(const Nebius__Vpc__V1__SecurityRule *rule, const char *group_id);
int bn_policy_is_egress_all_rule(const Nebius__Vpc__V1__SecurityRule *rule);

/* The same checks without the type: a rule that has the shape but is
 * STATELESS is reported for its type, not as some other deviation. */
int bn_policy_has_self_shape(const Nebius__Vpc__V1__SecurityRule *rule, const char *group_id);
int bn_policy_has_egress_all_shape(const Nebius__Vpc__V1__SecurityRule *rule);

/* 1 when the rule's type is STATEFUL or unset. */
int bn_policy_rule_is_stateful(const Nebius__Vpc__V1__SecurityRule *rule);

#endif
