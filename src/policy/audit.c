/* The policy audit: reads a cluster back from the API (group, rules,
 * instances, boot disks) and reports every way it differs from the model:
 * inbound only from the group itself and from firewall rules, outbound to
 * anywhere, members only on their own group, boot disks encrypted. */
#include "policy/policy.h"

#include <arpa/inet.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "compute/labels.h"
#include "nebius/compute/v1/disk.pb-c.h"
#include "nebius/compute/v1/instance.pb-c.h"
#include "policy/compile.h"
#include "util/error.h"
#include "util/str.h"

const char *brev_finding_kind_name(brev_finding_kind kind)
{
    switch (kind) {
    case BREV_FINDING_MISSING_GROUP: return "missing-group";
    case BREV_FINDING_UNEXPLAINED_INGRESS: return "unexplained-ingress";
    case BREV_FINDING_MISSING_EGRESS: return "missing-egress";
    case BREV_FINDING_NARROWED_EGRESS: return "narrowed-egress";
    case BREV_FINDING_MISSING_SELF_RULE: return "missing-self-rule";
    case BREV_FINDING_FOREIGN_GROUP_REFERENCE: return "foreign-group-reference";
    case BREV_FINDING_INSTANCE_OFF_GROUP: return "instance-off-group";
    case BREV_FINDING_FOREIGN_INSTANCE: return "foreign-instance";
    case BREV_FINDING_UNENCRYPTED_DISK: return "unencrypted-disk";
    case BREV_FINDING_NARROWED_SELF: return "narrowed-self";
    }
    return "unknown";
}

const char *brev_severity_name(brev_severity severity)
{
    switch (severity) {
    case BREV_SEVERITY_INFO: return "info";
    case BREV_SEVERITY_WARNING: return "warning";
    case BREV_SEVERITY_CRITICAL: return "critical";
    }
    return "unknown";
}

typedef Nebius__Vpc__V1__SecurityRule rule_t;

static int add_finding(brev_audit_report *r, brev_finding_kind kind, brev_severity severity, const char *resource,
                       const char *fmt, ...) __attribute__((format(printf, 5, 6)));

static int add_finding(brev_audit_report *r, brev_finding_kind kind, brev_severity severity, const char *resource,
                       const char *fmt, ...)
{
    char message[768];
    brev_finding *grown;
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(message, sizeof message, fmt, ap);
    va_end(ap);
    grown = realloc(r->findings, (r->count + 1) * sizeof *grown);
    if (!grown)
        return bn_err_set(BREV_ENOMEM, "out of memory");
    r->findings = grown;
    grown[r->count].kind = kind;
    grown[r->count].severity = severity;
    grown[r->count].resource_id = bn_strdup(resource);
    grown[r->count].message = bn_strdup(message);
    r->count++;
    if (!grown[r->count - 1].resource_id || !grown[r->count - 1].message)
        return BREV_ENOMEM;
    return BREV_OK;
}

static const char *rule_id_of(const rule_t *r)
{
    return r->metadata && r->metadata->id ? r->metadata->id : "";
}

static const char *rule_name_of(const rule_t *r)
{
    return r->metadata && r->metadata->name ? r->metadata->name : "";
}

static int is_ingress(const rule_t *r)
{
    return r->spec && r->spec->match_case == NEBIUS__VPC__V1__SECURITY_RULE_SPEC__MATCH_INGRESS && r->spec->ingress;
}

static int is_egress(const rule_t *r)
{
    return r->spec && r->spec->match_case == NEBIUS__VPC__V1__SECURITY_RULE_SPEC__MATCH_EGRESS && r->spec->egress;
}

/* The group another rule points at, or NULL when it points at none or at us. */
static const char *foreign_group(const rule_t *r, const char *group_id)
{
    const char *other = NULL;

    if (is_ingress(r))
        other = r->spec->ingress->source_security_group_id;
    else if (is_egress(r))
        other = r->spec->egress->destination_security_group_id;
    if (!other || !*other || strcmp(other, group_id) == 0)
        return NULL;
    return other;
}

/* --- firewall rules: does the rule match what its firewall id compiles to? -------------- */

static int same_cidr_set(char **have, size_t n_have, const bn_fw_security_rule *want)
{
    if (n_have != want->cidr_count)
        return 0;
    for (size_t i = 0; i < n_have; i++) {
        int found = 0;
        for (size_t j = 0; j < want->cidr_count && !found; j++)
            found = strcmp(have[i], want->cidrs[j]) == 0;
        if (!found)
            return 0;
    }
    return 1;
}

static int spec_matches(const rule_t *r, const bn_fw_security_rule *want)
{
    const Nebius__Vpc__V1__RuleIngress *in;

    /* Firewall rules are created STATEFUL (type unset): a STATELESS one is
     * not what the rule compiles to. */
    if (!is_ingress(r) || r->spec->access != NEBIUS__VPC__V1__RULE_ACCESS_ACTION__ALLOW ||
        (int)r->spec->protocol != want->protocol || !bn_policy_rule_is_stateful(r))
        return 0;
    in = r->spec->ingress;
    if ((in->source_security_group_id && *in->source_security_group_id) || in->n_destination_ports != want->port_count)
        return 0;
    for (size_t i = 0; i < want->port_count; i++)
        if (in->destination_ports[i] != want->ports[i])
            return 0;
    return same_cidr_set(in->source_cidrs, in->n_source_cidrs, want);
}

/* Rebuilds the firewall rule from the labels and CIDRs of every rule that
 * carries fw_id, compiles it, and checks the id and the one planned rule
 * named like r. 1 = explained. */
static int firewall_rule_explains(const rule_t *r, const bn_msg_list *rules, const char *fw_id)
{
    const char *ports = bn_meta_label(r->metadata, BN_POLICY_LABEL_PORTS);
    const char *proto = bn_meta_label(r->metadata, BN_POLICY_LABEL_PROTOCOL);
    brev_firewall_rule fr;
    const char **cidrs = NULL;
    size_t n_cidrs = 0, cap = 0;
    bn_fw_plan plan;
    int explained = 0;
    brev_error saved;

    bn_err_save(&saved);
    memset(&fr, 0, sizeof fr);
    if (!ports || !proto || bn_fw_port_parse(ports, &fr.from_port, &fr.to_port) != BREV_OK ||
        brev_protocol_parse(proto, &fr.protocol) != BREV_OK)
        goto out;
    for (size_t i = 0; i < rules->count; i++) {
        const rule_t *o = (const rule_t *)rules->items[i];
        const char *id = bn_meta_label(o->metadata, BN_POLICY_LABEL_FIREWALL_ID);
        if (!id || strcmp(id, fw_id) != 0 || !is_ingress(o))
            continue;
        for (size_t c = 0; c < o->spec->ingress->n_source_cidrs; c++) {
            if (n_cidrs == cap) {
                size_t ncap = cap ? cap * 2 : 16;
                const char **grown = realloc(cidrs, ncap * sizeof *grown);
                if (!grown)
                    goto out;
                cidrs = grown;
                cap = ncap;
            }
            cidrs[n_cidrs++] = o->spec->ingress->source_cidrs[c];
        }
    }
    fr.cidrs = cidrs;
    fr.cidr_count = n_cidrs;
    if (bn_fw_compile(&fr, &plan) != BREV_OK)
        goto out;
    if (strcmp(plan.rule.id, fw_id) == 0) {
        for (size_t k = 0; k < plan.count && !explained; k++)
            explained = strcmp(plan.rules[k].name, rule_name_of(r)) == 0 && spec_matches(r, &plan.rules[k]);
    }
    bn_fw_plan_free(&plan);
out:
    free(cidrs);
    bn_err_restore(&saved);
    return explained;
}

/* --- the group's rules ------------------------------------------------------------------ */

/* Private IPv4 addresses of the cluster's members (what a source CIDR of an
 * ingress rule is matched against). */
typedef struct member_ips {
    size_t count;
    uint32_t *addr; /* host order */
    char (*text)[INET_ADDRSTRLEN];
} member_ips;

/* "a.b.c.d" or "a.b.c.d/n" -> address and prefix (32 for a bare address). */
static int parse_ipv4(const char *text, uint32_t *addr, int *prefix)
{
    char buf[INET_ADDRSTRLEN + 4];
    const char *slash = strchr(text, '/');
    size_t len = slash ? (size_t)(slash - text) : strlen(text);
    struct in_addr a;
    char *end = NULL;
    long p = 32;

    if (len == 0 || len >= INET_ADDRSTRLEN)
        return -1;
    memcpy(buf, text, len);
    buf[len] = '\0';
    if (inet_pton(AF_INET, buf, &a) != 1)
        return -1;
    if (slash) {
        p = strtol(slash + 1, &end, 10);
        if (end == slash + 1 || *end || p < 0 || p > 32)
            return -1;
    }
    *addr = ntohl(a.s_addr);
    *prefix = (int)p;
    return 0;
}

static int cidr_contains(const char *cidr, uint32_t ip)
{
    uint32_t net, mask;
    int prefix;

    /* The API only stores valid IPv4 CIDRs; one this cannot read matches nothing here. */
    if (parse_ipv4(cidr, &net, &prefix) < 0)
        return 0;
    mask = prefix == 0 ? 0 : 0xFFFFFFFFu << (32 - prefix);
    return (ip & mask) == (net & mask);
}

static int members_collect(const bn_msg_list *instances, const char *cluster_id, const char *group_id,
                           member_ips *out)
{
    size_t cap = 0;

    for (size_t i = 0; i < instances->count; i++) {
        const Nebius__Compute__V1__Instance *inst = (const Nebius__Compute__V1__Instance *)instances->items[i];
        if (!bn_policy_instance_in_cluster(instances->items[i], cluster_id, *group_id ? group_id : NULL) ||
            !inst->status)
            continue;
        for (size_t n = 0; n < inst->status->n_network_interfaces; n++) {
            const Nebius__Compute__V1__NetworkInterfaceStatus *ns = inst->status->network_interfaces[n];
            uint32_t ip;
            int prefix;
            if (!ns || !ns->ip_address || !ns->ip_address->address ||
                parse_ipv4(ns->ip_address->address, &ip, &prefix) < 0)
                continue;
            if (out->count == cap) {
                size_t ncap = cap ? cap * 2 : 8;
                uint32_t *a = realloc(out->addr, ncap * sizeof *a);
                if (!a)
                    return bn_err_set(BREV_ENOMEM, "out of memory");
                out->addr = a;
                char(*t)[INET_ADDRSTRLEN] = realloc(out->text, ncap * sizeof *t);
                if (!t)
                    return bn_err_set(BREV_ENOMEM, "out of memory");
                out->text = t;
                cap = ncap;
            }
            out->addr[out->count] = ip;
            {
                struct in_addr a = {htonl(ip)};
                inet_ntop(AF_INET, &a, out->text[out->count], INET_ADDRSTRLEN);
            }
            out->count++;
        }
    }
    return BREV_OK;
}

static void members_free(member_ips *m)
{
    free(m->addr);
    free(m->text);
    memset(m, 0, sizeof *m);
}

/* The order the API evaluates rules in: effective priority, lower first
 * (0/unset is 500); at equal priority DENY before ALLOW. */
static int32_t rule_priority(const rule_t *r)
{
    if (r->status && r->status->effective_priority > 0)
        return r->status->effective_priority;
    if (r->spec && r->spec->priority > 0)
        return r->spec->priority;
    return 500;
}

/* Does an ingress rule's source take in members of the cluster? *why says how. */
static int source_covers_members(const rule_t *r, const char *group_id, const member_ips *members, char *why,
                                 size_t cap)
{
    const Nebius__Vpc__V1__RuleIngress *in = r->spec->ingress;

    if (in->source_security_group_id && *in->source_security_group_id) {
        snprintf(why, cap, "from the cluster's own group");
        return strcmp(in->source_security_group_id, group_id) == 0;
    }
    if (in->n_source_cidrs == 0) {
        snprintf(why, cap, "from any source");
        return 1;
    }
    for (size_t c = 0; c < in->n_source_cidrs; c++)
        for (size_t m = 0; m < members->count; m++)
            if (cidr_contains(in->source_cidrs[c], members->addr[m])) {
                snprintf(why, cap, "from %s, which holds member address %s", in->source_cidrs[c], members->text[m]);
                return 1;
            }
    return 0;
}

static int audit_rules(brev_audit_report *report, const char *group_id, const bn_msg_list *rules,
                       const member_ips *members)
{
    int have_self = 0, have_egress_all = 0;
    int32_t self_priority = 0;
    const rule_t *stateless_self = NULL;
    int rc = BREV_OK;

    for (size_t i = 0; i < rules->count; i++) {
        const rule_t *r = (const rule_t *)rules->items[i];
        if (foreign_group(r, group_id))
            continue;
        if (bn_policy_is_self_rule(r, group_id)) {
            /* The earliest self rule is the one a DENY would have to beat. */
            if (!have_self || rule_priority(r) < self_priority)
                self_priority = rule_priority(r);
            have_self = 1;
        } else if (bn_policy_has_self_shape(r, group_id)) {
            stateless_self = r;
        }
        have_egress_all |= bn_policy_is_egress_all_rule(r);
    }

    for (size_t i = 0; rc == BREV_OK && i < rules->count; i++) {
        const rule_t *r = (const rule_t *)rules->items[i];
        const char *other = foreign_group(r, group_id);
        const char *id = rule_id_of(r);
        int allow = r->spec && r->spec->access == NEBIUS__VPC__V1__RULE_ACCESS_ACTION__ALLOW;

        if (other) {
            rc = add_finding(report, BREV_FINDING_FOREIGN_GROUP_REFERENCE, BREV_SEVERITY_CRITICAL, id,
                             "%s rule '%s' references security group %s: clusters must only trust their own group",
                             is_ingress(r) ? "ingress" : "egress", rule_name_of(r), other);
        } else if (is_ingress(r)) {
            const char *fw = bn_meta_label(r->metadata, BN_POLICY_LABEL_FIREWALL_ID);
            const char *kind = bn_meta_label(r->metadata, BN_POLICY_LABEL_RULE);
            char why[160];
            if (!allow) {
                /* A DENY only narrows what the model allows, and against
                 * outsiders that is no deviation. But rules are evaluated
                 * by priority, lower first and DENY before ALLOW at equal
                 * priority: a DENY that takes in members and comes no later
                 * than the self rule cuts traffic inside the cluster. */
                if (have_self && rule_priority(r) <= self_priority &&
                    source_covers_members(r, group_id, members, why, sizeof why))
                    rc = add_finding(report, BREV_FINDING_NARROWED_SELF, BREV_SEVERITY_WARNING, id,
                                     "ingress DENY rule '%s' (priority %d) %s is evaluated before the self rule "
                                     "(priority %d): it blocks what it matches between members of the cluster, "
                                     "which the model lets talk on every port",
                                     rule_name_of(r), (int)rule_priority(r), why, (int)self_priority);
                continue;
            }
            /* The self rule, or one of its shape reported below for its type:
             * either way it admits members only. */
            if (bn_policy_has_self_shape(r, group_id))
                continue;
            if (fw && kind && strcmp(kind, "firewall") == 0 && firewall_rule_explains(r, rules, fw))
                continue;
            rc = add_finding(report, BREV_FINDING_UNEXPLAINED_INGRESS, BREV_SEVERITY_CRITICAL, id,
                             fw ? "ingress rule '%s' claims firewall rule %s but does not match what that rule "
                                  "compiles to%s"
                                : "ingress rule '%s' allows traffic no firewall rule asked for%s%s",
                             rule_name_of(r), fw ? fw : "",
                             bn_policy_rule_is_stateful(r) ? "" : " (it is STATELESS; firewall rules are STATEFUL)");
        } else if (is_egress(r)) {
            if (!allow)
                rc = add_finding(report, BREV_FINDING_NARROWED_EGRESS, BREV_SEVERITY_WARNING, id,
                                 "egress rule '%s' denies outbound traffic; the model allows all outbound",
                                 rule_name_of(r));
            else if (!have_egress_all && bn_policy_has_egress_all_shape(r))
                rc = add_finding(report, BREV_FINDING_NARROWED_EGRESS, BREV_SEVERITY_WARNING, id,
                                 "egress rule '%s' is STATELESS: requests go out but their replies are not let "
                                 "back in (the group ends in an implicit deny); the model's egress rule is STATEFUL",
                                 rule_name_of(r));
            else if (!have_egress_all)
                rc = add_finding(report, BREV_FINDING_NARROWED_EGRESS, BREV_SEVERITY_WARNING, id,
                                 "egress rule '%s' allows only part of the outbound traffic (the model: protocol "
                                 "any, every port, to %s)",
                                 rule_name_of(r), BN_POLICY_EVERYWHERE);
        } else {
            rc = add_finding(report, BREV_FINDING_UNEXPLAINED_INGRESS, BREV_SEVERITY_CRITICAL, id,
                             "rule '%s' has no direction this audit understands", rule_name_of(r));
        }
    }
    if (rc == BREV_OK && !have_self && stateless_self)
        rc = add_finding(report, BREV_FINDING_MISSING_SELF_RULE, BREV_SEVERITY_WARNING, rule_id_of(stateless_self),
                         "rule '%s' admits the group itself but is STATELESS: the model's self rule is STATEFUL, "
                         "so replies between members do not depend on rules for their direction",
                         rule_name_of(stateless_self));
    else if (rc == BREV_OK && !have_self)
        rc = add_finding(report, BREV_FINDING_MISSING_SELF_RULE, BREV_SEVERITY_WARNING, group_id,
                         "no ingress rule allows the group itself: instances of the cluster cannot reach each other");
    if (rc == BREV_OK && !have_egress_all) {
        int any_egress_allow = 0;
        for (size_t i = 0; i < rules->count; i++) {
            const rule_t *r = (const rule_t *)rules->items[i];
            any_egress_allow |= is_egress(r) && r->spec->access == NEBIUS__VPC__V1__RULE_ACCESS_ACTION__ALLOW &&
                                !foreign_group(r, group_id);
        }
        /* A narrowed allow was already reported rule by rule. */
        if (!any_egress_allow)
            rc = add_finding(report, BREV_FINDING_MISSING_EGRESS, BREV_SEVERITY_WARNING, group_id,
                             "no egress rule allows outbound traffic: the group's implicit deny blocks all of it");
    }
    return rc;
}

/* --- instances and their boot disks ----------------------------------------------------- */

/* Appends id to a ", "-separated list unless it is there already. */
static void note_group(char *list, size_t cap, const char *id)
{
    size_t used = strlen(list);
    const char *p = list;
    size_t n = strlen(id);

    while ((p = strstr(p, id)) != NULL) {
        if ((p == list || p[-1] == ' ') && (p[n] == '\0' || p[n] == ','))
            return;
        p += n;
    }
    snprintf(list + used, cap - used, "%s%s", used ? ", " : "", id);
}

/* Each interface is judged on the groups asked for (spec) and the groups in
 * effect (status): either may show the deviation first. */
static int audit_interfaces(brev_audit_report *report, const Nebius__Compute__V1__Instance *inst,
                            const char *group_id)
{
    const char *id = inst->metadata && inst->metadata->id ? inst->metadata->id : "";
    int rc = BREV_OK;

    for (size_t i = 0; rc == BREV_OK && inst->spec && i < inst->spec->n_network_interfaces; i++) {
        const Nebius__Compute__V1__NetworkInterfaceSpec *nic = inst->spec->network_interfaces[i];
        const Nebius__Compute__V1__NetworkInterfaceStatus *ns =
            inst->status && i < inst->status->n_network_interfaces ? inst->status->network_interfaces[i] : NULL;
        const char *name = nic && nic->name ? nic->name : "";
        int on_ours = 0;
        char others[512] = "";

        for (size_t j = 0; nic && j < nic->n_security_groups; j++) {
            const char *sg = nic->security_groups[j] && nic->security_groups[j]->id ? nic->security_groups[j]->id : "";
            if (*group_id && strcmp(sg, group_id) == 0)
                on_ours = 1;
            else
                note_group(others, sizeof others, sg);
        }
        for (size_t j = 0; ns && j < ns->n_security_groups; j++) {
            const char *sg = ns->security_groups[j] && ns->security_groups[j]->id ? ns->security_groups[j]->id : "";
            if (!(*group_id && strcmp(sg, group_id) == 0))
                note_group(others, sizeof others, sg);
        }
        if (!nic || nic->n_security_groups == 0)
            rc = add_finding(report, BREV_FINDING_INSTANCE_OFF_GROUP, BREV_SEVERITY_CRITICAL, id,
                             "interface %s of instance %s has no security group: the network's default group "
                             "applies instead of the cluster's",
                             name, id);
        else if (!on_ours)
            rc = add_finding(report, BREV_FINDING_INSTANCE_OFF_GROUP, BREV_SEVERITY_CRITICAL, id,
                             "interface %s of instance %s is on %s, not on the cluster's group%s%s", name, id, others,
                             *group_id ? " " : "", group_id);
        else if (*others)
            rc = add_finding(report, BREV_FINDING_INSTANCE_OFF_GROUP, BREV_SEVERITY_CRITICAL, id,
                             "interface %s of instance %s is also on %s: those groups' rules widen the cluster's",
                             name, id, others);
    }
    return rc;
}

/* An instance outside the cluster on the cluster's group shares the self
 * rule: it reaches every member on every port, and they reach it. */
static int audit_foreign_member(brev_audit_report *report, const Nebius__Compute__V1__Instance *inst,
                                const char *group_id, const char *cluster_label)
{
    const char *id = inst->metadata && inst->metadata->id ? inst->metadata->id : "";

    for (size_t i = 0; *group_id && inst->spec && i < inst->spec->n_network_interfaces; i++) {
        const Nebius__Compute__V1__NetworkInterfaceSpec *nic = inst->spec->network_interfaces[i];
        for (size_t j = 0; nic && j < nic->n_security_groups; j++) {
            const char *sg = nic->security_groups[j] && nic->security_groups[j]->id ? nic->security_groups[j]->id : "";
            if (strcmp(sg, group_id) != 0)
                continue;
            if (cluster_label)
                return add_finding(report, BREV_FINDING_FOREIGN_INSTANCE, BREV_SEVERITY_CRITICAL, id,
                                   "instance %s of cluster %s is on this cluster's group %s: the self rule lets it "
                                   "reach every member",
                                   id, cluster_label, group_id);
            return add_finding(report, BREV_FINDING_FOREIGN_INSTANCE, BREV_SEVERITY_CRITICAL, id,
                               "instance %s belongs to no cluster but is on this cluster's group %s: the self rule "
                               "lets it reach every member",
                               id, group_id);
        }
    }
    return BREV_OK;
}

static int encryption_managed(const Nebius__Compute__V1__DiskSpec *spec)
{
    return spec && spec->disk_encryption &&
           spec->disk_encryption->type == NEBIUS__COMPUTE__V1__DISK_ENCRYPTION__DISK_ENCRYPTION_TYPE__DISK_ENCRYPTION_MANAGED;
}

static int audit_boot_disk(brev_client *client, brev_audit_report *report, const Nebius__Compute__V1__Instance *inst)
{
    const Nebius__Compute__V1__AttachedDiskSpec *boot = inst->spec ? inst->spec->boot_disk : NULL;
    const char *inst_id = inst->metadata && inst->metadata->id ? inst->metadata->id : "";
    ProtobufCMessage *msg = NULL;
    const char *disk_id;
    int encrypted, rc;

    if (!boot)
        return BREV_OK;
    if (boot->type_case == NEBIUS__COMPUTE__V1__ATTACHED_DISK_SPEC__TYPE_MANAGED_DISK && boot->managed_disk) {
        if (encryption_managed(boot->managed_disk->spec))
            return BREV_OK;
        return add_finding(report, BREV_FINDING_UNENCRYPTED_DISK, BREV_SEVERITY_WARNING, inst_id,
                           "the managed boot disk '%s' of instance %s does not ask for managed encryption at rest",
                           boot->managed_disk->name ? boot->managed_disk->name : "", inst_id);
    }
    if (boot->type_case != NEBIUS__COMPUTE__V1__ATTACHED_DISK_SPEC__TYPE_EXISTING_DISK || !boot->existing_disk)
        return BREV_OK;
    disk_id = boot->existing_disk->id ? boot->existing_disk->id : "";
    rc = bn_res_get(client->rpc, &bn_kind_disk, disk_id, &msg);
    if (rc == BREV_ENOTFOUND) {
        brev_error_clear();
        return BREV_OK; /* being deleted with its instance */
    }
    if (rc < 0)
        return rc;
    encrypted = encryption_managed(((const Nebius__Compute__V1__Disk *)msg)->spec);
    protobuf_c_message_free_unpacked(msg, NULL);
    if (encrypted)
        return BREV_OK;
    return add_finding(report, BREV_FINDING_UNENCRYPTED_DISK, BREV_SEVERITY_WARNING, disk_id,
                       "boot disk %s of instance %s is not encrypted at rest with managed keys (disk_encryption "
                       "MANAGED)",
                       disk_id, inst_id);
}

/* --- the audit -------------------------------------------------------------------------- */

int brev_policy_audit(brev_client *client, const char *cluster_id, brev_audit_report **out)
{
    Nebius__Vpc__V1__SecurityGroup *group = NULL;
    bn_msg_list rules = {0}, instances = {0};
    member_ips members = {0, NULL, NULL};
    brev_audit_report *report;
    const char *project;
    int rc;

    if (out)
        *out = NULL;
    if (!client || !out)
        return bn_err_set(BREV_EINVAL, "client and out must not be NULL");
    rc = bn_policy_cluster_id_check(cluster_id);
    if (rc < 0)
        return rc;
    rc = bn_client_project(client, &project);
    if (rc < 0)
        return rc;
    report = calloc(1, sizeof *report);
    if (!report)
        return bn_err_set(BREV_ENOMEM, "out of memory");
    report->cluster_id = bn_strdup(cluster_id);
    if (!report->cluster_id)
        rc = BREV_ENOMEM;

    if (rc == BREV_OK) {
        rc = bn_policy_group_get(client, project, cluster_id, &group);
        if (rc == BREV_ENOTFOUND) {
            brev_error_clear();
            rc = add_finding(report, BREV_FINDING_MISSING_GROUP, BREV_SEVERITY_CRITICAL, "",
                             "cluster %s has no security group %s%s: its instances are not isolated by it",
                             cluster_id, BN_POLICY_GROUP_PREFIX, cluster_id);
        }
    }
    report->security_group_id = bn_strdup(group && group->metadata ? group->metadata->id : "");
    if (rc == BREV_OK && !report->security_group_id)
        rc = BREV_ENOMEM;
    /* Instances first: whether a DENY rule cuts the cluster depends on its members' addresses. */
    if (rc == BREV_OK)
        rc = bn_policy_instances_list(client, project, &instances);
    if (rc == BREV_OK)
        rc = members_collect(&instances, cluster_id, report->security_group_id, &members);
    if (rc == BREV_OK && group) {
        rc = bn_policy_rules_list(client, report->security_group_id, &rules);
        if (rc == BREV_OK)
            rc = audit_rules(report, report->security_group_id, &rules, &members);
    }
    for (size_t i = 0; rc == BREV_OK && i < instances.count; i++) {
        const Nebius__Compute__V1__Instance *inst = (const Nebius__Compute__V1__Instance *)instances.items[i];
        const char *label = bn_meta_label(inst->metadata, BN_POLICY_LABEL_CLUSTER);
        if (!label || strcmp(label, cluster_id) != 0) {
            rc = audit_foreign_member(report, inst, report->security_group_id, label);
            continue;
        }
        rc = audit_interfaces(report, inst, report->security_group_id);
        if (rc == BREV_OK)
            rc = audit_boot_disk(client, report, inst);
    }
    bn_msg_list_free(&rules);
    bn_msg_list_free(&instances);
    members_free(&members);
    if (group)
        protobuf_c_message_free_unpacked(&group->base, NULL);
    if (rc < 0) {
        brev_audit_report_free(report);
        return bn_err_prefix("auditing cluster %s", cluster_id);
    }
    *out = report;
    return BREV_OK;
}

void brev_audit_report_free(brev_audit_report *report)
{
    if (!report)
        return;
    for (size_t i = 0; i < report->count; i++) {
        free(report->findings[i].resource_id);
        free(report->findings[i].message);
    }
    free(report->findings);
    free(report->cluster_id);
    free(report->security_group_id);
    free(report);
}
