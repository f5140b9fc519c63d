#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-only
"""profile --sweep against build/tools/poolserver, a server with exactly 4 worker threads.

- a concurrency sweep of a pool of 4 workers sleeping 10 ms: the throughput of each point bounded
  by min(connections, 4) / the service time the server itself measured, the plateau near
  4 / that time, and the saturation point found at 4;
- a payload sweep: the server received bodies of exactly the sizes asked for, as many of each as
  the point's requests;
- a rate sweep: each point's scheduled requests are its rate x its duration;
- the run conveniences: --list, --workload, --quick, --output-dir with its latest.json link.
"""
import json
import os
import subprocess
import sys
import tempfile
import time
import urllib.request

sys.path.insert(0, os.path.dirname(__file__))
import re  # noqa: E402

from harness import BINDPROF, OUT, Skip, check, free_port, load, main, run, validate  # noqa: E402

POOL = os.path.join(OUT, "tools", "poolserver")


class Pool:
    def __init__(self, workers=4, sleep_ms=10):
        if not os.access(POOL, os.X_OK):
            raise AssertionError(f"{POOL} is not built (make)")
        self.port = free_port()
        self.p = subprocess.Popen([POOL, str(self.port), str(workers), str(sleep_ms)], stdout=subprocess.PIPE,
                                  text=True)
        check(self.p.stdout.readline().startswith("listening"), "poolserver did not start")
        self.url = f"http://127.0.0.1:{self.port}"

    def stats(self):
        with urllib.request.urlopen(self.url + "/stats", timeout=10) as r:
            return json.loads(r.read())

    def close(self):
        self.p.kill()
        self.p.wait()


def suite_file(d, name, method, path, body=False):
    w = {"name": name, "method": method, "path": path}
    if body:
        w.update({"body": {"data": "x"}, "content_type": "application/json"})
    f = os.path.join(d, f"{name}.json")
    with open(f, "w") as fh:
        json.dump({"name": "pool", "workloads": [w, {"name": "other", "method": "GET", "path": "/other"}]}, fh)
    return f


def profile(srv, suite, *args, timeout=120):
    return run([BINDPROF, "profile", "-p", str(srv.p.pid), "--url", srv.url, "--suite", suite, "--probes", "none",
                *args], timeout=timeout)


def concurrency_sweep():
    """One sweep 1,2,4,8 against a fresh pool: (doc, server stats, markdown report, html page)."""
    srv = Pool(4, 10)
    try:
        with tempfile.TemporaryDirectory() as d:
            out = os.path.join(d, "p.json")
            html = os.path.join(d, "p.html")
            r = profile(srv, suite_file(d, "work", "GET", "/work"), "--workload", "work", "--sweep",
                        "concurrency=1,2,4,8", "--warmup", "0.5", "--duration", "2", "-o", out, "--html", html)
            check(r.returncode == 0, r.stderr)
            st = srv.stats()
            doc = load(out)
            with open(html) as f:
                page = f.read()
            md = run([BINDPROF, "report", "-f", "markdown", out]).stdout
    finally:
        srv.close()
    return doc, st, md, page


def service_times(st):
    """The server's own service time at each connection count (its requests keyed by the
    connections open when served): its workers' busy time over the requests they served."""
    return {int(k): v["busy_secs"] / v["work"] for k, v in st["by_connections"].items() if v["work"]}


def test_concurrency_sweep_saturates_at_the_pool_size():
    # The ground truth: 4 workers serve min(N, 4) / S requests/s, S the service time the server
    # measured at that point (a loaded host stretches the 10 ms sleep: 12 to 37 ms seen here). The
    # saturation point is 4 when that capacity grows from 2 to 4 connections (4 / S4 at least 25%
    # above 2 / S2) and not from 4 to 8 (S8 no more than 5% shorter than S4). A host whose load
    # changes during the sweep can break that premise (S8 much shorter than S4: then 8 is this
    # run's true saturation point); such a run is no test of the method: run again (3 attempts),
    # skip naming the service times if the premise never held.
    seen = []
    for _attempt in range(3):
        doc, st, md, page = concurrency_sweep()
        svc = service_times(st)
        check(all(c in svc for c in (1, 2, 4, 8)), f"the server saw no requests on some counts: {st['by_connections']}")
        seen.append({c: round(svc[c] * 1e3, 1) for c in (1, 2, 4, 8)})
        if 4 / svc[4] >= 1.25 * 2 / svc[2] and svc[8] >= 0.95 * svc[4]:
            break
        print(f"      the server's service times (ms) {seen[-1]} do not make 4 the saturation point: run again",
              flush=True)
    else:
        raise Skip(f"the host's load changed the pool's service time between points in 3 runs (ms): {seen}")
    ws = doc["suites"][0]["workloads"]
    check([w["name"] for w in ws] == ["work"], f"--workload ran {[w['name'] for w in ws]}")
    sw = ws[0]["sweep"]
    check(sw["variable"] == "concurrency" and sw["values"] == [1, 2, 4, 8], sw["values"])
    rps = {p["value"]: p["results"]["throughput"]["requests_per_sec"] for p in sw["points"]}
    print(f"      service ms {({c: round(v * 1e3, 2) for c, v in svc.items()})}, points {rps}", flush=True)
    for c, v in rps.items():
        check(0.0095 <= svc[c] < 0.2, f"service time {svc[c] * 1e3:.1f} ms at {c} connections")
        # never more than the busy workers can serve (25%: a point's service time is a mean over its
        # requests, some served while the previous point's connections were closing, on a host
        # whose load moves it by tens of percent within seconds)
        check(v <= min(c, 4) / svc[c] * 1.25, f"concurrency {c}: {v:.0f} req/s above {min(c, 4)} / {svc[c]:.4f} s")
    plateau = max(rps[4], rps[8])
    check(plateau >= 0.6 * 4 / max(svc[4], svc[8]), f"the plateau {plateau:.0f} req/s under 60% of 4 / the service time")
    check(rps[2] <= 0.75 * plateau, f"2 connections ({rps[2]:.0f}) already near the plateau ({plateau:.0f})")
    sat = sw["analysis"]["saturation"]
    print(f"      saturation {sat}", flush=True)
    check(sat["concurrency"] == 4, f"saturation {sat}")
    # the workload's results are the last point's
    check(ws[0]["results"]["throughput"]["requests_per_sec"] == rps[8], "results are not the last point's")
    validate(doc)
    # the report and the HTML page show the same figures, one per point
    rows = re.findall(r"^\| (\d+) \| ([\d.]+) \|", md, re.M)
    check([(int(a), float(b)) for a, b in rows] == [(c, round(v, 1)) for c, v in rps.items()], f"report rows {rows}")
    check("saturation: 4 connections" in md, md[-2000:])
    pts = re.findall(r'class="sweep-point"[^>]*data-value="([\d.]+)" data-rps="([\d.]+)"', page)
    check([(float(a), float(b)) for a, b in pts] == [(c, v) for c, v in rps.items()], f"html points {pts}")
    check('data-concurrency="4"' in page, "the page does not name the saturation point")
    g = sw["analysis"]["growth"]["requests_per_sec"]
    check(g["points"] == 4 and g["verdict"] in ("sub-linear", "indeterminate"), g)
    sweep_page_in_chromium(page, sw)


def sweep_page_in_chromium(page, sw):
    """The sweep's HTML page in headless chromium (test_report_html's helper): each point's figures,
    the saturation point and the growth table (exponent, its CI, points, verdict) as the JSON has
    them, after the page's scripts ran without a console error."""
    import html as htmllib
    from test_report_html import browse
    with tempfile.NamedTemporaryFile("w", suffix=".html", delete=False) as f:
        f.write(page)
    try:
        _d, errors, dom = browse(f.name)
    finally:
        os.unlink(f.name)
    check(not errors, f"console errors: {errors}")
    check('data-ready="1"' in dom, "the page's script did not run")
    pts = re.findall(r'class="sweep-point"[^>]*data-value="([^"]+)" data-rps="([^"]+)" data-p99-ms="([^"]+)"', dom)
    check(len(pts) == len(sw["points"]), f"{len(pts)} points drawn, {len(sw['points'])} in the JSON")
    for (v, rps, p99), p in zip(pts, sw["points"]):
        res = p["results"]
        check(float(v) == p["value"] and abs(float(rps) - res["throughput"]["requests_per_sec"]) < 1e-9 *
              max(1, res["throughput"]["requests_per_sec"]) and abs(float(p99) - res["latency"]["p99_ms"]) < 1e-9 *
              max(1, res["latency"]["p99_ms"]), f"point {v}: page {rps} req/s {p99} ms, JSON {res['throughput']}")
    sat = sw["analysis"]["saturation"]
    if sat.get("concurrency") is not None:
        check(f'class="saturation" data-concurrency="{sat["concurrency"]:g}"' in dom, "the saturation point")
    body = re.search(r'data-table="sweep-growth">.*?<tbody>(.*?)</tbody>', dom, re.S)
    check(body, "no growth table")
    rows = re.findall(r"<tr>(.*?)</tr>", body.group(1), re.S)
    growth = sw["analysis"]["growth"]
    check(len(rows) == len(growth), f"{len(rows)} growth rows, JSON {list(growth)}")
    for row in rows:
        cells = re.findall(r"<td([^>]*)>([^<]*)</td>", row)
        g = growth[htmllib.unescape(cells[0][1])]
        ci = g.get("ci95") or [None, None]
        for (attr, text), want in zip(cells[1:5], (g.get("exponent"), ci[0], ci[1], g.get("points"))):
            dv = re.search(r'data-v="([^"]+)"', attr)
            if want is None:
                check(text == "-" and not dv, f"growth {cells[0][1]}: {text!r} for a null")
            else:
                check(dv and abs(float(dv.group(1)) - want) <= 1e-9 * max(1, abs(want)),
                      f"growth {cells[0][1]}: page {attr} {text}, JSON {want}")
        check(htmllib.unescape(cells[5][1]) == g["verdict"], f"growth verdict {cells[5][1]} vs {g['verdict']}")


def test_payload_sweep_sends_bodies_of_the_exact_sizes():
    srv = Pool(4, 0)
    sizes = [64, 1024, 16384, 262144]
    try:
        with tempfile.TemporaryDirectory() as d:
            out = os.path.join(d, "p.json")
            r = profile(srv, suite_file(d, "echo", "POST", "/echo", body=True), "--sweep",
                        "payload=64,1K,16K,256K", "--warmup", "0", "--duration", "1", "--concurrency", "2", "-o", out)
            check(r.returncode == 0, r.stderr)
            st = srv.stats()
            doc = load(out)
    finally:
        srv.close()
    validate(doc)
    ws = doc["suites"][0]["workloads"]
    # the GET workload of the suite is no JSON workload: left out of a payload sweep
    check([w["name"] for w in ws] == ["echo"], [w["name"] for w in ws])
    got = {int(k): v for k, v in st["lengths"].items()}
    check(sorted(got) == sizes, f"body lengths the server read: {sorted(got)}, want {sizes}")
    for p in ws[0]["sweep"]["points"]:
        t = p["results"]["throughput"]
        n = got[int(p["value"])]
        # every answered request was read by the server; the server may also have read requests
        # cut at the end of the pass (sent, answer not awaited) or that failed
        lo = t["successful_requests"]
        hi = t["total_requests"] + p["results"]["errors"]["timeout_at_end"]
        check(lo <= n <= hi, f"{p['value']} B: server read {n}, profile counts {lo}..{hi}")
        check(lo > 0, f"{p['value']} B: no request answered")


def test_rate_sweep_and_conveniences():
    srv = Pool(4, 1)
    try:
        with tempfile.TemporaryDirectory() as d:
            suite = suite_file(d, "work", "GET", "/work")
            r = run([BINDPROF, "profile", "--list", "--suite", suite])
            check(r.returncode == 0 and "pool:" in r.stdout and "work" in r.stdout and "/other" in r.stdout, r.stdout)
            # the built-ins, the mixed suite among them (it has no workload of its own to list)
            r = run([BINDPROF, "profile", "--list"])
            check(r.returncode == 0 and "\nmixed: " in r.stdout and "path-simple" in r.stdout, r.stdout)
            r = profile(srv, suite, "--workload", "nosuch")
            check(r.returncode == 2 and "no workload named 'nosuch'" in r.stderr and "pool/work" in r.stderr, r.stderr)
            odir = os.path.join(d, "results", "x")
            r = profile(srv, suite, "--workload", "pool/work", "--quick", "--duration", "2", "--warmup", "0",
                        "--sweep", "rate=20,40", "--p99-target", "500", "--output-dir", odir)
            check(r.returncode == 0, r.stderr)
            latest = os.path.join(odir, "latest.json")
            check(os.path.islink(latest), f"{latest} is no link")
            target = os.readlink(latest)
            check(target.startswith("profile-") and target.endswith(".json"), target)
            check(os.path.islink(os.path.join(odir, "latest.html")), "no latest.html")
            doc = load(latest)
    finally:
        srv.close()
    cfg = doc["configuration"]
    # --quick with --duration given: the duration kept, the rest quick
    check(cfg["quick"] and cfg["duration_secs"] == 2 and cfg["warmup_secs"] == 0 and cfg["repeats"] == 1, cfg)
    sw = doc["suites"][0]["workloads"][0]["sweep"]
    for p in sw["points"]:
        t = p["results"]["throughput"]
        # open loop: the schedule holds rate x duration send slots
        check(t["requested_rate"] == p["value"], t)
        check(abs(t["scheduled_requests"] - p["value"] * 2) <= 1, f"{p['value']}/s: {t['scheduled_requests']} slots")
    m = sw["analysis"]["max_rate_meeting_p99"]
    check(m["target_ms"] == 500, m)
    p99 = [p["results"]["latency"]["p99_ms"] for p in sw["points"]]
    want = None
    for p, q in zip(sw["points"], p99):  # the leading run meeting the target, as documented
        if q <= 500 and p["results"]["throughput"]["requests_per_sec"] >= 0.9 * p["value"]:
            want = p["value"]
        else:
            break
    check(m["rate"] == want, f"{m} for p99 {p99}")


if __name__ == "__main__":
    sys.exit(main(sys.modules[__name__]))
