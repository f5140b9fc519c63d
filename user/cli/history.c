/* SPDX-License-Identifier: GPL-2.0-only */
/* `bindprof history`: a store of runs' metrics, and their trends.
 *
 *   history add FILE.json...   every workload's metrics of profile, compare, load or record files,
 *                              with the host identity, commit, framework, time and configuration
 *   history show               a trend table per workload and metric
 *   history check              step changes in the last N runs of each host and configuration
 *                              (E-divisive means, stats/changepoint.h), each named by its first run
 *
 * The store is ./.bindprof/history.db (SQLite) unless --db names another file or a
 * postgresql:// URL (history/db.h). */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <cjson/cJSON.h>
#include "cli/commands.h"
#include "cli/options.h"
#include "history/db.h"
#include "history/store.h"
#include "history/trend.h"
#include "lib/log.h"
#include "lib/util.h"
#include "lib/file.h" /* harden: atomic output */
#include "lib/validate.h"
#include "stats/changepoint.h"

enum { H_DB = 1, H_COMMIT, H_FRAMEWORK, H_WORKLOAD, H_METRIC, H_SINCE, H_HOST, H_LAST, H_MIN_CHANGE, H_JSON, H_HTML,
       H_HELP };

static const struct cli_option add_options[] = {
	{ "db", 0, H_DB, "PATH|URL", "the store: a SQLite file (default ./.bindprof/history.db) or postgresql://...", 0 },
	{ "commit", 0, H_COMMIT, "REV",
	  "the commit the runs measured (default: the file's git commit, else `git rev-parse HEAD` here)", 0 },
	{ "framework", 0, H_FRAMEWORK, "NAME", "the framework measured (default: the file's)", 0 },
	{ "help", 'h', H_HELP, NULL, "this help", 0 },
	{},
};

static const struct cli_option show_options[] = {
	{ "db", 0, H_DB, "PATH|URL", "the store (default ./.bindprof/history.db)", 0 },
	{ "workload", 'w', H_WORKLOAD, "W", "only this workload (SUITE/WORKLOAD, or the mode of a load or record file)", 0 },
	{ "metric", 'm', H_METRIC, "M",
	  "only this metric (a dotted path of the results, e.g. latency.p99_ms), or all (default: "
	  "throughput.requests_per_sec and latency.p99_ms)", 0 },
	{ "since", 0, H_SINCE, "WHEN", "runs from WHEN on: YYYY-MM-DD[THH:MM:SS] (UTC), or Nd / Nh ago", 0 },
	{ "host", 0, H_HOST, "NAME", "only this host", 0 },
	{ "last", 'n', H_LAST, "N", "the last N runs of each series (default 20; check: 30)", 0 },
	{ "json", 0, H_JSON, NULL, "print JSON instead of a table", 0 },
	{ "html", 0, H_HTML, "FILE", "also write the trends as a self-contained HTML page of charts (SVG)", 0 },
	{ "help", 'h', H_HELP, NULL, "this help", 0 },
	{},
};

static const struct cli_option check_options[] = {
	{ "db", 0, H_DB, "PATH|URL", "the store (default ./.bindprof/history.db)", 0 },
	{ "workload", 'w', H_WORKLOAD, "W", "only this workload", 0 },
	{ "metric", 'm', H_METRIC, "M", "only this metric, or all (default: throughput.requests_per_sec and latency.p99_ms)", 0 },
	{ "since", 0, H_SINCE, "WHEN", "runs from WHEN on (as show)", 0 },
	{ "host", 0, H_HOST, "NAME", "only this host", 0 },
	{ "last", 'n', H_LAST, "N", "the last N runs of each series (default 30)", 0 },
	{ "min-change", 0, H_MIN_CHANGE, "PCT", "a step changes the mean by PCT percent at least (default 2)", 0 },
	{ "json", 0, H_JSON, NULL, "print JSON instead of a table", 0 },
	{ "help", 'h', H_HELP, NULL, "this help", 0 },
	{},
};

struct hopts {
	const char *db, *commit, *framework, *workload, *metric, *host, *html;
	char since[32];
	long last;
	double min_change;
	bool json, help;
};

static int hopt(void *ctx, int id, const char *arg, char *err, int errlen)
{
	struct hopts *o = ctx;
	long l;

	switch (id) {
	case H_HELP:
		o->help = true;
		return CLI_STOP;
	case H_DB: o->db = arg; break;
	case H_COMMIT: o->commit = arg; break;
	case H_FRAMEWORK:
		if (text_control_check("--framework", arg, err, errlen))
			return -EINVAL;
		o->framework = arg;
		break;
	case H_WORKLOAD: o->workload = arg; break;
	case H_METRIC: o->metric = arg; break;
	case H_HOST: o->host = arg; break;
	case H_JSON: o->json = true; break;
	case H_HTML:
		if (!*arg) {
			snprintf(err, errlen, "--html: empty file name");
			return -EINVAL;
		}
		o->html = arg;
		break;
	case H_LAST:
		if (parse_long(arg, 1, 100000, &l)) {
			snprintf(err, errlen, "--last: invalid count '%s' (1..100000)", arg);
			return -EINVAL;
		}
		o->last = l;
		break;
	case H_MIN_CHANGE: {
		char *end;
		double v = strtod(arg, &end);

		if (*end || end == arg || !(v >= 0 && v < 1000)) {
			snprintf(err, errlen, "--min-change: invalid percentage '%s' (0..1000)", arg);
			return -EINVAL;
		}
		o->min_change = v;
		break;
	}
	case H_SINCE: {
		struct tm tm = { 0 };
		char *end;
		long n = strtol(arg, &end, 10);

		if (end != arg && (!strcmp(end, "d") || !strcmp(end, "h")) && n > 0) {
			time_t t = time(NULL) - n * (*end == 'd' ? 86400 : 3600);

			strftime(o->since, sizeof(o->since), "%Y-%m-%dT%H:%M:%SZ", gmtime(&t));
		} else if ((end = strptime(arg, "%Y-%m-%d", &tm)) && (!*end || strptime(end, "T%H:%M:%S", &tm))) {
			strftime(o->since, sizeof(o->since), "%Y-%m-%dT%H:%M:%SZ", &tm);
		} else {
			snprintf(err, errlen, "--since: '%s' is not YYYY-MM-DD[THH:MM:SS], Nd or Nh", arg);
			return -EINVAL;
		}
		break;
	}
	}
	return 0;
}

static int history_add(int argc, char **argv)
{
	struct hopts o = { 0 };
	struct db *db;
	char err[1024];
	int first = cli_parse(add_options, 0, argc, argv, hopt, &o, err, sizeof(err)), stored = 0, nm = 0, ret = EXIT_OK;

	if (first < 0) {
		log_err("history add: %s", err);
		return EXIT_BADINPUT;
	}
	if (o.help) {
		cli_options_usage(stdout, "bindprof history add", "FILE.json...", add_options,
				  "Store every workload's metrics of profile, compare, load or record files, with "
				  "the host, commit, framework, time and configuration of the run. A file stored "
				  "before (same file, time and host) is skipped.", NULL);
		return EXIT_OK;
	}
	if (first >= argc) {
		log_err("history add: give one or more FILE.json");
		return EXIT_BADINPUT;
	}
	{
		int e = db_open(o.db, &db, err, sizeof(err));

		if (e) {
			log_err("history add: %s", err);
			return e == -EISDIR || e == -EPROTO ? EXIT_BADINPUT : EXIT_ENV;
		}
	}
	for (int i = first; i < argc; i++) {
		struct history_add_opts ao = { o.commit, o.framework };
		int before = stored;

		int e = history_add_file(db, argv[i], &ao, &stored, &nm, err, sizeof(err));

		if (e < 0) {
			log_err("history add: %s: %s", argv[i], err);
			ret = EXIT_BADINPUT;
			break;
		}
		if (stored == before && !e)
			log_info("history add: %s: stored before, skipped", argv[i]);
	}
	if (ret == EXIT_OK)
		printf("bindprof: stored %d run%s (%d metrics) in %s (%s, schema %d)\n", stored, stored == 1 ? "" : "s", nm,
		       o.db ? o.db : DB_DEFAULT_PATH, db_kind(db), db_schema_version(db));
	db_close(db);
	return ret;
}

/* ---- show and check ---- */

static const char *short_commit(const char *c)
{
	static char buf[4][16];
	static int k;
	char *b = buf[k++ % 4];

	snprintf(b, 16, "%.10s", c && *c ? c : "-");
	return b;
}

static void json_point(cJSON *arr, const struct history_point *p)
{
	cJSON *o = cJSON_CreateObject();

	cJSON_AddNumberToObject(o, "run", p->run);
	cJSON_AddStringToObject(o, "time", p->run_at);
	if (*p->commit)
		cJSON_AddStringToObject(o, "commit", p->commit);
	else
		cJSON_AddNullToObject(o, "commit");
	cJSON_AddNumberToObject(o, "value", p->value);
	cJSON_AddItemToArray(arr, o);
}

static cJSON *json_series(const struct history_point *p)
{
	cJSON *s = cJSON_CreateObject();

	cJSON_AddStringToObject(s, "workload", p->workload);
	cJSON_AddStringToObject(s, "metric", p->metric);
	cJSON_AddStringToObject(s, "host", p->host);
	if (*p->framework)
		cJSON_AddStringToObject(s, "framework", p->framework);
	else
		cJSON_AddNullToObject(s, "framework");
	cJSON_AddStringToObject(s, "config_key", p->config_key);
	return s;
}

/* The points' labels as printed on a terminal: control characters as \xNN (lib/util.h). The
 * series key (0x1f-separated) is left as it is. */
static int escape_points(struct history_points *ps)
{
	for (size_t i = 0; i < ps->n; i++) {
		char **f[] = { &ps->p[i].host, &ps->p[i].framework, &ps->p[i].workload, &ps->p[i].metric,
			       &ps->p[i].run_at, &ps->p[i].commit };

		for (size_t k = 0; k < sizeof(f) / sizeof(f[0]); k++) {
			char *e = str_escape_controls(*f[k]);

			if (!e)
				return -ENOMEM;
			free(*f[k]);
			*f[k] = e;
		}
	}
	return 0;
}

static int open_for_query(int argc, char **argv, const char *cmd, const struct cli_option *opts, const char *about,
			  struct hopts *o, struct db **db)
{
	char err[1024];
	int first = cli_parse(opts, 0, argc, argv, hopt, o, err, sizeof(err));

	if (first < 0) {
		log_err("history %s: %s", cmd, err);
		return EXIT_BADINPUT;
	}
	if (o->help) {
		char name[64];

		snprintf(name, sizeof(name), "bindprof history %s", cmd);
		cli_options_usage(stdout, name, NULL, opts, about, NULL);
		return -1;
	}
	if (first < argc) {
		log_err("history %s: unexpected argument '%s'", cmd, argv[first]);
		return EXIT_BADINPUT;
	}
	if (o->html && validate_output_path("--html", o->html, err, sizeof(err))) {
		log_err("history %s: %s", cmd, err);
		return EXIT_BADINPUT;
	}
	{
		int e = db_open_existing(o->db, db, err, sizeof(err));

		if (e) {
			log_err("history %s: %s", cmd, err);
			return e == -EIO || e == -ENOMEM ? EXIT_ENV : EXIT_BADINPUT;
		}
	}
	return 0;
}

/* The trend charts: one SVG per series, the runs left to right in time order, the value on a
 * linear axis from the series' minimum to its maximum; each point has a <title> with its run,
 * time, commit and value. Well-formed XHTML (the tests parse it). 0 or a negative errno. */
static int write_html(const struct history_points *ps, long last, const char *path)
{
	struct file_out fo; /* harden: the atomic writer, every write's error checked */
	char ferr[4200];
	FILE *f;
	int e;

	if ((e = file_out_open(&fo, path, ferr, sizeof(ferr))))
		return e;
	f = fo.f;
	fputs("<!DOCTYPE html>\n<html xmlns=\"http://www.w3.org/1999/xhtml\"><head><meta charset=\"utf-8\"/>"
	      "<title>bindprof history</title><style>body{font-family:sans-serif}svg{display:block;margin:8px 0}"
	      ".line{fill:none;stroke:#3366cc;stroke-width:1.5}.pt{fill:#3366cc}.ax{stroke:#999}"
	      "text{font-size:11px}</style></head><body><h1>bindprof history</h1>\n", f);
	for (size_t i = 0, from, end; i < ps->n; i = end) {
		end = history_next_series(ps, i, &from, last);
		history_trend_svg(f, ps, from, end);
	}
	fputs("</body></html>\n", f);
	return file_out_commit(&fo, ferr, sizeof(ferr));
}

static int history_show(int argc, char **argv)
{
	struct hopts o = { .last = 20 };
	struct history_points ps = { 0 };
	struct db *db;
	char err[1024];
	cJSON *out = NULL;
	int ret = open_for_query(argc, argv, "show", show_options,
				 "A trend table: per workload and metric, the runs of each host and configuration in "
				 "time order, with each run's change from the one before.", &o, &db);

	if (ret)
		return ret < 0 ? EXIT_OK : ret;
	if (history_load(db, &(struct history_filter){ o.workload, o.metric, o.since, o.host }, &ps, err, sizeof(err))) {
		log_err("history show: %s", err);
		db_close(db);
		return EXIT_ENV;
	}
	if (!o.json && escape_points(&ps)) { /* printed: control characters as \\xNN */
		log_err("history show: out of memory");
		history_points_free(&ps);
		db_close(db);
		return EXIT_ENV;
	}
	if (o.json)
		out = cJSON_CreateArray();
	else if (!ps.n)
		printf("no runs match (%s; --metric all shows every metric)\n",
		       o.metric ? o.metric : "throughput.requests_per_sec, latency.p99_ms");
	for (size_t i = 0, from, end; i < ps.n; i = end) {
		end = history_next_series(&ps, i, &from, o.last);
		if (out) {
			cJSON *s = json_series(&ps.p[i]), *pts = cJSON_AddArrayToObject(s, "points");

			for (size_t k = from; k < end; k++)
				json_point(pts, &ps.p[k]);
			cJSON_AddItemToArray(out, s);
			continue;
		}
		printf("\n%s  %s  (host %s%s%s)\n", ps.p[i].workload, ps.p[i].metric, ps.p[i].host,
		       *ps.p[i].framework ? ", framework " : "", ps.p[i].framework);
		printf("  %6s  %-20s  %-10s  %14s  %8s\n", "run", "time", "commit", "value", "change");
		for (size_t k = from; k < end; k++) {
			char ch[16] = "";

			if (k > from && ps.p[k - 1].value)
				snprintf(ch, sizeof(ch), "%+.1f%%", 100 * (ps.p[k].value / ps.p[k - 1].value - 1));
			printf("  %6ld  %-20s  %-10s  %14.6g  %8s\n", ps.p[k].run, ps.p[k].run_at, short_commit(ps.p[k].commit),
			       ps.p[k].value, ch);
		}
	}
	if (out) {
		char *s = cJSON_Print(out);

		printf("%s\n", s);
		free(s);
		cJSON_Delete(out);
	}
	if (o.html) {
		int e = write_html(&ps, o.last, o.html);

		if (e) {
			log_err("history show: --html: %s: %s", o.html, strerror(-e));
			ret = EXIT_BADINPUT;
		} else if (!o.json) {
			printf("wrote %s\n", o.html);
		}
	}
	history_points_free(&ps);
	db_close(db);
	return ret;
}

static int history_check(int argc, char **argv)
{
	struct hopts o = { .last = 30, .min_change = 2 };
	struct history_points ps = { 0 };
	struct cp_opts co;
	struct db *db;
	char err[1024];
	cJSON *out = NULL;
	int ret = open_for_query(argc, argv, "check", check_options,
				 "Find step changes in the last N runs of each series (a workload's metric on one host "
				 "and configuration) with E-divisive means, a permutation test (p < 0.01) and a "
				 "minimum change; name the first run (and commit) of each step. Exit 1 when a step "
				 "makes a metric worse (lower throughput, higher latency or time).", &o, &db);
	int nsteps = 0, nworse = 0, nseries = 0;

	if (ret)
		return ret < 0 ? EXIT_OK : ret;
	if (history_load(db, &(struct history_filter){ o.workload, o.metric, o.since, o.host }, &ps, err, sizeof(err))) {
		log_err("history check: %s", err);
		db_close(db);
		return EXIT_ENV;
	}
	if (!o.json && escape_points(&ps)) { /* printed: control characters as \\xNN */
		log_err("history check: out of memory");
		history_points_free(&ps);
		db_close(db);
		return EXIT_ENV;
	}
	cp_opts_default(&co);
	co.min_change = o.min_change / 100;
	if (o.json)
		out = cJSON_CreateArray();
	for (size_t i = 0, from, end; i < ps.n; i = end) {
		double *xs;
		struct cp_step st[32];
		int n, k;

		end = history_next_series(&ps, i, &from, o.last);
		n = (int)(end - from);
		nseries++;
		if (!(xs = malloc(n * sizeof(*xs))))
			break;
		for (int j = 0; j < n; j++)
			xs[j] = ps.p[from + j].value;
		k = cp_detect(xs, n, &co, st, 32);
		free(xs);
		for (int s = 0; s < k; s++) {
			const struct history_point *p = &ps.p[from + st[s].index];
			bool worse = history_higher_is_better(p->metric) ? st[s].change < 0 : st[s].change > 0;

			nsteps++;
			nworse += worse;
			if (out) {
				cJSON *j = json_series(p);

				cJSON_AddNumberToObject(j, "first_run", p->run);
				cJSON_AddStringToObject(j, "time", p->run_at);
				if (*p->commit)
					cJSON_AddStringToObject(j, "commit", p->commit);
				else
					cJSON_AddNullToObject(j, "commit");
				cJSON_AddNumberToObject(j, "runs_before", st[s].index);
				cJSON_AddNumberToObject(j, "runs_in_series", n);
				cJSON_AddNumberToObject(j, "before", st[s].before);
				cJSON_AddNumberToObject(j, "after", st[s].after);
				cJSON_AddNumberToObject(j, "change_percent", 100 * st[s].change);
				cJSON_AddNumberToObject(j, "p_value", st[s].p);
				cJSON_AddStringToObject(j, "verdict", worse ? "regression" : "improvement");
				cJSON_AddItemToArray(out, j);
			} else {
				printf("%s: %s %s on host %s: %.6g -> %.6g (%+.1f%%, p %.3f) from run %ld (commit %s, %s)\n",
				       worse ? "REGRESSION" : "improvement", p->workload, p->metric, p->host, st[s].before,
				       st[s].after, 100 * st[s].change, st[s].p, p->run, short_commit(p->commit), p->run_at);
			}
		}
	}
	if (out) {
		char *s = cJSON_Print(out);

		printf("%s\n", s);
		free(s);
		cJSON_Delete(out);
	} else {
		printf("bindprof: %d series checked (last %ld runs each), %d step%s, %d regression%s\n", nseries, o.last,
		       nsteps, nsteps == 1 ? "" : "s", nworse, nworse == 1 ? "" : "s");
	}
	history_points_free(&ps);
	db_close(db);
	return nworse ? EXIT_REGRESSION : EXIT_OK;
}

static const char history_usage[] =
	"usage: bindprof history add FILE.json... | show [OPTIONS] | check [OPTIONS]\n"
	"\n"
	"  add    store every workload's metrics of profile, compare, load or record files\n"
	"  show   a trend table per workload and metric\n"
	"  check  step changes in the last N runs of each host and configuration (exit 1: a regression)\n"
	"\n"
	"The store is ./.bindprof/history.db (SQLite) unless --db names another file or a\n"
	"postgresql:// URL. Each subcommand takes --help.\n";

int cmd_history(int argc, char **argv)
{
	if (argc < 2) {
		fputs(history_usage, stderr);
		return EXIT_BADINPUT;
	}
	if (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")) {
		fputs(history_usage, stdout);
		return EXIT_OK;
	}
	if (!strcmp(argv[1], "add"))
		return history_add(argc - 1, argv + 1);
	if (!strcmp(argv[1], "show"))
		return history_show(argc - 1, argv + 1);
	if (!strcmp(argv[1], "check"))
		return history_check(argc - 1, argv + 1);
	log_err("history: unknown subcommand '%s' (add, show, check)", argv[1]);
	return EXIT_BADINPUT;
}
