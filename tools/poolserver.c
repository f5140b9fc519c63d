/* SPDX-License-Identifier: GPL-2.0-only */
/* poolserver: an HTTP/1.1 keep-alive server with exactly W worker threads, the ground truth of the
 * sweep tests. The main thread accepts; the W workers share one epoll set of the connections
 * (EPOLLONESHOT) and each reads, serves and answers one connection's requests at a time, so at most
 * W requests are in service at once and no hand-off between threads adds to a request's time.
 *
 *	poolserver PORT [WORKERS [SLEEP_MS]]     (defaults 4 workers, 10 ms)
 *
 * GET /work: the worker sleeps SLEEP_MS, answers "done". POST /echo: answers the body's length.
 * GET /stats: JSON with the requests served per
 * path, the workers' busy seconds on /work (the measured service time: a sleep on a busy host lasts
 * longer than asked), the same keyed by the connections open when each was served and, for /echo, the count of each body length. Loopback only. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAX_LENGTHS 64

struct conn {
	int fd;
	size_t cap, have;
	char *buf;
};

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static double sleep_ms = 10;
static int ep;
static uint64_t n_work, n_echo, n_other, busy_ns;
#define MAX_CONNS_KEY 64
static int open_conns; /* connections open now */
static uint64_t by_conns_work[MAX_CONNS_KEY + 1], by_conns_busy[MAX_CONNS_KEY + 1];
static size_t len_val[MAX_LENGTHS];
static uint64_t len_cnt[MAX_LENGTHS];
static int nlen;

static uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

static int send_all(int fd, const char *b, size_t n)
{
	while (n) {
		ssize_t w = send(fd, b, n, MSG_NOSIGNAL);

		if (w <= 0)
			return -1;
		b += w;
		n -= w;
	}
	return 0;
}

static int respond(int fd, const char *body)
{
	char h[256];
	int n = snprintf(h, sizeof(h), "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: %zu\r\n\r\n",
			 strlen(body));

	return send_all(fd, h, n) || send_all(fd, body, strlen(body)) ? -1 : 0;
}

static void stats_json(char *b, size_t len)
{
	size_t n;

	pthread_mutex_lock(&mu);
	n = snprintf(b, len, "{\"work\": %llu, \"echo\": %llu, \"other\": %llu, \"busy_secs\": %.6f, \"lengths\": {",
		     (unsigned long long)n_work, (unsigned long long)n_echo, (unsigned long long)n_other, busy_ns / 1e9);
	for (int i = 0; i < nlen && n < len; i++)
		n += snprintf(b + n, len - n, "%s\"%zu\": %llu", i ? ", " : "", len_val[i], (unsigned long long)len_cnt[i]);
	if (n < len)
		n += snprintf(b + n, len - n, "}, \"by_connections\": {");
	for (int k = 0, first = 1; k <= MAX_CONNS_KEY && n < len; k++)
		if (by_conns_work[k]) {
			n += snprintf(b + n, len - n, "%s\"%d\": {\"work\": %llu, \"busy_secs\": %.6f}", first ? "" : ", ", k,
				      (unsigned long long)by_conns_work[k], by_conns_busy[k] / 1e9);
			first = 0;
		}
	if (n < len)
		snprintf(b + n, len - n, "}}");
	pthread_mutex_unlock(&mu);
}

/* Serve the whole requests in c's buffer: 0, or -1 when the connection is to be closed. */
static int serve(struct conn *c)
{
	for (;;) {
		char *end = c->have ? memmem(c->buf, c->have, "\r\n\r\n", 4) : NULL, *cl, path[64] = "", method[16] = "";
		size_t hdr, body = 0;
		char out[4096];

		if (!end)
			return c->have == c->cap ? -1 : 0; /* a header over the buffer */
		hdr = end - c->buf + 4;
		c->buf[hdr - 1] = '\0';
		cl = strcasestr(c->buf, "\r\ncontent-length:");
		if (cl)
			body = strtoul(cl + 17, NULL, 10);
		sscanf(c->buf, "%15s %63s", method, path);
		c->buf[hdr - 1] = '\n';
		if (c->have < hdr + body) {
			if (hdr + body > c->cap) {
				char *nb = realloc(c->buf, hdr + body);

				if (!nb)
					return -1;
				c->buf = nb;
				c->cap = hdr + body;
			}
			return 0;
		}
		if (!strcmp(path, "/stats")) {
			stats_json(out, sizeof(out));
		} else if (!strcmp(path, "/work")) {
			uint64_t t0 = mono_ns();
			struct timespec ts = { (time_t)(sleep_ms / 1000), (long)(sleep_ms * 1e6) % 1000000000l };

			nanosleep(&ts, NULL);
			snprintf(out, sizeof(out), "done");
			pthread_mutex_lock(&mu);
			n_work++;
			busy_ns += mono_ns() - t0;
			{
				int k = open_conns < MAX_CONNS_KEY ? open_conns : MAX_CONNS_KEY;

				by_conns_work[k]++;
				by_conns_busy[k] += mono_ns() - t0;
			}
			pthread_mutex_unlock(&mu);
		} else if (!strcmp(path, "/echo")) {
			int i;

			snprintf(out, sizeof(out), "%zu", body);
			pthread_mutex_lock(&mu);
			n_echo++;
			for (i = 0; i < nlen && len_val[i] != body; i++)
				;
			if (i < MAX_LENGTHS) {
				len_val[i] = body;
				len_cnt[i]++;
				if (i == nlen)
					nlen++;
			}
			pthread_mutex_unlock(&mu);
		} else {
			snprintf(out, sizeof(out), "ok");
			pthread_mutex_lock(&mu);
			n_other++;
			pthread_mutex_unlock(&mu);
		}
		if (respond(c->fd, out))
			return -1;
		memmove(c->buf, c->buf + hdr + body, c->have - hdr - body);
		c->have -= hdr + body;
	}
}

/* A worker: takes a connection with data (EPOLLONESHOT: one worker at a time per connection),
 * reads, serves its whole requests, re-arms it. */
static void *worker(void *arg)
{
	(void)arg;
	for (;;) {
		struct epoll_event ev;
		struct conn *c;
		ssize_t r;

		if (epoll_wait(ep, &ev, 1, -1) != 1)
			continue;
		c = ev.data.ptr;
		r = recv(c->fd, c->buf + c->have, c->cap - c->have, MSG_DONTWAIT);
		if (r == 0 || (r < 0 && errno != EAGAIN && errno != EINTR)) {
			__atomic_sub_fetch(&open_conns, 1, __ATOMIC_SEQ_CST);
			close(c->fd);
			free(c->buf);
			free(c);
			continue;
		}
		if (r > 0)
			c->have += r;
		if (serve(c)) {
			__atomic_sub_fetch(&open_conns, 1, __ATOMIC_SEQ_CST);
			close(c->fd);
			free(c->buf);
			free(c);
			continue;
		}
		ev.events = EPOLLIN | EPOLLONESHOT;
		epoll_ctl(ep, EPOLL_CTL_MOD, c->fd, &ev);
	}
	return NULL;
}

int main(int argc, char **argv)
{
	struct sockaddr_in a = { .sin_family = AF_INET };
	int ls, one = 1, workers = argc > 2 ? atoi(argv[2]) : 4;
	pthread_attr_t at;

	if (argc < 2 || workers < 1) {
		fprintf(stderr, "usage: poolserver PORT [WORKERS [SLEEP_MS]]\n");
		return 2;
	}
	if (argc > 3)
		sleep_ms = atof(argv[3]);
	a.sin_port = htons(atoi(argv[1]));
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ls = socket(AF_INET, SOCK_STREAM, 0);
	setsockopt(ls, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(ls, (struct sockaddr *)&a, sizeof(a)) || listen(ls, 1024)) {
		perror("poolserver: bind");
		return 1;
	}
	ep = epoll_create1(EPOLL_CLOEXEC);
	pthread_attr_init(&at);
	pthread_attr_setdetachstate(&at, PTHREAD_CREATE_DETACHED);
	pthread_attr_setstacksize(&at, 256 << 10);
	for (int i = 0; i < workers; i++) {
		pthread_t t;

		pthread_create(&t, &at, worker, NULL);
	}
	printf("listening\n");
	fflush(stdout);
	for (;;) {
		int fd = accept(ls, NULL, NULL);
		if (fd < 0) {
			if (errno == EINTR || errno == ECONNABORTED || errno == EMFILE)
				continue;
			return 1;
		}
		struct conn *c = calloc(1, sizeof(*c));
		struct epoll_event ev = { .events = EPOLLIN | EPOLLONESHOT };

		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		if (!c || !(c->buf = malloc(1 << 16))) {
			free(c);
			close(fd);
			continue;
		}
		c->fd = fd;
		c->cap = 1 << 16;
		__atomic_add_fetch(&open_conns, 1, __ATOMIC_SEQ_CST);
		ev.data.ptr = c;
		if (epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev)) {
			free(c->buf);
			free(c);
			close(fd);
		}
	}
}
