#!/usr/bin/env bash
# audit (sekisho isolation) test prerequisites, idempotent. The sandbox tools come from
# .ci/apt-packages.txt (bubblewrap, runc, util-linux, uidmap); this checks that the machine can
# actually build sandboxes with them, so a broken setup fails here with a clear message instead
# of deep inside a test. No inputs are downloaded.
set -euo pipefail
for t in unshare bwrap runc setpriv; do
  command -v "$t" >/dev/null || { echo "audit setup: $t missing (see .ci/apt-packages.txt)" >&2; exit 1; }
done
if [ "$(id -u)" = 0 ]; then
  unshare --pid --fork --mount-proc --net true || { echo "audit setup: unshare cannot create namespaces" >&2; exit 1; }
  bwrap --unshare-all --die-with-parent --cap-drop ALL --ro-bind / / --proc /proc --dev /dev true \
    || { echo "audit setup: bwrap cannot build a sandbox" >&2; exit 1; }
fi
