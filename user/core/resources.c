/* SPDX-License-Identifier: GPL-2.0-only */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "inspect/procfs.h"
#include "core/resources.h"
#include "lib/util.h"

struct dseries {
	double *v;
	int n, cap;
};

struct prev_cpu {
	int pid, ppid;
	uint64_t ticks;  /* its own utime + stime */
	uint64_t cticks; /* cutime + cstime: the children it has waited for */
};

/* CPU ticks already counted for reaped processes, by the parent whose cutime they will reach */
struct seen_pool {
	int ppid;
	uint64_t ticks;
};
#define MAX_POOL 256

struct resources {
	const char *root;
	struct dseries cpu, rss, uss;
	struct prev_cpu *prev;
	int nprev;
	struct seen_pool pool[MAX_POOL];
	int npool;
	uint64_t last_ns;
	double cpu_ticks_total;
	long hz;
	long page_kb;
};

static void dseries_push(struct dseries *s, double v)
{
	if (s->n == s->cap) {
		int cap = s->cap ? s->cap * 2 : 256;
		double *nv = realloc(s->v, cap * sizeof(*nv));

		if (!nv)
			return; /* out of memory: the sample is skipped */
		s->v = nv;
		s->cap = cap;
	}
	s->v[s->n++] = v;
}

void series_stats(const double *v, int n, struct series_stats *out)
{
	double sum = 0, *sorted;
	int rank;

	memset(out, 0, sizeof(*out));
	if (n <= 0)
		return;
	out->n = n;
	out->peak = v[0];
	for (int i = 0; i < n; i++) {
		sum += v[i];
		if (v[i] > out->peak)
			out->peak = v[i];
	}
	out->avg = sum / n;
	sorted = malloc(n * sizeof(*sorted));
	if (!sorted) {
		out->p95 = out->peak;
		return;
	}
	memcpy(sorted, v, n * sizeof(*sorted));
	qsort(sorted, n, sizeof(*sorted), cmp_double_asc);
	rank = (int)((95 * (long)n + 99) / 100); /* ceil(0.95 n), nearest-rank */
	out->p95 = sorted[rank - 1];
	free(sorted);
}

struct resources *resources__new(const char *proc_root)
{
	struct resources *r = calloc(1, sizeof(*r));

	if (!r)
		return NULL;
	r->root = proc_root ? proc_root : "/proc";
	r->hz = sysconf(_SC_CLK_TCK);
	r->page_kb = sysconf(_SC_PAGESIZE) / 1024;
	return r;
}

void resources__free(struct resources *r)
{
	if (!r)
		return;
	free(r->cpu.v);
	free(r->rss.v);
	free(r->uss.v);
	free(r->prev);
	free(r);
}

static uint64_t prev_ticks(const struct resources *r, int pid, bool *found)
{
	for (int i = 0; i < r->nprev; i++) {
		if (r->prev[i].pid == pid) {
			*found = true;
			return r->prev[i].ticks;
		}
	}
	*found = false;
	return 0;
}

static const struct prev_cpu *prev_of(const struct resources *r, int pid)
{
	for (int i = 0; i < r->nprev; i++)
		if (r->prev[i].pid == pid)
			return &r->prev[i];
	return NULL;
}

static void pool_add(struct resources *r, int ppid, uint64_t ticks)
{
	for (int i = 0; i < r->npool; i++)
		if (r->pool[i].ppid == ppid) {
			r->pool[i].ticks += ticks;
			return;
		}
	if (r->npool < MAX_POOL)
		r->pool[r->npool++] = (struct seen_pool){ ppid, ticks };
}

/* The ticks of children that ppid reaped (the growth of its cutime + cstime) not counted yet:
 * less what the pool holds of its followed children, which were counted while they lived. */
static uint64_t reaped_ticks(struct resources *r, int ppid, uint64_t grown)
{
	for (int i = 0; i < r->npool; i++)
		if (r->pool[i].ppid == ppid) {
			uint64_t take = r->pool[i].ticks < grown ? r->pool[i].ticks : grown;

			r->pool[i].ticks -= take;
			return grown - take;
		}
	return grown;
}

void resources__sample(struct resources *r, const int *pids, int npids, bool with_uss)
{
	struct prev_cpu *cur = calloc(npids ? npids : 1, sizeof(*cur));
	uint64_t now = now_ns(), rss_kb = 0, uss_kb = 0, kb, delta_ticks = 0;
	int ncur = 0, uss_ok = 0, any = 0;

	if (!cur)
		return;
	for (int i = 0; i < npids; i++) {
		struct proc_stat st;
		bool found;
		uint64_t ticks, prev;

		if (procfs_read_stat(r->root, pids[i], &st))
			continue; /* gone: see the pool below */
		any = 1;
		ticks = st.utime + st.stime;
		prev = prev_ticks(r, pids[i], &found);
		/* A process first seen mid-run (a new child) counts from its start: all its ticks. */
		if (r->last_ns)
			delta_ticks += found ? (ticks >= prev ? ticks - prev : 0) : ticks;
		cur[ncur].pid = pids[i];
		cur[ncur].ppid = st.ppid;
		cur[ncur].ticks = ticks;
		cur[ncur].cticks = st.cutime + st.cstime;
		ncur++;
		if (!procfs_read_rss_kb(r->root, pids[i], &kb))
			rss_kb += kb;
		if (with_uss && !procfs_read_uss_kb(r->root, pids[i], &kb)) {
			uss_kb += kb;
			uss_ok = 1;
		}
	}
	/* Followed processes gone since the last sample (reaped: a zombie still has its stat): what was
	 * counted of them waits in the pool for their parent's cutime. */
	for (int i = 0; i < r->nprev; i++) {
		bool gone = true;

		for (int k = 0; k < ncur && gone; k++)
			gone = cur[k].pid != r->prev[i].pid;
		if (gone)
			pool_add(r, r->prev[i].ppid, r->prev[i].ticks + r->prev[i].cticks);
	}
	/* Children each one reaped since the last sample: their whole CPU reaches its cutime. A child
	 * that lived between two samples (under 100 ms) was never read, and a followed one's last
	 * interval was lost; what was counted of followed ones is taken back from the pool. */
	for (int k = 0; k < ncur && r->last_ns; k++) {
		const struct prev_cpu *pc = prev_of(r, cur[k].pid);

		if (pc && cur[k].cticks > pc->cticks)
			delta_ticks += reaped_ticks(r, cur[k].pid, cur[k].cticks - pc->cticks);
	}
	if (any) {
		if (r->last_ns && now > r->last_ns) {
			double secs = (now - r->last_ns) / 1e9;

			dseries_push(&r->cpu, 100.0 * delta_ticks / r->hz / secs);
			r->cpu_ticks_total += delta_ticks;
		}
		dseries_push(&r->rss, rss_kb / 1024.0);
		if (uss_ok)
			dseries_push(&r->uss, uss_kb / 1024.0);
		r->last_ns = now;
	}
	free(r->prev);
	r->prev = cur;
	r->nprev = ncur;
}

void resources__cpu_at_least(struct resources *r, double ms)
{
	double ticks = r->hz ? ms * r->hz / 1000.0 : 0;

	if (ticks > r->cpu_ticks_total)
		r->cpu_ticks_total = ticks;
}

double resources__cpu_ms(const struct resources *r)
{
	return r->hz ? 1000.0 * r->cpu_ticks_total / r->hz : 0;
}

cJSON *resources__to_json(const struct resources *r)
{
	cJSON *o = cJSON_CreateObject(), *cpu, *mem;
	struct series_stats s;

	series_stats(r->cpu.v, r->cpu.n, &s);
	if (s.n) {
		cpu = cJSON_AddObjectToObject(o, "cpu");
		cJSON_AddNumberToObject(cpu, "avg_percent", s.avg);
		cJSON_AddNumberToObject(cpu, "peak_percent", s.peak);
		cJSON_AddNumberToObject(cpu, "p95_percent", s.p95);
		cJSON_AddNumberToObject(cpu, "samples", s.n);
		cJSON_AddNumberToObject(cpu, "total_cpu_ms", resources__cpu_ms(r));
	} else {
		cJSON_AddNullToObject(o, "cpu");
	}
	series_stats(r->rss.v, r->rss.n, &s);
	if (s.n) {
		mem = cJSON_AddObjectToObject(o, "memory");
		cJSON_AddNumberToObject(mem, "avg_mb", s.avg);
		cJSON_AddNumberToObject(mem, "peak_mb", s.peak);
		cJSON_AddNumberToObject(mem, "p95_mb", s.p95);
		series_stats(r->uss.v, r->uss.n, &s);
		if (s.n) {
			cJSON_AddNumberToObject(mem, "uss_avg_mb", s.avg);
			cJSON_AddNumberToObject(mem, "uss_peak_mb", s.peak);
		} else {
			cJSON_AddNullToObject(mem, "uss_avg_mb");
			cJSON_AddNullToObject(mem, "uss_peak_mb");
		}
		cJSON_AddNumberToObject(mem, "samples", r->rss.n);
	} else {
		cJSON_AddNullToObject(o, "memory");
	}
	return o;
}
