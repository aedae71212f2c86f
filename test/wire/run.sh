#!/usr/bin/env bash
# Independent wire test: protobuf-c (gen/) against protoc (the reference C++
# implementation) on the hand-written protos, in both directions.
#
#   bash test/wire/run.sh BUILD_DIR
#
# Compiles test/wire/wire_test.c and every gen/**/*.pb-c.c itself (under
# ASan+UBSan) into BUILD_DIR/wire/. For each case in wire_test (cases/NAME.txt
# is a hand-written text message in protoc's canonical print format):
#   decode : bytes packed by protobuf-c, decoded by `protoc --decode`, equal
#            cases/NAME.expected.txt if present, else cases/NAME.txt
#   unpack : bytes made by `protoc --encode` from cases/NAME.txt, unpacked by
#            protobuf-c, match the field-by-field assertions in wire_test.c
#   bytes  : both encoders produce identical bytes (field-number order; every
#            map in the cases has one entry, so order is deterministic)
#   raw    : the bytes of each encoder, printed by `protoc --decode_raw` (field
#            numbers only, no schema), equal cases/NAME.raw.txt
#
# The first three checks read proto/ on both sides, so a wrong field number in
# proto/ is invisible to them. cases/NAME.raw.txt is the schema-independent
# golden: written by hand from the field numbers in the facts sheet
# (shared/facts/nebius-api.md section 3), never from proto/ or gen/. When adding
# a case, write its golden the same way; see test/wire/cases/README.md.
# Prints "N passed, M failed"; exits non-zero on any failure.
set -uo pipefail

root=$(cd "$(dirname "$0")/../.." && pwd)
build=${1:-$root/build}
case $build in /*) ;; *) build=$PWD/$build ;; esac
out=$build/wire
cases_dir=$root/test/wire/cases
mkdir -p "$out/obj" "$out/run"

cd "$root"
cflags="-std=c11 -g -O1 -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined"
pbc_cflags=$(pkg-config --cflags libprotobuf-c)
pbc_libs=$(pkg-config --libs libprotobuf-c)

objs=()
for src in $(find gen -name '*.pb-c.c' | LC_ALL=C sort); do
  obj=$out/obj/$(echo "${src#gen/}" | tr '/' '_').o
  # Generated code: no -Werror, it is not ours to fix.
  gcc $cflags -w -Igen $pbc_cflags -c "$src" -o "$obj" || { echo "cannot compile $src"; echo "0 passed, 1 failed"; exit 1; }
  objs+=("$obj")
done
gcc $cflags -Wall -Wextra -Werror -Igen $pbc_cflags test/wire/wire_test.c "${objs[@]}" $pbc_libs \
  -o "$out/wire_test" || { echo "cannot build wire_test"; echo "0 passed, 1 failed"; exit 1; }

mapfile -t protos < <(cd proto && find . -name '*.proto' -printf '%P\n' | LC_ALL=C sort)
protoc_run() { protoc -I proto -I /usr/include "$@" "${protos[@]}"; }

passed=0 failed=0
pass() { passed=$((passed + 1)); echo "PASS $1"; }
fail() { failed=$((failed + 1)); echo "FAIL $1"; }
# show FILE: prints a captured diff or error output, indented, under a FAIL line.
show() { [ -s "$1" ] && sed 's/^/    | /' "$1"; return 0; }

export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0}
while read -r name type; do
  input=$cases_dir/$name.txt
  expected=$cases_dir/$name.expected.txt
  [ -f "$expected" ] || expected=$input
  raw=$cases_dir/$name.raw.txt
  if [ ! -f "$input" ]; then fail "$name: fixture $input missing"; continue; fi
  # No stale bytes from an earlier run may stand in for a step that failed now.
  rm -f "$out/run/$name".*

  r=$out/run/$name

  # protobuf-c -> protoc
  pbc_ok=0
  what="$name: protobuf-c bytes decode (protoc) to the expected text"
  if ! "$out/wire_test" pack "$name" "$r.pbc.bin" 2> "$r.pack.log"; then
    fail "$what (wire_test pack failed)"; show "$r.pack.log"
  else
    pbc_ok=1
    if ! protoc_run --decode="$type" < "$r.pbc.bin" > "$r.decoded.txt" 2> "$r.decode.log"; then
      fail "$what (protoc --decode=$type failed)"; show "$r.decode.log"
    elif diff -u --label "cases/$(basename "$expected")" --label "protobuf-c bytes via protoc --decode" \
           "$expected" "$r.decoded.txt" > "$r.decode.diff"; then
      pass "$what"
    else
      fail "$what:"; show "$r.decode.diff"
    fi
  fi

  # protoc -> protobuf-c
  protoc_ok=0
  what="$name: protoc --encode bytes unpack (protobuf-c) to the expected fields"
  if ! protoc_run --encode="$type" < "$input" > "$r.protoc.bin" 2> "$r.encode.log"; then
    fail "$what (protoc --encode=$type failed)"; show "$r.encode.log"
  else
    protoc_ok=1
    if "$out/wire_test" check "$name" "$r.protoc.bin" 2> "$r.check.log"; then
      pass "$what"
    else
      fail "$what:"; show "$r.check.log"
    fi
  fi

  what="$name: protobuf-c and protoc encode identical bytes"
  if [ $pbc_ok = 1 ] && [ $protoc_ok = 1 ] && cmp -s "$r.pbc.bin" "$r.protoc.bin"; then
    pass "$what"
  else
    fail "$what"
  fi

  # Schema-independent: the field numbers on the wire, printed by decode_raw,
  # against the golden written from the facts sheet.
  for enc in pbc protoc; do
    what="$name: $enc bytes via protoc --decode_raw equal cases/$name.raw.txt (field numbers from the facts sheet)"
    ok=pbc_ok; [ $enc = protoc ] && ok=protoc_ok
    if [ ! -f "$raw" ]; then
      fail "$what (golden missing: write it by hand from the facts sheet)"
    elif [ "${!ok}" != 1 ]; then
      fail "$what (no $enc bytes: the encode step above failed)"
    elif ! protoc --decode_raw < "$r.$enc.bin" > "$r.$enc.raw.txt" 2> "$r.$enc.raw.log"; then
      fail "$what (protoc --decode_raw failed)"; show "$r.$enc.raw.log"
    elif diff -u --label "cases/$name.raw.txt (facts sheet)" --label "$enc bytes via protoc --decode_raw" \
           "$raw" "$r.$enc.raw.txt" > "$r.$enc.raw.diff"; then
      pass "$what"
    else
      fail "$what; the wire differs from the facts sheet (a changed number means proto/ is wrong, or the golden is):"
      show "$r.$enc.raw.diff"
    fi
  done
done < <("$out/wire_test" list)

# A fixture without a case in wire_test.c would silently test nothing.
for f in "$cases_dir"/*.txt; do
  n=$(basename "$f"); n=${n%.txt}; n=${n%.expected}; n=${n%.raw}
  if ! "$out/wire_test" list | grep -q "^$n "; then fail "fixture $f has no case in wire_test.c"; fi
done

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
