#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
"""Re-evaluate the runs kept by scripts/bench/verdicts.sh with fewer rounds and other diff options.

usage: scripts/bench/verdicts-rounds.py DIR [-k 5,7,9] [--args="ARGS" ...]

For every trial under DIR (DIR/SCENARIO/trial-N/{base,new}.json) and every K, the two files are cut
to their first K repeats (compare's rounds run in order, so the first K rounds are a K-round
comparison made on the same host at the same time) and diffed with each ARGS (default: --force).
Prints, per scenario, K and ARGS: pairs, diff exit 1 (A/A: false positives; A/B: exit 1 with a
regressed row naming the changed workload), and the host load during those runs (the median over
the passes of the other processes' CPU share, and of the 1-minute load average)."""
import argparse
import copy
import glob
import json
import os
import statistics
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BP = os.environ.get("BINDPROF", os.path.join(ROOT, "build", "bindprof"))
CHANGED = {"ab-cpu": "json", "ab-delay": "hello"}


def cut(doc, k):
    d = copy.deepcopy(doc)
    for s in d.get("suites", []):
        for w in s.get("workloads", []):
            rep = (w.get("results") or {}).get("repeats")
            if rep:
                rep["samples"] = rep["samples"][:k]
                rep["count"] = len(rep["samples"])
    return d


def loads(doc):
    others, load1 = [], []
    for s in doc.get("suites", []):
        for w in s.get("workloads", []):
            res = w.get("results") or {}
            others += [x["host_others_percent"] for x in res.get("repeats", {}).get("samples", [])
                       if "host_others_percent" in x]
            if isinstance(res.get("host_load"), dict) and res["host_load"].get("load1") is not None:
                load1.append(res["host_load"]["load1"])
    return others, load1


def caught(out, wl):
    for line in out.splitlines():
        f = line.split()
        if len(f) >= 6 and f[0].endswith("/" + wl) and f[5].startswith("regressed"):
            return True
    return False


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("dir")
    ap.add_argument("-k", default="5,7,9")
    ap.add_argument("--args", action="append", default=None)
    a = ap.parse_args()
    ks = [int(x) for x in a.k.split(",")]
    argsets = a.args or ["--force"]
    tmp = tempfile.mkdtemp(prefix="bindprof-rounds-")
    rows = {}
    load = {}
    for tdir in sorted(glob.glob(os.path.join(a.dir, "*", "trial-*"))):
        scen = os.path.basename(os.path.dirname(tdir))
        try:
            base, new = (json.load(open(os.path.join(tdir, f))) for f in ("base.json", "new.json"))
        except (OSError, ValueError):
            continue
        for d in (base, new):
            o, l1 = loads(d)
            load.setdefault(scen, ([], []))[0].extend(o)
            load[scen][1].extend(l1)
        for k in ks:
            pb, pn = os.path.join(tmp, "b.json"), os.path.join(tmp, "n.json")
            json.dump(cut(base, k), open(pb, "w"))
            json.dump(cut(new, k), open(pn, "w"))
            for args in argsets:
                r = subprocess.run([BP, "diff", pb, pn, *args.split()], capture_output=True, text=True)
                hit = r.returncode == 1 and (scen not in CHANGED or caught(r.stdout, CHANGED[scen]))
                e = rows.setdefault((scen, k, args), [0, 0, 0])
                e[0] += 1
                e[1] += hit
                e[2] += r.returncode not in (0, 1)
    print(f"{'scenario':9} {'K':>2} {'diff args':42} {'pairs':>5} {'exit 1 (A/B: caught)':>21} {'refused':>7}")
    for (scen, k, args), (n, hit, ref) in sorted(rows.items()):
        print(f"{scen:9} {k:2} {args:42} {n:5} {hit:>15}/{n:<5} {ref:7}")
    for scen, (o, l1) in sorted(load.items()):
        if o:
            print(f"{scen}: others' CPU share during the passes: median {statistics.median(o):.1f}% "
                  f"(n {len(o)}); 1-minute load average: median {statistics.median(l1) if l1 else float('nan'):.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
