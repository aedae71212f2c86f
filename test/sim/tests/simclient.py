"""Test helper: runs nebius-sim as a subprocess and talks to it over TLS like a real client."""
import base64
import json
import os
import shutil
import subprocess
import sys
import time

# The TLS-failure tests make gRPC core log handshake errors; they are expected, keep the output readable.
os.environ.setdefault("GRPC_VERBOSITY", "NONE")

import grpc  # noqa: E402
from cryptography.hazmat.primitives import hashes, serialization  # noqa: E402
from cryptography.hazmat.primitives.asymmetric import padding  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
SIM_DIR = os.path.dirname(HERE)
REPO = os.path.dirname(os.path.dirname(SIM_DIR))
SIM = os.path.join(SIM_DIR, "nebius-sim")
CERTS = os.path.join(REPO, "build", "certs")
PYDIR = os.path.join(REPO, "build", "py")
PROJECT = "project-sim0000000001"
TENANT = "tenant-sim0000000000"
SUBNET = "vpcsubnet-sim0000000001"
NETWORK = "vpcnetwork-sim0000000001"
DEFAULT_SG = "vpcsecuritygroup-sim0000000001"
AUD = "token-service.iam.new.nebiuscloud.net"

sys.path.insert(0, SIM_DIR)


def ensure_built():
    if not all(os.path.exists(os.path.join(CERTS, f)) for f in ("server.pem", "service-account.key")):
        subprocess.run([os.path.join(REPO, "scripts", "gen-test-certs.sh"), CERTS], check=True)
    if not os.path.exists(os.path.join(PYDIR, "nebiussim", "v1", "admin_pb2.py")):
        os.makedirs(PYDIR, exist_ok=True)
        protos = []
        for root, _d, files in os.walk(os.path.join(REPO, "proto")):
            protos += [os.path.relpath(os.path.join(root, f), os.path.join(REPO, "proto"))
                       for f in files if f.endswith(".proto")]
        subprocess.run(["protoc", "-I", "proto", "-I", "/usr/include", "--python_out=" + PYDIR] + protos,
                       cwd=REPO, check=True)


ensure_built()
from nebiussim import protos  # noqa: E402

protos.load(PYDIR)
M = protos.msg


def b64url(data):
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def make_jwt(creds, now=None, **over):
    """RS256 JWT the way the Nebius SDKs build it; keyword overrides replace header/claim fields."""
    sc = creds["subject-credentials"]
    now = int(time.time()) if now is None else now
    header = {"alg": "RS256", "typ": "JWT", "kid": sc["kid"]}
    claims = {"iss": sc["iss"], "sub": sc["sub"], "aud": AUD, "iat": now, "exp": now + 60}
    for k, v in over.items():
        if k.startswith("h_"):
            if v is None:
                header.pop(k[2:], None)
            else:
                header[k[2:]] = v
        elif v is None:
            claims.pop(k, None)
        else:
            claims[k] = v
    signing = b64url(json.dumps(header).encode()) + "." + b64url(json.dumps(claims).encode())
    key = serialization.load_pem_private_key(sc["private-key"].encode(), None)
    sig = key.sign(signing.encode(), padding.PKCS1v15(), hashes.SHA256())
    return signing + "." + b64url(sig)


class Sim:
    """One simulator process plus a TLS channel to it."""

    def __init__(self, *extra, op_delay="0.05", state_delay="0.05", token_ttl="3600", certs=CERTS):
        self.tmp = os.path.join("/tmp", "nebius-sim-test-%d-%d" % (os.getpid(), time.monotonic_ns()))
        os.makedirs(self.tmp, exist_ok=True)
        self.key_file = os.path.join(self.tmp, "sa.json")
        self.state_file = os.path.join(self.tmp, "state.json")
        args = [SIM, "--port", "0", "--certs", certs, "--op-delay", op_delay, "--state-delay", state_delay,
                "--token-ttl", token_ttl, "--sa-key-out", self.key_file, "--state-file", self.state_file,
                "--pydir", PYDIR] + list(extra)
        t0 = time.monotonic()
        self.proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        line = self.proc.stdout.readline()
        self.ready_at = time.monotonic()
        self.startup_seconds = self.ready_at - t0
        if not line.startswith("READY "):
            self.proc.kill()
            self.proc.wait()
            shutil.rmtree(self.tmp, ignore_errors=True)
            raise RuntimeError("sim did not start: %r %s" % (line, self.proc.stderr.read()))
        self.ready_line = line.strip()
        self.port = int(line.split()[1])
        with open(os.path.join(CERTS, "ca.pem"), "rb") as fh:
            ca = fh.read()
        self.channel = grpc.secure_channel("localhost:%d" % self.port, grpc.ssl_channel_credentials(ca))
        with open(self.key_file) as fh:
            self.creds = json.load(fh)
        self.token = None

    def close(self, keep_files=False):
        """Stops the simulator (SIGTERM) and returns its exit status; removes its files unless asked."""
        self.channel.close()
        self.proc.terminate()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.proc.stdout.close()
        self.proc.stderr.close()
        if not keep_files:
            shutil.rmtree(self.tmp, ignore_errors=True)
        return self.proc.returncode

    # --- raw calls -------------------------------------------------------------------------------

    def call(self, path, request, metadata=(), auth=True, timeout=10):
        svc_name, method = path.strip("/").split("/")
        svc = protos.service(svc_name)
        out_cls = M(svc.methods_by_name[method].output_type.full_name)
        md = list(metadata)
        if auth and not svc_name.startswith("nebiussim") and not path.endswith("/Exchange"):
            if self.token is None:
                self.login()
            md.append(("authorization", "Bearer " + self.token))
        fn = self.channel.unary_unary(path, request_serializer=type(request).SerializeToString,
                                      response_deserializer=out_cls.FromString)
        return fn(request, metadata=md, timeout=timeout)

    def exchange(self, jwt, **fields):
        req = M("nebius.iam.v1.ExchangeTokenRequest")(
            grant_type="urn:ietf:params:oauth:grant-type:token-exchange",
            requested_token_type="urn:ietf:params:oauth:token-type:access_token",
            subject_token=jwt, subject_token_type="urn:ietf:params:oauth:token-type:jwt")
        for k, v in fields.items():
            setattr(req, k, v)
        return self.call("/nebius.iam.v1.TokenExchangeService/Exchange", req, auth=False)

    def login(self):
        self.token = self.exchange(make_jwt(self.creds)).access_token
        return self.token

    def admin(self, rpc, **fields):
        svc = protos.service("nebiussim.v1.AdminService")
        req = M(svc.methods_by_name[rpc].input_type.full_name)(**fields)
        return self.call("/nebiussim.v1.AdminService/" + rpc, req)

    def state(self):
        return json.loads(self.admin("GetState").json)

    def requests(self, method_filter="", clear=False):
        return json.loads(self.admin("GetRequests", method_filter=method_filter, clear=clear).json)

    # --- operations ------------------------------------------------------------------------------

    def wait_op(self, op, timeout=10):
        deadline = time.monotonic() + timeout
        while not op.HasField("status"):
            if time.monotonic() > deadline:
                raise AssertionError("operation %s did not finish" % op.id)
            time.sleep(0.02)
            op = self.call("/nebius.common.v1.OperationService/Get", M("nebius.common.v1.GetOperationRequest")(id=op.id))
        return op

    def wait_ok(self, op):
        op = self.wait_op(op)
        if op.status.code != 0:
            raise AssertionError("operation %s failed: %s" % (op.id, op.status))
        return op

    def wait_instance(self, iid, state_name, timeout=10):
        want = M("nebius.compute.v1.InstanceStatus").InstanceState.Value(state_name)
        deadline = time.monotonic() + timeout
        while True:
            inst = self.call("/nebius.compute.v1.InstanceService/Get", M("nebius.compute.v1.GetInstanceRequest")(id=iid))
            if inst.status.state == want:
                return inst
            if time.monotonic() > deadline:
                raise AssertionError("instance %s stuck in %s" % (iid, inst.status.state))
            time.sleep(0.02)

    # --- builders ----------------------------------------------------------------------------------

    def instance_request(self, name, platform="cpu-d3", preset="2vcpu-8gb", groups=(), public=False,
                         subnet=SUBNET, boot=None, **spec_fields):
        req = M("nebius.compute.v1.CreateInstanceRequest")()
        req.metadata.parent_id = PROJECT
        req.metadata.name = name
        req.spec.resources.platform = platform
        req.spec.resources.preset = preset
        if boot is None:
            req.spec.boot_disk.attach_mode = M("nebius.compute.v1.AttachedDiskSpec").READ_WRITE
            md = req.spec.boot_disk.managed_disk
            md.name = name + "-boot"
            md.spec.size_gibibytes = 50
            md.spec.type = M("nebius.compute.v1.DiskSpec").NETWORK_SSD
            md.spec.source_image_family.image_family = "ubuntu24.04-driverless"
        else:
            req.spec.boot_disk.CopyFrom(boot)
        nic = req.spec.network_interfaces.add(subnet_id=subnet, name="eth0")
        nic.ip_address.SetInParent()
        if public:
            nic.public_ip_address.SetInParent()
        for g in groups:
            nic.security_groups.add(id=g)
        for k, v in spec_fields.items():
            setattr(req.spec, k, v)
        return req

    def create_instance(self, name, **kw):
        op = self.call("/nebius.compute.v1.InstanceService/Create", self.instance_request(name, **kw))
        self.wait_ok(op)
        return self.wait_instance(op.resource_id, "STOPPED" if kw.get("stopped") else "RUNNING")

    def create_group(self, name, network=NETWORK):
        req = M("nebius.vpc.v1.CreateSecurityGroupRequest")()
        req.metadata.parent_id = PROJECT
        req.metadata.name = name
        req.spec.network_id = network
        op = self.wait_ok(self.call("/nebius.vpc.v1.SecurityGroupService/Create", req))
        return op.resource_id

    def rule_request(self, sg, name, access="ALLOW", protocol="TCP", direction="ingress", cidrs=(), ports=(),
                     peer_sg="", priority=0, rule_type=""):
        req = M("nebius.vpc.v1.CreateSecurityRuleRequest")()
        req.metadata.parent_id = sg
        req.metadata.name = name
        req.spec.access = protos.enum_value("nebius.vpc.v1.RuleAccessAction", access)
        req.spec.protocol = protos.enum_value("nebius.vpc.v1.RuleProtocol", protocol)
        req.spec.priority = priority
        if rule_type:
            req.spec.type = protos.enum_value("nebius.vpc.v1.RuleType", rule_type)
        m = getattr(req.spec, direction)
        m.SetInParent()
        if direction == "ingress":
            m.source_cidrs.extend(cidrs)
            m.source_security_group_id = peer_sg
        else:
            m.destination_cidrs.extend(cidrs)
            m.destination_security_group_id = peer_sg
        m.destination_ports.extend(ports)
        return req

    def create_rule(self, sg, name, **kw):
        op = self.wait_ok(self.call("/nebius.vpc.v1.SecurityRuleService/Create", self.rule_request(sg, name, **kw)))
        return op.resource_id

    def flow(self, **kw):
        r = self.admin("EvaluateFlow", **kw)
        return r.allowed, r.reason


def service_error_of(rpc_error):
    """(google.rpc.Status, [ServiceError]) from a grpc.RpcError's grpc-status-details-bin trailer."""
    for k, v in rpc_error.trailing_metadata() or ():
        if k == "grpc-status-details-bin":
            st = M("google.rpc.Status").FromString(v)
            out = []
            for d in st.details:
                se = M("nebius.common.v1.ServiceError")()
                d.Unpack(se)
                out.append(se)
            return st, out
    return None, []


import unittest  # noqa: E402


class SimTestCase(unittest.TestCase):
    """One simulator per test class; tests call self.sim.admin("Reset") when they need a clean slate."""
    SIM_ARGS = ()
    SIM_KW = {}

    @classmethod
    def setUpClass(cls):
        cls.sim = Sim(*cls.SIM_ARGS, **cls.SIM_KW)

    @classmethod
    def tearDownClass(cls):
        rc = cls.sim.close()
        if rc != 0:
            raise AssertionError("nebius-sim exited with %s" % rc)

    def assertRpcError(self, code, fn, /, *args, **kw):
        """Runs fn, expects a grpc.RpcError with `code` (a grpc.StatusCode); returns (error, [ServiceError])."""
        with self.assertRaises(grpc.RpcError) as cm:
            fn(*args, **kw)
        err = cm.exception
        self.assertEqual(err.code(), code, err.details())
        _st, ses = service_error_of(err)
        return err, ses

    def create(self, path, req, **kw):
        return self.sim.call(path, req, **kw)
