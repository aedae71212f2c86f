/* instance-types, images, regions: the catalogue. */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "output.h"

/* ---- instance-types ----------------------------------------------------- */

static const arg_spec types_options[] = {
    {"gpu", ARG_FLAG, NULL, "only types with GPUs"},
    {"cpu", ARG_FLAG, NULL, "only types without GPUs"},
    {"arch", ARG_VALUE, "ARCH", "only this architecture: x86_64 or arm64"},
    {"type", ARG_VALUE, "TYPE", "only this type (\"platform.preset\" or Brev id)"},
    {NULL, 0, NULL, NULL},
};

static json_t *type_json(const brev_instance_type *t)
{
    return json_pack("{s:o, s:o, s:o, s:o, s:o, s:o, s:i, s:I, s:i, s:o, s:o, s:I, s:o, s:b}", "id",
                     cli_json_str(t->id), "type", cli_json_str(t->type), "platform", cli_json_str(t->platform),
                     "preset", cli_json_str(t->preset), "region", cli_json_str(t->region), "description",
                     cli_json_str(t->description), "vcpus", t->vcpus, "memory_bytes", (json_int_t)t->memory_bytes,
                     "gpu_count", t->gpu_count, "gpu_model", cli_json_str(t->gpu_model), "gpu_manufacturer",
                     cli_json_str(t->gpu_manufacturer), "gpu_memory_bytes", (json_int_t)t->gpu_memory_bytes,
                     "architecture", cli_json_str(t->architecture), "preemptible_allowed",
                     t->preemptible_allowed);
}

static int instance_types(cli_ctx *ctx)
{
    brev_instance_type_filter filter;
    memset(&filter, 0, sizeof filter);
    filter.gpu_only = args_flag(ctx->args, "gpu");
    filter.cpu_only = args_flag(ctx->args, "cpu");
    filter.architecture = args_value(ctx->args, "arch");
    filter.type = args_value(ctx->args, "type");
    if (filter.gpu_only && filter.cpu_only)
        return cli_usage_error(ctx, "--gpu and --cpu exclude each other");
    int exit_code = CLI_EXIT_OK;
    brev_client *client = cli_client(ctx, &exit_code);
    if (!client)
        return exit_code;
    brev_instance_type_list *list = NULL;
    int rc = brev_instance_types_list(client, &filter, &list);
    if (rc != BREV_OK)
        return cli_fail(rc);
    if (ctx->json) {
        json_t *arr = json_array();
        for (size_t i = 0; arr && i < list->count; i++)
            if (json_array_append_new(arr, type_json(&list->items[i])) < 0) {
                json_decref(arr);
                arr = NULL;
            }
        exit_code = cli_json_emit(arr) < 0 ? CLI_EXIT_ERROR : CLI_EXIT_OK;
    } else {
        static const char *const headers[] = {"TYPE", "VCPUS", "MEMORY", "GPUS", "GPU", "ARCH", "REGION", NULL};
        cli_table *t = cli_table_new(headers);
        for (size_t i = 0; t && i < list->count; i++) {
            const brev_instance_type *it = &list->items[i];
            char vcpus[16], mem[32], gpus[16], gpu[96], gmem[32];
            snprintf(vcpus, sizeof vcpus, "%d", it->vcpus);
            cli_format_bytes(it->memory_bytes, mem, sizeof mem);
            snprintf(gpus, sizeof gpus, "%d", it->gpu_count);
            cli_format_bytes(it->gpu_memory_bytes, gmem, sizeof gmem);
            if (it->gpu_count > 0)
                snprintf(gpu, sizeof gpu, "%s %s %s", it->gpu_manufacturer, it->gpu_model, gmem);
            else
                gpu[0] = '\0';
            const char *row[] = {it->type, vcpus, mem, gpus, gpu, it->architecture, it->region};
            if (cli_table_add(t, row) < 0)
                break;
        }
        if (t)
            cli_table_print(t, stdout);
        else
            exit_code = CLI_EXIT_ERROR;
        cli_table_free(t);
    }
    brev_instance_type_list_free(list);
    return exit_code;
}

/* ---- images ------------------------------------------------------------- */

static const arg_spec images_options[] = {
    {"family", ARG_VALUE, "FAMILY", "only images of this family"},
    {"latest", ARG_FLAG, NULL, "only the latest image of --family"},
    {NULL, 0, NULL, NULL},
};

static json_t *image_json(const brev_image *im)
{
    return json_pack("{s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:I, s:I}", "id", cli_json_str(im->id), "name",
                     cli_json_str(im->name), "family", cli_json_str(im->family), "version",
                     cli_json_str(im->version), "description", cli_json_str(im->description), "architecture",
                     cli_json_str(im->architecture), "os_name", cli_json_str(im->os_name), "os_version",
                     cli_json_str(im->os_version), "min_disk_size_bytes", (json_int_t)im->min_disk_size_bytes,
                     "created_at", (json_int_t)im->created_at);
}

static int print_images(const cli_ctx *ctx, const brev_image *items, size_t count)
{
    if (ctx->json) {
        json_t *arr = json_array();
        for (size_t i = 0; arr && i < count; i++)
            if (json_array_append_new(arr, image_json(&items[i])) < 0) {
                json_decref(arr);
                arr = NULL;
            }
        return cli_json_emit(arr) < 0 ? CLI_EXIT_ERROR : CLI_EXIT_OK;
    }
    static const char *const headers[] = {"ID", "FAMILY", "VERSION", "ARCH", "OS", "MIN DISK", NULL};
    cli_table *t = cli_table_new(headers);
    if (!t)
        return CLI_EXIT_ERROR;
    for (size_t i = 0; i < count; i++) {
        const brev_image *im = &items[i];
        char os[96], disk[32];
        snprintf(os, sizeof os, "%s%s%s", im->os_name, *im->os_version ? " " : "", im->os_version);
        cli_format_bytes(im->min_disk_size_bytes, disk, sizeof disk);
        const char *row[] = {im->id, im->family, im->version, im->architecture, os, disk};
        if (cli_table_add(t, row) < 0)
            break;
    }
    cli_table_print(t, stdout);
    cli_table_free(t);
    return CLI_EXIT_OK;
}

static int images(cli_ctx *ctx)
{
    const char *family = args_value(ctx->args, "family");
    int latest = args_flag(ctx->args, "latest");
    if (latest && !family)
        return cli_usage_error(ctx, "--latest needs --family");
    int exit_code = CLI_EXIT_OK;
    brev_client *client = cli_client(ctx, &exit_code);
    if (!client)
        return exit_code;
    if (latest) {
        brev_image *im = NULL;
        int rc = brev_image_latest(client, family, &im);
        if (rc != BREV_OK)
            return cli_fail(rc);
        if (ctx->json) {
            exit_code = cli_json_emit(image_json(im)) < 0 ? CLI_EXIT_ERROR : CLI_EXIT_OK;
        } else {
            exit_code = print_images(ctx, im, 1);
        }
        brev_image_free(im);
        return exit_code;
    }
    brev_image_list *list = NULL;
    int rc = brev_images_list(client, family, &list);
    if (rc != BREV_OK)
        return cli_fail(rc);
    exit_code = print_images(ctx, list->items, list->count);
    brev_image_list_free(list);
    return exit_code;
}

/* ---- regions ------------------------------------------------------------ */

static const arg_spec no_options[] = {
    {NULL, 0, NULL, NULL},
};

static int regions(cli_ctx *ctx)
{
    int exit_code = CLI_EXIT_OK;
    brev_client *client = cli_client(ctx, &exit_code);
    if (!client)
        return exit_code;
    brev_region_list *list = NULL;
    int rc = brev_regions_list(client, &list);
    if (rc != BREV_OK)
        return cli_fail(rc);
    if (ctx->json) {
        json_t *arr = json_array();
        for (size_t i = 0; arr && i < list->count; i++) {
            const brev_region *r = &list->items[i];
            json_t *item = json_pack("{s:o, s:o, s:o, s:b}", "name", cli_json_str(r->name), "description",
                                     cli_json_str(r->description), "country", cli_json_str(r->country),
                                     "available", r->available);
            if (json_array_append_new(arr, item) < 0) {
                json_decref(arr);
                arr = NULL;
            }
        }
        exit_code = cli_json_emit(arr) < 0 ? CLI_EXIT_ERROR : CLI_EXIT_OK;
    } else {
        static const char *const headers[] = {"REGION", "DESCRIPTION", "COUNTRY", "AVAILABLE", NULL};
        cli_table *t = cli_table_new(headers);
        for (size_t i = 0; t && i < list->count; i++) {
            const brev_region *r = &list->items[i];
            const char *row[] = {r->name, r->description, r->country, r->available ? "yes" : "no"};
            if (cli_table_add(t, row) < 0)
                break;
        }
        if (t)
            cli_table_print(t, stdout);
        cli_table_free(t);
    }
    brev_region_list_free(list);
    return exit_code;
}

const cli_command cli_catalog_commands[] = {
    {"instance-types", NULL, NULL, 0, 0, "List the instance types of the project's region", NULL, types_options,
     instance_types},
    {"images", NULL, NULL, 0, 0, "List the public images of the region", NULL, images_options, images},
    {"regions", NULL, NULL, 0, 0, "List the Nebius regions and which ones the credentials can use", NULL,
     no_options, regions},
    {NULL, NULL, NULL, 0, 0, NULL, NULL, NULL, NULL},
};
