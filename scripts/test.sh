#!/usr/bin/env bash
# Runs the whole test suite against a real PostgreSQL: TEST_DATABASE_URL when set, else a
# throwaway cluster in a temporary directory that is stopped and removed afterwards (as root
# with TMPDIR inside a private directory, scripts/pg.sh keeps its files under
# /var/lib/tiktok-dev instead; `pg.sh destroy` removes them there).
# Arguments are passed to `go test` (default: -race -count=1 ./...). Without arguments, the
# benchmark module in bench/ (a module of its own, which ./... does not reach) is tested the
# same way, and every fuzz target then runs for FUZZTIME (3s) each in the same database
# (scripts/fuzz.sh) unless FUZZ=0; FUZZ=only runs the fuzzers alone (arguments then name the
# packages to fuzz).
set -euo pipefail
cd "$(dirname "$0")/.."

fuzz=${FUZZ:-1}
bench=0
if [ "$fuzz" != only ]; then
  if [ $# -eq 0 ]; then set -- -race -count=1 ./...; bench=1; else fuzz=0; fi
fi

if [ -z "${TEST_DATABASE_URL:-}" ]; then
  tmp=$(mktemp -d "${TMPDIR:-/tmp}/tiktok-test.XXXXXX")
  chmod 755 "$tmp" # as root the server runs as postgres; pg.sh keeps the cluster elsewhere if it cannot reach this
  cleanup() {
    scripts/pg.sh destroy "$tmp/replica" >/dev/null 2>&1 || true
    scripts/pg.sh destroy "$tmp/postgres" >/dev/null 2>&1 || true
    rm -rf "$tmp"
  }
  trap cleanup EXIT
  trap 'exit 130' INT TERM
  port=$(scripts/free-port.sh)
  # Durability is pointless for a database that is deleted in a minute. remote_apply: once a
  # streaming replica is the synchronous standby (below), a commit returns when the replica
  # shows it, so that tests whose reads go to the replica see what they just wrote (without
  # a synchronous standby it is a local commit).
  export PG_EXTRA_OPTS="-c fsync=off -c synchronous_commit=remote_apply -c full_page_writes=off -c max_connections=300"
  TEST_DATABASE_URL=$(scripts/pg.sh start "$tmp/postgres" "$port")
  export TEST_DATABASE_URL
  TEST_PG_BINDIR=$(scripts/pg.sh bindir)
  export TEST_PG_BINDIR
  # A streaming replica of the test cluster: every test database (cloned on the primary)
  # exists there too, and the API tests read from it (TEST_REPLICA_URL; REPLICA=0: none).
  if [ "${REPLICA:-1}" != 0 ]; then
    rport=$(scripts/free-port.sh)
    # hot_standby_feedback: the primary's vacuum waits for the replica's reads rather than
    # making the replica's replay (which the primary's commits wait for) wait for them.
    TEST_REPLICA_URL=$(PG_REPLICA_NAME=tiktok_test_replica PG_EXTRA_OPTS="$PG_EXTRA_OPTS -c hot_standby_feedback=on" \
      scripts/pg.sh replica "$tmp/replica" "$rport" "$tmp/postgres" "$port")
    export TEST_REPLICA_URL
    PGPASSWORD=$(cat "$tmp/postgres.password") "$TEST_PG_BINDIR/psql" -q -h 127.0.0.1 -p "$port" -U tiktok -d postgres \
      -c "ALTER SYSTEM SET synchronous_standby_names = 'tiktok_test_replica'" -c "SELECT pg_reload_conf()" >/dev/null
  fi
fi

gotest() {
  go test "$@"
  if [ "$bench" = 1 ]; then go test -C bench "$@"; fi
}

case $fuzz in
  only) scripts/fuzz.sh "$@" ;;
  0) gotest "$@" ;;
  *) gotest "$@"; scripts/fuzz.sh ;;
esac
