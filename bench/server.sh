#!/usr/bin/env bash
# sekisho server at scale (issue 17): 10,000 artifacts x 100 components by default.
# Builds the release binary, then runs bench/server-scale.py (see its docstring for what it
# measures). Smaller runs: ARTIFACTS=1000 bench/server.sh. No peer runs here: Harbor, Clair and
# Dependency-Track are not installed on this machine (see docs/benchmarks/server.md).
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release -p sekisho >&2
exec python3 bench/server-scale.py target/release/sekisho
