/* The security model as the cloud enforces it: two clusters of two
 * instances and an outside address, every flow judged by nebius-sim's
 * security-group evaluator (EvaluateFlow). Inbound denied until a firewall
 * rule opens exactly its port/protocol/CIDR, members reach each other,
 * clusters are isolated, outbound is open, revoke closes again. */
#include "test_policy_fixture.h"

static fx_cluster a, b;

static void two_clusters(void)
{
    fx_cluster_make(&a, "alpha", "10.0.0.11", "10.0.0.12");
    fx_cluster_make(&b, "bravo", "10.0.0.21", "10.0.0.22");
    ck_assert_str_ne(a.cluster->security_group_id, b.cluster->security_group_id);
}

static void two_clusters_free(void)
{
    fx_cluster_free(&a);
    fx_cluster_free(&b);
}

static char *add_rule(const char *cluster, int from, int to, brev_protocol proto, const char *cidr)
{
    const char *cidrs[1] = {cidr};
    brev_firewall_rule r = {from, to, cidr ? cidrs : NULL, cidr ? 1 : 0, proto};
    char *id = NULL;
    ck_assert_msg(brev_firewall_add(fx_client, cluster, &r, &id) == BREV_OK, "firewall add: %s", brev_error_message());
    ck_assert_ptr_nonnull(id);
    return id;
}

START_TEST(external_inbound_denied_by_default)
{
    FX_SIM_ONLY();
    two_clusters();
    static const char *const protos[] = {"tcp", "udp"};
    static const int ports[] = {22, 80, 443, 8080, 65535};
    for (int i = 0; i < 2; i++) {
        for (size_t p = 0; p < sizeof ports / sizeof ports[0]; p++) {
            ck_assert_int_eq(fx_flow(NULL, FX_EXTERNAL_IP, a.instances[0], NULL, protos[i], ports[p]), 0);
            ck_assert_int_eq(fx_flow(NULL, FX_EXTERNAL_IP, b.instances[1], NULL, protos[i], ports[p]), 0);
        }
    }
    ck_assert_int_eq(fx_flow(NULL, FX_EXTERNAL_IP, a.instances[0], NULL, "icmp", 0), 0);
    two_clusters_free();
}
END_TEST

START_TEST(firewall_rule_opens_exactly_its_port_protocol_and_cidr)
{
    FX_SIM_ONLY();
    two_clusters();
    char *id = add_rule("alpha", 8080, 8080, BREV_PROTOCOL_TCP, FX_EXTERNAL_IP "/32");

    /* opened: that port, protocol and source, on every member of the cluster */
    ck_assert_int_eq(fx_flow(NULL, FX_EXTERNAL_IP, a.instances[0], NULL, "tcp", 8080), 1);
    ck_assert_int_eq(fx_flow(NULL, FX_EXTERNAL_IP, a.instances[1], NULL, "tcp", 8080), 1);
    /* still closed: other port, other protocol, other source, other cluster */
    ck_assert_int_eq(fx_flow(NULL, FX_EXTERNAL_IP, a.instances[0], NULL, "tcp", 8081), 0);
    ck_assert_int_eq(fx_flow(NULL, FX_EXTERNAL_IP, a.instances[0], NULL, "tcp", 22), 0);
    ck_assert_int_eq(fx_flow(NULL, FX_EXTERNAL_IP, a.instances[0], NULL, "udp", 8080), 0);
    ck_assert_int_eq(fx_flow(NULL, FX_EXTERNAL_IP, a.instances[0], NULL, "icmp", 0), 0);
    ck_assert_int_eq(fx_flow(NULL, "198.51.100.8", a.instances[0], NULL, "tcp", 8080), 0);
    ck_assert_int_eq(fx_flow(NULL, "203.0.113.7", a.instances[0], NULL, "tcp", 8080), 0);
    ck_assert_int_eq(fx_flow(NULL, FX_EXTERNAL_IP, b.instances[0], NULL, "tcp", 8080), 0);
    brev_string_free(id);
    two_clusters_free();
}
END_TEST

START_TEST(tcp_udp_range_opens_both_protocols_and_only_the_range)
{
    FX_SIM_ONLY();
    two_clusters();
    /* 10 ports x TCP+UDP = 4 security rules */
    int before = fx_count("security_rule", a.cluster->security_group_id);
    char *id = add_rule("alpha", 9000, 9009, BREV_PROTOCOL_TCP_UDP, NULL);
    ck_assert_int_eq(fx_count("security_rule", a.cluster->security_group_id), before + 4);
    for (int port = 9000; port <= 9009; port++) {
        ck_assert_int_eq(fx_flow(NULL, FX_EXTERNAL_IP, a.instances[0], NULL, "tcp", port), 1);
        ck_assert_int_eq(fx_flow(NULL, FX_EXTERNAL_IP, a.instances[1], NULL, "udp", port), 1);
    }
    ck_assert_int_eq(fx_flow(NULL, FX_EXTERNAL_IP, a.instances[0], NULL, "tcp", 8999), 0);
    ck_assert_int_eq(fx_flow(NULL, FX_EXTERNAL_IP, a.instances[0], NULL, "udp", 9010), 0);
    /* TCP+UDP never becomes ANY: ICMP stays closed */
    ck_assert_int_eq(fx_flow(NULL, FX_EXTERNAL_IP, a.instances[0], NULL, "icmp", 0), 0);
    brev_string_free(id);
    two_clusters_free();
}
END_TEST

START_TEST(members_of_a_cluster_reach_each_other_on_any_port)
{
    FX_SIM_ONLY();
    two_clusters();
    static const int ports[] = {1, 22, 5432, 6379, 29500, 65535};
    for (size_t p = 0; p < sizeof ports / sizeof ports[0]; p++) {
        ck_assert_int_eq(fx_flow(a.instances[0], NULL, a.instances[1], NULL, "tcp", ports[p]), 1);
        ck_assert_int_eq(fx_flow(a.instances[1], NULL, a.instances[0], NULL, "udp", ports[p]), 1);
        ck_assert_int_eq(fx_flow(b.instances[0], NULL, b.instances[1], NULL, "tcp", ports[p]), 1);
    }
    ck_assert_int_eq(fx_flow(a.instances[0], NULL, a.instances[1], NULL, "icmp", 0), 1);
    two_clusters_free();
}
END_TEST

START_TEST(clusters_are_isolated_from_each_other)
{
    FX_SIM_ONLY();
    two_clusters();
    static const int ports[] = {22, 80, 5432, 29500};
    for (size_t p = 0; p < sizeof ports / sizeof ports[0]; p++) {
        ck_assert_int_eq(fx_flow(a.instances[0], NULL, b.instances[0], NULL, "tcp", ports[p]), 0);
        ck_assert_int_eq(fx_flow(b.instances[1], NULL, a.instances[1], NULL, "tcp", ports[p]), 0);
        ck_assert_int_eq(fx_flow(a.instances[1], NULL, b.instances[0], NULL, "udp", ports[p]), 0);
    }
    ck_assert_int_eq(fx_flow(a.instances[0], NULL, b.instances[0], NULL, "icmp", 0), 0);
    /* a rule opened on one cluster does not open the other */
    char *id = add_rule("bravo", 5432, 5432, BREV_PROTOCOL_TCP, "10.0.0.0/24");
    ck_assert_int_eq(fx_flow(a.instances[0], NULL, b.instances[0], NULL, "tcp", 5432), 1);
    ck_assert_int_eq(fx_flow(b.instances[0], NULL, a.instances[0], NULL, "tcp", 5432), 0);
    brev_string_free(id);
    two_clusters_free();
}
END_TEST

START_TEST(outbound_is_open)
{
    FX_SIM_ONLY();
    two_clusters();
    ck_assert_int_eq(fx_flow(a.instances[0], NULL, NULL, "8.8.8.8", "tcp", 443), 1);
    ck_assert_int_eq(fx_flow(a.instances[0], NULL, NULL, "8.8.8.8", "udp", 53), 1);
    ck_assert_int_eq(fx_flow(b.instances[1], NULL, NULL, "1.1.1.1", "tcp", 80), 1);
    ck_assert_int_eq(fx_flow(b.instances[1], NULL, NULL, "8.8.8.8", "icmp", 0), 1);
    two_clusters_free();
}
END_TEST

START_TEST(revoke_closes_again_and_removes_exactly_its_rules)
{
    FX_SIM_ONLY();
    two_clusters();
    int base = fx_count("security_rule", a.cluster->security_group_id);
    char *keep = add_rule("alpha", 443, 443, BREV_PROTOCOL_TCP, NULL);
    char *gone = add_rule("alpha", 8080, 8080, BREV_PROTOCOL_TCP, FX_EXTERNAL_IP "/32");
    ck_assert_int_eq(fx_flow(NULL, FX_EXTERNAL_IP, a.instances[0], NULL, "tcp", 8080), 1);

    ck_assert_int_eq(brev_firewall_revoke(fx_client, "alpha", gone), BREV_OK);
    ck_assert_int_eq(fx_flow(NULL, FX_EXTERNAL_IP, a.instances[0], NULL, "tcp", 8080), 0);
    ck_assert_int_eq(fx_flow(NULL, FX_EXTERNAL_IP, a.instances[0], NULL, "tcp", 443), 1);
    ck_assert_int_eq(fx_count("security_rule", a.cluster->security_group_id), base + 1);
    /* the base rules are untouched */
    ck_assert_int_eq(fx_flow(a.instances[0], NULL, a.instances[1], NULL, "tcp", 8080), 1);
    ck_assert_int_eq(fx_flow(a.instances[0], NULL, NULL, "8.8.8.8", "tcp", 443), 1);

    ck_assert_int_eq(brev_firewall_revoke(fx_client, "alpha", gone), BREV_ENOTFOUND);
    ck_assert_ptr_nonnull(strstr(brev_error_message(), gone));
    ck_assert_int_eq(brev_firewall_revoke(fx_client, "alpha", "fw-000000000000"), BREV_ENOTFOUND);
    ck_assert_int_eq(brev_firewall_revoke(fx_client, "alpha", "not-an-id"), BREV_EINVAL);
    ck_assert_int_eq(brev_firewall_revoke(fx_client, "nosuchcluster", keep), BREV_ENOTFOUND);
    brev_string_free(keep);
    brev_string_free(gone);
    two_clusters_free();
}
END_TEST

START_TEST(adding_the_same_rule_twice_creates_nothing_new)
{
    FX_SIM_ONLY();
    two_clusters();
    const char *c1[2] = {"203.0.113.0/24", FX_EXTERNAL_IP};
    const char *c2[3] = {FX_EXTERNAL_IP "/32", "203.0.113.0/24", FX_EXTERNAL_IP};
    brev_firewall_rule r1 = {8000, 8009, c1, 2, BREV_PROTOCOL_TCP};
    brev_firewall_rule r2 = {8000, 8009, c2, 3, BREV_PROTOCOL_TCP};
    char *id1 = NULL, *id2 = NULL;

    ck_assert_int_eq(brev_firewall_add(fx_client, "alpha", &r1, &id1), BREV_OK);
    int after_first = fx_count("security_rule", a.cluster->security_group_id);
    int groups = fx_count("security_group", NULL);
    /* same rule written differently: CIDR order, duplicates, bare address */
    ck_assert_int_eq(brev_firewall_add(fx_client, "alpha", &r2, &id2), BREV_OK);
    ck_assert_str_eq(id1, id2);
    ck_assert_int_eq(fx_count("security_rule", a.cluster->security_group_id), after_first);
    ck_assert_int_eq(fx_count("security_group", NULL), groups);
    ck_assert_int_eq(brev_firewall_add(fx_client, "alpha", &r1, NULL), BREV_OK);
    ck_assert_int_eq(fx_count("security_rule", a.cluster->security_group_id), after_first);
    brev_string_free(id1);
    brev_string_free(id2);
    two_clusters_free();
}
END_TEST

START_TEST(list_groups_security_rules_by_firewall_rule)
{
    FX_SIM_ONLY();
    two_clusters();
    brev_firewall_list *list = NULL;
    char *web = add_rule("alpha", 443, 443, BREV_PROTOCOL_TCP_UDP, NULL);
    const char *cidrs[9] = {"10.1.0.0/16", "10.2.0.0/16", "10.3.0.0/16", "10.4.0.0/16", "10.5.0.0/16",
                            "10.6.0.0/16", "10.7.0.0/16", "10.8.0.0/16", "10.9.0.0/16"};
    brev_firewall_rule wide = {6000, 6002, cidrs, 9, BREV_PROTOCOL_UDP};
    char *udp = NULL;
    ck_assert_int_eq(brev_firewall_add(fx_client, "alpha", &wide, &udp), BREV_OK);

    ck_assert_int_eq(brev_firewall_list_rules(fx_client, "alpha", &list), BREV_OK);
    ck_assert_uint_eq(list->count, 2);
    for (size_t i = 0; i < list->count; i++) {
        brev_firewall_entry *e = &list->items[i];
        if (strcmp(e->id, web) == 0) {
            ck_assert_int_eq(e->from_port, 443);
            ck_assert_int_eq(e->to_port, 443);
            ck_assert_int_eq(e->protocol, BREV_PROTOCOL_TCP_UDP);
            ck_assert_uint_eq(e->cidr_count, 1);
            ck_assert_str_eq(e->cidrs[0], "0.0.0.0/0");
            ck_assert_uint_eq(e->security_rule_count, 2);
        } else {
            ck_assert_str_eq(e->id, udp);
            ck_assert_int_eq(e->from_port, 6000);
            ck_assert_int_eq(e->to_port, 6002);
            ck_assert_int_eq(e->protocol, BREV_PROTOCOL_UDP);
            ck_assert_uint_eq(e->cidr_count, 9);
            ck_assert_uint_eq(e->security_rule_count, 2);
        }
        for (size_t s = 0; s < e->security_rule_count; s++)
            ck_assert(strncmp(e->security_rule_ids[s], "vpcsecurityrule-", 16) == 0);
    }
    brev_firewall_list_free(list);

    ck_assert_int_eq(brev_firewall_list_rules(fx_client, "bravo", &list), BREV_OK);
    ck_assert_uint_eq(list->count, 0);
    brev_firewall_list_free(list);
    ck_assert_int_eq(brev_firewall_list_rules(fx_client, "nosuchcluster", &list), BREV_ENOTFOUND);
    ck_assert_ptr_null(list);
    brev_string_free(web);
    brev_string_free(udp);
    two_clusters_free();
}
END_TEST

START_TEST(bad_or_too_wide_rules_create_nothing)
{
    FX_SIM_ONLY();
    int groups = fx_count("security_group", NULL);
    int rules = fx_count("security_rule", NULL);
    const char *bad_cidr[1] = {"10.0.0.5/24"};
    brev_firewall_rule bad = {22, 22, bad_cidr, 1, BREV_PROTOCOL_TCP};
    brev_firewall_rule reversed = {90, 80, NULL, 0, BREV_PROTOCOL_TCP};
    brev_firewall_rule wide = {1000, 2000, NULL, 0, BREV_PROTOCOL_TCP};
    char *id = NULL;

    ck_assert_int_eq(brev_firewall_add(fx_client, "fresh", &bad, &id), BREV_EINVAL);
    ck_assert_ptr_nonnull(strstr(brev_error_message(), "10.0.0.0/24"));
    ck_assert_int_eq(brev_firewall_add(fx_client, "fresh", &reversed, &id), BREV_EINVAL);
    ck_assert_int_eq(brev_firewall_add(fx_client, "fresh", &wide, &id), BREV_EPOLICY);
    ck_assert_ptr_nonnull(strstr(brev_error_message(), "limit is 32"));
    ck_assert_int_eq(brev_firewall_add(fx_client, "Bad_Cluster", &reversed, &id), BREV_EINVAL);
    ck_assert_ptr_null(id);
    /* not even the cluster's group was created */
    ck_assert_int_eq(fx_count("security_group", NULL), groups);
    ck_assert_int_eq(fx_count("security_rule", NULL), rules);
}
END_TEST

START_TEST(full_range_rule_is_one_rule_per_protocol)
{
    FX_SIM_ONLY();
    two_clusters();
    int before = fx_count("security_rule", a.cluster->security_group_id);
    char *id = add_rule("alpha", 1, 65535, BREV_PROTOCOL_TCP, FX_EXTERNAL_IP);
    ck_assert_int_eq(fx_count("security_rule", a.cluster->security_group_id), before + 1);
    ck_assert_int_eq(fx_flow(NULL, FX_EXTERNAL_IP, a.instances[0], NULL, "tcp", 1), 1);
    ck_assert_int_eq(fx_flow(NULL, FX_EXTERNAL_IP, a.instances[0], NULL, "tcp", 65535), 1);
    ck_assert_int_eq(fx_flow(NULL, FX_EXTERNAL_IP, a.instances[0], NULL, "udp", 53), 0);
    ck_assert_int_eq(fx_flow(NULL, "198.51.100.9", a.instances[0], NULL, "tcp", 22), 0);
    brev_string_free(id);
    two_clusters_free();
}
END_TEST

/* The second of four security rules is refused: the first, already created,
 * is taken back, so no part of the firewall rule stays open. */
START_TEST(failed_add_leaves_no_partial_rule)
{
    FX_SIM_ONLY();
    two_clusters();
    int before = fx_count("security_rule", a.cluster->security_group_id);
    json_decref(bn_test_requests(fx_client, NULL, 1)); /* clear the request log */
    Nebiussim__V1__InjectFaultRequest pass = NEBIUSSIM__V1__INJECT_FAULT_REQUEST__INIT;
    pass.method = "/nebius.vpc.v1.SecurityRuleService/Create";
    pass.latency_ms = 1; /* fires on the first create without failing it */
    pass.count = 1;
    Nebiussim__V1__InjectFaultRequest refuse = NEBIUSSIM__V1__INJECT_FAULT_REQUEST__INIT;
    refuse.method = "/nebius.vpc.v1.SecurityRuleService/Create";
    refuse.code = 7; /* PERMISSION_DENIED: not retried */
    refuse.count = 1;
    ck_assert_int_eq(bn_test_fault(fx_client, &pass), 0);
    ck_assert_int_eq(bn_test_fault(fx_client, &refuse), 0);

    brev_firewall_rule r = {9000, 9009, NULL, 0, BREV_PROTOCOL_TCP_UDP};
    char *id = NULL;
    ck_assert_int_eq(brev_firewall_add(fx_client, "alpha", &r, &id), BREV_EPERM);
    ck_assert_ptr_null(id);
    ck_assert_int_eq(bn_test_request_count(fx_client, "SecurityRuleService/Create"), 2);
    ck_assert_int_eq(fx_count("security_rule", a.cluster->security_group_id), before);
    ck_assert_int_eq(fx_flow(NULL, FX_EXTERNAL_IP, a.instances[0], NULL, "tcp", 9000), 0);

    /* once the API accepts again, the same call completes */
    ck_assert_int_eq(brev_firewall_add(fx_client, "alpha", &r, &id), BREV_OK);
    ck_assert_int_eq(fx_count("security_rule", a.cluster->security_group_id), before + 4);
    brev_string_free(id);
    two_clusters_free();
}
END_TEST

static brev_instance *create_in(const char *name, const char *cluster)
{
    static const char *const keys[] = {
        "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIK+g1Lmh3eaGj3//NRrSIu2Mlj83T9EKobauZ0g9TV9z policy@test"};
    brev_create_instance_options o;
    brev_instance *inst = NULL;
    ck_assert_int_eq(brev_create_instance_options_init(&o, BREV_CREATE_INSTANCE_OPTIONS_VERSION), BREV_OK);
    o.name = name;
    o.ref_id = name;
    o.instance_type = "cpu-d3.4vcpu-16gb";
    o.ssh_keys = keys;
    o.ssh_key_count = 1;
    o.cluster_id = cluster;
    o.public_ip = 1;
    o.timeout_ms = 60000;
    ck_assert_msg(brev_instance_create(fx_client, &o, &inst) == BREV_OK, "create %s: %s", name, brev_error_message());
    return inst;
}

/* The same model end to end, with instances made by brev_instance_create:
 * they join their cluster's group, the audit finds them compliant, and the
 * group goes with the last instance. */
START_TEST(instances_created_through_the_api_follow_the_model)
{
    FX_SIM_ONLY();
    brev_instance *a1 = create_in("e2e-a1", "e2e-a");
    brev_instance *a2 = create_in("e2e-a2", "e2e-a");
    brev_instance *b1 = create_in("e2e-b1", "e2e-b");
    brev_audit_report *r = NULL;
    char *id = NULL;

    ck_assert_str_eq(a1->security_group_id, a2->security_group_id);
    ck_assert_str_ne(a1->security_group_id, b1->security_group_id);
    ck_assert_int_eq(a1->disk_encrypted, 1);
    ck_assert_int_eq(fx_flow(NULL, FX_EXTERNAL_IP, a1->id, NULL, "tcp", 22), 0);
    ck_assert_int_eq(fx_flow(a1->id, NULL, a2->id, NULL, "tcp", 29500), 1);
    ck_assert_int_eq(fx_flow(a1->id, NULL, b1->id, NULL, "tcp", 22), 0);
    ck_assert_int_eq(fx_flow(b1->id, NULL, NULL, "8.8.8.8", "tcp", 443), 1);
    id = add_rule("e2e-a", 22, 22, BREV_PROTOCOL_TCP, FX_EXTERNAL_IP "/32");
    ck_assert_int_eq(fx_flow(NULL, FX_EXTERNAL_IP, a2->id, NULL, "tcp", 22), 1);
    ck_assert_int_eq(fx_flow(NULL, FX_EXTERNAL_IP, b1->id, NULL, "tcp", 22), 0);

    ck_assert_int_eq(brev_policy_audit(fx_client, "e2e-a", &r), BREV_OK);
    for (size_t i = 0; i < r->count; i++)
        fprintf(stderr, "unexpected: %s %s\n", brev_finding_kind_name(r->findings[i].kind), r->findings[i].message);
    ck_assert_uint_eq(r->count, 0);
    brev_audit_report_free(r);

    ck_assert_int_eq(brev_instance_terminate(fx_client, a1->id, 60000), BREV_OK);
    ck_assert_int_eq(brev_instance_terminate(fx_client, a2->id, 60000), BREV_OK);
    ck_assert_int_eq(fx_count("security_rule", a1->security_group_id), 0);
    ck_assert_int_eq(brev_firewall_list_rules(fx_client, "e2e-a", &(brev_firewall_list *){NULL}), BREV_ENOTFOUND);
    ck_assert_int_eq(brev_instance_terminate(fx_client, b1->id, 60000), BREV_OK);
    brev_string_free(id);
    brev_instance_free(a1);
    brev_instance_free(a2);
    brev_instance_free(b1);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("policy_flows");
    TCase *tc = fx_tcase("flows");
    SRunner *sr;
    int failed;

    tcase_add_test(tc, external_inbound_denied_by_default);
    tcase_add_test(tc, firewall_rule_opens_exactly_its_port_protocol_and_cidr);
    tcase_add_test(tc, tcp_udp_range_opens_both_protocols_and_only_the_range);
    tcase_add_test(tc, members_of_a_cluster_reach_each_other_on_any_port);
    tcase_add_test(tc, clusters_are_isolated_from_each_other);
    tcase_add_test(tc, outbound_is_open);
    tcase_add_test(tc, revoke_closes_again_and_removes_exactly_its_rules);
    tcase_add_test(tc, adding_the_same_rule_twice_creates_nothing_new);
    tcase_add_test(tc, list_groups_security_rules_by_firewall_rule);
    tcase_add_test(tc, bad_or_too_wide_rules_create_nothing);
    tcase_add_test(tc, full_range_rule_is_one_rule_per_protocol);
    tcase_add_test(tc, failed_add_leaves_no_partial_rule);
    tcase_add_test(tc, instances_created_through_the_api_follow_the_model);
    suite_add_tcase(s, tc);
    sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
