/* SPDX-License-Identifier: GPL-2.0-only */
/* Failed workloads and exact rates: see wlhealth.h. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include "output/document.h"
#include "stats/wlhealth.h"

static uint64_t u64(const cJSON *o, const char *path)
{
	const cJSON *j = profile_get(o, path);

	return cJSON_IsNumber(j) && j->valuedouble > 0 ? (uint64_t)j->valuedouble : 0;
}

void fmt_rate_pct(char *buf, int len, uint64_t ok, uint64_t total)
{
	double p;
	int d = 2;

	if (!total) {
		snprintf(buf, len, "n/a");
		return;
	}
	if (ok >= total) {
		snprintf(buf, len, "100%%");
		return;
	}
	if (!ok) {
		snprintf(buf, len, "0%%");
		return;
	}
	p = 100.0 * ok / total;
	/* truncate, never round up (a hair of slack for the binary fraction: 99.97 is 99.9699...);
	 * more decimals until the figure is neither 100 nor 0 */
#define TRUNC(d) (floor(p * pow(10, (d)) + 1e-7) / pow(10, (d)))
	while (d < 9 && (TRUNC(d) >= 100 || TRUNC(d) == 0))
		d++;
	snprintf(buf, len, "%.*f%%", d, TRUNC(d));
#undef TRUNC
}

int wl_health_of(const cJSON *res, double min_success, struct wl_health *h)
{
	uint64_t total, errs;
	char rate[32], need[32];

	memset(h, 0, sizeof(*h));
	h->success_rate = NAN;
	if (min_success <= 0)
		min_success = WL_MIN_SUCCESS_DEFAULT;
	if (!cJSON_IsObject(profile_get(res, "throughput")))
		return -EINVAL;
	if (!cJSON_IsNumber(profile_get(res, "throughput.total_requests")))
		return -ENOENT; /* no request counts: nothing to judge */
	total = u64(res, "throughput.total_requests");
	h->ok = u64(res, "throughput.successful_requests");
	h->s4xx = u64(res, "errors.status_4xx");
	h->s5xx = u64(res, "errors.status_5xx");
	h->connect = u64(res, "errors.connect");
	h->read = u64(res, "errors.read");
	h->write = u64(res, "errors.write");
	h->timeout = u64(res, "errors.timeout");
	h->never_sent = u64(res, "errors.never_sent");
	/* total_requests counts connect errors as failed requests (files of older bindprof did not:
	 * there, total + connect); requests cut at the end of -d are in neither */
	h->attempts = total;
	{
		uint64_t classes = h->ok + h->s4xx + h->s5xx + h->read + h->write + h->timeout + h->connect +
				   h->never_sent;

		if (classes > h->attempts)
			h->attempts = classes;
	}
	errs = h->s4xx + h->s5xx;
	if (!h->attempts) {
		h->failed = true;
		snprintf(h->reason, sizeof(h->reason), "no request was sent or answered");
		return 0;
	}
	h->success_rate = (double)h->ok / h->attempts;
	fmt_rate_pct(rate, sizeof(rate), h->ok, h->attempts);
	if (!h->ok) {
		h->failed = true;
		snprintf(h->reason, sizeof(h->reason), "no successful answer (%llu 4xx, %llu 5xx, %llu connect errors)",
			 (unsigned long long)h->s4xx, (unsigned long long)h->s5xx, (unsigned long long)h->connect);
	} else if (errs * 2 > h->attempts) {
		h->failed = true;
		snprintf(h->reason, sizeof(h->reason), "mostly error answers: %llu 4xx and %llu 5xx of %llu (success %s)",
			 (unsigned long long)h->s4xx, (unsigned long long)h->s5xx, (unsigned long long)h->attempts, rate);
	} else if (h->success_rate < min_success) {
		h->failed = true;
		snprintf(need, sizeof(need), "%g%%", 100 * min_success);
		snprintf(h->reason, sizeof(h->reason), "success rate %s is below %s (%llu 4xx, %llu 5xx, %llu connect, "
			 "%llu read, %llu write, %llu timeout, %llu never sent)", rate, need, (unsigned long long)h->s4xx,
			 (unsigned long long)h->s5xx, (unsigned long long)h->connect, (unsigned long long)h->read,
			 (unsigned long long)h->write, (unsigned long long)h->timeout,
			 (unsigned long long)h->never_sent);
	}
	return 0;
}

cJSON *wl_health_json(const struct wl_health *h)
{
	cJSON *o = cJSON_CreateObject(), *c;

	cJSON_AddBoolToObject(o, "failed", h->failed);
	if (isnan(h->success_rate))
		cJSON_AddNullToObject(o, "success_rate");
	else
		cJSON_AddNumberToObject(o, "success_rate", h->success_rate);
	cJSON_AddNumberToObject(o, "attempts", h->attempts);
	c = cJSON_AddObjectToObject(o, "status_classes");
	cJSON_AddNumberToObject(c, "2xx_3xx", h->ok);
	cJSON_AddNumberToObject(c, "4xx", h->s4xx);
	cJSON_AddNumberToObject(c, "5xx", h->s5xx);
	cJSON_AddNumberToObject(c, "connect", h->connect);
	cJSON_AddNumberToObject(c, "read", h->read);
	cJSON_AddNumberToObject(c, "write", h->write);
	cJSON_AddNumberToObject(c, "timeout", h->timeout);
	cJSON_AddNumberToObject(c, "never_sent", h->never_sent);
	if (h->failed)
		cJSON_AddStringToObject(o, "reason", h->reason);
	else
		cJSON_AddNullToObject(o, "reason");
	return o;
}
