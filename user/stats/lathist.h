/* SPDX-License-Identifier: GPL-2.0-only */
/* The load generator's latency histogram: log-linear, 1024 sub-buckets per power of two, so every
 * value from 1 us to 60 s is kept within 0.1% (a slot's midpoint is within 0.05% of anything in
 * it). One per thread, merged at the end: nothing is sampled away. Min, max, mean and stddev are
 * exact (kept beside the buckets). */
#ifndef BINDPROF_LATHIST_H
#define BINDPROF_LATHIST_H

#include <stdint.h>
#include <cjson/cJSON.h>
#include "stats/histogram.h"

/* The geometry of stats/histogram.h with 10 sub-bucket bits: slots, bounds and percentiles are
 * that one implementation's; this file adds the exact moments and the JSON. */
#define LH_SUB_BITS 10
#define LH_SUB (1u << LH_SUB_BITS)
#define LH_MAX_EXP 36 /* 2^37 ns ~ 137 s; larger values go in the last slot */
#define LH_SLOTS LOGLIN_SLOTS(LH_SUB_BITS, LH_MAX_EXP)

struct lathist {
	uint64_t count;
	uint64_t min_ns, max_ns;
	double sum, sumsq; /* ns, ns^2 */
	unsigned long long slots[LH_SLOTS];
};

static inline uint32_t lh_slot(uint64_t ns)
{
	return loglin_slot(ns, LH_SUB_BITS, LH_MAX_EXP);
}

static inline void lh_slot_bounds(uint32_t slot, uint64_t *low, uint64_t *width)
{
	loglin_slot_bounds(slot, LH_SUB_BITS, low, width);
}

void lh_init(struct lathist *h);
void lh_record(struct lathist *h, uint64_t ns);
void lh_merge(struct lathist *dst, const struct lathist *src);
/* Nearest-rank quantile (q in 0..1): the midpoint of the slot holding the ceil(q*count)-th value,
 * clamped to [min, max]. 0 when empty. */
static inline double lh_quantile(const struct lathist *h, double q)
{
	return h->count ? loglin_quantile(h->slots, LH_SLOTS, LH_SUB_BITS, q, h->min_ns, h->max_ns) : 0;
}
double lh_mean(const struct lathist *h);
double lh_stddev(const struct lathist *h);
/* {"mean_ms","median_ms","p75_ms","p90_ms","p95_ms","p99_ms","p999_ms","p9999_ms","min_ms","max_ms",
 *  "stddev_ms","histogram":{"unit":"ns","sub_bucket_bits":10,"count":N,"buckets":[[slot,count],...]}} */
cJSON *lh_to_json(const struct lathist *h);

#endif
