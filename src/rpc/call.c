/* One logical call: method lookup in the protoc-c service descriptor,
 * metadata, the token, retries under one overall deadline, and the mapping
 * of the final failure to a brev_status. */
#include "rpc/rpc_internal.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <brev/common.h>
#include "rpc/retry.h"
#include "rpc/status.h"
#include "util/error.h"
#include "util/str.h"

#define OPERATION_MESSAGE "nebius.common.v1.Operation"
#define OPERATION_SERVICE "nebius.common.v1.OperationService"
#define CLIENT_VERSION "libbrev-nebius/" BREV_VERSION_STRING
#define CODE_UNAUTHENTICATED 16
#define CODE_DEADLINE_EXCEEDED 4

static long long now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void sleep_ms(unsigned ms)
{
    struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
    }
}

static int get_token(bn_rpc *rpc, int force_refresh, unsigned timeout_ms, char **token)
{
    bn_token_fn fn;
    void *ctx;

    pthread_mutex_lock(&rpc->token_lock);
    fn = rpc->token_fn;
    ctx = rpc->token_ctx;
    pthread_mutex_unlock(&rpc->token_lock);
    *token = NULL;
    if (!fn)
        return bn_err_set(BREV_EAUTH, "no credentials: the client has no token source");
    return fn(ctx, force_refresh, timeout_ms, token);
}

/* Appends text to the current error message, keeping its code and gRPC fields. */
static int err_append(const char *suffix)
{
    brev_error e;
    bn_err_save(&e);
    return bn_err_set_grpc(e.code, e.grpc_status, e.service_error, e.request_id, "%s%s", e.message, suffix);
}

/* A mutating method returns an Operation; OperationService.Get returns one too but changes nothing. */
static int is_mutating(const ProtobufCServiceDescriptor *svc, const ProtobufCMethodDescriptor *m)
{
    return strcmp(m->output->name, OPERATION_MESSAGE) == 0 && strcmp(svc->name, OPERATION_SERVICE) != 0;
}

typedef struct call_state {
    bn_rpc *rpc;
    const char *context; /* "Service/Method" */
    const char *address;
    const char *path;
    const ProtobufCMessage *req;
    const ProtobufCMessageDescriptor *resp_desc;
    const bn_call_options *opts;
    const char *idempotency_key; /* NULL for reads */
} call_state;

/* One attempt with this call's metadata. */
static int attempt_once(call_state *cs, unsigned attempt_no, const char *token, unsigned timeout_ms, bn_attempt *out)
{
    bn_md md[6];
    size_t n = 0;
    char *auth = NULL, retry_no[16];
    int rc;

    if (token) {
        auth = bn_strfmt("Bearer %s", token);
        if (!auth)
            return BREV_ENOMEM;
        md[n++] = (bn_md){"authorization", auth};
    }
    if (cs->idempotency_key)
        md[n++] = (bn_md){"x-idempotency-key", cs->idempotency_key};
    if (cs->opts->reset_mask && *cs->opts->reset_mask)
        md[n++] = (bn_md){"x-resetmask", cs->opts->reset_mask};
    if (attempt_no > 1) {
        snprintf(retry_no, sizeof retry_no, "%u", attempt_no - 1);
        md[n++] = (bn_md){"x-retry-attempt", retry_no};
    }
    md[n++] = (bn_md){"x-client-version", CLIENT_VERSION};
    rc = bn_transport_attempt(cs->rpc, cs->address, cs->path, md, n, cs->req, cs->resp_desc, timeout_ms, out);
    bn_str_free_secret(auth);
    return rc;
}

static int run(call_state *cs, ProtobufCMessage **resp)
{
    bn_rpc *rpc = cs->rpc;
    const brev_retry_policy *policy = &rpc->retry;
    unsigned total_ms = cs->opts->timeout_ms ? cs->opts->timeout_ms : policy->call_timeout_ms;
    unsigned max_attempts = cs->opts->no_retry ? 1 : policy->attempts;
    long long deadline = now_ms() + total_ms;
    unsigned attempt_no = 1, sent = 0;
    int force_refresh = 0, auth_retried = 0;

    for (;;) {
        char *token = NULL;
        bn_attempt a;
        long long left;
        unsigned timeout;
        int rc;

        left = deadline - now_ms();
        if (left > 0 && !cs->opts->no_auth) {
            /* The token is part of the call: it gets only what is left of the call's time. */
            rc = get_token(rpc, force_refresh, (unsigned)left, &token);
            if (rc)
                return bn_err_prefix("%s: getting an IAM token", cs->context);
            left = deadline - now_ms();
        }
        force_refresh = 0;
        if (left <= 0) {
            bn_str_free_secret(token);
            return bn_err_set(BREV_ETIMEOUT, "%s: no answer within %u ms (%u attempts)", cs->context, total_ms, sent);
        }
        timeout = (unsigned)(left < (long long)policy->attempt_timeout_ms ? left : policy->attempt_timeout_ms);
        rc = attempt_once(cs, attempt_no, token, timeout, &a);
        bn_str_free_secret(token);
        if (rc)
            return rc;
        sent++;
        if (a.grpc_code == 0) {
            *resp = a.response;
            a.response = NULL;
            bn_attempt_clear(&a);
            if (sent > 1)
                bn_log(rpc->logger, BREV_LOG_DEBUG, "%s succeeded on attempt %u", cs->context, sent);
            return 0;
        }

        bn_log(rpc->logger, BREV_LOG_DEBUG, "%s attempt %u on %s failed: %s: %s%s%s%s", cs->context, attempt_no,
               cs->address, brev_grpc_status_name(a.grpc_code), a.message ? a.message : "",
               a.request_id ? " (request id " : "", a.request_id ? a.request_id : "", a.request_id ? ")" : "");

        /* A refused token gets one fresh token and one more try, outside the attempt budget. */
        if (a.grpc_code == CODE_UNAUTHENTICATED && !cs->opts->no_auth && !auth_retried) {
            auth_retried = 1;
            force_refresh = 1;
            bn_log(rpc->logger, BREV_LOG_INFO, "%s: token refused (UNAUTHENTICATED), refreshing it once",
                   cs->context);
            bn_attempt_clear(&a);
            continue;
        }

        Nebius__Common__V1__ServiceError *se = bn_status_service_error(a.details);
        int retryable = bn_retry_is_retryable(a.grpc_code, a.message, se);
        if (se)
            protobuf_c_message_free_unpacked(&se->base, NULL);

        if (retryable && attempt_no < max_attempts) {
            unsigned wait = bn_retry_backoff_ms(policy, attempt_no + 1);
            left = deadline - now_ms();
            /* Waiting past the overall deadline would only end in a timeout. */
            if (left > (long long)wait) {
                bn_log(rpc->logger, BREV_LOG_DEBUG, "%s: retrying (attempt %u of %u) in %u ms after %s",
                       cs->context, attempt_no + 1, max_attempts, wait, brev_grpc_status_name(a.grpc_code));
                bn_attempt_clear(&a);
                sleep_ms(wait);
                attempt_no++;
                continue;
            }
        }

        rc = bn_status_error(cs->context, a.grpc_code, a.message, a.details, a.request_id);
        if (a.grpc_code == CODE_DEADLINE_EXCEEDED && deadline - now_ms() <= 0) {
            char note[96];
            snprintf(note, sizeof note, " (call deadline %u ms)", total_ms);
            err_append(note);
        }
        if (sent > 1) {
            char note[64];
            snprintf(note, sizeof note, " (after %u attempts)", sent);
            err_append(note);
        }
        bn_attempt_clear(&a);
        return rc;
    }
}

int bn_rpc_call_via(bn_rpc *rpc, const ProtobufCServiceDescriptor *route_svc, const ProtobufCServiceDescriptor *svc,
                    const char *method, const ProtobufCMessage *req, ProtobufCMessage **resp,
                    const bn_call_options *opts)
{
    static const bn_call_options defaults = {0};
    const ProtobufCMethodDescriptor *m;
    char address[512], context[256], key[37];
    char *path;
    call_state cs;
    int rc;

    if (resp)
        *resp = NULL;
    if (!rpc || !svc || !route_svc || !method || !req || !resp)
        return bn_err_set(BREV_EINVAL, "bn_rpc_call: missing argument");
    if (!opts)
        opts = &defaults;
    m = protobuf_c_service_descriptor_get_method_by_name(svc, method);
    if (!m)
        return bn_err_set(BREV_EINVAL, "%s has no method %s", svc->name, method);
    if (req->descriptor != m->input)
        return bn_err_set(BREV_EINVAL, "%s/%s takes %s, not %s", svc->short_name, method, m->input->name,
                          req->descriptor->name);
    if ((rc = bn_rpc_resolve(rpc, route_svc->name, address, sizeof address)) != 0)
        return rc;
    snprintf(context, sizeof context, "%s/%s", svc->short_name, method);
    path = bn_strfmt("/%s/%s", svc->name, method);
    if (!path)
        return BREV_ENOMEM;

    memset(&cs, 0, sizeof cs);
    cs.rpc = rpc;
    cs.context = context;
    cs.address = address;
    cs.path = path;
    cs.req = req;
    cs.resp_desc = m->output;
    cs.opts = opts;
    if (is_mutating(svc, m)) {
        /* One key for every retry of this logical call: the server runs it once. */
        if (opts->idempotency_key && *opts->idempotency_key) {
            cs.idempotency_key = opts->idempotency_key;
        } else if ((rc = bn_uuid4(key)) != 0) {
            free(path);
            return rc;
        } else {
            cs.idempotency_key = key;
        }
    }
    rc = run(&cs, resp);
    free(path);
    return rc;
}

int bn_rpc_call(bn_rpc *rpc, const ProtobufCServiceDescriptor *svc, const char *method, const ProtobufCMessage *req,
                ProtobufCMessage **resp, const bn_call_options *opts)
{
    return bn_rpc_call_via(rpc, svc, svc, method, req, resp, opts);
}
