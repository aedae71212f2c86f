/* Nebius compute.v1 Instance (+ its boot disk) -> brev_instance. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cloud/instance_internal.h"
#include "compute/labels.h"
#include "util/error.h"
#include "util/str.h"

void bn_instance_clear(brev_instance *in)
{
    if (!in)
        return;
    char **strings[] = {&in->id,        &in->name,          &in->ref_id,      &in->cluster_id, &in->project_id,
                        &in->region,    &in->instance_type, &in->platform,    &in->preset,     &in->image_id,
                        &in->image_family, &in->boot_disk_id, &in->subnet_id, &in->security_group_id,
                        &in->private_ip, &in->public_ip,    &in->ssh_user,    &in->nebius_state};
    for (size_t i = 0; i < sizeof strings / sizeof strings[0]; i++)
        free(*strings[i]);
    for (size_t i = 0; i < in->label_count; i++) {
        free((char *)in->labels[i].key);
        free((char *)in->labels[i].value);
    }
    free(in->labels);
    memset(in, 0, sizeof *in);
}

void brev_instance_free(brev_instance *instance)
{
    bn_instance_clear(instance);
    free(instance);
}

void brev_instance_list_free(brev_instance_list *list)
{
    if (!list)
        return;
    for (size_t i = 0; i < list->count; i++)
        bn_instance_clear(&list->items[i]);
    free(list->items);
    free(list);
}

/* n units of 2^shift bytes, or 0 (unknown) when the server's number is
 * negative or too large for int64 bytes: a shift would overflow. */
static int64_t scaled(int64_t n, unsigned shift)
{
    if (n < 0 || n > (INT64_MAX >> shift))
        return 0;
    return n << shift;
}

int64_t bn_disk_size_bytes(const Nebius__Compute__V1__Disk *disk)
{
    const Nebius__Compute__V1__DiskSpec *s = disk ? disk->spec : NULL;

    if (disk && disk->status && disk->status->size_bytes > 0)
        return disk->status->size_bytes;
    if (!s)
        return 0;
    switch (s->size_case) {
    case NEBIUS__COMPUTE__V1__DISK_SPEC__SIZE_SIZE_BYTES:
        return scaled(s->size_bytes, 0);
    case NEBIUS__COMPUTE__V1__DISK_SPEC__SIZE_SIZE_KIBIBYTES:
        return scaled(s->size_kibibytes, 10);
    case NEBIUS__COMPUTE__V1__DISK_SPEC__SIZE_SIZE_MEBIBYTES:
        return scaled(s->size_mebibytes, 20);
    case NEBIUS__COMPUTE__V1__DISK_SPEC__SIZE_SIZE_GIBIBYTES:
        return scaled(s->size_gibibytes, 30);
    default:
        return 0;
    }
}

int bn_disk_encrypted(const Nebius__Compute__V1__Disk *disk)
{
    return disk && disk->spec && disk->spec->disk_encryption &&
           disk->spec->disk_encryption->type ==
               NEBIUS__COMPUTE__V1__DISK_ENCRYPTION__DISK_ENCRYPTION_TYPE__DISK_ENCRYPTION_MANAGED;
}

const char *bn_instance_boot_disk_id(const Nebius__Compute__V1__Instance *inst)
{
    const Nebius__Compute__V1__AttachedDiskSpec *b = inst->spec ? inst->spec->boot_disk : NULL;
    const char *label = bn_meta_label(inst->metadata, BN_LABEL_BOOT_DISK_ID);

    if (b && b->type_case == NEBIUS__COMPUTE__V1__ATTACHED_DISK_SPEC__TYPE_EXISTING_DISK && b->existing_disk &&
        b->existing_disk->id && *b->existing_disk->id)
        return b->existing_disk->id;
    return label ? label : "";
}

/* "10.0.0.5/32" -> "10.0.0.5": the API reports effective addresses as CIDRs. */
static char *bare_address(const char *cidr)
{
    const char *slash = cidr ? strchr(cidr, '/') : NULL;

    if (!slash)
        return bn_strdup(cidr);
    return bn_strfmt("%.*s", (int)(slash - cidr), cidr);
}

static const char *label_or_empty(const Nebius__Common__V1__ResourceMetadata *meta, const char *key)
{
    const char *v = bn_meta_label(meta, key);
    return v ? v : "";
}

static int copy_labels(brev_instance *out, const Nebius__Common__V1__ResourceMetadata *meta)
{
    size_t n = meta ? meta->n_labels : 0;

    if (n == 0)
        return BREV_OK;
    out->labels = calloc(n, sizeof *out->labels);
    if (!out->labels)
        return bn_err_set(BREV_ENOMEM, "out of memory");
    for (size_t i = 0; i < n; i++) {
        out->labels[i].key = bn_strdup(meta->labels[i]->key);
        out->labels[i].value = bn_strdup(meta->labels[i]->value);
        out->label_count = i + 1;
        if (!out->labels[i].key || !out->labels[i].value)
            return BREV_ENOMEM;
    }
    return BREV_OK;
}

static int fill(brev_instance *out, const Nebius__Compute__V1__Instance *src, const Nebius__Compute__V1__Disk *disk,
                const char *region)
{
    const Nebius__Common__V1__ResourceMetadata *meta = src->metadata;
    const Nebius__Compute__V1__InstanceSpec *spec = src->spec;
    const Nebius__Compute__V1__ResourcesSpec *res = spec ? spec->resources : NULL;
    const Nebius__Compute__V1__NetworkInterfaceSpec *nic =
        spec && spec->n_network_interfaces ? spec->network_interfaces[0] : NULL;
    const Nebius__Compute__V1__NetworkInterfaceStatus *nst =
        src->status && src->status->n_network_interfaces ? src->status->network_interfaces[0] : NULL;
    const char *platform = res && res->platform ? res->platform : "";
    const char *preset =
        res && res->size_case == NEBIUS__COMPUTE__V1__RESOURCES_SPEC__SIZE_PRESET && res->preset ? res->preset : "";
    const char *sg = "";
    const char *image_id = "";
    int state = src->status ? (int)src->status->state : 0;

    if (nic && nic->n_security_groups && nic->security_groups[0]->id)
        sg = nic->security_groups[0]->id;
    else if (nst && nst->n_security_groups && nst->security_groups[0]->id)
        sg = nst->security_groups[0]->id;
    if (disk && disk->status && disk->status->source_image_id && *disk->status->source_image_id)
        image_id = disk->status->source_image_id;
    else if (disk && disk->spec && disk->spec->source_case == NEBIUS__COMPUTE__V1__DISK_SPEC__SOURCE_SOURCE_IMAGE_ID)
        image_id = disk->spec->source_image_id;

    out->id = bn_strdup(meta ? meta->id : "");
    out->name = bn_strdup(meta ? meta->name : "");
    out->ref_id = bn_strdup(label_or_empty(meta, BN_LABEL_REF_ID));
    out->cluster_id = bn_strdup(label_or_empty(meta, BN_LABEL_CLUSTER_ID));
    out->project_id = bn_strdup(meta ? meta->parent_id : "");
    out->region = bn_strdup(region);
    out->platform = bn_strdup(platform);
    out->preset = bn_strdup(preset);
    out->instance_type = *platform ? bn_strfmt("%s.%s", platform, preset)
                                   : bn_strdup(label_or_empty(meta, BN_LABEL_INSTANCE_TYPE));
    out->image_id = bn_strdup(image_id);
    out->image_family = bn_strdup(label_or_empty(meta, BN_LABEL_IMAGE_FAMILY));
    out->boot_disk_id = bn_strdup(bn_instance_boot_disk_id(src));
    out->subnet_id = bn_strdup(nic ? nic->subnet_id : "");
    out->security_group_id = bn_strdup(sg);
    out->private_ip = bare_address(nst && nst->ip_address ? nst->ip_address->address : "");
    out->public_ip = bare_address(nst && nst->public_ip_address ? nst->public_ip_address->address : "");
    out->ssh_user = bn_strdup(BN_SSH_USER);
    out->ssh_port = BN_SSH_PORT;
    out->status = bn_lifecycle_of_state(state);
    out->nebius_state = bn_strdup(bn_nebius_state_name(state));
    out->created_at = meta && meta->created_at ? meta->created_at->seconds : 0;
    out->disk_size_bytes = bn_disk_size_bytes(disk);
    out->disk_encrypted = bn_disk_encrypted(disk);

    char *strings[] = {out->id,        out->name,         out->ref_id,       out->cluster_id,   out->project_id,
                       out->region,    out->platform,     out->preset,       out->instance_type, out->image_id,
                       out->image_family, out->boot_disk_id, out->subnet_id, out->security_group_id,
                       out->private_ip, out->public_ip,   out->ssh_user,     out->nebius_state};
    for (size_t i = 0; i < sizeof strings / sizeof strings[0]; i++)
        if (!strings[i])
            return bn_err_set(BREV_ENOMEM, "out of memory");
    return copy_labels(out, meta);
}

int bn_instance_convert(const Nebius__Compute__V1__Instance *src, const Nebius__Compute__V1__Disk *boot_disk,
                        const char *region, brev_instance **out)
{
    brev_instance *in;
    int rc;

    *out = NULL;
    if (!src->metadata || !src->metadata->id || !*src->metadata->id)
        return bn_err_set(BREV_EPROTOCOL, "the API returned an instance without an id");
    in = calloc(1, sizeof *in);
    if (!in)
        return bn_err_set(BREV_ENOMEM, "out of memory");
    rc = fill(in, src, boot_disk, region ? region : "");
    if (rc < 0) {
        brev_instance_free(in);
        return rc;
    }
    *out = in;
    return BREV_OK;
}
