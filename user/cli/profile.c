/* SPDX-License-Identifier: GPL-2.0-only */
/* `bindprof profile`: the harness mode. Start (or attach to) the app, wait until it answers, then
 * for every workload of the suites: a warmup, clean passes with no probe attached (the figures
 * reported as throughput and latency), and a profiled pass under `bindprof record -p` (its
 * profiling section, with the pass's own throughput kept as profiled_throughput). One JSON. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <math.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "cli/commands.h"
#include "cli/diff.h"
#include "core/env.h"
#include "probes/ffi.h"
#include "cli/load.h"
#include "load/loadgen.h"
#include "lib/log.h"
#include "inspect/metadata.h"
#include "core/probes.h"
#include "inspect/procfs.h"
#include "output/document.h"
#include "core/resources.h"
#include "stats/gate.h"
#include "stats/hostload.h"
#include "load/suites.h"
#include "core/target.h"
#include "lib/util.h"

static const char profile_usage[] =
	"usage: bindprof profile --url URL [--app-cmd CMD | -p PID] [--framework NAME]\n"
	"                        [--suite all|NAME[,NAME]|FILE.json] [--duration S] [--warmup S]\n"
	"                        [--concurrency N] [-t THREADS] [--rate RPS] [--repeats K]\n"
	"                        [--probes LIST] [--gil-method cheap|exact] [--single-pass]\n"
	"                        [--ready-timeout S] [--health-path PATH] [--ffi LIB[:GLOB]]...\n"
	"                        [--format json|table]\n"
	"                        [--baseline FILE] [-o FILE]\n"
	"\n"
	"Start the app (--app-cmd, run by /bin/sh in its own process group) or attach to one (-p),\n"
	"wait until URL accepts connections (and GET PATH answers 2xx/3xx with --health-path), then for each workload of the suite: a warmup, K clean\n"
	"passes with no probe attached, and one profiled pass (bindprof record -p on the app).\n"
	"Defaults: --suite all, --duration 10, --warmup 3, --concurrency 50, -t cores, --repeats 1,\n"
	"--probes gil,gc,requests,stacks (the cheap set: CPython probes, per-request attribution and\n"
	"99 Hz stacks; each workload's folded stacks go next to the JSON as OUT.SUITE.WORKLOAD.folded),\n"
	"-o bindprof-profile.json. --ffi is passed to every profiled pass (bindprof record --ffi).\n";

struct popts {
	const char *url, *app_cmd, *framework, *suite, *output, *baseline, *probes, *gil_method, *health_path;
	int pid, concurrency, threads, repeats;
	const char *ffi[16]; /* --ffi specs, passed to each profiled pass's recorder */
	int nffi;
	double duration, warmup, rate, ready_timeout;
	bool single_pass, table;
};

static int parse(int argc, char **argv, struct popts *o, char *err, int errlen)
{
	static const struct option lo[] = {
		{ "url", required_argument, NULL, 'u' },	 { "app-cmd", required_argument, NULL, 'a' },
		{ "pid", required_argument, NULL, 'p' },	 { "framework", required_argument, NULL, 'f' },
		{ "suite", required_argument, NULL, 's' },	 { "duration", required_argument, NULL, 'd' },
		{ "warmup", required_argument, NULL, 'w' },	 { "concurrency", required_argument, NULL, 'c' },
		{ "threads", required_argument, NULL, 't' },	 { "rate", required_argument, NULL, 'r' },
		{ "repeats", required_argument, NULL, 'k' },	 { "probes", required_argument, NULL, 'P' },
		{ "gil-method", required_argument, NULL, 'G' },  { "single-pass", no_argument, NULL, 'S' },
		{ "ready-timeout", required_argument, NULL, 'R' }, { "format", required_argument, NULL, 'F' },
		{ "baseline", required_argument, NULL, 'b' },	 { "output", required_argument, NULL, 'o' },
		{ "health-path", required_argument, NULL, 'H' }, { "help", no_argument, NULL, 'h' },
		{ "ffi", required_argument, NULL, 'x' },
		{},
	};
	unsigned mask;
	const char *bad;
	long l;
	int ch;

	memset(o, 0, sizeof(*o));
	o->suite = "all";
	o->duration = 10;
	o->warmup = 3;
	o->concurrency = 50;
	o->threads = (int)sysconf(_SC_NPROCESSORS_ONLN);
	o->repeats = 1;
	o->ready_timeout = 30;
	o->output = "bindprof-profile.json";
	o->probes = "gil,gc,requests,stacks";
	optind = 1;
	opterr = 0;
	while ((ch = getopt_long(argc, argv, ":p:t:o:h", lo, NULL)) != -1) {
		switch (ch) {
		case 'u': o->url = optarg; break;
		case 'a': o->app_cmd = optarg; break;
		case 'f': o->framework = optarg; break;
		case 's': o->suite = optarg; break;
		case 'b': o->baseline = optarg; break;
		case 'o': o->output = optarg; break;
		case 'S': o->single_pass = true; break;
		case 'G': o->gil_method = optarg; break;
		case 'x':
			if (ffi_spec_add(o->ffi, &o->nffi, (int)(sizeof(o->ffi) / sizeof(o->ffi[0])), optarg, err, errlen))
				return -EINVAL;
			break;
		case 'H':
			if (optarg[0] != '/' || strpbrk(optarg, " \r\n")) {
				snprintf(err, errlen, "--health-path: '%s' is not a path (it starts with '/')", optarg);
				return -EINVAL;
			}
			o->health_path = optarg;
			break;
		case 'p':
			if (cli_parse_pid(optarg, &o->pid, err, errlen))
				return -EINVAL;
			break;
		case 'c':
		case 't':
		case 'k':
			if (parse_long(optarg, 1, ch == 'k' ? 1000 : 100000, &l)) {
				snprintf(err, errlen, "%s: invalid number '%s'",
					 ch == 'c' ? "--concurrency" : ch == 't' ? "-t" : "--repeats", optarg);
				return -EINVAL;
			}
			*(ch == 'c' ? &o->concurrency : ch == 't' ? &o->threads : &o->repeats) = (int)l;
			break;
		case 'd':
		case 'r':
		case 'R':
			if (parse_seconds(optarg, 1e7, ch == 'd' ? &o->duration : ch == 'r' ? &o->rate : &o->ready_timeout)) {
				snprintf(err, errlen, "%s: invalid value '%s' (> 0)",
					 ch == 'd' ? "--duration" : ch == 'r' ? "--rate" : "--ready-timeout", optarg);
				return -EINVAL;
			}
			break;
		case 'w': {
			char *end;

			errno = 0;
			o->warmup = strtod(optarg, &end);
			if (errno || *end || end == optarg || o->warmup < 0 || o->warmup > 3600) {
				snprintf(err, errlen, "--warmup: invalid value '%s' (seconds >= 0)", optarg);
				return -EINVAL;
			}
			break;
		}
		case 'P':
			if (strcmp(optarg, "none") && probes_parse(optarg, &mask, &bad)) {
				snprintf(err, errlen, "--probes: unknown probe '%s' (syscalls,gil,gc,ffi,requests,stacks,all,none)", bad);
				return -EINVAL;
			}
			o->probes = optarg;
			break;
		case 'F':
			if (strcmp(optarg, "table") && strcmp(optarg, "json")) {
				snprintf(err, errlen, "--format: unknown format '%s' (json, table)", optarg);
				return -EINVAL;
			}
			o->table = !strcmp(optarg, "table");
			break;
		case 'h':
			return 1;
		default:
			return cli_getopt_error(ch, argv, err, errlen);
		}
	}
	if (optind < argc) {
		snprintf(err, errlen, "unexpected argument '%s'", argv[optind]);
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
	return 0;
}

/* ---- the app ---- */

static int start_app(const char *cmd, const char *log_path)
{
	char line[8192];
	int pid;

	/* "exec": a simple command replaces the shell, so the app's pid is the app's own */
	snprintf(line, sizeof(line), "exec %s", cmd);
	pid = fork();
	if (pid == 0) {
		int fd = open(log_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);

		setpgid(0, 0);
		if (fd >= 0) {
			dup2(fd, 1);
			dup2(fd, 2);
		}
		signal(SIGINT, SIG_DFL);
		signal(SIGTERM, SIG_DFL);
		execl("/bin/sh", "sh", "-c", line, (char *)NULL);
		_exit(127);
	}
	return pid;
}

static void stop_app(int pid)
{
	int st;

	kill(-pid, SIGTERM);
	for (int i = 0; i < 50; i++) {
		if (waitpid(pid, &st, WNOHANG) == pid)
			return;
		usleep(100000);
	}
	kill(-pid, SIGKILL);
	waitpid(pid, &st, 0);
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

struct sampler {
	pthread_t th;
	int pid;
	volatile int stop;
	struct resources *res;
};

static void *sampler_main(void *arg)
{
	struct sampler *s = arg;
	int tick = 0;

	while (!s->stop) {
		int pids[512], n;

		pids[0] = s->pid;
		n = 1 + target_descendants("/proc", s->pid, pids + 1, 511);
		resources__sample(s->res, pids, n, tick++ % 10 == 0);
		usleep(100000);
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

static struct prog *g_prog; /* non-NULL on a terminal */

/* A workload's folded stacks: next to the JSON, OUT.SUITE.WORKLOAD.folded (OUT without .json). */
static void folded_path(const struct popts *o, const char *suite, const char *workload, char *buf, size_t len)
{
	size_t n = strlen(o->output);

	if (n > 5 && !strcmp(o->output + n - 5, ".json"))
		n -= 5;
	snprintf(buf, len, "%.*s.%s.%s.folded", (int)n, o->output, suite, workload);
	for (char *c = buf + n + 1; *c; c++)
		if (*c == '/')
			*c = '_';
}

/* ---- one pass of load ---- */

static int run_load(const struct popts *o, const char *base, const struct workload *w, double secs,
		    struct load_result *r)
{
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
	};
	char url[4096];

	int e;

	snprintf(url, sizeof(url), "%s%s", base, w->path);
	lo.url = url;
	if (g_prog) {
		g_prog->lp.responses = g_prog->lp.errors = 0;
		g_prog->pass_t0 = wall_time();
		g_prog->stop = 0;
		lo.progress = &g_prog->lp;
		pthread_create(&g_prog->th, NULL, prog_main, g_prog);
	}
	e = loadgen_run(&lo, r, signals_pending_flag());
	if (g_prog) {
		g_prog->stop = 1;
		pthread_join(g_prog->th, NULL);
	}
	return e;
}

/* The recorder: this binary's `record -p`, so that profiled passes use exactly record's code. */
static int start_recorder(const struct popts *o, int app, const char *out, const char *errlog, const char *folded)
{
	char pid[16], self[4096];
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	int rpid, fd;

	if (n < 0)
		return -errno;
	self[n] = '\0';
	snprintf(pid, sizeof(pid), "%d", app);
	/* the previous pass's recorder said "recording pid" in this file too: start it empty, or
	 * its line would be taken for the new recorder's before that one has attached */
	unlink(errlog);
	rpid = fork();
	if (rpid == 0) {
		const char *argv[16 + 2 * 16];
		int a = 0;

		fd = open(errlog, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
		if (fd >= 0)
			dup2(fd, 2);
		fd = open("/dev/null", O_WRONLY | O_CLOEXEC);
		if (fd >= 0)
			dup2(fd, 1);
		argv[a++] = self;
		argv[a++] = "record";
		argv[a++] = "-p";
		argv[a++] = pid;
		argv[a++] = "--probes";
		argv[a++] = o->probes;
		if (o->gil_method) {
			argv[a++] = "--gil-method";
			argv[a++] = o->gil_method;
		}
		if (folded) {
			argv[a++] = "--folded";
			argv[a++] = folded;
		}
		for (int i = 0; i < o->nffi; i++) {
			argv[a++] = "--ffi";
			argv[a++] = o->ffi[i];
		}
		argv[a++] = "-o";
		argv[a++] = out;
		argv[a] = NULL;
		execv(self, (char *const *)argv);
		_exit(127);
	}
	/* ready when it says it is recording */
	for (int i = 0; i < 200; i++) {
		char *buf = NULL;

		if (!read_file(errlog, &buf, NULL) && strstr(buf, "recording pid")) {
			free(buf);
			usleep(300000); /* its first poll attaches the per-binary probes */
			return rpid;
		}
		free(buf);
		if (waitpid(rpid, NULL, WNOHANG) == rpid)
			return -ECHILD;
		usleep(50000);
	}
	kill(rpid, SIGKILL);
	waitpid(rpid, NULL, 0);
	return -ETIMEDOUT;
}

static cJSON *stop_recorder(int rpid, const char *out)
{
	char err[256];
	int st;

	kill(rpid, SIGINT);
	waitpid(rpid, &st, 0);
	return profile_read(out, err, sizeof(err));
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static double jnum(const cJSON *o, const char *a, const char *b)
{
	const cJSON *v = cJSON_GetObjectItem(cJSON_GetObjectItem(o, a), b);

	return cJSON_IsNumber(v) ? v->valuedouble : 0;
}

static void progress(const struct popts *o, int i, int n, const char *suite, const char *w, const char *phase,
		     double t0)
{
	if (!g_prog)
		return;
	snprintf(g_prog->label, sizeof(g_prog->label), "[%d/%d] %s/%s %s", i, n, suite, w, phase);
	g_prog->t0 = t0;
	g_prog->left = (n - i + 1) * (o->warmup + o->duration * (o->single_pass ? 1 : o->repeats + 1) + 1.5);
	printf("\r\033[K%s", g_prog->label);
	fflush(stdout);
}

int cmd_profile(int argc, char **argv)
{
	struct popts o;
	struct suite_set set;
	struct sockaddr_storage ss;
	socklen_t sslen;
	struct url u;
	struct target_info tgt = { 0 };
	char err[512], base[512], tmp_json[4096], tmp_err[4096], app_log[4096];
	cJSON *doc = NULL, *suites_arr, *cfg;
	bool probes_on, stacks_on;
	int e, app = 0, nwork = 0, idx = 0, ret = EXIT_OK;
	uint64_t sum_total = 0, sum_ok = 0;
	double sum_rps = 0, t0 = wall_time();

	e = parse(argc, argv, &o, err, sizeof(err));
	if (e == 1) {
		fputs(profile_usage, stdout);
		return EXIT_OK;
	}
	if (e) {
		log_err("profile: %s", err);
		return EXIT_BADINPUT;
	}
	if (url_parse(o.url, &u, err, sizeof(err)) || url_resolve_loopback(&u, &ss, &sslen, err, sizeof(err))) {
		log_err("profile: %s", err);
		return EXIT_BADINPUT;
	}
	snprintf(base, sizeof(base), "http://%s%s%s:%d", strchr(u.host, ':') ? "[" : "", u.host,
		 strchr(u.host, ':') ? "]" : "", u.port);
	if (suites_load(o.suite, &set, err, sizeof(err))) {
		log_err("profile: %s", err);
		return EXIT_BADINPUT;
	}
	for (int s = 0; s < set.n; s++)
		nwork += set.s[s].n;
	probes_on = strcmp(o.probes, "none") != 0;
	{
		unsigned mask = 0;
		const char *bad;

		stacks_on = probes_on && !probes_parse(o.probes, &mask, &bad) && (mask & PROBE_BIT(PROBE_STACKS));
	}
	if (probes_on && env_check_privileges(err, sizeof(err))) {
		log_err("%s", err);
		suites_free(&set);
		return EXIT_ENV;
	}
	if (o.pid && !procfs_alive("/proc", o.pid)) {
		log_err("profile: -p: no such process: %d", o.pid);
		suites_free(&set);
		return EXIT_BADINPUT;
	}
	snprintf(tmp_json, sizeof(tmp_json), "%s.pass.json", o.output);
	snprintf(tmp_err, sizeof(tmp_err), "%s.pass.log", o.output);
	snprintf(app_log, sizeof(app_log), "%s.app.log", o.output);
	signals_install();
	if (isatty(1))
		g_prog = calloc(1, sizeof(*g_prog));
	app = o.pid ? o.pid : start_app(o.app_cmd, app_log);
	if (app < 0) {
		log_err("profile: cannot start the app: %s", strerror(errno));
		suites_free(&set);
		return EXIT_TARGET;
	}
	/* Ready: the URL accepts connections. */
	for (double waited = 0;; waited += 0.1) {
		if (app_ready(&ss, sslen, o.health_path))
			break;
		if (waited >= o.ready_timeout || !procfs_alive("/proc", app) || signals_pending()) {
			log_err("profile: the app never became ready: %s%s did not %s within %.0f s%s", base,
				o.health_path ? o.health_path : "", o.health_path ? "answer 2xx/3xx" : "accept connections",
				o.ready_timeout, procfs_alive("/proc", app) ? "" : " (it exited; see its log)");
			if (!o.pid)
				stop_app(app);
			suites_free(&set);
			return signals_pending() ? EXIT_OK : EXIT_TARGET;
		}
		usleep(100000);
	}
	tgt.pid = app;
	procfs_read_exe("/proc", app, tgt.exe, sizeof(tgt.exe));
	procfs_read_cmdline("/proc", app, tgt.cmdline, sizeof(tgt.cmdline));
	tgt.have_rt = !runtime_detect_pid("/proc", app, &tgt.rt);

	doc = profile_new("profile");
	cfg = cJSON_CreateObject();
	cJSON_AddNumberToObject(cfg, "duration_secs", o.duration);
	cJSON_AddNumberToObject(cfg, "warmup_secs", o.warmup);
	cJSON_AddNumberToObject(cfg, "concurrency", o.concurrency);
	cJSON_AddNumberToObject(cfg, "threads", o.threads);
	if (o.rate > 0)
		cJSON_AddNumberToObject(cfg, "rate", o.rate);
	else
		cJSON_AddNullToObject(cfg, "rate");
	cJSON_AddNumberToObject(cfg, "repeats", o.repeats);
	cJSON_AddBoolToObject(cfg, "single_pass", o.single_pass);
	cJSON_AddStringToObject(cfg, "url", base);
	cJSON_AddStringToObject(cfg, "suite", o.suite);
	if (o.health_path)
		cJSON_AddStringToObject(cfg, "health_path", o.health_path);
	{
		cJSON *pa = cJSON_AddArrayToObject(cfg, "probes");
		unsigned mask = 0;
		const char *bad;

		if (probes_on && !probes_parse(o.probes, &mask, &bad))
			for (int p = 0; p < PROBE_COUNT; p++)
				if (mask & PROBE_BIT(p))
					cJSON_AddItemToArray(pa, cJSON_CreateString(probe_name(p)));
	}
	suites_arr = cJSON_CreateArray();
	if (o.single_pass)
		profile_warn(doc, "profile", "--single-pass: throughput and latency were measured with the probes "
			     "attached, so they include the probes' cost");

	for (int si = 0; si < set.n && !signals_pending(); si++) {
		struct suite *s = &set.s[si];
		cJSON *sj = cJSON_CreateObject(), *wa;

		cJSON_AddStringToObject(sj, "name", s->name);
		if (s->description)
			cJSON_AddStringToObject(sj, "description", s->description);
		wa = cJSON_AddArrayToObject(sj, "workloads");
		for (int wi = 0; wi < s->n && !signals_pending(); wi++) {
			struct workload *w = &s->w[wi];
			cJSON *wj = cJSON_CreateObject(), *ep, *res = NULL, *rep, *samples;
			struct load_result lr;
			double *rps = calloc(o.repeats, sizeof(*rps));
			cJSON **clean = calloc(o.repeats, sizeof(*clean));
			struct sampler sm = { .pid = app };
			/* what the profiled pass gives: its throughput and record's sections */
			cJSON *pp = NULL, *pf = NULL, *ov = NULL, *le = NULL;
			int passes = 0, hl_pids[HOSTLOAD_MAX_PIDS], hl_n = 0;
			struct hostload_snap hl0, hl1;
			bool hl_ok = false;

			idx++;
			cJSON_AddStringToObject(wj, "name", w->name);
			cJSON_AddStringToObject(wj, "category", w->category);
			cJSON_AddNumberToObject(wj, "payload_size_bytes", w->body_len);
			ep = cJSON_AddObjectToObject(wj, "endpoint");
			cJSON_AddStringToObject(ep, "method", w->method);
			cJSON_AddStringToObject(ep, "path", w->path);
			if (o.warmup > 0) {
				progress(&o, idx, nwork, s->name, w->name, "warmup", t0);
				if (!run_load(&o, base, w, o.warmup, &lr))
					load_result_free(&lr);
			}
			/* clean passes */
			for (int k = 0; !o.single_pass && k < o.repeats && !signals_pending(); k++) {
				progress(&o, idx, nwork, s->name, w->name, "clean pass", t0);
				sm.res = resources__new("/proc");
				sm.stop = 0;
				{
					/* the host load beside the pass: the app's tree and bindprof are "own" */
					hl_pids[0] = getpid();
					hl_pids[1] = app;
					hl_n = 2 + target_descendants("/proc", app, hl_pids + 2, HOSTLOAD_MAX_PIDS - 2);
					hl_ok = !hostload_snap("/proc", hl_pids, hl_n, &hl0);
				}
				pthread_create(&sm.th, NULL, sampler_main, &sm);
				e = run_load(&o, base, w, o.duration, &lr);
				sm.stop = 1;
				pthread_join(sm.th, NULL);
				if (e) {
					resources__free(sm.res);
					break;
				}
				clean[k] = load_result_json(&lr, k == 0 ? doc : NULL);
				cJSON_AddItemToObject(clean[k], "resources", resources__to_json(sm.res));
				if (hl_ok && !hostload_snap("/proc", hl_pids, hl_n, &hl1)) {
					struct hostload hl;

					hostload_between(&hl0, &hl1, sysconf(_SC_CLK_TCK), &hl);
					cJSON_AddItemToObject(clean[k], "host_load", hostload_json(&hl, NULL));
				}
				rps[k] = jnum(clean[k], "throughput", "requests_per_sec");
				resources__free(sm.res);
				load_result_free(&lr);
				passes++;
			}
			/* the profiled pass */
			if (probes_on && !signals_pending()) {
				int rpid;
				cJSON *prof_doc = NULL, *pres = NULL;
				char folded[4096 + 512];

				progress(&o, idx, nwork, s->name, w->name, "profiled pass", t0);
				folded_path(&o, s->name, w->name, folded, sizeof(folded));
				rpid = start_recorder(&o, app, tmp_json, tmp_err, stacks_on ? folded : NULL);
				if (rpid < 0) {
					profile_warn(doc, "profile", "%s/%s: the recorder did not start (%s); see %s",
						     s->name, w->name, strerror(-rpid), tmp_err);
				} else {
					e = run_load(&o, base, w, o.duration, &lr);
					prof_doc = stop_recorder(rpid, tmp_json);
					if (!e) {
						pres = load_result_json(&lr, NULL);
						load_result_free(&lr);
					}
				}
				if (o.single_pass && pres) {
					clean[0] = cJSON_Duplicate(pres, true);
					rps[0] = jnum(pres, "throughput", "requests_per_sec");
					passes = 1;
				}
				if (passes && pres) {
					cJSON *rr = cJSON_GetObjectItem(prof_doc, "results");

					pp = pres;
					if (rr) {
						pf = cJSON_DetachItemFromObject(rr, "profiling");
						ov = cJSON_DetachItemFromObject(rr, "overhead");
						le = cJSON_DetachItemFromObject(rr, "lost_events");
					}
				} else {
					cJSON_Delete(pres);
				}
				cJSON_Delete(prof_doc);
			}
			if (passes) {
				/* report the clean pass with the median requests/s */
				double *sorted = malloc(passes * sizeof(*sorted)), med;
				int pick = 0;

				memcpy(sorted, rps, passes * sizeof(*sorted));
				qsort(sorted, passes, sizeof(*sorted), cmp_double);
				med = sorted[(passes - 1) / 2];
				for (int k = 0; k < passes; k++)
					if (rps[k] == med)
						pick = k;
				res = cJSON_Duplicate(clean[pick], true);
				rep = cJSON_AddObjectToObject(res, "repeats");
				cJSON_AddNumberToObject(rep, "count", passes);
				cJSON_AddNumberToObject(rep, "median_requests_per_sec", med);
				cJSON_AddNumberToObject(rep, "min_requests_per_sec", sorted[0]);
				cJSON_AddNumberToObject(rep, "max_requests_per_sec", sorted[passes - 1]);
				samples = cJSON_AddArrayToObject(rep, "samples");
				for (int k = 0; k < passes; k++) {
					cJSON *smp = cJSON_CreateObject();

					cJSON_AddNumberToObject(smp, "requests_per_sec", rps[k]);
					cJSON_AddNumberToObject(smp, "p50_ms", jnum(clean[k], "latency", "median_ms"));
					cJSON_AddNumberToObject(smp, "p99_ms", jnum(clean[k], "latency", "p99_ms"));
					gate_sample_extras(smp, clean[k]);
					cJSON_AddItemToArray(samples, smp);
				}
				free(sorted);
				if (pp)
					cJSON_AddItemToObject(res, "profiled_throughput",
							      cJSON_DetachItemFromObject(pp, "throughput"));
				else
					cJSON_AddNullToObject(res, "profiled_throughput");
				cJSON_AddItemToObject(res, "profiling", pf ? pf : cJSON_CreateNull());
				cJSON_AddItemToObject(res, "overhead", ov ? ov : cJSON_CreateNull());
				cJSON_AddItemToObject(res, "lost_events", le ? le : cJSON_CreateNumber(0));
				pf = ov = le = NULL;
				if (!cJSON_GetObjectItem(res, "resources"))
					cJSON_AddNullToObject(res, "resources");
				cJSON_AddItemToObject(wj, "results", res);
				sum_total += (uint64_t)jnum(res, "throughput", "total_requests");
				sum_ok += (uint64_t)jnum(res, "throughput", "successful_requests");
				sum_rps += jnum(res, "throughput", "requests_per_sec");
			} else {
				cJSON_AddNullToObject(wj, "results");
				profile_warn(doc, "profile", "%s/%s: no pass completed", s->name, w->name);
			}
			for (int k = 0; k < o.repeats; k++)
				cJSON_Delete(clean[k]);
			cJSON_Delete(pp);
			cJSON_Delete(pf);
			cJSON_Delete(ov);
			cJSON_Delete(le);
			free(clean);
			free(rps);
			cJSON_AddItemToArray(wa, wj);
		}
		cJSON_AddItemToArray(suites_arr, sj);
	}
	if (isatty(1))
		printf("\r\033[K");
	if (signals_pending())
		profile_set_partial(doc, "interrupted");
	cJSON_AddItemToObject(doc, "metadata", metadata_to_json(&tgt, o.framework));
	cJSON_AddItemToObject(doc, "configuration", cfg);
	cJSON_AddItemToObject(doc, "suites", suites_arr);
	{
		cJSON *sum = cJSON_AddObjectToObject(doc, "summary");
		int done = 0;
		const cJSON *sj, *wj;

		cJSON_ArrayForEach(sj, suites_arr) cJSON_ArrayForEach(wj, cJSON_GetObjectItem(sj, "workloads"))
			done += cJSON_IsObject(cJSON_GetObjectItem(wj, "results"));
		cJSON_AddNumberToObject(sum, "total_workloads", done);
		cJSON_AddNumberToObject(sum, "total_requests", sum_total);
		cJSON_AddNumberToObject(sum, "overall_success_rate", sum_total ? (double)sum_ok / sum_total : 0);
		cJSON_AddNumberToObject(sum, "avg_requests_per_sec", done ? sum_rps / done : 0);
		cJSON_AddNumberToObject(sum, "total_duration_secs", wall_time() - t0);
	}
	if (o.baseline) {
		cJSON *bdoc = profile_read(o.baseline, err, sizeof(err));

		if (!bdoc) {
			profile_warn(doc, "comparison", "--baseline: %s", err);
		} else {
			cJSON *cmp = cJSON_AddObjectToObject(doc, "comparison");

			cJSON_AddStringToObject(cmp, "baseline", o.baseline);
			cJSON_AddItemToObject(cmp, "workloads", diff_ratios(bdoc, doc));
			cJSON_Delete(bdoc);
		}
	}
	if (!o.pid)
		stop_app(app);
	unlink(tmp_json);
	unlink(tmp_err);
	if ((e = profile_write(doc, o.output))) {
		log_err("profile: writing '%s': %s", o.output, strerror(-e));
		ret = EXIT_BADINPUT;
	}
	if (o.table || isatty(1)) {
		const cJSON *sj, *wj;

		printf("%-14s %-18s %12s %10s %10s %9s %12s %12s\n", "suite", "workload", "req/s", "p50 ms", "p99 ms",
		       "errors", "profiled r/s", "gil wait ms");
		cJSON_ArrayForEach(sj, suites_arr) cJSON_ArrayForEach(wj, cJSON_GetObjectItem(sj, "workloads")) {
			const cJSON *r = cJSON_GetObjectItem(wj, "results");
			const cJSON *gil = cJSON_GetObjectItem(cJSON_GetObjectItem(r, "profiling"), "gil");

			if (!cJSON_IsObject(r))
				continue;
			printf("%-14s %-18s %12.1f %10.3f %10.3f %9.0f %12.1f %12s\n",
			       cJSON_GetObjectItem(sj, "name")->valuestring, cJSON_GetObjectItem(wj, "name")->valuestring,
			       jnum(r, "throughput", "requests_per_sec"), jnum(r, "latency", "median_ms"),
			       jnum(r, "latency", "p99_ms"), jnum(r, "throughput", "failed_requests"),
			       jnum(r, "profiled_throughput", "requests_per_sec"),
			       cJSON_IsObject(gil) ? (snprintf(err, sizeof(err), "%.1f",
							       cJSON_GetObjectItem(gil, "wait_ms_total")->valuedouble), err)
						   : "-");
		}
	}
	printf("bindprof profile: %d workloads, %.0f requests, wrote %s\n",
	       (int)jnum(doc, "summary", "total_workloads"), jnum(doc, "summary", "total_requests"), o.output);
	cJSON_Delete(doc);
	suites_free(&set);
	free(g_prog);
	g_prog = NULL;
	return ret;
}
