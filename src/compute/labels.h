/* Resource labels (ResourceMetadata.labels, the same map on every kind). */
#ifndef BN_COMPUTE_LABELS_H
#define BN_COMPUTE_LABELS_H

#include "nebius/common/v1/metadata.pb-c.h"

/* Labels being put together for a Create request. Keys and values are
 * borrowed: they must outlive the request. */
typedef struct bn_labels {
    size_t count;
    size_t cap;
    Nebius__Common__V1__ResourceMetadata__LabelsEntry *entries;
    Nebius__Common__V1__ResourceMetadata__LabelsEntry **ptrs;
} bn_labels;

/* Adds or replaces key. */
int bn_labels_set(bn_labels *labels, const char *key, const char *value);
/* Points meta->labels at the set (valid until the next set or free). */
int bn_labels_attach(bn_labels *labels, Nebius__Common__V1__ResourceMetadata *meta);
void bn_labels_free(bn_labels *labels);

/* The value of label key, or NULL when the resource has no such label. */
const char *bn_meta_label(const Nebius__Common__V1__ResourceMetadata *meta, const char *key);

#endif
