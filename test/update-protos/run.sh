#!/usr/bin/env bash
# Test of scripts/update-protos.sh on fixtures made here, in a temp dir:
# a copy of this repo's proto/, gen/ and scripts with a stand-in Makefile, and
# "upstream" trees derived from proto/nebius (no network).
#
#   bash test/update-protos/run.sh
#
# Prints "N passed, M failed"; exits non-zero on any failure.
set -uo pipefail

root=$(cd "$(dirname "$0")/../.." && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
python=/usr/bin/python3

passed=0 failed=0
check() { # DESCRIPTION COMMAND...
  local what=$1; shift
  if "$@"; then passed=$((passed + 1)); echo "PASS $what"
  else failed=$((failed + 1)); echo "FAIL $what"; fi
}

# ---------------------------------------------------------------- fixtures

# make_repo DIR: the files update-protos.sh works on, plus a Makefile whose
# `lib` compiles gen/ (or fails when FAIL_LIB is set) and whose `test` leaves
# test-ran and passes only when TEST_OK is set (the real `make test` is too
# long to run from here).
make_repo() {
  mkdir -p "$1/scripts"
  cp -a "$root/proto" "$root/gen" "$1/"
  cp -a "$root/scripts/gen.sh" "$root/scripts/update-protos.sh" \
        "$root/scripts/proto-strip.py" "$root/scripts/proto-diff.py" "$1/scripts/"
  cat > "$1/Makefile" <<'EOF'
lib:
	@if [ -n "$$FAIL_LIB" ]; then echo "fixture: lib fails on request"; exit 1; fi
	@if [ -n "$$HANG_LIB" ]; then touch lib-started; sleep 60; fi
	@set -e; for f in $$(find gen -name '*.pb-c.c' | LC_ALL=C sort); do \
	  gcc -std=c11 -c -Igen $$(pkg-config --cflags libprotobuf-c) $$f -o /dev/null; done
	@touch lib-built
test:
	@touch test-ran
	@if [ -n "$$TEST_OK" ]; then echo "fixture: make test passes"; else echo "fixture: make test fails"; exit 1; fi
EOF
}

tree_sum() { # checksum of everything update-protos may touch
  (cd "$1" && find proto gen -type f | LC_ALL=C sort | xargs sha256sum | sha256sum | cut -d' ' -f1)
}

# upstream_copy DIR: an upstream checkout equal to our proto/nebius, dressed the
# way upstream writes files: option imports, file options, comments.
upstream_copy() {
  mkdir -p "$1"
  cp -a "$root/proto/nebius" "$1/nebius"
  "$python" - "$1" <<'PY'
import pathlib, re, sys
for path in pathlib.Path(sys.argv[1]).rglob("*.proto"):
    text = path.read_text()
    text = re.sub(r'(?m)^(package [\w.]+;)$',
                  r'\1\n\nimport "buf/validate/validate.proto";\nimport "nebius/annotations.proto";\n\n'
                  r'option go_package = "example.invalid/' + path.stem + r'";\n'
                  r'option (nebius.api_service_name) = "svc";  // trailing comment',
                  text, count=1)
    text = "// Upstream header comment.\n/* block\n   comment */\n" + text
    path.write_text(text)
PY
}

edit() { # FILE PYTHON_EXPR_ON_text
  "$python" - "$1" "$2" <<'PY'
import sys
path, expr = sys.argv[1], sys.argv[2]
text = open(path).read()
new = eval(expr, {"text": text})
assert new != text, "edit did not change " + path
open(path, "w").write(new)
PY
}

# ---------------------------------------------------------------- good update

good=$tmp/up-good
upstream_copy "$good"
# One added field (with multi-line options), typed by one added message that
# lives in a new file, which imports another new file (transitive pull).
edit "$good/nebius/compute/v1/instance.proto" 'text.replace(
  "  LocalDisksSpec local_disks = 24;\n",
  "  LocalDisksSpec local_disks = 24;\n"
  "  // A new field.\n"
  "  ProbeSettings probe = 40 [\n"
  "    (buf.validate.field) = {\n"
  "      cel: [{id: \"probe]\", expression: \"this.mode != \x27\x27; x\"}]\n"
  "    },\n"
  "    (nebius.field_behavior) = IMMUTABLE\n"
  "  ];\n").replace(
  "import \"nebius/compute/v1/network_interface.proto\";\n",
  "import \"nebius/compute/v1/network_interface.proto\";\nimport \"nebius/compute/v1/probe.proto\";\n")'
cat > "$good/nebius/compute/v1/probe.proto" <<'EOF'
syntax = "proto3";

package nebius.compute.v1;

import "buf/validate/validate.proto";
import "google/protobuf/duration.proto";
import "nebius/annotations.proto";
import "nebius/compute/v1/probe_kind.proto";

option go_package = "example.invalid/probe";

// Settings of the (fictional) probe.
message ProbeSettings {
  option (nebius.resource_behavior) = {
    movable: true
  };
  string mode = 1 [(buf.validate.field).string = {min_len: 1, max_len: 20}];
  ProbeKind kind = 2;
  int32 legacy_interval = 3 [deprecated = true, (nebius.field_behavior) = OUTPUT_ONLY];
  int64 timeout_seconds = 4 [(buf.validate.field).cel = {
    id: "timeout",
    message: "at most a day; see google.protobuf.Duration",
    expression: "this <= 86400"
  }];
}
EOF
cat > "$good/nebius/compute/v1/probe_kind.proto" <<'EOF'
syntax = "proto3";

package nebius.compute.v1;

import "nebius/annotations.proto";

enum ProbeKind {
  PROBE_KIND_UNSPECIFIED = 0;
  PROBE_KIND_TCP = 1 [(nebius.enum_value_behavior) = STABLE];
}
EOF
# An rpc whose only body is an option, as upstream writes many of them.
edit "$good/nebius/compute/v1/platform_service.proto" 'text.replace(
  "rpc List(ListPlatformsRequest) returns (ListPlatformsResponse);",
  "rpc List(ListPlatformsRequest) returns (ListPlatformsResponse) {\n    option (nebius.method_behavior) = METHOD_PAGINATED;\n  }")'

# Dry run first: summary, tree untouched.
repo=$tmp/repo-dry
make_repo "$repo"
before=$(tree_sum "$repo")
out=$(bash "$repo/scripts/update-protos.sh" --dry-run --no-test "$good" 2>&1); status=$?
check "dry run exits 0" test "$status" -eq 0
check "dry run names the added field" grep -q '+ field nebius.compute.v1.InstanceSpec.probe = 40' <<<"$out"
check "dry run leaves the tree untouched" test "$before" = "$(tree_sum "$repo")"
check "dry run does not build" test ! -e "$repo/lib-built"

repo=$tmp/repo-good
make_repo "$repo"
out=$(bash "$repo/scripts/update-protos.sh" --no-test "$good" 2>&1); status=$?
echo "$out" | sed 's/^/    | /'
check "good update exits 0" test "$status" -eq 0
check "summary names the added field" grep -q '^  + field nebius.compute.v1.InstanceSpec.probe = 40 (nebius.compute.v1.ProbeSettings)$' <<<"$out"
check "summary names the added message" grep -q '^  + message nebius.compute.v1.ProbeSettings$' <<<"$out"
check "summary names the added enum" grep -q '^  + enum nebius.compute.v1.ProbeKind$' <<<"$out"
check "summary lists both new files" \
  bash -c 'grep -q "+ file nebius/compute/v1/probe.proto" <<<"$1" && grep -q "+ file nebius/compute/v1/probe_kind.proto" <<<"$1"' _ "$out"
check "summary reports no removals and no errors" grep -q 'schema diff: [0-9]* added, 0 removed, 0 changed, 0 errors' <<<"$out"
check "new files were pulled in" test -f "$repo/proto/nebius/compute/v1/probe.proto" -a -f "$repo/proto/nebius/compute/v1/probe_kind.proto"
check "no option imports or custom options left" \
  bash -c '! grep -rqE "buf/validate|nebius/annotations|descriptor\.proto|option \(|\[\(|go_package|\(nebius\.|\(buf\." "$1/proto/nebius"' _ "$repo"
check "no upstream comments left" bash -c '! grep -rqE "//|/\*" "$1/proto/nebius"' _ "$repo"
check "option-only duration.proto import dropped" bash -c '! grep -q duration "$1/proto/nebius/compute/v1/probe.proto"' _ "$repo"
check "[deprecated = true] kept" bash -c \
  'grep -q "int32 legacy_interval = 3 \[deprecated = true\];" "$1/proto/nebius/compute/v1/probe.proto" &&
   grep -q "string filter = 4 \[deprecated = true\];" "$1/proto/nebius/compute/v1/disk_service.proto"' _ "$repo"
check "multi-line field options collapse to one line" \
  grep -q '^  ProbeSettings probe = 40;$' "$repo/proto/nebius/compute/v1/instance.proto"
check "rpc with an option-only body becomes a plain rpc" \
  grep -q 'rpc List(ListPlatformsRequest) returns (ListPlatformsResponse);' "$repo/proto/nebius/compute/v1/platform_service.proto"
check "unchanged files are byte-identical to ours" \
  cmp -s "$root/proto/nebius/vpc/v1/subnet.proto" "$repo/proto/nebius/vpc/v1/subnet.proto"
check "gen/ regenerated with the new message" grep -q 'ProbeSettings \*probe;' "$repo/gen/nebius/compute/v1/instance.pb-c.h"
check "gen/ equals a fresh gen.sh run" bash -c '"$1/scripts/gen.sh" "$2" "$1/proto" && diff -r "$1/gen" "$2"' _ "$repo" "$tmp/gen-fresh"
compile_gen() {
  local f
  for f in $(find "$1/gen" -name '*.pb-c.c' | LC_ALL=C sort); do
    gcc -std=c11 -Wall -c -I"$1/gen" $(pkg-config --cflags libprotobuf-c) "$f" -o /dev/null || return 1
  done
}
check "protoc-c output of the result compiles" compile_gen "$repo"
check "make lib ran" test -e "$repo/lib-built"
check "make test did not run (--no-test)" test ! -e "$repo/test-ran"
check "no work directory left behind" bash -c '! ls -d "$1"/.update-protos.* 2>/dev/null' _ "$repo"
check "running again is a no-op" bash -c \
  'out=$(bash "$1/scripts/update-protos.sh" --no-test "$2" 2>&1) && grep -q "schema diff: 0 added, 0 removed, 0 changed, 0 errors" <<<"$out"' _ "$repo" "$good"

# The last step: make test. Passing, the update stands (exit 0); failing, the
# update is kept for the developer to fix, and the exit status says so (5).
repo=$tmp/repo-tested
make_repo "$repo"
out=$(TEST_OK=1 bash "$repo/scripts/update-protos.sh" "$good" 2>&1); status=$?
check "with make test passing, the update exits 0" test "$status" -eq 0
check "make test ran after the build" bash -c 'test -e "$1/test-ran" && test -e "$1/lib-built"' _ "$repo"
check "the tested update is in proto/" grep -q 'probe = 40' "$repo/proto/nebius/compute/v1/instance.proto"
repo=$tmp/repo-test-fails
make_repo "$repo"
out=$(bash "$repo/scripts/update-protos.sh" "$good" 2>&1); status=$?
check "with make test failing, the update exits 5" test "$status" -eq 5
check "it says make test failed and the update is kept" grep -q 'make test failed; the update is kept' <<<"$out"
check "the kept update is in proto/" grep -q 'probe = 40' "$repo/proto/nebius/compute/v1/instance.proto"

# ---------------------------------------------------------------- refusals

# expect_refusal NAME UPSTREAM WANT_STATUS OUTPUT_REGEX [ENV...]
expect_refusal() {
  local name=$1 up=$2 want=$3 pattern=$4; shift 4
  local repo=$tmp/repo-$name
  make_repo "$repo"
  local before; before=$(tree_sum "$repo")
  local out status
  out=$(env "$@" bash "$repo/scripts/update-protos.sh" --no-test "$up" 2>&1); status=$?
  echo "$out" | sed 's/^/    | /'
  check "$name: exit status $want" test "$status" -eq "$want"
  check "$name: says why" grep -qE "$pattern" <<<"$out"
  check "$name: tree untouched (checksum)" test "$before" = "$(tree_sum "$repo")"
  check "$name: no work directory left behind" bash -c '! ls -d "$1"/.update-protos.* 2>/dev/null' _ "$repo"
}

renum=$tmp/up-renumbered
upstream_copy "$renum"
edit "$renum/nebius/compute/v1/disk.proto" 'text.replace("int64 size_gibibytes = 4;", "int64 size_gibibytes = 14;")'
expect_refusal renumbered "$renum" 3 'ERROR: field nebius.compute.v1.DiskSpec.size_gibibytes renumbered 4 -> 14'

retyped=$tmp/up-retyped
upstream_copy "$retyped"
edit "$retyped/nebius/vpc/v1/security_rule.proto" 'text.replace("  int32 priority = 2;", "  int64 priority = 2;")'
expect_refusal retyped "$retyped" 3 'ERROR: field nebius.vpc.v1.SecurityRuleSpec.priority = 2 changed int32 -> int64'

relabeled=$tmp/up-relabeled
upstream_copy "$relabeled"
edit "$relabeled/nebius/iam/v1/token_service.proto" 'text.replace("  string audience = 6;", "  repeated string audience = 6;")'
expect_refusal relabeled "$relabeled" 3 'ERROR: field nebius.iam.v1.ExchangeTokenRequest.audience = 6 changed string -> repeated string'

enum_renum=$tmp/up-enum
upstream_copy "$enum_renum"
edit "$enum_renum/nebius/vpc/v1/security_rule.proto" 'text.replace("  TCP = 2;", "  TCP = 6;")'
expect_refusal enum-renumbered "$enum_renum" 3 'ERROR: enum value nebius.vpc.v1.RuleProtocol.TCP renumbered 2 -> 6'

optional=$tmp/up-optional
upstream_copy "$optional"
edit "$optional/nebius/compute/v1/instance.proto" 'text.replace("  string hostname = 20;", "  optional string hostname = 20;")'
expect_refusal proto3-optional "$optional" 3 'protoc-c rejects the updated tree'

missing=$tmp/up-missing
upstream_copy "$missing"
rm "$missing/nebius/vpc/v1/pool.proto"
expect_refusal missing-file "$missing" 3 'upstream has no nebius/vpc/v1/pool.proto'

expect_refusal build-failure "$good" 4 'make lib failed with the new schema; proto/ and gen/ restored' FAIL_LIB=1

# Interrupted (the whole process group, as Ctrl-C does) while `make lib` runs,
# that is after the swap: the old tree must come back.
repo=$tmp/repo-interrupted
make_repo "$repo"
before=$(tree_sum "$repo")
HANG_LIB=1 setsid bash "$repo/scripts/update-protos.sh" --no-test "$good" >"$tmp/interrupted.log" 2>&1 &
pid=$!
for _ in $(seq 300); do [ -e "$repo/lib-started" ] && break; sleep 0.1; done
check "interrupted: make lib was reached" test -e "$repo/lib-started"
kill -TERM -- "-$pid" 2>/dev/null
wait "$pid"; status=$?
sed 's/^/    | /' "$tmp/interrupted.log"
check "interrupted: non-zero exit" test "$status" -ne 0
check "interrupted: says it restored" grep -q 'interrupted; proto/ and gen/ restored' "$tmp/interrupted.log"
check "interrupted: tree restored (checksum)" test "$before" = "$(tree_sum "$repo")"
check "interrupted: no work directory left behind" bash -c '! ls -d "$1"/.update-protos.* 2>/dev/null' _ "$repo"

check "nonexistent upstream dir is a usage error" bash -c \
  '! bash "$1/scripts/update-protos.sh" --no-test "$2/nope" 2>/dev/null' _ "$tmp/repo-good" "$tmp"

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
