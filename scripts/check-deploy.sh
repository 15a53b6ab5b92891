#!/usr/bin/env bash
# Checks the deployment files of docs/deploy with the tools that will read them:
# the systemd unit with `systemd-analyze verify` (its ExecStart pointed at the
# chimerad under test) and the nginx site with `nginx -t` (inside a minimal
# nginx.conf, with a throw-away self-signed certificate).
#   check-deploy.sh PATH-TO-CHIMERAD
set -euo pipefail
[ $# -eq 1 ] || { echo "usage: check-deploy.sh PATH-TO-CHIMERAD" >&2; exit 2; }
bin=$(realpath -e -- "$1")
root=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d /tmp/chimera-deploy.XXXXXX)
trap 'rm -rf "$work"' EXIT
failed=0

if command -v systemd-analyze >/dev/null; then
  sed "s|/usr/local/bin/chimerad|$bin|" "$root/docs/deploy/chimerad.service" > "$work/chimerad.service"
  if out=$(systemd-analyze verify "$work/chimerad.service" 2>&1) && [ -z "$out" ]; then
    echo "ok   docs/deploy/chimerad.service (systemd-analyze verify)"
  else
    echo "FAIL docs/deploy/chimerad.service: ${out:-systemd-analyze failed}" >&2
    failed=1
  fi
else
  echo "FAIL systemd-analyze not found (package systemd)" >&2
  failed=1
fi

nginx_bin=$(command -v nginx || echo /usr/sbin/nginx)
if [ -x "$nginx_bin" ]; then
  openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=chimera.example.com \
    -keyout "$work/privkey.pem" -out "$work/fullchain.pem" 2>/dev/null
  sed "s|/etc/letsencrypt/live/chimera.example.com|$work|" "$root/docs/deploy/nginx-chimera.conf" \
    > "$work/site.conf"
  mkdir -p "$work/tmp"
  cat > "$work/nginx.conf" <<CONF
pid $work/nginx.pid;
error_log $work/error.log;
events {}
http {
  client_body_temp_path $work/tmp; proxy_temp_path $work/tmp; fastcgi_temp_path $work/tmp;
  uwsgi_temp_path $work/tmp; scgi_temp_path $work/tmp;
  include $work/site.conf;
}
CONF
  if out=$("$nginx_bin" -t -q -e "$work/error.log" -p "$work" -c "$work/nginx.conf" 2>&1); then
    echo "ok   docs/deploy/nginx-chimera.conf (nginx -t)"
  else
    echo "FAIL docs/deploy/nginx-chimera.conf: $out" >&2
    failed=1
  fi
else
  echo "FAIL nginx not found (package nginx)" >&2
  failed=1
fi
exit $failed
