# SPDX-License-Identifier: GPL-2.0-only
"""bindprof diff and compare on results whose differences are known.

Files (no root needed): a workload 30% slower in every repeat, one 12% slower, one inside the
runs' own spread, every answer a 500 at the same speed, a load configuration that differs, a
workload on one side only, targets met and missed, one sample a side; the same file against
itself. Live apps (root): two demo apps, one of them deliberately slower on one endpoint
(demo_server.py --slow: 150% more CPU per request there), compared with compare --frameworks; and
two profiles of the same app, diffed."""
import copy
import json
import os
import socket
import sys
import tempfile

sys.path.insert(0, os.path.dirname(__file__))
from harness import BINDPROF, ROOT, Skip, check, main, run, validate, free_port  # noqa: E402

TMP = tempfile.mkdtemp(prefix="bindprof-diff-")
HOST = {"hostname": "h", "os": "Debian", "arch": "x86_64", "cpu_model": "cpu", "cpu_cores": 2,
        "memory_gb": 23.5, "kernel": "6.18"}
CONFIG = {"concurrency": 50, "duration_secs": 2, "rate": None, "probes": []}
JITTER = [1.0, 1.01, 0.99, 1.005, 0.995]  # five passes within +-1% of each other


def workload(name, rps, p50, p99, spread=1.0, repeats=5, total=10000, status_5xx=0, status_4xx=0, gil=100.0):
    """results with `repeats` clean passes around rps, p50 and p99; spread scales the passes'
    +-1% jitter (spread=20: +-20%)"""
    jit = [1 + (j - 1) * spread for j in JITTER][:repeats]
    ok = total - status_5xx - status_4xx
    return {"name": name, "payload_size_bytes": 0, "endpoint": {"method": "GET", "path": "/" + name},
            "results": {"throughput": {"requests_per_sec": rps, "total_requests": total, "successful_requests": ok,
                                       "failed_requests": total - ok, "success_rate": ok / total},
                        "latency": {"median_ms": p50, "p99_ms": p99},
                        "errors": {"connect": 0, "read": 0, "write": 0, "timeout": 0,
                                   "status_4xx": status_4xx, "status_5xx": status_5xx},
                        "generator": {"saturated": False},
                        "repeats": {"count": repeats, "samples": [
                            {"requests_per_sec": rps * j, "p50_ms": p50 / j, "p99_ms": p99 / j} for j in jit]},
                        "profiled_throughput": {"total_requests": total},
                        "profiling": {"gil": {"wait_ms_total": gil}}}}


def doc(workloads, host=HOST, config=CONFIG):
    return {"schema_version": 1, "mode": "profile", "metadata": {"host": host}, "configuration": dict(config),
            "suites": [{"name": "s", "workloads": workloads}], "summary": {}}


def write(name, d):
    path = os.path.join(TMP, name)
    with open(path, "w") as f:
        json.dump(d, f)
    return path


BASE = write("base.json", doc([workload("a", 1000, 1.0, 5.0), workload("b", 1000, 1.0, 5.0),
                               workload("c", 1000, 1.0, 5.0, spread=20)]))


def diff(new, *args):
    return run([BINDPROF, "diff", BASE, new, *args])


def verdicts(out):
    """{(workload, metric): (verdict, reason)} from diff's table"""
    v = {}
    for line in out.splitlines():
        parts = line.split(None, 6)
        if len(parts) >= 6 and parts[0].startswith("s/"):
            v[(parts[0], parts[1])] = (parts[5], parts[6] if len(parts) > 6 else "")
    return v


def test_same_run_is_unchanged():
    r = diff(BASE)
    check(r.returncode == 0, r.stdout + r.stderr)
    v = verdicts(r.stdout)
    check({x[0] for x in v.values()} <= {"unchanged", "not-gated"}, r.stdout)
    # the per-request GIL wait: one profiled pass a side, so reported, not gated, and said why
    g = v[("s/a", "gil_wait_us_per_request")]
    check(g[0] == "not-gated" and g[1].startswith("not-gated: one sample: profiled passes give no between-run "
                                                  "noise model") and "--profile-all" in g[1], v)


def test_partial_run_is_said():
    """An interrupted run compared as it is, with a warning naming it (a gate would else trust it)."""
    d = doc([workload("a", 1000, 1.0, 5.0), workload("b", 1000, 1.0, 5.0), workload("c", 1000, 1.0, 5.0, spread=20)])
    d["partial"], d["partial_reason"] = True, "interrupted"
    r = diff(write("partial.json", d))
    check(r.returncode == 0, r.stdout + r.stderr)
    check("partial.json is a partial run (interrupted)" in r.stderr, r.stderr)
    check("partial run" not in diff(BASE).stderr, "a whole run called partial")


def test_thirty_percent_every_repeat_fails():
    new = write("slow.json", doc([workload("a", 700, 1.43, 7.0), workload("b", 880, 1.0, 5.0),
                                  workload("c", 850, 1.0, 5.0, spread=15)]))
    md, out = os.path.join(TMP, "r.md"), os.path.join(TMP, "verdicts.json")
    r = diff(new, "--report", md, "-o", out)
    check(r.returncode == 1, f"exit {r.returncode}: {r.stdout}{r.stderr}")
    v = verdicts(r.stdout)
    check(v[("s/a", "requests_per_sec")][0] == "regressed-critical", v)   # -30% in every repeat
    check(v[("s/a", "p99_ms")][0] == "regressed-critical", v)             # +40% in every repeat
    check(v[("s/b", "requests_per_sec")][0] == "regressed", v)            # -12%, passes 1% apart
    # -15% with passes +-15% apart: unchanged, and the reason says why (not significant, or noise)
    c = v[("s/c", "requests_per_sec")]
    check(c[0] == "unchanged" and ("not significant" in c[1] or "noise" in c[1]), c)
    with open(out) as f:
        d = json.load(f)
    check(d["summary"]["exit_status"] == 1 and d["summary"]["regressed_critical"] >= 2, d["summary"])
    a = next(w for w in d["workloads"] if w["workload"] == "s/a")
    rps = next(m for m in a["metrics"] if m["metric"] == "requests_per_sec")
    # the medians with their order-statistic CIs (5 passes: [min, max], 93.75%) and the ratio CI
    check(rps["base"]["median"] == 1000 and rps["base"]["ci"] == [990, 1010], rps)
    check(abs(rps["base"]["ci_level"] - 0.9375) < 1e-9 and abs(rps["change_percent"] + 30) < 1e-9, rps)
    check(0.68 < rps["ratio_ci"][0] <= rps["ratio_ci"][1] < 0.72, rps)
    with open(md) as f:
        text = f.read()
    check(text.startswith("## bindprof diff: \u274c regression"), text[:80])
    check("| s/a | requests_per_sec | 1000.0 | 700.0 | -30.0% | **regressed-critical** |" in text, text)
    check(text.index("### Significant changes") < text.index("s/a | requests_per_sec") < text.index("### Everything else"),
          text)
    # --fail-on critical: the -12% alone passes; a higher minimum effect makes it unchanged
    only_b = write("b.json", doc([workload("a", 1000, 1.0, 5.0), workload("b", 880, 1.0, 5.0),
                                  workload("c", 1000, 1.0, 5.0, spread=20)]))
    check(diff(only_b).returncode == 1, "a regression fails by default")
    check(diff(only_b, "--fail-on", "critical").returncode == 0, "--fail-on critical")
    r = diff(only_b, "--threshold", "requests_per_sec=15:30", "--threshold", "p50_ms=15:30",
             "--threshold", "p99_ms=15:30")
    check(r.returncode == 0 and "below the 15.0% minimum effect" in verdicts(r.stdout)[("s/b", "requests_per_sec")][1],
          r.stdout)


def test_all_5xx_at_the_same_speed_fails():
    new = write("5xx.json", doc([workload("a", 1000, 1.0, 5.0), workload("b", 1000, 1.0, 5.0, status_5xx=10000),
                                 workload("c", 1000, 1.0, 5.0, spread=20)]))
    r = diff(new)
    check(r.returncode == 1, f"exit {r.returncode}: {r.stdout}{r.stderr}")
    v = verdicts(r.stdout)
    check(v[("s/b", "requests_per_sec")][0] == "unchanged", v)
    check(v[("s/b", "error_rate")][0] == "regressed-critical" and "0% -> 100%" in v[("s/b", "error_rate")][1], v)
    check("failed: s/b in the new run: no successful answer (0 4xx, 10000 5xx" in r.stdout, r.stdout)
    # 0.5% of 5xx: not a failed workload, and under a percentage point more: unchanged; 2%: failed
    half = write("5xx-half.json", doc([workload("a", 1000, 1.0, 5.0), workload("b", 1000, 1.0, 5.0, status_5xx=50),
                                       workload("c", 1000, 1.0, 5.0, spread=20)]))
    r = diff(half)
    check(r.returncode == 0 and verdicts(r.stdout)[("s/b", "error_rate")][0] == "unchanged", r.stdout)
    check("0% -> 0.50%" in verdicts(r.stdout)[("s/b", "error_rate")][1], r.stdout)
    r = diff(half, "--min-success", "99.9")
    check(r.returncode == 1 and "below 99.9%" in r.stdout, r.stdout)


def test_configuration_mismatch_is_refused():
    rate = dict(CONFIG, rate=2000)
    new = write("rate.json", doc([workload("a", 430, 1.0, 5.0)], config=rate))
    r = diff(new)
    check(r.returncode == 2 and "a closed loop against a fixed --rate" in r.stderr
          and len(r.stderr.strip().splitlines()) == 1, r.stderr)
    conc = write("conc.json", doc([workload("a", 1000, 1.0, 5.0)], config=dict(CONFIG, concurrency=10)))
    r = diff(conc)
    check(r.returncode == 2 and "concurrency 50 against 10" in r.stderr, r.stderr)
    probes = write("probes.json", doc([workload("a", 1000, 1.0, 5.0)], config=dict(CONFIG, probes=["gil"])))
    r = diff(probes)
    check(r.returncode == 2 and "probe set [] against [\"gil\"]" in r.stderr, r.stderr)
    dur = write("dur.json", doc([workload("a", 1000, 1.0, 5.0)], config=dict(CONFIG, duration_secs=10)))
    check("pass duration (s) 2 against 10" in diff(dur).stderr, "duration")
    r = diff(new, "--force")
    check(r.returncode in (0, 1) and "s/a" in r.stdout, r.stderr)


def test_missing_workload_is_listed():
    new = write("missing.json", doc([workload("a", 1000, 1.0, 5.0), workload("d", 1000, 1.0, 5.0)]))
    r = diff(new)
    check(r.returncode == 0, f"exit {r.returncode}: {r.stdout}{r.stderr}")
    v = verdicts(r.stdout)
    check(v[("s/b", "-")][0] == "missing" and v[("s/c", "-")][0] == "missing", v)
    check(v[("s/d", "-")][0] == "new", v)
    check("2 missing, 1 new" in r.stdout, r.stdout)
    r = diff(new, "--fail-on", "missing")
    check(r.returncode == 1, f"--fail-on missing: exit {r.returncode}")


def test_targets():
    r = diff(BASE, "--target", "p99_ms<=6", "--target", "a:requests_per_sec>=2000")
    check(r.returncode == 1, f"a missed target: exit {r.returncode}: {r.stdout}")
    lines = [l for l in r.stdout.splitlines() if l.startswith("target ")]
    check("target pass s/a: p99_ms<=6: 5, met-target" in lines, lines)
    check("target FAIL s/a: a:requests_per_sec>=2000: 1000, missed-critical" in lines, lines)
    check(len(lines) == 4, lines)  # p99 on a, b and c; requests/s on a
    levels = os.path.join(TMP, "levels.txt")
    with open(levels, "w") as f:
        f.write("# metric op target acceptable critical\np99_ms <= 4 6 10\nc:p50_ms <= 0.5 0.8 0.9\n")
    r = diff(BASE, "--targets", levels)
    lines = [l for l in r.stdout.splitlines() if l.startswith("target ")]
    check("target pass s/a: p99_ms <= 4 / 6 / 10: 5, met-acceptable" in lines, lines)
    # p50 1.0 ms misses the critical 0.9: exit 1
    check("target FAIL s/c: c:p50_ms <= 0.5 / 0.8 / 0.9: 1, missed-critical" in lines and r.returncode == 1, r.stdout)
    with open(levels, "w") as f:
        f.write("p99_ms <= 4 10 6\n")
    r = diff(BASE, "--targets", levels)
    check(r.returncode == 2 and "levels.txt:1: the levels must run from target to critical" in r.stderr, r.stderr)
    r = diff(BASE, "--target", "p99_ms=<10")
    check(r.returncode == 2 and "'p99_ms=' is not a metric name" in r.stderr, r.stderr)
    r = diff(BASE, "--target", "p99_ms=10")
    check(r.returncode == 2 and "OP one of" in r.stderr, r.stderr)


def test_diff_input_and_failed_workloads_issue():
    """--target with an unknown metric is bad input at parse time; a workload failed in both runs
    still exits 1 (a failed workload in the new run); negative and infinite figures are refused."""
    r = diff(BASE, "--target", "foo<=5")
    check(r.returncode == 2 and "unknown metric 'foo'" in r.stderr and len(r.stderr.strip().splitlines()) == 1,
          f"{r.returncode} {r.stderr}")
    both = write("both-failed.json", doc([workload("a", 1000, 1.0, 5.0, status_5xx=10000)]))
    r = run([BINDPROF, "diff", both, both])
    check(r.returncode == 1 and "failed workloads in the new run" in r.stdout, f"exit {r.returncode}: {r.stdout}")
    neg = doc([workload("a", -1000, 1.0, 5.0)])
    r = diff(write("negative.json", neg))
    check(r.returncode == 2 and "requests_per_sec: -1000, a negative figure" in r.stderr, f"{r.returncode} {r.stderr}")
    path = os.path.join(TMP, "inf.json")
    with open(path, "w") as f:
        f.write(json.dumps(doc([workload("a", 1000, 1.0, 5.0)])).replace('"p99_ms": 5.0', '"p99_ms": 1e999', 1))
    r = diff(path)
    check(r.returncode == 2 and "latency.p99_ms: not a finite number" in r.stderr, f"{r.returncode} {r.stderr}")


def test_one_sample_is_reported_not_gated():
    base1 = write("one-base.json", doc([workload("a", 1000, 1.0, 5.0, repeats=1)]))
    new1 = write("one-new.json", doc([workload("a", 700, 1.43, 7.0, repeats=1)]))
    r = run([BINDPROF, "diff", base1, new1])
    check(r.returncode == 0, f"exit {r.returncode}: {r.stdout}")
    v = verdicts(r.stdout)
    check(v[("s/a", "requests_per_sec")] == ("not-gated", "not-gated: one sample"), v)
    r = run([BINDPROF, "diff", base1, new1, "--gate", "requests_per_sec"])
    check(r.returncode == 1 and verdicts(r.stdout)[("s/a", "requests_per_sec")][0] == "regressed-critical", r.stdout)


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
    busy = doc([workload("a", 1000, 1.0, 5.0)])
    busy["suites"][0]["workloads"][0]["results"]["host_load"] = {
        "high": True, "reason": "other processes used 91.0% of the host's CPU during the pass (limit 75%)"}
    r = diff(write("busy.json", busy))
    check(r.returncode == 2 and "high host load (other processes used 91.0%" in r.stderr, r.stderr)
    r = run([BINDPROF, "diff", BASE])
    check(r.returncode == 2 and "give BASE.json and NEW.json" in r.stderr, r.stderr)
    r = diff("/nonexistent.json")
    check(r.returncode == 2 and "cannot read" in r.stderr, r.stderr)
    r = diff(BASE, "--threshold", "bogus")
    check(r.returncode == 2 and "METRIC=MIN:CRIT" in r.stderr, r.stderr)
    # each of these silently turned the gate off before
    for t in ("p99_ms=nan:nan", "p99_ms=inf:inf", "p99_ms=:", "p99_ms=:5"):
        r = diff(BASE, "--threshold", t)
        check(r.returncode == 2 and "--threshold" in r.stderr and len(r.stderr.strip().splitlines()) == 1,
              f"{t}: {r.returncode} {r.stderr}")
    r = diff(BASE, "--fail-on", "sometimes")
    check(r.returncode == 2 and "not regressed, critical or missing" in r.stderr, r.stderr)


def test_malformed_files_are_one_line_not_a_crash():
    # the smallest inputs that crashed diff and compare with a NULL dereference
    cases = [
        ({"mode": "profile", "suites": [{"workloads": [{"name": "w", "results": {}}]}]},
         "suites[0].name: missing"),
        ({"mode": "profile", "suites": [{"name": "s", "workloads": [{"name": 5}, {"name": "w"}]}]},
         "suites[0].workloads[0].name: a number, not a string"),
        ({"mode": "profile", "suites": [{"name": "s", "workloads": [{"results": {}}]}]},
         "suites[0].workloads[0].name: missing"),
        (doc([{"name": "a", "results": {"latency": {"p99_ms": "5"}}}]),
         "suites[0].workloads[0].results.latency.p99_ms: a string, not a number"),
    ]
    for i, (d, msg) in enumerate(cases):
        path = write(f"bad{i}.json", d)
        for cmd in (["diff", path, path, "--force"], ["diff", BASE, path, "--force"],
                    ["compare", path, path], ["compare", BASE, path]):
            r = run([BINDPROF, *cmd])
            check(r.returncode == 2 and msg in r.stderr and len(r.stderr.strip().splitlines()) == 1,
                  f"{cmd}: exit {r.returncode}: {r.stderr}")



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
                                            sampled("z", [1300, 1310, 1290]),
                                            sampled("q", [1300, 1310])]))
    slow = write("slow2.json", prof("slow", [sampled("x", [1000, 1010, 990, 1005, 995]),
                                             sampled("y", [1005, 1015, 985, 995, 1000]),
                                             sampled("z", [1000, 1010, 990]),
                                             sampled("q", [1000, 1010])]))
    out, md = os.path.join(TMP, "cmp.json"), os.path.join(TMP, "cmp.md")
    r = run([BINDPROF, "compare", fast, slow, "-o", out, "--report", md])
    check(r.returncode == 0, r.stderr)
    with open(out) as f:
        d = json.load(f)
    validate(d)
    res = {w["workload"]: w["comparison"] for w in d["results"]}
    # x: 30% faster, five repeats each, completely separated: exact p = 2/252; the Moses interval
    # of the ratio (90% two-sided: 1 - 2 * 12/252), clear of the noise band
    check(res["x"]["winner"] == "fast", res["x"])
    sig = res["x"]["statistical_significance"]
    check(abs(sig["p_value"] - 2 / 252) < 1e-9 and sig["significant"] and sig["ci_low"] > 1.25, sig)
    check(abs(sig["confidence"] - (1 - 24 / 252)) < 1e-9 and sig["min_effect_percent"] == 2, sig)
    check(abs(res["x"]["performance_ratios"]["fast_vs_slow"] - 1.3) < 1e-9, res["x"]["performance_ratios"])
    # y: the same speed: no winner from noise
    check(res["y"]["winner"] is None and not res["y"]["statistical_significance"]["significant"], res["y"])
    # z: 30% faster with three repeats each: diff's procedure gates from 3 a side, with the widest
    # interval (min/max against max/min, 90%), which clears the band here
    zs = res["z"]["statistical_significance"]
    check(res["z"]["winner"] == "fast" and abs(zs["confidence"] - 0.9) < 1e-9, res["z"])
    check(abs(zs["ci_low"] - 1290 / 1010) < 1e-9, zs)
    # q: two repeats each: reported, no winner, and the note says why
    check(res["q"]["winner"] is None and res["q"]["statistical_significance"]["note"].startswith("not-gated: 2 samples"),
          res["q"])
    sm = d["summary"]
    check(sm["overall_winner"] == "fast" and sm["workloads_won"] == {"fast": 2, "slow": 0}, sm)
    check(abs(sm["average_performance_gain_percent"] - 30) < 1e-9, sm)
    with open(md) as f:
        text = f.read()
    check("| s/x | fast | 1.300 |" in text and "**significant**" in text and "too few repeats" in text, text)
    r = run([BINDPROF, "compare", fast, BASE.replace("base", "nope")])
    check(r.returncode == 2 and "cannot read" in r.stderr, r.stderr)
    r = run([BINDPROF, "compare", fast])
    check(r.returncode == 2, r.stderr)


def test_compare_checks_its_inputs():
    """compare applies diff's input checks, never names a failed workload the winner, and names
    two files that share a base name apart"""
    a = write("fw-a.json", doc([sampled("x", [1000, 1010, 990, 1005, 995])]))
    other = copy.deepcopy(HOST)
    other["hostname"] = "elsewhere"
    b = write("fw-b.json", doc([sampled("x", [1000, 1010, 990, 1005, 995])], host=other))
    r = run([BINDPROF, "compare", a, b])
    check(r.returncode == 2 and "different hosts (hostname" in r.stderr, r.stderr)
    check(run([BINDPROF, "compare", a, b, "--force"]).returncode == 0, "--force")
    rate = write("fw-rate.json", doc([sampled("x", [1000, 1010, 990, 1005, 995])], config=dict(CONFIG, rate=500)))
    r = run([BINDPROF, "compare", a, rate])
    check(r.returncode == 2 and "closed loop against a fixed --rate" in r.stderr, r.stderr)
    # every answer a 404, 30% "faster": never the winner
    fast404 = sampled("x", [1300, 1310, 1290, 1305, 1295])
    fast404["results"]["throughput"].update(successful_requests=0, success_rate=0)
    fast404["results"]["errors"]["status_4xx"] = fast404["results"]["throughput"]["total_requests"]
    d404 = os.path.join(TMP, "d404")
    os.makedirs(os.path.join(d404, "a"), exist_ok=True)
    os.makedirs(os.path.join(d404, "b"), exist_ok=True)
    pa, pb = os.path.join(d404, "a", "run.json"), os.path.join(d404, "b", "run.json")
    with open(pa, "w") as f:
        json.dump(doc([fast404]), f)
    with open(pb, "w") as f:
        json.dump(doc([sampled("x", [1000, 1010, 990, 1005, 995])]), f)
    out = os.path.join(TMP, "cmp404.json")
    r = run([BINDPROF, "compare", pa, pb, "-o", out])
    # written in full, and exit 4: a failed framework was not compared, which a CI must not read as passed
    check(r.returncode == 4 and "compare: run.json failed s/x" in r.stderr, f"{r.returncode}: {r.stderr}")
    with open(out) as f:
        d = json.load(f)
    check([fw["name"] for fw in d["frameworks"]] == ["run.json", pb], d["frameworks"])
    x = d["results"][0]
    check(x["comparison"]["winner"] is None and x["failed"] == ["run.json"], x)
    # the table and the markdown say so: not compared, the failed one named with its reason
    md = os.path.join(TMP, "cmp404.md")
    r = run([BINDPROF, "compare", pa, pb, "--report", md])
    total = fast404["results"]["throughput"]["total_requests"]
    want = f"not compared; failed: run.json: no successful answer ({total} 4xx, 0 5xx"
    row = [ln for ln in r.stdout.splitlines() if ln.startswith("x ")]
    check(r.returncode == 4 and row and want in row[0], f"table row {row}: want {want!r}")
    with open(md) as f:
        check(want in f.read(), f"markdown lacks {want!r}")
    # report of the compare file: the ratio CI at its own level, and the failed framework named
    r = run([BINDPROF, "report", out])
    sig = x["comparison"]["statistical_significance"]
    ci = f"{sig['ci_low']:.3f}..{sig['ci_high']:.3f} ({100 * sig['confidence']:.0f}%)"
    row = [ln for ln in r.stdout.splitlines() if ln.strip().startswith("s/x ")]
    check(r.returncode == 0 and "95% CI" not in r.stdout and row and ci in row[0] and row[0].rstrip().endswith(" run.json"),
          f"report row {row}: want {ci!r} and failed run.json")


SERVER = os.path.join(ROOT, "tools", "demo_server.py")
SUITE = {"name": "mini", "workloads": [{"name": "hello", "method": "GET", "path": "/hello"},
                                       {"name": "items", "method": "GET", "path": "/items/42"}]}
LOAD = ["--duration", "1", "--warmup", "0.3", "--concurrency", "8", "-t", "2"]




def app(apps, name, extra="", manifest=None):
    os.makedirs(os.path.join(apps, name), exist_ok=True)
    m = {"name": name, "version": "1.0", "language": "python", "runtime": "cpython",
         "start": f"/usr/bin/python3 {SERVER} {extra}".strip(), "port": free_port(), "health_path": "/hello"}
    m.update(manifest or {})
    with open(os.path.join(apps, name, "bindprof-app.json"), "w") as f:
        json.dump(m, f)


def suite_file():
    return write("mini-suite.json", SUITE)


def test_compare_frameworks_finds_the_slowed_endpoint():
    if os.geteuid() != 0:
        raise Skip("needs root: the first round is profiled")
    apps = os.path.join(TMP, "apps")
    app(apps, "fast")
    # 150% more CPU on /items/42, seven rounds a side: under another job's CPU hog the app's CPU per
    # request moves with the machine (8 handler threads contend for the GIL and the cores): noise
    # bands of 30% to 93% were measured with 5 rounds, and a 60% burn (+73% to +76% CPU per request)
    # read "within noise" there, as a 150% one (+177%) did once at load 50 with 5 rounds. Seven
    # rounds narrow the interval; the band does not shrink with rounds, so the gate is not loosened.
    app(apps, "slow", "--slow /items/42=150")   # PORT comes from the environment
    out, md = os.path.join(TMP, "fw.json"), os.path.join(TMP, "fw.md")
    r = run([BINDPROF, "compare", "--frameworks", "fast,slow", "--apps", apps, "--suite", suite_file(),
             "--repeats", "7", "-o", out, "--report", md, "--force"] + LOAD, timeout=400)
    check(r.returncode == 0, f"compare exited {r.returncode}: {r.stderr}")
    with open(out) as f:
        d = json.load(f)
    validate(d)
    check([fw["name"] for fw in d["frameworks"]] == ["fast", "slow"], d["frameworks"])
    check(d["frameworks"][1]["app"]["start"].endswith("--slow /items/42=150"), d["frameworks"][1])
    res = {w["workload"]: w for w in d["results"]}
    items, hello = res["items"]["comparison"], res["hello"]["comparison"]
    # never the wrong way round: the app burning 150% more CPU on /items/42 is not named faster
    check(items["winner"] in (None, "fast") and hello["winner"] in (None, "fast", "slow"), items)
    check(items["performance_ratios"]["fast_vs_slow"] > 1, items["performance_ratios"])
    # seven clean samples per framework and workload, from interleaved rounds; one profiled round;
    # each sample with the app's CPU per request of its round
    for fw in ("fast", "slow"):
        with open(os.path.join(TMP, f"fw.{fw}.json")) as f:
            p = json.load(f)
        validate(p)
        for w in p["suites"][0]["workloads"]:
            rep = w["results"]["repeats"]
            check(rep["count"] == 7 and len(rep["samples"]) == 7, rep)
            check(all(s["cpu_per_request_ms"] > 0 for s in rep["samples"]), rep)
            check(w["results"]["profiling"]["gil"]["method"], "the first round was profiled")
            # its folded stacks next to the framework's file, not in the working directory
            fp = w["results"]["profiling"]["stacks"]["folded_path"]
            check(fp == os.path.join(TMP, f"fw.{fw}.mini.{w['name']}.folded") and os.path.exists(fp), fp)
    # diff between the two: the slowed endpoint fails the gate, and the report names it.
    # --force: this VM runs other agents' builds and tests, often above the high-load limit
    dmd, dv = os.path.join(TMP, "fw-diff.md"), os.path.join(TMP, "fw-diff.json")
    r = run([BINDPROF, "diff", os.path.join(TMP, "fw.fast.json"), os.path.join(TMP, "fw.slow.json"),
             "--report", dmd, "-o", dv, "--force"])
    check(r.returncode == 1, f"diff exited {r.returncode}: {r.stdout}{r.stderr}")
    items = [l.split() for l in r.stdout.splitlines() if l.startswith("mini/items")]
    check(any(row[5].startswith("regressed") for row in items), items)
    # the ground truth: the handler burns 150% more of its own CPU time per request; the app's
    # whole CPU per request (accept, parsing, the interpreter's own threads) rises by less, and by
    # more when the busy VM stretches the burn loop (the other threads' GIL waits): from 0.4x to 2x
    # the burn, as measured with 60% (+25% to +120%) and 150% (+177%, +235% at load 50): +60% to
    # +300%. (Not the 30% of scripts/bench/verdicts.sh: a test must pass every time; the bench
    # measures how often 30% is caught.)
    with open(dv) as f:
        v = json.load(f)
    it = next(w for w in v["workloads"] if w["workload"] == "mini/items")
    cpu = next(m for m in it["metrics"] if m["metric"] == "cpu_per_request_ms")
    check(60 < cpu["change_percent"] < 300, cpu)
    # one profiled round a side: the per-request GIL wait is reported, not gated, and says why
    g = next(m for m in it["metrics"] if m["metric"] == "gil_wait_us_per_request")
    check(g["verdict"] == "not-gated" and "no between-run noise model" in g["reason"] and "--profile-all" in g["reason"], g)
    with open(dmd) as f:
        text = f.read()
    check(text.startswith("## bindprof diff: \u274c regression") and "| mini/items |" in text, text)
    check(text.index("| mini/items |") < text.index("### Everything else"), "the slowed endpoint comes first")


def test_diff_catches_3ms_on_a_sub_ms_endpoint():
    """A/B: the candidate sleeps 3 ms before answering /hello (a sub-ms endpoint), interleaved
    with the base: diff exits 1 and names the workload."""
    if os.geteuid() != 0:
        raise Skip("needs root for bindprof profile's app handling")
    apps = os.path.join(TMP, "delay-apps")
    app(apps, "base")
    app(apps, "candidate", "--delay /hello=3")
    out = os.path.join(TMP, "delay.json")
    # 3 rounds (the fewest that gate): 3 ms on a sub-ms endpoint clears even the widest interval
    r = run([BINDPROF, "compare", "--frameworks", "base,candidate", "--apps", apps, "--suite", suite_file(),
             "--repeats", "3", "--probes", "none", "-o", out, "--force"] + LOAD, timeout=300)
    check(r.returncode == 0, f"compare exited {r.returncode}: {r.stderr}")
    dv = os.path.join(TMP, "delay-diff.json")
    r = run([BINDPROF, "diff", os.path.join(TMP, "delay.base.json"), os.path.join(TMP, "delay.candidate.json"),
             "-o", dv, "--force"])
    check(r.returncode == 1, f"diff exited {r.returncode}: {r.stdout}{r.stderr}")
    with open(dv) as f:
        v = json.load(f)
    hello = next(w for w in v["workloads"] if w["workload"] == "mini/hello")
    p50 = next(m for m in hello["metrics"] if m["metric"] == "p50_ms")
    # the ground truth: 3 ms more per request on a sub-ms endpoint. Every new request sleeps at
    # least 3 ms, so the new p50 is at least 3 ms; the base's p50 holds queueing behind the GIL that
    # the sleeping requests no longer wait for (measured: 0.95 -> 3.38 ms on a loaded VM), so the
    # rise is most of the 3 ms, not all of it
    d = p50["new"]["median"] - p50["base"]["median"]
    check(p50["verdict"] == "regressed-critical" and p50["new"]["median"] >= 3.0 and 2.0 < d < 6, p50)


def test_server_slowing_down_is_not_steady():
    """A server that slows down during the pass (demo_server.py --ramp: 3 ms more sleep for every
    second) is flagged not-steady; its 1 s interval throughputs are in the JSON, and diff leaves
    the pass out of its statistics and says so."""
    if os.geteuid() != 0:
        raise Skip("needs root for bindprof profile's app handling")
    port = free_port()
    suite = write("ramp-suite.json", {"name": "r", "workloads": [{"name": "ramp", "method": "GET", "path": "/hello"}]})
    out = os.path.join(TMP, "ramp.json")
    r = run([BINDPROF, "profile", "--app-cmd", f"/usr/bin/python3 {SERVER} --port {port} --ramp /hello=1",
             "--url", f"http://127.0.0.1:{port}", "--health-path", "/json", "--suite", suite, "--repeats", "1",
             "--duration", "10", "--warmup", "0.3", "--concurrency", "4", "-t", "1", "--probes", "none", "-o", out],
            timeout=120)
    check(r.returncode == 0, f"profile exited {r.returncode}: {r.stderr}")
    with open(out) as f:
        d = json.load(f)
    validate(d)
    res = d["suites"][0]["workloads"][0]["results"]
    st, iv = res["steady"], res["steady"]["intervals_requests_per_sec"]
    # the ground truth: the sleep grows from ~1 ms to ~19 ms over the pass, so with 4 connections
    # the last second serves well under half the first second's requests
    check(st["state"] == "not-steady" and st["change_percent"] < -10 and "fell" in st["reason"], st)
    check(8 <= len(iv) <= 11 and iv[-1] < 0.5 * iv[0], iv)
    check(res["repeats"]["samples"][0]["steady"] is False, res["repeats"])
    # diff: the not-steady pass is left out; with it gone there is nothing left to gate on
    r = run([BINDPROF, "diff", out, out, "--force"])
    check(r.returncode == 0 and "steady: r/ramp: base 0/1, new 0/1 passes steady" in r.stdout, r.stdout)


def test_all_404_workload_is_failed():
    """A suite path the app does not serve (every answer a 404) is a failed workload: named in a
    warning with its status classes, left out of the summary's average, exit 4 (0 with
    --allow-errors); and report prints the overall success rate truncated, never rounded up."""
    if os.geteuid() != 0:
        raise Skip("needs root for bindprof profile's app handling")
    port = free_port()
    suite = write("404-suite.json", {"name": "f", "workloads": [
        {"name": "missing", "method": "GET", "path": "/items/abc"}, {"name": "ok", "method": "GET", "path": "/json"}]})
    out = os.path.join(TMP, "404.json")
    r = run([BINDPROF, "profile", "--app-cmd", f"/usr/bin/python3 {SERVER} --port {port}",
             "--url", f"http://127.0.0.1:{port}", "--health-path", "/json", "--suite", suite, "--repeats", "1",
             "--duration", "1", "--warmup", "0.2", "--concurrency", "4", "-t", "1", "--probes", "none", "-o", out],
            timeout=120)
    # exit 4, the file written with what was measured
    check(r.returncode == 4 and "1 workload(s) failed" in r.stderr, f"profile exited {r.returncode}: {r.stderr}")
    with open(out) as f:
        d = json.load(f)
    validate(d)
    w = {x["name"]: x["results"] for x in d["suites"][0]["workloads"]}
    h = w["missing"]["health"]
    # the ground truth: the server's own count, every answer a 404
    check(h["failed"] and h["status_classes"]["4xx"] == h["attempts"] == w["missing"]["throughput"]["total_requests"] > 0, h)
    check(not w["ok"]["health"]["failed"], w["ok"]["health"])
    check(any(x["message"].startswith("f/missing failed: no successful answer") for x in d["warnings"]), d["warnings"])
    sm = d["summary"]
    check(sm["failed_workloads"] == 1 and sm["avg_requests_per_sec"] == w["ok"]["throughput"]["requests_per_sec"], sm)
    r = run([BINDPROF, "report", out])
    ok = round(sm["overall_success_rate"] * sm["total_requests"])
    r2 = run([BINDPROF, "profile", "--app-cmd", f"/usr/bin/python3 {SERVER} --port {port}",
              "--url", f"http://127.0.0.1:{port}", "--health-path", "/json", "--suite", suite, "--repeats", "1",
              "--duration", "0.5", "--warmup", "0", "--concurrency", "2", "-t", "1", "--probes", "none",
              "-o", out + ".2", "--allow-errors"], timeout=120)
    check(r2.returncode == 0, f"--allow-errors: exit {r2.returncode}: {r2.stderr}")
    want = f"{int(100 * ok / sm['total_requests'] * 100) / 100:.2f}% successful"
    check(want in r.stdout, (want, r.stdout[-300:]))


def proc_cpu_s(pid):
    """utime + stime of a process, seconds (/proc/PID/stat)"""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def test_diff_same_app_twice_passes():
    """A/A with a CPU hog: two copies of the same app, run interleaved (compare --frameworks, as the
    CI workflow does) while a busy loop started by the test holds core 1, then diffed: nothing is a
    regression. Each round's host load is recorded: the other processes' CPU share holds the hog's,
    and compare refuses (exit 3) exactly when most of a workload's rounds were above the limits."""
    if os.geteuid() != 0:
        raise Skip("needs root for bindprof profile's app handling")
    import subprocess
    import time
    apps = os.path.join(TMP, "same-apps")
    app(apps, "base")
    app(apps, "candidate")
    out = os.path.join(TMP, "same.json")
    suite = write("same-suite.json", {"name": "mini", "workloads": [{"name": "hello", "method": "GET", "path": "/hello"}]})
    hog = subprocess.Popen(["taskset", "-c", "1", "/usr/bin/python3", "-c", "while True: pass"])
    try:
        t0, c0 = time.monotonic(), proc_cpu_s(hog.pid)
        # compare's default rounds (9): with 5, A/A on this busy VM failed 2 of 3 pairs (docs/CI.md)
        r = run([BINDPROF, "compare", "--frameworks", "base,candidate", "--apps", apps, "--suite", suite,
                 "--probes", "none", "-o", out] + LOAD, timeout=300)
        hog_pct = 100 * (proc_cpu_s(hog.pid) - c0) / ((time.monotonic() - t0) * os.cpu_count())
    finally:
        hog.kill()
        hog.wait()
    check(r.returncode in (0, 3), f"compare exited {r.returncode}: {r.stderr}")
    high, sat = {}, {}
    for fw in ("base", "candidate"):
        with open(os.path.join(TMP, f"same.{fw}.json")) as f:
            p = json.load(f)
        for w in p["suites"][0]["workloads"]:
            smp = w["results"]["repeats"]["samples"]
            check(len(smp) == 9 and all(isinstance(x["host_load_high"], bool) for x in smp), smp)
            # the ground truth: the hog's own CPU time over the comparison, a share of the machine
            # (one core of two: at most 50%; far less when other agents' jobs crowd core 1, as the
            # load average of 30 measured while this was written); the others' share in each
            # round includes it
            others = sorted(x["host_others_percent"] for x in smp)
            check(0.7 * hog_pct <= others[4] <= 100 and 0 < hog_pct <= 52, (hog_pct, others))
            high[(fw, w["name"])] = 2 * sum(x["host_load_high"] for x in smp) > len(smp)
            sat[fw] = sat.get(fw, False) or w["results"]["generator"]["saturated"] is True
        warned = any(x["section"] == "host_load" for x in p["warnings"])
        check(warned == any(x["host_load_high"] for w in p["suites"][0]["workloads"]
                            for x in w["results"]["repeats"]["samples"]), p["warnings"])
    # refused (exit 3) exactly when diff's input checks would refuse the merged files: most rounds
    # under high host load, or a saturated load generator (the other checks hold by construction)
    refuse = any(high.values()) or any(sat.values())
    check((r.returncode == 3) == refuse, (r.returncode, high, sat, r.stderr))
    if r.returncode == 3:
        check(("high host load" in r.stderr or "saturated" in r.stderr) and "--force" in r.stderr, r.stderr)
    # --force: this VM runs other agents' builds and tests, often above the high-load limit
    r = run([BINDPROF, "diff", os.path.join(TMP, "same.base.json"), os.path.join(TMP, "same.candidate.json"),
             "--force"])
    check(r.returncode == 0, f"the same app twice with a CPU hog: diff exited {r.returncode}:\n{r.stdout}")
    r = run([BINDPROF, "diff", os.path.join(TMP, "same.base.json"), os.path.join(TMP, "same.candidate.json")])
    check(r.returncode == (2 if refuse else 0), f"diff without --force: {r.returncode} {r.stderr}")

def profile_demo(out, repeats=3, extra=()):
    """the demo server profiled with the mini suite: `repeats` 1 s clean passes a workload"""
    port = free_port()
    r = run([BINDPROF, "profile", "--app-cmd", f"/usr/bin/python3 {SERVER} --port {port}",
             "--url", f"http://127.0.0.1:{port}", "--health-path", "/hello", "--suite", suite_file(),
             "--repeats", str(repeats), "--probes", "none", "-o", out, *extra] + LOAD, timeout=180)
    check(r.returncode == 0, f"profile exited {r.returncode}: {r.stderr}")
    with open(out) as f:
        return json.load(f)


def test_baseline_save_and_check():
    """bindprof baseline on a real server's run: no baseline for the host yet (check: exit 2), the
    first save pins the run as it is, under a key of the host's identity; check of the same run
    passes; a copy 40% slower in every repeat is not pinned (exit 1) and check fails on it; a run
    whose app died is never pinned (exit 4); another kernel is another host (exit 2)."""
    if os.geteuid() != 0:
        raise Skip("needs root for bindprof profile's app handling")
    run1 = os.path.join(TMP, "bl-run1.json")
    d = profile_demo(run1, repeats=5)
    bdir = os.path.join(TMP, "baselines")
    # --force (diff's): this VM runs other agents' builds and tests, often above the high-load limit
    r = run([BINDPROF, "baseline", "check", run1, "--dir", bdir, "--force"])
    check(r.returncode == 2 and "no baseline for this host" in r.stderr, f"{r.returncode} {r.stderr}")
    r = run([BINDPROF, "baseline", "save", run1, "--dir", bdir, "--force"])
    check(r.returncode == 0 and "the host's first" in r.stdout, f"{r.returncode} {r.stdout}{r.stderr}")
    pinned = [f for f in os.listdir(bdir)]
    host = d["metadata"]["host"]["hostname"]
    check(len(pinned) == 1 and pinned[0].startswith(host + "-") and len(pinned[0]) == len(host) + 14, pinned)
    path = os.path.join(bdir, pinned[0])
    with open(path, "rb") as a, open(run1, "rb") as b:
        check(a.read() == b.read(), "the pinned baseline is the run, byte for byte")
    r = run([BINDPROF, "baseline", "check", run1, "--dir", bdir, "--force", "-o", os.path.join(TMP, "bl.json")])
    check(r.returncode == 0, f"the baseline against itself: {r.returncode}\n{r.stdout}{r.stderr}")
    # the same run, half as fast in every repeat of every workload (the real run's own figures,
    # scaled: its passes' spread on this busy VM reaches 2x at 3 repeats, hence 5 repeats and 50%)
    slow = copy.deepcopy(d)
    for w in slow["suites"][0]["workloads"]:
        for smp in w["results"]["repeats"]["samples"]:
            smp["requests_per_sec"] *= 0.5
            smp["p50_ms"] /= 0.5
            smp["p99_ms"] /= 0.5
    reg = write("bl-slow.json", slow)
    r = run([BINDPROF, "baseline", "save", reg, "--dir", bdir, "--force"])
    check(r.returncode == 1 and "not pinned" in r.stderr, f"{r.returncode} {r.stderr}")
    rows = verdicts(r.stdout.replace("mini/", "s/"))
    check(any(v.startswith("regressed") for (w, m), (v, _) in rows.items()
              if m in ("requests_per_sec", "p50_ms", "p99_ms")), rows)
    check(all(rows[(w, "requests_per_sec")][1].startswith("-50.0%") for w in ("s/hello", "s/items")), rows)
    with open(path, "rb") as a, open(run1, "rb") as b:
        check(a.read() == b.read() and len(os.listdir(bdir)) == 1, "a regressed run is not pinned")
    r = run([BINDPROF, "baseline", "check", reg, "--dir", bdir, "--force"])
    check(r.returncode == 1 and "-50.0%" in r.stdout, f"{r.returncode} {r.stdout}")
    # re-pinned when no regression: the old one kept as KEY.previous.json
    r = run([BINDPROF, "baseline", "save", run1, "--dir", bdir, "--force"])
    check(r.returncode == 0 and os.path.exists(path[:-5] + ".previous.json"), f"{r.returncode} {r.stderr}")
    dead = copy.deepcopy(d)
    dead.update(partial=True, partial_reason="target_exited")
    dead_p = write("bl-dead.json", dead)
    for sub in ("save", "check"):
        r = run([BINDPROF, "baseline", sub, dead_p, "--dir", bdir])
        check(r.returncode == 4 and "the app exited during the run" in r.stderr, f"{sub}: {r.returncode} {r.stderr}")
    other = copy.deepcopy(d)
    other["metadata"]["host"]["kernel"] = "0.0-other"
    r = run([BINDPROF, "baseline", "check", write("bl-other.json", other), "--dir", bdir])
    check(r.returncode == 2 and "no baseline for this host" in r.stderr, f"{r.returncode} {r.stderr}")
    r = run([BINDPROF, "baseline", "check", "--dir", bdir])
    check(r.returncode == 2 and r.stderr.count("\n") == 1, r.stderr)
    # a --dir that is a file: bad input (exit 2, one line), not an environment failure after the diff
    for sub in ("save", "check"):
        r = run([BINDPROF, "baseline", sub, run1, "--dir", run1, "--force"])
        check(r.returncode == 2 and r.stderr.count("\n") == 1 and "is not a directory" in r.stderr,
              f"{sub} --dir FILE: {r.returncode} {r.stderr}")


def test_compare_profile_all_gates_per_request_metrics():
    """compare --frameworks --profile-all: every round profiled, so each framework's GIL wait per
    request has one sample a round, and diff gates it (3 rounds a side: a test, not "not-gated")."""
    if os.geteuid() != 0:
        raise Skip("needs root: every round is profiled")
    apps = os.path.join(TMP, "pa-apps")
    app(apps, "a")
    app(apps, "b")
    suite = write("pa-suite.json", {"name": "one", "workloads": [{"name": "hello", "method": "GET", "path": "/hello"}]})
    out = os.path.join(TMP, "pa.json")
    r = run([BINDPROF, "compare", "--frameworks", "a,b", "--apps", apps, "--suite", suite, "--repeats", "3",
             "--profile-all", "--probes", "gil", "-o", out, "--force"] + LOAD, timeout=300)
    check(r.returncode == 0, f"compare exited {r.returncode}: {r.stderr}")
    med = {}
    for fw in ("a", "b"):
        with open(os.path.join(TMP, f"pa.{fw}.json")) as f:
            res = json.load(f)["suites"][0]["workloads"][0]["results"]
        gil = [x["gil_wait_us_per_request"] for x in res["repeats"]["samples"]]
        # round 1's sample is the merged file's own profiled pass: its GIL wait over its requests
        want = 1e3 * res["profiling"]["gil"]["wait_ms_total"] / res["profiled_throughput"]["total_requests"]
        check(len(gil) == 3 and abs(gil[0] - want) <= 1e-6 * (1 + want), (gil, want))
        med[fw] = sorted(gil)[1]
    dv = os.path.join(TMP, "pa-diff.json")
    run([BINDPROF, "diff", os.path.join(TMP, "pa.a.json"), os.path.join(TMP, "pa.b.json"), "--force", "-o", dv])
    with open(dv) as f:
        v = json.load(f)
    g = next(m for m in v["workloads"][0]["metrics"] if m["metric"] == "gil_wait_us_per_request")
    check(g["verdict"] != "not-gated" and g["base"]["n"] == 3 == g["new"]["n"], g)
    check(abs(g["base"]["median"] - med["a"]) < 1e-6 * (1 + med["a"]) and
          abs(g["new"]["median"] - med["b"]) < 1e-6 * (1 + med["b"]), (g, med))


def test_compare_frameworks_bad_input():
    apps = os.path.join(TMP, "badapps")
    app(apps, "ok")
    os.makedirs(os.path.join(apps, "empty"), exist_ok=True)
    app(apps, "broken", manifest={"port": "80"})
    os.makedirs(os.path.join(apps, "garbled"), exist_ok=True)
    with open(os.path.join(apps, "garbled", "bindprof-app.json"), "w") as f:
        f.write('{"name": "garbled",')
    for fws, msg in [("ok,empty", "empty/bindprof-app.json: cannot read the app manifest"),
                     ("ok,broken", "broken/bindprof-app.json: field \"port\" must be an integer"),
                     ("ok,garbled", "garbled/bindprof-app.json: malformed JSON"),
                     ("ok", "at least two"), ("ok,ok", "'ok' is given twice"), ("ok,../x", "not an app directory name")]:
        r = run([BINDPROF, "compare", "--frameworks", fws, "--apps", apps])
        check(r.returncode == 2 and msg in r.stderr and len(r.stderr.strip().splitlines()) == 1,
              f"{fws}: {r.returncode} {r.stderr}")
    r = run([BINDPROF, "compare", "--frameworks", "ok,ok"])
    check(r.returncode == 2 and "--frameworks and --apps go together" in r.stderr, r.stderr)


if __name__ == "__main__":
    sys.exit(main(sys.modules[__name__]))
