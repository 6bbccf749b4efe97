#!/usr/bin/env bash
# catalog-lang test inputs (idempotent): old PyPI wheels installed with pip into a site-packages
# tree, npm tarballs installed with npm into a project tree, a Go binary built offline with
# Debian's golang from the vendored sources in crates/sekisho-catalog/tests/fixtures/go-app, and
# an ELF carrying a cargo-auditable `.dep-v0` section. Everything lands in
# target/test-inputs/catalog-lang/; the tests read it offline.
set -euo pipefail
cd "$(dirname "$0")/../.."
out="$PWD/target/test-inputs/catalog-lang"
mkdir -p "$out"
stamp="$out/.done-v1"
[ -e "$stamp" ] && exit 0

# Pins: crates/sekisho-catalog/tests/lang_image.rs expects exactly these.
wheels=(six==1.11.0 urllib3==1.24.1 Jinja2==2.10 requests==2.19.1)
npms=(lodash@4.17.15 minimist@1.2.0 @types/minimist@1.2.0)

py=python3
command -v "$py" >/dev/null || py=/usr/bin/python3

# --- Python: download old wheels, then install them offline with pip into a --target tree.
rm -rf "$out/wheels" "$out/site-packages"
mkdir -p "$out/wheels"
"$py" -m pip download --quiet --no-deps --only-binary=:all: \
  --dest "$out/wheels" "${wheels[@]}" >&2
"$py" -m pip install --quiet --no-deps --no-index --no-compile --target "$out/site-packages" \
  "$out"/wheels/*.whl >&2

# --- npm: pack tarballs from the registry, then install them offline into a project.
if ! command -v npm >/dev/null; then
  echo "catalog-lang: npm missing; installing Debian's npm" >&2
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends npm >&2
fi
rm -rf "$out/npm" "$out/app"
mkdir -p "$out/npm" "$out/app"
(cd "$out/npm" && npm pack --silent "${npms[@]}" >/dev/null)
(cd "$out/app" && echo '{"name":"sekisho-test-app","version":"0.0.1","private":true}' > package.json \
  && npm install --silent --offline --no-audit --no-fund --ignore-scripts "$out"/npm/*.tgz >&2)

# --- Go: build the vendored test program offline with Debian's toolchain.
rm -rf "$out/go"
mkdir -p "$out/go"
(cd crates/sekisho-catalog/tests/fixtures/go-app && \
  GOFLAGS=-mod=vendor GOPROXY=off GOTOOLCHAIN=local GO111MODULE=on CGO_ENABLED=0 \
  GOCACHE="$out/go/cache" GOPATH="$out/go/path" \
  go build -trimpath -buildvcs=false -o "$out/go/goapp" . )
go version > "$out/go/version.txt"
rm -rf "$out/go/cache" "$out/go/path"

# --- Rust: an ELF with a cargo-auditable style .dep-v0 section (zlib-compressed JSON).
rm -rf "$out/rust"
mkdir -p "$out/rust"
"$py" - "$out/rust/dep-v0.z" <<'PY'
import json, sys, zlib
doc = {"packages": [
    {"name": "auditable-app", "version": "0.3.0", "source": "local", "root": True,
     "dependencies": [1, 2]},
    {"name": "smallvec", "version": "1.6.0", "source": "crates.io"},
    {"name": "cc", "version": "1.0.73", "source": "crates.io", "kind": "build"},
]}
open(sys.argv[1], "wb").write(zlib.compress(json.dumps(doc).encode(), 9))
PY
objcopy --add-section .dep-v0="$out/rust/dep-v0.z" --set-section-flags .dep-v0=noload,readonly \
  "$(type -P true)" "$out/rust/auditable-app"
chmod 755 "$out/rust/auditable-app"

touch "$stamp"
echo "catalog-lang: test inputs ready in $out" >&2
