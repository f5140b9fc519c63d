/* SPDX-License-Identifier: GPL-2.0-only */
/* A WebSocket load (RFC 6455): N connections, each one thread: connect, the HTTP/1.1 upgrade
 * (GET with Upgrade: websocket and a random Sec-WebSocket-Key; a 101 answer whose
 * Sec-WebSocket-Accept is base64(SHA-1(key + the RFC's GUID)), nettle's SHA-1 and base64), then
 * frames through libwslay (masking, fragments, control frames, close handshake).
 *
 * Two modes:
 * - echo: each connection sends a text message of message_bytes (its sequence number first),
 *   waits for the server's answer and sends the next (a closed loop, one message in flight per
 *   connection): the round trip of every message (send to the answer's last byte), and answers
 *   that differ from what was sent counted as errors;
 * - receive: the server pushes; the connection only reads (and answers pings).
 * Either way: the handshake time (connect start to the 101's last header byte), the time to the
 * first message (the upgrade's end to the first whole message received), messages sent and
 * received within the run, messages per second (received / the run's seconds).
 * With messages > 0 each connection stops after that many (echo: sent and answered; receive:
 * received) and closes; with 0 it runs to the end of the run, reconnecting when the server closes.
 * Loopback targets only. */
#ifndef BINDPROF_WS_H
#define BINDPROF_WS_H

#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include "load/loadgen.h"
#include "stats/lathist.h"

enum ws_mode { WS_ECHO, WS_RECEIVE };

struct ws_opts {
	const char *url;     /* http://host:port/path or ws://host:port/path (loopback) */
	int connections;
	double duration;     /* seconds */
	enum ws_mode mode;
	long messages;       /* per connection; 0: until the run ends */
	int message_bytes;   /* echo: each message's size (at least 8: the sequence number) */
	const char *const *headers;
	int nheaders;
	double interval_s;   /* > 0, echo: per-interval counts (ws_result.iv), as the load engine's */
};

struct ws_result {
	struct lathist *handshake;   /* per upgrade: ns from connect to the 101's end */
	struct lathist *first_msg;   /* per upgraded connection that got one: ns from the upgrade to it */
	struct lathist *round_trip;  /* echo: per answered message, ns */
	uint64_t upgraded;           /* connections upgraded (a valid 101) */
	uint64_t with_message;       /* of them, the ones that received a message */
	uint64_t sent, received;     /* data messages within the run */
	uint64_t unanswered;         /* echo: sent and not answered when its connection ended */
	uint64_t mismatched;         /* echo: answers that were not the message sent */
	uint64_t errors;             /* refused, no or bad 101, protocol errors, resets, mismatches */
	uint64_t connect_errors;     /* of them, connections refused or never accepted */
	uint64_t bytes;              /* payload bytes received */
	double elapsed;              /* seconds of the run */
	double messages_per_sec;     /* received / elapsed */
	int connections;
	/* echo with interval_s: niv intervals of interval_s from the run's start: requests the answers
	 * received in each (by their arrival), their round trips in its histogram, errors the
	 * sessions that failed in it (malloc'd; NULL otherwise) */
	struct load_interval *iv;
	int niv;
	double interval_s;
};

/* The Sec-WebSocket-Accept of key (a NUL-terminated base64 key): base64(SHA-1(key GUID)) into out
 * (at least 29 bytes). */
void ws_accept_of(const char *key, char *out);

/* Run; 0 or a negative errno (a bad or non-loopback URL: -EINVAL, logged). */
int ws_run(const struct ws_opts *o, struct ws_result *r, volatile sig_atomic_t *stop);
void ws_result_free(struct ws_result *r);

#endif
