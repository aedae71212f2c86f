/* The per-cluster security group: found by its deterministic name, created
 * on first use with its two base rules (self, egress to anywhere). */
#include "policy/policy.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "compute/labels.h"
#include "nebius/compute/v1/instance.pb-c.h"
#include "nebius/vpc/v1/network_service.pb-c.h"
#include "nebius/vpc/v1/security_group_service.pb-c.h"
#include "nebius/vpc/v1/subnet_service.pb-c.h"
#include "util/error.h"
#include "util/str.h"

/* The subnet instances land in when none is named; its network hosts the groups. */
#define DEFAULT_SUBNET_NAME "default-subnet"

int bn_policy_cluster_id_check(const char *cluster_id)
{
    size_t len;

    if (!cluster_id || !*cluster_id)
        return bn_err_set(BREV_EINVAL, "cluster id must not be empty");
    len = strlen(cluster_id);
    if (len > 63)
        return bn_err_set(BREV_EINVAL, "cluster id \"%.63s...\" is longer than 63 characters", cluster_id);
    for (size_t i = 0; i < len; i++) {
        char c = cluster_id[i];
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-'))
            return bn_err_set(BREV_EINVAL, "cluster id \"%s\": only a-z, 0-9 and '-' are allowed", cluster_id);
    }
    return BREV_OK;
}

static void group_name(const char *cluster_id, char out[96])
{
    snprintf(out, 96, "%s%s", BN_POLICY_GROUP_PREFIX, cluster_id);
}

int bn_policy_group_get(brev_client *client, const char *project, const char *cluster_id,
                        Nebius__Vpc__V1__SecurityGroup **out)
{
    char name[96];
    ProtobufCMessage *msg = NULL;
    int rc;

    *out = NULL;
    group_name(cluster_id, name);
    rc = bn_res_get_by_name(client->rpc, &bn_kind_security_group, project, name, &msg);
    if (rc < 0)
        return rc;
    *out = (Nebius__Vpc__V1__SecurityGroup *)msg;
    return BREV_OK;
}

/* The network of the project's default subnet, else the project's first network. */
static int project_network(brev_client *client, const char *project, char **network_id)
{
    ProtobufCMessage *msg = NULL;
    bn_msg_list networks = {0};
    int rc;

    *network_id = NULL;
    rc = bn_res_get_by_name(client->rpc, &bn_kind_subnet, project, DEFAULT_SUBNET_NAME, &msg);
    if (rc == BREV_OK) {
        const Nebius__Vpc__V1__Subnet *subnet = (const Nebius__Vpc__V1__Subnet *)msg;
        if (subnet->spec && subnet->spec->network_id && *subnet->spec->network_id)
            *network_id = bn_strdup(subnet->spec->network_id);
        protobuf_c_message_free_unpacked(msg, NULL);
        if (*network_id)
            return BREV_OK;
    } else if (rc != BREV_ENOTFOUND) {
        return rc;
    }
    rc = bn_res_list(client->rpc, &bn_kind_network, project, &networks);
    if (rc < 0)
        return rc;
    if (networks.count == 0) {
        bn_msg_list_free(&networks);
        return bn_err_set(BREV_EPRECONDITION,
                          "project %s has no network (and no subnet named %s): create one before a cluster", project,
                          DEFAULT_SUBNET_NAME);
    }
    {
        const Nebius__Vpc__V1__Network *net = (const Nebius__Vpc__V1__Network *)networks.items[0];
        *network_id = bn_strdup(net->metadata ? net->metadata->id : "");
    }
    bn_msg_list_free(&networks);
    if (!*network_id)
        return BREV_ENOMEM;
    if (!**network_id) {
        free(*network_id);
        *network_id = NULL;
        return bn_err_set(BREV_EPROTOCOL, "the first network of project %s has no id", project);
    }
    return BREV_OK;
}

/* *created tells whether this call may have made the group: its create was
 * sent and not refused as a concurrent caller's (a cancelled or timed-out
 * wait leaves a group that exists). */
static int group_create(brev_client *client, const char *project, const char *cluster_id, int *created)
{
    Nebius__Vpc__V1__CreateSecurityGroupRequest req = NEBIUS__VPC__V1__CREATE_SECURITY_GROUP_REQUEST__INIT;
    Nebius__Common__V1__ResourceMetadata meta = NEBIUS__COMMON__V1__RESOURCE_METADATA__INIT;
    Nebius__Vpc__V1__SecurityGroupSpec spec = NEBIUS__VPC__V1__SECURITY_GROUP_SPEC__INIT;
    bn_labels labels = {0};
    bn_wait wait = bn_client_wait(client, "create security group", BN_POLICY_OP_TIMEOUT_MS);
    char name[96];
    char *network_id = NULL;
    int rc;

    rc = project_network(client, project, &network_id);
    if (rc < 0)
        return bn_err_prefix("finding the network for cluster %s", cluster_id);
    group_name(cluster_id, name);
    meta.parent_id = (char *)project;
    meta.name = name;
    spec.network_id = network_id;
    rc = bn_labels_set(&labels, BN_POLICY_LABEL_MANAGED, "true");
    if (rc == BREV_OK)
        rc = bn_labels_set(&labels, BN_POLICY_LABEL_CLUSTER, cluster_id);
    if (rc == BREV_OK)
        rc = bn_labels_attach(&labels, &meta);
    if (rc == BREV_OK) {
        req.metadata = &meta;
        req.spec = &spec;
        rc = bn_res_create(client->rpc, &bn_kind_security_group, &req.base, &wait, NULL);
        *created = rc != BREV_EEXISTS;
        if (rc == BREV_EEXISTS) {
            /* Another process created it between our lookup and our create. */
            brev_error_clear();
            rc = BREV_OK;
        }
    }
    bn_labels_free(&labels);
    free(network_id);
    return rc;
}

/* Creates whichever base rule is missing (by name). */
int bn_policy_group_restore_base_rules(brev_client *client, const char *group_id)
{
    bn_msg_list rules = {0};
    int have_self = 0, have_egress = 0;
    int rc = bn_policy_rules_list(client, group_id, &rules);

    if (rc < 0)
        return rc;
    for (size_t i = 0; i < rules.count; i++) {
        const Nebius__Vpc__V1__SecurityRule *r = (const Nebius__Vpc__V1__SecurityRule *)rules.items[i];
        const char *name = r->metadata && r->metadata->name ? r->metadata->name : "";
        if (strcmp(name, BN_POLICY_SELF_RULE_NAME) == 0)
            have_self = 1;
        else if (strcmp(name, BN_POLICY_EGRESS_RULE_NAME) == 0)
            have_egress = 1;
    }
    bn_msg_list_free(&rules);

    if (!have_self) {
        Nebius__Vpc__V1__SecurityRuleSpec spec = NEBIUS__VPC__V1__SECURITY_RULE_SPEC__INIT;
        Nebius__Vpc__V1__RuleIngress in = NEBIUS__VPC__V1__RULE_INGRESS__INIT;
        static const char *const labels[] = {BN_POLICY_LABEL_MANAGED, "true", BN_POLICY_LABEL_RULE, "self", NULL};
        spec.access = NEBIUS__VPC__V1__RULE_ACCESS_ACTION__ALLOW;
        spec.protocol = NEBIUS__VPC__V1__RULE_PROTOCOL__ANY;
        spec.match_case = NEBIUS__VPC__V1__SECURITY_RULE_SPEC__MATCH_INGRESS;
        in.source_security_group_id = (char *)group_id;
        spec.ingress = &in;
        rc = bn_policy_rule_create(client, group_id, BN_POLICY_SELF_RULE_NAME, &spec, labels, NULL);
        if (rc < 0)
            return rc;
    }
    if (!have_egress) {
        /* The group ends in an implicit deny: without this rule nothing leaves. */
        Nebius__Vpc__V1__SecurityRuleSpec spec = NEBIUS__VPC__V1__SECURITY_RULE_SPEC__INIT;
        Nebius__Vpc__V1__RuleEgress out = NEBIUS__VPC__V1__RULE_EGRESS__INIT;
        static const char *const labels[] = {BN_POLICY_LABEL_MANAGED, "true", BN_POLICY_LABEL_RULE, "egress", NULL};
        char everywhere[] = BN_POLICY_EVERYWHERE;
        char *cidrs[1] = {everywhere};
        spec.access = NEBIUS__VPC__V1__RULE_ACCESS_ACTION__ALLOW;
        spec.protocol = NEBIUS__VPC__V1__RULE_PROTOCOL__ANY;
        spec.match_case = NEBIUS__VPC__V1__SECURITY_RULE_SPEC__MATCH_EGRESS;
        out.n_destination_cidrs = 1;
        out.destination_cidrs = cidrs;
        spec.egress = &out;
        rc = bn_policy_rule_create(client, group_id, BN_POLICY_EGRESS_RULE_NAME, &spec, labels, NULL);
        if (rc < 0)
            return rc;
    }
    return BREV_OK;
}

int bn_policy_group_check_owned(const Nebius__Vpc__V1__SecurityGroup *group, const char *cluster_id)
{
    const char *label = bn_meta_label(group->metadata, BN_POLICY_LABEL_CLUSTER);

    if (!group->metadata || !group->metadata->id || !*group->metadata->id)
        return bn_err_set(BREV_EPROTOCOL, "security group of cluster %s has no id", cluster_id);
    /* A same-named group we did not make is not ours to open ports on. */
    if (!label || strcmp(label, cluster_id) != 0)
        return bn_err_set(BREV_EPRECONDITION,
                          "security group %s (%s%s) exists but is not labelled %s=%s: it was not created by this "
                          "library; rename or delete it",
                          group->metadata->id, BN_POLICY_GROUP_PREFIX, cluster_id, BN_POLICY_LABEL_CLUSTER,
                          cluster_id);
    return BREV_OK;
}

static int cluster_fill(brev_client *client, const char *project, const char *cluster_id,
                        const Nebius__Vpc__V1__SecurityGroup *group, brev_cluster **out)
{
    bn_msg_list instances = {0};
    brev_cluster *c;
    int rc = bn_policy_instances_list(client, project, &instances);

    if (rc < 0)
        return rc;
    c = calloc(1, sizeof *c);
    if (!c) {
        bn_msg_list_free(&instances);
        return bn_err_set(BREV_ENOMEM, "out of memory");
    }
    for (size_t i = 0; i < instances.count; i++)
        if (bn_policy_instance_in_cluster(instances.items[i], cluster_id, group->metadata->id))
            c->instance_count++;
    bn_msg_list_free(&instances);
    c->id = bn_strdup(cluster_id);
    c->security_group_id = bn_strdup(group->metadata->id);
    c->network_id = bn_strdup(group->spec ? group->spec->network_id : "");
    if (!c->id || !c->security_group_id || !c->network_id) {
        brev_cluster_free(c);
        return BREV_ENOMEM;
    }
    *out = c;
    return BREV_OK;
}

/* Finds or creates the group and its base rules; *group_out owned by the caller. */
/* A group this call created but could not finish (its base rules failed, or
 * the caller cancelled) is deleted again, so no half-built group is left;
 * the caller sees the original error. */
static void undo_group(brev_client *client, const char *project, const char *cluster_id)
{
    Nebius__Vpc__V1__SecurityGroup *group = NULL;
    brev_error saved;
    int rc;

    bn_err_save(&saved);
    bn_client_cleanup_begin();
    rc = bn_policy_group_get(client, project, cluster_id, &group);
    if (rc == BREV_OK && bn_policy_group_check_owned(group, cluster_id) == BREV_OK)
        rc = bn_policy_group_delete(client, project, cluster_id, group->metadata->id);
    if (rc < 0 && rc != BREV_ENOTFOUND)
        bn_log(&client->logger, BREV_LOG_WARN, "security group of cluster %s may be left half-built: %s",
               cluster_id, brev_error_message());
    if (group)
        protobuf_c_message_free_unpacked(&group->base, NULL);
    bn_client_cleanup_end();
    bn_err_restore(&saved);
}

static int ensure_group(brev_client *client, const char *project, const char *cluster_id,
                        Nebius__Vpc__V1__SecurityGroup **group_out, int *created_out)
{
    Nebius__Vpc__V1__SecurityGroup *group = NULL;
    int created = 0;
    int rc = bn_policy_group_get(client, project, cluster_id, &group);

    if (rc == BREV_ENOTFOUND) {
        brev_error_clear();
        rc = group_create(client, project, cluster_id, &created);
        if (rc == BREV_OK)
            rc = bn_policy_group_get(client, project, cluster_id, &group);
    }
    if (rc == BREV_OK)
        rc = bn_policy_group_check_owned(group, cluster_id);
    /* Also on reuse: a creator that died between the group and its rules
     * leaves a group that isolates but lets nothing out. */
    if (rc == BREV_OK)
        rc = bn_policy_group_restore_base_rules(client, group->metadata->id);
    if (rc < 0 && created)
        undo_group(client, project, cluster_id);
    if (rc < 0) {
        if (group)
            protobuf_c_message_free_unpacked(&group->base, NULL);
        return bn_err_prefix("cluster %s", cluster_id);
    }
    *group_out = group;
    if (created_out)
        *created_out = created;
    return BREV_OK;
}

int bn_policy_cluster_group(brev_client *client, const char *cluster_id, char **group_id)
{
    Nebius__Vpc__V1__SecurityGroup *group = NULL;
    const char *project;
    int rc;

    *group_id = NULL;
    if (!client)
        return bn_err_set(BREV_EINVAL, "client must not be NULL");
    rc = bn_policy_cluster_id_check(cluster_id);
    if (rc == BREV_OK)
        rc = bn_client_project(client, &project);
    if (rc == BREV_OK)
        rc = ensure_group(client, project, cluster_id, &group, NULL);
    if (rc < 0)
        return rc;
    *group_id = bn_strdup(group->metadata->id);
    protobuf_c_message_free_unpacked(&group->base, NULL);
    return *group_id ? BREV_OK : BREV_ENOMEM;
}

int bn_policy_cluster_ensure(brev_client *client, const char *cluster_id, brev_cluster **out, int *created)
{
    Nebius__Vpc__V1__SecurityGroup *group = NULL;
    const char *project;
    int rc;

    if (out)
        *out = NULL;
    if (created)
        *created = 0;
    if (!client)
        return bn_err_set(BREV_EINVAL, "client must not be NULL");
    rc = bn_policy_cluster_id_check(cluster_id);
    if (rc < 0)
        return rc;
    rc = bn_client_project(client, &project);
    if (rc < 0)
        return rc;
    rc = ensure_group(client, project, cluster_id, &group, created);
    if (rc < 0)
        return rc;
    if (out)
        rc = cluster_fill(client, project, cluster_id, group, out);
    protobuf_c_message_free_unpacked(&group->base, NULL);
    if (rc < 0)
        return bn_err_prefix("cluster %s", cluster_id);
    return BREV_OK;
}

int brev_cluster_ensure(brev_client *client, const char *cluster_id, brev_cluster **out)
{
    return bn_policy_cluster_ensure(client, cluster_id, out, NULL);
}

void brev_cluster_free(brev_cluster *cluster)
{
    if (!cluster)
        return;
    free(cluster->id);
    free(cluster->security_group_id);
    free(cluster->network_id);
    free(cluster);
}

int bn_policy_instances_list(brev_client *client, const char *project, bn_msg_list *out)
{
    return bn_res_list(client->rpc, &bn_kind_instance, project, out);
}

int bn_policy_instance_in_cluster(const ProtobufCMessage *msg, const char *cluster_id, const char *group_id)
{
    const Nebius__Compute__V1__Instance *inst = (const Nebius__Compute__V1__Instance *)msg;
    const char *label = bn_meta_label(inst->metadata, BN_POLICY_LABEL_CLUSTER);

    if (label && strcmp(label, cluster_id) == 0)
        return 1;
    if (!group_id || !inst->spec)
        return 0;
    for (size_t i = 0; i < inst->spec->n_network_interfaces; i++) {
        const Nebius__Compute__V1__NetworkInterfaceSpec *nic = inst->spec->network_interfaces[i];
        for (size_t j = 0; nic && j < nic->n_security_groups; j++)
            if (nic->security_groups[j] && nic->security_groups[j]->id &&
                strcmp(nic->security_groups[j]->id, group_id) == 0)
                return 1;
    }
    return 0;
}
