/* SPDX-License-Identifier: GPL-2.0-only */
#include <math.h>
#include <string.h>
#include "stats/lathist.h"

void lh_init(struct lathist *h)
{
	memset(h, 0, sizeof(*h));
}

void lh_record(struct lathist *h, uint64_t ns)
{
	if (!h->count || ns < h->min_ns)
		h->min_ns = ns;
	if (ns > h->max_ns)
		h->max_ns = ns;
	h->count++;
	h->sum += (double)ns;
	h->sumsq += (double)ns * (double)ns;
	h->slots[lh_slot(ns)]++;
}

void lh_merge(struct lathist *dst, const struct lathist *src)
{
	if (!src->count)
		return;
	if (!dst->count || src->min_ns < dst->min_ns)
		dst->min_ns = src->min_ns;
	if (src->max_ns > dst->max_ns)
		dst->max_ns = src->max_ns;
	dst->count += src->count;
	dst->sum += src->sum;
	dst->sumsq += src->sumsq;
	for (uint32_t i = 0; i < LH_SLOTS; i++)
		dst->slots[i] += src->slots[i];
}

double lh_mean(const struct lathist *h)
{
	return h->count ? h->sum / h->count : 0;
}

double lh_stddev(const struct lathist *h)
{
	double m, var;

	if (h->count < 2)
		return 0;
	m = h->sum / h->count;
	var = (h->sumsq - h->count * m * m) / (h->count - 1);
	return var > 0 ? sqrt(var) : 0;
}

cJSON *lh_to_json(const struct lathist *h)
{
	static const struct {
		const char *key;
		double q;
	} qs[] = { { "median_ms", 0.5 },  { "p75_ms", 0.75 },   { "p90_ms", 0.90 },    { "p95_ms", 0.95 },
		   { "p99_ms", 0.99 },    { "p999_ms", 0.999 }, { "p9999_ms", 0.9999 } };
	cJSON *o = cJSON_CreateObject(), *hist, *b;

	cJSON_AddNumberToObject(o, "mean_ms", lh_mean(h) / 1e6);
	for (size_t i = 0; i < sizeof(qs) / sizeof(qs[0]); i++)
		cJSON_AddNumberToObject(o, qs[i].key, lh_quantile(h, qs[i].q) / 1e6);
	cJSON_AddNumberToObject(o, "min_ms", h->min_ns / 1e6);
	cJSON_AddNumberToObject(o, "max_ms", h->max_ns / 1e6);
	cJSON_AddNumberToObject(o, "stddev_ms", lh_stddev(h) / 1e6);
	hist = cJSON_AddObjectToObject(o, "histogram");
	cJSON_AddStringToObject(hist, "unit", "ns");
	cJSON_AddNumberToObject(hist, "sub_bucket_bits", LH_SUB_BITS);
	cJSON_AddNumberToObject(hist, "count", h->count);
	b = cJSON_AddArrayToObject(hist, "buckets");
	for (uint32_t i = 0; i < LH_SLOTS; i++) {
		if (h->slots[i]) {
			cJSON *pair = cJSON_CreateArray();

			cJSON_AddItemToArray(pair, cJSON_CreateNumber(i));
			cJSON_AddItemToArray(pair, cJSON_CreateNumber(h->slots[i]));
			cJSON_AddItemToArray(b, pair);
		}
	}
	return o;
}
