/* Per-cluster security groups (src/policy/group.c, cluster.c): created once
 * with their base rules, reused, one group even when two clients race,
 * listed with instance counts, deleted only when empty, released after the
 * last instance unless the client keeps empty clusters. */
#include <pthread.h>
#include <unistd.h>

#include "test_policy_fixture.h"
#include "policy/policy.h"

static const char *label_of(json_t *resource, const char *key)
{
    return json_string_value(json_object_get(json_object_get(json_object_get(resource, "metadata"), "labels"), key));
}

static json_t *resource_of(json_t *state, const char *id)
{
    return json_object_get(json_object_get(json_object_get(state, "resources"), id), "resource");
}

START_TEST(ensure_creates_a_labelled_group_with_two_base_rules)
{
    FX_SIM_ONLY();
    brev_cluster *c = NULL;
    ck_assert_int_eq(brev_cluster_ensure(fx_client, "train-01", &c), BREV_OK);
    ck_assert_str_eq(c->id, "train-01");
    ck_assert(strncmp(c->security_group_id, "vpcsecuritygroup-", 17) == 0);
    ck_assert_uint_eq(c->instance_count, 0);

    json_t *state = bn_test_state(fx_client);
    json_t *group = resource_of(state, c->security_group_id);
    ck_assert_str_eq(json_string_value(json_object_get(json_object_get(group, "metadata"), "name")),
                     "brev-cluster-train-01");
    ck_assert_str_eq(label_of(group, "brev-cluster-id"), "train-01");
    ck_assert_str_eq(label_of(group, "brev-managed"), "true");
    /* in the network of the default subnet, the one instances land in */
    json_t *subnet = resource_of(state, FX_SUBNET);
    ck_assert_str_eq(json_string_value(json_object_get(json_object_get(group, "spec"), "network_id")),
                     json_string_value(json_object_get(json_object_get(subnet, "spec"), "network_id")));
    ck_assert_str_eq(c->network_id,
                     json_string_value(json_object_get(json_object_get(subnet, "spec"), "network_id")));
    json_decref(state);

    ck_assert_int_eq(fx_count("security_rule", c->security_group_id), 2);
    char *self = fx_rule_named(c->security_group_id, "self");
    char *egress = fx_rule_named(c->security_group_id, "egress-all");
    ck_assert_ptr_nonnull(self);
    ck_assert_ptr_nonnull(egress);
    state = bn_test_state(fx_client);
    json_t *s = resource_of(state, self);
    json_t *e = resource_of(state, egress);
    ck_assert_str_eq(json_string_value(json_object_get(json_object_get(json_object_get(s, "spec"), "ingress"),
                                                       "source_security_group_id")),
                     c->security_group_id);
    ck_assert_str_eq(label_of(s, "brev-rule"), "self");
    ck_assert_str_eq(label_of(e, "brev-rule"), "egress");
    json_t *cidrs = json_object_get(json_object_get(json_object_get(e, "spec"), "egress"), "destination_cidrs");
    ck_assert_uint_eq(json_array_size(cidrs), 1);
    ck_assert_str_eq(json_string_value(json_array_get(cidrs, 0)), "0.0.0.0/0");
    json_decref(state);
    free(self);
    free(egress);
    brev_cluster_free(c);
}
END_TEST

START_TEST(ensure_twice_reuses_the_group)
{
    FX_SIM_ONLY();
    brev_cluster *c1 = NULL, *c2 = NULL;
    ck_assert_int_eq(brev_cluster_ensure(fx_client, "reuse", &c1), BREV_OK);
    int groups = fx_count("security_group", NULL);
    int rules = fx_count("security_rule", NULL);
    ck_assert_int_eq(brev_cluster_ensure(fx_client, "reuse", &c2), BREV_OK);
    ck_assert_int_eq(brev_cluster_ensure(fx_client, "reuse", NULL), BREV_OK);
    ck_assert_str_eq(c1->security_group_id, c2->security_group_id);
    ck_assert_int_eq(fx_count("security_group", NULL), groups);
    ck_assert_int_eq(fx_count("security_rule", NULL), rules);
    brev_cluster_free(c1);
    brev_cluster_free(c2);
}
END_TEST

START_TEST(ensure_restores_a_missing_base_rule)
{
    FX_SIM_ONLY();
    brev_cluster *c = NULL;
    ck_assert_int_eq(brev_cluster_ensure(fx_client, "heal", &c), BREV_OK);
    char *egress = fx_rule_named(c->security_group_id, "egress-all");
    free(bn_test_mutate(fx_client, egress, NULL, 1, NULL, NULL));
    ck_assert_int_eq(fx_count("security_rule", c->security_group_id), 1);
    ck_assert_int_eq(brev_cluster_ensure(fx_client, "heal", NULL), BREV_OK);
    ck_assert_int_eq(fx_count("security_rule", c->security_group_id), 2);
    char *again = fx_rule_named(c->security_group_id, "egress-all");
    ck_assert_ptr_nonnull(again);
    free(again);
    free(egress);
    brev_cluster_free(c);
}
END_TEST

typedef struct race_arg {
    brev_client *client;
    const char *cluster;
    int rc;
    char group[128];
    char message[256];
} race_arg;

static pthread_barrier_t race_barrier;

static void *race_ensure(void *p)
{
    race_arg *a = p;
    brev_cluster *c = NULL;
    pthread_barrier_wait(&race_barrier);
    a->rc = brev_cluster_ensure(a->client, a->cluster, &c);
    snprintf(a->message, sizeof a->message, "%s", brev_error_message());
    if (c)
        snprintf(a->group, sizeof a->group, "%s", c->security_group_id);
    brev_cluster_free(c);
    return NULL;
}

/* Two clients (two processes, as far as the API can tell) ensure the same
 * cluster at once; the lookups are slowed so both miss the group and both
 * create it. */
START_TEST(concurrent_ensure_ends_with_one_group)
{
    FX_SIM_ONLY();
    brev_client *other = bn_test_client(&fx_sim);
    /* both clients hold a token and know the project before the race */
    ck_assert_int_eq(brev_cluster_ensure(fx_client, "warm", NULL), BREV_OK);
    ck_assert_int_eq(brev_cluster_ensure(other, "warm", NULL), BREV_OK);
    json_decref(bn_test_requests(fx_client, NULL, 1)); /* clear the request log */
    Nebiussim__V1__InjectFaultRequest slow = NEBIUSSIM__V1__INJECT_FAULT_REQUEST__INIT;
    slow.method = "/nebius.vpc.v1.SecurityGroupService/GetByName";
    slow.latency_ms = 1000;
    slow.count = 2;
    ck_assert_int_eq(bn_test_fault(fx_client, &slow), 0);
    Nebiussim__V1__InjectFaultRequest slow_list = NEBIUSSIM__V1__INJECT_FAULT_REQUEST__INIT;
    slow_list.method = "/nebius.vpc.v1.SecurityRuleService/List";
    slow_list.latency_ms = 1000;
    slow_list.count = 2;
    ck_assert_int_eq(bn_test_fault(fx_client, &slow_list), 0);

    int groups_before = fx_count("security_group", NULL);
    race_arg args[2] = {{fx_client, "race", -99, "", ""}, {other, "race", -99, "", ""}};
    pthread_t threads[2];
    pthread_barrier_init(&race_barrier, NULL, 2);
    for (int i = 0; i < 2; i++)
        ck_assert_int_eq(pthread_create(&threads[i], NULL, race_ensure, &args[i]), 0);
    for (int i = 0; i < 2; i++)
        pthread_join(threads[i], NULL);
    pthread_barrier_destroy(&race_barrier);

    ck_assert_msg(args[0].rc == BREV_OK, "first: %s", args[0].message);
    ck_assert_msg(args[1].rc == BREV_OK, "second: %s", args[1].message);
    ck_assert_str_eq(args[0].group, args[1].group);
    ck_assert_int_eq(fx_count("security_group", NULL), groups_before + 1);
    ck_assert_int_eq(fx_count("security_rule", args[0].group), 2);
    /* both really raced: two creates were sent, one was refused */
    ck_assert_int_eq(bn_test_request_count(fx_client, "SecurityGroupService/Create"), 2);
    brev_client_free(other);
}
END_TEST

/* The race lost deterministically: the other process's group appears
 * between our lookup (answered NOT_FOUND) and our create. */
START_TEST(create_losing_the_race_reuses_the_winners_group)
{
    FX_SIM_ONLY();
    brev_cluster *winner = NULL, *loser = NULL;
    ck_assert_int_eq(brev_cluster_ensure(fx_client, "lost", &winner), BREV_OK);
    Nebiussim__V1__InjectFaultRequest miss = NEBIUSSIM__V1__INJECT_FAULT_REQUEST__INIT;
    miss.method = "/nebius.vpc.v1.SecurityGroupService/GetByName";
    miss.code = 5; /* NOT_FOUND */
    miss.count = 1;
    ck_assert_int_eq(bn_test_fault(fx_client, &miss), 0);
    int groups = fx_count("security_group", NULL);
    json_decref(bn_test_requests(fx_client, NULL, 1)); /* clear the request log */
    ck_assert_msg(brev_cluster_ensure(fx_client, "lost", &loser) == BREV_OK, "%s", brev_error_message());
    ck_assert_str_eq(loser->security_group_id, winner->security_group_id);
    ck_assert_int_eq(bn_test_request_count(fx_client, "SecurityGroupService/Create"), 1);
    ck_assert_int_eq(fx_count("security_group", NULL), groups);
    ck_assert_int_eq(fx_count("security_rule", winner->security_group_id), 2);
    brev_cluster_free(winner);
    brev_cluster_free(loser);
}
END_TEST

typedef struct add_arg {
    brev_client *client;
    int rc;
    char id[32];
} add_arg;

static void *race_add(void *p)
{
    add_arg *a = p;
    const char *cidrs[1] = {"192.0.2.0/24"};
    brev_firewall_rule r = {7000, 7009, cidrs, 1, BREV_PROTOCOL_TCP_UDP};
    char *id = NULL;
    pthread_barrier_wait(&race_barrier);
    a->rc = brev_firewall_add(a->client, "race-fw", &r, &id);
    if (id)
        snprintf(a->id, sizeof a->id, "%s", id);
    brev_string_free(id);
    return NULL;
}

START_TEST(concurrent_add_of_one_rule_creates_it_once)
{
    FX_SIM_ONLY();
    brev_client *other = bn_test_client(&fx_sim);
    brev_cluster *c = NULL;
    ck_assert_int_eq(brev_cluster_ensure(fx_client, "race-fw", &c), BREV_OK);
    Nebiussim__V1__InjectFaultRequest slow = NEBIUSSIM__V1__INJECT_FAULT_REQUEST__INIT;
    slow.method = "/nebius.vpc.v1.SecurityRuleService/List";
    slow.latency_ms = 300;
    slow.count = 4;
    ck_assert_int_eq(bn_test_fault(fx_client, &slow), 0);

    add_arg args[2] = {{fx_client, -99, ""}, {other, -99, ""}};
    pthread_t threads[2];
    pthread_barrier_init(&race_barrier, NULL, 2);
    for (int i = 0; i < 2; i++)
        ck_assert_int_eq(pthread_create(&threads[i], NULL, race_add, &args[i]), 0);
    for (int i = 0; i < 2; i++)
        pthread_join(threads[i], NULL);
    pthread_barrier_destroy(&race_barrier);
    ck_assert_int_eq(args[0].rc, BREV_OK);
    ck_assert_int_eq(args[1].rc, BREV_OK);
    ck_assert_str_eq(args[0].id, args[1].id);
    /* 2 base rules + 2 port chunks x 2 protocols */
    ck_assert_int_eq(fx_count("security_rule", c->security_group_id), 6);
    brev_cluster_free(c);
    brev_client_free(other);
}
END_TEST

START_TEST(invalid_cluster_ids_are_refused_before_any_call)
{
    FX_SIM_ONLY();
    static const char *const bad[] = {"", "Upper", "under_score", "dot.ted", "space d", "slash/x",
                                      "0123456789012345678901234567890123456789012345678901234567890123"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        brev_cluster *c = (brev_cluster *)1;
        ck_assert_int_eq(brev_cluster_ensure(fx_client, bad[i], &c), BREV_EINVAL);
        ck_assert_ptr_null(c);
        ck_assert_ptr_nonnull(strstr(brev_error_message(), "cluster id"));
        ck_assert_int_eq(brev_cluster_delete(fx_client, bad[i]), BREV_EINVAL);
    }
    ck_assert_int_eq(brev_cluster_ensure(fx_client, NULL, NULL), BREV_EINVAL);
    ck_assert_int_eq(brev_cluster_ensure(NULL, "ok", NULL), BREV_EINVAL);
    /* 63 characters is the longest allowed */
    ck_assert_int_eq(brev_cluster_ensure(fx_client, "012345678901234567890123456789012345678901234567890123456789012",
                                         NULL),
                     BREV_OK);
    ck_assert_int_eq(bn_test_request_count(fx_client, "SecurityGroupService/Create"), 1);
}
END_TEST

START_TEST(same_named_group_not_made_by_us_is_refused)
{
    FX_SIM_ONLY();
    json_t *state = bn_test_state(fx_client);
    const char *net = json_string_value(
        json_object_get(json_object_get(resource_of(state, FX_SUBNET), "spec"), "network_id"));
    char json[512];
    snprintf(json, sizeof json,
             "{\"metadata\":{\"parent_id\":\"%s\",\"name\":\"brev-cluster-squat\"},\"spec\":{\"network_id\":\"%s\"}}",
             FX_PROJECT, net);
    json_decref(state);
    char *squat = bn_test_mutate(fx_client, NULL, NULL, 0, "security_group", json);
    brev_firewall_rule r = {22, 22, NULL, 0, BREV_PROTOCOL_TCP};
    ck_assert_int_eq(brev_cluster_ensure(fx_client, "squat", NULL), BREV_EPRECONDITION);
    ck_assert_ptr_nonnull(strstr(brev_error_message(), squat));
    ck_assert_int_eq(brev_firewall_add(fx_client, "squat", &r, NULL), BREV_EPRECONDITION);
    ck_assert_int_eq(brev_cluster_delete(fx_client, "squat"), BREV_EPRECONDITION);
    ck_assert_int_eq(fx_count("security_rule", squat), 0);
    free(squat);
}
END_TEST

/* A rule squatting on one of a firewall rule's deterministic names, not made
 * for it: adding the firewall rule must not take the squatter for its own. */
START_TEST(same_named_security_rule_not_made_by_us_is_refused)
{
    FX_SIM_ONLY();
    brev_firewall_rule r = {8080, 8080, NULL, 0, BREV_PROTOCOL_TCP};
    brev_cluster *c = NULL;
    char *id = NULL, name[128], json[1024];

    /* The id is a function of the rule alone: learn it on another cluster. */
    ck_assert_int_eq(brev_firewall_add(fx_client, "fw-probe", &r, &id), BREV_OK);
    ck_assert_int_eq(brev_cluster_ensure(fx_client, "fw-squat", &c), BREV_OK);
    snprintf(name, sizeof name, "%s-0", id);
    snprintf(json, sizeof json,
             "{\"metadata\":{\"parent_id\":\"%s\",\"name\":\"%s\"},\"spec\":{\"access\":\"ALLOW\","
             "\"protocol\":\"TCP\",\"ingress\":{\"source_cidrs\":[\"0.0.0.0/0\"],\"destination_ports\":[22]}},"
             "\"status\":{\"state\":\"READY\"}}",
             c->security_group_id, name);
    char *squat = bn_test_mutate(fx_client, NULL, NULL, 0, "security_rule", json);
    ck_assert_ptr_nonnull(squat);
    int before = fx_count("security_rule", c->security_group_id);

    ck_assert_int_eq(brev_firewall_add(fx_client, "fw-squat", &r, NULL), BREV_EPRECONDITION);
    ck_assert_msg(strstr(brev_error_message(), squat) && strstr(brev_error_message(), "not made"), "%s",
                  brev_error_message());
    ck_assert_int_eq(fx_count("security_rule", c->security_group_id), before);
    free(squat);
    brev_string_free(id);
    brev_cluster_free(c);
}
END_TEST

/* A caller that asks to stop once, when told an operation is done (as a
 * Ctrl-C that lands during the last poll is answered): that operation is
 * over, so the stop must be honoured at the next one, before it is sent. */
typedef struct stop_after_done {
    int seen_done;  /* a "create security rule" operation reported "done" */
    int asked;      /* non-zero returned once */
    int startings;  /* "starting" reports seen */
} stop_after_done;

static int stop_once_after_done(const brev_progress *p, void *payload)
{
    stop_after_done *s = payload;
    if (strcmp(p->state, "starting") == 0)
        s->startings++;
    if (strstr(p->what, "security rule") && strcmp(p->state, "done") == 0)
        s->seen_done = 1;
    if (s->seen_done && !s->asked && strcmp(p->state, "done") != 0) {
        s->asked = 1;
        return 1;
    }
    return 0;
}

START_TEST(stop_asked_between_operations_sends_nothing_more)
{
    FX_SIM_ONLY();
    brev_client_options o;
    brev_client *c = NULL;
    brev_cluster *cl = NULL;
    stop_after_done stop = {0, 0, 0};
    const char *cidrs[1] = {"192.0.2.0/24"};
    brev_firewall_rule both = {22, 22, cidrs, 1, BREV_PROTOCOL_TCP_UDP}; /* one rule per protocol */
    char *id = (char *)1;

    ck_assert_int_eq(brev_cluster_ensure(fx_client, "stop-between", &cl), BREV_OK);
    bn_test_client_options(&fx_sim, &o);
    o.progress = stop_once_after_done;
    o.progress_payload = &stop;
    ck_assert_int_eq(brev_client_new(&c, &o), BREV_OK);
    json_decref(bn_test_requests(fx_client, NULL, 1)); /* clear the request log */
    ck_assert_int_eq(brev_firewall_add(c, "stop-between", &both, &id), BREV_ECANCELLED);
    ck_assert_ptr_null(id);
    ck_assert_int_eq(stop.asked, 1);
    ck_assert_int_ge(stop.startings, 2);
    ck_assert_msg(strstr(brev_error_message(), "cancelled before it was sent") != NULL, "%s", brev_error_message());
    /* the second rule was never sent, the first was taken back */
    ck_assert_int_eq(bn_test_request_count(fx_client, "SecurityRuleService/Create"), 1);
    ck_assert_int_eq(bn_test_request_count(fx_client, "SecurityRuleService/Delete"), 1);
    ck_assert_int_eq(fx_count("security_rule", cl->security_group_id), 2);
    brev_client_free(c);
    brev_cluster_free(cl);
}
END_TEST

/* Stops while the second security rule of a firewall rule is being
 * created: that create was sent, so the rule exists without its id coming
 * back. The add must take it back too, not only the first one. */
static int stop_while_second_rule_runs(const brev_progress *p, void *payload)
{
    int *done_rules = payload;
    if (strstr(p->what, "create security rule") && strcmp(p->state, "done") == 0)
        ++*done_rules;
    return *done_rules == 1 && strstr(p->what, "create security rule") && strcmp(p->state, "running") == 0;
}

START_TEST(stop_while_a_security_rule_is_created_leaves_none_of_the_rule)
{
    FX_SIM_ONLY();
    brev_client_options o;
    brev_client *c = NULL;
    brev_cluster *cl = NULL;
    int done_rules = 0;
    const char *cidrs[1] = {"192.0.2.0/24"};
    brev_firewall_rule both = {2222, 2222, cidrs, 1, BREV_PROTOCOL_TCP_UDP};

    ck_assert_int_eq(brev_cluster_ensure(fx_client, "stop-inflight", &cl), BREV_OK);
    bn_test_client_options(&fx_sim, &o);
    o.progress = stop_while_second_rule_runs;
    o.progress_payload = &done_rules;
    ck_assert_int_eq(brev_client_new(&c, &o), BREV_OK);
    json_decref(bn_test_requests(fx_client, NULL, 1));
    ck_assert_int_eq(brev_firewall_add(c, "stop-inflight", &both, NULL), BREV_ECANCELLED);
    ck_assert_msg(strstr(brev_error_message(), "may exist") != NULL, "%s", brev_error_message());
    /* both creates were sent; both rules are gone again */
    ck_assert_int_eq(bn_test_request_count(fx_client, "SecurityRuleService/Create"), 2);
    ck_assert_int_eq(bn_test_request_count(fx_client, "SecurityRuleService/Delete"), 2);
    ck_assert_int_eq(fx_count("security_rule", cl->security_group_id), 2);
    brev_client_free(c);
    brev_cluster_free(cl);
}
END_TEST

START_TEST(list_shows_our_clusters_with_instance_counts)
{
    FX_SIM_ONLY();
    fx_cluster a, b;
    brev_cluster_list *list = NULL;
    fx_cluster_make(&a, "list-a", "10.0.0.31", "10.0.0.32");
    fx_cluster_make(&b, "list-b", "10.0.0.41", "10.0.0.42");
    free(bn_test_mutate(fx_client, b.instances[1], NULL, 1, NULL, NULL));
    ck_assert_int_eq(brev_cluster_ensure(fx_client, "list-empty", NULL), BREV_OK);

    ck_assert_int_eq(brev_clusters_list(fx_client, &list), BREV_OK);
    /* the network's default group is not a cluster */
    ck_assert_uint_eq(list->count, 3);
    for (size_t i = 0; i < list->count; i++) {
        brev_cluster *c = &list->items[i];
        if (strcmp(c->id, "list-a") == 0) {
            ck_assert_uint_eq(c->instance_count, 2);
            ck_assert_str_eq(c->security_group_id, a.cluster->security_group_id);
        } else if (strcmp(c->id, "list-b") == 0) {
            ck_assert_uint_eq(c->instance_count, 1);
        } else {
            ck_assert_str_eq(c->id, "list-empty");
            ck_assert_uint_eq(c->instance_count, 0);
        }
        ck_assert_str_ne(c->network_id, "");
    }
    brev_cluster_list_free(list);
    ck_assert_int_eq(brev_clusters_list(fx_client, NULL), BREV_EINVAL);
    fx_cluster_free(&a);
    fx_cluster_free(&b);
}
END_TEST

START_TEST(delete_is_refused_while_instances_exist)
{
    FX_SIM_ONLY();
    fx_cluster a;
    char *id = NULL;
    brev_firewall_rule r = {443, 443, NULL, 0, BREV_PROTOCOL_TCP};
    fx_cluster_make(&a, "busy", "10.0.0.51", "10.0.0.52");
    ck_assert_int_eq(brev_firewall_add(fx_client, "busy", &r, &id), BREV_OK);

    ck_assert_int_eq(brev_cluster_delete(fx_client, "busy"), BREV_EPRECONDITION);
    ck_assert_ptr_nonnull(strstr(brev_error_message(), "2 instance"));
    ck_assert_int_eq(fx_count("security_rule", a.cluster->security_group_id), 3);

    free(bn_test_mutate(fx_client, a.instances[0], NULL, 1, NULL, NULL));
    ck_assert_int_eq(brev_cluster_delete(fx_client, "busy"), BREV_EPRECONDITION);
    free(bn_test_mutate(fx_client, a.instances[1], NULL, 1, NULL, NULL));

    ck_assert_int_eq(brev_cluster_delete(fx_client, "busy"), BREV_OK);
    ck_assert_int_eq(fx_count("security_rule", a.cluster->security_group_id), 0);
    json_t *state = bn_test_state(fx_client);
    ck_assert_ptr_null(resource_of(state, a.cluster->security_group_id));
    json_decref(state);
    ck_assert_int_eq(brev_cluster_delete(fx_client, "busy"), BREV_ENOTFOUND);
    brev_string_free(id);
    fx_cluster_free(&a);
}
END_TEST

/* An instance on the group but without the cluster label still counts. */
START_TEST(delete_counts_unlabelled_instances_on_the_group)
{
    FX_SIM_ONLY();
    brev_cluster *c = NULL;
    ck_assert_int_eq(brev_cluster_ensure(fx_client, "stowaway", &c), BREV_OK);
    char *inst = fx_instance("stowaway-1", "someone-else", c->security_group_id, "10.0.0.61");
    ck_assert_int_eq(brev_cluster_delete(fx_client, "stowaway"), BREV_EPRECONDITION);
    free(bn_test_mutate(fx_client, inst, NULL, 1, NULL, NULL));
    ck_assert_int_eq(brev_cluster_delete(fx_client, "stowaway"), BREV_OK);
    free(inst);
    brev_cluster_free(c);
}
END_TEST

START_TEST(release_deletes_the_group_only_after_the_last_instance)
{
    FX_SIM_ONLY();
    fx_cluster a;
    fx_cluster_make(&a, "rel", "10.0.0.71", "10.0.0.72");
    free(bn_test_mutate(fx_client, a.instances[0], NULL, 1, NULL, NULL));
    ck_assert_int_eq(bn_policy_cluster_release(fx_client, "rel"), BREV_OK);
    ck_assert_int_eq(fx_count("security_rule", a.cluster->security_group_id), 2);

    free(bn_test_mutate(fx_client, a.instances[1], NULL, 1, NULL, NULL));
    ck_assert_int_eq(bn_policy_cluster_release(fx_client, "rel"), BREV_OK);
    ck_assert_int_eq(fx_count("security_rule", a.cluster->security_group_id), 0);
    json_t *state = bn_test_state(fx_client);
    ck_assert_ptr_null(resource_of(state, a.cluster->security_group_id));
    json_decref(state);
    /* already released: nothing to do */
    ck_assert_int_eq(bn_policy_cluster_release(fx_client, "rel"), BREV_OK);
    fx_cluster_free(&a);
}
END_TEST

START_TEST(release_keeps_empty_clusters_when_asked)
{
    FX_SIM_ONLY();
    brev_client_options o;
    brev_client *keeper = NULL;
    brev_cluster *c = NULL;
    bn_test_client_options(&fx_sim, &o);
    o.keep_empty_clusters = 1;
    ck_assert_int_eq(brev_client_new(&keeper, &o), BREV_OK);
    ck_assert_int_eq(brev_cluster_ensure(keeper, "kept", &c), BREV_OK);
    ck_assert_int_eq(bn_policy_cluster_release(keeper, "kept"), BREV_OK);
    json_t *state = bn_test_state(fx_client);
    ck_assert_ptr_nonnull(resource_of(state, c->security_group_id));
    json_decref(state);
    ck_assert_int_eq(brev_cluster_delete(keeper, "kept"), BREV_OK);
    brev_cluster_free(c);
    brev_client_free(keeper);
}
END_TEST

/* --- an instance that joins while the group is being deleted ------------- */

typedef struct delete_arg {
    brev_client *client;
    const char *cluster;
    int release; /* 1: bn_policy_cluster_release, 0: brev_cluster_delete */
    int rc;
    char message[512];
} delete_arg;

static void *run_delete(void *p)
{
    delete_arg *a = p;
    a->rc = a->release ? bn_policy_cluster_release(a->client, a->cluster) : brev_cluster_delete(a->client, a->cluster);
    snprintf(a->message, sizeof a->message, "%s", brev_error_message());
    return NULL;
}

static void slow_next(const char *method, int latency_ms)
{
    Nebiussim__V1__InjectFaultRequest f = NEBIUSSIM__V1__INJECT_FAULT_REQUEST__INIT;
    f.method = (char *)method;
    f.latency_ms = latency_ms;
    f.count = 1;
    ck_assert_int_eq(bn_test_fault(fx_client, &f), 0);
}

static void refuse_next(const char *method, int count)
{
    Nebiussim__V1__InjectFaultRequest f = NEBIUSSIM__V1__INJECT_FAULT_REQUEST__INIT;
    f.method = (char *)method;
    f.code = 9; /* FAILED_PRECONDITION */
    f.count = count;
    ck_assert_int_eq(bn_test_fault(fx_client, &f), 0);
}

/* Runs the delete (or release) of an empty cluster in a thread and, once
 * `after` has been called (it is logged when answered), plants an instance on
 * the cluster's group: another process's create landing between our count
 * and our delete. The next call after `after` is slowed to hold the window
 * open. Returns the planted instance (free it). */
static char *join_during_delete(delete_arg *arg, const char *group_id, const char *after, const char *slowed,
                                const char *ip)
{
    pthread_t t;
    char name[96];
    json_decref(bn_test_requests(fx_client, NULL, 1)); /* clear the request log */
    slow_next(slowed, 1500);
    ck_assert_int_eq(pthread_create(&t, NULL, run_delete, arg), 0);
    for (int i = 0; i < 1000 && bn_test_request_count(fx_client, after) == 0; i++)
        usleep(5000);
    ck_assert_int_ge(bn_test_request_count(fx_client, after), 1);
    snprintf(name, sizeof name, "%s-joiner", arg->cluster);
    char *inst = fx_instance(name, arg->cluster, group_id, ip);
    pthread_join(t, NULL);
    bn_test_clear_faults(fx_client);
    return inst;
}

/* A cluster with its group and one firewall rule (tcp/443 from anywhere):
 * the starting point of the delete/release races below. */
static brev_cluster *cluster_with_one_rule(const char *cluster_id)
{
    brev_firewall_rule r = {443, 443, NULL, 0, BREV_PROTOCOL_TCP};
    brev_cluster *c = NULL;
    ck_assert_int_eq(brev_cluster_ensure(fx_client, cluster_id, &c), BREV_OK);
    ck_assert_int_eq(brev_firewall_add(fx_client, cluster_id, &r, NULL), BREV_OK);
    return c;
}

START_TEST(release_keeps_the_group_of_an_instance_that_joined_after_the_count)
{
    FX_SIM_ONLY();
    brev_cluster *c = cluster_with_one_rule("late-join");
    int rules = fx_count("security_rule", c->security_group_id);
    ck_assert_int_eq(rules, 3);

    brev_client *other = bn_test_client(&fx_sim);
    delete_arg arg = {other, "late-join", 1, -99, ""};
    char *inst = join_during_delete(&arg, c->security_group_id, "InstanceService/List",
                                    "/nebius.vpc.v1.SecurityGroupService/Delete", "10.0.0.81");
    /* kept, which is what a release should do for a cluster in use: not an error */
    ck_assert_msg(arg.rc == BREV_OK, "%s", arg.message);
    json_t *state = bn_test_state(fx_client);
    ck_assert_ptr_nonnull(resource_of(state, c->security_group_id));
    json_decref(state);
    ck_assert_int_eq(fx_count("security_rule", c->security_group_id), rules);
    /* and the newcomer is isolated but can reach out, as the model says */
    ck_assert_int_eq(fx_flow(NULL, "203.0.113.9", inst, NULL, "tcp", 22), 0);
    ck_assert_int_eq(fx_flow(inst, NULL, NULL, "8.8.8.8", "tcp", 443), 1);

    free(bn_test_mutate(fx_client, inst, NULL, 1, NULL, NULL));
    ck_assert_int_eq(bn_policy_cluster_release(fx_client, "late-join"), BREV_OK);
    ck_assert_int_eq(fx_count("security_rule", c->security_group_id), 0);
    free(inst);
    brev_client_free(other);
    brev_cluster_free(c);
}
END_TEST

START_TEST(delete_is_refused_for_an_instance_that_joined_after_the_count)
{
    FX_SIM_ONLY();
    brev_cluster *c = cluster_with_one_rule("late-del");

    brev_client *other = bn_test_client(&fx_sim);
    delete_arg arg = {other, "late-del", 0, -99, ""};
    char *inst = join_during_delete(&arg, c->security_group_id, "InstanceService/List",
                                    "/nebius.vpc.v1.SecurityGroupService/Delete", "10.0.0.82");
    ck_assert_int_eq(arg.rc, BREV_EPRECONDITION);
    ck_assert_msg(strstr(arg.message, "kept with all its rules") != NULL, "%s", arg.message);
    ck_assert_int_eq(fx_count("security_rule", c->security_group_id), 3);
    free(bn_test_mutate(fx_client, inst, NULL, 1, NULL, NULL));
    ck_assert_int_eq(brev_cluster_delete(fx_client, "late-del"), BREV_OK);
    free(inst);
    brev_client_free(other);
    brev_cluster_free(c);
}
END_TEST

/* An API that refuses to delete a group while it has rules (the reference
 * does not say whether the real one does): the rules go first, then the
 * group. */
START_TEST(delete_refused_with_no_instance_deletes_the_rules_first)
{
    FX_SIM_ONLY();
    brev_cluster *c = cluster_with_one_rule("picky");
    json_decref(bn_test_requests(fx_client, NULL, 1));
    refuse_next("/nebius.vpc.v1.SecurityGroupService/Delete", 1);
    ck_assert_msg(brev_cluster_delete(fx_client, "picky") == BREV_OK, "%s", brev_error_message());
    ck_assert_int_eq(bn_test_request_count(fx_client, "SecurityGroupService/Delete"), 2);
    ck_assert_int_eq(bn_test_request_count(fx_client, "SecurityRuleService/Delete"), 3);
    json_t *state = bn_test_state(fx_client);
    ck_assert_ptr_null(resource_of(state, c->security_group_id));
    json_decref(state);
    brev_cluster_free(c);
}
END_TEST

/* The same API, and an instance that joins while the rules are being
 * deleted: the group is kept and its base rules are put back, so the
 * newcomer is isolated and can reach out; the lost firewall rule is named. */
START_TEST(instance_joining_while_rules_go_gets_the_base_rules_back)
{
    FX_SIM_ONLY();
    brev_cluster *c = cluster_with_one_rule("picky-join");
    refuse_next("/nebius.vpc.v1.SecurityGroupService/Delete", 2);

    brev_client *other = bn_test_client(&fx_sim);
    delete_arg arg = {other, "picky-join", 0, -99, ""};
    char *inst = join_during_delete(&arg, c->security_group_id, "SecurityRuleService/List",
                                    "/nebius.vpc.v1.SecurityRuleService/Delete", "10.0.0.83");
    ck_assert_int_eq(arg.rc, BREV_EPRECONDITION);
    ck_assert_msg(strstr(arg.message, "put back") != NULL, "%s", arg.message);
    ck_assert_msg(strstr(arg.message, "1 security rule(s) of its firewall rules") != NULL, "%s", arg.message);
    char *self = fx_rule_named(c->security_group_id, "self");
    char *egress = fx_rule_named(c->security_group_id, "egress-all");
    ck_assert_ptr_nonnull(self);
    ck_assert_ptr_nonnull(egress);
    ck_assert_int_eq(fx_count("security_rule", c->security_group_id), 2);
    ck_assert_int_eq(fx_flow(inst, NULL, NULL, "8.8.8.8", "tcp", 443), 1);
    free(self);
    free(egress);
    free(bn_test_mutate(fx_client, inst, NULL, 1, NULL, NULL));
    free(inst);
    brev_client_free(other);
    brev_cluster_free(c);
}
END_TEST

/* A caller that stops everything once the group's rules are gone (a Ctrl-C
 * landing right then), and records what the library warns about. */
typedef struct stop_after_rules {
    int deleted;       /* "delete security rule" operations done */
    int stopped;       /* times a stop was answered */
    char warning[512]; /* the last WARN line */
} stop_after_rules;

static int stop_once_rules_are_gone(const brev_progress *p, void *payload)
{
    stop_after_rules *s = payload;
    if (strcmp(p->what, "delete security rule") == 0 && strcmp(p->state, "done") == 0)
        s->deleted++;
    if (s->deleted >= 3 && strcmp(p->state, "done") != 0) {
        s->stopped++;
        return 1;
    }
    return 0;
}

static void keep_warning(brev_log_level level, const char *message, void *payload)
{
    stop_after_rules *s = payload;
    if (level == BREV_LOG_WARN)
        snprintf(s->warning, sizeof s->warning, "%s", message);
}

/* Putting the base rules back for an instance that joined while the rules
 * went is a repair: a stop asked at that moment must not leave the instance
 * on a group without them. And a release (what terminate does) that lost
 * firewall rules that way warns about them, since it still succeeds. */
START_TEST(base_rules_come_back_even_when_stopped_and_lost_firewall_rules_are_warned)
{
    FX_SIM_ONLY();
    brev_cluster *c = cluster_with_one_rule("stop-join");
    stop_after_rules stop = {0, 0, ""};
    brev_client_options co;
    brev_client *other = NULL;

    refuse_next("/nebius.vpc.v1.SecurityGroupService/Delete", 2);
    bn_test_client_options(&fx_sim, &co);
    co.progress = stop_once_rules_are_gone;
    co.progress_payload = &stop;
    co.log = keep_warning;
    co.log_payload = &stop;
    co.log_level = BREV_LOG_WARN;
    ck_assert_int_eq(brev_client_new(&other, &co), BREV_OK);

    delete_arg arg = {other, "stop-join", 1, -99, ""};
    char *inst = join_during_delete(&arg, c->security_group_id, "SecurityRuleService/List",
                                    "/nebius.vpc.v1.SecurityRuleService/Delete", "10.0.0.84");
    ck_assert_msg(arg.rc == BREV_OK, "%s", arg.message); /* a release keeps a group in use */
    char *self = fx_rule_named(c->security_group_id, "self");
    char *egress = fx_rule_named(c->security_group_id, "egress-all");
    ck_assert_msg(self && egress, "base rules not put back (stops answered: %d)", stop.stopped);
    ck_assert_int_eq(fx_flow(inst, NULL, NULL, "8.8.8.8", "tcp", 443), 1);
    ck_assert_msg(strstr(stop.warning, "1 security rule(s) of its firewall rules") != NULL, "warning: '%s'",
                  stop.warning);
    free(self);
    free(egress);
    free(bn_test_mutate(fx_client, inst, NULL, 1, NULL, NULL));
    free(inst);
    brev_client_free(other);
    brev_cluster_free(c);
}
END_TEST

typedef struct rival_arg {
    brev_client *client;
    const char *cluster;
    const brev_firewall_rule *rule;
    int rc;
} rival_arg;

static void *run_rival_add(void *p)
{
    rival_arg *a = p;
    a->rc = brev_firewall_add(a->client, a->cluster, a->rule, NULL);
    return NULL;
}

/* Two adds of one rule: ours fails while its security rule is in flight, and
 * the other add's rule of the same name is in place by then. Our rollback
 * takes back only what this call made: the other add's rule stays. */
START_TEST(a_failed_add_leaves_a_concurrent_adds_rule_alone)
{
    FX_SIM_ONLY();
    brev_firewall_rule r = {8443, 8443, NULL, 0, BREV_PROTOCOL_TCP};
    brev_cluster *c = NULL;
    char *id = NULL, json[1024];

    ck_assert_int_eq(brev_firewall_add(fx_client, "fw-id-probe", &r, &id), BREV_OK);
    ck_assert_int_eq(brev_cluster_ensure(fx_client, "fw-rival", &c), BREV_OK);
    /* How many rule listings an add makes before its first create (the
     * request log counts a call once it is answered). */
    brev_firewall_rule warmup = {9000, 9000, NULL, 0, BREV_PROTOCOL_TCP};
    json_decref(bn_test_requests(fx_client, NULL, 1));
    ck_assert_int_eq(brev_firewall_add(fx_client, "fw-rival", &warmup, NULL), BREV_OK);
    int lists = bn_test_request_count(fx_client, "SecurityRuleService/List");
    ck_assert_int_ge(lists, 1);
    Nebiussim__V1__InjectFaultRequest f = NEBIUSSIM__V1__INJECT_FAULT_REQUEST__INIT;
    f.method = "/nebius.vpc.v1.SecurityRuleService/Create";
    f.code = 7; /* PERMISSION_DENIED, after a pause that holds the create in flight */
    f.latency_ms = 1500;
    f.count = 1;
    ck_assert_int_eq(bn_test_fault(fx_client, &f), 0);
    json_decref(bn_test_requests(fx_client, NULL, 1)); /* clear the request log */

    brev_client *other = bn_test_client(&fx_sim);
    rival_arg arg = {other, "fw-rival", &r, -99};
    pthread_t t;
    ck_assert_int_eq(pthread_create(&t, NULL, run_rival_add, &arg), 0);
    for (int i = 0; i < 1000 && bn_test_request_count(fx_client, "SecurityRuleService/List") < lists; i++)
        usleep(2000);
    ck_assert_int_ge(bn_test_request_count(fx_client, "SecurityRuleService/List"), lists);
    ck_assert_int_eq(bn_test_request_count(fx_client, "SecurityRuleService/Create"), 0);
    /* the rival add's rule lands while ours is in flight (held 1.5 s) */
    snprintf(json, sizeof json,
             "{\"metadata\":{\"parent_id\":\"%s\",\"name\":\"%s-0\",\"labels\":{\"brev-managed\":\"true\","
             "\"brev-rule\":\"firewall\",\"brev-firewall-id\":\"%s\",\"brev-add-id\":\"rival\"}},"
             "\"spec\":{\"access\":\"ALLOW\",\"protocol\":\"TCP\",\"ingress\":{\"source_cidrs\":[\"0.0.0.0/0\"],"
             "\"destination_ports\":[8443]}},\"status\":{\"state\":\"READY\"}}",
             c->security_group_id, id, id);
    char *rival = bn_test_mutate(fx_client, NULL, NULL, 0, "security_rule", json);
    ck_assert_ptr_nonnull(rival);
    pthread_join(t, NULL);
    ck_assert_int_eq(arg.rc, BREV_EPERM);
    json_t *state = bn_test_state(fx_client);
    ck_assert_msg(resource_of(state, rival) != NULL, "the rival add's rule %s was deleted by our rollback", rival);
    json_decref(state);
    free(rival);
    brev_string_free(id);
    brev_client_free(other);
    brev_cluster_free(c);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("cluster");
    TCase *tc = fx_tcase("cluster");
    SRunner *sr;
    int failed;

    tcase_add_test(tc, ensure_creates_a_labelled_group_with_two_base_rules);
    tcase_add_test(tc, ensure_twice_reuses_the_group);
    tcase_add_test(tc, ensure_restores_a_missing_base_rule);
    tcase_add_test(tc, concurrent_ensure_ends_with_one_group);
    tcase_add_test(tc, create_losing_the_race_reuses_the_winners_group);
    tcase_add_test(tc, concurrent_add_of_one_rule_creates_it_once);
    tcase_add_test(tc, invalid_cluster_ids_are_refused_before_any_call);
    tcase_add_test(tc, same_named_group_not_made_by_us_is_refused);
    tcase_add_test(tc, same_named_security_rule_not_made_by_us_is_refused);
    tcase_add_test(tc, a_failed_add_leaves_a_concurrent_adds_rule_alone);
    tcase_add_test(tc, stop_asked_between_operations_sends_nothing_more);
    tcase_add_test(tc, stop_while_a_security_rule_is_created_leaves_none_of_the_rule);
    tcase_add_test(tc, list_shows_our_clusters_with_instance_counts);
    tcase_add_test(tc, delete_is_refused_while_instances_exist);
    tcase_add_test(tc, delete_counts_unlabelled_instances_on_the_group);
    tcase_add_test(tc, release_deletes_the_group_only_after_the_last_instance);
    tcase_add_test(tc, release_keeps_empty_clusters_when_asked);
    tcase_add_test(tc, release_keeps_the_group_of_an_instance_that_joined_after_the_count);
    tcase_add_test(tc, delete_is_refused_for_an_instance_that_joined_after_the_count);
    tcase_add_test(tc, delete_refused_with_no_instance_deletes_the_rules_first);
    tcase_add_test(tc, instance_joining_while_rules_go_gets_the_base_rules_back);
    tcase_add_test(tc, base_rules_come_back_even_when_stopped_and_lost_firewall_rules_are_warned);
    suite_add_tcase(s, tc);
    sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
