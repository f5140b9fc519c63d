"""bindprof diff on files whose differences are known: one workload 30% slower, one 12% slower,
one inside the runs' own spread, and the same file against itself. No root needed."""
import copy
import json
import os
import sys
import tempfile

sys.path.insert(0, os.path.dirname(__file__))
from harness import BINDPROF, check, main, run, validate  # noqa: E402

TMP = tempfile.mkdtemp(prefix="bindprof-diff-")
HOST = {"hostname": "h", "os": "Debian", "arch": "x86_64", "cpu_model": "cpu", "cpu_cores": 2,
        "memory_gb": 23.5, "kernel": "6.18"}


def workload(name, rps, p50, p99, spread=0.01, gil=100.0):
    return {"name": name, "payload_size_bytes": 0, "endpoint": {"method": "GET", "path": "/" + name},
            "results": {"throughput": {"requests_per_sec": rps}, "latency": {"median_ms": p50, "p99_ms": p99},
                        "generator": {"saturated": False},
                        "repeats": {"count": 2, "samples": [
                            {"requests_per_sec": rps * (1 - spread), "p50_ms": p50, "p99_ms": p99},
                            {"requests_per_sec": rps * (1 + spread), "p50_ms": p50, "p99_ms": p99}]},
                        "profiling": {"gil": {"wait_ms_total": gil}}}}


def doc(workloads, host=HOST):
    return {"schema_version": 1, "mode": "profile", "metadata": {"host": host},
            "suites": [{"name": "s", "workloads": workloads}], "summary": {}}


def write(name, d):
    path = os.path.join(TMP, name)
    with open(path, "w") as f:
        json.dump(d, f)
    return path


BASE = write("base.json", doc([workload("a", 1000, 1.0, 5.0), workload("b", 1000, 1.0, 5.0),
                               workload("c", 1000, 1.0, 5.0, spread=0.2)]))


def diff(new, *args):
    return run([BINDPROF, "diff", BASE, new, *args])


def verdicts(out):
    v = {}
    for line in out.splitlines():
        parts = line.split()
        if len(parts) == 6 and parts[0].startswith("s/"):
            v[(parts[0], parts[1])] = parts[5]
    return v


def test_same_run_is_unchanged():
    r = diff(BASE)
    check(r.returncode == 0, r.stderr)
    check(set(verdicts(r.stdout).values()) == {"unchanged"}, r.stdout)


def test_slowed_endpoint_is_critical():
    new = write("slow.json", doc([workload("a", 700, 1.4, 7.0), workload("b", 880, 1.0, 5.0),
                                  workload("c", 850, 1.0, 5.0, spread=0.15)]))
    md = os.path.join(TMP, "r.md")
    r = diff(new, "--report", md)
    check(r.returncode == 1, f"exit {r.returncode}: {r.stderr}")
    v = verdicts(r.stdout)
    check(v[("s/a", "requests_per_sec")] == "regressed-critical", v)  # -30%
    check(v[("s/a", "p99_ms")] == "regressed-critical", v)             # +40%
    check(v[("s/b", "requests_per_sec")] == "regressed-warning", v)    # -12%
    check(v[("s/c", "requests_per_sec")] == "unchanged", v)            # -15%, inside both spreads
    check(v[("s/a", "gil_wait_ms")] == "unchanged", v)
    with open(md) as f:
        text = f.read()
    lines = text.splitlines()
    check(lines[0] == "## bindprof diff: critical regression", lines[0])
    check("| s/a | requests_per_sec | 1000.000 | 700.000 | -30.0% | **regressed-critical** |" in text, text)
    # rps, p50, p99 and gil_wait per workload (no gc or ffi figures in these files)
    check(sum(1 for l in lines if l.startswith("|")) == 2 + 4 * 3, "a header, a rule and 4 metrics x 3 rows")
    # a warning fails only when asked; thresholds per metric
    only_b = write("b.json", doc([workload("a", 1000, 1.0, 5.0), workload("b", 880, 1.0, 5.4),
                                  workload("c", 1000, 1.0, 5.0, spread=0.2)]))
    check(diff(only_b).returncode == 0, "a warning alone passes")
    check(diff(only_b, "--fail-on", "warning").returncode == 1, "--fail-on warning")
    r = diff(only_b, "--threshold", "p99_ms=5:7")
    check(r.returncode == 1 and verdicts(r.stdout)[("s/b", "p99_ms")] == "regressed-critical", r.stdout)


def test_refusals():
    other = copy.deepcopy(HOST)
    other["kernel"] = "6.1"
    new = write("host.json", doc([workload("a", 1000, 1.0, 5.0)], host=other))
    r = diff(new)
    check(r.returncode == 2 and "different hosts (kernel" in r.stderr, r.stderr)
    check(diff(new, "--force").returncode == 0, "--force compares anyway")
    sat = doc([workload("a", 1000, 1.0, 5.0)])
    sat["suites"][0]["workloads"][0]["results"]["generator"]["saturated"] = True
    r = diff(write("sat.json", sat))
    check(r.returncode == 2 and "saturated" in r.stderr, r.stderr)
    r = run([BINDPROF, "diff", BASE])
    check(r.returncode == 2 and "give BASE.json and NEW.json" in r.stderr, r.stderr)
    r = diff("/nonexistent.json")
    check(r.returncode == 2 and "cannot read" in r.stderr, r.stderr)
    r = diff(BASE, "--threshold", "bogus")
    check(r.returncode == 2 and "METRIC=WARN:CRIT" in r.stderr, r.stderr)



def prof(framework, workloads_):
    d = doc(workloads_)
    d["metadata"]["framework"] = framework
    return d


def sampled(name, rates):
    w = workload(name, sorted(rates)[len(rates) // 2], 1.0, 5.0)
    w["results"]["repeats"] = {"count": len(rates), "samples": [
        {"requests_per_sec": r, "p50_ms": 1.0, "p99_ms": 5.0} for r in rates]}
    return w


def test_compare_names_only_significant_winners():
    fast = write("fast.json", prof("fast", [sampled("x", [1300, 1310, 1290, 1305, 1295]),
                                            sampled("y", [1000, 1020, 980, 1010, 990]),
                                            sampled("z", [1300, 1310, 1290])]))
    slow = write("slow2.json", prof("slow", [sampled("x", [1000, 1010, 990, 1005, 995]),
                                             sampled("y", [1005, 1015, 985, 995, 1000]),
                                             sampled("z", [1000, 1010, 990])]))
    out, md = os.path.join(TMP, "cmp.json"), os.path.join(TMP, "cmp.md")
    r = run([BINDPROF, "compare", fast, slow, "-o", out, "--report", md])
    check(r.returncode == 0, r.stderr)
    with open(out) as f:
        d = json.load(f)
    validate(d)
    res = {w["workload"]: w["comparison"] for w in d["results"]}
    # x: 30% faster, five repeats each, completely separated: exact p = 2/252
    check(res["x"]["winner"] == "fast", res["x"])
    sig = res["x"]["statistical_significance"]
    check(abs(sig["p_value"] - 2 / 252) < 1e-9 and sig["significant"] and sig["ci_low"] > 1.02, sig)
    check(abs(res["x"]["performance_ratios"]["fast_vs_slow"] - 1.3) < 1e-9, res["x"]["performance_ratios"])
    # y: the same speed: no winner from noise
    check(res["y"]["winner"] is None and not res["y"]["statistical_significance"]["significant"], res["y"])
    # z: 30% faster but three repeats each: the exact test cannot reach 5%, and says so
    check(res["z"]["winner"] is None and "too few repeats" in res["z"]["statistical_significance"]["note"], res["z"])
    sm = d["summary"]
    check(sm["overall_winner"] == "fast" and sm["workloads_won"] == {"fast": 1, "slow": 0}, sm)
    check(abs(sm["average_performance_gain_percent"] - 30) < 1e-9, sm)
    with open(md) as f:
        text = f.read()
    check("| s/x | fast | 1.300 |" in text and "**significant**" in text and "too few repeats" in text, text)
    r = run([BINDPROF, "compare", fast, BASE.replace("base", "nope")])
    check(r.returncode == 2 and "cannot read" in r.stderr, r.stderr)
    r = run([BINDPROF, "compare", fast])
    check(r.returncode == 2, r.stderr)


if __name__ == "__main__":
    sys.exit(main(sys.modules[__name__]))
