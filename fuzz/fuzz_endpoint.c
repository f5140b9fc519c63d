/* SPDX-License-Identifier: GPL-2.0-only */
/* libFuzzer target: the endpoint normalizer (load/endpoint.c), given a request's first bytes as
 * the requests probe captures them (not NUL-terminated, possibly cut short). The first input byte
 * picks the output buffer's size (1..256). A result is NUL-terminated within the buffer, starts
 * with the method and a space, and has no CR, LF or NUL inside. */
#include <ctype.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "load/endpoint.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t outlen, n;
	char *head, *out;

	if (size < 1)
		return 0;
	outlen = data[0] + 1;
	data++;
	size--;
	head = malloc(size ? size : 1);
	out = malloc(outlen);
	if (!head || !out)
		goto done;
	memcpy(head, data, size);
	memset(out, 'X', outlen);
	if (!endpoint_normalize(head, size, out, outlen)) {
		n = strnlen(out, outlen);
		if (n == outlen || memchr(out, '\r', n) || memchr(out, '\n', n))
			abort();
		if (outlen > 9 && (!strchr(out, ' ') || !isupper((unsigned char)out[0])))
			abort();
	}
done:
	free(head);
	free(out);
	return 0;
}
