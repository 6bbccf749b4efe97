#!/usr/bin/env bash
# Secret scanners side by side (issue 15): sekisho, trivy and detect-secrets on
#   1. the issue-15 test image (crates/sekisho-secret/examples/issue_image.rs): planted keys in
#      several layers, deleted, overwritten by a symlink or emptied, in Env and a BuildKit history
#      line, vendor docs, decoys;
#   2. the debootstrap rootfs debian12-full (../shared/bench/images.sh), which holds no secrets of
#      ours.
# Peers from ../shared/bench/peers.sh ($SEKISHO_BENCH_DIR/venv). Prints, per tool, what it reports
# on the test image (by path and rule) and on debian12-full (counts by severity), with wall time and
# peak RSS. Nothing here is a timed test; record the output in docs/secrets.md.
set -euo pipefail
cd "$(dirname "$0")/.."
D=${SEKISHO_BENCH_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/sekisho-bench}
V="$D/venv/bin"
R="$D/rootfs/debian12-full"
for t in "$V/trivy" "$V/detect-secrets"; do [ -x "$t" ] || { echo "missing $t: run ../shared/bench/peers.sh" >&2; exit 2; }; done
[ -d "$R/usr" ] || { echo "missing $R: run ../shared/bench/images.sh" >&2; exit 2; }
cargo build -q --release -p sekisho -p sekisho-secret --example issue_image
S=target/release/sekisho
W=$(mktemp -d); trap 'rm -rf "$W"' EXIT
target/release/examples/issue_image "$W/img"
TV="--offline-scan --skip-version-check --disable-telemetry -q"
tm() { local rc=0; /usr/bin/time -f "%e s, %M KB peak" -o "$W/time" "$@" || rc=$?; echo "    time: $(tail -n 1 "$W/time")" >&2; return $rc; }

echo "== test image (OCI layout, $(ls "$W/img/layers" | wc -l) layers)"
echo "-- sekisho image --oci-dir --scanners secret"
tm "$S" image --oci-dir "$W/img/oci:test" --scanners secret --format json >"$W/s.json" 2>/dev/null || true
python3 - "$W/s.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
for t in d["targets"]:
    for f in t["findings"]:
        l = f["location"]; layer = (l.get("layer") or {}).get("index")
        where = l.get("path") or l.get("logical")
        extra = []
        if f.get("deleted_in"): extra.append(f"deleted in layer {f['deleted_in']['index']}")
        if not f.get("present", True) and not f.get("deleted_in"): extra.append("not in final fs")
        if f.get("vendor"): extra.append("vendor " + f["vendor"]["package"])
        print(f"    {f['severity']:8} {f['id']:28} {where} (layer {layer}) {'; '.join(extra)}")
PY
echo "-- trivy image --input (OCI layout) --scanners secret"
tm "$V/trivy" image --input "$W/img/oci" --scanners secret $TV --format json >"$W/t.json" 2>"$W/t.err" || { echo "    trivy failed: $(tail -n 2 "$W/t.err")"; }
python3 - "$W/t.json" <<'PY' || true
import json, sys
try: d = json.load(open(sys.argv[1]))
except Exception as e: print("    (no JSON)", e); sys.exit()
n = 0
for r in d.get("Results") or []:
    for s in r.get("Secrets") or []:
        n += 1; print(f"    {s['Severity']:8} {s['RuleID']:28} {r['Target']}:{s.get('StartLine')}")
print(f"    {n} findings")
PY
echo "-- detect-secrets scan --all-files, per layer directory (it reads no images)"
for l in "$W/img/layers"/*; do
  (cd "$l" && "$V/detect-secrets" scan --all-files . >"$W/ds-$(basename "$l").json" 2>/dev/null) || true
  python3 - "$W/ds-$(basename "$l").json" "$(basename "$l")" <<'PY' || true
import json, sys
d = json.load(open(sys.argv[1]))
for path, ss in d["results"].items():
    for s in ss: print(f"    layer {sys.argv[2]}: {s['type']:28} {path}:{s['line_number']}")
PY
done
echo "-- leaks: planted values printed by each tool"
for f in "$W/s.json" "$W/t.json" "$W"/ds-*.json; do
  n=$(grep -cFf "$W/img/values.txt" "$f" || true); echo "    $(basename "$f"): $n lines with a planted value"
done

echo "== debian12-full rootfs ($(du -sh "$R" | cut -f1))"
echo "-- sekisho rootfs --scanners secret"
tm "$S" rootfs "$R" --offline --scanners secret --format json >"$W/s2.json" 2>/dev/null || true
python3 -c "
import json,collections,sys; d=json.load(open('$W/s2.json'))
c=collections.Counter(f['severity']+' '+f['id']+(' (vendor)' if f.get('vendor') else '') for t in d['targets'] for f in t['findings']); print('   ',dict(c) or 'none')"
echo "-- trivy fs --scanners secret"
tm "$V/trivy" fs "$R" --scanners secret $TV --format json >"$W/t2.json" 2>/dev/null || true
python3 -c "
import json,collections; d=json.load(open('$W/t2.json'))
c=collections.Counter(s['Severity']+' '+s['RuleID'] for r in d.get('Results') or [] for s in r.get('Secrets') or []); print('   ',dict(c) or 'none')"
echo "-- detect-secrets scan --all-files usr etc (not the whole tree: it opens /dev nodes and never returns)"
(cd "$R" && tm timeout 1800 "$V/detect-secrets" scan --all-files usr etc >"$W/ds2.json" 2>/dev/null) || true
python3 -c "
import json,collections; d=json.load(open('$W/ds2.json'))
c=collections.Counter(s['type'] for v in d['results'].values() for s in v); print('   ',len(d['results']),'files:',dict(c))" || true
