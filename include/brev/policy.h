/* Policy audit: reads a cluster's security group, rules, instances and disks
 * back from the API and reports every deviation from the security model. */
#ifndef BREV_POLICY_H
#define BREV_POLICY_H

#include "client.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum brev_severity {
    BREV_SEVERITY_INFO = 0,
    BREV_SEVERITY_WARNING,
    BREV_SEVERITY_CRITICAL
} brev_severity;

typedef enum brev_finding_kind {
    BREV_FINDING_MISSING_GROUP = 1,      /**< the cluster has no security group */
    BREV_FINDING_UNEXPLAINED_INGRESS,    /**< an ingress rule no firewall rule explains */
    BREV_FINDING_MISSING_EGRESS,         /**< no allow-all egress rule */
    BREV_FINDING_NARROWED_EGRESS,        /**< egress limited (ports, CIDRs, protocol) or denied */
    BREV_FINDING_MISSING_SELF_RULE,      /**< members cannot reach each other */
    BREV_FINDING_FOREIGN_GROUP_REFERENCE,/**< a rule references another cluster's group */
    BREV_FINDING_INSTANCE_OFF_GROUP,     /**< an instance of the cluster is not (only) on the cluster's group */
    BREV_FINDING_UNENCRYPTED_DISK,       /**< a boot disk of the cluster without encryption at rest */
    BREV_FINDING_FOREIGN_INSTANCE,       /**< an instance outside the cluster is on the cluster's group */
    BREV_FINDING_NARROWED_SELF           /**< an ingress DENY evaluated before the self rule blocks traffic
                                              between members */
} brev_finding_kind;

BREV_EXTERN const char *brev_finding_kind_name(brev_finding_kind kind);
BREV_EXTERN const char *brev_severity_name(brev_severity severity);

typedef struct brev_finding {
    brev_finding_kind kind;
    brev_severity severity;
    char *resource_id; /**< the rule, instance, disk or group concerned */
    char *message;     /**< what is wrong and what the model expects */
} brev_finding;

typedef struct brev_audit_report {
    char *cluster_id;
    char *security_group_id; /**< "" when missing */
    size_t count;            /**< 0: the cluster matches the policy */
    brev_finding *findings;
} brev_audit_report;

/** Audits one cluster: reads its group, rules, instances and boot disks back
 * from the API. *out holds every finding (count 0: the cluster matches the
 * policy); free with brev_audit_report_free.
 * Errors: BREV_EINVAL (client or out NULL, bad cluster id), BREV_ENOMEM, and
 * the call errors of <brev/instance.h>. */
BREV_EXTERN int brev_policy_audit(brev_client *client, const char *cluster_id, brev_audit_report **out);
BREV_EXTERN void brev_audit_report_free(brev_audit_report *report);

/** The host-layer cloud-init fragment (defense in depth): ufw deny-in /
 * allow-out, SSH open, Docker-published ports filtered in DOCKER-USER.
 * Free with brev_string_free. */
BREV_EXTERN int brev_policy_host_firewall_cloud_init(char **out);

#ifdef __cplusplus
}
#endif
#endif
