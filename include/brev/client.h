/* The client: credentials, endpoints, TLS, retries, logging.
 *
 * One brev_client serves many threads at once. It owns one TLS gRPC channel per
 * API endpoint, created on first use, and the IAM token cache (refreshed in the
 * background before expiry). */
#ifndef BREV_CLIENT_H
#define BREV_CLIENT_H

#include "common.h"
#include "errors.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct brev_client brev_client;

typedef enum brev_log_level {
    BREV_LOG_DEBUG = 0,
    BREV_LOG_INFO = 1,
    BREV_LOG_WARN = 2,
    BREV_LOG_ERROR = 3
} brev_log_level;

/** Receives library log lines. Never called with a token or key material in
 * the message. May be called from any thread, including the token refresher. */
typedef void (*brev_log_fn)(brev_log_level level, const char *message, void *payload);

/** What a wait is doing, reported about once per poll. */
typedef struct brev_progress {
    const char *what;        /**< e.g. "create instance", "operation" */
    const char *resource_id; /**< resource or operation id, may be "" */
    const char *state;       /**< current state, e.g. "CREATING", "RUNNING"; also
                              * "starting" just before an operation is sent
                              * (stopping there sends nothing), "done" when an
                              * operation finished (too late to stop it: the
                              * answer is ignored, the next step sees it), and
                              * "RATE_LIMITED" while a create waits for a slot */
    double elapsed_s;        /**< seconds since the wait began */
} brev_progress;

/** Called while waiting. Return non-zero to stop waiting: the waiting
 * function then returns BREV_ECANCELLED. A cancelled create still undoes what
 * it made (instance, disk, a cluster group it created) before returning; that
 * cleanup is neither reported here nor cancellable. A cancelled stop, start or
 * terminate leaves the resource as it is, and the error message names it. */
typedef int (*brev_progress_fn)(const brev_progress *progress, void *payload);

/** Retry policy of one logical API call. Zero fields take the defaults, which
 * are those of the official Nebius SDKs. */
typedef struct brev_retry_policy {
    unsigned attempts;           /**< attempts in total, default 3 */
    unsigned attempt_timeout_ms; /**< deadline of each attempt, default 20000 */
    unsigned call_timeout_ms;    /**< overall deadline of the call incl. retries, default 60000 */
    unsigned backoff_ms;         /**< wait before a retry, default 50 (linear: n * backoff_ms) */
    unsigned jitter_percent;     /**< +/- jitter on each backoff, default 10 */
} brev_retry_policy;

#define BREV_CLIENT_OPTIONS_VERSION 1

typedef struct brev_client_options {
    unsigned int version; /**< BREV_CLIENT_OPTIONS_VERSION */

    /* Credentials: exactly one source. When none is set and use_env is on, the
     * environment is read: NEBIUS_IAM_TOKEN, then NEBIUS_SERVICE_ACCOUNT_JSON
     * (path or JSON text), then NEBIUS_SERVICE_ACCOUNT_CREDENTIALS_FILE. */
    const char *credentials_file; /**< path of the Nebius CLI credentials JSON ("subject-credentials") */
    const char *credentials_json; /**< the same JSON as text */
    const char *iam_token;        /**< a ready IAM access token (no exchange, no refresh) */
    /* Or the Nebius CLI profile's key-file form, all three together: */
    const char *service_account_id; /**< "serviceaccount-..." */
    const char *public_key_id;      /**< "publickey-..." */
    const char *private_key_file;   /**< path of the service account's RSA private key (PEM) */

    /* Where resources live. project_id is the parent of every compute/VPC
     * resource; with only tenant_id, the project is found by region. */
    const char *project_id; /**< env NEBIUS_PROJECT_ID */
    const char *tenant_id;  /**< env NEBIUS_TENANT_ID */
    const char *region;     /**< env NEBIUS_REGION, default "eu-north1" */

    /* Endpoints: a service resolves to "{service}.{domain}" (e.g.
     * compute.api.nebius.cloud:443). */
    const char *domain;   /**< default "api.nebius.cloud:443", env NEBIUS_DOMAIN */
    const char *endpoint; /**< one address for every service, env NEBIUS_ENDPOINT */
    /** Per-service overrides, "service=host:port" (service as in "compute",
     * "vpc", "tokens.iam", "cpl.iam"), NULL-terminated array or NULL. */
    const char *const *service_endpoints;

    /* TLS (always on; TLS 1.2 minimum). */
    const char *ca_file;         /**< PEM roots instead of the system roots */
    const char *tls_target_name; /**< TLS name to verify instead of the host (tests only) */

    brev_retry_policy retry;
    unsigned keepalive_time_ms;    /**< default 60000 (servers refuse more frequent pings) */
    unsigned keepalive_timeout_ms; /**< default 10000 */
    unsigned poll_interval_ms;     /**< operation / state polling, default 1000 */
    unsigned auth_timeout_ms;      /**< deadline of one token exchange, default 15000; a call
                                    * that needs a token waits no longer than its own
                                    * deadline either */

    brev_log_fn log;
    void *log_payload;
    brev_log_level log_level; /**< least severe level delivered, default BREV_LOG_INFO */

    brev_progress_fn progress;
    void *progress_payload;

    /** Non-zero: keep a cluster's security group when its last instance is
     * terminated (default: the group is deleted with the last instance). */
    int keep_empty_clusters;

    int use_env; /**< read the NEBIUS_* environment for fields left NULL (set by init) */

    /** Client-side limit on instance creates, the Brev provider's
     * GetMaxCreateRequestsPerMinute: at most this many brev_instance_create
     * calls that make resources begin in any 60 s on this client (all its
     * threads together). A create beyond it waits for a slot within its own
     * timeout_ms, reporting progress (state "RATE_LIMITED"; the callback may
     * cancel: BREV_ECANCELLED), and fails at once with BREV_ETIMEOUT when the
     * next slot opens only after that timeout; nothing is created either way.
     * A create that returns the existing instance of its ref_id takes no
     * slot; a create that fails keeps the one it took. Waiting (rather than
     * failing) is what the Brev control plane expects of a provider that
     * queues. brev_client_options_init sets BREV_DEFAULT_MAX_CREATES_PER_MINUTE;
     * 0 = no limit. */
    unsigned max_creates_per_minute;
} brev_client_options;

/** The Brev provider's limit (GetMaxCreateRequestsPerMinute). */
#define BREV_DEFAULT_MAX_CREATES_PER_MINUTE 10

/** Fills opts with defaults (all NULL/0, use_env = 1, log_level
 * BREV_LOG_INFO, max_creates_per_minute BREV_DEFAULT_MAX_CREATES_PER_MINUTE).
 * Returns BREV_EINVAL for an unknown version. */
BREV_EXTERN int brev_client_options_init(brev_client_options *opts, unsigned int version);

/** Creates a client. Credentials are loaded and checked here (a missing or bad
 * file fails at once, with BREV_ECREDENTIALS); no network call is made.
 * The options and every string in them are copied. Free with brev_client_free. */
BREV_EXTERN int brev_client_new(brev_client **out, const brev_client_options *opts);

/** Frees the client, its channels and wipes its token and key. NULL is allowed. */
BREV_EXTERN void brev_client_free(brev_client *client);

/** The project every resource is created in (resolved from the tenant and
 * region on first use when only a tenant was given). Owned by the client. */
BREV_EXTERN int brev_client_project_id(brev_client *client, const char **project_id);

/** The region of the client's project. Owned by the client. */
BREV_EXTERN const char *brev_client_region(const brev_client *client);

/** Result of brev_auth_check. */
typedef struct brev_auth_info {
    char *subject;       /**< service account id, or "" for a ready IAM token */
    char *key_id;        /**< public key id, or "" */
    int64_t expires_at;  /**< Unix time the token expires, 0 if unknown */
    char *token;         /**< the IAM token, only when asked for; wiped by brev_auth_info_free */
} brev_auth_info;

/** Gets a valid IAM token now (exchanging the JWT if needed) and reports who
 * it is for and until when. The token itself is returned only if with_token is
 * non-zero. Free with brev_auth_info_free. */
BREV_EXTERN int brev_auth_check(brev_client *client, int with_token, brev_auth_info **out);
BREV_EXTERN void brev_auth_info_free(brev_auth_info *info);

#ifdef __cplusplus
}
#endif
#endif
