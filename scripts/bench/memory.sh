#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# bindprof's own memory during a long run: `bindprof record` (default probes, or the ones given)
# on the demo server under closed-loop load for SECS seconds; prints bindprof's RSS every 5 s and
# its peak (VmHWM). Usage: sudo scripts/bench/memory.sh [SECS] [RECORD ARGS...]  (default 60)
set -euo pipefail
cd "$(dirname "$0")/../.."
[ "$(id -u)" -eq 0 ] || { echo "needs root: sudo $0" >&2; exit 3; }
make -s build/bindprof build/tools/libdemo.so >/dev/null
secs=${1:-60}
shift || true
tmp=$(mktemp -d)
trap 'kill $srv $rec $ld 2>/dev/null || true; rm -rf "$tmp"' EXIT
port=18795
/usr/bin/python3 tools/demo_server.py --port $port >/dev/null 2>&1 &
srv=$!
sleep 1.5
echo '{"id": 1, "name": "bindprof", "tags": ["a", "b", "c"]}' > "$tmp/body.json"
build/bindprof record -p $srv -d $((secs + 2)) -o "$tmp/r.json" "$@" > /dev/null 2> "$tmp/rec.err" &
rec=$!
for _ in $(seq 100); do grep -q "recording pid" "$tmp/rec.err" && break; sleep 0.1; done
build/bindprof load --url http://127.0.0.1:$port/json/small -m POST --body-file "$tmp/body.json" \
  -H "Content-Type: application/json" -c 8 -t 2 -d "$secs" -o "$tmp/l.json" > /dev/null 2>&1 &
ld=$!
for t in $(seq 5 5 "$secs"); do
  sleep 5
  printf 't=%3ss  bindprof RSS %6.1f MB\n' "$t" "$(awk '/^VmRSS/ {print $2 / 1024}' /proc/$rec/status)"
done
hwm=$(awk '/^VmHWM/ {print $2 / 1024}' /proc/$rec/status)
wait $ld || true
wait $rec || true
printf 'peak RSS (VmHWM) over %ss: %.1f MB; %s requests served\n' "$secs" "$hwm" \
  "$(python3 -c "import json;print(json.load(open('$tmp/l.json'))['results']['throughput']['total_requests'])")"
