#!/usr/bin/env bash
# Regenerates the protobuf-c sources from proto/ into OUTDIR (default: gen).
# Deterministic: sorted inputs under LC_ALL=C, old outputs removed first, so a
# rerun is byte-identical (the Makefile's gen check relies on that).
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
outdir=${1:-gen}
case $outdir in /*) ;; *) outdir=$PWD/$outdir ;; esac

command -v protoc-c >/dev/null || { echo "gen.sh: protoc-c not found (apt-get install protobuf-c-compiler)" >&2; exit 1; }
wkt=/usr/include/google/protobuf
for f in timestamp.proto any.proto; do
  [ -f "$wkt/$f" ] || { echo "gen.sh: $wkt/$f missing (apt-get install libprotobuf-dev)" >&2; exit 1; }
done

mkdir -p "$outdir"
find "$outdir" -type f \( -name '*.pb-c.c' -o -name '*.pb-c.h' \) -delete
# Drop directories the delete left empty (e.g. a removed package).
find "$outdir" -mindepth 1 -type d -empty -delete

cd "$root"
mapfile -t protos < <(cd proto && find . -name '*.proto' -printf '%P\n' | LC_ALL=C sort)
[ "${#protos[@]}" -gt 0 ] || { echo "gen.sh: no .proto files under $root/proto" >&2; exit 1; }

protoc-c -I proto -I /usr/include --c_out="$outdir" "${protos[@]}" \
  google/protobuf/timestamp.proto google/protobuf/any.proto
