/* Firewall rules on a cluster: add (compile, create what is missing), revoke
 * (delete exactly the rules labelled with the id), list (group by id). */
#include "policy/policy.h"

#include <stdlib.h>
#include <string.h>

#include "compute/labels.h"
#include "policy/compile.h"
#include "util/error.h"
#include "util/str.h"

static const char *rule_label(const ProtobufCMessage *msg, const char *key)
{
    return bn_meta_label(((const Nebius__Vpc__V1__SecurityRule *)msg)->metadata, key);
}

static const char *rule_name(const ProtobufCMessage *msg)
{
    const Nebius__Vpc__V1__SecurityRule *r = (const Nebius__Vpc__V1__SecurityRule *)msg;
    return r->metadata && r->metadata->name ? r->metadata->name : "";
}

static const char *rule_resource_id(const ProtobufCMessage *msg)
{
    const Nebius__Vpc__V1__SecurityRule *r = (const Nebius__Vpc__V1__SecurityRule *)msg;
    return r->metadata && r->metadata->id ? r->metadata->id : "";
}

static int create_planned(brev_client *client, const char *group_id, const bn_fw_plan *plan,
                          const bn_fw_security_rule *r, const char *add_id, char **created_id)
{
    Nebius__Vpc__V1__SecurityRuleSpec spec = NEBIUS__VPC__V1__SECURITY_RULE_SPEC__INIT;
    Nebius__Vpc__V1__RuleIngress in = NEBIUS__VPC__V1__RULE_INGRESS__INIT;
    char cidr_copies[BN_FW_MAX_CIDRS_PER_RULE][BN_FW_CIDR_CAP];
    char *cidrs[BN_FW_MAX_CIDRS_PER_RULE];
    int32_t ports[BN_FW_MAX_PORTS_PER_RULE];
    char port_text[16];
    const char *labels[] = {BN_POLICY_LABEL_MANAGED,
                            "true",
                            BN_POLICY_LABEL_RULE,
                            "firewall",
                            BN_POLICY_LABEL_FIREWALL_ID,
                            plan->rule.id,
                            BN_POLICY_LABEL_PORTS,
                            port_text,
                            BN_POLICY_LABEL_PROTOCOL,
                            brev_protocol_name(plan->rule.protocol),
                            BN_POLICY_LABEL_ADD_ID,
                            add_id,
                            NULL};

    bn_fw_port_text(plan->rule.from_port, plan->rule.to_port, port_text, sizeof port_text);
    for (size_t i = 0; i < r->cidr_count; i++) {
        memcpy(cidr_copies[i], r->cidrs[i], BN_FW_CIDR_CAP);
        cidrs[i] = cidr_copies[i];
    }
    memcpy(ports, r->ports, sizeof ports);
    spec.access = NEBIUS__VPC__V1__RULE_ACCESS_ACTION__ALLOW;
    spec.protocol = (Nebius__Vpc__V1__RuleProtocol)r->protocol;
    spec.match_case = NEBIUS__VPC__V1__SECURITY_RULE_SPEC__MATCH_INGRESS;
    in.n_source_cidrs = r->cidr_count;
    in.source_cidrs = cidrs;
    in.n_destination_ports = r->port_count;
    in.destination_ports = r->port_count ? ports : NULL;
    spec.ingress = &in;
    return bn_policy_rule_create(client, group_id, r->name, &spec, labels, created_id);
}

/* Takes back what this add made: the security rules whose ids came back,
 * and the one whose create was sent but failed or was cancelled while
 * waiting (inflight, NULL if none), which may exist anyway and has no id
 * here: it is found by its deterministic name and this call's add id. A
 * same-named rule that was there before this call, or that a concurrent add
 * made (another add id), is left alone. */
static void undo_add(brev_client *client, const char *group_id, const bn_msg_list *before, const char *inflight,
                     const char *add_id, char *const *created, size_t n_created)
{
    bn_msg_list now = {0};
    const char **ids = calloc(n_created + 1, sizeof *ids);
    size_t n = 0;

    if (!ids)
        return;
    for (size_t i = 0; i < n_created; i++)
        ids[n++] = created[i];
    if (inflight && bn_policy_rules_list(client, group_id, &now) == BREV_OK) {
        for (size_t i = 0; i < now.count; i++) {
            int was_there = 0;
            for (size_t j = 0; j < before->count && !was_there; j++)
                was_there = strcmp(rule_name(before->items[j]), inflight) == 0;
            const char *maker = rule_label(now.items[i], BN_POLICY_LABEL_ADD_ID);
            if (!was_there && strcmp(rule_name(now.items[i]), inflight) == 0 && *rule_resource_id(now.items[i]) &&
                maker && strcmp(maker, add_id) == 0) {
                ids[n++] = rule_resource_id(now.items[i]);
                break;
            }
        }
    }
    if (n && bn_policy_rules_delete(client, ids, n) < 0)
        bn_log(&client->logger, BREV_LOG_WARN, "a firewall rule may be left half-added in group %s: %s", group_id,
               brev_error_message());
    free(ids);
    bn_msg_list_free(&now);
}

int brev_firewall_add(brev_client *client, const char *cluster_id, const brev_firewall_rule *rule, char **rule_id_out)
{
    bn_fw_plan plan;
    char *group_id = NULL;
    bn_msg_list existing = {0};
    char **created = NULL;
    size_t n_created = 0;
    int listed_before = 0; /* creates were sent only after the rules were listed */
    const char *inflight = NULL;
    char add_id[37];
    int rc;

    if (rule_id_out)
        *rule_id_out = NULL;
    if (!client)
        return bn_err_set(BREV_EINVAL, "client must not be NULL");
    rc = bn_policy_cluster_id_check(cluster_id);
    if (rc < 0)
        return rc;
    /* Compile first: a bad or too wide rule creates nothing, not even the group. */
    rc = bn_fw_compile(rule, &plan);
    if (rc < 0)
        return rc;
    if (bn_uuid4(add_id) != 0) {
        bn_fw_plan_free(&plan);
        return bn_err_set(BREV_ERROR, "no randomness for the add's id");
    }
    created = calloc(plan.count, sizeof *created);
    if (!created) {
        bn_fw_plan_free(&plan);
        return bn_err_set(BREV_ENOMEM, "out of memory");
    }
    rc = bn_policy_cluster_group(client, cluster_id, &group_id);
    if (rc == BREV_OK)
        rc = bn_policy_rules_list(client, group_id, &existing);
    listed_before = rc == BREV_OK;
    /* A rule holding one of our deterministic names without our label was
     * not made for this firewall rule: its create would fail ALREADY_EXISTS,
     * which counts as success, and the caller would be told a port is open
     * as asked when the cloud holds something else. Refuse before creating. */
    for (size_t k = 0; rc == BREV_OK && k < plan.count; k++) {
        for (size_t i = 0; i < existing.count; i++) {
            const char *fw = rule_label(existing.items[i], BN_POLICY_LABEL_FIREWALL_ID);
            if (strcmp(rule_name(existing.items[i]), plan.rules[k].name) == 0 &&
                (!fw || strcmp(fw, plan.rule.id) != 0)) {
                rc = bn_err_set(BREV_EPRECONDITION,
                                "security rule %s (%s) in group %s has this firewall rule's name but was not made "
                                "for it; delete or rename it",
                                rule_resource_id(existing.items[i]), plan.rules[k].name, group_id);
                break;
            }
        }
    }
    for (size_t k = 0; rc == BREV_OK && k < plan.count; k++) {
        int present = 0;
        for (size_t i = 0; i < existing.count && !present; i++) {
            const char *fw = rule_label(existing.items[i], BN_POLICY_LABEL_FIREWALL_ID);
            present = fw && strcmp(fw, plan.rule.id) == 0 && strcmp(rule_name(existing.items[i]), plan.rules[k].name) == 0;
        }
        if (!present) {
            rc = create_planned(client, group_id, &plan, &plan.rules[k], add_id, &created[n_created]);
            if (created[n_created])
                n_created++;
            else if (rc < 0)
                inflight = plan.rules[k].name;
        }
    }
    if (rc < 0 && listed_before) {
        /* Half a firewall rule is a rule nobody asked for: take back what
         * this call created, keeping the error that stopped it. */
        brev_error saved;
        bn_err_save(&saved);
        bn_client_cleanup_begin();
        undo_add(client, group_id, &existing, inflight, add_id, created, n_created);
        bn_client_cleanup_end();
        bn_err_restore(&saved);
    }
    if (rc == BREV_OK && rule_id_out) {
        *rule_id_out = bn_strdup(plan.rule.id);
        if (!*rule_id_out)
            rc = BREV_ENOMEM;
    }
    if (rc < 0)
        bn_err_prefix("adding firewall rule %s to cluster %s", plan.rule.id, cluster_id);
    for (size_t i = 0; i < n_created; i++)
        free(created[i]);
    free(created);
    bn_msg_list_free(&existing);
    free(group_id);
    bn_fw_plan_free(&plan);
    return rc;
}

/* The cluster's group id, or BREV_ENOTFOUND when the cluster has none. */
static int cluster_group_id(brev_client *client, const char *cluster_id, char **group_id)
{
    Nebius__Vpc__V1__SecurityGroup *group = NULL;
    const char *project;
    int rc;

    *group_id = NULL;
    rc = bn_client_project(client, &project);
    if (rc < 0)
        return rc;
    rc = bn_policy_group_get(client, project, cluster_id, &group);
    if (rc == BREV_ENOTFOUND)
        return bn_err_set(BREV_ENOTFOUND, "cluster %s has no security group", cluster_id);
    if (rc < 0)
        return rc;
    *group_id = bn_strdup(group->metadata ? group->metadata->id : "");
    protobuf_c_message_free_unpacked(&group->base, NULL);
    return *group_id ? BREV_OK : BREV_ENOMEM;
}

int brev_firewall_revoke(brev_client *client, const char *cluster_id, const char *rule_id)
{
    bn_msg_list rules = {0};
    const char **ids = NULL;
    char *group_id = NULL;
    size_t n = 0;
    int rc;

    if (!client)
        return bn_err_set(BREV_EINVAL, "client must not be NULL");
    rc = bn_policy_cluster_id_check(cluster_id);
    if (rc < 0)
        return rc;
    if (!bn_fw_id_valid(rule_id))
        return bn_err_set(BREV_EINVAL, "firewall rule id \"%s\" is not of the form fw-<12 hex digits>",
                          rule_id ? rule_id : "(null)");
    rc = cluster_group_id(client, cluster_id, &group_id);
    if (rc == BREV_OK)
        rc = bn_policy_rules_list(client, group_id, &rules);
    if (rc == BREV_OK) {
        ids = calloc(rules.count ? rules.count : 1, sizeof *ids);
        if (!ids)
            rc = bn_err_set(BREV_ENOMEM, "out of memory");
    }
    for (size_t i = 0; rc == BREV_OK && i < rules.count; i++) {
        const char *fw = rule_label(rules.items[i], BN_POLICY_LABEL_FIREWALL_ID);
        if (fw && strcmp(fw, rule_id) == 0)
            ids[n++] = rule_resource_id(rules.items[i]);
    }
    if (rc == BREV_OK && n == 0)
        rc = bn_err_set(BREV_ENOTFOUND, "cluster %s has no firewall rule %s", cluster_id, rule_id);
    if (rc == BREV_OK)
        rc = bn_policy_rules_delete(client, ids, n);
    if (rc < 0 && rc != BREV_ENOTFOUND)
        bn_err_prefix("revoking firewall rule %s of cluster %s", rule_id, cluster_id);
    free(ids);
    bn_msg_list_free(&rules);
    free(group_id);
    return rc;
}

/* --- listing ---------------------------------------------------------------------------- */

static int add_string(char ***items, size_t *count, const char *s)
{
    char **grown = realloc(*items, (*count + 1) * sizeof *grown);
    if (!grown)
        return bn_err_set(BREV_ENOMEM, "out of memory");
    *items = grown;
    grown[*count] = bn_strdup(s);
    if (!grown[*count])
        return BREV_ENOMEM;
    (*count)++;
    return BREV_OK;
}

static int has_string(char *const *items, size_t count, const char *s)
{
    for (size_t i = 0; i < count; i++)
        if (strcmp(items[i], s) == 0)
            return 1;
    return 0;
}

static int compare_strings(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static brev_firewall_entry *entry_for(brev_firewall_list *list, const char *id, const ProtobufCMessage *msg, int *rc)
{
    brev_firewall_entry *grown, *e;
    const char *ports = rule_label(msg, BN_POLICY_LABEL_PORTS);
    const char *proto = rule_label(msg, BN_POLICY_LABEL_PROTOCOL);

    for (size_t i = 0; i < list->count; i++)
        if (strcmp(list->items[i].id, id) == 0)
            return &list->items[i];
    grown = realloc(list->items, (list->count + 1) * sizeof *grown);
    if (!grown) {
        *rc = bn_err_set(BREV_ENOMEM, "out of memory");
        return NULL;
    }
    list->items = grown;
    e = &grown[list->count];
    memset(e, 0, sizeof *e);
    e->id = bn_strdup(id);
    if (!e->id) {
        *rc = BREV_ENOMEM;
        return NULL;
    }
    list->count++;
    /* Labels we wrote; unreadable ones are left at every port / TCP+UDP and
     * the audit reports the rule. */
    if (!ports || bn_fw_port_parse(ports, &e->from_port, &e->to_port) != BREV_OK)
        e->from_port = e->to_port = 0;
    if (!proto || brev_protocol_parse(proto, &e->protocol) != BREV_OK)
        e->protocol = BREV_PROTOCOL_TCP_UDP;
    brev_error_clear();
    return e;
}

int brev_firewall_list_rules(brev_client *client, const char *cluster_id, brev_firewall_list **out)
{
    bn_msg_list rules = {0};
    brev_firewall_list *list;
    char *group_id = NULL;
    int rc;

    if (out)
        *out = NULL;
    if (!client || !out)
        return bn_err_set(BREV_EINVAL, "client and out must not be NULL");
    rc = bn_policy_cluster_id_check(cluster_id);
    if (rc < 0)
        return rc;
    rc = cluster_group_id(client, cluster_id, &group_id);
    if (rc == BREV_OK)
        rc = bn_policy_rules_list(client, group_id, &rules);
    free(group_id);
    if (rc < 0)
        return rc;
    list = calloc(1, sizeof *list);
    if (!list) {
        bn_msg_list_free(&rules);
        return bn_err_set(BREV_ENOMEM, "out of memory");
    }
    for (size_t i = 0; rc == BREV_OK && i < rules.count; i++) {
        const Nebius__Vpc__V1__SecurityRule *r = (const Nebius__Vpc__V1__SecurityRule *)rules.items[i];
        const char *fw = rule_label(rules.items[i], BN_POLICY_LABEL_FIREWALL_ID);
        brev_firewall_entry *e;

        if (!fw || !*fw)
            continue;
        e = entry_for(list, fw, rules.items[i], &rc);
        if (!e)
            break;
        rc = add_string(&e->security_rule_ids, &e->security_rule_count, rule_resource_id(rules.items[i]));
        if (rc == BREV_OK && r->spec && r->spec->match_case == NEBIUS__VPC__V1__SECURITY_RULE_SPEC__MATCH_INGRESS &&
            r->spec->ingress) {
            for (size_t c = 0; rc == BREV_OK && c < r->spec->ingress->n_source_cidrs; c++)
                if (!has_string(e->cidrs, e->cidr_count, r->spec->ingress->source_cidrs[c]))
                    rc = add_string(&e->cidrs, &e->cidr_count, r->spec->ingress->source_cidrs[c]);
        }
    }
    bn_msg_list_free(&rules);
    if (rc < 0) {
        brev_firewall_list_free(list);
        return rc;
    }
    for (size_t i = 0; i < list->count; i++)
        if (list->items[i].cidr_count > 1)
            qsort(list->items[i].cidrs, list->items[i].cidr_count, sizeof(char *), compare_strings);
    *out = list;
    return BREV_OK;
}

void brev_firewall_list_free(brev_firewall_list *list)
{
    if (!list)
        return;
    for (size_t i = 0; i < list->count; i++) {
        brev_firewall_entry *e = &list->items[i];
        free(e->id);
        for (size_t c = 0; c < e->cidr_count; c++)
            free(e->cidrs[c]);
        free(e->cidrs);
        for (size_t s = 0; s < e->security_rule_count; s++)
            free(e->security_rule_ids[s]);
        free(e->security_rule_ids);
    }
    free(list->items);
    free(list);
}
