"""VPC: networks, subnets, security groups, rule validation, allocations."""
import grpc

from simclient import DEFAULT_SG, M, NETWORK, PROJECT, SUBNET, SimTestCase, protos

INVALID = grpc.StatusCode.INVALID_ARGUMENT
RULE_CREATE = "/nebius.vpc.v1.SecurityRuleService/Create"


class RuleValidationTest(SimTestCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.sg = cls.sim.create_group("rules")

    def refused(self, field_part, **kw):
        req = self.sim.rule_request(self.sg, kw.pop("name", "rr"), **kw)
        return self.refused_req(req, field_part)

    def refused_req(self, req, field_part, code=INVALID):
        err, ses = self.assertRpcError(code, self.sim.call, RULE_CREATE, req)
        if code == INVALID:
            self.assertEqual(ses[0].WhichOneof("details"), "bad_request")
            self.assertIn(field_part, ses[0].bad_request.violations[0].field)
        return err

    def test_limits(self):
        self.refused("source_cidrs", cidrs=["10.0.%d.0/24" % i for i in range(9)])
        self.refused("destination_ports", ports=list(range(1000, 1009)))
        self.refused("destination_ports", ports=[0])
        self.refused("destination_ports", ports=[65536])
        self.refused("priority", priority=1001)
        self.refused("priority", priority=-1)
        # exactly at the limits is fine
        rid = self.sim.create_rule(self.sg, "limits", cidrs=["10.0.%d.0/24" % i for i in range(8)],
                                   ports=[1, 2, 3, 4, 5, 6, 7, 65535], priority=1000)
        self.assertTrue(rid.startswith("vpcsecurityrule-"))

    def test_bad_cidrs(self):
        for c in ("10.0.0.0/33", "300.0.0.0/8", "10.0.0.1/24", "fe80::/10", "10.0.0.1", "any"):
            self.refused("source_cidrs", cidrs=[c])

    def test_required_fields(self):
        req = self.sim.rule_request(self.sg, "noaccess")
        req.spec.access = 0
        self.refused_req(req, "spec.access")
        req = self.sim.rule_request(self.sg, "noproto")
        req.spec.protocol = 0
        self.refused_req(req, "spec.protocol")
        req = self.sim.rule_request(self.sg, "nomatch")
        req.spec.ClearField("ingress")
        self.refused_req(req, "spec.match")
        self.refused("ports", protocol="ICMP", ports=[22])
        self.refused("source_security_group_id", peer_sg=DEFAULT_SG, cidrs=["10.0.0.0/8"])
        req = self.sim.rule_request("vpcsecuritygroup-missing", "x")
        self.refused_req(req, "", grpc.StatusCode.NOT_FOUND)
        req = self.sim.rule_request(self.sg, "bad name!")
        self.refused_req(req, "metadata.name")

    def test_defaults_status_and_immutability(self):
        rid = self.sim.create_rule(self.sg, "egress-web", direction="egress", cidrs=["0.0.0.0/0"], ports=[443])
        r = self.sim.call("/nebius.vpc.v1.SecurityRuleService/Get", M("nebius.vpc.v1.GetSecurityRuleRequest")(id=rid))
        self.assertEqual(r.spec.priority, 500)
        self.assertEqual(r.status.effective_priority, 500)
        self.assertEqual(r.spec.type, protos.enum_value("nebius.vpc.v1.RuleType", "STATEFUL"))
        self.assertEqual(r.status.direction, protos.enum_value("nebius.vpc.v1.RuleDirection", "EGRESS"))
        self.assertEqual(list(r.status.destination.ports), [443])
        self.assertEqual(list(r.status.destination.cidrs), ["0.0.0.0/0"])
        self.assertEqual(r.status.source.security_group_id, self.sg)
        upd = M("nebius.vpc.v1.UpdateSecurityRuleRequest")()
        upd.metadata.CopyFrom(r.metadata)
        upd.spec.CopyFrom(r.spec)
        upd.spec.egress.destination_ports[0] = 8443
        self.assertRpcError(INVALID, self.sim.call, "/nebius.vpc.v1.SecurityRuleService/Update", upd)
        upd.spec.CopyFrom(r.spec)
        upd.metadata.labels["team"] = "infra"
        self.sim.wait_ok(self.sim.call("/nebius.vpc.v1.SecurityRuleService/Update", upd))
        r2 = self.sim.call("/nebius.vpc.v1.SecurityRuleService/Get", M("nebius.vpc.v1.GetSecurityRuleRequest")(id=rid))
        self.assertEqual(r2.metadata.labels["team"], "infra")
        self.assertEqual(r2.metadata.resource_version, r.metadata.resource_version + 1)


class NetworkTest(SimTestCase):
    def setUp(self):
        self.sim.admin("Reset")

    def test_presets(self):
        net = self.sim.call("/nebius.vpc.v1.NetworkService/GetByName",
                            M("nebius.vpc.v1.GetNetworkByNameRequest")(parent_id=PROJECT, name="default-network"))
        self.assertEqual(net.metadata.id, NETWORK)
        sub = self.sim.call("/nebius.vpc.v1.SubnetService/Get", M("nebius.vpc.v1.GetSubnetRequest")(id=SUBNET))
        self.assertEqual(list(sub.status.ipv4_private_cidrs), ["10.0.0.0/16"])
        self.assertEqual(sub.metadata.name, "default-subnet")
        groups = self.sim.call("/nebius.vpc.v1.SecurityGroupService/ListByNetwork",
                               M("nebius.vpc.v1.ListSecurityGroupsByNetworkRequest")(network_id=NETWORK))
        self.assertEqual([g.metadata.id for g in groups.items if g.status.default], [DEFAULT_SG])
        rules = self.sim.call("/nebius.vpc.v1.SecurityRuleService/List",
                              M("nebius.vpc.v1.ListSecurityRulesRequest")(parent_id=DEFAULT_SG))
        self.assertEqual(len(rules.items), 2)

    def test_network_lifecycle(self):
        req = M("nebius.vpc.v1.CreateNetworkRequest")()
        req.metadata.parent_id = PROJECT
        req.metadata.name = "net2"
        op = self.sim.call("/nebius.vpc.v1.NetworkService/Create", req)
        self.assertFalse(op.HasField("status"))
        net_id = self.sim.wait_ok(op).resource_id
        self.assertRpcError(grpc.StatusCode.ALREADY_EXISTS, self.sim.call, "/nebius.vpc.v1.NetworkService/Create", req)
        sreq = M("nebius.vpc.v1.CreateSubnetRequest")()
        sreq.metadata.parent_id = PROJECT
        sreq.metadata.name = "sub2"
        sreq.spec.network_id = net_id
        sub_id = self.sim.wait_ok(self.sim.call("/nebius.vpc.v1.SubnetService/Create", sreq)).resource_id
        sg = self.sim.create_group("g2", network=net_id)
        delete = M("nebius.vpc.v1.DeleteNetworkRequest")(id=net_id)
        self.assertRpcError(grpc.StatusCode.FAILED_PRECONDITION, self.sim.call,
                            "/nebius.vpc.v1.NetworkService/Delete", delete)
        self.sim.wait_ok(self.sim.call("/nebius.vpc.v1.SubnetService/Delete",
                                       M("nebius.vpc.v1.DeleteSubnetRequest")(id=sub_id)))
        _, ses = self.assertRpcError(grpc.StatusCode.FAILED_PRECONDITION, self.sim.call,
                                     "/nebius.vpc.v1.NetworkService/Delete", delete)
        self.assertIn(sg, ses[0].bad_resource_state.message)
        self.sim.wait_ok(self.sim.call("/nebius.vpc.v1.SecurityGroupService/Delete",
                                       M("nebius.vpc.v1.DeleteSecurityGroupRequest")(id=sg)))
        self.sim.wait_ok(self.sim.call("/nebius.vpc.v1.NetworkService/Delete", delete))
        self.assertRpcError(grpc.StatusCode.NOT_FOUND, self.sim.call, "/nebius.vpc.v1.NetworkService/Get",
                            M("nebius.vpc.v1.GetNetworkRequest")(id=net_id))
        kinds = [r["kind"] for r in self.sim.state()["resources"].values()]
        self.assertEqual(kinds.count("security_group"), 1)  # the new network's default group went with it

    def test_names_and_parents(self):
        req = M("nebius.vpc.v1.CreateSecurityGroupRequest")()
        req.metadata.parent_id = PROJECT
        req.metadata.name = "-bad"
        req.spec.network_id = NETWORK
        self.assertRpcError(INVALID, self.sim.call, "/nebius.vpc.v1.SecurityGroupService/Create", req)
        req.metadata.name = "ok"
        req.spec.network_id = "vpcnetwork-missing"
        self.assertRpcError(grpc.StatusCode.NOT_FOUND, self.sim.call, "/nebius.vpc.v1.SecurityGroupService/Create", req)
        req.spec.network_id = ""
        self.assertRpcError(INVALID, self.sim.call, "/nebius.vpc.v1.SecurityGroupService/Create", req)
        req.spec.network_id = NETWORK
        req.metadata.parent_id = "project-missing"
        self.assertRpcError(grpc.StatusCode.NOT_FOUND, self.sim.call, "/nebius.vpc.v1.SecurityGroupService/Create", req)
        req.metadata.parent_id = PROJECT
        req.metadata.id = "vpcsecuritygroup-preset"
        self.assertRpcError(INVALID, self.sim.call, "/nebius.vpc.v1.SecurityGroupService/Create", req)

    def test_group_in_use_and_default_group_delete(self):
        sg = self.sim.create_group("used")
        self.sim.create_rule(sg, "r1", cidrs=["0.0.0.0/0"], ports=[22])
        inst = self.sim.create_instance("vm", groups=[sg]).metadata.id
        dreq = M("nebius.vpc.v1.DeleteSecurityGroupRequest")(id=sg)
        self.assertRpcError(grpc.StatusCode.FAILED_PRECONDITION, self.sim.call,
                            "/nebius.vpc.v1.SecurityGroupService/Delete", dreq)
        self.assertRpcError(grpc.StatusCode.FAILED_PRECONDITION, self.sim.call,
                            "/nebius.vpc.v1.SecurityGroupService/Delete",
                            M("nebius.vpc.v1.DeleteSecurityGroupRequest")(id=DEFAULT_SG))
        self.sim.wait_ok(self.sim.call("/nebius.compute.v1.InstanceService/Delete",
                                       M("nebius.compute.v1.DeleteInstanceRequest")(id=inst)))
        self.sim.wait_ok(self.sim.call("/nebius.vpc.v1.SecurityGroupService/Delete", dreq))
        kinds = [r["kind"] for r in self.sim.state()["resources"].values()]
        self.assertEqual(kinds.count("security_rule"), 2)  # only the default group's rules are left

    def test_allocations(self):
        req = M("nebius.vpc.v1.CreateAllocationRequest")()
        req.metadata.parent_id = PROJECT
        req.metadata.name = "ip1"
        req.spec.ipv4_public.subnet_id = SUBNET
        alloc_id = self.sim.wait_ok(self.sim.call("/nebius.vpc.v1.AllocationService/Create", req)).resource_id
        a = self.sim.call("/nebius.vpc.v1.AllocationService/Get", M("nebius.vpc.v1.GetAllocationRequest")(id=alloc_id))
        self.assertTrue(a.status.details.allocated_cidr.startswith("203.0.113."))
        self.assertEqual(a.status.state, protos.enum_value("nebius.vpc.v1.AllocationStatus.State", "ALLOCATED"))
        ireq = self.sim.instance_request("vm")
        ireq.spec.network_interfaces[0].public_ip_address.allocation_id = alloc_id
        op = self.sim.wait_ok(self.sim.call("/nebius.compute.v1.InstanceService/Create", ireq))
        inst = self.sim.wait_instance(op.resource_id, "RUNNING")
        self.assertEqual(inst.status.network_interfaces[0].public_ip_address.address, a.status.details.allocated_cidr)
        a = self.sim.call("/nebius.vpc.v1.AllocationService/Get", M("nebius.vpc.v1.GetAllocationRequest")(id=alloc_id))
        self.assertEqual(a.status.state, protos.enum_value("nebius.vpc.v1.AllocationStatus.State", "ASSIGNED"))
        self.assertEqual(a.status.assignment.network_interface.instance_id, op.resource_id)
        self.assertRpcError(grpc.StatusCode.FAILED_PRECONDITION, self.sim.call,
                            "/nebius.vpc.v1.AllocationService/Delete", M("nebius.vpc.v1.DeleteAllocationRequest")(id=alloc_id))
        ireq2 = self.sim.instance_request("vm2")
        ireq2.spec.network_interfaces[0].public_ip_address.allocation_id = alloc_id
        self.assertRpcError(grpc.StatusCode.FAILED_PRECONDITION, self.sim.call,
                            "/nebius.compute.v1.InstanceService/Create", ireq2)
        self.sim.wait_ok(self.sim.call("/nebius.compute.v1.InstanceService/Delete",
                                       M("nebius.compute.v1.DeleteInstanceRequest")(id=op.resource_id)))
        self.sim.wait_ok(self.sim.call("/nebius.vpc.v1.AllocationService/Delete",
                                       M("nebius.vpc.v1.DeleteAllocationRequest")(id=alloc_id)))


class SubnetAndAllocationTest(SimTestCase):
    def test_create_default_network_and_auto_subnet_cidrs(self):
        req = M("nebius.vpc.v1.CreateDefaultNetworkRequest")()
        req.metadata.parent_id = PROJECT
        req.metadata.name = "auto-net"
        net_id = self.sim.wait_ok(self.sim.call("/nebius.vpc.v1.NetworkService/CreateDefault", req)).resource_id
        cidrs = []
        for name, want in (("s-a", ""), ("s-b", "/24"), ("s-c", "10.99.0.0/24")):
            sreq = M("nebius.vpc.v1.CreateSubnetRequest")()
            sreq.metadata.parent_id = PROJECT
            sreq.metadata.name = name
            sreq.spec.network_id = net_id
            if want:
                sreq.spec.ipv4_private_pools.pools.add().cidrs.add(cidr=want)
            sid = self.sim.wait_ok(self.sim.call("/nebius.vpc.v1.SubnetService/Create", sreq)).resource_id
            s = self.sim.call("/nebius.vpc.v1.SubnetService/Get", M("nebius.vpc.v1.GetSubnetRequest")(id=sid))
            cidrs.append(s.status.ipv4_private_cidrs[0])
        self.assertEqual(cidrs, ["10.0.0.0/16", "10.1.0.0/24", "10.99.0.0/24"])
        sreq.metadata.name = "s-d"
        sreq.spec.ipv4_private_pools.pools[0].cidrs[0].cidr = "10.99.0.128/25"
        self.assertRpcError(grpc.StatusCode.FAILED_PRECONDITION, self.sim.call,
                            "/nebius.vpc.v1.SubnetService/Create", sreq)  # overlaps s-c
        listed = self.sim.call("/nebius.vpc.v1.SubnetService/ListByNetwork",
                               M("nebius.vpc.v1.ListSubnetsByNetworkRequest")(network_id=net_id))
        self.assertEqual([s.metadata.name for s in listed.items], ["s-a", "s-b", "s-c"])

    def test_private_allocation_with_explicit_address(self):
        req = M("nebius.vpc.v1.CreateAllocationRequest")()
        req.metadata.parent_id = PROJECT
        req.metadata.name = "fixed"
        req.spec.ipv4_private.subnet_id = SUBNET
        req.spec.ipv4_private.cidr = "10.0.3.7"
        aid = self.sim.wait_ok(self.sim.call("/nebius.vpc.v1.AllocationService/Create", req)).resource_id
        ireq = self.sim.instance_request("fixed-vm")
        ireq.spec.network_interfaces[0].ip_address.allocation_id = aid
        op = self.sim.wait_ok(self.sim.call("/nebius.compute.v1.InstanceService/Create", ireq))
        inst = self.sim.wait_instance(op.resource_id, "RUNNING")
        self.assertEqual(inst.status.network_interfaces[0].ip_address.address, "10.0.3.7/32")
        self.assertEqual(inst.status.network_interfaces[0].ip_address.allocation_id, aid)
        req.metadata.name = "fixed-again"
        self.assertRpcError(grpc.StatusCode.ALREADY_EXISTS, self.sim.call,
                            "/nebius.vpc.v1.AllocationService/Create", req)
        by_subnet = self.sim.call("/nebius.vpc.v1.AllocationService/ListBySubnet",
                                  M("nebius.vpc.v1.ListAllocationsBySubnetRequest")(subnet_id=SUBNET))
        self.assertIn(aid, [a.metadata.id for a in by_subnet.items])
