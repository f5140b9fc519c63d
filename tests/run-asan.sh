#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# Run the ASan+UBSan builds of the unit tests (make check-asan): tests/run-asan.sh BIN...
# A sanitizer report (memory error, leak, undefined behaviour) makes that binary exit non-zero;
# prints "asan: N binaries clean, N failed" and exits 1 on any failure.
set -u
cd "$(dirname "$0")/.."
export BINDPROF_FIXTURES=$PWD/tests/fixtures
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
ok=0 bad=0
for t in "$@"; do
  log=$(mktemp)
  if "$t" >"$log" 2>&1; then
    ok=$((ok + 1))
  else
    bad=$((bad + 1))
    echo "asan: $t failed:"
    grep -E 'ERROR: |runtime error|SUMMARY|FAILED' "$log" | head -20
  fi
  rm -f "$log"
done
echo "asan: $ok binaries clean, $bad failed"
[ "$bad" -eq 0 ]
