#include "util/error.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static _Thread_local brev_error last_error = {BREV_OK, -1, "", "", ""};

static void copy_field(char *dst, size_t cap, const char *src)
{
    if (!src)
        src = "";
    snprintf(dst, cap, "%s", src);
}

/* Builds the new error in a local copy first: callers may pass the current
 * error's own fields (message, service_error) as arguments. */
static int set_va(int code, int grpc_status, const char *service_error, const char *request_id,
                  const char *fmt, va_list ap)
{
    brev_error next;

    next.code = code;
    next.grpc_status = grpc_status;
    vsnprintf(next.message, sizeof next.message, fmt, ap);
    copy_field(next.service_error, sizeof next.service_error, service_error);
    copy_field(next.request_id, sizeof next.request_id, request_id);
    last_error = next;
    return code;
}

int bn_err_set(int code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    set_va(code, -1, NULL, NULL, fmt, ap);
    va_end(ap);
    return code;
}

int bn_err_set_grpc(int code, int grpc_status, const char *service_error, const char *request_id,
                    const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    set_va(code, grpc_status, service_error, request_id, fmt, ap);
    va_end(ap);
    return code;
}

int bn_err_prefix(const char *fmt, ...)
{
    char prefix[256];
    char combined[sizeof prefix + sizeof last_error.message + 2];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(prefix, sizeof prefix, fmt, ap);
    va_end(ap);
    snprintf(combined, sizeof combined, "%s: %s", prefix, last_error.message);
    /* The message buffer is fixed: keep the front, where the context is. */
    combined[sizeof last_error.message - 1] = '\0';
    memcpy(last_error.message, combined, sizeof last_error.message);
    return last_error.code;
}

int bn_err_code(void)
{
    return last_error.code;
}

void bn_err_save(brev_error *saved)
{
    *saved = last_error;
}

void bn_err_restore(const brev_error *saved)
{
    last_error = *saved;
}

const brev_error *brev_error_last(void)
{
    return &last_error;
}

const char *brev_error_message(void)
{
    return last_error.message;
}

void brev_error_clear(void)
{
    last_error.code = BREV_OK;
    last_error.grpc_status = -1;
    last_error.message[0] = '\0';
    last_error.service_error[0] = '\0';
    last_error.request_id[0] = '\0';
}

const char *brev_strerror(int code)
{
    switch ((brev_status)code) {
    case BREV_OK: return "success";
    case BREV_ERROR: return "error";
    case BREV_EINVAL: return "invalid argument";
    case BREV_ENOMEM: return "out of memory";
    case BREV_ENOTFOUND: return "not found";
    case BREV_EEXISTS: return "already exists";
    case BREV_EAUTH: return "not authenticated";
    case BREV_ECREDENTIALS: return "bad credentials";
    case BREV_EPERM: return "permission denied";
    case BREV_EQUOTA: return "out of quota";
    case BREV_ECAPACITY: return "insufficient capacity";
    case BREV_EUNAVAILABLE: return "service unavailable";
    case BREV_ETIMEOUT: return "timed out";
    case BREV_EPRECONDITION: return "failed precondition";
    case BREV_EPROTOCOL: return "protocol error";
    case BREV_ECANCELLED: return "cancelled";
    case BREV_EINTERNAL: return "internal service error";
    case BREV_EUNSUPPORTED: return "not supported";
    case BREV_EPOLICY: return "refused by the security policy";
    }
    return "unknown error code";
}

/* gRPC core has no public status-to-string function: this table names all 17. */
static const char *const grpc_status_names[] = {
    "OK", "CANCELLED", "UNKNOWN", "INVALID_ARGUMENT", "DEADLINE_EXCEEDED", "NOT_FOUND",
    "ALREADY_EXISTS", "PERMISSION_DENIED", "RESOURCE_EXHAUSTED", "FAILED_PRECONDITION",
    "ABORTED", "OUT_OF_RANGE", "UNIMPLEMENTED", "INTERNAL", "UNAVAILABLE", "DATA_LOSS",
    "UNAUTHENTICATED",
};

const char *brev_grpc_status_name(int grpc_status)
{
    if (grpc_status < 0 || (size_t)grpc_status >= sizeof grpc_status_names / sizeof grpc_status_names[0])
        return "UNKNOWN_STATUS";
    return grpc_status_names[grpc_status];
}
