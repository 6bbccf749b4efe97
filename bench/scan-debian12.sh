#!/bin/bash
# Full vulnerability scan of debian12-full (rootfs and docker-archive) with `sekisho rootfs|image`
# vs trivy's SBOM-only mode (`--scanners ''`; trivy has no DB on this machine).
# RUNS runs each (default 5): wall-clock median and peak-RSS median from /usr/bin/time -v.
# The sekisho DB is imported once from ../shared/data (PyPI, crates.io, Go, AlmaLinux OSV; there is
# no Debian:12 OSV set in the shared data, so OS packages are looked up and reported as
# "no advisory data for Debian:12": the lookup cost is paid, the answer is honest).
# Prints a markdown table (paste into docs/benchmarks/scan.md).
# Usage: bench/scan-debian12.sh [IMAGE_NAME]   (default debian12-full)
set -euo pipefail
HERE=$(cd "$(dirname "$0")/.." && pwd)
B=${SEKISHO_BENCH_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/sekisho-bench}
N=${1:-debian12-full}; RUNS=${RUNS:-5}
TRIVY=${TRIVY:-$B/venv/bin/trivy}
DATA=${SEKISHO_SHARED_DATA:-$HERE/../shared/data}
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$HERE/target}
( cd "$HERE" && cargo build -q --release -p sekisho )
SEK=$CARGO_TARGET_DIR/release/sekisho
OUT=$(mktemp -d); trap 'rm -rf "$OUT"' EXIT
DB=$OUT/db.sqlite
"$SEK" db import --db "$DB" "$DATA/osv-pypa-json" "$DATA/osv-rustsec" "$DATA/osv-go-vulndb" "$DATA/osv-almalinux" > /dev/null
TOPTS="--scanners '' --format json --skip-version-check --disable-telemetry --offline-scan -q --cache-dir $OUT/tc"

measure() {
  local i; : > "$OUT/m"
  for i in $(seq 1 "$RUNS"); do
    rm -rf "$OUT/tc"
    /usr/bin/time -v -o "$OUT/t" bash -c "$*" > /dev/null 2> "$OUT/err" || {
      rc=$?; [ "$rc" -le 3 ] || { echo "FAILED ($rc): $*" >&2; cat "$OUT/err" >&2; return 1; }; }
    w=$(awk -F': ' '/Elapsed \(wall clock\)/{n=split($2,a,":"); s=0; for(j=1;j<=n;j++) s=s*60+a[j]; print s}' "$OUT/t")
    r=$(awk -F': ' '/Maximum resident set size/{print $2}' "$OUT/t")
    echo "$w $r" >> "$OUT/m"
  done
  python3 -c '
import statistics,sys
rows=[tuple(map(float,l.split())) for l in open(sys.argv[1]) if l.strip()]
print("%.3f %d"%(statistics.median(r[0] for r in rows), statistics.median(r[1] for r in rows)))' "$OUT/m"
}

echo "| target | sekisho scan (s) | sekisho RSS (MiB) | trivy SBOM-only (s) | trivy RSS (MiB) | time ratio | RSS ratio |"
echo "|---|---|---|---|---|---|---|"
for kind in rootfs docker-archive; do
  if [ "$kind" = rootfs ]; then
    s="$SEK rootfs $B/rootfs/$N --format json --offline --quiet --db $DB"
    t="$TRIVY rootfs $TOPTS $B/rootfs/$N"
  else
    s="$SEK image --input $B/archives/$N.docker.tar --no-cache --format json --offline --quiet --db $DB"
    t="$TRIVY image $TOPTS --input $B/archives/$N.docker.tar"
  fi
  read -r sw sr <<< "$(measure "$s")"
  if [ -x "$TRIVY" ]; then read -r tw tr <<< "$(measure "$t")"; else tw=nan; tr=0; fi
  python3 -c "
import sys
sw,sr,tw,tr=float('$sw'),float('$sr')/1024,float('$tw'),float('$tr')/1024
print('| $kind | %.3f | %.1f | %.3f | %.1f | %.2fx | %.2fx |'%(sw,sr,tw,tr,sw/tw if tw==tw and tw else float('nan'),sr/tr if tr else float('nan')))"
done
