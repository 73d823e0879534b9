#!/usr/bin/env bash
# `make run`: use DATABASE_URL when set, else start (once) the project-local PostgreSQL in
# .data/postgres; then migrate, seed an empty database and serve.
set -euo pipefail
cd "$(dirname "$0")/.."

DATABASE_URL=$(scripts/dev-db.sh)
export DATABASE_URL
bin/tiktok migrate up
bin/tiktok seed --if-empty
exec bin/tiktok serve
