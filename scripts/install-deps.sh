#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# Install every Debian package bindprof needs to build, test and run its demo.
# Usage: scripts/install-deps.sh [--check]
#   --check  only report what is missing (exit 1 if anything is), install nothing.
# As a non-root user it prints the exact sudo command instead of running apt-get.
set -euo pipefail

PKGS=(
  # build
  make clang llvm gcc pkg-config bpftool libbpf-dev libelf-dev zlib1g-dev
  libcjson-dev libhttp-parser-dev libdw-dev libffi-dev libcapstone-dev linux-libc-dev
  # WebSocket workloads: frames (libwslay), the upgrade's SHA-1 and base64 (nettle)
  libwslay-dev nettle-dev
  # export (pprof) and history (SQLite, PostgreSQL)
  libprotobuf-c-dev protobuf-c-compiler libsqlite3-dev libpq-dev
  # tests
  libcmocka-dev python3 python3-jsonschema libxml2-utils
  protobuf-compiler nodejs postgresql
  # the HTML report's browser test (headless)
  chromium
  # demo and integration targets
  python3-dev python3-cffi wrk nginx-light python3-gevent
  # the net probe's tests: Flask's development server, and ss (iproute2) as an independent reader
  python3-flask iproute2
  # real servers for the requests probe's cross-thread tests (FastAPI on uvicorn, aiohttp, gunicorn gthread)
  python3-fastapi python3-uvicorn python3-aiohttp gunicorn
  # the WebSocket workloads' test server (tests/integration/wsapp.py)
  python3-websockets
  # the stacks tests' uretprobes from another tool (test_uretprobe_return_addresses_restored)
  bpftrace
)

missing=()
for p in "${PKGS[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi
if [ "${1:-}" = "--check" ]; then
  echo "missing packages: ${missing[*]}" >&2
  exit 1
fi

cmd="apt-get install -y --no-install-recommends ${missing[*]}"
if [ "$(id -u)" -ne 0 ]; then
  echo "bindprof needs these Debian packages: ${missing[*]}" >&2
  echo "run: sudo apt-get update && sudo $cmd" >&2
  exit 1
fi
echo "installing: ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -q >/dev/null
$cmd
