/* SPDX-License-Identifier: GPL-2.0-only */
/* The log-linear histogram: slot bounds, and percentiles against exact answers from raw data. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <math.h>
#include <cmocka.h>
#include "stats/histogram.h"
#include "stats/lathist.h"

static void test_slot_contains_value(void **state)
{
	/* Every value lands in a slot whose bounds hold it, and no slot is wider than 1/32 of its
	 * lower bound: the midpoint is within 1/64 (1.6%) of anything in it. */
	uint64_t v = 0;

	while (v < (1ull << 40)) {
		uint32_t s = hist_slot(v);
		uint64_t low, width;

		assert_true(s < HIST_SLOTS);
		hist_slot_bounds(s, &low, &width);
		assert_true(v >= low && v < low + width);
		if (v >= 64)
			assert_true(width * 32 <= low);
		v = v < 200 ? v + 1 : v + v / 7 + 1;
	}
}

static void test_slots_monotonic_and_contiguous(void **state)
{
	uint64_t prev_end = 0;

	for (uint32_t s = 0; s < HIST_SLOTS; s++) {
		uint64_t low, width;

		hist_slot_bounds(s, &low, &width);
		assert_int_equal(low, prev_end); /* no gaps, no overlaps */
		assert_int_equal(hist_slot(low), s);
		assert_int_equal(hist_slot(low + width - 1), s);
		prev_end = low + width;
	}
}

static void test_huge_values_clamp(void **state)
{
	assert_int_equal(hist_slot(1ull << 45), HIST_SLOTS - 1);
	assert_int_equal(hist_slot(UINT64_MAX), HIST_SLOTS - 1);
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return (x > y) - (x < y);
}

static void check_quantiles(uint64_t *raw, int n)
{
	static const double qs[] = { 0.5, 0.9, 0.99, 0.999, 1.0 };
	__u64 *slots = calloc(HIST_SLOTS, sizeof(*slots));
	uint64_t max = 0;

	for (int i = 0; i < n; i++) {
		slots[hist_slot(raw[i])]++;
		if (raw[i] > max)
			max = raw[i];
	}
	qsort(raw, n, sizeof(*raw), cmp_u64);
	for (size_t i = 0; i < sizeof(qs) / sizeof(qs[0]); i++) {
		/* exact nearest-rank answer from the raw data */
		long rank = (long)(qs[i] * n + 0.999999999);
		double exact = raw[(rank < 1 ? 1 : rank) - 1];
		double got = hist_quantile(slots, HIST_SLOTS, qs[i], max);

		assert_true(got >= exact * (1 - 1.0 / 64) - 0.5);
		assert_true(got <= exact * (1 + 1.0 / 64) + 0.5);
	}
	free(slots);
}

static void test_quantiles_vs_exact(void **state)
{
	int n = 100000;
	uint64_t *raw = malloc(n * sizeof(*raw));

	srand(42);
	/* log-uniform from 100 ns to 100 ms */
	for (int i = 0; i < n; i++)
		raw[i] = (uint64_t)(100.0 * pow(1e6, rand() / (double)RAND_MAX));
	check_quantiles(raw, n);
	/* a 2 ms sleep with jitter: p50 within 5% is the product requirement */
	for (int i = 0; i < n; i++)
		raw[i] = 2000000 + rand() % 150000;
	check_quantiles(raw, n);
	/* small exact values */
	for (int i = 0; i < n; i++)
		raw[i] = rand() % 64;
	check_quantiles(raw, n);
	free(raw);
}

static void test_quantile_edges(void **state)
{
	__u64 slots[HIST_SLOTS] = {};

	assert_true(hist_quantile(slots, HIST_SLOTS, 0.5, 0) == 0); /* empty */
	slots[hist_slot(2000000)] = 1;
	/* a single value: every quantile is its slot's midpoint, clamped to the max seen */
	assert_true(hist_quantile(slots, HIST_SLOTS, 0.99, 2000000) == 2000000);
	assert_int_equal(hist_total(slots, HIST_SLOTS), 1);
}

static void test_bpf_slot_is_the_user_slot(void **state)
{
	/* the BPF programs count with bpf/hist.h's loop-free hist_slot; the readers decode with the
	 * one user-side implementation: they must agree on every value */
	for (uint64_t v = 0; v < (1ull << 42); v = v < 300 ? v + 1 : v + v / 13 + 1) {
		assert_int_equal(hist_slot(v), loglin_slot(v, HIST_SUB_BITS, HIST_MAX_EXP));
		assert_int_equal(hist_slot(v - 1 + (v == 0)), loglin_slot(v - 1 + (v == 0), HIST_SUB_BITS, HIST_MAX_EXP));
	}
	for (int e = 0; e < 64; e++) {
		uint64_t p = 1ull << e;

		assert_int_equal(hist_slot(p), loglin_slot(p, HIST_SUB_BITS, HIST_MAX_EXP));
		assert_int_equal(hist_slot(p - 1), loglin_slot(p - 1, HIST_SUB_BITS, HIST_MAX_EXP));
	}
	assert_int_equal(HIST_SLOTS, LOGLIN_SLOTS(HIST_SUB_BITS, HIST_MAX_EXP));
}

static void test_any_sub_bits_contiguous(void **state)
{
	/* the geometry holds for any number of sub-bucket bits: no gap, no overlap, every slot at
	 * most 1/2^bits of its lower bound wide */
	static const unsigned bits[] = { 1, 3, 5, 7, 10 };

	for (size_t b = 0; b < sizeof(bits) / sizeof(bits[0]); b++) {
		unsigned sb = bits[b], max_exp = sb + 20;
		uint32_t n = LOGLIN_SLOTS(sb, max_exp);
		uint64_t prev_end = 0;

		for (uint32_t s = 0; s < n; s++) {
			uint64_t low, width;

			loglin_slot_bounds(s, sb, &low, &width);
			assert_int_equal(low, prev_end);
			assert_int_equal(loglin_slot(low, sb, max_exp), s);
			assert_int_equal(loglin_slot(low + width - 1, sb, max_exp), s);
			if (low >= (2ull << sb))
				assert_true(width << sb <= low);
			prev_end = low + width;
		}
		assert_int_equal(loglin_slot(UINT64_MAX, sb, max_exp), n - 1);
	}
}

/* Percentiles of the merged implementation against the exact nearest-rank answers, for both
 * geometries: within half the width of the slot that holds the exact answer. */
static void check_exact_within_width(unsigned sb, unsigned max_exp, uint64_t *raw, int n)
{
	static const double qs[] = { 0.0, 0.25, 0.5, 0.9, 0.99, 0.999, 1.0 };
	uint32_t nslots = LOGLIN_SLOTS(sb, max_exp);
	unsigned long long *slots = calloc(nslots, sizeof(*slots));
	uint64_t lo = UINT64_MAX, hi = 0;

	for (int i = 0; i < n; i++) {
		slots[loglin_slot(raw[i], sb, max_exp)]++;
		lo = raw[i] < lo ? raw[i] : lo;
		hi = raw[i] > hi ? raw[i] : hi;
	}
	qsort(raw, n, sizeof(*raw), cmp_u64);
	assert_int_equal(loglin_total(slots, nslots), n);
	for (size_t i = 0; i < sizeof(qs) / sizeof(qs[0]); i++) {
		long rank = (long)ceil(qs[i] * n);
		uint64_t exact = raw[(rank < 1 ? 1 : rank) - 1], low, width;
		double got = loglin_quantile(slots, nslots, sb, qs[i], lo, hi);

		loglin_slot_bounds(loglin_slot(exact, sb, max_exp), sb, &low, &width);
		assert_true(fabs(got - (double)exact) <= width / 2.0);
	}
	/* with the exact min and max given, p0 and p100 are exact */
	assert_true(loglin_quantile(slots, nslots, sb, 0, lo, hi) == lo);
	assert_true(loglin_quantile(slots, nslots, sb, 1, lo, hi) == hi);
	free(slots);
}

static void test_quantiles_exact_within_width(void **state)
{
	int n = 50000;
	uint64_t *raw = malloc(n * sizeof(*raw));

	srand(3);
	for (int i = 0; i < n; i++)
		raw[i] = (uint64_t)(50.0 * pow(1e7, rand() / (double)RAND_MAX));
	check_exact_within_width(HIST_SUB_BITS, HIST_MAX_EXP, raw, n);
	for (int i = 0; i < n; i++)
		raw[i] = (uint64_t)(50.0 * pow(1e7, rand() / (double)RAND_MAX));
	check_exact_within_width(LH_SUB_BITS, LH_MAX_EXP, raw, n);
	for (int i = 0; i < n; i++)
		raw[i] = 1000000 + rand() % 3000; /* narrow: many values per slot */
	check_exact_within_width(LH_SUB_BITS, LH_MAX_EXP, raw, n);
	free(raw);
}

static void test_lathist_is_the_one_histogram(void **state)
{
	/* the load generator's histogram answers what the generic one answers on its slots */
	struct lathist *h = malloc(sizeof(*h));
	uint64_t v = 1234567;

	lh_init(h);
	for (int i = 0; i < 1000; i++)
		lh_record(h, v + i * 997);
	assert_int_equal(lh_slot(v), loglin_slot(v, LH_SUB_BITS, LH_MAX_EXP));
	for (double q = 0; q <= 1.0; q += 0.125)
		assert_true(lh_quantile(h, q) == loglin_quantile(h->slots, LH_SLOTS, LH_SUB_BITS, q, h->min_ns, h->max_ns));
	assert_true(lh_quantile(h, 1) == h->max_ns);
	free(h);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_slot_contains_value),
		cmocka_unit_test(test_slots_monotonic_and_contiguous),
		cmocka_unit_test(test_huge_values_clamp),
		cmocka_unit_test(test_quantiles_vs_exact),
		cmocka_unit_test(test_quantile_edges),
		cmocka_unit_test(test_bpf_slot_is_the_user_slot),
		cmocka_unit_test(test_any_sub_bits_contiguous),
		cmocka_unit_test(test_quantiles_exact_within_width),
		cmocka_unit_test(test_lathist_is_the_one_histogram),
	};

	return cmocka_run_group_tests_name("histogram", tests, NULL, NULL);
}
