#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# Cost of the gil and gc probes on a CPython target, interleaved, side by side with no profiler and
# with the floor (an empty tp_btf/sched_switch program).
#
# Each workload runs as ONE long process; configurations take turns on it in windows of SECS
# seconds, interleaved (none floor cheap exact, none floor cheap exact, ...), each probed window
# attaching with -p and detaching after, so that process start-up noise stays out:
#   none    no profiler
#   floor   scripts/bench/probe_floor --switch: sched_switch with a program that only compares tgids
#   cheap   bindprof record --probes gil,gc                      (the default methods)
#   exact   bindprof record --probes gil,gc --gil-method exact   (uprobes on take_gil/drop_gil)
# 1. CPU-bound: tools/pyload.py cpu, 4 threads; throughput = work units per second in the window.
# 2. HTTP: tools/demo_server.py (ThreadingHTTPServer, thread per request) driven by wrk
#    (-t 2 -c 8, GET /json) on 127.0.0.1; throughput = requests/s.
# Prints median, min..max and the ratio to `none`. Interpreter: the newest pyenv 3.11 (full
# symbols, so `exact` works), else Debian's python3.11 (exact then falls back to cheap).
# Usage: sudo scripts/bench/python_overhead.sh [RUNS] [SECS]     (defaults 7 and 4)
set -euo pipefail
cd "$(dirname "$0")/../.."
runs=${1:-7} secs=${2:-4}
[ "$(id -u)" -eq 0 ] || { echo "needs root: sudo $0" >&2; exit 3; }
command -v wrk >/dev/null || { echo "needs wrk (apt-get install wrk)" >&2; exit 3; }
make -s build/bindprof build/bench/probe_floor >/dev/null
py=$(ls -d "$(pyenv root 2>/dev/null)"/versions/3.11.*/bin/python3.11 2>/dev/null | tail -1 || true)
[ -x "${py:-}" ] || py=/usr/bin/python3.11
out=$(mktemp -d)
pids=()
trap 'kill "${pids[@]}" 2>/dev/null || true; rm -rf "$out"' EXIT
configs="none floor cheap exact"

# Attach configuration $1 to pid $2; the profiler's pid goes in $rec (empty for none).
attach() {
  rec=""
  rm -f "$out/rec.err"
  case $1 in
    none) return 0 ;;
    floor) build/bench/probe_floor --switch -p "$2" -d 600 2> "$out/rec.err" > /dev/null & ;;
    cheap) build/bindprof record --probes gil,gc -p "$2" -o "$out/r.json" 2> "$out/rec.err" > /dev/null & ;;
    exact) build/bindprof record --probes gil,gc --gil-method exact -p "$2" -o "$out/r.json" 2> "$out/rec.err" > /dev/null & ;;
  esac
  rec=$!
  for _ in $(seq 100); do grep -q "recording pid" "$out/rec.err" 2>/dev/null && break; sleep 0.1; done
  sleep 0.5 # bindprof's first poll attaches the per-binary probes
}
# SIGTERM: a non-interactive shell starts background jobs with SIGINT ignored.
detach() { if [ -n "$rec" ]; then kill -TERM "$rec"; wait "$rec" 2>/dev/null || true; fi; }
units_at() { tail -1 "$out/progress" | awk '{print $3}'; }

# 1. CPU-bound, one process for all windows
total=$(( runs * 4 * (secs + 4) + 10 ))
$py tools/pyload.py cpu --threads 4 --seconds $total --delay 0 --progress "$out/progress" > /dev/null &
pids+=($!); cpu=$!
sleep 1
for r in $(seq "$runs"); do
  for c in $configs; do
    attach $c $cpu
    a=$(units_at); sleep "$secs"; b=$(units_at)
    detach
    echo "cpu $c $(( (b - a) / secs ))" >> "$out/raw"
  done
done
kill $cpu 2>/dev/null || true

# 2. HTTP server
port=18765
$py tools/demo_server.py --port $port > /dev/null 2>&1 &
pids+=($!); srv=$!
sleep 1
for r in $(seq "$runs"); do
  for c in $configs; do
    attach $c $srv
    v=$(wrk -t 2 -c 8 -d "${secs}s" "http://127.0.0.1:$port/json" | awk '/^Requests\/sec/{print $2}')
    detach
    echo "http $c $v" >> "$out/raw"
  done
done

echo "gil+gc probe cost: $py, $runs interleaved windows of ${secs}s, $(uname -r), $(nproc) cores"
printf "%-5s %-6s %14s %26s %8s\n" load config "median" "min..max" "vs none"
for w in cpu http; do
  base=$(awk -v w=$w '$1==w && $2=="none"{print $3}' "$out/raw" | sort -n | awk '{a[NR]=$1} END{print a[int((NR+1)/2)]}')
  for c in $configs; do
    awk -v w=$w -v c=$c '$1==w && $2==c{print $3}' "$out/raw" | sort -n | awk -v w=$w -v c=$c -v b="$base" \
      '{v[++n]=$1} END{m=v[int((n+1)/2)]; printf "%-5s %-6s %14.1f %12.1f..%-12.1f %7.3fx\n", w, c, m, v[1], v[n], m/b}'
  done
done
