#!/usr/bin/env bash
# Runs every libFuzzer target built by `make fuzz` for a bounded time each.
#   tests/fuzz/run.sh SECONDS [REPORT.md]
# Each target starts from its committed seed corpus (tests/fuzz/corpus/NAME)
# and grows a working corpus in build/fuzz/corpus/NAME; findings (crashes,
# leaks, sanitizer reports, timeouts, out-of-memory) are left as
# build/fuzz/crash-NAME-* and make the run fail. One line per target:
#   fuzz_NAME: EXECS runs in SECONDS s (RATE/s), corpus N, findings F
# With REPORT.md, the same as a Markdown table (for bench/RESULTS.md).
# FUZZ_TARGETS="jwt router" runs only those targets.
set -uo pipefail
cd "$(dirname "$0")/../.."
secs=${1:?usage: run.sh SECONDS [REPORT.md]}
report=${2:-}
out=build/fuzz
if [ -n "${FUZZ_TARGETS:-}" ]; then
  bins=(); for t in $FUZZ_TARGETS; do bins+=("$out/bin/fuzz_$t"); done
else
  bins=("$out"/bin/fuzz_*)
fi
[ -x "${bins[0]}" ] || { echo "run.sh: no fuzz targets in $out/bin (make fuzz builds them)" >&2; exit 2; }
[ -n "$report" ] && { echo "| target | seconds | executions | exec/s | corpus | findings |";
                      echo "|---|---:|---:|---:|---:|---:|"; } > "$report"
failed=0
for bin in "${bins[@]}"; do
  name=$(basename "$bin"); t=${name#fuzz_}
  seeds=tests/fuzz/corpus/$t
  work=$out/corpus/$t
  mkdir -p "$work"
  log=$out/$name.log
  # -timeout: one input past 10 s is a hang; -rss_limit_mb: poppler and the
  # model reader may use a lot, but not unbounded; leaks are findings too.
  "$bin" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 -max_len=65536 \
    -detect_leaks=1 -print_final_stats=1 -artifact_prefix="$out/crash-$t-" \
    "$work" "$seeds" >"$log" 2>&1
  rc=$?
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  took=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)
  corpus=$(find "$work" -type f | wc -l)
  findings=$(find "$out" -maxdepth 1 -name "crash-$t-*" -newer "$bin" | wc -l)
  [ $rc -ne 0 ] && [ "$findings" -eq 0 ] && findings=1     # died without an artifact
  printf '%s: %s runs in %s s (%s/s), corpus %s, findings %s\n' "$name" "${execs:-0}" "$secs" \
    "${took:-0}" "$corpus" "$findings"
  [ -n "$report" ] && printf '| %s | %s | %s | %s | %s | %s |\n' "$name" "$secs" "${execs:-0}" \
    "${took:-0}" "$corpus" "$findings" >> "$report"
  if [ "$findings" -ne 0 ]; then
    failed=$((failed + 1))
    grep -E "ERROR|SUMMARY|^==|Test unit written" "$log" | head -20 | sed 's/^/    /'
  fi
done
echo "fuzz: ${#bins[@]} targets, $failed with findings"
[ "$failed" -eq 0 ]
