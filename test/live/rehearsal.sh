#!/usr/bin/env bash
# A dress rehearsal of the live run: the integration suites with
# BREV_NEBIUS_LIVE=1, configured only through the environment a real run
# uses (NEBIUS_SERVICE_ACCOUNT_JSON, NEBIUS_PROJECT_ID, NEBIUS_REGION), with
# NEBIUS_ENDPOINT and NEBIUS_CA_FILE pointing at a nebius-sim that the suites
# do not know about. It proves the live path itself: every suite passes, the
# tests that need the sim's admin service say so and are counted as skipped,
# the live suite really runs its lifecycle, and every resource it made is
# gone afterwards (read from the sim's --state-file).
#   test/live/rehearsal.sh BUILD
set -u
cd "$(dirname "$0")/../.."
BUILD=${1:-build}
case $BUILD in /*) ;; *) BUILD=$PWD/$BUILD ;; esac
PY=/usr/bin/python3
# The sanitizer settings of scripts/run-tests.sh, when run on its own.
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0:detect_stack_use_after_return=0}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
export LSAN_OPTIONS=${LSAN_OPTIONS:-suppressions=$PWD/test/lsan.supp:print_suppressions=0}
export CK_DEFAULT_TIMEOUT=${CK_DEFAULT_TIMEOUT:-60} GRPC_VERBOSITY=${GRPC_VERBOSITY:-ERROR}
pass=0 fail=0
ok() { echo "ok   $*"; pass=$((pass + 1)); }
bad() { echo "FAIL $*"; fail=$((fail + 1)); }

tmp=$(mktemp -d "${TMPDIR:-/tmp}/brev-live.XXXXXX")
sim_pid=
finish() {
    if [ -n "$sim_pid" ] && kill -0 "$sim_pid" 2>/dev/null; then kill "$sim_pid"; wait "$sim_pid" 2>/dev/null; fi
    rm -rf "$tmp"
}
trap finish EXIT

"$PY" test/sim/nebius-sim --port 0 --certs "$BUILD/certs" --pydir "$BUILD/py" --op-delay 0.05 --state-delay 0.05 \
    --sa-key-out "$tmp/sa.json" --state-file "$tmp/state.json" >"$tmp/sim.out" 2>"$tmp/sim.err" &
sim_pid=$!
port=
for _ in $(seq 1 100); do
    if read -r word value <"$tmp/sim.out" 2>/dev/null && [ "$word" = READY ]; then port=$value; break; fi
    kill -0 "$sim_pid" 2>/dev/null || break
    sleep 0.1
done
if [ -z "$port" ]; then cat "$tmp/sim.err"; bad "nebius-sim did not start"; echo "live-rehearsal: $pass passed, $fail failed"; exit 1; fi
ok "nebius-sim stands in for Nebius on localhost:$port"

# Only what a user of the live run sets, and nothing of the sim harness.
env_live=(env -u NEBIUS_IAM_TOKEN -u NEBIUS_SERVICE_ACCOUNT_CREDENTIALS_FILE -u NEBIUS_TENANT_ID -u NEBIUS_DOMAIN
          -u BREV_TEST_LIVE_NOTED BREV_NEBIUS_LIVE=1 NEBIUS_SERVICE_ACCOUNT_JSON="$tmp/sa.json"
          NEBIUS_PROJECT_ID=project-sim0000000001 NEBIUS_REGION=eu-north1
          NEBIUS_ENDPOINT="localhost:$port" NEBIUS_CA_FILE="$BUILD/certs/ca.pem")
skips=0
for bin in "$BUILD"/asan/test/integration/*; do
    [ -x "$bin" ] || continue
    name=$(basename "$bin")
    log="$tmp/$name.log"
    "${env_live[@]}" timeout 600 "$bin" >"$log" 2>&1
    rc=$?
    n=$(grep -c '^SKIP (live) ' "$log")
    skips=$((skips + n))
    if [ "$rc" -eq 0 ] && grep -q 'Failures: 0, Errors: 0' "$log"; then
        ok "$name passes live ($n skipped: need nebius-sim)"
    else
        bad "$name fails in the live run (exit $rc):"; sed 's/^/     | /' "$log" | tail -20
    fi
    if grep -q '^live run skipped' "$log"; then bad "$name says the live run was skipped while it was live"; fi
    if [ "$name" = test_live ]; then
        # Only its final look at the sim's whole state needs the sim.
        others=$(grep '^SKIP (live) ' "$log" | grep -v ' nothing_is_left_behind:' || true)
        [ -z "$others" ] && ok "test_live ran its authentication, catalogue and lifecycle against the endpoint" \
                         || bad "test_live skipped what a live run must do: $others"
    fi
done
[ "$skips" -gt 0 ] && ok "sim-only tests are reported as skipped ($skips), not as passed" \
                   || bad "no test reported a live skip: sim-only tests would count as passed"

kill "$sim_pid"; wait "$sim_pid" 2>/dev/null; sim_pid=
if "$PY" - "$tmp/state.json" <<'PYEOF'
import json, sys
state = json.load(open(sys.argv[1]))
res = state["resources"]
# A fresh sim project holds no instance, disk or allocation, and no
# security group of a cluster (named brev-cluster-...).
ours = {rid for rid, r in res.items() if r["kind"] == "security_group"
        and r["resource"]["metadata"].get("name", "").startswith("brev-")}
left = [(r["kind"], rid, r["resource"]["metadata"].get("name"))
        for rid, r in res.items()
        if r["kind"] in ("instance", "disk", "allocation") or rid in ours
        or (r["kind"] == "security_rule" and r["resource"]["metadata"].get("parent_id") in ours)]
for item in left:
    print("     left behind: %s %s (%s)" % item)
sys.exit(1 if left else 0)
PYEOF
then ok "nothing the live run made is left in the project"
else bad "the live run left resources behind"; fi

echo "live-rehearsal: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
