/* SPDX-License-Identifier: GPL-2.0-only */
/* Where the client's time goes, when bindprof drives the load (docs/network.md): every request
 * the load engine sent (load/loadgen.h, keep_requests) is matched with the request the server
 * handled (probes/requests.h, keep_records), and the latency the client saw is split in three:
 *
 *   (a) before_first_read: the client's send to the server's first read of the request (the
 *       request's bytes in flight, the accept queue for a connection's first request,
 *       retransmissions of a dropped handshake or segment);
 *   (b) server: the server's first read to its last write (the handling, with the requests
 *       probe's breakdown and the handling thread's time off CPU that is not a GIL wait);
 *   (c) after_last_write: the server's last write to the client having the whole response
 *       (Nagle's algorithm and delayed ACKs, send buffers, the client itself).
 *
 * Both sides' times are CLOCK_MONOTONIC (the client's clock_gettime, the kernel's
 * bpf_ktime_get_ns), so a + b + c is the client's latency from its send, exactly.
 *
 * Matching: the connection's 4-tuple (the client's local port is the server's peer port; the
 * server's port is the URL's; both addresses loopback) and the request's order on that
 * connection (the client counts its requests per connection, the requests probe per socket),
 * confirmed by time: the server's first read must fall between the client's send and its
 * answer. (Its last write's tracepoint fires when the write returns, which can be after the
 * client has read the bytes: such a write is taken at the answer, and counted.) A client request with no such server request, or
 * more than one, is unmatched and counted by reason, never guessed. */
#ifndef BINDPROF_LATSPLIT_H
#define BINDPROF_LATSPLIT_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <cjson/cJSON.h>
#include "load/loadgen.h"
#include "probes/requests.h"

/* The endpoint name of a server record's ep (reqtrack__endpoint, or a test's table). */
typedef const char *(*latsplit_epname_fn)(const void *ctx, int ep);

struct latsplit_in {
	const struct load_rec *client; /* the load's requests (any order) */
	size_t nclient;
	uint64_t client_dropped;       /* requests the load did not keep */
	const struct req_record *server; /* the server's answered requests (any order) */
	size_t nserver;
	uint64_t server_dropped;
	latsplit_epname_fn epname;
	const void *epctx;
	int server_port;               /* the URL's port: server records of other ports are not candidates */
	int exemplars;                 /* the N slowest matched requests shown with a, b and c */
};

/* The decomposition object (profiling.latency_decomposition, docs/network.md): method, counts
 * (client requests, matched, unmatched by reason), per endpoint the distributions of a, b, c and
 * of b's parts (ms), and the exemplars. NULL on allocation failure. */
cJSON *latsplit_json(const struct latsplit_in *in);

/* The server's request log (`record --requests-log FILE`, read by `load --split-with FILE`): one
 * line per answered request, as the recorder folds it (about 250 ms after its last write):
 *   start_ns end_ns oncpu_ns|- gil_wait_ns sys_ns ffi_ns gc_ns lport rport seq raddr(32 hex) ENDPOINT
 * Write one line of r (endpoint: its name). */
void latsplit_log_write(FILE *f, const struct req_record *r, const char *endpoint);

/* A log read back: records (ep indexes names[]). */
struct latsplit_log {
	struct req_record *recs;
	size_t n;
	char **names;
	int nnames;
	uint64_t bad_lines;
};

/* Read path; 0, or -errno (the file unreadable; -EINVAL: not a regular file). Free with latsplit_log_free. */
int latsplit_log_read(const char *path, struct latsplit_log *out);
void latsplit_log_free(struct latsplit_log *l);
/* epname for a latsplit_in over a log (ctx: the struct latsplit_log). */
const char *latsplit_log_epname(const void *ctx, int ep);

/* Print a decomposition's per-endpoint p50/p99 of a, b and c and its unmatched count under the
 * line `title`; nothing when dec is not an object. */
void latsplit_print(FILE *f, const cJSON *dec, const char *title);

#endif
