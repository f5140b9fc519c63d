# SPDX-License-Identifier: GPL-2.0-only
"""Nothing outlives bindprof when it is killed by SIGKILL.

record, profile and compare are SIGKILLed at each phase of their run; afterwards:
- every BPF program and link the killed process held is gone (their ids, read from the process's
  own /proc/PID/fdinfo before the kill, are no longer loaded: nothing was pinned or handed on);
- every process it started is gone (its descendants, listed before the kill, and the app's whole
  process group), and none is left stopped;
- a process it only attached to (record -p) lives on, running.
Ground truths: the kernel's own tables (bpftool prog/link show by id) and /proc.
"""
import json
import re
import os
import signal
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(__file__))
from harness import BINDPROF, SYSLOOP, ROOT, Skip, check, held_bpf_ids, main, run, free_port  # noqa: E402

TMP = tempfile.mkdtemp(prefix="bindprof-faults-")
SERVER = os.path.join(ROOT, "tools", "demo_server.py")
SUITE = {"name": "two", "workloads": [{"name": "hello", "method": "GET", "path": "/hello"},
                                      {"name": "items", "method": "GET", "path": "/items/42"}]}


def need_root():
    if os.geteuid() != 0:
        raise Skip("needs root to attach BPF probes")


def suite_file():
    path = os.path.join(TMP, "two.json")
    with open(path, "w") as f:
        json.dump(SUITE, f)
    return path


def stat_of(pid):
    """(state, ppid, pgrp) of a live process, None when gone."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            s = f.read()
    except OSError:
        return None
    fields = s[s.rindex(")") + 2:].split()
    return fields[0], int(fields[1]), int(fields[2])


def all_pids():
    return [int(d) for d in os.listdir("/proc") if d.isdigit()]


def descendants(pid):
    kids, pending = set(), [pid]
    stats = {p: stat_of(p) for p in all_pids()}
    while pending:
        p = pending.pop()
        for c, st in stats.items():
            if st and st[1] == p and c not in kids:
                kids.add(c)
                pending.append(c)
    return kids


def group_members(pgid):
    return [p for p in all_pids() if (stat_of(p) or ("", 0, 0))[2] == pgid]


def bpf_ids(pid):
    """The ids of the BPF programs and links process pid and its descendants hold, from their
    fdinfo (whether the probes run in bindprof's own process or in a child of it)."""
    progs, links = set(), set()
    for q in {pid} | descendants(pid):
        p, li = held_bpf_ids(q)
        progs |= p
        links |= li
    return progs, links


def loaded_ids(kind):
    out = run(["bpftool", "-j", kind, "show"]).stdout
    try:
        return {p["id"] for p in json.loads(out or "[]")}
    except ValueError:
        return set()


def wait_for(cond, timeout, what, step=0.05):
    deadline = time.time() + timeout
    while time.time() < deadline:
        v = cond()
        if v:
            return v
        time.sleep(step)
    raise AssertionError(f"timed out ({timeout}s) waiting for {what}")


def listening(port):
    import socket
    try:
        socket.create_connection(("127.0.0.1", port), timeout=0.3).close()
        return True
    except OSError:
        return False


LIVE = []


def spawn(args):
    p = subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    LIVE.append(p)
    return p


def reap_live():
    """A failed test's processes: killed with their groups, so that the next test starts clean."""
    while LIVE:
        p = LIVE.pop()
        if p.poll() is None:
            kids = descendants(p.pid)
            p.kill()
            p.wait()
            for k in kids:
                try:
                    os.killpg(stat_of(k)[2], signal.SIGKILL) if stat_of(k) and stat_of(k)[2] != os.getpgrp() else None
                except OSError:
                    pass


def kill_and_check(proc, kids=(), pgids=(), progs=(), links=(), keep=()):
    """SIGKILL proc; then its descendants, the groups and the BPF ids must go, keep must stay."""
    kids = set(kids) | descendants(proc.pid)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=10)
    # the guardian's grace before SIGKILL is 2 s; BPF objects are freed through RCU
    def clean():
        alive = [p for p in kids if stat_of(p) and stat_of(p)[0] != "Z"]
        members = [p for g in pgids for p in group_members(g) if stat_of(p) and stat_of(p)[0] != "Z"]
        lp, ll = set(progs) & loaded_ids("prog"), set(links) & loaded_ids("link")
        return (not alive and not members and not lp and not ll), (alive, members, lp, ll)
    deadline = time.time() + 8
    ok, left = clean()
    while not ok and time.time() < deadline:
        time.sleep(0.2)
        ok, left = clean()
    stopped = [p for p in kids | {m for g in pgids for m in group_members(g)} if (stat_of(p) or ("",))[0] == "T"]
    check(not stopped, f"stopped processes left: {stopped}")
    check(ok, f"left after SIGKILL: processes {left[0]}, group members {left[1]}, programs {left[2]}, links {left[3]}")
    for p in keep:
        st = stat_of(p)
        check(st is not None and st[0] in "SRD", f"the attached target {p} should still run: {st}")


def start_profile(port, extra, name):
    marker = f"bindprof-fault-{port}"
    cmd = [BINDPROF, "profile", "--app-cmd",
           f"/bin/sh -c 'sleep 1; exec /usr/bin/python3 {SERVER} --port {port}' {marker}",
           "--url", f"http://127.0.0.1:{port}", "-o", os.path.join(TMP, f"{name}.json"),
           "--concurrency", "4", "-t", "1", "--suite", suite_file()] + extra
    return spawn(cmd), marker


def app_pgid(marker, port, timeout=10):
    """The app's process group: the group of the process whose command line names the marker or
    the port (not bindprof's, whose own arguments name them too: it runs in the test's group)."""
    def find():
        for p in all_pids():
            try:
                with open(f"/proc/{p}/cmdline", "rb") as f:
                    cl = f.read().replace(b"\0", b" ").decode(errors="replace")
            except OSError:
                continue
            if marker in cl or f"--port {port}" in cl:
                st = stat_of(p)
                if st and st[2] != os.getpgrp():
                    return st[2]
        return None
    return wait_for(find, timeout, "the app to start")


def test_profile_killed_at_app_start():
    need_root()
    port = free_port()
    p, marker = start_profile(port, ["--duration", "1", "--warmup", "0"], "start")
    g = app_pgid(marker, port)
    check(not listening(port), "the app is still starting")
    kill_and_check(p, pgids=[g])
    check(not listening(port), "the app was stopped")


def test_profile_killed_in_warmup():
    need_root()
    port = free_port()
    p, marker = start_profile(port, ["--duration", "1", "--warmup", "6"], "warmup")
    g = app_pgid(marker, port)
    wait_for(lambda: listening(port), 20, "the app to listen")
    time.sleep(1)
    check(bpf_ids(p.pid) == (set(), set()), "no probe during the warmup")
    kill_and_check(p, pgids=[g])
    check(not listening(port), "the app was stopped")


def test_profile_killed_in_clean_pass():
    need_root()
    port = free_port()
    p, marker = start_profile(port, ["--duration", "6", "--warmup", "0.2"], "clean")
    g = app_pgid(marker, port)
    wait_for(lambda: listening(port), 20, "the app to listen")
    time.sleep(1.5)
    check(bpf_ids(p.pid) == (set(), set()), "no probe during a clean pass")
    kill_and_check(p, pgids=[g])


def test_profile_killed_in_profiled_pass():
    need_root()
    port = free_port()
    p, marker = start_profile(port, ["--duration", "3", "--warmup", "0"], "profiled")
    g = app_pgid(marker, port)
    # the recorder runs in profile's own process: its programs and links are profile's fds
    progs, links = wait_for(lambda: (lambda i: i if i[1] else None)(bpf_ids(p.pid)), 60, "the profiled pass")
    time.sleep(1)
    more = bpf_ids(p.pid)
    progs, links = progs | more[0], links | more[1]
    check(len(progs) >= 3 and len(links) >= 3, f"the probes are attached: {len(progs)} programs, {len(links)} links")
    kill_and_check(p, pgids=[g], progs=progs, links=links)
    check(not listening(port), "the app was stopped")


def test_profile_killed_between_workloads():
    need_root()
    port = free_port()
    p, marker = start_profile(port, ["--duration", "1", "--warmup", "2"], "between")
    g = app_pgid(marker, port)
    seen = [set(), set()]

    def attached():
        pr, li = bpf_ids(p.pid)
        seen[0] |= pr
        seen[1] |= li
        return li
    wait_for(attached, 60, "the first workload's profiled pass")
    wait_for(lambda: not attached(), 30, "its end", step=0.02)
    # the second workload's warmup: no probe attached, the app running
    check(listening(port) and p.poll() is None, "profile is between its workloads")
    kill_and_check(p, pgids=[g], progs=seen[0], links=seen[1])


def test_compare_killed_during_a_round():
    need_root()
    apps = os.path.join(TMP, "apps")
    ports = {}
    for name in ("a", "b"):
        os.makedirs(os.path.join(apps, name), exist_ok=True)
        ports[name] = free_port()
        with open(os.path.join(apps, name, "bindprof-app.json"), "w") as f:
            json.dump({"name": name, "version": "1", "language": "python", "runtime": "cpython",
                       "start": f"/usr/bin/python3 {SERVER} --port {ports[name]}", "port": ports[name],
                       "health_path": "/hello"}, f)
    p = spawn([BINDPROF, "compare", "--frameworks", "a,b", "--apps", apps, "--suite", suite_file(),
               "--repeats", "3", "--duration", "2", "--warmup", "0.2", "--concurrency", "4", "-t", "1",
               "-o", os.path.join(TMP, "cmp.json")])
    g = app_pgid("no-marker", ports["a"], timeout=20)
    progs, links = wait_for(lambda: (lambda i: i if i[1] else None)(bpf_ids(p.pid)), 60,
                            "round 1's profiled pass")
    time.sleep(0.5)
    more = bpf_ids(p.pid)
    kill_and_check(p, pgids=[g], progs=progs | more[0], links=links | more[1])
    check(not listening(ports["a"]) and not listening(ports["b"]), "the apps were stopped")


def test_compare_interrupted():
    """compare --frameworks given SIGINT in round 2 (both frameworks ran once): the files hold what
    was measured, marked partial (interrupted), and compare exits 130; SIGINT right after the first
    app is spawned (before any framework completed a round): nothing to compare, exit 130 all the same."""
    apps = os.path.join(TMP, "int-apps")
    ports = {}
    for name in ("a", "b"):
        os.makedirs(os.path.join(apps, name), exist_ok=True)
        ports[name] = free_port()
        with open(os.path.join(apps, name, "bindprof-app.json"), "w") as f:
            json.dump({"name": name, "version": "1", "language": "python", "runtime": "cpython",
                       "start": f"/usr/bin/python3 {SERVER} --port {ports[name]}", "port": ports[name],
                       "health_path": "/hello"}, f)
    out = os.path.join(TMP, "cmp-int.json")
    args = [BINDPROF, "compare", "--frameworks", "a,b", "--apps", apps, "--suite", suite_file(), "--repeats", "3",
            "--duration", "0.5", "--warmup", "0", "--concurrency", "2", "-t", "1", "--probes", "none", "-o", out]
    p = subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    LIVE.append(p)
    seen = []
    for line in p.stdout:
        seen.append(line)
        if "round 2/3" in line:
            break
    # progress: each run numbered, an estimate from the runs done (issue 20)
    check(any("(run 1 of 6)" in l for l in seen) and re.search(r"run 3 of 6; about \d+ s left", seen[-1]),
          f"progress lines: {seen}")
    time.sleep(0.5)
    os.kill(p.pid, signal.SIGINT)
    rc = p.wait(timeout=30)
    err = p.stderr.read()
    check(rc == 130, f"compare exited {rc}, want 130: {err}")
    with open(out) as f:
        doc = json.load(f)
    check(doc.get("partial") is True and doc.get("partial_reason") == "interrupted", doc.get("partial_reason"))
    for name in ("a", "b"):
        with open(os.path.join(TMP, f"cmp-int.{name}.json")) as f:
            d = json.load(f)
        check(d.get("partial") is True and d["suites"][0]["workloads"][0]["results"]["throughput"]["total_requests"] > 0,
              f"{name}: what was measured is kept, partial")
    p = subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    LIVE.append(p)
    wait_for(lambda: app_pgid("no-marker", ports["a"], timeout=20), 20, "the first app to start")
    os.kill(p.pid, signal.SIGINT)
    rc = p.wait(timeout=30)
    check(rc == 130, f"compare interrupted at the first app's start exited {rc}: {p.stderr.read()}")
    check(not listening(ports["a"]) and not listening(ports["b"]), "the apps were stopped")


def test_record_command_killed():
    need_root()
    marker = f"bindprof-fault-rec-{os.getpid()}"
    p = spawn([BINDPROF, "record", "-o", os.path.join(TMP, "rec.json"), "--",
               "/bin/sh", "-c", "sleep 300 & sleep 300; :", marker])
    progs, links = wait_for(lambda: (lambda i: i if i[1] else None)(bpf_ids(p.pid)), 30, "record to attach")
    # a wait for the set-up, not a bound on bindprof (10 s timed out on a busy machine)
    kids = wait_for(lambda: (lambda d: d if len(d) >= 3 else None)(descendants(p.pid) - {p.pid}), 60,
                    "the command and its two sleeps")
    # the command: /bin/sh with the marker (bindprof's guardian, a fork of it, names it too)
    cmd = [k for k in kids if open(f"/proc/{k}/cmdline", "rb").read().startswith(b"/bin/sh\0-c")]
    check(cmd, f"the command runs: {kids}")
    # off a terminal the command leads its own process group
    check(stat_of(cmd[0])[2] == cmd[0], f"the command's group: {stat_of(cmd[0])}")
    more = bpf_ids(p.pid)
    kill_and_check(p, kids=kids, pgids=[cmd[0]], progs=progs | more[0], links=links | more[1])


def test_record_pid_killed():
    need_root()
    t = subprocess.Popen(["/usr/bin/python3", "-c", "import time; time.sleep(120)"], stdin=subprocess.DEVNULL)
    try:
        p = spawn([BINDPROF, "record", "-p", str(t.pid), "-o", os.path.join(TMP, "recp.json")])
        progs, links = wait_for(lambda: (lambda i: i if i[1] else None)(bpf_ids(p.pid)), 30, "record to attach")
        time.sleep(0.5)
        more = bpf_ids(p.pid)
        kill_and_check(p, progs=progs | more[0], links=links | more[1], keep=[t.pid])
    finally:
        t.kill()
        t.wait()


def test_profile_interrupted_in_profiled_pass():
    """Ctrl-C (SIGINT) stops the load and the in-process recorder together: profile writes what it
    measured, marked partial, stops the app and exits 130."""
    need_root()
    port = free_port()
    out = os.path.join(TMP, "int.json")
    p, marker = start_profile(port, ["--duration", "4", "--warmup", "0"], "int")
    g = app_pgid(marker, port)
    progs, links = wait_for(lambda: (lambda i: i if i[1] else None)(bpf_ids(p.pid)), 60, "the profiled pass")
    time.sleep(1)
    more = bpf_ids(p.pid)
    t0 = time.time()
    os.kill(p.pid, signal.SIGINT)
    rc = p.wait(timeout=20)
    check(rc == 130, f"profile exited {rc}, want 130 (interrupted)")
    check(time.time() - t0 < 8, f"profile took {time.time() - t0:.1f} s to stop")
    with open(out) as f:
        doc = json.load(f)
    check(doc.get("partial") is True and doc.get("partial_reason") == "interrupted", "marked partial")
    w = doc["suites"][0]["workloads"][0]
    req = (w["results"] or {}).get("profiling", {}).get("requests") if w["results"] else None
    check(req is not None and req["count"] == w["results"]["profiled_throughput"]["total_requests"],
          f"the interrupted pass's requests were recorded: {req and req['count']}")
    check(not group_members(g), "the app was stopped")
    time.sleep(1)
    check(not (progs | more[0]) & loaded_ids("prog") and not (links | more[1]) & loaded_ids("link"),
          "the probes were detached")


def test_profile_interrupted_while_the_app_starts():
    """SIGINT while the app is starting (its command sleeps 1 s first): nothing was measured, the
    file says so (partial, interrupted, no workload results), the app is stopped, exit 130."""
    port = free_port()
    out = os.path.join(TMP, "int-start.json")
    p, marker = start_profile(port, ["--duration", "0.5", "--warmup", "0", "--probes", "none"], "int-start")
    g = app_pgid(marker, port)
    check(not listening(port), "the app is still starting")
    os.kill(p.pid, signal.SIGINT)
    rc = p.wait(timeout=20)
    check(rc == 130, f"profile exited {rc}, want 130")
    with open(out) as f:
        doc = json.load(f)
    check(doc.get("partial") is True and doc.get("partial_reason") == "interrupted", doc.get("partial_reason"))
    check(doc["summary"]["total_workloads"] == 0 and doc["summary"]["total_requests"] == 0, doc["summary"])
    wait_for(lambda: not group_members(g), 8, "the app to be stopped")


DYING_APP = r"""
import os, sys, time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
class H(BaseHTTPRequestHandler):
    def log_message(self, *a):
        pass
    def do_GET(self):
        if self.path.startswith("/items"):
            sys.stderr.write("dying on %s\n" % self.path)
            sys.stderr.flush()
            with open(sys.argv[2], "w") as f:
                f.write(repr(time.time()))
            os._exit(3)
        self.send_response(200)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"ok")
print("ready", flush=True)
ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), H).serve_forever()
"""


def test_profile_app_exit_ends_the_run():
    """An app that exits (status 3) at the first request of the second workload (issue 15): the
    run stops there: exit 4, the file partial (target_exited) with the first workload's figures,
    the second's null, the third never run; one line names the status and the log, with its
    last lines. Before, every remaining workload ran against the dead port."""
    port = free_port()
    app = os.path.join(TMP, "dying_app.py")
    with open(app, "w") as f:
        f.write(DYING_APP)
    suite = os.path.join(TMP, "three.json")
    with open(suite, "w") as f:
        json.dump({"name": "three", "workloads": [{"name": "hello", "method": "GET", "path": "/hello"},
                                                  {"name": "items", "method": "GET", "path": "/items/42"},
                                                  {"name": "again", "method": "GET", "path": "/hello"}]}, f)
    out = os.path.join(TMP, "dying.json")
    died = os.path.join(TMP, "dying.time")
    r = run([BINDPROF, "profile", "--app-cmd", f"/usr/bin/python3 {app} {port} {died}", "--url", f"http://127.0.0.1:{port}",
             "--suite", suite, "--duration", "1", "--repeats", "2", "--warmup", "0", "--concurrency", "2", "-t", "1",
             "--probes", "none", "-o", out], timeout=120)
    with open(died) as f:
        wall = time.time() - float(f.read())
    check(r.returncode == 4, f"profile exited {r.returncode}: {r.stderr}")
    with open(out) as f:
        doc = json.load(f)
    check(doc.get("partial") is True and doc.get("partial_reason") == "target_exited", doc.get("partial_reason"))
    ws = {w["name"]: w for s in doc["suites"] for w in s["workloads"]}
    check("again" not in ws, f"the third workload was run: {list(ws)}")
    check(ws["items"]["results"] is None, f"the pass the app died in is dropped: {ws['items']['results']}")
    t = ws["hello"]["results"]["throughput"]
    check(t["success_rate"] == 1 and t["total_requests"] > 10, f"the first workload is kept: {t}")
    check(len(ws["hello"]["results"]["repeats"]["samples"]) == 2, "both of its passes")
    lines = r.stderr.splitlines()
    line = [l for l in lines if "the app (pid" in l]
    check(len(line) == 1 and "exited with status 3 during three/items" in line[0] and out + ".app.log" in line[0],
          f"one line naming the status and the log: {r.stderr}")
    check(any(l.strip() == "| dying on /items/42" for l in lines), f"the log's last lines: {r.stderr}")
    # the app's death noticed within 50 ms; before, four more 1 s passes ran against the dead port:
    # from the app's own time of death (not from the start: a busy machine stretched the app's
    # start and the first passes to 6.1 s), profile has stopped it all and exited in under 3.5 s
    check(wall < 3.5, f"profile ran {wall:.1f} s after the app died")


def _guarded(fn):
    def wrapper():
        try:
            fn()
        finally:
            reap_live()
    wrapper.__name__ = fn.__name__
    return wrapper


for _n, _f in list(globals().items()):
    if _n.startswith("test_") and callable(_f):
        globals()[_n] = _guarded(_f)

def test_full_disk_is_an_environment_error():
    """-o on a full file system (a tmpfs of 16 KiB, filled): profile, record and load exit 3 (the
    environment), not 2 (bad input: the path was good), in one line naming ENOSPC; profile no
    longer says 'wrote FILE' of the file it could not write. The run's figures are measured; only
    the write fails."""
    need_root()
    mnt = os.path.join(TMP, "full")
    os.makedirs(mnt, exist_ok=True)
    if subprocess.run(["mount", "-t", "tmpfs", "-o", "size=16k", "tmpfs", mnt], capture_output=True).returncode:
        raise Skip("cannot mount a tmpfs")
    port = free_port()
    srv = subprocess.Popen(["/usr/bin/python3", SERVER, "--port", str(port)], stdout=subprocess.DEVNULL,
                           stderr=subprocess.DEVNULL)
    try:
        with open(os.path.join(mnt, "fill"), "wb") as f:
            try:
                f.write(b"x" * 16384)
            except OSError:
                pass
        time.sleep(0.5)
        suite = os.path.join(TMP, "full-suite.json")
        with open(suite, "w") as f:
            json.dump({"name": "one", "workloads": [{"name": "hello", "method": "GET", "path": "/hello"}]}, f)
        for cmd in (["profile", "-p", str(srv.pid), "--url", f"http://127.0.0.1:{port}", "--suite", suite, "--probes",
                     "none", "--duration", "0.5", "--warmup", "0"],
                    ["record", "-d", "0.3", "--", "sleep", "1"],
                    ["load", "--url", f"http://127.0.0.1:{port}/hello", "-d", "0.3"]):
            out = os.path.join(mnt, cmd[0] + ".json")
            r = run([BINDPROF, cmd[0], "-o", out] + cmd[1:], timeout=60)
            errs = [ln for ln in r.stderr.splitlines() if "error" in ln]
            check(r.returncode == 3 and len(errs) == 1 and "No space left on device" in errs[0],
                  f"{cmd[0]}: exit {r.returncode}: {r.stderr}")
            check(f"wrote {out}" not in r.stdout, f"{cmd[0]} claims it wrote {out}: {r.stdout}")
        # the profile written elsewhere, its folded stacks and SVG on the full disk: not named in the
        # document (null), each warned about; the samples are still counted
        good = os.path.join(TMP, "full-stacks.json")
        r = run([BINDPROF, "record", "--probes", "stacks", "-F", "499", "--folded", os.path.join(mnt, "s.folded"),
                 "--svg", os.path.join(mnt, "s.svg"), "-o", good, "--", SYSLOOP, "--spin-ms", "200"], timeout=60)
        check(r.returncode == 0, f"record: {r.returncode}: {r.stderr}")
        d = json.load(open(good))
        st = d["results"]["profiling"]["stacks"]
        warned = [w["message"] for w in d["warnings"] if "No space left on device" in w["message"]]
        check(st["folded_path"] is None and st["svg_path"] is None and st["labelled_path"] is None
              and len(warned) == 3 and st["samples"] > 0, f"{st.get('folded_path')} {st.get('svg_path')} {warned}")
    finally:
        srv.terminate()
        srv.wait()
        subprocess.run(["umount", mnt])


if __name__ == "__main__":
    sys.exit(main(sys.modules[__name__]))
