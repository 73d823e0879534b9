#!/usr/bin/env bash
# Installs what the project needs and a fresh machine may lack: PostgreSQL server binaries,
# wrk (the load generator of make bench, whose script tests make test runs) and Chromium
# (the headless browser of the web client's tests in internal/webapp, which skip without
# it), ffmpeg/ffprobe (the media pipeline: probing, transcodes, posters) and redis-server
# (the tests of the shared state behind REDIS_URL start throwaway ones, and skip without it;
# make run needs none) (Debian/Ubuntu via apt-get; elsewhere it prints what to install).
set -euo pipefail
cd "$(dirname "$0")/.."

need=()
scripts/pg.sh bindir >/dev/null 2>&1 || need+=(postgresql)
command -v make >/dev/null 2>&1 || need+=(make)
command -v wrk >/dev/null 2>&1 || need+=(wrk)
command -v chromium >/dev/null 2>&1 || [ -n "${CHROMIUM_PATH:-}" ] || need+=(chromium)
{ command -v ffmpeg && command -v ffprobe; } >/dev/null 2>&1 || need+=(ffmpeg)
command -v redis-server >/dev/null 2>&1 || need+=(redis-server)
if [ ${#need[@]} -eq 0 ]; then exit 0; fi
if command -v apt-get >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
else
  echo "install-deps.sh: please install: ${need[*]}" >&2
  exit 1
fi
