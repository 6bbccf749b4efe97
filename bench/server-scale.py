#!/usr/bin/env python3
"""sekisho server at scale: ARTIFACTS synthetic SBOMs x COMPONENTS packages with real package
names and vulnerable versions from the shared OSV data, then

  * a delta re-match after importing CHANGED modified advisories (time until the queue is empty),
  * the notification latency (import end -> first signed webhook delivery at a local receiver),
  * a full re-match (POST /api/v1/rematch),
  * GET /api/v1/artifacts/{id}/findings latency at CLIENTS concurrent clients (p50/p99): Python
    clients on random artifacts, ab on one artifact, and wrk on random artifacts (ab and wrk
    when installed),
  * storage per component and the server's peak RSS.

Usage: bench/server-scale.py SEKISHO_BINARY  (env: ARTIFACTS, COMPONENTS, CHANGED, CLIENTS,
REQUESTS). Prints a JSON summary on stdout; progress on stderr. Not a timed test.
"""
import concurrent.futures as cf
import glob
import http.client
import http.server
import json
import os
import random
import re
import subprocess
import sys
import tempfile
import threading
import time

BIN = sys.argv[1]
ARTIFACTS = int(os.environ.get("ARTIFACTS", "10000"))
COMPONENTS = int(os.environ.get("COMPONENTS", "100"))
CHANGED = int(os.environ.get("CHANGED", "100"))
CLIENTS = int(os.environ.get("CLIENTS", "200"))
REQUESTS = int(os.environ.get("REQUESTS", "20000"))
DATA = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "shared", "data")
TOKEN = "rw-bench-token-0123456789"
random.seed(17)


def log(*a):
    print(*a, file=sys.stderr, flush=True)


# Real packages and versions named by the shared advisories (PyPI, crates.io, Go).
SOURCES = [("osv-pypa-json", "pypi"), ("osv-rustsec", "cargo"), ("osv-go-vulndb", "golang")]
ECO = {"PyPI": "pypi", "crates.io": "cargo", "Go": "golang"}
pkgs = {}  # (purl type, name) -> set(versions)
adv_files = []
for folder, _ in SOURCES:
    for f in glob.glob(os.path.join(DATA, folder, "**", "*.json"), recursive=True):
        try:
            rec = json.load(open(f))
        except Exception:
            continue
        if "id" not in rec:
            continue
        adv_files.append(f)
        for a in rec.get("affected") or []:
            p = a.get("package") or {}
            t = ECO.get(p.get("ecosystem"))
            if not t or not p.get("name"):
                continue
            vs = set(a.get("versions") or [])
            for r in a.get("ranges") or []:
                for e in r.get("events") or []:
                    for k in ("introduced", "fixed", "last_affected"):
                        if e.get(k) and e[k] != "0":
                            vs.add(e[k])
            pkgs.setdefault((t, p["name"]), set()).update(vs)
pool = [(t, n, sorted(v)) for (t, n), v in pkgs.items() if v]
log(f"{len(pool)} real packages from {len(adv_files)} advisories")


def purl(t, n, v):
    if t == "golang":
        return f"pkg:golang/{n}@v{v.lstrip('v')}"
    return f"pkg:{t}/{n}@{v}"


def sbom(i):
    comps = []
    for t, n, vs in random.sample(pool, COMPONENTS):
        v = random.choice(vs)
        comps.append({"type": "library", "name": n, "version": v, "purl": purl(t, n, v)})
    return json.dumps({"bomFormat": "CycloneDX", "specVersion": "1.6", "version": 1,
                       "metadata": {"component": {"type": "application", "name": f"app-{i}"}},
                       "components": comps}).encode()


work = tempfile.mkdtemp(prefix="sekisho-server-bench-")
# The store of a 10,000 x 100 run is ~3 GB: removed at exit (KEEP=1 keeps it), and the server
# stopped, whatever ended the run.
import atexit
import shutil
srv = None


def _cleanup():
    if srv is not None and srv.poll() is None:
        srv.kill()
        srv.wait()
    if not os.environ.get("KEEP"):
        shutil.rmtree(work, ignore_errors=True)


atexit.register(_cleanup)
db = os.path.join(work, "vulndb.sqlite")
t = time.time()
subprocess.run([BIN, "db", "import", "--db", db] + [os.path.join(DATA, f) for f, _ in SOURCES],
               check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
log(f"base DB imported in {time.time() - t:.1f} s")
open(os.path.join(work, "tokens"), "w").write(f"rw {TOKEN}\n")
srv = subprocess.Popen([BIN, "server", "--listen", "127.0.0.1:0", "--data", os.path.join(work, "data"),
                        "--token-file", os.path.join(work, "tokens"), "--db", db,
                        "--allow-private-webhooks", "--db-poll-ms", "200",
                        # The full re-match is one request; at 1M components it outlasts the
                        # default 60 s limit.
                        "--request-timeout", "1800"],
                       stderr=subprocess.PIPE, text=True)
port = None
for line in srv.stderr:
    m = re.search(r"listening on http://127\.0\.0\.1:(\d+)", line)
    if m:
        port = int(m.group(1))
        break
threading.Thread(target=lambda: [None for _ in srv.stderr], daemon=True).start()
local = threading.local()


def req(method, path, body=None):
    c = getattr(local, "c", None)
    if c is None:
        c = local.c = http.client.HTTPConnection("127.0.0.1", port, timeout=600)
    c.request(method, path, body=body, headers={"Authorization": f"Bearer {TOKEN}",
                                                 "Content-Type": "application/json"})
    r = c.getresponse()
    data = r.read()
    return r.status, data


def metrics():
    _, b = req("GET", "/metrics")
    out = {}
    for l in b.decode().splitlines():
        if l and not l.startswith("#"):
            k, v = l.split(" ")
            out[k] = float(v)
    return out


# The first start queues every advisory of the DB (nothing stored yet): wait for it to drain.
while json.loads(req("GET", "/readyz")[1])["pending_advisories"] > 0:
    time.sleep(0.1)

# Upload.
t = time.time()
ids = []
with cf.ThreadPoolExecutor(8) as ex:
    for s, b in ex.map(lambda i: req("POST", f"/api/v1/sboms?name=app-{i}", sbom(i)), range(ARTIFACTS)):
        assert s == 201, b
        ids.append(json.loads(b)["id"])
upload_s = time.time() - t
m = metrics()
log(f"uploaded {ARTIFACTS} artifacts ({int(m['sekisho_components'])} components) in {upload_s:.1f} s")

# Receiver.
first = {}


class H(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        self.rfile.read(int(self.headers.get("content-length", 0)))
        first.setdefault("t", time.time())
        self.send_response(204)
        self.end_headers()

    def log_message(self, *a):
        pass


rx = http.server.ThreadingHTTPServer(("127.0.0.1", 0), H)
threading.Thread(target=rx.serve_forever, daemon=True).start()
s, _ = req("POST", "/api/v1/webhooks", json.dumps({"url": f"http://127.0.0.1:{rx.server_address[1]}/"}).encode())
assert s == 201

# CHANGED advisories naming stored packages, modified: the fixed version moves above every
# version (so new findings appear), `modified` moves forward.
names = {n for _, n, _ in pool}
chosen = []
for f in adv_files:
    rec = json.load(open(f))
    if any((a.get("package") or {}).get("name") in names for a in rec.get("affected") or []) and rec.get("affected"):
        chosen.append(rec)
random.shuffle(chosen)
chosen = chosen[:CHANGED]
cdir = os.path.join(work, "changed")
os.makedirs(cdir)
for i, rec in enumerate(chosen):
    rec["modified"] = "2099-01-01T00:00:00Z"
    rec.pop("withdrawn", None)
    for a in rec["affected"]:
        a["ranges"] = [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": "99999"}]}]
        a.pop("versions", None)
    json.dump(rec, open(os.path.join(cdir, f"{i}.json"), "w"))
batches0 = metrics()["sekisho_rematch_batches_total"]
t0 = time.time()
subprocess.run([BIN, "db", "import", "--db", db, cdir], check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
t_import_end = time.time()
log(f"imported {len(chosen)} changed advisories in {t_import_end - t0:.2f} s")
while True:
    _, b = req("GET", "/readyz")
    if json.loads(b)["pending_advisories"] == 0 and metrics()["sekisho_rematch_batches_total"] > batches0:
        break
    time.sleep(0.05)
delta_s = time.time() - t_import_end
while "t" not in first and time.time() - t_import_end < 120:
    time.sleep(0.01)
notify_s = first.get("t", float("nan")) - t_import_end
m = metrics()
log(f"delta re-match done {delta_s:.2f} s after the import; first notification after {notify_s:.2f} s; events {int(m['sekisho_events_total'])}")

# Full re-match.
t = time.time()
s, b = req("POST", "/api/v1/rematch")
full_s = time.time() - t
log(f"full re-match {full_s:.1f} s: {b[:200]}")

# Reports are built ahead by a background thread at the lowest priority (after the uploads and
# after each re-match that changed findings); wait until it is idle, and say how long that took.
t = time.time()
ahead, still = -1, 0
while time.time() - t < 300:
    m = metrics()
    n = m.get("sekisho_findings_reports_built_ahead_total", 0)
    still = still + 1 if n == ahead else 0
    if still >= 10:
        break
    ahead = n
    time.sleep(0.2)
reports_ready_s = time.time() - t - 2.0
log(f"reports built ahead: {int(ahead)} ({int(m.get('sekisho_findings_report_files', 0))} files), idle {reports_ready_s:.1f} s after the full re-match")

# GET findings latency at CLIENTS concurrent clients.
lat = []
lock = threading.Lock()


def client(n):
    mine = []
    for _ in range(n):
        i = random.choice(ids)
        t = time.perf_counter()
        s, _ = req("GET", f"/api/v1/artifacts/{i}/findings")
        mine.append(time.perf_counter() - t)
        assert s == 200
    with lock:
        lat.extend(mine)


t = time.time()
with cf.ThreadPoolExecutor(CLIENTS) as ex:
    list(ex.map(client, [REQUESTS // CLIENTS] * CLIENTS))
wall = time.time() - t
lat.sort()
p = lambda q: lat[min(len(lat) - 1, int(q * len(lat)))] * 1000
# The same at CLIENTS concurrent keep-alive connections from ApacheBench (C), when installed:
# Python's client threads share the 2 cores (and a GIL) with the server, so this separates the
# server's latency from the client's. One artifact's findings (a median-sized one).
ab = None
if subprocess.run(["sh", "-c", "command -v ab"], stdout=subprocess.DEVNULL).returncode == 0:
    sizes = sorted((len(req("GET", f"/api/v1/artifacts/{i}/findings")[1]), i) for i in random.sample(ids, min(50, len(ids))))
    size, aid = sizes[len(sizes) // 2]
    r = subprocess.run(["ab", "-q", "-k", "-c", str(CLIENTS), "-n", str(REQUESTS), "-H", f"Authorization: Bearer {TOKEN}",
                        f"http://127.0.0.1:{port}/api/v1/artifacts/{aid}/findings"], capture_output=True, text=True)
    pct = dict(re.findall(r"^\s*(\d+)%\s+(\d+)", r.stdout, re.M))
    rps = re.search(r"Requests per second:\s+([\d.]+)", r.stdout)
    failed = re.search(r"Failed requests:\s+(\d+)", r.stdout)
    ab = {"clients": CLIENTS, "requests": REQUESTS, "response_bytes": size,
          "rps": float(rps.group(1)) if rps else None, "p50_ms": int(pct.get("50", -1)),
          "p99_ms": int(pct.get("99", -1)), "failed": int(failed.group(1)) if failed else None}
    log(f"ab: {ab}")
# Random artifacts among all of them (reports kept in memory up to the default 512 MiB, the rest
# read from their files under DIR/reports) at CLIENTS keep-alive connections from wrk (C, with a
# Lua script choosing the artifact per request), when installed (`apt-get install wrk`).
wrk = None
if subprocess.run(["sh", "-c", "command -v wrk"], stdout=subprocess.DEVNULL).returncode == 0:
    with tempfile.TemporaryDirectory() as wd:
        idfile = os.path.join(wd, "ids")
        with open(idfile, "w") as f:
            f.write("\n".join(ids) + "\n")
        script = os.path.join(wd, "random.lua")
        with open(script, "w") as f:
            f.write(
                'local ids = {}\n'
                f'for line in io.lines("{idfile}") do ids[#ids + 1] = line end\n'
                'local n = 0\n'
                'function init(args) math.randomseed(os.time() + tonumber(tostring({}):sub(8), 16)) end\n'
                'function request()\n'
                '  local id = ids[math.random(#ids)]\n'
                f'  return wrk.format("GET", "/api/v1/artifacts/" .. id .. "/findings", {{["Authorization"] = "Bearer {TOKEN}"}})\n'
                'end\n')
        secs = int(os.environ.get("WRK_SECONDS", "20"))
        r = subprocess.run(["wrk", "-t2", f"-c{CLIENTS}", f"-d{secs}s", "--latency", "-s", script,
                            f"http://127.0.0.1:{port}"], capture_output=True, text=True)

    def ms(v, unit):
        return float(v) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]

    pct = {q: ms(v, u) for q, v, u in re.findall(r"^\s*(\d+)%\s+([\d.]+)(us|ms|s)\s*$", r.stdout, re.M)}
    rps = re.search(r"Requests/sec:\s+([\d.]+)", r.stdout)
    total = re.search(r"(\d+) requests in", r.stdout)
    bad = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", r.stdout)
    errors = re.search(r"Socket errors:.*", r.stdout)
    wrk = {"clients": CLIENTS, "seconds": secs, "requests": int(total.group(1)) if total else None,
           "rps": float(rps.group(1)) if rps else None, "p50_ms": pct.get("50"),
           "p99_ms": pct.get("99"), "non_2xx": int(bad.group(1)) if bad else 0,
           "socket_errors": errors.group(0) if errors else None}
    log(f"wrk (random artifacts): {wrk}")
m = metrics()
rss = 0
for l in open(f"/proc/{srv.pid}/status"):
    if l.startswith("VmHWM:"):
        rss = int(l.split()[1]) // 1024
srv.terminate()
srv.wait()
out = {
    "artifacts": ARTIFACTS, "components": int(m["sekisho_components"]),
    "upload_s": round(upload_s, 1), "changed_advisories": len(chosen),
    "delta_rematch_s": round(delta_s, 2), "notification_s": round(notify_s, 2),
    "full_rematch_s": round(full_s, 1),
    "findings_get": {"clients": CLIENTS, "requests": len(lat), "rps": round(len(lat) / wall),
                     "p50_ms": round(p(0.5), 1), "p99_ms": round(p(0.99), 1)},
    "findings_get_ab": ab,
    "findings_get_wrk_random": wrk,
    # Findings GETs served from a kept report vs built from the store (both phases above).
    "findings_reports": {"kept": int(m.get("sekisho_findings_reports_kept_total", 0)),
                         "built": int(m.get("sekisho_findings_reports_built_total", 0)),
                         "built_ahead": int(m.get("sekisho_findings_reports_built_ahead_total", 0))},
    "reports_ready_s": round(max(0.0, reports_ready_s), 1),
    "store_bytes": int(m["sekisho_store_bytes"]),
    # The findings reports kept on disk (DIR/reports) count as storage too.
    "report_files_bytes": int(m.get("sekisho_findings_report_files_bytes", 0)),
    "bytes_per_component": round((m["sekisho_store_bytes"] + m.get("sekisho_findings_report_files_bytes", 0))
                                 / max(1, m["sekisho_components"])),
    "peak_rss_mib": rss,
}
print(json.dumps(out, indent=2))
