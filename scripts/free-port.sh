#!/usr/bin/env bash
# Prints a TCP port on 127.0.0.1 that nothing listens on, below the kernel's ephemeral range
# (ip_local_port_range): a port in that range may be taken by an outgoing connection between
# this check and the bind, which the test suite's many connections made happen.
set -euo pipefail
lo=32768
if [ -r /proc/sys/net/ipv4/ip_local_port_range ]; then
  read -r lo _ </proc/sys/net/ipv4/ip_local_port_range
fi
if [ "$lo" -le 11024 ]; then lo=65536; fi # no room below the range: take any port
for _ in $(seq 1 100); do
  p=$(( (RANDOM * 32768 + RANDOM) % (lo - 10024) + 10024 ))
  if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then echo "$p"; exit 0; fi
done
echo "free-port.sh: no free port found" >&2; exit 1
