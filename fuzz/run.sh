#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# Run fuzz targets for a bounded time each: fuzz/run.sh [TARGET...] (default: all five).
# FUZZ_SECS (default 60) seconds per target; FUZZ_JOBS (default 1) targets at a time.
# Seeds: fuzz/corpus/<target>/ (read only); new inputs: build-fuzz/corpus/<target>/;
# crashes: build-fuzz/crashes/<target>/; logs: build-fuzz/logs/<target>.log.
# Prints one line per target ("TARGET: N execs in S s, corpus C, OK|CRASH ...") and exits 1 if
# any target found a crash, a leak, a timeout or a sanitizer report.
set -u
cd "$(dirname "$0")/.."
secs=${FUZZ_SECS:-60}
jobs=${FUZZ_JOBS:-1}
targets=("$@")
[ ${#targets[@]} -eq 0 ] && targets=(suites manifest httpresp endpoint profile)
out=build-fuzz
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0:allocator_may_return_null=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}

dict_for() {
  case $1 in
    suites|manifest|profile) echo fuzz/json.dict ;;
    httpresp|endpoint) echo fuzz/http.dict ;;
  esac
}

run_one() {
  local t=$1 bin=$out/fuzz_$1 log=$out/logs/$1.log dict
  mkdir -p "$out/corpus/$t" "$out/crashes/$t" "$out/logs"
  dict=$(dict_for "$t")
  "$bin" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 -max_len=65536 -print_final_stats=1 \
    -artifact_prefix="$out/crashes/$t/" ${dict:+-dict=$dict} "$out/corpus/$t" "fuzz/corpus/$t" >"$log" 2>&1
  echo $? >"$out/logs/$t.rc"
}

[ ${#targets[@]} -gt 0 ] || exit 0
running=0
for t in "${targets[@]}"; do
  if [ ! -x "$out/fuzz_$t" ]; then echo "fuzz: $out/fuzz_$t is not built (make fuzz-build)"; exit 2; fi
  run_one "$t" &
  running=$((running + 1))
  if [ "$running" -ge "$jobs" ]; then wait -n; running=$((running - 1)); fi
done
wait

bad=0
for t in "${targets[@]}"; do
  log=$out/logs/$t.log rc=$(cat "$out/logs/$t.rc" 2>/dev/null || echo 99)
  execs=$(grep -oE 'stat::number_of_executed_units: [0-9]+' "$log" | grep -oE '[0-9]+$' | tail -1)
  took=$(grep -oE 'Done [0-9]+ runs in [0-9]+ second' "$log" | grep -oE 'in [0-9]+' | grep -oE '[0-9]+' | tail -1)
  corp=$(ls "$out/corpus/$t" | wc -l)
  if [ "$rc" -eq 0 ]; then
    echo "$t: ${execs:-0} execs in ${took:-?} s, corpus $corp, OK"
  else
    bad=1
    echo "$t: ${execs:-?} execs, FAILED (exit $rc): $(grep -m1 -E 'ERROR: |runtime error|SUMMARY' "$log")"
    echo "  log: $log; input: $(ls -t "$out/crashes/$t" 2>/dev/null | head -1)"
  fi
done
exit $bad
