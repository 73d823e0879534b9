#!/usr/bin/env bash
# Runs the whole test suite against a real PostgreSQL: TEST_DATABASE_URL when set, else a
# throwaway cluster in a temporary directory that is stopped and removed afterwards (as root
# with TMPDIR inside a private directory, scripts/pg.sh keeps its files under
# /var/lib/tiktok-dev instead; `pg.sh destroy` removes them there).
# Arguments are passed to `go test` (default: -race -count=1 -timeout 30m ./...: the API
# package alone takes about 5 minutes on two cores, 10 when they are busy, which is go
# test's default timeout). Without arguments, the
# benchmark module in bench/ (a module of its own, which ./... does not reach) is tested the
# same way, and every fuzz target then runs for FUZZTIME (3s) each in the same database
# (scripts/fuzz.sh) unless FUZZ=0; FUZZ=only runs the fuzzers alone (arguments then name the
# packages to fuzz).
set -euo pipefail
cd "$(dirname "$0")/.."

fuzz=${FUZZ:-1}
bench=0
if [ "$fuzz" != only ]; then
  if [ $# -eq 0 ]; then set -- -race -count=1 -timeout 30m ./...; bench=1; else fuzz=0; fi
fi

if [ -z "${TEST_DATABASE_URL:-}" ]; then
  tmp=$(mktemp -d "${TMPDIR:-/tmp}/tiktok-test.XXXXXX")
  chmod 755 "$tmp" # as root the server runs as postgres; pg.sh keeps the cluster elsewhere if it cannot reach this
  cleanup() {
    if [ -n "${watchdog:-}" ]; then kill "$watchdog" 2>/dev/null || true; fi
    scripts/pg.sh destroy "$tmp/replica" >/dev/null 2>&1 || true
    scripts/pg.sh destroy "$tmp/postgres" >/dev/null 2>&1 || true
    rm -rf "$tmp"
  }
  trap cleanup EXIT
  trap 'exit 130' INT TERM
  # watch_replica PORT RPORT: with synchronous_commit=remote_apply every commit waits for the
  # replica to replay it, so a replica that stops replaying would hang the whole suite. Every
  # 10 s: when commits wait for it (wait_event SyncRep) and its replay position has not moved
  # for 60 s, print what both servers are doing and switch synchronous replication off, so
  # the suite goes on (a test that then reads stale data from the replica fails, visibly).
  watch_replica() {
    local pw="PGPASSWORD=$(cat "$tmp/postgres.password")" last="" stalled=0 row
    sql() { env "$pw" "$TEST_PG_BINDIR/psql" -X -q -At -h 127.0.0.1 -p "$1" -U tiktok -d postgres -c "$2" 2>/dev/null; }
    while sleep 10; do
      row=$(sql "$1" "SELECT (SELECT count(*) FROM pg_stat_activity WHERE wait_event = 'SyncRep') || ' ' || coalesce((SELECT replay_lsn::text FROM pg_stat_replication WHERE application_name = 'tiktok_test_replica'), 'gone')") || continue
      if [ "${row%% *}" = 0 ] || [ "${row#* }" != "$last" ]; then stalled=0; last=${row#* }; continue; fi
      stalled=$((stalled + 10))
      if [ "$stalled" -ge 60 ]; then
        {
          echo "scripts/test.sh: the test replica has not replayed anything for ${stalled}s while ${row%% *} commits wait for it (replay at $last)."
          echo "primary:"; sql "$1" "SELECT pid, datname, wait_event_type, wait_event, state, left(query, 100) FROM pg_stat_activity WHERE backend_type <> 'client backend' OR state <> 'idle'"
          echo "replica (replay paused: $(sql "$2" "SELECT pg_is_wal_replay_paused()")):"; sql "$2" "SELECT pid, backend_type, datname, wait_event_type, wait_event, state, left(query, 100) FROM pg_stat_activity"
          echo "scripts/test.sh: synchronous replication is now OFF; tests reading from the replica may fail."
        } >&2
        sql "$1" "ALTER SYSTEM RESET synchronous_standby_names" && sql "$1" "SELECT pg_reload_conf()" >/dev/null
        return
      fi
    done
  }
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
    watch_replica "$port" "$rport" &
    watchdog=$!
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
