#!/usr/bin/env bash
# Benchmark `sekisho isolation`: the inside view, and `--host` with about 1,000 sleeping
# processes spread over a few PID+mount namespaces (unshare) and the host. Needs root for the
# namespaces. Usage: bench/isolation-host.sh [path/to/sekisho] (default: a release build).
# Prints wall-clock times; record them in docs/benchmarks/isolation.md.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${1:-}
if [ -z "$BIN" ]; then
  cargo build --release -p sekisho >&2
  BIN="${CARGO_TARGET_DIR:-target}/release/sekisho"
fi
NS=${NS:-8}          # sandboxes
PER=${PER:-110}      # sleeping processes per sandbox
HOSTP=${HOSTP:-120}  # sleeping processes on the host
RUNS=${RUNS:-5}

pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; }
trap cleanup EXIT

for i in $(seq 1 "$NS"); do
  unshare --pid --fork --mount-proc --net --ipc --uts \
    sh -c "for j in \$(seq 1 $PER); do sleep 600 & done; wait" &
  pids+=($!)
done
for j in $(seq 1 "$HOSTP"); do sleep 600 & pids+=($!); done
sleep 2
total=$(find /proc -maxdepth 1 -name "[0-9]*" 2>/dev/null | wc -l)
echo "processes visible: $total (sandboxes: $NS x $PER, host sleepers: $HOSTP)"

t() { # median of RUNS wall-clock runs, in ms
  local xs=()
  for r in $(seq 1 "$RUNS"); do
    local s e
    s=$(date +%s%N); "$@" >/dev/null; e=$(date +%s%N)
    xs+=($(( (e - s) / 1000000 )))
  done
  printf '%s\n' "${xs[@]}" | sort -n | awk '{a[NR]=$1} END {print "median " a[int((NR+1)/2)] " ms (min " a[1] ", max " a[NR] ")"}'
}

echo -n "inside view (with probes):   "; t "$BIN" isolation --format json
echo -n "inside view (--no-probe):    "; t "$BIN" isolation --format json --no-probe
echo -n "host view (--host, json):    "; t "$BIN" isolation --host --format json
echo -n "host view (--host, table):   "; t "$BIN" isolation --host
rows=$("$BIN" isolation --host --format json | python3 -c 'import json,sys; r=json.load(sys.stdin); print(len(r["containers"]), r["processes_scanned"])')
echo "host view rows / processes scanned: $rows"
