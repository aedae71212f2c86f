"""RPC errors the way the Nebius API reports them.

An error is a gRPC status plus a serialized google.rpc.Status in the
`grpc-status-details-bin` trailer whose details hold one Any(nebius.common.v1.ServiceError).
The same google.rpc.Status shape is what a failed Operation carries in `status`.
"""
import collections

import grpc

from . import protos

OK = 0
CANCELLED = 1
UNKNOWN = 2
INVALID_ARGUMENT = 3
DEADLINE_EXCEEDED = 4
NOT_FOUND = 5
ALREADY_EXISTS = 6
PERMISSION_DENIED = 7
RESOURCE_EXHAUSTED = 8
FAILED_PRECONDITION = 9
ABORTED = 10
OUT_OF_RANGE = 11
UNIMPLEMENTED = 12
INTERNAL = 13
UNAVAILABLE = 14
DATA_LOSS = 15
UNAUTHENTICATED = 16

GRPC_CODES = {sc.value[0]: sc for sc in grpc.StatusCode}

# ServiceError.RetryType values
RETRY_UNSPECIFIED = 0
RETRY_CALL = 1
RETRY_UNIT_OF_WORK = 2
RETRY_NOTHING = 3


def code_name(code):
    sc = GRPC_CODES.get(code)
    return sc.name if sc else str(code)


class RpcError(Exception):
    """Raised by handlers; the server turns it into a gRPC status with rich details."""

    def __init__(self, code, message, service_error=None):
        super().__init__(message)
        self.code = code
        self.message = message
        self.service_error = service_error  # nebius.common.v1.ServiceError or None

    def status_proto(self):
        return status_proto(self.code, self.message, self.service_error)


def service_error(service, code, detail_field=None, detail=None, retry_type=RETRY_UNSPECIFIED):
    """ServiceError as the real API sends it: its code names the detail
    ("NotEnoughResources", "QuotaFailure", "ResourceNotFound", ...), the gRPC
    code name only when there is no detail."""
    if detail is not None:
        code = detail.DESCRIPTOR.name
    se = protos.msg("nebius.common.v1.ServiceError")(service=service, code=code, retry_type=retry_type)
    if detail_field is not None:
        getattr(se, detail_field).CopyFrom(detail)
    return se


def status_proto(code, message, service_err=None):
    st = protos.msg("google.rpc.Status")(code=code, message=message)
    if service_err is not None:
        st.details.add().Pack(service_err)
    return st


class _GrpcStatus(collections.namedtuple("_GrpcStatus", ("code", "details", "trailing_metadata")), grpc.Status):
    pass


def grpc_status(err):
    """grpc.Status for context.abort_with_status(), carrying grpc-status-details-bin."""
    return _GrpcStatus(GRPC_CODES[err.code], err.message,
                       (("grpc-status-details-bin", err.status_proto().SerializeToString()),))


# --- constructors for the errors handlers raise -------------------------------------------------

def _m(name):
    return protos.msg("nebius.common.v1." + name)


def not_found(service, resource_id, message=None):
    return RpcError(NOT_FOUND, message or "resource %s not found" % resource_id,
                    service_error(service, "NOT_FOUND", "resource_not_found",
                                  _m("ResourceNotFound")(resource_id=resource_id), RETRY_NOTHING))


def already_exists(service, resource_id, message):
    return RpcError(ALREADY_EXISTS, message,
                    service_error(service, "ALREADY_EXISTS", "resource_already_exists",
                                  _m("ResourceAlreadyExists")(resource_id=resource_id), RETRY_NOTHING))


def invalid(service, field, message, violations=None):
    """INVALID_ARGUMENT with a bad_request detail naming the offending field(s)."""
    br = _m("BadRequest")()
    for f, m in (violations or [(field, message)]):
        br.violations.add(field=f, message=m)
    text = "invalid %s: %s" % (field, message) if field else message
    return RpcError(INVALID_ARGUMENT, text,
                    service_error(service, "INVALID_ARGUMENT", "bad_request", br, RETRY_NOTHING))


def bad_state(service, resource_id, message):
    """FAILED_PRECONDITION: the resource is in a state that forbids the request."""
    return RpcError(FAILED_PRECONDITION, message,
                    service_error(service, "FAILED_PRECONDITION", "bad_resource_state",
                                  _m("BadResourceState")(resource_id=resource_id, message=message),
                                  RETRY_NOTHING))


def operation_conflict(service, resource_id, op_id):
    msg = "resource %s has operation %s in progress" % (resource_id, op_id)
    return RpcError(FAILED_PRECONDITION, msg,
                    service_error(service, "FAILED_PRECONDITION", "operation_conflict",
                                  _m("OperationConflict")(conflicting_operation_id=op_id, resource_id=resource_id),
                                  RETRY_UNIT_OF_WORK))


def version_conflict(service, resource_id, message):
    return RpcError(FAILED_PRECONDITION, message,
                    service_error(service, "FAILED_PRECONDITION", "resource_conflict",
                                  _m("ResourceConflict")(resource_id=resource_id, message=message), RETRY_NOTHING))


def permission_denied(service, resource_id, message):
    return RpcError(PERMISSION_DENIED, message,
                    service_error(service, "PERMISSION_DENIED", "permission_denied",
                                  _m("PermissionDenied")(resource_id=resource_id), RETRY_NOTHING))


def resource_exhausted(service, message):
    """Capacity: not enough resources in the region right now; a later unit of work may succeed."""
    ner = _m("NotEnoughResources")()
    ner.violations.add(resource_type="compute.instance", message=message, requested="1")
    return RpcError(RESOURCE_EXHAUSTED, message,
                    service_error(service, "RESOURCE_EXHAUSTED", "not_enough_resources", ner,
                                  RETRY_UNIT_OF_WORK))


def unauthenticated(message):
    return RpcError(UNAUTHENTICATED, message)


# Capacity and quota faults without an explicit code / retry_type get what the sim's own capacity and
# quota errors carry (resource_exhausted() and vpc.allocate_public()): gRPC RESOURCE_EXHAUSTED, and a
# retry_type that tells the client not to repeat the call. Capacity may come back, so a later unit of
# work can succeed (UNIT_OF_WORK); an exceeded quota stays exceeded until someone raises it (NOTHING).
# The facts sheets say only that UNIT_OF_WORK and NOTHING both mean "do not retry the call"
# (nebius-api.md, ServiceError); which of the two the API sends per kind is this choice.
FAULT_DEFAULTS = {
    "not_enough_resources": (RESOURCE_EXHAUSTED, RETRY_UNIT_OF_WORK),
    "quota_failure": (RESOURCE_EXHAUSTED, RETRY_NOTHING),
}


def fault_code(kind, code):
    """The gRPC code of an injected fault: its own, else the default of its ServiceError kind (or 0)."""
    return code or FAULT_DEFAULTS.get(kind, (OK, RETRY_UNSPECIFIED))[0]


def fault_service_error(service, kind, code, message, retry_type):
    """ServiceError detail for an injected fault (admin.proto InjectFaultRequest.service_error)."""
    if not kind:
        return None
    retry_type = retry_type or FAULT_DEFAULTS.get(kind, (OK, RETRY_UNSPECIFIED))[1]
    if kind == "not_enough_resources":
        d = _m("NotEnoughResources")()
        d.violations.add(resource_type="compute.instance.gpu", message=message or "not enough resources",
                         requested="1")
    elif kind == "quota_failure":
        d = _m("QuotaFailure")()
        d.violations.add(quota="compute.instance.gpu.h100", message=message or "quota exceeded",
                         limit="0", requested="1")
    elif kind == "bad_request":
        d = _m("BadRequest")()
        d.violations.add(field="spec", message=message or "bad request")
    elif kind == "resource_not_found":
        d = _m("ResourceNotFound")(resource_id="")
    elif kind == "too_many_requests":
        d = _m("TooManyRequests")(violation=message or "rate limit exceeded")
    elif kind == "internal_error":
        d = _m("InternalError")(request_id="sim-request", trace_id="sim-trace")
    else:
        raise ValueError("unknown service_error kind %r" % kind)
    return service_error(service, code_name(code), kind, d, retry_type)
