# SPDX-License-Identifier: GPL-2.0-only
"""The bundled demo target: a small Python program whose time crosses into native code and the kernel.

Four worker threads each run a loop of "requests": parse and build JSON, call libc's qsort through
ctypes (an FFI crossing), write and read a temporary file, and sleep briefly as if waiting on a
backend. Runs for --seconds (default 3) and prints what it did, so the profile can be checked.
"""
import argparse
import ctypes
import ctypes.util
import json
import os
import tempfile
import threading
import time

libc = ctypes.CDLL(ctypes.util.find_library("c"))
CMP = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.POINTER(ctypes.c_int), ctypes.POINTER(ctypes.c_int))


def _cmp(a, b):
    return (a[0] > b[0]) - (a[0] < b[0])


cmp_fn = CMP(_cmp)


def handle(i, tmpdir):
    doc = {"id": i, "items": [{"k": j, "v": str(j) * 3} for j in range(50)]}
    body = json.dumps(doc)
    arr = (ctypes.c_int * 64)(*[(i * 7919 + j * 104729) % 1000 for j in range(64)])
    libc.qsort(arr, 64, ctypes.sizeof(ctypes.c_int), cmp_fn)
    path = os.path.join(tmpdir, f"req-{threading.get_ident()}.json")
    with open(path, "w") as f:
        f.write(body)
    with open(path) as f:
        json.loads(f.read())
    time.sleep(0.002)


def worker(deadline, tmpdir, counts, idx):
    n = 0
    while time.monotonic() < deadline:
        handle(n, tmpdir)
        n += 1
    counts[idx] = n


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--seconds", type=float, default=3.0)
    ap.add_argument("--threads", type=int, default=4)
    args = ap.parse_args()
    deadline = time.monotonic() + args.seconds
    counts = [0] * args.threads
    with tempfile.TemporaryDirectory(prefix="bindprof-demo-") as tmpdir:
        threads = [threading.Thread(target=worker, args=(deadline, tmpdir, counts, k), name=f"worker-{k}")
                   for k in range(args.threads)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    print(f"demo_app: {sum(counts)} requests in {args.seconds:.1f} s over {args.threads} threads")


if __name__ == "__main__":
    main()
