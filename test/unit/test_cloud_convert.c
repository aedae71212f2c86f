/* Nebius Instance -> brev_instance, lifecycle names and state mapping, and
 * the catalogue's name tables. Messages are built in memory, no sim. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "cloud/instance_internal.h"

START_TEST(lifecycle_names_round_trip)
{
    brev_lifecycle l;

    for (int i = BREV_LIFECYCLE_UNKNOWN; i <= BREV_LIFECYCLE_FAILED; i++) {
        ck_assert_int_eq(brev_lifecycle_parse(brev_lifecycle_name((brev_lifecycle)i), &l), 0);
        ck_assert_int_eq(l, i);
    }
    ck_assert_str_eq(brev_lifecycle_name(BREV_LIFECYCLE_RUNNING), "running");
    ck_assert_str_eq(brev_lifecycle_name((brev_lifecycle)99), "unknown");
    ck_assert_int_eq(brev_lifecycle_parse("RUNNING", &l), BREV_EINVAL);
    ck_assert_int_eq(brev_lifecycle_parse(NULL, &l), BREV_EINVAL);
}
END_TEST

START_TEST(states_map_as_documented)
{
    static const struct {
        int state;
        brev_lifecycle want;
        const char *name;
    } map[] = {
        {0, BREV_LIFECYCLE_UNKNOWN, "UNSPECIFIED"}, {1, BREV_LIFECYCLE_PENDING, "CREATING"},
        {2, BREV_LIFECYCLE_PENDING, "UPDATING"},    {3, BREV_LIFECYCLE_PENDING, "STARTING"},
        {4, BREV_LIFECYCLE_RUNNING, "RUNNING"},     {5, BREV_LIFECYCLE_STOPPING, "STOPPING"},
        {6, BREV_LIFECYCLE_STOPPED, "STOPPED"},     {7, BREV_LIFECYCLE_TERMINATING, "DELETING"},
        {8, BREV_LIFECYCLE_FAILED, "ERROR"},
    };
    for (size_t i = 0; i < sizeof map / sizeof map[0]; i++) {
        ck_assert_int_eq(bn_lifecycle_of_state(map[i].state), map[i].want);
        ck_assert_str_eq(bn_nebius_state_name(map[i].state), map[i].name);
    }
    /* A state newer than this library is UNKNOWN too. UNSPECIFIED and unknown
     * states are not FAILED, unlike the Go provider, whose wait treats failed
     * as final and deletes the instance (instance.h, brev_lifecycle). */
    ck_assert_int_eq(bn_lifecycle_of_state(42), BREV_LIFECYCLE_UNKNOWN);
    ck_assert_int_ne(bn_lifecycle_of_state(0), BREV_LIFECYCLE_FAILED);
}
END_TEST

START_TEST(instance_converts_with_its_disk)
{
    Nebius__Compute__V1__Instance inst = NEBIUS__COMPUTE__V1__INSTANCE__INIT;
    Nebius__Common__V1__ResourceMetadata meta = NEBIUS__COMMON__V1__RESOURCE_METADATA__INIT;
    Nebius__Common__V1__ResourceMetadata__LabelsEntry l1 = NEBIUS__COMMON__V1__RESOURCE_METADATA__LABELS_ENTRY__INIT,
                                                      l2 = NEBIUS__COMMON__V1__RESOURCE_METADATA__LABELS_ENTRY__INIT,
                                                      l3 = NEBIUS__COMMON__V1__RESOURCE_METADATA__LABELS_ENTRY__INIT;
    Nebius__Common__V1__ResourceMetadata__LabelsEntry *labels[] = {&l1, &l2, &l3};
    Google__Protobuf__Timestamp ts = GOOGLE__PROTOBUF__TIMESTAMP__INIT;
    Nebius__Compute__V1__InstanceSpec spec = NEBIUS__COMPUTE__V1__INSTANCE_SPEC__INIT;
    Nebius__Compute__V1__ResourcesSpec res = NEBIUS__COMPUTE__V1__RESOURCES_SPEC__INIT;
    Nebius__Compute__V1__AttachedDiskSpec boot = NEBIUS__COMPUTE__V1__ATTACHED_DISK_SPEC__INIT;
    Nebius__Compute__V1__ExistingDisk ex = NEBIUS__COMPUTE__V1__EXISTING_DISK__INIT;
    Nebius__Compute__V1__NetworkInterfaceSpec nic = NEBIUS__COMPUTE__V1__NETWORK_INTERFACE_SPEC__INIT;
    Nebius__Compute__V1__NetworkInterfaceSpec *nics[] = {&nic};
    Nebius__Compute__V1__SecurityGroup sg = NEBIUS__COMPUTE__V1__SECURITY_GROUP__INIT;
    Nebius__Compute__V1__SecurityGroup *sgs[] = {&sg};
    Nebius__Compute__V1__InstanceStatus status = NEBIUS__COMPUTE__V1__INSTANCE_STATUS__INIT;
    Nebius__Compute__V1__NetworkInterfaceStatus ns = NEBIUS__COMPUTE__V1__NETWORK_INTERFACE_STATUS__INIT;
    Nebius__Compute__V1__NetworkInterfaceStatus *nss[] = {&ns};
    Nebius__Compute__V1__IPAddressStatus ip = NEBIUS__COMPUTE__V1__IPADDRESS_STATUS__INIT;
    Nebius__Compute__V1__PublicIPAddressStatus pip = NEBIUS__COMPUTE__V1__PUBLIC_IPADDRESS_STATUS__INIT;
    Nebius__Compute__V1__Disk disk = NEBIUS__COMPUTE__V1__DISK__INIT;
    Nebius__Compute__V1__DiskSpec dspec = NEBIUS__COMPUTE__V1__DISK_SPEC__INIT;
    Nebius__Compute__V1__DiskEncryption enc = NEBIUS__COMPUTE__V1__DISK_ENCRYPTION__INIT;
    Nebius__Compute__V1__DiskStatus dstatus = NEBIUS__COMPUTE__V1__DISK_STATUS__INIT;
    brev_instance *out = NULL;

    l1.key = "brev-ref-id", l1.value = "r1";
    l2.key = "brev-cluster-id", l2.value = "c1";
    l3.key = "team", l3.value = "x";
    meta.id = "computeinstance-1";
    meta.parent_id = "project-1";
    meta.name = "vm";
    meta.n_labels = 3;
    meta.labels = labels;
    ts.seconds = 1700000000;
    meta.created_at = &ts;
    res.platform = "gpu-h100-sxm";
    res.size_case = NEBIUS__COMPUTE__V1__RESOURCES_SPEC__SIZE_PRESET;
    res.preset = "1gpu-16vcpu-200gb";
    ex.id = "computedisk-1";
    boot.type_case = NEBIUS__COMPUTE__V1__ATTACHED_DISK_SPEC__TYPE_EXISTING_DISK;
    boot.existing_disk = &ex;
    nic.subnet_id = "vpcsubnet-1";
    sg.id = "vpcsecuritygroup-1";
    nic.n_security_groups = 1;
    nic.security_groups = sgs;
    spec.resources = &res;
    spec.boot_disk = &boot;
    spec.n_network_interfaces = 1;
    spec.network_interfaces = nics;
    ip.address = "10.0.0.5/32";
    pip.address = "203.0.113.9/32";
    ns.ip_address = &ip;
    ns.public_ip_address = &pip;
    status.state = NEBIUS__COMPUTE__V1__INSTANCE_STATUS__INSTANCE_STATE__STOPPING;
    status.n_network_interfaces = 1;
    status.network_interfaces = nss;
    inst.metadata = &meta;
    inst.spec = &spec;
    inst.status = &status;
    dspec.size_case = NEBIUS__COMPUTE__V1__DISK_SPEC__SIZE_SIZE_GIBIBYTES;
    dspec.size_gibibytes = 100;
    dspec.source_case = NEBIUS__COMPUTE__V1__DISK_SPEC__SOURCE_SOURCE_IMAGE_ID;
    dspec.source_image_id = "computeimage-9";
    enc.type = NEBIUS__COMPUTE__V1__DISK_ENCRYPTION__DISK_ENCRYPTION_TYPE__DISK_ENCRYPTION_MANAGED;
    dspec.disk_encryption = &enc;
    disk.spec = &dspec;
    disk.status = &dstatus;

    ck_assert_int_eq(bn_instance_convert(&inst, &disk, "eu-north1", &out), 0);
    ck_assert_str_eq(out->id, "computeinstance-1");
    ck_assert_str_eq(out->name, "vm");
    ck_assert_str_eq(out->ref_id, "r1");
    ck_assert_str_eq(out->cluster_id, "c1");
    ck_assert_str_eq(out->project_id, "project-1");
    ck_assert_str_eq(out->region, "eu-north1");
    ck_assert_str_eq(out->instance_type, "gpu-h100-sxm.1gpu-16vcpu-200gb");
    ck_assert_str_eq(out->boot_disk_id, "computedisk-1");
    ck_assert_str_eq(out->image_id, "computeimage-9");
    ck_assert_str_eq(out->subnet_id, "vpcsubnet-1");
    ck_assert_str_eq(out->security_group_id, "vpcsecuritygroup-1");
    ck_assert_str_eq(out->private_ip, "10.0.0.5");
    ck_assert_str_eq(out->public_ip, "203.0.113.9");
    ck_assert_str_eq(out->ssh_user, "ubuntu");
    ck_assert_int_eq(out->ssh_port, 22);
    ck_assert_int_eq(out->status, BREV_LIFECYCLE_STOPPING);
    ck_assert_str_eq(out->nebius_state, "STOPPING");
    ck_assert_int_eq(out->created_at, 1700000000);
    ck_assert_int_eq(out->disk_size_bytes, (int64_t)100 << 30);
    ck_assert_int_eq(out->disk_encrypted, 1);
    ck_assert_uint_eq(out->label_count, 3);
    ck_assert_str_eq(out->labels[2].key, "team");
    ck_assert_str_eq(out->image_family, "");
    brev_instance_free(out);

    /* Without status, disk and interfaces: strings empty, never NULL. */
    inst.status = NULL;
    spec.n_network_interfaces = 0;
    ck_assert_int_eq(bn_instance_convert(&inst, NULL, NULL, &out), 0);
    ck_assert_str_eq(out->private_ip, "");
    ck_assert_str_eq(out->public_ip, "");
    ck_assert_str_eq(out->image_id, "");
    ck_assert_int_eq(out->status, BREV_LIFECYCLE_UNKNOWN);
    ck_assert_int_eq(out->disk_size_bytes, 0);
    ck_assert_int_eq(out->disk_encrypted, 0);
    brev_instance_free(out);

    meta.id = "";
    ck_assert_int_eq(bn_instance_convert(&inst, NULL, NULL, &out), BREV_EPROTOCOL);
    ck_assert_ptr_null(out);
    brev_instance_free(NULL);
    brev_instance_list_free(NULL);
}
END_TEST

START_TEST(catalogue_name_tables)
{
    char *p;

    ck_assert_str_eq(bn_gpu_model_of("gpu-h100-sxm"), "H100");
    ck_assert_str_eq(bn_gpu_model_of("gpu-h200-sxm"), "H200");
    ck_assert_str_eq(bn_gpu_model_of("gpu-l40s-a"), "L40S");
    ck_assert_str_eq(bn_gpu_model_of("gpu-b200-sxm-a"), "B200");
    ck_assert_str_eq(bn_gpu_model_of("gpu-gb200"), "GB200");
    ck_assert_str_eq(bn_gpu_model_of("gpu-l4"), "L4");
    ck_assert_str_eq(bn_gpu_model_of("cpu-d3"), "");
    ck_assert_str_eq(bn_platform_architecture("gpu-gb300"), "arm64");
    ck_assert_str_eq(bn_platform_architecture("gpu-h100-sxm"), "x86_64");
    ck_assert_str_eq(bn_platform_architecture("cpu-e2"), "x86_64");
    ck_assert_str_eq(bn_platform_architecture("mystery-1"), "unknown");
    p = bn_public_images_parent("eu-north1", "project-e00abc");
    ck_assert_str_eq(p, "project-e00public-images");
    free(p);
    p = bn_public_images_parent("us-central1", "project-u00abc");
    ck_assert_str_eq(p, "project-u00public-images");
    free(p);
    p = bn_public_images_parent("eu-west3", "project-e02abcdef");
    ck_assert_str_eq(p, "project-e02public-images");
    free(p);
}
END_TEST

/* Sizes come from the server: one that does not fit in int64 bytes (or is
 * negative) reads as unknown (0), never as a shift overflow. */
START_TEST(disk_size_from_the_server_never_overflows)
{
    Nebius__Compute__V1__Disk disk = NEBIUS__COMPUTE__V1__DISK__INIT;
    Nebius__Compute__V1__DiskSpec spec = NEBIUS__COMPUTE__V1__DISK_SPEC__INIT;

    disk.spec = &spec;
    spec.size_case = NEBIUS__COMPUTE__V1__DISK_SPEC__SIZE_SIZE_GIBIBYTES;
    spec.size_gibibytes = 64;
    ck_assert_int_eq(bn_disk_size_bytes(&disk), (int64_t)64 << 30);
    spec.size_gibibytes = (INT64_MAX >> 30) + 1;
    ck_assert_int_eq(bn_disk_size_bytes(&disk), 0);
    spec.size_gibibytes = INT64_MAX;
    ck_assert_int_eq(bn_disk_size_bytes(&disk), 0);
    spec.size_gibibytes = -1;
    ck_assert_int_eq(bn_disk_size_bytes(&disk), 0);
    spec.size_case = NEBIUS__COMPUTE__V1__DISK_SPEC__SIZE_SIZE_MEBIBYTES;
    spec.size_mebibytes = INT64_MAX / 2;
    ck_assert_int_eq(bn_disk_size_bytes(&disk), 0);
    spec.size_mebibytes = INT64_MAX >> 20;
    ck_assert_int_eq(bn_disk_size_bytes(&disk), (INT64_MAX >> 20) << 20);
    spec.size_case = NEBIUS__COMPUTE__V1__DISK_SPEC__SIZE_SIZE_KIBIBYTES;
    spec.size_kibibytes = INT64_MIN;
    ck_assert_int_eq(bn_disk_size_bytes(&disk), 0);
    spec.size_case = NEBIUS__COMPUTE__V1__DISK_SPEC__SIZE_SIZE_BYTES;
    spec.size_bytes = -5;
    ck_assert_int_eq(bn_disk_size_bytes(&disk), 0);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("cloud_convert");
    TCase *tc = tcase_create("convert");
    tcase_add_test(tc, lifecycle_names_round_trip);
    tcase_add_test(tc, states_map_as_documented);
    tcase_add_test(tc, instance_converts_with_its_disk);
    tcase_add_test(tc, catalogue_name_tables);
    tcase_add_test(tc, disk_size_from_the_server_never_overflows);
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
