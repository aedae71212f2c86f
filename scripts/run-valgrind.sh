#!/usr/bin/env bash
# Runs Check binaries under valgrind in one process (CK_FORK=no), failing on
# any memory error or definite leak. Usage: scripts/run-valgrind.sh BIN...
set -u
cd "$(dirname "$0")/.."
export BREV_TEST_BUILD=${BUILD:-build} CK_FORK=no CK_DEFAULT_TIMEOUT=600 GRPC_VERBOSITY=${GRPC_VERBOSITY:-ERROR}
pass=0 fail=0
for bin in "$@"; do
  [ -x "$bin" ] || continue
  echo "=== valgrind $bin"
  if valgrind -q --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite \
       --show-leak-kinds=definite --suppressions=test/valgrind.supp "$bin"; then
    pass=$((pass + 1))
  else
    echo "FAIL: $bin"; fail=$((fail + 1))
  fi
done
echo "valgrind: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
