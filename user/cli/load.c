/* SPDX-License-Identifier: GPL-2.0-only */
/* `bindprof load`: the load generator alone, for comparison with wrk. */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "cli/commands.h"
#include "cli/load.h"
#include "cli/options.h"
#include "load/loadgen.h"
#include "load/latsplit.h"
#include <sys/stat.h>
#include "lib/log.h"
#include "inspect/metadata.h"
#include "output/document.h"
#include "lib/util.h"
#include "lib/duration.h"
#include "lib/file.h"
#include "lib/validate.h"
#include "load/httpcheck.h"

enum {
	O_URL = 1, O_CONNS, O_THREADS, O_DURATION, O_REQUESTS, O_RATE, O_TIMEOUT, O_METHOD, O_HEADER, O_BODY,
	O_OUTPUT, O_HELP, O_SPLIT,
};

static const struct cli_option load_options[] = {
	{ "url", 0, O_URL, "URL", "http://host[:port]/path; the host must be loopback (127.0.0.0/8, ::1)",
	  CLI_OPT_REQUIRED },
	{ "connections", 'c', O_CONNS, "N", "keep-alive connections (default 50); the fd limit is raised to "
	  "what they need, or the run refuses with exit 3 naming ulimit -n", 0 },
	{ "threads", 't', O_THREADS, "N", "threads (default: the number of cores, at most -c)", 0 },
	{ "duration", 'd', O_DURATION, "DUR", "the measured window: seconds, or with a unit (500ms, 10s, 2m, "
	  "1h; default 10s). The run ends there: answers still awaited get min(--timeout, 10% of it, "
	  "0.2..1 s), then are cut (errors.timeout_at_end: not failed, in no rate)", 0 },
	{ "requests", 'n', O_REQUESTS, "N", "stop after this many requests instead (each awaited)", 0 },
	{ "rate", 0, O_RATE, "RPS", "open loop at a constant rate: exactly RPS x DUR send slots; latency from "
	  "each slot's time (coordinated omission corrected), the uncorrected one beside it; slots still "
	  "queued for a connection at the end count as never sent, in the latency tail", 0 },
	{ "timeout", 0, O_TIMEOUT, "DUR", "a request unanswered after this is a timeout (default 2s)", 0 },
	{ "method", 'm', O_METHOD, "M", "default GET (POST with --body-file)", 0 },
	{ "header", 'H', O_HEADER, "'Name: value'", "an extra request header", CLI_OPT_REPEAT },
	{ "body-file", 0, O_BODY, "F", "the request body", 0 },
	{ "output", 'o', O_OUTPUT, "FILE", "write the result JSON (mode \"load\")", 0 },
	{ "split-with", 0, O_SPLIT, "FILE", "the server's request log of a `bindprof record --requests-log FILE` "
	  "running meanwhile: match every request with the server's and split its latency into before the "
	  "server's first read, server handling and after its last write (results.latency_decomposition)", 0 },
	{ "help", 'h', O_HELP, NULL, "this help", 0 },
	{},
};

static const char load_about[] =
	"Drive HTTP/1.1 keep-alive load at a loopback URL and report throughput (what completed), "
	"latency and errors, like wrk (closed loop) or wrk2 (--rate).";
static const char load_epilogue[] =
	"A summary is printed whatever happens; exit 4 when no request succeeded, 3 when the environment "
	"refuses (fd limit), 2 for bad input. On a terminal a progress line runs on stderr.\n"
	"Example: bindprof load --url http://127.0.0.1:8080/ -c 50 -d 10s --rate 2000 -o load.json";

struct load_parse {
	struct load_cli *c;
	const char *body_file;
	bool dur, help;
};

static int load_option(void *ctx, int id, const char *arg, char *err, int errlen)
{
	struct load_parse *lp = ctx;
	struct load_cli *c = lp->c;
	long l;

	switch (id) {
	case O_URL:
		if (httpcheck_url("--url", arg, err, errlen))
			return -EINVAL;
		c->o.url = arg;
		return 0;
	case O_CONNS:
		if (parse_long(arg, 1, 100000, &l)) {
			snprintf(err, errlen, "-c: invalid connection count '%s' (1..100000)", arg);
			return -EINVAL;
		}
		c->o.connections = (int)l;
		return 0;
	case O_THREADS:
		if (parse_long(arg, 1, 1024, &l)) {
			snprintf(err, errlen, "-t: invalid thread count '%s' (1..1024)", arg);
			return -EINVAL;
		}
		c->o.threads = (int)l;
		return 0;
	case O_DURATION:
		if (parse_duration(arg, 86400, &c->o.duration)) {
			snprintf(err, errlen, "-d: invalid duration '%s' (> 0 and at most 24h; a number of "
				 "seconds or with a unit: 500ms, 10s, 2m, 1h)", arg);
			return -EINVAL;
		}
		lp->dur = true;
		return 0;
	case O_REQUESTS:
		if (parse_long(arg, 1, 1000000000000L, &l)) {
			snprintf(err, errlen, "-n: invalid request count '%s'", arg);
			return -EINVAL;
		}
		c->o.max_requests = l;
		return 0;
	case O_RATE:
		if (parse_seconds(arg, 10000000, &c->o.rate)) {
			snprintf(err, errlen, "--rate: invalid rate '%s' (requests/s > 0, at most 10000000)", arg);
			return -EINVAL;
		}
		return 0;
	case O_TIMEOUT:
		if (parse_duration(arg, 3600, &c->o.timeout)) {
			snprintf(err, errlen, "--timeout: invalid timeout '%s' (> 0 and at most 1h; seconds or "
				 "with a unit: 500ms, 2s)", arg);
			return -EINVAL;
		}
		return 0;
	case O_METHOD:
		if (httpcheck_method("-m", arg, err, errlen))
			return -EINVAL;
		c->o.method = arg;
		return 0;
	case O_HEADER:
		if (httpcheck_header_line("-H", arg, err, errlen))
			return -EINVAL;
		if (!strchr(arg, ':') || c->o.nheaders == MAX_HEADERS) {
			snprintf(err, errlen, "-H: invalid header '%s' (Name: value)", arg);
			return -EINVAL;
		}
		c->headers[c->o.nheaders++] = arg;
		return 0;
	case O_BODY:
		lp->body_file = arg;
		return 0;
	case O_OUTPUT:
		c->output = arg;
		return 0;
	case O_SPLIT:
		if (!*arg) {
			snprintf(err, errlen, "--split-with: empty file name");
			return -EINVAL;
		}
		{
			struct stat st;

			/* a log that exists must be a file: a FIFO or a directory is refused before the run */
			if (!stat(arg, &st) && !S_ISREG(st.st_mode)) {
				snprintf(err, errlen, "--split-with: '%s' is not a regular file (a `bindprof record "
					 "--requests-log` file)", arg);
				return -EINVAL;
			}
		}
		c->split_with = arg;
		c->o.keep_requests = true;
		return 0;
	default: /* O_HELP */
		lp->help = true;
		return CLI_STOP;
	}
}

void load_usage(FILE *f)
{
	cli_options_usage(f, "bindprof load", NULL, load_options, load_about, load_epilogue);
}

int load_opts_parse(int argc, char **argv, struct load_cli *c, char *err, int errlen)
{
	struct load_parse lp = { .c = c };
	int first;

	memset(c, 0, sizeof(*c));
	c->o.connections = 50;
	c->o.threads = (int)sysconf(_SC_NPROCESSORS_ONLN);
	c->o.duration = 10;
	c->o.timeout = 2;
	c->o.headers = c->headers;
	first = cli_parse(load_options, 0, argc, argv, load_option, &lp, err, errlen);
	if (first < 0)
		return first;
	if (lp.help)
		return 1;
	if (first < argc) {
		snprintf(err, errlen, "unexpected argument '%s'", argv[first]);
		return -EINVAL;
	}
	if (!c->o.url) {
		snprintf(err, errlen, "--url is required");
		return -EINVAL;
	}
	{ /* the URL is checked here, before anything is printed (a loopback host, http only) */
		struct url u;
		struct sockaddr_storage ss;
		socklen_t sl;

		if (url_parse(c->o.url, &u, err, errlen) || url_resolve_loopback(&u, &ss, &sl, err, errlen))
			return -EINVAL;
	}
	if (c->output && validate_output_path("-o", c->output, err, errlen)) /* before the run, not after it */
		return -EINVAL;
	if (lp.dur && c->o.max_requests) {
		snprintf(err, errlen, "-d and -n are exclusive");
		return -EINVAL;
	}
	if (c->o.connections < c->o.threads)
		c->o.threads = c->o.connections; /* a thread without a connection does nothing */
	if (lp.body_file) {
		char msg[4200]; /* harden: regular files only, capped (lib/file.h) */

		if (file_read_bounded(lp.body_file, file_cap(FILE_BODY), &c->body, &c->o.body_len, msg, sizeof(msg))) {
			snprintf(err, errlen, "--body-file: %s", msg);
			return -EINVAL;
		}
		c->o.body = c->body;
	}
	if (!c->o.method)
		c->o.method = c->o.body ? "POST" : "GET";
	return 0;
}

/* Why the figures are the generator's (or the connections') limit rather than the server's answer
 * to the load asked for: every reason that applies, "; "-separated, or NULL. */
static const char *saturation(const struct load_result *r, char *why, size_t len)
{
	size_t n = 0;

	why[0] = 0;
#define ADD(...) (n += snprintf(why + n, n < len ? len - n : 0, "%s", n ? "; " : ""), \
		  n += snprintf(why + n, n < len ? len - n : 0, __VA_ARGS__))
	if (r->busy_fraction > 0.9)
		ADD("the generator's threads were running or waiting for a CPU %.0f%% of the run (the "
		    "scheduler's count): the generator was a limit; add threads (-t) or free cores",
		    100 * r->busy_fraction);
	else if (r->cpu_wait_fraction > 0.5)
		ADD("the generator's threads waited for a CPU %.0f%% of the run (runnable, not running: the "
		    "scheduler's count): starved of CPU, it was a limit; free cores or raise its priority",
		    100 * r->cpu_wait_fraction);
	else if (r->cpu_percent > 90.0 * r->threads)
		ADD("the generator's threads were %.0f%% busy: the generator was a limit; add threads (-t)",
		    r->cpu_percent / r->threads);
	if (r->rate > 0 && r->late_slots >= 2 && r->late_slots * 10 > r->scheduled)
		ADD("send lag: %llu of %llu send slots were noticed more than 1 ms late by the generator "
		    "(it fell behind the schedule)", (unsigned long long)r->late_slots,
		    (unsigned long long)r->scheduled);
	if (r->missed_slots)
		ADD("%llu of %llu scheduled requests were never sent: every connection was busy until the "
		    "end (the rate is above what %d connections and the server completed); they count as "
		    "failed, in the latency tail", (unsigned long long)r->missed_slots,
		    (unsigned long long)(r->scheduled ? r->scheduled : r->missed_slots), r->connections_requested);
#undef ADD
	return n ? why : NULL;
}

uint64_t load_completed(const struct load_result *r)
{
	return r->ok + r->status_4xx + r->status_5xx;
}

uint64_t load_failed(const struct load_result *r)
{
	return r->status_4xx + r->status_5xx + r->read_err + r->write_err + r->timeouts + r->missed_slots +
	       r->connect_err;
}

/* The results object of the harness schema for one load run. */
cJSON *load_result_json(const struct load_result *r, cJSON *doc)
{
	cJSON *res = cJSON_CreateObject(), *t, *e, *g;
	uint64_t failed = load_failed(r);
	uint64_t total = r->ok + failed;
	double secs = r->elapsed > 0 ? r->elapsed : 1;
	char why[1024];
	const char *sat = saturation(r, why, sizeof(why));

	t = cJSON_AddObjectToObject(res, "throughput");
	/* what was completed (answered, any status) per second of the window */
	cJSON_AddNumberToObject(t, "requests_per_sec", load_completed(r) / secs);
	cJSON_AddNumberToObject(t, "bytes_per_sec", r->bytes / secs);
	cJSON_AddNumberToObject(t, "total_requests", total);
	cJSON_AddNumberToObject(t, "completed_requests", load_completed(r));
	cJSON_AddNumberToObject(t, "successful_requests", r->ok);
	cJSON_AddNumberToObject(t, "failed_requests", failed);
	cJSON_AddNumberToObject(t, "success_rate", total ? (double)r->ok / total : 0);
	cJSON_AddNumberToObject(t, "measured_secs", r->elapsed);
	cJSON_AddNumberToObject(t, "wall_secs", r->wall);
	if (r->rate > 0) {
		cJSON_AddNumberToObject(t, "requested_rate", r->rate);
		cJSON_AddNumberToObject(t, "scheduled_requests", r->scheduled);
	}
	if (r->lat->count) {
		cJSON_AddItemToObject(res, "latency", lh_to_json(r->lat));
	} else {
		cJSON_AddNullToObject(res, "latency");
		if (doc)
			profile_warn(doc, "latency", "no response was received: no latency to report");
	}
	if (r->lat_uncorrected && r->lat_uncorrected->count)
		cJSON_AddItemToObject(res, "latency_uncorrected", lh_to_json(r->lat_uncorrected));
	else
		cJSON_AddNullToObject(res, "latency_uncorrected");
	e = cJSON_AddObjectToObject(res, "errors");
	cJSON_AddNumberToObject(e, "connect", r->connect_err);
	cJSON_AddNumberToObject(e, "connect_warmup", r->connect_err_warmup);
	cJSON_AddNumberToObject(e, "fd_limit", r->fd_err);
	cJSON_AddNumberToObject(e, "read", r->read_err);
	cJSON_AddNumberToObject(e, "write", r->write_err);
	cJSON_AddNumberToObject(e, "timeout", r->timeouts);
	cJSON_AddNumberToObject(e, "timeout_at_end", r->cut_at_end);
	cJSON_AddNumberToObject(e, "never_sent", r->missed_slots);
	cJSON_AddNumberToObject(e, "status_4xx", r->status_4xx);
	cJSON_AddNumberToObject(e, "status_5xx", r->status_5xx);
	cJSON_AddNumberToObject(e, "stray_responses", r->stray);
	g = cJSON_AddObjectToObject(res, "generator");
	cJSON_AddNumberToObject(g, "cpu_percent", r->cpu_percent);
	cJSON_AddNumberToObject(g, "busy_fraction", r->busy_fraction);
	cJSON_AddNumberToObject(g, "cpu_wait_fraction", r->cpu_wait_fraction);
	cJSON_AddBoolToObject(g, "saturated", sat != NULL);
	if (sat)
		cJSON_AddStringToObject(g, "saturation", sat);
	else
		cJSON_AddNullToObject(g, "saturation");
	cJSON_AddNumberToObject(g, "missed_send_slots", r->missed_slots);
	cJSON_AddNumberToObject(g, "late_send_slots", r->late_slots);
	if (r->send_lag && r->send_lag->count) {
		cJSON *l = cJSON_AddObjectToObject(g, "send_lag_ms");

		cJSON_AddNumberToObject(l, "p50", lh_quantile(r->send_lag, 0.5) / 1e6);
		cJSON_AddNumberToObject(l, "p90", lh_quantile(r->send_lag, 0.9) / 1e6);
		cJSON_AddNumberToObject(l, "p99", lh_quantile(r->send_lag, 0.99) / 1e6);
		cJSON_AddNumberToObject(l, "max", r->send_lag->max_ns / 1e6);
	} else {
		cJSON_AddNullToObject(g, "send_lag_ms");
	}
	cJSON_AddNumberToObject(g, "threads", r->threads);
	if (r->connections)
		cJSON_AddNumberToObject(g, "connections", r->connections);
	cJSON_AddNumberToObject(g, "connections_requested", r->connections_requested);
	if (doc && sat)
		profile_warn(doc, "generator", "%s", sat);
	if (doc && r->connections < r->connections_requested)
		profile_warn(doc, "generator", "only %d of the %d connections asked for (-c) were established",
			     r->connections, r->connections_requested);
	if (doc && r->cut_at_end)
		profile_warn(doc, "errors", "%llu requests were sent but still unanswered when the run ended at -d (and "
			     "its grace): cut, not failed (errors.timeout_at_end, outside total_requests and the "
			     "success rate); their wait until the cut is in the latency tail",
			     (unsigned long long)r->cut_at_end);
	if (doc && r->fd_err)
		profile_warn(doc, "generator", "%llu sockets could not be opened: out of file descriptors (ulimit -n)",
			     (unsigned long long)r->fd_err);
	return res;
}

/* The progress line: on a terminal only, twice a second, on stderr. */
struct progress {
	pthread_t th;
	volatile int stop;
	struct load_progress lp;
	double duration;
};

static void *progress_main(void *arg)
{
	struct progress *p = arg;
	uint64_t last = 0;
	double t0 = wall_time(), last_t = t0;

	while (!p->stop) {
		double now;
		uint64_t done;

		usleep(500000);
		if (p->stop)
			break;
		now = wall_time();
		done = p->lp.responses;
		if (p->duration > 0)
			fprintf(stderr, "\r\033[K  %.0f/%.0f s: %llu responses, %.0f req/s now, %llu errors",
				now - t0 < p->duration ? now - t0 : p->duration, p->duration, (unsigned long long)done,
				(done - last) / (now - last_t), (unsigned long long)p->lp.errors);
		else
			fprintf(stderr, "\r\033[K  %.0f s: %llu responses, %.0f req/s now, %llu errors", now - t0,
				(unsigned long long)done, (done - last) / (now - last_t),
				(unsigned long long)p->lp.errors);
		last = done;
		last_t = now;
	}
	fprintf(stderr, "\r\033[K");
	return NULL;
}

/* The summary on stdout, whatever happened. */
static void print_summary(const struct load_cli *c, const struct load_result *r, const cJSON *res)
{
	const cJSON *t = cJSON_GetObjectItem(res, "throughput"), *l = cJSON_GetObjectItem(res, "latency"),
		    *er = cJSON_GetObjectItem(res, "errors"), *g = cJSON_GetObjectItem(res, "generator");
#define N(o, k) cJSON_GetObjectItem(o, k)->valuedouble
	printf("bindprof load: %s, %d threads, %d of %d connections%s, %.2f s\n", c->o.url, c->o.threads,
	       r->connections, r->connections_requested, c->o.rate > 0 ? " (constant rate)" : "", r->elapsed);
	printf("  requests: %.0f total, %.0f completed, %.0f ok, %.0f failed; %.1f req/s completed, %.2f MB/s\n",
	       N(t, "total_requests"), N(t, "completed_requests"), N(t, "successful_requests"),
	       N(t, "failed_requests"), N(t, "requests_per_sec"), N(t, "bytes_per_sec") / 1e6);
	if (c->o.rate > 0)
		printf("  rate: %.1f req/s asked, %llu scheduled, %llu never sent, %llu sent > 1 ms late\n", c->o.rate,
		       (unsigned long long)r->scheduled, (unsigned long long)r->missed_slots,
		       (unsigned long long)r->late_slots);
	if (l && !cJSON_IsNull(l))
		printf("  latency ms: p50 %.3f  p90 %.3f  p99 %.3f  p99.9 %.3f  max %.3f  (mean %.3f, stddev %.3f)\n",
		       N(l, "median_ms"), N(l, "p90_ms"), N(l, "p99_ms"), N(l, "p999_ms"), N(l, "max_ms"),
		       N(l, "mean_ms"), N(l, "stddev_ms"));
	else
		printf("  latency: none (nothing was answered)\n");
	printf("  errors: connect %.0f, read %.0f, write %.0f, timeout %.0f, never sent %.0f, 4xx %.0f, 5xx %.0f, "
	       "fd limit %.0f; not failures: cut at the end %.0f, refused in the warm-up %.0f\n",
	       N(er, "connect"), N(er, "read"), N(er, "write"), N(er, "timeout"), N(er, "never_sent"),
	       N(er, "status_4xx"), N(er, "status_5xx"), N(er, "fd_limit"), N(er, "timeout_at_end"),
	       N(er, "connect_warmup"));
	printf("  generator: cpu %.0f%%, busy %.0f%% of its threads' time, saturated: %s\n", r->cpu_percent,
	       100 * r->busy_fraction, cJSON_IsTrue(cJSON_GetObjectItem(g, "saturated")) ? "yes" : "no");
#undef N
	fflush(stdout);
}

/* --split-with FILE: once the recorder's log stops growing (it writes each request about 250 ms
 * after its answer; at most 3 s), match the load's requests with the server's and add
 * results.latency_decomposition (load/latsplit.h); a log that cannot be read is a warning. */
static void split_with_log(const struct load_cli *c, const struct load_result *r, cJSON *res)
{
	struct latsplit_log lg;
	struct latsplit_in in = { .client = r->reqs, .nclient = r->nreqs, .client_dropped = r->reqs_dropped,
				  .epname = latsplit_log_epname, .exemplars = 5 };
	struct url u;
	char err[256];
	long long last = -1;
	int stable = 0, e = 0;
	cJSON *dec;

	for (int i = 0; i < 30 && stable < 5; i++) {
		struct stat st;
		long long sz = stat(c->split_with, &st) ? -1 : (long long)st.st_size;

		stable = sz == last ? stable + 1 : 0;
		last = sz;
		usleep(100000);
	}
	if (url_parse(c->o.url, &u, err, sizeof(err)) || (e = latsplit_log_read(c->split_with, &lg))) {
		log_warn("load: --split-with %s: %s: no latency decomposition", c->split_with,
			 u.port ? strerror(-e) : err);
		cJSON_AddNullToObject(res, "latency_decomposition");
		return;
	}
	if (!lg.n) /* nothing to match: the usual cause is a load started before the probes were attached */
		log_warn("load: --split-with %s: the log holds no request of the server: start the load after "
			 "record's 'bindprof: recording' line (the probes attached), within its -d", c->split_with);
	in.server = lg.recs;
	in.nserver = lg.n;
	in.epctx = &lg;
	in.server_port = u.port;
	dec = latsplit_json(&in);
	if (dec) {
		cJSON_AddStringToObject(dec, "server_log", c->split_with);
		cJSON_AddNumberToObject(dec, "server_log_bad_lines", (double)lg.bad_lines);
		cJSON_AddItemToObject(res, "latency_decomposition", dec);
		if (r->nreqs && !cJSON_GetNumberValue(cJSON_GetObjectItem(dec, "matched")))
			log_warn("load: --split-with %s: no request matched the server's log (%zu requests in it, "
				 "%zu unreadable lines): is it a record of this server, on port %u, run meanwhile?",
				 c->split_with, (size_t)lg.n, (size_t)lg.bad_lines, (unsigned)u.port);
		latsplit_print(stdout, dec, "  where the client's time went");
	} else {
		cJSON_AddNullToObject(res, "latency_decomposition");
	}
	latsplit_log_free(&lg);
}

int cmd_load(int argc, char **argv)
{
	struct load_cli c;
	struct load_result r;
	struct progress pg = { 0 };
	bool tty = isatty(STDERR_FILENO);
	char err[512];
	cJSON *doc = NULL, *cfg, *res;
	const char *sat;
	int e, ret = EXIT_OK;

	e = load_opts_parse(argc, argv, &c, err, sizeof(err));
	if (e == 1) {
		load_usage(stdout);
		return EXIT_OK;
	}
	if (e) {
		log_err("load: %s", err);
		return EXIT_BADINPUT;
	}
	signals_install();
	/* wrk's start line */
	if (c.o.max_requests)
		printf("Running %llu requests @ %s\n", (unsigned long long)c.o.max_requests, c.o.url);
	else
		printf("Running %s test @ %s\n", duration_format(c.o.duration, err, sizeof(err)), c.o.url);
	printf("  %d threads and %d connections%s\n", c.o.threads, c.o.connections,
	       c.o.rate > 0 ? "" : " (closed loop)");
	if (c.o.rate > 0)
		printf("  constant rate %.6g requests/s\n", c.o.rate);
	fflush(stdout);
	if (tty) {
		pg.duration = c.o.max_requests ? 0 : c.o.duration;
		c.o.progress = &pg.lp;
		if (pthread_create(&pg.th, NULL, progress_main, &pg))
			tty = false, c.o.progress = NULL;
	}
	e = loadgen_run(&c.o, &r, signals_pending_flag());
	if (tty) {
		pg.stop = 1;
		pthread_join(pg.th, NULL);
	}
	if (e) {
		free(c.body);
		return e == -EINVAL ? EXIT_BADINPUT : EXIT_ENV;
	}
	doc = profile_new("load");
	if (signals_pending())
		profile_set_partial(doc, "interrupted");
	cJSON_AddItemToObject(doc, "metadata", metadata_to_json(NULL, NULL));
	cfg = cJSON_AddObjectToObject(doc, "configuration");
	cJSON_AddStringToObject(cfg, "url", c.o.url);
	cJSON_AddStringToObject(cfg, "method", c.o.method);
	if (c.o.max_requests) {
		cJSON_AddNullToObject(cfg, "duration_secs");
		cJSON_AddNumberToObject(cfg, "requests", c.o.max_requests);
	} else {
		cJSON_AddNumberToObject(cfg, "duration_secs", c.o.duration);
	}
	/* the real concurrency: the connections that were established */
	cJSON_AddNumberToObject(cfg, "concurrency", r.connections);
	cJSON_AddNumberToObject(cfg, "concurrency_requested", c.o.connections);
	cJSON_AddNumberToObject(cfg, "threads", c.o.threads);
	if (c.o.rate > 0)
		cJSON_AddNumberToObject(cfg, "rate", c.o.rate);
	else
		cJSON_AddNullToObject(cfg, "rate");
	cJSON_AddNumberToObject(cfg, "timeout_secs", c.o.timeout);
	cJSON_AddArrayToObject(cfg, "probes");
	res = load_result_json(&r, doc);
	cJSON_AddItemToObject(doc, "results", res);
	print_summary(&c, &r, res);
	sat = cJSON_GetStringValue(cJSON_GetObjectItem(cJSON_GetObjectItem(res, "generator"), "saturation"));
	if (sat)
		log_warn("load: saturated: %s", sat);
	if (r.cut_at_end)
		log_warn("load: %llu requests were still unanswered when the run ended: cut, not counted as failed",
			 (unsigned long long)r.cut_at_end);
	if (r.connections < c.o.connections)
		log_warn("load: only %d of %d connections were established", r.connections, c.o.connections);
	if (!r.ok) {
		if (load_completed(&r) + r.read_err + r.write_err + r.timeouts == 0 &&
		    r.connect_err + r.connect_err_warmup)
			log_err("load: %s refused every connection (%llu connect errors)", c.o.url,
				(unsigned long long)(r.connect_err + r.connect_err_warmup));
		else
			log_err("load: no request succeeded (%llu answered with 4xx/5xx, %llu read errors, %llu write "
				"errors, %llu timeouts, %llu connect errors)",
				(unsigned long long)(r.status_4xx + r.status_5xx), (unsigned long long)r.read_err,
				(unsigned long long)r.write_err, (unsigned long long)r.timeouts,
				(unsigned long long)r.connect_err);
		ret = EXIT_TARGET;
	}
	if (c.split_with)
		split_with_log(&c, &r, res);
	if (c.output && (e = profile_write(doc, c.output))) {
		log_err("load: writing '%s': %s", c.output, strerror(-e));
		ret = exit_of_write_error(e);
	}
	cJSON_Delete(doc);
	load_result_free(&r);
	free(c.body);
	return ret;
}
