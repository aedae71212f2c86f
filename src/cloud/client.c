/* brev_client: options, environment, the transport + auth it owns, and the
 * project every resource lives in. brev_client_new makes no network call. */
#include "cloud/client_internal.h"

#include <ctype.h>
#include <openssl/crypto.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "auth/auth.h"
#include "rpc/retry.h"
#include "nebius/iam/v1/project_service.pb-c.h"
#include "util/error.h"
#include "util/str.h"

#define DEFAULT_REGION "eu-north1"
#define DEFAULT_POLL_MS 1000u
#define PROJECT_PAGE_SIZE 100

int brev_client_options_init(brev_client_options *opts, unsigned int version)
{
    if (!opts)
        return bn_err_set(BREV_EINVAL, "brev_client_options_init: opts is NULL");
    if (version != BREV_CLIENT_OPTIONS_VERSION)
        return bn_err_set(BREV_EINVAL, "brev_client_options version %u is not supported (this library knows %d)",
                          version, BREV_CLIENT_OPTIONS_VERSION);
    memset(opts, 0, sizeof *opts);
    opts->version = version;
    opts->log_level = BREV_LOG_INFO;
    opts->use_env = 1;
    opts->max_creates_per_minute = BREV_DEFAULT_MAX_CREATES_PER_MINUTE;
    return 0;
}

static const char *nonempty(const char *s)
{
    return s && *s ? s : NULL;
}

/* The option, or the environment variable when the option is unset and use_env is on. */
static const char *pick(const char *option, int use_env, const char *env)
{
    if (nonempty(option))
        return option;
    return use_env ? nonempty(getenv(env)) : NULL;
}

typedef struct credential_source {
    const char *file;
    const char *json;
    const char *token;
    const char *sa_id, *key_id, *key_file; /* the key-file form */
} credential_source;

/* Explicit options first; then NEBIUS_IAM_TOKEN, NEBIUS_SERVICE_ACCOUNT_JSON
 * (a path when such a file exists, else JSON when it looks like an object),
 * NEBIUS_SERVICE_ACCOUNT_CREDENTIALS_FILE. */
static credential_source credentials_from(const brev_client_options *o)
{
    credential_source s = {nonempty(o->credentials_file), nonempty(o->credentials_json), nonempty(o->iam_token),
                           nonempty(o->service_account_id), nonempty(o->public_key_id),
                           nonempty(o->private_key_file)};
    const char *v;

    if (s.file || s.json || s.token || s.sa_id || s.key_id || s.key_file || !o->use_env)
        return s;
    if ((v = nonempty(getenv("NEBIUS_IAM_TOKEN"))) != NULL) {
        s.token = v;
    } else if ((v = nonempty(getenv("NEBIUS_SERVICE_ACCOUNT_JSON"))) != NULL) {
        struct stat st;
        const char *p = v;
        while (isspace((unsigned char)*p))
            p++;
        if (stat(v, &st) == 0 || *p != '{')
            s.file = v; /* a missing path then fails with "does not exist" */
        else
            s.json = v;
    } else if ((v = nonempty(getenv("NEBIUS_SERVICE_ACCOUNT_CREDENTIALS_FILE"))) != NULL) {
        s.file = v;
    }
    return s;
}

static int dup_field(char **dst, const char *src)
{
    if (!src)
        return 0;
    *dst = strdup(src);
    return *dst ? 0 : bn_err_set(BREV_ENOMEM, "out of memory");
}

int brev_client_new(brev_client **out, const brev_client_options *opts)
{
    brev_client *c;
    bn_rpc_config rc_cfg;
    bn_auth_config auth_cfg;
    credential_source creds;
    int env, rc;

    if (!out)
        return bn_err_set(BREV_EINVAL, "brev_client_new: out is NULL");
    *out = NULL;
    if (!opts)
        return bn_err_set(BREV_EINVAL, "brev_client_new: opts is NULL (use brev_client_options_init)");
    if (opts->version != BREV_CLIENT_OPTIONS_VERSION)
        return bn_err_set(BREV_EINVAL, "brev_client_options version %u is not supported (use brev_client_options_init)",
                          opts->version);
    if (opts->log_level < BREV_LOG_DEBUG || opts->log_level > BREV_LOG_ERROR)
        return bn_err_set(BREV_EINVAL, "log_level %d is not a brev_log_level", (int)opts->log_level);
    env = opts->use_env;

    c = calloc(1, sizeof *c);
    if (!c)
        return bn_err_set(BREV_ENOMEM, "out of memory");
    pthread_mutex_init(&c->lock, NULL);
    pthread_mutex_init(&c->rate_lock, NULL);
    c->logger.fn = opts->log;
    c->logger.payload = opts->log_payload;
    c->logger.min_level = opts->log_level;
    c->progress = opts->progress;
    c->progress_payload = opts->progress_payload;
    c->poll_interval_ms = opts->poll_interval_ms ? opts->poll_interval_ms : DEFAULT_POLL_MS;
    c->keep_empty_clusters = opts->keep_empty_clusters;
    c->call_timeout_ms = bn_retry_policy_resolve(&opts->retry).call_timeout_ms;
    c->create_limit = opts->max_creates_per_minute;
    if (c->create_limit && !(c->create_times = calloc(c->create_limit, sizeof *c->create_times))) {
        rc = bn_err_set(BREV_ENOMEM, "out of memory (max_creates_per_minute %u)", c->create_limit);
        goto fail;
    }

    if ((rc = dup_field(&c->project_id, pick(opts->project_id, env, "NEBIUS_PROJECT_ID"))) != 0 ||
        (rc = dup_field(&c->tenant_id, pick(opts->tenant_id, env, "NEBIUS_TENANT_ID"))) != 0)
        goto fail;
    {
        const char *region = pick(opts->region, env, "NEBIUS_REGION");
        if ((rc = dup_field(&c->region, region ? region : DEFAULT_REGION)) != 0)
            goto fail;
    }

    memset(&rc_cfg, 0, sizeof rc_cfg);
    rc_cfg.domain = pick(opts->domain, env, "NEBIUS_DOMAIN");
    rc_cfg.endpoint = pick(opts->endpoint, env, "NEBIUS_ENDPOINT");
    rc_cfg.service_endpoints = opts->service_endpoints;
    rc_cfg.ca_file = pick(opts->ca_file, env, "NEBIUS_CA_FILE");
    rc_cfg.tls_target_name = opts->tls_target_name;
    rc_cfg.retry = opts->retry;
    rc_cfg.keepalive_time_ms = opts->keepalive_time_ms;
    rc_cfg.keepalive_timeout_ms = opts->keepalive_timeout_ms;
    rc_cfg.logger = &c->logger;

    /* Credentials are read and checked here, without any network call: a bad file fails at once. */
    creds = credentials_from(opts);
    memset(&auth_cfg, 0, sizeof auth_cfg);
    auth_cfg.credentials_file = creds.file;
    auth_cfg.credentials_json = creds.json;
    auth_cfg.iam_token = creds.token;
    auth_cfg.service_account_id = creds.sa_id;
    auth_cfg.public_key_id = creds.key_id;
    auth_cfg.private_key_file = creds.key_file;
    auth_cfg.timeout_ms = opts->auth_timeout_ms;
    auth_cfg.logger = &c->logger;

    if ((rc = bn_rpc_new(&c->rpc, &rc_cfg)) != 0)
        goto fail;
    if ((rc = bn_auth_new(&c->auth, c->rpc, &auth_cfg)) != 0)
        goto fail;
    bn_rpc_set_token_source(c->rpc, bn_auth_token, c->auth);
    *out = c;
    return 0;
fail:
    {
        brev_error saved;
        bn_err_save(&saved);
        brev_client_free(c);
        bn_err_restore(&saved);
    }
    return rc;
}

void brev_client_free(brev_client *client)
{
    if (!client)
        return;
    /* auth first: its refresher thread calls through the rpc. */
    bn_auth_free(client->auth);
    bn_rpc_free(client->rpc);
    free(client->project_id);
    free(client->tenant_id);
    free(client->region);
    free(client->create_times);
    pthread_mutex_destroy(&client->lock);
    pthread_mutex_destroy(&client->rate_lock);
    free(client);
}

const char *brev_client_region(const brev_client *client)
{
    return client && client->region ? client->region : DEFAULT_REGION;
}

int brev_client_project_id(brev_client *client, const char **project_id)
{
    return bn_client_project(client, project_id);
}

static const char *container_region(const Nebius__Iam__V1__Container *p)
{
    if (p->status && p->status->region && *p->status->region)
        return p->status->region;
    if (p->spec && p->spec->region && *p->spec->region)
        return p->spec->region;
    return "";
}

/* Ranks a project for the region: 3 "default-project-{region}", 2
 * "default-{region}", 1 same region, 0 no match. */
static int project_rank(const Nebius__Iam__V1__Container *p, const char *region)
{
    const char *name = p->metadata ? p->metadata->name : "";
    char want[160];

    snprintf(want, sizeof want, "default-project-%s", region);
    if (strcmp(name, want) == 0)
        return 3;
    snprintf(want, sizeof want, "default-%s", region);
    if (strcmp(name, want) == 0)
        return 2;
    return strcmp(container_region(p), region) == 0 ? 1 : 0;
}

/* Lists every project of the tenant and picks the region's. Lock held. */
static int resolve_project(brev_client *c)
{
    char *page_token = NULL, *best = NULL;
    int best_rank = 0, rc = 0;
    size_t seen = 0;

    do {
        Nebius__Iam__V1__ListProjectsRequest req = NEBIUS__IAM__V1__LIST_PROJECTS_REQUEST__INIT;
        Nebius__Iam__V1__ListProjectsResponse *resp;
        ProtobufCMessage *out = NULL;

        req.parent_id = c->tenant_id;
        req.page_size = PROJECT_PAGE_SIZE;
        req.page_token = page_token ? page_token : (char *)"";
        rc = bn_rpc_call(c->rpc, &nebius__iam__v1__project_service__descriptor, "List", &req.base, &out, NULL);
        free(page_token);
        page_token = NULL;
        if (rc) {
            bn_err_prefix("finding the project of tenant %s in region %s", c->tenant_id, c->region);
            break;
        }
        resp = (Nebius__Iam__V1__ListProjectsResponse *)out;
        for (size_t i = 0; i < resp->n_items; i++) {
            const Nebius__Iam__V1__Container *p = resp->items[i];
            int rank = project_rank(p, c->region);
            seen++;
            if (rank > best_rank && p->metadata && *p->metadata->id) {
                char *id = strdup(p->metadata->id);
                if (!id) {
                    rc = bn_err_set(BREV_ENOMEM, "out of memory");
                    break;
                }
                free(best);
                best = id;
                best_rank = rank;
            }
        }
        if (!rc && *resp->next_page_token && !(page_token = strdup(resp->next_page_token)))
            rc = bn_err_set(BREV_ENOMEM, "out of memory");
        protobuf_c_message_free_unpacked(out, NULL);
    } while (!rc && page_token);
    free(page_token);

    if (!rc && !best)
        rc = bn_err_set(BREV_ENOTFOUND,
                        "tenant %s has no project in region %s (%zu projects seen): set project_id "
                        "(NEBIUS_PROJECT_ID) or region (NEBIUS_REGION)",
                        c->tenant_id, c->region, seen);
    if (rc) {
        free(best);
        return rc;
    }
    c->project_id = best;
    bn_log(&c->logger, BREV_LOG_INFO, "using project %s of tenant %s in region %s", best, c->tenant_id, c->region);
    return 0;
}

int bn_client_project(brev_client *client, const char **project_id)
{
    int rc = 0;

    if (!client || !project_id)
        return bn_err_set(BREV_EINVAL, "brev_client_project_id: missing argument");
    *project_id = NULL;
    pthread_mutex_lock(&client->lock);
    if (!client->project_id) {
        if (!client->tenant_id)
            rc = bn_err_set(BREV_EINVAL, "no project: set project_id or tenant_id (NEBIUS_PROJECT_ID)");
        else
            rc = resolve_project(client);
    }
    if (!rc)
        *project_id = client->project_id;
    pthread_mutex_unlock(&client->lock);
    return rc;
}

static _Thread_local unsigned cleanup_depth;

void bn_client_cleanup_begin(void)
{
    cleanup_depth++;
}

void bn_client_cleanup_end(void)
{
    if (cleanup_depth > 0)
        cleanup_depth--;
}

#define CREATE_WINDOW_S 60.0

static double mono_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int bn_client_create_slot(brev_client *client, double *taken_at, double *wait_s)
{
    double now;
    size_t oldest = 0;
    int taken = 0;

    *wait_s = 0;
    *taken_at = 0;
    if (!client->create_limit)
        return 1;
    now = mono_now();
    pthread_mutex_lock(&client->rate_lock);
    /* A slot is free when it was never taken (0), was given back (0), or left
     * the window; the limit is small, so a scan is the simple way. */
    for (size_t i = 1; i < client->create_limit; i++)
        if (client->create_times[i] < client->create_times[oldest])
            oldest = i;
    if (client->create_times[oldest] == 0 || now - client->create_times[oldest] >= CREATE_WINDOW_S) {
        client->create_times[oldest] = now;
        *taken_at = now;
        taken = 1;
    } else {
        *wait_s = client->create_times[oldest] + CREATE_WINDOW_S - now;
    }
    pthread_mutex_unlock(&client->rate_lock);
    return taken;
}

void bn_client_create_slot_return(brev_client *client, double taken_at)
{
    if (!client->create_limit || taken_at == 0)
        return;
    pthread_mutex_lock(&client->rate_lock);
    for (size_t i = 0; i < client->create_limit; i++) {
        if (client->create_times[i] == taken_at) {
            client->create_times[i] = 0;
            break;
        }
    }
    pthread_mutex_unlock(&client->rate_lock);
}

unsigned bn_client_call_ms(const brev_client *client, unsigned budget_ms)
{
    return budget_ms && budget_ms < client->call_timeout_ms ? budget_ms : client->call_timeout_ms;
}

bn_wait bn_client_wait(const brev_client *client, const char *what, unsigned timeout_ms)
{
    bn_wait w;
    memset(&w, 0, sizeof w);
    w.timeout_ms = timeout_ms;
    w.poll_ms = client->poll_interval_ms;
    w.what = what;
    if (cleanup_depth == 0) {
        w.progress = client->progress;
        w.payload = client->progress_payload;
    }
    return w;
}

int brev_auth_check(brev_client *client, int with_token, brev_auth_info **out)
{
    brev_auth_info *info;
    char *token = NULL;
    int64_t expires_at = 0;
    int rc;

    if (!client || !out)
        return bn_err_set(BREV_EINVAL, "brev_auth_check: missing argument");
    *out = NULL;
    rc = bn_auth_check(client->auth, with_token ? &token : NULL, &expires_at);
    if (rc)
        return rc;
    info = calloc(1, sizeof *info);
    if (!info || !(info->subject = strdup(bn_auth_subject(client->auth))) ||
        !(info->key_id = strdup(bn_auth_key_id(client->auth)))) {
        bn_str_free_secret(token);
        brev_auth_info_free(info);
        return bn_err_set(BREV_ENOMEM, "out of memory");
    }
    info->expires_at = expires_at;
    info->token = token;
    *out = info;
    return 0;
}

void brev_auth_info_free(brev_auth_info *info)
{
    if (!info)
        return;
    free(info->subject);
    free(info->key_id);
    bn_str_free_secret(info->token);
    free(info);
}
