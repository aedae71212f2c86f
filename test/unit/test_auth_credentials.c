/* Every bad credentials file gets its own clear error, at once; good ones load. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <brev/client.h>
#include "auth/credentials.h"
#include "sim_harness.h"
#include "test_creds.h"

#define SA "serviceaccount-unit00000001"
#define KID "publickey-unit00000001"

static char dir[4096];
static char path[4200];
static char *rsa_pem; /* one RSA key for the whole case (keygen is slow under ASan) */

static void case_up(void)
{
    rsa_pem = bn_test_genpkey("-algorithm RSA -pkeyopt rsa_keygen_bits:2048");
}

static void case_down(void)
{
    free(rsa_pem);
    rsa_pem = NULL;
}

static void dir_up(void)
{
    bn_test_tempdir(dir);
    snprintf(path, sizeof path, "%s/key.json", dir);
}

static void dir_down(void)
{
    bn_test_rmtree(dir);
}

static void write_creds(const char *type, const char *alg, const char *pem, const char *kid, const char *iss,
                        const char *sub, int mode)
{
    char *json = bn_test_credentials_json(type, alg, pem, kid, iss, sub);
    bn_test_write_file(path, json, mode);
    free(json);
}

/* Loads path, expects BREV_ECREDENTIALS with all the needles in the message. */
static void expect_failure(const char *needle1, const char *needle2)
{
    bn_sa_credentials c;
    int rc = bn_sa_credentials_load_file(&c, path, NULL);

    ck_assert_msg(rc == BREV_ECREDENTIALS, "rc %d: %s", rc, brev_error_message());
    ck_assert_msg(strstr(brev_error_message(), needle1) != NULL, "message lacks \"%s\": %s", needle1,
                  brev_error_message());
    if (needle2)
        ck_assert_msg(strstr(brev_error_message(), needle2) != NULL, "message lacks \"%s\": %s", needle2,
                      brev_error_message());
    ck_assert_ptr_null(c.private_key_pem);
}

START_TEST(missing_file)
{
    expect_failure(path, "does not exist");
}
END_TEST

START_TEST(unreadable_file)
{
    /* root reads any file, so a directory stands in for "cannot be read" */
    snprintf(path, sizeof path, "%s", dir);
    expect_failure("cannot be read", "directory");
}
END_TEST

START_TEST(unreadable_file_mode_000)
{
    if (geteuid() == 0)
        return; /* root ignores permissions: covered by unreadable_file */
    write_creds("JWT", "RS256", rsa_pem, KID, SA, SA, 0000);
    expect_failure("cannot be read", "Permission denied");
}
END_TEST

START_TEST(malformed_json)
{
    bn_test_write_file(path, "{\n  \"subject-credentials\": {\n    \"alg\": \"RS256\",,\n  }\n}\n", 0600);
    expect_failure("malformed JSON at line 3", "column");
}
END_TEST

START_TEST(not_an_object)
{
    bn_test_write_file(path, "[1, 2]", 0600);
    expect_failure("must be an object", NULL);
}
END_TEST

START_TEST(missing_subject_credentials)
{
    bn_test_write_file(path, "{\"service_account_key\": {}}", 0600);
    expect_failure("no \"subject-credentials\"", NULL);
}
END_TEST

static const char *const fields[] = {"alg", "private-key", "kid", "iss", "sub"};

START_TEST(missing_field_is_named)
{
    const char *f = fields[_i];
    char needle[64];

    write_creds("JWT", strcmp(f, "alg") ? "RS256" : NULL, strcmp(f, "private-key") ? rsa_pem : NULL,
                strcmp(f, "kid") ? KID : NULL, strcmp(f, "iss") ? SA : NULL, strcmp(f, "sub") ? SA : NULL, 0600);
    snprintf(needle, sizeof needle, "no \"%s\" field", f);
    expect_failure(needle, NULL);
}
END_TEST

START_TEST(alg_hs256_refused)
{
    write_creds("JWT", "HS256", rsa_pem, KID, SA, SA, 0600);
    expect_failure("\"HS256\"", "only RS256");
}
END_TEST

START_TEST(type_not_jwt_refused)
{
    write_creds("OAUTH", "RS256", rsa_pem, KID, SA, SA, 0600);
    expect_failure("\"type\" must be \"JWT\"", "OAUTH");
}
END_TEST

START_TEST(iss_differs_from_sub)
{
    write_creds("JWT", "RS256", rsa_pem, KID, SA, "serviceaccount-other000001", 0600);
    expect_failure("\"iss\"", "differ");
}
END_TEST

START_TEST(key_not_pem)
{
    write_creds("JWT", "RS256", "MIIEvQIBADANBgkqhkiG9w0BAQEFAASC", KID, SA, SA, 0600);
    expect_failure("not a PEM private key", NULL);
}
END_TEST

START_TEST(key_garbage_between_pem_lines)
{
    write_creds("JWT", "RS256", "-----BEGIN PRIVATE KEY-----\nnot base64 at all\n-----END PRIVATE KEY-----\n", KID, SA,
                SA, 0600);
    expect_failure("not a readable PEM private key", NULL);
}
END_TEST

START_TEST(ec_key_refused)
{
    char *ec = bn_test_genpkey("-algorithm EC -pkeyopt ec_paramgen_curve:P-256");
    write_creds("JWT", "RS256", ec, KID, SA, SA, 0600);
    free(ec);
    expect_failure("EC key", "RS256 needs an RSA key");
}
END_TEST

START_TEST(encrypted_key_refused_without_prompt)
{
    char *enc = bn_test_genpkey("-algorithm RSA -pkeyopt rsa_keygen_bits:1024 -aes256 -pass pass:x");
    ck_assert_ptr_nonnull(strstr(enc, "ENCRYPTED"));
    write_creds("JWT", "RS256", enc, KID, SA, SA, 0600);
    free(enc);
    expect_failure("encrypted with a pass phrase", NULL);
}
END_TEST

START_TEST(group_readable_file_warns_but_loads)
{
    bn_test_log *log = bn_test_log_new();
    bn_logger logger = {bn_test_log_fn, log, BREV_LOG_DEBUG};
    bn_sa_credentials c;

    write_creds(NULL, "RS256", rsa_pem, KID, SA, SA, 0640);
    ck_assert_int_eq(bn_sa_credentials_load_file(&c, path, &logger), 0);
    ck_assert_str_eq(c.service_account_id, SA);
    ck_assert_str_eq(c.key_id, KID);
    ck_assert_ptr_nonnull(strstr(c.private_key_pem, "BEGIN PRIVATE KEY"));
    bn_sa_credentials_clear(&c);
    ck_assert_ptr_null(c.private_key_pem);
    ck_assert(bn_test_log_contains(log, "readable by group or others (mode 640)"));
    ck_assert(bn_test_log_contains(log, "2 credentials file")); /* level WARN = 2 */
    /* ...and never the key itself */
    ck_assert(!bn_test_log_contains(log, "PRIVATE KEY"));
    bn_test_log_free(log);
}
END_TEST

START_TEST(private_file_loads_silently)
{
    bn_test_log *log = bn_test_log_new();
    bn_logger logger = {bn_test_log_fn, log, BREV_LOG_DEBUG};
    bn_sa_credentials c;
    char *text;

    write_creds("JWT", "RS256", rsa_pem, KID, SA, SA, 0600);
    ck_assert_int_eq(bn_sa_credentials_load_file(&c, path, &logger), 0);
    bn_sa_credentials_clear(&c);
    text = bn_test_log_text(log);
    ck_assert_str_eq(text, "");
    free(text);
    bn_test_log_free(log);
}
END_TEST

START_TEST(json_text_parses)
{
    char *json = bn_test_credentials_json("", "RS256", rsa_pem, KID, SA, SA);
    bn_sa_credentials c;

    ck_assert_int_eq(bn_sa_credentials_parse(&c, json, "credentials JSON"), 0);
    ck_assert_str_eq(c.service_account_id, SA);
    bn_sa_credentials_clear(&c);
    free(json);
}
END_TEST

/* --- the Nebius CLI profile's key-file form --------------------------------- */

START_TEST(key_file_form_loads)
{
    bn_test_log *log = bn_test_log_new();
    bn_logger logger = {bn_test_log_fn, log, BREV_LOG_DEBUG};
    bn_sa_credentials c;

    bn_test_write_file(path, rsa_pem, 0644);
    ck_assert_int_eq(bn_sa_credentials_from_key_file(&c, SA, KID, path, &logger), 0);
    ck_assert_str_eq(c.service_account_id, SA);
    ck_assert_str_eq(c.key_id, KID);
    ck_assert_str_eq(c.private_key_pem, rsa_pem);
    bn_sa_credentials_clear(&c);
    ck_assert(bn_test_log_contains(log, "private key file"));
    ck_assert(bn_test_log_contains(log, "readable by group or others (mode 644)"));
    ck_assert(!bn_test_log_contains(log, "PRIVATE KEY"));
    bn_test_log_free(log);
}
END_TEST

START_TEST(key_file_form_checks_the_key_and_the_ids)
{
    bn_sa_credentials c;
    char *enc = bn_test_genpkey("-algorithm RSA -pkeyopt rsa_keygen_bits:1024 -aes256 -pass pass:x");

    bn_test_write_file(path, rsa_pem, 0600);
    ck_assert_int_eq(bn_sa_credentials_from_key_file(&c, NULL, KID, path, NULL), BREV_ECREDENTIALS);
    ck_assert_ptr_nonnull(strstr(brev_error_message(), "service_account_id"));
    ck_assert_int_eq(bn_sa_credentials_from_key_file(&c, SA, "", path, NULL), BREV_ECREDENTIALS);
    ck_assert_ptr_nonnull(strstr(brev_error_message(), "public_key_id"));
    ck_assert_int_eq(bn_sa_credentials_from_key_file(&c, SA, KID, dir, NULL), BREV_ECREDENTIALS);
    ck_assert_ptr_nonnull(strstr(brev_error_message(), "private key file"));
    ck_assert_ptr_nonnull(strstr(brev_error_message(), "directory"));

    bn_test_write_file(path, enc, 0600);
    free(enc);
    ck_assert_int_eq(bn_sa_credentials_from_key_file(&c, SA, KID, path, NULL), BREV_ECREDENTIALS);
    ck_assert_ptr_nonnull(strstr(brev_error_message(), "encrypted with a pass phrase"));
    bn_test_write_file(path, "not a key\n", 0600);
    ck_assert_int_eq(bn_sa_credentials_from_key_file(&c, SA, KID, path, NULL), BREV_ECREDENTIALS);
    ck_assert_ptr_nonnull(strstr(brev_error_message(), "not a PEM private key"));
    ck_assert_ptr_null(c.private_key_pem);
}
END_TEST

START_TEST(client_new_with_the_key_file_form)
{
    brev_client_options o;
    brev_client *c = NULL;

    bn_test_write_file(path, rsa_pem, 0600);
    brev_client_options_init(&o, BREV_CLIENT_OPTIONS_VERSION);
    o.use_env = 0;
    o.endpoint = "localhost:1";
    o.project_id = "project-unit";
    o.service_account_id = SA;
    o.public_key_id = KID;
    o.private_key_file = path;
    ck_assert_msg(brev_client_new(&c, &o) == BREV_OK, "%s", brev_error_message());
    brev_client_free(c);
    c = NULL;

    o.private_key_file = NULL; /* ids without a key */
    ck_assert_int_eq(brev_client_new(&c, &o), BREV_ECREDENTIALS);
    ck_assert_ptr_nonnull(strstr(brev_error_message(), "need private_key_file"));
    o.private_key_file = path;
    o.credentials_file = path; /* and a second source */
    ck_assert_int_eq(brev_client_new(&c, &o), BREV_EINVAL);
    ck_assert_ptr_null(c);
}
END_TEST

/* --- through the public API: fails at once, nothing else needed ------------ */

START_TEST(client_new_fails_at_once_on_bad_file)
{
    brev_client_options o;
    brev_client *c = (brev_client *)&o;

    brev_client_options_init(&o, BREV_CLIENT_OPTIONS_VERSION);
    o.use_env = 0;
    o.credentials_file = path; /* does not exist */
    o.endpoint = "localhost:1";
    ck_assert_int_eq(brev_client_new(&c, &o), BREV_ECREDENTIALS);
    ck_assert_ptr_null(c);
    ck_assert_ptr_nonnull(strstr(brev_error_message(), "does not exist"));
}
END_TEST

START_TEST(client_new_without_credentials)
{
    brev_client_options o;
    brev_client *c = NULL;

    brev_client_options_init(&o, BREV_CLIENT_OPTIONS_VERSION);
    o.use_env = 0;
    ck_assert_int_eq(brev_client_new(&c, &o), BREV_ECREDENTIALS);
    ck_assert_ptr_nonnull(strstr(brev_error_message(), "no credentials"));
}
END_TEST

START_TEST(client_new_two_sources_refused)
{
    brev_client_options o;
    brev_client *c = NULL;

    brev_client_options_init(&o, BREV_CLIENT_OPTIONS_VERSION);
    o.use_env = 0;
    o.iam_token = "t";
    o.credentials_json = "{}";
    ck_assert_int_eq(brev_client_new(&c, &o), BREV_EINVAL);
    ck_assert_ptr_nonnull(strstr(brev_error_message(), "exactly one"));
}
END_TEST

START_TEST(options_version_checked)
{
    brev_client_options o;
    ck_assert_int_eq(brev_client_options_init(&o, 99), BREV_EINVAL);
    ck_assert_int_eq(brev_client_options_init(&o, BREV_CLIENT_OPTIONS_VERSION), 0);
    ck_assert_int_eq(o.use_env, 1);
    ck_assert_int_eq(o.log_level, BREV_LOG_INFO);
    ck_assert_ptr_null(o.credentials_file);
}
END_TEST

START_TEST(env_json_text_path_and_token)
{
    brev_client_options o;
    brev_client *c = NULL;
    brev_auth_info *info = NULL;
    const char *project = NULL;
    char *json = bn_test_credentials_json("JWT", "RS256", rsa_pem, KID, SA, SA);

    /* JSON text in NEBIUS_SERVICE_ACCOUNT_JSON */
    setenv("NEBIUS_SERVICE_ACCOUNT_JSON", json, 1);
    setenv("NEBIUS_PROJECT_ID", "project-env0000000001", 1);
    setenv("NEBIUS_REGION", "us-central1", 1);
    unsetenv("NEBIUS_IAM_TOKEN");
    brev_client_options_init(&o, BREV_CLIENT_OPTIONS_VERSION);
    ck_assert_msg(brev_client_new(&c, &o) == 0, "%s", brev_error_message());
    ck_assert_int_eq(brev_client_project_id(c, &project), 0);
    ck_assert_str_eq(project, "project-env0000000001");
    ck_assert_str_eq(brev_client_region(c), "us-central1");
    brev_client_free(c);

    /* a path in NEBIUS_SERVICE_ACCOUNT_JSON */
    bn_test_write_file(path, json, 0600);
    setenv("NEBIUS_SERVICE_ACCOUNT_JSON", path, 1);
    ck_assert_msg(brev_client_new(&c, &o) == 0, "%s", brev_error_message());
    brev_client_free(c);

    /* a path that does not exist is reported as a missing file */
    setenv("NEBIUS_SERVICE_ACCOUNT_JSON", "/nonexistent/key.json", 1);
    ck_assert_int_eq(brev_client_new(&c, &o), BREV_ECREDENTIALS);
    ck_assert_ptr_nonnull(strstr(brev_error_message(), "/nonexistent/key.json does not exist"));

    /* NEBIUS_IAM_TOKEN wins and needs no network */
    setenv("NEBIUS_IAM_TOKEN", "ready-token-123", 1);
    ck_assert_msg(brev_client_new(&c, &o) == 0, "%s", brev_error_message());
    ck_assert_int_eq(brev_auth_check(c, 1, &info), 0);
    ck_assert_str_eq(info->subject, "");
    ck_assert_str_eq(info->token, "ready-token-123");
    brev_auth_info_free(info);
    ck_assert_int_eq(brev_auth_check(c, 0, &info), 0);
    ck_assert_ptr_null(info->token);
    brev_auth_info_free(info);
    brev_client_free(c);

    unsetenv("NEBIUS_IAM_TOKEN");
    unsetenv("NEBIUS_SERVICE_ACCOUNT_JSON");
    unsetenv("NEBIUS_PROJECT_ID");
    unsetenv("NEBIUS_REGION");
    free(json);
}
END_TEST

START_TEST(no_project_is_a_clear_error)
{
    brev_client_options o;
    brev_client *c = NULL;
    const char *project = "x";

    brev_client_options_init(&o, BREV_CLIENT_OPTIONS_VERSION);
    o.use_env = 0;
    o.iam_token = "t";
    ck_assert_int_eq(brev_client_new(&c, &o), 0);
    ck_assert_int_eq(brev_client_project_id(c, &project), BREV_EINVAL);
    ck_assert_ptr_null(project);
    ck_assert_str_eq(brev_error_message(), "no project: set project_id or tenant_id (NEBIUS_PROJECT_ID)");
    ck_assert_str_eq(brev_client_region(c), "eu-north1");
    brev_client_free(c);
}
END_TEST

Suite *suite(void)
{
    Suite *s = suite_create("auth_credentials");
    TCase *tc = tcase_create("files");
    TCase *api = tcase_create("client");

    tcase_add_unchecked_fixture(tc, case_up, case_down);
    tcase_add_checked_fixture(tc, dir_up, dir_down);
    tcase_set_timeout(tc, 30);
    tcase_add_test(tc, missing_file);
    tcase_add_test(tc, unreadable_file);
    tcase_add_test(tc, unreadable_file_mode_000);
    tcase_add_test(tc, malformed_json);
    tcase_add_test(tc, not_an_object);
    tcase_add_test(tc, missing_subject_credentials);
    tcase_add_loop_test(tc, missing_field_is_named, 0, (int)(sizeof fields / sizeof fields[0]));
    tcase_add_test(tc, alg_hs256_refused);
    tcase_add_test(tc, type_not_jwt_refused);
    tcase_add_test(tc, iss_differs_from_sub);
    tcase_add_test(tc, key_not_pem);
    tcase_add_test(tc, key_garbage_between_pem_lines);
    tcase_add_test(tc, ec_key_refused);
    tcase_add_test(tc, encrypted_key_refused_without_prompt);
    tcase_add_test(tc, group_readable_file_warns_but_loads);
    tcase_add_test(tc, private_file_loads_silently);
    tcase_add_test(tc, json_text_parses);
    tcase_add_test(tc, key_file_form_loads);
    tcase_add_test(tc, key_file_form_checks_the_key_and_the_ids);
    suite_add_tcase(s, tc);

    tcase_add_unchecked_fixture(api, case_up, case_down);
    tcase_add_checked_fixture(api, dir_up, dir_down);
    tcase_set_timeout(api, 30);
    tcase_add_test(api, client_new_fails_at_once_on_bad_file);
    tcase_add_test(api, client_new_without_credentials);
    tcase_add_test(api, client_new_two_sources_refused);
    tcase_add_test(api, client_new_with_the_key_file_form);
    tcase_add_test(api, options_version_checked);
    tcase_add_test(api, env_json_text_path_and_token);
    tcase_add_test(api, no_project_is_a_clear_error);
    suite_add_tcase(s, api);
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
