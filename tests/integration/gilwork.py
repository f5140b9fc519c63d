# SPDX-License-Identifier: GPL-2.0-only
"""GIL workloads whose ground truth the workload measures itself (bindprof's GIL tests).

  gilwork.py K SECONDS [--io N] [--delay S]

K CPU-bound threads (and N threads doing pipe I/O, which hold the GIL only briefly) start
together and run for SECONDS. Each CPU-bound thread wants the GIL for its whole life: it is
either holding it or waiting for it. The script prints, as "key value" lines:
  cpu_life_s    the CPU-bound threads' lifetimes added up (each thread's own monotonic clock)
  cpu_thread_s  their CPU time added up (time.thread_time): the time they held the GIL and ran
  span_s        from the first CPU-bound thread's start to the last one's end
Without competition for the CPU (pinned alone to one core), GIL wait = cpu_life_s - cpu_thread_s;
with any, a holder can be preempted, so GIL wait = cpu_life_s - (the holds), and the holds add up
to about span_s (some thread always holds the GIL while all of them want it).
"""
import argparse
import os
import threading
import time

LIFE = []
CPU = []
STARTS = []
ENDS = []
LOCK = threading.Lock()


def cpu(go, seconds):
    go.wait()
    t0, c0 = time.monotonic(), time.thread_time()
    end = t0 + seconds
    x = 0
    while time.monotonic() < end:
        for _ in range(500):
            x += 1
    c1, t1 = time.thread_time(), time.monotonic()
    with LOCK:
        LIFE.append(t1 - t0)
        CPU.append(c1 - c0)
        STARTS.append(t0)
        ENDS.append(t1)


def io(go, seconds):
    go.wait()
    r, w = os.pipe()
    end = time.monotonic() + seconds
    try:
        while time.monotonic() < end:
            os.write(w, b"x" * 64)
            os.read(r, 64)
            time.sleep(0.0005)
    finally:
        os.close(r)
        os.close(w)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("threads", type=int)
    ap.add_argument("seconds", type=float)
    ap.add_argument("--io", type=int, default=0)
    ap.add_argument("--delay", type=float, default=0.5)
    a = ap.parse_args()
    time.sleep(a.delay)
    go = threading.Event()
    ts = [threading.Thread(target=cpu, args=(go, a.seconds), name=f"cpu-{k}") for k in range(a.threads)]
    ts += [threading.Thread(target=io, args=(go, a.seconds), name=f"io-{k}") for k in range(a.io)]
    for t in ts:
        t.start()
    go.set()
    for t in ts:
        t.join()
    print(f"cpu_life_s {sum(LIFE):.6f}")
    print(f"cpu_thread_s {sum(CPU):.6f}")
    print(f"span_s {max(ENDS) - min(STARTS):.6f}", flush=True)


if __name__ == "__main__":
    main()
