#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# Run every test suite and end with one summary line: "N passed, N failed, N skipped".
# Usage: tests/run.sh [unit|integration]   (default: both). Run from anywhere; exits 1 on failure.
# Integration suites attach real probes and need root; without it they are counted as skipped.
set -u
cd "$(dirname "$0")/.."
what=${1:-all}
passed=0 failed=0 skipped=0
PY=/usr/bin/python3   # Debian's interpreter: python3-jsonschema is installed for it
export BINDPROF_FIXTURES=$PWD/tests/fixtures

add_counts() { # parse "[  PASSED  ] N test(s)." etc. from a cmocka log
  local log=$1 p f s
  p=$(grep -oE '^\[  PASSED  \] [0-9]+' "$log" | grep -oE '[0-9]+$' | tail -1)
  f=$(grep -oE '^\[  FAILED  \] [0-9]+ test' "$log" | grep -oE '[0-9]+' | tail -1)
  s=$(grep -oE '^\[  SKIPPED \] [0-9]+ test' "$log" | grep -oE '[0-9]+' | tail -1)
  passed=$((passed + ${p:-0})); failed=$((failed + ${f:-0})); skipped=$((skipped + ${s:-0}))
}

if [ "$what" = all ] || [ "$what" = unit ]; then
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

if [ "$what" = all ] || [ "$what" = integration ]; then
  for s in tests/integration/test_*.py; do
    log=$(mktemp)
    if [ "$(id -u)" -ne 0 ]; then
      echo "skip  $s: integration suites attach real probes and need root (run: sudo make test)"
      skipped=$((skipped + 1))
      continue
    fi
    timeout 1800 "$PY" "$s" 2>&1 | tee "$log"
    rc=${PIPESTATUS[0]}
    line=$(grep -E '[0-9]+ passed, [0-9]+ failed, [0-9]+ skipped$' "$log" | tail -1)
    if [ -n "$line" ]; then
      nums=($(echo "$line" | grep -oE '[0-9]+ (passed|failed|skipped)' | grep -oE '^[0-9]+'))
      passed=$((passed + nums[0])); failed=$((failed + nums[1])); skipped=$((skipped + nums[2]))
    fi
    if [ $rc -ne 0 ] && [ -z "$line" ]; then
      echo "integration suite $s crashed (exit $rc)"
      failed=$((failed + 1))
    fi
    rm -f "$log"
  done
fi

echo "${passed} passed, ${failed} failed, ${skipped} skipped"
[ "$failed" -eq 0 ]
