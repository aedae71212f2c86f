#!/usr/bin/env bash
# Bring proto/nebius/** up to date with a checkout of the upstream nebius/api repo.
#
#   scripts/update-protos.sh [--dry-run] [--no-test] [--no-build] UPSTREAM_DIR
#
# For every file under proto/nebius/ the upstream file with the same relative
# path is taken and stripped to this repo's options-free form
# (scripts/proto-strip.py); nebius/** files that the new versions import and we
# do not have yet are pulled in the same way, transitively. The old and new
# trees are compiled (protoc, and protoc-c, which rejects what it cannot
# generate) and compared (scripts/proto-diff.py). A renumbered field, a field
# whose type or label changed, a renumbered enum value or a changed rpc
# signature is an ERROR: nothing is changed and the exit status is 3.
#
# All work happens in a temporary copy; proto/nebius is swapped in only when
# everything passed. Then gen/ is regenerated (scripts/gen.sh) and
# `make -j2 lib` runs; if the library does not build, proto/ and gen/ are put
# back as they were (exit 4). Unless --no-test, `make test` runs last; a test
# failure keeps the update and exits 5.
#
#   --dry-run   print the summary and stop; the tree is never touched
#   --no-test   skip `make test`
#   --no-build  skip `make -j2 lib` and `make test` (proto/ and gen/ only)
#
# Exit: 0 ok, 1 usage/tooling problem, 3 schema errors, 4 build failed
# (rolled back), 5 tests failed (update kept).
set -euo pipefail

usage() { echo "usage: $0 [--dry-run] [--no-test] [--no-build] UPSTREAM_DIR" >&2; exit 1; }
die() { echo "update-protos: $*" >&2; exit 1; }

dry_run=0 run_tests=1 run_build=1 upstream=
while [ $# -gt 0 ]; do
  case $1 in
    --dry-run) dry_run=1 ;;
    --no-test) run_tests=0 ;;
    --no-build) run_build=0; run_tests=0 ;;
    -h|--help) usage ;;
    -*) echo "update-protos: unknown option $1" >&2; usage ;;
    *) [ -z "$upstream" ] || usage; upstream=$1 ;;
  esac
  shift
done
[ -n "$upstream" ] || usage
[ -d "$upstream" ] || die "upstream directory $upstream does not exist"
upstream=$(cd "$upstream" && pwd)
# A checkout of nebius/api keeps the protos at its top level (nebius/...).
[ -d "$upstream/nebius" ] || die "$upstream has no nebius/ directory: not a nebius/api checkout"

root=$(cd "$(dirname "$0")/.." && pwd)
scripts=$root/scripts
python=/usr/bin/python3
[ -d "$root/proto/nebius" ] || die "$root/proto/nebius missing"
for tool in protoc protoc-c "$python"; do
  command -v "$tool" >/dev/null || die "$tool not found"
done

# Inside the repo, so the final swap is a rename on one filesystem.
work=$(mktemp -d "$root/.update-protos.XXXXXX")
# While in_flight=1 the old proto/nebius and gen/ live only in $work: an exit
# for any reason (error, Ctrl-C) puts them back before $work is removed.
in_flight=0
restore() {
  if [ -d "$work/old-nebius" ]; then
    rm -rf "$root/proto/nebius"
    mv "$work/old-nebius" "$root/proto/nebius"
  fi
  if [ -d "$work/old-gen" ]; then
    rm -rf "$root/gen"
    mv "$work/old-gen" "$root/gen"
  fi
  in_flight=0
}
on_exit() {
  [ "$in_flight" -eq 0 ] || { restore; echo "update-protos: interrupted; proto/ and gen/ restored" >&2; }
  rm -rf "$work"
}
trap on_exit EXIT
trap 'exit 130' INT TERM
mkdir -p "$work/new"
cp -a "$root/proto" "$work/new/proto"
new=$work/new/proto

# --- 1. take every file we have from upstream, stripped
mapfile -t ours < <(cd "$root/proto" && find nebius -name '*.proto' -printf '%p\n' | LC_ALL=C sort)
missing=0
for rel in "${ours[@]}"; do
  if [ ! -f "$upstream/$rel" ]; then
    echo "update-protos: upstream has no $rel (removed or moved upstream)" >&2
    missing=1
    continue
  fi
  "$python" "$scripts/proto-strip.py" "$upstream/$rel" "$new/$rel" || die "cannot strip $upstream/$rel"
done
[ "$missing" -eq 0 ] || { echo "update-protos: refusing to update; tree untouched" >&2; exit 3; }

# --- 2. pull in newly imported nebius/** files, transitively
added_files=()
queue=("${ours[@]}")
while [ ${#queue[@]} -gt 0 ]; do
  rel=${queue[0]}; queue=("${queue[@]:1}")
  while read -r imp; do
    case $imp in nebius/*) ;; *) continue ;; esac
    [ -f "$new/$imp" ] && continue
    [ -f "$upstream/$imp" ] || die "$rel imports $imp, which upstream does not have"
    mkdir -p "$(dirname "$new/$imp")"
    "$python" "$scripts/proto-strip.py" "$upstream/$imp" "$new/$imp" || die "cannot strip $upstream/$imp"
    added_files+=("$imp")
    queue+=("$imp")
  done < <("$python" "$scripts/proto-strip.py" --imports "$new/$rel")
done

# --- 3. compile both trees and compare
compile() { # TREE OUT.pb
  local files
  mapfile -t files < <(cd "$1" && find . -name '*.proto' -printf '%P\n' | LC_ALL=C sort)
  protoc -I "$1" -I /usr/include --include_imports --descriptor_set_out="$2" "${files[@]}"
}
compile "$root/proto" "$work/old.pb" || die "the current proto/ tree does not compile"
if ! compile "$new" "$work/new.pb" 2>"$work/protoc.err"; then
  cat "$work/protoc.err" >&2
  echo "update-protos: the updated tree does not compile with protoc; tree untouched" >&2
  exit 3
fi
# Imports that only served the stripped options (e.g. duration.proto used by a
# validation rule) would make protoc-c #include headers nobody generates.
unused=$(sed -nE 's/^(nebius\/[^:]+\.proto):[0-9]+:[0-9]+: warning: Import ([^ ]+) is unused\.$/\1 \2/p' "$work/protoc.err")
if [ -n "$unused" ]; then
  while read -r file imp; do
    "$python" - "$new/$file" "$imp" <<'PY'
import re, sys
path, imp = sys.argv[1], sys.argv[2]
text = open(path, encoding="utf-8").read()
text = re.sub(r'(?m)^import\s+"' + re.escape(imp) + r'"\s*;[ \t]*\n', "", text)
open(path, "w", encoding="utf-8").write(text)
PY
  done <<<"$unused"
  compile "$new" "$work/new.pb" || die "the updated tree no longer compiles after dropping unused imports"
fi

echo "update-protos: $upstream -> $root/proto"
for f in "${added_files[@]}"; do echo "  + file $f"; done
set +e
"$python" "$scripts/proto-diff.py" "$work/old.pb" "$work/new.pb"
diff_status=$?
set -e
case $diff_status in
  0) ;;
  3) echo "update-protos: incompatible schema change; tree untouched" >&2; exit 3 ;;
  *) die "proto-diff failed" ;;
esac

# protoc-c must accept it too (it rejects e.g. proto3 `optional`).
if ! "$scripts/gen.sh" "$work/gen" "$new" >/dev/null 2>"$work/gen.err"; then
  sed -n '1,40p' "$work/gen.err" >&2
  [ -z "$(tail -c1 "$work/gen.err")" ] || echo >&2
  echo "update-protos: protoc-c rejects the updated tree; tree untouched" >&2
  exit 3
fi
pbc_cflags=$(pkg-config --cflags libprotobuf-c 2>/dev/null || true)
while read -r src; do
  if ! gcc -std=c11 -fsyntax-only -I"$work/gen" $pbc_cflags "$src" 2>"$work/cc.err"; then
    sed -n '1,20p' "$work/cc.err" >&2
    echo "update-protos: generated ${src#$work/} does not compile; tree untouched" >&2
    exit 3
  fi
done < <(find "$work/gen" -name '*.pb-c.c' | LC_ALL=C sort)

if [ "$dry_run" -eq 1 ]; then
  echo "update-protos: dry run; tree untouched"
  exit 0
fi

# --- 4. swap in, regenerate, build
if [ -d "$root/gen" ]; then cp -a "$root/gen" "$work/old-gen"; else mkdir -p "$work/old-gen"; fi
in_flight=1
mv "$root/proto/nebius" "$work/old-nebius"
mv "$new/nebius" "$root/proto/nebius"

if ! (cd "$root" && scripts/gen.sh gen); then
  restore
  echo "update-protos: gen.sh failed; proto/ and gen/ restored" >&2
  exit 4
fi
echo "update-protos: proto/nebius updated, gen/ regenerated"

if [ "$run_build" -eq 1 ]; then
  if ! (cd "$root" && make -j2 lib); then
    restore
    echo "update-protos: make lib failed with the new schema; proto/ and gen/ restored" >&2
    exit 4
  fi
fi
# From here on the update stays, whatever the tests say.
in_flight=0
if [ "$run_tests" -eq 1 ]; then
  if ! (cd "$root" && make test); then
    echo "update-protos: make test failed; the update is kept (proto/, gen/ changed)" >&2
    exit 5
  fi
fi
echo "update-protos: done"
