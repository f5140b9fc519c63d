# SPDX-License-Identifier: GPL-2.0-only
"""bindprof load against tools/httptest.py, a server whose every response is known.

No root needed. Ground truths: the server's own request counts; the rate asked for; the stall it
makes on every 100th /stall request (200 ms); its 500s, closed connections and 1.5 s answers.
"""
import json
import os
import subprocess
import sys
import tempfile
import urllib.request

sys.path.insert(0, os.path.dirname(__file__))
from harness import BINDPROF, ROOT, check, load, main, near, run, validate, wait_line  # noqa: E402

TMP = tempfile.mkdtemp(prefix="bindprof-load-")
SERVER = None
PORT = None


def server():
    global SERVER, PORT
    if SERVER is None:
        SERVER = subprocess.Popen(["/usr/bin/python3", os.path.join(ROOT, "tools", "httptest.py")],
                                  stdout=subprocess.PIPE, text=True)
        PORT = int(wait_line(SERVER.stdout, "listening").split()[1])
    return PORT


def counts():
    with urllib.request.urlopen(f"http://127.0.0.1:{server()}/count", timeout=5) as r:
        return json.loads(r.read())


def loadgen(path, args, name="l.json", status=0):
    out = os.path.join(TMP, name)
    r = run([BINDPROF, "load", "--url", f"http://127.0.0.1:{server()}{path}", "-o", out] + args, timeout=120)
    check(r.returncode == status, f"load exited {r.returncode}: {r.stderr.strip()}")
    doc = load(out)
    validate(doc)
    t = doc["results"]["throughput"]
    check(t["total_requests"] == t["successful_requests"] + t["failed_requests"], "total = ok + failed")
    near(t["requests_per_sec"], t["total_requests"] / t["measured_secs"], 1e-6, "rps = total / secs")
    return doc


def delta(path, before):
    return counts().get(path, 0) - before.get(path, 0)


def test_counts_agree_with_the_server():
    before = counts()
    doc = loadgen("/ok", ["-n", "3000", "-c", "8", "-t", "2"])
    t = doc["results"]["throughput"]
    check(t["total_requests"] == 3000 and t["successful_requests"] == 3000, f"-n 3000: {t}")
    check(delta("/ok", before) == 3000, f"server saw {delta('/ok', before)}")
    before = counts()
    doc = loadgen("/ok", ["-d", "2", "-c", "8", "-t", "2"])
    t = doc["results"]["throughput"]
    check(delta("/ok", before) == t["total_requests"] > 1000, f"-d: server {delta('/ok', before)} vs {t}")
    near(t["measured_secs"], 2.0, 0.05, "the measured window")
    h = doc["results"]["latency"]["histogram"]
    check(h["count"] == t["total_requests"] == sum(c for _, c in h["buckets"]), "raw histogram holds every request")
    before = counts()
    doc = loadgen("/chunked", ["-n", "500", "-c", "4", "-t", "2"])
    check(doc["results"]["throughput"]["successful_requests"] == 500 == delta("/chunked", before), "chunked")


def test_rate_is_kept():
    for rate, threads in ((300, 2), (3, 4)):  # and a rate below the thread count
        doc = loadgen("/ok", ["--rate", str(rate), "-d", "3", "-c", "8", "-t", str(threads)])
        t = doc["results"]["throughput"]
        near(t["total_requests"], rate * 3, 0.02 if rate > 50 else 0.0, f"--rate {rate} over 3 s")
        check(doc["results"]["latency_uncorrected"] is not None, "the uncorrected latency beside it")


def test_stalls_show_in_the_tail():
    # closed loop: 10 of 1000 requests stall 200 ms
    doc = loadgen("/stall", ["-n", "1000", "-c", "4", "-t", "2"])
    lat = doc["results"]["latency"]
    check(lat["max_ms"] >= 200 and lat["p999_ms"] >= 200, f"max/p99.9 show the stall: {lat['max_ms']}")
    check(lat["median_ms"] < 20, f"p50 does not: {lat['median_ms']}")
    # constant rate over one connection: the requests scheduled behind a stall wait for it too,
    # which the corrected latency shows in p99 and the uncorrected one hides
    doc = loadgen("/stall", ["--rate", "200", "-d", "3", "-c", "1", "-t", "1"])
    lat, unc = doc["results"]["latency"], doc["results"]["latency_uncorrected"]
    check(lat["p99_ms"] >= 150 and lat["max_ms"] >= 200, f"corrected p99 {lat['p99_ms']}, max {lat['max_ms']}")
    check(unc["p99_ms"] < lat["p99_ms"] / 5, f"uncorrected p99 {unc['p99_ms']} hides it")


def test_errors_are_classified():
    doc = loadgen("/err500", ["-n", "200", "-c", "2", "-t", "1"])
    e, t = doc["results"]["errors"], doc["results"]["throughput"]
    check(e["status_5xx"] == 200 and t["failed_requests"] == 200 and t["success_rate"] == 0, f"500s: {e}")
    before = counts()
    doc = loadgen("/close", ["-n", "50", "-c", "2", "-t", "1"])
    e = doc["results"]["errors"]
    check(e["read"] == 50 == delta("/close", before), f"closed without answer: read errors {e}")
    doc = loadgen("/slow", ["-n", "4", "-c", "2", "-t", "1", "--timeout", "0.5"])
    e, lat = doc["results"]["errors"], doc["results"]["latency"]
    check(e["timeout"] == 4, f"timeouts: {e}")
    check(lat["min_ms"] >= 500, f"timeouts count in the latency: {lat['min_ms']}")
    doc = loadgen("/nope", ["-n", "10", "-c", "1", "-t", "1"])
    check(doc["results"]["errors"]["status_4xx"] == 10, "404s")


def test_refusals():
    r = run([BINDPROF, "load", "--url", "http://10.1.2.3:80/", "-d", "1"])
    check(r.returncode == 2 and "not a loopback address" in r.stderr, r.stderr)
    r = run([BINDPROF, "load", "--url", "https://127.0.0.1/", "-d", "1"])
    check(r.returncode == 2 and "https is not supported" in r.stderr, r.stderr)
    out = os.path.join(TMP, "refused.json")
    r = run([BINDPROF, "load", "--url", "http://127.0.0.1:1/", "-d", "0.5", "-o", out])
    check(r.returncode == 4 and "refused every connection" in r.stderr, f"{r.returncode} {r.stderr}")
    doc = load(out)
    validate(doc)
    check(doc["results"]["latency"] is None and doc["results"]["errors"]["connect"] > 0, "no made-up latency")


if __name__ == "__main__":
    try:
        sys.exit(main(sys.modules[__name__]))
    finally:
        if SERVER:
            SERVER.kill()
