/* Instance types: every platform x preset of the project, the way Brev names
 * them ("{region}-noSub-{platform}.{preset}"). Unlike the Go provider, every
 * preset is listed (no cap on CPU presets), paging is followed, and a type
 * that does not exist is an error naming the valid ones, never a fallback. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cloud/instance_internal.h"
#include "util/error.h"
#include "util/str.h"

/* Matched against the '-' separated tokens of a platform name. */
static const struct {
    const char *token;
    const char *model;
    int64_t memory_gb; /* per GPU, when the platform does not say */
} gpus[] = {
    {"gb300", "GB300", 270}, {"gb200", "GB200", 192}, {"b300", "B300", 270},  {"b200", "B200", 192},
    {"h200", "H200", 141},   {"h100", "H100", 80},    {"l40s", "L40S", 48},   {"a100", "A100", 80},
    {"v100", "V100", 32},    {"rtx6000", "RTX6000", 96}, {"a10", "A10", 24}, {"t4", "T4", 16},
    {"l4", "L4", 24},
};

static int gpu_index(const char *platform)
{
    const char *p = platform ? platform : "";

    while (*p) {
        size_t len = strcspn(p, "-");
        for (size_t i = 0; i < sizeof gpus / sizeof gpus[0]; i++)
            if (strlen(gpus[i].token) == len && strncmp(gpus[i].token, p, len) == 0)
                return (int)i;
        p += len;
        p += *p == '-';
    }
    return -1;
}

const char *bn_gpu_model_of(const char *platform)
{
    int i = gpu_index(platform);
    return i < 0 ? "" : gpus[i].model;
}

const char *bn_platform_architecture(const char *platform)
{
    int i = gpu_index(platform);

    if (i >= 0)
        return (strcmp(gpus[i].token, "gb200") == 0 || strcmp(gpus[i].token, "gb300") == 0) ? "arm64" : "x86_64";
    if (bn_str_starts_with(platform, "cpu-d3") || bn_str_starts_with(platform, "cpu-e2") ||
        bn_str_starts_with(platform, "cpu-e1"))
        return "x86_64";
    return "unknown";
}

int bn_platforms_list(brev_client *client, bn_msg_list *out)
{
    const char *project;
    int rc = bn_client_project(client, &project);

    if (rc < 0)
        return rc;
    return bn_res_list(client->rpc, &bn_kind_platform, project, out);
}

static const char *platform_name(const Nebius__Compute__V1__Platform *p)
{
    return p->metadata && p->metadata->name ? p->metadata->name : "";
}

/* "a, b, c" of every name (for error messages), truncated to fit. */
static void join_names(char *out, size_t cap, const char *const *names, size_t n)
{
    size_t used = 0;

    out[0] = '\0';
    for (size_t i = 0; i < n && used + 1 < cap; i++) {
        int w = snprintf(out + used, cap - used, "%s%s", i ? ", " : "", names[i]);
        if (w < 0)
            break;
        used += (size_t)w;
    }
    if (used >= cap && cap > 4)
        memcpy(out + cap - 4, "...", 4);
}

int bn_platform_find(const bn_msg_list *platforms, const char *platform, const char *preset,
                     const Nebius__Compute__V1__Platform **plat_out, const Nebius__Compute__V1__Preset **preset_out)
{
    const char *names[256] = {0};
    char valid[700];
    size_t n = 0;

    for (size_t i = 0; i < platforms->count; i++) {
        const Nebius__Compute__V1__Platform *p = (const Nebius__Compute__V1__Platform *)platforms->items[i];

        if (strcmp(platform_name(p), platform) != 0)
            continue;
        for (size_t j = 0; p->spec && j < p->spec->n_presets; j++) {
            const Nebius__Compute__V1__Preset *s = p->spec->presets[j];
            if (s->name && strcmp(s->name, preset) == 0 && s->resources) {
                *plat_out = p;
                *preset_out = s;
                return BREV_OK;
            }
            if (n < sizeof names / sizeof names[0] && s->name)
                names[n++] = s->name;
        }
        join_names(valid, sizeof valid, names, n);
        return bn_err_set(BREV_ENOTFOUND, "platform '%s' has no preset '%s'; valid presets: %s", platform, preset,
                          n ? valid : "(none)");
    }
    for (size_t i = 0; i < platforms->count && n < sizeof names / sizeof names[0]; i++)
        names[n++] = platform_name((const Nebius__Compute__V1__Platform *)platforms->items[i]);
    join_names(valid, sizeof valid, names, n);
    return bn_err_set(BREV_ENOTFOUND, "unknown platform '%s' in this project; valid platforms: %s", platform,
                      n ? valid : "(none)");
}

static void type_clear(brev_instance_type *t)
{
    char *strings[] = {t->id,        t->type,      t->platform,     t->preset,
                       t->region,    t->description, t->gpu_model, t->gpu_manufacturer,
                       t->architecture};
    for (size_t i = 0; i < sizeof strings / sizeof strings[0]; i++)
        free(strings[i]);
    memset(t, 0, sizeof *t);
}

void brev_instance_type_list_free(brev_instance_type_list *list)
{
    if (!list)
        return;
    for (size_t i = 0; i < list->count; i++)
        type_clear(&list->items[i]);
    free(list->items);
    free(list);
}

/* gpu_memory_gigabytes is the field the API fills; the older GiB fields are
 * deprecated, so a platform without it falls back to the known sizes. */
static int64_t gpu_memory_bytes(const Nebius__Compute__V1__Platform *p)
{
    int i;

    if (p->spec && p->spec->gpu_memory_gigabytes > 0)
        return (int64_t)p->spec->gpu_memory_gigabytes * 1000000000;
    i = gpu_index(platform_name(p));
    return i < 0 ? 0 : gpus[i].memory_gb * 1000000000;
}

static int type_fill(brev_instance_type *t, const Nebius__Compute__V1__Platform *p,
                     const Nebius__Compute__V1__Preset *s, const char *region)
{
    const char *plat = platform_name(p);
    const Nebius__Compute__V1__PresetResources *r = s->resources;
    const char *model = bn_gpu_model_of(plat);

    t->type = bn_strfmt("%s.%s", plat, s->name);
    t->id = bn_strfmt("%s-noSub-%s.%s", region, plat, s->name);
    t->platform = bn_strdup(plat);
    t->preset = bn_strdup(s->name);
    t->region = bn_strdup(region);
    t->description = bn_strdup(p->spec ? p->spec->human_readable_name : "");
    t->vcpus = r->vcpu_count;
    t->memory_bytes = (int64_t)r->memory_gibibytes * BN_GIB;
    t->gpu_count = r->gpu_count;
    t->gpu_model = bn_strdup(r->gpu_count > 0 ? (*model ? model : "GPU") : "");
    t->gpu_manufacturer = bn_strdup(r->gpu_count > 0 ? "NVIDIA" : "");
    t->gpu_memory_bytes = r->gpu_count > 0 ? gpu_memory_bytes(p) : 0;
    t->architecture = bn_strdup(bn_platform_architecture(plat));
    t->preemptible_allowed = p->status ? p->status->allowed_for_preemptibles : 0;
    if (!t->type || !t->id || !t->platform || !t->preset || !t->region || !t->description || !t->gpu_model ||
        !t->gpu_manufacturer || !t->architecture)
        return bn_err_set(BREV_ENOMEM, "out of memory");
    return BREV_OK;
}

static int type_wanted(const brev_instance_type *t, const brev_instance_type_filter *f)
{
    if (!f)
        return 1;
    if (f->gpu_only && t->gpu_count == 0)
        return 0;
    if (f->cpu_only && t->gpu_count > 0)
        return 0;
    if (f->architecture && *f->architecture && strcmp(f->architecture, t->architecture) != 0)
        return 0;
    if (f->type && *f->type && strcmp(f->type, t->type) != 0 && strcmp(f->type, t->id) != 0)
        return 0;
    return 1;
}

int brev_instance_types_list(brev_client *client, const brev_instance_type_filter *filter,
                             brev_instance_type_list **out)
{
    bn_msg_list platforms = {0};
    brev_instance_type_list *list;
    size_t total = 0;
    int rc;

    if (!client || !out)
        return bn_err_set(BREV_EINVAL, "client and out must not be NULL");
    *out = NULL;
    if (filter && filter->gpu_only && filter->cpu_only)
        return bn_err_set(BREV_EINVAL, "filter: gpu_only and cpu_only exclude each other");
    rc = bn_platforms_list(client, &platforms);
    if (rc < 0)
        return bn_err_prefix("listing instance types");
    for (size_t i = 0; i < platforms.count; i++) {
        const Nebius__Compute__V1__Platform *p = (const Nebius__Compute__V1__Platform *)platforms.items[i];
        total += p->spec ? p->spec->n_presets : 0;
    }
    list = calloc(1, sizeof *list);
    if (list)
        list->items = calloc(total ? total : 1, sizeof *list->items);
    if (!list || !list->items) {
        free(list);
        bn_msg_list_free(&platforms);
        return bn_err_set(BREV_ENOMEM, "out of memory");
    }
    for (size_t i = 0; i < platforms.count && rc == BREV_OK; i++) {
        const Nebius__Compute__V1__Platform *p = (const Nebius__Compute__V1__Platform *)platforms.items[i];

        for (size_t j = 0; p->spec && j < p->spec->n_presets && rc == BREV_OK; j++) {
            const Nebius__Compute__V1__Preset *s = p->spec->presets[j];
            brev_instance_type *t = &list->items[list->count];

            if (!s->resources || !s->name || !*s->name)
                continue; /* a preset without resources cannot be run */
            rc = type_fill(t, p, s, brev_client_region(client));
            if (rc == BREV_OK && type_wanted(t, filter))
                list->count++;
            else
                type_clear(t);
        }
    }
    bn_msg_list_free(&platforms);
    if (rc < 0) {
        brev_instance_type_list_free(list);
        return rc;
    }
    *out = list;
    return BREV_OK;
}
