"""Security-group flow evaluator."""
import grpc

from simclient import DEFAULT_SG, SimTestCase

EXT = "198.51.100.7"


class PolicyTest(SimTestCase):
    def setUp(self):
        self.sim.admin("Reset")

    def test_default_group_is_not_isolated(self):
        a = self.sim.create_instance("a").metadata.id
        b = self.sim.create_instance("b", public=True).metadata.id  # reachable from outside: rules decide
        ok, why = self.sim.flow(source_instance_id=a, destination_instance_id=b, protocol="tcp", port=5432)
        self.assertTrue(ok, why)
        self.assertIn("vpcsecurityrule-sim0000000002", why)  # ingress from the group itself
        ok, why = self.sim.flow(source_instance_id=a, destination_ip="8.8.8.8", protocol="udp", port=53)
        self.assertTrue(ok, why)  # default egress
        ok, why = self.sim.flow(source_ip=EXT, destination_instance_id=b, protocol="tcp", port=22)
        self.assertFalse(ok)
        self.assertIn("implicit deny", why)

    def test_own_group_isolates_and_implicit_deny(self):
        sg = self.sim.create_group("isolated")
        a = self.sim.create_instance("a", groups=[sg]).metadata.id
        b = self.sim.create_instance("b").metadata.id
        ok, why = self.sim.flow(source_instance_id=b, destination_instance_id=a, protocol="tcp", port=80)
        self.assertFalse(ok)
        self.assertIn("ingress denied by implicit deny", why)
        ok, why = self.sim.flow(source_instance_id=a, destination_instance_id=b, protocol="tcp", port=80)
        self.assertFalse(ok)
        self.assertIn("egress denied by implicit deny", why)

    def test_cidr_and_port_match(self):
        sg = self.sim.create_group("web")
        a = self.sim.create_instance("a", groups=[sg], public=True).metadata.id
        rule = self.sim.create_rule(sg, "https", cidrs=["198.51.100.0/24"], ports=[443])
        ok, why = self.sim.flow(source_ip=EXT, destination_instance_id=a, protocol="tcp", port=443)
        self.assertTrue(ok, why)
        self.assertIn(rule, why)
        self.assertFalse(self.sim.flow(source_ip="203.0.113.200", destination_instance_id=a,
                                       protocol="tcp", port=443)[0])
        self.assertFalse(self.sim.flow(source_ip=EXT, destination_instance_id=a, protocol="tcp", port=80)[0])
        self.assertFalse(self.sim.flow(source_ip=EXT, destination_instance_id=a, protocol="udp", port=443)[0])

    def test_priority_and_deny_before_allow(self):
        sg = self.sim.create_group("prio")
        a = self.sim.create_instance("a", groups=[sg], public=True).metadata.id
        allow = self.sim.create_rule(sg, "allow-all", cidrs=["0.0.0.0/0"], protocol="ANY", priority=100)
        deny = self.sim.create_rule(sg, "deny-ssh", access="DENY", cidrs=["0.0.0.0/0"], ports=[22], priority=200)
        ok, why = self.sim.flow(source_ip=EXT, destination_instance_id=a, protocol="tcp", port=22)
        self.assertTrue(ok, why)  # lower priority value wins: first match
        self.assertIn(allow, why)
        deny2 = self.sim.create_rule(sg, "deny-ssh-100", access="DENY", cidrs=["0.0.0.0/0"], ports=[22], priority=100)
        ok, why = self.sim.flow(source_ip=EXT, destination_instance_id=a, protocol="tcp", port=22)
        self.assertFalse(ok)  # equal priority: DENY evaluated before ALLOW
        self.assertIn(deny2, why)
        self.assertNotIn(deny, why)

    def test_default_priority_is_500(self):
        sg = self.sim.create_group("p500")
        a = self.sim.create_instance("a", groups=[sg], public=True).metadata.id
        self.sim.create_rule(sg, "deny-default", access="DENY", cidrs=["0.0.0.0/0"], protocol="ANY")
        allow = self.sim.create_rule(sg, "allow-499", cidrs=["0.0.0.0/0"], protocol="ANY", priority=499)
        ok, why = self.sim.flow(source_ip=EXT, destination_instance_id=a, protocol="icmp", port=0)
        self.assertTrue(ok, why)
        self.assertIn(allow, why)

    def test_self_group_rule_and_group_peers(self):
        sg = self.sim.create_group("cluster")
        self.sim.create_rule(sg, "self", peer_sg=sg, protocol="ANY")
        self.sim.create_rule(sg, "egress-self", direction="egress", peer_sg=sg, protocol="ANY")
        a = self.sim.create_instance("a", groups=[sg]).metadata.id
        b = self.sim.create_instance("b", groups=[sg]).metadata.id
        c = self.sim.create_instance("c").metadata.id
        self.assertTrue(self.sim.flow(source_instance_id=a, destination_instance_id=b, protocol="tcp", port=7000)[0])
        ok, why = self.sim.flow(source_instance_id=c, destination_instance_id=a, protocol="tcp", port=7000)
        self.assertFalse(ok)
        self.assertIn("ingress", why)
        ok, why = self.sim.flow(source_instance_id=a, destination_ip="1.1.1.1", protocol="tcp", port=443)
        self.assertFalse(ok)
        self.assertIn("egress denied by implicit deny", why)

    def test_egress_rules_on_source(self):
        sg = self.sim.create_group("egress")
        a = self.sim.create_instance("a", groups=[sg]).metadata.id
        self.sim.create_rule(sg, "dns", direction="egress", protocol="UDP", cidrs=["8.8.8.8/32"], ports=[53])
        self.assertTrue(self.sim.flow(source_instance_id=a, destination_ip="8.8.8.8", protocol="udp", port=53)[0])
        self.assertFalse(self.sim.flow(source_instance_id=a, destination_ip="8.8.4.4", protocol="udp", port=53)[0])

    def test_rule_cidr_matches_private_peer_address(self):
        sg = self.sim.create_group("private")
        a = self.sim.create_instance("a", groups=[sg]).metadata.id
        b = self.sim.create_instance("b").metadata.id
        self.sim.create_rule(sg, "from-vpc", cidrs=["10.0.0.0/16"], ports=[9000])
        self.assertTrue(self.sim.flow(source_instance_id=b, destination_instance_id=a, protocol="tcp", port=9000)[0])

    def test_mutate_moves_instance_to_another_group(self):
        sg = self.sim.create_group("moved")
        a = self.sim.create_instance("a").metadata.id
        b = self.sim.create_instance("b").metadata.id
        self.assertTrue(self.sim.flow(source_instance_id=b, destination_instance_id=a, protocol="tcp", port=1)[0])
        inst = self.sim.state()["resources"][a]["resource"]
        nics = inst["status"]["network_interfaces"]
        nics[0]["security_groups"] = [{"id": sg}]
        import json
        self.sim.admin("Mutate", resource_id=a, json_patch=json.dumps({"status": {"network_interfaces": nics}}))
        self.assertFalse(self.sim.flow(source_instance_id=b, destination_instance_id=a, protocol="tcp", port=1)[0])
        self.assertEqual(DEFAULT_SG, self.sim.state()["resources"][b]["resource"]["status"]["network_interfaces"][0]
                         ["security_groups"][0]["id"])

    def test_stateless_ingress_needs_a_rule_for_its_replies(self):
        sg = self.sim.create_group("stateless-in")
        a = self.sim.create_instance("a", groups=[sg], public=True).metadata.id
        web = self.sim.create_rule(sg, "web", cidrs=["198.51.100.0/24"], ports=[80], rule_type="STATELESS")
        ok, why = self.sim.flow(source_ip=EXT, destination_instance_id=a, protocol="tcp", port=80)
        self.assertFalse(ok, why)  # the group has no egress rule: the replies cannot leave
        self.assertIn(web, why)
        self.assertIn("reply egress denied by implicit deny", why)
        # An egress rule to port 80 does not carry replies: they go to the client's ephemeral port.
        self.sim.create_rule(sg, "to-80", direction="egress", cidrs=["198.51.100.0/24"], ports=[80])
        self.assertFalse(self.sim.flow(source_ip=EXT, destination_instance_id=a, protocol="tcp", port=80)[0])
        back = self.sim.create_rule(sg, "replies", direction="egress", cidrs=["198.51.100.0/24"])
        ok, why = self.sim.flow(source_ip=EXT, destination_instance_id=a, protocol="tcp", port=80)
        self.assertTrue(ok, why)
        self.assertIn(web, why)
        self.assertIn("reply egress allowed by rule %s" % back, why)
        # The same rule STATEFUL admits its replies without any egress rule.
        sg2 = self.sim.create_group("stateful-in")
        b = self.sim.create_instance("b", groups=[sg2], public=True).metadata.id
        self.sim.create_rule(sg2, "web", cidrs=["198.51.100.0/24"], ports=[80], rule_type="STATEFUL")
        ok, why = self.sim.flow(source_ip=EXT, destination_instance_id=b, protocol="tcp", port=80)
        self.assertTrue(ok, why)
        self.assertNotIn("reply", why)

    def test_stateless_egress_needs_a_rule_for_its_replies(self):
        sg = self.sim.create_group("stateless-out")
        a = self.sim.create_instance("a", groups=[sg], public=True).metadata.id
        self.sim.create_rule(sg, "dns", direction="egress", protocol="UDP", cidrs=["8.8.8.8/32"], ports=[53],
                             rule_type="STATELESS")
        ok, why = self.sim.flow(source_instance_id=a, destination_ip="8.8.8.8", protocol="udp", port=53)
        self.assertFalse(ok, why)
        self.assertIn("reply ingress denied by implicit deny", why)
        answers = self.sim.create_rule(sg, "dns-answers", protocol="UDP", cidrs=["8.8.8.0/24"], priority=200)
        ok, why = self.sim.flow(source_instance_id=a, destination_ip="8.8.8.8", protocol="udp", port=53)
        self.assertTrue(ok, why)
        self.assertIn("reply ingress allowed by rule %s" % answers, why)
        # The replies are evaluated like any flow: a DENY of lower priority value comes first.
        deny = self.sim.create_rule(sg, "no-dns-answers", access="DENY", protocol="UDP", cidrs=["8.8.8.8/32"],
                                    priority=100)
        ok, why = self.sim.flow(source_instance_id=a, destination_ip="8.8.8.8", protocol="udp", port=53)
        self.assertFalse(ok, why)
        self.assertIn("reply ingress denied by rule %s" % deny, why)

    def test_stateless_between_instances_checks_each_side(self):
        src_sg = self.sim.create_group("src")
        dst_sg = self.sim.create_group("dst")
        a = self.sim.create_instance("a", groups=[src_sg]).metadata.id
        b = self.sim.create_instance("b", groups=[dst_sg]).metadata.id
        self.sim.create_rule(src_sg, "out", direction="egress", peer_sg=dst_sg, protocol="TCP", ports=[5432])
        self.sim.create_rule(dst_sg, "in", peer_sg=src_sg, protocol="TCP", ports=[5432], rule_type="STATELESS")
        ok, why = self.sim.flow(source_instance_id=a, destination_instance_id=b, protocol="tcp", port=5432)
        self.assertFalse(ok, why)  # the destination's replies to a's group are not allowed out
        self.assertIn("reply egress denied", why)
        self.sim.create_rule(dst_sg, "replies", direction="egress", peer_sg=src_sg, protocol="TCP")
        ok, why = self.sim.flow(source_instance_id=a, destination_instance_id=b, protocol="tcp", port=5432)
        self.assertTrue(ok, why)

    def test_external_address_needs_a_public_ip(self):
        sg = self.sim.create_group("open")
        self.sim.create_rule(sg, "all-in", cidrs=["0.0.0.0/0"], protocol="ANY")
        private = self.sim.create_instance("private", groups=[sg]).metadata.id
        public = self.sim.create_instance("public", groups=[sg], public=True).metadata.id
        ok, why = self.sim.flow(source_ip=EXT, destination_instance_id=private, protocol="tcp", port=22)
        self.assertFalse(ok, why)
        self.assertIn("no public IP address", why)
        ok, why = self.sim.flow(source_ip=EXT, destination_instance_id=public, protocol="tcp", port=22)
        self.assertTrue(ok, why)
        # Inside the VPC the rule still admits the private one (from an instance on the default group).
        inside = self.sim.create_instance("inside").metadata.id
        ok, why = self.sim.flow(source_instance_id=inside, destination_instance_id=private, protocol="tcp", port=22)
        self.assertTrue(ok, why)

    def test_bad_requests(self):
        a = self.sim.create_instance("a").metadata.id
        self.assertRpcError(grpc.StatusCode.INVALID_ARGUMENT, self.sim.admin, "EvaluateFlow",
                            source_ip="1.2.3.4", destination_ip="5.6.7.8", protocol="tcp", port=1)
        self.assertRpcError(grpc.StatusCode.INVALID_ARGUMENT, self.sim.admin, "EvaluateFlow",
                            source_ip="1.2.3.4", destination_instance_id=a, protocol="sctp", port=1)
        self.assertRpcError(grpc.StatusCode.NOT_FOUND, self.sim.admin, "EvaluateFlow",
                            source_ip="1.2.3.4", destination_instance_id="computeinstance-nope", protocol="tcp", port=1)
