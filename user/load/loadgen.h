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
#include "stats/histogram.h"
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

/* A time-varying request rate: linear segments one after the other, from the start of the window.
 * Segment i lasts secs[i] seconds and its rate goes linearly from r0[i] to r1[i] requests/s; after
 * the last one the rate stays at its r1. The global slot j is sent at the time t where the
 * cumulative count N(t) = integral of the rate from 0 to t equals j: an exact request count (a
 * ramp from 0 to R over S seconds sends ceil(R S / 2) requests). */
#define RATE_SHAPE_MAX 4
struct rate_shape {
	int n;
	double secs[RATE_SHAPE_MAX], r0[RATE_SHAPE_MAX], r1[RATE_SHAPE_MAX];
};

/* The time (seconds from the start) of global slot j of shape s: solves N(t) = j segment by segment
 * (the root of r0 t + (r1 - r0) t^2 / (2 D) = m, in its cancellation-free form). INFINITY when the
 * rate ends at 0 before slot j. */
double rate_shape_slot_s(const struct rate_shape *s, uint64_t j);

/* Per-interval counts of a run: completed requests, errors, and a coarse latency histogram
 * (stats/histogram.h geometry with LOAD_IV_SUB_BITS sub-bucket bits: a slot's midpoint within 3.2%
 * of its values) by the completion time's interval from the start. */
#define LOAD_IV_SUB_BITS 4
#define LOAD_IV_MAX_EXP 36
#define LOAD_IV_SLOTS LOGLIN_SLOTS(LOAD_IV_SUB_BITS, LOAD_IV_MAX_EXP)
struct load_interval {
	uint64_t requests;  /* answered or failed requests that ended in the interval */
	uint64_t errors;    /* of those: failed (read/write/timeout/connect) or answered 4xx/5xx */
	unsigned long long slots[LOAD_IV_SLOTS];
};

/* Latency quantile q (0..1) of one interval's histogram, in ns (0 when empty). */
double load_interval_quantile(const struct load_interval *iv, double q);
/* dst += src (counts and histogram). */
void load_interval_merge(struct load_interval *dst, const struct load_interval *src);

/* One request of a weighted mix (load_opts.mix): sent in proportion to weight, in a smooth
 * weighted round-robin per thread (nginx's: every step adds each weight to its credit and sends
 * the largest, which then pays the total), so the shares are exact to within one request per
 * thread and the requests interleave. */
struct load_req {
	const char *method, *path;
	const char *const *headers;
	int nheaders;
	const char *body;       /* NULL: none */
	size_t body_len;
	double weight;          /* > 0 */
};

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
	bool keep_requests;     /* keep every request's record (struct load_rec), for matching them with
				 * the server's (load/latsplit.h) */
	const struct rate_shape *shape; /* with rate > 0: a time-varying rate (NULL: constant rate) */
	double interval_s;      /* > 0 with a duration: keep per-interval counts (load_result.iv) */
	const struct load_req *mix; /* nmix > 0: a weighted mix of requests to url's host and port
				     * (each with its own path), instead of method/path/headers/body */
	int nmix;
};

/* One request as the client saw it (keep_requests): CLOCK_MONOTONIC times, the same clock as the
 * kernel's bpf_ktime_get_ns, so they compare with the server's as they are. */
struct load_rec {
	uint64_t sent_ns;   /* the request's first byte written */
	uint64_t done_ns;   /* the whole response read (or the failure noticed) */
	uint32_t seq;       /* its order on its connection, from 1 */
	uint16_t lport;     /* the connection's local port (the server sees it as the peer's) */
	uint16_t status;    /* the response's status; 0: failed (no whole response) */
};

#define LOAD_MAX_KEPT (1u << 20) /* requests kept at most; more are counted in reqs_dropped */

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
	struct load_rec *reqs;          /* keep_requests: every recorded request, unordered */
	size_t nreqs;
	uint64_t reqs_dropped;          /* beyond LOAD_MAX_KEPT */
	struct load_interval *iv;       /* interval_s > 0: niv intervals of interval_s from the start
					 * (the last ones hold the grace after the window) */
	int niv;
	double interval_s;
	uint64_t *mix_sent, *mix_answered; /* nmix > 0: requests sent and answered per mix entry */
	int nmix;
};

/* Run: warm up (open every connection), then the window of -d seconds or -n requests, or until
 * *stop; requests in flight at the end of -d get min(--timeout, 10% of -d within 0.2..1 s) to
 * finish, then are cut (cut_at_end: not timeouts, not failed). 0, -EMFILE when the fd limit cannot make room for -c (message
 * logged, naming ulimit -n), or another negative errno. */
int loadgen_run(const struct load_opts *o, struct load_result *r, volatile sig_atomic_t *stop);
/* Make room for connections descriptors and 2 per thread (plus a margin) under RLIMIT_NOFILE: raise
 * the soft limit, the hard one where allowed. 0, or -EMFILE with a message logged that names
 * `ulimit -n` and the count needed. */
int load_fd_room(int connections, int threads);
void load_result_free(struct load_result *r);

#endif
