#include "auth/exchange.h"

#include <openssl/crypto.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "nebius/iam/v1/token_exchange_service.pb-c.h"
#include "nebius/iam/v1/token_service.pb-c.h"
#include "util/error.h"

static void wipe_response(Nebius__Iam__V1__CreateTokenResponse *r)
{
    if (r->access_token)
        OPENSSL_cleanse(r->access_token, strlen(r->access_token));
    protobuf_c_message_free_unpacked(&r->base, NULL);
}

int bn_token_exchange(bn_rpc *rpc, const char *jwt, unsigned timeout_ms, char **token, int64_t *expires_in_s)
{
    Nebius__Iam__V1__ExchangeTokenRequest req = NEBIUS__IAM__V1__EXCHANGE_TOKEN_REQUEST__INIT;
    Nebius__Iam__V1__CreateTokenResponse *resp;
    ProtobufCMessage *out = NULL;
    bn_call_options opts = {0};
    int rc;

    *token = NULL;
    *expires_in_s = 0;
    req.grant_type = (char *)BN_GRANT_TYPE_TOKEN_EXCHANGE;
    req.requested_token_type = (char *)BN_TOKEN_TYPE_ACCESS_TOKEN;
    req.subject_token = (char *)jwt;
    req.subject_token_type = (char *)BN_TOKEN_TYPE_JWT;
    opts.no_auth = 1;
    opts.timeout_ms = timeout_ms;
    rc = bn_rpc_call(rpc, &nebius__iam__v1__token_exchange_service__descriptor, "Exchange", &req.base, &out, &opts);
    if (rc)
        return bn_err_prefix("token exchange");
    resp = (Nebius__Iam__V1__CreateTokenResponse *)out;
    if (strcasecmp(resp->token_type, "Bearer") != 0) {
        rc = bn_err_set(BREV_EAUTH, "token exchange: token_type is \"%.40s\", not Bearer", resp->token_type);
    } else if (!resp->access_token || !*resp->access_token) {
        rc = bn_err_set(BREV_EPROTOCOL, "token exchange: the answer has no access_token");
    } else if (resp->expires_in <= 0) {
        rc = bn_err_set(BREV_EPROTOCOL, "token exchange: expires_in is %lld, want > 0", (long long)resp->expires_in);
    } else if (resp->expires_in > BN_TOKEN_MAX_LIFETIME_S) {
        rc = bn_err_set(BREV_EPROTOCOL,
                        "token exchange: expires_in is %lld s, more than 30 days: not a token lifetime in seconds",
                        (long long)resp->expires_in);
    } else if (!(*token = strdup(resp->access_token))) {
        rc = bn_err_set(BREV_ENOMEM, "out of memory");
    } else {
        *expires_in_s = resp->expires_in;
    }
    wipe_response(resp);
    return rc;
}
