/* Long-running operations: poll nebius.common.v1.Operation until done, on the
 * endpoint of the service that started it. */
#ifndef BN_OPS_OPS_H
#define BN_OPS_OPS_H

#include "rpc/rpc.h"
#include "nebius/common/v1/operation.pb-c.h"

typedef struct bn_wait {
    unsigned timeout_ms;       /* 0 = no deadline but the caller's progress callback */
    unsigned poll_ms;          /* default 1000 */
    const char *what;          /* for progress and messages, e.g. "create disk" */
    brev_progress_fn progress; /* may be NULL; non-zero return = stop (BREV_ECANCELLED) */
    void *payload;
    long long started_ms;      /* when the deadline's clock started (monotonic ms; bn_op_call sets it
                                * to before its call); 0 = when the wait begins */
} bn_wait;

/* Waits until op is done. BREV_OK when its status is OK; otherwise the status
 * (code, message, ServiceError details) as a brev_status with the message set.
 * *resource_id (may be NULL) gets a malloc'd copy of op.resource_id. */
int bn_op_wait(bn_rpc *rpc, const ProtobufCServiceDescriptor *svc, const Nebius__Common__V1__Operation *op,
               const bn_wait *wait, char **resource_id);

/* Calls a mutating method and waits for its operation.
 *
 * Progress, when wait->progress is set: "starting" (resource_id "") before
 * the request is sent, where a non-zero return stops with BREV_ECANCELLED and
 * nothing sent; then "running" once per poll, where a non-zero return stops
 * waiting (the operation goes on; the message names it); then "done", whose
 * return value is ignored because the operation is already over. */
int bn_op_call(bn_rpc *rpc, const ProtobufCServiceDescriptor *svc, const char *method,
               const ProtobufCMessage *req, const bn_call_options *opts, const bn_wait *wait,
               char **resource_id);

#endif
