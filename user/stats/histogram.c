/* SPDX-License-Identifier: GPL-2.0-only */
#include <math.h>
#include "stats/histogram.h"

void hist_slot_bounds(uint32_t slot, uint64_t *low, uint64_t *width)
{
	uint32_t e;

	if (slot < 2 * HIST_SUB) {
		*low = slot;
		*width = 1;
		return;
	}
	e = slot / HIST_SUB + HIST_SUB_BITS - 1;
	*width = 1ull << (e - HIST_SUB_BITS);
	*low = (uint64_t)(slot % HIST_SUB + HIST_SUB) << (e - HIST_SUB_BITS);
}

uint64_t hist_total(const __u64 *slots, uint32_t nslots)
{
	uint64_t t = 0;

	for (uint32_t i = 0; i < nslots; i++)
		t += slots[i];
	return t;
}

double hist_quantile(const __u64 *slots, uint32_t nslots, double q, uint64_t max_ns)
{
	uint64_t total = hist_total(slots, nslots), rank, seen = 0, low, width;
	double v;

	if (!total)
		return 0;
	if (q < 0)
		q = 0;
	if (q > 1)
		q = 1;
	rank = (uint64_t)ceil(q * total);
	if (rank < 1)
		rank = 1;
	for (uint32_t i = 0; i < nslots; i++) {
		seen += slots[i];
		if (seen < rank)
			continue;
		hist_slot_bounds(i, &low, &width);
		v = width == 1 ? (double)low : low + width / 2.0;
		if (max_ns && v > max_ns)
			v = max_ns;
		return v;
	}
	return max_ns; /* not reached */
}
