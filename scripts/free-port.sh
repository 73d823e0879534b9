#!/usr/bin/env bash
# Prints a TCP port on 127.0.0.1 that nothing listens on.
set -euo pipefail
for _ in $(seq 1 100); do
  p=$(( (RANDOM * 32768 + RANDOM) % 30000 + 20000 ))
  if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then echo "$p"; exit 0; fi
done
echo "free-port.sh: no free port found" >&2; exit 1
