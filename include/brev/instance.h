/* Instances: create (with SSH keys, in a cluster), get, list, stop, start,
 * reboot, terminate, wait — the Brev Cloud SDK surface on Nebius compute v1. */
#ifndef BREV_INSTANCE_H
#define BREV_INSTANCE_H

#include "client.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Brev lifecycle status (Nebius states mapped as the Brev provider maps them:
 * CREATING/STARTING -> PENDING, RUNNING -> RUNNING, STOPPING -> STOPPING,
 * STOPPED -> STOPPED, DELETING -> TERMINATING, ERROR -> FAILED; gone ->
 * TERMINATED; UPDATING keeps the previous meaning as PENDING; UNSPECIFIED -> UNKNOWN). */
typedef enum brev_lifecycle {
    BREV_LIFECYCLE_UNKNOWN = 0,
    BREV_LIFECYCLE_PENDING,
    BREV_LIFECYCLE_RUNNING,
    BREV_LIFECYCLE_STOPPING,
    BREV_LIFECYCLE_STOPPED,
    BREV_LIFECYCLE_TERMINATING,
    BREV_LIFECYCLE_TERMINATED,
    BREV_LIFECYCLE_FAILED
} brev_lifecycle;

/** "pending", "running", ... Static storage. */
BREV_EXTERN const char *brev_lifecycle_name(brev_lifecycle status);

/** Parses a name given by brev_lifecycle_name; BREV_EINVAL if unknown. */
BREV_EXTERN int brev_lifecycle_parse(const char *name, brev_lifecycle *out);

/** An instance as the library sees it. Every string is owned by the struct
 * and never NULL ("" when unknown). Free with brev_instance_free. */
typedef struct brev_instance {
    char *id;                /**< Nebius instance id ("computeinstance-...") */
    char *name;
    char *ref_id;            /**< caller's idempotency handle (label brev-ref-id) */
    char *cluster_id;        /**< label brev-cluster-id */
    char *project_id;
    char *region;
    char *instance_type;     /**< "{platform}.{preset}" */
    char *platform;
    char *preset;
    char *image_id;          /**< source image of the boot disk */
    char *image_family;
    char *boot_disk_id;
    char *subnet_id;
    char *security_group_id; /**< first security group on the interface */
    char *private_ip;        /**< bare address, no "/32" */
    char *public_ip;         /**< bare address or "" */
    char *ssh_user;          /**< default user of the image, "ubuntu" */
    int ssh_port;            /**< 22 */
    brev_lifecycle status;
    char *nebius_state;      /**< "RUNNING", "CREATING", ... */
    int64_t created_at;      /**< Unix seconds */
    int64_t disk_size_bytes;
    int disk_encrypted;      /**< 1 when the boot disk reports encryption at rest */
    size_t label_count;
    brev_label *labels;      /**< every label of the instance; key/value owned by the struct */
} brev_instance;

BREV_EXTERN void brev_instance_free(brev_instance *instance);

typedef struct brev_instance_list {
    size_t count;
    brev_instance *items;
} brev_instance_list;

BREV_EXTERN void brev_instance_list_free(brev_instance_list *list);

#define BREV_CREATE_INSTANCE_OPTIONS_VERSION 1

typedef struct brev_create_instance_options {
    unsigned int version; /**< BREV_CREATE_INSTANCE_OPTIONS_VERSION */
    const char *name;     /**< 1..63 chars [a-z0-9-]; required */
    /** Idempotency handle, required: creating twice with one ref_id yields one
     * instance (the second call returns the first instance). */
    const char *ref_id;
    /** "{platform}.{preset}" (e.g. "cpu-d3.4vcpu-16gb") or the Brev-style id
     * "{region}-noSub-{platform}.{preset}". Required. */
    const char *instance_type;
    const char *image_id;     /**< an image id; or */
    const char *image_family; /**< a family, resolved to its latest image;
                                   default "ubuntu24.04-driverless" (CPU) or
                                   "ubuntu24.04-cuda13.0" (GPU types) */
    int64_t disk_size_gib;    /**< boot disk size, default 64; at least the image's minimum */
    const char *disk_type;    /**< "network-ssd" (default), "network-hdd", "network-ssd-nonreplicated", "network-ssd-io-m3" */
    const char *const *ssh_keys; /**< OpenSSH public keys (validated), at least one */
    size_t ssh_key_count;
    const char *cluster_id;   /**< cluster whose security group the instance joins; default: a cluster of
                                   one named after ref_id (which must then be a valid cluster id: [a-z0-9-]) */
    int public_ip;            /**< non-zero: give the instance a public IPv4 address */
    const brev_label *labels; /**< extra labels (keys starting with "brev-" are reserved) */
    size_t label_count;
    const char *user_data;    /**< extra #cloud-config merged after ours (or a shell script run by cloud-init) */
    int host_firewall;        /**< non-zero: also apply deny-in/allow-out on the VM (ufw + DOCKER-USER) */
    int no_wait;              /**< non-zero: return when the create operation is done, not when RUNNING */
    unsigned timeout_ms;      /**< whole create incl. the wait for RUNNING, default 20 min */
} brev_create_instance_options;

BREV_EXTERN int brev_create_instance_options_init(brev_create_instance_options *opts, unsigned int version);

/** Creates the boot disk (encrypted at rest as the cloud's default) and the
 * instance, in the cluster's security group, with the SSH keys injected by
 * cloud-init, and waits until it runs (unless no_wait). A create is done only
 * when the instance is RUNNING: an instance that falls back to STOPPED after a
 * successful operation is a capacity failure (BREV_ECAPACITY).
 * On any failure nothing remains: the instance, its disk and allocations are
 * deleted before returning. Free *out with brev_instance_free.
 * Errors: BREV_EINVAL (bad option: name, type syntax, key, disk size below the
 * image's minimum, reserved label), BREV_ENOTFOUND (unknown platform, preset,
 * image or image family; the message lists the valid choices),
 * BREV_EEXISTS (the name is taken by an instance with another ref_id),
 * BREV_EPRECONDITION (the ref_id's instance exists but is stopped or failed), BREV_EQUOTA, BREV_ECAPACITY,
 * BREV_ETIMEOUT, BREV_ECANCELLED, BREV_EAUTH, BREV_EPERM, BREV_EUNAVAILABLE. */
BREV_EXTERN int brev_instance_create(brev_client *client, const brev_create_instance_options *opts,
                                     brev_instance **out);

BREV_EXTERN int brev_instance_get(brev_client *client, const char *instance_id, brev_instance **out);
BREV_EXTERN int brev_instance_get_by_name(brev_client *client, const char *name, brev_instance **out);

/** Filter for brev_instances_list; every set field must match. */
typedef struct brev_instance_filter {
    const char *cluster_id;          /**< only this cluster */
    const char *const *instance_ids; /**< only these ids (count below) */
    size_t instance_id_count;
    const brev_label *labels;        /**< every label must be present with that value */
    size_t label_count;
    int managed_only;                /**< only instances this library created */
} brev_instance_filter;

/** Lists the project's instances (every page). filter may be NULL.
 * Free *out with brev_instance_list_free. */
BREV_EXTERN int brev_instances_list(brev_client *client, const brev_instance_filter *filter,
                                   brev_instance_list **out);

/** Stop / start wait until STOPPED / RUNNING (timeout_ms 0 = 10 / 20 min).
 * Starting can fail with BREV_ECAPACITY or BREV_EQUOTA. */
BREV_EXTERN int brev_instance_stop(brev_client *client, const char *instance_id, unsigned timeout_ms);
BREV_EXTERN int brev_instance_start(brev_client *client, const char *instance_id, unsigned timeout_ms);

/** Compute v1 has no reboot RPC: this is stop, then start, and waits for RUNNING. */
BREV_EXTERN int brev_instance_reboot(brev_client *client, const char *instance_id, unsigned timeout_ms);

/** Deletes the instance and waits until it is gone, then deletes the boot disk
 * and the allocations the library made for it, and the cluster's security
 * group when this was its last instance (unless the client option
 * keep_empty_clusters is set).
 * Terminating an instance that no longer exists returns BREV_ENOTFOUND. */
BREV_EXTERN int brev_instance_terminate(brev_client *client, const char *instance_id, unsigned timeout_ms);

/** Waits until the instance reaches status (or is gone, for
 * BREV_LIFECYCLE_TERMINATED). Fails with BREV_ETIMEOUT, or with
 * BREV_EPRECONDITION when it reaches FAILED first. *out (may be NULL) gets the
 * last state seen. */
BREV_EXTERN int brev_instance_wait(brev_client *client, const char *instance_id, brev_lifecycle status,
                                   unsigned timeout_ms, brev_instance **out);

#ifdef __cplusplus
}
#endif
#endif
