#!/usr/bin/env bash
# Runs the test suites and prints one closing line "N passed, M failed".
#   scripts/run-tests.sh all|unit|integration|SUITE...
# Suites: gen wire unit integration live-rehearsal sim cli update-protos examples install docs
# Each suite's own output is shown; counts come from its summary line
# (Check's "Checks: N, Failures: F, Errors: E", unittest's "Ran N tests",
# or a plain "N passed, M failed").
set -u
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
export BREV_TEST_BUILD=$BUILD
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0:detect_stack_use_after_return=0}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
export LSAN_OPTIONS=${LSAN_OPTIONS:-suppressions=$PWD/test/lsan.supp:print_suppressions=0}
export CK_DEFAULT_TIMEOUT=${CK_DEFAULT_TIMEOUT:-60}
export GRPC_VERBOSITY=${GRPC_VERBOSITY:-ERROR}
SUITE_TIMEOUT=${SUITE_TIMEOUT:-900}

total_pass=0 total_fail=0 total_skip=0
failed_suites=()
logdir=$BUILD/test-logs
mkdir -p "$logdir"

# count LOG: sets pass/fail/skip from the summary lines of one suite's output.
count() {
  local log=$1 line n f e
  pass=0 fail=0 skip=0
  while IFS= read -r line; do
    if [[ $line =~ Checks:\ ([0-9]+),\ Failures:\ ([0-9]+),\ Errors:\ ([0-9]+) ]]; then
      n=${BASH_REMATCH[1]} f=${BASH_REMATCH[2]} e=${BASH_REMATCH[3]}
      pass=$((pass + n - f - e)); fail=$((fail + f + e))
    elif [[ $line =~ ^SKIP\ \(live\)\  ]]; then
      # A Check test that needs the sim returned early in a live run: it
      # was counted as a pass in Checks: N, but it did not run.
      pass=$((pass - 1)); skip=$((skip + 1))
    elif [[ $line =~ ^Ran\ ([0-9]+)\ tests? ]]; then
      pass=$((pass + BASH_REMATCH[1]))
    elif [[ $line =~ ^FAILED\ \((.*)\) ]]; then
      local inner=${BASH_REMATCH[1]} k
      for k in failures errors; do
        if [[ $inner =~ $k=([0-9]+) ]]; then
          pass=$((pass - BASH_REMATCH[1])); fail=$((fail + BASH_REMATCH[1]))
        fi
      done
      if [[ $inner =~ skipped=([0-9]+) ]]; then pass=$((pass - BASH_REMATCH[1])); skip=$((skip + BASH_REMATCH[1])); fi
    elif [[ $line =~ ^OK\ \(.*skipped=([0-9]+) ]]; then
      pass=$((pass - BASH_REMATCH[1])); skip=$((skip + BASH_REMATCH[1]))
    elif [[ $line =~ ^([A-Za-z-]+:\ )?([0-9]+)\ passed,\ ([0-9]+)\ failed(,\ ([0-9]+)\ skipped)?$ ]]; then
      pass=$((pass + BASH_REMATCH[2])); fail=$((fail + BASH_REMATCH[3]))
      [ -n "${BASH_REMATCH[5]}" ] && skip=$((skip + BASH_REMATCH[5]))
    fi
  done < "$log"
}

# run NAME CMD...: runs one suite, adds its counts, remembers a failed suite.
run() {
  local name=$1; shift
  local log="$logdir/${name//\//_}.log" rc
  echo "=== $name"
  timeout "$SUITE_TIMEOUT" "$@" > >(tee "$log") 2>&1
  rc=$?
  wait
  count "$log"
  if [ "$rc" -ne 0 ] && [ "$fail" -eq 0 ]; then
    fail=1   # crashed, timed out or failed without a countable summary
  fi
  echo "--- $name: $pass passed, $fail failed${skip:+, $skip skipped} (exit $rc)"
  total_pass=$((total_pass + pass)); total_fail=$((total_fail + fail)); total_skip=$((total_skip + skip))
  [ "$rc" -ne 0 ] || [ "$fail" -ne 0 ] && failed_suites+=("$name")
  return 0
}

check_binaries() {
  local dir=$1 bin
  for bin in "$BUILD"/asan/test/"$dir"/*; do
    [ -x "$bin" ] || continue
    run "$dir/$(basename "$bin")" "$bin"
  done
}

suite() {
  case $1 in
    gen)          run gen-check make --no-print-directory gen-check ;;
    wire)         [ -f test/wire/run.sh ] && run wire bash test/wire/run.sh "$BUILD" ;;
    unit)         check_binaries unit ;;
    integration)  check_binaries integration ;;
    live-rehearsal) [ -f test/live/rehearsal.sh ] && run live-rehearsal bash test/live/rehearsal.sh "$BUILD" ;;
    sim)          [ -d test/sim/tests ] && run sim "$PYTHON" -m unittest discover -s test/sim/tests ;;
    cli)          [ -d test/cli ] && run cli "$PYTHON" -m unittest discover -s test/cli ;;
    update-protos) [ -f test/update-protos/run.sh ] && run update-protos bash test/update-protos/run.sh ;;
    examples)     [ -f examples/run.sh ] && run examples bash examples/run.sh "$BUILD" ;;
    install)      [ -f test/install/run.sh ] && run install bash test/install/run.sh "$BUILD" ;;
    docs)         [ -f test/docs/run.sh ] && run docs bash test/docs/run.sh ;;
    *) echo "run-tests: unknown suite $1" >&2; exit 2 ;;
  esac
  return 0
}

PYTHON=${PYTHON:-/usr/bin/python3}
# Whether the integration suites run live is said once here, not once per binary.
if [ "${BREV_NEBIUS_LIVE:-}" = 1 ] && [ -n "${NEBIUS_SERVICE_ACCOUNT_JSON:-}" ] && [ -n "${NEBIUS_PROJECT_ID:-}" ]; then
  echo "live run: integration suites run against the real Nebius project ${NEBIUS_PROJECT_ID}; sim-only tests are counted as skipped"
else
  echo "live run skipped: set BREV_NEBIUS_LIVE=1, NEBIUS_SERVICE_ACCOUNT_JSON, NEBIUS_PROJECT_ID (and NEBIUS_REGION) to run against a real Nebius project"
fi
export BREV_TEST_LIVE_NOTED=1
if [ $# -eq 0 ] || [ "$1" = all ]; then
  set -- gen wire unit integration live-rehearsal sim cli update-protos examples install docs
fi
for s in "$@"; do suite "$s"; done

echo
if [ ${#failed_suites[@]} -gt 0 ]; then
  echo "failed suites: ${failed_suites[*]} (logs in $logdir)"
fi
echo "$total_pass passed, $total_fail failed, $total_skip skipped"
[ "$total_fail" -eq 0 ] && [ ${#failed_suites[@]} -eq 0 ]
