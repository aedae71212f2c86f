/* brev-bench: how fast the library talks to Nebius, measured against
 * nebius-sim on loopback. Speed lives here, never in timed test assertions.
 *
 * Prints one line per measurement: calls, wall time, rate, p50/p99 latency. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <brev/nebius.h>
#include "sim_harness.h"

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static void report(const char *name, double *lat, int n, double wall, int failures)
{
    qsort(lat, (size_t)n, sizeof *lat, cmp_double);
    printf("%-40s %6d calls %8.3f s %9.1f/s  p50 %7.2f ms  p99 %7.2f ms  failures %d\n", name, n, wall,
           wall > 0 ? n / wall : 0.0, lat[n / 2] * 1e3, lat[(n * 99) / 100 < n ? (n * 99) / 100 : n - 1] * 1e3,
           failures);
}

typedef int (*bench_fn)(brev_client *client, void *arg);

static void run_serial(const char *name, brev_client *client, int n, bench_fn fn, void *arg)
{
    double *lat = calloc((size_t)n, sizeof *lat);
    int failures = 0;
    double start = now_s();
    for (int i = 0; i < n; i++) {
        double t0 = now_s();
        if (fn(client, arg) != BREV_OK) {
            failures++;
            if (failures == 1)
                fprintf(stderr, "%s: %s\n", name, brev_error_message());
        }
        lat[i] = now_s() - t0;
    }
    report(name, lat, n, now_s() - start, failures);
    free(lat);
}

static int call_latest_image(brev_client *client, void *arg)
{
    brev_image *img = NULL;
    int rc = brev_image_latest(client, (const char *)arg, &img);
    brev_image_free(img);
    return rc;
}

static int call_instance_types(brev_client *client, void *arg)
{
    brev_instance_type_list *list = NULL;
    (void)arg;
    int rc = brev_instance_types_list(client, NULL, &list);
    brev_instance_type_list_free(list);
    return rc;
}

static int call_list_instances(brev_client *client, void *arg)
{
    brev_instance_list *list = NULL;
    (void)arg;
    int rc = brev_instances_list(client, NULL, &list);
    brev_instance_list_free(list);
    return rc;
}

static int lifecycle(brev_client *client, void *arg)
{
    static int seq;
    const char *key = (const char *)arg;
    char name[64];
    brev_create_instance_options o;
    brev_instance *inst = NULL;
    int rc;

    snprintf(name, sizeof name, "bench-%d-%d", (int)getpid(), seq++);
    brev_create_instance_options_init(&o, BREV_CREATE_INSTANCE_OPTIONS_VERSION);
    o.name = name;
    o.ref_id = name;
    o.instance_type = "cpu-d3.4vcpu-16gb";
    o.ssh_keys = &key;
    o.ssh_key_count = 1;
    o.cluster_id = "bench";
    rc = brev_instance_create(client, &o, &inst);
    if (rc == BREV_OK)
        rc = brev_instance_terminate(client, inst->id, 0);
    brev_instance_free(inst);
    return rc;
}

typedef struct thread_job {
    brev_client *client;
    int calls;
    double *lat;
    int failures;
} thread_job;

static void *thread_main(void *arg)
{
    thread_job *job = arg;
    for (int i = 0; i < job->calls; i++) {
        double t0 = now_s();
        if (call_latest_image(job->client, "ubuntu24.04-driverless") != BREV_OK)
            job->failures++;
        job->lat[i] = now_s() - t0;
    }
    return NULL;
}

static void run_threads(const char *name, brev_client *client, int threads, int calls)
{
    pthread_t tid[16];
    thread_job jobs[16];
    double *all = calloc((size_t)(threads * calls), sizeof *all);
    int failures = 0;
    double start = now_s();

    for (int t = 0; t < threads; t++) {
        jobs[t] = (thread_job){client, calls, all + t * calls, 0};
        pthread_create(&tid[t], NULL, thread_main, &jobs[t]);
    }
    for (int t = 0; t < threads; t++) {
        pthread_join(tid[t], NULL);
        failures += jobs[t].failures;
    }
    report(name, all, threads * calls, now_s() - start, failures);
    free(all);
}

static int client_and_token(const bn_test_sim *sim)
{
    brev_client_options o;
    brev_client *c = NULL;
    brev_auth_info *info = NULL;
    int rc;

    bn_test_client_options(sim, &o);
    rc = brev_client_new(&c, &o);
    if (rc == BREV_OK)
        rc = brev_auth_check(c, 0, &info);
    brev_auth_info_free(info);
    brev_client_free(c);
    return rc;
}

static int bench_new_client(brev_client *unused, void *arg)
{
    (void)unused;
    return client_and_token((const bn_test_sim *)arg);
}

int main(int argc, char **argv)
{
    int scale = argc > 1 ? atoi(argv[1]) : 1;
    bn_test_sim sim;
    bn_test_sim_options so = {0};
    const char *key =
        "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGpMNSiZxwdZEI/Rf1hUUI47XqF96+qCrjHq2Rgn5NZe bench@libbrev-nebius";

    if (scale < 1)
        scale = 1;
    so.op_delay = 0.02;
    so.state_delay = 0.02;
    if (bn_test_sim_start(&sim, &so) != 0)
        return 1;

    brev_client_options co;
    brev_client *client = NULL;
    bn_test_client_options(&sim, &co);
    /* The lifecycle row measures the library, not Brev's 10-a-minute pacing. */
    co.max_creates_per_minute = 0;
    if (brev_client_new(&client, &co) != BREV_OK) {
        fprintf(stderr, "brev-bench: %s\n", brev_error_message());
        bn_test_sim_stop(&sim);
        return 1;
    }
    printf("libbrev-nebius %s against nebius-sim on %s\n", brev_version(), sim.endpoint);
    run_serial("new client + token exchange", NULL, 20 * scale, bench_new_client, &sim);
    run_serial("image latest-by-family (cached token)", client, 300 * scale, call_latest_image,
               "ubuntu24.04-driverless");
    run_serial("instance types (platforms, all pages)", client, 100 * scale, call_instance_types, NULL);
    run_serial("list instances (empty project)", client, 200 * scale, call_list_instances, NULL);
    run_threads("8 threads x latest-by-family", client, 8, 50 * scale);
    run_serial("instance create+terminate lifecycle", client, 5 * scale, lifecycle, (void *)key);

    brev_client_free(client);
    bn_test_sim_stop(&sim);
    return 0;
}
