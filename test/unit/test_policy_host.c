/* The host-layer cloud-init fragment (src/policy/host.c): ufw deny-in /
 * allow-out with SSH open, the DOCKER-USER script, its systemd drop-in and
 * its boot unit. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <yaml.h>

#include <brev/nebius.h>

static char *fragment(void)
{
    char *text = NULL;
    ck_assert_int_eq(brev_policy_host_firewall_cloud_init(&text), BREV_OK);
    ck_assert_ptr_nonnull(text);
    return text;
}

static const char *find(const char *text, const char *needle)
{
    const char *p = strstr(text, needle);
    ck_assert_msg(p != NULL, "fragment lacks: %s", needle);
    return p;
}

START_TEST(is_a_cloud_config_installing_ufw)
{
    char *text = fragment();
    ck_assert(strncmp(text, "#cloud-config\n", 14) == 0);
    find(text, "packages:\n  - ufw\n");
    brev_string_free(text);
}
END_TEST

START_TEST(ufw_denies_in_allows_out_opens_ssh_then_enables)
{
    char *text = fragment();
    const char *deny = find(text, "[ufw, default, deny, incoming]");
    const char *allow_out = find(text, "[ufw, default, allow, outgoing]");
    const char *ssh = find(text, "[ufw, allow, 22/tcp]");
    const char *enable = find(text, "[ufw, --force, enable]");
    /* policies and SSH are in place before ufw starts filtering */
    ck_assert((deny) < (enable));
    ck_assert((allow_out) < (enable));
    ck_assert((ssh) < (enable));
    /* nothing but SSH is opened */
    ck_assert_ptr_null(strstr(text, "ufw, allow, 2222"));
    ck_assert_ptr_eq(strstr(ssh + 1, "[ufw, allow"), NULL);
    brev_string_free(text);
}
END_TEST

START_TEST(docker_user_chain_created_before_flush_and_ends_in_drop)
{
    char *text = fragment();
    const char *script = find(text, "path: /usr/local/sbin/brev-host-firewall\n");
    const char *create = find(script, "iptables -w -N DOCKER-USER");
    const char *flush = find(script, "iptables -w -F DOCKER-USER");
    const char *established = find(script, "--ctstate ESTABLISHED,RELATED -j ACCEPT");
    const char *egress = find(script, "-i \"$bridge\" ! -o \"$bridge\" -j ACCEPT");
    const char *internal = find(script, "-i \"$bridge\" -o \"$bridge\" -j ACCEPT");
    const char *loopback = find(script, "-i lo -j ACCEPT");
    const char *drop = find(script, "-A DOCKER-USER -j DROP");
    ck_assert((create) < (flush));
    ck_assert((flush) < (established));
    ck_assert((established) < (drop));
    ck_assert((egress) < (drop));
    ck_assert((internal) < (drop));
    ck_assert((loopback) < (drop));
    find(script, "docker0 'br+' 'cni+' 'cali+'");
    find(script, "permissions: '0755'");
    /* no persistence package: the drop-in and the boot unit re-apply instead */
    ck_assert_ptr_null(strstr(text, "iptables-persistent"));
    ck_assert_ptr_null(strstr(text, "netfilter-persistent"));
    brev_string_free(text);
}
END_TEST

START_TEST(docker_drop_in_reapplies_without_failing_docker)
{
    char *text = fragment();
    const char *dropin = find(text, "path: /etc/systemd/system/docker.service.d/");
    find(dropin, "[Service]");
    find(dropin, "ExecStartPost=-/usr/local/sbin/brev-host-firewall");
    brev_string_free(text);
}
END_TEST

START_TEST(applied_once_at_boot_by_an_enabled_unit)
{
    char *text = fragment();
    const char *unit = find(text, "path: /etc/systemd/system/brev-host-firewall.service");
    find(unit, "Type=oneshot");
    find(unit, "ExecStart=-/usr/local/sbin/brev-host-firewall");
    find(unit, "WantedBy=multi-user.target");
    const char *reload = find(text, "[systemctl, daemon-reload]");
    const char *enable = find(text, "[systemctl, enable, --now, brev-host-firewall.service]");
    ck_assert((reload) < (enable));
    brev_string_free(text);
}
END_TEST

START_TEST(no_tabs_and_null_out_is_refused)
{
    char *text = fragment();
    /* YAML forbids tabs for indentation */
    ck_assert_ptr_null(strchr(text, '\t'));
    brev_string_free(text);
    ck_assert_int_eq(brev_policy_host_firewall_cloud_init(NULL), BREV_EINVAL);
}
END_TEST

/* The fragment is valid YAML whose top level holds exactly the three keys
 * cloud-init merges (packages, write_files, runcmd), with three files. */
START_TEST(parses_as_yaml_with_the_expected_keys)
{
    char *text = fragment();
    yaml_parser_t parser;
    yaml_event_t event;
    int depth = 0, done = 0, expect_key = 0, files = 0, in_write_files = 0;
    char keys[8][32];
    int key_count = 0;

    ck_assert(yaml_parser_initialize(&parser));
    yaml_parser_set_input_string(&parser, (const unsigned char *)text, strlen(text));
    while (!done) {
        ck_assert_msg(yaml_parser_parse(&parser, &event), "YAML error: %s", parser.problem);
        switch (event.type) {
        case YAML_MAPPING_START_EVENT:
            depth++;
            if (depth == 1)
                expect_key = 1;
            if (depth == 3 && in_write_files)
                files++;
            break;
        case YAML_MAPPING_END_EVENT: depth--; break;
        case YAML_SEQUENCE_START_EVENT: depth++; break;
        case YAML_SEQUENCE_END_EVENT:
            depth--;
            if (depth == 1) {
                in_write_files = 0;
                expect_key = 1;
            }
            break;
        case YAML_SCALAR_EVENT:
            if (depth == 1 && expect_key) {
                ck_assert_int_lt(key_count, 8);
                snprintf(keys[key_count], sizeof keys[key_count], "%s", (const char *)event.data.scalar.value);
                in_write_files = strcmp(keys[key_count], "write_files") == 0;
                key_count++;
                expect_key = 0;
            }
            break;
        case YAML_STREAM_END_EVENT: done = 1; break;
        default: break;
        }
        yaml_event_delete(&event);
    }
    yaml_parser_delete(&parser);
    ck_assert_int_eq(key_count, 3);
    ck_assert_str_eq(keys[0], "packages");
    ck_assert_str_eq(keys[1], "write_files");
    ck_assert_str_eq(keys[2], "runcmd");
    ck_assert_int_eq(files, 3);
    brev_string_free(text);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("policy_host");
    TCase *tc = tcase_create("cloud-init");
    SRunner *sr;
    int failed;

    tcase_add_test(tc, is_a_cloud_config_installing_ufw);
    tcase_add_test(tc, ufw_denies_in_allows_out_opens_ssh_then_enables);
    tcase_add_test(tc, docker_user_chain_created_before_flush_and_ends_in_drop);
    tcase_add_test(tc, docker_drop_in_reapplies_without_failing_docker);
    tcase_add_test(tc, applied_once_at_boot_by_an_enabled_unit);
    tcase_add_test(tc, no_tabs_and_null_out_is_refused);
    tcase_add_test(tc, parses_as_yaml_with_the_expected_keys);
    suite_add_tcase(s, tc);
    sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
