#include "rpc/status.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <brev/errors.h>
#include "util/error.h"

#define SERVICE_ERROR_TYPE "nebius.common.v1.ServiceError"

/* google.rpc.Code values (identical to grpc_status_code; no gRPC header here). */
enum {
    CODE_OK = 0, CODE_CANCELLED = 1, CODE_UNKNOWN = 2, CODE_INVALID_ARGUMENT = 3, CODE_DEADLINE_EXCEEDED = 4,
    CODE_NOT_FOUND = 5, CODE_ALREADY_EXISTS = 6, CODE_PERMISSION_DENIED = 7, CODE_RESOURCE_EXHAUSTED = 8,
    CODE_FAILED_PRECONDITION = 9, CODE_ABORTED = 10, CODE_OUT_OF_RANGE = 11, CODE_UNIMPLEMENTED = 12,
    CODE_INTERNAL = 13, CODE_UNAVAILABLE = 14, CODE_DATA_LOSS = 15, CODE_UNAUTHENTICATED = 16
};

static int is_service_error_type(const char *type_url)
{
    size_t n, m = strlen(SERVICE_ERROR_TYPE);
    const char *slash;

    if (!type_url)
        return 0;
    /* "type.googleapis.com/nebius.common.v1.ServiceError": the part after the last '/'. */
    slash = strrchr(type_url, '/');
    if (slash)
        type_url = slash + 1;
    n = strlen(type_url);
    return n == m && memcmp(type_url, SERVICE_ERROR_TYPE, m) == 0;
}

Nebius__Common__V1__ServiceError *bn_status_service_error(const Google__Rpc__Status *status)
{
    if (!status)
        return NULL;
    for (size_t i = 0; i < status->n_details; i++) {
        const Google__Protobuf__Any *any = status->details[i];
        if (!any || !is_service_error_type(any->type_url))
            continue;
        /* A detail that does not decode is skipped: the status itself still says what failed. */
        Nebius__Common__V1__ServiceError *se =
            nebius__common__v1__service_error__unpack(NULL, any->value.len, any->value.data);
        if (se)
            return se;
    }
    return NULL;
}

int bn_status_code(int grpc_code, const Nebius__Common__V1__ServiceError *se)
{
    switch (grpc_code) {
    case CODE_OK: return BREV_OK;
    case CODE_NOT_FOUND: return BREV_ENOTFOUND;
    case CODE_ALREADY_EXISTS: return BREV_EEXISTS;
    case CODE_PERMISSION_DENIED: return BREV_EPERM;
    case CODE_UNAUTHENTICATED: return BREV_EAUTH;
    case CODE_INVALID_ARGUMENT:
    case CODE_OUT_OF_RANGE: return BREV_EINVAL;
    case CODE_FAILED_PRECONDITION:
    case CODE_ABORTED: return BREV_EPRECONDITION;
    case CODE_RESOURCE_EXHAUSTED:
        if (se && se->details_case == NEBIUS__COMMON__V1__SERVICE_ERROR__DETAILS_NOT_ENOUGH_RESOURCES)
            return BREV_ECAPACITY;
        return BREV_EQUOTA;
    case CODE_DEADLINE_EXCEEDED: return BREV_ETIMEOUT;
    case CODE_UNAVAILABLE: return BREV_EUNAVAILABLE;
    case CODE_CANCELLED: return BREV_ECANCELLED;
    case CODE_UNIMPLEMENTED: return BREV_EUNSUPPORTED;
    default: return BREV_EINTERNAL;
    }
}

typedef struct text {
    char buf[1024];
    size_t len;
} text;

static void add(text *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void add(text *t, const char *fmt, ...)
{
    va_list ap;
    int n;

    if (t->len >= sizeof t->buf - 1)
        return;
    va_start(ap, fmt);
    n = vsnprintf(t->buf + t->len, sizeof t->buf - t->len, fmt, ap);
    va_end(ap);
    if (n > 0)
        t->len += (size_t)n < sizeof t->buf - t->len ? (size_t)n : sizeof t->buf - t->len - 1;
}

static void add_kv(text *t, int *first, const char *label, const char *value)
{
    if (!value || !*value)
        return;
    add(t, "%s%s %s", *first ? ": " : ", ", label, value);
    *first = 0;
}

/* The ServiceError's details in a few words, e.g. "NotEnoughResources: gpu-h100: no capacity". */
static void describe_service_error(text *t, const Nebius__Common__V1__ServiceError *se)
{
    int first = 1;

    add(t, " [%s", se->code && *se->code ? se->code : "ServiceError");
    switch (se->details_case) {
    case NEBIUS__COMMON__V1__SERVICE_ERROR__DETAILS_BAD_REQUEST:
        for (size_t i = 0; se->bad_request && i < se->bad_request->n_violations; i++) {
            const Nebius__Common__V1__BadRequest__Violation *v = se->bad_request->violations[i];
            add(t, "%s%s: %s", first ? ": " : "; ", v->field, v->message);
            first = 0;
        }
        break;
    case NEBIUS__COMMON__V1__SERVICE_ERROR__DETAILS_BAD_RESOURCE_STATE:
        add_kv(t, &first, "resource", se->bad_resource_state->resource_id);
        add_kv(t, &first, "state", se->bad_resource_state->message);
        break;
    case NEBIUS__COMMON__V1__SERVICE_ERROR__DETAILS_RESOURCE_NOT_FOUND:
        add_kv(t, &first, "resource", se->resource_not_found->resource_id);
        break;
    case NEBIUS__COMMON__V1__SERVICE_ERROR__DETAILS_RESOURCE_ALREADY_EXISTS:
        add_kv(t, &first, "resource", se->resource_already_exists->resource_id);
        break;
    case NEBIUS__COMMON__V1__SERVICE_ERROR__DETAILS_OUT_OF_RANGE:
        add_kv(t, &first, "requested", se->out_of_range->requested);
        add_kv(t, &first, "limit", se->out_of_range->limit);
        break;
    case NEBIUS__COMMON__V1__SERVICE_ERROR__DETAILS_PERMISSION_DENIED:
        add_kv(t, &first, "resource", se->permission_denied->resource_id);
        break;
    case NEBIUS__COMMON__V1__SERVICE_ERROR__DETAILS_RESOURCE_CONFLICT:
        add_kv(t, &first, "resource", se->resource_conflict->resource_id);
        add_kv(t, &first, "conflict", se->resource_conflict->message);
        break;
    case NEBIUS__COMMON__V1__SERVICE_ERROR__DETAILS_OPERATION_ABORTED:
        add_kv(t, &first, "operation", se->operation_aborted->operation_id);
        add_kv(t, &first, "aborted by", se->operation_aborted->aborted_by_operation_id);
        add_kv(t, &first, "resource", se->operation_aborted->resource_id);
        break;
    case NEBIUS__COMMON__V1__SERVICE_ERROR__DETAILS_OPERATION_CONFLICT:
        add_kv(t, &first, "conflicting operation", se->operation_conflict->conflicting_operation_id);
        add_kv(t, &first, "resource", se->operation_conflict->resource_id);
        break;
    case NEBIUS__COMMON__V1__SERVICE_ERROR__DETAILS_TOO_MANY_REQUESTS:
        add_kv(t, &first, "violation", se->too_many_requests->violation);
        break;
    case NEBIUS__COMMON__V1__SERVICE_ERROR__DETAILS_QUOTA_FAILURE:
        for (size_t i = 0; se->quota_failure && i < se->quota_failure->n_violations; i++) {
            const Nebius__Common__V1__QuotaFailure__Violation *v = se->quota_failure->violations[i];
            add(t, "%squota %s: %s (limit %s, requested %s)", first ? ": " : "; ", v->quota, v->message,
                *v->limit ? v->limit : "?", *v->requested ? v->requested : "?");
            first = 0;
        }
        break;
    case NEBIUS__COMMON__V1__SERVICE_ERROR__DETAILS_NOT_ENOUGH_RESOURCES:
        for (size_t i = 0; se->not_enough_resources && i < se->not_enough_resources->n_violations; i++) {
            const Nebius__Common__V1__NotEnoughResources__Violation *v = se->not_enough_resources->violations[i];
            add(t, "%s%s: %s", first ? ": " : "; ", v->resource_type, v->message);
            if (v->requested && *v->requested)
                add(t, " (requested %s)", v->requested);
            first = 0;
        }
        break;
    case NEBIUS__COMMON__V1__SERVICE_ERROR__DETAILS_INTERNAL_ERROR:
        add_kv(t, &first, "request", se->internal_error->request_id);
        add_kv(t, &first, "trace", se->internal_error->trace_id);
        break;
    default:
        break;
    }
    add(t, "]");
}

int bn_status_error(const char *context, int grpc_code, const char *message, const Google__Rpc__Status *details,
                    const char *request_id)
{
    Nebius__Common__V1__ServiceError *se = bn_status_service_error(details);
    text t = {.len = 0};
    int code = bn_status_code(grpc_code, se);

    t.buf[0] = '\0';
    if ((!message || !*message) && details)
        message = details->message;
    add(&t, "%s: %s", context ? context : "call", brev_grpc_status_name(grpc_code));
    if (message && *message)
        add(&t, ": %s", message);
    if (se)
        describe_service_error(&t, se);
    if (request_id && *request_id)
        add(&t, " (request id %s)", request_id);
    bn_err_set_grpc(code, grpc_code, se ? se->code : NULL, request_id, "%s", t.buf);
    if (se)
        protobuf_c_message_free_unpacked(&se->base, NULL);
    return code;
}
