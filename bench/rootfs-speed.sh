#!/bin/bash
# rootfs-speed.sh: issue 20's "speed: at the floor" numbers, side by side in one run, with
# hyperfine (release build, warmup 2, RUNS runs, default 10) and `uptime` before each group:
#   1. debian12-full rootfs: `sekisho sbom rootfs` and `sekisho rootfs` (scan with the DB) vs
#      `trivy rootfs --scanners ''` (package listing; trivy has no DB here), trivy's cache emptied
#      before every run;
#   2. the README's main job, `sekisho rootfs --offline /` (ROOT_RUNS rounds, default 3, with
#      /usr/bin/time; set WITH_TRIVY_ROOT=1 to time `trivy rootfs /` once too);
#   3. `sekisho image --input` (scan and sbom) on the debian12-full docker-archive vs its verified
#      read: `sha_floor` (crates/sekisho-artifact/examples/sha_floor.rs) reads and SHA-256s the
#      archive once.
# BASE=/path/to/an/older/sekisho adds that binary's runs of the same sekisho commands (before/
# after). ONLY=13 runs groups 1 and 3 only. Peak RSS: /usr/bin/time -v, the largest of 3 runs. The DB is imported once from
# ../shared/data as in the README. Results: docs/benchmarks.md, "speed at the floor (issue 20)".
set -euo pipefail
HERE=$(cd "$(dirname "$0")/.." && pwd)
B=${SEKISHO_BENCH_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/sekisho-bench}
N=${1:-debian12-full}
RUNS=${RUNS:-10}
ROOT_RUNS=${ROOT_RUNS:-3}
TRIVY=${TRIVY:-$B/venv/bin/trivy}
DATA=${SEKISHO_SHARED_DATA:-$HERE/../shared/data}
BASE=${BASE:-}
ONLY=${ONLY:-123} # which of the three groups to run
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$HERE/target}
if [ -z "${NO_BUILD:-}" ]; then
  (cd "$HERE" && cargo build -q --release --locked -p sekisho && cargo build -q --release --locked -p sekisho-artifact --example sha_floor)
fi
SEK=$CARGO_TARGET_DIR/release/sekisho
FLOOR=$CARGO_TARGET_DIR/release/examples/sha_floor
R=$B/rootfs/$N
A=$B/archives/$N.docker.tar
[ -d "$R" ] && [ -f "$A" ] || bash "$HERE/../shared/bench/images.sh"
OUT=$(mktemp -d); trap 'rm -rf "$OUT"' EXIT
DB=$OUT/db.sqlite
"$SEK" db import --db "$DB" "$DATA/osv-pypa-json" "$DATA/osv-rustsec" "$DATA/osv-go-vulndb" "$DATA/osv-almalinux" > /dev/null
TOPTS="--scanners '' --format json --skip-version-check --disable-telemetry --offline-scan -q --cache-dir $OUT/tc"
HF="hyperfine --warmup 2 --style basic -N"
# sekisho exits 1 on findings with --exit-code, 3 without vulnerability data for some packages:
# `-i` keeps hyperfine timing those runs.
rss() { # command... -> peak RSS in MiB, the largest of 3 runs
  local m=0 r i
  for i in 1 2 3; do
    /usr/bin/time -f %M -o "$OUT/rss" "$@" > /dev/null 2>&1 || true
    r=$(tail -1 "$OUT/rss"); [ "$r" -gt "$m" ] && m=$r # time writes "exited with status" first
  done
  echo "$((m / 1024)) MiB"
}

if [[ $ONLY == *1* ]]; then
echo "## 1. $N rootfs"; uptime
cmds=(-n "sekisho sbom rootfs" "$SEK sbom rootfs $R --format json --quiet"
      -n "sekisho rootfs (scan, DB)" "$SEK rootfs $R --format json --offline --quiet --db $DB")
[ -n "$BASE" ] && cmds+=(-n "before: sekisho sbom rootfs" "$BASE sbom rootfs $R --format json --quiet"
      -n "before: sekisho rootfs (scan, DB)" "$BASE rootfs $R --format json --offline --quiet --db $DB")
$HF -i --runs "$RUNS" --prepare "rm -rf $OUT/tc" --export-markdown "$OUT/1.md" "${cmds[@]}" \
  -n "trivy rootfs --scanners ''" "$TRIVY rootfs $TOPTS $R" > /dev/null
cat "$OUT/1.md"
echo "peak RSS: sekisho sbom $(rss $SEK sbom rootfs "$R" --format json --quiet), sekisho scan $(rss $SEK rootfs "$R" --format json --offline --quiet --db "$DB"), trivy $(rss bash -c "rm -rf $OUT/tc; $TRIVY rootfs $TOPTS $R")"
[ -n "$BASE" ] && echo "peak RSS before: sekisho sbom $(rss $BASE sbom rootfs "$R" --format json --quiet), sekisho scan $(rss $BASE rootfs "$R" --format json --offline --quiet --db "$DB")"
uptime
fi

if [[ $ONLY == *2* ]]; then
echo "## 2. sekisho rootfs --offline / (README main job)"; uptime
# Whole-tree scans take tens of seconds: /usr/bin/time, ROOT_RUNS rounds, sekisho then BASE in
# each round (so both see the same tree and load), wall time and peak RSS per run.
for i in $(seq "$ROOT_RUNS"); do
  for b in "$SEK" ${BASE:+"$BASE"}; do
    /usr/bin/time -f "%e s, %M KiB peak RSS" -o "$OUT/t" "$b" rootfs --offline / --db "$DB" --quiet > /dev/null 2>&1 || true
    echo "round $i: $([ "$b" = "$SEK" ] && echo after || echo before): $(tail -1 "$OUT/t") (load $(cut -d' ' -f1 /proc/loadavg))"
  done
done
if [ -n "${WITH_TRIVY_ROOT:-}" ]; then
  rm -rf "$OUT/tc"
  # bash -c, so the quoted empty `--scanners ''` in TOPTS stays one empty argument.
  /usr/bin/time -f "%e s, %M KiB peak RSS" -o "$OUT/t" bash -c "$TRIVY rootfs $TOPTS /" > /dev/null 2>&1 || true
  echo "trivy rootfs / --scanners '': $(tail -1 "$OUT/t")"
fi
uptime
fi

if [[ $ONLY == *3* ]]; then
echo "## 3. $N docker-archive vs its verified read"; uptime
cmds=(-n "sha_floor (read + SHA-256 once)" "$FLOOR $A"
      -n "sekisho image --input (scan, DB)" "$SEK image --input $A --no-cache --format json --offline --quiet --db $DB"
      -n "sekisho sbom image --input" "$SEK sbom image --input $A --no-cache --format json --quiet")
[ -n "$BASE" ] && cmds+=(-n "before: sekisho image --input (scan, DB)" "$BASE image --input $A --no-cache --format json --offline --quiet --db $DB")
$HF -i --runs "$RUNS" --export-markdown "$OUT/3.md" "${cmds[@]}" > /dev/null
cat "$OUT/3.md"
echo "peak RSS: sekisho image $(rss $SEK image --input "$A" --no-cache --format json --offline --quiet --db "$DB")"
uptime
fi
