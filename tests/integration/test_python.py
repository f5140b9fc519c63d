# SPDX-License-Identifier: GPL-2.0-only
"""bindprof's CPython probes (gil, gc) against tools/pyload.py, on every interpreter present.

Ground truths, each measured by the workload itself, so that they hold on a busy machine:
- GIL (tests/integration/gilwork.py): K CPU-bound threads, let go together, each want the GIL for
  their whole life, and one of them always holds it: their waits add up to their lifetimes less
  the span they cover (about (K-1)T), their holds to that span. This holds whatever the CPU count:
  pinned to one CPU, with a CPU hog on that CPU, or not pinned. One thread alone waits about 0;
  threads doing pipe I/O wait often but briefly; an I/O thread beside CPU-bound ones waits at most
  what its select() calls took beyond their timeout.
- GC: after gc.disable(), N gc.collect() calls are N generation-2 collections whose pauses add up
  to what the script timed around them; with the collector on, the collections of each
  generation are what gc.get_stats() counts (the script ends with os._exit, so no collection
  follows its last look), and what a gc.callbacks entry counts from the moment it is added.
Interpreters: Debian's /usr/bin/python3.11 (stripped, USDT notes) and each pyenv CPython 3.8 to
3.13 found (full symbols, shared libpython). Absent ones are named.
"""
import os
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(__file__))
from harness import BINDPROF, ROOT, SYSLOOP, Skip, check, interpreters, load, main, near, run, validate, each_interpreter as each  # noqa: E402

PYLOAD = os.path.join(ROOT, "tools", "pyload.py")
GILWORK = os.path.join(os.path.dirname(os.path.abspath(__file__)), "gilwork.py")
GCWORK = os.path.join(os.path.dirname(os.path.abspath(__file__)), "gcwork.py")
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




def gil_record(py, k, secs, method="cheap", io=0, pin=False, hog=False, name="g.json", extra=()):
    """Run gilwork.py under record; (profiling.gil, the whole document, what the script said).
    pin: the workload on CPU 0 only; hog: a busy loop on CPU 0 beside it, for the whole run."""
    path = os.path.join(TMP, name)
    hog_p = subprocess.Popen(["taskset", "-c", "0", "sh", "-c", "while :; do :; done"]) if hog else None
    try:
        cmd = (["taskset", "-c", "0"] if pin else []) + [py, GILWORK, str(k), str(secs), "--io", str(io), *extra]
        r = run([BINDPROF, "record", "--probes", "gil", "--gil-method", method, "-o", path, "--", *cmd], timeout=120)
    finally:
        if hog_p:
            hog_p.kill()
            hog_p.wait()
    check(r.returncode == 0, f"{py}: record exited {r.returncode}: {r.stderr.strip()}")
    # libbpf's own lines only with -v (3.12's exact method printed "failed to find symbol
    # 'take_gil.constprop.0'" twice: the clones are probed only where the file has them)
    check("libbpf" not in r.stderr, f"{py} {method}: libbpf lines on stderr without -v: {r.stderr.strip()}")
    doc = load(path)
    validate(doc)
    said = dict(l.split(None, 1) for l in r.stdout.splitlines() if len(l.split(None, 1)) == 2 and not l.startswith(" "))
    return doc["results"]["profiling"]["gil"], doc, said


def cpu_truth(said):
    """The CPU-bound threads' GIL wait, ms: their lifetimes less the span they cover."""
    return (float(said["cpu_life_s"]) - float(said["span_s"])) * 1000


def tids(said, key):
    return {int(x) for x in said.get(key, "").split(",") if x}


def test_gil_contention_cheap():
    need()

    def one(label, py, full):
        g, doc, said = gil_record(py, K, T)
        truth = cpu_truth(said)
        check(g["method"] == "sched_switch+futex", f"method {g['method']}")
        # Not pinned, on a busy 2-core machine, a hand-off can leave the GIL free for a while
        # (the woken thread waits for a CPU): both threads wait then, so the waits exceed the
        # lifetimes less the span by that (up to 20% seen with the exact method, whose holds
        # show it); pinned to one CPU, test_gil_threads_outnumber_cpus holds them to 10%.
        check(0.9 * truth <= g["wait_ms_total"] <= 1.25 * truth,
              f"{label} total GIL wait {g['wait_ms_total']:.0f} ms vs lifetimes less span {truth:.0f} ms (-10%, +25%)")
        check(0 <= g["wait_preempted_ms"] <= g["wait_ms_total"], f"{label} preempted part {g['wait_preempted_ms']}")
        check(g["hold_ms_total"] is None and g["contention_percent"] is None, "hold not claimed")
        check(g["switches"] > 0, f"{label} switches {g['switches']}")
        check(0.5 * g["switches"] <= g["waits"] <= 2 * g["switches"] + 10, f"{label} waits {g['waits']} vs switches")
        # the workers wait nearly all of it (the main thread only while it starts them), each a
        # good share (the scheduler shares the GIL unevenly on a busy machine)
        workers = [t for t in g["threads"] if t["tid"] in tids(said, "cpu_tids")]
        check(len(workers) == K, f"{label} {K} waiting threads: {g['threads']}")
        check(sum(t["wait_ms"] for t in workers) >= 0.95 * g["wait_ms_total"], f"{label} workers {g['threads']}")
        for t in workers:
            check(t["wait_ms"] >= 0.25 * truth / K, f"{label} thread {t['tid']} waits {t['wait_ms']:.0f} ms")
        py_sec = doc["results"]["profiling"]["python"]
        check(py_sec["gil_wait_time_ms"] == g["wait_ms_total"], "python.gil_wait_time_ms")
    each(one)


def test_gil_contention_exact():
    need()

    def one(label, py, full):
        g, doc, said = gil_record(py, K, T, method="exact")
        truth = cpu_truth(said)
        if not full:
            # stripped build: no take_gil symbol, so the cheap method, said in a warning
            check(g["method"] == "sched_switch+futex", f"{label} falls back: {g['method']}")
            check(any("exact method needs take_gil" in w["message"] for w in doc["warnings"]), "warned")
            # and the cheap method really measures (it once reported zero waits under this label)
            near(g["wait_ms_total"], truth, 0.10, f"{label} fallback: total GIL wait vs lifetimes less span")
            return
        check(g["method"] == "uprobe:take_gil", f"method {g['method']}")
        workers = [t for t in g["threads"] if t["tid"] in tids(said, "cpu_tids")]
        check(len(workers) == K, f"{label} workers {g['threads']}")
        life, span = float(said["cpu_life_s"]) * 1000, float(said["span_s"]) * 1000
        hold = sum(t["hold_ms"] for t in workers)
        wait = sum(t["wait_ms"] for t in workers)
        # a CPU-bound thread waits whenever it does not hold: waits and holds fill the lifetimes
        near(wait + hold, life, 0.03, f"{label} workers' waits + holds vs their lifetimes")
        near(wait, life - hold, 0.05, f"{label} workers' waits vs lifetimes less the holds")
        # the holds exclude each other within the span; a hand-off leaves the GIL free a little,
        # and a thread holds it through its exit, after its last timestamp (long when preempted)
        check(0.75 * span <= hold <= 1.15 * span, f"{label} workers' holds {hold:.0f} ms vs span {span:.0f} ms")
        check(0.9 * truth <= g["wait_ms_total"] <= 1.25 * truth, f"{label} total {g['wait_ms_total']:.0f} vs {truth:.0f}")
        want = 100 * g["wait_ms_total"] / (g["wait_ms_total"] + g["hold_ms_total"])
        near(g["contention_percent"], want, 0.01, f"{label} contention")
        check(doc["results"]["profiling"]["python"]["gil_contention_percent"] == g["contention_percent"], "python")
        hits = doc["results"]["overhead"]["probe_hits"]
        check(hits["uprobe/drop_gil"] >= g["switches"] / 2, "drop hits")
        check(hits["uretprobe/drop_gil"] >= g["switches"] / 2, "drop return hits")
    each(one)


def test_gil_thread_rows_count_their_waits():
    """A thread-per-request HTTP server in the workload (gilwork.py --http 3: its handlers burn
    ~1 ms of CPU each, beside a CPU-bound thread): many short-lived threads that wait once or
    twice. A row's wait time never comes without a wait (a thread's last wait used to be counted
    only when its next one began, so a handler thread that waited once showed, say, 1.5 ms in 0
    waits); the rows add up to the totals; every handler thread served one request (the server's
    own count), and no more handler threads wait than it served."""
    need()

    def one(label, py, full):
        for method in (("cheap", "exact") if full else ("cheap",)):
            what = f"{label} {method}"
            g, doc, said = gil_record(py, 1, 2, method=method, extra=("--http", "3"), name="h.json")
            served = int(said["http_requests"])
            handlers = tids(said, "http_tids")
            check(served >= 20 and len(handlers) == served, f"{what}: {served} requests, {len(handlers)} handler threads")
            rows = g["threads"]
            waiting = [t for t in rows if t["tid"] in handlers and t["wait_ms"] > 0]
            check(0 < len(waiting) <= served, f"{what}: {len(waiting)} handler threads waited, {served} served")
            for t in rows:
                if method == "cheap":
                    check(t["wait_ms"] == 0 or t["waits"] >= 1,
                          f"{what}: thread {t['tid']} waited {t['wait_ms']:.3f} ms in {t['waits']} waits")
                else:
                    # exact: a take_gil that did not block or get preempted is not a wait, but its
                    # microseconds are wait time (wait + hold fill a thread's life)
                    check(t["waits"] >= 1 or t["wait_ms"] < 0.5,
                          f"{what}: thread {t['tid']} waited {t['wait_ms']:.3f} ms in {t['waits']} waits")
            check(sum(t["waits"] for t in rows) == g["waits"], f"{what}: rows' waits vs {g['waits']}")
            near(sum(t["wait_ms"] for t in rows), g["wait_ms_total"], 0.001, f"{what}: rows' wait vs the total")
    each(one)


def test_gil_threads_outnumber_cpus():
    """Four CPU-bound threads on one CPU, alone and beside a CPU hog on it: the waiters are as often
    preempted (runnable) in a hand-off as blocked, and both count. Both methods within 10%."""
    need()
    k, secs = 4, 2

    def one(label, py, full):
        for hog in (False, True):
            for method in (("cheap", "exact") if full else ("cheap",)):
                what = f"{label} {method} pinned{' with a hog' if hog else ''}"
                g, doc, said = gil_record(py, k, secs, method=method, pin=True, hog=hog)
                truth = cpu_truth(said)
                check(truth > 0.5 * (k - 1) * secs * 1000, f"{what}: the threads overlapped {truth:.0f} ms only")
                # A hand-off can leave the GIL free while the woken thread waits for the CPU: both
                # threads wait then, beyond (K-1) times the span; on this shared machine, under
                # heavy load from other work (load average 25), up to 14% was seen
                check(0.9 * truth <= g["wait_ms_total"] <= 1.15 * truth,
                      f"{what}: GIL wait {g['wait_ms_total']:.0f} ms vs lifetimes less span {truth:.0f} ms (-10%, +15%)")
                check(0 < g["wait_preempted_ms"] <= g["wait_ms_total"], f"{what}: preempted {g['wait_preempted_ms']}")
                if method == "exact":
                    # waits and holds fill each thread's life (which ends at its last timestamp:
                    # it holds the GIL a little longer, through its exit)
                    workers = [t for t in g["threads"] if t["tid"] in tids(said, "cpu_tids")]
                    life = float(said["cpu_life_s"]) * 1000
                    hold = sum(t["hold_ms"] for t in workers)
                    near(sum(t["hold_ms"] + t["wait_ms"] for t in workers), life, 0.05,
                         f"{what}: workers' waits + holds vs their lifetimes")
                    near(sum(t["wait_ms"] for t in workers), life - hold, 0.10,
                         f"{what}: workers' waits vs their lifetimes less their holds")
    each(one)


def test_gil_cpu_threads_and_an_io_thread():
    """Three CPU-bound threads and one that waits in select() and does pipe I/O, on one CPU: the
    CPU-bound threads' waits are their lifetimes less their span; the I/O thread's wait is at
    most what its rounds took beyond the select() timeout (on a busy machine, its run-queue time
    after the timer fires is in that too, hence the loose lower bound)."""
    need()

    def one(label, py, full):
        for method in (("cheap", "exact") if full else ("cheap",)):
            what = f"{label} {method}"
            g, doc, said = gil_record(py, 3, T, method=method, io=1, pin=True)
            by_tid = {t["tid"]: t for t in g["threads"]}
            cpu, io = tids(said, "cpu_tids"), tids(said, "io_tids")
            check(cpu <= set(by_tid) and io <= set(by_tid), f"{what}: threads {g['threads']} vs {said}")
            cpu_wait = sum(by_tid[t]["wait_ms"] for t in cpu)
            io_wait = sum(by_tid[t]["wait_ms"] for t in io)
            over = float(said["io_over_s"]) * 1000
            # the I/O thread's holds (long when it is preempted holding, on a busy CPU) add to
            # the CPU-bound threads' waits beyond their lifetimes less span
            check(0.9 * cpu_truth(said) <= cpu_wait <= 1.2 * cpu_truth(said),
                  f"{what}: CPU-bound threads waited {cpu_wait:.0f} ms, lifetimes less span {cpu_truth(said):.0f} ms")
            # upper bound: the overrun plus the I/O thread's life outside its rounds (its take of the
            # GIL after the start event): once, beside three other suites, it waited 1341 ms against
            # a 400 ms overrun, so the rest lay outside the rounds; never the time slept in select()
            life = float(said["io_life_s"]) * 1000
            outside = max(0.0, life - over - float(said["io_calls"]) * 1.0)
            check(0.2 * over <= io_wait <= 1.05 * over + outside + 5,
                  f"{what}: I/O thread waited {io_wait:.0f} ms, its rounds overran {over:.0f} ms, "
                  f"{outside:.0f} ms of its life outside them")
            near(g["wait_ms_total"], cpu_wait + io_wait, 0.05, f"{what}: total vs threads")
    each(one)


def test_gil_single_thread_waits_nothing():
    need()

    def one(label, py, full):
        g, doc, said = gil_record(py, 1, T, method="exact" if full else "cheap")
        # the main thread's join() retakes the GIL once at the end: one switch interval (5 ms),
        # a few when the 2-core machine is busy with other work (seen: 13.5 to 28 ms) -- against
        # (K-1)T = 3000 ms for the contended case
        check(g["wait_ms_total"] <= 40, f"{label} one thread alone waits {g['wait_ms_total']} ms")
        if full:
            worker = [t for t in g["threads"] if t["tid"] in tids(said, "cpu_tids")]
            check(len(worker) == 1, f"{label} {g['threads']}")
            near(worker[0]["hold_ms"], float(said["cpu_life_s"]) * 1000, 0.10, f"{label} one thread holds the GIL all its life")
    each(one)


def test_gil_voluntary_releases():
    """Threads that only write and read a pipe hand the GIL over at every call: each wait lies
    inside one call, so the total is at most the time inside the calls, and no wait outlasts two
    calls (a wait episode may join the end of one call to the start of the next). The cheap method
    sees only the off-CPU part of these hand-offs (docs/cpython.md): about half here, the exact
    method about four fifths (the rest is run-queue time in the system calls themselves)."""
    need()

    def one(label, py, full):
        for method in (("cheap", "exact") if full else ("cheap",)):
            what = f"{label} {method}"
            g, doc, said = gil_record(py, 0, T, method=method, name="pipe.json", extra=["--pipe", str(K)])
            inside = float(said["pipe_call_s"]) * 1000
            # the lower bound leaves out the pipe threads' whole run-queue wait (schedstat): a busy
            # host stretches the calls with CPU waits that are no GIL's (440 of 4251 ms at load 8)
            stretch = float(said.get("pipe_run_delay_s", 0)) * 1000
            check(0.25 * max(0.0, inside - stretch) <= g["wait_ms_total"] <= 1.02 * inside + 5,
                  f"{what}: waited {g['wait_ms_total']:.0f} ms, {inside:.0f} ms inside the calls, "
                  f"{stretch:.0f} ms on a run queue")
            # a switch can find the GIL free (its holder is in a system call), so the share of
            # switches with a wait depends on the scheduling: over 0.25 on a quiet host, 0.09-0.24
            # beside a hog and two other suites; the waits must be there, not a fixed share of them
            check(g["waits"] >= 0.05 * g["switches"] and g["waits"] >= 20, f"{what}: waits {g['waits']}, switches {g['switches']}")
            check(g["wait_us"]["max"] <= 2 * float(said["pipe_call_max_us"]) + 1000,
                  f"{what}: longest wait {g['wait_us']['max']} us, longest call {said['pipe_call_max_us']} us")
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
        # the baseline run's start-up and shutdown collections are subtracted, but their time moves
        # between runs on a busy host (a hog once made them 7.6 ms longer in the baseline): the
        # tolerance is 20% plus that subtracted amount
        base_ms = a["by_generation"][2]["pause_ms_total"]
        check(abs(pause - truth) <= 0.20 * truth + base_ms,
              f"{label} pause total vs the script's own timing: got {pause:.1f}, want {truth:.1f} "
              f"within 20% + the baseline's {base_ms:.1f} ms")
        check(b["pause_max_ms"] * 1000 + 1e-6 >= b["pause_us"]["p99"] >= b["pause_us"]["p50"] > 0, f"{label} order")
        check(b["collections"] == sum(x["collections"] for x in b["by_generation"]), "generations add up")
        check(sum(t["collections"] for t in b["threads"]) == b["collections"], "threads add up")
        check(doc["results"]["profiling"]["python"]["gc_collections"] == b["collections"], "python section")
    each(one)


def gc_generations(py, mode, name):
    """Run gcwork.py MODE under record: (profiling.gc, warnings, what the script said)."""
    path = os.path.join(TMP, name)
    r = run([BINDPROF, "record", "--probes", "gc", "-o", path, "--", py, GCWORK, mode], timeout=120)
    check(r.returncode == 0, f"{py}: record exited {r.returncode}: {r.stderr.strip()}")
    doc = load(path)
    validate(doc)
    said = {l.split()[0]: [int(x) for x in l.split()[1:]] for l in r.stdout.splitlines()
            if l.startswith(("stats", "callback "))}
    # (the "probed N ms into the run" warning belongs to process following, not to this count)
    return doc["results"]["profiling"]["gc"], [w["message"] for w in doc["warnings"]
                                               if w["section"] == "gc" and "generation" in w["message"]], said


def by_gen(g):
    return {x["generation"]: x["collections"] for x in g["by_generation"]}


def test_gc_generations_match_get_stats():
    """Automatic and explicit collections, per generation, equal gc.get_stats() (3.13 enters the
    collector with GENERATION_AUTO for automatic ones: the generation it chose counts)."""
    need()

    def one(label, py, full):
        g, warns, said = gc_generations(py, "auto", "gen.json")
        stats, got = said["stats"], by_gen(g)
        check(sum(stats) > 50 and stats[0] > stats[1] > 0, f"{label} the workload collected: {stats}")
        check([got.get(i) for i in range(3)] == stats, f"{label} per generation {got} vs gc.get_stats() {stats}")
        check(None not in got and g["collections"] == sum(stats), f"{label} no unknown generation: {got}")
        check(not warns, f"{label} warnings {warns}")
        check(sum(t["collections"] for t in g["threads"]) == g["collections"], f"{label} threads add up")
    each(one)


def test_gc_generations_frozen_with_a_callback():
    """gc.freeze(), a gc.callbacks entry and a low threshold (many collections of every
    generation): per generation, bindprof equals gc.get_stats(), and what it counted since the
    callback was added equals the callback's own count (checked against a run's difference)."""
    need()

    def one(label, py, full):
        g, warns, said = gc_generations(py, "frozen", "frozen.json")
        stats, seen, got = said["stats"], said["callback"], by_gen(g)
        check(seen[1] > 10 and seen[2] > 0, f"{label} the callback saw {seen}")
        check([got.get(i) for i in range(3)] == stats, f"{label} per generation {got} vs gc.get_stats() {stats}")
        # the callback counts from its registration: the interpreter's own counts agree
        since = [stats[i] - said["stats_before_callback"][i] for i in range(3)]
        check(since == seen, f"{label} callback {seen} vs gc.get_stats() since it was added {since}")
        check(not warns, f"{label} warnings {warns}")
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
