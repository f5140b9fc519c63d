/* SPDX-License-Identifier: GPL-2.0-only */
/* The requests probe, user side. bpf/requests.bpf.c sends three kinds of records: a request's
 * start (its first bytes), accounts (what a thread's probes measured between two operations on
 * served connections, given to one request or to none) and a request's end (its last write, and
 * the syscalls around its own reads and writes). Here they are summed per request; a request is
 * folded into its endpoint's distributions 250 ms after its end (accounts sent just before the
 * end can still be in the ring), or at the report. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/syscall.h>
#include <gelf.h>
#include <libelf.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "requests.skel.h"
#include "load/endpoint.h"
#include "load/latsplit.h"
#include "stats/histogram.h"
#include "lib/log.h"
#include "output/document.h"
#include "probes/requests.h"
#include "probes/syscall_names.h"
#include "core/session.h"
#include "inspect/runtime.h"
#include "bpf/common.h"

#ifndef PIDFD_THREAD
#define PIDFD_THREAD O_EXCL /* a pidfd for one thread (Linux 6.9) */
#endif

#define MAX_ENDPOINTS 256
#define USYS 24
#define UFFI 16
#define FOLD_AFTER_NS 250000000ull /* accounts reserved before a request's end are read by then */
#define TOP_KEYS 32 /* an endpoint's syscalls and native functions listed, by time */

enum metric {
	M_GIL_WAIT = 0,
	M_GIL_HOLD,
	M_FFI_CROSS,
	M_FFI_TIME,
	M_GC_PAUSES,
	M_GC_TIME,
	M_SYSCALLS,
	M_SYS_TIME,
	M_SAMPLES,
	M_COUNT,
};

static const char *const metric_names[M_COUNT] = {
	[M_GIL_WAIT] = "gil_wait_us",	  [M_GIL_HOLD] = "gil_hold_us", [M_FFI_CROSS] = "ffi_crossings",
	[M_FFI_TIME] = "ffi_time_us",	  [M_GC_PAUSES] = "gc_pauses",	[M_GC_TIME] = "gc_time_us",
	[M_SYSCALLS] = "syscalls",	  [M_SYS_TIME] = "syscall_time_us", [M_SAMPLES] = "cpu_samples",
};

struct uslot {
	uint32_t key, count;
	uint64_t ns;
};

/* One request, being summed. */
struct rq {
	uint64_t id, start_ns, end_ns, bytes_in, bytes_out;
	uint64_t ended_at; /* CLOCK_MONOTONIC ns when its end was read; 0: open */
	int ep;
	uint32_t tid, sends;
	uint64_t gil_wait_ns, gil_hold_ns, ffi_ns, gc_ns, sys_ns;
	uint32_t gil_waits, ffi_calls, gc_pauses, syscalls, samples, sys_other;
	struct uslot sys[USYS];
	int nsys;
	struct uslot ffi[UFFI];
	int nffi;
	/* where the client's time goes (docs/network.md) */
	uint16_t lport, rport;
	uint32_t seq;
	uint8_t raddr[16];
	uint64_t oncpu_ns, read_span_ns, gap_max_ns;
	uint32_t gaps, stalls;
};

/* A distribution in bounded memory: bpf/hist.h's log-linear slots (exact below 64, else within
 * 1.6%), an exact sum and max. Integers (counts) or nanoseconds. */
struct qhist {
	uint64_t n, max;
	double sum;
	__u64 *slots; /* HIST_SLOTS, allocated on first use */
};

/* A syscall or native function of an endpoint: its per-request counts where non-zero. */
struct keyagg {
	uint32_t key;
	uint64_t calls, ns;
	struct qhist per_req; /* per request where non-zero; the zeros are the endpoint's other requests */
};

struct endpoint {
	char name[160];
	uint64_t answered, incomplete, unanswered_closed;
	struct qhist lat_ns;
	struct qhist m[M_COUNT]; /* counts, or ns for the _us metrics */
	struct keyagg *sys, *ffi;
	int nsys, nffi;
};

/* An asyncio task's accounts held until it writes or reads a served connection (REQ_EV_BIND). */
struct held {
	uint64_t task;     /* REQ_TASK_BIT | coroutine; 0: free */
	uint64_t last_req; /* the request it last wrote or read; 0: none yet */
	bool ended;        /* its coroutine finished: what still comes for it is last_req's (late
			    * hand-backs), until a new task's step at its address (REQ_EV_TASK_NEW) or
			    * for a second (then the slot is free) */
	uint64_t ended_at; /* CLOCK_MONOTONIC ns when its end was read */
	struct rq acct;    /* held since then */
	bool any;
};

struct reqtrack {
	struct session *sess;
	struct held *held; /* live tasks, unordered */
	int nheld, capheld;
	uint64_t task_bound, task_done_to_last, task_unbound; /* held accounts: where they went */
	uint64_t task_late_to_last; /* accounts handed back after their task finished: its last request */
	int task_probes;   /* interpreters whose task-step function has the uprobes */
	int task_plt;      /* of them, through _asyncio's PLT stub (task steps only) */
	int task_ticks;    /* polls since the last look for asyncio in the targets */
	int tdone[64], ntdone; /* targets probed for tasks, or not CPython */
	struct bpf_link *tlinks[64];
	int ntlinks;
	char task_err[PATH_MAX + 128]; /* why not, where not */
	/* queue.SimpleQueue items (concurrent.futures' work): put and get probed per target */
	int queue_probes;
	int qdone[64], nqdone; /* targets probed for queues, or not CPython */
	int qpy[64], nqpy;     /* CPython targets (looked for _queue until it is mapped) */
	struct bpf_link *qlinks[128];
	int nqlinks;
	char queue_err[PATH_MAX + 128];
	struct requests_bpf *skel;
	struct ring_buffer *rb;
	struct reqtrack_opts o;
	struct rq **rqs; /* by id */
	int16_t *ep_of;  /* by id: its endpoint's index + 1 (0: unknown), kept after it is folded */
	uint64_t cap, lo; /* ids below lo are folded */
	uint64_t max_id;
	struct endpoint *eps;
	int neps;
	struct rq *ex; /* the slowest answered requests, unordered */
	int nex;
	struct rq outside; /* accounts given to no request */
	struct rq unfinished; /* accounts of requests never answered, or whose line did not parse */
	struct rq answered; /* the sum of every answered request's account (conservation) */
	uint64_t n_unfinished;
	uint64_t accounts, late_accounts, unparsed;
	uint64_t stop_accounts;     /* threads' pending accounts read at the end (pidfd) */
	int stop_read_err;          /* why they could not be, if not (negative errno) */
	bool stopped;
	/* the client's signals over answered requests (slow-client, docs/network.md) */
	struct qhist read_span, gap;
	uint64_t slow_sends, slow_send_ns, gap_responses, gaps, stalled_responses, stalls;
	/* o.keep_records: every answered request, for matching with a client's */
	struct req_record *recs;
	size_t nrecs, caprecs;
	uint64_t recs_dropped;
	FILE *log; /* o.requests_log: every answered request, a line each (load/latsplit.h) */
};

static uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

static void qhist_add(struct qhist *h, uint64_t v)
{
	if (!h->slots && !(h->slots = calloc(HIST_SLOTS, sizeof(*h->slots))))
		return;
	h->slots[hist_slot(v)]++;
	h->n++;
	h->sum += v;
	if (v > h->max)
		h->max = v;
}

static void slot_add(struct uslot *s, int *n, int max, uint32_t key, uint32_t count, uint64_t ns,
		     uint32_t *other)
{
	for (int i = 0; i < *n; i++) {
		if (s[i].key == key) {
			s[i].count += count;
			s[i].ns += ns;
			return;
		}
	}
	if (*n < max) {
		s[*n].key = key;
		s[*n].count = count;
		s[*n].ns = ns;
		(*n)++;
	} else if (other) {
		*other += count;
	}
}

static void acct_add(struct rq *q, const struct req_acct *a)
{
	q->gil_wait_ns += a->gil_wait_ns;
	q->gil_hold_ns += a->gil_hold_ns;
	q->ffi_ns += a->ffi_ns;
	q->gc_ns += a->gc_ns;
	q->sys_ns += a->sys_ns;
	q->gil_waits += a->gil_waits;
	q->ffi_calls += a->ffi_calls;
	q->gc_pauses += a->gc_pauses;
	q->syscalls += a->syscalls;
	q->samples += a->samples;
	q->sys_other += a->sys_other;
	for (int i = 0; i < REQ_SYS_SLOTS && a->sys[i].count; i++)
		slot_add(q->sys, &q->nsys, USYS, a->sys[i].key, a->sys[i].count, a->sys[i].ns, &q->sys_other);
	for (int i = 0; i < REQ_FFI_SLOTS && a->ffi[i].count; i++)
		slot_add(q->ffi, &q->nffi, UFFI, a->ffi[i].key, a->ffi[i].count, a->ffi[i].ns, NULL);
}

/* Add one request's (or bucket's) sums into another. */
static void acct_rq_add(struct rq *to, const struct rq *q)
{
	to->gil_wait_ns += q->gil_wait_ns;
	to->gil_hold_ns += q->gil_hold_ns;
	to->ffi_ns += q->ffi_ns;
	to->gc_ns += q->gc_ns;
	to->sys_ns += q->sys_ns;
	to->gil_waits += q->gil_waits;
	to->ffi_calls += q->ffi_calls;
	to->gc_pauses += q->gc_pauses;
	to->syscalls += q->syscalls;
	to->samples += q->samples;
	to->sys_other += q->sys_other;
	for (int i = 0; i < q->nsys; i++)
		slot_add(to->sys, &to->nsys, USYS, q->sys[i].key, q->sys[i].count, q->sys[i].ns, &to->sys_other);
	for (int i = 0; i < q->nffi; i++)
		slot_add(to->ffi, &to->nffi, UFFI, q->ffi[i].key, q->ffi[i].count, q->ffi[i].ns, NULL);
}

static struct rq *find(struct reqtrack *r, uint64_t id)
{
	return id >= r->lo && id < r->cap ? r->rqs[id] : NULL;
}

static int endpoint_index(struct reqtrack *r, const char *name)
{
	for (int i = 0; i < r->neps; i++)
		if (!strcmp(r->eps[i].name, name))
			return i;
	if (r->neps == MAX_ENDPOINTS)
		return endpoint_index(r, "(other endpoints)"); /* the last slot is kept for it */
	if (r->neps == MAX_ENDPOINTS - 1 && strcmp(name, "(other endpoints)"))
		return endpoint_index(r, "(other endpoints)");
	snprintf(r->eps[r->neps].name, sizeof(r->eps[0].name), "%s", name);
	return r->neps++;
}

static void keyagg_add(struct keyagg **arr, int *n, uint32_t key, uint32_t count, uint64_t ns)
{
	struct keyagg *k = NULL;

	for (int i = 0; i < *n; i++)
		if ((*arr)[i].key == key)
			k = &(*arr)[i];
	if (!k) {
		struct keyagg *a = realloc(*arr, (*n + 1) * sizeof(*a));

		if (!a)
			return;
		*arr = a;
		k = &a[(*n)++];
		memset(k, 0, sizeof(*k));
		k->key = key;
	}
	k->calls += count;
	k->ns += ns;
	qhist_add(&k->per_req, count);
}

/* Keep q among the N slowest answered requests. */
static void exemplar_offer(struct reqtrack *r, const struct rq *q)
{
	int min = 0;

	if (r->o.exemplars <= 0)
		return;
	if (r->nex < r->o.exemplars) {
		r->ex[r->nex++] = *q;
		return;
	}
	for (int i = 1; i < r->nex; i++)
		if (r->ex[i].end_ns - r->ex[i].start_ns < r->ex[min].end_ns - r->ex[min].start_ns)
			min = i;
	if (q->end_ns - q->start_ns > r->ex[min].end_ns - r->ex[min].start_ns)
		r->ex[min] = *q;
}

static void fill_record(struct req_record *k, const struct rq *q)
{
	k->start_ns = q->start_ns;
	k->end_ns = q->end_ns;
	k->oncpu_ns = q->oncpu_ns;
	k->gil_wait_ns = q->gil_wait_ns;
	k->ffi_ns = q->ffi_ns;
	k->gc_ns = q->gc_ns;
	k->sys_ns = q->sys_ns;
	k->samples = q->samples;
	k->ep = q->ep;
	k->lport = q->lport;
	k->rport = q->rport;
	k->seq = q->seq;
	memcpy(k->raddr, q->raddr, sizeof(k->raddr));
}

/* An answered request's record (reqtrack__records). */
static void keep_record(struct reqtrack *r, const struct rq *q)
{
	struct req_record *k;

	if (r->nrecs == r->caprecs) {
		size_t cap = r->caprecs ? 2 * r->caprecs : 4096;
		struct req_record *a = cap <= REQ_MAX_RECORDS ? realloc(r->recs, cap * sizeof(*a)) : NULL;

		if (!a) {
			r->recs_dropped++;
			return;
		}
		r->recs = a;
		r->caprecs = cap;
	}
	k = &r->recs[r->nrecs++];
	fill_record(k, q);
}

/* A finished request into its endpoint's distributions. */
static void fold(struct reqtrack *r, struct rq *q)
{
	struct endpoint *e;
	uint64_t v[M_COUNT];

	if (q->ep < 0 || !q->ended_at || !q->sends) {
		/* its account stays counted: in no endpoint's distributions, but in unfinished */
		acct_rq_add(&r->unfinished, q);
		r->n_unfinished++;
		if (q->ep < 0)
			return;
		if (!q->ended_at)
			r->eps[q->ep].incomplete++;
		else
			r->eps[q->ep].unanswered_closed++;
		return;
	}
	e = &r->eps[q->ep];
	acct_rq_add(&r->answered, q);
	e->answered++;
	qhist_add(&e->lat_ns, q->end_ns - q->start_ns);
	v[M_GIL_WAIT] = q->gil_wait_ns;
	v[M_GIL_HOLD] = q->gil_hold_ns;
	v[M_FFI_CROSS] = q->ffi_calls;
	v[M_FFI_TIME] = q->ffi_ns;
	v[M_GC_PAUSES] = q->gc_pauses;
	v[M_GC_TIME] = q->gc_ns;
	v[M_SYSCALLS] = q->syscalls;
	v[M_SYS_TIME] = q->sys_ns;
	v[M_SAMPLES] = q->samples;
	for (int m = 0; m < M_COUNT; m++)
		qhist_add(&e->m[m], v[m]);
	for (int i = 0; i < q->nsys; i++)
		keyagg_add(&e->sys, &e->nsys, q->sys[i].key, q->sys[i].count, q->sys[i].ns);
	for (int i = 0; i < q->nffi; i++)
		keyagg_add(&e->ffi, &e->nffi, q->ffi[i].key, q->ffi[i].count, q->ffi[i].ns);
	exemplar_offer(r, q);
	qhist_add(&r->read_span, q->read_span_ns);
	if (q->read_span_ns >= REQ_SLOW_SEND_NS) {
		r->slow_sends++;
		r->slow_send_ns += q->read_span_ns;
	}
	if (q->gaps) {
		qhist_add(&r->gap, q->gap_max_ns);
		r->gap_responses++;
		r->gaps += q->gaps;
	}
	if (q->stalls) {
		r->stalled_responses++;
		r->stalls += q->stalls;
	}
	if (r->o.keep_records)
		keep_record(r, q);
	if (r->log) {
		struct req_record k;

		fill_record(&k, q);
		latsplit_log_write(r->log, &k, e->name);
	}
}

static void fold_id(struct reqtrack *r, uint64_t id)
{
	fold(r, r->rqs[id]);
	free(r->rqs[id]);
	r->rqs[id] = NULL;
}

static int on_start(struct reqtrack *r, const struct req_start_ev *ev)
{
	char name[160];
	struct rq *q;

	if (ev->id >= r->cap) {
		uint64_t cap = r->cap ? r->cap : 4096;
		struct rq **a;

		while (cap <= ev->id)
			cap *= 2;
		a = realloc(r->rqs, cap * sizeof(*a));
		if (!a)
			return 0;
		memset(a + r->cap, 0, (cap - r->cap) * sizeof(*a));
		r->rqs = a;
		{
			int16_t *eo = realloc(r->ep_of, cap * sizeof(*eo));

			if (!eo)
				return 0;
			memset(eo + r->cap, 0, (cap - r->cap) * sizeof(*eo));
			r->ep_of = eo;
		}
		r->cap = cap;
	}
	if (ev->id < r->lo || r->rqs[ev->id])
		return 0;
	q = calloc(1, sizeof(*q));
	if (!q)
		return 0;
	q->id = ev->id;
	q->start_ns = ev->start_ns;
	q->tid = ev->tid;
	q->lport = ev->lport;
	q->rport = ev->rport;
	q->seq = ev->seq;
	memcpy(q->raddr, ev->raddr, sizeof(q->raddr));
	if (endpoint_normalize(ev->head, ev->len < REQ_HEAD ? ev->len : REQ_HEAD, name, sizeof(name))) {
		r->unparsed++;
		q->ep = -1;
	} else {
		q->ep = endpoint_index(r, name);
		r->ep_of[ev->id] = (int16_t)(q->ep + 1);
	}
	r->rqs[ev->id] = q;
	if (ev->id > r->max_id)
		r->max_id = ev->id;
	return 0;
}

static void end_into(struct rq *q, const struct req_end_ev *ev)
{
	q->end_ns = ev->end_ns;
	q->sends = ev->sends;
	q->bytes_in = ev->bytes_in;
	q->bytes_out = ev->bytes_out;
	q->oncpu_ns = ev->oncpu_ns;
	q->read_span_ns = ev->read_span_ns;
	q->gap_max_ns = ev->gap_max_ns;
	q->gaps = ev->gaps;
	q->stalls = ev->stalls;
	q->syscalls += ev->op_syscalls;
	q->sys_ns += ev->op_sys_ns;
	q->sys_other += ev->op_sys_other;
	for (int i = 0; i < REQ_OP_SLOTS && ev->op_sys[i].count; i++)
		slot_add(q->sys, &q->nsys, USYS, ev->op_sys[i].key, ev->op_sys[i].count, ev->op_sys[i].ns,
			 &q->sys_other);
}

/* The held accounts of task `task` (REQ_TASK_BIT | coroutine), made if `make`; NULL if none. */
static struct held *held_of(struct reqtrack *r, uint64_t task, bool make)
{
	struct held *fr = NULL;
	uint64_t now = mono_ns();

	for (int i = 0; i < r->nheld; i++) {
		if (r->held[i].task && r->held[i].ended && now - r->held[i].ended_at > 1000000000ull)
			r->held[i].task = 0; /* finished over a second ago: no late hand-back still due */
		if (r->held[i].task == task)
			return &r->held[i];
		if (!r->held[i].task && !fr)
			fr = &r->held[i];
	}
	if (!make)
		return NULL;
	if (!fr) {
		if (r->nheld == r->capheld) {
			int cap = r->capheld ? 2 * r->capheld : 64;
			struct held *a = realloc(r->held, cap * sizeof(*a));

			if (!a)
				return NULL;
			r->held = a;
			r->capheld = cap;
		}
		fr = &r->held[r->nheld++];
	}
	memset(fr, 0, sizeof(*fr));
	fr->task = task;
	return fr;
}

/* A task's held accounts go to request `req` (none, or gone: outside, counted unbound). */
static void held_release(struct reqtrack *r, struct held *h, uint64_t req, uint64_t *counter)
{
	struct rq *q;

	if (!h->any)
		return;
	if (req && (q = find(r, req))) {
		acct_rq_add(q, &h->acct);
		(*counter)++;
	} else {
		acct_rq_add(&r->outside, &h->acct);
		r->task_unbound++;
	}
	memset(&h->acct, 0, sizeof(h->acct));
	h->any = false;
}

/* One account to its owner: a request (id), a task (held until it is bound), or none (0). */
static void account_to(struct reqtrack *r, uint64_t owner, const struct req_acct *a)
{
	struct rq *q;

	if (!owner) {
		acct_add(&r->outside, a);
	} else if (owner & REQ_TASK_BIT) {
		struct held *h = held_of(r, owner, true);

		if (h && h->ended) {
			/* work handed back after its task finished: the task's last request */
			if (h->last_req && (q = find(r, h->last_req))) {
				acct_add(q, a);
				r->task_late_to_last++;
			} else {
				r->task_unbound++;
				acct_add(&r->outside, a);
			}
		} else if (h) {
			acct_add(&h->acct, a);
			h->any = true;
		} else {
			r->task_unbound++;
			acct_add(&r->outside, a);
		}
	} else if ((q = find(r, owner))) {
		acct_add(q, a);
	} else {
		r->late_accounts++;
		acct_add(&r->outside, a);
	}
}

static int on_event(void *ctx, void *data, size_t size)
{
	struct reqtrack *r = ctx;
	__u32 kind = *(__u32 *)data;
	struct rq *q;

	if (kind == REQ_EV_START && size >= sizeof(struct req_start_ev))
		return on_start(r, data);
	if (kind == REQ_EV_ACCT && size >= REQ_ACCT_EV_SHORT) {
		struct req_acct_ev full;
		const struct req_acct_ev *ev = data;

		if (size < sizeof(full)) { /* a short one: no slots */
			memset(&full, 0, sizeof(full));
			memcpy(&full, data, REQ_ACCT_EV_SHORT);
			ev = &full;
		}

		r->accounts++;
		account_to(r, ev->owner, &ev->a);
		return 0;
	}
	if ((kind == REQ_EV_BIND || kind == REQ_EV_TASK_END || kind == REQ_EV_TASK_NEW) &&
	    size >= sizeof(struct req_bind_ev)) {
		const struct req_bind_ev *ev = data;
		struct held *h = held_of(r, ev->task, kind == REQ_EV_BIND);

		if (!h)
			return 0;
		if (kind == REQ_EV_TASK_NEW) {
			/* a new task at a finished one's coroutine address */
			held_release(r, h, 0, &r->task_unbound);
			h->task = 0;
			return 0;
		}
		if (h->ended) /* a bind without the new task's first step seen: a new task */
			memset(h, 0, sizeof(*h)), h->task = ev->task;
		if (kind == REQ_EV_BIND) {
			h->last_req = ev->req;
			held_release(r, h, ev->req, &r->task_bound);
		} else {
			held_release(r, h, h->last_req, &r->task_done_to_last);
			h->ended = true; /* kept until a new task's step at its address */
			h->ended_at = mono_ns();
		}
		return 0;
	}
	if (kind == REQ_EV_END && size >= sizeof(struct req_end_ev)) {
		const struct req_end_ev *ev = data;

		if ((q = find(r, ev->id)) && !q->ended_at) {
			end_into(q, ev);
			q->ended_at = mono_ns();
		}
	}
	return 0;
}

const char *reqtrack__request_endpoint(void *ctx, uint64_t id)
{
	struct reqtrack *r = ctx;

	if (!r || id >= r->cap || !r->ep_of || !r->ep_of[id])
		return NULL;
	return r->eps[r->ep_of[id] - 1].name;
}

/* The file offset of the PLT stub through which the shared object at `path` calls `name` (its
 * .rela.plt entry i: .plt.sec + 16 i with IBT stubs, else .plt + 16 (i + 1)). 0 and *off, or
 * negative errno (-ENOENT: no such import, or no PLT: built with -fno-plt). */
static int plt_stub(const char *path, const char *name, uint64_t *off)
{
	GElf_Shdr sh, rsh = { 0 }, plt = { 0 }, pltsec = { 0 };
	Elf_Scn *scn = NULL, *rscn = NULL;
	size_t shstr;
	int fd, err = -ENOENT;
	Elf *e;

	if (elf_version(EV_CURRENT) == EV_NONE || (fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return -errno ? -errno : -EINVAL;
	e = elf_begin(fd, ELF_C_READ, NULL);
	if (!e || elf_getshdrstrndx(e, &shstr)) {
		err = -EINVAL;
		goto out;
	}
	while ((scn = elf_nextscn(e, scn))) {
		const char *n;

		if (!gelf_getshdr(scn, &sh) || !(n = elf_strptr(e, shstr, sh.sh_name)))
			continue;
		if (!strcmp(n, ".rela.plt")) {
			rsh = sh;
			rscn = scn;
		} else if (!strcmp(n, ".plt")) {
			plt = sh;
		} else if (!strcmp(n, ".plt.sec")) {
			pltsec = sh;
		}
	}
	if (rscn && plt.sh_size) {
		Elf_Data *d = elf_getdata(rscn, NULL);
		Elf_Scn *symscn = elf_getscn(e, rsh.sh_link);
		GElf_Shdr symsh;
		Elf_Data *sd = symscn ? elf_getdata(symscn, NULL) : NULL;
		size_t n = rsh.sh_entsize ? rsh.sh_size / rsh.sh_entsize : 0;

		for (size_t i = 0; d && sd && gelf_getshdr(symscn, &symsh) && i < n; i++) {
			GElf_Rela rel;
			GElf_Sym sym;
			const char *sn;
			uint64_t va;

			if (!gelf_getrela(d, i, &rel) || !gelf_getsym(sd, GELF_R_SYM(rel.r_info), &sym) ||
			    !(sn = elf_strptr(e, symsh.sh_link, sym.st_name)) || strcmp(sn, name))
				continue;
			if (pltsec.sh_size) {
				va = pltsec.sh_addr + 16 * i;
				*off = va - pltsec.sh_addr + pltsec.sh_offset;
			} else {
				va = plt.sh_addr + 16 * (i + 1);
				*off = va - plt.sh_addr + plt.sh_offset;
			}
			err = 0;
			break;
		}
	}
out:
	if (e)
		elf_end(e);
	close(fd);
	return err;
}

/* A RELATIVE relocation: the pointer at vaddr off is the load address + addend. */
struct relrel {
	uint64_t off, addend;
};

static int relrel_cmp(const void *a, const void *b)
{
	const struct relrel *x = a, *y = b;

	return x->off < y->off ? -1 : x->off > y->off;
}

/* The file offset of vaddr v (its section's), or -1. */
static int64_t elf_vaddr_off(Elf *e, uint64_t v)
{
	Elf_Scn *scn = NULL;
	GElf_Shdr sh;

	while ((scn = elf_nextscn(e, scn)))
		if (gelf_getshdr(scn, &sh) && sh.sh_type != SHT_NOBITS && sh.sh_addr && v >= sh.sh_addr &&
		    v < sh.sh_addr + sh.sh_size)
			return (int64_t)(v - sh.sh_addr + sh.sh_offset);
	return -1;
}

/* The pointer stored at vaddr v of the ELF image: its RELATIVE relocation's addend (a PIE or
 * shared object), else the 8 bytes in the file (a non-PIE executable); 0 if neither. */
static uint64_t elf_ptr_at(Elf *e, const char *raw, size_t rawlen, const struct relrel *rel, size_t nrel, uint64_t v)
{
	struct relrel key = { .off = v }, *f = nrel ? bsearch(&key, rel, nrel, sizeof(*rel), relrel_cmp) : NULL;
	int64_t o;
	uint64_t p;

	if (f)
		return f->addend;
	o = elf_vaddr_off(e, v);
	if (o < 0 || (size_t)o + 8 > rawlen)
		return 0;
	memcpy(&p, raw + o, 8);
	return p;
}

/* Whether vaddr v holds the NUL-terminated string s. */
static bool elf_str_is(Elf *e, const char *raw, size_t rawlen, uint64_t v, const char *s)
{
	size_t n = strlen(s) + 1;
	int64_t o = v ? elf_vaddr_off(e, v) : -1;

	return o >= 0 && (size_t)o + n <= rawlen && !memcmp(raw + o, s, n);
}

/* queue.SimpleQueue's get and put methods in the ELF file at path (the _queue extension module,
 * or an interpreter with it built in), stripped or not: its method table (PyMethodDef: name,
 * function, flags, doc; 32 bytes) is the one whose entries name "get" then "get_nowait", and "put"
 * then "put_nowait" (the order of CPython 3.7 to 3.13's _queuemodule.c); a PIE's pointers are
 * read from their RELATIVE relocations. Their file offsets in *get and *put, whether put takes
 * its defining class first (METH_METHOD) in *put_method. 0, or negative errno (-ENOENT: no
 * such table). get_nowait's offset in *get_nowait (3.13's workers try it first). */
static int queue_methods(const char *path, uint64_t *get, uint64_t *get_nowait, uint64_t *put, bool *put_method)
{
	struct relrel *rel = NULL;
	size_t nrel = 0, cap = 0, rawlen = 0;
	uint64_t vget = 0, vgetnw = 0, vput = 0;
	Elf_Scn *scn = NULL;
	const char *raw;
	int fd, err = -ENOENT;
	GElf_Shdr sh;
	Elf *e;

	if (elf_version(EV_CURRENT) == EV_NONE || (fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return -errno ? -errno : -EINVAL;
	e = elf_begin(fd, ELF_C_READ, NULL);
	if (!e || !(raw = elf_rawfile(e, &rawlen))) {
		err = -EINVAL;
		goto out;
	}
	while ((scn = elf_nextscn(e, scn))) {
		Elf_Data *d;

		if (!gelf_getshdr(scn, &sh) || sh.sh_type != SHT_RELA || !sh.sh_entsize || !(d = elf_getdata(scn, NULL)))
			continue;
		for (size_t i = 0; i < sh.sh_size / sh.sh_entsize; i++) {
			GElf_Rela r;

			if (!gelf_getrela(d, i, &r) || GELF_R_TYPE(r.r_info) != R_X86_64_RELATIVE)
				continue;
			if (nrel == cap) {
				struct relrel *a = realloc(rel, (cap = cap ? 2 * cap : 256) * sizeof(*a));

				if (!a) {
					err = -ENOMEM;
					goto out;
				}
				rel = a;
			}
			rel[nrel].off = r.r_offset;
			rel[nrel++].addend = r.r_addend;
		}
	}
	qsort(rel, nrel, sizeof(*rel), relrel_cmp);
	/* the candidates: relocated pointers to "get" (few), else every 8-byte slot of the
	 * writable data sections (a non-PIE executable) */
	for (size_t i = 0; i < nrel && !(vget && vput); i++) {
		uint64_t o = rel[i].off;

		if (!vget && elf_str_is(e, raw, rawlen, rel[i].addend, "get") &&
		    elf_str_is(e, raw, rawlen, elf_ptr_at(e, raw, rawlen, rel, nrel, o + 32), "get_nowait")) {
			vget = elf_ptr_at(e, raw, rawlen, rel, nrel, o + 8);
			vgetnw = elf_ptr_at(e, raw, rawlen, rel, nrel, o + 40);
		}
		if (!vput && elf_str_is(e, raw, rawlen, rel[i].addend, "put") &&
		    elf_str_is(e, raw, rawlen, elf_ptr_at(e, raw, rawlen, rel, nrel, o + 32), "put_nowait")) {
			int64_t fo = elf_vaddr_off(e, o + 16);
			int32_t flags = 0;

			if (fo >= 0 && (size_t)fo + 4 <= rawlen)
				memcpy(&flags, raw + fo, 4);
			vput = elf_ptr_at(e, raw, rawlen, rel, nrel, o + 8);
			*put_method = flags & 0x0200; /* METH_METHOD */
		}
	}
	scn = NULL;
	while (!nrel && !(vget && vput) && (scn = elf_nextscn(e, scn))) {
		if (!gelf_getshdr(scn, &sh) || sh.sh_type != SHT_PROGBITS || !(sh.sh_flags & SHF_WRITE))
			continue;
		for (uint64_t o = sh.sh_addr; o + 40 <= sh.sh_addr + sh.sh_size; o += 8) {
			uint64_t n = elf_ptr_at(e, raw, rawlen, rel, nrel, o);

			if (!vget && elf_str_is(e, raw, rawlen, n, "get") &&
			    elf_str_is(e, raw, rawlen, elf_ptr_at(e, raw, rawlen, rel, nrel, o + 32), "get_nowait")) {
				vget = elf_ptr_at(e, raw, rawlen, rel, nrel, o + 8);
				vgetnw = elf_ptr_at(e, raw, rawlen, rel, nrel, o + 40);
			}
			if (!vput && elf_str_is(e, raw, rawlen, n, "put") &&
			    elf_str_is(e, raw, rawlen, elf_ptr_at(e, raw, rawlen, rel, nrel, o + 32), "put_nowait")) {
				int32_t flags = 0;
				int64_t fo = elf_vaddr_off(e, o + 16);

				if (fo >= 0)
					memcpy(&flags, raw + fo, 4);
				vput = elf_ptr_at(e, raw, rawlen, rel, nrel, o + 8);
				*put_method = flags & 0x0200;
			}
		}
	}
	if (vget && vgetnw && vput) {
		int64_t og = elf_vaddr_off(e, vget), ogn = elf_vaddr_off(e, vgetnw), op = elf_vaddr_off(e, vput);

		if (og >= 0 && ogn >= 0 && op >= 0) {
			*get = og;
			*get_nowait = ogn;
			*put = op;
			err = 0;
		}
	}
out:
	free(rel);
	if (e)
		elf_end(e);
	close(fd);
	return err;
}

/* The path of the extension module whose file name begins with `base` ("/_asyncio.") that
 * process pid has mapped, or -ENOENT. */
static int mapped_module(int pid, const char *base, char *out, size_t len)
{
	char path[64], line[PATH_MAX + 256];
	int err = -ENOENT;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/maps", pid);
	if (!(f = fopen(path, "re")))
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		char *p = strchr(line, '/'), *b;

		if (!p)
			continue;
		p[strcspn(p, "\n")] = 0;
		b = strrchr(p, '/');
		if (b && !strncmp(b, base, strlen(base)) && strstr(b, ".so")) {
			snprintf(out, len, "%s", p);
			err = 0;
			break;
		}
	}
	fclose(f);
	return err;
}

/* The extension module `base` ("_queue.") that CPython major.minor process pid would load: in
 * its interpreter's prefix (/proc/PID/exe's grandparent), lib/pythonM.N/lib-dynload/BASE*.so. 0
 * and the path, or -ENOENT. A uprobe on a file not yet mapped is installed when the process maps
 * it. */
static int dynload_module(int pid, int major, int minor, const char *base, char *out, size_t len)
{
	char exe[PATH_MAX], link[64], dir[PATH_MAX + 64];
	struct dirent *d;
	ssize_t n;
	char *sl;
	DIR *dp;
	int err = -ENOENT;

	snprintf(link, sizeof(link), "/proc/%d/exe", pid);
	if ((n = readlink(link, exe, sizeof(exe) - 1)) <= 0)
		return -ENOENT;
	exe[n] = 0;
	for (int up = 0; up < 2; up++) {
		if (!(sl = strrchr(exe, '/')))
			return -ENOENT;
		*sl = 0;
	}
	snprintf(dir, sizeof(dir), "%s/lib/python%d.%d/lib-dynload", exe, major, minor);
	if (!(dp = opendir(dir)))
		return -ENOENT;
	while ((d = readdir(dp))) {
		size_t l = strlen(d->d_name);

		if (!strncmp(d->d_name, base, strlen(base)) && l > 3 && !strcmp(d->d_name + l - 3, ".so")) {
			if ((size_t)snprintf(out, len, "%s/%s", dir, d->d_name) < len)
				err = 0;
			break;
		}
	}
	closedir(dp);
	return err;
}

/* asyncio tasks: a uprobe and a uretprobe on each CPython target's task-step function, the
 * exported PyIter_Send (3.10+) or _PyGen_Send (3.8, 3.9), which _asyncio's task_step calls
 * through the interpreter's dynamic symbol table (present in stripped builds too). The
 * uretprobe's cookie says which return convention. A target that is not CPython 3.8-3.13 has
 * none (its why in task_err). */
static void attach_tasks(struct reqtrack *r)
{
	int tgids[64], n = session__targets(r->sess, tgids, 64);

	for (int i = 0; i < n && r->ntlinks + 2 <= (int)(sizeof(r->tlinks) / sizeof(r->tlinks[0])); i++) {
		struct runtime_info ri = { 0 };
		int major = 0, minor = 0, k;
		char mod[PATH_MAX];
		const char *fn, *file;
		uint64_t off = 0;
		bool plt;

		for (k = 0; k < r->ntdone; k++)
			if (r->tdone[k] == tgids[i])
				break;
		if (k < r->ntdone || r->ntdone == (int)(sizeof(r->tdone) / sizeof(r->tdone[0])))
			continue; /* probed already, or not CPython */
		if (runtime_detect_pid("/proc", tgids[i], &ri) || strcmp(ri.name, "cpython") ||
		    sscanf(ri.version, "%d.%d", &major, &minor) != 2) {
			r->tdone[r->ntdone++] = tgids[i]; /* native: no tasks */
			continue;
		}
		if (major != 3 || minor < 8 || minor > 13) {
			snprintf(r->task_err, sizeof(r->task_err), "CPython %s: asyncio tasks are followed on 3.8 to 3.13",
				 ri.version);
			r->tdone[r->ntdone++] = tgids[i];
			continue;
		}
		/* on the _asyncio module it has mapped, or else on the one its interpreter would
		 * import (installed when the process maps it: a process without an event loop pays
		 * nothing); else looked for again every second */
		if (mapped_module(tgids[i], "/_asyncio.", mod, sizeof(mod)) &&
		    dynload_module(tgids[i], major, minor, "_asyncio.", mod, sizeof(mod)))
			continue;
		r->tdone[r->ntdone++] = tgids[i];
		fn = minor >= 10 ? "PyIter_Send" : "_PyGen_Send";
		/* the PLT stub in _asyncio through which task_step calls it: only task steps pay the
		 * uprobes; a module built without a PLT (-fno-plt): the function itself, which the
		 * interpreter's nested awaits call too (the outermost call counts) */
		plt = !plt_stub(mod, fn, &off);
		file = plt ? mod : ri.elf;
		{
			LIBBPF_OPTS(bpf_uprobe_opts, in, .func_name = plt ? NULL : fn);
			LIBBPF_OPTS(bpf_uprobe_opts, out, .func_name = plt ? NULL : fn, .retprobe = true,
				    .bpf_cookie = minor < 10);
			/* the return probe first: a step whose entry is seen has its return seen (an
			 * entry without its return would leave the step's depth counted forever) */
			struct bpf_link *b = bpf_program__attach_uprobe_opts(r->skel->progs.task_send_ret, tgids[i], file,
									     plt ? off : 0, &out);
			struct bpf_link *a = b ? bpf_program__attach_uprobe_opts(r->skel->progs.task_send, tgids[i], file,
										 plt ? off : 0, &in) : NULL;

			if (!a || !b) {
				snprintf(r->task_err, sizeof(r->task_err), "%s in %.*s: %s", fn, PATH_MAX, file, strerror(errno));
				bpf_link__destroy(b);
				continue;
			}
			r->tlinks[r->ntlinks++] = a;
			r->tlinks[r->ntlinks++] = b;
			r->task_probes++;
			r->task_plt += plt;
			log_debug("attached requests task steps: uprobe/uretprobe %s%s in %s (pid %d, offset 0x%llx)", fn,
				  plt ? "@plt" : "", file, tgids[i], (unsigned long long)off);
		}
	}
}

/* queue.SimpleQueue items: a uprobe on put and a uretprobe on get (queue_methods) in each CPython
 * target that has imported _queue (concurrent.futures' executors: each submitted work item is put
 * by the submitting thread and got by a worker). A target without them: why in queue_err. */
static void attach_queues(struct reqtrack *r)
{
	int tgids[64], n = session__targets(r->sess, tgids, 64);

	for (int i = 0; i < n && r->nqlinks + 5 <= (int)(sizeof(r->qlinks) / sizeof(r->qlinks[0])); i++) {
		struct runtime_info ri = { 0 };
		char mod[PATH_MAX];
		const char *file;
		uint64_t get = 0, getnw = 0, put = 0;
		bool put_method = false;
		int k, err, major = 0, minor = 0;

		for (k = 0; k < r->nqdone; k++)
			if (r->qdone[k] == tgids[i])
				break;
		if (k < r->nqdone || r->nqdone == (int)(sizeof(r->qdone) / sizeof(r->qdone[0])))
			continue;
		for (k = 0; k < r->nqpy; k++)
			if (r->qpy[k] == tgids[i])
				break;
		if (k == r->nqpy) {
			/* a target not yet known to be CPython: detected once */
			if (runtime_detect_pid("/proc", tgids[i], &ri) || strcmp(ri.name, "cpython") ||
			    r->nqpy == (int)(sizeof(r->qpy) / sizeof(r->qpy[0]))) {
				r->qdone[r->nqdone++] = tgids[i]; /* no Python queues */
				continue;
			}
			r->qpy[r->nqpy++] = tgids[i];
			/* the module it would import, probed before it is mapped: work items of an
			 * executor started after this are all seen */
			if (mapped_module(tgids[i], "/_queue.", mod, sizeof(mod)) &&
			    sscanf(ri.version, "%d.%d", &major, &minor) == 2 &&
			    !dynload_module(tgids[i], major, minor, "_queue.", mod, sizeof(mod)))
				goto found;
		}
		/* else once it has imported _queue (queue, concurrent.futures: often at the first
		 * run_in_executor): looked for at every tick, one read of its memory map */
		if (mapped_module(tgids[i], "/_queue.", mod, sizeof(mod)))
			continue;
found:
		file = mod;
		r->qdone[r->nqdone++] = tgids[i];
		if ((err = queue_methods(file, &get, &getnw, &put, &put_method))) {
			snprintf(r->queue_err, sizeof(r->queue_err), "queue.SimpleQueue's get/put not found in %.*s: %s",
				 PATH_MAX, file, strerror(-err));
			continue;
		}
		{
			LIBBPF_OPTS(bpf_uprobe_opts, in, .bpf_cookie = put_method);
			LIBBPF_OPTS(bpf_uprobe_opts, out, .retprobe = true);
			LIBBPF_OPTS(bpf_uprobe_opts, plain);
			/* gets' returns first, then their entries, then put: an item put with a probe
			 * is got with one (a worker already waiting in get is not seen returning) */
			struct bpf_link *b = bpf_program__attach_uprobe_opts(r->skel->progs.queue_get_ret, tgids[i], file, get,
									     &out);
			struct bpf_link *c = b ? bpf_program__attach_uprobe_opts(r->skel->progs.queue_get_ret, tgids[i], file,
										getnw, &out) : NULL;
			struct bpf_link *d = c ? bpf_program__attach_uprobe_opts(r->skel->progs.queue_get, tgids[i], file,
										get, &plain) : NULL;
			struct bpf_link *e = d ? bpf_program__attach_uprobe_opts(r->skel->progs.queue_get, tgids[i], file,
										getnw, &plain) : NULL;
			struct bpf_link *a = e ? bpf_program__attach_uprobe_opts(r->skel->progs.queue_put, tgids[i], file, put,
										 &in) : NULL;

			if (!a) {
				snprintf(r->queue_err, sizeof(r->queue_err), "queue.SimpleQueue in %.*s: %s", PATH_MAX, file,
					 strerror(errno));
				bpf_link__destroy(b);
				bpf_link__destroy(c);
				bpf_link__destroy(d);
				bpf_link__destroy(e);
				continue;
			}
			r->qlinks[r->nqlinks++] = a;
			r->qlinks[r->nqlinks++] = b;
			r->qlinks[r->nqlinks++] = c;
			r->qlinks[r->nqlinks++] = d;
			r->qlinks[r->nqlinks++] = e;
			r->queue_probes++;
			log_debug("attached requests queue items: uprobe SimpleQueue.put (0x%llx), uretprobes .get (0x%llx), "
				  ".get_nowait (0x%llx) in %s (pid %d)", (unsigned long long)put, (unsigned long long)get,
				  (unsigned long long)getnw, file, tgids[i]);
		}
	}
}

struct reqtrack *reqtrack__new(struct session *s, const struct reqtrack_opts *o)
{
	struct reqtrack *r = calloc(1, sizeof(*r));
	int err;

	if (!r)
		return NULL;
	r->sess = s;
	r->o = *o;
	r->lo = 1;
	r->eps = calloc(MAX_ENDPOINTS, sizeof(*r->eps));
	r->ex = calloc(o->exemplars > 0 ? o->exemplars : 1, sizeof(*r->ex));
	r->skel = requests_bpf__open();
	if (!r->eps || !r->ex || !r->skel) {
		err = -errno;
		log_err("opening the requests BPF object: %s", strerror(errno));
		goto fail;
	}
	if ((err = session__share_maps(s, r->skel->obj)))
		goto fail;
	r->skel->rodata->gil_known = o->gil;
	if ((err = requests_bpf__load(r->skel))) {
		log_err("loading the requests BPF object: %s", strerror(-err));
		goto fail;
	}
	if ((err = requests_bpf__attach(r->skel))) {
		log_err("attaching sock:sock_recv_length/sock_send_length/inet_sock_set_state: %s", strerror(-err));
		goto fail;
	}
	if (o->requests_log && !(r->log = fopen(o->requests_log, "w"))) {
		err = -errno;
		log_err("--requests-log %s: %s", o->requests_log, strerror(errno));
		goto fail;
	}
	r->rb = ring_buffer__new(bpf_map__fd(r->skel->maps.req_events), on_event, r, NULL);
	if (!r->rb) {
		err = -errno;
		goto fail;
	}
	if ((err = session__set_requests(s, true)))
		goto fail;
	log_debug("attached requests: tp_btf/sock_recv_length, tp_btf/sock_send_length, tp_btf/inet_sock_set_state");
	return r;
fail:
	reqtrack__free(r);
	errno = -err;
	return NULL;
}

void reqtrack__drain(struct reqtrack *r)
{
	if (r && !r->stopped)
		ring_buffer__consume(r->rb);
}

void reqtrack__poll(struct reqtrack *r)
{
	uint64_t now;

	if (!r || r->stopped)
		return;
	/* the targets are known from the first tick on; a target that imports asyncio later is
	 * probed within a second of it (every 10th tick) */
	if (r->o.no_tasks) {
		snprintf(r->task_err, sizeof(r->task_err), "--asyncio-tasks off");
	} else if (r->task_ticks % 10 == 0) {
		attach_tasks(r);
	}
	r->task_ticks++;
	attach_queues(r);
	ring_buffer__consume(r->rb);
	now = mono_ns();
	/* fold what ended a while ago, from the oldest id up to the first still open */
	while (r->lo <= r->max_id) {
		struct rq *q = r->rqs[r->lo];

		if (q && (!q->ended_at || now - q->ended_at < FOLD_AFTER_NS))
			break;
		if (q)
			fold_id(r, r->lo);
		r->lo++;
	}
	if (r->log)
		fflush(r->log); /* load --split-with reads it while the recording goes on */
}

/* What live threads' probes measured since their last operation on a served connection is still
 * in their task storage (an executor thread that never touches a socket holds all of its own
 * there): read it through a pidfd per thread (PIDFD_THREAD, Linux 6.9), into outside_requests. */
static void read_pending(struct reqtrack *r)
{
	int tgids[1024], n = session__targets(r->sess, tgids, 1024);
	int mfd = bpf_map__fd(r->skel->maps.thread_ctxs);
	struct thread_ctx *tc = malloc(sizeof(*tc));

	if (!tc)
		return;
	for (int i = 0; i < n; i++) {
		char path[64];
		struct dirent *de;
		DIR *d;

		snprintf(path, sizeof(path), "/proc/%d/task", tgids[i]);
		if (!(d = opendir(path)))
			continue;
		while ((de = readdir(d))) {
			int tid = atoi(de->d_name), pfd;

			if (tid <= 0)
				continue;
			pfd = syscall(SYS_pidfd_open, tid, PIDFD_THREAD);
			if (pfd < 0) {
				if (errno != ESRCH)
					r->stop_read_err = -errno;
				continue;
			}
			if (!bpf_map_lookup_elem(mfd, &pfd, tc) && tc->pend_any) {
				/* a lent helper's: its owner's (a request, or a task still held) */
				account_to(r, tc->task ? (REQ_TASK_BIT | tc->task) : tc->lent_owner, &tc->pend);
				r->stop_accounts++;
			}
			close(pfd);
		}
		closedir(d);
	}
	free(tc);
}

void reqtrack__stop(struct reqtrack *r)
{
	struct req_conn c;
	__u64 key, next;
	int fd;

	if (!r || r->stopped)
		return;
	session__set_requests(r->sess, false);
	requests_bpf__detach(r->skel);
	while (r->ntlinks)
		bpf_link__destroy(r->tlinks[--r->ntlinks]);
	while (r->nqlinks)
		bpf_link__destroy(r->qlinks[--r->nqlinks]);
	ring_buffer__consume(r->rb);
	read_pending(r);
	/* tasks' accounts never bound to a request (work after a task's last write, a task that
	 * never wrote): outside any request, counted */
	for (int i = 0; i < r->nheld; i++)
		if (r->held[i].task)
			held_release(r, &r->held[i], 0, &r->task_unbound);
	/* requests whose connection is still open: answered ones end at their last write */
	fd = bpf_map__fd(r->skel->maps.conns);
	for (int more = bpf_map_get_next_key(fd, NULL, &key) == 0; more;
	     more = bpf_map_get_next_key(fd, &key, &next) == 0, key = next) {
		struct rq *q;

		if (bpf_map_lookup_elem(fd, &key, &c) || !(q = find(r, c.req_id)) || q->ended_at)
			continue;
		if (!c.sends) { /* still unanswered: incomplete, but the syscalls around its reads count */
			q->syscalls += c.op_syscalls;
			q->sys_ns += c.op_sys_ns;
			q->sys_other += c.op_sys_other;
			for (int i = 0; i < REQ_OP_SLOTS && c.op_sys[i].count; i++)
				slot_add(q->sys, &q->nsys, USYS, c.op_sys[i].key, c.op_sys[i].count, c.op_sys[i].ns,
					 &q->sys_other);
			continue;
		}
		{
			struct req_end_ev ev = { .kind = REQ_EV_END, .id = c.req_id, .start_ns = c.start_ns,
						 .end_ns = c.last_send_ns, .bytes_in = c.bytes_in,
						 .bytes_out = c.bytes_out, .sends = c.sends,
						 .op_syscalls = c.op_syscalls, .op_sys_other = c.op_sys_other,
						 .op_sys_ns = c.op_sys_ns, .oncpu_ns = c.oncpu_ns,
						 .read_span_ns = c.last_read_ns > c.start_ns ? c.last_read_ns - c.start_ns : 0,
						 .gap_max_ns = c.gap_max_ns, .gaps = c.gaps, .stalls = c.stalls };

			memcpy(ev.op_sys, c.op_sys, sizeof(ev.op_sys));
			end_into(q, &ev);
			q->ended_at = 1;
		}
	}
	for (uint64_t id = r->lo; id <= r->max_id; id++)
		if (r->rqs[id])
			fold_id(r, id);
	r->lo = r->max_id + 1;
	r->stopped = true;
	/* a write that failed (a full disk) leaves the log short: said, not silent */
	if (r->log && (fflush(r->log) || ferror(r->log)))
		log_warn("--requests-log: writing the request log failed (%s): it is incomplete",
			 errno ? strerror(errno) : "write error");
}

/* {"mean", "p50", "p95", "p99"[, "max"]} of a distribution with n_zero more zeros, each value
 * divided by scale (1e3: ns to us). Quantiles are nearest-rank: an actual count for integers. */
static cJSON *dist_json(struct qhist *h, uint64_t n_zero, double scale, bool with_max)
{
	cJSON *o = cJSON_CreateObject();
	uint64_t total = h->n + n_zero;
	static const double qs[] = { 0.50, 0.95, 0.99 };
	static const char *const names[] = { "p50", "p95", "p99" };

	if (!total || !h->slots) {
		if (total) { /* only zeros */
			cJSON_AddNumberToObject(o, "mean", 0);
			for (int i = 0; i < 3; i++)
				cJSON_AddNumberToObject(o, names[i], 0);
			if (with_max)
				cJSON_AddNumberToObject(o, "max", 0);
		} else {
			cJSON_AddNullToObject(o, "mean");
		}
		return o;
	}
	h->slots[0] += n_zero;
	cJSON_AddNumberToObject(o, "mean", h->sum / total / scale);
	for (int i = 0; i < 3; i++)
		cJSON_AddNumberToObject(o, names[i], hist_quantile(h->slots, HIST_SLOTS, qs[i], h->max) / scale);
	if (with_max)
		cJSON_AddNumberToObject(o, "max", h->max / scale);
	h->slots[0] -= n_zero;
	return o;
}

static cJSON *latency_json(struct qhist *h)
{
	cJSON *o = cJSON_CreateObject();
	static const double qs[] = { 0.50, 0.90, 0.95, 0.99 };
	static const char *const names[] = { "p50_ms", "p90_ms", "p95_ms", "p99_ms" };

	if (!h->n || !h->slots) {
		cJSON_AddNullToObject(o, "mean_ms");
		return o;
	}
	cJSON_AddNumberToObject(o, "mean_ms", h->sum / h->n / 1e6);
	for (int i = 0; i < 4; i++)
		cJSON_AddNumberToObject(o, names[i], hist_quantile(h->slots, HIST_SLOTS, qs[i], h->max) / 1e6);
	cJSON_AddNumberToObject(o, "max_ms", h->max / 1e6);
	return o;
}

static bool metric_is_time(int m)
{
	return m == M_GIL_WAIT || m == M_GIL_HOLD || m == M_FFI_TIME || m == M_GC_TIME || m == M_SYS_TIME;
}

/* Is metric m measured in this run? If not, why. */
static const char *metric_missing(const struct reqtrack *r, int m)
{
	switch (m) {
	case M_GIL_WAIT:
		return r->o.gil ? NULL : "the gil probe is off";
	case M_GIL_HOLD:
		return r->o.gil && r->o.gil_exact ? NULL
						  : "GIL holds need the exact GIL method (--gil-method exact, on an "
						    "interpreter with take_gil/drop_gil symbols)";
	case M_FFI_CROSS:
	case M_FFI_TIME:
		return r->o.ffi ? NULL : "native calls are counted only for functions given with --ffi LIB[:GLOB]";
	case M_GC_PAUSES:
	case M_GC_TIME:
		return r->o.gc ? NULL : "the gc probe is off";
	case M_SYSCALLS:
	case M_SYS_TIME:
		return r->o.syscalls ? NULL
				     : "syscalls are counted only with the syscalls probe (--probes ...,syscalls), "
				       "which slows every syscall";
	case M_SAMPLES:
		return r->o.stacks ? NULL : "the stacks probe is off";
	}
	return NULL;
}

static void add_syscall_name(cJSON *j, uint32_t nr)
{
	const char *n = syscall_name(nr);
	char buf[32];

	if (!n) {
		snprintf(buf, sizeof(buf), "syscall_%u", nr);
		n = buf;
	}
	cJSON_AddStringToObject(j, "name", n);
}

static int cmp_keyagg(const void *a, const void *b)
{
	const struct keyagg *x = a, *y = b;

	return (x->ns < y->ns) - (x->ns > y->ns);
}

static void add_ffi_name(cJSON *j, struct ffi *ffi, uint32_t key)
{
	const char *lib, *sym, *py;

	if (ffi && !ffi__func_info(ffi, key, &lib, &sym, &py)) {
		cJSON_AddStringToObject(j, "library", lib);
		cJSON_AddStringToObject(j, "symbol", sym);
		if (py[0])
			cJSON_AddStringToObject(j, "python_name", py);
		else
			cJSON_AddNullToObject(j, "python_name");
	} else {
		cJSON_AddNumberToObject(j, "function_index", key);
	}
}

static cJSON *top_json(struct keyagg *k, int n, uint64_t answered, bool is_ffi, struct ffi *ffi)
{
	cJSON *arr = cJSON_CreateArray();

	qsort(k, n, sizeof(*k), cmp_keyagg);
	for (int i = 0; i < n && i < TOP_KEYS; i++) {
		cJSON *j = cJSON_CreateObject();

		if (is_ffi)
			add_ffi_name(j, ffi, k[i].key);
		else
			add_syscall_name(j, k[i].key);
		cJSON_AddNumberToObject(j, "calls", k[i].calls);
		cJSON_AddNumberToObject(j, "total_ms", k[i].ns / 1e6);
		cJSON_AddItemToObject(j, "per_request", dist_json(&k[i].per_req, answered - k[i].per_req.n, 1, false));
		cJSON_AddNumberToObject(j, "time_us_per_request", answered ? k[i].ns / 1e3 / answered : 0);
		cJSON_AddItemToArray(arr, j);
	}
	return arr;
}

static cJSON *breakdown_json(struct reqtrack *r, const struct rq *q, struct ffi *ffi)
{
	cJSON *b = cJSON_CreateObject(), *a;
	double v[M_COUNT] = {
		[M_GIL_WAIT] = q->gil_wait_ns / 1e3, [M_GIL_HOLD] = q->gil_hold_ns / 1e3,
		[M_FFI_CROSS] = q->ffi_calls,	     [M_FFI_TIME] = q->ffi_ns / 1e3,
		[M_GC_PAUSES] = q->gc_pauses,	     [M_GC_TIME] = q->gc_ns / 1e3,
		[M_SYSCALLS] = q->syscalls,	     [M_SYS_TIME] = q->sys_ns / 1e3,
		[M_SAMPLES] = q->samples,
	};

	for (int m = 0; m < M_COUNT; m++) {
		if (metric_missing(r, m))
			cJSON_AddNullToObject(b, metric_names[m]);
		else
			cJSON_AddNumberToObject(b, metric_names[m], v[m]);
	}
	if (!metric_missing(r, M_SYSCALLS)) {
		a = cJSON_AddArrayToObject(b, "syscalls_by_name");
		for (int i = 0; i < q->nsys; i++) {
			cJSON *j = cJSON_CreateObject();

			add_syscall_name(j, q->sys[i].key);
			cJSON_AddNumberToObject(j, "count", q->sys[i].count);
			cJSON_AddNumberToObject(j, "time_us", q->sys[i].ns / 1e3);
			cJSON_AddItemToArray(a, j);
		}
	}
	if (!metric_missing(r, M_FFI_CROSS)) {
		a = cJSON_AddArrayToObject(b, "ffi_by_function");
		for (int i = 0; i < q->nffi; i++) {
			cJSON *j = cJSON_CreateObject();

			add_ffi_name(j, ffi, q->ffi[i].key);
			cJSON_AddNumberToObject(j, "calls", q->ffi[i].count);
			cJSON_AddNumberToObject(j, "time_us", q->ffi[i].ns / 1e3);
			cJSON_AddItemToArray(a, j);
		}
	}
	return b;
}

static int cmp_ex(const void *a, const void *b)
{
	const struct rq *x = a, *y = b;
	uint64_t dx = x->end_ns - x->start_ns, dy = y->end_ns - y->start_ns;

	return (dx < dy) - (dx > dy);
}

static uint64_t stat_sum(struct reqtrack *r, int idx)
{
	int ncpu = libbpf_num_possible_cpus();
	uint64_t *v, sum = 0;
	__u32 k = idx;

	if (ncpu <= 0 || !(v = calloc(ncpu, sizeof(*v))))
		return 0;
	if (!bpf_map_lookup_elem(bpf_map__fd(r->skel->maps.req_stats), &k, v))
		for (int i = 0; i < ncpu; i++)
			sum += v[i];
	free(v);
	return sum;
}

void reqtrack__report(struct reqtrack *r, cJSON *doc, cJSON *prof, struct ffi *ffi)
{
	cJSON *o = cJSON_CreateObject(), *eps, *ex, *un, *miss, *out;
	uint64_t total = 0, incomplete = 0, closed = 0;
	double handler_ms = 0, ser_ms = 0;
	bool ser = false;
	char missing[512] = "";

	reqtrack__stop(r);
	/* holds only where the exact method really ran (a stripped interpreter falls back) */
	if (r->o.gil_exact) {
		const cJSON *m = cJSON_GetObjectItem(cJSON_GetObjectItem(prof, "gil"), "method");

		r->o.gil_exact = cJSON_IsString(m) && !strcmp(m->valuestring, "uprobe:take_gil");
	}
	cJSON_AddStringToObject(o, "method", "sock_tracepoints");
	cJSON_AddStringToObject(o, "how",
				"request boundaries from tp_btf sock_recv_length / sock_send_length / "
				"inet_sock_set_state: a read of a TCP connection with no unanswered request "
				"whose first bytes are an HTTP request line begins a request (the line read "
				"from the user buffer in BPF); its writes answer it; latency is its first read "
				"to its last write. Attribution: what a thread's probes measure between two "
				"operations on served connections goes, at a write, to the request written; "
				"at a read, to the request of the thread's previous operation if still "
				"unanswered, else to no request. Pipelined requests (several in one read, or read "
				"while one is unanswered) queue on their connection; each write that begins a "
				"response (\"HTTP/\") after the current one was answered answers the next");
	cJSON_AddStringToObject(o, "attribution_rule",
				"exact for thread-per-request servers; on an event loop, an asyncio task's work "
				"goes to the request the task writes (across awaits; asyncio_tasks), other work "
				"between two socket operations to the request of the next write (or of the last "
				"read, if no write comes before the next read); threads that never touch a served "
				"socket work for the request of the thread that woke them (across_threads): see "
				"docs/requests.md for measured accuracy");
	cJSON_AddStringToObject(o, "normalization", endpoint_rule);
	eps = cJSON_CreateArray();
	for (int i = 0; i < r->neps; i++) {
		struct endpoint *e = &r->eps[i];
		cJSON *j = cJSON_CreateObject(), *pr;

		cJSON_AddStringToObject(j, "endpoint", e->name);
		cJSON_AddNumberToObject(j, "count", e->answered);
		cJSON_AddNumberToObject(j, "incomplete", e->incomplete);
		cJSON_AddNumberToObject(j, "closed_unanswered", e->unanswered_closed);
		handler_ms += e->lat_ns.sum / 1e6;
		cJSON_AddItemToObject(j, "latency", latency_json(&e->lat_ns));
		pr = cJSON_AddObjectToObject(j, "per_request");
		for (int m = 0; m < M_COUNT; m++) {
			if (metric_missing(r, m))
				cJSON_AddNullToObject(pr, metric_names[m]);
			else
				cJSON_AddItemToObject(pr, metric_names[m],
						      dist_json(&e->m[m], 0, metric_is_time(m) ? 1e3 : 1, true));
		}
		if (!metric_missing(r, M_FFI_CROSS)) {
			cJSON_AddItemToObject(j, "top_ffi", top_json(e->ffi, e->nffi, e->answered, true, ffi));
			for (int k = 0; k < e->nffi; k++) {
				const char *lib, *sym, *py;

				if (ffi && !ffi__func_info(ffi, e->ffi[k].key, &lib, &sym, &py) && strstr(lib, "json")) {
					ser_ms += e->ffi[k].ns / 1e6;
					ser = true;
				}
			}
		} else {
			cJSON_AddNullToObject(j, "top_ffi");
		}
		if (!metric_missing(r, M_SYSCALLS))
			cJSON_AddItemToObject(j, "top_syscalls", top_json(e->sys, e->nsys, e->answered, false, NULL));
		else
			cJSON_AddNullToObject(j, "top_syscalls");
		total += e->answered;
		incomplete += e->incomplete;
		closed += e->unanswered_closed;
		cJSON_AddItemToArray(eps, j);
	}
	cJSON_AddNumberToObject(o, "count", total);
	cJSON_AddNumberToObject(o, "incomplete", incomplete);
	cJSON_AddNumberToObject(o, "closed_unanswered", closed);
	cJSON_AddItemToObject(o, "endpoints", eps);
	qsort(r->ex, r->nex, sizeof(*r->ex), cmp_ex);
	ex = cJSON_AddArrayToObject(o, "exemplars");
	for (int i = 0; i < r->nex; i++) {
		cJSON *j = cJSON_CreateObject();

		cJSON_AddStringToObject(j, "endpoint", r->ex[i].ep >= 0 ? r->eps[r->ex[i].ep].name : "?");
		cJSON_AddNumberToObject(j, "latency_ms", (r->ex[i].end_ns - r->ex[i].start_ns) / 1e6);
		cJSON_AddNumberToObject(j, "tid", r->ex[i].tid);
		cJSON_AddNumberToObject(j, "bytes_in", r->ex[i].bytes_in);
		cJSON_AddNumberToObject(j, "bytes_out", r->ex[i].bytes_out);
		cJSON_AddItemToObject(j, "breakdown", breakdown_json(r, &r->ex[i], ffi));
		cJSON_AddItemToArray(ex, j);
	}
	{
		/* the client's own pace, seen from the server (the slow-client diagnosis reads it) */
		cJSON *cs = cJSON_AddObjectToObject(o, "client_signals");

		cJSON_AddStringToObject(cs, "method",
					"read_span: a request's first read to its last read before the response's "
					"first write (the client still sending it); write_gaps: a pause of 40 ms or "
					"more between two writes of one response after a write shorter than a "
					"segment, with no read between; window_stalled_writes: writes that left "
					"bytes unsent which the client's receive window had no room for (the "
					"client not reading)");
		cJSON_AddItemToObject(cs, "read_span_ms", latency_json(&r->read_span));
		cJSON_AddNumberToObject(cs, "slow_sends", (double)r->slow_sends);
		cJSON_AddNumberToObject(cs, "slow_send_ms", REQ_SLOW_SEND_NS / 1e6);
		cJSON_AddNumberToObject(cs, "slow_sends_total_ms", r->slow_send_ns / 1e6);
		cJSON_AddNumberToObject(cs, "write_gap_responses", (double)r->gap_responses);
		cJSON_AddNumberToObject(cs, "write_gaps", (double)r->gaps);
		cJSON_AddItemToObject(cs, "write_gap_max_ms", latency_json(&r->gap));
		cJSON_AddNumberToObject(cs, "window_stalled_responses", (double)r->stalled_responses);
		cJSON_AddNumberToObject(cs, "window_stalled_writes", (double)r->stalls);
	}
	out = breakdown_json(r, &r->outside, ffi);
	cJSON_AddItemToObject(o, "outside_requests", out);
	{
		cJSON *u = breakdown_json(r, &r->unfinished, ffi), *cons = cJSON_AddObjectToObject(o, "conservation");
		struct { const char *name; int m; uint64_t in, unf, outv; } rows[] = {
			{ "syscalls", M_SYSCALLS, r->answered.syscalls, r->unfinished.syscalls, r->outside.syscalls },
			{ "gil_waits", M_GIL_WAIT, r->answered.gil_waits, r->unfinished.gil_waits, r->outside.gil_waits },
			{ "gc_pauses", M_GC_PAUSES, r->answered.gc_pauses, r->unfinished.gc_pauses, r->outside.gc_pauses },
			{ "ffi_calls", M_FFI_CROSS, r->answered.ffi_calls, r->unfinished.ffi_calls, r->outside.ffi_calls },
			{ "cpu_samples", M_SAMPLES, r->answered.samples, r->unfinished.samples, r->outside.samples },
		};

		cJSON_AddNumberToObject(u, "requests", r->n_unfinished);
		cJSON_AddItemToObject(o, "unfinished_requests", u);
		cJSON_AddStringToObject(cons, "rule",
					"every event a probe measured for the target is counted once: in an answered "
					"request (in_requests, the endpoints' sums), in a request never answered or "
					"whose line did not parse (in_unfinished_requests), or outside any request "
					"(outside_requests: between requests, threads that never touch a served "
					"socket such as executor threads, read from their task storage at the end or "
					"at their exit)");
		for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
			cJSON *j;

			if (metric_missing(r, rows[i].m)) {
				cJSON_AddNullToObject(cons, rows[i].name);
				continue;
			}
			j = cJSON_AddObjectToObject(cons, rows[i].name);
			cJSON_AddNumberToObject(j, "in_requests", rows[i].in);
			cJSON_AddNumberToObject(j, "in_unfinished_requests", rows[i].unf);
			cJSON_AddNumberToObject(j, "outside_requests", rows[i].outv);
			cJSON_AddNumberToObject(j, "total", rows[i].in + rows[i].unf + rows[i].outv);
		}
		cJSON_AddNumberToObject(cons, "thread_accounts_read_at_end", r->stop_accounts);
		cJSON_AddNumberToObject(cons, "thread_accounts_flushed_at_exit", stat_sum(r, REQ_STAT_EXIT_FLUSH));
		if (r->stop_read_err)
			profile_warn(doc, "requests", "the pending accounts of live threads could not all be read at the "
				     "end (pidfd_open with PIDFD_THREAD: %s): events measured since a thread's last socket "
				     "operation may be missing from outside_requests", strerror(-r->stop_read_err));
	}
	{
		cJSON *x = cJSON_AddObjectToObject(o, "across_threads");

		cJSON_AddStringToObject(x, "rule",
					"a helper thread (one that never reads or writes a served connection) woken by "
					"a thread working for a request or an asyncio task (a futex, eventfd or pipe "
					"wake: tp_btf sched_waking / sched_wakeup_new) works for it until it wakes that "
					"thread back or is woken again; GIL hand-offs are not causes; a wake by a thread "
					"working for no single request is counted in wakes_untied and the helper's work "
					"goes outside requests");
		cJSON_AddNumberToObject(x, "wakes_lent", stat_sum(r, REQ_STAT_WAKE_LENT));
		cJSON_AddNumberToObject(x, "wakes_untied", stat_sum(r, REQ_STAT_WAKE_UNTIED));
		cJSON_AddNumberToObject(x, "handed_back", stat_sum(r, REQ_STAT_WAKE_BACK));
		cJSON_AddNumberToObject(x, "results_to_waiting_request", stat_sum(r, REQ_STAT_WAKE_RESULT));
		cJSON_AddNumberToObject(x, "ended_by_outside_wake", stat_sum(r, REQ_STAT_WAKE_OTHER));
		cJSON_AddNumberToObject(x, "wakes_unclassified", stat_sum(r, REQ_STAT_WAKE_NOGIL));
		/* queue.SimpleQueue items (concurrent.futures executors, run_in_executor) */
		{
			cJSON *q = cJSON_AddObjectToObject(x, "queue_items");

			cJSON_AddStringToObject(q, "rule",
						"an item put on a queue.SimpleQueue (concurrent.futures' work items) by a "
						"thread working for a request or task is that owner's: the helper that gets "
						"it (uretprobe on get, the item's address) works for that owner until it "
						"hands back (wakes the putter or writes an event loop's self-pipe) or calls "
						"get again (ended_at_next_get: no hand-back seen); an item put by a thread working for no single request is "
						"counted in untied and its work goes outside requests");
			cJSON_AddNumberToObject(q, "interpreters_probed", r->queue_probes);
			cJSON_AddNumberToObject(q, "lent", stat_sum(r, REQ_STAT_ITEM_LENT));
			cJSON_AddNumberToObject(q, "untied", stat_sum(r, REQ_STAT_ITEM_UNTIED));
			cJSON_AddNumberToObject(q, "ended_at_next_get", stat_sum(r, REQ_STAT_ITEM_DONE));
			if (r->queue_err[0]) {
				cJSON_AddStringToObject(q, "not_followed", r->queue_err);
				profile_warn(doc, "requests", "queue items not followed: %s", r->queue_err);
			}
		}
		if (stat_sum(r, REQ_STAT_WAKE_NOGIL))
			profile_warn(doc, "requests", "work handed to other threads is not followed: the gil probe is off, "
				     "so a GIL hand-off cannot be told from a hand-off of work (%llu wakes not classified)",
				     (unsigned long long)stat_sum(r, REQ_STAT_WAKE_NOGIL));
		x = cJSON_AddObjectToObject(o, "asyncio_tasks");
		cJSON_AddStringToObject(x, "rule",
					"what a thread measures inside an asyncio task's step (the outermost "
					"PyIter_Send/_PyGen_Send of a coroutine, uprobes) is the task's, and goes to the "
					"request the task next writes or reads (a task that finishes: to its last one); "
					"the loop's work outside tasks goes to the request of its last read if unanswered");
		cJSON_AddNumberToObject(x, "interpreters_probed", r->task_probes);
		cJSON_AddNumberToObject(x, "probed_at_asyncio_plt", r->task_plt);
		cJSON_AddNumberToObject(x, "steps", stat_sum(r, REQ_STAT_TASK_STEPS));
		cJSON_AddNumberToObject(x, "held_accounts_bound", r->task_bound);
		cJSON_AddNumberToObject(x, "held_accounts_to_last_request", r->task_done_to_last);
		cJSON_AddNumberToObject(x, "held_accounts_unbound", r->task_unbound);
		cJSON_AddNumberToObject(x, "late_accounts_to_last_request", r->task_late_to_last);
		if (r->task_err[0]) {
			cJSON_AddStringToObject(x, "not_followed", r->task_err);
			profile_warn(doc, "requests", "asyncio tasks not followed: %s", r->task_err);
		} else {
			cJSON_AddNullToObject(x, "not_followed");
		}
	}
	cJSON_AddNumberToObject(o, "pipelined", stat_sum(r, REQ_STAT_PIPELINED));
	if (stat_sum(r, REQ_STAT_PIPE_FULL))
		profile_warn(doc, "requests", "%llu pipelined requests arrived behind %d already queued on their "
			     "connection: not counted", (unsigned long long)stat_sum(r, REQ_STAT_PIPE_FULL), REQ_PIPE);
	un = cJSON_AddObjectToObject(o, "unparsed");
	cJSON_AddNumberToObject(un, "tls_connections", stat_sum(r, REQ_STAT_TLS));
	cJSON_AddNumberToObject(un, "http2_connections", stat_sum(r, REQ_STAT_HTTP2));
	cJSON_AddNumberToObject(un, "unix_socket_requests", stat_sum(r, REQ_STAT_UNIX));
	cJSON_AddNumberToObject(un, "reads_without_buffer", stat_sum(r, REQ_STAT_NO_BUFFER));
	cJSON_AddNumberToObject(o, "lost_events", stat_sum(r, REQ_STAT_RING_FULL) + stat_sum(r, REQ_STAT_CONN_FULL));
	cJSON_AddNumberToObject(o, "late_accounts", r->late_accounts);
	miss = cJSON_AddObjectToObject(o, "not_measured");
	for (int m = 0; m < M_COUNT; m++) {
		const char *why = metric_missing(r, m);

		if (why) {
			cJSON_AddStringToObject(miss, metric_names[m], why);
			snprintf(missing + strlen(missing), sizeof(missing) - strlen(missing), "%s%s",
				 missing[0] ? ", " : "", metric_names[m]);
		}
	}
	if (missing[0])
		profile_warn(doc, "requests", "per-request %s not measured: their probes are off (see requests.not_measured)",
			     missing);
	if (stat_sum(r, REQ_STAT_TLS) || stat_sum(r, REQ_STAT_HTTP2))
		profile_warn(doc, "requests", "%llu TLS and %llu HTTP/2 connections: their requests cannot be parsed and are not counted",
			     (unsigned long long)stat_sum(r, REQ_STAT_TLS), (unsigned long long)stat_sum(r, REQ_STAT_HTTP2));
	if (stat_sum(r, REQ_STAT_UNIX))
		profile_warn(doc, "requests", "%llu HTTP requests over unix sockets are not attributed",
			     (unsigned long long)stat_sum(r, REQ_STAT_UNIX));
	if (stat_sum(r, REQ_STAT_RING_FULL) || stat_sum(r, REQ_STAT_CONN_FULL))
		profile_warn(doc, "requests", "%llu request events were lost (ring buffer or connection map full)",
			     (unsigned long long)(stat_sum(r, REQ_STAT_RING_FULL) + stat_sum(r, REQ_STAT_CONN_FULL)));
	if (incomplete)
		profile_warn(doc, "requests", "%llu requests were still unanswered when the run ended (incomplete)",
			     (unsigned long long)incomplete);
	cJSON_AddItemToObject(prof, "requests", o);
	{
		cJSON *py = cJSON_GetObjectItem(prof, "python");

		if (cJSON_IsObject(py)) {
			cJSON_ReplaceItemInObject(py, "handler_time_ms", cJSON_CreateNumber(handler_ms));
			if (ser)
				cJSON_ReplaceItemInObject(py, "serialization_time_ms", cJSON_CreateNumber(ser_ms));
		}
		if (!ser && cJSON_IsObject(py))
			profile_warn(doc, "python",
				     "serialization_time_ms: needs a JSON library's functions probed with --ffi "
				     "(a library whose name contains 'json', e.g. --ffi ujson): null");
	}
}

void reqtrack__free(struct reqtrack *r)
{
	if (!r)
		return;
	while (r->ntlinks)
		bpf_link__destroy(r->tlinks[--r->ntlinks]);
	while (r->nqlinks)
		bpf_link__destroy(r->qlinks[--r->nqlinks]);
	free(r->held);
	ring_buffer__free(r->rb);
	requests_bpf__destroy(r->skel);
	for (uint64_t id = 0; id < r->cap; id++)
		free(r->rqs[id]);
	free(r->rqs);
	free(r->ep_of);
	if (r->eps) {
		for (int i = 0; i < r->neps; i++) {
			struct endpoint *e = &r->eps[i];

			free(e->lat_ns.slots);
			for (int m = 0; m < M_COUNT; m++)
				free(e->m[m].slots);
			for (int k = 0; k < e->nsys; k++)
				free(e->sys[k].per_req.slots);
			for (int k = 0; k < e->nffi; k++)
				free(e->ffi[k].per_req.slots);
			free(e->sys);
			free(e->ffi);
		}
		free(r->eps);
	}
	if (r->log)
		fclose(r->log);
	free(r->read_span.slots);
	free(r->gap.slots);
	free(r->recs);
	free(r->ex);
	free(r);
}

double reqtrack__run_ms(struct reqtrack *r, uint64_t *runs)
{
	*runs = 0;
	return r ? bpf_object_run_ms(r->skel->obj, BPF_PROG_TYPE_TRACING, runs) : 0;
}

const struct req_record *reqtrack__records(const struct reqtrack *r, size_t *n, uint64_t *dropped)
{
	*n = r ? r->nrecs : 0;
	*dropped = r ? r->recs_dropped : 0;
	return r ? r->recs : NULL;
}

const char *reqtrack__endpoint(const struct reqtrack *r, int ep)
{
	return r && ep >= 0 && ep < r->neps ? r->eps[ep].name : "?";
}
