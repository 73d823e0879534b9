#!/usr/bin/env bash
# `make bench`: builds bin/tiktok and bin/bench (from the benchmark module in bench/) and
# runs the end-to-end benchmark, which starts its own throwaway PostgreSQL (scripts/pg.sh in
# a temporary directory), loads the dataset, measures the server with wrk and writes
# docs/benchmarks.md. Arguments go to bin/bench (bin/bench -h lists them); e.g.
# `make bench BENCH_ARGS="-scale 0.02"` for a quick run.
set -euo pipefail
cd "$(dirname "$0")/.."

command -v wrk >/dev/null || { echo "bench.sh: wrk is not installed (apt-get install wrk, or scripts/install-deps.sh)" >&2; exit 1; }
go build -o bin/tiktok ./cmd/tiktok
go build -C bench -o ../bin/bench ./cmd/bench
go build -C bench -o ../bin/floor ./cmd/floor
cmd="make bench"
if [ $# -gt 0 ]; then cmd="make bench BENCH_ARGS=\"$*\""; fi
BENCH_COMMAND=$cmd exec bin/bench "$@"
