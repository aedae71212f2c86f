/* The transport: one TLS gRPC channel per endpoint, and the one generic unary
 * call every RPC of every service goes through. The only layer that includes
 * <grpc/...>; everything above speaks protobuf-c messages and service
 * descriptors. */
#ifndef BN_RPC_RPC_H
#define BN_RPC_RPC_H

#include <protobuf-c/protobuf-c.h>
#include <stddef.h>

#include <brev/client.h>
#include "util/log.h"

typedef struct bn_rpc bn_rpc;

/* Supplies the bearer token of a call. force_refresh is set after the server
 * answered UNAUTHENTICATED: the cached token must be dropped. timeout_ms is
 * what is left of the calling logical call's deadline (> 0): getting the
 * token must not outlive it, or a short call would wait out a whole token
 * exchange. *token is a malloc'd string the caller wipes and frees
 * (bn_str_free_secret). */
typedef int (*bn_token_fn)(void *ctx, int force_refresh, unsigned timeout_ms, char **token);

typedef struct bn_rpc_config {
    const char *domain;                   /* default "api.nebius.cloud:443" */
    const char *endpoint;                 /* every service to this address */
    const char *const *service_endpoints; /* "service=host:port", NULL-terminated */
    const char *ca_file;                  /* PEM roots; NULL = system roots */
    const char *tls_target_name;          /* tests only */
    brev_retry_policy retry;              /* zero fields = SDK defaults */
    unsigned keepalive_time_ms;
    unsigned keepalive_timeout_ms;
    const bn_logger *logger;              /* borrowed, must outlive the rpc */
} bn_rpc_config;

int bn_rpc_new(bn_rpc **out, const bn_rpc_config *config);
void bn_rpc_free(bn_rpc *rpc);

/* Set once by the client after the auth layer exists (auth itself calls
 * through this rpc, without a token, for the exchange). */
void bn_rpc_set_token_source(bn_rpc *rpc, bn_token_fn fn, void *ctx);

typedef struct bn_call_options {
    unsigned timeout_ms;         /* overall deadline of the logical call; 0 = retry.call_timeout_ms */
    const char *idempotency_key; /* NULL: a fresh UUIDv4 for a mutating call, kept across its retries */
    const char *reset_mask;      /* x-resetmask of an Update, or NULL */
    int no_auth;                 /* the token exchange itself */
    int no_retry;
} bn_call_options;

/* Calls svc/method with req and unpacks the answer into *resp (free it with
 * protobuf_c_message_free_unpacked(*resp, NULL)). A method is mutating when it
 * returns nebius.common.v1.Operation. Retries, deadlines, metadata, the token
 * and the mapping of gRPC status + ServiceError details to a brev_status all
 * happen here. opts may be NULL. */
int bn_rpc_call(bn_rpc *rpc, const ProtobufCServiceDescriptor *svc, const char *method,
                const ProtobufCMessage *req, ProtobufCMessage **resp, const bn_call_options *opts);

/* Same as bn_rpc_call, but sent to the endpoint of route_svc instead of svc's
 * own: operations are polled (nebius.common.v1.OperationService) on the
 * endpoint of the service that created them. */
int bn_rpc_call_via(bn_rpc *rpc, const ProtobufCServiceDescriptor *route_svc, const ProtobufCServiceDescriptor *svc,
                    const char *method, const ProtobufCMessage *req, ProtobufCMessage **resp,
                    const bn_call_options *opts);

/* The logger given in the config (may be NULL); for layers above that log. */
const bn_logger *bn_rpc_logger(const bn_rpc *rpc);

/* The address a service is called on, e.g. "compute.api.nebius.cloud:443" for
 * "nebius.compute.v1.InstanceService". */
int bn_rpc_resolve(const bn_rpc *rpc, const char *service_full_name, char *out, size_t cap);

#endif
