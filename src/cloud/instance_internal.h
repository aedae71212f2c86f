/* What the instance and catalogue files of src/cloud share: the labels the
 * library puts on what it creates, input validation, type/image resolution,
 * cloud-init assembly, conversion and polling. */
#ifndef BN_CLOUD_INSTANCE_INTERNAL_H
#define BN_CLOUD_INSTANCE_INTERNAL_H

#include <brev/catalog.h>
#include <brev/instance.h>

#include "cloud/client_internal.h"
#include "compute/resource.h"
#include "nebius/compute/v1/disk.pb-c.h"
#include "nebius/compute/v1/image.pb-c.h"
#include "nebius/compute/v1/instance.pb-c.h"
#include "nebius/compute/v1/platform.pb-c.h"

/* Labels on every resource the library creates. */
#define BN_LABEL_MANAGED "brev-managed"          /* "true" */
#define BN_LABEL_REF_ID "brev-ref-id"            /* the caller's idempotency handle */
#define BN_LABEL_CLUSTER_ID "brev-cluster-id"
#define BN_LABEL_INSTANCE_TYPE "brev-instance-type"
#define BN_LABEL_BOOT_DISK_ID "brev-boot-disk-id"
#define BN_LABEL_IMAGE_FAMILY "brev-image-family"
/* A random id per brev_instance_create call, on its disk and instance: what a
 * call cleans up after a failure is what carries its own mark, never what a
 * concurrent create of the same ref_id made. */
#define BN_LABEL_CREATE_ID "brev-create-id"
#define BN_LABEL_RESERVED_PREFIX "brev-"

#define BN_SSH_USER "ubuntu"
#define BN_SSH_PORT 22
#define BN_CLOUD_INIT_MAX 32768
#define BN_DISK_MAX_GIB 65536
#define BN_DISK_DEFAULT_GIB 64
#define BN_FAMILY_CPU "ubuntu24.04-driverless"
#define BN_FAMILY_GPU "ubuntu24.04-cuda13.0"
#define BN_GIB ((int64_t)1 << 30)

/* --- validation (instance_validate.c, ssh_key.c) ------------------------- */
int bn_validate_instance_name(const char *name);
int bn_validate_ref_id(const char *ref_id);
int bn_validate_ssh_key(const char *key);
int bn_validate_user_labels(const brev_label *labels, size_t count);
/* Splits "{platform}.{preset}" or "{region}-noSub-{platform}.{preset}"; the
 * region of the Brev form must be `region`. Free both with free(). */
int bn_parse_instance_type(const char *type, const char *region, char **platform, char **preset);
/* "network-ssd" ... -> DiskSpec.DiskType; NULL/"" = network-ssd. */
int bn_parse_disk_type(const char *name, Nebius__Compute__V1__DiskSpec__DiskType *out);

/* --- catalogue (catalog.c, images.c) ------------------------------------ */
/* Every platform of the project (all pages). */
int bn_platforms_list(brev_client *client, bn_msg_list *out);
/* The platform named `platform` and its preset `preset` out of a list;
 * BREV_ENOTFOUND naming the valid platforms / presets. Borrowed pointers. */
int bn_platform_find(const bn_msg_list *platforms, const char *platform, const char *preset,
                     const Nebius__Compute__V1__Platform **plat_out, const Nebius__Compute__V1__Preset **preset_out);
/* GPU model from a platform name ("gpu-h100-sxm" -> "H100"), "" for none. */
const char *bn_gpu_model_of(const char *platform);
/* "x86_64", "arm64" or "unknown" from the platform name. */
const char *bn_platform_architecture(const char *platform);
/* The public images project of the client's region, e.g. "project-e00public-images". */
char *bn_public_images_parent(const char *region, const char *project_id);
/* Resolves the boot image: image_id via Get, else family via GetLatestByFamily. */
int bn_image_resolve(brev_client *client, const char *image_id, const char *family,
                     Nebius__Compute__V1__Image **out);

/* --- cloud-init (cloud_init.c) ------------------------------------------ */
/* Our #cloud-config (keys for the default user, sshd on), the host firewall
 * fragment if asked, and the caller's user_data; BREV_EINVAL when the result
 * exceeds BN_CLOUD_INIT_MAX. */
int bn_cloud_init_build(const char *const *ssh_keys, size_t key_count, int host_firewall, const char *user_data,
                        char **out);

/* --- conversion (instance_convert.c, lifecycle.c) ----------------------- */
brev_lifecycle bn_lifecycle_of_state(int nebius_state);
const char *bn_nebius_state_name(int nebius_state);
/* boot_disk may be NULL (size/encryption then unknown). */
int bn_instance_convert(const Nebius__Compute__V1__Instance *src, const Nebius__Compute__V1__Disk *boot_disk,
                        const char *region, brev_instance **out);
/* Frees what the struct owns, not the struct (list items live in one array). */
void bn_instance_clear(brev_instance *instance);
int64_t bn_disk_size_bytes(const Nebius__Compute__V1__Disk *disk);
int bn_disk_encrypted(const Nebius__Compute__V1__Disk *disk);
const char *bn_instance_boot_disk_id(const Nebius__Compute__V1__Instance *inst);

/* --- polling (instance_wait.c) ------------------------------------------ */
/* Judges one observation: inst is NULL when the instance is gone. Returns 1
 * when the wait is over, 0 to poll again, < 0 (error set) to fail. */
typedef int (*bn_instance_judge)(const Nebius__Compute__V1__Instance *inst, void *ctx);

/* Polls InstanceService.Get every client->poll_interval_ms until judge says
 * so; BREV_ETIMEOUT after timeout_ms. With report set, progress goes to the
 * client's callback, which may cancel (BREV_ECANCELLED); cleanup waits run
 * without it so a cancelled create still cleans up. *last (may be NULL) gets
 * the last instance seen (NULL if gone). */
int bn_instance_poll(brev_client *client, const char *id, const char *what, unsigned timeout_ms, int report,
                     bn_instance_judge judge, void *ctx, Nebius__Compute__V1__Instance **last);

/* Instance + its boot disk (Get each) converted. */
int bn_instance_fetch(brev_client *client, const char *id, brev_instance **out);
int bn_instance_convert_fetched(brev_client *client, const Nebius__Compute__V1__Instance *inst, brev_instance **out);

/* The instance of the project whose label brev-ref-id is ref_id, or NULL
 * (BREV_OK) when none. Free with protobuf_c_message_free_unpacked. */
int bn_instance_find_by_ref(brev_client *client, const char *project, const char *ref_id,
                            Nebius__Compute__V1__Instance **out);

/* Deletes the instance and waits until it is gone (absent = done); timeout_ms
 * covers the call, its operation and the wait together. With report set the
 * client's progress callback sees the waits and may cancel them. */
int bn_instance_delete_and_wait(brev_client *client, const char *id, unsigned timeout_ms, int report);

#endif
