/* Every bad create option is refused before anything is created, with the
 * right code and a message naming the problem. */
#include "test_instance_fixture.h"

typedef struct bad_case {
    const char *what;
    int expect;
    const char *in_message; /* a piece of the error message */
} bad_case;

static const char *const one_bad_key_type[] = {"ssh-dss AAAAB3NzaC1kc3MAAACBAP8= dsa@old"};
static const char *const one_truncated_key[] = {"ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIK+g1Lmh3eaGj3 trunc"};
static const char *const one_key_with_newline[] = {
    "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIK+g1Lmh3eaGj3//NRrSIu2Mlj83T9EKobauZ0g9TV9z alice@test\n"};
static const char *const one_mislabelled_key[] = {
    "ssh-rsa AAAAC3NzaC1lZDI1NTE5AAAAIK+g1Lmh3eaGj3//NRrSIu2Mlj83T9EKobauZ0g9TV9z alice@test"};
static const brev_label reserved_label[] = {{"brev-ref-id", "other"}};
static char long_name[70];

static const bad_case cases[] = {
    {"empty name", BREV_EINVAL, "name must not be empty"},
    {"bad name", BREV_EINVAL, "only lowercase letters"},
    {"long name", BREV_EINVAL, "at most 63"},
    {"name ending with -", BREV_EINVAL, "must not start or end"},
    {"missing ref_id", BREV_EINVAL, "ref_id is required"},
    {"malformed type", BREV_EINVAL, "malformed"},
    {"unknown platform", BREV_ENOTFOUND, "valid platforms: "},
    {"unknown preset", BREV_ENOTFOUND, "valid presets: 2vcpu-8gb, 4vcpu-16gb"},
    {"type of another region", BREV_EINVAL, "client's region"},
    {"unknown family", BREV_ENOTFOUND, "no-such-family"},
    {"unsupported key type", BREV_EINVAL, "unsupported key type 'ssh-dss'"},
    {"truncated key", BREV_EINVAL, "ssh_keys[0]"},
    {"key with a newline", BREV_EINVAL, "one line"},
    {"key data of another type", BREV_EINVAL, "does not encode a ssh-rsa key"},
    {"no SSH key", BREV_EINVAL, "at least one SSH public key"},
    {"disk smaller than the image", BREV_EINVAL, "smaller than the image's minimum of 20 GiB"},
    {"disk too large", BREV_EINVAL, "out of range"},
    {"reserved label", BREV_EINVAL, "reserved"},
    {"user data too large", BREV_EINVAL, "32768"},
    {"user data of unknown kind", BREV_EINVAL, "#cloud-config"},
    {"bad disk type", BREV_EINVAL, "unknown disk type"},
    {"ref_id unusable as cluster id", BREV_EINVAL, "set cluster_id"},
    {"image_id and family both", BREV_EINVAL, "not both"},
    {"unknown image id", BREV_ENOTFOUND, "computeimage-nope"},
};

static char big_user_data[40000];

static void apply(int i, brev_create_instance_options *o)
{
    switch (i) {
    case 0: o->name = ""; break;
    case 1: o->name = "Bad_Name"; break;
    case 2: memset(long_name, 'a', 64); long_name[64] = '\0'; o->name = long_name; break;
    case 3: o->name = "trailing-"; break;
    case 4: o->ref_id = NULL; break;
    case 5: o->instance_type = "cpu-d3"; break;
    case 6: o->instance_type = "gpu-x999.1gpu-8vcpu-32gb"; break;
    case 7: o->instance_type = "cpu-d3.3vcpu-12gb"; break;
    case 8: o->instance_type = "us-central1-noSub-cpu-d3.4vcpu-16gb"; break;
    case 9: o->image_family = "no-such-family"; break;
    case 10: o->ssh_keys = one_bad_key_type; o->ssh_key_count = 1; break;
    case 11: o->ssh_keys = one_truncated_key; o->ssh_key_count = 1; break;
    case 12: o->ssh_keys = one_key_with_newline; o->ssh_key_count = 1; break;
    case 13: o->ssh_keys = one_mislabelled_key; o->ssh_key_count = 1; break;
    case 14: o->ssh_keys = NULL; o->ssh_key_count = 0; break;
    case 15: o->disk_size_gib = 10; break;
    case 16: o->disk_size_gib = 70000; break;
    case 17: o->labels = reserved_label; o->label_count = 1; break;
    case 18:
        memcpy(big_user_data, "#!/bin/sh\n", 10);
        memset(big_user_data + 10, '#', sizeof big_user_data - 11);
        big_user_data[sizeof big_user_data - 1] = '\0';
        o->user_data = big_user_data;
        break;
    case 19: o->user_data = "just some text"; break;
    case 20: o->disk_type = "floppy"; break;
    case 21: o->ref_id = "Ref_With.Dots"; break;
    case 22: o->image_id = "computeimage-x"; o->image_family = "ubuntu24.04-driverless"; break;
    case 23: o->image_id = "computeimage-nope"; break;
    }
}

START_TEST(bad_option_is_refused_and_nothing_is_created)
{
    const bad_case *c = &cases[_i];
    brev_create_instance_options o;
    brev_instance *in = NULL;
    ix_counts before;
    int rc;

    IX_SIM_ONLY();
    before = ix_snapshot();
    ix_opts(&o, "input-1", "input-ref");
    apply(_i, &o);
    rc = brev_instance_create(ix_client, &o, &in);
    ck_assert_msg(rc == c->expect, "%s: got %d (%s), want %d", c->what, rc, brev_error_message(), c->expect);
    ck_assert_msg(strstr(brev_error_message(), c->in_message) != NULL, "%s: message '%s' lacks '%s'", c->what,
                  brev_error_message(), c->in_message);
    ck_assert_ptr_null(in);
    ck_assert_int_eq(bn_test_request_count(ix_client, "/Create"), 0);
    ix_assert_nothing_left(before);
}
END_TEST

START_TEST(null_arguments_are_refused)
{
    brev_create_instance_options o;
    brev_instance *in = NULL;

    IX_SIM_ONLY();
    ix_opts(&o, "input-2", "input-ref-2");
    ck_assert_int_eq(brev_instance_create(NULL, &o, &in), BREV_EINVAL);
    ck_assert_int_eq(brev_instance_create(ix_client, NULL, &in), BREV_EINVAL);
    ck_assert_int_eq(brev_instance_create(ix_client, &o, NULL), BREV_EINVAL);
    o.version = 99;
    ck_assert_int_eq(brev_instance_create(ix_client, &o, &in), BREV_EINVAL);
    ck_assert_int_eq(brev_create_instance_options_init(&o, 2), BREV_EINVAL);
    ck_assert_int_eq(brev_instance_get(ix_client, "", &in), BREV_EINVAL);
    ck_assert_int_eq(brev_instance_get(ix_client, "computeinstance-nope", &in), BREV_ENOTFOUND);
    ck_assert_int_eq(brev_instance_get_by_name(ix_client, "nope", &in), BREV_ENOTFOUND);
    ck_assert_int_eq(brev_instance_stop(ix_client, NULL, 0), BREV_EINVAL);
    ck_assert_int_eq(brev_instance_wait(ix_client, "x", BREV_LIFECYCLE_UNKNOWN, 10, NULL), BREV_EINVAL);
}
END_TEST

/* An image whose minimum disk size (from the server) is near INT64_MAX is
 * refused with its size in GiB, without an overflow on the way. */
START_TEST(huge_image_minimum_is_refused_without_overflow)
{
    brev_create_instance_options o;
    brev_instance *in = NULL;
    char *image;

    IX_SIM_ONLY();
    image = bn_test_mutate(ix_client, NULL, NULL, 0, "image",
                           "{\"metadata\":{\"parent_id\":\"" IX_PROJECT "\",\"name\":\"huge-min\"},"
                           "\"spec\":{\"image_family\":\"huge\",\"cpu_architecture\":\"AMD64\"},"
                           "\"status\":{\"state\":\"READY\",\"min_disk_size_bytes\":\"9223372036854775807\"}}");
    ix_opts(&o, "input-3", "input-ref-3");
    o.image_id = image;
    ck_assert_int_eq(brev_instance_create(ix_client, &o, &in), BREV_EINVAL);
    ck_assert_msg(strstr(brev_error_message(), "minimum of 8589934592 GiB") != NULL, "%s", brev_error_message());
    ck_assert_ptr_null(in);
    free(image);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("instance_input");
    TCase *tc = ix_tcase("input");
    tcase_add_loop_test(tc, bad_option_is_refused_and_nothing_is_created, 0, (int)(sizeof cases / sizeof cases[0]));
    tcase_add_test(tc, null_arguments_are_refused);
    tcase_add_test(tc, huge_image_minimum_is_refused_without_overflow);
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
