#!/bin/bash
# checkov side by side with sekisho config on the peer-parity corpus of docs/config-checks.md:
# bench/config-corpus (the CLI test's mixed directory plus the peers' documented false-positive
# cases) and the Pod Security Standards fixtures of one version (../shared/data/fixtures-pss,
# v1.30, baseline and restricted). Prints checkov's failed checks per file of the corpus, and for
# the fixtures which pass/ Pods checkov's security checks flag and which fail/ Pods none of them
# flags. checkov comes from ../shared/bench/peers.sh; it runs offline (BC_SKIP_MAPPING).
#   bench/config-peers.sh [SEKISHO_BIN]
set -euo pipefail
cd "$(dirname "$0")/.."
V=${SEKISHO_BENCH_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/sekisho-bench}/venv/bin
S=${1:-target/release/sekisho}
PSS=${PSS:-../shared/data/fixtures-pss}
O=$(mktemp -d)
trap 'rm -rf "$O"' EXIT
"$V/checkov" --version
(cd bench/config-corpus && BC_SKIP_MAPPING=TRUE "$V/checkov" -d . --quiet --compact -o json \
    --framework kubernetes dockerfile >"$O/corpus.json" 2>/dev/null) || true
"$S" config bench/config-corpus -f json -q >"$O/sekisho.json" || true
for lv in baseline restricted; do
    for pf in pass fail; do
        BC_SKIP_MAPPING=TRUE "$V/checkov" -d "$PSS/$lv/v1.30/$pf" --quiet --compact -o json \
            --framework kubernetes >"$O/pss-$lv-$pf.json" 2>/dev/null || true
    done
done
python3 - "$O" "$PSS" <<'PY'
import collections, json, os, sys
o, pss = sys.argv[1], sys.argv[2]
def runs(p):
    d = json.load(open(p))
    return d if isinstance(d, list) else [d]
print("== checkov on bench/config-corpus (file: lines check)")
for fw in runs(f"{o}/corpus.json"):
    for c in fw["results"]["failed_checks"]:
        print(f"  {fw['check_type']:10} {c['file_path']}:{c['file_line_range']} {c['check_id']} {c['check_name'][:60]}")
print("== sekisho on bench/config-corpus (file:line:column id)")
for t in json.load(open(f"{o}/sekisho.json"))["targets"]:
    for f in t["findings"]:
        l = f["location"]
        print(f"  {l['path']}:{l.get('line')}:{l.get('column')} {f['id']}")
# checkov's checks that correspond to a Pod Security Standards control.
SEC = {"CKV_K8S_16", "CKV_K8S_17", "CKV_K8S_18", "CKV_K8S_19", "CKV_K8S_20", "CKV_K8S_23",
       "CKV_K8S_25", "CKV_K8S_26", "CKV_K8S_27", "CKV_K8S_28", "CKV_K8S_31", "CKV_K8S_32",
       "CKV_K8S_37", "CKV_K8S_39"}
for lv in ["baseline", "restricted"]:
    for pf in ["pass", "fail"]:
        flagged = collections.defaultdict(set)
        for fw in runs(f"{o}/pss-{lv}-{pf}.json"):
            for c in fw["results"]["failed_checks"]:
                if c["check_id"] in SEC:
                    flagged[os.path.basename(c["file_path"])].add(c["check_id"])
        files = sorted(os.listdir(f"{pss}/{lv}/v1.30/{pf}"))
        if pf == "pass":
            hit = [f for f in files if flagged.get(f)]
            print(f"== PSS {lv} v1.30 pass/: {len(hit)} of {len(files)} allowed Pods flagged by checkov's security checks")
            for f in hit:
                print(f"  {f} {sorted(flagged[f])}")
        else:
            miss = [f for f in files if not flagged.get(f)]
            print(f"== PSS {lv} v1.30 fail/: {len(miss)} of {len(files)} denied Pods flagged by none of checkov's security checks")
            fam = collections.Counter(f.split(".")[0].rstrip("0123456789") for f in miss)
            print("  " + ", ".join(f"{k} {v}" for k, v in sorted(fam.items())))
PY
