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
#include "cli/commands.h"
#include "cli/options.h"
#include "history/db.h"
#include "lib/json.h"
#include "lib/log.h"
#include "lib/util.h"
#include "output/document.h"
#include "output/reader.h"
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

static const char *const default_metrics[] = { "throughput.requests_per_sec", "latency.p99_ms" };

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
	case H_FRAMEWORK: o->framework = arg; break;
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

/* ---- add ---- */

static uint64_t fnv1a(const char *s)
{
	uint64_t h = 1469598103934665603ULL;

	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ULL;
	return h;
}

/* The configuration that makes runs comparable, as one canonical line: the top-level keys in
 * order of name, without what differs between identical setups (measured_secs; the port of
 * the app's URL, a free port per run). */
static char *config_line(const cJSON *cfg)
{
	const cJSON *keys[128], *e;
	size_t n = 0, len = 0, cap = 4096;
	char *out = malloc(cap);

	if (!out)
		return NULL;
	out[0] = '\0';
	cJSON_ArrayForEach(e, cfg)
		if (n < 128 && e->string && strcmp(e->string, "measured_secs"))
			keys[n++] = e;
	for (size_t i = 0; i < n; i++)
		for (size_t j = i + 1; j < n; j++)
			if (strcmp(keys[j]->string, keys[i]->string) < 0) {
				const cJSON *t = keys[i];

				keys[i] = keys[j];
				keys[j] = t;
			}
	for (size_t i = 0; i < n; i++) {
		char *v = cJSON_PrintUnformatted(keys[i]), *colon;
		size_t need;

		if (!v)
			continue;
		if (!strcmp(keys[i]->string, "url") && (colon = strrchr(v, ':')) && colon > strstr(v, "//")) {
			char *end = colon + 1;

			while (*end >= '0' && *end <= '9')
				end++;
			memmove(colon, end, strlen(end) + 1);
		}
		need = strlen(keys[i]->string) + strlen(v) + 3;
		if (len + need >= cap) {
			char *nb = realloc(out, cap = 2 * (len + need));

			if (!nb) {
				free(v);
				break;
			}
			out = nb;
		}
		len += sprintf(out + len, "%s%s=%s", len ? ";" : "", keys[i]->string, v);
		free(v);
	}
	return out;
}

struct metric_list {
	char (*name)[160];
	double *val;
	int n, cap;
};

static void metric_add(struct metric_list *m, const char *name, double v)
{
	if (m->n == m->cap) {
		int cap = m->cap ? 2 * m->cap : 64;
		void *a = realloc(m->name, cap * sizeof(*m->name)), *b;

		if (!a)
			return;
		m->name = a;
		if (!(b = realloc(m->val, cap * sizeof(*m->val))))
			return;
		m->val = b;
		m->cap = cap;
	}
	snprintf(m->name[m->n], sizeof(m->name[0]), "%s", name);
	m->val[m->n++] = v;
}

/* Every finite number under o (objects only: arrays are per-item detail), by dotted path. */
static void flatten(const cJSON *o, const char *prefix, struct metric_list *m, int depth)
{
	const cJSON *e;

	if (depth > 8)
		return;
	cJSON_ArrayForEach(e, o) {
		char path[160];

		if (!e->string)
			continue;
		snprintf(path, sizeof(path), "%s%s%s", prefix, *prefix ? "." : "", e->string);
		if (cJSON_IsNumber(e) && isfinite(e->valuedouble))
			metric_add(m, path, e->valuedouble);
		else if (cJSON_IsObject(e))
			flatten(e, path, m, depth + 1);
	}
}

static char *git_head(void)
{
	char line[128];
	FILE *p = popen("git rev-parse HEAD 2>/dev/null", "r");
	char *res = NULL;

	if (!p)
		return NULL;
	if (fgets(line, sizeof(line), p)) {
		line[strcspn(line, "\n")] = '\0';
		if (strlen(line) == 40)
			res = strdup(line);
	}
	pclose(p);
	return res;
}

struct run_meta {
	const char *run_at, *host, *commit, *framework, *mode, *source;
	char host_key[512], config_key[24];
	char *config;
};

static int first_col(void *ctx, int n, const char *const *v)
{
	snprintf(ctx, 32, "%s", n && v[0] ? v[0] : "");
	return 1;
}

/* One run (a file, or one framework of a compare file) with its workloads' metrics. Returns 1
 * when stored, 0 when the same run (file, time and host) was stored before, or an error. */
static int store_run(struct db *db, const struct run_meta *r, const char *const *wl, struct metric_list *ms, int nwl,
		     char *err, int errlen)
{
	char id[32] = "", now[32];
	time_t t = time(NULL);
	const char *dup[3] = { r->source, r->run_at, r->host_key };
	const char *p[10];
	int e;

	strftime(now, sizeof(now), "%Y-%m-%dT%H:%M:%SZ", gmtime(&t));
	if ((e = db_query(db, "SELECT id FROM runs WHERE source = ?1 AND run_at = ?2 AND host_key = ?3 AND "
			      "COALESCE(framework, '') = ?4", 4,
			  (const char *[]){ dup[0], dup[1], dup[2], r->framework ? r->framework : "" }, first_col, id,
			  err, errlen)))
		return e;
	if (id[0])
		return 0;
	if ((e = db_begin(db, err, errlen)))
		return e;
	p[0] = now, p[1] = r->run_at, p[2] = r->host, p[3] = r->host_key, p[4] = r->commit, p[5] = r->framework;
	p[6] = r->mode, p[7] = r->config_key, p[8] = r->config, p[9] = r->source;
	if ((e = db_query(db, "INSERT INTO runs (added_at, run_at, host, host_key, commit_id, framework, mode, "
			      "config_key, config, source) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10) RETURNING id",
			  10, p, first_col, id, err, errlen)))
		goto fail;
	for (int w = 0; w < nwl; w++)
		for (int i = 0; i < ms[w].n; i++) {
			char v[40];
			const char *mp[4] = { id, wl[w], ms[w].name[i], v };

			snprintf(v, sizeof(v), "%.17g", ms[w].val[i]);
			if ((e = db_exec(db, "INSERT INTO metrics (run_id, workload, metric, value) VALUES (?1, ?2, ?3, ?4)",
					 4, mp, err, errlen)))
				goto fail;
		}
	if ((e = db_commit(db, err, errlen)))
		goto fail;
	return 1;
fail:
	db_rollback(db);
	return e;
}

/* compare's per-framework figures under the names profile files use */
static const char *compare_metric(const char *k)
{
	if (!strcmp(k, "requests_per_sec"))
		return "throughput.requests_per_sec";
	if (!strcmp(k, "p50_ms"))
		return "latency.median_ms";
	if (!strcmp(k, "p99_ms"))
		return "latency.p99_ms";
	return k;
}

static int add_file(struct db *db, const struct hopts *o, const char *path, int *stored, int *metrics_n, char *err,
		    int errlen)
{
	cJSON *doc = profile_read(path, err, errlen);
	const cJSON *cfg = NULL;
	struct run_meta r = { .source = path };
	const char *cpu = NULL, *ts = NULL, *fw = NULL, *commit = NULL;
	double cores = 0;
	char *head = NULL, tsbuf[32];
	int e = -EINVAL;

	if (!doc)
		return -EINVAL;
	if (json_str(doc, "", "mode", 0, &r.mode, err, errlen) < 0 ||
	    json_str(doc, "", "metadata.host.hostname", JSON_OPTIONAL, &r.host, err, errlen) < 0 ||
	    json_str(doc, "", "metadata.host.cpu_model", JSON_OPTIONAL, &cpu, err, errlen) < 0 ||
	    json_num(doc, "", "metadata.host.cpu_cores", JSON_OPTIONAL, &cores, err, errlen) < 0 ||
	    json_str(doc, "", "metadata.timestamp", JSON_OPTIONAL, &ts, err, errlen) < 0 ||
	    json_str(doc, "", "metadata.framework", JSON_OPTIONAL, &fw, err, errlen) < 0 ||
	    json_str(doc, "", "metadata.git_commit", JSON_OPTIONAL, &commit, err, errlen) < 0 ||
	    json_obj(doc, "", "configuration", JSON_OPTIONAL, &cfg, err, errlen) < 0)
		goto out;
	if (!r.host)
		r.host = "unknown";
	snprintf(r.host_key, sizeof(r.host_key), "%s|%s|%g", r.host, cpu ? cpu : "?", cores);
	if (!ts) {
		time_t t = time(NULL);

		strftime(tsbuf, sizeof(tsbuf), "%Y-%m-%dT%H:%M:%SZ", gmtime(&t));
		ts = tsbuf;
	}
	r.run_at = ts;
	r.commit = o->commit ? o->commit : commit ? commit : (head = git_head());
	r.framework = o->framework ? o->framework : fw;
	{
		char *line = cfg ? config_line(cfg) : strdup(""), *full;
		size_t len = (line ? strlen(line) : 0) + strlen(r.mode) + 2;

		if (!line || !(full = malloc(len))) {
			free(line);
			e = -ENOMEM;
			snprintf(err, errlen, "out of memory");
			goto out;
		}
		snprintf(full, len, "%s|%s", r.mode, line);
		snprintf(r.config_key, sizeof(r.config_key), "%016llx", (unsigned long long)fnv1a(full));
		free(full);
		r.config = cfg ? cJSON_PrintUnformatted(cfg) : strdup("{}");
		free(line);
	}
	if (!strcmp(r.mode, "compare")) {
		/* one run per framework: the rows' figures */
		const cJSON *rows, *row, *fws, *f;
		const char *names[64];
		int nf = 0;

		if (json_arr(doc, "", "results", 0, &rows, err, errlen) < 0 ||
		    json_arr(doc, "", "frameworks", 0, &fws, err, errlen) < 0)
			goto out;
		cJSON_ArrayForEach(f, fws) {
			const char *name;

			if (nf < 64 && json_str(f, "frameworks[]", "name", 0, &name, err, errlen) > 0)
				names[nf++] = name;
		}
		for (int k = 0; k < nf; k++) {
			struct metric_list ms[512] = { 0 };
			char labels[512][256];
			const char *wl[512];
			int nw = 0, ri = 0;

			cJSON_ArrayForEach(row, rows) {
				const char *suite, *wname;
				const cJSON *fr, *v;
				char where[32];

				snprintf(where, sizeof(where), "results[%d]", ri++);
				if (json_str(row, where, "suite", 0, &suite, err, errlen) < 0 ||
				    json_str(row, where, "workload", 0, &wname, err, errlen) < 0)
					goto out;
				fr = cJSON_GetObjectItem(cJSON_GetObjectItem(row, "frameworks"), names[k]);
				if (!cJSON_IsObject(fr) || nw >= 512)
					continue;
				snprintf(labels[nw], sizeof(labels[0]), "%s/%s", suite, wname);
				wl[nw] = labels[nw];
				cJSON_ArrayForEach(v, fr)
					if (cJSON_IsNumber(v) && isfinite(v->valuedouble) && strcmp(v->string, "repeats"))
						metric_add(&ms[nw], compare_metric(v->string), v->valuedouble);
				nw++;
			}
			r.framework = names[k];
			e = store_run(db, &r, wl, ms, nw, err, errlen);
			for (int w = 0; w < nw; w++) {
				*metrics_n += e > 0 ? ms[w].n : 0;
				free(ms[w].name);
				free(ms[w].val);
			}
			if (e < 0)
				goto out;
			*stored += e;
		}
		e = 0;
	} else {
		static struct doc_workload w[PROFILE_DOC_MAX_WORKLOADS];
		struct metric_list *ms;
		const char *wl[PROFILE_DOC_MAX_WORKLOADS];
		int n = profile_doc_workloads(doc, w, PROFILE_DOC_MAX_WORKLOADS, err, errlen);

		if (n < 0)
			goto out;
		if (!n) {
			snprintf(err, errlen, "no workload with results in this %s file", r.mode);
			goto out;
		}
		if (!(ms = calloc(n, sizeof(*ms)))) {
			e = -ENOMEM;
			goto out;
		}
		for (int i = 0; i < n; i++) {
			wl[i] = w[i].label;
			flatten(w[i].results, "", &ms[i], 0);
		}
		e = store_run(db, &r, wl, ms, n, err, errlen);
		for (int i = 0; i < n; i++) {
			*metrics_n += e > 0 ? ms[i].n : 0;
			free(ms[i].name);
			free(ms[i].val);
		}
		free(ms);
		if (e >= 0) {
			*stored += e;
			e = 0;
		}
	}
out:
	free(r.config);
	free(head);
	cJSON_Delete(doc);
	return e;
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
	if (db_open(o.db, &db, err, sizeof(err))) {
		log_err("history: %s", err);
		return EXIT_ENV;
	}
	for (int i = first; i < argc; i++) {
		int before = stored;

		if (add_file(db, &o, argv[i], &stored, &nm, err, sizeof(err))) {
			log_err("history add: %s: %s", argv[i], err);
			ret = EXIT_BADINPUT;
			break;
		}
		if (stored == before)
			log_info("history add: %s: stored before, skipped", argv[i]);
	}
	if (ret == EXIT_OK)
		printf("bindprof: stored %d run%s (%d metrics) in %s (%s, schema %d)\n", stored, stored == 1 ? "" : "s", nm,
		       o.db ? o.db : DB_DEFAULT_PATH, db_kind(db), db_schema_version(db));
	db_close(db);
	return ret;
}

/* ---- show and check ---- */

struct point {
	char *series; /* host_key, config_key, framework, workload, metric (0x1f between) */
	char *host, *framework, *workload, *metric, *run_at, *commit, *config_key;
	long run;
	double value;
};

struct points {
	struct point *p;
	size_t n, cap;
	const struct hopts *o;
};

static bool metric_wanted(const struct hopts *o, const char *m)
{
	if (o->metric)
		return !strcmp(o->metric, "all") || !strcmp(o->metric, m);
	for (size_t i = 0; i < sizeof(default_metrics) / sizeof(default_metrics[0]); i++)
		if (!strcmp(default_metrics[i], m))
			return true;
	return false;
}

static char *sdup(const char *s)
{
	return strdup(s ? s : "");
}

/* columns: id, run_at, commit_id, host, host_key, config_key, framework, workload, metric, value */
static int point_row(void *ctx, int n, const char *const *v)
{
	struct points *ps = ctx;
	struct point *p;
	char key[2048];

	if (n < 10 || !metric_wanted(ps->o, v[8]))
		return 0;
	if (ps->n == ps->cap) {
		size_t cap = ps->cap ? 2 * ps->cap : 256;
		struct point *np = realloc(ps->p, cap * sizeof(*np));

		if (!np)
			return 1;
		ps->p = np;
		ps->cap = cap;
	}
	p = &ps->p[ps->n++];
	snprintf(key, sizeof(key), "%s\x1f%s\x1f%s\x1f%s\x1f%s", v[4], v[5], v[6] ? v[6] : "", v[7], v[8]);
	p->series = strdup(key);
	p->run = atol(v[0]);
	p->run_at = sdup(v[1]);
	p->commit = sdup(v[2]);
	p->host = sdup(v[3]);
	p->framework = sdup(v[6]);
	p->workload = sdup(v[7]);
	p->metric = sdup(v[8]);
	p->config_key = sdup(v[5]);
	p->value = strtod(v[9], NULL);
	return 0;
}

static void points_free(struct points *ps)
{
	for (size_t i = 0; i < ps->n; i++) {
		struct point *p = &ps->p[i];

		free(p->series);
		free(p->host);
		free(p->framework);
		free(p->workload);
		free(p->metric);
		free(p->run_at);
		free(p->commit);
		free(p->config_key);
	}
	free(ps->p);
}

static int load_points(struct db *db, const struct hopts *o, struct points *ps, char *err, int errlen)
{
	const char *p[4] = { o->workload, o->metric && strcmp(o->metric, "all") ? o->metric : NULL,
			     o->since[0] ? o->since : NULL, o->host };

	ps->o = o;
	return db_query(db,
			"SELECT r.id, r.run_at, r.commit_id, r.host, r.host_key, r.config_key, r.framework, m.workload, "
			"m.metric, m.value FROM metrics m JOIN runs r ON r.id = m.run_id "
			"WHERE (CAST(?1 AS TEXT) IS NULL OR m.workload = ?1) "
			"AND (CAST(?2 AS TEXT) IS NULL OR m.metric = ?2) "
			"AND (CAST(?3 AS TEXT) IS NULL OR r.run_at >= ?3) "
			"AND (CAST(?4 AS TEXT) IS NULL OR r.host = ?4) "
			"ORDER BY r.host_key, r.config_key, COALESCE(r.framework, ''), m.workload, m.metric, r.run_at, r.id",
			4, p, point_row, ps, err, errlen);
}

/* The series in ps: [start, end) ranges of equal series keys, the last `last` points of each. */
static size_t next_series(const struct points *ps, size_t i, size_t *from, long last)
{
	size_t j = i;

	while (j < ps->n && !strcmp(ps->p[j].series, ps->p[i].series))
		j++;
	*from = j - i > (size_t)last ? j - last : i;
	return j;
}

static const char *short_commit(const char *c)
{
	static char buf[4][16];
	static int k;
	char *b = buf[k++ % 4];

	snprintf(b, 16, "%.10s", c && *c ? c : "-");
	return b;
}

static bool higher_is_better(const char *metric)
{
	return strstr(metric, "requests_per_sec") || strstr(metric, "success") || strstr(metric, "throughput");
}

static void json_point(cJSON *arr, const struct point *p)
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

static cJSON *json_series(const struct point *p)
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
	if (db_open(o->db, db, err, sizeof(err))) {
		log_err("history: %s", err);
		return EXIT_ENV;
	}
	return 0;
}

static void xml_text(FILE *f, const char *s)
{
	for (; s && *s; s++)
		switch (*s) {
		case '<': fputs("&lt;", f); break;
		case '>': fputs("&gt;", f); break;
		case '&': fputs("&amp;", f); break;
		case '"': fputs("&quot;", f); break;
		default: fputc(*s, f);
		}
}

/* The trend charts: one SVG per series, the runs left to right in time order, the value on a
 * linear axis from the series' minimum to its maximum; each point has a <title> with its run,
 * time, commit and value. Well-formed XHTML (the tests parse it). 0 or a negative errno. */
static int write_html(const struct points *ps, long last, const char *path)
{
	const double W = 640, H = 200, L = 70, R = 10, T = 30, B = 30;
	char tmp[4096];
	FILE *f;

	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	if (!(f = fopen(tmp, "w")))
		return -errno;
	fputs("<!DOCTYPE html>\n<html xmlns=\"http://www.w3.org/1999/xhtml\"><head><meta charset=\"utf-8\"/>"
	      "<title>bindprof history</title><style>body{font-family:sans-serif}svg{display:block;margin:8px 0}"
	      ".line{fill:none;stroke:#3366cc;stroke-width:1.5}.pt{fill:#3366cc}.ax{stroke:#999}"
	      "text{font-size:11px}</style></head><body><h1>bindprof history</h1>\n", f);
	for (size_t i = 0, from, end; i < ps->n; i = end) {
		double lo, hi;
		size_t n;

		end = next_series(ps, i, &from, last);
		n = end - from;
		lo = hi = ps->p[from].value;
		for (size_t k = from; k < end; k++) {
			lo = ps->p[k].value < lo ? ps->p[k].value : lo;
			hi = ps->p[k].value > hi ? ps->p[k].value : hi;
		}
		if (hi == lo) {
			hi += fabs(hi) * 0.01 + 1e-9;
			lo -= fabs(lo) * 0.01 + 1e-9;
		}
		fprintf(f, "<svg class=\"series\" xmlns=\"http://www.w3.org/2000/svg\" width=\"%.0f\" height=\"%.0f\" "
			   "data-workload=\"", W, H);
		xml_text(f, ps->p[i].workload);
		fputs("\" data-metric=\"", f);
		xml_text(f, ps->p[i].metric);
		fputs("\" data-host=\"", f);
		xml_text(f, ps->p[i].host);
		fprintf(f, "\" data-min=\"%.17g\" data-max=\"%.17g\">\n<text x=\"%.0f\" y=\"16\">", lo, hi, L);
		xml_text(f, ps->p[i].workload);
		fputs("  ", f);
		xml_text(f, ps->p[i].metric);
		fputs("  (host ", f);
		xml_text(f, ps->p[i].host);
		if (*ps->p[i].framework) {
			fputs(", framework ", f);
			xml_text(f, ps->p[i].framework);
		}
		fprintf(f, ")</text>\n<line class=\"ax\" x1=\"%.0f\" y1=\"%.0f\" x2=\"%.0f\" y2=\"%.0f\"/>"
			   "<line class=\"ax\" x1=\"%.0f\" y1=\"%.0f\" x2=\"%.0f\" y2=\"%.0f\"/>\n",
			L, T, L, H - B, L, H - B, W - R, H - B);
		fprintf(f, "<text x=\"%.0f\" y=\"%.0f\" text-anchor=\"end\">%.4g</text><text x=\"%.0f\" y=\"%.0f\" "
			   "text-anchor=\"end\">%.4g</text>\n", L - 4, T + 4, hi, L - 4, H - B, lo);
		fputs("<polyline class=\"line\" points=\"", f);
		for (size_t k = from; k < end; k++) {
			double x = L + (n > 1 ? (W - L - R) * (k - from) / (n - 1) : (W - L - R) / 2);
			double y = (H - B) - (H - B - T) * (ps->p[k].value - lo) / (hi - lo);

			fprintf(f, "%s%.2f,%.2f", k > from ? " " : "", x, y);
		}
		fputs("\"/>\n", f);
		for (size_t k = from; k < end; k++) {
			double x = L + (n > 1 ? (W - L - R) * (k - from) / (n - 1) : (W - L - R) / 2);
			double y = (H - B) - (H - B - T) * (ps->p[k].value - lo) / (hi - lo);

			fprintf(f, "<circle class=\"pt\" cx=\"%.2f\" cy=\"%.2f\" r=\"3\" data-run=\"%ld\" "
				   "data-value=\"%.17g\"><title>run %ld, ", x, y, ps->p[k].run, ps->p[k].value, ps->p[k].run);
			xml_text(f, ps->p[k].run_at);
			fputs(", commit ", f);
			xml_text(f, short_commit(ps->p[k].commit));
			fprintf(f, ": %.6g</title></circle>\n", ps->p[k].value);
		}
		fputs("</svg>\n", f);
	}
	fputs("</body></html>\n", f);
	if (fclose(f) || rename(tmp, path)) {
		int e = -errno;

		unlink(tmp);
		return e;
	}
	return 0;
}

static int history_show(int argc, char **argv)
{
	struct hopts o = { .last = 20 };
	struct points ps = { 0 };
	struct db *db;
	char err[1024];
	cJSON *out = NULL;
	int ret = open_for_query(argc, argv, "show", show_options,
				 "A trend table: per workload and metric, the runs of each host and configuration in "
				 "time order, with each run's change from the one before.", &o, &db);

	if (ret)
		return ret < 0 ? EXIT_OK : ret;
	if (load_points(db, &o, &ps, err, sizeof(err))) {
		log_err("history show: %s", err);
		db_close(db);
		return EXIT_ENV;
	}
	if (o.json)
		out = cJSON_CreateArray();
	else if (!ps.n)
		printf("no runs match (%s; --metric all shows every metric)\n",
		       o.metric ? o.metric : "throughput.requests_per_sec, latency.p99_ms");
	for (size_t i = 0, from, end; i < ps.n; i = end) {
		end = next_series(&ps, i, &from, o.last);
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
	points_free(&ps);
	db_close(db);
	return ret;
}

static int history_check(int argc, char **argv)
{
	struct hopts o = { .last = 30, .min_change = 2 };
	struct points ps = { 0 };
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
	if (load_points(db, &o, &ps, err, sizeof(err))) {
		log_err("history check: %s", err);
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

		end = next_series(&ps, i, &from, o.last);
		n = (int)(end - from);
		nseries++;
		if (!(xs = malloc(n * sizeof(*xs))))
			break;
		for (int j = 0; j < n; j++)
			xs[j] = ps.p[from + j].value;
		k = cp_detect(xs, n, &co, st, 32);
		free(xs);
		for (int s = 0; s < k; s++) {
			const struct point *p = &ps.p[from + st[s].index];
			bool worse = higher_is_better(p->metric) ? st[s].change < 0 : st[s].change > 0;

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
	points_free(&ps);
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
