/* SPDX-License-Identifier: GPL-2.0-only */
/* HTTP/1.1 responses, one at a time, through libhttp-parser: Content-Length, chunked and
 * read-until-close bodies, pipelined responses (each message stops the parser). */
#ifndef BINDPROF_HTTPRESP_H
#define BINDPROF_HTTPRESP_H

#include <stdbool.h>
#include <stddef.h>
#include <http_parser.h>

struct httpresp {
	http_parser p;
	http_parser_settings s;
	bool complete;      /* a whole response was parsed */
	int status;         /* its status code */
	bool keep_alive;    /* the connection may carry the next request */
};

void httpresp_init(struct httpresp *r);
/* Parse up to len bytes (len 0: the peer closed the connection). Returns the bytes consumed,
 * stopping right after a complete response (r->complete set), or -1 on malformed input (which
 * includes a status code outside 100..599). */
long httpresp_feed(struct httpresp *r, const char *buf, size_t len);
/* Ready for the next response on the same connection. */
void httpresp_next(struct httpresp *r);

#endif
