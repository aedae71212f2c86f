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

    def test_starts_in_under_a_second(self):
        # The contract is per start; a loaded CI machine can stall any one process, so the
        # median of several starts is what is held to it. All runs are reported.
        times = []
        for _ in range(5):
            sim = Sim()
            times.append(sim.startup_seconds)
            self.assertEqual(sim.close(), 0)
        times.sort()
        print("\nnebius-sim start-up over %d runs: %s s" % (len(times), " ".join("%.3f" % t for t in times)),
              file=sys.stderr)
        self.assertLess(times[len(times) // 2], 1.0, "median start-up %.3f s (runs: %s)" % (times[len(times) // 2], times))

    def _public_numbers(self, pem):
        from cryptography.hazmat.primitives import serialization
        return serialization.load_pem_private_key(pem.encode() if isinstance(pem, str) else pem,
                                                  None).public_key().public_numbers()

    def test_preset_key_comes_from_the_certs_dir(self):
        # gen-test-certs.sh makes it once, so start-up does not pay for RSA key generation.
        with open(os.path.join(CERTS, "service-account.key"), "rb") as fh:
            want = self._public_numbers(fh.read())
        self.assertEqual(want.n.bit_length(), 2048)
        sim = Sim()
        try:
            got = self._public_numbers(sim.creds["subject-credentials"]["private-key"])
            sim.login()  # the sim verifies JWTs with that key
        finally:
            self.assertEqual(sim.close(), 0)
        self.assertEqual(got, want)

    def _certs_copy(self, with_key):
        d = os.path.join("/tmp", "nebius-sim-certs-%d-%d" % (os.getpid(), time.monotonic_ns()))
        os.makedirs(d)
        self.addCleanup(shutil.rmtree, d, True)
        for f in os.listdir(CERTS):
            if f.endswith((".pem", ".key")) and (with_key or f != "service-account.key"):
                shutil.copy(os.path.join(CERTS, f), d)
        return d

    def test_preset_key_generated_when_the_file_is_missing(self):
        certs = self._certs_copy(with_key=False)
        with open(os.path.join(CERTS, "service-account.key"), "rb") as fh:
            shared = self._public_numbers(fh.read())
        sim = Sim(certs=certs)
        try:
            got = self._public_numbers(sim.creds["subject-credentials"]["private-key"])
            sim.login()
            sim.call("/nebius.iam.v1.ProjectService/Get", M("nebius.iam.v1.GetProjectRequest")(id=PROJECT))
        finally:
            self.assertEqual(sim.close(), 0)
        self.assertNotEqual(got, shared)
        self.assertFalse(os.path.exists(os.path.join(certs, "service-account.key")))  # nothing written there

    def test_unusable_preset_key_fails_fast(self):
        certs = self._certs_copy(with_key=False)
        bad = os.path.join(certs, "service-account.key")
        for content in (b"not a key\n", None):
            if content is None:  # a real key, but not RSA: JWTs are RS256
                subprocess.run(["openssl", "genpkey", "-algorithm", "ED25519", "-out", bad], check=True,
                               capture_output=True)
            else:
                with open(bad, "wb") as fh:
                    fh.write(content)
            p = subprocess.run([SIM, "--port", "0", "--certs", certs, "--pydir", PYDIR],
                               capture_output=True, text=True, timeout=20)
            self.assertEqual(p.returncode, 1, p.stderr)
            self.assertEqual(p.stdout, "")
            self.assertIn(bad, p.stderr)
            self.assertIn("gen-test-certs.sh", p.stderr)

    def test_gen_certs_replaces_an_unreadable_service_account_key(self):
        certs = self._certs_copy(with_key=True)
        key = os.path.join(certs, "service-account.key")
        with open(key, "w") as fh:
            fh.write("truncated\n")
        subprocess.run([os.path.join(REPO, "scripts", "gen-test-certs.sh"), certs], check=True, capture_output=True)
        with open(key, "rb") as fh:
            self.assertEqual(self._public_numbers(fh.read()).n.bit_length(), 2048)
        self.assertEqual(stat.S_IMODE(os.stat(key).st_mode), 0o600)

    def test_gen_certs_replaces_a_key_the_sim_would_refuse(self):
        # Readable, but not RSA: the sim refuses it, so the script must not keep it.
        certs = self._certs_copy(with_key=True)
        key = os.path.join(certs, "service-account.key")
        subprocess.run(["openssl", "genpkey", "-algorithm", "ED25519", "-out", key], check=True, capture_output=True)
        subprocess.run([os.path.join(REPO, "scripts", "gen-test-certs.sh"), certs], check=True, capture_output=True)
        with open(key, "rb") as fh:
            self.assertEqual(self._public_numbers(fh.read()).n.bit_length(), 2048)

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
        key = os.path.join(CERTS, "service-account.key")
        self.assertEqual(stat.S_IMODE(os.stat(key).st_mode), 0o600)
        with open(key) as fh:
            self.assertTrue(fh.read().startswith("-----BEGIN PRIVATE KEY-----"))
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

    def test_get_requests_records_request_bodies(self):
        self.sim.requests(clear=True)
        self.sim.call("/nebius.iam.v1.ProjectService/Get", M("nebius.iam.v1.GetProjectRequest")(id=PROJECT))
        self.sim.login()
        text = "#cloud-config\nruncmd: [echo secret-ish]\n"
        self.sim.create_instance("body-vm", cloud_init_user_data=text, hostname="body-host")
        log = self.sim.requests()["requests"]
        by_method = {}
        for r in log:
            by_method.setdefault(r["method"], []).append(r["request"])
        self.assertEqual(by_method["/nebius.iam.v1.ProjectService/Get"], [{"id": PROJECT}])
        ex = by_method["/nebius.iam.v1.TokenExchangeService/Exchange"][0]
        self.assertEqual(ex["grant_type"], "urn:ietf:params:oauth:grant-type:token-exchange")
        self.assertRegex(ex["subject_token"], r"^<redacted:len [0-9]+>$")  # a credential: length only
        create = by_method["/nebius.compute.v1.InstanceService/Create"][0]
        self.assertEqual(create["metadata"]["name"], "body-vm")
        self.assertEqual(create["spec"]["hostname"], "body-host")
        self.assertEqual(create["spec"]["resources"], {"platform": "cpu-d3", "preset": "2vcpu-8gb"})
        self.assertEqual(create["spec"]["network_interfaces"][0]["subnet_id"], "vpcsubnet-sim0000000001")
        self.assertEqual(create["spec"]["cloud_init_user_data"], "<redacted:len %d>" % len(text))
        self.assertNotIn("secret-ish", json.dumps(log))
        self.assertNotIn(self.sim.token, json.dumps(log))
        polls = by_method["/nebius.common.v1.OperationService/Get"]
        self.assertTrue(polls and all(set(p) == {"id"} for p in polls), polls)

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
