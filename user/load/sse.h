/* SPDX-License-Identifier: GPL-2.0-only */
/* A Server-Sent Events load: N connections, each holding one event stream (GET with Accept:
 * text/event-stream) for the run, reconnecting when the server ends it. Per stream: the time
 * from the request's send to its first whole event; over the run: events received and events per
 * second. Bodies through libhttp-parser (chunked, Content-Length or read-until-close), events
 * by the WHATWG EventSource rules: lines ending in LF, CRLF or CR; an event is dispatched at a
 * blank line when it had a data field. Loopback targets only. */
#ifndef BINDPROF_SSE_H
#define BINDPROF_SSE_H

#include <signal.h>
#include <stdint.h>
#include "stats/lathist.h"

struct sse_opts {
	const char *url;          /* http://host:port/path (loopback) */
	int connections;
	double duration;          /* seconds */
	const char *const *headers;
	int nheaders;
};

struct sse_result {
	struct lathist *first_event; /* per stream: send to its first event (ns) */
	uint64_t streams;            /* streams opened (a 2xx answer) */
	uint64_t streams_with_event;
	uint64_t events;             /* events received within the run */
	uint64_t errors;             /* refused connections, non-2xx answers, malformed or reset streams */
	uint64_t bytes;
	double elapsed;              /* seconds of the run */
	double events_per_sec;       /* events / elapsed */
	int connections;
};

/* The message-layer part: feed body bytes of a stream, count the events whose blank line ends
 * within them. The state carries partial lines across calls. */
struct sse_parser {
	int cr;             /* the previous byte was a CR (a CRLF's LF is not a second line end) */
	int line_len;       /* bytes of the current line so far */
	int data;           /* the current event has a data field */
	char field[8];      /* the current line's first bytes (the field's name) */
};
/* The number of events dispatched by buf[0..len). */
uint64_t sse_parse(struct sse_parser *p, const char *buf, size_t len);

/* Run; 0 or a negative errno (a bad or non-loopback URL: -EINVAL, logged). */
int sse_run(const struct sse_opts *o, struct sse_result *r, volatile sig_atomic_t *stop);
void sse_result_free(struct sse_result *r);

#endif
