/* SPDX-License-Identifier: GPL-2.0-only */
#include "load/httpresp.h"

static int on_complete(http_parser *p)
{
	struct httpresp *r = p->data;

	r->complete = true;
	r->status = p->status_code;
	r->keep_alive = http_should_keep_alive(p);
	http_parser_pause(p, 1); /* one response per call: the caller records it */
	return 0;
}

/* http_parser takes any 1-3 digit status ("HTTP/1.1 20"); RFC 9110 status codes are 100..599.
 * Anything else is a malformed response (an error of the callback). */
static int on_headers(http_parser *p)
{
	return p->status_code >= 100 && p->status_code <= 599 ? 0 : -1;
}

void httpresp_init(struct httpresp *r)
{
	http_parser_settings_init(&r->s);
	r->s.on_headers_complete = on_headers;
	r->s.on_message_complete = on_complete;
	http_parser_init(&r->p, HTTP_RESPONSE);
	r->p.data = r;
	r->complete = false;
	r->status = 0;
	r->keep_alive = false;
}

long httpresp_feed(struct httpresp *r, const char *buf, size_t len)
{
	size_t n = http_parser_execute(&r->p, &r->s, buf, len);
	enum http_errno e = HTTP_PARSER_ERRNO(&r->p);

	if (e == HPE_PAUSED || (e == HPE_OK && (n == len || r->complete)))
		return (long)n;
	return -1;
}

void httpresp_next(struct httpresp *r)
{
	http_parser_pause(&r->p, 0);
	r->complete = false;
	r->status = 0;
}
