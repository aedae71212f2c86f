"""VPC v1: networks, subnets, security groups, security rules, allocations.

Choices where the API text is silent (documented so tests can rely on them):
* Every network owns a default security group (status.default = true) with two
  rules: allow all egress, allow all ingress from members of the same group.
  It is created with the network, cannot be deleted by itself, and goes away
  with the network. Network Delete is refused (FAILED_PRECONDITION) while the
  network has subnets or non-default security groups.
* Network private pools default to 10.0.0.0/8; a subnet without explicit CIDRs
  takes the next free /16 of it (the preset default subnet is 10.0.0.0/16).
  One public pool (203.0.113.0/24, TEST-NET-3) serves every subnet.
* Private addresses start at .5 of the subnet; public ones rotate through the
  pool so a re-allocated address differs from the one just released.
* Security group Delete is refused while any instance interface uses the group;
  its rules are deleted with it.
* Security rules: an ingress/egress may name a peer group or CIDRs, not both;
  ports are allowed only with TCP or UDP; CIDRs must be IPv4 networks with a
  prefix and no host bits ("10.0.0.0/24", not "10.0.0.1/24").
* Resources are CREATING (rules/networks/subnets/allocations) until their
  operation completes; security rules only take effect once READY.
"""
import functools
import ipaddress

from . import errors, operations, protos, resources
from .state import PROJECT_ID

NET = "nebius.vpc.v1.NetworkService"
SUB = "nebius.vpc.v1.SubnetService"
SG = "nebius.vpc.v1.SecurityGroupService"
RULE = "nebius.vpc.v1.SecurityRuleService"
ALLOC = "nebius.vpc.v1.AllocationService"

DEFAULT_NETWORK_ID = "vpcnetwork-sim0000000001"
DEFAULT_SUBNET_ID = "vpcsubnet-sim0000000001"
DEFAULT_SG_ID = "vpcsecuritygroup-sim0000000001"
DEFAULT_PRIVATE_POOL_ID = "vpcpool-sim0000000001"
PUBLIC_POOL_ID = "vpcpool-sim0000000002"
NETWORK_PRIVATE_CIDR = "10.0.0.0/8"
PUBLIC_CIDR = "203.0.113.0/24"
SUBNET_AUTO_PREFIX = 16
MAX_RULE_CIDRS = 8
MAX_RULE_PORTS = 8


@functools.lru_cache(maxsize=None)
def enum(full, name):
    return protos.enum_value(full, name)


def M(name):
    return protos.msg("nebius.vpc.v1." + name)


def _state_enum(kind, name):
    return enum("nebius.vpc.v1.%s.State" % kind, name)


def _bare(addr):
    return addr.split("/", 1)[0]


# --- address pools ------------------------------------------------------------------------------

def _subnet_private_cidr(subnet_rec):
    return subnet_rec.extra["private_cidr"]


def used_private(st, subnet_id):
    used = set()
    for r in st.of_kind("instance"):
        for i, nic in enumerate(r.msg.spec.network_interfaces):
            if nic.subnet_id == subnet_id and i < len(r.msg.status.network_interfaces):
                a = r.msg.status.network_interfaces[i].ip_address.address
                if a:
                    used.add(_bare(a))
    for r in st.of_kind("allocation"):
        d = r.msg.status.details
        if d.subnet_id == subnet_id and r.msg.spec.HasField("ipv4_private") and d.allocated_cidr:
            used.add(_bare(d.allocated_cidr))
    return used


def used_public(st):
    return {_bare(r.msg.status.details.allocated_cidr) for r in st.of_kind("allocation")
            if r.msg.spec.HasField("ipv4_public") and r.msg.status.details.allocated_cidr}


def allocate_private(st, subnet_rec, taken=(), service=SUB):
    """A free private address of the subnet, not in `taken` (addresses promised to the same request)."""
    net = ipaddress.IPv4Network(_subnet_private_cidr(subnet_rec))
    used = used_private(st, subnet_rec.id) | set(taken)
    first = int(net.network_address) + 5
    for n in range(first, int(net.broadcast_address)):
        a = str(ipaddress.IPv4Address(n))
        if a not in used:
            return a
    raise errors.RpcError(errors.RESOURCE_EXHAUSTED, "subnet %s has no free private address" % subnet_rec.id,
                          errors.service_error(service, "RESOURCE_EXHAUSTED", "not_enough_resources",
                                               protos.msg("nebius.common.v1.NotEnoughResources")(),
                                               errors.RETRY_NOTHING))


def allocate_public(st, taken=(), service=ALLOC):
    """A free public address, not in `taken`; RESOURCE_EXHAUSTED with a quota_failure when none is left."""
    net = ipaddress.IPv4Network(PUBLIC_CIDR)
    used = used_public(st) | set(taken)
    lo, hi = int(net.network_address) + 10, int(net.broadcast_address) - 1
    span = hi - lo + 1
    cursor = st.pool_cursors.get(PUBLIC_POOL_ID, 0)
    for k in range(span):
        idx = (cursor + k) % span
        a = str(ipaddress.IPv4Address(lo + idx))
        if a not in used:
            st.pool_cursors[PUBLIC_POOL_ID] = idx + 1
            return a
    raise errors.RpcError(errors.RESOURCE_EXHAUSTED, "public IP pool exhausted",
                          errors.service_error(service, "RESOURCE_EXHAUSTED", "quota_failure",
                                               _quota("vpc.ipv4-address.public.count", "public IP addresses"),
                                               errors.RETRY_NOTHING))


def _quota(name, what):
    q = protos.msg("nebius.common.v1.QuotaFailure")()
    q.violations.add(quota=name, message="quota for %s exceeded" % what, limit="245", requested="1")
    return q


def default_group_of(st, network_id):
    for r in st.of_kind("security_group"):
        if r.msg.spec.network_id == network_id and r.msg.status.default:
            return r
    return None


def network_of_subnet(st, subnet_id):
    s = st.get(subnet_id, "subnet")
    return s.msg.spec.network_id if s else ""


# --- allocations used by instances ----------------------------------------------------------------

def new_allocation(st, parent_id, name, public, subnet_id, address, static, labels=None):
    a = M("Allocation")()
    a.metadata.CopyFrom(resources.new_metadata(st, "vpcallocation", protos.msg("nebius.common.v1.ResourceMetadata")(
        parent_id=parent_id, name=name, labels=labels or {})))
    spec = a.spec.ipv4_public if public else a.spec.ipv4_private
    spec.subnet_id = subnet_id
    a.status.state = _state_enum("AllocationStatus", "ALLOCATED")
    a.status.details.allocated_cidr = address + "/32"
    a.status.details.pool_id = PUBLIC_POOL_ID if public else st.get(subnet_id, "subnet").extra["private_pool"]
    a.status.details.version = enum("nebius.vpc.v1.IpVersion", "IPV4")
    a.status.details.subnet_id = subnet_id
    a.status.static = static
    return st.add("allocation", a)


def assign_allocation(rec, instance_id, nic_name, public):
    rec.msg.status.state = _state_enum("AllocationStatus", "ASSIGNED")
    na = rec.msg.status.assignment.network_interface
    na.instance_id = instance_id
    na.name = nic_name
    na.type = enum("nebius.vpc.v1.NetworkInterfaceAssignment.Type", "PUBLIC" if public else "PRIMARY")


def unassign_allocation(rec):
    rec.msg.status.ClearField("assignment")
    rec.msg.status.state = _state_enum("AllocationStatus", "ALLOCATED")


# --- presets ------------------------------------------------------------------------------------

def _default_rules(st, sg_rec, ids=(None, None)):
    """Realistic defaults: all egress allowed; ingress allowed from members of the same group."""
    specs = [
        ("default-allow-egress", dict(egress=M("RuleEgress")())),
        ("default-allow-ingress-from-group", dict(ingress=M("RuleIngress")(source_security_group_id=sg_rec.id))),
    ]
    for (name, match), rid in zip(specs, ids):
        r = M("SecurityRule")()
        r.metadata.CopyFrom(resources.new_metadata(st, "vpcsecurityrule", protos.msg(
            "nebius.common.v1.ResourceMetadata")(parent_id=sg_rec.id, name=name), rid))
        r.spec.access = enum("nebius.vpc.v1.RuleAccessAction", "ALLOW")
        r.spec.protocol = enum("nebius.vpc.v1.RuleProtocol", "ANY")
        for k, v in match.items():
            getattr(r.spec, k).CopyFrom(v)
        _normalize_rule(r)
        _fill_rule_status(r, sg_rec.id)
        r.status.state = _state_enum("SecurityRuleStatus", "READY")
        st.add("security_rule", r)


def _new_default_group(st, net_rec, sg_id=None, rule_ids=(None, None)):
    g = M("SecurityGroup")()
    name = "default-security-group" if net_rec.id == DEFAULT_NETWORK_ID else \
        "default-security-group-" + net_rec.msg.metadata.name
    g.metadata.CopyFrom(resources.new_metadata(st, "vpcsecuritygroup", protos.msg(
        "nebius.common.v1.ResourceMetadata")(parent_id=net_rec.msg.metadata.parent_id, name=name), sg_id))
    g.spec.network_id = net_rec.id
    g.status.state = _state_enum("SecurityGroupStatus", "READY")
    g.status.default = True
    rec = st.add("security_group", g)
    _default_rules(st, rec, rule_ids)
    return rec


def _new_private_pool(st, pool_id=None):
    pool_id = pool_id or st.new_id("vpcpool")
    st.pools[pool_id] = {"cidr": NETWORK_PRIVATE_CIDR, "public": False}
    return pool_id


def _subnet_status(s, cidr, private_pool):
    s.status.ClearField("ipv4_private_cidrs")
    s.status.ClearField("ipv4_public_cidrs")
    s.status.ClearField("ipv4_private_pools")
    s.status.ClearField("ipv4_public_pools")
    s.status.ipv4_private_cidrs.append(cidr)
    s.status.ipv4_public_cidrs.append(PUBLIC_CIDR)
    s.status.ipv4_private_pools.add(pool_id=private_pool, cidrs=[cidr])
    s.status.ipv4_public_pools.add(pool_id=PUBLIC_POOL_ID, cidrs=[PUBLIC_CIDR])
    s.status.route_table.id = "vpcroutetable-sim-" + s.spec.network_id.split("-", 1)[-1]
    s.status.route_table.default = True


def install_presets(st):
    st.pools[PUBLIC_POOL_ID] = {"cidr": PUBLIC_CIDR, "public": True}
    _new_private_pool(st, DEFAULT_PRIVATE_POOL_ID)
    md = protos.msg("nebius.common.v1.ResourceMetadata")
    n = M("Network")()
    n.metadata.CopyFrom(resources.new_metadata(st, "vpcnetwork", md(parent_id=PROJECT_ID, name="default-network"),
                                               DEFAULT_NETWORK_ID))
    n.spec.ipv4_private_pools.pools.add(id=DEFAULT_PRIVATE_POOL_ID)
    n.spec.ipv4_public_pools.pools.add(id=PUBLIC_POOL_ID)
    n.status.state = _state_enum("NetworkStatus", "READY")
    n.status.default_route_table_id = "vpcroutetable-sim0000000001"
    net = st.add("network", n)
    net.extra["private_pool"] = DEFAULT_PRIVATE_POOL_ID
    s = M("Subnet")()
    s.metadata.CopyFrom(resources.new_metadata(st, "vpcsubnet", md(parent_id=PROJECT_ID, name="default-subnet"),
                                               DEFAULT_SUBNET_ID))
    s.spec.network_id = DEFAULT_NETWORK_ID
    s.spec.ipv4_private_pools.use_network_pools = True
    s.spec.ipv4_public_pools.use_network_pools = True
    _subnet_status(s, "10.0.0.0/16", DEFAULT_PRIVATE_POOL_ID)
    s.status.state = _state_enum("SubnetStatus", "READY")
    sub = st.add("subnet", s)
    sub.extra["private_cidr"] = "10.0.0.0/16"
    sub.extra["private_pool"] = DEFAULT_PRIVATE_POOL_ID
    _new_default_group(st, net, DEFAULT_SG_ID, ("vpcsecurityrule-sim0000000001", "vpcsecurityrule-sim0000000002"))


# --- generic op helpers -------------------------------------------------------------------------

def _create_op(st, call, rec, kind_label, ready_state=None, cleanup=None):
    def done(_due):
        if ready_state is not None and st.get(rec.id) is rec:
            rec.msg.status.state = ready_state

    def fail(_due):
        if st.get(rec.id) is rec:
            st.remove(rec.id)
        if cleanup:
            cleanup()
    return operations.start(st, call, rec.id, "Create %s" % kind_label, rec.msg.metadata.parent_id, done, fail)


def _delete_op(st, call, rec, kind_label, deleting_state=None, cleanup=None):
    old_state = rec.msg.status.state
    if deleting_state is not None:
        rec.msg.status.state = deleting_state

    def done(_due):
        if st.get(rec.id) is rec:
            st.remove(rec.id)
            if cleanup:
                cleanup()

    def fail(_due):
        rec.msg.status.state = old_state
    return operations.start(st, call, rec.id, "Delete %s" % kind_label, rec.msg.metadata.parent_id, done, fail)


def _update_op(st, call, rec, kind_label, apply):
    """Validation has happened; `apply` mutates the record when the operation completes."""
    def done(_due):
        if st.get(rec.id) is rec:
            apply()
            resources.touch(rec)
    return operations.start(st, call, rec.id, "Update %s" % kind_label, rec.msg.metadata.parent_id, done)


def _no_conflict(st, service, rid):
    op = operations.pending_op(st, rid)
    if op is not None:
        raise errors.operation_conflict(service, rid, op)


# --- networks -----------------------------------------------------------------------------------

def _check_pools(st, spec_pools, public, field):
    for i, p in enumerate(spec_pools):
        info = st.pools.get(p.id)
        if info is None:
            raise errors.not_found(NET, p.id, "pool %s not found" % p.id)
        if info["public"] != public:
            raise errors.invalid(NET, "%s.pools[%d].id" % (field, i), "pool %s is %s" %
                                 (p.id, "public" if info["public"] else "private"))


def _network_create_common(st, call, md, spec):
    resources.check_create_metadata(st, NET, "network", md, vpc=True)
    n = M("Network")()
    n.metadata.CopyFrom(resources.new_metadata(st, "vpcnetwork", md))
    if spec is not None:
        n.spec.CopyFrom(spec)
    _check_pools(st, n.spec.ipv4_private_pools.pools, False, "spec.ipv4_private_pools")
    _check_pools(st, n.spec.ipv4_public_pools.pools, True, "spec.ipv4_public_pools")
    if not n.spec.ipv4_private_pools.pools:
        n.spec.ipv4_private_pools.pools.add(id=_new_private_pool(st))
    if not n.spec.ipv4_public_pools.pools:
        n.spec.ipv4_public_pools.pools.add(id=PUBLIC_POOL_ID)
    n.status.state = _state_enum("NetworkStatus", "CREATING")
    n.status.default_route_table_id = st.new_id("vpcroutetable")
    rec = st.add("network", n)
    rec.extra["private_pool"] = n.spec.ipv4_private_pools.pools[0].id
    sg = _new_default_group(st, rec)

    def cleanup():
        for r in st.of_kind("security_rule", lambda r: r.msg.metadata.parent_id == sg.id):
            st.remove(r.id)
        st.remove(sg.id)
    return _create_op(st, call, rec, "network", _state_enum("NetworkStatus", "READY"), cleanup)


def network_create(st, call):
    return _network_create_common(st, call, call.request.metadata, call.request.spec)


def network_create_default(st, call):
    md = protos.msg("nebius.common.v1.ResourceMetadata")()
    md.CopyFrom(call.request.metadata)
    if not md.name:
        md.name = "default-network"
    return _network_create_common(st, call, md, None)


def network_update(st, call):
    req = call.request
    rec = resources.check_update_metadata(st, NET, "network", req.metadata)
    _no_conflict(st, NET, rec.id)
    _check_pools(st, req.spec.ipv4_private_pools.pools, False, "spec.ipv4_private_pools")
    _check_pools(st, req.spec.ipv4_public_pools.pools, True, "spec.ipv4_public_pools")
    mask = call.reset_mask

    def apply():
        resources.update_name_and_labels(st, NET, "network", rec, req.metadata, mask, vpc=True)
        for f in ("ipv4_private_pools", "ipv4_public_pools"):
            if getattr(req.spec, f).pools:
                getattr(rec.msg.spec, f).CopyFrom(getattr(req.spec, f))
            elif resources.is_reset(mask, "spec.%s" % f):
                rec.msg.spec.ClearField(f)
    resources.update_name_and_labels(st, NET, "network", _Scratch(rec), req.metadata, "", vpc=True)
    return _update_op(st, call, rec, "network", apply)


class _Scratch:
    """A throw-away copy of a record, to run update validation before the operation is created."""

    def __init__(self, rec):
        self.id = rec.id
        self.msg = type(rec.msg)()
        self.msg.CopyFrom(rec.msg)


def network_delete(st, call):
    rec = resources.get_or_404(st, NET, "network", call.request.id)
    subnets = st.of_kind("subnet", lambda r: r.msg.spec.network_id == rec.id)
    if subnets:
        raise errors.bad_state(NET, rec.id, "network %s still has subnets: %s"
                               % (rec.id, ", ".join(r.id for r in subnets)))
    groups = st.of_kind("security_group", lambda r: r.msg.spec.network_id == rec.id and not r.msg.status.default)
    if groups:
        raise errors.bad_state(NET, rec.id, "network %s still has security groups: %s"
                               % (rec.id, ", ".join(r.id for r in groups)))

    def cleanup():
        for g in st.of_kind("security_group", lambda r: r.msg.spec.network_id == rec.id):
            for r in st.of_kind("security_rule", lambda r: r.msg.metadata.parent_id == g.id):
                st.remove(r.id)
            st.remove(g.id)
    return _delete_op(st, call, rec, "network", _state_enum("NetworkStatus", "DELETING"), cleanup)


# --- subnets ------------------------------------------------------------------------------------

def _subnet_cidrs_in_network(st, network_id, exclude=None):
    return [ipaddress.IPv4Network(r.extra["private_cidr"]) for r in st.of_kind("subnet")
            if r.msg.spec.network_id == network_id and r.id != exclude and "private_cidr" in r.extra]


def _pick_subnet_cidr(st, net_rec, requested):
    pool = ipaddress.IPv4Network(st.pools[net_rec.extra["private_pool"]]["cidr"])
    taken = _subnet_cidrs_in_network(st, net_rec.id)
    if requested and not requested.startswith("/"):
        try:
            want = ipaddress.IPv4Network(requested, strict=True)
        except ValueError:
            raise errors.invalid(SUB, "spec.ipv4_private_pools.pools[0].cidrs[0].cidr",
                                 "%r is not an IPv4 network" % requested) from None
        if not want.subnet_of(pool):
            raise errors.invalid(SUB, "spec.ipv4_private_pools.pools[0].cidrs[0].cidr",
                                 "%s is outside the network pool %s" % (want, pool))
        for t in taken:
            if want.overlaps(t):
                raise errors.bad_state(SUB, net_rec.id, "%s overlaps subnet CIDR %s" % (want, t))
        return str(want)
    prefix = SUBNET_AUTO_PREFIX
    if requested:
        try:
            prefix = int(requested[1:])
        except ValueError:
            raise errors.invalid(SUB, "spec.ipv4_private_pools.pools[0].cidrs[0].cidr",
                                 "bad prefix %r" % requested) from None
        if not pool.prefixlen <= prefix <= 29:
            raise errors.invalid(SUB, "spec.ipv4_private_pools.pools[0].cidrs[0].cidr",
                                 "prefix must be between /%d and /29" % pool.prefixlen)
    for cand in pool.subnets(new_prefix=prefix):
        if not any(cand.overlaps(t) for t in taken):
            return str(cand)
    raise errors.bad_state(SUB, net_rec.id, "network %s has no free /%d block" % (net_rec.id, prefix))


def subnet_create(st, call):
    req = call.request
    if not req.HasField("spec"):
        raise errors.invalid(SUB, "spec", "required")
    resources.check_create_metadata(st, SUB, "subnet", req.metadata, vpc=True)
    if not req.spec.network_id:
        raise errors.invalid(SUB, "spec.network_id", "required")
    net = st.get(req.spec.network_id, "network")
    if net is None:
        raise errors.not_found(SUB, req.spec.network_id, "network %s not found" % req.spec.network_id)
    if net.msg.metadata.parent_id != req.metadata.parent_id:
        raise errors.invalid(SUB, "spec.network_id", "network %s is in another project" % net.id)
    requested = ""
    for p in req.spec.ipv4_private_pools.pools:
        for c in p.cidrs:
            requested = requested or c.cidr
    cidr = _pick_subnet_cidr(st, net, requested)
    s = M("Subnet")()
    s.metadata.CopyFrom(resources.new_metadata(st, "vpcsubnet", req.metadata))
    s.spec.CopyFrom(req.spec)
    if not s.spec.ipv4_private_pools.pools:
        s.spec.ipv4_private_pools.use_network_pools = True
    if not s.spec.ipv4_public_pools.pools:
        s.spec.ipv4_public_pools.use_network_pools = True
    _subnet_status(s, cidr, net.extra["private_pool"])
    s.status.state = _state_enum("SubnetStatus", "CREATING")
    rec = st.add("subnet", s)
    rec.extra["private_cidr"] = cidr
    rec.extra["private_pool"] = net.extra["private_pool"]
    return _create_op(st, call, rec, "subnet", _state_enum("SubnetStatus", "READY"))


def subnet_update(st, call):
    req = call.request
    rec = resources.check_update_metadata(st, SUB, "subnet", req.metadata)
    _no_conflict(st, SUB, rec.id)
    if req.spec.network_id and req.spec.network_id != rec.msg.spec.network_id:
        raise errors.invalid(SUB, "spec.network_id", "is immutable")
    resources.update_name_and_labels(st, SUB, "subnet", _Scratch(rec), req.metadata, "", vpc=True)
    mask = call.reset_mask

    def apply():
        resources.update_name_and_labels(st, SUB, "subnet", rec, req.metadata, mask, vpc=True)
        if req.spec.route_table_id:
            rec.msg.spec.route_table_id = req.spec.route_table_id
        elif resources.is_reset(mask, "spec.route_table_id"):
            rec.msg.spec.route_table_id = ""
    return _update_op(st, call, rec, "subnet", apply)


def subnet_delete(st, call):
    rec = resources.get_or_404(st, SUB, "subnet", call.request.id)
    users = [r.id for r in st.of_kind("instance")
             if any(n.subnet_id == rec.id for n in r.msg.spec.network_interfaces)]
    users += [r.id for r in st.of_kind("allocation") if r.msg.status.details.subnet_id == rec.id
              and r.msg.spec.HasField("ipv4_private")]
    if users:
        raise errors.bad_state(SUB, rec.id, "subnet %s is in use by %s" % (rec.id, ", ".join(users)))
    return _delete_op(st, call, rec, "subnet", _state_enum("SubnetStatus", "DELETING"))


# --- security groups ----------------------------------------------------------------------------

def sg_create(st, call):
    req = call.request
    if not req.HasField("spec"):
        raise errors.invalid(SG, "spec", "required")
    resources.check_create_metadata(st, SG, "security_group", req.metadata, vpc=True)
    if not req.spec.network_id:
        raise errors.invalid(SG, "spec.network_id", "required")
    net = st.get(req.spec.network_id, "network")
    if net is None:
        raise errors.not_found(SG, req.spec.network_id, "network %s not found" % req.spec.network_id)
    if net.msg.metadata.parent_id != req.metadata.parent_id:
        raise errors.invalid(SG, "spec.network_id", "network %s is in another project" % net.id)
    g = M("SecurityGroup")()
    g.metadata.CopyFrom(resources.new_metadata(st, "vpcsecuritygroup", req.metadata))
    g.spec.CopyFrom(req.spec)
    rec = st.add("security_group", g)
    return _create_op(st, call, rec, "security group", _state_enum("SecurityGroupStatus", "READY"))


def sg_update(st, call):
    req = call.request
    rec = resources.check_update_metadata(st, SG, "security_group", req.metadata)
    _no_conflict(st, SG, rec.id)
    if req.spec.network_id and req.spec.network_id != rec.msg.spec.network_id:
        raise errors.invalid(SG, "spec.network_id", "is immutable")
    resources.update_name_and_labels(st, SG, "security_group", _Scratch(rec), req.metadata, "", vpc=True)
    mask = call.reset_mask
    return _update_op(st, call, rec, "security group",
                      lambda: resources.update_name_and_labels(st, SG, "security_group", rec, req.metadata,
                                                               mask, vpc=True))


def instances_using_group(st, sg_id):
    out = []
    for r in st.of_kind("instance"):
        for n in r.msg.status.network_interfaces:
            if any(g.id == sg_id for g in n.security_groups):
                out.append(r.id)
                break
        else:
            if any(g.id == sg_id for n in r.msg.spec.network_interfaces for g in n.security_groups):
                out.append(r.id)
    return out


def sg_delete(st, call):
    rec = resources.get_or_404(st, SG, "security_group", call.request.id)
    if rec.msg.status.default:
        raise errors.bad_state(SG, rec.id, "the default security group of network %s cannot be deleted"
                               % rec.msg.spec.network_id)
    users = instances_using_group(st, rec.id)
    if users:
        raise errors.bad_state(SG, rec.id, "security group %s is used by instances: %s" % (rec.id, ", ".join(users)))

    def cleanup():
        for r in st.of_kind("security_rule", lambda r: r.msg.metadata.parent_id == rec.id):
            st.remove(r.id)
    return _delete_op(st, call, rec, "security group", None, cleanup)


# --- security rules -----------------------------------------------------------------------------

def _normalize_rule(r):
    if r.spec.priority == 0:
        r.spec.priority = 500
    if r.spec.type == 0:
        r.spec.type = enum("nebius.vpc.v1.RuleType", "STATEFUL")


def _fill_rule_status(r, sg_id):
    st_ = r.status
    st_.effective_priority = r.spec.priority or 500
    st_.ClearField("source")
    st_.ClearField("destination")
    if r.spec.HasField("ingress"):
        ing = r.spec.ingress
        st_.direction = enum("nebius.vpc.v1.RuleDirection", "INGRESS")
        st_.source.security_group_id = ing.source_security_group_id
        st_.source.cidrs.extend(ing.source_cidrs)
        st_.destination.security_group_id = sg_id
        st_.destination.ports.extend(ing.destination_ports)
    else:
        eg = r.spec.egress
        st_.direction = enum("nebius.vpc.v1.RuleDirection", "EGRESS")
        st_.source.security_group_id = sg_id
        st_.destination.security_group_id = eg.destination_security_group_id
        st_.destination.cidrs.extend(eg.destination_cidrs)
        st_.destination.ports.extend(eg.destination_ports)


def validate_rule_spec(st, spec, sg_rec):
    """Every check the real validator documents for SecurityRuleSpec; raises INVALID_ARGUMENT/NOT_FOUND."""
    if spec.access not in (enum("nebius.vpc.v1.RuleAccessAction", "ALLOW"),
                           enum("nebius.vpc.v1.RuleAccessAction", "DENY")):
        raise errors.invalid(RULE, "spec.access", "required: ALLOW or DENY")
    protocols = {enum("nebius.vpc.v1.RuleProtocol", n): n for n in ("ANY", "TCP", "UDP", "ICMP")}
    if spec.protocol not in protocols:
        raise errors.invalid(RULE, "spec.protocol", "required: ANY, TCP, UDP or ICMP")
    if not 0 <= spec.priority <= 1000:
        raise errors.invalid(RULE, "spec.priority", "must be in 0..1000 (got %d)" % spec.priority)
    if spec.type not in (0, enum("nebius.vpc.v1.RuleType", "STATEFUL"), enum("nebius.vpc.v1.RuleType", "STATELESS")):
        raise errors.invalid(RULE, "spec.type", "unknown rule type %d" % spec.type)
    which = spec.WhichOneof("match")
    if which is None:
        raise errors.invalid(RULE, "spec.match", "exactly one of ingress or egress is required")
    m = getattr(spec, which)
    if which == "ingress":
        peer_sg, cidrs, ports = m.source_security_group_id, m.source_cidrs, m.destination_ports
        sg_field, cidr_field = "spec.ingress.source_security_group_id", "spec.ingress.source_cidrs"
        port_field = "spec.ingress.destination_ports"
    else:
        peer_sg, cidrs, ports = m.destination_security_group_id, m.destination_cidrs, m.destination_ports
        sg_field, cidr_field = "spec.egress.destination_security_group_id", "spec.egress.destination_cidrs"
        port_field = "spec.egress.destination_ports"
    if len(cidrs) > MAX_RULE_CIDRS:
        raise errors.invalid(RULE, cidr_field, "at most %d CIDRs per rule (got %d)" % (MAX_RULE_CIDRS, len(cidrs)))
    for i, c in enumerate(cidrs):
        if "/" not in c:
            raise errors.invalid(RULE, "%s[%d]" % (cidr_field, i), "%r is not an IPv4 CIDR (a.b.c.d/n)" % c)
        try:
            ipaddress.IPv4Network(c, strict=True)
        except ValueError as e:
            raise errors.invalid(RULE, "%s[%d]" % (cidr_field, i), "%r is not a valid IPv4 CIDR: %s" % (c, e)) from None
    if len(ports) > MAX_RULE_PORTS:
        raise errors.invalid(RULE, port_field, "at most %d ports per rule (got %d)" % (MAX_RULE_PORTS, len(ports)))
    for i, p in enumerate(ports):
        if not 1 <= p <= 65535:
            raise errors.invalid(RULE, "%s[%d]" % (port_field, i), "port %d outside 1..65535" % p)
    if ports and protocols[spec.protocol] not in ("TCP", "UDP"):
        raise errors.invalid(RULE, port_field, "ports need protocol TCP or UDP")
    if peer_sg and cidrs:
        raise errors.invalid(RULE, sg_field, "set either a security group or CIDRs, not both")
    if peer_sg:
        peer = st.get(peer_sg, "security_group")
        if peer is None:
            raise errors.not_found(RULE, peer_sg, "security group %s not found" % peer_sg)
        if peer.msg.spec.network_id != sg_rec.msg.spec.network_id:
            raise errors.invalid(RULE, sg_field, "security group %s is in another network" % peer_sg)


def rule_create(st, call):
    req = call.request
    if not req.HasField("spec"):
        raise errors.invalid(RULE, "spec", "required")
    md = req.metadata
    if md.id:
        raise errors.invalid(RULE, "metadata.id", "must not be set on Create")
    if not md.parent_id:
        raise errors.invalid(RULE, "metadata.parent_id", "required (the security group id)")
    sg = st.get(md.parent_id, "security_group")
    if sg is None:
        raise errors.not_found(RULE, md.parent_id, "security group %s not found" % md.parent_id)
    resources.check_create_metadata(st, RULE, "security_rule", md, vpc=True, parent_kind="security_group")
    validate_rule_spec(st, req.spec, sg)
    r = M("SecurityRule")()
    r.metadata.CopyFrom(resources.new_metadata(st, "vpcsecurityrule", md))
    r.spec.CopyFrom(req.spec)
    _normalize_rule(r)
    _fill_rule_status(r, sg.id)
    r.status.state = _state_enum("SecurityRuleStatus", "CREATING")
    rec = st.add("security_rule", r)
    return _create_op(st, call, rec, "security rule", _state_enum("SecurityRuleStatus", "READY"))


def _immutable_spec_diff(req_spec, cur_spec, prefix="spec"):
    """First field set in the request whose value differs from the stored spec, or None."""
    for fd, value in req_spec.ListFields():
        cur = getattr(cur_spec, fd.name)
        if fd.message_type is not None and fd.label != fd.LABEL_REPEATED:
            if not cur_spec.HasField(fd.name):
                return "%s.%s" % (prefix, fd.name)
            sub = _immutable_spec_diff(value, cur, "%s.%s" % (prefix, fd.name))
            if sub:
                return sub
        elif fd.label == fd.LABEL_REPEATED:
            if list(value) != list(cur):
                return "%s.%s" % (prefix, fd.name)
        elif value != cur:
            return "%s.%s" % (prefix, fd.name)
    return None


def rule_update(st, call):
    req = call.request
    rec = resources.check_update_metadata(st, RULE, "security_rule", req.metadata)
    _no_conflict(st, RULE, rec.id)
    diff = _immutable_spec_diff(req.spec, rec.msg.spec)
    if diff:
        raise errors.invalid(RULE, diff, "security rule spec fields are immutable (delete and re-create the rule)")
    resources.update_name_and_labels(st, RULE, "security_rule", _Scratch(rec), req.metadata, "", vpc=True)
    mask = call.reset_mask
    return _update_op(st, call, rec, "security rule",
                      lambda: resources.update_name_and_labels(st, RULE, "security_rule", rec, req.metadata,
                                                               mask, vpc=True))


def rule_delete(st, call):
    rec = resources.get_or_404(st, RULE, "security_rule", call.request.id)
    return _delete_op(st, call, rec, "security rule", _state_enum("SecurityRuleStatus", "DELETING"))


# --- allocations --------------------------------------------------------------------------------

def alloc_create(st, call):
    req = call.request
    if not req.HasField("spec"):
        raise errors.invalid(ALLOC, "spec", "required")
    resources.check_create_metadata(st, ALLOC, "allocation", req.metadata, vpc=True)
    which = req.spec.WhichOneof("ip_spec")
    if which is None:
        raise errors.invalid(ALLOC, "spec.ip_spec", "one of ipv4_private or ipv4_public is required")
    spec = getattr(req.spec, which)
    public = which == "ipv4_public"
    pool_which = spec.WhichOneof("pool")
    if pool_which is None:
        raise errors.invalid(ALLOC, "spec.%s.pool" % which, "one of subnet_id or pool_id is required")
    subnet = None
    if pool_which == "subnet_id":
        subnet = st.get(spec.subnet_id, "subnet")
        if subnet is None:
            raise errors.not_found(ALLOC, spec.subnet_id, "subnet %s not found" % spec.subnet_id)
        if subnet.msg.metadata.parent_id != req.metadata.parent_id:
            raise errors.invalid(ALLOC, "spec.%s.subnet_id" % which, "subnet is in another project")
    else:
        info = st.pools.get(spec.pool_id)
        if info is None:
            raise errors.not_found(ALLOC, spec.pool_id, "pool %s not found" % spec.pool_id)
        if info["public"] != public:
            raise errors.invalid(ALLOC, "spec.%s.pool_id" % which, "pool visibility does not match")
        if not public:
            subs = st.of_kind("subnet", lambda r: r.extra.get("private_pool") == spec.pool_id)
            if not subs:
                raise errors.bad_state(ALLOC, spec.pool_id, "pool %s has no subnet" % spec.pool_id)
            subnet = subs[0]
    cidr = spec.cidr
    if cidr and cidr != "/32":
        try:
            want = ipaddress.IPv4Network(cidr if "/" in cidr else cidr + "/32", strict=True)
        except ValueError:
            raise errors.invalid(ALLOC, "spec.%s.cidr" % which, "%r is not an IPv4 address or /32" % cidr) from None
        if want.prefixlen != 32:
            raise errors.invalid(ALLOC, "spec.%s.cidr" % which, "only single addresses (/32) are supported")
        addr = str(want.network_address)
        pool_net = ipaddress.IPv4Network(PUBLIC_CIDR if public else subnet.extra["private_cidr"])
        if want.network_address not in pool_net:
            raise errors.invalid(ALLOC, "spec.%s.cidr" % which, "%s is outside %s" % (addr, pool_net))
        used = used_public(st) if public else used_private(st, subnet.id)
        if addr in used:
            raise errors.already_exists(ALLOC, addr, "address %s is already allocated" % addr)
    else:
        addr = allocate_public(st) if public else allocate_private(st, subnet)
    rec = new_allocation(st, req.metadata.parent_id, req.metadata.name, public,
                         subnet.id if subnet else "", addr, True, dict(req.metadata.labels))
    if not subnet:
        rec.msg.status.details.subnet_id = ""
    rec.msg.spec.CopyFrom(req.spec)
    rec.msg.status.state = _state_enum("AllocationStatus", "CREATING")
    return _create_op(st, call, rec, "allocation", _state_enum("AllocationStatus", "ALLOCATED"))


def alloc_update(st, call):
    req = call.request
    rec = resources.check_update_metadata(st, ALLOC, "allocation", req.metadata)
    _no_conflict(st, ALLOC, rec.id)
    diff = _immutable_spec_diff(req.spec, rec.msg.spec)
    if diff:
        raise errors.invalid(ALLOC, diff, "allocation spec is immutable")
    resources.update_name_and_labels(st, ALLOC, "allocation", _Scratch(rec), req.metadata, "", vpc=True)
    mask = call.reset_mask
    return _update_op(st, call, rec, "allocation",
                      lambda: resources.update_name_and_labels(st, ALLOC, "allocation", rec, req.metadata,
                                                               mask, vpc=True))


def alloc_delete(st, call):
    rec = resources.get_or_404(st, ALLOC, "allocation", call.request.id)
    if rec.msg.status.state == _state_enum("AllocationStatus", "ASSIGNED"):
        na = rec.msg.status.assignment.network_interface
        raise errors.bad_state(ALLOC, rec.id, "allocation %s is assigned to %s/%s" % (rec.id, na.instance_id, na.name))
    return _delete_op(st, call, rec, "allocation", _state_enum("AllocationStatus", "DELETING"))


def _project_check(service):
    return resources.project_exists_check(service)


def _sg_check(service):
    def check(st, sg_id):
        if st.get(sg_id, "security_group") is None:
            raise errors.not_found(service, sg_id, "security group %s not found" % sg_id)
    return check


def _net_check(service):
    def check(st, network_id):
        if st.get(network_id, "network") is None:
            raise errors.not_found(service, network_id, "network %s not found" % network_id)
    return check


HANDLERS = {
    "/nebius.vpc.v1.NetworkService/Get": resources.get_handler(NET, "network"),
    "/nebius.vpc.v1.NetworkService/GetByName": resources.get_by_name_handler(NET, "network"),
    "/nebius.vpc.v1.NetworkService/List": resources.list_handler(NET, "network", "nebius.vpc.v1.ListNetworksResponse",
                                                                 check_parent=_project_check(NET)),
    "/nebius.vpc.v1.NetworkService/Create": network_create,
    "/nebius.vpc.v1.NetworkService/CreateDefault": network_create_default,
    "/nebius.vpc.v1.NetworkService/Update": network_update,
    "/nebius.vpc.v1.NetworkService/Delete": network_delete,

    "/nebius.vpc.v1.SubnetService/Get": resources.get_handler(SUB, "subnet"),
    "/nebius.vpc.v1.SubnetService/GetByName": resources.get_by_name_handler(SUB, "subnet"),
    "/nebius.vpc.v1.SubnetService/List": resources.list_handler(SUB, "subnet", "nebius.vpc.v1.ListSubnetsResponse",
                                                                check_parent=_project_check(SUB)),
    "/nebius.vpc.v1.SubnetService/ListByNetwork": resources.list_handler(
        SUB, "subnet", "nebius.vpc.v1.ListSubnetsResponse", "network_id",
        lambda r, v: r.msg.spec.network_id == v, _net_check(SUB)),
    "/nebius.vpc.v1.SubnetService/Create": subnet_create,
    "/nebius.vpc.v1.SubnetService/Update": subnet_update,
    "/nebius.vpc.v1.SubnetService/Delete": subnet_delete,

    "/nebius.vpc.v1.SecurityGroupService/Get": resources.get_handler(SG, "security_group"),
    "/nebius.vpc.v1.SecurityGroupService/GetByName": resources.get_by_name_handler(SG, "security_group"),
    "/nebius.vpc.v1.SecurityGroupService/List": resources.list_handler(
        SG, "security_group", "nebius.vpc.v1.ListSecurityGroupsResponse", check_parent=_project_check(SG)),
    "/nebius.vpc.v1.SecurityGroupService/ListByNetwork": resources.list_handler(
        SG, "security_group", "nebius.vpc.v1.ListSecurityGroupsResponse", "network_id",
        lambda r, v: r.msg.spec.network_id == v, _net_check(SG)),
    "/nebius.vpc.v1.SecurityGroupService/Create": sg_create,
    "/nebius.vpc.v1.SecurityGroupService/Update": sg_update,
    "/nebius.vpc.v1.SecurityGroupService/Delete": sg_delete,

    "/nebius.vpc.v1.SecurityRuleService/Get": resources.get_handler(RULE, "security_rule"),
    "/nebius.vpc.v1.SecurityRuleService/GetByName": resources.get_by_name_handler(RULE, "security_rule"),
    "/nebius.vpc.v1.SecurityRuleService/List": resources.list_handler(
        RULE, "security_rule", "nebius.vpc.v1.ListSecurityRulesResponse", check_parent=_sg_check(RULE)),
    "/nebius.vpc.v1.SecurityRuleService/Create": rule_create,
    "/nebius.vpc.v1.SecurityRuleService/Update": rule_update,
    "/nebius.vpc.v1.SecurityRuleService/Delete": rule_delete,

    "/nebius.vpc.v1.AllocationService/Get": resources.get_handler(ALLOC, "allocation"),
    "/nebius.vpc.v1.AllocationService/GetByName": resources.get_by_name_handler(ALLOC, "allocation"),
    "/nebius.vpc.v1.AllocationService/List": resources.list_handler(
        ALLOC, "allocation", "nebius.vpc.v1.ListAllocationsResponse", check_parent=_project_check(ALLOC)),
    "/nebius.vpc.v1.AllocationService/ListByPool": resources.list_handler(
        ALLOC, "allocation", "nebius.vpc.v1.ListAllocationsResponse", "pool_id",
        lambda r, v: r.msg.status.details.pool_id == v),
    "/nebius.vpc.v1.AllocationService/ListBySubnet": resources.list_handler(
        ALLOC, "allocation", "nebius.vpc.v1.ListAllocationsResponse", "subnet_id",
        lambda r, v: r.msg.status.details.subnet_id == v),
    "/nebius.vpc.v1.AllocationService/Create": alloc_create,
    "/nebius.vpc.v1.AllocationService/Update": alloc_update,
    "/nebius.vpc.v1.AllocationService/Delete": alloc_delete,
}
