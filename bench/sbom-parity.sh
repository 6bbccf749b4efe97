#!/bin/bash
# OS-package parity with trivy on debian12-full: the set of (name, version) OS packages sekisho
# finds must equal trivy's, on every target form (rootfs, docker-archive, OCI layout, registry).
# Targets come from ../shared/bench/images.sh, trivy from ../shared/bench/peers.sh.
# sekisho side: the release `sekisho sbom … --format json`, OS packages (deb/apk/rpm kinds).
# Exit 1 if any target differs. Usage: bench/sbom-parity.sh [IMAGE_NAME]   (default debian12-full)
set -euo pipefail
HERE=$(cd "$(dirname "$0")/.." && pwd)
B=${SEKISHO_BENCH_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/sekisho-bench}
N=${1:-debian12-full}
TRIVY=$B/venv/bin/trivy
[ -x "$TRIVY" ] || { echo "trivy missing: run ../shared/bench/peers.sh" >&2; exit 2; }
[ -d "$B/rootfs/$N" ] || { echo "$B/rootfs/$N missing: run ../shared/bench/images.sh" >&2; exit 2; }
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$HERE/target}
( cd "$HERE" && cargo build -q --release -p sekisho )
SEKB=$CARGO_TARGET_DIR/release/sekisho
OUT=$(mktemp -d); trap 'rm -rf "$OUT"' EXIT
TOPTS=(--scanners '' --format json --skip-version-check --disable-telemetry --offline-scan -q --cache-dir "$OUT/trivy-cache")

# trivy JSON -> "name<TAB>[epoch:]version[-release]" of OS packages
trivy_os() { python3 -c '
import json,sys
d=json.load(open(sys.argv[1]))
for r in d.get("Results") or []:
    if r.get("Class")!="os-pkgs": continue
    for p in r.get("Packages") or []:
        v=p["Version"]
        if p.get("Release"): v+="-"+p["Release"]
        if p.get("Epoch"): v="%d:%s"%(p["Epoch"],v)
        print("%s\t%s"%(p["Name"],v))
' "$1" | sort -u; }

# sekisho JSON -> the same lines for OS packages
sekisho_os() { python3 -c '
import json,sys
d=json.load(open(sys.argv[1]))
for t in d["targets"]:
    for p in t["packages"]:
        if p["kind"] in ("deb","apk","rpm"):
            print("%s\t%s"%(p["name"],p["version"]))
' "$1" | sort -u; }

declare -A SEK TRV
SEK[rootfs]="rootfs $B/rootfs/$N";                      TRV[rootfs]="rootfs $B/rootfs/$N"
SEK[docker-archive]="image --input $B/archives/$N.docker.tar"; TRV[docker-archive]="image --input $B/archives/$N.docker.tar"
SEK[oci-layout]="image --oci-dir $B/oci/$N:bookworm";      TRV[oci-layout]="image --input $B/oci/$N"
REG=""
if [ -f "$B/registry/pid" ] && kill -0 "$(cat "$B/registry/pid")" 2>/dev/null; then
  REG=$("$HERE/../shared/bench/registry.sh" url 2>/dev/null || true)
fi
ORDER="rootfs docker-archive oci-layout"
if [ -n "$REG" ]; then
  SEK[registry]="image $REG/peers/$N:bookworm"; TRV[registry]="image --insecure $REG/peers/$N:bookworm"; ORDER="$ORDER registry"
else
  echo "registry: not running (start ../shared/bench/registry.sh start, rerun images.sh); skipped" >&2
fi
fail=0
for t in $ORDER; do
  # shellcheck disable=SC2086
  "$TRIVY" ${TRV[$t]} "${TOPTS[@]}" > "$OUT/$t.trivy.json"
  trivy_os "$OUT/$t.trivy.json" > "$OUT/$t.trivy"
  # shellcheck disable=SC2086
  "$SEKB" sbom ${SEK[$t]} --format json --quiet > "$OUT/$t.sekisho.json"
  sekisho_os "$OUT/$t.sekisho.json" > "$OUT/$t.sekisho"
  a=$(wc -l < "$OUT/$t.sekisho"); b=$(wc -l < "$OUT/$t.trivy")
  if diff -u "$OUT/$t.trivy" "$OUT/$t.sekisho" > "$OUT/$t.diff"; then
    echo "$N $t: EQUAL ($a OS packages; trivy $b)"
  else
    echo "$N $t: DIFFERENT (sekisho $a, trivy $b)"; sed -n '3,40p' "$OUT/$t.diff"; fail=1
  fi
done
exit $fail
