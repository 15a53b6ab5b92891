#!/usr/bin/env bash
# Runs the black-box API suite (tests/api) once per database engine.
#   run-api.sh PATH-TO-CHIMERAD
# Environment:
#   CHIMERA_TEST_ENGINES  engines to run, default "sqlite postgres"
#   CHIMERA_PYTEST_ARGS   extra pytest arguments, split on whitespace (e.g. "-x -k auth")
# Exported to the suite:
#   CHIMERA_BIN                absolute path of the chimerad under test
#   CHIMERA_TEST_DATABASE_URL  unset for sqlite (the fixture uses a temp SQLite file);
#                              postgres://postgres@127.0.0.1:PORT/chimera_test for postgres
# Every engine runs even if an earlier one failed; the exit status is non-zero if any
# failed, and "no tests collected" (pytest's 5) counts as a failure.
set -euo pipefail

[ $# -eq 1 ] || { echo "usage: run-api.sh PATH-TO-CHIMERAD" >&2; exit 2; }
bin=$(realpath -e -- "$1" 2>/dev/null || true)
if [ -z "$bin" ] || [ ! -x "$bin" ] || [ -d "$bin" ]; then
  echo "run-api.sh: $1 is not an executable" >&2
  exit 2
fi
export CHIMERA_BIN=$bin

# pytest is given the relative path tests/api: run from the repository root.
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

read -r -a engines <<<"${CHIMERA_TEST_ENGINES:-sqlite postgres}"
read -r -a extra <<<"${CHIMERA_PYTEST_ARGS:-}"
# Test paths among the extra arguments replace the default (the whole suite).
target=(tests/api)
for a in ${extra[@]+"${extra[@]}"}; do
  case "$a" in tests/*) target=() ;; esac
done
[ ${#engines[@]} -gt 0 ] || { echo "run-api.sh: CHIMERA_TEST_ENGINES is empty" >&2; exit 2; }

# /usr/bin/python3: Debian's, which has python3-pytest etc. (not a pyenv one on PATH).
# No .pyc files in the tree.
export PYTHONDONTWRITEBYTECODE=1
pytest_run() {
  local rc=0
  /usr/bin/python3 -m pytest -q ${target[@]+"${target[@]}"} -p no:cacheprovider ${extra[@]+"${extra[@]}"} || rc=$?
  [ "$rc" -ne 5 ] || echo "run-api.sh: no tests collected in tests/api" >&2
  return "$rc"
}

# The cluster is stopped on any exit, including Ctrl-C and a failing run.
pgdir=""
cleanup() {
  if [ -n "$pgdir" ]; then
    scripts/pg-cluster.sh stop "$pgdir" || true
    pgdir=""
  fi
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

failed=()
for engine in "${engines[@]}"; do
  echo "== API suite on $engine =="
  rc=0
  case "$engine" in
    sqlite)
      (unset CHIMERA_TEST_DATABASE_URL; pytest_run) || rc=$?
      ;;
    postgres)
      # /tmp, not $TMPDIR: the postgres user must be able to reach it, and the
      # unix socket path inside it must stay short (108 bytes at most).
      pgdir=$(mktemp -d /tmp/chimera-pg.XXXXXX)
      if url=$(scripts/pg-cluster.sh start "$pgdir"); then
        (export CHIMERA_TEST_DATABASE_URL=$url; pytest_run) || rc=$?
      else
        echo "run-api.sh: could not start PostgreSQL" >&2
        rc=1
      fi
      cleanup
      ;;
    *)
      echo "run-api.sh: unknown engine '$engine' (known: sqlite postgres)" >&2
      rc=2
      ;;
  esac
  [ "$rc" -eq 0 ] || failed+=("$engine (exit $rc)")
done

if [ ${#failed[@]} -gt 0 ]; then
  echo "run-api.sh: API suite FAILED on: ${failed[*]}" >&2
  exit 1
fi
