/* SPDX-License-Identifier: GPL-2.0-only */
/* A Server-Sent Events load: see sse.h. One thread per connection with blocking sockets (a 100 ms
 * receive timeout to watch the clock): an event stream is long-lived and slow, so the engine's
 * epoll loop for request/response traffic is not needed. */
#include <errno.h>
#include <fcntl.h>
#include <http_parser.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>
#include "lib/log.h"
#include "lib/util.h"
#include "load/loadgen.h"
#include "load/sse.h"

uint64_t sse_parse(struct sse_parser *p, const char *buf, size_t len)
{
	uint64_t events = 0;

	for (size_t i = 0; i < len; i++) {
		char ch = buf[i];

		if (ch == '\n' && p->cr) { /* the LF of a CRLF: the line already ended at the CR */
			p->cr = 0;
			continue;
		}
		p->cr = ch == '\r';
		if (ch == '\r' || ch == '\n') {
			if (!p->line_len) { /* a blank line: dispatch */
				events += p->data;
				p->data = 0;
			} else if ((p->line_len == 4 && !memcmp(p->field, "data", 4)) ||
				   (p->line_len >= 5 && !memcmp(p->field, "data:", 5))) {
				p->data = 1;
			}
			p->line_len = 0;
			continue;
		}
		if (p->line_len < (int)sizeof(p->field))
			p->field[p->line_len] = ch;
		p->line_len++;
	}
	return events;
}

struct sse_shared {
	const struct sse_opts *o;
	struct sockaddr_storage addr;
	socklen_t addrlen;
	char *req;
	size_t reqlen;
	uint64_t t0, t_end;
	volatile sig_atomic_t *stop;
};

struct sse_conn {
	pthread_t th;
	struct sse_shared *sh;
	struct lathist first;
	uint64_t streams, with_event, events, errors, bytes;
	/* the stream being read */
	http_parser hp;
	http_parser_settings hs;
	struct sse_parser ep;
	uint64_t sent_ns;
	bool got_event, headers_done, done;
	int status;
};

static int on_headers(http_parser *hp)
{
	struct sse_conn *c = hp->data;

	c->headers_done = true;
	c->status = hp->status_code;
	if (c->status >= 200 && c->status < 300)
		c->streams++;
	return 0;
}

static int on_body(http_parser *hp, const char *at, size_t len)
{
	struct sse_conn *c = hp->data;
	uint64_t n, now;

	if (c->status < 200 || c->status >= 300)
		return 0;
	n = sse_parse(&c->ep, at, len);
	if (!n)
		return 0;
	now = now_ns();
	if (now < c->sh->t_end)
		c->events += n;
	if (!c->got_event) {
		c->got_event = true;
		c->with_event++;
		lh_record(&c->first, now - c->sent_ns);
	}
	return 0;
}

static int on_complete(http_parser *hp)
{
	((struct sse_conn *)hp->data)->done = true;
	return 0;
}

static bool over(const struct sse_conn *c)
{
	return *c->sh->stop || now_ns() >= c->sh->t_end;
}

/* Connect fd (non-blocking) to the target, waiting in 50 ms steps until the run ends or stops (a
 * listener whose backlog is full drops the SYNs: a blocking connect would wait the kernel's ~2 min
 * of retries past the run and through Ctrl-C); then back to blocking. True when connected. */
static bool connect_until(const struct sse_conn *c, int fd)
{
	int err = 0;
	socklen_t el = sizeof(err);

	if (connect(fd, (struct sockaddr *)&c->sh->addr, c->sh->addrlen)) {
		if (errno != EINPROGRESS)
			return false;
		for (;;) {
			struct pollfd p = { .fd = fd, .events = POLLOUT };

			if (over(c))
				return false;
			if (poll(&p, 1, 50) > 0)
				break;
		}
		if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &el) || err)
			return false;
	}
	return fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK) == 0;
}

/* One stream: connect, send, read until it ends or the run does. */
static void one_stream(struct sse_conn *c)
{
	struct sse_shared *sh = c->sh;
	struct timeval tv = { .tv_usec = 100000 };
	char buf[16384];
	int fd = socket(sh->addr.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0), one = 1;

	if (fd < 0) {
		c->errors++;
		usleep(10000);
		return;
	}
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	if (!connect_until(c, fd)) {
		c->errors++;
		close(fd);
		usleep(10000);
		return;
	}
	memset(&c->ep, 0, sizeof(c->ep));
	http_parser_init(&c->hp, HTTP_RESPONSE);
	c->hp.data = c;
	c->got_event = c->headers_done = c->done = false;
	c->status = 0;
	c->sent_ns = now_ns();
	if (send(fd, sh->req, sh->reqlen, MSG_NOSIGNAL) != (ssize_t)sh->reqlen) {
		c->errors++;
		close(fd);
		return;
	}
	while (!over(c) && !c->done) {
		ssize_t n = recv(fd, buf, sizeof(buf), 0);

		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			continue;
		if (n <= 0) { /* closed: a read-until-close body ends here */
			http_parser_execute(&c->hp, &c->hs, NULL, 0);
			if (!c->headers_done || n < 0)
				c->errors++;
			break;
		}
		c->bytes += n;
		if (http_parser_execute(&c->hp, &c->hs, buf, n) != (size_t)n && !c->done) {
			c->errors++; /* malformed */
			break;
		}
	}
	if (c->headers_done && (c->status < 200 || c->status >= 300)) {
		c->errors++;
		usleep(10000);
	}
	close(fd);
}

static void *conn_main(void *arg)
{
	struct sse_conn *c = arg;

	c->hs.on_headers_complete = on_headers;
	c->hs.on_body = on_body;
	c->hs.on_message_complete = on_complete;
	while (!over(c))
		one_stream(c);
	return NULL;
}

int sse_run(const struct sse_opts *o, struct sse_result *r, volatile sig_atomic_t *stop)
{
	struct sse_shared sh = { .o = o, .stop = stop };
	struct sse_conn *cs;
	char err[512];
	struct url u;
	size_t cap;
	int e, made = 0;

	memset(r, 0, sizeof(*r));
	if ((e = url_parse(o->url, &u, err, sizeof(err))) ||
	    (e = url_resolve_loopback(&u, &sh.addr, &sh.addrlen, err, sizeof(err)))) {
		log_err("%s", err);
		return e;
	}
	cap = 512 + strlen(u.path) + strlen(u.host);
	for (int i = 0; i < o->nheaders; i++)
		cap += strlen(o->headers[i]) + 2;
	sh.req = malloc(cap);
	if ((e = load_fd_room(o->connections, 0))) /* a socket per connection: not EMFILE on each */
		return e;
	cs = calloc(o->connections, sizeof(*cs));
	r->first_event = calloc(1, sizeof(*r->first_event));
	if (!sh.req || !cs || !r->first_event) {
		free(sh.req);
		free(cs);
		sse_result_free(r);
		return -ENOMEM;
	}
	sh.reqlen = snprintf(sh.req, cap, "GET %s HTTP/1.1\r\nHost: %s:%d\r\nAccept: text/event-stream\r\n"
			     "Cache-Control: no-cache\r\n", u.path, u.host, u.port);
	for (int i = 0; i < o->nheaders; i++)
		sh.reqlen += snprintf(sh.req + sh.reqlen, cap - sh.reqlen, "%s\r\n", o->headers[i]);
	sh.reqlen += snprintf(sh.req + sh.reqlen, cap - sh.reqlen, "\r\n");
	sh.t0 = now_ns();
	sh.t_end = sh.t0 + (uint64_t)(o->duration * 1e9);
	for (; made < o->connections; made++) {
		cs[made].sh = &sh;
		if ((e = -pthread_create(&cs[made].th, NULL, conn_main, &cs[made]))) {
			log_err("sse: cannot start thread: %s", strerror(-e));
			break;
		}
	}
	for (int i = 0; i < made; i++) {
		pthread_join(cs[i].th, NULL);
		lh_merge(r->first_event, &cs[i].first);
		r->streams += cs[i].streams;
		r->streams_with_event += cs[i].with_event;
		r->events += cs[i].events;
		r->errors += cs[i].errors;
		r->bytes += cs[i].bytes;
	}
	r->elapsed = (now_ns() < sh.t_end ? now_ns() : sh.t_end) - sh.t0;
	r->elapsed /= 1e9;
	r->events_per_sec = r->elapsed > 0 ? r->events / r->elapsed : 0;
	r->connections = made;
	free(sh.req);
	free(cs);
	return made ? 0 : e;
}

void sse_result_free(struct sse_result *r)
{
	free(r->first_event);
	r->first_event = NULL;
}
