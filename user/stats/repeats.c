/* SPDX-License-Identifier: GPL-2.0-only */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include "stats/repeats.h"
#include "stats/stats.h"

int repeats_build(const struct repeat_sample *s, int n, struct repeats *out)
{
	double *v;

	if (n < 1)
		return -EINVAL;
	v = malloc(n * sizeof(*v));
	if (!v)
		return -ENOMEM;
	out->count = n;
	out->min_rps = out->max_rps = s[0].rps;
	out->pick = 0;
	for (int i = 0; i < n; i++) {
		v[i] = s[i].rps;
		if (s[i].rps < out->min_rps)
			out->min_rps = s[i].rps;
		if (s[i].rps > out->max_rps)
			out->max_rps = s[i].rps;
	}
	out->median_rps = stats_median(v, n);
	for (int i = 1; i < n; i++)
		if (fabs(s[i].rps - out->median_rps) < fabs(s[out->pick].rps - out->median_rps))
			out->pick = i;
	free(v);
	return 0;
}

cJSON *repeats_json(const struct repeats *r, const struct repeat_sample *s, bool interleaved)
{
	cJSON *rep = cJSON_CreateObject(), *samples;

	cJSON_AddNumberToObject(rep, "count", r->count);
	cJSON_AddNumberToObject(rep, "median_requests_per_sec", r->median_rps);
	cJSON_AddNumberToObject(rep, "min_requests_per_sec", r->min_rps);
	cJSON_AddNumberToObject(rep, "max_requests_per_sec", r->max_rps);
	if (interleaved)
		cJSON_AddBoolToObject(rep, "interleaved", true);
	samples = cJSON_AddArrayToObject(rep, "samples");
	for (int k = 0; k < r->count; k++) {
		cJSON *smp = cJSON_CreateObject();

		cJSON_AddNumberToObject(smp, "requests_per_sec", s[k].rps);
		cJSON_AddNumberToObject(smp, "p50_ms", s[k].p50_ms);
		cJSON_AddNumberToObject(smp, "p99_ms", s[k].p99_ms);
		cJSON_AddItemToArray(samples, smp);
	}
	return rep;
}
