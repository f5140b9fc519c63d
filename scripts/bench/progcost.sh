#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# The BPF programs' own run time per request, bindprof's against empty programs on the same hooks
# (kernel BPF statistics). See scripts/bench/progcost.py. Usage: sudo scripts/bench/progcost.sh [SECS] [SETS] [ROUNDS]
set -euo pipefail
cd "$(dirname "$0")/../.."
[ "$(id -u)" -eq 0 ] || { echo "needs root: sudo $0" >&2; exit 3; }
make -s build/bindprof build/bench/probe_floor build/tools/libdemo.so >/dev/null
exec python3 scripts/bench/progcost.py "${1:-5}" "${2:-}" "${3:-3}"
