#!/usr/bin/env bash
# catalog-lang benchmark: a generated tree with many real lockfiles (200 projects x 10 lockfiles
# from ../shared/data fixtures), a 20,000-package node_modules and 2,000 Python dist-infos.
# Times sekisho's language catalogers (5 runs, median; example `lang_bench`) and, when installed by
# ../shared/bench/peers.sh, trivy fs and syft on the same tree (5 runs each, wall-clock median and
# peak RSS via /usr/bin/time). Results go to stdout; record them in docs/benchmarks/catalog-lang.md.
set -euo pipefail
cd "$(dirname "$0")/.."
D=${SEKISHO_BENCH_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/sekisho-bench}
tree="$D/lang-tree"
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-target}
cargo build -q --release -p sekisho-catalog --example lang_bench
bin="$CARGO_TARGET_DIR/release/examples/lang_bench"
if [ ! -e "$tree/.done" ]; then
  rm -rf "$tree"
  "$bin" generate "$tree" 200 20000 2000
  touch "$tree/.done"
fi
echo "tree: $(find "$tree" -type f | wc -l) files, $(du -sh "$tree" | cut -f1)"
echo "== sekisho-catalog lang_bench (lang + os catalogers, 2 threads; library only)"
/usr/bin/time -f "peak RSS %M KB" "$bin" run "$tree" 5

median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
TF=$(mktemp); trap 'rm -f "$TF"' EXIT
peer() {
  local name=$1; shift
  local times=() rss=()
  "$@" >/dev/null 2>&1 || true # warm the page cache
  for _ in 1 2 3 4 5; do
    /usr/bin/time -o "$TF" -f "%e %M" "$@" >/dev/null 2>&1 || true
    local out; out=$(tail -1 "$TF")
    times+=("${out% *}"); rss+=("${out#* }")
  done
  echo "== $name: median $(printf '%s\n' "${times[@]}" | median) s over 5 runs; peak RSS median $(printf '%s\n' "${rss[@]}" | median) KB"
}
cargo build -q --release -p sekisho
peer "sekisho sbom rootfs (the CLI, every cataloger, JSON)" "$CARGO_TARGET_DIR/release/sekisho" sbom rootfs "$tree" --format json --quiet
if [ -x "$D/venv/bin/trivy" ]; then
  peer "trivy fs (cyclonedx, no vuln scan)" "$D/venv/bin/trivy" fs --quiet --format cyclonedx --skip-db-update --offline-scan "$tree"
fi
if [ -x "$D/venv/bin/syft-bin" ]; then
  peer "syft dir" "$D/venv/bin/syft-bin" scan -q -o json "dir:$tree"
fi
