#include "compute/labels.h"

#include <stdlib.h>
#include <string.h>

#include "util/error.h"

int bn_labels_set(bn_labels *labels, const char *key, const char *value)
{
    static const Nebius__Common__V1__ResourceMetadata__LabelsEntry init =
        NEBIUS__COMMON__V1__RESOURCE_METADATA__LABELS_ENTRY__INIT;

    for (size_t i = 0; i < labels->count; i++) {
        if (strcmp(labels->entries[i].key, key) == 0) {
            labels->entries[i].value = (char *)value;
            return BREV_OK;
        }
    }
    if (labels->count == labels->cap) {
        size_t cap = labels->cap ? labels->cap * 2 : 8;
        Nebius__Common__V1__ResourceMetadata__LabelsEntry *grown = realloc(labels->entries, cap * sizeof *grown);

        if (!grown)
            return bn_err_set(BREV_ENOMEM, "out of memory");
        labels->entries = grown;
        labels->cap = cap;
    }
    labels->entries[labels->count] = init;
    labels->entries[labels->count].key = (char *)key;
    labels->entries[labels->count].value = (char *)value;
    labels->count++;
    return BREV_OK;
}

int bn_labels_attach(bn_labels *labels, Nebius__Common__V1__ResourceMetadata *meta)
{
    free(labels->ptrs);
    labels->ptrs = calloc(labels->count ? labels->count : 1, sizeof *labels->ptrs);
    if (!labels->ptrs)
        return bn_err_set(BREV_ENOMEM, "out of memory");
    for (size_t i = 0; i < labels->count; i++)
        labels->ptrs[i] = &labels->entries[i];
    meta->n_labels = labels->count;
    meta->labels = labels->ptrs;
    return BREV_OK;
}

void bn_labels_free(bn_labels *labels)
{
    free(labels->entries);
    free(labels->ptrs);
    memset(labels, 0, sizeof *labels);
}

const char *bn_meta_label(const Nebius__Common__V1__ResourceMetadata *meta, const char *key)
{
    if (!meta)
        return NULL;
    for (size_t i = 0; i < meta->n_labels; i++) {
        if (meta->labels[i] && meta->labels[i]->key && strcmp(meta->labels[i]->key, key) == 0)
            return meta->labels[i]->value ? meta->labels[i]->value : "";
    }
    return NULL;
}
