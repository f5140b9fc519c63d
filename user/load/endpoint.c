/* SPDX-License-Identifier: GPL-2.0-only */
#include <ctype.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "load/endpoint.h"

const char endpoint_rule[] =
	"METHOD PATH from the request line; the query string and fragment dropped; an absolute URI's "
	"scheme and host dropped; path segments of digits -> {id}, other numbers (-1, 3.14) -> {num}, UUIDs (8-4-4-4-12 hex) -> {uuid}, "
	"hex strings of 16 or more characters with a digit -> {hex}; a request line longer than the "
	"bytes read ends in /... (its last, partial segment dropped)";

static bool all_digits(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!isdigit((unsigned char)s[i]))
			return false;
	return n > 0;
}

/* -12, 3.14, 1e-3: a number that is not a plain id */
static bool is_number(const char *s, size_t n)
{
	char buf[64], *end;

	if (n == 0 || n >= sizeof(buf) || !(isdigit((unsigned char)s[0]) || s[0] == '-' || s[0] == '.'))
		return false;
	memcpy(buf, s, n);
	buf[n] = 0;
	strtod(buf, &end);
	return *end == 0;
}

static bool is_uuid(const char *s, size_t n)
{
	if (n != 36)
		return false;
	for (size_t i = 0; i < n; i++) {
		if (i == 8 || i == 13 || i == 18 || i == 23) {
			if (s[i] != '-')
				return false;
		} else if (!isxdigit((unsigned char)s[i])) {
			return false;
		}
	}
	return true;
}

static bool is_long_hex(const char *s, size_t n)
{
	bool digit = false;

	if (n < 16)
		return false;
	for (size_t i = 0; i < n; i++) {
		if (!isxdigit((unsigned char)s[i]))
			return false;
		digit |= isdigit((unsigned char)s[i]) != 0;
	}
	return digit;
}

static void append(char *out, size_t outlen, size_t *o, const char *s, size_t n)
{
	if (*o + n >= outlen)
		n = *o < outlen - 1 ? outlen - 1 - *o : 0;
	memcpy(out + *o, s, n);
	*o += n;
	out[*o] = 0;
}

int endpoint_normalize(const char *head, size_t len, char *out, size_t outlen)
{
	size_t i = 0, m, p0, pend, o = 0;
	bool cut;

	if (!outlen)
		return -1;
	out[0] = 0;
	while (i < len && i < 16 && isupper((unsigned char)head[i]))
		i++;
	m = i;
	if (m < 3 || m > 7 || i >= len || head[i] != ' ')
		return -1;
	p0 = ++i;
	while (i < len && head[i] != ' ' && head[i] != '\r' && head[i] != '\n' && head[i] != '?' && head[i] != '#')
		i++;
	pend = i;
	cut = i == len; /* the line went on past the bytes read */
	if (p0 == pend)
		return -1;
	append(out, outlen, &o, head, m);
	append(out, outlen, &o, " ", 1);
	if (head[p0] == '*') {
		append(out, outlen, &o, "*", 1);
		return 0;
	}
	if (head[p0] != '/') { /* absolute URI: drop scheme://host */
		const char *s = memchr(head + p0, ':', pend - p0);

		if (!s || s + 3 > head + pend || s[1] != '/' || s[2] != '/')
			return -1;
		s = memchr(s + 3, '/', head + pend - (s + 3));
		if (!s) {
			append(out, outlen, &o, "/", 1);
			return 0;
		}
		p0 = s - head;
	}
	for (size_t s = p0; s < pend;) {
		size_t e = s + 1, n;

		while (e < pend && head[e] != '/')
			e++;
		/* segment head[s+1 .. e) after its '/' */
		n = e - s - 1;
		if (cut && e == pend) {
			append(out, outlen, &o, "/...", 4);
			break;
		}
		append(out, outlen, &o, "/", 1);
		if (all_digits(head + s + 1, n))
			append(out, outlen, &o, "{id}", 4);
		else if (is_number(head + s + 1, n))
			append(out, outlen, &o, "{num}", 5);
		else if (is_uuid(head + s + 1, n))
			append(out, outlen, &o, "{uuid}", 6);
		else if (is_long_hex(head + s + 1, n))
			append(out, outlen, &o, "{hex}", 5);
		else
			append(out, outlen, &o, head + s + 1, n);
		s = e;
	}
	return 0;
}
