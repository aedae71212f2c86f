"""Every command against nebius-sim, --json parsed and checked against the sim's own state."""
import json
import os
import unittest

import simadmin
from clitest import CPU_TYPE, PROJECT, SSH_KEY, CliTestCase


class CatalogueTest(CliTestCase):
    def test_auth_check(self):
        d = self.cli_json("auth", "check")
        self.assertEqual(d["subject"], "serviceaccount-sim0000000001")
        self.assertEqual(d["key_id"], "publickey-sim0000000001")
        self.assertGreater(d["expires_at"], 0)
        self.assertNotIn("token", d)
        human = self.cli("auth", "check").out
        self.assertIn("authenticated as serviceaccount-sim0000000001", human)
        self.assertNotIn("token:", human)

    def test_auth_check_show_token(self):
        d = self.cli_json("auth", "check", "--show-token")
        self.assertTrue(d["token"])
        self.assertIn("token: ", self.cli("auth", "check", "--show-token").out)

    def test_bad_key_is_exit_3(self):
        # A well-formed key for a service account the sim does not know.
        with open(self.sim.key_file) as fh:
            creds = json.load(fh)
        creds["subject-credentials"]["kid"] = "publickey-unknown000000"
        bad = os.path.join(self.sim.tmp, "bad-sa.json")
        with open(bad, "w") as fh:
            json.dump(creds, fh)
        r = self.cli("auth", "check", credentials=bad, expect=3)
        self.assertTrue(r.err.startswith("brev-nebius: "), r.err)
        self.assertEqual(r.out, "")
        self.cli("instance", "list", credentials=bad, expect=3)

    def test_malformed_credentials_file_is_exit_3(self):
        bad = os.path.join(self.sim.tmp, "garbage.json")
        with open(bad, "w") as fh:
            fh.write("{not json")
        r = self.cli("auth", "check", credentials=bad, expect=3)
        self.assertIn("brev-nebius: ", r.err)

    def test_instance_types(self):
        types = self.cli_json("instance-types")
        names = {t["type"] for t in types}
        self.assertIn(CPU_TYPE, names)
        cpu = [t for t in types if t["type"] == CPU_TYPE][0]
        self.assertEqual(cpu["vcpus"], 2)
        self.assertEqual(cpu["memory_bytes"], 8 << 30)
        self.assertEqual(cpu["gpu_count"], 0)
        gpus = self.cli_json("instance-types", "--gpu")
        self.assertTrue(gpus)
        self.assertTrue(all(t["gpu_count"] > 0 for t in gpus))
        self.assertTrue(all(t["gpu_count"] == 0 for t in self.cli_json("instance-types", "--cpu")))
        one = self.cli_json("instance-types", "--type", CPU_TYPE)
        self.assertEqual([t["type"] for t in one], [CPU_TYPE])
        self.assertIn(CPU_TYPE, self.cli("instance-types").out)

    def test_images(self):
        images = self.cli_json("images")
        sim_images = self.sim.admin.resources("image")
        self.assertEqual({i["id"] for i in images}, set(sim_images))
        family = self.cli_json("images", "--family", "ubuntu22.04-cuda12")
        self.assertTrue(family)
        self.assertTrue(all(i["family"] == "ubuntu22.04-cuda12" for i in family))
        latest = self.cli_json("images", "--family", "ubuntu22.04-cuda12", "--latest")
        self.assertEqual(latest["id"], max(family, key=lambda i: i["created_at"])["id"])
        self.cli("images", "--family", "no-such-family", "--latest", expect=4)

    def test_regions(self):
        regions = {r["name"]: r for r in self.cli_json("regions")}
        self.assertTrue(regions["eu-north1"]["available"])
        self.assertIn("eu-north1", self.cli("regions").out)


class LifecycleTest(CliTestCase):
    def test_create_list_get_stop_start_reboot_wait_terminate(self):
        inst = self.create("life-1", "--label", "team=ml", "--disk-gib", "80", cluster="life").json()
        self.assertEqual(inst["name"], "life-1")
        self.assertEqual(inst["ref_id"], "life-1")
        self.assertEqual(inst["cluster_id"], "life")
        self.assertEqual(inst["status"], "running")
        self.assertEqual(inst["project_id"], PROJECT)
        self.assertEqual(inst["labels"]["team"], "ml")
        iid = inst["id"]
        sim = self.instances()[iid]
        self.assertEqual(sim["metadata"]["name"], "life-1")
        self.assertEqual(sim["metadata"]["parent_id"], PROJECT)
        disk = self.sim.admin.resources("disk")[inst["boot_disk_id"]]
        self.assertEqual(int(disk["spec"]["size_gibibytes"]), 80)

        listed = self.cli_json("instance", "list")
        self.assertEqual([i["id"] for i in listed], [iid])
        self.assertEqual(self.cli_json("instance", "list", "--cluster", "life")[0]["id"], iid)
        self.assertEqual(self.cli_json("instance", "list", "--cluster", "other"), [])
        self.assertEqual(len(self.cli_json("instance", "list", "--label", "team=ml")), 1)
        self.assertEqual(self.cli_json("instance", "list", "--label", "team=web"), [])
        self.assertIn("life-1", self.cli("instance", "list").out)

        self.assertEqual(self.cli_json("instance", "get", iid)["name"], "life-1")
        self.assertEqual(self.cli_json("instance", "get", "life-1")["id"], iid)

        # A status it never reaches within the timeout: exit 5.
        r = self.cli("instance", "wait", iid, "--status", "stopped", "--timeout", "0.3", expect=5)
        self.assertTrue(r.err.startswith("brev-nebius: "), r.err)

        stopped = self.cli_json("instance", "stop", "life-1")
        self.assertEqual(stopped, [{"id": iid, "action": "stop", "ok": True, "status": "stopped"}])
        self.assertEqual(self.instances()[iid]["status"]["state"], "STOPPED")
        self.assertEqual(self.cli_json("instance", "wait", iid, "--status", "stopped")["status"], "stopped")
        started = self.cli_json("instance", "start", iid)
        self.assertEqual(started[0]["status"], "running")
        rebooted = self.cli_json("instance", "reboot", iid)
        self.assertEqual(rebooted[0]["status"], "running")
        self.assertEqual(self.cli_json("instance", "wait", iid)["status"], "running")

        gone = self.cli_json("instance", "terminate", iid)
        self.assertEqual(gone, [{"id": iid, "action": "terminate", "ok": True, "status": "terminated"}])
        self.assertNotIn(iid, self.instances())
        self.assertNotIn(inst["boot_disk_id"], self.sim.admin.resources("disk"))

    def test_ssh_key_as_text_and_ref_id_idempotency(self):
        a = self.create("idem-a", "--ref-id", "ref-idem").json()
        # The same ref id again: one instance (the first one is returned).
        args = ["instance", "create", "--name", "idem-a", "--ref-id", "ref-idem", "--type", CPU_TYPE,
                "--ssh-key", SSH_KEY]
        b = self.cli_json(*args)
        self.assertEqual(a["id"], b["id"])
        self.assertEqual(len([i for i in self.instances().values() if i["metadata"]["name"] == "idem-a"]), 1)
        self.cli("--json", "instance", "terminate", a["id"])

    def test_not_found_is_exit_4(self):
        r = self.cli("instance", "get", "computeinstance-doesnotexist00", expect=4)
        self.assertTrue(r.err.startswith("brev-nebius: "), r.err)
        self.assertEqual(r.out, "")
        self.cli("instance", "get", "no-such-name", expect=4)
        self.cli("instance", "stop", "no-such-name", expect=4)
        r = self.cli("--json", "instance", "terminate", "computeinstance-doesnotexist00", expect=4)
        self.assertFalse(r.json()[0]["ok"])

    def test_invalid_values_refused_by_the_library_are_usage_errors(self):
        r = self.create("Bad_Name!", expect=2)
        self.assertIn("brev-nebius: ", r.err)
        args = ["instance", "create", "--name", "badkey", "--type", CPU_TYPE, "--ssh-key", "ssh-rsa notakey"]
        self.cli(*args, expect=2)
        self.assertEqual([i for i in self.instances().values() if i["metadata"]["name"] in ("badkey", "Bad_Name!")],
                         [])

    def test_unknown_type_is_not_found(self):
        self.cli("instance", "create", "--name", "nope", "--type", "cpu-zz.1vcpu", "--ssh-key", SSH_KEY, expect=4)


class FirewallClusterPolicyTest(CliTestCase):
    def test_firewall_cluster_policy(self):
        a = self.create("fw-a", "--public-ip", cluster="fw").json()  # reached from outside below
        b = self.create("fw-b", cluster="fw").json()
        self.assertEqual(a["security_group_id"], b["security_group_id"])
        sg = a["security_group_id"]

        rule = self.cli_json("firewall", "add", "--cluster", "fw", "--ports", "22", "--cidr", "198.51.100.0/24",
                             "--protocol", "tcp")
        self.assertTrue(rule["id"].startswith("fw-"))
        self.assertEqual(rule["protocol"], "tcp")
        self.assertEqual(rule["cidrs"], ["198.51.100.0/24"])
        again = self.cli_json("firewall", "add", "--cluster", "fw", "--ports", "22", "--cidr", "198.51.100.0/24",
                              "--protocol", "tcp")
        self.assertEqual(again["id"], rule["id"])
        rng = self.cli_json("firewall", "add", "--cluster", "fw", "--ports", "8000-8003")
        self.assertEqual((rng["from_port"], rng["to_port"]), (8000, 8003))
        self.assertEqual(rng["cidrs"], ["0.0.0.0/0"])

        listed = {r["id"]: r for r in self.cli_json("firewall", "list", "--cluster", "fw")}
        self.assertEqual(set(listed), {rule["id"], rng["id"]})
        sim_rules = self.sim.admin.resources("security_rule")
        for rid in listed[rule["id"]]["security_rule_ids"]:
            self.assertEqual(sim_rules[rid]["metadata"]["parent_id"], sg)
            self.assertEqual(sim_rules[rid]["spec"]["ingress"]["source_cidrs"], ["198.51.100.0/24"])

        # Flows the sim evaluates from its own state.
        ok = self.sim.admin.call("EvaluateFlow", simadmin.admin_pb2.EvaluateFlowRequest(
            source_ip="198.51.100.7", destination_instance_id=a["id"], protocol="tcp", port=22))
        self.assertTrue(ok.allowed, ok.reason)

        report = self.cli_json("policy", "check", "--cluster", "fw")
        self.assertTrue(report["clean"], report)
        self.assertEqual(report["security_group_id"], sg)
        self.assertIn("no findings", self.cli("policy", "check", "--cluster", "fw").out)

        stray = self.sim.admin.plant_ingress(sg, "0.0.0.0/0", 3389)
        r = self.cli("--json", "policy", "check", "--cluster", "fw", expect=6)
        report = r.json()
        self.assertFalse(report["clean"])
        self.assertIn(stray, [f["resource_id"] for f in report["findings"]])
        self.assertEqual([f["kind"] for f in report["findings"] if f["resource_id"] == stray],
                         ["unexplained-ingress"])
        human = self.cli("policy", "check", "--cluster", "fw", expect=6).out
        self.assertIn(stray, human)
        self.sim.admin.mutate(resource_id=stray, delete=True)
        self.cli("policy", "check", "--cluster", "fw")

        revoked = self.cli_json("firewall", "revoke", "--cluster", "fw", rng["id"])
        self.assertTrue(revoked["revoked"])
        self.assertEqual([r["id"] for r in self.cli_json("firewall", "list", "--cluster", "fw")], [rule["id"]])
        self.cli("firewall", "revoke", "--cluster", "fw", rng["id"], expect=4)

        clusters = {c["id"]: c for c in self.cli_json("cluster", "list")}
        self.assertEqual(clusters["fw"]["instance_count"], 2)
        self.assertEqual(clusters["fw"]["security_group_id"], sg)
        # Refused while instances exist (a precondition failure, exit 1).
        r = self.cli("cluster", "delete", "fw", expect=1)
        self.assertIn("brev-nebius: ", r.err)

        gone = self.cli_json("instance", "terminate", "--cluster", "fw")
        self.assertEqual(sorted(g["id"] for g in gone), sorted([a["id"], b["id"]]))
        self.assertTrue(all(g["ok"] for g in gone))
        self.assertEqual(self.cli_json("cluster", "list"), [])
        self.assertNotIn(sg, self.sim.admin.resources("security_group"))
        self.assertIn("no clusters", self.cli("cluster", "list").out)

    def test_cluster_delete(self):
        self.cli_json("firewall", "add", "--cluster", "lonely", "--ports", "443", "--protocol", "tcp")
        sg = {c["id"]: c for c in self.cli_json("cluster", "list")}["lonely"]["security_group_id"]
        self.assertEqual(self.cli_json("cluster", "delete", "lonely"), {"id": "lonely", "deleted": True})
        self.assertNotIn(sg, self.sim.admin.resources("security_group"))
        self.assertNotIn("lonely", [c["id"] for c in self.cli_json("cluster", "list")])

    def test_firewall_add_shows_the_rule_as_applied(self):
        # The same address typed two ways and a full range: the output is what the cloud holds.
        typed = ["firewall", "add", "--cluster", "norm", "--ports", "1-65535", "--protocol", "tcp",
                 "--cidr", "203.0.113.7", "--cidr", "203.0.113.7/32", "--cidr", "198.51.100.0/24"]
        rule = self.cli_json(*typed)
        self.assertEqual(rule["cidrs"], ["198.51.100.0/24", "203.0.113.7/32"])
        self.assertEqual((rule["ports"], rule["from_port"], rule["to_port"]), ("all", 0, 0))
        listed = {r["id"]: r for r in self.cli_json("firewall", "list", "--cluster", "norm")}[rule["id"]]
        for key in ("cidrs", "ports", "from_port", "to_port", "protocol", "security_rule_ids"):
            self.assertEqual(rule[key], listed[key], key)
        sim_rules = self.sim.admin.resources("security_rule")
        self.assertEqual(sorted(sim_rules[rule["security_rule_ids"][0]]["spec"]["ingress"]["source_cidrs"]),
                         rule["cidrs"])
        human = self.cli(*typed).out
        self.assertEqual(human, "opened all/tcp from 198.51.100.0/24,203.0.113.7/32 on cluster norm: rule %s\n"
                         % rule["id"])
        self.cli("cluster", "delete", "norm")

    def test_policy_check_of_missing_cluster_has_findings(self):
        r = self.cli("--json", "policy", "check", "--cluster", "never-made", expect=6)
        self.assertEqual([f["kind"] for f in r.json()["findings"]], ["missing-group"])

    def test_too_wide_rule_is_refused(self):
        r = self.cli("firewall", "add", "--cluster", "wide", "--ports", "1-60000", expect=2)
        self.assertIn("brev-nebius: ", r.err)


if __name__ == "__main__":
    unittest.main()
