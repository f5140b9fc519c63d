#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
"""The BPF programs' own cost per run, bindprof's against the floor's (empty programs on the same
hooks), from the kernel's BPF run-time statistics (sysctl kernel.bpf_stats_enabled=1: run_cnt and
run_time_ns per program, as bpftool prog show reports them).

Throughput ratios on a 2-core VM carry +-5% of noise per window; this measures what the programs
themselves add, exactly, under the same load: tools/demo_server.py driven closed-loop for SECS
seconds per configuration. The kernel's fixed cost of entering a tracepoint, uprobe or perf event
(the trap, the dispatch) is not in run_time_ns: it is the same for an empty program, and the
throughput benchmark (overhead.sh) measures it as the floor.

Usage: sudo scripts/bench/progcost.sh [SECS] [SETS]   (default 5 s, every set: syscalls,gil,requests,stacks,ffi)
"""
import json
import os
import subprocess
import sys
import tempfile
import time

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
B = os.path.join(ROOT, "build", "bindprof")
FLOOR = os.path.join(ROOT, "build", "bench", "probe_floor")
PY = "/usr/bin/python3.11"
LIBDEMO = os.path.join(ROOT, "build", "tools", "libdemo.so")
LIBZ = "/usr/lib/x86_64-linux-gnu/libz.so.1"


def progs():
    out = subprocess.run(["bpftool", "-j", "prog", "show"], capture_output=True, text=True).stdout
    return {p["id"]: p for p in json.loads(out or "[]")}


def run(argv, url, body, secs, tmp, ready="recording pid"):
    before = set(progs())
    err = os.path.join(tmp, "err")
    p = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=open(err, "w"))
    for _ in range(200):
        time.sleep(0.1)
        if ready in open(err).read():
            break
    time.sleep(0.5)
    subprocess.run([B, "load", "--url", url, "-m", "POST", "--body-file", body, "-H", "Content-Type: application/json",
                    "-c", "8", "-t", "2", "-d", str(secs), "-o", os.path.join(tmp, "l.json")],
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
    with open(os.path.join(tmp, "l.json")) as f:
        reqs = json.load(f)["results"]["throughput"]["total_requests"]
    now = progs()
    mine = {i: q for i, q in now.items() if i not in before}
    p.terminate()
    p.wait(timeout=30)
    return mine, reqs


def main():
    secs = float(sys.argv[1]) if len(sys.argv) > 1 else 5
    only = sys.argv[2].split(",") if len(sys.argv) > 2 else None  # default: every set but the combinations
    tmp = tempfile.mkdtemp(prefix="bindprof-progcost-")
    body = os.path.join(tmp, "body.json")
    with open(body, "w") as f:
        json.dump({"id": 1, "name": "bindprof", "tags": ["a", "b", "c"], "value": 3.14159}, f)
    subprocess.run(["sysctl", "-q", "kernel.bpf_stats_enabled=1"], check=True)
    port = 18796
    srv = subprocess.Popen([PY, os.path.join(ROOT, "tools", "demo_server.py"), "--port", str(port)],
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}/json/small"
    rec = lambda *a: [B, "record", "-p", str(srv.pid), "-o", os.path.join(tmp, "r.json"), *a]
    flo = lambda *a: [FLOOR, *a, "-p", str(srv.pid), "-d", "600"]
    sets = [
        ("syscalls", rec("--probes", "syscalls"), flo("--sys")),
        ("gil", rec("--probes", "gil"), flo("--switch")),
        ("requests", rec("--probes", "requests"), flo("--sock")),
        ("stacks", rec("--probes", "stacks"), flo("--sample", "99")),
        ("default", rec(), flo("--switch", "--sock", "--sample", "99")),
        ("gil-requests", rec("--probes", "gil,requests"), flo("--switch", "--sock")),
        ("ffi", rec("--probes", "gc", "--ffi", f"{LIBDEMO}:demo_checksum", "--ffi", f"{LIBZ}:crc32"),
         flo("--uprobe", f"{LIBDEMO}:demo_checksum", "--uprobe", f"{LIBZ}:crc32")),
    ]
    sets = [x for x in sets if x[0] in only] if only else [x for x in sets if x[0] not in ("default", "gil-requests")]
    rows = []
    try:
        time.sleep(1.5)
        for name, bp, fl in sets:
            got = {}
            for who, argv in (("bindprof", bp), ("floor", fl)):
                mine, reqs = run(argv, url, body, secs, tmp)
                cnt = sum(q.get("run_cnt", 0) for q in mine.values())
                ns = sum(q.get("run_time_ns", 0) for q in mine.values())
                got[who] = {"runs": cnt, "run_time_ns": ns, "requests": reqs,
                            "ns_per_run": ns / cnt if cnt else None, "ns_per_request": ns / reqs if reqs else None,
                            "programs": {q.get("name", "?"): [q.get("run_cnt", 0), q.get("run_time_ns", 0)]
                                         for q in mine.values() if q.get("run_cnt")}}
            b, f = got["bindprof"], got["floor"]
            row = {"probe_set": name, "bindprof": b, "floor": f,
                   "per_request_vs_floor": (b["ns_per_request"] / f["ns_per_request"])
                   if b["ns_per_request"] and f["ns_per_request"] else None}
            rows.append(row)
            print(f"{name:9s} bindprof {b['ns_per_request'] or 0:8.0f} ns/request ({b['runs']} runs, "
                  f"{b['ns_per_run'] or 0:6.0f} ns/run)   floor {f['ns_per_request'] or 0:8.0f} ns/request "
                  f"({f['runs']} runs, {f['ns_per_run'] or 0:6.0f} ns/run)", flush=True)
    finally:
        srv.terminate()
        subprocess.run(["sysctl", "-q", "kernel.bpf_stats_enabled=0"])
    out = os.path.join(ROOT, "results", "progcost.json")
    os.makedirs(os.path.dirname(out), exist_ok=True)
    with open(out, "w") as f:
        json.dump({"secs": secs, "kernel": os.uname().release, "rows": rows}, f, indent=2)
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
