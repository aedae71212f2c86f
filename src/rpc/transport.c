/* The only file that calls gRPC core: TLS channels per address, and one
 * blocking unary attempt as a single batch of six ops. */
#include "rpc/rpc_internal.h"

#include <grpc/byte_buffer.h>
#include <grpc/byte_buffer_reader.h>
#include <grpc/grpc.h>
#include <grpc/grpc_security.h>
#include <grpc/slice.h>
#include <grpc/support/alloc.h>
#include <grpc/support/time.h>
#include <openssl/crypto.h>
#include <stdlib.h>
#include <string.h>

#include <brev/common.h>
#include "util/error.h"

#define USER_AGENT "libbrev-nebius/" BREV_VERSION_STRING
/* Reconnect quickly after an idle connection died, but never hammer a dead
 * server. GRPC_ARG_MIN_RECONNECT_BACKOFF_MS is left at its default: gRPC core
 * also uses it as the minimum connect (TCP + TLS handshake) timeout, 20 s. */
#define RECONNECT_INITIAL_MS 100
#define RECONNECT_MAX_MS 5000
#define STATUS_DETAILS_KEY "grpc-status-details-bin"
#define REQUEST_ID_KEY "x-request-id"

typedef struct channel_entry {
    char *address;
    grpc_channel *channel;
    struct channel_entry *next;
} channel_entry;

struct bn_channels {
    pthread_mutex_t lock;
    channel_entry *head;
};

void bn_transport_init(void)
{
    grpc_init();
}

void bn_transport_shutdown(void)
{
    grpc_shutdown();
}

int bn_channels_new(struct bn_channels **out)
{
    struct bn_channels *c = calloc(1, sizeof *c);
    if (!c)
        return bn_err_set(BREV_ENOMEM, "out of memory");
    pthread_mutex_init(&c->lock, NULL);
    *out = c;
    return 0;
}

void bn_channels_free(struct bn_channels *channels)
{
    channel_entry *e, *next;

    if (!channels)
        return;
    for (e = channels->head; e; e = next) {
        next = e->next;
        grpc_channel_destroy(e->channel);
        free(e->address);
        free(e);
    }
    pthread_mutex_destroy(&channels->lock);
    free(channels);
}

static grpc_arg int_arg(const char *key, int value)
{
    grpc_arg a;
    a.type = GRPC_ARG_INTEGER;
    a.key = (char *)key;
    a.value.integer = value;
    return a;
}

static grpc_arg string_arg(const char *key, const char *value)
{
    grpc_arg a;
    a.type = GRPC_ARG_STRING;
    a.key = (char *)key;
    a.value.string = (char *)value;
    return a;
}

static grpc_channel *create_channel(const bn_rpc *rpc, const char *address)
{
    grpc_arg args[10];
    grpc_channel_args channel_args;
    grpc_channel_credentials *creds;
    grpc_channel *ch;
    bn_keepalive ka = bn_rpc_keepalive(rpc);
    size_t n = 0;

    /* TLS only: there is no plaintext path. NULL roots = the system's. The
     * minimum protocol is TLS 1.2, gRPC 1.51's default (no setter exists). */
    creds = grpc_ssl_credentials_create_ex(rpc->ca_pem, NULL, NULL, NULL);
    if (!creds)
        return NULL;
    args[n++] = int_arg(GRPC_ARG_KEEPALIVE_TIME_MS, (int)ka.time_ms);
    args[n++] = int_arg(GRPC_ARG_KEEPALIVE_TIMEOUT_MS, (int)ka.timeout_ms);
    args[n++] = int_arg(GRPC_ARG_KEEPALIVE_PERMIT_WITHOUT_CALLS, ka.permit_without_calls);
    args[n++] = int_arg(GRPC_ARG_INITIAL_RECONNECT_BACKOFF_MS, RECONNECT_INITIAL_MS);
    args[n++] = int_arg(GRPC_ARG_MAX_RECONNECT_BACKOFF_MS, RECONNECT_MAX_MS);
    /* Identity only (servers then never compress answers): a compressed
     * answer is inflated by gRPC's reader into a buffer we cannot wipe. */
    args[n++] = int_arg(GRPC_COMPRESSION_CHANNEL_ENABLED_ALGORITHMS_BITSET, 1 << GRPC_COMPRESS_NONE);
    /* Our own retry loop counts attempts; gRPC's would hide them. */
    args[n++] = int_arg(GRPC_ARG_ENABLE_RETRIES, 0);
    args[n++] = string_arg(GRPC_ARG_PRIMARY_USER_AGENT_STRING, USER_AGENT);
    if (rpc->tls_target_name)
        args[n++] = string_arg(GRPC_SSL_TARGET_NAME_OVERRIDE_ARG, rpc->tls_target_name);
    channel_args.num_args = n;
    channel_args.args = args;
    ch = grpc_channel_create(address, creds, &channel_args);
    grpc_channel_credentials_release(creds);
    return ch;
}

static grpc_channel *get_channel(bn_rpc *rpc, const char *address)
{
    struct bn_channels *c = rpc->channels;
    channel_entry *e;
    grpc_channel *ch = NULL;

    pthread_mutex_lock(&c->lock);
    for (e = c->head; e; e = e->next) {
        if (strcmp(e->address, address) == 0) {
            ch = e->channel;
            break;
        }
    }
    if (!ch) {
        e = calloc(1, sizeof *e);
        if (e && (e->address = strdup(address)) != NULL && (e->channel = create_channel(rpc, address)) != NULL) {
            e->next = c->head;
            c->head = e;
            ch = e->channel;
            bn_log(rpc->logger, BREV_LOG_DEBUG, "opened TLS channel to %s", address);
        } else if (e) {
            free(e->address);
            free(e);
        }
    }
    pthread_mutex_unlock(&c->lock);
    return ch;
}

void bn_attempt_clear(bn_attempt *a)
{
    free(a->message);
    free(a->request_id);
    if (a->details)
        protobuf_c_message_free_unpacked(&a->details->base, NULL);
    if (a->response)
        protobuf_c_message_free_unpacked(a->response, NULL);
    memset(a, 0, sizeof *a);
}

/* Requests carry the JWT (Exchange) and the bearer token (metadata), answers
 * the IAM token: every buffer we hand gRPC or get back is wiped before it is
 * freed. */
static void wipe_slice(grpc_slice *s)
{
    OPENSSL_cleanse(GRPC_SLICE_START_PTR(*s), GRPC_SLICE_LENGTH(*s));
}

static void free_wiped(void *p, size_t len)
{
    OPENSSL_cleanse(p, len);
    free(p);
}

/* A slice over a malloc'd copy of len bytes that is wiped when gRPC drops its
 * last reference, whenever that is: the transport takes its own refs, so
 * wiping when we unref could race a write still reading the bytes. Empty on
 * out of memory (*ok = 0). */
static grpc_slice wiped_slice(const void *data, size_t len, int *ok)
{
    void *copy = malloc(len ? len : 1);

    if (!copy) {
        *ok = 0;
        return grpc_empty_slice();
    }
    if (data && len)
        memcpy(copy, data, len);
    return grpc_slice_new_with_len(copy, len, free_wiped);
}

/* The received bytes, before gRPC frees them (always a raw buffer; the
 * channel allows no compression, see create_channel). */
static void wipe_byte_buffer(grpc_byte_buffer *bb)
{
    if (bb->type != GRPC_BB_RAW)
        return;
    for (size_t i = 0; i < bb->data.raw.slice_buffer.count; i++)
        wipe_slice(&bb->data.raw.slice_buffer.slices[i]);
}

static char *slice_strdup(grpc_slice s)
{
    return strndup((const char *)GRPC_SLICE_START_PTR(s), GRPC_SLICE_LENGTH(s));
}

/* Reads grpc-status-details-bin and x-request-id from one metadata array. */
static void read_metadata(const grpc_metadata_array *md, bn_attempt *out)
{
    for (size_t i = 0; i < md->count; i++) {
        const grpc_metadata *m = &md->metadata[i];
        if (!out->details && grpc_slice_str_cmp(m->key, STATUS_DETAILS_KEY) == 0) {
            /* Undecodable details are ignored: the status code still stands. */
            out->details = google__rpc__status__unpack(NULL, GRPC_SLICE_LENGTH(m->value),
                                                       GRPC_SLICE_START_PTR(m->value));
        } else if (!out->request_id && grpc_slice_str_cmp(m->key, REQUEST_ID_KEY) == 0) {
            out->request_id = slice_strdup(m->value);
        }
    }
}

static ProtobufCMessage *unpack_response(grpc_byte_buffer *bb, const ProtobufCMessageDescriptor *desc)
{
    grpc_byte_buffer_reader reader;
    grpc_slice all;
    ProtobufCMessage *msg;

    if (!grpc_byte_buffer_reader_init(&reader, bb))
        return NULL;
    all = grpc_byte_buffer_reader_readall(&reader);
    grpc_byte_buffer_reader_destroy(&reader);
    msg = protobuf_c_message_unpack(desc, NULL, GRPC_SLICE_LENGTH(all), GRPC_SLICE_START_PTR(all));
    wipe_slice(&all);
    grpc_slice_unref(all);
    return msg;
}

static void destroy_cq(grpc_completion_queue *cq)
{
    grpc_event ev;
    grpc_completion_queue_shutdown(cq);
    do {
        ev = grpc_completion_queue_pluck(cq, NULL, gpr_inf_future(GPR_CLOCK_REALTIME), NULL);
    } while (ev.type != GRPC_QUEUE_SHUTDOWN);
    grpc_completion_queue_destroy(cq);
}

int bn_transport_attempt(bn_rpc *rpc, const char *address, const char *path, const bn_md *md, size_t n_md,
                         const ProtobufCMessage *req, const ProtobufCMessageDescriptor *resp_desc,
                         unsigned timeout_ms, bn_attempt *out)
{
    grpc_channel *ch;
    grpc_completion_queue *cq;
    grpc_call *call;
    grpc_slice method, req_slice, status_details = grpc_empty_slice();
    grpc_byte_buffer *req_bb, *resp_bb = NULL;
    grpc_metadata send_md[8];
    grpc_metadata_array initial_md, trailing_md;
    grpc_status_code status = GRPC_STATUS_UNKNOWN;
    const char *error_string = NULL;
    grpc_op ops[6];
    grpc_call_error cerr;
    gpr_timespec deadline;
    size_t packed;
    int rc = 0, ok = 1;
    void *tag = &ops[0];
    void *packed_buf;

    memset(out, 0, sizeof *out);
    if (n_md > sizeof send_md / sizeof send_md[0])
        return bn_err_set(BREV_ERROR, "too many metadata entries (%zu)", n_md);
    for (size_t i = 0; i < n_md; i++) {
        grpc_slice k = grpc_slice_from_static_string(md[i].key);
        grpc_slice v = grpc_slice_from_static_string(md[i].value);
        if (!grpc_header_key_is_legal(k) || !grpc_header_nonbin_value_is_legal(v))
            return bn_err_set(BREV_EINVAL, "metadata \"%s\" has characters gRPC cannot send", md[i].key);
    }
    ch = get_channel(rpc, address);
    if (!ch)
        return bn_err_set(BREV_ENOMEM, "cannot create a TLS channel to %s", address);

    cq = grpc_completion_queue_create_for_pluck(NULL);
    method = grpc_slice_from_copied_string(path);
    deadline = gpr_time_add(gpr_now(GPR_CLOCK_MONOTONIC), gpr_time_from_millis((int64_t)timeout_ms, GPR_TIMESPAN));
    call = grpc_channel_create_call(ch, NULL, GRPC_PROPAGATE_DEFAULTS, cq, method, NULL, deadline, NULL);
    grpc_slice_unref(method);
    if (!call) {
        destroy_cq(cq);
        return bn_err_set(BREV_ENOMEM, "cannot create a call to %s", path);
    }

    /* Packed straight into the buffer gRPC sends (no second copy), which
     * wipes itself when gRPC lets go of it. */
    packed = protobuf_c_message_get_packed_size(req);
    packed_buf = malloc(packed ? packed : 1);
    if (!packed_buf) {
        grpc_call_unref(call);
        destroy_cq(cq);
        return bn_err_set(BREV_ENOMEM, "out of memory");
    }
    protobuf_c_message_pack(req, packed_buf);
    req_slice = grpc_slice_new_with_len(packed_buf, packed, free_wiped);
    req_bb = grpc_raw_byte_buffer_create(&req_slice, 1);
    grpc_slice_unref(req_slice);

    memset(send_md, 0, sizeof send_md);
    for (size_t i = 0; i < n_md; i++) {
        send_md[i].key = grpc_slice_from_copied_string(md[i].key);
        send_md[i].value = wiped_slice(md[i].value, strlen(md[i].value), &ok);
    }
    grpc_metadata_array_init(&initial_md);
    grpc_metadata_array_init(&trailing_md);

    memset(ops, 0, sizeof ops);
    ops[0].op = GRPC_OP_SEND_INITIAL_METADATA;
    ops[0].data.send_initial_metadata.count = n_md;
    ops[0].data.send_initial_metadata.metadata = send_md;
    /* No WAIT_FOR_READY: a dead channel fails fast and our retry reconnects. */
    ops[1].op = GRPC_OP_SEND_MESSAGE;
    ops[1].data.send_message.send_message = req_bb;
    ops[2].op = GRPC_OP_SEND_CLOSE_FROM_CLIENT;
    ops[3].op = GRPC_OP_RECV_INITIAL_METADATA;
    ops[3].data.recv_initial_metadata.recv_initial_metadata = &initial_md;
    ops[4].op = GRPC_OP_RECV_MESSAGE;
    ops[4].data.recv_message.recv_message = &resp_bb;
    ops[5].op = GRPC_OP_RECV_STATUS_ON_CLIENT;
    ops[5].data.recv_status_on_client.trailing_metadata = &trailing_md;
    ops[5].data.recv_status_on_client.status = &status;
    ops[5].data.recv_status_on_client.status_details = &status_details;
    ops[5].data.recv_status_on_client.error_string = &error_string;

    if (!ok) {
        rc = bn_err_set(BREV_ENOMEM, "out of memory");
    } else if ((cerr = grpc_call_start_batch(call, ops, 6, tag, NULL)) != GRPC_CALL_OK) {
        /* Nothing was queued: no completion to wait for. */
        rc = bn_err_set(BREV_ERROR, "%s: gRPC refused the call: %s", path, grpc_call_error_to_string(cerr));
    } else {
        /* RECV_STATUS always completes; the call's deadline bounds the wait. */
        grpc_event ev = grpc_completion_queue_pluck(cq, tag, gpr_inf_future(GPR_CLOCK_REALTIME), NULL);
        if (ev.type != GRPC_OP_COMPLETE) {
            rc = bn_err_set(BREV_ERROR, "%s: completion queue ended without the call's result", path);
        } else {
            out->grpc_code = (int)status;
            out->message = slice_strdup(status_details);
            read_metadata(&initial_md, out);
            read_metadata(&trailing_md, out);
            if (!out->message) {
                rc = bn_err_set(BREV_ENOMEM, "out of memory");
            } else if (status == GRPC_STATUS_OK) {
                if (!resp_bb)
                    rc = bn_err_set(BREV_EPROTOCOL, "%s: the server answered OK without a message", path);
                else if (!(out->response = unpack_response(resp_bb, resp_desc)))
                    rc = bn_err_set(BREV_EPROTOCOL, "%s: the answer does not decode as %s", path, resp_desc->name);
            }
        }
    }

    grpc_byte_buffer_destroy(req_bb);
    if (resp_bb) {
        wipe_byte_buffer(resp_bb);
        grpc_byte_buffer_destroy(resp_bb);
    }
    grpc_slice_unref(status_details);
    gpr_free((void *)error_string);
    grpc_metadata_array_destroy(&initial_md);
    grpc_metadata_array_destroy(&trailing_md);
    grpc_call_unref(call);
    for (size_t i = 0; i < n_md; i++) {
        grpc_slice_unref(send_md[i].key);
        grpc_slice_unref(send_md[i].value);
    }
    destroy_cq(cq);
    if (rc)
        bn_attempt_clear(out);
    return rc;
}
