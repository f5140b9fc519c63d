/* SPDX-License-Identifier: GPL-2.0-only */
/* Percentiles from the log-linear histograms of bpf/hist.h. */
#ifndef BINDPROF_HISTOGRAM_H
#define BINDPROF_HISTOGRAM_H

#include <stdint.h>
#include <linux/types.h>
#include "bpf/hist.h"

/* Lower bound and width (ns) of a slot. */
void hist_slot_bounds(uint32_t slot, uint64_t *low, uint64_t *width);
/* The value at quantile q (0..1) of the counts: the midpoint of the slot holding the
 * ceil(q * total)-th value (nearest-rank), clamped to max_ns when given (non-zero).
 * Returns 0 when the histogram is empty. */
double hist_quantile(const __u64 *slots, uint32_t nslots, double q, uint64_t max_ns);
uint64_t hist_total(const __u64 *slots, uint32_t nslots);

#endif
