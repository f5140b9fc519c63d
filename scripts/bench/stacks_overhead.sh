#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# Cost of stack sampling on a CPython target at 99 and 999 Hz, interleaved, side by side with no
# profiler and with the peers doing the same job:
#   none      no profiler
#   bp99      bindprof record --probes stacks -F 99   (DWARF unwinding in user space, Python frames)
#   bpk99     bindprof record --probes stacks -F 99 --unwind kernel (in BPF from .eh_frame tables)
#   bp999     bindprof record --probes stacks -F 999
#   bpk999    bindprof record --probes stacks -F 999 --unwind kernel
#   perf99    perf record -g -F 99 (frame-pointer call graphs, written to a file, unwound later)
#   perf999   perf record -g -F 999
#   bt99      bpftrace profile:hz:99 { @[ustack, kstack] = count(); } (frame pointers only)
#   bt999     bpftrace profile:hz:999, the same
# Each workload runs as ONE long process; configurations take turns on it in windows of SECS
# seconds (none bp99 bp999 perf99 perf999 bt99, none ...), each profiler attaching with -p.
# 1. CPU-bound: tools/pyload.py cpu, 4 threads; throughput = work units per second in the window.
# 2. HTTP: tools/demo_server.py (thread per request) driven by wrk -t 2 -c 8 GET /json.
# Also each profiler's own CPU (its process's utime+stime over the window, ms per second), which
# for bindprof includes the unwinding and symbolization that perf defers to `perf report`.
# And the BPF programs' run time per sample (kernel BPF statistics): bindprof's from its profile
# (stacks.bpf_cpu_ms / samples), bpftrace's from its programs' run_time_ns / run_cnt over the
# window (bpftool). perf runs no BPF: its in-kernel cost is in the throughput column only.
# Usage: sudo scripts/bench/stacks_overhead.sh [RUNS] [SECS]     (defaults 5 and 4)
set -euo pipefail
cd "$(dirname "$0")/../.."
runs=${1:-5} secs=${2:-4}
[ "$(id -u)" -eq 0 ] || { echo "needs root: sudo $0" >&2; exit 3; }
command -v wrk >/dev/null || { echo "needs wrk (apt-get install wrk)" >&2; exit 3; }
make -s build/bindprof >/dev/null
py=/usr/bin/python3.11
configs="none bp99 bpk99 bp999 bpk999"
command -v perf >/dev/null && configs="$configs perf99 perf999" || echo "perf: not installed, skipped"
command -v bpftrace >/dev/null && configs="$configs bt99 bt999" || echo "bpftrace: not installed, skipped"
stats0=$(sysctl -n kernel.bpf_stats_enabled)
sysctl -q kernel.bpf_stats_enabled=1
command -v py-spy >/dev/null || echo "py-spy: not installed (not in Debian 12), skipped"
mountpoint -q /sys/kernel/tracing || mount -t tracefs nodev /sys/kernel/tracing 2>/dev/null || true
out=$(mktemp -d)
pids=()
trap 'kill "${pids[@]}" 2>/dev/null || true; sysctl -q kernel.bpf_stats_enabled="$stats0"; rm -rf "$out"' EXIT
tck=$(getconf CLK_TCK)

attach() {
  rec=""
  case $1 in
    none) return 0 ;;
    bp99|bp999|bpk99|bpk999)
      hz=${1#bp}; hz=${hz#k}; unw=dwarf; case $1 in bpk*) unw=kernel ;; esac
      rm -f "$out/r.json"
      build/bindprof record --probes stacks -F "$hz" --unwind $unw -p "$2" -o "$out/r.json" 2> "$out/rec.err" > /dev/null &
      rec=$!
      for _ in $(seq 100); do grep -q "recording pid" "$out/rec.err" 2>/dev/null && break; sleep 0.1; done ;;
    perf99|perf999) perf record -q -g -F "${1#perf}" -p "$2" -o "$out/perf.data" > /dev/null 2>&1 & rec=$!; sleep 0.5 ;;
    bt99|bt999)
      # bpftrace compiles its program first (seconds on a busy host): the window starts once its
      # perf_event program is loaded, and that program's statistics are its BPF cost
      before=$(perf_progs)
      bpftrace -e "profile:hz:${1#bt} /pid == $2/ { @[ustack, kstack] = count(); }" > /dev/null 2>&1 & rec=$!
      bt_ids=""
      for _ in $(seq 300); do
        bt_ids=$(comm -13 <(echo "$before") <(perf_progs) | tr '\n' ' ')
        [ -n "${bt_ids// }" ] && break
        sleep 0.1
      done ;;
  esac
  sleep 0.3
}
cpu_ticks() { [ -n "$rec" ] && awk '{print $14 + $15}' "/proc/$rec/stat" 2>/dev/null || echo 0; }
# SIGTERM for bindprof (a non-interactive shell starts background jobs with SIGINT ignored);
# perf and bpftrace stop on SIGINT sent directly.
detach() {
  [ -n "$rec" ] || return 0
  case $1 in bp*) kill -TERM "$rec" ;; *) kill -INT "$rec" ;; esac
  # a SIGINT that came before bpftrace set its handler is lost (ignored in a background job)
  for _ in $(seq 100); do kill -0 "$rec" 2>/dev/null || break; sleep 0.1; done
  kill -KILL "$rec" 2>/dev/null || true
  wait "$rec" 2>/dev/null || true
}
units_at() { tail -1 "$out/progress" | awk '{print $3}'; }
# the ids of the loaded perf_event programs other than bindprof's (sorted, one a line)
perf_progs() { bpftool prog show -j 2>/dev/null | python3 -c '
import json, sys
for p in json.load(sys.stdin):
    if p.get("type") == "perf_event" and p.get("name") != "sample_cpu":
        print(p["id"])' | sort; }
# bpftrace's programs ($bt_ids) run_time_ns and run_cnt, summed ("ns cnt")
bt_stats() { bpftool prog show -j 2>/dev/null | python3 -c '
import json, sys
ids = set(int(x) for x in sys.argv[1:])
ps = [p for p in json.load(sys.stdin) if p["id"] in ids]
print(sum(p.get("run_time_ns", 0) for p in ps), sum(p.get("run_cnt", 0) for p in ps))' ${bt_ids:-}; }
# BPF ns per sample of the window just ended (config $1; bt: the stats before, $2 $3)
bpf_ns() {
  case $1 in
    bp*) python3 -c '
import json, sys
try:
    s = json.load(open(sys.argv[1]))["results"]["profiling"]["stacks"]
    print(round(1e6 * s["bpf_cpu_ms"] / s["samples"]) if s.get("bpf_cpu_ms") and s["samples"] else "-")
except Exception:
    print("-")' "$out/r.json" ;;
    bt*) set -- $1 $2 $3 $(bt_stats); [ "$5" -gt "$3" ] 2>/dev/null && echo $(( ($4 - $2) / ($5 - $3) )) || echo - ;;
    *) echo - ;;
  esac
}

total=$(( runs * $(echo $configs | wc -w) * (secs + 15) + 60 ))
$py tools/pyload.py cpu --threads 4 --seconds $total --delay 0 --progress "$out/progress" > /dev/null &
pids+=($!); cpu=$!
sleep 1
for r in $(seq "$runs"); do
  for c in $configs; do
    attach $c $cpu
    bs=$(bt_stats)
    a=$(units_at); t0=$(cpu_ticks); sleep "$secs"; b=$(units_at); t1=$(cpu_ticks)
    [ "${c#bt}" != "$c" ] && ns=$(bpf_ns $c $bs)
    detach $c
    [ "${c#bt}" = "$c" ] && ns=$(bpf_ns $c)
    echo "cpu $c $(( (b - a) / secs )) $(( (t1 - t0) * 1000 / tck / secs )) $ns" >> "$out/raw"
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
    bs=$(bt_stats)
    t0=$(cpu_ticks)
    v=$(wrk -t 2 -c 8 -d "${secs}s" "http://127.0.0.1:$port/json" | awk '/^Requests\/sec/{print $2}')
    t1=$(cpu_ticks)
    [ "${c#bt}" != "$c" ] && ns=$(bpf_ns $c $bs)
    detach $c
    [ "${c#bt}" = "$c" ] && ns=$(bpf_ns $c)
    echo "http $c $v $(( (t1 - t0) * 1000 / tck / secs )) $ns" >> "$out/raw"
  done
done

echo "stack sampling cost: $py, $runs interleaved windows of ${secs}s, $(uname -r), $(nproc) cores"
[ -n "${STACKS_RAW:-}" ] && cp "$out/raw" "$STACKS_RAW"
printf "%-5s %-8s %12s %26s %8s %16s %16s\n" load config "median" "min..max" "vs none" "own CPU ms/s" "BPF ns/sample"
for w in cpu http; do
  base=$(awk -v w=$w '$1==w && $2=="none"{print $3}' "$out/raw" | sort -n | awk '{a[NR]=$1} END{print a[int((NR+1)/2)]}')
  for c in $configs; do
    own=$(awk -v w=$w -v c=$c '$1==w && $2==c{print $4}' "$out/raw" | sort -n | awk '{a[NR]=$1} END{print a[int((NR+1)/2)]}')
    bns=$(awk -v w=$w -v c=$c '$1==w && $2==c && $5!="-"{print $5}' "$out/raw" | sort -n | awk '{a[NR]=$1} END{print NR ? a[int((NR+1)/2)] : "-"}')
    awk -v w=$w -v c=$c '$1==w && $2==c{print $3}' "$out/raw" | sort -n | awk -v w=$w -v c=$c -v b="$base" -v own="$own" -v bns="$bns" \
      '{v[++n]=$1} END{m=v[int((n+1)/2)]; printf "%-5s %-8s %12.1f %12.1f..%-12.1f %7.3fx %16s %16s\n", w, c, m, v[1], v[n], m/b, own, bns}'
  done
done
