/* Retries against nebius-sim faults: what is retried, how often, with which
 * metadata and backoff, and what is never retried. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cloud/client_internal.h"
#include "nebius/compute/v1/disk_service.pb-c.h"
#include "nebius/iam/v1/project_service.pb-c.h"
#include "rpc/rpc.h"
#include "sim_harness.h"

#define PROJECT_GET "/nebius.iam.v1.ProjectService/Get"
#define DISK_CREATE "/nebius.compute.v1.DiskService/Create"

static bn_test_sim sim;
static brev_client *client;
static bn_test_log *logs;

static void sim_up(void)
{
    ck_assert_int_eq(bn_test_sim_start(&sim, NULL), 0);
}

static void sim_down(void)
{
    bn_test_sim_stop(&sim);
}

static void client_up(void)
{
    brev_client_options o;
    brev_auth_info *info = NULL;

    if (sim.live)
        return;
    logs = bn_test_log_new();
    bn_test_client_options(&sim, &o);
    o.log = bn_test_log_fn;
    o.log_payload = logs;
    o.log_level = BREV_LOG_DEBUG;
    ck_assert_int_eq(brev_client_new(&client, &o), 0);
    bn_test_reset(client);
    /* Token first, so faults only meet the calls under test. */
    ck_assert_int_eq(brev_auth_check(client, 0, &info), 0);
    brev_auth_info_free(info);
}

static void client_down(void)
{
    brev_client_free(client);
    client = NULL;
    bn_test_log_free(logs);
    logs = NULL;
}

static void inject(const char *method, int code, int count, const char *service_error, int retry_type,
                   const char *message)
{
    Nebiussim__V1__InjectFaultRequest f = NEBIUSSIM__V1__INJECT_FAULT_REQUEST__INIT;
    f.method = (char *)method;
    f.code = code;
    f.count = count;
    f.service_error = (char *)(service_error ? service_error : "");
    f.retry_type = retry_type;
    f.message = (char *)(message ? message : "");
    ck_assert_msg(bn_test_fault(client, &f) == 0, "InjectFault: %s", brev_error_message());
}

static int project_get(void)
{
    Nebius__Iam__V1__GetProjectRequest req = NEBIUS__IAM__V1__GET_PROJECT_REQUEST__INIT;
    ProtobufCMessage *resp = NULL;
    int rc;

    req.id = "project-sim0000000001";
    rc = bn_rpc_call(client->rpc, &nebius__iam__v1__project_service__descriptor, "Get", &req.base, &resp, NULL);
    if (resp)
        protobuf_c_message_free_unpacked(resp, NULL);
    return rc;
}

static int disk_create(const char *name)
{
    Nebius__Compute__V1__CreateDiskRequest req = NEBIUS__COMPUTE__V1__CREATE_DISK_REQUEST__INIT;
    Nebius__Common__V1__ResourceMetadata md = NEBIUS__COMMON__V1__RESOURCE_METADATA__INIT;
    Nebius__Compute__V1__DiskSpec spec = NEBIUS__COMPUTE__V1__DISK_SPEC__INIT;
    ProtobufCMessage *resp = NULL;
    int rc;

    md.parent_id = "project-sim0000000001";
    md.name = (char *)name;
    spec.size_case = NEBIUS__COMPUTE__V1__DISK_SPEC__SIZE_SIZE_GIBIBYTES;
    spec.size_gibibytes = 10;
    spec.type = NEBIUS__COMPUTE__V1__DISK_SPEC__DISK_TYPE__NETWORK_SSD;
    req.metadata = &md;
    req.spec = &spec;
    rc = bn_rpc_call(client->rpc, &nebius__compute__v1__disk_service__descriptor, "Create", &req.base, &resp, NULL);
    if (resp)
        protobuf_c_message_free_unpacked(resp, NULL);
    return rc;
}

static const char *md_of(json_t *reqs, size_t i, const char *key)
{
    return json_string_value(json_object_get(json_object_get(json_array_get(reqs, i), "metadata"), key));
}

START_TEST(unavailable_twice_then_success_same_idempotency_key)
{
    json_t *log, *reqs;
    const char *key;

    BN_SIM_ONLY(sim);
    inject(DISK_CREATE, 14, 2, NULL, 0, NULL);
    ck_assert_msg(disk_create("retry-disk") == 0, "%s", brev_error_message());

    log = bn_test_requests(client, DISK_CREATE, 0);
    reqs = json_object_get(log, "requests");
    ck_assert_int_eq((int)json_array_size(reqs), 3);
    key = md_of(reqs, 0, "x-idempotency-key");
    ck_assert_ptr_nonnull(key);
    ck_assert_str_eq(md_of(reqs, 1, "x-idempotency-key"), key);
    ck_assert_str_eq(md_of(reqs, 2, "x-idempotency-key"), key);
    ck_assert_ptr_null(md_of(reqs, 0, "x-retry-attempt"));
    ck_assert_str_eq(md_of(reqs, 1, "x-retry-attempt"), "1");
    ck_assert_str_eq(md_of(reqs, 2, "x-retry-attempt"), "2");
    ck_assert_str_eq(json_string_value(json_object_get(json_array_get(reqs, 2), "code_name")), "OK");
    json_decref(log);
    /* The server ran the create once. */
    {
        json_t *st = bn_test_state(client);
        ck_assert_int_eq(bn_test_count_resources(st, "disk"), 1);
        json_decref(st);
    }
}
END_TEST

START_TEST(unavailable_five_times_fails_after_exactly_three_attempts)
{
    BN_SIM_ONLY(sim);
    inject(DISK_CREATE, 14, 5, NULL, 0, "backend down");
    ck_assert_int_eq(disk_create("retry-disk"), BREV_EUNAVAILABLE);
    ck_assert_msg(strstr(brev_error_message(), "DiskService/Create: UNAVAILABLE: backend down") != NULL, "%s",
                  brev_error_message());
    ck_assert_msg(strstr(brev_error_message(), "after 3 attempts") != NULL, "%s", brev_error_message());
    ck_assert_int_eq(bn_test_request_count(client, DISK_CREATE), 3);
}
END_TEST

/* Parses "retrying (attempt N of 3) in W ms" lines from the log. */
static int logged_waits(unsigned waits[], int cap)
{
    char *text = bn_test_log_text(logs), *p = text;
    int n = 0;

    while (n < cap && (p = strstr(p, "retrying (attempt ")) != NULL) {
        unsigned attempt, of, ms;
        if (sscanf(p, "retrying (attempt %u of %u) in %u ms", &attempt, &of, &ms) == 3)
            waits[n++] = ms;
        p++;
    }
    free(text);
    return n;
}

START_TEST(backoff_is_linear_with_jitter)
{
    json_t *log, *reqs;
    unsigned waits[4];
    double t[3];

    BN_SIM_ONLY(sim);
    inject(PROJECT_GET, 14, 2, NULL, 0, NULL);
    ck_assert_int_eq(project_get(), 0);
    ck_assert_int_eq(logged_waits(waits, 4), 2);
    /* 50 ms x attempt, +/- 10 % */
    ck_assert_msg(waits[0] >= 45 && waits[0] <= 55, "first backoff %u ms", waits[0]);
    ck_assert_msg(waits[1] >= 90 && waits[1] <= 110, "second backoff %u ms", waits[1]);

    log = bn_test_requests(client, PROJECT_GET, 0);
    reqs = json_object_get(log, "requests");
    ck_assert_int_eq((int)json_array_size(reqs), 3);
    for (int i = 0; i < 3; i++)
        t[i] = json_number_value(json_object_get(json_array_get(reqs, (size_t)i), "time"));
    /* The server saw the attempts at least the backoff apart (lower bounds only). */
    ck_assert_msg((t[1] - t[0]) * 1000.0 >= waits[0] - 5, "gap %.1f ms < %u ms", (t[1] - t[0]) * 1000.0, waits[0]);
    ck_assert_msg((t[2] - t[1]) * 1000.0 >= waits[1] - 5, "gap %.1f ms < %u ms", (t[2] - t[1]) * 1000.0, waits[1]);
    json_decref(log);
}
END_TEST

static const struct {
    int grpc;
    int brev;
} never_retried[] = {
    {3, BREV_EINVAL},         {5, BREV_ENOTFOUND},      {6, BREV_EEXISTS},   {7, BREV_EPERM},
    {9, BREV_EPRECONDITION},  {12, BREV_EUNSUPPORTED},  {10, BREV_EPRECONDITION}, {11, BREV_EINVAL},
    {13, BREV_EINTERNAL},     {1, BREV_ECANCELLED},     {15, BREV_EINTERNAL},
};

START_TEST(non_retryable_codes_are_sent_once)
{
    BN_SIM_ONLY(sim);
    inject(PROJECT_GET, never_retried[_i].grpc, 5, NULL, 0, NULL);
    ck_assert_int_eq(project_get(), never_retried[_i].brev);
    ck_assert_int_eq(brev_error_last()->grpc_status, never_retried[_i].grpc);
    ck_assert_msg(strstr(brev_error_message(), brev_grpc_status_name(never_retried[_i].grpc)) != NULL, "%s",
                  brev_error_message());
    ck_assert_int_eq(bn_test_request_count(client, PROJECT_GET), 1);
}
END_TEST

START_TEST(retry_type_nothing_stops_unavailable_retries)
{
    BN_SIM_ONLY(sim);
    /* the sim attaches retry_type only with a ServiceError detail */
    inject(PROJECT_GET, 14, 5, "internal_error", 3 /* NOTHING */, NULL);
    ck_assert_int_eq(project_get(), BREV_EUNAVAILABLE);
    ck_assert_int_eq(bn_test_request_count(client, PROJECT_GET), 1);
}
END_TEST

START_TEST(retry_type_call_retries_internal)
{
    BN_SIM_ONLY(sim);
    inject(PROJECT_GET, 13, 2, "internal_error", 1 /* CALL */, NULL);
    ck_assert_msg(project_get() == 0, "%s", brev_error_message());
    ck_assert_int_eq(bn_test_request_count(client, PROJECT_GET), 3);
}
END_TEST

START_TEST(resource_exhausted_quota_and_capacity_not_retried)
{
    BN_SIM_ONLY(sim);
    inject(DISK_CREATE, 8, 5, "quota_failure", 0, NULL);
    ck_assert_int_eq(disk_create("q"), BREV_EQUOTA);
    ck_assert_int_eq(bn_test_request_count(client, DISK_CREATE), 1);
    ck_assert_msg(brev_error_last()->service_error[0] != '\0', "%s", brev_error_message());
    bn_test_clear_faults(client);
    json_decref(bn_test_requests(client, NULL, 1));

    inject(DISK_CREATE, 8, 5, "not_enough_resources", 0, NULL);
    ck_assert_int_eq(disk_create("c"), BREV_ECAPACITY);
    ck_assert_int_eq(bn_test_request_count(client, DISK_CREATE), 1);
}
END_TEST

START_TEST(resource_exhausted_rate_limit_is_retried)
{
    BN_SIM_ONLY(sim);
    inject(PROJECT_GET, 8, 2, "too_many_requests", 0, NULL);
    ck_assert_msg(project_get() == 0, "%s", brev_error_message());
    ck_assert_int_eq(bn_test_request_count(client, PROJECT_GET), 3);
}
END_TEST

START_TEST(unknown_52x_from_proxy_is_retried_plain_unknown_is_not)
{
    BN_SIM_ONLY(sim);
    inject(PROJECT_GET, 2, 1, NULL, 0, "unexpected HTTP status code 523 (Origin Is Unreachable)");
    ck_assert_msg(project_get() == 0, "%s", brev_error_message());
    ck_assert_int_eq(bn_test_request_count(client, PROJECT_GET), 2);
    bn_test_clear_faults(client);
    json_decref(bn_test_requests(client, NULL, 1));

    inject(PROJECT_GET, 2, 5, NULL, 0, "something odd");
    ck_assert_int_eq(project_get(), BREV_EINTERNAL);
    ck_assert_int_eq(bn_test_request_count(client, PROJECT_GET), 1);
}
END_TEST

START_TEST(slow_attempt_times_out_and_is_retried_within_overall_deadline)
{
    Nebiussim__V1__InjectFaultRequest f = NEBIUSSIM__V1__INJECT_FAULT_REQUEST__INIT;
    brev_client_options o;
    brev_client *c = NULL;
    Nebius__Iam__V1__GetProjectRequest req = NEBIUS__IAM__V1__GET_PROJECT_REQUEST__INIT;
    ProtobufCMessage *resp = NULL;

    BN_SIM_ONLY(sim);
    bn_test_client_options(&sim, &o);
    o.retry.attempt_timeout_ms = 300;
    o.retry.call_timeout_ms = 5000;
    ck_assert_int_eq(brev_client_new(&c, &o), 0);
    f.method = PROJECT_GET;
    f.latency_ms = 1500;
    f.count = 1;
    ck_assert_int_eq(bn_test_fault(client, &f), 0);
    req.id = "project-sim0000000001";
    ck_assert_msg(bn_rpc_call(c->rpc, &nebius__iam__v1__project_service__descriptor, "Get", &req.base, &resp,
                              NULL) == 0,
                  "%s", brev_error_message());
    protobuf_c_message_free_unpacked(resp, NULL);
    brev_client_free(c);
    /* the slow one is logged when its handler finishes */
    for (int i = 0; i < 150 && bn_test_request_count(client, PROJECT_GET) < 2; i++)
        usleep(20000);
    ck_assert_int_eq(bn_test_request_count(client, PROJECT_GET), 2);
}
END_TEST

START_TEST(never_retried_past_the_overall_deadline)
{
    Nebiussim__V1__InjectFaultRequest f = NEBIUSSIM__V1__INJECT_FAULT_REQUEST__INIT;
    Nebius__Iam__V1__GetProjectRequest req = NEBIUS__IAM__V1__GET_PROJECT_REQUEST__INIT;
    ProtobufCMessage *resp = NULL;
    bn_call_options co = {0};

    BN_SIM_ONLY(sim);
    f.method = PROJECT_GET;
    f.hang = 1;
    ck_assert_int_eq(bn_test_fault(client, &f), 0);
    req.id = "project-sim0000000001";
    co.timeout_ms = 400; /* < one attempt timeout: the first attempt uses it all */
    ck_assert_int_eq(bn_rpc_call(client->rpc, &nebius__iam__v1__project_service__descriptor, "Get", &req.base,
                                 &resp, &co),
                     BREV_ETIMEOUT);
    ck_assert_ptr_nonnull(strstr(brev_error_message(), "call deadline 400 ms"));
    for (int i = 0; i < 100 && bn_test_request_count(client, PROJECT_GET) < 1; i++)
        usleep(20000);
    ck_assert_int_eq(bn_test_request_count(client, PROJECT_GET), 1);
}
END_TEST

Suite *suite(void)
{
    Suite *s = suite_create("transport_retry");
    TCase *tc = tcase_create("sim");

    tcase_add_unchecked_fixture(tc, sim_up, sim_down);
    tcase_add_checked_fixture(tc, client_up, client_down);
    tcase_set_timeout(tc, 30);
    tcase_add_test(tc, unavailable_twice_then_success_same_idempotency_key);
    tcase_add_test(tc, unavailable_five_times_fails_after_exactly_three_attempts);
    tcase_add_test(tc, backoff_is_linear_with_jitter);
    tcase_add_loop_test(tc, non_retryable_codes_are_sent_once, 0,
                        (int)(sizeof never_retried / sizeof never_retried[0]));
    tcase_add_test(tc, retry_type_nothing_stops_unavailable_retries);
    tcase_add_test(tc, retry_type_call_retries_internal);
    tcase_add_test(tc, resource_exhausted_quota_and_capacity_not_retried);
    tcase_add_test(tc, resource_exhausted_rate_limit_is_retried);
    tcase_add_test(tc, unknown_52x_from_proxy_is_retried_plain_unknown_is_not);
    tcase_add_test(tc, slow_attempt_times_out_and_is_retried_within_overall_deadline);
    tcase_add_test(tc, never_retried_past_the_overall_deadline);
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
