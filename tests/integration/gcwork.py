# SPDX-License-Identifier: GPL-2.0-only
"""GC workloads whose ground truth the interpreter counts itself (bindprof's GC tests).

  gcwork.py auto        cyclic garbage with the collector on (automatic collections of every
                        generation), then gc.collect(), gc.collect(0) and gc.collect(1)
  gcwork.py frozen      gc.freeze() first, a gc.callbacks entry, a low threshold, then the same

Prints "stats C0 C1 C2": gc.get_stats()'s collections per generation, counted since the
interpreter started, as the last thing it does, then leaves with os._exit (no collection at
shutdown); in frozen mode also "callback C0 C1 C2": the collections the callback saw start,
counted from the moment it was added, and "stats_before_callback C0 C1 C2" at that moment.
"""
import gc
import os
import sys
import time


def garbage(n):
    for i in range(n):
        a = [i]
        a.append(a)


def main():
    mode = sys.argv[1]
    seen = [0, 0, 0]
    if mode == "frozen":
        gc.freeze()  # everything so far moves to the permanent generation: never examined again

        def cb(phase, info):
            if phase == "start":
                seen[info["generation"]] += 1

        before = [s["collections"] for s in gc.get_stats()]
        gc.callbacks.append(cb)
        gc.set_threshold(300, 5, 5)
    time.sleep(0.2)
    garbage(300000)
    gc.collect()
    gc.collect(0)
    gc.collect(1)
    if mode == "frozen":
        gc.callbacks.remove(cb)
        print("callback " + " ".join(map(str, seen)))
        print("stats_before_callback " + " ".join(map(str, before)))
    print("stats " + " ".join(str(s["collections"]) for s in gc.get_stats()), flush=True)
    os._exit(0)


if __name__ == "__main__":
    main()
