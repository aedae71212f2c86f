#include "compute/resource.h"

#include <stdlib.h>
#include <string.h>

#include "compute/msg_field.h"
#include "util/error.h"
#include "util/str.h"

/* A server that keeps handing out page tokens would otherwise loop forever. */
#define MAX_PAGES 100000

void bn_msg_list_free(bn_msg_list *list)
{
    if (!list)
        return;
    for (size_t i = 0; i < list->count; i++)
        protobuf_c_message_free_unpacked(list->items[i], NULL);
    free(list->items);
    list->items = NULL;
    list->count = 0;
}

static const ProtobufCMethodDescriptor *method_of(const ProtobufCServiceDescriptor *svc, const char *method)
{
    const ProtobufCMethodDescriptor *m = protobuf_c_service_descriptor_get_method_by_name(svc, method);

    if (!m)
        bn_err_set(BREV_EINTERNAL, "service %s has no method %s", svc->name, method);
    return m;
}

static int append_items(bn_msg_list *out, ProtobufCMessage *page)
{
    size_t n = 0;
    ProtobufCMessage **items = NULL;
    ProtobufCMessage **grown;
    int rc = bn_msg_take_repeated(page, "items", &n, &items);

    if (rc < 0 || n == 0) {
        free(items);
        return rc;
    }
    grown = realloc(out->items, (out->count + n) * sizeof *grown);
    if (!grown) {
        for (size_t i = 0; i < n; i++)
            protobuf_c_message_free_unpacked(items[i], NULL);
        free(items);
        return bn_err_set(BREV_ENOMEM, "out of memory");
    }
    memcpy(grown + out->count, items, n * sizeof *items);
    out->items = grown;
    out->count += n;
    free(items);
    return BREV_OK;
}

/* Sets up the page request; then each page: call, keep the items, follow the token. */
int bn_list_pages(bn_rpc *rpc, const ProtobufCServiceDescriptor *svc, const char *method,
                  const char *parent_field, const char *parent, bn_msg_list *out)
{
    const ProtobufCMethodDescriptor *m = method_of(svc, method);
    ProtobufCMessage *req;
    char *token = NULL;
    int rc;

    out->count = 0;
    out->items = NULL;
    if (!m)
        return BREV_EINTERNAL;
    req = bn_msg_new(m->input);
    if (!req)
        return BREV_ENOMEM;
    rc = bn_msg_set_str(req, parent_field, parent);
    if (rc == BREV_OK)
        rc = bn_msg_set_int64(req, "page_size", BN_LIST_PAGE_SIZE);
    for (int page = 0; rc == BREV_OK; page++) {
        ProtobufCMessage *resp = NULL;
        const char *next;

        if (page >= MAX_PAGES) {
            rc = bn_err_set(BREV_EPROTOCOL, "%s/%s: more than %d pages", svc->name, method, MAX_PAGES);
            break;
        }
        rc = bn_msg_set_str(req, "page_token", token ? token : "");
        if (rc == BREV_OK)
            rc = bn_rpc_call(rpc, svc, method, req, &resp, NULL);
        if (rc < 0)
            break;
        rc = append_items(out, resp);
        next = rc == BREV_OK ? bn_msg_get_str(resp, "next_page_token") : NULL;
        if (rc == BREV_OK && next && *next && token && strcmp(next, token) == 0)
            rc = bn_err_set(BREV_EPROTOCOL, "%s/%s returned the same page token twice", svc->name, method);
        if (rc == BREV_OK) {
            free(token);
            token = (next && *next) ? bn_strdup(next) : NULL;
            if (next && *next && !token)
                rc = BREV_ENOMEM;
        }
        protobuf_c_message_free_unpacked(resp, NULL);
        if (rc == BREV_OK && !token)
            break;
    }
    free(token);
    bn_msg_release(req);
    if (rc < 0)
        bn_msg_list_free(out);
    return rc;
}

int bn_res_list(bn_rpc *rpc, const bn_kind *kind, const char *parent, bn_msg_list *out)
{
    int rc = bn_list_pages(rpc, kind->svc, kind->list_method, kind->list_parent_field, parent, out);

    if (rc < 0)
        return bn_err_prefix("listing %ss of %s", kind->name, parent);
    return rc;
}

/* Builds the method's request with one or two string fields and calls it. */
static int call_with(bn_rpc *rpc, const bn_kind *kind, const char *method, const char *f1, const char *v1,
                     const char *f2, const char *v2, ProtobufCMessage **out)
{
    const ProtobufCMethodDescriptor *m = method_of(kind->svc, method);
    ProtobufCMessage *req;
    int rc;

    *out = NULL;
    if (!m)
        return BREV_EINTERNAL;
    req = bn_msg_new(m->input);
    if (!req)
        return BREV_ENOMEM;
    rc = bn_msg_set_str(req, f1, v1);
    if (rc == BREV_OK && f2)
        rc = bn_msg_set_str(req, f2, v2);
    if (rc == BREV_OK)
        rc = bn_rpc_call(rpc, kind->svc, method, req, out, NULL);
    bn_msg_release(req);
    return rc;
}

int bn_res_get(bn_rpc *rpc, const bn_kind *kind, const char *id, ProtobufCMessage **out)
{
    if (!id || !*id)
        return bn_err_set(BREV_EINVAL, "%s id must not be empty", kind->name);
    if (call_with(rpc, kind, "Get", "id", id, NULL, NULL, out) < 0)
        return bn_err_prefix("getting %s %s", kind->name, id);
    return BREV_OK;
}

int bn_res_get_by_name(bn_rpc *rpc, const bn_kind *kind, const char *parent, const char *name,
                       ProtobufCMessage **out)
{
    if (!name || !*name)
        return bn_err_set(BREV_EINVAL, "%s name must not be empty", kind->name);
    if (call_with(rpc, kind, "GetByName", "parent_id", parent, "name", name, out) < 0)
        return bn_err_prefix("getting %s named '%s'", kind->name, name);
    return BREV_OK;
}

int bn_res_create(bn_rpc *rpc, const bn_kind *kind, const ProtobufCMessage *req, const bn_wait *wait, char **id)
{
    char *rid = NULL;
    int rc = bn_op_call(rpc, kind->svc, "Create", req, NULL, wait, &rid);

    if (rc < 0) {
        free(rid);
        return bn_err_prefix("creating %s", kind->name);
    }
    if (!rid || !*rid) {
        free(rid);
        return bn_err_set(BREV_EPROTOCOL, "creating %s: the operation names no resource id", kind->name);
    }
    if (id)
        *id = rid;
    else
        free(rid);
    return BREV_OK;
}

int bn_res_action(bn_rpc *rpc, const bn_kind *kind, const char *method, const char *id, const bn_wait *wait)
{
    return bn_res_action_within(rpc, kind, method, id, wait, 0);
}

int bn_res_action_within(bn_rpc *rpc, const bn_kind *kind, const char *method, const char *id, const bn_wait *wait,
                         unsigned call_timeout_ms)
{
    const ProtobufCMethodDescriptor *m = method_of(kind->svc, method);
    bn_call_options call = {0};
    ProtobufCMessage *req;
    int rc;

    if (!m)
        return BREV_EINTERNAL;
    if (!id || !*id)
        return bn_err_set(BREV_EINVAL, "%s id must not be empty", kind->name);
    req = bn_msg_new(m->input);
    if (!req)
        return BREV_ENOMEM;
    call.timeout_ms = call_timeout_ms;
    rc = bn_msg_set_str(req, "id", id);
    if (rc == BREV_OK)
        rc = bn_op_call(rpc, kind->svc, method, req, &call, wait, NULL);
    bn_msg_release(req);
    if (rc < 0)
        return bn_err_prefix("%s %s %s", method, kind->name, id);
    return BREV_OK;
}

int bn_res_delete(bn_rpc *rpc, const bn_kind *kind, const char *id, const bn_wait *wait)
{
    return bn_res_delete_within(rpc, kind, id, wait, 0);
}

int bn_res_delete_within(bn_rpc *rpc, const bn_kind *kind, const char *id, const bn_wait *wait,
                         unsigned call_timeout_ms)
{
    int rc = bn_res_action_within(rpc, kind, "Delete", id, wait, call_timeout_ms);

    if (rc == BREV_ENOTFOUND) {
        brev_error_clear();
        return BREV_OK;
    }
    return rc;
}
