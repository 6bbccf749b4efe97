#!/bin/bash
# Compare sekisho's VM-disk reader with `trivy vm` on the disks built by shared/bench/images.sh.
# For every disk: wall time and peak RSS of
#   - sekisho: `sekisho vm --format json DISK` when that command works, else the sekisho-disk
#     example `vm_inventory` (open the image, read the partition table, probe every partition, walk
#     every OS root visiting every entry and capturing the package databases, count packages);
#   - trivy 0.76: `trivy vm --scanners '' --list-all-pkgs --format json` (no vulnerability DB; a
#     fresh cache dir per run so nothing is reused), packages counted from its JSON.
# Prints a Markdown table (ratios = trivy time / sekisho time). Usage: bench/vm-bench.sh [RUNS]
set -uo pipefail
cd "$(dirname "$0")/.."
D=${SEKISHO_BENCH_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/sekisho-bench}
V=$D/vm
TRIVY=$D/venv/bin/trivy
RUNS=${1:-3}
[ -f "$V/disk.vhdx" ] || { echo "run ../shared/bench/images.sh first (it builds $V)" >&2; exit 2; }
[ -x "$TRIVY" ] || { echo "run ../shared/bench/peers.sh first (it installs trivy)" >&2; exit 2; }
if [ -n "${SEKISHO_VM_INVENTORY:-}" ]; then EX=$SEKISHO_VM_INVENTORY; else  # a prebuilt binary
  export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-target}
  cargo build -q --release -p sekisho-disk --example vm_inventory >&2 || exit 2
  EX=$CARGO_TARGET_DIR/release/examples/vm_inventory
fi
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
  s=$(measure "$TMP/s.out" "$EX" "$V/$f")
  spk=$(sed -n 's/^packages: \([0-9]*\);.*/\1/p' "$TMP/s.out")
  fmt=$(head -1 "$TMP/s.out" | sed 's/^[^:]*: \(.*\) ([0-9]* bytes).*/\1/')
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
