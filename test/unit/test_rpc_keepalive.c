/* The keepalive defaults are what include/brev/client.h documents, reach the
 * channel settings from brev_client_options, and never ping an idle
 * connection. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cloud/client_internal.h"
#include "rpc/rpc_internal.h"

/* The "default N" the public header documents for a field ("keepalive_time_ms;"). */
static unsigned documented_default(const char *field)
{
    FILE *f = fopen("include/brev/client.h", "r");
    char line[512];
    unsigned value = 0;
    int found = 0;

    ck_assert_msg(f != NULL, "include/brev/client.h: run the tests from the repository root");
    while (fgets(line, sizeof line, f)) {
        const char *d;
        if (!strstr(line, field) || !(d = strstr(line, "default ")))
            continue;
        ck_assert_int_eq(sscanf(d, "default %u", &value), 1);
        found = 1;
        break;
    }
    fclose(f);
    ck_assert_msg(found, "client.h documents no default for %s", field);
    return value;
}

START_TEST(defaults_are_the_documented_ones)
{
    bn_rpc_config cfg;
    bn_rpc *rpc = NULL;
    bn_keepalive k;

    memset(&cfg, 0, sizeof cfg);
    ck_assert_int_eq(bn_rpc_new(&rpc, &cfg), 0);
    k = bn_rpc_keepalive(rpc);
    ck_assert_uint_eq(k.time_ms, documented_default("keepalive_time_ms;"));
    ck_assert_uint_eq(k.timeout_ms, documented_default("keepalive_timeout_ms;"));
    /* pinned too, so a change of the documented text cannot drift alone */
    ck_assert_uint_eq(k.time_ms, 60000);
    ck_assert_uint_eq(k.timeout_ms, 10000);
    ck_assert_int_eq(k.permit_without_calls, 0);
    bn_rpc_free(rpc);
}
END_TEST

START_TEST(options_reach_the_channel_settings)
{
    brev_client_options o;
    brev_client *c = NULL;
    bn_keepalive k;

    brev_client_options_init(&o, BREV_CLIENT_OPTIONS_VERSION);
    o.use_env = 0;
    o.iam_token = "not-a-real-token"; /* no credentials file, no network */
    o.project_id = "project-unit000000001";
    ck_assert_int_eq(brev_client_new(&c, &o), 0);
    k = bn_rpc_keepalive(c->rpc);
    ck_assert_uint_eq(k.time_ms, 60000);
    ck_assert_uint_eq(k.timeout_ms, 10000);
    brev_client_free(c);

    o.keepalive_time_ms = 120000;
    o.keepalive_timeout_ms = 5000;
    ck_assert_int_eq(brev_client_new(&c, &o), 0);
    k = bn_rpc_keepalive(c->rpc);
    ck_assert_uint_eq(k.time_ms, 120000);
    ck_assert_uint_eq(k.timeout_ms, 5000);
    ck_assert_int_eq(k.permit_without_calls, 0);
    brev_client_free(c);

    /* gRPC takes an int: a larger value is clamped, not wrapped negative */
    o.keepalive_time_ms = 4000000000u;
    ck_assert_int_eq(brev_client_new(&c, &o), 0);
    k = bn_rpc_keepalive(c->rpc);
    ck_assert_uint_eq(k.time_ms, 2147483647u);
    brev_client_free(c);
}
END_TEST

Suite *suite(void)
{
    Suite *s = suite_create("rpc_keepalive");
    TCase *tc = tcase_create("keepalive");

    tcase_add_test(tc, defaults_are_the_documented_ones);
    tcase_add_test(tc, options_reach_the_channel_settings);
    suite_add_tcase(s, tc);
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
