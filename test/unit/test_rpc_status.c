/* gRPC status + ServiceError -> brev_status and message; the retry policy. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include <brev/errors.h>
#include "rpc/retry.h"
#include "rpc/status.h"

/* A google.rpc.Status carrying one packed ServiceError (owned by the returned struct). */
typedef struct status_box {
    Google__Rpc__Status status;
    Google__Protobuf__Any any;
    Google__Protobuf__Any *details[1];
    uint8_t buf[1024];
} status_box;

static void box(status_box *b, int code, const char *message, const Nebius__Common__V1__ServiceError *se)
{
    google__rpc__status__init(&b->status);
    google__protobuf__any__init(&b->any);
    b->status.code = code;
    b->status.message = (char *)message;
    if (se) {
        size_t n = nebius__common__v1__service_error__get_packed_size(se);
        ck_assert_uint_le(n, sizeof b->buf);
        nebius__common__v1__service_error__pack(se, b->buf);
        b->any.type_url = "type.googleapis.com/nebius.common.v1.ServiceError";
        b->any.value.data = b->buf;
        b->any.value.len = n;
        b->details[0] = &b->any;
        b->status.details = b->details;
        b->status.n_details = 1;
    }
}

static const struct {
    int grpc;
    int brev;
} table[] = {
    {1, BREV_ECANCELLED},   {2, BREV_EINTERNAL},      {3, BREV_EINVAL},         {4, BREV_ETIMEOUT},
    {5, BREV_ENOTFOUND},    {6, BREV_EEXISTS},        {7, BREV_EPERM},          {8, BREV_EQUOTA},
    {9, BREV_EPRECONDITION}, {10, BREV_EPRECONDITION}, {11, BREV_EINVAL},       {12, BREV_EUNSUPPORTED},
    {13, BREV_EINTERNAL},   {14, BREV_EUNAVAILABLE},  {15, BREV_EINTERNAL},     {16, BREV_EAUTH},
};

START_TEST(every_code_maps)
{
    int rc = bn_status_error("Svc/M", table[_i].grpc, "boom", NULL, NULL);
    ck_assert_int_eq(rc, table[_i].brev);
    ck_assert_int_eq(brev_error_last()->code, table[_i].brev);
    ck_assert_int_eq(brev_error_last()->grpc_status, table[_i].grpc);
    ck_assert_str_eq(brev_error_last()->service_error, "");
}
END_TEST

START_TEST(message_format_with_service_error)
{
    Nebius__Common__V1__ServiceError se = NEBIUS__COMMON__V1__SERVICE_ERROR__INIT;
    Nebius__Common__V1__BadRequest br = NEBIUS__COMMON__V1__BAD_REQUEST__INIT;
    Nebius__Common__V1__BadRequest__Violation v1 = NEBIUS__COMMON__V1__BAD_REQUEST__VIOLATION__INIT;
    Nebius__Common__V1__BadRequest__Violation v2 = NEBIUS__COMMON__V1__BAD_REQUEST__VIOLATION__INIT;
    Nebius__Common__V1__BadRequest__Violation *vs[2] = {&v1, &v2};
    status_box b;

    v1.field = "metadata.name";
    v1.message = "too long";
    v2.field = "spec.size";
    v2.message = "must be > 0";
    br.violations = vs;
    br.n_violations = 2;
    se.service = "nebius.compute.v1.DiskService";
    se.code = "BadRequest";
    se.details_case = NEBIUS__COMMON__V1__SERVICE_ERROR__DETAILS_BAD_REQUEST;
    se.bad_request = &br;
    box(&b, 3, "invalid request", &se);
    ck_assert_int_eq(bn_status_error("DiskService/Create", 3, "invalid request", &b.status, "req-42"), BREV_EINVAL);
    ck_assert_str_eq(brev_error_message(), "DiskService/Create: INVALID_ARGUMENT: invalid request [BadRequest: "
                                           "metadata.name: too long; spec.size: must be > 0] (request id req-42)");
    ck_assert_str_eq(brev_error_last()->service_error, "BadRequest");
    ck_assert_str_eq(brev_error_last()->request_id, "req-42");
}
END_TEST

START_TEST(capacity_versus_quota)
{
    Nebius__Common__V1__ServiceError se = NEBIUS__COMMON__V1__SERVICE_ERROR__INIT;
    Nebius__Common__V1__NotEnoughResources ner = NEBIUS__COMMON__V1__NOT_ENOUGH_RESOURCES__INIT;
    Nebius__Common__V1__NotEnoughResources__Violation nv = NEBIUS__COMMON__V1__NOT_ENOUGH_RESOURCES__VIOLATION__INIT;
    Nebius__Common__V1__NotEnoughResources__Violation *nvs[1] = {&nv};
    Nebius__Common__V1__QuotaFailure qf = NEBIUS__COMMON__V1__QUOTA_FAILURE__INIT;
    Nebius__Common__V1__QuotaFailure__Violation qv = NEBIUS__COMMON__V1__QUOTA_FAILURE__VIOLATION__INIT;
    Nebius__Common__V1__QuotaFailure__Violation *qvs[1] = {&qv};
    status_box b;

    nv.resource_type = "gpu-h100";
    nv.message = "no capacity";
    nv.requested = "8";
    ner.violations = nvs;
    ner.n_violations = 1;
    se.code = "NotEnoughResources";
    se.details_case = NEBIUS__COMMON__V1__SERVICE_ERROR__DETAILS_NOT_ENOUGH_RESOURCES;
    se.not_enough_resources = &ner;
    box(&b, 8, "exhausted", &se);
    ck_assert_int_eq(bn_status_error("op", 8, NULL, &b.status, NULL), BREV_ECAPACITY);
    ck_assert_msg(strstr(brev_error_message(), "op: RESOURCE_EXHAUSTED: exhausted [NotEnoughResources: gpu-h100: "
                                               "no capacity (requested 8)]") != NULL,
                  "%s", brev_error_message());
    {
        Nebius__Common__V1__ServiceError *got = bn_status_service_error(&b.status);
        ck_assert_ptr_nonnull(got);
        ck_assert_int_eq(bn_retry_is_retryable(8, "", got), 0);
        protobuf_c_message_free_unpacked(&got->base, NULL);
    }

    qv.quota = "compute.gpu";
    qv.message = "limit reached";
    qv.limit = "0";
    qv.requested = "1";
    qf.violations = qvs;
    qf.n_violations = 1;
    se.code = "QuotaFailure";
    se.details_case = NEBIUS__COMMON__V1__SERVICE_ERROR__DETAILS_QUOTA_FAILURE;
    se.quota_failure = &qf;
    box(&b, 8, "exhausted", &se);
    ck_assert_int_eq(bn_status_error("op", 8, NULL, &b.status, NULL), BREV_EQUOTA);
    ck_assert_ptr_nonnull(strstr(brev_error_message(), "quota compute.gpu: limit reached (limit 0, requested 1)"));
}
END_TEST

START_TEST(undecodable_detail_is_ignored)
{
    status_box b;
    box(&b, 5, "gone", NULL);
    b.any.type_url = "type.googleapis.com/nebius.common.v1.ServiceError";
    b.any.value.data = (uint8_t *)"\xff\xff\xff";
    b.any.value.len = 3;
    b.details[0] = &b.any;
    b.status.details = b.details;
    b.status.n_details = 1;
    ck_assert_ptr_null(bn_status_service_error(&b.status));
    ck_assert_int_eq(bn_status_error("X/Y", 5, "gone", &b.status, NULL), BREV_ENOTFOUND);
    ck_assert_str_eq(brev_error_message(), "X/Y: NOT_FOUND: gone");
}
END_TEST

START_TEST(retry_decisions)
{
    Nebius__Common__V1__ServiceError se = NEBIUS__COMMON__V1__SERVICE_ERROR__INIT;

    ck_assert(bn_retry_is_retryable(14, "", NULL));
    ck_assert(bn_retry_is_retryable(4, "", NULL));
    ck_assert(bn_retry_is_retryable(8, "", NULL));
    ck_assert(bn_retry_is_retryable(2, "unexpected HTTP status code 524", NULL));
    ck_assert(!bn_retry_is_retryable(2, "unexpected HTTP status code 500", NULL));
    for (int c = 0; c <= 16; c++)
        if (c != 14 && c != 4 && c != 8)
            ck_assert_msg(!bn_retry_is_retryable(c, "", NULL), "code %d retried", c);
    se.retry_type = NEBIUS__COMMON__V1__SERVICE_ERROR__RETRY_TYPE__CALL;
    ck_assert(bn_retry_is_retryable(13, "", &se));
    se.retry_type = NEBIUS__COMMON__V1__SERVICE_ERROR__RETRY_TYPE__NOTHING;
    ck_assert(!bn_retry_is_retryable(14, "", &se));
    se.retry_type = NEBIUS__COMMON__V1__SERVICE_ERROR__RETRY_TYPE__UNIT_OF_WORK;
    ck_assert(!bn_retry_is_retryable(14, "", &se));
}
END_TEST

START_TEST(policy_defaults_and_backoff_bounds)
{
    brev_retry_policy zero = {0}, p = bn_retry_policy_resolve(&zero);

    ck_assert_uint_eq(p.attempts, 3);
    ck_assert_uint_eq(p.attempt_timeout_ms, 20000);
    ck_assert_uint_eq(p.call_timeout_ms, 60000);
    ck_assert_uint_eq(p.backoff_ms, 50);
    ck_assert_uint_eq(p.jitter_percent, 10);
    for (int i = 0; i < 500; i++) {
        unsigned a = bn_retry_backoff_ms(&p, 2), b = bn_retry_backoff_ms(&p, 3);
        ck_assert_msg(a >= 45 && a <= 55, "backoff before attempt 2: %u", a);
        ck_assert_msg(b >= 90 && b <= 110, "backoff before attempt 3: %u", b);
    }
    ck_assert_uint_eq(bn_retry_backoff_ms(&p, 1), 0);
}
END_TEST

Suite *suite(void)
{
    Suite *s = suite_create("rpc_status");
    TCase *tc = tcase_create("status");

    tcase_add_loop_test(tc, every_code_maps, 0, (int)(sizeof table / sizeof table[0]));
    tcase_add_test(tc, message_format_with_service_error);
    tcase_add_test(tc, capacity_versus_quota);
    tcase_add_test(tc, undecodable_detail_is_ignored);
    tcase_add_test(tc, retry_decisions);
    tcase_add_test(tc, policy_defaults_and_backoff_bounds);
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
