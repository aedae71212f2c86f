"""nebiussim.v1.AdminService: state inspection, request log, faults, Mutate, EvaluateFlow, Reset.

Admin RPCs need no authorization and are never logged or faulted.
"""
import json

from google.protobuf import json_format

from . import compute, errors, faults, iam, policy, protos, vpc

ADMIN = "nebiussim.v1.AdminService"

KINDS = {
    "instance": ("nebius.compute.v1.Instance", "computeinstance"),
    "disk": ("nebius.compute.v1.Disk", "computedisk"),
    "image": ("nebius.compute.v1.Image", "computeimage"),
    "network": ("nebius.vpc.v1.Network", "vpcnetwork"),
    "subnet": ("nebius.vpc.v1.Subnet", "vpcsubnet"),
    "security_group": ("nebius.vpc.v1.SecurityGroup", "vpcsecuritygroup"),
    "security_rule": ("nebius.vpc.v1.SecurityRule", "vpcsecurityrule"),
    "allocation": ("nebius.vpc.v1.Allocation", "vpcallocation"),
}


def _A(name):
    return protos.msg("nebiussim.v1." + name)


def _to_dict(msg):
    return json_format.MessageToDict(msg, preserving_proto_field_name=True)


def install_presets(st):
    iam.install_presets(st)
    vpc.install_presets(st)
    compute.install_presets(st)


def state_dict(st):
    return {
        "resources": {r.id: {"kind": r.kind, "resource": _to_dict(r.msg)} for r in st.resources.values()},
        "operations": {o.id: _to_dict(o.msg) for o in st.operations.values()},
        "service_accounts": {sa: {"name": v["name"], "public_key_ids": sorted(v["keys"])}
                             for sa, v in st.service_accounts.items()},
        "tokens_issued": st.tokens_issued,
        "tokens_valid": sum(1 for t in list(st.tokens) if st.token_principal(t)),
        "exchange_count": st.exchange_count,
        "faults": faults.dump(st),
    }


def state_json(st):
    return json.dumps(state_dict(st), indent=1, sort_keys=True)


def get_state(st, call):
    return _A("JsonResponse")(json=state_json(st))


def get_requests(st, call):
    filt = call.request.method_filter
    reqs = [r for r in st.requests if filt in r["method"]]
    counts = {}
    for r in reqs:
        counts[r["method"]] = counts.get(r["method"], 0) + 1
    out = json.dumps({"requests": reqs, "counts": counts}, sort_keys=True)
    if call.request.clear:
        st.requests.clear()
        st.request_counts.clear()
    return _A("JsonResponse")(json=out)


def inject_fault(st, call):
    faults.inject(st, call.request)
    return _A("AdminAck")(message="fault on %s injected (%d active)" % (call.request.method, len(st.faults)))


def clear_faults(st, call):
    n = len(st.faults)
    faults.clear(st)
    return _A("AdminAck")(message="%d faults cleared" % n)


def expire_tokens(st, call):
    n = len(st.tokens)
    st.expire_tokens()
    return _A("AdminAck")(message="%d tokens expired" % n)


def create_service_account(st, call):
    sa_id, kid, creds = iam.create_service_account(st, call.request.name or "sim-extra-account")
    return _A("ServiceAccountKey")(service_account_id=sa_id, public_key_id=kid, credentials_json=creds)


def _merge_patch(target, patch):
    """RFC 7386 JSON merge patch."""
    if not isinstance(patch, dict):
        return patch
    if not isinstance(target, dict):
        target = {}
    out = dict(target)
    for k, v in patch.items():
        if v is None:
            out.pop(k, None)
        else:
            out[k] = _merge_patch(out.get(k), v)
    return out


def _refresh_extra(st, rec):
    """Re-derives simulator bookkeeping for a record created or patched through Mutate."""
    if rec.kind == "network" and rec.extra.get("private_pool") not in st.pools:
        pools = [p.id for p in rec.msg.spec.ipv4_private_pools.pools if p.id in st.pools]
        rec.extra["private_pool"] = pools[0] if pools else vpc._new_private_pool(st)
    if rec.kind == "subnet":
        net = st.get(rec.msg.spec.network_id, "network")
        if rec.msg.status.ipv4_private_cidrs:
            rec.extra["private_cidr"] = rec.msg.status.ipv4_private_cidrs[0]
        elif "private_cidr" not in rec.extra and net is not None:
            rec.extra["private_cidr"] = vpc._pick_subnet_cidr(st, net, "")
        if net is not None:
            rec.extra.setdefault("private_pool", net.extra.get("private_pool", vpc.DEFAULT_PRIVATE_POOL_ID))
        else:
            rec.extra.setdefault("private_pool", vpc.DEFAULT_PRIVATE_POOL_ID)
        rec.extra.setdefault("private_cidr", "10.200.0.0/16")


def mutate(st, call):
    req = call.request
    if req.create_kind:
        if req.create_kind not in KINDS:
            raise errors.invalid(ADMIN, "create_kind", "unknown kind %r (known: %s)" % (req.create_kind,
                                                                                     ", ".join(sorted(KINDS))))
        cls_name, prefix = KINDS[req.create_kind]
        msg = protos.msg(cls_name)()
        try:
            json_format.Parse(req.create_json or "{}", msg)
        except json_format.ParseError as e:
            raise errors.invalid(ADMIN, "create_json", str(e)) from None
        if not msg.metadata.id:
            msg.metadata.id = st.new_id(prefix)
        if st.get(msg.metadata.id) is not None:
            raise errors.already_exists(ADMIN, msg.metadata.id, "resource %s exists" % msg.metadata.id)
        if not msg.metadata.HasField("created_at"):
            msg.metadata.created_at.GetCurrentTime()
        if not msg.metadata.resource_version:
            msg.metadata.resource_version = 1
        rec = st.add(req.create_kind, msg)
        _refresh_extra(st, rec)
        return _A("MutateResponse")(resource_id=rec.id)
    if not req.resource_id:
        raise errors.invalid(ADMIN, "resource_id", "required (or create_kind)")
    rec = st.get(req.resource_id)
    if rec is None:
        raise errors.not_found(ADMIN, req.resource_id, "resource %s not found" % req.resource_id)
    if req.delete:
        st.remove(rec.id)
        return _A("MutateResponse")(resource_id=rec.id)
    try:
        patch = json.loads(req.json_patch or "{}")
    except ValueError as e:
        raise errors.invalid(ADMIN, "json_patch", "not JSON: %s" % e) from None
    merged = _merge_patch(_to_dict(rec.msg), patch)
    msg = type(rec.msg)()
    try:
        json_format.ParseDict(merged, msg)
    except json_format.ParseError as e:
        raise errors.invalid(ADMIN, "json_patch", str(e)) from None
    if msg.metadata.id != rec.id:
        raise errors.invalid(ADMIN, "json_patch", "metadata.id cannot change")
    rec.msg.CopyFrom(msg)
    _refresh_extra(st, rec)
    return _A("MutateResponse")(resource_id=rec.id)


def evaluate_flow(st, call):
    allowed, reason = policy.evaluate(st, call.request)
    return _A("EvaluateFlowResponse")(allowed=allowed, reason=reason)


def reset(st, call):
    st.resources.clear()
    st.operations.clear()
    st.idempotency.clear()
    st.requests.clear()
    st.request_counts.clear()
    st.pools.clear()
    st.pool_cursors.clear()
    st.clear_events()
    faults.clear(st)
    install_presets(st)
    return _A("AdminAck")(message="reset to presets")


HANDLERS = {
    "/nebiussim.v1.AdminService/GetState": get_state,
    "/nebiussim.v1.AdminService/GetRequests": get_requests,
    "/nebiussim.v1.AdminService/InjectFault": inject_fault,
    "/nebiussim.v1.AdminService/ClearFaults": clear_faults,
    "/nebiussim.v1.AdminService/ExpireTokens": expire_tokens,
    "/nebiussim.v1.AdminService/CreateServiceAccount": create_service_account,
    "/nebiussim.v1.AdminService/Mutate": mutate,
    "/nebiussim.v1.AdminService/EvaluateFlow": evaluate_flow,
    "/nebiussim.v1.AdminService/Reset": reset,
}
