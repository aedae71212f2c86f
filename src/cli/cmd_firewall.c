/* firewall add|list|revoke: Brev firewall rules on a cluster's security group. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "output.h"
#include "progress.h"
#include "util.h"

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

static void join_cidrs(char *const *cidrs, size_t count, char *buf, size_t len)
{
    size_t used = 0;
    buf[0] = '\0';
    for (size_t c = 0; c < count && used < len; c++) {
        int n = snprintf(buf + used, len - used, "%s%s", c ? "," : "", cidrs[c]);
        if (n < 0)
            break;
        used += (size_t)n;
    }
}

/* The entry of rule_id in list, or NULL. */
static const brev_firewall_entry *entry_of(const brev_firewall_list *list, const char *rule_id)
{
    for (size_t i = 0; list && i < list->count; i++)
        if (strcmp(list->items[i].id, rule_id) == 0)
            return &list->items[i];
    return NULL;
}

/* After Ctrl-C: what of the rule (and its cluster) exists now. The id of a
 * cancelled add is not known here, so every rule on the same ports and
 * protocol is named; rule_id, when the add finished, names exactly that one. */
static void report_firewall_left(brev_client *client, const char *cluster, const brev_firewall_rule *rule,
                                 const char *rule_id)
{
    char port_text[32];
    /* Compare as the library stores it: every port is 0-0, and so is any range with ICMP. */
    int from = rule->from_port, to = rule->to_port;
    if ((from == 1 && to == 65535) || rule->protocol == BREV_PROTOCOL_ICMP)
        from = to = 0;
    format_ports(from, to, port_text, sizeof port_text);
    brev_cluster_list *clusters = NULL;
    if (brev_clusters_list(client, &clusters) == BREV_OK) {
        const brev_cluster *c = cli_cluster_find(clusters, cluster);
        int found = c != NULL;
        if (c)
            cli_errorf("cluster %s exists (security group %s, %zu instance%s)", c->id, c->security_group_id,
                       c->instance_count, c->instance_count == 1 ? "" : "s");
        else
            cli_errorf("cluster %s has no security group: nothing of the rule exists", cluster);
        brev_cluster_list_free(clusters);
        if (!found)
            return;
    }
    brev_firewall_list *list = NULL;
    if (brev_firewall_list_rules(client, cluster, &list) != BREV_OK) {
        cli_errorf("could not read back the firewall rules of cluster %s: %s; check with: brev-nebius firewall "
                   "list --cluster %s",
                   cluster, brev_error_message(), cluster);
        return;
    }
    int named = 0;
    for (size_t i = 0; i < list->count; i++) {
        const brev_firewall_entry *e = &list->items[i];
        if (rule_id ? strcmp(e->id, rule_id) != 0
                    : (e->from_port != from || e->to_port != to || e->protocol != rule->protocol))
            continue;
        char cidrs[512], ports[32];
        join_cidrs(e->cidrs, e->cidr_count, cidrs, sizeof cidrs);
        format_ports(e->from_port, e->to_port, ports, sizeof ports);
        cli_errorf("firewall rule %s (%s/%s from %s, %zu security rule%s) is in place on cluster %s; remove it "
                   "with: brev-nebius firewall revoke --cluster %s %s",
                   e->id, ports, brev_protocol_name(e->protocol), cidrs, e->security_rule_count,
                   e->security_rule_count == 1 ? "" : "s", cluster, cluster, e->id);
        named++;
    }
    if (!named)
        cli_errorf("no firewall rule for %s/%s is on cluster %s: nothing of it was left", port_text,
                   brev_protocol_name(rule->protocol), cluster);
    brev_firewall_list_free(list);
}

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
    if (rc != BREV_OK) {
        exit_code = cli_fail(rc);
        if (rc == BREV_ECANCELLED)
            report_firewall_left(client, cluster, &rule, NULL);
        return exit_code;
    }
    /* Show the rule as the cloud holds it, not as typed: the library
     * normalises (203.0.113.7 is 203.0.113.7/32, duplicates go, 1-65535 is
     * "all"), and what was applied is what the user must reason about. */
    brev_firewall_list *list = NULL;
    const brev_firewall_entry *e = NULL;
    rc = brev_firewall_list_rules(client, cluster, &list);
    if (rc == BREV_OK && !(e = entry_of(list, rule_id)))
        rc = BREV_ENOTFOUND;
    if (rc != BREV_OK) {
        cli_errorf("firewall rule %s was added to cluster %s, but reading it back failed: %s", rule_id, cluster,
                   rc == BREV_ENOTFOUND && list ? "it is not listed" : brev_error_message());
        brev_firewall_list_free(list);
        brev_string_free(rule_id);
        return rc == BREV_ENOTFOUND ? CLI_EXIT_ERROR : cli_exit_code(rc);
    }
    char port_text[32];
    format_ports(e->from_port, e->to_port, port_text, sizeof port_text);
    if (ctx->json) {
        json_t *doc = json_pack("{s:o, s:s, s:s, s:i, s:i, s:s, s:o, s:o}", "id", cli_json_str(e->id), "cluster_id",
                                cluster, "ports", port_text, "from_port", e->from_port, "to_port", e->to_port,
                                "protocol", brev_protocol_name(e->protocol), "cidrs",
                                string_array(e->cidrs, e->cidr_count), "security_rule_ids",
                                string_array(e->security_rule_ids, e->security_rule_count));
        exit_code = cli_json_emit(doc) < 0 ? CLI_EXIT_ERROR : CLI_EXIT_OK;
    } else {
        char cidr_text[512];
        join_cidrs(e->cidrs, e->cidr_count, cidr_text, sizeof cidr_text);
        printf("opened %s/%s from %s on cluster %s: rule %s\n", port_text, brev_protocol_name(e->protocol),
               cidr_text, cluster, e->id);
    }
    if (cli_cancel_pending()) {
        /* Ctrl-C came during the last operation's last poll: too late to
         * stop, so say plainly that the rule stands and how to undo it. */
        cli_errorf("cancelled too late: the add had finished");
        report_firewall_left(client, cluster, &rule, rule_id);
        exit_code = CLI_EXIT_CANCELLED;
    }
    brev_firewall_list_free(list);
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
            char port_text[32], cidrs[512], rules[16];
            format_ports(e->from_port, e->to_port, port_text, sizeof port_text);
            join_cidrs(e->cidrs, e->cidr_count, cidrs, sizeof cidrs);
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
