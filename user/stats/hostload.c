/* SPDX-License-Identifier: GPL-2.0-only */
/* Host load during a pass: see hostload.h. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "inspect/procfs.h"
#include "lib/util.h"
#include "stats/hostload.h"

int hostload_snap(const char *root, const int *pids, int npids, struct hostload_snap *s)
{
	char path[4096], *buf = NULL, *line, *save;
	uint64_t v[10] = {};
	int e, got = 0;

	memset(s, 0, sizeof(*s));
	snprintf(path, sizeof(path), "%s/stat", root);
	if ((e = read_file(path, &buf, NULL)))
		return e;
	for (line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		if (!strncmp(line, "cpu ", 4)) {
			got = sscanf(line + 4, "%" SCNu64 " %" SCNu64 " %" SCNu64 " %" SCNu64 " %" SCNu64 " %" SCNu64
					       " %" SCNu64 " %" SCNu64,
				     &v[0], &v[1], &v[2], &v[3], &v[4], &v[5], &v[6], &v[7]);
		} else if (!strncmp(line, "cpu", 3) && line[3] >= '0' && line[3] <= '9') {
			s->ncpu++;
		}
	}
	free(buf);
	if (got < 8)
		return -EINVAL;
	/* user nice system idle iowait irq softirq steal (guest time is already inside user) */
	s->total = v[0] + v[1] + v[2] + v[3] + v[4] + v[5] + v[6] + v[7];
	s->idle = v[3] + v[4];
	s->steal = v[7];
	snprintf(path, sizeof(path), "%s/loadavg", root);
	buf = NULL;
	if ((e = read_file(path, &buf, NULL)))
		return e;
	if (sscanf(buf, "%lf %lf", &s->load1, &s->load5) != 2) {
		free(buf);
		return -EINVAL;
	}
	free(buf);
	s->npids = npids < HOSTLOAD_MAX_PIDS ? npids : HOSTLOAD_MAX_PIDS;
	for (int i = 0; i < s->npids; i++) {
		struct proc_stat st;

		s->pids[i] = pids[i];
		s->ticks[i] = procfs_read_stat(root, pids[i], &st) ? -1 : (int64_t)(st.utime + st.stime);
	}
	return 0;
}

void hostload_between(const struct hostload_snap *a, const struct hostload_snap *b, long clk_tck,
		      struct hostload *out)
{
	double total = b->total > a->total ? (double)(b->total - a->total) : 0;
	double idle = b->idle >= a->idle ? (double)(b->idle - a->idle) : 0;
	double steal = b->steal >= a->steal ? (double)(b->steal - a->steal) : 0, own = 0, busy;

	memset(out, 0, sizeof(*out));
	for (int i = 0; i < a->npids; i++)
		for (int j = 0; j < b->npids; j++)
			if (a->pids[i] == b->pids[j] && a->ticks[i] >= 0 && b->ticks[j] >= a->ticks[i])
				own += b->ticks[j] - a->ticks[i];
	busy = total - idle - steal;
	if (busy < 0)
		busy = 0;
	if (own > busy)
		own = busy; /* the two clocks are read a moment apart */
	out->load1 = b->load1;
	out->load1_per_cpu = b->ncpu ? b->load1 / b->ncpu : b->load1;
	if (total > 0) {
		out->steal_pct = 100 * steal / total;
		out->busy_pct = 100 * busy / total;
		out->own_pct = 100 * own / total;
		out->others_pct = 100 * (busy - own) / total;
	}
	out->secs = clk_tck > 0 && b->ncpu ? total / clk_tck / b->ncpu : 0;
}

bool hostload_high(const struct hostload *h, const struct hostload_limits *lim, char *why, int len)
{
	double others = lim && lim->others_pct > 0 ? lim->others_pct : 75;
	double steal = lim && lim->steal_pct > 0 ? lim->steal_pct : 10;
	double queue = lim && lim->load_per_cpu > 0 ? lim->load_per_cpu : 8;

	if (h->others_pct > others) {
		snprintf(why, len, "other processes used %.1f%% of the host's CPU during the pass (limit %.0f%%)",
			 h->others_pct, others);
		return true;
	}
	if (h->steal_pct > steal) {
		snprintf(why, len, "the hypervisor stole %.1f%% of the CPU time during the pass (limit %.0f%%)",
			 h->steal_pct, steal);
		return true;
	}
	if (h->load1_per_cpu > queue) {
		snprintf(why, len, "the 1-minute load average was %.1f per CPU (limit %.0f): the measured processes "
			 "queued behind others for a CPU", h->load1_per_cpu, queue);
		return true;
	}
	if (why && len)
		*why = '\0';
	return false;
}

cJSON *hostload_json(const struct hostload *h, const struct hostload_limits *lim)
{
	cJSON *o = cJSON_CreateObject();
	char why[200];
	bool high = hostload_high(h, lim, why, sizeof(why));

	cJSON_AddNumberToObject(o, "secs", h->secs);
	cJSON_AddNumberToObject(o, "load1", h->load1);
	cJSON_AddNumberToObject(o, "load1_per_cpu", h->load1_per_cpu);
	cJSON_AddNumberToObject(o, "steal_percent", h->steal_pct);
	cJSON_AddNumberToObject(o, "busy_percent", h->busy_pct);
	cJSON_AddNumberToObject(o, "own_percent", h->own_pct);
	cJSON_AddNumberToObject(o, "others_percent", h->others_pct);
	cJSON_AddBoolToObject(o, "high", high);
	if (high)
		cJSON_AddStringToObject(o, "reason", why);
	else
		cJSON_AddNullToObject(o, "reason");
	return o;
}
