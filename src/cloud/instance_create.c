/* brev_instance_create: validate everything, find an earlier instance of the
 * same ref_id, resolve type and image, join the cluster's security group,
 * create the boot disk and the instance, and wait until it runs. A create is
 * all or nothing: on any failure what was made is deleted before returning,
 * and the error says what the cleanup did.
 *
 * Concurrent creates of one ref_id (two threads, two processes, a retry
 * while the first attempt still runs) meet at two names the cloud keeps
 * unique: the boot disk's and the instance's. The disk of the name is shared
 * (made by one call, taken over by the other once READY); the instance's
 * name decides who wins, and the loser returns the winner's instance as a
 * later create would. Every call marks what it creates with its own
 * BN_LABEL_CREATE_ID, and a rollback deletes only what carries its mark (or
 * ids its own calls returned), so a failing call never takes the other's
 * instance or disk with it. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <brev/firewall.h>

#include "cloud/instance_internal.h"
#include "compute/labels.h"
#include "nebius/compute/v1/disk_service.pb-c.h"
#include "nebius/compute/v1/instance_service.pb-c.h"
#include "nebius/vpc/v1/subnet.pb-c.h"
#include "policy/policy.h"
#include "util/error.h"
#include "util/str.h"

#define MINUTES(n) ((unsigned)(n) * 60u * 1000u)
#define CREATE_DEFAULT_MS MINUTES(20)
#define CLEANUP_STEP_MS MINUTES(10)
#define DEFAULT_SUBNET_NAME "default-subnet"
#define NIC_NAME "eth0"
#define BOOT_DEVICE_ID "boot"

int brev_create_instance_options_init(brev_create_instance_options *opts, unsigned int version)
{
    if (!opts)
        return bn_err_set(BREV_EINVAL, "options must not be NULL");
    if (version != BREV_CREATE_INSTANCE_OPTIONS_VERSION)
        return bn_err_set(BREV_EINVAL, "unknown create options version %u (this library knows %d)", version,
                          BREV_CREATE_INSTANCE_OPTIONS_VERSION);
    memset(opts, 0, sizeof *opts);
    opts->version = version;
    return BREV_OK;
}

typedef struct create {
    brev_client *client;
    const brev_create_instance_options *o;
    const char *project;
    const char *cluster_id;
    char *platform;
    char *preset;
    char *cloud_init;
    char *disk_name;
    int64_t disk_gib;
    Nebius__Compute__V1__DiskSpec__DiskType disk_type;
    unsigned timeout_ms;
    double deadline;
    Nebius__Compute__V1__Image *image;
    brev_cluster *cluster;
    int cluster_created; /* this create made the cluster's group */
    double slot_taken_at; /* the rate-limit slot this create holds, 0 = none */
    char *subnet_id;
    char create_id[37]; /* this call's mark (BN_LABEL_CREATE_ID) */
    char *disk_id;      /* the boot disk this create uses, once known */
    int disk_created;   /* disk_id was made by this call */
    int disk_adopted;   /* disk_id was made by another create of the ref_id */
    char *instance_id;  /* set once this call's instance is known */
    int disk_attempted;
    int instance_attempted;
} create;

static double now_s(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* What is left of the create's budget; BREV_ETIMEOUT once it is spent. */
static int remaining(const create *c, const char *step, unsigned *ms)
{
    double left = (c->deadline - now_s()) * 1000.0;

    if (left < 1)
        return bn_err_set(BREV_ETIMEOUT, "create timed out after %u ms before %s", c->timeout_ms, step);
    *ms = (unsigned)left;
    return BREV_OK;
}

/* --- validation ----------------------------------------------------------- */

static int validate(create *c)
{
    const brev_create_instance_options *o = c->o;
    int rc;

    if (o->version != BREV_CREATE_INSTANCE_OPTIONS_VERSION)
        return bn_err_set(BREV_EINVAL, "create options: unknown version %u (use brev_create_instance_options_init)",
                          o->version);
    if ((rc = bn_validate_instance_name(o->name)) < 0 || (rc = bn_validate_ref_id(o->ref_id)) < 0)
        return rc;
    c->cluster_id = o->cluster_id && *o->cluster_id ? o->cluster_id : o->ref_id;
    if (bn_policy_cluster_id_check(c->cluster_id) < 0) {
        if (c->cluster_id == o->ref_id)
            return bn_err_set(BREV_EINVAL, "ref_id '%s' cannot be the default cluster id (only a-z, 0-9 and '-', at "
                                           "most 63): set cluster_id",
                              o->ref_id);
        return bn_err_prefix("cluster_id");
    }
    rc = bn_parse_instance_type(o->instance_type, brev_client_region(c->client), &c->platform, &c->preset);
    if (rc < 0)
        return rc;
    if (o->image_id && *o->image_id && o->image_family && *o->image_family)
        return bn_err_set(BREV_EINVAL, "set image_id or image_family, not both");
    c->disk_gib = o->disk_size_gib ? o->disk_size_gib : BN_DISK_DEFAULT_GIB;
    if (c->disk_gib < 1 || c->disk_gib > BN_DISK_MAX_GIB)
        return bn_err_set(BREV_EINVAL, "disk_size_gib %lld is out of range (1..%d)", (long long)c->disk_gib,
                          BN_DISK_MAX_GIB);
    if ((rc = bn_parse_disk_type(o->disk_type, &c->disk_type)) < 0)
        return rc;
    if (o->ssh_key_count == 0 || !o->ssh_keys)
        return bn_err_set(BREV_EINVAL, "at least one SSH public key is required (ssh_keys)");
    for (size_t i = 0; i < o->ssh_key_count; i++)
        if (bn_validate_ssh_key(o->ssh_keys[i]) < 0)
            return bn_err_prefix("ssh_keys[%zu]", i);
    if ((rc = bn_validate_user_labels(o->labels, o->label_count)) < 0)
        return rc;
    if ((rc = bn_cloud_init_build(o->ssh_keys, o->ssh_key_count, o->host_firewall, o->user_data, &c->cloud_init)) <
        0)
        return rc;
    c->disk_name = bn_strfmt("%s-boot", o->name);
    if (!c->disk_name)
        return BREV_ENOMEM;
    if (bn_uuid4(c->create_id) != 0)
        return bn_err_set(BREV_ERROR, "no random bytes for the create's id (OpenSSL RAND_bytes failed)");
    c->timeout_ms = o->timeout_ms ? o->timeout_ms : CREATE_DEFAULT_MS;
    c->deadline = now_s() + c->timeout_ms / 1000.0;
    return BREV_OK;
}

/* --- an earlier create of the same ref_id --------------------------------- */

static int judge_running(const Nebius__Compute__V1__Instance *inst, void *ctx);

static int return_existing(create *c, Nebius__Compute__V1__Instance *inst, brev_instance **out)
{
    const char *id = inst->metadata->id;
    brev_lifecycle now = bn_lifecycle_of_state(inst->status ? (int)inst->status->state : 0);
    unsigned ms;
    int moved = 0;
    int rc = BREV_OK;

    bn_log(&c->client->logger, BREV_LOG_INFO, "create: ref_id %s already has instance %s (%s); returning it",
           c->o->ref_id, id, brev_lifecycle_name(now));
    /* UNKNOWN is what a freshly created instance shows before the API fills
     * in its status (the winner of a concurrent create, say): wait, as for
     * PENDING; judge_running decides what its state turns into. */
    if ((now == BREV_LIFECYCLE_PENDING || now == BREV_LIFECYCLE_UNKNOWN) && !c->o->no_wait) {
        rc = remaining(c, "waiting for the existing instance", &ms);
        if (rc == BREV_OK)
            rc = bn_instance_poll(c->client, id, "create instance", ms, 1, judge_running, &moved, NULL);
        if (rc < 0)
            return bn_err_prefix("instance %s (ref_id %s) exists from an earlier create", id, c->o->ref_id);
    } else if (now != BREV_LIFECYCLE_RUNNING && !c->o->no_wait) {
        return bn_err_set(BREV_EPRECONDITION,
                          "instance %s with ref_id %s already exists and is %s: start or terminate it", id,
                          c->o->ref_id, brev_lifecycle_name(now));
    }
    return bn_instance_fetch(c->client, id, out);
}

/* --- type, image, network ------------------------------------------------- */

static int resolve_type(create *c, int *gpu)
{
    bn_msg_list platforms = {0};
    const Nebius__Compute__V1__Platform *plat = NULL;
    const Nebius__Compute__V1__Preset *preset = NULL;
    int rc = bn_platforms_list(c->client, &platforms);

    if (rc == BREV_OK)
        rc = bn_platform_find(&platforms, c->platform, c->preset, &plat, &preset);
    if (rc == BREV_OK)
        *gpu = preset->resources->gpu_count > 0;
    bn_msg_list_free(&platforms);
    if (rc < 0)
        return bn_err_prefix("instance type '%s'", c->o->instance_type);
    return BREV_OK;
}

static int resolve_image(create *c, int gpu)
{
    const char *family = c->o->image_family && *c->o->image_family ? c->o->image_family
                                                                     : (gpu ? BN_FAMILY_GPU : BN_FAMILY_CPU);
    const char *arch;
    int64_t min;
    int rc = bn_image_resolve(c->client, c->o->image_id, family, &c->image);

    if (rc < 0)
        return rc;
    min = c->image->status ? c->image->status->min_disk_size_bytes : 0;
    if (min > c->disk_gib * BN_GIB)
        return bn_err_set(BREV_EINVAL, "disk_size_gib %lld is smaller than the image's minimum of %lld GiB (image %s)",
                          (long long)c->disk_gib, (long long)(min / BN_GIB + (min % BN_GIB != 0)), c->image->metadata->id);
    arch = bn_platform_architecture(c->platform);
    if (c->image->spec && strcmp(arch, "unknown") != 0) {
        int img = c->image->spec->cpu_architecture;
        if ((img == NEBIUS__COMPUTE__V1__IMAGE_SPEC__CPUARCHITECTURE__AMD64 && strcmp(arch, "x86_64") != 0) ||
            (img == NEBIUS__COMPUTE__V1__IMAGE_SPEC__CPUARCHITECTURE__ARM64 && strcmp(arch, "arm64") != 0))
            return bn_err_set(BREV_EINVAL, "image %s is for another CPU architecture than platform %s (%s)",
                              c->image->metadata->id, c->platform, arch);
    }
    return BREV_OK;
}

/* The project's subnet on the cluster group's network: "default-subnet" if it
 * is there, else the first one. */
static int pick_subnet(create *c)
{
    bn_msg_list subnets = {0};
    const char *network = c->cluster->network_id;
    const Nebius__Vpc__V1__Subnet *pick = NULL;
    int rc = bn_res_list(c->client->rpc, &bn_kind_subnet, c->project, &subnets);

    if (rc < 0)
        return rc;
    for (size_t i = 0; i < subnets.count; i++) {
        const Nebius__Vpc__V1__Subnet *s = (const Nebius__Vpc__V1__Subnet *)subnets.items[i];
        if (!s->spec || !s->spec->network_id || strcmp(s->spec->network_id, network) != 0)
            continue;
        if (!pick || (s->metadata && s->metadata->name && strcmp(s->metadata->name, DEFAULT_SUBNET_NAME) == 0 &&
                      strcmp(pick->metadata->name, DEFAULT_SUBNET_NAME) != 0))
            pick = s;
    }
    if (!pick)
        rc = bn_err_set(BREV_EPRECONDITION, "project %s has no subnet on network %s (the network of cluster %s's "
                                            "security group)",
                        c->project, network, c->cluster_id);
    else if (!(c->subnet_id = bn_strdup(pick->metadata->id)))
        rc = BREV_ENOMEM;
    bn_msg_list_free(&subnets);
    return rc;
}

static int is_ours(const Nebius__Common__V1__ResourceMetadata *meta, const char *ref_id);

/* An instance of that name for another ref_id (ours was looked for by ref
 * already) would make Create fail after the disk was made: refuse first. One
 * for our ref_id appeared since that lookup: a concurrent create made it, and
 * *peer gets it to be returned. */
static int check_name_free(create *c, Nebius__Compute__V1__Instance **peer)
{
    ProtobufCMessage *msg = NULL;
    const Nebius__Compute__V1__Instance *inst;
    int rc = bn_res_get_by_name(c->client->rpc, &bn_kind_instance, c->project, c->o->name, &msg);

    *peer = NULL;
    if (rc == BREV_ENOTFOUND) {
        brev_error_clear();
        return BREV_OK;
    }
    if (rc < 0)
        return rc;
    inst = (const Nebius__Compute__V1__Instance *)msg;
    if (is_ours(inst->metadata, c->o->ref_id)) {
        *peer = (Nebius__Compute__V1__Instance *)msg;
        return BREV_OK;
    }
    rc = bn_err_set(BREV_EEXISTS, "an instance named '%s' already exists (%s) and was not made for ref_id %s",
                    c->o->name, inst->metadata->id, c->o->ref_id);
    protobuf_c_message_free_unpacked(msg, NULL);
    return rc;
}

/* --- boot disk --------------------------------------------------------------- */

static int is_ours(const Nebius__Common__V1__ResourceMetadata *meta, const char *ref_id)
{
    const char *ref = bn_meta_label(meta, BN_LABEL_REF_ID);
    const char *managed = bn_meta_label(meta, BN_LABEL_MANAGED);
    return ref && managed && strcmp(ref, ref_id) == 0 && strcmp(managed, "true") == 0;
}

/* Made by this very call (its mark), e.g. by a Create whose reply was lost. */
static int made_by_this_call(const create *c, const Nebius__Common__V1__ResourceMetadata *meta)
{
    const char *mark = bn_meta_label(meta, BN_LABEL_CREATE_ID);
    return mark && strcmp(mark, c->create_id) == 0;
}

static int disk_state(const Nebius__Compute__V1__Disk *d)
{
    return d->status ? (int)d->status->state : 0;
}

static const char *disk_state_name(int state)
{
    const ProtobufCEnumValue *v =
        protobuf_c_enum_descriptor_get_value(&nebius__compute__v1__disk_status__state__descriptor, state);
    return v ? v->name : "UNSPECIFIED";
}

static int disk_in_between(int state)
{
    return state == NEBIUS__COMPUTE__V1__DISK_STATUS__STATE__CREATING ||
           state == NEBIUS__COMPUTE__V1__DISK_STATUS__STATE__UPDATING ||
           state == NEBIUS__COMPUTE__V1__DISK_STATUS__STATE__DELETING;
}

static void pause_ms(unsigned ms)
{
    struct timespec ts = {(time_t)(ms / 1000), (long)(ms % 1000) * 1000000L};

    while (nanosleep(&ts, &ts) != 0) {
    }
}

/* Waits while the disk is CREATING, UPDATING or DELETING: another create of
 * the ref_id is making it (or taking it back after a failure). Reports
 * progress, so the caller can stop waiting. BREV_OK once it has settled or
 * is gone; the caller looks again. */
static int wait_disk_settled(create *c, const char *disk_id)
{
    double start = now_s();

    for (;;) {
        ProtobufCMessage *msg = NULL;
        bn_wait w;
        unsigned ms;
        int state, rc = remaining(c, "waiting for the boot disk another create of the ref_id is making", &ms);

        if (rc < 0)
            return rc;
        rc = bn_res_get(c->client->rpc, &bn_kind_disk, disk_id, &msg);
        if (rc == BREV_ENOTFOUND) {
            brev_error_clear();
            return BREV_OK;
        }
        if (rc < 0)
            return rc;
        state = disk_state((const Nebius__Compute__V1__Disk *)msg);
        protobuf_c_message_free_unpacked(msg, NULL);
        if (!disk_in_between(state))
            return BREV_OK;
        w = bn_client_wait(c->client, "create boot disk", ms);
        if (w.progress) {
            brev_progress p = {w.what, disk_id, disk_state_name(state), now_s() - start};
            if (w.progress(&p, w.payload))
                return bn_err_set(BREV_ECANCELLED, "create: cancelled by the caller while disk %s (of another "
                                                   "create of ref_id %s) was %s",
                                  disk_id, c->o->ref_id, disk_state_name(state));
        }
        pause_ms(c->client->poll_interval_ms < ms ? c->client->poll_interval_ms : ms);
    }
}

/* The disk named c->disk_name exists; what it is decides what to do:
 *  - not labelled for this ref_id: a conflict (BREV_EEXISTS);
 *  - attached: to an instance of this ref_id, that is a concurrent create's
 *    instance, returned through *peer; to any other, a conflict;
 *  - READY: used. Made by this call (a lost reply) it is ours; else it is a
 *    leftover of an interrupted create or the disk of one still running, and
 *    is taken over: the instance name then decides between the two calls;
 *  - CREATING and the like: another create is still making it; wait, and
 *    return 1 to look again.
 * Never adopted before READY, so this call never attaches (or deletes) a disk
 * whose Create is still running. */
static int judge_disk(create *c, const Nebius__Compute__V1__Disk *d, Nebius__Compute__V1__Instance **peer)
{
    const char *id = d->metadata->id;
    const char *att = d->status && d->status->read_write_attachment ? d->status->read_write_attachment : "";
    int state = disk_state(d);
    int rc;

    if (!is_ours(d->metadata, c->o->ref_id))
        return bn_err_set(BREV_EEXISTS, "a disk named '%s' (%s) already exists and was not made for ref_id %s",
                          c->disk_name, id, c->o->ref_id);
    if (*att) {
        ProtobufCMessage *msg = NULL;

        rc = bn_res_get(c->client->rpc, &bn_kind_instance, att, &msg);
        if (rc == BREV_OK && is_ours(((Nebius__Compute__V1__Instance *)msg)->metadata, c->o->ref_id)) {
            *peer = (Nebius__Compute__V1__Instance *)msg;
            return BREV_OK;
        }
        if (msg)
            protobuf_c_message_free_unpacked(msg, NULL);
        if (rc == BREV_ENOTFOUND) { /* its instance is going away: look again */
            brev_error_clear();
            pause_ms(c->client->poll_interval_ms);
            return 1;
        }
        if (rc < 0)
            return rc;
        return bn_err_set(BREV_EEXISTS, "disk '%s' (%s) is already attached to %s", c->disk_name, id, att);
    }
    if (state == NEBIUS__COMPUTE__V1__DISK_STATUS__STATE__READY) {
        if (!(c->disk_id = bn_strdup(id)))
            return BREV_ENOMEM;
        if (made_by_this_call(c, d->metadata)) {
            c->disk_created = 1;
        } else {
            c->disk_adopted = 1;
            bn_log(&c->client->logger, BREV_LOG_INFO, "create: taking over boot disk %s of ref_id %s, made by an "
                                                      "earlier or concurrent create",
                   id, c->o->ref_id);
        }
        return BREV_OK;
    }
    if (disk_in_between(state)) {
        rc = wait_disk_settled(c, id);
        return rc < 0 ? rc : 1;
    }
    return bn_err_set(BREV_EPRECONDITION, "boot disk '%s' (%s) of ref_id %s is %s: delete it and create again",
                      c->disk_name, id, c->o->ref_id, disk_state_name(state));
}

static int create_disk(create *c);

/* A create that died before its cleanup, or one running right now, may have
 * made the disk of this name already (judge_disk); else it is created. */
#define DISK_LOOKS 8

static int ensure_disk(create *c, Nebius__Compute__V1__Instance **peer)
{
    *peer = NULL;
    for (int look = 0; look < DISK_LOOKS; look++) {
        ProtobufCMessage *msg = NULL;
        int rc = bn_res_get_by_name(c->client->rpc, &bn_kind_disk, c->project, c->disk_name, &msg);

        if (rc == BREV_ENOTFOUND) {
            brev_error_clear();
            rc = create_disk(c);
            if (rc != BREV_EEXISTS)
                return rc;
            /* Another create made it between our look and our Create. */
            brev_error_clear();
            continue;
        }
        if (rc < 0)
            return rc;
        rc = judge_disk(c, (const Nebius__Compute__V1__Disk *)msg, peer);
        protobuf_c_message_free_unpacked(msg, NULL);
        if (rc <= 0)
            return rc;
    }
    return bn_err_set(BREV_EPRECONDITION, "boot disk '%s' kept changing while %d looks at it (other creates of "
                                          "ref_id %s?): try again",
                      c->disk_name, DISK_LOOKS, c->o->ref_id);
}

static int create_disk(create *c)
{
    Nebius__Compute__V1__CreateDiskRequest req = NEBIUS__COMPUTE__V1__CREATE_DISK_REQUEST__INIT;
    Nebius__Common__V1__ResourceMetadata meta = NEBIUS__COMMON__V1__RESOURCE_METADATA__INIT;
    Nebius__Compute__V1__DiskSpec spec = NEBIUS__COMPUTE__V1__DISK_SPEC__INIT;
    Nebius__Compute__V1__DiskEncryption enc = NEBIUS__COMPUTE__V1__DISK_ENCRYPTION__INIT;
    bn_labels labels = {0};
    bn_wait wait;
    unsigned ms;
    int rc;

    if ((rc = remaining(c, "creating the boot disk", &ms)) < 0)
        return rc;
    meta.parent_id = (char *)c->project;
    meta.name = c->disk_name;
    if ((rc = bn_labels_set(&labels, BN_LABEL_MANAGED, "true")) < 0 ||
        (rc = bn_labels_set(&labels, BN_LABEL_REF_ID, c->o->ref_id)) < 0 ||
        (rc = bn_labels_set(&labels, BN_LABEL_CLUSTER_ID, c->cluster_id)) < 0 ||
        (rc = bn_labels_set(&labels, BN_LABEL_CREATE_ID, c->create_id)) < 0 ||
        (rc = bn_labels_attach(&labels, &meta)) < 0) {
        bn_labels_free(&labels);
        return rc;
    }
    spec.size_case = NEBIUS__COMPUTE__V1__DISK_SPEC__SIZE_SIZE_GIBIBYTES;
    spec.size_gibibytes = c->disk_gib;
    spec.type = c->disk_type;
    spec.source_case = NEBIUS__COMPUTE__V1__DISK_SPEC__SOURCE_SOURCE_IMAGE_ID;
    spec.source_image_id = c->image->metadata->id;
    /* Encrypted at rest with a cloud-managed key, asked for explicitly. */
    enc.type = NEBIUS__COMPUTE__V1__DISK_ENCRYPTION__DISK_ENCRYPTION_TYPE__DISK_ENCRYPTION_MANAGED;
    spec.disk_encryption = &enc;
    req.metadata = &meta;
    req.spec = &spec;
    wait = bn_client_wait(c->client, "create boot disk", ms);
    c->disk_attempted = 1;
    rc = bn_res_create(c->client->rpc, &bn_kind_disk, &req.base, &wait, &c->disk_id);
    bn_labels_free(&labels);
    if (rc == BREV_EEXISTS)
        return rc; /* ensure_disk looks again: the message is not the caller's */
    if (rc < 0)
        return bn_err_prefix("boot disk '%s'", c->disk_name);
    c->disk_created = 1;
    return BREV_OK;
}

/* --- the instance ------------------------------------------------------------- */

static int instance_labels(create *c, bn_labels *labels, char **type_label)
{
    const brev_create_instance_options *o = c->o;
    const char *family = c->image->spec && c->image->spec->image_family ? c->image->spec->image_family : "";
    int rc = BREV_OK;

    *type_label = bn_strfmt("%s.%s", c->platform, c->preset);
    if (!*type_label)
        return BREV_ENOMEM;
    for (size_t i = 0; i < o->label_count && rc == BREV_OK; i++)
        rc = bn_labels_set(labels, o->labels[i].key, o->labels[i].value);
    if (rc == BREV_OK)
        rc = bn_labels_set(labels, BN_LABEL_MANAGED, "true");
    if (rc == BREV_OK)
        rc = bn_labels_set(labels, BN_LABEL_REF_ID, o->ref_id);
    if (rc == BREV_OK)
        rc = bn_labels_set(labels, BN_LABEL_CLUSTER_ID, c->cluster_id);
    if (rc == BREV_OK)
        rc = bn_labels_set(labels, BN_LABEL_INSTANCE_TYPE, *type_label);
    if (rc == BREV_OK)
        rc = bn_labels_set(labels, BN_LABEL_BOOT_DISK_ID, c->disk_id);
    if (rc == BREV_OK)
        rc = bn_labels_set(labels, BN_LABEL_CREATE_ID, c->create_id);
    if (rc == BREV_OK && *family)
        rc = bn_labels_set(labels, BN_LABEL_IMAGE_FAMILY, family);
    return rc;
}

static int create_instance(create *c)
{
    Nebius__Compute__V1__CreateInstanceRequest req = NEBIUS__COMPUTE__V1__CREATE_INSTANCE_REQUEST__INIT;
    Nebius__Common__V1__ResourceMetadata meta = NEBIUS__COMMON__V1__RESOURCE_METADATA__INIT;
    Nebius__Compute__V1__InstanceSpec spec = NEBIUS__COMPUTE__V1__INSTANCE_SPEC__INIT;
    Nebius__Compute__V1__ResourcesSpec res = NEBIUS__COMPUTE__V1__RESOURCES_SPEC__INIT;
    Nebius__Compute__V1__NetworkInterfaceSpec nic = NEBIUS__COMPUTE__V1__NETWORK_INTERFACE_SPEC__INIT;
    Nebius__Compute__V1__NetworkInterfaceSpec *nics[1] = {&nic};
    Nebius__Compute__V1__IPAddress ip = NEBIUS__COMPUTE__V1__IPADDRESS__INIT;
    Nebius__Compute__V1__PublicIPAddress public_ip = NEBIUS__COMPUTE__V1__PUBLIC_IPADDRESS__INIT;
    Nebius__Compute__V1__SecurityGroup sg = NEBIUS__COMPUTE__V1__SECURITY_GROUP__INIT;
    Nebius__Compute__V1__SecurityGroup *sgs[1] = {&sg};
    Nebius__Compute__V1__AttachedDiskSpec boot = NEBIUS__COMPUTE__V1__ATTACHED_DISK_SPEC__INIT;
    Nebius__Compute__V1__ExistingDisk existing = NEBIUS__COMPUTE__V1__EXISTING_DISK__INIT;
    bn_labels labels = {0};
    char *type_label = NULL;
    bn_wait wait;
    unsigned ms;
    int rc = remaining(c, "creating the instance", &ms);

    if (rc == BREV_OK)
        rc = instance_labels(c, &labels, &type_label);
    if (rc == BREV_OK)
        rc = bn_labels_attach(&labels, &meta);
    if (rc < 0)
        goto out;
    meta.parent_id = (char *)c->project;
    meta.name = (char *)c->o->name;
    res.platform = c->platform;
    res.size_case = NEBIUS__COMPUTE__V1__RESOURCES_SPEC__SIZE_PRESET;
    res.preset = c->preset;
    nic.name = NIC_NAME;
    nic.subnet_id = c->subnet_id;
    nic.ip_address = &ip; /* empty = a private address picked by the cloud */
    nic.public_ip_address = c->o->public_ip ? &public_ip : NULL; /* empty = an ephemeral public address */
    sg.id = c->cluster->security_group_id;
    nic.n_security_groups = 1;
    nic.security_groups = sgs;
    existing.id = c->disk_id;
    boot.attach_mode = NEBIUS__COMPUTE__V1__ATTACHED_DISK_SPEC__ATTACH_MODE__READ_WRITE;
    boot.type_case = NEBIUS__COMPUTE__V1__ATTACHED_DISK_SPEC__TYPE_EXISTING_DISK;
    boot.existing_disk = &existing;
    boot.device_id = BOOT_DEVICE_ID;
    spec.resources = &res;
    spec.n_network_interfaces = 1;
    spec.network_interfaces = nics;
    spec.boot_disk = &boot;
    spec.hostname = (char *)c->o->name;
    spec.cloud_init_user_data = c->cloud_init;
    req.metadata = &meta;
    req.spec = &spec;
    wait = bn_client_wait(c->client, "create instance", ms);
    c->instance_attempted = 1;
    rc = bn_res_create(c->client->rpc, &bn_kind_instance, &req.base, &wait, &c->instance_id);
out:
    bn_labels_free(&labels);
    free(type_label);
    return rc;
}

/* The instance Create failed on the name (ALREADY_EXISTS) or on the disk
 * (attached meanwhile, or gone): the instance holding the name tells why.
 * With this call's mark it is ours (an attempt whose reply was lost); with
 * our ref_id, a concurrent create won the name, and *peer gets its instance.
 * Otherwise the failure stands. */
static int after_instance_conflict(create *c, int rc, Nebius__Compute__V1__Instance **peer)
{
    ProtobufCMessage *msg = NULL;
    const Nebius__Compute__V1__Instance *inst;
    brev_error saved;

    *peer = NULL;
    if (rc != BREV_EEXISTS && rc != BREV_EPRECONDITION && rc != BREV_ENOTFOUND)
        return rc;
    bn_err_save(&saved);
    if (bn_res_get_by_name(c->client->rpc, &bn_kind_instance, c->project, c->o->name, &msg) != BREV_OK) {
        bn_err_restore(&saved);
        return rc;
    }
    inst = (const Nebius__Compute__V1__Instance *)msg;
    if (made_by_this_call(c, inst->metadata)) {
        c->instance_id = bn_strdup(inst->metadata->id);
        protobuf_c_message_free_unpacked(msg, NULL);
        return c->instance_id ? BREV_OK : BREV_ENOMEM;
    }
    if (is_ours(inst->metadata, c->o->ref_id)) {
        *peer = (Nebius__Compute__V1__Instance *)msg;
        return BREV_OK;
    }
    protobuf_c_message_free_unpacked(msg, NULL);
    bn_err_restore(&saved);
    return rc;
}

/* A successful create operation is not a running instance: one that falls
 * back to STOPPED before it ever ran found no capacity. ERROR says only that
 * the instance failed (a bad image or host fault as much as capacity), so it
 * is reported as any wait reports a failed instance (judge_target). */
static int judge_running(const Nebius__Compute__V1__Instance *inst, void *ctx)
{
    (void)ctx;
    if (!inst)
        return bn_err_set(BREV_ERROR, "the instance disappeared while it was being created");
    switch (inst->status ? inst->status->state : 0) {
    case NEBIUS__COMPUTE__V1__INSTANCE_STATUS__INSTANCE_STATE__RUNNING:
        return 1;
    case NEBIUS__COMPUTE__V1__INSTANCE_STATUS__INSTANCE_STATE__STOPPED:
    case NEBIUS__COMPUTE__V1__INSTANCE_STATUS__INSTANCE_STATE__STOPPING:
        return bn_err_set(BREV_ECAPACITY, "insufficient capacity: instance fell back to STOPPED after create");
    case NEBIUS__COMPUTE__V1__INSTANCE_STATUS__INSTANCE_STATE__ERROR:
        return bn_err_set(BREV_EPRECONDITION, "instance went to ERROR after create (failed before it ran)");
    default:
        return 0;
    }
}

static int wait_running(create *c)
{
    unsigned ms;
    int rc = remaining(c, "waiting for RUNNING", &ms);

    if (rc == BREV_OK)
        rc = bn_instance_poll(c->client, c->instance_id, "create instance", ms, 1, judge_running, NULL, NULL);
    if (rc < 0)
        return bn_err_prefix("instance %s", c->instance_id);
    return BREV_OK;
}

/* --- cleanup ------------------------------------------------------------------- */

static void note(char *notes, size_t cap, const char *fmt, const char *a, const char *b)
{
    size_t used = strlen(notes);

    if (used + 3 >= cap)
        return;
    if (used)
        used += (size_t)snprintf(notes + used, cap - used, "; ");
    if (used < cap)
        snprintf(notes + used, cap - used, fmt, a, b);
}

/* The resource a failed Create call may still have made (a reply lost after
 * the server acted), found by its name and this call's mark: never one a
 * concurrent create of the same ref_id made. */
static char *find_made(create *c, const bn_kind *kind, const char *name)
{
    ProtobufCMessage *msg = NULL;
    char *id = NULL;

    if (bn_res_get_by_name(c->client->rpc, kind, c->project, name, &msg) == BREV_OK) {
        const Nebius__Common__V1__ResourceMetadata *meta =
            kind == &bn_kind_instance ? ((Nebius__Compute__V1__Instance *)msg)->metadata
                                      : ((Nebius__Compute__V1__Disk *)msg)->metadata;
        if (made_by_this_call(c, meta))
            id = strdup(meta->id);
        protobuf_c_message_free_unpacked(msg, NULL);
    }
    return id;
}

/* Who else may use the disk: the instance it is attached to, when that is
 * not this call's (a concurrent create's winner booting from it). "" = none. */
static char *disk_user(create *c)
{
    ProtobufCMessage *msg = NULL;
    const Nebius__Compute__V1__Disk *d;
    char *user = NULL;

    if (bn_res_get(c->client->rpc, &bn_kind_disk, c->disk_id, &msg) != BREV_OK) {
        brev_error_clear(); /* the delete below tells what is wrong */
        return NULL;
    }
    d = (const Nebius__Compute__V1__Disk *)msg;
    if (d->status && d->status->read_write_attachment && *d->status->read_write_attachment &&
        (!c->instance_id || strcmp(d->status->read_write_attachment, c->instance_id) != 0))
        user = strdup(d->status->read_write_attachment);
    protobuf_c_message_free_unpacked(msg, NULL);
    return user;
}

/* The boot disk goes when this call made it, or when it took the disk over
 * and made its instance on it (the instance's rollback is then its
 * terminate, which deletes the boot disk of the ref_id). A disk taken over
 * with no instance of ours on it stays as found: it is another create's, or
 * the leftover an interrupted one left. A disk another instance boots from
 * is never deleted. */
static void drop_disk(create *c, char *notes, size_t cap)
{
    char *user;
    bn_wait wait;

    if (!c->disk_created && !(c->disk_adopted && c->instance_id)) {
        note(notes, cap, "kept boot disk %s (made by another create of ref_id %s)", c->disk_id, c->o->ref_id);
        return;
    }
    if ((user = disk_user(c)) != NULL) {
        note(notes, cap, "kept boot disk %s (instance %s of a concurrent create boots from it)", c->disk_id, user);
        free(user);
        return;
    }
    wait = bn_client_wait(c->client, "delete boot disk", CLEANUP_STEP_MS);
    if (bn_res_delete(c->client->rpc, &bn_kind_disk, c->disk_id, &wait) == BREV_OK)
        note(notes, cap, "deleted boot disk %s%s", c->disk_id, "");
    else
        note(notes, cap, "boot disk %s NOT deleted: %s", c->disk_id, brev_error_message());
}

static void rollback(create *c)
{
    brev_error saved, *e = &saved;
    char notes[600] = "";
    char msg[sizeof saved.message];

    bn_err_save(&saved);
    bn_client_cleanup_begin();
    if (!c->instance_id && c->instance_attempted)
        c->instance_id = find_made(c, &bn_kind_instance, c->o->name);
    if (c->instance_id) {
        if (bn_instance_delete_and_wait(c->client, c->instance_id, CLEANUP_STEP_MS, 0) == BREV_OK)
            note(notes, sizeof notes, "deleted instance %s%s", c->instance_id, "");
        else
            note(notes, sizeof notes, "instance %s NOT deleted: %s", c->instance_id, brev_error_message());
    }
    if (!c->disk_id && c->disk_attempted && (c->disk_id = find_made(c, &bn_kind_disk, c->disk_name)) != NULL)
        c->disk_created = 1;
    if (c->disk_id)
        drop_disk(c, notes, sizeof notes);
    /* A group made for this instance alone goes with it; one that was there
     * before (perhaps with the caller's firewall rules) stays. */
    if (c->cluster && c->cluster_created && bn_policy_cluster_release(c->client, c->cluster_id) < 0)
        note(notes, sizeof notes, "security group of cluster %s not released: %s", c->cluster_id,
             brev_error_message());
    bn_client_cleanup_end();
    bn_err_restore(&saved);
    if (!*notes)
        return;
    memcpy(msg, e->message, sizeof msg);
    msg[sizeof msg - 1] = '\0';
    bn_err_set_grpc(e->code, e->grpc_status, e->service_error, e->request_id, "%s (cleanup: %s)", msg, notes);
}

static void create_free(create *c)
{
    free(c->platform);
    free(c->preset);
    brev_string_free(c->cloud_init);
    free(c->disk_name);
    if (c->image)
        protobuf_c_message_free_unpacked(&c->image->base, NULL);
    brev_cluster_free(c->cluster);
    free(c->subnet_id);
    free(c->disk_id);
    free(c->instance_id);
}

/* The client's create rate limit (brev_client_options.max_creates_per_minute):
 * waits for a slot before anything is made, within the create's budget and
 * cancellable; fails at once when the slot would open only after the budget,
 * since waiting to time out helps nobody. */
static int take_create_slot(create *c)
{
    double start = now_s(), wait_s;
    int logged = 0;

    while (!bn_client_create_slot(c->client, &c->slot_taken_at, &wait_s)) {
        unsigned ms = 0;
        bn_wait w;
        int rc = remaining(c, "waiting for the client's create rate limit", &ms);

        if (rc < 0)
            return rc;
        if (wait_s * 1000.0 >= ms)
            return bn_err_set(BREV_ETIMEOUT, "client-side create rate limit: %u creates a minute already began; the "
                                             "next may begin in %.0f s, after this create's timeout (%u ms left); "
                                             "nothing was created (max_creates_per_minute)",
                              c->client->create_limit, wait_s < 1 ? 1 : wait_s, ms);
        if (!logged++)
            bn_log(&c->client->logger, BREV_LOG_INFO, "create %s: %u creates a minute reached; waiting %.0f s",
                   c->o->name, c->client->create_limit, wait_s);
        w = bn_client_wait(c->client, "create instance", ms);
        if (w.progress) {
            brev_progress p = {w.what, c->o->name, "RATE_LIMITED", now_s() - start};
            if (w.progress(&p, w.payload))
                return bn_err_set(BREV_ECANCELLED, "create %s: cancelled by the caller while waiting for the "
                                                   "client-side create rate limit (%u a minute); nothing was created",
                                  c->o->name, c->client->create_limit);
        }
        pause_ms(wait_s * 1000.0 < c->client->poll_interval_ms ? (unsigned)(wait_s * 1000.0) + 1
                                                                : c->client->poll_interval_ms);
    }
    return BREV_OK;
}

/* Another create of this ref_id made the instance (it holds the name): this
 * call returns it, as a create after it would. The disk this call made for
 * itself goes, unless the winner boots from it; that is cleanup, so the
 * caller's cancel does not stop it. */
static int join_peer(create *c, Nebius__Compute__V1__Instance *peer, brev_instance **out)
{
    const char *peer_disk = bn_instance_boot_disk_id(peer);

    bn_log(&c->client->logger, BREV_LOG_INFO, "create: a concurrent create of ref_id %s made instance %s first",
           c->o->ref_id, peer->metadata->id);
    if (c->disk_id && c->disk_created && strcmp(c->disk_id, peer_disk) != 0) {
        char notes[300] = "";

        bn_client_cleanup_begin();
        drop_disk(c, notes, sizeof notes);
        bn_client_cleanup_end();
        bn_log(&c->client->logger, strstr(notes, "NOT") ? BREV_LOG_WARN : BREV_LOG_INFO, "create: %s", notes);
    }
    /* The winner's create is the one that counts against the rate limit. */
    bn_client_create_slot_return(c->client, c->slot_taken_at);
    c->slot_taken_at = 0;
    /* What is left is the winner's: a failure from here on deletes none of it. */
    free(c->disk_id);
    c->disk_id = NULL;
    c->disk_created = c->disk_adopted = c->disk_attempted = c->instance_attempted = 0;
    return return_existing(c, peer, out);
}

static int run(create *c, brev_instance **out)
{
    Nebius__Compute__V1__Instance *existing = NULL, *peer = NULL;
    int gpu = 0;
    int rc = bn_instance_find_by_ref(c->client, c->project, c->o->ref_id, &existing);

    if (rc < 0)
        return bn_err_prefix("looking for an instance with ref_id %s", c->o->ref_id);
    if (existing) {
        rc = return_existing(c, existing, out);
        protobuf_c_message_free_unpacked(&existing->base, NULL);
        return rc;
    }
    if ((rc = check_name_free(c, &peer)) < 0)
        return rc;
    if (peer)
        goto join;
    if ((rc = resolve_type(c, &gpu)) < 0 || (rc = resolve_image(c, gpu)) < 0 || (rc = take_create_slot(c)) < 0)
        return rc;
    rc = bn_policy_cluster_ensure(c->client, c->cluster_id, &c->cluster, &c->cluster_created);
    if (rc < 0)
        return bn_err_prefix("security group of cluster %s", c->cluster_id);
    if ((rc = pick_subnet(c)) < 0 || (rc = ensure_disk(c, &peer)) < 0)
        return rc;
    if (peer)
        goto join;
    if ((rc = create_instance(c)) < 0 && (rc = after_instance_conflict(c, rc, &peer)) < 0)
        return rc;
    if (peer)
        goto join;
    if (!c->o->no_wait && (rc = wait_running(c)) < 0)
        return rc;
    return bn_instance_fetch(c->client, c->instance_id, out);
join:
    rc = join_peer(c, peer, out);
    protobuf_c_message_free_unpacked(&peer->base, NULL);
    return rc;
}

int brev_instance_create(brev_client *client, const brev_create_instance_options *opts, brev_instance **out)
{
    create c = {0};
    int rc;

    if (!client || !opts || !out)
        return bn_err_set(BREV_EINVAL, "client, options and out must not be NULL");
    *out = NULL;
    c.client = client;
    c.o = opts;
    rc = validate(&c);
    if (rc == BREV_OK)
        rc = bn_client_project(client, &c.project);
    if (rc == BREV_OK) {
        rc = run(&c, out);
        if (rc < 0)
            rollback(&c);
    }
    create_free(&c);
    return rc;
}
