/* SPDX-License-Identifier: GPL-2.0-only */
/* `bindprof load`: the load generator alone, for comparison with wrk. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "cli/commands.h"
#include "cli/load.h"
#include "load/loadgen.h"
#include "lib/log.h"
#include "inspect/metadata.h"
#include "output/document.h"
#include "lib/util.h"
#include "lib/file.h"       /* harden: bounded --body-file */
#include "load/httpcheck.h"  /* harden: no control characters in --url, -m, -H */

static const char load_usage[] =
	"usage: bindprof load --url URL [-c CONNS] [-t THREADS] [-d SECS | -n REQUESTS] [--rate RPS]\n"
	"                     [--timeout SECS] [-m METHOD] [-H 'Name: value']... [--body-file F]\n"
	"                     [-o FILE.json]\n"
	"\n"
	"Drive HTTP/1.1 keep-alive load at a loopback URL and report throughput, latency and errors.\n"
	"\n"
	"  --url URL          http://host[:port]/path; the host must be loopback\n"
	"  -c, --connections  connections (default 50)\n"
	"  -t, --threads      threads (default: the number of cores)\n"
	"  -d, --duration     seconds (default 10)\n"
	"  -n, --requests     stop after this many requests instead\n"
	"      --rate RPS     open loop at a constant rate; latency from each request's scheduled\n"
	"                     time (coordinated omission corrected), the uncorrected one beside it\n"
	"      --timeout SECS a request unanswered after this is a timeout (default 2)\n"
	"  -m, --method M     default GET (POST with --body-file)\n"
	"  -H, --header H     an extra request header, repeatable\n"
	"      --body-file F  the request body\n"
	"  -o, --output FILE  write the result JSON (mode \"load\")\n";

int load_opts_parse(int argc, char **argv, struct load_cli *c, char *err, int errlen)
{
	static const struct option longopts[] = {
		{ "url", required_argument, NULL, 'u' },     { "connections", required_argument, NULL, 'c' },
		{ "threads", required_argument, NULL, 't' }, { "duration", required_argument, NULL, 'd' },
		{ "requests", required_argument, NULL, 'n' },{ "rate", required_argument, NULL, 'r' },
		{ "timeout", required_argument, NULL, 'T' }, { "method", required_argument, NULL, 'm' },
		{ "header", required_argument, NULL, 'H' },  { "body-file", required_argument, NULL, 'b' },
		{ "output", required_argument, NULL, 'o' },  { "help", no_argument, NULL, 'h' },
		{},
	};
	const char *body_file = NULL;
	bool dur = false;
	long l;
	int ch;

	memset(c, 0, sizeof(*c));
	c->o.connections = 50;
	c->o.threads = (int)sysconf(_SC_NPROCESSORS_ONLN);
	c->o.duration = 10;
	c->o.timeout = 2;
	c->o.headers = c->headers;
	optind = 1;
	opterr = 0;
	while ((ch = getopt_long(argc, argv, ":c:t:d:n:m:H:o:h", longopts, NULL)) != -1) {
		switch (ch) {
		case 'u':
			if (httpcheck_url("--url", optarg, err, errlen)) /* harden */
				return -EINVAL;
			c->o.url = optarg;
			break;
		case 'c':
			if (parse_long(optarg, 1, 100000, &l)) {
				snprintf(err, errlen, "-c: invalid connection count '%s' (1..100000)", optarg);
				return -EINVAL;
			}
			c->o.connections = (int)l;
			break;
		case 't':
			if (parse_long(optarg, 1, 1024, &l)) {
				snprintf(err, errlen, "-t: invalid thread count '%s' (1..1024)", optarg);
				return -EINVAL;
			}
			c->o.threads = (int)l;
			break;
		case 'd':
			if (parse_seconds(optarg, 86400, &c->o.duration)) {
				snprintf(err, errlen, "-d: invalid duration '%s' (seconds > 0)", optarg);
				return -EINVAL;
			}
			dur = true;
			break;
		case 'n':
			if (parse_long(optarg, 1, 1000000000000L, &l)) {
				snprintf(err, errlen, "-n: invalid request count '%s'", optarg);
				return -EINVAL;
			}
			c->o.max_requests = l;
			break;
		case 'r':
			if (parse_seconds(optarg, 10000000, &c->o.rate)) {
				snprintf(err, errlen, "--rate: invalid rate '%s' (requests/s > 0)", optarg);
				return -EINVAL;
			}
			break;
		case 'T':
			if (parse_seconds(optarg, 3600, &c->o.timeout)) {
				snprintf(err, errlen, "--timeout: invalid timeout '%s' (seconds > 0)", optarg);
				return -EINVAL;
			}
			break;
		case 'm':
			if (httpcheck_method("-m", optarg, err, errlen)) /* harden */
				return -EINVAL;
			c->o.method = optarg;
			break;
		case 'H':
			if (!strchr(optarg, ':') || c->o.nheaders == MAX_HEADERS) {
				snprintf(err, errlen, "-H: invalid header '%s' (Name: value)", optarg);
				return -EINVAL;
			}
			if (httpcheck_header_line("-H", optarg, err, errlen)) /* harden */
				return -EINVAL;
			c->headers[c->o.nheaders++] = optarg;
			break;
		case 'b':
			body_file = optarg;
			break;
		case 'o':
			c->output = optarg;
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
	if (!c->o.url) {
		snprintf(err, errlen, "--url is required");
		return -EINVAL;
	}
	if (dur && c->o.max_requests) {
		snprintf(err, errlen, "-d and -n are exclusive");
		return -EINVAL;
	}
	if (c->o.connections < c->o.threads)
		c->o.threads = c->o.connections; /* a thread without a connection does nothing */
	if (body_file) {
		char msg[4200]; /* harden: regular files only, capped (lib/file.h) */

		if (file_read_bounded(body_file, file_cap(FILE_BODY), &c->body, &c->o.body_len, msg, sizeof(msg))) {
			snprintf(err, errlen, "--body-file: %s", msg);
			return -EINVAL;
		}
		c->o.body = c->body;
	}
	if (!c->o.method)
		c->o.method = c->o.body ? "POST" : "GET";
	return 0;
}

/* The results object of the harness schema for one load run. */
cJSON *load_result_json(const struct load_result *r, cJSON *doc)
{
	cJSON *res = cJSON_CreateObject(), *t, *e, *g;
	uint64_t failed = r->status_4xx + r->status_5xx + r->read_err + r->write_err + r->timeouts;
	uint64_t total = r->ok + failed;
	double secs = r->elapsed > 0 ? r->elapsed : 1;

	t = cJSON_AddObjectToObject(res, "throughput");
	cJSON_AddNumberToObject(t, "requests_per_sec", total / secs);
	cJSON_AddNumberToObject(t, "bytes_per_sec", r->bytes / secs);
	cJSON_AddNumberToObject(t, "total_requests", total);
	cJSON_AddNumberToObject(t, "successful_requests", r->ok);
	cJSON_AddNumberToObject(t, "failed_requests", failed);
	cJSON_AddNumberToObject(t, "success_rate", total ? (double)r->ok / total : 0);
	cJSON_AddNumberToObject(t, "measured_secs", r->elapsed);
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
	cJSON_AddNumberToObject(e, "read", r->read_err);
	cJSON_AddNumberToObject(e, "write", r->write_err);
	cJSON_AddNumberToObject(e, "timeout", r->timeouts);
	cJSON_AddNumberToObject(e, "status_4xx", r->status_4xx);
	cJSON_AddNumberToObject(e, "status_5xx", r->status_5xx);
	g = cJSON_AddObjectToObject(res, "generator");
	cJSON_AddNumberToObject(g, "cpu_percent", r->cpu_percent);
	/* A thread busy more than 90% of the window could not keep up: the figures are the
	 * generator's limit, not the server's. */
	cJSON_AddBoolToObject(g, "saturated", r->cpu_percent > 90.0 * r->threads);
	cJSON_AddNumberToObject(g, "missed_send_slots", r->missed_slots);
	cJSON_AddNumberToObject(g, "threads", r->threads);
	cJSON_AddNumberToObject(g, "connections", r->connections);
	if (doc && r->cpu_percent > 90.0 * r->threads)
		profile_warn(doc, "generator", "the load generator's threads were %.0f%% busy: it, not the "
			     "server, was the bottleneck; add threads (-t)", r->cpu_percent / r->threads);
	if (doc && r->missed_slots)
		profile_warn(doc, "generator", "%llu send slots were missed because the generator fell behind "
			     "the schedule", (unsigned long long)r->missed_slots);
	return res;
}

static volatile sig_atomic_t no_stop;

int cmd_load(int argc, char **argv)
{
	struct load_cli c;
	struct load_result r;
	char err[512];
	cJSON *doc = NULL, *cfg;
	int e, ret = EXIT_OK;

	e = load_opts_parse(argc, argv, &c, err, sizeof(err));
	if (e == 1) {
		fputs(load_usage, stdout);
		return EXIT_OK;
	}
	if (e) {
		log_err("load: %s", err);
		return EXIT_BADINPUT;
	}
	signals_install();
	e = loadgen_run(&c.o, &r, signals_pending_flag());
	if (e) {
		free(c.body);
		return e == -EINVAL ? EXIT_BADINPUT : EXIT_ENV;
	}
	if (r.ok + r.status_4xx + r.status_5xx == 0 && r.connect_err) {
		log_err("load: %s refused every connection (%llu connect errors)", c.o.url,
			(unsigned long long)r.connect_err);
		ret = EXIT_TARGET;
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
	cJSON_AddNumberToObject(cfg, "concurrency", c.o.connections);
	cJSON_AddNumberToObject(cfg, "threads", c.o.threads);
	if (c.o.rate > 0)
		cJSON_AddNumberToObject(cfg, "rate", c.o.rate);
	else
		cJSON_AddNullToObject(cfg, "rate");
	cJSON_AddNumberToObject(cfg, "timeout_secs", c.o.timeout);
	cJSON_AddArrayToObject(cfg, "probes");
	cJSON_AddItemToObject(doc, "results", load_result_json(&r, doc));
	if (r.lat->count) {
		const cJSON *res = cJSON_GetObjectItem(doc, "results"), *t = cJSON_GetObjectItem(res, "throughput"),
			    *l = cJSON_GetObjectItem(res, "latency"), *er = cJSON_GetObjectItem(res, "errors");

		printf("bindprof load: %s, %d threads, %d connections%s, %.2f s\n", c.o.url, c.o.threads,
		       c.o.connections, c.o.rate > 0 ? " (constant rate)" : "", r.elapsed);
		printf("  requests: %.0f total, %.0f ok, %.0f failed; %.1f req/s, %.2f MB/s\n",
		       cJSON_GetObjectItem(t, "total_requests")->valuedouble,
		       cJSON_GetObjectItem(t, "successful_requests")->valuedouble,
		       cJSON_GetObjectItem(t, "failed_requests")->valuedouble,
		       cJSON_GetObjectItem(t, "requests_per_sec")->valuedouble,
		       cJSON_GetObjectItem(t, "bytes_per_sec")->valuedouble / 1e6);
		printf("  latency ms: p50 %.3f  p90 %.3f  p99 %.3f  p99.9 %.3f  max %.3f  (mean %.3f, stddev %.3f)\n",
		       cJSON_GetObjectItem(l, "median_ms")->valuedouble, cJSON_GetObjectItem(l, "p90_ms")->valuedouble,
		       cJSON_GetObjectItem(l, "p99_ms")->valuedouble, cJSON_GetObjectItem(l, "p999_ms")->valuedouble,
		       cJSON_GetObjectItem(l, "max_ms")->valuedouble, cJSON_GetObjectItem(l, "mean_ms")->valuedouble,
		       cJSON_GetObjectItem(l, "stddev_ms")->valuedouble);
		printf("  errors: connect %.0f, read %.0f, write %.0f, timeout %.0f, 4xx %.0f, 5xx %.0f; "
		       "generator cpu %.0f%%, missed slots %llu\n",
		       cJSON_GetObjectItem(er, "connect")->valuedouble, cJSON_GetObjectItem(er, "read")->valuedouble,
		       cJSON_GetObjectItem(er, "write")->valuedouble, cJSON_GetObjectItem(er, "timeout")->valuedouble,
		       cJSON_GetObjectItem(er, "status_4xx")->valuedouble,
		       cJSON_GetObjectItem(er, "status_5xx")->valuedouble, r.cpu_percent,
		       (unsigned long long)r.missed_slots);
	}
	if (c.output && (e = profile_write(doc, c.output))) {
		log_err("load: writing '%s': %s", c.output, strerror(-e));
		ret = EXIT_BADINPUT;
	}
	cJSON_Delete(doc);
	load_result_free(&r);
	free(c.body);
	(void)no_stop;
	return ret;
}
