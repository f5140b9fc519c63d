# SPDX-License-Identifier: GPL-2.0-only
"""A thread-per-request HTTP server for bindprof's demo and benchmarks (Python's ThreadingHTTPServer).

It implements every endpoint of bindprof's built-in suites, Python standard library only:
  GET  /hello, /json                         a short text body; a small JSON document
  POST /echo, /json/<size>                   parses the JSON body and returns it (json-bodies)
  GET  /items/<id>, /users/<u>/posts/<p>, /orgs/.../roles/<r>, /typed/<int>/<float>/<bool>/<uuid>
  GET  /query?...                            parses the query string (query-params)
  POST /form/urlencoded, /form/multipart     parses the form (forms)
Every JSON body crosses into native code through ctypes, as bindings do: a checksum by the
bundled native library (build/tools/libdemo.so, `make` builds it) and zlib's crc32.

--slow PATH=PCT makes one endpoint deliberately slower: after each request to PATH, the handler
thread burns PCT% more CPU than the request took (time.thread_time), as a regression would. bindprof's
compare test uses it. --delay PATH=MS sleeps MS milliseconds before answering PATH (added latency
without CPU), as scripts/bench/verdicts.sh's A/B runs do. --ramp PATH=MS sleeps MS milliseconds
more for every second since PATH's first request: a server that slows down during a pass (the
steady-state test).

Nagle is off (disable_nagle_algorithm): with it, http.server's separate header and body writes
stall each keep-alive response by ~40 ms. Listens on 127.0.0.1 only.
"""
import argparse
import ctypes
import ctypes.util
import json
import os
import re
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

_zlib = ctypes.CDLL(ctypes.util.find_library("z") or "libz.so.1")
_zlib.crc32.restype = ctypes.c_ulong
_zlib.crc32.argtypes = [ctypes.c_ulong, ctypes.c_char_p, ctypes.c_uint]


_LIBDEMO = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "build", "tools", "libdemo.so")
_demo = ctypes.CDLL(_LIBDEMO) if os.path.exists(_LIBDEMO) else None
if _demo:
    _demo.demo_checksum.restype = ctypes.c_uint64
    _demo.demo_checksum.argtypes = [ctypes.c_char_p, ctypes.c_size_t]


def native_crc(data):
    crc = _zlib.crc32(0, data, len(data))
    return crc ^ (_demo.demo_checksum(data, len(data)) if _demo else 0)


PATHS = [
    (re.compile(r"^/items/(\d+)$"), lambda m: {"id": int(m[1])}),
    (re.compile(r"^/users/(\d+)/posts/(\d+)$"), lambda m: {"user": int(m[1]), "post": int(m[2])}),
    (re.compile(r"^/orgs/(\d+)/teams/(\d+)/members/(\d+)/roles/(\d+)$"),
     lambda m: {"org": int(m[1]), "team": int(m[2]), "member": int(m[3]), "role": int(m[4])}),
    (re.compile(r"^/typed/(-?\d+)/(-?[\d.]+)/(true|false)/([0-9a-f-]{36})$"),
     lambda m: {"i": int(m[1]), "f": float(m[2]), "b": m[3] == "true", "u": str(uuid.UUID(m[4]))}),
]


SLOW = {}  # path -> extra CPU as a fraction of the request's own
DELAY = {}  # path -> seconds slept before answering
RAMP = {}  # path -> seconds slept per second since its first request
RAMP_T0 = {}


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True

    def handle_one_request(self):
        t0 = time.thread_time()
        super().handle_one_request()
        extra = SLOW.get(urlsplit(getattr(self, "path", "")).path)
        if extra:
            end = time.thread_time() + (time.thread_time() - t0) * extra
            while time.thread_time() < end:
                pass

    def log_message(self, *args):
        pass

    def reply(self, code, body, ctype="application/json"):
        self.send_response(code)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        url = urlsplit(self.path)
        if url.path in DELAY:
            time.sleep(DELAY[url.path])
        if url.path in RAMP:
            t0 = RAMP_T0.setdefault(url.path, time.monotonic())
            time.sleep(RAMP[url.path] * (time.monotonic() - t0))
        if url.path == "/hello":
            self.reply(200, b"hello\n", "text/plain")
        elif url.path == "/json":
            doc = {"items": [{"id": i, "name": f"item-{i}", "tags": ["a", "b"]} for i in range(20)]}
            self.reply(200, json.dumps(doc).encode())
        elif url.path == "/query":
            q = {k: v[0] for k, v in parse_qs(url.query).items()}
            self.reply(200, json.dumps({"count": len(q), "params": q}).encode())
        else:
            for rx, fn in PATHS:
                m = rx.match(url.path)
                if m:
                    self.reply(200, json.dumps(fn(m)).encode())
                    return
            self.reply(404, b'{"error": "not found"}')

    def do_POST(self):
        n = int(self.headers.get("Content-Length", 0))
        body = self.rfile.read(n)
        path = urlsplit(self.path).path
        if path in DELAY:
            time.sleep(DELAY[path])
        if path == "/form/urlencoded":
            form = {k: v[0] for k, v in parse_qs(body.decode()).items()}
            self.reply(200, json.dumps({"fields": len(form)}).encode())
        elif path == "/form/multipart":
            ctype = self.headers.get("Content-Type", "")
            boundary = ctype.split("boundary=", 1)[1].encode() if "boundary=" in ctype else b""
            parts = [p for p in body.split(b"--" + boundary) if p.strip() not in (b"", b"--")] if boundary else []
            self.reply(200 if parts else 400, json.dumps({"parts": len(parts)}).encode())
        elif path == "/echo" or path.startswith("/json/"):
            try:
                doc = json.loads(body or b"{}")
            except ValueError:
                self.reply(400, b'{"error": "bad json"}')
                return
            out = json.dumps(doc).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("X-Checksum", str(native_crc(out)))
            self.send_header("Content-Length", str(len(out)))
            self.end_headers()
            self.wfile.write(out)
        else:
            self.reply(404, b'{"error": "not found"}')


class Server(ThreadingHTTPServer):
    daemon_threads = True
    # socketserver's default listen backlog is 5: 50 connections opened at once overflow it and
    # the dropped handshakes cost their first requests a retransmission (200 ms, 1 s for a SYN);
    # bindprof diagnoses that (listen-backlog-overflow), so the demo listens with a real backlog
    request_queue_size = 128

    def handle_error(self, request, client_address):
        pass  # a load generator closing its connections is not news


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, default=int(os.environ.get("PORT", 8765)))
    ap.add_argument("--slow", action="append", default=[], metavar="PATH=PCT")
    ap.add_argument("--delay", action="append", default=[], metavar="PATH=MS")
    ap.add_argument("--ramp", action="append", default=[], metavar="PATH=MS")
    a = ap.parse_args()
    for spec in a.ramp:
        path, ms = spec.rsplit("=", 1)
        RAMP[path] = float(ms) / 1000
    for spec in a.delay:
        path, ms = spec.rsplit("=", 1)
        DELAY[path] = float(ms) / 1000
    for spec in a.slow:
        path, pct = spec.rsplit("=", 1)
        SLOW[path] = float(pct) / 100
    srv = Server(("127.0.0.1", a.port), Handler)
    print(f"listening 127.0.0.1:{a.port}", flush=True)
    srv.serve_forever()


if __name__ == "__main__":
    main()
