# SPDX-License-Identifier: GPL-2.0-only
"""GIL workloads whose ground truth the workload measures itself (bindprof's GIL tests).

  gilwork.py K SECONDS [--io N] [--delay S]

K CPU-bound threads (and N threads that wait 1 ms in select() and then write and read a pipe)
start together and run for SECONDS. Each CPU-bound thread wants the GIL for its whole life: it is
either holding it or waiting for it. The script prints, as "key value" lines:
  cpu_life_s    the CPU-bound threads' lifetimes added up, from the moment the main thread lets
                them all go (they exist and wait on an event, not on the GIL, until then) to
                each one's end (monotonic clock)
  cpu_thread_s  their CPU time added up (time.thread_time): the time they held the GIL and ran
  span_s        from that moment to the last one's end
  cpu_tids      their native thread ids
  pipe_calls, pipe_call_s, pipe_call_p50_us, pipe_call_p99_us, pipe_call_max_us, pipe_run_delay_s   with --pipe N: N threads that only write and
                read a pipe; their calls, the time inside them, and the median, 99th percentile and
                maximum of a call's duration (each holds at most one GIL wait, and a system call: the pipe
                threads' GIL wait is at most pipe_call_s)
  io_tids, io_life_s, io_over_s, io_calls   with --io: the I/O threads' ids, lifetimes, the time
                their rounds (select() for 1 ms, a pipe write and read) took beyond that 1 ms
                (timer slack, system calls, and the waits to take the GIL back: an upper bound
                of their GIL wait), and their rounds
  http_requests, http_tids, http_clients   with --http N: a thread-per-request HTTP server
                (ThreadingHTTPServer on 127.0.0.1) whose handlers each burn ~1 ms of CPU, and N
                client threads sending it requests one after another; the requests it served
                (its own count), its handler threads' native ids (one short-lived thread a
                request), and the clients' native ids
Without competition for the CPU (pinned alone to one core), the CPU-bound threads' GIL wait is
cpu_life_s - cpu_thread_s; with any, a holder can be preempted, so it is cpu_life_s - (their
holds), and the holds add up to about span_s (some thread always holds the GIL while all of them
want it; the I/O threads hold it for microseconds a round).
"""
import argparse
import os
import select
import sys
import threading
import time

CPU = []
ENDS = []
GO = []  # when the main thread let the threads go


def cpu(go, seconds):
    go.wait()
    c0 = time.thread_time()
    end = GO[0] + seconds
    x = 0
    while time.monotonic() < end:
        for _ in range(500):
            x += 1
    CPU.append(time.thread_time() - c0)  # list.append holds the GIL: no lock needed
    CPU_TIDS.append(threading.get_native_id())
    ENDS.append(time.monotonic())


IO = []  # per I/O thread: (native id, lifetime, select() overrun, calls)
CPU_TIDS = []


def io(go, seconds):
    go.wait()
    r, w = os.pipe()
    end = GO[0] + seconds
    over = calls = 0
    clock = time.perf_counter
    try:
        while time.monotonic() < end:
            # select() blocks 1 ms without the GIL; what the round takes beyond that is the timer's
            # slack, three system calls, and the waits to take the GIL back after each: an upper
            # bound of this thread's GIL wait
            t0 = clock()
            select.select([r], [], [], 0.001)
            os.write(w, b"x" * 64)
            os.read(r, 64)
            over += clock() - t0 - 0.001
            calls += 1
    finally:
        os.close(r)
        os.close(w)
    IO.append((threading.get_native_id(), time.monotonic() - GO[0], over, calls))


PIPE = []  # per pipe thread: its os.write/os.read call durations, seconds
PIPE_RUN_DELAY = []  # per pipe thread: its whole run-queue wait, seconds


def pipe(go, seconds):
    go.wait()
    r, w = os.pipe()
    end = GO[0] + seconds
    took = []
    clock = time.perf_counter
    try:
        while time.monotonic() < end:
            # each call releases the GIL for a system call of microseconds and takes it back: a
            # GIL wait lies inside one call
            t0 = clock()
            os.write(w, b"x" * 64)
            t1 = clock()
            os.read(r, 64)
            t2 = clock()
            took += (t1 - t0, t2 - t1)
    finally:
        os.close(r)
        os.close(w)
    PIPE.append(took)
    PIPE_RUN_DELAY.append(run_delay_s())


def run_delay_s():
    """This thread's time runnable but waiting for a CPU (schedstat's run_delay), seconds; 0 where
    the kernel keeps no schedstat."""
    try:
        with open("/proc/thread-self/schedstat") as f:
            return int(f.read().split()[1]) / 1e9
    except (OSError, IndexError, ValueError):
        return 0.0


HTTP_TIDS = []
HTTP_CLIENTS = []


def serve():
    """A thread-per-request HTTP server on a loopback port: (server, its serving thread)."""
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    class H(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.0"

        def do_GET(self):
            HTTP_TIDS.append(threading.get_native_id())
            x = 0
            t0 = time.thread_time()
            while time.thread_time() - t0 < 0.001:
                for _ in range(100):
                    x += 1
            body = b"ok\n"
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *a):
            pass

    srv = ThreadingHTTPServer(("127.0.0.1", 0), H)
    srv.daemon_threads = False  # server_close() joins the handler threads
    th = threading.Thread(target=srv.serve_forever, kwargs={"poll_interval": 0.05}, name="http-server")
    th.start()
    return srv, th


def client(go, seconds, port):
    import http.client

    go.wait()
    HTTP_CLIENTS.append(threading.get_native_id())
    end = GO[0] + seconds
    while time.monotonic() < end:
        c = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        c.request("GET", "/")
        c.getresponse().read()
        c.close()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("threads", type=int)
    ap.add_argument("seconds", type=float)
    ap.add_argument("--io", type=int, default=0)
    ap.add_argument("--pipe", type=int, default=0)
    ap.add_argument("--http", type=int, default=0)
    ap.add_argument("--delay", type=float, default=0.5)
    a = ap.parse_args()
    time.sleep(a.delay)
    go = threading.Event()
    srv = srv_th = None
    if a.http:
        srv, srv_th = serve()
    ts = [threading.Thread(target=cpu, args=(go, a.seconds), name=f"cpu-{k}") for k in range(a.threads)]
    ts += [threading.Thread(target=io, args=(go, a.seconds), name=f"io-{k}") for k in range(a.io)]
    ts += [threading.Thread(target=pipe, args=(go, a.seconds), name=f"pipe-{k}") for k in range(a.pipe)]
    if srv:
        ts += [threading.Thread(target=client, args=(go, a.seconds, srv.server_address[1]), name=f"client-{k}")
               for k in range(a.http)]
    for t in ts:
        t.start()
    # every thread exists and waits on go (not on the GIL): from here each wants the GIL
    GO.append(time.monotonic())
    go.set()
    for t in ts:
        t.join()
    if srv:
        srv.shutdown()
        srv.server_close()
        srv_th.join()
    print(f"cpu_life_s {sum(e - GO[0] for e in ENDS):.6f}")
    print(f"cpu_thread_s {sum(CPU):.6f}")
    if ENDS:
        print(f"span_s {max(ENDS) - GO[0]:.6f}")
    if CPU_TIDS:
        print("cpu_tids " + ",".join(map(str, CPU_TIDS)))
    if IO:
        print("io_tids " + ",".join(str(x[0]) for x in IO))
        print(f"io_life_s {sum(x[1] for x in IO):.6f}")
        print(f"io_over_s {sum(x[2] for x in IO):.6f}")
        print(f"io_calls {sum(x[3] for x in IO)}")
    if srv:
        print(f"http_requests {len(HTTP_TIDS)}")
        print("http_tids " + ",".join(map(str, HTTP_TIDS)))
        print("http_clients " + ",".join(map(str, HTTP_CLIENTS)))
    if PIPE:
        took = sorted(x for p in PIPE for x in p)
        print(f"pipe_calls {len(took)}")
        print(f"pipe_call_s {sum(took):.6f}")
        print(f"pipe_call_p50_us {took[len(took) // 2] * 1e6:.3f}")
        print(f"pipe_call_p99_us {took[len(took) * 99 // 100] * 1e6:.3f}")
        print(f"pipe_call_max_us {took[-1] * 1e6:.3f}")
        print(f"pipe_run_delay_s {sum(PIPE_RUN_DELAY):.6f}")
    sys.stdout.flush()


if __name__ == "__main__":
    main()
