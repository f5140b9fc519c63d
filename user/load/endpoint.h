/* SPDX-License-Identifier: GPL-2.0-only */
/* Endpoint names from a request's first bytes: "GET /items/42?x=1 HTTP/1.1" -> "GET /items/{id}",
 * so that requests to one handler group together. */
#ifndef BINDPROF_ENDPOINT_H
#define BINDPROF_ENDPOINT_H

#include <stddef.h>

/* The rule, as written into the output. */
extern const char endpoint_rule[];

/* Normalize the request line in head (len bytes, not NUL-terminated, possibly cut short) into
 * out. 0, or -1 when head is not an HTTP request line. */
int endpoint_normalize(const char *head, size_t len, char *out, size_t outlen);

#endif
