#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# Cost of --ffi per probed call, and on a server whose handler makes native calls, interleaved,
# side by side with no profiler, the floor (empty uprobe+uretprobe programs) and bpftrace doing
# the same job (scripts/bench/ffi.bt: a start map, a count and a latency histogram).
#
# 1. Per call: tools/ffidirect N calls libffitest's ffitest_add N times directly and prints its
#    ns per call. Configurations: none; bindprof record --ffi LIB:ffitest_add; bpftrace ffi.bt;
#    floor: bpftrace with empty actions on the same uprobe and uretprobe.
# 2. Server: tools/demo_server.py answers POST /json/small with two native calls per request
#    (zlib's crc32 and libdemo's demo_checksum, through ctypes), driven by bindprof load
#    (-c 8 -t 2, SECS seconds). Configurations: none; bindprof record --probes gc --ffi
#    libdemo.so --ffi libz.so.1:crc32 (attached with -p, detached after each window).
# Usage: sudo scripts/bench/ffi.sh [RUNS] [N] [SECS]     (defaults 5, 20000 and 4)
set -euo pipefail
cd "$(dirname "$0")/../.."
runs=${1:-5} n=${2:-20000} secs=${3:-4}
[ "$(id -u)" -eq 0 ] || { echo "needs root: sudo $0" >&2; exit 3; }
make -s build/bindprof build/tools/ffidirect build/tools/libffitest.so build/tools/libdemo.so >/dev/null
mountpoint -q /sys/kernel/tracing || mount -t tracefs nodev /sys/kernel/tracing 2>/dev/null || true
lib=$PWD/build/tools/libffitest.so
out=$(mktemp -d)
pids=()
trap 'kill "${pids[@]}" 2>/dev/null || true; rm -rf "$out"' EXIT
have_bt=1; command -v bpftrace >/dev/null || { have_bt=0; echo "bpftrace not installed: its rows are skipped"; }
sed "s|LIB|$lib|g; s|FUNC|ffitest_add|g" scripts/bench/ffi.bt > "$out/ffi.bt"
printf 'uprobe:%s:ffitest_add {}\nuretprobe:%s:ffitest_add {}\n' "$lib" "$lib" > "$out/empty.bt"
loop="build/tools/ffidirect $n $lib"

one() {
  case $1 in
    none) $loop ;;
    bindprof) build/bindprof record --probes gc --ffi "$lib:ffitest_add" -o "$out/b.json" -- $loop 2>/dev/null ;;
    bpftrace) bpftrace -c "$loop" "$out/ffi.bt" 2>/dev/null ;;
    floor) bpftrace -c "$loop" "$out/empty.bt" 2>/dev/null ;;
  esac | awk '/ns\/call/ {print $1}'
}
configs="none floor bindprof"
[ $have_bt = 1 ] && configs="$configs bpftrace"
for r in $(seq "$runs"); do
  for c in $configs; do
    echo "call $c $(one $c)" >> "$out/raw"
  done
done

port=18767
python3 tools/demo_server.py --port $port > /dev/null 2>&1 &
pids+=($!); srv=$!
sleep 1
printf '{"id": 1, "name": "bindprof", "tags": ["a", "b", "c"], "value": 3.14159}' > "$out/body.json"
for r in $(seq "$runs"); do
  for c in none bindprof; do
    rec=""
    if [ $c = bindprof ]; then
      build/bindprof record --probes gc --ffi libdemo.so --ffi 'libz.so.1:crc32' -p $srv -o "$out/s.json" \
        2> "$out/rec.err" > /dev/null &
      rec=$!
      for _ in $(seq 100); do grep -q "recording pid" "$out/rec.err" 2>/dev/null && break; sleep 0.1; done
      sleep 0.5
    fi
    v=$(build/bindprof load --url "http://127.0.0.1:$port/json/small" -m POST --body-file "$out/body.json" \
        -H "Content-Type: application/json" -c 8 -t 2 -d "$secs" -o "$out/l.json" 2>/dev/null >/dev/null;
        python3 -c "import json; print(json.load(open('$out/l.json'))['results']['throughput']['requests_per_sec'])")
    if [ -n "$rec" ]; then kill -TERM $rec; wait $rec 2>/dev/null || true; fi
    echo "server $c $v" >> "$out/raw"
  done
done
calls=$(python3 -c "import json; d=json.load(open('$out/s.json')); print(sum(f['calls'] for f in d['results']['profiling']['ffi']['functions']))" 2>/dev/null || echo "?")

echo "ffi probe cost: $runs interleaved runs, $(uname -r), $(nproc) cores"
med() { awk -v w=$1 -v c=$2 '$1==w && $2==c {print $3}' "$out/raw" | sort -n | awk '{v[++n]=$1} END{printf "%s %s %s", v[int((n+1)/2)], v[1], v[n]}'; }
read base _ _ <<< "$(med call none)"
printf "%-8s %-10s %14s %22s %12s\n" load config "median" "min..max" "added"
for c in $configs; do
  read m lo hi <<< "$(med call $c)"
  printf "%-8s %-10s %11.1f ns %10.1f..%-10.1f %9.1f ns\n" call $c "$m" "$lo" "$hi" "$(echo "$m - $base" | bc -l)"
done
read sbase _ _ <<< "$(med server none)"
for c in none bindprof; do
  read m lo hi <<< "$(med server $c)"
  printf "%-8s %-10s %10.1f r/s %10.1f..%-10.1f %8.3fx\n" server $c "$m" "$lo" "$hi" "$(echo "$m / $sbase" | bc -l)"
done
echo "native calls timed in the last bindprof server window: $calls"
