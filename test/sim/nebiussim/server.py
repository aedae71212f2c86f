"""Start-up, TLS, generic gRPC handlers and the per-call pipeline.

Every call goes through one pipeline:
  fault (latency / hang / error) -> lock + advance clock -> authenticate ->
  idempotency replay -> handler -> (after_effect fault) -> copy reply -> log.
All services (Nebius and admin) are served on one TLS port.
"""
import argparse
import os
import signal
import sys
import threading
import time
import traceback
from concurrent import futures

import grpc
from google.protobuf import json_format

from . import errors, faults, protos

ADMIN_SERVICE = "nebiussim.v1.AdminService"
EXCHANGE = "/nebius.iam.v1.TokenExchangeService/Exchange"
OPERATION_GET = "/nebius.common.v1.OperationService/Get"
LOG = None  # set by main when --verbose


def log(msg):
    if LOG:
        LOG.write("nebius-sim: %s\n" % msg)
        LOG.flush()


class Call:
    """What a handler sees of one RPC."""
    __slots__ = ("method", "service", "request", "metadata", "principal", "idempotency_key", "fault",
                 "reset_mask", "context")

    def __init__(self, method, service, request, metadata, context):
        self.method = method
        self.service = service
        self.request = request
        self.metadata = metadata
        self.principal = None
        self.idempotency_key = metadata.get("x-idempotency-key", "")
        self.reset_mask = metadata.get("x-resetmask", "")
        self.fault = None
        self.context = context


def _redacted(metadata):
    out = {}
    for k, v in metadata.items():
        if k == "authorization":
            # Keep only the scheme and the credential's length: enough to debug, useless to steal.
            scheme, _, cred = v.partition(" ")
            out[k] = "%s <redacted:len %d>" % (scheme or "?", len(cred.strip()))
        elif k.endswith("-bin"):
            out[k] = "<binary:len %d>" % len(v)
        else:
            out[k] = v
    return out


# Fields the API marks `credentials` (token exchange) or `sensitive` (cloud-init user data): logged by
# length only, like the authorization header. Tests read cloud-init from the instance in GetState.
REDACTED_FIELDS = frozenset(("subject_token", "actor_token", "access_token", "cloud_init_user_data"))


def _redact_fields(value):
    if isinstance(value, dict):
        for k, v in value.items():
            if k in REDACTED_FIELDS and isinstance(v, str):
                value[k] = "<redacted:len %d>" % len(v)
            else:
                _redact_fields(v)
    elif isinstance(value, list):
        for v in value:
            _redact_fields(v)
    return value


def request_json(msg):
    """The request message for the request log: proto-JSON field names as in the .proto, with
    REDACTED_FIELDS replaced by their length."""
    return _redact_fields(json_format.MessageToDict(msg, preserving_proto_field_name=True))


def _metadata(context):
    md = {}
    for item in context.invocation_metadata():
        key, value = item.key.lower(), item.value
        if isinstance(value, bytes):
            value = value.decode("latin-1")
        md[key] = value if key not in md else md[key] + "," + value
    return md


class Simulator:
    def __init__(self, st, handlers):
        self.st = st
        self.handlers = handlers  # method path -> fn(st, call)

    def _wait_hang(self, context):
        # Never answer: hold the call until the client gives up or the server stops.
        while context.is_active() and not self.st.shutting_down.is_set():
            time.sleep(0.02)

    def _run(self, call, impl, is_admin, mutating):
        st, method = self.st, call.method
        if not is_admin:
            with st.lock:
                call.fault = faults.take(st, method)
        f = call.fault
        if f is not None:
            log("fault on %s: %s" % (method, f.describe()))
            if f.latency_ms > 0:
                time.sleep(f.latency_ms / 1000.0)
            if f.hang:
                self._wait_hang(call.context)
                raise errors.RpcError(errors.DEADLINE_EXCEEDED, "injected hang")
            if not f.after_effect:
                err = f.call_error(call.service)
                if err is not None:
                    raise err
        with st.lock:
            st.advance()
            if not is_admin and method != EXCHANGE:
                call.principal = _authenticate(st, call.metadata)
            replay = None
            if mutating and call.idempotency_key:
                op_id = st.idempotency.get((method, call.idempotency_key))
                if op_id is not None and op_id in st.operations:
                    replay = st.operations[op_id].msg
            if replay is not None:
                reply = replay
            elif impl is None:
                raise errors.RpcError(errors.UNIMPLEMENTED, "%s is not implemented by nebius-sim" % method)
            else:
                reply = impl(st, call)
                if mutating and call.idempotency_key:
                    st.idempotency[(method, call.idempotency_key)] = reply.id
            out = type(reply)()
            out.CopyFrom(reply)
        if f is not None and f.after_effect:
            err = f.call_error(call.service)
            if err is not None:
                raise err
        return out

    def unary(self, method, service, mutating):
        impl = self.handlers.get(method)
        is_admin = service == ADMIN_SERVICE
        st = self.st

        def handle(request, context):
            md = _metadata(context)
            call = Call(method, service, request, md, context)
            code = errors.OK
            try:
                return self._run(call, impl, is_admin, mutating)
            except errors.RpcError as e:
                code = e.code
                log("%s -> %s: %s" % (method, errors.code_name(e.code), e.message))
                status = errors.grpc_status(e)
            except Exception as e:  # noqa: a simulator bug must surface as INTERNAL, not a dead worker
                code = errors.INTERNAL
                if LOG:
                    traceback.print_exc(file=LOG)
                status = errors.grpc_status(errors.RpcError(errors.INTERNAL, "nebius-sim internal error: %r" % (e,)))
            finally:
                if not is_admin:
                    body = request_json(request)
                    with st.lock:
                        st.requests.append({"method": method, "metadata": _redacted(md), "request": body,
                                            "code": code, "code_name": errors.code_name(code),
                                            "time": time.time(), "peer": context.peer()})
                        st.request_counts[method] += 1
            context.abort_with_status(status)

        return handle

    def generic_handlers(self):
        out = []
        for svc in protos.services():
            table = {}
            for m in svc.methods:
                req_cls = protos.msg(m.input_type.full_name)
                resp_cls = protos.msg(m.output_type.full_name)
                path = "/%s/%s" % (svc.full_name, m.name)
                mutating = (m.output_type.full_name == "nebius.common.v1.Operation" and path != OPERATION_GET)
                table[m.name] = grpc.unary_unary_rpc_method_handler(
                    self.unary(path, svc.full_name, mutating),
                    request_deserializer=req_cls.FromString,
                    response_serializer=resp_cls.SerializeToString)
            out.append(grpc.method_handlers_generic_handler(svc.full_name, table))
        return out


def _authenticate(st, md):
    from . import iam
    return iam.authenticate(st, md)


def parse_args(argv):
    here = os.path.dirname(os.path.abspath(__file__))
    repo = os.path.dirname(os.path.dirname(os.path.dirname(here)))
    p = argparse.ArgumentParser(prog="nebius-sim", description="Local Nebius API simulator (gRPC over TLS)")
    p.add_argument("--port", type=int, default=0)
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--certs", required=True,
                   help="directory made by scripts/gen-test-certs.sh: server certificates, and "
                        "service-account.key, the preset service account's key (generated at start "
                        "when that file is missing)")
    p.add_argument("--cert-variant", choices=("good", "otherca", "wronghost"), default="good")
    p.add_argument("--token-ttl", type=float, default=3600)
    p.add_argument("--op-delay", type=float, default=0.2)
    p.add_argument("--state-delay", type=float, default=0.3)
    p.add_argument("--sa-key-out")
    p.add_argument("--state-file")
    p.add_argument("--pydir", default=os.path.join(repo, "build", "py"))
    p.add_argument("--page-size-max", type=int, default=100)
    p.add_argument("--fault", action="append", default=[], metavar="JSON",
                   help="inject a fault at start: nebiussim.v1.InjectFaultRequest as proto-JSON, e.g. "
                        "'{\"method\": \"/nebius.compute.v1.InstanceService/Create\", \"count\": 1, "
                        "\"operation_failure\": true, \"service_error\": \"not_enough_resources\"}' "
                        "(repeatable; admin Reset clears these)")
    p.add_argument("--expire-tokens-after", action="append", type=float, default=[], metavar="S",
                   help="S seconds after READY, expire every token: each access token issued until "
                        "then is refused (UNAUTHENTICATED) from that moment, as after admin ExpireTokens; "
                        "new exchanges work (repeatable; admin Reset keeps these)")
    p.add_argument("--verbose", action="store_true")
    a = p.parse_args(argv)
    if a.page_size_max < 1:
        p.error("--page-size-max must be >= 1")
    for s in a.expire_tokens_after:
        if not s >= 0 or s == float("inf"):
            p.error("--expire-tokens-after must be a finite number of seconds >= 0 (got %r)" % s)
    return a


PRESET_KEY_FILE = "service-account.key"


def _preset_key(path):
    """The preset service account's private key: PATH if it exists, else a fresh one.

    Returns the key, or the exception to raise (it runs in a thread): a key file
    that exists but cannot be used is an error, not a reason to fall back."""
    from . import iam
    try:
        with open(path, "rb") as fh:
            data = fh.read()
    except FileNotFoundError:
        return iam.generate_key()
    except OSError as e:
        return OSError("%s: %s" % (path, e.strerror or e))
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa
    try:
        key = serialization.load_pem_private_key(data, None)
    except Exception as e:  # ValueError, TypeError (encrypted), cryptography's UnsupportedAlgorithm
        return ValueError("%s: not an unencrypted PEM private key (%s); delete it and re-run "
                          "scripts/gen-test-certs.sh" % (path, e))
    if not isinstance(key, rsa.RSAPrivateKey) or key.key_size < 2048:
        return ValueError("%s: must be an RSA key of at least 2048 bits (RS256); delete it and re-run "
                          "scripts/gen-test-certs.sh" % path)
    return key


def build(args):
    """Creates state, presets and the server (not started). Returns (server, state, port)."""
    from . import iam
    # The preset account's key comes from the certs dir (gen-test-certs.sh makes it once): generating
    # a 2048-bit RSA key at every start took 0.3-1 s. Loading it (OpenSSL checks the key) and, when
    # the file is missing, generating one both run in C without the GIL: overlap them with loading.
    keybox = []
    key_path = os.path.join(args.certs, PRESET_KEY_FILE)

    def get_key():
        try:
            keybox.append(_preset_key(key_path))
        except Exception as e:  # noqa: surface it from build(), not as a dead thread
            keybox.append(RuntimeError("preset service-account key: %r" % (e,)))
    keygen = threading.Thread(target=get_key, daemon=True)
    keygen.start()
    from . import admin, compute, operations, state, vpc
    protos.load(args.pydir)
    cfg = state.Config(token_ttl=args.token_ttl, op_delay=args.op_delay, state_delay=args.state_delay,
                       page_size_max=args.page_size_max)
    st = state.State(cfg)
    admin.install_presets(st)
    keygen.join()
    if isinstance(keybox[0], Exception):
        raise keybox[0]
    _, _, creds_json = iam.create_service_account(st, "sim-service-account", state.SERVICE_ACCOUNT_ID,
                                                  state.PUBLIC_KEY_ID, keybox[0])
    if args.sa_key_out:
        fd = os.open(args.sa_key_out, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write(creds_json)
        os.chmod(args.sa_key_out, 0o600)
    for text in args.fault:
        try:
            faults.inject(st, faults.from_json(text))
        except errors.RpcError as e:
            raise ValueError("--fault %s: %s" % (text, e.message)) from None
        except Exception as e:  # json_format.ParseError is not a ValueError
            raise ValueError("--fault %s: %s" % (text, e)) from None
    handlers = {}
    for mod in (operations, iam, compute, vpc, admin):
        handlers.update(mod.HANDLERS)
    sim = Simulator(st, handlers)
    suffix = {"good": "server", "otherca": "server-otherca", "wronghost": "server-wronghost"}[args.cert_variant]
    with open(os.path.join(args.certs, suffix + ".key"), "rb") as fh:
        key = fh.read()
    with open(os.path.join(args.certs, suffix + ".pem"), "rb") as fh:
        cert = fh.read()
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=64),
                         handlers=sim.generic_handlers(),
                         options=[("grpc.so_reuseport", 0)])
    port = server.add_secure_port("%s:%d" % (args.host, args.port), grpc.ssl_server_credentials([(key, cert)]))
    if port == 0:
        raise RuntimeError("cannot bind %s:%d" % (args.host, args.port))
    return server, st, port


def dump_state(st, path):
    from . import admin
    with st.lock:
        st.advance()
        text = admin.state_json(st)
    tmp = path + ".tmp"
    with open(tmp, "w") as fh:
        fh.write(text)
    os.replace(tmp, path)


def main(argv=None):
    global LOG
    args = parse_args(sys.argv[1:] if argv is None else argv)
    if args.verbose:
        LOG = sys.stderr
    try:
        server, st, port = build(args)
    except (OSError, RuntimeError, ValueError) as e:
        sys.stderr.write("nebius-sim: %s\n" % e)
        return 1
    stop = threading.Event()

    def on_signal(_signum, _frame):
        stop.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    server.start()
    with st.lock:
        ready = time.time()
        for s in args.expire_tokens_after:
            st.expire_tokens_at(ready + s)
    sys.stdout.write("READY %d\n" % port)
    sys.stdout.flush()
    log("serving on %s:%d" % (args.host, port))
    while not stop.wait(0.2):
        pass
    st.shutting_down.set()
    server.stop(0.5).wait(2)
    if args.state_file:
        dump_state(st, args.state_file)
    log("stopped")
    return 0
