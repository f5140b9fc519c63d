#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# bindprof's load engine side by side with wrk, against the same nginx (Debian) on loopback serving
# a small static response, equal threads and connections, interleaved runs (wrk, bindprof, wrk,
# bindprof, ...). Prints the median requests/s of each with min..max, the ratio of the medians, the
# ratio within each interleaved pair (median, min..max: the spread), the median p50/p99 latency of
# each, and the machine's load average before and after (on a shared machine, figures taken at a
# load average above the core count measure the machine as much as the tools).
# Usage: scripts/bench/loadgen-vs-wrk.sh [RUNS] [SECS] [THREADS] [CONNS]   (defaults 5 5 2 50)
set -euo pipefail
cd "$(dirname "$0")/../.."
runs=${1:-5} secs=${2:-5} threads=${3:-2} conns=${4:-50}
for t in wrk nginx; do command -v $t >/dev/null || { echo "needs $t (apt-get install $t)" >&2; exit 3; }; done
make -s build/bindprof >/dev/null
prefix=$(mktemp -d)
mkdir -p "$prefix/tmp"
nginx -p "$prefix" -c "$PWD/scripts/bench/nginx.conf" 2> "$prefix/nginx.err" &
ngx=$!
trap 'kill $ngx 2>/dev/null || true; rm -rf "$prefix"' EXIT
sleep 0.5
url=http://127.0.0.1:18080/
load_before=$(cut -d' ' -f1-3 /proc/loadavg)
ms() { awk -v v="$1" 'BEGIN { if (v ~ /us$/) print v/1000; else if (v ~ /ms$/) print v+0; else if (v ~ /s$/) print v*1000; else print v }'; }
for r in $(seq "$runs"); do
  out=$(wrk -t "$threads" -c "$conns" -d "${secs}s" --latency "$url")
  rps=$(echo "$out" | awk '/^Requests\/sec/{print $2}')
  p50=$(ms "$(echo "$out" | awk '$1=="50%"{print $2}')")
  p99=$(ms "$(echo "$out" | awk '$1=="99%"{print $2}')")
  echo "wrk $rps $p50 $p99" >> "$prefix/raw"
  build/bindprof load --url "$url" -t "$threads" -c "$conns" -d "${secs}s" -o "$prefix/b.json" > /dev/null
  python3 - "$prefix/b.json" >> "$prefix/raw" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))["results"]
print("bindprof", r["throughput"]["requests_per_sec"], r["latency"]["median_ms"], r["latency"]["p99_ms"])
PY
done
echo "load generators vs nginx (static 17-byte body), $threads threads, $conns connections, $runs interleaved runs of ${secs}s, $(nproc) cores"
printf "%-9s %12s %24s %10s %10s\n" tool "req/s p50" "min..max" "p50 ms" "p99 ms"
for tool in wrk bindprof; do
  awk -v t=$tool '$1==t' "$prefix/raw" | sort -k2 -n | awk -v t=$tool '{r[++n]=$2; a[n]=$3; b[n]=$4} END{
    m=int((n+1)/2); printf "%-9s %12.0f %11.0f..%-11.0f %10.3f %10.3f\n", t, r[m], r[1], r[n], a[m], b[m] }'
done
awk '$1=="wrk"{print $2}' "$prefix/raw" | sort -n > "$prefix/w"
awk '$1=="bindprof"{print $2}' "$prefix/raw" | sort -n > "$prefix/b"
paste "$prefix/w" "$prefix/b" | awk '{w[++n]=$1; b[n]=$2} END{m=int((n+1)/2); printf "bindprof / wrk requests/s (medians): %.3f\n", b[m]/w[m]}'
awk '$1=="wrk"{w[++i]=$2} $1=="bindprof"{b[++j]=$2} END{for (k=1; k<=j; k++) print b[k]/w[k]}' "$prefix/raw" | sort -n |
  awk '{r[++n]=$1} END{m=int((n+1)/2); printf "bindprof / wrk within each pair: median %.3f (%.3f..%.3f)\n", r[m], r[1], r[n]}'
echo "load average before: $load_before; after: $(cut -d' ' -f1-3 /proc/loadavg)"
