#!/bin/bash
# image-floor.sh: time sekisho's layered read of every layer of the debian12-full OCI layout
# (../shared/bench/images.sh) against the physical floor: a single-threaded flate2/zlib-rs
# inflate of the same blobs that discards its output (crates/sekisho-artifact/examples/inflate_floor.rs).
# Prints the median of RUNS (default 5) runs of each, and peak RSS. Results: docs/benchmarks/image.md.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
D=${SEKISHO_BENCH_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/sekisho-bench}
IMG=${1:-debian12-full}
OCI=$D/oci/$IMG
RUNS=${RUNS:-5}
[ -f "$OCI/index.json" ] || bash "$ROOT/../shared/bench/images.sh"
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$ROOT/target}
(cd "$ROOT" && cargo build --release -q -p sekisho-artifact --examples && cargo build --release -q -p sekisho)
BIN=$CARGO_TARGET_DIR/release/examples
M=$(jq -r '.manifests[0].digest' "$OCI/index.json" | sed 's/sha256://')
BLOBS=$(jq -r '.layers[].digest' "$OCI/blobs/sha256/$M" | sed "s|sha256:|$OCI/blobs/sha256/|")
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
t() { # command... -> "seconds maxrss_kb"
  /usr/bin/time -f "%e %M" -o /tmp/image-bench.$$ "$@" >/dev/null 2>&1; cat /tmp/image-bench.$$; }
cat $BLOBS > /dev/null # warm the page cache
for name in floor sekisho sekisho-1thread sekisho-sbom; do
  for _ in $(seq "$RUNS"); do
    case $name in
      floor) t "$BIN/inflate_floor" $BLOBS ;;
      sekisho) t "$BIN/read_image" --oci-dir "$OCI" ;;
      sekisho-1thread) t "$BIN/read_image" --oci-dir "$OCI" --threads 1 ;;
      # the whole CLI: every cataloger, JSON SBOM, no layer cache
      sekisho-sbom) t "$CARGO_TARGET_DIR/release/sekisho" sbom image --no-cache --oci-dir "$OCI:bookworm" --format json --quiet ;;
    esac
  done > /tmp/image-bench-$name.$$
  secs=$(cut -d' ' -f1 /tmp/image-bench-$name.$$ | median)
  rss=$(cut -d' ' -f2 /tmp/image-bench-$name.$$ | sort -n | tail -1)
  echo "$name: median ${secs}s over $RUNS runs, peak RSS $((rss / 1024)) MB"
done
rm -f /tmp/image-bench*.$$
"$BIN/read_image" --oci-dir "$OCI"
