#include "rpc/retry.h"

#include <openssl/rand.h>
#include <string.h>

enum {
    CODE_UNKNOWN = 2, CODE_DEADLINE_EXCEEDED = 4, CODE_RESOURCE_EXHAUSTED = 8, CODE_UNAVAILABLE = 14
};

brev_retry_policy bn_retry_policy_resolve(const brev_retry_policy *p)
{
    brev_retry_policy r = {0};
    if (p)
        r = *p;
    if (!r.attempts)
        r.attempts = BN_RETRY_DEFAULT_ATTEMPTS;
    if (!r.attempt_timeout_ms)
        r.attempt_timeout_ms = BN_RETRY_DEFAULT_ATTEMPT_TIMEOUT_MS;
    if (!r.call_timeout_ms)
        r.call_timeout_ms = BN_RETRY_DEFAULT_CALL_TIMEOUT_MS;
    if (!r.backoff_ms)
        r.backoff_ms = BN_RETRY_DEFAULT_BACKOFF_MS;
    if (!r.jitter_percent)
        r.jitter_percent = BN_RETRY_DEFAULT_JITTER_PERCENT;
    if (r.jitter_percent > 100)
        r.jitter_percent = 100;
    return r;
}

int bn_retry_is_retryable(int grpc_code, const char *message, const Nebius__Common__V1__ServiceError *se)
{
    /* The service's own verdict comes first. */
    if (se) {
        switch (se->retry_type) {
        case NEBIUS__COMMON__V1__SERVICE_ERROR__RETRY_TYPE__CALL:
            return 1;
        case NEBIUS__COMMON__V1__SERVICE_ERROR__RETRY_TYPE__UNIT_OF_WORK:
        case NEBIUS__COMMON__V1__SERVICE_ERROR__RETRY_TYPE__NOTHING:
            return 0;
        default:
            break;
        }
    }
    switch (grpc_code) {
    case CODE_UNAVAILABLE:
    case CODE_DEADLINE_EXCEEDED:
        return 1;
    case CODE_RESOURCE_EXHAUSTED:
        /* Out of quota or capacity does not heal within a call's minute. */
        if (se && (se->details_case == NEBIUS__COMMON__V1__SERVICE_ERROR__DETAILS_QUOTA_FAILURE ||
                   se->details_case == NEBIUS__COMMON__V1__SERVICE_ERROR__DETAILS_NOT_ENOUGH_RESOURCES))
            return 0;
        return 1;
    case CODE_UNKNOWN:
        /* A proxy in front of the API answering 520..529. */
        return message && strstr(message, "unexpected HTTP status code 52") != NULL;
    default:
        return 0;
    }
}

unsigned bn_retry_backoff_ms(const brev_retry_policy *p, unsigned next_attempt)
{
    unsigned base, spread;
    unsigned char r[2];
    long jittered;

    if (next_attempt < 2)
        return 0;
    base = p->backoff_ms * (next_attempt - 1);
    spread = base * p->jitter_percent / 100;
    if (spread == 0)
        return base;
    if (RAND_bytes(r, sizeof r) != 1)
        return base;
    /* uniform in [base - spread, base + spread] */
    jittered = (long)base - (long)spread + (long)(((unsigned)r[0] << 8 | r[1]) % (2 * spread + 1));
    return jittered < 0 ? 0 : (unsigned)jittered;
}
