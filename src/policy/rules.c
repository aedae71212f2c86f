/* Security rules of a cluster's group: list, create (collision = success),
 * delete, and recognising the two base rules by their spec. */
#include "policy/policy.h"

#include <string.h>

#include "compute/labels.h"
#include "nebius/vpc/v1/security_rule_service.pb-c.h"
#include "util/error.h"

const bn_kind bn_kind_security_rule = {"security rule", &nebius__vpc__v1__security_rule_service__descriptor, "List",
                                       "parent_id"};

int bn_policy_rules_list(brev_client *client, const char *group_id, bn_msg_list *out)
{
    return bn_res_list(client->rpc, &bn_kind_security_rule, group_id, out);
}

int bn_policy_rule_create(brev_client *client, const char *group_id, const char *name,
                          const Nebius__Vpc__V1__SecurityRuleSpec *spec, const char *const *labels,
                          char **created_id)
{
    Nebius__Vpc__V1__CreateSecurityRuleRequest req = NEBIUS__VPC__V1__CREATE_SECURITY_RULE_REQUEST__INIT;
    Nebius__Common__V1__ResourceMetadata meta = NEBIUS__COMMON__V1__RESOURCE_METADATA__INIT;
    bn_labels set = {0};
    bn_wait wait = bn_client_wait(client, "create security rule", BN_POLICY_OP_TIMEOUT_MS);
    int rc = BREV_OK;

    if (created_id)
        *created_id = NULL;
    meta.parent_id = (char *)group_id;
    meta.name = (char *)name;
    for (size_t i = 0; labels && labels[i] && rc == BREV_OK; i += 2)
        rc = bn_labels_set(&set, labels[i], labels[i + 1]);
    if (rc == BREV_OK)
        rc = bn_labels_attach(&set, &meta);
    if (rc == BREV_OK) {
        req.metadata = &meta;
        req.spec = (Nebius__Vpc__V1__SecurityRuleSpec *)spec;
        rc = bn_res_create(client->rpc, &bn_kind_security_rule, &req.base, &wait, created_id);
        if (rc == BREV_EEXISTS) {
            /* Same deterministic name = same rule, created by a concurrent caller. */
            brev_error_clear();
            rc = BREV_OK;
        } else if (rc < 0) {
            bn_err_prefix("security rule '%s' of group %s", name, group_id);
        }
    }
    bn_labels_free(&set);
    return rc;
}

int bn_policy_rules_delete(brev_client *client, const char *const *rule_ids, size_t count)
{
    bn_wait wait = bn_client_wait(client, "delete security rule", BN_POLICY_OP_TIMEOUT_MS);

    for (size_t i = 0; i < count; i++) {
        int rc = bn_res_delete(client->rpc, &bn_kind_security_rule, rule_ids[i], &wait);
        if (rc < 0)
            return rc;
    }
    return BREV_OK;
}

int bn_policy_rule_is_stateful(const Nebius__Vpc__V1__SecurityRule *rule)
{
    /* Unset means STATEFUL to the API (nebius/vpc/v1/security_rule.proto). */
    return rule->spec && (rule->spec->type == NEBIUS__VPC__V1__RULE_TYPE__RULE_TYPE_UNSPECIFIED ||
                          rule->spec->type == NEBIUS__VPC__V1__RULE_TYPE__STATEFUL);
}

int bn_policy_has_self_shape(const Nebius__Vpc__V1__SecurityRule *rule, const char *group_id)
{
    const Nebius__Vpc__V1__SecurityRuleSpec *spec = rule->spec;
    const Nebius__Vpc__V1__RuleIngress *in;

    if (!spec || spec->match_case != NEBIUS__VPC__V1__SECURITY_RULE_SPEC__MATCH_INGRESS || !spec->ingress)
        return 0;
    in = spec->ingress;
    return spec->access == NEBIUS__VPC__V1__RULE_ACCESS_ACTION__ALLOW &&
           spec->protocol == NEBIUS__VPC__V1__RULE_PROTOCOL__ANY && in->source_security_group_id &&
           strcmp(in->source_security_group_id, group_id) == 0 && in->n_source_cidrs == 0 &&
           in->n_destination_ports == 0;
}

int bn_policy_is_self_rule(const Nebius__Vpc__V1__SecurityRule *rule, const char *group_id)
{
    return bn_policy_has_self_shape(rule, group_id) && bn_policy_rule_is_stateful(rule);
}

int bn_policy_has_egress_all_shape(const Nebius__Vpc__V1__SecurityRule *rule)
{
    const Nebius__Vpc__V1__SecurityRuleSpec *spec = rule->spec;
    const Nebius__Vpc__V1__RuleEgress *out;

    if (!spec || spec->match_case != NEBIUS__VPC__V1__SECURITY_RULE_SPEC__MATCH_EGRESS || !spec->egress)
        return 0;
    out = spec->egress;
    if (spec->access != NEBIUS__VPC__V1__RULE_ACCESS_ACTION__ALLOW ||
        spec->protocol != NEBIUS__VPC__V1__RULE_PROTOCOL__ANY || out->n_destination_ports != 0 ||
        (out->destination_security_group_id && *out->destination_security_group_id))
        return 0;
    /* An empty CIDR list also means "anywhere" to the API. */
    if (out->n_destination_cidrs == 0)
        return 1;
    for (size_t i = 0; i < out->n_destination_cidrs; i++)
        if (strcmp(out->destination_cidrs[i], BN_POLICY_EVERYWHERE) == 0)
            return 1;
    return 0;
}

int bn_policy_is_egress_all_rule(const Nebius__Vpc__V1__SecurityRule *rule)
{
    /* A STATELESS egress rule lets requests out but not their replies back
     * in (the group's implicit deny drops them): outbound is broken. */
    return bn_policy_has_egress_all_shape(rule) && bn_policy_rule_is_stateful(rule);
}
