# SPDX-License-Identifier: GPL-2.0-only
"""Known FFI calls for bindprof's FFI tests (standard library, plus Debian's python3-cffi for cffi).

  fficall.py ctypes N     libffitest through ctypes: ffitest_add 10N times, ffitest_busy_50us and
                          ffitest_sleep_1ms N times each, and ffitest_callback(cb, 3) N times,
                          where cb calls ffitest_add: native -> Python -> native (3N more adds)
  fficall.py cffi N       the same first three through cffi (ABI mode, ffi.dlopen)
  fficall.py ext N DIR    ffiext (tools/ffiext.c, built into DIR): add 10N times, busy and
                          busy_nogil N times each
  fficall.py atom N       libatom (tools/libatom.c) through ctypes: atom_inc, atom_get and
                          atom_loop(1) N times each, atom_value (an alias of atom_get) N times
  fficall.py alias N      libc through ctypes: strtol N times, strtoll 2N times (one function)
  fficall.py empty10 N    ffitest_empty10 (10 arguments, empty) through ctypes, 5 rounds of N calls,
                          then the same from C (ffitest_c_empty10_ns); prints one JSON line: the
                          best round's thread CPU ns per call of each (and the median round's for
                          ctypes), and of an empty Python loop
                          (--no-c: the ctypes rounds only)
  fficall.py place N      libffitest through ctypes, by probe place: ffitest_add and ffitest_add_fp
                          10N times each, ffitest_busy_50us and ffitest_busy_50us_stepped N times
(The trivial add is called 10N times: its mean is not left to a few slow first calls.)

--delay S waits before loading anything, so that a profiler started with the command is attached
when the library or module is loaded (a late import).
"""
import argparse
import os
import sys
import time

TOOLS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "build", "tools")
LIB = os.path.join(TOOLS, "libffitest.so")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("mode", choices=["ctypes", "cffi", "ext", "atom", "alias", "place", "empty10"])
    ap.add_argument("n", type=int)
    ap.add_argument("dir", nargs="?")
    ap.add_argument("--delay", type=float, default=0.0)
    ap.add_argument("--no-c", action="store_true", help="empty10: no calls from C (under a profiler)")
    a = ap.parse_args()
    time.sleep(a.delay)
    n = a.n
    if a.mode == "ctypes":
        import ctypes
        lib = ctypes.CDLL(LIB)
        lib.ffitest_add.restype = ctypes.c_long
        lib.ffitest_add.argtypes = [ctypes.c_long, ctypes.c_long]
        CB = ctypes.CFUNCTYPE(ctypes.c_long, ctypes.c_long)
        lib.ffitest_callback.restype = ctypes.c_long
        lib.ffitest_callback.argtypes = [CB, ctypes.c_long]
        cb = CB(lambda i: lib.ffitest_add(i, 1))
        for i in range(10 * n):
            lib.ffitest_add(i, 1)
        for _ in range(n):
            lib.ffitest_busy_50us()
        for _ in range(n):
            lib.ffitest_sleep_1ms()
        for _ in range(n):
            lib.ffitest_callback(cb, 3)
    elif a.mode == "cffi":
        import cffi
        ffi = cffi.FFI()
        ffi.cdef("long ffitest_add(long, long); void ffitest_busy_50us(void); void ffitest_sleep_1ms(void);")
        lib = ffi.dlopen(LIB)
        for i in range(10 * n):
            lib.ffitest_add(i, 1)
        for _ in range(n):
            lib.ffitest_busy_50us()
        for _ in range(n):
            lib.ffitest_sleep_1ms()
    elif a.mode == "atom":
        import ctypes
        lib = ctypes.CDLL(os.path.join(TOOLS, "libatom.so"))
        for _ in range(n):
            lib.atom_inc()
        for _ in range(n):
            lib.atom_get()
        for _ in range(n):
            lib.atom_value()
        for _ in range(n):
            lib.atom_loop(1)
        if lib.atom_get() != 2 * n:
            sys.exit(f"counter {lib.atom_get()}, want {2 * n}")
    elif a.mode == "alias":
        import ctypes
        libc = ctypes.CDLL("libc.so.6")
        for f, k in ((libc.strtol, n), (libc.strtoll, 2 * n)):
            f.restype = ctypes.c_long
            f.argtypes = [ctypes.c_char_p, ctypes.c_void_p, ctypes.c_int]
            for _ in range(k):
                f(b"12345", None, 10)
    elif a.mode == "empty10":
        import ctypes
        import json
        lib = ctypes.CDLL(LIB)
        f = lib.ffitest_empty10
        f.restype = None
        f.argtypes = [ctypes.c_long] * 10
        lib.ffitest_c_empty10_ns.restype = ctypes.c_double
        lib.ffitest_c_empty10_ns.argtypes = [ctypes.c_long]
        best = loop = None
        rounds = []
        for _ in range(5):
            t = time.thread_time_ns()
            for i in range(n):
                f(i, 1, 2, 3, 4, 5, 6, 7, 8, 9)
            d = (time.thread_time_ns() - t) / n
            rounds.append(d)
            best = d if best is None else min(best, d)
            t = time.thread_time_ns()
            for i in range(n):
                pass
            d = (time.thread_time_ns() - t) / n
            loop = d if loop is None else min(loop, d)
        c = None if a.no_c else min(lib.ffitest_c_empty10_ns(n) for _ in range(5))
        print(json.dumps({"ctypes_ns": best, "ctypes_median_ns": sorted(rounds)[2], "c_ns": c, "loop_ns": loop,
                          "calls": 5 * n}), flush=True)
    elif a.mode == "place":
        import ctypes
        lib = ctypes.CDLL(LIB)
        for name in ("ffitest_add", "ffitest_add_fp"):
            f = getattr(lib, name)
            f.restype = ctypes.c_long
            f.argtypes = [ctypes.c_long, ctypes.c_long]
            for i in range(10 * n):
                f(i, 1)
        for _ in range(n):
            lib.ffitest_busy_50us()
        for _ in range(n):
            lib.ffitest_busy_50us_stepped()
    else:
        sys.path.insert(0, a.dir)
        import ffiext
        for i in range(10 * n):
            ffiext.add(i, 1)
        for _ in range(n):
            ffiext.busy()
        for _ in range(n):
            ffiext.busy_nogil()


if __name__ == "__main__":
    main()
