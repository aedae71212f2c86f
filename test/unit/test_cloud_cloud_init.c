/* The cloud-init document: our #cloud-config alone, or a MIME multipart with
 * the host firewall and the caller's user data as further parts. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cloud/instance_internal.h"

static const char *const keys[] = {"ssh-ed25519 AAAA alice@test", "ssh-rsa BBBB bob \"the\" builder"};

static int count(const char *hay, const char *needle)
{
    int n = 0;
    for (const char *p = strstr(hay, needle); p; p = strstr(p + 1, needle))
        n++;
    return n;
}

START_TEST(plain_cloud_config_with_keys_and_sshd)
{
    char *doc = NULL;

    ck_assert_int_eq(bn_cloud_init_build(keys, 2, 0, NULL, &doc), 0);
    ck_assert(strncmp(doc, "#cloud-config\n", 14) == 0);
    ck_assert_ptr_nonnull(strstr(doc, "ssh_authorized_keys:\n  - \"ssh-ed25519 AAAA alice@test\"\n"));
    ck_assert_ptr_nonnull(strstr(doc, "  - \"ssh-rsa BBBB bob \\\"the\\\" builder\"\n")); /* quotes escaped */
    ck_assert_ptr_nonnull(strstr(doc, "ssh_pwauth: false\n"));
    ck_assert_ptr_nonnull(strstr(doc, "runcmd:\n  - systemctl enable --now ssh\n"));
    ck_assert_ptr_null(strstr(doc, "Content-Type"));
    free(doc);
}
END_TEST

START_TEST(user_cloud_config_is_a_merged_second_part)
{
    char *doc = NULL;
    const char *boundary_at;
    char boundary[64];

    ck_assert_int_eq(bn_cloud_init_build(keys, 1, 0, "#cloud-config\nruncmd:\n  - echo hi\n", &doc), 0);
    ck_assert(strncmp(doc, "Content-Type: multipart/mixed; boundary=\"", 41) == 0);
    boundary_at = doc + 41;
    snprintf(boundary, sizeof boundary, "--%.*s", (int)strcspn(boundary_at, "\""), boundary_at);
    ck_assert_int_eq(count(doc, boundary), 3); /* two parts + the closing one */
    ck_assert_int_eq(count(doc, "Content-Type: text/cloud-config"), 2);
    ck_assert_int_eq(count(doc, "Merge-Type: list(append)+dict(no_replace,recurse_list)+str()"), 1);
    ck_assert_ptr_nonnull(strstr(doc, "  - echo hi\n"));
    ck_assert_ptr_nonnull(strstr(doc, "ssh-ed25519 AAAA alice@test"));
    /* ours comes first, so theirs merges into it */
    ck_assert(strstr(doc, "ssh_authorized_keys") < strstr(doc, "echo hi"));
    strcat(boundary, "--");
    ck_assert_ptr_nonnull(strstr(doc, boundary));
    free(doc);
}
END_TEST

START_TEST(script_and_host_firewall_parts)
{
    char *doc = NULL;

    ck_assert_int_eq(bn_cloud_init_build(keys, 1, 1, "#!/bin/bash\necho hi", &doc), 0);
    ck_assert_int_eq(count(doc, "Content-Type: text/cloud-config"), 2);
    ck_assert_int_eq(count(doc, "Content-Type: text/x-shellscript"), 1);
    ck_assert_ptr_nonnull(strstr(doc, "DOCKER-USER"));
    ck_assert_ptr_nonnull(strstr(doc, "#!/bin/bash\necho hi\n"));
    ck_assert(strstr(doc, "DOCKER-USER") < strstr(doc, "echo hi"));
    free(doc);
}
END_TEST

START_TEST(unknown_user_data_and_oversize_are_refused)
{
    char *doc = NULL;
    char *big = malloc(BN_CLOUD_INIT_MAX + 100);

    ck_assert_int_eq(bn_cloud_init_build(keys, 1, 0, "echo hi", &doc), BREV_EINVAL);
    ck_assert_ptr_null(doc);
    ck_assert_int_eq(bn_cloud_init_build(keys, 1, 0, "Content-Type: multipart/mixed", &doc), BREV_EINVAL);
    memcpy(big, "#!/bin/sh\n", 10);
    memset(big + 10, 'x', BN_CLOUD_INIT_MAX);
    big[BN_CLOUD_INIT_MAX + 10] = '\0';
    ck_assert_int_eq(bn_cloud_init_build(keys, 1, 0, big, &doc), BREV_EINVAL);
    ck_assert_ptr_nonnull(strstr(brev_error_message(), "32768"));
    ck_assert_ptr_null(doc);
    free(big);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("cloud_init");
    TCase *tc = tcase_create("cloud_init");
    tcase_add_test(tc, plain_cloud_config_with_keys_and_sshd);
    tcase_add_test(tc, user_cloud_config_is_a_merged_second_part);
    tcase_add_test(tc, script_and_host_firewall_parts);
    tcase_add_test(tc, unknown_user_data_and_oversize_are_refused);
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
