/* SPDX-License-Identifier: GPL-2.0-only */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/bpf.h>
#include "stats/histogram.h"
#include "core/session.h"
#include "probes/syscall_names.h"
#include "probes/syscalls.h"

cJSON *syscall_stat_to_json(const char *name, const struct syscall_stat *st)
{
	cJSON *o = cJSON_CreateObject();

	cJSON_AddStringToObject(o, "name", name);
	cJSON_AddNumberToObject(o, "count", st->count);
	cJSON_AddNumberToObject(o, "errors", st->errors);
	cJSON_AddNumberToObject(o, "total_ms", st->total_ns / 1e6);
	cJSON_AddNumberToObject(o, "p50_us", hist_quantile(st->hist, HIST_SLOTS, 0.50, st->max_ns) / 1e3);
	cJSON_AddNumberToObject(o, "p90_us", hist_quantile(st->hist, HIST_SLOTS, 0.90, st->max_ns) / 1e3);
	cJSON_AddNumberToObject(o, "p99_us", hist_quantile(st->hist, HIST_SLOTS, 0.99, st->max_ns) / 1e3);
	cJSON_AddNumberToObject(o, "max_us", st->max_ns / 1e3);
	return o;
}

struct ranked {
	__u32 nr;
	__u64 total_ns;
};

static int cmp_ranked(const void *a, const void *b)
{
	const struct ranked *x = a, *y = b;

	/* largest total first, then by number for a stable order */
	if (x->total_ns != y->total_ns)
		return (x->total_ns < y->total_ns) - (x->total_ns > y->total_ns);
	return (x->nr > y->nr) - (x->nr < y->nr);
}

struct thread_row {
	__u32 tid;
	struct thread_stat st;
};

static int cmp_thread(const void *a, const void *b)
{
	const struct thread_row *x = a, *y = b;

	if (x->st.total_ns != y->st.total_ns)
		return (x->st.total_ns < y->st.total_ns) - (x->st.total_ns > y->st.total_ns);
	return (x->tid > y->tid) - (x->tid < y->tid);
}

cJSON *syscalls_to_json(struct session *sess)
{
	struct syscall_stat *st = malloc(sizeof(*st));
	struct ranked rank[MAX_SYSCALL_NR];
	struct thread_row *rows = NULL;
	cJSON *o = NULL, *arr;
	__u64 total_count = 0, total_ns = 0;
	int n = 0, nrows = 0, cap = 0;

	int threads_fd = session__thread_stats_fd(sess);

	if (!st)
		return NULL;
	for (__u32 nr = 0; nr < MAX_SYSCALL_NR; nr++) {
		if (session__syscall_stat(sess, nr, st))
			goto cleanup;
		if (!st->count)
			continue;
		rank[n].nr = nr;
		rank[n].total_ns = st->total_ns;
		n++;
		total_count += st->count;
		total_ns += st->total_ns;
	}
	qsort(rank, n, sizeof(rank[0]), cmp_ranked);

	o = cJSON_CreateObject();
	cJSON_AddNumberToObject(o, "total_count", total_count);
	cJSON_AddNumberToObject(o, "total_time_ms", total_ns / 1e6);
	/* a new task's first return from clone: its exit hit, with no entry and no syscall of its own */
	cJSON_AddNumberToObject(o, "new_task_first_returns", (double)session__syscall_new_task_returns(sess));
	/* return probes' trampolines (bindprof's own --ffi and task probes, other tools'): not the
	 * target's syscalls, so in no figure above or below */
	cJSON_AddNumberToObject(o, "uretprobe_returns", (double)session__syscall_uretprobe_returns(sess));
	arr = cJSON_AddArrayToObject(o, "by_syscall");
	for (int i = 0; i < n; i++) {
		char buf[32];
		const char *name = syscall_name(rank[i].nr);

		if (session__syscall_stat(sess, rank[i].nr, st))
			continue;
		if (!name) {
			snprintf(buf, sizeof(buf), "syscall_%u", rank[i].nr);
			name = buf;
		}
		cJSON_AddItemToArray(arr, syscall_stat_to_json(name, st));
	}

	/* a slot per thread that made a syscall (zeroed ones: none since the last reset; a slot
	 * with no tid yet: being filled in) */
	for (__u32 slot = 0, nslots = session__thread_slots(sess); slot < nslots; slot++) {
		if (nrows == cap) {
			int ncap = cap ? cap * 2 : 64;
			struct thread_row *nr = realloc(rows, ncap * sizeof(*nr));

			if (!nr)
				break;
			rows = nr;
			cap = ncap;
		}
		if (bpf_map_lookup_elem(threads_fd, &slot, &rows[nrows].st) == 0 && rows[nrows].st.tid &&
		    rows[nrows].st.count) {
			rows[nrows].tid = rows[nrows].st.tid;
			nrows++;
		}
	}
	qsort(rows, nrows, sizeof(*rows), cmp_thread);
	arr = cJSON_AddArrayToObject(o, "threads");
	for (int i = 0; i < nrows; i++) {
		cJSON *t = session__thread_json(sess, rows[i].st.tgid, rows[i].tid, rows[i].st.comm);

		cJSON_AddNumberToObject(t, "count", rows[i].st.count);
		cJSON_AddNumberToObject(t, "total_ms", rows[i].st.total_ns / 1e6);
		cJSON_AddItemToArray(arr, t);
	}
cleanup:
	free(rows);
	free(st);
	return o;
}
