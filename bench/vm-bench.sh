#!/bin/bash
# Compare sekisho's VM-disk scanning with `trivy vm` on the disks built by shared/bench/images.sh.
# For every disk: wall time and peak RSS of
#   - sekisho: `sekisho sbom vm DISK --format json` (release build; opens the image, reads the
#     partition table, probes every partition, walks every OS root and catalogues its packages),
#     packages counted from its JSON (all targets);
#   - trivy 0.76: `trivy vm --scanners '' --list-all-pkgs --format json` (no vulnerability DB; a
#     fresh cache dir per run so nothing is reused), packages counted from its JSON.
# Prints a Markdown table (ratios = trivy time / sekisho time). Usage: bench/vm-bench.sh [RUNS]
# (or RUNS=N in the environment). SEKISHO=/path/to/sekisho uses a prebuilt binary.
set -uo pipefail
cd "$(dirname "$0")/.."
D=${SEKISHO_BENCH_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/sekisho-bench}
V=$D/vm
TRIVY=$D/venv/bin/trivy
RUNS=${1:-${RUNS:-3}}
[ -f "$V/disk.vhdx" ] || { echo "run ../shared/bench/images.sh first (it builds $V)" >&2; exit 2; }
[ -x "$TRIVY" ] || { echo "run ../shared/bench/peers.sh first (it installs trivy)" >&2; exit 2; }
if [ -n "${SEKISHO:-}" ]; then EX=$SEKISHO; else  # a prebuilt binary
  export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-target}
  cargo build -q --release --locked -p sekisho --bin sekisho >&2 || exit 2
  EX=$CARGO_TARGET_DIR/release/sekisho
fi
[ -x "$EX" ] || { echo "no sekisho binary at $EX" >&2; exit 2; }
TMP=$(mktemp -d); trap 'rm -rf "$TMP"' EXIT

# median of wall times; prints "seconds peak_kb"
measure() {
  local out=$1; shift
  local ts=() kb=0
  for _ in $(seq "$RUNS"); do
    /usr/bin/time -f "%e %M" -o "$TMP/time" "$@" > "$out" 2> "$TMP/err"
    local rc=$?
    read -r t m < <(tail -1 "$TMP/time")
    ts+=("$t"); [ "$m" -gt "$kb" ] && kb=$m
    [ $rc -eq 0 ] || { echo "FAIL $rc"; return; }
  done
  printf '%s\n' "${ts[@]}" | sort -n | awk -v kb="$kb" '{a[NR]=$1} END {print a[int((NR+1)/2)], kb}'
}

echo "| disk | format | sekisho s | sekisho pkgs | sekisho MB | trivy s | trivy pkgs | trivy MB | trivy/sekisho |"
echo "|---|---|---|---|---|---|---|---|---|"
for f in disk.raw disk.vmdk disk.qcow2 disk-stream.vmdk disk.vhd disk.vhdx disk-label-dps.raw disk-xfs.raw disk-xfs.qcow2 root.ext4 root.xfs; do
  s=$(measure "$TMP/s.json" "$EX" sbom vm --quiet --format json "$V/$f")
  if [[ $s == FAIL* ]]; then
    echo "| $f | - | fails: $(grep -m1 -iE 'error' "$TMP/err" | cut -c1-120) | - | - | - | - | - | - |"
    continue
  fi
  read -r spk fmt < <(python3 -c "import json;d=json.load(open('$TMP/s.json'));t=d.get('targets') or [];print(sum(len(x.get('packages') or []) for x in t), ((t[0].get('partition') or {}).get('format') if t else None) or '-')")
  t=$(measure "$TMP/t.json" env TMPDIR="$TMP" "$TRIVY" vm --scanners '' --list-all-pkgs --format json \
        --skip-version-check --disable-telemetry --offline-scan --cache-dir "$TMP/trivy-cache-$RANDOM" "$V/$f")
  if [[ $t == FAIL* ]]; then
    tpk="fails: $(grep -m1 -E 'FATAL|ERROR' "$TMP/err" | sed 's/.*scan failed: //' | cut -c1-120)"; tt="-"; tm="-"; ratio="-"
  else
    tpk=$(python3 -c "import json;d=json.load(open('$TMP/t.json'));print(sum(len(r.get('Packages') or []) for r in d.get('Results') or []))")
    tt=${t% *}; tm=$(( ${t#* } / 1024 ))
    ratio=$(awk -v a="$tt" -v b="${s% *}" 'BEGIN{printf "%.1fx", a/b}')
  fi
  echo "| $f | $fmt | ${s% *} | $spk | $(( ${s#* } / 1024 )) | $tt | $tpk | $tm | $ratio |"
done
