#!/usr/bin/env bash
# Project-local PostgreSQL for `make run` and `make test`.
#
#   scripts/pg.sh start DIR PORT   initialise (once) and start a cluster in DIR on 127.0.0.1:PORT,
#                                  create database "tiktok", print its URL on stdout
#   scripts/pg.sh stop DIR         stop the cluster in DIR (no-op when not running)
#   scripts/pg.sh status DIR       print where the cluster's files are and whether it runs
#                                  (exit status 0: running, 3: not running, as pg_ctl status)
#   scripts/pg.sh destroy DIR      stop the cluster and delete it, wherever its files are
#   scripts/pg.sh url DIR PORT     print the URL of the cluster in DIR
#   scripts/pg.sh bindir           print the folder of the PostgreSQL binaries (or how to install them)
#   scripts/pg.sh replica DIR PORT PRIMARY_DIR PRIMARY_PORT
#                                  make (once, with pg_basebackup -R) a streaming standby of the
#                                  cluster in PRIMARY_DIR running on PRIMARY_PORT, start it in DIR
#                                  on 127.0.0.1:PORT and print its URL; stop/destroy/url as for
#                                  any cluster. PG_REPLICA_NAME (tiktok_replica) is its
#                                  application_name on the primary (synchronous_standby_names).
#
# The cluster listens only on loopback, has no Unix socket and uses password authentication
# (a random password kept in DIR.password, readable only by you). As root, the server runs as
# the unprivileged "postgres" user (or "nobody"), because PostgreSQL refuses to run as root.
#
# That user must be able to reach DIR. When you are root and it cannot — DIR is inside a
# private (0700) directory such as /root or one made by mktemp -d — the cluster's files are
# kept in $PG_SHARED_ROOT/<hash of DIR's absolute path>/postgres instead (PG_SHARED_ROOT
# defaults to /var/lib/tiktok-dev; both levels are root-owned 0711, the cluster directory
# is the owner's, 0700) and DIR becomes a symlink to it: `start`, `stop`, `status` and
# `url` follow it, `destroy` (make clean) deletes both. The permissions of your own
# directories are never changed. The server log is DIR/server.log in either case.
set -euo pipefail

die() { echo "pg.sh: $*" >&2; exit 1; }

shared_root=${PG_SHARED_ROOT:-/var/lib/tiktok-dev}
marker=.tiktok-dev-cluster # in every directory pg.sh made under shared_root: DIR's path

find_bindir() {
  local d
  # shellcheck disable=SC2012 # the folders are /usr/lib/postgresql/<version>/bin
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

is_root() { [ "$(id -u)" = 0 ]; }

owner() {
  if is_root; then
    if id postgres >/dev/null 2>&1; then echo postgres; else echo nobody; fi
  else
    id -un
  fi
}

# as_owner runs a command as the user that owns the cluster. As root it runs it from /, so
# that the owner never starts in a directory it may not enter (initdb and pg_ctl would warn
# "could not change directory to ...: Permission denied"); every path given is absolute.
as_owner() {
  if is_root; then
    local u; u=$(owner)
    if command -v runuser >/dev/null 2>&1; then
      (cd / && runuser -u "$u" -- "$@")
    else
      (cd / && su -s /bin/sh "$u" -c "$(printf '%q ' "$@")")
    fi
  else
    "$@"
  fi
}

# owner_can_reach D: whether the cluster's owner can enter directory D (search permission on
# D and on every directory above it).
owner_can_reach() { as_owner test -x "$1" 2>/dev/null; }

# shared_dir D: create D (if needed) as a root-owned 0711 directory; refuse one that is a
# symlink or belongs to someone else.
shared_dir() {
  mkdir -p "$1"
  if [ -L "$1" ] || [ ! -d "$1" ] || [ "$(stat -c %u "$1")" != 0 ]; then
    die "$1 must be a directory owned by root (not a symlink)"
  fi
  chmod 711 "$1"
}

# managed D: whether D is a cluster directory pg.sh made under a shared root: a root-owned
# parent that holds the marker. As root, pg.sh follows (and deletes) only such symlinks.
managed() {
  local ext; ext=$(dirname "$1")
  [ -d "$ext" ] && [ ! -L "$ext" ] && [ "$(stat -c %u "$ext")" = 0 ] &&
    [ -f "$ext/$marker" ] && [ "$(stat -c %u "$ext/$marker")" = 0 ]
}

path_hash() {
  if command -v sha256sum >/dev/null 2>&1; then
    printf '%s' "$1" | sha256sum | cut -c1-16
  else
    printf '%s' "$1" | cksum | cut -d' ' -f1
  fi
}

# link_target prints the absolute path the symlink DIR points to.
link_target() {
  local t; t=$(readlink "$dir")
  case $t in /*) echo "$t" ;; *) echo "$parent/$t" ;; esac
}

# resolve sets data, the directory that holds the cluster's files: DIR, or where the symlink
# DIR points. As root, a symlink pg.sh did not make is refused (the cluster directory is
# chowned to its owner on creation); a dangling one is replaced by `start`.
resolve() {
  data=$dir
  if [ -L "$dir" ]; then
    data=$(link_target)
    if is_root && [ -e "$data" ] && ! managed "$data"; then
      die "$dir is a symlink pg.sh did not make (to $data); remove it"
    fi
  fi
}

# relocate keeps the cluster of DIR under the shared root and makes DIR a symlink to it. The
# place is the hash of DIR's path, so that a cluster left behind by a checkout here whose
# .data was deleted is found (and replaced) — unless its marker names another path: a
# checkout that was moved and still links to it.
relocate() {
  local h ext n=1
  h=$(path_hash "$dir"); ext=$shared_root/$h
  while [ -f "$ext/$marker" ] && [ "$(cat "$ext/$marker")" != "$dir" ]; do
    n=$((n + 1)); ext=$shared_root/$h-$n
  done
  if [ -d "$dir" ] && [ ! -L "$dir" ]; then
    rmdir "$dir" 2>/dev/null || die "$dir is not empty and holds no cluster; remove it"
  fi
  rm -f "$dir" # a dangling symlink (its cluster was deleted)
  shared_dir "$shared_root"
  shared_dir "$ext"
  owner_can_reach "$ext" ||
    die "the user $(owner) cannot reach $ext either; set PG_SHARED_ROOT to a directory it can reach"
  (umask 077; printf '%s\n' "$dir" > "$ext/$marker")
  data=$ext/postgres
  if [ -f "$data/PG_VERSION" ] && [ ! -f "$pwfile" ]; then
    # Left behind by an earlier checkout at this path whose .data was deleted by hand: its
    # password is gone with it, so the cluster is of no use.
    echo "pg.sh: deleting the stale cluster in $data (its password file $pwfile is gone)" >&2
    as_owner "$bindir/pg_ctl" -D "$data" -w -m immediate stop >/dev/null 2>&1 || true
    rm -rf "$data"
  fi
  mkdir -p "$data"
  ln -s "$data" "$dir"
  echo "pg.sh: the user $(owner) cannot reach $parent; the cluster's files are in $data ($dir links to it)" >&2
}

running() { [ -f "$data/PG_VERSION" ] && as_owner "$bindir/pg_ctl" -D "$data" status >/dev/null 2>&1; }

cmd=${1:-}; dir=${2:-}
if [ "$cmd" = bindir ]; then find_bindir; exit 0; fi
if [ -z "$cmd" ] || [ -z "$dir" ]; then die "usage: pg.sh start|stop|status|destroy|url DIR [PORT] | replica DIR PORT PRIMARY_DIR PRIMARY_PORT | bindir"; fi
dir=${dir%/}
parent=$(dirname "$dir")
if [ "$cmd" = start ] || [ "$cmd" = replica ]; then mkdir -p "$parent"; fi
if [ ! -d "$parent" ]; then
  case $cmd in
    stop|destroy) exit 0 ;;
    status) echo "no cluster in $dir"; exit 3 ;;
  esac
  die "no cluster in $dir"
fi
# The physical absolute path: the same checkout always has the same one.
parent=$(cd "$parent" && pwd -P)
dir=$parent/$(basename "$dir")
pwfile="$dir.password"

url() {
  [ -f "$pwfile" ] || die "no cluster in $dir (no $pwfile)"
  printf 'postgres://tiktok:%s@127.0.0.1:%s/tiktok?sslmode=disable\n' "$(cat "$pwfile")" "$1"
}

# place_data sets data, the directory of DIR's cluster, relocating it when the owner cannot
# reach DIR (see relocate), and creates it.
place_data() {
  resolve
  if [ -L "$dir" ] && [ ! -d "$data" ]; then
    relocate # its cluster was deleted
  elif [ ! -L "$dir" ] && [ ! -f "$dir/PG_VERSION" ] && is_root && ! owner_can_reach "$parent"; then
    relocate
  fi
  mkdir -p "$data"
  if [ -L "$dir" ] && is_root; then
    (umask 077; printf '%s\n' "$dir" > "$(dirname "$data")/$marker") # it may have moved
  fi
  if is_root && ! owner_can_reach "$(dirname "$data")"; then
    die "the user $(owner) cannot reach the cluster in $data (created when it could?); run make clean, or move it"
  fi
}

# run_server starts the cluster in data on port unless it runs, and waits until it answers.
run_server() {
  if ! running; then
    # setsid: a Ctrl-C aimed at `make run` must not reach the database.
    as_owner setsid "$bindir/pg_ctl" -D "$data" -w -t 60 -l "$data/server.log" \
      -o "-c listen_addresses=127.0.0.1 -p $port -c unix_socket_directories= ${PG_EXTRA_OPTS:-}" \
      start >/dev/null || { tail -20 "$data/server.log" >&2; die "could not start PostgreSQL"; }
  fi
  for _ in $(seq 1 50); do
    "$bindir/pg_isready" -q -h 127.0.0.1 -p "$port" && break
    sleep 0.2
  done
}

case "$cmd" in
start)
  port=${3:?port required}
  bindir=$(find_bindir)
  place_data
  if [ ! -f "$data/PG_VERSION" ]; then
    [ -f "$pwfile" ] || (umask 077; head -c 18 /dev/urandom | base64 | tr -d '/+=' > "$pwfile")
    chown "$(owner)" "$data"
    chmod 700 "$data"
    # initdb reads the password as the owner: a copy it alone may read, next to the cluster.
    tmppw=$(mktemp "$(dirname "$data")/.pwfile.XXXXXX")
    trap 'rm -f "$tmppw"' EXIT
    cp "$pwfile" "$tmppw"; chown "$(owner)" "$tmppw"
    as_owner "$bindir/initdb" -D "$data" -U tiktok --pwfile="$tmppw" \
      --auth=scram-sha-256 --encoding=UTF8 --locale=C.UTF-8 >"$dir.initdb.log" 2>&1 \
      || { cat "$dir.initdb.log" >&2; die "initdb failed"; }
    rm -f "$tmppw"
  fi
  run_server
  export PGPASSWORD; PGPASSWORD=$(cat "$pwfile")
  if ! "$bindir/psql" -h 127.0.0.1 -p "$port" -U tiktok -d postgres -tAc \
      "SELECT 1 FROM pg_database WHERE datname = 'tiktok'" | grep -q 1; then
    "$bindir/createdb" -h 127.0.0.1 -p "$port" -U tiktok tiktok
  fi
  url "$port"
  ;;
replica)
  port=${3:?port required}; pdir=${4:?primary directory required}; pport=${5:?primary port required}
  pdir=${pdir%/}
  ppw="$(cd "$(dirname "$pdir")" 2>/dev/null && pwd -P)/$(basename "$pdir").password"
  [ -f "$ppw" ] || die "no cluster in $pdir (no $ppw)"
  bindir=$(find_bindir)
  [ -x "$bindir/pg_basebackup" ] || die "pg_basebackup is not in $bindir"
  place_data
  if [ ! -f "$data/PG_VERSION" ]; then
    # The standby is a copy of the primary: same roles, same password.
    (umask 077; cp "$ppw" "$pwfile")
    chown "$(owner)" "$data"
    chmod 700 "$data"
    find "$data" -mindepth 1 -maxdepth 1 -exec rm -rf {} + # an earlier, failed copy
    # -R writes primary_conninfo (with the password) and standby.signal into the copy.
    as_owner env PGPASSWORD="$(cat "$ppw")" "$bindir/pg_basebackup" \
      -d "host=127.0.0.1 port=$pport user=tiktok application_name=${PG_REPLICA_NAME:-tiktok_replica}" \
      -D "$data" -R -X stream -c fast >"$dir.basebackup.log" 2>&1 \
      || { cat "$dir.basebackup.log" >&2; die "pg_basebackup failed"; }
  fi
  run_server
  url "$port"
  ;;
stop)
  [ -e "$dir" ] || exit 0
  bindir=$(find_bindir)
  resolve
  if running; then
    as_owner "$bindir/pg_ctl" -D "$data" -w -m fast stop >/dev/null
  fi
  ;;
status)
  [ -e "$dir" ] || { echo "no cluster in $dir"; exit 3; }
  bindir=$(find_bindir)
  resolve
  echo "data directory: $data (log: $data/server.log)"
  if [ ! -f "$data/PG_VERSION" ]; then echo "not initialised"; exit 3; fi
  as_owner "$bindir/pg_ctl" -D "$data" status
  ;;
destroy)
  if [ -L "$dir" ] && is_root && ! managed "$(link_target)"; then
    rm -f "$dir" # a symlink pg.sh did not make: neither follow nor keep it
  elif [ -e "$dir" ] || [ -L "$dir" ]; then
    bindir=$(find_bindir)
    resolve
    if running; then
      as_owner "$bindir/pg_ctl" -D "$data" -w -m fast stop >/dev/null
    fi
    if [ -L "$dir" ]; then
      if managed "$data"; then rm -rf "$(dirname "$data")"; fi
      rm -f "$dir"
    else
      rm -rf "$dir"
    fi
  fi
  rm -f "$pwfile" "$dir.initdb.log" "$dir.basebackup.log"
  ;;
url)
  url "${3:?port required}"
  ;;
*) die "unknown command $cmd" ;;
esac
