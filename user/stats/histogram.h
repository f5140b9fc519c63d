/* SPDX-License-Identifier: GPL-2.0-only */
/* The one log-linear histogram of the user side: slot geometry and nearest-rank percentiles for
 * any number of sub-bucket bits. Two users:
 * - the BPF maps' histograms (bpf/hist.h: 5 sub-bucket bits, slots counted in BPF by hist_slot,
 *   read here through hist_quantile and friends below);
 * - the load generator's (stats/lathist.h: 10 sub-bucket bits, counted in user space).
 *
 * Geometry, for B sub-bucket bits (S = 2^B): a value v < 2S has slot v (width 1). Above, every
 * power of two [2^e, 2^(e+1)) is cut into S equal sub-buckets of width 2^(e-B), so a slot is at
 * most 1/S of its lower bound wide and its midpoint is within 1/(2S) of any value in it. Values
 * of 2^(max_exp+1) and more land in the last slot. */
#ifndef BINDPROF_HISTOGRAM_H
#define BINDPROF_HISTOGRAM_H

#include <stdint.h>
#include <linux/types.h>
#include "bpf/hist.h"

/* Slots of a histogram with sub_bits sub-bucket bits whose top power of two is 2^max_exp. */
#define LOGLIN_SLOTS(sub_bits, max_exp) (((max_exp) - (sub_bits)) * (1u << (sub_bits)) + 2 * (1u << (sub_bits)))

/* The slot of v (any unit; bindprof counts nanoseconds). Same answer as bpf/hist.h's hist_slot
 * for sub_bits = HIST_SUB_BITS, max_exp = HIST_MAX_EXP (unit-tested). */
uint32_t loglin_slot(uint64_t v, unsigned sub_bits, unsigned max_exp);
/* Lower bound and width of a slot. */
void loglin_slot_bounds(uint32_t slot, unsigned sub_bits, uint64_t *low, uint64_t *width);
uint64_t loglin_total(const unsigned long long *slots, uint32_t nslots);
/* The value at quantile q (0..1, clamped) by nearest rank: the midpoint of the slot holding the
 * ceil(q * total)-th value (the value itself in a width-1 slot), clamped to [lo, hi]. lo and hi are
 * the exact min and max seen, when the caller kept them (0: not kept): the first and the last rank
 * then answer them exactly. 0 when empty. */
double loglin_quantile(const unsigned long long *slots, uint32_t nslots, unsigned sub_bits, double q, uint64_t lo,
		       uint64_t hi);

/* The BPF maps' histograms (bpf/hist.h's geometry). */
static inline void hist_slot_bounds(uint32_t slot, uint64_t *low, uint64_t *width)
{
	loglin_slot_bounds(slot, HIST_SUB_BITS, low, width);
}

/* hist_quantile: loglin_quantile clamped to max_ns when given (non-zero). */
static inline double hist_quantile(const __u64 *slots, uint32_t nslots, double q, uint64_t max_ns)
{
	return loglin_quantile(slots, nslots, HIST_SUB_BITS, q, 0, max_ns);
}

static inline uint64_t hist_total(const __u64 *slots, uint32_t nslots)
{
	return loglin_total(slots, nslots);
}

#endif
