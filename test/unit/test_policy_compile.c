/* The firewall-rule compiler (src/policy/compile.c): FirewallRule -> the
 * fewest Nebius ingress rules, validation, limits and the stable rule id. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <brev/nebius.h>
#include "policy/compile.h"
#include "util/error.h"

static brev_firewall_rule make_rule(int from, int to, brev_protocol proto, const char *const *cidrs, size_t n)
{
    brev_firewall_rule r;
    memset(&r, 0, sizeof r);
    r.from_port = from;
    r.to_port = to;
    r.protocol = proto;
    r.cidrs = cidrs;
    r.cidr_count = n;
    return r;
}

/* Every (protocol, port, CIDR) the plan opens, as a count; and checks each
 * rule respects the API limits. */
static size_t opened_triples(const bn_fw_plan *plan)
{
    size_t total = 0;
    for (size_t i = 0; i < plan->count; i++) {
        const bn_fw_security_rule *r = &plan->rules[i];
        ck_assert_uint_le(r->port_count, 8);
        ck_assert_uint_le(r->cidr_count, 8);
        ck_assert_uint_ge(r->cidr_count, 1);
        for (size_t p = 0; p < r->port_count; p++) {
            ck_assert_int_ge(r->ports[p], 1);
            ck_assert_int_le(r->ports[p], 65535);
        }
        total += (r->port_count ? r->port_count : 1) * r->cidr_count;
    }
    return total;
}

START_TEST(single_port_tcp_is_one_rule)
{
    brev_firewall_rule r = make_rule(443, 443, BREV_PROTOCOL_TCP, NULL, 0);
    bn_fw_plan plan;
    ck_assert_int_eq(bn_fw_compile(&r, &plan), BREV_OK);
    ck_assert_uint_eq(plan.count, 1);
    ck_assert_int_eq(plan.rules[0].protocol, BN_FW_PROTO_TCP);
    ck_assert_uint_eq(plan.rules[0].port_count, 1);
    ck_assert_int_eq(plan.rules[0].ports[0], 443);
    ck_assert_uint_eq(plan.rules[0].cidr_count, 1);
    ck_assert_str_eq(plan.rules[0].cidrs[0], "0.0.0.0/0");
    ck_assert(bn_fw_id_valid(plan.rule.id));
    ck_assert(strncmp(plan.rules[0].name, plan.rule.id, strlen(plan.rule.id)) == 0);
    ck_assert_str_eq(plan.rules[0].name + strlen(plan.rule.id), "-0");
    bn_fw_plan_free(&plan);
}
END_TEST

START_TEST(range_of_eight_is_one_rule_listing_every_port)
{
    brev_firewall_rule r = make_rule(8000, 8007, BREV_PROTOCOL_UDP, NULL, 0);
    bn_fw_plan plan;
    ck_assert_int_eq(bn_fw_compile(&r, &plan), BREV_OK);
    ck_assert_uint_eq(plan.count, 1);
    ck_assert_int_eq(plan.rules[0].protocol, BN_FW_PROTO_UDP);
    ck_assert_uint_eq(plan.rules[0].port_count, 8);
    for (int i = 0; i < 8; i++)
        ck_assert_int_eq(plan.rules[0].ports[i], 8000 + i);
    bn_fw_plan_free(&plan);
}
END_TEST

START_TEST(range_of_nine_is_two_rules)
{
    brev_firewall_rule r = make_rule(8000, 8008, BREV_PROTOCOL_TCP, NULL, 0);
    bn_fw_plan plan;
    ck_assert_int_eq(bn_fw_compile(&r, &plan), BREV_OK);
    ck_assert_uint_eq(plan.count, 2);
    ck_assert_uint_eq(plan.rules[0].port_count, 8);
    ck_assert_uint_eq(plan.rules[1].port_count, 1);
    ck_assert_int_eq(plan.rules[1].ports[0], 8008);
    ck_assert_str_ne(plan.rules[0].name, plan.rules[1].name);
    ck_assert_uint_eq(opened_triples(&plan), 9);
    bn_fw_plan_free(&plan);
}
END_TEST

START_TEST(full_range_and_zero_are_any_port_and_the_same_rule)
{
    brev_firewall_rule full = make_rule(1, 65535, BREV_PROTOCOL_TCP, NULL, 0);
    brev_firewall_rule zero = make_rule(0, 0, BREV_PROTOCOL_TCP, NULL, 0);
    bn_fw_plan a, b;
    ck_assert_int_eq(bn_fw_compile(&full, &a), BREV_OK);
    ck_assert_int_eq(bn_fw_compile(&zero, &b), BREV_OK);
    ck_assert_uint_eq(a.count, 1);
    ck_assert_uint_eq(a.rules[0].port_count, 0);
    ck_assert_uint_eq(b.count, 1);
    ck_assert_uint_eq(b.rules[0].port_count, 0);
    ck_assert_int_eq(a.rule.from_port, 0);
    ck_assert_int_eq(a.rule.to_port, 0);
    ck_assert_str_eq(a.rule.id, b.rule.id);
    bn_fw_plan_free(&a);
    bn_fw_plan_free(&b);
}
END_TEST

START_TEST(nine_cidrs_are_two_rules)
{
    const char *cidrs[9];
    char buf[9][32];
    for (int i = 0; i < 9; i++) {
        snprintf(buf[i], sizeof buf[i], "10.0.%d.0/24", i);
        cidrs[i] = buf[i];
    }
    brev_firewall_rule r = make_rule(22, 22, BREV_PROTOCOL_TCP, cidrs, 9);
    bn_fw_plan plan;
    ck_assert_int_eq(bn_fw_compile(&r, &plan), BREV_OK);
    ck_assert_uint_eq(plan.count, 2);
    ck_assert_uint_eq(plan.rules[0].cidr_count, 8);
    ck_assert_uint_eq(plan.rules[1].cidr_count, 1);
    ck_assert_str_eq(plan.rules[1].cidrs[0], "10.0.8.0/24");
    bn_fw_plan_free(&plan);
}
END_TEST

START_TEST(tcp_udp_is_one_rule_per_protocol_never_any)
{
    brev_firewall_rule r = make_rule(53, 53, BREV_PROTOCOL_TCP_UDP, NULL, 0);
    bn_fw_plan plan;
    ck_assert_int_eq(bn_fw_compile(&r, &plan), BREV_OK);
    ck_assert_uint_eq(plan.count, 2);
    ck_assert_int_eq(plan.rules[0].protocol, BN_FW_PROTO_TCP);
    ck_assert_int_eq(plan.rules[1].protocol, BN_FW_PROTO_UDP);
    bn_fw_plan_free(&plan);

    /* even for every port: ANY would open ICMP too */
    r = make_rule(0, 0, BREV_PROTOCOL_TCP_UDP, NULL, 0);
    ck_assert_int_eq(bn_fw_compile(&r, &plan), BREV_OK);
    ck_assert_uint_eq(plan.count, 2);
    for (size_t i = 0; i < plan.count; i++)
        ck_assert_int_ne(plan.rules[i].protocol, BN_FW_PROTO_ANY);
    bn_fw_plan_free(&plan);
}
END_TEST

START_TEST(product_of_port_chunks_cidr_chunks_protocols)
{
    const char *cidrs[10];
    char buf[10][32];
    for (int i = 0; i < 10; i++) {
        snprintf(buf[i], sizeof buf[i], "192.0.2.%d/32", i);
        cidrs[i] = buf[i];
    }
    /* 20 ports -> 3 chunks, 10 CIDRs -> 2 chunks, TCP+UDP -> 2: 12 rules */
    brev_firewall_rule r = make_rule(9000, 9019, BREV_PROTOCOL_TCP_UDP, cidrs, 10);
    bn_fw_plan plan;
    ck_assert_int_eq(bn_fw_compile(&r, &plan), BREV_OK);
    ck_assert_uint_eq(plan.count, 12);
    ck_assert_uint_eq(bn_fw_rule_count(&plan.rule), 12);
    ck_assert_uint_eq(opened_triples(&plan), 2 * 20 * 10);
    for (size_t i = 0; i < plan.count; i++)
        for (size_t j = i + 1; j < plan.count; j++)
            ck_assert_str_ne(plan.rules[i].name, plan.rules[j].name);
    bn_fw_plan_free(&plan);
}
END_TEST

START_TEST(icmp_ignores_ports)
{
    brev_firewall_rule r = make_rule(100, 200, BREV_PROTOCOL_ICMP, NULL, 0);
    brev_firewall_rule any = make_rule(0, 0, BREV_PROTOCOL_ICMP, NULL, 0);
    bn_fw_plan plan, plan2;
    ck_assert_int_eq(bn_fw_compile(&r, &plan), BREV_OK);
    ck_assert_uint_eq(plan.count, 1);
    ck_assert_int_eq(plan.rules[0].protocol, BN_FW_PROTO_ICMP);
    ck_assert_uint_eq(plan.rules[0].port_count, 0);
    ck_assert_int_eq(bn_fw_compile(&any, &plan2), BREV_OK);
    ck_assert_str_eq(plan.rule.id, plan2.rule.id);
    bn_fw_plan_free(&plan);
    bn_fw_plan_free(&plan2);
}
END_TEST

START_TEST(any_protocol_every_port_is_one_any_rule)
{
    brev_firewall_rule r = make_rule(0, 0, BREV_PROTOCOL_ANY, NULL, 0);
    bn_fw_plan plan;
    ck_assert_int_eq(bn_fw_compile(&r, &plan), BREV_OK);
    ck_assert_uint_eq(plan.count, 1);
    ck_assert_int_eq(plan.rules[0].protocol, BN_FW_PROTO_ANY);
    bn_fw_plan_free(&plan);
}
END_TEST

START_TEST(any_protocol_with_ports_is_refused)
{
    brev_firewall_rule r = make_rule(80, 80, BREV_PROTOCOL_ANY, NULL, 0);
    bn_fw_plan plan;
    ck_assert_int_eq(bn_fw_compile(&r, &plan), BREV_EINVAL);
    ck_assert_ptr_nonnull(strstr(brev_error_message(), "tcp_udp"));
    ck_assert_ptr_null(plan.rules);
}
END_TEST

START_TEST(limit_exceeded_is_policy_error)
{
    /* 257 ports -> 33 chunks > 32 */
    brev_firewall_rule r = make_rule(1000, 1256, BREV_PROTOCOL_TCP, NULL, 0);
    bn_fw_plan plan;
    ck_assert_int_eq(bn_fw_compile(&r, &plan), BREV_EPOLICY);
    ck_assert_ptr_nonnull(strstr(brev_error_message(), "33 security rules"));
    ck_assert_ptr_nonnull(strstr(brev_error_message(), "1000-1256"));
    ck_assert_ptr_null(plan.rules);

    /* 256 ports TCP: exactly 32, allowed */
    r = make_rule(1000, 1255, BREV_PROTOCOL_TCP, NULL, 0);
    ck_assert_int_eq(bn_fw_compile(&r, &plan), BREV_OK);
    ck_assert_uint_eq(plan.count, 32);
    ck_assert_uint_eq(opened_triples(&plan), 256);
    bn_fw_plan_free(&plan);

    /* the same range on TCP+UDP doubles: 64 > 32 */
    r = make_rule(1000, 1255, BREV_PROTOCOL_TCP_UDP, NULL, 0);
    ck_assert_int_eq(bn_fw_compile(&r, &plan), BREV_EPOLICY);

    /* a wide range below the full one is refused, the full one is not */
    r = make_rule(2, 65535, BREV_PROTOCOL_TCP, NULL, 0);
    ck_assert_int_eq(bn_fw_compile(&r, &plan), BREV_EPOLICY);
    r = make_rule(1, 65535, BREV_PROTOCOL_TCP_UDP, NULL, 0);
    ck_assert_int_eq(bn_fw_compile(&r, &plan), BREV_OK);
    bn_fw_plan_free(&plan);
}
END_TEST

START_TEST(bad_ports_are_invalid)
{
    static const int cases[][2] = {{0, 80}, {80, 0}, {-1, 5}, {1, 65536}, {70000, 70000}, {90, 80}, {65536, 65536}};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        brev_firewall_rule r = make_rule(cases[i][0], cases[i][1], BREV_PROTOCOL_TCP, NULL, 0);
        bn_fw_plan plan;
        ck_assert_int_eq(bn_fw_compile(&r, &plan), BREV_EINVAL);
        ck_assert_ptr_null(plan.rules);
    }
    brev_firewall_rule bad_proto = make_rule(80, 80, (brev_protocol)42, NULL, 0);
    bn_fw_plan plan;
    ck_assert_int_eq(bn_fw_compile(&bad_proto, &plan), BREV_EINVAL);
    ck_assert_int_eq(bn_fw_compile(NULL, &plan), BREV_EINVAL);
    brev_firewall_rule null_cidrs = make_rule(80, 80, BREV_PROTOCOL_TCP, NULL, 2);
    ck_assert_int_eq(bn_fw_compile(&null_cidrs, &plan), BREV_EINVAL);
}
END_TEST

START_TEST(bad_cidrs_are_invalid)
{
    static const char *const bad[] = {"",           "10.0.0.0/33", "10.0.0/24",   "256.0.0.0/8", "10.0.0.0/",
                                      "10.0.0.0/-1", "a.b.c.d/8",  "10.0.0.0/8x", "::1/128",     "10.0.0.01/32",
                                      "10.0.0.5/24", "1.2.3.4.5",  " 1.2.3.4",    "10.0.0.0/08", "10..0.0/8"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        const char *one[1] = {bad[i]};
        brev_firewall_rule r = make_rule(22, 22, BREV_PROTOCOL_TCP, one, 1);
        bn_fw_plan plan;
        ck_assert_msg(bn_fw_compile(&r, &plan) == BREV_EINVAL, "accepted %s", bad[i]);
        ck_assert_ptr_nonnull(strstr(brev_error_message(), "CIDR"));
    }
    /* host bits: refused, naming the network the caller probably meant */
    const char *host_bits[1] = {"10.0.0.5/24"};
    brev_firewall_rule r = make_rule(22, 22, BREV_PROTOCOL_TCP, host_bits, 1);
    bn_fw_plan plan;
    ck_assert_int_eq(bn_fw_compile(&r, &plan), BREV_EINVAL);
    ck_assert_ptr_nonnull(strstr(brev_error_message(), "10.0.0.0/24"));
    const char *with_null[2] = {"10.0.0.0/8", NULL};
    r = make_rule(22, 22, BREV_PROTOCOL_TCP, with_null, 2);
    ck_assert_int_eq(bn_fw_compile(&r, &plan), BREV_EINVAL);
}
END_TEST

START_TEST(good_cidrs_are_canonical)
{
    char out[BN_FW_CIDR_CAP];
    ck_assert_int_eq(bn_fw_parse_cidr("198.51.100.7", out), BREV_OK);
    ck_assert_str_eq(out, "198.51.100.7/32");
    ck_assert_int_eq(bn_fw_parse_cidr("0.0.0.0/0", out), BREV_OK);
    ck_assert_str_eq(out, "0.0.0.0/0");
    ck_assert_int_eq(bn_fw_parse_cidr("255.255.255.255/32", out), BREV_OK);
    ck_assert_str_eq(out, "255.255.255.255/32");
    ck_assert_int_eq(bn_fw_parse_cidr("172.16.0.0/12", out), BREV_OK);
    ck_assert_str_eq(out, "172.16.0.0/12");
    ck_assert_int_eq(bn_fw_parse_cidr("0.0.0.0/0", out), BREV_OK);
}
END_TEST

START_TEST(id_is_stable_and_independent_of_cidr_order_and_duplicates)
{
    const char *a[3] = {"10.0.0.0/8", "192.168.1.0/24", "198.51.100.7/32"};
    const char *b[4] = {"198.51.100.7", "10.0.0.0/8", "192.168.1.0/24", "10.0.0.0/8"};
    brev_firewall_rule ra = make_rule(80, 81, BREV_PROTOCOL_TCP, a, 3);
    brev_firewall_rule rb = make_rule(80, 81, BREV_PROTOCOL_TCP, b, 4);
    bn_fw_normal na, nb, again;
    ck_assert_int_eq(bn_fw_normalise(&ra, &na), BREV_OK);
    ck_assert_int_eq(bn_fw_normalise(&rb, &nb), BREV_OK);
    ck_assert_int_eq(bn_fw_normalise(&ra, &again), BREV_OK);
    ck_assert_str_eq(na.id, nb.id);
    ck_assert_str_eq(na.id, again.id);
    ck_assert_uint_eq(nb.cidr_count, 3);
    ck_assert_str_eq(nb.cidrs[0], "10.0.0.0/8");
    ck_assert_str_eq(nb.cidrs[1], "192.168.1.0/24");
    ck_assert_str_eq(nb.cidrs[2], "198.51.100.7/32");
    bn_fw_normal_free(&na);
    bn_fw_normal_free(&nb);
    bn_fw_normal_free(&again);
}
END_TEST

START_TEST(id_changes_with_ports_protocol_or_cidrs)
{
    const char *c1[1] = {"10.0.0.0/8"};
    const char *c2[1] = {"10.0.0.0/16"};
    brev_firewall_rule rules[] = {
        make_rule(80, 80, BREV_PROTOCOL_TCP, c1, 1), make_rule(81, 81, BREV_PROTOCOL_TCP, c1, 1),
        make_rule(80, 81, BREV_PROTOCOL_TCP, c1, 1), make_rule(80, 80, BREV_PROTOCOL_UDP, c1, 1),
        make_rule(80, 80, BREV_PROTOCOL_TCP_UDP, c1, 1), make_rule(80, 80, BREV_PROTOCOL_TCP, c2, 1),
        make_rule(80, 80, BREV_PROTOCOL_TCP, NULL, 0),
    };
    size_t n = sizeof rules / sizeof rules[0];
    char ids[8][BN_FW_ID_CAP];
    for (size_t i = 0; i < n; i++) {
        bn_fw_normal norm;
        ck_assert_int_eq(bn_fw_normalise(&rules[i], &norm), BREV_OK);
        memcpy(ids[i], norm.id, BN_FW_ID_CAP);
        bn_fw_normal_free(&norm);
        for (size_t j = 0; j < i; j++)
            ck_assert_str_ne(ids[i], ids[j]);
    }
}
END_TEST

START_TEST(no_cidr_equals_explicit_everywhere)
{
    const char *all[1] = {"0.0.0.0/0"};
    brev_firewall_rule a = make_rule(22, 22, BREV_PROTOCOL_TCP, NULL, 0);
    brev_firewall_rule b = make_rule(22, 22, BREV_PROTOCOL_TCP, all, 1);
    bn_fw_normal na, nb;
    ck_assert_int_eq(bn_fw_normalise(&a, &na), BREV_OK);
    ck_assert_int_eq(bn_fw_normalise(&b, &nb), BREV_OK);
    ck_assert_str_eq(na.id, nb.id);
    bn_fw_normal_free(&na);
    bn_fw_normal_free(&nb);
}
END_TEST

START_TEST(id_shape_and_ports_text)
{
    char text[16];
    int from, to;
    ck_assert(bn_fw_id_valid("fw-0123456789ab"));
    ck_assert(!bn_fw_id_valid("fw-0123456789AB"));
    ck_assert(!bn_fw_id_valid("fw-0123456789a"));
    ck_assert(!bn_fw_id_valid("xx-0123456789ab"));
    ck_assert(!bn_fw_id_valid(NULL));
    bn_fw_port_text(0, 0, text, sizeof text);
    ck_assert_str_eq(text, "all");
    bn_fw_port_text(22, 22, text, sizeof text);
    ck_assert_str_eq(text, "22");
    bn_fw_port_text(8000, 8010, text, sizeof text);
    ck_assert_str_eq(text, "8000-8010");
    ck_assert_int_eq(bn_fw_port_parse("8000-8010", &from, &to), BREV_OK);
    ck_assert_int_eq(from, 8000);
    ck_assert_int_eq(to, 8010);
    ck_assert_int_eq(bn_fw_port_parse("22", &from, &to), BREV_OK);
    ck_assert_int_eq(from, 22);
    ck_assert_int_eq(to, 22);
    ck_assert_int_eq(bn_fw_port_parse("all", &from, &to), BREV_OK);
    ck_assert_int_eq(from, 0);
    ck_assert_int_eq(bn_fw_port_parse("9-3", &from, &to), BREV_EINVAL);
    ck_assert_int_eq(bn_fw_port_parse("0", &from, &to), BREV_EINVAL);
    ck_assert_int_eq(bn_fw_port_parse("x", &from, &to), BREV_EINVAL);
}
END_TEST

START_TEST(protocol_names_round_trip)
{
    brev_protocol p;
    for (int i = BREV_PROTOCOL_TCP_UDP; i <= BREV_PROTOCOL_ANY; i++) {
        ck_assert_int_eq(brev_protocol_parse(brev_protocol_name((brev_protocol)i), &p), BREV_OK);
        ck_assert_int_eq(p, i);
    }
    ck_assert_int_eq(brev_protocol_parse("TCP", &p), BREV_OK);
    ck_assert_int_eq(p, BREV_PROTOCOL_TCP);
    ck_assert_int_eq(brev_protocol_parse("tcp+udp", &p), BREV_OK);
    ck_assert_int_eq(p, BREV_PROTOCOL_TCP_UDP);
    ck_assert_int_eq(brev_protocol_parse("sctp", &p), BREV_EINVAL);
    ck_assert_ptr_nonnull(strstr(brev_error_message(), "sctp"));
    ck_assert_str_eq(brev_protocol_name((brev_protocol)99), "unknown");
}
END_TEST

/* Exhaustive over small ranges: every port of the range is opened exactly
 * once per protocol and CIDR, and nothing else. */
START_TEST(every_range_up_to_forty_opens_exactly_its_ports)
{
    for (int len = 1; len <= 40; len++) {
        brev_firewall_rule r = make_rule(100, 100 + len - 1, BREV_PROTOCOL_TCP, NULL, 0);
        bn_fw_plan plan;
        unsigned char seen[64] = {0};
        ck_assert_int_eq(bn_fw_compile(&r, &plan), BREV_OK);
        ck_assert_uint_eq(plan.count, (size_t)((len + 7) / 8));
        for (size_t i = 0; i < plan.count; i++)
            for (size_t p = 0; p < plan.rules[i].port_count; p++) {
                int port = plan.rules[i].ports[p];
                ck_assert_int_ge(port, 100);
                ck_assert_int_lt(port, 100 + len);
                ck_assert_int_eq(seen[port - 100], 0);
                seen[port - 100] = 1;
            }
        for (int k = 0; k < len; k++)
            ck_assert_int_eq(seen[k], 1);
        bn_fw_plan_free(&plan);
    }
}
END_TEST

static Suite *compile_suite(void)
{
    Suite *s = suite_create("policy_compile");
    TCase *tc = tcase_create("compile");
    tcase_add_test(tc, single_port_tcp_is_one_rule);
    tcase_add_test(tc, range_of_eight_is_one_rule_listing_every_port);
    tcase_add_test(tc, range_of_nine_is_two_rules);
    tcase_add_test(tc, full_range_and_zero_are_any_port_and_the_same_rule);
    tcase_add_test(tc, nine_cidrs_are_two_rules);
    tcase_add_test(tc, tcp_udp_is_one_rule_per_protocol_never_any);
    tcase_add_test(tc, product_of_port_chunks_cidr_chunks_protocols);
    tcase_add_test(tc, icmp_ignores_ports);
    tcase_add_test(tc, any_protocol_every_port_is_one_any_rule);
    tcase_add_test(tc, any_protocol_with_ports_is_refused);
    tcase_add_test(tc, limit_exceeded_is_policy_error);
    tcase_add_test(tc, bad_ports_are_invalid);
    tcase_add_test(tc, bad_cidrs_are_invalid);
    tcase_add_test(tc, good_cidrs_are_canonical);
    tcase_add_test(tc, id_is_stable_and_independent_of_cidr_order_and_duplicates);
    tcase_add_test(tc, id_changes_with_ports_protocol_or_cidrs);
    tcase_add_test(tc, no_cidr_equals_explicit_everywhere);
    tcase_add_test(tc, id_shape_and_ports_text);
    tcase_add_test(tc, protocol_names_round_trip);
    tcase_add_test(tc, every_range_up_to_forty_opens_exactly_its_ports);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(compile_suite());
    int failed;
    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
