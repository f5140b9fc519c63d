/* SPDX-License-Identifier: GPL-2.0-only */
/* The gate between two runs: see gate.h. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "output/document.h"
#include "stats/gate.h"
#include "stats/wlhealth.h"

#define MAX_WL 512
#define MAX_SAMPLES 256

struct gm_def {
	const char *name;
	bool higher_better;
	double min_effect, crit;
	const char *sample_key; /* key in repeats.samples[], or NULL */
	const char *unit;
};

static const struct gm_def defs[GATE_NMETRICS] = {
	[GM_RPS] = { "requests_per_sec", true, 10, 25, "requests_per_sec", "req/s" },
	[GM_P50] = { "p50_ms", false, 10, 25, "p50_ms", "ms" },
	[GM_P99] = { "p99_ms", false, 10, 25, "p99_ms", "ms" },
	[GM_ERROR_RATE] = { "error_rate", false, 0, 0, "error_rate", "" },
	[GM_CPU_PER_REQ] = { "cpu_per_request_ms", false, 15, 30, "cpu_per_request_ms", "ms" },
	[GM_USS_PEAK] = { "uss_peak_mb", false, 10, 25, "uss_peak_mb", "MB" },
	[GM_GIL_PER_REQ] = { "gil_wait_us_per_request", false, 10, 25, "gil_wait_us_per_request", "us" },
	[GM_GC_PER_REQ] = { "gc_time_us_per_request", false, 10, 25, "gc_time_us_per_request", "us" },
	[GM_FFI_PER_REQ] = { "ffi_time_us_per_request", false, 10, 25, "ffi_time_us_per_request", "us" },
};

void gate_opts_init(struct gate_opts *o)
{
	memset(o, 0, sizeof(*o));
	for (int m = 0; m < GATE_NMETRICS; m++)
		o->rules[m] = (struct vd_rule){ defs[m].name, defs[m].higher_better, defs[m].min_effect, defs[m].crit,
						false };
	o->fail_on = GATE_FAIL_REGRESSED;
	o->min_success = WL_MIN_SUCCESS_DEFAULT;
	o->error_pp = 1;
}

const char *gate_metric_name(enum gate_metric m)
{
	return (unsigned)m < GATE_NMETRICS ? defs[m].name : "?";
}

int gate_metric_find(const char *name)
{
	for (int m = 0; m < GATE_NMETRICS; m++)
		if (!strcmp(defs[m].name, name))
			return m;
	/* the names diff used before the per-request metrics */
	if (!strcmp(name, "gil_wait_ms"))
		return GM_GIL_PER_REQ;
	if (!strcmp(name, "gc_time_ms"))
		return GM_GC_PER_REQ;
	if (!strcmp(name, "ffi_overhead_ms"))
		return GM_FFI_PER_REQ;
	return -1;
}

static void metric_list(char *buf, int len)
{
	int off = 0;

	buf[0] = '\0';
	for (int m = 0; m < GATE_NMETRICS && off < len; m++)
		off += snprintf(buf + off, len - off, "%s%s", m ? ", " : "", defs[m].name);
}

int gate_parse_threshold(struct gate_opts *o, const char *s, char *err, int errlen)
{
	const char *eq = strchr(s, '='), *num;
	char name[64], *end, list[400];
	double w, c;
	int m;

	if (!eq || eq == s || (size_t)(eq - s) >= sizeof(name)) {
		snprintf(err, errlen, "--threshold: '%s' is not METRIC=MIN:CRIT", s);
		return -EINVAL;
	}
	snprintf(name, sizeof(name), "%.*s", (int)(eq - s), s);
	errno = 0;
	w = strtod(eq + 1, &end);
	if (errno || end == eq + 1 || *end != ':' || !isfinite(w) || w < 0) {
		snprintf(err, errlen, "--threshold: '%s' is not METRIC=MIN:CRIT", s);
		return -EINVAL;
	}
	num = end + 1;
	c = strtod(num, &end);
	if (errno || end == num || *end || !isfinite(c) || c < w) {
		snprintf(err, errlen, "--threshold: '%s': CRIT must be a number >= MIN", s);
		return -EINVAL;
	}
	m = gate_metric_find(name);
	if (m < 0 || m == GM_ERROR_RATE) {
		metric_list(list, sizeof(list));
		snprintf(err, errlen, "--threshold: unknown metric '%s' (%s; error_rate has --min-success)", name, list);
		return -EINVAL;
	}
	o->rules[m].min_effect_pct = w;
	o->rules[m].crit_pct = c;
	return 0;
}

int gate_parse_explicit(struct gate_opts *o, const char *s, char *err, int errlen)
{
	char list[400];
	int m;

	if (!strcmp(s, "all")) {
		for (m = 0; m < GATE_NMETRICS; m++)
			o->rules[m].gate_explicit = true;
		return 0;
	}
	m = gate_metric_find(s);
	if (m < 0) {
		metric_list(list, sizeof(list));
		snprintf(err, errlen, "--gate: unknown metric '%s' (%s, or all)", s, list);
		return -EINVAL;
	}
	o->rules[m].gate_explicit = true;
	return 0;
}

/* ---- the walk over a run's workloads ---- */

struct wl {
	char label[300];
	const char *suite, *name;
	const cJSON *res;
};

static const char *str(const cJSON *o, const char *k)
{
	const cJSON *v = cJSON_GetObjectItem(o, k);

	return cJSON_IsString(v) ? v->valuestring : NULL;
}

static double num(const cJSON *o, const char *path)
{
	const cJSON *v = profile_get(o, path);

	return cJSON_IsNumber(v) ? v->valuedouble : NAN;
}

static int workloads(const cJSON *doc, struct wl *out, int max)
{
	const char *mode = str(doc, "mode");
	const cJSON *s, *w;
	int n = 0;

	if (mode && !strcmp(mode, "profile")) {
		cJSON_ArrayForEach(s, cJSON_GetObjectItem(doc, "suites")) {
			const char *sn = str(s, "name");

			cJSON_ArrayForEach(w, cJSON_GetObjectItem(s, "workloads")) {
				const char *wn = str(w, "name");

				if (n == max || !sn || !wn)
					continue;
				out[n].suite = sn;
				out[n].name = wn;
				snprintf(out[n].label, sizeof(out[n].label), "%s/%s", sn, wn);
				/* a workload whose results are null had no pass: it is there, with nothing */
				out[n].res = cJSON_IsObject(cJSON_GetObjectItem(w, "results")) ? cJSON_GetObjectItem(w, "results")
											 : NULL;
				n++;
			}
		}
	} else if (cJSON_IsObject(cJSON_GetObjectItem(doc, "results"))) {
		out[0].suite = out[0].name = mode ? mode : "results";
		snprintf(out[0].label, sizeof(out[0].label), "%s", out[0].suite);
		out[0].res = cJSON_GetObjectItem(doc, "results");
		n = 1;
	}
	return n;
}

/* a single value of metric m from a results object (the reported pass); NAN when absent */
static double single(const cJSON *res, int m)
{
	double reqs = num(res, "profiled_throughput.total_requests"), v;

	switch (m) {
	case GM_RPS: return num(res, "throughput.requests_per_sec");
	case GM_P50: return num(res, "latency.median_ms");
	case GM_P99: return num(res, "latency.p99_ms");
	case GM_CPU_PER_REQ:
		v = num(res, "throughput.total_requests");
		return v > 0 ? num(res, "resources.cpu.total_cpu_ms") / v : NAN;
	case GM_USS_PEAK: return num(res, "resources.memory.uss_peak_mb");
	case GM_GIL_PER_REQ: return reqs > 0 ? 1e3 * num(res, "profiling.gil.wait_ms_total") / reqs : NAN;
	case GM_GC_PER_REQ: return reqs > 0 ? 1e3 * num(res, "profiling.gc.pause_ms_total") / reqs : NAN;
	case GM_FFI_PER_REQ: return reqs > 0 ? 1e3 * num(res, "profiling.python.ffi_overhead_ms") / reqs : NAN;
	default: return NAN;
	}
}

/* the samples of metric m: one per clean pass from repeats.samples when they carry it (a pass
 * marked "steady": false is left out), else the one reported value. Returns the count. */
static int samples(const cJSON *res, int m, double *out, int *dropped)
{
	const cJSON *s;
	int n = 0;
	double v;

	*dropped = 0;
	if (!res)
		return 0;
	cJSON_ArrayForEach(s, profile_get(res, "repeats.samples")) {
		const cJSON *x = cJSON_GetObjectItem(s, defs[m].sample_key);

		if (!cJSON_IsNumber(x) || n == MAX_SAMPLES)
			continue;
		if (cJSON_IsFalse(cJSON_GetObjectItem(s, "steady"))) {
			(*dropped)++;
			continue;
		}
		out[n++] = x->valuedouble;
	}
	if (n || *dropped)
		return n; /* every pass trended: no figure to gate on */
	v = single(res, m);
	if (isnan(v))
		return 0;
	out[0] = v;
	return 1;
}

/* steady passes and passes with a steady-state verdict, from repeats.samples */
static cJSON *steady_count(const cJSON *res)
{
	const cJSON *x;
	int k = 0, n = 0;
	cJSON *a;

	cJSON_ArrayForEach(x, profile_get(res, "repeats.samples")) {
		const cJSON *st = cJSON_GetObjectItem(x, "steady");

		if (cJSON_IsBool(st)) {
			n++;
			k += cJSON_IsTrue(st);
		}
	}
	if (!n)
		return cJSON_CreateNull();
	a = cJSON_CreateObject();
	cJSON_AddNumberToObject(a, "steady", k);
	cJSON_AddNumberToObject(a, "passes", n);
	return a;
}

static const struct wl *find(const struct wl *w, int n, const char *label)
{
	for (int i = 0; i < n; i++)
		if (!strcmp(w[i].label, label))
			return &w[i];
	return NULL;
}

void gate_sample_extras(cJSON *smp, const cJSON *pass)
{
	double cpu = num(pass, "resources.cpu.total_cpu_ms"), uss = num(pass, "resources.memory.uss_peak_mb");
	double others = num(pass, "host_load.others_percent"), total = num(pass, "throughput.total_requests");
	double ok = num(pass, "throughput.successful_requests"), attempts = 0;
	struct wl_health h;

	/* attempts as the failed-workload check counts them (connect errors once, cut requests not) */
	if (!wl_health_of(pass, 0, &h))
		attempts = h.attempts;
	if (!isnan(cpu) && total > 0)
		cJSON_AddNumberToObject(smp, "cpu_per_request_ms", cpu / total);
	if (!isnan(uss))
		cJSON_AddNumberToObject(smp, "uss_peak_mb", uss);
	if (attempts > 0 && !isnan(ok))
		cJSON_AddNumberToObject(smp, "error_rate", (attempts - ok) / attempts);
	if (!isnan(others))
		cJSON_AddNumberToObject(smp, "host_others_percent", others);
	if (cJSON_IsBool(profile_get(pass, "host_load.high")))
		cJSON_AddBoolToObject(smp, "host_load_high", cJSON_IsTrue(profile_get(pass, "host_load.high")));
	/* a pass profiled beside its clean pass (compare --profile-all): its per-request figures */
	for (int m = GM_GIL_PER_REQ; m <= GM_FFI_PER_REQ; m++) {
		double v = single(pass, m);

		if (isfinite(v))
			cJSON_AddNumberToObject(smp, defs[m].sample_key, v);
	}
	{
		const cJSON *st = profile_get(pass, "steady.state");

		/* a pass whose throughput trended (stats/steady.h) is left out of diff's statistics */
		if (cJSON_IsString(st) && strcmp(st->valuestring, "unknown"))
			cJSON_AddBoolToObject(smp, "steady", strcmp(st->valuestring, "not-steady") != 0);
	}
}

/* ---- input checks ---- */

static char *printed(const cJSON *doc, const char *path)
{
	const cJSON *v = profile_get(doc, path);

	return v ? cJSON_PrintUnformatted(v) : NULL;
}

/* A workload's passes under high host load: *high of *flagged passes (repeats.samples[].host_load_high,
 * from profile's clean passes or compare's rounds). */
static void passes_high(const cJSON *res, int *high, int *flagged)
{
	const cJSON *x;

	*high = *flagged = 0;
	cJSON_ArrayForEach(x, profile_get(res, "repeats.samples")) {
		const cJSON *h = cJSON_GetObjectItem(x, "host_load_high");

		if (cJSON_IsBool(h)) {
			(*flagged)++;
			*high += cJSON_IsTrue(h);
		}
	}
}

/* A run made under high host load: metadata.host_load.high, or a workload more than half of whose
 * passes ran above the limits (the median pass's load is what its figures reflect; one loaded pass
 * among several is an outlier the rank statistics absorb). Files without per-pass flags: the
 * reported pass's results.host_load.high. why: the sentence (static storage). */
static bool high_load(const cJSON *doc, const char **why)
{
	static struct wl w[MAX_WL];
	static char buf[400];
	int n = workloads(doc, w, MAX_WL), k, f;

	*why = NULL;
	if (cJSON_IsTrue(profile_get(doc, "metadata.host_load.high"))) {
		*why = str(profile_get(doc, "metadata.host_load"), "reason");
		return true;
	}
	for (int i = 0; i < n; i++) {
		const char *r = w[i].res ? str(profile_get(w[i].res, "host_load"), "reason") : NULL;

		if (!w[i].res)
			continue;
		passes_high(w[i].res, &k, &f);
		if (f && 2 * k > f) {
			snprintf(buf, sizeof(buf), "%s: %d of %d passes above the limits%s%s", w[i].label, k, f,
				 r ? "; " : "", r ? r : "");
			*why = buf;
			return true;
		}
		if (!f && cJSON_IsTrue(profile_get(w[i].res, "host_load.high"))) {
			*why = r;
			return true;
		}
	}
	return false;
}

static bool saturated(const cJSON *doc)
{
	static struct wl w[MAX_WL];
	int n = workloads(doc, w, MAX_WL);

	for (int i = 0; i < n; i++)
		if (w[i].res && cJSON_IsTrue(profile_get(w[i].res, "generator.saturated")))
			return true;
	return false;
}

int gate_inputs_ok(const cJSON *base, const cJSON *new_, const struct gate_opts *o, char *err, int errlen)
{
	static const char *const host_keys[] = { "hostname", "cpu_model", "cpu_cores", "memory_gb", "kernel" };
	static const struct {
		const char *key, *what;
	} cfg_keys[] = {
		{ "concurrency", "concurrency" },
		{ "duration_secs", "pass duration (s)" },
		{ "probes", "probe set" },
		{ "burst", "--burst" },  /* a rate shape: its passes are neither a closed loop nor one rate */
		{ "sweep", "--sweep" },  /* a swept file's results are its last point's load */
	};
	const char *why;

	if (o->force)
		return 0;
	for (size_t k = 0; k < sizeof(host_keys) / sizeof(host_keys[0]); k++) {
		char path[64], *a, *b;
		bool same;

		snprintf(path, sizeof(path), "metadata.host.%s", host_keys[k]);
		a = printed(base, path);
		b = printed(new_, path);
		/* a figure neither file records cannot differ; one file's alone can */
		same = (!a && !b) || (a && b && !strcmp(a, b));
		if (!same)
			snprintf(err, errlen, "the runs come from different hosts (%s: %s vs %s); compare runs from one "
				 "host, or give --force", host_keys[k], a ? a : "none", b ? b : "none");
		free(a);
		free(b);
		if (!same)
			return -EINVAL;
	}
	{
		const cJSON *ra = profile_get(base, "configuration.rate"), *rb = profile_get(new_, "configuration.rate");
		bool oa = cJSON_IsNumber(ra) && ra->valuedouble > 0, ob = cJSON_IsNumber(rb) && rb->valuedouble > 0;
		bool ba = cJSON_IsObject(profile_get(base, "configuration.burst")),
		     bb = cJSON_IsObject(profile_get(new_, "configuration.burst"));

		if (oa != ob || ba != bb) {
			snprintf(err, errlen, "the load configurations differ: %s against %s; they measure different "
				 "things: run both the same way, or give --force",
				 oa ? "a fixed --rate" : ba ? "a --burst shape" : "a closed loop",
				 ob ? "a fixed --rate" : bb ? "a --burst shape" : "a closed loop");
			return -EINVAL;
		}
		if (oa && ra->valuedouble != rb->valuedouble) {
			snprintf(err, errlen, "the load configurations differ: --rate %g against %g; give --force to "
				 "compare anyway", ra->valuedouble, rb->valuedouble);
			return -EINVAL;
		}
	}
	for (size_t k = 0; k < sizeof(cfg_keys) / sizeof(cfg_keys[0]); k++) {
		char path[64], *a, *b;
		bool same;

		snprintf(path, sizeof(path), "configuration.%s", cfg_keys[k].key);
		a = printed(base, path);
		b = printed(new_, path);
		same = (!a && !b) || (a && b && !strcmp(a, b));
		if (!same)
			snprintf(err, errlen, "the load configurations differ: %s %s against %s; run both the same way, "
				 "or give --force", cfg_keys[k].what, a ? a : "none", b ? b : "none");
		free(a);
		free(b);
		if (!same)
			return -EINVAL;
	}
	if (high_load(base, &why) || high_load(new_, &why)) {
		snprintf(err, errlen, "a run was made under high host load (%s); its figures measure the neighbours "
			 "too: rerun on a quiet host, or give --force", why ? why : "recorded as high");
		return -EINVAL;
	}
	if (saturated(base) || saturated(new_)) {
		snprintf(err, errlen, "a run's load generator was saturated, so its figures are the generator's "
			 "limit; give --force to compare anyway");
		return -EINVAL;
	}
	return 0;
}

/* ---- verdicts ---- */

static void num_or_null(cJSON *o, const char *k, double v)
{
	if (isfinite(v))
		cJSON_AddNumberToObject(o, k, v);
	else
		cJSON_AddNullToObject(o, k);
}

/* error rate and status classes: counts over many requests, not a noisy figure: the gate is
 * the failed-workload rule and a rise of more than error_pp percentage points */
static cJSON *error_row(const cJSON *bres, const cJSON *nres, const struct gate_opts *o, enum vd_verdict *v)
{
	struct wl_health hb, hn;
	cJSON *r = cJSON_CreateObject(), *b, *n;
	char reason[600], rb[32], rn[32];
	double eb, en;
	bool okb = bres && !wl_health_of(bres, o->min_success, &hb), okn = nres && !wl_health_of(nres, o->min_success, &hn);

	cJSON_AddStringToObject(r, "metric", "error_rate");
	if (!okb || !okn) {
		*v = VD_NOT_GATED;
		cJSON_AddStringToObject(r, "verdict", vd_name(*v));
		cJSON_AddStringToObject(r, "reason", "not-gated: no request counts on both sides");
		return r;
	}
	eb = isnan(hb.success_rate) ? 1 : 1 - hb.success_rate;
	en = isnan(hn.success_rate) ? 1 : 1 - hn.success_rate;
	fmt_rate_pct(rb, sizeof(rb), hb.attempts - hb.ok, hb.attempts);
	fmt_rate_pct(rn, sizeof(rn), hn.attempts - hn.ok, hn.attempts);
	if (hn.failed && !hb.failed) {
		*v = VD_REGRESSED_CRITICAL;
		snprintf(reason, sizeof(reason), "errors %s -> %s: the new run's workload failed (%s)", rb, rn, hn.reason);
	} else if (100 * (en - eb) > o->error_pp) {
		*v = hn.failed ? VD_REGRESSED_CRITICAL : VD_REGRESSED;
		snprintf(reason, sizeof(reason), "errors %s -> %s: up more than %g percentage point(s) (4xx %llu -> %llu, "
			 "5xx %llu -> %llu)", rb, rn, o->error_pp, (unsigned long long)hb.s4xx, (unsigned long long)hn.s4xx,
			 (unsigned long long)hb.s5xx, (unsigned long long)hn.s5xx);
	} else if (hb.failed && !hn.failed) {
		*v = VD_IMPROVED;
		snprintf(reason, sizeof(reason), "errors %s -> %s: the base run's workload had failed (%s)", rb, rn, hb.reason);
	} else {
		*v = VD_UNCHANGED;
		snprintf(reason, sizeof(reason), "errors %s -> %s%s", rb, rn,
			 hn.failed ? " (both runs' workload failed)" : "");
	}
	cJSON_AddStringToObject(r, "verdict", vd_name(*v));
	cJSON_AddStringToObject(r, "reason", reason);
	b = cJSON_AddObjectToObject(r, "base");
	num_or_null(b, "median", eb);
	cJSON_AddNumberToObject(b, "n", 1);
	n = cJSON_AddObjectToObject(r, "new");
	num_or_null(n, "median", en);
	cJSON_AddNumberToObject(n, "n", 1);
	cJSON_AddNumberToObject(r, "change_points", 100 * (en - eb));
	return r;
}

static cJSON *side_info(const cJSON *doc, const char *path)
{
	cJSON *s = cJSON_CreateObject();
	const cJSON *c = profile_get(doc, "metadata.git_commit"), *t = profile_get(doc, "metadata.timestamp"),
		    *h = profile_get(doc, "metadata.host.hostname"), *f = profile_get(doc, "metadata.framework");

	cJSON_AddStringToObject(s, "file", path ? path : "");
	cJSON_AddItemToObject(s, "commit", cJSON_IsString(c) ? cJSON_CreateString(c->valuestring) : cJSON_CreateNull());
	cJSON_AddItemToObject(s, "timestamp", cJSON_IsString(t) ? cJSON_CreateString(t->valuestring) : cJSON_CreateNull());
	cJSON_AddItemToObject(s, "host", cJSON_IsString(h) ? cJSON_CreateString(h->valuestring) : cJSON_CreateNull());
	cJSON_AddItemToObject(s, "framework", cJSON_IsString(f) ? cJSON_CreateString(f->valuestring) : cJSON_CreateNull());
	return s;
}

static cJSON *health_json(const cJSON *res, double min_success)
{
	struct wl_health h;

	if (!res || wl_health_of(res, min_success, &h))
		return cJSON_CreateNull();
	return wl_health_json(&h);
}

/* Every workload of doc with results has interleaved repeats (merged by compare --frameworks). */
static bool all_interleaved(const cJSON *doc)
{
	static struct wl w[MAX_WL];
	int n = workloads(doc, w, MAX_WL), k = 0;

	for (int i = 0; i < n; i++) {
		if (!w[i].res)
			continue;
		if (!cJSON_IsTrue(profile_get(w[i].res, "repeats.interleaved")))
			return false;
		k++;
	}
	return k > 0;
}

/* The VD_BAND_* rule for this pair (see GATE_NOISE_AUTO); why: the sentence for the record. */
static int noise_rule(const cJSON *base, const cJSON *new_, int asked, const char **why)
{
	if (asked) {
		*why = "--noise-rule";
		return asked - 1;
	}
	if (all_interleaved(base) && all_interleaved(new_)) {
		*why = "auto: both runs' repeats are interleaved rounds (drift between them is in the repeats)";
		return VD_BAND_ESTIMATE;
	}
	*why = "auto: runs made one after the other (drift between them is in no repeat's spread)";
	return VD_BAND_INTERVAL;
}

/* A per-request profiling metric left ungated for want of samples: the reason says why there is
 * no noise model and how to get one. */
static void profiling_reason(int m, struct vd_result *vr)
{
	char was[64];

	if (m < GM_GIL_PER_REQ || m > GM_FFI_PER_REQ || vr->verdict != VD_NOT_GATED ||
	    (vr->nb >= VD_MIN_SAMPLES && vr->nn >= VD_MIN_SAMPLES))
		return;
	snprintf(was, sizeof(was), "%.63s", vr->reason);
	snprintf(vr->reason, sizeof(vr->reason), "%.63s: profiled passes give no between-run noise model below %d a "
		 "side (compare --frameworks --profile-all gives one a round)", was, VD_MIN_SAMPLES);
}

cJSON *gate_run(const cJSON *base, const cJSON *new_, const struct gate_opts *o, const char *base_path,
		const char *new_path)
{
	static struct wl bw[MAX_WL], nw[MAX_WL];
	static double sb[MAX_SAMPLES], sn[MAX_SAMPLES];
	int nb = workloads(base, bw, MAX_WL), nn = workloads(new_, nw, MAX_WL);
	int counts[VD_NEW + 1] = {}, failed = 0, tfail = 0, tcrit = 0;
	cJSON *doc = cJSON_CreateObject(), *wls, *tg, *sum, *cfg;
	enum vd_verdict worst = VD_UNCHANGED;
	bool any_regressed = false, any_critical = false;
	struct vd_opts vd = o->vd;
	const char *why;

	cJSON_AddStringToObject(doc, "mode", "diff");
	cJSON_AddItemToObject(doc, "base", side_info(base, base_path));
	cJSON_AddItemToObject(doc, "new", side_info(new_, new_path));
	cfg = cJSON_AddObjectToObject(doc, "configuration");
	cJSON_AddStringToObject(cfg, "procedure", "Moses CI of the shift (Mann-Whitney), noise band from the repeats' "
						 "spread, minimum effect; see docs/CI.md");
	cJSON_AddNumberToObject(cfg, "alpha", o->vd.alpha > 0 ? o->vd.alpha : 0.05);
	vd.band_rule = noise_rule(base, new_, o->noise_rule, &why);
	cJSON_AddStringToObject(cfg, "noise_rule", vd.band_rule == VD_BAND_INTERVAL ? "interval" : "estimate");
	cJSON_AddStringToObject(cfg, "noise_rule_why", why);
	cJSON_AddNumberToObject(cfg, "noise_k", o->vd.noise_k > 0 ? o->vd.noise_k : 1);
	cJSON_AddNumberToObject(cfg, "min_success_rate", o->min_success);
	cJSON_AddStringToObject(cfg, "fail_on", o->fail_on == GATE_FAIL_CRITICAL ? "critical" : "regressed");
	cJSON_AddBoolToObject(cfg, "fail_on_missing", o->fail_missing);
	cJSON_AddBoolToObject(cfg, "forced", o->force);
	{
		cJSON *rules = cJSON_AddObjectToObject(cfg, "thresholds");

		for (int m = 0; m < GATE_NMETRICS; m++) {
			cJSON *r;

			if (m == GM_ERROR_RATE)
				continue;
			r = cJSON_AddObjectToObject(rules, defs[m].name);
			cJSON_AddNumberToObject(r, "min_effect_percent", o->rules[m].min_effect_pct);
			cJSON_AddNumberToObject(r, "critical_percent", o->rules[m].crit_pct);
			cJSON_AddBoolToObject(r, "gated_explicitly", o->rules[m].gate_explicit);
		}
	}
	wls = cJSON_AddArrayToObject(doc, "workloads");
	/* the new run's workloads in its order, then the base's that the new run lacks */
	for (int pass = 0; pass < 2; pass++) {
		int cnt = pass ? nb : nn;

		for (int i = 0; i < cnt; i++) {
			const struct wl *w = pass ? &bw[i] : &nw[i];
			const struct wl *b = pass ? w : find(bw, nb, w->label), *n = pass ? find(nw, nn, w->label) : w;
			cJSON *wj, *ms, *hj;
			const char *status;

			if (pass && n)
				continue; /* compared in the first pass */
			status = !b ? "new" : !n ? "missing" : "compared";
			wj = cJSON_CreateObject();
			cJSON_AddStringToObject(wj, "workload", w->label);
			cJSON_AddStringToObject(wj, "status", status);
			hj = cJSON_AddObjectToObject(wj, "health");
			cJSON_AddItemToObject(hj, "base", health_json(b ? b->res : NULL, o->min_success));
			cJSON_AddItemToObject(hj, "new", health_json(n ? n->res : NULL, o->min_success));
			if (cJSON_IsTrue(profile_get(hj, "new.failed")))
				failed++;
			{
				cJSON *sj = cJSON_AddObjectToObject(wj, "steady");

				cJSON_AddItemToObject(sj, "base", b && b->res ? steady_count(b->res) : cJSON_CreateNull());
				cJSON_AddItemToObject(sj, "new", n && n->res ? steady_count(n->res) : cJSON_CreateNull());
			}
			ms = cJSON_AddArrayToObject(wj, "metrics");
			if (!b || !n || !b->res || !n->res) {
				enum vd_verdict v = !b ? VD_NEW : VD_MISSING;
				cJSON *r = cJSON_CreateObject();

				if (b && n) /* present on both sides, results on one only: a pass failed */
					v = !n->res ? VD_MISSING : VD_NEW;
				counts[v]++;
				cJSON_AddStringToObject(r, "metric", "-");
				cJSON_AddStringToObject(r, "verdict", vd_name(v));
				cJSON_AddStringToObject(r, "reason", v == VD_NEW ? "no results in the base run"
										 : "no results in the new run");
				cJSON_AddItemToArray(ms, r);
				cJSON_AddItemToArray(wls, wj);
				continue;
			}
			for (int m = 0; m < GATE_NMETRICS; m++) {
				struct vd_result vr;
				enum vd_verdict v;
				cJSON *r;
				int kb, kn, db, dn;

				if (m == GM_ERROR_RATE) {
					struct wl_health hx;

					if (wl_health_of(b->res, o->min_success, &hx) && wl_health_of(n->res, o->min_success, &hx))
						continue; /* no request counts on either side: no row */
					r = error_row(b->res, n->res, o, &v);
				} else {
					kb = samples(b->res, m, sb, &db);
					kn = samples(n->res, m, sn, &dn);
					if (!kb && !kn && !db && !dn)
						continue; /* not measured on either side: no row */
					if (!kb || !kn) {
						r = cJSON_CreateObject();
						cJSON_AddStringToObject(r, "metric", defs[m].name);
						v = VD_NOT_GATED;
						cJSON_AddStringToObject(r, "verdict", vd_name(v));
						cJSON_AddStringToObject(r, "reason", (!kb && db) || (!kn && dn)
							? "not-gated: no steady pass (every pass's throughput trended)"
							: !kb ? "not-gated: not measured in the base run"
							      : "not-gated: not measured in the new run");
					} else {
						vd_compare(&o->rules[m], sb, kb, sn, kn, &vd, &vr);
						profiling_reason(m, &vr);
						v = vr.verdict;
						r = vd_result_json(&vr);
						cJSON_AddItemToObjectCS(r, "metric", cJSON_CreateString(defs[m].name));
						if (db || dn)
							cJSON_AddNumberToObject(r, "not_steady_passes_left_out", db + dn);
					}
				}
				counts[v]++;
				if (v == VD_REGRESSED)
					any_regressed = true;
				if (v == VD_REGRESSED_CRITICAL)
					any_critical = true;
				cJSON_AddItemToArray(ms, r);
			}
			cJSON_AddItemToArray(wls, wj);
		}
	}
	tg = cJSON_AddArrayToObject(doc, "targets");
	for (int t = 0; t < o->ntargets; t++) {
		bool applied = false;
		char name[300];

		ptarget_format(&o->targets[t], name, sizeof(name));
		for (int i = 0; i < nn; i++) {
			struct pt_eval e;
			double v = NAN;
			cJSON *tj;

			if (!ptarget_applies(&o->targets[t], nw[i].suite, nw[i].name))
				continue;
			applied = true;
			if (nw[i].res)
				pt_metric_value(nw[i].res, o->targets[t].metric, &v);
			ptarget_eval(&o->targets[t], v, &e);
			tj = cJSON_CreateObject();
			cJSON_AddStringToObject(tj, "target", name);
			cJSON_AddStringToObject(tj, "workload", nw[i].label);
			num_or_null(tj, "value", v);
			cJSON_AddStringToObject(tj, "level", pt_level_name(e.level));
			cJSON_AddBoolToObject(tj, "pass", e.pass);
			cJSON_AddStringToObject(tj, "reason", e.reason);
			cJSON_AddItemToArray(tg, tj);
			tfail += !e.pass && e.level != PT_NO_VALUE;
			tcrit += e.level == PT_MISSED_CRITICAL;
		}
		if (!applied) {
			cJSON *tj = cJSON_CreateObject();

			cJSON_AddStringToObject(tj, "target", name);
			cJSON_AddNullToObject(tj, "workload");
			cJSON_AddNullToObject(tj, "value");
			cJSON_AddStringToObject(tj, "level", pt_level_name(PT_NO_VALUE));
			cJSON_AddBoolToObject(tj, "pass", false);
			cJSON_AddStringToObject(tj, "reason", "no workload of the new run by that name");
			cJSON_AddItemToArray(tg, tj);
			tfail++;
		}
	}
	if (any_critical)
		worst = VD_REGRESSED_CRITICAL;
	else if (any_regressed)
		worst = VD_REGRESSED;
	sum = cJSON_AddObjectToObject(doc, "summary");
	cJSON_AddNumberToObject(sum, "improved", counts[VD_IMPROVED]);
	cJSON_AddNumberToObject(sum, "unchanged", counts[VD_UNCHANGED]);
	cJSON_AddNumberToObject(sum, "regressed", counts[VD_REGRESSED]);
	cJSON_AddNumberToObject(sum, "regressed_critical", counts[VD_REGRESSED_CRITICAL]);
	cJSON_AddNumberToObject(sum, "not_gated", counts[VD_NOT_GATED]);
	cJSON_AddNumberToObject(sum, "missing", counts[VD_MISSING]);
	cJSON_AddNumberToObject(sum, "new", counts[VD_NEW]);
	cJSON_AddNumberToObject(sum, "failed_workloads", failed);
	cJSON_AddNumberToObject(sum, "targets_failed", tfail);
	cJSON_AddNumberToObject(sum, "targets_missed_critical", tcrit);
	cJSON_AddStringToObject(sum, "worst", vd_name(worst));
	{
		bool fail = any_critical || (o->fail_on == GATE_FAIL_REGRESSED && any_regressed) ||
			    (o->fail_missing && counts[VD_MISSING]) || tcrit || failed;
		char line[400];

		cJSON_AddNumberToObject(sum, "exit_status", fail ? 1 : 0);
		snprintf(line, sizeof(line),
			 "%d improved, %d unchanged, %d regressed, %d regressed-critical, %d not-gated, %d missing, %d new"
			 "%s%s",
			 counts[VD_IMPROVED], counts[VD_UNCHANGED], counts[VD_REGRESSED], counts[VD_REGRESSED_CRITICAL],
			 counts[VD_NOT_GATED], counts[VD_MISSING], counts[VD_NEW], failed ? "; failed workloads in the new run" : "",
			 o->ntargets ? (tfail ? "; targets missed" : "; targets met") : "");
		cJSON_AddStringToObject(sum, "line", line);
	}
	return doc;
}

int gate_exit_status(const cJSON *verdicts)
{
	return (int)num(verdicts, "summary.exit_status") == 1 ? 1 : 0;
}

static void fmt_num(char *b, int len, const cJSON *o, const char *path)
{
	double v = num(o, path);

	if (isnan(v))
		snprintf(b, len, "-");
	else if (fabs(v) >= 100)
		snprintf(b, len, "%.1f", v);
	else
		snprintf(b, len, "%.4g", v);
}

static void fmt_change(char *b, int len, const cJSON *r)
{
	double c = num(r, "change_percent"), p = num(r, "change_points");

	if (!isnan(c))
		snprintf(b, len, "%+.1f%%", c);
	else if (!isnan(p))
		snprintf(b, len, "%+.2fpp", p);
	else
		snprintf(b, len, "-");
}

void gate_print(FILE *f, const cJSON *d)
{
	const cJSON *w, *r, *t;

	fprintf(f, "%-30s %-24s %12s %12s %9s  %-18s  %s\n", "workload", "metric", "base", "new", "change", "verdict",
		"reason");
	cJSON_ArrayForEach(w, cJSON_GetObjectItem(d, "workloads"))
	cJSON_ArrayForEach(r, cJSON_GetObjectItem(w, "metrics")) {
		char bv[32], nv[32], ch[32];

		fmt_num(bv, sizeof(bv), r, "base.median");
		fmt_num(nv, sizeof(nv), r, "new.median");
		fmt_change(ch, sizeof(ch), r);
		fprintf(f, "%-30s %-24s %12s %12s %9s  %-18s  %s\n", str(w, "workload"), str(r, "metric"), bv, nv, ch,
			str(r, "verdict"), str(r, "reason") ? str(r, "reason") : "");
	}
	cJSON_ArrayForEach(w, cJSON_GetObjectItem(d, "workloads"))
		if (cJSON_IsTrue(profile_get(w, "health.new.failed")))
			fprintf(f, "failed: %s in the new run: %s\n", str(w, "workload"), str(profile_get(w, "health.new"), "reason"));
	cJSON_ArrayForEach(w, cJSON_GetObjectItem(d, "workloads")) {
		double bs = num(w, "steady.base.steady"), bp = num(w, "steady.base.passes");
		double ns = num(w, "steady.new.steady"), np = num(w, "steady.new.passes");

		char b[32] = "-", n[32] = "-";

		if (!isnan(bp))
			snprintf(b, sizeof(b), "%.0f/%.0f", bs, bp);
		if (!isnan(np))
			snprintf(n, sizeof(n), "%.0f/%.0f", ns, np);
		if ((!isnan(bp) && bs < bp) || (!isnan(np) && ns < np))
			fprintf(f, "steady: %s: base %s, new %s passes steady (the others left out of the statistics)\n",
				str(w, "workload"), b, n);
	}
	cJSON_ArrayForEach(t, cJSON_GetObjectItem(d, "targets"))
		fprintf(f, "target %s %s: %s\n", cJSON_IsTrue(cJSON_GetObjectItem(t, "pass")) ? "pass" : "FAIL",
			str(t, "workload") ? str(t, "workload") : "-", str(t, "reason"));
	fprintf(f, "%s\n", str(profile_get(d, "summary"), "line"));
}

static bool significant(const char *v)
{
	return !strcmp(v, "regressed") || !strcmp(v, "regressed-critical") || !strcmp(v, "improved") ||
	       !strcmp(v, "missing") || !strcmp(v, "new");
}

static void md_row(FILE *f, const cJSON *w, const cJSON *r)
{
	char bv[32], nv[32], ch[32];
	const char *v = str(r, "verdict");
	bool bold = !strncmp(v, "regressed", 9) || !strcmp(v, "missing");

	fmt_num(bv, sizeof(bv), r, "base.median");
	fmt_num(nv, sizeof(nv), r, "new.median");
	fmt_change(ch, sizeof(ch), r);
	fprintf(f, "| %s | %s | %s | %s | %s | %s%s%s | %s |\n", str(w, "workload"), str(r, "metric"), bv, nv, ch,
		bold ? "**" : "", v, bold ? "**" : "", str(r, "reason") ? str(r, "reason") : "");
}

void gate_markdown(FILE *f, const cJSON *d)
{
	const cJSON *w, *r, *t, *sum = cJSON_GetObjectItem(d, "summary");
	const char *worst = str(sum, "worst");
	bool fail = gate_exit_status(d), warn = !fail && (num(sum, "regressed") > 0 || num(sum, "missing") > 0 ||
							   num(sum, "targets_failed") > 0);
	char date[64];
	time_t now = time(NULL);
	struct tm tm;

	strftime(date, sizeof(date), "%Y-%m-%d %H:%M UTC", gmtime_r(&now, &tm));
	fprintf(f, "## bindprof diff: %s\n\n", fail ? "❌ regression" : warn ? "⚠️ changes to review" : "✅ no regression");
	fprintf(f, "Date: %s  \nBase: `%s` (commit %s)  \nNew: `%s` (commit %s)  \nHost: %s\n\n", date,
		str(profile_get(d, "base"), "file"), str(profile_get(d, "base"), "commit") ? str(profile_get(d, "base"), "commit") : "unknown",
		str(profile_get(d, "new"), "file"), str(profile_get(d, "new"), "commit") ? str(profile_get(d, "new"), "commit") : "unknown",
		str(profile_get(d, "new"), "host") ? str(profile_get(d, "new"), "host") : "unknown");
	fprintf(f, "%s %s (worst: %s)\n\n", fail ? "❌" : warn ? "⚠️" : "✅", str(sum, "line"), worst ? worst : "-");
	{
		int nsig = 0;

		cJSON_ArrayForEach(w, cJSON_GetObjectItem(d, "workloads"))
		cJSON_ArrayForEach(r, cJSON_GetObjectItem(w, "metrics"))
			nsig += significant(str(r, "verdict"));
		fprintf(f, "### Significant changes\n\n%s", nsig ? "| workload | metric | base | new | change | verdict | reason |\n"
								 "|:---|:---|---:|---:|---:|:---|:---|\n"
							      : "None: every difference is within the noise or below the minimum effect.\n");
	}
	cJSON_ArrayForEach(w, cJSON_GetObjectItem(d, "workloads"))
	cJSON_ArrayForEach(r, cJSON_GetObjectItem(w, "metrics"))
		if (!strncmp(str(r, "verdict"), "regressed", 9) || !strcmp(str(r, "verdict"), "missing"))
			md_row(f, w, r);
	cJSON_ArrayForEach(w, cJSON_GetObjectItem(d, "workloads"))
	cJSON_ArrayForEach(r, cJSON_GetObjectItem(w, "metrics"))
		if (!strcmp(str(r, "verdict"), "improved") || !strcmp(str(r, "verdict"), "new"))
			md_row(f, w, r);
	fprintf(f, "\n### Everything else\n\n| workload | metric | base | new | change | verdict | reason |\n"
		   "|:---|:---|---:|---:|---:|:---|:---|\n");
	cJSON_ArrayForEach(w, cJSON_GetObjectItem(d, "workloads"))
	cJSON_ArrayForEach(r, cJSON_GetObjectItem(w, "metrics"))
		if (!significant(str(r, "verdict")) && strcmp(str(r, "metric"), "cpu_per_request_ms") &&
		    strcmp(str(r, "metric"), "uss_peak_mb"))
			md_row(f, w, r);
	{
		int nres = 0;

		cJSON_ArrayForEach(w, cJSON_GetObjectItem(d, "workloads"))
		cJSON_ArrayForEach(r, cJSON_GetObjectItem(w, "metrics"))
			nres += !strcmp(str(r, "metric"), "cpu_per_request_ms") || !strcmp(str(r, "metric"), "uss_peak_mb");
		fprintf(f, "\n### Resources\n\n%s", nres ? "| workload | resource | base | new | change | verdict | reason |\n"
							      "|:---|:---|---:|---:|---:|:---|:---|\n"
							    : "Not measured in these files (profile samples the app's CPU and memory).\n");
	}
	cJSON_ArrayForEach(w, cJSON_GetObjectItem(d, "workloads"))
	cJSON_ArrayForEach(r, cJSON_GetObjectItem(w, "metrics"))
		if (!strcmp(str(r, "metric"), "cpu_per_request_ms") || !strcmp(str(r, "metric"), "uss_peak_mb"))
			md_row(f, w, r);
	if (cJSON_GetArraySize(cJSON_GetObjectItem(d, "targets"))) {
		fprintf(f, "\n### Targets\n\n| target | workload | value | level | |\n|:---|:---|---:|:---|:---|\n");
		cJSON_ArrayForEach(t, cJSON_GetObjectItem(d, "targets")) {
			char v[32];

			fmt_num(v, sizeof(v), t, "value");
			fprintf(f, "| `%s` | %s | %s | %s | %s |\n", str(t, "target"), str(t, "workload") ? str(t, "workload") : "-",
				v, str(t, "level"), cJSON_IsTrue(cJSON_GetObjectItem(t, "pass")) ? "✅" : "❌");
		}
	}
}
