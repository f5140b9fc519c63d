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
	bool keep_requests;     /* keep every request's record (struct load_req), for matching them with
				 * the server's (load/latsplit.h) */
};

/* One request as the client saw it (keep_requests): CLOCK_MONOTONIC times, the same clock as the
 * kernel's bpf_ktime_get_ns, so they compare with the server's as they are. */
struct load_req {
	uint64_t sent_ns;   /* the request's first byte written */
	uint64_t done_ns;   /* the whole response read (or the failure noticed) */
	uint32_t seq;       /* its order on its connection, from 1 */
	uint16_t lport;     /* the connection's local port (the server sees it as the peer's) */
	uint16_t status;    /* the response's status; 0: failed (no whole response) */
};

#define LOAD_MAX_KEPT (1u << 20) /* requests kept at most; more are counted in reqs_dropped */
/* Latency per 1 s interval of the window: a log-linear histogram of 2^5 sub-buckets per power of
 * two (within 3%) per interval, by the interval the response completed in. */
#define LOAD_IV_SUB_BITS 5
#define LOAD_IV_MAX_EXP 36
#define LOAD_IV_SLOTS LOGLIN_SLOTS(LOAD_IV_SUB_BITS, LOAD_IV_MAX_EXP)
#define LOAD_IV_MAX 3600

struct load_result {
	struct lathist *lat;            /* from the scheduled send time (rate mode), else the send;
					 * failures, timeouts and never-sent requests included */
	struct lathist *lat_uncorrected;/* from the actual send; rate mode */
	struct lathist *send_lag;       /* rate mode: each slot's due time to when the generator
					 * noticed it (its own lag, before any wait for a connection) */
	uint64_t ok, status_4xx, status_5xx;   /* answered requests */
	uint64_t read_err, write_err, timeouts; /* sent requests that got no (whole) answer in time
						 * (timeouts: --timeout fired; cut ones apart) */
	uint64_t cut_at_end;            /* sent, still awaited when the run ended at -d (and its grace):
					 * not a failure of the server, in no rate */
	uint64_t connect_err;           /* after the start: connections the server refused or reset while
					 * connecting, each a failed request */
	uint64_t connect_err_warmup;    /* the same during the warm-up (before the clock): no request */
	uint64_t fd_err;                /* sockets the generator could not open (EMFILE/ENFILE) */
	uint64_t stray;                 /* bytes that answered no request (the connection was closed) */
	uint64_t bytes;
	uint64_t scheduled;             /* rate mode: send slots in the window */
	uint64_t late_slots;            /* rate mode: slots the generator noticed > 1 ms late (send lag) */
	uint64_t missed_slots;          /* requests never sent: queued for a connection at the end */
	double elapsed;                 /* seconds of the measured window (-d, or to the last answer) */
	double wall;                    /* seconds from the start to the last thread's end */
	double cpu_percent;             /* the generator's CPU over wall, 100 = one core */
	double busy_fraction;           /* mean share of wall its threads were running or runnable
					 * (the scheduler's /proc/thread-self/schedstat): near 1, the
					 * generator itself was the limit */
	double cpu_wait_fraction;       /* of that, the share spent runnable but waiting for a CPU */
	double rate;                    /* requests/s asked for; 0: closed loop */
	int threads;
	int connections;                /* connections that were established (the real concurrency) */
	int connections_requested;      /* -c */
	struct load_req *reqs;          /* keep_requests: every recorded request, unordered */
	size_t nreqs;
	uint64_t reqs_dropped;          /* beyond LOAD_MAX_KEPT */
	unsigned long long *iv_slots;   /* nintervals * LOAD_IV_SLOTS: interval i's latencies (from the
					 * send) at iv_slots[i * LOAD_IV_SLOTS], i = (completion - start) / 1 s */
	int nintervals;
};

/* Run: warm up (open every connection), then the window of -d seconds or -n requests, or until
 * *stop; requests in flight at the end of -d get min(--timeout, 10% of -d within 0.2..1 s) to
 * finish, then are cut (cut_at_end: not timeouts, not failed). 0, -EMFILE when the fd limit cannot make room for -c (message
 * logged, naming ulimit -n), or another negative errno. */
int loadgen_run(const struct load_opts *o, struct load_result *r, volatile sig_atomic_t *stop);
void load_result_free(struct load_result *r);

#endif
