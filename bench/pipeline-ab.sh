#!/bin/bash
# Before/after check for the scan pipeline move (issue 13): the same scans with the pre-pipeline
# CLI (commit 780a90c, the state the JSON parity goldens were written from) and with this
# checkout, interleaved run by run so load drifts hit both alike.
#   targets: rootfs debian12-full, image --input (docker-archive), image --oci-dir (OCI layout)
#   each: RUNS runs per binary (default 10), wall-clock median and peak-RSS median from
#   /usr/bin/time -v, and the after/before ratio of each.
# Both binaries are release builds; the old one is built once in a git worktree under
# target/pipeline-ab/ (BEFORE=<commit> to compare another one).
# Prints a markdown table (paste into docs/benchmarks/scan.md).
set -euo pipefail
HERE=$(cd "$(dirname "$0")/.." && pwd)
B=${SEKISHO_BENCH_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/sekisho-bench}
N=${1:-debian12-full}; RUNS=${RUNS:-10}
BEFORE=${BEFORE:-780a90c}
DATA=${SEKISHO_SHARED_DATA:-$HERE/../shared/data}
WT=$HERE/target/pipeline-ab/src-$BEFORE
[ -d "$WT" ] || git -C "$HERE" worktree add --detach "$WT" "$BEFORE" >&2
# The old checkout reads ../shared/data in its tests only; the build needs nothing else.
( cd "$WT" && CARGO_TARGET_DIR=$HERE/target/pipeline-ab/target cargo build -q --release --locked -p sekisho )
( cd "$HERE" && cargo build -q --release --locked -p sekisho )
OLD=$HERE/target/pipeline-ab/target/release/sekisho
NEW=$HERE/target/release/sekisho
OUT=$(mktemp -d); trap 'rm -rf "$OUT"' EXIT
# One DB for both, imported by the old binary (the schema did not change in between).
"$OLD" db import --db "$OUT/db.sqlite" "$DATA/osv-pypa-json" "$DATA/osv-rustsec" "$DATA/osv-go-vulndb" "$DATA/osv-almalinux" > /dev/null 2>&1

one() { # bin args... -> "wall rss"
  /usr/bin/time -v -o "$OUT/t" "$@" > "$OUT/out.json" 2> "$OUT/err" || {
    rc=$?; [ "$rc" -le 3 ] || { echo "FAILED ($rc): $*" >&2; cat "$OUT/err" >&2; exit 1; }; }
  awk -F': ' '/Elapsed \(wall clock\)/{n=split($2,a,":"); s=0; for(j=1;j<=n;j++) s=s*60+a[j]; w=s}
              /Maximum resident set size/{r=$2} END{print w, r}' "$OUT/t"
}
median() { python3 -c 'import statistics,sys; print(statistics.median(float(x) for x in sys.argv[1:]))' "$@"; }

echo "| target ($N) | before s | after s | after/before | before RSS MiB | after RSS MiB | after/before |"
echo "|---|---|---|---|---|---|---|"
for kind in rootfs input oci-dir; do
  case $kind in
    rootfs) args=(rootfs "$B/rootfs/$N") ;;
    input) args=(image --input "$B/archives/$N.docker.tar" --no-cache) ;;
    oci-dir) args=(image --oci-dir "$B/oci/$N" --no-cache) ;;
  esac
  args+=(--format json --offline --quiet --db "$OUT/db.sqlite")
  one "$OLD" "${args[@]}" > /dev/null; one "$NEW" "${args[@]}" > /dev/null # warm the page cache
  ow=(); orr=(); nw=(); nr=()
  for _ in $(seq 1 "$RUNS"); do
    read -r w r <<< "$(one "$OLD" "${args[@]}")"; ow+=("$w"); orr+=("$r")
    read -r w r <<< "$(one "$NEW" "${args[@]}")"; nw+=("$w"); nr+=("$r")
  done
  python3 - "$kind" "$(median "${ow[@]}")" "$(median "${nw[@]}")" "$(median "${orr[@]}")" "$(median "${nr[@]}")" <<'PY'
import sys
k, ow, nw, orr, nr = sys.argv[1], *map(float, sys.argv[2:])
print(f"| {k} | {ow:.3f} | {nw:.3f} | {nw/ow:.2f}x | {orr/1024:.1f} | {nr/1024:.1f} | {nr/orr:.2f}x |")
PY
done
echo "(load: $(cut -d' ' -f1-3 /proc/loadavg), $(date -u +%FT%TZ), RUNS=$RUNS)"
