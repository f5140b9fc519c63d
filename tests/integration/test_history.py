# SPDX-License-Identifier: GPL-2.0-only
"""bindprof history: add, show and check on the default SQLite store and on a real PostgreSQL.

Ground truths:
- synthetic profile files whose figures are known: show must give back every value stored,
  exactly, in time order; check must name the first run of a known 10% step (and its commit)
  and find no step in a pure-noise metric;
- a real local PostgreSQL server (Debian's postgresql, initdb into a temporary directory as the
  postgres user, on a unix socket): the same data give the same trends and steps as SQLite, and a
  store left at schema version 1 is migrated to the current version;
- a real sequence of `profile` runs of tools/demo_server.py in which the runs from one commit on
  are slowed (--slow PATH=PCT adds CPU per request, here 20 times its own: on this busy machine
  requests/s of identical runs vary by 2.5 times, so a smaller step would not be a fair test of
  a one-second run): check names that commit.
"""
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(__file__))
from harness import BINDPROF, ROOT, Skip, check, main, run, free_port  # noqa: E402

TMP = tempfile.mkdtemp(prefix="bindprof-history-")
PG_BIN = "/usr/lib/postgresql/15/bin"
SERVER = os.path.join(ROOT, "tools", "demo_server.py")

STEP_AT = 10  # the first slowed run (0-based) of the synthetic series
NRUNS = 18


def commit_of(i):
    return f"{i + 1:02x}" * 20


def synthetic_files(d):
    """NRUNS profile files: requests/s drops 10% from run STEP_AT on, in +-2% noise; p99 is pure
    noise. Returns the (rps, p99) of each run."""
    rnd = random.Random(24)
    os.makedirs(d, exist_ok=True)
    vals = []
    for i in range(NRUNS):
        rps = 2000 * (0.9 if i >= STEP_AT else 1) * (1 + rnd.uniform(-0.02, 0.02))
        p99 = 4.0 * (1 + rnd.uniform(-0.03, 0.03))
        vals.append((rps, p99))
        doc = {"schema_version": 1, "mode": "profile",
               "metadata": {"timestamp": f"2026-03-{i + 1:02d}T12:00:00Z", "git_commit": commit_of(i),
                            "framework": "stdlib", "host": {"hostname": "ci-7", "cpu_model": "Test CPU", "cpu_cores": 2}},
               "configuration": {"duration_secs": 5, "concurrency": 8, "url": f"http://127.0.0.1:{9000 + i}",
                                 "suite": "api"},
               "suites": [{"name": "api", "workloads": [
                   {"name": "items", "results": {"throughput": {"requests_per_sec": rps},
                                                 "latency": {"median_ms": 1.5, "p99_ms": p99}}},
                   {"name": "failed", "results": None}]}]}
        with open(os.path.join(d, f"run{i:02d}.json"), "w") as f:
            json.dump(doc, f)
    return vals


def bp(args, cwd, status=0):
    r = run([BINDPROF, "history", *args], cwd=cwd, timeout=120)
    check(r.returncode == status, f"history {' '.join(args)}: exit {r.returncode}, want {status}: {r.stderr.strip()[-400:]}")
    return r


def check_store(cwd, db, vals, files):
    dbarg = ["--db", db] if db else []
    r = bp(["add", *dbarg, *files], cwd)
    check(f"stored {NRUNS} runs" in r.stdout, r.stdout)
    again = bp(["add", *dbarg, files[0]], cwd)
    check("stored 0 runs" in again.stdout and "stored before" in again.stderr, "a file added twice is stored once")
    show = json.loads(bp(["show", *dbarg, "--json", "--last", "100"], cwd).stdout)
    series = {(s["workload"], s["metric"]): s for s in show}
    check(set(series) == {("api/items", "throughput.requests_per_sec"), ("api/items", "latency.p99_ms")},
          f"series {sorted(series)}")
    for k, col in (("throughput.requests_per_sec", 0), ("latency.p99_ms", 1)):
        pts = series[("api/items", k)]["points"]
        got = [p["value"] for p in pts]
        want = [v[col] for v in vals]
        # stored as doubles in full; show's JSON printer (cJSON) keeps 15 significant digits
        check(len(got) == len(want) and all(abs(g - w) <= 1e-14 * abs(w) for g, w in zip(got, want)),
              f"{k}: stored {got[:3]}..., want {want[:3]}...")
        check([p["commit"] for p in pts] == [commit_of(i) for i in range(NRUNS)], "commits in time order")
    steps = json.loads(bp(["check", *dbarg, "--json"], cwd, status=1).stdout)
    check(len(steps) == 1, f"want one step, got {steps}")
    s = steps[0]
    check(s["metric"] == "throughput.requests_per_sec" and s["verdict"] == "regression", f"{s}")
    check(s["runs_before"] == STEP_AT and s["commit"] == commit_of(STEP_AT), f"step named at run {s['runs_before']} "
          f"(commit {s['commit']}), want {STEP_AT} ({commit_of(STEP_AT)})")
    before = sum(v[0] for v in vals[:STEP_AT]) / STEP_AT
    after = sum(v[0] for v in vals[STEP_AT:]) / (NRUNS - STEP_AT)
    check(abs(s["before"] - before) < 1e-6 * before and abs(s["after"] - after) < 1e-6 * after,
          f"means {s['before']} {s['after']}, want {before} {after}")
    # --since and --workload narrow the series; a metric of no run gives nothing
    sub = json.loads(bp(["show", *dbarg, "--json", "--since", "2026-03-15", "-m", "latency.p99_ms"], cwd).stdout)
    check(len(sub) == 1 and len(sub[0]["points"]) == NRUNS - 14, f"--since: {sub}")
    check(json.loads(bp(["show", *dbarg, "--json", "-w", "nope"], cwd).stdout) == [], "--workload nope")
    return show, steps


def test_sqlite_default_store():
    d = os.path.join(TMP, "sqlite")
    vals = synthetic_files(d)
    files = sorted(f for f in os.listdir(d) if f.endswith(".json"))
    check_store(d, None, vals, files)
    check(os.path.isfile(os.path.join(d, ".bindprof", "history.db")), "the default store ./.bindprof/history.db")
    table = bp(["show"], d).stdout
    check("api/items  throughput.requests_per_sec" in table and "-10." not in table.split("\n")[3], table[:400])
    # the trend charts: one SVG per series, a point per run with its value, higher values higher up
    import xml.etree.ElementTree as ET
    bp(["show", "--last", "100", "--html", "trend.html"], d)
    svgs = list(ET.parse(os.path.join(d, "trend.html")).getroot().iter("{http://www.w3.org/2000/svg}svg"))
    check(len(svgs) == 2, f"{len(svgs)} charts, want 2")
    for svg in svgs:
        col = 0 if svg.get("data-metric") == "throughput.requests_per_sec" else 1
        pts = svg.findall("{http://www.w3.org/2000/svg}circle")
        vals_html = [float(c.get("data-value")) for c in pts]
        check(vals_html == [v[col] for v in vals], f"{svg.get('data-metric')}: chart values differ")
        ys = [float(c.get("cy")) for c in pts]
        order = sorted(range(NRUNS), key=lambda i: vals_html[i])
        check(all(ys[order[i]] >= ys[order[i + 1]] for i in range(NRUNS - 1)), "y does not follow the values")
        xs = [float(c.get("cx")) for c in pts]
        check(xs == sorted(xs) and len(set(xs)) == NRUNS, "runs not left to right")


def concurrent_adds(d, files, db=None):
    """history add of each file at once, into a new store: every process succeeds."""
    procs = [subprocess.Popen([BINDPROF, "history", "add", *(["--db", db] if db else []), f], cwd=d,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for f in files]
    for p in procs:
        out, err = p.communicate(timeout=120)
        check(p.returncode == 0 and "stored 1 run" in out, f"a concurrent add failed: {err.strip()}")


def test_concurrent_adds_migrate_once():
    """Six `history add` at once on a store that does not exist yet: the schema is migrated once
    (versions 1 and 2 recorded once each) and every run is stored."""
    import sqlite3
    d = os.path.join(TMP, "race")
    synthetic_files(d)
    files = sorted(f for f in os.listdir(d) if f.endswith(".json"))[:6]
    concurrent_adds(d, files)
    c = sqlite3.connect(os.path.join(d, ".bindprof", "history.db"))
    check([r[0] for r in c.execute("SELECT version FROM schema_version ORDER BY version")] == [1, 2], "versions")
    check(c.execute("SELECT count(*) FROM runs").fetchone()[0] == 6, "six runs")


def test_compare_file_gives_a_run_per_framework():
    d = os.path.join(TMP, "compare")
    os.makedirs(d)
    doc = {"schema_version": 1, "mode": "compare",
           "metadata": {"timestamp": "2026-03-01T00:00:00Z", "git_commit": None, "host": {"hostname": "h"}},
           "configuration": {"duration_secs": 2},
           "frameworks": [{"name": "flask", "file": "a"}, {"name": "fastapi", "file": "b"}],
           "results": [{"suite": "s", "workload": "w", "frameworks": {
               "flask": {"requests_per_sec": 900.5, "repeats": 3, "p50_ms": 1.0, "p99_ms": 7.25},
               "fastapi": {"requests_per_sec": 1500.25, "repeats": 3, "p50_ms": 0.5, "p99_ms": 3.5}}}]}
    with open(os.path.join(d, "cmp.json"), "w") as f:
        json.dump(doc, f)
    r = bp(["add", "--commit", "abc123", "cmp.json"], d)
    check("stored 2 runs" in r.stdout, r.stdout)
    show = json.loads(bp(["show", "--json", "-m", "all"], d).stdout)
    got = {(s["framework"], s["metric"]): s["points"][0]["value"] for s in show}
    check(got == {("flask", "throughput.requests_per_sec"): 900.5, ("flask", "latency.median_ms"): 1.0,
                  ("flask", "latency.p99_ms"): 7.25, ("fastapi", "throughput.requests_per_sec"): 1500.25,
                  ("fastapi", "latency.median_ms"): 0.5, ("fastapi", "latency.p99_ms"): 3.5}, f"{got}")
    check(all(s["points"][0]["commit"] == "abc123" for s in show), "--commit stored")


def test_bad_input():
    d = os.path.join(TMP, "bad")
    os.makedirs(d)
    with open(os.path.join(d, "x.json"), "w") as f:
        f.write('{"mode": "profile", "suites": [{"name": 3}]}')
    with open(os.path.join(d, "notdb.db"), "w") as f:
        f.write("not a SQLite file " * 10)
    for args, msg in ((["add", "x.json"], "suites[0].name"), (["add", "missing.json"], "missing.json"),
                      (["add", "--db", "notdb.db", "x.json"], "not a database"),
                      (["show", "--since", "yesterday"], "--since"), (["frob"], "unknown subcommand"),
                      (["check", "--last", "0"], "--last")):
        r = run([BINDPROF, "history", *args], cwd=d)
        check(r.returncode == 2 and len(r.stderr.strip().splitlines()) == 1 and msg in r.stderr,
              f"history {args}: exit {r.returncode}, stderr {r.stderr!r}")


def test_partial_and_failed_runs_not_stored():
    """An interrupted run, and a workload that failed, would read as a step in the trend."""
    d = os.path.join(TMP, "partial")
    os.makedirs(d)
    base = {"schema_version": 1, "mode": "profile",
            "metadata": {"timestamp": "2026-04-01T12:00:00Z", "host": {"hostname": "h"}},
            "suites": [{"name": "s", "workloads": [
                {"name": "ok", "results": {"throughput": {"requests_per_sec": 900.0}}},
                {"name": "down", "results": {"throughput": {"requests_per_sec": 0.0},
                                             "health": {"failed": True}}}]}]}
    with open(os.path.join(d, "full.json"), "w") as f:
        json.dump(base, f)
    base["partial"], base["partial_reason"] = True, "interrupted"
    base["metadata"]["timestamp"] = "2026-04-02T12:00:00Z"
    with open(os.path.join(d, "cut.json"), "w") as f:
        json.dump(base, f)
    r = bp(["add", "full.json", "cut.json"], d)
    check("stored 1 run" in r.stdout, r.stdout)
    check("s/down failed in this run: not stored" in r.stderr, r.stderr)
    check("cut.json: a partial run (interrupted): not stored" in r.stderr, r.stderr)
    show = bp(["show"], d).stdout
    check("s/ok" in show and "s/down" not in show and "900" in show, show)


class Postgres:
    """A throwaway PostgreSQL server on a unix socket in a temporary directory, run as postgres."""

    def __init__(self):
        if not os.path.exists(os.path.join(PG_BIN, "initdb")):
            raise Skip(f"{PG_BIN}/initdb missing (Debian package postgresql)")
        if os.geteuid() != 0:
            raise Skip("needs root to run the server as the postgres user")
        self.dir = tempfile.mkdtemp(prefix="bindprof-pg-")
        shutil.chown(self.dir, "postgres")
        os.chmod(self.dir, 0o755)
        r = self.pg(["initdb", "-D", f"{self.dir}/data", "-A", "trust", "-U", "postgres"])
        check(r.returncode == 0, f"initdb: {r.stderr[-300:]}")
        r = self.pg(["pg_ctl", "-D", f"{self.dir}/data", "-o", f"-k {self.dir} -c listen_addresses=''",
                     "-l", f"{self.dir}/log", "-w", "start"])
        check(r.returncode == 0, f"pg_ctl start: {r.stderr[-300:]}")
        self.url = f"postgresql:///postgres?host={self.dir}&user=postgres"

    def pg(self, args):
        return run(["runuser", "-u", "postgres", "--", os.path.join(PG_BIN, args[0]), *args[1:]], timeout=120)

    def psql(self, db, sql):
        r = run(["psql", "-h", self.dir, "-U", "postgres", "-d", db, "-At", "-c", sql])
        check(r.returncode == 0, f"psql {sql}: {r.stderr}")
        return r.stdout.strip()

    def stop(self):
        self.pg(["pg_ctl", "-D", f"{self.dir}/data", "-m", "fast", "-w", "stop"])
        shutil.rmtree(self.dir, ignore_errors=True)


def test_postgresql_store_and_migration():
    pg = Postgres()
    try:
        d = os.path.join(TMP, "pg")
        vals = synthetic_files(d)
        files = sorted(f for f in os.listdir(d) if f.endswith(".json"))
        show_pg, steps_pg = check_store(d, pg.url, vals, files)
        check(pg.psql("postgres", "SELECT max(version) FROM schema_version") == "2", "schema version 2")
        # the same data in SQLite: the same trends and steps
        ds = os.path.join(TMP, "pg-vs-sqlite")
        shutil.copytree(d, ds, ignore=shutil.ignore_patterns(".bindprof"))
        show_lite, steps_lite = check_store(ds, None, vals, files)
        check(show_pg == show_lite, "show differs between PostgreSQL and SQLite")
        strip = [{k: v for k, v in s.items() if k != "first_run"} for s in steps_pg]
        check(strip == [{k: v for k, v in s.items() if k != "first_run"} for s in steps_lite],
              f"check differs: {steps_pg} vs {steps_lite}")
        # a store at schema version 1 (no indexes yet) is migrated on open
        pg.psql("postgres", "CREATE DATABASE old")
        pg.psql("old", "CREATE TABLE schema_version (version INTEGER NOT NULL); INSERT INTO schema_version VALUES (1);"
                "CREATE TABLE runs (id BIGSERIAL PRIMARY KEY, added_at TEXT NOT NULL, run_at TEXT NOT NULL,"
                " host TEXT NOT NULL, host_key TEXT NOT NULL, commit_id TEXT, framework TEXT, mode TEXT NOT NULL,"
                " config_key TEXT NOT NULL, config TEXT NOT NULL, source TEXT NOT NULL);"
                "CREATE TABLE metrics (run_id BIGINT NOT NULL REFERENCES runs(id) ON DELETE CASCADE,"
                " workload TEXT NOT NULL, metric TEXT NOT NULL, value DOUBLE PRECISION NOT NULL,"
                " PRIMARY KEY (run_id, workload, metric))")
        old = pg.url.replace("///postgres", "///old")
        r = bp(["add", "--db", old, files[0]], d)
        check("schema 2" in r.stdout, r.stdout)
        check(pg.psql("old", "SELECT string_agg(version::text, ',' ORDER BY version) FROM schema_version") == "1,2",
              "migration 2 recorded")
        check(pg.psql("old", "SELECT count(*) FROM pg_indexes WHERE indexname IN ('metrics_by_series', 'runs_by_time')")
              == "2", "migration 2's indexes")
        # six adds at once on a new database: migrated once, every run stored
        pg.psql("postgres", "CREATE DATABASE race")
        concurrent_adds(d, files[:6], pg.url.replace("///postgres", "///race"))
        check(pg.psql("race", "SELECT string_agg(version::text, ',' ORDER BY version) FROM schema_version") == "1,2",
              "concurrent migration")
        check(pg.psql("race", "SELECT count(*) FROM runs") == "6", "six runs")
    finally:
        pg.stop()


def test_real_profile_runs_with_one_slowed_commit():
    """12 `profile` runs of the demo server, the last 7 with 20 times more CPU per request (--slow):
    check names the first slowed run's commit, and the step's size is the measured one."""
    if os.geteuid() != 0:
        raise Skip("needs root to attach BPF probes")
    d = os.path.join(TMP, "real")
    os.makedirs(d)
    with open(os.path.join(d, "suite.json"), "w") as f:
        json.dump({"name": "demo", "workloads": [{"name": "item", "method": "GET", "path": "/items/7",
                                                   "category": "path-params"}]}, f)
    first_slow, n = 5, 12
    rates = []
    for i in range(n):
        port = free_port()
        slow = " --slow /items/7=2000" if i >= first_slow else ""
        out = os.path.join(d, f"p{i:02d}.json")
        r = run([BINDPROF, "profile", "--app-cmd", f"/usr/bin/python3 {SERVER} --port {port}{slow}",
                 "--url", f"http://127.0.0.1:{port}", "-o", out, "--suite", os.path.join(d, "suite.json"),
                 "--single-pass", "--duration", "1", "--warmup", "0.2", "--concurrency", "4", "-t", "1",
                 "--probes", "gil"], timeout=120)
        check(r.returncode == 0, f"profile run {i}: {r.stderr.strip()[-300:]}")
        with open(out) as f:
            rates.append(json.load(f)["suites"][0]["workloads"][0]["results"]["throughput"]["requests_per_sec"])
        bp(["add", "--commit", commit_of(i), out], d)
        time.sleep(1.1)  # distinct timestamps (seconds) keep the runs in order
    steps = json.loads(bp(["check", "--json", "-m", "throughput.requests_per_sec"], d, status=1).stdout)
    check(len(steps) == 1, f"want one step, got {steps}; rates {[round(x) for x in rates]}")
    s = steps[0]
    check(s["commit"] == commit_of(first_slow) and s["verdict"] == "regression",
          f"step at commit {s['commit']}, want {commit_of(first_slow)}; rates {[round(x) for x in rates]}")
    want = sum(rates[first_slow:]) / (n - first_slow) / (sum(rates[:first_slow]) / first_slow) - 1
    check(abs(s["change_percent"] / 100 - want) < 1e-9, f"change {s['change_percent']}%, measured {want:.1%}")
    print(f"      requests/s {[round(x) for x in rates]}: step {s['change_percent']:+.1f}% at run {first_slow}, "
          f"p {s['p_value']}", flush=True)


if __name__ == "__main__":
    sys.exit(main(sys.modules[__name__]))
