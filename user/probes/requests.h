/* SPDX-License-Identifier: GPL-2.0-only */
/* The requests probe, user side: server-side HTTP requests found by bpf/requests.bpf.c, every
 * other probe's measurements attributed to them, per endpoint distributions and the slowest
 * requests (profiling.requests). */
#ifndef BINDPROF_REQTRACK_H
#define BINDPROF_REQTRACK_H

#include <stdbool.h>
#include <stdint.h>
#include <cjson/cJSON.h>
#include "probes/ffi.h"
#include "core/session.h"

struct reqtrack;

struct reqtrack_opts {
	bool gil, gil_exact, gc, syscalls, stacks, ffi; /* which probes feed the accounts */
	int stacks_hz;
	int exemplars;  /* the N slowest requests kept with their breakdown */
	bool no_tasks;  /* do not follow asyncio tasks (their uprobes: a pair per task step) */
	bool keep_records; /* keep every answered request's record (reqtrack__records) */
	const char *requests_log; /* append every answered request to this file (load/latsplit.h's log) */
};

/* One answered request, as the server handled it (keep_records): CLOCK_MONOTONIC ns. */
struct req_record {
	uint64_t start_ns, end_ns; /* its first read, its last write */
	uint64_t oncpu_ns;         /* the handling thread's CPU time between them; UINT64_MAX unknown
				    * (another thread wrote the response, or a pipelined request) */
	uint64_t gil_wait_ns, ffi_ns, gc_ns, sys_ns; /* its attributed account */
	uint32_t samples;          /* CPU stack samples */
	int ep;                    /* reqtrack__endpoint; -1 unparsed */
	uint16_t lport, rport;     /* the connection's local (server) port and the peer's (client) port */
	uint32_t seq;              /* its order on the connection, from 1 */
	uint8_t raddr[16];         /* the peer's address, IPv4 as ::ffff:a.b.c.d */
};

#define REQ_MAX_RECORDS (1u << 21) /* records kept at most; more are counted as dropped */
#define REQ_SLOW_SEND_NS 10000000ull /* a request read over this long: its client sent it slowly */

/* Load and attach; NULL with errno set on failure (logged). */
struct reqtrack *reqtrack__new(struct session *s, const struct reqtrack_opts *o);
/* Read what the probe sent; fold requests that ended over a second ago. Every tick. */
void reqtrack__poll(struct reqtrack *r);
/* Only drain the ring buffer (between the recorder's ticks): no folding, no task probing. */
void reqtrack__drain(struct reqtrack *r);
/* Detach, then read the rest (requests still open: answered, or incomplete). */
void reqtrack__stop(struct reqtrack *r);
/* profiling.requests (and python.handler_time_ms / serialization_time_ms); ffi names the
 * functions of the accounts (NULL without --ffi). */
void reqtrack__report(struct reqtrack *r, cJSON *doc, cJSON *prof, struct ffi *ffi);
void reqtrack__free(struct reqtrack *r);
/* The endpoint ("GET /path", as profiling.requests names it) of request id (a struct reqtrack *
 * as ctx: the shape stacks__set_request_names takes); NULL when the request is unknown or its
 * line did not parse. Valid until reqtrack__free. */
const char *reqtrack__request_endpoint(void *ctx, uint64_t id);
/* The answered requests' records kept (keep_records; after reqtrack__stop or __report), their
 * number in *n and those not kept (memory) in *dropped. Owned by r. */
const struct req_record *reqtrack__records(const struct reqtrack *r, size_t *n, uint64_t *dropped);
/* An endpoint's normalized name ("GET /users/{id}"), "?" for -1 or out of range. */
const char *reqtrack__endpoint(const struct reqtrack *r, int ep);
/* The requests programs' measured run time (ms) and runs (0 when BPF statistics are off). */
double reqtrack__run_ms(struct reqtrack *r, uint64_t *runs);

#endif
