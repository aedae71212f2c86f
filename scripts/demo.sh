#!/usr/bin/env bash
# The one-command demo (`make demo`): a real lifecycle through the brev-nebius
# CLI against nebius-sim, the local Nebius.
#
#   1. installs what is missing (scripts/install-deps.sh) and builds
#   2. starts nebius-sim on a free port with a fresh service-account key
#   3. through the CLI: auth check, a two-instance cluster, a firewall rule,
#      a clean policy check, a stray rule planted behind the tool's back and
#      caught by policy check, everything terminated, no cluster left
#
# Exits non-zero as soon as a step does not give its expected result; the
# simulator is stopped on any exit.
#   DEMO_SKIP_INSTALL=1   skip install-deps (the tests set it)
#   DEMO_SKIP_BUILD=1     skip the build (the binaries must exist)
#   BUILD=dir             build directory (default build)
set -euo pipefail
cd "$(dirname "$0")/.."

BUILD=${BUILD:-build}
case $BUILD in /*) ;; *) BUILD=$PWD/$BUILD ;; esac
PY=/usr/bin/python3
CLI=$BUILD/brev-nebius
CLUSTER=demo
TYPE=cpu-d3.2vcpu-8gb
OPERATOR_CIDR=203.0.113.0/24
T0=$(date +%s%N)

tmp=
sim_pid=
cleanup() {
    local rc=$?
    if [ -n "$sim_pid" ] && kill -0 "$sim_pid" 2>/dev/null; then
        kill "$sim_pid" 2>/dev/null || true
        wait "$sim_pid" 2>/dev/null || true
    fi
    [ -n "$tmp" ] && rm -rf "$tmp"
    if [ "$rc" -ne 0 ]; then
        echo
        echo "demo: FAILED (exit $rc)"
    fi
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

elapsed() { echo "$(( ($(date +%s%N) - T0) / 1000000 ))"; }
say() { printf '\n== %s\n' "$*"; }
die() { echo "demo: $*" >&2; exit 1; }

# expect CODE WHAT ARGS...: runs the CLI, shows its output, checks its exit code.
expect() {
    local want=$1 what=$2 rc
    shift 2
    say "$what"
    echo "   \$ brev-nebius $*"
    set +e
    "$CLI" "$@" 2>&1 | sed 's/^/   /'
    rc=${PIPESTATUS[0]}
    set -e
    [ "$rc" -eq "$want" ] || die "'$what' exited $rc, expected $want"
    echo "   -> exit $rc, as expected ($(elapsed) ms)"
}

# cli_json ARGS...: the CLI's JSON output (for the script's own checks).
cli_json() { "$CLI" --json "$@"; }
py_eval() { "$PY" -c "import json,sys; d=json.load(sys.stdin); print($1)"; }

if [ "${DEMO_SKIP_INSTALL:-0}" != 1 ]; then
    say "install missing packages (scripts/install-deps.sh)"
    bash scripts/install-deps.sh
fi
if [ "${DEMO_SKIP_BUILD:-0}" != 1 ]; then
    say "build (make -j2 all certs pyproto)"
    make --no-print-directory -j2 BUILD="$BUILD" all certs pyproto >/dev/null
fi
[ -x "$CLI" ] || die "$CLI is missing: build it with make"

tmp=$(mktemp -d "${TMPDIR:-/tmp}/brev-demo.XXXXXX")

say "start nebius-sim"
"$PY" test/sim/nebius-sim --port 0 --certs "$BUILD/certs" --pydir "$BUILD/py" \
    --op-delay 0.1 --state-delay 0.1 --sa-key-out "$tmp/sa.json" >"$tmp/sim.out" 2>"$tmp/sim.err" &
sim_pid=$!
port=
for _ in $(seq 1 100); do
    if read -r word value <"$tmp/sim.out" 2>/dev/null && [ "$word" = READY ]; then
        port=$value
        break
    fi
    kill -0 "$sim_pid" 2>/dev/null || { cat "$tmp/sim.err" >&2; die "nebius-sim exited"; }
    sleep 0.1
done
[ -n "$port" ] || die "nebius-sim did not print READY within 10 s"
echo "   nebius-sim (pid $sim_pid) serves on localhost:$port; service-account key in $tmp/sa.json"

# The CLI reads a Nebius CLI profile file, as users already have one.
cat >"$tmp/config.yaml" <<EOF
default: demo
profiles:
  demo:
    endpoint: localhost:$port
    parent-id: project-sim0000000001
    service-account-file: sa.json
    ca-file: $BUILD/certs/ca.pem
EOF
for v in NEBIUS_IAM_TOKEN NEBIUS_SERVICE_ACCOUNT_JSON NEBIUS_SERVICE_ACCOUNT_CREDENTIALS_FILE NEBIUS_PROJECT_ID \
    NEBIUS_TENANT_ID NEBIUS_REGION NEBIUS_ENDPOINT NEBIUS_DOMAIN NEBIUS_CA_FILE; do
    unset "$v"
done
export NEBIUS_CONFIG=$tmp/config.yaml
echo "   profile file $NEBIUS_CONFIG:"
sed 's/^/     /' "$NEBIUS_CONFIG"

expect 0 "which settings the CLI uses" config show
expect 0 "authenticate with the generated service-account key" auth check

say "generate an SSH key for the instances"
ssh-keygen -q -t ed25519 -N '' -C brev-demo -f "$tmp/id_demo"
echo "   $(cut -c1-60 "$tmp/id_demo.pub")..."

expect 0 "create instance demo-1 in cluster $CLUSTER" \
    instance create --name demo-1 --cluster "$CLUSTER" --type "$TYPE" --ssh-key "$tmp/id_demo.pub" --poll-interval 100
expect 0 "create instance demo-2 in cluster $CLUSTER" \
    instance create --name demo-2 --cluster "$CLUSTER" --type "$TYPE" --ssh-key "$tmp/id_demo.pub" --poll-interval 100

expect 0 "open SSH (tcp/22) to $OPERATOR_CIDR only" \
    firewall add --cluster "$CLUSTER" --ports 22 --cidr "$OPERATOR_CIDR" --protocol tcp
expect 0 "firewall rules of the cluster" firewall list --cluster "$CLUSTER"
expect 0 "policy check: the cluster matches the model" policy check --cluster "$CLUSTER"
expect 0 "instances" instance list --cluster "$CLUSTER"

running=$(cli_json instance list --cluster "$CLUSTER" | py_eval 'sum(1 for i in d if i["status"] == "running")')
[ "$running" = 2 ] || die "expected 2 running instances, found $running"

say "plant a stray ingress rule (tcp/3389 from 0.0.0.0/0) behind the tool's back"
group=$(cli_json cluster list | py_eval "[c['security_group_id'] for c in d if c['id'] == '$CLUSTER'][0]")
rule=$(BREV_TEST_BUILD="$BUILD" "$PY" test/cli/simadmin.py --port "$port" --ca "$BUILD/certs/ca.pem" plant-ingress \
    --group "$group" --cidr 0.0.0.0/0 --tcp-port 3389)
echo "   nebius-sim admin Mutate created $rule in security group $group"

expect 6 "policy check catches it (exit 6)" policy check --cluster "$CLUSTER"
findings=$(cli_json policy check --cluster "$CLUSTER" | py_eval "sum(1 for f in d['findings'] if f['resource_id'] == '$rule')" || true)
[ "$findings" = 1 ] || die "policy check did not name $rule"

expect 0 "terminate every instance of the cluster" instance terminate --cluster "$CLUSTER" --poll-interval 100
expect 0 "instances left" instance list
clusters=$(cli_json cluster list | py_eval 'len(d)')
expect 0 "clusters left" cluster list
[ "$clusters" = 0 ] || die "expected no cluster left, found $clusters"
instances=$(cli_json instance list | py_eval 'len(d)')
[ "$instances" = 0 ] || die "expected no instance left, found $instances"

say "stop nebius-sim"
kill "$sim_pid"
wait "$sim_pid" 2>/dev/null || true
sim_pid=
echo
echo "demo: OK - full lifecycle through brev-nebius in $(elapsed) ms"
