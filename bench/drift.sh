#!/bin/bash
# drift.sh: time `sekisho drift --rootfs` of an unmodified debian12-full container (the OCI
# layout from ../shared/bench/images.sh, unpacked with umoci) against
#   - the physical floor: a parallel `sha256sum` of every regular file of the tree
#     (find | xargs -P NPROC sha256sum), and
#   - the nearest peer: `dpkg --root=DIR --verify` (md5 of package-owned files only).
# sekisho is timed with a warm layer cache (the image's expected tree cached, the usual case for
# a fleet made from one image) and with --no-cache (the layers inflated and hashed too).
# Prints the median of RUNS (default 5) runs, peak RSS, and the ratios. Results: docs/benchmarks.md.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
D=${SEKISHO_BENCH_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/sekisho-bench}
IMG=${1:-debian12-full}
OCI=$D/oci/$IMG
RUNS=${RUNS:-5}
[ -f "$OCI/index.json" ] || bash "$ROOT/../shared/bench/images.sh"
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$ROOT/target}
(cd "$ROOT" && cargo build --release -q -p sekisho)
BIN=$CARGO_TARGET_DIR/release/sekisho
W=$(mktemp -d /tmp/drift-bench.XXXXXX)
trap 'rm -rf "$W"' EXIT
umoci unpack --image "$OCI:bookworm" "$W/bundle" >/dev/null
R=$W/bundle/rootfs
CACHE=$W/cache
NP=$(nproc)
echo "tree: $(du -sh --apparent-size "$R" | cut -f1), $(find "$R" -type f | wc -l) regular files, $NP cores"
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
t() { /usr/bin/time -f "%e %M" -o "$W/t" "$@" >/dev/null 2>&1 || true; cat "$W/t"; }
find "$R" -type f -print0 | xargs -0 cat > /dev/null 2>&1 # warm the page cache
"$BIN" drift --oci-dir "$OCI:bookworm" --rootfs "$R" --cache-dir "$CACHE" --offline -q -f json > "$W/first.json"
echo "changes on the unmodified tree: $(jq .summary.changes "$W/first.json") (volatile $(jq .summary.volatile "$W/first.json"))"
declare -A SECS
for name in floor sekisho-cached sekisho-nocache dpkg-verify; do
  for _ in $(seq "$RUNS"); do
    case $name in
      floor) t sh -c "cd '$R' && find . -type f -print0 | xargs -0 -P $NP -n 64 sha256sum" ;;
      sekisho-cached) t "$BIN" drift --oci-dir "$OCI:bookworm" --rootfs "$R" --cache-dir "$CACHE" --offline -q -f json ;;
      sekisho-nocache) t "$BIN" drift --oci-dir "$OCI:bookworm" --rootfs "$R" --no-cache --offline -q -f json ;;
      dpkg-verify) t dpkg --root="$R" --verify ;;
    esac
  done > "$W/$name"
  secs=$(cut -d' ' -f1 "$W/$name" | median)
  rss=$(cut -d' ' -f2 "$W/$name" | sort -n | tail -1)
  SECS[$name]=$secs
  echo "$name: median ${secs}s over $RUNS runs, peak RSS $((rss / 1024)) MB"
done
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }
echo "sekisho (cached image) / sha256sum floor: $(ratio "${SECS[sekisho-cached]}" "${SECS[floor]}")x"
echo "sekisho (no cache) / sha256sum floor: $(ratio "${SECS[sekisho-nocache]}" "${SECS[floor]}")x"
echo "sekisho (cached image) / dpkg --verify: $(ratio "${SECS[sekisho-cached]}" "${SECS[dpkg-verify]}")x"
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)"
