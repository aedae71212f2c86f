/* The bn_rpc object: configuration, endpoint resolution, lifetime. */
#include "rpc/rpc_internal.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rpc/retry.h"
#include "util/error.h"
#include "util/str.h"

#define DEFAULT_DOMAIN "api.nebius.cloud:443"
#define DEFAULT_KEEPALIVE_TIME_MS 60000u
#define DEFAULT_KEEPALIVE_TIMEOUT_MS 10000u
#define ADMIN_SERVICE "nebiussim.v1.AdminService"
#define MAX_CA_BYTES (4u << 20)

/* Services whose api service name is not their package's 2nd component. */
static const struct {
    const char *service;
    const char *api;
} special_services[] = {
    {"nebius.iam.v1.TokenExchangeService", "tokens.iam"},
    {"nebius.iam.v1.ProjectService", "cpl.iam"},
};

int bn_rpc_api_service(const char *name, char *out, size_t cap)
{
    const char *dot1, *dot2;

    if (!name || !*name)
        return bn_err_set(BREV_EINVAL, "no service name to resolve");
    for (size_t i = 0; i < sizeof special_services / sizeof special_services[0]; i++) {
        if (strcmp(name, special_services[i].service) == 0) {
            snprintf(out, cap, "%s", special_services[i].api);
            return 0;
        }
    }
    if (strcmp(name, ADMIN_SERVICE) == 0) {
        snprintf(out, cap, "nebiussim");
        return 0;
    }
    dot1 = strchr(name, '.');
    dot2 = dot1 ? strchr(dot1 + 1, '.') : NULL;
    if (!dot1 || !dot2 || dot2 == dot1 + 1)
        return bn_err_set(BREV_EINVAL, "cannot derive an endpoint from service name \"%s\"", name);
    if ((size_t)(dot2 - dot1 - 1) >= cap)
        return bn_err_set(BREV_EINVAL, "service name \"%s\" is too long", name);
    memcpy(out, dot1 + 1, (size_t)(dot2 - dot1 - 1));
    out[dot2 - dot1 - 1] = '\0';
    return 0;
}

int bn_rpc_resolve(const bn_rpc *rpc, const char *service_full_name, char *out, size_t cap)
{
    char api[128];
    int rc = bn_rpc_api_service(service_full_name, api, sizeof api);
    int n;

    if (rc)
        return rc;
    for (size_t i = 0; i < rpc->n_overrides; i++) {
        if (strcmp(rpc->overrides[i].service, api) == 0) {
            n = snprintf(out, cap, "%s", rpc->overrides[i].address);
            goto check;
        }
    }
    if (rpc->endpoint) {
        n = snprintf(out, cap, "%s", rpc->endpoint);
        goto check;
    }
    if (strcmp(service_full_name, ADMIN_SERVICE) == 0)
        return bn_err_set(BREV_EINVAL, "%s is served only by nebius-sim: set an endpoint", ADMIN_SERVICE);
    n = snprintf(out, cap, "%s.%s", api, rpc->domain);
check:
    if (n < 0 || (size_t)n >= cap)
        return bn_err_set(BREV_EINVAL, "endpoint address of %s is too long", service_full_name);
    return 0;
}

static int valid_address(const char *a)
{
    const char *colon = strrchr(a, ':');
    char *end;
    long port;

    if (!colon || colon == a || !colon[1])
        return 0;
    errno = 0;
    port = strtol(colon + 1, &end, 10);
    if (errno || *end || port < 1 || port > 65535)
        return 0;
    for (const char *p = a; p < colon; p++)
        if (*p == '/' || *p == ' ' || *p == '=')
            return 0;
    return 1;
}

static int parse_overrides(bn_rpc *rpc, const char *const *list)
{
    size_t n = 0;

    for (const char *const *p = list; p && *p; p++)
        n++;
    if (!n)
        return 0;
    rpc->overrides = calloc(n, sizeof *rpc->overrides);
    if (!rpc->overrides)
        return bn_err_set(BREV_ENOMEM, "out of memory");
    for (size_t i = 0; i < n; i++) {
        const char *eq = strchr(list[i], '=');
        if (!eq || eq == list[i] || !valid_address(eq + 1))
            return bn_err_set(BREV_EINVAL, "service endpoint \"%s\": want \"service=host:port\", e.g. compute=localhost:8443",
                              list[i]);
        rpc->overrides[i].service = strndup(list[i], (size_t)(eq - list[i]));
        rpc->overrides[i].address = strdup(eq + 1);
        rpc->n_overrides = i + 1;
        if (!rpc->overrides[i].service || !rpc->overrides[i].address)
            return bn_err_set(BREV_ENOMEM, "out of memory");
    }
    return 0;
}

static int read_ca(bn_rpc *rpc, const char *path)
{
    FILE *f = fopen(path, "rb");
    size_t len = 0, cap = 8192;
    char *buf;

    if (!f)
        return bn_err_set(BREV_EINVAL, "CA file %s: %s", path, strerror(errno));
    buf = malloc(cap);
    if (!buf) {
        fclose(f);
        return bn_err_set(BREV_ENOMEM, "out of memory");
    }
    for (;;) {
        size_t got;
        if (len + 1 >= cap) {
            char *grown = cap >= MAX_CA_BYTES ? NULL : realloc(buf, cap * 2);
            if (!grown) {
                free(buf);
                fclose(f);
                return bn_err_set(BREV_EINVAL, "CA file %s is larger than %u bytes", path, MAX_CA_BYTES);
            }
            buf = grown;
            cap *= 2;
        }
        got = fread(buf + len, 1, cap - 1 - len, f);
        len += got;
        if (got == 0)
            break;
    }
    if (ferror(f)) {
        int e = errno;
        free(buf);
        fclose(f);
        return bn_err_set(BREV_EINVAL, "CA file %s: %s", path, strerror(e));
    }
    fclose(f);
    buf[len] = '\0';
    if (!strstr(buf, "-----BEGIN CERTIFICATE-----")) {
        free(buf);
        return bn_err_set(BREV_EINVAL, "CA file %s holds no PEM certificate", path);
    }
    rpc->ca_pem = buf;
    return 0;
}

static char *dup_or_null(const char *s, int *failed)
{
    char *copy;
    if (!s || !*s)
        return NULL;
    copy = strdup(s);
    if (!copy)
        *failed = 1;
    return copy;
}

int bn_rpc_new(bn_rpc **out, const bn_rpc_config *config)
{
    bn_rpc *rpc;
    int failed = 0, rc;

    *out = NULL;
    if (!config)
        return bn_err_set(BREV_EINVAL, "no rpc configuration");
    if (config->endpoint && *config->endpoint && !valid_address(config->endpoint))
        return bn_err_set(BREV_EINVAL, "endpoint \"%s\": want host:port", config->endpoint);
    if (config->domain && *config->domain && !valid_address(config->domain))
        return bn_err_set(BREV_EINVAL, "domain \"%s\": want domain:port, e.g. api.nebius.cloud:443",
                          config->domain);
    rpc = calloc(1, sizeof *rpc);
    if (!rpc)
        return bn_err_set(BREV_ENOMEM, "out of memory");
    pthread_mutex_init(&rpc->token_lock, NULL);
    rpc->domain = strdup(config->domain && *config->domain ? config->domain : DEFAULT_DOMAIN);
    rpc->endpoint = dup_or_null(config->endpoint, &failed);
    rpc->tls_target_name = dup_or_null(config->tls_target_name, &failed);
    rpc->retry = bn_retry_policy_resolve(&config->retry);
    rpc->keepalive_time_ms = config->keepalive_time_ms ? config->keepalive_time_ms : DEFAULT_KEEPALIVE_TIME_MS;
    rpc->keepalive_timeout_ms =
        config->keepalive_timeout_ms ? config->keepalive_timeout_ms : DEFAULT_KEEPALIVE_TIMEOUT_MS;
    rpc->logger = config->logger;
    if (!rpc->domain || failed) {
        bn_rpc_free(rpc);
        return bn_err_set(BREV_ENOMEM, "out of memory");
    }
    if ((rc = parse_overrides(rpc, config->service_endpoints)) != 0 ||
        (config->ca_file && *config->ca_file && (rc = read_ca(rpc, config->ca_file)) != 0)) {
        bn_rpc_free(rpc);
        return rc;
    }
    /* gRPC comes last: everything before can fail without touching it. */
    bn_transport_init();
    if ((rc = bn_channels_new(&rpc->channels)) != 0) {
        bn_transport_shutdown();
        bn_rpc_free(rpc);
        return rc;
    }
    *out = rpc;
    return 0;
}

void bn_rpc_free(bn_rpc *rpc)
{
    if (!rpc)
        return;
    if (rpc->channels) {
        bn_channels_free(rpc->channels);
        bn_transport_shutdown();
    }
    for (size_t i = 0; i < rpc->n_overrides; i++) {
        free(rpc->overrides[i].service);
        free(rpc->overrides[i].address);
    }
    free(rpc->overrides);
    free(rpc->domain);
    free(rpc->endpoint);
    free(rpc->tls_target_name);
    free(rpc->ca_pem);
    pthread_mutex_destroy(&rpc->token_lock);
    free(rpc);
}

bn_keepalive bn_rpc_keepalive(const bn_rpc *rpc)
{
    bn_keepalive k;

    /* gRPC takes ints. */
    k.time_ms = rpc->keepalive_time_ms > INT_MAX ? INT_MAX : rpc->keepalive_time_ms;
    k.timeout_ms = rpc->keepalive_timeout_ms > INT_MAX ? INT_MAX : rpc->keepalive_timeout_ms;
    /* Pings on an idle connection make servers answer GOAWAY "too_many_pings"
     * (gRPC servers allow one per 5 min without calls); an idle channel that
     * died is reconnected by the next call instead. */
    k.permit_without_calls = 0;
    return k;
}

void bn_rpc_set_token_source(bn_rpc *rpc, bn_token_fn fn, void *ctx)
{
    pthread_mutex_lock(&rpc->token_lock);
    rpc->token_fn = fn;
    rpc->token_ctx = ctx;
    pthread_mutex_unlock(&rpc->token_lock);
}

const bn_logger *bn_rpc_logger(const bn_rpc *rpc)
{
    return rpc ? rpc->logger : NULL;
}
