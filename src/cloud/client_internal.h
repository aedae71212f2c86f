/* What the layers above the transport know of a brev_client. */
#ifndef BN_CLOUD_CLIENT_INTERNAL_H
#define BN_CLOUD_CLIENT_INTERNAL_H

#include <pthread.h>

#include <brev/client.h>
#include "ops/ops.h"
#include "rpc/rpc.h"
#include "util/log.h"

struct bn_auth;

struct brev_client {
    bn_logger logger;
    bn_rpc *rpc;
    struct bn_auth *auth;
    brev_progress_fn progress;
    void *progress_payload;
    unsigned poll_interval_ms;
    unsigned call_timeout_ms; /* the retry policy's deadline of one call, resolved */
    int keep_empty_clusters;
    char *project_id; /* resolved lazily from tenant + region when not given */
    char *tenant_id;
    char *region;
    pthread_mutex_t lock; /* guards project_id resolution */
    /* The create rate limit: when each of the `create_limit` create slots
     * was taken (monotonic seconds; 0 = free); guarded by rate_lock. */
    unsigned create_limit; /* 0 = none */
    double *create_times;
    pthread_mutex_t rate_lock;
};

/* The project every resource lives in (resolving it on first use). */
int bn_client_project(brev_client *client, const char **project_id);

/* Takes a create slot (1) when fewer than the limit were taken in the last
 * 60 s, or there is no limit; else 0, with *wait_s the seconds until the
 * oldest leaves the window. *taken_at identifies the slot taken (0: none). */
int bn_client_create_slot(brev_client *client, double *taken_at, double *wait_s);

/* Gives back the slot taken at taken_at: the create made nothing of its own
 * (it returned a concurrent create's instance). */
void bn_client_create_slot_return(brev_client *client, double taken_at);

/* The deadline for one call that must end within budget_ms: the smaller of
 * the two, so one overall deadline (a terminate's) also bounds its calls. */
unsigned bn_client_call_ms(const brev_client *client, unsigned budget_ms);

/* A wait description carrying the client's progress callback and poll interval. */
bn_wait bn_client_wait(const brev_client *client, const char *what, unsigned timeout_ms);

/* Cleanup (undoing what a failed or cancelled call made) must run to the end
 * even after the caller asked to stop waiting: between begin and end, on this
 * thread, bn_client_wait hands out waits without the progress callback, so
 * cleanup neither reports progress nor can be cancelled. Calls nest. */
void bn_client_cleanup_begin(void);
void bn_client_cleanup_end(void);

#endif
