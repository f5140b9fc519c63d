#!/usr/bin/env bash
# `make demo`: the main job on the bundled demo server. Starts tools/demo_server.py (Python's
# ThreadingHTTPServer, thread per request) on 127.0.0.1, records it with the GIL, GC and syscall
# probes while `bindprof load` drives it, then prints both reports. Writes build/demo.json (the
# profile) and build/demo-load.json (the load run). Needs root for the probes; as another user it
# prints the sudo command.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ "$(id -u)" -ne 0 ]; then
  echo "make demo attaches BPF probes and needs root: run 'sudo make demo'" >&2
  exit 3
fi
py=/usr/bin/python3
command -v "$py" >/dev/null || py=python3
port=${DEMO_PORT:-8765}
"$py" tools/demo_server.py --port "$port" > build/demo-server.log 2>&1 &
srv=$!
trap 'kill $srv 2>/dev/null || true' EXIT
for _ in $(seq 50); do grep -q listening build/demo-server.log && break; sleep 0.1; done
build/bindprof record --probes gil,gc,syscalls -p "$srv" -d 6 -o build/demo.json 2> build/demo-record.err &
rec=$!
for _ in $(seq 100); do grep -q "recording pid" build/demo-record.err && break; sleep 0.1; done
sleep 0.3
echo "== bindprof load: 4 s of GET /json, 16 connections, 2 threads"
build/bindprof load --url "http://127.0.0.1:$port/json" -c 16 -t 2 -d 4 -o build/demo-load.json
echo
echo "== bindprof record -p $srv (the server, while it was loaded)"
wait $rec
echo
build/bindprof report build/demo.json
