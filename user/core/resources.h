/* SPDX-License-Identifier: GPL-2.0-only */
/* The target's CPU and memory, sampled from /proc through the run: avg, peak, p95. */
#ifndef BINDPROF_RESOURCES_H
#define BINDPROF_RESOURCES_H

#include <stdbool.h>
#include <stdint.h>
#include <cjson/cJSON.h>

struct resources;

struct series_stats {
	double avg, peak, p95;
	int n;
};

/* avg, max and nearest-rank p95 of n values (n may be 0: all zero, n = 0). */
void series_stats(const double *v, int n, struct series_stats *out);

struct resources *resources__new(const char *proc_root);
void resources__free(struct resources *r);
/* One sample over the processes in pids: CPU percent since the previous sample (summed over
 * processes, so 200 means two cores busy), RSS, and USS when with_uss. */
void resources__sample(struct resources *r, const int *pids, int npids, bool with_uss);
/* CPU time the processes used between the first and the last sample, in ms. */
/* Raise the CPU total to at least ms: the kernel's own figure for the root command and every
 * descendant it waited for (wait4's rusage), which holds what exited between two polls and the
 * root's last interval. */
void resources__cpu_at_least(struct resources *r, double ms);
double resources__cpu_ms(const struct resources *r);
/* {"cpu": {...}, "memory": {...}}; NULL members where no sample was taken. */
cJSON *resources__to_json(const struct resources *r);

#endif
