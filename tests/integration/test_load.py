# SPDX-License-Identifier: GPL-2.0-only
"""bindprof load against tools/httptest.py, a server whose every response is known.

Ground truths: the server's own request and connection counts; the rate asked for; the stall it
makes on every 100th /stall request (200 ms); its 500s, resets, half and endless answers; the
generator frozen on a known duty cycle (SIGSTOP/SIGCONT) for saturation. Root is needed only for
the fd-limit cases (raising the hard limit, and dropping CAP_SYS_RESOURCE to refuse it).
"""
import json
import math
import os
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request

sys.path.insert(0, os.path.dirname(__file__))
from harness import BINDPROF, ROOT, Skip, check, free_port, load, main, near, run, validate, wait_line  # noqa: E402

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


LAST = {}


def loadgen(path, args, name="l.json", status=0, **kw):
    out = os.path.join(TMP, name)
    t = time.monotonic()
    r = run([BINDPROF, "load", "--url", f"http://127.0.0.1:{server()}{path}", "-o", out] + args, timeout=120, **kw)
    LAST.update(wall=time.monotonic() - t, stdout=r.stdout, stderr=r.stderr)
    check(r.returncode == status, f"load exited {r.returncode}, not {status}: {r.stderr.strip()}")
    check("requests:" in r.stdout and "errors:" in r.stdout, f"a summary always: {r.stdout!r}")
    doc = load(out)
    validate(doc)
    t = doc["results"]["throughput"]
    check(t["total_requests"] == t["successful_requests"] + t["failed_requests"], "total = ok + failed")
    near(t["requests_per_sec"], t["completed_requests"] / t["measured_secs"], 1e-6, "rps = completed / secs")
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
    doc = loadgen("/err500", ["-n", "200", "-c", "2", "-t", "1"], status=4)  # nothing succeeded
    e, t = doc["results"]["errors"], doc["results"]["throughput"]
    check(e["status_5xx"] == 200 and t["failed_requests"] == 200 and t["success_rate"] == 0, f"500s: {e}")
    before = counts()
    doc = loadgen("/close", ["-n", "50", "-c", "2", "-t", "1"], status=4)
    e = doc["results"]["errors"]
    check(e["read"] == 50 == delta("/close", before), f"closed without answer: read errors {e}")
    doc = loadgen("/slow", ["-n", "4", "-c", "2", "-t", "1", "--timeout", "500ms"], status=4)
    e, lat = doc["results"]["errors"], doc["results"]["latency"]
    check(e["timeout"] == 4, f"timeouts: {e}")
    check(lat["min_ms"] >= 500, f"timeouts count in the latency: {lat['min_ms']}")
    doc = loadgen("/nope", ["-n", "10", "-c", "1", "-t", "1"], status=4)
    check(doc["results"]["errors"]["status_4xx"] == 10, "404s")


def test_refusals():
    r = run([BINDPROF, "load", "--url", "http://10.1.2.3:80/", "-d", "1"])
    check(r.returncode == 2 and "not a loopback address" in r.stderr and not r.stdout and
          len(r.stderr.strip().splitlines()) == 1, f"one line, nothing started: {r.stdout!r} {r.stderr!r}")
    r = run([BINDPROF, "load", "--url", "https://127.0.0.1/", "-d", "1"])
    check(r.returncode == 2 and "https is not supported" in r.stderr, r.stderr)
    out = os.path.join(TMP, "refused.json")
    r = run([BINDPROF, "load", "--url", "http://127.0.0.1:1/", "-d", "0.5", "-o", out])
    check(r.returncode == 4 and "refused every connection" in r.stderr, f"{r.returncode} {r.stderr}")
    doc = load(out)
    validate(doc)
    check(doc["results"]["latency"] is None and doc["results"]["errors"]["connect"] > 0, "no made-up latency")
    # -n against a port that refuses everything ends after N refusals (it retried for ever)
    r = run([BINDPROF, "load", "--url", "http://127.0.0.1:1/", "-n", "40", "-c", "2", "-o", out], timeout=30)
    check(r.returncode == 4 and "refused every connection" in r.stderr, f"-n: {r.returncode} {r.stderr}")
    d = load(out)["results"]
    errs, t = d["errors"]["connect"], d["throughput"]
    check(40 <= errs <= 44, f"-n 40: {errs} connect errors (each refusal uses up one request; a few in flight)")
    # each refusal of the run is a failed request: total and failed count them (the warm-up's are apart)
    check(t["failed_requests"] == t["total_requests"] == errs and t["success_rate"] == 0,
          f"-n 40: {t} vs {errs} connect errors")


def test_requests_cut_at_the_end_are_not_failures():
    """A healthy server whose answers take 1 s, run for 1.4 s (grace 0.2 s): each connection's
    second request is still in flight at the cut (due at 2 s), whatever the host's load adds to the
    first, up to 0.4 s (0.4 s answers in a 0.5 s run left no room: on a loaded host the first answers
    came after the end, and no second request was sent). Cut requests are counted apart (timeout_at_end),
    outside total_requests, the success rate and the latency; the run is not failed."""
    port = free_port()
    srv = subprocess.Popen(["/usr/bin/python3", os.path.join(ROOT, "tools", "demo_server.py"), "--port", str(port),
                            "--delay", "/hello=1000"], stdout=subprocess.PIPE, text=True)
    try:
        wait_line(srv.stdout, "listening")
        out = os.path.join(TMP, "cut.json")
        r = run([BINDPROF, "load", "--url", f"http://127.0.0.1:{port}/hello", "-d", "1.4", "-c", "2", "-t", "1",
                 "--timeout", "5", "-o", out], timeout=60)
        check(r.returncode == 0, f"exit {r.returncode}: {r.stderr}")
        res = load(out)["results"]
        t, e = res["throughput"], res["errors"]
        check(e["timeout_at_end"] >= 1 and e["timeout"] == 0, f"cut at the end: {e}")
        check(t["failed_requests"] == 0 and t["success_rate"] == 1 and t["total_requests"] == t["successful_requests"] >= 1,
              f"a healthy server's cut requests are no failures: {t}")
        check(res["latency"]["histogram"]["count"] == t["total_requests"], "cut requests are in no latency")
        check(1000 <= res["latency"]["max_ms"] < 1400, f"answers took 1 s: {res['latency']['max_ms']} ms")
    finally:
        srv.kill()
        srv.wait()


def settled_delta(path, before, want=None):
    """The server's count once it stops moving (requests written just before the end are read
    by its handlers a moment later)."""
    last = None
    for _ in range(30):
        d = delta(path, before)
        if d == last or d == want:
            return d
        last = d
        time.sleep(0.1)
    return last


def test_rate_is_exact_at_any_c_t_d():
    # item 10: rate x duration (+-1) reach the server, whatever -c, -t and -d
    for rate, dur, conns, threads, secs in ((500, "1", 50, 2, 1), (400, "1s", 3, 2, 1), (250, "500ms", 1, 1, 0.5),
                                            (300, "2", 200, 4, 2), (7, "1500ms", 2, 4, 1.5)):
        before = counts()
        doc = loadgen("/ok", ["--rate", str(rate), "-d", dur, "-c", str(conns), "-t", str(threads)])
        t, g = doc["results"]["throughput"], doc["results"]["generator"]
        want = math.ceil(rate * secs)  # the slots j / rate < secs
        got = settled_delta("/ok", before, want)
        check(t["scheduled_requests"] == want and abs(want - rate * secs) <= 1,
              f"--rate {rate} -d {dur}: scheduled {t['scheduled_requests']} != {want}")
        if g["missed_send_slots"] == 0:
            check(abs(got - want) <= 1, f"--rate {rate} -d {dur} -c {conns} -t {threads}: server saw {got}, want {want}")
            check(t["total_requests"] == got, f"generator total {t['total_requests']} vs server {got}")
        else:  # not delivered: then it says so, and the shortfall is exact
            check(g["saturated"] and "never sent" in LAST["stderr"], f"a shortfall is reported: {LAST['stderr']}")
            check(got + g["missed_send_slots"] == want, f"server {got} + never sent {g['missed_send_slots']} != {want}")


def test_rate_exact_when_connections_come_up_late():
    # item 10 as first seen: http.server's default listen backlog (5) with -c 50, so some
    # handshakes complete late; before, a thread whose connections were not up dropped its slots
    # at the end (250 of 500 sent, exit 0). Ground truth: that server's own count.
    srv = subprocess.Popen(["/usr/bin/python3", os.path.join(ROOT, "tools", "httptest.py"), "--backlog", "5"],
                           stdout=subprocess.PIPE, text=True)
    try:
        port = int(wait_line(srv.stdout, "listening").split()[1])

        def count():
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/count", timeout=5) as r:
                return json.loads(r.read()).get("/ok", 0)

        for i in range(3):
            before = count()
            out = os.path.join(TMP, "late.json")
            r = run([BINDPROF, "load", "--url", f"http://127.0.0.1:{port}/ok", "--rate", "500", "-d", "1", "-o", out],
                    timeout=60)
            check(r.returncode == 0, f"exit {r.returncode}: {r.stderr}")
            t, e = load(out)["results"]["throughput"], load(out)["results"]["errors"]
            got = before
            for _ in range(40):  # requests written to late connections are read when accepted
                got = count()
                if got - before >= 500:
                    break
                time.sleep(0.1)
            # requests cut at the end of the window are counted apart, outside total_requests
            check(t["scheduled_requests"] == 500 == t["total_requests"] + e["timeout_at_end"], f"run {i}: {t} {e}")
            check(t["completed_requests"] + e["timeout"] + e["timeout_at_end"] + e["read"] + e["never_sent"] == 500,
                  f"run {i}: every request accounted for: {e}")
            # every request reached the server, except those sent on a connection the server had
            # not accepted yet (its queue of 5 full): cut at the end (timeout_at_end), with a warning;
            # and those queued behind them, never sent (saturated, with a warning)
            seen = got - before
            check(not e["never_sent"] or "never sent" in r.stderr, f"run {i}: {r.stderr}")
            check(seen <= 501 and seen + e["timeout_at_end"] + e["never_sent"] >= 499,
                  f"run {i}: the server counted {seen} of 500, {e['timeout_at_end']} cut at the end ({e})")
            check(not e["timeout_at_end"] or "still unanswered when the run ended" in r.stderr, f"run {i}: {r.stderr}")
            print(f"      run {i}: the server counted {seen} of 500; {t['completed_requests']} completed, "
                  f"{e['timeout_at_end']} cut at the end, {e['never_sent']} never sent", flush=True)
    finally:
        srv.kill()


def test_rate_above_capacity_ends_at_d():
    # item 12: far above what the server completes; the run ends at -d and reports what completed
    before = counts()
    doc = loadgen("/ok", ["--rate", "50000", "-d", "1", "-c", "20", "-t", "2"])
    t, g, e = doc["results"]["throughput"], doc["results"]["generator"], doc["results"]["errors"]
    check(LAST["wall"] < 1 + 2.5, f"ran {LAST['wall']:.1f} s for -d 1")  # warm-up, grace, start-up
    check(t["scheduled_requests"] == 50000 == t["total_requests"], f"every slot accounted for: {t}")
    sent = settled_delta("/ok", before)
    check(sent == t["completed_requests"] + e["timeout"] + e["read"] + e["write"],
          f"server saw {sent}; generator sent {t['completed_requests']} completed + {e['timeout']} timed out")
    check(e["never_sent"] == 50000 - sent, f"never sent {e['never_sent']} = 50000 - {sent}")
    near(t["requests_per_sec"], t["completed_requests"] / 1.0, 1e-6, "throughput is what completed in 1 s")
    check(t["requests_per_sec"] < 50000 * 0.8, f"no invented throughput: {t['requests_per_sec']}")
    check(g["saturated"] and g["missed_send_slots"] == e["never_sent"], f"saturated: {g}")
    lat = doc["results"]["latency"]
    check(lat["histogram"]["count"] == t["total_requests"], "never-sent requests are in the latency tail")
    check(lat["max_ms"] > 300, f"their wait shows in the tail: max {lat['max_ms']} ms")


def test_failures_are_not_silent():
    # item 13: every request fails without a connect error: a summary, exit 4, the server's count
    for path in ("/reset", "/half", "/malformed", "/bighdr"):
        before = counts()
        doc = loadgen(path, ["-n", "20", "-c", "2", "-t", "1"], name="f.json", status=4)
        e, t = doc["results"]["errors"], doc["results"]["throughput"]
        check(t["successful_requests"] == 0 and e["read"] == 20 == settled_delta(path, before, 20),
              f"{path}: read errors {e}, server {delta(path, before)}")
        check(e["connect"] == 0 and "no request succeeded" in LAST["stderr"], f"{path}: {LAST['stderr']}")
    # an endless answer with -d 1 --timeout 20 ends at -d, its bytes over 1 s
    doc = loadgen("/endless", ["-d", "1", "--timeout", "20", "-c", "2", "-t", "1"], name="e.json", status=4)
    t, e = doc["results"]["throughput"], doc["results"]["errors"]
    check(LAST["wall"] < 1 + 2.0, f"-d 1 --timeout 20 ran {LAST['wall']:.1f} s")
    check(e["timeout_at_end"] == 2 and e["timeout"] == 0 and t["measured_secs"] == 1,
          f"the two awaited answers are cut at the end: {e}")
    near(t["bytes_per_sec"] * t["measured_secs"], doc["results"]["throughput"]["bytes_per_sec"], 1e-9, "bytes/s")


def can_raise_hard_fd_limit():
    r = subprocess.run([sys.executable, "-c", "import resource as r; r.setrlimit(r.RLIMIT_NOFILE, (64, 64)); "
                        "r.setrlimit(r.RLIMIT_NOFILE, (400, 400))"], capture_output=True)
    return r.returncode == 0


def test_fd_limit():
    # item 13: -c above the soft fd limit: raised up to the hard one, so every connection is real
    # (the server's connection count), and EMFILE never counts as a connect error
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard != resource.RLIM_INFINITY and hard < 400:
        raise Skip(f"the hard fd limit ({hard}) is below what -c 300 needs")

    def low_soft():
        resource.setrlimit(resource.RLIMIT_NOFILE, (64, hard))

    before = counts()
    doc = loadgen("/ok", ["-d", "1", "-c", "300", "-t", "2"], name="fd.json", preexec_fn=low_soft)
    g, e, cfg = doc["results"]["generator"], doc["results"]["errors"], doc["configuration"]
    conns = settled_delta("connections", before, 300)
    check(e["fd_limit"] == 0 and e["connect"] == 0, f"no EMFILE counted as connect errors: {e}")
    check(cfg["concurrency"] == g["connections"] == conns == 300, f"concurrency {cfg['concurrency']}, server saw {conns}")

    # a hard limit below what -c needs: raised where allowed (CAP_SYS_RESOURCE), else exit 3 naming ulimit -n
    def low_hard():
        resource.setrlimit(resource.RLIMIT_NOFILE, (64, 64))

    before = counts()
    out = os.path.join(TMP, "fd2.json")
    r = run([BINDPROF, "load", "--url", f"http://127.0.0.1:{server()}/ok", "-d", "1", "-c", "300", "-t", "2", "-o", out],
            preexec_fn=low_hard)
    if can_raise_hard_fd_limit():
        check(r.returncode == 0 and load(out)["configuration"]["concurrency"] == 300 ==
              settled_delta("connections", before, 300), f"raised: exit {r.returncode} {r.stderr}")
    else:
        check(r.returncode == 3 and "ulimit -n" in r.stderr and r.stderr.count("\n") == 1, f"exit {r.returncode}: {r.stderr}")
        check(delta("connections", before) == 0, "no half-run")


def test_saturation_is_flagged():
    # item 11, the ground truth being a generator frozen half the time (SIGSTOP/SIGCONT every
    # 100 ms) while the server, at 300 req/s, idles: the generator is the limit, and says so
    out = os.path.join(TMP, "sat.json")
    p = subprocess.Popen([BINDPROF, "load", "--url", f"http://127.0.0.1:{server()}/ok", "--rate", "300", "-d", "3",
                          "-c", "8", "-t", "1", "-o", out], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                         preexec_fn=lambda: os.nice(-10))  # both runs ahead of the machine's other work
    time.sleep(0.3)
    frozen = 0.0
    while p.poll() is None:
        os.kill(p.pid, signal.SIGSTOP)
        time.sleep(0.1)
        frozen += 0.1
        os.kill(p.pid, signal.SIGCONT)
        time.sleep(0.1)
    _, err = p.communicate()
    g = load(out)["results"]["generator"]
    check(frozen > 1.0, f"the generator was frozen {frozen:.1f} s")
    check(g["saturated"] and "send lag" in g["saturation"] and "send lag" in err, f"saturation: {g}")
    check(g["late_send_slots"] >= 0.3 * 900, f"late slots {g['late_send_slots']} of 900 (frozen about half the time)")
    check(g["send_lag_ms"]["p90"] >= 30, f"the lag is the freezes' (up to 100 ms): {g['send_lag_ms']}")
    # the same run left alone: its lag is the machine's timer and scheduling delay, far below the
    # freezes', and it is flagged only when its own lag says so (a machine this busy can delay
    # timers by more than 1 ms without any freezing)
    doc = loadgen("/ok", ["--rate", "300", "-d", "3", "-c", "8", "-t", "1"], name="sat2.json", preexec_fn=lambda: os.nice(-10))
    g2 = doc["results"]["generator"]
    check(g2["send_lag_ms"]["p90"] * 2 < g["send_lag_ms"]["p90"], f"left alone {g2['send_lag_ms']} vs frozen {g['send_lag_ms']}")
    check(g2["saturated"] == (g2["late_send_slots"] * 10 > 900 or g2["busy_fraction"] > 0.9), f"consistent: {g2}")
    print(f"      frozen half the time: send lag p90 {g['send_lag_ms']['p90']:.1f} ms, {g['late_send_slots']} of 900 "
          f"slots late, saturated; left alone: p90 {g2['send_lag_ms']['p90']:.2f} ms, {g2['late_send_slots']} late, "
          f"saturated {g2['saturated']}", flush=True)


def proc_cpu_s(pid):
    """A process's CPU time so far (all its threads), seconds, from /proc."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def proc_busy_s(pid):
    """A process's main thread's time running or waiting for a CPU so far, seconds (schedstat)."""
    with open(f"/proc/{pid}/schedstat") as f:
        run_ns, wait_ns = f.read().split()[:2]
    return (int(run_ns) + int(wait_ns)) / 1e9


def test_saturation_closed_loop_on_one_shared_core():
    # item 11 in closed loop, on few cores: the generator (1 thread) pinned to one core that a
    # busy loop also wants, against nginx, which then idles most of the time. Ground truth: nginx's
    # own CPU time over the run (well under one core: the server is not the limit) and the
    # spinner's presence; the generator must say it was the limit. nginx's ground truth: its worker
    # was running or runnable (its schedstat) well under the whole run, so it waited for requests. Control: the same generator
    # unpinned against the Python test server, which is the limit (the generator waits on it).
    if not shutil.which("nginx") or not shutil.which("taskset"):
        raise Skip("needs nginx (apt-get install nginx) and taskset")
    port = free_port()
    prefix = tempfile.mkdtemp(prefix="bindprof-nginx-")
    os.makedirs(os.path.join(prefix, "tmp"))
    conf = os.path.join(prefix, "nginx.conf")
    with open(os.path.join(ROOT, "scripts", "bench", "nginx.conf")) as f:
        text = f.read().replace("127.0.0.1:18080", f"127.0.0.1:{port}")
    with open(conf, "w") as f:
        f.write(text)
    # nginx alone on core 1, ahead of the machine's other work: it answers as fast as it is asked
    ngx = subprocess.Popen(["taskset", "-c", "1", "nginx", "-p", prefix, "-c", conf], stderr=subprocess.DEVNULL,
                           preexec_fn=lambda: os.nice(-10))
    # the spinner at nice -15 and the generator at -10 share core 0, ahead of whatever else the
    # machine runs: the spinner's weight is 3x the generator's, so the generator gets about a quarter
    # of the core and waits for it most of the time (at equal nice, a half: a cpu_wait_fraction of
    # 0.42-0.45 sat on the 0.5 threshold and failed beside a hog on nginx's core)
    spin = subprocess.Popen(["taskset", "-c", "0", sys.executable, "-c", "while True: pass"],
                            preexec_fn=lambda: os.nice(-15))
    try:
        for _ in range(50):
            if os.path.exists(os.path.join(prefix, "nginx.pid")):
                break
            time.sleep(0.1)
        time.sleep(0.3)
        workers = [int(p) for p in subprocess.run(["pgrep", "-P", str(ngx.pid)], capture_output=True,
                                                   text=True).stdout.split()]
        check(workers, "nginx started its worker")
        c0 = sum(proc_cpu_s(p) for p in workers)
        b0 = sum(proc_busy_s(p) for p in workers)
        out = os.path.join(TMP, "sat-closed.json")
        # 100 connections: always a response to read or a request to write, so the generator never
        # idles on nginx (with 20, beside three other suites, it idled 15% of the run: busy 0.85)
        r = run(["taskset", "-c", "0", BINDPROF, "load", "--url", f"http://127.0.0.1:{port}/", "-c", "100", "-t", "1",
                 "-d", "3", "-o", out], timeout=60, preexec_fn=lambda: os.nice(-10))
        ngx_cpu = sum(proc_cpu_s(p) for p in workers) - c0
        ngx_busy = sum(proc_busy_s(p) for p in workers) - b0
        check(r.returncode == 0, f"exit {r.returncode}: {r.stderr}")
        g = load(out)["results"]["generator"]
        wall = load(out)["results"]["throughput"]["wall_secs"]
        print(f"      one shared core: nginx used {100 * ngx_cpu / wall:.0f}% of a core (busy "
              f"{100 * ngx_busy / wall:.0f}%); the generator "
              f"{g['cpu_percent']:.0f}% CPU, busy {100 * g['busy_fraction']:.0f}% (waiting for a CPU "
              f"{100 * g['cpu_wait_fraction']:.0f}%), saturated {g['saturated']}", flush=True)
        check(ngx_busy < 0.75 * wall, f"nginx was not the limit: running or runnable {ngx_busy:.2f} s of {wall:.2f} s")
        check(g["saturated"] and (g["busy_fraction"] > 0.9 or g["cpu_wait_fraction"] > 0.5) and
              "generator" in g["saturation"], f"saturation: {g}")
    finally:
        spin.kill()
        ngx.terminate()  # the master stops its worker
        try:
            ngx.wait(10)
        except subprocess.TimeoutExpired:
            ngx.kill()
            ngx.wait()
        shutil.rmtree(prefix, ignore_errors=True)
    doc = loadgen("/ok", ["-c", "8", "-t", "2", "-d", "2"], name="sat-control.json", preexec_fn=lambda: os.nice(-10))
    g = doc["results"]["generator"]
    print(f"      control (the Python server is the limit): busy {100 * g['busy_fraction']:.0f}% (waiting for a "
          f"CPU {100 * g['cpu_wait_fraction']:.0f}%), saturated {g['saturated']}", flush=True)
    check(g["busy_fraction"] < 0.9 and g["cpu_wait_fraction"] < 0.5 and not g["saturated"], f"control: {g}")


def test_start_line_progress_and_units():
    # item 14: wrk's start line; a live progress line on a terminal only; durations with units
    doc = loadgen("/ok", ["-d", "500ms", "-c", "2", "-t", "1"], name="u.json")
    check(LAST["stdout"].startswith("Running 500ms test @ http://127.0.0.1:") and
          "1 threads and 2 connections" in LAST["stdout"], LAST["stdout"])
    check(doc["results"]["throughput"]["measured_secs"] == 0.5, "-d 500ms is half a second")
    check("req/s now" not in LAST["stderr"], "no progress line when stderr is not a terminal")
    for bad in ("2x", "1e3", "-1s", "0ms", "25h"):
        r = run([BINDPROF, "load", "--url", f"http://127.0.0.1:{server()}/ok", "-d", bad])
        check(r.returncode == 2 and r.stderr.count("\n") == 1 and "-d: invalid duration" in r.stderr, f"-d {bad}: {r.stderr}")
    import pty
    pid, fd = pty.fork()
    if pid == 0:
        os.execv(BINDPROF, [BINDPROF, "load", "--url", f"http://127.0.0.1:{server()}/ok", "-d", "2s", "-c", "2", "-t", "1"])
    buf = b""
    while True:
        try:
            chunk = os.read(fd, 4096)
        except OSError:
            break
        if not chunk:
            break
        buf += chunk
    os.waitpid(pid, 0)
    text = buf.decode(errors="replace")
    check(text.startswith("Running 2s test @") and text.count("req/s now") >= 2, f"progress on a terminal: {text!r}")


if __name__ == "__main__":
    try:
        sys.exit(main(sys.modules[__name__]))
    finally:
        if SERVER:
            SERVER.kill()
