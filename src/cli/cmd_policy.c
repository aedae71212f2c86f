/* policy check: audit a cluster against the security model; exit 6 on findings. */
#include <stdio.h>

#include "cli.h"
#include "output.h"

static const arg_spec check_options[] = {
    {"cluster", ARG_VALUE, "ID", "the cluster to audit (required)"},
    {NULL, 0, NULL, NULL},
};

static json_t *report_json(const brev_audit_report *r)
{
    json_t *findings = json_array();
    for (size_t i = 0; findings && i < r->count; i++) {
        const brev_finding *f = &r->findings[i];
        json_array_append_new(findings, json_pack("{s:s, s:s, s:o, s:o}", "kind", brev_finding_kind_name(f->kind),
                                                  "severity", brev_severity_name(f->severity), "resource_id",
                                                  cli_json_str(f->resource_id), "message",
                                                  cli_json_str(f->message)));
    }
    return json_pack("{s:o, s:o, s:b, s:I, s:o}", "cluster_id", cli_json_str(r->cluster_id), "security_group_id",
                     cli_json_str(r->security_group_id), "clean", r->count == 0, "finding_count",
                     (json_int_t)r->count, "findings", findings);
}

static int policy_check(cli_ctx *ctx)
{
    const char *cluster = args_value(ctx->args, "cluster");
    if (!cluster)
        return cli_usage_error(ctx, "--cluster is required");
    int exit_code = CLI_EXIT_OK;
    brev_client *client = cli_client(ctx, &exit_code);
    if (!client)
        return exit_code;
    brev_audit_report *report = NULL;
    int rc = brev_policy_audit(client, cluster, &report);
    if (rc != BREV_OK)
        return cli_fail(rc);
    if (ctx->json) {
        if (cli_json_emit(report_json(report)) < 0)
            exit_code = CLI_EXIT_ERROR;
    } else if (report->count == 0) {
        printf("cluster %s: no findings (security group %s matches the policy)\n", cluster,
               report->security_group_id);
    } else {
        printf("cluster %s: %zu finding%s\n", cluster, report->count, report->count == 1 ? "" : "s");
        static const char *const headers[] = {"SEVERITY", "KIND", "RESOURCE", "MESSAGE", NULL};
        cli_table *t = cli_table_new(headers);
        for (size_t i = 0; t && i < report->count; i++) {
            const brev_finding *f = &report->findings[i];
            const char *row[] = {brev_severity_name(f->severity), brev_finding_kind_name(f->kind), f->resource_id,
                                 f->message};
            if (cli_table_add(t, row) < 0)
                break;
        }
        if (t)
            cli_table_print(t, stdout);
        cli_table_free(t);
    }
    if (exit_code == CLI_EXIT_OK && report->count > 0)
        exit_code = CLI_EXIT_FINDINGS;
    brev_audit_report_free(report);
    return exit_code;
}

const cli_command cli_policy_commands[] = {
    {"policy", "check", NULL, 0, 0, "Audit a cluster's security group, rules, instances and disks",
     "Reads everything back from the API. Exit 0 only when there is no finding, 6 when there are.", check_options,
     policy_check},
    {NULL, NULL, NULL, 0, 0, NULL, NULL, NULL, NULL},
};
