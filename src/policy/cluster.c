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

/* Deletes every rule of the group; *firewall_lost counts those of firewall rules. */
static int delete_rules(brev_client *client, const char *group_id, size_t *firewall_lost)
{
    bn_msg_list rules = {0};
    const char **ids = NULL;
    int rc = bn_policy_rules_list(client, group_id, &rules);

    *firewall_lost = 0;
    if (rc == BREV_OK) {
        ids = calloc(rules.count ? rules.count : 1, sizeof *ids);
        if (!ids)
            rc = bn_err_set(BREV_ENOMEM, "out of memory");
    }
    for (size_t i = 0; rc == BREV_OK && i < rules.count; i++) {
        const Nebius__Vpc__V1__SecurityRule *r = (const Nebius__Vpc__V1__SecurityRule *)rules.items[i];
        ids[i] = r->metadata && r->metadata->id ? r->metadata->id : "";
        if (bn_meta_label(r->metadata, BN_POLICY_LABEL_FIREWALL_ID))
            (*firewall_lost)++;
    }
    if (rc == BREV_OK)
        rc = bn_policy_rules_delete(client, ids, rules.count);
    free(ids);
    bn_msg_list_free(&rules);
    return rc;
}

/* An instance joined the group after its rules went: give it back the base
 * rules (isolated, can reach out) and report the group as kept. */
static int kept_after_rules_went(brev_client *client, const char *cluster_id, const char *group_id, size_t count,
                                 size_t firewall_lost)
{
    int rc;

    /* A repair, not a step of the delete: a stop asked now must not leave
     * the new instance on a group without its self and egress rules. */
    bn_client_cleanup_begin();
    rc = bn_policy_group_restore_base_rules(client, group_id);
    bn_client_cleanup_end();
    if (firewall_lost > 0)
        /* A terminate that releases the group still succeeds (its instance
         * is gone), so say it where the caller's log sees it. */
        bn_log(&client->logger, BREV_LOG_WARN,
               "cluster %s: %zu security rule(s) of its firewall rules were deleted before instance(s) joined "
               "group %s; add those firewall rules again",
               cluster_id, firewall_lost, group_id);
    if (rc < 0)
        return bn_err_prefix("cluster %s gained an instance while its group %s was being deleted, and its self and "
                             "egress rules could not be put back",
                             cluster_id, group_id);
    return bn_err_set(BREV_EPRECONDITION,
                      "cluster %s gained %zu instance(s) while its group %s was being deleted: the group is kept "
                      "with its self and egress rules put back; %zu security rule(s) of its firewall rules were "
                      "deleted and must be added again",
                      cluster_id, count, group_id, firewall_lost);
}

int bn_policy_group_delete(brev_client *client, const char *project, const char *cluster_id, const char *group_id)
{
    bn_wait wait = bn_client_wait(client, "delete security group", BN_POLICY_OP_TIMEOUT_MS);
    size_t count = 0, firewall_lost = 0;
    int rc;

    /* The group first, in one call: the API refuses to delete a group an
     * interface uses (FAILED_PRECONDITION in nebius-sim) and takes its rules
     * with it, so an instance created in the cluster since its members were
     * counted keeps the group and every rule. Deleting the rules first, as
     * this did before, left such an instance on a group that let nothing in
     * from its peers and nothing out. */
    rc = bn_res_delete(client->rpc, &bn_kind_security_group, group_id, &wait);
    if (rc != BREV_EPRECONDITION)
        return rc;
    brev_error_clear();
    rc = count_instances(client, project, cluster_id, group_id, &count);
    if (rc < 0)
        return rc;
    if (count > 0)
        return bn_err_set(BREV_EPRECONDITION,
                          "cluster %s gained %zu instance(s) while its group %s was being deleted: the group is kept "
                          "with all its rules",
                          cluster_id, count, group_id);
    /* Refused with no instance in sight: an API that wants a group's rules
     * gone before the group (the API reference does not say). Delete them,
     * count once more right before the group, and if an instance came in
     * between after all, put its base rules back. */
    rc = delete_rules(client, group_id, &firewall_lost);
    if (rc < 0)
        return rc;
    rc = count_instances(client, project, cluster_id, group_id, &count);
    if (rc < 0)
        return rc;
    if (count > 0)
        return kept_after_rules_went(client, cluster_id, group_id, count, firewall_lost);
    rc = bn_res_delete(client->rpc, &bn_kind_security_group, group_id, &wait);
    if (rc == BREV_EPRECONDITION) {
        brev_error saved;
        bn_err_save(&saved);
        if (count_instances(client, project, cluster_id, group_id, &count) == BREV_OK && count > 0)
            return kept_after_rules_went(client, cluster_id, group_id, count, firewall_lost);
        bn_err_restore(&saved);
    }
    return rc;
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
        rc = bn_policy_group_delete(client, project, cluster_id, group->metadata->id);
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
    int in_use = 0;
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
    if (rc == BREV_OK && count == 0) {
        rc = bn_policy_group_delete(client, project, cluster_id, group->metadata->id);
        in_use = rc == BREV_EPRECONDITION;
    }
    protobuf_c_message_free_unpacked(&group->base, NULL);
    if (in_use) {
        /* Someone is creating an instance in this cluster right now: the
         * group is theirs as much as ours, and keeping it is the release
         * done right, not a failure of the terminate that called us. */
        bn_log(&client->logger, BREV_LOG_INFO, "security group of cluster %s kept: %s", cluster_id,
               brev_error_message());
        brev_error_clear();
        return BREV_OK;
    }
    if (rc < 0)
        return bn_err_prefix("releasing the security group of cluster %s", cluster_id);
    return BREV_OK;
}
