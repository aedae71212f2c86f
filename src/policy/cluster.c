/* Clusters as a whole: list them (our labelled groups with instance counts),
 * delete one (refused while instances remain), release after a terminate. */
#include "policy/policy.h"

#include <stdlib.h>
#include <string.h>

#include "compute/labels.h"
#include "nebius/vpc/v1/security_group_service.pb-c.h"
#include "util/error.h"
#include "util/str.h"

int brev_clusters_list(brev_client *client, brev_cluster_list **out)
{
    bn_msg_list groups = {0}, instances = {0};
    brev_cluster_list *list = NULL;
    const char *project;
    int rc;

    if (out)
        *out = NULL;
    if (!client || !out)
        return bn_err_set(BREV_EINVAL, "client and out must not be NULL");
    rc = bn_client_project(client, &project);
    if (rc == BREV_OK)
        rc = bn_res_list(client->rpc, &bn_kind_security_group, project, &groups);
    if (rc == BREV_OK)
        rc = bn_policy_instances_list(client, project, &instances);
    if (rc == BREV_OK) {
        list = calloc(1, sizeof *list);
        if (list)
            list->items = calloc(groups.count ? groups.count : 1, sizeof *list->items);
        if (!list || !list->items)
            rc = bn_err_set(BREV_ENOMEM, "out of memory");
    }
    for (size_t i = 0; rc == BREV_OK && i < groups.count; i++) {
        const Nebius__Vpc__V1__SecurityGroup *g = (const Nebius__Vpc__V1__SecurityGroup *)groups.items[i];
        const char *managed = bn_meta_label(g->metadata, BN_POLICY_LABEL_MANAGED);
        const char *cluster = bn_meta_label(g->metadata, BN_POLICY_LABEL_CLUSTER);
        brev_cluster *c;

        if (!managed || strcmp(managed, "true") != 0 || !cluster || !*cluster)
            continue;
        c = &list->items[list->count];
        c->id = bn_strdup(cluster);
        c->security_group_id = bn_strdup(g->metadata->id);
        c->network_id = bn_strdup(g->spec ? g->spec->network_id : "");
        list->count++;
        if (!c->id || !c->security_group_id || !c->network_id) {
            rc = BREV_ENOMEM;
            break;
        }
        for (size_t k = 0; k < instances.count; k++)
            if (bn_policy_instance_in_cluster(instances.items[k], cluster, g->metadata->id))
                c->instance_count++;
    }
    bn_msg_list_free(&groups);
    bn_msg_list_free(&instances);
    if (rc < 0) {
        brev_cluster_list_free(list);
        return bn_err_prefix("listing clusters");
    }
    *out = list;
    return BREV_OK;
}

void brev_cluster_list_free(brev_cluster_list *list)
{
    if (!list)
        return;
    for (size_t i = 0; i < list->count; i++) {
        free(list->items[i].id);
        free(list->items[i].security_group_id);
        free(list->items[i].network_id);
    }
    free(list->items);
    free(list);
}

int bn_policy_group_delete(brev_client *client, const char *group_id)
{
    bn_msg_list rules = {0};
    const char **ids = NULL;
    bn_wait wait = bn_client_wait(client, "delete security group", BN_POLICY_OP_TIMEOUT_MS);
    int rc = bn_policy_rules_list(client, group_id, &rules);

    if (rc == BREV_OK) {
        ids = calloc(rules.count ? rules.count : 1, sizeof *ids);
        if (!ids)
            rc = bn_err_set(BREV_ENOMEM, "out of memory");
    }
    for (size_t i = 0; rc == BREV_OK && i < rules.count; i++) {
        const Nebius__Vpc__V1__SecurityRule *r = (const Nebius__Vpc__V1__SecurityRule *)rules.items[i];
        ids[i] = r->metadata && r->metadata->id ? r->metadata->id : "";
    }
    if (rc == BREV_OK)
        rc = bn_policy_rules_delete(client, ids, rules.count);
    if (rc == BREV_OK)
        rc = bn_res_delete(client->rpc, &bn_kind_security_group, group_id, &wait);
    free(ids);
    bn_msg_list_free(&rules);
    return rc;
}

/* Counts the cluster's instances (labelled, or on its group). */
static int count_instances(brev_client *client, const char *project, const char *cluster_id, const char *group_id,
                           size_t *count)
{
    bn_msg_list instances = {0};
    int rc = bn_policy_instances_list(client, project, &instances);

    *count = 0;
    if (rc < 0)
        return rc;
    for (size_t i = 0; i < instances.count; i++)
        if (bn_policy_instance_in_cluster(instances.items[i], cluster_id, group_id))
            (*count)++;
    bn_msg_list_free(&instances);
    return BREV_OK;
}

int brev_cluster_delete(brev_client *client, const char *cluster_id)
{
    Nebius__Vpc__V1__SecurityGroup *group = NULL;
    const char *project;
    size_t count = 0;
    int rc;

    if (!client)
        return bn_err_set(BREV_EINVAL, "client must not be NULL");
    rc = bn_policy_cluster_id_check(cluster_id);
    if (rc < 0)
        return rc;
    rc = bn_client_project(client, &project);
    if (rc < 0)
        return rc;
    rc = bn_policy_group_get(client, project, cluster_id, &group);
    if (rc == BREV_ENOTFOUND)
        return bn_err_set(BREV_ENOTFOUND, "cluster %s has no security group", cluster_id);
    if (rc < 0)
        return rc;
    rc = bn_policy_group_check_owned(group, cluster_id);
    if (rc == BREV_OK)
        rc = count_instances(client, project, cluster_id, group->metadata->id, &count);
    if (rc == BREV_OK && count > 0)
        rc = bn_err_set(BREV_EPRECONDITION, "cluster %s still has %zu instance(s): terminate them first", cluster_id,
                        count);
    else if (rc == BREV_OK)
        rc = bn_policy_group_delete(client, group->metadata->id);
    protobuf_c_message_free_unpacked(&group->base, NULL);
    if (rc < 0 && rc != BREV_EPRECONDITION)
        return bn_err_prefix("deleting cluster %s", cluster_id);
    return rc;
}

int bn_policy_cluster_release(brev_client *client, const char *cluster_id)
{
    Nebius__Vpc__V1__SecurityGroup *group = NULL;
    const char *project;
    size_t count = 0;
    int rc;

    if (!client)
        return bn_err_set(BREV_EINVAL, "client must not be NULL");
    if (client->keep_empty_clusters)
        return BREV_OK;
    rc = bn_policy_cluster_id_check(cluster_id);
    if (rc < 0)
        return rc;
    rc = bn_client_project(client, &project);
    if (rc < 0)
        return rc;
    rc = bn_policy_group_get(client, project, cluster_id, &group);
    if (rc == BREV_ENOTFOUND) {
        brev_error_clear();
        return BREV_OK;
    }
    if (rc < 0)
        return rc;
    rc = bn_policy_group_check_owned(group, cluster_id);
    if (rc == BREV_OK)
        rc = count_instances(client, project, cluster_id, group->metadata->id, &count);
    if (rc == BREV_OK && count == 0)
        rc = bn_policy_group_delete(client, group->metadata->id);
    protobuf_c_message_free_unpacked(&group->base, NULL);
    if (rc < 0)
        return bn_err_prefix("releasing the security group of cluster %s", cluster_id);
    return BREV_OK;
}
