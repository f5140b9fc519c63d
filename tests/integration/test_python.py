# SPDX-License-Identifier: GPL-2.0-only
"""bindprof's CPython probes (gil, gc) against tools/pyload.py, on every interpreter present.

Ground truths: K CPU-bound threads for T seconds make the GIL waits add up to (K-1)T and the holds
to T; one thread alone waits about 0; threads doing pipe I/O wait often but briefly; after
gc.disable(), N gc.collect() calls are N generation-2 collections whose pauses add up to what the
script timed around them. Interpreters: Debian's /usr/bin/python3.11 (stripped, USDT notes) and
each pyenv CPython 3.8 to 3.13 found (full symbols, shared libpython). Absent ones are named.
"""
import os
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(__file__))
from harness import BINDPROF, ROOT, SYSLOOP, Skip, check, interpreters, load, main, near, run, validate, each_interpreter as each  # noqa: E402

PYLOAD = os.path.join(ROOT, "tools", "pyload.py")
TMP = tempfile.mkdtemp(prefix="bindprof-py-")
K, T = 3, 1.5


PYTHONS, MISSING = interpreters()


def need():
    if os.geteuid() != 0:
        raise Skip("needs root to attach BPF probes")
    if not PYTHONS:
        raise Skip("no CPython interpreter on this machine")


def record(py, args, probes="gil,gc", extra=(), name="p.json"):
    path = os.path.join(TMP, name)
    r = run([BINDPROF, "record", "--probes", probes, "-o", path, *extra, "--", py, PYLOAD, *args, "--delay", "0.5"],
            timeout=120)
    check(r.returncode == 0, f"{py}: record exited {r.returncode}: {r.stderr.strip()}")
    doc = load(path)
    validate(doc)
    return doc, r.stdout




def test_gil_contention_cheap():
    need()

    def one(label, py, full):
        doc, _ = record(py, ["cpu", "--threads", str(K), "--seconds", str(T)], probes="gil")
        g = doc["results"]["profiling"]["gil"]
        check(g["method"] == "sched_switch+futex", f"method {g['method']}")
        near(g["wait_ms_total"], (K - 1) * T * 1000, 0.20, f"{label} total GIL wait vs (K-1)T")
        check(g["hold_ms_total"] is None and g["contention_percent"] is None, "hold not claimed")
        # every holder change is a wait of another thread: about T / 5 ms of each
        check(g["switches"] >= 0.5 * T / 0.005, f"{label} switches {g['switches']}")
        check(0.5 * g["switches"] <= g["waits"] <= 2 * g["switches"] + 10, f"{label} waits {g['waits']} vs switches")
        near(g["wait_us"]["p50"], (K - 1) * 5000, 0.5, f"{label} a wait lasts (K-1) switch intervals")
        # the workers wait about (K-1)T/K each; the main thread also waits a little while it
        # starts them (up to 120 ms seen on a busy machine), so a worker is one above half that
        workers = [t for t in g["threads"] if t["wait_ms"] > 0.5 * (K - 1) * T * 1000 / K]
        check(len(workers) == K, f"{label} {K} waiting threads: {g['threads']}")
        for t in workers:
            near(t["wait_ms"], (K - 1) * T * 1000 / K, 0.25, f"{label} thread {t['tid']} wait")
        py_sec = doc["results"]["profiling"]["python"]
        check(py_sec["gil_wait_time_ms"] == g["wait_ms_total"], "python.gil_wait_time_ms")
    each(one)


def test_gil_contention_exact():
    need()

    def one(label, py, full):
        doc, _ = record(py, ["cpu", "--threads", str(K), "--seconds", str(T)], probes="gil",
                        extra=["--gil-method", "exact"])
        g = doc["results"]["profiling"]["gil"]
        if not full:
            # stripped build: no take_gil symbol, so the cheap method, said in a warning
            check(g["method"] == "sched_switch+futex", f"{label} falls back: {g['method']}")
            check(any("exact method needs take_gil" in w["message"] for w in doc["warnings"]), "warned")
            # and the cheap method really measures (it once reported zero waits under this label)
            near(g["wait_ms_total"], (K - 1) * T * 1000, 0.20, f"{label} fallback: total GIL wait vs (K-1)T")
            return
        check(g["method"] == "uprobe:take_gil", f"method {g['method']}")
        near(g["wait_ms_total"], (K - 1) * T * 1000, 0.20, f"{label} total GIL wait vs (K-1)T")
        near(g["hold_ms_total"], T * 1000, 0.20, f"{label} holds add up to T")
        near(g["contention_percent"], 100 * (K - 1) / K, 0.10, f"{label} contention")
        check(doc["results"]["profiling"]["python"]["gil_contention_percent"] == g["contention_percent"], "python")
        check(doc["results"]["overhead"]["probe_hits"]["uprobe/drop_gil"] >= g["switches"] / 2, "drop hits")
    each(one)


def test_gil_single_thread_waits_nothing():
    need()

    def one(label, py, full):
        extra = ["--gil-method", "exact"] if full else []
        doc, _ = record(py, ["cpu", "--threads", "1", "--seconds", str(T)], probes="gil", extra=extra)
        g = doc["results"]["profiling"]["gil"]
        # the main thread's join() retakes the GIL once at the end: one switch interval (5 ms),
        # a few when the 2-core machine is busy with other work (seen: 13.5 to 28 ms) -- against
        # (K-1)T = 3000 ms for the contended case
        check(g["wait_ms_total"] <= 40, f"{label} one thread alone waits {g['wait_ms_total']} ms")
        if full:
            near(g["hold_ms_total"], T * 1000, 0.20, f"{label} one thread holds the GIL for T")
    each(one)


def test_gil_voluntary_releases():
    need()

    def one(label, py, full):
        doc, _ = record(py, ["io", "--threads", str(K), "--seconds", str(T)], probes="gil")
        g = doc["results"]["profiling"]["gil"]
        check(g["waits"] >= 100, f"{label} I/O threads' waits are counted: {g['waits']}")
        check(g["wait_us"]["p50"] < 1000, f"{label} and short: p50 {g['wait_us']['p50']} us")
        doc, _ = record(py, ["sleep", "--threads", str(K), "--seconds", str(T)], probes="gil", name="s.json")
        g = doc["results"]["profiling"]["gil"]
        check(g["wait_ms_total"] < 0.02 * K * T * 1000, f"{label} sleepers barely wait: {g['wait_ms_total']} ms")
        check(g["switches"] > 100, f"{label} but the GIL changes hands: {g['switches']}")
    each(one)


def test_gc_collections_and_pauses():
    need()
    n = 10

    def one(label, py, full):
        base, _ = record(py, ["gc", "--collections", "0"], probes="gc", name="g0.json")
        doc, out = record(py, ["gc", "--collections", str(n)], probes="gc", name="g1.json")
        truth = float([l for l in out.splitlines() if l.startswith("gc_collect_ms")][0].split()[1])
        a, b = base["results"]["profiling"]["gc"], doc["results"]["profiling"]["gc"]
        want = "usdt:gc__start" if not full else "uprobe:"
        check(b["method"].startswith(want), f"{label} method {b['method']}")
        gen2 = lambda d: d["by_generation"][2]["collections"]  # noqa: E731
        # CPython's own start-up and shutdown collections are the same in both runs
        check(gen2(b) - gen2(a) == n, f"{label} generation-2 collections {gen2(b)} - {gen2(a)} != {n}")
        pause = b["by_generation"][2]["pause_ms_total"] - a["by_generation"][2]["pause_ms_total"]
        near(pause, truth, 0.20, f"{label} pause total vs the script's own timing")
        check(b["pause_max_ms"] * 1000 + 1e-6 >= b["pause_us"]["p99"] >= b["pause_us"]["p50"] > 0, f"{label} order")
        check(b["collections"] == sum(x["collections"] for x in b["by_generation"]), "generations add up")
        check(sum(t["collections"] for t in b["threads"]) == b["collections"], "threads add up")
        check(doc["results"]["profiling"]["python"]["gc_collections"] == b["collections"], "python section")
    each(one)


def test_interpreter_started_directly_is_probed_from_its_first_instruction():
    need()

    def one(label, py, full):
        # a short script: over before the first 100 ms poll, yet its start-up collections count
        path = os.path.join(TMP, "short.json")
        r = run([BINDPROF, "record", "--probes", "gc", "-o", path, "--", py, "-c",
                 "import gc; gc.collect(); gc.collect()"])
        check(r.returncode == 0, r.stderr)
        doc = load(path)
        validate(doc)
        g = doc["results"]["profiling"]["gc"]
        check(g is not None and g["by_generation"][2]["collections"] >= 2, f"{label}: {g}")
        check(not [w for w in doc["warnings"] if w["section"] == "gc"], f"{label}: {doc['warnings']}")
    each(one)


def test_not_a_python_process():
    need()
    path = os.path.join(TMP, "native.json")
    r = run([BINDPROF, "record", "--probes", "gil,gc,syscalls", "-o", path, "--", SYSLOOP, "--getppid", "100"])
    check(r.returncode == 0, r.stderr)
    doc = load(path)
    validate(doc)
    p = doc["results"]["profiling"]
    check(p["gil"] is None and p["gc"] is None and p["python"] is None, "no python sections")
    msgs = [w["message"] for w in doc["warnings"] if w["section"] in ("gil", "gc")]
    check(len(msgs) == 2 and all("not a CPython process" in m for m in msgs), msgs)
    check(p["syscalls"]["by_syscall"] and any(x["name"] == "getppid" and x["count"] == 100
                                              for x in p["syscalls"]["by_syscall"]), "the run goes on")


def test_doctor_names_methods():
    need()
    for label, py, full in PYTHONS:
        p = subprocess.Popen([py, "-c", "import time; time.sleep(5)"])
        try:
            import time
            time.sleep(0.3)
            d = run([BINDPROF, "doctor", "-p", str(p.pid)])
        finally:
            p.kill()
            p.wait()
        check(d.returncode == 0, d.stderr)
        check("sched_switch+futex" in d.stdout, f"{label}: gil method: {d.stdout}")
        gc_want = "usdt:gc__start" if not full else "uprobe:"
        check(gc_want in d.stdout, f"{label}: gc method: {d.stdout}")


if __name__ == "__main__":
    sys.exit(main(sys.modules[__name__]))
