/* Instance get / stop / start / reboot / terminate / wait. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cloud/instance_internal.h"
#include "compute/labels.h"
#include "policy/policy.h"
#include "util/error.h"
#include "util/str.h"

#define MINUTES(n) ((unsigned)(n) * 60u * 1000u)
#define STOP_DEFAULT_MS MINUTES(10)
#define START_DEFAULT_MS MINUTES(20)
#define TERMINATE_DEFAULT_MS MINUTES(20)
#define WAIT_DEFAULT_MS MINUTES(20)

static int check_args(brev_client *client, const char *id)
{
    if (!client)
        return bn_err_set(BREV_EINVAL, "client must not be NULL");
    if (!id || !*id)
        return bn_err_set(BREV_EINVAL, "instance id must not be empty");
    return BREV_OK;
}

static int state_of(const Nebius__Compute__V1__Instance *inst)
{
    return inst && inst->status ? (int)inst->status->state : 0;
}

static double now_s(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* What is left of a deadline, in ms; 0 once it has passed. */
static unsigned left_ms(double deadline)
{
    double left = (deadline - now_s()) * 1000.0;
    return left < 1 ? 0 : (unsigned)left;
}

int brev_instance_get(brev_client *client, const char *instance_id, brev_instance **out)
{
    int rc;

    if (out)
        *out = NULL;
    rc = check_args(client, instance_id);
    if (rc < 0)
        return rc;
    if (!out)
        return bn_err_set(BREV_EINVAL, "out must not be NULL");
    return bn_instance_fetch(client, instance_id, out);
}

int brev_instance_get_by_name(brev_client *client, const char *name, brev_instance **out)
{
    ProtobufCMessage *msg = NULL;
    const char *project;
    int rc;

    if (!client || !out)
        return bn_err_set(BREV_EINVAL, "client and out must not be NULL");
    *out = NULL;
    if (!name || !*name)
        return bn_err_set(BREV_EINVAL, "instance name must not be empty");
    rc = bn_client_project(client, &project);
    if (rc < 0)
        return rc;
    rc = bn_res_get_by_name(client->rpc, &bn_kind_instance, project, name, &msg);
    if (rc < 0)
        return rc;
    rc = bn_instance_convert_fetched(client, (const Nebius__Compute__V1__Instance *)msg, out);
    protobuf_c_message_free_unpacked(msg, NULL);
    return rc;
}

/* --- waiting for a lifecycle status ------------------------------------- */

typedef struct target {
    brev_lifecycle want;
} target;

static int judge_target(const Nebius__Compute__V1__Instance *inst, void *ctx)
{
    const target *t = ctx;
    brev_lifecycle now;

    if (!inst) {
        if (t->want == BREV_LIFECYCLE_TERMINATED)
            return 1;
        return bn_err_set(BREV_ENOTFOUND, "the instance disappeared while waiting for it to be %s",
                          brev_lifecycle_name(t->want));
    }
    now = bn_lifecycle_of_state(state_of(inst));
    if (now == t->want)
        return 1;
    if (now == BREV_LIFECYCLE_FAILED)
        return bn_err_set(BREV_EPRECONDITION, "instance %s failed (state ERROR) while waiting for it to be %s",
                          inst->metadata ? inst->metadata->id : "?", brev_lifecycle_name(t->want));
    return 0;
}

int brev_instance_wait(brev_client *client, const char *instance_id, brev_lifecycle status, unsigned timeout_ms,
                       brev_instance **out)
{
    Nebius__Compute__V1__Instance *last = NULL;
    target t = {status};
    char what[64];
    int rc = check_args(client, instance_id);

    if (out)
        *out = NULL;
    if (rc < 0)
        return rc;
    if (status == BREV_LIFECYCLE_UNKNOWN || (unsigned)status > BREV_LIFECYCLE_FAILED)
        return bn_err_set(BREV_EINVAL, "cannot wait for lifecycle status %d", (int)status);
    snprintf(what, sizeof what, "wait for %s", brev_lifecycle_name(status));
    rc = bn_instance_poll(client, instance_id, what, timeout_ms ? timeout_ms : WAIT_DEFAULT_MS, 1, judge_target, &t,
                          &last);
    if (out && last) {
        brev_error saved;
        bn_err_save(&saved);
        if (bn_instance_convert_fetched(client, last, out) < 0)
            *out = NULL;
        bn_err_restore(&saved);
    }
    if (last)
        protobuf_c_message_free_unpacked(&last->base, NULL);
    return rc;
}

/* --- stop / start / reboot ---------------------------------------------- */

/* Judged only after Start's operation finished OK, so the cloud has accepted
 * the start: from then on STOPPED (or STOPPING on the way there) means it took
 * the start back for want of capacity, exactly as after a create
 * (judge_running in instance_create.c). Waiting for the instance to "move"
 * first would miss the fallback when the first look already finds it STOPPED,
 * and then poll until the timeout. */
static int judge_started(const Nebius__Compute__V1__Instance *inst, void *ctx)
{
    (void)ctx;
    if (!inst)
        return bn_err_set(BREV_ENOTFOUND, "the instance disappeared while starting");
    switch (bn_lifecycle_of_state(state_of(inst))) {
    case BREV_LIFECYCLE_RUNNING:
        return 1;
    case BREV_LIFECYCLE_FAILED:
        return bn_err_set(BREV_EPRECONDITION, "instance %s went to ERROR while starting", inst->metadata->id);
    case BREV_LIFECYCLE_STOPPED:
    case BREV_LIFECYCLE_STOPPING:
        return bn_err_set(BREV_ECAPACITY, "insufficient capacity: instance %s fell back to STOPPED after start",
                          inst->metadata->id);
    default:
        return 0;
    }
}

/* Stop or Start, then the wait for the state, within one deadline: the call,
 * its operation and the wait share timeout_ms. */
static int act_and_wait(brev_client *client, const char *id, const char *method, const char *what,
                        unsigned budget, bn_instance_judge judge, void *ctx)
{
    double deadline = now_s() + budget / 1000.0;
    bn_wait wait = bn_client_wait(client, what, budget);
    unsigned ms;
    int rc = bn_res_action_within(client->rpc, &bn_kind_instance, method, id, &wait,
                                  bn_client_call_ms(client, budget));

    if (rc < 0)
        return rc;
    if ((ms = left_ms(deadline)) == 0)
        return bn_err_set(BREV_ETIMEOUT, "%s: %s accepted, but %u ms passed before its state could be checked", what,
                          method, budget);
    return bn_instance_poll(client, id, what, ms, 1, judge, ctx, NULL);
}

int brev_instance_stop(brev_client *client, const char *instance_id, unsigned timeout_ms)
{
    target t = {BREV_LIFECYCLE_STOPPED};
    int rc = check_args(client, instance_id);

    if (rc < 0)
        return rc;
    rc = act_and_wait(client, instance_id, "Stop", "stop instance", timeout_ms ? timeout_ms : STOP_DEFAULT_MS,
                      judge_target, &t);
    if (rc < 0)
        return bn_err_prefix("stopping instance %s", instance_id);
    return BREV_OK;
}

int brev_instance_start(brev_client *client, const char *instance_id, unsigned timeout_ms)
{
    int rc = check_args(client, instance_id);

    if (rc < 0)
        return rc;
    rc = act_and_wait(client, instance_id, "Start", "start instance", timeout_ms ? timeout_ms : START_DEFAULT_MS,
                      judge_started, NULL);
    if (rc < 0)
        return bn_err_prefix("starting instance %s", instance_id);
    return BREV_OK;
}

/* Compute v1 has no reboot RPC: a reboot is a stop, then a start. A given
 * timeout covers both; 0 means each its own default. */
int brev_instance_reboot(brev_client *client, const char *instance_id, unsigned timeout_ms)
{
    int rc = brev_instance_stop(client, instance_id, timeout_ms ? timeout_ms / 2 : 0);

    if (rc == BREV_OK)
        rc = brev_instance_start(client, instance_id, timeout_ms ? timeout_ms - timeout_ms / 2 : 0);
    if (rc < 0)
        return bn_err_prefix("rebooting (stop + start) instance %s", instance_id);
    return BREV_OK;
}

/* --- terminate ----------------------------------------------------------- */

/* The library makes no VPC allocation of its own: the public address is an
 * ephemeral one requested on the interface (public_ip_address {}), which the
 * cloud releases with the interface. What is left to delete after the
 * instance is the boot disk (an ExistingDisk outlives its instance) and, for
 * the cluster's last instance, the cluster's security group. */

static int is_true(const char *v)
{
    return v && strcmp(v, "true") == 0;
}

/* The boot disk to delete with a managed instance: the disk it boots from
 * (the label only when the spec names none), and only when that disk carries
 * our labels for the same ref_id, so a label that was edited or copied never
 * gets a disk the library did not make deleted. *disk_id NULL = none. */
static int own_boot_disk(brev_client *client, const Nebius__Compute__V1__Instance *inst, char **disk_id)
{
    const char *id = bn_instance_boot_disk_id(inst);
    const char *ref = bn_meta_label(inst->metadata, BN_LABEL_REF_ID);
    const Nebius__Common__V1__ResourceMetadata *meta;
    ProtobufCMessage *msg = NULL;
    const char *disk_ref;
    int rc;

    *disk_id = NULL;
    if (!*id)
        return BREV_OK;
    rc = bn_res_get(client->rpc, &bn_kind_disk, id, &msg);
    if (rc == BREV_ENOTFOUND) {
        brev_error_clear();
        return BREV_OK;
    }
    if (rc < 0)
        return rc;
    meta = ((const Nebius__Compute__V1__Disk *)msg)->metadata;
    disk_ref = bn_meta_label(meta, BN_LABEL_REF_ID);
    if (is_true(bn_meta_label(meta, BN_LABEL_MANAGED)) && ref && disk_ref && strcmp(ref, disk_ref) == 0) {
        *disk_id = bn_strdup(id);
        rc = *disk_id ? BREV_OK : BREV_ENOMEM;
    } else {
        bn_log(&client->logger, BREV_LOG_INFO, "terminate: boot disk %s of %s was not made by this library; kept",
               id, inst->metadata->id);
    }
    protobuf_c_message_free_unpacked(msg, NULL);
    return rc;
}

/* "; kept: boot disk D, the security group of cluster C" for a terminate that
 * stopped before the instance was gone: nothing after it was touched. */
static void append_kept(const char *disk_id, const char *cluster_id)
{
    brev_error e;

    if (!(disk_id && *disk_id) && !(cluster_id && *cluster_id))
        return;
    bn_err_save(&e);
    bn_err_set_grpc(e.code, e.grpc_status, e.service_error, e.request_id, "%.700s; kept: %s%s%s%s%s%s", e.message,
                    disk_id && *disk_id ? "boot disk " : "", disk_id && *disk_id ? disk_id : "",
                    disk_id && *disk_id && cluster_id && *cluster_id ? ", " : "",
                    cluster_id && *cluster_id ? "the security group of cluster " : "",
                    cluster_id && *cluster_id ? cluster_id : "",
                    " (not touched: they are deleted only once the instance is gone)");
}

/* After the instance is gone: its boot disk, then the cluster's group if
 * this was its last instance. This is cleanup of what the instance leaves,
 * so the caller's cancel (a Ctrl-C flag that stays on) does not stop it half
 * way; the terminate's deadline still bounds it. Both are attempted; the
 * message names each that failed. */
static int delete_leftovers(brev_client *client, const char *instance_id, const char *disk_id,
                            const char *cluster_id, double deadline, unsigned budget)
{
    char disk_err[400] = "", group_err[400] = "";
    int rc = BREV_OK, code = BREV_OK;
    unsigned ms;

    bn_client_cleanup_begin();
    if (disk_id && *disk_id) {
        if ((ms = left_ms(deadline)) == 0) {
            rc = bn_err_set(BREV_ETIMEOUT, "the deadline of %u ms passed first", budget);
        } else {
            bn_wait wait = bn_client_wait(client, "delete boot disk", ms);
            rc = bn_res_delete_within(client->rpc, &bn_kind_disk, disk_id, &wait, bn_client_call_ms(client, ms));
        }
        if (rc < 0) {
            code = rc;
            snprintf(disk_err, sizeof disk_err, "its boot disk %s was not deleted: %s", disk_id,
                     brev_error_message());
        }
    }
    if (cluster_id && *cluster_id) {
        /* The group's own calls have their own deadlines (src/policy); the
         * terminate's only decides whether to begin. */
        if (left_ms(deadline) == 0)
            rc = bn_err_set(BREV_ETIMEOUT, "the deadline of %u ms passed first", budget);
        else
            rc = bn_policy_cluster_release(client, cluster_id);
        if (rc < 0) {
            if (code == BREV_OK)
                code = rc;
            snprintf(group_err, sizeof group_err, "the security group of cluster %s was not released: %s",
                     cluster_id, brev_error_message());
        }
    }
    bn_client_cleanup_end();
    if (code == BREV_OK)
        return BREV_OK;
    return bn_err_set(code, "instance %s deleted, but %s%s%s", instance_id, disk_err,
                      *disk_err && *group_err ? "; and " : "", group_err);
}

int brev_instance_terminate(brev_client *client, const char *instance_id, unsigned timeout_ms)
{
    ProtobufCMessage *msg = NULL;
    const Nebius__Compute__V1__Instance *inst;
    char *disk_id = NULL, *cluster_id = NULL;
    unsigned budget = timeout_ms ? timeout_ms : TERMINATE_DEFAULT_MS;
    double deadline = now_s() + budget / 1000.0;
    unsigned ms;
    int managed;
    int rc = check_args(client, instance_id);

    if (rc < 0)
        return rc;
    rc = bn_res_get(client->rpc, &bn_kind_instance, instance_id, &msg);
    if (rc < 0)
        return bn_err_prefix("terminating instance %s", instance_id);
    inst = (const Nebius__Compute__V1__Instance *)msg;
    /* Only what this library made is deleted with the instance. */
    managed = is_true(bn_meta_label(inst->metadata, BN_LABEL_MANAGED));
    if (managed)
        rc = own_boot_disk(client, inst, &disk_id);
    if (rc == BREV_OK && managed && bn_meta_label(inst->metadata, BN_LABEL_CLUSTER_ID)) {
        cluster_id = bn_strdup(bn_meta_label(inst->metadata, BN_LABEL_CLUSTER_ID));
        if (!cluster_id)
            rc = bn_err_set(BREV_ENOMEM, "out of memory");
    }
    protobuf_c_message_free_unpacked(msg, NULL);
    if (rc < 0) {
        bn_err_prefix("terminating instance %s (nothing deleted)", instance_id);
        goto out;
    }

    /* One deadline for everything: the instance, then what it leaves. */
    if ((ms = left_ms(deadline)) == 0)
        rc = bn_err_set(BREV_ETIMEOUT, "the deadline of %u ms passed before the deletion began (nothing deleted)",
                        budget);
    else
        rc = bn_instance_delete_and_wait(client, instance_id, ms, 1);
    if (rc < 0) {
        /* Cancelled or failed before the instance was gone: nothing after it
         * was touched, and the message says what is still there. */
        bn_err_prefix("terminating instance %s", instance_id);
        append_kept(disk_id, cluster_id);
        goto out;
    }
    rc = delete_leftovers(client, instance_id, disk_id, cluster_id, deadline, budget);
out:
    free(disk_id);
    free(cluster_id);
    return rc;
}
