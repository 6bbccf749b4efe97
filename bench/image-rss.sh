#!/bin/bash
# image-rss.sh: peak RSS of sekisho reading a synthetic OCI image of at least 2 GiB (uncompressed;
# SIZE_MB, default 2304): one gzip layer of many files, some big, mixed compressibility, plus a
# second layer of 200k tiny files. Target: peak RSS < 100 MB. Results: docs/benchmarks/image.md.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
D=${SEKISHO_BENCH_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/sekisho-bench}/synthetic-oci
SIZE_MB=${SIZE_MB:-2304}
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$ROOT/target}
(cd "$ROOT" && cargo build --release -q -p sekisho-artifact --examples)
BIN=$CARGO_TARGET_DIR/release/examples
if [ ! -f "$D/index.json" ]; then
  rm -rf "$D"; mkdir -p "$D/blobs/sha256"
  python3 - "$D" "$SIZE_MB" <<'PY'
import gzip, hashlib, io, json, os, random, sys, tarfile, subprocess
d, size_mb = sys.argv[1], int(sys.argv[2])
blobs = os.path.join(d, "blobs/sha256")
def put(b):
    h = hashlib.sha256(b).hexdigest()
    open(os.path.join(blobs, h), "wb").write(b); return "sha256:" + h, len(b)
def layer(gen):
    raw = os.path.join(d, "layer.tar")
    with tarfile.open(raw, "w", format=tarfile.PAX_FORMAT) as t:
        for name, data in gen():
            ti = tarfile.TarInfo(name); ti.size = len(data); t.addfile(ti, io.BytesIO(data))
    diff = hashlib.sha256()
    with open(raw, "rb") as f:
        for c in iter(lambda: f.read(1 << 20), b""): diff.update(c)
    gz = raw + ".gz"
    subprocess.run(f"gzip -1 -c {raw} > {gz}", shell=True, check=True)
    h = hashlib.sha256(); n = 0
    with open(gz, "rb") as f:
        for c in iter(lambda: f.read(1 << 20), b""): h.update(c); n += len(c)
    os.rename(gz, os.path.join(blobs, h.hexdigest())); os.remove(raw)
    return "sha256:" + h.hexdigest(), n, "sha256:" + diff.hexdigest()
rnd = random.Random(1)
block = bytes(rnd.getrandbits(8) for _ in range(1 << 16))
def big():
    left = size_mb << 20; i = 0
    while left > 0:
        n = min(left, (64 << 20) if i % 3 else (8 << 20))
        # half random, half text-like: gzip ~2:1
        data = (block + b"the quick brown fox " * 3277)[: 1 << 17] * (n >> 17)
        yield f"data/blob{i}.bin", data; left -= n; i += 1
    yield "etc/os-release", b"ID=synthetic\nVERSION_ID=1\n"
def tiny():
    for i in range(200_000): yield f"many/{i % 500}/f{i}", b"x"
layers = [layer(big), layer(tiny)]
cfg = json.dumps({"architecture": "amd64", "os": "linux",
    "rootfs": {"type": "layers", "diff_ids": [l[2] for l in layers]},
    "history": [{"created_by": "synthetic big"}, {"created_by": "synthetic tiny"}]}).encode()
cd, cn = put(cfg)
man = json.dumps({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
    "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": cd, "size": cn},
    "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip", "digest": l[0], "size": l[1]} for l in layers]}).encode()
md, mn = put(man)
json.dump({"imageLayoutVersion": "1.0.0"}, open(os.path.join(d, "oci-layout"), "w"))
json.dump({"schemaVersion": 2, "manifests": [{"mediaType": "application/vnd.oci.image.manifest.v1+json",
    "digest": md, "size": mn, "annotations": {"org.opencontainers.image.ref.name": "synthetic"}}]},
    open(os.path.join(d, "index.json"), "w"))
PY
fi
du -sh "$D/blobs"
/usr/bin/time -f "elapsed %e s, peak RSS %M KB" "$BIN/read_image" --oci-dir "$D:synthetic"
# The whole CLI (every cataloger, JSON SBOM, no layer cache):
cargo build -q --release -p sekisho
/usr/bin/time -f "sekisho sbom: elapsed %e s, peak RSS %M KB" "$CARGO_TARGET_DIR/release/sekisho" \
  sbom image --no-cache --oci-dir "$D:synthetic" --format json --quiet > /dev/null
