/* The whole instance lifecycle against nebius-sim through the public API:
 * create (2 keys, public IP) -> get -> get_by_name -> list -> stop -> start ->
 * reboot -> terminate, with the sim's state checked at each step. */
#include "test_instance_fixture.h"

static const char *json_str(json_t *obj, const char *a, const char *b)
{
    json_t *v = json_object_get(obj, a);
    if (b)
        v = json_object_get(v, b);
    return json_string_value(v);
}

static const char *label_of(const brev_instance *in, const char *key)
{
    for (size_t i = 0; i < in->label_count; i++)
        if (strcmp(in->labels[i].key, key) == 0)
            return in->labels[i].value;
    return NULL;
}

START_TEST(full_lifecycle)
{
    brev_create_instance_options o;
    brev_instance *in = NULL, *got = NULL, *by_name = NULL;
    brev_instance_list *list = NULL;
    brev_label extra[] = {{"team", "research"}};
    char *id, *disk_id, *group_id;
    json_t *st, *inst, *disk;
    const char *cloud_init;
    int found = 0;
    ix_counts before;

    IX_SIM_ONLY();
    before = ix_snapshot();
    ix_opts(&o, "life-1", "life-ref-1");
    o.public_ip = 1;
    o.labels = extra;
    o.label_count = 1;
    ck_assert_msg(brev_instance_create(ix_client, &o, &in) == 0, "%s", brev_error_message());
    ck_assert_int_eq(in->status, BREV_LIFECYCLE_RUNNING);
    ck_assert_str_eq(in->nebius_state, "RUNNING");
    ck_assert_str_eq(in->name, "life-1");
    ck_assert_str_eq(in->ref_id, "life-ref-1");
    ck_assert_str_eq(in->cluster_id, "life-ref-1");
    ck_assert_str_eq(in->instance_type, IX_CPU_TYPE);
    ck_assert_str_eq(in->platform, "cpu-d3");
    ck_assert_str_eq(in->preset, "4vcpu-16gb");
    ck_assert_str_eq(in->project_id, IX_PROJECT);
    ck_assert_str_eq(in->region, "eu-north1");
    ck_assert_str_eq(in->ssh_user, "ubuntu");
    ck_assert_int_eq(in->ssh_port, 22);
    ck_assert_str_eq(in->image_family, "ubuntu24.04-driverless");
    ck_assert(strlen(in->image_id) > 0);
    ck_assert(strlen(in->private_ip) > 0);
    ck_assert_ptr_null(strchr(in->private_ip, '/'));
    ck_assert(strlen(in->public_ip) > 0);
    ck_assert_ptr_null(strchr(in->public_ip, '/'));
    ck_assert_int_eq(in->disk_size_bytes, (int64_t)64 << 30);
    ck_assert_int_eq(in->disk_encrypted, 1);
    ck_assert(in->created_at > 0);
    ck_assert_str_eq(label_of(in, "team"), "research");
    ck_assert_str_eq(label_of(in, "brev-managed"), "true");
    ck_assert_str_eq(label_of(in, "brev-boot-disk-id"), in->boot_disk_id);
    id = strdup(in->id);
    disk_id = strdup(in->boot_disk_id);
    group_id = strdup(in->security_group_id);
    ck_assert(strlen(group_id) > 0);

    /* What the sim holds: cloud-init with both keys and sshd, the disk
     * encrypted, named and labelled, the interface on the cluster group. */
    st = bn_test_state(ix_client);
    inst = ix_resource(st, id);
    ck_assert_ptr_nonnull(inst);
    cloud_init = json_str(inst, "spec", "cloud_init_user_data");
    ck_assert_ptr_nonnull(cloud_init);
    ck_assert_ptr_nonnull(strstr(cloud_init, "#cloud-config"));
    ck_assert_ptr_nonnull(strstr(cloud_init, IX_KEY_ED25519));
    ck_assert_ptr_nonnull(strstr(cloud_init, IX_KEY_RSA));
    ck_assert_ptr_nonnull(strstr(cloud_init, "ssh_pwauth: false"));
    ck_assert_ptr_nonnull(strstr(cloud_init, "systemctl enable --now ssh"));
    ck_assert_str_eq(json_str(inst, "spec", "hostname"), "life-1");
    {
        json_t *nic = json_array_get(json_object_get(json_object_get(inst, "spec"), "network_interfaces"), 0);
        json_t *sg = json_array_get(json_object_get(nic, "security_groups"), 0);
        ck_assert_str_eq(json_string_value(json_object_get(nic, "name")), "eth0");
        ck_assert_str_eq(json_string_value(json_object_get(sg, "id")), group_id);
        ck_assert_ptr_nonnull(json_object_get(nic, "public_ip_address"));
    }
    disk = ix_resource(st, disk_id);
    ck_assert_ptr_nonnull(disk);
    ck_assert_str_eq(json_str(disk, "metadata", "name"), "life-1-boot");
    ck_assert_str_eq(json_string_value(json_object_get(json_object_get(json_object_get(disk, "spec"),
                                                                       "disk_encryption"), "type")),
                     "DISK_ENCRYPTION_MANAGED");
    ck_assert_str_eq(json_string_value(json_object_get(json_object_get(json_object_get(disk, "metadata"), "labels"),
                                                       "brev-ref-id")),
                     "life-ref-1");
    json_decref(st);

    ck_assert_int_eq(brev_instance_get(ix_client, id, &got), 0);
    ck_assert_str_eq(got->id, id);
    ck_assert_str_eq(got->public_ip, in->public_ip);
    ck_assert_int_eq(got->disk_encrypted, 1);
    ck_assert_int_eq(brev_instance_get_by_name(ix_client, "life-1", &by_name), 0);
    ck_assert_str_eq(by_name->id, id);

    ck_assert_int_eq(brev_instances_list(ix_client, NULL, &list), 0);
    for (size_t i = 0; i < list->count; i++)
        if (strcmp(list->items[i].id, id) == 0) {
            found = 1;
            ck_assert_int_eq(list->items[i].disk_size_bytes, (int64_t)64 << 30);
            ck_assert_int_eq(list->items[i].disk_encrypted, 1);
        }
    ck_assert(found);
    brev_instance_list_free(list);
    brev_instance_free(got);
    got = NULL;

    ck_assert_msg(brev_instance_stop(ix_client, id, 30000) == 0, "%s", brev_error_message());
    ck_assert_int_eq(brev_instance_get(ix_client, id, &got), 0);
    ck_assert_int_eq(got->status, BREV_LIFECYCLE_STOPPED);
    brev_instance_free(got);
    ck_assert_msg(brev_instance_start(ix_client, id, 30000) == 0, "%s", brev_error_message());
    ck_assert_int_eq(brev_instance_get(ix_client, id, &got), 0);
    ck_assert_int_eq(got->status, BREV_LIFECYCLE_RUNNING);
    brev_instance_free(got);
    ck_assert_msg(brev_instance_reboot(ix_client, id, 60000) == 0, "%s", brev_error_message());
    ck_assert_int_eq(brev_instance_get(ix_client, id, &got), 0);
    ck_assert_int_eq(got->status, BREV_LIFECYCLE_RUNNING);
    brev_instance_free(got);
    ck_assert_int_ge(bn_test_request_count(ix_client, "InstanceService/Stop"), 2);
    ck_assert_int_ge(bn_test_request_count(ix_client, "InstanceService/Start"), 2);

    ck_assert_msg(brev_instance_terminate(ix_client, id, 30000) == 0, "%s", brev_error_message());
    st = bn_test_state(ix_client);
    ck_assert_ptr_null(ix_resource(st, id));
    ck_assert_ptr_null(ix_resource(st, disk_id));
    ck_assert_ptr_null(ix_resource(st, group_id)); /* the cluster's last instance took its group along */
    json_decref(st);
    ix_assert_nothing_left(before); /* instance, disk, public IP allocation, cluster group */
    ck_assert_int_eq(brev_instance_get(ix_client, id, &got), BREV_ENOTFOUND);
    ck_assert_int_eq(brev_instance_terminate(ix_client, id, 30000), BREV_ENOTFOUND);
    ck_assert_int_eq(brev_instance_wait(ix_client, id, BREV_LIFECYCLE_TERMINATED, 5000, NULL), 0);

    brev_instance_free(in);
    brev_instance_free(by_name);
    free(id);
    free(disk_id);
    free(group_id);
}
END_TEST

START_TEST(no_wait_returns_before_running_and_wait_reaches_it)
{
    brev_create_instance_options o;
    brev_instance *in = NULL, *last = NULL;

    IX_SIM_ONLY();
    ix_opts(&o, "nowait-1", "nowait-ref-1");
    o.no_wait = 1;
    ck_assert_msg(brev_instance_create(ix_client, &o, &in) == 0, "%s", brev_error_message());
    ck_assert_int_ne(in->status, BREV_LIFECYCLE_RUNNING); /* the op is done while STARTING */
    ck_assert_msg(brev_instance_wait(ix_client, in->id, BREV_LIFECYCLE_RUNNING, 10000, &last) == 0, "%s",
                  brev_error_message());
    ck_assert_int_eq(last->status, BREV_LIFECYCLE_RUNNING);
    ck_assert_int_eq(brev_instance_terminate(ix_client, in->id, 30000), 0);
    brev_instance_free(in);
    brev_instance_free(last);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("instance_lifecycle");
    TCase *tc = ix_tcase("lifecycle");
    tcase_add_test(tc, full_lifecycle);
    tcase_add_test(tc, no_wait_returns_before_running_and_wait_reaches_it);
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
