/* Error codes and the per-call error message.
 *
 * Every function that can fail returns an int: BREV_OK (0) or a negative
 * brev_status. The details of the last failure on the calling thread are in
 * brev_error_last(): the message names what was wrong, plus the gRPC status
 * and the Nebius ServiceError code when the failure came from the API. */
#ifndef BREV_ERRORS_H
#define BREV_ERRORS_H

#include "common.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum brev_status {
    BREV_OK = 0,
    BREV_ERROR = -1,        /**< failure that fits no other code */
    BREV_EINVAL = -2,       /**< invalid argument given by the caller (nothing was sent or created) */
    BREV_ENOMEM = -3,       /**< out of memory */
    BREV_ENOTFOUND = -4,    /**< the resource does not exist (gRPC NOT_FOUND) */
    BREV_EEXISTS = -5,      /**< a resource with that name already exists (ALREADY_EXISTS) */
    BREV_EAUTH = -6,        /**< not authenticated: the token exchange or the token was refused */
    BREV_ECREDENTIALS = -7, /**< credentials file/JSON unreadable, malformed or unusable */
    BREV_EPERM = -8,        /**< permission denied */
    BREV_EQUOTA = -9,       /**< out of quota (ServiceError.quota_failure, or RESOURCE_EXHAUSTED) */
    BREV_ECAPACITY = -10,   /**< insufficient capacity (ServiceError.not_enough_resources, or late fallback to STOPPED) */
    BREV_EUNAVAILABLE = -11,/**< service unreachable (connection, TLS, UNAVAILABLE) after retries */
    BREV_ETIMEOUT = -12,    /**< the deadline passed (call or wait) */
    BREV_EPRECONDITION = -13,/**< the resource is in a state that forbids the request (FAILED_PRECONDITION, ABORTED) */
    BREV_EPROTOCOL = -14,   /**< the server answered something that cannot be decoded or makes no sense */
    BREV_ECANCELLED = -15,  /**< the caller cancelled */
    BREV_EINTERNAL = -16,   /**< the service reported an internal error (INTERNAL, UNKNOWN, DATA_LOSS) */
    BREV_EUNSUPPORTED = -17,/**< the request is valid but this backend cannot do it (UNIMPLEMENTED) */
    BREV_EPOLICY = -18      /**< the security policy refuses the request (e.g. a firewall rule too wide) */
} brev_status;

/** Details of the last failure on this thread. Owned by the library, valid
 * until the next library call on this thread; never NULL. */
typedef struct brev_error {
    int code;                 /**< brev_status of the failure (BREV_OK if none) */
    int grpc_status;          /**< gRPC status code, or -1 when the failure did not come from a call */
    char message[1024];       /**< readable text naming what was wrong */
    char service_error[64];   /**< Nebius ServiceError.code (e.g. "NotEnoughResources"), or "" */
    char request_id[96];      /**< x-request-id of the failed call when the server sent one, or "" */
} brev_error;

BREV_EXTERN const brev_error *brev_error_last(void);

/** Shortcut for brev_error_last()->message. */
BREV_EXTERN const char *brev_error_message(void);

/** Resets this thread's last error to BREV_OK / "". */
BREV_EXTERN void brev_error_clear(void);

/** Static text for a brev_status code, e.g. "not found". */
BREV_EXTERN const char *brev_strerror(int code);

/** Name of a gRPC status code, e.g. "UNAVAILABLE" for 14; "UNKNOWN_STATUS" when out of range. */
BREV_EXTERN const char *brev_grpc_status_name(int grpc_status);

#ifdef __cplusplus
}
#endif
#endif
