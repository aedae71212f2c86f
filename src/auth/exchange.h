/* nebius.iam.v1.TokenExchangeService/Exchange: a signed JWT for an IAM token. */
#ifndef BN_AUTH_EXCHANGE_H
#define BN_AUTH_EXCHANGE_H

#include <stdint.h>

#include "rpc/rpc.h"

#define BN_GRANT_TYPE_TOKEN_EXCHANGE "urn:ietf:params:oauth:grant-type:token-exchange"
#define BN_TOKEN_TYPE_ACCESS_TOKEN "urn:ietf:params:oauth:token-type:access_token"
#define BN_TOKEN_TYPE_JWT "urn:ietf:params:oauth:token-type:jwt"

/* Longest token lifetime believed (30 days; IAM tokens live hours). A larger
 * expires_in is not a lifetime in seconds (milliseconds, or a timestamp), and
 * would overflow the cache's millisecond arithmetic. */
#define BN_TOKEN_MAX_LIFETIME_S (30LL * 24 * 3600)

/* Exchanges jwt (unauthenticated call, deadline timeout_ms). On success
 * *token is a malloc'd secret (bn_str_free_secret) valid for *expires_in_s,
 * 1..BN_TOKEN_MAX_LIFETIME_S. An answer whose token_type is not Bearer, with
 * no access_token or an expires_in out of that range is refused. */
int bn_token_exchange(bn_rpc *rpc, const char *jwt, unsigned timeout_ms, char **token, int64_t *expires_in_s);

#endif
