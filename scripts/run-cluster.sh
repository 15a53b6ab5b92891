#!/usr/bin/env bash
# The cluster test run: a throw-away PostgreSQL, three chimerad nodes started at
# the same moment on its empty database, and nginx in front of them (round robin,
# X-Forwarded-For), all on loopback; then tests/cluster through nginx.
#   run-cluster.sh PATH-TO-CHIMERAD
# Environment: CHIMERA_PYTEST_ARGS as for run-api.sh (e.g. "-x -k search").
# Exported to the suite:
#   CHIMERA_CLUSTER_URL    http://127.0.0.1:PORT (nginx)
#   CHIMERA_CLUSTER_NODES  the nodes' own URLs, comma-separated
#   CHIMERA_CLUSTER_LOGS   their stderr logs (JSON request lines), same order
#   CHIMERA_TEST_DATABASE_URL, CHIMERA_BIN
set -euo pipefail

[ $# -eq 1 ] || { echo "usage: run-cluster.sh PATH-TO-CHIMERAD" >&2; exit 2; }
bin=$(realpath -e -- "$1" 2>/dev/null || true)
[ -n "$bin" ] && [ -x "$bin" ] && [ ! -d "$bin" ] || { echo "run-cluster.sh: $1 is not an executable" >&2; exit 2; }
export CHIMERA_BIN=$bin
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
nginx_bin=$(command -v nginx || echo /usr/sbin/nginx)
[ -x "$nginx_bin" ] || { echo "run-cluster.sh: nginx not found (install the 'nginx' package)" >&2; exit 1; }

work=$(mktemp -d /tmp/chimera-cluster.XXXXXX)
chmod 0755 "$work"           # the postgres user (root runs) and nginx workers go in
pgdir=$work/pg
pids=() nginx_pid=""
stop_all() {
  local rc=0
  [ -n "$nginx_pid" ] && { kill "$nginx_pid" 2>/dev/null || true; wait "$nginx_pid" 2>/dev/null || true; }
  for i in "${!pids[@]}"; do
    kill -TERM "${pids[$i]}" 2>/dev/null || continue
    local s=0
    wait "${pids[$i]}" || s=$?
    if [ "$s" -ne 0 ]; then echo "run-cluster.sh: node $i exited with status $s" >&2; rc=1; fi
  done
  pids=() nginx_pid=""
  scripts/pg-cluster.sh stop "$pgdir" >/dev/null 2>&1 || true
  return $rc
}
cleanup() { stop_all || true; rm -rf "$work"; }
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

free_port() { /usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_http() {   # URL: up to 30 s for a 200
  for _ in $(seq 300); do
    /usr/bin/python3 - "$1" <<'PY' && return 0
import sys, urllib.request
try:
    sys.exit(0 if urllib.request.urlopen(sys.argv[1], timeout=1).status == 200 else 1)
except Exception:
    sys.exit(1)
PY
    sleep 0.1
  done
  return 1
}

mkdir -p "$pgdir"
url=$(scripts/pg-cluster.sh start "$pgdir")
export CHIMERA_TEST_DATABASE_URL=$url

# Three nodes of one deployment: one set of secrets, nginx (127.0.0.1) trusted.
nodes=() logs=() ports=()
for i in 0 1 2; do
  ports+=("$(free_port)")
  mkdir -p "$work/node$i"
done
for i in 0 1 2; do
  logs+=("$work/node$i/stderr.log")
  nodes+=("http://127.0.0.1:${ports[$i]}")
  env DATABASE_URL="$url" CHIMERA_DATA_DIR="$work/node$i" CHIMERA_PORT="${ports[$i]}" \
      CHIMERA_LISTEN=127.0.0.1 DEBUG=false \
      SECRET_KEY=cluster-test-secret-key-0123456789abcdef \
      JWT_SECRET_KEY=cluster-test-jwt-key-0123456789abcdef \
      ENCRYPTION_KEY=MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY= \
      CHIMERA_ECHO_MODEL=1 CHIMERA_TRUSTED_PROXIES=127.0.0.1 \
      CHIMERA_ARGON2_OPSLIMIT=1 CHIMERA_ARGON2_MEMLIMIT=8388608 \
      CHIMERA_LOGIN_FAIL_LIMIT=5 CHIMERA_REGISTER_LIMIT=1000 CHIMERA_USER_RATE_LIMIT=100000 \
      "$bin" serve 2>"${logs[$i]}" >/dev/null </dev/null &
  pids+=($!)
done
for i in 0 1 2; do
  wait_http "${nodes[$i]}/api/health" || { echo "run-cluster.sh: node $i did not start:" >&2; tail -5 "${logs[$i]}" >&2; exit 1; }
done

# nginx in front: round robin, keep-alive to the nodes, X-Forwarded-For appended.
nport=$(free_port)
mkdir -p "$work/nginx/tmp"
chmod 0777 "$work/nginx/tmp"
{
  echo "worker_processes 1; daemon off; pid $work/nginx/nginx.pid;"
  echo "error_log $work/nginx/error.log warn;"
  echo "events { worker_connections 1024; }"
  echo "http {"
  echo "  access_log off; client_max_body_size 16m;"
  for t in client_body proxy fastcgi uwsgi scgi; do echo "  ${t}_temp_path $work/nginx/tmp/$t;"; done
  echo "  upstream chimera {"
  for p in "${ports[@]}"; do echo "    server 127.0.0.1:$p;"; done
  echo "    keepalive 16;"
  echo "  }"
  echo "  server {"
  echo "    listen 127.0.0.1:$nport;"
  echo "    location / {"
  echo "      proxy_pass http://chimera; proxy_http_version 1.1; proxy_buffering off;"
  echo "      proxy_set_header Connection \"\"; proxy_set_header Host \$host;"
  echo "      proxy_set_header X-Forwarded-For \$proxy_add_x_forwarded_for;"
  echo "    }"
  echo "  }"
  echo "}"
} > "$work/nginx/nginx.conf"
"$nginx_bin" -e "$work/nginx/error.log" -p "$work/nginx" -c "$work/nginx/nginx.conf" &
nginx_pid=$!
wait_http "http://127.0.0.1:$nport/api/health" || { echo "run-cluster.sh: nginx did not start:" >&2; cat "$work/nginx/error.log" >&2; exit 1; }

export CHIMERA_CLUSTER_URL="http://127.0.0.1:$nport"
export CHIMERA_CLUSTER_NODES=$(IFS=,; echo "${nodes[*]}")
export CHIMERA_CLUSTER_LOGS=$(IFS=,; echo "${logs[*]}")
export PYTHONDONTWRITEBYTECODE=1
read -r -a extra <<<"${CHIMERA_PYTEST_ARGS:-}"
echo "== cluster suite: 3 nodes behind nginx on PostgreSQL =="
rc=0
/usr/bin/python3 -m pytest -q tests/cluster -p no:cacheprovider ${extra[@]+"${extra[@]}"} || rc=$?
[ "$rc" -ne 5 ] || echo "run-cluster.sh: no tests collected in tests/cluster" >&2
# Every node must shut down cleanly (status 0 after SIGTERM), and log no sanitizer report.
stop_all || rc=1
if grep -l -E "ERROR: AddressSanitizer|LeakSanitizer|runtime error:" "${logs[@]}" >&2; then
  echo "run-cluster.sh: sanitizer report in a node's log" >&2
  rc=1
fi
exit $rc
