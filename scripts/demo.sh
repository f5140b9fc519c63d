#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# `make demo`: the main job on the bundled demo server. `bindprof profile` starts
# tools/demo_server.py (Python's ThreadingHTTPServer, thread per request, every endpoint of the
# built-in suites, a zlib call through ctypes per JSON body) on 127.0.0.1, runs a short version of
# every built-in suite against it (a clean pass, then a pass profiled with the GIL, GC, requests,
# stack and syscall probes), writes results/demo-profile.json (and each workload's folded stacks
# next to it, results/demo-profile.SUITE.WORKLOAD.folded) and prints the summary table and the
# per-endpoint breakdown of every workload's requests (bindprof report). Needs root for the probes; as another user it prints the sudo command.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ "$(id -u)" -ne 0 ]; then
  echo "make demo attaches BPF probes and needs root: run 'sudo make demo'" >&2
  exit 3
fi
py=/usr/bin/python3
command -v "$py" >/dev/null || py=python3
port=${DEMO_PORT:-8765}
mkdir -p results
build/bindprof profile --app-cmd "$py tools/demo_server.py --port $port" --url "http://127.0.0.1:$port" \
  --framework demo-stdlib --suite all --duration 2 --warmup 0.5 --concurrency 16 -t 2 \
  --probes gil,gc,requests,stacks,syscalls --ffi "$PWD/build/tools/libdemo.so" --ffi libz.so.1:crc32 \
  -o results/demo-profile.json
build/bindprof report results/demo-profile.json
