/* Polling an instance's state, fetching it with its boot disk, finding it by
 * ref_id, and deleting it until it is gone. */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cloud/instance_internal.h"
#include "compute/labels.h"
#include "util/error.h"
#include "util/str.h"

static double now_s(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void sleep_ms(double ms)
{
    struct timespec ts;

    if (ms <= 0)
        return;
    ts.tv_sec = (time_t)(ms / 1000);
    ts.tv_nsec = (long)((ms - (double)ts.tv_sec * 1000) * 1e6);
    while (nanosleep(&ts, &ts) != 0) {
    }
}

/* Errors worth another poll: the transport already retried, but a state wait
 * lasts minutes and should outlive a short outage. */
static int transient(int rc)
{
    return rc == BREV_EUNAVAILABLE || rc == BREV_ETIMEOUT || rc == BREV_EINTERNAL;
}

int bn_instance_poll(brev_client *client, const char *id, const char *what, unsigned timeout_ms, int report,
                     bn_instance_judge judge, void *ctx, Nebius__Compute__V1__Instance **last)
{
    unsigned poll_ms = client->poll_interval_ms ? client->poll_interval_ms : 1000;
    double start = now_s();
    double deadline = start + timeout_ms / 1000.0;
    Nebius__Compute__V1__Instance *seen = NULL;
    const char *state = "UNKNOWN";
    int rc;

    if (last)
        *last = NULL;
    for (;;) {
        ProtobufCMessage *msg = NULL;
        double left;

        rc = bn_res_get(client->rpc, &bn_kind_instance, id, &msg);
        if (rc == BREV_OK) {
            if (seen)
                protobuf_c_message_free_unpacked(&seen->base, NULL);
            seen = (Nebius__Compute__V1__Instance *)msg;
            state = bn_nebius_state_name(seen->status ? (int)seen->status->state : 0);
            rc = judge(seen, ctx);
        } else if (rc == BREV_ENOTFOUND) {
            brev_error_clear();
            if (seen)
                protobuf_c_message_free_unpacked(&seen->base, NULL);
            seen = NULL;
            state = "GONE";
            rc = judge(NULL, ctx);
        } else if (transient(rc)) {
            bn_log(&client->logger, BREV_LOG_DEBUG, "%s: polling %s: %s (will retry)", what, id,
                   brev_error_message());
            rc = 0;
        }
        if (rc != 0)
            break;
        if (report && client->progress) {
            brev_progress p = {what, id, state, now_s() - start};
            if (client->progress(&p, client->progress_payload)) {
                rc = bn_err_set(BREV_ECANCELLED, "%s: cancelled by the caller while instance %s was %s", what, id,
                                state);
                break;
            }
        }
        left = (deadline - now_s()) * 1000.0;
        if (left <= 0) {
            rc = bn_err_set(BREV_ETIMEOUT, "%s: timed out after %u ms waiting for instance %s (last state %s)",
                            what, timeout_ms, id, state);
            break;
        }
        sleep_ms(left < poll_ms ? left : poll_ms);
    }
    if (rc > 0)
        rc = BREV_OK;
    if (last)
        *last = seen;
    else if (seen)
        protobuf_c_message_free_unpacked(&seen->base, NULL);
    return rc;
}

int bn_instance_convert_fetched(brev_client *client, const Nebius__Compute__V1__Instance *inst, brev_instance **out)
{
    const char *disk_id = bn_instance_boot_disk_id(inst);
    ProtobufCMessage *disk = NULL;
    int rc;

    if (*disk_id && bn_res_get(client->rpc, &bn_kind_disk, disk_id, &disk) < 0) {
        /* The instance is still worth returning; size and encryption stay unknown. */
        bn_log(&client->logger, BREV_LOG_DEBUG, "boot disk %s of %s not read: %s", disk_id,
               inst->metadata ? inst->metadata->id : "?", brev_error_message());
        brev_error_clear();
        disk = NULL;
    }
    rc = bn_instance_convert(inst, (const Nebius__Compute__V1__Disk *)disk, brev_client_region(client), out);
    if (disk)
        protobuf_c_message_free_unpacked(disk, NULL);
    return rc;
}

int bn_instance_fetch(brev_client *client, const char *id, brev_instance **out)
{
    ProtobufCMessage *msg = NULL;
    int rc = bn_res_get(client->rpc, &bn_kind_instance, id, &msg);

    *out = NULL;
    if (rc < 0)
        return rc;
    rc = bn_instance_convert_fetched(client, (const Nebius__Compute__V1__Instance *)msg, out);
    protobuf_c_message_free_unpacked(msg, NULL);
    return rc;
}

int bn_instance_find_by_ref(brev_client *client, const char *project, const char *ref_id,
                            Nebius__Compute__V1__Instance **out)
{
    bn_msg_list all = {0};
    int rc = bn_res_list(client->rpc, &bn_kind_instance, project, &all);

    *out = NULL;
    if (rc < 0)
        return rc;
    for (size_t i = 0; i < all.count; i++) {
        Nebius__Compute__V1__Instance *inst = (Nebius__Compute__V1__Instance *)all.items[i];
        const char *ref = bn_meta_label(inst->metadata, BN_LABEL_REF_ID);
        const char *managed = bn_meta_label(inst->metadata, BN_LABEL_MANAGED);

        if (ref && strcmp(ref, ref_id) == 0 && managed && strcmp(managed, "true") == 0) {
            *out = inst;
            all.items[i] = NULL; /* taken */
            break;
        }
    }
    for (size_t i = 0; i < all.count; i++)
        if (all.items[i])
            protobuf_c_message_free_unpacked(all.items[i], NULL);
    free(all.items);
    return BREV_OK;
}

static int judge_gone(const Nebius__Compute__V1__Instance *inst, void *ctx)
{
    (void)ctx;
    return inst == NULL;
}

int bn_instance_delete_and_wait(brev_client *client, const char *id, unsigned timeout_ms, int report)
{
    double start = now_s();
    bn_wait wait = bn_client_wait(client, "delete instance", timeout_ms);
    double left;
    int rc;

    if (!report)
        wait.progress = NULL;
    /* One budget for the call, its operation and the wait until it is gone. */
    rc = bn_res_action_within(client->rpc, &bn_kind_instance, "Delete", id, &wait,
                              bn_client_call_ms(client, timeout_ms));
    if (rc == BREV_ENOTFOUND) {
        brev_error_clear();
        return BREV_OK;
    }
    if (rc < 0)
        return rc;
    left = timeout_ms - (now_s() - start) * 1000.0;
    if (left < 1)
        return bn_err_set(BREV_ETIMEOUT, "delete instance: %s not gone within %u ms (its deletion was accepted)", id,
                          timeout_ms);
    return bn_instance_poll(client, id, "delete instance", (unsigned)left, report, judge_gone, NULL, NULL);
}
