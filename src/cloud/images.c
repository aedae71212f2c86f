/* Public images: list by region, latest of a family, and the boot image of a
 * create (an explicit image id is honoured, unlike the Go provider, which
 * ignores it and always takes a fixed family). */
#include <stdlib.h>
#include <string.h>

#include "cloud/instance_internal.h"
#include "compute/labels.h"
#include "compute/msg_field.h"
#include "nebius/compute/v1/image_service.pb-c.h"
#include "util/error.h"
#include "util/str.h"

/* Regions whose public-images project is known; others derive it from the
 * project id, whose three characters after "project-" are the region code. */
static const struct {
    const char *region;
    const char *parent;
} public_parents[] = {
    {"eu-north1", "project-e00public-images"},
    {"eu-west1", "project-e00public-images"},
    {"us-central1", "project-u00public-images"},
    {"us-west1", "project-u00public-images"},
    {"asia-southeast1", "project-a00public-images"},
};

char *bn_public_images_parent(const char *region, const char *project_id)
{
    for (size_t i = 0; region && i < sizeof public_parents / sizeof public_parents[0]; i++)
        if (strcmp(region, public_parents[i].region) == 0)
            return bn_strdup(public_parents[i].parent);
    if (project_id && bn_str_starts_with(project_id, "project-") && strlen(project_id) >= 11)
        return bn_strfmt("project-%.3spublic-images", project_id + 8);
    return bn_strdup("project-e00public-images");
}

static const char *image_arch(const Nebius__Compute__V1__Image *img)
{
    const char *label;
    const char *name = img->metadata && img->metadata->name ? img->metadata->name : "";

    if (img->spec && img->spec->cpu_architecture == NEBIUS__COMPUTE__V1__IMAGE_SPEC__CPUARCHITECTURE__AMD64)
        return "x86_64";
    if (img->spec && img->spec->cpu_architecture == NEBIUS__COMPUTE__V1__IMAGE_SPEC__CPUARCHITECTURE__ARM64)
        return "arm64";
    if (img->spec && img->spec->cpu_architecture != NEBIUS__COMPUTE__V1__IMAGE_SPEC__CPUARCHITECTURE__UNSPECIFIED)
        return "unknown";
    label = bn_meta_label(img->metadata, "architecture");
    if (!label)
        label = bn_meta_label(img->metadata, "arch");
    if (label && (strcmp(label, "amd64") == 0 || strcmp(label, "x86_64") == 0))
        return "x86_64";
    if (label && (strcmp(label, "arm64") == 0 || strcmp(label, "aarch64") == 0))
        return "arm64";
    if (strstr(name, "arm64") || strstr(name, "aarch64"))
        return "arm64";
    if (strstr(name, "x86_64") || strstr(name, "amd64"))
        return "x86_64";
    return "unknown";
}

static void image_clear(brev_image *im)
{
    if (!im)
        return;
    char *strings[] = {im->id,           im->name,          im->family,  im->version,
                       im->description,  im->architecture,  im->os_name, im->os_version};
    for (size_t i = 0; i < sizeof strings / sizeof strings[0]; i++)
        free(strings[i]);
    memset(im, 0, sizeof *im);
}

void brev_image_free(brev_image *image)
{
    image_clear(image);
    free(image);
}

void brev_image_list_free(brev_image_list *list)
{
    if (!list)
        return;
    for (size_t i = 0; i < list->count; i++)
        image_clear(&list->items[i]);
    free(list->items);
    free(list);
}

static const char *or_empty(const char *s)
{
    return s ? s : "";
}

static int image_fill(brev_image *im, const Nebius__Compute__V1__Image *img)
{
    const Nebius__Common__V1__ResourceMetadata *m = img->metadata;
    const Nebius__Compute__V1__ImageSpec *s = img->spec;

    im->id = bn_strdup(m ? m->id : "");
    im->name = bn_strdup(m ? m->name : "");
    im->family = bn_strdup(s ? s->image_family : "");
    im->version = bn_strdup(s ? s->version : "");
    im->description = bn_strdup(s ? s->description : "");
    im->architecture = bn_strdup(image_arch(img));
    im->os_name = bn_strdup(or_empty(bn_meta_label(m, "os_name")));
    im->os_version = bn_strdup(or_empty(bn_meta_label(m, "os_version")));
    im->min_disk_size_bytes = img->status ? img->status->min_disk_size_bytes : 0;
    im->created_at = m && m->created_at ? m->created_at->seconds : 0;
    if (!im->id || !im->name || !im->family || !im->version || !im->description || !im->architecture ||
        !im->os_name || !im->os_version)
        return bn_err_set(BREV_ENOMEM, "out of memory");
    return BREV_OK;
}

int brev_images_list(brev_client *client, const char *family, brev_image_list **out)
{
    bn_msg_list images = {0};
    brev_image_list *list;
    const char *region;
    int rc;

    if (!client || !out)
        return bn_err_set(BREV_EINVAL, "client and out must not be NULL");
    *out = NULL;
    region = brev_client_region(client);
    rc = bn_list_pages(client->rpc, &nebius__compute__v1__image_service__descriptor, "ListPublic", "region", region,
                       &images);
    if (rc < 0)
        return bn_err_prefix("listing the public images of %s", region);
    list = calloc(1, sizeof *list);
    if (list)
        list->items = calloc(images.count ? images.count : 1, sizeof *list->items);
    if (!list || !list->items) {
        free(list);
        bn_msg_list_free(&images);
        return bn_err_set(BREV_ENOMEM, "out of memory");
    }
    for (size_t i = 0; i < images.count && rc == BREV_OK; i++) {
        const Nebius__Compute__V1__Image *img = (const Nebius__Compute__V1__Image *)images.items[i];

        if (family && *family && (!img->spec || !img->spec->image_family || strcmp(img->spec->image_family, family)))
            continue;
        rc = image_fill(&list->items[list->count], img);
        list->count++;
    }
    bn_msg_list_free(&images);
    if (rc < 0) {
        brev_image_list_free(list);
        return rc;
    }
    *out = list;
    return BREV_OK;
}

static int latest_by_family(brev_client *client, const char *family, Nebius__Compute__V1__Image **out)
{
    Nebius__Compute__V1__GetImageLatestByFamilyRequest req = NEBIUS__COMPUTE__V1__GET_IMAGE_LATEST_BY_FAMILY_REQUEST__INIT;
    ProtobufCMessage *resp = NULL;
    const char *project = NULL;
    char *parent;
    int rc;

    *out = NULL;
    if (!family || !*family)
        return bn_err_set(BREV_EINVAL, "image family must not be empty");
    rc = bn_client_project(client, &project);
    if (rc < 0)
        return rc;
    parent = bn_public_images_parent(brev_client_region(client), project);
    if (!parent)
        return BREV_ENOMEM;
    req.image_family = (char *)family;
    req.parent_id = parent;
    rc = bn_rpc_call(client->rpc, &nebius__compute__v1__image_service__descriptor, "GetLatestByFamily",
                     &req.base, &resp, NULL);
    if (rc == BREV_ENOTFOUND)
        rc = bn_err_set(BREV_ENOTFOUND, "image family '%s' not found in %s (%s)", family,
                        brev_client_region(client), parent);
    else if (rc < 0)
        rc = bn_err_prefix("getting the latest image of family '%s'", family);
    free(parent);
    if (rc == BREV_OK)
        *out = (Nebius__Compute__V1__Image *)resp;
    return rc;
}

int brev_image_latest(brev_client *client, const char *family, brev_image **out)
{
    Nebius__Compute__V1__Image *img = NULL;
    brev_image *im;
    int rc;

    if (!client || !out)
        return bn_err_set(BREV_EINVAL, "client and out must not be NULL");
    *out = NULL;
    rc = latest_by_family(client, family, &img);
    if (rc < 0)
        return rc;
    im = calloc(1, sizeof *im);
    rc = im ? image_fill(im, img) : bn_err_set(BREV_ENOMEM, "out of memory");
    protobuf_c_message_free_unpacked(&img->base, NULL);
    if (rc < 0) {
        brev_image_free(im);
        return rc;
    }
    *out = im;
    return BREV_OK;
}

int bn_image_resolve(brev_client *client, const char *image_id, const char *family,
                     Nebius__Compute__V1__Image **out)
{
    ProtobufCMessage *msg = NULL;
    int rc;

    *out = NULL;
    if (image_id && *image_id) {
        rc = bn_res_get(client->rpc, &bn_kind_image, image_id, &msg);
        if (rc < 0)
            return rc;
        *out = (Nebius__Compute__V1__Image *)msg;
        return BREV_OK;
    }
    return latest_by_family(client, family, out);
}
