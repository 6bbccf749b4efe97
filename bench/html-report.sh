#!/bin/bash
# The HTML report of `sekisho rootfs` over debian12-full (../shared/bench/images.sh) with the DB
# imported from ../shared/data (PyPI, crates.io, Go, AlmaLinux OSV; no Debian:12 set exists there,
# so the OS packages are listed as not checked): file size next to the JSON of the same scan,
# render time, and how long Chromium takes to load it (WebDriver via chromedriver:
# navigation start to the load event, after the filter script ran), median of RUNS (default 5).
# The budget (issue 18): loads in under 1 s, under 5 MB. debian12-full has few findings with this
# DB, so a second row scans the lockfiles of every ecosystem in ../shared/data/fixtures-trivy
# (integration/testdata/fixtures/repo) for a report with many rows.
# Usage: bench/html-report.sh [IMAGE_NAME]   (default debian12-full); SEKISHO_BIN to use a built binary;
# WITH_ROOT=1 to add `rootfs /`.
set -euo pipefail
HERE=$(cd "$(dirname "$0")/.." && pwd)
B=${SEKISHO_BENCH_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/sekisho-bench}
N=${1:-debian12-full}; RUNS=${RUNS:-5}
DATA=${SEKISHO_SHARED_DATA:-$HERE/../shared/data}
ROOT=$B/rootfs/$N
[ -d "$ROOT" ] || { echo "no $ROOT: run ../shared/bench/images.sh" >&2; exit 1; }
if [ -z "${SEKISHO_BIN:-}" ]; then
  export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$HERE/target}
  ( cd "$HERE" && cargo build -q --release -p sekisho )
  SEKISHO_BIN=$CARGO_TARGET_DIR/release/sekisho
fi
command -v chromedriver >/dev/null || { echo "chromedriver missing (apt-get install chromium-driver)" >&2; exit 1; }
OUT=$(mktemp -d); trap 'kill "${CD:-0}" 2>/dev/null || true; rm -rf "$OUT"' EXIT
DB=$OUT/db.sqlite
"$SEKISHO_BIN" db import --db "$DB" "$DATA/osv-pypa-json" "$DATA/osv-rustsec" "$DATA/osv-go-vulndb" "$DATA/osv-almalinux" > /dev/null
run() { "$SEKISHO_BIN" rootfs "$1" --offline --quiet --db "$DB" --format "$2" -o "$3" || [ $? -le 3 ]; }
LOCKS=$DATA/fixtures-trivy/integration/testdata/fixtures/repo
ARGS=()
TARGETS=("rootfs $N=$ROOT" "lockfiles (fixtures-trivy repo)=$LOCKS")
# WITH_ROOT=1 adds the README's main job, `sekisho rootfs --offline /` (this machine's root).
[ -n "${WITH_ROOT:-}" ] && TARGETS+=("rootfs / (README main job)=/")
for t in "${TARGETS[@]}"; do
  name=${t%%=*}; dir=${t#*=}; k=${#ARGS[@]}
  t0=$(date +%s.%N); run "$dir" json "$OUT/$k.json"; t1=$(date +%s.%N); run "$dir" html "$OUT/$k.html"; t2=$(date +%s.%N)
  ARGS+=("$name|$OUT/$k.html|$OUT/$k.json|$t0|$t1|$t2")
done

PORT=${CHROMEDRIVER_PORT:-9515}
chromedriver --port="$PORT" > "$OUT/cd.log" 2>&1 & CD=$!
for _ in $(seq 1 50); do curl -fs "http://127.0.0.1:$PORT/status" >/dev/null 2>&1 && break; sleep 0.1; done
python3 - "$PORT" "$RUNS" "$OUT" "${ARGS[@]}" <<'PY'
import json, os, statistics, sys, urllib.request
port, runs, out, targets = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4:]
def call(method, path, body=None):
    req = urllib.request.Request(f"http://127.0.0.1:{port}{path}", method=method,
        data=None if body is None else json.dumps(body).encode(), headers={"Content-Type": "application/json"})
    return json.load(urllib.request.urlopen(req, timeout=120))["value"]
caps = {"capabilities": {"alwaysMatch": {"browserName": "chrome", "goog:chromeOptions": {"args": [
    "--headless", "--no-sandbox", "--disable-gpu", "--window-size=1280,900", f"--user-data-dir={out}/profile",
    "--disable-background-networking", "--no-first-run"]}}}}
sid = call("POST", "/session", caps)["sessionId"]
print("| target | HTML size | JSON size | size HTML/JSON | finding rows | render JSON (s) | render HTML (s) | Chromium DOMContentLoaded (ms) | Chromium load (ms) |")
print("|---|---|---|---|---|---|---|---|---|")
try:
    for t in targets:
        name, page, js, t0, t1, t2 = t.split("|")
        t0, t1, t2 = float(t0), float(t1), float(t2)
        loads, dcl = [], []
        for i in range(runs + 1):
            call("POST", f"/session/{sid}/url", {"url": "about:blank"})
            call("POST", f"/session/{sid}/url", {"url": "file://" + page})
            nav = call("POST", f"/session/{sid}/execute/sync", {"script":
                "const n=performance.getEntriesByType('navigation')[0];"
                "return [n.loadEventEnd, n.domContentLoadedEventEnd, document.documentElement.getAttribute('data-ready'), document.querySelectorAll('tr.f').length];", "args": []})
            assert nav[2] == "1", "the filter script did not run"
            rows = nav[3]
            if i > 0:  # the first load warms the browser
                loads.append(nav[0]); dcl.append(nav[1])
        hs, jsz = os.path.getsize(page), os.path.getsize(js)
        print(f"| {name} | {hs/1e6:.2f} MB | {jsz/1e6:.2f} MB | {hs/jsz:.2f}x | {rows} | {t1-t0:.2f} | {t2-t1:.2f} | {statistics.median(dcl):.0f} | {statistics.median(loads):.0f} |")
finally:
    call("DELETE", f"/session/{sid}")
PY
