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

export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0}
while read -r name type; do
  input=$cases_dir/$name.txt
  expected=$cases_dir/$name.expected.txt
  [ -f "$expected" ] || expected=$input
  if [ ! -f "$input" ]; then fail "$name: fixture $input missing"; continue; fi

  # protobuf-c -> protoc
  if "$out/wire_test" pack "$name" "$out/run/$name.pbc.bin" &&
     protoc_run --decode="$type" < "$out/run/$name.pbc.bin" > "$out/run/$name.decoded.txt" &&
     diff -u "$expected" "$out/run/$name.decoded.txt"; then
    pass "$name: protobuf-c bytes decode (protoc) to the expected text"
  else
    fail "$name: protobuf-c bytes decode (protoc) to the expected text"
  fi

  # protoc -> protobuf-c
  if protoc_run --encode="$type" < "$input" > "$out/run/$name.protoc.bin" &&
     "$out/wire_test" check "$name" "$out/run/$name.protoc.bin"; then
    pass "$name: protoc --encode bytes unpack (protobuf-c) to the expected fields"
  else
    fail "$name: protoc --encode bytes unpack (protobuf-c) to the expected fields"
  fi

  if cmp -s "$out/run/$name.pbc.bin" "$out/run/$name.protoc.bin"; then
    pass "$name: protobuf-c and protoc encode identical bytes"
  else
    fail "$name: protobuf-c and protoc encode identical bytes"
  fi
done < <("$out/wire_test" list)

# A fixture without a case in wire_test.c would silently test nothing.
for f in "$cases_dir"/*.txt; do
  n=$(basename "$f"); n=${n%.txt}; n=${n%.expected}
  if ! "$out/wire_test" list | grep -q "^$n "; then fail "fixture $f has no case in wire_test.c"; fi
done

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
