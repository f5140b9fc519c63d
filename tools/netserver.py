# SPDX-License-Identifier: GPL-2.0-only
"""HTTP servers of known network behaviour, for the net probe's tests (tests/integration/test_net.py).

  netserver.py MODE PORT [BACKLOG]

MODE:
  nagle    http.server (ThreadingHTTPServer), HTTP/1.1 keep-alive, headers and body in two writes,
           TCP_NODELAY not set: a delayed-ACK client waits ~40 ms for every response's body
  nodelay  the same with disable_nagle_algorithm = True
  sleep    the nodelay server whose handler sleeps 5 ms
  backlog  the nodelay server with request_queue_size = BACKLOG (default 5)
  flask    Flask's development server (Werkzeug), threaded

GET /big answers 256 KiB (for a client that reads slowly). Prints "ready PORT" once listening,
and counts what it served: GET /count answers the number of
requests served so far (and the handler's own time in ms, summed), so the tests' ground truths
come from the server itself.
"""
import http.server
import sys
import threading
import time

MODE = sys.argv[1]
PORT = int(sys.argv[2])
BACKLOG = int(sys.argv[3]) if len(sys.argv) > 3 else 5
lock = threading.Lock()
served = [0, 0.0]


def body_for(path):
    if path == "/count":
        with lock:
            return ("%d %.3f\n" % (served[0], served[1])).encode()
    if path == "/big":  # a response larger than a slow reader's receive window (slow-client)
        return b"x" * 262144
    return b"x" * 64 + b"\n"


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = MODE != "nagle"

    def do_GET(self):
        t0 = time.monotonic()
        if MODE == "sleep" and self.path != "/count":
            time.sleep(0.005)
        body = body_for(self.path)
        self.send_response(200)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()          # one write: the status line and headers
        self.wfile.write(body)      # a second write: the body
        if self.path != "/count":
            with lock:
                served[0] += 1
                served[1] += (time.monotonic() - t0) * 1e3

    def log_message(self, *a):
        pass


def main():
    if MODE == "flask":
        import logging

        from flask import Flask
        app = Flask(__name__)
        logging.getLogger("werkzeug").setLevel(logging.ERROR)

        @app.route("/<path:p>")
        @app.route("/")
        def any_path(p=""):
            t0 = time.monotonic()
            b = body_for("/" + p)
            if p != "count":
                with lock:
                    served[0] += 1
                    served[1] += (time.monotonic() - t0) * 1e3
            return b

        print("ready %d" % PORT, flush=True)
        app.run(host="127.0.0.1", port=PORT, threaded=True)
        return

    class Server(http.server.ThreadingHTTPServer):
        request_queue_size = BACKLOG if MODE == "backlog" else 128
        daemon_threads = True

    srv = Server(("127.0.0.1", PORT), Handler)
    print("ready %d" % PORT, flush=True)
    srv.serve_forever()


if __name__ == "__main__":
    main()
