/* What the files of src/rpc share: the bn_rpc object and the one-attempt
 * transport (transport.c, the only file calling grpc_*). */
#ifndef BN_RPC_INTERNAL_H
#define BN_RPC_INTERNAL_H

#include <pthread.h>
#include <stddef.h>

#include "google/rpc/status.pb-c.h"
#include "rpc/rpc.h"

typedef struct bn_endpoint_override {
    char *service; /* api service name, e.g. "compute", "tokens.iam" */
    char *address; /* host:port */
} bn_endpoint_override;

struct bn_channels; /* transport.c */

struct bn_rpc {
    char *domain;
    char *endpoint;
    bn_endpoint_override *overrides;
    size_t n_overrides;
    char *ca_pem; /* contents of ca_file, NULL = system roots */
    char *tls_target_name;
    brev_retry_policy retry; /* resolved: no zero fields */
    unsigned keepalive_time_ms;
    unsigned keepalive_timeout_ms;
    const bn_logger *logger;

    pthread_mutex_t token_lock; /* guards token_fn/token_ctx */
    bn_token_fn token_fn;
    void *token_ctx;

    struct bn_channels *channels;
};

/* The keepalive every channel is created with: what transport.c hands gRPC. */
typedef struct bn_keepalive {
    unsigned time_ms;         /* ping an active connection after this much silence */
    unsigned timeout_ms;      /* and drop it if the ping is not answered in time */
    int permit_without_calls; /* ping with no call in flight */
} bn_keepalive;

bn_keepalive bn_rpc_keepalive(const bn_rpc *rpc);

/* One metadata entry of a call (lower-case key). */
typedef struct bn_md {
    const char *key;
    const char *value;
} bn_md;

/* Outcome of one attempt that reached gRPC (even if the connection failed). */
typedef struct bn_attempt {
    int grpc_code;               /* GRPC_STATUS_* */
    char *message;               /* status details text (malloc'd, may be "") */
    Google__Rpc__Status *details; /* grpc-status-details-bin, or NULL */
    char *request_id;            /* x-request-id, or NULL */
    ProtobufCMessage *response;  /* on OK */
} bn_attempt;

void bn_attempt_clear(bn_attempt *a);

/* Channels: created on first use per address, kept until bn_rpc_free. */
int bn_channels_new(struct bn_channels **out);
void bn_channels_free(struct bn_channels *channels);

/* Library-wide gRPC init/shutdown (reference-counted by gRPC). */
void bn_transport_init(void);
void bn_transport_shutdown(void);

/* Runs one unary attempt on `address`. Returns 0 when the call completed
 * (successfully or with a gRPC status in *out), or a negative brev_status
 * when nothing could be sent (out of memory, bad metadata, no channel). */
int bn_transport_attempt(bn_rpc *rpc, const char *address, const char *path, const bn_md *md, size_t n_md,
                         const ProtobufCMessage *req, const ProtobufCMessageDescriptor *resp_desc,
                         unsigned timeout_ms, bn_attempt *out);

/* The api service name of a service full name: "tokens.iam", "cpl.iam", "compute", ... */
int bn_rpc_api_service(const char *service_full_name, char *out, size_t cap);

#endif
