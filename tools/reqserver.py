# SPDX-License-Identifier: GPL-2.0-only
"""An HTTP/1.1 server with endpoints of known behaviour, the ground truth of bindprof's per-request tests.

  GET /ffi         exactly 3 calls into the bundled native library (build/tools/libdemo.so, ctypes)
  GET /gc          exactly 1 gc.collect()
  GET /sleep       sleeps 5 ms (time.sleep, or asyncio.sleep on the event loop)
  GET /ppid        exactly 4 os.getppid() syscalls
  GET /split       exactly 4 os.getppid() syscalls, 2 before and 2 after yielding (asyncio.sleep(0) on
                   the event loop, where other requests run in between; time.sleep(0) threaded)
  GET /splitms     the same around asyncio.sleep(0.001) (time.sleep(0.001) threaded)
  GET /items/<n>   a small body (endpoint normalization: /items/{id})
  GET /json        exactly 2 ujson.dumps() calls (where ujson is installed: Debian's python3-ujson)
  GET /hang        answers after 30 s (a request still open when a short run ends)
  GET /drop        closes the connection without answering
  GET /tid         answers the serving thread's id (threading.get_native_id()) as its body
  GET /stats       the server's own timing of every request so far, JSON {path: [ms, ...]}: from the
                   request line's read to the response's write, taken with time.monotonic()

--mode threaded: http.server's ThreadingHTTPServer (a thread per connection, keep-alive).
--mode asyncio:  one event-loop thread (asyncio streams) serving every connection.
--mode executor: the asyncio server, each handler's work done in the loop's default thread pool
                 (loop.run_in_executor): the work runs on threads that never touch a socket.
--mode workers: the asyncio server whose handlers run their work in worker threads the way anyio's
                 to_thread.run_sync does (FastAPI's `def` endpoints on uvicorn): an idle worker is
                 taken from a stack (a new one started if none), the work is put on that worker's
                 own queue.Queue, and the result comes back through loop.call_soon_threadsafe.
--mode protocol: uvicorn's shape: an asyncio.Protocol whose data_received parses each request and
                 creates a task for it (loop.create_task), the task writing the response through
                 the transport (the request is read before its task exists).
--mode pool:     ThreadingHTTPServer whose handlers hand each request's work to one shared
                 concurrent.futures.ThreadPoolExecutor (4 workers behind its queue) and wait for
                 the result: the work runs on threads that never touch a socket.
--mode prefork:  2 worker processes forked at start, each serving the one listening socket with a
                 single-threaded http.server (a request at a time per process).
--mode gevent:   gevent's pywsgi server (greenlets on one thread); needs gevent (python3-gevent).

Real servers (Debian's packages for /usr/bin/python3.11), each with the endpoints above that
their shape allows, and:
  GET /affi        (FastAPI) an `async def` endpoint: 3 native calls on the event loop
  GET /ffi         (FastAPI) a `def` endpoint: 3 native calls, run in anyio's worker threads
  GET /splitffi    (aiohttp) 2 native calls, await asyncio.sleep(0.001), 2 more
  GET /exec        (aiohttp) 4 native calls in loop.run_in_executor's default thread pool
  GET /ffi, /ppid  (gunicorn) 3 native calls, 4 getppid, in a gthread worker's threads
--mode fastapi:  FastAPI (python3-fastapi) on uvicorn (python3-uvicorn, h11, one worker, asyncio loop).
--mode aiohttp:  aiohttp.web (python3-aiohttp).
--mode gunicorn: gunicorn (python3-gunicorn... Debian's `gunicorn`) with one gthread worker of 4
                 threads; "ready" is printed by the worker once it serves.
Prints "ready PORT" once listening on 127.0.0.1. The stand-ins use the Python standard library only.
"""
import argparse
import asyncio
import ctypes
import gc
import json
import os
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

_LIB = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "build", "tools", "libdemo.so")
_demo = ctypes.CDLL(_LIB)
_demo.demo_checksum.restype = ctypes.c_uint64
_demo.demo_checksum.argtypes = [ctypes.c_char_p, ctypes.c_size_t]
_DATA = b"x" * 256
try:
    import ujson
except ImportError:
    ujson = None
_DOC = {"items": [{"id": i, "name": "item %d" % i, "tags": ["a", "b", "c"]} for i in range(200)]}
_own = {}  # path -> the server's own timings, ms
EXECUTOR = False
POOL = None  # --mode pool: the handlers' shared thread pool
WORKERS = False  # --mode workers: anyio-style worker threads, one queue each
_idle = []  # idle workers' queues (the most recently idle last, as anyio's deque)


def _worker(q):
    while True:
        item = q.get()
        if item is None:
            return
        loop, fut, fn, arg = item
        try:
            res, exc = fn(arg), None
        except Exception as e:  # noqa: BLE001
            res, exc = None, e
        _idle.append(q)
        loop.call_soon_threadsafe(_report, fut, res, exc)


def _report(fut, res, exc):
    if not fut.cancelled():
        if exc is not None:
            fut.set_exception(exc)
        else:
            fut.set_result(res)


async def run_sync_in_worker(fn, arg):
    """anyio.to_thread.run_sync's shape: an idle worker's own queue, or a new worker."""
    import queue
    loop = asyncio.get_running_loop()
    fut = loop.create_future()
    if _idle:
        q = _idle.pop()
    else:
        q = queue.Queue()
        threading.Thread(target=_worker, args=(q,), daemon=True).start()
    q.put((loop, fut, fn, arg))
    return await fut


def record(path, t0):
    _own.setdefault(path, []).append((time.monotonic() - t0) * 1e3)


def half_split():
    """/split's work on either side of its yield."""
    os.getppid()
    os.getppid()


def work(path):
    """The endpoint's known work; returns the body, or None for an unknown path."""
    if path == "/ffi":
        s = 0
        for _ in range(3):
            s += _demo.demo_checksum(_DATA, len(_DATA))
        return b"%d\n" % s
    if path == "/gc":
        gc.collect()
        return b"collected\n"
    if path == "/ppid":
        for _ in range(4):
            os.getppid()
        return b"ppid\n"
    if path.startswith("/items/"):
        return b'{"item": "%s"}\n' % path[7:].encode()
    if path == "/json" and ujson:
        ujson.dumps(_DOC)
        return ujson.dumps({"ok": True}).encode() + b"\n"
    if path == "/stats":
        return json.dumps(_own).encode()
    if path == "/tid":
        return b"%d\n" % threading.get_native_id()
    return None


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True

    def parse_request(self):
        self.t0 = time.monotonic()  # the request line was just read
        return super().parse_request()

    def do_GET(self):
        path = self.path.split("?", 1)[0]
        if path == "/sleep":
            time.sleep(0.005)
            body = b"slept\n"
        elif path == "/hang":
            time.sleep(30)
            body = b"late\n"
        elif path in ("/split", "/splitms"):
            half_split()
            time.sleep(0 if path == "/split" else 0.001)
            half_split()
            body = b"split\n"
        elif path == "/drop":
            self.close_connection = True
            return
        elif POOL is not None and path != "/stats":
            body = POOL.submit(work, path).result()
        else:
            body = work(path)
        if body is None:
            self.send_error(404)
            return
        # one write: the header and body together
        self.wfile.write(b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: %d\r\n\r\n%s"
                         % (len(body), body))
        record(path, self.t0)

    def log_message(self, *a):
        pass


async def serve_conn(reader, writer):
    sock = writer.get_extra_info("socket")
    if sock is not None:
        import socket
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    try:
        while True:
            line = await reader.readline()
            if not line:
                break
            t0 = time.monotonic()
            while (await reader.readline()) not in (b"\r\n", b"\n", b""):
                pass
            parts = line.split()
            path = parts[1].decode().split("?", 1)[0] if len(parts) > 1 else "/"
            if path == "/sleep":
                await asyncio.sleep(0.005)
                body = b"slept\n"
            elif path == "/hang":
                await asyncio.sleep(30)
                body = b"late\n"
            elif path in ("/split", "/splitms"):
                half_split()
                await asyncio.sleep(0 if path == "/split" else 0.001)
                half_split()
                body = b"split\n"
            elif path == "/drop":
                break
            elif EXECUTOR:
                body = await asyncio.get_running_loop().run_in_executor(None, work, path)
            elif WORKERS and path != "/stats":
                body = await run_sync_in_worker(work, path)
            else:
                body = work(path)
            if body is None:
                writer.write(b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n")
            else:
                writer.write(b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: %d\r\n\r\n%s"
                             % (len(body), body))
                record(path, t0)
            await writer.drain()
    except (ConnectionError, asyncio.IncompleteReadError):
        pass
    finally:
        writer.close()


async def handle(path):
    """The asyncio server's endpoints, for --mode protocol: the body, or None."""
    if path == "/sleep":
        await asyncio.sleep(0.005)
        return b"slept\n"
    if path == "/hang":
        await asyncio.sleep(30)
        return b"late\n"
    if path in ("/split", "/splitms"):
        half_split()
        await asyncio.sleep(0 if path == "/split" else 0.001)
        half_split()
        return b"split\n"
    return work(path)


class HttpProtocol(asyncio.Protocol):
    """uvicorn's HttpToolsProtocol/H11Protocol shape: parse in data_received, one task per request
    (RequestResponseCycle.run_asgi), responses in order (a keep-alive connection's next request
    waits for the previous response, as uvicorn's flow control does)."""

    def connection_made(self, transport):
        import socket
        self.transport = transport
        self.buf = b""
        self.busy = False
        self.queue = []
        sock = transport.get_extra_info("socket")
        if sock is not None:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def data_received(self, data):
        self.buf += data
        while b"\r\n\r\n" in self.buf:
            head, self.buf = self.buf.split(b"\r\n\r\n", 1)
            parts = head.split(b"\r\n", 1)[0].split()
            path = parts[1].decode().split("?", 1)[0] if len(parts) > 1 else "/"
            self.queue.append((path, time.monotonic()))
        self.next()

    def next(self):
        if not self.busy and self.queue:
            self.busy = True
            path, t0 = self.queue.pop(0)
            asyncio.get_running_loop().create_task(self.cycle(path, t0))

    async def cycle(self, path, t0):
        if path == "/drop":
            self.transport.close()
            return
        body = await handle(path)
        if body is None:
            self.transport.write(b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n")
        else:
            self.transport.write(b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: %d\r\n\r\n%s"
                                 % (len(body), body))
            record(path, t0)
        self.busy = False
        self.next()

    def connection_lost(self, exc):
        self.queue = []


async def amain_protocol(port):
    loop = asyncio.get_running_loop()
    srv = await loop.create_server(HttpProtocol, "127.0.0.1", port)
    print("ready %d" % srv.sockets[0].getsockname()[1], flush=True)
    async with srv:
        await srv.serve_forever()


async def amain(port):
    srv = await asyncio.start_server(serve_conn, "127.0.0.1", port)
    print("ready %d" % srv.sockets[0].getsockname()[1], flush=True)
    async with srv:
        await srv.serve_forever()


def prefork(port, workers=2):
    from http.server import HTTPServer
    srv = HTTPServer(("127.0.0.1", port), Handler)
    kids = []
    for _ in range(workers):
        pid = os.fork()
        if pid == 0:
            try:
                # a worker dies with its parent (a test kills the parent only)
                ctypes.CDLL(None).prctl(1, 9)  # PR_SET_PDEATHSIG, SIGKILL
                if os.getppid() == 1:
                    os._exit(0)
                srv.serve_forever()
            finally:
                os._exit(0)
        kids.append(pid)
    print("ready %d" % srv.server_address[1], flush=True)
    try:
        os.wait()
    finally:
        for k in kids:
            try:
                os.kill(k, 9)
            except OSError:
                pass


def gevent_server(port):
    from gevent.pywsgi import WSGIServer

    def app(environ, start_response):
        path = environ["PATH_INFO"]
        t0 = time.monotonic()
        if path == "/sleep":
            import gevent
            gevent.sleep(0.005)
            body = b"slept\n"
        else:
            body = work(path)
        if body is None:
            start_response("404 Not Found", [("Content-Length", "0")])
            return [b""]
        start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", str(len(body)))])
        record(path, t0)
        return [body]

    srv = WSGIServer(("127.0.0.1", port), app, log=None)
    srv.init_socket()
    print("ready %d" % srv.address[1], flush=True)
    srv.serve_forever()


def ffi_calls(n):
    """n calls of the probed native function; their checksum."""
    s = 0
    for _ in range(n):
        s += _demo.demo_checksum(_DATA, len(_DATA))
    return s


def listening(port):
    import socket
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", port))
    sock.listen(512)
    return sock


def fastapi_server(port):
    import fastapi
    import fastapi.responses
    import uvicorn
    app = fastapi.FastAPI()

    @app.get("/affi", response_class=fastapi.responses.PlainTextResponse)
    async def affi():
        t0 = time.monotonic()
        body = "%d\n" % ffi_calls(3)
        record("/affi", t0)
        return body

    @app.get("/ffi", response_class=fastapi.responses.PlainTextResponse)
    def ffi():
        t0 = time.monotonic()
        body = "%d\n" % ffi_calls(3)
        record("/ffi", t0)
        return body

    @app.get("/stats")
    async def stats():
        return _own

    sock = listening(port)
    config = uvicorn.Config(app, loop="asyncio", http="h11", lifespan="off", log_level="warning",
                            access_log=False, workers=1)
    server = uvicorn.Server(config)
    print("ready %d" % sock.getsockname()[1], flush=True)
    asyncio.run(server.serve(sockets=[sock]))


def aiohttp_server(port):
    from aiohttp import web

    async def splitffi(request):
        t0 = time.monotonic()
        s = ffi_calls(2)
        await asyncio.sleep(0.001)
        s += ffi_calls(2)
        record("/splitffi", t0)
        return web.Response(text="%d\n" % s)

    async def execffi(request):
        t0 = time.monotonic()
        s = await asyncio.get_running_loop().run_in_executor(None, ffi_calls, 4)
        record("/exec", t0)
        return web.Response(text="%d\n" % s)

    async def stats(request):
        return web.json_response(_own)

    async def run():
        app = web.Application()
        app.router.add_get("/splitffi", splitffi)
        app.router.add_get("/exec", execffi)
        app.router.add_get("/stats", stats)
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        sock = listening(port)
        await web.SockSite(runner, sock).start()
        print("ready %d" % sock.getsockname()[1], flush=True)
        await asyncio.Event().wait()

    asyncio.run(run())


def gunicorn_server(port):
    from gunicorn.app.base import BaseApplication

    def app(environ, start_response):
        path = environ["PATH_INFO"]
        t0 = time.monotonic()
        body = work(path)
        if body is None:
            start_response("404 Not Found", [("Content-Length", "0")])
            return [b""]
        start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", str(len(body)))])
        record(path, t0)
        return [body]

    class App(BaseApplication):
        def load_config(self):
            for k, v in {"bind": "127.0.0.1:%d" % port, "workers": 1, "worker_class": "gthread", "threads": 4,
                         "keepalive": 30, "loglevel": "warning", "accesslog": None,
                         "post_worker_init": lambda w: print("ready %d" % port, flush=True)}.items():
                self.cfg.set(k, v)

        def load(self):
            return app

    App().run()


def main():
    global EXECUTOR
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--mode", choices=["threaded", "asyncio", "executor", "workers", "protocol", "pool", "prefork", "gevent",
                                       "fastapi", "aiohttp", "gunicorn"], default="threaded")
    a = ap.parse_args()
    gc.disable()  # no automatic collections: /gc's is the only one
    real = {"fastapi": fastapi_server, "aiohttp": aiohttp_server, "gunicorn": gunicorn_server}
    if a.mode in real:
        if a.mode == "gunicorn" and not a.port:
            a.port = 8000 + os.getpid() % 20000  # gunicorn binds by address: a port is needed
        real[a.mode](a.port)
        return
    if a.mode == "gevent":
        gevent_server(a.port)
        return
    if a.mode == "prefork":
        prefork(a.port)
        return
    if a.mode == "protocol":
        asyncio.run(amain_protocol(a.port))
        return
    if a.mode in ("asyncio", "executor", "workers"):
        global WORKERS
        EXECUTOR = a.mode == "executor"
        WORKERS = a.mode == "workers"
        asyncio.run(amain(a.port))
        return
    if a.mode == "pool":
        global POOL
        import concurrent.futures
        POOL = concurrent.futures.ThreadPoolExecutor(max_workers=4)
    srv = ThreadingHTTPServer(("127.0.0.1", a.port), Handler)
    srv.daemon_threads = True
    print("ready %d" % srv.server_address[1], flush=True)
    srv.serve_forever()


if __name__ == "__main__":
    sys.exit(main())
