#!/usr/bin/env bash
# `make run`: use DATABASE_URL when set, else start (once) the project-local PostgreSQL in
# .data/postgres; then migrate, seed an empty database and serve.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! { command -v ffmpeg && command -v ffprobe; } >/dev/null 2>&1; then
  echo "run.sh: ffmpeg/ffprobe not found: uploads will be served as uploaded (no probing, transcoding or posters)." >&2
  echo "run.sh: install them with scripts/install-deps.sh (as root) or: apt-get install ffmpeg" >&2
fi
DATABASE_URL=$(scripts/dev-db.sh)
export DATABASE_URL
bin/tiktok migrate up
bin/tiktok seed --if-empty
exec bin/tiktok serve
