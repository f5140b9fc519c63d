# SPDX-License-Identifier: GPL-2.0-only
"""pyload: CPython workloads with a known ground truth, for bindprof's GIL and GC tests.

  pyload.py cpu   --threads K --seconds T   K CPU-bound threads for T seconds: GIL wait ~ (K-1)T
  pyload.py sleep --threads K --seconds T   K threads sleeping 1 ms in a loop: short waits only
  pyload.py io    --threads K --seconds T   K threads writing and reading a pipe: short waits only
  pyload.py gc    --collections N           gc.disable(), then exactly N gc.collect() calls

Every mode first waits --delay seconds (default 1), so that a profiler started with the process
has its probes attached before the measured part, and prints what it did as "key value" lines:
the threads' own CPU time, and for gc the time measured around the gc.collect() calls.
"""
import argparse
import gc
import os
import threading
import time


DONE = []
PROGRESS = {}  # thread index -> work units so far (read by --progress)


def cpu(deadline, idx=0):
    x = n = 0
    while time.monotonic() < deadline:
        for _ in range(1000):
            x += 1
        n += 1
        PROGRESS[idx] = n
    DONE.append(n)


def sleeper(deadline):
    while time.monotonic() < deadline:
        time.sleep(0.001)


def pipe_io(deadline):
    r, w = os.pipe()
    try:
        while time.monotonic() < deadline:
            os.write(w, b"x" * 64)
            os.read(r, 64)
    finally:
        os.close(r)
        os.close(w)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("mode", choices=["cpu", "sleep", "io", "gc"])
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--seconds", type=float, default=2.0)
    ap.add_argument("--collections", type=int, default=10)
    ap.add_argument("--garbage", type=int, default=20000, help="cyclic objects made before each collection")
    ap.add_argument("--delay", type=float, default=1.0)
    ap.add_argument("--linger", type=float, default=0.0)
    ap.add_argument("--progress", help="cpu mode: write cumulative work units to this file every 0.25 s")
    a = ap.parse_args()
    if a.mode == "gc":
        gc.disable()
    time.sleep(a.delay)
    print("start", flush=True)
    if a.mode == "gc":
        spent = 0.0
        for _ in range(a.collections):
            junk = []
            for i in range(a.garbage):
                d = {"i": i}
                d["self"] = d  # a cycle: only the collector frees it
                junk.append(d)
            del junk
            t0 = time.perf_counter()
            gc.collect()
            spent += time.perf_counter() - t0
        print(f"gc_collect_ms {spent * 1e3:.3f}", flush=True)
    else:
        fn = {"cpu": cpu, "sleep": sleeper, "io": pipe_io}[a.mode]
        deadline = time.monotonic() + a.seconds
        ts = [threading.Thread(target=fn, args=(deadline,) + ((k,) if a.mode == "cpu" else ()), name=f"load-{k}")
              for k in range(a.threads)]
        t0 = time.monotonic()
        for t in ts:
            t.start()
        if a.progress:
            # "progress <seconds since start> <work units so far>", for benchmarks that attach and
            # detach a profiler to one long run and compare windows
            with open(a.progress, "w", buffering=1) as f:
                while any(t.is_alive() for t in ts):
                    time.sleep(0.25)
                    f.write(f"progress {time.monotonic() - t0:.3f} {sum(PROGRESS.values())}\n")
        for t in ts:
            t.join()
        print(f"elapsed_s {time.monotonic() - t0:.3f}", flush=True)
        if DONE:
            print(f"work_units {sum(DONE)}", flush=True)
    time.sleep(a.linger)


if __name__ == "__main__":
    main()
