/* SPDX-License-Identifier: GPL-2.0-only */
/* Sweeps' parsing and scaling analysis, --list, --workload and --output-dir (cli/scenarios.h). */
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include "cli/scenarios.h"
#include "lib/json.h"
#include "lib/util.h"

#define SWEEP_MIN_NOISE_DF 8 /* pooled degrees of freedom for a noise estimate */

const char *sweep_var_name(enum sweep_var v)
{
	switch (v) {
	case SWEEP_CONCURRENCY: return "concurrency";
	case SWEEP_RATE: return "rate";
	case SWEEP_PAYLOAD: return "payload";
	default: return "none";
	}
}

/* One value of VAR: 0 or -EINVAL. */
static int sweep_value(enum sweep_var var, const char *t, double *out)
{
	char *end;
	double v, mul = 1;

	errno = 0;
	v = strtod(t, &end);
	if (errno || end == t || !isfinite(v))
		return -EINVAL;
	if (var == SWEEP_PAYLOAD && (*end == 'K' || *end == 'k'))
		mul = 1024, end++;
	else if (var == SWEEP_PAYLOAD && (*end == 'M' || *end == 'm'))
		mul = 1048576, end++;
	if (*end == 'B' && var == SWEEP_PAYLOAD)
		end++;
	if (*end)
		return -EINVAL;
	v *= mul;
	if (var == SWEEP_RATE)
		return v > 0 && v <= 1e7 ? (*out = v, 0) : -EINVAL;
	if (v != floor(v))
		return -EINVAL;
	if (var == SWEEP_CONCURRENCY)
		return v >= 1 && v <= 100000 ? (*out = v, 0) : -EINVAL;
	return v >= SWEEP_MIN_PAYLOAD && v <= SWEEP_MAX_PAYLOAD ? (*out = v, 0) : -EINVAL;
}

int sweep_parse(const char *arg, struct sweep_spec *sp, char *err, int errlen)
{
	static const enum sweep_var vars[] = { SWEEP_CONCURRENCY, SWEEP_RATE, SWEEP_PAYLOAD };
	const char *eq = strchr(arg, '=');
	char buf[2048], *save = NULL;

	memset(sp, 0, sizeof(*sp));
	for (size_t i = 0; eq && i < sizeof(vars) / sizeof(vars[0]); i++)
		if (strlen(sweep_var_name(vars[i])) == (size_t)(eq - arg) && !strncmp(arg, sweep_var_name(vars[i]), eq - arg))
			sp->var = vars[i];
	if (!sp->var) {
		snprintf(err, errlen, "--sweep: '%.64s' is not VAR=V1,V2,... with VAR concurrency, rate or payload", arg);
		return -EINVAL;
	}
	if (strlen(eq + 1) >= sizeof(buf)) {
		snprintf(err, errlen, "--sweep: the list is too long");
		return -EINVAL;
	}
	snprintf(buf, sizeof(buf), "%s", eq + 1);
	/* an empty value (V1,,V2 or a trailing comma) is a typo, not a value to skip */
	if (buf[0] == ',' || (buf[0] && buf[strlen(buf) - 1] == ',') || strstr(buf, ",,")) {
		snprintf(err, errlen, "--sweep %s: an empty value in '%.64s'", sweep_var_name(sp->var), eq + 1);
		return -EINVAL;
	}
	for (char *t = strtok_r(buf, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
		if (sp->n == SCALING_MAX_POINTS) {
			snprintf(err, errlen, "--sweep: more than %d values", SCALING_MAX_POINTS);
			return -EINVAL;
		}
		if (sweep_value(sp->var, t, &sp->v[sp->n])) {
			snprintf(err, errlen, "--sweep %s: invalid value '%.32s' (%s)", sweep_var_name(sp->var), t,
				 sp->var == SWEEP_CONCURRENCY ? "connections, 1..100000"
				 : sp->var == SWEEP_RATE	 ? "requests/s > 0"
							 : "bytes 12..64M, K = 1024, M = 1048576");
			return -EINVAL;
		}
		if (sp->n && sp->v[sp->n] <= sp->v[sp->n - 1]) {
			snprintf(err, errlen, "--sweep %s: the values must be strictly ascending ('%.32s')",
				 sweep_var_name(sp->var), t);
			return -EINVAL;
		}
		sp->n++;
	}
	if (sp->n < 2) {
		snprintf(err, errlen, "--sweep %s: at least 2 values", sweep_var_name(sp->var));
		return -EINVAL;
	}
	return 0;
}

char *sweep_json_body(size_t n)
{
	static const char head[] = "{\"data\":\"", tail[] = "\"}";
	size_t fill = n - (sizeof(head) - 1) - (sizeof(tail) - 1);
	char *b;

	if (n < SWEEP_MIN_PAYLOAD || !(b = malloc(n + 1)))
		return NULL;
	memcpy(b, head, sizeof(head) - 1);
	for (size_t i = 0; i < fill; i++)
		b[sizeof(head) - 1 + i] = 'a' + i % 26;
	memcpy(b + sizeof(head) - 1 + fill, tail, sizeof(tail));
	return b;
}

int workload_is_json(const struct workload *w)
{
	return w->body && w->content_type && strstr(w->content_type, "json");
}

/* ---- the analysis ---- */

/* A pass's 1 s interval throughputs: their count, and their squared coefficient of variation
 * (variance / mean^2) in *cv2 (NaN under 2 intervals or a mean <= 0). */
static int interval_cv2(const cJSON *res, double *cv2)
{
	const cJSON *a = json_get(res, "steady.intervals_requests_per_sec"), *e;
	double s = 0, s2 = 0, m;
	int n = 0;

	cJSON_ArrayForEach(e, a)
		if (cJSON_IsNumber(e)) {
			s += e->valuedouble;
			s2 += e->valuedouble * e->valuedouble;
			n++;
		}
	m = n ? s / n : 0;
	*cv2 = n >= 2 && m > 0 ? fmax(0, (s2 - s * s / n) / (n - 1)) / (m * m) : NAN;
	return n;
}

static double num_or_nan(const cJSON *o, const char *path)
{
	const cJSON *v = json_get(o, path);

	return cJSON_IsNumber(v) && isfinite(v->valuedouble) ? v->valuedouble : NAN;
}

static cJSON *num_or_null(double v)
{
	return isfinite(v) ? cJSON_CreateNumber(v) : cJSON_CreateNull();
}

static cJSON *fit_json(const double *x, const double *y, int n, const char *figure)
{
	struct scaling_fit f;
	cJSON *o = cJSON_CreateObject(), *ci;

	/* 2000 resamples, a fixed seed: the same interval for the same points */
	scaling_exponent(x, y, n, 0.95, 2000, 0x5eed, 0.1, &f);
	cJSON_AddStringToObject(o, "figure", figure);
	cJSON_AddItemToObject(o, "exponent", num_or_null(f.exponent));
	ci = cJSON_AddArrayToObject(o, "ci95");
	cJSON_AddItemToArray(ci, num_or_null(f.ci[0]));
	cJSON_AddItemToArray(ci, num_or_null(f.ci[1]));
	cJSON_AddItemToObject(o, "r2", num_or_null(f.r2));
	cJSON_AddNumberToObject(o, "points", f.n);
	cJSON_AddStringToObject(o, "verdict", scaling_verdict_name(f.verdict));
	cJSON_AddStringToObject(o, "reason", f.reason);
	return o;
}

cJSON *sweep_analysis_json(enum sweep_var var, const cJSON *points, double p99_target_ms)
{
	double x[SCALING_MAX_POINTS], rps[SCALING_MAX_POINTS], se[SCALING_MAX_POINTS], p50[SCALING_MAX_POINTS],
		p99[SCALING_MAX_POINTS], mem[SCALING_MAX_POINTS];
	double cv2[SCALING_MAX_POINTS], pooled = 0;
	int ok[SCALING_MAX_POINTS], nint[SCALING_MAX_POINTS], n = 0, df = 0;
	const cJSON *p;
	cJSON *o = cJSON_CreateObject(), *g;
	char why[300];

	cJSON_ArrayForEach(p, points) {
		const cJSON *res = cJSON_GetObjectItem(p, "results");

		if (n == SCALING_MAX_POINTS || !cJSON_IsObject(res))
			continue;
		x[n] = num_or_nan(p, "value");
		rps[n] = num_or_nan(res, "throughput.requests_per_sec");
		nint[n] = interval_cv2(res, &cv2[n]);
		p50[n] = num_or_nan(res, "latency.median_ms");
		p99[n] = num_or_nan(res, "latency.p99_ms");
		mem[n] = num_or_nan(res, "resources.memory.uss_peak_mb");
		if (!isfinite(mem[n]))
			mem[n] = num_or_nan(res, "resources.memory.peak_mb");
		ok[n] = !cJSON_IsTrue(json_get(res, "health.failed"));
		n++;
	}
	/* each point's noise: the standard error of its throughput, y CV / sqrt(n), with the coefficient
	 * of variation of the 1 s interval throughputs pooled over the points (weights n - 1: the
	 * pooled variance of the textbooks, on relative figures since a plateau's points share their
	 * relative noise, not their absolute one). Under SWEEP_MIN_NOISE_DF pooled degrees of freedom
	 * the estimate is itself noise: no standard error, the relative floor alone decides. */
	for (int i = 0; i < n; i++)
		if (isfinite(cv2[i])) {
			pooled += (nint[i] - 1) * cv2[i];
			df += nint[i] - 1;
		}
	for (int i = 0; i < n; i++)
		se[i] = df >= SWEEP_MIN_NOISE_DF && isfinite(rps[i]) ? rps[i] * sqrt(pooled / df) / sqrt(nint[i]) : NAN;
	cJSON_AddNumberToObject(o, "points_with_results", n);
	g = cJSON_AddObjectToObject(o, "growth");
	cJSON_AddItemToObject(g, "requests_per_sec", fit_json(x, rps, n, "throughput.requests_per_sec"));
	cJSON_AddItemToObject(g, "latency_p50_ms", fit_json(x, p50, n, "latency.median_ms"));
	cJSON_AddItemToObject(g, "latency_p99_ms", fit_json(x, p99, n, "latency.p99_ms"));
	cJSON_AddItemToObject(g, "memory_peak_mb", fit_json(x, mem, n, "resources.memory.uss_peak_mb (else peak_mb)"));
	if (var == SWEEP_CONCURRENCY) {
		cJSON *s = cJSON_AddObjectToObject(o, "saturation"), *ca = NULL, *za = NULL;
		double *y = rps, cap[SCALING_MAX_POINTS];
		int i, little = 1;

		/* Closed loop: each point's throughput with the generator's turnaround taken out, by
		 * Little's law (Little 1961; Jain 1991, "The Art of Computer Systems Performance
		 * Analysis", the interactive response time law R = N / X - Z): N busy connections
		 * whose requests take R (mean latency, send to answer) carry N / R requests/s when
		 * each sends its next request at once. A busy host delays the generator's next send
		 * (Z > 0), which lowers X below the server's limit at N = its worker count; N / R is
		 * the server's own figure. Open loop (a rate): the measured throughput. */
		for (int k = 0; k < n; k++) {
			const cJSON *res = cJSON_GetObjectItem(cJSON_GetArrayItem(points, k), "results");
			double conns = num_or_nan(res, "generator.connections"), r = num_or_nan(res, "latency.mean_ms");

			if (json_get(res, "throughput.requested_rate"))
				little = 0;
			cap[k] = isfinite(conns) && r > 0 ? conns / (r / 1000) : NAN;
			if (!isfinite(conns))
				cap[k] = isfinite(r) && r > 0 ? x[k] / (r / 1000) : NAN;
		}
		if (little) {
			y = cap;
			for (int k = 0; k < n; k++) /* the same relative noise */
				se[k] = isfinite(se[k]) && rps[k] > 0 ? se[k] / rps[k] * cap[k] : NAN;
			ca = cJSON_CreateArray();
			za = cJSON_CreateArray();
			for (int k = 0; k < n; k++) {
				cJSON_AddItemToArray(ca, num_or_null(cap[k]));
				/* Z = N / X - R: the generator's turnaround between an answer and the next send */
				cJSON_AddItemToArray(za, num_or_null(rps[k] > 0 && isfinite(cap[k])
									     ? (x[k] / rps[k] - x[k] / cap[k]) * 1000
									     : NAN));
			}
		}
		i = scaling_saturation(y, se, n, 2, 0.10, why, sizeof(why));
		cJSON_AddStringToObject(s, "basis", little ? "littles_law" : "throughput");
		cJSON_AddItemToObject(s, "concurrency", i >= 0 ? cJSON_CreateNumber(x[i]) : cJSON_CreateNull());
		cJSON_AddItemToObject(s, "requests_per_sec", i >= 0 ? num_or_null(rps[i]) : cJSON_CreateNull());
		if (ca) {
			cJSON_AddItemToObject(s, "capacity_requests_per_sec", ca);
			cJSON_AddItemToObject(s, "client_turnaround_ms", za);
		}
		cJSON_AddNumberToObject(s, "noise_standard_errors", 2);
		cJSON_AddItemToObject(s, "noise_cv", df >= SWEEP_MIN_NOISE_DF ? cJSON_CreateNumber(sqrt(pooled / df))
									      : cJSON_CreateNull());
		cJSON_AddNumberToObject(s, "noise_degrees_of_freedom", df);
		cJSON_AddNumberToObject(s, "min_gain_percent", 10);
		cJSON_AddStringToObject(s, "reason", why);
	}
	if (var == SWEEP_RATE) {
		cJSON *m = cJSON_AddObjectToObject(o, "max_rate_meeting_p99");
		int i = -1;

		if (p99_target_ms > 0)
			i = scaling_max_rate(x, p99, rps, ok, n, p99_target_ms, why, sizeof(why));
		else
			snprintf(why, sizeof(why), "no --p99-target given");
		cJSON_AddItemToObject(m, "target_ms", p99_target_ms > 0 ? cJSON_CreateNumber(p99_target_ms) : cJSON_CreateNull());
		cJSON_AddItemToObject(m, "rate", i >= 0 ? cJSON_CreateNumber(x[i]) : cJSON_CreateNull());
		cJSON_AddItemToObject(m, "p99_ms", i >= 0 ? num_or_null(p99[i]) : cJSON_CreateNull());
		cJSON_AddStringToObject(m, "reason", why);
	}
	return o;
}

void sweep_print_summary(FILE *f, const char *label, const cJSON *sw)
{
	const cJSON *p, *a = cJSON_GetObjectItem(sw, "analysis");
	const char *var = json_str_or(sw, "variable", "-");

	fprintf(f, "sweep of %s, %s:\n", var, label);
	cJSON_ArrayForEach(p, cJSON_GetObjectItem(sw, "points")) {
		const cJSON *res = cJSON_GetObjectItem(p, "results");

		fprintf(f, "  %s=%-10g", var, json_num_or(p, "value", NAN));
		if (cJSON_IsObject(res))
			fprintf(f, " %10.1f req/s  p99 %10.3f ms\n", json_num_or(res, "throughput.requests_per_sec", NAN),
				json_num_or(res, "latency.p99_ms", NAN));
		else
			fprintf(f, " no results\n");
	}
	if (cJSON_IsNumber(json_get(a, "saturation.concurrency")))
		fprintf(f, "  saturation at %g connections\n", json_num_or(a, "saturation.concurrency", 0));
	else if (json_get(a, "saturation"))
		fprintf(f, "  saturation: none (%s)\n", json_str_or(a, "saturation.reason", "-"));
	if (json_get(a, "max_rate_meeting_p99")) {
		if (cJSON_IsNumber(json_get(a, "max_rate_meeting_p99.rate")))
			fprintf(f, "  highest rate with p99 <= %g ms: %g/s\n", json_num_or(a, "max_rate_meeting_p99.target_ms", 0),
				json_num_or(a, "max_rate_meeting_p99.rate", 0));
		else
			fprintf(f, "  highest rate meeting the p99 target: none (%s)\n",
				json_str_or(a, "max_rate_meeting_p99.reason", "-"));
	}
}

/* ---- --workload, --list ---- */

static int name_matches(const struct suite *s, const struct workload *w, const char *name)
{
	size_t sl = strlen(s->name);

	if (!name || !strcmp(w->name, name))
		return 1;
	return !strncmp(name, s->name, sl) && name[sl] == '/' && !strcmp(name + sl + 1, w->name);
}

int suites_keep(struct suite_set *set, const char *name, int json_only, const char *why, char *err, size_t errlen)
{
	char names[1024] = "";
	size_t nl = 0;
	int kept = 0, ns = 0;

	for (int si = 0; si < set->n; si++)
		for (int i = 0; i < set->s[si].n; i++)
			if (nl < sizeof(names))
				nl += snprintf(names + nl, sizeof(names) - nl, "%s%s/%s", nl ? ", " : "", set->s[si].name,
					       set->s[si].w[i].name);
	for (int si = 0; si < set->n; si++) {
		struct suite *s = &set->s[si];
		int k = 0;

		for (int i = 0; i < s->n; i++) {
			if (name_matches(s, &s->w[i], name) && (!json_only || workload_is_json(&s->w[i]))) {
				if (k != i) {
					struct workload t = s->w[k];

					s->w[k] = s->w[i];
					s->w[i] = t;
				}
				k++;
			}
		}
		for (int i = k; i < s->n; i++)
			workload_clear(&s->w[i]);
		s->n = k;
		kept += k;
	}
	/* drop the suites left empty (their own strings freed) */
	for (int si = 0; si < set->n; si++) {
		if (set->s[si].n) {
			set->s[ns++] = set->s[si];
			continue;
		}
		suite_free(&set->s[si]);
	}
	set->n = ns;
	if (!kept) {
		snprintf(err, errlen, "%s: no %sworkload%s%s%s in the suites (there are: %s)", why, json_only ? "JSON " : "",
			 name ? " named '" : "", name ? name : "", name ? "'" : "", names[0] ? names : "none");
		return -EINVAL;
	}
	return 0;
}

int scenarios_list(FILE *f, const char *spec, char *err, size_t errlen)
{
	struct suite_set set;

	if (suites_load(spec, &set, err, errlen))
		return -EINVAL;
	for (int si = 0; si < set.n; si++) {
		const struct suite *s = &set.s[si];

		fprintf(f, "%s: %s\n", s->name, s->description ? s->description : "");
		for (int i = 0; i < s->n; i++) {
			const struct workload *w = &s->w[i];

			fprintf(f, "  %-20s %-7s %s", w->name, w->method, w->path);
			if (w->body)
				fprintf(f, " (%zu B %s body)", w->body_len, w->content_type ? w->content_type : "");
			fputc('\n', f);
		}
	}
	if (!spec || !strcmp(spec, "all")) { /* the built-in mixed suite: the workloads above, in one pass */
		struct suite_set mx;

		if (!suites_load("mixed", &mx, err, errlen)) {
			if (mx.n)
				fprintf(f, "%s: %s (--suite mixed)\n", mx.s[0].name,
					mx.s[0].description ? mx.s[0].description : "");
			suites_free(&mx);
		}
	}
	fprintf(f, "sweeps: --sweep concurrency=1,2,5,10,20,50,100 | rate=100,500,1000,2000,5000 | "
		   "payload=64,256,1K,4K,16K,64K,256K,1M (JSON workloads)\n");
	suites_free(&set);
	return 0;
}

/* ---- --output-dir ---- */

static int mkdir_p(const char *dir)
{
	char p[PATH_MAX];
	size_t n = strlen(dir);

	if (!n || n >= sizeof(p))
		return -ENAMETOOLONG;
	memcpy(p, dir, n + 1);
	for (char *c = p + 1; *c; c++)
		if (*c == '/') {
			*c = '\0';
			if (mkdir(p, 0755) && errno != EEXIST)
				return -errno;
			*c = '/';
		}
	if (mkdir(p, 0755) && errno != EEXIST)
		return -errno;
	return 0;
}

int output_dir_prepare(const char *dir, char *path, size_t plen, char *html, size_t hlen, char *err, size_t errlen)
{
	char stamp[32];
	time_t t = time(NULL);
	struct tm tm;
	struct stat st;
	int e;

	if ((e = mkdir_p(dir)) || stat(dir, &st) || !S_ISDIR(st.st_mode)) {
		snprintf(err, errlen, "--output-dir: cannot create '%s': %s", dir, strerror(e ? -e : ENOTDIR));
		return e ? e : -ENOTDIR;
	}
	/* latest.json and latest.html are replaced only when they are the links this command makes:
	 * a file, FIFO or directory of that name is the user's, refused before the run */
	for (int i = 0; i < 2; i++) {
		const char *name = i ? "latest.html" : "latest.json";

		if ((size_t)snprintf(path, plen, "%s/%s", dir, name) < plen && !lstat(path, &st) &&
		    !S_ISLNK(st.st_mode)) {
			snprintf(err, errlen, "--output-dir: '%s' exists and is not a link: it is replaced only as the "
					      "link to the latest profile", path);
			return -EEXIST;
		}
	}
	gmtime_r(&t, &tm);
	strftime(stamp, sizeof(stamp), "%Y%m%d-%H%M%S", &tm);
	for (int k = 1; k < 100; k++) {
		char sfx[8] = "";

		if (k > 1)
			snprintf(sfx, sizeof(sfx), "-%d", k);
		if ((size_t)snprintf(path, plen, "%s/profile-%s%s.json", dir, stamp, sfx) >= plen) {
			snprintf(err, errlen, "--output-dir: the path is too long");
			return -ENAMETOOLONG;
		}
		if (access(path, F_OK))
			break;
	}
	snprintf(html, hlen, "%.*s.html", (int)(strlen(path) - 5), path);
	return 0;
}

static int link_latest(const char *dir, const char *target, const char *name)
{
	char link[PATH_MAX], tmp[PATH_MAX + 16];
	const char *base = strrchr(target, '/');

	base = base ? base + 1 : target;
	snprintf(link, sizeof(link), "%s/%s", dir, name);
	snprintf(tmp, sizeof(tmp), "%s.tmp%d", link, (int)getpid());
	unlink(tmp);
	if (symlink(base, tmp))
		return -errno;
	if (rename(tmp, link)) {
		int e = -errno;

		unlink(tmp);
		return e;
	}
	return 0;
}

int output_dir_link_latest(const char *dir, const char *path, const char *html)
{
	int e = link_latest(dir, path, "latest.json");

	if (!e && html)
		e = link_latest(dir, html, "latest.html");
	return e;
}
