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
#
# 3. Placement (--places): the per-call inflation by where the entry probe sits, on functions of
#    libz, libm, libcrypto and libffitest called N times each by tools/ffibench (thread CPU time
#    per call): none; bindprof with every probe at the function's entry (BINDPROF_FFI_ENTRY_ONLY=1,
#    the placement before); bindprof with the probe on an emulated instruction where one lies
#    before any branch (the default). The JSON's probe.kind/offset are printed beside.
#    Usage: sudo scripts/bench/ffi.sh --places [RUNS] [N]    (defaults 3 and 10000)
set -euo pipefail
cd "$(dirname "$0")/../.."
if [ "${1:-}" = "--places" ]; then
  runs=${2:-3} n=${3:-10000}
  [ "$(id -u)" -eq 0 ] || { echo "needs root: sudo $0" >&2; exit 3; }
  make -s build/bindprof build/tools/ffibench build/tools/libffitest.so >/dev/null
  Z=/lib/x86_64-linux-gnu/libz.so.1 M=/lib/x86_64-linux-gnu/libm.so.6 C=/lib/x86_64-linux-gnu/libcrypto.so.3
  T=$PWD/build/tools/libffitest.so
  fns="$Z:crc32:z $Z:adler32:z $M:sin:d $M:exp:d $M:floor:d $C:CRYPTO_memcmp:m $C:OPENSSL_cleanse:c $C:SHA256:s"
  fns="$fns $T:ffitest_add:l $T:ffitest_add_fp:l $T:ffitest_busy_50us:v $T:ffitest_busy_50us_stepped:v"
  specs=()
  for f in $fns; do specs+=(--ffi "${f%:*}"); done
  out=$(mktemp -d)
  trap 'rm -rf "$out"' EXIT
  for r in $(seq "$runs"); do
    build/tools/ffibench "$n" $fns | awk -v c=none '/cpu_ns\/call/ {print c, $1, $2}' >> "$out/raw"
    BINDPROF_FFI_ENTRY_ONLY=1 build/bindprof record --probes gc "${specs[@]}" -o "$out/entry.json" -- \
      build/tools/ffibench "$n" $fns 2>/dev/null | awk -v c=entry '/cpu_ns\/call/ {print c, $1, $2}' >> "$out/raw"
    build/bindprof record --probes gc "${specs[@]}" -o "$out/best.json" -- \
      build/tools/ffibench "$n" $fns 2>/dev/null | awk -v c=best '/cpu_ns\/call/ {print c, $1, $2}' >> "$out/raw"
  done
  echo "per-call inflation by probe place: $runs interleaved runs of $n calls, $(uname -r), $(nproc) cores, load $(cut -d' ' -f1 /proc/loadavg)"
  python3 - "$out" <<'PY'
import json, statistics, sys
out = sys.argv[1]
raw = {}
for line in open(out + "/raw"):
    c, fn, v = line.split()
    raw.setdefault((c, fn), []).append(float(v))
def places(f):
    d = json.load(open(f))["results"]["profiling"]["ffi"]
    return {x["symbol"]: x["probe"] for x in d["functions"] if x["calls"]}
pe, pb = places(out + "/entry.json"), places(out + "/best.json")
print(f"{'function':<26}{'none ns':>9}{'entry: +us':>12}  {'kind':<15}{'best: +us':>11}  {'kind (offset)':<26}")
for fn in dict.fromkeys(k[1] for k in raw):
    base = statistics.median(raw[("none", fn)])
    e = statistics.median(raw[("entry", fn)]) - base
    b = statistics.median(raw[("best", fn)]) - base
    ke = pe.get(fn, {}).get("kind", "?")
    kb = pb.get(fn, {})
    print(f"{fn:<26}{base:>9.1f}{e / 1e3:>12.2f}  {ke:<15}{b / 1e3:>11.2f}  {kb.get('kind', '?')} (+{kb.get('offset', '?')})")
PY
  exit 0
fi
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
