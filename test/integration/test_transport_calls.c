/* The generic call path against nebius-sim: TLS, token, metadata, method
 * lookup, errors with ServiceError details, deadlines, operations. */
#include <check.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cloud/client_internal.h"
#include "nebius/compute/v1/disk_service.pb-c.h"
#include "nebius/iam/v1/project_service.pb-c.h"
#include "ops/ops.h"
#include "rpc/rpc.h"
#include "sim_harness.h"

static bn_test_sim sim;
static brev_client *client;

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

#define SKIP_IF_LIVE()                                                                                               \
    do {                                                                                                             \
        BN_SIM_ONLY(sim);                                                                                            \
    } while (0)

static int project_get(brev_client *c, const char *id, Nebius__Iam__V1__Container **out)
{
    Nebius__Iam__V1__GetProjectRequest req = NEBIUS__IAM__V1__GET_PROJECT_REQUEST__INIT;
    ProtobufCMessage *resp = NULL;
    int rc;

    req.id = (char *)id;
    rc = bn_rpc_call(c->rpc, &nebius__iam__v1__project_service__descriptor, "Get", &req.base, &resp, NULL);
    *out = (Nebius__Iam__V1__Container *)resp;
    return rc;
}

/* The JSON string value at obj.path1.path2 (NULL when absent). */
static const char *md_value(json_t *request, const char *key)
{
    return json_string_value(json_object_get(json_object_get(request, "metadata"), key));
}

START_TEST(get_call_works_and_sends_metadata)
{
    Nebius__Iam__V1__Container *p = NULL;
    json_t *log, *reqs, *r;

    SKIP_IF_LIVE();
    ck_assert_int_eq(project_get(client, "project-sim0000000001", &p), 0);
    ck_assert_str_eq(p->metadata->id, "project-sim0000000001");
    ck_assert_str_eq(p->status->region, "eu-north1");
    protobuf_c_message_free_unpacked(&p->base, NULL);

    log = bn_test_requests(client, "/nebius.iam.v1.ProjectService/Get", 0);
    reqs = json_object_get(log, "requests");
    ck_assert_int_eq((int)json_array_size(reqs), 1);
    r = json_array_get(reqs, 0);
    ck_assert_ptr_nonnull(md_value(r, "authorization"));
    ck_assert_msg(strncmp(md_value(r, "authorization"), "Bearer ", 7) == 0, "auth %s", md_value(r, "authorization"));
    ck_assert_str_eq(md_value(r, "x-client-version"), "libbrev-nebius/" BREV_VERSION_STRING);
    ck_assert_ptr_nonnull(strstr(md_value(r, "user-agent"), "libbrev-nebius/" BREV_VERSION_STRING));
    /* A read carries no idempotency key and no retry marker. */
    ck_assert_ptr_null(md_value(r, "x-idempotency-key"));
    ck_assert_ptr_null(md_value(r, "x-retry-attempt"));
    json_decref(log);
}
END_TEST

START_TEST(not_found_maps_with_service_error)
{
    Nebius__Iam__V1__Container *p = NULL;
    const brev_error *e;

    SKIP_IF_LIVE();
    ck_assert_int_eq(project_get(client, "project-nosuchthing0", &p), BREV_ENOTFOUND);
    ck_assert_ptr_null(p);
    e = brev_error_last();
    ck_assert_int_eq(e->grpc_status, 5);
    ck_assert_msg(strstr(e->message, "ProjectService/Get: NOT_FOUND: ") == e->message, "message: %s", e->message);
    ck_assert_msg(strstr(e->message, "project-nosuchthing0") != NULL, "message: %s", e->message);
    ck_assert_msg(e->service_error[0] != '\0', "no ServiceError code in %s", e->message);
    ck_assert_msg(strstr(e->message, e->service_error) != NULL, "message: %s", e->message);
}
END_TEST

START_TEST(unknown_method_and_wrong_message_refused_locally)
{
    Nebius__Iam__V1__GetProjectRequest req = NEBIUS__IAM__V1__GET_PROJECT_REQUEST__INIT;
    Nebius__Iam__V1__ListProjectsRequest wrong = NEBIUS__IAM__V1__LIST_PROJECTS_REQUEST__INIT;
    ProtobufCMessage *resp = (ProtobufCMessage *)&req; /* must be reset to NULL */

    SKIP_IF_LIVE();
    ck_assert_int_eq(bn_rpc_call(client->rpc, &nebius__iam__v1__project_service__descriptor, "Frobnicate",
                                 &req.base, &resp, NULL),
                     BREV_EINVAL);
    ck_assert_ptr_null(resp);
    ck_assert_ptr_nonnull(strstr(brev_error_message(), "Frobnicate"));
    ck_assert_int_eq(bn_rpc_call(client->rpc, &nebius__iam__v1__project_service__descriptor, "Get", &wrong.base,
                                 &resp, NULL),
                     BREV_EINVAL);
    ck_assert_ptr_nonnull(strstr(brev_error_message(), "nebius.iam.v1.GetProjectRequest"));
    ck_assert_int_eq(bn_test_request_count(client, "ProjectService"), 0);
}
END_TEST

START_TEST(hanging_method_times_out_within_call_timeout)
{
    Nebiussim__V1__InjectFaultRequest f = NEBIUSSIM__V1__INJECT_FAULT_REQUEST__INIT;
    Nebius__Iam__V1__GetProjectRequest req = NEBIUS__IAM__V1__GET_PROJECT_REQUEST__INIT;
    ProtobufCMessage *resp = NULL;
    bn_call_options o = {0};
    brev_auth_info *info = NULL;

    SKIP_IF_LIVE();
    ck_assert_int_eq(brev_auth_check(client, 0, &info), 0); /* the token first: only Get may hang */
    brev_auth_info_free(info);
    f.method = "/nebius.iam.v1.ProjectService/Get";
    f.hang = 1;
    ck_assert_int_eq(bn_test_fault(client, &f), 0);
    req.id = "project-sim0000000001";
    o.timeout_ms = 600;
    ck_assert_int_eq(bn_rpc_call(client->rpc, &nebius__iam__v1__project_service__descriptor, "Get", &req.base,
                                 &resp, &o),
                     BREV_ETIMEOUT);
    ck_assert_ptr_null(resp);
    ck_assert_int_eq(brev_error_last()->grpc_status, 4);
    ck_assert_msg(strstr(brev_error_message(), "DEADLINE_EXCEEDED") != NULL, "%s", brev_error_message());
    /* The sim logs a hung call only once it noticed the client left. */
    for (int i = 0; i < 100 && bn_test_request_count(client, "ProjectService/Get") == 0; i++)
        usleep(20000);
    ck_assert_int_ge(bn_test_request_count(client, "ProjectService/Get"), 1);
}
END_TEST

START_TEST(mutating_call_has_idempotency_key_and_waits)
{
    Nebius__Compute__V1__CreateDiskRequest req = NEBIUS__COMPUTE__V1__CREATE_DISK_REQUEST__INIT;
    Nebius__Common__V1__ResourceMetadata md = NEBIUS__COMMON__V1__RESOURCE_METADATA__INIT;
    Nebius__Compute__V1__DiskSpec spec = NEBIUS__COMPUTE__V1__DISK_SPEC__INIT;
    bn_wait w;
    char *disk_id = NULL;
    json_t *log;
    const char *key;

    SKIP_IF_LIVE();
    w = bn_client_wait(client, "create disk", 20000);
    md.parent_id = "project-sim0000000001";
    md.name = "transport-disk";
    spec.size_case = NEBIUS__COMPUTE__V1__DISK_SPEC__SIZE_SIZE_GIBIBYTES;
    spec.size_gibibytes = 10;
    spec.type = NEBIUS__COMPUTE__V1__DISK_SPEC__DISK_TYPE__NETWORK_SSD;
    req.metadata = &md;
    req.spec = &spec;
    ck_assert_int_eq(bn_op_call(client->rpc, &nebius__compute__v1__disk_service__descriptor, "Create", &req.base,
                                NULL, &w, &disk_id),
                     0);
    ck_assert_ptr_nonnull(disk_id);
    ck_assert_msg(strncmp(disk_id, "computedisk-", 12) == 0, "id %s", disk_id);

    log = bn_test_requests(client, "/nebius.compute.v1.DiskService/Create", 0);
    key = md_value(json_array_get(json_object_get(log, "requests"), 0), "x-idempotency-key");
    ck_assert_ptr_nonnull(key);
    ck_assert_int_eq((int)strlen(key), 36);
    ck_assert_int_eq(key[14], '4'); /* UUIDv4 */
    json_decref(log);
    /* The operation finishes 50 ms after Create: it was polled at least once. */
    ck_assert_int_ge(bn_test_request_count(client, "/nebius.common.v1.OperationService/Get"), 1);
    free(disk_id);
}
END_TEST

START_TEST(project_found_from_tenant_and_region)
{
    brev_client_options o;
    brev_client *c = NULL;
    const char *project = NULL;

    BN_SIM_ONLY(sim);
    bn_test_client_options(&sim, &o);
    o.project_id = NULL;
    o.tenant_id = "tenant-sim0000000000";
    o.region = "eu-north1";
    ck_assert_int_eq(brev_client_new(&c, &o), 0);
    ck_assert_msg(brev_client_project_id(c, &project) == 0, "%s", brev_error_message());
    ck_assert_str_eq(project, "project-sim0000000001");
    ck_assert_int_eq(bn_test_request_count(c, "/nebius.iam.v1.ProjectService/List"), 1);
    /* cached */
    ck_assert_int_eq(brev_client_project_id(c, &project), 0);
    ck_assert_int_eq(bn_test_request_count(c, "/nebius.iam.v1.ProjectService/List"), 1);
    brev_client_free(c);

    o.region = "us-central1";
    ck_assert_int_eq(brev_client_new(&c, &o), 0);
    ck_assert_int_eq(brev_client_project_id(c, &project), BREV_ENOTFOUND);
    ck_assert_ptr_null(project);
    ck_assert_msg(strstr(brev_error_message(), "tenant-sim0000000000") != NULL &&
                      strstr(brev_error_message(), "us-central1") != NULL,
                  "%s", brev_error_message());
    brev_client_free(c);
}
END_TEST

/* The server goes away and comes back on the same port: the same client
 * (same channel) reconnects by itself. */
START_TEST(client_reconnects_after_server_restart)
{
    bn_test_sim own;
    bn_test_sim_options o = {0};
    const char *extra[3];
    char port[16];
    brev_client *c;
    json_t *st;

    BN_SIM_ONLY(sim);
    ck_assert_int_eq(bn_test_sim_start(&own, NULL), 0);
    c = bn_test_client(&own);
    st = bn_test_state(c); /* admin calls need no token: the restarted sim has a new key */
    json_decref(st);
    snprintf(port, sizeof port, "%d", own.port);
    bn_test_sim_stop(&own);

    extra[0] = "--port"; /* the last --port wins */
    extra[1] = port;
    extra[2] = NULL;
    o.extra_args = extra;
    ck_assert_int_eq(bn_test_sim_start(&own, &o), 0);
    ck_assert_int_eq(own.port, atoi(port));
    /* the first call may meet the dead connection; the retry reconnects */
    {
        Nebiussim__V1__GetStateRequest req = NEBIUSSIM__V1__GET_STATE_REQUEST__INIT;
        ProtobufCMessage *resp = NULL;
        bn_call_options co = {0};
        co.no_auth = 1;
        ck_assert_msg(bn_rpc_call(c->rpc, &nebiussim__v1__admin_service__descriptor, "GetState", &req.base, &resp,
                                  &co) == 0,
                      "%s", brev_error_message());
        protobuf_c_message_free_unpacked(resp, NULL);
    }
    brev_client_free(c);
    bn_test_sim_stop(&own);
}
END_TEST

Suite *suite(void)
{
    Suite *s = suite_create("transport_calls");
    TCase *tc = tcase_create("sim");

    tcase_add_unchecked_fixture(tc, sim_up, sim_down);
    tcase_add_checked_fixture(tc, client_up, client_down);
    tcase_set_timeout(tc, 30);
    tcase_add_test(tc, get_call_works_and_sends_metadata);
    tcase_add_test(tc, not_found_maps_with_service_error);
    tcase_add_test(tc, unknown_method_and_wrong_message_refused_locally);
    tcase_add_test(tc, hanging_method_times_out_within_call_timeout);
    tcase_add_test(tc, mutating_call_has_idempotency_key_and_waits);
    tcase_add_test(tc, project_found_from_tenant_and_region);
    tcase_add_test(tc, client_reconnects_after_server_restart);
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
