/* SPDX-License-Identifier: GPL-2.0-only */
/* Checks on the pieces of a request that bindprof writes verbatim onto the wire (a suite's paths
 * and headers, load's -m and -H): a control character (CR, LF, NUL, any byte below 0x20 or 0x7f)
 * would split or inject a request line or header, so it is refused with a one-line message naming
 * the field and the byte's offset. Rules of RFC 9110/9112: a method and a header name are tokens
 * (tchar: letters, digits and !#$%&'*+-.^_`|~); a header value is visible characters, spaces and
 * tabs; a request target has no control character and no space. */
#ifndef BINDPROF_HTTPCHECK_H
#define BINDPROF_HTTPCHECK_H

#include <stddef.h>

/* Each returns 0, or -EINVAL with "WHAT: ..." in err (what names the field, e.g. "-H"). */
int httpcheck_method(const char *what, const char *method, char *err, size_t errlen);
/* An origin-form target: starts with '/', no control character, no space. */
int httpcheck_path(const char *what, const char *path, char *err, size_t errlen);
int httpcheck_header_name(const char *what, const char *name, char *err, size_t errlen);
int httpcheck_header_value(const char *what, const char *value, char *err, size_t errlen);
/* A URL given on the command line (load --url): no control character, no space. */
int httpcheck_url(const char *what, const char *url, char *err, size_t errlen);
/* A whole "Name: value" line as given to -H (optional whitespace after the colon). */
int httpcheck_header_line(const char *what, const char *line, char *err, size_t errlen);

#endif
