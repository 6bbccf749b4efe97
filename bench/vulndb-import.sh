#!/usr/bin/env bash
# Full import of all OSV data in ../shared/data (plus converted Debian/Alpine feed fixtures):
# wall time, records/s, DB size, peak RSS; then warm lookups/s (crates/sekisho-vulndb/benches).
# Usage: bench/vulndb-import.sh   (from the repository root; builds release)
set -euo pipefail
cd "$(dirname "$0")/.."
D=../shared/data
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-target}
cargo build --release -p sekisho >/dev/null
B=$CARGO_TARGET_DIR/release/sekisho
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
/usr/bin/time -v "$B" db import --fresh --format json --db "$T/db.sqlite" \
  $D/osv-go-vulndb $D/osv-rustsec $D/osv-pypa-json $D/osv-almalinux $D/osv-dev-testdata $D/osv-psf-cpython \
  $D/feeds-vunnel-fixtures/debian/test-fixtures/input/debian.json $D/feeds-alpine-secdb-2020 \
  >"$T/report.json" 2>"$T/time.txt"
recs=$(python3 -c "import json;print(json.load(open('$T/report.json'))['report']['records'])")
wall=$(grep 'Elapsed (wall' "$T/time.txt" | awk '{print $NF}')
rss=$(grep 'Maximum resident' "$T/time.txt" | awk '{print $NF}')
secs=$(python3 -c "p='$wall'.split(':');print(sum(float(x)*60**i for i,x in enumerate(reversed(p))))")
echo "records: $recs"
echo "wall: ${secs}s  records/s: $(python3 -c "print(round($recs/$secs))")"
echo "peak RSS: $((rss/1024)) MB"
echo "DB size: $(stat -c %s "$T/db.sqlite") bytes"
"$B" db export --db "$T/db.sqlite" "$T/export.bin" >/dev/null
echo "export size: $(stat -c %s "$T/export.bin") bytes"
SEKISHO_BENCH_DB="$T/db.sqlite" cargo bench -p sekisho-vulndb --bench lookup 2>/dev/null | grep -E 'lookups|queries'
