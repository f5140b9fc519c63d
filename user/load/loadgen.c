/* SPDX-License-Identifier: GPL-2.0-only */
#include <arpa/inet.h>
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

enum conn_state { C_DOWN, C_CONNECTING, C_WRITING, C_READING, C_IDLE };

struct conn {
	int fd;
	enum conn_state st;
	size_t woff;
	uint64_t sched_ns, sent_ns, retry_ns;
	struct httpresp rp;
};

struct shared {
	const struct load_opts *o;
	struct sockaddr_storage addr;
	socklen_t addrlen;
	const char *req;
	size_t reqlen;
	uint64_t t0, t_end;
	atomic_uint_fast64_t sent; /* for -n */
	volatile sig_atomic_t *stop;
};

struct worker {
	pthread_t th;
	int id, nconns, epfd, tfd;
	struct shared *sh;
	struct conn *conns;
	struct lathist *lat, *unc;
	uint64_t ok, s4, s5, econn, eread, ewrite, etime, bytes, missed;
	uint64_t *pending; /* scheduled times waiting for a free connection (rate mode) */
	uint32_t phead, ptail;
	uint64_t next_k;
	double cpu_s;
};

static uint64_t mono_ns(void)
{
	return now_ns();
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

static void conn_open(struct worker *w, struct conn *c, uint64_t now)
{
	int one = 1;

	c->fd = socket(w->sh->addr.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (c->fd < 0) {
		w->econn++;
		c->retry_ns = now + RECONNECT_NS;
		return;
	}
	setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (connect(c->fd, (struct sockaddr *)&w->sh->addr, w->sh->addrlen) && errno != EINPROGRESS) {
		w->econn++;
		close(c->fd);
		c->fd = -1;
		c->retry_ns = now + RECONNECT_NS;
		return;
	}
	c->st = C_CONNECTING;
	httpresp_init(&c->rp);
	conn_watch(w, c, EPOLLOUT, true);
}

static bool may_send(struct worker *w)
{
	struct shared *sh = w->sh;

	if (*sh->stop)
		return false;
	if (sh->o->max_requests)
		return atomic_fetch_add(&sh->sent, 1) < sh->o->max_requests;
	return mono_ns() < sh->t_end;
}

static void conn_fail(struct worker *w, struct conn *c, uint64_t *counter, uint64_t now);

/* Write what is left of the request; the fd stays watched for EPOLLIN throughout, and EPOLLOUT is
 * added only while a write would block, so a request costs no epoll_ctl in the common case. */
static void conn_write(struct worker *w, struct conn *c, uint64_t now)
{
	struct shared *sh = w->sh;

	while (c->woff < sh->reqlen) {
		ssize_t n = write(c->fd, sh->req + c->woff, sh->reqlen - c->woff);

		if (n < 0) {
			if (errno == EAGAIN) {
				if (c->st != C_WRITING)
					conn_watch(w, c, EPOLLIN | EPOLLOUT, false);
				c->st = C_WRITING;
				return;
			}
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
	c->woff = 0;
	c->st = C_IDLE;
	conn_write(w, c, now);
}

static void record(struct worker *w, struct conn *c, uint64_t now)
{
	lh_record(w->lat, now - c->sched_ns);
	if (w->unc)
		lh_record(w->unc, now - c->sent_ns);
}

/* Hand the next request to an idle connection: at once in closed loop, from the pending
 * schedule in rate mode. */
static void dispatch(struct worker *w, struct conn *c, uint64_t now)
{
	bool rate = w->sh->o->rate > 0;

	c->st = C_IDLE; /* still watched for EPOLLIN: a close of an idle connection is noticed */
	if (!rate) {
		if (may_send(w))
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
	if (pg) {
		__atomic_fetch_add(&pg->responses, 1, __ATOMIC_RELAXED);
		if (st >= 400)
			__atomic_fetch_add(&pg->errors, 1, __ATOMIC_RELAXED);
	}
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
			conn_fail(w, c, &w->econn, now);
			return;
		}
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
			if (c->st == C_READING)
				conn_fail(w, c, &w->eread, now);
			else
				conn_close(w, c); /* an idle connection reset: reconnect quietly */
			return;
		}
		if (n == 0) {
			/* The peer closed. A read-until-close body ends here; otherwise a response
			 * that was awaited is lost. */
			if (c->st == C_READING && httpresp_feed(&c->rp, NULL, 0) >= 0 && c->rp.complete) {
				c->rp.keep_alive = false;
				on_response(w, c, now);
			} else if (c->st == C_READING) {
				conn_fail(w, c, &w->eread, now);
			} else {
				conn_close(w, c);
			}
			return;
		}
		w->bytes += n;
		if (c->st != C_READING) {
			conn_fail(w, c, &w->eread, now); /* bytes nobody asked for */
			return;
		}
		while (off < (size_t)n) {
			long used = httpresp_feed(&c->rp, buf + off, n - off);

			if (used < 0) {
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
				conn_fail(w, c, &w->eread, now);
				return;
			}
		}
		if (c->st != C_READING)
			return;
	}
}

static void arm_timer(struct worker *w, uint64_t at_ns)
{
	struct itimerspec its = { .it_value = { .tv_sec = at_ns / 1000000000ull, .tv_nsec = at_ns % 1000000000ull } };

	timerfd_settime(w->tfd, TFD_TIMER_ABSTIME, &its, NULL);
}

/* Rate mode: queue every slot that is due, and count the ones the generator noticed late. */
static void due_slots(struct worker *w, uint64_t now)
{
	const struct load_opts *o = w->sh->o;
	int nthreads = o->threads;

	for (;;) {
		uint64_t t = rate_slot_ns(w->sh->t0, o->rate, w->id, nthreads, w->next_k);

		if (t > now || t >= w->sh->t_end)
			break;
		w->next_k++;
		if (now - t > LATE_NS)
			w->missed++;
		if (w->ptail - w->phead >= MAX_PENDING) {
			w->missed++;
			continue;
		}
		w->pending[w->ptail++ % MAX_PENDING] = t;
	}
	for (int i = 0; i < w->nconns && w->phead != w->ptail; i++)
		if (w->conns[i].st == C_IDLE)
			dispatch(w, &w->conns[i], now);
	arm_timer(w, rate_slot_ns(w->sh->t0, o->rate, w->id, nthreads, w->next_k));
}

static void check_timeouts(struct worker *w, uint64_t now)
{
	uint64_t limit = (uint64_t)(w->sh->o->timeout * 1e9);

	for (int i = 0; i < w->nconns; i++) {
		struct conn *c = &w->conns[i];

		if ((c->st == C_WRITING || c->st == C_READING) && now - c->sent_ns > limit) {
			record(w, c, now); /* a timeout counts in the tail */
			conn_fail(w, c, &w->etime, now);
		} else if (c->st == C_DOWN && now >= c->retry_ns && now < w->sh->t_end && !*w->sh->stop) {
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

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	struct shared *sh = w->sh;
	struct epoll_event evs[256];
	struct epoll_event tev = { .events = EPOLLIN, .data.ptr = NULL };
	uint64_t now = mono_ns(), last_check = now;
	struct rusage ru;

	epoll_ctl(w->epfd, EPOLL_CTL_ADD, w->tfd, &tev);
	for (int i = 0; i < w->nconns; i++)
		conn_open(w, &w->conns[i], now);
	if (sh->o->rate > 0)
		arm_timer(w, rate_slot_ns(sh->t0, sh->o->rate, w->id, sh->o->threads, 0));
	for (;;) {
		int n = epoll_wait(w->epfd, evs, 256, 10);

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
		/* The end: the window is over (or -n reached, or stop), and nothing is in flight. */
		if ((*sh->stop || (sh->o->max_requests ? atomic_load(&sh->sent) >= sh->o->max_requests
						       : now >= sh->t_end)) &&
		    !busy(w))
			break;
		if (*sh->stop && now > sh->t_end + (uint64_t)(sh->o->timeout * 1e9))
			break;
	}
	for (int i = 0; i < w->nconns; i++)
		conn_close(w, &w->conns[i]);
	getrusage(RUSAGE_THREAD, &ru);
	w->cpu_s = ru.ru_utime.tv_sec + ru.ru_stime.tv_sec + (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
	return NULL;
}

static char *build_request(const struct load_opts *o, const struct url *u, size_t *len)
{
	size_t cap = 1024 + strlen(u->path) + o->body_len, n;
	char *r;

	for (int i = 0; i < o->nheaders; i++)
		cap += strlen(o->headers[i]) + 2;
	r = malloc(cap);
	if (!r)
		return NULL;
	n = snprintf(r, cap, "%s %s HTTP/1.1\r\nHost: %s:%d\r\n", o->method, u->path, u->host, u->port);
	for (int i = 0; i < o->nheaders; i++)
		n += snprintf(r + n, cap - n, "%s\r\n", o->headers[i]);
	if (o->body)
		n += snprintf(r + n, cap - n, "Content-Length: %zu\r\n", o->body_len);
	n += snprintf(r + n, cap - n, "\r\n");
	if (o->body) {
		memcpy(r + n, o->body, o->body_len);
		n += o->body_len;
	}
	*len = n;
	return r;
}

int loadgen_run(const struct load_opts *o, struct load_result *r, volatile sig_atomic_t *stop)
{
	struct shared sh = { .o = o, .stop = stop };
	struct worker *ws = NULL;
	char err[512];
	struct url u;
	int e, made = 0;

	memset(r, 0, sizeof(*r));
	if ((e = url_parse(o->url, &u, err, sizeof(err))) ||
	    (e = url_resolve_loopback(&u, &sh.addr, &sh.addrlen, err, sizeof(err)))) {
		log_err("%s", err);
		return e;
	}
	sh.req = build_request(o, &u, &sh.reqlen);
	r->lat = calloc(1, sizeof(*r->lat));
	r->lat_uncorrected = o->rate > 0 ? calloc(1, sizeof(*r->lat_uncorrected)) : NULL;
	ws = calloc(o->threads, sizeof(*ws));
	if (!sh.req || !r->lat || (o->rate > 0 && !r->lat_uncorrected) || !ws) {
		e = -ENOMEM;
		goto cleanup;
	}
	sh.t0 = mono_ns() + 1000000; /* a millisecond to start the threads */
	sh.t_end = o->max_requests ? UINT64_MAX : sh.t0 + (uint64_t)(o->duration * 1e9);
	for (int i = 0; i < o->threads; i++) {
		struct worker *w = &ws[i];

		w->id = i;
		w->sh = &sh;
		/* connections spread over threads: the first c % t threads take one more */
		w->nconns = o->connections / o->threads + (i < o->connections % o->threads);
		w->conns = calloc(w->nconns ? w->nconns : 1, sizeof(*w->conns));
		w->lat = calloc(1, sizeof(*w->lat));
		w->unc = o->rate > 0 ? calloc(1, sizeof(*w->unc)) : NULL;
		w->pending = o->rate > 0 ? calloc(MAX_PENDING, sizeof(*w->pending)) : NULL;
		w->epfd = epoll_create1(EPOLL_CLOEXEC);
		w->tfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
		if (!w->conns || !w->lat || (o->rate > 0 && (!w->unc || !w->pending)) || w->epfd < 0 || w->tfd < 0) {
			e = -ENOMEM;
			goto cleanup;
		}
		for (int k = 0; k < w->nconns; k++)
			w->conns[k].fd = -1;
	}
	for (; made < o->threads; made++) {
		if ((e = -pthread_create(&ws[made].th, NULL, worker_main, &ws[made]))) {
			log_err("load: cannot start thread: %s", strerror(-e));
			*stop = 1;
			break;
		}
	}
	for (int i = 0; i < made; i++)
		pthread_join(ws[i].th, NULL);
	r->elapsed = (mono_ns() - sh.t0) / 1e9;
	if (!o->max_requests && !*stop && r->elapsed > o->duration)
		r->elapsed = o->duration; /* the window; in-flight responses finish after it */
	{
		double cpu = 0;

		for (int i = 0; i < made; i++) {
			struct worker *w = &ws[i];

			lh_merge(r->lat, w->lat);
			if (w->unc)
				lh_merge(r->lat_uncorrected, w->unc);
			r->ok += w->ok;
			r->status_4xx += w->s4;
			r->status_5xx += w->s5;
			r->connect_err += w->econn;
			r->read_err += w->eread;
			r->write_err += w->ewrite;
			r->timeouts += w->etime;
			r->bytes += w->bytes;
			r->missed_slots += w->missed;
			cpu += w->cpu_s;
		}
		r->cpu_percent = r->elapsed > 0 ? 100.0 * cpu / r->elapsed : 0;
	}
	r->threads = o->threads;
	r->connections = o->connections;
cleanup:
	for (int i = 0; ws && i < o->threads; i++) {
		free(ws[i].conns);
		free(ws[i].lat);
		free(ws[i].unc);
		free(ws[i].pending);
		if (ws[i].epfd > 0)
			close(ws[i].epfd);
		if (ws[i].tfd > 0)
			close(ws[i].tfd);
	}
	free(ws);
	free((char *)sh.req);
	return e;
}

void load_result_free(struct load_result *r)
{
	free(r->lat);
	free(r->lat_uncorrected);
	r->lat = r->lat_uncorrected = NULL;
}
