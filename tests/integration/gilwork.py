# SPDX-License-Identifier: GPL-2.0-only
"""GIL workloads whose ground truth the workload measures itself (bindprof's GIL tests).

  gilwork.py K SECONDS [--io N] [--delay S]

K CPU-bound threads (and N threads doing pipe I/O, which hold the GIL only briefly) start
together and run for SECONDS. Each CPU-bound thread wants the GIL for its whole life: it is
either holding it or waiting for it. The script prints, as "key value" lines:
  cpu_life_s    the CPU-bound threads' lifetimes added up, from the moment the main thread lets
                them all go (they exist and wait on an event, not on the GIL, until then) to
                each one's end (monotonic clock)
  cpu_thread_s  their CPU time added up (time.thread_time): the time they held the GIL and ran
  span_s        from that moment to the last one's end
Without competition for the CPU (pinned alone to one core), GIL wait = cpu_life_s - cpu_thread_s;
with any, a holder can be preempted, so GIL wait = cpu_life_s - (the holds), and the holds add up
to about span_s (some thread always holds the GIL while all of them want it).
"""
import argparse
import os
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
    ENDS.append(time.monotonic())


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
    # every thread exists and waits on go (not on the GIL): from here each wants the GIL
    GO.append(time.monotonic())
    go.set()
    for t in ts:
        t.join()
    print(f"cpu_life_s {sum(e - GO[0] for e in ENDS):.6f}")
    print(f"cpu_thread_s {sum(CPU):.6f}")
    print(f"span_s {max(ENDS) - GO[0]:.6f}", flush=True)


if __name__ == "__main__":
    main()
