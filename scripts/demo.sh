#!/usr/bin/env bash
# `make demo`: record the bundled demo program (4 Python threads calling libc through ctypes,
# doing file I/O and JSON) with the GIL, GC and syscall probes, and print the report.
# Writes build/demo.json. Needs root (BPF); as another user it prints the sudo command.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ "$(id -u)" -ne 0 ]; then
  echo "make demo attaches BPF probes and needs root: run 'sudo make demo'" >&2
  exit 3
fi
py=/usr/bin/python3
command -v "$py" >/dev/null || py=python3
set -x
build/bindprof record --probes gil,gc,syscalls -o build/demo.json -- "$py" tools/demo_app.py --seconds 3
build/bindprof report build/demo.json
