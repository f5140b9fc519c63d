/* SPDX-License-Identifier: GPL-2.0-only */
/* Where the client's time goes (load/latsplit.h, docs/network.md). */
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "load/latsplit.h"

#define MAX_EPS 256

enum part { P_A = 0, P_B, P_C, P_CLIENT, P_ONCPU, P_GIL, P_OFFCPU, P_SYS, P_FFI, P_GC, P_COUNT };

static const char *const part_names[P_COUNT] = {
	[P_A] = "before_first_read_ms", [P_B] = "server_ms", [P_C] = "after_last_write_ms",
	[P_CLIENT] = "client_ms", [P_ONCPU] = "server_on_cpu_ms", [P_GIL] = "server_gil_wait_ms",
	[P_OFFCPU] = "server_off_cpu_not_gil_ms", [P_SYS] = "server_syscall_ms", [P_FFI] = "server_ffi_ms",
	[P_GC] = "server_gc_ms",
};

/* A growable array of values (ns), sorted at the report: exact quantiles. */
struct vals {
	double *v;
	size_t n, cap;
};

struct ep_acc {
	char name[160];
	struct vals p[P_COUNT];
	uint64_t a_hist[5]; /* (a) < 1 ms, 1-10, 10-100, 100-200, >= 200 ms */
	/* the first request of each connection (the handshake's and the accept queue's part) */
	struct vals first_a;
	uint64_t first_hist[5], first_client_slow, first_both_slow;
};

static int a_bucket(double a)
{
	return a < 1e6 ? 0 : a < 1e7 ? 1 : a < 1e8 ? 2 : a < 2e8 ? 3 : 4;
}

static void counts_json(cJSON *h, const uint64_t *b)
{
	cJSON_AddNumberToObject(h, "under_1ms", (double)b[0]);
	cJSON_AddNumberToObject(h, "1_10ms", (double)b[1]);
	cJSON_AddNumberToObject(h, "10_100ms", (double)b[2]);
	cJSON_AddNumberToObject(h, "100_200ms", (double)b[3]);
	cJSON_AddNumberToObject(h, "200ms_or_more", (double)b[4]);
}

struct match {
	const struct load_rec *c;
	const struct req_record *s;
};

static void vals_add(struct vals *x, double v)
{
	if (x->n == x->cap) {
		size_t cap = x->cap ? 2 * x->cap : 256;
		double *a = realloc(x->v, cap * sizeof(*a));

		if (!a)
			return;
		x->v = a;
		x->cap = cap;
	}
	x->v[x->n++] = v;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* Nearest-rank quantile of sorted values. */
static double qv(const struct vals *x, double q)
{
	size_t r = (size_t)ceil(q * x->n);

	return x->v[(r ? r : 1) - 1];
}

/* {count, mean, p50, p90, p99, max} in ms; count 0 and nulls when empty. */
static cJSON *dist(struct vals *x)
{
	cJSON *o = cJSON_CreateObject();
	double sum = 0;

	cJSON_AddNumberToObject(o, "count", (double)x->n);
	if (!x->n) {
		cJSON_AddNullToObject(o, "p50");
		cJSON_AddNullToObject(o, "p99");
		return o;
	}
	qsort(x->v, x->n, sizeof(*x->v), cmp_double);
	for (size_t i = 0; i < x->n; i++)
		sum += x->v[i];
	cJSON_AddNumberToObject(o, "mean", sum / x->n / 1e6);
	cJSON_AddNumberToObject(o, "p50", qv(x, 0.5) / 1e6);
	cJSON_AddNumberToObject(o, "p90", qv(x, 0.9) / 1e6);
	cJSON_AddNumberToObject(o, "p99", qv(x, 0.99) / 1e6);
	cJSON_AddNumberToObject(o, "max", x->v[x->n - 1] / 1e6);
	return o;
}

/* Server records of the port, ordered by (peer port, order on the connection, first read). */
static int cmp_rec(const void *a, const void *b)
{
	const struct req_record *x = *(const struct req_record *const *)a, *y = *(const struct req_record *const *)b;

	if (x->rport != y->rport)
		return x->rport < y->rport ? -1 : 1;
	if (x->seq != y->seq)
		return x->seq < y->seq ? -1 : 1;
	return x->start_ns < y->start_ns ? -1 : x->start_ns > y->start_ns;
}

/* The first index whose (rport, seq) is not below (port, seq). */
static size_t lower(const struct req_record *const *s, size_t n, uint16_t port, uint32_t seq)
{
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (s[mid]->rport < port || (s[mid]->rport == port && s[mid]->seq < seq))
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static bool is_loopback(const uint8_t *a)
{
	static const uint8_t v4[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };
	static const uint8_t v6[16] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1 };

	return (!memcmp(a, v4, 12) && a[12] == 127) || !memcmp(a, v6, 16);
}

static int cmp_match(const void *a, const void *b)
{
	const struct match *x = a, *y = b;
	uint64_t lx = x->c->done_ns - x->c->sent_ns, ly = y->c->done_ns - y->c->sent_ns;

	return lx > ly ? -1 : lx < ly;
}

/* The server's last write as the split uses it: sock_send_length fires when the write returns,
 * after its bytes reached the client, which can have read them and its clock first (the server
 * preempted between delivering and returning): then the write is taken at the client's answer
 * (counted in server_write_seen_after_answer), so that a + b + c stays the client's latency. */
static uint64_t end_of(const struct req_record *s, const struct load_rec *c)
{
	return s->end_ns > c->done_ns ? c->done_ns : s->end_ns;
}

static double offcpu(const struct req_record *s)
{
	double b = (double)(s->end_ns - s->start_ns), v;

	if (s->oncpu_ns == UINT64_MAX)
		return NAN;
	v = b - (double)s->oncpu_ns - (double)s->gil_wait_ns;
	return v > 0 ? v : 0;
}

cJSON *latsplit_json(const struct latsplit_in *in)
{
	const struct req_record **s = NULL;
	struct ep_acc *eps = calloc(MAX_EPS, sizeof(*eps));
	struct match *ex = NULL;
	uint8_t *used = NULL;
	size_t ns = 0, nex = 0;
	uint64_t matched = 0, failed = 0, no_port = 0, none = 0, ambiguous = 0, other_port = 0, twice = 0;
	uint64_t oncpu_unknown = 0, late_writes = 0;
	int neps = 0;
	cJSON *o, *un, *ea, *xa;

	if (!eps)
		return NULL;
	s = calloc(in->nserver ? in->nserver : 1, sizeof(*s));
	used = calloc(in->nserver ? in->nserver : 1, 1);
	ex = calloc(in->nclient ? in->nclient : 1, sizeof(*ex));
	if (!s || !used || !ex) {
		free(s);
		free(used);
		free(ex);
		free(eps);
		return NULL;
	}
	for (size_t i = 0; i < in->nserver; i++) {
		if (in->server[i].lport == in->server_port && is_loopback(in->server[i].raddr))
			s[ns++] = &in->server[i];
		else
			other_port++;
	}
	qsort(s, ns, sizeof(*s), cmp_rec);
	for (size_t i = 0; i < in->nclient; i++) {
		const struct load_rec *c = &in->client[i];
		const struct req_record *hit = NULL;
		size_t k, hitk = 0;
		int cands = 0;

		if (!c->status) {
			failed++; /* no whole response: nothing to split */
			continue;
		}
		if (!c->lport) {
			no_port++;
			continue;
		}
		for (k = lower(s, ns, c->lport, c->seq); k < ns && s[k]->rport == c->lport && s[k]->seq == c->seq; k++) {
			if (s[k]->start_ns >= c->sent_ns && s[k]->start_ns <= c->done_ns && s[k]->end_ns >= s[k]->start_ns) {
				cands++;
				hit = s[k];
				hitk = k;
			}
		}
		if (!cands) {
			none++;
			continue;
		}
		if (cands > 1) {
			ambiguous++;
			continue;
		}
		if (used[hitk]) {
			twice++;
			continue;
		}
		used[hitk] = 1;
		matched++;
		{
			const char *name = in->epname ? in->epname(in->epctx, hit->ep) : "?";
			struct ep_acc *e = NULL;
			uint64_t end = end_of(hit, c);
			double a = (double)(hit->start_ns - c->sent_ns), b = (double)(end - hit->start_ns),
			       cc = (double)(c->done_ns - end), off = offcpu(hit);

			late_writes += end != hit->end_ns;
			for (int j = 0; j < neps && !e; j++)
				if (!strcmp(eps[j].name, name))
					e = &eps[j];
			if (!e && neps < MAX_EPS) {
				e = &eps[neps++];
				snprintf(e->name, sizeof(e->name), "%s", name);
			}
			if (!e)
				e = &eps[MAX_EPS - 1];
			vals_add(&e->p[P_A], a);
			vals_add(&e->p[P_B], b);
			vals_add(&e->p[P_C], cc);
			vals_add(&e->p[P_CLIENT], (double)(c->done_ns - c->sent_ns));
			if (!isnan(off)) {
				vals_add(&e->p[P_ONCPU], (double)hit->oncpu_ns);
				vals_add(&e->p[P_OFFCPU], off);
			} else {
				oncpu_unknown++;
			}
			vals_add(&e->p[P_GIL], (double)hit->gil_wait_ns);
			vals_add(&e->p[P_SYS], (double)hit->sys_ns);
			vals_add(&e->p[P_FFI], (double)hit->ffi_ns);
			vals_add(&e->p[P_GC], (double)hit->gc_ns);
			e->a_hist[a_bucket(a)]++;
			if (c->seq == 1) {
				bool cslow = c->done_ns - c->sent_ns >= 200000000ull;

				vals_add(&e->first_a, a);
				e->first_hist[a_bucket(a)]++;
				e->first_client_slow += cslow;
				e->first_both_slow += cslow && a >= 2e8;
			}
			ex[nex].c = c;
			ex[nex++].s = hit;
		}
	}

	o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "method",
				"each request the load engine sent, matched with the server's (the requests "
				"probe) by the connection's ports (the client's local port is the server's peer "
				"port) and the request's order on the connection, confirmed by time (the server's "
				"first read between the client's send and answer); both clocks CLOCK_MONOTONIC. "
				"A last write whose tracepoint fired after the client had the answer (the server "
				"preempted after delivering it) is taken at the answer: "
				"server_write_seen_after_answer. before_first_read = first read - send; "
				"server = last write - first read; after_last_write = answer - last write");
	cJSON_AddNumberToObject(o, "client_requests", (double)(in->nclient + in->client_dropped));
	cJSON_AddNumberToObject(o, "matched", (double)matched);
	cJSON_AddNumberToObject(o, "unmatched", (double)(in->nclient + in->client_dropped - matched));
	un = cJSON_AddObjectToObject(o, "unmatched_by_reason");
	cJSON_AddNumberToObject(un, "no_whole_response", (double)failed);
	cJSON_AddNumberToObject(un, "no_server_request", (double)none);
	cJSON_AddNumberToObject(un, "ambiguous", (double)(ambiguous + twice));
	cJSON_AddNumberToObject(un, "local_port_unknown", (double)no_port);
	cJSON_AddNumberToObject(un, "not_kept_by_client", (double)in->client_dropped);
	cJSON_AddNumberToObject(o, "server_requests", (double)(ns + other_port + in->server_dropped));
	cJSON_AddNumberToObject(o, "server_requests_other_listeners", (double)other_port);
	cJSON_AddNumberToObject(o, "server_requests_not_kept", (double)in->server_dropped);
	cJSON_AddNumberToObject(o, "server_on_cpu_unknown", (double)oncpu_unknown);
	cJSON_AddNumberToObject(o, "server_write_seen_after_answer", (double)late_writes);
	cJSON_AddStringToObject(o, "server_parts_method",
				"server_on_cpu: the handling thread's sum_exec_runtime from the first read to "
				"the last write (up to a scheduler tick stale on a running thread; unknown when "
				"another thread wrote the response); server_off_cpu_not_gil = server - on CPU - "
				"GIL wait (clamped at 0); syscall, FFI, GC and GIL wait: the request's attributed "
				"account (the probes that ran)");
	ea = cJSON_AddArrayToObject(o, "endpoints");
	for (int j = 0; j < neps; j++) {
		cJSON *e = cJSON_CreateObject(), *h;

		cJSON_AddStringToObject(e, "endpoint", eps[j].name);
		cJSON_AddNumberToObject(e, "count", (double)eps[j].p[P_A].n);
		for (int p = 0; p < P_COUNT; p++)
			cJSON_AddItemToObject(e, part_names[p], dist(&eps[j].p[p]));
		counts_json(cJSON_AddObjectToObject(e, "before_first_read_counts"), eps[j].a_hist);
		h = cJSON_AddObjectToObject(e, "first_on_connection");
		cJSON_AddItemToObject(h, "before_first_read_ms", dist(&eps[j].first_a));
		counts_json(cJSON_AddObjectToObject(h, "before_first_read_counts"), eps[j].first_hist);
		cJSON_AddNumberToObject(h, "client_200ms_or_more", (double)eps[j].first_client_slow);
		cJSON_AddNumberToObject(h, "client_and_before_first_read_200ms_or_more", (double)eps[j].first_both_slow);
		cJSON_AddItemToArray(ea, e);
	}
	qsort(ex, nex, sizeof(*ex), cmp_match);
	xa = cJSON_AddArrayToObject(o, "exemplars");
	for (size_t i = 0; i < nex && (int)i < in->exemplars; i++) {
		const struct load_rec *c = ex[i].c;
		const struct req_record *h = ex[i].s;
		cJSON *x = cJSON_CreateObject();
		double off = offcpu(h);

		cJSON_AddStringToObject(x, "endpoint", in->epname ? in->epname(in->epctx, h->ep) : "?");
		cJSON_AddNumberToObject(x, "client_ms", (c->done_ns - c->sent_ns) / 1e6);
		cJSON_AddNumberToObject(x, "before_first_read_ms", (h->start_ns - c->sent_ns) / 1e6);
		cJSON_AddNumberToObject(x, "server_ms", (end_of(h, c) - h->start_ns) / 1e6);
		cJSON_AddNumberToObject(x, "after_last_write_ms", (c->done_ns - end_of(h, c)) / 1e6);
		if (isnan(off)) {
			cJSON_AddNullToObject(x, "server_on_cpu_ms");
			cJSON_AddNullToObject(x, "server_off_cpu_not_gil_ms");
		} else {
			cJSON_AddNumberToObject(x, "server_on_cpu_ms", h->oncpu_ns / 1e6);
			cJSON_AddNumberToObject(x, "server_off_cpu_not_gil_ms", off / 1e6);
		}
		cJSON_AddNumberToObject(x, "server_gil_wait_ms", h->gil_wait_ns / 1e6);
		cJSON_AddNumberToObject(x, "server_syscall_ms", h->sys_ns / 1e6);
		cJSON_AddNumberToObject(x, "client_port", c->lport);
		cJSON_AddNumberToObject(x, "order_on_connection", c->seq);
		cJSON_AddItemToArray(xa, x);
	}
	for (int j = 0; j < MAX_EPS; j++) {
		for (int p = 0; p < P_COUNT; p++)
			free(eps[j].p[p].v);
		free(eps[j].first_a.v);
	}
	free(eps);
	free(s);
	free(used);
	free(ex);
	return o;
}

static double num(const cJSON *o, const char *part, const char *q)
{
	const cJSON *v = cJSON_GetObjectItem(o, part);

	if (q)
		v = cJSON_GetObjectItem(v, q);

	return cJSON_IsNumber(v) ? v->valuedouble : NAN;
}

void latsplit_print(FILE *f, const cJSON *dec, const char *title)
{
	const cJSON *e;

	if (!cJSON_IsObject(dec))
		return;
	fprintf(f, "%s (%.0f of %.0f client requests matched with the server's)\n", title,
		num(dec, "matched", NULL), num(dec, "client_requests", NULL));
	fprintf(f, "  %-28s %21s %21s %21s\n", "endpoint", "before 1st read p50/p99", "server p50/p99",
		"after last write p50/p99");
	cJSON_ArrayForEach(e, cJSON_GetObjectItem(dec, "endpoints")) {
		fprintf(f, "  %-28.28s %9.2f/%8.2f ms %9.2f/%8.2f ms %9.2f/%8.2f ms\n",
			cJSON_GetStringValue(cJSON_GetObjectItem(e, "endpoint")), num(e, "before_first_read_ms", "p50"),
			num(e, "before_first_read_ms", "p99"), num(e, "server_ms", "p50"), num(e, "server_ms", "p99"),
			num(e, "after_last_write_ms", "p50"), num(e, "after_last_write_ms", "p99"));
	}
}

void latsplit_log_write(FILE *f, const struct req_record *r, const char *endpoint)
{
	char oncpu[24];

	if (r->oncpu_ns == UINT64_MAX)
		snprintf(oncpu, sizeof(oncpu), "-");
	else
		snprintf(oncpu, sizeof(oncpu), "%" PRIu64, r->oncpu_ns);
	fprintf(f, "%" PRIu64 " %" PRIu64 " %s %" PRIu64 " %" PRIu64 " %" PRIu64 " %" PRIu64 " %u %u %u ", r->start_ns,
		r->end_ns, oncpu, r->gil_wait_ns, r->sys_ns, r->ffi_ns, r->gc_ns, r->lport, r->rport, r->seq);
	for (int i = 0; i < 16; i++)
		fprintf(f, "%02x", r->raddr[i]);
	fprintf(f, " %s\n", endpoint);
}

static int log_name(struct latsplit_log *l, const char *name)
{
	char **a;

	for (int i = 0; i < l->nnames; i++)
		if (!strcmp(l->names[i], name))
			return i;
	if (l->nnames >= MAX_EPS)
		return -1;
	a = realloc(l->names, (l->nnames + 1) * sizeof(*a));
	if (!a)
		return -1;
	l->names = a;
	if (!(a[l->nnames] = strdup(name)))
		return -1;
	return l->nnames++;
}

int latsplit_log_read(const char *path, struct latsplit_log *out)
{
	/* not blocking on a FIFO's open; only a regular file is read (-EINVAL otherwise) */
	int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	struct stat st;
	FILE *f;
	char line[1024];
	size_t cap = 0;

	memset(out, 0, sizeof(*out));
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) || !S_ISREG(st.st_mode) || !(f = fdopen(fd, "r"))) {
		close(fd);
		return -EINVAL;
	}
	while (fgets(line, sizeof(line), f)) {
		struct req_record r;
		char oncpu[24], addr[40];
		unsigned lport, rport, seq;
		int used = 0;
		size_t len;

		memset(&r, 0, sizeof(r));
		len = strlen(line);
		if (len && line[len - 1] != '\n' && !feof(f)) {
			/* longer than any line the recorder writes: one bad line, its rest skipped */
			int c;

			while ((c = fgetc(f)) != EOF && c != '\n')
				;
			out->bad_lines++;
			continue;
		}
		if (sscanf(line, "%" SCNu64 " %" SCNu64 " %23s %" SCNu64 " %" SCNu64 " %" SCNu64 " %" SCNu64 " %u %u %u %39s %n",
			   &r.start_ns, &r.end_ns, oncpu, &r.gil_wait_ns, &r.sys_ns, &r.ffi_ns, &r.gc_ns, &lport,
			   &rport, &seq, addr, &used) < 11 || !used || strlen(addr) != 32 ||
		    strspn(addr, "0123456789abcdefABCDEF") != 32 || lport > 65535 || rport > 65535) {
			out->bad_lines++;
			continue;
		}
		r.oncpu_ns = !strcmp(oncpu, "-") ? UINT64_MAX : strtoull(oncpu, NULL, 10);
		r.lport = (uint16_t)lport;
		r.rport = (uint16_t)rport;
		r.seq = seq;
		for (int i = 0; i < 16; i++) {
			unsigned b;

			sscanf(addr + 2 * i, "%2x", &b);
			r.raddr[i] = (uint8_t)b;
		}
		len = strlen(line + used);
		while (len && (line[used + len - 1] == '\n' || line[used + len - 1] == '\r'))
			line[used + --len] = '\0';
		r.ep = log_name(out, line + used);
		if (out->n == cap) {
			size_t nc = cap ? 2 * cap : 4096;
			struct req_record *a = realloc(out->recs, nc * sizeof(*a));

			if (!a)
				break;
			out->recs = a;
			cap = nc;
		}
		out->recs[out->n++] = r;
	}
	fclose(f);
	return 0;
}

void latsplit_log_free(struct latsplit_log *l)
{
	for (int i = 0; i < l->nnames; i++)
		free(l->names[i]);
	free(l->names);
	free(l->recs);
	memset(l, 0, sizeof(*l));
}

const char *latsplit_log_epname(const void *ctx, int ep)
{
	const struct latsplit_log *l = ctx;

	return ep >= 0 && ep < l->nnames ? l->names[ep] : "?";
}
