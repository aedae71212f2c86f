/* Create-option checks: SSH keys, names, ref ids, instance types, labels,
 * disk types. Pure functions, no sim. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "cloud/instance_internal.h"

#define ED25519 "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIK+g1Lmh3eaGj3//NRrSIu2Mlj83T9EKobauZ0g9TV9z alice@test"
#define ECDSA                                                                                                        \
    "ecdsa-sha2-nistp256 AAAAE2VjZHNhLXNoYTItbmlzdHAyNTYAAAAIbmlzdHAyNTYAAABBBF1e8NRz5DCQ/tKl7IHzf049JyNFXuz+9rjMl+npB" \
    "xRtpwdC5O6zSFlcVwCiF2Q72AZ0iZ43XKDuyzan1iIIs8I= carol@test"

START_TEST(valid_keys_pass)
{
    ck_assert_int_eq(bn_validate_ssh_key(ED25519), 0);
    ck_assert_int_eq(bn_validate_ssh_key(ECDSA), 0);
    /* no comment, tab separator */
    ck_assert_int_eq(bn_validate_ssh_key("ssh-ed25519\tAAAAC3NzaC1lZDI1NTE5AAAAIK+g1Lmh3eaGj3//NRrSIu2Mlj83T9EKobauZ0g9TV9z"),
                     0);
}
END_TEST

START_TEST(bad_keys_fail_with_a_reason)
{
    static const struct {
        const char *key;
        const char *reason;
    } bad[] = {
        {"", "must not be empty"},
        {"ssh-dss AAAAB3NzaC1kc3MAAACBAP8=", "unsupported key type"},
        {"ssh-ed25519", "missing"},
        {"ssh-ed25519 not*base64", "not valid base64"},
        {"ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIK+g1Lmh3eaGj3", "not valid base64"},
        {"ssh-ed25519 AAAAC3NzaC1lZDI1NTE5", "truncated"},
        {"ssh-rsa AAAAC3NzaC1lZDI1NTE5AAAAIK+g1Lmh3eaGj3//NRrSIu2Mlj83T9EKobauZ0g9TV9z x", "does not encode a ssh-rsa"},
        {ED25519 "\n", "one line"},
        {"ssh-ed25519 AAAA\nC3Nz", "one line"},
        {"-----BEGIN OPENSSH PRIVATE KEY----- abc", "private key"},
        {"ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIK+g1Lmh3eaGj3//NRrSIu2Mlj83T9EKobauZ0g9TV9z\x01", "control"},
        {"ssh-ed25519 =AAAC3NzaC1lZDI1NTE5AAAAIK+g1Lmh3eaGj3//NRrSIu2Mlj83T9EKobauZ0g9TV9z", "not valid base64"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        ck_assert_msg(bn_validate_ssh_key(bad[i].key) == BREV_EINVAL, "key %zu passed", i);
        ck_assert_msg(strstr(brev_error_message(), bad[i].reason) != NULL, "key %zu: '%s' lacks '%s'", i,
                      brev_error_message(), bad[i].reason);
    }
    ck_assert_int_eq(bn_validate_ssh_key(NULL), BREV_EINVAL);
}
END_TEST

/* Each key type's blob is parsed to its end (RFC 4253 6.6, RFC 5656 3.1,
 * RFC 8709 4, OpenSSH PROTOCOL.u2f): a key cut short by a bad copy and paste
 * still decodes as base64 and starts with the right type, so only its
 * structure shows it is broken (sshd would ignore it without a word). */
START_TEST(key_structure_is_checked_per_type)
{
    static const char *const good[] = {
        /* 1024-bit RSA: the smallest OpenSSH accepts */
        "ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAAAgQDBq1gF8HZaK5wdfg83xEkhvT9lZOrffxQqcmaMR+Ij0W7djEe0avxbruJh9TsmFS0mO6g7A"
        "3zUli5DSAEla4henJBR8yCw24PznqetvQ105t7H89+uzI9kZWZkGnuiZg8wEfw1cCkcV5kNGgCRJokZ8l2dBhLfNZ1gJqJA9FiaXQ==",
        "ecdsa-sha2-nistp384 AAAAE2VjZHNhLXNoYTItbmlzdHAzODQAAAAIbmlzdHAzODQAAABhBCWc05j6eajvWSeMjCEFA8z4uaYahr/vI2/83zHT"
        "3zYHQDZKgD3DllNCi2vVIQ/ovVrldamV0OeEa9Pq4IAhiCaGggTfcMYumwHGzCYsJHmeuR6OD1OuhIeOe8jGG+KPDg==",
        "ecdsa-sha2-nistp521 AAAAE2VjZHNhLXNoYTItbmlzdHA1MjEAAAAIbmlzdHA1MjEAAACFBD8wRgrFGYFzjwfC5OkQcVOc+YGbgzOxRnOCiM56"
        "gfE/soXg4PHtQuyP5PEz13Ijah9kcVASqz1tEjarTcgf5cYn8LekqV0kQOIj93c4v/MYZeJ8Kf2q1TkptG7+g2dWazJbURe4XQRWjXVwtARiVISfS"
        "4P1EBz868k6+OAaFUNFCufHLg==",
        "sk-ssh-ed25519@openssh.com AAAAGnNrLXNzaC1lZDI1NTE5QG9wZW5zc2guY29tAAAAIEXBIdFs2emt0fJCZyaJ64OSfrNTFkcOzLAubOUSRP"
        "AEAAAABHNzaDo= yubikey",
        "sk-ecdsa-sha2-nistp256@openssh.com AAAAInNrLWVjZHNhLXNoYTItbmlzdHAyNTZAb3BlbnNzaC5jb20AAAAIbmlzdHAyNTYAAABBBAwuM+"
        "5PoE6HwjRKcoCsLUVYzQT+QAkDBLuBjfowg3k+73IbqNGmbqh+i9XjZPiBTrA3+zpXMtXhtLqiI2f9WPsAAAAEc3NoOg==",
    };
    static const struct {
        const char *key;
        const char *reason;
    } bad[] = {
        /* alice's key with its last four characters lost: 29 of its 32 key bytes */
        {"ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIK+g1Lmh3eaGj3//NRrSIu2Mlj83T9EKobauZ0g9", "truncated"},
        {"ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAH1LyJmWmDBLSiRhdlQ7ogTYJFm9rET0XjWwP05Af8jk=", "31 bytes, not 32"},
        {"ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIJKjMF8YjLYQkA+eNH+uiG3GUHeV7HRcTD/LLrLHPhSTAAAAAA==", "stray bytes"},
        {"ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAAAQQDBTIZ+4Fe6ckmb+hIeg2sqwVcm7n1rCvarE8OOksrg0VBXsVmYf5TMdBHXF/FFebKqEA+7s0"
         "+lk/6u0nJIt2Lj",
         "512 bits"},
        {"ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQDBq1gF8HZaK5wdfg83xEkhvT9lZOrffxQqcmaMR+Ij0W7djEe0avxbruJh9TsmFS0mO6g7A3zU"
         "li5DSAEla4henJBR8yCw24PznqetvQ105t7H89+uzI9kZWZkGnuiZg8wEfw=",
         "truncated (the modulus"},
        {"ssh-rsa AAAAB3NzaC1yc2EAAAADAQAAAAAAgQDBq1gF8HZaK5wdfg83xEkhvT9lZOrffxQqcmaMR+Ij0W7djEe0avxbruJh9TsmFS0mO6g7A3zU"
         "li5DSAEla4henJBR8yCw24PznqetvQ105t7H89+uzI9kZWZkGnuiZg8wEfw1cCkcV5kNGgCRJokZ8l2dBhLfNZ1gJqJA9FiaXQ==",
         "exponent"},
        {"ecdsa-sha2-nistp256 AAAAE2VjZHNhLXNoYTItbmlzdHAyNTYAAAAIbmlzdHAyNTYAAABABHkfHdl8/vp3entPFSQav1e9Q3rUsSmEBTTz84dc"
         "JbCL6gbCh0z6pN0XsthChF3oKlvFOYiKx4BUojmcz8n8wg==",
         "64 bytes, not an uncompressed point of 65"},
        {"ecdsa-sha2-nistp384 AAAAE2VjZHNhLXNoYTItbmlzdHAzODQAAAAIbmlzdHAyNTYAAABhBNoxzj3RZr3NOjOEflu7B/0Hykd4QjGxmvRYcs7v"
         "ufxZ9PldFDgaOngyVjR7n/zmnNcAeuinWMykFdWpHuhjyLbAM3rjLW/KolUWzfL4uGV2Zr7yFbkoK/4gByaX53fOpw==",
         "another curve than nistp384"},
        {"sk-ssh-ed25519@openssh.com AAAAGnNrLXNzaC1lZDI1NTE5QG9wZW5zc2guY29tAAAAIKIWzUIVm9s4EUPcH3QCVv6Nau3qRJ8hC4a1PfAc"
         "+ClD",
         "application"},
    };
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++)
        ck_assert_msg(bn_validate_ssh_key(good[i]) == 0, "good key %zu refused: %s", i, brev_error_message());
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        ck_assert_msg(bn_validate_ssh_key(bad[i].key) == BREV_EINVAL, "bad key %zu passed", i);
        ck_assert_msg(strstr(brev_error_message(), bad[i].reason) != NULL, "key %zu: '%s' lacks '%s'", i,
                      brev_error_message(), bad[i].reason);
    }
}
END_TEST

START_TEST(instance_names)
{
    ck_assert_int_eq(bn_validate_instance_name("a"), 0);
    ck_assert_int_eq(bn_validate_instance_name("web-01"), 0);
    ck_assert_int_eq(bn_validate_instance_name("0abc"), 0);
    ck_assert_int_eq(bn_validate_instance_name("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"), 0); /* 63 */
    ck_assert_int_eq(bn_validate_instance_name("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"),
                     BREV_EINVAL); /* 64 */
    ck_assert_int_eq(bn_validate_instance_name(""), BREV_EINVAL);
    ck_assert_int_eq(bn_validate_instance_name(NULL), BREV_EINVAL);
    ck_assert_int_eq(bn_validate_instance_name("-a"), BREV_EINVAL);
    ck_assert_int_eq(bn_validate_instance_name("a-"), BREV_EINVAL);
    ck_assert_int_eq(bn_validate_instance_name("A"), BREV_EINVAL);
    ck_assert_int_eq(bn_validate_instance_name("a.b"), BREV_EINVAL);
    ck_assert_int_eq(bn_validate_instance_name("a_b"), BREV_EINVAL);
}
END_TEST

START_TEST(ref_ids)
{
    ck_assert_int_eq(bn_validate_ref_id("Run_1.2-x"), 0);
    ck_assert_int_eq(bn_validate_ref_id(""), BREV_EINVAL);
    ck_assert_int_eq(bn_validate_ref_id(NULL), BREV_EINVAL);
    ck_assert_int_eq(bn_validate_ref_id("a b"), BREV_EINVAL);
    ck_assert_int_eq(bn_validate_ref_id("a/b"), BREV_EINVAL);
    ck_assert_int_eq(bn_validate_ref_id("0123456789012345678901234567890123456789012345678901234567890123"),
                     BREV_EINVAL);
}
END_TEST

START_TEST(instance_types_parse)
{
    char *p = NULL, *s = NULL;

    ck_assert_int_eq(bn_parse_instance_type("cpu-d3.4vcpu-16gb", "eu-north1", &p, &s), 0);
    ck_assert_str_eq(p, "cpu-d3");
    ck_assert_str_eq(s, "4vcpu-16gb");
    free(p);
    free(s);
    ck_assert_int_eq(bn_parse_instance_type("eu-north1-noSub-gpu-l40s-a.1gpu-8vcpu-32gb", "eu-north1", &p, &s), 0);
    ck_assert_str_eq(p, "gpu-l40s-a");
    ck_assert_str_eq(s, "1gpu-8vcpu-32gb");
    free(p);
    free(s);
    ck_assert_int_eq(bn_parse_instance_type("us-east1-noSub-cpu-d3.4vcpu-16gb", "eu-north1", &p, &s), BREV_EINVAL);
    ck_assert_int_eq(bn_parse_instance_type("cpu-d3", "eu-north1", &p, &s), BREV_EINVAL);
    ck_assert_int_eq(bn_parse_instance_type("cpu-d3.", "eu-north1", &p, &s), BREV_EINVAL);
    ck_assert_int_eq(bn_parse_instance_type(".4vcpu", "eu-north1", &p, &s), BREV_EINVAL);
    ck_assert_int_eq(bn_parse_instance_type("a.b.c", "eu-north1", &p, &s), BREV_EINVAL);
    ck_assert_int_eq(bn_parse_instance_type("CPU.X", "eu-north1", &p, &s), BREV_EINVAL);
    ck_assert_int_eq(bn_parse_instance_type(NULL, "eu-north1", &p, &s), BREV_EINVAL);
    ck_assert_ptr_null(p);
    ck_assert_ptr_null(s);
}
END_TEST

START_TEST(user_labels_and_disk_types)
{
    brev_label ok[] = {{"team", "a"}, {"env", ""}};
    brev_label reserved[] = {{"brev-managed", "false"}};
    brev_label dup[] = {{"a", "1"}, {"a", "2"}};
    brev_label empty[] = {{"", "1"}};
    brev_label null_value[] = {{"a", NULL}};
    Nebius__Compute__V1__DiskSpec__DiskType t;

    ck_assert_int_eq(bn_validate_user_labels(ok, 2), 0);
    ck_assert_int_eq(bn_validate_user_labels(NULL, 0), 0);
    ck_assert_int_eq(bn_validate_user_labels(NULL, 1), BREV_EINVAL);
    ck_assert_int_eq(bn_validate_user_labels(reserved, 1), BREV_EINVAL);
    ck_assert_int_eq(bn_validate_user_labels(dup, 2), BREV_EINVAL);
    ck_assert_int_eq(bn_validate_user_labels(empty, 1), BREV_EINVAL);
    ck_assert_int_eq(bn_validate_user_labels(null_value, 1), BREV_EINVAL);

    ck_assert_int_eq(bn_parse_disk_type(NULL, &t), 0);
    ck_assert_int_eq(t, NEBIUS__COMPUTE__V1__DISK_SPEC__DISK_TYPE__NETWORK_SSD);
    ck_assert_int_eq(bn_parse_disk_type("network-ssd-io-m3", &t), 0);
    ck_assert_int_eq(t, NEBIUS__COMPUTE__V1__DISK_SPEC__DISK_TYPE__NETWORK_SSD_IO_M3);
    ck_assert_int_eq(bn_parse_disk_type("network-hdd", &t), 0);
    ck_assert_int_eq(t, NEBIUS__COMPUTE__V1__DISK_SPEC__DISK_TYPE__NETWORK_HDD);
    ck_assert_int_eq(bn_parse_disk_type("ssd", &t), BREV_EINVAL);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("cloud_validate");
    TCase *tc = tcase_create("validate");
    tcase_add_test(tc, valid_keys_pass);
    tcase_add_test(tc, bad_keys_fail_with_a_reason);
    tcase_add_test(tc, key_structure_is_checked_per_type);
    tcase_add_test(tc, instance_names);
    tcase_add_test(tc, ref_ids);
    tcase_add_test(tc, instance_types_parse);
    tcase_add_test(tc, user_labels_and_disk_types);
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
