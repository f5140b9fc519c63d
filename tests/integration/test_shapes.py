# SPDX-License-Identifier: GPL-2.0-only
"""profile's load shapes and memory checks against tests/integration/shapesapp.py.

Ground truths, all from the app itself:
- a ramp from 0 to R over S s sends exactly R S / 2 requests (the app counts them), and the pass
  after it exactly R x duration;
- a burst against a queue served one at a time (a backlog that drains): the recovery time is what
  the 0.1 s-stepped windows' p99s show (recomputed exactly), agrees with the 1 s intervals (every
  interval between the burst's end and the recovery is above the level, none back earlier), and
  the burst did raise p99 above the level. (The completions per window returning to the base
  rate would mark the drain on an idle host; on this busy one the app's stalls move them, so they
  are printed, not asserted.)
- an app keeping 10 KiB per request (1 MiB per 100): the leak slope within 20% of the requests'
  rate x 10 KiB, verdict leak; the same app keeping nothing: never leak;
- its page-fault flamegraph: the leaf-most Python frame of the hottest stacks is leak_alloc, the
  allocating function, with about 10240 / 4096 = 2.5 faults per request.
"""
import json
import os
import re
import subprocess
import sys
import tempfile
import time
import urllib.request

sys.path.insert(0, os.path.dirname(__file__))
from harness import BINDPROF, Skip, check, free_port, load, main, near, run, validate, wait_line  # noqa: E402

TMP = tempfile.mkdtemp(prefix="bindprof-shapes-")
APP = os.path.join(os.path.dirname(__file__), "shapesapp.py")
KIB10 = 10240


def suite(name, path):
    f = os.path.join(TMP, "suite-" + name + ".json")
    with open(f, "w") as fh:
        json.dump({"name": name, "workloads": [{"name": name, "method": "GET", "path": path}]}, fh)
    return f


class App:
    def __init__(self, *args):
        self.port = free_port()
        self.p = subprocess.Popen(["/usr/bin/python3", APP, "--port", str(self.port)] + list(args))
        for _ in range(100):
            try:
                self.count()
                return
            except OSError:
                time.sleep(0.1)
        raise AssertionError("the app never answered")

    def count(self):
        with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/count", timeout=5) as r:
            return json.loads(r.read())

    def profile(self, name, args):
        out = os.path.join(TMP, name + ".json")
        r = run([BINDPROF, "profile", "-p", str(self.p.pid), "--url", f"http://127.0.0.1:{self.port}", "-o", out,
                 "-t", "2", "--format", "json", "--allow-errors"] + args, timeout=300)
        check(r.returncode == 0, f"profile exited {r.returncode}: {r.stderr.strip()}")
        doc = load(out)
        validate(doc)
        return doc["suites"][0]["workloads"][0]["results"], out

    def stop(self):
        self.p.terminate()
        self.p.wait()


def need_root():
    if os.geteuid() != 0:
        raise Skip("needs root to attach BPF probes")


def _jget(o, path):
    for k in path.split("."):
        if not isinstance(o, dict) or k not in o:
            return KeyError
        o = o[k]
    return o


def _same(shown, want, what):
    """a figure drawn (its data- attribute's text) against the JSON's"""
    if want is None:
        check(shown == "null", f"{what}: page {shown!r}, JSON null")
    elif isinstance(want, bool):
        check(shown == ("true" if want else "false"), f"{what}: page {shown!r}, JSON {want}")
    elif isinstance(want, (int, float)):
        check(shown != "null" and abs(float(shown) - want) <= 1e-9 * max(1.0, abs(want)),
              f"{what}: page {shown}, JSON {want}")
    else:
        check(shown == want, f"{what}: page {shown!r}, JSON {want!r}")


def html_page_matches(out, res):
    """bindprof report --format html of the file, opened in chromium (test_report_html's helper):
    every figure the Load shapes section shows is the JSON's. Returns the number of figures
    compared."""
    import html as htmllib
    from test_report_html import browse
    page = out[:-5] + ".html"
    r = run([BINDPROF, "report", out, "--format", "html", "-o", page])
    check(r.returncode == 0, f"report --format html: {r.stderr}")
    _dom, errors, dom = browse(page)
    check(not errors, f"console errors: {errors}")
    check('data-ready="1"' in dom, "the page's script did not run")
    sec = re.search(r'<section class="shapes"[^>]*>(.*?)</section>', dom, re.S)
    check(sec, "no Load shapes section")
    sec = sec.group(1)
    n = 0
    # figure lists: data-key is the path in the JSON object the list shows; the text its rounding
    lists = {"ramp": res.get("ramp_up"), "burst": res.get("burst"), "degradation": res.get("sustained"),
             "leak": res.get("sustained"), "streaming": res.get("streaming"), "pagefaults": res.get("page_faults"),
             "malloc": res.get("malloc_sites")}
    for cls, body in re.findall(r'<dl class="figures (\w+)">(.*?)</dl>', sec, re.S):
        obj = lists[cls]
        check(obj is not None, f"a {cls} list for a file without it")
        for key, v, text in re.findall(r'<dd data-key="([^"]+)" data-v="([^"]*)">([^<]*)</dd>', body):
            want = _jget(obj, key)
            check(want is not KeyError, f"{cls}: {key} shown, not in the JSON")
            _same(htmllib.unescape(v), want, f"{cls} {key}")
            if isinstance(want, (int, float)) and not isinstance(want, bool):
                tok = text.split()[0]
                dec = len(tok.split(".")[1]) if "." in tok else 0
                check(abs(float(tok) - want) <= 0.5 * 10 ** -dec + 1e-9, f"{cls} {key}: text {text!r}, JSON {want}")
            n += 1
    for cls, key in (("ramp", "ramp_up"), ("burst", "burst"), ("degradation", "sustained"), ("streaming", "streaming"),
                     ("pagefaults", "page_faults"), ("malloc", "malloc_sites")):
        check((key in res) == (f'class="figures {cls}"' in sec), f"{key} in the JSON, {cls} list on the page")
    # the lines: values of the intervals (and of the burst's windows), in order, null for a gap
    charts = {"iv-requests": res.get("intervals"), "iv-latency": res.get("intervals"), "iv-cpu": res.get("intervals"),
              "iv-memory": res.get("intervals"), "burst": (res.get("burst") or {}).get("windows")}
    drawn = re.findall(r'<svg class="chart" data-chart="([\w-]+)"(.*?)</svg>', sec, re.S)
    for chart, body in drawn:
        for key, vals in re.findall(r'<path class="series"[^>]*data-series="(\w+)" data-values="([^"]*)"', body):
            arr = charts[chart]
            got = vals.split(" ")
            check(len(got) == len(arr), f"{chart} {key}: {len(got)} points, JSON {len(arr)}")
            for i, (g, e) in enumerate(zip(got, arr)):
                w = e[key]
                check((g == "null") == (w is None) and (w is None or abs(float(g) - w) <= 1e-9 * max(1, abs(w))),
                      f"{chart} {key}[{i}]: page {g}, JSON {w}")
                n += 1
    # an interval chart is drawn when one of its lines has two values
    iv = res.get("intervals") or []
    for chart, keys in (("iv-requests", ("requests", "errors")), ("iv-latency", ("p50_ms", "p99_ms")),
                        ("iv-cpu", ("cpu_percent",)), ("iv-memory", ("rss_mb", "pss_mb", "uss_mb"))):
        want = any(sum(e[k] is not None for e in iv) >= 2 for k in keys)
        check(want == (chart in [c for c, _ in drawn]), f"{chart}: drawn {[c for c, _ in drawn]}, intervals {iv}")
    b = res.get("burst")
    if b and b.get("recovery_secs") is not None:
        at = re.search(r'class="burst-recovery" data-at="([^"]+)"', sec)
        check(at and abs(float(at.group(1)) - (b["ends_at_s"] + b["recovery_secs"])) < 1e-9, "the recovery line")
        lvl = re.search(r'class="burst-level" data-v="([^"]+)"', sec)
        check(lvl and abs(float(lvl.group(1)) - 1.1 * b["baseline_p99_ms"]) < 1e-9, "the burst's level line")
    # tables: the intervals', the mix's and the stream's latencies, cell by cell
    tables = {"intervals": (res.get("intervals"), ["t_s", "requests", "errors", "p50_ms", "p99_ms", "cpu_percent",
                                                   "rss_mb", "uss_mb", "pss_mb"]),
              "mix": (res.get("mix"), ["name", "method", "path", "weight", "expected_share", "sent", "answered",
                                       "sent_share"])}
    st = res.get("streaming") or {}
    lat = [dict(v, __name=k) for k, v in st.items() if isinstance(v, dict) and "median_ms" in v]
    tables["stream-latency"] = (lat, ["__name", "histogram.count", "min_ms", "median_ms", "p90_ms", "p99_ms", "max_ms"])
    for tid, (arr, keys) in tables.items():
        m = re.search(rf'<table class="sortable" data-table="{tid}">.*?<tbody>(.*?)</tbody>', sec, re.S)
        check(bool(m) == bool(arr), f"table {tid}: on the page {bool(m)}, in the JSON {bool(arr)}")
        if not m:
            continue
        rows = re.findall(r"<tr>(.*?)</tr>", m.group(1), re.S)
        check(len(rows) == len(arr), f"table {tid}: {len(rows)} rows, JSON {len(arr)}")
        for row, e in zip(rows, arr):
            cells = re.findall(r"<td([^>]*)>([^<]*)</td>", row)
            for (attr, text), key in zip(cells, keys):
                want = _jget(e, key)
                dv = re.search(r'data-v="([^"]+)"', attr)
                if isinstance(want, str):
                    check(htmllib.unescape(text) == want, f"{tid} {key}: {text!r}, JSON {want!r}")
                elif want is None or want is KeyError:
                    check(text == "-" and not dv, f"{tid} {key}: {text!r}, JSON {want}")
                else:
                    _same(dv.group(1), want, f"{tid} {key}")
                n += 1
    # the memory passes' flamegraphs: drawn inline, each holding its folded file's total
    fgs = re.findall(r'<div class="fg-memory" data-label="[^"]*" data-total="(\d+)">', dom)
    want = []
    for key in ("page_faults", "malloc_sites"):
        if (res.get(key) or {}).get("folded_path"):
            with open(res[key]["folded_path"]) as f:
                want.append(sum(int(ln.rsplit(" ", 1)[1]) for ln in f if ln.strip()))
    check([int(x) for x in fgs] == want, f"memory flamegraphs' totals {fgs}, folded files' {want}")
    n += len(want)
    if res.get("mix"):
        for name, ex, got in re.findall(r'class="mix-row" data-name="([^"]+)" data-expected="([^"]+)" '
                                        r'data-sent-share="([^"]+)"', sec):
            m = next(x for x in res["mix"] if x["name"] == name)
            _same(ex, m["expected_share"], f"mix {name} expected")
            _same(got, m["sent_share"], f"mix {name} sent share")
            n += 2
    return n


def test_ramp_and_burst():
    app = App("--service-ms", "50")
    try:
        # the ramp: 0 -> 200/s over 2 s, then 2 s at 200/s
        c0 = app.count()["hit"]
        r, out = app.profile("ramp", ["--suite", suite("hit", "/hit"), "--probes", "none", "--rate", "200",
                                    "--ramp-up", "2", "--duration", "2", "--warmup", "0", "--concurrency", "32"])
        c1 = app.count()["hit"]
        ramp, t = r["ramp_up"], r["throughput"]
        check(ramp["expected_requests"] == 200 and ramp["scheduled"] == 200, f"ramp slots: {ramp}")
        check(ramp["sent_requests"] + ramp["missed_slots"] == 200, f"ramp: every slot sent or missed: {ramp}")
        check(t["scheduled_requests"] == 400, f"the pass at 200/s for 2 s: {t['scheduled_requests']} slots")
        got = c1 - c0
        check(ramp["sent_requests"] + t["completed_requests"] <= got <= ramp["sent_requests"] + t["total_requests"],
              f"the app counted {got}: ramp {ramp['sent_requests']}, pass answered {t['completed_requests']} of "
              f"{t['total_requests']}")
        if ramp["missed_slots"] == 0:
            check(ramp["sent_requests"] == 200, "the ramp sent R S / 2 requests exactly")
        # intervals: the 2 s pass's two intervals hold its answered requests
        iv = r["intervals"]
        check(len(iv) == 2, f"{len(iv)} intervals")
        check(sum(i["requests"] for i in iv) <= t["completed_requests"] + t["failed_requests"], "interval requests")
        check(all(i["rss_mb"] and i["uss_mb"] and i["pss_mb"] and i["uss_mb"] <= i["pss_mb"] <= i["rss_mb"]
                  for i in iv), f"USS <= PSS <= RSS in each interval: {iv}")
        # the HTML page: the ramp's figures and the intervals as the JSON has them
        check(html_page_matches(out, r) >= 6 + 2 * 9 + 2 * 8, "figures compared")

        # the burst: 4/s, 40/s for 1 s, 4/s; one request at a time at 50 ms each (20/s): a backlog
        # of about 20 that drains at about 16/s
        r, out = app.profile("burst", ["--suite", suite("slow", "/slow"), "--probes", "none", "--burst", "4:40:1",
                                       "--duration", "8", "--warmup", "0.5", "--concurrency", "64"])
        stall = app.count()["slow_max_s"]
        # the HTML page: the burst's figures, windows and marks, the ramp and the intervals as the JSON has them
        shown = html_page_matches(out, r)
        check(shown > 8 * 9 + len(r["burst"]["windows"]), f"{shown} figures compared")
        b = r["burst"]
        end, base, step = b["ends_at_s"], b["base_rps"], b["resolution_secs"]
        wins, iv, lvl = b["windows"], r["intervals"], 1.1 * b["baseline_p99_ms"]
        check(b["peak_p99_ms"] > lvl, f"the burst left a backlog: peak p99 {b['peak_p99_ms']} ms, level {lvl} ms")
        if not b["recovered"]:
            # nothing came back within 10%: every window after the burst is above the level
            check(all(w["p99_ms"] is None or w["p99_ms"] > lvl for w in wins if w["t_s"] >= end - 1e-9),
                  "not recovered, as the windows show")
            # which only a stall of the host explains (the app's own longest 50 ms service shows it)
            check(stall > 0.2, f"the backlog drained within the pass: {b['reason']} (app's longest service "
                               f"{stall * 1000:.0f} ms)")
            print(f"burst: the host stalled the app ({stall * 1000:.0f} ms for a 50 ms service): not recovered")
            return
        rec = b["recovery_secs"]
        # the windows' p99s say when it recovered: recomputed here
        first = next(w["t_s"] for w in wins if w["t_s"] >= end - 1e-9 and w["p99_ms"] is not None
                     and w["p99_ms"] <= lvl)
        near(rec, max(first - end, 0), 1e-6, "recovery as the windows show it")
        # the per-interval data: a window that starts on a whole second holds the same requests as
        # that 1 s interval, so every interval from the burst's end to the recovery is still above
        # the level, and the first interval back within it is no earlier than the recovery
        for i in iv:
            if end - 1e-9 <= i["t_s"] < end + rec - 1e-9:
                check(i["p99_ms"] is None or i["p99_ms"] > lvl, f"interval {i['t_s']} back before the recovery: {i}")
        back = next((i["t_s"] for i in iv if i["t_s"] >= end - 1e-9 and i["p99_ms"] is not None
                     and i["p99_ms"] <= lvl), None)
        check(back is None or back - end >= rec - 1e-6, f"1 s intervals back at {back}, recovery {rec}")
        # the app's completions (for the record): the first window after the burst back near the base rate
        drained = next((w["t_s"] for w in wins if w["t_s"] >= end + rec - 1e-9 and w["requests"] <= 1.5 * base), None)
        print(f"burst: recovery {rec:.2f} s; completions back near {base}/s at {drained} (burst end {end:.2f})")
        # the 1 s intervals: the burst's second holds more than the base rate
        peak = max(i["requests"] for i in r["intervals"])
        check(peak > 2 * base, f"the intervals show the burst: peak {peak}/s")
    finally:
        app.stop()


def leak_run(app, name, extra):
    return app.profile(name, ["--suite", suite("leak", "/leak"), "--rate", "100", "--sustained", "10",
                              "--duration", "1.5", "--warmup", "0.5", "--concurrency", "16"] + extra)


def test_leak_slope_and_page_faults():
    need_root()
    app = App("--leak")
    try:
        k0 = app.count()["kept_bytes"]
        r, out = leak_run(app, "leak", ["--probes", "none", "--page-faults"])
        k1 = app.count()["kept_bytes"]
    finally:
        app.stop()
    lk = r["sustained"]["memory"]["leak"]
    check(lk["verdict"] == "leak", f"verdict: {lk['reason']}")
    # the HTML page shows the leak's verdict, slope and CI, the degradation and the memory series
    check(html_page_matches(out, r) > 11 * 9, "figures compared")
    # the truth: 10 KiB per request at the pass's own answered rate
    rate = sum(i["requests"] for i in r["intervals"]) / len(r["intervals"])
    truth = rate * KIB10 / 2**20 * 3600
    near(lk["slope_mb_per_hour"], truth, 0.2, "leak slope (MB/h)")
    check(lk["ci_low_mb_per_hour"] <= lk["slope_mb_per_hour"] <= lk["ci_high_mb_per_hour"], "slope inside its CI")
    check(k1 - k0 >= KIB10 * sum(i["requests"] for i in r["intervals"]), "the app kept 10 KiB per request")
    # USS grows in the intervals by about the kept bytes
    iv = r["intervals"]
    near(iv[-1]["uss_mb"] - iv[0]["uss_mb"], sum(i["requests"] for i in iv[1:]) * KIB10 / 2**20, 0.25,
         "USS growth over the intervals (MB)")
    # the page-fault flamegraph
    pf = r["page_faults"]
    check(pf["event"] == "page-faults" and os.path.exists(pf["folded_path"]) and os.path.exists(pf["svg_path"]),
          f"page-fault files: {pf.get('folded_path')}")
    stacks = []
    with open(pf["folded_path"]) as f:
        for line in f:
            s, n = line.rstrip("\n").rsplit(" ", 1)
            stacks.append((int(n), s.split(";")))
    stacks.sort(reverse=True)
    total = sum(n for n, _ in stacks)

    def leaf_python(frames):
        py = [f for f in frames if " (" in f and f.endswith(")") and ".py:" in f]
        return py[-1].split(" (")[0] if py else None

    check(leaf_python(stacks[0][1]) == "leak_alloc", f"hottest page-fault stack: {';'.join(stacks[0][1][-6:])}")
    under = sum(n for n, fr in stacks if leaf_python(fr) == "leak_alloc")
    check(under > 0.5 * total, f"leak_alloc holds {under} of {total} faults")
    per_req = under / pf["requests"]
    near(per_req, KIB10 / 4096, 0.35, "page faults per request under leak_alloc")
    with open(pf["svg_path"]) as f:
        check("leak_alloc" in f.read(), "the SVG names leak_alloc")


def test_malloc_sample():
    """--malloc-sample 50 against /malloc?n=200 (200 calls to libc malloc per request from
    malloc_site): every call is counted, each sampled with probability 1/50, so the samples are
    Binomial(calls, 1/50): within 4.5 standard deviations of calls / 50, overall and under
    malloc_site (the app's own count of its calls in that pass), none under calloc_site; the
    hottest stack is malloc called from malloc_site; the uprobe's cost per call from the app's
    thread CPU time: malloc's loop minus calloc's (the same work, unprobed, in the same request:
    what the host's load does to both cancels), malloc pass against clean pass."""
    need_root()
    app = App()
    try:
        r, out = app.profile("malloc", ["--suite", suite("malloc", "/malloc?n=200"), "--probes", "none",
                                        "--malloc-sample", "50", "--duration", "2", "--warmup", "0",
                                        "--rate", "50", "--concurrency", "4"])
        reqs = app.count()["malloc"]
    finally:
        app.stop()
    m = r["malloc_sites"]
    check(m["event"] == "malloc" and m["malloc_every"] == 50 and m["malloc_processes"] == 1, m)
    # the app's requests in order: the clean pass's, then the malloc pass's (no warmup, no profiled pass)
    npass = m["requests"]
    check(0 < npass <= len(reqs), f"{npass} requests in the malloc pass, the app served {len(reqs)}")
    calls = sum(x[0] for x in reqs[-npass:])
    total = m["malloc_calls"]
    check(total >= calls, f"the probe counted {total} malloc calls, malloc_site alone made {calls}")
    drawn = m["samples"] + m["lost"]
    sd = ((total / 50) * (1 - 1 / 50)) ** 0.5
    check(abs(drawn - total / 50) <= 4.5 * sd, f"{drawn} samples of {total} calls at 1/50: {total / 50:.0f} +- {sd:.1f}")
    stacks = []
    with open(m["folded_path"]) as f:
        for line in f:
            st, n = line.rstrip("\n").rsplit(" ", 1)
            stacks.append((int(n), st.split(";")))
    stacks.sort(reverse=True)

    def leaf_python(frames):
        py = [x for x in frames if " (" in x and x.endswith(")") and ".py:" in x]
        return py[-1].split(" (")[0] if py else None

    check(stacks[0][1][-1] == "malloc" and leaf_python(stacks[0][1]) == "malloc_site",
          f"hottest stack: {';'.join(stacks[0][1][-8:])}")
    under = sum(n for n, fr in stacks if leaf_python(fr) == "malloc_site")
    sd = ((calls / 50) * (1 - 1 / 50)) ** 0.5
    # samples lost to a full ring buffer are from any site: allowed for
    check(calls / 50 - 4.5 * sd - m["lost"] <= under <= calls / 50 + 4.5 * sd,
          f"{under} samples under malloc_site, its {calls} calls at 1/50: {calls / 50:.0f} +- {sd:.1f}")
    check(not any(leaf_python(fr) == "calloc_site" for _, fr in stacks), "calloc's control loop called malloc")
    # the cost of the uprobe per call: the loop's thread CPU time per call, malloc pass minus clean pass
    def per_call(rs):  # median over requests of (malloc loop - calloc loop) / calls
        d = sorted((tm - tc) / n for n, tm, tc in rs)
        return d[len(d) // 2]

    plain, probed = per_call(reqs[:-npass]), per_call(reqs[-npass:])
    print(f"      malloc: {total} calls, {drawn} samples (expected {total / 50:.0f}); malloc_site {under} "
          f"(expected {calls / 50:.0f}); malloc - calloc per call {plain:.0f} ns plain, {probed:.0f} ns "
          f"probed: the uprobe {probed - plain:.0f} ns per malloc")
    check(html_page_matches(out, r) >= 6 + 2 * 9, "figures compared")
    rep = run([BINDPROF, "report", out]).stdout
    check(f"malloc (--malloc-sample pass): {total} calls, {m['samples']} sampled (1 in 50) over {npass} requests"
          in rep, f"report's malloc line:\n{rep}")
    check(probed > plain, f"the uprobe costs nothing? malloc - calloc {probed:.0f} ns probed, {plain:.0f} ns plain")


def test_malloc_sample_losses_warned():
    """--malloc-sample 1 against /malloc?n=20000 (every call sampled, faster than the ring buffer
    drains): every call is drawn, so samples + lost = malloc_calls, and malloc_calls at least the
    app's own count of its calls; the lost samples are in the profile's warnings, naming the malloc
    pass, as many as malloc_sites.lost (they were dropped silently with the pass's document)."""
    need_root()
    app = App()
    try:
        r, out = app.profile("mlost", ["--suite", suite("mlost", "/malloc?n=20000"), "--probes", "none",
                                       "--malloc-sample", "1", "--duration", "1", "--warmup", "0",
                                       "--concurrency", "4"])
        reqs = app.count()["malloc"]
    finally:
        app.stop()
    m = r["malloc_sites"]
    calls = sum(x[0] for x in reqs[-m["requests"]:]) if m["requests"] else 0
    print(f"      malloc 1 in 1: {m['malloc_calls']} calls (the app {calls}), {m['samples']} samples, {m['lost']} lost")
    check(m["samples"] + m["lost"] == m["malloc_calls"] >= calls > 0, m)
    warns = [w["message"] for w in load(out)["warnings"]]
    mine = [w for w in warns if "(malloc pass)" in w and f"{m['lost']} stack samples were lost" in w]
    check(bool(mine) == (m["lost"] > 0), f"{m['lost']} lost, warnings: {warns}")


def test_malloc_pass_app_dies():
    """the app SIGKILLed during the --malloc-sample pass (its progress line read first): exit 4, the
    file partial (target_exited), and the pass's requests null, not 0 (its load did not complete:
    '0 requests' beside thousands of sampled calls was a made-up figure)."""
    need_root()
    app = App()
    out = os.path.join(TMP, "mdie.json")
    p = subprocess.Popen([BINDPROF, "profile", "-p", str(app.p.pid), "--url", f"http://127.0.0.1:{app.port}", "-o", out,
                          "--suite", suite("mdie", "/malloc?n=200"), "--probes", "none", "--malloc-sample", "10",
                          "--duration", "1", "--warmup", "0", "--concurrency", "2", "--allow-errors"],
                         stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        wait_line(p.stderr, "bindprof: profile: [1/1] mdie/mdie malloc pass", timeout=60)
        time.sleep(0.3)
        app.p.kill()
        app.p.wait()
        err = p.stderr.read()
        p.wait(timeout=60)
    finally:
        if p.poll() is None:
            p.kill()
        app.stop()
    doc = load(out)
    check(p.returncode == 4 and doc.get("partial") and doc.get("partial_reason") == "target_exited",
          f"exit {p.returncode}, partial {doc.get('partial')} {doc.get('partial_reason')}: {err}")
    m = (doc["suites"][0]["workloads"][0]["results"] or {}).get("malloc_sites")
    print(f"      malloc_sites after the death: {m and {k: m[k] for k in ('malloc_calls', 'samples', 'requests')}}")
    check(m is None or m["requests"] is None, f"malloc pass requests {m and m['requests']} of a load that never ended")


def test_no_leak_never_leak():
    app = App()
    try:
        r, _ = leak_run(app, "noleak", ["--probes", "none"])
    finally:
        app.stop()
    lk = r["sustained"]["memory"]["leak"]
    check(lk["verdict"] in ("no-leak", "inconclusive"), f"no leak: {lk['reason']}")
    # far from what keeping 10 KiB per request would give at the same rate
    rate = sum(i["requests"] for i in r["intervals"]) / len(r["intervals"])
    check(abs(lk["slope_mb_per_hour"]) < 0.1 * rate * KIB10 / 2**20 * 3600, f"slope {lk['slope_mb_per_hour']:.1f} MB/h")


def test_bad_shapes_exit_2():
    for args, msg in ((["--burst", "10:5:1"], "--burst: invalid value '10:5:1'"),
                      (["--burst", "10:100:1", "--rate", "5"], "--burst sets the pass's rates"),
                      (["--burst", "10:100:3", "--duration", "5"], "needs a pass of at least 7.0 s"),
                      (["--ramp-up", "2"], "--ramp-up needs a rate"),
                      (["--sustained", "5"], "--sustained: invalid value '5'")):
        r = run([BINDPROF, "profile", "--app-cmd", "true", "--url", "http://127.0.0.1:9"] + args)
        check(r.returncode == 2 and msg in r.stderr and len(r.stderr.strip().splitlines()) == 1,
              f"{args}: {r.returncode} {r.stderr}")


def test_mixed_suite_weights_and_endpoints():
    need_root()
    f = os.path.join(TMP, "suite-mixed.json")
    with open(f, "w") as fh:
        json.dump({"name": "mix", "mode": "mixed", "workloads": [
            {"name": "hit", "method": "GET", "path": "/hit", "weight": 3},
            {"name": "leak", "method": "GET", "path": "/leak", "weight": 1}]}, fh)
    app = App()
    try:
        c0 = app.count()
        r, out = app.profile("mixed", ["--suite", f, "--probes", "requests", "--duration", "2", "--warmup", "0",
                                       "--concurrency", "8"])
        c1 = app.count()
    finally:
        app.stop()
    mix = {m["name"]: m for m in r["mix"]}
    sent = mix["hit"]["sent"] + mix["leak"]["sent"]
    # smooth weighted round-robin: within one request per thread (2) of 3:1
    check(abs(mix["hit"]["sent"] - 0.75 * sent) <= 2, f"3:1 mix: {mix}")
    check(mix["hit"]["answered"] + mix["leak"]["answered"] == r["throughput"]["completed_requests"],
          "the mix's answered requests are the pass's")
    # the profiled pass's per-endpoint results (requests probe) against the app's own counts
    eps = {e["endpoint"]: e["count"] for e in r["profiling"]["requests"]["endpoints"]}
    hit, leak = eps.get("GET /hit", 0), eps.get("GET /leak", 0)
    check(hit > 50 and leak > 15, f"both endpoints seen by the requests probe: {eps}")
    near(hit / leak, 3, 0.05, "the profiled pass's hit:leak ratio")
    # the app counted the clean pass's sent requests plus the profiled pass's (what the probe saw,
    # and at most the few cut at the end; on a starved host the probe's ring buffer can overflow:
    # then its lost events, which the file counts and warns of, bound what it missed)
    lost = r.get("lost_events") or 0
    for name, got in (("hit", hit), ("leak", leak)):
        app_n = c1[name] - c0[name] - mix[name]["sent"]
        check(got <= app_n <= got + 8 + lost, f"{name}: the app counted {app_n} in the profiled pass, the probe {got} "
                                              f"({lost} events lost)")
    check(html_page_matches(out, r) >= 2 * 10, "figures compared")
    # report prints the mix: each request's weight and sent count as the file has them
    rep = run([BINDPROF, "report", out]).stdout
    for name, m in mix.items():
        check(re.search(rf"^\s*{name}\s+GET\s+/{name}\s+{m['weight']}\s+[0-9.]+\s+{m['sent']}\s", rep, re.M),
              f"report's mix row of {name} ({m}):\n{rep}")


def test_sse_stream():
    f = os.path.join(TMP, "suite-sse.json")
    with open(f, "w") as fh:
        json.dump({"name": "s", "workloads": [{"name": "events", "method": "GET",
                                              "path": "/sse?first_ms=200&every_ms=20", "stream": "sse"},
                                             # a stream whose first event comes long after the pass
                                             {"name": "silent", "method": "GET",
                                              "path": "/sse?first_ms=60000", "stream": "sse"}]}, fh)
    app = App()
    try:
        c0 = app.count()
        r, out = app.profile("sse", ["--suite", f, "--probes", "none", "--duration", "2", "--warmup", "0",
                                     "--concurrency", "3", "--workload", "events"])
        time.sleep(0.3)
        c1 = app.count()
        _, out2 = app.profile("sse-silent", ["--suite", f, "--probes", "none", "--duration", "1",
                                             "--warmup", "0", "--concurrency", "2", "--workload", "silent"])
    finally:
        app.stop()
    silent = load(out2)["suites"][0]["workloads"][0]["results"]["streaming"]
    # two streams opened (the app's headers came), no event: no time to first event (null), not zeros
    check(silent["streams"] == 2 and silent["events"] == 0, f"silent streams: {silent}")
    check(silent["time_to_first_event_ms"] is None, f"no event, yet a time: {silent['time_to_first_event_ms']}")
    s = r["streaming"]
    check(s["streams"] == 3 == c1["sse_streams"] - c0["sse_streams"], f"one stream per connection: {s}")
    sent = c1["sse_events"] - c0["sse_events"]
    # every event the app wrote within the pass was counted; a few per stream go out after its end
    # (a write to a socket whose peer has just closed succeeds)
    check(s["events"] <= sent <= s["events"] + 3 * 3, f"events: bindprof {s['events']}, the app wrote {sent}")
    # mixed LF and CRLF line ends, comments, multi-line data: one event per blank line
    check(s["events"] > 100, f"{s['events']} events")
    t = s["time_to_first_event_ms"]
    check(t["min_ms"] >= 200, f"no event before the app's 200 ms: {t['min_ms']}")
    # (no upper bound: on a busy host the app's own wake-up after its sleep is late by any amount)
    check(s["events_per_sec_per_connection"] <= 50, "at most the app's one event per 20 ms")
    check(r["latency"]["median_ms"] == t["median_ms"], "a stream's latency is its first event's")
    check(html_page_matches(out, r) >= 8 + 7, "figures compared")
    rep = run([BINDPROF, "report", out]).stdout
    check(f"; {s['events']} events, " in rep and "over 3 connections (3 streams" in rep,
          f"report's event-stream line:\n{rep}")


if __name__ == "__main__":
    sys.exit(main(sys.modules[__name__]))
