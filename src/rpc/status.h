/* gRPC status + google.rpc.Status details (nebius.common.v1.ServiceError) ->
 * brev_status and a readable message. Shared by failed calls (src/rpc) and
 * failed operations (src/ops), which carry the same details. */
#ifndef BN_RPC_STATUS_H
#define BN_RPC_STATUS_H

#include <stddef.h>
#include <stdint.h>

#include "google/rpc/status.pb-c.h"
#include "nebius/common/v1/error.pb-c.h"

/* The first ServiceError among status->details, unpacked (free with
 * protobuf_c_message_free_unpacked), or NULL when there is none. */
Nebius__Common__V1__ServiceError *bn_status_service_error(const Google__Rpc__Status *status);

/* The brev_status for a gRPC code, refined by the ServiceError (may be NULL):
 * RESOURCE_EXHAUSTED with not_enough_resources is BREV_ECAPACITY. */
int bn_status_code(int grpc_code, const Nebius__Common__V1__ServiceError *se);

/* Sets this thread's error from a failure and returns its brev_status.
 *   context      e.g. "InstanceService/Create" or "operation op-123 (create disk)"
 *   grpc_code    gRPC / google.rpc code (non-zero)
 *   message      the server's message (may be NULL)
 *   details      google.rpc.Status with ServiceError details, or NULL
 *   request_id   x-request-id, or NULL
 * The message reads "<context>: <STATUS>: <message> [<ServiceError code>: <violations>]". */
int bn_status_error(const char *context, int grpc_code, const char *message, const Google__Rpc__Status *details,
                    const char *request_id);

#endif
