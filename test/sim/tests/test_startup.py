"""Start-up contract, TLS variants, credentials file, state file, proto import merging."""
import json
import os
import shutil
import signal
import stat
import subprocess
import sys
import time
import unittest

import grpc

from simclient import CERTS, M, PROJECT, PYDIR, REPO, SIM, Sim


class StartupTest(unittest.TestCase):
    def test_ready_line_time_and_clean_exit(self):
        sim = Sim()
        self.addCleanup(shutil.rmtree, sim.tmp, True)
        try:
            print("\nnebius-sim start-up: %.3f s (%s)" % (sim.startup_seconds, sim.ready_line), file=sys.stderr)
            self.assertRegex(sim.ready_line, r"^READY [0-9]+$")
            self.assertGreater(sim.port, 0)
            mode = stat.S_IMODE(os.stat(sim.key_file).st_mode)
            self.assertEqual(mode, 0o600)
            sc = sim.creds["subject-credentials"]
            self.assertEqual(sc["type"], "JWT")
            self.assertEqual(sc["alg"], "RS256")
            self.assertEqual(sc["kid"], "publickey-sim0000000001")
            self.assertEqual(sc["iss"], "serviceaccount-sim0000000001")
            self.assertEqual(sc["sub"], sc["iss"])
            self.assertTrue(sc["private-key"].startswith("-----BEGIN PRIVATE KEY-----"))
            sim.login()
            sim.create_instance("vm")
        finally:
            sim.proc.send_signal(signal.SIGTERM)
            rc = sim.proc.wait(10)
            out, err = sim.proc.stdout.read(), sim.proc.stderr.read()
            sim.channel.close()
            sim.proc.stdout.close()
            sim.proc.stderr.close()
        self.assertEqual(rc, 0)
        self.assertEqual(out, "")   # nothing after the READY line
        self.assertEqual(err, "")   # quiet without --verbose
        with open(sim.state_file) as fh:
            state = json.load(fh)
        kinds = [r["kind"] for r in state["resources"].values()]
        self.assertIn("instance", kinds)
        self.assertEqual(state["tokens_issued"], 1)
        self.assertNotIn("private-key", json.dumps(state))

    def test_sigint_exits_zero(self):
        p = subprocess.Popen([SIM, "--port", "0", "--certs", CERTS, "--pydir", PYDIR], stdout=subprocess.PIPE,
                             text=True)
        self.assertTrue(p.stdout.readline().startswith("READY "))
        p.send_signal(signal.SIGINT)
        self.assertEqual(p.wait(10), 0)
        p.stdout.close()

    def test_missing_certs_fail_fast(self):
        p = subprocess.run([SIM, "--port", "0", "--certs", "/nonexistent", "--pydir", PYDIR],
                           capture_output=True, text=True, timeout=20)
        self.assertNotEqual(p.returncode, 0)
        self.assertEqual(p.stdout, "")
        self.assertIn("nonexistent", p.stderr)

    def _connect(self, variant, target_name=None):
        sim = Sim("--cert-variant", variant)
        try:
            with open(os.path.join(CERTS, "ca.pem"), "rb") as fh:
                ca = fh.read()
            opts = [("grpc.ssl_target_name_override", target_name)] if target_name else []
            ch = grpc.secure_channel("localhost:%d" % sim.port, grpc.ssl_channel_credentials(ca), options=opts)
            try:
                grpc.channel_ready_future(ch).result(timeout=3)
                return True
            except grpc.FutureTimeoutError:
                return False
            finally:
                ch.close()
        finally:
            sim.close()
            shutil.rmtree(sim.tmp, ignore_errors=True)

    def test_cert_variants(self):
        self.assertTrue(self._connect("good"))
        self.assertFalse(self._connect("otherca"))
        self.assertFalse(self._connect("wronghost"))
        self.assertTrue(self._connect("wronghost", "wrong.example.com"))

    def test_generated_google_rpc_merges_with_python3_protobuf(self):
        # simclient already loaded build/py; both halves of the `google` namespace must import.
        from google.protobuf import timestamp_pb2
        from google.rpc import status_pb2
        st = status_pb2.Status(code=5, message="x")
        st.details.add().Pack(timestamp_pb2.Timestamp(seconds=1))
        self.assertEqual(M("google.rpc.Status").FromString(st.SerializeToString()).code, 5)
        self.assertTrue(M("nebiussim.v1.AdminAck"))

    def test_gen_certs_is_idempotent(self):
        t0 = time.monotonic()
        subprocess.run([os.path.join(REPO, "scripts", "gen-test-certs.sh"), CERTS], check=True, capture_output=True)
        self.assertTrue(os.path.exists(os.path.join(CERTS, "server-wronghost.key")))
        print("\ngen-test-certs.sh re-run: %.3f s" % (time.monotonic() - t0), file=sys.stderr)


class AdminTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.sim = Sim()

    @classmethod
    def tearDownClass(cls):
        cls.sim.close()
        shutil.rmtree(cls.sim.tmp, ignore_errors=True)

    def test_state_shape(self):
        st = self.sim.state()
        for key in ("resources", "operations", "service_accounts", "tokens_issued", "exchange_count"):
            self.assertIn(key, st)
        proj = st["resources"][PROJECT]
        self.assertEqual(proj["kind"], "project")
        self.assertEqual(proj["resource"]["metadata"]["parent_id"], "tenant-sim0000000000")
        self.assertIn("serviceaccount-sim0000000001", st["service_accounts"])

    def test_mutate_create_patch_delete(self):
        rid = self.sim.admin("Mutate", create_kind="security_rule", create_json=json.dumps({
            "metadata": {"parent_id": "vpcsecuritygroup-sim0000000001", "name": "stray"},
            "spec": {"access": "ALLOW", "protocol": "TCP", "priority": 10,
                     "ingress": {"source_cidrs": ["0.0.0.0/0"], "destination_ports": [22]}},
            "status": {"state": "READY", "effective_priority": 10}})).resource_id
        rule = self.sim.call("/nebius.vpc.v1.SecurityRuleService/Get", M("nebius.vpc.v1.GetSecurityRuleRequest")(id=rid))
        self.assertEqual(rule.metadata.name, "stray")
        self.sim.admin("Mutate", resource_id=rid, json_patch=json.dumps({"metadata": {"labels": {"a": "b"}}}))
        rule = self.sim.call("/nebius.vpc.v1.SecurityRuleService/Get", M("nebius.vpc.v1.GetSecurityRuleRequest")(id=rid))
        self.assertEqual(rule.metadata.labels["a"], "b")
        self.assertEqual(rule.spec.priority, 10)
        self.sim.admin("Mutate", resource_id=rid, delete=True)
        with self.assertRaises(grpc.RpcError) as cm:
            self.sim.call("/nebius.vpc.v1.SecurityRuleService/Get", M("nebius.vpc.v1.GetSecurityRuleRequest")(id=rid))
        self.assertEqual(cm.exception.code(), grpc.StatusCode.NOT_FOUND)

    def test_reset_keeps_accounts_and_tokens(self):
        extra = self.sim.admin("CreateServiceAccount", name="ci")
        token = self.sim.login()
        self.sim.create_instance("before-reset")
        self.sim.admin("Reset")
        st = self.sim.state()
        self.assertNotIn("instance", [r["kind"] for r in st["resources"].values()])
        self.assertIn(extra.service_account_id, st["service_accounts"])
        self.assertEqual(self.sim.token, token)
        self.sim.call("/nebius.iam.v1.ProjectService/Get", M("nebius.iam.v1.GetProjectRequest")(id=PROJECT))
        creds = json.loads(extra.credentials_json)
        from simclient import make_jwt
        self.assertTrue(self.sim.exchange(make_jwt(creds)).access_token)

    def test_get_requests_filter_and_clear(self):
        self.sim.requests(clear=True)
        self.sim.call("/nebius.iam.v1.ProjectService/List", M("nebius.iam.v1.ListProjectsRequest")(
            parent_id="tenant-sim0000000000"))
        try:
            self.sim.call("/nebius.iam.v1.ProjectService/Get", M("nebius.iam.v1.GetProjectRequest")(id="project-x"))
        except grpc.RpcError:
            pass
        log = self.sim.requests("ProjectService")
        self.assertEqual(log["counts"], {"/nebius.iam.v1.ProjectService/List": 1, "/nebius.iam.v1.ProjectService/Get": 1})
        self.assertEqual([r["code"] for r in log["requests"]], [0, 5])
        self.sim.requests(clear=True)
        self.assertEqual(self.sim.requests()["requests"], [])
