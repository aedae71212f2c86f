/* Descriptor-driven field access used by the generic list/get/delete calls. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "compute/labels.h"
#include "compute/msg_field.h"
#include "compute/resource.h"
#include "nebius/compute/v1/disk_service.pb-c.h"
#include "nebius/compute/v1/image_service.pb-c.h"
#include "nebius/compute/v1/platform_service.pb-c.h"

START_TEST(strings_and_ints_by_name)
{
    ProtobufCMessage *m = bn_msg_new(&nebius__compute__v1__list_disks_request__descriptor);
    Nebius__Compute__V1__ListDisksRequest *r = (Nebius__Compute__V1__ListDisksRequest *)m;

    ck_assert_ptr_nonnull(m);
    ck_assert_str_eq(bn_msg_get_str(m, "parent_id"), "");
    ck_assert_int_eq(bn_msg_set_str(m, "parent_id", "project-1"), 0);
    ck_assert_int_eq(bn_msg_set_str(m, "page_token", "t2"), 0);
    ck_assert_int_eq(bn_msg_set_int64(m, "page_size", 100), 0);
    ck_assert_str_eq(r->parent_id, "project-1");
    ck_assert_str_eq(r->page_token, "t2");
    ck_assert_int_eq(r->page_size, 100);
    ck_assert_str_eq(bn_msg_get_str(m, "page_token"), "t2");
    /* wrong names and wrong types are errors, not crashes */
    ck_assert_ptr_null(bn_msg_get_str(m, "nope"));
    ck_assert_ptr_null(bn_msg_get_str(m, "page_size"));
    ck_assert_int_eq(bn_msg_set_str(m, "page_size", "x"), BREV_EINTERNAL);
    ck_assert_int_eq(bn_msg_set_int64(m, "parent_id", 1), BREV_EINTERNAL);
    bn_msg_release(m);

    /* ListPlatformsRequest puts parent_id third: names, not positions, matter */
    m = bn_msg_new(&nebius__compute__v1__list_platforms_request__descriptor);
    ck_assert_int_eq(bn_msg_set_str(m, "parent_id", "project-2"), 0);
    ck_assert_str_eq(((Nebius__Compute__V1__ListPlatformsRequest *)m)->parent_id, "project-2");
    bn_msg_release(m);
}
END_TEST

START_TEST(repeated_items_are_taken_out)
{
    Nebius__Compute__V1__ListImagesResponse *resp;
    uint8_t buf[256];
    size_t len;
    size_t n = 0;
    ProtobufCMessage **items = NULL;
    Nebius__Compute__V1__ListImagesResponse src = NEBIUS__COMPUTE__V1__LIST_IMAGES_RESPONSE__INIT;
    Nebius__Compute__V1__Image a = NEBIUS__COMPUTE__V1__IMAGE__INIT, b = NEBIUS__COMPUTE__V1__IMAGE__INIT;
    Nebius__Compute__V1__Image *list[] = {&a, &b};

    src.n_items = 2;
    src.items = list;
    src.next_page_token = "next";
    len = protobuf_c_message_pack(&src.base, buf);
    resp = nebius__compute__v1__list_images_response__unpack(NULL, len, buf);
    ck_assert_ptr_nonnull(resp);
    ck_assert_int_eq(bn_msg_get_repeated(&resp->base, "items", &n, &items), 0);
    ck_assert_uint_eq(n, 2);
    ck_assert_int_eq(bn_msg_take_repeated(&resp->base, "items", &n, &items), 0);
    ck_assert_uint_eq(n, 2);
    ck_assert_uint_eq(resp->n_items, 0);
    ck_assert_ptr_null(resp->items);
    ck_assert_str_eq(bn_msg_get_str(&resp->base, "next_page_token"), "next");
    ck_assert_int_eq(bn_msg_get_repeated(&resp->base, "next_page_token", &n, &items), BREV_EINTERNAL);
    protobuf_c_message_free_unpacked(&resp->base, NULL);
    for (size_t i = 0; i < 2; i++)
        protobuf_c_message_free_unpacked(items[i], NULL);
    free(items);
}
END_TEST

START_TEST(labels_set_replace_and_read)
{
    Nebius__Common__V1__ResourceMetadata meta = NEBIUS__COMMON__V1__RESOURCE_METADATA__INIT;
    bn_labels l = {0};
    char key[16][16];

    for (int i = 0; i < 16; i++) { /* grows past the first block */
        snprintf(key[i], sizeof key[i], "k%d", i);
        ck_assert_int_eq(bn_labels_set(&l, key[i], "v"), 0);
    }
    ck_assert_int_eq(bn_labels_set(&l, "k3", "replaced"), 0);
    ck_assert_int_eq(bn_labels_attach(&l, &meta), 0);
    ck_assert_uint_eq(meta.n_labels, 16);
    ck_assert_str_eq(bn_meta_label(&meta, "k3"), "replaced");
    ck_assert_str_eq(bn_meta_label(&meta, "k15"), "v");
    ck_assert_ptr_null(bn_meta_label(&meta, "absent"));
    ck_assert_ptr_null(bn_meta_label(NULL, "k1"));
    bn_labels_free(&l);
}
END_TEST

START_TEST(kinds_name_real_services)
{
    const bn_kind *kinds[] = {&bn_kind_instance, &bn_kind_disk, &bn_kind_image, &bn_kind_platform,
                              &bn_kind_network, &bn_kind_subnet, &bn_kind_allocation, &bn_kind_security_group};
    for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++) {
        const ProtobufCServiceDescriptor *svc = kinds[i]->svc;
        const ProtobufCMethodDescriptor *list = protobuf_c_service_descriptor_get_method_by_name(svc, "List");
        ck_assert_ptr_nonnull(list);
        ck_assert_ptr_nonnull(protobuf_c_message_descriptor_get_field_by_name(list->input, "page_token"));
        ck_assert_ptr_nonnull(protobuf_c_message_descriptor_get_field_by_name(list->input, kinds[i]->list_parent_field));
        ck_assert_ptr_nonnull(protobuf_c_message_descriptor_get_field_by_name(list->output, "next_page_token"));
        ck_assert_ptr_nonnull(protobuf_c_message_descriptor_get_field_by_name(list->output, "items"));
        ck_assert_ptr_nonnull(protobuf_c_service_descriptor_get_method_by_name(svc, "GetByName"));
    }
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("cloud_msg_field");
    TCase *tc = tcase_create("msg_field");
    tcase_add_test(tc, strings_and_ints_by_name);
    tcase_add_test(tc, repeated_items_are_taken_out);
    tcase_add_test(tc, labels_set_replace_and_read);
    tcase_add_test(tc, kinds_name_real_services);
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
