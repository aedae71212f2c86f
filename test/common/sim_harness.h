/* Test harness: start/stop nebius-sim, make a client that talks to it, and
 * call the simulator's admin service through the library's own call path.
 *
 * Recommended pattern (one sim per Check test case):
 *
 *   static bn_test_sim sim;
 *   static brev_client *client;
 *
 *   // UNCHECKED fixture: runs in the Check runner process. fork/exec only,
 *   // never gRPC here (gRPC initialised before fork() hangs the children).
 *   static void sim_up(void)   { ck_assert_int_eq(bn_test_sim_start(&sim, NULL), 0); }
 *   static void sim_down(void) { bn_test_sim_stop(&sim); }
 *
 *   // CHECKED fixture: runs in each forked test process; the library calls
 *   // grpc_init inside brev_client_new.
 *   static void client_up(void)   { client = bn_test_client(&sim); bn_test_reset(client); }
 *   static void client_down(void) { brev_client_free(client); client = NULL; }
 *
 *   tcase_add_unchecked_fixture(tc, sim_up, sim_down);
 *   tcase_add_checked_fixture(tc, client_up, client_down);
 *
 * bn_test_reset() restores the presets and clears faults and the request log,
 * so tests of one case do not see each other. Everything works with CK_FORK=no
 * too (valgrind): then fixtures and tests share one process.
 *
 * Paths: tests run from the repository root; the build directory is
 * $BREV_TEST_BUILD (default "build"), certificates are $BUILD/certs.
 *
 * Live mode: with BREV_NEBIUS_LIVE=1, NEBIUS_SERVICE_ACCOUNT_JSON and
 * NEBIUS_PROJECT_ID set, bn_test_sim_start starts nothing and sets sim->live;
 * clients then use the environment and the real endpoints. Simulator-only
 * tests must check sim->live (or bn_test_skip_if_live()) and skip. */
#ifndef BN_TEST_SIM_HARNESS_H
#define BN_TEST_SIM_HARNESS_H

#include <jansson.h>
#include <sys/types.h>

#include <brev/client.h>
#include "nebiussim/v1/admin.pb-c.h"

typedef struct bn_test_sim {
    pid_t pid;           /* sim process, 0 when none */
    int port;            /* TLS port it serves on */
    int live;            /* 1: no sim, real Nebius from the environment */
    char endpoint[64];   /* "localhost:PORT" */
    char ca_file[4096];  /* $BUILD/certs/ca.pem */
    char key_file[4096]; /* service-account credentials JSON written by the sim */
    char dir[4096];      /* temp dir owned by this sim (removed by stop) */
} bn_test_sim;

typedef struct bn_test_sim_options {
    double token_ttl;                /* --token-ttl seconds; 0 = sim default (3600) */
    double op_delay;                 /* --op-delay seconds; 0 = 0.05 */
    double state_delay;              /* --state-delay seconds; 0 = 0.05 */
    const char *cert_variant;        /* "good" (NULL), "otherca", "wronghost" */
    int page_size_max;               /* --page-size-max; 0 = sim default */
    const char *const *extra_args;   /* more arguments, NULL-terminated, or NULL */
} bn_test_sim_options;

/* 1 when BREV_NEBIUS_LIVE=1 and NEBIUS_SERVICE_ACCOUNT_JSON + NEBIUS_PROJECT_ID are set. */
int bn_test_live_configured(void);

/* Prints once per process (or not at all when the runner already did,
 * BREV_TEST_LIVE_NOTED=1): how to run the live variant. */
void bn_test_live_note(void);

/* In a live run, a test that needs the sim's admin service or its faults
 * calls this and returns: prints "SKIP (live) TEST: ...", which
 * scripts/run-tests.sh counts as skipped, not passed. */
void bn_test_skip_live(const char *test);

/* Returns from the calling test when the run is live. */
#define BN_SIM_ONLY(sim)                                                                                               \
    do {                                                                                                               \
        if ((sim).live) {                                                                                              \
            bn_test_skip_live(__func__);                                                                               \
            return;                                                                                                    \
        }                                                                                                              \
    } while (0)

/* The build directory ($BREV_TEST_BUILD or "build"). */
const char *bn_test_build_dir(void);

/* Starts the sim in a fresh temp dir and waits (10 s at most) for
 * "READY <port>". Returns 0, or -1 after printing why to stderr. In live mode
 * returns 0 with sim->live = 1 and no process. NULL opts = fast defaults. */
int bn_test_sim_start(bn_test_sim *sim, const bn_test_sim_options *opts);

/* SIGTERM, waitpid, removes the temp dir. Safe on a zeroed or stopped sim. */
void bn_test_sim_stop(bn_test_sim *sim);

/* Options for a client of this sim: endpoint localhost:PORT, ca_file,
 * credentials_file, project_id project-sim0000000001, use_env 0,
 * poll_interval_ms 50. Live: use_env 1 and nothing else set. */
void bn_test_client_options(const bn_test_sim *sim, brev_client_options *opts);

/* brev_client_new with those options; ck_assert on failure. */
brev_client *bn_test_client(const bn_test_sim *sim);

/* --- admin calls (sim only; each ck_asserts that the call worked) ---------- */

/* GetState as parsed JSON; json_decref it. Keys: "resources", "operations",
 * "service_accounts", "tokens_issued", "exchange_count", ... */
json_t *bn_test_state(brev_client *c);

/* GetRequests: {"requests":[{"method","metadata":{...},"request":{...},"code","code_name","time"}...],
 * "counts":{...}}; "request" is the request message as proto-JSON (.proto field names; credentials and
 * cloud_init_user_data as "<redacted:len N>").
 * filter: substring of the method path ("" or NULL = all). clear: empty the log after reading. */
json_t *bn_test_requests(brev_client *c, const char *filter, int clear);

/* Number of logged requests whose method path contains filter. */
int bn_test_request_count(brev_client *c, const char *filter);

/* InjectFault; returns the library's status (0 = accepted). */
int bn_test_fault(brev_client *c, const Nebiussim__V1__InjectFaultRequest *f);
void bn_test_clear_faults(brev_client *c);
void bn_test_expire_tokens(brev_client *c);
void bn_test_reset(brev_client *c);

/* Mutate: patch (json_patch), delete (del), or create (create_kind +
 * create_json). Returns the (new) resource id, malloc'd; free() it. */
char *bn_test_mutate(brev_client *c, const char *resource_id, const char *json_patch, int del,
                     const char *create_kind, const char *create_json);

/* EvaluateFlow: 1 allowed, 0 denied; *reason (may be NULL) gets a malloc'd text. */
int bn_test_flow(brev_client *c, const char *src_instance, const char *src_ip, const char *dst_instance,
                 const char *dst_ip, const char *proto, int port, char **reason);

/* Resources of one kind ("instance", "disk", "security_group", ...) in a GetState result. */
int bn_test_count_resources(json_t *state, const char *kind);

/* --- log capture (thread-safe) -------------------------------------------- */

typedef struct bn_test_log bn_test_log;

/* A log sink to put into brev_client_options.log / log_payload. */
bn_test_log *bn_test_log_new(void);
void bn_test_log_free(bn_test_log *log);
void bn_test_log_fn(brev_log_level level, const char *message, void *payload);
/* All captured lines joined by '\n' (malloc'd; free()). */
char *bn_test_log_text(bn_test_log *log);
/* 1 when some captured line contains needle. */
int bn_test_log_contains(bn_test_log *log, const char *needle);

#endif
