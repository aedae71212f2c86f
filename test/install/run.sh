#!/usr/bin/env bash
# Install test: the shared library exports only brev_* symbols and has the
# right soname; `make install` puts headers, both libraries and the .pc file in
# place (PREFIX and DESTDIR); pkg-config finds the installed library and a
# two-line program links against it; a second `make` rebuilds nothing.
set -u
cd "$(dirname "$0")/../.."
BUILD=${1:-build}
pass=0 fail=0
ok()  { echo "ok   - $1"; pass=$((pass + 1)); }
bad() { echo "FAIL - $1"; fail=$((fail + 1)); }
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT

so=$BUILD/libbrev-nebius.so
exported=$(nm -D --defined-only "$so" | awk '$2 ~ /^[TDBRVW]$/ {print $3}')
others=$(grep -v '^brev_' <<<"$exported" || true)
if [ -n "$exported" ] && [ -z "$others" ]; then ok "nm -D exports only brev_ symbols ($(wc -l <<<"$exported") of them)"
else bad "symbols other than brev_ exported: $(head -5 <<<"$others" | tr '\n' ' ')"; fi

soname=$(objdump -p "$so" | awk '/SONAME/ {print $2}')
[ "$soname" = libbrev-nebius.so.0 ] && ok "soname is $soname" || bad "soname is '$soname'"

if make --no-print-directory -q BUILD="$BUILD" lib cli tests; then ok "make with nothing changed rebuilds nothing (library, CLI, test binaries)"
else bad "make -q says the library, CLI or test binaries are out of date right after a build"; fi

for h in include/brev/*.h; do
  printf '#include <brev/%s>\nint main(void) { return 0; }\n' "$(basename "$h")" > "$tmp/h.c"
  if cc -std=c11 -Wall -Wextra -Werror -pedantic -Iinclude -o "$tmp/h" "$tmp/h.c" 2>"$tmp/h.err"; then
    ok "$h compiles on its own"
  else bad "$h does not compile on its own: $(head -2 "$tmp/h.err")"; fi
done
leaks=$(grep -lE '#include *[<"](grpc|protobuf-c|jwt|openssl|nebius/)' include/brev/*.h || true)
[ -z "$leaks" ] && ok "public headers include no gRPC, protobuf-c, libjwt, OpenSSL or gen/ header" \
  || bad "public headers expose dependencies: $leaks"

# The README's C example is examples/quickstart.c (which examples/run.sh builds and runs).
awk '/^```c$/ {on=1; next} on && /^```$/ {exit} on {print}' README.md > "$tmp/readme_example.c"
if [ -s "$tmp/readme_example.c" ] && cmp -s "$tmp/readme_example.c" examples/quickstart.c; then
  ok "README's C example is examples/quickstart.c, word for word"
else bad "README's C example differs from examples/quickstart.c"; fi

prefix=$tmp/prefix
if make --no-print-directory -s BUILD="$BUILD" install PREFIX="$prefix" >"$tmp/install.log" 2>&1; then
  ok "make install PREFIX=..."
else bad "make install failed: $(tail -3 "$tmp/install.log")"; fi
for f in include/brev/nebius.h include/brev/errors.h lib/libbrev-nebius.a lib/libbrev-nebius.so.0 \
         lib/libbrev-nebius.so lib/pkgconfig/libbrev-nebius.pc $( [ -d src/cli ] && echo bin/brev-nebius); do
  [ -e "$prefix/$f" ] && ok "installed $f" || bad "missing $prefix/$f"
done

stage=$tmp/stage
if make --no-print-directory -s BUILD="$BUILD" install PREFIX=/opt/brev DESTDIR="$stage" >"$tmp/stage.log" 2>&1 \
   && [ -e "$stage/opt/brev/lib/libbrev-nebius.so.0" ] && [ -e "$stage/opt/brev/include/brev/nebius.h" ]; then
  ok "make install DESTDIR=... stages under DESTDIR"
else bad "DESTDIR install did not stage files"; fi

export PKG_CONFIG_PATH=$prefix/lib/pkgconfig
if flags=$(pkg-config --cflags --libs libbrev-nebius); then ok "pkg-config finds libbrev-nebius: $flags"
else bad "pkg-config does not find libbrev-nebius"; flags=; fi

printf '#include <brev/nebius.h>\nint main(void) { return brev_strerror(BREV_ENOTFOUND)[0] && brev_version()[0] ? 0 : 1; }\n' > "$tmp/two.c"
# shellcheck disable=SC2086
if cc -std=c11 -Wall -Werror -o "$tmp/two" "$tmp/two.c" $flags && LD_LIBRARY_PATH=$prefix/lib "$tmp/two"; then
  ok "a two-line program compiles, links and runs against the installed library"
else bad "the two-line program did not build or run"; fi

echo "install: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
