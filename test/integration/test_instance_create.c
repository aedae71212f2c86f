/* brev_instance_create: idempotency by ref_id (also after a reply lost once
 * the server acted), and a failure injected at every step proving that
 * nothing is left behind (instances, disks, allocations, security groups). */
#include <pthread.h>
#include <time.h>

#include "test_instance_fixture.h"

#define CODE_PERMISSION_DENIED 7
#define CODE_RESOURCE_EXHAUSTED 8
#define CODE_INTERNAL 13
#define CODE_UNAVAILABLE 14

START_TEST(create_twice_with_one_ref_id_makes_one_instance)
{
    brev_create_instance_options o;
    brev_instance *a = NULL, *b = NULL;

    IX_SIM_ONLY();
    ix_opts(&o, "idem-1", "idem-ref");
    ck_assert_msg(brev_instance_create(ix_client, &o, &a) == 0, "%s", brev_error_message());
    ck_assert_msg(brev_instance_create(ix_client, &o, &b) == 0, "%s", brev_error_message());
    ck_assert_str_eq(a->id, b->id);
    ck_assert_int_eq(b->status, BREV_LIFECYCLE_RUNNING);
    ck_assert_int_eq(ix_count("instance"), 1);
    ck_assert_int_eq(ix_count("disk"), 1);
    ck_assert_int_eq(bn_test_request_count(ix_client, "InstanceService/Create"), 1);
    ck_assert_int_eq(bn_test_request_count(ix_client, "DiskService/Create"), 1);
    brev_instance_free(a);
    brev_instance_free(b);
}
END_TEST

/* The first Create reached the server, which created the instance, but the
 * reply was lost: the transport's retry carries the same idempotency key and
 * gets the original operation; a later create with the ref_id finds it. */
START_TEST(create_survives_a_reply_lost_after_the_server_acted)
{
    brev_create_instance_options o;
    brev_instance *a = NULL, *b = NULL;
    json_t *log, *reqs;
    const char *k0, *k1;

    IX_SIM_ONLY();
    ix_fault("/nebius.compute.v1.InstanceService/Create", CODE_UNAVAILABLE, NULL, 1, 0, 0, 1);
    ix_opts(&o, "lost-1", "lost-ref");
    ck_assert_msg(brev_instance_create(ix_client, &o, &a) == 0, "%s", brev_error_message());
    ck_assert_int_eq(a->status, BREV_LIFECYCLE_RUNNING);
    log = bn_test_requests(ix_client, "InstanceService/Create", 0);
    reqs = json_object_get(log, "requests");
    ck_assert_int_eq((int)json_array_size(reqs), 2);
    k0 = json_string_value(json_object_get(json_object_get(json_array_get(reqs, 0), "metadata"), "x-idempotency-key"));
    k1 = json_string_value(json_object_get(json_object_get(json_array_get(reqs, 1), "metadata"), "x-idempotency-key"));
    ck_assert_ptr_nonnull(k0);
    ck_assert_ptr_nonnull(k1);
    ck_assert_str_eq(k0, k1);
    json_decref(log);
    ck_assert_int_eq(ix_count("instance"), 1);

    ck_assert_msg(brev_instance_create(ix_client, &o, &b) == 0, "%s", brev_error_message());
    ck_assert_str_eq(a->id, b->id);
    ck_assert_int_eq(ix_count("instance"), 1);
    ck_assert_int_eq(ix_count("disk"), 1);
    brev_instance_free(a);
    brev_instance_free(b);
}
END_TEST

/* The first attempt's deadline passed while the server was still working;
 * the server created the instance after the client had given up
 * (DEADLINE_EXCEEDED, not a lost reply), and the retry, a second later with
 * the same idempotency key, got the original operation: one instance. */
START_TEST(create_survives_a_first_attempt_that_timed_out_after_the_server_created_it)
{
    Nebiussim__V1__InjectFaultRequest f = NEBIUSSIM__V1__INJECT_FAULT_REQUEST__INIT;
    brev_client_options co;
    brev_create_instance_options o;
    brev_instance *a = NULL, *b = NULL;
    brev_client *c;
    json_t *log, *reqs, *r0, *r1;

    IX_SIM_ONLY();
    bn_test_client_options(&ix_sim, &co);
    co.retry.attempt_timeout_ms = 300;
    co.retry.backoff_ms = 1000; /* the retry comes after the server acted */
    ck_assert_int_eq(brev_client_new(&c, &co), 0);
    f.method = "/nebius.compute.v1.InstanceService/Create";
    f.code = 4; /* DEADLINE_EXCEEDED */
    f.count = 1;
    f.latency_ms = 600;
    f.after_effect = 1;
    ck_assert_int_eq(bn_test_fault(ix_client, &f), 0);
    ix_opts(&o, "slow-1", "slow-ref");
    ck_assert_msg(brev_instance_create(c, &o, &a) == 0, "%s", brev_error_message());
    ck_assert_int_eq(a->status, BREV_LIFECYCLE_RUNNING);
    log = bn_test_requests(ix_client, "InstanceService/Create", 0);
    reqs = json_object_get(log, "requests");
    ck_assert_int_eq((int)json_array_size(reqs), 2);
    r0 = json_array_get(reqs, 0);
    r1 = json_array_get(reqs, 1);
    ck_assert_str_eq(json_string_value(json_object_get(r0, "code_name")), "DEADLINE_EXCEEDED");
    ck_assert_str_eq(json_string_value(json_object_get(json_object_get(r0, "metadata"), "x-idempotency-key")),
                     json_string_value(json_object_get(json_object_get(r1, "metadata"), "x-idempotency-key")));
    json_decref(log);
    ck_assert_int_eq(ix_count("instance"), 1);
    ck_assert_int_eq(ix_count("disk"), 1);
    /* and a later create of the ref_id finds it */
    ck_assert_msg(brev_instance_create(c, &o, &b) == 0, "%s", brev_error_message());
    ck_assert_str_eq(a->id, b->id);
    ck_assert_int_eq(ix_count("instance"), 1);
    brev_instance_free(a);
    brev_instance_free(b);
    brev_client_free(c);
}
END_TEST

/* Every attempt's reply is lost although the server created the instance:
 * create fails, and the cleanup finds the instance by name + ref label. */
START_TEST(create_failing_after_effect_leaves_nothing)
{
    brev_create_instance_options o;
    brev_instance *in = NULL;
    ix_counts before;

    IX_SIM_ONLY();
    before = ix_snapshot();
    ix_fault("/nebius.compute.v1.InstanceService/Create", CODE_INTERNAL, NULL, 0, 0, 0, 1);
    ix_opts(&o, "lost-2", "lost-ref-2");
    ck_assert_int_eq(brev_instance_create(ix_client, &o, &in), BREV_EINTERNAL);
    ck_assert_ptr_null(in);
    ck_assert_ptr_nonnull(strstr(brev_error_message(), "cleanup"));
    ck_assert_ptr_nonnull(strstr(brev_error_message(), "deleted instance"));
    bn_test_clear_faults(ix_client);
    ix_assert_nothing_left(before);
}
END_TEST

/* Concurrent creates of one ref_id. Threads take no ck_assert (Check's
 * failure path is not thread-safe): they record, the test thread asserts. */
typedef struct racer {
    brev_client *client;
    const brev_create_instance_options *opts;
    pthread_barrier_t *start;
    unsigned delay_ms; /* after the barrier: staggers the calls over the create's steps */
    int rc;
    char err[1100];
    char *id;
} racer;

static void *race_create(void *arg)
{
    racer *r = arg;
    brev_instance *in = NULL;
    struct timespec d = {(time_t)(r->delay_ms / 1000), (long)(r->delay_ms % 1000) * 1000000L};

    pthread_barrier_wait(r->start);
    if (r->delay_ms)
        nanosleep(&d, NULL);
    r->rc = brev_instance_create(r->client, r->opts, &in);
    snprintf(r->err, sizeof r->err, "%s", brev_error_message());
    if (r->rc == 0)
        r->id = strdup(in->id);
    brev_instance_free(in);
    return NULL;
}

/* n calls at once; every one succeeds with the same instance, and the sim
 * holds exactly that instance (RUNNING) and its one boot disk. */
static void race(int n, int shared_client, unsigned stagger_ms, const char *name)
{
    brev_create_instance_options o;
    brev_client *clients[4] = {0};
    pthread_t t[4];
    racer r[4];
    pthread_barrier_t start;
    json_t *st, *inst;
    const char *disk;

    ck_assert_int_le(n, 4);
    ix_opts(&o, name, name);
    pthread_barrier_init(&start, NULL, (unsigned)n);
    for (int i = 0; i < n; i++) {
        memset(&r[i], 0, sizeof r[i]);
        clients[i] = shared_client ? ix_client : bn_test_client(&ix_sim);
        r[i].client = clients[i];
        r[i].opts = &o;
        r[i].start = &start;
        r[i].delay_ms = stagger_ms * (unsigned)i;
        ck_assert_int_eq(pthread_create(&t[i], NULL, race_create, &r[i]), 0);
    }
    for (int i = 0; i < n; i++)
        pthread_join(t[i], NULL);
    pthread_barrier_destroy(&start);
    for (int i = 0; i < n; i++)
        ck_assert_msg(r[i].rc == 0, "call %d of %d (stagger %u ms): %d %s", i, n, stagger_ms, r[i].rc, r[i].err);
    for (int i = 1; i < n; i++)
        ck_assert_str_eq(r[i].id, r[0].id);
    st = bn_test_state(ix_client);
    ck_assert_int_eq(bn_test_count_resources(st, "instance"), 1);
    ck_assert_int_eq(bn_test_count_resources(st, "disk"), 1);
    inst = ix_resource(st, r[0].id);
    ck_assert_ptr_nonnull(inst);
    ck_assert_str_eq(json_string_value(json_object_get(json_object_get(inst, "status"), "state")), "RUNNING");
    disk = json_string_value(json_object_get(
        json_object_get(json_object_get(json_object_get(inst, "spec"), "boot_disk"), "existing_disk"), "id"));
    ck_assert_ptr_nonnull(disk);
    ck_assert_ptr_nonnull(ix_resource(st, disk));
    json_decref(st);
    for (int i = 0; i < n; i++) {
        free(r[i].id);
        if (!shared_client)
            brev_client_free(clients[i]);
    }
}

/* Two processes (two clients) creating one ref_id at once, the second
 * starting at different points of the first's create: at the same moment
 * (both make the disk), while the disk is being made, once it is READY,
 * once the instance exists. */
static const unsigned staggers_ms[] = {0, 20, 60, 150, 400};

START_TEST(concurrent_creates_of_one_ref_id_make_one_instance)
{
    char name[32];

    IX_SIM_ONLY();
    snprintf(name, sizeof name, "race-%d", _i);
    race(2, 0, staggers_ms[_i], name);
}
END_TEST

/* Three threads on one client (one client serves many threads). */
START_TEST(concurrent_creates_on_one_client_make_one_instance)
{
    IX_SIM_ONLY();
    race(3, 1, 0, "race-shared");
}
END_TEST

/* The losers of a concurrent create return the winner's instance: they give
 * back the rate-limit slot they took, so only the winner's create counts
 * (client.h, max_creates_per_minute). */
START_TEST(concurrent_losers_give_back_their_rate_limit_slot)
{
    brev_create_instance_options o, more;
    brev_client_options co;
    brev_client *c = NULL;
    brev_instance *in = NULL;
    pthread_barrier_t start;
    pthread_t t[3];
    racer r[3];

    IX_SIM_ONLY();
    bn_test_client_options(&ix_sim, &co);
    co.max_creates_per_minute = 3;
    ck_assert_int_eq(brev_client_new(&c, &co), 0);
    ix_opts(&o, "slot-race", "slot-race");
    pthread_barrier_init(&start, NULL, 3);
    for (int i = 0; i < 3; i++) {
        memset(&r[i], 0, sizeof r[i]);
        r[i].client = c;
        r[i].opts = &o;
        r[i].start = &start;
        ck_assert_int_eq(pthread_create(&t[i], NULL, race_create, &r[i]), 0);
    }
    for (int i = 0; i < 3; i++)
        pthread_join(t[i], NULL);
    pthread_barrier_destroy(&start);
    for (int i = 0; i < 3; i++) {
        ck_assert_msg(r[i].rc == 0, "call %d: %s", i, r[i].err);
        free(r[i].id);
    }
    ck_assert_int_eq(ix_count("instance"), 1);
    /* one slot used: two more creates begin at once */
    for (int i = 0; i < 2; i++) {
        char name[32];
        snprintf(name, sizeof name, "slot-more-%d", i);
        ix_opts(&more, name, name);
        more.timeout_ms = 5000;
        more.no_wait = 1;
        ck_assert_msg(brev_instance_create(c, &more, &in) == 0, "create %d after the race: %s", i,
                      brev_error_message());
        brev_instance_free(in);
        in = NULL;
    }
    brev_client_free(c);
}
END_TEST

/* One injected failure per step; the expected code; nothing left after. */
typedef struct step_fault {
    const char *method;
    int code;
    const char *service_error;
    int op_failure;
    int late;
    int after_effect;
    int expect;
    int count;            /* 0 = every matching call; n = the next n (a method also used by the cleanup) */
    int prepared_cluster; /* the cluster's group exists before: the create's first operation is the disk's */
    int no_wait;          /* no_wait create: its first InstanceService/Get is the final fetch */
} step_fault;

static const step_fault steps[] = {
    {"/nebius.compute.v1.PlatformService/List", CODE_PERMISSION_DENIED, NULL, 0, 0, 0, BREV_EPERM, 0, 0, 0},
    {"/nebius.compute.v1.ImageService/GetLatestByFamily", CODE_PERMISSION_DENIED, NULL, 0, 0, 0, BREV_EPERM, 0, 0, 0},
    {"/nebius.vpc.v1.SecurityGroupService/Create", CODE_PERMISSION_DENIED, NULL, 0, 0, 0, BREV_EPERM, 0, 0, 0},
    {"/nebius.vpc.v1.SubnetService/List", CODE_PERMISSION_DENIED, NULL, 0, 0, 0, BREV_EPERM, 0, 0, 0},
    {"/nebius.compute.v1.DiskService/Create", CODE_PERMISSION_DENIED, NULL, 0, 0, 0, BREV_EPERM, 0, 0, 0},
    {"/nebius.compute.v1.DiskService/Create", CODE_INTERNAL, NULL, 0, 0, 1, BREV_EINTERNAL, 0, 0, 0},
    {"/nebius.compute.v1.DiskService/Create", CODE_RESOURCE_EXHAUSTED, "quota_failure", 1, 0, 0, BREV_EQUOTA, 0, 0, 0},
    {"/nebius.compute.v1.InstanceService/Create", CODE_PERMISSION_DENIED, NULL, 0, 0, 0, BREV_EPERM, 0, 0, 0},
    {"/nebius.compute.v1.InstanceService/Create", CODE_RESOURCE_EXHAUSTED, "not_enough_resources", 0, 0, 0,
     BREV_ECAPACITY, 0, 0, 0},
    {"/nebius.compute.v1.InstanceService/Create", CODE_RESOURCE_EXHAUSTED, "not_enough_resources", 1, 0, 0,
     BREV_ECAPACITY, 0, 0, 0},
    {"/nebius.compute.v1.InstanceService/Create", CODE_RESOURCE_EXHAUSTED, "quota_failure", 1, 0, 0, BREV_EQUOTA, 0, 0, 0},
    {"/nebius.compute.v1.InstanceService/Create", 0, NULL, 0, 1, 0, BREV_ECAPACITY, 0, 0, 0},
    /* the lookups before anything is made */
    {"/nebius.compute.v1.InstanceService/List", CODE_PERMISSION_DENIED, NULL, 0, 0, 0, BREV_EPERM, 0, 0, 0},
    {"/nebius.compute.v1.InstanceService/GetByName", CODE_PERMISSION_DENIED, NULL, 0, 0, 0, BREV_EPERM, 0, 0, 0},
    {"/nebius.compute.v1.DiskService/GetByName", CODE_PERMISSION_DENIED, NULL, 0, 0, 0, BREV_EPERM, 0, 0, 0},
    /* the cluster's base rules */
    {"/nebius.vpc.v1.SecurityRuleService/Create", CODE_PERMISSION_DENIED, NULL, 0, 0, 0, BREV_EPERM, 0, 0, 0},
    /* polling an operation: the group's, or (group prepared) the disk's, whose id is then lost */
    {"/nebius.common.v1.OperationService/Get", CODE_PERMISSION_DENIED, NULL, 0, 0, 0, BREV_EPERM, 1, 0, 0},
    {"/nebius.common.v1.OperationService/Get", CODE_PERMISSION_DENIED, NULL, 0, 0, 0, BREV_EPERM, 1, 1, 0},
    /* the wait for RUNNING, and the final fetch of a no_wait create */
    {"/nebius.compute.v1.InstanceService/Get", CODE_PERMISSION_DENIED, NULL, 0, 0, 0, BREV_EPERM, 1, 0, 0},
    {"/nebius.compute.v1.InstanceService/Get", CODE_PERMISSION_DENIED, NULL, 0, 0, 0, BREV_EPERM, 1, 0, 1},
};

START_TEST(failure_at_each_step_leaves_nothing)
{
    const step_fault *f = &steps[_i];
    brev_create_instance_options o;
    brev_instance *in = NULL;
    ix_counts before;
    int rc;

    IX_SIM_ONLY();
    if (f->prepared_cluster)
        ck_assert_int_eq(brev_cluster_ensure(ix_client, "step-ref", NULL), 0);
    before = ix_snapshot();
    /* count 0 = every matching call, so the transport's retries fail too */
    ix_fault(f->method, f->code, f->service_error, f->count, f->op_failure, f->late, f->after_effect);
    ix_opts(&o, "step-1", "step-ref");
    o.no_wait = f->no_wait;
    rc = brev_instance_create(ix_client, &o, &in);
    ck_assert_msg(rc == f->expect, "step %d (%s): got %d (%s), want %d", _i, f->method, rc, brev_error_message(),
                  f->expect);
    ck_assert_ptr_null(in);
    if (f->late)
        ck_assert_ptr_nonnull(strstr(brev_error_message(), "fell back to STOPPED"));
    bn_test_clear_faults(ix_client);
    ix_assert_nothing_left(before);
    /* and the same create works once the fault is gone */
    ck_assert_msg(brev_instance_create(ix_client, &o, &in) == 0, "%s", brev_error_message());
    ck_assert_int_eq(brev_instance_terminate(ix_client, in->id, 30000), 0);
    brev_instance_free(in);
    if (f->prepared_cluster)
        before.groups--; /* terminating the cluster's last instance releases its group */
    ix_assert_nothing_left(before);
}
END_TEST

START_TEST(capacity_failure_names_the_cause_and_keeps_the_service_error)
{
    brev_create_instance_options o;
    brev_instance *in = NULL;

    IX_SIM_ONLY();
    ix_fault("/nebius.compute.v1.InstanceService/Create", CODE_RESOURCE_EXHAUSTED, "not_enough_resources", 0, 1, 0,
             0);
    ix_opts(&o, "cap-1", "cap-ref");
    ck_assert_int_eq(brev_instance_create(ix_client, &o, &in), BREV_ECAPACITY);
    ck_assert_int_eq(brev_error_last()->code, BREV_ECAPACITY);
    /* the cleanup's own calls did not overwrite the service's verdict */
    ck_assert_str_eq(brev_error_last()->service_error, "NotEnoughResources");
    ck_assert_int_eq(brev_error_last()->grpc_status, CODE_RESOURCE_EXHAUSTED);
    ck_assert_ptr_nonnull(strstr(brev_error_message(), "cleanup"));
    ck_assert_ptr_null(in);
}
END_TEST

/* Sets the instance being waited for to ERROR at the first look (a progress
 * report from the instance poll names the instance, not an operation). */
static int break_instance_once(const brev_progress *p, void *payload)
{
    int *done = payload;

    if (!*done && p->resource_id && strncmp(p->resource_id, "computeinstance-", 16) == 0) {
        free(bn_test_mutate(ix_client, p->resource_id, "{\"status\":{\"state\":\"ERROR\"}}", 0, NULL, NULL));
        *done = 1;
    }
    return 0;
}

/* ERROR after a successful create operation is a failed instance, not
 * necessarily missing capacity: BREV_EPRECONDITION as any wait reports it,
 * and the create still takes everything back. */
START_TEST(error_after_create_is_eprecondition_and_rolled_back)
{
    brev_client_options co;
    brev_create_instance_options o;
    brev_instance *in = NULL;
    brev_client *c;
    ix_counts before;
    int broke = 0;

    IX_SIM_ONLY();
    before = ix_snapshot();
    bn_test_client_options(&ix_sim, &co);
    co.progress = break_instance_once;
    co.progress_payload = &broke;
    ck_assert_int_eq(brev_client_new(&c, &co), 0);
    ix_opts(&o, "err-1", "err-ref");
    ck_assert_int_eq(brev_instance_create(c, &o, &in), BREV_EPRECONDITION);
    ck_assert_int_eq(broke, 1);
    ck_assert_ptr_null(in);
    ck_assert_msg(strstr(brev_error_message(), "ERROR") != NULL, "message: %s", brev_error_message());
    ck_assert_msg(strstr(brev_error_message(), "capacity") == NULL, "message: %s", brev_error_message());
    ck_assert_msg(strstr(brev_error_message(), "deleted instance") != NULL, "message: %s", brev_error_message());
    brev_client_free(c);
    ix_assert_nothing_left(before);
}
END_TEST

START_TEST(user_data_and_host_firewall_become_parts)
{
    brev_create_instance_options o;
    brev_instance *in = NULL;
    json_t *st;
    const char *ci;

    IX_SIM_ONLY();
    ix_opts(&o, "parts-1", "parts-ref");
    o.user_data = "#cloud-config\npackages:\n  - htop\n";
    o.host_firewall = 1;
    ck_assert_msg(brev_instance_create(ix_client, &o, &in) == 0, "%s", brev_error_message());
    st = bn_test_state(ix_client);
    ci = json_string_value(json_object_get(json_object_get(ix_resource(st, in->id), "spec"), "cloud_init_user_data"));
    ck_assert_ptr_nonnull(ci);
    ck_assert(strncmp(ci, "Content-Type: multipart/mixed", 29) == 0);
    ck_assert_ptr_nonnull(strstr(ci, IX_KEY_ED25519));
    ck_assert_ptr_nonnull(strstr(ci, "  - htop"));
    ck_assert_ptr_nonnull(strstr(ci, "DOCKER-USER"));
    ck_assert_ptr_nonnull(strstr(ci, "Merge-Type: list(append)"));
    json_decref(st);
    brev_instance_free(in);
}
END_TEST

/* The options a Brev caller sets, end to end, checked on the sim's state: a
 * Brev-style type id, a GPU type (so the CUDA image family), a boot disk of
 * another size and type, and no public address. */
START_TEST(brev_style_gpu_create_with_disk_options_and_no_public_ip)
{
    brev_create_instance_options o;
    brev_instance *in = NULL;
    brev_image *cuda = NULL;
    json_t *st, *disk, *inst, *nic;

    IX_SIM_ONLY();
    ck_assert_int_eq(brev_image_latest(ix_client, "ubuntu24.04-cuda13.0", &cuda), 0);
    ix_opts(&o, "gpu-1", "gpu-ref");
    o.instance_type = "eu-north1-noSub-gpu-l40s-a.1gpu-8vcpu-32gb";
    o.disk_size_gib = 100;
    o.disk_type = "network-hdd";
    o.public_ip = 0;
    ck_assert_msg(brev_instance_create(ix_client, &o, &in) == 0, "%s", brev_error_message());
    ck_assert_str_eq(in->instance_type, "gpu-l40s-a.1gpu-8vcpu-32gb");
    ck_assert_str_eq(in->platform, "gpu-l40s-a");
    ck_assert_str_eq(in->preset, "1gpu-8vcpu-32gb");
    ck_assert_str_eq(in->image_family, "ubuntu24.04-cuda13.0");
    ck_assert_str_eq(in->image_id, cuda->id);
    ck_assert_int_eq(in->disk_size_bytes, (int64_t)100 << 30);
    ck_assert_str_eq(in->public_ip, "");

    st = bn_test_state(ix_client);
    disk = ix_resource(st, in->boot_disk_id);
    ck_assert_ptr_nonnull(disk);
    ck_assert_str_eq(json_string_value(json_object_get(json_object_get(disk, "spec"), "size_gibibytes")), "100");
    ck_assert_str_eq(json_string_value(json_object_get(json_object_get(disk, "spec"), "type")), "NETWORK_HDD");
    ck_assert_str_eq(json_string_value(json_object_get(json_object_get(disk, "spec"), "source_image_id")), cuda->id);
    inst = ix_resource(st, in->id);
    ck_assert_str_eq(
        json_string_value(json_object_get(json_object_get(json_object_get(inst, "spec"), "resources"), "platform")),
        "gpu-l40s-a");
    nic = json_array_get(json_object_get(json_object_get(inst, "spec"), "network_interfaces"), 0);
    ck_assert_ptr_nonnull(nic);
    ck_assert_ptr_null(json_object_get(nic, "public_ip_address")); /* not asked for: not in the spec */
    ck_assert_int_eq(bn_test_count_resources(st, "allocation"), 0);
    json_decref(st);
    brev_instance_free(in);

    /* and public_ip = 1 asks for one */
    ix_opts(&o, "pub-1", "pub-ref");
    o.public_ip = 1;
    ck_assert_msg(brev_instance_create(ix_client, &o, &in) == 0, "%s", brev_error_message());
    ck_assert_str_ne(in->public_ip, "");
    st = bn_test_state(ix_client);
    nic = json_array_get(json_object_get(json_object_get(ix_resource(st, in->id), "spec"), "network_interfaces"), 0);
    ck_assert_ptr_nonnull(json_object_get(nic, "public_ip_address"));
    json_decref(st);
    brev_instance_free(in);
    brev_image_free(cuda);
}
END_TEST

START_TEST(explicit_image_id_and_cluster_are_used)
{
    brev_create_instance_options o;
    brev_instance *a = NULL, *b = NULL;
    brev_image_list *imgs = NULL;
    const char *old_id = NULL;

    IX_SIM_ONLY();
    ck_assert_int_eq(brev_images_list(ix_client, "ubuntu24.04-driverless", &imgs), 0);
    ck_assert_uint_ge(imgs->count, 2);
    old_id = imgs->items[0].id; /* not the newest */
    ix_opts(&o, "img-1", "img-ref-1");
    o.image_id = old_id;
    o.cluster_id = "team-a";
    ck_assert_msg(brev_instance_create(ix_client, &o, &a) == 0, "%s", brev_error_message());
    ck_assert_str_eq(a->image_id, old_id);
    ck_assert_str_eq(a->cluster_id, "team-a");
    ix_opts(&o, "img-2", "img-ref-2");
    o.cluster_id = "team-a";
    ck_assert_msg(brev_instance_create(ix_client, &o, &b) == 0, "%s", brev_error_message());
    ck_assert_str_eq(a->security_group_id, b->security_group_id); /* one group per cluster */
    ck_assert_str_ne(b->image_id, old_id);
    ck_assert_int_eq(ix_count("security_group") >= 1, 1);
    /* the group stays while the cluster has an instance, and goes with the last */
    ck_assert_int_eq(brev_instance_terminate(ix_client, a->id, 30000), 0);
    {
        json_t *st = bn_test_state(ix_client);
        ck_assert_ptr_nonnull(ix_resource(st, b->security_group_id));
        json_decref(st);
    }
    ck_assert_int_eq(brev_instance_terminate(ix_client, b->id, 30000), 0);
    {
        json_t *st = bn_test_state(ix_client);
        ck_assert_ptr_null(ix_resource(st, b->security_group_id));
        json_decref(st);
    }
    brev_image_list_free(imgs);
    brev_instance_free(a);
    brev_instance_free(b);
}
END_TEST

START_TEST(a_name_taken_by_another_ref_id_is_eexists)
{
    brev_create_instance_options o;
    brev_instance *a = NULL, *b = NULL;
    ix_counts before;

    IX_SIM_ONLY();
    ix_opts(&o, "taken-1", "taken-ref-1");
    ck_assert_msg(brev_instance_create(ix_client, &o, &a) == 0, "%s", brev_error_message());
    before = ix_snapshot();
    ix_opts(&o, "taken-1", "taken-ref-2");
    ck_assert_int_eq(brev_instance_create(ix_client, &o, &b), BREV_EEXISTS);
    ck_assert_ptr_nonnull(strstr(brev_error_message(), a->id));
    ck_assert_ptr_null(b);
    ix_assert_nothing_left(before);
    brev_instance_free(a);
}
END_TEST

static char *plant_disk(const char *name, const char *labels_json)
{
    char json[1024];
    snprintf(json, sizeof json,
             "{\"metadata\":{\"parent_id\":\"" IX_PROJECT "\",\"name\":\"%s\",\"labels\":%s},"
             "\"spec\":{\"size_gibibytes\":\"64\",\"type\":\"NETWORK_SSD\","
             "\"source_image_id\":\"computeimage-sim0000000003\"},"
             "\"status\":{\"state\":\"READY\",\"source_image_id\":\"computeimage-sim0000000003\"}}",
             name, labels_json);
    return bn_test_mutate(ix_client, NULL, NULL, 0, "disk", json);
}

/* A create that died before its cleanup left its disk: the next create of the
 * same ref_id takes it over instead of failing on the name. */
START_TEST(a_leftover_disk_of_the_ref_id_is_reused_a_foreign_one_refused)
{
    brev_create_instance_options o;
    brev_instance *in = NULL;
    char *ours, *foreign;

    IX_SIM_ONLY();
    ours = plant_disk("left-1-boot", "{\"brev-managed\":\"true\",\"brev-ref-id\":\"left-ref-1\"}");
    ix_opts(&o, "left-1", "left-ref-1");
    ck_assert_msg(brev_instance_create(ix_client, &o, &in) == 0, "%s", brev_error_message());
    ck_assert_str_eq(in->boot_disk_id, ours);
    ck_assert_int_eq(ix_count("disk"), 1);
    ck_assert_int_eq(bn_test_request_count(ix_client, "DiskService/Create"), 0);
    brev_instance_free(in);

    foreign = plant_disk("left-2-boot", "{\"owner\":\"someone\"}");
    ix_opts(&o, "left-2", "left-ref-2");
    ck_assert_int_eq(brev_instance_create(ix_client, &o, &in), BREV_EEXISTS);
    ck_assert_ptr_nonnull(strstr(brev_error_message(), foreign));
    ck_assert_int_eq(ix_count("disk"), 2); /* the foreign disk is left alone */
    ck_assert_int_eq(ix_count("instance"), 1);
    free(ours);
    free(foreign);
}
END_TEST

/* A failed create takes back what it made, not more: a cluster the caller
 * prepared beforehand (its group and firewall rules, no instance yet) is
 * still there afterwards. */
START_TEST(failed_create_keeps_a_cluster_it_did_not_make)
{
    brev_create_instance_options o;
    brev_instance *in = NULL;
    brev_firewall_rule rule = {0};
    brev_firewall_list *rules = NULL;
    brev_cluster *cl = NULL;
    char *rule_id = NULL;
    int groups;

    IX_SIM_ONLY();
    ck_assert_int_eq(brev_cluster_ensure(ix_client, "prepared", NULL), 0);
    rule.from_port = rule.to_port = 8080;
    rule.protocol = BREV_PROTOCOL_TCP;
    ck_assert_int_eq(brev_firewall_add(ix_client, "prepared", &rule, &rule_id), 0);
    groups = ix_count("security_group");
    ix_fault("/nebius.compute.v1.InstanceService/Create", CODE_PERMISSION_DENIED, NULL, 0, 0, 0, 0);
    ix_opts(&o, "prep-1", "prep-ref");
    o.cluster_id = "prepared";
    ck_assert_int_eq(brev_instance_create(ix_client, &o, &in), BREV_EPERM);
    ck_assert_ptr_null(in);
    bn_test_clear_faults(ix_client);
    ck_assert_int_eq(ix_count("instance"), 0);
    ck_assert_int_eq(ix_count("disk"), 0);
    ck_assert_int_eq(ix_count("security_group"), groups);
    ck_assert_msg(brev_cluster_ensure(ix_client, "prepared", &cl) == 0, "%s", brev_error_message());
    ck_assert_int_eq(brev_firewall_list_rules(ix_client, "prepared", &rules), 0);
    ck_assert_int_eq(rules->count, 1);
    ck_assert_str_eq(rules->items[0].id, rule_id);
    brev_firewall_list_free(rules);
    brev_cluster_free(cl);
    brev_string_free(rule_id);
}
END_TEST

/* --- the client-side create rate limit -------------------------------------- */

typedef struct rate_watch {
    int limited;   /* RATE_LIMITED reports seen */
    int cancel_at; /* cancel at that many (0 = never) */
} rate_watch;

static int watch_rate_limit(const brev_progress *p, void *payload)
{
    rate_watch *w = payload;

    if (p->state && strcmp(p->state, "RATE_LIMITED") == 0)
        w->limited++;
    return w->cancel_at && w->limited >= w->cancel_at;
}

static brev_client *client_with_limit(unsigned per_minute, rate_watch *w)
{
    brev_client_options co;
    brev_client *c = NULL;

    bn_test_client_options(&ix_sim, &co);
    co.max_creates_per_minute = per_minute;
    co.progress = watch_rate_limit;
    co.progress_payload = w;
    ck_assert_int_eq(brev_client_new(&c, &co), 0);
    return c;
}

static void create_ok(brev_client *c, const char *name, unsigned timeout_ms)
{
    brev_create_instance_options o;
    brev_instance *in = NULL;

    ix_opts(&o, name, name);
    if (timeout_ms)
        o.timeout_ms = timeout_ms;
    ck_assert_msg(brev_instance_create(c, &o, &in) == 0, "%s: %s", name, brev_error_message());
    brev_instance_free(in);
}

/* Beyond max_creates_per_minute a create waits (reporting RATE_LIMITED, so
 * it can be cancelled) before it makes anything; one whose slot would come
 * only after its timeout fails at once; returning the existing instance of a
 * ref_id takes no slot. */
START_TEST(creates_beyond_the_rate_limit_wait_make_nothing_and_can_be_cancelled)
{
    struct timespec t0, t1;
    brev_create_instance_options o;
    brev_instance *in = NULL;
    rate_watch w = {0, 3};
    brev_client *c;
    double took;

    IX_SIM_ONLY();
    c = client_with_limit(2, &w);
    create_ok(c, "rl-1", 0);
    create_ok(c, "rl-2", 0);
    create_ok(c, "rl-1", 0); /* the same ref_id again: no new create, no slot */
    ck_assert_int_eq(w.limited, 0);

    ix_opts(&o, "rl-3", "rl-3");
    ck_assert_int_eq(brev_instance_create(c, &o, &in), BREV_ECANCELLED);
    ck_assert_ptr_null(in);
    ck_assert_int_eq(w.limited, 3); /* it waited, polling, until cancelled */
    ck_assert_msg(strstr(brev_error_message(), "rate limit") != NULL, "message: %s", brev_error_message());

    w.cancel_at = 0;
    ix_opts(&o, "rl-4", "rl-4");
    o.timeout_ms = 3000;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    ck_assert_int_eq(brev_instance_create(c, &o, &in), BREV_ETIMEOUT);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    took = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
    ck_assert_msg(took < 1.0, "refusing took %.2f s", took);
    ck_assert_msg(strstr(brev_error_message(), "2 creates a minute") != NULL, "message: %s", brev_error_message());

    /* nothing was made for rl-3 or rl-4 */
    ck_assert_int_eq(bn_test_request_count(ix_client, "InstanceService/Create"), 2);
    ck_assert_int_eq(bn_test_request_count(ix_client, "DiskService/Create"), 2);
    ck_assert_int_eq(ix_count("instance"), 2);
    ck_assert_int_eq(ix_count("disk"), 2);
    brev_client_free(c);
}
END_TEST

START_TEST(rate_limit_defaults_to_brevs_and_zero_turns_it_off)
{
    brev_client_options co;
    rate_watch w = {0, 1};
    brev_client *c;

    ck_assert_int_eq(brev_client_options_init(&co, BREV_CLIENT_OPTIONS_VERSION), 0);
    ck_assert_uint_eq(co.max_creates_per_minute, 10);
    ck_assert_uint_eq(BREV_DEFAULT_MAX_CREATES_PER_MINUTE, 10);
    IX_SIM_ONLY();
    c = client_with_limit(0, &w);
    for (int i = 0; i < 3; i++) {
        char name[32];
        snprintf(name, sizeof name, "nolimit-%d", i);
        create_ok(c, name, 0);
    }
    ck_assert_int_eq(w.limited, 0);
    ck_assert_int_eq(ix_count("instance"), 3);
    brev_client_free(c);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("instance_create");
    TCase *tc = ix_tcase("idempotency");
    tcase_add_test(tc, create_twice_with_one_ref_id_makes_one_instance);
    tcase_add_test(tc, create_survives_a_reply_lost_after_the_server_acted);
    tcase_add_test(tc, create_survives_a_first_attempt_that_timed_out_after_the_server_created_it);
    tcase_add_test(tc, create_failing_after_effect_leaves_nothing);
    tcase_add_test(tc, a_name_taken_by_another_ref_id_is_eexists);
    tcase_add_test(tc, a_leftover_disk_of_the_ref_id_is_reused_a_foreign_one_refused);
    tcase_add_loop_test(tc, concurrent_creates_of_one_ref_id_make_one_instance, 0,
                        (int)(sizeof staggers_ms / sizeof staggers_ms[0]));
    tcase_add_test(tc, concurrent_creates_on_one_client_make_one_instance);
    tcase_add_test(tc, concurrent_losers_give_back_their_rate_limit_slot);
    suite_add_tcase(s, tc);
    tc = ix_tcase("rollback");
    tcase_add_loop_test(tc, failure_at_each_step_leaves_nothing, 0, (int)(sizeof steps / sizeof steps[0]));
    tcase_add_test(tc, capacity_failure_names_the_cause_and_keeps_the_service_error);
    tcase_add_test(tc, error_after_create_is_eprecondition_and_rolled_back);
    tcase_add_test(tc, failed_create_keeps_a_cluster_it_did_not_make);
    suite_add_tcase(s, tc);
    tc = ix_tcase("options");
    tcase_add_test(tc, creates_beyond_the_rate_limit_wait_make_nothing_and_can_be_cancelled);
    tcase_add_test(tc, rate_limit_defaults_to_brevs_and_zero_turns_it_off);
    tcase_add_test(tc, user_data_and_host_firewall_become_parts);
    tcase_add_test(tc, explicit_image_id_and_cluster_are_used);
    tcase_add_test(tc, brev_style_gpu_create_with_disk_options_and_no_public_ip);
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
