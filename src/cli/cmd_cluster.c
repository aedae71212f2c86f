/* cluster list|delete: the per-cluster security groups. */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "output.h"
#include "progress.h"
#include "util.h"

static const arg_spec no_options[] = {
    {NULL, 0, NULL, NULL},
};

static int cluster_list(cli_ctx *ctx)
{
    int exit_code = CLI_EXIT_OK;
    brev_client *client = cli_client(ctx, &exit_code);
    if (!client)
        return exit_code;
    brev_cluster_list *list = NULL;
    int rc = brev_clusters_list(client, &list);
    if (rc != BREV_OK)
        return cli_fail(rc);
    if (ctx->json) {
        json_t *arr = json_array();
        for (size_t i = 0; arr && i < list->count; i++) {
            const brev_cluster *c = &list->items[i];
            json_t *item = json_pack("{s:o, s:o, s:o, s:I}", "id", cli_json_str(c->id), "security_group_id",
                                     cli_json_str(c->security_group_id), "network_id", cli_json_str(c->network_id),
                                     "instance_count", (json_int_t)c->instance_count);
            if (json_array_append_new(arr, item) < 0) {
                json_decref(arr);
                arr = NULL;
            }
        }
        exit_code = cli_json_emit(arr) < 0 ? CLI_EXIT_ERROR : CLI_EXIT_OK;
    } else if (list->count == 0) {
        printf("no clusters\n");
    } else {
        static const char *const headers[] = {"CLUSTER", "SECURITY GROUP", "NETWORK", "INSTANCES", NULL};
        cli_table *t = cli_table_new(headers);
        for (size_t i = 0; t && i < list->count; i++) {
            const brev_cluster *c = &list->items[i];
            char n[24];
            snprintf(n, sizeof n, "%zu", c->instance_count);
            const char *row[] = {c->id, c->security_group_id, c->network_id, n};
            if (cli_table_add(t, row) < 0)
                break;
        }
        if (t)
            cli_table_print(t, stdout);
        cli_table_free(t);
    }
    brev_cluster_list_free(list);
    return exit_code;
}

/* After Ctrl-C: whether the cluster's group is still there. A cancelled
 * wait does not stop the deletion the cloud is already doing, so a group
 * listed now may still go by itself. */
static void report_cluster_left(brev_client *client, const char *cluster)
{
    brev_cluster_list *list = NULL;
    if (brev_clusters_list(client, &list) != BREV_OK) {
        cli_errorf("could not check what is left of cluster %s: %s; check with: brev-nebius cluster list", cluster,
                   brev_error_message());
        return;
    }
    const brev_cluster *c = cli_cluster_find(list, cluster);
    if (c)
        cli_errorf("cluster %s still exists (security group %s, %zu instance%s); its deletion may still be under "
                   "way: check with brev-nebius cluster list, or delete it again with: brev-nebius cluster delete %s",
                   c->id, c->security_group_id, c->instance_count, c->instance_count == 1 ? "" : "s", c->id);
    else
        cli_errorf("cluster %s has no security group any more: nothing of it is left", cluster);
    brev_cluster_list_free(list);
}

static int cluster_delete(cli_ctx *ctx)
{
    const char *cluster = ctx->args->positional[0];
    cli_guard_ctrl_c();
    int exit_code = CLI_EXIT_OK;
    brev_client *client = cli_client(ctx, &exit_code);
    if (!client)
        return exit_code;
    int rc = brev_cluster_delete(client, cluster);
    if (rc != BREV_OK) {
        exit_code = cli_fail(rc);
        if (rc == BREV_ECANCELLED)
            report_cluster_left(client, cluster);
        return exit_code;
    }
    if (ctx->json)
        exit_code = cli_json_emit(json_pack("{s:s, s:b}", "id", cluster, "deleted", 1)) < 0 ? CLI_EXIT_ERROR
                                                                                           : CLI_EXIT_OK;
    else
        printf("deleted cluster %s (its security group and rules)\n", cluster);
    if (cli_cancel_pending()) {
        /* Ctrl-C came during the group's last poll: the delete had finished. */
        cli_errorf("cancelled too late: the delete had finished");
        report_cluster_left(client, cluster);
        exit_code = CLI_EXIT_CANCELLED;
    }
    return exit_code;
}

const cli_command cli_cluster_commands[] = {
    {"cluster", "list", NULL, 0, 0, "List the clusters (security groups this tool manages)", NULL, no_options,
     cluster_list},
    {"cluster", "delete", "CLUSTER_ID", 1, 1, "Delete a cluster's security group (refused while it has instances)",
     NULL, no_options, cluster_delete},
    {NULL, NULL, NULL, 0, 0, NULL, NULL, NULL, NULL},
};
