/* Instances: create (with SSH keys, in a cluster), get, list, stop, start,
 * reboot, terminate, wait — the Brev Cloud SDK surface on Nebius compute v1.
 *
 * Errors. Each function's comment names every code it returns. "The call
 * errors" there are what any function that calls the API can get from the
 * transport and the token: BREV_EAUTH (token refused or exchange failed),
 * BREV_ECREDENTIALS (the key cannot sign the token request), BREV_EPERM,
 * BREV_EUNAVAILABLE, BREV_ETIMEOUT (a call's own deadline), BREV_EINTERNAL,
 * BREV_EPROTOCOL (an answer that makes no sense), BREV_ENOMEM and BREV_ERROR
 * (gRPC refused the call locally). A status the API does not document for a
 * method maps as errors.h says (e.g. BREV_EINVAL for INVALID_ARGUMENT,
 * BREV_EUNSUPPORTED for UNIMPLEMENTED). Functions that resolve the project
 * from tenant_id (brev_client_project_id) can also return its BREV_ENOTFOUND
 * (no project of the tenant in the region) and BREV_EINVAL (neither a
 * project nor a tenant configured). Waits poll through short outages: there
 * BREV_EUNAVAILABLE and BREV_EINTERNAL become another poll, and the wait ends
 * with BREV_ETIMEOUT if they last. */
#ifndef BREV_INSTANCE_H
#define BREV_INSTANCE_H

#include "client.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Brev lifecycle status. Nebius states map as the Brev provider maps them:
 * CREATING/STARTING -> PENDING, RUNNING -> RUNNING, STOPPING -> STOPPING,
 * STOPPED -> STOPPED, DELETING -> TERMINATING, ERROR -> FAILED; an instance
 * that is gone -> TERMINATED. Two deliberate differences:
 *  - UPDATING -> PENDING (a change to a live instance, like the other
 *    in-between states); the Go provider says failed.
 *  - UNSPECIFIED, a state this library does not know, or no status at all ->
 *    UNKNOWN. The Go provider says failed, and its wait for RUNNING treats
 *    failed as final and deletes the instance (brev-cloud-sdk facts §7.5):
 *    a freshly created instance whose status the API has not filled in yet
 *    would be destroyed. UNKNOWN is not final: brev_instance_wait and the
 *    create's wait keep polling through it; only ERROR (FAILED) ends them.
 *    Callers that show a status should show "unknown", not "failed". */
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

/** "pending", "running", ... ("unknown" for a value out of range). Static
 * storage, never NULL. No errors. */
BREV_EXTERN const char *brev_lifecycle_name(brev_lifecycle status);

/** Parses a name given by brev_lifecycle_name into *out.
 * Errors: BREV_EINVAL (name or out NULL, or not a lifecycle name). */
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

/** Frees the instance and every string it owns. NULL is allowed. */
BREV_EXTERN void brev_instance_free(brev_instance *instance);

/** count instances in one array. The list owns the items and their strings:
 * free the whole list with brev_instance_list_free, never an item alone. */
typedef struct brev_instance_list {
    size_t count;
    brev_instance *items;
} brev_instance_list;

/** Frees the list, its items and their strings. NULL is allowed. */
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

/** Fills opts with the defaults (all NULL/0) for this version.
 * Errors: BREV_EINVAL (opts NULL, or a version this library does not know). */
BREV_EXTERN int brev_create_instance_options_init(brev_create_instance_options *opts, unsigned int version);

/** Creates the boot disk (encrypted at rest as the cloud's default) and the
 * instance, in the cluster's security group, with the SSH keys injected by
 * cloud-init, and waits until it runs (unless no_wait). A create is done only
 * when the instance is RUNNING: an instance that falls back to STOPPED after a
 * successful operation is a capacity failure (BREV_ECAPACITY).
 *
 * Idempotent by ref_id: when an instance of the ref_id exists, it is returned
 * (waited for while it is still starting) and nothing is made. Concurrent
 * creates of one ref_id (threads, processes, a retry while the first attempt
 * still runs) make one instance: the one that wins the instance's name
 * creates it, the others return it. They must use the same name; with
 * different names each would make its own instance.
 *
 * On any failure nothing this call made remains: its instance, its disk and a
 * cluster group it made are deleted before returning (that cleanup is not
 * cancellable), and the message says what the cleanup did. A boot disk left
 * by an earlier, interrupted create of the same ref_id is reused; if this
 * call fails before making an instance on it, it is left as it was found and
 * the message names it. Waits for the client's create rate limit first
 * (brev_client_options.max_creates_per_minute). *out is NULL on failure;
 * on success free it with brev_instance_free.
 * Errors: BREV_EINVAL (NULL argument; bad option: version, name, ref_id,
 * cluster_id, type syntax, a Brev type id of another region, image_id and
 * image_family both set, disk size or type, no or a bad SSH key, reserved
 * label, user_data too large; disk smaller than the image's minimum; an
 * image of another CPU architecture; or the API refused an argument),
 * BREV_ENOTFOUND (unknown platform, preset, image or image family, the
 * message listing the valid choices; the project),
 * BREV_EEXISTS (the name is taken by an instance of another ref_id; a disk
 * named "{name}-boot" exists that was not made for this ref_id, or is
 * attached to another instance),
 * BREV_EPRECONDITION (the ref_id's instance exists but is stopped or failed;
 * the instance went to ERROR before it ran; the boot disk of the name is in a
 * state that cannot be used; no subnet on the cluster group's network; a
 * same-named security group the library did not make),
 * BREV_EQUOTA, BREV_ECAPACITY (also a fall back to STOPPED),
 * BREV_ETIMEOUT (timeout_ms passed, or the rate limit's next slot opens only
 * after it), BREV_ECANCELLED (the progress callback said stop),
 * BREV_ERROR (the instance disappeared while being created; no random bytes
 * for the call's id), and the call errors. */
BREV_EXTERN int brev_instance_create(brev_client *client, const brev_create_instance_options *opts,
                                     brev_instance **out);

/** The instance with that id, with its boot disk's size and encryption (an
 * unreadable disk leaves them 0). *out is NULL on failure; on success free it
 * with brev_instance_free.
 * Errors: BREV_EINVAL (client or out NULL, empty id), BREV_ENOTFOUND (no such
 * instance), and the call errors. */
BREV_EXTERN int brev_instance_get(brev_client *client, const char *instance_id, brev_instance **out);

/** The project's instance of that name (names are unique in a project), as
 * brev_instance_get. *out is NULL on failure; on success free it with
 * brev_instance_free.
 * Errors: BREV_EINVAL (client or out NULL, empty name), BREV_ENOTFOUND (no
 * instance of that name; or the project), and the call errors. */
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

/** Lists the project's instances (every page). filter may be NULL. *out is
 * NULL on failure; on success (possibly count 0) free it with
 * brev_instance_list_free.
 * Errors: BREV_EINVAL (client or out NULL; label_count without labels, an
 * empty label key, instance_id_count without instance_ids), BREV_ENOTFOUND
 * (the project), and the call errors. */
BREV_EXTERN int brev_instances_list(brev_client *client, const brev_instance_filter *filter,
                                   brev_instance_list **out);

/** Stops the instance and waits until it is STOPPED (timeout_ms 0 = 10 min,
 * for the call, its operation and the wait). Stopping a stopped instance
 * succeeds. A cancel or timeout leaves the instance as it is; the message
 * names it.
 * Errors: BREV_EINVAL (client NULL, empty id), BREV_ENOTFOUND (no such
 * instance, or it disappeared meanwhile), BREV_EPRECONDITION (its state
 * forbids a stop, e.g. another operation runs on it; it went to ERROR),
 * BREV_ETIMEOUT, BREV_ECANCELLED (the progress callback), and the call errors. */
BREV_EXTERN int brev_instance_stop(brev_client *client, const char *instance_id, unsigned timeout_ms);

/** Starts the instance and waits until it is RUNNING (timeout_ms 0 = 20 min).
 * Starting a running instance succeeds. Once Start's operation finished OK,
 * an instance that is (or falls back to) STOPPED found no capacity:
 * BREV_ECAPACITY at once, as after a create.
 * Errors: BREV_EINVAL (client NULL, empty id), BREV_ENOTFOUND (no such
 * instance, or it disappeared meanwhile), BREV_ECAPACITY (not enough
 * resources, from the call, its operation or the fall back to STOPPED),
 * BREV_EQUOTA, BREV_EPRECONDITION (its state forbids a start; it went to
 * ERROR), BREV_ETIMEOUT, BREV_ECANCELLED (the progress callback), and the
 * call errors. */
BREV_EXTERN int brev_instance_start(brev_client *client, const char *instance_id, unsigned timeout_ms);

/** Compute v1 has no reboot RPC: this is stop, then start, and waits for
 * RUNNING. A given timeout_ms is split in half between them; 0 gives each its
 * own default.
 * Errors: those of brev_instance_stop and brev_instance_start (BREV_EINVAL,
 * BREV_ENOTFOUND, BREV_EPRECONDITION, BREV_ECAPACITY, BREV_EQUOTA,
 * BREV_ETIMEOUT, BREV_ECANCELLED, and the call errors); the message says
 * which half failed. */
BREV_EXTERN int brev_instance_reboot(brev_client *client, const char *instance_id, unsigned timeout_ms);

/** Deletes the instance and waits until it is gone, then deletes the boot disk
 * the library made for it (only one labelled for the same ref_id) and the
 * cluster's security group when this was its last instance (unless the
 * client option keep_empty_clusters is set). The library makes no other
 * allocation: an ephemeral public address goes with the interface.
 * timeout_ms (0 = 20 min) is one deadline for all of it. Once the instance is
 * gone, deleting the disk and the group is cleanup: the progress callback is
 * not asked and cannot stop it. Cancelled or failed before the instance is
 * gone, nothing after it is touched and the message names the instance, its
 * boot disk and the cluster's group as kept.
 * Errors: BREV_EINVAL (client NULL, empty id), BREV_ENOTFOUND (the instance
 * no longer exists), BREV_EPRECONDITION (the API refused a deletion in the
 * resource's state; a same-named group the library did not make),
 * BREV_ETIMEOUT (the deadline passed; the message says what is done),
 * BREV_ECANCELLED (the progress callback, before the instance was gone), and
 * the call errors. */
BREV_EXTERN int brev_instance_terminate(brev_client *client, const char *instance_id, unsigned timeout_ms);

/** Waits until the instance reaches status (or is gone, for
 * BREV_LIFECYCLE_TERMINATED), polling every poll_interval_ms; timeout_ms 0 =
 * 20 min. UNKNOWN (see brev_lifecycle) is not final: the wait goes on. *out
 * (may be NULL) gets the last state seen, also on failure (NULL when none was
 * seen or the instance is gone); free it with brev_instance_free.
 * Errors: BREV_EINVAL (client NULL, empty id, status UNKNOWN or out of
 * range), BREV_ENOTFOUND (the instance disappeared, waiting for another
 * status than TERMINATED), BREV_EPRECONDITION (it reached FAILED first),
 * BREV_ETIMEOUT, BREV_ECANCELLED (the progress callback), and the call errors
 * (BREV_EUNAVAILABLE and BREV_EINTERNAL only as polls that end in
 * BREV_ETIMEOUT). */
BREV_EXTERN int brev_instance_wait(brev_client *client, const char *instance_id, brev_lifecycle status,
                                   unsigned timeout_ms, brev_instance **out);

#ifdef __cplusplus
}
#endif
#endif
