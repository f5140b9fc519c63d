# SPDX-License-Identifier: GPL-2.0-only
"""Which processes bindprof follows, for how long, and how it recognizes CPython in them.

Ground truths come from the workloads themselves: each Python process appends its own
gc.get_stats() counts (and pid) to a file named by $TRUTH, then leaves with os._exit(0), so that no
collection happens after its count (interpreter finalization collects too). The collections
bindprof counts must equal the sum over processes; the processes it saw collect must be the ones
that wrote a line. Every test runs on Debian's python3.11 and each pyenv 3.8-3.13 present.

- following: the root exits while a descendant runs (until the last one exits, or until -d);
- short-lived processes: 20 sequential and 10 concurrent interpreters of ~25 ms each;
- recognition by content: a renamed libpython dlopen'd by a C host, libpython3.X.a linked into
  a C host, an interpreter that exists only in its own mount namespace (a tmpfs in
  unshare --mount), an interpreter executable under another name;
- namespaces: a child in its own PID namespace is followed, and no namespace warning is printed
  when nothing was missed.
"""
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(__file__))
from harness import BINDPROF, Skip, check, load, main, run, validate, each_interpreter as each  # noqa: E402

TMP = tempfile.mkdtemp(prefix="bindprof-procs-")

WORK = r'''
import gc, json, os, sys, time
n = int(sys.argv[1]); pause = float(sys.argv[2]) if len(sys.argv) > 2 else 0
linger = float(sys.argv[3]) if len(sys.argv) > 3 else 0
time.sleep(pause)
before = [g["collections"] for g in gc.get_stats()]
for _ in range(n):
    gc.collect()
gc.disable()  # no automatic collection after the count (writing it allocates)
stats = [g["collections"] for g in gc.get_stats()]
with open(os.environ["TRUTH"], "a") as f:
    f.write(json.dumps({"pid": os.getpid(), "stats": stats, "before": before,
                        "version": sys.version.split()[0]}) + "\n")
time.sleep(linger)
os._exit(0)
'''

HOST_C = r'''
/* Runs Python code (argv[2]) in an embedded CPython: dlopen'd from argv[1] (a file of any name), or
 * linked in (-DSTATIC_EMBED; the code is argv[1]). */
#include <dlfcn.h>
#include <stdio.h>
void Py_Initialize(void);
int PyRun_SimpleString(const char *);
int main(int argc, char **argv)
{
#ifdef STATIC_EMBED
	Py_Initialize();
	return PyRun_SimpleString(argv[1]) ? 1 : 0;
#else
	void *h = dlopen(argv[1], RTLD_NOW | RTLD_GLOBAL);
	void (*init)(void);
	int (*run)(const char *);

	if (!h) {
		fprintf(stderr, "%s\n", dlerror());
		return 3;
	}
	init = (void (*)(void))dlsym(h, "Py_Initialize");
	run = (int (*)(const char *))dlsym(h, "PyRun_SimpleString");
	if (!init || !run)
		return 3;
	init();
	return run(argv[2]) ? 1 : 0;
#endif
}
'''


def need_root():
    if os.geteuid() != 0:
        raise Skip("needs root to attach BPF probes")


def work_file():
    path = os.path.join(TMP, "work.py")
    if not os.path.exists(path):
        with open(path, "w") as f:
            f.write(WORK)
    return path


def truth_lines(path):
    if not os.path.exists(path):
        return []
    with open(path) as f:
        return [json.loads(line) for line in f if line.strip()]


def record(name, cmd, probes="gc", extra=(), env=None, timeout=120):
    """Run bindprof record on cmd with $TRUTH set; returns (doc, truth lines)."""
    out = os.path.join(TMP, name + ".json")
    truth = os.path.join(TMP, name + ".truth")
    if os.path.exists(truth):
        os.unlink(truth)
    e = dict(os.environ, TRUTH=truth, **(env or {}))
    r = run([BINDPROF, "record", "--probes", probes, "-o", out, *extra, "--", *cmd], timeout=timeout, env=e)
    check(r.returncode == 0, f"{name}: record exited {r.returncode}: {r.stderr.strip()[-400:]}")
    doc = load(out)
    validate(doc)
    return doc, truth_lines(truth)


def gc_of(doc):
    gc = doc["results"]["profiling"]["gc"]
    check(gc is not None, f"no gc section: {[w['message'] for w in doc['warnings']]}")
    return gc


def full_collections(doc):
    """Generation-2 collections: the explicit gc.collect() calls, and the rare automatic full
    ones. (How the younger generations' automatic collections are counted is the GC probe's
    business, tested in test_python.py.)"""
    return sum(g["collections"] for g in gc_of(doc)["by_generation"] if g["generation"] == 2)


def gc_pids(doc):
    return {t["pid"] for t in gc_of(doc)["threads"] if t["collections"] > 0}


def expect_exact(doc, truth, nproc, what, match_pids=True):
    """Every collection of every process, and every process (by pid when the workload's pids are
    the kernel's, by number when they are not)."""
    check(len(truth) == nproc, f"{what}: {len(truth)} processes wrote their counts, want {nproc}")
    want = sum(t["stats"][2] for t in truth)
    got = full_collections(doc)
    check(got == want, f"{what}: {got} full collections counted, the processes' gc.get_stats() say {want}")
    pids = {t["pid"] for t in truth}
    if match_pids:
        check(pids <= gc_pids(doc), f"{what}: processes missing from gc.threads: {sorted(pids - gc_pids(doc))}")
    else:
        check(len(gc_pids(doc)) >= nproc, f"{what}: {len(gc_pids(doc))} processes in gc.threads, want {nproc}")
    check(not [w for w in doc["warnings"] if w["section"] in ("processes", "target")],
          f"{what}: {[w['message'] for w in doc['warnings']]}")


# ---- following: how long -----------------------------------------------------------------------

def test_root_exits_while_descendant_runs():
    """The issue's example: the root shell exits at once; a setsid'd grandchild sleeps 1 s, then
    execs the interpreter, which collects 4 times. The run lasts until it has exited, not -d."""
    need_root()

    def one(label, py, full):
        inner = f"sleep 1; exec {py} {work_file()} 4"
        # -d 20: the run must end when the interpreter exits, well before -d. With -d 6, on a busy
        # host (three suites at once), 2 of 7 interpreters wrote no counts before record returned:
        # not reproduced with a hog on each core; the likely cause, -d running out while the exec
        # hold attached the probes, was not confirmed
        doc, truth = record("rootexit-" + label, ["sh", "-c", f"setsid sh -c '{inner}' & exit 0"], extra=("-d", "20"))
        expect_exact(doc, truth, 1, label)
        secs = doc["configuration"]["measured_secs"]
        check(1.0 <= secs < 19, f"measured {secs:.2f} s: want from 1 s (the sleep) to well under -d 20")
        check(doc["results"]["processes"]["ended_by"] == "processes_exited", doc["results"]["processes"])
        check(doc["partial"] is False, "partial")

    each(one)


def test_descendant_outlives_duration():
    """The root exits at once; its child collects 5 times at 0.3 s, then lives on for 15 s: the run
    ends at -d 5, says so, and counts the child's collections."""
    need_root()

    def one(label, py, full):
        # -d 5 and a child living 15 s: its start and 5 collections (1.5 s) fit in -d on a busy host
        # (with -d 2, beside a hog and two other suites, 2 of 7 interpreters had not written their
        # counts when the run ended)
        doc, truth = record("outlive-" + label, ["sh", "-c", f"{py} {work_file()} 5 0.3 15 >/dev/null 2>&1 & exit 0"],
                            extra=("-d", "5"))
        for t in truth:
            try:
                os.kill(t["pid"], signal.SIGKILL)
            except ProcessLookupError:
                pass
        expect_exact(doc, truth, 1, label)
        secs = doc["configuration"]["measured_secs"]
        check(5.0 <= secs < 6.5, f"measured {secs:.2f} s, want about -d 5")
        check(doc["results"]["processes"]["ended_by"] == "duration", doc["results"]["processes"])

    each(one)


# ---- following: short-lived processes ----------------------------------------------------------

def test_short_lived_sequential_processes():
    """The issue's example: twenty interpreters in a row, ~25 ms each, three full collections each:
    every process and every collection is counted, from their first instruction."""
    need_root()

    def one(label, py, full):
        doc, truth = record("seq-" + label, ["sh", "-c", f"for i in $(seq 20); do {py} {work_file()} 3; done"])
        expect_exact(doc, truth, 20, label)
        p = doc["results"]["processes"]
        check(p["missed_execs"] == 0 and p["held"] >= 1, p)

    each(one)


def test_short_lived_concurrent_processes():
    """Ten interpreters started at once by a shell, each collecting three times."""
    need_root()

    def one(label, py, full):
        doc, truth = record("conc-" + label,
                            ["sh", "-c", f"for i in $(seq 10); do {py} {work_file()} 3 & done; wait"])
        expect_exact(doc, truth, 10, label)

    each(one)


# ---- recognition by content --------------------------------------------------------------------

def prefix_of(py):
    """(prefix, libpython.so, libpython.a) of an interpreter, from its own sysconfig."""
    code = ("import sysconfig as s, os; v = s.get_config_var; "
            "print(v('prefix')); print(os.path.join(v('LIBDIR'), v('INSTSONAME') or '')); "
            "print(os.path.join(v('LIBPL'), v('LIBRARY') or '')); "
            "print(' '.join(v(k) or '' for k in ('LIBS', 'SYSLIBS', 'MODLIBS', 'LOCALMODLIBS')))")
    r = run([py, "-c", code])
    check(r.returncode == 0, r.stderr)
    prefix, so, a, libs = r.stdout.splitlines()[:4]
    if not os.path.exists(a):
        alt = os.path.join("/usr/lib/x86_64-linux-gnu", os.path.basename(a))
        a = alt if os.path.exists(alt) else ""
    if not os.path.exists(so):
        alt = os.path.join("/usr/lib/x86_64-linux-gnu", os.path.basename(so))
        so = alt if os.path.exists(alt) else ""
    return prefix, so, a, libs.split()


def build_host(name, *args):
    src = os.path.join(TMP, "host.c")
    with open(src, "w") as f:
        f.write(HOST_C)
    exe = os.path.join(TMP, name)
    r = run(["cc", "-O1", "-o", exe, src, *args], timeout=180)
    check(r.returncode == 0, f"building {name}: {r.stderr[-600:]}")
    return exe


def embed_code(collections, pause):
    return (f"import sys; sys.argv = ['w', '{collections}', '{pause}']; "
            f"exec(open({work_file()!r}).read())")


def test_renamed_libpython_dlopened_by_a_c_host():
    """libpython3.X.so copied to libhost-rt.so and dlopen'd by a C program: recognized from what
    the file contains, its version right, its collections counted from the poll that finds it (the
    workload waits 2 s first, for a loaded machine): at least the collections after that, at most all of them; the
    late discovery is counted and warned about."""
    need_root()
    host = build_host("host-dl", "-ldl")

    def one(label, py, full):
        prefix, so, _, _ = prefix_of(py)
        if not so:
            print(f"      skip {label}: no shared libpython", flush=True)
            return
        lib = os.path.join(TMP, f"libhost-rt-{label}.so")
        shutil.copyfile(so, lib)
        doc, truth = record("dl-" + label, [host, lib, embed_code(5, 2.0)], env={"PYTHONHOME": prefix})
        check(len(truth) == 1, f"{label}: truth {truth}")
        t = truth[0]
        got = full_collections(doc)
        lo, hi = t["stats"][2] - t["before"][2], t["stats"][2]
        check(lo <= got <= hi, f"{label}: {got} full collections, want {lo} (after the 2 s pause) to {hi} (all)")
        meta = doc["metadata"]["target"]
        check(meta["runtime"] == "cpython" and meta["runtime_version"] == t["version"],
              f"{label}: metadata says {meta['runtime']} {meta['runtime_version']}, the process {t['version']}")
        # what could be missed is counted and said
        check(doc["results"]["processes"]["cpython_loaded_after_exec"] == 1, doc["results"]["processes"])
        check(any(w["section"] == "processes" and "loaded CPython after their exec" in w["message"]
                  for w in doc["warnings"]), f"{label}: no warning: {doc['warnings']}")

    each(one)


def test_static_embed():
    """libpython3.X.a linked into a C program (as uWSGI does): the program is recognized at its
    exec, so every collection is counted."""
    need_root()

    def one(label, py, full):
        prefix, _, a, libs = prefix_of(py)
        if not a:
            print(f"      skip {label}: no libpython3.X.a", flush=True)
            return
        host = build_host(f"host-static-{label}", "-DSTATIC_EMBED", "-no-pie", a, "-Wl,-export-dynamic", *libs, "-lm")
        doc, truth = record("static-" + label, [host, embed_code(5, 0)], env={"PYTHONHOME": prefix})
        expect_exact(doc, truth, 1, label)
        meta = doc["metadata"]["target"]
        check(meta["runtime_version"] == truth[0]["version"], f"{label}: {meta['runtime_version']}")

    each(one)


def test_interpreter_only_in_its_mount_namespace():
    """The interpreter (and its libpython) copied to a tmpfs mounted in unshare --mount: its path
    does not exist in bindprof's namespace; it is read through /proc/PID/root and map_files."""
    need_root()
    if not shutil.which("unshare"):
        raise Skip("no unshare")

    def one(label, py, full):
        prefix, so, _, _ = prefix_of(py)
        ct = os.path.join(TMP, "ct-" + label)
        os.makedirs(ct, exist_ok=True)
        lib = f"cp {so} {ct}/ && " if full and so else ""
        script = (f"mount -t tmpfs none {ct} && {lib}cp {py} {ct}/interp && "
                  f"LD_LIBRARY_PATH={ct} PYTHONHOME={prefix} exec {ct}/interp {work_file()} 5")
        doc, truth = record("ct-" + label, ["unshare", "--mount", "sh", "-c", script])
        check(not os.path.exists(os.path.join(ct, "interp")), "the tmpfs leaked into bindprof's namespace")
        expect_exact(doc, truth, 1, label)

    each(one)


def test_interpreter_executable_under_another_name():
    """The interpreter copied to a name without "python" in it."""
    need_root()

    def one(label, py, full):
        prefix, _, _, _ = prefix_of(py)
        exe = os.path.join(TMP, f"worker-{label}")
        shutil.copyfile(py, exe)
        os.chmod(exe, 0o755)
        doc, truth = record("renamed-exe-" + label, [exe, work_file(), "4"], env={"PYTHONHOME": prefix})
        expect_exact(doc, truth, 1, label)

    each(one)


# ---- namespaces --------------------------------------------------------------------------------

def test_child_in_its_own_pid_namespace_is_followed_without_warning():
    """unshare --pid --fork: the interpreter is pid 1 of its namespace; the kernel's ids are
    global, so it is followed, and no warning claims otherwise."""
    need_root()
    if not shutil.which("unshare"):
        raise Skip("no unshare")

    def one(label, py, full):
        doc, truth = record("pidns-" + label, ["unshare", "--pid", "--fork", py, work_file(), "3"])
        expect_exact(doc, truth, 1, label, match_pids=False)
        check(truth[0]["pid"] == 1, f"the workload's pid is {truth[0]['pid']}, not 1: not in a new namespace")

    each(one)


if __name__ == "__main__":
    sys.exit(main(sys.modules[__name__]))
