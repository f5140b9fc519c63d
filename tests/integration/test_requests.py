# SPDX-License-Identifier: GPL-2.0-only
"""Per-request attribution (--probes requests) against a server of known behaviour
(tools/reqserver.py): /ffi makes exactly 3 native calls, /gc exactly 1 collection, /ppid exactly 4
getppid() syscalls, /sleep sleeps 5 ms, /items/<n> normalizes to /items/{id}, /hang is still open
when the run ends. bindprof's own load generator drives each endpoint with a known request
count.

Ground truths asserted: request counts per endpoint equal the load generator's completed
requests; per-request medians are exactly 3 FFI crossings, 1 GC pause and 4 getppid calls (and 0
where the endpoint makes none); the sleep endpoint's server-side p50 is within 10% of the
server's own timing (time.monotonic around each request) on both servers, and within 10% of 5 ms
on the threaded server under the default cheap probes; /hang is reported incomplete, not dropped. Thread-per-request (ThreadingHTTPServer) on
Debian's python3.11 and the newest pyenv interpreter; the asyncio server (one event-loop thread,
4 interleaved connections) on Debian's python3.11, where the attribution rule's accuracy (share of
requests whose count is exactly right) is printed and must be at least 90%.
"""
import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request

sys.path.insert(0, os.path.dirname(__file__))
from harness import (BINDPROF, OUT, ROOT, Skip, check, free_port, interpreters, load, main, near,  # noqa: E402
                     run, syscall_row, validate, wait_line)

TMP = tempfile.mkdtemp(prefix="bindprof-req-")
SERVER = os.path.join(ROOT, "tools", "reqserver.py")
LIBDEMO = os.path.join(OUT, "tools", "libdemo.so")
N = 200
CONNS = 4
ENDPOINTS = ["ffi", "gc", "sleep", "ppid", "items/7"]


def need():
    if os.geteuid() != 0:
        raise Skip("needs root to attach BPF probes")


def pick_interpreters():
    found, missing = interpreters()
    out = [p for p in found if p[0] == "debian-3.11"]
    pyenv = [p for p in found if p[0].startswith("pyenv-")]
    if pyenv:
        out.append(pyenv[-1])
    print(f"      interpreters: {', '.join(p[0] for p in out)}"
          + (f"; absent: {', '.join(missing)}" if missing else ""), flush=True)
    if not out:
        raise Skip("no CPython interpreter on this machine")
    return out


def debian_or_newest():
    """Debian's python3.11 (its ujson, cffi...), else the newest interpreter present."""
    found, _ = interpreters()
    py = [p for p in found if p[0] == "debian-3.11"] or found[-1:]
    if not py:
        raise Skip("no CPython interpreter on this machine")
    return py[0][0], py[0][1]


@contextlib.contextmanager
def recording(py, mode, args, out):
    """tools/reqserver.py in mode, and `bindprof record ARGS -o OUT` on it: yields (port, the
    recorder); both are stopped on the way out."""
    port = free_port()
    srv = subprocess.Popen([py, SERVER, "--port", str(port), "--mode", mode], stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT, text=True)
    rec = None
    try:
        wait_line(srv.stdout, "ready")
        rec = subprocess.Popen([BINDPROF, "record", "-p", str(srv.pid), *args, "-o", out], stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True)
        wait_line(rec.stderr, "bindprof: recording pid", timeout=30)
        yield port, rec
    finally:
        if rec and rec.poll() is None:
            rec.kill()
        srv.kill()
        srv.wait()


def stop(rec):
    """Ctrl-C the recorder: it writes its profile and exits 0."""
    rec.send_signal(signal.SIGINT)
    rec.communicate(timeout=60)
    check(rec.returncode == 0, f"record exited {rec.returncode}")


def scenario(label, py, mode, probes="gil,gc,requests,syscalls,stacks", endpoints=ENDPOINTS, mixed=False, ffi=()):
    """Serve, record, drive every endpoint (one after the other, N requests each; or, mixed, all
    at once for 3 s); returns (profile, completed per endpoint, own timings)."""
    out = os.path.join(TMP, f"{label}-{mode}.json")
    with recording(py, mode, ["--probes", probes, "--ffi", LIBDEMO, *[a for f in ffi for a in ("--ffi", f)]],
                   out) as (port, rec):
        done = {}
        loads = {}
        for ep in endpoints:
            lo = os.path.join(TMP, f"{label}-{mode}-{ep.replace('/', '_')}-load.json")
            # --timeout 60: the truth is the count (every request answered, N of N), not speed; on a
            # busy machine /gc under every probe took over the default 2 s (4 of 200 timed out at 11
            # requests/s with a CPU hog), and a request the load gave up on is no completed one
            args = [BINDPROF, "load", "--url", f"http://127.0.0.1:{port}/{ep}", "-c", str(CONNS), "-t", "1",
                    "--timeout", "60", "-o", lo]
            args += ["-d", "3"] if mixed else ["-n", str(N)]
            loads[ep] = (subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True), lo)
            if not mixed:
                loads[ep][0].wait(120)
        for ep, (p, lo) in loads.items():
            _, err = p.communicate(timeout=120)
            check(p.returncode == 0, f"load exited {p.returncode}: {err.strip()}")
            done[ep] = load(lo)["results"]["throughput"]["successful_requests"]
        hang = socket.create_connection(("127.0.0.1", port))
        try:
            hang.sendall(b"GET /hang HTTP/1.1\r\nHost: x\r\n\r\n")
            time.sleep(0.5)
            stop(rec)
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/stats", timeout=10) as f:
                own = json.loads(f.read())
        finally:
            hang.close()
    doc = load(out)
    validate(doc)
    return doc, done, own


def median(v):
    v = sorted(v)
    n = len(v)
    return v[n // 2] if n % 2 else (v[n // 2 - 1] + v[n // 2]) / 2


def per_call(ep, section, key, value):
    for row in ep[section] or []:
        if row.get(key) == value:
            return row
    return None


def check_profile(label, doc, done, own, exact_share):
    req = doc["results"]["profiling"]["requests"]
    eps = {e["endpoint"]: e for e in req["endpoints"]}
    want = {"GET /ffi", "GET /gc", "GET /sleep", "GET /ppid", "GET /items/{id}", "GET /hang"}
    check(set(eps) == want, f"{label} endpoints {sorted(eps)}")
    names = {"ffi": "GET /ffi", "gc": "GET /gc", "sleep": "GET /sleep", "ppid": "GET /ppid",
             "items/7": "GET /items/{id}"}
    for ep, name in names.items():
        check(eps[name]["count"] == done[ep] == N, f"{label} {name}: {eps[name]['count']} requests, load completed {done[ep]}")
        check(eps[name]["incomplete"] == 0, f"{label} {name} incomplete {eps[name]['incomplete']}")
    check(eps["GET /hang"]["count"] == 0 and eps["GET /hang"]["incomplete"] == 1,
          f"{label} /hang: {eps['GET /hang']['count']} answered, {eps['GET /hang']['incomplete']} incomplete")
    check(req["count"] == 5 * N and req["incomplete"] == 1, f"{label} totals {req['count']} {req['incomplete']}")

    ffi = eps["GET /ffi"]["per_request"]["ffi_crossings"]
    gc_ = eps["GET /gc"]["per_request"]["gc_pauses"]
    ppid = per_call(eps["GET /ppid"], "top_syscalls", "name", "getppid")
    check(ffi["p50"] == 3, f"{label} /ffi crossings p50 {ffi}")
    check(gc_["p50"] == 1, f"{label} /gc pauses p50 {gc_}")
    check(ppid and ppid["per_request"]["p50"] == 4 and ppid["calls"] >= 4 * N * exact_share,
          f"{label} /ppid getppid {ppid}")
    top = per_call(eps["GET /ffi"], "top_ffi", "symbol", "demo_checksum")
    check(top and top["per_request"]["p50"] == 3, f"{label} /ffi top_ffi {eps['GET /ffi']['top_ffi']}")
    for name in ("GET /gc", "GET /sleep", "GET /ppid", "GET /items/{id}"):
        check(eps[name]["per_request"]["ffi_crossings"]["p50"] == 0, f"{label} {name} ffi crossings")
    for name in ("GET /ffi", "GET /sleep", "GET /ppid", "GET /items/{id}"):
        check(eps[name]["per_request"]["gc_pauses"]["p50"] == 0, f"{label} {name} gc pauses")
    for name in ("GET /ffi", "GET /sleep", "GET /gc", "GET /items/{id}"):
        row = per_call(eps[name], "top_syscalls", "name", "getppid")
        check(not row or row["per_request"]["p50"] == 0, f"{label} {name} getppid {row}")
    # conservation of time: every GC pause and every probed native call is the /gc or /ffi
    # handler's, so the per-request times sum to the gc and ffi sections' totals (the same
    # events), and the slowest pause is the same one
    prof = doc["results"]["profiling"]
    gct = eps["GET /gc"]["per_request"]["gc_time_us"]
    check(prof["gc"]["collections"] == N, f"{label} gc collections {prof['gc']['collections']}")
    near(gct["mean"] * eps["GET /gc"]["count"] / 1e3, prof["gc"]["pause_ms_total"], 1e-6,
         f"{label} /gc per-request gc_time_us sums to the gc probe's total")
    near(gct["max"] / 1e3, prof["gc"]["pause_max_ms"], 1e-6, f"{label} /gc slowest pause")
    fft = eps["GET /ffi"]["per_request"]["ffi_time_us"]
    near(fft["mean"] * eps["GET /ffi"]["count"] / 1e3, prof["ffi"]["total_ms"], 1e-6,
         f"{label} /ffi per-request ffi_time_us sums to the ffi section's total")
    # accuracy: the share of requests whose attributed count is exactly the truth, from the means
    acc = {
        "ffi": 1 - abs(ffi["mean"] - 3) / 3,
        "gc": 1 - abs(gc_["mean"] - 1),
        "getppid": 1 - abs(ppid["per_request"]["mean"] - 4) / 4,
    }
    print(f"      {label}: per-request means ffi {ffi['mean']:.3f} (3), gc {gc_['mean']:.3f} (1), "
          f"getppid {ppid['per_request']['mean']:.3f} (4); accuracy {', '.join(f'{k} {v:.1%}' for k, v in acc.items())}",
          flush=True)
    for k, v in acc.items():
        check(v >= exact_share, f"{label} {k} accuracy {v:.1%} < {exact_share:.0%}")

    sleep = eps["GET /sleep"]["latency"]["p50_ms"]
    own_p50 = median(own["/sleep"])
    print(f"      {label}: /sleep server-side p50 {sleep:.3f} ms, the server's own {own_p50:.3f} ms", flush=True)
    near(sleep, own_p50, 0.10, f"{label} /sleep p50 vs the server's own timing")
    return sleep


def test_threaded_server():
    need()
    errors = []
    for label, py, full in pick_interpreters():
        try:
            doc, done, own = scenario(label, py, "threaded")
            check_profile(label, doc, done, own, 1.0)
            py_sec = doc["results"]["profiling"]["python"]
            lat_sum = sum(e["latency"]["mean_ms"] * e["count"] for e in doc["results"]["profiling"]["requests"]["endpoints"]
                          if e["count"])
            near(py_sec["handler_time_ms"], lat_sum, 0.001, f"{label} handler_time_ms")
            # /sleep's time in syscalls: its 5 ms clock_nanosleep at least, and at most the request
            sleep = next(e for e in doc["results"]["profiling"]["requests"]["endpoints"] if e["endpoint"] == "GET /sleep")
            sys_p50 = sleep["per_request"]["syscall_time_us"]["p50"]
            print(f"      {label}: /sleep syscall time p50 {sys_p50:.0f} us, latency p50 "
                  f"{sleep['latency']['p50_ms'] * 1e3:.0f} us", flush=True)
            check(5000 <= sys_p50 <= sleep["latency"]["p50_ms"] * 1e3 * 1.01,
                  f"{label} /sleep syscall_time_us p50 {sys_p50} (5000 us .. the request's latency)")
        except AssertionError as e:
            errors.append(f"[{label}] {e}")
    check(not errors, "; ".join(errors))


def test_asyncio_server():
    need()
    label, exe = debian_or_newest()
    doc, done, own = scenario(label, exe, "asyncio")
    check_profile(label + " asyncio", doc, done, own, 0.90)


def test_asyncio_mixed_load_accuracy():
    """Every endpoint at once on one event loop, including /split, whose handler yields between
    its two pairs of getppid() calls: other requests' work runs in between, and the task is
    followed, so both pairs are its request's. What must hold: nothing is lost or
    counted twice (the getppid calls attributed to requests plus those outside any request are
    exactly 4 per /ppid and /split request completed), and the handlers that do not yield keep
    exact medians. The accuracy for /split is printed (docs/requests.md has the figures)."""
    need()
    label, exe = debian_or_newest()
    doc, done, own = scenario(label + "-mixed", exe, "asyncio", probes="gil,gc,requests,syscalls",
                              endpoints=["split", "ppid", "gc", "ffi"], mixed=True)
    req = doc["results"]["profiling"]["requests"]
    eps = {e["endpoint"]: e for e in req["endpoints"]}
    for ep in ("split", "ppid", "gc", "ffi"):
        check(eps["GET /" + ep]["count"] == done[ep], f"/{ep}: {eps['GET /' + ep]['count']} vs {done[ep]} completed")
    truth = 4 * (done["split"] + done["ppid"])
    got = sum((per_call(e, "top_syscalls", "name", "getppid") or {"calls": 0})["calls"] for e in req["endpoints"])
    outside = sum(s["count"] for s in req["outside_requests"]["syscalls_by_name"] if s["name"] == "getppid")
    check(got + outside == truth, f"getppid: {got} in requests + {outside} outside, truth {truth}")
    check(eps["GET /ppid"]["top_syscalls"] and per_call(eps["GET /ppid"], "top_syscalls", "name", "getppid")["per_request"]["p50"] == 4,
          "/ppid median")
    check(eps["GET /gc"]["per_request"]["gc_pauses"]["p50"] == 1, "/gc median")
    check(eps["GET /ffi"]["per_request"]["ffi_crossings"]["p50"] == 3, "/ffi median")
    split = per_call(eps["GET /split"], "top_syscalls", "name", "getppid")["per_request"]
    ppid = per_call(eps["GET /ppid"], "top_syscalls", "name", "getppid")["per_request"]
    print(f"      mixed asyncio load: /split getppid per request mean {split['mean']:.2f} p50 {split['p50']} (truth 4); "
          f"/ppid mean {ppid['mean']:.2f} p50 {ppid['p50']} (4); {outside} of {truth} outside any request", flush=True)
    # asyncio tasks are followed: both pairs land in the task's request (before: 2.06 per request)
    check(split["p50"] == 4 and abs(split["mean"] - 4) <= 0.1, f"/split p50 {split['p50']} mean {split['mean']} (4)")


def test_requests_alone_and_exemplars():
    """The requests probe with the default cheap set: GIL waits and GC per request, no syscalls
    (null with a reason), exemplars are the slowest requests."""
    need()
    label, exe = debian_or_newest()
    has_ujson = run([exe, "-c", "import ujson"]).returncode == 0
    doc, done, own = scenario(label + "-cheap", exe, "threaded", probes="gil,gc,requests",
                              endpoints=ENDPOINTS + (["json"] if has_ujson else []),
                              ffi=["ujson:dumps"] if has_ujson else [])
    req = doc["results"]["profiling"]["requests"]
    eps = {e["endpoint"]: e for e in req["endpoints"]}
    py_sec = doc["results"]["profiling"]["python"]
    if has_ujson:
        # serialization: the time of the JSON library's calls inside requests, 2 dumps per /json
        row = next((r for r in eps["GET /json"]["top_ffi"] or [] if r.get("library", "").startswith("ujson")), None)
        check(row and row["per_request"]["p50"] == 2 and row["calls"] == 2 * N, f"/json ujson calls {row}")
        near(py_sec["serialization_time_ms"], row["total_ms"], 1e-6, "serialization_time_ms is ujson's time")
        check(py_sec["serialization_time_ms"] > 0, "serialization measured")
    else:
        print(f"      {label}: no ujson: serialization_time_ms not tested", flush=True)
        check(py_sec["serialization_time_ms"] is None, "serialization null without a JSON library")
    # the 5 ms sleep, server side: the sleep, its timer slack and http.server parsing the request
    # (0.3 to 0.5 ms more with the syscalls probe slowing every syscall, as the other tests run)
    print(f"      {label} default probes: /sleep server-side p50 {eps['GET /sleep']['latency']['p50_ms']:.3f} ms, "
          f"the server's own {median(own['/sleep']):.3f} ms", flush=True)
    near(eps["GET /sleep"]["latency"]["p50_ms"], 5.0, 0.10, f"{label} /sleep server-side p50")
    near(eps["GET /sleep"]["latency"]["p50_ms"], median(own["/sleep"]), 0.10, f"{label} /sleep vs the server's own")
    check(eps["GET /gc"]["per_request"]["gc_pauses"]["p50"] == 1, "gc without syscalls")
    check(eps["GET /ppid"]["per_request"]["syscalls"] is None and eps["GET /ppid"]["top_syscalls"] is None,
          "syscalls null without the syscalls probe")
    check("syscalls" in req["not_measured"], f"reason given: {req['not_measured']}")
    check(any("not measured" in w["message"] for w in doc["warnings"] if w["section"] == "requests"), "warned")
    ex = req["exemplars"]
    check(len(ex) == 5, f"{len(ex)} exemplars")
    slowest = max(e["latency"]["max_ms"] for e in req["endpoints"] if e["count"])
    check(abs(ex[0]["latency_ms"] - slowest) < 1e-6, f"exemplar 0 {ex[0]['latency_ms']} vs slowest {slowest}")
    check(all(ex[i]["latency_ms"] >= ex[i + 1]["latency_ms"] for i in range(len(ex) - 1)), "sorted")


def recv_response(s):
    """One HTTP/1.1 response with a Content-Length: (its bytes, its body)."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = s.recv(4096)
        check(chunk, "connection closed mid-response")
        data += chunk
    head, body = data.split(b"\r\n\r\n", 1)
    n = int(next(h.split(b":")[1] for h in head.split(b"\r\n") if h.lower().startswith(b"content-length")))
    while len(body) < n:
        body += s.recv(4096)
    return len(head) + 4 + n, body


def drain(s):
    """Read until the server closes."""
    s.settimeout(10)
    while s.recv(4096):
        pass
    s.close()


def test_unparsed_closed_and_sizes():
    """Traffic of known shape on raw sockets: a TLS ClientHello's first bytes on one connection
    -> tls_connections 1; HTTP/2's connection preface on another -> http2_connections 1 and no
    request; GET /drop, which the server closes unanswered -> closed_unanswered 1; K keep-alive
    GET /tid, whose exact request and response bytes the client sent and received and whose body
    names the serving thread -> every exemplar's bytes_in, bytes_out and tid."""
    need()
    label, exe = debian_or_newest()
    K = 5
    out = os.path.join(TMP, f"{label}-shapes.json")
    with recording(exe, "threaded", ["--probes", "requests", "--exemplars", "100"], out) as (port, rec):
        for first in (b"\x16\x03\x01\x00\xa5\x01\x00\x00\xa1\x03\x03" + bytes(32),
                      b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"):
            s = socket.create_connection(("127.0.0.1", port))
            s.sendall(first)
            s.shutdown(socket.SHUT_WR)  # http.server reads a line: end it
            drain(s)
        s = socket.create_connection(("127.0.0.1", port))
        s.sendall(b"GET /drop HTTP/1.1\r\nHost: x\r\n\r\n")
        drain(s)
        req_bytes = b"GET /tid HTTP/1.1\r\nHost: x\r\n\r\n"
        s = socket.create_connection(("127.0.0.1", port))
        sizes, tids = [], set()
        for _ in range(K):
            s.sendall(req_bytes)
            n, body = recv_response(s)
            sizes.append(n)
            tids.add(int(body))
        s.close()
        time.sleep(0.6)  # the last request ends at the server's close; folded 250 ms after
        stop(rec)
    doc = load(out)
    validate(doc)
    req = doc["results"]["profiling"]["requests"]
    eps = {e["endpoint"]: e for e in req["endpoints"]}
    un = req["unparsed"]
    check(un["tls_connections"] == 1 and un["http2_connections"] == 1, f"unparsed {un}")
    check(set(eps) == {"GET /drop", "GET /tid"}, f"endpoints {sorted(eps)}")
    check(req["closed_unanswered"] == 1 and eps["GET /drop"]["closed_unanswered"] == 1,
          f"closed unanswered {req['closed_unanswered']}, /drop {eps['GET /drop']}")
    check(eps["GET /tid"]["count"] == K, f"/tid count {eps['GET /tid']['count']}")
    ex = [e for e in req["exemplars"] if e["endpoint"] == "GET /tid"]
    check(len(ex) == K and len(tids) == 1, f"{len(ex)} /tid exemplars, tids {tids}")
    (tid,) = tids
    for e in ex:
        check(e["bytes_in"] == len(req_bytes) and e["bytes_out"] == sizes[0] and e["tid"] == tid,
              f"exemplar {e['bytes_in']} in, {e['bytes_out']} out, tid {e['tid']}; "
              f"want {len(req_bytes)}, {sizes[0]}, {tid}")
    print(f"      {label}: tls 1, http2 1, /drop closed unanswered, {K} x /tid {len(req_bytes)} B in, "
          f"{sizes[0]} B out, tid {tid}", flush=True)


def getppid_split(req):
    """getppid calls: (in answered requests, in unfinished ones, outside any request)."""
    def by_name(rows):
        return sum(r["count"] for r in rows or [] if r["name"] == "getppid")
    got = sum((per_call(e, "top_syscalls", "name", "getppid") or {"calls": 0})["calls"] for e in req["endpoints"])
    return got, by_name(req["unfinished_requests"]["syscalls_by_name"]), by_name(req["outside_requests"]["syscalls_by_name"])


def test_pipelined_requests_count_apart():
    """Item 8: two requests in one write (GET /ppid then GET /items/5), 60 times on one
    keep-alive connection. Ground truth: the server's own count of the requests it served (its
    /stats timings); each must be one request of its own endpoint, with /ppid's 4 getppid calls."""
    need()
    label, exe = debian_or_newest()
    K = 60
    for mode in ("threaded", "asyncio"):
        out = os.path.join(TMP, f"{label}-pipe-{mode}.json")
        with recording(exe, mode, ["--probes", "gil,requests,syscalls"], out) as (port, rec):
            s = socket.create_connection(("127.0.0.1", port))
            s.settimeout(10)
            f = s.makefile("rb")
            pair = b"GET /ppid HTTP/1.1\r\nHost: x\r\n\r\nGET /items/5 HTTP/1.1\r\nHost: x\r\n\r\n"
            for _ in range(K):
                s.sendall(pair)
                for _ in range(2):  # both answers, from a buffered reader (they may come in one read)
                    n = 0
                    while True:
                        line = f.readline()
                        check(line, "closed mid-response")
                        if line.lower().startswith(b"content-length:"):
                            n = int(line.split(b":")[1])
                        if line in (b"\r\n", b"\n"):
                            break
                    f.read(n)
            f.close()
            s.close()
            # the server counts a request after writing its answer: read its count until the last
            # one is in (once 59 of 60 when /stats came first, on a busy host), 5 s at most
            for _ in range(50):
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/stats", timeout=10) as f:
                    own = json.loads(f.read())
                if len(own.get("/ppid", [])) >= K and len(own.get("/items/5", [])) >= K:
                    break
                time.sleep(0.1)
            time.sleep(0.6)
            stop(rec)
        doc = load(out)
        validate(doc)
        req = doc["results"]["profiling"]["requests"]
        eps = {e["endpoint"]: e for e in req["endpoints"]}
        served = (len(own.get("/ppid", [])), len(own.get("/items/5", [])))
        check(served == (K, K), f"{mode}: the server served {served}")
        got = (eps.get("GET /ppid", {}).get("count"), eps.get("GET /items/{id}", {}).get("count"))
        check(got == served, f"{mode}: pipelined requests counted {got}, the server served {served}")
        check(req["pipelined"] >= K, f"{mode}: {req['pipelined']} pipelined")
        ppid = per_call(eps["GET /ppid"], "top_syscalls", "name", "getppid")
        check(ppid and ppid["per_request"]["p50"] == 4, f"{mode}: /ppid getppid {ppid}")
        print(f"      {mode}: {K} pipelined pairs: /ppid {got[0]}, /items/{{id}} {got[1]} (server {served})", flush=True)


def conservation(mode, exe, label):
    """Serve /ppid (4 getppid each) and /items/7 (none) under mode, record with requests and
    syscalls; every getppid the syscalls probe counted is in exactly one place."""
    out = os.path.join(TMP, f"{label}-cons-{mode}.json")
    n = 300
    with recording(exe, mode, ["--probes", "gil,requests,syscalls"], out) as (port, rec):
        done = {}
        for ep in ("ppid", "items/7"):
            lo = os.path.join(TMP, f"{label}-cons-{mode}-{ep.replace('/', '_')}.json")
            # pre-fork: as many connections as worker processes (each serves one keep-alive
            # connection at a time; a third would wait past the timeout)
            conns = "2" if mode == "prefork" else "4"
            r = run([BINDPROF, "load", "--url", f"http://127.0.0.1:{port}/{ep}", "-c", conns, "-t", "1", "-n", str(n),
                     "-o", lo], timeout=120)
            check(r.returncode == 0, f"{mode}: load exited {r.returncode}: {r.stderr}")
            done[ep] = load(lo)["results"]["throughput"]["successful_requests"]
        time.sleep(0.5)
        stop(rec)
    doc = load(out)
    validate(doc)
    req = doc["results"]["profiling"]["requests"]
    truth = 4 * done["ppid"]
    probe = (syscall_row(doc, "getppid") or {"count": 0})["count"]
    got, unf, outside = getppid_split(req)
    cons = req["conservation"]["syscalls"]
    print(f"      {mode}: getppid {got} in requests + {unf} unfinished + {outside} outside = {got + unf + outside}; "
          f"syscalls probe {probe}; truth 4 x {done['ppid']} = {truth}; accounts read at the end "
          f"{req['conservation']['thread_accounts_read_at_end']}", flush=True)
    check(probe == truth, f"{mode}: the syscalls probe counted {probe} getppid, truth {truth}")
    check(got + unf + outside == truth, f"{mode}: getppid {got} + {unf} + {outside} != {truth}: events vanished")
    check(cons["total"] == cons["in_requests"] + cons["in_unfinished_requests"] + cons["outside_requests"], "sums")
    eps = {e["endpoint"]: e for e in req["endpoints"]}
    check(eps["GET /ppid"]["count"] == done["ppid"] and eps["GET /items/{id}"]["count"] == done["items/7"],
          f"{mode}: counts {eps['GET /ppid']['count']}/{eps['GET /items/{id}']['count']} vs {done}")
    return got, outside, truth


def test_conservation_every_server_shape():
    """Item 9: no measured event vanishes, whatever the server's shape: thread per connection,
    one event loop, an event loop whose work runs in run_in_executor's threads (they never touch
    a socket: their events are outside any request until executor attribution exists), pre-fork
    worker processes, and gevent's greenlets (skipped, named, where gevent is not installed)."""
    need()
    label, exe = debian_or_newest()
    errors, skipped = [], []
    for mode in ("threaded", "asyncio", "executor", "prefork", "gevent"):
        if mode == "gevent" and run([exe, "-c", "import gevent"]).returncode != 0:
            skipped.append(f"gevent is not installed for {exe} (python3-gevent)")
            continue
        try:
            got, outside, truth = conservation(mode, exe, label)
            if mode in ("threaded", "prefork"):
                check(got == truth, f"{mode}: thread-per-request attribution is exact: {got} of {truth}")
            if mode == "executor":
                # executor threads' work: a request's by the work item the task put on the
                # executor's queue (probed before the server imports it: 1200 of 1200 measured)
                print(f"      executor: {got} of {truth} getppid tied to their request, {outside} outside", flush=True)
                check(got == truth, f"executor: {got} of {truth} getppid in requests")
        except AssertionError as e:
            errors.append(str(e))
    check(not errors, "; ".join(errors))
    if skipped:
        print(f"      skipped: {'; '.join(skipped)}", flush=True)


def split_counts(req, ep):
    """(mean, p50, p95) of getppid per request of endpoint ep, over every request (zeros too)."""
    e = next(x for x in req["endpoints"] if x["endpoint"] == ep)
    row = per_call(e, "top_syscalls", "name", "getppid")
    check(row, f"{ep}: getppid in its top syscalls: {e['top_syscalls']}")
    p = row["per_request"]
    return p["mean"], p["p50"], p["p95"], e["count"]


def test_asyncio_tasks():
    """asyncio tasks: the handler of /splitms makes 2 getppid calls, awaits asyncio.sleep(0.001),
    then 2 more, under 16 concurrent connections, while /ppid (4 getppid, no await) runs at once:
    work inside a task's steps goes to the request the task writes, so /splitms reads p50 4 and
    p95 4 (before: the first pair went to whichever request the loop served next), /ppid stays 4,
    and every getppid is counted once. Debian's stripped python3.11 (PyIter_Send), and pyenv's
    3.8 (_PyGen_Send) and 3.13 where present; and uvicorn's shape (tools/reqserver.py --mode
    protocol: the protocol callback reads the request and creates its task) on one of them."""
    need()
    found, missing = interpreters()
    want = ("debian-3.11", "pyenv-3.8.", "pyenv-3.13.")
    pys = [p for p in found if any(p[0] == w or p[0].startswith(w) for w in want if w.endswith(".")) or p[0] == want[0]]
    if not pys:
        raise Skip("no CPython interpreter on this machine")
    absent = [w.rstrip(".") for w in want if not any(p[0] == w or p[0].startswith(w) for p in pys)]
    if absent:
        print(f"      absent: {', '.join(absent)}", flush=True)
    errors = []
    runs = [(label, exe, "asyncio") for label, exe, _ in pys]
    # uvicorn's shape (a task per request, created by the protocol callback that read it)
    runs += [(label, exe, "protocol") for label, exe, _ in pys if label == "debian-3.11"][:1] or \
        [(pys[-1][0], pys[-1][1], "protocol")]
    for label, exe, mode in runs:
        label = f"{label} {mode}"
        out = os.path.join(TMP, f"{label.replace(' ', '-')}-tasks.json")
        n = 150
        with recording(exe, mode, ["--probes", "gil,requests,syscalls"], out) as (port, rec):
            procs = {}
            for ep, c in (("splitms", 16), ("ppid", 4)):
                lo = os.path.join(TMP, f"{label.replace(' ', '-')}-tasks-{ep}.json")
                procs[ep] = (subprocess.Popen([BINDPROF, "load", "--url", f"http://127.0.0.1:{port}/{ep}", "-c", str(c),
                                               "-t", "1", "-n", str(n), "-o", lo], stdout=subprocess.DEVNULL,
                                              stderr=subprocess.PIPE, text=True), lo)
            done = {}
            for ep, (p, lo) in procs.items():
                _, err = p.communicate(timeout=120)
                check(p.returncode == 0, f"load exited {p.returncode}: {err.strip()}")
                done[ep] = load(lo)["results"]["throughput"]["successful_requests"]
            time.sleep(0.3)
            stop(rec)
        doc = load(out)
        validate(doc)
        req = doc["results"]["profiling"]["requests"]
        try:
            tasks = req["asyncio_tasks"]
            check(tasks["interpreters_probed"] == 1 and tasks["steps"] >= 2 * done["splitms"],
                  f"{label}: task steps {tasks}")
            # every interpreter here has _asyncio as a shared object calling PyIter_Send through its PLT
            check(tasks["probed_at_asyncio_plt"] == 1, f"{label}: probed at the PLT stub {tasks}")
            sm, s50, s95, sc = split_counts(req, "GET /splitms")
            pm, p50, p95, pc = split_counts(req, "GET /ppid")
            got, unf, outside = getppid_split(req)
            truth = 4 * (done["splitms"] + done["ppid"])
            print(f"      {label}: /splitms (16 conns) getppid per request mean {sm:.3f} p50 {s50} p95 {s95}; "
                  f"/ppid mean {pm:.3f} p50 {p50} p95 {p95}; {got} in requests + {unf} + {outside} outside = "
                  f"{got + unf + outside}, truth {truth}", flush=True)
            check(sc == done["splitms"] and pc == done["ppid"], f"{label}: counts {sc} {pc} vs {done}")
            check(s50 == 4 and s95 == 4, f"{label}: /splitms p50 {s50} p95 {s95} (4)")
            check(p50 == 4 and p95 == 4, f"{label}: /ppid p50 {p50} p95 {p95} (4)")
            check(got + unf + outside == truth, f"{label}: getppid {got}+{unf}+{outside} != {truth}")
            check(abs(sm - 4) <= 0.1 and abs(pm - 4) <= 0.1, f"{label}: means {sm} {pm} (4 +- 0.1)")
        except AssertionError as e:
            errors.append(str(e))
    check(not errors, "; ".join(errors))


def test_work_across_threads():
    """Work run on threads that never touch a socket. The asyncio server with anyio-style worker
    threads (tools/reqserver.py --mode workers: FastAPI's `def` endpoints on uvicorn run this way;
    FastAPI itself is not installed here): the loop's task puts the work on an idle worker's own
    queue (a wake) and the worker hands the result back through the loop's self-pipe. A thread-pool
    server (--mode pool: ThreadingHTTPServer whose handlers hand the work to a 4-worker
    concurrent.futures pool and wait): the workers never touch a socket, and
    their work is tied to the request by the wakes (the handler's queue put wakes a worker; the
    worker's result wakes the handler waiting for its one unanswered request). /ffi makes 3 native
    calls, /ppid 4 getppid, 4 connections each at once. The pool's workers take concurrent.futures'
    work items from a queue.SimpleQueue, followed by their object from put to get: exact.
    (run_in_executor: test_executor_items.)"""
    need()
    label, exe = debian_or_newest()
    n = 150
    results = {}
    for mode in ("workers", "pool"):
        out = os.path.join(TMP, f"{label}-xthread-{mode}.json")
        with recording(exe, mode, ["--probes", "gil,requests,syscalls", "--ffi", LIBDEMO], out) as (port, rec):
            procs = {}
            for ep in ("ffi", "ppid"):
                lo = os.path.join(TMP, f"{label}-xthread-{mode}-{ep}.json")
                procs[ep] = (subprocess.Popen([BINDPROF, "load", "--url", f"http://127.0.0.1:{port}/{ep}", "-c", "4",
                                               "-t", "1", "-n", str(n), "-o", lo], stdout=subprocess.DEVNULL,
                                              stderr=subprocess.PIPE, text=True), lo)
            done = {}
            for ep, (p, lo) in procs.items():
                _, err = p.communicate(timeout=120)
                check(p.returncode == 0, f"load exited {p.returncode}: {err.strip()}")
                done[ep] = load(lo)["results"]["throughput"]["successful_requests"]
            time.sleep(0.3)
            stop(rec)
        doc = load(out)
        validate(doc)
        req = doc["results"]["profiling"]["requests"]
        eps = {e["endpoint"]: e for e in req["endpoints"]}
        ffi = eps["GET /ffi"]["per_request"]["ffi_crossings"]
        ffi_in_ppid = eps["GET /ppid"]["per_request"]["ffi_crossings"]
        cons = req["conservation"]["ffi_calls"]
        got, unf, outside = getppid_split(req)
        ppid = per_call(eps["GET /ppid"], "top_syscalls", "name", "getppid") or {"per_request": {"mean": 0, "p50": 0}}
        x = req["across_threads"]
        print(f"      {mode}: /ffi crossings per request mean {ffi['mean']:.3f} p50 {ffi['p50']} p95 {ffi['p95']} (3); "
              f"/ppid getppid mean {ppid['per_request']['mean']:.3f} p50 {ppid['per_request']['p50']} (4); /ppid ffi "
              f"mean {ffi_in_ppid['mean']:.3f} (0); ffi calls {cons['in_requests']} in requests + "
              f"{cons['outside_requests']} outside (truth {3 * done['ffi']}); wakes lent {x['wakes_lent']}, "
              f"handed back {x['handed_back']}, results to the waiting request {x['results_to_waiting_request']}",
              flush=True)
        check(cons["total"] == 3 * done["ffi"], f"{mode}: ffi calls {cons} vs 3 x {done['ffi']}: lost or doubled")
        check(got + unf + outside == 4 * done["ppid"], f"{mode}: getppid {got}+{unf}+{outside} vs 4 x {done['ppid']}")
        # another request's work: /ppid makes no native call
        check(ffi_in_ppid["mean"] <= 0.05, f"{mode}: /ppid got native calls {ffi_in_ppid} (at most 0.05)")
        results[mode] = (ffi, ppid["per_request"], cons)
    ffi, ppid, cons = results["workers"]
    check(ffi["p50"] == 3 and ffi["p95"] == 3 and ppid["p50"] == 4 and ppid["p95"] == 4,
          f"workers: p50/p95 {ffi} {ppid}")
    # means within 15%, as the pool's: 2.94-3.00 in the author's runs, 2.90 beside a hog and two other
    # suites, 2.73 once on a quiet host (a hand-off whose wake is not followed puts a call outside its
    # request; docs/requests.md); the medians above stay exact
    check(abs(ffi["mean"] - 3) <= 0.45 and abs(ppid["mean"] - 4) <= 0.6, f"workers: means {ffi['mean']} {ppid['mean']} (within 15%)")
    ffi, ppid, cons = results["pool"]
    # the shared queue's items (concurrent.futures' _WorkItem) are followed by their address from
    # the handler's put to the worker's get: exact (3.000 and 4.000 measured), whether or not the
    # worker slept in between; 1% for a busy host's stray hand-off
    check(ffi["p50"] == 3 and ffi["p95"] == 3 and ppid["p50"] == 4 and ppid["p95"] == 4, f"pool: p50/p95 {ffi} {ppid}")
    check(abs(ffi["mean"] - 3) <= 0.03 and abs(ppid["mean"] - 4) <= 0.04,
          f"pool: means {ffi['mean']} {ppid['mean']} (within 1%)")


def drive(port, loads, label):
    """Run `bindprof load` on each (path, connections, requests) at once; the completed requests
    per path."""
    procs = {}
    for path, conns, n in loads:
        lo = os.path.join(TMP, f"{label}-{path.strip('/').replace('/', '_')}-load.json")
        procs[path] = (subprocess.Popen([BINDPROF, "load", "--url", f"http://127.0.0.1:{port}{path}", "-c", str(conns),
                                         "-t", "1", "-n", str(n), "--timeout", "60", "-o", lo],
                                        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True), lo)
    done = {}
    for path, (p, lo) in procs.items():
        _, err = p.communicate(timeout=120)
        check(p.returncode == 0, f"{label}: load {path} exited {p.returncode}: {err.strip()}")
        done[path] = load(lo)["results"]["throughput"]["successful_requests"]
    return done


def get(port, path):
    with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=30) as f:
        return f.read()


def ffi_of(req, ep):
    """(per-request ffi_crossings summary, count) of endpoint ep."""
    e = next(x for x in req["endpoints"] if x["endpoint"] == ep)
    return e["per_request"]["ffi_crossings"], e["count"]


def need_packages(py, mods):
    """Skip, naming the Debian package, when py cannot import one of mods {module: package}."""
    absent = [pkg for mod, pkg in mods.items() if run([py, "-c", f"import {mod}"]).returncode != 0]
    if absent:
        raise Skip(f"{', '.join(absent)} not installed for {py} (scripts/install-deps.sh)")


def debian_python():
    if not os.access("/usr/bin/python3.11", os.X_OK):
        raise Skip("Debian's /usr/bin/python3.11 is absent (the real servers are its packages)")
    return "/usr/bin/python3.11"


def test_executor_items():
    """run_in_executor (tools/reqserver.py --mode executor): the task's put of a work item on the
    executor's queue.SimpleQueue and the worker's get of that same object tie the worker's work
    to the request, even when the worker takes the item without sleeping. /ffi makes 3 native
    calls in the executor, /ppid 4 getppid, 8 connections each at once. Debian's stripped 3.11,
    and pyenv's 3.13 (its workers try get_nowait first) where present (3.8 reads the same by hand).
    A warm-up request before the load starts the pool's first worker, and one a second later
    (the probes attach within a tick of _queue's import) makes it call get again: a worker already
    waiting in get when the uretprobe attaches is not seen returning from it."""
    need()
    found, _ = interpreters()
    want = ("debian-3.11", "pyenv-3.13.")
    pys = [p for p in found if p[0] == want[0] or any(p[0].startswith(w) for w in want[1:])]
    if not pys:
        raise Skip("no CPython interpreter on this machine")
    absent = [w.rstrip(".") for w in want if not any(p[0] == w or p[0].startswith(w) for p in pys)]
    if absent:
        print(f"      absent: {', '.join(absent)}", flush=True)
    errors = []
    n = 120
    for label, exe, _ in pys:
        out = os.path.join(TMP, f"{label}-items.json")
        try:
            with recording(exe, "executor", ["--probes", "gil,requests,syscalls", "--ffi", LIBDEMO], out) as (port, rec):
                get(port, "/ffi")
                time.sleep(0.6)
                get(port, "/ffi")
                done = drive(port, [("/ffi", 8, n), ("/ppid", 8, n)], f"{label}-items")
                time.sleep(0.3)
                stop(rec)
            doc = load(out)
            validate(doc)
            req = doc["results"]["profiling"]["requests"]
            ffi, fc = ffi_of(req, "GET /ffi")
            fp, _ = ffi_of(req, "GET /ppid")
            pm, p50, p95, pc = split_counts(req, "GET /ppid")
            cons = req["conservation"]["ffi_calls"]
            got, unf, outside = getppid_split(req)
            q = req["across_threads"]["queue_items"]
            print(f"      {label}: /ffi crossings per request mean {ffi['mean']:.3f} p50 {ffi['p50']} p95 {ffi['p95']} (3); "
                  f"/ppid getppid mean {pm:.3f} p50 {p50} p95 {p95} (4), native calls {fp['mean']:.3f} (0); "
                  f"ffi calls {cons['in_requests']} in requests + {cons['outside_requests']} outside of {cons['total']}; "
                  f"items lent {q['lent']}, untied {q['untied']}, ended at the next get {q['ended_at_next_get']}",
                  flush=True)
            check(q["interpreters_probed"] == 1, f"{label}: queue probes {q}")
            check(fc == done["/ffi"] + 2 and pc == done["/ppid"], f"{label}: counts {fc} {pc} vs {done} + 2 warm-ups")
            check(cons["total"] == 3 * fc, f"{label}: ffi calls {cons} vs 3 x {fc}: lost or doubled")
            check(got + unf + outside == 4 * pc, f"{label}: getppid {got}+{unf}+{outside} vs 4 x {pc}")
            check(ffi["p50"] == 3 and ffi["p95"] == 3 and p50 == 4 and p95 == 4, f"{label}: p50/p95 {ffi} {p50} {p95}")
            # exact in the author's runs (3.000, 4.000, all in requests but the first warm-up's, whose
            # item was put before the probes attached); 1% for a stray item
            check(abs(ffi["mean"] - 3) <= 0.03 and abs(pm - 4) <= 0.04 and fp["mean"] <= 0.02,
                  f"{label}: means {ffi['mean']} {pm} {fp['mean']} (within 1%)")
            check(cons["outside_requests"] <= 3 and outside <= 4, f"{label}: outside {cons['outside_requests']} {outside}")
        except AssertionError as e:
            errors.append(f"[{label}] {e}")
    check(not errors, "; ".join(errors))


def test_fastapi_uvicorn():
    """FastAPI 0.92 on uvicorn 0.17 (h11, one worker: Debian's packages for python3.11): /affi is an
    `async def` endpoint making 3 native calls on the event loop (uvicorn's protocol callback
    reads the request, the task it creates runs the endpoint and writes), /ffi a `def` endpoint
    making 3 in anyio's worker threads; 150 requests each over 4 connections each, at once.
    Truth: every request 3 crossings, and every call counted once."""
    need()
    py = debian_python()
    need_packages(py, {"fastapi": "python3-fastapi", "uvicorn": "python3-uvicorn", "h11": "python3-h11"})
    out = os.path.join(TMP, "fastapi.json")
    n = 150
    with recording(py, "fastapi", ["--probes", "gil,requests,syscalls", "--ffi", LIBDEMO], out) as (port, rec):
        done = drive(port, [("/affi", 4, n), ("/ffi", 4, n)], "fastapi")
        time.sleep(0.3)
        stop(rec)
    doc = load(out)
    validate(doc)
    req = doc["results"]["profiling"]["requests"]
    a, ac = ffi_of(req, "GET /affi")
    s, sc = ffi_of(req, "GET /ffi")
    cons = req["conservation"]["ffi_calls"]
    print(f"      fastapi: async def /affi crossings mean {a['mean']:.3f} p50 {a['p50']} p95 {a['p95']}; def /ffi mean "
          f"{s['mean']:.3f} p50 {s['p50']} p95 {s['p95']} (3); ffi calls {cons['in_requests']} in requests + "
          f"{cons['in_unfinished_requests']} + {cons['outside_requests']} outside = {cons['total']} (truth "
          f"{3 * (ac + sc)})", flush=True)
    check(ac == done["/affi"] and sc == done["/ffi"], f"counts {ac} {sc} vs {done}")
    check(cons["total"] == 3 * (done["/affi"] + done["/ffi"]), f"ffi calls {cons}: lost or doubled")
    check(cons["in_requests"] + cons["in_unfinished_requests"] + cons["outside_requests"] == cons["total"], f"sums {cons}")
    check(a["p50"] == 3 and s["p50"] == 3 and a["p95"] == 3 and s["p95"] == 3, f"p50/p95 {a} {s}")
    # exact in the author's runs (3.000 both, 900 of 900 in requests); 2% for a busy host
    check(abs(a["mean"] - 3) <= 0.06 and abs(s["mean"] - 3) <= 0.06, f"means {a['mean']} {s['mean']}")


def test_aiohttp():
    """aiohttp 3.8 (Debian's python3-aiohttp): /splitffi makes 2 native calls, awaits
    asyncio.sleep(0.001), then 2 more, over 16 connections; /exec makes 4 in
    loop.run_in_executor's default pool, over 4; 150 requests each, at once. Truth: 4 crossings
    per request on both, every call counted once and none outside requests (aiohttp imports
    queue at start-up, so the queue probes are on before the first item)."""
    need()
    py = debian_python()
    need_packages(py, {"aiohttp": "python3-aiohttp"})
    out = os.path.join(TMP, "aiohttp.json")
    n = 150
    with recording(py, "aiohttp", ["--probes", "gil,requests,syscalls", "--ffi", LIBDEMO], out) as (port, rec):
        done = drive(port, [("/splitffi", 16, n), ("/exec", 4, n)], "aiohttp")
        time.sleep(0.3)
        stop(rec)
    doc = load(out)
    validate(doc)
    req = doc["results"]["profiling"]["requests"]
    sp, spc = ffi_of(req, "GET /splitffi")
    ex, exc = ffi_of(req, "GET /exec")
    cons = req["conservation"]["ffi_calls"]
    q = req["across_threads"]["queue_items"]
    print(f"      aiohttp: /splitffi (16 conns) crossings mean {sp['mean']:.3f} p50 {sp['p50']} p95 {sp['p95']}; /exec "
          f"(run_in_executor) mean {ex['mean']:.3f} p50 {ex['p50']} p95 {ex['p95']} (4); ffi calls "
          f"{cons['in_requests']} in requests + {cons['outside_requests']} outside of {cons['total']}; items lent "
          f"{q['lent']}, untied {q['untied']}", flush=True)
    check(spc == done["/splitffi"] and exc == done["/exec"], f"counts {spc} {exc} vs {done}")
    check(cons["total"] == 4 * (spc + exc), f"ffi calls {cons}: lost or doubled")
    check(sp["p50"] == 4 and sp["p95"] == 4 and ex["p50"] == 4 and ex["p95"] == 4, f"p50/p95 {sp} {ex}")
    # exact in the author's runs (4.000 both, 1200 of 1200 in requests); 2% for a busy host
    check(abs(sp["mean"] - 4) <= 0.08 and abs(ex["mean"] - 4) <= 0.08, f"means {sp['mean']} {ex['mean']}")
    check(cons["outside_requests"] <= 4, f"nothing lost: {cons['outside_requests']} calls outside requests")


def test_gunicorn_gthread():
    """gunicorn 20.1 (Debian's gunicorn) with one gthread worker of 4 threads: the worker's main
    thread accepts and polls, its pool's threads read, handle and write each request (a thread
    per request at a time). /ffi (3 native calls) and /ppid (4 getppid), 150 each over 4
    connections each at once: exact counts per request."""
    need()
    py = debian_python()
    need_packages(py, {"gunicorn": "gunicorn"})
    out = os.path.join(TMP, "gunicorn.json")
    n = 150
    with recording(py, "gunicorn", ["--probes", "gil,requests,syscalls", "--ffi", LIBDEMO], out) as (port, rec):
        done = drive(port, [("/ffi", 4, n), ("/ppid", 4, n)], "gunicorn")
        time.sleep(0.3)
        stop(rec)
    doc = load(out)
    validate(doc)
    req = doc["results"]["profiling"]["requests"]
    f, fc = ffi_of(req, "GET /ffi")
    fp, _ = ffi_of(req, "GET /ppid")
    pm, p50, p95, pc = split_counts(req, "GET /ppid")
    cons = req["conservation"]["ffi_calls"]
    got, unf, outside = getppid_split(req)
    print(f"      gunicorn gthread: /ffi crossings mean {f['mean']:.3f} p50 {f['p50']} max {f['max']} (3); /ppid getppid "
          f"mean {pm:.3f} p50 {p50} p95 {p95} (4), native calls {fp['mean']:.3f}; ffi calls {cons['in_requests']} of "
          f"{cons['total']} in requests, getppid {got} of {4 * pc} (+ {outside} gunicorn's own, outside)", flush=True)
    check(fc == done["/ffi"] and pc == done["/ppid"], f"counts {fc} {pc} vs {done}")
    check(cons["total"] == 3 * fc and cons["in_requests"] == 3 * fc, f"ffi calls {cons} vs 3 x {fc}")
    # gunicorn's worker calls getppid itself (its parent check, once a loop): outside requests
    probe = (syscall_row(doc, "getppid") or {"count": 0})["count"]
    # (a few more may run after the requests probe detached at the stop: the syscalls probe's count)
    check(got == 4 * pc and 0 <= probe - (got + unf + outside) <= 8, f"getppid {got}+{unf}+{outside} vs 4 x {pc}, probe {probe}")
    check(f["mean"] == 3 and f["max"] == 3 and pm == 4 and p95 == 4 and fp["max"] == 0, f"exact: {f} {pm} {p95} {fp}")


if __name__ == "__main__":
    main(sys.modules[__name__])
