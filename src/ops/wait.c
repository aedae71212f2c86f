/* Waiting for nebius.common.v1.Operation: poll OperationService.Get on the
 * endpoint of the service that started it, until status is present. */
#include "ops/ops.h"

#include <errno.h>
#include <openssl/rand.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "nebius/common/v1/operation_service.pb-c.h"
#include "rpc/status.h"
#include "util/error.h"
#include "util/str.h"

#define DEFAULT_POLL_MS 1000u
#define HEAL_FIRST_MS 1000.0
#define HEAL_MAX_MS 30000.0
#define HEAL_JITTER 0.2

static long long now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void sleep_ms(long long ms)
{
    struct timespec ts;
    if (ms <= 0)
        return;
    ts.tv_sec = (time_t)(ms / 1000);
    ts.tv_nsec = (long)(ms % 1000) * 1000000L;
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
    }
}

/* x (1 +/- HEAL_JITTER) */
static long long jittered(double ms)
{
    unsigned char r[2];
    double f = 1.0;
    if (RAND_bytes(r, sizeof r) == 1)
        f = 1.0 - HEAL_JITTER + 2.0 * HEAL_JITTER * (double)((unsigned)r[0] << 8 | r[1]) / 65535.0;
    return (long long)(ms * f);
}

/* Poll failures that a later poll may not see: the service or the network hiccuped. */
static int can_heal(int code)
{
    return code == BREV_EUNAVAILABLE || code == BREV_ETIMEOUT || code == BREV_EINTERNAL || code == BREV_EQUOTA;
}

static int report(const bn_wait *wait, const char *what, const char *op_id, const char *state, long long started)
{
    brev_progress p;
    if (!wait || !wait->progress)
        return 0;
    p.what = what;
    p.resource_id = op_id;
    p.state = state;
    p.elapsed_s = (double)(now_ms() - started) / 1000.0;
    return wait->progress(&p, wait->payload);
}

static int finish(const Nebius__Common__V1__Operation *op, const char *what, char **resource_id)
{
    char context[320];

    if (resource_id && !(*resource_id = bn_strdup(op->resource_id)))
        return BREV_ENOMEM;
    if (op->status->code == 0)
        return 0;
    snprintf(context, sizeof context, "%s: operation %s", what, op->id);
    bn_status_error(context, op->status->code, op->status->message, op->status, NULL);
    if (op->resource_id && *op->resource_id) {
        brev_error e; /* a copy: the message is rewritten from itself */
        bn_err_save(&e);
        bn_err_set_grpc(e.code, e.grpc_status, e.service_error, e.request_id, "%.900s (resource %s)", e.message,
                        op->resource_id);
    }
    return bn_err_code();
}

int bn_op_wait(bn_rpc *rpc, const ProtobufCServiceDescriptor *svc, const Nebius__Common__V1__Operation *op,
               const bn_wait *wait, char **resource_id)
{
    Nebius__Common__V1__Operation *polled = NULL;
    const Nebius__Common__V1__Operation *cur = op;
    unsigned poll_ms = wait && wait->poll_ms ? wait->poll_ms : DEFAULT_POLL_MS;
    unsigned timeout_ms = wait ? wait->timeout_ms : 0;
    const char *what = wait && wait->what ? wait->what : "operation";
    long long started = wait && wait->started_ms ? wait->started_ms : now_ms();
    double heal_ms = HEAL_FIRST_MS;
    char *op_id;
    int rc;

    if (resource_id)
        *resource_id = NULL;
    if (!rpc || !svc || !op)
        return bn_err_set(BREV_EINVAL, "bn_op_wait: missing argument");
    if (!op->id || !*op->id) {
        if (op->status)
            return finish(op, what, resource_id);
        return bn_err_set(BREV_EPROTOCOL, "%s: the service returned a running operation without an id", what);
    }
    if (!(op_id = bn_strdup(op->id)))
        return BREV_ENOMEM;

    for (;;) {
        Nebius__Common__V1__GetOperationRequest req = NEBIUS__COMMON__V1__GET_OPERATION_REQUEST__INIT;
        ProtobufCMessage *resp = NULL;
        bn_call_options call = {0};
        long long elapsed, wait_ms;

        if (cur->status) {
            /* Shown, but a stop asked for here cannot be honoured: the
             * operation is over and its result stands. The caller's next
             * operation asks again ("starting", in bn_op_call) before
             * anything new is sent, so a stop is acted on there; a callback
             * that answers only once must keep its answer for that report. */
            (void)report(wait, what, op_id, "done", started);
            rc = finish(cur, what, resource_id);
            break;
        }
        if (report(wait, what, op_id, "running", started)) {
            rc = bn_err_set(BREV_ECANCELLED, "%s: cancelled while waiting for operation %s%s%s%s", what, op_id,
                            *cur->resource_id ? "; resource " : "", cur->resource_id,
                            *cur->resource_id ? " may exist" : "");
            break;
        }
        elapsed = now_ms() - started;
        if (timeout_ms && elapsed >= (long long)timeout_ms) {
            rc = bn_err_set(BREV_ETIMEOUT, "%s: operation %s not done after %u ms%s%s%s", what, op_id, timeout_ms,
                            *cur->resource_id ? "; resource " : "", cur->resource_id,
                            *cur->resource_id ? " may exist" : "");
            break;
        }
        wait_ms = poll_ms;
        if (timeout_ms && elapsed + wait_ms > (long long)timeout_ms)
            wait_ms = (long long)timeout_ms - elapsed;
        sleep_ms(wait_ms);

        req.id = op_id;
        if (timeout_ms) {
            long long left = (long long)timeout_ms - (now_ms() - started);
            call.timeout_ms = left > 1000 ? (unsigned)left : 1000u;
        }
        rc = bn_rpc_call_via(rpc, svc, &nebius__common__v1__operation_service__descriptor, "Get", &req.base, &resp,
                             &call);
        if (rc) {
            if (!can_heal(rc)) {
                bn_err_prefix("%s: polling operation %s", what, op_id);
                break;
            }
            long long pause = jittered(heal_ms);
            if (timeout_ms && now_ms() - started + pause >= (long long)timeout_ms) {
                bn_err_prefix("%s: polling operation %s", what, op_id);
                break;
            }
            bn_log(bn_rpc_logger(rpc), BREV_LOG_INFO, "%s: polling operation %s failed, retrying in %lld ms: %s", what,
                   op_id, pause, brev_error_message());
            sleep_ms(pause);
            heal_ms = heal_ms * 2 > HEAL_MAX_MS ? HEAL_MAX_MS : heal_ms * 2;
            continue;
        }
        heal_ms = HEAL_FIRST_MS;
        if (polled)
            protobuf_c_message_free_unpacked(&polled->base, NULL);
        polled = (Nebius__Common__V1__Operation *)resp;
        cur = polled;
    }
    if (polled)
        protobuf_c_message_free_unpacked(&polled->base, NULL);
    free(op_id);
    if (rc && resource_id) {
        /* The caller gets the id of what may exist only through the message. */
        free(*resource_id);
        *resource_id = NULL;
    }
    return rc;
}

int bn_op_call(bn_rpc *rpc, const ProtobufCServiceDescriptor *svc, const char *method, const ProtobufCMessage *req,
               const bn_call_options *opts, const bn_wait *wait, char **resource_id)
{
    ProtobufCMessage *resp = NULL;
    bn_wait rest;
    int rc;

    if (resource_id)
        *resource_id = NULL;
    /* Between two operations of one library call is the one point where a
     * stop costs nothing: ask before sending, so a Ctrl-C that came during
     * the previous operation (or before the first) stops the call here, not
     * after a request whose result would then be unknown. Cleanup waits
     * carry no callback and are never stopped. */
    if (wait && wait->progress &&
        report(wait, wait->what ? wait->what : "operation", "", "starting", now_ms()))
        return bn_err_set(BREV_ECANCELLED, "%s: cancelled before it was sent (nothing new was started)",
                          wait->what ? wait->what : "operation");
    /* The wait's deadline covers the call that starts the operation too: a
     * slow answer leaves the operation less time, not the caller more. */
    if (wait && !wait->started_ms) {
        rest = *wait;
        rest.started_ms = now_ms();
        wait = &rest;
    }
    rc = bn_rpc_call(rpc, svc, method, req, &resp, opts);
    if (rc)
        return rc;
    if (resp->descriptor != &nebius__common__v1__operation__descriptor) {
        protobuf_c_message_free_unpacked(resp, NULL);
        return bn_err_set(BREV_EINVAL, "%s/%s does not return an operation", svc->short_name, method);
    }
    rc = bn_op_wait(rpc, svc, (Nebius__Common__V1__Operation *)resp, wait, resource_id);
    protobuf_c_message_free_unpacked(resp, NULL);
    return rc;
}
