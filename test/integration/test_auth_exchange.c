/* Service-account auth against nebius-sim: the exchange, the token cache
 * (singleflight, refusal, background refresh), what the sim refuses, and
 * that no secret ever reaches the log. */
#define _GNU_SOURCE /* memmem */
#include <check.h>
#include <jwt.h>
#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "auth/credentials.h"
#include "auth/exchange.h"
#include "auth/jwt.h"
#include "cloud/client_internal.h"
#include "nebius/iam/v1/project_service.pb-c.h"
#include "nebius/iam/v1/token_exchange_service.pb-c.h"
#include "nebius/iam/v1/token_service.pb-c.h"
#include "sim_harness.h"
#include "test_creds.h"
#include "util/str.h"

#if defined(__SANITIZE_ADDRESS__)
/* ASan's allocator hooks (sanitizer/allocator_interface.h, not installed with gcc here). */
int __sanitizer_install_malloc_and_free_hooks(void (*malloc_hook)(const volatile void *, size_t),
                                              void (*free_hook)(const volatile void *));
size_t __sanitizer_get_allocated_size(const volatile void *p);
#endif

#define PROJECT_GET "/nebius.iam.v1.ProjectService/Get"
#define EXCHANGE "/nebius.iam.v1.TokenExchangeService/Exchange"

static bn_test_sim sim;
static brev_client *client;
static bn_test_log *logs;

static void sim_up(void)
{
    ck_assert_int_eq(bn_test_sim_start(&sim, NULL), 0);
}

static void sim_down(void)
{
    bn_test_sim_stop(&sim);
}

static brev_client *new_client(bn_test_log *log)
{
    brev_client_options o;
    brev_client *c = NULL;

    bn_test_client_options(&sim, &o);
    if (log) {
        o.log = bn_test_log_fn;
        o.log_payload = log;
        o.log_level = BREV_LOG_DEBUG;
    }
    ck_assert_msg(brev_client_new(&c, &o) == 0, "%s", brev_error_message());
    return c;
}

static void client_up(void)
{
    if (sim.live)
        return;
    logs = bn_test_log_new();
    client = new_client(logs);
    bn_test_reset(client);
}

static void client_down(void)
{
    brev_client_free(client);
    client = NULL;
    bn_test_log_free(logs);
    logs = NULL;
}

static int exchange_count(void)
{
    json_t *st = bn_test_state(client);
    int n = (int)json_integer_value(json_object_get(st, "exchange_count"));
    json_decref(st);
    return n;
}

static int project_get_with(brev_client *c)
{
    Nebius__Iam__V1__GetProjectRequest req = NEBIUS__IAM__V1__GET_PROJECT_REQUEST__INIT;
    ProtobufCMessage *resp = NULL;
    int rc;

    req.id = "project-sim0000000001";
    rc = bn_rpc_call(c->rpc, &nebius__iam__v1__project_service__descriptor, "Get", &req.base, &resp, NULL);
    if (resp)
        protobuf_c_message_free_unpacked(resp, NULL);
    return rc;
}

static long long mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Waits (10 s at most) until the log has a line containing needle. */
static int wait_for_log(bn_test_log *log, const char *needle)
{
    for (int i = 0; i < 200; i++) {
        if (bn_test_log_contains(log, needle))
            return 1;
        usleep(50000);
    }
    return 0;
}

static int project_get_within(brev_client *c, unsigned timeout_ms)
{
    Nebius__Iam__V1__GetProjectRequest req = NEBIUS__IAM__V1__GET_PROJECT_REQUEST__INIT;
    ProtobufCMessage *resp = NULL;
    bn_call_options o = {0};
    int rc;

    req.id = "project-sim0000000001";
    o.timeout_ms = timeout_ms;
    rc = bn_rpc_call(c->rpc, &nebius__iam__v1__project_service__descriptor, "Get", &req.base, &resp, &o);
    if (resp)
        protobuf_c_message_free_unpacked(resp, NULL);
    return rc;
}

START_TEST(auth_check_reports_subject_and_expiry)
{
    brev_auth_info *info = NULL;
    int before;
    time_t now = time(NULL);

    BN_SIM_ONLY(sim);
    before = exchange_count();
    ck_assert_msg(brev_auth_check(client, 0, &info) == 0, "%s", brev_error_message());
    ck_assert_str_eq(info->subject, "serviceaccount-sim0000000001");
    ck_assert_str_eq(info->key_id, "publickey-sim0000000001");
    ck_assert_ptr_null(info->token);
    /* sim default ttl: 3600 s */
    ck_assert_msg(info->expires_at >= now + 3500 && info->expires_at <= now + 3700, "expires_at %lld",
                  (long long)info->expires_at);
    brev_auth_info_free(info);
    ck_assert_int_eq(exchange_count(), before + 1);

    /* cached: with the token, and no second exchange */
    ck_assert_int_eq(brev_auth_check(client, 1, &info), 0);
    ck_assert_ptr_nonnull(info->token);
    ck_assert_int_gt((int)strlen(info->token), 10);
    brev_auth_info_free(info);
    ck_assert_int_eq(project_get_with(client), 0);
    ck_assert_int_eq(exchange_count(), before + 1);
    ck_assert(bn_test_log_contains(logs, "token refreshed, expires in 3600 s"));
}
END_TEST

START_TEST(unauthenticated_refreshes_once_and_retries_once)
{
    brev_auth_info *info = NULL;
    int before;
    json_t *log, *reqs;

    BN_SIM_ONLY(sim);
    ck_assert_int_eq(brev_auth_check(client, 0, &info), 0);
    brev_auth_info_free(info);
    before = exchange_count();
    bn_test_expire_tokens(client);
    ck_assert_msg(project_get_with(client) == 0, "%s", brev_error_message());
    ck_assert_int_eq(exchange_count(), before + 1);
    log = bn_test_requests(client, PROJECT_GET, 0);
    reqs = json_object_get(log, "requests");
    ck_assert_int_eq((int)json_array_size(reqs), 2);
    ck_assert_str_eq(json_string_value(json_object_get(json_array_get(reqs, 0), "code_name")), "UNAUTHENTICATED");
    ck_assert_str_eq(json_string_value(json_object_get(json_array_get(reqs, 1), "code_name")), "OK");
    json_decref(log);
}
END_TEST

START_TEST(unauthenticated_twice_is_an_auth_error)
{
    brev_auth_info *info = NULL;
    Nebiussim__V1__InjectFaultRequest f = NEBIUSSIM__V1__INJECT_FAULT_REQUEST__INIT;

    BN_SIM_ONLY(sim);
    ck_assert_int_eq(brev_auth_check(client, 0, &info), 0);
    brev_auth_info_free(info);
    f.method = PROJECT_GET;
    f.code = 16;
    f.count = 5;
    ck_assert_int_eq(bn_test_fault(client, &f), 0);
    ck_assert_int_eq(project_get_with(client), BREV_EAUTH);
    /* one refusal, one retry with a fresh token, then stop */
    ck_assert_int_eq(bn_test_request_count(client, PROJECT_GET), 2);
}
END_TEST

typedef struct worker {
    brev_client *c;
    pthread_barrier_t *start;
    int rc;
} worker;

static void *call_in_thread(void *arg)
{
    worker *w = arg;
    pthread_barrier_wait(w->start);
    w->rc = project_get_with(w->c);
    if (w->rc == 0)
        w->rc = project_get_with(w->c);
    return NULL;
}

static void run_threads(brev_client *c, int n)
{
    pthread_t t[8];
    worker w[8];
    pthread_barrier_t start;

    pthread_barrier_init(&start, NULL, (unsigned)n);
    for (int i = 0; i < n; i++) {
        w[i].c = c;
        w[i].start = &start;
        w[i].rc = -100;
        ck_assert_int_eq(pthread_create(&t[i], NULL, call_in_thread, &w[i]), 0);
    }
    for (int i = 0; i < n; i++) {
        pthread_join(t[i], NULL);
        ck_assert_msg(w[i].rc == 0, "thread %d: %d", i, w[i].rc);
    }
    pthread_barrier_destroy(&start);
}

START_TEST(eight_threads_on_a_cold_cache_share_one_exchange)
{
    brev_client *c;
    int before;

    BN_SIM_ONLY(sim);
    before = exchange_count();
    c = new_client(NULL);
    run_threads(c, 8);
    brev_client_free(c);
    ck_assert_int_eq(exchange_count(), before + 1);
    ck_assert_int_eq(bn_test_request_count(client, PROJECT_GET), 16);
}
END_TEST

/* Rounds 2..4 answer half the refused calls late, after the token was
 * replaced: a late refusal must not drop the fresh token (the generation
 * check), or it costs another exchange. Round 1 is the plain race. */
START_TEST(eight_threads_while_the_token_expires_share_one_exchange)
{
    brev_auth_info *info = NULL;
    Nebiussim__V1__InjectFaultRequest f = NEBIUSSIM__V1__INJECT_FAULT_REQUEST__INIT;
    int before;

    BN_SIM_ONLY(sim);
    ck_assert_int_eq(brev_auth_check(client, 0, &info), 0);
    brev_auth_info_free(info);
    for (int round = 1; round <= 4; round++) {
        before = exchange_count();
        bn_test_expire_tokens(client);
        if (round > 1) {
            f.method = PROJECT_GET;
            f.latency_ms = 500;
            f.count = 4;
            ck_assert_int_eq(bn_test_fault(client, &f), 0);
        }
        run_threads(client, 8);
        ck_assert_msg(exchange_count() == before + 1, "round %d: %d exchanges", round, exchange_count() - before);
    }
}
END_TEST

/* The token is fetched inside the call: the call's deadline bounds it, not the 15 s auth timeout. */
START_TEST(cold_cache_call_times_out_at_its_own_deadline)
{
    Nebiussim__V1__InjectFaultRequest f = NEBIUSSIM__V1__INJECT_FAULT_REQUEST__INIT;
    long long started, took;
    int rc;

    BN_SIM_ONLY(sim);
    f.method = EXCHANGE;
    f.hang = 1;
    ck_assert_int_eq(bn_test_fault(client, &f), 0);
    started = mono_ms();
    rc = project_get_within(client, 400);
    took = mono_ms() - started;
    ck_assert_msg(rc == BREV_ETIMEOUT, "rc %d: %s", rc, brev_error_message());
    ck_assert_msg(strstr(brev_error_message(), "ProjectService/Get: getting an IAM token: timed out waiting for the "
                                               "IAM token") == brev_error_message(),
                  "%s", brev_error_message());
    ck_assert_msg(strstr(brev_error_message(), "DEADLINE_EXCEEDED") != NULL, "%s", brev_error_message());
    /* generous: far below the 15 s the exchange would get on its own */
    ck_assert_msg(took < 10000, "took %lld ms", took);
    ck_assert_int_eq(bn_test_request_count(client, PROJECT_GET), 0);
}
END_TEST

typedef struct slow_call {
    brev_client *c;
    int rc;
} slow_call;

static void *project_get_in_thread(void *arg)
{
    slow_call *sc = arg;
    sc->rc = project_get_with(sc->c);
    return NULL;
}

/* While another thread's (slow) exchange is in flight, a short call waits
 * only until its own deadline. */
START_TEST(waiting_for_another_threads_exchange_ends_at_the_deadline)
{
    Nebiussim__V1__InjectFaultRequest f = NEBIUSSIM__V1__INJECT_FAULT_REQUEST__INIT;
    slow_call first = {client, -100};
    pthread_t t;
    long long started, took;
    int rc, before;

    BN_SIM_ONLY(sim);
    before = exchange_count();
    f.method = EXCHANGE;
    f.latency_ms = 3000;
    f.count = 1;
    ck_assert_int_eq(bn_test_fault(client, &f), 0);
    ck_assert_int_eq(pthread_create(&t, NULL, project_get_in_thread, &first), 0);
    ck_assert_msg(wait_for_log(logs, "exchanging the service-account JWT for an IAM token"), "no exchange started");
    started = mono_ms();
    rc = project_get_within(client, 400);
    took = mono_ms() - started;
    ck_assert_msg(rc == BREV_ETIMEOUT, "rc %d: %s", rc, brev_error_message());
    ck_assert_msg(strstr(brev_error_message(), "timed out waiting for the IAM token: another thread's token exchange") !=
                      NULL,
                  "%s", brev_error_message());
    ck_assert_msg(took < 10000, "took %lld ms", took);
    pthread_join(t, NULL);
    /* the slow exchange itself was fine and shared by nobody else */
    ck_assert_msg(first.rc == 0, "first call: %d", first.rc);
    ck_assert_int_eq(exchange_count(), before + 1);
    ck_assert_int_eq(bn_test_request_count(client, PROJECT_GET), 1);
}
END_TEST

/* A JWT built by the test itself, sent straight to Exchange. */
static int exchange_raw(const char *jwt_text)
{
    char *token = NULL;
    int64_t expires = 0;
    int rc = bn_token_exchange(client->rpc, jwt_text, 5000, &token, &expires);
    free(token);
    return rc;
}

static char *sim_private_key(void)
{
    bn_sa_credentials c;
    char *pem;
    ck_assert_int_eq(bn_sa_credentials_load_file(&c, sim.key_file, NULL), 0);
    pem = strdup(c.private_key_pem);
    bn_sa_credentials_clear(&c);
    return pem;
}

/* The SPKI "BEGIN PUBLIC KEY" PEM of a private key PEM. */
static char *public_pem_of(const char *private_pem)
{
    BIO *in = BIO_new_mem_buf(private_pem, -1), *out = BIO_new(BIO_s_mem());
    EVP_PKEY *key;
    char *data = NULL, *pem;
    long n;

    ck_assert_ptr_nonnull(in);
    ck_assert_ptr_nonnull(out);
    key = PEM_read_bio_PrivateKey(in, NULL, NULL, NULL);
    ck_assert_ptr_nonnull(key);
    ck_assert_int_eq(PEM_write_bio_PUBKEY(out, key), 1);
    n = BIO_get_mem_data(out, &data);
    pem = strndup(data, (size_t)n);
    ck_assert_ptr_nonnull(pem);
    EVP_PKEY_free(key);
    BIO_free(in);
    BIO_free(out);
    return pem;
}

static char *make_jwt(jwt_alg_t alg, const char *key, const char *kid, const char *aud, long exp_offset)
{
    jwt_t *j = NULL;
    char *out;
    time_t now = time(NULL);

    ck_assert_int_eq(jwt_new(&j), 0);
    jwt_add_header(j, "kid", kid);
    jwt_add_grant(j, "iss", "serviceaccount-sim0000000001");
    jwt_add_grant(j, "sub", "serviceaccount-sim0000000001");
    jwt_add_grant(j, "aud", aud);
    jwt_add_grant_int(j, "iat", (long)now);
    jwt_add_grant_int(j, "exp", (long)now + exp_offset);
    ck_assert_int_eq(jwt_set_alg(j, alg, (const unsigned char *)key, (int)strlen(key)), 0);
    out = jwt_encode_str(j);
    jwt_free(j);
    ck_assert_ptr_nonnull(out);
    return out;
}

START_TEST(sim_accepts_our_jwt_and_refuses_forgeries)
{
    bn_sa_credentials creds;
    char *pem, *other;
    char *jwt_text = NULL;
    static const char *aud = "token-service.iam.new.nebiuscloud.net";

    /* before anything reads the sim's key file, which a live run has not */
    BN_SIM_ONLY(sim);
    pem = sim_private_key();
    other = bn_test_genpkey("-algorithm RSA -pkeyopt rsa_keygen_bits:2048");
    /* ours, exactly as the library builds it */
    ck_assert_int_eq(bn_sa_credentials_load_file(&creds, sim.key_file, NULL), 0);
    ck_assert_int_eq(bn_jwt_sign(&creds, time(NULL), &jwt_text), 0);
    bn_sa_credentials_clear(&creds);
    ck_assert_msg(exchange_raw(jwt_text) == 0, "%s", brev_error_message());
    free(jwt_text);

    /* HS256 "signed" with a shared secret */
    jwt_text = make_jwt(JWT_ALG_HS256, "a-shared-secret-of-32-bytes-long", "publickey-sim0000000001", aud, 60);
    ck_assert_int_eq(exchange_raw(jwt_text), BREV_EAUTH);
    ck_assert_msg(strstr(brev_error_message(), "RS256") != NULL, "%s", brev_error_message());
    free(jwt_text);

    /* Algorithm confusion: HS256 MAC'd with the account's public key PEM as
     * the secret. A verifier that takes alg from the header accepts it (libjwt
     * does, shown here); the server must not. */
    {
        char *pub = public_pem_of(pem);
        jwt_t *decoded = NULL;
        jwt_text = make_jwt(JWT_ALG_HS256, pub, "publickey-sim0000000001", aud, 60);
        ck_assert_int_eq(jwt_decode(&decoded, jwt_text, (const unsigned char *)pub, (int)strlen(pub)), 0);
        ck_assert_int_eq(jwt_get_alg(decoded), JWT_ALG_HS256);
        jwt_free(decoded);
        ck_assert_int_eq(exchange_raw(jwt_text), BREV_EAUTH);
        ck_assert_msg(strstr(brev_error_message(), "RS256") != NULL, "%s", brev_error_message());
        free(jwt_text);
        free(pub);
    }

    /* RS256 signed by a key that is not the account's */
    jwt_text = make_jwt(JWT_ALG_RS256, other, "publickey-sim0000000001", aud, 60);
    ck_assert_int_eq(exchange_raw(jwt_text), BREV_EAUTH);
    ck_assert_msg(strstr(brev_error_message(), "signature") != NULL, "%s", brev_error_message());
    free(jwt_text);

    /* unknown kid */
    jwt_text = make_jwt(JWT_ALG_RS256, pem, "publickey-nosuchkey0001", aud, 60);
    ck_assert_int_eq(exchange_raw(jwt_text), BREV_EAUTH);
    free(jwt_text);

    /* wrong audience */
    jwt_text = make_jwt(JWT_ALG_RS256, pem, "publickey-sim0000000001", "somebody-else", 60);
    ck_assert_int_eq(exchange_raw(jwt_text), BREV_EAUTH);
    ck_assert_msg(strstr(brev_error_message(), "aud") != NULL, "%s", brev_error_message());
    free(jwt_text);

    /* expired */
    jwt_text = make_jwt(JWT_ALG_RS256, pem, "publickey-sim0000000001", aud, -600);
    ck_assert_int_eq(exchange_raw(jwt_text), BREV_EAUTH);
    ck_assert_msg(strstr(brev_error_message(), "expired") != NULL, "%s", brev_error_message());
    free(jwt_text);

    /* expired a moment ago: no grace period */
    jwt_text = make_jwt(JWT_ALG_RS256, pem, "publickey-sim0000000001", aud, -5);
    ck_assert_int_eq(exchange_raw(jwt_text), BREV_EAUTH);
    ck_assert_msg(strstr(brev_error_message(), "expired") != NULL, "%s", brev_error_message());
    free(jwt_text);
    free(pem);
    free(other);
}
END_TEST

/* Our own JWT exchanged for a planted answer (admin fault override_token_response). */
static int exchange_planted(const char *token_type, int64_t expires_in, const char *access_token, char **token,
                            int64_t *expires)
{
    Nebiussim__V1__InjectFaultRequest f = NEBIUSSIM__V1__INJECT_FAULT_REQUEST__INIT;
    bn_sa_credentials creds;
    char *jwt_text = NULL;
    int rc;

    f.method = EXCHANGE;
    f.count = 1;
    f.override_token_response = 1;
    f.token_type = (char *)token_type;
    f.expires_in = expires_in;
    f.access_token = (char *)access_token;
    ck_assert_int_eq(bn_test_fault(client, &f), 0);
    ck_assert_int_eq(bn_sa_credentials_load_file(&creds, sim.key_file, NULL), 0);
    ck_assert_int_eq(bn_jwt_sign(&creds, time(NULL), &jwt_text), 0);
    bn_sa_credentials_clear(&creds);
    *token = NULL;
    *expires = -1;
    rc = bn_token_exchange(client->rpc, jwt_text, 5000, token, expires);
    bn_str_free_secret(jwt_text);
    return rc;
}

static void expect_refused(const char *token_type, int64_t expires_in, const char *access_token, int code,
                           const char *text)
{
    char *token;
    int64_t expires;
    int rc = exchange_planted(token_type, expires_in, access_token, &token, &expires);

    ck_assert_msg(rc == code, "type \"%s\" expires_in %lld: rc %d (%s)", token_type, (long long)expires_in, rc,
                  brev_error_message());
    ck_assert_ptr_null(token);
    ck_assert_msg(strstr(brev_error_message(), text) != NULL, "want \"%s\" in: %s", text, brev_error_message());
}

START_TEST(exchange_answers_are_checked)
{
    char *token = NULL;
    int64_t expires = 0;
    const int64_t thirty_days = 30LL * 24 * 3600;
    int before;

    BN_SIM_ONLY(sim);
    before = exchange_count();
    expect_refused("MAC", 3600, "planted-token-1", BREV_EAUTH, "token_type is \"MAC\", not Bearer");
    expect_refused("", 3600, "planted-token-1", BREV_EAUTH, "not Bearer");
    expect_refused("Bearer", 3600, "", BREV_EPROTOCOL, "no access_token");
    expect_refused("Bearer", 0, "planted-token-1", BREV_EPROTOCOL, "expires_in is 0, want > 0");
    expect_refused("Bearer", -5, "planted-token-1", BREV_EPROTOCOL, "expires_in is -5, want > 0");
    expect_refused("Bearer", thirty_days + 1, "planted-token-1", BREV_EPROTOCOL, "more than 30 days");
    expect_refused("Bearer", INT64_MAX, "planted-token-1", BREV_EPROTOCOL, "more than 30 days");

    /* the edges that are fine: any case of Bearer (as gosdk), exactly 30 days */
    ck_assert_msg(exchange_planted("bearer", thirty_days, "planted-token-2", &token, &expires) == 0, "%s",
                  brev_error_message());
    ck_assert_str_eq(token, "planted-token-2");
    ck_assert_int_eq(expires, thirty_days);
    bn_str_free_secret(token);
    ck_assert_int_eq(exchange_count(), before + 8);
}
END_TEST

/* Through the cache: an absurd lifetime is refused (not installed, no
 * overflow), and the next call gets a real token. */
START_TEST(absurd_lifetime_is_not_cached)
{
    Nebiussim__V1__InjectFaultRequest f = NEBIUSSIM__V1__INJECT_FAULT_REQUEST__INIT;
    brev_auth_info *info = NULL;
    int before;

    BN_SIM_ONLY(sim);
    before = exchange_count();
    f.method = EXCHANGE;
    f.count = 1;
    f.override_token_response = 1;
    f.token_type = "Bearer";
    f.expires_in = INT64_MAX;
    f.access_token = "planted-token-3";
    ck_assert_int_eq(bn_test_fault(client, &f), 0);
    ck_assert_int_eq(brev_auth_check(client, 0, &info), BREV_EPROTOCOL);
    ck_assert_ptr_null(info);
    ck_assert_msg(strstr(brev_error_message(), "more than 30 days") != NULL, "%s", brev_error_message());
    ck_assert_msg(project_get_with(client) == 0, "%s", brev_error_message());
    ck_assert_int_eq(exchange_count(), before + 2);
}
END_TEST

/* The exchange is the one call without a bearer token, even with one cached. */
START_TEST(exchange_carries_no_authorization)
{
    bn_sa_credentials creds;
    brev_auth_info *info = NULL;
    char *jwt_text = NULL;
    json_t *log, *reqs;

    BN_SIM_ONLY(sim);
    ck_assert_int_eq(brev_auth_check(client, 0, &info), 0);
    brev_auth_info_free(info);
    ck_assert_int_eq(bn_sa_credentials_load_file(&creds, sim.key_file, NULL), 0);
    ck_assert_int_eq(bn_jwt_sign(&creds, time(NULL), &jwt_text), 0);
    bn_sa_credentials_clear(&creds);
    ck_assert_msg(exchange_raw(jwt_text) == 0, "%s", brev_error_message());
    free(jwt_text);
    ck_assert_int_eq(project_get_with(client), 0);

    log = bn_test_requests(client, "", 0);
    reqs = json_object_get(log, "requests");
    ck_assert_int_eq((int)json_array_size(reqs), 3);
    for (size_t i = 0; i < json_array_size(reqs); i++) {
        json_t *r = json_array_get(reqs, i);
        const char *method = json_string_value(json_object_get(r, "method"));
        json_t *auth = json_object_get(json_object_get(r, "metadata"), "authorization");
        if (strcmp(method, EXCHANGE) == 0)
            ck_assert_msg(auth == NULL, "Exchange request %zu carried authorization", i);
        else
            ck_assert_msg(auth != NULL, "%s carried no authorization", method);
    }
    json_decref(log);
}
END_TEST

#if defined(__SANITIZE_ADDRESS__)
/* Every block freed while a secret is hunted is searched for it. */
static const char *_Atomic hunted;
static atomic_int hunted_found;

static void on_malloc(const volatile void *p, size_t n)
{
    (void)p;
    (void)n;
}

static void on_free(const volatile void *p)
{
    const char *h = atomic_load(&hunted);
    if (!h || !p)
        return;
    if (memmem((const void *)p, __sanitizer_get_allocated_size(p), h, strlen(h)))
        atomic_store(&hunted_found, 1);
}

static void hunt(const char *secret)
{
    static int installed; /* once per process: CK_FORK=no runs every test in one */

    atomic_store(&hunted_found, 0);
    if (!installed)
        ck_assert_int_eq(__sanitizer_install_malloc_and_free_hooks(on_malloc, on_free), 1);
    installed = 1;
    atomic_store(&hunted, secret);
}

/* The IAM token of an Exchange answer is wiped wherever the library holds it
 * before that memory is freed: the request that planted it, the received
 * message, its flattened copy, the unpacked answer. */
START_TEST(exchange_answer_bytes_are_wiped_before_free)
{
    static char marker[] = "planted-secret-token-0123456789abcdef";
    char *token = NULL;
    int64_t expires = 0;
    int rc;

    BN_SIM_ONLY(sim);
    hunt(marker);
    rc = exchange_planted("Bearer", 3600, marker, &token, &expires);
    ck_assert_msg(rc == 0, "%s", brev_error_message());
    ck_assert_str_eq(token, marker);
    bn_str_free_secret(token);
    atomic_store(&hunted, NULL);
    ck_assert_msg(!atomic_load(&hunted_found), "a freed block still held the token");
}
END_TEST

/* A cached token sent as `authorization: Bearer ...`: the metadata copy gRPC
 * sends from is wiped too (the sim refuses this planted token; the refusal
 * drops it and the retry fetches a real one). */
START_TEST(bearer_metadata_bytes_are_wiped_before_free)
{
    static char marker[] = "planted-secret-token-md-0123456789abcdef";
    Nebiussim__V1__InjectFaultRequest f = NEBIUSSIM__V1__INJECT_FAULT_REQUEST__INIT;
    brev_auth_info *info = NULL;

    BN_SIM_ONLY(sim);
    f.method = EXCHANGE;
    f.count = 1;
    f.override_token_response = 1;
    f.token_type = "Bearer";
    f.expires_in = 3600;
    f.access_token = marker;
    ck_assert_int_eq(bn_test_fault(client, &f), 0);
    ck_assert_int_eq(brev_auth_check(client, 1, &info), 0);
    ck_assert_str_eq(info->token, marker);
    brev_auth_info_free(info);
    hunt(marker);
    ck_assert_msg(project_get_with(client) == 0, "%s", brev_error_message());
    atomic_store(&hunted, NULL);
    ck_assert_msg(!atomic_load(&hunted_found), "a freed block still held the token");
    /* it really went out as a bearer token, and was refused */
    ck_assert_int_eq(bn_test_request_count(client, PROJECT_GET), 2);
}
END_TEST
#endif

START_TEST(no_secret_reaches_the_log)
{
    brev_auth_info *info = NULL;
    Nebiussim__V1__InjectFaultRequest f = NEBIUSSIM__V1__INJECT_FAULT_REQUEST__INIT;
    char *pem, *text, *body_line, *nl;

    BN_SIM_ONLY(sim);
    /* a failed and retried call, a refused token, a refresh: everything that logs */
    ck_assert_int_eq(brev_auth_check(client, 1, &info), 0);
    f.method = PROJECT_GET;
    f.code = 14;
    f.count = 1;
    ck_assert_int_eq(bn_test_fault(client, &f), 0);
    ck_assert_int_eq(project_get_with(client), 0);
    bn_test_expire_tokens(client);
    ck_assert_int_eq(project_get_with(client), 0);

    text = bn_test_log_text(logs);
    ck_assert_msg(strlen(text) > 0, "nothing was logged");
    ck_assert_msg(strstr(text, "retrying") != NULL, "log: %s", text);
    ck_assert_msg(strstr(text, "token refreshed") != NULL, "log: %s", text);
    ck_assert_msg(strstr(text, info->token) == NULL, "the first token was logged");
    brev_auth_info_free(info);
    ck_assert_int_eq(brev_auth_check(client, 1, &info), 0);
    ck_assert_msg(strstr(text, info->token) == NULL, "the refreshed token was logged");
    brev_auth_info_free(info);
    ck_assert_msg(strstr(text, "eyJ") == NULL, "a JWT was logged: %s", text);
    ck_assert_msg(strstr(text, "PRIVATE KEY") == NULL, "key text was logged");

    /* a line from the middle of the PEM body */
    pem = sim_private_key();
    body_line = strchr(pem, '\n') + 1;
    body_line = strchr(body_line, '\n') + 1;
    nl = strchr(body_line, '\n');
    *nl = '\0';
    ck_assert_int_gt((int)strlen(body_line), 40);
    ck_assert_msg(strstr(text, body_line) == NULL, "key material was logged");
    free(pem);
    free(text);
}
END_TEST

START_TEST(fixed_iam_token_is_used_as_is)
{
    brev_client_options o;
    brev_client *c = NULL;
    brev_auth_info *info = NULL;
    int before;

    BN_SIM_ONLY(sim);
    ck_assert_int_eq(brev_auth_check(client, 1, &info), 0);
    before = exchange_count();
    bn_test_client_options(&sim, &o);
    o.credentials_file = NULL;
    o.iam_token = info->token;
    ck_assert_int_eq(brev_client_new(&c, &o), 0);
    ck_assert_msg(project_get_with(c) == 0, "%s", brev_error_message());
    ck_assert_int_eq(exchange_count(), before);
    /* refused: a fixed token cannot be refreshed, the call fails clearly */
    bn_test_expire_tokens(client);
    ck_assert_int_eq(project_get_with(c), BREV_EAUTH);
    ck_assert_msg(strstr(brev_error_message(), "cannot be refreshed") != NULL, "%s", brev_error_message());
    brev_client_free(c);
    brev_auth_info_free(info);
}
END_TEST

/* --- short-lived tokens: background refresh ------------------------------- */

static bn_test_sim short_sim;

static void short_sim_up(void)
{
    bn_test_sim_options o = {0};
    o.token_ttl = 2;
    ck_assert_int_eq(bn_test_sim_start(&short_sim, &o), 0);
}

static void short_sim_down(void)
{
    bn_test_sim_stop(&short_sim);
}

static int count_in_log(bn_test_log *log, const char *needle)
{
    char *text = bn_test_log_text(log), *p = text;
    int n = 0;
    while ((p = strstr(p, needle)) != NULL) {
        n++;
        p++;
    }
    free(text);
    return n;
}

START_TEST(token_is_refreshed_in_the_background_before_expiry)
{
    bn_test_log *log;
    brev_client_options o;
    brev_client *c = NULL;
    brev_auth_info *info = NULL;
    char *first;
    json_t *st;
    int exchanges;

    BN_SIM_ONLY(short_sim);
    log = bn_test_log_new();
    bn_test_client_options(&short_sim, &o);
    o.log = bn_test_log_fn;
    o.log_payload = log;
    ck_assert_int_eq(brev_client_new(&c, &o), 0);
    ck_assert_int_eq(brev_auth_check(c, 1, &info), 0);
    first = strdup(info->token);
    brev_auth_info_free(info);
    /* 90 % of 2 s = 1.8 s; wait for the refresher (no call in between) */
    for (int i = 0; i < 100 && count_in_log(log, "token refreshed, expires in 2 s") < 2; i++)
        usleep(50000);
    ck_assert_int_ge(count_in_log(log, "token refreshed, expires in 2 s"), 2);
    ck_assert_int_eq(brev_auth_check(c, 1, &info), 0);
    ck_assert_str_ne(info->token, first);
    brev_auth_info_free(info);
    ck_assert_int_eq(project_get_with(c), 0);
    st = bn_test_state(c);
    exchanges = (int)json_integer_value(json_object_get(st, "exchange_count"));
    json_decref(st);
    ck_assert_int_ge(exchanges, 2);
    /* the call right after needed no refusal-driven refresh */
    ck_assert_int_eq(bn_test_request_count(c, PROJECT_GET), 1);
    free(first);
    brev_client_free(c);
    bn_test_log_free(log);
}
END_TEST

START_TEST(failed_background_refresh_is_retried_and_calls_go_on)
{
    bn_test_log *log;
    brev_client_options o;
    brev_client *c = NULL;
    brev_auth_info *info = NULL;
    Nebiussim__V1__InjectFaultRequest f = NEBIUSSIM__V1__INJECT_FAULT_REQUEST__INIT;

    BN_SIM_ONLY(short_sim);
    log = bn_test_log_new();
    bn_test_client_options(&short_sim, &o);
    o.log = bn_test_log_fn;
    o.log_payload = log;
    ck_assert_int_eq(brev_client_new(&c, &o), 0);
    bn_test_reset(c);
    ck_assert_int_eq(brev_auth_check(c, 0, &info), 0);
    brev_auth_info_free(info);
    /* the refresh at 1.8 s fails (all 3 attempts of its exchange) */
    f.method = EXCHANGE;
    f.code = 14;
    f.count = 3;
    ck_assert_int_eq(bn_test_fault(c, &f), 0);
    for (int i = 0; i < 100 && !bn_test_log_contains(log, "token refresh failed, retrying in 1.0 s"); i++)
        usleep(50000);
    ck_assert(bn_test_log_contains(log, "token refresh failed, retrying in 1.0 s"));
    /* calls go on: with the old token while valid, then with a new one */
    ck_assert_msg(project_get_with(c) == 0, "%s", brev_error_message());
    for (int i = 0; i < 100 && count_in_log(log, "token refreshed, expires in 2 s") < 2; i++)
        usleep(50000);
    ck_assert_int_ge(count_in_log(log, "token refreshed, expires in 2 s"), 2);
    ck_assert_msg(project_get_with(c) == 0, "%s", brev_error_message());
    brev_client_free(c);
    bn_test_log_free(log);
}
END_TEST

static brev_client *short_client(const bn_test_sim *s, bn_test_log *log, unsigned attempts)
{
    brev_client_options o;
    brev_client *c = NULL;

    bn_test_client_options(s, &o);
    o.log = bn_test_log_fn;
    o.log_payload = log;
    o.retry.attempts = attempts;
    ck_assert_msg(brev_client_new(&c, &o) == 0, "%s", brev_error_message());
    /* an admin call (no token): opens the channel and empties the request log,
     * so the first exchange below is not slowed by the TLS handshake */
    bn_test_reset(c);
    return c;
}

/* The refresher acts at 90 % of the lifetime: with 2 s tokens the second
 * Exchange reaches the sim ~1.8 s after the first (the sim's own clock). At
 * 100 % it would be 2.0 s, at 50 % 1.0 s. */
START_TEST(background_refresh_comes_at_90_percent_of_the_lifetime)
{
    bn_test_log *log;
    brev_client *c;
    brev_auth_info *info = NULL;
    json_t *reqs_log, *reqs;
    double gap;

    BN_SIM_ONLY(short_sim);
    log = bn_test_log_new();
    c = short_client(&short_sim, log, 0);
    ck_assert_int_eq(brev_auth_check(c, 0, &info), 0);
    brev_auth_info_free(info);
    for (int i = 0; i < 100 && count_in_log(log, "token refreshed, expires in 2 s") < 2; i++)
        usleep(50000);
    ck_assert_int_ge(count_in_log(log, "token refreshed, expires in 2 s"), 2);
    reqs_log = bn_test_requests(c, EXCHANGE, 0);
    reqs = json_object_get(reqs_log, "requests");
    ck_assert_int_ge((int)json_array_size(reqs), 2);
    ck_assert_str_eq(json_string_value(json_object_get(json_array_get(reqs, 0), "code_name")), "OK");
    gap = json_number_value(json_object_get(json_array_get(reqs, 1), "time")) -
          json_number_value(json_object_get(json_array_get(reqs, 0), "time"));
    ck_assert_msg(gap >= 1.6 && gap <= 1.95, "refresh came %.3f s after the first exchange, want 1.6..1.95 s", gap);
    json_decref(reqs_log);
    brev_client_free(c);
    bn_test_log_free(log);
}
END_TEST

/* Two failed refreshes in a row: the second waits 1.5x as long as the first.
 * 4 s tokens: the refresh at 3.6 s has 0.4 s to fail before the token
 * expires (an expired token is dropped after a failed refresh, and the next
 * call fetches on demand instead), which holds under valgrind too. */
static bn_test_sim ttl4_sim;

static void ttl4_sim_up(void)
{
    bn_test_sim_options o = {0};
    o.token_ttl = 4;
    ck_assert_int_eq(bn_test_sim_start(&ttl4_sim, &o), 0);
}

static void ttl4_sim_down(void)
{
    bn_test_sim_stop(&ttl4_sim);
}

START_TEST(failed_refreshes_back_off_growing)
{
    bn_test_log *log;
    brev_client *c;
    brev_auth_info *info = NULL;
    Nebiussim__V1__InjectFaultRequest f = NEBIUSSIM__V1__INJECT_FAULT_REQUEST__INIT;
    char *text, *first, *second;

    BN_SIM_ONLY(ttl4_sim);
    log = bn_test_log_new();
    /* one attempt per exchange call: each refresh fails on one injected fault */
    c = short_client(&ttl4_sim, log, 1);
    ck_assert_int_eq(brev_auth_check(c, 0, &info), 0);
    brev_auth_info_free(info);
    f.method = EXCHANGE;
    f.code = 14;
    f.count = 2;
    ck_assert_int_eq(bn_test_fault(c, &f), 0);
    for (int i = 0; i < 200 && !bn_test_log_contains(log, "token refresh failed, retrying in 1.5 s"); i++)
        usleep(50000);
    text = bn_test_log_text(log);
    for (char *p = text; (p = strchr(p, '\n')) != NULL;)
        *p = '|'; /* Check prints one line of a failure message */
    first = strstr(text, "token refresh failed, retrying in 1.0 s");
    second = strstr(text, "token refresh failed, retrying in 1.5 s");
    ck_assert_msg(first != NULL && second != NULL && first < second, "log: %s", text);
    ck_assert_int_eq(bn_test_request_count(c, EXCHANGE), 3);
    free(text);
    brev_client_free(c);
    bn_test_log_free(log);
}
END_TEST

Suite *suite(void)
{
    Suite *s = suite_create("auth_exchange");
    TCase *tc = tcase_create("sim");
    TCase *ttl = tcase_create("short_ttl");
    TCase *ttl4 = tcase_create("ttl4");

    tcase_add_unchecked_fixture(tc, sim_up, sim_down);
    tcase_add_checked_fixture(tc, client_up, client_down);
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, auth_check_reports_subject_and_expiry);
    tcase_add_test(tc, unauthenticated_refreshes_once_and_retries_once);
    tcase_add_test(tc, unauthenticated_twice_is_an_auth_error);
    tcase_add_test(tc, eight_threads_on_a_cold_cache_share_one_exchange);
    tcase_add_test(tc, eight_threads_while_the_token_expires_share_one_exchange);
    tcase_add_test(tc, cold_cache_call_times_out_at_its_own_deadline);
    tcase_add_test(tc, waiting_for_another_threads_exchange_ends_at_the_deadline);
    tcase_add_test(tc, exchange_answers_are_checked);
    tcase_add_test(tc, absurd_lifetime_is_not_cached);
    tcase_add_test(tc, exchange_carries_no_authorization);
#if defined(__SANITIZE_ADDRESS__)
    tcase_add_test(tc, exchange_answer_bytes_are_wiped_before_free);
    tcase_add_test(tc, bearer_metadata_bytes_are_wiped_before_free);
#endif
    tcase_add_test(tc, sim_accepts_our_jwt_and_refuses_forgeries);
    tcase_add_test(tc, no_secret_reaches_the_log);
    tcase_add_test(tc, fixed_iam_token_is_used_as_is);
    suite_add_tcase(s, tc);

    tcase_add_unchecked_fixture(ttl, short_sim_up, short_sim_down);
    tcase_set_timeout(ttl, 60);
    tcase_add_test(ttl, token_is_refreshed_in_the_background_before_expiry);
    tcase_add_test(ttl, failed_background_refresh_is_retried_and_calls_go_on);
    tcase_add_test(ttl, background_refresh_comes_at_90_percent_of_the_lifetime);
    suite_add_tcase(s, ttl);

    tcase_add_unchecked_fixture(ttl4, ttl4_sim_up, ttl4_sim_down);
    tcase_set_timeout(ttl4, 60);
    tcase_add_test(ttl4, failed_refreshes_back_off_growing);
    suite_add_tcase(s, ttl4);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(suite());
    int failed;

    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
