# SPDX-License-Identifier: GPL-2.0-only
"""bindprof report: the text and markdown figures against the JSON's, and the HTML page in a real
browser (Debian's chromium, headless).

One profile run of the demo server (two workloads, three clean passes each, the default probes)
is the ground truth: every figure printed or drawn must be the JSON's own (throughput, latency
percentiles, GIL waits per thread, per-endpoint means, histogram counts, folded totals). The page
is opened in chromium with its console logged: no errors, the sort script ran, and the DOM
after the scripts holds the charts and rows the data says. A screenshot is kept in docs/.
"""
import html.parser
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(__file__))
from harness import BINDPROF, ROOT, Skip, check, main, run  # noqa: E402

TMP = tempfile.mkdtemp(prefix="bindprof-report-")
_RUN = {}


def need_root():
    if os.geteuid() != 0:
        raise Skip("needs root for BPF")


def profile_run():
    """the profile JSON of one run of the demo server (made once)"""
    if "doc" in _RUN:
        return _RUN["path"], _RUN["doc"]
    need_root()
    from harness import free_port
    with open(os.path.join(TMP, "suite.json"), "w") as f:
        json.dump({"name": "demo", "workloads": [
            {"name": "item", "method": "GET", "path": "/items/7", "category": "path-params"},
            {"name": "hello", "method": "GET", "path": "/hello", "category": "simple"}]}, f)
    port = free_port()
    out = os.path.join(TMP, "p.json")
    r = run([BINDPROF, "profile", "--app-cmd",
             f"/usr/bin/python3 {os.path.join(ROOT, 'tools', 'demo_server.py')} --port {port}",
             "--url", f"http://127.0.0.1:{port}", "-o", out, "--suite", os.path.join(TMP, "suite.json"),
             "--repeats", "3", "--duration", "2.2", "--warmup", "0.2", "--concurrency", "4", "-t", "1",
             "--probes", "gil,gc,ffi,requests,stacks,syscalls",  # the default set and syscalls: every bar
             "--html", os.path.join(TMP, "profile.html")], timeout=240)
    check(r.returncode == 0, f"profile failed ({r.returncode}): {r.stderr.strip()[-400:]}")
    with open(out) as f:
        _RUN["doc"] = json.load(f)
    _RUN["path"] = out
    return out, _RUN["doc"]


def workloads(doc):
    return [(f"{s['name']}/{w['name']}", w["results"]) for s in doc["suites"] for w in s["workloads"]
            if isinstance(w.get("results"), dict)]


def test_text_figures_match_json():
    path, doc = profile_run()
    r = run([BINDPROF, "report", path])
    check(r.returncode == 0, r.stderr)
    out = r.stdout
    check(out.splitlines()[0] == "bindprof profile", f"title {out.splitlines()[0]!r}")
    check("profile profile" not in out, "title repeats the mode")
    for label, res in workloads(doc):
        row = next((ln for ln in out.splitlines() if ln.split()[:1] == [label]), None)
        check(row is not None, f"no throughput row for {label}")
        cells = row.split()
        want = [f"{res['throughput']['requests_per_sec']:.1f}", f"{res['latency']['median_ms']:.3f}",
                f"{res['latency']['p99_ms']:.3f}", f"{res['latency']['max_ms']:.3f}"]
        check(cells[1:5] == want, f"{label}: printed {cells[1:5]}, JSON {want}")
        check(cells[-1] == str(res["repeats"]["count"]), f"{label}: repeats {cells[-1]}")
        g = res["profiling"]["gil"]
        check(f"wait ms (sum over threads) {g['wait_ms_total']:.1f} in {g['waits']} waits" in out,
              f"{label}: GIL total {g['wait_ms_total']:.1f} not printed with its label")
        for t in g["threads"]:
            check(re.search(rf"^\s+{t['tid']}\s+\S+\s+{t['wait_ms']:.1f}\s", out, re.M),
                  f"{label}: thread {t['tid']} wait {t['wait_ms']:.1f} not printed")
        for e in res["profiling"]["requests"]["endpoints"]:
            check(re.search(rf"^\s+{re.escape(e['endpoint'])}\s+{e['count']}\s+{e['latency']['p50_ms']:.3f}\s+"
                            rf"{e['latency']['p99_ms']:.3f}\s", out, re.M), f"{label}: endpoint {e['endpoint']}")
        for s in res["repeats"]["samples"]:
            check(f"{s['requests_per_sec']:.1f}" in out, f"{label}: repeat {s['requests_per_sec']:.1f} not printed")
        ex = res["profiling"]["requests"]["exemplars"][0]
        b = ex["breakdown"]
        cells = [f"{ex['latency_ms']:.3f}", str(ex["tid"])] + [
            "-" if b.get(k) is None else f"{b[k]:.0f}" for k in
            ("gil_wait_us", "gil_hold_us", "ffi_crossings", "ffi_time_us", "gc_time_us", "syscalls",
             "syscall_time_us", "cpu_samples")]
        check(re.search(r"^\s+" + re.escape(ex["endpoint"]) + r"\s+" + r"\s+".join(map(re.escape, cells)) + "$", out, re.M),
              f"{label}: slowest request {cells} not printed")
        top = res["profiling"]["stacks"]["top_self"][0]
        check(re.search(rf"{re.escape(top['frame'][:40])}.*\s{top['samples']}\s+{top['percent']:.1f}$", out, re.M),
              f"{label}: top frame {top}")
    # every table's lines are as long as its header: aligned columns (text columns may be cut)
    r = run([BINDPROF, "report", "--format", "markdown", path])
    check(r.returncode == 0, r.stderr)
    md_rows = [ln for ln in r.stdout.splitlines() if ln.startswith("| demo/")]
    check(len(md_rows) == len(workloads(doc)), f"{len(md_rows)} markdown workload rows")
    check(r.stdout.startswith("## bindprof profile\n"), r.stdout[:40])


def test_text_compare_and_generic():
    """a compare file of two real profile files: per-framework req/s and ratios as in the JSON."""
    path, doc = profile_run()
    a, b = os.path.join(TMP, "a.json"), os.path.join(TMP, "b.json")
    shutil.copy(path, a)
    shutil.copy(path, b)
    c = os.path.join(TMP, "c.json")
    r = run([BINDPROF, "compare", a, b, "-o", c, "--force"], timeout=60)
    check(r.returncode == 0, r.stderr)
    cdoc = json.load(open(c))
    r = run([BINDPROF, "report", c])
    check(r.returncode == 0, r.stderr)
    for res in cdoc["results"]:
        label = f"{res['suite']}/{res['workload']}"
        row = next((ln for ln in r.stdout.splitlines() if ln.split()[:1] == [label]), None)
        check(row is not None, f"no compare row for {label}")
        want = [f"{res['frameworks'][f['name']]['requests_per_sec']:.1f}" for f in cdoc["frameworks"]]
        check(row.split()[1:1 + len(want)] == want, f"{label}: {row.split()} vs {want}")
    # diff -o's verdicts: a row per workload and metric with the JSON's verdict and change
    v = os.path.join(TMP, "v.json")
    r = run([BINDPROF, "diff", a, b, "-o", v, "--force", "--html", os.path.join(TMP, "diff.html")], timeout=60)
    check(r.returncode in (0, 1), r.stderr)
    vdoc = json.load(open(v))
    r = run([BINDPROF, "report", v])
    check(r.returncode == 0, r.stderr)
    n = 0
    for w in vdoc["workloads"]:
        for m in w.get("metrics") or []:
            pat = rf"^\s+{re.escape(w['workload'])}\s+{m['metric']}\s.*\s{re.escape(m['verdict'])}\s"
            check(re.search(pat, r.stdout, re.M), f"no verdict row {w['workload']} {m['metric']} {m['verdict']}")
            n += 1
    check(n >= 2 and f"worst: {vdoc['summary']['worst']};" in r.stdout, f"{n} verdict rows; summary")
    page = os.path.join(TMP, "v.html")
    r = run([BINDPROF, "report", v, "-f", "html", "-o", page])
    check(r.returncode == 0, r.stderr)
    check(open(page).read() == open(os.path.join(TMP, "diff.html")).read(), "diff --html differs from report's page")
    t = re.search(r'data-table="verdicts">(.*?)</table>', open(page).read(), re.S)
    check(t and t.group(1).count("<tr>") - 1 == n, "the HTML verdicts table")
    # a differential flamegraph per workload, new against base, with both folded totals
    divs = re.findall(r'<div class="fg diff" data-label="([^"]*)" data-total="(\d+)" data-base-total="(\d+)">',
                      open(page).read())
    want = [(lbl, folded_total(res["profiling"]["stacks"]["folded_path"])) for lbl, res in workloads(doc)]
    check([(lbl, int(t), int(bt)) for lbl, t, bt in divs] == [(lbl, n, n) for lbl, n in want], f"diff flamegraphs {divs}")
    # a bare folded file is pointed at flamegraph, not parsed as JSON
    fp = workloads(doc)[0][1]["profiling"]["stacks"]["folded_path"]
    r = run([BINDPROF, "report", fp])
    check(r.returncode == 2 and "bindprof flamegraph" in r.stderr, r.stderr)


def test_text_ffi_table():
    """record --ffi on tools/pystack.py ctypes: the FFI row is the JSON's function"""
    need_root()
    out = os.path.join(TMP, "ffi.json")
    r = run([BINDPROF, "record", "-F", "99", "--ffi", os.path.join(ROOT, "build", "tools", "libdemo.so"), "-o", out,
             "--", "/usr/bin/python3", os.path.join(ROOT, "tools", "pystack.py"), "ctypes", "1", "--delay", "0.3"],
            timeout=90)
    check(r.returncode == 0, r.stderr[-300:])
    doc = json.load(open(out))
    ffi = doc["results"]["profiling"]["ffi"]
    r = run([BINDPROF, "report", out])
    check(r.returncode == 0, r.stderr)
    fn = next(f for f in ffi["functions"] if f["symbol"] == "demo_checksum")
    check(fn["calls"] > 0, f"no calls: {fn}")
    cells = [fn["symbol"], fn["library"], fn["python_name"] or "-", str(fn["calls"]), f"{fn['total_ms']:.3f}",
             f"{fn['mean_us']:.2f}", f"{fn['p50_us']:.2f}", f"{fn['p99_us']:.2f}", str(fn["gil_released_calls"])]
    check(re.search(r"^\s+" + r"\s+".join(map(re.escape, cells)) + "$", r.stdout, re.M), f"FFI row {cells}")
    check(f"{ffi['calls']} calls, {ffi['total_ms']:.3f} ms inside them (sum over threads)" in r.stdout, "FFI totals")


def test_record_summary_lines():
    """record's summary: the FFI line is the JSON's, every warning once (a library not loaded
    named), the files written, and no share of a target CPU too small to divide by"""
    need_root()
    out = os.path.join(TMP, "sum.json")
    r = run([BINDPROF, "record", "-F", "99", "--ffi", os.path.join(ROOT, "build", "tools", "libdemo.so"),
             "--ffi", "libnotthere.so", "--folded", os.path.join(TMP, "sum.folded"), "-o", out,
             "--", "/usr/bin/python3", os.path.join(ROOT, "tools", "pystack.py"), "ctypes", "1", "--delay", "0.3"],
            timeout=90)
    check(r.returncode == 0, r.stderr[-300:])
    doc = json.load(open(out))
    ffi = doc["results"]["profiling"]["ffi"]
    top = max(ffi["functions"], key=lambda f: f["total_ms"])
    want = (f"  ffi: {ffi['calls']} calls, {ffi['total_ms']:.1f} ms; top {top['symbol']} ({top['library']}) "
            f"{top['calls']} calls, {top['total_ms']:.1f} ms, mean {top['mean_us']:.1f} us")
    if top["cpu_wait_ms"] > 0.1 * top["total_ms"]:
        want += (f" ({top['cpu_wait_ms']:.1f} ms of it waiting on a run queue: mean "
                 f"{top['mean_excl_cpu_wait_us']:.1f} us without, p50 {top['p50_us']:.1f} us)")
    check(want in r.stdout.splitlines(), f"no line {want!r} in {r.stdout}")
    warns = [ln for ln in r.stdout.splitlines() if ln.startswith("  warning [")]
    check(len(warns) == len(set(warns)) == len({(w["section"], w["message"]) for w in doc["warnings"]}),
          f"warnings {warns}")
    check(any("libnotthere.so" in w for w in warns), "the library that is not loaded is not named")
    check(f"  files: {TMP}/sum.folded" in r.stdout, "files line")
    # the requests line names the slowest endpoint with its own count (a p99 over 2 requests is their max)
    srv = ("import http.server as h, threading, urllib.request as u, urllib.error as e\n"
           "s = h.HTTPServer(('127.0.0.1', 0), h.SimpleHTTPRequestHandler)\n"
           "threading.Thread(target=s.serve_forever, daemon=True).start()\n"
           "for p in ['/', '/', '/', '/nothere']:\n"
           "    try: u.urlopen('http://127.0.0.1:%d%s' % (s.server_port, p)).read()\n"
           "    except e.HTTPError: pass\n")
    out = os.path.join(TMP, "req.json")
    svg = os.path.join(TMP, "req.svg")
    r = run([BINDPROF, "record", "--probes", "requests", "--svg", svg, "-o", out, "--", "/usr/bin/python3", "-c",
             srv], timeout=90, cwd=TMP)
    check(r.returncode == 0, r.stderr[-300:])
    # --svg without --folded keeps the folded file next to -o's (what the HTML page and flamegraph draw from)
    stk = json.load(open(out))["results"]["profiling"]["stacks"]
    folded = os.path.join(TMP, "req.folded")
    check(stk["folded_path"] == folded and stk["svg_path"] == svg, f"paths {stk['folded_path']} {stk['svg_path']}")
    with open(folded) as f:
        total = sum(int(ln.rsplit(" ", 1)[1]) for ln in f if ln.strip())
    check(total == stk["samples"], f"folded total {total}, samples {stk['samples']}")
    h = os.path.join(TMP, "req.html")
    r2 = run([BINDPROF, "report", out, "--format", "html", "-o", h])
    check(r2.returncode == 0 and (total == 0 or 'class="fg"' in open(h).read()), f"html: {r2.stderr}")
    rq = json.load(open(out))["results"]["profiling"]["requests"]
    eps = rq["endpoints"]
    check(sum(e["count"] for e in eps) == 4, f"requests {[(e['endpoint'], e['count']) for e in eps]}, 4 sent")
    slow = max(eps, key=lambda e: e["latency"]["p99_ms"])
    want = (f"  requests: 4 in {len(eps)} endpoint{'' if len(eps) == 1 else 's'}; slowest {slow['endpoint']} "
            f"p99 {slow['latency']['p99_ms']:.3f} ms over {slow['count']} request{'' if slow['count'] == 1 else 's'}")
    line = [ln for ln in r.stdout.splitlines() if ln.startswith("  requests:")]
    check(line and line[0].startswith(want), f"requests line {line}, want {want!r}")
    # --no-children on a process with children: the summary names them as left out; followed, no note
    par = subprocess.Popen(["/usr/bin/python3", "-c", "import os, sys, time\npid = os.fork()\n"
                            "if pid == 0: time.sleep(30); os._exit(0)\nprint(pid, flush=True); time.sleep(30)"],
                           stdout=subprocess.PIPE, text=True)
    try:
        child = int(par.stdout.readline())
        for follow, want_note in ((["--no-children"], True), ([], False)):
            r = run([BINDPROF, "record", "-p", str(par.pid), *follow, "-d", "1", "--probes", "gc",
                     "-o", os.path.join(TMP, "nc.json")], timeout=60)
            check(r.returncode == 0, r.stderr[-300:])
            note = [ln for ln in r.stdout.splitlines() if ln.startswith("  note: ")]
            want = f"  note: pid {par.pid} has 1 child process ({child}) that --no-children left out"
            check(bool(note) == want_note and (not note or note[0].startswith(want)), f"{follow}: note {note}")
    finally:
        par.kill()
        os.kill(child, 9) if "child" in locals() else None
        par.wait()
    r = run([BINDPROF, "record", "-o", os.path.join(TMP, "true.json"), "--", "true"], timeout=60)
    check(r.returncode == 0, r.stderr)
    line = [ln for ln in r.stdout.splitlines() if ln.startswith("  overhead:")]
    check(line and "%" not in line[0] and "too little for a share" in line[0], f"overhead line {line}")


class Dom(html.parser.HTMLParser):
    def __init__(self):
        super().__init__()
        self.el = []  # (tag, attrs, path of tags)
        self.stack = []
        self.text = {}

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        self.el.append((tag, a, list(self.stack)))
        if tag not in ("br", "meta", "rect", "line", "path", "circle", "img"):
            self.stack.append((tag, a))

    def handle_startendtag(self, tag, attrs):
        self.el.append((tag, dict(attrs), list(self.stack)))

    def handle_endtag(self, tag):
        for i in range(len(self.stack) - 1, -1, -1):
            if self.stack[i][0] == tag:
                del self.stack[i:]
                break


def chromium():
    for exe in ("chromium", "chromium-browser"):
        p = shutil.which(exe)
        if p:
            return p
    raise Skip("chromium is not installed (apt-get install chromium)")


def browse(page, shot=None):
    """the DOM after the page's scripts ran, and the console's errors"""
    exe = chromium()
    args = [exe, "--headless", "--no-sandbox", "--disable-gpu", "--enable-logging=stderr", "--v=0",
            "--virtual-time-budget=3000", f"--user-data-dir={TMP}/chrome"]
    r = subprocess.run(args + ["--dump-dom", "file://" + page], capture_output=True, text=True, timeout=120)
    check(r.returncode == 0, f"chromium exit {r.returncode}: {r.stderr[-300:]}")
    errors = [ln for ln in r.stderr.splitlines() if "Uncaught" in ln or ("CONSOLE" in ln and "rror" in ln)]
    if shot:
        s = subprocess.run(args + [f"--screenshot={shot}", "--window-size=1200,2200", "file://" + page],
                           capture_output=True, text=True, timeout=120)
        check(s.returncode == 0 and os.path.getsize(shot) > 10000, f"screenshot: {s.stderr[-300:]}")
    d = Dom()
    d.feed(r.stdout)
    return d, errors, r.stdout


def folded_total(p):
    with open(p) as f:
        return sum(int(ln.rsplit(" ", 1)[1]) for ln in f if ln.strip())


def test_html_in_chromium():
    path, doc = profile_run()
    page = os.path.join(TMP, "p.html")
    r = run([BINDPROF, "report", path, "--format", "html", "-o", page])
    check(r.returncode == 0, r.stderr)
    text = open(page).read()
    # profile --html wrote the same page from the same document
    check(open(os.path.join(TMP, "profile.html")).read() == text, "profile --html differs from report --format html")
    check(not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", text), "the page refers to a remote resource")
    shot = os.path.join(ROOT, "docs", "report-screenshot.png")
    dom, errors, raw = browse(page, shot)
    check(not errors, f"console errors: {errors[:3]}")
    body = [a for t, a, _ in dom.el if t == "body"][0]
    check(body.get("data-ready") == "1", "the page's script did not run")
    wls = workloads(doc)
    # throughput bars: the JSON's req/s; whiskers (3 repeats) around the median, inside min..max
    bars = [a for t, a, p in dom.el if t == "rect" and "bar" in a.get("class", "").split()
            and any(x[1].get("data-chart") == "throughput" for x in p)]
    check(len(bars) == len(wls), f"{len(bars)} throughput bars for {len(wls)} workloads")
    for (label, res), a in zip(wls, bars):
        check(a["data-label"] == label and abs(float(a["data-v"]) - res["throughput"]["requests_per_sec"]) < 0.01,
              f"{label}: bar {a}")
        rep = res["repeats"]
        check(int(a["data-n"]) == rep["count"] == 3, f"{label}: {a.get('data-n')} repeats")
        lo, hi = float(a["data-lo"]), float(a["data-hi"])
        check(rep["min_requests_per_sec"] - 0.01 <= lo <= rep["median_requests_per_sec"] <= hi
              <= rep["max_requests_per_sec"] + 0.01, f"{label}: CI {lo}..{hi} vs {rep}")
    # latency CDF: every request of the histogram, and its p50/p99 the JSON's within a bucket (1.6%)
    cdf = [a for t, a, _ in dom.el if t == "path" and a.get("class") == "cdf"]
    check(len(cdf) == len(wls), f"{len(cdf)} CDF lines")
    for (label, res), a in zip(wls, cdf):
        h = res["latency"]["histogram"]
        check(int(a["data-count"]) == h["count"] == sum(c for _, c in h["buckets"]), f"{label}: count {a['data-count']}")
        for q, key in (("p50", "median_ms"), ("p99", "p99_ms")):
            got, want = float(a[f"data-{q}-ms"]), res["latency"][key]
            check(abs(got - want) <= 0.02 * want, f"{label}: CDF {q} {got} ms, JSON {want} ms")
    # where request time goes: each endpoint's mean, its GIL-wait segment the JSON's
    eps = [(a, p) for t, a, p in dom.el if t == "g" and a.get("class") == "endpoint"]
    want_eps = [(lbl, e) for lbl, res in wls for e in res["profiling"]["requests"]["endpoints"]]
    check(len(eps) == len(want_eps), f"{len(eps)} endpoint bars, want {len(want_eps)}")
    segs = [(a, p) for t, a, p in dom.el if t == "rect" and a.get("class") == "seg"]
    for (a, _), (lbl, e) in zip(eps, want_eps):
        check(abs(float(a["data-mean-us"]) - e["latency"]["mean_ms"] * 1000) < 0.01, f"{lbl}: {a}")
        mine = [s for s, p in segs if any(x[1].get("data-label") == a["data-label"] for x in p)]
        gil = [s for s in mine if s["data-seg"] == "GIL wait"]
        check(len(gil) == 1 and abs(float(gil[0]["data-v"]) - e["per_request"]["gil_wait_us"]["mean"]) < 0.01,
              f"{lbl}: GIL segment {gil}")
        # syscall time overlaps the stacked parts (the GIL's futex waits): its own thin bar, not a segment
        check(not [s for s in mine if s["data-seg"] == "syscalls"], f"{lbl}: syscalls stacked")
        ov = [s for t, s, p in dom.el if t == "rect" and s.get("class") == "overlap"
              and any(x[1].get("data-label") == a["data-label"] for x in p)]
        sc = (e["per_request"].get("syscall_time_us") or {}).get("mean")
        check(sc is not None, f"{lbl}: the syscalls probe was on: {e['per_request']}")
        check((len(ov) == 1 and abs(float(ov[0]["data-v"]) - sc) < 0.01),
              f"{lbl}: syscall bar {ov} vs {sc}")
        total = sum(float(s["data-v"]) for s in mine)
        check(abs(total - max(e["latency"]["mean_ms"] * 1000, total - float(mine[-1]["data-v"]))) < 0.01,
              f"{lbl}: segments sum {total}")
    # GIL wait per thread: a bar per thread (the 20 that waited longest per workload), the JSON's wait_ms
    gbars = [a for t, a, p in dom.el if t == "rect" and any(x[1].get("data-chart") == "gil-threads" for x in p)
             and "bar" in a.get("class", "")]
    want_g = [v for _, res in wls for v in sorted((t["wait_ms"] for t in res["profiling"]["gil"]["threads"]),
                                                  reverse=True)[:20]]
    check([round(float(a["data-v"]), 3) for a in gbars] == [round(v, 3) for v in want_g], "GIL per thread bars")
    # flamegraphs: one per workload, the folded file's total
    fgs = [a for t, a, _ in dom.el if t == "div" and a.get("class") == "fg"]
    check(len(fgs) == len(wls), f"{len(fgs)} flamegraphs")
    for (label, res), a in zip(wls, fgs):
        check(int(a["data-total"]) == folded_total(res["profiling"]["stacks"]["folded_path"]), f"{label}: {a}")
    # tables: one row per workload with the JSON's req/s; endpoints tables row counts
    rows = re.findall(r'<table class="sortable" data-table="workloads">.*?</table>', raw, re.S)
    check(len(rows) == 1, "no workloads table")
    tds = re.findall(r"<tr><td>([^<]*)</td><td class=\"num\" data-v=\"([^\"]*)\">", rows[0])
    check([(lbl, round(float(v), 3)) for lbl, v in tds] ==
          [(lbl, round(res["throughput"]["requests_per_sec"], 3)) for lbl, res in wls], f"workload rows {tds}")
    # where the client's time went: a row per matched endpoint, the JSON's p50 of a, b and c
    spl = re.findall(r'<table class="sortable" data-table="latency-split">(.*?)</table>', raw, re.S)
    want_spl = [res["profiling"]["latency_decomposition"]["endpoints"] for _, res in wls]
    check(len(spl) == len(want_spl), f"{len(spl)} latency-split tables for {len(want_spl)} workloads")
    for t, eps_ in zip(spl, want_spl):
        rows_ = re.findall(r"<tr><td>([^<]*)</td>((?:<td[^>]*>[^<]*</td>)*)</tr>", t)
        check([r_[0] for r_ in rows_] == [e["endpoint"] for e in eps_], f"latency-split rows {rows_}")
        for (name, cells), e in zip(rows_, eps_):
            vs = [float(v) for v in re.findall(r'data-v="([^"]*)"', cells)]
            want_v = [e["count"], e["before_first_read_ms"]["p50"], e["before_first_read_ms"]["p99"],
                      e["server_ms"]["p50"], e["server_ms"]["p99"], e["server_off_cpu_not_gil_ms"]["p50"],
                      e["after_last_write_ms"]["p50"], e["after_last_write_ms"]["p99"]]
            check(len(vs) == len(want_v) and all(abs(a_ - b_) <= 1e-12 * max(1, abs(b_)) for a_, b_ in zip(vs, want_v)),
                  f"{name}: {vs} vs the JSON {want_v}")
    ept = re.findall(r'<table class="sortable" data-table="endpoints">(.*?)</table>', raw, re.S)
    check([t.count("<tr>") - 1 for t in ept] == [len(res["profiling"]["requests"]["endpoints"]) for _, res in wls],
          "endpoint table rows")
    # the timeline: each workload's 1 s interval throughputs (2.2 s passes: 2 intervals) as its line's values
    lines = [a for t, a, _ in dom.el if t == "path" and a.get("class") == "line"]
    want = [(lbl, res["steady"]["intervals_requests_per_sec"]) for lbl, res in wls
            if len(res.get("steady", {}).get("intervals_requests_per_sec") or []) >= 2]
    check(want, "no workload has two or more intervals")
    check([(a["data-label"], [float(x) for x in a["data-values"].split()]) for a in lines] ==
          [(lbl, [float(f"{v:.10g}") for v in iv]) for lbl, iv in want], f"timeline {lines}")
    # the latency timeline: p50 and p99 of each 1 s interval (results.intervals), two lines per workload
    lat = [a for t, a, _ in dom.el if t == "path" and a.get("class") == "latline"]
    want = [(lbl, q, [iv[f"{q}_ms"] or 0 for iv in res["intervals"]]) for lbl, res in wls
            if len(res.get("intervals") or []) >= 2 for q in ("p50", "p99")]
    check(want, "no workload has two or more latency intervals")
    check([(a["data-label"], a["data-q"], [float(x) for x in a["data-values"].split()]) for a in lat] ==
          [(lbl, q, [float(f"{v:.10g}") for v in vs]) for lbl, q, vs in want], f"latency timeline {lat}")
    for lbl, res in wls:
        ivs = res["intervals"]
        # every request the window completed is in an interval (the grace's are not: it is no whole
        # interval), and each interval's p50 <= p99 <= the pass's max
        check(sum(iv["requests"] for iv in ivs) <= res["latency"]["histogram"]["count"], f"{lbl}: interval counts")
        for iv in ivs:
            if iv["requests"]:
                check(iv["p50_ms"] <= iv["p99_ms"] <= res["latency"]["max_ms"] * 1.03, f"{lbl}: interval {iv}")


def test_html_sorts_in_chromium():
    """a click on a header sorts the rows by that column's numbers (the page's own script)"""
    path, doc = profile_run()
    page = os.path.join(TMP, "sort.html")
    r = run([BINDPROF, "report", path, "--format", "html", "-o", page])
    check(r.returncode == 0, r.stderr)
    with open(page) as f:
        text = f.read()
    # click the GIL-threads table's "wait ms" header once (ascending), after the page's script
    text = text.replace("</body>", "<script>var t=document.querySelector('table[data-table=\"gil-threads\"]');"
                        "t.tHead.rows[0].cells[2].click();document.body.dataset.sorted='1';</script></body>")
    with open(page, "w") as f:
        f.write(text)
    dom, errors, raw = browse(page)
    check(not errors, f"console errors: {errors[:3]}")
    t = re.search(r'<table class="sortable" data-table="gil-threads">(.*?)</table>', raw, re.S).group(1)
    got = [float(v) for v in re.findall(r'<tr><td class="num" data-v="[^"]*">[^<]*</td><td>[^<]*</td>'
                                          r'<td class="num" data-v="([^"]*)"', t)]
    want = sorted(x["wait_ms"] for x in workloads(doc)[0][1]["profiling"]["gil"]["threads"])
    check(got == sorted(got) and [round(v, 6) for v in got] == [round(v, 6) for v in want],
          f"sorted {got}, want {want}")


def test_html_trend_in_chromium():
    """The report's trend section from a history store: 18 stored runs of one workload
    (test_history's synthetic series, requests/s 10% lower from run 10 on, p99 pure noise). The
    report of one of those files, given --history STORE, and given nothing in a directory whose
    ./.bindprof/history.db holds them, draws in Chromium one chart per metric whose points carry
    the stored values in time order, their heights ordered as the values; a store without the
    file's workloads says so, and no store means no section."""
    import test_history
    d = os.path.join(TMP, "trend")
    vals = test_history.synthetic_files(os.path.join(d, "runs"))
    files = sorted(os.path.join(d, "runs", f) for f in os.listdir(os.path.join(d, "runs")))
    db = os.path.join(d, ".bindprof", "history.db")
    os.makedirs(os.path.dirname(db), exist_ok=True)
    r = run([BINDPROF, "history", "add", "--db", db, *files], cwd=d, timeout=120)
    check(r.returncode == 0, f"history add: {r.stderr.strip()[-300:]}")
    pages = {"given": os.path.join(d, "given.html"), "default": os.path.join(d, "default.html")}
    r = run([BINDPROF, "report", files[3], "--format", "html", "-o", pages["given"], "--history", db])
    check(r.returncode == 0, r.stderr)
    r = run([BINDPROF, "report", files[3], "--format", "html", "-o", pages["default"]], cwd=d)
    check(r.returncode == 0, r.stderr)
    for how, page in pages.items():
        dom, errors, raw = browse(page)
        check(not errors, f"{how}: console errors: {errors[:3]}")
        check("Trend (history)" in raw, f"{how}: no trend section")
        svgs = [a for t, a, _ in dom.el if t == "svg" and a.get("class") == "series"]
        check(sorted(a["data-metric"] for a in svgs) == ["latency.p99_ms", "throughput.requests_per_sec"],
              f"{how}: charts {[a.get('data-metric') for a in svgs]}")
        for col, metric in ((0, "throughput.requests_per_sec"), (1, "latency.p99_ms")):
            pts = [a for t, a, path in dom.el if t == "circle" and a.get("class") == "pt"
                   and any(p[0] == "svg" and p[1].get("data-metric") == metric for p in path)]
            got = [float(a["data-value"]) for a in pts]
            want = [v[col] for v in vals]
            check(got == want, f"{how} {metric}: drawn values {got[:4]}..., stored {want[:4]}...")
            ys = [float(a["cy"]) for a in pts]
            by_value = sorted(range(len(got)), key=lambda i: got[i])
            check(all(ys[by_value[i]] >= ys[by_value[i + 1]] for i in range(len(ys) - 1)),
                  f"{how} {metric}: point heights not ordered as the values")
    # a store without this file's workloads; no store at all
    other = os.path.join(TMP, "trend-other.json")
    with open(files[0]) as f:
        doc = json.load(f)
    doc["suites"][0]["workloads"][0]["name"] = "elsewhere"
    with open(other, "w") as f:
        json.dump(doc, f)
    page = os.path.join(d, "other.html")
    r = run([BINDPROF, "report", other, "--format", "html", "-o", page, "--history", db])
    check(r.returncode == 0, r.stderr)
    text = open(page).read()
    check("No stored run of this file" in text and 'class="series"' not in text, "other workload: trend drawn")
    r = run([BINDPROF, "report", other, "--format", "html", "-o", page], cwd=TMP)
    check(r.returncode == 0 and "Trend (history)" not in open(page).read(), "no store: a trend section")
    r = run([BINDPROF, "report", other, "--format", "html", "-o", page, "--history", os.path.join(d, "none.db")])
    check(r.returncode == 2 and len(r.stderr.strip().splitlines()) == 1, f"absent store: {r.returncode} {r.stderr}")


def test_html_compare_in_chromium():
    path, doc = profile_run()
    a, b = os.path.join(TMP, "ha.json"), os.path.join(TMP, "hb.json")
    shutil.copy(path, a)
    shutil.copy(path, b)
    c = os.path.join(TMP, "hc.json")
    r = run([BINDPROF, "compare", a, b, "-o", c, "--force", "--html", os.path.join(TMP, "compare.html")], timeout=60)
    check(r.returncode == 0, r.stderr)
    page = os.path.join(TMP, "c.html")
    r = run([BINDPROF, "report", c, "--format", "html", "-o", page])
    check(r.returncode == 0, r.stderr)
    cdoc = json.load(open(c))
    check(open(page).read() == open(os.path.join(TMP, "compare.html")).read(), "compare --html differs")
    dom, errors, raw = browse(page)
    check(not errors, f"console errors: {errors[:3]}")
    bars = [x for t, x, _ in dom.el if t == "rect" and x.get("class") == "bar"]
    want = [(res["workload"], f["name"], res["frameworks"][f["name"]]["requests_per_sec"])
            for res in cdoc["results"] for f in cdoc["frameworks"]]
    check([(x["data-label"], x["data-series"], round(float(x["data-v"]), 3)) for x in bars] ==
          [(w, n, round(v, 3)) for w, n, v in want], f"compare bars {bars}")
    # both frameworks' files have 3 repeats: whiskers
    check(all("data-lo" in x for x in bars), "compare bars without whiskers")
    check(raw.count("<tr>") >= len(cdoc["results"]) + 1, "significance table")


if __name__ == "__main__":
    sys.exit(main(sys.modules[__name__]))
