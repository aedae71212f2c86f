"""Fault injection: every kind in admin.proto."""
import json
import subprocess
import time
import unittest

import grpc

from simclient import CERTS, M, PROJECT, PYDIR, SIM, Sim, SimTestCase, make_jwt

GET_PROJECT = "/nebius.iam.v1.ProjectService/Get"
CREATE = "/nebius.compute.v1.InstanceService/Create"


def project_req():
    return M("nebius.iam.v1.GetProjectRequest")(id=PROJECT)


class FaultTest(SimTestCase):
    def setUp(self):
        self.sim.admin("Reset")

    def test_count_and_service_error(self):
        self.sim.admin("InjectFault", method=CREATE, code=8, message="no capacity", count=2,
                       service_error="not_enough_resources", retry_type=2)
        for _ in range(2):
            err, ses = self.assertRpcError(grpc.StatusCode.RESOURCE_EXHAUSTED, self.sim.call, CREATE,
                                           self.sim.instance_request("vm"))
            self.assertEqual(err.details(), "no capacity")
            self.assertEqual(ses[0].WhichOneof("details"), "not_enough_resources")
            self.assertEqual(ses[0].retry_type, 2)
        self.sim.wait_ok(self.sim.call(CREATE, self.sim.instance_request("vm")))
        kinds = [r["kind"] for r in self.sim.state()["resources"].values()]
        self.assertEqual(kinds.count("instance"), 1)  # failed calls changed nothing

    def test_quota_failure(self):
        self.sim.admin("InjectFault", method=CREATE, code=8, count=1, service_error="quota_failure", retry_type=3)
        _, ses = self.assertRpcError(grpc.StatusCode.RESOURCE_EXHAUSTED, self.sim.call, CREATE,
                                     self.sim.instance_request("vm"))
        self.assertEqual(ses[0].WhichOneof("details"), "quota_failure")
        self.assertEqual(ses[0].retry_type, 3)

    def test_star_matches_all_but_exchange_and_admin(self):
        self.sim.admin("InjectFault", method="*", code=14)
        self.assertRpcError(grpc.StatusCode.UNAVAILABLE, self.sim.call, GET_PROJECT, project_req())
        self.sim.exchange(make_jwt(self.sim.creds))  # not faulted
        self.sim.state()                               # admin not faulted
        self.assertRpcError(grpc.StatusCode.UNAVAILABLE, self.sim.call, GET_PROJECT, project_req())
        self.sim.admin("ClearFaults")
        self.sim.call(GET_PROJECT, project_req())
        self.sim.admin("InjectFault", method="/nebius.iam.v1.TokenExchangeService/Exchange", code=14, count=1)
        self.assertRpcError(grpc.StatusCode.UNAVAILABLE, self.sim.exchange, make_jwt(self.sim.creds))
        self.sim.exchange(make_jwt(self.sim.creds))

    def test_fraction(self):
        self.sim.admin("InjectFault", method=GET_PROJECT, code=14, fraction=0.5)
        failures = 0
        for _ in range(60):
            try:
                self.sim.call(GET_PROJECT, project_req())
            except grpc.RpcError as e:
                self.assertEqual(e.code(), grpc.StatusCode.UNAVAILABLE)
                failures += 1
        self.assertGreater(failures, 5)
        self.assertLess(failures, 55)

    def test_latency_and_hang(self):
        self.sim.admin("InjectFault", method=GET_PROJECT, latency_ms=300, count=1)
        t0 = time.monotonic()
        self.sim.call(GET_PROJECT, project_req())
        self.assertGreaterEqual(time.monotonic() - t0, 0.29)
        self.sim.admin("InjectFault", method=GET_PROJECT, hang=True, count=1)
        self.assertRpcError(grpc.StatusCode.DEADLINE_EXCEEDED, self.sim.call, GET_PROJECT, project_req(), timeout=0.5)
        self.sim.call(GET_PROJECT, project_req())

    def test_operation_failure(self):
        self.sim.admin("InjectFault", method=CREATE, code=8, count=1, operation_failure=True,
                       service_error="not_enough_resources", retry_type=2)
        op = self.sim.wait_op(self.sim.call(CREATE, self.sim.instance_request("vm")))
        self.assertEqual(op.status.code, 8)
        se = M("nebius.common.v1.ServiceError")()
        self.assertTrue(op.status.details[0].Unpack(se))
        self.assertEqual(se.WhichOneof("details"), "not_enough_resources")
        kinds = [r["kind"] for r in self.sim.state()["resources"].values()]
        self.assertNotIn("instance", kinds)  # a failed create leaves nothing behind
        self.assertNotIn("disk", kinds)

    def _op_service_error(self, op):
        se = M("nebius.common.v1.ServiceError")()
        self.assertEqual(len(op.status.details), 1)
        self.assertTrue(op.status.details[0].Unpack(se))
        return se

    def test_capacity_and_quota_defaults_in_a_failed_operation(self):
        # No code and no retry_type: the kind decides, as the sim's own capacity/quota errors do.
        for kind, retry in (("not_enough_resources", 2), ("quota_failure", 3)):
            self.sim.admin("Reset")
            self.sim.admin("InjectFault", method=CREATE, count=1, operation_failure=True, service_error=kind)
            op = self.sim.wait_op(self.sim.call(CREATE, self.sim.instance_request("vm")))
            self.assertEqual(op.status.code, grpc.StatusCode.RESOURCE_EXHAUSTED.value[0], kind)
            se = self._op_service_error(op)
            self.assertEqual(se.WhichOneof("details"), kind)
            self.assertEqual(se.retry_type, retry, kind)
            self.assertNotIn("instance", [r["kind"] for r in self.sim.state()["resources"].values()])

    def test_capacity_and_quota_defaults_on_the_call(self):
        for kind, retry in (("not_enough_resources", 2), ("quota_failure", 3)):
            self.sim.admin("InjectFault", method=CREATE, count=1, service_error=kind)
            _, ses = self.assertRpcError(grpc.StatusCode.RESOURCE_EXHAUSTED, self.sim.call, CREATE,
                                         self.sim.instance_request("vm"))
            self.assertEqual(ses[0].WhichOneof("details"), kind)
            self.assertEqual(ses[0].retry_type, retry, kind)
        self.assertNotIn("instance", [r["kind"] for r in self.sim.state()["resources"].values()])

    def test_explicit_code_and_retry_type_win_over_the_defaults(self):
        self.sim.admin("InjectFault", method=CREATE, code=14, count=1, operation_failure=True,
                       service_error="not_enough_resources", retry_type=1)
        op = self.sim.wait_op(self.sim.call(CREATE, self.sim.instance_request("vm")))
        self.assertEqual(op.status.code, 14)
        self.assertEqual(self._op_service_error(op).retry_type, 1)
        # Kinds other than capacity and quota keep no default: no code is no call error, retry unspecified.
        self.sim.admin("InjectFault", method=GET_PROJECT, count=1, service_error="internal_error")
        self.sim.call(GET_PROJECT, project_req())
        self.sim.admin("InjectFault", method=CREATE, count=1, operation_failure=True, service_error="internal_error")
        op = self.sim.wait_op(self.sim.call(CREATE, self.sim.instance_request("vm2")))
        self.assertEqual(op.status.code, grpc.StatusCode.INTERNAL.value[0])
        self.assertEqual(self._op_service_error(op).retry_type, 0)

    def test_late_capacity_failure(self):
        self.sim.admin("InjectFault", method=CREATE, count=1, late_capacity_failure=True)
        op = self.sim.wait_ok(self.sim.call(CREATE, self.sim.instance_request("vm")))
        inst = self.sim.wait_instance(op.resource_id, "STOPPED")
        self.assertEqual(inst.status.state, M("nebius.compute.v1.InstanceStatus").STOPPED)

    def test_late_capacity_failure_only_on_instance_create_or_start(self):
        for method in ("*", GET_PROJECT, "/nebius.compute.v1.InstanceService/Stop",
                       "/nebius.compute.v1.DiskService/Create"):
            _, ses = self.assertRpcError(grpc.StatusCode.INVALID_ARGUMENT, self.sim.admin, "InjectFault",
                                         method=method, count=1, late_capacity_failure=True)
            self.assertEqual(ses[0].bad_request.violations[0].field, "late_capacity_failure", method)
            self.assertIn("InstanceService/Create", ses[0].bad_request.violations[0].message)
        self.assertEqual(self.sim.state()["faults"], [])  # none was kept to be used up silently
        self.sim.admin("InjectFault", method=CREATE, count=1, late_capacity_failure=True)
        self.sim.admin("InjectFault", method="/nebius.compute.v1.InstanceService/Start", count=1,
                       late_capacity_failure=True)
        self.assertEqual(len(self.sim.state()["faults"]), 2)

    def test_after_effect(self):
        self.sim.admin("InjectFault", method=CREATE, code=14, count=1, after_effect=True)
        md = [("x-idempotency-key", "after-effect-key-0001")]
        req = self.sim.instance_request("vm")
        self.assertRpcError(grpc.StatusCode.UNAVAILABLE, self.sim.call, CREATE, req, metadata=md)
        kinds = [r["kind"] for r in self.sim.state()["resources"].values()]
        self.assertEqual(kinds.count("instance"), 1)  # the server acted
        op = self.sim.call(CREATE, req, metadata=md)  # the retry gets the original operation
        self.sim.wait_ok(op)
        kinds = [r["kind"] for r in self.sim.state()["resources"].values()]
        self.assertEqual(kinds.count("instance"), 1)

    def test_unauthenticated_fault_and_bad_fault(self):
        self.sim.admin("InjectFault", method=GET_PROJECT, code=16, count=1)
        self.assertRpcError(grpc.StatusCode.UNAUTHENTICATED, self.sim.call, GET_PROJECT, project_req())
        inject = lambda **kw: self.sim.admin("InjectFault", **kw)  # noqa: E731
        self.assertRpcError(grpc.StatusCode.INVALID_ARGUMENT, inject, method="", code=14)
        self.assertRpcError(grpc.StatusCode.INVALID_ARGUMENT, inject, method="*", code=14, service_error="bogus")
        self.assertRpcError(grpc.StatusCode.INVALID_ARGUMENT, inject, method="*", code=99)


class CommandLineFaultTest(SimTestCase):
    SIM_ARGS = ("--fault", json.dumps({"method": GET_PROJECT, "code": 14, "count": 1,
                                       "service_error": "internal_error", "retry_type": 1}))

    def test_fault_from_command_line(self):
        err, ses = self.assertRpcError(grpc.StatusCode.UNAVAILABLE, self.sim.call, GET_PROJECT, project_req())
        self.assertEqual(ses[0].retry_type, 1)
        self.sim.call(GET_PROJECT, project_req())


class CommandLineOperationFaultsTest(SimTestCase):
    # Checked in order: the first Create's operation fails, the second Create falls back to STOPPED.
    SIM_ARGS = ("--fault", json.dumps({"method": CREATE, "count": 1, "operation_failure": True,
                                       "service_error": "quota_failure"}),
                "--fault", json.dumps({"method": CREATE, "count": 1, "late_capacity_failure": True}))

    def test_operation_failure_then_late_capacity_failure(self):
        op = self.sim.wait_op(self.sim.call(CREATE, self.sim.instance_request("vm1")))
        self.assertEqual(op.status.code, grpc.StatusCode.RESOURCE_EXHAUSTED.value[0])
        se = M("nebius.common.v1.ServiceError")()
        self.assertTrue(op.status.details[0].Unpack(se))
        self.assertEqual(se.WhichOneof("details"), "quota_failure")
        self.assertEqual(se.retry_type, 3)
        op = self.sim.wait_ok(self.sim.call(CREATE, self.sim.instance_request("vm2")))
        self.sim.wait_instance(op.resource_id, "STOPPED")
        # Both used up: the next Create runs normally.
        self.sim.create_instance("vm3")
        self.assertEqual(self.sim.state()["faults"], [])


class CommandLineBadFaultTest(unittest.TestCase):
    def run_sim(self, *args):
        return subprocess.run([SIM, "--port", "0", "--certs", CERTS, "--pydir", PYDIR] + list(args),
                              capture_output=True, text=True, timeout=20)

    def test_refused_faults_stop_the_start(self):
        for fault, why in (({"method": GET_PROJECT, "count": 1, "late_capacity_failure": True},
                            "late_capacity_failure"),
                           ({"method": CREATE, "code": 99}, "code"),
                           ({"method": CREATE, "bogus_field": 1}, "bogus_field")):
            p = self.run_sim("--fault", json.dumps(fault))
            self.assertEqual(p.returncode, 1, p.stderr)
            self.assertEqual(p.stdout, "")
            self.assertIn("--fault", p.stderr)
            self.assertIn(why, p.stderr)

    def test_bad_expire_tokens_after(self):
        for value in ("-1", "nan", "soon"):
            p = self.run_sim("--expire-tokens-after", value)
            self.assertEqual(p.returncode, 2, value)
            self.assertEqual(p.stdout, "")
            self.assertIn("--expire-tokens-after", p.stderr)

    def test_help_documents_the_fault_options(self):
        p = self.run_sim("--help")
        self.assertEqual(p.returncode, 0)
        for text in ("--fault JSON", "operation_failure", "--expire-tokens-after S", "expire every token"):
            self.assertIn(text, p.stdout)


class CommandLineExpireTokensTest(unittest.TestCase):
    FIRST, SECOND = 2.0, 3.5

    def test_every_token_expires_at_each_given_time(self):
        sim = Sim("--expire-tokens-after", str(self.FIRST), "--expire-tokens-after", str(self.SECOND))
        self.addCleanup(lambda: self.assertEqual(sim.close(), 0))
        old = sim.login()
        sim.call(GET_PROJECT, project_req())
        self.assertLess(time.monotonic() - sim.ready_at, self.FIRST, "machine too slow for this test")
        time.sleep(max(0, sim.ready_at + self.FIRST + 0.1 - time.monotonic()))
        self.assert_refused_as_expired(sim)
        st = sim.state()
        self.assertEqual((st["tokens_issued"], st["tokens_valid"]), (1, 0))
        # A new exchange works, until the second time.
        self.assertNotEqual(sim.login(), old)
        sim.call(GET_PROJECT, project_req())
        sim.admin("Reset")  # keeps the schedule, as it keeps tokens
        sim.call(GET_PROJECT, project_req())
        self.assertLess(time.monotonic() - sim.ready_at, self.SECOND, "machine too slow for this test")
        time.sleep(max(0, sim.ready_at + self.SECOND + 0.1 - time.monotonic()))
        self.assert_refused_as_expired(sim)
        sim.login()
        sim.call(GET_PROJECT, project_req())  # nothing further scheduled
        self.assertEqual(sim.state()["tokens_valid"], 1)

    def assert_refused_as_expired(self, sim):
        with self.assertRaises(grpc.RpcError) as cm:
            sim.call(GET_PROJECT, project_req())
        self.assertEqual(cm.exception.code(), grpc.StatusCode.UNAUTHENTICATED, cm.exception.details())
        self.assertIn("expired", cm.exception.details())
