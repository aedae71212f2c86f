/* nebius.iam.v1.TokenExchangeService/Exchange: a signed JWT for an IAM token. */
#ifndef BN_AUTH_EXCHANGE_H
#define BN_AUTH_EXCHANGE_H

#include <stdint.h>

#include "rpc/rpc.h"

#define BN_GRANT_TYPE_TOKEN_EXCHANGE "urn:ietf:params:oauth:grant-type:token-exchange"
#define BN_TOKEN_TYPE_ACCESS_TOKEN "urn:ietf:params:oauth:token-type:access_token"
#define BN_TOKEN_TYPE_JWT "urn:ietf:params:oauth:token-type:jwt"

/* Exchanges jwt (unauthenticated call, deadline timeout_ms). On success
 * *token is a malloc'd secret (bn_str_free_secret) valid for *expires_in_s. */
int bn_token_exchange(bn_rpc *rpc, const char *jwt, unsigned timeout_ms, char **token, int64_t *expires_in_s);

#endif
