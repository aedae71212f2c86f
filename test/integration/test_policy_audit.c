/* The policy audit (brev_policy_audit): a clean cluster has no finding; each
 * kind of deviation, planted directly in nebius-sim's state the way a
 * console user or another tool would leave it, is found with its severity. */
#include "test_policy_fixture.h"

static fx_cluster a, b;
static char *web_rule;

static void setup_clusters(void)
{
    const char *cidrs[1] = {FX_EXTERNAL_IP};
    brev_firewall_rule web = {8000, 8011, cidrs, 1, BREV_PROTOCOL_TCP_UDP};
    fx_cluster_make(&a, "alpha", "10.0.0.11", "10.0.0.12");
    fx_cluster_make(&b, "bravo", "10.0.0.21", "10.0.0.22");
    /* a firewall rule of 4 security rules: the audit must explain them all */
    ck_assert_int_eq(brev_firewall_add(fx_client, "alpha", &web, &web_rule), BREV_OK);
}

static void teardown_clusters(void)
{
    fx_cluster_free(&a);
    fx_cluster_free(&b);
    brev_string_free(web_rule);
    web_rule = NULL;
}

static brev_audit_report *audit(const char *cluster)
{
    brev_audit_report *r = NULL;
    ck_assert_msg(brev_policy_audit(fx_client, cluster, &r) == BREV_OK, "audit: %s", brev_error_message());
    ck_assert_ptr_nonnull(r);
    ck_assert_str_eq(r->cluster_id, cluster);
    return r;
}

static void dump(const brev_audit_report *r)
{
    for (size_t i = 0; i < r->count; i++)
        fprintf(stderr, "  finding %s/%s %s: %s\n", brev_finding_kind_name(r->findings[i].kind),
                brev_severity_name(r->findings[i].severity), r->findings[i].resource_id, r->findings[i].message);
}

/* The report has exactly `count` findings, all of that kind and severity. */
static void expect_only(const brev_audit_report *r, brev_finding_kind kind, brev_severity severity, size_t count)
{
    if (r->count != count)
        dump(r);
    ck_assert_uint_eq(r->count, count);
    for (size_t i = 0; i < r->count; i++) {
        ck_assert_msg(r->findings[i].kind == kind, "unexpected finding %s",
                      brev_finding_kind_name(r->findings[i].kind));
        ck_assert_int_eq(r->findings[i].severity, severity);
        ck_assert_str_ne(r->findings[i].message, "");
    }
}

static char *rule_json(const char *group, const char *name, const char *spec)
{
    char *json = malloc(2048);
    ck_assert_ptr_nonnull(json);
    snprintf(json, 2048,
             "{\"metadata\":{\"parent_id\":\"%s\",\"name\":\"%s\"},\"spec\":%s,"
             "\"status\":{\"state\":\"READY\"}}",
             group, name, spec);
    return json;
}

static char *plant_rule(const char *group, const char *name, const char *spec)
{
    char *json = rule_json(group, name, spec);
    char *id = bn_test_mutate(fx_client, NULL, NULL, 0, "security_rule", json);
    free(json);
    return id;
}

START_TEST(clean_clusters_have_no_findings)
{
    FX_SIM_ONLY();
    setup_clusters();
    brev_audit_report *r = audit("alpha");
    if (r->count)
        dump(r);
    ck_assert_uint_eq(r->count, 0);
    ck_assert_str_eq(r->security_group_id, a.cluster->security_group_id);
    brev_audit_report_free(r);
    r = audit("bravo");
    ck_assert_uint_eq(r->count, 0);
    brev_audit_report_free(r);
    teardown_clusters();
}
END_TEST

START_TEST(stray_ingress_rule_is_critical)
{
    FX_SIM_ONLY();
    setup_clusters();
    char *stray = plant_rule(a.cluster->security_group_id, "rdp",
                             "{\"access\":\"ALLOW\",\"protocol\":\"TCP\",\"ingress\":{\"source_cidrs\":[\"0.0.0.0/0\"],"
                             "\"destination_ports\":[3389]}}");
    /* the cloud does let it in: that is what the audit is for */
    ck_assert_int_eq(fx_flow(NULL, "203.0.113.50", a.instances[0], NULL, "tcp", 3389), 1);
    brev_audit_report *r = audit("alpha");
    expect_only(r, BREV_FINDING_UNEXPLAINED_INGRESS, BREV_SEVERITY_CRITICAL, 1);
    ck_assert_str_eq(r->findings[0].resource_id, stray);
    brev_audit_report_free(r);
    free(stray);
    teardown_clusters();
}
END_TEST

START_TEST(firewall_rule_widened_in_place_is_critical)
{
    FX_SIM_ONLY();
    setup_clusters();
    char name[64];
    snprintf(name, sizeof name, "%s-0", web_rule);
    char *rule = fx_rule_named(a.cluster->security_group_id, name);
    ck_assert_ptr_nonnull(rule);
    /* same labels and name, but open to everyone */
    free(bn_test_mutate(fx_client, rule, "{\"spec\":{\"ingress\":{\"source_cidrs\":[\"0.0.0.0/0\"]}}}", 0, NULL, NULL));
    brev_audit_report *r = audit("alpha");
    expect_only(r, BREV_FINDING_UNEXPLAINED_INGRESS, BREV_SEVERITY_CRITICAL, 4);
    brev_audit_report_free(r);
    free(rule);
    teardown_clusters();
}
END_TEST

/* A DENY against outsiders only narrows what the model allows: no finding.
 * (Changed on purpose: this test used to plant a DENY with no source at
 * all, which also blocks members and is now a narrowed-self finding.) */
START_TEST(deny_ingress_from_outside_the_cluster_is_no_finding)
{
    FX_SIM_ONLY();
    setup_clusters();
    /* an external range, and a bravo member's address: neither holds an alpha member */
    static const char *const outside[] = {"203.0.113.0/24", "10.0.0.21/32"};
    for (size_t i = 0; i < 2; i++) {
        char spec[256];
        snprintf(spec, sizeof spec,
                 "{\"access\":\"DENY\",\"protocol\":\"TCP\",\"ingress\":{\"source_cidrs\":[\"%s\"],"
                 "\"destination_ports\":[22]}}",
                 outside[i]);
        char *deny = plant_rule(a.cluster->security_group_id, "block-ssh", spec);
        /* members still reach each other on that port */
        ck_assert_int_eq(fx_flow(a.instances[0], NULL, a.instances[1], NULL, "tcp", 22), 1);
        brev_audit_report *r = audit("alpha");
        if (r->count)
            dump(r);
        ck_assert_uint_eq(r->count, 0);
        brev_audit_report_free(r);
        free(bn_test_mutate(fx_client, deny, NULL, 1, NULL, NULL));
        free(deny);
    }
    teardown_clusters();
}
END_TEST

/* DENY is evaluated before ALLOW at equal priority, and lower numbers go
 * first: a DENY whose source takes in members, at or before the self rule's
 * priority, shadows the self rule for what it matches. */
START_TEST(deny_ingress_covering_members_shadows_the_self_rule)
{
    FX_SIM_ONLY();
    setup_clusters();
    char own_group[256], spec[512];
    snprintf(own_group, sizeof own_group, "{\"source_security_group_id\":\"%s\",", a.cluster->security_group_id);
    static const char *const sources[] = {
        "{",                                           /* no source: anyone, members included */
        NULL,                                          /* the group itself (own_group) */
        "{\"source_cidrs\":[\"10.0.0.0/24\"],",        /* a range holding every member */
        "{\"source_cidrs\":[\"192.0.2.0/24\",\"10.0.0.12/32\"],", /* one member among outsiders */
    };
    static const char *const priorities[] = {"", "", "\"priority\":500,", "\"priority\":120,"};
    for (size_t i = 0; i < 4; i++) {
        snprintf(spec, sizeof spec, "{\"access\":\"DENY\",\"protocol\":\"TCP\",%s\"ingress\":%s\"destination_ports\":[22]}}",
                 priorities[i], sources[i] ? sources[i] : own_group);
        char *deny = plant_rule(a.cluster->security_group_id, "block-ssh", spec);
        /* the cloud does cut members off from each other on port 22, and only there */
        ck_assert_int_eq(fx_flow(a.instances[1], NULL, a.instances[0], NULL, "tcp", 22), 0);
        ck_assert_int_eq(fx_flow(a.instances[1], NULL, a.instances[0], NULL, "tcp", 5432), 1);
        brev_audit_report *r = audit("alpha");
        expect_only(r, BREV_FINDING_NARROWED_SELF, BREV_SEVERITY_WARNING, 1);
        ck_assert_str_eq(r->findings[0].resource_id, deny);
        ck_assert_ptr_nonnull(strstr(r->findings[0].message, "self rule"));
        brev_audit_report_free(r);
        free(bn_test_mutate(fx_client, deny, NULL, 1, NULL, NULL));
        free(deny);
    }
    ck_assert_str_eq(brev_finding_kind_name(BREV_FINDING_NARROWED_SELF), "narrowed-self");
    teardown_clusters();
}
END_TEST

/* The same DENY after the self rule (a higher priority number) never
 * matches a member's traffic: the self rule lets it in first. */
START_TEST(deny_ingress_after_the_self_rule_is_no_finding)
{
    FX_SIM_ONLY();
    setup_clusters();
    char *deny = plant_rule(a.cluster->security_group_id, "block-ssh-late",
                            "{\"access\":\"DENY\",\"protocol\":\"TCP\",\"priority\":501,"
                            "\"ingress\":{\"destination_ports\":[22]}}");
    ck_assert_int_eq(fx_flow(a.instances[1], NULL, a.instances[0], NULL, "tcp", 22), 1);
    brev_audit_report *r = audit("alpha");
    if (r->count)
        dump(r);
    ck_assert_uint_eq(r->count, 0);
    brev_audit_report_free(r);
    free(deny);
    teardown_clusters();
}
END_TEST

/* Marks base rule `name` of cluster alpha STATELESS and expects exactly one
 * finding of `kind` on it that says so; returns the rule's id (free it). */
static char *stateless_base_rule_finds(const char *name, brev_finding_kind kind)
{
    char *rule = fx_rule_named(a.cluster->security_group_id, name);
    ck_assert_ptr_nonnull(rule);
    free(bn_test_mutate(fx_client, rule, "{\"spec\":{\"type\":\"STATELESS\"}}", 0, NULL, NULL));
    brev_audit_report *r = audit("alpha");
    expect_only(r, kind, BREV_SEVERITY_WARNING, 1);
    ck_assert_str_eq(r->findings[0].resource_id, rule);
    ck_assert_ptr_nonnull(strstr(r->findings[0].message, "STATELESS"));
    brev_audit_report_free(r);
    return rule;
}

/* STATELESS rules keep no connection state: a stateless egress-all lets
 * requests out but not their replies back in (the sim's evaluator, being
 * stateful, cannot show it; the API does it). */
START_TEST(stateless_egress_all_is_narrowed_egress)
{
    FX_SIM_ONLY();
    setup_clusters();
    char *egress = stateless_base_rule_finds("egress-all", BREV_FINDING_NARROWED_EGRESS);

    /* type unset means STATEFUL to the API: clean again */
    free(bn_test_mutate(fx_client, egress, "{\"spec\":{\"type\":\"RULE_TYPE_UNSPECIFIED\"}}", 0, NULL, NULL));
    brev_audit_report *r = audit("alpha");
    if (r->count)
        dump(r);
    ck_assert_uint_eq(r->count, 0);
    brev_audit_report_free(r);
    free(egress);
    teardown_clusters();
}
END_TEST

START_TEST(stateless_self_rule_is_missing_self_rule)
{
    FX_SIM_ONLY();
    setup_clusters();
    free(stateless_base_rule_finds("self", BREV_FINDING_MISSING_SELF_RULE));
    teardown_clusters();
}
END_TEST

START_TEST(stateless_firewall_rule_is_unexplained)
{
    FX_SIM_ONLY();
    setup_clusters();
    char name[64];
    snprintf(name, sizeof name, "%s-0", web_rule);
    char *rule = fx_rule_named(a.cluster->security_group_id, name);
    ck_assert_ptr_nonnull(rule);
    free(bn_test_mutate(fx_client, rule, "{\"spec\":{\"type\":\"STATELESS\"}}", 0, NULL, NULL));
    brev_audit_report *r = audit("alpha");
    expect_only(r, BREV_FINDING_UNEXPLAINED_INGRESS, BREV_SEVERITY_CRITICAL, 1);
    ck_assert_str_eq(r->findings[0].resource_id, rule);
    ck_assert_ptr_nonnull(strstr(r->findings[0].message, "STATELESS"));
    brev_audit_report_free(r);
    free(rule);
    teardown_clusters();
}
END_TEST

START_TEST(deleted_egress_rule_is_missing_egress)
{
    FX_SIM_ONLY();
    setup_clusters();
    char *egress = fx_rule_named(a.cluster->security_group_id, "egress-all");
    ck_assert_ptr_nonnull(egress);
    free(bn_test_mutate(fx_client, egress, NULL, 1, NULL, NULL));
    ck_assert_int_eq(fx_flow(a.instances[0], NULL, NULL, "8.8.8.8", "tcp", 443), 0);
    brev_audit_report *r = audit("alpha");
    expect_only(r, BREV_FINDING_MISSING_EGRESS, BREV_SEVERITY_WARNING, 1);
    brev_audit_report_free(r);
    free(egress);
    teardown_clusters();
}
END_TEST

START_TEST(narrowed_egress_is_a_warning)
{
    FX_SIM_ONLY();
    setup_clusters();
    char *egress = fx_rule_named(a.cluster->security_group_id, "egress-all");
    ck_assert_ptr_nonnull(egress);
    free(bn_test_mutate(fx_client, egress, "{\"spec\":{\"egress\":{\"destination_ports\":[443]},\"protocol\":\"TCP\"}}",
                        0, NULL, NULL));
    ck_assert_int_eq(fx_flow(a.instances[0], NULL, NULL, "8.8.8.8", "udp", 53), 0);
    brev_audit_report *r = audit("alpha");
    expect_only(r, BREV_FINDING_NARROWED_EGRESS, BREV_SEVERITY_WARNING, 1);
    ck_assert_str_eq(r->findings[0].resource_id, egress);
    brev_audit_report_free(r);

    /* narrowed by CIDR instead */
    free(bn_test_mutate(fx_client, egress,
                        "{\"spec\":{\"egress\":{\"destination_ports\":[],\"destination_cidrs\":[\"10.0.0.0/8\"]},"
                        "\"protocol\":\"ANY\"}}",
                        0, NULL, NULL));
    r = audit("alpha");
    expect_only(r, BREV_FINDING_NARROWED_EGRESS, BREV_SEVERITY_WARNING, 1);
    brev_audit_report_free(r);
    free(egress);
    teardown_clusters();
}
END_TEST

START_TEST(deny_egress_rule_is_narrowed_egress)
{
    FX_SIM_ONLY();
    setup_clusters();
    char *deny = plant_rule(a.cluster->security_group_id, "no-smtp",
                            "{\"access\":\"DENY\",\"protocol\":\"TCP\",\"egress\":{\"destination_ports\":[25]}}");
    brev_audit_report *r = audit("alpha");
    expect_only(r, BREV_FINDING_NARROWED_EGRESS, BREV_SEVERITY_WARNING, 1);
    ck_assert_str_eq(r->findings[0].resource_id, deny);
    brev_audit_report_free(r);
    free(deny);
    teardown_clusters();
}
END_TEST

START_TEST(deleted_self_rule_is_a_warning)
{
    FX_SIM_ONLY();
    setup_clusters();
    char *self = fx_rule_named(a.cluster->security_group_id, "self");
    ck_assert_ptr_nonnull(self);
    free(bn_test_mutate(fx_client, self, NULL, 1, NULL, NULL));
    ck_assert_int_eq(fx_flow(a.instances[0], NULL, a.instances[1], NULL, "tcp", 5432), 0);
    brev_audit_report *r = audit("alpha");
    expect_only(r, BREV_FINDING_MISSING_SELF_RULE, BREV_SEVERITY_WARNING, 1);
    brev_audit_report_free(r);
    free(self);
    teardown_clusters();
}
END_TEST

START_TEST(rule_trusting_another_clusters_group_is_critical)
{
    FX_SIM_ONLY();
    setup_clusters();
    char spec[512];
    snprintf(spec, sizeof spec,
             "{\"access\":\"ALLOW\",\"protocol\":\"ANY\",\"ingress\":{\"source_security_group_id\":\"%s\"}}",
             b.cluster->security_group_id);
    char *bridge = plant_rule(a.cluster->security_group_id, "trust-bravo", spec);
    ck_assert_int_eq(fx_flow(b.instances[0], NULL, a.instances[0], NULL, "tcp", 22), 1);
    brev_audit_report *r = audit("alpha");
    expect_only(r, BREV_FINDING_FOREIGN_GROUP_REFERENCE, BREV_SEVERITY_CRITICAL, 1);
    ck_assert_str_eq(r->findings[0].resource_id, bridge);
    ck_assert_ptr_nonnull(strstr(r->findings[0].message, b.cluster->security_group_id));
    brev_audit_report_free(r);
    /* the other cluster is untouched */
    r = audit("bravo");
    ck_assert_uint_eq(r->count, 0);
    brev_audit_report_free(r);
    free(bridge);
    teardown_clusters();
}
END_TEST

START_TEST(instance_moved_to_another_group_is_critical)
{
    FX_SIM_ONLY();
    setup_clusters();
    char groups[256], patch[1024];
    snprintf(groups, sizeof groups, "[{\"id\":\"%s\"}]", b.cluster->security_group_id);
    fx_nics_json(patch, sizeof patch, "10.0.0.11", groups);
    free(bn_test_mutate(fx_client, a.instances[0], patch, 0, NULL, NULL));
    /* it now sits in bravo's trust zone */
    ck_assert_int_eq(fx_flow(b.instances[0], NULL, a.instances[0], NULL, "tcp", 22), 1);
    brev_audit_report *r = audit("alpha");
    expect_only(r, BREV_FINDING_INSTANCE_OFF_GROUP, BREV_SEVERITY_CRITICAL, 1);
    ck_assert_str_eq(r->findings[0].resource_id, a.instances[0]);
    brev_audit_report_free(r);
    teardown_clusters();
}
END_TEST

START_TEST(instance_of_another_cluster_on_the_group_is_a_foreign_instance)
{
    FX_SIM_ONLY();
    setup_clusters();
    char groups[256], patch[1024];
    snprintf(groups, sizeof groups, "[{\"id\":\"%s\"}]", b.cluster->security_group_id);
    fx_nics_json(patch, sizeof patch, "10.0.0.11", groups);
    free(bn_test_mutate(fx_client, a.instances[0], patch, 0, NULL, NULL));
    /* bravo's members are now reachable from an alpha instance */
    ck_assert_int_eq(fx_flow(a.instances[0], NULL, b.instances[1], NULL, "tcp", 5432), 1);
    brev_audit_report *r = audit("bravo");
    expect_only(r, BREV_FINDING_FOREIGN_INSTANCE, BREV_SEVERITY_CRITICAL, 1);
    ck_assert_str_eq(r->findings[0].resource_id, a.instances[0]);
    ck_assert_ptr_nonnull(strstr(r->findings[0].message, "alpha"));
    ck_assert_str_eq(brev_finding_kind_name(BREV_FINDING_FOREIGN_INSTANCE), "foreign-instance");
    brev_audit_report_free(r);
    teardown_clusters();
}
END_TEST

START_TEST(instance_also_on_another_group_is_critical)
{
    FX_SIM_ONLY();
    setup_clusters();
    char groups[256], patch[1024];
    snprintf(groups, sizeof groups, "[{\"id\":\"%s\"},{\"id\":\"%s\"}]", a.cluster->security_group_id,
             b.cluster->security_group_id);
    fx_nics_json(patch, sizeof patch, "10.0.0.12", groups);
    free(bn_test_mutate(fx_client, a.instances[1], patch, 0, NULL, NULL));
    brev_audit_report *r = audit("alpha");
    expect_only(r, BREV_FINDING_INSTANCE_OFF_GROUP, BREV_SEVERITY_CRITICAL, 1);
    ck_assert_str_eq(r->findings[0].resource_id, a.instances[1]);
    ck_assert_ptr_nonnull(strstr(r->findings[0].message, b.cluster->security_group_id));
    brev_audit_report_free(r);
    teardown_clusters();
}
END_TEST

START_TEST(instance_on_the_default_group_is_critical)
{
    FX_SIM_ONLY();
    setup_clusters();
    char patch[1024];
    fx_nics_json(patch, sizeof patch, "10.0.0.12", "[]");
    free(bn_test_mutate(fx_client, a.instances[1], patch, 0, NULL, NULL));
    brev_audit_report *r = audit("alpha");
    expect_only(r, BREV_FINDING_INSTANCE_OFF_GROUP, BREV_SEVERITY_CRITICAL, 1);
    ck_assert_ptr_nonnull(strstr(r->findings[0].message, "default group"));
    brev_audit_report_free(r);
    teardown_clusters();
}
END_TEST

START_TEST(unencrypted_boot_disk_is_a_warning)
{
    FX_SIM_ONLY();
    setup_clusters();
    json_t *state = bn_test_state(fx_client);
    json_t *inst = json_object_get(json_object_get(json_object_get(state, "resources"), a.instances[0]), "resource");
    const char *disk = json_string_value(
        json_object_get(json_object_get(json_object_get(json_object_get(inst, "spec"), "boot_disk"), "existing_disk"),
                        "id"));
    ck_assert_ptr_nonnull(disk);
    char *disk_id = strdup(disk);
    json_decref(state);
    free(bn_test_mutate(fx_client, disk_id, "{\"spec\":{\"disk_encryption\":null}}", 0, NULL, NULL));
    brev_audit_report *r = audit("alpha");
    expect_only(r, BREV_FINDING_UNENCRYPTED_DISK, BREV_SEVERITY_WARNING, 1);
    ck_assert_str_eq(r->findings[0].resource_id, disk_id);
    brev_audit_report_free(r);
    free(disk_id);
    teardown_clusters();
}
END_TEST

START_TEST(deleted_group_is_found)
{
    FX_SIM_ONLY();
    setup_clusters();
    free(bn_test_mutate(fx_client, b.cluster->security_group_id, NULL, 1, NULL, NULL));
    brev_audit_report *r = audit("bravo");
    ck_assert_uint_ge(r->count, 1);
    ck_assert_int_eq(r->findings[0].kind, BREV_FINDING_MISSING_GROUP);
    ck_assert_int_eq(r->findings[0].severity, BREV_SEVERITY_CRITICAL);
    ck_assert_str_eq(r->security_group_id, "");
    /* its instances still point at the vanished group: each is reported */
    for (size_t i = 1; i < r->count; i++)
        ck_assert_int_eq(r->findings[i].kind, BREV_FINDING_INSTANCE_OFF_GROUP);
    ck_assert_uint_eq(r->count, 3);
    brev_audit_report_free(r);
    /* a cluster that never existed: just the missing group */
    r = audit("nosuchcluster");
    expect_only(r, BREV_FINDING_MISSING_GROUP, BREV_SEVERITY_CRITICAL, 1);
    brev_audit_report_free(r);
    teardown_clusters();
}
END_TEST

START_TEST(bad_arguments)
{
    FX_SIM_ONLY();
    brev_audit_report *r = NULL;
    ck_assert_int_eq(brev_policy_audit(fx_client, "Not_Valid", &r), BREV_EINVAL);
    ck_assert_ptr_null(r);
    ck_assert_int_eq(brev_policy_audit(fx_client, "alpha", NULL), BREV_EINVAL);
    ck_assert_int_eq(brev_policy_audit(NULL, "alpha", &r), BREV_EINVAL);
    ck_assert_str_eq(brev_finding_kind_name(BREV_FINDING_UNENCRYPTED_DISK), "unencrypted-disk");
    ck_assert_str_eq(brev_severity_name(BREV_SEVERITY_CRITICAL), "critical");
}
END_TEST

int main(void)
{
    Suite *s = suite_create("policy_audit");
    TCase *tc = fx_tcase("audit");
    SRunner *sr;
    int failed;

    tcase_add_test(tc, clean_clusters_have_no_findings);
    tcase_add_test(tc, stray_ingress_rule_is_critical);
    tcase_add_test(tc, firewall_rule_widened_in_place_is_critical);
    tcase_add_test(tc, deny_ingress_from_outside_the_cluster_is_no_finding);
    tcase_add_test(tc, deny_ingress_covering_members_shadows_the_self_rule);
    tcase_add_test(tc, deny_ingress_after_the_self_rule_is_no_finding);
    tcase_add_test(tc, stateless_egress_all_is_narrowed_egress);
    tcase_add_test(tc, stateless_self_rule_is_missing_self_rule);
    tcase_add_test(tc, stateless_firewall_rule_is_unexplained);
    tcase_add_test(tc, deleted_egress_rule_is_missing_egress);
    tcase_add_test(tc, narrowed_egress_is_a_warning);
    tcase_add_test(tc, deny_egress_rule_is_narrowed_egress);
    tcase_add_test(tc, deleted_self_rule_is_a_warning);
    tcase_add_test(tc, rule_trusting_another_clusters_group_is_critical);
    tcase_add_test(tc, instance_moved_to_another_group_is_critical);
    tcase_add_test(tc, instance_of_another_cluster_on_the_group_is_a_foreign_instance);
    tcase_add_test(tc, instance_also_on_another_group_is_critical);
    tcase_add_test(tc, instance_on_the_default_group_is_critical);
    tcase_add_test(tc, unencrypted_boot_disk_is_a_warning);
    tcase_add_test(tc, deleted_group_is_found);
    tcase_add_test(tc, bad_arguments);
    suite_add_tcase(s, tc);
    sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
