"""A thread-per-request HTTP server for bindprof's demo and benchmarks (Python's ThreadingHTTPServer).

  GET  /hello        a short text body
  GET  /json         builds and serialises a small JSON document
  POST /echo         parses the JSON body and returns it
  GET  /items/<id>   a path parameter

Nagle is off (disable_nagle_algorithm): with it, http.server's separate header and body writes
stall each keep-alive response by ~40 ms. Listens on 127.0.0.1 only.
"""
import argparse
import json
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True

    def log_message(self, *args):
        pass

    def reply(self, code, body, ctype="application/json"):
        self.send_response(code)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        if self.path == "/hello":
            self.reply(200, b"hello\n", "text/plain")
        elif self.path == "/json":
            doc = {"items": [{"id": i, "name": f"item-{i}", "tags": ["a", "b"]} for i in range(20)]}
            self.reply(200, json.dumps(doc).encode())
        elif self.path.startswith("/items/"):
            self.reply(200, json.dumps({"id": self.path.rsplit("/", 1)[1]}).encode())
        else:
            self.reply(404, b'{"error": "not found"}')

    def do_POST(self):
        n = int(self.headers.get("Content-Length", 0))
        body = self.rfile.read(n)
        try:
            self.reply(200, json.dumps(json.loads(body or b"{}")).encode())
        except ValueError:
            self.reply(400, b'{"error": "bad json"}')


class Server(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address):
        pass  # a load generator closing its connections is not news


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, default=8765)
    a = ap.parse_args()
    srv = Server(("127.0.0.1", a.port), Handler)
    print(f"listening 127.0.0.1:{a.port}", flush=True)
    srv.serve_forever()


if __name__ == "__main__":
    main()
