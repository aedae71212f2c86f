/* firewall add|list|revoke: Brev firewall rules on a cluster's security group. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "output.h"
#include "progress.h"

/* "22", "8000-8100" or "all" (from = to = 0). */
static int parse_ports(const char *spec, int *from, int *to)
{
    if (strcmp(spec, "all") == 0) {
        *from = *to = 0;
        return 0;
    }
    char *end = NULL;
    long a = strtol(spec, &end, 10);
    if (end == spec || a < 1 || a > 65535)
        return -1;
    long b = a;
    if (*end == '-') {
        const char *rest = end + 1;
        b = strtol(rest, &end, 10);
        if (end == rest || b < a || b > 65535)
            return -1;
    }
    if (*end)
        return -1;
    *from = (int)a;
    *to = (int)b;
    return 0;
}

static void format_ports(int from, int to, char *buf, size_t len)
{
    if (from == 0 && to == 0)
        snprintf(buf, len, "all");
    else if (from == to)
        snprintf(buf, len, "%d", from);
    else
        snprintf(buf, len, "%d-%d", from, to);
}

static json_t *string_array(char *const *items, size_t count)
{
    json_t *arr = json_array();
    for (size_t i = 0; arr && i < count; i++)
        json_array_append_new(arr, cli_json_str(items[i]));
    return arr;
}

static const arg_spec add_options[] = {
    {"cluster", ARG_VALUE, "ID", "the cluster (required)"},
    {"ports", ARG_VALUE, "PORTS", "22, 8000-8100 or all (required)"},
    {"cidr", ARG_LIST, "CIDR", "IPv4 source range (default 0.0.0.0/0)"},
    {"protocol", ARG_VALUE, "PROTO", "tcp, udp, tcp+udp (default), icmp or any"},
    {NULL, 0, NULL, NULL},
};

static int firewall_add(cli_ctx *ctx)
{
    const char *cluster = args_value(ctx->args, "cluster");
    const char *ports = args_value(ctx->args, "ports");
    const char *proto = args_value(ctx->args, "protocol");
    if (!cluster)
        return cli_usage_error(ctx, "--cluster is required");
    if (!ports)
        return cli_usage_error(ctx, "--ports is required (22, 8000-8100 or all)");
    brev_firewall_rule rule;
    memset(&rule, 0, sizeof rule);
    if (parse_ports(ports, &rule.from_port, &rule.to_port) < 0)
        return cli_usage_error(ctx, "--ports %s: expected a port, a range FROM-TO (1..65535) or all", ports);
    rule.protocol = BREV_PROTOCOL_TCP_UDP;
    if (proto && brev_protocol_parse(proto, &rule.protocol) != BREV_OK)
        return cli_usage_error(ctx, "--protocol %s: expected tcp, udp, tcp+udp, icmp or any", proto);
    const char *const *cidrs;
    rule.cidr_count = args_list(ctx->args, "cidr", &cidrs);
    rule.cidrs = cidrs;
    cli_guard_ctrl_c();
    int exit_code = CLI_EXIT_OK;
    brev_client *client = cli_client(ctx, &exit_code);
    if (!client)
        return exit_code;
    char *rule_id = NULL;
    int rc = brev_firewall_add(client, cluster, &rule, &rule_id);
    if (rc != BREV_OK)
        return cli_fail(rc);
    char port_text[32];
    format_ports(rule.from_port, rule.to_port, port_text, sizeof port_text);
    if (ctx->json) {
        json_t *cidr_arr = json_array();
        for (size_t i = 0; cidr_arr && i < rule.cidr_count; i++)
            json_array_append_new(cidr_arr, json_string(rule.cidrs[i]));
        if (cidr_arr && rule.cidr_count == 0) /* no CIDR means everywhere: say so */
            json_array_append_new(cidr_arr, json_string("0.0.0.0/0"));
        json_t *doc = json_pack("{s:o, s:s, s:s, s:i, s:i, s:s, s:o}", "id", cli_json_str(rule_id), "cluster_id",
                                cluster, "ports", port_text, "from_port", rule.from_port, "to_port", rule.to_port,
                                "protocol", brev_protocol_name(rule.protocol), "cidrs", cidr_arr);
        exit_code = cli_json_emit(doc) < 0 ? CLI_EXIT_ERROR : CLI_EXIT_OK;
    } else {
        printf("opened %s/%s from ", port_text, brev_protocol_name(rule.protocol));
        if (rule.cidr_count == 0)
            printf("0.0.0.0/0");
        for (size_t i = 0; i < rule.cidr_count; i++)
            printf("%s%s", i ? "," : "", rule.cidrs[i]);
        printf(" on cluster %s: rule %s\n", cluster, rule_id);
    }
    brev_string_free(rule_id);
    return exit_code;
}

static const arg_spec list_options[] = {
    {"cluster", ARG_VALUE, "ID", "the cluster (required)"},
    {NULL, 0, NULL, NULL},
};

static int firewall_list(cli_ctx *ctx)
{
    const char *cluster = args_value(ctx->args, "cluster");
    if (!cluster)
        return cli_usage_error(ctx, "--cluster is required");
    int exit_code = CLI_EXIT_OK;
    brev_client *client = cli_client(ctx, &exit_code);
    if (!client)
        return exit_code;
    brev_firewall_list *list = NULL;
    int rc = brev_firewall_list_rules(client, cluster, &list);
    if (rc != BREV_OK)
        return cli_fail(rc);
    if (ctx->json) {
        json_t *arr = json_array();
        for (size_t i = 0; arr && i < list->count; i++) {
            const brev_firewall_entry *e = &list->items[i];
            char port_text[32];
            format_ports(e->from_port, e->to_port, port_text, sizeof port_text);
            json_t *item = json_pack("{s:o, s:s, s:i, s:i, s:s, s:o, s:o}", "id", cli_json_str(e->id), "ports",
                                     port_text, "from_port", e->from_port, "to_port", e->to_port, "protocol",
                                     brev_protocol_name(e->protocol), "cidrs", string_array(e->cidrs, e->cidr_count),
                                     "security_rule_ids", string_array(e->security_rule_ids, e->security_rule_count));
            if (json_array_append_new(arr, item) < 0) {
                json_decref(arr);
                arr = NULL;
            }
        }
        exit_code = cli_json_emit(arr) < 0 ? CLI_EXIT_ERROR : CLI_EXIT_OK;
    } else if (list->count == 0) {
        printf("no firewall rules on cluster %s (inbound denied except between its members)\n", cluster);
    } else {
        static const char *const headers[] = {"ID", "PORTS", "PROTOCOL", "CIDRS", "SECURITY RULES", NULL};
        cli_table *t = cli_table_new(headers);
        for (size_t i = 0; t && i < list->count; i++) {
            const brev_firewall_entry *e = &list->items[i];
            char port_text[32], cidrs[512] = "", rules[16];
            format_ports(e->from_port, e->to_port, port_text, sizeof port_text);
            size_t used = 0;
            for (size_t c = 0; c < e->cidr_count && used < sizeof cidrs; c++) {
                int n = snprintf(cidrs + used, sizeof cidrs - used, "%s%s", c ? "," : "", e->cidrs[c]);
                if (n < 0)
                    break;
                used += (size_t)n;
            }
            snprintf(rules, sizeof rules, "%zu", e->security_rule_count);
            const char *row[] = {e->id, port_text, brev_protocol_name(e->protocol), cidrs, rules};
            if (cli_table_add(t, row) < 0)
                break;
        }
        if (t)
            cli_table_print(t, stdout);
        cli_table_free(t);
    }
    brev_firewall_list_free(list);
    return exit_code;
}

static const arg_spec revoke_options[] = {
    {"cluster", ARG_VALUE, "ID", "the cluster (required)"},
    {NULL, 0, NULL, NULL},
};

static int firewall_revoke(cli_ctx *ctx)
{
    const char *cluster = args_value(ctx->args, "cluster");
    if (!cluster)
        return cli_usage_error(ctx, "--cluster is required");
    const char *rule_id = ctx->args->positional[0];
    cli_guard_ctrl_c();
    int exit_code = CLI_EXIT_OK;
    brev_client *client = cli_client(ctx, &exit_code);
    if (!client)
        return exit_code;
    int rc = brev_firewall_revoke(client, cluster, rule_id);
    if (rc != BREV_OK)
        return cli_fail(rc);
    if (ctx->json)
        return cli_json_emit(json_pack("{s:s, s:s, s:b}", "id", rule_id, "cluster_id", cluster, "revoked", 1)) < 0
                   ? CLI_EXIT_ERROR
                   : CLI_EXIT_OK;
    printf("revoked rule %s on cluster %s\n", rule_id, cluster);
    return CLI_EXIT_OK;
}

const cli_command cli_firewall_commands[] = {
    {"firewall", "add", NULL, 0, 0, "Open ports on a cluster to some CIDRs",
     "Each rule opens exactly its ports, protocol and CIDRs; adding the same rule twice returns the same id.\n"
     "A rule too wide for the security-rule budget is refused (exit 2).",
     add_options, firewall_add},
    {"firewall", "list", NULL, 0, 0, "List the firewall rules of a cluster", NULL, list_options, firewall_list},
    {"firewall", "revoke", "RULE_ID", 1, 1, "Remove a firewall rule (exactly its security rules)", NULL,
     revoke_options, firewall_revoke},
    {NULL, NULL, NULL, 0, 0, NULL, NULL, NULL, NULL},
};
