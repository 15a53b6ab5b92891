#!/bin/sh
# run-unit.sh — runs each unit-test binary given as an argument, prints one
# result line per binary, then exactly one summary line:
#   unit: N passed, N failed
# Exits non-zero if any binary failed.
passed=0
failed=0
for bin in "$@"; do
    if [ ! -x "$bin" ]; then
        echo "FAIL $bin (not an executable)"
        failed=$((failed + 1))
        continue
    fi
    log=$(mktemp "${TMPDIR:-/tmp}/unit.XXXXXX") || exit 2
    if "$bin" >"$log" 2>&1; then
        echo "ok   $bin"
        passed=$((passed + 1))
    else
        rc=$?
        echo "FAIL $bin (exit $rc)"
        sed 's/^/    /' "$log"
        failed=$((failed + 1))
    fi
    rm -f "$log"
done
echo "unit: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
