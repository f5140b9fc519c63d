#!/usr/bin/env bash
# Cost of the gil and gc probes on a CPython target, interleaved runs, side by side with no profiler.
#
# Two workloads, each run under three configurations, interleaved (A B C A B C ...):
#   none    no profiler
#   cheap   bindprof record --probes gil,gc                      (the default methods)
#   exact   bindprof record --probes gil,gc --gil-method exact   (uprobes on take_gil/drop_gil)
# 1. CPU-bound: tools/pyload.py cpu, 4 threads for SECS s; throughput = work units done.
# 2. HTTP: tools/demo_server.py (ThreadingHTTPServer, thread per request) driven by wrk
#    (-t 2 -c 8, SECS s, GET /json) on 127.0.0.1; throughput = requests/s. The server runs once;
#    each probed run attaches with -p for the wrk run and detaches after.
# Prints the median, min..max and the ratio to `none` for each. Interpreter: the newest pyenv
# 3.11 (full symbols, so `exact` works), else Debian's python3.11 (exact falls back to cheap).
# Usage: sudo scripts/bench/python_overhead.sh [RUNS] [SECS]     (defaults 5 and 4)
set -euo pipefail
cd "$(dirname "$0")/../.."
runs=${1:-5} secs=${2:-4}
[ "$(id -u)" -eq 0 ] || { echo "needs root: sudo $0" >&2; exit 3; }
command -v wrk >/dev/null || { echo "needs wrk (apt-get install wrk)" >&2; exit 3; }
make -s build/bindprof >/dev/null
py=$(ls -d "$(pyenv root 2>/dev/null)"/versions/3.11.*/bin/python3.11 2>/dev/null | tail -1 || true)
[ -x "${py:-}" ] || py=/usr/bin/python3.11
out=$(mktemp -d)
trap 'kill $srv 2>/dev/null || true; rm -rf "$out"' EXIT
flags() { case $1 in cheap) echo "--probes gil,gc" ;; exact) echo "--probes gil,gc --gil-method exact" ;; esac; }

# 1. CPU-bound
for r in $(seq "$runs"); do
  for c in none cheap exact; do
    cmd="$py tools/pyload.py cpu --threads 4 --seconds $secs --delay 0.3"
    if [ $c = none ]; then v=$($cmd | awk '/^work_units/{print $2}')
    else v=$(build/bindprof record $(flags $c) -o "$out/c.json" -- $cmd 2>/dev/null | awk '/^work_units/{print $2}'); fi
    echo "cpu $c $v" >> "$out/raw"
  done
done

# 2. HTTP server
port=18765
$py tools/demo_server.py --port $port > "$out/srv.log" 2>&1 &
srv=$!
sleep 1
for r in $(seq "$runs"); do
  for c in none cheap exact; do
    rec=""
    if [ $c != none ]; then
      build/bindprof record $(flags $c) -p $srv -d $((secs + 3)) -o "$out/h.json" 2> "$out/rec.err" > /dev/null &
      rec=$!
      for _ in $(seq 50); do grep -q "recording pid" "$out/rec.err" 2>/dev/null && break; sleep 0.1; done
      sleep 0.3 # the first poll attaches the per-binary probes
    fi
    v=$(wrk -t 2 -c 8 -d "${secs}s" "http://127.0.0.1:$port/json" | awk '/^Requests\/sec/{print $2}')
    [ -n "$rec" ] && { kill -INT $rec; wait $rec || true; }
    echo "http $c $v" >> "$out/raw"
  done
done

echo "gil+gc probe cost: $py, $runs interleaved runs of ${secs}s, $(uname -r), $(nproc) cores"
printf "%-5s %-6s %14s %24s %8s\n" load config "median" "min..max" "vs none"
for w in cpu http; do
  base=$(awk -v w=$w '$1==w && $2=="none"{print $3}' "$out/raw" | sort -n | awk '{a[NR]=$1} END{print a[int((NR+1)/2)]}')
  for c in none cheap exact; do
    awk -v w=$w -v c=$c '$1==w && $2==c{print $3}' "$out/raw" | sort -n | awk -v w=$w -v c=$c -v b="$base" \
      '{v[++n]=$1} END{m=v[int((n+1)/2)]; printf "%-5s %-6s %14.1f %11.1f..%-11.1f %7.3fx\n", w, c, m, v[1], v[n], m/b}'
  done
done
