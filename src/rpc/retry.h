/* Which failed attempts are retried and how long to wait before the next one
 * (the official SDKs' policy). No gRPC types: codes are google.rpc.Code values. */
#ifndef BN_RPC_RETRY_H
#define BN_RPC_RETRY_H

#include <brev/client.h>
#include "nebius/common/v1/error.pb-c.h"

#define BN_RETRY_DEFAULT_ATTEMPTS 3u
#define BN_RETRY_DEFAULT_ATTEMPT_TIMEOUT_MS 20000u
#define BN_RETRY_DEFAULT_CALL_TIMEOUT_MS 60000u
#define BN_RETRY_DEFAULT_BACKOFF_MS 50u
#define BN_RETRY_DEFAULT_JITTER_PERCENT 10u

/* The policy with every zero field replaced by its default. */
brev_retry_policy bn_retry_policy_resolve(const brev_retry_policy *p);

/* 1 when an attempt that failed with code (+ message, + ServiceError or NULL)
 * may be tried again; deadlines and the attempt budget are checked by the caller. */
int bn_retry_is_retryable(int grpc_code, const char *message, const Nebius__Common__V1__ServiceError *se);

/* Wait before attempt number `next_attempt` (2, 3, ...): linear
 * backoff_ms * (next_attempt - 1), +/- jitter_percent. */
unsigned bn_retry_backoff_ms(const brev_retry_policy *p, unsigned next_attempt);

#endif
