/* brev_instances_list: every page of the project's instances, filtered here,
 * with the boot disks read in one listing of the project's disks instead of
 * one Get per instance. */
#include <stdlib.h>
#include <string.h>

#include "cloud/instance_internal.h"
#include "compute/labels.h"
#include "util/error.h"

static int has_label(const Nebius__Common__V1__ResourceMetadata *meta, const char *key, const char *value)
{
    const char *v = bn_meta_label(meta, key);
    return v && strcmp(v, value ? value : "") == 0;
}

static int wanted(const Nebius__Compute__V1__Instance *inst, const brev_instance_filter *f)
{
    const Nebius__Common__V1__ResourceMetadata *m = inst->metadata;

    if (!f)
        return 1;
    if (f->managed_only && !has_label(m, BN_LABEL_MANAGED, "true"))
        return 0;
    if (f->cluster_id && *f->cluster_id && !has_label(m, BN_LABEL_CLUSTER_ID, f->cluster_id))
        return 0;
    for (size_t i = 0; i < f->label_count; i++)
        if (!has_label(m, f->labels[i].key, f->labels[i].value))
            return 0;
    if (f->instance_id_count) {
        for (size_t i = 0; i < f->instance_id_count; i++)
            if (f->instance_ids[i] && m && m->id && strcmp(f->instance_ids[i], m->id) == 0)
                return 1;
        return 0;
    }
    return 1;
}

static int check_filter(const brev_instance_filter *f)
{
    if (!f)
        return BREV_OK;
    if (f->label_count && !f->labels)
        return bn_err_set(BREV_EINVAL, "filter: label_count is %zu but labels is NULL", f->label_count);
    for (size_t i = 0; i < f->label_count; i++)
        if (!f->labels[i].key || !*f->labels[i].key)
            return bn_err_set(BREV_EINVAL, "filter: label %zu has an empty key", i);
    if (f->instance_id_count && !f->instance_ids)
        return bn_err_set(BREV_EINVAL, "filter: instance_id_count is %zu but instance_ids is NULL",
                          f->instance_id_count);
    return BREV_OK;
}

static const Nebius__Compute__V1__Disk *disk_by_id(const bn_msg_list *disks, const char *id)
{
    for (size_t i = 0; *id && i < disks->count; i++) {
        const Nebius__Compute__V1__Disk *d = (const Nebius__Compute__V1__Disk *)disks->items[i];
        if (d->metadata && d->metadata->id && strcmp(d->metadata->id, id) == 0)
            return d;
    }
    return NULL;
}

int brev_instances_list(brev_client *client, const brev_instance_filter *filter, brev_instance_list **out)
{
    bn_msg_list instances = {0}, disks = {0};
    brev_instance_list *list;
    const char *project;
    int rc;

    if (!client || !out)
        return bn_err_set(BREV_EINVAL, "client and out must not be NULL");
    *out = NULL;
    rc = check_filter(filter);
    if (rc < 0)
        return rc;
    rc = bn_client_project(client, &project);
    if (rc < 0)
        return rc;
    rc = bn_res_list(client->rpc, &bn_kind_instance, project, &instances);
    if (rc < 0)
        return rc;
    if (instances.count > 0 && bn_res_list(client->rpc, &bn_kind_disk, project, &disks) < 0) {
        /* Instances are still worth listing without disk sizes. */
        bn_log(&client->logger, BREV_LOG_DEBUG, "instance list: disks not listed: %s", brev_error_message());
        brev_error_clear();
    }
    list = calloc(1, sizeof *list);
    if (list)
        list->items = calloc(instances.count ? instances.count : 1, sizeof *list->items);
    if (!list || !list->items) {
        free(list);
        rc = bn_err_set(BREV_ENOMEM, "out of memory");
        goto done;
    }
    for (size_t i = 0; i < instances.count; i++) {
        const Nebius__Compute__V1__Instance *inst = (const Nebius__Compute__V1__Instance *)instances.items[i];
        brev_instance *one = NULL;

        if (!wanted(inst, filter))
            continue;
        rc = bn_instance_convert(inst, disk_by_id(&disks, bn_instance_boot_disk_id(inst)),
                                 brev_client_region(client), &one);
        if (rc < 0) {
            brev_instance_list_free(list);
            goto done;
        }
        list->items[list->count++] = *one;
        free(one);
    }
    *out = list;
done:
    bn_msg_list_free(&instances);
    bn_msg_list_free(&disks);
    return rc;
}
