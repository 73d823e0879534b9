#!/usr/bin/env bash
# `make run`: use DATABASE_URL when set, else start (once) the project-local PostgreSQL in
# .data/postgres; then migrate, seed an empty database and serve.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ -z "${DATABASE_URL:-}" ] && [ -f .env ]; then
  DATABASE_URL=$(grep -E '^DATABASE_URL=' .env | tail -1 | cut -d= -f2- | tr -d '"'"'" || true)
fi
if [ -z "${DATABASE_URL:-}" ]; then
  port=${DEV_PG_PORT:-54329}
  echo "Starting the project-local PostgreSQL in .data/postgres on 127.0.0.1:$port (make db-stop stops it)" >&2
  DATABASE_URL=$(scripts/pg.sh start .data/postgres "$port")
fi
export DATABASE_URL
bin/tiktok migrate up
bin/tiktok seed --if-empty
exec bin/tiktok serve
