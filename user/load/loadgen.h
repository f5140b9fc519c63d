/* SPDX-License-Identifier: GPL-2.0-only */
/* The HTTP/1.1 load engine: keep-alive connections over non-blocking sockets and epoll, spread
 * over threads; closed-loop (like wrk) or open-loop at a constant rate with coordinated-omission
 * correction (like wrk2, with microsecond timers). Loopback targets only. */
#ifndef BINDPROF_LOADGEN_H
#define BINDPROF_LOADGEN_H

#include <netinet/in.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>
#include "stats/lathist.h"

struct url {
	char host[256];
	int port;
	char path[2048];
};

/* http://host[:port][/path]. 0, or -EINVAL with a message. */
int url_parse(const char *s, struct url *u, char *err, size_t errlen);
/* Resolve host; refuse anything that is not loopback (127.0.0.0/8, ::1). */
int url_resolve_loopback(const struct url *u, struct sockaddr_storage *ss, socklen_t *len, char *err,
			 size_t errlen);

/* The send time of open-loop slot k of thread i out of n at rate rps, from t0 (ns): the global
 * schedule is t0 + j/rps for j = 0, 1, ...; thread i owns the slots j = i + k*n, so the total rate
 * is exact even when rps < n. */
uint64_t rate_slot_ns(uint64_t t0, double rps, int i, int n, uint64_t k);

/* Live counters a caller may watch during a run (a progress line). */
struct load_progress {
	volatile uint64_t responses, errors;
};

struct load_opts {
	const char *url;
	int connections, threads;
	double duration;        /* seconds; 0 with max_requests */
	uint64_t max_requests;  /* -n; 0: by duration */
	double rate;            /* requests/s; 0: closed loop */
	double timeout;         /* seconds */
	const char *method;
	const char *const *headers;
	int nheaders;
	const char *body;
	size_t body_len;
	struct load_progress *progress; /* NULL: none */
};

struct load_result {
	struct lathist *lat;            /* from the scheduled send time (rate mode), else the send */
	struct lathist *lat_uncorrected;/* from the actual send; rate mode */
	uint64_t ok, status_4xx, status_5xx, connect_err, read_err, write_err, timeouts;
	uint64_t bytes, missed_slots;
	double elapsed;                 /* seconds of the measured window */
	double cpu_percent;             /* the generator's CPU, 100 = one core */
	int threads, connections;
};

/* Run until the duration, the request count, or *stop. 0 or negative errno (message logged). */
int loadgen_run(const struct load_opts *o, struct load_result *r, volatile sig_atomic_t *stop);
void load_result_free(struct load_result *r);

#endif
