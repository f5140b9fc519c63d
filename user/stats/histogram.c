/* SPDX-License-Identifier: GPL-2.0-only */
#include <math.h>
#include "stats/histogram.h"

uint32_t loglin_slot(uint64_t v, unsigned sub_bits, unsigned max_exp)
{
	uint32_t sub = 1u << sub_bits, nslots = LOGLIN_SLOTS(sub_bits, max_exp), e, slot;

	if (v < 2 * sub)
		return (uint32_t)v;
	e = 63 - __builtin_clzll(v);
	if (e > max_exp)
		return nslots - 1;
	slot = (e - sub_bits) * sub + (uint32_t)(v >> (e - sub_bits));
	return slot < nslots ? slot : nslots - 1;
}

void loglin_slot_bounds(uint32_t slot, unsigned sub_bits, uint64_t *low, uint64_t *width)
{
	uint32_t sub = 1u << sub_bits, e;

	if (slot < 2 * sub) {
		*low = slot;
		*width = 1;
		return;
	}
	e = slot / sub + sub_bits - 1;
	*width = 1ull << (e - sub_bits);
	*low = (uint64_t)(slot % sub + sub) << (e - sub_bits);
}

uint64_t loglin_total(const unsigned long long *slots, uint32_t nslots)
{
	uint64_t t = 0;

	for (uint32_t i = 0; i < nslots; i++)
		t += slots[i];
	return t;
}

double loglin_quantile(const unsigned long long *slots, uint32_t nslots, unsigned sub_bits, double q, uint64_t lo,
		       uint64_t hi)
{
	uint64_t total = loglin_total(slots, nslots), rank, seen = 0, low, width;
	double v;

	if (!total)
		return 0;
	if (!(q >= 0)) /* also NaN */
		q = 0;
	if (q > 1)
		q = 1;
	rank = (uint64_t)ceil(q * total);
	if (rank < 1)
		rank = 1;
	/* the first and the last value are known exactly when the caller kept them */
	if (rank == total && hi)
		return hi;
	if (rank == 1 && lo)
		return lo;
	for (uint32_t i = 0; i < nslots; i++) {
		seen += slots[i];
		if (seen < rank)
			continue;
		loglin_slot_bounds(i, sub_bits, &low, &width);
		v = width == 1 ? (double)low : low + width / 2.0;
		if (v < lo)
			v = lo;
		if (hi && v > hi)
			v = hi;
		return v;
	}
	return hi; /* not reached: seen ends at total >= rank */
}
