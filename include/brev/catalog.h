/* The catalogue: instance types (platform x preset), public images, regions.
 *
 * Errors: each function names every code it returns; "the call errors" are
 * those of any call to the API, listed at the top of instance.h (BREV_EAUTH,
 * BREV_ECREDENTIALS, BREV_EPERM, BREV_EUNAVAILABLE, BREV_ETIMEOUT,
 * BREV_EINTERNAL, BREV_EPROTOCOL, BREV_ENOMEM, BREV_ERROR, and an
 * undocumented status mapped as errors.h says). */
#ifndef BREV_CATALOG_H
#define BREV_CATALOG_H

#include "client.h"

#ifdef __cplusplus
extern "C" {
#endif

/** One instance type. Strings owned by the list (freed with it), never NULL. */
typedef struct brev_instance_type {
    char *id;           /**< Brev-style id "{region}-noSub-{platform}.{preset}" */
    char *type;         /**< "{platform}.{preset}", what brev_instance_create takes */
    char *platform;
    char *preset;
    char *region;
    char *description;  /**< the platform's human-readable name */
    int vcpus;
    int64_t memory_bytes;
    int gpu_count;
    char *gpu_model;        /**< "H100", "L40S", ... or "" for CPU types */
    char *gpu_manufacturer; /**< "NVIDIA" or "" */
    int64_t gpu_memory_bytes; /**< per GPU */
    char *architecture; /**< "x86_64", "arm64" or "unknown" */
    int preemptible_allowed;
} brev_instance_type;

/** count types in one array, owned by the list: free the whole list with
 * brev_instance_type_list_free, never an item alone. */
typedef struct brev_instance_type_list {
    size_t count;
    brev_instance_type *items;
} brev_instance_type_list;

typedef struct brev_instance_type_filter {
    int gpu_only;             /**< only types with GPUs */
    int cpu_only;             /**< only types without GPUs */
    const char *architecture; /**< "x86_64" / "arm64" or NULL */
    const char *type;         /**< exact "{platform}.{preset}" or Brev id, or NULL */
} brev_instance_type_filter;

/** Lists the instance types of the client's project (every page). filter may
 * be NULL. *out is NULL on failure; on success (possibly count 0) free it
 * with brev_instance_type_list_free.
 * Errors: BREV_EINVAL (client or out NULL; gpu_only and cpu_only both set;
 * neither a project nor a tenant configured), BREV_ENOTFOUND (the project,
 * or no project of the tenant in the region), and the call errors. */
BREV_EXTERN int brev_instance_types_list(brev_client *client, const brev_instance_type_filter *filter,
                                         brev_instance_type_list **out);
/** Frees the list, its items and their strings. NULL is allowed. */
BREV_EXTERN void brev_instance_type_list_free(brev_instance_type_list *list);

/** One public image. Strings owned by the struct (or by its list), never NULL. */
typedef struct brev_image {
    char *id;
    char *name;
    char *family;
    char *version;
    char *description;
    char *architecture; /**< "x86_64", "arm64" or "unknown" */
    char *os_name;      /**< label os_name, or "" */
    char *os_version;   /**< label os_version, or "" */
    int64_t min_disk_size_bytes;
    int64_t created_at;
} brev_image;

/** count images in one array, owned by the list: free the whole list with
 * brev_image_list_free, never an item alone (brev_image_free is for
 * brev_image_latest's result). */
typedef struct brev_image_list {
    size_t count;
    brev_image *items;
} brev_image_list;

/** Lists the public images of the client's region (every page); family may be
 * NULL (or "") for all; an unknown family gives an empty list, not an error.
 * *out is NULL on failure; on success free it with brev_image_list_free.
 * Errors: BREV_EINVAL (client or out NULL), and the call errors. */
BREV_EXTERN int brev_images_list(brev_client *client, const char *family, brev_image_list **out);
/** Frees the list, its items and their strings. NULL is allowed. */
BREV_EXTERN void brev_image_list_free(brev_image_list *list);

/** The latest image of a family in the client's region's public images.
 * *out is NULL on failure; on success free it with brev_image_free.
 * Errors: BREV_EINVAL (client or out NULL, empty family; neither a project
 * nor a tenant configured), BREV_ENOTFOUND (no such family in the region; or
 * no project of the tenant in the region), and the call errors. */
BREV_EXTERN int brev_image_latest(brev_client *client, const char *family, brev_image **out);
/** Frees an image from brev_image_latest and its strings. NULL is allowed. */
BREV_EXTERN void brev_image_free(brev_image *image);

typedef struct brev_region {
    char *name;        /**< "eu-north1" */
    char *description; /**< "Europe North 1 (Finland)" */
    char *country;     /**< ISO 3166 alpha-3, e.g. "FIN" */
    int available;     /**< the credentials have a project there */
} brev_region;

/** count regions in one array, owned by the list (strings included). */
typedef struct brev_region_list {
    size_t count;
    brev_region *items;
} brev_region_list;

/** Lists the known Nebius regions (and the client's own when it is newer than
 * the library's table); available marks those where the tenant has a project,
 * and the client's own region. When the tenant's projects cannot be listed
 * (no tenant_id, no permission, no network) only the client's region is
 * marked and the call still succeeds: the table needs no API. *out is NULL on
 * failure; on success free it with brev_region_list_free.
 * Errors: BREV_EINVAL (client or out NULL), BREV_ENOMEM. */
BREV_EXTERN int brev_regions_list(brev_client *client, brev_region_list **out);
/** Frees the list, its items and their strings. NULL is allowed. */
BREV_EXTERN void brev_region_list_free(brev_region_list *list);

#ifdef __cplusplus
}
#endif
#endif
