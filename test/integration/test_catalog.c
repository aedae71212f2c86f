/* The catalogue: instance types, public images, latest image of a family,
 * regions — against nebius-sim's preset platforms and images. */
#include "test_instance_fixture.h"

static const brev_instance_type *find_type(const brev_instance_type_list *l, const char *type)
{
    for (size_t i = 0; i < l->count; i++)
        if (strcmp(l->items[i].type, type) == 0)
            return &l->items[i];
    return NULL;
}

START_TEST(instance_types_cover_every_platform_and_preset)
{
    brev_instance_type_list *l = NULL;
    const brev_instance_type *t;

    IX_SIM_ONLY();
    ck_assert_int_eq(brev_instance_types_list(ix_client, NULL, &l), 0);
    ck_assert_uint_eq(l->count, 4 + 2 + 2 + 5 + 2); /* every preset, no cap on CPU presets */
    t = find_type(l, "cpu-d3.4vcpu-16gb");
    ck_assert_ptr_nonnull(t);
    ck_assert_str_eq(t->id, "eu-north1-noSub-cpu-d3.4vcpu-16gb");
    ck_assert_str_eq(t->platform, "cpu-d3");
    ck_assert_str_eq(t->preset, "4vcpu-16gb");
    ck_assert_str_eq(t->region, "eu-north1");
    ck_assert_int_eq(t->vcpus, 4);
    ck_assert_int_eq(t->memory_bytes, (int64_t)16 << 30);
    ck_assert_int_eq(t->gpu_count, 0);
    ck_assert_str_eq(t->gpu_model, "");
    ck_assert_str_eq(t->gpu_manufacturer, "");
    ck_assert_str_eq(t->architecture, "x86_64");
    ck_assert_str_eq(t->description, "Non-GPU AMD EPYC Genoa");

    t = find_type(l, "gpu-h100-sxm.8gpu-128vcpu-1600gb");
    ck_assert_ptr_nonnull(t);
    ck_assert_int_eq(t->gpu_count, 8);
    ck_assert_str_eq(t->gpu_model, "H100");
    ck_assert_str_eq(t->gpu_manufacturer, "NVIDIA");
    ck_assert_int_eq(t->gpu_memory_bytes, (int64_t)80 * 1000000000);
    ck_assert_int_eq(t->vcpus, 128);
    ck_assert_int_eq(t->memory_bytes, (int64_t)1600 << 30);
    ck_assert_int_eq(t->preemptible_allowed, 1);
    t = find_type(l, "gpu-l40s-a.1gpu-8vcpu-32gb");
    ck_assert_ptr_nonnull(t);
    ck_assert_str_eq(t->id, "eu-north1-noSub-gpu-l40s-a.1gpu-8vcpu-32gb"); /* Brev's stable id */
    ck_assert_str_eq(t->gpu_model, "L40S");
    ck_assert_int_eq(t->gpu_memory_bytes, (int64_t)48 * 1000000000);
    t = find_type(l, "gpu-h200-sxm.1gpu-16vcpu-200gb");
    ck_assert_ptr_nonnull(t);
    ck_assert_str_eq(t->gpu_model, "H200");
    brev_instance_type_list_free(l);
}
END_TEST

START_TEST(instance_type_filters)
{
    brev_instance_type_filter f = {0};
    brev_instance_type_list *l = NULL;

    IX_SIM_ONLY();
    f.gpu_only = 1;
    ck_assert_int_eq(brev_instance_types_list(ix_client, &f, &l), 0);
    ck_assert_uint_eq(l->count, 9);
    for (size_t i = 0; i < l->count; i++)
        ck_assert_int_gt(l->items[i].gpu_count, 0);
    brev_instance_type_list_free(l);
    memset(&f, 0, sizeof f);
    f.cpu_only = 1;
    ck_assert_int_eq(brev_instance_types_list(ix_client, &f, &l), 0);
    ck_assert_uint_eq(l->count, 6);
    brev_instance_type_list_free(l);
    memset(&f, 0, sizeof f);
    f.type = "eu-north1-noSub-cpu-e2.2vcpu-8gb";
    ck_assert_int_eq(brev_instance_types_list(ix_client, &f, &l), 0);
    ck_assert_uint_eq(l->count, 1);
    ck_assert_str_eq(l->items[0].type, "cpu-e2.2vcpu-8gb");
    brev_instance_type_list_free(l);
    memset(&f, 0, sizeof f);
    f.architecture = "arm64";
    ck_assert_int_eq(brev_instance_types_list(ix_client, &f, &l), 0);
    ck_assert_uint_eq(l->count, 0);
    brev_instance_type_list_free(l);
    f.gpu_only = f.cpu_only = 1;
    ck_assert_int_eq(brev_instance_types_list(ix_client, &f, &l), BREV_EINVAL);
}
END_TEST

START_TEST(images_and_the_latest_of_a_family)
{
    brev_image_list *all = NULL, *fam = NULL;
    brev_image *latest = NULL;
    int64_t newest = 0;

    IX_SIM_ONLY();
    ck_assert_int_eq(brev_images_list(ix_client, NULL, &all), 0);
    ck_assert_uint_eq(all->count, 8);
    ck_assert_int_eq(brev_images_list(ix_client, "ubuntu24.04-driverless", &fam), 0);
    ck_assert_uint_eq(fam->count, 3);
    for (size_t i = 0; i < fam->count; i++) {
        ck_assert_str_eq(fam->items[i].family, "ubuntu24.04-driverless");
        ck_assert_str_eq(fam->items[i].architecture, "x86_64");
        ck_assert_str_eq(fam->items[i].os_name, "ubuntu");
        ck_assert_str_eq(fam->items[i].os_version, "24.04");
        ck_assert_int_eq(fam->items[i].min_disk_size_bytes, (int64_t)20 << 30);
        if (fam->items[i].created_at > newest)
            newest = fam->items[i].created_at;
    }
    ck_assert_int_eq(brev_image_latest(ix_client, "ubuntu24.04-driverless", &latest), 0);
    ck_assert_str_eq(latest->version, "20250818");
    ck_assert_int_eq(latest->created_at, newest);
    brev_image_free(latest);
    ck_assert_int_eq(brev_image_latest(ix_client, "no-such-family", &latest), BREV_ENOTFOUND);
    ck_assert_ptr_nonnull(strstr(brev_error_message(), "no-such-family"));
    ck_assert_int_eq(brev_image_latest(ix_client, "", &latest), BREV_EINVAL);
    brev_image_list_free(all);
    brev_image_list_free(fam);
}
END_TEST

START_TEST(images_list_follows_pages)
{
    brev_image_list *all = NULL;

    IX_SIM_ONLY();
    json_decref(bn_test_requests(ix_client, NULL, 1));
    ck_assert_int_eq(brev_images_list(ix_client, NULL, &all), 0);
    ck_assert_uint_eq(all->count, 8);
    ck_assert_int_ge(bn_test_request_count(ix_client, "ImageService/ListPublic"), 4);
    brev_image_list_free(all);
}
END_TEST

START_TEST(regions_are_described_and_the_project_region_is_available)
{
    brev_region_list *l = NULL;
    int seen = 0;

    IX_SIM_ONLY();
    ck_assert_int_eq(brev_regions_list(ix_client, &l), 0);
    ck_assert_uint_eq(l->count, 9);
    for (size_t i = 0; i < l->count; i++) {
        const brev_region *r = &l->items[i];
        ck_assert_uint_eq(strlen(r->country), 3);
        if (strcmp(r->name, "eu-north1") == 0) {
            seen = 1;
            ck_assert_str_eq(r->description, "Europe North 1 (Finland)");
            ck_assert_str_eq(r->country, "FIN");
            ck_assert_int_eq(r->available, 1);
        } else {
            ck_assert_int_eq(r->available, 0);
        }
        if (strcmp(r->name, "eu-west2") == 0)
            ck_assert_str_eq(r->country, "BEL");
        if (strcmp(r->name, "asia-east1") == 0)
            ck_assert_str_eq(r->country, "TWN");
    }
    ck_assert(seen);
    brev_region_list_free(l);
}
END_TEST

static void paged_sim_up(void)
{
    ix_page_size_max = 2;
    ix_sim_up();
}

static Suite *suite(void)
{
    Suite *s = suite_create("catalog");
    TCase *tc = ix_tcase("catalog");
    tcase_add_test(tc, instance_types_cover_every_platform_and_preset);
    tcase_add_test(tc, instance_type_filters);
    tcase_add_test(tc, images_and_the_latest_of_a_family);
    tcase_add_test(tc, regions_are_described_and_the_project_region_is_available);
    suite_add_tcase(s, tc);
    tc = tcase_create("paging");
    tcase_add_unchecked_fixture(tc, paged_sim_up, ix_sim_down);
    tcase_add_checked_fixture(tc, ix_client_up, ix_client_down);
    tcase_add_test(tc, images_list_follows_pages);
    tcase_add_test(tc, instance_types_cover_every_platform_and_preset);
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
