#!/usr/bin/env bash
# Project-local PostgreSQL for `make run` and `make test`.
#
#   scripts/pg.sh start DIR PORT   initialise (once) and start a cluster in DIR on 127.0.0.1:PORT,
#                                  create database "tiktok", print its URL on stdout
#   scripts/pg.sh stop DIR         stop the cluster in DIR (no-op when not running)
#   scripts/pg.sh url DIR PORT     print the URL of the cluster in DIR
#   scripts/pg.sh bindir           print the folder of the PostgreSQL binaries (or how to install them)
#
# The cluster listens only on loopback, has no Unix socket and uses password authentication
# (a random password kept in DIR/../postgres.password). As root, the server runs as the
# unprivileged "postgres" user (or "nobody"), because PostgreSQL refuses to run as root.
set -euo pipefail

die() { echo "pg.sh: $*" >&2; exit 1; }

find_bindir() {
  local d
  for d in "$(dirname "$(readlink -f "$(command -v initdb || echo /nonexistent)")")" \
           "$(pg_config --bindir 2>/dev/null || true)" \
           $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V -r); do
    if [ -x "$d/initdb" ] && [ -x "$d/pg_ctl" ] && [ -x "$d/psql" ]; then echo "$d"; return; fi
  done
  cat >&2 <<'MSG'
PostgreSQL is not installed (no initdb/pg_ctl found on PATH, via pg_config, or in /usr/lib/postgresql/*/bin).
Install it, or set DATABASE_URL to an existing database:
  Debian/Ubuntu:  sudo apt-get update && sudo apt-get install -y postgresql
  macOS:          brew install postgresql@15
MSG
  exit 1
}

# as_owner runs a command as the user that owns the cluster.
as_owner() {
  if [ "$(id -u)" = 0 ]; then
    local u=postgres
    id "$u" >/dev/null 2>&1 || u=nobody
    if command -v runuser >/dev/null 2>&1; then
      runuser -u "$u" -- "$@"
    else
      su -s /bin/sh "$u" -c "$(printf '%q ' "$@")"
    fi
  else
    "$@"
  fi
}

owner() {
  if [ "$(id -u)" = 0 ]; then
    if id postgres >/dev/null 2>&1; then echo postgres; else echo nobody; fi
  else
    id -un
  fi
}

cmd=${1:-}; dir=${2:-}
if [ "$cmd" = bindir ]; then find_bindir; exit 0; fi
[ -n "$cmd" ] && [ -n "$dir" ] || die "usage: pg.sh start|stop|url DIR [PORT] | bindir"
mkdir -p "$dir"
dir=$(cd "$dir" && pwd)
pwfile="$dir.password"

url() {
  printf 'postgres://tiktok:%s@127.0.0.1:%s/tiktok?sslmode=disable\n' "$(cat "$pwfile")" "$1"
}

case "$cmd" in
start)
  port=${3:?port required}
  bindir=$(find_bindir)
  if [ ! -f "$dir/PG_VERSION" ]; then
    [ -f "$pwfile" ] || (umask 077; head -c 18 /dev/urandom | base64 | tr -d '/+=' > "$pwfile")
    chown "$(owner)" "$dir"
    chmod 700 "$dir"
    tmppw=$(mktemp); cp "$pwfile" "$tmppw"; chown "$(owner)" "$tmppw"
    as_owner "$bindir/initdb" -D "$dir" -U tiktok --pwfile="$tmppw" \
      --auth=scram-sha-256 --encoding=UTF8 --locale=C.UTF-8 >"$dir.initdb.log" 2>&1 \
      || { rm -f "$tmppw"; cat "$dir.initdb.log" >&2; die "initdb failed"; }
    rm -f "$tmppw"
  fi
  if ! as_owner "$bindir/pg_ctl" -D "$dir" status >/dev/null 2>&1; then
    # setsid: a Ctrl-C aimed at `make run` must not reach the database.
    as_owner setsid "$bindir/pg_ctl" -D "$dir" -w -t 60 -l "$dir/server.log" \
      -o "-c listen_addresses=127.0.0.1 -p $port -c unix_socket_directories= ${PG_EXTRA_OPTS:-}" \
      start >/dev/null || { tail -20 "$dir/server.log" >&2; die "could not start PostgreSQL"; }
  fi
  export PGPASSWORD; PGPASSWORD=$(cat "$pwfile")
  for _ in $(seq 1 50); do
    "$bindir/pg_isready" -q -h 127.0.0.1 -p "$port" && break
    sleep 0.2
  done
  if ! "$bindir/psql" -h 127.0.0.1 -p "$port" -U tiktok -d postgres -tAc \
      "SELECT 1 FROM pg_database WHERE datname = 'tiktok'" | grep -q 1; then
    "$bindir/createdb" -h 127.0.0.1 -p "$port" -U tiktok tiktok
  fi
  url "$port"
  ;;
stop)
  bindir=$(find_bindir)
  if [ -f "$dir/PG_VERSION" ] && as_owner "$bindir/pg_ctl" -D "$dir" status >/dev/null 2>&1; then
    as_owner "$bindir/pg_ctl" -D "$dir" -w -m fast stop >/dev/null
  fi
  ;;
url)
  url "${3:?port required}"
  ;;
bindir)
  find_bindir
  ;;
*) die "unknown command $cmd" ;;
esac
