#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# The gate's error rates, measured: how often `bindprof diff` (and `compare`) fails identical
# code (A/A), and how often it catches a known regression (A/B), on this machine.
#
#   aa-seq    the same app profiled twice, one run after the other, then diffed
#   aa-int    the same app as two frameworks of `compare --frameworks` (interleaved, alternating
#             rounds), the two merged profiles diffed
#   ab-delay  interleaved; the candidate sleeps 3 ms before answering /hello (a sub-ms endpoint)
#   ab-cpu    interleaved; the candidate burns 30% more CPU per request on /json
#             (tools/demo_server.py --slow /json=30)
#
# A/A: a failing verdict (diff exit 1) is a false positive. A/B: caught = diff exits 1 and a
# regressed line names the changed workload. compare's own verdict is counted too (a winner
# named between identical apps; the right winner for the changed workload).
#
# usage: sudo scripts/bench/verdicts.sh [-n N] [-d DURATION] [-w WARMUP] [-r REPEATS]
#                                       [-c CONCURRENCY] [-t THREADS] [--probes LIST]
#                                       [--scenarios aa-seq,aa-int,ab-delay,ab-cpu] [-o DIR]
#                                       [--diff-args "ARGS"] [--compare-args "ARGS"]
#        scripts/bench/verdicts.sh --rediff DIR [--diff-args "ARGS"] [--compare-args "ARGS"]
# Defaults: N 5 trials of each scenario, 2 s passes after a 1 s warmup, 9 repeats (rounds: compare's default),
# concurrency 50, 2 generator threads, --probes none (clean passes only: the gate's figures come
# from them). Every run's files are kept under DIR (default /tmp/bindprof-verdicts.PID), so
# --rediff DIR re-evaluates the same runs with another diff (or other --diff-args) without
# running anything again. Prints one line per scenario: runs, failing verdicts, rate. A pair that
# diff refuses (exit 2: e.g. a run made under high host load) is counted apart; --diff-args
# --force (and --compare-args --force) gives the verdicts on every pair regardless.
set -u

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BP=${BINDPROF:-$ROOT/build/bindprof}
SERVER=$ROOT/tools/demo_server.py
PY=${PYTHON:-/usr/bin/python3}
N=5 DURATION=2 WARMUP=1 REPEATS=9 CONC=50 THREADS=2 PROBES=none
SCEN=aa-seq,aa-int,ab-delay,ab-cpu OUT=/tmp/bindprof-verdicts.$$ DIFF_ARGS="" COMPARE_ARGS="" REDIFF=""

die() { echo "verdicts.sh: $*" >&2; exit 2; }
while [ $# -gt 0 ]; do
	case "$1" in
	-n) N=$2; shift ;;
	-d) DURATION=$2; shift ;;
	-w) WARMUP=$2; shift ;;
	-r) REPEATS=$2; shift ;;
	-c) CONC=$2; shift ;;
	-t) THREADS=$2; shift ;;
	--probes) PROBES=$2; shift ;;
	--scenarios) SCEN=$2; shift ;;
	-o) OUT=$2; shift ;;
	--diff-args) DIFF_ARGS=$2; shift ;;
	--compare-args) COMPARE_ARGS=$2; shift ;;
	--rediff) REDIFF=$2; shift ;;
	-h|--help) sed -n '3,30p' "$0"; exit 0 ;;
	*) die "unknown argument '$1' (see --help)" ;;
	esac
	shift
done
case "$N$REPEATS" in *[!0-9]*) die "-n and -r take whole numbers" ;; esac
[ -x "$BP" ] || die "$BP is not built (make)"

free_port() { "$PY" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

SUITE_JSON='{"name": "verdicts", "workloads": [{"name": "hello", "method": "GET", "path": "/hello"},
 {"name": "json", "method": "GET", "path": "/json"}]}'
LOAD=(--duration "$DURATION" --warmup "$WARMUP" --concurrency "$CONC" -t "$THREADS" --probes "$PROBES")

# app DIR NAME EXTRA: a compare --frameworks app manifest running the demo server
app() {
	mkdir -p "$1/$2"
	cat > "$1/$2/bindprof-app.json" <<EOF
{"name": "$2", "version": "1", "language": "python", "runtime": "cpython",
 "start": "$PY $SERVER $3", "port": $(free_port), "health_path": "/hello"}
EOF
}

# one trial of one scenario: leaves DIR/base.json and DIR/new.json (or DIR/error)
collect() {
	local scen=$1 dir=$2 extra="" port
	mkdir -p "$dir"
	echo "$SUITE_JSON" > "$dir/suite.json"
	case "$scen" in
	aa-seq)
		for side in base new; do
			port=$(free_port)
			"$BP" profile --app-cmd "$PY $SERVER --port $port" --url "http://127.0.0.1:$port" \
				--health-path /hello --suite "$dir/suite.json" --repeats "$REPEATS" "${LOAD[@]}" \
				--format json -o "$dir/$side.json" > "$dir/$side.log" 2>&1 ||
				{ echo "profile ($side) exited $?" > "$dir/error"; return; }
		done
		return ;;
	aa-int) extra="" ;;
	ab-delay) extra="--delay /hello=3" ;;
	ab-cpu) extra="--slow /json=30" ;;
	*) die "unknown scenario '$scen'" ;;
	esac
	app "$dir/apps" base ""
	app "$dir/apps" cand "$extra"
	# --force: collect the rounds whatever the host load; diff applies (or, with --diff-args
	# --force, skips) the refusal when the pair is evaluated
	"$BP" compare --frameworks base,cand --apps "$dir/apps" --suite "$dir/suite.json" --repeats "$REPEATS" \
		"${LOAD[@]}" -o "$dir/cmp.json" --force > "$dir/compare.log" 2>&1 ||
		{ echo "compare exited $?" > "$dir/error"; return; }
	mv "$dir/cmp.base.json" "$dir/base.json" && mv "$dir/cmp.cand.json" "$dir/new.json"
}

# the workload an A/B scenario changed
changed() { case "$1" in ab-delay) echo hello ;; ab-cpu) echo json ;; *) echo "" ;; esac; }

# evaluate every trial under OUT: one TSV line per trial, then the rates
evaluate() {
	local tsv=$OUT/verdicts.tsv
	printf 'scenario\ttrial\tdiff_exit\tcaught\tcompare_winners\tregressed\n' > "$tsv"
	for d in "$OUT"/*/trial-*; do
		[ -d "$d" ] || continue
		local scen trial rc caught=- wl winners regressed
		scen=$(basename "$(dirname "$d")") trial=${d##*-}
		if [ -e "$d/error" ] || [ ! -e "$d/base.json" ] || [ ! -e "$d/new.json" ]; then
			printf '%s\t%s\terror\t-\t-\t%s\n' "$scen" "$trial" "$(cat "$d/error" 2>/dev/null)" >> "$tsv"
			continue
		fi
		# shellcheck disable=SC2086
		"$BP" diff "$d/base.json" "$d/new.json" $DIFF_ARGS > "$d/diff.txt" 2>&1
		rc=$?
		regressed=$(awk '$1 ~ /\// && $6 ~ /^regressed/ {print $1":"$2}' "$d/diff.txt" | sort -u | paste -sd, -)
		wl=$(changed "$scen")
		if [ -n "$wl" ]; then
			caught=0
			[ $rc = 1 ] && awk -v w="$wl" '$1 ~ ("/" w "$") && $6 ~ /^regressed/ {f = 1} END {exit !f}' \
				"$d/diff.txt" && caught=1
		fi
		# compare's own verdict on the same pair: the workloads with a winner named
		# shellcheck disable=SC2086
		rm -f "$d/cmp-eval.json" # a refused compare writes none: never read an earlier evaluation's
		"$BP" compare "$d/base.json" "$d/new.json" $COMPARE_ARGS -o "$d/cmp-eval.json" > "$d/compare-eval.txt" 2>&1
		winners=$("$PY" - "$d/cmp-eval.json" <<'EOF' 2>/dev/null
import json, sys
d = json.load(open(sys.argv[1]))
print(",".join(f'{r["workload"]}>{r["comparison"]["winner"]}' for r in d["results"] if r["comparison"]["winner"]) or "none")
EOF
)
		printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$scen" "$trial" "$rc" "$caught" "${winners:-error}" "${regressed:-}" >> "$tsv"
	done
	echo "runs under $OUT; per-run lines in $tsv"
	"$PY" - "$tsv" <<'EOF'
import collections, sys
rows = [l.rstrip("\n").split("\t") for l in open(sys.argv[1])][1:]
by = collections.OrderedDict()
for r in rows:
    by.setdefault(r[0], []).append(r)
print(f"{'scenario':10} {'runs':>5} {'errors':>6} {'diff exit 1':>12} {'rate':>7} {'caught':>7} {'compare named a winner':>23}")
for s, rs in by.items():
    ok = [r for r in rs if r[2] != "error"]
    fail = sum(r[2] == "1" for r in ok)
    other = sum(r[2] not in ("0", "1") for r in ok)
    caught = sum(r[3] == "1" for r in ok) if s.startswith("ab") else None
    named = sum(r[4] not in ("none", "error") for r in ok)
    rate = f"{fail / len(ok):.3f}" if ok else "n/a"
    print(f"{s:10} {len(ok):5} {len(rs) - len(ok):6} {fail:12} {rate:>7} {('-' if caught is None else caught):>7} {named:>23}"
          + (f"  ({other} refused: exit 2/3)" if other else ""))
EOF
}

if [ -n "$REDIFF" ]; then
	OUT=$REDIFF
	evaluate
	exit 0
fi
[ "$(id -u)" = 0 ] || die "profile needs root (sudo)"
mkdir -p "$OUT"
echo "verdicts.sh: N=$N duration=$DURATION warmup=$WARMUP repeats=$REPEATS concurrency=$CONC threads=$THREADS" \
	"probes=$PROBES scenarios=$SCEN -> $OUT" | tee "$OUT/settings.txt"
start=$(date +%s)
for i in $(seq 1 "$N"); do
	for scen in ${SCEN//,/ }; do
		t0=$(date +%s)
		collect "$scen" "$OUT/$scen/trial-$i"
		echo "trial $i/$N $scen: $(( $(date +%s) - t0 )) s$([ -e "$OUT/$scen/trial-$i/error" ] && echo ", $(cat "$OUT/$scen/trial-$i/error")")"
	done
done
echo "collected in $(( $(date +%s) - start )) s"
evaluate
