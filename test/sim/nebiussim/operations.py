"""nebius.common.v1.Operation lifecycle and OperationService.

A mutating call returns an Operation without `status` (running). After
--op-delay it completes: its effect callback runs, then `status` is set (an
empty google.rpc.Status for OK, code + message + ServiceError otherwise) and
`finished_at` is stamped. The resource's status.reconciling is true while any
of its operations runs.
"""
from google.protobuf import timestamp_pb2

from . import errors, protos
from .paging import page
from .state import OpRecord

SERVICE = "nebius.common.v1.OperationService"


def ts(t):
    out = timestamp_pb2.Timestamp()
    out.FromNanoseconds(int(t * 1e9))
    return out


def pending_op(st, resource_id):
    """Id of an operation still running on the resource, or None."""
    for rec in st.operations.values():
        if rec.msg.resource_id == resource_id and not rec.msg.HasField("status"):
            return rec.id
    return None


def _set_reconciling(st, resource_id, value):
    res = st.get(resource_id)
    if res is None or not res.msg.HasField("status") and not value:
        return
    status = res.msg.status
    if "reconciling" in status.DESCRIPTOR.fields_by_name:
        status.reconciling = value


def start(st, call, resource_id, description, parent_id, on_done=None, on_fail=None, delay=None):
    """Creates a running operation on resource_id and schedules its completion.

    on_done(due) applies the effect; it may raise errors.RpcError to fail the
    operation. on_fail(due) undoes what the call already changed when the
    operation fails (an injected operation fault or an on_done error).
    """
    now = st.now()
    op = protos.msg("nebius.common.v1.Operation")(
        id=st.new_id("op"), description=description, created_by=call.principal or "",
        resource_id=resource_id)
    op.created_at.CopyFrom(ts(now))
    op.request.Pack(call.request)
    if call.idempotency_key:
        op.request_headers["x-idempotency-key"].values.append(call.idempotency_key)
    rec = OpRecord(op.id, op, call.service, parent_id, st.next_seq())
    st.operations[op.id] = rec
    _set_reconciling(st, resource_id, True)
    fault = call.fault if call.fault is not None and call.fault.operation_failure else None
    if delay is None:
        delay = st.config.op_delay

    def finish(due):
        err = None
        if fault is not None:
            err = errors.RpcError(fault.code or errors.INTERNAL, fault.message or "injected operation failure",
                                  errors.fault_service_error(call.service, fault.service_error,
                                                             fault.code or errors.INTERNAL, fault.message,
                                                             fault.retry_type))
        else:
            try:
                if on_done is not None:
                    on_done(due)
            except errors.RpcError as e:
                err = e
        if err is not None and on_fail is not None:
            on_fail(due)
        op.finished_at.CopyFrom(ts(due))
        if err is None:
            op.status.SetInParent()
        else:
            op.status.CopyFrom(err.status_proto())
        if pending_op(st, resource_id) is None:
            _set_reconciling(st, resource_id, False)

    st.schedule(now + delay, finish)
    return op


def get(st, call):
    rec = st.operations.get(call.request.id)
    if rec is None:
        raise errors.not_found(SERVICE, call.request.id, "operation %s not found" % call.request.id)
    return rec.msg


def list_by_resource(st, call):
    req = call.request
    if not req.resource_id:
        raise errors.invalid(SERVICE, "resource_id", "required")
    ops = [r.msg for r in st.operations.values() if r.msg.resource_id == req.resource_id]
    ops.reverse()  # newest first, as operation listings usually are
    items, token = page(st, ops, req.page_size, req.page_token)
    resp = protos.msg("nebius.common.v1.ListOperationsResponse")(next_page_token=token)
    resp.operations.extend(items)
    return resp


def list_by_parent(service):
    """ListOperationsByParent of one compute service: operations it started in a project."""
    def handler(st, call):
        req = call.request
        if not req.parent_id:
            raise errors.invalid(service, "parent_id", "required")
        ops = [r.msg for r in st.operations.values() if r.service == service and r.parent_id == req.parent_id]
        ops.reverse()
        items, token = page(st, ops, req.page_size, req.page_token)
        resp = protos.msg("nebius.common.v1.ListOperationsResponse")(next_page_token=token)
        resp.operations.extend(items)
        return resp
    return handler


HANDLERS = {
    "/nebius.common.v1.OperationService/Get": get,
    "/nebius.common.v1.OperationService/List": list_by_resource,
}
