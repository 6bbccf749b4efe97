#!/bin/bash
# Speed and peak memory of cataloguing debian12-full: sekisho vs trivy vs syft.
# RUNS runs each (default 5), wall-clock median and peak-RSS median from /usr/bin/time -v.
# Prints a markdown table (paste into docs/benchmarks/catalog.md).
# Usage: bench/sbom-speed.sh [IMAGE_NAME]   (default debian12-full); RUNS=N to change run count.
# sekisho = the release `sekisho sbom … --format json --no-cache` (all catalogers, the whole CLI
# path, JSON to /dev/null, no layer cache so every run reads every layer).
set -euo pipefail
HERE=$(cd "$(dirname "$0")/.." && pwd)
B=${SEKISHO_BENCH_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/sekisho-bench}
N=${1:-debian12-full}; RUNS=${RUNS:-5}
TRIVY=$B/venv/bin/trivy; SYFT=$B/venv/bin/syft-bin
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$HERE/target}
( cd "$HERE" && cargo build -q --release -p sekisho )
SEK=$CARGO_TARGET_DIR/release/sekisho
SOPTS="--format json --quiet"
OUT=$(mktemp -d); trap 'rm -rf "$OUT"' EXIT
TOPTS="--scanners '' --format json --skip-version-check --disable-telemetry --offline-scan -q --cache-dir $OUT/tc"

# measure LABEL CMD... -> "median_wall_s median_rss_kb"
measure() {
  local i; : > "$OUT/m"
  for i in $(seq 1 "$RUNS"); do
    rm -rf "$OUT/tc"  # trivy: no warm cache between runs (each run analyses the target)
    /usr/bin/time -v -o "$OUT/t" bash -c "$*" > /dev/null 2> "$OUT/err" || { echo "FAILED: $*" >&2; cat "$OUT/err" >&2; return 1; }
    w=$(awk -F': ' '/Elapsed \(wall clock\)/{n=split($2,a,":"); s=0; for(j=1;j<=n;j++) s=s*60+a[j]; print s}' "$OUT/t")
    r=$(awk -F': ' '/Maximum resident set size/{print $2}' "$OUT/t")
    echo "$w $r" >> "$OUT/m"
  done
  python3 -c '
import statistics,sys
rows=[tuple(map(float,l.split())) for l in open(sys.argv[1]) if l.strip()]
print("%.3f %d"%(statistics.median(r[0] for r in rows), statistics.median(r[1] for r in rows)))' "$OUT/m"
}

declare -A S T Y
S[rootfs]="sbom rootfs $B/rootfs/$N";                          T[rootfs]="rootfs $B/rootfs/$N";                    Y[rootfs]="dir:$B/rootfs/$N"
S[docker-archive]="sbom image --no-cache --input $B/archives/$N.docker.tar"; T[docker-archive]="image --input $B/archives/$N.docker.tar"; Y[docker-archive]="docker-archive:$B/archives/$N.docker.tar"
S[oci-layout]="sbom image --no-cache --oci-dir $B/oci/$N:bookworm";          T[oci-layout]="image --input $B/oci/$N";              Y[oci-layout]="oci-dir:$B/oci/$N"
TARGETS=${TARGETS:-rootfs docker-archive oci-layout}
echo "| target ($N, $RUNS runs, medians) | sekisho s | trivy s | syft s | trivy/sekisho | syft/sekisho | RSS sekisho MiB | RSS trivy MiB | RSS syft MiB |"
echo "|---|---|---|---|---|---|---|---|---|"
for t in $TARGETS; do
  read -r sw sr < <(measure "$SEK ${S[$t]} $SOPTS")
  read -r tw tr < <(measure "$TRIVY ${T[$t]} $TOPTS")
  read -r yw yr < <(measure "SYFT_CHECK_FOR_APP_UPDATE=false $SYFT scan -q -o json ${Y[$t]}")
  python3 -c '
import sys
t,sw,sr,tw,tr,yw,yr=sys.argv[1],*map(float,sys.argv[2:])
print("| %s | %.3f | %.3f | %.3f | %.1fx | %.1fx | %.1f | %.1f | %.1f |"%(t,sw,tw,yw,tw/sw,yw/sw,sr/1024,tr/1024,yr/1024))' "$t" "$sw" "$sr" "$tw" "$tr" "$yw" "$yr"
done
