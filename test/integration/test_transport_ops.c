/* Operation waits against nebius-sim: polling on the creating service's
 * endpoint, failed operations, cancellation, deadlines, healing poll errors. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cloud/client_internal.h"
#include "nebius/compute/v1/disk_service.pb-c.h"
#include "ops/ops.h"
#include "sim_harness.h"

#define DISK_CREATE "/nebius.compute.v1.DiskService/Create"
#define OP_GET "/nebius.common.v1.OperationService/Get"

static bn_test_sim sim;
static brev_client *client;

static void sim_up(void)
{
    bn_test_sim_options o = {0};
    o.op_delay = 0.3; /* a few polls at 50 ms */
    ck_assert_int_eq(bn_test_sim_start(&sim, &o), 0);
}

static void sim_down(void)
{
    bn_test_sim_stop(&sim);
}

static void client_up(void)
{
    if (sim.live)
        return;
    client = bn_test_client(&sim);
    bn_test_reset(client);
}

static void client_down(void)
{
    brev_client_free(client);
    client = NULL;
}

static int create_disk(brev_client *c, const char *name, const bn_wait *w, char **id)
{
    Nebius__Compute__V1__CreateDiskRequest req = NEBIUS__COMPUTE__V1__CREATE_DISK_REQUEST__INIT;
    Nebius__Common__V1__ResourceMetadata md = NEBIUS__COMMON__V1__RESOURCE_METADATA__INIT;
    Nebius__Compute__V1__DiskSpec spec = NEBIUS__COMPUTE__V1__DISK_SPEC__INIT;

    md.parent_id = "project-sim0000000001";
    md.name = (char *)name;
    spec.size_case = NEBIUS__COMPUTE__V1__DISK_SPEC__SIZE_SIZE_GIBIBYTES;
    spec.size_gibibytes = 10;
    spec.type = NEBIUS__COMPUTE__V1__DISK_SPEC__DISK_TYPE__NETWORK_SSD;
    req.metadata = &md;
    req.spec = &spec;
    return bn_op_call(c->rpc, &nebius__compute__v1__disk_service__descriptor, "Create", &req.base, NULL, w, id);
}

typedef struct progress_log {
    int running, done;
    int cancel_after; /* 0 = never */
    char op_id[128];
    char what[64];
} progress_log;

static int on_progress(const brev_progress *p, void *payload)
{
    progress_log *l = payload;
    snprintf(l->op_id, sizeof l->op_id, "%s", p->resource_id);
    snprintf(l->what, sizeof l->what, "%s", p->what);
    if (strcmp(p->state, "done") == 0)
        l->done++;
    else if (strcmp(p->state, "running") == 0)
        l->running++;
    ck_assert(p->elapsed_s >= 0);
    return l->cancel_after && l->running >= l->cancel_after;
}

START_TEST(waits_for_a_delayed_operation)
{
    progress_log pl = {0};
    bn_wait w = {0};
    char *id = NULL;

    BN_SIM_ONLY(sim);
    w.poll_ms = 50;
    w.timeout_ms = 20000;
    w.what = "create disk";
    w.progress = on_progress;
    w.payload = &pl;
    ck_assert_msg(create_disk(client, "ops-disk", &w, &id) == 0, "%s", brev_error_message());
    ck_assert_ptr_nonnull(id);
    ck_assert_int_ge(pl.running, 2);
    ck_assert_int_eq(pl.done, 1);
    ck_assert_str_eq(pl.what, "create disk");
    ck_assert_int_gt((int)strlen(pl.op_id), 0);
    ck_assert_int_ge(bn_test_request_count(client, OP_GET), 2);
    free(id);
}
END_TEST

static void inject_op_failure(const char *kind)
{
    Nebiussim__V1__InjectFaultRequest f = NEBIUSSIM__V1__INJECT_FAULT_REQUEST__INIT;
    f.method = DISK_CREATE;
    f.code = 8;
    f.count = 1;
    f.operation_failure = 1;
    f.service_error = (char *)kind;
    ck_assert_int_eq(bn_test_fault(client, &f), 0);
}

START_TEST(failed_operation_not_enough_resources_is_capacity)
{
    bn_wait w;
    char *id = NULL;

    BN_SIM_ONLY(sim);
    w = bn_client_wait(client, "create disk", 20000);
    inject_op_failure("not_enough_resources");
    ck_assert_int_eq(create_disk(client, "cap-disk", &w, &id), BREV_ECAPACITY);
    ck_assert_ptr_null(id);
    ck_assert_msg(strstr(brev_error_message(), "create disk: operation ") == brev_error_message(), "%s",
                  brev_error_message());
    ck_assert_msg(strstr(brev_error_message(), "RESOURCE_EXHAUSTED") != NULL, "%s", brev_error_message());
    ck_assert_int_eq(brev_error_last()->grpc_status, 8);
    ck_assert_msg(brev_error_last()->service_error[0] != '\0', "%s", brev_error_message());
    /* a failed operation is not retried: one Create */
    ck_assert_int_eq(bn_test_request_count(client, DISK_CREATE), 1);
}
END_TEST

START_TEST(failed_operation_quota_is_quota)
{
    bn_wait w;
    char *id = NULL;

    BN_SIM_ONLY(sim);
    w = bn_client_wait(client, "create disk", 20000);
    inject_op_failure("quota_failure");
    ck_assert_int_eq(create_disk(client, "quota-disk", &w, &id), BREV_EQUOTA);
    ck_assert_msg(strstr(brev_error_message(), "quota") != NULL, "%s", brev_error_message());
}
END_TEST

START_TEST(progress_callback_cancels)
{
    progress_log pl = {0};
    bn_wait w = {0};
    char *id = NULL;

    BN_SIM_ONLY(sim);
    pl.cancel_after = 1;
    w.poll_ms = 50;
    w.what = "create disk";
    w.progress = on_progress;
    w.payload = &pl;
    ck_assert_int_eq(create_disk(client, "cancel-disk", &w, &id), BREV_ECANCELLED);
    ck_assert_ptr_null(id);
    ck_assert_int_eq(pl.running, 1);
    ck_assert_msg(strstr(brev_error_message(), pl.op_id) != NULL, "%s", brev_error_message());
    ck_assert_msg(strstr(brev_error_message(), "may exist") != NULL, "%s", brev_error_message());
}
END_TEST

START_TEST(wait_deadline_is_a_timeout)
{
    bn_wait w = {0};
    char *id = NULL;

    BN_SIM_ONLY(sim);
    w.poll_ms = 50;
    w.timeout_ms = 120; /* the op takes 300 ms */
    w.what = "create disk";
    ck_assert_int_eq(create_disk(client, "slow-disk", &w, &id), BREV_ETIMEOUT);
    ck_assert_msg(strstr(brev_error_message(), "not done after 120 ms") != NULL, "%s", brev_error_message());
}
END_TEST

START_TEST(poll_errors_heal)
{
    Nebiussim__V1__InjectFaultRequest f = NEBIUSSIM__V1__INJECT_FAULT_REQUEST__INIT;
    bn_wait w;
    char *id = NULL;

    BN_SIM_ONLY(sim);
    w = bn_client_wait(client, "create disk", 30000);
    /* 4 failures: one poll call's 3 attempts, then the healing pause, then one more */
    f.method = OP_GET;
    f.code = 14;
    f.count = 4;
    ck_assert_int_eq(bn_test_fault(client, &f), 0);
    ck_assert_msg(create_disk(client, "heal-disk", &w, &id) == 0, "%s", brev_error_message());
    ck_assert_ptr_nonnull(id);
    ck_assert_int_ge(bn_test_request_count(client, OP_GET), 5);
    free(id);
}
END_TEST

START_TEST(operations_are_polled_on_the_creating_service_endpoint)
{
    static const char *overrides[3];
    brev_client_options o;
    brev_client *c = NULL;
    char compute[96], tokens[96];
    bn_wait w = {0};
    char *id = NULL;

    BN_SIM_ONLY(sim);
    /* everything but compute and the token service points at a dead address */
    snprintf(compute, sizeof compute, "compute=%s", sim.endpoint);
    snprintf(tokens, sizeof tokens, "tokens.iam=%s", sim.endpoint);
    overrides[0] = compute;
    overrides[1] = tokens;
    overrides[2] = NULL;
    bn_test_client_options(&sim, &o);
    o.endpoint = "localhost:1";
    o.service_endpoints = overrides;
    ck_assert_int_eq(brev_client_new(&c, &o), 0);
    w.poll_ms = 50;
    w.timeout_ms = 20000;
    w.what = "create disk";
    ck_assert_msg(create_disk(c, "routed-disk", &w, &id) == 0, "%s", brev_error_message());
    free(id);
    brev_client_free(c);
    ck_assert_int_ge(bn_test_request_count(client, OP_GET), 1);
}
END_TEST

START_TEST(already_done_operation_needs_no_poll)
{
    Nebius__Common__V1__Operation op = NEBIUS__COMMON__V1__OPERATION__INIT;
    Google__Rpc__Status ok = GOOGLE__RPC__STATUS__INIT;
    char *id = NULL;

    BN_SIM_ONLY(sim);
    op.id = "op-123";
    op.resource_id = "computedisk-123";
    op.status = &ok;
    ck_assert_int_eq(bn_op_wait(client->rpc, &nebius__compute__v1__disk_service__descriptor, &op, NULL, &id), 0);
    ck_assert_str_eq(id, "computedisk-123");
    free(id);
    ck_assert_int_eq(bn_test_request_count(client, OP_GET), 0);
}
END_TEST

Suite *suite(void)
{
    Suite *s = suite_create("transport_ops");
    TCase *tc = tcase_create("sim");

    tcase_add_unchecked_fixture(tc, sim_up, sim_down);
    tcase_add_checked_fixture(tc, client_up, client_down);
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, waits_for_a_delayed_operation);
    tcase_add_test(tc, failed_operation_not_enough_resources_is_capacity);
    tcase_add_test(tc, failed_operation_quota_is_quota);
    tcase_add_test(tc, progress_callback_cancels);
    tcase_add_test(tc, wait_deadline_is_a_timeout);
    tcase_add_test(tc, poll_errors_heal);
    tcase_add_test(tc, operations_are_polled_on_the_creating_service_endpoint);
    tcase_add_test(tc, already_done_operation_needs_no_poll);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(suite());
    int failed;

    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
