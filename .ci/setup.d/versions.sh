#!/usr/bin/env bash
# versions: oracles for the differential tests of sekisho-version.
# A venv with `packaging` (PEP 440) and `packaging-legacy` (the old LegacyVersion ordering)
# under target/test-inputs/versions/venv. Idempotent.
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
dir="$root/target/test-inputs/versions"
venv="$dir/venv"
mkdir -p "$dir"
py=/usr/bin/python3
[ -x "$py" ] || py="$(command -v python3)"
if ! "$venv/bin/python" -c 'import packaging, packaging_legacy' 2>/dev/null; then
    rm -rf "$venv"
    "$py" -m venv "$venv"
    "$venv/bin/pip" install --quiet --disable-pip-version-check packaging packaging-legacy
fi
"$venv/bin/python" -c 'import packaging; print("versions: packaging", packaging.__version__)'
# node-semver (the npm registry's `semver`, what npm itself orders with) for the npm
# differential test, under target/test-inputs/versions/node.
node_dir="$dir/node"
if ! node -e "require('$node_dir/node_modules/semver')" 2>/dev/null; then
    rm -rf "$node_dir"
    mkdir -p "$node_dir"
    npm install --silent --no-audit --no-fund --prefix "$node_dir" semver@7 >&2
fi
node -e "console.log('versions: node-semver', require('$node_dir/node_modules/semver/package.json').version)"
