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

Usage: sudo scripts/bench/progcost.sh [SECS] [SETS] [ROUNDS]
  default 5 s, every set (syscalls,gil,requests,stacks,stacks-kernel,ffi; also default, gil-requests),
  3 rounds, interleaved. BINDPROF_BIN=path measures another build; BINDPROF_BASE=path also measures a
  second build in the same rounds (before/after comparisons: "base" rows); PROGCOST_OUT=path moves
  the JSON.

The hooks are machine-wide: on a machine shared with other work the runs per request vary with
that work. The "target" figures take it out: bindprof's run time less its runs for other
processes (total runs less the target's hits from the profile it wrote) at the floor's cost per
run, per request, against the floor's cost per run for the same target runs.
"""
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
B = os.environ.get("BINDPROF_BIN") or os.path.join(ROOT, "build", "bindprof")
BASE = os.environ.get("BINDPROF_BASE")
FLOOR = os.path.join(ROOT, "build", "bench", "probe_floor")
PY = "/usr/bin/python3.11"
LIBDEMO = os.path.join(ROOT, "build", "tools", "libdemo.so")
LIBZ = "/usr/lib/x86_64-linux-gnu/libz.so.1"


def progs():
    out = subprocess.run(["bpftool", "-j", "prog", "show"], capture_output=True, text=True).stdout
    return {p["id"]: p for p in json.loads(out or "[]")}


def held_progs(pid):
    """The ids of the BPF programs a process holds: its program and link fds' prog_id (fdinfo)."""
    ids = set()
    fddir = f"/proc/{pid}/fdinfo"
    try:
        names = os.listdir(fddir)
    except OSError:
        return ids
    for fd in names:
        try:
            with open(os.path.join(fddir, fd)) as f:
                for line in f:
                    if line.startswith("prog_id:"):
                        ids.add(int(line.split()[1]))
        except (OSError, ValueError):
            pass
    return ids


def hit_index():
    """HIT_* name -> index, from bpf/common.h's enum probe_hit (the hits array's layout)."""
    src = open(os.path.join(ROOT, "bpf", "common.h")).read()
    body = src[src.index("enum probe_hit {"):]
    body = body[:body.index("};")]
    names = [ln.split(",")[0].split("=")[0].strip() for ln in body.splitlines()[1:]]
    names = [n for n in names if n.startswith("HIT_")]
    return {n: i for i, n in enumerate(names)}


def read_hits(pid):
    """The per-CPU hits array of the bindprof process pid, summed over CPUs: index -> count."""
    for fd in os.listdir(f"/proc/{pid}/fdinfo"):
        try:
            info = open(f"/proc/{pid}/fdinfo/{fd}").read()
        except OSError:
            continue
        mid = [ln.split()[1] for ln in info.splitlines() if ln.startswith("map_id:")]
        if not mid:
            continue
        m = json.loads(subprocess.run(["bpftool", "-j", "map", "show", "id", mid[0]], capture_output=True,
                                      text=True).stdout or "{}")
        if m.get("name") != "hits":
            continue
        d = json.loads(subprocess.run(["bpftool", "-j", "map", "dump", "id", mid[0]], capture_output=True,
                                      text=True).stdout or "[]")
        out = {}
        for e in d:
            f = e.get("formatted", {})
            out[f.get("key")] = sum(v["value"] for v in f.get("values", []))
        return out
    return {}


def run(argv, url, body, secs, tmp, ready="recording pid"):
    before = set(progs())
    err = os.path.join(tmp, "err")
    p = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=open(err, "w"))
    for _ in range(200):
        time.sleep(0.1)
        if ready in open(err).read():
            break
    time.sleep(0.5)
    # what the programs ran before the load (start-up: bindprof's calibration loops run its own
    # uprobe and syscall programs) is left out: only the runs during the load are counted
    held0 = held_progs(p.pid)
    base = {i: q for i, q in progs().items() if i not in before and i in held0}
    hits0 = read_hits(p.pid)
    subprocess.run([B, "load", "--url", url, "-m", "POST", "--body-file", body, "-H", "Content-Type: application/json",
                    "-c", "8", "-t", "2", "-d", str(secs), "-o", os.path.join(tmp, "l.json")],
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
    with open(os.path.join(tmp, "l.json")) as f:
        reqs = json.load(f)["results"]["throughput"]["total_requests"]
    now = progs()
    # this run's programs only: other bindprof sessions (or tools) may load programs meanwhile
    held = held_progs(p.pid)
    hits1 = read_hits(p.pid)
    hits = {k: v - hits0.get(k, 0) for k, v in hits1.items()}
    mine = {i: dict(q) for i, q in now.items() if i not in before and i in held}
    for i, q in mine.items():
        for k in ("run_cnt", "run_time_ns"):
            q[k] = q.get(k, 0) - base.get(i, {}).get(k, 0)
    p.terminate()
    p.wait(timeout=30)
    return mine, reqs, hits


# Which of bindprof's probe hits (its hits array, read before and after the load) are a set's
# target-side runs: the runs of its machine-wide hooks that concern the target. sched_switch counts the runs with a target
# thread on either side (one per run, whether one side or both are the target's).
TARGET_HITS = {
    "syscalls": ("HIT_SYS_ENTER", "HIT_SYS_EXIT"),
    "gil": ("HIT_SCHED_SWITCH",),
    "requests": ("HIT_REQ_SOCK", "HIT_REQ_STATE"),
    "default": ("HIT_SCHED_SWITCH", "HIT_REQ_SOCK", "HIT_REQ_STATE"),
    "gil-requests": ("HIT_SCHED_SWITCH", "HIT_REQ_SOCK", "HIT_REQ_STATE"),
}


def target_hits(hits, name):
    """The target-side runs of set `name` during the load (hits: index -> count); None if unknown."""
    if name not in TARGET_HITS or not hits:
        return None
    idx = hit_index()
    return sum(hits.get(idx[k], 0) for k in TARGET_HITS[name])


def main():
    secs = float(sys.argv[1]) if len(sys.argv) > 1 else 5
    only = sys.argv[2].split(",") if len(sys.argv) > 2 and sys.argv[2] else None
    rounds = int(sys.argv[3]) if len(sys.argv) > 3 else 3
    tmp = tempfile.mkdtemp(prefix="bindprof-progcost-")
    body = os.path.join(tmp, "body.json")
    with open(body, "w") as f:
        json.dump({"id": 1, "name": "bindprof", "tags": ["a", "b", "c"], "value": 3.14159}, f)
    subprocess.run(["sysctl", "-q", "kernel.bpf_stats_enabled=1"], check=True)
    port = 18796
    srv = subprocess.Popen([PY, os.path.join(ROOT, "tools", "demo_server.py"), "--port", str(port)],
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}/json/small"
    prof = os.path.join(tmp, "r.json")
    rec = lambda *a: [B, "record", "-p", str(srv.pid), "-o", prof, *a]
    flo = lambda *a: [FLOOR, *a, "-p", str(srv.pid), "-d", "600"]
    sets = [
        ("syscalls", rec("--probes", "syscalls"), flo("--sys")),
        ("gil", rec("--probes", "gil"), flo("--switch")),
        ("requests", rec("--probes", "requests"), flo("--sock")),
        ("stacks", rec("--probes", "stacks"), flo("--sample", "99")),
        ("stacks-kernel", rec("--probes", "stacks", "--unwind", "kernel"), flo("--sample", "99")),
        ("default", rec(), flo("--switch", "--sock", "--sample", "99")),
        ("gil-requests", rec("--probes", "gil,requests"), flo("--switch", "--sock")),
        ("ffi", rec("--probes", "gc", "--ffi", f"{LIBDEMO}:demo_checksum", "--ffi", f"{LIBZ}:crc32"),
         flo("--uprobe", f"{LIBDEMO}:demo_checksum", "--uprobe", f"{LIBZ}:crc32")),
    ]
    sets = [x for x in sets if x[0] in only] if only else [x for x in sets if x[0] not in ("default", "gil-requests")]
    rows = []
    try:
        time.sleep(1.5)
        for rnd in range(rounds):  # interleaved: every set, bindprof then its floor, once per round
            for name, bp, fl in sets:
                got = {}
                whos = [("bindprof", bp), ("floor", fl)]
                if BASE:
                    whos.insert(1, ("base", [BASE] + bp[1:]))
                for who, argv in whos:
                    if who != "floor" and os.path.exists(prof):
                        os.unlink(prof)
                    mine, reqs, hits = run(argv, url, body, secs, tmp)
                    cnt = sum(q.get("run_cnt", 0) for q in mine.values())
                    ns = sum(q.get("run_time_ns", 0) for q in mine.values())
                    got[who] = {"runs": cnt, "run_time_ns": ns, "requests": reqs,
                                "ns_per_run": ns / cnt if cnt else None, "ns_per_request": ns / reqs if reqs else None,
                                "programs": {q.get("name", "?"): [q.get("run_cnt", 0), q.get("run_time_ns", 0)]
                                             for q in mine.values() if q.get("run_cnt")}}
                    if who != "floor":
                        got[who]["target_runs"] = target_hits(hits, name)
                b, f = got["bindprof"], got["floor"]
                row = {"round": rnd, "probe_set": name, "bindprof": b, "floor": f, "loadavg": os.getloadavg()[0],
                       "per_request_vs_floor": (b["ns_per_request"] / f["ns_per_request"])
                       if b["ns_per_request"] and f["ns_per_request"] else None}
                if BASE:
                    bb = got["base"]
                    row["base"] = bb
                    row["base_per_request_vs_floor"] = (bb["ns_per_request"] / f["ns_per_request"]) \
                        if bb["ns_per_request"] and f["ns_per_request"] else None
                    tr = bb.get("target_runs")
                    if tr and bb["requests"] and f["ns_per_run"]:
                        other = max(bb["runs"] - tr, 0)
                        bt = max(bb["run_time_ns"] - other * f["ns_per_run"], 0) / bb["requests"]
                        ft = f["ns_per_run"] * tr / bb["requests"]
                        row["base_target"] = {"bindprof_ns_per_request": bt, "floor_ns_per_request": ft,
                                              "vs_floor": bt / ft if ft else None}
                # The hooks fire for every process of the machine (other work on it too), so the
                # runs per request vary with what else runs. The target's share: bindprof's run
                # time less its runs for other processes at the floor's cost per run (both only
                # compare the tgid for those), against the floor's cost per run for the target's
                # runs.
                tr = b.get("target_runs")
                if tr and b["requests"] and f["ns_per_run"]:
                    other = max(b["runs"] - tr, 0)
                    bt = max(b["run_time_ns"] - other * f["ns_per_run"], 0) / b["requests"]
                    ft = f["ns_per_run"] * tr / b["requests"]
                    row["target"] = {"runs_per_request": tr / b["requests"], "bindprof_ns_per_request": bt,
                                     "floor_ns_per_request": ft, "vs_floor": bt / ft if ft else None}
                rows.append(row)
                t = row.get("target")
                print(f"r{rnd} {name:9s} bindprof {b['ns_per_request'] or 0:7.0f} ns/req ({b['runs']} runs, "
                      f"{b['ns_per_run'] or 0:5.0f} ns/run)  floor {f['ns_per_request'] or 0:7.0f} ns/req "
                      f"({f['runs']} runs, {f['ns_per_run'] or 0:5.0f} ns/run)"
                      + (f"  target: {t['bindprof_ns_per_request']:6.0f} vs {t['floor_ns_per_request']:5.0f} ns/req "
                         f"= {t['vs_floor']:.2f}x" if t and t["vs_floor"] else "")
                      + f"  load {row['loadavg']:.1f}", flush=True)
                if BASE and row.get("base_per_request_vs_floor"):
                    bt = row.get("base_target")
                    print(f"    base     {row['base']['ns_per_request'] or 0:7.0f} ns/req ({row['base']['runs']} runs, "
                          f"{row['base']['ns_per_run'] or 0:5.0f} ns/run) = {row['base_per_request_vs_floor']:.2f}x floor"
                          + (f"  target: {bt['bindprof_ns_per_request']:6.0f} ns/req = {bt['vs_floor']:.2f}x"
                             if bt and bt["vs_floor"] else ""), flush=True)
    finally:
        srv.terminate()
        subprocess.run(["sysctl", "-q", "kernel.bpf_stats_enabled=0"])
    summary = {}
    for name, _, _ in sets:
        rs = [r for r in rows if r["probe_set"] == name]
        med = lambda xs: statistics.median(xs) if xs else None
        summary[name] = {
            "bindprof_ns_per_run": med([r["bindprof"]["ns_per_run"] for r in rs if r["bindprof"]["ns_per_run"]]),
            "floor_ns_per_run": med([r["floor"]["ns_per_run"] for r in rs if r["floor"]["ns_per_run"]]),
            "per_request_vs_floor": med([r["per_request_vs_floor"] for r in rs if r["per_request_vs_floor"]]),
            "target_vs_floor": med([r["target"]["vs_floor"] for r in rs if r.get("target") and r["target"]["vs_floor"]]),
            "target_bindprof_ns_per_request": med([r["target"]["bindprof_ns_per_request"] for r in rs if r.get("target")]),
            "target_floor_ns_per_request": med([r["target"]["floor_ns_per_request"] for r in rs if r.get("target")]),
            "loadavg": [round(r["loadavg"], 1) for r in rs],
        }
        if BASE:
            summary[name]["base_per_request_vs_floor"] = med([r["base_per_request_vs_floor"] for r in rs
                                                              if r.get("base_per_request_vs_floor")])
            summary[name]["base_target_vs_floor"] = med([r["base_target"]["vs_floor"] for r in rs
                                                         if r.get("base_target") and r["base_target"]["vs_floor"]])
            summary[name]["base_target_ns_per_request"] = med([r["base_target"]["bindprof_ns_per_request"]
                                                               for r in rs if r.get("base_target")])
        x = summary[name]
        fmt = lambda v, f: format(v, f) if v is not None else "-"
        print(f"{name:9s} median of {len(rs)}: ns/run {fmt(x['bindprof_ns_per_run'], '.0f')} vs "
              f"{fmt(x['floor_ns_per_run'], '.0f')}; per request {fmt(x['per_request_vs_floor'], '.2f')}x; target "
              f"{fmt(x['target_bindprof_ns_per_request'], '.0f')} vs {fmt(x['target_floor_ns_per_request'], '.0f')} "
              f"ns/req = {fmt(x['target_vs_floor'], '.2f')}x; load {x['loadavg']}")
        if BASE:
            print(f"{'':9s} base: per request {fmt(x['base_per_request_vs_floor'], '.2f')}x; target "
                  f"{fmt(x['base_target_ns_per_request'], '.0f')} ns/req = {fmt(x['base_target_vs_floor'], '.2f')}x")
    out = os.environ.get("PROGCOST_OUT") or os.path.join(ROOT, "results", "progcost.json")
    os.makedirs(os.path.dirname(out), exist_ok=True)
    with open(out, "w") as f:
        json.dump({"secs": secs, "rounds": rounds, "kernel": os.uname().release, "bindprof": B, "base": BASE,
                   "summary": summary, "rows": rows}, f, indent=2)
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
