#!/usr/bin/env bash
# Prints the database URL the development commands (make run, make soak) use: DATABASE_URL
# when set (in the environment or .env), else that of the project-local PostgreSQL in
# .data/postgres, which it starts (once) on 127.0.0.1:DEV_PG_PORT (54329). (As root in a
# private directory, .data/postgres is a symlink to the cluster kept in /var/lib/tiktok-dev:
# see scripts/pg.sh.)
set -euo pipefail
cd "$(dirname "$0")/.."

url=${DATABASE_URL:-}
if [ -z "$url" ] && [ -f .env ]; then
  url=$(grep -E '^DATABASE_URL=' .env | tail -1 | cut -d= -f2- | tr -d '"'"'" || true)
fi
if [ -z "$url" ]; then
  port=${DEV_PG_PORT:-54329}
  echo "Starting the project-local PostgreSQL in .data/postgres on 127.0.0.1:$port (make db-stop stops it)" >&2
  url=$(scripts/pg.sh start .data/postgres "$port")
fi
echo "$url"
