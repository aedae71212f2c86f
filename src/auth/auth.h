/* Authentication: where the IAM token of every call comes from.
 *
 * Either a ready IAM token (used as is, never refreshed), or a Nebius
 * service-account credentials file/JSON whose RS256 JWT is exchanged for an
 * IAM token (nebius.iam.v1.TokenExchangeService/Exchange, through src/rpc).
 * Tokens are cached, refreshed in the background at 90 % of their lifetime,
 * and fetched on demand with one exchange for all waiting threads. Key
 * material lives only here and is wiped on every path. */
#ifndef BN_AUTH_AUTH_H
#define BN_AUTH_AUTH_H

#include <stdint.h>

#include "rpc/rpc.h"
#include "util/log.h"

typedef struct bn_auth bn_auth;

typedef struct bn_auth_config {
    const char *credentials_file; /* Nebius CLI credentials JSON file */
    const char *credentials_json; /* the same as text */
    const char *iam_token;        /* a ready token (exclusive with the others) */
    const char *service_account_id; /* key-file form: these three together */
    const char *public_key_id;
    const char *private_key_file;
    unsigned timeout_ms;          /* deadline of one exchange; 0 = 15000 */
    const bn_logger *logger;      /* borrowed, must outlive the auth */
} bn_auth_config;

/* Loads and checks the credentials (BREV_ECREDENTIALS naming what is wrong);
 * makes no network call. rpc is borrowed for the exchange and must outlive
 * the auth. Exactly one credential source must be set. */
int bn_auth_new(bn_auth **out, bn_rpc *rpc, const bn_auth_config *config);

/* Stops the refresher thread and wipes every secret. NULL is allowed. */
void bn_auth_free(bn_auth *auth);

/* A bn_token_fn (ctx = the bn_auth): a valid token, fetching one if needed,
 * within timeout_ms: an exchange this call starts gets min(auth timeout,
 * timeout_ms); waiting for another thread's exchange ends at timeout_ms with
 * BREV_ETIMEOUT. force_refresh drops the token this thread used last (the
 * server refused it). */
int bn_auth_token(void *auth, int force_refresh, unsigned timeout_ms, char **token);

/* Who the credentials are for: service account id and public key id ("" for
 * a ready token). Static for the auth's lifetime. */
const char *bn_auth_subject(const bn_auth *auth);
const char *bn_auth_key_id(const bn_auth *auth);

/* Gets a valid token now (as bn_auth_token) and its expiry (Unix seconds, 0
 * when unknown). *token may be NULL when the caller only checks. */
int bn_auth_check(bn_auth *auth, char **token, int64_t *expires_at);

#endif
