/* SPDX-License-Identifier: GPL-2.0-only */
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <netdb.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>
#include "load/httpresp.h"
#include "load/loadgen.h"
#include "lib/log.h"
#include "lib/util.h"

#define LATE_NS 1000000ull /* a slot noticed more than 1 ms late was missed by the generator */
#define RECONNECT_NS 10000000ull
#define MAX_PENDING (1u << 20)

int url_parse(const char *s, struct url *u, char *err, size_t errlen)
{
	const char *p, *slash, *colon;
	size_t hlen;

	memset(u, 0, sizeof(*u));
	if (!strncmp(s, "https://", 8)) {
		snprintf(err, errlen, "--url: https is not supported (TLS); give an http:// URL");
		return -EINVAL;
	}
	if (strncmp(s, "http://", 7)) {
		snprintf(err, errlen, "--url: '%s' is not an http:// URL", s);
		return -EINVAL;
	}
	p = s + 7;
	slash = strchr(p, '/');
	hlen = slash ? (size_t)(slash - p) : strlen(p);
	if (p[0] == '[') { /* [::1]:8080 */
		const char *rb = memchr(p, ']', hlen);

		if (!rb) {
			snprintf(err, errlen, "--url: unterminated IPv6 address in '%s'", s);
			return -EINVAL;
		}
		snprintf(u->host, sizeof(u->host), "%.*s", (int)(rb - p - 1), p + 1);
		colon = rb + 1 < p + hlen && rb[1] == ':' ? rb + 1 : NULL;
	} else {
		colon = memchr(p, ':', hlen);
		snprintf(u->host, sizeof(u->host), "%.*s", (int)(colon ? (size_t)(colon - p) : hlen), p);
	}
	u->port = 80;
	if (colon) {
		char port[16];
		long l;

		snprintf(port, sizeof(port), "%.*s", (int)(p + hlen - colon - 1), colon + 1);
		if (parse_long(port, 1, 65535, &l)) {
			snprintf(err, errlen, "--url: invalid port '%s'", port);
			return -EINVAL;
		}
		u->port = (int)l;
	}
	if (!u->host[0]) {
		snprintf(err, errlen, "--url: no host in '%s'", s);
		return -EINVAL;
	}
	snprintf(u->path, sizeof(u->path), "%s", slash ? slash : "/");
	return 0;
}

static bool is_loopback(const struct sockaddr *sa)
{
	if (sa->sa_family == AF_INET)
		return (ntohl(((const struct sockaddr_in *)sa)->sin_addr.s_addr) >> 24) == 127;
	if (sa->sa_family == AF_INET6)
		return IN6_IS_ADDR_LOOPBACK(&((const struct sockaddr_in6 *)sa)->sin6_addr);
	return false;
}

int url_resolve_loopback(const struct url *u, struct sockaddr_storage *ss, socklen_t *len, char *err,
			 size_t errlen)
{
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM }, *res, *ai;
	char port[16];
	int e;

	snprintf(port, sizeof(port), "%d", u->port);
	e = getaddrinfo(u->host, port, &hints, &res);
	if (e) {
		snprintf(err, errlen, "--url: cannot resolve '%s': %s", u->host, gai_strerror(e));
		return -EINVAL;
	}
	for (ai = res; ai; ai = ai->ai_next) {
		if (!is_loopback(ai->ai_addr)) {
			snprintf(err, errlen,
				 "--url: '%s' is not a loopback address: bindprof only loads 127.0.0.0/8 or ::1",
				 u->host);
			freeaddrinfo(res);
			return -EINVAL;
		}
	}
	memcpy(ss, res->ai_addr, res->ai_addrlen);
	*len = res->ai_addrlen;
	freeaddrinfo(res);
	return 0;
}

uint64_t rate_slot_ns(uint64_t t0, double rps, int i, int n, uint64_t k)
{
	return t0 + (uint64_t)llround((double)(i + k * (uint64_t)n) * 1e9 / rps);
}

double rate_shape_slot_s(const struct rate_shape *s, uint64_t j)
{
	double t = 0, nc = 0, m;

	for (int i = 0; i < s->n; i++) {
		double d = s->secs[i], r0 = s->r0[i], r1 = s->r1[i], cnt = (r0 + r1) / 2 * d, a, disc;

		if ((double)j < nc + cnt) {
			m = (double)j - nc;
			a = (r1 - r0) / d;
			disc = r0 * r0 + 2 * a * m;
			if (disc < 0)
				disc = 0;
			/* tau = (-r0 + sqrt(r0^2 + 2 a m)) / a, written without the cancellation */
			return t + (m > 0 ? 2 * m / (r0 + sqrt(disc)) : 0);
		}
		nc += cnt;
		t += d;
	}
	if (!s->n || s->r1[s->n - 1] <= 0)
		return INFINITY;
	return t + ((double)j - nc) / s->r1[s->n - 1];
}

double load_interval_quantile(const struct load_interval *iv, double q)
{
	return iv->requests ? loglin_quantile(iv->slots, LOAD_IV_SLOTS, LOAD_IV_SUB_BITS, q, 0, 0) : 0;
}

void load_interval_merge(struct load_interval *dst, const struct load_interval *src)
{
	dst->requests += src->requests;
	dst->errors += src->errors;
	for (uint32_t i = 0; i < LOAD_IV_SLOTS; i++)
		dst->slots[i] += src->slots[i];
}

enum conn_state { C_DOWN, C_CONNECTING, C_WRITING, C_READING, C_IDLE };

struct conn {
	int fd;
	enum conn_state st;
	bool ever;              /* connected at least once */
	size_t woff;
	uint64_t sched_ns, sent_ns, retry_ns;
	int ri;                 /* the request being sent (its mix entry; 0 without a mix) */
	struct httpresp rp;
	uint32_t nreq;          /* requests sent on the current connection */
	uint16_t lport;         /* its local port; 0 unknown */
};

struct shared {
	const struct load_opts *o;
	struct sockaddr_storage addr;
	socklen_t addrlen;
	char **req;             /* the request's bytes: one, or one per mix entry */
	size_t *reqlen;
	int nreq;
	_Atomic uint64_t t0;       /* 0 during the warm-up (connections opened), then the start */
	uint64_t t_end;            /* the end of the window (UINT64_MAX with -n) */
	uint64_t grace_ns;         /* how long in-flight requests may finish after it */
	atomic_uint_fast64_t sent; /* closed loop with -n */
	atomic_int ready;          /* workers whose connections were all tried */
	volatile sig_atomic_t *stop;
};

struct worker {
	pthread_t th;
	int id, nconns, epfd, tfd;
	struct shared *sh;
	struct conn *conns;
	struct lathist *lat, *unc, *lag;
	uint64_t ok, s4, s5, econn, econn_warm, eread, ewrite, etime, ecut, efd, estray, bytes;
	uint64_t scheduled, late, unsent;
	uint64_t *pending; /* scheduled times waiting for a free connection (rate mode) */
	struct load_interval *iv; /* niv per-interval counts, or NULL */
	int niv;
	double *wrr;            /* the mix's smooth weighted round-robin credits */
	uint64_t *mix_sent, *mix_ans;
	uint32_t phead, ptail;
	uint64_t next_k;
	bool ended, exhausted;
	uint64_t t_stop, last_done_ns;
	double cpu_s, busy_s, wait_s;
	struct load_rec *reqs;  /* keep_requests */
	size_t nreqs, capreqs;
	uint64_t reqs_dropped;
};

static _Atomic uint64_t kept_total; /* requests kept by every worker of the run */

static uint64_t mono_ns(void)
{
	return now_ns();
}

/* The thread's time on a CPU and waiting for one (ns), from the scheduler's own accounting. */
static void sched_times(uint64_t *run, uint64_t *wait)
{
	unsigned long long r = 0, w = 0;
	FILE *f = fopen("/proc/thread-self/schedstat", "r");

	if (f) {
		if (fscanf(f, "%llu %llu", &r, &w) != 2)
			r = w = 0;
		fclose(f);
	}
	*run = r;
	*wait = w;
}

/* The send time of this thread's slot k (ns): the constant rate's schedule, or the shape's. */
static uint64_t slot_ns(const struct worker *w, uint64_t t0, uint64_t k)
{
	const struct load_opts *o = w->sh->o;
	double s;

	if (!o->shape)
		return rate_slot_ns(t0, o->rate, w->id, o->threads, k);
	s = rate_shape_slot_s(o->shape, w->id + k * (uint64_t)o->threads);
	return isfinite(s) && s < 1e7 ? t0 + (uint64_t)llround(s * 1e9) : UINT64_MAX;
}

/* The interval of a completion at now, or NULL (none kept, or before the start). */
static struct load_interval *iv_at(struct worker *w, uint64_t now)
{
	uint64_t t0 = atomic_load_explicit(&w->sh->t0, memory_order_relaxed);
	long i;

	if (!w->iv || !t0 || now < t0)
		return NULL;
	i = (long)((now - t0) / (w->sh->o->interval_s * 1e9));
	return i < w->niv ? &w->iv[i] : &w->iv[w->niv - 1];
}

static void iv_error(struct worker *w, uint64_t now)
{
	struct load_interval *iv = iv_at(w, now);

	if (iv)
		iv->errors++;
}

static void conn_close(struct worker *w, struct conn *c)
{
	if (c->fd >= 0) {
		epoll_ctl(w->epfd, EPOLL_CTL_DEL, c->fd, NULL);
		close(c->fd);
	}
	c->fd = -1;
	c->st = C_DOWN;
}

static void conn_watch(struct worker *w, struct conn *c, uint32_t events, bool add)
{
	struct epoll_event ev = { .events = events, .data.ptr = c };

	epoll_ctl(w->epfd, add ? EPOLL_CTL_ADD : EPOLL_CTL_MOD, c->fd, &ev);
}

/* A refused connection: the counter the caller charges it to. Once the run has started it is a
 * failed request (a connect error, in failed_requests and total_requests), and with -n it uses up
 * one of the N: a port that refuses everything ends the run after N refusals instead of retrying
 * for ever. During the warm-up (before the clock) it is no request: connect_warmup. */
static uint64_t *connect_refused(struct worker *w)
{
	if (!atomic_load(&w->sh->t0))
		return &w->econn_warm;
	if (w->sh->o->max_requests)
		atomic_fetch_add(&w->sh->sent, 1);
	return &w->econn;
}

static void conn_open(struct worker *w, struct conn *c, uint64_t now)
{
	int one = 1;

	c->fd = socket(w->sh->addr.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (c->fd < 0) {
		/* out of file descriptors is the generator's limit, not a refusal by the server */
		if (errno == EMFILE || errno == ENFILE)
			w->efd++;
		else
			(*connect_refused(w))++;
		c->retry_ns = now + RECONNECT_NS;
		return;
	}
	setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (connect(c->fd, (struct sockaddr *)&w->sh->addr, w->sh->addrlen) && errno != EINPROGRESS) {
		(*connect_refused(w))++;
		close(c->fd);
		c->fd = -1;
		c->retry_ns = now + RECONNECT_NS;
		return;
	}
	c->st = C_CONNECTING;
	c->nreq = 0;
	c->lport = 0;
	httpresp_init(&c->rp);
	conn_watch(w, c, EPOLLOUT, true);
}

static bool may_send(struct worker *w, uint64_t now)
{
	struct shared *sh = w->sh;

	if (*sh->stop || w->ended || now >= sh->t_end)
		return false;
	if (sh->o->max_requests)
		return atomic_fetch_add(&sh->sent, 1) < sh->o->max_requests;
	return true;
}

static void conn_fail(struct worker *w, struct conn *c, uint64_t *counter, uint64_t now);
static void record(struct worker *w, struct conn *c, uint64_t now);

/* Write what is left of the request; the fd stays watched for EPOLLIN throughout, and EPOLLOUT is
 * added only while a write would block, so a request costs no epoll_ctl in the common case. */
static void conn_write(struct worker *w, struct conn *c, uint64_t now)
{
	struct shared *sh = w->sh;

	while (c->woff < sh->reqlen[c->ri]) {
		ssize_t n = write(c->fd, sh->req[c->ri] + c->woff, sh->reqlen[c->ri] - c->woff);

		if (n < 0) {
			if (errno == EAGAIN) {
				if (c->st != C_WRITING)
					conn_watch(w, c, EPOLLIN | EPOLLOUT, false);
				c->st = C_WRITING;
				return;
			}
			record(w, c, now);
			conn_fail(w, c, &w->ewrite, now);
			return;
		}
		c->woff += n;
	}
	if (c->st == C_WRITING)
		conn_watch(w, c, EPOLLIN, false);
	c->st = C_READING;
}

static void conn_send(struct worker *w, struct conn *c, uint64_t sched, uint64_t now)
{
	c->sched_ns = sched;
	c->sent_ns = now;
	c->ri = 0;
	if (w->sh->nreq > 1) { /* smooth weighted round-robin */
		const struct load_opts *o = w->sh->o;
		double total = 0;
		int best = 0;

		for (int i = 0; i < o->nmix; i++) {
			w->wrr[i] += o->mix[i].weight;
			total += o->mix[i].weight;
			if (w->wrr[i] > w->wrr[best])
				best = i;
		}
		w->wrr[best] -= total;
		c->ri = best;
	}
	if (w->mix_sent)
		w->mix_sent[c->ri]++;
	c->woff = 0;
	c->nreq++;
	if (!c->lport && w->sh->o->keep_requests) {
		struct sockaddr_storage ss;
		socklen_t l = sizeof(ss);

		if (!getsockname(c->fd, (struct sockaddr *)&ss, &l))
			c->lport = ntohs(ss.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&ss)->sin6_port
								  : ((struct sockaddr_in *)&ss)->sin_port);
	}
	c->st = C_IDLE;
	conn_write(w, c, now);
}

/* keep_requests: the request's record (for load/latsplit.h). */
static void keep(struct worker *w, struct conn *c, uint64_t now)
{
	struct load_rec *q;

	if (!w->sh->o->keep_requests)
		return;
	if (atomic_fetch_add_explicit(&kept_total, 1, memory_order_relaxed) >= LOAD_MAX_KEPT) {
		w->reqs_dropped++;
		return;
	}
	if (w->nreqs == w->capreqs) {
		size_t cap = w->capreqs ? 2 * w->capreqs : 4096;
		struct load_rec *a = realloc(w->reqs, cap * sizeof(*a));

		if (!a) {
			w->reqs_dropped++;
			return;
		}
		w->reqs = a;
		w->capreqs = cap;
	}
	q = &w->reqs[w->nreqs++];
	q->sent_ns = c->sent_ns;
	q->done_ns = now;
	q->seq = c->nreq;
	q->lport = c->lport;
	q->status = c->rp.complete ? (uint16_t)c->rp.status : 0;
}

static void record(struct worker *w, struct conn *c, uint64_t now)
{
	struct load_interval *iv = iv_at(w, now);

	lh_record(w->lat, now - c->sched_ns);
	if (iv) {
		iv->requests++;
		iv->slots[loglin_slot(now - c->sched_ns, LOAD_IV_SUB_BITS, LOAD_IV_MAX_EXP)]++;
	}
	if (w->unc)
		lh_record(w->unc, now - c->sent_ns);
	keep(w, c, now);
	w->last_done_ns = now;
}

/* Hand the next request to an idle connection: at once in closed loop, from the pending
 * schedule in rate mode. Nothing before the start (the warm-up only connects). */
static void dispatch(struct worker *w, struct conn *c, uint64_t now)
{
	bool rate = w->sh->o->rate > 0;

	c->st = C_IDLE; /* still watched for EPOLLIN: a close of an idle connection is noticed */
	if (!atomic_load_explicit(&w->sh->t0, memory_order_acquire) || w->ended)
		return;
	if (!rate) {
		if (may_send(w, now))
			conn_send(w, c, now, now);
		return;
	}
	if (w->phead != w->ptail) {
		uint64_t sched = w->pending[w->phead++ % MAX_PENDING];

		conn_send(w, c, sched, now);
	}
}

static void on_response(struct worker *w, struct conn *c, uint64_t now)
{
	struct load_progress *pg = w->sh->o->progress;
	int st = c->rp.status;

	record(w, c, now);
	if (w->mix_ans)
		w->mix_ans[c->ri]++;
	if (pg) {
		__atomic_fetch_add(&pg->responses, 1, __ATOMIC_RELAXED);
		if (st >= 400)
			__atomic_fetch_add(&pg->errors, 1, __ATOMIC_RELAXED);
	}
	if (st >= 400)
		iv_error(w, now);
	if (st >= 500)
		w->s5++;
	else if (st >= 400)
		w->s4++;
	else
		w->ok++;
	if (!c->rp.keep_alive) {
		conn_close(w, c);
		return;
	}
	httpresp_next(&c->rp);
	dispatch(w, c, now);
}

static void conn_fail(struct worker *w, struct conn *c, uint64_t *counter, uint64_t now)
{
	if (w->sh->o->progress)
		__atomic_fetch_add(&w->sh->o->progress->errors, 1, __ATOMIC_RELAXED);
	/* a failed request of the window (not one cut at its end, nor a warm-up refusal, nor bytes
	 * nobody asked for) is an error of its interval */
	if (counter != &w->ecut && counter != &w->econn_warm && counter != &w->estray)
		iv_error(w, now);
	(*counter)++;
	conn_close(w, c);
	c->retry_ns = now + RECONNECT_NS;
}

static void on_event(struct worker *w, struct conn *c, uint32_t ev, uint64_t now)
{
	char buf[65536];

	if (c->st == C_CONNECTING) {
		int e = 0;
		socklen_t l = sizeof(e);

		getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &e, &l);
		if (e || (ev & (EPOLLERR | EPOLLHUP))) {
			conn_fail(w, c, connect_refused(w), now);
			return;
		}
		c->ever = true;
		conn_watch(w, c, EPOLLIN, false);
		dispatch(w, c, now);
		return;
	}
	if (c->st == C_WRITING && (ev & EPOLLOUT)) {
		conn_write(w, c, now);
		return;
	}
	if (!(ev & (EPOLLIN | EPOLLHUP | EPOLLERR)))
		return;
	for (;;) {
		ssize_t n = read(c->fd, buf, sizeof(buf));
		size_t off = 0;

		if (n < 0) {
			if (errno == EAGAIN)
				return;
			if (c->st == C_READING) {
				record(w, c, now); /* a failed request counts in the latency too */
				conn_fail(w, c, &w->eread, now);
			} else {
				conn_close(w, c); /* an idle connection reset: reconnect quietly */
			}
			return;
		}
		if (n == 0) {
			/* The peer closed. A read-until-close body ends here; otherwise a response
			 * that was awaited is lost. */
			if (c->st == C_READING && httpresp_feed(&c->rp, NULL, 0) >= 0 && c->rp.complete) {
				c->rp.keep_alive = false;
				on_response(w, c, now);
			} else if (c->st == C_READING) {
				record(w, c, now);
				conn_fail(w, c, &w->eread, now);
			} else {
				conn_close(w, c);
			}
			return;
		}
		w->bytes += n;
		if (c->st != C_READING) {
			conn_fail(w, c, &w->estray, now); /* bytes nobody asked for */
			return;
		}
		while (off < (size_t)n) {
			long used = httpresp_feed(&c->rp, buf + off, n - off);

			if (used < 0) {
				record(w, c, now);
				conn_fail(w, c, &w->eread, now);
				return;
			}
			off += used;
			if (!c->rp.complete)
				break;
			on_response(w, c, now);
			if (c->st != C_WRITING && c->st != C_IDLE)
				return;
			if (off < (size_t)n) { /* more bytes than one response: not ours to keep */
				conn_fail(w, c, &w->estray, now);
				return;
			}
		}
		/* Level-triggered epoll: a short read took everything there was, and anything that
		 * comes later wakes us again. Reading on until EAGAIN would cost a syscall per request
		 * (after a response, the next request was just sent: its answer cannot be there). */
		if (c->st != C_READING || (size_t)n < sizeof(buf))
			return;
	}
}

static void arm_timer(struct worker *w, uint64_t at_ns)
{
	struct itimerspec its = { .it_value = { .tv_sec = at_ns / 1000000000ull, .tv_nsec = at_ns % 1000000000ull } };

	if (!at_ns)
		its.it_value.tv_nsec = 1; /* 0 would disarm it */
	timerfd_settime(w->tfd, TFD_TIMER_ABSTIME, &its, NULL);
}

/* Rate mode: queue every slot that is due, count the ones the generator itself noticed late
 * (its send lag), and hand them to idle connections. */
static void due_slots(struct worker *w, uint64_t now)
{
	const struct load_opts *o = w->sh->o;
	uint64_t t0 = atomic_load_explicit(&w->sh->t0, memory_order_acquire);
	int nthreads = o->threads;

	if (w->ended)
		return;
	for (;;) {
		uint64_t j = w->id + w->next_k * (uint64_t)nthreads, t;

		if (o->max_requests && j >= o->max_requests) {
			w->exhausted = true;
			break;
		}
		t = slot_ns(w, t0, w->next_k);
		if (t >= w->sh->t_end) {
			w->exhausted = true;
			break;
		}
		if (t > now)
			break;
		w->next_k++;
		w->scheduled++;
		lh_record(w->lag, now - t); /* the generator's own send lag */
		if (now - t > LATE_NS)
			w->late++;
		if (w->ptail - w->phead >= MAX_PENDING) {
			w->unsent++;
			lh_record(w->lat, now - t);
			continue;
		}
		w->pending[w->ptail++ % MAX_PENDING] = t;
	}
	for (int i = 0; i < w->nconns && w->phead != w->ptail; i++)
		if (w->conns[i].st == C_IDLE)
			dispatch(w, &w->conns[i], now);
	if (!w->exhausted) {
		uint64_t next = slot_ns(w, t0, w->next_k);

		/* Every connection busy: the next slots can only queue, with their scheduled times,
		 * so wake every 0.5 ms rather than for each one (at 50k/s, 50 times fewer wake-ups). */
		if (w->phead != w->ptail && next < now + LATE_NS / 2)
			next = now + LATE_NS / 2;
		arm_timer(w, next);
	}
}

static void check_timeouts(struct worker *w, uint64_t now)
{
	uint64_t limit = (uint64_t)(w->sh->o->timeout * 1e9);

	for (int i = 0; i < w->nconns; i++) {
		struct conn *c = &w->conns[i];

		if ((c->st == C_WRITING || c->st == C_READING) && now - c->sent_ns > limit) {
			record(w, c, now); /* a timeout counts in the tail */
			conn_fail(w, c, &w->etime, now);
		} else if (c->st == C_DOWN && now >= c->retry_ns && !w->ended && !*w->sh->stop) {
			conn_open(w, c, now);
		}
	}
}

static bool busy(const struct worker *w)
{
	for (int i = 0; i < w->nconns; i++)
		if (w->conns[i].st == C_WRITING || w->conns[i].st == C_READING)
			return true;
	return false;
}

static bool connecting(const struct worker *w)
{
	for (int i = 0; i < w->nconns; i++)
		if (w->conns[i].st == C_CONNECTING)
			return true;
	return false;
}

/* The end of sending: the window is over, -n was reached, or a stop. Requests still queued for a
 * connection were never sent: they count as missed, with the wait so far in the latency (the
 * tail). In-flight ones have until t_stop. */
static void end_sending(struct worker *w, uint64_t now)
{
	struct shared *sh = w->sh;

	if (sh->o->rate > 0 && !*sh->stop)
		due_slots(w, now); /* the slots of the window's last moments, before the end was seen */
	w->ended = true;
	while (w->phead != w->ptail) {
		lh_record(w->lat, now - w->pending[w->phead++ % MAX_PENDING]);
		w->unsent++;
	}
	if (*sh->stop || sh->t_end != UINT64_MAX)
		w->t_stop = (*sh->stop || now < sh->t_end ? now : sh->t_end) + sh->grace_ns;
	else
		w->t_stop = UINT64_MAX; /* -n: every request is awaited, each up to --timeout */
}

static bool sending_over(struct worker *w, uint64_t now)
{
	const struct shared *sh = w->sh;

	if (*sh->stop || now >= sh->t_end)
		return true;
	if (!sh->o->max_requests)
		return false;
	if (sh->o->rate > 0)
		return w->exhausted && w->phead == w->ptail;
	return atomic_load(&sh->sent) >= sh->o->max_requests;
}

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	struct shared *sh = w->sh;
	struct epoll_event evs[256];
	struct epoll_event tev = { .events = EPOLLIN, .data.ptr = NULL };
	uint64_t now = mono_ns(), last_check = now, t0, run0, wait0, run1, wait1;
	bool ready = false;
	struct rusage ru;

	epoll_ctl(w->epfd, EPOLL_CTL_ADD, w->tfd, &tev);
	for (int i = 0; i < w->nconns; i++)
		conn_open(w, &w->conns[i], now);
	/* The warm-up: connect before the clock starts, so that neither the schedule nor the window
	 * pays for the handshakes. */
	while (!(t0 = atomic_load_explicit(&sh->t0, memory_order_acquire))) {
		int n;

		if (!ready && !connecting(w)) {
			atomic_fetch_add(&sh->ready, 1);
			ready = true;
		}
		n = epoll_wait(w->epfd, evs, 256, 1);
		now = mono_ns();
		for (int i = 0; i < n; i++)
			if (evs[i].data.ptr)
				on_event(w, evs[i].data.ptr, evs[i].events, now);
	}
	sched_times(&run0, &wait0);
	now = mono_ns();
	if (sh->o->rate > 0) {
		arm_timer(w, slot_ns(w, t0, 0));
	} else {
		for (int i = 0; i < w->nconns; i++)
			if (w->conns[i].st == C_IDLE)
				dispatch(w, &w->conns[i], now);
	}
	for (;;) {
		int n = epoll_wait(w->epfd, evs, 256, w->ended ? 1 : 5);

		now = mono_ns();
		for (int i = 0; i < n; i++) {
			if (!evs[i].data.ptr) {
				uint64_t x;

				if (read(w->tfd, &x, sizeof(x)) < 0 && errno != EAGAIN)
					break;
				due_slots(w, now);
				continue;
			}
			on_event(w, evs[i].data.ptr, evs[i].events, now);
		}
		if (now - last_check > 1000000) { /* timeouts and reconnects: every millisecond is enough */
			check_timeouts(w, now);
			last_check = now;
		}
		if (!w->ended && sending_over(w, now))
			end_sending(w, now);
		if (w->ended) {
			if (!busy(w))
				break;
			if (now >= w->t_stop) {
				/* the window is over: what is still awaited is cut, neither answered nor
				 * failed; its latency is unknown (at least the wait so far), so it is in no
				 * histogram, no rate and no total: counted apart (timeout_at_end) */
				for (int i = 0; i < w->nconns; i++) {
					struct conn *c = &w->conns[i];

					if (c->st == C_WRITING || c->st == C_READING) {
						conn_fail(w, c, &w->ecut, now);
					}
				}
				break;
			}
		}
	}
	sched_times(&run1, &wait1);
	w->busy_s = ((run1 - run0) + (wait1 - wait0)) / 1e9;
	w->wait_s = (wait1 - wait0) / 1e9;
	for (int i = 0; i < w->nconns; i++)
		conn_close(w, &w->conns[i]);
	getrusage(RUSAGE_THREAD, &ru);
	w->cpu_s = ru.ru_utime.tv_sec + ru.ru_stime.tv_sec + (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
	return NULL;
}

static char *build_request(const struct load_req *q, const struct url *u, size_t *len)
{
	size_t cap = 1024 + strlen(q->path) + q->body_len, n;
	char *r;

	for (int i = 0; i < q->nheaders; i++)
		cap += strlen(q->headers[i]) + 2;
	r = malloc(cap);
	if (!r)
		return NULL;
	n = snprintf(r, cap, "%s %s HTTP/1.1\r\nHost: %s:%d\r\n", q->method, q->path, u->host, u->port);
	for (int i = 0; i < q->nheaders; i++)
		n += snprintf(r + n, cap - n, "%s\r\n", q->headers[i]);
	if (q->body)
		n += snprintf(r + n, cap - n, "Content-Length: %zu\r\n", q->body_len);
	n += snprintf(r + n, cap - n, "\r\n");
	if (q->body) {
		memcpy(r + n, q->body, q->body_len);
		n += q->body_len;
	}
	*len = n;
	return r;
}

/* The request bytes: o's one request, or one per mix entry. 0 or -ENOMEM. */
static int build_requests(const struct load_opts *o, const struct url *u, struct shared *sh)
{
	struct load_req one = { .method = o->method, .path = u->path, .headers = o->headers, .nheaders = o->nheaders,
				.body = o->body, .body_len = o->body_len, .weight = 1 };

	sh->nreq = o->nmix > 0 ? o->nmix : 1;
	sh->req = calloc(sh->nreq, sizeof(*sh->req));
	sh->reqlen = calloc(sh->nreq, sizeof(*sh->reqlen));
	if (!sh->req || !sh->reqlen)
		return -ENOMEM;
	for (int i = 0; i < sh->nreq; i++)
		if (!(sh->req[i] = build_request(o->nmix > 0 ? &o->mix[i] : &one, u, &sh->reqlen[i])))
			return -ENOMEM;
	return 0;
}

/* Open file descriptors now, from /proc/self/fd. */
static int open_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *de;
	int n = 0;

	if (!d)
		return 64;
	while ((de = readdir(d)))
		n += de->d_name[0] != '.';
	closedir(d);
	return n;
}

/* Make room for one descriptor per connection, two per thread (epoll, timer) and a margin: raise
 * the soft limit, and the hard one where allowed (CAP_SYS_RESOURCE). -EMFILE with a message that
 * names `ulimit -n` when that is not possible (see loadgen.h). */
int load_fd_room(int connections, int threads)
{
	struct rlimit rl;
	rlim_t need = (rlim_t)open_fds() + connections + 2 * threads + 16;

	if (getrlimit(RLIMIT_NOFILE, &rl))
		return 0;
	if (rl.rlim_cur != RLIM_INFINITY && rl.rlim_cur >= need)
		return 0;
	if (rl.rlim_cur == RLIM_INFINITY)
		return 0;
	if (rl.rlim_max != RLIM_INFINITY && rl.rlim_max < need) {
		struct rlimit hi = { need, need };

		if (setrlimit(RLIMIT_NOFILE, &hi)) {
			log_err("load: -c %d needs %llu file descriptors but the limit is %llu (ulimit -n) and "
				"cannot be raised: raise it (ulimit -n %llu) or lower -c", connections,
				(unsigned long long)need, (unsigned long long)rl.rlim_max,
				(unsigned long long)need);
			return -EMFILE;
		}
		return 0;
	}
	rl.rlim_cur = need;
	if (setrlimit(RLIMIT_NOFILE, &rl)) {
		log_err("load: cannot raise the file descriptor limit to %llu (ulimit -n): %s",
			(unsigned long long)need, strerror(errno));
		return -EMFILE;
	}
	return 0;
}

int loadgen_run(const struct load_opts *o, struct load_result *r, volatile sig_atomic_t *stop)
{
	struct shared sh = { .o = o, .stop = stop };
	struct worker *ws = NULL;
	char err[512];
	struct url u;
	int e, made = 0;
	uint64_t t0, wait_until, t_join;
	/* the window's intervals and two more for its grace (at most 1 s) */
	int niv = o->interval_s > 0 && !o->max_requests && o->duration > 0
			  ? (int)ceil(o->duration / o->interval_s - 1e-9) + (int)ceil(1.0 / o->interval_s) + 1
			  : 0;

	memset(r, 0, sizeof(*r));
	atomic_store(&kept_total, 0);
	if ((e = url_parse(o->url, &u, err, sizeof(err))) ||
	    (e = url_resolve_loopback(&u, &sh.addr, &sh.addrlen, err, sizeof(err)))) {
		log_err("%s", err);
		return e;
	}
	if ((e = load_fd_room(o->connections, o->threads)))
		return e;
	e = build_requests(o, &u, &sh);
	r->lat = calloc(1, sizeof(*r->lat));
	r->lat_uncorrected = o->rate > 0 ? calloc(1, sizeof(*r->lat_uncorrected)) : NULL;
	r->send_lag = o->rate > 0 ? calloc(1, sizeof(*r->send_lag)) : NULL;
	ws = calloc(o->threads, sizeof(*ws));
	if (o->nmix > 0) {
		r->nmix = o->nmix;
		r->mix_sent = calloc(o->nmix, sizeof(*r->mix_sent));
		r->mix_answered = calloc(o->nmix, sizeof(*r->mix_answered));
	}
	if (e || !r->lat || (o->rate > 0 && (!r->lat_uncorrected || !r->send_lag)) || !ws ||
	    (o->nmix > 0 && (!r->mix_sent || !r->mix_answered))) {
		e = -ENOMEM;
		goto cleanup;
	}
	for (int i = 0; i < o->threads; i++) {
		struct worker *w = &ws[i];

		w->id = i;
		w->sh = &sh;
		/* connections spread over threads: the first c % t threads take one more */
		w->nconns = o->connections / o->threads + (i < o->connections % o->threads);
		w->conns = calloc(w->nconns ? w->nconns : 1, sizeof(*w->conns));
		w->lat = calloc(1, sizeof(*w->lat));
		w->unc = o->rate > 0 ? calloc(1, sizeof(*w->unc)) : NULL;
		w->lag = o->rate > 0 ? calloc(1, sizeof(*w->lag)) : NULL;
		w->pending = o->rate > 0 ? calloc(MAX_PENDING, sizeof(*w->pending)) : NULL;
		w->epfd = epoll_create1(EPOLL_CLOEXEC);
		w->tfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
		if (!w->conns || !w->lat || (o->rate > 0 && (!w->unc || !w->lag || !w->pending)) || w->epfd < 0 || w->tfd < 0) {
			e = -ENOMEM;
			goto cleanup;
		}
		for (int k = 0; k < w->nconns; k++)
			w->conns[k].fd = -1;
		if (o->nmix > 0) {
			w->wrr = calloc(o->nmix, sizeof(*w->wrr));
			w->mix_sent = calloc(o->nmix, sizeof(*w->mix_sent));
			w->mix_ans = calloc(o->nmix, sizeof(*w->mix_ans));
			if (!w->wrr || !w->mix_sent || !w->mix_ans) {
				e = -ENOMEM;
				goto cleanup;
			}
		}
		if (niv) {
			w->niv = niv;
			w->iv = calloc(niv, sizeof(*w->iv));
			if (!w->iv) {
				e = -ENOMEM;
				goto cleanup;
			}
		}
	}
	for (; made < o->threads; made++) {
		if ((e = -pthread_create(&ws[made].th, NULL, worker_main, &ws[made]))) {
			log_err("load: cannot start thread: %s", strerror(-e));
			*stop = 1;
			break;
		}
	}
	/* The warm-up: every connection tried (connected or refused), for at most min(--timeout, 2 s);
	 * a connection still connecting then joins when it can. */
	wait_until = mono_ns() + (uint64_t)(fmin(o->timeout, 2.0) * 1e9);
	while (atomic_load(&sh.ready) < made && mono_ns() < wait_until && !*stop)
		usleep(500);
	if (niv && !(r->iv = calloc(niv, sizeof(*r->iv))))
		log_warn("load: no memory for the per-interval counts: none kept");
	r->niv = r->iv ? niv : 0;
	r->interval_s = o->interval_s;
	t0 = mono_ns() + 200000; /* 0.2 ms for the threads to see it */
	sh.t_end = o->max_requests ? UINT64_MAX : t0 + (uint64_t)(o->duration * 1e9);
	sh.grace_ns = (uint64_t)(fmin(o->timeout, fmin(1.0, fmax(0.2, 0.1 * o->duration))) * 1e9);
	atomic_store_explicit(&sh.t0, t0, memory_order_release);
	for (int i = 0; i < made; i++)
		pthread_join(ws[i].th, NULL);
	t_join = mono_ns();
	{
		double cpu = 0, busy = 0, waitq = 0, wall = t_join > t0 ? (t_join - t0) / 1e9 : 0;
		uint64_t last = t0;

		for (int i = 0; i < made; i++) {
			struct worker *w = &ws[i];

			lh_merge(r->lat, w->lat);
			for (int k = 0; r->iv && k < w->niv; k++)
				load_interval_merge(&r->iv[k], &w->iv[k]);
			for (int k = 0; k < r->nmix; k++) {
				r->mix_sent[k] += w->mix_sent[k];
				r->mix_answered[k] += w->mix_ans[k];
			}
			if (w->unc)
				lh_merge(r->lat_uncorrected, w->unc);
			if (w->lag)
				lh_merge(r->send_lag, w->lag);
			r->ok += w->ok;
			r->status_4xx += w->s4;
			r->status_5xx += w->s5;
			r->connect_err += w->econn;
			r->connect_err_warmup += w->econn_warm;
			r->fd_err += w->efd;
			r->stray += w->estray;
			r->read_err += w->eread;
			r->write_err += w->ewrite;
			r->timeouts += w->etime;
			r->cut_at_end += w->ecut;
			r->bytes += w->bytes;
			r->scheduled += w->scheduled;
			r->late_slots += w->late;
			r->missed_slots += w->unsent;
			for (int k = 0; k < w->nconns; k++)
				r->connections += w->conns[k].ever;
			cpu += w->cpu_s;
			busy += w->busy_s;
			waitq += w->wait_s;
			if (w->last_done_ns > last)
				last = w->last_done_ns;
			if (w->nreqs) {
				struct load_rec *a = realloc(r->reqs, (r->nreqs + w->nreqs) * sizeof(*a));

				if (a) {
					memcpy(a + r->nreqs, w->reqs, w->nreqs * sizeof(*a));
					r->reqs = a;
					r->nreqs += w->nreqs;
				} else {
					r->reqs_dropped += w->nreqs;
				}
			}
			r->reqs_dropped += w->reqs_dropped;
		}
		if (o->max_requests)
			r->elapsed = (last - t0) / 1e9; /* -n: until the last answer */
		else if (*stop && wall < o->duration)
			r->elapsed = wall; /* interrupted */
		else
			r->elapsed = o->duration; /* the window; answers in the grace after it count */
		r->wall = wall;
		r->cpu_percent = wall > 0 ? 100.0 * cpu / wall : 0;
		r->busy_fraction = wall > 0 && made ? busy / (wall * made) : 0;
		r->cpu_wait_fraction = wall > 0 && made ? waitq / (wall * made) : 0;
	}
	r->threads = o->threads;
	r->connections_requested = o->connections;
	r->rate = o->rate;
cleanup:
	for (int i = 0; ws && i < o->threads; i++) {
		free(ws[i].conns);
		free(ws[i].lat);
		free(ws[i].unc);
		free(ws[i].lag);
		free(ws[i].pending);
		free(ws[i].reqs);
		free(ws[i].iv);
		free(ws[i].wrr);
		free(ws[i].mix_sent);
		free(ws[i].mix_ans);
		if (ws[i].epfd > 0)
			close(ws[i].epfd);
		if (ws[i].tfd > 0)
			close(ws[i].tfd);
	}
	free(ws);
	for (int i = 0; sh.req && i < sh.nreq; i++)
		free(sh.req[i]);
	free(sh.req);
	free(sh.reqlen);
	return e;
}

void load_result_free(struct load_result *r)
{
	free(r->lat);
	free(r->lat_uncorrected);
	free(r->send_lag);
	free(r->reqs);
	r->reqs = NULL;
	r->nreqs = 0;
	free(r->iv);
	free(r->mix_sent);
	free(r->mix_answered);
	r->mix_sent = r->mix_answered = NULL;
	r->nmix = 0;
	r->lat = r->lat_uncorrected = r->send_lag = NULL;
	r->iv = NULL;
	r->niv = 0;
}
