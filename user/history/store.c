/* SPDX-License-Identifier: GPL-2.0-only */
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "history/store.h"
#include "inspect/metadata.h"
#include "lib/json.h"
#include "lib/log.h"
#include "output/document.h"
#include "output/reader.h"

const char *const history_default_metrics[HISTORY_DEFAULT_METRICS] = { "throughput.requests_per_sec", "latency.p99_ms" };

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

int history_add_file(struct db *db, const char *path, const struct history_add_opts *o, int *stored, int *metrics_n,
		     char *err, int errlen)
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
	if (cJSON_IsTrue(cJSON_GetObjectItem(doc, "partial"))) {
		/* an interrupted or cut-short run's figures would read as a step in the trend */
		const cJSON *why = cJSON_GetObjectItem(doc, "partial_reason");

		log_warn("history add: %s: a partial run (%s): not stored", path,
			 cJSON_IsString(why) ? why->valuestring : "partial");
		e = 1;
		goto out;
	}
	if (!r.host)
		r.host = "unknown";
	snprintf(r.host_key, sizeof(r.host_key), "%s|%s|%g", r.host, cpu ? cpu : "?", cores);
	if (!ts) {
		time_t t = time(NULL);

		strftime(tsbuf, sizeof(tsbuf), "%Y-%m-%dT%H:%M:%SZ", gmtime(&t));
		ts = tsbuf;
	}
	r.run_at = ts;
	r.commit = o->commit ? o->commit : commit ? commit : (head = metadata_git_commit());
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
		int kept = 0;

		for (int i = 0; i < n; i++) {
			/* a failed workload (nothing answered, mostly errors): its zeros are no level to trend */
			if (cJSON_IsTrue(json_get(w[i].results, "health.failed"))) {
				log_warn("history add: %s: %s failed in this run: not stored", path, w[i].label);
				continue;
			}
			wl[kept] = w[i].label;
			flatten(w[i].results, "", &ms[kept++], 0);
		}
		n = kept;
		if (!n) {
			free(ms);
			e = 1;
			goto out;
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


static bool metric_wanted(const struct history_filter *o, const char *m)
{
	if (o->metric)
		return !strcmp(o->metric, "all") || !strcmp(o->metric, m);
	for (int i = 0; i < HISTORY_DEFAULT_METRICS; i++)
		if (!strcmp(history_default_metrics[i], m))
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
	struct history_points *ps = ctx;
	struct history_point *p;
	char key[2048];

	if (n < 10 || !metric_wanted(ps->o, v[8]))
		return 0;
	if (ps->n == ps->cap) {
		size_t cap = ps->cap ? 2 * ps->cap : 256;
		struct history_point *np = realloc(ps->p, cap * sizeof(*np));

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

void history_points_free(struct history_points *ps)
{
	for (size_t i = 0; i < ps->n; i++) {
		struct history_point *p = &ps->p[i];

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

int history_load(struct db *db, const struct history_filter *o, struct history_points *ps, char *err, int errlen)
{
	const char *p[4] = { o->workload, o->metric && strcmp(o->metric, "all") ? o->metric : NULL,
			     o->since && o->since[0] ? o->since : NULL, o->host };

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
size_t history_next_series(const struct history_points *ps, size_t i, size_t *from, long last)
{
	size_t j = i;

	while (j < ps->n && !strcmp(ps->p[j].series, ps->p[i].series))
		j++;
	*from = j - i > (size_t)last ? j - last : i;
	return j;
}

bool history_higher_is_better(const char *metric)
{
	return strstr(metric, "requests_per_sec") || strstr(metric, "success") || strstr(metric, "throughput");
}
