/* TLS is the only transport and it is checked: minimum TLS 1.2 (gRPC 1.51's
 * default, proven against openssl s_server), the CA, and the host name. */
#define _GNU_SOURCE /* strcasestr */
#include <check.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cloud/client_internal.h"
#include "sim_harness.h"
#include "test_creds.h"

/* --- a bare openssl s_server ---------------------------------------------- */

typedef struct s_server {
    pid_t pid;
    int stdin_fd; /* write end of s_server's stdin, held open: it quits on EOF */
    int port;
    char dir[4096];
    char out[4200];
} s_server;

static char *read_text(const char *path)
{
    FILE *f = fopen(path, "r");
    char *buf = calloc(1, 65536);
    size_t n;

    ck_assert_ptr_nonnull(buf);
    if (!f)
        return buf;
    n = fread(buf, 1, 65535, f);
    buf[n] = '\0';
    fclose(f);
    return buf;
}

static void s_server_start(s_server *s, const char *version_flag)
{
    char accept[32], cert[2048], key[2048];

    bn_test_tempdir(s->dir);
    snprintf(s->out, sizeof s->out, "%s/s_server.out", s->dir);
    snprintf(cert, sizeof cert, "%s/certs/server.pem", bn_test_build_dir());
    snprintf(key, sizeof key, "%s/certs/server.key", bn_test_build_dir());
    int in[2];

    s->port = bn_test_free_port();
    snprintf(accept, sizeof accept, "127.0.0.1:%d", s->port);
    ck_assert_int_eq(pipe(in), 0);
    fflush(NULL);
    s->pid = fork();
    ck_assert_int_ge(s->pid, 0);
    if (s->pid == 0) {
        FILE *out = freopen(s->out, "w", stdout);
        (void)out;
        dup2(STDOUT_FILENO, STDERR_FILENO);
        dup2(in[0], STDIN_FILENO);
        close(in[0]);
        close(in[1]);
        execlp("openssl", "openssl", "s_server", "-accept", accept, version_flag, "-cipher", "DEFAULT@SECLEVEL=0",
               "-cert", cert, "-key", key, "-naccept", "4", (char *)NULL);
        _exit(127);
    }
    close(in[0]);
    s->stdin_fd = in[1];
    for (int i = 0; i < 250; i++) {
        char *text = read_text(s->out);
        int ready = strstr(text, "ACCEPT") != NULL;
        free(text);
        if (ready)
            return;
        usleep(20000);
    }
    ck_abort_msg("openssl s_server %s did not start", version_flag);
}

static void s_server_stop(s_server *s)
{
    if (s->pid > 0) {
        kill(s->pid, SIGTERM);
        waitpid(s->pid, NULL, 0);
        s->pid = 0;
        close(s->stdin_fd);
    }
    bn_test_rmtree(s->dir);
}

/* A client of 127.0.0.1:port with a fresh service-account key (the exchange
 * is the first call brev_auth_check makes). */
static brev_client *client_for(const char *endpoint, const char *ca_file, const char *dir, const char *target_name)
{
    brev_client_options o;
    brev_client *c = NULL;
    char path[4200];
    char *pem = bn_test_genpkey("-algorithm RSA -pkeyopt rsa_keygen_bits:2048");
    char *json = bn_test_credentials_json("JWT", "RS256", pem, "publickey-tls0000000001", "serviceaccount-tls00000001",
                                          "serviceaccount-tls00000001");

    snprintf(path, sizeof path, "%s/key.json", dir);
    bn_test_write_file(path, json, 0600);
    free(json);
    free(pem);
    brev_client_options_init(&o, BREV_CLIENT_OPTIONS_VERSION);
    o.use_env = 0;
    o.endpoint = endpoint;
    o.ca_file = ca_file;
    o.credentials_file = path;
    o.project_id = "project-sim0000000001";
    o.tls_target_name = target_name;
    o.retry.attempts = 1;
    o.auth_timeout_ms = 5000;
    ck_assert_msg(brev_client_new(&c, &o) == 0, "%s", brev_error_message());
    return c;
}

static int mentions_tls_version(const char *text)
{
    static const char *const words[] = {"protocol version", "wrong version", "unsupported protocol",
                                        "no protocols available", "version too low"};
    for (size_t i = 0; i < sizeof words / sizeof words[0]; i++)
        if (strcasestr(text, words[i]))
            return 1;
    return 0;
}

START_TEST(tls11_only_server_is_refused)
{
    s_server s = {0};
    brev_client *c;
    brev_auth_info *info = NULL;
    char endpoint[64], ca[2048], *server_out;

    s_server_start(&s, "-tls1_1");
    snprintf(endpoint, sizeof endpoint, "127.0.0.1:%d", s.port);
    snprintf(ca, sizeof ca, "%s/certs/ca.pem", bn_test_build_dir());
    c = client_for(endpoint, ca, s.dir, NULL);
    ck_assert_int_eq(brev_auth_check(c, 0, &info), BREV_EUNAVAILABLE);
    ck_assert_ptr_null(info);
    /* Which side decided: the client reports the alert it received from the
     * server ("tlsv1 alert protocol version")... */
    ck_assert_msg(strstr(brev_error_message(), "alert protocol version") != NULL, "client: %s", brev_error_message());
    /* ...not a refusal of its own (it never saw a ServerHello to refuse). */
    ck_assert_msg(!strcasestr(brev_error_message(), "unsupported protocol") &&
                      !strcasestr(brev_error_message(), "wrong version number"),
                  "client: %s", brev_error_message());
    brev_client_free(c);
    server_out = NULL;
    for (int i = 0; i < 100; i++) {
        free(server_out);
        server_out = read_text(s.out);
        if (strstr(server_out, "unsupported protocol"))
            break;
        usleep(20000);
    }
    /* The server refused our ClientHello while reading it: the client offered
     * only TLS 1.2/1.3, none of which a TLS 1.1-only server speaks. */
    ck_assert_msg(strstr(server_out, "tls_early_post_process_client_hello:unsupported protocol") != NULL,
                  "s_server said: %s", server_out);
    free(server_out);
    s_server_stop(&s);
}
END_TEST

START_TEST(tls12_server_handshake_is_accepted)
{
    s_server s = {0};
    brev_client *c;
    brev_auth_info *info = NULL;
    char endpoint[64], ca[2048], *server_out;
    int rc;

    s_server_start(&s, "-tls1_2");
    snprintf(endpoint, sizeof endpoint, "127.0.0.1:%d", s.port);
    snprintf(ca, sizeof ca, "%s/certs/ca.pem", bn_test_build_dir());
    c = client_for(endpoint, ca, s.dir, NULL);
    rc = brev_auth_check(c, 0, &info);
    /* s_server speaks no HTTP/2: the call fails, but not for the TLS version. */
    ck_assert_int_ne(rc, 0);
    ck_assert_msg(!mentions_tls_version(brev_error_message()), "client: %s", brev_error_message());
    /* What failed came after the handshake: gRPC wants ALPN h2, which s_server does not select. */
    ck_assert_msg(strstr(brev_error_message(), "ALPN") != NULL, "client: %s", brev_error_message());
    brev_client_free(c);
    usleep(100000);
    server_out = read_text(s.out);
    ck_assert_msg(!mentions_tls_version(server_out), "s_server said: %s", server_out);
    /* The server side finished a TLS 1.2 handshake with us. */
    ck_assert_msg(strstr(server_out, "CIPHER is") || strstr(server_out, "Shared ciphers") ||
                      strstr(server_out, "TLSv1.2"),
                  "s_server said: %s", server_out);
    free(server_out);
    s_server_stop(&s);
}
END_TEST

/* --- the sim with certificate variants ------------------------------------ */

static bn_test_sim sim;

static void otherca_up(void)
{
    bn_test_sim_options o = {0};
    o.cert_variant = "otherca";
    ck_assert_int_eq(bn_test_sim_start(&sim, &o), 0);
}

static void wronghost_up(void)
{
    bn_test_sim_options o = {0};
    o.cert_variant = "wronghost";
    ck_assert_int_eq(bn_test_sim_start(&sim, &o), 0);
}

static void sim_down(void)
{
    bn_test_sim_stop(&sim);
}

START_TEST(untrusted_ca_is_refused)
{
    brev_client *c;
    brev_auth_info *info = NULL;

    BN_SIM_ONLY(sim);
    c = bn_test_client(&sim);
    ck_assert_int_eq(brev_auth_check(c, 0, &info), BREV_EUNAVAILABLE);
    ck_assert_ptr_nonnull(strstr(brev_error_message(), "UNAVAILABLE"));
    /* the transport's reason reaches the caller */
    ck_assert_msg(strstr(brev_error_message(), "certificate verify failed") != NULL, "%s", brev_error_message());
    brev_client_free(c);
}
END_TEST

START_TEST(system_roots_do_not_trust_the_test_ca)
{
    brev_client_options o;
    brev_client *c = NULL;
    brev_auth_info *info = NULL;

    BN_SIM_ONLY(sim);
    bn_test_client_options(&sim, &o);
    o.ca_file = NULL; /* system roots */
    ck_assert_int_eq(brev_client_new(&c, &o), 0);
    ck_assert_int_eq(brev_auth_check(c, 0, &info), BREV_EUNAVAILABLE);
    ck_assert_msg(strstr(brev_error_message(), "certificate verify failed") != NULL, "%s", brev_error_message());
    brev_client_free(c);
}
END_TEST

START_TEST(wrong_host_name_is_refused)
{
    brev_client *c;
    brev_auth_info *info = NULL;

    BN_SIM_ONLY(sim);
    c = bn_test_client(&sim);
    ck_assert_int_eq(brev_auth_check(c, 0, &info), BREV_EUNAVAILABLE);
    /* the chain is trusted; the name is what failed */
    ck_assert_msg(strstr(brev_error_message(), "Peer name localhost is not in peer certificate") != NULL, "%s",
                  brev_error_message());
    ck_assert_msg(strstr(brev_error_message(), "certificate verify failed") == NULL, "%s", brev_error_message());
    brev_client_free(c);
}
END_TEST

START_TEST(target_name_override_accepts_the_certificate_name)
{
    brev_client_options o;
    brev_client *c = NULL;
    brev_auth_info *info = NULL;

    BN_SIM_ONLY(sim);
    bn_test_client_options(&sim, &o);
    o.tls_target_name = "wrong.example.com"; /* the name the wronghost certificate carries */
    ck_assert_int_eq(brev_client_new(&c, &o), 0);
    ck_assert_msg(brev_auth_check(c, 0, &info) == 0, "%s", brev_error_message());
    ck_assert_str_eq(info->subject, "serviceaccount-sim0000000001");
    brev_auth_info_free(info);
    brev_client_free(c);
}
END_TEST

START_TEST(missing_ca_file_fails_at_once)
{
    brev_client_options o;
    brev_client *c = NULL;

    BN_SIM_ONLY(sim);
    bn_test_client_options(&sim, &o);
    o.ca_file = "/nonexistent/ca.pem";
    ck_assert_int_eq(brev_client_new(&c, &o), BREV_EINVAL);
    ck_assert_ptr_null(c);
    ck_assert_ptr_nonnull(strstr(brev_error_message(), "/nonexistent/ca.pem"));
}
END_TEST

Suite *suite(void)
{
    Suite *s = suite_create("transport_tls");
    TCase *versions = tcase_create("versions");
    TCase *otherca = tcase_create("otherca");
    TCase *wronghost = tcase_create("wronghost");

    tcase_set_timeout(versions, 30);
    tcase_add_test(versions, tls11_only_server_is_refused);
    tcase_add_test(versions, tls12_server_handshake_is_accepted);
    suite_add_tcase(s, versions);

    tcase_add_unchecked_fixture(otherca, otherca_up, sim_down);
    tcase_set_timeout(otherca, 30);
    tcase_add_test(otherca, untrusted_ca_is_refused);
    tcase_add_test(otherca, system_roots_do_not_trust_the_test_ca);
    tcase_add_test(otherca, missing_ca_file_fails_at_once);
    suite_add_tcase(s, otherca);

    tcase_add_unchecked_fixture(wronghost, wronghost_up, sim_down);
    tcase_set_timeout(wronghost, 30);
    tcase_add_test(wronghost, wrong_host_name_is_refused);
    tcase_add_test(wronghost, target_name_override_accepts_the_certificate_name);
    suite_add_tcase(s, wronghost);
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
