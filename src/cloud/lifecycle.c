/* Brev lifecycle names and the Nebius instance state mapping. */
#include <string.h>

#include "cloud/instance_internal.h"
#include "util/error.h"

static const char *const names[] = {
    [BREV_LIFECYCLE_UNKNOWN] = "unknown",       [BREV_LIFECYCLE_PENDING] = "pending",
    [BREV_LIFECYCLE_RUNNING] = "running",       [BREV_LIFECYCLE_STOPPING] = "stopping",
    [BREV_LIFECYCLE_STOPPED] = "stopped",       [BREV_LIFECYCLE_TERMINATING] = "terminating",
    [BREV_LIFECYCLE_TERMINATED] = "terminated", [BREV_LIFECYCLE_FAILED] = "failed",
};

const char *brev_lifecycle_name(brev_lifecycle status)
{
    if ((unsigned)status >= sizeof names / sizeof names[0])
        return "unknown";
    return names[status];
}

int brev_lifecycle_parse(const char *name, brev_lifecycle *out)
{
    if (!name || !out)
        return bn_err_set(BREV_EINVAL, "lifecycle name and output must not be NULL");
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        if (strcmp(name, names[i]) == 0) {
            *out = (brev_lifecycle)i;
            return BREV_OK;
        }
    }
    return bn_err_set(BREV_EINVAL,
                      "unknown lifecycle status '%s' (expected unknown, pending, running, stopping, stopped, "
                      "terminating, terminated or failed)",
                      name);
}

/* UPDATING is a change to a live instance, so it reads as PENDING like the
 * other in-between states rather than FAILED as the Go provider has it.
 * UNSPECIFIED (and a state newer than this library) is UNKNOWN, not FAILED
 * as there: a status the API has not filled in yet is no failure, and the Go
 * provider's mapping makes its wait delete the instance (facts §7.5). Waits
 * poll through UNKNOWN; only ERROR ends them. */
brev_lifecycle bn_lifecycle_of_state(int state)
{
    switch (state) {
    case NEBIUS__COMPUTE__V1__INSTANCE_STATUS__INSTANCE_STATE__CREATING:
    case NEBIUS__COMPUTE__V1__INSTANCE_STATUS__INSTANCE_STATE__STARTING:
    case NEBIUS__COMPUTE__V1__INSTANCE_STATUS__INSTANCE_STATE__UPDATING:
        return BREV_LIFECYCLE_PENDING;
    case NEBIUS__COMPUTE__V1__INSTANCE_STATUS__INSTANCE_STATE__RUNNING:
        return BREV_LIFECYCLE_RUNNING;
    case NEBIUS__COMPUTE__V1__INSTANCE_STATUS__INSTANCE_STATE__STOPPING:
        return BREV_LIFECYCLE_STOPPING;
    case NEBIUS__COMPUTE__V1__INSTANCE_STATUS__INSTANCE_STATE__STOPPED:
        return BREV_LIFECYCLE_STOPPED;
    case NEBIUS__COMPUTE__V1__INSTANCE_STATUS__INSTANCE_STATE__DELETING:
        return BREV_LIFECYCLE_TERMINATING;
    case NEBIUS__COMPUTE__V1__INSTANCE_STATUS__INSTANCE_STATE__ERROR:
        return BREV_LIFECYCLE_FAILED;
    default:
        return BREV_LIFECYCLE_UNKNOWN;
    }
}

const char *bn_nebius_state_name(int state)
{
    const ProtobufCEnumValue *v =
        protobuf_c_enum_descriptor_get_value(&nebius__compute__v1__instance_status__instance_state__descriptor, state);

    return v ? v->name : "UNSPECIFIED";
}
