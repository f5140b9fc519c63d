#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# Cost of the syscall probe per syscall, side by side with bpftrace doing the same job and with
# empty tracepoint programs (the floor), interleaved runs.
#
# Workload: tools/sysloop makes N getppid() calls (the cheapest syscall: the worst case for any
# syscall tracer) and prints its own ns per call. Configurations, interleaved A B C D x RUNS:
#   none      no tracer
#   bindprof  build/bindprof record --probes syscalls -- sysloop
#   bpftrace  scripts/bench/syscalls.bt (same maps: counts, errors, time, histogram, per thread)
#   floor     scripts/bench/probe_floor: the same tp_btf sys_enter/sys_exit hooks, programs that only
#             compare the tgid: the kernel's irreducible cost for these hits
#   bpftrace-empty  scripts/bench/syscalls_empty.bt: bpftrace's tracepoints with empty actions
# Prints median ns/call and the ratio to `none` for each, with min..max spread, and bindprof's
# added cost per syscall as a multiple of the floor's.
# Usage: sudo scripts/bench/syscalls.sh [RUNS] [N]     (defaults 5 and 2000000)
set -euo pipefail
cd "$(dirname "$0")/../.."
runs=${1:-5} n=${2:-2000000}
[ "$(id -u)" -eq 0 ] || { echo "needs root: sudo $0" >&2; exit 3; }
make -s build/bindprof build/tools/sysloop build/bench/probe_floor >/dev/null
mountpoint -q /sys/kernel/tracing || mount -t tracefs nodev /sys/kernel/tracing
have_bt=1; command -v bpftrace >/dev/null || { have_bt=0; echo "bpftrace not installed: its rows are skipped (apt-get install bpftrace)"; }
loop="build/tools/sysloop --getppid $n"
out=$(mktemp -d)

one() { # config -> ns per call
  case $1 in
    none) $loop ;;
    bindprof) build/bindprof record --probes syscalls -o "$out/b.json" -- $loop 2>/dev/null ;;
    bpftrace) bpftrace -c "$loop" scripts/bench/syscalls.bt 2>/dev/null ;;
    bpftrace-empty) bpftrace -c "$loop" scripts/bench/syscalls_empty.bt 2>/dev/null ;;
    floor) build/bench/probe_floor -- $loop ;;
  esac | awk '/^getppid_ns/ {print $2}'
}

configs="none floor bindprof"
[ $have_bt = 1 ] && configs="$configs bpftrace bpftrace-empty"
for r in $(seq "$runs"); do
  for c in $configs; do
    v=$(one "$c")
    echo "$c $v" >> "$out/raw"
  done
done
echo "syscall probe cost, getppid() x $n, $runs interleaved runs, $(uname -r), $(nproc) cores"
printf "%-14s %12s %18s %10s\n" config "ns/call p50" "min..max" "vs none"
base=$(awk '$1=="none"{print $2}' "$out/raw" | sort -n | awk '{a[NR]=$1} END{print a[int((NR+1)/2)]}')
for c in $configs; do
  awk -v c="$c" '$1==c{print $2}' "$out/raw" | sort -n | awk -v c="$c" -v base="$base" '{v[++n]=$1} END{
    m=v[int((n+1)/2)];
    printf "%-14s %12.1f %8.1f..%-8.1f %9.2fx\n", c, m, v[1], v[n], m/base }'
done
med() { awk -v c="$1" '$1==c{print $2}' "$out/raw" | sort -n | awk '{v[++n]=$1} END{print v[int((n+1)/2)]}'; }
awk -v b="$base" -v f="$(med floor)" -v p="$(med bindprof)" 'BEGIN{
  printf "bindprof adds %.0f ns per syscall; the floor adds %.0f ns: %.2fx the floor\n", p-b, f-b, (p-b)/(f-b) }'
rm -rf "$out"
