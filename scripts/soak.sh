#!/usr/bin/env bash
# `make soak`: sustained mixed load against a real server, then checks.
#
# Uses DATABASE_URL (or the one in .env) when set, else starts (once) the project-local
# PostgreSQL in .data/postgres exactly like `make run`; migrates, seeds an empty database,
# starts bin/tiktok serve on a free port with rate limits off (the load registers and logs
# in a pool of users, soak1 … soak50, and saturates every limit), LOG_LEVEL=warn and
# BCRYPT_COST=4 (the pool's logins are part of the mix; at the default cost 12 bcrypt alone
# would saturate the CPU and the soak would measure nothing else), and runs
# `bin/loadgen soak` (built from the benchmark module in bench/): the mixed workload for
# SOAK_DURATION (default 3m) at SOAK_CONCURRENCY (default 32) workers, sampling the server's
# RSS (/proc/<pid>/status) and goroutines (/metrics) every SOAK_SAMPLE (default 2s). It
# fails (exit 1) on any 5xx or transport error, on memory or goroutines growing from the
# first to the last third of the run (after the warm-up), on goroutines not returning to
# their count before the load, or on a counter that differs from the COUNT(*) of its rows. Extra flags for bin/loadgen soak go
# in SOAK_ARGS (bin/loadgen soak -h lists them).
#
# The load writes to the database it runs against: likes, follows, comments and videos of
# the soak users (captions "load video …", media URLs on example.com).
set -euo pipefail
cd "$(dirname "$0")/.."

duration=${SOAK_DURATION:-3m}
concurrency=${SOAK_CONCURRENCY:-32}
every=${SOAK_SAMPLE:-2s}

DATABASE_URL=$(scripts/dev-db.sh)
export DATABASE_URL

go build -o bin/tiktok ./cmd/tiktok
go build -C bench -o ../bin/loadgen ./cmd/loadgen
bin/tiktok migrate up >/dev/null
bin/tiktok seed --if-empty

port=$(scripts/free-port.sh)
log=$(mktemp "${TMPDIR:-/tmp}/tiktok-soak.XXXXXX.log")
pid=
cleanup() {
  if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
    kill -TERM "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  fi
  if [ -s "$log" ]; then
    echo "--- server log (warnings and errors) ---"
    tail -n 40 "$log"
  fi
  rm -f "$log"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

PORT=$port RATE_LIMIT_ENABLED=false LOG_LEVEL=warn BCRYPT_COST=4 \
  bin/tiktok serve >"$log" 2>&1 &
pid=$!
echo "soak: server pid $pid on 127.0.0.1:$port (RATE_LIMIT_ENABLED=false LOG_LEVEL=warn BCRYPT_COST=4)"

# shellcheck disable=SC2086 # SOAK_ARGS is a list of flags
bin/loadgen soak -url "http://127.0.0.1:$port" -pid "$pid" -database-url "$DATABASE_URL" \
  -d "$duration" -c "$concurrency" -sample "$every" ${SOAK_ARGS:-}
