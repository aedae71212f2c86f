"""Security-group flow evaluator (admin EvaluateFlow).

A flow goes from a source (instance or external IPv4) to a destination
(instance or external IPv4) with a protocol and a port. Egress is evaluated on
the source instance's groups, ingress on the destination instance's groups;
a side that is an external address is not evaluated. On each side the rules
of every group of the interface (an empty list means the network's default
group) are merged and sorted by effective priority, lower first, DENY before
ALLOW at equal priority (then creation order). The first rule that matches
protocol, port and peer decides; no match is the implicit deny. A STATEFUL
rule (the default) admits the flow's replies too, so only the initiating
direction is checked. A STATELESS rule does not: when one lets the flow out
of the source (egress) or into the destination (ingress), the replies must
pass that same side's rules in the other direction (the source's ingress,
the destination's egress), from the other end, to an unknown (ephemeral)
port, which only a rule without a port list matches.

Peer matching: a CIDR list matches the other side's address (an instance's
private address of the interface used, or the external IP); a security-group
id matches when the other side is an instance whose interface is in that
group; neither means any peer. Rules take effect once READY (and until gone).
Instances talk over a pair of interfaces on the same network; if they share
no network the flow is refused ("no common network"). An external address
reaches an instance only through a public IP (its first interface with one);
an instance without one is unreachable from outside, whatever the rules say.
"""
import ipaddress

from . import errors, protos, vpc

ADMIN = "nebiussim.v1.AdminService"
PROTOCOLS = ("tcp", "udp", "icmp")


def _e(full, name):
    return vpc.enum(full, name)


class Endpoint:
    def __init__(self, instance=None, nic=None, ip=None):
        self.instance = instance   # Record or None
        self.nic = nic             # index of the interface used
        self.ip = ip               # ipaddress.IPv4Address

    def groups(self, st):
        if self.instance is None:
            return []
        ns = self.instance.msg.status.network_interfaces[self.nic]
        ids = [g.id for g in ns.security_groups]
        if not ids:
            net = vpc.network_of_subnet(st, self.instance.msg.spec.network_interfaces[self.nic].subnet_id)
            d = vpc.default_group_of(st, net)
            ids = [d.id] if d else []
        return ids

    def network(self, st):
        return vpc.network_of_subnet(st, self.instance.msg.spec.network_interfaces[self.nic].subnet_id)

    def label(self):
        return self.instance.id if self.instance else str(self.ip)


def _private_ip(rec, i):
    return ipaddress.IPv4Address(vpc._bare(rec.msg.status.network_interfaces[i].ip_address.address))


def _instance(st, iid, side):
    rec = st.get(iid, "instance")
    if rec is None:
        raise errors.not_found(ADMIN, iid, "%s instance %s not found" % (side, iid))
    if not len(rec.msg.status.network_interfaces):
        raise errors.bad_state(ADMIN, iid, "instance %s has no network interfaces" % iid)
    return rec


def _external(ip, field):
    try:
        return ipaddress.IPv4Address(ip)
    except ValueError:
        raise errors.invalid(ADMIN, field, "%r is not an IPv4 address" % ip) from None


def _public_nic(rec):
    """Index of the first interface with a public address, or None."""
    for i, ns in enumerate(rec.msg.status.network_interfaces):
        if ns.HasField("public_ip_address") and ns.public_ip_address.address:
            return i
    return None


def resolve(st, req):
    if bool(req.source_instance_id) == bool(req.source_ip):
        raise errors.invalid(ADMIN, "source", "set exactly one of source_instance_id or source_ip")
    if bool(req.destination_instance_id) == bool(req.destination_ip):
        raise errors.invalid(ADMIN, "destination", "set exactly one of destination_instance_id or destination_ip")
    if req.source_ip and req.destination_ip:
        raise errors.invalid(ADMIN, "source", "at least one side must be an instance")
    src_rec = _instance(st, req.source_instance_id, "source") if req.source_instance_id else None
    dst_rec = _instance(st, req.destination_instance_id, "destination") if req.destination_instance_id else None
    if src_rec is not None and dst_rec is not None:
        for i in range(len(src_rec.msg.status.network_interfaces)):
            for j in range(len(dst_rec.msg.status.network_interfaces)):
                a = Endpoint(src_rec, i, _private_ip(src_rec, i))
                b = Endpoint(dst_rec, j, _private_ip(dst_rec, j))
                if a.network(st) == b.network(st):
                    return a, b
        return None, None
    if src_rec is not None:
        i = _public_nic(src_rec)
        i = 0 if i is None else i
        return Endpoint(src_rec, i, _private_ip(src_rec, i)), Endpoint(ip=_external(req.destination_ip,
                                                                                    "destination_ip"))
    src = Endpoint(ip=_external(req.source_ip, "source_ip"))
    j = _public_nic(dst_rec)
    if j is None:
        return src, None  # nothing outside the VPC can address it
    return src, Endpoint(dst_rec, j, _private_ip(dst_rec, j))


def effective_rules(st, group_ids, direction):
    """Rules in effect for these groups and direction, in evaluation order."""
    live = (_e("nebius.vpc.v1.SecurityRuleStatus.State", "READY"),
            _e("nebius.vpc.v1.SecurityRuleStatus.State", "DELETING"))
    deny = _e("nebius.vpc.v1.RuleAccessAction", "DENY")
    rules = [r for r in st.of_kind("security_rule")
             if r.msg.metadata.parent_id in group_ids and r.msg.spec.HasField(direction)
             and r.msg.status.state in live]
    rules.sort(key=lambda r: (r.msg.status.effective_priority or r.msg.spec.priority or 500,
                              0 if r.msg.spec.access == deny else 1, r.seq))
    return rules


def _rule_matches(st, rule, direction, peer, protocol, port):
    spec = rule.msg.spec
    proto_name = protos.pool().FindEnumTypeByName("nebius.vpc.v1.RuleProtocol").values_by_number[spec.protocol].name
    if proto_name != "ANY" and proto_name.lower() != protocol:
        return False
    m = getattr(spec, direction)
    ports = list(m.destination_ports)
    # port None: a reply's destination, the initiator's ephemeral port; no port list names it.
    if ports and (protocol not in ("tcp", "udp") or port is None or port not in ports):
        return False
    peer_sg = m.source_security_group_id if direction == "ingress" else m.destination_security_group_id
    cidrs = list(m.source_cidrs) if direction == "ingress" else list(m.destination_cidrs)
    if peer_sg:
        return peer.instance is not None and peer_sg in peer.groups(st)
    if cidrs:
        return any(peer.ip in ipaddress.IPv4Network(c, strict=False) for c in cidrs)
    return True


def _decide(st, side, groups, peer, protocol, port):
    """(allowed, reason, deciding rule or None for the implicit deny)."""
    allow = _e("nebius.vpc.v1.RuleAccessAction", "ALLOW")
    for rule in effective_rules(st, groups, side):
        if _rule_matches(st, rule, side, peer, protocol, port):
            ok = rule.msg.spec.access == allow
            return ok, "%s %s by rule %s (%s)" % (side, "allowed" if ok else "denied", rule.id,
                                                  rule.msg.metadata.name or "unnamed"), rule
    return False, "%s denied by implicit deny (groups %s)" % (side, ", ".join(groups) or "none"), None


def _stateless(rule):
    return rule is not None and rule.msg.spec.type == _e("nebius.vpc.v1.RuleType", "STATELESS")


def _side(st, side, here, there, protocol, port):
    """Checks one side (egress on the source / ingress on the destination) and, when a STATELESS
    rule let the flow through, its replies on the same side. Returns (allowed, reason)."""
    ok, why, rule = _decide(st, side, here.groups(st), there, protocol, port)
    if not ok or not _stateless(rule):
        return ok, why
    back = "ingress" if side == "egress" else "egress"
    rok, rwhy, _ = _decide(st, back, here.groups(st), there, protocol, None)
    if not rok:
        return False, "%s, a STATELESS rule, so its replies need their own rule: reply %s" % (why, rwhy)
    return True, "%s (STATELESS); reply %s" % (why, rwhy)


def evaluate(st, req):
    """Returns (allowed, reason)."""
    protocol = req.protocol.lower()
    if protocol not in PROTOCOLS:
        raise errors.invalid(ADMIN, "protocol", "must be tcp, udp or icmp")
    if protocol in ("tcp", "udp") and not 1 <= req.port <= 65535:
        raise errors.invalid(ADMIN, "port", "must be in 1..65535 for %s" % protocol)
    src, dst = resolve(st, req)
    if src is None:
        return False, "no common network between %s and %s" % (req.source_instance_id, req.destination_instance_id)
    if dst is None:
        return False, "destination %s has no public IP address: external address %s cannot reach it" % (
            req.destination_instance_id, req.source_ip)
    reasons = []
    if src.instance is not None:
        ok, why = _side(st, "egress", src, dst, protocol, req.port)
        reasons.append(why)
        if not ok:
            return False, why
    if dst.instance is not None:
        ok, why = _side(st, "ingress", dst, src, protocol, req.port)
        reasons.append(why)
        if not ok:
            return False, why
    return True, "; ".join(reasons)
