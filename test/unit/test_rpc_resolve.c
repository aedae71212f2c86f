/* Endpoint resolution: service full name -> address, with the overrides. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include <brev/errors.h>
#include "rpc/rpc.h"

static bn_rpc *make(const char *domain, const char *endpoint, const char *const *overrides)
{
    bn_rpc_config cfg;
    bn_rpc *rpc = NULL;

    memset(&cfg, 0, sizeof cfg);
    cfg.domain = domain;
    cfg.endpoint = endpoint;
    cfg.service_endpoints = overrides;
    ck_assert_msg(bn_rpc_new(&rpc, &cfg) == 0, "%s", brev_error_message());
    return rpc;
}

static void expect(const bn_rpc *rpc, const char *service, const char *address)
{
    char out[256];
    ck_assert_msg(bn_rpc_resolve(rpc, service, out, sizeof out) == 0, "%s: %s", service, brev_error_message());
    ck_assert_str_eq(out, address);
}

START_TEST(default_domain)
{
    bn_rpc *rpc = make(NULL, NULL, NULL);
    char out[256];

    expect(rpc, "nebius.iam.v1.TokenExchangeService", "tokens.iam.api.nebius.cloud:443");
    expect(rpc, "nebius.iam.v1.ProjectService", "cpl.iam.api.nebius.cloud:443");
    expect(rpc, "nebius.compute.v1.InstanceService", "compute.api.nebius.cloud:443");
    expect(rpc, "nebius.compute.v1.DiskService", "compute.api.nebius.cloud:443");
    expect(rpc, "nebius.vpc.v1.SecurityRuleService", "vpc.api.nebius.cloud:443");
    expect(rpc, "nebius.vpc.v1.AllocationService", "vpc.api.nebius.cloud:443");
    /* the admin service exists only on the sim: without an endpoint it has no address */
    ck_assert_int_eq(bn_rpc_resolve(rpc, "nebiussim.v1.AdminService", out, sizeof out), BREV_EINVAL);
    ck_assert_int_eq(bn_rpc_resolve(rpc, "nodots", out, sizeof out), BREV_EINVAL);
    ck_assert_int_eq(bn_rpc_resolve(rpc, "", out, sizeof out), BREV_EINVAL);
    /* too small a buffer is an error, not a truncated address */
    ck_assert_int_eq(bn_rpc_resolve(rpc, "nebius.compute.v1.InstanceService", out, 8), BREV_EINVAL);
    bn_rpc_free(rpc);
}
END_TEST

START_TEST(custom_domain)
{
    bn_rpc *rpc = make("api.eu.example.net:8443", NULL, NULL);
    expect(rpc, "nebius.compute.v1.InstanceService", "compute.api.eu.example.net:8443");
    expect(rpc, "nebius.iam.v1.TokenExchangeService", "tokens.iam.api.eu.example.net:8443");
    bn_rpc_free(rpc);
}
END_TEST

START_TEST(one_endpoint_for_everything)
{
    bn_rpc *rpc = make(NULL, "localhost:7443", NULL);
    expect(rpc, "nebius.compute.v1.InstanceService", "localhost:7443");
    expect(rpc, "nebius.iam.v1.TokenExchangeService", "localhost:7443");
    expect(rpc, "nebiussim.v1.AdminService", "localhost:7443");
    bn_rpc_free(rpc);
}
END_TEST

START_TEST(per_service_overrides_win)
{
    static const char *const overrides[] = {"compute=127.0.0.1:9001", "tokens.iam=auth.test:9002", NULL};
    bn_rpc *rpc = make(NULL, "localhost:7443", overrides);
    expect(rpc, "nebius.compute.v1.InstanceService", "127.0.0.1:9001");
    expect(rpc, "nebius.iam.v1.TokenExchangeService", "auth.test:9002");
    expect(rpc, "nebius.vpc.v1.NetworkService", "localhost:7443");
    bn_rpc_free(rpc);

    rpc = make(NULL, NULL, overrides);
    expect(rpc, "nebius.vpc.v1.NetworkService", "vpc.api.nebius.cloud:443");
    expect(rpc, "nebius.compute.v1.ImageService", "127.0.0.1:9001");
    bn_rpc_free(rpc);
}
END_TEST

START_TEST(bad_configuration_refused)
{
    static const char *const bad_override[] = {"compute", NULL};
    static const char *const bad_port[] = {"compute=host:0", NULL};
    bn_rpc_config cfg;
    bn_rpc *rpc = NULL;

    memset(&cfg, 0, sizeof cfg);
    cfg.service_endpoints = bad_override;
    ck_assert_int_eq(bn_rpc_new(&rpc, &cfg), BREV_EINVAL);
    ck_assert_ptr_nonnull(strstr(brev_error_message(), "service=host:port"));
    cfg.service_endpoints = bad_port;
    ck_assert_int_eq(bn_rpc_new(&rpc, &cfg), BREV_EINVAL);
    cfg.service_endpoints = NULL;
    cfg.endpoint = "no-port";
    ck_assert_int_eq(bn_rpc_new(&rpc, &cfg), BREV_EINVAL);
    ck_assert_ptr_nonnull(strstr(brev_error_message(), "no-port"));
    cfg.endpoint = NULL;
    cfg.ca_file = "/nonexistent/ca.pem";
    ck_assert_int_eq(bn_rpc_new(&rpc, &cfg), BREV_EINVAL);
    ck_assert_ptr_null(rpc);
}
END_TEST

Suite *suite(void)
{
    Suite *s = suite_create("rpc_resolve");
    TCase *tc = tcase_create("resolve");

    tcase_add_test(tc, default_domain);
    tcase_add_test(tc, custom_domain);
    tcase_add_test(tc, one_endpoint_for_everything);
    tcase_add_test(tc, per_service_overrides_win);
    tcase_add_test(tc, bad_configuration_refused);
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
