/* The error layer: codes, names, the per-thread message, idempotency keys. */
#include <check.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <brev/nebius.h>
#include "util/error.h"
#include "util/str.h"

START_TEST(every_code_has_its_own_text)
{
    for (int a = BREV_OK; a >= BREV_EPOLICY; a--) {
        ck_assert_str_ne(brev_strerror(a), "unknown error code");
        for (int b = a - 1; b >= BREV_EPOLICY; b--)
            ck_assert_str_ne(brev_strerror(a), brev_strerror(b));
    }
    ck_assert_str_eq(brev_strerror(-999), "unknown error code");
}
END_TEST

START_TEST(grpc_status_names_cover_all_seventeen)
{
    static const char *const expected[] = {
        "OK", "CANCELLED", "UNKNOWN", "INVALID_ARGUMENT", "DEADLINE_EXCEEDED", "NOT_FOUND",
        "ALREADY_EXISTS", "PERMISSION_DENIED", "RESOURCE_EXHAUSTED", "FAILED_PRECONDITION",
        "ABORTED", "OUT_OF_RANGE", "UNIMPLEMENTED", "INTERNAL", "UNAVAILABLE", "DATA_LOSS",
        "UNAUTHENTICATED"};
    for (int i = 0; i < 17; i++)
        ck_assert_str_eq(brev_grpc_status_name(i), expected[i]);
    ck_assert_str_eq(brev_grpc_status_name(17), "UNKNOWN_STATUS");
    ck_assert_str_eq(brev_grpc_status_name(-1), "UNKNOWN_STATUS");
}
END_TEST

START_TEST(set_prefix_and_clear)
{
    ck_assert_int_eq(bn_err_set(BREV_EINVAL, "name %s is too long", "abc"), BREV_EINVAL);
    ck_assert_int_eq(brev_error_last()->code, BREV_EINVAL);
    ck_assert_int_eq(brev_error_last()->grpc_status, -1);
    ck_assert_int_eq(bn_err_prefix("creating %s", "disk"), BREV_EINVAL);
    ck_assert_str_eq(brev_error_message(), "creating disk: name abc is too long");

    bn_err_set_grpc(BREV_ECAPACITY, 8, "NotEnoughResources", "req-1", "no %s", "gpus");
    ck_assert_int_eq(brev_error_last()->grpc_status, 8);
    ck_assert_str_eq(brev_error_last()->service_error, "NotEnoughResources");
    ck_assert_str_eq(brev_error_last()->request_id, "req-1");

    brev_error_clear();
    ck_assert_int_eq(brev_error_last()->code, BREV_OK);
    ck_assert_str_eq(brev_error_message(), "");
}
END_TEST

START_TEST(long_messages_are_truncated_not_overflowed)
{
    char big[4000];
    memset(big, 'x', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    bn_err_set(BREV_ERROR, "%s", big);
    bn_err_prefix("context");
    ck_assert_uint_eq(strlen(brev_error_message()), sizeof brev_error_last()->message - 1);
    ck_assert(bn_str_starts_with(brev_error_message(), "context: xxx"));
}
END_TEST

START_TEST(save_and_restore_keep_the_first_error)
{
    brev_error saved;
    bn_err_set(BREV_EQUOTA, "out of gpus");
    bn_err_save(&saved);
    bn_err_set(BREV_EUNAVAILABLE, "cleanup failed");
    bn_err_restore(&saved);
    ck_assert_int_eq(bn_err_code(), BREV_EQUOTA);
    ck_assert_str_eq(brev_error_message(), "out of gpus");
}
END_TEST

START_TEST(the_current_error_can_be_passed_back_in)
{
    const brev_error *e = brev_error_last();
    bn_err_set_grpc(BREV_ECAPACITY, 8, "NotEnoughResources", "req-9", "no gpus in %s", "eu-north1");
    bn_err_set_grpc(e->code, e->grpc_status, e->service_error, e->request_id, "start: %s", e->message);
    ck_assert_str_eq(brev_error_message(), "start: no gpus in eu-north1");
    ck_assert_str_eq(e->service_error, "NotEnoughResources");
    ck_assert_str_eq(e->request_id, "req-9");
    bn_err_set(BREV_ERROR, "%s (again)", e->message);
    ck_assert_str_eq(brev_error_message(), "start: no gpus in eu-north1 (again)");
}
END_TEST

static void *set_in_thread(void *arg)
{
    (void)arg;
    bn_err_set(BREV_ETIMEOUT, "other thread");
    return NULL;
}

START_TEST(errors_are_per_thread)
{
    pthread_t t;
    bn_err_set(BREV_ENOTFOUND, "this thread");
    ck_assert_int_eq(pthread_create(&t, NULL, set_in_thread, NULL), 0);
    pthread_join(t, NULL);
    ck_assert_int_eq(bn_err_code(), BREV_ENOTFOUND);
    ck_assert_str_eq(brev_error_message(), "this thread");
}
END_TEST

START_TEST(uuid4_has_the_right_shape_and_differs)
{
    char a[37], b[37];
    ck_assert_int_eq(bn_uuid4(a), 0);
    ck_assert_int_eq(bn_uuid4(b), 0);
    ck_assert_uint_eq(strlen(a), 36);
    ck_assert_int_eq(a[8], '-');
    ck_assert_int_eq(a[13], '-');
    ck_assert_int_eq(a[14], '4');
    ck_assert(strchr("89ab", a[19]) != NULL);
    ck_assert_str_ne(a, b);
}
END_TEST

START_TEST(strings_helpers)
{
    char *s = bn_strfmt("%s-%d", "vm", 7);
    ck_assert_str_eq(s, "vm-7");
    free(s);
    s = bn_strdup(NULL);
    ck_assert_str_eq(s, "");
    brev_string_free(s);
    ck_assert_str_eq(brev_version(), BREV_VERSION_STRING);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("errors");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, every_code_has_its_own_text);
    tcase_add_test(tc, grpc_status_names_cover_all_seventeen);
    tcase_add_test(tc, set_prefix_and_clear);
    tcase_add_test(tc, long_messages_are_truncated_not_overflowed);
    tcase_add_test(tc, save_and_restore_keep_the_first_error);
    tcase_add_test(tc, the_current_error_can_be_passed_back_in);
    tcase_add_test(tc, errors_are_per_thread);
    tcase_add_test(tc, uuid4_has_the_right_shape_and_differs);
    tcase_add_test(tc, strings_helpers);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? 1 : 0;
}
