#!/bin/bash
# sekisho config vs trivy config on 10,000 Kubernetes documents (100 files x 100 documents:
# Deployments, Services, ConfigMaps, CronJobs and Pods with varied security contexts).
# Whole-process wall time and peak RSS with /usr/bin/time -v; results go in docs/benchmarks.md.
#   bench/config.sh                 sekisho only (release build)
#   WITH_TRIVY=1 bench/config.sh    also trivy config (peers from ../shared/bench/peers.sh; slow)
set -euo pipefail
cd "$(dirname "$0")/.."
D=$(mktemp -d)
trap 'rm -rf "$D"' EXIT
python3 - "$D/k8s" <<'PY'
import os, sys
root = sys.argv[1]
os.makedirs(root)
for f in range(100):
    docs = []
    for d in range(100):
        n = f * 100 + d
        k = n % 5
        if k == 0:
            docs.append(f"""apiVersion: apps/v1
kind: Deployment
metadata:
  name: web-{n}
  namespace: ns-{f}
spec:
  replicas: 2
  template:
    metadata:
      labels: {{app: web-{n}}}
    spec:
      securityContext:
        runAsNonRoot: {str(n % 2 == 0).lower()}
        seccompProfile: {{type: RuntimeDefault}}
      containers:
      - name: app
        image: registry.example/web:{n % 7}.0
        ports: [{{containerPort: 8080}}]
        securityContext:
          allowPrivilegeEscalation: {str(n % 3 == 0).lower()}
          capabilities: {{drop: [ALL]}}
        resources:
          limits: {{cpu: 500m, memory: 256Mi}}
        env:
        - name: MODE
          value: production
""")
        elif k == 1:
            docs.append(f"""apiVersion: v1
kind: Service
metadata:
  name: svc-{n}
spec:
  type: {"NodePort" if n % 4 == 1 else "ClusterIP"}
  ports:
  - port: 80
    targetPort: 8080
""")
        elif k == 2:
            docs.append(f"""apiVersion: v1
kind: ConfigMap
metadata:
  name: cm-{n}
data:
  key: value-{n}
  other: "x"
""")
        elif k == 3:
            docs.append(f"""apiVersion: batch/v1
kind: CronJob
metadata:
  name: job-{n}
spec:
  schedule: "*/5 * * * *"
  jobTemplate:
    spec:
      template:
        spec:
          restartPolicy: OnFailure
          hostPID: {str(n % 10 == 3).lower()}
          containers:
          - name: job
            image: busybox:latest
            command: ["sh", "-c", "date"]
""")
        else:
            docs.append(f"""apiVersion: v1
kind: Pod
metadata:
  name: pod-{n}
spec:
  volumes:
  - name: sock
    hostPath: {{path: /var/run/docker.sock}}
  containers:
  - name: c
    image: alpine:3.20
    securityContext:
      privileged: {str(n % 2 == 0).lower()}
""")
    with open(os.path.join(root, f"m{f:03}.yaml"), "w") as fh:
        fh.write("---\n".join(docs))
PY
echo "corpus: $(ls "$D/k8s" | wc -l) files, $(grep -c '^apiVersion' "$D"/k8s/*.yaml | awk -F: '{s+=$2} END {print s}') documents"
cargo build --release -q -p sekisho
measure() {
    local name=$1; shift
    /usr/bin/time -v "$@" >"$D/$name.out" 2>"$D/$name.time" || true
    local wall rss
    wall=$(grep 'Elapsed (wall clock)' "$D/$name.time" | awk '{print $NF}')
    rss=$(grep 'Maximum resident' "$D/$name.time" | awk '{print $NF}')
    echo "$name: wall $wall, peak RSS $((rss / 1024)) MB"
}
for i in 1 2 3; do
    measure sekisho target/release/sekisho config "$D/k8s" -f json -q
done
python3 -c "import json,sys; d=json.load(open('$D/sekisho.out')); print('sekisho findings:', len(d['targets'][0]['findings']), 'objects:', d['config']['objects'])"
if [ "${WITH_TRIVY:-}" = 1 ]; then
    T=${SEKISHO_BENCH_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/sekisho-bench}/venv/bin/trivy
    measure trivy "$T" config --skip-check-update --skip-version-check --disable-telemetry --format json "$D/k8s"
    python3 -c "import json; d=json.load(open('$D/trivy.out')); print('trivy failures:', sum(len([m for m in r.get('Misconfigurations') or [] if m.get('Status')=='FAIL']) for r in d.get('Results') or []))"
fi
