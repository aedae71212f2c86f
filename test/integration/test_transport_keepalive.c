/* A client left idle for many keepalive periods still works on its next
 * call, on the same connection: its keepalive never made the server hang up
 * (gRPC servers answer pings on an idle connection with GOAWAY
 * "too_many_pings"). */
#include <check.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cloud/client_internal.h"
#include "nebius/iam/v1/project_service.pb-c.h"
#include "sim_harness.h"

#define PROJECT_GET "/nebius.iam.v1.ProjectService/Get"

static bn_test_sim sim;

static void sim_up(void)
{
    ck_assert_int_eq(bn_test_sim_start(&sim, NULL), 0);
}

static void sim_down(void)
{
    bn_test_sim_stop(&sim);
}

static int project_get(brev_client *c)
{
    Nebius__Iam__V1__GetProjectRequest req = NEBIUS__IAM__V1__GET_PROJECT_REQUEST__INIT;
    ProtobufCMessage *resp = NULL;
    int rc;

    req.id = "project-sim0000000001";
    rc = bn_rpc_call(c->rpc, &nebius__iam__v1__project_service__descriptor, "Get", &req.base, &resp, NULL);
    if (resp)
        protobuf_c_message_free_unpacked(resp, NULL);
    return rc;
}

START_TEST(idle_client_keeps_its_connection_and_works)
{
    brev_client_options o;
    brev_client *c = NULL;
    bn_test_log *log;
    json_t *reqs_log, *reqs;
    const char *peer0;
    char *text;

    BN_SIM_ONLY(sim);
    log = bn_test_log_new();
    bn_test_client_options(&sim, &o);
    o.keepalive_time_ms = 100;
    o.keepalive_timeout_ms = 1000;
    o.retry.attempts = 1; /* a dead connection must show, not be retried away */
    o.log = bn_test_log_fn;
    o.log_payload = log;
    o.log_level = BREV_LOG_DEBUG;
    ck_assert_int_eq(brev_client_new(&c, &o), 0);
    bn_test_reset(c);
    ck_assert_msg(project_get(c) == 0, "%s", brev_error_message());
    /* idle for 30 keepalive periods */
    sleep(3);
    ck_assert_msg(project_get(c) == 0, "after idling: %s", brev_error_message());

    reqs_log = bn_test_requests(c, "", 0);
    reqs = json_object_get(reqs_log, "requests");
    ck_assert_int_eq((int)json_array_size(reqs), 3); /* Exchange, Get, Get */
    peer0 = json_string_value(json_object_get(json_array_get(reqs, 0), "peer"));
    ck_assert_ptr_nonnull(peer0);
    for (size_t i = 0; i < json_array_size(reqs); i++) {
        json_t *r = json_array_get(reqs, i);
        ck_assert_str_eq(json_string_value(json_object_get(r, "code_name")), "OK");
        /* the same client port: the server never closed the connection */
        ck_assert_str_eq(json_string_value(json_object_get(r, "peer")), peer0);
    }
    json_decref(reqs_log);
    text = bn_test_log_text(log);
    ck_assert_msg(strstr(text, "failed") == NULL, "log: %s", text);
    free(text);
    brev_client_free(c);
    bn_test_log_free(log);
}
END_TEST

Suite *suite(void)
{
    Suite *s = suite_create("transport_keepalive");
    TCase *tc = tcase_create("sim");

    tcase_add_unchecked_fixture(tc, sim_up, sim_down);
    tcase_set_timeout(tc, 30);
    tcase_add_test(tc, idle_client_keeps_its_connection_and_works);
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
