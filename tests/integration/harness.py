# SPDX-License-Identifier: GPL-2.0-only
"""A small test harness for the integration suites: named tests, skip with a reason, one summary.

Each suite is a module of `test_*` functions. A test raises Skip(reason) when the machine lacks
what it needs, and fails on any other exception. The summary line is `N passed, N failed, N skipped`.
"""
import json
import os
import signal
import subprocess
import sys
import time
import traceback

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
OUT = os.path.join(ROOT, "build")
BINDPROF = os.path.join(OUT, "bindprof")
SYSLOOP = os.path.join(ROOT, "build", "tools", "sysloop")
SCHEMA = os.path.join(ROOT, "docs", "profile.schema.json")


class Skip(Exception):
    pass


def check(cond, msg):
    if not cond:
        raise AssertionError(msg)


def near(got, want, rel, what):
    check(abs(got - want) <= rel * want, f"{what}: got {got}, want {want} within {rel:.0%}")


def validate(doc):
    import jsonschema

    with open(SCHEMA) as f:
        schema = json.load(f)
    jsonschema.validate(doc, schema, cls=jsonschema.Draft202012Validator)


def load(path):
    with open(path) as f:
        return json.load(f)


def run(args, timeout=60, **kw):
    return subprocess.run(args, capture_output=True, text=True, timeout=timeout, **kw)


def syscall_row(doc, name):
    for row in doc["results"]["profiling"]["syscalls"]["by_syscall"]:
        if row["name"] == name:
            return row
    return None


def wait_line(stream, prefix, timeout=10):
    """Read lines from a pipe until one starts with prefix."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        line = stream.readline()
        if not line:
            break
        if line.startswith(prefix):
            return line
    raise AssertionError(f"no line starting with {prefix!r} within {timeout}s")


def bpf_prog_names():
    """Names of the BPF programs loaded now (to check that probes were detached)."""
    out = run(["bpftool", "-j", "prog", "show"]).stdout
    try:
        return [p.get("name", "") for p in json.loads(out or "[]")]
    except ValueError:
        return []


def probes_gone(names, timeout=3.0):
    """True once no program of these names is loaded. The kernel frees a program after its last
    fd closes, through RCU, so allow it a moment after the process exits."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        if not set(names) & set(bpf_prog_names()):
            return True
        time.sleep(0.1)
    return False


def interpreters():
    """[(label, path, full_symbols)] for Debian's python3.11 and each pyenv 3.8..3.13 present."""
    found, missing = [], []
    if os.access("/usr/bin/python3.11", os.X_OK):
        found.append(("debian-3.11", "/usr/bin/python3.11", False))
    else:
        missing.append("debian 3.11")
    r = run(["sh", "-c", "pyenv root 2>/dev/null"])
    vers = os.path.join(r.stdout.strip(), "versions") if r.returncode == 0 else ""
    for minor in range(8, 14):
        cands = sorted((d for d in os.listdir(vers) if d.startswith(f"3.{minor}.")),
                       key=lambda d: [int(x) for x in d.split(".") if x.isdigit()]) if os.path.isdir(vers) else []
        exe = os.path.join(vers, cands[-1], "bin", f"python3.{minor}") if cands else ""
        if exe and os.access(exe, os.X_OK):
            found.append((f"pyenv-{cands[-1]}", exe, True))
        else:
            missing.append(f"pyenv 3.{minor}")
    return found, missing


_PYTHONS = None


def each_interpreter(fn):
    """Run fn(label, py, full) on every interpreter present, naming the absent ones; collect the
    failures with their labels into one."""
    global _PYTHONS
    if _PYTHONS is None:
        _PYTHONS = interpreters()
    found, missing = _PYTHONS
    print(f"      interpreters: {', '.join(p[0] for p in found)}"
          + (f"; absent: {', '.join(missing)}" if missing else ""), flush=True)
    if not found:
        raise Skip("no CPython interpreter on this machine")
    errors = []
    for label, py, full in found:
        try:
            fn(label, py, full)
        except AssertionError as e:
            errors.append(f"[{label}] {e}")
    check(not errors, "; ".join(errors))


def free_port():
    """A TCP port on 127.0.0.1 free right now."""
    import socket
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    p = s.getsockname()[1]
    s.close()
    return p


def main(module):
    tests = [(n, f) for n, f in sorted(vars(module).items()) if n.startswith("test_") and callable(f)]
    only = os.environ.get("BINDPROF_TEST")
    exclude = set(os.environ.get("BINDPROF_TEST_EXCLUDE", "").split())  # exact names (tests/run.sh)
    passed = failed = skipped = 0
    for name, fn in tests:
        if (only and not any(o in name for o in only.split(","))) or name in exclude:
            continue
        t0 = time.time()
        try:
            fn()
        except Skip as e:
            skipped += 1
            print(f"skip  {name}: {e}", flush=True)
            continue
        except Exception as e:  # noqa: BLE001 - any failure is a failed test
            failed += 1
            print(f"FAIL  {name}: {e}", flush=True)
            if os.environ.get("V"):
                traceback.print_exc()
            continue
        passed += 1
        print(f"ok    {name} ({time.time() - t0:.1f}s)", flush=True)
    print(f"{module.__name__}: {passed} passed, {failed} failed, {skipped} skipped", flush=True)
    return 1 if failed else 0


def held_bpf_ids(pid):
    """(program ids, link ids) that process pid holds, from its /proc/PID/fdinfo: the exact BPF
    objects of one bindprof run, whatever other runs on the machine load."""
    progs, links = set(), set()
    try:
        fds = os.listdir(f"/proc/{pid}/fdinfo")
    except OSError:
        return progs, links
    for fd in fds:
        try:
            with open(f"/proc/{pid}/fdinfo/{fd}") as f:
                for line in f:
                    k, _, v = line.partition(":")
                    if k == "prog_id":
                        progs.add(int(v))
                    elif k == "link_id":
                        links.add(int(v))
        except OSError:
            pass
    return progs, links


def bpf_ids_gone(ids, timeout=3.0):
    """True once none of these (program ids, link ids) is loaded (freed through RCU after the last
    fd closes)."""
    progs, links = ids
    deadline = time.time() + timeout
    while True:
        lp = {p["id"] for p in json.loads(run(["bpftool", "-j", "prog", "show"]).stdout or "[]")}
        ll = {p["id"] for p in json.loads(run(["bpftool", "-j", "link", "show"]).stdout or "[]")}
        if not (progs & lp) and not (links & ll):
            return True
        if time.time() > deadline:
            return False
        time.sleep(0.1)


def other_bindprof_running(own=()):
    """Whether a bindprof process other than own runs (other runs load programs of the same names)."""
    for d in os.listdir("/proc"):
        if d.isdigit() and int(d) not in own:
            try:
                with open(f"/proc/{d}/comm") as f:
                    if f.read().strip() in ("bindprof", "bindprof-guard"):
                        return True
            except OSError:
                pass
    return False
