#include "sim_harness.h"

#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cloud/client_internal.h"
#include "rpc/rpc.h"

#define SIM_PROJECT_ID "project-sim0000000001"
#define READY_TIMEOUT_MS 10000

/* --- live mode ------------------------------------------------------------ */

static int env_set(const char *name)
{
    const char *v = getenv(name);
    return v && *v;
}

int bn_test_live_configured(void)
{
    const char *live = getenv("BREV_NEBIUS_LIVE");
    return live && strcmp(live, "1") == 0 && env_set("NEBIUS_SERVICE_ACCOUNT_JSON") &&
           env_set("NEBIUS_PROJECT_ID");
}

void bn_test_live_note(void)
{
    static int printed;
    /* The runner prints the line once for the whole run and says so. */
    if (printed || bn_test_live_configured() || env_set("BREV_TEST_LIVE_NOTED"))
        return;
    printed = 1;
    fprintf(stderr, "live run skipped: set BREV_NEBIUS_LIVE=1, NEBIUS_SERVICE_ACCOUNT_JSON, "
                    "NEBIUS_PROJECT_ID (and NEBIUS_REGION) to run against a real Nebius project\n");
}

void bn_test_skip_live(const char *test)
{
    /* One line the runner counts as a skip: a live run must not report a
     * test as passed when it never ran. */
    size_t n = strlen(test);
    /* Check's START_TEST(x) names the function x_fn: print the test's name. */
    if (n > 3 && strcmp(test + n - 3, "_fn") == 0)
        n -= 3;
    printf("SKIP (live) %.*s: needs nebius-sim\n", (int)n, test);
    fflush(stdout);
}

const char *bn_test_build_dir(void)
{
    const char *b = getenv("BREV_TEST_BUILD");
    return b && *b ? b : "build";
}

/* --- starting and stopping the sim ---------------------------------------- */

static void remove_tree(const char *dir)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    char path[4200];

    if (!d)
        return;
    while ((e = readdir(d)) != NULL) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        if (unlink(path) != 0 && errno == EISDIR)
            remove_tree(path);
    }
    closedir(d);
    rmdir(dir);
}

static long long now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Reads stdout of the sim until "READY <port>\n" (returns the port) or the timeout. */
static int read_ready(int fd, pid_t pid)
{
    char buf[256];
    size_t used = 0;
    long long end = now_ms() + READY_TIMEOUT_MS;

    for (;;) {
        long long left = end - now_ms();
        struct pollfd p = {.fd = fd, .events = POLLIN};
        int status;

        if (left <= 0) {
            fprintf(stderr, "sim_harness: nebius-sim printed no READY line within %d ms\n", READY_TIMEOUT_MS);
            return -1;
        }
        if (poll(&p, 1, (int)left) < 0) {
            if (errno == EINTR)
                continue;
            perror("sim_harness: poll");
            return -1;
        }
        if (p.revents) {
            ssize_t n = read(fd, buf + used, sizeof buf - 1 - used);
            if (n <= 0) {
                if (waitpid(pid, &status, WNOHANG) == pid)
                    fprintf(stderr, "sim_harness: nebius-sim exited (status %d) before READY\n", status);
                else
                    fprintf(stderr, "sim_harness: nebius-sim closed stdout before READY\n");
                return -1;
            }
            used += (size_t)n;
            buf[used] = '\0';
            char *nl = strchr(buf, '\n');
            if (nl) {
                int port = 0;
                if (sscanf(buf, "READY %d", &port) == 1 && port > 0)
                    return port;
                fprintf(stderr, "sim_harness: unexpected first line from nebius-sim: %.*s\n", (int)(nl - buf), buf);
                return -1;
            }
            if (used >= sizeof buf - 1) {
                fprintf(stderr, "sim_harness: nebius-sim wrote a too long first line\n");
                return -1;
            }
        }
    }
}

static void add_arg(const char **argv, int *argc, int cap, const char *arg)
{
    if (*argc < cap - 1)
        argv[(*argc)++] = arg;
}

int bn_test_sim_start(bn_test_sim *sim, const bn_test_sim_options *opts)
{
    bn_test_sim_options defaults = {0};
    char certs[2048], ttl[32], op_delay[32], state_delay[32], page_max[32];
    const char *argv[64];
    int argc = 0;
    int pipefd[2];
    pid_t pid;

    memset(sim, 0, sizeof *sim);
    if (bn_test_live_configured()) {
        sim->live = 1;
        return 0;
    }
    bn_test_live_note();
    if (!opts)
        opts = &defaults;

    snprintf(sim->dir, sizeof sim->dir, "/tmp/bn-sim-XXXXXX");
    if (!mkdtemp(sim->dir)) {
        perror("sim_harness: mkdtemp");
        sim->dir[0] = '\0';
        return -1;
    }
    if (snprintf(sim->key_file, sizeof sim->key_file, "%s/key.json", sim->dir) >= (int)sizeof sim->key_file ||
        snprintf(certs, sizeof certs, "%s/certs", bn_test_build_dir()) >= (int)sizeof certs ||
        snprintf(sim->ca_file, sizeof sim->ca_file, "%s/ca.pem", certs) >= (int)sizeof sim->ca_file) {
        fprintf(stderr, "sim_harness: paths too long\n");
        bn_test_sim_stop(sim);
        return -1;
    }
    if (access(sim->ca_file, R_OK) != 0) {
        fprintf(stderr, "sim_harness: %s missing: run `make certs`\n", sim->ca_file);
        bn_test_sim_stop(sim);
        return -1;
    }
    snprintf(op_delay, sizeof op_delay, "%g", opts->op_delay > 0 ? opts->op_delay : 0.05);
    snprintf(state_delay, sizeof state_delay, "%g", opts->state_delay > 0 ? opts->state_delay : 0.05);

    add_arg(argv, &argc, 64, "/usr/bin/python3");
    add_arg(argv, &argc, 64, "test/sim/nebius-sim");
    add_arg(argv, &argc, 64, "--port");
    add_arg(argv, &argc, 64, "0");
    add_arg(argv, &argc, 64, "--certs");
    add_arg(argv, &argc, 64, certs);
    add_arg(argv, &argc, 64, "--sa-key-out");
    add_arg(argv, &argc, 64, sim->key_file);
    add_arg(argv, &argc, 64, "--op-delay");
    add_arg(argv, &argc, 64, op_delay);
    add_arg(argv, &argc, 64, "--state-delay");
    add_arg(argv, &argc, 64, state_delay);
    if (opts->token_ttl > 0) {
        snprintf(ttl, sizeof ttl, "%g", opts->token_ttl);
        add_arg(argv, &argc, 64, "--token-ttl");
        add_arg(argv, &argc, 64, ttl);
    }
    if (opts->cert_variant) {
        add_arg(argv, &argc, 64, "--cert-variant");
        add_arg(argv, &argc, 64, opts->cert_variant);
    }
    if (opts->page_size_max > 0) {
        snprintf(page_max, sizeof page_max, "%d", opts->page_size_max);
        add_arg(argv, &argc, 64, "--page-size-max");
        add_arg(argv, &argc, 64, page_max);
    }
    for (const char *const *a = opts->extra_args; a && *a; a++)
        add_arg(argv, &argc, 64, *a);
    argv[argc] = NULL;

    if (pipe(pipefd) != 0) {
        perror("sim_harness: pipe");
        bn_test_sim_stop(sim);
        return -1;
    }
    fflush(NULL);
    pid = fork();
    if (pid < 0) {
        perror("sim_harness: fork");
        close(pipefd[0]);
        close(pipefd[1]);
        bn_test_sim_stop(sim);
        return -1;
    }
    if (pid == 0) {
        /* The sim must not outlive a runner that dies without its teardown. */
        prctl(PR_SET_PDEATHSIG, SIGTERM);
        dup2(pipefd[1], STDOUT_FILENO);
        close(pipefd[0]);
        close(pipefd[1]);
        execv(argv[0], (char *const *)argv);
        fprintf(stderr, "sim_harness: exec %s: %s\n", argv[0], strerror(errno));
        _exit(127);
    }
    close(pipefd[1]);
    sim->pid = pid;
    sim->port = read_ready(pipefd[0], pid);
    close(pipefd[0]);
    if (sim->port < 0) {
        bn_test_sim_stop(sim);
        return -1;
    }
    snprintf(sim->endpoint, sizeof sim->endpoint, "localhost:%d", sim->port);
    return 0;
}

void bn_test_sim_stop(bn_test_sim *sim)
{
    if (sim->pid > 0) {
        int status;
        long long end = now_ms() + 5000;
        kill(sim->pid, SIGTERM);
        for (;;) {
            pid_t r = waitpid(sim->pid, &status, WNOHANG);
            /* ECHILD: stopped from a forked test process, not our child; wait until it is gone */
            if (r == sim->pid || (r < 0 && (errno != ECHILD || kill(sim->pid, 0) != 0)))
                break;
            if (now_ms() > end) {
                kill(sim->pid, SIGKILL);
                waitpid(sim->pid, &status, 0);
                break;
            }
            usleep(10000);
        }
        sim->pid = 0;
    }
    if (sim->dir[0]) {
        remove_tree(sim->dir);
        sim->dir[0] = '\0';
    }
}

/* --- clients -------------------------------------------------------------- */

void bn_test_client_options(const bn_test_sim *sim, brev_client_options *opts)
{
    brev_client_options_init(opts, BREV_CLIENT_OPTIONS_VERSION);
    if (sim->live)
        return; /* use_env = 1: NEBIUS_* from the environment, real endpoints */
    opts->endpoint = sim->endpoint;
    opts->ca_file = sim->ca_file;
    opts->credentials_file = sim->key_file;
    opts->project_id = SIM_PROJECT_ID;
    opts->use_env = 0;
    opts->poll_interval_ms = 50;
}

brev_client *bn_test_client(const bn_test_sim *sim)
{
    brev_client_options opts;
    brev_client *c = NULL;
    int rc;

    bn_test_client_options(sim, &opts);
    rc = brev_client_new(&c, &opts);
    ck_assert_msg(rc == 0, "brev_client_new: %d %s", rc, brev_error_message());
    return c;
}

/* --- admin calls ---------------------------------------------------------- */

static ProtobufCMessage *admin_call(brev_client *c, const char *method, const ProtobufCMessage *req)
{
    ProtobufCMessage *resp = NULL;
    bn_call_options o = {0};
    int rc;

    ck_assert_ptr_nonnull(c);
    /* Admin calls carry no token: they must not change the exchange count tests measure. */
    o.no_auth = 1;
    o.no_retry = 1;
    o.timeout_ms = 20000;
    rc = bn_rpc_call(c->rpc, &nebiussim__v1__admin_service__descriptor, method, req, &resp, &o);
    ck_assert_msg(rc == 0, "admin %s: %d %s", method, rc, brev_error_message());
    return resp;
}

static json_t *json_from(ProtobufCMessage *resp, const char *what)
{
    Nebiussim__V1__JsonResponse *j = (Nebiussim__V1__JsonResponse *)resp;
    json_error_t err;
    json_t *out = json_loads(j->json, 0, &err);

    ck_assert_msg(out != NULL, "%s: bad JSON at %d:%d: %s", what, err.line, err.column, err.text);
    protobuf_c_message_free_unpacked(resp, NULL);
    return out;
}

json_t *bn_test_state(brev_client *c)
{
    Nebiussim__V1__GetStateRequest req = NEBIUSSIM__V1__GET_STATE_REQUEST__INIT;
    return json_from(admin_call(c, "GetState", &req.base), "GetState");
}

json_t *bn_test_requests(brev_client *c, const char *filter, int clear)
{
    Nebiussim__V1__GetRequestsRequest req = NEBIUSSIM__V1__GET_REQUESTS_REQUEST__INIT;
    req.method_filter = (char *)(filter ? filter : "");
    req.clear = clear ? 1 : 0;
    return json_from(admin_call(c, "GetRequests", &req.base), "GetRequests");
}

int bn_test_request_count(brev_client *c, const char *filter)
{
    json_t *r = bn_test_requests(c, filter, 0);
    json_t *list = json_object_get(r, "requests");
    int n = json_is_array(list) ? (int)json_array_size(list) : -1;
    json_decref(r);
    ck_assert_msg(n >= 0, "GetRequests answer has no \"requests\" array");
    return n;
}

int bn_test_fault(brev_client *c, const Nebiussim__V1__InjectFaultRequest *f)
{
    ProtobufCMessage *resp = NULL;
    bn_call_options o = {0};
    int rc;

    o.no_auth = 1;
    o.no_retry = 1;
    rc = bn_rpc_call(c->rpc, &nebiussim__v1__admin_service__descriptor, "InjectFault", &f->base, &resp, &o);
    if (resp)
        protobuf_c_message_free_unpacked(resp, NULL);
    return rc;
}

void bn_test_clear_faults(brev_client *c)
{
    Nebiussim__V1__ClearFaultsRequest req = NEBIUSSIM__V1__CLEAR_FAULTS_REQUEST__INIT;
    protobuf_c_message_free_unpacked(admin_call(c, "ClearFaults", &req.base), NULL);
}

void bn_test_expire_tokens(brev_client *c)
{
    Nebiussim__V1__ExpireTokensRequest req = NEBIUSSIM__V1__EXPIRE_TOKENS_REQUEST__INIT;
    protobuf_c_message_free_unpacked(admin_call(c, "ExpireTokens", &req.base), NULL);
}

void bn_test_reset(brev_client *c)
{
    Nebiussim__V1__ResetRequest req = NEBIUSSIM__V1__RESET_REQUEST__INIT;
    protobuf_c_message_free_unpacked(admin_call(c, "Reset", &req.base), NULL);
}

char *bn_test_mutate(brev_client *c, const char *resource_id, const char *json_patch, int del,
                     const char *create_kind, const char *create_json)
{
    Nebiussim__V1__MutateRequest req = NEBIUSSIM__V1__MUTATE_REQUEST__INIT;
    Nebiussim__V1__MutateResponse *resp;
    char *id;

    req.resource_id = (char *)(resource_id ? resource_id : "");
    req.json_patch = (char *)(json_patch ? json_patch : "");
    req.delete_ = del ? 1 : 0;
    req.create_kind = (char *)(create_kind ? create_kind : "");
    req.create_json = (char *)(create_json ? create_json : "");
    resp = (Nebiussim__V1__MutateResponse *)admin_call(c, "Mutate", &req.base);
    id = strdup(resp->resource_id);
    protobuf_c_message_free_unpacked(&resp->base, NULL);
    ck_assert_ptr_nonnull(id);
    return id;
}

int bn_test_flow(brev_client *c, const char *src_instance, const char *src_ip, const char *dst_instance,
                 const char *dst_ip, const char *proto, int port, char **reason)
{
    Nebiussim__V1__EvaluateFlowRequest req = NEBIUSSIM__V1__EVALUATE_FLOW_REQUEST__INIT;
    Nebiussim__V1__EvaluateFlowResponse *resp;
    int allowed;

    req.source_instance_id = (char *)(src_instance ? src_instance : "");
    req.source_ip = (char *)(src_ip ? src_ip : "");
    req.destination_instance_id = (char *)(dst_instance ? dst_instance : "");
    req.destination_ip = (char *)(dst_ip ? dst_ip : "");
    req.protocol = (char *)(proto ? proto : "tcp");
    req.port = port;
    resp = (Nebiussim__V1__EvaluateFlowResponse *)admin_call(c, "EvaluateFlow", &req.base);
    allowed = resp->allowed ? 1 : 0;
    if (reason) {
        *reason = strdup(resp->reason);
        ck_assert_ptr_nonnull(*reason);
    }
    protobuf_c_message_free_unpacked(&resp->base, NULL);
    return allowed;
}

int bn_test_count_resources(json_t *state, const char *kind)
{
    json_t *resources = json_object_get(state, "resources");
    const char *id;
    json_t *rec;
    int n = 0;

    json_object_foreach(resources, id, rec)
    {
        const char *k = json_string_value(json_object_get(rec, "kind"));
        (void)id;
        if (k && strcmp(k, kind) == 0)
            n++;
    }
    return n;
}

/* --- log capture ---------------------------------------------------------- */

struct bn_test_log {
    pthread_mutex_t lock;
    char *text;
    size_t len;
};

bn_test_log *bn_test_log_new(void)
{
    bn_test_log *log = calloc(1, sizeof *log);
    ck_assert_ptr_nonnull(log);
    pthread_mutex_init(&log->lock, NULL);
    return log;
}

void bn_test_log_free(bn_test_log *log)
{
    if (!log)
        return;
    pthread_mutex_destroy(&log->lock);
    free(log->text);
    free(log);
}

void bn_test_log_fn(brev_log_level level, const char *message, void *payload)
{
    bn_test_log *log = payload;
    size_t add = strlen(message) + 8;
    char *grown;

    pthread_mutex_lock(&log->lock);
    grown = realloc(log->text, log->len + add + 1);
    if (grown) {
        log->text = grown;
        log->len += (size_t)snprintf(log->text + log->len, add + 1, "%d %s\n", (int)level, message);
    }
    pthread_mutex_unlock(&log->lock);
}

char *bn_test_log_text(bn_test_log *log)
{
    char *copy;
    pthread_mutex_lock(&log->lock);
    copy = strdup(log->text ? log->text : "");
    pthread_mutex_unlock(&log->lock);
    ck_assert_ptr_nonnull(copy);
    return copy;
}

int bn_test_log_contains(bn_test_log *log, const char *needle)
{
    int found;
    pthread_mutex_lock(&log->lock);
    found = log->text && strstr(log->text, needle) != NULL;
    pthread_mutex_unlock(&log->lock);
    return found;
}
