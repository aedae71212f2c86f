/* What users of the official SDKs ran into (facts: nebius-sdk.md §5), checked
 * on the instance API: one client shared by several threads, and a call that
 * never answers (terminate included) ending at the caller's deadline. */
#include <pthread.h>

#include "test_instance_fixture.h"

#define THREADS 4

typedef struct worker {
    int index;
    int rc;
    char id[96];
    char message[256];
} worker;

static void *create_list_terminate(void *arg)
{
    worker *w = arg;
    brev_create_instance_options o;
    brev_instance *in = NULL;
    brev_instance_list *list = NULL;
    char name[32];

    snprintf(name, sizeof name, "thread-%d", w->index);
    brev_create_instance_options_init(&o, BREV_CREATE_INSTANCE_OPTIONS_VERSION);
    o.name = name;
    o.ref_id = name;
    o.instance_type = IX_CPU_TYPE;
    o.ssh_keys = ix_keys;
    o.ssh_key_count = 1;
    o.cluster_id = "shared";
    o.timeout_ms = 60000;
    w->rc = brev_instance_create(ix_client, &o, &in);
    if (w->rc == 0) {
        snprintf(w->id, sizeof w->id, "%s", in->id);
        w->rc = brev_instances_list(ix_client, NULL, &list);
        brev_instance_list_free(list);
    }
    if (w->rc != 0)
        snprintf(w->message, sizeof w->message, "%s", brev_error_message());
    brev_instance_free(in);
    return NULL;
}

START_TEST(one_client_many_threads)
{
    pthread_t t[THREADS];
    worker w[THREADS];
    brev_instance_filter f = {0};
    brev_instance_list *list = NULL;
    char *group = NULL;

    IX_SIM_ONLY();
    for (int i = 0; i < THREADS; i++) {
        memset(&w[i], 0, sizeof w[i]);
        w[i].index = i;
        ck_assert_int_eq(pthread_create(&t[i], NULL, create_list_terminate, &w[i]), 0);
    }
    for (int i = 0; i < THREADS; i++)
        pthread_join(t[i], NULL);
    for (int i = 0; i < THREADS; i++)
        ck_assert_msg(w[i].rc == 0, "thread %d: %d %s", i, w[i].rc, w[i].message);
    f.cluster_id = "shared";
    ck_assert_int_eq(brev_instances_list(ix_client, &f, &list), 0);
    ck_assert_uint_eq(list->count, THREADS);
    group = strdup(list->items[0].security_group_id);
    for (size_t i = 0; i < list->count; i++)
        ck_assert_str_eq(list->items[i].security_group_id, group); /* one group for the cluster */
    brev_instance_list_free(list);
    ck_assert_int_eq(ix_count("security_group") >= 1, 1);
    for (int i = 0; i < THREADS; i++)
        ck_assert_msg(brev_instance_terminate(ix_client, w[i].id, 30000) == 0, "%s", brev_error_message());
    ck_assert_int_eq(ix_count("instance"), 0);
    ck_assert_int_eq(ix_count("disk"), 0);
    free(group);
}
END_TEST

START_TEST(a_call_that_never_answers_ends_at_the_deadline)
{
    brev_client_options co;
    brev_client *c;
    brev_create_instance_options o;
    brev_instance *in = NULL, *got = NULL;
    Nebiussim__V1__InjectFaultRequest f = NEBIUSSIM__V1__INJECT_FAULT_REQUEST__INIT;

    IX_SIM_ONLY();
    ix_opts(&o, "hang-1", "hang-1");
    ck_assert_int_eq(brev_instance_create(ix_client, &o, &in), 0);

    bn_test_client_options(&ix_sim, &co);
    co.retry.attempts = 2;
    co.retry.attempt_timeout_ms = 300;
    co.retry.call_timeout_ms = 800;
    ck_assert_int_eq(brev_client_new(&c, &co), 0);
    f.method = "/nebius.compute.v1.InstanceService/Delete";
    f.hang = 1;
    ck_assert_int_eq(bn_test_fault(ix_client, &f), 0);
    ck_assert_int_eq(brev_instance_terminate(c, in->id, 5000), BREV_ETIMEOUT);
    bn_test_clear_faults(ix_client);
    ck_assert_int_eq(brev_instance_get(c, in->id, &got), 0); /* still there, nothing half-done */
    ck_assert_int_eq(got->status, BREV_LIFECYCLE_RUNNING);
    ck_assert_int_eq(brev_instance_terminate(c, in->id, 30000), 0);
    ck_assert_int_eq(ix_count("disk"), 0);
    brev_instance_free(got);
    brev_instance_free(in);
    brev_client_free(c);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("instance_robust");
    TCase *tc = ix_tcase("robust");
    tcase_add_test(tc, one_client_many_threads);
    tcase_add_test(tc, a_call_that_never_answers_ends_at_the_deadline);
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
