# SPDX-License-Identifier: GPL-2.0-only
"""bindprof export (and record --pprof/--speedscope) against independent decoders.

Ground truth: the folded files bindprof wrote in the same run. Every decoder's totals must equal
the folded totals exactly:
- protoc --decode perftools.profiles.Profile proto/profile.proto (Debian's protobuf-compiler);
- pprof-format, the npm registry's pprof decoder (installed into build/npm-export);
- speedscope's own file-format schema (shipped in the speedscope npm package) and the profiles'
  weights.
The workloads are tools/pystack.py's: two threads contending for the GIL (on-CPU and GIL-wait
stacks), and a ctypes call into build/tools/libdemo.so (a native frame with its module).
"""
import contextlib
import gzip
import http.client
import json
import os
import re
import subprocess
import sys
import tarfile
import tempfile
import time

sys.path.insert(0, os.path.dirname(__file__))
from harness import (BINDPROF, OUT, ROOT, Skip, check, main, run, wait_line,  # noqa: E402
                     each_interpreter as each)

TMP = tempfile.mkdtemp(prefix="bindprof-export-")
PYSTACK = os.path.join(ROOT, "tools", "pystack.py")
PROTO_DIR = os.path.join(ROOT, "proto")
NPM_DIR = os.path.join(OUT, "npm-export")
DECODE_JS = r"""
const { Profile } = require(process.argv[2]);
const fs = require('fs'), zlib = require('zlib');
const p = Profile.decode(zlib.gunzipSync(fs.readFileSync(process.argv[3])));
const st = p.stringTable.strings, s = i => st[Number(i)];
const types = p.sampleType.map(t => s(t.type) + '/' + s(t.unit));
const totals = types.map(() => 0n), byLabel = {};
const fns = new Map(p.function.map(f => [String(f.id), f]));
const maps = new Map(p.mapping.map(m => [String(m.id), m]));
const locs = new Map(p.location.map(l => [String(l.id), l]));
const frames = [];
for (const sm of p.sample) {
  sm.value.forEach((v, i) => { totals[i] += BigInt(v); });
  for (const l of sm.label) {
    const k = s(l.key) + '=' + (Number(l.str) ? s(l.str) : String(l.num));
    byLabel[k] = byLabel[k] || types.map(() => 0n);
    sm.value.forEach((v, i) => { byLabel[k][i] += BigInt(v); });
  }
}
for (const l of p.location) {
  const f = fns.get(String(l.line[0].functionId)), m = maps.get(String(l.mappingId));
  frames.push({ name: s(f.name), file: s(f.filename), start_line: Number(f.startLine),
                line: Number(l.line[0].line), mapping: m ? s(m.filename) : null });
}
const mappings = p.mapping.map(m => ({ file: s(m.filename), build_id: s(m.buildId) }));
const out = { types, totals: totals.map(String), period: String(p.period), frames, mappings,
              period_type: s(p.periodType.type) + '/' + s(p.periodType.unit),
              labels: Object.fromEntries(Object.entries(byLabel).map(([k, v]) => [k, v.map(String)])) };
console.log(JSON.stringify(out));
"""


def folded_totals(path):
    rows = {}
    with open(path) as f:
        for line in f:
            m = re.fullmatch(r"(.+) (\d+)\n", line)
            check(m is not None, f"{path}: malformed line {line!r}")
            rows[m[1]] = rows.get(m[1], 0) + int(m[2])
    return rows


def protoc_decode(path):
    """protoc's text decoding as nested dicts (repeated fields as lists)."""
    with gzip.open(path) as f:
        raw = f.read()
    r = subprocess.run(["protoc", "--decode", "perftools.profiles.Profile", f"--proto_path={PROTO_DIR}",
                        "profile.proto"], input=raw, capture_output=True, timeout=60)
    check(r.returncode == 0, f"protoc --decode failed: {r.stderr.decode()[:300]}")
    root, stack = {}, []
    cur = root
    for line in r.stdout.decode().splitlines():
        line = line.strip()
        if line.endswith("{"):
            child = {}
            cur.setdefault(line[:-1].strip(), []).append(child)
            stack.append(cur)
            cur = child
        elif line == "}":
            cur = stack.pop()
        elif line:
            k, v = line.split(":", 1)
            v = v.strip()
            cur.setdefault(k, []).append(json.loads(v) if v.startswith('"') else int(v) if re.fullmatch(r"-?\d+", v) else v)
    return root


def protoc_totals(prof):
    strs = prof.get("string_table", [])
    types = [f"{strs[t.get('type', [0])[0]]}/{strs[t.get('unit', [0])[0]]}" for t in prof["sample_type"]]
    tot = [0] * len(types)
    for s in prof.get("sample", []):
        for i, v in enumerate(s.get("value", [])):
            tot[i] += v
    return dict(zip(types, tot)), strs


def need_tools():
    if os.geteuid() != 0:
        raise Skip("needs root to attach BPF probes")
    if subprocess.run(["sh", "-c", "command -v protoc"], capture_output=True).returncode:
        raise Skip("protoc missing (Debian protobuf-compiler: scripts/install-deps.sh)")


def pprof_format():
    """The pprof-format package's directory, installed from the npm registry on first use."""
    mod = os.path.join(NPM_DIR, "node_modules", "pprof-format")
    if not os.path.isdir(mod):
        os.makedirs(NPM_DIR, exist_ok=True)
        r = run(["npm", "install", "--prefix", NPM_DIR, "--no-audit", "--no-fund", "pprof-format"], timeout=300)
        if r.returncode or not os.path.isdir(mod):
            raise Skip(f"npm install pprof-format failed: {(r.stderr or r.stdout).strip()[-200:]}")
    return mod


def npm_decode(path):
    js = os.path.join(TMP, "decode.js")
    with open(js, "w") as f:
        f.write(DECODE_JS)
    r = run(["node", js, pprof_format(), path], timeout=120)
    check(r.returncode == 0, f"pprof-format failed to decode {path}: {r.stderr.strip()[-300:]}")
    return json.loads(r.stdout)


def speedscope_schema():
    """speedscope's published file-format schema, from its npm package (None when npm fails)."""
    d = os.path.join(OUT, "npm-export")
    os.makedirs(d, exist_ok=True)
    tgz = [f for f in os.listdir(d) if f.startswith("speedscope-") and f.endswith(".tgz")]
    if not tgz:
        run(["npm", "pack", "--pack-destination", d, "speedscope"], timeout=300)
        tgz = [f for f in os.listdir(d) if f.startswith("speedscope-") and f.endswith(".tgz")]
    if not tgz:
        return None
    with tarfile.open(os.path.join(d, sorted(tgz)[-1])) as t:
        return json.load(t.extractfile("package/dist/release/file-format-schema.json"))


def check_speedscope(path, want_cpu, want_gil):
    import jsonschema
    with open(path) as f:
        doc = json.load(f)
    schema = speedscope_schema()
    if schema is not None:
        jsonschema.validate(doc, schema)
    else:  # no registry: the structural checks below stand alone
        print("      speedscope's schema not fetched from npm: structural checks only", flush=True)
        check(doc.get("$schema") == "https://www.speedscope.app/file-format-schema.json", "$schema")
    nframes = len(doc["shared"]["frames"])
    got = {"none": 0, "microseconds": 0}
    for p in doc["profiles"]:
        check(p["type"] == "sampled" and len(p["samples"]) == len(p["weights"]), f"{p['name']}: bad shape")
        check(all(0 <= i < nframes for s in p["samples"] for i in s), f"{p['name']}: frame index out of range")
        check(p["endValue"] == sum(p["weights"]), f"{p['name']}: endValue {p['endValue']} != sum {sum(p['weights'])}")
        got[p["unit"]] += sum(p["weights"])
    check(got["none"] == want_cpu, f"speedscope on-CPU total {got['none']} != folded {want_cpu}")
    check(got["microseconds"] == want_gil, f"speedscope GIL-wait total {got['microseconds']} != folded {want_gil}")


def record(py, mode, secs, stem, extra=()):
    out = os.path.join(TMP, stem)
    args = [BINDPROF, "record", "-F", "499", "-o", out + ".json", "--folded", out + ".folded",
            "--pprof", out + ".pb.gz", "--speedscope", out + ".ss.json", *extra,
            "--", py, PYSTACK, mode, str(secs), "--delay", "0.3"]
    r = run(args, timeout=90)
    check(r.returncode == 0, f"record failed ({r.returncode}): {r.stderr.strip()[-400:]}")
    return out


def test_record_exports_equal_folded_totals():
    """record --pprof --speedscope on two GIL-contending threads: protoc, pprof-format and the
    speedscope schema read the files, and every total equals the folded files' exactly."""
    need_tools()

    def one(label, py, full):
        out = record(py, "gil", 1.0, f"gil-{label}")
        cpu = folded_totals(out + ".folded")
        gil = folded_totals(out + ".gil-wait.folded")
        cpu_n, gil_us = sum(cpu.values()), sum(gil.values())
        check(cpu_n > 50, f"only {cpu_n} on-CPU samples")
        check(gil_us > 0, "no GIL-wait stacks: the export's GIL column would be untested")
        with open(out + ".json") as f:
            rdoc = json.load(f)
        freq = rdoc["results"]["profiling"]["stacks"]["frequency_hz"]
        period = int(1e9 / freq + 0.5)
        want = {"samples/count": cpu_n, "cpu/nanoseconds": cpu_n * period, "gil_wait/microseconds": gil_us}

        prof = protoc_decode(out + ".pb.gz")
        got, strs = protoc_totals(prof)
        check(got == want, f"protoc totals {got} != folded {want}")
        check(strs[0] == "", "string_table[0] is not empty")
        check(prof["period"][0] == period, f"period {prof['period'][0]} != {period}")
        want_ns = int(rdoc["configuration"]["measured_secs"] * 1e9)
        check(abs(prof["duration_nanos"][0] - want_ns) <= 1, f"duration {prof['duration_nanos']} != {want_ns}")

        dec = npm_decode(out + ".pb.gz")
        got = dict(zip(dec["types"], map(int, dec["totals"])))
        check(got == want, f"pprof-format totals {got} != folded {want}")
        check(int(dec["labels"]["kind=cpu"][0]) == cpu_n, f"kind=cpu samples {dec['labels'].get('kind=cpu')}")
        check(int(dec["labels"]["kind=gil_wait"][-1]) == gil_us, "kind=gil_wait total differs")
        # Python frames keep their file and (first) line, exactly as the folded lines name them
        pyf = {(f["name"], f["file"], f["start_line"]) for f in dec["frames"] if f["file"]}
        folded_py = {m.groups()[0:2] + (int(m[3]),) for line in list(cpu) + list(gil)
                     for m in re.finditer(r";([^;]+) \(([^;:()]+):(\d+)\)", line)}
        check(folded_py and pyf == folded_py, f"Python frames differ: {sorted(pyf ^ folded_py)[:5]}")
        check(any(n[0] == "spin_alpha" and n[1] == "pystack.py" for n in pyf), "spin_alpha (pystack.py) missing")

        check_speedscope(out + ".ss.json", cpu_n, gil_us)
    each(one)


def test_native_frame_keeps_its_module():
    """A ctypes call into libdemo.so: the crossing into native code ("name [module]" in the folded
    lines) is a function in that module's mapping, with the same weight as the folded lines that
    name it."""
    need_tools()
    lib = os.path.join(OUT, "tools", "libdemo.so")
    if not os.path.exists(lib):
        raise Skip("build/tools/libdemo.so missing (make)")
    out = record(sys.executable, "ctypes", 1.0, "ctypes", ("--probes", "stacks"))
    cpu = folded_totals(out + ".folded")
    cross = {}
    for line, n in cpu.items():
        # "name [module]"; a stripped interpreter's crossing is "[unknown] [module]"
        for tok in set(re.findall(r";([^;\[]+|\[unknown\]) \[([^\];]+)\]", line)):
            if tok[1] != "?":  # "[?]": the module was unknown (no mapping in the export)
                cross[tok] = cross.get(tok, 0) + n
    check(cross, "no crossing frame into native code in the folded lines")
    (name, module), want = max(cross.items(), key=lambda kv: kv[1])
    # (beside other suites' --ffi runs the crossing once kept its module in 1-2 samples of hundreds:
    # their uretprobe on libffi's ffi_call, now restored by the unwinder; docs/stacks.md)
    check(want > 20 and "demo_checksum" in "".join(l for l in cpu if name in l),
          f"crossing {name} [{module}]: {want} samples")
    dec = npm_decode(out + ".pb.gz")
    # "[unknown]" names many frames (the stripped interpreter's own too): the crossing's is the one
    # in the module's mapping
    hits = [f for f in dec["frames"] if f["name"] == name and (name != "[unknown]" or f["mapping"] == module)]
    check(hits and all(f["mapping"] == module for f in hits), f"{name} frames: {hits}")
    prof = protoc_decode(out + ".pb.gz")
    _, strs = protoc_totals(prof)
    maps = {m["id"][0]: strs[m["filename"][0]] for m in prof.get("mapping", [])}
    fn = {f["id"][0]: strs[f["name"][0]] for f in prof["function"]}
    locs = {l["id"][0]: (fn[l["line"][0]["function_id"][0]], maps.get(l.get("mapping_id", [0])[0]))
            for l in prof["location"]}
    got = sum(s["value"][0] for s in prof["sample"]
              if any(locs[i] == (name, module) for i in set(s["location_id"])))
    check(got == want, f"samples through {name} in {module}: pprof {got}, folded {want}")
    # the crossing module's mapping carries its GNU build-id, as readelf -n reads it from the file
    with open(out + ".json") as f:
        maps = json.load(f)["results"]["profiling"]["stacks"]["mappings"]
    path = [m["path"] for m in maps if m["module"] == module]
    check(path, f"{module} not in stacks.mappings {[m['module'] for m in maps]}")
    want_bid = readelf_build_id(path[0])
    mp = [m for m in dec["mappings"] if m["file"] == module]
    check(mp and mp[0]["build_id"] == want_bid, f"{module}: pprof-format build_id {mp}, readelf {want_bid}")
    pm = [m for m in prof.get("mapping", []) if strs[m["filename"][0]] == module]
    check(pm and strs[pm[0]["build_id"][0]] == want_bid, f"{module}: protoc build_id differs from readelf {want_bid}")
    check(any(m["module"] == "libdemo.so" for m in maps), "libdemo.so (sampled) not in stacks.mappings")
    for m in maps:  # every module the run listed, against readelf
        if m["build_id"] is not None:
            check(m["build_id"] == readelf_build_id(m["path"]), f"{m['path']}: build_id {m['build_id']} != readelf's")


def readelf_build_id(path):
    r = run(["readelf", "-n", path])
    m = re.search(r"Build ID: ([0-9a-f]+)", r.stdout)
    check(m is not None, f"readelf -n {path}: no build ID")
    return m[1]


def share_tolerance(p, n):
    """How far a share of n samples may be from the true share p: 3 binomial standard errors (the
    sampling's own noise: on a busy machine a thread gets few samples), at least 0.05."""
    return max(0.05, 3 * (p * (1 - p) / n) ** 0.5)


def label_sums(prof, strs, key, col=0):
    """protoc's samples: the value column's sum per value of label key (str or num)."""
    sums = {}
    for sm in prof.get("sample", []):
        for lb in sm.get("label", []):
            if strs[lb["key"][0]] == key:
                v = strs[lb["str"][0]] if lb.get("str") else lb.get("num", [0])[0]
                sums[v] = sums.get(v, 0) + sm["value"][col]
    return sums


TWO_THREADS = r'''
import ctypes, sys, threading, time
libc = ctypes.CDLL(None)
def spin(ms):
    end = time.thread_time() + ms / 1000
    x = 0
    while time.thread_time() < end:
        x = (x + 7) & 0xFFFF
OUT = {}
def worker(name, duty, end):
    libc.prctl(15, name.encode(), 0, 0, 0)  # PR_SET_NAME: the thread's name
    while time.monotonic() < end:
        spin(10 * duty)
        if duty < 1:
            time.sleep(0.01 * (1 - duty))
    OUT[name] = (threading.get_native_id(), time.thread_time())
time.sleep(float(sys.argv[2]))
end = time.monotonic() + float(sys.argv[1])
ts = [threading.Thread(target=worker, args=(n, d, end)) for n, d in (("hotw", 1.0), ("coldw", 0.25))]
for t in ts:
    t.start()
for t in ts:
    t.join()
for n, (tid, cpu) in OUT.items():
    print(f"worker {n} {tid} {cpu:.6f}", flush=True)
'''


def test_thread_labels_match_cpu_time():
    """Two threads with unequal CPU time (one spins, one spins a quarter of the time): the pprof
    samples labelled with each thread's id and name (protoc and pprof-format), and speedscope's
    per-thread profiles, split the on-CPU samples as the threads' own CPU times split (their
    time.thread_time()), within 3 binomial standard errors of the share (at least 0.05); totals
    still equal the folded files'."""
    need_tools()
    script = os.path.join(TMP, "twothreads.py")
    write(script, TWO_THREADS)
    out = os.path.join(TMP, "threads")
    r = run([BINDPROF, "record", "-F", "499", "-o", out + ".json", "--folded", out + ".folded", "--pprof",
             out + ".pb.gz", "--speedscope", out + ".ss.json", "--", "/usr/bin/python3", script, "2", "0.3"],
            timeout=90)
    check(r.returncode == 0, f"record failed ({r.returncode}): {r.stderr.strip()[-400:]}")
    truth = {m[1]: (int(m[2]), float(m[3])) for m in re.finditer(r"^worker (\w+) (\d+) ([\d.]+)$", r.stdout, re.M)}
    check(set(truth) == {"hotw", "coldw"}, f"workload output: {r.stdout[-300:]}")
    cpu_n = sum(folded_totals(out + ".folded").values())
    prof = protoc_decode(out + ".pb.gz")
    got, strs = protoc_totals(prof)
    check(got["samples/count"] == cpu_n, f"protoc samples {got['samples/count']} != folded {cpu_n}")
    by_tid = label_sums(prof, strs, "thread_id")
    by_name = label_sums(prof, strs, "thread")
    check(sum(by_tid.values()) == cpu_n, f"thread_id labels cover {sum(by_tid.values())} of {cpu_n} samples")
    dec = npm_decode(out + ".pb.gz")
    cpu_share = truth["hotw"][1] / (truth["hotw"][1] + truth["coldw"][1])
    pairs = {}  # (thread_id, thread) -> samples
    for sm in prof.get("sample", []):
        lab = {strs[lb["key"][0]]: (strs[lb["str"][0]] if lb.get("str") else lb.get("num", [0])[0])
               for lb in sm.get("label", [])}
        k = (lab.get("thread_id"), lab.get("thread"))
        pairs[k] = pairs.get(k, 0) + sm["value"][0]
    for name, (tid, secs) in truth.items():
        # a thread's samples carry its name, but for the first ones, before its prctl renamed it
        check(all(t == tid for t, n in pairs if n == name), f"{name}: samples under other ids: {pairs}")
        check(pairs.get((tid, name), 0) >= 0.9 * by_tid.get(tid, 0) - 2,
              f"{name}: {pairs.get((tid, name), 0)} of its {by_tid.get(tid)} samples carry its name")
        check(int(dec["labels"].get(f"thread_id={tid}", ["0"])[0]) == by_tid.get(tid),
              f"{name}: pprof-format thread_id={tid} {dec['labels'].get(f'thread_id={tid}')} != protoc {by_tid.get(tid)}")
    hot, cold = by_tid.get(truth["hotw"][0], 0), by_tid.get(truth["coldw"][0], 0)
    check(hot + cold >= 50, f"only {hot + cold} samples in the two threads")
    share = hot / (hot + cold)
    tol = share_tolerance(cpu_share, hot + cold)
    print(f"      hotw {hot} coldw {cold} samples: share {share:.3f}; CPU time "
          f"{truth['hotw'][1]:.3f} s / {truth['coldw'][1]:.3f} s: share {cpu_share:.3f} (tolerance {tol:.3f})", flush=True)
    check(abs(share - cpu_share) <= tol, f"hotw's sample share {share:.3f} vs its CPU-time share {cpu_share:.3f}")
    with open(out + ".ss.json") as f:
        ss = json.load(f)
    for name, (tid, _) in truth.items():
        w = [sum(p["weights"]) for p in ss["profiles"] if f"thread {name} ({tid})" in p["name"] and p["unit"] == "none"]
        check(w == [by_tid.get(tid)], f"speedscope profile of {name} ({tid}): {w}, pprof {by_tid.get(tid)}")


HTTP_SERVER = r'''
import json, sys, threading, time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
MS = {"/heavy": 8, "/light": 2}
CPU = {p: 0.0 for p in MS}
N = {p: 0 for p in MS}
LOCK = threading.Lock()
def burn(ms):
    end = time.thread_time() + ms / 1000
    x = 0
    while time.thread_time() < end:
        x = (x + 7) & 0xFFFF
class H(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def do_GET(self):
        if self.path in MS:
            t0 = time.thread_time()
            burn(MS[self.path])
            with LOCK:
                CPU[self.path] += time.thread_time() - t0
                N[self.path] += 1
            body = b"ok"
        else:
            body = json.dumps({"cpu": CPU, "n": N}).encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
    def log_message(self, *a):
        pass
srv = ThreadingHTTPServer(("127.0.0.1", 0), H)
print("ready", srv.server_address[1], flush=True)
srv.serve_forever()
'''


def test_request_labels_match_handler_cpu():
    """A server whose /heavy requests burn 8 ms of CPU and /light ones 2 ms (measured by the
    server, time.thread_time()): the pprof samples labelled endpoint=GET /heavy and GET /light split
    the two endpoints' samples as the server's own CPU times split (within 3 binomial standard
    errors, at least 0.05), and the request
    labels name one request per served request (at least 80% of the heavy ones have a sample, and
    no more ids than requests)."""
    need_tools()
    import signal
    script = os.path.join(TMP, "burnserver.py")
    write(script, HTTP_SERVER)
    out = os.path.join(TMP, "requests")
    srv = subprocess.Popen(["/usr/bin/python3", script], stdout=subprocess.PIPE, text=True)
    rec = None
    try:
        port = int(wait_line(srv.stdout, "ready").split()[1])
        rec = subprocess.Popen([BINDPROF, "record", "-p", str(srv.pid), "-F", "499", "--probes", "requests,stacks",
                                "-o", out + ".json", "--folded", out + ".folded", "--pprof", out + ".pb.gz"],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        wait_line(rec.stderr, "bindprof: recording pid", timeout=30)
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        for i in range(120):
            conn.request("GET", "/heavy" if i % 2 else "/light")
            check(conn.getresponse().read() == b"ok", "a request failed")
        time.sleep(0.3)
        rec.send_signal(signal.SIGINT)
        _, err = rec.communicate(timeout=60)
        check(rec.returncode == 0, f"record exited {rec.returncode}: {err.strip()[-300:]}")
        conn.request("GET", "/stats")
        own = json.loads(conn.getresponse().read())
    finally:
        if rec and rec.poll() is None:
            rec.kill()
        srv.kill()
        srv.wait()
    prof = protoc_decode(out + ".pb.gz")
    got, strs = protoc_totals(prof)
    check(got["samples/count"] == sum(folded_totals(out + ".folded").values()), "totals differ from folded")
    by_ep = label_sums(prof, strs, "endpoint")
    heavy, light = by_ep.get("GET /heavy", 0), by_ep.get("GET /light", 0)
    cpu_share = own["cpu"]["/heavy"] / (own["cpu"]["/heavy"] + own["cpu"]["/light"])
    print(f"      heavy {heavy} light {light} samples; server CPU {own['cpu']}: share {cpu_share:.3f}", flush=True)
    check(heavy + light >= 50, f"only {heavy}+{light} samples labelled with an endpoint: {by_ep}")
    share = heavy / (heavy + light)
    tol = share_tolerance(cpu_share, heavy + light)
    check(abs(share - cpu_share) <= tol, f"GET /heavy's sample share {share:.3f} vs its CPU share {cpu_share:.3f} "
          f"(tolerance {tol:.3f})")
    check(label_sums(prof, strs, "request_endpoint") == by_ep, "request_endpoint and endpoint labels differ")
    ids = set()
    for sm in prof.get("sample", []):
        lab = {strs[lb["key"][0]]: (strs[lb["str"][0]] if lb.get("str") else lb.get("num", [0])[0]) for lb in sm.get("label", [])}
        if lab.get("endpoint") == "GET /heavy":
            check("request" in lab, f"a GET /heavy sample without a request label: {lab}")
            ids.add(lab["request"])
    n = own["n"]["/heavy"]
    check(0.8 * n <= len(ids) <= n, f"{len(ids)} request ids on GET /heavy samples for {n} requests")


def write(path, text):
    with open(path, "w") as f:
        f.write(text)


def test_profile_file_labels_per_workload():
    """A profile file's workloads become labels: each workload's and endpoint's totals equal its
    own folded files' (synthetic folded files with known weights, so the split is exact)."""
    if subprocess.run(["sh", "-c", "command -v protoc"], capture_output=True).returncode:
        raise Skip("protoc missing")
    d = tempfile.mkdtemp(dir=TMP)
    write(os.path.join(d, "p.api.a.folded"), "python3;main (app.py:1);handle_a (app.py:10) 7\n"
          "python3;main (app.py:1);handle_a (app.py:10);zlib_crc32 [libz.so.1] 5\n")
    write(os.path.join(d, "p.api.a.gil-wait.folded"), "python3;main (app.py:1);take_gil 1234\n")
    write(os.path.join(d, "p.api.b.folded"), "python3;main (app.py:1);handle_b (app.py:20) 11\n"
          "python3;main (app.py:1);do_sys_poll_[k] 2\n")

    def wl(name, method, path, stacks):
        return {"name": name, "endpoint": {"method": method, "path": path},
                "results": {"profiling": {"stacks": stacks}}}
    doc = {"schema_version": 1, "mode": "profile",
           "metadata": {"host": {"hostname": "web-7"}, "git_commit": "a" * 40, "timestamp": "2026-01-02T03:04:05Z"},
           "suites": [{"name": "api", "workloads": [
               wl("a", "GET", "/a", {"frequency_hz": 100, "folded_path": "p.api.a.folded",
                                     "gil_wait": {"folded_path": "p.api.a.gil-wait.folded"}}),
               wl("b", "POST", "/b", {"frequency_hz": 100, "folded_path": "p.api.b.folded", "gil_wait": None}),
               {"name": "failed", "results": None}]}]}
    write(os.path.join(d, "p.json"), json.dumps(doc))
    # run from elsewhere: the relative folded paths are found next to the JSON
    r = run([BINDPROF, "export", os.path.join(d, "p.json"), "--pprof", os.path.join(d, "p.pb.gz"),
             "--speedscope", os.path.join(d, "p.ss.json")], cwd="/")
    check(r.returncode == 0, f"export failed: {r.stderr.strip()}")
    got, _ = protoc_totals(protoc_decode(os.path.join(d, "p.pb.gz")))
    check(got == {"samples/count": 25, "cpu/nanoseconds": 25 * 10000000, "gil_wait/microseconds": 1234}, f"{got}")
    dec = npm_decode(os.path.join(d, "p.pb.gz"))
    lab = {k: list(map(int, v)) for k, v in dec["labels"].items()}
    check(lab["workload=api/a"] == [12, 120000000, 1234], f"workload a: {lab.get('workload=api/a')}")
    check(lab["endpoint=GET /a"] == [12, 120000000, 1234], f"endpoint a: {lab.get('endpoint=GET /a')}")
    check(lab["workload=api/b"] == [13, 130000000, 0], f"workload b: {lab.get('workload=api/b')}")
    check(lab["endpoint=POST /b"] == [13, 130000000, 0], f"endpoint b: {lab.get('endpoint=POST /b')}")
    check(lab["host=web-7"][0] == 25 and lab["process=python3"][0] == 25, f"labels {lab}")
    fr = {(f["name"], f["file"], f["start_line"], f["mapping"]) for f in dec["frames"]}
    for want in [("handle_a", "app.py", 10, None), ("zlib_crc32", "", 0, "libz.so.1"),
                 ("do_sys_poll", "", 0, "[kernel.kallsyms]"), ("take_gil", "", 0, None)]:
        check(want in fr, f"frame {want} missing from {sorted(fr)}")
    check_speedscope(os.path.join(d, "p.ss.json"), 25, 1234)


def test_profile_pprof_labels_each_workload():
    """profile --pprof on the demo server, two workloads: each workload's and endpoint's label
    totals equal that workload's own folded files exactly."""
    need_tools()
    from harness import free_port
    d = tempfile.mkdtemp(dir=TMP)
    with open(os.path.join(d, "suite.json"), "w") as f:
        json.dump({"name": "demo", "workloads": [
            {"name": "item", "method": "GET", "path": "/items/7", "category": "path-params"},
            {"name": "hello", "method": "GET", "path": "/hello", "category": "simple"}]}, f)
    port = free_port()
    out = os.path.join(d, "p.json")
    r = run([BINDPROF, "profile", "--app-cmd", f"/usr/bin/python3 {os.path.join(ROOT, 'tools', 'demo_server.py')} --port {port}",
             "--url", f"http://127.0.0.1:{port}", "-o", out, "--suite", os.path.join(d, "suite.json"),
             "--single-pass", "--duration", "1", "--warmup", "0.2", "--concurrency", "4", "-t", "1",
             "--pprof", os.path.join(d, "p.pb.gz"), "--speedscope", os.path.join(d, "p.ss.json")], timeout=180)
    check(r.returncode == 0, f"profile failed ({r.returncode}): {r.stderr.strip()[-400:]}")
    with open(out) as f:
        doc = json.load(f)
    dec = npm_decode(os.path.join(d, "p.pb.gz"))
    lab = {k: list(map(int, v)) for k, v in dec["labels"].items()}
    all_cpu = all_gil = 0
    for w in doc["suites"][0]["workloads"]:
        st = w["results"]["profiling"]["stacks"]
        cpu = sum(folded_totals(st["folded_path"]).values())
        gp = (st.get("gil_wait") or {}).get("folded_path")
        gil = sum(folded_totals(gp).values()) if gp and os.path.exists(gp) else 0
        check(cpu > 0, f"{w['name']}: no samples")
        all_cpu, all_gil = all_cpu + cpu, all_gil + gil
        want = [cpu, cpu * int(1e9 / st["frequency_hz"] + 0.5), gil]
        ep = f"endpoint={w['endpoint']['method']} {w['endpoint']['path']}"
        check(lab.get(f"workload=demo/{w['name']}") == want, f"{w['name']}: {lab.get('workload=demo/' + w['name'])}, want {want}")
        check(lab.get(ep) == want, f"{ep}: {lab.get(ep)}, want {want}")
    got, _ = protoc_totals(protoc_decode(os.path.join(d, "p.pb.gz")))
    check(got["samples/count"] == all_cpu and got["gil_wait/microseconds"] == all_gil, f"protoc {got}")
    check_speedscope(os.path.join(d, "p.ss.json"), all_cpu, all_gil)
    r = run([BINDPROF, "profile", "--app-cmd", "true", "--url", "http://127.0.0.1:9", "--probes", "gil",
             "--pprof", os.path.join(d, "x.pb.gz")])
    check(r.returncode == 2 and "needs the stacks probe" in r.stderr, f"--pprof without stacks: {r.stderr}")


def test_bad_input_exits_2():
    d = tempfile.mkdtemp(dir=TMP)
    write(os.path.join(d, "bad.folded"), "a;b 3\nno-count-here\n")
    write(os.path.join(d, "nostacks.json"), json.dumps({"mode": "record", "results": {"profiling": {"stacks": None}}}))
    cases = [
        ([os.path.join(d, "bad.folded"), "--pprof", os.path.join(d, "o.pb.gz")], "bad.folded:2"),
        ([os.path.join(d, "nostacks.json"), "--pprof", os.path.join(d, "o.pb.gz")], "no folded stacks"),
        ([os.path.join(d, "bad.folded")], "nothing to write"),
        ([os.path.join(d, "absent.folded"), "--speedscope", os.path.join(d, "o.json")], "No such file"),
        (["--pprof"], "needs a value"),
    ]
    for args, msg in cases:
        r = run([BINDPROF, "export", *args])
        check(r.returncode == 2, f"export {args}: exit {r.returncode}, want 2")
        lines = r.stderr.strip().splitlines()
        check(len(lines) == 1 and msg in lines[0], f"export {args}: stderr {r.stderr!r}, want one line with {msg!r}")
        check(not os.path.exists(os.path.join(d, "o.pb.gz")), "an output was written on bad input")


if __name__ == "__main__":
    sys.exit(main(sys.modules[__name__]))
