/* SPDX-License-Identifier: GPL-2.0-only */
/* profile's load shapes and memory checks: see shapes.h. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "cli/load.h"
#include "cli/profile.h"
#include "cli/shapes.h"
#include "inspect/procfs.h"
#include "lib/duration.h"
#include "lib/json.h"
#include "lib/util.h"
#include "load/sse.h"
#include "load/ws.h"
#include "load/suites.h"
#include "stats/loadshape.h"

#define SHAPE_MAX_SECS (7 * 24 * 3600.0)

int shape_opt_apply(struct profile_shape_opts *o, int id, const char *arg, char *err, int errlen)
{
	switch (id) {
	case PO_RAMP_UP:
		if (parse_duration(arg, 3600, &o->ramp_up)) {
			snprintf(err, errlen, "--ramp-up: invalid value '%s' (seconds > 0, at most 3600)", arg);
			return -EINVAL;
		}
		return 0;
	case PO_SUSTAINED:
		if (parse_duration(arg, SHAPE_MAX_SECS, &o->sustained) || o->sustained < 10) {
			snprintf(err, errlen, "--sustained: invalid value '%s' (a duration of 10 s or more, e.g. 10m, 1h)", arg);
			return -EINVAL;
		}
		return 0;
	case PO_PAGE_FAULTS:
		o->page_faults = true;
		return 0;	case PO_MALLOC_SAMPLE: {
		char *end;
		unsigned long long v;

		errno = 0;
		v = strtoull(arg, &end, 10);
		if (errno || *end || end == arg || arg[0] == '-' || v < 1 || v > 1000000000ULL) {
			snprintf(err, errlen, "--malloc-sample: invalid value '%s' (N, one malloc call in N sampled: an "
				 "integer from 1 to 1e9)", arg);
			return -EINVAL;
		}
		o->malloc_every = v;
		return 0;
	}
	case PO_BURST: {
		char buf[128], *c1, *c2, *end;

		snprintf(buf, sizeof(buf), "%s", arg);
		c1 = strchr(buf, ':');
		c2 = c1 ? strchr(c1 + 1, ':') : NULL;
		if (!c2 || strlen(arg) >= sizeof(buf))
			goto bad;
		*c1 = *c2 = '\0';
		errno = 0;
		o->burst_base = strtod(buf, &end);
		if (errno || *end || end == buf || !(o->burst_base > 0 && o->burst_base <= 1e7))
			goto bad;
		o->burst_peak = strtod(c1 + 1, &end);
		if (errno || *end || end == c1 + 1 || !(o->burst_peak > o->burst_base && o->burst_peak <= 1e7))
			goto bad;
		if (parse_duration(c2 + 1, 3600, &o->burst_secs))
			goto bad;
		return 0;
	bad:
		o->burst_secs = 0;
		snprintf(err, errlen, "--burst: invalid value '%s' (BASE:PEAK:SECS, requests/s with 0 < BASE < PEAK, "
			 "e.g. 100:1000:2s)", arg);
		return -EINVAL;
	}
	}
	return -EINVAL;
}

double shape_pass_secs(const struct profile_shape_opts *o, double duration)
{
	return o->sustained > 0 ? o->sustained : duration;
}

int shape_opts_check(const struct profile_shape_opts *o, double rate, double duration, char *err, int errlen)
{
	double secs = shape_pass_secs(o, duration);

	if (o->ramp_up > 0 && !(rate > 0) && !(o->burst_secs > 0)) {
		snprintf(err, errlen, "--ramp-up needs a rate to ramp to (--rate RPS, or --burst)");
		return -EINVAL;
	}
	if (o->burst_secs > 0 && rate > 0) {
		snprintf(err, errlen, "--burst sets the pass's rates (BASE:PEAK:SECS): leave out --rate");
		return -EINVAL;
	}
	if (o->burst_secs > 0 && secs - o->burst_secs < 4) {
		snprintf(err, errlen, "--burst: a %.1f s burst needs a pass of at least %.1f s (--duration): 2 s before "
			 "it and 2 s after", o->burst_secs, o->burst_secs + 4);
		return -EINVAL;
	}
	return 0;
}

/* ---- resources ---- */

static void push(double **a, int n, double v)
{
	(*a)[n] = v;
}

void shape_series_sample(struct shape_series *s, const int *pids, int n, uint64_t now)
{
	uint64_t ticks = 0, rss = 0, uss = 0, pss = 0, kb;
	bool any = false, have_uss = false, have_pss = false;

	if (s->n == s->cap) {
		int cap = s->cap ? 2 * s->cap : 256;
		double **arrs[] = { &s->t_s, &s->cpu_pct, &s->rss_mb, &s->uss_mb, &s->pss_mb };

		for (size_t i = 0; i < ARRAY_SIZE(arrs); i++) {
			double *p = realloc(*arrs[i], cap * sizeof(double));

			if (!p)
				return; /* out of memory: the sample is skipped */
			*arrs[i] = p;
		}
		s->cap = cap;
	}
	if (!s->hz)
		s->hz = sysconf(_SC_CLK_TCK);
	if (!s->n)
		s->t0_ns = now;
	for (int i = 0; i < n; i++) {
		struct proc_stat st;
		char path[64], *buf;

		if (procfs_read_stat("/proc", pids[i], &st))
			continue;
		any = true;
		ticks += st.utime + st.stime;
		if (!procfs_read_rss_kb("/proc", pids[i], &kb))
			rss += kb;
		snprintf(path, sizeof(path), "/proc/%d/smaps_rollup", pids[i]);
		if (!read_file(path, &buf, NULL)) {
			if (!procfs_parse_uss_kb(buf, &kb)) {
				uss += kb;
				have_uss = true;
			}
			if (!procfs_parse_status_kb(buf, "Pss", &kb)) {
				pss += kb;
				have_pss = true;
			}
			free(buf);
		}
	}
	push(&s->t_s, s->n, (now - s->t0_ns) / 1e9);
	/* CPU since the previous sample; a process that ended took its ticks along (clamped at 0) */
	push(&s->cpu_pct, s->n, s->n && any && now > s->last_ns && ticks >= s->last_ticks
				   ? 100.0 * (ticks - s->last_ticks) / s->hz / ((now - s->last_ns) / 1e9)
				   : NAN);
	push(&s->rss_mb, s->n, any ? rss / 1024.0 : NAN);
	push(&s->uss_mb, s->n, have_uss ? uss / 1024.0 : NAN);
	push(&s->pss_mb, s->n, have_pss ? pss / 1024.0 : NAN);
	s->last_ticks = ticks;
	s->last_ns = now;
	s->n++;
}

void shape_series_free(struct shape_series *s)
{
	free(s->t_s);
	free(s->cpu_pct);
	free(s->rss_mb);
	free(s->uss_mb);
	free(s->pss_mb);
	memset(s, 0, sizeof(*s));
}

/* ---- shapes ---- */

double shape_burst_start(const struct profile_shape_opts *o, double secs)
{
	double pre = (secs - o->burst_secs) / 3;

	return pre > 2 ? pre : 2;
}

void shape_burst_rate(const struct profile_shape_opts *o, double secs, struct rate_shape *rs)
{
	double pre = shape_burst_start(o, secs);

	memset(rs, 0, sizeof(*rs));
	rs->n = 3;
	rs->secs[0] = pre;
	rs->r0[0] = rs->r1[0] = o->burst_base;
	rs->secs[1] = o->burst_secs;
	rs->r0[1] = rs->r1[1] = o->burst_peak;
	rs->secs[2] = secs - pre - o->burst_secs > 0 ? secs - pre - o->burst_secs : 1;
	rs->r0[2] = rs->r1[2] = o->burst_base;
}

void shape_ramp_rate(const struct profile_shape_opts *o, double rate, struct rate_shape *rs)
{
	memset(rs, 0, sizeof(*rs));
	rs->n = 1;
	rs->secs[0] = o->ramp_up;
	rs->r0[0] = 0;
	rs->r1[0] = rate;
}

static void num_or_null(cJSON *o, const char *k, double v)
{
	if (isfinite(v))
		cJSON_AddNumberToObject(o, k, v);
	else
		cJSON_AddNullToObject(o, k);
}

/* Sub-intervals of the load result per 1 s interval (at least 1). */
static int per_second(const struct load_result *lr)
{
	int k = lr->interval_s > 0 ? (int)lround(1.0 / lr->interval_s) : 1;

	return k > 0 ? k : 1;
}

/* The 1 s interval i of the result (sub-intervals merged). */
static void second_of(const struct load_result *lr, int i, struct load_interval *out)
{
	int k = per_second(lr);

	memset(out, 0, sizeof(*out));
	for (int j = i * k; j < (i + 1) * k && j < lr->niv; j++)
		load_interval_merge(out, &lr->iv[j]);
}

/* Whole seconds of the window with per-interval counts. */
static int seconds_of(const struct load_result *lr, double secs)
{
	int n = (int)floor(secs + 1e-9), have = lr->niv / per_second(lr);

	return n < have ? n : have;
}

int shape_interval_rates(const struct load_result *lr, double secs, double *out, int max)
{
	static struct load_interval iv;
	int n = lr->iv ? seconds_of(lr, secs) : 0;

	if (n > max)
		n = max;
	for (int i = 0; i < n; i++) {
		second_of(lr, i, &iv);
		out[i] = iv.requests;
	}
	return n;
}

cJSON *shape_intervals_json(const struct load_result *lr, const struct shape_series *ser, double secs)
{
	cJSON *a = cJSON_CreateArray();
	static struct load_interval iv;

	for (int i = 0; lr->iv && i < seconds_of(lr, secs); i++) {
		cJSON *o = cJSON_CreateObject();

		second_of(lr, i, &iv);
		cJSON_AddNumberToObject(o, "t_s", i);
		cJSON_AddNumberToObject(o, "requests", iv.requests);
		cJSON_AddNumberToObject(o, "errors", iv.errors);
		cJSON_AddNumberToObject(o, "requests_per_sec", iv.requests);
		num_or_null(o, "p50_ms", iv.requests ? load_interval_quantile(&iv, 0.5) / 1e6 : NAN);
		num_or_null(o, "p99_ms", iv.requests ? load_interval_quantile(&iv, 0.99) / 1e6 : NAN);
		num_or_null(o, "cpu_percent", ser && i + 1 < ser->n ? ser->cpu_pct[i + 1] : NAN);
		num_or_null(o, "rss_mb", ser && i + 1 < ser->n ? ser->rss_mb[i + 1] : NAN);
		num_or_null(o, "uss_mb", ser && i + 1 < ser->n ? ser->uss_mb[i + 1] : NAN);
		num_or_null(o, "pss_mb", ser && i + 1 < ser->n ? ser->pss_mb[i + 1] : NAN);
		cJSON_AddItemToArray(a, o);
	}
	return a;
}

cJSON *shape_burst_json(const struct profile_shape_opts *o, const struct load_result *lr, double secs)
{
	cJSON *b = cJSON_CreateObject(), *wa;
	double start = shape_burst_start(o, secs), end = start + o->burst_secs, step = lr->interval_s, *p99;
	int k = per_second(lr), nwin = lr->niv, pre = (int)floor(start / step + 1e-9);
	static struct load_interval acc, win;
	struct recovery_result rr;

	cJSON_AddNumberToObject(b, "base_rps", o->burst_base);
	cJSON_AddNumberToObject(b, "peak_rps", o->burst_peak);
	cJSON_AddNumberToObject(b, "secs", o->burst_secs);
	cJSON_AddNumberToObject(b, "starts_at_s", start);
	cJSON_AddNumberToObject(b, "ends_at_s", end);
	if (!lr->iv || step <= 0) {
		cJSON_AddNullToObject(b, "recovery_secs");
		cJSON_AddStringToObject(b, "reason", "no per-interval counts were kept");
		return b;
	}
	/* the level before the burst: every request that ended before it */
	memset(&acc, 0, sizeof(acc));
	for (int i = 0; i < pre && i < lr->niv; i++)
		load_interval_merge(&acc, &lr->iv[i]);
	/* forward windows of 1 s, one per sub-interval: [i step, i step + 1 s) within the window */
	nwin = (int)floor((secs - 1) / step + 1e-9) + 1;
	if (nwin > lr->niv - k + 1)
		nwin = lr->niv - k + 1;
	p99 = calloc(nwin > 0 ? nwin : 1, sizeof(*p99));
	wa = cJSON_CreateArray();
	for (int i = 0; p99 && i < nwin; i++) {
		cJSON *w = cJSON_CreateObject();

		memset(&win, 0, sizeof(win));
		for (int j = i; j < i + k; j++)
			load_interval_merge(&win, &lr->iv[j]);
		p99[i] = win.requests ? load_interval_quantile(&win, 0.99) / 1e6 : NAN;
		cJSON_AddNumberToObject(w, "t_s", i * step);
		cJSON_AddNumberToObject(w, "requests", win.requests);
		num_or_null(w, "p99_ms", p99[i]);
		cJSON_AddItemToArray(wa, w);
	}
	burst_recovery(p99, p99 ? nwin : 0, step, end, acc.requests ? load_interval_quantile(&acc, 0.99) / 1e6 : NAN,
		       0.10, &rr);
	num_or_null(b, "baseline_p99_ms", acc.requests ? rr.baseline_p99_ms : NAN);
	num_or_null(b, "peak_p99_ms", rr.peak_p99_ms);
	cJSON_AddBoolToObject(b, "recovered", rr.recovered);
	num_or_null(b, "recovery_secs", rr.recovery_s);
	cJSON_AddNumberToObject(b, "resolution_secs", step);
	cJSON_AddNumberToObject(b, "window_secs", 1);
	cJSON_AddNumberToObject(b, "tolerance_percent", 10);
	cJSON_AddStringToObject(b, "reason", rr.reason);
	cJSON_AddItemToObject(b, "windows", wa);
	free(p99);
	return b;
}

cJSON *shape_sustained_json(const struct load_result *lr, const struct shape_series *ser, double secs)
{
	cJSON *o = cJSON_CreateObject(), *d, *m, *l;
	int n = lr->iv ? seconds_of(lr, secs) : 0, nm = 0;
	double *rps = calloc(n ? n : 1, sizeof(double)), *p99 = calloc(n ? n : 1, sizeof(double));
	double *t = calloc(ser && ser->n ? ser->n : 1, sizeof(double)), *mb = calloc(ser && ser->n ? ser->n : 1, sizeof(double));
	const double *src = NULL;
	const char *name = "uss";
	struct degrade_result dr;
	struct leak_result lk;
	static struct load_interval iv;
	int np = 0;

	if (!rps || !p99 || !t || !mb)
		n = 0;
	for (int i = 0; i < n; i++) {
		second_of(lr, i, &iv);
		if (!iv.requests)
			continue; /* an interval with nothing: no p99 (the throughput test sees it in steady) */
		rps[np] = iv.requests;
		p99[np++] = load_interval_quantile(&iv, 0.99) / 1e6;
	}
	degrade_check(rps, p99, np, 10, 0.95, &dr);
	d = cJSON_AddObjectToObject(o, "degradation");
	cJSON_AddStringToObject(d, "verdict", degrade_name(dr.verdict));
	cJSON_AddStringToObject(d, "reason", dr.reason);
	cJSON_AddNumberToObject(d, "intervals_compared", dr.k);
	num_or_null(d, "throughput_first_rps", dr.k ? dr.rps_first : NAN);
	num_or_null(d, "throughput_last_rps", dr.k ? dr.rps_last : NAN);
	num_or_null(d, "throughput_change_percent", dr.rps_change_pct);
	num_or_null(d, "throughput_change_ci_low", dr.rps_change_ci_pct[0]);
	num_or_null(d, "throughput_change_ci_high", dr.rps_change_ci_pct[1]);
	num_or_null(d, "p99_first_ms", dr.k ? dr.p99_first_ms : NAN);
	num_or_null(d, "p99_last_ms", dr.k ? dr.p99_last_ms : NAN);
	num_or_null(d, "p99_change_percent", dr.p99_change_pct);
	num_or_null(d, "p99_change_ci_low", dr.p99_change_ci_pct[0]);
	num_or_null(d, "p99_change_ci_high", dr.p99_change_ci_pct[1]);
	/* memory: USS (private pages: what the app itself holds), else RSS */
	for (int pass = 0; pass < 2 && ser && !nm; pass++) {
		src = pass ? ser->rss_mb : ser->uss_mb;
		name = pass ? "rss" : "uss";
		nm = 0;
		/* sample 0 is the pass's start (before its first interval): kept, it is a level too */
		for (int i = 0; i < ser->n; i++)
			if (isfinite(src[i])) {
				t[nm] = ser->t_s[i];
				mb[nm++] = src[i];
			}
	}
	leak_check(t, mb, nm, 0.95, &lk);
	m = cJSON_AddObjectToObject(o, "memory");
	l = cJSON_AddObjectToObject(m, "leak");
	cJSON_AddStringToObject(l, "verdict", leak_name(lk.verdict));
	cJSON_AddStringToObject(l, "series", name);
	cJSON_AddStringToObject(l, "method", "OLS slope of the series on time; CI the wider of the Newey-West (Bartlett, "
					     "lag floor(4 (n/100)^(2/9)), t on n-2 df) and the AR(1) effective-sample-size "
					     "(Santer et al. 2000) intervals");
	cJSON_AddStringToObject(l, "ci_from", lk.ci_from_ar1 ? "ar1" : "newey-west");
	cJSON_AddStringToObject(l, "reason", lk.reason);
	cJSON_AddNumberToObject(l, "samples", lk.n);
	cJSON_AddNumberToObject(l, "newey_west_lag", lk.lag);
	num_or_null(l, "slope_mb_per_hour", lk.slope_mb_h);
	num_or_null(l, "ci_low_mb_per_hour", lk.ci_mb_h[0]);
	num_or_null(l, "ci_high_mb_per_hour", lk.ci_mb_h[1]);
	num_or_null(l, "newey_west_ci_low_mb_per_hour", lk.hac_ci_mb_h[0]);
	num_or_null(l, "newey_west_ci_high_mb_per_hour", lk.hac_ci_mb_h[1]);
	num_or_null(l, "ar1_ci_low_mb_per_hour", lk.ar1_ci_mb_h[0]);
	num_or_null(l, "ar1_ci_high_mb_per_hour", lk.ar1_ci_mb_h[1]);
	num_or_null(l, "lag1_autocorrelation", isfinite(lk.slope_mb_h) ? lk.r1 : NAN);
	num_or_null(l, "effective_samples", isfinite(lk.slope_mb_h) ? lk.n_eff : NAN);
	num_or_null(l, "ols_ci_low_mb_per_hour", lk.ols_ci_mb_h[0]);
	num_or_null(l, "ols_ci_high_mb_per_hour", lk.ols_ci_mb_h[1]);
	num_or_null(l, "span_secs", lk.span_s);
	num_or_null(l, "mean_mb", lk.mean_mb);
	num_or_null(l, "min_growth_mb", lk.min_growth_mb);
	free(rps);
	free(p99);
	free(t);
	free(mb);
	return o;
}

cJSON *shape_ramp_json(const struct profile_shape_opts *o, double rate, const struct load_result *lr)
{
	cJSON *r = cJSON_CreateObject();

	cJSON_AddNumberToObject(r, "secs", o->ramp_up);
	cJSON_AddNumberToObject(r, "to_rate", rate);
	/* slots j with N(t_j) = j < R S / 2 */
	cJSON_AddNumberToObject(r, "expected_requests", ceil(rate * o->ramp_up / 2 - 1e-9));
	cJSON_AddNumberToObject(r, "scheduled", lr->scheduled);
	cJSON_AddNumberToObject(r, "sent_requests", load_completed(lr) + lr->read_err + lr->write_err + lr->timeouts +
						     lr->cut_at_end);
	cJSON_AddNumberToObject(r, "missed_slots", lr->missed_slots);
	return r;
}

/* ---- mixed suites ---- */

int shape_mix_of(const struct suite *s, struct workload *w, struct load_req **reqs)
{
	struct load_req *r = calloc(s->n ? s->n : 1, sizeof(*r));

	if (!r)
		return -ENOMEM;
	for (int i = 0; i < s->n; i++) {
		const struct workload *x = &s->w[i];

		r[i] = (struct load_req){ .method = x->method, .path = x->path, .headers = (const char *const *)x->headers,
					  .nheaders = x->nheaders, .body = x->body, .body_len = x->body_len,
					  .weight = x->weight > 0 ? x->weight : 1 };
	}
	memset(w, 0, sizeof(*w));
	w->name = (char *)"mixed";
	w->category = (char *)"mixed";
	w->method = (char *)"MIXED";
	w->path = (char *)"*";
	*reqs = r;
	return 0;
}

cJSON *shape_mix_json(const struct suite *s, const struct load_result *lr)
{
	cJSON *a = cJSON_CreateArray();
	double wsum = 0;
	uint64_t sent = 0;

	for (int i = 0; i < s->n; i++)
		wsum += s->w[i].weight > 0 ? s->w[i].weight : 1;
	for (int i = 0; i < lr->nmix; i++)
		sent += lr->mix_sent[i];
	for (int i = 0; i < s->n && i < lr->nmix; i++) {
		cJSON *o = cJSON_CreateObject();
		double wt = s->w[i].weight > 0 ? s->w[i].weight : 1;

		cJSON_AddStringToObject(o, "name", s->w[i].name);
		cJSON_AddStringToObject(o, "method", s->w[i].method);
		cJSON_AddStringToObject(o, "path", s->w[i].path);
		cJSON_AddNumberToObject(o, "weight", wt);
		cJSON_AddNumberToObject(o, "expected_share", wt / wsum);
		cJSON_AddNumberToObject(o, "sent", lr->mix_sent[i]);
		cJSON_AddNumberToObject(o, "answered", lr->mix_answered[i]);
		num_or_null(o, "sent_share", sent ? (double)lr->mix_sent[i] / sent : NAN);
		cJSON_AddItemToArray(a, o);
	}
	return a;
}

/* ---- event streams ---- */

int shape_sse_pass(const struct load_opts *lo, struct load_result *r, cJSON **streaming, volatile sig_atomic_t *stop)
{
	struct sse_opts so = { .url = lo->url, .connections = lo->connections, .duration = lo->duration,
			       .headers = lo->headers, .nheaders = lo->nheaders };
	struct sse_result sr;
	cJSON *o;
	int e;

	memset(r, 0, sizeof(*r));
	*streaming = NULL;
	if ((e = sse_run(&so, &sr, stop)))
		return e;
	r->lat = sr.first_event;
	sr.first_event = NULL;
	r->ok = sr.streams_with_event;
	r->read_err = sr.errors;
	r->bytes = sr.bytes;
	r->elapsed = r->wall = sr.elapsed;
	r->threads = r->connections = sr.connections;
	r->connections_requested = lo->connections;
	o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "kind", "sse");
	cJSON_AddNumberToObject(o, "connections", sr.connections);
	cJSON_AddNumberToObject(o, "streams", sr.streams);
	cJSON_AddNumberToObject(o, "streams_with_event", sr.streams_with_event);
	cJSON_AddNumberToObject(o, "events", sr.events);
	cJSON_AddNumberToObject(o, "events_per_sec", sr.events_per_sec);
	cJSON_AddNumberToObject(o, "events_per_sec_per_connection", sr.connections ? sr.events_per_sec / sr.connections : 0);
	/* no stream saw an event: no time to report (null), not a distribution of zeros */
	cJSON_AddItemToObject(o, "time_to_first_event_ms", r->lat->count ? lh_to_json(r->lat) : cJSON_CreateNull());
	cJSON_AddNumberToObject(o, "errors", sr.errors);
	*streaming = o;
	return 0;
}

/* A latency histogram as JSON, or null when it holds nothing (nothing measured, not zeros). */
static cJSON *lh_or_null(const struct lathist *h)
{
	return h && h->count ? lh_to_json(h) : cJSON_CreateNull();
}

int shape_ws_pass(const struct load_opts *lo, const struct workload *w, struct load_result *r, cJSON **streaming,
		  volatile sig_atomic_t *stop)
{
	struct ws_opts wo = { .url = lo->url, .connections = lo->connections, .duration = lo->duration,
			      .mode = w->ws_receive ? WS_RECEIVE : WS_ECHO, .messages = w->ws_messages,
			      .message_bytes = w->ws_message_bytes, .headers = lo->headers, .nheaders = lo->nheaders,
			      .interval_s = lo->interval_s };
	struct ws_result wr;
	cJSON *o;
	int e;

	memset(r, 0, sizeof(*r));
	*streaming = NULL;
	if ((e = ws_run(&wo, &wr, stop)))
		return e;
	o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "kind", "websocket");
	cJSON_AddStringToObject(o, "mode", w->ws_receive ? "receive" : "echo");
	cJSON_AddNumberToObject(o, "connections", wr.connections);
	cJSON_AddNumberToObject(o, "messages_per_connection", w->ws_messages);
	if (!w->ws_receive)
		cJSON_AddNumberToObject(o, "message_bytes", wo.message_bytes > 8 ? wo.message_bytes : 8);
	cJSON_AddNumberToObject(o, "upgraded", wr.upgraded);
	cJSON_AddNumberToObject(o, "connections_with_message", wr.with_message);
	cJSON_AddNumberToObject(o, "messages_sent", wr.sent);
	cJSON_AddNumberToObject(o, "messages_received", wr.received);
	cJSON_AddNumberToObject(o, "messages_per_sec", wr.messages_per_sec);
	cJSON_AddNumberToObject(o, "messages_per_sec_per_connection",
				wr.connections ? wr.messages_per_sec / wr.connections : 0);
	if (!w->ws_receive) {
		cJSON_AddNumberToObject(o, "unanswered", wr.unanswered);
		cJSON_AddNumberToObject(o, "mismatched", wr.mismatched);
	}
	cJSON_AddNumberToObject(o, "errors", wr.errors);
	cJSON_AddNumberToObject(o, "elapsed_secs", wr.elapsed);
	cJSON_AddItemToObject(o, "handshake_ms", lh_or_null(wr.handshake));
	cJSON_AddItemToObject(o, "time_to_first_message_ms", lh_or_null(wr.first_msg));
	if (!w->ws_receive)
		cJSON_AddItemToObject(o, "round_trip_ms", lh_or_null(wr.round_trip));
	/* the load engine's terms: echo, each answered message a request (its round trip its
	 * latency); receive, each connection a request (its time to the first message) */
	if (w->ws_receive) {
		r->lat = wr.first_msg;
		wr.first_msg = NULL;
		r->ok = wr.with_message;
	} else {
		r->lat = wr.round_trip;
		wr.round_trip = NULL;
		r->ok = wr.received - wr.mismatched;
	}
	r->read_err = wr.errors - wr.connect_errors;
	r->connect_err = wr.connect_errors; /* the failure reason's "connect errors" */
	r->bytes = wr.bytes;
	r->iv = wr.iv; /* echo: the answers per interval (the pass's results.intervals) */
	r->niv = wr.niv;
	r->interval_s = wr.interval_s;
	wr.iv = NULL;
	r->elapsed = r->wall = wr.elapsed;
	r->threads = r->connections = wr.connections;
	r->connections_requested = lo->connections;
	ws_result_free(&wr);
	*streaming = o;
	return 0;
}

void shape_print(FILE *f, const char *label, const cJSON *res)
{
	const cJSON *b = cJSON_GetObjectItem(res, "burst"), *s = cJSON_GetObjectItem(res, "sustained");
	const cJSON *r = cJSON_GetObjectItem(res, "ramp_up"), *st = cJSON_GetObjectItem(res, "streaming"), *x;

	if (r)
		fprintf(f, "%s: ramp-up: %.0f of %.0f requests sent over %.1f s\n", label, json_num_or(r, "sent_requests", 0),
			json_num_or(r, "expected_requests", 0), json_num_or(r, "secs", 0));
	if (b)
		fprintf(f, "%s: burst: %s\n", label, json_str_or(b, "reason", "-"));
	if (s && (x = json_get(s, "degradation")))
		fprintf(f, "%s: sustained: %s: %s\n", label, json_str_or(x, "verdict", "-"), json_str_or(x, "reason", "-"));
	if (s && (x = json_get(s, "memory.leak")))
		fprintf(f, "%s: memory (%s): %s: %s\n", label, json_str_or(x, "series", "-"), json_str_or(x, "verdict", "-"),
			json_str_or(x, "reason", "-"));
	if (st && !strcmp(json_str_or(st, "kind", ""), "websocket"))
		fprintf(f, "%s: websocket (%s): %.0f of %.0f connections upgraded, handshake p50 %.2f ms, first message "
			   "p50 %.2f ms, %.0f messages received (%.1f/s)\n",
			label, json_str_or(st, "mode", "-"), json_num_or(st, "upgraded", 0), json_num_or(st, "connections", 0),
			json_num_or(st, "handshake_ms.median_ms", NAN), json_num_or(st, "time_to_first_message_ms.median_ms", NAN),
			json_num_or(st, "messages_received", 0), json_num_or(st, "messages_per_sec", 0));
	if (st && !strcmp(json_str_or(st, "kind", ""), "websocket") && json_get(st, "round_trip_ms.median_ms"))
		fprintf(f, "%s: websocket round trip p50 %.3f ms, p99 %.3f ms over %.0f answered messages\n", label,
			json_num_or(st, "round_trip_ms.median_ms", 0), json_num_or(st, "round_trip_ms.p99_ms", 0),
			json_num_or(st, "round_trip_ms.histogram.count", 0));
	if (st && (x = json_get(st, "time_to_first_event_ms")))
		fprintf(f, "%s: stream: first event p50 %.1f ms, %.1f events/s over %.0f connections\n", label,
			json_num_or(x, "median_ms", 0), json_num_or(st, "events_per_sec", 0), json_num_or(st, "connections", 0));
}
