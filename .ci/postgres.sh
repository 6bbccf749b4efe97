#!/usr/bin/env bash
# A private PostgreSQL cluster on loopback for the tests (trust auth, no systemd), as in
# ../shared/docs/recipes.md. `start` prints the admin URL the tests read from
# SEKISHO_TEST_POSTGRES; each test creates its own database in it. `stop` stops it.
# Env: SEKISHO_PG_PORT (default 55432), SEKISHO_PG_DIR (default target/postgres).
set -euo pipefail
cd "$(dirname "$0")/.."
port="${SEKISHO_PG_PORT:-55432}"
dir="${SEKISHO_PG_DIR:-$PWD/target/postgres}"
bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
[ -n "$bin" ] || { echo "postgres.sh: no PostgreSQL server (Debian package postgresql)" >&2; exit 1; }
as_pg() {
  if [ "$(id -u)" = 0 ]; then su postgres -s /bin/sh -c "$1"; else sh -c "$1"; fi
}
case "${1:-}" in
  start)
    mkdir -p "$dir"
    # Tests running in parallel may all ask for the cluster at once: one starts it.
    exec 9>"$dir.lock"
    flock 9
    [ "$(id -u)" = 0 ] && chown postgres:postgres "$dir"
    if [ ! -f "$dir/data/PG_VERSION" ]; then
      as_pg "'$bin/initdb' -D '$dir/data' -U postgres --auth=trust -E UTF8 --locale=C.UTF-8" >"$dir/initdb.log" 2>&1 \
        || { cat "$dir/initdb.log" >&2; exit 1; }
    fi
    if ! as_pg "'$bin/pg_ctl' -D '$dir/data' status" >/dev/null 2>&1; then
      # Tests run in parallel, each with its own database and a few connections per server.
      # The server must not inherit the lock (fd 9): it would hold it for its whole life, and
      # the next `start` would wait forever.
      as_pg "'$bin/pg_ctl' -D '$dir/data' -l '$dir/log' -w -t 60 -o \"-c listen_addresses=127.0.0.1 -p $port -k '$dir' -c max_connections=400 -c fsync=on\" start" >&2 9>&- \
        || { tail -20 "$dir/log" >&2; exit 1; }
    fi
    echo "postgres://postgres@127.0.0.1:$port/postgres"
    ;;
  stop)
    as_pg "'$bin/pg_ctl' -D '$dir/data' -w stop" >&2 || true
    ;;
  *)
    echo "usage: .ci/postgres.sh start|stop" >&2
    exit 2
    ;;
esac
