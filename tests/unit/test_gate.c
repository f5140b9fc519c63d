/* SPDX-License-Identifier: GPL-2.0-only */
/* The gate between two runs (stats/gate.c) on synthetic profile documents whose differences are
 * known: -30% in every repeat, all answers 5xx at the same speed, a configuration mismatch, a
 * workload on one side only, targets met and missed, one sample a side. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <math.h>
#include <cmocka.h>
#include "output/document.h"
#include "stats/gate.h"

/* a results object: 5 repeats around rps (+-2%), p50 and p99, ok of total requests */
static cJSON *results(double rps, double p50, double p99, int total, int ok5xx, int nrep)
{
	cJSON *r = cJSON_CreateObject(), *t, *l, *e, *rep, *s;
	static const double jit[] = { 1.0, 1.02, 0.98, 1.01, 0.99, 1.015, 0.985 };

	t = cJSON_AddObjectToObject(r, "throughput");
	cJSON_AddNumberToObject(t, "requests_per_sec", rps);
	cJSON_AddNumberToObject(t, "total_requests", total);
	cJSON_AddNumberToObject(t, "successful_requests", total - ok5xx);
	cJSON_AddNumberToObject(t, "success_rate", (double)(total - ok5xx) / total);
	l = cJSON_AddObjectToObject(r, "latency");
	cJSON_AddNumberToObject(l, "median_ms", p50);
	cJSON_AddNumberToObject(l, "p99_ms", p99);
	e = cJSON_AddObjectToObject(r, "errors");
	cJSON_AddNumberToObject(e, "status_5xx", ok5xx);
	cJSON_AddNumberToObject(e, "status_4xx", 0);
	cJSON_AddNumberToObject(e, "connect", 0);
	rep = cJSON_AddObjectToObject(r, "repeats");
	cJSON_AddNumberToObject(rep, "count", nrep);
	s = cJSON_AddArrayToObject(rep, "samples");
	for (int i = 0; i < nrep; i++) {
		cJSON *x = cJSON_CreateObject();

		cJSON_AddNumberToObject(x, "requests_per_sec", rps * jit[i]);
		cJSON_AddNumberToObject(x, "p50_ms", p50 / jit[i]);
		cJSON_AddNumberToObject(x, "p99_ms", p99 / jit[i]);
		cJSON_AddItemToArray(s, x);
	}
	return r;
}

static cJSON *doc(const char **names, cJSON **res, int n, double rate)
{
	cJSON *d = cJSON_CreateObject(), *m, *h, *c, *ss, *s, *ws;

	cJSON_AddStringToObject(d, "mode", "profile");
	m = cJSON_AddObjectToObject(d, "metadata");
	h = cJSON_AddObjectToObject(m, "host");
	cJSON_AddStringToObject(h, "hostname", "h");
	cJSON_AddStringToObject(h, "kernel", "6.18");
	cJSON_AddStringToObject(h, "cpu_model", "cpu");
	cJSON_AddNumberToObject(h, "cpu_cores", 2);
	cJSON_AddNumberToObject(h, "memory_gb", 8);
	c = cJSON_AddObjectToObject(d, "configuration");
	cJSON_AddNumberToObject(c, "concurrency", 50);
	cJSON_AddNumberToObject(c, "duration_secs", 2);
	if (rate > 0)
		cJSON_AddNumberToObject(c, "rate", rate);
	else
		cJSON_AddNullToObject(c, "rate");
	cJSON_AddArrayToObject(c, "probes");
	ss = cJSON_AddArrayToObject(d, "suites");
	s = cJSON_CreateObject();
	cJSON_AddStringToObject(s, "name", "s");
	ws = cJSON_AddArrayToObject(s, "workloads");
	for (int i = 0; i < n; i++) {
		cJSON *w = cJSON_CreateObject();

		cJSON_AddStringToObject(w, "name", names[i]);
		cJSON_AddItemToObject(w, "results", res[i]);
		cJSON_AddItemToArray(ws, w);
	}
	cJSON_AddItemToArray(ss, s);
	return d;
}

static const char *verdict_of(const cJSON *v, const char *wl, const char *metric)
{
	const cJSON *w, *r;

	cJSON_ArrayForEach(w, cJSON_GetObjectItem(v, "workloads"))
	cJSON_ArrayForEach(r, cJSON_GetObjectItem(w, "metrics"))
		if (!strcmp(cJSON_GetObjectItem(w, "workload")->valuestring, wl) &&
		    !strcmp(cJSON_GetObjectItem(r, "metric")->valuestring, metric))
			return cJSON_GetObjectItem(r, "verdict")->valuestring;
	return "absent";
}

static void test_regressions_fail(void **state)
{
	const char *names[] = { "a", "b", "c" };
	cJSON *br[] = { results(1000, 1, 5, 5000, 0, 5), results(1000, 1, 5, 5000, 0, 5), results(1000, 1, 5, 5000, 0, 5) };
	/* a: -30% in every repeat; b: every answer 500 at the same speed; c: the same */
	cJSON *nr[] = { results(700, 1.43, 7.1, 3500, 0, 5), results(1000, 1, 5, 5000, 5000, 5), results(1000, 1, 5, 5000, 0, 5) };
	cJSON *base = doc(names, br, 3, 0), *new_ = doc(names, nr, 3, 0), *v;
	struct gate_opts o;
	char err[512];

	gate_opts_init(&o);
	assert_int_equal(gate_inputs_ok(base, new_, &o, err, sizeof(err)), 0);
	v = gate_run(base, new_, &o, "base.json", "new.json");
	assert_string_equal(verdict_of(v, "s/a", "requests_per_sec"), "regressed-critical");
	assert_string_equal(verdict_of(v, "s/a", "p99_ms"), "regressed-critical");
	assert_string_equal(verdict_of(v, "s/b", "error_rate"), "regressed-critical");
	assert_string_equal(verdict_of(v, "s/b", "requests_per_sec"), "unchanged");
	assert_string_equal(verdict_of(v, "s/c", "requests_per_sec"), "unchanged");
	assert_string_equal(verdict_of(v, "s/c", "error_rate"), "unchanged");
	assert_int_equal(gate_exit_status(v), 1);
	assert_int_equal((int)cJSON_GetObjectItem(cJSON_GetObjectItem(v, "summary"), "failed_workloads")->valuedouble, 1);
	cJSON_Delete(v);
	/* the same file against itself passes */
	v = gate_run(base, base, &o, "base.json", "base.json");
	assert_int_equal(gate_exit_status(v), 0);
	cJSON_Delete(v);
	cJSON_Delete(base);
	cJSON_Delete(new_);
}

static void test_inputs_refused(void **state)
{
	const char *names[] = { "a" };
	cJSON *br[] = { results(1000, 1, 5, 5000, 0, 5) }, *nr[] = { results(430, 1, 5, 5000, 0, 5) };
	cJSON *base = doc(names, br, 1, 0), *new_ = doc(names, nr, 1, 2000);
	struct gate_opts o;
	char err[512];

	gate_opts_init(&o);
	assert_int_equal(gate_inputs_ok(base, new_, &o, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "a closed loop against a fixed --rate"));
	cJSON_ReplaceItemInObject(cJSON_GetObjectItem(new_, "configuration"), "rate", cJSON_CreateNull());
	cJSON_ReplaceItemInObject(cJSON_GetObjectItem(new_, "configuration"), "concurrency", cJSON_CreateNumber(10));
	assert_int_equal(gate_inputs_ok(base, new_, &o, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "concurrency 50 against 10"));
	o.force = true;
	assert_int_equal(gate_inputs_ok(base, new_, &o, err, sizeof(err)), 0);
	o.force = false;
	cJSON_ReplaceItemInObject(cJSON_GetObjectItem(new_, "configuration"), "concurrency", cJSON_CreateNumber(50));
	/* a --burst shape (no --rate) is no closed loop; a --sweep file's results are its last point's */
	cJSON_AddItemToObject(cJSON_GetObjectItem(new_, "configuration"), "burst",
			      cJSON_Parse("{\"base_rps\":20,\"peak_rps\":200,\"secs\":2}"));
	assert_int_equal(gate_inputs_ok(base, new_, &o, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "a closed loop against a --burst shape"));
	cJSON_DeleteItemFromObject(cJSON_GetObjectItem(new_, "configuration"), "burst");
	cJSON_AddItemToObject(cJSON_GetObjectItem(new_, "configuration"), "sweep",
			      cJSON_Parse("{\"variable\":\"rate\",\"values\":[50,100]}"));
	assert_int_equal(gate_inputs_ok(base, new_, &o, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "--sweep none against"));
	cJSON_DeleteItemFromObject(cJSON_GetObjectItem(new_, "configuration"), "sweep");
	{
		cJSON *hl = cJSON_AddObjectToObject(nr[0], "host_load");

		cJSON_AddBoolToObject(hl, "high", true);
		cJSON_AddStringToObject(hl, "reason", "other processes used 80.0% of the host's CPU");
	}
	assert_int_equal(gate_inputs_ok(base, new_, &o, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "high host load (other processes used 80.0%"));
	cJSON_ReplaceItemInObject(cJSON_GetObjectItem(cJSON_GetObjectItem(new_, "metadata"), "host"), "kernel",
				  cJSON_CreateString("6.1"));
	assert_int_equal(gate_inputs_ok(base, new_, &o, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "different hosts (kernel"));
	cJSON_Delete(base);
	cJSON_Delete(new_);
}

static void test_missing_new_targets(void **state)
{
	const char *bn[] = { "a", "gone" }, *nn[] = { "a", "added" };
	cJSON *br[] = { results(1000, 1, 5, 5000, 0, 5), results(1000, 1, 5, 5000, 0, 5) };
	cJSON *nr[] = { results(1000, 1, 5, 5000, 0, 5), results(1000, 1, 5, 5000, 0, 5) };
	cJSON *base = doc(bn, br, 2, 0), *new_ = doc(nn, nr, 2, 0), *v;
	struct gate_opts o;
	char err[512];

	gate_opts_init(&o);
	v = gate_run(base, new_, &o, "b", "n");
	assert_string_equal(verdict_of(v, "s/gone", "-"), "missing");
	assert_string_equal(verdict_of(v, "s/added", "-"), "new");
	assert_int_equal(gate_exit_status(v), 0);
	cJSON_Delete(v);
	o.fail_missing = true;
	assert_int_equal(ptarget_parse("a:requests_per_sec>=900", &o.targets[0], err, sizeof(err)), 0);
	assert_int_equal(ptarget_parse("p99_ms<=4", &o.targets[1], err, sizeof(err)), 0);
	o.ntargets = 2;
	v = gate_run(base, new_, &o, "b", "n");
	assert_int_equal(gate_exit_status(v), 1);
	{
		const cJSON *t = cJSON_GetObjectItem(v, "targets");

		/* one for a, then p99 on both workloads of the new run */
		assert_int_equal(cJSON_GetArraySize(t), 3);
		assert_true(cJSON_IsTrue(cJSON_GetObjectItem(cJSON_GetArrayItem(t, 0), "pass")));
		assert_string_equal(cJSON_GetObjectItem(cJSON_GetArrayItem(t, 1), "level")->valuestring, "missed-critical");
	}
	cJSON_Delete(v);
	/* targets alone: a missed one fails the gate */
	o.fail_missing = false;
	v = gate_run(base, new_, &o, "b", "n");
	assert_int_equal(gate_exit_status(v), 1);
	cJSON_Delete(v);
	o.ntargets = 1;
	v = gate_run(base, new_, &o, "b", "n");
	assert_int_equal(gate_exit_status(v), 0);
	cJSON_Delete(v);
	cJSON_Delete(base);
	cJSON_Delete(new_);
}

static void test_one_sample_not_gated(void **state)
{
	const char *names[] = { "a" };
	cJSON *br[] = { results(1000, 1, 5, 5000, 0, 1) }, *nr[] = { results(700, 1.5, 7, 3500, 0, 1) };
	cJSON *base = doc(names, br, 1, 0), *new_ = doc(names, nr, 1, 0), *v;
	struct gate_opts o;
	char err[256];

	gate_opts_init(&o);
	v = gate_run(base, new_, &o, "b", "n");
	assert_string_equal(verdict_of(v, "s/a", "requests_per_sec"), "not-gated");
	assert_int_equal(gate_exit_status(v), 0);
	cJSON_Delete(v);
	assert_int_equal(gate_parse_explicit(&o, "requests_per_sec", err, sizeof(err)), 0);
	v = gate_run(base, new_, &o, "b", "n");
	assert_string_equal(verdict_of(v, "s/a", "requests_per_sec"), "regressed-critical");
	assert_int_equal(gate_exit_status(v), 1);
	cJSON_Delete(v);
	assert_int_equal(gate_parse_threshold(&o, "p99_ms=5:15", err, sizeof(err)), 0);
	assert_int_equal(gate_parse_threshold(&o, "bogus=5:15", err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "unknown metric 'bogus'"));
	assert_int_equal(gate_parse_threshold(&o, "p99_ms=15:5", err, sizeof(err)), -EINVAL);
	cJSON_Delete(base);
	cJSON_Delete(new_);
}

static void test_not_steady_passes_left_out(void **state)
{
	/* five passes a side, two of the new run's marked not steady (a trend within the pass):
	 * those two, 40% slower, are left out and the other three are unchanged */
	const char *names[] = { "a" };
	cJSON *br[] = { results(1000, 1, 5, 5000, 0, 5) }, *nr[] = { results(1000, 1, 5, 5000, 0, 5) };
	cJSON *base = doc(names, br, 1, 0), *new_ = doc(names, nr, 1, 0), *v, *x;
	struct gate_opts o;
	int i = 0;

	cJSON_ArrayForEach(x, cJSON_GetObjectItem(cJSON_GetObjectItem(nr[0], "repeats"), "samples")) {
		if (i++ < 2) {
			cJSON_ReplaceItemInObject(x, "requests_per_sec", cJSON_CreateNumber(600));
			cJSON_AddBoolToObject(x, "steady", false);
		} else {
			cJSON_AddBoolToObject(x, "steady", true);
		}
	}
	gate_opts_init(&o);
	v = gate_run(base, new_, &o, "b", "n");
	assert_string_equal(verdict_of(v, "s/a", "requests_per_sec"), "unchanged");
	{
		const cJSON *w = cJSON_GetArrayItem(cJSON_GetObjectItem(v, "workloads"), 0), *m;

		assert_int_equal(cJSON_GetObjectItem(cJSON_GetObjectItem(cJSON_GetObjectItem(w, "steady"), "new"), "steady")->valueint, 3);
		assert_int_equal(cJSON_GetObjectItem(cJSON_GetObjectItem(cJSON_GetObjectItem(w, "steady"), "new"), "passes")->valueint, 5);
		assert_true(cJSON_IsNull(cJSON_GetObjectItem(cJSON_GetObjectItem(w, "steady"), "base")));
		m = cJSON_GetArrayItem(cJSON_GetObjectItem(w, "metrics"), 0);
		assert_int_equal(cJSON_GetObjectItem(m, "not_steady_passes_left_out")->valueint, 2);
		assert_int_equal(cJSON_GetObjectItem(cJSON_GetObjectItem(m, "new"), "n")->valueint, 3);
	}
	cJSON_Delete(v);
	cJSON_Delete(base);
	cJSON_Delete(new_);
}

static const char *reason_of(const cJSON *v, const char *wl, const char *metric)
{
	const cJSON *w, *r;

	cJSON_ArrayForEach(w, cJSON_GetObjectItem(v, "workloads"))
	cJSON_ArrayForEach(r, cJSON_GetObjectItem(w, "metrics"))
		if (!strcmp(cJSON_GetObjectItem(w, "workload")->valuestring, wl) &&
		    !strcmp(cJSON_GetObjectItem(r, "metric")->valuestring, metric))
			return cJSON_GetObjectItem(r, "reason")->valuestring;
	return "absent";
}

/* the first nhigh of res's samples marked as run under high host load, the rest not */
static void mark_high(cJSON *res, int nhigh)
{
	cJSON *x;
	int i = 0;

	cJSON_ArrayForEach(x, cJSON_GetObjectItem(cJSON_GetObjectItem(res, "repeats"), "samples")) {
		cJSON_DeleteItemFromObject(x, "host_load_high");
		cJSON_AddBoolToObject(x, "host_load_high", i++ < nhigh);
	}
}

static void test_host_load_majority_of_passes(void **state)
{
	/* a run is high-load when more than half of a workload's passes (profile's repeats,
	 * compare's rounds) ran above the limits, whatever the reported pass's own flag */
	const char *names[] = { "a" };
	cJSON *br[] = { results(1000, 1, 5, 5000, 0, 5) }, *nr[] = { results(1000, 1, 5, 5000, 0, 5) };
	cJSON *base = doc(names, br, 1, 0), *new_ = doc(names, nr, 1, 0), *hl;
	struct gate_opts o;
	char err[512];

	gate_opts_init(&o);
	hl = cJSON_AddObjectToObject(nr[0], "host_load");
	cJSON_AddBoolToObject(hl, "high", true);
	cJSON_AddStringToObject(hl, "reason", "other processes used 80.0% of the host's CPU");
	mark_high(nr[0], 2);
	assert_int_equal(gate_inputs_ok(base, new_, &o, err, sizeof(err)), 0);
	mark_high(nr[0], 3);
	assert_int_equal(gate_inputs_ok(base, new_, &o, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "s/a: 3 of 5 passes above the limits; other processes used 80.0%"));
	o.force = true;
	assert_int_equal(gate_inputs_ok(base, new_, &o, err, sizeof(err)), 0);
	cJSON_Delete(base);
	cJSON_Delete(new_);
}

/* a round's results: a clean pass of rps and a profiled pass of 1000 requests with gil_ms of GIL wait */
static cJSON *profiled_round(double rps, double gil_ms)
{
	cJSON *r = results(rps, 1, 5, 5000, 0, 1), *pt, *g, *hl;

	pt = cJSON_AddObjectToObject(r, "profiled_throughput");
	cJSON_AddNumberToObject(pt, "total_requests", 1000);
	g = cJSON_AddObjectToObject(cJSON_AddObjectToObject(r, "profiling"), "gil");
	cJSON_AddNumberToObject(g, "wait_ms_total", gil_ms);
	hl = cJSON_AddObjectToObject(r, "host_load");
	cJSON_AddBoolToObject(hl, "high", false);
	return r;
}

/* five rounds' samples (gate_sample_extras on each round) into res's repeats */
static void rounds_into(cJSON *res, const double *gil_ms, int n)
{
	cJSON *smp = cJSON_GetObjectItem(cJSON_GetObjectItem(res, "repeats"), "samples"), *x;
	int i = 0;

	cJSON_ArrayForEach(x, smp) {
		cJSON *round = profiled_round(1000, gil_ms[i++ % n]);

		gate_sample_extras(x, round);
		cJSON_Delete(round);
	}
}

static void test_profiling_metrics_gated_with_rounds(void **state)
{
	/* GIL wait per request: 100 us (+-3%) in five base rounds, 150 us in five new ones: each
	 * round's profiled pass is a sample (compare --profile-all), so the metric is gated */
	static const double gb[] = { 100, 103, 97, 101, 99 }, gn[] = { 150, 154, 146, 151, 149 };
	const char *names[] = { "a" };
	cJSON *br[] = { results(1000, 1, 5, 5000, 0, 5) }, *nr[] = { results(1000, 1, 5, 5000, 0, 5) };
	cJSON *base = doc(names, br, 1, 0), *new_ = doc(names, nr, 1, 0), *v, *x;
	struct gate_opts o;

	rounds_into(br[0], gb, 5);
	rounds_into(nr[0], gn, 5);
	x = cJSON_GetArrayItem(cJSON_GetObjectItem(cJSON_GetObjectItem(nr[0], "repeats"), "samples"), 1);
	/* 154 ms over 1000 requests: 154 us a request; the round's host load flag is kept */
	assert_true(fabs(cJSON_GetObjectItem(x, "gil_wait_us_per_request")->valuedouble - 154) < 1e-9);
	assert_true(cJSON_IsFalse(cJSON_GetObjectItem(x, "host_load_high")));
	gate_opts_init(&o);
	v = gate_run(base, new_, &o, "b", "n");
	assert_string_equal(verdict_of(v, "s/a", "gil_wait_us_per_request"), "regressed-critical");
	assert_string_equal(verdict_of(v, "s/a", "requests_per_sec"), "unchanged");
	assert_int_equal(gate_exit_status(v), 1);
	cJSON_Delete(v);
	cJSON_Delete(base);
	cJSON_Delete(new_);
}

static void test_one_profiled_pass_not_gated(void **state)
{
	/* profile's one profiled pass a workload: GIL wait per request +50% is reported, not gated,
	 * and the reason says why */
	const char *names[] = { "a" };
	cJSON *br[] = { profiled_round(1000, 100) }, *nr[] = { profiled_round(1000, 150) };
	cJSON *base = doc(names, br, 1, 0), *new_ = doc(names, nr, 1, 0), *v;
	struct gate_opts o;

	gate_opts_init(&o);
	v = gate_run(base, new_, &o, "b", "n");
	assert_string_equal(verdict_of(v, "s/a", "gil_wait_us_per_request"), "not-gated");
	assert_non_null(strstr(reason_of(v, "s/a", "gil_wait_us_per_request"),
			       "not-gated: one sample: profiled passes give no between-run noise model"));
	assert_int_equal(gate_exit_status(v), 0);
	cJSON_Delete(v);
	cJSON_Delete(base);
	cJSON_Delete(new_);
}

/* 9 samples of rps around r, spread +-15% (this VM's busy-hour spread), into res's repeats */
static void spread_samples(cJSON *res, double r, bool interleaved)
{
	static const double f[] = { 1.0, 1.15, 0.87, 1.08, 0.93, 1.2, 0.85, 1.04, 0.96 };
	cJSON *rep = cJSON_GetObjectItem(res, "repeats"), *a = cJSON_CreateArray();

	for (int i = 0; i < 9; i++) {
		cJSON *x = cJSON_CreateObject();

		cJSON_AddNumberToObject(x, "requests_per_sec", r * f[i]);
		cJSON_AddItemToArray(a, x);
	}
	cJSON_ReplaceItemInObject(rep, "samples", a);
	if (interleaved)
		cJSON_AddBoolToObject(rep, "interleaved", true);
}

static void test_noise_rule_auto(void **state)
{
	/* -20% throughput, passes +-15% apart, 9 a side: beyond the 17.5% band by its median (the CI,
	 * [0.720, 0.889], excludes 1), not by its CI's end. Interleaved rounds: the estimate rule, regressed; runs made one after the
	 * other: the interval rule (drift is in no repeat), unchanged. */
	const char *names[] = { "a" };
	struct gate_opts o;

	gate_opts_init(&o);
	for (int il = 0; il < 2; il++) {
		cJSON *br[] = { results(1000, 1, 5, 5000, 0, 1) }, *nr[] = { results(800, 1, 5, 5000, 0, 1) };
		cJSON *base = doc(names, br, 1, 0), *new_ = doc(names, nr, 1, 0), *v;

		spread_samples(br[0], 1000, il);
		spread_samples(nr[0], 800, il);
		v = gate_run(base, new_, &o, "b", "n");
		assert_string_equal(cJSON_GetObjectItem(cJSON_GetObjectItem(v, "configuration"), "noise_rule")->valuestring,
				    il ? "estimate" : "interval");
		assert_string_equal(verdict_of(v, "s/a", "requests_per_sec"), il ? "regressed" : "unchanged");
		cJSON_Delete(v);
		cJSON_Delete(base);
		cJSON_Delete(new_);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_regressions_fail),
		cmocka_unit_test(test_inputs_refused),
		cmocka_unit_test(test_missing_new_targets),
		cmocka_unit_test(test_one_sample_not_gated),
		cmocka_unit_test(test_not_steady_passes_left_out),
		cmocka_unit_test(test_host_load_majority_of_passes),
		cmocka_unit_test(test_profiling_metrics_gated_with_rounds),
		cmocka_unit_test(test_one_profiled_pass_not_gated),
		cmocka_unit_test(test_noise_rule_auto),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
