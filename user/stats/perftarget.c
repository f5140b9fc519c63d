/* SPDX-License-Identifier: GPL-2.0-only */
/* Performance targets: see perftarget.h. */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "lib/file.h"
#include "output/document.h"
#include "stats/perftarget.h"

const char *pt_level_name(enum pt_level l)
{
	static const char *const n[] = { "met-target", "met-acceptable", "missed", "missed-critical", "no-value" };

	return (unsigned)l < sizeof(n) / sizeof(n[0]) ? n[l] : "?";
}

static const char *op_str(enum pt_op op)
{
	return op == PT_LE ? "<=" : op == PT_LT ? "<" : op == PT_GE ? ">=" : ">";
}

static bool name_ok(const char *s, size_t n, bool workload)
{
	if (!n)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!(isalnum((unsigned char)s[i]) || s[i] == '_' || s[i] == '.' || s[i] == '-' ||
		      (workload && (s[i] == '/' || s[i] == '{' || s[i] == '}'))))
			return false;
	return true;
}

/* the left side, "[WORKLOAD:]METRIC", trimmed, into t */
static int parse_lhs(const char *s, size_t n, struct ptarget *t, const char *whole, char *err, int errlen)
{
	const char *colon;

	while (n && isspace((unsigned char)*s))
		s++, n--;
	while (n && isspace((unsigned char)s[n - 1]))
		n--;
	colon = memchr(s, ':', n);
	t->workload[0] = '\0';
	if (colon) {
		size_t wn = colon - s;

		if (!name_ok(s, wn, true) || wn >= sizeof(t->workload)) {
			snprintf(err, errlen, "target '%s': '%.*s' is not a workload name", whole, (int)wn, s);
			return -EINVAL;
		}
		memcpy(t->workload, s, wn);
		t->workload[wn] = '\0';
		n -= wn + 1;
		s = colon + 1;
	}
	if (!name_ok(s, n, false) || n >= sizeof(t->metric)) {
		snprintf(err, errlen, "target '%s': '%.*s' is not a metric name (e.g. p99_ms, requests_per_sec, "
			 "gil_wait_us.p50)", whole, (int)n, s);
		return -EINVAL;
	}
	memcpy(t->metric, s, n);
	t->metric[n] = '\0';
	if (!pt_metric_known(t->metric)) {
		snprintf(err, errlen, "target '%s': unknown metric '%s' (requests_per_sec, p50_ms, p75_ms, p90_ms, "
			 "p95_ms, p99_ms, p999_ms, max_ms, mean_ms, success_rate, error_rate, cpu_per_request_ms, "
			 "uss_peak_mb, rss_peak_mb, or NAME.STAT such as gil_wait_us.p50)", whole, t->metric);
		return -EINVAL;
	}
	return 0;
}

/* the operator at p; its length, 0 if none */
static int parse_op(const char *p, enum pt_op *op)
{
	if (p[0] == '<')
		return *op = p[1] == '=' ? PT_LE : PT_LT, p[1] == '=' ? 2 : 1;
	if (p[0] == '>')
		return *op = p[1] == '=' ? PT_GE : PT_GT, p[1] == '=' ? 2 : 1;
	return 0;
}

static int parse_num(const char *s, double *v, const char **end)
{
	char *e;

	errno = 0;
	*v = strtod(s, &e);
	if (e == s || errno || !isfinite(*v))
		return -EINVAL;
	*end = e;
	return 0;
}

int ptarget_parse(const char *s, struct ptarget *t, char *err, int errlen)
{
	const char *p = strpbrk(s, "<>"), *end;
	int ol;

	memset(t, 0, sizeof(*t));
	if (!p || !(ol = parse_op(p, &t->op))) {
		snprintf(err, errlen, "target '%s' is not [WORKLOAD:]METRIC OP VALUE (OP one of <= < >= >)", s);
		return -EINVAL;
	}
	if (parse_lhs(s, p - s, t, s, err, errlen))
		return -EINVAL;
	p += ol;
	if (parse_num(p, &t->target, &end)) {
		snprintf(err, errlen, "target '%s': '%s' is not a number", s, p);
		return -EINVAL;
	}
	while (isspace((unsigned char)*end))
		end++;
	if (*end) {
		snprintf(err, errlen, "target '%s': unexpected '%s' after the value", s, end);
		return -EINVAL;
	}
	t->acceptable = t->critical = t->target;
	t->levels = 1;
	return 0;
}

int ptarget_load_file(const char *path, struct ptarget *out, int max, char *err, int errlen)
{
	char line[1024], *text = NULL, msg[4200];
	size_t len = 0;
	int n = 0, ln = 0, e;
	FILE *f;

	/* regular files only, capped like every configuration file (lib/file.h): a FIFO, /dev/zero or
	 * a directory is refused at once, a huge file before a byte is read */
	if ((e = file_read_bounded(path, file_cap(FILE_CONFIG), &text, &len, msg, sizeof(msg)))) {
		snprintf(err, errlen, "%s", msg);
		return e;
	}
	if (!len) {
		free(text);
		return 0;
	}
	if (!(f = fmemopen(text, len, "r"))) {
		e = -errno;
		snprintf(err, errlen, "%s: %s", path, strerror(-e));
		free(text);
		return e;
	}
	while (fgets(line, sizeof(line), f)) {
		char *p = line, *hash = strchr(line, '#');
		const char *q;
		struct ptarget *t;
		double v[3];
		int ol;

		ln++;
		if (hash)
			*hash = '\0';
		while (isspace((unsigned char)*p))
			p++;
		if (!*p)
			continue;
		if (n == max) {
			snprintf(err, errlen, "%s:%d: more than %d targets", path, ln, max);
			goto bad;
		}
		t = &out[n];
		memset(t, 0, sizeof(*t));
		q = strpbrk(p, "<>");
		if (!q || !(ol = parse_op(q, &t->op))) {
			snprintf(err, errlen, "%s:%d: not [WORKLOAD:]METRIC OP TARGET ACCEPTABLE CRITICAL", path, ln);
			goto bad;
		}
		if (parse_lhs(p, q - p, t, p, err, errlen)) {
			char tmp[512];

			snprintf(tmp, sizeof(tmp), "%s", err);
			snprintf(err, errlen, "%s:%d: %s", path, ln, tmp);
			goto bad;
		}
		q += ol;
		for (int i = 0; i < 3; i++) {
			if (parse_num(q, &v[i], &q)) {
				snprintf(err, errlen, "%s:%d: three numbers after %s (target, acceptable, critical)", path,
					 ln, op_str(t->op));
				goto bad;
			}
		}
		while (isspace((unsigned char)*q))
			q++;
		if (*q) {
			snprintf(err, errlen, "%s:%d: unexpected '%.40s' after the three levels", path, ln, q);
			goto bad;
		}
		if ((t->op == PT_LE || t->op == PT_LT) ? !(v[0] <= v[1] && v[1] <= v[2]) : !(v[0] >= v[1] && v[1] >= v[2])) {
			snprintf(err, errlen, "%s:%d: the levels must run from target to critical (%s: %s)", path, ln,
				 op_str(t->op), (t->op == PT_LE || t->op == PT_LT) ? "increasing" : "decreasing");
			goto bad;
		}
		t->target = v[0];
		t->acceptable = v[1];
		t->critical = v[2];
		t->levels = 3;
		n++;
	}
	fclose(f);
	free(text);
	return n;
bad:
	fclose(f);
	free(text);
	return -EINVAL;
}

void ptarget_format(const struct ptarget *t, char *buf, int len)
{
	if (t->levels == 3)
		snprintf(buf, len, "%s%s%s %s %g / %g / %g", t->workload, *t->workload ? ":" : "", t->metric,
			 op_str(t->op), t->target, t->acceptable, t->critical);
	else
		snprintf(buf, len, "%s%s%s%s%g", t->workload, *t->workload ? ":" : "", t->metric, op_str(t->op),
			 t->target);
}

bool ptarget_applies(const struct ptarget *t, const char *suite, const char *workload)
{
	char sw[300];

	if (!*t->workload)
		return true;
	snprintf(sw, sizeof(sw), "%s/%s", suite ? suite : "", workload ? workload : "");
	return (workload && !strcmp(t->workload, workload)) || !strcmp(t->workload, sw);
}

static bool meets(enum pt_op op, double v, double limit)
{
	switch (op) {
	case PT_LE: return v <= limit;
	case PT_LT: return v < limit;
	case PT_GE: return v >= limit;
	default: return v > limit;
	}
}

void ptarget_eval(const struct ptarget *t, double v, struct pt_eval *e)
{
	char name[300];

	ptarget_format(t, name, sizeof(name));
	memset(e, 0, sizeof(*e));
	e->value = v;
	if (isnan(v)) {
		e->level = PT_NO_VALUE;
		snprintf(e->reason, sizeof(e->reason), "%s: no value in the results", name);
		return;
	}
	if (meets(t->op, v, t->target))
		e->level = PT_MET_TARGET;
	else if (meets(t->op, v, t->acceptable))
		e->level = PT_MET_ACCEPTABLE;
	else if (t->levels > 1 && meets(t->op, v, t->critical))
		e->level = PT_MISSED;
	else
		e->level = PT_MISSED_CRITICAL;
	e->pass = e->level <= PT_MET_ACCEPTABLE;
	snprintf(e->reason, sizeof(e->reason), "%s: %.6g, %s", name, v, pt_level_name(e->level));
}

static int num(const cJSON *o, const char *path, double *v)
{
	const cJSON *j = profile_get(o, path);

	if (!cJSON_IsNumber(j))
		return -ENOENT;
	*v = j->valuedouble;
	return 0;
}

static const char *const alias[][2] = {
		{ "requests_per_sec", "throughput.requests_per_sec" }, { "p50_ms", "latency.median_ms" },
		{ "median_ms", "latency.median_ms" },		       { "p75_ms", "latency.p75_ms" },
		{ "p90_ms", "latency.p90_ms" },			       { "p95_ms", "latency.p95_ms" },
		{ "p99_ms", "latency.p99_ms" },			       { "p999_ms", "latency.p999_ms" },
		{ "max_ms", "latency.max_ms" },			       { "mean_ms", "latency.mean_ms" },
		{ "success_rate", "throughput.success_rate" },	       { "uss_peak_mb", "resources.memory.uss_peak_mb" },
		{ "rss_peak_mb", "resources.memory.peak_mb" },
};

bool pt_metric_known(const char *m)
{
	if (strchr(m, '.'))
		return true; /* NAME.STAT or a path under results: only a document can tell */
	for (size_t i = 0; i < sizeof(alias) / sizeof(alias[0]); i++)
		if (!strcmp(m, alias[i][0]))
			return true;
	return !strcmp(m, "error_rate") || !strcmp(m, "cpu_per_request_ms");
}

int pt_metric_value(const cJSON *res, const char *m, double *v)
{
	const char *dot;

	*v = NAN;
	if (!res)
		return -ENOENT;
	for (size_t i = 0; i < sizeof(alias) / sizeof(alias[0]); i++)
		if (!strcmp(m, alias[i][0]))
			return num(res, alias[i][1], v);
	if (!strcmp(m, "error_rate")) {
		double s;

		if (num(res, "throughput.success_rate", &s))
			return -ENOENT;
		*v = 1 - s;
		return 0;
	}
	if (!strcmp(m, "cpu_per_request_ms")) {
		double cpu, n;

		if (num(res, "resources.cpu.total_cpu_ms", &cpu) || num(res, "throughput.total_requests", &n) || n <= 0)
			return -ENOENT;
		*v = cpu / n;
		return 0;
	}
	dot = strchr(m, '.');
	if (dot && !strchr(dot + 1, '.')) {
		/* NAME.STAT: a per-request metric of the endpoint with the most requests */
		const cJSON *e, *best = NULL;
		char path[200];

		cJSON_ArrayForEach(e, profile_get(res, "profiling.requests.endpoints")) {
			const cJSON *c = cJSON_GetObjectItem(e, "count");

			if (cJSON_IsNumber(c) && (!best || c->valuedouble > cJSON_GetObjectItem(best, "count")->valuedouble))
				best = e;
		}
		snprintf(path, sizeof(path), "per_request.%s", m);
		if (best && !num(best, path, v))
			return 0;
	}
	return num(res, m, v);
}
