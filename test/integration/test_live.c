/* The suite that runs against a real Nebius project when one is configured
 * (BREV_NEBIUS_LIVE=1 + NEBIUS_SERVICE_ACCOUNT_JSON + NEBIUS_PROJECT_ID), and
 * against nebius-sim otherwise: authentication, the catalogue, and a whole
 * lifecycle with a firewall rule and a policy audit, through the public API
 * only. Unique names, the cheapest CPU-only type, and cleanup even when a test
 * fails: every resource a test creates goes into a ledger first, and the
 * runner process sweeps the ledger after the last test (a failing test's
 * process exits at the failed assertion, before any checked teardown). */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <brev/nebius.h>
#include "sim_harness.h"
#include "test_creds.h"

static bn_test_sim sim;
static brev_client *client;
static char ledger_dir[4096];
static char ledger[4200];
static char unique[48]; /* this run's name prefix */

static const char *const ssh_key =
    "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGpMNSiZxwdZEI/Rf1hUUI47XqF96+qCrjHq2Rgn5NZe live@libbrev-nebius";

/* --- the ledger: "instance ID" / "cluster ID" lines ------------------------- */

static void ledger_add(const char *kind, const char *id)
{
    FILE *f = fopen(ledger, "a");
    ck_assert_ptr_nonnull(f);
    fprintf(f, "%s %s\n", kind, id);
    fclose(f);
}

static void sweep(void)
{
    FILE *f = fopen(ledger, "r");
    brev_client_options o;
    brev_client *c = NULL;
    char kind[32], id[256];

    if (!f)
        return;
    bn_test_client_options(&sim, &o);
    if (brev_client_new(&c, &o) != BREV_OK) {
        fprintf(stderr, "live cleanup: no client: %s\n", brev_error_message());
        fclose(f);
        return;
    }
    /* Instances first: a cluster's group can only go once its instances are gone. */
    for (int pass = 0; pass < 2; pass++) {
        rewind(f);
        while (fscanf(f, "%31s %255s", kind, id) == 2) {
            int rc = BREV_OK;
            if (pass == 0 && strcmp(kind, "instance") == 0)
                rc = brev_instance_terminate(c, id, 0);
            else if (pass == 1 && strcmp(kind, "cluster") == 0)
                rc = brev_cluster_delete(c, id);
            if (rc != BREV_OK && rc != BREV_ENOTFOUND)
                fprintf(stderr, "live cleanup: %s %s: %s\n", kind, id, brev_error_message());
        }
    }
    fclose(f);
    brev_client_free(c);
}

/* --- fixtures ----------------------------------------------------------------- */

static void run_up(void)
{
    bn_test_sim_options so = {0};
    so.op_delay = 0.02;
    so.state_delay = 0.02;
    ck_assert_int_eq(bn_test_sim_start(&sim, &so), 0);
    bn_test_tempdir(ledger_dir);
    snprintf(ledger, sizeof ledger, "%s/ledger", ledger_dir);
    snprintf(unique, sizeof unique, "brev-it-%ld-%d", (long)time(NULL) % 100000000L, (int)getpid() % 100000);
}

/* Runs in the runner process after the last test: no more forks follow, so
 * using gRPC here is safe. */
static void run_down(void)
{
    sweep();
    bn_test_rmtree(ledger_dir);
    bn_test_sim_stop(&sim);
}

static void client_up(void)
{
    client = bn_test_client(&sim);
    if (!sim.live)
        bn_test_reset(client);
}

static void client_down(void)
{
    brev_client_free(client);
    client = NULL;
}

/* The CPU-only type with the fewest vCPUs, then the least memory. */
static char *cheapest_cpu_type(void)
{
    brev_instance_type_filter f = {0};
    brev_instance_type_list *types = NULL;
    const brev_instance_type *best = NULL;
    char *type;

    f.cpu_only = 1;
    ck_assert_msg(brev_instance_types_list(client, &f, &types) == BREV_OK, "%s", brev_error_message());
    for (size_t i = 0; i < types->count; i++) {
        const brev_instance_type *t = &types->items[i];
        ck_assert_int_eq(t->gpu_count, 0);
        if (!best || t->vcpus < best->vcpus || (t->vcpus == best->vcpus && t->memory_bytes < best->memory_bytes))
            best = t;
    }
    ck_assert_msg(best != NULL, "the project offers no CPU-only instance type");
    type = strdup(best->type);
    brev_instance_type_list_free(types);
    return type;
}

START_TEST(auth_and_catalogue)
{
    brev_auth_info *info = NULL;
    brev_image_list *images = NULL;
    brev_region_list *regions = NULL;
    brev_image *latest = NULL;
    char *type;

    ck_assert_msg(brev_auth_check(client, 0, &info) == BREV_OK, "%s", brev_error_message());
    ck_assert(info->expires_at > time(NULL));
    ck_assert_ptr_null(info->token);
    brev_auth_info_free(info);

    type = cheapest_cpu_type();
    ck_assert_ptr_nonnull(strchr(type, '.'));
    free(type);

    ck_assert_msg(brev_images_list(client, NULL, &images) == BREV_OK, "%s", brev_error_message());
    ck_assert_uint_gt(images->count, 0);
    ck_assert_msg(brev_image_latest(client, images->items[0].family, &latest) == BREV_OK, "%s",
                  brev_error_message());
    ck_assert_str_eq(latest->family, images->items[0].family);
    brev_image_free(latest);
    brev_image_list_free(images);

    ck_assert_int_eq(brev_regions_list(client, &regions), BREV_OK);
    ck_assert_uint_gt(regions->count, 0);
    brev_region_list_free(regions);
}
END_TEST

START_TEST(lifecycle_with_firewall_and_audit)
{
    brev_create_instance_options o;
    brev_instance *in = NULL;
    brev_instance_list *list = NULL;
    brev_instance_filter filter = {0};
    brev_audit_report *report = NULL;
    brev_firewall_list *rules = NULL;
    const char *cidrs[] = {"203.0.113.0/24"}; /* TEST-NET-3: opens nothing real */
    brev_firewall_rule ssh = {22, 22, cidrs, 1, BREV_PROTOCOL_TCP};
    char *type = cheapest_cpu_type();
    char *rule_id = NULL;
    char name[64];

    snprintf(name, sizeof name, "%s-vm", unique);
    ledger_add("cluster", unique);
    brev_create_instance_options_init(&o, BREV_CREATE_INSTANCE_OPTIONS_VERSION);
    o.name = name;
    o.ref_id = name;
    o.cluster_id = unique;
    o.instance_type = type;
    o.ssh_keys = &ssh_key;
    o.ssh_key_count = 1;
    o.disk_size_gib = 0; /* the default, at least the image's minimum */
    ck_assert_msg(brev_instance_create(client, &o, &in) == BREV_OK, "create: %s", brev_error_message());
    ledger_add("instance", in->id);
    ck_assert_int_eq(in->status, BREV_LIFECYCLE_RUNNING);
    ck_assert_str_eq(in->cluster_id, unique);
    ck_assert_int_eq(in->disk_encrypted, 1);

    filter.cluster_id = unique;
    ck_assert_msg(brev_instances_list(client, &filter, &list) == BREV_OK, "%s", brev_error_message());
    ck_assert_uint_eq(list->count, 1);
    ck_assert_str_eq(list->items[0].id, in->id);
    brev_instance_list_free(list);

    ck_assert_msg(brev_firewall_add(client, unique, &ssh, &rule_id) == BREV_OK, "%s", brev_error_message());
    ck_assert_int_eq(brev_firewall_list_rules(client, unique, &rules), BREV_OK);
    ck_assert_uint_eq(rules->count, 1);
    ck_assert_str_eq(rules->items[0].id, rule_id);
    brev_firewall_list_free(rules);
    ck_assert_msg(brev_policy_audit(client, unique, &report) == BREV_OK, "%s", brev_error_message());
    ck_assert_msg(report->count == 0, "audit of a fresh cluster: %s", report->count ? report->findings[0].message : "");
    brev_audit_report_free(report);
    ck_assert_int_eq(brev_firewall_revoke(client, unique, rule_id), BREV_OK);

    ck_assert_msg(brev_instance_stop(client, in->id, 0) == BREV_OK, "stop: %s", brev_error_message());
    ck_assert_msg(brev_instance_start(client, in->id, 0) == BREV_OK, "start: %s", brev_error_message());
    ck_assert_msg(brev_instance_terminate(client, in->id, 0) == BREV_OK, "terminate: %s", brev_error_message());
    ck_assert_int_eq(brev_instance_get(client, in->id, &(brev_instance *){NULL}), BREV_ENOTFOUND);

    brev_string_free(rule_id);
    brev_instance_free(in);
    free(type);
}
END_TEST

/* Against the simulator the whole state is visible: nothing may be left. */
START_TEST(nothing_is_left_behind)
{
    json_t *state;

    BN_SIM_ONLY(sim);
    sweep(); /* what a failed test left is the sweep's job; after it, nothing */
    state = bn_test_state(client);
    ck_assert_int_eq(bn_test_count_resources(state, "instance"), 0);
    ck_assert_int_eq(bn_test_count_resources(state, "disk"), 0);
    json_decref(state);
}
END_TEST

int main(void)
{
    int live = bn_test_live_configured();
    Suite *s = suite_create(live ? "live (real Nebius project)" : "live suite on nebius-sim");
    TCase *tc = tcase_create("live");
    SRunner *sr;
    int failed;

    tcase_add_unchecked_fixture(tc, run_up, run_down);
    tcase_add_checked_fixture(tc, client_up, client_down);
    tcase_set_timeout(tc, live ? 1800 : 120);
    tcase_add_test(tc, auth_and_catalogue);
    tcase_add_test(tc, lifecycle_with_firewall_and_audit);
    tcase_add_test(tc, nothing_is_left_behind);
    suite_add_tcase(s, tc);
    if (!live)
        bn_test_live_note();
    sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? 1 : 0;
}
