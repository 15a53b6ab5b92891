#!/usr/bin/env bash
# Makes sure the Debian packages chimerad builds and tests with are installed.
#   deps.sh build   what building and running need (make all, make run)
#   deps.sh [test]  that and what the tests need (make test/unit/api/cluster, .ci/run)
#   deps.sh bench   that and what the benchmarks need
# It must be a fast no-op when everything is there, and install what is missing when
# root (CI, a fresh machine). CHIMERA_SKIP_DEPS=1 skips the check (e.g. a non-Debian
# host with its own setup).
set -euo pipefail

# The one list. BUILD_PKGS: without these nothing compiles, so their absence is fatal.
# TEST_PKGS: needed only by `make test`, `make bench`, `make coverage`.
BUILD_PKGS=(build-essential pkg-config libmicrohttpd-dev libjansson-dev libjwt-dev
            libsodium-dev libssl-dev libsqlite3-dev libpq-dev libcurl4-openssl-dev
            libxml2-dev zlib1g-dev libzip-dev libpoppler-glib-dev libopenblas-dev
            libcmocka-dev)
# (python3-jsonschema: the API suite checks every answer against /api/openapi.json;
#  clang: the libFuzzer targets)
TEST_PKGS=(python3 python3-pytest python3-hypothesis python3-requests python3-numpy
           python3-jsonschema postgresql wrk clang gcovr nginx systemd openssl)
mode=${1:-test}
case "$mode" in
  build) TEST_PKGS=() ;;
  test) ;;
  # the benchmarks also want PyTorch, for the embedder comparison only (large, so not for CI)
  bench) TEST_PKGS+=(python3-torch) ;;
  *) echo "usage: deps.sh [build|test|bench]" >&2; exit 2 ;;
esac

[ "${CHIMERA_SKIP_DEPS:-0}" = 1 ] && exit 0

if ! command -v dpkg-query >/dev/null 2>&1; then
  echo "deps.sh: not a Debian system, cannot check packages; set CHIMERA_SKIP_DEPS=1 to silence" >&2
  exit 0
fi

# One dpkg-query call for all packages. Unknown packages are not printed (hence
# `|| true`); the 2nd status letter "i" means installed ("rc" = removed, config
# left; "hi" = installed and held).
declare -A installed=()
while read -r name status; do
  [ "${status:1:1}" = i ] && installed[$name]=1
done < <(dpkg-query -W -f='${Package} ${db:Status-Abbrev}\n' \
           "${BUILD_PKGS[@]}" ${TEST_PKGS[@]+"${TEST_PKGS[@]}"} 2>/dev/null || true)

missing=() missing_build=()
for p in "${BUILD_PKGS[@]}"; do
  [ -n "${installed[$p]:-}" ] || { missing+=("$p"); missing_build+=("$p"); }
done
for p in ${TEST_PKGS[@]+"${TEST_PKGS[@]}"}; do
  [ -n "${installed[$p]:-}" ] || missing+=("$p")
done

[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -eq 0 ]; then
  # Root (CI, a fresh machine): install. No prompts, no recommends (smaller, faster),
  # and wait for a dpkg lock held by another apt instead of failing at once.
  echo "deps.sh: installing missing packages: ${missing[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq || echo "deps.sh: apt-get update failed; trying the install anyway" >&2
  apt-get install -y -qq --no-install-recommends -o DPkg::Lock::Timeout=300 "${missing[@]}"
  exit 0
fi

# Not root: say what to run; only a missing build dependency stops the build.
echo "deps.sh: missing Debian packages: ${missing[*]}" >&2
echo "deps.sh: install them as root with:" >&2
echo "  apt-get update && apt-get install -y --no-install-recommends ${missing[*]}" >&2
if [ ${#missing_build[@]} -gt 0 ]; then
  echo "deps.sh: cannot build without: ${missing_build[*]}" >&2
  exit 1
fi
echo "deps.sh: building anyway; tests that need the missing packages will fail" >&2
exit 0
