/* SPDX-License-Identifier: GPL-2.0-only */
/* Workload suites for `bindprof profile`: the built-in ones of the harness (json-bodies,
 * path-params, query-params, forms, all) and custom ones from a JSON file, checked field by
 * field. */
#ifndef BINDPROF_SUITES_H
#define BINDPROF_SUITES_H

#include <stdbool.h>
#include <stddef.h>

#define SUITE_MAX_HEADERS 16

struct workload {
	char *name, *category, *method, *path, *content_type;
	char *body;          /* NULL: no body */
	size_t body_len;
	char *headers[SUITE_MAX_HEADERS]; /* "Name: value" */
	int nheaders;
	double weight;       /* its share in a mixed suite (default 1) */
	bool sse;            /* "stream": "sse": a Server-Sent Events stream (load/sse.h), GET only */
	bool ws;             /* "stream": "websocket": a WebSocket load (load/ws.h), GET only */
	bool ws_receive;     /* "websocket": {"mode": "receive"} (default "echo") */
	long ws_messages;    /* "websocket": {"messages": N} per connection; 0 (default): until the pass ends */
	int ws_message_bytes; /* "websocket": {"message_bytes": B}, echo's message size (default 32, 8..1 MiB) */
};

struct suite {
	char *name, *description;
	bool mixed;          /* "mode": "mixed": one pass of all its workloads, mixed by weight */
	struct workload *w;
	int n;
};

struct suite_set {
	struct suite *s;
	int n;
};

/* "all" (json-bodies, path-params, query-params, forms), a built-in name ("mixed": every workload
 * of those four in one mixed pass, weighted), a comma list of built-in names, or a path to a JSON
 * suite file (with "mode": "mixed" and "weight" per workload optional).
 * 0, or -EINVAL with a one-line message naming the file and field. */
int suites_load(const char *spec, struct suite_set *out, char *err, size_t errlen);

/* Free what workload W owns (its strings and headers) and zero it; W itself is not freed. */
void workload_clear(struct workload *w);

/* Parse a custom suite from JSON text; dir resolves relative body_file paths. */
int suite_parse_json(const char *text, const char *file, const char *dir, struct suite *out, char *err,
		     size_t errlen);
void suites_free(struct suite_set *set);
void suite_free(struct suite *s);
/* The names of the built-in suites, comma separated. */
const char *suites_builtin_names(void);

#endif
