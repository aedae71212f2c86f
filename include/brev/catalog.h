/* The catalogue: instance types (platform x preset), public images, regions. */
#ifndef BREV_CATALOG_H
#define BREV_CATALOG_H

#include "client.h"

#ifdef __cplusplus
extern "C" {
#endif

/** One instance type. Strings owned by the list, never NULL. */
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
 * be NULL. Free with brev_instance_type_list_free. */
BREV_EXTERN int brev_instance_types_list(brev_client *client, const brev_instance_type_filter *filter,
                                         brev_instance_type_list **out);
BREV_EXTERN void brev_instance_type_list_free(brev_instance_type_list *list);

/** One public image. */
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

typedef struct brev_image_list {
    size_t count;
    brev_image *items;
} brev_image_list;

/** Lists the public images of the client's region (every page); family may be
 * NULL for all. Free with brev_image_list_free. */
BREV_EXTERN int brev_images_list(brev_client *client, const char *family, brev_image_list **out);
BREV_EXTERN void brev_image_list_free(brev_image_list *list);

/** The latest image of a family (BREV_ENOTFOUND for an unknown family). Free with brev_image_free. */
BREV_EXTERN int brev_image_latest(brev_client *client, const char *family, brev_image **out);
BREV_EXTERN void brev_image_free(brev_image *image);

typedef struct brev_region {
    char *name;        /**< "eu-north1" */
    char *description; /**< "Europe North 1 (Finland)" */
    char *country;     /**< ISO 3166 alpha-3, e.g. "FIN" */
    int available;     /**< the credentials have a project there */
} brev_region;

typedef struct brev_region_list {
    size_t count;
    brev_region *items;
} brev_region_list;

/** Lists the known Nebius regions; available marks those where the tenant has
 * a project (or the client's own region). Free with brev_region_list_free. */
BREV_EXTERN int brev_regions_list(brev_client *client, brev_region_list **out);
BREV_EXTERN void brev_region_list_free(brev_region_list *list);

#ifdef __cplusplus
}
#endif
#endif
