# SPDX-License-Identifier: GPL-2.0-only
"""httptest: an HTTP/1.1 test server whose every response is known, for the load generator's tests.

  GET /ok        200 "ok" (keep-alive)
  GET /chunked   200 with a chunked body
  GET /stall     200, but every 100th request (the 1st, 101st, ...) sleeps 200 ms first
  GET /slow      200 after 1.5 s
  GET /err500    500
  GET /close     closes the connection without answering
  GET /reset     resets the connection (RST) without answering
  GET /half      half a response (headers promise 100 bytes, 10 come), then closes
  GET /malformed a line that is not HTTP, then closes
  GET /bighdr    a header that goes on for 64 MB
  GET /endless   a 200 whose body never ends (a byte every 10 ms)
  GET /count     {"<path>": requests so far, ..., "connections": connections that
                 asked for something else}; not counted itself
Listens on 127.0.0.1:PORT (--port; 0 picks one; --backlog, default 1024) and prints "listening PORT".
"""
import argparse
import json
import socket
import struct
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

COUNTS = {}
LOCK = threading.Lock()


def count(path):
    with LOCK:
        n = COUNTS.get(path, 0)
        COUNTS[path] = n + 1
        return n


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True

    def log_message(self, *args):
        pass

    def setup(self):
        self.counted = False
        super().setup()

    def reply(self, code, body):
        self.send_response(code)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        p = self.path
        if p == "/count":
            with LOCK:
                self.reply(200, json.dumps(COUNTS).encode())
            return
        if not self.counted:  # a connection counts at its first request other than /count
            self.counted = True
            count("connections")
        n = count(p)
        if p == "/ok":
            self.reply(200, b"ok")
        elif p == "/chunked":
            self.send_response(200)
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            for part in (b"hello ", b"chunked ", b"world"):
                self.wfile.write(b"%x\r\n%s\r\n" % (len(part), part))
            self.wfile.write(b"0\r\n\r\n")
        elif p == "/stall":
            if n % 100 == 0:
                time.sleep(0.2)
            self.reply(200, b"ok")
        elif p == "/slow":
            time.sleep(1.5)
            self.reply(200, b"slow")
        elif p == "/err500":
            self.reply(500, b"error")
        elif p == "/close":
            self.close_connection = True
        elif p == "/reset":
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            self.close_connection = True
        elif p == "/half":
            self.wfile.write(b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n0123456789")
            self.close_connection = True
        elif p == "/malformed":
            self.wfile.write(b"this is not http\r\n\r\n")
            self.close_connection = True
        elif p == "/bighdr":
            self.close_connection = True
            try:
                self.wfile.write(b"HTTP/1.1 200 OK\r\nX-Big: ")
                for _ in range(64):
                    self.wfile.write(b"a" * (1 << 20))
                self.wfile.write(b"\r\nContent-Length: 0\r\n\r\n")
            except OSError:
                pass
        elif p == "/endless":
            self.close_connection = True
            try:
                self.wfile.write(b"HTTP/1.1 200 OK\r\nContent-Length: 1000000000\r\n\r\n")
                for _ in range(100000):
                    self.wfile.write(b"x")
                    self.wfile.flush()
                    time.sleep(0.01)
            except OSError:
                pass
        else:
            self.reply(404, b"no such path")


class Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 1024

    def handle_error(self, request, client_address):
        pass


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--backlog", type=int, default=1024, help="the listen backlog (5: http.server's default)")
    a = ap.parse_args()
    Server.request_queue_size = a.backlog
    srv = Server(("127.0.0.1", a.port), Handler)
    print(f"listening {srv.server_address[1]}", flush=True)
    srv.serve_forever()


if __name__ == "__main__":
    main()
