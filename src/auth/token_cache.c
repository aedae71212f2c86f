/* The bn_auth object: the IAM token cache.
 *
 * - A valid token is shared by every thread; a refresh never blocks them.
 * - An empty or expired cache fetches on demand, one exchange for all the
 *   threads waiting (singleflight under lock + cond).
 * - A background thread (started with the first token) refreshes at 90 % of
 *   the lifetime; a failed refresh is retried after 1 s, x1.5, up to 60 s,
 *   while the old token stays in use until it expires. */
#include "auth/auth.h"

#include <errno.h>
#include <openssl/crypto.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "auth/credentials.h"
#include "auth/exchange.h"
#include "auth/jwt.h"
#include "util/error.h"
#include "util/str.h"

#define DEFAULT_TIMEOUT_MS 15000u
#define REFRESH_FRACTION 0.9
#define RETRY_FIRST_MS 1000.0
#define RETRY_FACTOR 1.5
#define RETRY_MAX_MS 60000.0

struct bn_auth {
    bn_rpc *rpc;
    const bn_logger *logger;
    unsigned timeout_ms;
    int fixed;                 /* a ready IAM token: no exchange, no refresh */
    bn_sa_credentials creds;   /* secret key (wiped in free) */

    pthread_mutex_t lock;
    pthread_cond_t changed;    /* token installed, fetch finished, or stopping */
    char *token;               /* secret; NULL = none */
    unsigned long generation;  /* bumped whenever the token changes */
    long long obtained_ms;     /* monotonic */
    long long expires_ms;      /* monotonic; 0 = unknown (fixed token) */
    int64_t expires_unix;
    int fetching;              /* an exchange is in flight */
    unsigned long fetch_seq;   /* bumped when a fetch finishes */
    int fetch_rc;              /* result of the last finished fetch */
    int fetch_cut_short;       /* it ran on less than timeout_ms (its caller's deadline) */
    brev_error fetch_error;

    int refresher_started;
    int stopping;
    pthread_t refresher;
    long long next_refresh_ms; /* when the refresher acts next */
    double retry_ms;           /* current backoff of a failing refresh */
};

/* The token generation a thread used last, so a refused token is dropped
 * only if nobody replaced it in the meantime. */
static _Thread_local const bn_auth *last_auth;
static _Thread_local unsigned long last_generation;

static long long mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static struct timespec mono_abs(long long ms)
{
    struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000L};
    return ts;
}

const char *bn_auth_subject(const bn_auth *auth)
{
    return auth->fixed ? "" : auth->creds.service_account_id;
}

const char *bn_auth_key_id(const bn_auth *auth)
{
    return auth->fixed ? "" : auth->creds.key_id;
}

/* Signs a JWT and exchanges it. No lock held. */
static int fetch_token(bn_auth *auth, unsigned timeout_ms, char **token, int64_t *expires_in_s)
{
    char *jwt = NULL;
    int rc = bn_jwt_sign(&auth->creds, time(NULL), &jwt);

    if (rc)
        return rc;
    rc = bn_token_exchange(auth->rpc, jwt, timeout_ms, token, expires_in_s);
    bn_str_free_secret(jwt);
    return rc;
}

static void drop_token_locked(bn_auth *auth)
{
    bn_str_free_secret(auth->token);
    auth->token = NULL;
    auth->expires_ms = 0;
    auth->expires_unix = 0;
    auth->generation++;
}

static void install_token_locked(bn_auth *auth, char *token, int64_t expires_in_s, long long requested_ms)
{
    bn_str_free_secret(auth->token);
    auth->token = token;
    auth->generation++;
    /* Lifetime counts from when the request was sent, as the SDKs do.
     * bn_token_exchange bounds expires_in_s (BN_TOKEN_MAX_LIFETIME_S), so the
     * millisecond arithmetic below cannot overflow. */
    auth->obtained_ms = requested_ms;
    auth->expires_ms = requested_ms + expires_in_s * 1000;
    auth->expires_unix = (int64_t)time(NULL) + expires_in_s - (mono_ms() - requested_ms) / 1000;
    auth->next_refresh_ms = requested_ms + (long long)(expires_in_s * 1000 * REFRESH_FRACTION);
    auth->retry_ms = RETRY_FIRST_MS;
}

static int valid_locked(const bn_auth *auth, long long now)
{
    return auth->token && (auth->fixed || now < auth->expires_ms);
}

/* Runs one exchange with fetching set, on timeout_ms (cut_short: less than
 * the auth timeout, because the caller's deadline is nearer); the lock is
 * released meanwhile. */
static int fetch_locked(bn_auth *auth, unsigned timeout_ms, int cut_short)
{
    char *token = NULL;
    int64_t expires_in = 0;
    long long started = mono_ms();
    int rc;

    auth->fetching = 1;
    pthread_mutex_unlock(&auth->lock);
    bn_log(auth->logger, BREV_LOG_DEBUG, "exchanging the service-account JWT for an IAM token (deadline %u ms)",
           timeout_ms);
    rc = fetch_token(auth, timeout_ms, &token, &expires_in);
    pthread_mutex_lock(&auth->lock);
    auth->fetching = 0;
    auth->fetch_seq++;
    auth->fetch_rc = rc;
    auth->fetch_cut_short = cut_short;
    if (rc == 0) {
        install_token_locked(auth, token, expires_in, started);
        bn_log(auth->logger, BREV_LOG_INFO, "token refreshed, expires in %lld s", (long long)expires_in);
    } else {
        bn_err_save(&auth->fetch_error);
    }
    pthread_cond_broadcast(&auth->changed);
    return rc;
}

static void *refresher_main(void *arg)
{
    bn_auth *auth = arg;

    pthread_mutex_lock(&auth->lock);
    while (!auth->stopping) {
        long long now = mono_ms();
        if (auth->fetching || !auth->token || now < auth->next_refresh_ms) {
            /* No token: the next on-demand fetch installs one and wakes us. */
            if (!auth->token || auth->fetching) {
                pthread_cond_wait(&auth->changed, &auth->lock);
            } else {
                struct timespec until = mono_abs(auth->next_refresh_ms);
                pthread_cond_timedwait(&auth->changed, &auth->lock, &until);
            }
            continue;
        }
        if (fetch_locked(auth, auth->timeout_ms, 0) != 0 && !auth->stopping) {
            brev_error e;
            bn_err_save(&e);
            auth->next_refresh_ms = mono_ms() + (long long)auth->retry_ms;
            bn_log(auth->logger, BREV_LOG_WARN, "token refresh failed, retrying in %.1f s: %s",
                   auth->retry_ms / 1000.0, e.message);
            auth->retry_ms = auth->retry_ms * RETRY_FACTOR > RETRY_MAX_MS ? RETRY_MAX_MS : auth->retry_ms * RETRY_FACTOR;
            /* An expired token helps nobody: the next call fetches on demand. */
            if (auth->token && mono_ms() >= auth->expires_ms)
                drop_token_locked(auth);
        }
    }
    pthread_mutex_unlock(&auth->lock);
    return NULL;
}

static void start_refresher_locked(bn_auth *auth)
{
    if (auth->refresher_started || auth->fixed || auth->stopping)
        return;
    if (pthread_create(&auth->refresher, NULL, refresher_main, auth) == 0)
        auth->refresher_started = 1;
    else
        bn_log(auth->logger, BREV_LOG_WARN, "cannot start the token refresher; tokens are fetched on demand");
}

static int timed_out(void)
{
    return bn_err_set(BREV_ETIMEOUT, "timed out waiting for the IAM token: another thread's token exchange did not "
                                     "finish within this call's deadline");
}

/* A copy of a valid token (fetching one if needed) by deadline_ms (monotonic;
 * 0 = no deadline but the auth timeout of an exchange). Lock held. */
static int token_locked(bn_auth *auth, long long deadline_ms, char **token, int64_t *expires_at)
{
    for (;;) {
        long long now = mono_ms();

        if (valid_locked(auth, now)) {
            if (token && !(*token = strdup(auth->token)))
                return bn_err_set(BREV_ENOMEM, "out of memory");
            if (expires_at)
                *expires_at = auth->expires_unix;
            last_auth = auth;
            last_generation = auth->generation;
            start_refresher_locked(auth);
            return 0;
        }
        if (auth->fixed)
            return bn_err_set(BREV_EAUTH,
                              "the IAM token was refused; a fixed token (iam_token / NEBIUS_IAM_TOKEN) cannot be "
                              "refreshed");
        if (deadline_ms && now >= deadline_ms)
            return timed_out();
        if (auth->fetching) {
            /* Someone is exchanging already: share its result, but only until our own deadline. */
            unsigned long seq = auth->fetch_seq;
            struct timespec until = mono_abs(deadline_ms);
            while (auth->fetching && auth->fetch_seq == seq) {
                if (!deadline_ms)
                    pthread_cond_wait(&auth->changed, &auth->lock);
                else if (pthread_cond_timedwait(&auth->changed, &auth->lock, &until) == ETIMEDOUT &&
                         auth->fetching && auth->fetch_seq == seq)
                    return timed_out();
            }
            if (auth->fetch_seq != seq && auth->fetch_rc != 0 && !valid_locked(auth, mono_ms())) {
                /* A fetch that ran out of its caller's shorter time says nothing
                 * about ours: try again while our deadline lasts. */
                if (auth->fetch_rc == BREV_ETIMEOUT && auth->fetch_cut_short &&
                    (!deadline_ms || mono_ms() < deadline_ms))
                    continue;
                bn_err_restore(&auth->fetch_error);
                return auth->fetch_rc;
            }
            continue;
        }
        {
            unsigned budget = auth->timeout_ms;
            int cut_short = 0;
            if (deadline_ms && deadline_ms - now < (long long)budget) {
                budget = (unsigned)(deadline_ms - now);
                cut_short = 1;
            }
            if (fetch_locked(auth, budget, cut_short) != 0) {
                if (cut_short && bn_err_code() == BREV_ETIMEOUT)
                    return bn_err_prefix("timed out waiting for the IAM token (the call's deadline ended during "
                                         "the token exchange)");
                return bn_err_code();
            }
        }
    }
}

int bn_auth_token(void *ctx, int force_refresh, unsigned timeout_ms, char **token)
{
    bn_auth *auth = ctx;
    long long deadline = mono_ms() + (long long)(timeout_ms ? timeout_ms : 1);
    int rc;

    *token = NULL;
    pthread_mutex_lock(&auth->lock);
    if (force_refresh && !auth->fixed && auth->token && last_auth == auth && last_generation == auth->generation) {
        bn_log(auth->logger, BREV_LOG_DEBUG, "dropping the refused token");
        drop_token_locked(auth);
    } else if (force_refresh && auth->fixed) {
        pthread_mutex_unlock(&auth->lock);
        return bn_err_set(BREV_EAUTH,
                          "the IAM token was refused; a fixed token (iam_token / NEBIUS_IAM_TOKEN) cannot be refreshed");
    }
    rc = token_locked(auth, deadline, token, NULL);
    pthread_mutex_unlock(&auth->lock);
    return rc;
}

int bn_auth_check(bn_auth *auth, char **token, int64_t *expires_at)
{
    int rc;

    if (token)
        *token = NULL;
    *expires_at = 0;
    pthread_mutex_lock(&auth->lock);
    rc = token_locked(auth, 0, token, expires_at);
    pthread_mutex_unlock(&auth->lock);
    return rc;
}

int bn_auth_new(bn_auth **out, bn_rpc *rpc, const bn_auth_config *config)
{
    bn_auth *auth;
    pthread_condattr_t attr;
    int sources, key_file, rc = 0;

    *out = NULL;
    if (!config || !rpc)
        return bn_err_set(BREV_EINVAL, "bn_auth_new: missing argument");
    key_file = (config->service_account_id && *config->service_account_id) ||
               (config->public_key_id && *config->public_key_id) ||
               (config->private_key_file && *config->private_key_file);
    sources = (config->credentials_file && *config->credentials_file) +
              (config->credentials_json && *config->credentials_json) + (config->iam_token && *config->iam_token) +
              key_file;
    if (sources == 0)
        return bn_err_set(BREV_ECREDENTIALS,
                          "no credentials: set credentials_file, credentials_json, iam_token or private_key_file "
                          "(or NEBIUS_SERVICE_ACCOUNT_JSON / NEBIUS_IAM_TOKEN)");
    if (sources > 1)
        return bn_err_set(BREV_EINVAL, "more than one credential source given: set exactly one of credentials_file, "
                                       "credentials_json, iam_token and private_key_file");
    auth = calloc(1, sizeof *auth);
    if (!auth)
        return bn_err_set(BREV_ENOMEM, "out of memory");
    auth->rpc = rpc;
    auth->logger = config->logger;
    auth->timeout_ms = config->timeout_ms ? config->timeout_ms : DEFAULT_TIMEOUT_MS;
    auth->retry_ms = RETRY_FIRST_MS;

    if (config->iam_token && *config->iam_token) {
        auth->fixed = 1;
        if (!(auth->token = strdup(config->iam_token)))
            rc = bn_err_set(BREV_ENOMEM, "out of memory");
    } else if (config->credentials_file && *config->credentials_file) {
        rc = bn_sa_credentials_load_file(&auth->creds, config->credentials_file, config->logger);
    } else if (key_file) {
        if (!config->private_key_file || !*config->private_key_file)
            rc = bn_err_set(BREV_ECREDENTIALS, "service_account_id and public_key_id need private_key_file");
        else
            rc = bn_sa_credentials_from_key_file(&auth->creds, config->service_account_id, config->public_key_id,
                                                 config->private_key_file, config->logger);
    } else {
        rc = bn_sa_credentials_parse(&auth->creds, config->credentials_json, "credentials JSON");
    }
    if (rc) {
        bn_sa_credentials_clear(&auth->creds);
        bn_str_free_secret(auth->token);
        free(auth);
        return rc;
    }
    pthread_mutex_init(&auth->lock, NULL);
    pthread_condattr_init(&attr);
    pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
    pthread_cond_init(&auth->changed, &attr);
    pthread_condattr_destroy(&attr);
    *out = auth;
    return 0;
}

void bn_auth_free(bn_auth *auth)
{
    int started;

    if (!auth)
        return;
    pthread_mutex_lock(&auth->lock);
    auth->stopping = 1;
    started = auth->refresher_started;
    pthread_cond_broadcast(&auth->changed);
    pthread_mutex_unlock(&auth->lock);
    if (started)
        pthread_join(auth->refresher, NULL);
    bn_str_free_secret(auth->token);
    bn_sa_credentials_clear(&auth->creds);
    pthread_cond_destroy(&auth->changed);
    pthread_mutex_destroy(&auth->lock);
    free(auth);
}
