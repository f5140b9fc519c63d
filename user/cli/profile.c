/* SPDX-License-Identifier: GPL-2.0-only */
/* `bindprof profile`: the harness mode. Start (or attach to) the app, wait until it answers, then
 * for every workload of the suites: a warmup, clean passes with no probe attached (the figures
 * reported as throughput and latency), and a profiled pass with the recording engine attached to
 * the app in a thread of this process (its profiling section, with the pass's own throughput kept
 * as profiled_throughput). One JSON, written once from the passes' structs. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <math.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "cli/commands.h"
#include "cli/diff.h"
#include "cli/export.h"
#include "cli/load.h"
#include "cli/options.h"
#include "cli/profile.h"
#include "output/html.h"
#include "history/db.h"
#include "history/trend.h"
#include "output/table.h"
#include "lib/json.h"
#include "core/env.h"
#include "core/guardian.h"
#include "core/probes.h"
#include "core/recorder.h"
#include "core/resources.h"
#include "core/target.h"
#include "inspect/metadata.h"
#include "inspect/procfs.h"
#include "lib/duration.h"
#include "lib/log.h"
#include "lib/util.h"
#include "lib/validate.h" /* harden: up-front checks */
#include "lib/file.h"
#include "load/httpcheck.h"
#include "load/loadgen.h"
#include "load/latsplit.h"
#include "probes/requests.h"
#include "load/suites.h"
#include "output/document.h"
#include "probes/net.h"
#include "probes/ffi.h"
#include "stats/gate.h"
#include "stats/hostload.h"
#include "stats/lathist.h"
#include "stats/steady.h"
#include "stats/wlhealth.h"

const struct cli_option profile_options[] = {
	{ "url", 0, PO_URL, "URL", "the app's base URL, on a loopback address (required)", CLI_OPT_REQUIRED },
	{ "app-cmd", 0, PO_APP_CMD, "CMD", "start the app: CMD run by /bin/sh in its own process group", 0 },
	{ "pid", 'p', PO_PID, "PID", "attach to a running app instead", 0 },
	{ "framework", 0, PO_FRAMEWORK, "NAME", "the framework's name in the output's metadata", 0 },
	{ "suite", 0, PO_SUITE, "all|NAME[,NAME]|FILE.json", "the workloads (default all)", 0 },
	{ "duration", 0, PO_DURATION, "S", "seconds of each measured pass (default 10)", 0 },
	{ "warmup", 0, PO_WARMUP, "S", "seconds of load before a workload's passes (default 3; 0: none)", 0 },
	{ "concurrency", 0, PO_CONCURRENCY, "N", "connections (default 50)", 0 },
	{ "threads", 't', PO_THREADS, "N", "load generator threads (default: the cores, at most N connections)", 0 },
	{ "rate", 0, PO_RATE, "RPS", "a constant request rate instead of as fast as the app answers", 0 },
	{ "repeats", 0, PO_REPEATS, "K", "clean passes per workload (default 1); the median one is reported", 0 },
	{ "probes", 0, PO_PROBES, "LIST",
	  "the profiled pass's probes, as record's --probes, or none: no profiled pass (default "
	  "gil,gc,ffi,requests,stacks, record's cheap set; each workload's folded stacks go next to the "
	  "JSON as OUT.SUITE.WORKLOAD.folded)", 0 },
	{ "gil-method", 0, PO_GIL_METHOD, "cheap|exact", "as record's", 0 },
	{ "single-pass", 0, PO_SINGLE_PASS, NULL,
	  "no clean pass: throughput and latency from the profiled pass (they include the probes' cost)", 0 },
	{ "ready-timeout", 0, PO_READY_TIMEOUT, "S", "how long the app may take to answer (default 30)", 0 },
	{ "health-path", 0, PO_HEALTH_PATH, "PATH", "ready when GET PATH answers 2xx or 3xx (default: a connection)", 0 },
	{ "ffi", 0, PO_FFI, "LIB[:GLOB]", "time the calls of a library in every profiled pass, as record's --ffi",
	  CLI_OPT_REPEAT },
	{ "format", 0, PO_FORMAT, "json|table", "table: print a table of the workloads (default on a terminal)", 0 },
	{ "baseline", 0, PO_BASELINE, "FILE", "a previous profile: each workload's ratios to it in the output", 0 },
	{ "output", 'o', PO_OUTPUT, "FILE", "the profile JSON (default bindprof-profile.json)", 0 },
	{ "html", 0, PO_HTML, "FILE.html", "also write the report as a self-contained HTML page with charts", 0 },
	{ "history", 0, PO_HISTORY, "PATH|URL",
	  "--html: draw the workloads' stored trend from this history store (default: ./.bindprof/history.db "
	  "when it exists)", 0 },
	{ "pprof", 0, PO_PPROF, "FILE.pb.gz",
	  "every workload's stacks as one gzipped pprof profile, labelled by workload and endpoint (as "
	  "`bindprof export`; needs the stacks probe)", 0 },
	{ "speedscope", 0, PO_SPEEDSCOPE, "FILE.json", "every workload's stacks as a speedscope file", 0 },
	{ "allow-errors", 0, PO_ALLOW_ERRORS, NULL,
	  "exit 0 even when a workload failed (success below 99%, mostly 4xx/5xx, or nothing answered); "
	  "without it such a run exits 4, its file written", 0 },
	{ "sweep", 0, PO_SWEEP, "VAR=V1,V2,...",
	  "run each workload once per value of VAR, concurrency (connections), rate (requests/s, open loop) or "
	  "payload (JSON POST bodies of these sizes: 64,256,1K,...,1M), with the scaling analysis of the points "
	  "(docs/scenarios.md); the workload's results are the last point's, its profiled pass run there", 0 },
	{ "p99-target", 0, PO_P99_TARGET, "MS", "a rate sweep: the highest rate whose p99 stays within MS milliseconds",
	  0 },
	{ "quick", 0, PO_QUICK, NULL, "a short run: --warmup 1 --duration 3 --repeats 1 (unless given)", 0 },
	{ "list", 0, PO_LIST, NULL, "list the suites (of --suite) and their workloads, then exit", 0 },
	{ "workload", 0, PO_WORKLOAD, "NAME", "only the workload NAME (or SUITE/NAME) of the suites", 0 },
	{ "output-dir", 0, PO_OUTPUT_DIR, "DIR",
	  "write DIR/profile-YYYYmmdd-HHMMSS.json (UTC) and its .html, and point DIR/latest.json and latest.html "
	  "at them", 0 },
	{ "ramp-up", 0, PO_RAMP_UP, "S",
	  "a linear rate ramp from 0 to --rate over S seconds before each workload's measured passes (after "
	  "the warmup); its request count in results.ramp_up", 0 },
	{ "burst", 0, PO_BURST, "BASE:PEAK:SECS",
	  "the clean passes run at BASE requests/s with PEAK for SECS seconds a third of the way in: "
	  "results.burst gives how long p99 took to come back within 10% of its level before the burst", 0 },
	{ "sustained", 0, PO_SUSTAINED, "DURATION",
	  "clean passes of DURATION (e.g. 30m): results.sustained gives the degradation of throughput and "
	  "p99 from the first to the last intervals and a memory leak slope (MB/hour) with its verdict", 0 },
	{ "page-faults", 0, PO_PAGE_FAULTS, NULL,
	  "one more profiled pass per workload sampling the app's page faults (where memory is touched for "
	  "the first time): OUT.SUITE.WORKLOAD.page-faults.folded and .svg", 0 },
	{ "malloc-sample", 0, PO_MALLOC_SAMPLE, "N",
	  "one more profiled pass per workload with a uprobe on the app's libc malloc: the stack of one call "
	  "in N (costs on every call): OUT.SUITE.WORKLOAD.malloc.folded and .svg, results.malloc_sites", 0 },
	{ "help", 'h', PO_HELP, NULL, "this help", 0 },
	{},
};

void profile_usage(FILE *f)
{
	cli_options_usage(f, "bindprof profile", NULL, profile_options,
			  "Start the app (--app-cmd) or attach to one (-p), wait until URL accepts connections "
			  "(and GET PATH answers 2xx/3xx with --health-path), then for each workload of the suite: "
			  "a warmup, K clean passes with no probe attached, and one profiled pass with the "
			  "recorder attached to the app. Nothing outlives profile: the app started is stopped, "
			  "even when profile is killed.",
			  NULL);
}

void profile_opts_defaults(struct profile_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->suite = "all";
	o->duration = 10;
	o->warmup = 3;
	o->concurrency = 50;
	o->threads = (int)sysconf(_SC_NPROCESSORS_ONLN);
	o->repeats = 1;
	o->ready_timeout = 30;
	o->output = "bindprof-profile.json";
	o->probes = PROBES_DEFAULT;
	o->gil_method = -1;
}

static int opt_number(int id, const char *arg, struct profile_opts *o, char *err, int errlen)
{
	long l;
	char *end;

	switch (id) {
	case PO_CONCURRENCY:
	case PO_THREADS:
	case PO_REPEATS:
		if (parse_long(arg, 1, id == PO_REPEATS ? PROFILE_MAX_REPEATS : 100000, &l)) {
			snprintf(err, errlen, "%s: invalid number '%s'",
				 id == PO_CONCURRENCY ? "--concurrency" : id == PO_THREADS ? "-t" : "--repeats", arg);
			return -EINVAL;
		}
		*(id == PO_CONCURRENCY ? &o->concurrency : id == PO_THREADS ? &o->threads : &o->repeats) = (int)l;
		return 0;
	case PO_WARMUP:
		errno = 0;
		o->warmup = strtod(arg, &end);
		if (errno || *end || end == arg || !(o->warmup >= 0 && o->warmup <= 3600)) {
			snprintf(err, errlen, "--warmup: invalid value '%s' (seconds >= 0)", arg);
			return -EINVAL;
		}
		return 0;
	}
	/* duration, rate, ready timeout: > 0 */
	/* durations take units as wrk does (lib/duration.h: 500ms, 10s, 2m); the rate is a number */
	if (id == PO_RATE ? parse_seconds(arg, 1e7, &o->rate)
			  : parse_duration(arg, 1e7, id == PO_DURATION ? &o->duration : &o->ready_timeout)) {
		snprintf(err, errlen, "%s: invalid value '%s' (> 0)",
			 id == PO_DURATION ? "--duration" : id == PO_RATE ? "--rate" : "--ready-timeout", arg);
		return -EINVAL;
	}
	return 0;
}

static int opt_probes(const char *arg, struct profile_opts *o, char *err, int errlen)
{
	const char *bad;
	unsigned mask = 0;

	if (strcmp(arg, "none") && probes_parse(arg, &mask, &bad)) {
		snprintf(err, errlen, "--probes: unknown probe '%s' (syscalls,gil,gc,ffi,requests,stacks,all,none)", bad);
		return -EINVAL;
	}
	o->probes = mask;
	o->probes_all = probes_names_all(arg);
	return 0;
}

int profile_opt_apply(struct profile_opts *o, int id, const char *arg, char *err, int errlen)
{
	if (id > 0 && id < 64)
		o->given |= 1ull << id;
	switch (id) {
	case PO_SWEEP: return sweep_parse(arg, &o->sweep, err, errlen);
	case PO_P99_TARGET:
		if (parse_seconds(arg, 1e7, &o->p99_target_ms)) {
			snprintf(err, errlen, "--p99-target: invalid value '%s' (milliseconds > 0)", arg);
			return -EINVAL;
		}
		return 0;
	case PO_QUICK: o->quick = true; return 0;
	case PO_LIST: o->list = true; return 0;
	case PO_WORKLOAD:
		if (text_control_check("--workload", arg, err, errlen))
			return -EINVAL;
		o->workload = arg;
		return 0;
	case PO_OUTPUT_DIR:
		if (!*arg) {
			snprintf(err, errlen, "--output-dir: empty");
			return -EINVAL;
		}
		o->output_dir = arg;
		return 0;
	case PO_URL: o->url = arg; return 0;
	case PO_APP_CMD: o->app_cmd = arg; return 0;
	case PO_FRAMEWORK: /* a label printed by report and history: no control character */
		if (text_control_check("--framework", arg, err, errlen))
			return -EINVAL;
		o->framework = arg;
		return 0;
	case PO_SUITE: o->suite = arg; return 0;
	case PO_BASELINE: o->baseline = arg; return 0;
	case PO_OUTPUT: o->output = arg; return 0;
	case PO_HTML: o->html = arg; return 0;
	case PO_HISTORY: o->history = arg; return 0;
	case PO_PPROF: o->pprof = arg; return 0;
	case PO_SPEEDSCOPE: o->speedscope = arg; return 0;
	case PO_SINGLE_PASS: o->single_pass = true; return 0;
	case PO_HELP: o->help = true; return 0;
	case PO_RAMP_UP:
	case PO_BURST:
	case PO_SUSTAINED:
	case PO_PAGE_FAULTS:
	case PO_MALLOC_SAMPLE:
		return shape_opt_apply(&o->shape, id, arg, err, errlen);
	case PO_ALLOW_ERRORS: o->allow_errors = true; return 0;
	case PO_PID: return cli_parse_pid(arg, &o->pid, err, errlen) ? -EINVAL : 0;
	case PO_PROBES: return opt_probes(arg, o, err, errlen);
	case PO_FFI: return ffi_spec_add(o->ffi, &o->nffi, (int)ARRAY_SIZE(o->ffi), arg, err, errlen) ? -EINVAL : 0;
	case PO_GIL_METHOD:
		if (strcmp(arg, "cheap") && strcmp(arg, "exact")) {
			snprintf(err, errlen, "--gil-method: unknown method '%s' (cheap, exact)", arg);
			return -EINVAL;
		}
		o->gil_method = !strcmp(arg, "exact");
		return 0;
	case PO_HEALTH_PATH:
		if (arg[0] != '/') {
			snprintf(err, errlen, "--health-path: '%s' is not a path (it starts with '/')", arg);
			return -EINVAL;
		}
		if (httpcheck_path("--health-path", arg, err, errlen)) /* harden: any control character */
			return -EINVAL;
		o->health_path = arg;
		return 0;
	case PO_FORMAT:
		if (strcmp(arg, "table") && strcmp(arg, "json")) {
			snprintf(err, errlen, "--format: unknown format '%s' (json, table)", arg);
			return -EINVAL;
		}
		o->table = !strcmp(arg, "table");
		return 0;
	}
	return opt_number(id, arg, o, err, errlen);
}

int profile_opts_parse(int argc, char **argv, struct profile_opts *o, char *err, int errlen)
{
	struct cli_parser p;
	int id;

	profile_opts_defaults(o);
	if (cli_parser_init(&p, profile_options, argc, argv, 0))
		return -EINVAL;
	while ((id = cli_parser_next(&p, err, errlen)) > 0)
		if (profile_opt_apply(o, id, p.arg, err, errlen))
			return -EINVAL;
	if (id < 0)
		return -EINVAL;
	if (o->help || o->list)
		return 0;
	if (o->quick) { /* the seeds' quick mode: short passes, what was given explicitly kept */
		if (!(o->given & (1ull << PO_WARMUP)))
			o->warmup = 1;
		if (!(o->given & (1ull << PO_DURATION)))
			o->duration = 3;
		if (!(o->given & (1ull << PO_REPEATS)))
			o->repeats = 1;
	}
	if (o->p99_target_ms > 0 && o->sweep.var != SWEEP_RATE) {
		snprintf(err, errlen, "--p99-target applies to a rate sweep (--sweep rate=...)");
		return -EINVAL;
	}
	if (o->sweep.var == SWEEP_RATE && (o->given & (1ull << PO_RATE))) {
		snprintf(err, errlen, "--rate and --sweep rate=...: give one of them");
		return -EINVAL;
	}
	if (o->sweep.var == SWEEP_CONCURRENCY && (o->given & (1ull << PO_CONCURRENCY))) {
		snprintf(err, errlen, "--concurrency and --sweep concurrency=...: give one of them");
		return -EINVAL;
	}
	if (o->output_dir && (o->given & (1ull << PO_OUTPUT))) {
		snprintf(err, errlen, "-o and --output-dir: give one of them");
		return -EINVAL;
	}
	if (p.operands < argc) {
		snprintf(err, errlen, "unexpected argument '%s'", argv[p.operands]);
		return -EINVAL;
	}
	if (!o->url) {
		snprintf(err, errlen, "--url is required (the app's base URL, e.g. http://127.0.0.1:8000)");
		return -EINVAL;
	}
	if (!!o->app_cmd == !!o->pid) {
		snprintf(err, errlen, "give the app as --app-cmd CMD or -p PID (one of them)");
		return -EINVAL;
	}
	if (o->threads > o->concurrency)
		o->threads = o->concurrency;
	if (shape_opts_check(&o->shape, o->rate, o->duration, err, errlen))
		return -EINVAL;
	if (o->history && history_store_check(o->history, err, errlen))
		return -EINVAL; /* refused before the run, not after it */
	if ((o->pprof || o->speedscope) && !(o->probes & PROBE_BIT(PROBE_STACKS))) {
		snprintf(err, errlen, "%s needs the stacks probe (--probes ...,stacks)", o->pprof ? "--pprof" : "--speedscope");
		return -EINVAL;
	}
	return 0;
}

/* Ready: the address accepts a connection and, with a health path, GET PATH answers 2xx or 3xx. */
static bool app_ready(const struct sockaddr_storage *ss, socklen_t len, const char *health_path)
{
	int fd = socket(ss->ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	struct timeval tv = { .tv_sec = 2 };
	char req[1200], resp[64];
	bool ok;
	int n, got = 0, code;

	if (fd < 0)
		return false;
	/* a listener whose backlog is full drops the SYN: connect would wait ~2 min of retries */
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	ok = connect(fd, (const struct sockaddr *)ss, len) == 0;
	if (ok && health_path) {
		setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
		n = snprintf(req, sizeof(req), "GET %s HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n",
			     health_path);
		ok = send(fd, req, n, MSG_NOSIGNAL) == n;
		while (ok && got < (int)sizeof(resp) - 1 && (n = recv(fd, resp + got, sizeof(resp) - 1 - got, 0)) > 0)
			got += n;
		resp[got] = '\0';
		ok = ok && sscanf(resp, "HTTP/1.%*d %d", &code) == 1 && code >= 200 && code < 400;
	}
	close(fd);
	return ok;
}

/* ---- resources of the app's process tree, sampled beside a pass ---- */

#define STEADY_MAX_INTERVALS 3600

struct sampler {
	pthread_t th;
	int pid;
	volatile int stop;
	struct resources *res;
	/* the pass's responses so far, read every second: the 1 s interval throughputs */
	const struct load_progress *lp;
	uint64_t marks[STEADY_MAX_INTERVALS + 1], mark_ns[STEADY_MAX_INTERVALS + 1];
	int nmarks;
	struct shape_series ser; /* the app's CPU, RSS, USS, PSS at each second (cli/shapes.h) */
};

static void *sampler_main(void *arg)
{
	struct sampler *s = arg;
	uint64_t t0 = now_ns();
	int tick = 0;

	while (!s->stop) {
		int pids[512], n;

		pids[0] = s->pid;
		n = 1 + target_descendants("/proc", s->pid, pids + 1, 511);
		/* a mark at each second of the wall clock (the 100 ms naps stretch on a busy host), from
		 * the first response on (connecting is not a slow server) */
		if (s->lp && !s->nmarks && !s->lp->responses)
			t0 = now_ns();
		else if (s->lp && s->nmarks <= STEADY_MAX_INTERVALS &&
			 now_ns() - t0 >= (uint64_t)s->nmarks * 1000000000ull) {
			s->mark_ns[s->nmarks] = now_ns();
			s->marks[s->nmarks++] = s->lp->responses;
		}
		if (s->lp && (s->nmarks || s->lp->responses) && now_ns() - t0 >= (uint64_t)s->ser.n * 1000000000ull)
			shape_series_sample(&s->ser, pids, n, now_ns());
		resources__sample(s->res, pids, n, tick++ % 10 == 0);
		usleep(100000);
	}
	if (s->lp && s->ser.n) { /* the pass's end: its last interval's memory */
		int pids[512], n;

		pids[0] = s->pid;
		n = 1 + target_descendants("/proc", s->pid, pids + 1, 511);
		shape_series_sample(&s->ser, pids, n, now_ns());
	}
	return NULL;
}


/* ---- the progress line (a terminal only) ---- */

struct prog {
	pthread_t th;
	volatile int stop;
	struct load_progress lp;
	char label[256];
	double t0, pass_t0, left;
};

static void *prog_main(void *arg)
{
	struct prog *p = arg;
	uint64_t last = 0;
	double last_t = wall_time();

	while (!p->stop) {
		double now;
		uint64_t done;

		usleep(500000);
		now = wall_time();
		done = p->lp.responses;
		printf("\r\033[K%s: %.0f req/s, %llu errors (elapsed %.0f s, about %.0f s left)", p->label,
		       (done - last) / (now - last_t), (unsigned long long)p->lp.errors, now - p->t0,
		       p->left - (now - p->pass_t0) > 0 ? p->left - (now - p->pass_t0) : 0);
		fflush(stdout);
		last = done;
		last_t = now;
	}
	return NULL;
}

/* ---- one run of the harness ---- */

struct ctx {
	const struct profile_opts *o;
	struct suite_set set;
	bool have_set;
	struct sockaddr_storage ss;
	socklen_t sslen;
	char base[512];
	int app;                /* the app's pid (and process group with --app-cmd); 0 none */
	bool started_app;
	struct target_info tgt;
	cJSON *doc, *suites_arr;
	int nwork, idx;
	double t0;
	uint64_t sum_total, sum_ok;
	int nfailed;                /* workloads whose health says failed (stats/wlhealth.h) */
	int env_err;                /* a pass's load could not run here (-EMFILE...): stop, exit 3 */
	double sum_rps;
	struct profile_workload *w; /* nwork of them */
	struct prog *prog;      /* non-NULL on a terminal */
	volatile sig_atomic_t load_stop; /* the load's stop flag: a signal, or the app's exit */
	volatile sig_atomic_t app_gone;  /* the app exited during the run: nothing more is run */
	int app_code, app_status;        /* its siginfo si_code (CLD_EXITED, CLD_KILLED...) and status */
	bool have_status;                /* --app-cmd (our child); -p gives no status */
	char where[320];                 /* the phase running: "SUITE/WORKLOAD clean pass" */
	const struct rate_shape *shape;  /* the next load's rate shape (cli/shapes.h), or NULL */
	double shape_rate;               /* its rate for the engine's rate mode (> 0 with a shape) */
	double interval_s;               /* the next load's per-interval counts; 0 none */
	int pf_pass;                     /* the next profiled pass samples page faults (1, --page-faults) or
					  * malloc calls (2, --malloc-sample) */
	const struct suite *mix_suite;   /* a mixed suite's workload running (cli/shapes.h), or NULL */
	struct load_req *mix;            /* its requests, mix_suite->n of them */
	cJSON *streaming;                /* the last event-stream pass's figures (cli/shapes.h) */
	char point[64];                  /* a sweep's point running ("concurrency=4"), or "" */
	int point_i;                     /* its index in --sweep's values */
	const struct profile_opts *top;  /* the run's options (c->o is a sweep point's during one) */
};

/* Has the app exited? --app-cmd: our child, seen with waitid(WNOHANG | WNOWAIT), which leaves it
 * a zombie for stop_app to reap (its pid, the group's id, cannot be reused meanwhile), with its
 * exit status; -p: its /proc entry gone or a zombie. Sticky once true. Safe from the watcher thread. */
static bool app_exited(struct ctx *c)
{
	siginfo_t si;

	if (c->app_gone)
		return true;
	if (c->app <= 0)
		return false;
	if (c->started_app) {
		memset(&si, 0, sizeof(si));
		if (waitid(P_PID, c->app, &si, WEXITED | WNOHANG | WNOWAIT) == 0 && si.si_pid == c->app) {
			c->app_code = si.si_code;
			c->app_status = si.si_status;
			c->have_status = true;
			c->app_gone = 1;
		}
	} else if (!procfs_alive("/proc", c->app)) {
		c->app_gone = 1;
	}
	return c->app_gone;
}

/* Stop running workloads: a signal came or the app exited. */
static bool stopping(struct ctx *c)
{
	return signals_pending() || app_exited(c) || c->env_err;
}

/* During a pass: every 50 ms, a signal or the app's exit stops the load (c->load_stop). */
struct watch {
	pthread_t th;
	struct ctx *c;
	volatile int stop;
};

static void *watch_main(void *arg)
{
	struct watch *wt = arg;

	while (!wt->stop) {
		if (stopping(wt->c)) {
			wt->c->load_stop = 1;
			break;
		}
		usleep(50000);
	}
	return NULL;
}

/* One pass of load: its figures (from the load result's struct) and its results object. */
struct pass {
	struct repeat_sample s;
	uint64_t total, ok;
	cJSON *json;
};

/* Seconds of load still to run, from the start of PHASE of the running workload (and sweep point)
 * to the end of the run: the phases left of this point, the points left of this workload, then
 * every workload left, each counted as warmup + ramp-up + clean passes + set-up (1.5 s), plus the
 * profiled and page-fault passes once per workload (a sweep profiles its last point only). */
static double secs_left(const struct ctx *c, const char *phase)
{
	const struct profile_opts *o = c->top; /* a sweep point's own options drop the probes */
	double pass = shape_pass_secs(&o->shape, o->duration);
	double clean = o->single_pass ? 0 : o->repeats * pass;
	double point = o->warmup + o->shape.ramp_up + clean + 1.5;
	double prof = (o->probes || o->single_pass ? o->duration : 0) + (o->shape.page_faults ? o->duration : 0) +
		      (o->shape.malloc_every ? o->duration : 0);
	int npts = c->point[0] ? o->sweep.n : 1, k = 0;
	double left;

	/* the rest of this point: from its phase on */
	if (!strcmp(phase, "profiled pass") || !strcmp(phase, "page-fault pass") || !strcmp(phase, "malloc pass"))
		left = !strcmp(phase, "profiled pass") ? prof : !strcmp(phase, "malloc pass") || !o->shape.malloc_every
								  ? o->duration : 2 * o->duration;
	else {
		left = point + prof * (c->point_i == npts - 1);
		if (!strcmp(phase, "ramp-up"))
			left -= o->warmup;
		else if (sscanf(phase, "clean pass %d", &k) == 1)
			left -= o->warmup + o->shape.ramp_up + (k - 1) * pass;
	}
	if (c->point[0]) /* the points after this one, the last with the profiled pass */
		left += (npts - 1 - c->point_i) * point + (c->point_i < npts - 1 ? prof : 0);
	return left + (c->nwork - c->idx) * (npts * point + prof);
}

static void progress(struct ctx *c, const char *suite, const char *w, const char *phase)
{
	double left = secs_left(c, phase);

	snprintf(c->where, sizeof(c->where), "%s/%s%s%s (%s)", suite, w, c->point[0] ? " " : "", c->point, phase);
	if (!c->prog) { /* off a terminal (CI logs): one line per phase */
		fprintf(stderr, "bindprof: profile: [%d/%d] %s/%s%s%s %s; about %.0f s left\n", c->idx, c->nwork, suite, w,
			c->point[0] ? " " : "", c->point, phase, left);
		return;
	}
	snprintf(c->prog->label, sizeof(c->prog->label), "[%d/%d] %s/%s%s%s %s", c->idx, c->nwork, suite, w,
		 c->point[0] ? " " : "", c->point, phase);
	c->prog->t0 = c->t0;
	c->prog->left = left;
	printf("\r\033[K%s", c->prog->label);
	fflush(stdout);
}

/* A workload's folded stacks: next to the JSON, OUT.SUITE.WORKLOAD.folded (OUT without .json). */
static void folded_path(const char *output, const char *suite, const char *workload, char *buf, size_t len)
{
	size_t n = strlen(output);

	if (n > 5 && !strcmp(output + n - 5, ".json"))
		n -= 5;
	snprintf(buf, len, "%.*s.%s.%s.folded", (int)n, output, suite, workload);
	for (char *c = buf + n + 1; *c; c++)
		if (*c == '/')
			*c = '_';
}

static int run_load(struct ctx *c, const struct workload *w, double secs, struct load_result *r,
		    struct load_progress *lp, bool keep)
{
	const struct profile_opts *o = c->o;
	struct load_opts lo = {
		.connections = o->concurrency,
		.threads = o->threads,
		.duration = secs,
		.rate = o->rate,
		.timeout = 2,
		.method = w->method,
		.headers = (const char *const *)w->headers,
		.nheaders = w->nheaders,
		.body = w->body,
		.body_len = w->body_len,
		.keep_requests = keep,
		.shape = c->shape,
		.interval_s = c->interval_s,
		.mix = c->mix,
		.nmix = c->mix_suite ? c->mix_suite->n : 0,
	};
	char url[4096];
	struct watch wt = { .c = c };
	bool watching;
	int e;

	snprintf(url, sizeof(url), "%s%s", c->base, c->mix ? "/" : w->path); /* a mix: each request its path */
	lo.url = url;
	if (c->shape)
		lo.rate = c->shape_rate;
	else if (o->shape.burst_secs > 0) /* --burst: every other load (the warmup) at its base rate */
		lo.rate = o->shape.burst_base;
	if (c->prog) {
		c->prog->lp.responses = c->prog->lp.errors = 0;
		c->prog->pass_t0 = wall_time();
		c->prog->stop = 0;
		lo.progress = &c->prog->lp;
		pthread_create(&c->prog->th, NULL, prog_main, c->prog);
	} else if (lp) {
		lp->responses = lp->errors = 0;
		lo.progress = lp;
	}
	c->load_stop = stopping(c);
	watching = !pthread_create(&wt.th, NULL, watch_main, &wt);
	if (w->sse) { /* an event stream: its own engine (load/sse.h) */
		cJSON_Delete(c->streaming);
		e = shape_sse_pass(&lo, r, &c->streaming, watching ? &c->load_stop : signals_pending_flag());
	} else if (w->ws) { /* a WebSocket load (load/ws.h) */
		cJSON_Delete(c->streaming);
		e = shape_ws_pass(&lo, w, r, &c->streaming, watching ? &c->load_stop : signals_pending_flag());
	} else {
		e = loadgen_run(&lo, r, watching ? &c->load_stop : signals_pending_flag());
	}
	wt.stop = 1;
	if (watching)
		pthread_join(wt.th, NULL);
	if (c->prog) {
		c->prog->stop = 1;
		pthread_join(c->prog->th, NULL);
	}
	if (!e && app_exited(c)) {
		/* the app died during the pass: its figures are the death's (refusals, resets), not the
		 * app's; the pass is dropped */
		load_result_free(r);
		return -ECHILD;
	}
	return e;
}

/* The figures of a load result, from its struct: requests/s over the completed (answered)
 * requests, as load_result_json counts them; p50 and p99 from its latency histogram. Takes lr. */
static void pass_of(struct load_result *lr, cJSON *doc, struct pass *p)
{
	uint64_t failed = load_failed(lr);

	p->ok = lr->ok;
	p->total = lr->ok + failed;
	p->s.rps = load_completed(lr) / (lr->elapsed > 0 ? lr->elapsed : 1);
	p->s.p50_ms = lr->lat->count ? lh_quantile(lr->lat, 0.5) / 1e6 : 0;
	p->s.p99_ms = lr->lat->count ? lh_quantile(lr->lat, 0.99) / 1e6 : 0;
	p->json = load_result_json(lr, doc);
	load_result_free(lr);
}

/* Steady state of a pass from its 1 s interval throughputs: the load engine's per-interval counts
 * (the requests that ended in each second of the window; cli/shapes.h), else the responses
 * counted every second beside the pass (marks[0] at the start, each interval over its own
 * length); and the trend test of stats/steady.h (more than a 10% change over the pass with a
 * slope CI excluding 0, lag-1 autocorrelation corrected: not-steady). */
static cJSON *steady_json(const struct load_result *lr, double secs, const uint64_t *marks, const uint64_t *mark_ns,
			  int n)
{
	static double iv[STEADY_MAX_INTERVALS];
	struct steady_result st;
	cJSON *o = cJSON_CreateObject(), *a;
	int k = lr ? shape_interval_rates(lr, secs, iv, STEADY_MAX_INTERVALS) : 0;

	for (int i = 1; !k && i < n; i++)
		iv[k++] = marks[i] >= marks[i - 1] && mark_ns[i] > mark_ns[i - 1]
				  ? (double)(marks[i] - marks[i - 1]) / ((mark_ns[i] - mark_ns[i - 1]) / 1e9)
				  : 0;
	steady_check(iv, k, 1.0, 10, 0.95, true, &st);
	cJSON_AddStringToObject(o, "state", steady_name(st.state));
	cJSON_AddStringToObject(o, "reason", st.reason);
	if (isfinite(st.change_pct))
		cJSON_AddNumberToObject(o, "change_percent", st.change_pct);
	else
		cJSON_AddNullToObject(o, "change_percent");
	a = cJSON_AddArrayToObject(o, "intervals_requests_per_sec");
	for (int i = 0; i < k; i++)
		cJSON_AddItemToArray(a, cJSON_CreateNumber(iv[i]));
	return o;
}

/* A clean pass, the app's resources sampled beside it. 0 or the load's negative errno. */
static int clean_pass(struct ctx *c, const struct workload *w, bool first, struct pass *p)
{
	static struct sampler sm;
	struct load_progress lp = { 0 };
	struct hostload_snap hl0, hl1;
	struct load_result lr;
	int e, hl_pids[HOSTLOAD_MAX_PIDS], hl_n;
	bool hl_ok;

	/* the host load beside the pass: the app's tree and bindprof are "own", the rest "others" */
	hl_pids[0] = getpid();
	hl_pids[1] = c->app;
	hl_n = 2 + target_descendants("/proc", c->app, hl_pids + 2, HOSTLOAD_MAX_PIDS - 2);
	hl_ok = !hostload_snap("/proc", hl_pids, hl_n, &hl0);
	memset(&sm, 0, sizeof(sm));
	sm.pid = c->app;
	sm.res = resources__new("/proc");
	sm.lp = c->prog ? &c->prog->lp : &lp;
	pthread_create(&sm.th, NULL, sampler_main, &sm);
	{
		const struct profile_shape_opts *so = &c->o->shape;
		double secs = shape_pass_secs(so, c->o->duration);
		struct rate_shape rs;
		cJSON *iv = NULL, *burst = NULL, *sus = NULL, *mix = NULL, *steady = NULL;

		if (so->burst_secs > 0) { /* 0.1 s sub-intervals: the recovery's resolution */
			shape_burst_rate(so, secs, &rs);
			c->shape = &rs;
			c->shape_rate = so->burst_peak;
		}
		c->interval_s = so->burst_secs > 0 ? 0.1 : 1;
		e = run_load(c, w, secs, &lr, &lp, false);
		c->shape = NULL;
		c->interval_s = 0;
		sm.stop = 1;
		pthread_join(sm.th, NULL);
		if (!e) {
			iv = shape_intervals_json(&lr, &sm.ser, secs);
			if (so->burst_secs > 0)
				burst = shape_burst_json(so, &lr, secs);
			if (so->sustained > 0)
				sus = shape_sustained_json(&lr, &sm.ser, secs);
			if (c->mix_suite)
				mix = shape_mix_json(c->mix_suite, &lr);
			steady = steady_json(&lr, secs, sm.marks, sm.mark_ns, sm.nmarks);
		}
		shape_series_free(&sm.ser);
		if (!e) {
			pass_of(&lr, first ? c->doc : NULL, p);
			cJSON_AddItemToObject(p->json, "intervals", iv);
			if (burst)
				cJSON_AddItemToObject(p->json, "burst", burst);
			if (sus)
				cJSON_AddItemToObject(p->json, "sustained", sus);
			if (mix)
				cJSON_AddItemToObject(p->json, "mix", mix);
			cJSON_AddItemToObject(p->json, "steady", steady);
			if ((w->sse || w->ws) && c->streaming) {
				cJSON_AddItemToObject(p->json, "streaming", c->streaming);
				c->streaming = NULL;
			}
		}
	}
	if (!e) {
		cJSON_AddItemToObject(p->json, "resources", resources__to_json(sm.res));
		if (hl_ok && !hostload_snap("/proc", hl_pids, hl_n, &hl1)) {
			struct hostload hl;

			hostload_between(&hl0, &hl1, sysconf(_SC_CLK_TCK), &hl);
			cJSON_AddItemToObject(p->json, "host_load", hostload_json(&hl, NULL));
		}
	}
	resources__free(sm.res);
	return e;
}

/* ---- the profiled pass: the recording engine in a thread, the load on this one ---- */

struct rec_thread {
	pthread_t th;
	struct recorder *rec;
	volatile sig_atomic_t stop;
};

static void *rec_main(void *arg)
{
	struct rec_thread *rt = arg;

	recorder_run(rt->rec, &rt->stop);
	return NULL;
}

static void recorder_opts_of(const struct ctx *c, const char *folded, struct record_opts *ro)
{
	const struct profile_opts *o = c->o;

	record_opts_defaults(ro);
	ro->pid = c->app;
	ro->keep_requests = true; /* matched with the load's (latency_split_into) */
	ro->probes = o->probes;
	ro->gil_exact = o->gil_method >= 0 ? o->gil_method == 1 : o->probes_all;
	ro->folded = (o->probes & PROBE_BIT(PROBE_STACKS)) ? folded : NULL;
	ro->output = NULL;
	for (int i = 0; i < o->nffi; i++)
		ro->ffi[ro->nffi++] = o->ffi[i];
	if (ro->nffi)
		ro->probes |= PROBE_BIT(PROBE_FFI);
}

static const char *split_epname(const void *ctx, int ep)
{
	return reqtrack__endpoint(ctx, ep);
}

/* The profiled pass's decomposition of the client's latency (load/latsplit.h) into the recorder
 * document's results.profiling.latency_decomposition; null with a warning when the requests probe
 * did not run. */
static void latency_split_into(struct ctx *c, struct recorder *rec, const struct load_result *lr, cJSON *rdoc)
{
	cJSON *prof = cJSON_GetObjectItem(cJSON_GetObjectItem(rdoc, "results"), "profiling"), *dec;
	const struct reqtrack *rt = recorder_requests(rec);
	struct latsplit_in in = {
		.client = lr->reqs,
		.nclient = lr->nreqs,
		.client_dropped = lr->reqs_dropped,
		.epname = split_epname,
		.epctx = rt,
		.exemplars = 5,
	};

	if (!cJSON_IsObject(prof))
		return;
	if (!rt) {
		cJSON_AddNullToObject(prof, "latency_decomposition");
		return;
	}
	in.server = reqtrack__records(rt, &in.nserver, &in.server_dropped);
	in.server_port = ntohs(c->ss.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&c->ss)->sin6_port
							  : ((struct sockaddr_in *)&c->ss)->sin_port);
	dec = latsplit_json(&in);
	if (dec)
		cJSON_AddItemToObject(prof, "latency_decomposition", dec);
	else
		cJSON_AddNullToObject(prof, "latency_decomposition");
}

/* The recorder's document (NULL when it did not start: a warning says why) and, when the load
 * completed, the pass in *p (p->json NULL otherwise). */
static cJSON *profiled_pass(struct ctx *c, const struct suite *s, const struct workload *w, struct pass *p)
{
	struct rec_thread rt = { 0 };
	struct record_opts ro;
	struct load_result lr;
	char folded[4096 + 512], svg[4096 + 512], err[512];
	cJSON *rdoc = NULL;
	int e;

	folded_path(c->o->files_base ? c->o->files_base : c->o->output ? c->o->output : "bindprof-profile.json", s->name,
		    w->name, folded, sizeof(folded));
	if (c->pf_pass) { /* --page-faults, --malloc-sample: the stacks probe alone, on that event */
		size_t n = strlen(folded);

		snprintf(folded + n - 7, sizeof(folded) - n + 7, c->pf_pass == 2 ? ".malloc.folded" : ".page-faults.folded");
	}
	recorder_opts_of(c, folded, &ro);
	if (c->pf_pass) {
		ro.probes = PROBE_BIT(PROBE_STACKS);
		ro.page_faults = c->pf_pass == 1;
		ro.malloc_every = c->pf_pass == 2 ? c->o->shape.malloc_every : 0;
		ro.nffi = 0;
		ro.folded = folded;
	}
	if (ro.folded && strlen(folded) > 7) { /* its flamegraph next to it: OUT.SUITE.WORKLOAD.svg */
		snprintf(svg, sizeof(svg), "%.*s.svg", (int)(strlen(folded) - 7), folded);
		ro.svg = svg;
	}
	if (recorder_open(&ro, &rt.rec, err, sizeof(err)) || recorder_start(rt.rec, err, sizeof(err))) {
		profile_warn(c->doc, "profile", "%s/%s: the recorder did not start: %s", s->name, w->name, err);
		recorder_free(rt.rec);
		return NULL;
	}
	if ((e = -pthread_create(&rt.th, NULL, rec_main, &rt))) {
		profile_warn(c->doc, "profile", "%s/%s: the recorder did not start: %s", s->name, w->name, strerror(-e));
		recorder_free(rt.rec);
		return NULL;
	}
	e = run_load(c, w, c->o->duration, &lr, NULL, true);
	rt.stop = 1;
	pthread_join(rt.th, NULL);
	recorder_stop(rt.rec, 0);
	rdoc = recorder_document(rt.rec);
	if (!e)
		latency_split_into(c, rt.rec, &lr, rdoc);
	recorder_free(rt.rec);
	if (!e)
		pass_of(&lr, NULL, p);
	return rdoc;
}

/* ---- a workload ---- */

/* A profiled pass's recorder warnings (lost events, probes that could not attach...) go into
 * the profile's warnings, each named after its workload and pass, so that no loss is silent. */
static void recorder_warnings_pass(struct ctx *c, const cJSON *rdoc, const struct profile_workload *pw,
				   const char *pass)
{
	const cJSON *w;

	cJSON_ArrayForEach(w, cJSON_GetObjectItem(rdoc, "warnings")) {
		const cJSON *sec = cJSON_GetObjectItem(w, "section"), *msg = cJSON_GetObjectItem(w, "message");

		if (cJSON_IsString(sec) && cJSON_IsString(msg))
			profile_warn(c->doc, sec->valuestring, "%s/%s (%s): %s", pw->suite, pw->name, pass,
				     msg->valuestring);
	}
}

static void recorder_warnings_into(struct ctx *c, const cJSON *rdoc, const struct profile_workload *pw)
{
	recorder_warnings_pass(c, rdoc, pw, "profiled pass");
}

/* The workload's results: the median clean pass's object with the repeats, the profiled pass's
 * throughput and the recorder's sections. Takes the passes' objects. */
static cJSON *workload_results(struct ctx *c, struct pass *clean, int n, struct pass *pp, cJSON *rdoc,
			       struct profile_workload *pw)
{
	cJSON *rr = cJSON_GetObjectItem(rdoc, "results"), *res;
	struct repeats rep;

	pw->samples = calloc(n, sizeof(*pw->samples));
	for (int k = 0; pw->samples && k < n; k++)
		pw->samples[k] = clean[k].s;
	pw->n = pw->samples ? n : 0;
	repeats_build(pw->samples, pw->n, &rep);
	res = clean[rep.pick].json;
	clean[rep.pick].json = NULL;
	cJSON_AddItemToObject(res, "repeats", repeats_json(&rep, pw->samples, false));
	{
		/* each sample's CPU per request, USS, error rate and others' CPU share, for diff */
		cJSON *smp = cJSON_GetObjectItem(cJSON_GetObjectItem(res, "repeats"), "samples"), *x;
		int k = 0;

		cJSON_ArrayForEach(x, smp) {
			if (k < n)
				gate_sample_extras(x, k == rep.pick ? res : clean[k].json);
			k++;
		}
	}
	if (pp->json)
		cJSON_AddItemToObject(res, "profiled_throughput", cJSON_DetachItemFromObject(pp->json, "throughput"));
	else
		cJSON_AddNullToObject(res, "profiled_throughput");
	if (pp->json && rr) {
		cJSON_AddItemToObject(res, "profiling", cJSON_DetachItemFromObject(rr, "profiling"));
		cJSON_AddItemToObject(res, "overhead", cJSON_DetachItemFromObject(rr, "overhead"));
		cJSON_AddItemToObject(res, "lost_events", cJSON_DetachItemFromObject(rr, "lost_events"));
		if (cJSON_GetObjectItem(rr, "lost_by_reason"))
			cJSON_AddItemToObject(res, "lost_by_reason", cJSON_DetachItemFromObject(rr, "lost_by_reason"));
		recorder_warnings_into(c, rdoc, pw);
	} else {
		cJSON_AddNullToObject(res, "profiling");
		cJSON_AddNullToObject(res, "overhead");
		cJSON_AddNumberToObject(res, "lost_events", 0);
	}
	if (!cJSON_GetObjectItem(res, "resources"))
		cJSON_AddNullToObject(res, "resources");
	c->sum_total += clean[rep.pick].total;
	c->sum_ok += clean[rep.pick].ok;
	c->sum_rps += clean[rep.pick].s.rps;
	pw->results = res;
	return res;
}

static cJSON *workload_json(const struct workload *w)
{
	cJSON *wj = cJSON_CreateObject(), *ep;

	cJSON_AddStringToObject(wj, "name", w->name);
	cJSON_AddStringToObject(wj, "category", w->category);
	cJSON_AddNumberToObject(wj, "payload_size_bytes", w->body_len);
	ep = cJSON_AddObjectToObject(wj, "endpoint");
	cJSON_AddStringToObject(ep, "method", w->method);
	cJSON_AddStringToObject(ep, "path", w->path);
	return wj;
}

/* Warmup, clean passes, the profiled pass: the workload's object, results null when no pass
 * completed. One cleanup path for the passes. */
static cJSON *run_workload(struct ctx *c, const struct suite *s, const struct workload *w, struct profile_workload *pw)
{
	const struct profile_opts *o = c->o;
	struct pass *clean = calloc(o->repeats, sizeof(*clean)), pp = { 0 }, pfp = { 0 };
	cJSON *ms = NULL; /* --malloc-sample's stacks section */
	cJSON *wj = workload_json(w), *rdoc = NULL, *ramp = NULL, *pf = NULL;
	struct load_result lr;
	int passes = 0;

	pw->suite = s->name; /* for messages during the run; the document's string replaces it below */
	pw->name = cJSON_GetObjectItem(wj, "name")->valuestring;
	if ((w->sse || w->ws) && (o->rate > 0 || o->shape.burst_secs > 0 || o->shape.ramp_up > 0)) {
		/* a stream's connections run as their engine does (ws echo: one message in flight per
		 * connection, as fast as answered): an unused rate would read as the rate measured at */
		log_warn("profile: %s/%s: a %s workload takes no --rate, --burst or --ramp-up: it ran without them",
			 s->name, w->name, w->ws ? "WebSocket" : "SSE");
		profile_warn(c->doc, "profile", "%s/%s: a %s workload takes no --rate, --burst or --ramp-up: it ran "
			     "without them", s->name, w->name, w->ws ? "WebSocket" : "SSE");
	}
	if (o->warmup > 0 && !stopping(c)) {
		progress(c, s->name, w->name, "warmup");
		if (!run_load(c, w, o->warmup, &lr, NULL, false))
			load_result_free(&lr);
	}
	if (o->shape.ramp_up > 0 && !stopping(c)) { /* --ramp-up: 0 to the rate, before the passes */
		struct rate_shape rs;

		c->shape_rate = o->rate > 0 ? o->rate : o->shape.burst_base;
		shape_ramp_rate(&o->shape, c->shape_rate, &rs);
		c->shape = &rs;
		progress(c, s->name, w->name, "ramp-up");
		if (!run_load(c, w, o->shape.ramp_up, &lr, NULL, false)) {
			ramp = shape_ramp_json(&o->shape, c->shape_rate, &lr);
			load_result_free(&lr);
		}
		c->shape = NULL;
	}
	for (int k = 0; clean && !o->single_pass && k < o->repeats && !stopping(c); k++) {
		const cJSON *warns = cJSON_GetObjectItem(c->doc, "warnings");
		int n0 = cJSON_GetArraySize(warns), i = 0;
		cJSON *wn;
		char ph[48];

		snprintf(ph, sizeof(ph), "clean pass %d/%d", k + 1, o->repeats);
		progress(c, s->name, w->name, ph);
		int e = clean_pass(c, w, k == 0, &clean[k]);
		/* the load's own warnings (generator, errors) name their workload */
		cJSON_ArrayForEach(wn, (cJSON *)warns) {
			cJSON *m = cJSON_GetObjectItem(wn, "message");
			char buf[1400];

			if (i++ < n0 || !cJSON_IsString(m))
				continue;
			snprintf(buf, sizeof(buf), "%s/%s: %s", s->name, w->name, m->valuestring);
			cJSON_ReplaceItemInObject(wn, "message", cJSON_CreateString(buf));
		}
		if (e == -EMFILE || e == -ENFILE || e == -ENOMEM || e == -EAGAIN) {
			/* the machine's limits, not the app: no other workload would run either */
			c->env_err = e;
			profile_warn(c->doc, "profile", "%s/%s: the load could not run: %s; no further workload was run",
				     s->name, w->name, strerror(-e));
		}
		if (e)
			break;
		passes++;
	}
	if (o->probes && !stopping(c)) {
		progress(c, s->name, w->name, "profiled pass");
		rdoc = profiled_pass(c, s, w, &pp);
	}
	for (int kind = 1; kind <= 2 && !stopping(c); kind++) { /* --page-faults, then --malloc-sample */
		cJSON *pdoc, *x;

		if (kind == 1 ? !o->shape.page_faults : !o->shape.malloc_every)
			continue;
		progress(c, s->name, w->name, kind == 1 ? "page-fault pass" : "malloc pass");
		c->pf_pass = kind;
		pdoc = profiled_pass(c, s, w, &pfp);
		c->pf_pass = 0;
		/* its losses (a full ring buffer at 1 malloc in 1...) are warned as the profiled pass's */
		recorder_warnings_pass(c, pdoc, pw, kind == 1 ? "page-fault pass" : "malloc pass");
		x = cJSON_DetachItemViaPointer(pdoc, (cJSON *)profile_get(pdoc, "results.profiling.stacks"));
		cJSON_Delete(pdoc);
		if (x) /* the pass's requests: faults (or sampled calls) per request; null when its load
			* did not complete (the app died in it): not 0 requests */
			cJSON_AddItemToObject(x, "requests", pfp.json ? cJSON_CreateNumber((double)pfp.total)
								  : cJSON_CreateNull());
		cJSON_Delete(pfp.json);
		pfp = (struct pass){ 0 };
		*(kind == 1 ? &pf : &ms) = x;
	}
	if (clean && o->single_pass && pp.json) {
		clean[0] = pp;
		clean[0].json = cJSON_Duplicate(pp.json, true);
		passes = 1;
	}
	if (passes) {
		cJSON *res = workload_results(c, clean, passes, &pp, rdoc, pw);
		struct wl_health h;

		cJSON_AddItemToObject(wj, "results", res);
		if (ramp)
			cJSON_AddItemToObject(res, "ramp_up", ramp);
		if (pf)
			cJSON_AddItemToObject(res, "page_faults", pf);
		if (ms)
			cJSON_AddItemToObject(res, "malloc_sites", ms);
		ramp = pf = ms = NULL;
		/* a failed workload (success below 99%, mostly 4xx/5xx, nothing answered): named, with its
		 * status classes, and left out of the summary's averages */
		if (!wl_health_of(res, 0, &h)) {
			cJSON_AddItemToObject(res, "health", wl_health_json(&h));
			if (h.failed) {
				profile_warn(c->doc, "profile", "%s/%s failed: %s", s->name, w->name, h.reason);
				c->nfailed++;
				if (cJSON_IsNumber(profile_get(res, "throughput.requests_per_sec")))
					c->sum_rps -= profile_get(res, "throughput.requests_per_sec")->valuedouble;
			}
		}
	} else {
		cJSON_AddNullToObject(wj, "results");
		profile_warn(c->doc, "profile", "%s/%s: no pass completed", s->name, w->name);
	}
	for (int k = 0; clean && k < o->repeats; k++)
		cJSON_Delete(clean[k].json);
	cJSON_Delete(pp.json);
	cJSON_Delete(pfp.json);
	cJSON_Delete(ramp);
	cJSON_Delete(pf);
	cJSON_Delete(ms);
	cJSON_Delete(rdoc);
	free(clean);
	return wj;
}

/* --sweep: the workload run once per point (its warmup, clean passes, and the profiled pass at the
 * last point only), with the point's concurrency, rate or JSON body of the point's size. Every
 * point's results go to the workload's "sweep" object with the scaling analysis
 * (cli/scenarios.h); the workload's own results are the last point's. The summary counts every
 * point's requests, the last point's throughput, and the workload as failed only when every point
 * failed (a heavy point failing is what a sweep looks for). */
static cJSON *sweep_workload(struct ctx *c, const struct suite *s, const struct workload *w,
			     struct profile_workload *pw)
{
	const struct profile_opts *o = c->o;
	const struct sweep_spec *sp = &o->sweep;
	cJSON *wj = NULL, *sw, *points = cJSON_CreateArray(), *vals;
	double rps0 = c->sum_rps, rps_last = 0;
	int nfailed0 = c->nfailed, failed = 0, done = 0;

	for (int i = 0; i < sp->n && !stopping(c); i++) {
		struct profile_opts po = *o;
		struct workload pt = *w;
		const cJSON *warns = cJSON_GetObjectItem(c->doc, "warnings"), *res;
		int n0 = cJSON_GetArraySize(warns), k = 0, nf = c->nfailed;
		double r0 = c->sum_rps;
		cJSON *pj, *wn;

		if (i < sp->n - 1 && !o->single_pass)
			po.probes = 0; /* the profiled pass at the last point only (--single-pass: every point's
					* one pass is a profiled one) */
		if (sp->var == SWEEP_CONCURRENCY) {
			po.concurrency = (int)sp->v[i];
			po.threads = o->threads < po.concurrency ? o->threads : po.concurrency;
		} else if (sp->var == SWEEP_RATE) {
			po.rate = sp->v[i];
		} else {
			pt.body_len = (size_t)sp->v[i];
			pt.body = sweep_json_body(pt.body_len);
			if (!pt.body) {
				profile_warn(c->doc, "sweep", "%s/%s: out of memory for a %zu B body", s->name, w->name,
					     pt.body_len);
				break;
			}
		}
		snprintf(c->point, sizeof(c->point), "%s=%g", sweep_var_name(sp->var), sp->v[i]);
		c->point_i = i;
		if (pw->samples) {
			free(pw->samples);
			pw->samples = NULL;
		}
		cJSON_Delete(wj);
		c->o = &po;
		wj = run_workload(c, s, &pt, pw);
		c->o = o;
		if (sp->var == SWEEP_PAYLOAD)
			free(pt.body);
		/* the point's warnings name it */
		cJSON_ArrayForEach(wn, (cJSON *)warns) {
			cJSON *m = cJSON_GetObjectItem(wn, "message");
			char buf[1500];

			if (k++ < n0 || !cJSON_IsString(m))
				continue;
			snprintf(buf, sizeof(buf), "[%s] %s", c->point, m->valuestring);
			cJSON_ReplaceItemInObject(wn, "message", cJSON_CreateString(buf));
		}
		res = cJSON_GetObjectItem(wj, "results");
		pj = cJSON_CreateObject();
		cJSON_AddNumberToObject(pj, "value", sp->v[i]);
		cJSON_AddItemToObject(pj, "results", cJSON_Duplicate(res, true));
		cJSON_AddItemToArray(points, pj);
		failed += c->nfailed > nf;
		done++;
		rps_last = c->sum_rps - r0;
	}
	c->point[0] = '\0';
	c->sum_rps = rps0 + rps_last;
	c->nfailed = nfailed0 + (done && failed == done);
	if (!wj) { /* interrupted before the first point */
		wj = workload_json(w);
		cJSON_AddNullToObject(wj, "results");
	}
	sw = cJSON_AddObjectToObject(wj, "sweep");
	cJSON_AddStringToObject(sw, "variable", sweep_var_name(sp->var));
	cJSON_AddStringToObject(sw, "unit", sp->var == SWEEP_CONCURRENCY ? "connections"
					    : sp->var == SWEEP_RATE	 ? "requests/s"
									 : "bytes");
	vals = cJSON_AddArrayToObject(sw, "values");
	for (int i = 0; i < sp->n; i++)
		cJSON_AddItemToArray(vals, cJSON_CreateNumber(sp->v[i]));
	cJSON_AddItemToObject(sw, "points", points);
	cJSON_AddItemToObject(sw, "analysis", sweep_analysis_json(sp->var, points, o->p99_target_ms));
	return wj;
}

static void run_suites(struct ctx *c)
{
	for (int si = 0; si < c->set.n && !stopping(c); si++) {
		struct suite *s = &c->set.s[si];
		cJSON *sj = cJSON_CreateObject(), *wa;

		cJSON_AddStringToObject(sj, "name", s->name);
		if (s->description)
			cJSON_AddStringToObject(sj, "description", s->description);
		wa = cJSON_AddArrayToObject(sj, "workloads");
		if (s->mixed) { /* one pass of every workload, mixed by weight */
			struct profile_workload *pw = &c->w[c->idx++];
			struct workload mw;

			cJSON_AddStringToObject(sj, "mode", "mixed");
			if (!stopping(c) && !shape_mix_of(s, &mw, &c->mix)) {
				c->mix_suite = s;
				cJSON_AddItemToArray(wa, c->o->sweep.var ? sweep_workload(c, s, &mw, pw)
									 : run_workload(c, s, &mw, pw));
				pw->suite = cJSON_GetObjectItem(sj, "name")->valuestring;
				c->mix_suite = NULL;
			}
			free(c->mix);
			c->mix = NULL;
			cJSON_AddItemToArray(c->suites_arr, sj);
			continue;
		}
		for (int wi = 0; wi < s->n && !stopping(c); wi++) {
			struct profile_workload *pw = &c->w[c->idx++];

			cJSON_AddItemToArray(wa, c->o->sweep.var ? sweep_workload(c, s, &s->w[wi], pw)
								  : run_workload(c, s, &s->w[wi], pw));
			pw->suite = cJSON_GetObjectItem(sj, "name")->valuestring;
		}
		cJSON_AddItemToArray(c->suites_arr, sj);
	}
}

/* ---- the app ---- */

/* The shell line for CMD. A simple command is exec'd, so that the app's pid is the shell's: "exec
 * CMD", or "exec env CMD" when CMD starts with NAME=value assignments (which the exec builtin
 * does not take). A list or pipeline (; & | or a newline outside quotes) runs as it is, the app a
 * child of the shell, which ends with it. */
static bool shell_list(const char *cmd)
{
	char q = 0;

	for (const char *c = cmd; *c; c++) {
		if (q) { /* inside quotes: only the closing one matters ('\\' escapes in "...") */
			if (*c == '\\' && q == '"' && c[1])
				c++;
			else if (*c == q)
				q = 0;
		} else if (*c == '\\' && c[1]) {
			c++;
		} else if (*c == '\'' || *c == '"') {
			q = *c;
		} else if (strchr(";&|\n", *c)) {
			return true;
		}
	}
	return false;
}

static void app_shell_line(const char *cmd, char *line, size_t len)
{
	size_t n = strspn(cmd, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_");

	if (shell_list(cmd))
		snprintf(line, len, "%s", cmd);
	else if (n > 0 && cmd[n] == '=' && !(cmd[0] >= '0' && cmd[0] <= '9'))
		snprintf(line, len, "exec env %s", cmd);
	else
		snprintf(line, len, "exec %s", cmd);
}

/* /bin/sh -c LINE (app_shell_line) in its own process group, in app_dir with PORT set when asked,
 * its output to the log. It gets SIGTERM if this thread dies (PR_SET_PDEATHSIG), and the guardian
 * kills its group however bindprof ends. The pid, or a negative errno. */
static int start_app(const struct profile_opts *o, const char *log_path)
{
	char line[8192];
	int pid;

	app_shell_line(o->app_cmd, line, sizeof(line));
	prctl(PR_SET_CHILD_SUBREAPER, 1); /* the app's orphans stay in this session: see target_spawn_held */
	pid = fork();
	if (pid < 0)
		return -errno;
	if (pid == 0) {
		int fd = open(log_path, O_WRONLY | O_CREAT | O_CLOEXEC | (o->app_log ? O_APPEND : O_TRUNC), 0644);
		char port[16];

		setpgid(0, 0);
		prctl(PR_SET_PDEATHSIG, SIGTERM, 0, 0, 0);
		if (fd >= 0) {
			dup2(fd, 1);
			dup2(fd, 2);
		}
		signal(SIGINT, SIG_DFL);
		signal(SIGTERM, SIG_DFL);
		if (o->app_dir && chdir(o->app_dir)) {
			fprintf(stderr, "profile: cannot enter %s: %s\n", o->app_dir, strerror(errno));
			_exit(EXIT_BADINPUT);
		}
		if (o->app_port > 0) {
			snprintf(port, sizeof(port), "%d", o->app_port);
			setenv("PORT", port, 1);
		}
		execl("/bin/sh", "sh", "-c", line, (char *)NULL);
		_exit(127);
	}
	setpgid(pid, pid);
	guardian_kill_group_on_exit(pid);
	return pid;
}

/* SIGTERM to the app's group, SIGKILL after 5 s; then SIGKILL to what the app left in its group,
 * while the leader is a zombie (not yet reaped: its pid, the group's id, cannot be reused). */
static void stop_app(int pid)
{
	siginfo_t si;
	int st;

	kill(-pid, SIGTERM);
	for (int i = 0; i < 50; i++) {
		si.si_pid = 0;
		if (waitid(P_PID, pid, &si, WEXITED | WNOHANG | WNOWAIT) == 0 && si.si_pid == pid)
			break;
		usleep(100000);
	}
	kill(-pid, SIGKILL);
	waitpid(pid, &st, 0);
	guardian_forget(pid);
}

/* Until URL answers: EXIT_OK, or EXIT_TARGET (message logged), or -1 when a signal came. */
static int wait_ready(struct ctx *c)
{
	const struct profile_opts *o = c->o;
	uint64_t t0 = now_ns();

	/* the time waited by the clock: a try can take its 2 s timeouts (a health path that never
	 * answers, a connect to a full backlog), not the 0.1 s nap alone */
	for (double waited = 0;; waited = (now_ns() - t0) / 1e9) {
		if (app_ready(&c->ss, c->sslen, o->health_path))
			return EXIT_OK;
		if (signals_pending())
			return -1;
		if (waited >= o->ready_timeout || !procfs_alive("/proc", c->app)) {
			bool alive = procfs_alive("/proc", c->app);

			/* the time waited, not --ready-timeout, when the app exited before it */
			log_err("profile: the app never became ready: %s%s did not %s within %.1f s%s", c->base,
				o->health_path ? o->health_path : "", o->health_path ? "answer 2xx/3xx" : "accept connections",
				alive ? o->ready_timeout : waited, alive ? "" : " (it exited; see its log)");
			return EXIT_TARGET;
		}
		usleep(100000);
	}
}

/* ---- the document ---- */

static cJSON *config_json(const struct ctx *c)
{
	const struct profile_opts *o = c->o;
	cJSON *cfg = cJSON_CreateObject(), *pa;

	cJSON_AddNumberToObject(cfg, "duration_secs", o->duration);
	cJSON_AddNumberToObject(cfg, "warmup_secs", o->warmup);
	cJSON_AddNumberToObject(cfg, "concurrency", o->concurrency);
	cJSON_AddNumberToObject(cfg, "threads", o->threads);
	if (o->rate > 0)
		cJSON_AddNumberToObject(cfg, "rate", o->rate);
	else
		cJSON_AddNullToObject(cfg, "rate");
	cJSON_AddNumberToObject(cfg, "repeats", o->repeats);
	cJSON_AddBoolToObject(cfg, "single_pass", o->single_pass);
	if (o->shape.ramp_up > 0)
		cJSON_AddNumberToObject(cfg, "ramp_up_secs", o->shape.ramp_up);
	if (o->shape.burst_secs > 0) {
		cJSON *b = cJSON_AddObjectToObject(cfg, "burst");

		cJSON_AddNumberToObject(b, "base_rps", o->shape.burst_base);
		cJSON_AddNumberToObject(b, "peak_rps", o->shape.burst_peak);
		cJSON_AddNumberToObject(b, "secs", o->shape.burst_secs);
	}
	if (o->shape.sustained > 0)
		cJSON_AddNumberToObject(cfg, "sustained_secs", o->shape.sustained);
	if (o->shape.page_faults)
		cJSON_AddBoolToObject(cfg, "page_faults", true);
	if (o->shape.malloc_every)
		cJSON_AddNumberToObject(cfg, "malloc_sample", o->shape.malloc_every);
	cJSON_AddStringToObject(cfg, "url", c->base);
	cJSON_AddStringToObject(cfg, "suite", o->suite);
	if (o->workload)
		cJSON_AddStringToObject(cfg, "workload", o->workload);
	cJSON_AddBoolToObject(cfg, "quick", o->quick);
	if (o->sweep.var) {
		cJSON *sw = cJSON_AddObjectToObject(cfg, "sweep"), *v;

		cJSON_AddStringToObject(sw, "variable", sweep_var_name(o->sweep.var));
		v = cJSON_AddArrayToObject(sw, "values");
		for (int i = 0; i < o->sweep.n; i++)
			cJSON_AddItemToArray(v, cJSON_CreateNumber(o->sweep.v[i]));
		if (o->p99_target_ms > 0)
			cJSON_AddNumberToObject(sw, "p99_target_ms", o->p99_target_ms);
	}
	if (o->health_path)
		cJSON_AddStringToObject(cfg, "health_path", o->health_path);
	pa = cJSON_AddArrayToObject(cfg, "probes");
	for (int p = 0; p < PROBE_COUNT; p++)
		if ((o->probes | (o->nffi && o->probes ? PROBE_BIT(PROBE_FFI) : 0)) & PROBE_BIT(p))
			cJSON_AddItemToArray(pa, cJSON_CreateString(probe_name(p)));
	return cfg;
}

static cJSON *summary_json(const struct ctx *c)
{
	cJSON *sum = cJSON_CreateObject();
	int done = 0;

	for (int i = 0; i < c->nwork; i++)
		done += c->w[i].results != NULL;
	cJSON_AddNumberToObject(sum, "total_workloads", done);
	cJSON_AddNumberToObject(sum, "total_requests", c->sum_total);
	cJSON_AddNumberToObject(sum, "overall_success_rate", c->sum_total ? (double)c->sum_ok / c->sum_total : 0);
	cJSON_AddNumberToObject(sum, "avg_requests_per_sec", done > c->nfailed ? c->sum_rps / (done - c->nfailed) : 0);
	cJSON_AddNumberToObject(sum, "failed_workloads", c->nfailed);
	cJSON_AddNumberToObject(sum, "total_duration_secs", wall_time() - c->t0);
	return sum;
}

static void add_baseline(struct ctx *c)
{
	char err[512];
	cJSON *bdoc = profile_read(c->o->baseline, err, sizeof(err)), *cmp;

	if (!bdoc) {
		profile_warn(c->doc, "comparison", "--baseline: %s", err);
		return;
	}
	cmp = cJSON_AddObjectToObject(c->doc, "comparison");
	cJSON_AddStringToObject(cmp, "baseline", c->o->baseline);
	cJSON_AddItemToObject(cmp, "workloads", diff_ratios(bdoc, c->doc));
	cJSON_Delete(bdoc);
}

static double num_at(const cJSON *o, const char *path)
{
	const cJSON *v = profile_get(o, path);

	return cJSON_IsNumber(v) ? v->valuedouble : 0;
}

/* A figure at path in fmt, or "-" when the document has none (null: not measured, never 0). */
static const char *cell_fig(const cJSON *o, const char *path, const char *fmt, char *buf, size_t len)
{
	const cJSON *v = profile_get(o, path);

	if (cJSON_IsNumber(v))
		snprintf(buf, len, fmt, v->valuedouble);
	else
		snprintf(buf, len, "-");
	return buf;
}

/* The workloads' table (output/table: columns sized to content), with the --baseline ratio when
 * there is one. */
static void print_table(const struct ctx *c)
{
	static const char *const hdr[] = { "workload", "req/s", "p50 ms", "p99 ms", "errors", "profiled r/s",
					   "gil wait ms (sum over threads)", "vs baseline" };
	const cJSON *ratios = profile_get(c->doc, "comparison.workloads");
	struct table t;

	table_init(&t, ratios ? 8 : 7, hdr, "lrrrrrrr");
	for (int i = 0; i < c->nwork; i++) {
		const struct profile_workload *pw = &c->w[i];
		const cJSON *r = pw->results, *e;
		char label[256], b[7][48];
		const char *cells[8];

		if (!r)
			continue;
		snprintf(label, sizeof(label), "%s/%s", pw->suite, pw->name);
		cells[0] = label;
		cells[1] = cell_fig(r, "throughput.requests_per_sec", "%.1f", b[0], sizeof(b[0]));
		cells[2] = cell_fig(r, "latency.median_ms", "%.3f", b[1], sizeof(b[1]));
		cells[3] = cell_fig(r, "latency.p99_ms", "%.3f", b[2], sizeof(b[2]));
		cells[4] = cell_fig(r, "throughput.failed_requests", "%.0f", b[3], sizeof(b[3]));
		cells[5] = cell_fig(r, "profiled_throughput.requests_per_sec", "%.1f", b[4], sizeof(b[4]));
		cells[6] = cell_fig(r, "profiling.gil.wait_ms_total", "%.1f", b[5], sizeof(b[5]));
		cells[7] = "-";
		cJSON_ArrayForEach(e, ratios)
			if (!strcmp(json_str_or(e, "suite", ""), pw->suite) && !strcmp(json_str_or(e, "workload", ""), pw->name))
				cells[7] = cell_fig(e, "ratio", "%.3f", b[6], sizeof(b[6]));
		table_add(&t, cells);
	}
	table_print(&t, stdout, false, "");
	table_free(&t);
}

/* ---- the run ---- */

/* Input checks and the app: EXIT_OK with the app ready, or a status (-1: a signal came). */
static int prepare(struct ctx *c, char *app_log, size_t len)
{
	const struct profile_opts *o = c->o;
	char err[512];
	struct url u;
	int ret;

	if (url_parse(o->url, &u, err, sizeof(err)) || url_resolve_loopback(&u, &c->ss, &c->sslen, err, sizeof(err)) ||
	    suites_load(o->suite, &c->set, err, sizeof(err))) {
		log_err("profile: %s", err);
		return EXIT_BADINPUT;
	}
	c->have_set = true;
	if ((o->workload && suites_keep(&c->set, o->workload, 0, "--workload", err, sizeof(err))) ||
	    (o->sweep.var == SWEEP_PAYLOAD && suites_keep(&c->set, NULL, 1, "--sweep payload", err, sizeof(err)))) {
		log_err("profile: %s", err);
		return EXIT_BADINPUT;
	}
	snprintf(c->base, sizeof(c->base), "http://%s%s%s:%d", strchr(u.host, ':') ? "[" : "", u.host,
		 strchr(u.host, ':') ? "]" : "", u.port);
	for (int s = 0; s < c->set.n; s++) {
		if (c->set.s[s].mixed && o->sweep.var == SWEEP_PAYLOAD) {
			log_err("profile: --sweep payload: the mixed suite '%s' has no one body to size (give suites "
				"that are not mixed)", c->set.s[s].name);
			return EXIT_BADINPUT;
		}
		c->nwork += c->set.s[s].mixed ? 1 : c->set.s[s].n;
	}
	c->w = calloc(c->nwork ? c->nwork : 1, sizeof(*c->w));
	if (!c->w)
		return EXIT_ENV;
	if ((o->probes || o->shape.page_faults || o->shape.malloc_every) && env_check_privileges(err, sizeof(err))) {
		log_err("%s", err);
		return EXIT_ENV;
	}
	if (o->pid && !procfs_alive("/proc", o->pid)) {
		log_err("profile: -p: no such process: %d", o->pid);
		return EXIT_BADINPUT;
	}
	if (o->app_log)
		snprintf(app_log, len, "%s", o->app_log);
	else if (o->output)
		snprintf(app_log, len, "%s.app.log", o->output);
	else
		snprintf(app_log, len, "/dev/null");
	signals_install();
	guardian_start(); /* a no-op when the caller started it */
	if (o->probes || o->shape.page_faults || o->shape.malloc_every)
		log_setup_libbpf();
	c->app = o->pid ? o->pid : start_app(o, app_log);
	if (c->app < 0) {
		log_err("profile: cannot start the app: %s", strerror(-c->app));
		c->app = 0;
		return EXIT_TARGET;
	}
	c->started_app = !o->pid;
	if ((ret = wait_ready(c)))
		return ret;
	c->tgt.pid = c->app;
	procfs_read_exe("/proc", c->app, c->tgt.exe, sizeof(c->tgt.exe));
	procfs_read_cmdline("/proc", c->app, c->tgt.cmdline, sizeof(c->tgt.cmdline));
	c->tgt.have_rt = !runtime_detect_pid("/proc", c->app, &c->tgt.rt);
	return EXIT_OK;
}

/* The document, whole: metadata, configuration, suites, summary, comparison. */
static void finish_doc(struct ctx *c)
{
	const struct profile_opts *o = c->o;

	if (signals_pending())
		profile_set_partial(c->doc, "interrupted");
	else if (c->app_gone) {
		profile_set_partial(c->doc, "target_exited");
		profile_warn(c->doc, "profile", "the app (pid %d) exited during %s: no further workload was run", c->app,
			     c->where[0] ? c->where : "the run");
	}
	cJSON_AddItemToObject(c->doc, "metadata", metadata_to_json(&c->tgt, o->framework));
	cJSON_AddItemToObject(c->doc, "configuration", config_json(c));
	cJSON_AddItemToObject(c->doc, "suites", c->suites_arr);
	c->suites_arr = NULL;
	cJSON_AddItemToObject(c->doc, "summary", summary_json(c));
	if (o->baseline)
		add_baseline(c);
}

static int report(struct ctx *c)
{
	const struct profile_opts *o = c->o;
	int e, ret = EXIT_OK;
	bool written = o->output != NULL;

	if (o->output && (e = profile_write(c->doc, o->output))) {
		log_err("profile: writing '%s': %s", o->output, strerror(-e));
		ret = exit_of_write_error(e); /* a full disk: 3 */
		written = false;
	}
	if (o->html) {
		char err[1024];

		struct history_points ps;
		int h = history_trend_load(o->history, &ps, err, sizeof(err));

		if (h < 0) { /* the page without the trend: the run's results are kept */
			log_warn("profile: --history: %s: the page has no trend", err);
			ret = EXIT_BADINPUT;
		}
		if ((e = html_report_write_trend(c->doc, o->output ? o->output : "profile", NULL, o->html,
						 h > 0 ? &ps : NULL, o->history ? o->history : DB_DEFAULT_PATH, 20, err,
						 sizeof(err)))) {
			log_err("profile: --html: %s", err);
			ret = EXIT_BADINPUT;
		}
		history_points_free(&ps);
	}
	if (o->pprof || o->speedscope) {
		char err[1024];

		if ((e = export_doc(c->doc, NULL, o->pprof, o->speedscope, err, sizeof(err)))) {
			log_err("profile: export: %s", err);
			ret = EXIT_BADINPUT;
		}
	}
	if (o->quiet)
		return ret;
	if (o->table || isatty(1))
		print_table(c);
	for (int i = 0; i < c->nwork; i++) { /* the load shapes' verdicts (cli/shapes.h) */
		char t[300];

		snprintf(t, sizeof(t), "%s/%s", c->w[i].suite, c->w[i].name);
		shape_print(stdout, t, c->w[i].results);
	}
	{ /* --sweep: each swept workload's points and analysis */
		const cJSON *su, *wk;

		cJSON_ArrayForEach(su, cJSON_GetObjectItem(c->doc, "suites"))
			cJSON_ArrayForEach(wk, cJSON_GetObjectItem(su, "workloads"))
				if (cJSON_IsObject(cJSON_GetObjectItem(wk, "sweep"))) {
					char l[300];

					snprintf(l, sizeof(l), "%s/%s", json_str_or(su, "name", "-"), json_str_or(wk, "name", "-"));
					sweep_print_summary(stdout, l, cJSON_GetObjectItem(wk, "sweep"));
				}
	}
	for (int i = 0; i < c->nwork; i++) /* the net probe's diagnoses, per workload */
		if (cJSON_GetArraySize(profile_get(c->w[i].results, "profiling.diagnoses"))) {
			char t[300];

			snprintf(t, sizeof(t), "diagnoses of %s/%s:", c->w[i].suite, c->w[i].name);
			net_print_diagnoses(stdout, profile_get(c->w[i].results, "profiling"), t);
		}
	for (int i = 0; i < c->nwork; i++) { /* where the client's time went, per workload */
		char t[300];

		snprintf(t, sizeof(t), "where the client's time went in %s/%s:", c->w[i].suite, c->w[i].name);
		latsplit_print(stdout, profile_get(c->w[i].results, "profiling.latency_decomposition"), t);
	}
	printf("bindprof profile: %d workloads, %.0f requests, %s %s\n", (int)num_at(c->doc, "summary.total_workloads"),
	       num_at(c->doc, "summary.total_requests"), written || !o->output ? "wrote" : "could not write",
	       o->output ? o->output : "nothing");
	return ret;
}

static void free_workloads(struct profile_workload *w, int n)
{
	for (int i = 0; w && i < n; i++)
		free(w[i].samples);
	free(w);
}

/* One line naming the app's exit status, when, and its log; then the log's last lines. */
static void report_app_exit(const struct ctx *c, const char *app_log)
{
	char how[64], tail[2049];
	bool ours = !c->o->pid, log_kept = ours && strcmp(app_log, "/dev/null");
	FILE *f;

	if (!c->have_status)
		snprintf(how, sizeof(how), "exited");
	else if (c->app_code == CLD_EXITED)
		snprintf(how, sizeof(how), "exited with status %d", c->app_status);
	else
		snprintf(how, sizeof(how), "was killed by signal %d (%s)", c->app_status, strsignal(c->app_status));
	log_err("profile: the app (pid %d) %s during %s; no further workload was run (the file is partial, "
		"target_exited)%s%s", c->app, how, c->where[0] ? c->where : "the run",
		log_kept ? "; its log: " : ours ? "; its output was not kept (-o or --app-log keep it)" : "",
		log_kept ? app_log : "");
	if (!log_kept || !(f = fopen(app_log, "r")))
		return;
	if (!fseek(f, 0, SEEK_END)) {
		long end = ftell(f), from = end > 2048 ? end - 2048 : 0;
		size_t n;
		int lines = 0;
		char *p;

		fseek(f, from, SEEK_SET);
		n = fread(tail, 1, sizeof(tail) - 1, f);
		tail[n] = '\0';
		while (n && tail[n - 1] == '\n')
			tail[--n] = '\0';
		for (p = tail + n; p > tail; p--)
			if (p[-1] == '\n' && ++lines == 5)
				break;
		if (*p) {
			fprintf(stderr, "  the log's last lines:\n");
			for (char *l = strtok(p, "\n"); l; l = strtok(NULL, "\n"))
				fprintf(stderr, "  | %s\n", l);
		}
	}
	fclose(f);
}

int profile_run(const struct profile_opts *o, struct profile_result *res)
{
	struct ctx c = { .o = o, .top = o, .t0 = wall_time() };
	char app_log[4096 + 16];
	int ret;

	if (res)
		memset(res, 0, sizeof(*res));
	if ((ret = prepare(&c, app_log, sizeof(app_log)))) {
		if (ret > 0)
			goto out;
		/* interrupted before the app was ready: nothing measured, the document says so */
	}
	if (isatty(1) && !o->quiet && !ret)
		c.prog = calloc(1, sizeof(*c.prog));
	c.doc = profile_new("profile");
	c.suites_arr = cJSON_CreateArray();
	if (o->single_pass)
		profile_warn(c.doc, "profile", "--single-pass: throughput and latency were measured with the probes "
			     "attached, so they include the probes' cost");
	if (!ret)
		run_suites(&c);
	else
		profile_warn(c.doc, "profile", "interrupted while the app was starting: nothing was measured");
	if (c.prog)
		printf("\r\033[K");
	if (c.started_app) {
		stop_app(c.app);
		c.started_app = false;
	}
	finish_doc(&c);
	ret = report(&c);
	if (ret == EXIT_OK && signals_pending()) {
		if (!o->quiet)
			log_err("profile: interrupted: %s holds what was measured (partial, interrupted)",
				o->output ? o->output : "the document");
		ret = EXIT_INTERRUPTED;
	} else if (ret == EXIT_OK && c.app_gone) {
		report_app_exit(&c, app_log);
		ret = EXIT_TARGET;
	} else if (ret == EXIT_OK && c.env_err) {
		if (c.env_err != -EMFILE) /* the load named ulimit -n already */
			log_err("profile: the load could not run: %s; %s holds the workloads before it", strerror(-c.env_err),
				o->output ? o->output : "the document");
		ret = EXIT_ENV;
	} else if (ret == EXIT_OK && c.nfailed && !o->allow_errors) {
		const cJSON *wn;

		/* each failed workload's reason (its warning), so that a CI log says why */
		cJSON_ArrayForEach(wn, cJSON_GetObjectItem(c.doc, "warnings")) {
			const cJSON *sec = cJSON_GetObjectItem(wn, "section"), *m = cJSON_GetObjectItem(wn, "message");

			if (cJSON_IsString(sec) && !strcmp(sec->valuestring, "profile") && cJSON_IsString(m) &&
			    strstr(m->valuestring, " failed: "))
				log_err("profile: %s", m->valuestring);
		}
		log_err("profile: %d workload(s) failed (see the warnings); --allow-errors to exit 0", c.nfailed);
		ret = EXIT_TARGET;
	}
	if (res) {
		res->doc = c.doc;
		res->w = c.w;
		res->nw = c.nwork;
		c.doc = NULL;
		c.w = NULL;
	}
out:
	if (c.started_app)
		stop_app(c.app);
	cJSON_Delete(c.suites_arr);
	cJSON_Delete(c.streaming);
	cJSON_Delete(c.doc);
	free_workloads(c.w, c.nwork);
	free(c.prog);
	if (c.have_set)
		suites_free(&c.set);
	return ret;
}

void profile_result_free(struct profile_result *res)
{
	if (!res)
		return;
	cJSON_Delete(res->doc);
	free_workloads(res->w, res->nw);
	memset(res, 0, sizeof(*res));
}

int cmd_profile(int argc, char **argv)
{
	struct profile_opts o;
	char err[512];
	int ret;

	if (profile_opts_parse(argc, argv, &o, err, sizeof(err))) {
		log_err("profile: %s", err);
		return EXIT_BADINPUT;
	}
	if (o.help) {
		profile_usage(stdout);
		return EXIT_OK;
	}
	if (o.list) {
		if (scenarios_list(stdout, o.suite, err, sizeof(err))) {
			log_err("profile: %s", err);
			return EXIT_BADINPUT;
		}
		return EXIT_OK;
	}
	if (o.output_dir) {
		if (output_dir_prepare(o.output_dir, o.dir_output, sizeof(o.dir_output), o.dir_html, sizeof(o.dir_html), err,
				       sizeof(err))) {
			log_err("profile: %s", err);
			return EXIT_BADINPUT;
		}
		o.output = o.dir_output;
		if (!o.html)
			o.html = o.dir_html;
	}
	/* harden: what can be checked before any app is started or attached */
	if (validate_output_path("-o", o.output, err, sizeof(err)) ||
	    (o.html && validate_output_path("--html", o.html, err, sizeof(err))) ||
	    (o.pprof && validate_output_path("--pprof", o.pprof, err, sizeof(err))) ||
	    (o.speedscope && validate_output_path("--speedscope", o.speedscope, err, sizeof(err))) ||
	    (o.app_cmd && validate_app_cmd("--app-cmd", o.app_cmd, err, sizeof(err))) ||
	    (o.baseline && validate_baseline_file("--baseline", o.baseline, err, sizeof(err)))) {
		log_err("profile: %s", err);
		return EXIT_BADINPUT;
	}
	if (o.pid) {
		char warn[256];

		if (validate_pid_target("/proc", "-p", o.pid, err, sizeof(err), warn, sizeof(warn))) {
			log_err("profile: %s", err);
			return EXIT_BADINPUT;
		}
		if (warn[0])
			log_warn("profile: %s", warn);
	}
	/* end harden */
	guardian_start();
	ret = profile_run(&o, NULL);
	guardian_stop();
	if (o.output_dir && !access(o.output, F_OK) &&
	    output_dir_link_latest(o.output_dir, o.output, o.html == o.dir_html && !access(o.html, F_OK) ? o.html : NULL))
		log_warn("profile: --output-dir: cannot link %s/latest.json: %s", o.output_dir, strerror(errno));
	return ret;
}
