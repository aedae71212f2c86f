#!/usr/bin/env bash
# Builds examples/quickstart.c against the built library (public headers and
# the shared library only, as a user would) and runs it against a nebius-sim
# it starts. Prints "N passed, M failed" last.
#   bash examples/run.sh [BUILD]     (default build; needs make lib certs pyproto)
set -u
cd "$(dirname "$0")/.."
BUILD=${1:-${BUILD:-build}}
case $BUILD in /*) ;; *) BUILD=$PWD/$BUILD ;; esac
PY=/usr/bin/python3
pass=0 fail=0
tmp=$(mktemp -d "${TMPDIR:-/tmp}/brev-example.XXXXXX")
sim_pid=

cleanup() {
    if [ -n "$sim_pid" ] && kill -0 "$sim_pid" 2>/dev/null; then
        kill "$sim_pid" 2>/dev/null
        wait "$sim_pid" 2>/dev/null
    fi
    rm -rf "$tmp"
}
trap cleanup EXIT

# check WHAT CONDITION...: one counted step.
check() {
    local what=$1
    shift
    if "$@"; then
        echo "ok   $what"
        pass=$((pass + 1))
    else
        echo "FAIL $what"
        fail=$((fail + 1))
    fi
}

finish() {
    echo "examples: $pass passed, $fail failed"
    [ "$fail" -eq 0 ]
    exit
}

compile() {
    cc -std=c11 -Wall -Wextra -Werror -Iinclude examples/quickstart.c -L"$BUILD" -lbrev-nebius \
        -Wl,-rpath,"$BUILD" -o "$tmp/quickstart"
}
check "quickstart.c compiles against include/brev and $BUILD/libbrev-nebius.so" compile
[ -x "$tmp/quickstart" ] || finish

start_sim() {
    "$PY" test/sim/nebius-sim --port 0 --certs "$BUILD/certs" --pydir "$BUILD/py" --op-delay 0.05 \
        --state-delay 0.05 --sa-key-out "$tmp/sa.json" >"$tmp/sim.out" 2>"$tmp/sim.err" &
    sim_pid=$!
    for _ in $(seq 1 100); do
        if read -r word port <"$tmp/sim.out" 2>/dev/null && [ "$word" = READY ]; then
            echo "$port" >"$tmp/port"
            return 0
        fi
        kill -0 "$sim_pid" 2>/dev/null || { cat "$tmp/sim.err" >&2; return 1; }
        sleep 0.1
    done
    return 1
}
check "nebius-sim starts" start_sim
[ -s "$tmp/port" ] || finish

ssh-keygen -q -t ed25519 -N '' -C quickstart -f "$tmp/id_quickstart"
for v in NEBIUS_IAM_TOKEN NEBIUS_SERVICE_ACCOUNT_JSON NEBIUS_TENANT_ID NEBIUS_REGION NEBIUS_DOMAIN; do
    unset "$v"
done
export NEBIUS_SERVICE_ACCOUNT_CREDENTIALS_FILE=$tmp/sa.json
export NEBIUS_PROJECT_ID=project-sim0000000001
export NEBIUS_ENDPOINT=localhost:$(cat "$tmp/port")
export NEBIUS_CA_FILE=$BUILD/certs/ca.pem

run_quickstart() {
    "$tmp/quickstart" "$tmp/id_quickstart.pub" >"$tmp/out.txt" 2>&1
    local rc=$?
    sed 's/^/     /' "$tmp/out.txt"
    return $rc
}
check "quickstart runs to the end (exit 0)" run_quickstart
check "it created a running instance with a public IP" grep -Eq '^created quickstart-1 \(computeinstance-[a-z0-9]+\): running, ssh ubuntu@[0-9.]+ -p 22, disk 64 GiB encrypted$' "$tmp/out.txt"
check "it listed the instance" grep -Eq '^  computeinstance-[a-z0-9]+  quickstart-1 +running +cpu-d3.4vcpu-16gb$' "$tmp/out.txt"
check "it terminated the instance" grep -q '^terminated computeinstance-' "$tmp/out.txt"

no_instance_left() {
    "$PY" - "$BUILD/py" "$(cat "$tmp/port")" "$BUILD/certs/ca.pem" <<'PYEOF'
import json, sys
sys.path.insert(0, sys.argv[1])
import grpc
from nebiussim.v1 import admin_pb2
creds = grpc.ssl_channel_credentials(open(sys.argv[3], "rb").read())
ch = grpc.secure_channel("localhost:" + sys.argv[2], creds)
get = ch.unary_unary("/nebiussim.v1.AdminService/GetState",
                     request_serializer=admin_pb2.GetStateRequest.SerializeToString,
                     response_deserializer=admin_pb2.JsonResponse.FromString)
state = json.loads(get(admin_pb2.GetStateRequest(), timeout=10).json)
left = [r for r in state["resources"].values() if r["kind"] in ("instance", "disk")]
sys.exit(1 if left else 0)
PYEOF
}
check "nothing is left in the sim (no instance, no disk)" no_instance_left

bad_key() {
    echo "ssh-ed25519 not-a-key" >"$tmp/bad.pub"
    ! "$tmp/quickstart" "$tmp/bad.pub" >"$tmp/bad.txt" 2>&1 && grep -q "invalid argument" "$tmp/bad.txt"
}
check "a bad SSH key is refused with the library's message" bad_key
finish
