#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# Run the test suites and end with one summary line: "N passed, N failed, N skipped".
# Usage: tests/run.sh [unit] [integration] [hardening]   (default: unit integration)
#   unit         the cmocka binaries build/tests/test_* (built by `make`), one after the other
#   integration  tests/integration/test_*.py, TEST_JOBS at a time (default 3), longest first;
#                TEST_SUITES="diff ffi" runs only those
#   hardening    `make check-asan fuzz-smoke` (the ASan+UBSan unit build and 10 s of each fuzz
#                target), run as one more job beside the integration suites
# `make test` runs all three. Run from anywhere; exits 1 on any failure. Integration suites attach
# real probes and need root; without it they are counted as skipped.
#
# Running suites side by side: each suite starts its own servers on free ports and its own
# temporary directories, and its assertions are held against ground truths from the workload
# itself (never this machine's speed), so a neighbour's load is what a busy CI runner is anyway.
# Each suite's output is printed whole when it ends, with its wall time.
set -u
cd "$(dirname "$0")/.."
parts=" ${*:-unit integration} "
passed=0 failed=0 skipped=0
PY=/usr/bin/python3   # Debian's interpreter: python3-jsonschema is installed for it
JOBS=${TEST_JOBS:-3}
export BINDPROF_FIXTURES=$PWD/tests/fixtures
t_start=$SECONDS

add_counts() { # parse "[  PASSED  ] N test(s)." etc. from a cmocka log
  local log=$1 p f s
  p=$(grep -oE '^\[  PASSED  \] [0-9]+' "$log" | grep -oE '[0-9]+$' | tail -1)
  f=$(grep -oE '^\[  FAILED  \] [0-9]+ test' "$log" | grep -oE '[0-9]+' | tail -1)
  s=$(grep -oE '^\[  SKIPPED \] [0-9]+ test' "$log" | grep -oE '[0-9]+' | tail -1)
  passed=$((passed + ${p:-0})); failed=$((failed + ${f:-0})); skipped=$((skipped + ${s:-0}))
}

if [[ $parts == *" unit "* ]]; then
  for t in build/tests/test_*; do
    case $t in *.d) continue ;; esac
    log=$(mktemp)
    "$t" >"$log" 2>&1
    rc=$?
    cat "$log"
    add_counts "$log"
    if [ $rc -ne 0 ] && ! grep -q '^\[  FAILED  \]' "$log"; then
      echo "unit suite $t crashed (exit $rc)"
      failed=$((failed + 1))
    fi
    rm -f "$log"
  done
fi

# --- the job pool: integration suites and the hardening step --------------------------------------
# Longest first (measured wall times on the 2-core VM, see the README), so that the last suites to
# start are short ones and the lanes end together. A suite not listed here runs after these.
LONGEST="test_python test_processes test_ffi test_stacks test_diff test_requests test_export
test_faults test_profile test_history test_net test_record test_report_html test_load test_latency test_shapes
test_flamegraph test_hardening test_sweep test_cli_help"
suites=()
if [[ $parts == *" integration "* ]]; then
  for n in $LONGEST; do
    [ -f "tests/integration/$n.py" ] && suites+=("tests/integration/$n.py")
  done
  for s in tests/integration/test_*.py; do
    case " $(echo $LONGEST) " in *" $(basename "$s" .py) "*) ;; *) suites+=("$s") ;; esac
  done
fi
if [ -n "${TEST_SUITES:-}" ]; then # e.g. TEST_SUITES="diff ffi": only the suites so named
  keep=()
  for s in "${suites[@]}"; do
    for w in $TEST_SUITES; do [[ $s == *"test_$w.py" ]] && keep+=("$s"); done
  done
  suites=("${keep[@]}")
fi
# The longest tests run as jobs of their own (SUITE@TEST[,TEST...], BINDPROF_TEST=TEST,...), the
# rest of their suite without them (BINDPROF_TEST_EXCLUDE), so that no one suite is the run's floor.
SPLIT="test_ffi@test_kill_while_stopped test_ffi@test_binding_layer test_ffi@test_ctypes
test_ffi@test_c_extension_and_stripped
test_requests@test_executor_items,test_fastapi_uvicorn,test_aiohttp,test_gunicorn_gthread
test_stacks@test_gil_wait_stacks_thread_per_request
test_python@test_gc_collections_and_pauses,test_gc_generations_match_get_stats,test_gc_generations_frozen_with_a_callback
test_python@test_gil_thread_rows_count_their_waits,test_gil_threads_outnumber_cpus"
split_jobs=()
for j in $SPLIT; do
  for s in "${suites[@]}"; do
    [ "$s" = "tests/integration/${j%@*}.py" ] && split_jobs+=("$s@${j#*@}")
  done
done
jobs_list=()
[[ $parts == *" hardening "* ]] && jobs_list+=("hardening")
jobs_list+=("${split_jobs[@]}")
if [ ${#suites[@]} -gt 0 ] && [ "$(id -u)" -ne 0 ]; then
  for s in "${suites[@]}"; do
    echo "skip  $s: integration suites attach real probes and need root (run: sudo make test)"
    skipped=$((skipped + 1))
  done
  suites=()
fi
jobs_list+=("${suites[@]}")

dir=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null; rm -rf "$dir"' EXIT

run_job() { # JOB INDEX: writes $dir/INDEX.log, then INDEX.rc (last: its presence means done)
  local job=$1 i=$2 t0=$SECONDS rc
  if [ "$job" = hardening ]; then
    make --no-print-directory check-asan fuzz-smoke >"$dir/$i.log" 2>&1
    rc=$?
  elif [[ $job == *@* ]]; then
    BINDPROF_TEST=${job#*@} timeout 1800 "$PY" "${job%@*}" >"$dir/$i.log" 2>&1
    rc=$?
  else
    local ex="" j
    for j in "${split_jobs[@]}"; do [ "${j%@*}" = "$job" ] && ex="$ex ${j#*@}"; done
    ex=${ex//,/ }
    BINDPROF_TEST_EXCLUDE=$ex timeout 1800 "$PY" "$job" >"$dir/$i.log" 2>&1
    rc=$?
  fi
  echo $((SECONDS - t0)) >"$dir/$i.secs"
  echo $rc >"$dir/$i.rc"
}

report_job() { # INDEX
  local i=$1 job=${jobs_list[$1]} rc secs line nums
  rc=$(cat "$dir/$i.rc") secs=$(cat "$dir/$i.secs")
  echo "=== $job (${secs} s, exit $rc)"
  cat "$dir/$i.log"
  if [ "$job" = hardening ]; then
    if [ "$rc" -eq 0 ]; then passed=$((passed + 1)); else echo "hardening (make check-asan fuzz-smoke) failed (exit $rc)"; failed=$((failed + 1)); fi
    return
  fi
  line=$(grep -E '[0-9]+ passed, [0-9]+ failed, [0-9]+ skipped$' "$dir/$i.log" | tail -1)
  if [ -n "$line" ]; then
    nums=($(echo "$line" | grep -oE '[0-9]+ (passed|failed|skipped)' | grep -oE '^[0-9]+'))
    passed=$((passed + nums[0])); failed=$((failed + nums[1])); skipped=$((skipped + nums[2]))
  fi
  if [ "$rc" -ne 0 ] && [ -z "$line" ]; then
    echo "integration suite $job crashed (exit $rc)"
    failed=$((failed + 1))
  fi
}

next=0 running=() done_count=0
while [ $done_count -lt ${#jobs_list[@]} ]; do
  while [ ${#running[@]} -lt "$JOBS" ] && [ $next -lt ${#jobs_list[@]} ]; do
    run_job "${jobs_list[$next]}" $next &
    running+=($next)
    next=$((next + 1))
  done
  still=()
  for i in "${running[@]}"; do
    if [ -f "$dir/$i.rc" ]; then
      report_job "$i"
      done_count=$((done_count + 1))
    else
      still+=("$i")
    fi
  done
  running=("${still[@]}")
  [ ${#running[@]} -ge "$JOBS" ] || [ $next -ge ${#jobs_list[@]} ] && sleep 1
done

echo "tests/run.sh:${parts% } took $((SECONDS - t_start)) s"
echo "${passed} passed, ${failed} failed, ${skipped} skipped"
[ "$failed" -eq 0 ]
