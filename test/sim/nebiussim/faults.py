"""Fault injection (admin InjectFault and --fault), semantics as in admin.proto.

A fault matches a call by full method path, or "*" for every Nebius method
except TokenExchangeService/Exchange (which must be named) and the admin
service. count > 0 fires on the next `count` matching calls; count == 0 with
fraction > 0 fires on that fraction of calls; count == 0 and fraction == 0
fires on every matching call until ClearFaults. Faults are checked in
injection order and the first one that fires wins. A capacity or quota fault
(service_error not_enough_resources / quota_failure) without a code is
RESOURCE_EXHAUSTED, and gets that kind's retry_type (errors.FAULT_DEFAULTS).
"""
import json
import random

from google.protobuf import json_format

from . import errors, protos

EXCHANGE = "/nebius.iam.v1.TokenExchangeService/Exchange"
ADMIN_PREFIX = "/nebiussim."
# The methods whose operation can finish OK and the instance then fall back to STOPPED.
LATE_CAPACITY_METHODS = ("/nebius.compute.v1.InstanceService/Create", "/nebius.compute.v1.InstanceService/Start")


class Fault:
    def __init__(self, req):
        self.method = req.method
        self.code = errors.fault_code(req.service_error, req.code)  # capacity/quota kinds: RESOURCE_EXHAUSTED
        self.message = req.message
        self.remaining = req.count
        self.fraction = req.fraction
        self.latency_ms = req.latency_ms
        self.hang = req.hang
        self.service_error = req.service_error
        self.retry_type = req.retry_type
        self.operation_failure = req.operation_failure
        self.late_capacity_failure = req.late_capacity_failure
        self.after_effect = req.after_effect
        self.override_token_response = req.override_token_response
        self.token_type = req.token_type
        self.expires_in = req.expires_in
        self.access_token_set = bool(req.access_token)
        # The planted token is never kept in describe()/GetState, like every token.
        self._access_token = req.access_token
        self.counted = req.count > 0
        self.fired = 0

    def matches(self, method):
        if method.startswith(ADMIN_PREFIX):
            return False
        if self.method == "*":
            return method != EXCHANGE
        return self.method == method

    def describe(self):
        return {k: v for k, v in vars(self).items() if not k.startswith("_")}

    def token_response_fields(self):
        """(token_type, expires_in, access_token) of an override_token_response fault."""
        return self.token_type, self.expires_in, self._access_token

    def call_error(self, service):
        """The RpcError this fault answers the call with, or None if it does not fail the call."""
        if self.code == 0 or self.operation_failure or self.late_capacity_failure:
            return None
        msg = self.message or "injected fault: %s" % errors.code_name(self.code)
        return errors.RpcError(self.code, msg,
                               errors.fault_service_error(service, self.service_error, self.code,
                                                          self.message, self.retry_type))


def validate(req):
    if not req.method:
        raise errors.invalid("nebiussim.v1.AdminService", "method", "required (full path or \"*\")")
    if req.method != "*" and not req.method.startswith("/"):
        raise errors.invalid("nebiussim.v1.AdminService", "method", "must be a full path like /pkg.Service/Method")
    if req.count < 0 or not 0 <= req.fraction <= 1:
        raise errors.invalid("nebiussim.v1.AdminService", "count", "count >= 0 and 0 <= fraction <= 1")
    if req.code < 0 or req.code > 16:
        raise errors.invalid("nebiussim.v1.AdminService", "code", "must be a gRPC status code")
    if req.late_capacity_failure and req.method not in LATE_CAPACITY_METHODS:
        raise errors.invalid("nebiussim.v1.AdminService", "late_capacity_failure",
                             "only for %s (got method %r): nothing else would ever fire it"
                             % (" or ".join(LATE_CAPACITY_METHODS), req.method))
    if req.override_token_response and req.method != EXCHANGE:
        raise errors.invalid("nebiussim.v1.AdminService", "override_token_response",
                             "only for %s" % EXCHANGE)
    if req.service_error:
        try:
            errors.fault_service_error("x", req.service_error, req.code, "", 0)
        except ValueError:
            raise errors.invalid("nebiussim.v1.AdminService", "service_error",
                                 "unknown kind %r" % req.service_error) from None


def inject(st, req):
    validate(req)
    st.faults.append(Fault(req))


def from_json(text):
    """--fault JSON: the InjectFaultRequest fields in proto-JSON form."""
    req = protos.msg("nebiussim.v1.InjectFaultRequest")()
    json_format.Parse(text, req)
    return req


def take(st, method):
    """The fault that fires for this call (consuming one count), or None. Call under st.lock."""
    for f in list(st.faults):
        if not f.matches(method):
            continue
        if f.counted:
            f.remaining -= 1
            if f.remaining <= 0:
                st.faults.remove(f)
        elif f.fraction > 0 and random.random() >= f.fraction:
            continue
        f.fired += 1
        return f
    return None


def clear(st):
    st.faults.clear()


def dump(st):
    return json.loads(json.dumps([f.describe() for f in st.faults]))
