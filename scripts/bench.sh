#!/usr/bin/env bash
# `make bench`: builds bin/tiktok and bin/bench and runs the end-to-end benchmark, which
# starts its own throwaway PostgreSQL (scripts/pg.sh in a temporary directory), loads the
# dataset, measures the server and writes docs/benchmarks.md. Arguments go to bin/bench
# (bin/bench -h lists them); e.g. `make bench BENCH_ARGS="-scale 0.02"` for a quick run.
set -euo pipefail
cd "$(dirname "$0")/.."

go build -o bin/tiktok ./cmd/tiktok
go build -o bin/bench ./cmd/bench
cmd="make bench"
if [ $# -gt 0 ]; then cmd="make bench BENCH_ARGS=\"$*\""; fi
BENCH_COMMAND=$cmd exec bin/bench "$@"
