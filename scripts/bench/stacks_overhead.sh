#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# Cost of stack sampling on a CPython target at 99 and 999 Hz, interleaved, side by side with no
# profiler and with the peers doing the same job:
#   none      no profiler
#   bp99      bindprof record --probes stacks -F 99   (DWARF unwinding in user space, Python frames)
#   bp999     bindprof record --probes stacks -F 999
#   perf99    perf record -g -F 99 (frame-pointer call graphs, written to a file, unwound later)
#   perf999   perf record -g -F 999
#   bt99      bpftrace profile:hz:99 { @[ustack, kstack] = count(); } (frame pointers only)
# Each workload runs as ONE long process; configurations take turns on it in windows of SECS
# seconds (none bp99 bp999 perf99 perf999 bt99, none ...), each profiler attaching with -p.
# 1. CPU-bound: tools/pyload.py cpu, 4 threads; throughput = work units per second in the window.
# 2. HTTP: tools/demo_server.py (thread per request) driven by wrk -t 2 -c 8 GET /json.
# Also each profiler's own CPU (its process's utime+stime over the window, ms per second), which
# for bindprof includes the unwinding and symbolization that perf defers to `perf report`.
# Usage: sudo scripts/bench/stacks_overhead.sh [RUNS] [SECS]     (defaults 5 and 4)
set -euo pipefail
cd "$(dirname "$0")/../.."
runs=${1:-5} secs=${2:-4}
[ "$(id -u)" -eq 0 ] || { echo "needs root: sudo $0" >&2; exit 3; }
command -v wrk >/dev/null || { echo "needs wrk (apt-get install wrk)" >&2; exit 3; }
make -s build/bindprof >/dev/null
py=/usr/bin/python3.11
configs="none bp99 bp999"
command -v perf >/dev/null && configs="$configs perf99 perf999" || echo "perf: not installed, skipped"
command -v bpftrace >/dev/null && configs="$configs bt99" || echo "bpftrace: not installed, skipped"
command -v py-spy >/dev/null || echo "py-spy: not installed (not in Debian 12), skipped"
mountpoint -q /sys/kernel/tracing || mount -t tracefs nodev /sys/kernel/tracing 2>/dev/null || true
out=$(mktemp -d)
pids=()
trap 'kill "${pids[@]}" 2>/dev/null || true; rm -rf "$out"' EXIT
tck=$(getconf CLK_TCK)

attach() {
  rec=""
  case $1 in
    none) return 0 ;;
    bp99|bp999)
      build/bindprof record --probes stacks -F "${1#bp}" -p "$2" -o "$out/r.json" 2> "$out/rec.err" > /dev/null &
      rec=$!
      for _ in $(seq 100); do grep -q "recording pid" "$out/rec.err" 2>/dev/null && break; sleep 0.1; done ;;
    perf99|perf999) perf record -q -g -F "${1#perf}" -p "$2" -o "$out/perf.data" > /dev/null 2>&1 & rec=$!; sleep 0.5 ;;
    bt99) bpftrace -e "profile:hz:99 /pid == $2/ { @[ustack, kstack] = count(); }" > /dev/null 2>&1 & rec=$!; sleep 2 ;;
  esac
  sleep 0.3
}
cpu_ticks() { [ -n "$rec" ] && awk '{print $14 + $15}' "/proc/$rec/stat" 2>/dev/null || echo 0; }
# SIGTERM for bindprof (a non-interactive shell starts background jobs with SIGINT ignored);
# perf and bpftrace stop on SIGINT sent directly.
detach() {
  [ -n "$rec" ] || return 0
  case $1 in bp*) kill -TERM "$rec" ;; *) kill -INT "$rec" ;; esac
  wait "$rec" 2>/dev/null || true
}
units_at() { tail -1 "$out/progress" | awk '{print $3}'; }

total=$(( runs * 6 * (secs + 4) + 10 ))
$py tools/pyload.py cpu --threads 4 --seconds $total --delay 0 --progress "$out/progress" > /dev/null &
pids+=($!); cpu=$!
sleep 1
for r in $(seq "$runs"); do
  for c in $configs; do
    attach $c $cpu
    a=$(units_at); t0=$(cpu_ticks); sleep "$secs"; b=$(units_at); t1=$(cpu_ticks)
    detach $c
    echo "cpu $c $(( (b - a) / secs )) $(( (t1 - t0) * 1000 / tck / secs ))" >> "$out/raw"
  done
done
kill $cpu 2>/dev/null || true

port=18766
$py tools/demo_server.py --port $port > /dev/null 2>&1 &
pids+=($!); srv=$!
sleep 1
for r in $(seq "$runs"); do
  for c in $configs; do
    attach $c $srv
    t0=$(cpu_ticks)
    v=$(wrk -t 2 -c 8 -d "${secs}s" "http://127.0.0.1:$port/json" | awk '/^Requests\/sec/{print $2}')
    t1=$(cpu_ticks)
    detach $c
    echo "http $c $v $(( (t1 - t0) * 1000 / tck / secs ))" >> "$out/raw"
  done
done

echo "stack sampling cost: $py, $runs interleaved windows of ${secs}s, $(uname -r), $(nproc) cores"
printf "%-5s %-8s %12s %26s %8s %16s\n" load config "median" "min..max" "vs none" "own CPU ms/s"
for w in cpu http; do
  base=$(awk -v w=$w '$1==w && $2=="none"{print $3}' "$out/raw" | sort -n | awk '{a[NR]=$1} END{print a[int((NR+1)/2)]}')
  for c in $configs; do
    own=$(awk -v w=$w -v c=$c '$1==w && $2==c{print $4}' "$out/raw" | sort -n | awk '{a[NR]=$1} END{print a[int((NR+1)/2)]}')
    awk -v w=$w -v c=$c '$1==w && $2==c{print $3}' "$out/raw" | sort -n | awk -v w=$w -v c=$c -v b="$base" -v own="$own" \
      '{v[++n]=$1} END{m=v[int((n+1)/2)]; printf "%-5s %-8s %12.1f %12.1f..%-12.1f %7.3fx %16s\n", w, c, m, v[1], v[n], m/b, own}'
  done
done
