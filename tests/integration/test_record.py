# SPDX-License-Identifier: GPL-2.0-only
"""bindprof record against tools/sysloop, a program with a known ground truth of syscalls.

Run as root (real probes are attached). Every figure is asserted against what sysloop did:
N getppid() calls, M 2 ms nanosleep() calls, K failing fchdir() calls, W calls in a thread.
"""
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(__file__))
from harness import (BINDPROF, ROOT, SYSLOOP, Skip, check, probes_gone, held_bpf_ids, bpf_ids_gone,  # noqa: E402
                     other_bindprof_running, load, main, near, run, syscall_row, validate, wait_line)

N_GETPPID, N_SLEEPS, N_FAIL, N_THREAD = 10000, 50, 7, 500
WORK = ["--getppid", str(N_GETPPID), "--sleeps", str(N_SLEEPS), "--fail", str(N_FAIL),
        "--thread-getppid", str(N_THREAD)]
TMP = tempfile.mkdtemp(prefix="bindprof-it-")
OUR_PROGS = {"sys_enter", "sys_exit", "handle_fork", "handle_exit"}


def out(name):
    return os.path.join(TMP, name)


def need_root():
    if os.geteuid() != 0:
        raise Skip("needs root to attach BPF probes")


def record(args, name, timeout=60):
    path = out(name)
    r = run([BINDPROF, "record", "--probes", "syscalls", "-o", path] + args, timeout=timeout)
    check(r.returncode == 0, f"record exited {r.returncode}: {r.stderr.strip()}")
    doc = load(path)
    validate(doc)
    return doc, r


def attach(pid, path):
    """Start `record -p pid` and return once its probes are attached."""
    b = subprocess.Popen([BINDPROF, "record", "--probes", "syscalls", "-o", path, "-p", str(pid)],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    wait_line(b.stderr, "bindprof: recording pid")
    return b


def sleep_truth(stdout):
    """sysloop's own timing of its sleeps: (p50_us, total_us)."""
    vals = {}
    for line in stdout.splitlines():
        if line.startswith("nanosleep_"):
            k, v = line.split()
            vals[k] = float(v)
    check("nanosleep_p50_us" in vals, "sysloop printed its sleep timing")
    return vals["nanosleep_p50_us"], vals["nanosleep_total_us"]


def assert_ground_truth(doc, truth):
    """The counts sysloop made, exactly; the sleep p50 within 5% of what sysloop itself timed."""
    sleep_p50_us, sleep_total_us = truth
    gp, ns, fc = syscall_row(doc, "getppid"), syscall_row(doc, "nanosleep"), syscall_row(doc, "fchdir")
    check(gp and gp["count"] == N_GETPPID + N_THREAD, f"getppid count {gp and gp['count']}")
    check(gp["errors"] == 0, f"getppid errors {gp['errors']}")
    check(ns and ns["count"] == N_SLEEPS, f"nanosleep count {ns and ns['count']}")
    check(fc and fc["count"] == N_FAIL and fc["errors"] == N_FAIL, f"fchdir {fc}")
    near(ns["p50_us"], sleep_p50_us, 0.05, "nanosleep p50 vs sysloop's own timing")
    # a 2 ms sleep is never shorter; how much longer depends on the host's load (4.0 ms read beside a
    # CPU hog and three other suites), which sysloop's own timing above already holds
    check(ns["max_us"] >= ns["p99_us"] >= ns["p90_us"] >= ns["p50_us"] >= 1900, f"order {ns}")
    near(ns["total_ms"], sleep_total_us / 1000, 0.05, "nanosleep total vs sysloop's own timing")
    worker = [t for t in doc["results"]["profiling"]["syscalls"]["threads"] if t["name"] == "worker"]
    check(len(worker) == 1, f"one thread named worker: {worker}")
    # the worker's own getppid calls plus its thread start/exit syscalls (a handful)
    check(N_THREAD <= worker[0]["count"] <= N_THREAD + 15, f"worker count {worker[0]['count']}")
    sysd = doc["results"]["profiling"]["syscalls"]
    check(sysd["total_count"] == sum(r["count"] for r in sysd["by_syscall"]), "total_count is the sum")
    check(sum(t["count"] for t in sysd["threads"]) == sysd["total_count"], "threads add up")
    hits = doc["results"]["overhead"]["probe_hits"]
    # every counted syscall is one exit hit; exits without their entry are the in-flight ones
    check(hits["tp_btf/sys_exit"] == sysd["total_count"] + sysd["in_flight_at_start"]
          + sysd.get("new_task_first_returns", 0) + sysd.get("uretprobe_returns", 0),
          f"exit hits {hits['tp_btf/sys_exit']} vs counted {sysd['total_count']}")
    check(doc["results"]["lost_events"] == 0, "no lost events")


def test_command_mode_exact_counts():
    need_root()
    doc, r = record(["--", SYSLOOP] + WORK, "cmd.json")
    assert_ground_truth(doc, sleep_truth(r.stdout))
    t = doc["metadata"]["target"]
    check(t["exit_status"] == 0 and t["runtime"] == "native", f"target {t}")
    check(t["exe"] == SYSLOOP, f"exe {t['exe']}")
    check(doc["partial"] is False and doc["partial_reason"] is None, "a finished command is complete")
    # the exec itself is seen: probes were attached before the command ran
    check(syscall_row(doc, "execve")["count"] == 1, "execve seen once")
    ov = doc["results"]["overhead"]
    check(ov["per_hit_ns"]["tp_btf"] > 0, "a calibrated per-hit cost")
    # the estimate's make-up: the syscall tracepoints' hits at the calibrated rate, the other
    # tracepoint programs (fork, exit) by their measured run time, plus bindprof's own CPU
    hits = ov["probe_hits"]
    sys_hits = hits["tp_btf/sys_enter"] + hits["tp_btf/sys_exit"]
    other = sum(hits.values()) - sys_hits
    measured = ov.get("tracepoints_bpf_cpu_ms")
    probes = sys_hits * ov["per_hit_ns"]["tp_btf"] / 1e6 + (
        measured if measured is not None else other * ov["per_hit_ns"]["tp_btf"] / 1e6)
    near(ov["probes_cpu_ms"], probes, 1e-6, "probes' estimate")
    check(ov["bindprof_cpu_ms"] is not None and 0 <= ov["bindprof_cpu_ms"] < 5000,
          f"bindprof_cpu_ms {ov['bindprof_cpu_ms']}")
    near(ov["estimated_cpu_ms"], ov["probes_cpu_ms"] + ov["bindprof_cpu_ms"], 1e-6, "estimate")


def test_pid_mode_matches_command_mode():
    need_root()
    p = subprocess.Popen([SYSLOOP, "--wait-signal"] + WORK, stdout=subprocess.PIPE, text=True)
    try:
        wait_line(p.stdout, "ready")
        path = out("pid.json")
        b = attach(p.pid, path)
        p.send_signal(signal.SIGUSR1)
        truth = sleep_truth(p.stdout.read())
        p.wait(timeout=30)
        b.wait(timeout=30)
        check(b.returncode == 0, f"record exited {b.returncode}")
    finally:
        p.kill()
    doc = load(path)
    validate(doc)
    assert_ground_truth(doc, truth)
    check(doc["partial"] is True and doc["partial_reason"] == "target_exited", "target exit is partial")
    # sysloop was blocked in sigwait (rt_sigtimedwait) as the probes attached
    check(doc["results"]["profiling"]["syscalls"]["in_flight_at_start"] >= 1, "in-flight syscall seen")
    check(doc["metadata"]["target"]["pid"] == p.pid, "pid recorded")


def test_children_followed_and_not():
    need_root()
    script = f"{SYSLOOP} --getppid 3000; {SYSLOOP} --getppid 2000 --fail 3"
    doc, _ = record(["--", "/bin/sh", "-c", script], "kids.json")
    kids = syscall_row(doc, "getppid")["count"]
    check(syscall_row(doc, "fchdir")["errors"] == 3, "child's errors counted")
    check(doc["results"]["overhead"]["probe_hits"]["tp_btf/sched_process_fork"] == 2, "two forks seen")
    pids = {t["pid"] for t in doc["results"]["profiling"]["syscalls"]["threads"]}
    check(len(pids) == 3, f"three processes: {pids}")
    doc, _ = record(["--no-children", "--", "/bin/sh", "-c", script], "nokids.json")
    # the shell itself may call getppid (for $PPID): the children's 5000 are the difference
    own = (syscall_row(doc, "getppid") or {"count": 0})["count"]
    check(own <= 2, f"--no-children: the shell's own getppid only, got {own}")
    check(kids == 5000 + own, f"children's getppid counted: {kids} = 5000 + {own}")
    check(syscall_row(doc, "fchdir") is None, "--no-children: the children's errors are not counted")
    check(doc["configuration"]["follow_children"] is False, "configuration says so")


def test_pid_mode_follows_existing_and_new_children():
    need_root()
    # sh has one child before bindprof attaches (waiting for SIGUSR1) and forks another after
    script = f"{SYSLOOP} --wait-signal --getppid 2000 & read x; {SYSLOOP} --getppid 3000; wait"
    sh = subprocess.Popen(["/bin/sh", "-c", script], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        early = int(wait_line(sh.stdout, "ready").split()[1])
        path = out("tree.json")
        b = attach(sh.pid, path)
        os.kill(early, signal.SIGUSR1)
        sh.stdin.write("go\n")
        sh.stdin.close()
        sh.wait(timeout=30)
        b.wait(timeout=30)
        check(b.returncode == 0, f"record exited {b.returncode}")
    finally:
        sh.kill()
    doc = load(path)
    validate(doc)
    gp = syscall_row(doc, "getppid")
    check(gp and gp["count"] == 5000, f"both children's getppid: {gp and gp['count']}")
    pids = {t["pid"] for t in doc["results"]["profiling"]["syscalls"]["threads"]}
    check(early in pids and len(pids) == 3, f"sh, the early child and the late child: {pids}")
    check(doc["results"]["overhead"]["probe_hits"]["tp_btf/sched_process_fork"] == 1, "one fork after attach")


def test_ctrl_c_writes_partial_and_detaches():
    need_root()
    p = subprocess.Popen([SYSLOOP, "--wait-signal", "--linger-ms", "20000"], stdout=subprocess.PIPE, text=True)
    try:
        wait_line(p.stdout, "ready")
        path = out("int.json")
        b = attach(p.pid, path)
        ids = held_bpf_ids(b.pid)
        p.send_signal(signal.SIGUSR1)  # sysloop now lingers in one nanosleep
        time.sleep(0.3)
        b.send_signal(signal.SIGINT)
        b.wait(timeout=15)
        check(b.returncode == 0, f"exit {b.returncode}")
        check(p.poll() is None, "the -p target is left running")
    finally:
        p.kill()
        p.wait()
    doc = load(path)
    validate(doc)
    check(doc["partial"] is True and doc["partial_reason"] == "interrupted", "interrupted run is partial")
    check(doc["results"]["profiling"]["syscalls"]["total_count"] >= 1, "what was measured is kept")
    check(not os.path.exists(path + f".tmp.{b.pid}"), "no temporary file left")
    check(ids[0] and ids[1] and bpf_ids_gone(ids), f"this run's programs and links unloaded after Ctrl-C: {ids}")
    # by name too, when no other bindprof on the machine loads programs of the same names
    check(other_bindprof_running() or probes_gone(OUR_PROGS), "probes detached after Ctrl-C")


def test_ctrl_c_in_command_mode_stops_the_command():
    need_root()
    path = out("intcmd.json")
    b = subprocess.Popen([BINDPROF, "record", "--probes", "syscalls", "-o", path, "--", SYSLOOP,
                          "--getppid", "1000", "--linger-ms", "20000"],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    time.sleep(1.0)
    ids = held_bpf_ids(b.pid)
    b.send_signal(signal.SIGINT)  # to bindprof alone, not the process group: it forwards it
    b.wait(timeout=15)
    check(b.returncode == 0, f"exit {b.returncode}")
    doc = load(path)
    validate(doc)
    check(doc["partial_reason"] == "interrupted", "interrupted")
    check(doc["metadata"]["target"]["exit_status"] == 130, f"child ended by SIGINT: {doc['metadata']['target']}")
    check(syscall_row(doc, "getppid")["count"] == 1000, "what ran before Ctrl-C is all there")
    check(ids[0] and ids[1] and bpf_ids_gone(ids), f"this run's programs and links unloaded: {ids}")
    check(other_bindprof_running() or probes_gone(OUR_PROGS), "probes detached")


def test_verbose_logs_attach_and_libbpf():
    need_root()
    r = run([BINDPROF, "record", "-v", "--probes", "syscalls", "-o", out("v.json"), "--", "/bin/true"])
    check(r.returncode == 0, r.stderr)
    check("attached syscalls: tp_btf/sys_enter, tp_btf/sys_exit" in r.stderr, "attach logged")
    check("libbpf: " in r.stderr, "libbpf's own debug output is on")
    q = run([BINDPROF, "record", "--probes", "syscalls", "-o", out("q.json"), "--", "/bin/true"])
    check("libbpf: " not in q.stderr and "attached" not in q.stderr, f"quiet without -v: {q.stderr}")


def test_duration_and_resources():
    need_root()
    # 64 MiB touched, 400 ms of CPU, then idle: the run ends at -d, not at the target's exit. -d 6
    # leaves the spin time to finish on a loaded host (600 ms of CPU did not fit in 2 s beside a CPU
    # hog and three other suites)
    D = 6
    doc, r = record(["-d", str(D), "--", SYSLOOP, "--alloc-mb", "64", "--spin-ms", "400", "--linger-ms", "20000"],
                    "res.json")
    near(doc["configuration"]["measured_secs"], D, 0.10, "measured_secs")
    check(doc["partial"] is False, "a run that reached -d is complete")
    # the command was stopped at the end of the run, by SIGTERM: 128 + 15
    check(doc["metadata"]["target"]["exit_status"] == 143, f"exit_status {doc['metadata']['target']}")
    mem = doc["results"]["resources"]["memory"]
    check(64 <= mem["peak_mb"] <= 72, f"RSS peak {mem['peak_mb']} MB for 64 MiB touched")
    check(64 <= mem["uss_peak_mb"] <= 72, f"USS peak {mem['uss_peak_mb']} MB")
    cpu = doc["results"]["resources"]["cpu"]
    truth = float([l for l in r.stdout.splitlines() if l.startswith("cpu_ms ")][0].split()[1])
    check(truth >= 400, f"sysloop spun {truth} ms")
    # /proc counts in 10 ms clock ticks: a tick either side at the first and last sample
    check(abs(cpu["total_cpu_ms"] - truth) <= 30, f"CPU time from /proc {cpu['total_cpu_ms']} vs getrusage {truth}")
    # one busy thread: its share of a CPU over the spin (100% on a free core, less beside a hog),
    # per 100 ms interval, give or take a tick of quantisation (79.8% once beside a hog: the spin
    # then had about 80% of a core)
    wall = float([l for l in r.stdout.splitlines() if l.startswith("spin_wall_ms ")][0].split()[1])
    share = 100 * min(1.0, 400 / wall)
    check(0.85 * share <= cpu["peak_percent"] <= 125,
          f"one busy thread peaks near its share of a CPU ({share:.0f}%: 400 ms in {wall:.0f} ms): {cpu['peak_percent']}")
    near(cpu["avg_percent"], 100 * truth / (D * 1000), 0.15, f"average over the {D} s run")
    check(other_bindprof_running() or probes_gone(OUR_PROGS), "probes detached")


def test_short_lived_children_cpu():
    need_root()
    # 12 Python children of about 40 ms of CPU each, one after another, most shorter than the
    # recorder's 100 ms resource tick: their CPU reaches the shell's cutime when it reaps them (290
    # of about 1460 ms was counted before that was read). Truth: the shell's own `times` (itself,
    # then its reaped children).
    script = ("for i in 1 2 3 4 5 6 7 8 9 10 11 12; do /usr/bin/python3 -c 'import time; t = time.process_time(); "
              "exec(\"while time.process_time() - t < 0.04: pass\")'; done; times")
    doc, r = record(["--", "/bin/bash", "-c", script], "kids.json")
    lines = [ln for ln in r.stdout.splitlines() if re.fullmatch(r"\d+m[\d.]+s \d+m[\d.]+s", ln.strip())]
    check(len(lines) == 2, f"bash's times: {r.stdout[-300:]!r}")

    def secs(x):
        m, sec = x.rstrip("s").split("m")
        return 60 * float(m) + float(sec)
    truth = sum(secs(x) for ln in lines for x in ln.split()) * 1000
    got = doc["results"]["resources"]["cpu"]["total_cpu_ms"]
    # /proc counts in 10 ms ticks; the root's own last interval (its exit) is lost: 10% or 30 ms
    check(truth >= 12 * 40 and abs(got - truth) <= max(30, 0.10 * truth),
          f"total_cpu_ms {got} vs the shell's own times {truth:.0f} ms ({lines})")


def test_uretprobe_returns_are_not_target_syscalls():
    need_root()
    # Linux 6.11+ returns from every return probe through a `uretprobe` syscall: the --ffi probe's
    # own pairs made it the target's third syscall (3 per probed call, 30 of a request's 33). They
    # are counted apart, in no syscall or thread figure. Truth: fficall.py atom N calls atom_get N+1
    # times and atom_value (an alias: the same address) N times, each through a return probe: at
    # least that many uretprobe syscalls (other tools' probes may add more).
    n = 300
    lib = os.path.join(os.path.dirname(SYSLOOP), "libatom.so")
    doc, _ = record(["--probes", "syscalls,ffi", "--ffi", f"{lib}:atom_get", "--", "/usr/bin/python3",
                     os.path.join(ROOT, "tools", "fficall.py"), "atom", str(n), "--delay", "0.3"], "uret.json")
    sysd = doc["results"]["profiling"]["syscalls"]
    calls = sum(f["calls"] for f in doc["results"]["profiling"]["ffi"]["functions"] if f["symbol"] == "atom_get")
    check(calls == 2 * n + 1, f"atom_get calls {calls}, want {2 * n + 1}")
    check(sysd["uretprobe_returns"] >= calls, f"uretprobe_returns {sysd['uretprobe_returns']} for {calls} probed calls")
    check(not [r for r in sysd["by_syscall"] if r["name"] in ("uretprobe", "syscall_335")], "a uretprobe row")
    check(sum(t["count"] for t in sysd["threads"]) == sysd["total_count"], "threads add up")


def test_short_command_uss():
    need_root()
    # a command shorter than a second: its USS is its own (30 MiB touched), not the few kB of the
    # process that had just exec'd (it read 0.02 MB)
    prog = out("short_uss.py")
    with open(prog, "w") as f:
        f.write("import time\nx = [bytearray(1 << 20) for _ in range(30)]\nfor b in x: b[::4096] = b'1' * 256\n"
                "time.sleep(0.5)\n")
    doc, _ = record(["--", "/usr/bin/python3", prog], "short_uss.json")
    mem = doc["results"]["resources"]["memory"]
    check(mem["uss_peak_mb"] is not None and mem["uss_peak_mb"] >= 30,
          f"USS peak {mem['uss_peak_mb']} MB for 30 MiB touched")


def test_exit_status_recorded_not_returned():
    need_root()
    path = out("st.json")
    r = run([BINDPROF, "record", "--probes", "syscalls", "-o", path, "--", "/bin/sh", "-c", "exit 3"])
    check(r.returncode == 0, f"bindprof's own status is 0, got {r.returncode}")
    check(load(path)["metadata"]["target"]["exit_status"] == 3, "child status recorded")


def test_two_recorders_on_one_target():
    need_root()
    p = subprocess.Popen([SYSLOOP, "--wait-signal"] + WORK, stdout=subprocess.PIPE, text=True)
    procs = []
    try:
        wait_line(p.stdout, "ready")
        for i in range(2):
            procs.append(attach(p.pid, out(f"two{i}.json")))
        p.send_signal(signal.SIGUSR1)
        truth = sleep_truth(p.stdout.read())
        for b in procs:
            b.wait(timeout=30)
            check(b.returncode == 0, "both recorders succeed")
    finally:
        p.kill()
    for i in range(2):
        doc = load(out(f"two{i}.json"))
        validate(doc)
        assert_ground_truth(doc, truth)


def test_runtime_detection_of_interpreters():
    need_root()
    pythons = []
    if os.access("/usr/bin/python3.11", os.X_OK):
        pythons.append("/usr/bin/python3.11")
    root = run(["pyenv", "root"]).stdout.strip() if run(["sh", "-c", "command -v pyenv"]).returncode == 0 else ""
    missing = []
    for v in ["3.8", "3.9", "3.10", "3.11", "3.12", "3.13"]:
        found = [d for d in sorted(os.listdir(os.path.join(root, "versions"))) if d.startswith(v + ".")] \
            if root and os.path.isdir(os.path.join(root, "versions")) else []
        if found:
            pythons.append(os.path.join(root, "versions", found[-1], "bin", "python" + v))
        else:
            missing.append(v)
    if missing:
        print(f"      note: no pyenv CPython {', '.join(missing)} on this machine; not checked")
    if not pythons:
        raise Skip("no CPython interpreter on this machine")
    for py in pythons:
        want = run([py, "-c", "import platform; print(platform.python_version())"]).stdout.strip()
        doc, _ = record(["--", py, "-c", "import time; time.sleep(0.3)"], "py.json")
        t = doc["metadata"]["target"]
        check(t["runtime"] == "cpython" and t["runtime_version"] == want, f"{py}: {t} want {want}")


def test_bad_input_and_environment_errors():
    cases = [
        (["record", "-p", "999999999"], 2, "-p: invalid PID"),
        (["record", "-p", "4194000"], 2, "no such process: 4194000"),
        (["record", "--bogus", "-p", "1"], 2, "unknown option '--bogus'"),
        (["record", "-d", "x", "-p", "1"], 2, "-d: invalid duration 'x'"),
        (["record", "--probes", "nope", "-p", "1"], 2, "unknown probe 'nope'"),
        (["record", "--", "/nonexistent/prog"], 2, "cannot execute '/nonexistent/prog'"),
        (["record", "--", "no-such-command-here"], 2, "cannot execute 'no-such-command-here'"),
        (["record", "-o", "/nonexistent-dir/x.json", "--", "true"], 2, "cannot write '/nonexistent-dir/x.json'"),
        (["record"], 2, "no target"),
        (["frobnicate"], 2, "unknown command 'frobnicate'"),
        (["doctor", "-p", "4194000"], 2, "no such process"),
        (["report", "/nonexistent.json"], 2, "cannot read '/nonexistent.json'"),
        (["report", "--format", "pdf", "x.json"], 2, "unknown format 'pdf'"),
    ]
    for args, status, msg in cases:
        r = run([BINDPROF] + args)
        lines = r.stderr.strip().splitlines()
        check(r.returncode == status, f"{args}: exit {r.returncode}, want {status}; {r.stderr.strip()}")
        check(len(lines) == 1 and msg in lines[0], f"{args}: one line with {msg!r}, got {lines}")
    # not root, no capabilities: exit 3, naming the capabilities and the fix
    r = run(["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", BINDPROF, "record",
             "-o", "/tmp/x.json", "--", "true"])
    check(r.returncode == 3, f"unprivileged exit {r.returncode}: {r.stderr}")
    check("CAP_BPF" in r.stderr and "CAP_PERFMON" in r.stderr and "sudo" in r.stderr, r.stderr)
    check(len(r.stderr.strip().splitlines()) == 1, "one line")


def test_report_and_doctor():
    need_root()
    doc, r = record(["--", SYSLOOP] + WORK, "rep.json")
    t = run([BINDPROF, "report", out("rep.json")])
    check(t.returncode == 0, t.stderr)
    row = [l for l in t.stdout.splitlines() if l.split()[:1] == ["nanosleep"]]
    check(row and row[0].split()[1] == str(N_SLEEPS), f"table row {row}")
    md = run([BINDPROF, "report", "--format", "markdown", out("rep.json")]).stdout
    check(f"| fchdir | {N_FAIL} | {N_FAIL} |" in md, "markdown row with count and errors")
    d = run([BINDPROF, "doctor", "-p", str(os.getpid())])
    check(d.returncode == 0, d.stderr)
    want = run([sys.executable, "-c", "import platform; print(platform.python_version())"]).stdout.strip()
    check(f"cpython {want}" in d.stdout, f"doctor names this interpreter ({want}): {d.stdout}")
    check("tracepoints    yes" in d.stdout and "BTF            yes" in d.stdout, d.stdout)


def test_ffi_setup_failure_is_the_environment():
    """The ffi module says itself whether its failure is bad input (a spec) or the environment (a
    BPF object that does not load or calibrate); record no longer guesses from errno (EINVAL from a
    failed load used to read as bad input, exit 2). A bindprof without its symbols cannot calibrate
    the ffi probes (they time a function of its own): exit 3, one line; a bad spec is still 2."""
    need_root()
    stripped = os.path.join(TMP, "bindprof-stripped")
    shutil.copy(BINDPROF, stripped)
    check(run(["strip", "--strip-all", stripped]).returncode == 0, "strip")
    r = run([stripped, "record", "--probes", "syscalls", "--ffi", "libz.so.1", "-o", out("ffienv.json"), "--", "true"])
    lines = r.stderr.strip().splitlines()
    check(r.returncode == 3 and len(lines) == 1 and "calibrating the ffi probes" in lines[0],
          f"exit {r.returncode}: {r.stderr}")
    r = run([BINDPROF, "record", "--probes", "syscalls", "--ffi", "/nonexistent/libx.so", "-o", out("ffibad.json"),
             "--", "true"])
    check(r.returncode == 2 and "cannot read '/nonexistent/libx.so'" in r.stderr, f"exit {r.returncode}: {r.stderr}")


if __name__ == "__main__":
    sys.exit(main(sys.modules[__name__]))
