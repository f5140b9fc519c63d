/* SPDX-License-Identifier: GPL-2.0-only */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include "load/httpcheck.h"

static bool is_tchar(unsigned char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c && strchr("!#$%&'*+-.^_`|~", c));
}

static bool is_ctl(unsigned char c)
{
	return c < 0x20 || c == 0x7f;
}

static int bad_byte(const char *what, const char *kind, size_t at, unsigned char c, char *err, size_t errlen)
{
	if (c >= 0x80)
		snprintf(err, errlen, "%s: the %s may not hold byte 0x%02x (byte %zu)", what, kind, c, at);
	else if (is_ctl(c))
		snprintf(err, errlen, "%s: a control character (0x%02x) at byte %zu of the %s: refused, it would "
			 "inject into the request", what, c, at, kind);
	else
		snprintf(err, errlen, "%s: the %s may not hold '%c' (byte %zu)", what, kind, c, at);
	return -EINVAL;
}

static int token(const char *what, const char *kind, const char *s, size_t n, char *err, size_t errlen)
{
	if (!n) {
		snprintf(err, errlen, "%s: the %s is empty", what, kind);
		return -EINVAL;
	}
	for (size_t i = 0; i < n; i++)
		if (!is_tchar((unsigned char)s[i]))
			return bad_byte(what, kind, i, (unsigned char)s[i], err, errlen);
	return 0;
}

int httpcheck_method(const char *what, const char *method, char *err, size_t errlen)
{
	return token(what, "method", method, strlen(method), err, errlen);
}

int httpcheck_path(const char *what, const char *path, char *err, size_t errlen)
{
	if (path[0] != '/') {
		snprintf(err, errlen, "%s: the path must start with '/'", what);
		return -EINVAL;
	}
	for (size_t i = 0; path[i]; i++)
		if (is_ctl((unsigned char)path[i]) || path[i] == ' ')
			return bad_byte(what, "path", i, (unsigned char)path[i], err, errlen);
	return 0;
}

int httpcheck_url(const char *what, const char *url, char *err, size_t errlen)
{
	for (size_t i = 0; url[i]; i++)
		if (is_ctl((unsigned char)url[i]) || url[i] == ' ')
			return bad_byte(what, "URL", i, (unsigned char)url[i], err, errlen);
	return 0;
}

int httpcheck_header_name(const char *what, const char *name, char *err, size_t errlen)
{
	return token(what, "header name", name, strlen(name), err, errlen);
}

int httpcheck_header_value(const char *what, const char *value, char *err, size_t errlen)
{
	for (size_t i = 0; value[i]; i++)
		if (is_ctl((unsigned char)value[i]) && value[i] != '\t')
			return bad_byte(what, "header value", i, (unsigned char)value[i], err, errlen);
	return 0;
}

int httpcheck_header_line(const char *what, const char *line, char *err, size_t errlen)
{
	const char *colon = strchr(line, ':');

	if (!colon) {
		snprintf(err, errlen, "%s: '%s' is not a header (Name: value)", what, line);
		return -EINVAL;
	}
	if (token(what, "header name", line, (size_t)(colon - line), err, errlen))
		return -EINVAL;
	return httpcheck_header_value(what, colon + 1, err, errlen);
}
