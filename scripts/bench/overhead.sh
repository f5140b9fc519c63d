#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# The overhead benchmark: every probe set against no profiler, the floor and the peers, on the
# demo server; interleaved rounds. See scripts/bench/overhead.py for what is measured.
# Usage: sudo scripts/bench/overhead.sh [ROUNDS] [SECS] [OUT] [CONFIGS]
#   defaults 3 rounds of 4 s windows, OUT results/overhead (writes OUT.json and OUT.md), every
#   configuration (or a comma list: none,bp-default,floor-gil,...)
set -euo pipefail
cd "$(dirname "$0")/../.."
[ "$(id -u)" -eq 0 ] || { echo "needs root: sudo $0" >&2; exit 3; }
make -s build/bindprof build/bench/probe_floor build/tools/libdemo.so >/dev/null
mountpoint -q /sys/kernel/tracing || mount -t tracefs nodev /sys/kernel/tracing 2>/dev/null || true
exec python3 scripts/bench/overhead.py "${1:-3}" "${2:-4}" "${3:-results/overhead}" ${4:+"$4"}
