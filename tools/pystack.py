# SPDX-License-Identifier: GPL-2.0-only
"""Known call trees for bindprof's stack tests (standard library only).

  pystack.py tree SECONDS     outer -> hot_inner (80% of the work) and outer -> cold_inner (20%)
  pystack.py ctypes SECONDS   call_native -> demo_checksum (build/tools/libdemo.so, via ctypes)
                              over a 4 MiB buffer: nearly all the time in native code
  pystack.py gil SECONDS      two CPU-bound threads in distinct functions (spin_alpha, spin_beta)
                              contending for the GIL; prints life_s (their lifetimes added up)
                              and span_s (their start to the last end): GIL wait = life_s - span_s;
                              and spin_alpha_tid, spin_beta_tid: their native thread ids

--delay S sleeps first, so that a profiler started with the command has found the interpreter.
"""
import argparse
import ctypes
import os
import threading
import time


def work(n):
    # the same cost per iteration: small ints only (x += i * i would grow past 2**30 into
    # multi-digit longs, slower, for the longer loop, and bias the 80/20 split)
    x = 0
    for i in range(n):
        x = (x + i * 7) & 0xFFFF
    return x


def hot_inner():
    return work(80000)


def cold_inner():
    return work(20000)


def outer():
    return hot_inner() + cold_inner()


def call_native(lib, buf):
    return lib.demo_checksum(buf, len(buf))


ENDS = []  # when each gil-mode thread ended, by its own clock
TIDS = {}  # function name -> its thread's native id


def spin_alpha(end):
    TIDS["spin_alpha"] = threading.get_native_id()
    while time.monotonic() < end:
        work(1000)
    ENDS.append(time.monotonic())


def spin_beta(end):
    TIDS["spin_beta"] = threading.get_native_id()
    while time.monotonic() < end:
        work(1000)
    ENDS.append(time.monotonic())


def parked(go, fn, end):
    go.wait()  # every thread exists and waits here before any of them wants the GIL
    fn(end)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("mode", choices=["tree", "ctypes", "gil"])
    ap.add_argument("seconds", type=float)
    ap.add_argument("--delay", type=float, default=0.0)
    a = ap.parse_args()
    time.sleep(a.delay)
    end = time.monotonic() + a.seconds
    if a.mode == "tree":
        c0 = time.process_time()
        while time.monotonic() < end:
            outer()
        # the tree's share of the process's CPU: interpreter start-up is the rest, a fixed cost that
        # a busy host does not shrink as it shrinks the tree's
        print(f"tree_cpu_s {time.process_time() - c0:.6f} process_cpu_s {time.process_time():.6f}", flush=True)
    elif a.mode == "ctypes":
        lib = ctypes.CDLL(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "build", "tools", "libdemo.so"))
        lib.demo_checksum.restype = ctypes.c_uint64
        lib.demo_checksum.argtypes = [ctypes.c_char_p, ctypes.c_size_t]
        buf = b"x" * (4 << 20)
        while time.monotonic() < end:
            call_native(lib, buf)
    else:
        go = threading.Event()
        ts = [threading.Thread(target=parked, args=(go, f, end)) for f in (spin_alpha, spin_beta)]
        for t in ts:
            t.start()
        t0 = time.monotonic()
        go.set()  # from here both want the GIL until they end: one holds it, the other waits
        for t in ts:
            t.join()
        print(f"life_s {sum(e - t0 for e in ENDS):.6f}")
        print(f"span_s {max(ENDS) - t0:.6f}")
        print(" ".join(f"{k}_tid {v}" for k, v in sorted(TIDS.items())).replace(" spin_beta", "\nspin_beta"), flush=True)


if __name__ == "__main__":
    main()
