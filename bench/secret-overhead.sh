#!/usr/bin/env bash
# What the secret scanner adds to an image scan (issue 15: at most 15%), and its raw throughput.
#   1. `image --oci-dir debian12-full` with `--scanners vuln` and with `--scanners vuln,secret`
#      (no layer cache, the shared DB or none), median of RUNS (default 5) each, with peak RSS;
#   2. the criterion benchmark over /usr/share's text files (crates/sekisho-secret/benches/scan.rs),
#      reported in bytes per second per core;
#   3. trivy image --input on the same image's docker-archive with --scanners secret, for the ratio.
# Inputs from ../shared/bench/images.sh and peers.sh. Record the output in docs/benchmarks.md.
set -euo pipefail
cd "$(dirname "$0")/.."
D=${SEKISHO_BENCH_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/sekisho-bench}
OCI="$D/oci/debian12-full"
ARCHIVE="$D/archives/debian12-full.docker.tar"
RUNS=${RUNS:-5}
[ -f "$OCI/index.json" ] || { echo "run ../shared/bench/images.sh first" >&2; exit 2; }
cargo build -q --release -p sekisho
S=target/release/sekisho
DB=${SEKISHO_DB:-}
dbargs=(); [ -n "$DB" ] && dbargs=(--db "$DB")
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
run() { # label, command... -> median seconds and max peak RSS
  local label=$1; shift; local ts=() rss=0
  for _ in $(seq "$RUNS"); do
    /usr/bin/time -f "%e %M" -o /tmp/secret-bench.$$ "$@" >/dev/null 2>&1 || true
    read -r t m < /tmp/secret-bench.$$; ts+=("$t"); [ "$m" -gt "$rss" ] && rss=$m
  done
  local med; med=$(printf '%s\n' "${ts[@]}" | median)
  printf '%-34s %8s s  %8s KB\n' "$label" "$med" "$rss"
  echo "$med" > "/tmp/secret-bench-$label.$$"
}
cat "$OCI"/blobs/sha256/* > /dev/null
run vuln "$S" image --no-cache --offline "${dbargs[@]}" --oci-dir "$OCI:bookworm" --scanners vuln --format json
run vuln+secret "$S" image --no-cache --offline "${dbargs[@]}" --oci-dir "$OCI:bookworm" --scanners vuln,secret --format json
run secret "$S" image --no-cache --offline "${dbargs[@]}" --oci-dir "$OCI:bookworm" --scanners secret --format json
a=$(cat /tmp/secret-bench-vuln.$$); b=$(cat /tmp/secret-bench-vuln+secret.$$); c=$(cat /tmp/secret-bench-secret.$$)
awk -v a="$a" -v b="$b" 'BEGIN { printf "overhead of --scanners secret: %+.1f%%\n", (b / a - 1) * 100 }'
if [ -x "$D/venv/bin/trivy" ]; then
  RUNS=$(( RUNS < 3 ? RUNS : 3 )) run trivy-secret "$D/venv/bin/trivy" image --input "$ARCHIVE" --scanners secret \
    --offline-scan --skip-version-check --disable-telemetry -q --format json
  t=$(cat /tmp/secret-bench-trivy-secret.$$)
  awk -v s="$c" -v t="$t" 'BEGIN { printf "trivy / sekisho (secret only): %.1fx\n", t / s }'
fi
rm -f /tmp/secret-bench*.$$
echo "-- criterion: secret scanner throughput on /usr/share text"
cargo bench -q -p sekisho-secret --bench scan -- --noplot 2>/dev/null | grep -E "^[a-z_/ ]+$|time:|thrpt:" || true
