#!/usr/bin/env bash
# Regenerates the protobuf-c sources from the .proto tree into OUTDIR.
#
#   scripts/gen.sh [OUTDIR [PROTO_DIR]]     defaults: gen, proto (of this repo)
#
# Deterministic: sorted inputs (LC_ALL=C), old outputs removed first, file
# names relative to PROTO_DIR, so a rerun is byte-identical (the Makefile's gen
# check runs this into a temp dir and diffs it against gen/).
# scripts/update-protos.sh passes PROTO_DIR to check a candidate tree.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
abs() { case $1 in /*) echo "$1" ;; *) echo "$PWD/$1" ;; esac; }
outdir=$(abs "${1:-$root/gen}")
protodir=$(abs "${2:-$root/proto}")

command -v protoc-c >/dev/null || { echo "gen.sh: protoc-c not found (apt-get install protobuf-c-compiler)" >&2; exit 1; }
wkt=/usr/include/google/protobuf
for f in timestamp.proto any.proto; do
  [ -f "$wkt/$f" ] || { echo "gen.sh: $wkt/$f missing (apt-get install libprotobuf-dev)" >&2; exit 1; }
done
[ -d "$protodir" ] || { echo "gen.sh: $protodir is not a directory" >&2; exit 1; }

cd "$protodir"
mapfile -t protos < <(find . -name '*.proto' -printf '%P\n' | LC_ALL=C sort)
[ "${#protos[@]}" -gt 0 ] || { echo "gen.sh: no .proto files under $protodir" >&2; exit 1; }

mkdir -p "$outdir"
find "$outdir" -type f \( -name '*.pb-c.c' -o -name '*.pb-c.h' \) -delete
# Directories left empty (a package that is gone) go too.
find "$outdir" -mindepth 1 -type d -empty -delete

# Well-known types: libprotobuf-c ships no generated code for them, so
# generate the ones the schema uses (always Timestamp and Any).
mapfile -t wkts < <({
  printf '%s\n' google/protobuf/timestamp.proto google/protobuf/any.proto
  grep -rhoE '^import[[:space:]]+"google/protobuf/[a-z_]+\.proto"' --include='*.proto' . |
    sed -E 's/.*"(.*)"/\1/'
} | LC_ALL=C sort -u)

protoc-c -I . -I /usr/include --c_out="$outdir" "${protos[@]}" "${wkts[@]}"
