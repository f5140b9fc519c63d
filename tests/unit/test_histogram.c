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

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_slot_contains_value),
		cmocka_unit_test(test_slots_monotonic_and_contiguous),
		cmocka_unit_test(test_huge_values_clamp),
		cmocka_unit_test(test_quantiles_vs_exact),
		cmocka_unit_test(test_quantile_edges),
	};

	return cmocka_run_group_tests_name("histogram", tests, NULL, NULL);
}
