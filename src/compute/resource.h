/* Generic calls over any Nebius resource kind (compute and VPC alike):
 * list every page, get, get by name, create, and id-only actions (Delete,
 * Start, Stop) with their operation waited for. One table row per kind says
 * which service serves it; the request and response types come from the
 * service's protoc-c method descriptors, and fields are located by name. */
#ifndef BN_COMPUTE_RESOURCE_H
#define BN_COMPUTE_RESOURCE_H

#include <protobuf-c/protobuf-c.h>

#include "ops/ops.h"
#include "rpc/rpc.h"

/* Items asked for per List page (the Brev provider's page size). */
#define BN_LIST_PAGE_SIZE 100

typedef struct bn_kind {
    const char *name;                      /* for messages: "instance", "boot disk", ... */
    const ProtobufCServiceDescriptor *svc; /* serves Get/GetByName/List/Create/Delete */
    const char *list_method;               /* "List" */
    const char *list_parent_field;         /* "parent_id" */
} bn_kind;

/* compute.v1 */
extern const bn_kind bn_kind_instance;
extern const bn_kind bn_kind_disk;
extern const bn_kind bn_kind_image;
extern const bn_kind bn_kind_platform;
/* vpc.v1 (src/vpc/kinds.c) */
extern const bn_kind bn_kind_network;
extern const bn_kind bn_kind_subnet;
extern const bn_kind bn_kind_allocation;
extern const bn_kind bn_kind_security_group;

/* Messages collected from every page; each item owned by the list. */
typedef struct bn_msg_list {
    size_t count;
    ProtobufCMessage **items;
} bn_msg_list;

void bn_msg_list_free(bn_msg_list *list);

/* Calls svc/method page after page (page_size BN_LIST_PAGE_SIZE, page_token
 * from next_page_token) with parent_field = parent, gathering every "items"
 * entry into *out. */
int bn_list_pages(bn_rpc *rpc, const ProtobufCServiceDescriptor *svc, const char *method,
                  const char *parent_field, const char *parent, bn_msg_list *out);

/* Every resource of the kind under parent (a project). */
int bn_res_list(bn_rpc *rpc, const bn_kind *kind, const char *parent, bn_msg_list *out);

/* Get{id} / GetByName{parent_id, name}. Free *out with protobuf_c_message_free_unpacked. */
int bn_res_get(bn_rpc *rpc, const bn_kind *kind, const char *id, ProtobufCMessage **out);
int bn_res_get_by_name(bn_rpc *rpc, const bn_kind *kind, const char *parent, const char *name,
                       ProtobufCMessage **out);

/* Create(req) and waits for the operation; *id (may be NULL) gets the new
 * resource id. The transport keeps one idempotency key across retries. */
int bn_res_create(bn_rpc *rpc, const bn_kind *kind, const ProtobufCMessage *req, const bn_wait *wait, char **id);

/* An id-only mutating method ("Delete", "Start", "Stop") and its operation. */
int bn_res_action(bn_rpc *rpc, const bn_kind *kind, const char *method, const char *id, const bn_wait *wait);

/* Delete + wait; a resource already gone counts as deleted (BREV_OK). */
int bn_res_delete(bn_rpc *rpc, const bn_kind *kind, const char *id, const bn_wait *wait);

/* The same with the call itself (all its attempts) bounded by call_timeout_ms
 * too (0 = the transport's call timeout), not only the operation's wait: what
 * a caller with one overall deadline needs, since a slow answer to the call
 * would otherwise come on top of the wait. */
int bn_res_action_within(bn_rpc *rpc, const bn_kind *kind, const char *method, const char *id, const bn_wait *wait,
                         unsigned call_timeout_ms);
int bn_res_delete_within(bn_rpc *rpc, const bn_kind *kind, const char *id, const bn_wait *wait,
                         unsigned call_timeout_ms);

#endif
