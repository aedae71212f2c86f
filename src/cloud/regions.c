/* Known Nebius regions, described and located as the Brev provider has them.
 * A region is available when the client's project is there, or when a project
 * of the client's tenant is (the tenant's projects are listed when a tenant is
 * known; if that listing is refused, only the client's own region counts). */
#include <stdlib.h>
#include <string.h>

#include "cloud/instance_internal.h"
#include "nebius/iam/v1/container.pb-c.h"
#include "nebius/iam/v1/project_service.pb-c.h"
#include "util/error.h"
#include "util/str.h"

static const struct {
    const char *name;
    const char *description;
    const char *country;
} known[] = {
    {"eu-north1", "Europe North 1 (Finland)", "FIN"},
    {"eu-west1", "Europe West 1 (Netherlands)", "NLD"},
    {"eu-west2", "Europe West 2 (Belgium)", "BEL"},
    {"eu-west3", "Europe West 3 (Germany)", "DEU"},
    {"eu-west4", "Europe West 4 (France)", "FRA"},
    {"us-central1", "US Central 1 (USA)", "USA"},
    {"us-east1", "US East 1 (USA)", "USA"},
    {"us-west1", "US West 1 (USA)", "USA"},
    {"asia-east1", "Asia East 1 (Taiwan)", "TWN"},
};

#define N_KNOWN (sizeof known / sizeof known[0])

void brev_region_list_free(brev_region_list *list)
{
    if (!list)
        return;
    for (size_t i = 0; i < list->count; i++) {
        free(list->items[i].name);
        free(list->items[i].description);
        free(list->items[i].country);
    }
    free(list->items);
    free(list);
}

static void mark(int *available, const char *region)
{
    for (size_t i = 0; region && i < N_KNOWN; i++)
        if (strcmp(known[i].name, region) == 0)
            available[i] = 1;
}

/* Regions of the tenant's projects; failures leave the marks as they are
 * (the client's own region is always marked). */
static void mark_tenant_projects(brev_client *client, int *available)
{
    bn_msg_list projects = {0};

    if (!client->tenant_id || !*client->tenant_id)
        return;
    if (bn_list_pages(client->rpc, &nebius__iam__v1__project_service__descriptor, "List", "parent_id",
                      client->tenant_id, &projects) < 0) {
        bn_log(&client->logger, BREV_LOG_DEBUG, "regions: tenant projects not listed: %s", brev_error_message());
        brev_error_clear();
        return;
    }
    for (size_t i = 0; i < projects.count; i++) {
        const Nebius__Iam__V1__Container *p = (const Nebius__Iam__V1__Container *)projects.items[i];
        if (p->status && p->status->region && *p->status->region)
            mark(available, p->status->region);
        else if (p->spec)
            mark(available, p->spec->region);
    }
    bn_msg_list_free(&projects);
}

int brev_regions_list(brev_client *client, brev_region_list **out)
{
    int available[N_KNOWN] = {0};
    brev_region_list *list;
    const char *region;
    int has_own = 0;

    if (!client || !out)
        return bn_err_set(BREV_EINVAL, "client and out must not be NULL");
    *out = NULL;
    region = brev_client_region(client);
    mark(available, region);
    mark_tenant_projects(client, available);
    for (size_t i = 0; i < N_KNOWN; i++)
        has_own |= region && strcmp(known[i].name, region) == 0;
    list = calloc(1, sizeof *list);
    if (list)
        list->items = calloc(N_KNOWN + 1, sizeof *list->items);
    if (!list || !list->items) {
        free(list);
        return bn_err_set(BREV_ENOMEM, "out of memory");
    }
    for (size_t i = 0; i <= N_KNOWN; i++) {
        brev_region *r = &list->items[list->count];

        if (i == N_KNOWN) {
            /* A region newer than this table: still list the client's own. */
            if (has_own || !region || !*region)
                break;
            r->name = bn_strdup(region);
            r->description = bn_strdup(region);
            r->country = bn_strdup("");
            r->available = 1;
        } else {
            r->name = bn_strdup(known[i].name);
            r->description = bn_strdup(known[i].description);
            r->country = bn_strdup(known[i].country);
            r->available = available[i];
        }
        list->count++;
        if (!r->name || !r->description || !r->country) {
            brev_region_list_free(list);
            return bn_err_set(BREV_ENOMEM, "out of memory");
        }
    }
    *out = list;
    return BREV_OK;
}
