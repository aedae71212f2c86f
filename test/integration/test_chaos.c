/* A full instance lifecycle through the public API while 30 % of the
 * simulator's Nebius calls fail with UNAVAILABLE — both before the server acts
 * and after it acted (reply lost) — must complete and leave no duplicate and
 * no orphan resource, as the simulator's state shows. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include <brev/nebius.h>
#include "sim_harness.h"

static bn_test_sim sim;
static brev_client *client;

static const char *const ssh_key =
    "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGpMNSiZxwdZEI/Rf1hUUI47XqF96+qCrjHq2Rgn5NZe chaos@libbrev-nebius";

static void sim_up(void)
{
    bn_test_sim_options o = {0};
    o.op_delay = 0.02;
    o.state_delay = 0.02;
    ck_assert_int_eq(bn_test_sim_start(&sim, &o), 0);
}

static void sim_down(void)
{
    bn_test_sim_stop(&sim);
}

static void client_up(void)
{
    brev_client_options o;
    bn_test_client_options(&sim, &o);
    /* A caller facing a flaky network raises the attempt budget; with 8
     * attempts a call fails only when 8 in a row fail (0.3^8 = 7e-5). */
    o.retry.attempts = 8;
    o.retry.backoff_ms = 5;
    ck_assert_int_eq(brev_client_new(&client, &o), BREV_OK);
    bn_test_reset(client);
}

static void client_down(void)
{
    brev_client_free(client);
    client = NULL;
}

/* Resources of one kind carrying label key=value in the sim's state. */
static int count_labelled(json_t *state, const char *kind, const char *key, const char *value)
{
    json_t *resources = json_object_get(state, "resources");
    const char *id;
    json_t *entry;
    int n = 0;

    json_object_foreach(resources, id, entry) {
        json_t *res = json_object_get(entry, "resource");
        json_t *labels = json_object_get(json_object_get(res, "metadata"), "labels");
        const char *k = json_string_value(json_object_get(entry, "kind"));
        const char *v = json_string_value(json_object_get(labels, key));
        if (k && strcmp(k, kind) == 0 && v && strcmp(v, value) == 0)
            n++;
    }
    return n;
}

static const char *kind_of(json_t *entry)
{
    const char *k = json_string_value(json_object_get(entry, "kind"));
    return k ? k : "";
}

static json_t *resource_field(json_t *entry, const char *section, const char *field)
{
    return json_object_get(json_object_get(json_object_get(entry, "resource"), section), field);
}

/* Id of the one security group labelled brev-cluster-id=cluster, or NULL (borrowed from state). */
static const char *cluster_group_id(json_t *state, const char *cluster)
{
    json_t *resources = json_object_get(state, "resources");
    const char *id, *found = NULL;
    json_t *entry;

    json_object_foreach(resources, id, entry) {
        const char *v = json_string_value(json_object_get(resource_field(entry, "metadata", "labels"),
                                                          "brev-cluster-id"));
        if (strcmp(kind_of(entry), "security_group") == 0 && v && strcmp(v, cluster) == 0)
            found = id;
    }
    return found;
}

/* The group holds exactly the library's two base rules (self, egress-all), one of each. */
static void expect_base_rules_only(json_t *state, const char *group_id)
{
    json_t *resources = json_object_get(state, "resources");
    const char *id;
    json_t *entry;
    int self = 0, egress = 0, other = 0;

    json_object_foreach(resources, id, entry) {
        const char *parent = json_string_value(resource_field(entry, "metadata", "parent_id"));
        const char *name = json_string_value(resource_field(entry, "metadata", "name"));
        if (strcmp(kind_of(entry), "security_rule") != 0 || !parent || strcmp(parent, group_id) != 0)
            continue;
        if (name && strcmp(name, "self") == 0)
            self++;
        else if (name && strcmp(name, "egress-all") == 0)
            egress++;
        else
            other++;
    }
    ck_assert_msg(self == 1 && egress == 1 && other == 0,
                  "group %s has %d self, %d egress-all and %d other rules: want exactly one self and one egress-all",
                  group_id, self, egress, other);
}

/* Security rules whose group is gone: left behind by a delete that did not finish. */
static int count_orphan_rules(json_t *state)
{
    json_t *resources = json_object_get(state, "resources");
    const char *id;
    json_t *entry;
    int n = 0;

    json_object_foreach(resources, id, entry) {
        const char *parent = json_string_value(resource_field(entry, "metadata", "parent_id"));
        json_t *group = parent ? json_object_get(resources, parent) : NULL;
        if (strcmp(kind_of(entry), "security_rule") == 0 && (!group || strcmp(kind_of(group), "security_group") != 0))
            n++;
    }
    return n;
}

/* Public-IP allocations in the sim. *elsewhere gets those not assigned to instance_id (all of them
 * when it is NULL): the test makes no other, so every one must belong to the instance under test. */
static int count_public_ips(json_t *state, const char *instance_id, int *elsewhere)
{
    json_t *resources = json_object_get(state, "resources");
    const char *id;
    json_t *entry;
    int n = 0;

    *elsewhere = 0;
    json_object_foreach(resources, id, entry) {
        json_t *status = json_object_get(json_object_get(entry, "resource"), "status");
        const char *owner = json_string_value(json_object_get(
            json_object_get(json_object_get(status, "assignment"), "network_interface"), "instance_id"));
        if (strcmp(kind_of(entry), "allocation") != 0 || !resource_field(entry, "spec", "ipv4_public"))
            continue;
        n++;
        if (!instance_id || !owner || strcmp(owner, instance_id) != 0)
            (*elsewhere)++;
    }
    return n;
}

static int count_unavailable_replies(void)
{
    json_t *req = bn_test_requests(client, "", 0);
    json_t *r;
    size_t i;
    int n = 0;

    json_array_foreach(json_object_get(req, "requests"), i, r)
        if (json_integer_value(json_object_get(r, "code")) == 14)
            n++;
    json_decref(req);
    return n;
}

static void inject_unavailable(int after_effect)
{
    Nebiussim__V1__InjectFaultRequest f = NEBIUSSIM__V1__INJECT_FAULT_REQUEST__INIT;
    f.method = "*";
    f.code = 14;
    f.message = "chaos: injected UNAVAILABLE";
    f.fraction = 0.3;
    f.after_effect = after_effect;
    ck_assert_int_eq(bn_test_fault(client, &f), BREV_OK);
}

/* Exactly these many of each, and nothing else the lifecycle makes: the cluster group's rules are
 * its two base rules, no rule outlives its group, and the public IPs are the instance's own. */
static void expect_counts(const char *name, const char *instance_id, int instances, int disks, int groups,
                          int public_ips)
{
    json_t *state;
    const char *group;
    int elsewhere;

    bn_test_clear_faults(client);
    state = bn_test_state(client);
    ck_assert_int_eq(count_labelled(state, "instance", "brev-ref-id", name), instances);
    ck_assert_int_eq(count_labelled(state, "disk", "brev-ref-id", name), disks);
    ck_assert_int_eq(count_labelled(state, "security_group", "brev-cluster-id", "chaos"), groups);
    group = cluster_group_id(state, "chaos");
    if (groups == 1) {
        ck_assert_ptr_nonnull(group);
        expect_base_rules_only(state, group);
    }
    ck_assert_int_eq(count_orphan_rules(state), 0);
    ck_assert_int_eq(count_public_ips(state, instance_id, &elsewhere), public_ips);
    ck_assert_msg(elsewhere == 0, "%d public IP allocation(s) not assigned to instance %s", elsewhere,
                  instance_id ? instance_id : "(none)");
    json_decref(state);
}

static void lifecycle_under_faults(int after_effect, const char *name)
{
    brev_create_instance_options o;
    brev_instance *inst = NULL;
    brev_instance_list *list = NULL;
    int unavailable;

    if (sim.live) {
        bn_test_skip_live(name);
        return;
    }
    brev_create_instance_options_init(&o, BREV_CREATE_INSTANCE_OPTIONS_VERSION);
    o.name = name;
    o.ref_id = name;
    o.instance_type = "cpu-d3.4vcpu-16gb";
    o.ssh_keys = &ssh_key;
    o.ssh_key_count = 1;
    o.cluster_id = "chaos";
    o.public_ip = 1;

    inject_unavailable(after_effect);
    ck_assert_msg(brev_instance_create(client, &o, &inst) == BREV_OK, "create: %s", brev_error_message());
    ck_assert_int_eq(inst->status, BREV_LIFECYCLE_RUNNING);

    /* Exactly one of each, despite the retried mutating calls. */
    expect_counts(name, inst->id, 1, 1, 1, 1);
    inject_unavailable(after_effect);

    ck_assert_msg(brev_instances_list(client, NULL, &list) == BREV_OK, "list: %s", brev_error_message());
    ck_assert_uint_eq(list->count, 1);
    brev_instance_list_free(list);
    ck_assert_msg(brev_instance_stop(client, inst->id, 0) == BREV_OK, "stop: %s", brev_error_message());
    ck_assert_msg(brev_instance_start(client, inst->id, 0) == BREV_OK, "start: %s", brev_error_message());
    ck_assert_msg(brev_instance_reboot(client, inst->id, 0) == BREV_OK, "reboot: %s", brev_error_message());
    ck_assert_msg(brev_instance_terminate(client, inst->id, 0) == BREV_OK, "terminate: %s",
                  brev_error_message());

    /* The faults really fired, and nothing is left behind. */
    unavailable = count_unavailable_replies();
    ck_assert_msg(unavailable >= 5, "only %d calls failed: the fault did not fire", unavailable);
    expect_counts(name, NULL, 0, 0, 0, 0);
    brev_instance_free(inst);
}

START_TEST(lifecycle_with_30_percent_unavailable)
{
    lifecycle_under_faults(0, "chaos-before");
}
END_TEST

START_TEST(lifecycle_with_30_percent_replies_lost_after_the_server_acted)
{
    lifecycle_under_faults(1, "chaos-after");
}
END_TEST

int main(void)
{
    Suite *s = suite_create("chaos");
    TCase *tc = tcase_create("lifecycle");
    tcase_add_unchecked_fixture(tc, sim_up, sim_down);
    tcase_add_checked_fixture(tc, client_up, client_down);
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, lifecycle_with_30_percent_unavailable);
    tcase_add_test(tc, lifecycle_with_30_percent_replies_lost_after_the_server_acted);
    suite_add_tcase(s, tc);
    bn_test_live_note();
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? 1 : 0;
}
