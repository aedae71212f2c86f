/* Start/stop failures, waits, and listing: every page (the sim serving two
 * items a page) and every filter. */
#include <time.h>

#include "test_instance_fixture.h"

#define CODE_RESOURCE_EXHAUSTED 8

static char *create_one(const char *name, const char *ref, const char *cluster, const brev_label *labels, size_t n)
{
    brev_create_instance_options o;
    brev_instance *in = NULL;
    char *id;

    ix_opts(&o, name, ref);
    o.cluster_id = cluster;
    o.labels = labels;
    o.label_count = n;
    ck_assert_msg(brev_instance_create(ix_client, &o, &in) == 0, "%s", brev_error_message());
    id = strdup(in->id);
    brev_instance_free(in);
    return id;
}

START_TEST(start_without_capacity_is_ecapacity)
{
    char *id;
    brev_instance *in = NULL;

    IX_SIM_ONLY();
    id = create_one("cap-start", "cap-start", NULL, NULL, 0);
    ck_assert_int_eq(brev_instance_stop(ix_client, id, 30000), 0);
    /* refused by the call itself */
    ix_fault("/nebius.compute.v1.InstanceService/Start", CODE_RESOURCE_EXHAUSTED, "not_enough_resources", 0, 0, 0,
             0);
    ck_assert_int_eq(brev_instance_start(ix_client, id, 30000), BREV_ECAPACITY);
    /* the ServiceError code travelled along */
    ck_assert_str_eq(brev_error_last()->service_error, "NotEnoughResources");
    bn_test_clear_faults(ix_client);
    /* or by its operation: the code, the ServiceError and the text all survive the wait */
    ix_fault("/nebius.compute.v1.InstanceService/Start", CODE_RESOURCE_EXHAUSTED, "not_enough_resources", 0, 1, 0,
             0);
    ck_assert_int_eq(brev_instance_start(ix_client, id, 30000), BREV_ECAPACITY);
    ck_assert_str_eq(brev_error_last()->service_error, "NotEnoughResources");
    ck_assert_msg(strstr(brev_error_message(), "RESOURCE_EXHAUSTED") != NULL, "message: %s", brev_error_message());
    bn_test_clear_faults(ix_client);
    ix_fault("/nebius.compute.v1.InstanceService/Start", CODE_RESOURCE_EXHAUSTED, "quota_failure", 0, 1, 0, 0);
    ck_assert_int_eq(brev_instance_start(ix_client, id, 30000), BREV_EQUOTA);
    ck_assert_str_eq(brev_error_last()->service_error, "QuotaFailure");
    ck_assert_msg(strstr(brev_error_message(), "compute.instance.gpu.h100") != NULL, "message: %s",
                  brev_error_message());
    bn_test_clear_faults(ix_client);
    ck_assert_int_eq(brev_instance_get(ix_client, id, &in), 0);
    ck_assert_int_eq(in->status, BREV_LIFECYCLE_STOPPED);
    brev_instance_free(in);
    ck_assert_int_eq(brev_instance_start(ix_client, id, 30000), 0);
    free(id);
}
END_TEST

/* Start's operation finished OK, and the first look at the instance already
 * finds it STOPPED again (the cloud took the start back for want of
 * capacity): that is BREV_ECAPACITY at once, not a wait until the timeout. */
START_TEST(start_falling_back_to_stopped_is_ecapacity_at_once)
{
    struct timespec t0, t1;
    brev_instance *in = NULL;
    double took;
    char *id;

    IX_SIM_ONLY();
    id = create_one("late-start", "late-start", NULL, NULL, 0);
    ck_assert_int_eq(brev_instance_stop(ix_client, id, 30000), 0);
    ix_fault("/nebius.compute.v1.InstanceService/Start", 0, NULL, 0, 0, 1, 0);
    clock_gettime(CLOCK_MONOTONIC, &t0);
    ck_assert_int_eq(brev_instance_start(ix_client, id, 20000), BREV_ECAPACITY);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    took = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
    ck_assert_msg(strstr(brev_error_message(), "fell back to STOPPED") != NULL, "message: %s", brev_error_message());
    ck_assert_msg(strstr(brev_error_message(), id) != NULL, "message: %s", brev_error_message());
    ck_assert_msg(took < 5.0, "start took %.1f s to see the fallback", took);
    /* exactly one Start was sent: the failure is the instance's, not a retry's */
    ck_assert_int_eq(bn_test_request_count(ix_client, "InstanceService/Start"), 1);
    bn_test_clear_faults(ix_client);
    ck_assert_int_eq(brev_instance_get(ix_client, id, &in), 0);
    ck_assert_int_eq(in->status, BREV_LIFECYCLE_STOPPED);
    brev_instance_free(in);
    /* with capacity back, the same start works */
    ck_assert_msg(brev_instance_start(ix_client, id, 30000) == 0, "%s", brev_error_message());
    free(id);
}
END_TEST

START_TEST(wait_times_out)
{
    char *id;
    brev_instance *last = NULL;

    IX_SIM_ONLY();
    id = create_one("wait-1", "wait-1", NULL, NULL, 0);
    ck_assert_int_eq(brev_instance_wait(ix_client, id, BREV_LIFECYCLE_STOPPED, 300, &last), BREV_ETIMEOUT);
    ck_assert_ptr_nonnull(strstr(brev_error_message(), "timed out"));
    ck_assert_ptr_nonnull(last);
    ck_assert_int_eq(last->status, BREV_LIFECYCLE_RUNNING);
    brev_instance_free(last);
    ck_assert_int_eq(brev_instance_wait(ix_client, id, BREV_LIFECYCLE_RUNNING, 1000, NULL), 0);
    free(id);
}
END_TEST

START_TEST(wait_on_a_failed_instance_is_eprecondition)
{
    char *id;
    char *patched;

    IX_SIM_ONLY();
    id = create_one("fail-1", "fail-1", NULL, NULL, 0);
    patched = bn_test_mutate(ix_client, id, "{\"status\":{\"state\":\"ERROR\"}}", 0, NULL, NULL);
    free(patched);
    ck_assert_int_eq(brev_instance_wait(ix_client, id, BREV_LIFECYCLE_RUNNING, 2000, NULL), BREV_EPRECONDITION);
    free(id);
}
END_TEST

static int cancel_at_once(const brev_progress *p, void *payload)
{
    (void)p;
    ++*(int *)payload;
    return 1;
}

START_TEST(progress_is_reported_and_can_cancel)
{
    brev_client_options co;
    brev_client *c;
    char *id;
    int calls = 0;

    IX_SIM_ONLY();
    id = create_one("prog-1", "prog-1", NULL, NULL, 0);
    bn_test_client_options(&ix_sim, &co);
    co.progress = cancel_at_once;
    co.progress_payload = &calls;
    ck_assert_int_eq(brev_client_new(&c, &co), 0);
    ck_assert_int_eq(brev_instance_wait(c, id, BREV_LIFECYCLE_STOPPED, 5000, NULL), BREV_ECANCELLED);
    ck_assert_int_ge(calls, 1);
    brev_client_free(c);
    free(id);
}
END_TEST

/* A caller's "stop waiting" that stays on once given, like a Ctrl-C flag:
 * it must stop the create, never the cleanup that follows. */
typedef struct sticky_cancel {
    const char *at; /* cancel at the first progress report whose `what` contains this */
    int on;
    int calls;
} sticky_cancel;

static int cancel_and_stay_cancelled(const brev_progress *p, void *payload)
{
    sticky_cancel *c = payload;
    c->calls++;
    if (!c->on && p->what && strstr(p->what, c->at))
        c->on = 1;
    return c->on;
}

static void cancelled_create_leaves_nothing(const char *at, const char *name)
{
    brev_client_options co;
    brev_create_instance_options o;
    brev_instance *in = NULL;
    brev_client *c;
    sticky_cancel cancel = {at, 0, 0};
    ix_counts before = ix_snapshot();

    bn_test_client_options(&ix_sim, &co);
    co.progress = cancel_and_stay_cancelled;
    co.progress_payload = &cancel;
    ck_assert_int_eq(brev_client_new(&c, &co), 0);
    ix_opts(&o, name, name);
    o.cluster_id = name; /* a new cluster: its group is made by this create */
    ck_assert_int_eq(brev_instance_create(c, &o, &in), BREV_ECANCELLED);
    ck_assert_ptr_null(in);
    ck_assert_int_eq(cancel.on, 1);
    brev_client_free(c);
    ix_assert_nothing_left(before);
}

START_TEST(cancel_during_cluster_setup_leaves_no_half_built_group)
{
    IX_SIM_ONLY();
    cancelled_create_leaves_nothing("security group", "cancel-group");
}
END_TEST

START_TEST(cancel_during_instance_create_still_cleans_up_everything)
{
    IX_SIM_ONLY();
    cancelled_create_leaves_nothing("instance", "cancel-inst");
}
END_TEST

START_TEST(list_follows_every_page_and_filters)
{
    brev_label team_a[] = {{"team", "a"}};
    brev_label team_b[] = {{"team", "b"}};
    brev_instance_list *list = NULL;
    brev_instance_filter f = {0};
    char *ids[5];
    const char *two[2];
    char name[32];
    char *foreign;

    IX_SIM_ONLY();
    for (int i = 0; i < 5; i++) {
        snprintf(name, sizeof name, "page-%d", i);
        ids[i] = create_one(name, name, i < 3 ? "cl-a" : "cl-b", i % 2 ? team_b : team_a, 1);
    }
    /* an instance the library did not make */
    foreign = bn_test_mutate(ix_client, NULL, NULL, 0, "instance",
                             "{\"metadata\":{\"parent_id\":\"" IX_PROJECT "\",\"name\":\"foreign\"},"
                             "\"spec\":{\"resources\":{\"platform\":\"cpu-d3\",\"preset\":\"2vcpu-8gb\"}},"
                             "\"status\":{\"state\":\"RUNNING\"}}");
    json_decref(bn_test_requests(ix_client, NULL, 1));

    ck_assert_int_eq(brev_instances_list(ix_client, NULL, &list), 0);
    ck_assert_uint_eq(list->count, 6);
    ck_assert_int_ge(bn_test_request_count(ix_client, "InstanceService/List"), 3);
    for (size_t i = 0; i < list->count; i++)
        if (strcmp(list->items[i].id, foreign) != 0)
            ck_assert_int_eq(list->items[i].disk_size_bytes, (int64_t)64 << 30);
    ck_assert_int_eq(bn_test_request_count(ix_client, "DiskService/Get"), 0); /* disks listed once instead */
    brev_instance_list_free(list);

    f.managed_only = 1;
    ck_assert_int_eq(brev_instances_list(ix_client, &f, &list), 0);
    ck_assert_uint_eq(list->count, 5);
    brev_instance_list_free(list);

    f.cluster_id = "cl-a";
    ck_assert_int_eq(brev_instances_list(ix_client, &f, &list), 0);
    ck_assert_uint_eq(list->count, 3);
    brev_instance_list_free(list);

    f.labels = team_b;
    f.label_count = 1;
    ck_assert_int_eq(brev_instances_list(ix_client, &f, &list), 0);
    ck_assert_uint_eq(list->count, 1);
    ck_assert_str_eq(list->items[0].id, ids[1]);
    brev_instance_list_free(list);

    memset(&f, 0, sizeof f);
    two[0] = ids[0];
    two[1] = ids[4];
    f.instance_ids = two;
    f.instance_id_count = 2;
    ck_assert_int_eq(brev_instances_list(ix_client, &f, &list), 0);
    ck_assert_uint_eq(list->count, 2);
    brev_instance_list_free(list);

    f.label_count = 1; /* labels NULL */
    ck_assert_int_eq(brev_instances_list(ix_client, &f, &list), BREV_EINVAL);
    for (int i = 0; i < 5; i++)
        free(ids[i]);
    free(foreign);
}
END_TEST

static void paged_sim_up(void)
{
    ix_page_size_max = 2;
    ix_sim_up();
}

/* Terminate deletes the boot disk the instance really boots from, and only
 * when the library made it: a label pointing at another disk (edited, or
 * copied from elsewhere) never gets the user's own disk deleted. */
START_TEST(terminate_never_deletes_a_disk_it_did_not_make)
{
    char patch[256];
    char *id, *users_disk;
    brev_instance *in = NULL;
    json_t *st;

    IX_SIM_ONLY();
    id = create_one("term-own", "term-own", NULL, NULL, 0);
    ck_assert_int_eq(brev_instance_get(ix_client, id, &in), 0);
    users_disk = bn_test_mutate(ix_client, NULL, NULL, 0, "disk",
                                "{\"metadata\":{\"parent_id\":\"" IX_PROJECT "\",\"name\":\"users-data\"},"
                                "\"spec\":{\"size_gibibytes\":\"100\",\"type\":\"NETWORK_SSD\"},"
                                "\"status\":{\"state\":\"READY\"}}");
    snprintf(patch, sizeof patch, "{\"metadata\":{\"labels\":{\"brev-boot-disk-id\":\"%s\"}}}", users_disk);
    free(bn_test_mutate(ix_client, id, patch, 0, NULL, NULL));
    ck_assert_msg(brev_instance_terminate(ix_client, id, 30000) == 0, "%s", brev_error_message());
    st = bn_test_state(ix_client);
    ck_assert_ptr_nonnull(ix_resource(st, users_disk));   /* the user's disk is untouched */
    ck_assert_ptr_null(ix_resource(st, in->boot_disk_id)); /* the real boot disk is gone */
    json_decref(st);
    brev_instance_free(in);
    free(users_disk);
    free(id);
}
END_TEST

static double secs_since(const struct timespec *t0)
{
    struct timespec t1;

    clock_gettime(CLOCK_MONOTONIC, &t1);
    return (double)(t1.tv_sec - t0->tv_sec) + (double)(t1.tv_nsec - t0->tv_nsec) / 1e9;
}

static brev_client *client_with_progress(brev_progress_fn fn, void *payload)
{
    brev_client_options co;
    brev_client *c = NULL;

    bn_test_client_options(&ix_sim, &co);
    co.progress = fn;
    co.progress_payload = payload;
    ck_assert_int_eq(brev_client_new(&c, &co), 0);
    return c;
}

/* Ctrl-C while the instance is being deleted: terminate stops, touches
 * nothing after the instance, and the message names what is kept. */
START_TEST(terminate_cancelled_before_the_instance_is_gone_names_what_is_kept)
{
    sticky_cancel cancel = {"delete instance", 0, 0};
    brev_instance *in = NULL;
    brev_client *c;
    const char *m;
    json_t *st;
    char *id;

    IX_SIM_ONLY();
    id = create_one("term-cancel", "term-cancel", NULL, NULL, 0);
    ck_assert_int_eq(brev_instance_get(ix_client, id, &in), 0);
    c = client_with_progress(cancel_and_stay_cancelled, &cancel);
    ck_assert_int_eq(brev_instance_terminate(c, id, 30000), BREV_ECANCELLED);
    m = brev_error_message();
    ck_assert_msg(strstr(m, id) != NULL, "message: %s", m);
    ck_assert_msg(strstr(m, "kept") != NULL, "message: %s", m);
    ck_assert_msg(strstr(m, in->boot_disk_id) != NULL, "message: %s", m);
    ck_assert_msg(strstr(m, "security group of cluster term-cancel") != NULL, "message: %s", m);
    brev_client_free(c);
    st = bn_test_state(ix_client);
    ck_assert_ptr_nonnull(ix_resource(st, in->boot_disk_id)); /* kept, as the message says */
    ck_assert_ptr_nonnull(ix_resource(st, in->security_group_id));
    json_decref(st);
    brev_instance_free(in);
    free(id);
}
END_TEST

/* A cancel flag that is on for whatever terminate does once the instance is
 * gone (Ctrl-C pressed while the disk is being deleted). */
static int cancel_leftover_deletion(const brev_progress *p, void *payload)
{
    int *seen = payload;

    if (p->what && (strstr(p->what, "disk") || strstr(p->what, "security"))) {
        ++*seen;
        return 1;
    }
    return 0;
}

/* What the instance leaves (boot disk, the cluster's group) is deleted even
 * when the caller says stop meanwhile: cleanup is not cancellable. */
START_TEST(terminate_deletes_disk_and_group_even_when_cancelled_meanwhile)
{
    brev_instance *in = NULL;
    brev_client *c;
    json_t *st;
    int seen = 0;
    char *id;

    IX_SIM_ONLY();
    id = create_one("term-clean", "term-clean", NULL, NULL, 0);
    ck_assert_int_eq(brev_instance_get(ix_client, id, &in), 0);
    c = client_with_progress(cancel_leftover_deletion, &seen);
    ck_assert_msg(brev_instance_terminate(c, id, 30000) == 0, "%s", brev_error_message());
    ck_assert_int_eq(seen, 0); /* not even asked */
    brev_client_free(c);
    st = bn_test_state(ix_client);
    ck_assert_ptr_null(ix_resource(st, id));
    ck_assert_ptr_null(ix_resource(st, in->boot_disk_id));
    ck_assert_ptr_null(ix_resource(st, in->security_group_id));
    json_decref(st);
    brev_instance_free(in);
    free(id);
}
END_TEST

/* timeout_ms is one deadline for the whole terminate: a slow instance
 * deletion leaves the disk deletion only what is left of it (before, each
 * got the whole timeout: 1.5 s here became 2+ s). */
START_TEST(terminate_has_one_deadline)
{
    Nebiussim__V1__InjectFaultRequest f = NEBIUSSIM__V1__INJECT_FAULT_REQUEST__INIT;
    struct timespec t0;
    brev_instance *in = NULL;
    double took;
    char *id;
    int rc;

    IX_SIM_ONLY();
    id = create_one("term-dl", "term-dl", NULL, NULL, 0);
    ck_assert_int_eq(brev_instance_get(ix_client, id, &in), 0);
    f.count = 1;
    f.latency_ms = 1000;
    f.method = "/nebius.compute.v1.InstanceService/Delete";
    ck_assert_int_eq(bn_test_fault(ix_client, &f), 0);
    f.method = "/nebius.compute.v1.DiskService/Delete";
    ck_assert_int_eq(bn_test_fault(ix_client, &f), 0);
    clock_gettime(CLOCK_MONOTONIC, &t0);
    rc = brev_instance_terminate(ix_client, id, 1500);
    took = secs_since(&t0);
    ck_assert_msg(rc == BREV_ETIMEOUT, "rc %d after %.2f s: %s", rc, took, brev_error_message());
    ck_assert_msg(strstr(brev_error_message(), in->boot_disk_id) != NULL, "message: %s", brev_error_message());
    ck_assert_msg(took < 2.2, "terminate with a 1500 ms timeout took %.2f s", took);
    brev_instance_free(in);
    free(id);
}
END_TEST

/* Reports the instance poll's states; at the second UNSPECIFIED it lets the
 * instance come back (RUNNING). */
static int recover_after_unspecified(const brev_progress *p, void *payload)
{
    int *seen = payload;

    if (p->resource_id && strncmp(p->resource_id, "computeinstance-", 16) == 0 && p->state &&
        strcmp(p->state, "UNSPECIFIED") == 0 && ++*seen == 2)
        free(bn_test_mutate(ix_client, p->resource_id, "{\"status\":{\"state\":\"RUNNING\"}}", 0, NULL, NULL));
    return 0;
}

/* UNSPECIFIED is UNKNOWN, not FAILED as the Go provider maps it (whose wait
 * then deletes the instance): a status the API has not filled in is no
 * failure, and a wait polls through it (instance.h, README). */
START_TEST(unspecified_state_is_unknown_and_waited_through)
{
    brev_instance *in = NULL, *last = NULL;
    brev_client *c;
    int seen = 0;
    char *id;

    IX_SIM_ONLY();
    id = create_one("unspec-1", "unspec-1", NULL, NULL, 0);
    free(bn_test_mutate(ix_client, id, "{\"status\":{\"state\":\"UNSPECIFIED\"}}", 0, NULL, NULL));
    ck_assert_int_eq(brev_instance_get(ix_client, id, &in), 0);
    ck_assert_int_eq(in->status, BREV_LIFECYCLE_UNKNOWN);
    ck_assert_str_eq(in->nebius_state, "UNSPECIFIED");
    ck_assert_str_eq(brev_lifecycle_name(in->status), "unknown");
    brev_instance_free(in);

    c = client_with_progress(recover_after_unspecified, &seen);
    ck_assert_msg(brev_instance_wait(c, id, BREV_LIFECYCLE_RUNNING, 10000, &last) == 0, "%s", brev_error_message());
    ck_assert_int_ge(seen, 2); /* it saw UNSPECIFIED and kept waiting */
    ck_assert_ptr_nonnull(last);
    ck_assert_int_eq(last->status, BREV_LIFECYCLE_RUNNING);
    brev_instance_free(last);
    brev_client_free(c);
    /* and the instance is still there: nothing treated it as failed */
    ck_assert_int_eq(ix_count("instance"), 1);
    free(id);
}
END_TEST

/* One deadline for the whole stop: a Stop call that took most of the budget
 * leaves its operation only the rest, not a fresh budget of its own. */
START_TEST(a_slow_stop_call_leaves_its_operation_only_the_rest_of_the_budget)
{
    Nebiussim__V1__InjectFaultRequest f = NEBIUSSIM__V1__INJECT_FAULT_REQUEST__INIT;
    struct timespec t0, t1;
    double took;
    char *id;

    IX_SIM_ONLY();
    id = create_one("one-deadline", "one-deadline", NULL, NULL, 0);
    f.method = "/nebius.compute.v1.InstanceService/Stop";
    f.latency_ms = 1500;
    f.count = 1;
    ck_assert_int_eq(bn_test_fault(ix_client, &f), 0);
    f.method = "/nebius.common.v1.OperationService/Get";
    f.latency_ms = 4000;
    f.count = 20;
    ck_assert_int_eq(bn_test_fault(ix_client, &f), 0);
    clock_gettime(CLOCK_MONOTONIC, &t0);
    ck_assert_int_eq(brev_instance_stop(ix_client, id, 2000), BREV_ETIMEOUT);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    took = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
    /* the budget plus at most one poll's minimum call time; a fresh 2 s
     * budget for the operation would end after 3.5 s */
    ck_assert_msg(took < 3.2, "a 2000 ms stop took %.1f s: %s", took, brev_error_message());
    bn_test_clear_faults(ix_client);
    free(id);
}
END_TEST

/* A create that finds its ref_id's instance before the API has filled in
 * its status (the winner of a concurrent create) waits for it, as for
 * PENDING, and returns it; it does not call it "unknown: start or
 * terminate it". */
START_TEST(create_finding_its_instance_unknown_waits_and_returns_it)
{
    brev_create_instance_options o;
    brev_instance *in = NULL;
    brev_client *c;
    int seen = 0;
    char *id;

    IX_SIM_ONLY();
    id = create_one("unspec-2", "unspec-2", NULL, NULL, 0);
    free(bn_test_mutate(ix_client, id, "{\"status\":{\"state\":\"UNSPECIFIED\"}}", 0, NULL, NULL));
    c = client_with_progress(recover_after_unspecified, &seen);
    ix_opts(&o, "unspec-2", "unspec-2");
    o.timeout_ms = 10000;
    ck_assert_msg(brev_instance_create(c, &o, &in) == 0, "%s", brev_error_message());
    ck_assert_str_eq(in->id, id);
    ck_assert_int_eq(in->status, BREV_LIFECYCLE_RUNNING);
    ck_assert_int_ge(seen, 2);
    ck_assert_int_eq(ix_count("instance"), 1);
    brev_instance_free(in);
    brev_client_free(c);
    free(id);
}
END_TEST

/* Argument errors leave *out NULL, as the header promises. */
START_TEST(get_with_bad_arguments_sets_out_to_null)
{
    brev_instance *in = (brev_instance *)&in; /* anything but NULL */

    IX_SIM_ONLY();
    ck_assert_int_eq(brev_instance_get(ix_client, "", &in), BREV_EINVAL);
    ck_assert_ptr_null(in);
    in = (brev_instance *)&in;
    ck_assert_int_eq(brev_instance_get(NULL, "computeinstance-x", &in), BREV_EINVAL);
    ck_assert_ptr_null(in);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("instance_ops");
    TCase *tc = ix_tcase("ops");
    tcase_add_test(tc, start_without_capacity_is_ecapacity);
    tcase_add_test(tc, create_finding_its_instance_unknown_waits_and_returns_it);
    tcase_add_test(tc, a_slow_stop_call_leaves_its_operation_only_the_rest_of_the_budget);
    tcase_add_test(tc, get_with_bad_arguments_sets_out_to_null);
    tcase_add_test(tc, start_falling_back_to_stopped_is_ecapacity_at_once);
    tcase_add_test(tc, wait_times_out);
    tcase_add_test(tc, wait_on_a_failed_instance_is_eprecondition);
    tcase_add_test(tc, progress_is_reported_and_can_cancel);
    tcase_add_test(tc, cancel_during_cluster_setup_leaves_no_half_built_group);
    tcase_add_test(tc, cancel_during_instance_create_still_cleans_up_everything);
    tcase_add_test(tc, terminate_never_deletes_a_disk_it_did_not_make);
    tcase_add_test(tc, terminate_cancelled_before_the_instance_is_gone_names_what_is_kept);
    tcase_add_test(tc, terminate_deletes_disk_and_group_even_when_cancelled_meanwhile);
    tcase_add_test(tc, terminate_has_one_deadline);
    tcase_add_test(tc, unspecified_state_is_unknown_and_waited_through);
    suite_add_tcase(s, tc);
    tc = tcase_create("paging");
    tcase_add_unchecked_fixture(tc, paged_sim_up, ix_sim_down);
    tcase_add_checked_fixture(tc, ix_client_up, ix_client_down);
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, list_follows_every_page_and_filters);
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
