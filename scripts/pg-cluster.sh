#!/usr/bin/env bash
# A throw-away PostgreSQL cluster for the API tests.
#   pg-cluster.sh start DIR   initdb + start in DIR; prints ONE line on stdout, the URL
#                             postgres://postgres@127.0.0.1:PORT/chimera_test
#   pg-cluster.sh stop DIR    stop it and remove DIR
# Everything else goes to stderr, so `url=$(scripts/pg-cluster.sh start "$d")` works.
# Durability is switched off (fsync, full_page_writes ...): the data is thrown away.
set -euo pipefail

DB=chimera_test
SUPERUSER=postgres            # initdb -U: the same role name whoever runs the script
MARKER=.chimera-pg-cluster    # a DIR holding this file is ours to wipe

die() { echo "pg-cluster.sh: $*" >&2; exit 1; }

[ $# -eq 2 ] || die "usage: pg-cluster.sh start|stop DIR"
cmd=$1
dir=$(realpath -m -- "$2")
case "$dir" in /|/tmp|/root|/home|/work|"") die "refusing to use '$dir'" ;; esac

# Debian installs each major version under /usr/lib/postgresql/N/bin; take the highest.
bindir=$(printf '%s\n' /usr/lib/postgresql/*/bin | sort -V | tail -n 1)
if [ ! -x "$bindir/initdb" ]; then
  die "no PostgreSQL server found under /usr/lib/postgresql (install the 'postgresql' package)"
fi

# PostgreSQL refuses to run as root: then run the server tools as the package's
# 'postgres' user, from inside DIR (it may not be allowed into the caller's cwd).
as_owner() {
  if [ "$(id -u)" -eq 0 ]; then
    (cd "$dir" && runuser -u postgres -- "$@")
  else
    (cd "$dir" && "$@")
  fi
}

# Stop a server still running from DIR (a stale run), then wipe DIR if it is ours.
wipe() {
  [ -e "$dir" ] || return 0
  if [ ! -f "$dir/$MARKER" ] && [ -n "$(ls -A "$dir")" ]; then
    die "$dir is not empty and was not made by pg-cluster.sh; not touching it"
  fi
  # Only a live postmaster needs stopping: a dead or zombie one would make pg_ctl wait.
  local pid="" state=""
  [ -f "$dir/data/postmaster.pid" ] && pid=$(head -n 1 "$dir/data/postmaster.pid")
  [[ "$pid" =~ ^[0-9]+$ ]] && state=$(ps -o stat= -p "$pid" 2>/dev/null || true)
  if [ -n "$state" ] && [ "${state:0:1}" != Z ]; then
    as_owner "$bindir/pg_ctl" -D "$dir/data" -m fast -s -w -t 30 stop >&2 ||
      as_owner "$bindir/pg_ctl" -D "$dir/data" -m immediate -s -w -t 10 stop >&2 || true
  fi
  rm -rf -- "$dir"
}

# An unused loopback port: ask the kernel; if python is absent, guess (start retries).
free_port() {
  local py
  py=$(command -v /usr/bin/python3 python3 2>/dev/null | head -n 1 || true)
  if [ -n "$py" ]; then
    "$py" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
  else
    echo $((20000 + RANDOM % 40000))
  fi
}

start() {
  wipe
  mkdir -p "$dir/sock"
  touch "$dir/$MARKER"
  if [ "$(id -u)" -eq 0 ]; then
    id -u postgres >/dev/null 2>&1 || die "no 'postgres' system user (install the 'postgresql' package)"
    chown -R postgres:postgres "$dir"
    runuser -u postgres -- test -w "$dir" ||
      die "user postgres cannot reach $dir (a parent directory is not traversable)"
  fi

  # --no-locale: the C locale exists everywhere, whatever LANG says. --no-sync: speed.
  # Its chatter goes to a file, shown only if it fails.
  as_owner "$bindir/initdb" -D "$dir/data" -U "$SUPERUSER" --auth=trust \
    --no-locale -E UTF8 --no-sync >"$dir/initdb.log" 2>&1 ||
    { cat "$dir/initdb.log" >&2; die "initdb failed"; }
  cat >>"$dir/data/postgresql.conf" <<EOF
# pg-cluster.sh: a throw-away test cluster
listen_addresses = '127.0.0.1'
unix_socket_directories = '$dir/sock'
max_connections = 200
fsync = off
synchronous_commit = off
full_page_writes = off
max_parallel_workers_per_gather = 0   # small /dev/shm in containers
EOF

  # The port may be taken between finding and binding it: try a few.
  local port="" try log="$dir/postgresql.log"
  for try in 1 2 3 4 5; do
    port=$(free_port)
    if as_owner "$bindir/pg_ctl" -D "$dir/data" -l "$log" -s -w -t 60 -o "-p $port" start >&2; then
      break
    fi
    grep -q 'could not bind\|already in use' "$log" 2>/dev/null ||
      { tail -n 20 "$log" >&2 2>/dev/null || true; die "server did not start (log: $log)"; }
    echo "pg-cluster.sh: port $port taken, retrying ($try)" >&2
    port=""
  done
  [ -n "$port" ] || die "no free port found"

  for try in $(seq 1 60); do
    "$bindir/pg_isready" -q -h 127.0.0.1 -p "$port" && break
    [ "$try" -lt 60 ] || die "server not accepting connections on port $port"
    sleep 0.5
  done
  "$bindir/createdb" -h 127.0.0.1 -p "$port" -U "$SUPERUSER" "$DB" >&2 || die "createdb failed"
  "$bindir/pg_isready" -q -h 127.0.0.1 -p "$port" -d "$DB" || die "$DB not reachable"
  echo "postgres://$SUPERUSER@127.0.0.1:$port/$DB"
}

case "$cmd" in
  start) start ;;
  stop)  wipe ;;
  *)     die "usage: pg-cluster.sh start|stop DIR" ;;
esac
