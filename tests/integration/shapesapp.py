# SPDX-License-Identifier: GPL-2.0-only
"""A test app for profile's load shapes (tests/integration/test_shapes.py), its own ground truths.

  GET /hit     counts the request (the ramp's exact count)
  GET /leak    with --leak: keeps 10 KiB per request (1 MiB per 100 requests), written so the pages
               are touched here, in leak_alloc (the page-fault flamegraph's top Python frame)
  GET /slow    served one at a time (a lock) with --service-ms of sleep: a queue that drains at
               1000/service-ms requests/s (the burst's backlog)
  GET /sse?first_ms=F&every_ms=E
               a Server-Sent Events stream (chunked): the first event after F ms, then one every E
               ms, CRLF line ends every other event, until the client leaves; events counted
  GET /malloc?n=N
               N calls to libc's malloc (each freed) from malloc_site (ctypes): the sampled-malloc
               test's allocating function; then N calls to calloc from calloc_site, the same work
               without malloc (a control: glibc's calloc does not call malloc); each loop timed in
               the thread's CPU time, kept in order (the test splits them into passes by count)
  GET /count   {"hit": N, "leak": N, "slow": N, "sse_streams": N, "sse_events": N, "kept_bytes": N,
               "slow_busy_s": S, "slow_max_s": S,
               "malloc": [[calls, malloc_cpu_ns, calloc_cpu_ns] per /malloc request, in order]}:
               not counted
"""
import argparse
import ctypes
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

KEEP = []
COUNTS = {"hit": 0, "leak": 0, "slow": 0, "sse_streams": 0, "sse_events": 0}
LOCK = threading.Lock()
SLOW = threading.Lock()
BUSY = [0.0]
SLOW_MAX = [0.0]  # the longest /slow service seen: a stall of the host shows here
ARGS = None
LIBC = ctypes.CDLL(None)
LIBC.malloc.restype = ctypes.c_void_p
LIBC.malloc.argtypes = [ctypes.c_size_t]
LIBC.free.argtypes = [ctypes.c_void_p]
LIBC.calloc.restype = ctypes.c_void_p
LIBC.calloc.argtypes = [ctypes.c_size_t, ctypes.c_size_t]
MALLOCS = []


def malloc_site(n):
    """n calls to libc malloc, each freed at once"""
    malloc, free = LIBC.malloc, LIBC.free
    for _ in range(n):
        free(malloc(64))


def calloc_site(n):
    """n calls to libc calloc, each freed at once"""
    calloc, free = LIBC.calloc, LIBC.free
    for _ in range(n):
        free(calloc(1, 64))


def leak_alloc(n):
    """Allocate n bytes and touch every page (bytearray zeroes them: first touch here)."""
    b = bytearray(n)
    for i in range(0, n, 4096):
        b[i] = 1
    return b


class H(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True

    def log_message(self, *a):
        pass

    def reply(self, body, code=200):
        data = body.encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self):
        p = self.path.split("?")[0]
        if p == "/count":
            with LOCK:
                c = dict(COUNTS, kept_bytes=sum(len(b) for b in KEEP), slow_busy_s=BUSY[0], slow_max_s=SLOW_MAX[0],
                         malloc=MALLOCS)
            self.reply(json.dumps(c))
            return
        if p == "/leak":
            kept = leak_alloc(10240) if ARGS.leak else leak_alloc(10240)[:0]
            with LOCK:
                COUNTS["leak"] += 1
                if ARGS.leak:
                    KEEP.append(kept)
            self.reply('{"ok":1}')
            return
        if p == "/malloc":
            n = int(self.path.split("n=", 1)[1]) if "n=" in self.path else 100
            t0 = time.thread_time_ns()
            malloc_site(n)
            t1 = time.thread_time_ns()
            calloc_site(n)
            t2 = time.thread_time_ns()
            with LOCK:
                MALLOCS.append([n, t1 - t0, t2 - t1])
            self.reply('{"ok":1}')
            return
        if p == "/sse":
            self.sse(dict(kv.split("=") for kv in self.path.split("?", 1)[1].split("&")) if "?" in self.path else {})
            return
        if p == "/slow":
            with SLOW:
                t = time.monotonic()
                time.sleep(ARGS.service_ms / 1000.0)
                BUSY[0] += time.monotonic() - t
                SLOW_MAX[0] = max(SLOW_MAX[0], time.monotonic() - t)
            with LOCK:
                COUNTS["slow"] += 1
            self.reply('{"ok":1}')
            return
        with LOCK:
            COUNTS["hit"] += 1
        self.reply('{"ok":1}')


def _sse(self, q):
    first, every = float(q.get("first_ms", 50)) / 1000, float(q.get("every_ms", 20)) / 1000
    self.send_response(200)
    self.send_header("Content-Type", "text/event-stream")
    self.send_header("Transfer-Encoding", "chunked")
    self.end_headers()
    with LOCK:
        COUNTS["sse_streams"] += 1
    time.sleep(first)
    i = 0
    nxt = time.monotonic()
    try:
        while True:
            ev = (f"id: {i}\r\ndata: {i}\r\n\r\n" if i % 2 else f": tick\nevent: n\ndata: {i}\ndata: more\n\n").encode()
            self.wfile.write(b"%x\r\n%s\r\n" % (len(ev), ev))
            with LOCK:
                COUNTS["sse_events"] += 1
            i += 1
            nxt += every
            time.sleep(max(0.0, nxt - time.monotonic()))
    except OSError:
        self.close_connection = True


H.sse = _sse


def main():
    global ARGS
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--leak", action="store_true")
    ap.add_argument("--service-ms", type=float, default=20)
    ARGS = ap.parse_args()
    ThreadingHTTPServer.daemon_threads = True
    ThreadingHTTPServer.handle_error = lambda self, request, addr: None  # a load cut at its end: not news
    ThreadingHTTPServer.request_queue_size = 1024
    srv = ThreadingHTTPServer(("127.0.0.1", ARGS.port), H)
    srv.serve_forever()


if __name__ == "__main__":
    main()
